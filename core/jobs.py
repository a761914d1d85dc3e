"""Cancel tokens and progress events for long jobs.

Every long job in the engine is a generator: it takes a :class:`CancelToken`,
yields :class:`Progress` events (or other events such as a first image or a text
chunk) and *returns* its result. Headless callers drive it with :func:`run_job`;
desktop runs it on its one thread-pool worker and cancels by setting the token.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator
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
