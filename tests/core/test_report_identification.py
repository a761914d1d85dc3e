"""A signed report identifies its patient and examination: the text and the PDF (every page)
carry the same identification as the DICOM SR, from the same header; the language-model
prompt carries none of it."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from pydicom import Dataset, dcmread
from pydicom.data import get_charset_files
from pydicom.uid import generate_uid

from core.errors import UsageError
from core.report.context import study_context_from_dataset
from core.report.document import FindingFact, Report, Section, new_report
from core.report.export import export_pdf, export_sr, export_text, format_report_text
from core.report.identification import (
    IDENTIFICATION_LABELS,
    MISSING,
    identification_fields,
    identification_from_dataset,
)
from core.report.llm import DraftMode, build_messages
from tests.core.report_helpers import make_report_context

pypdf = pytest.importorskip("pypdf")
pytestmark = pytest.mark.usefixtures("private_data_dir")

SIGNED_AT = "2024-05-01T10:00:00+00:00"
#: What a person reads in the English export, field by field, for :func:`_header`.
ENGLISH_LINES = [
    "Patient name: Doe, Jane Q",
    "Patient ID: PID-7731942",
    "Birth date: 1970-02-14 (53 years)",
    "Sex: female",
    "Accession number: ACC20240117",
    "Study date/time: 2024-01-17 14:32",
    "Modality: DX",
    "Study description: CHEST PA",
    "Referring physician: House, Gregory",
    "Institution: Saint Elsewhere Hospital",
]
#: Values that identify the patient or the examination (never in a prompt), raw and shown.
IDENTIFIERS = [
    "Doe",
    "Jane",
    "PID-7731942",
    "19700214",
    "1970-02-14",
    "ACC20240117",
    "20240117",
    "2024-01-17",
    "143210",
    "14:32",
    "House",
    "Gregory",
    "Saint Elsewhere",
]


def _header(**changes: str) -> Dataset:
    """An image header with every identifying attribute filled in."""
    ds = Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.1.1"  # Digital X-Ray Image Storage
    ds.SOPInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.8.498.4242"
    ds.PatientName = "Doe^Jane^Q"
    ds.PatientID = "PID-7731942"
    ds.PatientBirthDate = "19700214"
    ds.PatientSex = "F"
    ds.AccessionNumber = "ACC20240117"
    ds.StudyID = "ST99812"
    ds.StudyDate = "20240117"
    ds.StudyTime = "143210"
    ds.Modality = "DX"
    ds.BodyPartExamined = "CHEST"
    ds.ViewPosition = "PA"
    ds.StudyDescription = "CHEST PA"
    ds.ReferringPhysicianName = "House^Gregory"
    ds.InstitutionName = "Saint Elsewhere Hospital"
    for keyword, value in changes.items():
        setattr(ds, keyword, value)
    return ds


def _report(ds: Dataset, language: str = "en", *, paragraphs: int = 1) -> Report:
    context = make_report_context(
        study=study_context_from_dataset(ds),
        findings=(FindingFact("Nodule", "positive", 0.81, 0.5, "right", "upper", "densenet 2.0"),),
        models=("densenet 2.0",),
    )
    if language == "zh-CN":
        findings = "右肺上野见结节影。未见胸腔积液及气胸。"
        impression = "右肺上野结节，建议CT随访。"
    else:
        findings = "There is a nodule in the right upper zone. No pleural effusion."
        impression = "Right upper zone nodule."
    return (
        new_report(context, language)
        .with_section_text(Section.FINDINGS, " ".join([findings] * paragraphs))
        .with_section_text(Section.IMPRESSION, impression)
    )


def _long_final(ds: Dataset, language: str = "en") -> Report:
    # Long findings and many addenda: three pages or more.
    report = _report(ds, language, paragraphs=40).sign("Dr Ada Lovelace", signed_at=SIGNED_AT)
    for number in range(12):
        report = report.add_addendum(
            f"Addendum {number + 1}: compared with the prior study, unchanged.",
            "Dr Grace Hopper",
            signed_at=SIGNED_AT,
        )
    return report


def _pages(path: Path) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(path).pages]


# --------------------------------------------------------------------------- plain text


def test_the_text_export_identifies_patient_and_examination(tmp_path: Path) -> None:
    ds = _header()
    report = _report(ds)
    path = export_text(report, tmp_path, identification=identification_from_dataset(ds))
    text = path.read_text("utf-8")
    lines = text.splitlines()
    assert lines[:2] == ["RADIOLOGY REPORT", "DRAFT — not signed"]
    assert lines[2:12] == ENGLISH_LINES
    assert "FINDINGS\nThere is a nodule" in text
    assert path.stat().st_mode & 0o777 == 0o600  # it names the patient: owner-only


def test_missing_values_print_as_a_dash_never_none(tmp_path: Path) -> None:
    ds = Dataset()
    ds.StudyInstanceUID = "1.2.3.4"
    ds.Modality = "CT"
    ds.PatientName = None  # present but empty
    ds.StudyTime = "0905"  # a time without a date
    identification = identification_from_dataset(ds)
    text = format_report_text(_report(ds), identification)
    lines = text.splitlines()[2:12]
    assert lines == [
        "Patient name: —",
        "Patient ID: —",
        "Birth date: —",
        "Sex: —",
        "Accession number: —",
        "Study date/time: 09:05",
        "Modality: CT",
        "Study description: —",
        "Referring physician: —",
        "Institution: —",
    ]
    assert "None" not in text


def test_control_characters_and_iso_2022_names_never_show(tmp_path: Path) -> None:
    # Japanese in ISO 2022 IR 13 / IR 87 (escape sequences in the file).
    ds = dcmread(get_charset_files("chrH32.dcm")[0])
    ds.InstitutionName = "Hospital\x1b\x00 Tokyo"
    identification = identification_from_dataset(ds)
    fields = dict(identification_fields(identification, "en"))
    assert fields["Patient name"] == "山田太郎 (ﾔﾏﾀﾞ, ﾀﾛｳ)"
    assert fields["Institution"] == "Hospital Tokyo"
    text = format_report_text(_report(ds), identification)
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", text)


def test_an_identification_of_another_study_is_refused(tmp_path: Path) -> None:
    other = identification_from_dataset(_header(StudyInstanceUID="1.2.3.999"))
    report = _report(_header())
    with pytest.raises(UsageError, match="another study"):
        export_text(report, tmp_path / "out", identification=other)
    with pytest.raises(UsageError, match="another study"):
        export_pdf(report, tmp_path / "out", identification=other)
    assert not (tmp_path / "out").exists()
    with pytest.raises(TypeError, match="ReportIdentification"):
        format_report_text(report, {"PatientID": "x"})  # type: ignore[arg-type]


def test_identifiers_stay_out_of_repr() -> None:
    identification = identification_from_dataset(_header())
    shown = repr(identification)
    assert "Doe" not in shown and "PID-7731942" not in shown and "ACC20240117" not in shown
    assert "1.2.826.0.1.3680043.8.498.4242" in shown  # which study it is, for debugging


# --------------------------------------------------------------------------- PDF


def test_every_pdf_page_carries_the_identification_and_page_x_of_y(tmp_path: Path) -> None:
    ds = _header()
    identification = identification_from_dataset(ds)
    path = export_pdf(_long_final(ds), tmp_path, identification=identification)
    assert path.stat().st_mode & 0o777 == 0o600
    pages = _pages(path)
    assert len(pages) >= 2
    for number, text in enumerate(pages, start=1):
        flat = " ".join(text.split())
        for line in ENGLISH_LINES:
            label, value = line.split(": ", 1)
            assert label in flat and value in flat, (number, line)
        assert f"Page {number} of {len(pages)}" in flat, number
    # The last page ends with the addenda: the story went on under the header.
    assert "Addendum 12: compared with the prior study, unchanged." in " ".join(pages[-1].split())


def test_a_chinese_report_uses_chinese_labels(tmp_path: Path) -> None:
    ds = dcmread(get_charset_files("chrX2.dcm")[0])  # GB18030: Wang^XiaoDong=王^小东
    ds.StudyDate, ds.StudyTime, ds.Modality = "20240117", "083000", "DX"
    ds.AccessionNumber, ds.StudyDescription = "A123", "胸部正位"
    ds.ReferringPhysicianName, ds.InstitutionName = "Li^Hua=李^华", "北京协和医院"
    identification = identification_from_dataset(ds)
    report = _report(ds, "zh-CN")
    text = export_text(report, tmp_path, identification=identification).read_text("utf-8")
    labels = IDENTIFICATION_LABELS["zh-CN"]
    for key, value in (
        ("patient_name", "王小东 (Wang, XiaoDong)"),
        ("patient_id", identification.patient_id or MISSING),
        ("sex", "男" if identification.patient_sex == "M" else MISSING),
        ("accession_number", "A123"),
        ("study_date_time", "2024-01-17 08:30"),
        ("modality", "DX"),
        ("study_description", "胸部正位"),
        ("referring_physician", "李华 (Li, Hua)"),
        ("institution", "北京协和医院"),
    ):
        assert f"\n{labels[key]}：{value}\n" in text, key
    assert f"\n{labels['birth_date']}：" in text
    for label in ("姓名", "患者ID", "出生日期", "性别", "检查号", "检查日期", "设备类型"):
        assert f"\n{label}：" in text
    for label in ("检查描述", "申请医生", "医院"):
        assert f"\n{label}：" in text

    pages = _pages(export_pdf(_long_final(ds, "zh-CN"), tmp_path, identification=identification))
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        flat = "".join(page.split())
        for needle in ("姓名", "王小东", "检查号", "A123", "申请医生", "北京协和医院"):
            assert needle in flat, (number, needle)
        assert f"第{number}页，共{len(pages)}页" in flat


def test_an_english_report_of_a_chinese_patient_shows_the_name(tmp_path: Path) -> None:
    ds = dcmread(get_charset_files("chrX2.dcm")[0])
    identification = identification_from_dataset(ds)
    pages = _pages(export_pdf(_report(ds), tmp_path, identification=identification))
    assert "王小东 (Wang, XiaoDong)" in pages[0]
    assert "Patient name" in pages[0] and "Page 1 of 1" in pages[0]


# --------------------------------------------------------------------------- one source


def test_the_sr_text_and_pdf_say_the_same_from_the_same_header(tmp_path: Path) -> None:
    ds = _header()
    report = _report(ds)
    identification = identification_from_dataset(ds)
    sr = dcmread(export_sr(report, ds, tmp_path / "sr"))
    assert sr.Modality == "SR"  # the SR's own modality; the examined one is the text's
    from_sr = dataclasses.replace(identification_from_dataset(sr), modality="DX")
    assert from_sr == identification
    assert (str(sr.PatientName), sr.PatientID, sr.AccessionNumber) == (
        "Doe^Jane^Q",
        "PID-7731942",
        "ACC20240117",
    )
    assert (sr.StudyDescription, sr.InstitutionName) == ("CHEST PA", "Saint Elsewhere Hospital")
    assert str(sr.ReferringPhysicianName) == "House^Gregory"
    assert format_report_text(report, from_sr) == format_report_text(report, identification)
    pdf = " ".join(_pages(export_pdf(report, tmp_path, identification=identification))[0].split())
    for label, value in identification_fields(from_sr, "en", age_years=53):
        assert f"{label} {value}" in pdf or (label in pdf and value in pdf), label


def test_a_control_character_in_the_source_does_not_reach_the_sr(tmp_path: Path) -> None:
    ds = _header(InstitutionName="Saint\x00 Elsewhere")
    sr = dcmread(export_sr(_report(ds), ds, tmp_path))
    assert sr.InstitutionName == "Saint Elsewhere"


# --------------------------------------------------------------------------- never a prompt


def test_the_prompt_holds_no_identification() -> None:
    ds = _header()
    identification = identification_from_dataset(ds)
    shown = [value for _, value in identification_fields(identification, "en", age_years=53)]
    assert "Doe, Jane Q" in shown  # the export does show them...
    context = _report(ds).context
    for mode, selection in (
        (DraftMode.REPORT, None),
        (DraftMode.IMPRESSION, None),
        (DraftMode.REWRITE, "There is a nodule."),
    ):
        for language in ("en", "zh-CN"):
            prompt = "\n".join(
                m["content"] for m in build_messages(context, mode, language, selection)
            )
            # ...the prompt never (sex, modality and description are coded facts it may use)
            for value in [*IDENTIFIERS, *shown[0:3], *shown[4:6], *shown[8:10]]:
                assert value.lower() not in prompt.lower(), (mode, language, value)
            assert "CHEST, PA" in prompt  # coded facts only: the examination, not the person
