"""The reading window: study browser on the left, viewer grid in the centre, AI findings right.

It assembles the parts and runs the long work as jobs on :mod:`desktop.workers`:
opening a study scans it (status-bar progress, Cancel), then the largest image series
loads into the active viewport, the first image showing as soon as it is read
(:class:`core.dicom.volume.FirstImage`) and the rest filling in. What cannot be read is
reported in a banner (:mod:`desktop.notifications`); everything else keeps working.
Heavy engine modules (pydicom through the index and the loader) are imported on the job
threads, so opening a study never blocks the GUI thread on an import.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.errors import CancelledError, DicomError, RadAssistError
from core.jobs import CancelToken, Progress
from core.paths import export_dir
from desktop import workers
from desktop.assistant.ai_panel import AIPanel
from desktop.assistant.report_panel import EXPORTS, ReportPanel
from desktop.browser.study_browser import StudyBrowser
from desktop.install_status import InstallStatus
from desktop.notifications import NotificationArea
from desktop.reading_keys import (
    BROWSER_FOCUS_KEYS,
    NEXT_SERIES_KEYS,
    PREVIOUS_SERIES_KEYS,
    READING_SHORTCUTS,
    ReadingKeys,
)
from desktop.settings import LAYOUTS, Settings
from desktop.viewer.annotation_keeper import AnnotationKeeper
from desktop.viewer.grid import ViewerGrid
from desktop.viewer.viewport import VIEWPORT_SHORTCUTS, Viewport

if TYPE_CHECKING:
    from core.analysis.inference import AnalysisResult
    from core.dicom.records import FileRef, SeriesRecord, StudyIndex
    from core.dicom.volume import Volume
    from desktop.assistant.report_dialogs import ReportingSettingsDialog
    from desktop.dialogs.models_dialog import ModelsDialog
    from desktop.dialogs.shortcuts import ShortcutsDialog
    from desktop.workers import JobHandle

logger = logging.getLogger(__name__)

__all__ = ["SERIES_MIME", "TOOLS", "MainWindow"]

#: Mime type of a series dragged from the browser (payload: the series key, utf-8).
SERIES_MIME = "application/x-radassist-series"
#: Measurement tools: (name for Viewport.set_tool, menu text).
TOOLS = (
    ("none", "&Pointer"),
    ("distance", "&Distance"),
    ("angle", "&Angle"),
    ("rectangle", "&Rectangle ROI"),
    ("ellipse", "&Ellipse ROI"),
)
_OPENABLE_SUFFIXES = (".zip",)


def _scan_job(path: str, token: CancelToken) -> Generator[Progress, None, StudyIndex]:
    from core.dicom.index import scan_path  # pydicom is imported here, on the job's thread

    index: StudyIndex = yield from scan_path(path, token)
    return index


def _load_job(series: SeriesRecord, token: CancelToken) -> Generator[Any, None, Volume]:
    from core.dicom.volume import load_series

    volume: Volume = yield from load_series(series, token)
    return volume


@dataclass(eq=False)
class _Load:
    """A series loading, and the viewports waiting for it."""

    series: SeriesRecord
    viewports: list[Viewport] = field(default_factory=list)
    handle: JobHandle | None = None
    volume: Volume | None = None


class MainWindow(QMainWindow):
    """The RadAssist reading window.

    Signals
    -------
    study_opened(object)
        The :class:`~core.dicom.records.StudyIndex` of a study just scanned.
    first_image_shown(object)
        A viewport received its first image of a series (the volume still filling).
    series_loaded(object)
        A :class:`~core.dicom.volume.Volume` finished loading.
    busy_changed(bool)
        Whether a scan or a load is running (the progress bar shows).
    """

    study_opened = Signal(object)
    first_image_shown = Signal(object)
    series_loaded = Signal(object)
    busy_changed = Signal(bool)

    def __init__(self, settings: Settings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        if settings is not None and not isinstance(settings, Settings):
            raise TypeError(f"settings must be a Settings, not {type(settings).__name__}")
        self.settings = settings if settings is not None else Settings()
        self.setObjectName("main_window")
        self.setWindowTitle("RadAssist")
        self.setAcceptDrops(True)
        self.index: StudyIndex | None = None
        self.study_path: str | None = None
        self._scan: JobHandle | None = None
        self._loads: dict[str, _Load] = {}
        self._volumes: dict[str, Volume] = {}
        self._busy = False
        self._cancel_requested = False  # the person pressed Cancel (not a superseded job)
        self._tool = "none"
        self._dialogs: list[QWidget] = []

        self._build_widgets()
        self._build_actions()
        self._build_menus()
        self._restore_settings()
        self._apply_view_state()
        # A missing or damaged bundled model or template: found on a worker, said once.
        receivers = (self.ai_panel, self.report_panel)
        self.install_status = InstallStatus(self.notifications, receivers, self)
        QTimer.singleShot(0, self, self.install_status.start)  # once the window is up

    # -- construction ----------------------------------------------------------------------

    def _build_widgets(self) -> None:
        self.grid = ViewerGrid(self)
        self.grid.setObjectName("viewer_grid")
        self.notifications = NotificationArea(self)
        central = QWidget(self)
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.notifications)
        column.addWidget(self.grid, 1)
        self.setCentralWidget(central)

        self.browser = StudyBrowser(self)
        self.browser_dock = QDockWidget("Study", self)
        self.browser_dock.setObjectName("browser_dock")
        self.browser_dock.setWidget(self.browser)
        self.browser_dock.setAllowedAreas(
            Qt.DockWidgetArea.LeftDockWidgetArea | Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.browser_dock)

        # AI findings on the right; its model list is read on a job thread.
        self.ai_panel = AIPanel(self, settings=self.settings)
        self.ai_dock = QDockWidget("AI Findings", self)
        self.ai_dock.setObjectName("ai_dock")
        self.ai_dock.setWidget(self.ai_panel)
        self.ai_dock.setAllowedAreas(
            Qt.DockWidgetArea.LeftDockWidgetArea | Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.ai_dock)
        self.series_loaded.connect(lambda _: self.ai_panel.refresh())  # frames now readable

        # The report, tabbed with the AI findings: the study's draft opens with the study.
        self.report_panel = ReportPanel(self, settings=self.settings)
        self.report_dock = QDockWidget("Report", self)
        self.report_dock.setObjectName("report_dock")
        self.report_dock.setWidget(self.report_panel)
        self.report_dock.setAllowedAreas(
            Qt.DockWidgetArea.LeftDockWidgetArea | Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.report_dock)
        self.tabifyDockWidget(self.ai_dock, self.report_dock)
        self.ai_dock.raise_()
        self.ai_panel.analysis_finished.connect(self._on_ai_panel_analysis_finished)
        self.report_panel.settings_requested.connect(self.show_reporting_settings)

        self.status_label = QLabel("")
        self.progress_bar = QProgressBar()
        self.progress_bar.setObjectName("import_progress")
        self.progress_bar.setMaximumWidth(220)
        self.progress_bar.setTextVisible(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("import_cancel")
        self.cancel_button.setToolTip("Stop reading the study")
        self.cancel_button.clicked.connect(self.cancel_import)
        status = self.statusBar()
        status.addWidget(self.status_label, 1)
        status.addPermanentWidget(self.progress_bar)
        status.addPermanentWidget(self.cancel_button)
        self.progress_bar.hide()
        self.cancel_button.hide()

        self.browser.series_activated.connect(self._on_browser_series_activated)
        self.browser.tags_requested.connect(self._on_browser_tags_requested)
        self.grid.series_dropped.connect(self._on_grid_series_dropped)
        self.grid.active_viewport_changed.connect(self._on_grid_active_viewport_changed)
        # Measurements kept with the study, presentation states shown; keyboard reading.
        self.annotations = AnnotationKeeper(self.grid, self)
        self.annotations.message.connect(self.status_label.setText)
        self.annotations.failed.connect(
            lambda text, files: self.notifications.notify(
                text, [f"{f.ref.display_name}: {f.reason}" for f in files]
            )
        )
        self.first_image_shown.connect(self.annotations.show_on)
        self.series_loaded.connect(self.annotations.remeasure)
        self.reading_keys = ReadingKeys(self)

    def _action(
        self,
        text: str,
        slot: Callable[..., Any],
        shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
        *,
        checkable: bool = False,
        name: str = "",
        tip: str = "",
    ) -> QAction:
        action = QAction(text, self)
        if name:
            action.setObjectName(name)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setCheckable(checkable)
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(slot)
        self.addAction(action)  # shortcuts work while the menu bar is hidden too
        return action

    def _build_actions(self) -> None:
        a = self._action
        self.open_folder_action = a(
            "Open &Folder…",
            self._on_open_folder_triggered,
            QKeySequence.StandardKey.Open,
            name="open_folder",
        )
        self.open_file_action = a(
            "Open DICOMDIR or &ZIP…",
            self._on_open_file_triggered,
            "Ctrl+Shift+O",
            name="open_file",
        )
        self.export_action = a(
            "&Export View as PNG…", self._on_export_triggered, "Ctrl+E", name="export_png"
        )
        self.export_gsps_action = a(
            "Export &Annotations as GSPS",
            lambda: self.annotations.export_presentation_state(),
            "Ctrl+Shift+E",
            name="export_gsps",
            tip="Save the measurements and windows shown as a DICOM presentation state",
        )
        self.next_series_action = a(
            "&Next Series",
            lambda: self.reading_keys.step_series(1),
            NEXT_SERIES_KEYS,
            name="next_series",
        )
        self.previous_series_action = a(
            "&Previous Series",
            lambda: self.reading_keys.step_series(-1),
            PREVIOUS_SERIES_KEYS,
            name="previous_series",
        )
        self.focus_browser_action = a(
            "&Go to Study Browser",
            self.reading_keys.focus_browser,
            BROWSER_FOCUS_KEYS,
            name="focus_browser",
            tip="Esc goes back to the image",
        )
        self.quit_action = a("&Quit", self.close, QKeySequence.StandardKey.Quit, name="quit")
        self.clear_recent_action = QAction("&Clear Recent Studies", self)
        self.clear_recent_action.triggered.connect(self._on_clear_recent_triggered)

        self.layout_group = QActionGroup(self)
        self.layout_actions: dict[tuple[int, int], QAction] = {}
        for number, (rows, cols) in enumerate(LAYOUTS, start=1):
            action = a(
                f"{rows} × {cols}",
                lambda _=False, r=rows, c=cols: self.set_layout(r, c),
                f"Ctrl+{number}",
                checkable=True,
                name=f"layout_{rows}x{cols}",
            )
            self.layout_group.addAction(action)
            self.layout_actions[(rows, cols)] = action
        self.overlays_action = a(
            "&Overlays",
            self.set_overlays_visible,
            "Shift+O",
            checkable=True,
            name="overlays",
        )
        self.sync_action = a(
            "&Sync Scrolling",
            self.set_sync_scrolling,
            "Ctrl+Shift+S",
            checkable=True,
            name="sync_scrolling",
        )
        self.auto_window_action = a(
            "&Auto Window", lambda: self._on_viewport("auto_window"), name="auto_window"
        )
        self.cine_action = a(
            "&Cine Play/Pause", self._on_cine_triggered, checkable=True, name="cine"
        )
        self.browser_action = self.browser_dock.toggleViewAction()
        self.browser_action.setText("Study &Browser")
        self.browser_action.setShortcut(QKeySequence("Ctrl+B"))
        self.addAction(self.browser_action)

        self.tool_group = QActionGroup(self)
        self.tool_actions: dict[str, QAction] = {}
        for tool, text in TOOLS:
            action = a(
                text, lambda _=False, t=tool: self.set_tool(t), checkable=True, name=f"tool_{tool}"
            )
            self.tool_group.addAction(action)
            self.tool_actions[tool] = action
        self.tool_actions["none"].setChecked(True)
        self.undo_action = a("&Undo Measurement", lambda: self._on_viewport("undo"), name="undo")
        self.delete_action = a(
            "De&lete Measurement",
            lambda: self._on_viewport("delete_selected"),
            name="delete_measurement",
        )
        self.invert_action = a("&Invert", lambda: self._on_viewport("invert"), name="invert")
        self.rotate_right_action = a(
            "Rotate &Right", lambda: self._on_viewport("rotate", 90), name="rotate_right"
        )
        self.rotate_left_action = a(
            "Rotate &Left", lambda: self._on_viewport("rotate", -90), name="rotate_left"
        )
        self.flip_h_action = a(
            "Flip &Horizontal", lambda: self._on_viewport("flip_horizontal"), name="flip_h"
        )
        self.flip_v_action = a(
            "Flip &Vertical", lambda: self._on_viewport("flip_vertical"), name="flip_v"
        )
        self.fit_action = a("&Fit", lambda: self._on_viewport("fit"), name="fit")
        self.actual_size_action = a(
            "&Actual Size (1:1)", lambda: self._on_viewport("actual_size"), name="actual_size"
        )
        self.reset_action = a(
            "Re&set View", lambda: self._on_viewport("reset_view"), name="reset_view"
        )
        self.tags_action = a(
            "DICOM &Tags…", lambda: self.show_tag_browser(), "Ctrl+T", name="tag_browser"
        )
        self.shortcuts_action = a(
            "&Keyboard Shortcuts",
            self.show_shortcuts,
            QKeySequence.StandardKey.HelpContents,
            name="shortcuts",
        )
        self.about_action = a("&About RadAssist", self._on_about_triggered, name="about")
        self.analyze_action = a(
            "&Analyze Image",
            self.analyze_image,
            "Ctrl+Shift+A",
            name="analyze",
            tip="Run the AI model on the image shown",
        )
        self.cancel_analysis_action = a(
            "&Cancel Analysis", self.ai_panel.cancel, name="cancel_analysis"
        )
        self.heatmap_action = a(
            "Show AI &Heatmap",
            self._on_heatmap_triggered,
            "Ctrl+Shift+H",
            checkable=True,
            name="heatmap",
        )
        self.heatmap_action.setChecked(self.ai_panel.heatmap_check.isChecked())
        self.ai_panel.heatmap_check.toggled.connect(self.heatmap_action.setChecked)
        self.ai_panel_action = self.ai_dock.toggleViewAction()
        self.ai_panel_action.setText("AI &Findings Panel")
        self.ai_panel_action.setShortcut(QKeySequence("Ctrl+Shift+F"))
        self.addAction(self.ai_panel_action)
        self.models_action = a("&Models…", self.show_models_dialog, name="models")
        self.reporting_action = a(
            "&Reporting…", self.show_reporting_settings, name="reporting_settings"
        )
        self.data_protection_action = a(
            "&Data Protection…", self.show_data_protection, name="data_protection"
        )
        self.draft_report_action = a(
            "&Draft Report",
            lambda: self.draft_report("report"),
            "Ctrl+Shift+D",
            name="draft_report",
            tip="Draft the report with the chosen engine",
        )
        self.write_impression_action = a(
            "Write &Impression", lambda: self.draft_report("impression"), name="write_impression"
        )
        self.rewrite_action = a(
            "&Rewrite Selection", lambda: self.draft_report("rewrite"), name="rewrite_selection"
        )
        self.stop_drafting_action = a(
            "S&top Drafting", self.report_panel.stop, name="stop_drafting"
        )
        self.mark_all_reviewed_action = a(
            "Mark &All Reviewed", self.report_panel.mark_all_reviewed, name="mark_all_reviewed"
        )
        self.sign_report_action = a(
            "&Sign Report…", self.sign_report, "Ctrl+Shift+G", name="sign_report"
        )
        self.addendum_action = a(
            "Add A&ddendum…", self.report_panel.write_addendum, name="addendum"
        )
        self.export_report_actions: dict[str, QAction] = {}
        for kind, text in EXPORTS:
            self.export_report_actions[kind] = a(
                text, lambda _=False, k=kind: self.export_report(k), name=f"export_report_{kind}"
            )
        self.report_panel_action = self.report_dock.toggleViewAction()
        self.report_panel_action.setText("&Report Panel")
        self.report_panel_action.setShortcut(QKeySequence("Ctrl+Shift+R"))
        self.addAction(self.report_panel_action)
        self._show_viewport_keys()

    def _show_viewport_keys(self) -> None:
        """Show in the menus the keys the viewport handles itself, without stealing them.

        The focused viewport reads these keys in its own key handler; giving the menu
        actions the same shortcut in window context would take the keys from it. A
        widget-context shortcut on an action that no focusable widget holds is only
        displayed. A key is shown only when the viewport's list still names it.
        """
        listed = _viewport_key_tokens()
        keys = {
            self.invert_action: "I",
            self.rotate_right_action: "R",
            self.rotate_left_action: "Shift+R",
            self.flip_h_action: "H",
            self.flip_v_action: "V",
            self.fit_action: "F",
            self.actual_size_action: "1",
            self.reset_action: "0",
            self.auto_window_action: "A",
            self.delete_action: "Delete",
            self.undo_action: "Ctrl+Z",
            self.cine_action: "Space",
            self.tool_actions["none"]: "S",
            self.tool_actions["distance"]: "D",
            self.tool_actions["angle"]: "G",
            self.tool_actions["rectangle"]: "T",
            self.tool_actions["ellipse"]: "E",
        }
        for action, key in keys.items():
            if key.lower() not in listed:
                continue
            self.removeAction(action)
            action.setShortcut(QKeySequence(key))
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.open_folder_action)
        file_menu.addAction(self.open_file_action)
        self.recent_menu = file_menu.addMenu("&Recent Studies")
        self.recent_menu.setObjectName("recent_menu")
        self.recent_menu.aboutToShow.connect(self._rebuild_recent_menu)
        file_menu.addSeparator()
        file_menu.addAction(self.export_action)
        file_menu.addAction(self.export_gsps_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)

        view_menu = bar.addMenu("&View")
        layout_menu = view_menu.addMenu("&Layout")
        for action in self.layout_actions.values():
            layout_menu.addAction(action)
        view_menu.addAction(self.overlays_action)
        view_menu.addAction(self.sync_action)
        view_menu.addSeparator()
        self.presets_menu = view_menu.addMenu("Window &Presets")
        self.presets_menu.setObjectName("presets_menu")
        self.presets_menu.aboutToShow.connect(self._rebuild_presets_menu)
        view_menu.addAction(self.auto_window_action)
        view_menu.addSeparator()
        view_menu.addAction(self.fit_action)
        view_menu.addAction(self.actual_size_action)
        view_menu.addAction(self.cine_action)
        view_menu.addSeparator()
        view_menu.addAction(self.next_series_action)
        view_menu.addAction(self.previous_series_action)
        view_menu.addAction(self.browser_action)
        view_menu.addAction(self.focus_browser_action)

        view_menu.aboutToShow.connect(self._on_view_menu_about_to_show)
        tools_menu = bar.addMenu("&Tools")
        tools_menu.aboutToShow.connect(self._on_tools_menu_about_to_show)
        measure_menu = tools_menu.addMenu("&Measure")
        for action in self.tool_actions.values():
            measure_menu.addAction(action)
        tools_menu.addAction(self.undo_action)
        tools_menu.addAction(self.delete_action)
        tools_menu.addSeparator()
        for action in (
            self.invert_action,
            self.rotate_right_action,
            self.rotate_left_action,
            self.flip_h_action,
            self.flip_v_action,
            self.reset_action,
        ):
            tools_menu.addAction(action)
        tools_menu.addSeparator()
        tools_menu.addAction(self.tags_action)

        analysis_menu = bar.addMenu("&Analysis")
        analysis_menu.addAction(self.analyze_action)
        analysis_menu.addAction(self.cancel_analysis_action)
        analysis_menu.addSeparator()
        analysis_menu.addAction(self.heatmap_action)
        analysis_menu.addAction(self.ai_panel_action)
        view_menu.addAction(self.ai_panel_action)

        report_menu = bar.addMenu("&Report")
        for action in (
            self.draft_report_action,
            self.write_impression_action,
            self.rewrite_action,
            self.stop_drafting_action,
        ):
            report_menu.addAction(action)
        report_menu.addSeparator()
        report_menu.addAction(self.mark_all_reviewed_action)
        report_menu.addAction(self.sign_report_action)
        report_menu.addAction(self.addendum_action)
        export_menu = report_menu.addMenu("&Export Report")
        for action in self.export_report_actions.values():
            export_menu.addAction(action)
        report_menu.addSeparator()
        report_menu.addAction(self.report_panel_action)
        view_menu.addAction(self.report_panel_action)

        settings_menu = bar.addMenu("&Settings")
        settings_menu.addAction(self.models_action)
        settings_menu.addAction(self.reporting_action)
        settings_menu.addAction(self.data_protection_action)

        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.shortcuts_action)
        help_menu.addAction(self.about_action)
        self.menus = {
            "File": file_menu,
            "View": view_menu,
            "Tools": tools_menu,
            "Analysis": analysis_menu,
            "Report": report_menu,
            "Settings": settings_menu,
            "Help": help_menu,
        }
        self._rebuild_recent_menu()

    # -- settings ----------------------------------------------------------------------------

    def _restore_settings(self) -> None:
        geometry = self.settings.window_geometry
        if geometry.isEmpty() or not self.restoreGeometry(geometry):
            available = QApplication.primaryScreen().availableGeometry()
            self.resize(int(available.width() * 0.8), int(available.height() * 0.8))
        state = self.settings.window_state
        if not state.isEmpty():
            self.restoreState(state)
        self.layout_actions[self.settings.layout].setChecked(True)
        self.overlays_action.setChecked(self.settings.overlays_visible)
        self.sync_action.setChecked(self.settings.sync_scrolling)

    def save_settings(self) -> None:
        """Write geometry, docks and view choices to the settings now."""
        self.settings.window_geometry = self.saveGeometry()
        self.settings.window_state = self.saveState()
        self.settings.layout = self.current_layout
        self.settings.overlays_visible = self.overlays_action.isChecked()
        self.settings.sync_scrolling = self.sync_action.isChecked()
        self.settings.sync()

    def _apply_view_state(self) -> None:
        rows, cols = self.current_layout
        self.grid.set_layout(rows, cols)
        self.grid.set_sync(self.sync_action.isChecked())
        self._configure_viewports()
        self.ai_panel.set_viewport(self.grid.active_viewport)
        self.report_panel.set_viewport(self.grid.active_viewport)

    def _configure_viewports(self) -> None:
        """New viewports (after a layout change) follow the window's choices."""
        for viewport in self.grid.viewports:
            viewport.set_overlays_visible(self.overlays_action.isChecked())
            viewport.set_tool(self._tool)

    # -- public API: studies and series ----------------------------------------------------

    @property
    def is_busy(self) -> bool:
        """True while a scan or a load runs."""
        return self._busy

    @property
    def current_layout(self) -> tuple[int, int]:
        for layout, action in self.layout_actions.items():
            if action.isChecked():
                return layout
        return (1, 1)

    def open_path(self, path: str | os.PathLike[str]) -> JobHandle | None:
        """Open a folder, a DICOMDIR, a .zip or one file: scan it in the background.

        The previous study is closed. Returns the scan's job handle (None when the path
        does not exist; a banner says so).
        """
        if not isinstance(path, str | os.PathLike):
            raise TypeError(f"path must be a str or os.PathLike, not {type(path).__name__}")
        target = os.path.abspath(os.fspath(path))
        if not os.path.exists(target):
            self.notifications.notify(f"{target}: no such file or folder", level="error")
            return None
        self.close_study()
        self._cancel_requested = False
        self.study_path = target
        self.setWindowTitle(f"RadAssist — {os.path.basename(target.rstrip(os.sep)) or target}")
        self.status_label.setText(f"Reading {os.path.basename(target) or target}…")
        handle = workers.start_job(
            lambda token: _scan_job(target, token),
            on_event=self._on_scan_event,
            on_finished=self._update_busy,
            parent=self,
            name="scan",
        )

        # A scan superseded by the next one must not touch the window any more.
        def on_succeeded(index: StudyIndex) -> None:
            if self._scan is handle:
                self._on_scan_succeeded(index)

        def on_failed(error: BaseException) -> None:
            if self._scan is handle:
                self._on_scan_failed(error)

        handle.succeeded.connect(on_succeeded)
        handle.failed.connect(on_failed)
        self._scan = handle
        self._set_progress(0, 0)
        self._update_busy()
        return self._scan

    def open_demo(self) -> JobHandle:
        """Open the bundled demo study, generating it first when it is missing."""
        from core.paths import demo_study_dir

        self.status_label.setText("Preparing the demo study…")

        def demo_job(token: CancelToken) -> Generator[Progress, None, Path]:
            from core.cli import ensure_demo_study

            yield Progress(0, 0, "preparing the demo study")
            return ensure_demo_study()

        def on_error(error: BaseException) -> None:
            if not isinstance(error, CancelledError):
                self.notifications.notify(
                    f"The demo study could not be prepared in {demo_study_dir()}: {error}",
                    level="error",
                )

        def on_result(folder: Path) -> None:
            self.open_path(folder)

        handle = workers.start_job(
            demo_job,
            on_result=on_result,
            on_error=on_error,
            on_finished=self._update_busy,
            parent=self,
            name="demo",
        )
        self._scan = handle
        self._set_progress(0, 0)
        self._update_busy()
        return handle

    def close_study(self) -> None:
        """Stop the current scan and loads and empty the browser and viewports."""
        self._cancel_jobs()
        self.index = None
        self.study_path = None
        self._volumes.clear()
        self.annotations.close_study()
        self.ai_panel.set_study_index(None)
        self.report_panel.close_study()
        self.browser.clear()
        for viewport in self.grid.findChildren(Viewport):  # hidden ones too
            viewport.clear()
        self.notifications.clear()
        self.setWindowTitle("RadAssist")

    def cancel_import(self) -> None:
        """Cancel the scan and every load in progress (what Cancel in the status bar does)."""
        self._cancel_requested = True
        self._cancel_jobs()

    def _cancel_jobs(self) -> None:
        if self._scan is not None and self._scan.is_running:
            self._scan.cancel()
        for load in list(self._loads.values()):
            if load.handle is not None:
                load.handle.cancel()

    def load_series(
        self, series: SeriesRecord, viewport: Viewport | None = None
    ) -> JobHandle | None:
        """Show ``series`` in ``viewport`` (default: the active one), loading it if needed.

        Returns the load's job handle, or None when the volume was already loaded (or
        is loading: the viewport then joins that load).
        """
        viewport = viewport if viewport is not None else self.grid.active_viewport
        self._detach(viewport, keep=series.key)
        self._follow_report(series)
        loaded = self._volumes.get(series.key)
        if loaded is not None:
            viewport.set_volume(loaded)
            self.first_image_shown.emit(viewport)
            return None
        load = self._loads.get(series.key)
        if load is not None:
            if viewport not in load.viewports:
                load.viewports.append(viewport)
                if load.volume is not None:
                    viewport.set_volume(load.volume)
                    self.first_image_shown.emit(viewport)
            return None
        load = _Load(series, [viewport])
        self._loads[series.key] = load
        self._cancel_requested = False
        viewport.clear()
        load.handle = workers.start_job(
            lambda token: _load_job(series, token),
            on_event=lambda event: self._on_load_event(load, event),
            on_result=lambda volume: self._on_load_succeeded(load, volume),
            on_error=lambda error: self._on_load_failed(load, error),
            on_finished=lambda: self._on_load_finished(load),
            parent=self,
            name="load",
        )
        self.status_label.setText(f"Loading {_describe_series(series)}…")
        self._update_busy()
        return load.handle

    def _follow_report(self, series: SeriesRecord) -> None:
        """The report panel shows the report of the study whose series is shown."""
        if self.index is None or not series.instances:
            return
        for patient in self.index.patients:
            for study in patient.studies:
                if any(s.key == series.key for s in study.series):
                    current = self.report_panel.study
                    if current is None or current.study_instance_uid != study.study_instance_uid:
                        self.report_panel.open_study_file(series.instances[0].ref)
                    return

    def _detach(self, viewport: Viewport, keep: str) -> None:
        """Take ``viewport`` off other loads; a load nobody waits for is cancelled."""
        for key, load in list(self._loads.items()):
            if key == keep or viewport not in load.viewports:
                continue
            load.viewports.remove(viewport)
            if not load.viewports and load.handle is not None:
                load.handle.cancel()

    # -- public API: view --------------------------------------------------------------------

    def set_layout(self, rows: int, cols: int) -> None:
        """Show ``rows`` × ``cols`` viewports (one of :data:`desktop.settings.LAYOUTS`)."""
        if (rows, cols) not in LAYOUTS:
            raise ValueError(f"layout must be one of {LAYOUTS}, not {(rows, cols)}")
        self.layout_actions[(rows, cols)].setChecked(True)
        self.grid.set_layout(rows, cols)
        self._configure_viewports()  # hidden viewports keep their series (and loads)
        self.ai_panel.set_viewport(self.grid.active_viewport)
        self.report_panel.set_viewport(self.grid.active_viewport)
        self.settings.layout = (rows, cols)

    def set_overlays_visible(self, visible: bool) -> None:
        self.overlays_action.setChecked(bool(visible))
        for viewport in self.grid.viewports:
            viewport.set_overlays_visible(bool(visible))
        self.settings.overlays_visible = bool(visible)

    def set_sync_scrolling(self, enabled: bool) -> None:
        self.sync_action.setChecked(bool(enabled))
        self.grid.set_sync(bool(enabled))
        self.settings.sync_scrolling = bool(enabled)

    def set_tool(self, tool: str) -> None:
        """The measurement tool of every viewport ("none", "distance", "angle", ...)."""
        if tool not in self.tool_actions:
            raise ValueError(f"tool must be one of {list(self.tool_actions)}, not {tool!r}")
        self._tool = tool
        self.tool_actions[tool].setChecked(True)
        for viewport in self.grid.viewports:
            viewport.set_tool(tool)

    def apply_preset(self, name: str) -> None:
        """Apply a W/L preset (the viewport's own, or one of the user's) to the active view."""
        viewport = self.grid.active_viewport
        for user_name, center, width in self.settings.window_presets:
            if user_name == name:
                viewport.set_window(center, width)
                return
        viewport.apply_preset(name)

    def export_view(self, path: str | os.PathLike[str] | None = None) -> Path | None:
        """Save the active view as a PNG; by default into the export folder.

        Derived files are never written beside the source (house rule 6): a target
        inside the open study's folder is moved to the export folder, and a banner says so.
        Returns the file written, or None when there was nothing to export.
        """
        viewport = self.grid.active_viewport
        if viewport is None or _viewport_volume(viewport) is None:
            self.notifications.notify("There is no image to export.", level="info", timeout_ms=4000)
            return None
        target = Path(path) if path is not None else _unique(export_dir() / _export_name())
        if target.suffix.lower() != ".png":
            target = target.with_name(target.name + ".png")
        if self._is_inside_study(target):
            moved = _unique(export_dir() / target.name)
            self.notifications.notify(
                f"Exports are not written into the study folder; saved to {moved} instead.",
                level="info",
                timeout_ms=8000,
            )
            target = moved
        image = viewport.grab_view()
        target.parent.mkdir(parents=True, exist_ok=True)
        if image.isNull() or not image.save(str(target)):  # PNG, from the suffix
            self.notifications.notify(f"The view could not be saved to {target}.", level="error")
            return None
        self.status_label.setText(f"Exported the view to {target}")
        logger.info("exported a view (%dx%d)", image.width(), image.height())
        return target

    def _is_inside_study(self, target: Path) -> bool:
        if self.study_path is None:
            return False
        root = Path(self.study_path)
        root = root if root.is_dir() else root.parent
        try:
            target.resolve().relative_to(root.resolve())
        except ValueError:
            return False
        return True

    def shortcut_entries(self) -> list[tuple[str, str, str]]:
        """(group, keys, description) for every menu action with keys, then the viewer's."""
        entries: list[tuple[str, str, str]] = []
        seen: set[tuple[str, str]] = set()

        def walk(menu: QMenu, group: str) -> None:
            for action in menu.actions():
                submenu = action.menu()
                if isinstance(submenu, QMenu):
                    walk(submenu, group)
                    continue
                keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
                if not keys or action.isSeparator():
                    continue
                description = action.text().replace("&", "").replace("…", "").strip()
                if (keys, description) in seen:
                    continue
                seen.add((keys, description))
                entries.append((group, keys, description))

        for title, menu in self.menus.items():
            walk(menu, title)
        for keys, description in VIEWPORT_SHORTCUTS:
            if (keys, description) not in seen:
                entries.append(("Viewer", keys, description))
                seen.add((keys, description))
        return entries + READING_SHORTCUTS

    def show_shortcuts(self) -> ShortcutsDialog:
        """Help → Keyboard Shortcuts (non-modal)."""
        from desktop.dialogs.shortcuts import ShortcutsDialog

        dialog = ShortcutsDialog(self.shortcut_entries(), self)
        self._keep_dialog(dialog)
        return dialog

    def show_tag_browser(self, ref: FileRef | None = None) -> QWidget | None:
        """The DICOM tags of ``ref`` (default: the image in the active viewport), non-modal."""
        ref = ref if ref is not None else self.current_file_ref()
        if ref is None:
            self.notifications.notify(
                "Open an image to see its tags.", level="info", timeout_ms=4000
            )
            return None
        from desktop.dialogs.tag_browser import TagBrowserDialog

        dialog = TagBrowserDialog(ref, self)
        self._keep_dialog(dialog)
        return dialog

    def analyze_image(self) -> JobHandle | None:
        """Analysis → Analyze Image: run the AI model on the active viewport's image.

        Shows the findings panel; returns the job's handle (None when there is nothing
        to run, or the result was already known: the panel then says so or shows it).
        """
        self.ai_dock.show()
        self.ai_dock.raise_()
        self.ai_panel.set_viewport(self.grid.active_viewport)
        return self.ai_panel.analyze()

    def show_models_dialog(self) -> ModelsDialog:
        """Settings → Models: the model packages, their details, and import (non-modal)."""
        from desktop.dialogs.models_dialog import ModelsDialog

        for dialog in self._dialogs:
            if isinstance(dialog, ModelsDialog):
                dialog.raise_()
                dialog.activateWindow()
                return dialog
        dialog = ModelsDialog(parent=self)
        dialog.packages_changed.connect(self.ai_panel.refresh_models)
        self._keep_dialog(dialog)
        return dialog

    def show_reporting_settings(self) -> ReportingSettingsDialog:
        """Settings → Reporting: signer, language model, length, temperature (non-modal)."""
        from desktop.assistant.report_dialogs import ReportingSettingsDialog

        for dialog in self._dialogs:
            if isinstance(dialog, ReportingSettingsDialog):
                dialog.raise_()
                dialog.activateWindow()
                return dialog
        dialog = ReportingSettingsDialog(self.settings, self)
        self._keep_dialog(dialog)
        return dialog

    def show_report_panel(self) -> None:
        self.report_dock.show()
        self.report_dock.raise_()

    def draft_report(self, mode: str = "report") -> JobHandle | None:
        """Report → Draft Report (or Write Impression, Rewrite Selection), panel shown."""
        self.show_report_panel()
        return self.report_panel.draft(mode)

    def sign_report(self) -> QWidget | None:
        """Report → Sign Report: signs, or shows what needs review (with the override)."""
        self.show_report_panel()
        return self.report_panel.sign()

    def export_report(self, kind: str) -> JobHandle | None:
        """Report → Export Report → text, PDF, PDF with key images, DICOM SR."""
        self.show_report_panel()
        return self.report_panel.export(kind)

    def current_file_ref(self) -> FileRef | None:
        """The file of the image shown in the active viewport."""
        viewport = self.grid.active_viewport
        volume = _viewport_volume(viewport) if viewport is not None else None
        if viewport is None or volume is None:
            return None
        frames = volume.geometry.frames
        index = min(max(int(viewport.frame_index), 0), len(frames) - 1)
        return frames[index].instance.ref

    def show_data_protection(self) -> QWidget:
        """Settings → Data Protection: encryption at rest, the key, where exports go."""
        from desktop.dialogs.data_protection import DataProtectionDialog

        shown = next((d for d in self._dialogs if isinstance(d, DataProtectionDialog)), None)
        if shown is None:
            shown = DataProtectionDialog(self)
            shown.protection_changed.connect(lambda said: self.statusBar().showMessage(said, 8000))
            self._keep_dialog(shown)
        shown.raise_()
        shown.activateWindow()
        return shown

    def _keep_dialog(self, dialog: QWidget) -> None:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        self._dialogs.append(dialog)
        dialog.destroyed.connect(lambda *_: self._dialogs.remove(dialog))
        dialog.show()
        dialog.raise_()

    # -- drag and drop of files --------------------------------------------------------------

    @staticmethod
    def _dropped_paths(event: QDragEnterEvent | QDropEvent) -> list[str]:
        mime = event.mimeData()
        if mime is None or not mime.hasUrls():
            return []
        return [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if any(os.path.exists(p) for p in self._dropped_paths(event)):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        event.accept()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        paths = [p for p in self._dropped_paths(event) if os.path.exists(p)]
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        if len(paths) > 1:
            self.notifications.notify(
                f"{len(paths)} items were dropped; opening the first, {paths[0]}.",
                level="info",
                timeout_ms=6000,
            )
        self.open_path(paths[0])

    # -- window events -----------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self.save_settings()
        self._cancel_jobs()
        self.ai_panel.shutdown()
        self.report_panel.shutdown()
        engine = sys.modules.get("core.report.llm")  # loaded only if a draft ran
        if engine is not None:
            engine.shutdown_language_model_process()
        for dialog in list(self._dialogs):
            dialog.close()
        super().closeEvent(event)

    # -- slots: menus ------------------------------------------------------------------------

    def _on_open_folder_triggered(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open Folder", self.settings.last_folder)
        if folder:
            self.settings.last_folder = folder
            self.open_path(folder)

    def _on_open_file_triggered(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Open DICOMDIR or ZIP",
            self.settings.last_folder,
            "DICOMDIR or ZIP (DICOMDIR dicomdir *.zip);;All files (*)",
        )
        if path:
            self.settings.last_folder = os.path.dirname(path)
            self.open_path(path)

    def _on_export_triggered(self) -> None:
        if self.grid.active_viewport is None or _viewport_volume(self.grid.active_viewport) is None:
            self.export_view()  # says there is nothing to export
            return
        suggested = str(_unique(export_dir() / _export_name()))
        path, _ = QFileDialog.getSaveFileName(self, "Export View as PNG", suggested, "PNG (*.png)")
        if path:
            self.export_view(path)

    def _rebuild_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = self.settings.recent_studies
        for number, path in enumerate(recent, start=1):
            action = self.recent_menu.addAction(f"&{number % 10} {path}")
            action.setData(path)
            action.triggered.connect(lambda _=False, p=path: self.open_recent(p))
        if recent:
            self.recent_menu.addSeparator()
        self.recent_menu.addAction(self.clear_recent_action)
        self.clear_recent_action.setEnabled(bool(recent))

    def open_recent(self, path: str) -> JobHandle | None:
        """Open a study from the recent list; a path that is gone leaves the list."""
        if not os.path.exists(path):
            self.settings.remove_recent_study(path)
            self._rebuild_recent_menu()
            self.notifications.notify(
                f"{path} is no longer there; it was removed from the recent studies.",
                level="warning",
            )
            return None
        return self.open_path(path)

    def _on_clear_recent_triggered(self) -> None:
        self.settings.recent_studies = []
        self._rebuild_recent_menu()

    def _rebuild_presets_menu(self) -> None:
        self.presets_menu.clear()
        viewport = self.grid.active_viewport
        presets = viewport.presets() if viewport is not None else []
        for name, center, width in presets:
            action = self.presets_menu.addAction(f"{name}  (C {center:g} / W {width:g})")
            action.triggered.connect(lambda _=False, n=name: self.apply_preset(n))
        user = self.settings.window_presets
        if user:
            self.presets_menu.addSeparator()
            for name, center, width in user:
                action = self.presets_menu.addAction(f"{name}  (C {center:g} / W {width:g})")
                action.triggered.connect(lambda _=False, n=name: self.apply_preset(n))
        if self.presets_menu.isEmpty():
            self.presets_menu.addAction("(no image)").setEnabled(False)

    def _on_view_menu_about_to_show(self) -> None:
        viewport = self.grid.active_viewport
        self.cine_action.setChecked(viewport is not None and viewport.is_playing)

    def _on_tools_menu_about_to_show(self) -> None:
        viewport = self.grid.active_viewport
        if viewport is not None and viewport.tool in self.tool_actions:
            self.tool_actions[viewport.tool].setChecked(True)

    def _on_viewport(self, method: str, *args: Any) -> None:
        viewport = self.grid.active_viewport
        if viewport is not None:
            getattr(viewport, method)(*args)

    def _on_heatmap_triggered(self, checked: bool) -> None:
        self.ai_panel.heatmap_check.setChecked(bool(checked))

    def _on_cine_triggered(self, checked: bool) -> None:
        self._on_viewport("play_cine" if checked else "stop_cine")

    def _on_about_triggered(self) -> None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            release = version("radassist")
        except PackageNotFoundError:
            release = "development"
        QMessageBox.about(
            self,
            "About RadAssist",
            f"<b>RadAssist</b> {release}<br>An offline radiology reading workstation.<br>"
            "Not for primary diagnosis unless your site has validated it.",
        )

    # -- slots: jobs -------------------------------------------------------------------------

    def _on_scan_event(self, event: object) -> None:
        if isinstance(event, Progress):
            self._set_progress(event.done, event.total, event.message)

    def _on_scan_succeeded(self, index: StudyIndex) -> None:
        self.index = index
        self.ai_panel.set_study_index(index)
        self.browser.set_index(index)
        if self.study_path is not None:
            self.settings.add_recent_study(self.study_path)
            self._rebuild_recent_menu()
        self.notifications.notify_unreadable(index.unreadable)
        for note in index.notes:  # e.g. a stale DICOMDIR: said, not the result
            self.notifications.notify(note.message, note.details, "info")
        series = index.all_series()
        if not series:
            what = (
                f"{len(index.non_image)} non-image objects and no images"
                if index.non_image
                else "no DICOM images"
            )
            self.notifications.notify(f"{index.root} holds {what}.", level="warning")
            self.status_label.setText("No images to show")
        else:
            self.status_label.setText(
                f"{len(series)} series, {sum(s.frame_count for s in series)} images"
            )
        self.annotations.open_study(index)  # saved measurements; presentation states
        self.study_opened.emit(index)
        if series:
            largest = max(series, key=lambda s: s.frame_count)  # the first of equals
            self.browser.select_series(largest.key)
            self.load_series(largest)

    def _on_scan_failed(self, error: BaseException) -> None:
        if isinstance(error, CancelledError):
            if self._cancel_requested:
                self.status_label.setText("Reading the study was cancelled")
            return
        self.notifications.notify(
            f"The study could not be read: {_describe_error(error)}", level="error"
        )
        self.status_label.setText("The study could not be read")

    def _on_load_event(self, load: _Load, event: object) -> None:
        from core.dicom.volume import FirstImage

        if isinstance(event, FirstImage):
            load.volume = event.volume
            for viewport in load.viewports:
                viewport.set_volume(event.volume)
                self.first_image_shown.emit(viewport)
        elif isinstance(event, Progress):
            for viewport in load.viewports:
                viewport.refresh()
            self._set_progress(event.done, event.total, event.message)

    def _on_load_succeeded(self, load: _Load, volume: Volume) -> None:
        self._volumes[load.series.key] = volume
        for viewport in load.viewports:
            if load.volume is None:
                viewport.set_volume(volume)
                self.first_image_shown.emit(viewport)
            else:
                viewport.refresh()
        load.volume = volume
        if volume.failures:
            self.notifications.notify_unreadable(volume.failures, what="image")
        self.status_label.setText(
            f"Loaded {_describe_series(load.series)}: {volume.array.shape[0]} images"
        )
        self.series_loaded.emit(volume)

    def _on_load_failed(self, load: _Load, error: BaseException) -> None:
        if isinstance(error, CancelledError):
            if self._cancel_requested:  # not when a newer load replaced this one
                self.status_label.setText("Loading was cancelled")
            return
        self.notifications.notify(
            f"{_describe_series(load.series)} could not be loaded: {_describe_error(error)}",
            level="error",
        )

    def _on_load_finished(self, load: _Load) -> None:
        if self._loads.get(load.series.key) is load:
            del self._loads[load.series.key]
        self._update_busy()

    def _set_progress(self, done: int, total: int, message: str = "") -> None:
        if total > 0:
            self.progress_bar.setRange(0, total)
            self.progress_bar.setValue(min(done, total))
            self.progress_bar.setFormat(f"{message} %v/%m" if message else "%v/%m")
        else:
            self.progress_bar.setRange(0, 0)  # busy indicator
            self.progress_bar.setFormat(message)

    def _update_busy(self) -> None:
        busy = (self._scan is not None and self._scan.is_running) or any(
            load.handle is not None and load.handle.is_running for load in self._loads.values()
        )
        self.progress_bar.setVisible(busy)
        self.cancel_button.setVisible(busy)
        if busy != self._busy:
            self._busy = busy
            self.busy_changed.emit(busy)

    # -- slots: widgets ----------------------------------------------------------------------

    def _on_browser_series_activated(self, series: SeriesRecord) -> None:
        self.load_series(series)

    def _on_browser_tags_requested(self, ref: FileRef) -> None:
        self.show_tag_browser(ref)

    def _on_grid_series_dropped(self, viewport: Viewport, key: str) -> None:
        if self.index is None:
            return
        try:
            series = self.index.find_series(key)
        except RadAssistError:
            logger.warning("a dropped series key is not in the open study")
            return
        self.load_series(series, viewport)

    def _on_grid_active_viewport_changed(self, viewport: Viewport) -> None:
        self.cine_action.setChecked(False)
        self.ai_panel.set_viewport(viewport)
        self.report_panel.set_viewport(viewport)

    def _on_ai_panel_analysis_finished(self, result: AnalysisResult) -> None:
        """Findings of an image of the report's study check the report from now on."""
        study = self.report_panel.study
        uid = result.sop_instance_uid
        if study is None or self.index is None or uid is None:
            return
        for patient in self.index.patients:
            for record in patient.studies:
                if record.study_instance_uid != study.study_instance_uid:
                    continue
                for series in record.series:
                    for inst in series.instances:
                        if inst.sop_instance_uid == uid:  # its header places the findings
                            self.report_panel.add_analysis(result, source=inst.ref)
                            return


def _viewport_key_tokens() -> set[str]:
    """Every key named in :data:`VIEWPORT_SHORTCUTS`, lower case ("r", "shift+r", ...)."""
    tokens: set[str] = set()
    for keys, _ in VIEWPORT_SHORTCUTS:
        for part in re.split(r" / |, | or |…", keys):
            tokens.add(part.strip().lower())
    return tokens


def _viewport_volume(viewport: Viewport) -> Volume | None:
    volume = getattr(viewport, "volume", None)
    return volume() if callable(volume) else volume


def _describe_series(series: SeriesRecord) -> str:
    number = f"series {series.series_number}" if series.series_number is not None else "series"
    description = f" ({series.description})" if series.description else ""
    return f"{series.modality} {number}{description}"


def _describe_error(error: BaseException) -> str:
    if isinstance(error, DicomError | RadAssistError):
        return str(error)
    return f"{type(error).__name__}: {error}"


def _export_name() -> str:
    return f"radassist-view-{datetime.now():%Y%m%d-%H%M%S}.png"


def _unique(path: Path) -> Path:
    candidate, number = path, 2
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")
        number += 1
    return candidate
