"""The viewer grid: layouts, the active viewport, drops, and scrolling in step."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QMouseEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop.viewer.grid import LAYOUTS, ViewerGrid
from desktop.viewer.viewport import SERIES_MIME, Viewport
from tests.desktop.viewer_helpers import disc_phantom, make_header, make_volume


@pytest.fixture
def grid(qtbot: QtBot) -> Iterator[ViewerGrid]:
    widget = ViewerGrid()
    qtbot.addWidget(widget)
    widget.resize(400, 400)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    for viewport in widget.viewports:
        viewport.stop_cine()


def _click(viewport: Viewport) -> None:
    point = QPointF(20, 20)
    for kind in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease):
        event = QMouseEvent(
            kind,
            point,
            viewport.mapToGlobal(point),
            Qt.MouseButton.LeftButton,
            Qt.MouseButton.LeftButton
            if kind == QEvent.Type.MouseButtonPress
            else Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier,
        )
        QApplication.sendEvent(viewport, event)


def _stack(frames: int, origin_z: float, spacing: float, key: str, normal_sign: int = 1):
    orientation = (1.0, 0.0, 0.0, 0.0, float(normal_sign), 0.0)  # normal = +z or -z
    return make_volume(
        disc_phantom(32, frames, 5.0),
        origin_z=origin_z,
        slice_spacing=spacing,
        orientation=orientation,
        key=key,
    )


def test_layouts_show_that_many_viewports_side_by_side(grid: ViewerGrid, qtbot: QtBot) -> None:
    assert grid.layout_shape == (1, 1) and len(grid.viewports) == 1
    grid.set_layout(2, 2)
    for rows, cols in LAYOUTS:  # 1x1, 1x2, 2x1, 2x2: each differs from the one before
        with qtbot.waitSignal(grid.layout_changed) as changed:
            grid.set_layout(rows, cols)
        assert changed.args == [rows, cols]
        assert len(grid.viewports) == rows * cols
        qtbot.waitUntil(lambda: all(v.isVisible() for v in grid.viewports))
    grid.set_layout(1, 2)
    left, right = grid.viewports
    qtbot.waitUntil(lambda: right.geometry().left() > left.geometry().right())
    grid.set_layout(2, 1)
    top, bottom = grid.viewports
    qtbot.waitUntil(lambda: bottom.geometry().top() > top.geometry().bottom())
    with pytest.raises(ValueError, match="rows"):
        grid.set_layout(0, 1)
    with pytest.raises(TypeError):
        grid.set_layout(1.5, 1)  # type: ignore[arg-type]


def test_hidden_viewports_keep_their_series(grid: ViewerGrid) -> None:
    grid.set_layout(2, 2)
    fourth = grid.viewports[3]
    fourth.set_volume(_stack(4, 0.0, 2.0, "a"), make_header())
    grid.set_layout(1, 1)
    assert fourth not in grid.viewports and not fourth.isVisible()
    grid.set_layout(2, 2)
    assert grid.viewports[3] is fourth and fourth.volume is not None


def test_clicking_a_viewport_makes_it_active(grid: ViewerGrid, qtbot: QtBot) -> None:
    grid.set_layout(1, 2)
    first, second = grid.viewports
    assert grid.active_viewport is first and first.is_active
    with qtbot.waitSignal(grid.active_viewport_changed) as changed:
        _click(second)
    assert changed.args == [second]
    assert grid.active_viewport is second and second.is_active and not first.is_active
    grid.set_layout(1, 1)  # 1 x 1 shows the active viewport, not the top-left one
    assert grid.viewports == [second] and grid.active_viewport is second
    assert second.isVisible() and not first.isVisible()
    grid.set_layout(1, 2)  # and every viewport goes back to its place
    assert grid.viewports == [first, second] and grid.active_viewport is second


def test_a_smaller_layout_keeps_the_active_viewport_in_its_last_cell(grid: ViewerGrid) -> None:
    grid.set_layout(2, 2)
    viewports = grid.viewports
    _click(viewports[3])
    grid.set_layout(1, 2)
    assert grid.viewports == [viewports[0], viewports[3]]
    grid.set_layout(2, 2)
    assert grid.viewports == viewports and grid.active_viewport is viewports[3]


def test_a_dropped_series_is_reported_with_its_viewport(grid: ViewerGrid, qtbot: QtBot) -> None:
    grid.set_layout(1, 2)
    target = grid.viewports[1]
    mime = QMimeData()
    mime.setData(SERIES_MIME, b"1.2.3.4#1")
    enter = QDragEnterEvent(
        QPoint(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(target, enter)  # a drop always follows an accepted enter
    drop = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    with qtbot.waitSignal(grid.series_dropped) as dropped:
        QApplication.sendEvent(target, drop)
    assert dropped.args == [target, "1.2.3.4#1"]
    assert grid.active_viewport is target


def test_scrolling_keeps_series_of_one_frame_of_reference_in_step(grid: ViewerGrid) -> None:
    grid.set_layout(1, 3)
    a, b, c = grid.viewports
    a.set_volume(_stack(20, 0.0, 2.0, "a"), make_header())  # z 0 .. 38
    b.set_volume(_stack(8, 10.0, 5.0, "b"), make_header())  # z 10 .. 45
    c.set_volume(_stack(20, 0.0, 2.0, "c"), make_header(frame_of_reference_uid="9.9"))
    first_of_c = c.frame_index
    a.set_frame(10)  # z = 20
    assert b.frame_index == 2 and b.slice_position() == pytest.approx(20.0)
    assert c.frame_index == first_of_c  # another Frame of Reference: left alone
    b.set_frame(5)  # z = 35: a follows
    assert a.frame_index == 17 and a.slice_position() == pytest.approx(34.0)
    a.set_frame(0)  # z = 0 is outside b (10 .. 45 plus one spacing)
    assert b.frame_index == 5
    grid.set_sync(False)
    assert not grid.sync_enabled
    a.set_frame(10)
    assert b.frame_index == 5


def test_sync_handles_opposite_normals_and_ignores_other_planes(grid: ViewerGrid) -> None:
    grid.set_layout(1, 3)
    a, flipped, sagittal = grid.viewports
    a.set_volume(_stack(20, 0.0, 2.0, "a"), make_header())
    # Normal -z: positions along it are -z, so frame i is at z = -(origin + 2 i).
    flipped.set_volume(_stack(20, -38.0, 2.0, "f", normal_sign=-1), make_header())
    sag = make_volume(
        disc_phantom(32, 10, 5.0),
        orientation=(0.0, 1.0, 0.0, 0.0, 0.0, -1.0),
        key="s",
    )
    sagittal.set_volume(sag, make_header())
    first_of_sagittal = sagittal.frame_index
    assert np.allclose(flipped.volume.geometry.normal, (0, 0, -1))  # type: ignore[union-attr]
    a.set_frame(5)  # z = 10 -> -10 along -z: the frame at position -10 of the other
    assert flipped.slice_position() == pytest.approx(-10.0)
    assert sagittal.frame_index == first_of_sagittal
