"""What a viewer needs to turn a loaded volume into a picture, without Qt.

* Window/level: :func:`make_window_lut` builds, once per window, a lookup table
  from every integer modality value to an 8-bit grey (or a packed 32-bit grey for
  a display surface); :func:`apply_window_lut` is then one gather per frame, a
  few tenths of a millisecond for 512×512. :func:`apply_window` does the same for
  any dtype (float volumes take the arithmetic path of
  :func:`core.dicom.pixels.apply_voi`, so both agree with PS3.3 C.11.2).
* Presets: the file's own windows (Window Center/Width with its explanation,
  PS3.3 C.11.2.1.2), the modality's usual ones (:data:`MODALITY_PRESETS`: lung,
  mediastinum, bone, brain, abdomen... for CT), an automatic window from the
  frame's histogram (:func:`compute_auto_window`) and the default one
  (:func:`choose_default_window`).
* Presentation: MONOCHROME1 shows inverted (PS3.3 C.7.6.3.1.2); Pixel Padding
  Value shows black (C.7.5.1.1.2).
* Overlays: the header fields a reading workstation shows
  (:func:`read_display_header`), the four corner texts (:func:`compose_overlay`),
  orientation markers from Image Orientation (Patient) or Patient Orientation
  following rotation and flips (:func:`compute_orientation_labels`, PS3.3
  C.7.6.1.1.1 and C.7.6.2.1.1), and a scale bar (:func:`choose_scale_bar`).

Patient data read here (name, ID) is for display only; it is never logged or
put into an error message (house rule 8).
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from core.dicom.float_windows import window_for_value_range
from core.dicom.person_name import format_person_name_of
from core.dicom.pixels import (
    VoiFunction,
    VoiPreset,
    apply_voi,
    full_range_preset,
    to_display_uint8,
)
from core.dicom.records import SeriesGeometry, SeriesRecord

logger = logging.getLogger(__name__)

Array = npt.NDArray[Any]

__all__ = [
    "MODALITY_PRESETS",
    "DisplayHeader",
    "OrientationLabels",
    "OverlayText",
    "ScaleBar",
    "WindowLut",
    "apply_window",
    "apply_window_lut",
    "choose_default_window",
    "choose_scale_bar",
    "compose_overlay",
    "compute_auto_window",
    "compute_orientation_labels",
    "describe_direction",
    "file_presets",
    "format_window",
    "full_range_window",
    "is_series_inverted",
    "list_presets",
    "make_window_lut",
    "modality_presets",
    "modality_unit",
    "pack_argb32",
    "padding_value_of",
    "read_display_header",
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


def _check_values(values: Any, name: str = "values") -> Array:
    if not isinstance(values, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, found {type(values).__name__}")
    if values.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold numbers, found dtype {values.dtype}")
    return values


def _check_series(series: Any) -> SeriesRecord:
    if not isinstance(series, SeriesRecord):
        raise TypeError(f"series must be a SeriesRecord, found {type(series).__name__}")
    return series


def _check_number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise TypeError(f"{name} must be a number, found {type(value).__name__}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite, found {value!r}")
    return number


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
        padding = _check_number("padding", padding)
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
    values = _check_values(values)
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
    through :func:`core.dicom.pixels.apply_voi` (NaN shows black). Both give the
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
    values = _check_values(values)
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
    image = _check_values(image, "image")
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
    values = _check_values(values)
    low_percentile = _check_number("low_percentile", low_percentile)
    high_percentile = _check_number("high_percentile", high_percentile)
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
        frame_values = _check_values(frame_values, "frame_values")
        if frame_values.ndim == 2 and frame_values.size:
            return compute_auto_window(frame_values, exclude_value=padding_value_of(series))
    return VoiPreset(name="Default", center=2047.5, width=4096)


def full_range_window(values: Array) -> VoiPreset:
    """min..max of ``values`` as a LINEAR window (LINEAR_EXACT for float values)."""
    preset = full_range_preset(_check_values(values))
    if values.dtype.kind == "f":
        return preset  # the true span: a float map may be narrower than 1 (float_windows)
    width = max(float(preset.width or 1.0), 1.0)
    return VoiPreset(name="Full range", center=float(preset.center or 0.0), width=width)


def format_window(center: float, width: float) -> str:
    """``"W 400 L 40"`` as a workstation shows it; 3 significant digits below 1 (float maps)."""
    if width < 1:
        return f"W {width:.3g} L {center:.3g}"
    if width < 10:
        return f"W {width:.2f} L {center:.2f}"
    return f"W {width:.0f} L {center:.0f}"


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


# --------------------------------------------------------------------------- header


@dataclass(frozen=True)
class DisplayHeader:
    """The header fields a workstation shows, read once per series.

    Patient fields are kept out of ``repr`` (house rule 8).
    """

    patient_name: str = field(default="", repr=False)
    patient_id: str = field(default="", repr=False)
    patient_sex: str = field(default="", repr=False)
    patient_birth_date: str = field(default="", repr=False)
    study_date: str = ""
    study_time: str = ""
    study_description: str = ""
    series_description: str = ""
    series_number: int | None = None
    modality: str = ""
    institution: str = ""
    frame_of_reference_uid: str = ""
    #: Frame Time (0018,1063), milliseconds between frames of a cine.
    frame_time_ms: float | None = None
    #: Cine Rate (0018,0040), frames per second.
    cine_rate: float | None = None
    #: Recommended Display Frame Rate (0008,2144), frames per second.
    recommended_fps: float | None = None
    #: Rescale Type (0028,1054) or, for PET, Units (0054,1001).
    value_unit: str = ""
    #: Patient Orientation (0020,0020): directions of the rows and columns (e.g. "A", "FL").
    patient_orientation: tuple[str, str] | None = None

    @property
    def cine_fps(self) -> float | None:
        """Playback rate from Frame Time, else Cine Rate, else Recommended Display Frame Rate."""
        if self.frame_time_ms is not None and self.frame_time_ms > 0:
            return 1000.0 / self.frame_time_ms
        for rate in (self.cine_rate, self.recommended_fps):
            if rate is not None and rate > 0:
                return rate
        return None


_HEADER_TAGS: Final = (
    "PatientName",
    "PatientID",
    "PatientSex",
    "PatientBirthDate",
    "StudyDate",
    "StudyTime",
    "StudyDescription",
    "SeriesDescription",
    "SeriesNumber",
    "Modality",
    "InstitutionName",
    "FrameOfReferenceUID",
    "FrameTime",
    "CineRate",
    "RecommendedDisplayFrameRate",
    "RescaleType",
    "Units",
    "PatientOrientation",
    "SharedFunctionalGroupsSequence",
)


def _text_of(ds: Any, keyword: str) -> str:
    try:
        value = ds.get(keyword)
    except Exception:
        return ""
    if value is None:
        return ""
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        value = "\\".join(str(v) for v in value)
    return str(value).strip()


def _float_of(ds: Any, keyword: str) -> float | None:
    text = _text_of(ds, keyword).split("\\")[0]
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def read_display_header(series: SeriesRecord) -> DisplayHeader:
    """Read the display fields from the header of the series' first image.

    Only the named attributes are parsed (no pixel data), which takes about a
    millisecond for a file on disk. Frame of Reference UID of an enhanced
    multi-frame object is also looked for where it always is: the top level.

    Returns
    -------
    DisplayHeader
        Empty fields for what the file lacks; a header that cannot be read at all
        gives a DisplayHeader with only what the index already knew.
    """
    from core.dicom.limits import read_dataset_bounded

    _check_series(series)
    fallback = DisplayHeader(
        series_description=series.description,
        series_number=series.series_number,
        modality=series.modality,
    )
    if not series.instances:
        return fallback
    ref = series.instances[0].ref
    pydicom_logger = logging.getLogger("pydicom")
    was_disabled = pydicom_logger.disabled
    pydicom_logger.disabled = True  # pydicom's messages can quote element values
    try:
        with warnings.catch_warnings(), ref.open() as stream:
            warnings.simplefilter("ignore")
            ds = read_dataset_bounded(stream, stop_before_pixels=True, tags=list(_HEADER_TAGS))
    except Exception as error:
        logger.warning(
            "%s: display header could not be read (%s)", ref.display_name, type(error).__name__
        )
        return fallback
    finally:
        pydicom_logger.disabled = was_disabled
    number = _float_of(ds, "SeriesNumber")
    orientation_text = _text_of(ds, "PatientOrientation")
    orientation_parts = [p.strip().upper() for p in orientation_text.split("\\")]
    patient_orientation = (
        (orientation_parts[0], orientation_parts[1])
        if len(orientation_parts) == 2 and all(orientation_parts)
        else None
    )
    modality = _text_of(ds, "Modality") or series.modality
    unit = _text_of(ds, "RescaleType")
    if not unit and modality.upper() == "PT":
        unit = _text_of(ds, "Units")
    if not unit:
        shared = ds.get("SharedFunctionalGroupsSequence")
        try:
            transform = shared[0].PixelValueTransformationSequence[0] if shared else None
            unit = _text_of(transform, "RescaleType") if transform is not None else ""
        except (AttributeError, IndexError, TypeError):
            unit = ""
    return DisplayHeader(
        patient_name=format_person_name_of(ds),
        patient_id=_text_of(ds, "PatientID"),
        patient_sex=_text_of(ds, "PatientSex"),
        patient_birth_date=_text_of(ds, "PatientBirthDate"),
        study_date=_text_of(ds, "StudyDate"),
        study_time=_text_of(ds, "StudyTime"),
        study_description=_text_of(ds, "StudyDescription"),
        series_description=_text_of(ds, "SeriesDescription") or series.description,
        series_number=int(number) if number is not None else series.series_number,
        modality=modality,
        institution=_text_of(ds, "InstitutionName"),
        frame_of_reference_uid=_text_of(ds, "FrameOfReferenceUID"),
        frame_time_ms=_float_of(ds, "FrameTime"),
        cine_rate=_float_of(ds, "CineRate"),
        recommended_fps=_float_of(ds, "RecommendedDisplayFrameRate"),
        value_unit=unit,
        patient_orientation=patient_orientation,
    )


def modality_unit(modality: str, header: DisplayHeader | None = None) -> str:
    """The unit of modality values: the header's Rescale Type/Units, else HU for CT, else ""."""
    if header is not None and header.value_unit and header.value_unit.upper() != "US":
        unit = header.value_unit
        return "HU" if unit.upper() == "HU" else unit
    return "HU" if modality.strip().upper() == "CT" else ""


# --------------------------------------------------------------------------- overlays


@dataclass(frozen=True)
class OverlayText:
    """The four corner texts, one string per line (top lines first)."""

    top_left: tuple[str, ...] = ()
    top_right: tuple[str, ...] = ()
    bottom_left: tuple[str, ...] = ()
    bottom_right: tuple[str, ...] = ()

    @property
    def all_lines(self) -> tuple[str, ...]:
        return self.top_left + self.top_right + self.bottom_left + self.bottom_right


def _format_date(value: str) -> str:
    """DA ``YYYYMMDD`` → ``YYYY-MM-DD``; anything else unchanged."""
    text = value.strip()
    if len(text) == 8 and text.isdigit():
        return f"{text[:4]}-{text[4:6]}-{text[6:]}"
    return text


def _format_mm(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") + " mm"


def compose_overlay(
    header: DisplayHeader,
    geometry: SeriesGeometry,
    frame_index: int,
    window: tuple[float, float],
    zoom: float,
    *,
    frame_state: str = "loaded",
    cine_fps: float | None = None,
    inverted: bool = False,
    image_number: int | None = None,
) -> OverlayText:
    """The corner texts of a viewport.

    Top left: patient name, patient ID (and sex). Top right: study date and
    description, series number and description, modality. Bottom left: image
    number, slice position (mm along the slice normal), slice thickness, the
    frame's state when it is not shown, the first geometry problem. Bottom right:
    window, zoom, cine rate while playing.

    Parameters
    ----------
    header : DisplayHeader
    geometry : SeriesGeometry
    frame_index : int
        The frame shown (display order, from 0).
    window : (float, float)
        Window center and width.
    zoom : float
        Screen pixels per image pixel.
    frame_state : str, optional
        ``"loaded"``, ``"loading"`` or ``"failed"``.
    cine_fps : float, optional
        The playback rate, while a cine plays.
    inverted : bool, optional
        Whether the greys are shown inverted (noted beside the window).
    image_number : int, optional
        The "Im" number: the image's place in reading order, from 1
        (:mod:`core.dicom.reading_order`); default ``frame_index + 1``.
    """
    if not isinstance(header, DisplayHeader):
        raise TypeError(f"header must be a DisplayHeader, found {type(header).__name__}")
    if not isinstance(geometry, SeriesGeometry):
        raise TypeError(f"geometry must be a SeriesGeometry, found {type(geometry).__name__}")
    count = len(geometry.frames)
    if isinstance(frame_index, bool) or not isinstance(frame_index, int | np.integer):
        raise TypeError(f"frame_index must be an int, found {type(frame_index).__name__}")
    if not 0 <= frame_index < max(count, 1):
        raise ValueError(f"frame_index must be 0..{count - 1}, found {frame_index}")
    if frame_state not in ("loaded", "loading", "failed"):
        raise ValueError(f"frame_state must be loaded, loading or failed, found {frame_state!r}")
    center, width = (_check_number("window center", window[0]), _check_number("width", window[1]))
    zoom = _check_number("zoom", zoom)

    top_left = [line for line in (header.patient_name, header.patient_id) if line]
    if header.patient_sex and top_left:
        top_left[-1] = f"{top_left[-1]}  {header.patient_sex}"

    top_right = []
    study = " ".join(x for x in (_format_date(header.study_date), header.study_description) if x)
    if study:
        top_right.append(study)
    series_label = header.series_description
    if header.series_number is not None:
        series_label = f"Se {header.series_number}" + (f": {series_label}" if series_label else "")
    if series_label:
        top_right.append(series_label)
    if header.modality:
        top_right.append(header.modality)

    number = frame_index + 1 if image_number is None else int(image_number)
    bottom_left = [f"Im {number}/{count}"]
    if count:
        ref = geometry.frames[frame_index]
        positions = geometry.slice_positions
        if positions is not None and len(positions) == count:
            bottom_left.append(f"Pos {_format_mm(positions[frame_index])}")
        thickness = ref.info.slice_thickness
        if thickness is not None and thickness > 0:
            bottom_left.append(f"Th {_format_mm(thickness)}")
    if frame_state == "loading":
        bottom_left.append("Loading…")
    elif frame_state == "failed":
        bottom_left.append("Image could not be read")
    if geometry.problems:
        bottom_left.append(f"⚠ {geometry.problems[0].kind}")

    bottom_right = [format_window(center, width) + ("  inverted" if inverted else "")]
    bottom_right.append(f"Zoom {zoom * 100:.0f}%")
    if cine_fps is not None:
        bottom_right.append(f"Cine {cine_fps:.0f} fps")
    return OverlayText(
        top_left=tuple(top_left),
        top_right=tuple(top_right),
        bottom_left=tuple(bottom_left),
        bottom_right=tuple(bottom_right),
    )


@dataclass(frozen=True)
class OrientationLabels:
    """Patient directions at the four edges of the view ("" when unknown)."""

    left: str = ""
    right: str = ""
    top: str = ""
    bottom: str = ""


#: Patient axes (PS3.3 C.7.6.2.1.1): +x toward the patient's left, +y posterior, +z head.
_AXIS_LETTERS: Final = (("R", "L"), ("A", "P"), ("F", "H"))
_OPPOSITE: Final = {"R": "L", "L": "R", "A": "P", "P": "A", "F": "H", "H": "F"}


def describe_direction(vector: Sequence[float], *, threshold: float = 0.25) -> str:
    """Letters for a direction in the patient (e.g. ``"L"``, ``"LP"``, ``"HAR"``).

    Each axis whose cosine is above ``threshold`` in magnitude contributes its
    letter, largest first (the convention of PS3.3 C.7.6.1.1.1 for Patient
    Orientation).
    """
    if len(vector) != 3:
        raise ValueError(f"a direction needs 3 components, found {len(vector)}")
    components = [_check_number("direction component", v) for v in vector]
    order = sorted(range(3), key=lambda i: -abs(components[i]))
    return "".join(
        _AXIS_LETTERS[i][1 if components[i] > 0 else 0]
        for i in order
        if abs(components[i]) > threshold
    )


def _opposite_letters(text: str) -> str:
    return "".join(_OPPOSITE.get(ch, ch) for ch in text)


def compute_orientation_labels(
    orientation: Sequence[float] | None,
    screen_matrix: tuple[float, float, float, float] = (1.0, 0.0, 0.0, 1.0),
    *,
    patient_orientation: tuple[str, str] | None = None,
) -> OrientationLabels:
    """Orientation markers for the edges of the view.

    Parameters
    ----------
    orientation : sequence of 6 floats or None
        Image Orientation (Patient): direction of increasing column index (the
        row direction) then of increasing row index (PS3.3 C.7.6.2.1.1).
    screen_matrix : (a, b, c, d)
        How the view maps an image step to a screen step: screen ``(x', y') =
        (a x + b y, c x + d y)`` (rotation and flips; y points down).
    patient_orientation : (str, str), optional
        Patient Orientation (0020,0020) for images without Image Orientation
        (projection radiographs): the row and column directions as letters.

    Returns
    -------
    OrientationLabels
        Empty labels when neither attribute is known.
    """
    a, b, c, d = (_check_number("screen_matrix", v) for v in screen_matrix)
    det = a * d - b * c
    if abs(det) < 1e-9:
        raise ValueError("screen_matrix is singular; it must be a rotation and/or flip")
    # Image step that appears as one step right (and one step down) on the screen.
    right = (d / det, -c / det)
    down = (-b / det, a / det)
    if orientation is not None:
        if len(orientation) != 6:
            raise ValueError(f"orientation needs 6 direction cosines, found {len(orientation)}")
        row = [_check_number("orientation", v) for v in orientation[:3]]
        col = [_check_number("orientation", v) for v in orientation[3:]]

        def patient(step: tuple[float, float]) -> list[float]:
            return [step[0] * row[i] + step[1] * col[i] for i in range(3)]

        right_label = describe_direction(patient(right))
        down_label = describe_direction(patient(down))
        return OrientationLabels(
            left=_opposite_letters(right_label),
            right=right_label,
            top=_opposite_letters(down_label),
            bottom=down_label,
        )
    if patient_orientation is not None:
        row_label, col_label = (str(x).strip().upper() for x in patient_orientation)

        def letters(step: tuple[float, float]) -> str:
            # Only rotations by 90° and flips keep a step along one image axis.
            x, y = round(step[0]), round(step[1])
            if abs(x) == 1 and y == 0:
                return row_label if x > 0 else _opposite_letters(row_label)
            if abs(y) == 1 and x == 0:
                return col_label if y > 0 else _opposite_letters(col_label)
            return ""

        right_label, down_label = letters(right), letters(down)
        return OrientationLabels(
            left=_opposite_letters(right_label),
            right=right_label,
            top=_opposite_letters(down_label),
            bottom=down_label,
        )
    return OrientationLabels()


@dataclass(frozen=True)
class ScaleBar:
    """A scale bar: its length in mm and on the screen, and its label."""

    length_mm: float
    length_px: float
    label: str


def choose_scale_bar(
    mm_per_screen_pixel: float, max_length_px: float, *, calibrated: bool = True
) -> ScaleBar | None:
    """The longest round length (1, 2 or 5 × 10^k mm) that fits in ``max_length_px``.

    Parameters
    ----------
    mm_per_screen_pixel : float
        Millimetres one screen pixel spans (pixel spacing / zoom).
    max_length_px : float
        Longest bar allowed, in screen pixels.
    calibrated : bool, optional
        False adds "(uncalibrated)" to the label: the spacing is at the detector.

    Returns
    -------
    ScaleBar or None
        None when not even 0.1 mm fits.
    """
    mm_per_px = _check_number("mm_per_screen_pixel", mm_per_screen_pixel)
    max_px = _check_number("max_length_px", max_length_px)
    if mm_per_px <= 0:
        raise ValueError(f"mm_per_screen_pixel must be > 0, found {mm_per_px}")
    if max_px <= 0:
        return None
    longest = max_px * mm_per_px
    exponent = math.floor(math.log10(longest))
    best = None
    for e in (exponent, exponent - 1):
        for mantissa in (5, 2, 1):
            length = mantissa * 10.0**e
            if length <= longest + 1e-9:
                best = length
                break
        if best is not None:
            break
    if best is None or best < 0.1 - 1e-12:
        return None
    label = f"{best / 10:g} cm" if best >= 10 else f"{best:g} mm"
    if not calibrated:
        label += " (uncalibrated)"
    return ScaleBar(length_mm=best, length_px=best / mm_per_px, label=label)
