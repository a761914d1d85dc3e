"""Priors: earlier studies of the same patient (ID and issuer), most relevant first."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from core.archive import Archive, StudyRow
from core.archive.database import SCHEMA_VERSION
from core.archive.priors import (
    PriorStudy,
    find_priors,
    most_recent_relevant,
    row_from_match,
)
from core.dicom.index import scan
from core.dicom.records import StudyRecord
from core.pacs.explain import PacsConnectionError
from tests.core.archive.helpers import tiny_image


def _study(
    archive: Archive,
    *,
    date: str,
    modality: str = "CT",
    body_part: str = "CHEST",
    description: str = "CT CHEST",
    patient_id: str = "SYN0001",
    issuer: str = "",
    series: int = 1,
) -> str:
    """Store a study of ``series`` one-image series; its Study Instance UID."""
    uid = generate_uid()
    for _ in range(series):
        ds = tiny_image(
            uid,
            modality=modality,
            description=description,
            study_date=date,
            patient_id=patient_id,
        )
        if body_part:
            ds.BodyPartExamined = body_part
        if issuer:
            ds.IssuerOfPatientID = issuer
        assert archive.accept(ds, source="test")
    return uid


def _record(archive: Archive, uid: str) -> StudyRecord:
    index = archive.study_index(uid)
    (patient,) = index.patients
    (study,) = patient.studies
    return study


def _uids(priors: list[PriorStudy]) -> list[str]:
    return [prior.row.study_uid for prior in priors]


def test_relevant_priors_come_first_then_the_most_recent(archive: Archive) -> None:
    current = _study(archive, date="20250502")
    older_ct = _study(archive, date="20220110")
    recent_ct = _study(archive, date="20240302")
    mr_brain = _study(
        archive, date="20250101", modality="MR", body_part="BRAIN", description="MR BRAIN"
    )
    ct_head = _study(archive, date="20241201", body_part="HEAD", description="CT HEAD")
    later = _study(archive, date="20250601")  # after the current study: not a prior

    priors = find_priors(archive, _record(archive, current))

    assert _uids(priors) == [recent_ct, older_ct, mr_brain, ct_head]
    assert later not in _uids(priors) and current not in _uids(priors)
    assert [p.relevant for p in priors] == [True, True, False, False]
    assert [p.reason for p in priors] == [
        "CT chest, 14 months earlier",
        "CT chest, 3 years earlier",
        "MR brain, 4 months earlier (other modality and body part)",
        "CT head, 5 months earlier (other body part)",
    ]
    best = most_recent_relevant(priors)
    assert best is not None and best.row.study_uid == recent_ct and best.body_part == "CHEST"


def test_the_same_id_of_another_issuer_is_another_patient(archive: Archive) -> None:
    current = _study(archive, date="20250502", issuer="HOSPITAL A")
    same_issuer = _study(archive, date="20240101", issuer="HOSPITAL A")
    _study(archive, date="20240201", issuer="HOSPITAL B")  # another hospital's SYN0001
    _study(archive, date="20240301")  # no issuer: not "any issuer"
    _study(archive, date="20240401", issuer="HOSPITAL A", patient_id="SYN0002")

    priors = find_priors(archive, _record(archive, current))

    assert _uids(priors) == [same_issuer]


def test_an_empty_issuer_matches_only_an_empty_issuer(archive: Archive) -> None:
    current = _study(archive, date="20250502")
    no_issuer = _study(archive, date="20240101")
    _study(archive, date="20240201", issuer="HOSPITAL B")

    assert _uids(find_priors(archive, _record(archive, current))) == [no_issuer]


def test_without_dates_the_order_of_arrival_decides(archive: Archive) -> None:
    first = _study(archive, date="")
    current = _study(archive, date="")
    _study(archive, date="")  # received after the current one

    priors = find_priors(archive, _record(archive, current))

    assert _uids(priors) == [first]
    assert priors[0].reason == "CT chest, received earlier (no study date to compare)"


def test_the_anatomy_of_the_description_counts_when_no_body_part_is_recorded(
    archive: Archive,
) -> None:
    current = _study(archive, date="20250502", body_part="")
    chest = _study(archive, date="20240101", body_part="", description="CT THORAX W CONTRAST")
    unknown = _study(archive, date="20240201", body_part="", description="ROUTINE")

    priors = find_priors(archive, _record(archive, current))

    assert _uids(priors) == [chest, unknown]
    assert priors[0].relevant and priors[0].reason == "CT chest, 16 months earlier"
    assert not priors[1].relevant
    assert priors[1].reason == "CT, 15 months earlier (body part not recorded)"


def test_overlapping_anatomy_and_radiographs_of_either_kind_are_relevant(
    archive: Archive,
) -> None:
    current = _study(archive, date="20250502", body_part="CHESTABDPELVIS")
    abdomen = _study(archive, date="20240101", body_part="ABDOMEN", description="CT ABD")
    assert _uids(find_priors(archive, _record(archive, current))) == [abdomen]
    assert find_priors(archive, _record(archive, current))[0].relevant

    dx = _study(archive, date="20250502", modality="DX", description="CHEST PA")
    cr = _study(archive, date="20250420", modality="CR", description="CHEST")
    priors = find_priors(archive, _record(archive, dx))
    assert _uids(priors)[0] == cr and priors[0].relevant
    assert priors[0].reason == "CR chest, 12 days earlier"


def test_pacs_priors_join_without_duplicates_and_other_patients_are_dropped(
    archive: Archive,
) -> None:
    current = _study(archive, date="20250502", issuer="HOSPITAL A")
    local = _study(archive, date="20240302", issuer="HOSPITAL A")
    asked: list[tuple[str, str]] = []

    def pacs_row(uid: str, date: str, issuer: str = "HOSPITAL A", pid: str = "SYN0001") -> StudyRow:
        return StudyRow(
            study_uid=uid, patient_name="PHANTOM^TEST", patient_id=pid, issuer=issuer,
            birth_date="", sex="", study_date=date, study_time="", description="CT CHEST",
            accession="", modalities=("CT",), series_count=1, instance_count=1,
            size_bytes=0, source="PACS", received_at="", last_opened=None,
        )  # fmt: skip

    pacs_only = generate_uid()

    def remote(patient_id: str, issuer: str) -> list[StudyRow]:
        asked.append((patient_id, issuer))
        return [
            pacs_row(local, "20240302"),  # also in the archive: listed once, the archive's
            pacs_row(pacs_only, "20250101"),
            pacs_row(current, "20250502"),  # the open study itself
            pacs_row(generate_uid(), "20230101", issuer=""),  # universal match on issuer
            pacs_row(generate_uid(), "20230101", pid="SYN0002"),
        ]

    priors = find_priors(archive, _record(archive, current), remote=remote)

    assert asked == [("SYN0001", "HOSPITAL A")]
    assert _uids(priors) == [pacs_only, local]
    assert priors[0].on_pacs_only and priors[0].reason == "CT chest, 4 months earlier, on the PACS"
    assert not priors[1].on_pacs_only and priors[1].row.source == "test"


def test_a_failing_pacs_leaves_the_archive_priors(archive: Archive) -> None:
    current = _study(archive, date="20250502")
    local = _study(archive, date="20240302")

    def remote(patient_id: str, issuer: str) -> list[StudyRow]:
        raise PacsConnectionError("The PACS at 127.0.0.1:1 refused the connection.")

    assert _uids(find_priors(archive, _record(archive, current), remote=remote)) == [local]


def test_pacs_matches_become_study_rows() -> None:
    class Match:  # the attributes of core.pacs.query.StudyMatch
        study_uid = "1.2.3"
        patient_name = "PHANTOM^TEST"
        patient_id = "SYN0001"
        issuer_of_patient_id = "HOSPITAL A"
        birth_date = ""
        sex = "F"
        accession_number = "ACC1"
        study_date = "20240302"
        study_time = "101010"
        description = "CT CHEST"
        modalities = ("CT", "SR")
        series_count = 3
        instance_count = None

    row = row_from_match(Match(), source="ORTHANC")
    assert (row.study_uid, row.issuer, row.accession, row.modalities) == (
        "1.2.3",
        "HOSPITAL A",
        "ACC1",
        ("CT", "SR"),
    )
    assert (row.series_count, row.instance_count, row.source, row.size_bytes) == (
        3,
        0,
        "ORTHANC",
        0,
    )


def test_a_study_opened_from_a_folder_finds_its_archived_priors(
    archive: Archive, tmp_path: Path
) -> None:
    prior = _study(archive, date="20240302")
    folder = tmp_path / "folder"
    folder.mkdir()
    ds: Dataset = tiny_image(study_date="20250502")
    ds.BodyPartExamined = "CHEST"
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.save_as(folder / "image.dcm", enforce_file_format=True)
    (study,) = scan(folder).patients[0].studies

    priors = find_priors(archive, study)

    assert _uids(priors) == [prior] and priors[0].relevant


def test_a_study_without_patient_id_has_no_priors(archive: Archive) -> None:
    current = _study(archive, date="20250502", patient_id="")
    _study(archive, date="20240302", patient_id="")
    assert find_priors(archive, _record(archive, current)) == []


def test_body_parts_are_kept_per_series_and_read_per_study(archive: Archive) -> None:
    uid = generate_uid()
    for part in ("CHEST", "ABDOMEN", ""):
        ds = tiny_image(uid)
        if part:
            ds.BodyPartExamined = part
        archive.accept(ds, source="test")
    other = _study(archive, date="20240101", body_part="")
    assert archive.study_body_parts([uid, other]) == {uid: ("ABDOMEN", "CHEST")}
    # The index of version 1 already had the column: no migration was needed.
    db = sqlite3.connect(archive.index_path)
    try:
        columns = {row[1] for row in db.execute("PRAGMA table_info(series)")}
        assert "body_part" in columns
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 1
    finally:
        db.close()
