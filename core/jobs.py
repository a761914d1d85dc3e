"""Cancel tokens and progress events for long jobs.

Every long job in the engine is a generator: it takes a :class:`CancelToken`,
yields :class:`Progress` events (or other events such as a first image or a text
chunk) and *returns* its result. Headless callers drive it with :func:`run_job`;
desktop runs it on its one thread-pool worker and cancels by setting the token.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from core.errors import CancelledError

T = TypeVar("T")

#: The type of a job: yields events, receives nothing, returns a result.
Job = Generator[Any, None, T]


class CancelToken:
    """A thread-safe flag a job checks between units of work."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        """Ask the job to stop at its next check."""
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        """Raise :class:`~core.errors.CancelledError` when cancellation was asked for."""
        if self._event.is_set():
            raise CancelledError("cancelled by the user")


class ForegroundGate:
    """Lets an interactive thread go first: background threads wait between units while it
    is held.

    In CPython a window's GUI thread takes the GIL for every call Qt makes into Python (a
    slot, a paint, an event filter); while a series' reader threads keep taking it between
    short pieces of work, and keep the cores busy, each of those waits behind them: a paint
    that costs 5 ms of CPU took 20-30 ms beside four readers. The GUI thread holds the gate
    for its turns (a job's events, a paint, a step of an opening); readers call
    :meth:`wait_turn` between frames and sleep (without the GIL) meanwhile. A hold delays
    the readers by at most ``max_hold_s`` however long it lasts (a modal dialog opened
    inside a held turn never stops a load), and holds nest.

    Parameters
    ----------
    max_hold_s : float
        The longest a hold keeps the background waiting.
    """

    def __init__(self, max_hold_s: float = 0.05) -> None:
        if not max_hold_s > 0:
            raise ValueError(f"max_hold_s must be > 0, found {max_hold_s!r}")
        self.max_hold_s = max_hold_s
        self._lock = threading.Lock()
        self._open = threading.Event()
        self._open.set()
        self._holds = 0
        self._since = 0.0

    @property
    def is_held(self) -> bool:
        return not self._open.is_set()

    @contextmanager
    def held(self) -> Iterator[None]:
        """Hold the gate for the ``with`` block (nests; any thread)."""
        with self._lock:
            if self._holds == 0:
                self._since = time.monotonic()
                self._open.clear()
            self._holds += 1
        try:
            yield
        finally:
            with self._lock:
                self._holds -= 1
                if self._holds == 0:
                    self._open.set()

    def wait_turn(self) -> None:
        """Return when the gate is open, or when the current hold is ``max_hold_s`` old."""
        if self._open.is_set():
            return
        left = self._since + self.max_hold_s - time.monotonic()
        if left > 0:
            self._open.wait(left)


#: The process's gate: desktop holds it around its GUI turns, core's readers wait on it.
FOREGROUND = ForegroundGate()


@dataclass(frozen=True)
class Progress:
    """How far a job has come.

    Parameters
    ----------
    done : int
        Units finished.
    total : int
        Units in all (0 when unknown).
    message : str
        What is being done, for a status bar; never patient data.
    """

    done: int
    total: int
    message: str = ""

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total > 0 else 0.0


def run_job(job: Job[T], on_event: Callable[[Any], None] | None = None) -> T:
    """Drive a job generator to the end and return its result.

    Parameters
    ----------
    job : Generator
        The job, already created with its arguments and cancel token.
    on_event : callable, optional
        Called with every yielded event, in order.
    """
    try:
        while True:
            try:
                event = next(job)
            except StopIteration as stop:
                result: T = stop.value
                return result
            if on_event is not None:
                on_event(event)
    finally:
        # An exception on this side (on_event failed, Ctrl+C) ends the job too: what it
        # holds (a lock, a child process) is released now, not when it is collected.
        job.close()
