"""Reading the index: the study list, one study's row, and a study's records.

Each function takes the open connection; :class:`core.archive.Archive` holds the lock.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from pydicom.uid import UID

from core.archive.database import decode_record
from core.archive.errors import StudyNotFoundError
from core.archive.layout import path_part
from core.archive.rows import StudyRow
from core.dicom.header_fields import HeaderContext
from core.dicom.headers import Header, ImageHeader, NonImageHeader
from core.dicom.index import assemble_index
from core.dicom.records import FileRef, NonImageRecord, ObjectKind, StudyIndex, UnreadableFile

logger = logging.getLogger(__name__)

SEARCH_ORDERS: Final = ("date", "received", "opened", "name")
_ORDER_SQL: Final = {
    "date": "s.study_date DESC, s.study_time DESC, s.study_uid",
    "received": "s.received_at DESC, s.study_uid",
    "opened": "COALESCE(s.last_opened, '') DESC, s.study_uid",
    "name": "p.patient_name, s.study_date DESC, s.study_uid",
}
_GONE_REASON: Final = (
    "the file was indexed by reference and is no longer there (moved or deleted); "
    "import it again from where it is now"
)
_STUDY_COLUMNS: Final = (
    "s.study_uid, p.patient_name, p.patient_id, p.issuer, p.birth_date, p.sex, s.study_date, "
    "s.study_time, s.description, s.accession, s.modalities, s.series_count, "
    "s.instance_count, s.size_bytes, s.source, s.received_at, s.last_opened"
)


def _row(values: tuple[Any, ...]) -> StudyRow:
    (uid, name, pid, issuer, birth, sex, date, time_, description, accession) = values[:10]
    (modalities, series, instances, size, source, received, opened) = values[10:]
    return StudyRow(
        study_uid=uid,
        patient_name=name,
        patient_id=pid,
        issuer=issuer,
        birth_date=birth,
        sex=sex,
        study_date=date,
        study_time=time_,
        description=description,
        accession=accession,
        modalities=tuple(m for m in str(modalities).split("\\") if m),
        series_count=series,
        instance_count=instances,
        size_bytes=size,
        source=source,
        received_at=received,
        last_opened=opened,
    )


def search_studies(db: Any, text: str, limit: int, order: str) -> list[StudyRow]:
    """The study list; see :meth:`core.archive.Archive.search`."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, found {type(text).__name__}")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 100_000:
        raise ValueError(f"limit must be an int from 1 to 100000, found {limit!r}")
    if order not in _ORDER_SQL:
        raise ValueError(f"order must be one of {', '.join(SEARCH_ORDERS)}, found {order!r}")
    words = text.upper().split()
    where = " AND ".join("s.search_text LIKE ? ESCAPE '\\'" for _ in words) or "1"
    patterns = [
        "%" + w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%" for w in words
    ]
    sql = (
        f"SELECT {_STUDY_COLUMNS} FROM studies s JOIN patients p ON p.id = s.patient "
        f"WHERE {where} ORDER BY {_ORDER_SQL[order]} LIMIT ?"
    )
    return [_row(values) for values in db.execute(sql, (*patterns, limit))]


def study_row(db: Any, study_uid: str) -> StudyRow:
    """One study's row; :class:`StudyNotFoundError` when it is not in the archive."""
    values = db.execute(
        f"SELECT {_STUDY_COLUMNS} FROM studies s JOIN patients p ON p.id = s.patient "
        "WHERE s.study_uid = ?",
        (study_uid,),
    ).fetchone()
    if values is None:
        raise StudyNotFoundError(f"no study with UID {study_uid} in the archive")
    return _row(values)


def patient_study_rows(db: Any, patient_id: str, issuer: str) -> list[StudyRow]:
    """Every study of one patient (Patient ID and issuer), newest first."""
    rows = db.execute(
        f"SELECT {_STUDY_COLUMNS} FROM studies s JOIN patients p ON p.id = s.patient "
        "WHERE p.patient_id = ? AND p.issuer = ? ORDER BY " + _ORDER_SQL["date"],
        (patient_id, issuer),
    ).fetchall()
    return [_row(values) for values in rows]


def build_study_index(db: Any, files_root: Path, uid: str) -> StudyIndex:
    """A study's records from the index alone; see :meth:`core.archive.Archive.study_index`."""
    study = db.execute(
        "SELECT p.patient_id, p.patient_name, p.birth_date, p.sex, s.study_date, "
        "s.study_time, s.description, s.accession FROM studies s "
        "JOIN patients p ON p.id = s.patient WHERE s.study_uid = ?",
        (uid,),
    ).fetchone()
    if study is None:
        raise StudyNotFoundError(f"no study with UID {uid} in the archive")
    rows = db.execute(
        "SELECT i.path, i.member, i.copied, i.kind, i.reason, i.sop_class_uid, "
        "i.record, i.series_uid, r.description, r.series_number, r.modality "
        "FROM instances i JOIN series r "
        "ON r.study_uid = i.study_uid AND r.series_uid = i.series_uid "
        "WHERE i.study_uid = ?",
        (uid,),
    ).fetchall()
    headers: list[Header] = []
    root = str(files_root) + os.sep
    contexts: dict[str, HeaderContext] = {}  # one per series: the same for every instance
    for path, member, copied, kind, reason, sop_class, record, series_uid, *series in rows:
        full = root + path.replace("/", os.sep) if copied else path
        ref = FileRef(full, member)
        if not copied and not os.path.exists(full):
            headers.append(UnreadableFile(ref, _GONE_REASON))
            continue
        context = contexts.get(series_uid)
        if context is None:
            context = contexts[series_uid] = HeaderContext(
                patient_id=study[0],
                patient_name=study[1],
                birth_date=study[2],
                sex=study[3],
                study_uid=uid,
                study_date=study[4],
                study_time=study[5],
                study_description=study[6],
                accession_number=study[7],
                series_uid=series_uid,
                series_description=series[0],
                series_number=series[1],
                modality=series[2],
            )
        if kind == "unreadable":
            headers.append(UnreadableFile(ref, reason))
        elif kind == "image":
            headers.append(ImageHeader(context, decode_record(record, ref)))
        else:
            non_image = NonImageRecord(
                ref=ref,
                kind=ObjectKind(kind),
                sop_class_uid=sop_class,
                sop_class_name=UID(sop_class).name,
                modality=context.modality,
                study_instance_uid=uid,
                series_instance_uid=series_uid,
            )
            headers.append(NonImageHeader(context, non_image))
    return assemble_index(str(files_root / path_part(uid)), headers, [])


def study_body_parts(db: Any, study_uids: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """Body Part Examined of each study's series (sorted, no blanks), for priors.

    Studies with none recorded are left out of the mapping.
    """
    found: dict[str, set[str]] = {}
    uids = list(dict.fromkeys(study_uids))
    for start in range(0, len(uids), 500):  # under SQLite's limit of bound parameters
        chunk = uids[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        for uid, part in db.execute(
            f"SELECT study_uid, body_part FROM series WHERE study_uid IN ({marks}) "
            "AND body_part != ''",
            chunk,
        ):
            found.setdefault(uid, set()).add(part)
    return {uid: tuple(sorted(parts)) for uid, parts in found.items()}
