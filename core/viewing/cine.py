"""The cine clock: which image is due now when a series plays at a frame rate.

Playing follows the wall clock, not the timer: a late tick shows the image due now,
skipping (and counting) those it was too late for, so that a loop of 200 images at
20 fps takes ten seconds whatever the machine.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from numbers import Real
from typing import Final

logger = logging.getLogger(__name__)

__all__ = ["MAX_FPS", "MIN_FPS", "CineClock", "check_fps", "count_skipped"]

MIN_FPS: Final = 0.5
MAX_FPS: Final = 120.0


def check_fps(fps: object) -> float:
    """``fps`` as a float, if it is a number from :data:`MIN_FPS` to :data:`MAX_FPS`."""
    if isinstance(fps, bool) or not isinstance(fps, Real):
        raise TypeError(f"fps must be a number, found {type(fps).__name__}")
    if not (math.isfinite(float(fps)) and MIN_FPS <= float(fps) <= MAX_FPS):
        raise ValueError(f"fps must be 0.5 to 120, found {fps}")
    return float(fps)


@dataclass(frozen=True)
class CineClock:
    """Started at ``started_at`` (seconds, any monotonic clock) on image ``start``
    (reading position), playing ``fps`` images a second in a loop."""

    fps: float
    start: int
    started_at: float

    @property
    def tick_ms(self) -> int:
        """How often to look: twice per image, as a tick that comes early costs nothing
        and one that comes late shows the image due now."""
        return max(1, int(500 / self.fps))

    def due(self, now: float, count: int) -> int:
        """The reading position due at ``now`` in a loop of ``count`` images."""
        return (self.start + int((now - self.started_at) * self.fps)) % max(count, 1)


def count_skipped(shown: int, due: int, count: int) -> int:
    """How many images were skipped going from position ``shown`` to ``due`` (looping)."""
    return (due - shown - 1) % count
