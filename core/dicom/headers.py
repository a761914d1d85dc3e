"""Reading DICOM headers in worker processes, in batches.

Only headers are read (``stop_before_pixels``), in worker processes and in batches so
that the inter-process traffic stays small; a batch that fails is read again file by
file. Every file comes back as exactly one :data:`Header`: an image, a non-image
object, an unreadable file (with a reason that names what was expected and what was
found), or a skipped file (not DICOM at all, or a DICOMDIR met among the files).
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import struct
import warnings
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any

from pydicom import dcmread
from pydicom.uid import (
    UID,
    DeflatedExplicitVRLittleEndian,
    MediaStorageDirectoryStorage,
)

from core.dicom.header_fields import HeaderContext, read_context, read_instance, read_text
from core.dicom.limits import is_deflated, read_deflated
from core.dicom.pixel_header import transfer_syntax_of
from core.dicom.records import FileRef, InstanceRecord, NonImageRecord, ObjectKind, UnreadableFile
from core.dicom.workers import run_isolated, worker_count
from core.errors import DicomError, PixelDataError, library_reason
from core.i18n import _
from core.jobs import CancelToken

logger = logging.getLogger(__name__)

_MAX_BATCH = 64
_DICOMDIR_CLASS = MediaStorageDirectoryStorage  # PS3.10 7.2
_RT_IMAGE_CLASS = "1.2.840.10008.5.1.4.1.1.481.1"
_DEFLATED_LE = DeflatedExplicitVRLittleEndian
_PIXEL_TAGS = frozenset({0x7FE00010, 0x7FE00008, 0x7FE00009})  # Pixel, Float, Double Float
_PIXEL_VRS = frozenset({b"OB", b"OW", b"OF", b"OD", b"OL", b"OV", b"UN"})
_UNDEFINED_LENGTH = 0xFFFFFFFF

# SOP Classes by UID (PS3.4 B.5). Exact matches first, then prefixes; order matters.
_KIND_BY_UID = {
    _RT_IMAGE_CLASS: ObjectKind.IMAGE,
    "1.2.840.10008.5.1.4.1.1.88.59": ObjectKind.KEY_OBJECT_SELECTION,
    "1.2.840.10008.5.1.4.1.1.66": ObjectKind.RAW_DATA,
    "1.2.840.10008.5.1.4.1.1.66.4": ObjectKind.SEGMENTATION,
    "1.2.840.10008.5.1.4.1.1.66.5": ObjectKind.SEGMENTATION,  # Surface Segmentation
    "1.2.840.10008.5.1.4.1.1.66.7": ObjectKind.SEGMENTATION,  # Label Map Segmentation
}
_KIND_BY_PREFIX = (
    ("1.2.840.10008.5.1.4.1.1.88.", ObjectKind.STRUCTURED_REPORT),
    ("1.2.840.10008.5.1.4.1.1.11.", ObjectKind.PRESENTATION_STATE),
    ("1.2.840.10008.5.1.4.1.1.481.", ObjectKind.RT),
    ("1.2.840.10008.5.1.4.34.", ObjectKind.RT),  # second-generation RT
    ("1.2.840.10008.5.1.4.1.1.9.", ObjectKind.WAVEFORM),
    ("1.2.840.10008.5.1.4.1.1.104.", ObjectKind.ENCAPSULATED_DOCUMENT),
)


def classify_sop_class(sop_class_uid: str, has_pixel_data: bool) -> ObjectKind:
    """What kind of object a SOP Class is, for deciding whether it can be shown.

    Parameters
    ----------
    sop_class_uid : str
        The SOP Class UID (0008,0016).
    has_pixel_data : bool
        Whether the object carries Pixel Data (or Float/Double Float Pixel Data);
        decides for SOP Classes that are not known to be non-image.

    Returns
    -------
    ObjectKind
        SR (all of the 1.2.840.10008.5.1.4.1.1.88 family but Key Object Selection),
        presentation states, RT objects (RT Dose included, although it has pixel
        data; RT Image is an image), waveforms, encapsulated documents,
        segmentations and raw data are never images. Anything else is an image
        when it has pixel data, else ``OTHER``.
    """
    if not isinstance(sop_class_uid, str):
        raise TypeError(f"sop_class_uid must be a str, not {type(sop_class_uid).__name__}")
    uid = sop_class_uid.strip()
    kind = _KIND_BY_UID.get(uid)
    if kind is None:
        kind = next((k for prefix, k in _KIND_BY_PREFIX if uid.startswith(prefix)), None)
    if kind is not None:
        return kind
    return ObjectKind.IMAGE if has_pixel_data else ObjectKind.OTHER


def _is_image_storage_class(uid: str) -> bool:
    name = UID(uid).name
    return "Image Storage" in name or name == "Parametric Map Storage"


def _sop_class_name(uid: str) -> str:
    return UID(uid).name if uid else "unknown SOP Class (no SOP Class UID)"


# --------------------------------------------------------------------------------------
# Results of reading one header in a worker (all picklable)


@dataclass(frozen=True)
class ImageHeader:
    """An image object: its grouping context and its instance record."""

    context: HeaderContext
    record: InstanceRecord


@dataclass(frozen=True)
class NonImageHeader:
    """A non-image object (SR, presentation state, RT, ...): context and record."""

    context: HeaderContext
    record: NonImageRecord


@dataclass(frozen=True)
class SkippedFile:
    """A file that is not DICOM, or a DICOMDIR met among the files, and why it was skipped."""

    ref: FileRef
    why: str


#: What reading one file gives: every file ends up as exactly one of these.
Header = ImageHeader | NonImageHeader | UnreadableFile | SkippedFile


# --------------------------------------------------------------------------------------
# Reading headers in worker processes


def _batch_size(count: int) -> int:
    # About four batches per worker balances the load; 64 caps the work lost to one crash.
    return max(1, min(_MAX_BATCH, math.ceil(count / (4 * worker_count()))))


def _describe_batch(batch: tuple[FileRef, ...]) -> str:
    first = batch[0].display_name if batch else "(empty batch)"
    return first if len(batch) == 1 else f"{first} (and {len(batch) - 1} more files)"


def read_all_headers(
    refs: Sequence[FileRef], token: CancelToken | None
) -> Iterator[tuple[bool, Header]]:
    """Yield ``(end_of_batch, header)`` for every ref; a failed batch is retried file by file."""
    if not refs:
        return
    size = _batch_size(len(refs))
    batches = [tuple(refs[i : i + size]) for i in range(0, len(refs), size)]
    retry: list[FileRef] = []
    for outcome in run_isolated(read_headers, batches, token, describe=_describe_batch):
        batch = batches[outcome.index]
        if outcome.error is not None or outcome.result is None:
            logger.warning("a batch of %d headers failed; reading them one by one", len(batch))
            retry.extend(batch)
            continue
        for position, header in enumerate(outcome.result):
            yield position == len(outcome.result) - 1, header
    if retry:
        singles = [(ref,) for ref in retry]
        for outcome in run_isolated(read_headers, singles, token, describe=_describe_batch):
            ref = retry[outcome.index]
            if outcome.error is not None or not outcome.result:
                yield True, UnreadableFile(ref, _reason_from_error(outcome.error))
            else:
                yield True, outcome.result[0]


def _reason_from_error(error: BaseException | None) -> str:
    if isinstance(error, PixelDataError) and "worker process died" in error.reason:
        return _("reading the header crashed its worker process")
    if isinstance(error, DicomError):
        return error.reason
    return _("reading the header failed ({reason})").format(reason=describe_read_error(error))


def read_headers(refs: tuple[FileRef, ...]) -> list[Header]:
    """Read the headers of a batch of files (runs in a worker process).

    Never raises for a bad file: each one comes back as a record, an
    :class:`UnreadableFile` with its reason, or a skip marker.
    """
    results: list[Header] = []
    archives: dict[str, zipfile.ZipFile] = {}
    try:
        with quiet_pydicom():
            for ref in refs:
                results.append(_read_one(ref, archives))
    finally:
        for archive in archives.values():
            archive.close()
    return results


@contextlib.contextmanager
def quiet_pydicom() -> Iterator[None]:
    """Silence pydicom's warnings and log lines: they can quote element values (patient data)."""
    pydicom_logger = logging.getLogger("pydicom")
    was_disabled = pydicom_logger.disabled
    pydicom_logger.disabled = True
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        pydicom_logger.disabled = was_disabled


def _read_one(ref: FileRef, archives: dict[str, zipfile.ZipFile]) -> Header:
    try:
        if ref.member is None:
            size = os.path.getsize(ref.path)
            stream: IO[bytes] = open(ref.path, "rb")  # noqa: SIM115 - closed below
        else:
            archive = archives.get(ref.path)
            if archive is None:
                archive = archives[ref.path] = zipfile.ZipFile(ref.path)
            size = archive.getinfo(ref.member).file_size
            stream = archive.open(ref.member)
    except (OSError, KeyError, zipfile.BadZipFile, RuntimeError, NotImplementedError) as error:
        return UnreadableFile(
            ref,
            _("the file could not be opened ({reason})").format(reason=describe_read_error(error)),
        )
    try:
        with stream:
            return _parse(ref, stream, size)
    except DicomError as error:
        return UnreadableFile(ref, error.reason)
    except Exception as error:  # anything pydicom or a broken file throws costs this file only
        return UnreadableFile(
            ref,
            _("the header could not be read ({reason})").format(reason=describe_read_error(error)),
        )


def describe_read_error(error: BaseException | None) -> str:
    """Why reading failed, in words that never quote a value (truncation, or the error's type)."""
    if error is None:
        return _("no result")
    if isinstance(error, EOFError | struct.error):
        return _("the file ends inside a data element (truncated)")
    return library_reason(error)


def _looks_like_raw_dicom(head: bytes) -> bool:
    """Whether a file without preamble plausibly starts with a group 0002 or 0008 element."""
    if len(head) < 8:
        return False
    for endian in "<>":
        group, element = struct.unpack(endian + "HH", head[:4])
        if group in (0x0002, 0x0008) and element < 0x2000:
            vr = head[4:6]
            if vr.isalpha() and vr.isupper():
                return True  # explicit VR
            (length,) = struct.unpack(endian + "I", head[4:8])
            if endian == "<" and length < 0x10000:
                return True  # implicit VR (always little endian)
    return False


def _parse(ref: FileRef, stream: IO[bytes], size: int) -> Header:
    head = stream.read(132)
    if not head:
        return SkippedFile(ref, _("not DICOM: an empty file"))
    has_preamble = len(head) == 132 and head[128:132] == b"DICM"
    if not has_preamble and not _looks_like_raw_dicom(head):
        return SkippedFile(ref, _("not DICOM: no DICM prefix and no DICOM element at the start"))
    stream.seek(0)
    deflated_pixel_tag: int | None = None
    try:
        if is_deflated(stream):  # inflate the header only, never the pixel data
            ds, deflated_pixel_tag = read_deflated(stream, ref.display_name, header_only=True)
        else:
            ds = dcmread(stream, stop_before_pixels=True, force=not has_preamble)
    except DicomError:
        raise
    except Exception:
        if not has_preamble:
            return SkippedFile(ref, _("not DICOM: raw data that does not parse as DICOM"))
        raise
    meta_class = str(ds.file_meta.get("MediaStorageSOPClassUID", "") or "").strip()
    if meta_class == _DICOMDIR_CLASS:
        return SkippedFile(
            ref,
            _("a DICOMDIR (a directory of files, not an image); the files are indexed themselves"),
        )
    syntax = transfer_syntax_of(ds)
    truncated: str | None = None
    if syntax == _DEFLATED_LE:
        pixel_tag = deflated_pixel_tag  # no offsets: the pixel data is read by a decoder
        pixel_header: tuple[int, int | None] | None = None
    else:
        # Before any value is converted: the raw elements still know their offsets.
        truncated = find_truncation(ds, size)
        pixel_tag, pixel_header = _peek_pixel_element(stream, ds)
    if len(ds) == 0:
        if not has_preamble:
            return SkippedFile(ref, _("not DICOM: raw data that does not parse as DICOM"))
        raise DicomError(
            ref.display_name,
            _(
                "the file ends before any data element after the File Meta Information "
                "(truncated, or an empty data set)"
            ),
        )
    sop_class = read_text(ds, "SOPClassUID") or meta_class
    has_pixels = pixel_tag is not None
    if not has_preamble and not sop_class and not has_pixels:
        return SkippedFile(ref, _("not DICOM: raw data without SOP Class UID or Pixel Data"))
    if truncated is not None and not has_pixels:
        raise DicomError(ref.display_name, truncated)
    context = read_context(ds, ref)
    kind = classify_sop_class(sop_class, has_pixels)
    if (kind is ObjectKind.IMAGE and not has_pixels) or (
        kind is ObjectKind.OTHER and sop_class and _is_image_storage_class(sop_class)
    ):
        raise DicomError(ref.display_name, _("image object without Pixel Data (7FE0,0010)"))
    if kind is not ObjectKind.IMAGE:
        if not sop_class:
            raise DicomError(
                ref.display_name,
                "no SOP Class UID (0008,0016) and no Pixel Data: nothing that can be shown",
            )
        record = NonImageRecord(
            ref=ref,
            kind=kind,
            sop_class_uid=sop_class,
            sop_class_name=_sop_class_name(sop_class),
            modality=context.modality,
            study_instance_uid=context.study_uid,
            series_instance_uid=context.series_uid,
        )
        return NonImageHeader(context, record)
    instance = read_instance(ds, ref, syntax, size, pixel_tag, pixel_header)
    return ImageHeader(context, instance)


def _element_span(element: Any) -> tuple[int, int] | None:
    """(start of value, end of value) of a top-level element, when its length is known."""
    tell = getattr(element, "value_tell", None)
    if tell is None:
        return None
    length = getattr(element, "length", None)
    if length is None or length == _UNDEFINED_LENGTH:
        return tell, tell
    return tell, tell + length


def find_truncation(ds: Any, size: int) -> str | None:
    """Why the header looks cut short, or None (pydicom reads truncated headers silently)."""
    last: tuple[int, int, int] | None = None
    for element in ds.elements():
        span = _element_span(element)
        if span is not None and (last is None or span[0] > last[0]):
            last = (span[0], span[1], int(element.tag))
    if last is None:
        return None
    start, end, tag = last
    where = f"({tag >> 16:04X},{tag & 0xFFFF:04X})"
    if end > size:
        return _(
            "element {tag} claims {claimed} bytes but only {left} remain in the file "
            "(truncated file or corrupt length)"
        ).format(tag=where, claimed=end - start, left=max(size - start, 0))
    return None


def _peek_pixel_element(stream: IO[bytes], ds: Any) -> tuple[int | None, tuple[int, int | None]]:
    """Where the stream stopped: the pixel element's tag, and (value offset, value length).

    ``stop_before_pixels`` leaves the stream at the start of the (7FE0,0010) element
    header: 8 bytes in implicit VR, 12 for explicit VR OB/OW (PS3.5 7.1.2).
    """
    start = stream.tell()
    header = stream.read(12)
    if len(header) < 8:
        return None, (start, None)
    _explicit, little = getattr(ds, "original_encoding", (True, True))
    endian = "<" if little else ">"
    group, element = struct.unpack(endian + "HH", header[:4])
    tag = group << 16 | element
    if tag not in _PIXEL_TAGS:
        return None, (start, None)
    # Judge the VR from the bytes: some writers switch to implicit VR against their
    # transfer syntax. An implicit length cannot look like a pixel VR: it would be odd.
    if header[4:6] in _PIXEL_VRS:
        if len(header) < 12:
            return tag, (start + 12, None)
        (length,) = struct.unpack(endian + "I", header[8:12])
        offset = start + 12
    else:
        (length,) = struct.unpack("<I", header[4:8])
        offset = start + 8
    return tag, (offset, None if length == _UNDEFINED_LENGTH else length)
