"""Work that follows a study's opening, run one step per event-loop turn (house rule 3).

Opening a study used to fill the series browser, the AI panel, the saved measurements and
the report panel in the one turn that received the scan's result, while the largest
series' readers had just started and held the GIL: 10–60 ms in which the window neither
painted nor answered. :class:`OpenSteps` is the small queue that spreads such work out:
the window gives it the steps of an opening (the load starts, and the first image shows,
before them), the hanging protocol the panes of its layout. Each step runs in a turn of
its own, through a zero-time single shot, so paints, input and the loader's events run
between them.

Steps may also wait (:meth:`OpenSteps.start` with ``wait_s``) until :meth:`release` or
for at most that long: an opening's panels wait for its largest series' load. Each GUI
turn during a load holds the readers back (:class:`core.jobs.ForegroundGate`), and on a
two-core machine the panels' ~40 ms of GUI work made the 512-slice CT's load ~50 ms
longer; filled right after it instead, they appear a few tens of ms later, the series
sooner. A slow load (a large or compressed series) has them after ``wait_s`` anyway.

A queue that is cancelled (the study closed, another one opening, another protocol
chosen) forgets its steps, and a turn already scheduled for them does nothing: nothing of
a closed study reaches a panel afterwards.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable

from PySide6.QtCore import QObject, QTimer, Signal

from core.jobs import FOREGROUND

logger = logging.getLogger(__name__)

__all__ = ["OpenSteps"]


class OpenSteps(QObject):
    """A queue of steps run one per event-loop turn, in order.

    Signals
    -------
    drained()
        The last step ran (not emitted when the queue is cancelled).

    Parameters
    ----------
    parent : QObject, optional
        The owner; the scheduled turns die with it.
    """

    drained = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._steps: deque[Callable[[], object]] = deque()
        self._generation = 0  # a turn scheduled for cancelled steps finds a newer one
        self._scheduled = False  # a turn is scheduled for the current steps
        self._waiting = False  # the steps wait for release() (or their time limit)

    @property
    def pending(self) -> int:
        """How many steps are still to run."""
        return len(self._steps)

    @property
    def waiting(self) -> bool:
        """The pending steps wait for :meth:`release` (or their time limit)."""
        return self._waiting

    def start(self, steps: Iterable[Callable[[], object]], *, wait_s: float | None = None) -> None:
        """Forget what is pending and run ``steps``, the first in the next turn.

        With ``wait_s`` the first waits for :meth:`release`, at most ``wait_s`` seconds.
        """
        self.cancel()
        if wait_s is not None:
            if not wait_s >= 0:
                raise ValueError(f"wait_s must be >= 0, found {wait_s!r}")
            self._waiting = True
            generation = self._generation
            QTimer.singleShot(round(wait_s * 1000), self, lambda: self._release(generation))
        self.add(steps)

    def release(self) -> None:
        """Let waiting steps run, the first in the next turn (nothing when none wait)."""
        self._release(self._generation)

    def _release(self, generation: int) -> None:
        if generation != self._generation or not self._waiting:
            return  # cancelled, flushed or released since
        self._waiting = False
        if self._steps:
            self._schedule()

    def add(self, steps: Iterable[Callable[[], object]]) -> None:
        """Run ``steps`` after those pending, one per turn."""
        self._steps.extend(steps)
        if self._steps and not self._waiting:
            self._schedule()

    def cancel(self) -> None:
        """Forget the pending steps; a turn already scheduled does nothing."""
        self._generation += 1
        self._scheduled = False
        self._waiting = False
        self._steps.clear()

    def flush(self) -> None:
        """Run every pending step now, in order (something needs their results at once);
        a wait ends with it."""
        self._waiting = False
        if not self._steps:
            return
        self._generation += 1  # the scheduled turn finds nothing of these to run
        self._scheduled = False
        while self._steps:
            self._steps.popleft()()
        self.drained.emit()

    def _schedule(self) -> None:
        if self._scheduled:
            return
        self._scheduled = True
        generation = self._generation
        QTimer.singleShot(0, self, lambda: self._run_next(generation))

    def _run_next(self, generation: int) -> None:
        if generation != self._generation:
            return  # cancelled or flushed since: a newer turn (if any) is scheduled
        self._scheduled = False
        if not self._steps:
            return
        step = self._steps.popleft()
        try:
            with FOREGROUND.held():  # a loading series' readers wait (core.jobs.ForegroundGate)
                step()
        finally:
            if generation == self._generation:
                if self._steps:
                    self._schedule()
                else:
                    self.drained.emit()
