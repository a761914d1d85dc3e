"""Oblique MPR in the layout: Ctrl-drag a reference line, the other pane shows the turned plane.

The volume (tests/desktop/viewer_helpers.make_volume): 60 axial slices 1 mm apart of
80 × 80 pixels of 1 mm, so voxel (k, r, c) lies at patient (c, r, k) mm. A rod of radius
1.5 mm runs through CENTRE in the axial plane, 30° from the x axis toward +y (posterior).
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from pytestqt.qtbot import QtBot

from core.dicom.measure import DistanceMeasurement
from desktop.viewer.mpr_layout import MprView
from desktop.viewer.mpr_viewport import MprViewport
from tests.desktop.viewer_helpers import make_header, make_volume

CENTRE = (40.0, 40.0, 30.0)
AZIMUTH = 30.0
HALF_LENGTH = 25.0
DIRECTION = (math.cos(math.radians(AZIMUTH)), math.sin(math.radians(AZIMUTH)), 0.0)


def _phantom() -> np.ndarray:
    k, r, c = np.mgrid[0:60, 0:80, 0:80]
    offset = np.stack([c - CENTRE[0], r - CENTRE[1], k - CENTRE[2]], axis=-1).astype(float)
    along = offset @ np.asarray(DIRECTION)
    across = np.linalg.norm(offset - along[..., None] * np.asarray(DIRECTION), axis=-1)
    rod = (across <= 1.5) & (np.abs(along) <= HALF_LENGTH)
    return np.where(rod, 1000, -1000).astype(np.int16)


@pytest.fixture
def view(qtbot: QtBot) -> Iterator[MprView]:
    widget = MprView()
    qtbot.addWidget(widget)
    widget.resize(1200, 480)
    widget.show()
    qtbot.waitExposed(widget)
    volume = make_volume(_phantom(), pixel_spacing=(1.0, 1.0), slice_spacing=1.0)
    assert widget.set_volume(volume, make_header())
    widget.centre_on(CENTRE)
    yield widget


def _line(pane: MprViewport, plane: str) -> tuple[QPointF, QPointF]:
    for other, a, b in pane.reference_lines():
        if other == plane:
            return a, b
    raise AssertionError(f"no {plane} line on the {pane.plane} pane")


def _rod_reach(pane: MprViewport) -> float:
    """How far (mm) along the rod the pane's plane shows it, end to end."""
    image = pane.plane_image()
    assert image is not None
    rows, cols = np.nonzero(image.pixels >= 0)
    reach = [
        float(np.dot(np.subtract(image.pixel_to_patient(float(r), float(c)), CENTRE), DIRECTION))
        for r, c in zip(rows, cols, strict=True)
    ]
    return max(reach) - min(reach) if reach else 0.0


def _turn(qtbot: QtBot, pane: MprViewport, plane: str, degrees: float) -> None:
    """Ctrl-drag ``plane``'s line on ``pane`` from near its end, about the crosshair."""
    a, b = _line(pane, plane)
    centre = QPointF((a.x() + b.x()) / 2, (a.y() + b.y()) / 2)
    pivot_image = pane.plane_image()
    assert pivot_image is not None
    row, col = pivot_image.patient_to_pixel(CENTRE)
    pivot = pane.image_to_widget(col + 0.5, row + 0.5)
    start = b if math.dist((b.x(), b.y()), (centre.x(), centre.y())) > 0 else a
    # A point on the line, 3/4 of the way from the pivot to its end.
    grab = QPointF(
        pivot.x() + 0.75 * (start.x() - pivot.x()), pivot.y() + 0.75 * (start.y() - pivot.y())
    )
    radius = math.dist((grab.x(), grab.y()), (pivot.x(), pivot.y()))
    angle = math.atan2(grab.y() - pivot.y(), grab.x() - pivot.x())
    ctrl = Qt.KeyboardModifier.ControlModifier
    qtbot.mousePress(pane, Qt.MouseButton.LeftButton, ctrl, grab.toPoint())
    steps = 6
    for step in range(1, steps + 1):
        turned = angle + math.radians(degrees) * step / steps
        to = QPointF(pivot.x() + radius * math.cos(turned), pivot.y() + radius * math.sin(turned))
        qtbot.mouseMove(pane, to.toPoint())
    qtbot.mouseRelease(pane, Qt.MouseButton.LeftButton, ctrl, to.toPoint())


def test_turning_the_coronal_line_in_the_axial_pane_shows_the_rod_whole(
    view: MprView, qtbot: QtBot
) -> None:
    axial, coronal = view.panes["axial"], view.panes["coronal"]
    assert _rod_reach(coronal) < 10.0  # the plain coronal plane cuts it across
    # The axial pane shows patient +y downward: a turn toward posterior is clockwise on screen.
    _turn(qtbot, axial, "coronal", AZIMUTH)
    assert coronal.is_oblique and not axial.is_oblique
    assert coronal.motion.degrees == pytest.approx(AZIMUTH, abs=2.0)
    assert _rod_reach(coronal) == pytest.approx(2 * HALF_LENGTH, abs=3.0)
    # The pane says so, and its markers name the turned directions.
    assert coronal.overlay_text().bottom_left[0].startswith("Oblique")
    labels = coronal.orientation_labels()
    assert (labels.left, labels.right) == ("RA", "LP")
    # The coronal line on the axial pane now runs along the rod (30° on screen).
    a, b = _line(axial, "coronal")
    slope = math.degrees(math.atan2(b.y() - a.y(), b.x() - a.x())) % 180
    assert slope == pytest.approx(AZIMUTH, abs=2.0)
    # Reset: the plain coronal plane again, through the same crosshair.
    view.reset_planes()
    assert not coronal.is_oblique
    assert coronal.overlay_text().bottom_left[0] == "Coronal"
    assert coronal.position == pytest.approx(CENTRE[1])


def test_a_distance_drawn_on_an_oblique_plane_is_true_in_mm(view: MprView, qtbot: QtBot) -> None:
    axial, coronal = view.panes["axial"], view.panes["coronal"]
    view.turn_plane("coronal", (0.0, 0.0, 1.0), AZIMUTH)
    assert _rod_reach(coronal) == pytest.approx(2 * HALF_LENGTH, abs=3.0)
    ends = [tuple(np.add(CENTRE, s * 20.0 * np.asarray(DIRECTION))) for s in (-1, 1)]
    image = coronal.plane_image()
    assert image is not None
    points = []
    for end in ends:
        row, col = image.patient_to_pixel(end)
        points.append((col + 0.5, row + 0.5))
    coronal.add_measurement("distance", points)
    (drawn,) = [m for m in coronal.measurements if not m.readonly]
    assert isinstance(drawn.result, DistanceMeasurement)
    assert drawn.result.length == pytest.approx(40.0, abs=0.2)
    stored: tuple[tuple[float, float, float], ...] = drawn.extra["patient_points"]
    for got, truth in zip(stored, ends, strict=True):
        assert math.dist(got, truth) < 0.05
    # The axial plane at z = 30 holds it too: shown there, read-only, the same length.
    (shown,) = axial.measurements_on_frame()
    assert shown.readonly and isinstance(shown.result, DistanceMeasurement)
    assert shown.result.length == pytest.approx(40.0, abs=0.2)
    # Reset: no pane's plane holds it as its own now; it is kept (and would be saved).
    view.reset_planes()
    assert [a.kind for a in view.annotations()] == ["distance"]
    assert not [m for m in coronal.measurements if not m.readonly]
