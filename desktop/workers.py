"""The one worker abstraction: core generator jobs on a QThreadPool (house rule 3).

A core job is a generator that takes a :class:`~core.jobs.CancelToken`, yields events
(:class:`~core.jobs.Progress`, a first image, text chunks...) and returns its result.
:func:`start_job` runs ``factory(token)`` on a pool thread and hands every yield to the
GUI thread through a queued signal, in order. :class:`~core.jobs.Progress` events that
pile up while the GUI is busy are coalesced (only the newest is kept) and progress alone
wakes the GUI at most every ``PROGRESS_INTERVAL_S``, so a chatty job never floods the
event loop. Any other event wakes the GUI at once (a first image must not wait).

Cancelling sets the token; from then on the handle delivers no more events and ends with
``failed(CancelledError)`` whatever the job does, so a caller never receives a result it
no longer wants. A handle keeps itself alive until ``finished`` has been emitted; callers
need not hold a reference. napari's ``thread_worker`` is the model.

A widget that runs one job of a kind at a time owns a :class:`JobSlot` (Orange's task
state): starting a job in the slot cancels the previous one, and only the current job's
events, result, error and end reach the callbacks, so a superseded job's late signals
never touch the widget.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import logging
import threading
import time
import warnings
import weakref
from collections import deque
from collections.abc import Callable, Generator
from typing import Any

import shiboken6
from PySide6.QtCore import (
    QCoreApplication,
    QDeadlineTimer,
    QEventLoop,
    QObject,
    QRunnable,
    Qt,
    QThreadPool,
    QTimer,
    Signal,
    Slot,
)

from core.errors import CancelledError, RadAssistError
from core.jobs import FOREGROUND, CancelToken, Progress

logger = logging.getLogger(__name__)

__all__ = [
    "PROGRESS_INTERVAL_S",
    "JobHandle",
    "JobSlot",
    "active_jobs",
    "cancel_all",
    "start_job",
    "thread_pool",
    "wait_for_all",
]

#: Progress alone wakes the GUI at most this often (seconds); other events wake it at once.
PROGRESS_INTERVAL_S = 0.04
# Catches a coalesced progress event left waiting when a job goes quiet.
_POLL_MS = 50

_EVENT, _RESULT, _ERROR = "event", "result", "error"

_pool: QThreadPool | None = None
# Handles whose job has not finished yet: they keep themselves alive through this set.
_running: set[JobHandle] = set()


def thread_pool() -> QThreadPool:
    """The pool jobs run on (separate from Qt's global pool; up to 8 threads)."""
    global _pool
    if _pool is None:
        _pool = QThreadPool()
        _pool.setObjectName("radassist-jobs")
        _pool.setMaxThreadCount(8)
        _pool.setExpiryTimeout(30_000)
    return _pool


class _Waker(QObject):
    """Wakes the GUI thread for every job's channel; one for the whole process, never deleted.

    A job's thread must never be the one that deletes a QObject living on the GUI thread
    (Qt forbids it; it crashed the event loop now and then when a window closed with a
    job still running, and the job's thread dropped the last reference). So a channel
    is plain Python, and the only QObject a job's thread touches is this one, which
    outlives every job. The job's own references go the same way: the factory (a
    closure over the widget that started it), the job and its outcome are handed to the
    GUI thread with the last item (:meth:`_Channel.hand_over`), so a dialog closed while
    its job ran is deleted there, never on the pool thread (that crashed in a style
    animation's clean-up, about one run in twenty of the PACS dialog tests).
    """

    woke = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.woke.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    @Slot(object)
    def _deliver(self, channel: _Channel) -> None:
        channel.deliver()


_waker: _Waker | None = None


def _the_waker() -> _Waker:
    """The process's waker, created on the GUI thread by the first job started."""
    global _waker
    if _waker is None:
        _waker = _Waker()
    return _waker


class _Channel:
    """The thread-safe queue between a job's thread and the GUI thread (not a QObject)."""

    def __init__(self, handle: JobHandle) -> None:
        self._lock = threading.Lock()
        self._items: deque[tuple[str, Any]] = deque()
        self._retired: list[Any] = []
        self._wake_pending = False
        self._last_wake = 0.0
        self._waker = _the_waker()
        # The handle may be deleted (its parent closed) while the job runs: never keep it.
        self._handle = weakref.ref(handle)

    def put(self, kind: str, payload: Any) -> None:
        """Called on the job's thread."""
        progress = kind == _EVENT and isinstance(payload, Progress)
        with self._lock:
            tail = self._items[-1] if self._items else None
            tail_is_progress = tail is not None and isinstance(tail[1], Progress)
            if progress and tail is not None and tail[0] == _EVENT and tail_is_progress:
                self._items[-1] = (kind, payload)  # coalesce: the newest progress is enough
            else:
                self._items.append((kind, payload))
            wake = self._claim_wake(throttled=progress)
        if wake:
            self._waker.woke.emit(self)

    def hand_over(self, parcel: list[Any]) -> None:
        """Called on the job's thread, last: queue the outcome ``parcel[:2]`` (kind,
        payload) and keep what else the job held (``parcel[2:]``: its factory, the job)
        for the GUI thread to let go of. ``parcel`` is emptied under the lock, so the
        job's thread holds none of it once the GUI thread can take it."""
        with self._lock:
            self._retired.extend(parcel[2:])
            self._items.append((parcel[0], parcel[1]))
            parcel.clear()
            wake = self._claim_wake(throttled=False)
        if wake:
            self._waker.woke.emit(self)

    def _claim_wake(self, *, throttled: bool) -> bool:
        """Under the lock: whether this put wakes the GUI thread (none is pending, and
        progress alone waits ``PROGRESS_INTERVAL_S`` after the last wake)."""
        now = time.monotonic()
        if self._wake_pending or (throttled and now - self._last_wake < PROGRESS_INTERVAL_S):
            return False
        self._wake_pending = True
        self._last_wake = now
        return True

    def take(self) -> list[tuple[str, Any]]:
        """Called on the GUI thread: everything queued so far (what the job held, handed
        over with its outcome, is let go of here, on the GUI thread)."""
        with self._lock:
            items = list(self._items)
            self._items.clear()
            self._wake_pending = False
            retired, self._retired = self._retired, []
        retired.clear()
        return items

    def deliver(self) -> None:
        """Called on the GUI thread: hand what is queued to the handle, if it still exists."""
        handle = self._handle()
        if handle is None or not shiboken6.isValid(handle):
            del handle
            self.take()  # nobody wants it any more
            return
        handle._on_channel_woke()


class _Runnable(QRunnable):
    def __init__(
        self, factory: Callable[[CancelToken], Any], token: CancelToken, channel: _Channel
    ) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._factory = factory
        self._token = token
        self._channel = channel

    def run(self) -> None:
        # [kind, payload, factory, job]: one list, so that every reference this thread
        # holds to the job goes to the GUI thread at once (see _Waker).
        parcel: list[Any] = [_RESULT, None, self._factory, None]
        self._factory = _forgotten
        try:
            parcel[3] = parcel[2](self._token)
            if inspect.isgenerator(parcel[3]):
                parcel[1] = self._drive(parcel[3])
            else:  # a plain callable's return value is the result
                parcel[1], parcel[3] = parcel[3], None
                self._token.raise_if_cancelled()
        except BaseException as error:  # every failure reaches the GUI, typed
            parcel[0], parcel[1] = _ERROR, error
        self._channel.hand_over(parcel)

    def _drive(self, job: Generator[Any, Any, Any]) -> Any:
        try:
            while True:
                self._token.raise_if_cancelled()
                try:
                    event = next(job)
                except StopIteration as stop:
                    return stop.value
                self._channel.put(_EVENT, event)
                del event
        finally:
            job.close()  # runs the job's own clean-up when it stopped early


def _forgotten(token: CancelToken) -> None:
    return None


class JobHandle(QObject):
    """A running job: cancel it, and connect to what it reports.

    Signals (all emitted on the GUI thread)
    ---------------------------------------
    event_emitted(object)
        Each yielded event, in order (progress may be coalesced).
    succeeded(object)
        The job's return value.
    failed(object)
        The exception it raised (:class:`~core.errors.CancelledError` when cancelled).
    finished()
        Always last, after ``succeeded`` or ``failed``.
    """

    event_emitted = Signal(object)
    succeeded = Signal(object)
    failed = Signal(object)
    finished = Signal()

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.token = CancelToken()
        self.result: Any = None
        self.error: BaseException | None = None
        self._running = True
        self._delivering = False
        self._pending: deque[tuple[str, Any]] = deque()
        self._channel = _Channel(self)
        self._poll = QTimer(self)
        self._poll.setInterval(_POLL_MS)
        self._poll.timeout.connect(self._on_channel_woke)
        # A parent deleted mid-job cancels it; the closure must not hold the handle.
        self.destroyed.connect(functools.partial(_on_handle_destroyed, self.token))

    @property
    def is_running(self) -> bool:
        """True until ``finished`` has been emitted."""
        return self._running

    @property
    def cancelled(self) -> bool:
        return self.token.cancelled

    def cancel(self) -> None:
        """Ask the job to stop; it ends with ``failed(CancelledError)``."""
        if self._running and not self.token.cancelled:
            logger.debug("cancelling job %s", self.objectName())
            self.token.cancel()

    def wait(self, timeout_s: float = 30.0) -> bool:
        """Process GUI events until the job has finished; False on timeout (tests, exit)."""
        deadline = time.monotonic() + timeout_s
        app = QCoreApplication.instance()
        while self._running and time.monotonic() < deadline:
            if app is None:
                time.sleep(0.005)
            else:
                app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 10)
                time.sleep(0.001)
        return not self._running

    def _start(self, factory: Callable[[CancelToken], Any]) -> None:
        _running.add(self)
        self._poll.start()
        thread_pool().start(_Runnable(factory, self.token, self._channel))

    def _on_channel_woke(self) -> None:
        self._pending.extend(self._channel.take())
        if self._delivering:  # re-entered from a callback's nested event loop
            return
        self._delivering = True
        # A load's readers wait while the GUI thread takes this in, whether a wake or the
        # poll brought it (core.jobs.ForegroundGate).
        try:
            with FOREGROUND.held():
                while self._pending and self._running:
                    kind, payload = self._pending.popleft()
                    if kind == _EVENT:
                        if not self.token.cancelled:
                            self.event_emitted.emit(payload)
                    else:
                        self._finish(kind, payload)
        finally:
            self._delivering = False

    def _finish(self, kind: str, payload: Any) -> None:
        self._running = False
        self._poll.stop()
        self._pending.clear()
        _running.discard(self)
        if self.token.cancelled and not isinstance(payload, CancelledError):
            kind, payload = _ERROR, CancelledError("cancelled by the user")
        if kind == _RESULT:
            self.result = payload
            self.succeeded.emit(payload)
        else:
            self.error = payload
            if isinstance(payload, CancelledError):
                logger.debug("job %s cancelled", self.objectName())
            elif isinstance(payload, RadAssistError):
                logger.info("job %s failed: %s", self.objectName(), payload)
            else:  # not a typed error: a bug somewhere, keep the traceback
                logger.error(
                    "job %s failed unexpectedly",
                    self.objectName(),
                    exc_info=(type(payload), payload, payload.__traceback__),
                )
            self.failed.emit(payload)
        self.finished.emit()
        self._release()

    def _release(self) -> None:
        """Let go of the callbacks, then of the handle itself when it has an owner.

        The callbacks may hold the last reference to a widget that owns this handle (a
        dialog closed before its job ended). Letting go of them must not delete that
        widget while Qt is still working on this handle (inside a disconnect, or inside
        the handle's own destructor: both crashed), so the owners are held until the
        callbacks are gone; then, when the last reference goes, the widget is deleted
        and deletes this handle as its child, once. An owned handle then goes
        (deleteLater): it would otherwise live as long as its owner (a window lives all
        day) and keep the result with it (a 256 MB volume per series opened). A caller
        that kept the handle still reads its Python state (result, error, is_running).
        """
        owners: list[QObject] = []
        owner = self.parent()
        while owner is not None:
            owners.append(owner)
            owner = owner.parent()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a signal nobody connected to
            for signal in (self.event_emitted, self.succeeded, self.failed, self.finished):
                with contextlib.suppress(RuntimeError, TypeError):
                    signal.disconnect()
        if owners:
            self.deleteLater()
        owners.clear()  # may delete an owner only the callbacks held, and this handle


def _on_handle_destroyed(token: CancelToken, *_: object) -> None:
    token.cancel()
    for handle in [h for h in _running if h.token is token]:
        _running.discard(handle)


def start_job(
    factory: Callable[[CancelToken], Generator[Any, Any, Any] | Any],
    *,
    on_event: Callable[[Any], None] | None = None,
    on_result: Callable[[Any], None] | None = None,
    on_error: Callable[[BaseException], None] | None = None,
    on_finished: Callable[[], None] | None = None,
    parent: QObject | None = None,
    name: str = "",
) -> JobHandle:
    """Run ``factory(token)`` on the job pool and report back on the GUI thread.

    Parameters
    ----------
    factory : callable
        Called on the pool thread with the job's :class:`~core.jobs.CancelToken`; returns
        a job generator (yields events, returns the result), or any other value, which is
        then the result (so a plain blocking function can run as a job too).
    on_event, on_result, on_error, on_finished : callable, optional
        Connected to ``event_emitted``, ``succeeded``, ``failed`` and ``finished``.
    parent : QObject, optional
        Owner of the handle; deleting it cancels the job.
    name : str, optional
        For logs (never patient data).

    Returns
    -------
    JobHandle
        Already started. Must be called on the GUI thread.
    """
    if not callable(factory):
        raise TypeError(f"factory must be callable, not {type(factory).__name__}")
    handle = JobHandle(name or getattr(factory, "__name__", "job"), parent)
    if on_event is not None:
        handle.event_emitted.connect(on_event)
    if on_result is not None:
        handle.succeeded.connect(on_result)
    if on_error is not None:
        handle.failed.connect(on_error)
    if on_finished is not None:
        handle.finished.connect(on_finished)
    handle._start(factory)
    return handle


def active_jobs() -> list[JobHandle]:
    """Handles whose job has not finished yet."""
    return list(_running)


def cancel_all() -> None:
    """Cancel every running job (application exit)."""
    for handle in list(_running):
        handle.cancel()


def wait_for_all(timeout_s: float = 30.0) -> bool:
    """Process events until every job has finished and the pool is idle; False on timeout."""
    deadline = time.monotonic() + timeout_s
    for handle in list(_running):
        if not handle.wait(max(0.0, deadline - time.monotonic())):
            return False
    if _pool is not None:
        remaining_ms = int(max(0.0, deadline - time.monotonic()) * 1000)
        return _pool.waitForDone(QDeadlineTimer(remaining_ms))
    return True


class JobSlot(QObject):
    """One job at a time for the widget that owns it (Orange's task state).

    :meth:`start` cancels the job the slot holds and starts the new one; from then on the
    old job's events, result, error and end are dropped, whatever it still emits. Only the
    current job reaches its callbacks. :meth:`cancel` stops the current job but keeps it
    current (its ``CancelledError`` and end still arrive, so the widget can say it was
    cancelled); :meth:`discard` stops it and forgets it (nothing more arrives).

    Parameters
    ----------
    parent : QObject, optional
        The owner; deleting it deletes the slot and cancels its job.
    name : str, optional
        The jobs' name for logs (never patient data); :meth:`start` may override it.
    """

    def __init__(self, parent: QObject | None = None, name: str = "") -> None:
        super().__init__(parent)
        self.setObjectName(name or "job-slot")
        self._handle: JobHandle | None = None
        self._generation = 0  # bumped whenever the current job is replaced or forgotten

    @property
    def handle(self) -> JobHandle | None:
        """The current job's handle (running or ended), None when there is none."""
        return self._handle

    @property
    def is_running(self) -> bool:
        """True while the current job has not finished."""
        return self._handle is not None and self._handle.is_running

    def is_current(self, handle: JobHandle | None) -> bool:
        """True when ``handle`` is the slot's current job."""
        return handle is not None and handle is self._handle

    def start(
        self,
        factory: Callable[[CancelToken], Generator[Any, Any, Any] | Any],
        *,
        on_event: Callable[[Any], None] | None = None,
        on_result: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        on_finished: Callable[[], None] | None = None,
        name: str = "",
    ) -> JobHandle:
        """Cancel the current job and run ``factory(token)`` as the new one.

        The callbacks are as for :func:`start_job`, but each is called only while this
        job is the slot's current one.

        Returns
        -------
        JobHandle
            The new current job, already started.
        """
        if not callable(factory):
            raise TypeError(f"factory must be callable, not {type(factory).__name__}")
        self.discard()
        generation = self._generation
        self._handle = start_job(
            factory,
            on_event=self._current_only(generation, on_event),
            on_result=self._current_only(generation, on_result),
            on_error=self._current_only(generation, on_error),
            on_finished=self._current_only(generation, on_finished),
            parent=self,
            name=name or self.objectName(),
        )
        return self._handle

    def cancel(self) -> None:
        """Ask the current job to stop; it stays current, so its cancellation is reported."""
        if self._handle is not None:
            self._handle.cancel()

    def discard(self) -> None:
        """Cancel the current job and forget it: nothing more from it reaches the callbacks."""
        self._generation += 1
        handle, self._handle = self._handle, None
        if handle is not None:
            handle.cancel()

    def _current_only(
        self, generation: int, callback: Callable[..., None] | None
    ) -> Callable[..., None] | None:
        if callback is None:
            return None

        def deliver(*payload: Any) -> None:
            if generation == self._generation:
                callback(*payload)

        return deliver
