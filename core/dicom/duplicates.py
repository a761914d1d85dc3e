"""Copies of one object (same SOP Instance UID): keep the copy that decodes.

The same image often reaches a folder twice — a CD holding both the original and
a compressed copy, a re-export, a second download. It is shown once. Which copy
is kept used to be the first by file name, even when that one cannot be decoded
(a JPEG 2000 copy without its decoder, a damaged stream) and the other can; the
series then showed a black frame for an image that was there all along.

Cost: nothing is decoded unless duplicates exist, and then only until one copy
of each object decodes, in file-name order. A copy whose pixel data the index
already found to be plain native values of the right length (it recorded their
offset) decodes by construction and is not decoded at all. Checks run in the
isolated worker processes (house rule 4).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence

from core.dicom.headers import quiet_pydicom as _quiet_pydicom
from core.dicom.limits import read_dataset_bounded
from core.dicom.pixels import read_frame_values
from core.dicom.records import FileRef, InstanceRecord
from core.dicom.workers import run_isolated
from core.errors import DicomError
from core.jobs import CancelToken

logger = logging.getLogger(__name__)

__all__ = ["check_copy_decodes", "choose_copies", "copy_identity"]

Identity = tuple[str, int, int, int, int, int]


def copy_identity(record: InstanceRecord) -> Identity:
    """What makes two records copies of one object.

    The same SOP Instance UID with the same image size, frame count, samples and
    bits allocated. A UID clash between different images is not a copy: both are
    kept (geometry then reports what is odd about them).
    """
    if not isinstance(record, InstanceRecord):
        raise TypeError(f"record must be an InstanceRecord, found {type(record).__name__}")
    return (
        record.sop_instance_uid,
        record.rows,
        record.columns,
        record.number_of_frames,
        record.samples_per_pixel,
        record.bits_allocated,
    )


def _decodes_by_construction(record: InstanceRecord) -> bool:
    # The index records an offset only for native little-endian Pixel Data it found long
    # enough for every frame: reading it needs no decoder.
    return record.pixel_data_offset is not None and not record.complex_modality_lut


def check_copy_decodes(record: InstanceRecord) -> str | None:
    """None when the copy's first and last frames decode; else why not (runs in a worker).

    The reason never holds patient data: it is a :class:`~core.errors.DicomError`
    reason or an exception's type.
    """

    source = record.ref.display_name
    try:
        with _quiet_pydicom(), record.ref.open() as stream:
            ds = read_dataset_bounded(stream, source=source)
            for frame in sorted({0, record.number_of_frames - 1}):
                read_frame_values(ds, frame, source=source)
    except DicomError as error:
        return error.reason
    except Exception as error:  # what a broken file throws costs the check of this copy only
        return f"the pixel data could not be read ({type(error).__name__})"
    return None


def choose_copies(
    records: Sequence[InstanceRecord], token: CancelToken | None = None
) -> dict[FileRef, str]:
    """The copies to set aside, each with the reason; one copy of each object stays.

    Parameters
    ----------
    records : sequence of InstanceRecord
        Every image record of the scan.
    token : CancelToken, optional
        Checked while copies are decoded.

    Returns
    -------
    dict of FileRef to str
        Each copy set aside and why: a copy of the kept one, or a copy that does
        not decode while the kept one does. Of copies that all decode, the first
        by file is kept; of copies none of which decodes, the first too.
    """
    groups_by_identity: dict[Identity, list[InstanceRecord]] = defaultdict(list)
    for record in records:
        groups_by_identity[copy_identity(record)].append(record)
    groups = [sorted(g, key=lambda r: r.ref) for g in groups_by_identity.values() if len(g) > 1]
    if not groups:
        return {}
    kept: dict[int, InstanceRecord] = {}
    failures: dict[FileRef, str] = {}
    next_copy = dict.fromkeys(range(len(groups)), 0)
    decoded = 0
    while next_copy:
        to_check: list[tuple[int, InstanceRecord]] = []
        for number, position in list(next_copy.items()):
            if position == len(groups[number]):  # none decodes: the first stays, as before
                kept[number] = groups[number][0]
                del next_copy[number]
                continue
            copy = groups[number][position]
            if _decodes_by_construction(copy):
                kept[number] = copy
                del next_copy[number]
            else:
                to_check.append((number, copy))
        checks = run_isolated(
            check_copy_decodes,
            [copy for _, copy in to_check],
            token,
            describe=lambda record: record.ref.display_name,
        )
        for outcome in checks:
            number, copy = to_check[outcome.index]
            decoded += 1
            reason = outcome.result
            if outcome.error is not None:
                error = outcome.error
                reason = error.reason if isinstance(error, DicomError) else type(error).__name__
            if reason is None:
                kept[number] = copy
                del next_copy[number]
            else:
                failures[copy.ref] = reason
                next_copy[number] += 1
    set_aside: dict[FileRef, str] = {}
    for number, group in enumerate(groups):
        keep = kept[number]
        for copy in group:
            if copy is keep:
                continue
            if copy.ref in failures and keep.ref not in failures:
                set_aside[copy.ref] = (
                    f"same SOP Instance UID as {keep.ref.display_name}, which was kept: "
                    f"this copy does not decode ({failures[copy.ref]})"
                )
            else:
                set_aside[copy.ref] = (
                    f"same SOP Instance UID as {keep.ref.display_name}: a copy of an object "
                    "already indexed, not shown twice"
                )
    logger.info(
        "%d objects with copies: %d copies decoded to choose, %d set aside",
        len(groups),
        decoded,
        len(set_aside),
    )
    return set_aside
