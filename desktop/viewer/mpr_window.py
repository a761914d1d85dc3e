"""The MPR layout in the reading window: View → Layout → MPR 1×3 / MPR 2×2.

:func:`install_mpr` is called once by the window. It puts an
:class:`~desktop.viewer.mpr_layout.MprView` beside the viewer grid (one of the two is
shown), adds the two actions to the window (keys :data:`MPR_KEYS`; Ctrl+1…4 are the
grid's layouts, Ctrl+M is free) and to the View → Layout menu, and switches:

* MPR reformats the active viewport's series; a series still loading is reformatted
  when its load ends (the notice says so meanwhile);
* choosing a grid layout (Ctrl+1…4) goes back to the grid, which kept its series;
* the measuring tool chosen in the window applies to the panes too;
* opening another study leaves MPR and lets the volume go.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QBoxLayout, QMenu

from core.dicom.volume import Volume
from desktop.viewer.mpr_layout import MprView

if TYPE_CHECKING:
    from desktop.main_window import MainWindow

logger = logging.getLogger(__name__)

__all__ = ["MPR_KEYS", "MprMode", "install_mpr"]

#: Shortcut of each MPR layout.
MPR_KEYS = {"1x3": "Ctrl+M", "2x2": "Ctrl+Shift+M"}


class MprMode(QObject):
    """The window's MPR layout and its actions (see the module notes).

    Attributes
    ----------
    view : MprView
    actions : dict of str to QAction
        "1x3" and "2x2".
    """

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        self._waiting: Volume | None = None
        central = window.centralWidget()
        assert central is not None  # the window builds it before its menus
        self.view = MprView(central)
        self.view.hide()
        layout = central.layout()
        if isinstance(layout, QBoxLayout):  # the column under the notifications
            layout.addWidget(self.view, 1)
        self.actions: dict[str, QAction] = {}
        texts = {"1x3": self.tr("MPR 1 × 3"), "2x2": self.tr("MPR 2 × 2")}
        for name, text in texts.items():
            action = QAction(text, window)
            action.setObjectName(f"layout_mpr_{name}")
            action.setCheckable(True)
            action.setShortcut(QKeySequence(MPR_KEYS[name]))
            action.setStatusTip(
                self.tr("Axial, coronal and sagittal views of the series shown, with a crosshair")
            )
            action.triggered.connect(lambda _=False, n=name: self.enter(n))
            window.addAction(action)
            self.actions[name] = action
        menu = _layout_menu(window)
        if menu is not None:
            menu.addSeparator()
            for action in self.actions.values():
                menu.addAction(action)
        window.layout_group.triggered.connect(lambda _action: self.leave())
        for action in window.tool_actions.values():  # toggled: set_tool checks it too
            action.toggled.connect(self._on_window_tool_toggled)
        window.series_loaded.connect(self._on_window_series_loaded)
        window.study_opened.connect(lambda _index: self.leave(clear=True))

    @property
    def active(self) -> bool:
        """Whether the MPR layout is shown (instead of the grid)."""
        return self.view.isVisible() or any(a.isChecked() for a in self.actions.values())

    def enter(self, layout: str = "1x3") -> bool:
        """Show the active viewport's series in the MPR layout; False when there is none."""
        window = self._window
        volume = window.grid.active_viewport.volume
        if volume is None:
            self._check(None)
            window.status_label.setText(self.tr("Open a CT or MR series first, then choose MPR"))
            return False
        self._check(layout)
        self.view.set_layout(layout)
        window.grid.hide()
        self.view.show()
        header = window.grid.active_viewport.header
        if volume.total_s == 0 and not volume.loaded.all():
            self._waiting = volume
            self.view.clear()
            self.view.show_notice(self.tr("The series is still loading: MPR follows when it ends"))
        else:
            self._waiting = None
            self.view.set_volume(volume, header)
        self._on_window_tool_changed()
        self.view.active_pane.setFocus(Qt.FocusReason.OtherFocusReason)
        return True

    def leave(self, clear: bool = False) -> None:
        """Back to the grid (``clear``: and let the volume go)."""
        self._check(None)
        self._waiting = None
        if clear:
            self.view.clear()
        if self.view.isVisible():
            self.view.hide()
            self._window.grid.show()

    def _check(self, layout: str | None) -> None:
        for name, action in self.actions.items():
            action.setChecked(name == layout)

    def _on_window_series_loaded(self, volume: Volume) -> None:
        if volume is self._waiting:
            self._waiting = None
            self.view.set_volume(volume)

    def _on_window_tool_toggled(self, checked: bool) -> None:
        if checked:
            self._on_window_tool_changed()

    def _on_window_tool_changed(self) -> None:
        for tool, action in self._window.tool_actions.items():
            if action.isChecked():
                self.view.set_tool(tool)


def _layout_menu(window: MainWindow) -> QMenu | None:
    """The View → Layout menu (the one holding the grid's layout actions)."""
    first = next(iter(window.layout_actions.values()))
    for action in window.menus["View"].actions():
        menu = action.menu()
        if isinstance(menu, QMenu) and first in menu.actions():
            return menu
    return None


def install_mpr(window: MainWindow) -> MprMode:
    """Give ``window`` its MPR layout (once, after its menus are built)."""
    return MprMode(window)
