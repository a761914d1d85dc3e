"""Saving the report panel's draft: on a job thread, at most a second after it changed.

:class:`DraftSaver` saves the draft of the session it is given with the session's
:class:`~core.report.store.DraftStore` (atomic and journaled there). A change asks for
a save with :meth:`DraftSaver.schedule`; when the time comes the saver says so
(:attr:`DraftSaver.due`), so that the panel can take the latest typing into the report
first and then call :meth:`DraftSaver.save`. A save asked for while one runs follows it.

Every write runs on the job pool, closing a study's included: :meth:`DraftSaver.close`
hands the last save and the end of the editing session to a job that follows the save
still running, and blocks the GUI thread on it for at most ``_WAIT_S`` seconds without
spinning an event loop (nothing else of the window runs meanwhile).
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Final

from PySide6.QtCore import QObject, QTimer, Signal

from core.errors import RadAssistError
from core.jobs import CancelToken
from core.report.document import Report
from core.report.workflow import describe_error
from desktop import workers
from desktop.workers import JobSlot

if TYPE_CHECKING:
    from core.report.store import DraftStore
    from core.report.workflow import ReportSession

logger = logging.getLogger(__name__)

__all__ = ["SAVE_INTERVAL_MS", "DraftSaver"]

#: The draft is saved at most this long after a change.
SAVE_INTERVAL_MS: Final = 1000
#: How long closing a study waits for the save that runs and its own.
_WAIT_S: Final = 10.0


class _Write:
    """One write on the job pool: what it saved or why it failed, and when it ended.

    Set on the job's thread; read on the GUI thread only once :attr:`done` is set.
    """

    def __init__(self, previous: _Write | None = None) -> None:
        self.previous = previous  # the write this one follows
        self.done = threading.Event()
        self.saved: Report | None = None
        self.error: BaseException | None = None

    def save(self, store: DraftStore, report: Report, token: CancelToken) -> Report:
        """A save (job thread): ``report`` into ``store``."""
        try:
            store.save(report)
            self.saved = report
            return report
        except BaseException as error:
            self.error = error
            raise
        finally:
            self.done.set()

    def close(self, session: ReportSession, token: CancelToken) -> None:
        """A study's closing (job thread): save what changed, then end the editing."""
        try:
            if self.previous is not None:
                self.previous.done.wait(_WAIT_S)  # never two writes of one draft at once
            report = session.report_to_save()
            if report is not None:
                try:
                    session.save()
                    self.saved = report
                except (RadAssistError, OSError) as error:
                    self.error = error
            session.close()  # a failed save is tried once more there, and logged
        finally:
            self.done.set()


class DraftSaver(QObject):
    """Saves :attr:`session`'s draft when it changed, on a job thread.

    Signals
    -------
    due()
        Time to save: take what was typed into the report, then call :meth:`save`.
    saved(object)
        The :class:`~core.report.document.Report` now on disk.
    failed(str)
        Why the draft could not be saved.
    """

    due = Signal()
    saved = Signal(object)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session: ReportSession | None = None
        self._slot = JobSlot(self, name="report-save")
        self._write: _Write | None = None  # the slot's job's
        self._again = False
        self._last_error = ""
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SAVE_INTERVAL_MS)
        self._timer.timeout.connect(self.due)

    @property
    def is_saving(self) -> bool:
        return self._slot.is_running

    def schedule(self) -> None:
        """Save within :data:`SAVE_INTERVAL_MS` (a save already due stays due)."""
        if not self._timer.isActive():
            self._timer.start()

    def save(self) -> None:
        """Save the draft if it changed, on a job thread (after the save that runs)."""
        session = self.session
        if session is None or session.recovering or session.in_use_elsewhere:
            return
        if self.is_saving:
            self._again = True
            return
        report = session.report_to_save()
        if report is None:
            return
        store = session.store
        assert store is not None  # report_to_save() says a session without one has none
        write = self._write = _Write()
        self._slot.start(
            lambda token: write.save(store, report, token),
            on_result=lambda _: self._on_saved(report),
            on_error=self._on_save_failed,
            on_finished=self._on_save_finished,
        )

    def close(self) -> None:
        """Save what changed and end :attr:`session`'s editing, then forget the session.

        Both run in a job after the save that runs; the GUI thread waits for it, at most
        ``_WAIT_S`` seconds and without an event loop, then reports the outcome: a save
        still running after that finishes unreported (the log says so).
        """
        session, self.session = self.session, None
        self._timer.stop()
        self._again = False
        if session is None:
            return
        running = self._write if self.is_saving else None
        closing = _Write(running)
        workers.start_job(lambda token: closing.close(session, token), name="report-close")
        finished = closing.done.wait(_WAIT_S)
        self._slot.discard()  # its outcome, if any, is reported here, in order
        self._write = None
        for write in (running, closing):
            if write is None or not write.done.is_set():
                continue
            if write.saved is not None:
                self._on_saved(write.saved, session)
            elif write.error is not None:
                self._on_save_failed(write.error)
        if not finished:
            logger.warning("closing the draft takes over %.0f s: it goes on in a job", _WAIT_S)

    def _on_saved(self, report: Report, session: ReportSession | None = None) -> None:
        self._last_error = ""
        session = self.session if session is None else session
        if session is not None and session.study.study_instance_uid == report.study_instance_uid:
            session.mark_saved(report)
        self.saved.emit(report)

    def _on_save_failed(self, error: BaseException) -> None:
        text = describe_error(error)
        if text != self._last_error:
            logger.warning("the draft could not be saved: %s", text)
        self._last_error = text
        self.failed.emit(text)

    def _on_save_finished(self) -> None:
        again, self._again = self._again, False
        unsaved = self.session is not None and self.session.needs_save
        if unsaved and (again or not self._timer.isActive()):
            self._timer.start()
