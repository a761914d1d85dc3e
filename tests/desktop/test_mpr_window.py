"""MPR in the reading window: View → Layout → MPR 1 × 3 / 2 × 2, the keys, and back to the grid."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu

from desktop.main_window import MainWindow
from desktop.settings import Settings
from desktop.viewer.mpr_window import MPR_KEYS

TIMEOUT_MS = 20_000


@pytest.fixture
def window(qtbot: Any) -> Iterator[MainWindow]:
    win = MainWindow(Settings())
    qtbot.addWidget(win)
    win.resize(1200, 700)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.cancel_import()


def _open(qtbot: Any, window: MainWindow, path: Path) -> Any:
    with qtbot.waitSignal(window.series_loaded, timeout=TIMEOUT_MS) as blocker:
        window.open_path(path)
    qtbot.waitUntil(lambda: not window.is_busy, timeout=TIMEOUT_MS)
    return blocker.args[0]


def test_the_layout_menu_offers_mpr_with_keys_that_clash_with_nothing(window: MainWindow) -> None:
    layout_menu = next(
        a.menu()
        for a in window.menus["View"].actions()
        if isinstance(a.menu(), QMenu) and a.text().replace("&", "") == "Layout"
    )
    texts = [a.text() for a in layout_menu.actions() if not a.isSeparator()]
    assert "MPR 1 × 3" in texts and "MPR 2 × 2" in texts
    keys = [a.shortcut().toString() for a in window.findChildren(type(window.mpr.actions["1x3"]))]
    for shortcut in MPR_KEYS.values():
        assert keys.count(shortcut) == 1, f"{shortcut} is taken by another action"


def test_ctrl_m_shows_the_series_in_three_planes_and_a_layout_key_goes_back(
    qtbot: Any, window: MainWindow, synthetic_dir: Path
) -> None:
    volume = _open(qtbot, window, synthetic_dir / "ct")
    window.grid.active_viewport.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier)
    view = window.mpr.view
    assert view.isVisible() and not window.grid.isVisible()
    assert view.volume is volume
    assert [p.plane for p in view.visible_panes] == ["axial", "coronal", "sagittal"]
    assert all(p.isVisible() and p.frame_count > 1 for p in view.visible_panes)
    assert window.mpr.actions["1x3"].isChecked()
    window.set_tool("distance")
    assert all(p.tool == "distance" for p in view.panes.values())
    window.mpr.actions["2x2"].trigger()
    assert len(view.visible_panes) == 4 and view.panes["slab"].isVisible()
    assert not window.mpr.actions["1x3"].isChecked()
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)  # 1 × 1
    assert window.grid.isVisible() and not view.isVisible()
    assert window.grid.active_viewport.volume is volume  # the grid kept its series
    assert not any(a.isChecked() for a in window.mpr.actions.values())


def test_mpr_without_a_series_says_what_to_do(window: MainWindow) -> None:
    assert not window.mpr.enter("1x3")
    assert window.grid.isVisible() and not window.mpr.view.isVisible()
    assert "Open a CT or MR series first" in window.status_label.text()
