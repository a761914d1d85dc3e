"""analyze_image: findings vs a reference forward pass, verdicts, gate, cache, cancel,
MONOCHROME1, and the file-level convenience."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.analysis.applicability import ImageFacts
from core.analysis.errors import HashMismatchError, ModelNotFoundError
from core.analysis.inference import (
    AnalysisImage,
    AnalysisResult,
    LoadedModel,
    Verdict,
    analysis_image_from_record,
    analyze_dataset_file,
    analyze_image,
    apply_monochrome1_correction,
    clear_caches,
    decide_verdict,
    find_value_range,
    load_model,
    read_analysis_image,
    result_to_json,
)
from core.analysis.manifest import DEMO_BANNER, ModelPackage
from core.errors import CancelledError, UsageError
from core.jobs import CancelToken, Progress, run_job
from core.synthetic import write_cxr
from tests.core.model_helpers import make_package

pytestmark = pytest.mark.usefixtures("fresh_analysis")

LABELS = ("Nodule", "Effusion", "Cardiomegaly", "Unused")
CXR_FACTS = ImageFacts(modality="DX", body_part="CHEST", view_position="PA", age_years=40)


def _soften(network) -> None:  # type: ignore[no-untyped-def]
    # Random weights on [-1024, 1024] inputs saturate the sigmoid; small head weights
    # keep probabilities in the middle, where verdicts and thresholds mean something.
    network.classifier.weight.mul_(1e-4)
    network.classifier.bias.copy_(network.classifier.bias * 0 + 0.1)


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> ModelPackage:
    return make_package(
        tmp_path_factory.mktemp("pkg") / "tiny",
        labels=LABELS,
        hidden_labels=("Unused",),
        thresholds={"Nodule": 0.0, "Effusion": 1.0, "Cardiomegaly": 0.5},
        margin=0.2,
        edit=_soften,
    )


@pytest.fixture(scope="module")
def cxr(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("cxr")
    for mono in (1, 2):
        write_cxr(folder / f"m{mono}.dcm", np.random.default_rng(7), size=(80, 64), monochrome=mono)
    return folder / "m1.dcm", folder / "m2.dcm"


def _reference_probabilities(package: ModelPackage, values: np.ndarray, bits: int) -> np.ndarray:
    """A plain eager forward (no channels-last, no inference mode) on xrv preprocessing."""
    import torch

    from core.analysis.networks import build_network_for_manifest, load_weights
    from core.analysis.preprocess import apply_xrv_preprocessing

    network = build_network_for_manifest(package.manifest)
    load_weights(network, package.weights_path)
    tensor, _ = apply_xrv_preprocessing(values, bits, package.manifest.input.size)
    with torch.no_grad():
        return torch.sigmoid(network(torch.from_numpy(tensor[None])))[0].double().numpy()


def test_findings_match_a_reference_forward_pass(package: ModelPackage, cxr) -> None:
    from pydicom import dcmread

    image = read_analysis_image(dcmread(cxr[1]), source=str(cxr[1]))
    events: list[object] = []
    result = run_job(analyze_image(package, image, token=CancelToken()), events.append)

    reference = _reference_probabilities(package, image.values, image.bits_stored)
    assert isinstance(result, AnalysisResult)
    assert result.skipped is None and not result.from_cache
    assert (result.model_name, result.model_version) == ("test-model", "1.0.0")
    assert result.model_sha256 == package.sha256 and result.model_display_name == "test-model 1.0.0"
    # The hidden head is not reported; the rest is most probable first.
    assert sorted(f.label for f in result.findings) == ["Cardiomegaly", "Effusion", "Nodule"]
    probabilities = [f.probability for f in result.findings]
    assert probabilities == sorted(probabilities, reverse=True)
    for finding in result.findings:
        expected = reference[LABELS.index(finding.label)]
        assert finding.probability == pytest.approx(expected, abs=1e-5)
        assert 0.05 < finding.probability < 0.95  # not saturated: the check means something
    assert result.finding("Nodule").verdict is Verdict.POSITIVE  # threshold 0
    assert result.finding("Effusion").verdict in (Verdict.NEGATIVE, Verdict.INDETERMINATE)
    assert result.finding("Effusion").threshold == 1.0
    # Heatmaps for positive findings only, on the original pixels.
    nodule = result.finding("Nodule")
    assert nodule.heatmap is not None and nodule.heatmap.shape == (80, 64)
    assert nodule.heatmap.dtype == np.float32 and float(nodule.heatmap.max()) <= 1.0
    assert nodule.heatmap_peak is not None
    # The peak is the hottest cell's centre: within a pixel of the maximum.
    assert nodule.heatmap[nodule.heatmap_peak] >= 0.9 * nodule.heatmap.max()
    assert all(f.heatmap is None for f in result.findings if f.verdict is not Verdict.POSITIVE)
    assert result.positive_findings == tuple(
        f for f in result.findings if f.verdict is Verdict.POSITIVE
    )
    progress = [e for e in events if isinstance(e, Progress)]
    assert progress[0].done == 0 and progress[-1].done == progress[-1].total
    assert set(result.timings) == {"load", "preprocess", "forward", "heatmap", "total"}
    assert result.timings["total"] >= result.timings["forward"] > 0
    assert result.banner is None and result.heatmap_method == "gradcam"


def test_verdicts_use_threshold_and_margin() -> None:
    assert decide_verdict(0.5, 0.5, 0.1) is Verdict.POSITIVE
    assert decide_verdict(0.45, 0.5, 0.1) is Verdict.INDETERMINATE
    assert decide_verdict(0.4, 0.5, 0.1) is Verdict.INDETERMINATE
    assert decide_verdict(0.39, 0.5, 0.1) is Verdict.NEGATIVE
    assert decide_verdict(0.49, 0.5, 0.0) is Verdict.NEGATIVE
    with pytest.raises(ValueError, match="probability"):
        decide_verdict(1.5, 0.5)
    with pytest.raises(TypeError):
        decide_verdict("0.5", 0.5)  # type: ignore[arg-type]


def test_monochrome1_is_corrected_to_the_monochrome2_image(cxr) -> None:
    from pydicom import dcmread

    m1 = read_analysis_image(dcmread(cxr[0]))
    m2 = read_analysis_image(dcmread(cxr[1]))
    assert m1.bits_stored == m2.bits_stored == 12
    np.testing.assert_array_equal(m1.values, m2.values)
    # The pure function: mirrored within the range the pixels can take.
    values = np.array([[0, 100], [4000, 4095]], dtype=np.uint16)
    corrected = apply_monochrome1_correction(values, find_value_range(12, 0))
    np.testing.assert_array_equal(corrected, [[4095, 3995], [95, 0]])
    assert corrected.dtype == np.uint16
    assert find_value_range(12, 1, 2.0, -10.0) == (-4106.0, 4084.0)
    floats = apply_monochrome1_correction(np.array([0.5, 1.5]), (0.0, 2.0))
    np.testing.assert_allclose(floats, [1.5, 0.5])


def test_image_from_a_loaded_volume_equals_the_one_from_the_file(cxr) -> None:
    from pydicom import dcmread

    from core.dicom.index import scan
    from core.dicom.volume import load_series

    index = scan(cxr[0])
    series = index.all_series()[0]
    volume = run_job(load_series(series))
    frame_ref = volume.geometry.frames[0]
    image = analysis_image_from_record(volume.array[0], frame_ref.instance, frame_ref.frame)
    direct = read_analysis_image(dcmread(cxr[0]))
    np.testing.assert_array_equal(image.values, direct.values)
    assert image.sop_instance_uid == direct.sop_instance_uid
    assert image.facts.modality == "DX" and image.facts.view_position == "PA"
    with pytest.raises(ValueError, match="shape"):
        analysis_image_from_record(volume.array[0][:10], frame_ref.instance)


def test_gate_skips_without_loading_the_model(
    package: ModelPackage, monkeypatch: pytest.MonkeyPatch
) -> None:
    import core.analysis.inference as inference

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the model must not be loaded for a skipped image")

    monkeypatch.setattr(inference, "load_model", refuse)
    values = np.zeros((40, 40), dtype=np.uint16)
    for facts, reason in (
        (ImageFacts(modality="CT"), "CT not supported by this model"),
        (ImageFacts(modality="DX", body_part="CHEST", view_position="LL"), "lateral view"),
    ):
        result = run_job(analyze_image(package, values, facts, bits_stored=12))
        assert result.skipped == reason and result.findings == ()
        assert result_to_json(result)["skipped"] == reason


def test_results_are_cached_in_memory_and_on_disk(package: ModelPackage, cxr) -> None:
    from pydicom import dcmread

    image = read_analysis_image(dcmread(cxr[1]))
    first = run_job(analyze_image(package, image))
    again = run_job(analyze_image(package, image))
    assert again.from_cache and not first.from_cache
    files = list((Path(__import__("os").environ["RADASSIST_DATA_DIR"]) / "cache").rglob("*"))
    names = [p.name for p in files if p.is_file()]
    assert len(names) == 1 and names[0].endswith(".npz")
    assert image.sop_instance_uid is not None and image.sop_instance_uid not in names[0]
    clear_caches()  # memory gone: the disk entry answers, heatmaps rebuilt
    from_disk = run_job(analyze_image(package, image))
    assert from_disk.from_cache
    for a, b in zip(first.findings, from_disk.findings, strict=True):
        assert (a.label, a.verdict, a.heatmap_peak) == (b.label, b.verdict, b.heatmap_peak)
        assert a.probability == pytest.approx(b.probability, abs=1e-12)
        if a.heatmap is not None:
            np.testing.assert_allclose(a.heatmap, b.heatmap, atol=1e-6)
    # Another heatmap method, or no cache wanted: computed again.
    assert not run_job(analyze_image(package, image, heatmaps=None)).from_cache
    assert not run_job(analyze_image(package, image, use_cache=False)).from_cache
    # A bare array without a SOP Instance UID is never cached.
    bare = analyze_image(package, image.values, CXR_FACTS, bits_stored=12)
    assert not run_job(bare).from_cache


def test_cancel_stops_the_job(package: ModelPackage, cxr) -> None:
    from pydicom import dcmread

    image = read_analysis_image(dcmread(cxr[1]))
    token = CancelToken()
    job = analyze_image(package, image, token=token, use_cache=False)
    assert isinstance(next(job), Progress)
    token.cancel()
    with pytest.raises(CancelledError):
        run_job(job)
    # Occlusion checks the token between batches.
    token = CancelToken()
    seen: list[Progress] = []

    def cancel_on_occlusion(event: object) -> None:
        if isinstance(event, Progress) and event.message.startswith("Occlusion"):
            seen.append(event)
            token.cancel()

    job = analyze_image(package, image, token=token, heatmaps="occlusion", use_cache=False)
    with pytest.raises(CancelledError):
        run_job(job, cancel_on_occlusion)
    assert len(seen) == 1 and seen[0].done < seen[0].total


def test_file_convenience_and_loaded_model(package: ModelPackage, cxr, tmp_path: Path) -> None:
    loaded = load_model(package)
    assert isinstance(loaded, LoadedModel) and load_model(package) is loaded
    assert loaded.visible_indices == (0, 1, 2)
    result = run_job(analyze_dataset_file(cxr[0], loaded, CancelToken()))
    assert result.skipped is None and len(result.findings) == 3
    data = result_to_json(result)
    assert data["model"] == {
        "name": "test-model",
        "version": "1.0.0",
        "sha256": package.sha256,
        "demo": False,
        "disclaimer": None,
    }
    nodule = next(f for f in data["findings"] if f["label"] == "Nodule")
    assert nodule["verdict"] == "positive" and len(nodule["heatmap_peak"]) == 2
    # A lateral view is answered from the header.
    lateral = tmp_path / "ll.dcm"
    write_cxr(lateral, np.random.default_rng(3), size=48, view="LL")
    skipped = run_job(analyze_dataset_file(lateral, package))
    assert skipped.skipped == "lateral view" and skipped.image_shape == (48, 48)
    not_dicom = tmp_path / "x.dcm"
    not_dicom.write_bytes(b"not dicom at all")
    from core.errors import DicomReadError

    with pytest.raises(DicomReadError):
        run_job(analyze_dataset_file(not_dicom, package))


def test_demo_models_carry_the_banner(tmp_path: Path) -> None:
    demo = make_package(tmp_path / "demo", name="demo-model", demo=True, edit=_soften)
    values = np.full((40, 40), 2000, dtype=np.uint16)
    result = run_job(analyze_image(demo, values, CXR_FACTS, bits_stored=12))
    assert result.is_demo and result.banner == DEMO_BANNER
    assert result_to_json(result)["model"]["disclaimer"] == DEMO_BANNER


def test_refused_and_unknown_packages_surface(package: ModelPackage, tmp_path: Path) -> None:
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(package.folder, broken)
    with open(broken / "model.safetensors", "r+b") as handle:
        handle.seek(-4, 2)
        handle.write(b"\x00\x01\x02\x03")
    values = np.zeros((40, 40), dtype=np.uint16)
    with pytest.raises(HashMismatchError):
        run_job(analyze_image(str(broken), values, CXR_FACTS, bits_stored=12))
    with pytest.raises(ModelNotFoundError):
        run_job(analyze_image("no-such-model", values, CXR_FACTS, bits_stored=12))


def test_arguments_are_checked_before_the_job_starts(package: ModelPackage) -> None:
    values = np.zeros((40, 40), dtype=np.uint16)
    with pytest.raises(UsageError, match="bits_stored"):
        analyze_image(package, values, CXR_FACTS)
    with pytest.raises(ValueError, match="heatmaps"):
        analyze_image(package, values, CXR_FACTS, bits_stored=12, heatmaps="lime")
    with pytest.raises(ValueError, match="shape"):
        analyze_image(package, np.zeros((2, 3, 4, 5)), CXR_FACTS, bits_stored=12)
    with pytest.raises(TypeError, match="facts"):
        analyze_image(package, values, {"modality": "DX"}, bits_stored=12)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="model_ref"):
        analyze_image(42, values, CXR_FACTS, bits_stored=12)  # type: ignore[arg-type]
    image = AnalysisImage(values=values, bits_stored=12, facts=CXR_FACTS)
    assert isinstance(next(analyze_image(package, image)), Progress)
