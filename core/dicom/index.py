"""Scanning a folder, DICOMDIR, .zip or single file into a :class:`StudyIndex`.

Every file ends up in exactly one place: an image series, the non-image list, the
unreadable list (with a reason that names what was expected and what was found), or
the skipped list: files that are not DICOM at all and DICOMDIRs met in sub-folders,
each with why. What to read is listed by :mod:`core.dicom.sources`, headers are read
in worker processes by :mod:`core.dicom.headers` (what is kept of each header:
:mod:`core.dicom.header_fields`), and grouped here into patients, studies and series.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Callable, Generator
from dataclasses import dataclass

from core.dicom.dicomdir import describe_dicomdir
from core.dicom.duplicates import choose_copies
from core.dicom.header_fields import PLACEHOLDER_PREFIX, HeaderContext
from core.dicom.headers import (
    Header,
    ImageHeader,
    NonImageHeader,
    SkippedFile,
    classify_sop_class,
    read_all_headers,
)
from core.dicom.records import (
    FileRef,
    NonImageRecord,
    PatientRecord,
    SeriesRecord,
    StudyIndex,
    StudyRecord,
    UnreadableFile,
)
from core.dicom.series import split_series
from core.dicom.sources import list_sources
from core.errors import UsageError
from core.jobs import CancelToken, Progress, run_job

__all__ = ["PLACEHOLDER_PREFIX", "assemble_index", "classify_sop_class", "scan", "scan_path"]

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------------------
# Public API


def scan_path(
    path: str | os.PathLike[str], token: CancelToken | None = None
) -> Generator[Progress, None, StudyIndex]:
    """Index everything under ``path`` from headers only (a job).

    Parameters
    ----------
    path : str or os.PathLike
        A folder (searched recursively), a DICOMDIR file or a folder holding one
        (the files it lists and every other file of its folder are read; how far
        the DICOMDIR is out of date is said in ``StudyIndex.notes``), a ``.zip``
        archive, or one file.
    token : CancelToken, optional
        Checked between batches of files.

    Yields
    ------
    Progress
        Files whose headers have been read so far.

    Returns
    -------
    StudyIndex
        Patients → studies → series (split where a series holds several stacks,
        see :func:`core.dicom.series.split_series`), non-image objects,
        unreadable files with reasons, and the count of files that are not DICOM.

    Raises
    ------
    TypeError
        When ``path`` is not a str or path-like.
    core.errors.UsageError
        When ``path`` does not exist.
    core.errors.CancelledError
        When the token is set.
    """
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"path must be a str or os.PathLike, not {type(path).__name__}")
    root = os.path.abspath(os.fspath(path))
    if not os.path.exists(root):
        raise UsageError(f"{root}: no such file or folder")
    yield Progress(0, 0, "listing files")
    refs, unreadable, listing = list_sources(root, token)
    total = len(refs)
    yield Progress(0, total, "reading headers")
    headers: list[Header] = []
    for done, header in read_all_headers(refs, token):
        headers.append(header)
        if token is not None:
            token.raise_if_cancelled()
        if done:
            yield Progress(len(headers), total, "reading headers")
    if token is not None:
        token.raise_if_cancelled()
    # The same object twice is shown once: the copy that decodes (core.dicom.duplicates).
    set_aside = choose_copies([h.record for h in headers if isinstance(h, ImageHeader)], token)
    if set_aside:
        headers = [_set_aside(h, set_aside) for h in headers]
    index = assemble_index(root, headers, unreadable)
    if listing is not None:
        unlisted = set(listing.unlisted)
        found = [_header_ref(h) for h in headers if not isinstance(h, SkippedFile)]
        note = describe_dicomdir(listing, [ref for ref in found if ref in unlisted])
        if note is not None:
            index = dataclasses.replace(index, notes=(*index.notes, note))
    logger.info(
        "indexed %d files: %d series, %d non-image, %d unreadable, %d not DICOM",
        total,
        len(index.all_series()),
        len(index.non_image),
        len(index.unreadable),
        index.skipped_non_dicom,
    )
    return index


def scan(path: str | os.PathLike[str]) -> StudyIndex:
    """Index ``path`` and return the result; see :func:`scan_path`."""
    return run_job(scan_path(path))


# --------------------------------------------------------------------------------------
# Grouping into patients, studies and series


@dataclass
class _StudyBucket:
    context: HeaderContext
    series: dict[str, list[ImageHeader]]


@dataclass
class _PatientBucket:
    context: HeaderContext
    studies: dict[str, _StudyBucket]


def assemble_index(
    root: str, headers: list[Header], unreadable: list[UnreadableFile]
) -> StudyIndex:
    """The index of ``headers`` read under ``root``: patients, studies, series, set-asides.

    The one grouping of headers into records: a folder scan and the study archive (which
    keeps the headers in its database) both build their index here.
    """
    patients: dict[tuple[str, str], _PatientBucket] = {}
    non_image: list[NonImageRecord] = []
    skipped: list[UnreadableFile] = []
    problems = list(unreadable)

    def study_bucket(context: HeaderContext) -> _StudyBucket:
        key = (context.patient_id, context.patient_name)
        patient = patients.get(key)
        if patient is None:
            patient = patients[key] = _PatientBucket(context, {})
        study = patient.studies.get(context.study_uid)
        if study is None:
            study = patient.studies[context.study_uid] = _StudyBucket(context, {})
        return study

    # By (path, member): FileRef's own order, compared in C (its generated __lt__ builds
    # both tuples at each of the ~5,000 comparisons a 512-slice CT takes).
    ordered = sorted(headers, key=lambda h: _ref_order(_header_ref(h)))
    for header in ordered:
        if isinstance(header, SkippedFile):
            skipped.append(UnreadableFile(header.ref, header.why))
        elif isinstance(header, UnreadableFile):
            problems.append(header)
        elif isinstance(header, NonImageHeader):
            study_bucket(header.context)
            non_image.append(header.record)
        else:
            bucket = study_bucket(header.context)
            bucket.series.setdefault(header.context.series_uid, []).append(header)

    patient_records = [
        PatientRecord(
            patient_id=bucket.context.patient_id,
            patient_name=bucket.context.patient_name,
            birth_date=bucket.context.birth_date,
            sex=bucket.context.sex,
            studies=tuple(
                sorted(
                    (_build_study(study) for study in bucket.studies.values()),
                    key=_study_sort_key(bucket.studies),
                )
            ),
        )
        for bucket in patients.values()
    ]
    patient_records.sort(key=lambda p: (p.patient_name.upper(), p.patient_id))
    return StudyIndex(
        root=root,
        patients=tuple(patient_records),
        non_image=tuple(sorted(non_image, key=lambda r: r.ref)),
        unreadable=tuple(sorted(problems, key=lambda u: u.ref)),
        skipped=tuple(skipped),
    )


def _set_aside(header: Header, set_aside: dict[FileRef, str]) -> Header:
    if isinstance(header, ImageHeader) and header.record.ref in set_aside:
        return UnreadableFile(header.record.ref, set_aside[header.record.ref])
    return header


def _ref_order(ref: FileRef) -> tuple[str, str | None]:
    return (ref.path, ref.member)


def _header_ref(header: Header) -> FileRef:
    return header.record.ref if isinstance(header, ImageHeader | NonImageHeader) else header.ref


def _study_sort_key(
    buckets: dict[str, _StudyBucket],
) -> Callable[[StudyRecord], tuple[str, str, str]]:
    times = {uid: bucket.context.study_time for uid, bucket in buckets.items()}

    def key(study: StudyRecord) -> tuple[str, str, str]:
        return (study.study_date, times.get(study.study_instance_uid, ""), study.study_instance_uid)

    return key


def _build_study(bucket: _StudyBucket) -> StudyRecord:
    series: list[SeriesRecord] = []
    for uid, images in bucket.series.items():
        first = images[0].context
        instances = sorted(
            (image.record for image in images),
            key=lambda r: (r.instance_number is None, r.instance_number or 0, r.ref),
        )
        parts = split_series(instances)
        for number, (part, reason) in enumerate(parts, start=1):
            series.append(
                SeriesRecord(
                    key=uid if len(parts) == 1 else f"{uid}#{number}",
                    series_instance_uid=uid,
                    modality=first.modality,
                    description=first.series_description,
                    series_number=first.series_number,
                    instances=part,
                    split_reason=reason,
                )
            )
    # Stable sort: the parts of a split series stay in their order.
    series.sort(
        key=lambda s: (s.series_number is None, s.series_number or 0, s.series_instance_uid)
    )
    context = bucket.context
    return StudyRecord(
        study_instance_uid=context.study_uid,
        study_date=context.study_date,
        study_description=context.study_description,
        accession_number=context.accession_number,
        series=tuple(series),
    )
