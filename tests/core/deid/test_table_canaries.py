"""Every attribute of PS3.15 Table E.1-1 gets a canary; after export none survives.

The table is the test's own copy (data/ps3_15_table_e1_1.csv, with where it comes from
in its header). A generated CT study gets a canary value in every attribute of the
table that pydicom knows, in a sequence item under each sequence, in private elements
(top level and inside a kept sequence), in a curve and an overlay; it is exported
de-identified (Basic profile, no option) to a folder and to media (DICOMDIR), and then:
every attribute is removed, emptied or replaced as the table's action says, and no
canary is found anywhere in the bytes of the exported files.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pydicom
import pytest
from pydicom.datadict import dictionary_VR, keyword_for_tag
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian

from core.deid import DeidOptions, deidentify_study
from tests.core.deid.study_helpers import Row, exported_bytes, exported_datasets, read_table

pytestmark = pytest.mark.usefixtures("private_data_dir")

#: The instance's own identity: given by the generator (each file its own), checked apart.
OWN_UIDS = {0x00080018, 0x0020000D, 0x0020000E, 0x00200052}
_NUMERIC_VRS = {"US", "SS", "UL", "SL", "FL", "FD", "UV", "SV", "AT", "OF", "OD", "OL", "OV"}


def _canary(vr: str, idx: int) -> object:
    """A value that is this attribute's alone, valid for its VR."""
    day = dt.date(1800, 1, 1) + dt.timedelta(days=1000 * (idx % 90) + idx // 90)
    if vr == "DA":
        return day.strftime("%Y%m%d")
    if vr == "TM":
        return f"101010.{idx:06d}"
    if vr == "DT":
        return day.strftime("%Y%m%d") + f"101010.{idx:06d}"
    if vr == "UI":
        return f"1.2.826.0.1.3680043.10.1234.{idx}"
    if vr in ("IS", "DS"):
        return f"7{idx:08d}"
    if vr == "AS":
        return "042Y"
    if vr in ("OB", "OW", "UN"):
        return f"CNRY{idx:04d}".encode()
    if vr in _NUMERIC_VRS:
        return 7
    return f"CNRY{idx:04d}"


def _searchable(value: object) -> bytes | None:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str) and value != "042Y":
        return value.encode()
    return None


def _plant(ds: Dataset, rows: list[tuple[Row, int, str]]) -> dict[int, object]:
    """Put a canary in every attribute of ``rows``; return tag → canary."""
    planted: dict[int, object] = {}
    for _row, tag, vr in rows:
        idx = len(planted) + 1
        if vr == "SQ":
            item = Dataset()
            item.PatientName = f"CNRY{idx:04d}^SQ"
            block = item.private_block(0x0011, "CNRY CREATOR", create=True)
            block.add_new(0x10, "LO", f"CNRY{idx:04d}P")
            ds.add_new(tag, "SQ", Sequence([item]))
            planted[tag] = f"CNRY{idx:04d}"
            continue
        value = _canary(vr, idx)
        ds.add_new(tag, vr, value)
        planted[tag] = value
    block = ds.private_block(0x0099, "CNRY PRIVATE", create=True)
    block.add_new(0x01, "LO", "CNRYPRIV")
    ds.add_new(0x50003000, "OB", b"CNRYCURV")  # Curve Data
    ds.add_new(0x60004000, "LT", "CNRYOVLC")  # Overlay Comments
    ds.add_new(0x60003000, "OB", b"CNRYOVLD")  # Overlay Data
    return planted


def _rows() -> list[tuple[Row, int, str]]:
    rows = []
    for row in read_table():
        if "X" in row.tag:
            continue  # repeating groups (curves, overlays): planted by hand above
        tag = int(row.tag, 16)
        # Command (0000), File Meta (0002) and Directory (0004) elements: "not normally
        # found in a Dataset" (E.1.1 note 1); the File Meta is rewritten whole.
        if tag >> 16 in (0x0000, 0x0002, 0x0004) or tag in OWN_UIDS:
            continue
        if not keyword_for_tag(tag):
            continue  # newer than pydicom's dictionary
        vr = dictionary_VR(tag).split(" or ")[0]
        rows.append((row, tag, vr))
    return rows


@pytest.fixture(scope="module")
def planted_export(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    import numpy as np

    from core.synthetic import write_ct_series

    root = tmp_path_factory.mktemp("canaries")
    source = root / "source"
    write_ct_series(
        source, np.random.default_rng(3), slices=3, size=32, transfer_syntax=ExplicitVRLittleEndian
    )
    rows = _rows()
    planted: dict[int, object] = {}
    originals: list[Dataset] = []
    for path in sorted(source.iterdir()):
        ds = pydicom.dcmread(path)
        planted = _plant(ds, rows)
        ds.save_as(path, enforce_file_format=True)
        originals.append(ds)
    result = deidentify_study(source, root / "out", DeidOptions())
    # The same files for media: less the two attributes that make pydicom's FileSet file
    # a CT image as a document or an RT plan (Encapsulated Document, RT Plan Label).
    media_source = root / "media-source"
    media_source.mkdir()
    for number, path in enumerate(sorted(source.iterdir())):
        copy = pydicom.dcmread(path)
        del copy[0x00420011], copy[0x300A0002]
        copy.save_as(media_source / f"{number}.dcm", enforce_file_format=True)
    deidentify_study(media_source, root / "media", DeidOptions(), dicomdir=True)
    return {
        "rows": rows,
        "planted": planted,
        "originals": originals,
        "result": result,
        "out": root / "out",
        "media": root / "media",
    }


def test_the_table_is_read_and_most_of_it_planted(planted_export: dict[str, object]) -> None:
    rows = planted_export["rows"]
    assert isinstance(rows, list)
    # Table E.1-1 has several hundred rows; all but the few pydicom does not know are planted.
    assert len(read_table()) > 600
    assert len(rows) > 550


def test_every_attribute_takes_the_action_the_table_says(planted_export: dict[str, object]) -> None:
    rows = planted_export["rows"]
    planted = planted_export["planted"]
    assert isinstance(rows, list) and isinstance(planted, dict)
    exported = [ds for ds in exported_datasets(Path(str(planted_export["out"])))]
    assert len(exported) == 3
    replaced_uids: dict[int, set[str]] = {}
    wrong: list[str] = []
    for ds in exported:
        for row, tag, vr in rows:
            canary = planted[tag]
            element = ds.get(tag)
            value = None if element is None else element.value
            if row.basic == "X":
                if element is not None:
                    wrong.append(f"{row.name} ({row.tag}) X but present")
                continue
            if vr != "SQ" and value == canary:
                wrong.append(f"{row.name} ({row.tag}) {row.basic} but unchanged")
            if row.basic in ("Z", "D", "U") and element is None:
                wrong.append(f"{row.name} ({row.tag}) {row.basic} but removed")
            if row.basic == "D" and not value and value != 0:
                wrong.append(f"{row.name} ({row.tag}) D but empty")
            if row.basic == "U" and vr == "UI":
                replaced_uids.setdefault(tag, set()).add(str(value))
    assert wrong == []
    # One original UID, one replacement, in every file of the export.
    assert all(len(values) == 1 for values in replaced_uids.values()), replaced_uids


def test_no_canary_survives_anywhere_in_the_exported_bytes(
    planted_export: dict[str, object],
) -> None:
    planted = planted_export["planted"]
    assert isinstance(planted, dict)
    canaries = [c for c in (_searchable(v) for v in planted.values()) if c is not None]
    canaries += [
        b"CNRYPRIV",
        b"CNRY CREATOR",
        b"CNRY PRIVATE",
        b"CNRYCURV",
        b"CNRYOVLC",
        b"CNRYOVLD",
    ]
    originals = planted_export["originals"]
    assert isinstance(originals, list)
    for ds in originals:  # the generated patient and study identity too
        canaries += [str(ds.PatientName).encode(), str(ds.PatientID).encode()]
        canaries += [str(ds.StudyInstanceUID).encode(), str(ds.SOPInstanceUID).encode()]
        canaries += [str(ds.SeriesInstanceUID).encode(), str(ds.AccessionNumber).encode()]
    patterns = [re.compile(rb"(?<![0-9])" + re.escape(c) + rb"(?![0-9])") for c in canaries]
    files = exported_bytes(Path(str(planted_export["out"])))
    assert len(files) == 3
    media = exported_bytes(Path(str(planted_export["media"])))
    assert [path.name for path, _ in media].count("DICOMDIR") == 1 and len(media) == 4
    files += media
    found = [
        f"{c.decode(errors='replace')} in {path.name}"
        for path, data in files
        for c, pattern in zip(canaries, patterns, strict=True)
        if pattern.search(data)
    ]
    assert found == []


def test_the_export_records_how_it_was_de_identified(planted_export: dict[str, object]) -> None:
    for ds in exported_datasets(Path(str(planted_export["out"]))):
        assert ds.PatientIdentityRemoved == "YES"
        assert "BASIC PROFILE" in ds.DeidentificationMethod
        codes = [
            (c.CodeValue, c.CodingSchemeDesignator) for c in ds.DeidentificationMethodCodeSequence
        ]
        assert codes == [("113100", "DCM")]
        assert ds.preamble in (None, b"\x00" * 128)
