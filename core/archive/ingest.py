"""What the archive learns from one object: its UIDs, its context and its index record.

An object is described from the same header reading a folder scan uses
(:func:`core.dicom.headers.read_headers`), so the records the archive keeps are the
records a scan of the stored files would build, field by field.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from typing import Any

import pydicom
from pydicom.dataset import FileMetaDataset
from pydicom.uid import UID, ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian

from core.archive.errors import ArchiveError
from core.archive.layout import check_uid
from core.dicom.header_fields import HeaderContext, read_context, read_text
from core.dicom.headers import (
    ImageHeader,
    NonImageHeader,
    SkippedFile,
    describe_read_error,
    quiet_pydicom,
    read_headers,
)
from core.dicom.records import FileRef, UnreadableFile

logger = logging.getLogger(__name__)

#: What the index keeps of an object's header.
StoredHeader = ImageHeader | NonImageHeader | UnreadableFile


@dataclass(frozen=True)
class ObjectFacts:
    """The identity and grouping of one object (from its data set)."""

    study_uid: str
    series_uid: str
    sop_uid: str
    sop_class_uid: str
    issuer: str
    body_part: str
    context: HeaderContext


def facts_of(ds: pydicom.Dataset, ref: FileRef) -> ObjectFacts:
    """The UIDs and context of a data set.

    Raises
    ------
    ArchiveError
        A Study, Series or SOP Instance UID or the SOP Class UID is missing or unusable.
    """
    meta = getattr(ds, "file_meta", None)
    sop_class = read_text(ds, "SOPClassUID") or (
        read_text(meta, "MediaStorageSOPClassUID") if meta is not None else ""
    )
    context = read_context(ds, ref)
    return ObjectFacts(
        study_uid=check_uid(read_text(ds, "StudyInstanceUID"), "Study Instance UID"),
        series_uid=check_uid(read_text(ds, "SeriesInstanceUID"), "Series Instance UID"),
        sop_uid=check_uid(read_text(ds, "SOPInstanceUID"), "SOP Instance UID"),
        sop_class_uid=check_uid(sop_class, "SOP Class UID"),
        issuer=read_text(ds, "IssuerOfPatientID"),
        body_part=read_text(ds, "BodyPartExamined").upper(),
        context=context,
    )


def read_facts(ref: FileRef) -> ObjectFacts:
    """The facts of a file on disk (header only).

    Raises
    ------
    ArchiveError
        The file is not DICOM, cannot be read, or lacks the UIDs the archive needs.
    """
    try:
        with ref.open() as stream, quiet_pydicom():
            ds = pydicom.dcmread(stream, stop_before_pixels=True, force=True)
            if len(ds) == 0:
                raise ArchiveError(f"{ref.display_name}: not a DICOM file (no data elements)")
            return facts_of(ds, ref)
    except ArchiveError as error:
        if str(error).startswith(ref.display_name):
            raise
        raise ArchiveError(f"{ref.display_name}: {error}") from None
    except Exception as error:  # anything a broken file makes pydicom throw
        raise ArchiveError(
            f"{ref.display_name}: the header cannot be read ({describe_read_error(error)})"
        ) from None


def facts_of_part10(data: bytes) -> ObjectFacts:
    """The facts of an object encoded as a DICOM Part 10 file (preamble, ``DICM``, file meta).

    Raises
    ------
    ArchiveError
        The bytes are not a Part 10 file, or lack the UIDs the archive needs.
    """
    ref = FileRef("(received object)")
    try:
        with quiet_pydicom():
            ds = pydicom.dcmread(io.BytesIO(data), stop_before_pixels=True)
    except Exception as error:  # anything malformed bytes make pydicom throw
        raise ArchiveError(
            "the received object is not a DICOM Part 10 file "
            f"({describe_read_error(error)}); it was not stored"
        ) from None
    return facts_of(ds, ref)


def read_stored_header(ref: FileRef) -> StoredHeader:
    """The index record of a file, exactly as a folder scan reads it.

    Raises
    ------
    ArchiveError
        The file is not DICOM (or is a DICOMDIR).
    """
    header = read_headers((ref,))[0]
    if isinstance(header, SkippedFile):
        raise ArchiveError(f"{ref.display_name}: cannot be stored ({header.why})")
    return header


_SYNTAX_BY_ENCODING = {
    (True, True): ImplicitVRLittleEndian,
    (False, True): ExplicitVRLittleEndian,
    (False, False): ExplicitVRBigEndian,
}


def _is_encapsulated(ds: pydicom.Dataset) -> bool:
    """Whether the Pixel Data is encapsulated (compressed): undefined length, or an item first."""
    element: Any = ds.get_item(0x7FE00010)  # a DataElement, or a RawDataElement not yet read
    if element is None:
        return False
    if getattr(element, "is_undefined_length", False) or getattr(element, "length", 0) == (
        0xFFFFFFFF
    ):
        return True
    value = element.value
    return isinstance(value, bytes) and value[:4] == b"\xfe\xff\x00\xe0"  # (FFFE,E000) item


def dataset_bytes(ds: pydicom.Dataset, facts: ObjectFacts) -> bytes:
    """The data set as a DICOM Part 10 file, its File Meta Information completed.

    The transfer syntax is the file meta's, else the one the data set was decoded
    with, else Explicit VR Little Endian for a data set built in memory.

    Raises
    ------
    ArchiveError
        The data set cannot be encoded (a value of the wrong type...).
    """
    meta = FileMetaDataset(getattr(ds, "file_meta", FileMetaDataset()))
    syntax = str(meta.get("TransferSyntaxUID", "") or "").strip()
    if not syntax:
        if _is_encapsulated(ds):
            raise ArchiveError(
                "the received object has compressed pixel data but no transfer syntax; "
                "it was not stored (the sending node must give its transfer syntax)"
            )
        encoding = getattr(ds, "original_encoding", (None, None))
        syntax = _SYNTAX_BY_ENCODING.get(tuple(encoding), ExplicitVRLittleEndian)
    meta.TransferSyntaxUID = UID(syntax)
    meta.MediaStorageSOPClassUID = UID(facts.sop_class_uid)
    meta.MediaStorageSOPInstanceUID = UID(facts.sop_uid)
    previous = getattr(ds, "file_meta", None)
    buffer = io.BytesIO()
    try:
        ds.file_meta = meta
        with quiet_pydicom():
            ds.save_as(buffer, enforce_file_format=True)
    except Exception as error:
        raise ArchiveError(
            "the received object cannot be written as a DICOM file "
            f"({describe_read_error(error)}); it was not stored"
        ) from None
    finally:
        if previous is None:
            del ds.file_meta
        else:
            ds.file_meta = previous
    return buffer.getvalue()
