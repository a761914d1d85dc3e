"""The MPR layout in the reading window: View → Layout → MPR 1×3 / MPR 2×2.

:func:`install_mpr` is called once by the window. It puts an
:class:`~desktop.viewer.mpr_layout.MprView` beside the viewer grid (one of the two is
shown), adds the two actions to the window (keys :data:`MPR_KEYS`; Ctrl+1…4 are the
grid's layouts, Ctrl+M is free) and to the View → Layout menu, and switches:

* MPR reformats the active viewport's series; a series still loading is reformatted
  when its load ends (the notice says so meanwhile);
* choosing a grid layout (Ctrl+1…4) goes back to the grid, which kept its series;
* the measuring tool chosen in the window applies to the panes too;
* opening another study leaves MPR and lets the volume go, and so does a series
  loaded into the grid meanwhile (from the browser, the series keys, a prior);
* while MPR is shown its focused pane stands in for the grid's active viewport
  (:meth:`~desktop.viewer.grid.ViewerGrid.set_stand_in`), so the window's View and
  Tools actions (Invert, Fit, W/L presets, Undo...) act on it; Overlays applies to
  every pane;
* measurements drawn on the panes are saved with the study's other annotations
  (:meth:`~desktop.viewer.annotation_keeper.AnnotationKeeper.save_reformatted`) and
  shown again when MPR opens on the series again.
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
    reset_action : QAction
        View → Layout → Reset MPR Planes (oblique planes back to the plain ones).
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
        self.reset_action = QAction(self.tr("Reset MPR Planes"), window)
        self.reset_action.setObjectName("mpr_reset_planes")
        self.reset_action.setStatusTip(self.tr("Turn oblique MPR planes back to the plain planes"))
        self.reset_action.triggered.connect(self.view.reset_planes)
        menu = _layout_menu(window)
        if menu is not None:
            menu.addSeparator()
            for action in self.actions.values():
                menu.addAction(action)
            menu.addAction(self.reset_action)
        window.layout_group.triggered.connect(lambda _action: self.leave())
        for action in window.tool_actions.values():  # toggled: set_tool checks it too
            action.toggled.connect(self._on_window_tool_toggled)
        window.series_loaded.connect(self._on_window_series_loaded)
        window.study_opened.connect(lambda _index: self.leave(clear=True))
        self.view.measurements_edited.connect(self._on_view_measurements_edited)
        self.view.active_pane_changed.connect(self._on_view_active_pane_changed)
        window.first_image_shown.connect(self._on_window_first_image_shown)
        window.overlays_action.toggled.connect(self._on_window_overlays_toggled)

    @property
    def active(self) -> bool:
        """Whether the MPR layout is shown (instead of the grid)."""
        return self.view.isVisible() or any(a.isChecked() for a in self.actions.values())

    def enter(self, layout: str = "1x3") -> bool:
        """Show the active viewport's series in the MPR layout; False when there is none."""
        window = self._window
        volume = window.grid.grid_viewport.volume  # never a pane of MPR itself
        source = volume.extra.get("mpr_source") if volume is not None else None
        if isinstance(source, Volume):  # a reformatted plane (a hanging protocol's): its series
            volume = source
        if volume is None:
            self._check(None)
            window.status_label.setText(self.tr("Open a CT or MR series first, then choose MPR"))
            return False
        self._check(layout)
        self.view.set_layout(layout)
        window.grid.hide()
        self.view.show()
        self._on_window_overlays_toggled(window.overlays_action.isChecked())
        header = window.grid.grid_viewport.header
        if volume.total_s == 0 and not volume.loaded.all():
            self._waiting = volume
            self.view.clear()
            self.view.show_notice(self.tr("The series is still loading: MPR follows when it ends"))
        else:
            self._waiting = None
            if self.view.set_volume(volume, header):
                self._show_saved()
        self._on_window_tool_changed()
        window.grid.set_stand_in(self.view.active_pane)
        self.view.active_pane.setFocus(Qt.FocusReason.OtherFocusReason)
        return True

    def leave(self, clear: bool = False) -> None:
        """Back to the grid (``clear``: and let the volume go)."""
        self._check(None)
        self._waiting = None
        self._window.grid.set_stand_in(None)
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
            if self.view.set_volume(volume):
                self._show_saved()

    def _on_view_active_pane_changed(self, pane: object) -> None:
        if self.view.isVisible():
            self._window.grid.set_stand_in(self.view.active_pane)

    def _on_window_first_image_shown(self, viewport: object) -> None:
        if self.view.isVisible() and viewport in self._window.grid.viewports:
            self.leave()  # a series asked for in the grid: show it

    def _on_window_overlays_toggled(self, visible: bool) -> None:
        for pane in self.view.panes.values():
            pane.set_overlays_visible(bool(visible))

    def _show_saved(self) -> None:
        volume = self.view.volume
        if volume is not None:
            self.view.show_annotations(self._window.annotations.annotations_of_series(volume))

    def _on_view_measurements_edited(self) -> None:
        volume = self.view.volume
        if volume is not None:
            self._window.annotations.save_reformatted(volume, self.view.annotations())

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
