"""The tag tree: rows with depth for nested sequences, search that keeps ancestors."""

from __future__ import annotations

import itertools
import zipfile
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset

from core.dicom.records import FileRef
from core.dicom.tags import (
    MAX_LISTED_VALUES,
    MAX_VALUE_CHARS,
    TagRow,
    dataset_rows,
    filter_rows,
    format_tag,
    match_rows,
    read_tag_rows,
)
from core.errors import CancelledError, DicomReadError, NotDicomError
from core.jobs import CancelToken, Progress, run_job
from core.synthetic import write_enhanced_multiframe


def _testfile(name: str) -> str:
    return str(get_testdata_file(name, download=False))


def _rows(name: str) -> list[TagRow]:
    return run_job(read_tag_rows(FileRef(_testfile(name))))


def _by_path(rows: list[TagRow]) -> dict[str, TagRow]:
    return {row.path: row for row in rows}


def test_sr_rows_flatten_nested_sequences_with_depth() -> None:
    rows = _rows("test-SR.dcm")
    paths = _by_path(rows)
    assert len(paths) == len(rows)  # paths are unique

    meta = rows[0]
    assert (meta.tag, meta.keyword, meta.vr, meta.depth) == (
        "(0002,0000)",
        "FileMetaInformationGroupLength",
        "UL",
        0,
    )
    seq = paths["VerifyingObserverSequence"]
    assert (seq.tag, seq.vr, seq.kind, seq.value, seq.depth) == (
        "(0040,A073)",
        "SQ",
        "sequence",
        "2 items",
        0,
    )
    item = paths["VerifyingObserverSequence / Item 1"]
    assert (item.tag, item.keyword, item.kind, item.depth, item.value) == (
        "(FFFE,E000)",
        "Item 1",
        "item",
        1,
        "4 elements",
    )
    deep = paths[
        "VerifyingObserverSequence / Item 1 / VerifyingObserverIdentificationCodeSequence"
        " / Item 1 / CodeMeaning"
    ]
    assert (deep.depth, deep.tag, deep.vr, deep.value, deep.name) == (
        4,
        "(0008,0104)",
        "LO",
        "JR",
        "Code Meaning",
    )
    # Rows come parent first: the item row directly follows its sequence row.
    assert rows[rows.index(seq) + 1] is item
    # A UID value is named when pydicom knows it.
    assert paths["SOPClassUID"].value == "1.2.840.10008.5.1.4.1.1.88.33 (Comprehensive SR Storage)"
    # The SR's content tree nests deeply.
    assert max(row.depth for row in rows) >= 8


def test_filter_keeps_matches_and_their_ancestors() -> None:
    rows = _rows("test-SR.dcm")
    kept = filter_rows(rows, "jr")  # case-insensitive, matches the value "JR"
    assert [(r.depth, r.keyword) for r in kept] == [
        (0, "VerifyingObserverSequence"),
        (1, "Item 1"),
        (2, "VerifyingObserverIdentificationCodeSequence"),
        (3, "Item 1"),
        (4, "CodeMeaning"),
    ]


def test_filter_by_tag_number_keyword_and_name() -> None:
    rows = _rows("test-SR.dcm")
    for query in ("(0040,A088)", "0040,a088", "0040A088", "VerifyingObserverIdentification"):
        kept = filter_rows(rows, query)
        matched = [r for r in kept if r.tag == "(0040,A088)"]
        assert len(matched) == 2, query  # in both Verifying Observer items
        assert {r.keyword for r in kept} == {
            "VerifyingObserverSequence",
            "Item 1",
            "Item 2",
            "VerifyingObserverIdentificationCodeSequence",
        }
    by_name = filter_rows(rows, "Patient's Name")
    assert [r.keyword for r in by_name] == ["PatientName"]
    assert filter_rows(rows, "  ") == rows
    assert filter_rows(rows, "no such thing anywhere") == []
    mask = match_rows(rows, "jr")
    assert sum(mask) == 5 and len(mask) == len(rows)


def test_enhanced_multiframe_functional_groups(tmp_path: Path) -> None:
    path = tmp_path / "mf.dcm"
    write_enhanced_multiframe(path, np.random.default_rng(2), frames=4, size=32)
    events: list[object] = []
    rows = run_job(read_tag_rows(FileRef(str(path))), on_event=events.append)
    assert all(isinstance(e, Progress) for e in events) and events
    paths = _by_path(rows)
    per_frame = paths["PerFrameFunctionalGroupsSequence"]
    assert (per_frame.tag, per_frame.value, per_frame.depth) == ("(5200,9230)", "4 items", 0)
    position = paths[
        "PerFrameFunctionalGroupsSequence / Item 3 / PlanePositionSequence / Item 1"
        " / ImagePositionPatient"
    ]
    assert position.depth == 4 and position.vr == "DS"
    assert position.value.count("\\") == 2
    windows = paths[
        "SharedFunctionalGroupsSequence / Item 1 / FrameVOILUTSequence / Item 1"
        " / WindowCenterWidthExplanation"
    ]
    assert windows.value == "MEDIASTINUM\\LUNG"
    pixel = paths["PixelData"]
    assert pixel.value == f"<{4 * 32 * 32 * 2} bytes>"
    # A search for a position keeps all four frames' items and their sequences.
    kept = filter_rows(rows, "ImagePositionPatient")
    assert sum(r.keyword == "ImagePositionPatient" for r in kept) == 4
    assert sum(r.kind == "item" and r.depth == 1 for r in kept) == 4
    assert kept[0].keyword == "PerFrameFunctionalGroupsSequence"


def test_private_tags_are_named_when_known() -> None:
    rows = _by_path(_rows("CT_small.dcm"))
    creator = rows["(0009,0010)"]
    assert (creator.name, creator.value) == ("Private Creator", "GEMS_IDEN_01")
    known = rows["(0009,1001)"]
    assert known.keyword == ""
    assert known.name == "[Full fidelity]"
    assert known.value == "GE_GENESIS_FF"
    assert rows["(0043,1028)"].value == "<80 bytes>"  # OB shown by its length
    assert filter_rows(list(rows.values()), "full fidelity")[0].tag == "(0009,1001)"


def test_long_multi_valued_and_binary_values_are_shortened() -> None:
    ds = Dataset()
    ds.ImageComments = "x" * 1000 + "\nend"
    ds.add_new(0x00281201, "US", list(range(100)))  # Red Palette LUT Data as numbers
    ds.add_new(0x00091010, "OB", b"\x00" * 37)
    ds.add_new(0x00280034, "IS", [1, 1])  # Pixel Aspect Ratio
    ds.add_new(0x00209165, "AT", 0x00209056)  # Dimension Index Pointer
    rows = _by_path(dataset_rows(ds))
    comment = rows["ImageComments"]
    assert len(comment.value) == MAX_VALUE_CHARS and comment.value.endswith("…")
    assert comment.full_value is not None and comment.full_value.endswith("end")
    assert comment.copy_text == comment.full_value
    lut = rows["RedPaletteColorLookupTableData"]
    assert lut.value.startswith("0\\1\\2\\")
    assert lut.value.endswith("… (100 values)")
    assert lut.value.count("\\") == MAX_LISTED_VALUES
    assert rows["(0009,1010)"].value == "<37 bytes>"
    assert rows["PixelAspectRatio"].value == "1\\1"
    assert rows["PixelAspectRatio"].copy_text == "1\\1"
    assert rows["DimensionIndexPointer"].value == "(0020,9056)"


def test_rows_for_every_pydicom_file_with_sequences() -> None:
    for name in ("rtplan.dcm", "rtstruct.dcm", "nested_priv_SQ.dcm", "UN_sequence.dcm"):
        rows = _rows(name)
        assert rows, name
        # Depth never jumps by more than one from a row to the next.
        for before, after in itertools.pairwise(rows):
            assert after.depth <= before.depth + 1, (name, after.path)
        # Every item sits directly under a sequence row.
        stack: list[TagRow] = []
        for row in rows:
            del stack[row.depth :]
            if row.kind == "item":
                assert stack[-1].kind == "sequence", (name, row.path)
            stack.append(row)


def test_dataset_rows_without_file_meta() -> None:
    ds = pydicom.dcmread(_testfile("CT_small.dcm"))
    rows = dataset_rows(ds, include_meta=False)
    assert rows[0].tag.startswith("(0008,")
    assert all(not r.tag.startswith("(0002,") for r in rows)


def test_zip_member_and_errors(tmp_path: Path) -> None:
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(_testfile("MR_small.dcm"), "dir/mr.dcm")
    rows = run_job(read_tag_rows(FileRef(str(archive), "dir/mr.dcm")))
    assert _by_path(rows)["Modality"].value == "MR"
    assert _by_path(rows)["PixelData"].value == f"<{64 * 64 * 2} bytes>"

    text = tmp_path / "notes.txt"
    text.write_bytes(b"")
    with pytest.raises((NotDicomError, DicomReadError)) as caught:
        run_job(read_tag_rows(FileRef(str(text))))
    assert str(text) in str(caught.value)
    with pytest.raises(DicomReadError, match="cannot open"):
        run_job(read_tag_rows(FileRef(str(tmp_path / "missing.dcm"))))
    token = CancelToken()
    token.cancel()
    with pytest.raises(CancelledError):
        run_job(read_tag_rows(FileRef(_testfile("MR_small.dcm")), token))


def test_arguments_are_checked() -> None:
    with pytest.raises(TypeError, match="Dataset"):
        dataset_rows("not a dataset")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="text"):
        filter_rows([], None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="TagRow"):
        filter_rows(["x"], "a")  # type: ignore[list-item]
    with pytest.raises(TypeError, match="FileRef"):
        next(read_tag_rows("/x"))  # type: ignore[arg-type]
    assert format_tag(0x7FE00010) == "(7FE0,0010)"
    with pytest.raises(ValueError):
        format_tag(-1)
    with pytest.raises(TypeError):
        format_tag("0010")  # type: ignore[arg-type]


def test_deferred_sequences_are_still_walked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Large values stay on disk, but a large sequence is the tree itself and must be read.
    import core.dicom.tags as tags

    monkeypatch.setattr(tags, "_DEFER_SIZE", 256)
    path = tmp_path / "mf.dcm"
    write_enhanced_multiframe(path, np.random.default_rng(3), frames=6, size=32)
    rows = _by_path(run_job(read_tag_rows(FileRef(str(path)))))
    assert rows["PerFrameFunctionalGroupsSequence"].value == "6 items"
    assert "PerFrameFunctionalGroupsSequence / Item 6 / PlanePositionSequence" in rows
    assert rows["PixelData"].value == f"<{6 * 32 * 32 * 2} bytes>"
    assert rows["PixelData"].vr == "OW"
