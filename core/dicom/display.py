"""What a viewer needs to turn a loaded volume into a picture, without Qt.

* Window/level: :func:`make_window_lut` builds, once per window, a lookup table
  from every integer modality value to an 8-bit grey (or a packed 32-bit grey for
  a display surface); :func:`apply_window_lut` is then one gather per frame, a
  few tenths of a millisecond for 512×512. :func:`apply_window` does the same for
  any dtype (float volumes take the arithmetic path of
  :func:`core.dicom.lut.apply_voi`, so both agree with PS3.3 C.11.2);
  :func:`pack_argb32` packs grey or RGB for a 32-bit display surface.
* Presets: the file's own windows (Window Center/Width with its explanation,
  PS3.3 C.11.2.1.2), the modality's usual ones (:data:`MODALITY_PRESETS`: lung,
  mediastinum, bone, brain, abdomen... for CT), an automatic window from the
  frame's histogram (:func:`compute_auto_window`) and the default one
  (:func:`choose_default_window`).
* Presentation: MONOCHROME1 shows inverted (PS3.3 C.7.6.3.1.2); Pixel Padding
  Value shows black (C.7.5.1.1.2).

What is written over the picture (header fields, corner texts, orientation
markers, scale bar) is :mod:`core.dicom.overlays`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from core.dicom.float_windows import window_for_value_range
from core.dicom.lut import (
    VoiFunction,
    VoiPreset,
    apply_voi,
    full_range_preset,
    to_display_uint8,
)
from core.dicom.pixel_header import check_array, check_number
from core.dicom.records import SeriesGeometry, SeriesRecord

logger = logging.getLogger(__name__)

Array = npt.NDArray[Any]

__all__ = [
    "MODALITY_PRESETS",
    "WindowLut",
    "apply_window",
    "apply_window_lut",
    "choose_default_window",
    "compute_auto_window",
    "file_presets",
    "full_range_window",
    "is_series_inverted",
    "list_presets",
    "make_window_lut",
    "modality_presets",
    "pack_argb32",
    "padding_value_of",
]


def _window(name: str, center: float, width: float) -> VoiPreset:
    return VoiPreset(name=name, center=center, width=width)


#: Usual windows per modality (center, width in modality units; HU for CT), in the
#: order a reader reaches for them. Values as commonly taught (e.g. Radiopaedia's
#: "windowing (CT)"); projection radiographs and MR have no fixed scale, so none.
MODALITY_PRESETS: Final[Mapping[str, tuple[VoiPreset, ...]]] = {
    "CT": (
        _window("Lung", -600, 1500),
        _window("Mediastinum", 50, 350),
        _window("Abdomen", 40, 400),
        _window("Liver", 30, 150),
        _window("Bone", 400, 1800),
        _window("Brain", 40, 80),
        _window("Subdural", 75, 215),
        _window("Stroke", 40, 40),
        _window("Angio", 300, 600),
    ),
}

#: The modality preset shown first when the file has no window of its own.
_DEFAULT_MODALITY_PRESET: Final[Mapping[str, str]] = {"CT": "Abdomen"}

#: Integer dtypes whose every value fits a table indexed directly (no clipping pass).
_DIRECT_DTYPES: Final = frozenset({np.dtype(np.uint8), np.dtype(np.uint16), np.dtype(np.int16)})
#: Widest table for other integer dtypes; wider windows take the arithmetic path.
_MAX_CLIPPED_TABLE: Final = 1 << 22
_OPAQUE: Final = np.uint32(0xFF000000)
_GREY_TO_ARGB: Final = np.uint32(0x010101)


# --------------------------------------------------------------------------- validation


def _check_preset(preset: Any) -> VoiPreset:
    if not isinstance(preset, VoiPreset):
        raise TypeError(f"preset must be a VoiPreset, found {type(preset).__name__}")
    return preset


def _check_series(series: Any) -> SeriesRecord:
    if not isinstance(series, SeriesRecord):
        raise TypeError(f"series must be a SeriesRecord, found {type(series).__name__}")
    return series


# --------------------------------------------------------------------------- window LUT


@dataclass(frozen=True, eq=False)
class WindowLut:
    """A window turned into a lookup table for one integer dtype.

    Build it with :func:`make_window_lut`; apply it with :func:`apply_window_lut`.

    Attributes
    ----------
    preset : VoiPreset
        The window (or VOI table) the table encodes.
    dtype : numpy.dtype
        The dtype of the values it applies to.
    inverted : bool
        Whether the output is inverted (MONOCHROME1, or the reader's invert).
    padding : float or None
        Modality value shown black (Pixel Padding Value), if any.
    packed : bool
        True when entries are opaque 32-bit ARGB greys (``0xFFgggggg``), ready for
        a 32-bit RGB display surface; False for 8-bit greys.
    first : int
        Modality value of ``table[0]`` (values outside the table are clipped to its
        ends, where the output no longer changes).
    table : numpy.ndarray
        The entries, read-only. For int16 they are stored in the order of the
        values' unsigned bit pattern, so that a frame is looked up without a
        subtraction.
    """

    preset: VoiPreset
    dtype: np.dtype[Any]
    inverted: bool
    padding: float | None
    packed: bool
    first: int
    table: Array = field(repr=False)


def _saturation_range(preset: VoiPreset) -> tuple[float, float]:
    """Values below/above which the 8-bit output of ``preset`` no longer changes."""
    if preset._array is not None:
        return float(preset.first_mapped), float(preset.first_mapped + len(preset._array) - 1)
    center, width = float(preset.center), float(preset.width)  # type: ignore[arg-type]
    if preset.function is VoiFunction.SIGMOID:
        # 1/(1+exp(-4(x-c)/w)) rounds to 0 or 255 beyond |x - c| = w ln(510)/4 < 1.6 w.
        return center - 1.6 * width - 1, center + 1.6 * width + 1
    return center - width / 2 - 1, center + width / 2 + 1


def make_window_lut(
    dtype: npt.DTypeLike,
    preset: VoiPreset,
    *,
    inverted: bool = False,
    padding: float | None = None,
    packed: bool = False,
) -> WindowLut | None:
    """Build the lookup table that shows integer modality values through a window.

    Parameters
    ----------
    dtype : numpy dtype
        dtype of the volume (its values are modality values, e.g. HU).
    preset : VoiPreset
        Window (LINEAR, LINEAR_EXACT or SIGMOID, PS3.3 C.11.2.1.2) or VOI table.
    inverted : bool, optional
        Invert after VOI (MONOCHROME1 or the reader's choice, PS3.3 C.11.6).
    padding : float, optional
        A modality value to show black whatever the window (Pixel Padding Value
        through the modality LUT, PS3.3 C.7.5.1.1.2).
    packed : bool, optional
        Make 32-bit opaque ARGB grey entries instead of 8-bit greys.

    Returns
    -------
    WindowLut or None
        None for float dtypes, and for integer windows wider than a table is worth
        (over 4 million values); :func:`apply_window` then computes directly.
    """
    dt = np.dtype(dtype)
    preset = _check_preset(preset)
    if not isinstance(inverted, bool | np.bool_):
        raise TypeError(f"inverted must be a bool, found {type(inverted).__name__}")
    if padding is not None:
        padding = check_number("padding", padding)
    if dt.kind not in "iu":
        return None
    info = np.iinfo(dt)
    if dt in _DIRECT_DTYPES:
        first, last = int(info.min), int(info.max)
    else:
        low, high = _saturation_range(preset)
        first = int(max(info.min, math.floor(low)))
        last = int(min(info.max, math.ceil(high)))
        if last < first:
            last = first
        if last - first + 1 > _MAX_CLIPPED_TABLE:
            return None
    # In the values' own dtype, so that apply_voi rounds exactly as it does for a frame.
    inputs = np.arange(first, last + 1, dtype=np.int64).astype(dt)
    shown = apply_voi(inputs, preset)
    if inverted:
        shown = np.float32(1) - shown
    grey = to_display_uint8(shown)
    if padding is not None and float(padding).is_integer() and first <= padding <= last:
        grey[int(padding) - first] = 0
    table: Array = grey
    if packed:
        table = grey.astype(np.uint32) * _GREY_TO_ARGB | _OPAQUE
    if dt == np.int16:
        # Index by the unsigned bit pattern: value v sits at v & 0xFFFF.
        table = np.roll(table, -32768)
    table.flags.writeable = False
    return WindowLut(
        preset=preset,
        dtype=dt,
        inverted=bool(inverted),
        padding=padding,
        packed=packed,
        first=first,
        table=table,
    )


def apply_window_lut(values: Array, lut: WindowLut, out: Array | None = None) -> Array:
    """Look modality values up in a :class:`WindowLut`.

    Parameters
    ----------
    values : numpy.ndarray
        Integer modality values of ``lut.dtype``, any shape.
    lut : WindowLut
        From :func:`make_window_lut`.
    out : numpy.ndarray, optional
        Where to write (same shape as ``values``, dtype of ``lut.table``).

    Returns
    -------
    numpy.ndarray
        uint8 greys, or uint32 ARGB when the table is packed.
    """
    values = check_array(values, "values")
    if not isinstance(lut, WindowLut):
        raise TypeError(f"lut must be a WindowLut, found {type(lut).__name__}")
    if values.dtype != lut.dtype:
        raise ValueError(f"the table was built for {lut.dtype}, the values are {values.dtype}")
    if out is not None and (out.shape != values.shape or out.dtype != lut.table.dtype):
        raise ValueError(
            f"out must be {lut.table.dtype} of shape {values.shape}, "
            f"found {out.dtype} of shape {out.shape}"
        )
    if values.dtype == np.int16:
        index: Array = values.view(np.uint16)
    elif values.dtype in _DIRECT_DTYPES:
        index = values
    else:
        index = np.clip(values, lut.first, lut.first + len(lut.table) - 1).astype(np.intp)
        index -= lut.first
    result: Array = np.take(lut.table, index, out=out)
    return result


def apply_window(
    values: Array,
    preset: VoiPreset,
    *,
    inverted: bool = False,
    padding: float | None = None,
) -> Array:
    """Show greyscale modality values through a window: any dtype → uint8.

    Integer values go through a table (:func:`make_window_lut`); float values
    through :func:`core.dicom.lut.apply_voi` (NaN shows black). Both give the
    same greys. Colour (RGB, last axis 3) is returned as 8-bit RGB, unwindowed.

    Parameters
    ----------
    values : numpy.ndarray
        Modality values.
    preset : VoiPreset
        The window.
    inverted : bool, optional
        Invert after VOI.
    padding : float, optional
        Modality value shown black.
    """
    values = check_array(values, "values")
    preset = _check_preset(preset)
    lut = make_window_lut(values.dtype, preset, inverted=bool(inverted), padding=padding)
    if lut is not None:
        return apply_window_lut(values, lut)
    shown = apply_voi(values, preset)
    if inverted:
        shown = np.float32(1) - shown
    grey = to_display_uint8(shown)
    if values.dtype.kind == "f":
        grey[np.isnan(values)] = 0
    if padding is not None:
        grey[values == padding] = 0
    return grey


def pack_argb32(image: Array) -> Array:
    """8-bit grey ``(H, W)`` or RGB ``(H, W, 3)`` → opaque ARGB ``uint32`` ``(H, W)``.

    RGB with more than 8 bits (uint16) is scaled down to 8 bits first.
    """
    image = check_array(image, "image")
    if image.ndim == 2:
        grey = image if image.dtype == np.uint8 else np.clip(image, 0, 255).astype(np.uint8)
        packed: Array = grey.astype(np.uint32) * _GREY_TO_ARGB | _OPAQUE
        return packed
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"image must be (H, W) or (H, W, 3), found shape {image.shape}")
    rgb = image
    if rgb.dtype != np.uint8:
        top = 255.0 if rgb.dtype.kind == "f" else float(max(int(rgb.max()), 255))
        if rgb.dtype.kind != "f" and top > 255:
            top = float(2 ** int(top).bit_length() - 1)
        rgb = np.clip(rgb.astype(np.float32) * np.float32(255 / top) + 0.5, 0, 255).astype(np.uint8)
    r = rgb[..., 0].astype(np.uint32)
    g = rgb[..., 1].astype(np.uint32)
    b = rgb[..., 2].astype(np.uint32)
    result: Array = (r << 16) | (g << 8) | b | _OPAQUE
    return result


# --------------------------------------------------------------------------- presets


def modality_presets(modality: str) -> tuple[VoiPreset, ...]:
    """The usual windows for a modality (empty when it has no fixed value scale)."""
    if not isinstance(modality, str):
        raise TypeError(f"modality must be a str, found {type(modality).__name__}")
    return MODALITY_PRESETS.get(modality.strip().upper(), ())


def file_presets(geometry: SeriesGeometry) -> tuple[VoiPreset, ...]:
    """The file's own windows (PS3.3 C.11.2.1.2), from the first frame in display order.

    Pairs repeated with the same center and width are listed once.
    """
    if not isinstance(geometry, SeriesGeometry):
        raise TypeError(f"geometry must be a SeriesGeometry, found {type(geometry).__name__}")
    if not geometry.frames:
        return ()
    seen: set[tuple[float, float]] = set()
    presets: list[VoiPreset] = []
    for window in geometry.frames[0].info.windows:
        key = (float(window.center), float(window.width))
        if key in seen:
            continue
        seen.add(key)
        try:
            presets.append(VoiPreset.from_window(window))
        except ValueError as error:
            logger.debug("a window preset was skipped: %s", error)
    return tuple(presets)


def list_presets(series: SeriesRecord, geometry: SeriesGeometry) -> tuple[VoiPreset, ...]:
    """The file's windows, then the modality's (those not repeating a file window)."""
    _check_series(series)
    own = file_presets(geometry)
    seen = {(p.center, p.width) for p in own}
    names = {p.name.casefold() for p in own}
    extra = tuple(
        p
        for p in modality_presets(series.modality)
        if (p.center, p.width) not in seen and p.name.casefold() not in names
    )
    return own + extra


def compute_auto_window(
    values: Array,
    *,
    exclude_value: float | None = None,
    low_percentile: float = 1.0,
    high_percentile: float = 99.0,
    max_samples: int = 1 << 17,
) -> VoiPreset:
    """A window spanning the bulk of a frame's values (percentiles of its histogram).

    Parameters
    ----------
    values : numpy.ndarray
        Greyscale modality values (a frame, or several).
    exclude_value : float, optional
        A value left out, e.g. the padding value.
    low_percentile, high_percentile : float, optional
        The window spans these percentiles (0 ≤ low < high ≤ 100).
    max_samples : int, optional
        Larger inputs are subsampled evenly (a window needs no exact percentile).

    Returns
    -------
    VoiPreset
        "Auto", from :func:`core.dicom.float_windows.window_for_value_range`.
    """
    values = check_array(values, "values")
    low_percentile = check_number("low_percentile", low_percentile)
    high_percentile = check_number("high_percentile", high_percentile)
    if not 0 <= low_percentile < high_percentile <= 100:
        raise ValueError(
            "percentiles must satisfy 0 <= low < high <= 100, "
            f"found {low_percentile} and {high_percentile}"
        )
    if isinstance(max_samples, bool) or not isinstance(max_samples, int) or max_samples < 1:
        raise ValueError(f"max_samples must be a positive int, found {max_samples!r}")
    if values.size == 0:
        raise ValueError("values is empty; an automatic window needs at least one value")
    flat = values.reshape(-1)
    if flat.size > max_samples:
        flat = flat[:: math.ceil(flat.size / max_samples)]
    if exclude_value is not None:
        kept = flat[flat != exclude_value]
        if kept.size:
            flat = kept
    if flat.dtype.kind == "f":
        finite = flat[np.isfinite(flat)]
        flat = finite if finite.size else np.zeros(1, dtype=np.float32)
    low, high = np.percentile(flat, [low_percentile, high_percentile])
    return window_for_value_range(low, high, continuous=flat.dtype.kind == "f", name="Auto")


def choose_default_window(
    series: SeriesRecord, geometry: SeriesGeometry, frame_values: Array | None
) -> VoiPreset:
    """The window a series opens with.

    The file's first window; else the modality's usual soft-tissue window (CT);
    else :func:`compute_auto_window` of ``frame_values``; else the full range.
    """
    _check_series(series)
    own = file_presets(geometry)
    if own:
        return own[0]
    default = _DEFAULT_MODALITY_PRESET.get(series.modality.strip().upper())
    for preset in modality_presets(series.modality):
        if preset.name == default:
            return preset
    if frame_values is not None:
        frame_values = check_array(frame_values, "frame_values")
        if frame_values.ndim == 2 and frame_values.size:
            return compute_auto_window(frame_values, exclude_value=padding_value_of(series))
    return VoiPreset(name="Default", center=2047.5, width=4096)


def full_range_window(values: Array) -> VoiPreset:
    """min..max of ``values`` as a LINEAR window (LINEAR_EXACT for float values)."""
    preset = full_range_preset(check_array(values, "values"))
    if values.dtype.kind == "f":
        return preset  # the true span: a float map may be narrower than 1 (float_windows)
    width = max(float(preset.width or 1.0), 1.0)
    return VoiPreset(name="Full range", center=float(preset.center or 0.0), width=width)


def is_series_inverted(series: SeriesRecord) -> bool:
    """True when the first image is MONOCHROME1: minimum value shows white (PS3.3 C.7.6.3.1.2)."""
    _check_series(series)
    if not series.instances:
        return False
    return series.instances[0].photometric_interpretation.upper() == "MONOCHROME1"


def padding_value_of(series: SeriesRecord) -> float | None:
    """Pixel Padding Value of the first image as a modality value, or None.

    The stored value goes through the first frame's Rescale Slope/Intercept
    (PS3.3 C.7.5.1.1.2 gives padding in stored values).
    """
    _check_series(series)
    if not series.instances:
        return None
    first = series.instances[0]
    if first.pixel_padding_value is None or not first.frames or first.complex_modality_lut:
        return None
    stored = first.pixel_padding_value
    bits = first.bits_stored
    if first.pixel_representation and stored >= 1 << (bits - 1) and stored < 1 << bits:
        stored -= 1 << bits  # written unsigned for a signed image
    info = first.frames[0]
    return float(stored * info.rescale_slope + info.rescale_intercept)
