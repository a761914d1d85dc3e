"""The pixel pipeline: stored values → modality LUT → VOI → presentation → display.

Pure functions on pydicom :class:`~pydicom.dataset.Dataset` objects and numpy
arrays, following PS3.3 C.11 (the grayscale pipeline) and PS3.4 N.2:

* :func:`decode_frame` — the stored values of one frame, any transfer syntax an
  installed decoder handles; bits above Bits Stored masked (sign-extended when
  Pixel Representation is 1); colour returned as RGB.
* :func:`modality_lut_for` / :func:`apply_modality_lut` — Rescale Slope/Intercept
  or Modality LUT Sequence (PS3.3 C.11.1), per frame for enhanced multi-frame.
* :func:`read_frame_values` — decode + modality LUT: what the viewer and the CNN
  get before VOI.
* :func:`voi_presets_for` / :func:`apply_voi` — Window Center/Width with the VOI LUT
  Function, or a VOI LUT table (PS3.3 C.11.2), into float32 in [0, 1].
* :func:`is_inverted` / :func:`apply_presentation` — MONOCHROME1 and Presentation
  LUT Shape INVERSE invert after VOI (PS3.3 C.11.6).
* :func:`padding_mask` — Pixel Padding Value (and Range Limit) on stored values.
* :func:`render_frame` — the whole display pipeline to 8-bit grey or RGB.

Decoding goes through pydicom 3's decoder plugins, tried in the order of
``_PLUGIN_ORDER`` (permissively licensed plugins only: pylibjpeg is never asked
to decode ISO 10918 JPEG or JPEG-LS, as it would route those to the GPL
pylibjpeg-libjpeg). Every failure becomes a :class:`~core.errors.PixelDataError`
or :class:`~core.errors.UnsupportedTransferSyntaxError` naming the file and what
was expected and found; no raw pydicom or numpy exception escapes the
dataset-level functions.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from pydicom.datadict import dictionary_description, tag_for_keyword
from pydicom.dataset import Dataset
from pydicom.pixels.decoders.base import get_decoder
from pydicom.pixels.processing import convert_color_space
from pydicom.uid import (
    HTJ2K,
    JPEG2000,
    UID,
    AllTransferSyntaxes,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    HTJ2KLossless,
    HTJ2KLosslessRPCL,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGExtended12Bit,
    JPEGLossless,
    JPEGLosslessSV1,
    JPEGLSLossless,
    JPEGLSNearLossless,
    RLELossless,
)

from core.dicom.float_windows import continuous_voi_function
from core.dicom.limits import (
    check_compressed_frame,
    check_frame_budget,
    expected_pixel_bytes,
    too_large,
)
from core.dicom.lut_data import apply_palette, read_lut_entries, twos_complement
from core.dicom.records import VoiWindow
from core.errors import DicomError, PixelDataError, UnsupportedTransferSyntaxError
from core.library_output import native_stderr_dropped, quiet_gdcm

logger = logging.getLogger(__name__)

Array = npt.NDArray[Any]

__all__ = [
    "ModalityLut",
    "VoiFunction",
    "VoiPreset",
    "apply_modality_lut",
    "apply_presentation",
    "apply_voi",
    "decode_frame",
    "full_range_preset",
    "is_inverted",
    "modality_lut_for",
    "padding_mask",
    "read_frame_values",
    "render_frame",
    "supported_transfer_syntaxes",
    "to_display_uint8",
    "voi_presets_for",
]

#: Decoder plugins to try, in order, per encapsulated transfer syntax. Fast and
#: robust first; pylibjpeg only where it routes to a permissive backend
#: (pylibjpeg-openjpeg for JPEG 2000/HTJ2K, pylibjpeg-rle for RLE).
_PLUGIN_ORDER: Final[dict[str, tuple[str, ...]]] = {
    JPEGBaseline8Bit: ("gdcm", "pillow"),
    JPEGExtended12Bit: ("gdcm", "pillow"),
    JPEGLossless: ("gdcm",),
    JPEGLosslessSV1: ("gdcm",),
    JPEGLSLossless: ("pyjpegls", "gdcm"),
    JPEGLSNearLossless: ("pyjpegls", "gdcm"),
    JPEG2000Lossless: ("pylibjpeg", "gdcm", "pillow"),
    JPEG2000: ("pylibjpeg", "gdcm", "pillow"),
    HTJ2KLossless: ("pylibjpeg",),
    HTJ2KLosslessRPCL: ("pylibjpeg",),
    HTJ2K: ("pylibjpeg",),
    RLELossless: ("pylibjpeg", "pydicom"),
}

#: Distribution that does the work behind a plugin label (for the licence table).
_PLUGIN_DISTRIBUTION: Final[dict[str, str]] = {
    "gdcm": "python-gdcm",
    "pillow": "pillow",
    "pyjpegls": "pyjpegls",
    "pydicom": "pydicom",
}

_NATIVE_SYNTAXES: Final = (
    ImplicitVRLittleEndian,
    ExplicitVRLittleEndian,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
)

_MONOCHROME: Final = ("MONOCHROME1", "MONOCHROME2")
_PIXEL_KEYWORDS: Final = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")
#: The first bytes of encapsulated pixel data: the Basic Offset Table item tag.
_ITEM_TAG_LE: Final = b"\xfe\xff\x00\xe0"

#: SOP Classes whose Pixel Intensity Relationship decides the modality LUT.
_XRAY_ANGIO_CLASSES: Final = frozenset(
    {
        "1.2.840.10008.5.1.4.1.1.12.1",  # X-Ray Angiographic Image
        "1.2.840.10008.5.1.4.1.1.12.1.1",  # Enhanced XA Image
        "1.2.840.10008.5.1.4.1.1.12.2",  # X-Ray Radiofluoroscopic Image
        "1.2.840.10008.5.1.4.1.1.12.2.1",  # Enhanced XRF Image
    }
)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class ModalityLut:
    """The modality transformation of one frame (PS3.3 C.11.1).

    Either a linear rescale (``slope``, ``intercept``) or a lookup table
    (``table`` with ``first_mapped`` and ``table_bits`` from the LUT Descriptor).
    The identity (slope 1, intercept 0, no table) is used for colour images and
    for XA/XRF images whose Pixel Intensity Relationship is LOG or DISP.

    Parameters
    ----------
    slope, intercept : float
        Rescale Slope (0028,1053) and Rescale Intercept (0028,1052).
    rescale_type : str
        Rescale Type (0028,1054) or Modality LUT Type (0028,3004), e.g. ``"HU"``.
    table : tuple of int or None
        LUT Data (0028,3006) of the Modality LUT Sequence item.
    first_mapped : int
        Second value of the LUT Descriptor: the stored value mapped to ``table[0]``.
    table_bits : int
        Third value of the LUT Descriptor: bits per table entry (1 to 16).
    explanation : str
        LUT Explanation, or why the identity was chosen.
    """

    slope: float = 1.0
    intercept: float = 0.0
    rescale_type: str = ""
    table: tuple[int, ...] | None = None
    first_mapped: int = 0
    table_bits: int = 16
    explanation: str = ""
    _array: Array | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("slope", "intercept"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float | np.number):
                raise TypeError(f"ModalityLut.{name} must be a number, found {value!r}")
            if not math.isfinite(value):
                raise ValueError(f"ModalityLut.{name} must be finite, found {value!r}")
            object.__setattr__(self, name, float(value))
        if self.slope == 0:
            raise ValueError("ModalityLut.slope must not be 0")
        if not 1 <= self.table_bits <= 16:
            raise ValueError(f"ModalityLut.table_bits must be 1 to 16, found {self.table_bits}")
        if self.table is not None:
            if len(self.table) == 0:
                raise ValueError("ModalityLut.table must not be empty")
            table = np.asarray(self.table, dtype=np.int64)
            if table.min() < 0 or table.max() > 0xFFFF:
                raise ValueError("ModalityLut.table entries must be 0 to 65535")
            array = table.astype(np.uint8 if table.max() <= 0xFF else np.uint16)
            array.flags.writeable = False
            object.__setattr__(self, "_array", array)

    @property
    def is_identity(self) -> bool:
        """True when applying this LUT leaves the values unchanged."""
        return self.table is None and self.slope == 1 and self.intercept == 0

    @property
    def has_integer_output(self) -> bool:
        """True when integer stored values map to integers (table, or integral rescale)."""
        return self.table is not None or (
            float(self.slope).is_integer() and float(self.intercept).is_integer()
        )


class VoiFunction(StrEnum):
    """VOI LUT Function (0028,1056), PS3.3 C.11.2.1.2/C.11.2.1.3."""

    LINEAR = "LINEAR"
    LINEAR_EXACT = "LINEAR_EXACT"
    SIGMOID = "SIGMOID"


@dataclass(frozen=True)
class VoiPreset:
    """One way to map modality values to display intensity (a VOI, PS3.3 C.11.2).

    Either a window (``center``, ``width``, ``function``) or a VOI LUT table
    (``table`` with ``first_mapped`` and ``table_bits`` from its LUT Descriptor).

    Parameters
    ----------
    name : str
        Window Center & Width Explanation, LUT Explanation, or a made-up label.
    center, width : float or None
        Window Center (0028,1050) and Window Width (0028,1051); None for a table.
    function : VoiFunction
        VOI LUT Function; LINEAR needs width >= 1, LINEAR_EXACT and SIGMOID > 0.
    table : tuple of int or None
        LUT Data of a VOI LUT Sequence item.
    first_mapped : int
        The input value mapped to ``table[0]``.
    table_bits : int
        Bits per table entry from the LUT Descriptor; the output is normalised
        by ``2**table_bits - 1`` (widened when the data exceed it).
    """

    name: str
    center: float | None = None
    width: float | None = None
    function: VoiFunction = VoiFunction.LINEAR
    table: tuple[int, ...] | None = None
    first_mapped: int = 0
    table_bits: int = 16
    _array: Array | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str):
            raise TypeError(f"VoiPreset.name must be a str, found {type(self.name).__name__}")
        try:
            object.__setattr__(self, "function", VoiFunction(str(self.function).upper()))
        except ValueError:
            raise ValueError(
                "VoiPreset.function must be LINEAR, LINEAR_EXACT or SIGMOID, "
                f"found {self.function!r}"
            ) from None
        if self.table is not None:
            if self.center is not None or self.width is not None:
                raise ValueError("a VoiPreset has either a table or a center/width, not both")
            if len(self.table) == 0:
                raise ValueError("VoiPreset.table must not be empty")
            if not 1 <= self.table_bits <= 16:
                raise ValueError(f"VoiPreset.table_bits must be 1 to 16, found {self.table_bits}")
            table = np.asarray(self.table, dtype=np.int64)
            if table.min() < 0 or table.max() > 0xFFFF:
                raise ValueError("VoiPreset.table entries must be 0 to 65535")
            top = 2**self.table_bits - 1
            if table.max() > top:
                # The descriptor understates the entries' depth; trust the data.
                top = 2 ** int(table.max()).bit_length() - 1
            array = table.astype(np.float32) / np.float32(top)
            array.flags.writeable = False
            object.__setattr__(self, "_array", array)
            return
        for name in ("center", "width"):
            value = getattr(self, name)
            if value is None:
                raise ValueError(f"VoiPreset.{name} is required when there is no table")
            if isinstance(value, bool) or not isinstance(value, int | float | np.number):
                raise TypeError(f"VoiPreset.{name} must be a number, found {value!r}")
            if not math.isfinite(value):
                raise ValueError(f"VoiPreset.{name} must be finite, found {value!r}")
            object.__setattr__(self, name, float(value))
        _check_width(float(self.width), self.function)  # type: ignore[arg-type]

    @property
    def is_table(self) -> bool:
        """True for a VOI LUT table, False for a window."""
        return self.table is not None

    @classmethod
    def from_window(cls, window: VoiWindow) -> VoiPreset:
        """The preset for a :class:`~core.dicom.records.VoiWindow` of the study index."""
        if not isinstance(window, VoiWindow):
            raise TypeError(f"expected a VoiWindow, found {type(window).__name__}")
        return cls(
            name=window.explanation or f"W {window.width:g} / C {window.center:g}",
            center=float(window.center),
            width=float(window.width),
            function=VoiFunction(window.function.upper()),
        )


def _check_width(width: float, function: VoiFunction) -> None:
    if function is VoiFunction.LINEAR and width < 1:
        raise ValueError(f"a LINEAR window needs a width >= 1 (PS3.3 C.11.2.1.2), found {width}")
    if function is not VoiFunction.LINEAR and width <= 0:
        raise ValueError(f"a {function.value} window needs a width > 0, found {width}")


@dataclass(frozen=True)
class _Decoded:
    """One decoded frame and what is needed to take it further."""

    stored: Array  # (H, W) grey stored values, or the palette indices
    colour: Array | None  # (H, W, 3) RGB for colour images
    colour_max: int  # the RGB value meaning full intensity


# --------------------------------------------------------------------------- helpers


def _source(ds: Dataset, source: str) -> str:
    if not isinstance(source, str):
        raise TypeError(f"source must be a str, found {type(source).__name__}")
    if source:
        return source
    filename = getattr(ds, "filename", None)
    return filename if isinstance(filename, str) and filename else "<dataset>"


def _check_dataset(ds: Any) -> None:
    if not isinstance(ds, Dataset):
        raise TypeError(f"expected a pydicom Dataset, found {type(ds).__name__}")


def _check_frame(frame: Any) -> int:
    if isinstance(frame, bool) or not isinstance(frame, int | np.integer):
        raise TypeError(f"frame must be an int, found {type(frame).__name__}")
    if frame < 0:
        raise ValueError(f"frame must be >= 0 (frames are 0-based), found {frame}")
    return int(frame)


def _check_array(arr: Any, name: str) -> Array:
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, found {type(arr).__name__}")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold numbers, found dtype {arr.dtype}")
    return arr


def _shown(text: str) -> str:
    """A value read from a file, fit for a one-line message: control characters escaped.

    A corrupt UID can hold any byte (a NEL, a newline, an escape sequence): quoted as
    is, it would break the message over lines or drive the terminal.
    """
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


def _short(exc: BaseException) -> str:
    """A one-line message for an exception raised by pydicom or a decoder."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = _shown(" ".join(lines)) if lines else type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


@contextmanager
def _guard(src: str, what: str) -> Iterator[None]:
    """Turn anything but a DicomError raised while reading a header into a PixelDataError.

    Malformed real-world headers surface deep inside pydicom and numpy as
    TypeError, KeyError, struct.error...; callers get one typed error instead.
    """
    try:
        yield
    except DicomError:
        raise
    except MemoryError as exc:
        raise too_large(src, f"{what} ran out of memory") from exc
    except Exception as exc:
        logger.debug("%s: %s failed", src, what, exc_info=True)
        raise PixelDataError(src, f"{what}: {type(exc).__name__}: {_short(exc)}") from exc


def _int_value(value: Any) -> int | None:
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


def _float_values(value: Any) -> list[float]:
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


def _str_values(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [str(item).strip() for item in value]
    return [str(value).strip()]


def _describe(keyword: str) -> str:
    """``"Number of Frames (0028,0008)"`` for ``"NumberOfFrames"``."""
    tag = tag_for_keyword(keyword)
    if tag is None:
        return keyword
    return f"{dictionary_description(tag)} ({tag >> 16:04X},{tag & 0xFFFF:04X})"


def _element_int(ds: Dataset, keyword: str, src: str) -> int | None:
    try:
        return _int_value(ds.get(keyword))
    except (TypeError, ValueError, OverflowError):
        raise PixelDataError(
            src, f"{_describe(keyword)} is {ds.get(keyword)!r}, expected an integer"
        ) from None


def _photometric(ds: Dataset) -> str:
    return str(ds.get("PhotometricInterpretation") or "").strip().upper()


def _frame_count(ds: Dataset, src: str) -> int:
    count = _element_int(ds, "NumberOfFrames", src)
    if count is None or count == 0:
        return 1  # absent, or 0 as some writers do for a single frame
    if count < 0:
        raise PixelDataError(src, f"Number of Frames (0028,0008) is {count}, expected >= 1")
    return count


def _check_frame_in_range(ds: Dataset, frame: int, src: str) -> None:
    count = _frame_count(ds, src)
    if frame >= count:
        raise PixelDataError(
            src, f"frame {frame} requested, but the object has {count} frame(s) (0 to {count - 1})"
        )


def _functional_group(ds: Dataset, frame: int, keyword: str, src: str) -> Dataset | None:
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


def _is_little_endian(ds: Dataset) -> bool:
    meta = getattr(ds, "file_meta", None)
    syntax = meta.get("TransferSyntaxUID") if meta is not None else None
    if syntax:
        return str(syntax).strip() != ExplicitVRBigEndian
    little = ds.original_encoding[1]
    return True if little is None else bool(little)


def _parse_lut_item(
    item: Dataset, ds: Dataset, signed_input: bool, what: str, src: str
) -> tuple[tuple[int, ...], int, int, str]:
    """LUT Descriptor + LUT Data of a Modality or VOI LUT Sequence item (PS3.3 C.11.1.1)."""
    descriptor = item.get("LUTDescriptor")
    data_element = item.data_element("LUTData")
    if descriptor is None or data_element is None or data_element.value is None:
        raise PixelDataError(
            src, f"{what} item has no LUT Descriptor (0028,3002) or no LUT Data (0028,3006)"
        )
    values = list(descriptor) if isinstance(descriptor, Sequence) else [descriptor]
    if len(values) != 3:
        raise PixelDataError(
            src, f"{what} LUT Descriptor (0028,3002) has {len(values)} values, expected 3"
        )
    try:
        entries, first, bits = (int(v) for v in values)
    except (TypeError, ValueError):
        raise PixelDataError(
            src, f"{what} LUT Descriptor (0028,3002) is {descriptor!r}, expected 3 integers"
        ) from None
    entries = (entries & 0xFFFF) or 0x10000  # 0 means 2**16 entries
    first = twos_complement(first, 16, signed_input)
    bits &= 0xFFFF
    if not 1 <= bits <= 16:
        raise PixelDataError(
            src, f"{what} LUT Descriptor gives {bits} bits per entry, expected 1 to 16"
        )
    table = read_lut_entries(data_element.value, entries, bits, little_endian=_is_little_endian(ds))
    if table.size == 0:
        raise PixelDataError(src, f"{what} LUT Data (0028,3006) is empty")
    if table.size < entries:
        logger.warning(
            "%s: %s LUT Data has %d entries, the descriptor says %d; using the data",
            src,
            what,
            table.size,
            entries,
        )
    table = table[:entries].astype(np.int64) & 0xFFFF
    explanation = str(item.get("LUTExplanation") or "").strip()
    return tuple(int(v) for v in table), first, bits, explanation


# --------------------------------------------------------------------------- decoding


def _pixel_keyword(ds: Dataset, src: str) -> str:
    present = [kw for kw in _PIXEL_KEYWORDS if kw in ds]
    if not present:
        raise PixelDataError(
            src,
            "no pixel data: expected a Pixel Data (7FE0,0010), Float Pixel Data (7FE0,0008) "
            "or Double Float Pixel Data (7FE0,0009) element, found none",
        )
    if len(present) > 1:
        raise PixelDataError(
            src, f"expected one pixel data element, found {len(present)}: {', '.join(present)}"
        )
    return present[0]


def _transfer_syntax(ds: Dataset, encapsulated: bool, src: str) -> UID:
    meta = getattr(ds, "file_meta", None)
    syntax = meta.get("TransferSyntaxUID") if meta is not None else None
    if syntax:
        return UID(str(syntax).strip(" \x00"))
    if encapsulated:
        raise PixelDataError(
            src,
            "the pixel data is encapsulated (compressed) but the file has no Transfer "
            "Syntax UID (0002,0010) to say how",
        )
    implicit, little = ds.original_encoding
    if little is False:
        return ExplicitVRBigEndian
    if implicit:
        return ImplicitVRLittleEndian
    return ExplicitVRLittleEndian


def _pixel_options(ds: Dataset, keyword: str, src: str) -> dict[str, Any]:
    """The Image Pixel Module values (PS3.3 C.7.6.3), validated, for the decoder."""

    def required(keyword: str) -> int:
        value = _element_int(ds, keyword, src)
        if value is None:
            raise PixelDataError(src, f"{_describe(keyword)} is missing; it is required for pixels")
        return value

    rows = required("Rows")
    columns = required("Columns")
    if not (0 < rows <= 0xFFFF and 0 < columns <= 0xFFFF):
        raise PixelDataError(
            src, f"image size is {rows} rows x {columns} columns, expected 1 to 65535 each"
        )
    bits_allocated = required("BitsAllocated")
    if not (bits_allocated == 1 or (bits_allocated % 8 == 0 and 8 <= bits_allocated <= 64)):
        raise PixelDataError(
            src, f"Bits Allocated (0028,0100) is {bits_allocated}, expected 1 or 8, 16, 32, 64"
        )
    photometric = _photometric(ds)
    samples = _element_int(ds, "SamplesPerPixel", src)
    if samples is None:
        samples = 1 if photometric in (*_MONOCHROME, "PALETTE COLOR", "") else 3
        logger.info("%s: no Samples per Pixel; assuming %d", src, samples)
    if samples not in (1, 3):
        raise PixelDataError(src, f"Samples per Pixel (0028,0002) is {samples}, expected 1 or 3")
    if not photometric:
        if samples != 1:
            raise PixelDataError(src, "Photometric Interpretation (0028,0004) is missing")
        photometric = "MONOCHROME2"  # ACR-NEMA files have none
        logger.info("%s: no Photometric Interpretation; assuming MONOCHROME2", src)
    if samples == 1 and photometric not in (*_MONOCHROME, "PALETTE COLOR"):
        raise PixelDataError(
            src, f"Photometric Interpretation is {photometric} with 1 sample per pixel"
        )
    if samples == 3 and photometric in (*_MONOCHROME, "PALETTE COLOR"):
        raise PixelDataError(
            src, f"Photometric Interpretation is {photometric} with 3 samples per pixel"
        )
    options: dict[str, Any] = {
        "rows": rows,
        "columns": columns,
        "bits_allocated": bits_allocated,
        "samples_per_pixel": samples,
        "photometric_interpretation": photometric,
        "number_of_frames": _frame_count(ds, src),
        "pixel_keyword": keyword,
        "pixel_vr": ds[keyword].VR,
    }
    if keyword == "PixelData":
        bits_stored = _element_int(ds, "BitsStored", src) or bits_allocated
        if not 1 <= bits_stored <= bits_allocated:
            raise PixelDataError(
                src,
                f"Bits Stored (0028,0101) is {bits_stored}, expected 1 to Bits Allocated "
                f"({bits_allocated})",
            )
        representation = _element_int(ds, "PixelRepresentation", src) or 0
        if representation not in (0, 1):
            raise PixelDataError(
                src, f"Pixel Representation (0028,0103) is {representation}, expected 0 or 1"
            )
        options["bits_stored"] = bits_stored
        options["pixel_representation"] = representation
    elif bits_allocated != (32 if keyword == "FloatPixelData" else 64):
        raise PixelDataError(src, f"{keyword} with Bits Allocated {bits_allocated}")
    if samples == 3:
        planar = _element_int(ds, "PlanarConfiguration", src)
        if planar is None:
            planar = 0
            logger.info("%s: no Planar Configuration; assuming 0 (colour-by-pixel)", src)
        if planar not in (0, 1):
            raise PixelDataError(
                src, f"Planar Configuration (0028,0006) is {planar}, expected 0 or 1"
            )
        options["planar_configuration"] = planar
    if "ExtendedOffsetTable" in ds and "ExtendedOffsetTableLengths" in ds:
        options["extended_offsets"] = (ds.ExtendedOffsetTable, ds.ExtendedOffsetTableLengths)
    return options


def _expected_native_length(options: dict[str, Any]) -> int:
    return expected_pixel_bytes(
        options["rows"],
        options["columns"],
        options["number_of_frames"],
        options["samples_per_pixel"],
        options["bits_allocated"],
        options["photometric_interpretation"],
    )


def _decode_jpeg12_with_gdcm(buffer: Any, frame: int, options: dict[str, Any]) -> Array:
    """JPEG Extended with 12-bit samples, which pydicom's gdcm and pillow plugins refuse.

    GDCM's own JPEG codec has a 12-bit build, so it is called directly on the frame.
    """
    import gdcm
    from pydicom.encaps import get_frame

    quiet_gdcm()

    if options["samples_per_pixel"] != 1:
        raise ValueError("12-bit JPEG Extended colour images are not supported")
    codestream = get_frame(
        buffer,
        frame,
        number_of_frames=options["number_of_frames"],
        extended_offsets=options.get("extended_offsets"),
    )
    fragment = gdcm.Fragment()
    fragment.SetByteStringValue(codestream)
    fragments = gdcm.SequenceOfFragments.New()
    fragments.AddFragment(fragment)
    element = gdcm.DataElement(gdcm.Tag(0x7FE0, 0x0010))
    element.SetValue(fragments.__ref__())
    image = gdcm.Image()
    image.SetNumberOfDimensions(2)
    image.SetDimensions((options["columns"], options["rows"], 1))
    image.SetDataElement(element)
    pi_type = gdcm.PhotometricInterpretation.GetPIType(options["photometric_interpretation"])
    image.SetPhotometricInterpretation(gdcm.PhotometricInterpretation(pi_type))
    image.SetTransferSyntax(gdcm.TransferSyntax(gdcm.TransferSyntax.GetTSType(JPEGExtended12Bit)))
    bits_allocated, bits_stored = options["bits_allocated"], options["bits_stored"]
    signed = options["pixel_representation"]
    image.SetPixelFormat(gdcm.PixelFormat(1, bits_allocated, bits_stored, bits_stored - 1, signed))
    decoded = image.GetBuffer()
    if decoded is None:
        raise ValueError("GDCM could not decode the JPEG codestream")
    data = decoded.encode("utf-8", "surrogateescape")
    dtype = np.dtype(f"<{'i' if signed else 'u'}{max(bits_allocated // 8, 1)}")
    needed = options["rows"] * options["columns"] * dtype.itemsize
    if len(data) < needed:
        raise ValueError(f"GDCM returned {len(data)} bytes, expected {needed}")
    return np.frombuffer(data[:needed], dtype=dtype).reshape(options["rows"], options["columns"])


def _run_decoder(
    syntax: UID, buffer: Any, frame: int, options: dict[str, Any], src: str
) -> tuple[Array, str]:
    """Decode one frame; returns the array and its Photometric Interpretation."""
    try:
        decoder = get_decoder(syntax)
    except NotImplementedError:
        raise UnsupportedTransferSyntaxError(
            src,
            f"no pixel decoder exists for transfer syntax {_shown(syntax.name)} ({_shown(syntax)})",
        ) from None
    # Masking to Bits Stored is done once, by apply_bits_stored_mask.
    kwargs = {**options, "correct_unused_bits": False, "as_rgb": True}
    if decoder.is_native:
        try:
            array, properties = decoder.as_array(buffer, index=frame, **kwargs)
        except Exception as exc:
            raise PixelDataError(src, f"{syntax.name} pixel data: {_short(exc)}") from exc
        return array, str(properties.get("photometric_interpretation", ""))

    available = decoder.available_plugins
    quiet_gdcm()  # listing the plugins imported GDCM
    plugins = [name for name in _PLUGIN_ORDER.get(syntax, ()) if name in available]
    gdcm_12bit = syntax == JPEGExtended12Bit and "gdcm" in available
    if not plugins and not gdcm_12bit:
        missing = "; ".join(decoder.missing_dependencies) or "no plugin registered"
        raise UnsupportedTransferSyntaxError(
            src, f"no installed decoder handles {syntax.name} ({syntax}): {missing}"
        )
    failures: list[str] = []
    for name in plugins:
        try:
            with native_stderr_dropped():
                array, properties = decoder.as_array(
                    buffer, index=frame, decoding_plugin=name, **kwargs
                )
        except Exception as exc:
            message = _short(exc).removeprefix(
                "Unable to decode as exceptions were raised by all available plugins: "
            )
            if message not in failures:
                failures.append(message)
            continue
        logger.debug("%s: frame %d decoded by the %s plugin", src, frame, name)
        return array, str(properties.get("photometric_interpretation", ""))
    if gdcm_12bit:
        try:
            with native_stderr_dropped():
                array = _decode_jpeg12_with_gdcm(buffer, frame, options)
        except Exception as exc:
            failures.append(f"gdcm (12-bit): {_short(exc)}")
        else:
            return array, options["photometric_interpretation"]
    raise PixelDataError(
        src, f"{syntax.name} pixel data could not be decoded: {'; '.join(failures)}"
    )


def apply_bits_stored_mask(arr: Array, bits_stored: int) -> Array:
    """Clear (or sign-extend into) the bits above Bits Stored (PS3.5 8.1.1)."""
    width = arr.dtype.itemsize * 8
    if arr.dtype.kind not in "iu" or bits_stored >= width:
        return arr
    if not arr.flags.writeable:
        arr = arr.copy()
    if arr.dtype.kind == "i":
        shift = width - bits_stored
        np.left_shift(arr, shift, out=arr)
        np.right_shift(arr, shift, out=arr)  # arithmetic: sign-extends
    else:
        np.bitwise_and(arr, arr.dtype.type((1 << bits_stored) - 1), out=arr)
    return arr


def _decode(ds: Dataset, frame: int, src: str) -> _Decoded:
    keyword = _pixel_keyword(ds, src)
    element = ds[keyword]
    buffer = element.value
    if buffer is None or (hasattr(buffer, "__len__") and len(buffer) == 0):
        raise PixelDataError(src, f"the {keyword} element is empty")
    undefined_length = bool(getattr(element, "is_undefined_length", False))
    looks_encapsulated = undefined_length or (
        isinstance(buffer, bytes | bytearray) and bytes(buffer[:4]) == _ITEM_TAG_LE
    )
    syntax = _transfer_syntax(ds, undefined_length and keyword == "PixelData", src)
    options = _pixel_options(ds, keyword, src)
    frames = options["number_of_frames"]
    if frame >= frames:
        raise PixelDataError(
            src,
            f"frame {frame} requested, but the object has {frames} frame(s) (0 to {frames - 1})",
        )
    check_frame_budget(
        src,
        options["rows"],
        options["columns"],
        options["samples_per_pixel"],
        options["bits_allocated"],
    )
    if syntax in _NATIVE_SYNTAXES:
        if undefined_length:
            raise PixelDataError(
                src,
                f"transfer syntax {syntax.name} is uncompressed but the pixel data is "
                "encapsulated (undefined length)",
            )
        if isinstance(buffer, bytes | bytearray):
            expected = _expected_native_length(options)
            if len(buffer) < expected:
                raise PixelDataError(
                    src,
                    f"pixel data is {len(buffer)} bytes, expected {expected} "
                    f"({options['rows']} rows x {options['columns']} columns x "
                    f"{options['samples_per_pixel']} samples x {frames} frames x "
                    f"{options['bits_allocated']} bits)",
                )
    else:
        try:
            encapsulated_syntax = syntax.is_encapsulated
        except ValueError:
            encapsulated_syntax = False  # not a transfer syntax at all: _run_decoder says so
        if encapsulated_syntax and not looks_encapsulated:
            raise PixelDataError(
                src,
                f"transfer syntax {syntax.name} is compressed but the pixel data is not "
                "encapsulated",
            )
        if encapsulated_syntax and isinstance(buffer, bytes | bytearray):
            check_compressed_frame(src, syntax.name, buffer, frame, options)

    array, photometric = _run_decoder(syntax, buffer, frame, options, src)

    if array.dtype.byteorder not in ("=", "|"):
        array = array.astype(array.dtype.newbyteorder("="))
    if keyword == "PixelData" and options["bits_allocated"] > 1:
        array = apply_bits_stored_mask(array, options["bits_stored"])

    samples = options["samples_per_pixel"]
    expected_shape = (options["rows"], options["columns"]) + ((3,) if samples == 3 else ())
    if array.shape != expected_shape:
        raise PixelDataError(
            src, f"decoded frame has shape {array.shape}, expected {expected_shape}"
        )
    photometric = photometric or options["photometric_interpretation"]
    if samples == 1:
        if photometric == "PALETTE COLOR":
            signed = options.get("pixel_representation", 0) == 1
            rgb = apply_palette(
                array, ds, signed=signed, little_endian=_is_little_endian(ds), src=src
            )
            return _Decoded(stored=array, colour=rgb, colour_max=255)
        return _Decoded(stored=array, colour=None, colour_max=0)
    if photometric in ("YBR_FULL", "YBR_FULL_422"):
        # A decoder that left YCbCr (the as_rgb option did not apply): convert here.
        array = convert_color_space(array, "YBR_FULL", "RGB")
        photometric = "RGB"
    if photometric != "RGB":
        raise PixelDataError(
            src, f"Photometric Interpretation {photometric} is not supported for display"
        )
    top = (1 << options.get("bits_stored", options["bits_allocated"])) - 1
    return _Decoded(stored=array, colour=array, colour_max=top)


# --------------------------------------------------------------------------- public API


def supported_transfer_syntaxes() -> dict[str, str]:
    """Transfer syntaxes that can be decoded here, each with the distribution that does it.

    Returns
    -------
    dict of str to str
        Transfer Syntax UID → the distribution tried first for it (``"pydicom"``
        for uncompressed syntaxes, ``"python-gdcm"``, ``"pylibjpeg-openjpeg"``,
        ``"pyjpegls"``...). Syntaxes without an installed decoder are left out.
    """
    table: dict[str, str] = {}
    for syntax in AllTransferSyntaxes:
        try:
            decoder = get_decoder(syntax)
        except NotImplementedError:
            continue
        if decoder.is_native:
            table[str(syntax)] = "pydicom"
            continue
        available = decoder.available_plugins
        for name in _PLUGIN_ORDER.get(syntax, ()):
            if name in available:
                if name == "pylibjpeg":
                    backend = "pylibjpeg-rle" if syntax == RLELossless else "pylibjpeg-openjpeg"
                    table[str(syntax)] = backend
                else:
                    table[str(syntax)] = _PLUGIN_DISTRIBUTION[name]
                break
    return table


def decode_frame(ds: Dataset, frame: int = 0, *, source: str = "") -> Array:
    """Decode the stored values of one frame.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        A dataset with an Image Pixel Module and pixel data.
    frame : int
        0-based frame index; only this frame is decoded.
    source : str
        The file name, for error messages (default: ``ds.filename``).

    Returns
    -------
    numpy.ndarray
        ``(rows, columns)`` stored values for grayscale, with the bits above Bits
        Stored cleared (or sign-extended when Pixel Representation is 1); or
        ``(rows, columns, 3)`` RGB for colour (RGB with either Planar
        Configuration, YBR_FULL, YBR_FULL_422, and PALETTE COLOR through its
        palette LUTs). Native byte order.

    Raises
    ------
    PixelDataError
        No pixel data, pixel data shorter than Rows x Columns x Samples x
        Frames x Bits Allocated, frame out of range, or a decoder failure.
    UnsupportedTransferSyntaxError
        No installed decoder handles the transfer syntax.
    """
    _check_dataset(ds)
    frame = _check_frame(frame)
    src = _source(ds, source)
    with _guard(src, "decoding"):
        decoded = _decode(ds, frame, src)
    return decoded.colour if decoded.colour is not None else decoded.stored


def modality_lut_for(ds: Dataset, frame: int = 0, *, source: str = "") -> ModalityLut:
    """The modality transformation of one frame (PS3.3 C.11.1).

    For enhanced multi-frame objects the Pixel Value Transformation Sequence
    (0028,9145) of the frame's Per-frame Functional Groups overrides the Shared
    Functional Groups; otherwise the top-level Modality LUT Sequence (0028,3000)
    wins over Rescale Slope/Intercept. Colour images, and XA/XRF images whose
    Pixel Intensity Relationship (0028,1040) is LOG or DISP (PS3.3 C.8.7.1.1),
    get the identity: their stored values already are what VOI expects.

    Raises
    ------
    PixelDataError
        A rescale value or LUT that cannot be used (not a number, slope 0, no
        LUT Data...), or a frame out of range.
    """
    _check_dataset(ds)
    frame = _check_frame(frame)
    src = _source(ds, source)
    with _guard(src, "modality LUT"):
        return _modality_lut(ds, frame, src)


def _modality_lut(ds: Dataset, frame: int, src: str) -> ModalityLut:
    _check_frame_in_range(ds, frame, src)
    photometric = _photometric(ds)
    if photometric and photometric not in _MONOCHROME:
        return ModalityLut(explanation=f"{photometric}: no modality LUT for colour")

    sop_class = str(ds.get("SOPClassUID") or "").strip()
    modality = str(ds.get("Modality") or "").strip().upper()
    relationship = str(ds.get("PixelIntensityRelationship") or "").strip().upper()
    if (modality in ("XA", "XRF") or sop_class in _XRAY_ANGIO_CLASSES) and relationship in (
        "LOG",
        "DISP",
    ):
        return ModalityLut(
            explanation=f"{modality or 'XA/XRF'} with Pixel Intensity Relationship "
            f"{relationship}: stored values used as they are"
        )

    signed = (_element_int(ds, "PixelRepresentation", src) or 0) == 1
    holder: Dataset = ds
    group = _functional_group(ds, frame, "PixelValueTransformationSequence", src)
    if group is not None:
        holder = group
    lut_sequence = holder.get("ModalityLUTSequence")
    if lut_sequence:
        table, first, bits, explanation = _parse_lut_item(
            lut_sequence[0], ds, signed, "Modality LUT Sequence (0028,3000)", src
        )
        lut_type = str(lut_sequence[0].get("ModalityLUTType") or "").strip()
        return ModalityLut(
            rescale_type=lut_type,
            table=table,
            first_mapped=first,
            table_bits=bits,
            explanation=explanation,
        )
    try:
        slopes = _float_values(holder.get("RescaleSlope"))
        intercepts = _float_values(holder.get("RescaleIntercept"))
    except (TypeError, ValueError):
        raise PixelDataError(
            src,
            f"Rescale Slope/Intercept are {holder.get('RescaleSlope')!r}/"
            f"{holder.get('RescaleIntercept')!r}, expected numbers",
        ) from None
    slope = slopes[0] if slopes else 1.0
    intercept = intercepts[0] if intercepts else 0.0
    if not (math.isfinite(slope) and math.isfinite(intercept)) or slope == 0:
        raise PixelDataError(
            src,
            f"Rescale Slope {slope} / Intercept {intercept} cannot be used "
            "(expected a finite, non-zero slope and a finite intercept)",
        )
    return ModalityLut(
        slope=slope,
        intercept=intercept,
        rescale_type=str(holder.get("RescaleType") or "").strip(),
    )


def _smallest_int_dtype(low: float, high: float) -> np.dtype[Any]:
    for dtype in (np.int16, np.int32):
        info = np.iinfo(dtype)
        if info.min <= low and high <= info.max:
            return np.dtype(dtype)
    return np.dtype(np.int64)


def apply_modality_lut(arr: Array, lut: ModalityLut) -> Array:
    """Apply a modality transformation (PS3.3 C.11.1) to stored values.

    Parameters
    ----------
    arr : numpy.ndarray
        Stored values of any shape.
    lut : ModalityLut
        From :func:`modality_lut_for`.

    Returns
    -------
    numpy.ndarray
        ``arr`` itself for the identity. For a table: stored values below
        ``first_mapped`` take the first entry, above the last the last entry
        (uint8/uint16). For a rescale with integral slope and intercept on
        integer input: int16, int32 or int64, the smallest that holds the result;
        otherwise float32.
    """
    arr = _check_array(arr, "arr")
    if not isinstance(lut, ModalityLut):
        raise TypeError(f"lut must be a ModalityLut, found {type(lut).__name__}")
    if lut.is_identity:
        return arr
    if lut._array is not None:
        table = lut._array
        if arr.dtype.kind == "f":
            index = np.rint(np.nan_to_num(arr)).astype(np.int64)
        else:
            index = arr.astype(np.int64)
        index -= lut.first_mapped
        np.clip(index, 0, len(table) - 1, out=index)
        result: Array = table[index]
        return result
    if arr.dtype.kind in "biu" and lut.has_integer_output:
        slope, intercept = int(lut.slope), int(lut.intercept)
        if arr.size == 0:
            return arr.astype(np.int32)
        low_in, high_in = int(arr.min()), int(arr.max())
        ends = (low_in * slope + intercept, high_in * slope + intercept)
        out_dtype = _smallest_int_dtype(min(ends), max(ends))
        work_dtype = np.int64 if out_dtype == np.int64 or arr.dtype.itemsize >= 4 else np.int32
        work: Array = arr.astype(work_dtype)
        if slope != 1:
            work *= slope
        if intercept:
            work += intercept
        return work.astype(out_dtype, copy=False)
    # Integers up to 16 bits are exact in float32; wider ones are scaled in float64.
    precise = arr.dtype.itemsize > (4 if arr.dtype.kind == "f" else 2)
    work_float = np.float64 if precise else np.float32
    values: Array = arr.astype(work_float)
    values *= work_float(lut.slope)
    values += work_float(lut.intercept)
    return values.astype(np.float32, copy=False)


def read_frame_values(ds: Dataset, frame: int = 0, *, source: str = "") -> Array:
    """The modality values of one frame: what the viewer and the CNN get before VOI.

    Grayscale frames are decoded and passed through :func:`modality_lut_for`
    (Hounsfield units for CT, for example); MONOCHROME1 is *not* inverted here.
    Colour frames are returned as RGB, unchanged.

    Raises
    ------
    PixelDataError, UnsupportedTransferSyntaxError
        As :func:`decode_frame` and :func:`modality_lut_for`.
    """
    _check_dataset(ds)
    frame = _check_frame(frame)
    src = _source(ds, source)
    with _guard(src, "reading values"):
        decoded = _decode(ds, frame, src)
        if decoded.colour is not None:
            return decoded.colour
        return apply_modality_lut(decoded.stored, _modality_lut(ds, frame, src))


def voi_presets_for(ds: Dataset, frame: int = 0, *, source: str = "") -> tuple[VoiPreset, ...]:
    """The file's VOI presets for one frame (PS3.3 C.11.2), first preset first.

    Every VOI LUT Sequence (0028,3010) item becomes a table preset, then every
    Window Center/Width pair becomes a window preset named by its Window Center &
    Width Explanation, with the VOI LUT Function (0028,1056). Tables come first
    because pydicom's ``apply_voi_lut`` prefers them (``prefer_lut=True``), so the
    first preset is what pydicom would apply. For enhanced multi-frame objects,
    the frame's Frame VOI LUT Sequence (0028,9132) (per-frame overriding shared)
    replaces the top-level windows. Colour images have no presets. Unusable
    items (width below the function's minimum, no LUT Data...) are skipped.

    Raises
    ------
    PixelDataError
        A frame out of range.
    """
    _check_dataset(ds)
    frame = _check_frame(frame)
    src = _source(ds, source)
    with _guard(src, "VOI presets"):
        return _voi_presets(ds, frame, src)


def _voi_presets(ds: Dataset, frame: int, src: str) -> tuple[VoiPreset, ...]:
    _check_frame_in_range(ds, frame, src)
    photometric = _photometric(ds)
    if photometric and photometric not in _MONOCHROME:
        return ()
    presets: list[VoiPreset] = []

    lut = _modality_lut(ds, frame, src)
    signed_input = lut.table is None and (
        (_element_int(ds, "PixelRepresentation", src) or 0) == 1
        or lut.intercept < 0
        or lut.slope < 0
    )
    for number, item in enumerate(ds.get("VOILUTSequence") or (), start=1):
        try:
            table, first, bits, explanation = _parse_lut_item(
                item, ds, signed_input, "VOI LUT Sequence (0028,3010)", src
            )
            presets.append(
                VoiPreset(
                    name=explanation or f"VOI LUT {number}",
                    table=table,
                    first_mapped=first,
                    table_bits=bits,
                )
            )
        except (PixelDataError, ValueError) as exc:
            logger.warning("%s: VOI LUT item %d skipped: %s", src, number, exc)

    holder: Dataset = ds
    group = _functional_group(ds, frame, "FrameVOILUTSequence", src)
    if group is not None:
        holder = group
    try:
        centers = _float_values(holder.get("WindowCenter"))
        widths = _float_values(holder.get("WindowWidth"))
    except (TypeError, ValueError):
        logger.warning("%s: Window Center/Width are not numbers; ignored", src)
        centers, widths = [], []
    explanations = _str_values(holder.get("WindowCenterWidthExplanation"))
    function_text = str(
        holder.get("VOILUTFunction") or ds.get("VOILUTFunction") or "LINEAR"
    ).strip()
    if "FloatPixelData" in ds or "DoubleFloatPixelData" in ds:
        function_text = continuous_voi_function(function_text)
    try:
        function = VoiFunction(function_text.upper())
    except ValueError:
        logger.warning("%s: VOI LUT Function %r unknown; using LINEAR", src, function_text)
        function = VoiFunction.LINEAR
    if len(centers) != len(widths):
        logger.warning(
            "%s: %d window centers but %d widths; using the first %d pairs",
            src,
            len(centers),
            len(widths),
            min(len(centers), len(widths)),
        )
    for number, (center, width) in enumerate(zip(centers, widths, strict=False), start=1):
        name = explanations[number - 1] if number <= len(explanations) else ""
        try:
            presets.append(
                VoiPreset(
                    name=name or f"Window {number}", center=center, width=width, function=function
                )
            )
        except ValueError as exc:
            logger.warning("%s: window %d skipped: %s", src, number, exc)
    return tuple(presets)


def full_range_preset(values: Array, *, exclude: Array | None = None) -> VoiPreset:
    """A preset spanning min..max of ``values`` (for files without presets).

    Parameters
    ----------
    values : numpy.ndarray
        Modality values (NaN are ignored).
    exclude : numpy.ndarray of bool, optional
        Pixels to leave out of the range, e.g. :func:`padding_mask`; ignored
        when it would leave nothing.

    Returns
    -------
    VoiPreset
        LINEAR_EXACT window mapping the minimum to 0 and the maximum to 1 (a
        constant image gets width 1 and shows as mid grey).
    """
    values = _check_array(values, "values")
    if values.size == 0:
        raise ValueError("values is empty; a full-range preset needs at least one value")
    chosen = values
    if exclude is not None:
        exclude = _check_array(exclude, "exclude")
        if exclude.shape != values.shape or exclude.dtype != np.bool_:
            raise ValueError(
                f"exclude must be a bool array of shape {values.shape}, "
                f"found {exclude.dtype} {exclude.shape}"
            )
        kept = values[~exclude]
        if kept.size:
            chosen = kept
    if chosen.dtype.kind == "f":
        finite = chosen[np.isfinite(chosen)]
        chosen = finite if finite.size else np.zeros(1)
    low, high = float(chosen.min()), float(chosen.max())
    width = high - low if high > low else 1.0
    center = (low + high) / 2 if high > low else low
    return VoiPreset(
        name="Full range", center=center, width=width, function=VoiFunction.LINEAR_EXACT
    )


def apply_voi(values: Array, preset: VoiPreset) -> Array:
    """Apply a VOI preset: modality values → float32 in [0, 1].

    * LINEAR (PS3.3 C.11.2.1.2.1): ``x <= c - 0.5 - (w-1)/2`` → 0;
      ``x > c - 0.5 + (w-1)/2`` → 1; else ``((x - (c - 0.5)) / (w - 1) + 0.5)``.
    * LINEAR_EXACT (C.11.2.1.3.2): ``x <= c - w/2`` → 0; ``x > c + w/2`` → 1;
      else ``(x - c) / w + 0.5``.
    * SIGMOID (C.11.2.1.3.1): ``1 / (1 + exp(-4 (x - c) / w))``.
    * Table (C.11.2.1.1): inputs below the first mapped value take the first
      entry, above the last the last; normalised by ``2**table_bits - 1``.

    Raises
    ------
    ValueError
        A window width below the function's minimum (1 for LINEAR, > 0 otherwise).
    """
    values = _check_array(values, "values")
    if not isinstance(preset, VoiPreset):
        raise TypeError(f"preset must be a VoiPreset, found {type(preset).__name__}")
    if preset._array is not None:
        if values.dtype.kind == "f":
            index = np.rint(np.nan_to_num(values)).astype(np.int64)
        else:
            index = values.astype(np.int64)
        index -= preset.first_mapped
        np.clip(index, 0, len(preset._array) - 1, out=index)
        looked_up: Array = preset._array[index]
        return looked_up
    center, width = float(preset.center), float(preset.width)  # type: ignore[arg-type]
    _check_width(width, preset.function)
    # Integers up to 16 bits and float32 are exact in float32; keep float64 otherwise so
    # that the standard's boundary values land exactly on 0 and 1.
    exact32 = values.dtype.itemsize <= 2 or values.dtype == np.float32
    work = np.float32 if exact32 else np.float64
    x: Array = values.astype(work)
    if preset.function is VoiFunction.SIGMOID:
        # 1 / (1 + exp(-z)) written with tanh, which cannot overflow.
        x -= work(center)
        x *= work(2.0 / width)
        np.tanh(x, out=x)
        x += work(1)
        x *= work(0.5)
    elif preset.function is VoiFunction.LINEAR and width == 1:
        x = np.greater(x, work(center - 0.5)).astype(work)  # a step: (w - 1) is 0
    else:
        if preset.function is VoiFunction.LINEAR:
            center, width = center - 0.5, width - 1
        x -= work(center)
        x /= work(width)
        x += work(0.5)
        np.clip(x, 0, 1, out=x)
    return x.astype(np.float32, copy=False)


def is_inverted(ds: Dataset) -> bool:
    """True when the image is shown inverted after VOI (PS3.3 C.7.6.3.1.2, C.11.6).

    MONOCHROME1 (minimum value is white), or Presentation LUT Shape (2050,0020)
    INVERSE, which in an image accompanies MONOCHROME1 (the two describe one
    inversion, not two). Colour images are never inverted.
    """
    _check_dataset(ds)
    photometric = _photometric(ds) or "MONOCHROME2"
    if photometric not in _MONOCHROME:
        return False
    shape = str(ds.get("PresentationLUTShape") or "").strip().upper()
    return photometric == "MONOCHROME1" or shape == "INVERSE"


def apply_presentation(arr01: Array, inverted: bool) -> Array:
    """Apply the presentation step to VOI output in [0, 1]: ``1 - x`` when inverted."""
    arr01 = _check_array(arr01, "arr01")
    if not isinstance(inverted, bool | np.bool_):
        raise TypeError(f"inverted must be a bool, found {type(inverted).__name__}")
    if not inverted:
        return arr01
    result: Array = np.float32(1) - arr01.astype(np.float32, copy=False)
    return result


def padding_mask(ds: Dataset, stored: Array) -> Array | None:
    """Pixels that are padding (PS3.3 C.7.5.1.1.2), from the stored values.

    Pixel Padding Value (0028,0120) alone marks one stored value; with Pixel
    Padding Range Limit (0028,0121) the inclusive range between the two. Both are
    in stored values (before the modality LUT), signed when Pixel Representation
    is 1. Padding applies to grayscale images only.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
    stored : numpy.ndarray
        Stored values of a frame, as from :func:`decode_frame`.

    Returns
    -------
    numpy.ndarray of bool or None
        True where the pixel is padding; None when the file defines no padding
        (or is colour, or the values cannot be read).
    """
    _check_dataset(ds)
    stored = _check_array(stored, "stored")
    photometric = _photometric(ds) or "MONOCHROME2"
    if photometric not in _MONOCHROME or "PixelPaddingValue" not in ds:
        return None
    try:
        value = _int_value(ds.get("PixelPaddingValue"))
        limit = _int_value(ds.get("PixelPaddingRangeLimit"))
        signed = (_int_value(ds.get("PixelRepresentation")) or 0) == 1
        bits = _int_value(ds.get("BitsAllocated")) or 16
    except (TypeError, ValueError, OverflowError):
        logger.warning("padding values are not integers; padding ignored")
        return None
    if value is None:
        return None
    # A US/SS ambiguity in the header must not turn -2000 into 63536.
    value = twos_complement(value, bits, signed)
    if limit is None:
        equal: Array = stored == value
        return equal
    limit = twos_complement(limit, bits, signed)
    low, high = min(value, limit), max(value, limit)
    mask: Array = (stored >= low) & (stored <= high)
    return mask


def to_display_uint8(arr01: Array) -> Array:
    """Values in [0, 1] to 0..255 (rounded; out-of-range values clipped, NaN → 0)."""
    arr01 = _check_array(arr01, "arr01")
    scaled = arr01.astype(np.float32) * np.float32(255)
    scaled += np.float32(0.5)
    np.fmax(scaled, np.float32(0), out=scaled)  # fmax also turns NaN into 0
    np.minimum(scaled, np.float32(255), out=scaled)
    result: Array = scaled.astype(np.uint8)
    return result


def _window_preset(window: Any) -> VoiPreset:
    if not isinstance(window, tuple | list) or len(window) != 2:
        raise TypeError(f"window must be a (center, width) pair, found {window!r}")
    center, width = window
    for name, value in (("center", center), ("width", width)):
        if isinstance(value, bool) or not isinstance(value, int | float | np.number):
            raise TypeError(f"window {name} must be a number, found {value!r}")
    return VoiPreset(name="Window", center=float(center), width=float(width))


def render_frame(
    ds: Dataset,
    frame: int = 0,
    window: tuple[float, float] | None = None,
    *,
    source: str = "",
) -> Array:
    """Render one frame for display: the whole pipeline to 8 bits.

    Grayscale: stored values → modality LUT → VOI (``window`` as a LINEAR
    center/width if given, else the file's first preset, else the full range of
    the modality values without padding) → inversion for MONOCHROME1/INVERSE →
    padding shown black, the darkest value, as background (PS3.3 C.7.5.1.1.2
    pads "with black" for both MONOCHROME1 and MONOCHROME2) → uint8 ``(H, W)``.
    Colour: RGB scaled to 8 bits, no VOI → uint8 ``(H, W, 3)``.

    Raises
    ------
    PixelDataError, UnsupportedTransferSyntaxError
        As :func:`decode_frame`.
    TypeError, ValueError
        A bad argument (``window`` not a pair of numbers, or a width below 1).
    """
    _check_dataset(ds)
    frame = _check_frame(frame)
    src = _source(ds, source)
    override = _window_preset(window) if window is not None else None
    with _guard(src, "rendering"):
        return _render(ds, frame, override, src)


def _render(ds: Dataset, frame: int, override: VoiPreset | None, src: str) -> Array:
    decoded = _decode(ds, frame, src)
    if decoded.colour is not None:
        rgb = decoded.colour
        if rgb.dtype == np.uint8 and decoded.colour_max == 255:
            return rgb
        scaled = rgb.astype(np.float32) * np.float32(255 / max(decoded.colour_max, 1))
        scaled += np.float32(0.5)
        np.clip(scaled, 0, 255, out=scaled)
        result: Array = scaled.astype(np.uint8)
        return result
    values = apply_modality_lut(decoded.stored, _modality_lut(ds, frame, src))
    mask = padding_mask(ds, decoded.stored)
    if override is not None:
        preset = override
    else:
        presets = _voi_presets(ds, frame, src)
        preset = presets[0] if presets else full_range_preset(values, exclude=mask)
    shown = apply_presentation(apply_voi(values, preset), is_inverted(ds))
    if mask is not None and mask.any():
        shown[mask] = 0.0  # shown is a fresh array from apply_voi/apply_presentation
    return to_display_uint8(shown)
