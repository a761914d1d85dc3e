"""A float map (an ADC map in mm²/s) in the viewer: contrast from its own range, and a
window that stays narrower than 1 when dragged."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop.viewer.viewport import Viewport
from tests.desktop.test_viewport import SIZE, _drag, _pixels
from tests.desktop.viewer_helpers import make_header, make_volume


@pytest.fixture
def adc_map(qtbot: QtBot) -> Iterator[Viewport]:
    widget = Viewport()
    qtbot.addWidget(widget)
    widget.resize(SIZE, SIZE)
    widget.show()
    qtbot.waitExposed(widget)
    ramp = np.linspace(0.0005, 0.003, 64 * 64, dtype=np.float32).reshape(64, 64)
    widget.set_volume(make_volume(np.stack([ramp, ramp]), modality="MR"), make_header())
    yield widget
    widget.clear()


def test_float_map_opens_with_its_range_and_keeps_a_narrow_window(
    adc_map: Viewport, qtbot: QtBot
) -> None:
    center, width = adc_map.window
    assert width == pytest.approx(0.0025 * 0.98, rel=0.02)  # 1st..99th percentile
    grey = _pixels(adc_map)[..., 1]
    assert int(grey.max()) - int(grey.min()) >= 240  # was one flat grey
    assert any("W 0.00245 L 0.00175" in line for line in adc_map.overlay_text().bottom_right)
    with qtbot.waitSignal(adc_map.window_changed):
        _drag(adc_map, (128, 128), (153, 128), Qt.MouseButton.RightButton)
    new_center, new_width = adc_map.window
    assert new_center == pytest.approx(center)
    assert new_width == pytest.approx(width * 1.1, rel=0.01)  # was forced up to 1.0: white
    with qtbot.waitSignal(adc_map.window_changed):
        _drag(adc_map, (128, 128), (-400, 128), Qt.MouseButton.RightButton)
    assert 0 < adc_map.window[1] < width  # narrowed, never to zero or below
