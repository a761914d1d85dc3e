"""A stale or partial DICOMDIR: the folder is read whole; how far the DICOMDIR is off is a note."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pydicom.fileset import FileSet

from core.dicom.dicomdir import DicomdirListing, describe_dicomdir, match_dicomdir
from core.dicom.index import scan
from core.dicom.records import FileRef, StudyIndex
from tests.core.test_index import make_image, write

SERIES_A = "1.2.826.0.1.3680043.8.498.31"
SERIES_B = "1.2.826.0.1.3680043.8.498.32"


def _image(number: int, series: str = SERIES_A) -> object:
    return make_image(
        series=series,
        position=(0.0, 0.0, float(number)),
        instance_number=number,
        StudyTime="120000",
        StudyID="1",
    )


def _write_media(root: Path, count: int = 4) -> list[Path]:
    """A patient CD as pydicom's FileSet writes it: DICOMDIR + PT000000/ST000000/..."""
    fs = FileSet()
    for number in range(1, count + 1):
        fs.add(_image(number))
    fs.write(root)
    return sorted(p for p in root.rglob("IM*") if p.is_file())


def _images(index: StudyIndex) -> set[str]:
    return {inst.ref.path for s in index.all_series() for inst in s.instances}


def test_exact_dicomdir_reads_its_files_and_says_nothing(tmp_path: Path) -> None:
    listed = _write_media(tmp_path)
    index = scan(tmp_path)
    assert _images(index) == {str(p) for p in listed}
    assert index.notes == ()
    assert index.unreadable == ()


def test_files_the_dicomdir_does_not_list_are_read_and_noted(tmp_path: Path) -> None:
    listed = _write_media(tmp_path)
    # Copied onto the stick after the DICOMDIR was written: another series, one more slice.
    late = [
        write(_image(9, SERIES_B), tmp_path / "LATE" / "IMG0001"),
        write(_image(10, SERIES_B), tmp_path / "LATE" / "IMG0002"),
        write(_image(5), tmp_path / "PT000000" / "ST000000" / "SE000000" / "IM000099"),
    ]
    (tmp_path / "AUTORUN.INF").write_text("[autorun]\n")  # not DICOM: neither read nor noted
    for target in (tmp_path, tmp_path / "DICOMDIR"):  # the folder, or the DICOMDIR itself
        index = scan(target)
        assert _images(index) == {str(p) for p in listed + late}
        by_series = {s.series_instance_uid: len(s.instances) for s in index.all_series()}
        assert by_series == {SERIES_A: 5, SERIES_B: 2}
        assert index.unreadable == ()
        (note,) = index.notes
        assert note.kind == "dicomdir"
        assert note.message == (
            "The DICOMDIR is out of date: 3 DICOM files in the folder are not listed in it "
            "and were read all the same."
        )
        assert sorted(note.details) == [
            "not listed, read: LATE/IMG0001",
            "not listed, read: LATE/IMG0002",
            "not listed, read: PT000000/ST000000/SE000000/IM000099",
        ]


def test_missing_entries_are_a_note_not_the_result(tmp_path: Path) -> None:
    listed = _write_media(tmp_path)
    listed[0].unlink()
    listed[2].unlink()
    index = scan(tmp_path)
    assert _images(index) == {str(listed[1]), str(listed[3])}
    assert index.unreadable == ()  # nothing unreadable: the files are just not there
    (note,) = index.notes
    assert note.message == "The DICOMDIR is out of date: 2 files it lists are missing."
    assert note.details == (
        f"listed, missing: {listed[0].relative_to(tmp_path)}",
        f"listed, missing: {listed[2].relative_to(tmp_path)}",
    )


def test_dicomdir_listing_none_of_the_files_still_gives_the_images(tmp_path: Path) -> None:
    # The stick's files were replaced; the DICOMDIR names only what is gone.
    listed = _write_media(tmp_path, count=2)
    for path in listed:
        path.unlink()
    fresh = [write(_image(n), tmp_path / "DATA" / f"{n:04d}.dcm") for n in range(1, 4)]
    index = scan(tmp_path)
    assert _images(index) == {str(p) for p in fresh}  # not "holds no DICOM images"
    (note,) = index.notes
    assert note.message == (
        "The DICOMDIR is out of date: 2 files it lists are missing; 3 DICOM files in the "
        "folder are not listed in it and were read all the same."
    )


def test_nested_dicomdir_and_copies_of_the_dicomdir_are_not_images(tmp_path: Path) -> None:
    _write_media(tmp_path / "cd", count=2)
    shutil.copy(tmp_path / "cd" / "DICOMDIR", tmp_path / "cd" / "DICOMDIR.BAK")
    _write_media(tmp_path / "cd" / "OLD", count=1)  # another DICOMDIR, deeper down
    index = scan(tmp_path / "cd")
    assert len(_images(index)) == 3
    (note,) = index.notes
    assert note.details == ("not listed, read: OLD/PT000000/ST000000/SE000000/IM000000",)


def test_match_dicomdir_refuses_paths_outside_the_folder(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"x")
    listing = match_dicomdir(
        str(tmp_path / "DICOMDIR"), [("A",), ("..", "etc", "passwd"), ("B",)], []
    )
    assert listing.listed == (FileRef(str(tmp_path / "a")),)  # upper-case File ID, lower-case disk
    assert listing.missing == (str(tmp_path / "B"),)
    assert listing.outside == ("..\\etc\\passwd",)
    note = describe_dicomdir(listing, [])
    assert note is not None
    assert "1 entry points outside its folder (not followed)" in note.message


def test_describe_dicomdir_checks_its_input() -> None:
    with pytest.raises(TypeError, match="DicomdirListing"):
        describe_dicomdir("DICOMDIR", [])  # type: ignore[arg-type]
    assert describe_dicomdir(DicomdirListing("/x/DICOMDIR", (), ()), []) is None


def test_cli_scan_prints_the_note(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from core.cli import main

    listed = _write_media(tmp_path, count=2)
    listed[0].unlink()
    assert main(["scan", str(tmp_path)]) == 0
    assert "Note: The DICOMDIR is out of date: 1 file it lists is missing." in (
        capsys.readouterr().out
    )
    assert main(["scan", str(tmp_path), "--json"]) == 0
    (note,) = json.loads(capsys.readouterr().out)["notes"]
    assert note["kind"] == "dicomdir" and len(note["details"]) == 1
