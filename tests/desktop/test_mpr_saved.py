"""MPR in the reading window, part 2: measurements saved with the study, menus on the focused pane.

The study is the synthetic CT of tests/desktop/conftest.py (24 axial slices of 128²),
opened in a real window; the annotations are saved in the test's own user data folder.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QAction

from core.at_rest import unseal
from core.dicom.annotations import AnnotationStore
from core.dicom.measure import DistanceMeasurement
from core.dicom.volume import Volume
from desktop.main_window import MainWindow
from desktop.settings import Settings
from desktop.viewer.mpr_viewport import MprViewport

TIMEOUT_MS = 20_000


@pytest.fixture
def window(qtbot: Any) -> Iterator[MainWindow]:
    win = MainWindow(Settings())
    qtbot.addWidget(win)
    win.resize(1300, 700)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.cancel_import()


def _open(qtbot: Any, window: MainWindow, path: Path) -> Volume:
    with qtbot.waitSignal(window.series_loaded, timeout=TIMEOUT_MS) as blocker:
        window.open_path(path)
    qtbot.waitUntil(lambda: not window.is_busy, timeout=TIMEOUT_MS)
    volume = blocker.args[0]
    assert isinstance(volume, Volume)
    return volume


def _widget_of(pane: MprViewport, point: tuple[float, float, float]) -> QPointF:
    image = pane.plane_image()
    assert image is not None
    row, col = image.patient_to_pixel(point)
    return pane.image_to_widget(col + 0.5, row + 0.5)


def _flat(points: Any) -> list[float]:
    return [float(v) for point in points for v in point]


def _draw_distance(
    qtbot: Any, pane: MprViewport, start: tuple[float, ...], end: tuple[float, ...]
) -> None:
    a, b = (_widget_of(pane, p).toPoint() for p in (start, end))  # type: ignore[arg-type]
    qtbot.mousePress(pane, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, a)
    qtbot.mouseMove(pane, b)
    qtbot.mouseRelease(pane, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, b)


def test_a_coronal_distance_survives_closing_and_reopening_the_study(
    qtbot: Any, window: MainWindow, synthetic_dir: Path
) -> None:
    _open(qtbot, window, synthetic_dir / "ct")
    assert window.mpr.enter("1x3")
    view = window.mpr.view
    coronal = view.panes["coronal"]
    x0, y0, z0 = view.point or (0.0, 0.0, 0.0)
    start, end = (x0 - 30.0, y0, z0), (x0 + 25.0, y0, z0 + 20.0)  # oblique in the coronal plane
    window.set_tool("distance")
    _draw_distance(qtbot, coronal, start, end)
    (drawn,) = coronal.measurements
    points = drawn.extra["patient_points"]
    assert isinstance(drawn.result, DistanceMeasurement) and drawn.result.unit == "mm"
    length = drawn.result.length
    assert length == pytest.approx(math.dist(points[0], points[1]), abs=1e-6)

    # Saved at once, with the study, in patient mm (a format-2 file).
    study = window.index.patients[0].studies[0].study_instance_uid if window.index else ""
    store = AnnotationStore()
    (saved,) = store.load(study)
    assert saved.kind == "distance"
    assert _flat(saved.patient_points) == pytest.approx(_flat(points))
    document = json.loads(unseal(store.path_for(study).read_bytes(), purpose="annotations"))
    assert document["format"] == 2

    # Close the study (another opens), then open it again: MPR shows the same distance.
    _open(qtbot, window, synthetic_dir / "cxr")
    assert not view.isVisible() and view.volume is None
    _open(qtbot, window, synthetic_dir / "ct")
    assert window.mpr.enter("1x3")
    coronal = window.mpr.view.panes["coronal"]
    (again,) = [m for m in coronal.measurements if not m.readonly]
    assert _flat(again.extra["patient_points"]) == pytest.approx(_flat(points), abs=1e-6)
    assert isinstance(again.result, DistanceMeasurement)
    assert again.result.length == pytest.approx(length, abs=1e-6)
    assert again.label_lines == drawn.label_lines
    assert coronal.position == pytest.approx(y0)


def test_an_mpr_distance_in_an_axial_slice_shows_on_the_acquired_series(
    qtbot: Any, window: MainWindow, synthetic_dir: Path
) -> None:
    volume = _open(qtbot, window, synthetic_dir / "ct")
    grid_viewport = window.grid.active_viewport
    assert window.mpr.enter("1x3")
    view = window.mpr.view
    x0, y0, z0 = view.point or (0.0, 0.0, 0.0)
    window.set_tool("distance")
    # Level in z: the axial slice through z0 holds it; drawn on the coronal pane.
    _draw_distance(qtbot, view.panes["coronal"], (x0 - 20.0, y0, z0), (x0 + 20.0, y0, z0))
    (drawn,) = view.panes["coronal"].measurements
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)  # back to the grid
    assert window.grid.isVisible()
    grid_viewport.show_position(z0)  # the reader scrolls to that level
    frame = grid_viewport.frame_index
    position = volume.geometry.frames[frame].info.position
    assert position is not None and position[2] == pytest.approx(z0, abs=1e-3)
    shown = grid_viewport.measurements_on_frame(frame)
    assert len(shown) == 1 and shown[0].readonly  # drawn in MPR: edited there
    assert isinstance(shown[0].result, DistanceMeasurement)
    assert isinstance(drawn.result, DistanceMeasurement)
    assert shown[0].result.length == pytest.approx(drawn.result.length, abs=0.05)
    # One slice away it is not shown.
    other = frame + 1 if frame + 1 < grid_viewport.frame_count else frame - 1
    assert grid_viewport.measurements_on_frame(other) == []


def _action(window: MainWindow, name: str) -> QAction:
    found = [a for a in window.findChildren(QAction) if a.objectName() == name]
    assert len(found) == 1, name
    return found[0]


def test_the_window_menus_act_on_the_focused_mpr_pane(
    qtbot: Any, window: MainWindow, synthetic_dir: Path
) -> None:
    _open(qtbot, window, synthetic_dir / "ct")
    grid_viewport = window.grid.active_viewport
    assert window.mpr.enter("1x3")
    view = window.mpr.view
    coronal = view.panes["coronal"]
    qtbot.mouseClick(coronal, Qt.MouseButton.LeftButton, pos=coronal.rect().center())
    assert view.active_pane is coronal and window.grid.active_viewport is coronal
    grid_before = (grid_viewport.inverted, grid_viewport.orientation_matrix, grid_viewport.zoom)

    _action(window, "invert").trigger()
    assert coronal.inverted and not view.panes["axial"].inverted
    _action(window, "rotate_right").trigger()
    assert coronal.orientation_matrix != (1, 0, 0, 1)
    _action(window, "flip_h").trigger()
    _action(window, "reset_view").trigger()
    assert coronal.orientation_matrix == (1, 0, 0, 1)
    coronal.set_zoom(3.0)
    _action(window, "fit").trigger()
    assert coronal.zoom < 3.0
    _action(window, "actual_size").trigger()
    assert coronal.zoom == pytest.approx(1.0)
    # W/L: a preset from the menu, then Auto Window; the panes share one window.
    name, center, width = coronal.presets()[0]
    window.apply_preset(name)
    assert coronal.window == (center, width) and view.panes["sagittal"].window == (center, width)
    _action(window, "auto_window").trigger()
    assert coronal.window != (center, width)
    # Undo and Delete: on the pane's own measurements (and the save follows).
    window.set_tool("distance")
    x0, y0, z0 = view.point or (0.0, 0.0, 0.0)
    _draw_distance(qtbot, coronal, (x0 - 10, y0, z0), (x0 + 10, y0, z0 + 5))
    assert len(coronal.measurements) == 1
    _action(window, "undo").trigger()
    assert coronal.measurements == []
    study = window.index.patients[0].studies[0].study_instance_uid if window.index else ""
    assert AnnotationStore().load(study) == ()
    _draw_distance(qtbot, coronal, (x0 - 10, y0, z0), (x0 + 10, y0, z0 + 5))
    window.set_tool("none")
    coronal.add_measurement("distance", [(5.0, 5.0), (20.0, 5.0)])  # selected: Delete takes it
    _action(window, "delete_measurement").trigger()
    assert len(coronal.measurements) == 1
    # Overlays off: every pane.
    window.overlays_action.setChecked(not window.overlays_action.isChecked())
    assert all(
        p.overlays_visible == window.overlays_action.isChecked() for p in view.panes.values()
    )
    # The grid's viewport was left alone; back in the grid the actions act on it again.
    assert (grid_viewport.inverted, grid_viewport.orientation_matrix, grid_viewport.zoom) == (
        grid_before
    )
    # 2 × 2 while a pane has the focus: the same series, the same crosshair.
    point, volume = view.point, view.volume
    window.mpr.actions["2x2"].trigger()
    assert view.volume is volume and view.point == point
    assert window.grid.active_viewport is view.active_pane
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert window.grid.active_viewport is grid_viewport
    _action(window, "invert").trigger()
    assert grid_viewport.inverted


def test_reset_mpr_planes_from_the_layout_menu(
    qtbot: Any, window: MainWindow, synthetic_dir: Path
) -> None:
    _open(qtbot, window, synthetic_dir / "ct")
    assert window.mpr.enter("1x3")
    view = window.mpr.view
    view.turn_plane("sagittal", (0.0, 0.0, 1.0), 20.0)
    assert view.panes["sagittal"].is_oblique
    assert "Oblique" in view.panes["sagittal"].overlay_text().bottom_left[0]
    _action(window, "mpr_reset_planes").trigger()
    assert not any(p.is_oblique for p in view.panes.values())
