"""Saving the report panel's draft: on a job thread, at most a second after it changed.

:class:`DraftSaver` saves the draft of the session it is given with the session's
:class:`~core.report.store.DraftStore` (atomic and journaled there). A change asks for
a save with :meth:`DraftSaver.schedule`; when the time comes the saver says so
(:attr:`DraftSaver.due`), so that the panel can take the latest typing into the report
first and then call :meth:`DraftSaver.save`. A save asked for while one runs follows it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Final

from PySide6.QtCore import QObject, QTimer, Signal

from core.errors import RadAssistError
from core.report.document import Report
from core.report.workflow import describe_error
from desktop import workers

if TYPE_CHECKING:
    from core.report.workflow import ReportSession
    from desktop.workers import JobHandle

logger = logging.getLogger(__name__)

__all__ = ["SAVE_INTERVAL_MS", "DraftSaver"]

#: The draft is saved at most this long after a change.
SAVE_INTERVAL_MS: Final = 1000
#: How long closing a study waits for a save that is running.
_WAIT_S: Final = 10.0


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
        self._handle: JobHandle | None = None
        self._again = False
        self._last_error = ""
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SAVE_INTERVAL_MS)
        self._timer.timeout.connect(self.due)

    @property
    def is_saving(self) -> bool:
        return self._handle is not None and self._handle.is_running

    def schedule(self) -> None:
        """Save within :data:`SAVE_INTERVAL_MS` (a save already due stays due)."""
        if not self._timer.isActive():
            self._timer.start()

    def wait(self) -> None:
        """Block until a running save ends (at most ten seconds)."""
        if self._handle is not None and self._handle.is_running:
            self._handle.wait(_WAIT_S)

    def save(self, *, wait: bool = False) -> None:
        """Save the draft if it changed (on a job thread; ``wait`` blocks until saved)."""
        session = self.session
        if session is None or session.recovering or session.in_use_elsewhere:
            return
        if self.is_saving:
            self._again = True
            if not wait:
                return
            self.wait()
        report = session.report_to_save()
        if report is None:
            return
        if wait:
            try:
                session.save()
            except (RadAssistError, OSError) as error:
                self._on_save_failed(error)
                return
            self._on_saved(report)
            return
        store = session.store
        assert store is not None  # report_to_save() says a session without one has none
        handle = workers.start_job(lambda token: store.save(report), name="report-save")
        handle.succeeded.connect(lambda _: self._on_saved(report))
        handle.failed.connect(self._on_save_failed)
        handle.finished.connect(self._on_save_finished)
        self._handle = handle

    def _on_saved(self, report: Report) -> None:
        self._last_error = ""
        session = self.session
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
