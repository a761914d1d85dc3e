"""Distances, angles and ROI statistics on synthetic frames with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.dicom.measure import (
    compute_roi_mask,
    measure_angle,
    measure_distance,
    measure_ellipse,
    measure_rectangle,
)

SPACING = (0.5, 0.5)


def _disc(size: int = 100, radius_px: float = 20.0) -> tuple[np.ndarray, np.ndarray]:
    """A disc of 100 HU in a -1000 HU field; returns (frame, disc mask)."""
    yy, xx = np.mgrid[0:size, 0:size]
    centre = size / 2
    inside = (xx + 0.5 - centre) ** 2 + (yy + 0.5 - centre) ** 2 <= radius_px**2
    return np.where(inside, 100, -1000).astype(np.int16), inside


def test_distance_in_mm_with_the_pixel_spacing() -> None:
    result = measure_distance((10, 10), (40, 50), SPACING, calibrated=True)
    assert result.length == pytest.approx(25.0)
    assert result.length_px == pytest.approx(50.0)
    assert (result.unit, result.calibrated, result.label) == ("mm", True, "25.0 mm")


def test_distance_with_non_square_pixels_uses_row_and_column_spacing() -> None:
    # 3 columns at 1.0 mm and 4 rows at 2.0 mm.
    result = measure_distance((0, 0), (3, 4), (2.0, 1.0), calibrated=True)
    assert result.length == pytest.approx(math.hypot(3.0, 8.0))


def test_distance_says_when_it_is_not_calibrated() -> None:
    no_spacing = measure_distance((0, 0), (3, 4))
    assert (no_spacing.length, no_spacing.unit, no_spacing.calibrated) == (5.0, "px", False)
    assert no_spacing.label == "5.0 px (uncalibrated)"
    detector = measure_distance((0, 0), (3, 4), (0.2, 0.2), calibrated=False)
    assert detector.label == "1.0 mm (uncalibrated)"


def test_angles_in_degrees() -> None:
    assert measure_angle((10, 0), (0, 0), (0, 10)).degrees == pytest.approx(90.0)
    assert measure_angle((10, 0), (0, 0), (10, 10)).degrees == pytest.approx(45.0)
    assert measure_angle((10, 0), (0, 0), (-10, 0)).degrees == pytest.approx(180.0)
    assert measure_angle((1, 1), (0, 0), (2, 2)).degrees == pytest.approx(0.0)
    assert measure_angle((10, 0), (0, 0), (0, 10)).label == "90.0°"


def test_angle_with_non_square_pixels_is_the_angle_in_the_patient() -> None:
    # 45° in pixels; rows twice as far apart as columns -> atan(2) in mm.
    result = measure_angle((10, 0), (0, 0), (10, 10), (2.0, 1.0), calibrated=True)
    assert result.degrees == pytest.approx(math.degrees(math.atan(2.0)))
    assert result.calibrated


def test_angle_with_a_zero_length_arm_is_refused() -> None:
    with pytest.raises(ValueError, match="zero length"):
        measure_angle((0, 0), (0, 0), (1, 1))


def test_ellipse_on_a_disc_gives_its_hu_and_area() -> None:
    frame, disc = _disc(100, 20.0)  # radius 20 px = 10 mm at 0.5 mm spacing
    stats = measure_ellipse(frame, (30, 30), (70, 70), SPACING, calibrated=True, unit="HU")
    assert stats.mean == pytest.approx(100.0)
    assert stats.std == pytest.approx(0.0)
    assert (stats.minimum, stats.maximum) == (100.0, 100.0)
    assert stats.pixel_count == int(disc.sum())
    assert stats.area == pytest.approx(math.pi * 10.0**2)
    assert stats.area_unit == "mm²" and stats.calibrated
    assert stats.label_lines == (
        "Mean 100.0 HU  SD 0.0",
        "Min 100.0  Max 100.0",
        "Area 314.2 mm²",
    )


def test_rectangle_over_disc_and_field_mixes_both() -> None:
    frame, _ = _disc(100, 20.0)
    stats = measure_rectangle(frame, (20, 20), (80, 80), SPACING, calibrated=True, unit="HU")
    inside = frame[20:80, 20:80].astype(float)
    assert stats.pixel_count == 3600
    assert stats.mean == pytest.approx(inside.mean())
    assert stats.std == pytest.approx(inside.std(ddof=1))
    assert (stats.minimum, stats.maximum) == (-1000.0, 100.0)
    assert stats.area == pytest.approx(30.0 * 30.0)
    small = measure_rectangle(frame, (45, 45), (55, 55), SPACING, calibrated=True, unit="HU")
    assert small.mean == pytest.approx(100.0) and small.pixel_count == 100


def test_roi_statistics_on_noise_equal_numpy() -> None:
    rng = np.random.default_rng(5)
    frame = rng.normal(40, 12, (64, 64)).astype(np.float32)
    stats = measure_ellipse(frame, (5.2, 7.9), (50.3, 40.1))
    window, mask = compute_roi_mask(frame.shape, "ellipse", (5.2, 7.9), (50.3, 40.1))
    inside = frame[window][mask].astype(np.float64)
    assert stats.mean == pytest.approx(inside.mean())
    assert stats.std == pytest.approx(inside.std(ddof=1))
    assert stats.area == pytest.approx(math.pi / 4 * 45.1 * 32.2)
    assert stats.area_unit == "px²" and not stats.calibrated
    assert stats.label_lines[-1].endswith("(uncalibrated)")


def test_a_pixel_is_inside_when_its_centre_is() -> None:
    window, mask = compute_roi_mask((10, 10), "rectangle", (0.5, 0.5), (1.5, 1.5))
    assert window == (slice(0, 2), slice(0, 2)) and mask.all()
    window, mask = compute_roi_mask((10, 10), "rectangle", (0.6, 0.6), (1.4, 1.4))
    assert mask.size == 0  # no centre inside
    window, mask = compute_roi_mask((10, 10), "rectangle", (8, 8), (30, -5))  # clipped
    assert window == (slice(0, 8), slice(8, 10))
    # Corners in any order describe the same box.
    a = compute_roi_mask((20, 20), "ellipse", (2, 3), (15, 18))
    b = compute_roi_mask((20, 20), "ellipse", (15, 18), (2, 3))
    assert a[0] == b[0] and np.array_equal(a[1], b[1])


def test_roi_outside_the_frame_has_no_statistics() -> None:
    frame = np.zeros((10, 10), np.int16)
    stats = measure_rectangle(frame, (20, 20), (30, 30), SPACING, calibrated=True)
    assert stats.pixel_count == 0 and stats.mean is None
    assert stats.area == pytest.approx(25.0)
    assert stats.label_lines[0] == "No pixel inside"


def test_nan_values_are_left_out() -> None:
    frame = np.array([[1.0, np.nan], [3.0, 5.0]], dtype=np.float32)
    stats = measure_rectangle(frame, (0, 0), (2, 2))
    assert stats.mean == pytest.approx(3.0)
    assert (stats.minimum, stats.maximum) == (1.0, 5.0)


def test_inputs_are_validated() -> None:
    frame = np.zeros((4, 4), np.int16)
    with pytest.raises(TypeError, match=r"\(x, y\)"):
        measure_distance((0,), (1, 1))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="finite"):
        measure_distance((0, math.nan), (1, 1))
    with pytest.raises(ValueError, match="> 0"):
        measure_distance((0, 0), (1, 1), (0.0, 1.0))
    with pytest.raises(TypeError, match="bool"):
        measure_distance((0, 0), (1, 1), SPACING, calibrated="yes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="greyscale frame"):
        measure_rectangle(np.zeros((2, 4, 4)), (0, 0), (1, 1))
    with pytest.raises(TypeError, match="numpy array"):
        measure_ellipse([[1]], (0, 0), (1, 1))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="unit"):
        measure_rectangle(frame, (0, 0), (1, 1), unit=None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="kind"):
        compute_roi_mask((4, 4), "polygon", (0, 0), (1, 1))
