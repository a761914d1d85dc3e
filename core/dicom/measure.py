"""Measurements on an image: distance, angle, rectangle and ellipse ROI statistics.

Coordinates are image coordinates in pixels, ``(x, y)`` with x along a row
(increasing column) and y down the columns (increasing row). Pixel ``(row r,
column c)`` covers ``[c, c+1) × [r, r+1)``, so its centre is ``(c + 0.5, r + 0.5)``;
a pixel belongs to an ROI when its centre lies inside the shape (edges included).

Physical sizes use the pixel spacing of the image, ``(row spacing, column
spacing)`` in mm as in Pixel Spacing (0028,0030), PS3.3 10.7.1.3: a step of one
column is ``column spacing`` mm, a step of one row ``row spacing`` mm. Every
result says whether that spacing is *calibrated* (applies in the patient) or
not (measured at the detector, or absent, in which case lengths are in pixels);
see :func:`core.dicom.geometry.resolve_pixel_spacing`.

ROI statistics are computed on the values given: modality values (HU on CT)
straight from :class:`core.dicom.volume.Volume`, never on displayed greys.

Labels ("Mean … SD …", "Area …", "(uncalibrated)") are made in the current language
(:mod:`core.i18n`) each time they are read: the screen, a saved annotation and an
exported presentation state say them in the interface's language.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from core.i18n import _

logger = logging.getLogger(__name__)

Array = npt.NDArray[Any]
Point = tuple[float, float]
Spacing = tuple[float, float]

__all__ = [
    "AngleMeasurement",
    "DistanceMeasurement",
    "Point",
    "RoiStatistics",
    "compute_roi_mask",
    "measure_angle",
    "measure_distance",
    "measure_ellipse",
    "measure_rectangle",
    "note_uncalibrated",
]


def note_uncalibrated(text: str) -> str:
    """``text`` noted as not in patient mm: ``"12.5 px (uncalibrated)"``.

    The one wording of "uncalibrated" for measurement labels and the scale bar.
    """
    # TRANSLATORS: a length or area whose pixel spacing does not apply in the patient.
    return _("{value} (uncalibrated)").format(value=text)


# --------------------------------------------------------------------------- validation


def _check_point(name: str, point: Any) -> Point:
    if not isinstance(point, Sequence | np.ndarray) or isinstance(point, str) or len(point) != 2:
        raise TypeError(f"{name} must be an (x, y) pair, found {point!r}")
    values = []
    for value in point:
        if isinstance(value, bool) or not isinstance(value, int | float | np.number):
            raise TypeError(f"{name} must hold numbers, found {point!r}")
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"{name} must be finite, found {point!r}")
        values.append(number)
    return values[0], values[1]


def _check_spacing(spacing: Any) -> Spacing | None:
    if spacing is None:
        return None
    if not isinstance(spacing, Sequence | np.ndarray) or isinstance(spacing, str):
        raise TypeError(f"pixel_spacing must be a (row, column) pair or None, found {spacing!r}")
    if len(spacing) != 2:
        raise ValueError(f"pixel_spacing must have 2 values (row, column), found {len(spacing)}")
    row, col = (float(v) for v in spacing)
    if not (math.isfinite(row) and math.isfinite(col)) or row <= 0 or col <= 0:
        raise ValueError(f"pixel_spacing values must be finite and > 0, found {spacing!r}")
    return row, col


def _check_values(values: Any) -> Array:
    if not isinstance(values, np.ndarray):
        raise TypeError(f"values must be a numpy array, found {type(values).__name__}")
    if values.dtype.kind not in "biuf":
        raise TypeError(f"values must hold numbers, found dtype {values.dtype}")
    if values.ndim != 2:
        raise ValueError(
            f"values must be one greyscale frame (rows, columns), found {values.shape}"
        )
    return values


def _check_bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be a bool, found {type(value).__name__}")
    return bool(value)


def _check_unit(unit: Any) -> str:
    if not isinstance(unit, str):
        raise TypeError(f"unit must be a str, found {type(unit).__name__}")
    return unit


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class DistanceMeasurement:
    """A distance between two points.

    Attributes
    ----------
    length : float
        In ``unit``.
    unit : str
        ``"mm"`` when a pixel spacing was given, else ``"px"``.
    calibrated : bool
        True only when the spacing applies in the patient.
    length_px : float
        The length in image pixels (columns/rows), whatever the spacing.
    """

    length: float
    unit: str
    calibrated: bool
    length_px: float

    @property
    def label(self) -> str:
        """``"23.4 mm"``; says "uncalibrated" when the length is not in patient mm."""
        text = f"{self.length:.1f} {self.unit}"
        if self.unit == "px":
            return note_uncalibrated(text)
        return text if self.calibrated else note_uncalibrated(text)


@dataclass(frozen=True)
class AngleMeasurement:
    """The angle at ``vertex`` between the arms to two points, in degrees (0..180).

    ``calibrated`` says whether the spacing used to correct non-square pixels
    applies in the patient; with square pixels the angle does not depend on it.
    """

    degrees: float
    calibrated: bool

    @property
    def label(self) -> str:
        return f"{self.degrees:.1f}°"


@dataclass(frozen=True)
class RoiStatistics:
    """Statistics of the pixels whose centre lies inside a region.

    Attributes
    ----------
    mean, std, minimum, maximum : float or None
        Of the values inside (NaN values left out); ``std`` is the sample
        standard deviation (n − 1), 0 for one pixel. None when no pixel is inside.
    pixel_count : int
        Pixels inside.
    area : float
        Area of the drawn shape (not of the pixels counted): mm² with a spacing,
        else px².
    area_unit : str
        ``"mm²"`` or ``"px²"``.
    value_unit : str
        Unit of the values (``"HU"`` on CT; ``""`` when arbitrary).
    calibrated : bool
        True only when the spacing applies in the patient.
    """

    mean: float | None
    std: float | None
    minimum: float | None
    maximum: float | None
    pixel_count: int
    area: float
    area_unit: str
    value_unit: str
    calibrated: bool

    @property
    def label_lines(self) -> tuple[str, ...]:
        """Lines for a label beside the ROI."""
        unit = f" {self.value_unit}" if self.value_unit else ""
        lines = []
        if self.mean is not None and self.std is not None:
            # TRANSLATORS: ROI statistics; SD is the standard deviation.
            mean_line = _("Mean {mean}{unit}  SD {sd}")
            lines.append(mean_line.format(mean=f"{self.mean:.1f}", unit=unit, sd=f"{self.std:.1f}"))
            extremes = _("Min {minimum}  Max {maximum}")
            lines.append(
                extremes.format(minimum=f"{self.minimum:.1f}", maximum=f"{self.maximum:.1f}")
            )
        else:
            lines.append(_("No pixel inside"))
        area = _("Area {area} {unit}").format(area=f"{self.area:.1f}", unit=self.area_unit)
        calibrated = self.calibrated and self.area_unit == "mm²"
        lines.append(area if calibrated else note_uncalibrated(area))
        return tuple(lines)


# --------------------------------------------------------------------------- functions


def measure_distance(
    start: Point,
    end: Point,
    pixel_spacing: Spacing | None = None,
    *,
    calibrated: bool = False,
) -> DistanceMeasurement:
    """The distance between two points, in mm when the pixel spacing is known.

    Parameters
    ----------
    start, end : (float, float)
        Image coordinates ``(x, y)`` in pixels.
    pixel_spacing : (float, float), optional
        (row spacing, column spacing) in mm (PS3.3 10.7.1.3).
    calibrated : bool, optional
        Whether the spacing applies in the patient; ignored without a spacing.
    """
    x0, y0 = _check_point("start", start)
    x1, y1 = _check_point("end", end)
    spacing = _check_spacing(pixel_spacing)
    calibrated = _check_bool("calibrated", calibrated)
    dx, dy = x1 - x0, y1 - y0
    length_px = math.hypot(dx, dy)
    if spacing is None:
        return DistanceMeasurement(length_px, "px", False, length_px)
    row, col = spacing
    return DistanceMeasurement(math.hypot(dx * col, dy * row), "mm", calibrated, length_px)


def measure_angle(
    first: Point,
    vertex: Point,
    second: Point,
    pixel_spacing: Spacing | None = None,
    *,
    calibrated: bool = False,
) -> AngleMeasurement:
    """The angle at ``vertex`` between the arms toward ``first`` and ``second``.

    With non-square pixels the arms are scaled by the spacing first, so the
    angle is the one in the patient plane.

    Raises
    ------
    ValueError
        When an arm has zero length.
    """
    ax, ay = _check_point("first", first)
    vx, vy = _check_point("vertex", vertex)
    bx, by = _check_point("second", second)
    spacing = _check_spacing(pixel_spacing)
    calibrated = _check_bool("calibrated", calibrated)
    row, col = spacing if spacing is not None else (1.0, 1.0)
    u = ((ax - vx) * col, (ay - vy) * row)
    v = ((bx - vx) * col, (by - vy) * row)
    nu, nv = math.hypot(*u), math.hypot(*v)
    if nu == 0 or nv == 0:
        raise ValueError("an arm of the angle has zero length")
    cosine = (u[0] * v[0] + u[1] * v[1]) / (nu * nv)
    sine = abs(u[0] * v[1] - u[1] * v[0]) / (nu * nv)
    degrees = math.degrees(math.atan2(sine, cosine))
    return AngleMeasurement(degrees, calibrated and spacing is not None)


def compute_roi_mask(
    shape: tuple[int, int], kind: str, corner_a: Point, corner_b: Point
) -> tuple[tuple[slice, slice], Array]:
    """The pixels of a frame inside a rectangle or an ellipse drawn from corner to corner.

    Parameters
    ----------
    shape : (int, int)
        (rows, columns) of the frame.
    kind : str
        ``"rectangle"`` or ``"ellipse"`` (the ellipse inscribed in the rectangle).
    corner_a, corner_b : (float, float)
        Opposite corners of the bounding box, image coordinates.

    Returns
    -------
    window : (slice, slice)
        The rows and columns of the frame that the mask covers (the bounding box
        clipped to the frame).
    mask : numpy.ndarray of bool
        True where the pixel centre is inside, shape of ``frame[window]``.
    """
    if kind not in ("rectangle", "ellipse"):
        raise ValueError(f"kind must be 'rectangle' or 'ellipse', found {kind!r}")
    rows, cols = (int(v) for v in shape)
    if rows < 0 or cols < 0:
        raise ValueError(f"shape must be non-negative, found {shape}")
    ax, ay = _check_point("corner_a", corner_a)
    bx, by = _check_point("corner_b", corner_b)
    x0, x1 = sorted((ax, bx))
    y0, y1 = sorted((ay, by))
    # Pixel c is inside when x0 <= c + 0.5 <= x1.
    c0 = max(0, math.ceil(x0 - 0.5))
    c1 = min(cols, math.floor(x1 - 0.5) + 1)
    r0 = max(0, math.ceil(y0 - 0.5))
    r1 = min(rows, math.floor(y1 - 0.5) + 1)
    window = (slice(r0, max(r0, r1)), slice(c0, max(c0, c1)))
    height, width = max(0, r1 - r0), max(0, c1 - c0)
    if kind == "rectangle" or height == 0 or width == 0:
        return window, np.ones((height, width), dtype=bool)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    rx, ry = (x1 - x0) / 2, (y1 - y0) / 2
    if rx <= 0 or ry <= 0:
        return window, np.zeros((height, width), dtype=bool)
    xs = (np.arange(c0, c0 + width, dtype=np.float64) + 0.5 - cx) / rx
    ys = (np.arange(r0, r0 + height, dtype=np.float64) + 0.5 - cy) / ry
    mask: Array = (ys[:, None] ** 2 + xs[None, :] ** 2) <= 1.0 + 1e-12
    return window, mask


def _measure_roi(
    values: Any,
    kind: str,
    corner_a: Point,
    corner_b: Point,
    pixel_spacing: Spacing | None,
    calibrated: bool,
    unit: str,
) -> RoiStatistics:
    values = _check_values(values)
    spacing = _check_spacing(pixel_spacing)
    calibrated = _check_bool("calibrated", calibrated)
    unit = _check_unit(unit)
    ax, ay = _check_point("corner_a", corner_a)
    bx, by = _check_point("corner_b", corner_b)
    window, mask = compute_roi_mask(values.shape, kind, (ax, ay), (bx, by))
    inside = values[window][mask]
    if inside.dtype.kind == "f":
        inside = inside[np.isfinite(inside)]
    width_px, height_px = abs(bx - ax), abs(by - ay)
    area_px = width_px * height_px * (math.pi / 4 if kind == "ellipse" else 1.0)
    if spacing is None:
        area, area_unit = area_px, "px²"
    else:
        area, area_unit = area_px * spacing[0] * spacing[1], "mm²"
    if inside.size == 0:
        return RoiStatistics(
            None, None, None, None, 0, area, area_unit, unit, calibrated and spacing is not None
        )
    work = inside.astype(np.float64)
    std = float(work.std(ddof=1)) if work.size > 1 else 0.0
    return RoiStatistics(
        mean=float(work.mean()),
        std=std,
        minimum=float(work.min()),
        maximum=float(work.max()),
        pixel_count=int(mask.sum()),
        area=area,
        area_unit=area_unit,
        value_unit=unit,
        calibrated=calibrated and spacing is not None,
    )


def measure_rectangle(
    values: Array,
    corner_a: Point,
    corner_b: Point,
    pixel_spacing: Spacing | None = None,
    *,
    calibrated: bool = False,
    unit: str = "",
) -> RoiStatistics:
    """Statistics of a rectangular ROI on one frame of modality values.

    Parameters
    ----------
    values : numpy.ndarray
        One greyscale frame (rows, columns) of modality values (HU on CT).
    corner_a, corner_b : (float, float)
        Opposite corners, image coordinates ``(x, y)``.
    pixel_spacing : (float, float), optional
        (row spacing, column spacing) in mm; the area is in px² without it.
    calibrated : bool, optional
        Whether the spacing applies in the patient.
    unit : str, optional
        Unit of the values, e.g. ``"HU"``.
    """
    return _measure_roi(values, "rectangle", corner_a, corner_b, pixel_spacing, calibrated, unit)


def measure_ellipse(
    values: Array,
    corner_a: Point,
    corner_b: Point,
    pixel_spacing: Spacing | None = None,
    *,
    calibrated: bool = False,
    unit: str = "",
) -> RoiStatistics:
    """Statistics of the ellipse inscribed in the box from ``corner_a`` to ``corner_b``.

    The area is that of the ellipse, π/4 × width × height (scaled by the spacing);
    the statistics take the pixels whose centre is inside it. Parameters as
    :func:`measure_rectangle`.
    """
    return _measure_roi(values, "ellipse", corner_a, corner_b, pixel_spacing, calibrated, unit)
