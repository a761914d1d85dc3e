"""The MPR layout as a reader uses it: what each pane shows, the crosshair, slabs, measurements.

The volume is built in memory (tests/desktop/viewer_helpers.make_volume): 40 axial
slices 2 mm apart of 64 × 64 pixels of 1 mm, so pixel (row r, column c) of slice k is at
patient (x, y, z) = (c, r, 2k) mm, and coronal and sagittal planes have pixels of 2 mm
(rows) by 1 mm (columns). A sphere of radius 8 mm sits at (24, 30, 40); a small bright
cube sits 4 mm behind the coronal plane through the sphere's centre, above the sphere.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from core.dicom.measure import DistanceMeasurement
from core.viewing.mpr import image_points_to_patient
from desktop.viewer.mpr_layout import MprView
from desktop.viewer.mpr_viewport import PLANE_COLOURS, MprViewport
from tests.desktop.viewer_helpers import make_header, make_volume

CENTRE = (24.0, 30.0, 40.0)
RADIUS = 8.0
DOT = (40.0, 34.0, 52.0)  # 4 mm behind the coronal plane y = 30, in no plane through CENTRE
SPHERE_HU, DOT_HU, AIR_HU = 500, 1500, -1000


def _phantom() -> np.ndarray:
    k, r, c = np.mgrid[0:40, 0:64, 0:64]
    x, y, z = c * 1.0, r * 1.0, k * 2.0
    array = np.full((40, 64, 64), AIR_HU, np.int16)
    inside = (x - CENTRE[0]) ** 2 + (y - CENTRE[1]) ** 2 + (z - CENTRE[2]) ** 2 <= RADIUS**2
    array[inside] = SPHERE_HU
    dot = (abs(x - DOT[0]) <= 1) & (abs(y - DOT[1]) <= 1) & (abs(z - DOT[2]) <= 1)
    array[dot] = DOT_HU
    return array


@pytest.fixture
def view(qtbot: QtBot) -> Iterator[MprView]:
    widget = MprView()
    qtbot.addWidget(widget)
    widget.resize(1200, 480)
    widget.show()
    qtbot.waitExposed(widget)
    volume = make_volume(_phantom(), pixel_spacing=(1.0, 1.0), slice_spacing=2.0)
    assert widget.set_volume(volume, make_header())
    widget.centre_on(CENTRE)
    yield widget


def _rgb(pane: MprViewport) -> np.ndarray:
    image = pane.grab_view().convertToFormat(QImage.Format.Format_RGB32)
    data = np.frombuffer(image.constBits(), np.uint8, count=image.sizeInBytes())
    bgra = data.reshape(image.height(), image.bytesPerLine() // 4, 4)[:, : image.width()]
    return bgra[..., 2::-1].astype(int)


def _bright(pane: MprViewport) -> np.ndarray:
    """Mask of the white sphere (pure white greys, away from the corner texts)."""
    rgb = _rgb(pane)
    white = (rgb.min(axis=-1) >= 250) & (np.ptp(rgb, axis=-1) <= 4)
    h, w = white.shape
    frame = np.zeros_like(white)
    frame[h // 8 : 7 * h // 8, w // 8 : 7 * w // 8] = True
    return white & frame


def _widget_of(pane: MprViewport, point: tuple[float, float, float]) -> QPointF:
    """Where a patient point lies on a pane (projected on its plane)."""
    image = pane.plane_image()
    assert image is not None
    row, col = image.patient_to_pixel(point)
    return pane.image_to_widget(col + 0.5, row + 0.5)


def _line(pane: MprViewport, plane: str) -> tuple[QPointF, QPointF]:
    for other, a, b in pane.reference_lines():
        if other == plane:
            return a, b
    raise AssertionError(f"no {plane} line on the {pane.plane} pane")


def test_each_pane_shows_its_plane_with_the_sphere_at_the_crosshair(view: MprView) -> None:
    for name in ("axial", "coronal", "sagittal"):
        pane = view.panes[name]
        mask = _bright(pane)
        ys, xs = np.nonzero(mask)
        assert len(xs) > 100, f"no sphere on the {name} pane"
        centre = _widget_of(pane, CENTRE)
        assert abs(xs.mean() - centre.x()) < 3 and abs(ys.mean() - centre.y()) < 3
        # A circle, not an ellipse: 2 mm rows are drawn twice as tall as 1 mm columns.
        width_mm = (xs.max() - xs.min() + 1) / pane.zoom
        height_mm = (ys.max() - ys.min() + 1) / pane.zoom  # zoom is along a row (1 mm)
        assert abs(width_mm - 2 * RADIUS) <= 2.5 and abs(height_mm - 2 * RADIUS) <= 2.5
        # The other planes' lines cross at the sphere's centre.
        others = [p for p in ("axial", "coronal", "sagittal") if p != pane.plane]
        (a1, b1), (a2, _) = (_line(pane, p) for p in others)
        vertical, horizontal = (a1, a2) if abs(a1.x() - b1.x()) < 1 else (a2, a1)
        assert abs(vertical.x() - centre.x()) < 2 and abs(horizontal.y() - centre.y()) < 2


def test_lines_are_drawn_in_each_planes_colour(view: MprView) -> None:
    pane = view.panes["axial"]
    rgb = _rgb(pane)
    a, _ = _line(pane, "sagittal")
    column = rgb[pane.height() // 8 : pane.height() // 4, round(a.x()) - 1 : round(a.x()) + 2]
    orange = PLANE_COLOURS["sagittal"]
    near = np.abs(column - [orange.red(), orange.green(), orange.blue()]).sum(axis=-1) < 90
    assert near.any(), "the sagittal line is not orange on the axial pane"


def test_orientation_markers_read_right_for_each_plane(view: MprView) -> None:
    expected = {"axial": "RLAP", "coronal": "RLHF", "sagittal": "APHF"}
    for name, letters in expected.items():
        labels = view.panes[name].orientation_labels()
        assert labels.left + labels.right + labels.top + labels.bottom == letters
        image = view.panes[name].plane_image()
        assert image is not None and labels == image.labels


def test_overlay_states_plane_and_position_in_mm(view: MprView) -> None:
    lines = view.panes["coronal"].overlay_text().bottom_left
    assert lines[0] == "Coronal" and "Pos 30.0 mm" in lines
    assert "Pos 40.0 mm" in view.panes["axial"].overlay_text().bottom_left
    assert "Pos 24.0 mm" in view.panes["sagittal"].overlay_text().bottom_left


def test_shift_click_centres_every_plane_on_the_point(view: MprView, qtbot: QtBot) -> None:
    coronal = view.panes["coronal"]
    target = (12.0, 30.0, 60.0)  # right of the sphere, higher up
    pos = _widget_of(coronal, target).toPoint()
    qtbot.mouseClick(coronal, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier, pos)
    assert view.panes["axial"].position == pytest.approx(60.0, abs=1.0)
    assert view.panes["sagittal"].position == pytest.approx(12.0, abs=1.0)
    assert view.panes["coronal"].position == pytest.approx(30.0)
    assert view.point == pytest.approx((12.0, 30.0, 60.0), abs=1.0)
    assert "Pos 60.0 mm" in view.panes["axial"].overlay_text().bottom_left


def test_dragging_a_reference_line_moves_that_plane(view: MprView, qtbot: QtBot) -> None:
    axial = view.panes["axial"]
    a, b = _line(axial, "sagittal")  # vertical, at x = 24 mm
    start = QPoint(round(a.x()), round((a.y() + b.y()) / 2))
    end = start + QPoint(round(10 * axial.zoom), 0)  # 10 mm toward the patient's left
    qtbot.mousePress(axial, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    qtbot.mouseMove(axial, end)
    qtbot.mouseRelease(axial, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)
    assert view.panes["sagittal"].position == pytest.approx(34.0, abs=1.0)
    assert view.panes["coronal"].position == pytest.approx(30.0)  # the other plane stays
    a2, _ = _line(axial, "sagittal")
    assert a2.x() - a.x() == pytest.approx(10 * axial.zoom, abs=axial.zoom)


def test_scrolling_a_pane_moves_its_line_in_the_others(view: MprView, qtbot: QtBot) -> None:
    coronal, axial = view.panes["coronal"], view.panes["axial"]
    before, _ = _line(coronal, "axial")
    axial.setFocus()
    for _ in range(3):
        qtbot.keyClick(axial, Qt.Key.Key_Down)  # toward the feet: z 40 -> 34
    assert axial.position == pytest.approx(34.0)
    after, _ = _line(coronal, "axial")
    # 6 mm lower on the coronal pane: rows are 2 mm, drawn zoom * 2 screen pixels tall.
    assert after.y() - before.y() == pytest.approx(6 * coronal.zoom, abs=1.0)
    assert view.point is not None and view.point[2] == pytest.approx(34.0)


def test_a_mip_slab_shows_what_lies_off_the_plane(view: MprView, qtbot: QtBot) -> None:
    coronal = view.panes["coronal"]
    dot = _widget_of(coronal, DOT)
    x, y = round(dot.x()), round(dot.y())

    def grey_at_dot() -> int:
        return int(_rgb(coronal)[y - 1 : y + 2, x - 1 : x + 2, 1].max())

    assert grey_at_dot() < 30  # 4 mm behind the plane: air here
    qtbot.mouseClick(coronal, Qt.MouseButton.RightButton)  # focus the pane
    view.set_active_pane(coronal)
    view.slab_mode_combo.setCurrentIndex(view.slab_mode_combo.findData("mip"))
    view.slab_thickness_combo.setCurrentIndex(view.slab_thickness_combo.findData(10.0))
    assert coronal.slab_mode == "mip" and coronal.slab_thickness == 10.0
    assert grey_at_dot() > 200
    assert "MIP 10 mm" in coronal.overlay_text().bottom_left
    assert view.panes["axial"].slab_mode == "off"  # the focused pane only
    view.slab_mode_combo.setCurrentIndex(view.slab_mode_combo.findData("off"))
    assert grey_at_dot() < 30
    assert not any("MIP" in line for line in coronal.overlay_text().bottom_left)


def test_custom_slab_thickness(view: MprView) -> None:
    view.set_active_pane(view.panes["sagittal"])
    view.slab_mode_combo.setCurrentIndex(view.slab_mode_combo.findData("avg"))
    view.slab_thickness_combo.setCurrentIndex(view.slab_thickness_combo.findData("custom"))
    assert view.slab_custom.isVisibleTo(view)
    view.slab_custom.setValue(7.5)
    assert "Avg 7.5 mm" in view.panes["sagittal"].overlay_text().bottom_left


def test_panes_share_one_window(view: MprView) -> None:
    view.panes["axial"].set_window(-600.0, 1500.0)
    for pane in view.panes.values():
        assert pane.window == (-600.0, 1500.0)


def test_a_coronal_distance_is_kept_in_patient_mm_and_shown_on_axial(
    view: MprView, qtbot: QtBot
) -> None:
    coronal, axial = view.panes["coronal"], view.panes["axial"]
    view.set_tool("distance")
    start_mm, end_mm = (10.0, 30.0, 40.0), (50.0, 30.0, 40.0)  # 40 mm across, at z = 40
    start, end = (_widget_of(coronal, p).toPoint() for p in (start_mm, end_mm))
    qtbot.mousePress(coronal, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    qtbot.mouseMove(coronal, end)
    qtbot.mouseRelease(coronal, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)
    (drawn,) = coronal.measurements
    stored = drawn.extra["patient_points"]
    tolerance = 0.5 / coronal.zoom + 0.01  # a click lands on a whole screen pixel
    for got, truth in zip(stored, (start_mm, end_mm), strict=True):
        assert got == pytest.approx(truth, abs=max(tolerance, 0.3))
    truth_length = math.dist(stored[0], stored[1])
    assert isinstance(drawn.result, DistanceMeasurement) and drawn.result.unit == "mm"
    assert drawn.result.length == pytest.approx(truth_length, abs=1e-6)
    assert truth_length == pytest.approx(40.0, abs=0.6)
    # The axial pane at z = 40 contains it: the same patient points, the same length.
    (shown,) = axial.measurements_on_frame()
    assert shown.readonly
    image = axial.mpr.slice_geometry("axial", shown.frame) if axial.mpr else None
    assert image is not None
    assert shown.extra["patient_points"] == stored  # one record of where it is
    for got, truth in zip(image_points_to_patient(image, shown.points), stored, strict=True):
        assert got[:2] == pytest.approx(truth[:2], abs=1e-6)  # in the axial plane: exact
        assert got[2] == pytest.approx(truth[2], abs=1.0)  # within half a 2 mm slice
    assert isinstance(shown.result, DistanceMeasurement)
    assert shown.result.length == pytest.approx(drawn.result.length, abs=1e-6)
    assert shown.label_lines == drawn.label_lines
    # The sagittal plane (x = 24) does not contain a line from x = 10 to 50.
    assert view.panes["sagittal"].measurements == []
    # Moving the axial plane away: no longer shown there (off its plane), still stored.
    view.move_plane("axial", 60.0)
    assert axial.measurements_on_frame() == []


def test_a_series_that_cannot_be_reformatted_says_why(qtbot: QtBot) -> None:
    widget = MprView()
    qtbot.addWidget(widget)
    widget.resize(900, 400)
    widget.show()
    single = make_volume(_phantom()[:1], pixel_spacing=(1.0, 1.0))
    assert not widget.set_volume(single)
    assert widget.notice.isVisible()
    assert "cannot be reformatted" in widget.notice.text()
    assert "at least 2 slices" in widget.notice.text()
    assert not any(p.isVisible() for p in widget.panes.values())


def test_two_by_two_adds_an_axial_mip_slab(view: MprView) -> None:
    view.set_layout("2x2")
    shown = view.visible_panes
    assert [p.name for p in shown] == ["axial", "coronal", "sagittal", "slab"]
    assert all(p.isVisible() for p in shown)
    slab = view.panes["slab"]
    assert slab.plane == "axial" and "MIP 10 mm" in slab.overlay_text().bottom_left
    view.move_plane("axial", 20.0)
    assert slab.position == pytest.approx(20.0)  # it follows the axial position
    view.set_layout("1x3")
    assert not slab.isVisible()


def test_an_roi_on_a_slab_measures_what_the_pane_shows(view: MprView, qtbot: QtBot) -> None:
    """An ROI around a dot 4 mm off the coronal plane: air on the plain slice, the dot's
    value once a 10 mm MIP shows it (the statistics follow the picture)."""
    from core.dicom.measure import RoiStatistics

    coronal = view.panes["coronal"]
    view.set_active_pane(coronal)
    dot = _widget_of(coronal, DOT)
    view.set_tool("rectangle")
    start = QPoint(round(dot.x()) - 8, round(dot.y()) - 8)
    end = QPoint(round(dot.x()) + 8, round(dot.y()) + 8)
    qtbot.mousePress(coronal, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    qtbot.mouseMove(coronal, end)
    qtbot.mouseRelease(coronal, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)
    (roi,) = coronal.measurements
    assert isinstance(roi.result, RoiStatistics)
    plain_max = roi.result.maximum
    view.slab_mode_combo.setCurrentIndex(view.slab_mode_combo.findData("mip"))
    view.slab_thickness_combo.setCurrentIndex(view.slab_thickness_combo.findData(10.0))
    # The same ROI drawn again over the slab.
    qtbot.mousePress(coronal, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    qtbot.mouseMove(coronal, end)
    qtbot.mouseRelease(coronal, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)
    over_slab = coronal.measurements[-1]
    assert isinstance(over_slab.result, RoiStatistics)
    assert plain_max is not None and over_slab.result.maximum is not None
    assert over_slab.result.maximum > plain_max + 100  # the dot, brighter than the air
