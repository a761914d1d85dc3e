"""DICOM export of an analysis: TID 1500 SR and heatmap Secondary Capture images,
readable by pydicom and highdicom, referencing the analysed image."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pydicom import dcmread

from core.analysis.applicability import ImageFacts
from core.analysis.export import (
    apply_heatmap_overlay,
    export_analysis,
    make_findings_sr,
    make_heatmap_image,
)
from core.analysis.inference import (
    AnalysisResult,
    Verdict,
    analyze_dataset_file,
    analyze_image,
)
from core.analysis.manifest import DEMO_BANNER, ModelPackage
from core.errors import UsageError
from core.jobs import run_job
from core.synthetic import write_cxr
from tests.core.model_helpers import make_package, soften

pytestmark = pytest.mark.usefixtures("fresh_analysis")


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, AnalysisResult]:
    folder = tmp_path_factory.mktemp("export")
    package: ModelPackage = make_package(
        folder / "pkg",
        name="demo-x",
        version="2.1",
        labels=("Nodule", "Effusion", "Mass"),
        thresholds={"Nodule": 0.0, "Effusion": 1.0, "Mass": 0.0},
        demo=True,
        edit=soften,
    )
    source = folder / "cxr.dcm"
    write_cxr(source, np.random.default_rng(5), size=(72, 60), monochrome=1)
    result = run_job(analyze_dataset_file(source, package, use_cache=False))
    return source, result


def _walk(items):  # type: ignore[no-untyped-def]
    for item in items:
        yield item
        yield from _walk(item.get("ContentSequence", []))


def test_export_writes_sr_and_heatmaps_that_reference_the_source(
    analysed: tuple[Path, AnalysisResult], tmp_path: Path
) -> None:
    import highdicom as hd

    source_path, result = analysed
    source = dcmread(source_path)
    files = export_analysis(result, source_path, tmp_path / "out")
    assert files.report.parent == tmp_path / "out"
    assert len(files.heatmaps) == 2  # Nodule and Mass are positive
    assert source.SOPInstanceUID not in files.report.name  # files named by their own UID
    # They identify the patient: owner-only files in an owner-only folder (house rule 8).
    assert (tmp_path / "out").stat().st_mode & 0o777 == 0o700
    for path in (files.report, *files.heatmaps):
        assert path.stat().st_mode & 0o777 == 0o600, path

    sr = hd.sr.srread(files.report)
    assert sr.SOPClassUID == "1.2.840.10008.5.1.4.1.1.88.34"  # Comprehensive 3D SR
    assert sr.PatientID == source.PatientID and sr.StudyInstanceUID == source.StudyInstanceUID
    assert sr.ContentTemplateSequence[0].TemplateIdentifier == "1500"
    assert sr.CompletionFlag == "COMPLETE" and sr.VerificationFlag == "UNVERIFIED"
    groups = sr.content.get_image_measurement_groups()
    by_label = {str(g.tracking_identifier): g for g in groups}
    assert set(by_label) == {"Nodule", "Effusion", "Mass"}
    for finding in result.findings:
        group = by_label[finding.label]
        (measurement,) = group.get_measurements()
        assert measurement.name.meaning == "Probability"
        assert measurement.value == pytest.approx(finding.probability, abs=1e-6)
        (evaluation,) = group.get_qualitative_evaluations()
        expected = {Verdict.POSITIVE: "Present", Verdict.NEGATIVE: "Absent"}
        assert evaluation.value.meaning == expected.get(finding.verdict, "Indeterminate")
        assert group.source_images[0].referenced_sop_instance_uid == source.SOPInstanceUID
    texts = {
        (item.ConceptNameCodeSequence[0].CodeMeaning, str(item.get("TextValue", "")))
        for item in _walk(sr.ContentSequence)
    }
    assert ("Algorithm Name", "demo-x") in texts and ("Algorithm Version", "2.1") in texts
    assert ("Algorithm Parameters", DEMO_BANNER) in texts
    evidence = {
        ref.ReferencedSOPInstanceUID
        for series in sr.CurrentRequestedProcedureEvidenceSequence[0].ReferencedSeriesSequence
        for ref in series.ReferencedSOPSequence
    }
    heatmap_uids = {dcmread(p).SOPInstanceUID for p in files.heatmaps}
    assert evidence == {source.SOPInstanceUID} | heatmap_uids

    for path in files.heatmaps:
        image = dcmread(path)
        assert image.SOPClassUID == "1.2.840.10008.5.1.4.1.1.7"  # Secondary Capture
        assert list(image.ImageType) == ["DERIVED", "SECONDARY"]
        assert image.SourceImageSequence[0].ReferencedSOPInstanceUID == source.SOPInstanceUID
        assert image.ReferencedImageSequence[0].ReferencedSOPClassUID == source.SOPClassUID
        assert image.StudyInstanceUID == source.StudyInstanceUID
        assert image.pixel_array.shape == (72, 60, 3)
        assert DEMO_BANNER in image.ImageComments
        assert "demo-x 2.1" in image.DerivationDescription
        # Its method and faithfulness travel with the image, for any viewer to show.
        assert image.DerivationDescription.startswith("Grad-CAM heatmap; masking the top 10%")
        assert "Grad-CAM heatmap; masking the top 10%" in image.ImageComments
    # Hot pixels at the peak are coloured; the image elsewhere stays grey.
    nodule = result.finding("Nodule")
    pixels = dcmread(
        next(p for p in files.heatmaps if "Nodule" in dcmread(p).SeriesDescription)
    ).pixel_array.astype(int)
    assert nodule.heatmap_peak is not None
    r, g, b = pixels[nodule.heatmap_peak]
    assert max(r, g, b) - min(r, g, b) > 40


def test_overlay_blends_colour_only_where_the_heatmap_is_hot() -> None:
    display = np.full((4, 4), 100, np.uint8)
    heatmap = np.zeros((4, 4), np.float32)
    heatmap[1, 2] = 1.0
    out = apply_heatmap_overlay(display, heatmap, opacity=1.0)
    assert out.shape == (4, 4, 3) and out.dtype == np.uint8
    assert (out[0, 0] == 100).all()
    assert tuple(out[1, 2]) == (128, 0, 0)  # jet's top colour is dark red
    assert (apply_heatmap_overlay(display, heatmap, opacity=0.0) == 100).all()
    with pytest.raises(ValueError, match="same size"):
        apply_heatmap_overlay(display, np.zeros((3, 3)))


def test_export_refuses_what_it_cannot_write(
    analysed: tuple[Path, AnalysisResult], tmp_path: Path
) -> None:
    source_path, result = analysed
    source = dcmread(source_path)
    negative = result.finding("Effusion")
    with pytest.raises(UsageError, match="no heatmap"):
        make_heatmap_image(result, negative, source)
    other = dcmread(source_path)
    other.SOPInstanceUID = "1.2.3.4"
    with pytest.raises(UsageError, match="another SOP instance"):
        make_findings_sr(result, other)
    skipped = run_job(
        analyze_image(
            result_package(tmp_path),
            np.zeros((8, 8), np.uint8),
            ImageFacts(modality="CT"),
            bits_stored=8,
        )
    )
    with pytest.raises(UsageError, match="not run"):
        export_analysis(skipped, source, tmp_path)
    with pytest.raises(TypeError):
        export_analysis(result, 42, tmp_path)  # type: ignore[arg-type]


def test_export_never_writes_into_the_source_folder(
    analysed: tuple[Path, AnalysisResult], tmp_path: Path
) -> None:
    # The rule every export follows (core.paths.export_folder_for): refused, not moved.
    source_path, result = analysed
    before = sorted(p.name for p in source_path.parent.rglob("*"))
    for inside in (source_path.parent, source_path.parent / "derived"):
        with pytest.raises(UsageError, match="inside the source folder"):
            export_analysis(result, source_path, inside)
    assert sorted(p.name for p in source_path.parent.rglob("*")) == before
    # A dataset given without its path has no source folder to protect.
    assert export_analysis(result, dcmread(source_path), tmp_path / "ok").report.is_file()


def result_package(tmp_path: Path) -> ModelPackage:
    return make_package(tmp_path / "p")
