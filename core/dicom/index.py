"""Scanning a folder, DICOMDIR, .zip or single file into a :class:`StudyIndex`.

Only headers are read (``stop_before_pixels``), in worker processes and in
batches so that the inter-process traffic stays small. Every file ends up in
exactly one place: an image series, the non-image list, the unreadable list
(with a reason that names what was expected and what was found), or the skipped
list: files that are not DICOM at all and DICOMDIRs met in sub-folders, each with why.

What is read follows PS3.3: the Image Plane Module (C.7.6.2) for single-frame
images, the Multi-frame Functional Groups Module (C.7.6.16) for enhanced
multi-frame images, and the VOI LUT Module (C.11.2) for window presets.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import logging
import math
import os
import struct
import warnings
import zipfile
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any

from pydicom import dcmread
from pydicom.datadict import dictionary_VR, tag_for_keyword
from pydicom.dataelem import RawDataElement
from pydicom.multival import ConstrainedList
from pydicom.uid import UID

from core.dicom.dicomdir import DicomdirListing, describe_dicomdir, match_dicomdir
from core.dicom.duplicates import choose_copies
from core.dicom.float_windows import with_continuous_windows
from core.dicom.limits import expected_pixel_bytes, is_deflated, read_deflated
from core.dicom.person_name import decode_person_name
from core.dicom.records import (
    FileRef,
    FrameInfo,
    InstanceRecord,
    NonImageRecord,
    ObjectKind,
    PatientRecord,
    SeriesRecord,
    StudyIndex,
    StudyRecord,
    UnreadableFile,
    VoiWindow,
)
from core.dicom.series import split_series
from core.dicom.workers import run_isolated, worker_count
from core.errors import DicomError, PixelDataError, UsageError, library_reason
from core.jobs import CancelToken, Progress, run_job

logger = logging.getLogger(__name__)

#: Prefix of the keys made up for objects that lack a Study/Series/SOP Instance UID.
PLACEHOLDER_PREFIX = "no-uid-"

_MAX_BATCH = 64
_DICOMDIR_CLASS = "1.2.840.10008.1.3.10"  # Media Storage Directory Storage (PS3.10 7.2)
_RT_IMAGE_CLASS = "1.2.840.10008.5.1.4.1.1.481.1"
_IMPLICIT_LE = "1.2.840.10008.1.2"
_EXPLICIT_LE = "1.2.840.10008.1.2.1"
_EXPLICIT_BE = "1.2.840.10008.1.2.2"
_DEFLATED_LE = "1.2.840.10008.1.2.1.99"
_NATIVE_SYNTAXES = frozenset({_IMPLICIT_LE, _EXPLICIT_LE, _EXPLICIT_BE})
_PIXEL_DATA = 0x7FE00010
_PIXEL_TAGS = frozenset({0x7FE00010, 0x7FE00008, 0x7FE00009})  # Pixel, Float, Double Float
_PIXEL_VRS = frozenset({b"OB", b"OW", b"OF", b"OD", b"OL", b"OV", b"UN"})
_UNDEFINED_LENGTH = 0xFFFFFFFF
_VOI_FUNCTIONS = frozenset({"LINEAR", "LINEAR_EXACT", "SIGMOID"})

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
class _Context:
    """Patient/study/series attributes of one object, for grouping in the parent."""

    patient_id: str
    patient_name: str
    birth_date: str
    sex: str
    study_uid: str
    study_date: str
    study_time: str
    study_description: str
    accession_number: str
    series_uid: str
    series_description: str
    series_number: int | None
    modality: str


@dataclass(frozen=True)
class _Image:
    context: _Context
    record: InstanceRecord


@dataclass(frozen=True)
class _NonImage:
    context: _Context
    record: NonImageRecord


@dataclass(frozen=True)
class _Skipped:
    ref: FileRef
    why: str


_Header = _Image | _NonImage | UnreadableFile | _Skipped


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
    refs, unreadable, listing = _list_sources(root, token)
    total = len(refs)
    yield Progress(0, total, "reading headers")
    headers: list[_Header] = []
    for done, header in _read_all(refs, token):
        headers.append(header)
        if token is not None:
            token.raise_if_cancelled()
        if done:
            yield Progress(len(headers), total, "reading headers")
    if token is not None:
        token.raise_if_cancelled()
    # The same object twice is shown once: the copy that decodes (core.dicom.duplicates).
    set_aside = choose_copies([h.record for h in headers if isinstance(h, _Image)], token)
    if set_aside:
        headers = [_set_aside(h, set_aside) for h in headers]
    index = _assemble(root, headers, unreadable)
    if listing is not None:
        unlisted = set(listing.unlisted)
        found = [_header_ref(h) for h in headers if not isinstance(h, _Skipped)]
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
# Listing what to read


def _list_sources(
    root: str, token: CancelToken | None
) -> tuple[list[FileRef], list[UnreadableFile], DicomdirListing | None]:
    """The objects to read, the unreadable found while listing, the DICOMDIR."""
    if os.path.isdir(root):
        dicomdir = next(
            (
                os.path.join(root, name)
                for name in sorted(os.listdir(root))
                if name.upper() == "DICOMDIR" and os.path.isfile(os.path.join(root, name))
            ),
            None,
        )
        if dicomdir is not None:
            return _list_dicomdir(dicomdir, token)
        return _walk_folder(root, token), [], None
    if os.path.basename(root).upper() == "DICOMDIR" or _has_dicomdir_class(root):
        return _list_dicomdir(root, token)
    if _is_zip(root):
        return (*_list_zip(root), None)
    return [FileRef(root)], [], None


def _walk_folder(root: str, token: CancelToken | None) -> list[FileRef]:
    refs: list[FileRef] = []
    # Symlinked folders are not followed: no cycles, nothing indexed twice.
    for folder, dirs, files in os.walk(root):
        if token is not None:
            token.raise_if_cancelled()
        dirs.sort()
        refs.extend(FileRef(os.path.join(folder, name)) for name in sorted(files))
    return refs


def _has_dicomdir_class(path: str) -> bool:
    try:
        with open(path, "rb") as stream:
            head = stream.read(132 + 512)
    except OSError:
        return False
    return head[128:132] == b"DICM" and _DICOMDIR_CLASS.encode() in head


def _is_zip(path: str) -> bool:
    try:
        with open(path, "rb") as stream:
            head = stream.read(132)
    except OSError:
        return False
    if head[128:132] == b"DICM":
        return False
    return path.lower().endswith(".zip") or zipfile.is_zipfile(path)


def _list_zip(path: str) -> tuple[list[FileRef], list[UnreadableFile]]:
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError) as error:
        return [], [UnreadableFile(FileRef(path), f"not a readable .zip archive ({error})")]
    refs: list[FileRef] = []
    unreadable: list[UnreadableFile] = []
    for info in sorted(infos, key=lambda i: i.filename):
        if info.is_dir():
            continue
        ref = FileRef(path, info.filename)
        if info.flag_bits & 0x1:
            unreadable.append(UnreadableFile(ref, "the archive member is encrypted"))
        else:
            refs.append(ref)
    return refs, unreadable


def read_dicomdir_file_ids(path: str) -> tuple[list[tuple[str, ...]], str | None]:
    """The Referenced File IDs of a DICOMDIR, or why it could not be read (runs in a worker).

    Records are read one by one so that a malformed record costs only itself
    (pydicom's FileSet refuses the whole directory for one bad record).
    """
    try:
        with _quiet_pydicom():
            directory = dcmread(path)
            truncated = _find_truncation(directory, os.path.getsize(path))
            if truncated is not None:
                return [], truncated
            if "DirectoryRecordSequence" not in directory:
                return [], "no Directory Record Sequence (0004,1220)"
            records = list(directory.DirectoryRecordSequence)
            file_ids: list[tuple[str, ...]] = []
            for record in records:
                try:
                    file_id = record.get("ReferencedFileID")
                except Exception:
                    continue
                if not file_id:
                    continue
                parts = [file_id] if isinstance(file_id, str) else [str(p) for p in file_id]
                parts = [p.strip() for p in parts if p.strip()]
                if parts:
                    file_ids.append(tuple(parts))
    except Exception as error:
        return [], _describe(error)
    return file_ids, None


def _list_dicomdir(
    path: str, token: CancelToken | None
) -> tuple[list[FileRef], list[UnreadableFile], DicomdirListing | None]:
    """The files a DICOMDIR lists, then every other file of its folder (see core.dicom.dicomdir)."""
    (outcome,) = run_isolated(read_dicomdir_file_ids, [path], token)
    file_ids, error = outcome.result if outcome.result is not None else ([], None)
    folder = [ref for ref in _walk_folder(os.path.dirname(path), token) if ref.path != path]
    if outcome.error is not None or error is not None:
        why = error or _describe(outcome.error)
        reason = f"the DICOMDIR could not be read ({why}); scanned its folder instead"
        return folder, [UnreadableFile(FileRef(path), reason)], None
    listing = match_dicomdir(path, file_ids, folder)
    return list(listing.refs), [], listing


# --------------------------------------------------------------------------------------
# Reading headers in worker processes


def _batch_size(count: int) -> int:
    # About four batches per worker balances the load; 64 caps the work lost to one crash.
    return max(1, min(_MAX_BATCH, math.ceil(count / (4 * worker_count()))))


def _describe_batch(batch: tuple[FileRef, ...]) -> str:
    first = batch[0].display_name if batch else "(empty batch)"
    return first if len(batch) == 1 else f"{first} (and {len(batch) - 1} more files)"


def _read_all(refs: Sequence[FileRef], token: CancelToken | None) -> Iterator[tuple[bool, _Header]]:
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
        return "reading the header crashed its worker process"
    if isinstance(error, DicomError):
        return error.reason
    return f"reading the header failed ({_describe(error)})"


def read_headers(refs: tuple[FileRef, ...]) -> list[_Header]:
    """Read the headers of a batch of files (runs in a worker process).

    Never raises for a bad file: each one comes back as a record, an
    :class:`UnreadableFile` with its reason, or a skip marker.
    """
    results: list[_Header] = []
    archives: dict[str, zipfile.ZipFile] = {}
    try:
        with _quiet_pydicom():
            for ref in refs:
                results.append(_read_one(ref, archives))
    finally:
        for archive in archives.values():
            archive.close()
    return results


@contextlib.contextmanager
def _quiet_pydicom() -> Iterator[None]:
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


def _read_one(ref: FileRef, archives: dict[str, zipfile.ZipFile]) -> _Header:
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
        return UnreadableFile(ref, f"the file could not be opened ({_describe(error)})")
    try:
        with stream:
            return _parse(ref, stream, size)
    except DicomError as error:
        return UnreadableFile(ref, error.reason)
    except Exception as error:  # anything pydicom or a broken file throws costs this file only
        return UnreadableFile(ref, f"the header could not be read ({_describe(error)})")


def _describe(error: BaseException | None) -> str:
    if error is None:
        return "no result"
    if isinstance(error, EOFError | struct.error):
        return "the file ends inside a data element (truncated)"
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


def _parse(ref: FileRef, stream: IO[bytes], size: int) -> _Header:
    head = stream.read(132)
    if not head:
        return _Skipped(ref, "not DICOM: an empty file")
    has_preamble = len(head) == 132 and head[128:132] == b"DICM"
    if not has_preamble and not _looks_like_raw_dicom(head):
        return _Skipped(ref, "not DICOM: no DICM prefix and no DICOM element at the start")
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
            return _Skipped(ref, "not DICOM: raw data that does not parse as DICOM")
        raise
    meta_class = str(ds.file_meta.get("MediaStorageSOPClassUID", "") or "").strip()
    if meta_class == _DICOMDIR_CLASS:
        return _Skipped(
            ref, "a DICOMDIR (a directory of files, not an image); the files are indexed themselves"
        )
    syntax = _transfer_syntax(ds)
    truncated: str | None = None
    if syntax == _DEFLATED_LE:
        pixel_tag = deflated_pixel_tag  # no offsets: the pixel data is read by a decoder
        pixel_header: tuple[int, int | None] | None = None
    else:
        # Before any value is converted: the raw elements still know their offsets.
        truncated = _find_truncation(ds, size)
        pixel_tag, pixel_header = _peek_pixel_element(stream, ds)
    if len(ds) == 0:
        if not has_preamble:
            return _Skipped(ref, "not DICOM: raw data that does not parse as DICOM")
        raise DicomError(
            ref.display_name,
            "the file ends before any data element after the File Meta Information "
            "(truncated, or an empty data set)",
        )
    sop_class = _text(ds, "SOPClassUID") or meta_class
    has_pixels = pixel_tag is not None
    if not has_preamble and not sop_class and not has_pixels:
        return _Skipped(ref, "not DICOM: raw data without SOP Class UID or Pixel Data")
    if truncated is not None and not has_pixels:
        raise DicomError(ref.display_name, truncated)
    context = _read_context(ds, ref)
    kind = classify_sop_class(sop_class, has_pixels)
    if (kind is ObjectKind.IMAGE and not has_pixels) or (
        kind is ObjectKind.OTHER and sop_class and _is_image_storage_class(sop_class)
    ):
        raise DicomError(ref.display_name, "image object without Pixel Data (7FE0,0010)")
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
        return _NonImage(context, record)
    instance = _read_instance(ds, ref, syntax, size, pixel_tag, pixel_header)
    return _Image(context, instance)


def _transfer_syntax(ds: Any) -> str:
    syntax = str(ds.file_meta.get("TransferSyntaxUID", "") or "").strip()
    if syntax:
        return syntax
    implicit, little = getattr(ds, "original_encoding", (True, True))
    if implicit:
        return _IMPLICIT_LE
    return _EXPLICIT_LE if little else _EXPLICIT_BE


def _element_span(element: Any) -> tuple[int, int] | None:
    """(start of value, end of value) of a top-level element, when its length is known."""
    tell = getattr(element, "value_tell", None)
    if tell is None:
        return None
    length = getattr(element, "length", None)
    if length is None or length == _UNDEFINED_LENGTH:
        return tell, tell
    return tell, tell + length


def _find_truncation(ds: Any, size: int) -> str | None:
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
        return (
            f"element {where} claims {end - start} bytes but only {max(size - start, 0)} "
            "remain in the file (truncated file or corrupt length)"
        )
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
    _, little = getattr(ds, "original_encoding", (True, True))
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


# --------------------------------------------------------------------------------------
# Attribute access that never raises and never quotes a value


_TEXT_VRS = frozenset({"DS", "IS", "CS", "UI", "DA", "TM", "AS"})
_TAG_CACHE: dict[str, int] = {}


def _tag(keyword: str) -> int:
    tag = _TAG_CACHE.get(keyword)
    if tag is None:
        found = tag_for_keyword(keyword)
        if found is None:
            raise ValueError(f"{keyword!r} is not a DICOM keyword")
        tag = _TAG_CACHE[keyword] = int(found)
    return tag


def _value(ds: Any, keyword: str) -> Any:
    """An element's value, or None when absent or unconvertible.

    Numbers, codes and UIDs are decoded straight from the raw bytes: converting them
    through pydicom costs more than the rest of a header read.
    """
    tag = _tag(keyword)
    try:
        element = ds.get_item(tag)
        if element is None:
            return None
        if isinstance(element, RawDataElement) and element.value is not None:
            vr = element.VR or dictionary_VR(tag)
            if vr in _TEXT_VRS:
                text = element.value.decode("ascii", "replace").strip("\x00 ")
                parts = [part.strip("\x00 ") for part in text.split("\\")]
                return parts[0] if len(parts) == 1 else parts
            if vr in ("US", "SS") and element.value and len(element.value) % 2 == 0:
                endian = "<" if element.is_little_endian else ">"
                code = "H" if vr == "US" else "h"
                numbers = struct.unpack(f"{endian}{len(element.value) // 2}{code}", element.value)
                return numbers[0] if len(numbers) == 1 else list(numbers)
        return ds[tag].value
    except Exception:
        return None


def _values(ds: Any, keyword: str) -> list[Any]:
    value = _value(ds, keyword)
    if value is None or value == "":
        return []
    if isinstance(value, list | tuple | ConstrainedList):
        return list(value)
    return [value]


def _text(ds: Any, keyword: str) -> str:
    items = _values(ds, keyword)
    try:
        return "\\".join(str(v) for v in items).strip()
    except Exception:
        return ""


def _float(ds: Any, keyword: str) -> float | None:
    items = _values(ds, keyword)
    if not items:
        return None
    try:
        number = float(items[0])
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _floats(ds: Any, keyword: str, count: int) -> tuple[float, ...] | None:
    items = _values(ds, keyword)
    if len(items) != count:
        return None
    try:
        numbers = tuple(float(v) for v in items)
    except (TypeError, ValueError):
        return None
    return numbers if all(math.isfinite(n) for n in numbers) else None


def _int(ds: Any, keyword: str) -> int | None:
    number = _float(ds, keyword)
    if number is None or not number.is_integer():
        return None
    return int(number)


def _float_list(ds: Any, keyword: str) -> list[float | None]:
    numbers: list[float | None] = []
    for item in _values(ds, keyword):
        try:
            number = float(item)
        except (TypeError, ValueError):
            numbers.append(None)
            continue
        numbers.append(number if math.isfinite(number) else None)
    return numbers


def _position(ds: Any) -> tuple[float, float, float] | None:
    value = _floats(ds, "ImagePositionPatient", 3)
    return None if value is None else (value[0], value[1], value[2])


def _orientation(ds: Any) -> tuple[float, float, float, float, float, float] | None:
    """Image Orientation (Patient) when it is two non-parallel non-zero directions."""
    value = _floats(ds, "ImageOrientationPatient", 6)
    if value is None:
        return None
    row, col = value[:3], value[3:]
    row_norm = math.sqrt(sum(v * v for v in row))
    col_norm = math.sqrt(sum(v * v for v in col))
    if row_norm < 1e-6 or col_norm < 1e-6:
        return None
    cosine = abs(sum(a * b for a, b in zip(row, col, strict=True))) / (row_norm * col_norm)
    if cosine > 0.99:
        return None
    return (value[0], value[1], value[2], value[3], value[4], value[5])


def _pair(ds: Any, keyword: str) -> tuple[float, float] | None:
    value = _floats(ds, keyword, 2)
    if value is None or value[0] <= 0 or value[1] <= 0:
        return None
    return (value[0], value[1])


def _windows(ds: Any) -> tuple[VoiWindow, ...]:
    """Window presets: each Window Center/Width pair with its explanation (PS3.3 C.11.2.1.2)."""
    centers = _float_list(ds, "WindowCenter")
    widths = _float_list(ds, "WindowWidth")
    if not centers or not widths:
        return ()
    explanations = [str(v).strip() for v in _values(ds, "WindowCenterWidthExplanation")]
    function = _text(ds, "VOILUTFunction").upper() or "LINEAR"
    if function not in _VOI_FUNCTIONS:
        function = "LINEAR"
    # A LINEAR width below 1 (C.11.2.1.2.1) is kept: on float pixel data it is applied as
    # LINEAR_EXACT (core.dicom.float_windows); on integers, presets refuse it.
    windows: list[VoiWindow] = []
    for i, (center, width) in enumerate(zip(centers, widths, strict=False)):
        if center is None or width is None or not width > 0:
            continue
        explanation = explanations[i] if i < len(explanations) else ""
        windows.append(VoiWindow(center, width, explanation, function))
    return tuple(windows)


# --------------------------------------------------------------------------------------
# Building records


def _read_context(ds: Any, ref: FileRef) -> _Context:
    study_uid = _text(ds, "StudyInstanceUID") or _placeholder("study", ref)
    modality = _text(ds, "Modality")
    series_number = _int(ds, "SeriesNumber")
    series_uid = _text(ds, "SeriesInstanceUID") or _placeholder(
        "series", ref, f"{modality}|{series_number}"
    )
    return _Context(
        patient_id=_text(ds, "PatientID"),
        patient_name=decode_person_name(_value(ds, "PatientName")),
        birth_date=_text(ds, "PatientBirthDate"),
        sex=_text(ds, "PatientSex"),
        study_uid=study_uid,
        study_date=_text(ds, "StudyDate"),
        study_time=_text(ds, "StudyTime"),
        study_description=_text(ds, "StudyDescription"),
        accession_number=_text(ds, "AccessionNumber"),
        series_uid=series_uid,
        series_description=_text(ds, "SeriesDescription"),
        series_number=series_number,
        modality=modality,
    )


def _placeholder(what: str, ref: FileRef, extra: str = "") -> str:
    """A stable key for a missing UID: objects in the same folder (and series) group together.

    Hashed, so that folder names (often patient names) do not show up as keys.
    """
    if what == "instance":
        source = ref.display_name
    elif ref.member is None:
        source = os.path.dirname(ref.path)
    else:
        source = f"{ref.path}!{os.path.dirname(ref.member)}"
    digest = hashlib.sha1(f"{what}|{source}|{extra}".encode(), usedforsecurity=False)
    return f"{PLACEHOLDER_PREFIX}{what}-{digest.hexdigest()[:16]}"


def _read_instance(
    ds: Any,
    ref: FileRef,
    syntax: str,
    size: int,
    pixel_tag: int | None,
    pixel_header: tuple[int, int | None] | None,
) -> InstanceRecord:
    source = ref.display_name
    rows, columns = _int(ds, "Rows"), _int(ds, "Columns")
    if not rows or rows < 1:
        raise DicomError(source, "image without a valid Rows (0028,0010)")
    if not columns or columns < 1:
        raise DicomError(source, "image without a valid Columns (0028,0011)")
    bits_allocated = _int(ds, "BitsAllocated")
    if bits_allocated is None or bits_allocated < 1:
        raise DicomError(source, "image without a valid Bits Allocated (0028,0100)")
    bits_stored = _int(ds, "BitsStored") or bits_allocated
    if bits_stored > bits_allocated:
        raise DicomError(
            source, f"Bits Stored is {bits_stored}, more than Bits Allocated ({bits_allocated})"
        )
    number_of_frames = _int(ds, "NumberOfFrames") if _values(ds, "NumberOfFrames") else 1
    if number_of_frames is None or number_of_frames < 1:
        raise DicomError(source, "Number of Frames (0028,0008) is not a positive whole number")
    samples = _int(ds, "SamplesPerPixel") or 1
    photometric = _text(ds, "PhotometricInterpretation").upper()
    offset: int | None = None
    length: int | None = None
    if pixel_header is not None:
        value_offset, length = pixel_header
        if length is not None:
            if value_offset + length > size:
                raise DicomError(
                    source,
                    f"Pixel Data holds {length} bytes but the file ends "
                    f"{max(size - value_offset, 0)} bytes after it starts (truncated file)",
                )
            uid_native = syntax in _NATIVE_SYNTAXES or syntax == ""
            if uid_native:
                expected = expected_pixel_bytes(
                    rows, columns, number_of_frames, samples, bits_allocated, photometric
                )
                if pixel_tag == _PIXEL_DATA and length < expected:
                    raise DicomError(
                        source,
                        f"Pixel Data holds {length} bytes; {expected} expected for "
                        f"{number_of_frames} frame(s) of {rows}x{columns}, {samples} sample(s), "
                        f"{bits_allocated} bits allocated",
                    )
            plain_native = (
                ref.member is None
                and pixel_tag == _PIXEL_DATA
                and syntax in (_IMPLICIT_LE, _EXPLICIT_LE)
            )
            if plain_native:
                offset = value_offset
            else:
                length = None
    frames = _read_frames(ds, number_of_frames)
    if pixel_tag is not None and pixel_tag != _PIXEL_DATA:
        frames = with_continuous_windows(frames)  # Float / Double Float Pixel Data
    modality = _text(ds, "Modality")
    intensity = _text(ds, "PixelIntensityRelationship").upper()
    complex_lut = "ModalityLUTSequence" in ds or (
        modality in ("XA", "RF") and intensity in ("LOG", "DISP")
    )
    padding = _int(ds, "PixelPaddingValue")
    return InstanceRecord(
        ref=ref,
        sop_class_uid=_text(ds, "SOPClassUID")
        or str(ds.file_meta.get("MediaStorageSOPClassUID", "")),
        sop_instance_uid=_text(ds, "SOPInstanceUID") or _placeholder("instance", ref),
        transfer_syntax_uid=syntax,
        modality=modality,
        instance_number=_int(ds, "InstanceNumber"),
        rows=rows,
        columns=columns,
        number_of_frames=number_of_frames,
        samples_per_pixel=samples,
        photometric_interpretation=photometric,
        bits_allocated=bits_allocated,
        bits_stored=bits_stored,
        pixel_representation=_int(ds, "PixelRepresentation") or 0,
        frames=frames,
        acquisition_number=_int(ds, "AcquisitionNumber"),
        echo_number=_int(ds, "EchoNumbers"),
        image_type=tuple(str(v).strip().upper() for v in _values(ds, "ImageType")),
        image_pixel_spacing=_pair(ds, "ImagerPixelSpacing"),
        magnification_factor=_positive(_float(ds, "EstimatedRadiographicMagnificationFactor")),
        view_position=_text(ds, "ViewPosition").upper(),
        body_part=_text(ds, "BodyPartExamined").upper(),
        pixel_padding_value=padding,
        pixel_data_offset=offset,
        pixel_data_length=length,
        complex_modality_lut=complex_lut,
    )


def _positive(value: float | None) -> float | None:
    return value if value is not None and value > 0 else None


def _frame_from(ds: Any) -> FrameInfo:
    """FrameInfo from the top-level attributes (Image Plane, Modality LUT, VOI LUT modules)."""
    slope = _float(ds, "RescaleSlope")
    intercept = _float(ds, "RescaleIntercept")
    return FrameInfo(
        position=_position(ds),
        orientation=_orientation(ds),
        pixel_spacing=_pair(ds, "PixelSpacing"),
        slice_thickness=_float(ds, "SliceThickness"),
        rescale_slope=1.0 if slope is None else slope,
        rescale_intercept=0.0 if intercept is None else intercept,
        windows=_windows(ds),
        temporal_position=_int(ds, "TemporalPositionIdentifier"),
    )


def _read_frames(ds: Any, count: int) -> tuple[FrameInfo, ...]:
    top = _frame_from(ds)
    if "PerFrameFunctionalGroupsSequence" not in ds and "SharedFunctionalGroupsSequence" not in ds:
        # Single frame, or classic multi-frame (US, NM, XA cine): one geometry for all frames.
        return (top,) * count
    shared_items = _values(ds, "SharedFunctionalGroupsSequence")
    shared = shared_items[0] if shared_items else None
    per_frame = _values(ds, "PerFrameFunctionalGroupsSequence")
    return tuple(
        _enhanced_frame(per_frame[i] if i < len(per_frame) else None, shared, top)
        for i in range(count)
    )


def _macro(per_frame: Any, shared: Any, keyword: str) -> Any:
    """A functional group: the frame's own, else the shared one (PS3.3 C.7.6.16.1)."""
    for groups in (per_frame, shared):
        if groups is None:
            continue
        items = _values(groups, keyword)
        if items:
            return items[0]
    return None


def _enhanced_frame(per_frame: Any, shared: Any, top: FrameInfo) -> FrameInfo:
    position = top.position
    orientation = top.orientation
    pixel_spacing, thickness = top.pixel_spacing, top.slice_thickness
    slope, intercept = top.rescale_slope, top.rescale_intercept
    windows = top.windows
    stack_id: str | None = None
    in_stack: int | None = None
    temporal: int | None = top.temporal_position
    if (plane := _macro(per_frame, shared, "PlanePositionSequence")) is not None:
        position = _position(plane) or position
    if (plane := _macro(per_frame, shared, "PlaneOrientationSequence")) is not None:
        orientation = _orientation(plane) or orientation
    if (measures := _macro(per_frame, shared, "PixelMeasuresSequence")) is not None:
        pixel_spacing = _pair(measures, "PixelSpacing") or pixel_spacing
        thickness = _float(measures, "SliceThickness") or thickness
    if (transform := _macro(per_frame, shared, "PixelValueTransformationSequence")) is not None:
        new_slope, new_intercept = (
            _float(transform, "RescaleSlope"),
            _float(transform, "RescaleIntercept"),
        )
        slope = slope if new_slope is None else new_slope
        intercept = intercept if new_intercept is None else new_intercept
    if (voi := _macro(per_frame, shared, "FrameVOILUTSequence")) is not None:
        windows = _windows(voi) or windows
    if (content := _macro(per_frame, shared, "FrameContentSequence")) is not None:
        stack_id = _text(content, "StackID") or None
        in_stack = _int(content, "InStackPositionNumber")
        temporal = _int(content, "TemporalPositionIndex") or temporal
    return FrameInfo(
        position=position,
        orientation=orientation,
        pixel_spacing=pixel_spacing,
        slice_thickness=thickness,
        rescale_slope=slope,
        rescale_intercept=intercept,
        windows=windows,
        stack_id=stack_id,
        in_stack_position=in_stack,
        temporal_position=temporal,
    )


# --------------------------------------------------------------------------------------
# Grouping into patients, studies and series


@dataclass
class _StudyBucket:
    context: _Context
    series: dict[str, list[_Image]]


@dataclass
class _PatientBucket:
    context: _Context
    studies: dict[str, _StudyBucket]


def _assemble(root: str, headers: list[_Header], unreadable: list[UnreadableFile]) -> StudyIndex:
    patients: dict[tuple[str, str], _PatientBucket] = {}
    non_image: list[NonImageRecord] = []
    skipped: list[UnreadableFile] = []
    problems = list(unreadable)

    def study_bucket(context: _Context) -> _StudyBucket:
        patient = patients.setdefault(
            (context.patient_id, context.patient_name), _PatientBucket(context, {})
        )
        return patient.studies.setdefault(context.study_uid, _StudyBucket(context, {}))

    ordered = sorted(headers, key=_header_ref)
    for header in ordered:
        if isinstance(header, _Skipped):
            skipped.append(UnreadableFile(header.ref, header.why))
        elif isinstance(header, UnreadableFile):
            problems.append(header)
        elif isinstance(header, _NonImage):
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


def _set_aside(header: _Header, set_aside: dict[FileRef, str]) -> _Header:
    if isinstance(header, _Image) and header.record.ref in set_aside:
        return UnreadableFile(header.record.ref, set_aside[header.record.ref])
    return header


def _header_ref(header: _Header) -> FileRef:
    return header.record.ref if isinstance(header, _Image | _NonImage) else header.ref


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
