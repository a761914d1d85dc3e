"""The study archive's part of the reading window: the study list dock and what it opens.

:class:`ArchiveWindowPart` is built by :class:`desktop.main_window.MainWindow`; it holds
the window's :class:`~desktop.archive.keeper.ArchiveKeeper`, the "Study List" dock
(hidden until File → Study Archive… shows it; the window remembers it), the receiver's
status-bar label, and the slots of the menu entries this issue adds: Query PACS, the
anonymised and media exports, Send to PACS, DICOM Nodes and the archive's settings.

A study opens from the archive's index (:meth:`core.archive.Archive.study_index`: no
header is read again) through the window's scan slot, so opening another study
supersedes it exactly as opening a folder does. A study arriving from the PACS opens as
soon as its first series has landed; each later series joins the series browser without
touching the viewer.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QLabel

from core.errors import CancelledError
from core.jobs import CancelToken, Progress
from desktop.archive.keeper import REBUILD_MESSAGE, ArchiveKeeper, rebuild_progress_text
from desktop.archive.priors import PriorOffer
from desktop.archive.study_list import StudyListPanel
from desktop.browser.formatting import format_date
from desktop.number_format import format_count
from desktop.workers import JobHandle, JobSlot

if TYPE_CHECKING:
    from core.dicom.records import StudyIndex
    from desktop.main_window import MainWindow

logger = logging.getLogger(__name__)

__all__ = ["ArchiveWindowPart", "study_uids_of"]


def study_uids_of(index: StudyIndex | None) -> set[str]:
    """The Study Instance UIDs of an index."""
    if index is None:
        return set()
    return {study.study_instance_uid for patient in index.patients for study in patient.studies}


class ArchiveWindowPart:
    """The window's study archive, study list dock, receiver status and archive menus.

    Parameters
    ----------
    window : MainWindow
    """

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.keeper = ArchiveKeeper(window.settings, parent=window)
        self.keeper.open_study_uids = lambda: study_uids_of(window.index)
        self.panel = StudyListPanel(self.keeper, window)
        self.dock = QDockWidget(
            QCoreApplication.translate("ArchiveWindowPart", "Study List"), window
        )
        self.dock.setObjectName("archive_dock")
        self.dock.setWidget(self.panel)
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.dock)
        self.dock.hide()
        self.dock.visibilityChanged.connect(self._on_dock_visibility_changed)
        self.receiver_label = QLabel("")
        self.receiver_label.setObjectName("receiver_status")
        window.statusBar().addPermanentWidget(self.receiver_label)
        self.receiver_label.hide()
        # Series of a study being retrieved: the browser follows, one refresh at a time.
        self._refresh_slot = JobSlot(window, name="archive-study-refresh")
        # Gathering the open study's results for Send to PACS (reads export headers).
        self.send_slot = JobSlot(window, name="send-gather")
        self.priors = PriorOffer(window, self.keeper)

        self.panel.open_requested.connect(self.open_study)
        self.keeper.message.connect(self._on_keeper_message)
        # After the panel's own slot (connected in its constructor): the rebuild's words win.
        self.keeper.progress.connect(self._on_keeper_progress)
        self.keeper.receiver_changed.connect(self._on_keeper_receiver_changed)
        if window.settings.receiver_enabled:
            QTimer.singleShot(0, window, self.keeper.start_receiver)  # once the window is up

    # -- the study list --------------------------------------------------------------------

    def show_study_list(self) -> StudyListPanel:
        """File → Study Archive…: show the study list and put the cursor in its search."""
        self.dock.show()
        self.dock.raise_()
        self.panel.activate()
        return self.panel

    def _on_dock_visibility_changed(self, visible: bool) -> None:
        if visible:
            self.panel.activate()

    def open_study(self, study_uid: str) -> JobHandle | None:
        """Open a study of the archive in the window, from its index (no header re-read)."""
        archive = self.keeper.archive
        if archive is None:
            self.keeper.when_open(lambda: self.open_study(study_uid))
            return None

        def open_job(token: CancelToken) -> StudyIndex:
            index = archive.study_index(study_uid)
            token.raise_if_cancelled()
            archive.mark_opened(study_uid)  # retention removes the least recently opened
            return index

        handle = self.window.open_index(
            open_job, QCoreApplication.translate("ArchiveWindowPart", "study from the archive")
        )
        handle.succeeded.connect(lambda index: self.window.setWindowTitle(_title_of(index)))
        return handle

    # -- a study arriving from the PACS ----------------------------------------------------

    def open_arriving_study(self, study_uid: str) -> JobHandle | None:
        """QueryDialog's ``study_arrived``: its first series has landed; open it now."""
        return self.open_study(study_uid)

    def add_arrived_series(self, study_uid: str, series_uid: str) -> JobHandle | None:
        """QueryDialog's ``series_arrived``: show the new series in the series browser.

        The viewer keeps what it shows; a series of a study that is not open is ignored
        (it is in the archive, and the study list shows it).
        """
        archive = self.keeper.archive
        if archive is None or study_uid not in study_uids_of(self.window.index):
            return None

        def refresh_job(token: CancelToken) -> StudyIndex:
            return archive.study_index(study_uid)

        def on_result(index: StudyIndex) -> None:
            if study_uid in study_uids_of(self.window.index):  # still the open study
                self.update_open_index(index)

        def on_error(error: BaseException) -> None:
            if not isinstance(error, CancelledError):
                logger.warning("a new series could not be listed (%s)", type(error).__name__)

        return self._refresh_slot.start(refresh_job, on_result=on_result, on_error=on_error)

    def update_open_index(self, index: StudyIndex) -> None:
        """Show a grown index of the open study in the browser; the viewer is untouched."""
        window = self.window
        selected = window.browser.selected_series()
        window.index = index
        window.browser.set_index(index)
        window.ai_panel.set_study_index(index)
        window.browser.select_series(selected.key if selected is not None else None)
        series = index.all_series()
        said = QCoreApplication.translate(
            "ArchiveWindowPart", "{series} series, {images} images"
        ).format(
            series=format_count(len(series)),
            images=format_count(sum(s.frame_count for s in series)),
        )
        window.status_label.setText(said)

    # -- status and messages ---------------------------------------------------------------

    def _on_keeper_progress(self, event: object) -> None:
        """An opening rebuilds the index: the study list shows it, counted, with Cancel."""
        if not isinstance(event, Progress) or event.message != REBUILD_MESSAGE:
            return
        if not self.dock.isVisible():
            self.show_study_list()  # the list it rebuilds appears when it is done
        bar = self.panel.progress_bar
        text = rebuild_progress_text(event.done, event.total)
        # Wide enough to read the counts (the layout gave the bar its small default).
        wide = bar.fontMetrics().horizontalAdvance(rebuild_progress_text(event.total, event.total))
        bar.setMaximumWidth(max(bar.maximumWidth(), wide + 40))
        bar.setMinimumWidth(max(bar.minimumWidth(), wide + 40))
        bar.setFormat(text)
        self.panel.cancel_button.show()

    def _on_keeper_message(self, text: str, level: str) -> None:
        timeout = 8000 if level == "info" else None
        self.window.notifications.notify(text, level=level, timeout_ms=timeout)

    def _on_keeper_receiver_changed(self, text: str) -> None:
        self.receiver_label.setText(text)
        self.receiver_label.setVisible(bool(text))

    # -- the window closing ------------------------------------------------------------------

    def shutdown(self) -> None:
        """Stop the receiver and close the archive (the window is closing)."""
        self._refresh_slot.discard()
        self.send_slot.discard()
        self.priors.shutdown()
        self.keeper.close()


def _title_of(index: StudyIndex) -> str:
    studies = [study for patient in index.patients for study in patient.studies]
    study = studies[0] if studies else None
    parts = (format_date(study.study_date), study.study_description) if study else ()
    what = " ".join(part for part in parts if part)
    if not what:
        what = QCoreApplication.translate("ArchiveWindowPart", "study from the archive")
    return f"RadAssist — {what}"
