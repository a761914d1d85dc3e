"""The AI findings that a study's report is checked against, gathered off the GUI thread.

When an analysis of one of the study's images finishes, :class:`FindingsFeed` reads the
image's header (its Patient Orientation places the findings on the patient), keeps the
analysis in the session (:meth:`~core.report.workflow.ReportSession.add_analysis`) and
builds the context of every analysed image of the study, each step a job. Only the
newest context of the session still open reaches the panel.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from core.errors import CancelledError
from core.report.document import ReportContext
from core.report.workflow import ReportSession, describe_error, read_analysed_image
from desktop import workers
from desktop.workers import JobSlot

if TYPE_CHECKING:
    from core.analysis.inference import AnalysisResult
    from core.dicom.records import FileRef
    from desktop.workers import JobHandle

logger = logging.getLogger(__name__)

__all__ = ["FindingsFeed"]


class FindingsFeed(QObject):
    """Turns finished analyses into the report context of :attr:`session`'s study.

    Signals
    -------
    context_built(object)
        The :class:`~core.report.document.ReportContext` of every analysed image.
    failed(str)
        Why the findings could not be read.
    """

    context_built = Signal(object)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session: ReportSession | None = None
        self._context_slot = JobSlot(self, name="report-findings")

    def add(self, result: AnalysisResult, source: FileRef | None) -> JobHandle | None:
        """Read ``result``'s image (``source``) in a job; None without a session.

        Each analysis's image is read in its own job (several may run at once); the
        context they lead to is built in one slot, the newest superseding the others.
        """
        session = self.session
        if session is None:
            return None
        handle = workers.start_job(
            lambda token: read_analysed_image(result, source), parent=self, name="report-image"
        )
        handle.succeeded.connect(lambda image: self._on_image_read(session, image))
        handle.failed.connect(self._on_job_failed)
        return handle

    def cancel(self) -> None:
        """Stop building the context (the study is closing)."""
        self._context_slot.cancel()

    def _on_image_read(self, session: ReportSession, image: Any) -> None:
        if session is not self.session:
            return  # the study closed meanwhile
        images = session.add_analysis(image)

        def on_built(context: ReportContext) -> None:
            if session is self.session:
                self.context_built.emit(context)

        # Only the newest context is wanted: it supersedes one still being built.
        self._context_slot.start(
            lambda token: session.context_of(images),
            on_result=on_built,
            on_error=self._on_job_failed,
        )

    def _on_job_failed(self, error: BaseException) -> None:
        if not isinstance(error, CancelledError):
            self.failed.emit(describe_error(error))
