"""Person Names in every character set: the ideographic form first, never an escape sequence."""

from __future__ import annotations

import io
import unicodedata
from pathlib import Path

import pydicom
import pytest
from pydicom.data import get_charset_files
from pydicom.dataset import Dataset

from core.dicom.geometry import compute_geometry
from core.dicom.index import scan
from core.dicom.overlays import compose_overlay, read_display_header
from core.dicom.person_name import decode_person_name, format_person_name, person_name_groups
from core.dicom.records import FileRef
from core.dicom.tags import read_tag_rows
from core.jobs import run_job
from tests.core.test_index import make_image, write

# PS3.5 Annex K.2: "Zhang^XiaoDong=张^小东=" in ISO 2022 IR 58 (GB2312), each
# ideographic component introduced by its escape sequence.
GB2312_NAME = b"Zhang^XiaoDong=\x1b$)A\xd5\xc5^\x1b$)A\xd0\xa1\xb6\xab="


def _charset_file(name: str) -> Dataset:
    paths = get_charset_files(name)
    assert paths, f"pydicom's bundled {name} is missing"
    return pydicom.dcmread(paths[0])


def _read_back(name: bytes, character_sets: list[str] | None) -> Dataset:
    """A dataset holding ``name`` as written to a file and read back, as the index reads it."""
    ds = Dataset()
    if character_sets is not None:
        ds.SpecificCharacterSet = character_sets
    ds.add_new(0x00100010, "PN", name)
    stream = io.BytesIO()
    ds.save_as(stream, implicit_vr=True, little_endian=True)
    return pydicom.dcmread(io.BytesIO(stream.getvalue()), force=True)


def _no_controls(text: str) -> bool:
    return not any(unicodedata.category(ch) in ("Cc", "Cf") for ch in text)


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("chrX1.dcm", "王小東 (Wang, XiaoDong)"),  # UTF-8
        ("chrX2.dcm", "王小东 (Wang, XiaoDong)"),  # GB18030
        ("chrH31.dcm", "山田太郎 (Yamada, Tarou)"),  # ISO 2022 IR 87
        ("chrH32.dcm", "山田太郎 (ﾔﾏﾀﾞ, ﾀﾛｳ)"),  # ISO 2022 IR 13 + 87
        ("chrI2.dcm", "洪吉洞 (Hong, Gildong)"),  # ISO 2022 IR 149
        ("chrKoreanMulti.dcm", "김희중"),
        ("chrJapMulti.dcm", "やまだたろう"),  # kana in the first group
        ("chrFren.dcm", "Buc, Jérôme"),
        ("chrGerm.dcm", "Äneas, Rüdiger"),
        ("chrRuss.dcm", "Люкceмбypг"),
        ("chrArab.dcm", "قباني, لنزار"),
    ],
)
def test_pydicom_charset_files_show_the_ideographic_form_beside_the_alphabetic(
    name: str, shown: str
) -> None:
    ds = _charset_file(name)
    assert format_person_name(ds.PatientName) == shown


def test_iso_2022_ir_58_name_shows_no_escape_sequence() -> None:
    # pydicom decodes GB2312 but leaves "\x1b$)A" in the text
    ds = _read_back(GB2312_NAME, ["", "ISO 2022 IR 58"])
    assert "\x1b" in str(ds.PatientName)
    assert format_person_name(ds.PatientName) == "张小东 (Zhang, XiaoDong)"
    assert decode_person_name(ds.PatientName) == "Zhang^XiaoDong=张^小东"
    assert format_person_name(GB2312_NAME, ["", "ISO 2022 IR 58"]) == "张小东 (Zhang, XiaoDong)"


def test_undeclared_escape_sequence_is_decoded_from_what_it_designates() -> None:
    # No Specific Character Set: pydicom falls back to latin-1, giving "ÕÅ^Ð¡¶«"
    ds = _read_back(GB2312_NAME, None)
    with pytest.warns(UserWarning):
        assert "Õ" in str(ds.PatientName)
    assert format_person_name(ds.PatientName) == "张小东 (Zhang, XiaoDong)"
    assert format_person_name(GB2312_NAME) == "张小东 (Zhang, XiaoDong)"
    assert format_person_name(str(ds.PatientName)) == "张小东 (Zhang, XiaoDong)"


def test_control_characters_never_reach_the_display() -> None:
    for value in ("Doe\x1b(B^John\x07", "Doe^\u202eJohn", "\x00Doe^John\r\n"):
        shown = format_person_name(value)
        assert shown == "Doe, John"
        assert _no_controls(shown)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("", ""),
        (None, ""),
        ("DOE", "DOE"),
        ("DOE^JOHN^Q^Dr^Jr", "DOE, Dr JOHN Q Jr"),
        ("^John", "John"),
        ("Doe^John^^^", "Doe, John"),
        ("=王^小东", "王小东"),
        ("=山田^太郎=やまだ^たろう", "山田太郎 (やまだたろう)"),
        ("Wang^XiaoDong==", "Wang, XiaoDong"),
        ("Kim=Kim", "Kim"),
    ],
)
def test_display_forms(value: str | None, shown: str) -> None:
    assert format_person_name(value) == shown


def test_groups_are_returned_in_display_form() -> None:
    ds = _charset_file("chrH31.dcm")
    assert person_name_groups(ds.PatientName) == ("Yamada, Tarou", "山田太郎", "やまだたろう")


def test_wrong_character_sets_type_is_refused() -> None:
    with pytest.raises(TypeError, match="character_sets"):
        format_person_name(b"Doe", 5)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------
# Every place a name is read keeps the decoded value and shows the display form


def _write_named_images(folder: Path) -> dict[str, Path]:
    """One image per character set, the name's bytes as the site wrote them."""
    h31 = _charset_file("chrH31.dcm")
    names = {
        "gb2312": (GB2312_NAME, ["", "ISO 2022 IR 58"]),
        "jis": (h31.PatientName.original_string, list(h31.SpecificCharacterSet)),
        "utf8": ("Wang^XiaoDong=王^小东".encode(), ["ISO_IR 192"]),
    }
    paths: dict[str, Path] = {}
    for number, (key, (raw, charsets)) in enumerate(names.items(), start=1):
        ds = make_image(
            study=f"1.2.826.0.1.3680043.8.498.10{number}",
            series=f"1.2.826.0.1.3680043.8.498.20{number}",
            SpecificCharacterSet=charsets,
            PatientID=f"P{number}",
        )
        ds.PatientName = raw
        paths[key] = write(ds, folder / f"{key}.dcm")
    return paths


EXPECTED_RECORDED = {
    "gb2312": "Zhang^XiaoDong=张^小东",
    "jis": "Yamada^Tarou=山田^太郎=やまだ^たろう",
    "utf8": "Wang^XiaoDong=王^小东",
}
EXPECTED_SHOWN = {
    "gb2312": "张小东 (Zhang, XiaoDong)",
    "jis": "山田太郎 (Yamada, Tarou)",
    "utf8": "王小东 (Wang, XiaoDong)",
}


def test_index_records_and_display_header_show_the_decoded_name(tmp_path: Path) -> None:
    paths = _write_named_images(tmp_path)
    index = scan(tmp_path)
    by_id = {p.patient_id: p for p in index.patients}
    for number, key in enumerate(paths, start=1):
        patient = by_id[f"P{number}"]
        assert patient.patient_name == EXPECTED_RECORDED[key]
        series = patient.studies[0].series[0]
        header = read_display_header(series)
        assert header.patient_name == EXPECTED_SHOWN[key]
        overlay = compose_overlay(header, compute_geometry(series), 0, (40.0, 400.0), 1.0)
        assert overlay.top_left[0] == EXPECTED_SHOWN[key]
        assert all(_no_controls(line) for line in overlay.top_left)


def test_tag_rows_show_every_group_and_no_escape_sequence(tmp_path: Path) -> None:
    paths = _write_named_images(tmp_path)
    for key, path in paths.items():
        rows = run_job(read_tag_rows(FileRef(str(path))))
        (row,) = [r for r in rows if r.keyword == "PatientName"]
        assert row.value == EXPECTED_RECORDED[key]
        assert _no_controls(row.value)


def test_cli_scan_prints_the_display_form(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from core.cli import main

    _write_named_images(tmp_path)
    assert main(["scan", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for shown in EXPECTED_SHOWN.values():
        assert f"Patient {shown} [" in out
    assert "\x1b" not in out
