"""Writing one object's rows: patient, study, series and instance, with the study's counts.

Called inside the archive's transaction (:meth:`core.archive.Archive._writing`), after the
object's file is on disk.
"""

from __future__ import annotations

import logging
from typing import Any

from core.archive.database import encode_record
from core.archive.ingest import ObjectFacts, StoredHeader
from core.dicom.header_fields import HeaderContext
from core.dicom.headers import ImageHeader, NonImageHeader
from core.dicom.records import UnreadableFile

logger = logging.getLogger(__name__)


class DuplicateObjectError(Exception):
    """Another process stored the same SOP Instance UID first (the savepoint is rolled back)."""


def search_words(context: HeaderContext) -> str:
    """What the study list searches: patient name, patient ID, accession, description."""
    name = context.patient_name.replace("^", " ").replace("=", " ")
    parts = (name, context.patient_id, context.accession_number, context.study_description)
    return " ".join(part for part in parts if part).upper()


def insert_object(
    db: Any,
    facts: ObjectFacts,
    header: StoredHeader,
    *,
    stored_path: str,
    member: str | None,
    copied: bool,
    size: int,
    source: str,
    received: str,
) -> None:
    """Insert the rows of one object (its study, series and patient when new).

    ``stored_path`` is relative to the files folder for a copy, absolute for a reference.

    Raises
    ------
    DuplicateObjectError
        The SOP Instance UID is in the index already (stored by another process since
        this one looked).
    """
    context = facts.context
    db.execute(
        "INSERT OR IGNORE INTO patients (patient_id, issuer, patient_name, birth_date, "
        "sex) VALUES (?, ?, ?, ?, ?)",
        (
            context.patient_id,
            facts.issuer,
            context.patient_name,
            context.birth_date,
            context.sex,
        ),
    )
    (patient,) = db.execute(
        "SELECT id FROM patients WHERE patient_id = ? AND issuer = ? AND "
        "patient_name = ? AND birth_date = ? AND sex = ?",
        (
            context.patient_id,
            facts.issuer,
            context.patient_name,
            context.birth_date,
            context.sex,
        ),
    ).fetchone()
    db.execute(
        "INSERT OR IGNORE INTO studies (study_uid, patient, study_date, study_time, "
        "description, accession, modalities, search_text, source, received_at) "
        "VALUES (?, ?, ?, ?, ?, ?, '', ?, ?, ?)",
        (
            facts.study_uid,
            patient,
            context.study_date,
            context.study_time,
            context.study_description,
            context.accession_number,
            search_words(context),
            source,
            received,
        ),
    )
    new_series = db.execute(
        "INSERT OR IGNORE INTO series (study_uid, series_uid, modality, description, "
        "series_number, body_part) VALUES (?, ?, ?, ?, ?, ?)",
        (
            facts.study_uid,
            facts.series_uid,
            context.modality,
            context.series_description,
            context.series_number,
            facts.body_part,
        ),
    ).rowcount
    if new_series:
        _add_series_to_study(db, facts.study_uid, context.modality)
    record = header.record if isinstance(header, ImageHeader) else None
    kind = (
        "image"
        if record is not None
        else header.record.kind.value
        if isinstance(header, NonImageHeader)
        else "unreadable"
    )
    inserted = db.execute(
        "INSERT OR IGNORE INTO instances (sop_uid, study_uid, series_uid, path, member, copied, "
        "size, source, received_at, kind, reason, sop_class_uid, transfer_syntax_uid, "
        "rows, columns, number_of_frames, bits_allocated, bits_stored, "
        "photometric_interpretation, pixel_data_offset, pixel_data_length, record) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            facts.sop_uid,
            facts.study_uid,
            facts.series_uid,
            stored_path,
            member,
            int(copied),
            size,
            source,
            received,
            kind,
            header.reason if isinstance(header, UnreadableFile) else "",
            facts.sop_class_uid,
            record.transfer_syntax_uid if record else None,
            record.rows if record else None,
            record.columns if record else None,
            record.number_of_frames if record else None,
            record.bits_allocated if record else None,
            record.bits_stored if record else None,
            record.photometric_interpretation if record else None,
            record.pixel_data_offset if record else None,
            record.pixel_data_length if record else None,
            encode_record(record) if record else None,
        ),
    ).rowcount
    if not inserted:
        raise DuplicateObjectError(facts.sop_uid)
    db.execute(
        "UPDATE studies SET instance_count = instance_count + 1, "
        "size_bytes = size_bytes + ? WHERE study_uid = ?",
        (size if copied else 0, facts.study_uid),
    )


def _add_series_to_study(db: Any, study_uid: str, modality: str) -> None:
    (modalities,) = db.execute(
        "SELECT modalities FROM studies WHERE study_uid = ?", (study_uid,)
    ).fetchone()
    known = {m for m in modalities.split("\\") if m}
    fresh = bool(modality) and modality not in known
    db.execute(
        "UPDATE studies SET series_count = series_count + 1, modalities = ?, "
        "search_text = search_text || ? WHERE study_uid = ?",
        (
            "\\".join(sorted(known | ({modality} if modality else set()))),
            f" {modality.upper()}" if fresh else "",
            study_uid,
        ),
    )
