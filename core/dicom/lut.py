"""The LUT pipeline: stored values → modality LUT → VOI → presentation → display.

The second half of the pixel pipeline, as pydicom separates processing from
decoding (decoding is :mod:`core.dicom.decode`). Pure functions on pydicom
:class:`~pydicom.dataset.Dataset` objects and numpy arrays, following PS3.3 C.11
(the grayscale pipeline) and PS3.4 N.2:

* :func:`modality_lut_for` / :func:`apply_modality_lut` — Rescale Slope/Intercept
  or Modality LUT Sequence (PS3.3 C.11.1), per frame for enhanced multi-frame;
  :func:`skips_modality_lut` is the one owner of the XA/XRF rule (LOG or DISP
  Pixel Intensity Relationship: no modality LUT).
* :func:`voi_presets_for` / :func:`apply_voi` — Window Center/Width with the VOI LUT
  Function, or a VOI LUT table (PS3.3 C.11.2), into float32 in [0, 1].
* :func:`is_inverted` / :func:`apply_presentation` — MONOCHROME1 and Presentation
  LUT Shape INVERSE invert after VOI (PS3.3 C.11.6).
* :func:`padding_mask` — Pixel Padding Value (and Range Limit) on stored values.
* :func:`to_display_uint8` — [0, 1] to 8 bits.
* Colour: :func:`colour_as_rgb` (PALETTE COLOR through its palette, YBR_FULL and
  YBR_FULL_422 converted, RGB as is) and :func:`rgb_to_uint8`.

The values passed around (:class:`ModalityLut`, :class:`VoiFunction`,
:class:`VoiPreset`) are defined in :mod:`core.dicom.lut_types` and exported here
too, as part of this module's API.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from pydicom.dataset import Dataset
from pydicom.pixels.processing import convert_color_space

from core.dicom.float_windows import continuous_voi_function
from core.dicom.lut_data import apply_palette, read_lut_entries, twos_complement
from core.dicom.lut_types import ModalityLut, VoiFunction, VoiPreset, check_window_width
from core.dicom.pixel_header import (
    MONOCHROME,
    check_array,
    check_dataset,
    check_frame,
    check_frame_in_range,
    element_int,
    float_values,
    functional_group_item,
    int_value,
    is_little_endian,
    photometric_of,
    pixel_guard,
    source_name,
    str_values,
)
from core.errors import PixelDataError

logger = logging.getLogger(__name__)

Array = npt.NDArray[Any]

__all__ = [
    "ModalityLut",  # the value types are defined in core.dicom.lut_types
    "VoiFunction",
    "VoiPreset",
    "apply_modality_lut",
    "apply_presentation",
    "apply_voi",
    "colour_as_rgb",
    "frame_modality_lut",
    "frame_voi_presets",
    "full_range_preset",
    "is_inverted",
    "modality_lut_for",
    "padding_mask",
    "rgb_to_uint8",
    "skips_modality_lut",
    "to_display_uint8",
    "voi_presets_for",
]

#: Modalities whose Pixel Intensity Relationship decides the modality LUT: XA, and
#: RF (the defined term, PS3.3 C.7.3.1.1.1; "XRF" as some writers put it).
_XRAY_ANGIO_MODALITIES: Final = frozenset({"XA", "RF", "XRF"})
#: SOP Classes whose Pixel Intensity Relationship decides the modality LUT.
_XRAY_ANGIO_CLASSES: Final = frozenset(
    {
        "1.2.840.10008.5.1.4.1.1.12.1",  # X-Ray Angiographic Image
        "1.2.840.10008.5.1.4.1.1.12.1.1",  # Enhanced XA Image
        "1.2.840.10008.5.1.4.1.1.12.2",  # X-Ray Radiofluoroscopic Image
        "1.2.840.10008.5.1.4.1.1.12.2.1",  # Enhanced XRF Image
    }
)


# --------------------------------------------------------------------------- LUT items


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
    table = read_lut_entries(data_element.value, entries, bits, little_endian=is_little_endian(ds))
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


# --------------------------------------------------------------------------- modality LUT


def skips_modality_lut(modality: str, sop_class_uid: str, intensity_relationship: str) -> bool:
    """Whether an X-ray angiography/fluoroscopy image takes no modality LUT.

    XA and XRF images (by Modality, or by SOP Class for files whose Modality
    says otherwise) whose Pixel Intensity Relationship (0028,1040) is LOG or
    DISP store values that already are what VOI expects (PS3.3 C.8.7.1.1):
    Rescale Slope/Intercept and any Modality LUT are not applied.

    Parameters
    ----------
    modality : str
        Modality (0008,0060).
    sop_class_uid : str
        SOP Class UID (0008,0016).
    intensity_relationship : str
        Pixel Intensity Relationship (0028,1040).
    """
    relationship = intensity_relationship.strip().upper()
    if relationship not in ("LOG", "DISP"):
        return False
    return (
        modality.strip().upper() in _XRAY_ANGIO_MODALITIES
        or sop_class_uid.strip() in _XRAY_ANGIO_CLASSES
    )


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
    check_dataset(ds)
    frame = check_frame(frame)
    src = source_name(ds, source)
    with pixel_guard(src, "modality LUT"):
        return frame_modality_lut(ds, frame, src)


def frame_modality_lut(ds: Dataset, frame: int, src: str) -> ModalityLut:
    """:func:`modality_lut_for`, for callers that checked the arguments and guard the call."""
    check_frame_in_range(ds, frame, src)
    photometric = photometric_of(ds)
    if photometric and photometric not in MONOCHROME:
        return ModalityLut(explanation=f"{photometric}: no modality LUT for colour")

    modality = str(ds.get("Modality") or "").strip().upper()
    relationship = str(ds.get("PixelIntensityRelationship") or "").strip().upper()
    if skips_modality_lut(modality, str(ds.get("SOPClassUID") or ""), relationship):
        return ModalityLut(
            explanation=f"{modality or 'XA/XRF'} with Pixel Intensity Relationship "
            f"{relationship}: stored values used as they are"
        )

    signed = (element_int(ds, "PixelRepresentation", src) or 0) == 1
    holder: Dataset = ds
    group = functional_group_item(ds, frame, "PixelValueTransformationSequence", src)
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
        slopes = float_values(holder.get("RescaleSlope"))
        intercepts = float_values(holder.get("RescaleIntercept"))
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
    arr = check_array(arr, "arr")
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


# --------------------------------------------------------------------------- VOI


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
    check_dataset(ds)
    frame = check_frame(frame)
    src = source_name(ds, source)
    with pixel_guard(src, "VOI presets"):
        return frame_voi_presets(ds, frame, src)


def frame_voi_presets(ds: Dataset, frame: int, src: str) -> tuple[VoiPreset, ...]:
    """:func:`voi_presets_for`, for callers that checked the arguments and guard the call."""
    check_frame_in_range(ds, frame, src)
    photometric = photometric_of(ds)
    if photometric and photometric not in MONOCHROME:
        return ()
    presets: list[VoiPreset] = []

    lut = frame_modality_lut(ds, frame, src)
    signed_input = lut.table is None and (
        (element_int(ds, "PixelRepresentation", src) or 0) == 1
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
    group = functional_group_item(ds, frame, "FrameVOILUTSequence", src)
    if group is not None:
        holder = group
    try:
        centers = float_values(holder.get("WindowCenter"))
        widths = float_values(holder.get("WindowWidth"))
    except (TypeError, ValueError):
        logger.warning("%s: Window Center/Width are not numbers; ignored", src)
        centers, widths = [], []
    explanations = str_values(holder.get("WindowCenterWidthExplanation"))
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
    values = check_array(values, "values")
    if values.size == 0:
        raise ValueError("values is empty; a full-range preset needs at least one value")
    chosen = values
    if exclude is not None:
        exclude = check_array(exclude, "exclude")
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
    values = check_array(values, "values")
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
    check_window_width(width, preset.function)
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


# --------------------------------------------------------------------------- presentation


def is_inverted(ds: Dataset) -> bool:
    """True when the image is shown inverted after VOI (PS3.3 C.7.6.3.1.2, C.11.6).

    MONOCHROME1 (minimum value is white), or Presentation LUT Shape (2050,0020)
    INVERSE, which in an image accompanies MONOCHROME1 (the two describe one
    inversion, not two). Colour images are never inverted.
    """
    check_dataset(ds)
    photometric = photometric_of(ds) or "MONOCHROME2"
    if photometric not in MONOCHROME:
        return False
    shape = str(ds.get("PresentationLUTShape") or "").strip().upper()
    return photometric == "MONOCHROME1" or shape == "INVERSE"


def apply_presentation(arr01: Array, inverted: bool) -> Array:
    """Apply the presentation step to VOI output in [0, 1]: ``1 - x`` when inverted."""
    arr01 = check_array(arr01, "arr01")
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
    check_dataset(ds)
    stored = check_array(stored, "stored")
    photometric = photometric_of(ds) or "MONOCHROME2"
    if photometric not in MONOCHROME or "PixelPaddingValue" not in ds:
        return None
    try:
        value = int_value(ds.get("PixelPaddingValue"))
        limit = int_value(ds.get("PixelPaddingRangeLimit"))
        signed = (int_value(ds.get("PixelRepresentation")) or 0) == 1
        bits = int_value(ds.get("BitsAllocated")) or 16
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
    arr01 = check_array(arr01, "arr01")
    scaled = arr01.astype(np.float32) * np.float32(255)
    scaled += np.float32(0.5)
    np.fmax(scaled, np.float32(0), out=scaled)  # fmax also turns NaN into 0
    np.minimum(scaled, np.float32(255), out=scaled)
    result: Array = scaled.astype(np.uint8)
    return result


# --------------------------------------------------------------------------- colour


def colour_as_rgb(
    ds: Dataset, values: Array, photometric: str, *, bits_stored: int, signed: bool, src: str
) -> tuple[Array, int] | None:
    """A decoded colour frame as RGB, with the value that means full intensity.

    PALETTE COLOR goes through its palette LUTs (PS3.3 C.7.6.3.1.5) to 8 bits;
    YBR_FULL and YBR_FULL_422 left by a decoder are converted (PS3.3 C.7.6.3.1.2);
    RGB is returned as it is, full intensity ``2**bits_stored - 1``.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        The data set (for the palette).
    values : numpy.ndarray
        The decoded frame: ``(H, W)`` or ``(H, W, 3)``.
    photometric : str
        Photometric Interpretation of ``values``.
    bits_stored : int
        Bits Stored of the samples.
    signed : bool
        Pixel Representation 1 (palette indices are signed).
    src : str
        The file name, for error messages.

    Returns
    -------
    (numpy.ndarray, int) or None
        ``(H, W, 3)`` RGB and its full intensity; None for a grayscale frame.

    Raises
    ------
    PixelDataError
        Three samples in a Photometric Interpretation that cannot be shown, or
        an unusable palette.
    """
    if values.ndim == 2:
        if photometric == "PALETTE COLOR":
            rgb = apply_palette(
                values, ds, signed=signed, little_endian=is_little_endian(ds), src=src
            )
            return rgb, 255
        return None
    if photometric in ("YBR_FULL", "YBR_FULL_422"):
        # A decoder that left YCbCr (the as_rgb option did not apply): convert here.
        values = convert_color_space(values, "YBR_FULL", "RGB")
        photometric = "RGB"
    if photometric != "RGB":
        raise PixelDataError(
            src, f"Photometric Interpretation {photometric} is not supported for display"
        )
    return values, (1 << bits_stored) - 1


def rgb_to_uint8(rgb: Array, full: int) -> Array:
    """RGB whose full intensity is ``full`` scaled to 8 bits (rounded, clipped)."""
    if rgb.dtype == np.uint8 and full == 255:
        return rgb
    scaled = rgb.astype(np.float32) * np.float32(255 / max(full, 1))
    scaled += np.float32(0.5)
    np.clip(scaled, 0, 255, out=scaled)
    result: Array = scaled.astype(np.uint8)
    return result
