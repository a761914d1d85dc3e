"""The header side of the pixel pipeline: what decoding and the LUTs both read.

* Argument checks shared by the pixel functions (``TypeError`` for a wrong type,
  ``ValueError`` for a wrong value, the message saying what was found).
* Attribute values read with typed errors: :func:`element_int` names the
  attribute and its tag when a value is not an integer.
* The frame count, the per-frame/shared functional group item of a frame
  (PS3.3 C.7.6.16), the Photometric Interpretation.
* :func:`transfer_syntax_of` — the one owner of "which transfer syntax is this
  data set in": the declared Transfer Syntax UID (0002,0010), else the encoding
  pydicom read it in; :func:`is_little_endian` follows from it.
* :func:`pixel_guard` — turns anything but a :class:`~core.errors.DicomError`
  raised by pydicom or numpy while reading a header into a
  :class:`~core.errors.PixelDataError`, so no raw library exception escapes.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from pydicom.datadict import dictionary_description, tag_for_keyword
from pydicom.dataset import Dataset
from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian

from core.dicom.limits import too_large
from core.errors import DicomError, PixelDataError

logger = logging.getLogger(__name__)

Array = npt.NDArray[Any]

__all__ = [
    "MONOCHROME",
    "check_array",
    "check_dataset",
    "check_frame",
    "check_frame_in_range",
    "check_number",
    "declared_transfer_syntax",
    "describe_keyword",
    "element_int",
    "float_values",
    "frame_count",
    "functional_group_item",
    "int_value",
    "is_little_endian",
    "one_line",
    "photometric_of",
    "pixel_guard",
    "printable",
    "source_name",
    "str_values",
    "transfer_syntax_of",
]

#: The grayscale Photometric Interpretations (PS3.3 C.7.6.3.1.2).
MONOCHROME: Final = ("MONOCHROME1", "MONOCHROME2")


# --------------------------------------------------------------------------- arguments


def source_name(ds: Dataset, source: str) -> str:
    """The name errors give the file: ``source``, else ``ds.filename``, else ``<dataset>``."""
    if not isinstance(source, str):
        raise TypeError(f"source must be a str, found {type(source).__name__}")
    if source:
        return source
    filename = getattr(ds, "filename", None)
    return filename if isinstance(filename, str) and filename else "<dataset>"


def check_dataset(ds: Any) -> None:
    """Refuse anything but a pydicom Dataset."""
    if not isinstance(ds, Dataset):
        raise TypeError(f"expected a pydicom Dataset, found {type(ds).__name__}")


def check_frame(frame: Any) -> int:
    """A 0-based frame index as an int."""
    if isinstance(frame, bool) or not isinstance(frame, int | np.integer):
        raise TypeError(f"frame must be an int, found {type(frame).__name__}")
    if frame < 0:
        raise ValueError(f"frame must be >= 0 (frames are 0-based), found {frame}")
    return int(frame)


def check_array(arr: Any, name: str) -> Array:
    """A numpy array of numbers (bool, integer or float)."""
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, found {type(arr).__name__}")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold numbers, found dtype {arr.dtype}")
    return arr


def check_number(name: str, value: Any) -> float:
    """A finite real number as a float."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise TypeError(f"{name} must be a number, found {type(value).__name__}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite, found {value!r}")
    return number


# --------------------------------------------------------------------------- messages


def printable(text: str) -> str:
    """A value read from a file, fit for a one-line message: control characters escaped.

    A corrupt UID can hold any byte (a NEL, a newline, an escape sequence): quoted as
    is, it would break the message over lines or drive the terminal.
    """
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


def one_line(exc: BaseException) -> str:
    """A one-line message for an exception raised by pydicom or a decoder."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = printable(" ".join(lines)) if lines else type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


@contextmanager
def pixel_guard(src: str, what: str) -> Iterator[None]:
    """Turn anything but a DicomError raised while reading a header into a PixelDataError.

    Malformed real-world headers surface deep inside pydicom and numpy as
    TypeError, KeyError, struct.error...; callers get one typed error instead,
    whose reason starts with ``what`` (the step the caller asked for).
    """
    try:
        yield
    except DicomError:
        raise
    except MemoryError as exc:
        raise too_large(src, f"{what} ran out of memory") from exc
    except Exception as exc:
        logger.debug("%s: %s failed", src, what, exc_info=True)
        raise PixelDataError(src, f"{what}: {type(exc).__name__}: {one_line(exc)}") from exc


# --------------------------------------------------------------------------- values


def int_value(value: Any) -> int | None:
    """An integer attribute value (IS, US, SS...), first value of a multi-value."""
    if value is None:
        return None
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        if len(value) == 0:
            return None
        value = value[0]
    if isinstance(value, bytes):
        raise ValueError(f"undecoded bytes {value[:8]!r}")
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        number = float(text)
    else:
        number = float(value)
    if not number.is_integer():
        raise ValueError(f"{value!r} is not an integer")
    return int(number)


def float_values(value: Any) -> list[float]:
    """The numbers of a DS/FD attribute (VM 1-n); empty when absent."""
    if value is None:
        return []
    items = list(value) if isinstance(value, Sequence) and not isinstance(value, str) else [value]
    out = []
    for item in items:
        if isinstance(item, str) and not item.strip():
            continue
        out.append(float(item))
    return out


def str_values(value: Any) -> list[str]:
    """The stripped texts of a string attribute (VM 1-n); empty when absent."""
    if value is None:
        return []
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [str(item).strip() for item in value]
    return [str(value).strip()]


def describe_keyword(keyword: str) -> str:
    """``"Number of Frames (0028,0008)"`` for ``"NumberOfFrames"``."""
    tag = tag_for_keyword(keyword)
    if tag is None:
        return keyword
    return f"{dictionary_description(tag)} ({tag >> 16:04X},{tag & 0xFFFF:04X})"


def element_int(ds: Dataset, keyword: str, src: str) -> int | None:
    """An integer attribute, or a PixelDataError naming it when it is not an integer."""
    try:
        return int_value(ds.get(keyword))
    except (TypeError, ValueError, OverflowError):
        raise PixelDataError(
            src, f"{describe_keyword(keyword)} is {ds.get(keyword)!r}, expected an integer"
        ) from None


def photometric_of(ds: Dataset) -> str:
    """Photometric Interpretation (0028,0004), stripped and upper case ("" when absent)."""
    return str(ds.get("PhotometricInterpretation") or "").strip().upper()


# --------------------------------------------------------------------------- frames


def frame_count(ds: Dataset, src: str) -> int:
    """Number of Frames (0028,0008); 1 when absent or 0."""
    count = element_int(ds, "NumberOfFrames", src)
    if count is None or count == 0:
        return 1  # absent, or 0 as some writers do for a single frame
    if count < 0:
        raise PixelDataError(src, f"Number of Frames (0028,0008) is {count}, expected >= 1")
    return count


def check_frame_in_range(ds: Dataset, frame: int, src: str) -> None:
    """Refuse a frame index the object does not have."""
    count = frame_count(ds, src)
    if frame >= count:
        raise PixelDataError(
            src, f"frame {frame} requested, but the object has {count} frame(s) (0 to {count - 1})"
        )


def functional_group_item(ds: Dataset, frame: int, keyword: str, src: str) -> Dataset | None:
    """The item of ``keyword`` for ``frame``: per-frame overrides shared (PS3.3 C.7.6.16)."""
    per_frame = ds.get("PerFrameFunctionalGroupsSequence")
    if per_frame:
        if frame >= len(per_frame):
            raise PixelDataError(
                src,
                f"frame {frame} requested, but the Per-frame Functional Groups Sequence "
                f"(5200,9230) has {len(per_frame)} item(s)",
            )
        sequence = per_frame[frame].get(keyword)
        if sequence:
            item: Dataset = sequence[0]
            return item
    shared = ds.get("SharedFunctionalGroupsSequence")
    if shared:
        sequence = shared[0].get(keyword)
        if sequence:
            item = sequence[0]
            return item
    return None


# --------------------------------------------------------------------------- transfer syntax


def declared_transfer_syntax(ds: Any) -> str:
    """Transfer Syntax UID (0002,0010) of the File Meta Information; "" when none.

    Whitespace and NUL padding are stripped.
    """
    meta = getattr(ds, "file_meta", None)
    syntax = meta.get("TransferSyntaxUID") if meta is not None else None
    if not syntax:
        return ""
    return str(syntax).strip().strip("\x00").strip()


def transfer_syntax_of(ds: Any) -> str:
    """The transfer syntax a data set is in (PS3.5 10).

    The declared Transfer Syntax UID (0002,0010) when there is one; otherwise
    (raw data sets without File Meta Information) the encoding pydicom read it
    in: Explicit VR Big Endian, Implicit VR Little Endian or Explicit VR Little
    Endian. An unknown encoding counts as little endian.
    """
    declared = declared_transfer_syntax(ds)
    if declared:
        return declared
    implicit, little = getattr(ds, "original_encoding", (True, True))
    if little is False:
        return str(ExplicitVRBigEndian)
    if implicit:
        return str(ImplicitVRLittleEndian)
    return str(ExplicitVRLittleEndian)


def is_little_endian(ds: Any) -> bool:
    """Whether the data set's binary values (LUT Data, palettes) are little endian."""
    return transfer_syntax_of(ds) != ExplicitVRBigEndian
