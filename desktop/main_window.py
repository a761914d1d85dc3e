"""The reading window: study browser on the left, viewer grid in the centre, AI findings right.

It assembles the parts and runs the long work as jobs on :mod:`desktop.workers`:
opening a study scans it (status-bar progress, Cancel), then the largest image series
loads into the active viewport, the first image showing as soon as it is read
(:class:`core.dicom.volume.FirstImage`) and the rest filling in. What cannot be read is
reported in a banner (:mod:`desktop.notifications`); everything else keeps working.
Heavy engine modules (pydicom through the index and the loader) are imported on the job
threads, so opening a study never blocks the GUI thread on an import.

The window is split by job: :mod:`desktop.window_actions` builds every action and the menu
bar, :mod:`desktop.study_opening` asks for studies (folder, DICOMDIR or ZIP, drops, recent)
and :mod:`desktop.window_dialogs` keeps the non-modal dialogs; :mod:`desktop.archive` adds the
study list dock, the receiving node, priors and the study exports. The scan of the study
being opened (or its index read from the archive, :meth:`MainWindow.open_index`) runs in a
:class:`~desktop.workers.JobSlot`: opening another supersedes it.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QLabel,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.dicom.overlays import read_display_header
from core.dicom.volume import FirstImage, load_series
from core.errors import CancelledError, RadAssistError, describe_error
from core.jobs import CancelToken, Progress
from core.paths import demo_study_dir
from desktop import view_export, workers
from desktop.archive.window_part import ArchiveWindowPart
from desktop.assistant.ai_panel import AIPanel
from desktop.assistant.report_dialogs import ReportingSettingsDialog
from desktop.assistant.report_panel import ReportPanel
from desktop.browser.study_browser import StudyBrowser
from desktop.install_status import InstallStatus
from desktop.mime import SERIES_MIME_TYPE
from desktop.notifications import NotificationArea
from desktop.reading_keys import ReadingKeys
from desktop.settings import LAYOUTS, Settings
from desktop.study_opening import accept_drag, open_dropped, open_recent, rebuild_recent_menu
from desktop.viewer.annotation_keeper import AnnotationKeeper
from desktop.viewer.grid import ViewerGrid
from desktop.viewer.hanging_window import install_hanging
from desktop.viewer.mpr_window import install_mpr
from desktop.viewer.viewport import Viewport
from desktop.window_actions import TOOLS, build_actions, build_menus, list_shortcuts
from desktop.window_dialogs import DialogKeeper
from desktop.window_open_steps import OpenSteps
from desktop.workers import JobSlot

if TYPE_CHECKING:
    from PySide6.QtGui import QAction, QActionGroup
    from PySide6.QtWidgets import QMenu

    from core.analysis.inference import AnalysisResult
    from core.dicom.records import FileRef, SeriesRecord, StudyIndex
    from core.dicom.volume import Volume
    from desktop.assistant.report_dialogs import ReportingSettingsDialog
    from desktop.dialogs.data_protection import DataProtectionDialog
    from desktop.dialogs.models_dialog import ModelsDialog
    from desktop.dialogs.shortcuts import ShortcutsDialog
    from desktop.workers import JobHandle

logger = logging.getLogger(__name__)

__all__ = ["SERIES_MIME", "TOOLS", "MainWindow"]

#: Mime type of a series dragged from the browser (payload: the series key, utf-8).
SERIES_MIME = SERIES_MIME_TYPE  # the name the tests and older code use


def _scan_job(path: str, token: CancelToken) -> Generator[Progress, None, StudyIndex]:
    # lazy: imported on the job's thread (the scan machinery is not on the window's start-up path)
    from core.dicom.index import scan_path

    index: StudyIndex = yield from scan_path(path, token)
    return index


def _load_job(series: SeriesRecord, token: CancelToken) -> Generator[Any, None, Volume]:
    """Load a series; the viewport's display header is read here, not on the GUI thread."""
    job = load_series(series, token)
    try:
        while True:
            event = next(job)
            if isinstance(event, FirstImage) and "display_header" not in event.volume.extra:
                event.volume.extra["display_header"] = read_display_header(series)
            yield event
    except StopIteration as stop:
        volume: Volume = stop.value
        return volume
    finally:
        job.close()


@dataclass(eq=False)
class _Load:
    """A series loading, and the viewports waiting for it."""

    series: SeriesRecord
    viewports: list[Viewport] = field(default_factory=list)
    handle: JobHandle | None = None
    volume: Volume | None = None


#: The progress bar shows a job's progress at most this often (milliseconds).
PROGRESS_SHOWN_EVERY_MS = 100
#: The longest an opening's panels (browser, AI panel, measurements, notifications) wait
#: for its largest series to load: GUI work during the load holds its readers back
#: (desktop.window_open_steps).
PANELS_WAIT_FOR_LOAD_S = 0.3


class MainWindow(QMainWindow):
    """The RadAssist reading window.

    Signals
    -------
    study_opened(object)
        The :class:`~core.dicom.records.StudyIndex` of a study just opened, once the browser
        and panels show it. Its first image shows before; the panels wait for its largest
        series to load (at most :data:`PANELS_WAIT_FOR_LOAD_S`), so a study whose largest
        series loads within that time says so after ``series_loaded``.
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

    # Built onto the window by desktop.window_actions (build_actions, then build_menus),
    # the way a Qt Designer setupUi builds a form; part of the window's public API.
    open_folder_action: QAction
    open_file_action: QAction
    recent_menu: QMenu
    clear_recent_action: QAction
    export_action: QAction
    export_gsps_action: QAction
    archive_action: QAction
    query_pacs_action: QAction
    export_anonymised_action: QAction
    export_media_action: QAction
    send_to_pacs_action: QAction
    nodes_action: QAction
    archive_settings_action: QAction
    quit_action: QAction
    layout_group: QActionGroup
    layout_actions: dict[tuple[int, int], QAction]
    overlays_action: QAction
    sync_action: QAction
    presets_menu: QMenu
    auto_window_action: QAction
    cine_action: QAction
    next_series_action: QAction
    previous_series_action: QAction
    browser_action: QAction
    focus_browser_action: QAction
    tool_group: QActionGroup
    tool_actions: dict[str, QAction]
    undo_action: QAction
    delete_action: QAction
    invert_action: QAction
    rotate_right_action: QAction
    rotate_left_action: QAction
    flip_h_action: QAction
    flip_v_action: QAction
    fit_action: QAction
    actual_size_action: QAction
    reset_action: QAction
    tags_action: QAction
    analyze_action: QAction
    cancel_analysis_action: QAction
    heatmap_action: QAction
    ai_panel_action: QAction
    draft_report_action: QAction
    write_impression_action: QAction
    rewrite_action: QAction
    stop_drafting_action: QAction
    mark_all_reviewed_action: QAction
    sign_report_action: QAction
    addendum_action: QAction
    export_report_actions: dict[str, QAction]
    report_panel_action: QAction
    models_action: QAction
    reporting_action: QAction
    data_protection_action: QAction
    shortcuts_action: QAction
    about_action: QAction
    menus: dict[str, QMenu]  # menu title ("File", "View"...) to the menu

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
        # The scan (or demo preparation) of the study being opened: a newer one supersedes it.
        self._scan_slot = JobSlot(self, name="scan")
        self._loads: dict[str, _Load] = {}
        self._volumes: dict[str, Volume] = {}
        self._busy = False
        self._cancel_requested = False  # the person pressed Cancel (not a superseded job)
        self._tool = "none"
        self._dialog_keeper = DialogKeeper(self)
        self._remember_study = False  # whether the study opening joins the recent list
        # What follows a scan's result (browser, panels, measurements), a turn per step.
        self._after_open = OpenSteps(self)
        self._after_open.drained.connect(self._update_busy)

        self._build_widgets()
        # The study archive: the study list dock, the receiving node, exports, PACS dialogs.
        self.archive_part = ArchiveWindowPart(self)
        self.report_panel.archive_provider = lambda: self.archive_part.keeper.archive
        build_actions(self)
        build_menus(self)
        self.mpr = install_mpr(self)  # View → Layout → MPR 1×3 / 2×2
        self.hanging = install_hanging(self)  # View → Hanging Protocol
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
        self.browser_dock = QDockWidget(self.tr("Study", "dock title"), self)
        self.browser_dock.setObjectName("browser_dock")
        self.browser_dock.setWidget(self.browser)
        self.browser_dock.setAllowedAreas(
            Qt.DockWidgetArea.LeftDockWidgetArea | Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.browser_dock)

        # AI findings on the right; its model list is read on a job thread.
        self.ai_panel = AIPanel(self, settings=self.settings)
        self.ai_dock = QDockWidget(self.tr("AI Findings"), self)
        self.ai_dock.setObjectName("ai_dock")
        self.ai_dock.setWidget(self.ai_panel)
        self.ai_dock.setAllowedAreas(
            Qt.DockWidgetArea.LeftDockWidgetArea | Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.ai_dock)
        self.series_loaded.connect(lambda _: self.ai_panel.refresh())  # frames now readable

        # The report, tabbed with the AI findings: the study's draft opens with the study.
        self.report_panel = ReportPanel(self, settings=self.settings)
        self.report_dock = QDockWidget(self.tr("Report", "dock title"), self)
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
        self.progress_bar.setMinimumWidth(180)  # "reading images 512/512" on one line
        self.progress_bar.setTextVisible(True)
        # QProgressBar.setValue repaints at once, and with it every widget waiting for a
        # paint (the viewport filling in): progress is shown at most this often.
        self._progress_pending: tuple[int, int, str] | None = None
        self._progress_timer = QTimer(self)
        self._progress_timer.setSingleShot(True)
        self._progress_timer.setInterval(PROGRESS_SHOWN_EVERY_MS)
        self._progress_timer.timeout.connect(self._show_progress)
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.setObjectName("import_cancel")
        self.cancel_button.setToolTip(self.tr("Stop reading the study"))
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
        """True while a scan or a load runs, an opened study's panels are being filled, or
        its hanging protocol is about to lay it out."""
        return self._busy or self.hanging.pending

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
            self.notifications.notify(
                self.tr("{path}: no such file or folder").format(path=target), level="error"
            )
            return None
        title = os.path.basename(target.rstrip(os.sep)) or target
        return self.open_index(lambda token: _scan_job(target, token), title, path=target)

    def open_index(
        self,
        factory: Callable[[CancelToken], Any],
        title: str,
        *,
        path: str | None = None,
    ) -> JobHandle:
        """Close the study and open the StudyIndex that the job ``factory(token)`` returns.

        ``path`` (a folder, DICOMDIR or zip) joins the recent studies once it opens; an
        index from the study archive (:mod:`desktop.archive`) has none: its folder in
        the archive becomes :attr:`study_path`.
        """
        self.close_study()
        self._cancel_requested = False
        self.study_path = path
        self._remember_study = path is not None
        self.setWindowTitle(self.tr("RadAssist — {title}").format(title=title))
        self.status_label.setText(self.tr("Reading {title}…").format(title=title))
        handle = self._scan_slot.start(
            factory,
            on_event=self._on_scan_event,
            on_result=self._on_scan_succeeded,
            on_error=self._on_scan_failed,
            on_finished=self._update_busy,
        )
        self._set_progress(0, 0)
        self._update_busy()
        return handle

    def open_demo(self) -> JobHandle:
        """Open the bundled demo study, generating it first when it is missing."""
        self.status_label.setText(self.tr("Preparing the demo study…"))

        def demo_job(token: CancelToken) -> Generator[Progress, None, Path]:
            yield Progress(0, 0, self.tr("preparing the demo study"))
            # Local: core.cli brings the worker-process machinery, not needed to show the window.
            from core.cli import ensure_demo_study  # lazy: not on the window's start-up path

            return ensure_demo_study()

        def on_error(error: BaseException) -> None:
            if not isinstance(error, CancelledError):
                self.notifications.notify(
                    self.tr("The demo study could not be prepared in {folder}: {error}").format(
                        folder=demo_study_dir(), error=error
                    ),
                    level="error",
                )

        def on_result(folder: Path) -> None:
            self.open_path(folder)

        handle = self._scan_slot.start(
            demo_job,
            on_result=on_result,
            on_error=on_error,
            on_finished=self._update_busy,
            name="demo",
        )
        self._set_progress(0, 0)
        self._update_busy()
        return handle

    def open_recent(self, path: str) -> JobHandle | None:
        """Open a study from the recent list; a path that is gone leaves the list."""
        return open_recent(self, path)

    def _rebuild_recent_menu(self) -> None:
        rebuild_recent_menu(self)

    def close_study(self) -> None:
        """Stop the current scan and loads and empty the browser and viewports."""
        self._cancel_jobs()
        self._after_open.cancel()  # nothing of this study fills a panel afterwards
        self.index = None
        self.study_path = None
        self._volumes.clear()
        self.hanging.forget_study()  # its reformats hold the closed study's volume
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
        self._scan_slot.cancel()
        for load in list(self._loads.values()):
            if load.handle is not None:
                load.handle.cancel()

    def load_series(
        self, series: SeriesRecord, viewport: Viewport | None = None, *, follow_report: bool = True
    ) -> JobHandle | None:
        """Show ``series`` in ``viewport`` (default: the active one), loading it if needed.

        The report panel follows to the series' study unless ``follow_report`` is False
        (an opening's panels do it once the series has loaded).

        Returns the load's job handle, or None when the volume was already loaded (or
        is loading: the viewport then joins that load).
        """
        viewport = viewport if viewport is not None else self.grid.grid_viewport
        self._detach(viewport, keep=series.key)
        loaded = self._volumes.get(series.key)
        if loaded is not None:
            if follow_report:
                self._follow_report(series)
            viewport.set_volume(loaded)
            self.first_image_shown.emit(viewport)
            return None
        load = self._loads.get(series.key)
        if load is not None:
            if follow_report:
                self._follow_report(series)
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
        if follow_report:  # after the readers started: the panel's work overlaps them
            self._follow_report(series)
        self.status_label.setText(
            self.tr("Loading {series}…").format(series=_describe_series(series))
        )
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
        """Save the active view as a PNG (:func:`desktop.view_export.export_view`)."""
        return view_export.export_view(self, path)

    def ask_and_export_view(self) -> None:
        """File → Export View as PNG (:func:`desktop.view_export.ask_and_export_view`)."""
        view_export.ask_and_export_view(self)

    def shortcut_entries(self) -> list[tuple[str, str, str]]:
        """(group, keys, description) for every menu action with keys, then the viewer's."""
        return list_shortcuts(self.menus)

    def show_shortcuts(self) -> ShortcutsDialog:
        """Help → Keyboard Shortcuts (non-modal)."""
        # lazy: dialogs are imported when first opened (start-up pays for none)
        from desktop.dialogs.shortcuts import ShortcutsDialog

        return self._dialog_keeper.keep(ShortcutsDialog(self.shortcut_entries(), self))

    def show_tag_browser(self, ref: FileRef | None = None) -> QWidget | None:
        """The DICOM tags of ``ref`` (default: the image in the active viewport), non-modal."""
        ref = ref if ref is not None else self.current_file_ref()
        if ref is None:
            self.notifications.notify(
                self.tr("Open an image to see its tags."), level="info", timeout_ms=4000
            )
            return None
        from desktop.dialogs.tag_browser import TagBrowserDialog  # lazy: when first opened

        return self._dialog_keeper.keep(TagBrowserDialog(ref, self))

    def analyze_image(self) -> JobHandle | None:
        """Analysis → Analyze Image: run the AI model on the active viewport's image.

        Shows the findings panel; returns the job's handle (None when there is nothing
        to run, or the result was already known: the panel then says so or shows it).
        """
        self.ai_dock.show()
        self.ai_dock.raise_()
        self.ai_panel.set_viewport(self.grid.grid_viewport)  # never a reformatted plane
        return self.ai_panel.analyze()

    def show_models_dialog(self) -> ModelsDialog:
        """Settings → Models: the model packages, their details, and import (non-modal)."""
        from desktop.dialogs.models_dialog import ModelsDialog  # lazy: when first opened

        def create() -> ModelsDialog:
            dialog = ModelsDialog(parent=self)
            dialog.packages_changed.connect(self.ai_panel.refresh_models)
            return dialog

        return self._dialog_keeper.show_single(ModelsDialog, create)

    def show_reporting_settings(self) -> ReportingSettingsDialog:
        """Settings → Reporting: signer, language model, length, temperature (non-modal)."""

        return self._dialog_keeper.show_single(
            ReportingSettingsDialog, lambda: ReportingSettingsDialog(self.settings, self)
        )

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
        volume = viewport.volume
        if volume is None:
            return None
        frames = volume.geometry.frames
        index = min(max(int(viewport.frame_index), 0), len(frames) - 1)
        return frames[index].instance.ref

    def show_data_protection(self) -> DataProtectionDialog:
        """Settings → Data Protection: encryption at rest, the key, where exports go."""
        from desktop.dialogs.data_protection import DataProtectionDialog  # lazy: when first opened

        def create() -> DataProtectionDialog:
            dialog = DataProtectionDialog(self)
            dialog.protection_changed.connect(lambda said: self.statusBar().showMessage(said, 8000))
            return dialog

        return self._dialog_keeper.show_single(DataProtectionDialog, create)

    @property
    def dialog_keeper(self) -> DialogKeeper:
        """The window's non-modal dialogs (kept while open, one of a kind where asked)."""
        return self._dialog_keeper

    @property
    def _dialogs(self) -> list[QWidget]:
        """The non-modal dialogs open now (tests look at them)."""
        return self._dialog_keeper.open

    # -- drag and drop of files --------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        accept_drag(event)

    def dragMoveEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        event.accept()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        open_dropped(self, event)

    # -- window events -----------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self.save_settings()
        self._cancel_jobs()
        self.ai_panel.shutdown()
        self.report_panel.shutdown()
        self.archive_part.shutdown()
        engine = sys.modules.get("core.report.llm")  # loaded only if a draft ran
        if engine is not None:
            engine.shutdown_language_model_process()
        self._dialog_keeper.close_all()
        super().closeEvent(event)

    # -- slots: jobs -------------------------------------------------------------------------

    def _on_scan_event(self, event: object) -> None:
        if isinstance(event, Progress):
            self._set_progress(event.done, event.total, event.message)

    def _on_scan_succeeded(self, index: StudyIndex) -> None:
        """Start loading the largest series; the panels fill a turn each once it has loaded
        (rule 3; at most :data:`PANELS_WAIT_FOR_LOAD_S` later).

        Closing the study or opening another forgets the steps left (:class:`OpenSteps`).
        """
        self.index = index
        series = index.all_series()
        if self.study_path is None:
            self.study_path = index.root  # a study from the archive: its folder there
        # The largest series loads first; the panels fill after it, not during it.
        largest = max(series, key=lambda s: s.frame_count) if series else None  # first of equals
        loading = None
        if largest is not None:
            loading = self.load_series(largest, follow_report=False)  # a step below
            self.status_label.setText(
                self.tr("{series} series, {images} images").format(
                    series=len(series), images=sum(s.frame_count for s in series)
                )
            )

        def shown() -> StudyIndex:  # a series that arrived meanwhile grew the open index
            return self.index if self.index is not None else index

        self._after_open.start(
            [
                lambda: self._follow_report(largest) if largest is not None else None,
                lambda: self.ai_panel.set_study_index(shown()),
                lambda: self.browser.set_index(shown()),
                lambda: self.browser.select_series(largest.key if largest else None),
                lambda: self._say_what_opened(shown()),
                lambda: self._open_annotations(shown()),
                lambda: self.study_opened.emit(shown()),
            ],
            wait_s=None if loading is None else PANELS_WAIT_FOR_LOAD_S,
        )
        self._update_busy()

    def _open_annotations(self, index: StudyIndex) -> None:
        self.annotations.open_study(index)  # saved measurements; presentation states
        for viewport in self.grid.viewports:  # an image that showed before they were read
            if viewport.volume is not None:
                self.annotations.show_on(viewport)

    def _say_what_opened(self, index: StudyIndex) -> None:
        """The recent studies, and the notifications of an opened study."""
        if self._remember_study and self.study_path is not None:
            self.settings.add_recent_study(self.study_path)
            rebuild_recent_menu(self)
        self.notifications.notify_unreadable(index.unreadable)
        for note in index.notes:  # e.g. a stale DICOMDIR: said, not the result
            self.notifications.notify(note.message, note.details, "info")
        if index.all_series():
            return
        if index.non_image:
            said = self.tr("{folder} holds {count} non-image objects and no images.").format(
                folder=index.root, count=len(index.non_image)
            )
        else:
            said = self.tr("{folder} holds no DICOM images.").format(folder=index.root)
        self.notifications.notify(said, level="warning")
        self.status_label.setText(self.tr("No images to show"))

    def _on_scan_failed(self, error: BaseException) -> None:
        if isinstance(error, CancelledError):
            if self._cancel_requested:
                self.status_label.setText(self.tr("Reading the study was cancelled"))
            return
        self.notifications.notify(
            self.tr("The study could not be read: {reason}").format(reason=describe_error(error)),
            level="error",
        )
        self.status_label.setText(self.tr("The study could not be read"))

    def _on_load_event(self, load: _Load, event: object) -> None:
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
            self.tr("Loaded {series}: {images} images").format(
                series=_describe_series(load.series), images=volume.array.shape[0]
            )
        )
        self.series_loaded.emit(volume)

    def _on_load_failed(self, load: _Load, error: BaseException) -> None:
        if isinstance(error, CancelledError):
            if self._cancel_requested:  # not when a newer load replaced this one
                self.status_label.setText(self.tr("Loading was cancelled"))
            return
        self.notifications.notify(
            self.tr("{series} could not be loaded: {reason}").format(
                series=_describe_series(load.series), reason=describe_error(error)
            ),
            level="error",
        )

    def _on_load_finished(self, load: _Load) -> None:
        if self._loads.get(load.series.key) is load:
            del self._loads[load.series.key]
        self._after_open.release()  # the panels waiting for a load (loaded, failed or cancelled)
        self._update_busy()

    def _set_progress(self, done: int, total: int, message: str = "") -> None:
        """Show progress: now when none was shown lately or it is the end, else a moment later."""
        self._progress_pending = (done, total, message)
        if (total > 0 and done >= total) or not self._progress_timer.isActive():
            self._show_progress()
            self._progress_timer.start()

    def _show_progress(self) -> None:
        if self._progress_pending is None:
            return
        (done, total, message), self._progress_pending = self._progress_pending, None
        bar = self.progress_bar
        # One paint, at the next turn: QProgressBar.setValue repaints at once (~3 ms), and
        # this runs while a loading series' readers wait (core.jobs.ForegroundGate).
        bar.setUpdatesEnabled(False)
        try:
            if total > 0:
                bar.setRange(0, total)
                bar.setValue(min(done, total))
                bar.setFormat(f"{message} %v/%m" if message else "%v/%m")
            else:
                bar.setRange(0, 0)  # busy indicator
                bar.setFormat(message)
        finally:
            bar.setUpdatesEnabled(True)

    def _update_busy(self) -> None:
        busy = any(
            load.handle is not None and load.handle.is_running for load in self._loads.values()
        )
        busy = busy or self._scan_slot.is_running or bool(self._after_open.pending)
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


def _describe_series(series: SeriesRecord) -> str:
    """ "CT series 3 (Chest)", in the interface language (modality and description as stored)."""
    if series.series_number is not None:
        text = QCoreApplication.translate("MainWindow", "{modality} series {number}").format(
            modality=series.modality, number=series.series_number
        )
    else:
        text = QCoreApplication.translate("MainWindow", "{modality} series").format(
            modality=series.modality
        )
    return f"{text} ({series.description})" if series.description else text
