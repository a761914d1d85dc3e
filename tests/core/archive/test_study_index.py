"""Opening from the archive: the records built from the index equal a folder scan's."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from core.archive import Archive, StudyNotFoundError
from core.archive.database import _Builder, decode_record, encode_record
from core.archive.layout import path_part
from core.dicom.index import scan
from core.dicom.records import FileRef, InstanceRecord, StudyIndex
from core.jobs import run_job


def _assert_same_records(built: StudyIndex, scanned: StudyIndex) -> None:
    """Field by field, so that a difference names the field."""
    assert len(built.patients) == len(scanned.patients) == 1
    for field in ("patient_id", "patient_name", "birth_date", "sex"):
        assert getattr(built.patients[0], field) == getattr(scanned.patients[0], field), field
    built_series = built.all_series()
    scanned_series = scanned.all_series()
    assert [s.key for s in built_series] == [s.key for s in scanned_series]
    for ours, theirs in zip(built_series, scanned_series, strict=True):
        assert len(ours.instances) == len(theirs.instances)
        for mine, other in zip(ours.instances, theirs.instances, strict=True):
            for field in dataclasses.fields(InstanceRecord):
                assert getattr(mine, field.name) == getattr(other, field.name), field.name
    assert built.patients == scanned.patients
    assert built.non_image == scanned.non_image
    assert built.unreadable == scanned.unreadable


def test_a_ct_and_a_radiograph_open_from_the_index_as_a_scan_reads_their_files(
    archive: Archive, studies_folder: Path
) -> None:
    result = run_job(archive.import_folder(studies_folder))
    assert len(result.studies) == 2
    modalities = set()
    for study_uid in result.studies:
        built = archive.study_index(study_uid)
        scanned = scan(archive.files_root / path_part(study_uid))
        _assert_same_records(built, scanned)
        series = built.all_series()[0]
        modalities.add(series.modality)
        first = series.instances[0]
        assert first.pixel_data_offset is not None and first.pixel_data_length
        assert first.frames[0].position is not None or first.image_pixel_spacing is not None
    assert modalities == {"CT", "DX"}


def test_a_study_indexed_by_reference_points_at_the_original_files(
    archive: Archive, studies_folder: Path, tmp_path: Path
) -> None:
    source = tmp_path / "source"
    shutil.copytree(studies_folder / "ct", source)
    before = {p.name: p.read_bytes() for p in source.iterdir()}
    result = run_job(archive.import_folder(source, copy=False))
    assert (result.added, result.copied) == (6, False)
    (study_uid,) = result.studies
    _assert_same_records(archive.study_index(study_uid), scan(source))
    assert list(archive.files_root.iterdir()) == []  # nothing copied
    assert archive.study(study_uid).size_bytes == 0
    assert {p.name: p.read_bytes() for p in source.iterdir()} == before  # never modified


def test_a_referenced_file_that_has_gone_is_reported_not_crashed_on(
    archive: Archive, studies_folder: Path, tmp_path: Path
) -> None:
    source = tmp_path / "source"
    shutil.copytree(studies_folder / "ct", source)
    (study_uid,) = run_job(archive.import_folder(source, copy=False)).studies
    gone = sorted(source.iterdir())[0]
    gone.unlink()
    built = archive.study_index(study_uid)
    assert built.all_series()[0].frame_count == 5
    assert [u.ref.path for u in built.unreadable] == [str(gone)]
    assert "no longer there" in built.unreadable[0].reason
    assert archive.check().missing_references == (str(gone),)


def test_opening_a_study_that_is_not_there_says_so(archive: Archive) -> None:
    with pytest.raises(StudyNotFoundError, match=r"no study with UID 1\.2\.3 in the archive"):
        archive.study_index("1.2.3")


def test_a_stored_record_decodes_to_the_same_record_and_a_damaged_one_is_refused(
    studies_folder: Path,
) -> None:
    # The index keeps each record as JSON: decoding gives an equal, hashable record with
    # tuples where the record has them, fills a field stored before it existed with its
    # default, and refuses what is not a record (an unknown field, a missing one).
    series = scan(studies_folder).all_series()
    record = next(s for s in series if s.instances[0].modality == "CT").instances[0]
    assert record.frames[0].windows, "the CT's slices carry a window"
    ref = FileRef("/elsewhere/slice.dcm")
    decoded = decode_record(encode_record(record), ref)
    assert decoded == dataclasses.replace(record, ref=ref)
    assert hash(decoded) == hash(dataclasses.replace(record, ref=ref))
    assert type(decoded.image_type) is tuple and type(decoded.frames[0].position) is tuple

    stored = json.loads(encode_record(record))
    del stored["body_part"], stored["frames"][0]["stack_id"]
    del stored["frames"][0]["windows"][0]["explanation"]
    older = decode_record(json.dumps(stored), ref)
    assert older.body_part == "" and older.frames[0].stack_id is None
    assert older.frames[0].windows[0].explanation == ""
    with pytest.raises(TypeError, match="future_field"):
        decode_record(json.dumps({**stored, "future_field": 1}), ref)
    del stored["rows"]
    with pytest.raises(TypeError, match="rows"):
        decode_record(json.dumps(stored), ref)
    # A window that is not one as written (a list where a number goes) is still refused
    # or kept as the constructor would, not lost in the cache of shared windows.
    odd = json.loads(encode_record(record))
    odd["frames"][0]["windows"][0]["center"] = [40, 1]
    assert decode_record(json.dumps(odd), ref).frames[0].windows[0].center == [40, 1]
    odd["frames"][0]["windows"][0]["future_field"] = 1
    with pytest.raises(TypeError, match="future_field"):
        decode_record(json.dumps(odd), ref)


def test_records_are_built_without_their_constructor_only_where_it_does_nothing_more() -> None:
    # The decoder builds records field by field (their generated __init__ is a third of
    # an archive open's decoding): a class whose __init__ does more is refused up front.
    @dataclasses.dataclass(frozen=True)
    class Checked:
        value: int

        def __post_init__(self) -> None:
            if self.value < 0:
                raise ValueError("negative")

    @dataclasses.dataclass(frozen=True)
    class Listed:
        values: list[int] = dataclasses.field(default_factory=list)

    for cls in (Checked, Listed):
        with pytest.raises(TypeError):
            _Builder(cls)
    frame = _Builder(dataclasses.make_dataclass("Plain", ["a", ("b", int, 2)], frozen=True))
    built = frame({"a": 1})
    assert (built.a, built.b) == (1, 2) and built == type(built)(1, 2)
