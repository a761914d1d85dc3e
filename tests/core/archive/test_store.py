"""Storing objects: the layout by UID, atomic owner-only files, duplicates, hostile UIDs."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

from core.archive import Archive, ArchiveError
from core.archive.layout import check_uid, path_part
from core.jobs import run_job
from tests.core.archive.helpers import tiny_image


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_received_object_is_stored_by_uid_owner_only_with_its_file_meta_completed(
    archive: Archive,
) -> None:
    ds = tiny_image("1.2.3", "1.2.3.4", "1.2.3.4.5")
    assert archive.accept(ds, source="PACS1") is True
    stored = archive.files_root / "1.2.3" / "1.2.3.4" / "1.2.3.4.5.dcm"
    assert stored.is_file()
    back = pydicom.dcmread(stored)
    assert back.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    assert back.file_meta.MediaStorageSOPInstanceUID == "1.2.3.4.5"
    assert back.PatientID == "SYN0001"
    assert not hasattr(ds, "file_meta") or "TransferSyntaxUID" not in ds.file_meta  # untouched
    assert _mode(stored) == 0o600
    assert _mode(stored.parent) == 0o700
    assert _mode(archive.root) == 0o700
    assert _mode(archive.index_path) == 0o600
    assert [p.name for p in stored.parent.iterdir()] == ["1.2.3.4.5.dcm"]  # no temporary left
    row = archive.study("1.2.3")
    assert (row.source, row.instance_count, row.series_count) == ("PACS1", 1, 1)
    assert row.size_bytes == stored.stat().st_size


def test_the_same_sop_instance_is_not_stored_twice(archive: Archive, tmp_path: Path) -> None:
    ds = tiny_image("1.2.3", "1.2.3.4", "1.2.3.4.5")
    assert archive.accept(ds, source="a") is True
    first = (archive.files_root / "1.2.3" / "1.2.3.4" / "1.2.3.4.5.dcm").read_bytes()
    ds.PatientID = "CHANGED"
    assert archive.accept(ds, source="b") is False
    path = tmp_path / "copy.dcm"
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.save_as(path, enforce_file_format=True)
    assert archive.accept_file(path, source="c") is False
    stored = archive.files_root / "1.2.3" / "1.2.3.4" / "1.2.3.4.5.dcm"
    assert stored.read_bytes() == first  # never modified after storing
    assert archive.study("1.2.3").instance_count == 1


def test_importing_a_folder_twice_reports_every_object_as_already_in_the_archive(
    archive: Archive, studies_folder: Path
) -> None:
    first = run_job(archive.import_folder(studies_folder))
    again = run_job(archive.import_folder(studies_folder))
    assert (first.added, first.already, first.failed) == (7, 0, ())
    assert (again.added, again.already) == (0, 7)
    assert len(archive.search()) == 2


@pytest.mark.filterwarnings("ignore:Invalid value for VR UI")
@pytest.mark.parametrize(
    "uid",
    ["../../../etc/evil", "1.2/3", "1.2\\3", "..", "1.2\x00.3\n", ""],
)
def test_a_uid_that_could_act_as_a_path_is_refused_and_nothing_is_written(
    archive: Archive, tmp_path: Path, uid: str
) -> None:
    ds = tiny_image("1.2.3", "1.2.3.4", "1.2.3.4.5")
    ds.SOPInstanceUID = uid
    with pytest.raises(ArchiveError, match="SOP Instance UID"):
        archive.accept(ds, source="x")
    assert list(archive.files_root.iterdir()) == []
    assert archive.search() == []
    assert not (tmp_path / "etc").exists()


@pytest.mark.filterwarnings("ignore:Invalid value for VR UI")
def test_a_non_conformant_but_harmless_uid_is_stored_under_its_hash(archive: Archive) -> None:
    ds = tiny_image("1.2.3", "SERIES-ABC", "1.2.3.4.5")
    assert archive.accept(ds, source="x")
    name = path_part("SERIES-ABC")
    assert name.startswith("h-") and name != path_part("SERIES-ABD")
    assert (archive.files_root / "1.2.3" / name / "1.2.3.4.5.dcm").is_file()
    assert check_uid(" 1.2.3\x00", "UID") == "1.2.3"


def test_an_object_without_the_uids_it_needs_is_refused_with_a_clear_message(
    archive: Archive,
) -> None:
    ds = tiny_image()
    del ds.StudyInstanceUID
    with pytest.raises(ArchiveError, match="no Study Instance UID"):
        archive.accept(ds, source="x")
    assert list(archive.files_root.iterdir()) == []


def test_a_file_that_is_not_dicom_is_refused_and_left_alone(
    archive: Archive, tmp_path: Path
) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not an image\n" * 20)
    with pytest.raises(ArchiveError, match=r"notes\.txt"):
        archive.accept_file(text, source="x")
    assert text.read_text() == "not an image\n" * 20
    assert list(archive.files_root.iterdir()) == []


def test_a_full_disk_stores_nothing_and_says_so(tmp_path: Path, tiny_disk: Path) -> None:
    root = tmp_path / "archive"
    root.mkdir()
    (root / "files").symlink_to(tiny_disk)  # the files on a full disk, the index not
    archive = Archive(root)
    big = tiny_image("1.2.3", "1.2.3.4", "1.2.3.4.5")
    big.Rows = big.Columns = 362
    big.PixelData = bytes(362 * 362 * 2)
    with pytest.raises(OSError) as raised:
        archive.accept(big, source="x")
    assert raised.value.errno == errno.ENOSPC
    assert archive.search() == []
    assert [p for p in tiny_disk.rglob("*") if p.is_file()] == []  # no temporary left
    archive.close()


def test_storing_from_several_threads_stores_each_object_once(archive: Archive) -> None:
    import threading

    images = [tiny_image("1.2.3", "1.2.3.4", f"1.2.3.4.{i}") for i in range(40)]
    results: list[bool] = []

    def store(part: list[pydicom.Dataset]) -> None:
        for ds in part:
            results.append(archive.accept(ds, source="scp"))

    threads = [threading.Thread(target=store, args=(images,)) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(True) == 40 and results.count(False) == 80
    assert archive.study("1.2.3").instance_count == 40
    assert len(os.listdir(archive.files_root / "1.2.3" / "1.2.3.4")) == 40


def test_an_object_received_encoded_is_stored_byte_for_byte(
    archive: Archive, studies_folder: Path
) -> None:
    source = next((studies_folder / "ct").iterdir())
    data = source.read_bytes()
    assert archive.accept_encoded(data, source="scp") is True
    assert archive.accept_encoded(data, source="scp") is False
    (row,) = archive.search()
    (stored,) = archive.files_root.rglob("*.dcm")
    assert stored.read_bytes() == data
    assert row.instance_count == 1
    with pytest.raises(ArchiveError, match="not a DICOM Part 10 file"):
        archive.accept_encoded(b"\x00" * 64, source="scp")


def test_compressed_pixel_data_without_a_transfer_syntax_is_refused(archive: Archive) -> None:
    from pydicom.encaps import encapsulate

    ds = tiny_image("1.2.3", "1.2.3.4", "1.2.3.4.5")
    ds.PixelData = encapsulate([b"\x00" * 32])
    with pytest.raises(ArchiveError, match="compressed pixel data but no transfer syntax"):
        archive.accept(ds, source="x")
    assert archive.search() == []


def test_two_processes_storing_the_same_object_index_it_once(archive: Archive) -> None:
    from core.archive.ingest import dataset_bytes, facts_of
    from core.dicom.records import FileRef

    ds = tiny_image("1.2.3", "1.2.3.4", "1.2.3.4.5")
    facts = facts_of(ds, FileRef("(test)"))
    data = dataset_bytes(ds, facts)
    with Archive(archive.root) as other:  # a second process's connection to the same index
        assert other.accept(ds, source="other") is True
    # This one had looked before the other stored it: its rows give way, counts stay right.
    assert archive._store_copy(facts, data, "late") is False
    row = archive.study("1.2.3")
    assert (row.instance_count, row.series_count, row.source) == (1, 1, "other")
