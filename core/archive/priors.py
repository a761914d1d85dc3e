"""Priors: the earlier studies of the patient whose study is open, most relevant first.

:func:`find_priors` looks in the archive and, when given a PACS query, on the PACS.
A prior is a study of the *same patient*: the same Patient ID and the same Issuer of
Patient ID (0010,0021). An ID is unique only within its issuer, so ``12345`` of one
hospital and ``12345`` of another are two patients, and an empty issuer matches only
an empty issuer (never "any issuer"): a wrong prior shown beside a study, or named in
its report, is worse than none.

A prior is *relevant* when it was made with the same kind of modality (CR, DX and DR
count as one: radiographs) and of the same or overlapping anatomy: Body Part Examined
(0018,0015) of its series, or, when a side has none recorded, the anatomy its
Study Description names (the rules: :mod:`core.archive.relevance`). The study list
offers every prior; the viewer and the report take the most recent relevant one
(:func:`most_recent_relevant`).

Patient IDs, names and descriptions are patient data: nothing here logs them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from core.archive.archive import Archive
from core.archive.errors import StudyNotFoundError
from core.archive.relevance import (
    anatomy_of,
    describe_prior,
    is_earlier,
    judge_relevance,
    recency_key,
)
from core.archive.rows import StudyRow
from core.dicom.header_fields import read_text
from core.dicom.isolated_read import read_header
from core.dicom.records import StudyRecord
from core.errors import RadAssistError

logger = logging.getLogger(__name__)

__all__ = [
    "CurrentStudy",
    "PriorStudy",
    "current_study_from_dataset",
    "current_study_from_header",
    "current_study_of",
    "find_priors",
    "find_priors_of",
    "most_recent_relevant",
    "row_from_match",
]


@dataclass(frozen=True)
class PriorStudy:
    """An earlier study of the same patient.

    Attributes
    ----------
    row : StudyRow
        The study as the study list shows it (``source`` says where it is: a study
        only on the PACS has ``size_bytes`` 0 and the node's name as source).
    relevant : bool
        Same kind of modality and the same (or overlapping) body part as the current
        study.
    reason : str
        One line a radiologist reads, e.g. "CT chest, 14 months earlier"; for a
        study that is not relevant it also says why ("... - other modality").
    """

    row: StudyRow
    relevant: bool
    reason: str
    on_pacs_only: bool = False
    body_part: str = ""


@dataclass(frozen=True)
class CurrentStudy:
    """What priors are matched against: the open study's patient, date and anatomy.

    ``received_at`` (ISO 8601 UTC) orders studies that have no Study Date. Patient
    fields are patient data: never log them.
    """

    study_uid: str
    patient_id: str = field(repr=False)
    issuer: str = field(repr=False)
    study_date: str = ""
    study_time: str = ""
    received_at: str = ""
    modalities: tuple[str, ...] = ()
    body_parts: tuple[str, ...] = ()
    description: str = field(default="", repr=False)


# --------------------------------------------------------------------------- the current study


def current_study_of(archive: Archive, study: StudyRecord) -> CurrentStudy | None:
    """The study as priors see it: from the archive's index when it is there, else
    from its records and the header of its first readable image.

    Returns None when no Patient ID is known (no patient: no priors).
    """
    if not isinstance(archive, Archive):
        raise TypeError(f"archive must be an Archive, found {type(archive).__name__}")
    if not isinstance(study, StudyRecord):
        raise TypeError(f"study must be a StudyRecord, found {type(study).__name__}")
    uid = study.study_instance_uid.strip()
    try:
        return _current_from_archive(archive, uid)
    except StudyNotFoundError:
        return _current_from_files(study)


def current_study_from_header(archive: Archive, dataset: Any) -> CurrentStudy | None:
    """:func:`current_study_of` for a study known by one of its headers (a pydicom Dataset)."""
    if not isinstance(archive, Archive):
        raise TypeError(f"archive must be an Archive, found {type(archive).__name__}")
    try:
        return _current_from_archive(archive, read_text(dataset, "StudyInstanceUID").strip())
    except StudyNotFoundError:
        return current_study_from_dataset(dataset)


def _current_from_archive(archive: Archive, uid: str) -> CurrentStudy | None:
    row = archive.study(uid)
    parts = archive.study_body_parts([uid]).get(uid, ())
    if not row.patient_id.strip():
        return None
    return CurrentStudy(
        study_uid=uid,
        patient_id=row.patient_id,
        issuer=row.issuer,
        study_date=row.study_date,
        study_time=row.study_time,
        received_at=row.received_at,
        modalities=row.modalities,
        body_parts=parts,
        description=row.description,
    )


def _current_from_files(study: StudyRecord) -> CurrentStudy | None:
    """A study opened from a folder: the patient from one header (the records have none)."""
    instances = [inst for series in study.series for inst in series.instances]
    for instance in instances:
        try:
            dataset, _ = read_header(instance.ref)
        except (RadAssistError, OSError):
            continue  # the next image says the same
        current = current_study_from_dataset(dataset)
        if current is None:
            return None
        modalities = tuple(sorted({s.modality.upper() for s in study.series if s.modality}))
        parts = tuple(sorted({i.body_part.upper() for i in instances if i.body_part}))
        return CurrentStudy(
            study_uid=study.study_instance_uid.strip(),
            patient_id=current.patient_id,
            issuer=current.issuer,
            study_date=study.study_date or current.study_date,
            study_time=current.study_time,
            modalities=modalities or current.modalities,
            body_parts=parts or current.body_parts,
            description=study.study_description or current.description,
        )
    return None


def current_study_from_dataset(dataset: Any) -> CurrentStudy | None:
    """The study of one header (pydicom Dataset); None when it has no Patient ID."""
    patient_id = read_text(dataset, "PatientID").strip()
    if not patient_id:
        return None
    modality = read_text(dataset, "Modality").strip().upper()
    body_part = read_text(dataset, "BodyPartExamined").strip().upper()
    return CurrentStudy(
        study_uid=read_text(dataset, "StudyInstanceUID").strip(),
        patient_id=patient_id,
        issuer=read_text(dataset, "IssuerOfPatientID").strip(),
        study_date=read_text(dataset, "StudyDate").strip(),
        study_time=read_text(dataset, "StudyTime").strip(),
        modalities=(modality,) if modality else (),
        body_parts=(body_part,) if body_part else (),
        description=read_text(dataset, "StudyDescription").strip(),
    )


# --------------------------------------------------------------------------- finding priors


def find_priors(
    archive: Archive,
    study: StudyRecord,
    *,
    remote: Callable[[str, str], list[StudyRow]] | None = None,
) -> list[PriorStudy]:
    """Earlier studies of the same patient, most relevant first, then most recent.

    Parameters
    ----------
    archive : Archive
        Where stored studies are found.
    study : StudyRecord
        The open study (from :meth:`Archive.study_index` or a folder scan).
    remote : callable, optional
        The PACS query: ``remote(patient_id, issuer)`` gives that patient's studies
        on the PACS (:class:`StudyRow`, or C-FIND matches with the same attributes:
        see :func:`row_from_match`). Rows of another patient or issuer are dropped
        (a PACS may match an empty issuer universally). A failing query is logged
        (its type only) and the archive's priors are still returned.

    Returns
    -------
    list of PriorStudy
        Each study once (a study in the archive and on the PACS is the archive's);
        "earlier" means a Study Date (and Time) before the current study's, or, when
        either has no date, received into the archive earlier. Empty when the study
        has no Patient ID.
    """
    current = current_study_of(archive, study)
    if current is None:
        return []
    return find_priors_of(archive, current, remote=remote)


def find_priors_of(
    archive: Archive,
    current: CurrentStudy,
    *,
    remote: Callable[[str, str], list[StudyRow]] | None = None,
) -> list[PriorStudy]:
    """:func:`find_priors` for a study described by a :class:`CurrentStudy`."""
    if not isinstance(current, CurrentStudy):
        raise TypeError(f"current must be a CurrentStudy, found {type(current).__name__}")
    if not current.patient_id.strip():
        return []
    local = [
        row
        for row in archive.patient_studies(current.patient_id, current.issuer)
        if row.study_uid != current.study_uid
    ]
    seen = {row.study_uid for row in local} | {current.study_uid}
    pacs_only: list[StudyRow] = []
    for row in _remote_rows(remote, current):
        if row.study_uid not in seen:
            seen.add(row.study_uid)
            pacs_only.append(row)
    parts = archive.study_body_parts([row.study_uid for row in local])
    found: list[tuple[PriorStudy, tuple[str, str, str]]] = []
    for row, body_parts, remote_only in [
        *((row, parts.get(row.study_uid, ()), False) for row in local),
        *((row, (), True) for row in pacs_only),
    ]:
        if not is_earlier(row, current):
            continue
        relevant, why_not = judge_relevance(row, body_parts, current)
        reason = describe_prior(row, body_parts, current, why_not, remote_only)
        anatomy = anatomy_of(body_parts, row.description)
        prior = PriorStudy(
            row=row,
            relevant=relevant,
            reason=reason,
            on_pacs_only=remote_only,
            body_part=anatomy[0] if anatomy else "",
        )
        found.append((prior, recency_key(row)))
    found.sort(key=lambda item: item[1], reverse=True)
    found.sort(key=lambda item: not item[0].relevant)  # stable: recency within each group
    return [prior for prior, _ in found]


def most_recent_relevant(priors: Iterable[PriorStudy]) -> PriorStudy | None:
    """The prior a viewer shows beside the study and a report compares with (or None)."""
    return next((prior for prior in priors if prior.relevant), None)


def _remote_rows(
    remote: Callable[[str, str], list[StudyRow]] | None, current: CurrentStudy
) -> list[StudyRow]:
    if remote is None:
        return []
    try:
        answered = list(remote(current.patient_id, current.issuer))
    except (RadAssistError, OSError) as error:
        logger.warning(
            "the PACS query for priors failed (%s); priors from the archive only",
            type(error).__name__,
        )
        return []
    rows = [item if isinstance(item, StudyRow) else row_from_match(item) for item in answered]
    # Exactly this patient: the same ID and the same issuer (an empty one only matches empty).
    return [
        row
        for row in rows
        if row.patient_id.strip() == current.patient_id.strip()
        and row.issuer.strip() == current.issuer.strip()
    ]


def row_from_match(match: Any, *, source: str = "PACS") -> StudyRow:
    """A study list row for a study found on a PACS (a ``core.pacs`` C-FIND/QIDO match).

    ``match`` needs ``study_uid``, ``patient_id``, ``study_date``, ``study_time``,
    ``description`` and ``modalities``; ``issuer_of_patient_id`` (or ``issuer``),
    names, counts and accession are taken when present.
    """

    def text(*names: str) -> str:
        for name in names:
            value = getattr(match, name, None)
            if value is not None:
                return str(value)
        return ""

    counts = {name: getattr(match, name, None) for name in ("series_count", "instance_count")}
    return StudyRow(
        study_uid=text("study_uid").strip(),
        patient_name=text("patient_name"),
        patient_id=text("patient_id"),
        issuer=text("issuer_of_patient_id", "issuer"),
        birth_date=text("birth_date"),
        sex=text("sex"),
        study_date=text("study_date"),
        study_time=text("study_time"),
        description=text("description"),
        accession=text("accession_number", "accession"),
        modalities=tuple(getattr(match, "modalities", ()) or ()),
        series_count=int(counts["series_count"] or 0),
        instance_count=int(counts["instance_count"] or 0),
        size_bytes=0,
        source=source,
        received_at="",
        last_opened=None,
    )
