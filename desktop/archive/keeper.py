"""The window's study archive: opened on a job thread, kept under its limit, fed by the receiver.

:class:`ArchiveKeeper` owns the one :class:`core.archive.Archive` of the window (the
study list, the PACS dialogs and the standing receiver share it: it is thread-safe).
Every call into it runs as a job (:mod:`desktop.workers`), never on the GUI thread:
the archive serialises writers with a lock that a receiving node holds while it stores
an instance, and opening it may rebuild a damaged index from the files.

The standing receiver (:class:`core.pacs.StorageReceiver`) stores what nodes push into
the archive from its own threads. Its arrival callback only counts and wakes the GUI
thread once; the GUI thread then refreshes the study list at most every
:data:`REFRESH_INTERVAL_MS`, and runs retention once the node has been quiet for
:data:`RETENTION_QUIET_MS`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Generator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QObject, QTimer, Signal

import core.archive
import core.pacs
from core.errors import CancelledError, describe_error
from core.jobs import CancelToken, Progress
from desktop.number_format import format_count, format_number
from desktop.settings import Settings
from desktop.workers import JobHandle, JobSlot

if TYPE_CHECKING:
    from core.archive import Archive, RetentionResult
    from core.pacs import InstanceArrived, StorageReceiver

logger = logging.getLogger(__name__)

__all__ = [
    "OPENING_MESSAGE",
    "REBUILD_MESSAGE",
    "REFRESH_INTERVAL_MS",
    "RETENTION_QUIET_MS",
    "ArchiveKeeper",
    "ReceiverState",
    "progress_words",
    "rebuild_progress_text",
]

#: The study list follows arrivals at most this often.
REFRESH_INTERVAL_MS: Final = 500
#: Retention runs once the receiving node has been quiet this long.
RETENTION_QUIET_MS: Final = 3000
_GB: Final = 1_000_000_000
#: The message of the :class:`~core.jobs.Progress` an opening's index rebuild emits
#: (a key: compared, and shown through :func:`progress_words`).
REBUILD_MESSAGE: Final = str(QT_TRANSLATE_NOOP("ArchiveKeeper", "Rebuilding the archive's index"))
#: The message of the Progress an opening emits first.
OPENING_MESSAGE: Final = str(QT_TRANSLATE_NOOP("ArchiveKeeper", "Opening the study archive"))


def _tr(text: object, disambiguation: str | None = None) -> str:
    """``text`` (a source, or a QT_TRANSLATE_NOOP-marked constant) in the interface's language."""
    return QCoreApplication.translate("ArchiveKeeper", str(text), disambiguation)


def progress_words(message: str) -> str:
    """A Progress message as shown: the keeper's own messages translated, the core's as
    they come (core translates its own)."""
    if message in (REBUILD_MESSAGE, OPENING_MESSAGE):
        return _tr(message)
    return message


def rebuild_progress_text(done: int, total: int) -> str:
    """ "Rebuilding the archive's index: 1,234 of 5,000 files" (the progress bar's text)."""
    if total <= 0:
        return QCoreApplication.translate("ArchiveKeeper", "Rebuilding the archive's index…")
    if total == 1:
        return QCoreApplication.translate(
            "ArchiveKeeper", "Rebuilding the archive's index: {done} of 1 file"
        ).format(done=format_count(done))
    return QCoreApplication.translate(
        "ArchiveKeeper", "Rebuilding the archive's index: {done} of {total} files"
    ).format(done=format_count(done), total=format_count(total))


class ReceiverState:
    """What the status bar says about the receiver (plain values, GUI thread only)."""

    def __init__(self) -> None:
        self.ae_title = ""
        self.port: int | None = None
        self.received = 0
        self.error = ""

    def text(self) -> str:
        """ "Receiving on AE X port N · k received", or why it is off."""
        if self.error:
            return QCoreApplication.translate("ReceiverState", "Not receiving: {reason}").format(
                reason=self.error
            )
        if self.port is None:
            return ""
        if self.received == 1:
            count = QCoreApplication.translate("ReceiverState", "1 instance")
        else:
            count = QCoreApplication.translate("ReceiverState", "{count} instances").format(
                count=format_count(self.received)
            )
        return QCoreApplication.translate(
            "ReceiverState", "Receiving on AE {ae_title} port {port} · {count} received"
        ).format(ae_title=self.ae_title, port=self.port, count=count)


class ArchiveKeeper(QObject):
    """The window's study archive and its receiving node.

    Parameters
    ----------
    settings : Settings
        The size limit and whether to receive.
    root : str or Path, optional
        The archive folder (default :func:`core.archive.default_archive_dir`).
    parent : QObject, optional

    Signals
    -------
    opened()
        The archive is open (:attr:`archive` is set).
    studies_changed(object)
        Studies were added, removed or grew: a set of Study Instance UIDs (batched).
    progress(object)
        A :class:`~core.jobs.Progress` of the archive's long work (open, import, rebuild).
    message(str, str)
        Something to tell the user: text and level ("info", "warning", "error").
    receiver_changed(str)
        The receiver's status text (empty when it is off).
    """

    opened = Signal()
    studies_changed = Signal(object)
    progress = Signal(object)
    work_finished = Signal()
    message = Signal(str, str)
    receiver_changed = Signal(str)
    _arrivals_pending = Signal()  # emitted from the receiver's thread: queued to ours

    def __init__(
        self,
        settings: Settings,
        root: str | Path | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        if not isinstance(settings, Settings):
            raise TypeError(f"settings must be a Settings, not {type(settings).__name__}")
        self.setObjectName("archive_keeper")
        self.settings = settings
        self.root = Path(root) if root is not None else None
        self.archive: Archive | None = None
        self.receiver: StorageReceiver | None = None
        self.receiver_state = ReceiverState()
        #: Study UIDs that retention and delete must leave alone (the study open now).
        self.open_study_uids: Callable[[], set[str]] = set
        self._open_slot = JobSlot(self, name="archive-open")
        self._work_slot = JobSlot(self, name="archive-work")
        self._receiver_slot = JobSlot(self, name="archive-receiver")
        self._retention_slot = JobSlot(self, name="archive-retention")
        self._waiting: list[Callable[[], object]] = []
        #: True while the opening job rebuilds the index (its progress says so).
        self.rebuilding = False
        # Filled on the receiver's thread, drained on the GUI thread.
        self._lock = threading.Lock()
        self._arrived: set[str] = set()
        self._arrived_count = 0
        self._wake_pending = False
        self._arrivals_pending.connect(self._on_arrivals_pending)
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(REFRESH_INTERVAL_MS)
        self._refresh_timer.timeout.connect(self._on_refresh_timer_timeout)
        self._retention_timer = QTimer(self)
        self._retention_timer.setSingleShot(True)
        self._retention_timer.setInterval(RETENTION_QUIET_MS)
        self._retention_timer.timeout.connect(self.run_retention)

    # -- opening -----------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.archive is not None

    @property
    def is_working(self) -> bool:
        """True while an import, rebuild or delete runs."""
        return self._work_slot.is_running or self._open_slot.is_running

    def when_open(self, then: Callable[[], object]) -> JobHandle | None:
        """Call ``then`` once the archive is open, opening it on a job thread if needed.

        An index that is missing, unreadable or whose last rebuild did not finish is
        rebuilt from the files in this job (:attr:`Archive.needs_rebuild` decides): its
        :class:`~core.jobs.Progress` reaches :attr:`progress` with
        :data:`REBUILD_MESSAGE` (files done of files), :meth:`cancel_work` cancels it,
        and a cancelled rebuild leaves the archive closed and still owing its rebuild
        (done again at the next opening). Returns the opening job, None when already open.
        """
        if self.archive is not None:
            then()
            return None
        self._waiting.append(then)
        if self._open_slot.is_running:
            return self._open_slot.handle
        root = self.root

        def open_job(token: CancelToken) -> Generator[Progress, None, tuple[Archive, str]]:
            # lazy: the archive brings pydicom; imported on the job thread, not at start-up
            from core.archive.archive import Archive, default_archive_dir

            yield Progress(0, 0, OPENING_MESSAGE)
            archive = Archive(root if root is not None else default_archive_dir(), rebuild=False)
            if not archive.needs_rebuild:
                return archive, ""
            note = archive.rebuild_note()
            rebuild = archive.rebuild(token)
            try:
                yield Progress(0, 0, REBUILD_MESSAGE)
                for event in rebuild:
                    yield Progress(event.done, event.total, REBUILD_MESSAGE)
            except BaseException:
                rebuild.close()  # rolled back first: nothing half-built is committed
                archive.close()  # the index stays owed: rebuilt at the next opening
                raise
            return archive, note

        self.rebuilding = False
        return self._open_slot.start(
            open_job,
            on_event=self._on_open_progress,
            on_result=self._on_open_succeeded,
            on_error=self._on_open_failed,
            on_finished=self.work_finished.emit,
        )

    def _on_open_progress(self, event: object) -> None:
        if isinstance(event, Progress):
            self.rebuilding = event.message == REBUILD_MESSAGE
        self.progress.emit(event)

    def _on_open_succeeded(self, opened: tuple[Archive, str]) -> None:
        self.rebuilding = False
        archive, note = opened
        self.archive = archive
        if note:
            self.message.emit(note, "warning")
        waiting, self._waiting = self._waiting, []
        self.opened.emit()
        for then in waiting:
            then()

    def _on_open_failed(self, error: BaseException) -> None:
        self._waiting.clear()
        rebuilding, self.rebuilding = self.rebuilding, False
        if isinstance(error, CancelledError):
            if not rebuilding:
                return
            self.message.emit(
                self.tr(
                    "Rebuilding the study archive's index was cancelled; it is rebuilt the next "
                    "time the study archive opens."
                ),
                "warning",
            )
        else:
            said = self.tr("The study archive could not be opened: {reason}")
            self.message.emit(said.format(reason=describe_error(error)), "error")

    def close(self) -> None:
        """Stop the receiver and the archive's jobs and close it (the window is closing)."""
        self.stop_receiver()
        for slot in (self._open_slot, self._work_slot, self._retention_slot):
            slot.discard()
        self._refresh_timer.stop()
        self._retention_timer.stop()
        if self.archive is not None:
            archive, self.archive = self.archive, None
            try:
                archive.close()
            except Exception as error:  # closing must not stop the window from closing
                logger.warning("the archive did not close cleanly (%s)", type(error).__name__)

    # -- long work: import, rebuild, delete -----------------------------------------------

    def run(
        self,
        name: str,
        work: Callable[[Archive, CancelToken], Any],
        on_result: Callable[[Any], None],
        on_error: Callable[[BaseException], None] | None = None,
    ) -> JobHandle | None:
        """Run ``work(archive, token)`` (a job, or a plain call) as the archive's one long job.

        A second long job cancels the first (a JobSlot). None when the archive is not open.
        """
        archive = self.archive
        if archive is None:
            return None

        def failed(error: BaseException) -> None:
            if on_error is not None:
                on_error(error)
            elif isinstance(error, CancelledError):
                self.message.emit(self.tr("Cancelled."), "info")
            else:
                self.message.emit(describe_error(error), "error")

        return self._work_slot.start(
            lambda token: work(archive, token),
            on_event=self.progress.emit,
            on_result=on_result,
            on_error=failed,
            on_finished=self.work_finished.emit,
            name=name,
        )

    def cancel_work(self) -> None:
        """Cancel the import or rebuild running, or the rebuild of an opening (each stops
        at its next file)."""
        self._work_slot.cancel()
        if self.rebuilding:  # an opening is cancelled only while it rebuilds
            self._open_slot.cancel()

    # -- retention -------------------------------------------------------------------------

    def run_retention(self) -> JobHandle | None:
        """Remove least-recently-opened studies until the archive is under its limit.

        Never a study with an unsigned draft (:func:`core.archive.has_unsigned_draft`),
        nor the study open in the window. None when there is no limit or no archive.
        """
        limit_gb = self.settings.archive_limit_gb
        archive = self.archive
        if archive is None or limit_gb <= 0:
            return None
        keep = set(self.open_study_uids())
        max_bytes = int(limit_gb * _GB)

        def protected(uid: str) -> bool:
            return uid in keep or core.archive.has_unsigned_draft(uid)

        def retention_job(token: CancelToken) -> RetentionResult:
            return archive.enforce_limit(max_bytes, protected=protected)

        return self._retention_slot.start(
            retention_job,
            on_result=lambda result: self._on_retention_done(result, limit_gb),
            on_error=lambda error: self.message.emit(
                self.tr("The archive could not be kept under its limit: {reason}").format(
                    reason=describe_error(error)
                ),
                "warning",
            ),
        )

    def _on_retention_done(self, result: RetentionResult, limit_gb: float) -> None:
        if result.removed:
            count = len(result.removed)
            if count == 1:
                said = self.tr(
                    "1 least recently opened study was removed to keep the archive under "
                    "{limit} GB."
                )
            else:
                said = self.tr(
                    "{count} least recently opened studies were removed to keep the archive "
                    "under {limit} GB."
                )
            said = said.format(count=format_count(count), limit=format_number(limit_gb))
            self.message.emit(said, "info")
            self.studies_changed.emit(set(result.removed))
        if result.protected and result.size_bytes > limit_gb * _GB:
            said = self.tr(
                "The archive holds {size} GB, over its {limit} GB limit: {count} studies with "
                "an unsigned report draft (or open now) are kept. Sign or discard their "
                "drafts, or raise the limit in Settings → Study Archive."
            ).format(
                size=format_number(result.size_bytes / _GB, 1),
                limit=format_number(limit_gb),
                count=format_count(len(result.protected)),
            )
            self.message.emit(said, "warning")

    # -- the standing receiver -------------------------------------------------------------

    @property
    def receiving(self) -> bool:
        return self.receiver is not None and self.receiver.running

    def start_receiver(self) -> JobHandle | None:
        """Listen on our node's port (Settings → DICOM Nodes) and store into the archive.

        Starting runs on a job thread (pynetdicom is heavy to import). A port in use,
        or no port set, is said in the status bar and a banner; nothing else changes.
        """
        archive = self.archive
        if archive is None:
            return self.when_open(self.start_receiver)
        if self.receiving:
            return None
        if self._receiver_slot.is_running:
            return self._receiver_slot.handle

        def start_job(token: CancelToken) -> StorageReceiver:
            book = core.pacs.load_nodes()
            receiver = core.pacs.StorageReceiver(book.local, archive, self._on_arrival)
            receiver.start()
            if token.cancelled:  # stopped meanwhile: nobody will hold this receiver
                receiver.stop()
                token.raise_if_cancelled()
            return receiver

        return self._receiver_slot.start(
            start_job, on_result=self._on_receiver_started, on_error=self._on_receiver_failed
        )

    def _on_receiver_started(self, receiver: StorageReceiver) -> None:
        if not self.settings.receiver_enabled or self.archive is None:
            receiver.stop()  # switched off (or closed) while it was starting
            return
        self.receiver = receiver
        state = self.receiver_state
        state.ae_title, state.port, state.error = receiver.local.ae_title, receiver.local.port, ""
        self.receiver_changed.emit(state.text())

    def _on_receiver_failed(self, error: BaseException) -> None:
        if isinstance(error, CancelledError):
            return
        self.receiver_state.error = describe_error(error)
        self.receiver_changed.emit(self.receiver_state.text())
        said = self.tr("Studies pushed to this workstation cannot be received: {reason}")
        self.message.emit(said.format(reason=describe_error(error)), "error")

    def stop_receiver(self) -> None:
        """Stop listening (a push in progress is ended)."""
        self._receiver_slot.discard()
        receiver, self.receiver = self.receiver, None
        if receiver is not None:
            receiver.stop()
        self.receiver_state.port = None
        self.receiver_state.error = ""
        self.receiver_changed.emit("")

    def nodes_changed(self) -> None:
        """Our node's AE title, port or receive switch changed: listen as they now say."""
        self.stop_receiver()
        self.apply_settings()

    def apply_settings(self) -> None:
        """Start or stop the receiver and run retention as the settings now say."""
        if self.settings.receiver_enabled:
            self.start_receiver()
        else:
            self.stop_receiver()
        self.run_retention()

    def _on_arrival(self, event: InstanceArrived) -> None:
        """Called on the receiver's delivery thread: count, and wake the GUI thread once."""
        with self._lock:
            self._arrived_count += 1
            if event.stored:
                self._arrived.add(event.study_uid)
            if self._wake_pending:
                return
            self._wake_pending = True
        self._arrivals_pending.emit()

    def note_stored(self, study_uid: str) -> None:
        """Instances of ``study_uid`` were stored by a retrieval (GUI thread): the study
        list follows in the next batch, and retention runs once arrivals go quiet."""
        with self._lock:
            self._arrived.add(study_uid)
        self._on_arrivals_pending()

    def _on_arrivals_pending(self) -> None:
        if not self._refresh_timer.isActive():
            self._refresh_timer.start()

    def _on_refresh_timer_timeout(self) -> None:
        with self._lock:
            studies, self._arrived = self._arrived, set()
            count, self._arrived_count = self._arrived_count, 0
            self._wake_pending = False
        self.receiver_state.received += count
        self.receiver_changed.emit(self.receiver_state.text())
        if studies:
            self.studies_changed.emit(studies)
        self._retention_timer.start()  # restarted by every batch: runs once it is quiet

    # -- measuring -------------------------------------------------------------------------

    @staticmethod
    def timed(call: Callable[[], Any]) -> tuple[Any, float]:
        """``call()``'s result and the milliseconds it took (for the study list's figure)."""
        started = time.perf_counter()
        result = call()
        return result, (time.perf_counter() - started) * 1000.0
