"""Report exports read back: text, PDF (text extracted, images counted), DICOM SR (sections,
texts, references, flags, contributors); never beside the source; no partial file on failure."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydicom import Dataset, dcmread
from pydicom.data import get_charset_files, get_testdata_file

from core import __version__
from core.analysis.manifest import DEMO_BANNER
from core.errors import UsageError
from core.report import store as store_module
from core.report.document import (
    FindingFact,
    Origin,
    Report,
    ReportContext,
    Section,
    Sentence,
    new_report,
)
from core.report.export import (
    ExportError,
    KeyImage,
    export_pdf,
    export_sr,
    export_text,
    format_report_text,
    make_report_sr,
)
from core.report.store import study_key
from tests.core.report_helpers import make_report_context

pypdf = pytest.importorskip("pypdf")
pytestmark = pytest.mark.usefixtures("private_data_dir")

CT_SMALL = Path(get_testdata_file("CT_small.dcm", download=False))  # type: ignore[arg-type]
SIGNED_AT = "2024-05-01T10:00:00+00:00"


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """A copy of a real CT image in its own (study) folder."""
    folder = tmp_path / "study"
    folder.mkdir()
    shutil.copy(CT_SMALL, folder / "ct.dcm")
    return folder / "ct.dcm"


def _context(uid: str, *, demo: bool = False) -> ReportContext:
    findings = (
        FindingFact("Nodule", "positive", 0.81, 0.5, "right", "upper", "densenet 2.0", demo),
        FindingFact("Effusion", "negative", 0.04, 0.3, model="densenet 2.0", is_demo=demo),
    )
    return make_report_context(
        uid,
        findings=findings,
        models=("densenet 2.0",),
        study_description="CHEST 2 VIEWS",
        patient_age_years=54,
        technique="110 kV, 2.5 mAs",
    )


def _draft(uid: str, *, demo: bool = False, language: str = "en") -> Report:
    report = new_report(_context(uid, demo=demo), language)
    if language == "zh-CN":
        return (
            report.with_sentences(
                Section.FINDINGS,
                [
                    Sentence("右肺上野见结节影。", Origin.TEMPLATE, source="cxr-zh"),
                    Sentence("未见胸腔积液及气胸。", Origin.LANGUAGE_MODEL, source="tiny-lm"),
                ],
            )
            .with_section_text(Section.IMPRESSION, "右肺上野结节，建议CT随访。")
            .with_section_text(Section.TECHNIQUE, "胸部正位片。")
        )
    return (
        report.with_section_text(Section.CLINICAL_INFORMATION, "Cough for 3 weeks & fever <38 C.")
        .with_sentences(
            Section.TECHNIQUE, [Sentence("PA chest radiograph.", Origin.TEMPLATE, source="cxr-en")]
        )
        .with_sentences(
            Section.FINDINGS,
            [
                Sentence(
                    "There is a nodule in the right upper zone.", Origin.TEMPLATE, True, "cxr-en"
                ),
                Sentence("No pleural effusion.", Origin.LANGUAGE_MODEL, source="tiny-lm"),
            ],
        )
        .with_section_text(Section.IMPRESSION, "Right upper zone nodule.")
        .with_section_text(Section.RECOMMENDATIONS, "Follow-up CT per Fleischner.")
    )


def _final(uid: str, **kwargs: Any) -> Report:
    draft = _draft(uid, **kwargs)
    return draft.sign(
        "Dr Ada Lovelace",
        conflicts=("Effusion: asserts absent",),
        override_reason="Discussed with the team",
        signed_at=SIGNED_AT,
    ).add_addendum(
        "Compared with the prior study: unchanged.", "Dr Grace Hopper", signed_at=SIGNED_AT
    )


def _uid(path: Path) -> str:
    return str(dcmread(path, stop_before_pixels=True).StudyInstanceUID)


def _pdf_text(path: Path) -> str:
    reader = pypdf.PdfReader(path)
    return "\n".join(page.extract_text() for page in reader.pages)


# --------------------------------------------------------------------------- text


def test_text_export_of_a_draft(tmp_path: Path, source: Path) -> None:
    uid = _uid(source)
    report = _draft(uid, demo=True)
    path = export_text(report, tmp_path / "out")
    assert path.parent == tmp_path / "out"
    assert path.name == f"report_{study_key(uid)[:16]}_r{report.revision}_draft.txt"
    text = path.read_text("utf-8")
    assert text == format_report_text(report)
    lines = text.splitlines()
    assert lines[:3] == ["RADIOLOGY REPORT", "DRAFT — not signed", f"*** {DEMO_BANNER} ***"]
    # No header given: what the context knows, every identifier missing (never "None").
    assert lines[3:13] == [
        "Patient name: —",
        "Patient ID: —",
        "Birth date: — (54 years)",
        "Sex: female",
        "Accession number: —",
        "Study date/time: —",
        "Modality: DX",
        "Study description: CHEST 2 VIEWS",
        "Referring physician: —",
        "Institution: —",
    ]
    assert (
        "\nFINDINGS\nThere is a nodule in the right upper zone. No pleural effusion. [unreviewed]\n"
        in text
    )
    assert "\nTECHNIQUE\nPA chest radiograph. [unreviewed]\n" in text
    assert "Cough for 3 weeks & fever <38 C." in text  # a person's text, unmarked
    assert "[unreviewed]: engine text no person has reviewed yet" in text
    assert "AI findings from: densenet 2.0" in text
    assert "Drafted with: template cxr-en; language model tiny-lm" in text
    assert f"Software: RadAssist {__version__}" in text
    assert text.index("CLINICAL INFORMATION") < text.index("TECHNIQUE") < text.index("FINDINGS")
    assert "COMPARISON" not in text  # empty sections are left out


def test_text_export_of_a_final_report_with_override_and_addendum(source: Path) -> None:
    report = _final(_uid(source))
    text = export_text(report).read_text("utf-8")
    assert text.splitlines()[1] == "FINAL — signed by Dr Ada Lovelace, 2024-05-01 10:00 UTC"
    assert "Signed with 3 item(s) outstanding. Reason: Discussed with the team" in text
    assert "– conflict: Effusion: asserts absent" in text
    assert "Addendum — Dr Grace Hopper, 2024-05-01 10:00 UTC\nCompared with the prior" in text
    assert "[unreviewed]" in text  # signed over: still marked for what it is
    assert DEMO_BANNER not in text


def test_text_export_in_chinese(source: Path) -> None:
    report = _draft(_uid(source), language="zh-CN", demo=True)
    text = export_text(report).read_text("utf-8")
    assert text.startswith("放射学报告\n草稿 — 未签署\n*** 演示模型")
    assert "设备类型：DX\n检查描述：CHEST 2 VIEWS\n" in text
    assert "出生日期：—（54 岁）\n性别：女\n" in text
    assert "\n影像所见\n右肺上野见结节影。〔未审核〕未见胸腔积液及气胸。〔未审核〕\n" in text
    assert "\n诊断意见\n右肺上野结节，建议CT随访。\n" in text
    assert "起草方式：模板 cxr-zh；语言模型 tiny-lm" in text


def test_text_without_a_utf8_form_is_written_with_a_replacement(tmp_path: Path) -> None:
    report = _draft("1.2.3").with_section_text(Section.COMPARISON, "Pasted \ud83d text.")
    assert "Pasted \ufffd text." in export_text(report, tmp_path).read_text("utf-8")
    assert "Pasted \ufffd text." in _pdf_text(export_pdf(report, tmp_path))


def test_default_folder_is_the_export_folder(tmp_path: Path, source: Path) -> None:
    path = export_text(_draft(_uid(source)))
    assert path.parent == tmp_path / "data" / "exports"


# --------------------------------------------------------------------------- PDF


def _key_images() -> list[KeyImage]:
    rng = np.random.default_rng(0)
    view = rng.integers(0, 255, (300, 240), dtype=np.uint8)
    overlay = np.zeros((2400, 2000, 3), dtype=np.uint8)  # large: scaled down before embedding
    overlay[..., 0] = 200
    return [KeyImage("Current view (window 40/400)", view), KeyImage("Nodule heatmap", overlay)]


def test_pdf_export_with_key_images(tmp_path: Path, source: Path) -> None:
    report = _draft(_uid(source), demo=True)
    path = export_pdf(report, tmp_path, key_images=_key_images())
    assert path.name.endswith(f"_r{report.revision}_draft_images.pdf")
    reader = pypdf.PdfReader(path)
    text = _pdf_text(path)
    for expected in (
        "Radiology report",
        "DRAFT — not signed",
        "There is a nodule in the right upper zone.",
        "No pleural effusion. [unreviewed]",
        "Cough for 3 weeks & fever <38 C.",
        "Key images",
        "Current view (window 40/400)",
        "Nodule heatmap",
        "densenet 2.0",
        "DEMO MODEL - NOT FOR CLINICAL USE",
        DEMO_BANNER,
    ):
        assert expected in text.replace("\n", " ").replace("  ", " ") or expected in text, expected
    images = [image for page in reader.pages for image in page.images]
    assert len(images) == 2
    assert max(images[1].image.size) == 1600  # downscaled large image
    meta = reader.metadata
    assert meta is not None and meta.title == "Radiology report"
    assert meta.creator == f"RadAssist {__version__}"
    assert path.stat().st_size < 2_000_000


def test_pdf_export_in_chinese_and_of_a_final_report(tmp_path: Path, source: Path) -> None:
    report = _final(_uid(source), language="zh-CN")
    path = export_pdf(report, tmp_path)
    text = _pdf_text(path)
    assert "放射学报告" in text
    assert "已签署 — Dr Ada Lovelace，2024-05-01 10:00 UTC" in text
    assert "右肺上野见结节影。" in text and "未见胸腔积液及气胸。" in text
    assert "补充报告 — Dr Grace Hopper" in text
    assert "草稿" not in text  # no draft watermark on a final report
    meta = pypdf.PdfReader(path).metadata
    assert meta is not None and meta.author == "Dr Ada Lovelace"


def test_chinese_is_embedded_when_the_workstation_has_a_cjk_font(
    tmp_path: Path, source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.report.export import find_cjk_font

    monkeypatch.setenv("RADASSIST_CJK_FONT", str(tmp_path / "missing.ttc"))
    font = find_cjk_font()  # a missing configured file falls through to the known ones
    if font is None:
        pytest.skip("no CJK font installed (make installs fonts-wqy-microhei)")
    monkeypatch.setenv("RADASSIST_CJK_FONT", str(font))
    assert find_cjk_font() == font
    path = export_pdf(_final(_uid(source), language="zh-CN"), tmp_path)
    data = path.read_bytes()
    assert b"/FontFile2" in data  # the glyphs travel with the PDF (a subset)
    assert "右肺上野见结节影。" in _pdf_text(path)


def test_non_latin_text_in_an_english_report_uses_the_cid_font(tmp_path: Path) -> None:
    report = new_report(_context("1.2.3"), "en").with_section_text(
        Section.FINDINGS, "Nodule (结节) in the right upper zone."
    )
    text = _pdf_text(export_pdf(report, tmp_path))
    assert "Nodule (结节) in the right upper zone." in text


def test_key_image_validation() -> None:
    with pytest.raises(TypeError, match="uint8"):
        KeyImage("x", np.zeros((4, 4), dtype=np.float32))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="RGB"):
        KeyImage("x", np.zeros((4, 4, 4), dtype=np.uint8))
    with pytest.raises(TypeError, match="caption"):
        KeyImage(None, np.zeros((4, 4), dtype=np.uint8))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="KeyImage"):
        export_pdf(_draft("1.2.3"), key_images=[np.zeros((4, 4), dtype=np.uint8)])  # type: ignore[list-item]


# --------------------------------------------------------------------------- DICOM SR


def _content(sr: Dataset) -> list[Dataset]:
    return list(sr.ContentSequence)


def _name(item: Dataset) -> tuple[str, str]:
    code = item.ConceptNameCodeSequence[0]
    return str(code.CodingSchemeDesignator), str(code.CodeValue)


def _containers(sr: Dataset) -> dict[str, list[str]]:
    return {
        item.ConceptNameCodeSequence[0].CodeMeaning: [
            child.TextValue for child in item.ContentSequence if child.ValueType == "TEXT"
        ]
        for item in _content(sr)
        if item.ValueType == "CONTAINER"
    }


def _texts(items: list[Dataset], scheme: str, value: str) -> list[str]:
    return [
        str(i.TextValue) for i in items if i.ValueType == "TEXT" and _name(i) == (scheme, value)
    ]


def test_sr_of_a_draft(tmp_path: Path, source: Path) -> None:
    import highdicom as hd

    ds = dcmread(source)
    report = _draft(str(ds.StudyInstanceUID), demo=True)
    path = export_sr(report, ds, tmp_path / "out")
    sr = hd.sr.srread(path)
    assert path.name == f"SR_{sr.SOPInstanceUID}.dcm"
    assert sr.SOPClassUID == "1.2.840.10008.5.1.4.1.1.88.33"  # Comprehensive SR
    assert sr.StudyInstanceUID == ds.StudyInstanceUID
    assert sr.SeriesInstanceUID != ds.SeriesInstanceUID
    for keyword in ("PatientName", "PatientID", "PatientSex", "StudyDate", "StudyID"):
        assert sr.get(keyword) == ds.get(keyword), keyword
    evidence = sr.CurrentRequestedProcedureEvidenceSequence[0]
    assert evidence.StudyInstanceUID == ds.StudyInstanceUID
    referenced = evidence.ReferencedSeriesSequence[0].ReferencedSOPSequence[0]
    assert referenced.ReferencedSOPInstanceUID == ds.SOPInstanceUID
    assert (sr.CompletionFlag, sr.VerificationFlag, sr.PreliminaryFlag) == (
        "PARTIAL",
        "UNVERIFIED",
        "PRELIMINARY",
    )
    assert "VerifyingObserverSequence" not in sr
    assert sr.SeriesDescription == "DEMO MODEL - NOT FOR CLINICAL USE: Radiology report (draft)"
    assert sr.Manufacturer == "RadAssist" and sr.SoftwareVersions == __version__
    assert sr.SpecificCharacterSet == "ISO_IR 192"
    assert "PixelData" not in sr and "NumberOfFrames" not in sr

    assert _name(sr) == ("LN", "18748-4")
    assert sr.ContentTemplateSequence[0].TemplateIdentifier == "2000"
    assert _containers(sr) == {
        "Clinical Information": ["Cough for 3 weeks & fever <38 C."],
        "Current Procedure Descriptions": ["PA chest radiograph."],
        "Findings": ["There is a nodule in the right upper zone.", "No pleural effusion."],
        "Impressions": ["Right upper zone nodule."],
        "Recommendations": ["Follow-up CT per Fleischner."],
    }
    items = _content(sr)
    language = next(i for i in items if _name(i) == ("DCM", "121049"))
    assert language.RelationshipType == "HAS CONCEPT MOD"
    assert language.ConceptCodeSequence[0].CodeValue == "en"
    devices = _texts(items, "DCM", "121013")  # Device Observer Name
    assert devices == ["RadAssist", "densenet 2.0", "template:cxr-en", "language_model:tiny-lm"]
    assert not [i for i in items if i.ValueType == "PNAME"]  # nobody signed a draft
    comments = _texts(items, "DCM", "121106")
    assert DEMO_BANNER in comments
    assert "2 sentence(s) of engine text not yet reviewed by a person" in comments
    assert "Drafted with: template cxr-en; language model tiny-lm" in comments

    equipment = {
        (e.Manufacturer, e.ManufacturerModelName): e.get("ContributionDescription", "")
        for e in sr.ContributingEquipmentSequence
    }
    assert ("RadAssist", "RadAssist") in equipment
    assert DEMO_BANNER in equipment[("RadAssist", "densenet")]
    assert "template cxr-en" in equipment[("RadAssist", "cxr-en")]
    assert "language model tiny-lm" in equipment[("RadAssist", "tiny-lm")]
    assert ("GE MEDICAL SYSTEMS", "RHAPSODE") in equipment  # the source's acquisition


def test_sr_of_a_final_report(tmp_path: Path, source: Path) -> None:
    ds = dcmread(source, stop_before_pixels=True)
    report = _final(str(ds.StudyInstanceUID))
    sr = dcmread(export_sr(report, source, tmp_path))  # a path source is read here
    assert (sr.CompletionFlag, sr.VerificationFlag, sr.PreliminaryFlag) == (
        "COMPLETE",
        "VERIFIED",
        "FINAL",
    )
    observer = sr.VerifyingObserverSequence[0]
    assert str(observer.VerifyingObserverName) == "Dr Ada Lovelace^"
    assert observer.VerificationDateTime == "20240501100000+0000"
    assert sr.SeriesDescription == "Radiology report"
    items = _content(sr)
    signer = [str(i.PersonName) for i in items if i.ValueType == "PNAME"]
    assert signer == ["Dr Ada Lovelace^"]
    comments = _texts(items, "DCM", "121106")
    assert "Signed with 3 item(s) outstanding. Reason: Discussed with the team" in comments
    assert "– conflict: Effusion: asserts absent" in comments
    assert DEMO_BANNER not in comments
    (addendum,) = [i for i in items if _name(i) == ("DCM", "121078")]
    assert addendum.ObservationDateTime == "20240501100000+0000"
    assert _texts(list(addendum.ContentSequence), "DCM", "121078") == [
        "Compared with the prior study: unchanged."
    ]
    author = [i for i in addendum.ContentSequence if i.ValueType == "PNAME"]
    assert str(author[0].PersonName) == "Dr Grace Hopper^"


def test_sr_in_chinese_from_a_gb18030_source(tmp_path: Path) -> None:
    path = next(Path(p) for p in get_charset_files("chrX2.dcm"))
    ds = dcmread(path)
    assert ds.SpecificCharacterSet == "GB18030"
    report = _draft(str(ds.StudyInstanceUID), language="zh-CN")
    sr = dcmread(export_sr(report, ds, tmp_path))
    assert sr.SpecificCharacterSet == "ISO_IR 192"
    assert str(sr.PatientName) == str(ds.PatientName) == "Wang^XiaoDong=王^小东"
    assert _containers(sr)["Findings"] == ["右肺上野见结节影。", "未见胸腔积液及气胸。"]
    language = next(i for i in _content(sr) if _name(i) == ("DCM", "121049"))
    assert language.ConceptCodeSequence[0].CodeValue == "zh-CN"


def test_the_same_report_gets_the_same_uids(tmp_path: Path, source: Path) -> None:
    ds = dcmread(source, stop_before_pixels=True)
    report = _draft(str(ds.StudyInstanceUID))
    first = make_report_sr(report, ds)
    again = make_report_sr(report, ds)
    edited = make_report_sr(report.with_section_text(Section.COMPARISON, "None."), ds)
    assert first.SOPInstanceUID == again.SOPInstanceUID != edited.SOPInstanceUID
    assert first.SeriesInstanceUID == edited.SeriesInstanceUID  # one series per report
    assert export_sr(report, ds, tmp_path) == export_sr(report, ds, tmp_path)
    assert len(list(tmp_path.glob("SR_*.dcm"))) == 1


def test_sr_refuses_a_source_of_another_study_or_without_uids(source: Path) -> None:
    ds = dcmread(source, stop_before_pixels=True)
    with pytest.raises(UsageError, match="another study"):
        make_report_sr(_draft("1.2.3.4"), ds)
    del ds.SOPInstanceUID
    with pytest.raises(UsageError, match="no SOPInstanceUID"):
        make_report_sr(_draft(str(ds.StudyInstanceUID)), ds)
    with pytest.raises(TypeError, match="Dataset or a path"):
        export_sr(_draft("1.2.3"), 42)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- not beside the source


def test_exports_refuse_the_source_folder(source: Path) -> None:
    ds = dcmread(source, stop_before_pixels=True)
    report = _draft(str(ds.StudyInstanceUID))
    folder = source.parent
    before = sorted(folder.rglob("*"))
    with pytest.raises(UsageError, match="source folder"):
        export_sr(report, ds, folder)  # the dataset's own file tells where it came from
    with pytest.raises(UsageError, match="source folder"):
        export_sr(report, source, folder / "exports")  # nor below it
    with pytest.raises(UsageError, match="source folder"):
        export_text(report, folder, source_folder=folder)
    with pytest.raises(UsageError, match="source folder"):
        export_pdf(report, folder / "sub", source_folder=folder)
    assert sorted(folder.rglob("*")) == before


def test_the_export_folder_is_allowed_below_a_source_folder(tmp_path: Path, source: Path) -> None:
    # A study opened from a folder that holds the user data dir (a home folder).
    ds = dcmread(source, stop_before_pixels=True)
    report = _draft(str(ds.StudyInstanceUID))
    path = export_sr(report, ds, source_folder=tmp_path)
    assert path.parent == tmp_path / "data" / "exports"
    assert export_text(report, source_folder=tmp_path).parent == path.parent


# --------------------------------------------------------------------------- failures


def test_a_full_disk_leaves_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write = os.write

    def full(fd: int, data: bytes | memoryview) -> int:
        if len(data) > 64:
            real_write(fd, bytes(data)[:64])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store_module.os, "write", full)
    out = tmp_path / "out"
    for export in (
        lambda: export_text(_draft("1.2.3"), out),
        lambda: export_pdf(_draft("1.2.3"), out),
    ):
        with pytest.raises(ExportError, match="no space left") as caught:
            export()
        assert str(out) in str(caught.value)
        assert list(out.iterdir()) == []


def test_a_real_full_file_system(tiny_disk: Path, source: Path) -> None:
    report = _draft(_uid(source))
    text = export_text(report, tiny_disk)  # small: fits
    noise = np.random.default_rng(1).integers(0, 255, (1200, 1200, 3), dtype=np.uint8)
    with pytest.raises(ExportError, match="no space left"):
        export_pdf(report, tiny_disk, key_images=[KeyImage("noise", noise)])
    assert sorted(p.name for p in tiny_disk.iterdir()) == [text.name]


def test_an_unwritable_folder_gives_a_clear_error(read_only_dir: Path, source: Path) -> None:
    report = _draft(_uid(source))
    with pytest.raises(ExportError, match=r"not writable|read-only"):
        export_text(report, read_only_dir)
    with pytest.raises(ExportError, match="cannot create the export folder"):
        export_sr(report, source, read_only_dir / "sub")
    assert list(read_only_dir.iterdir()) == []
