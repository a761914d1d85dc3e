"""Which frame a viewer can show: the state of a frame of a volume still filling, and the
frame nearest a position along the slice normal (to link viewports of one frame of reference).
"""

from __future__ import annotations

import logging
from enum import StrEnum

import numpy as np

from core.dicom.volume import Volume

logger = logging.getLogger(__name__)

__all__ = ["FrameState", "frame_state", "nearest_frame"]


class FrameState(StrEnum):
    """What a viewer shows for a frame (the value is what the overlay says)."""

    LOADED = "loaded"
    LOADING = "loading"
    FAILED = "failed"


def frame_state(volume: Volume | None, index: int) -> FrameState:
    """Loaded; failed (its file is among the failures, or the load ended without it); or
    still loading."""
    if volume is None:
        return FrameState.LOADING
    if volume.loaded[index]:
        return FrameState.LOADED
    if volume.total_s > 0:
        return FrameState.FAILED
    source = volume.geometry.frames[index].instance.ref
    if any(f.ref == source for f in volume.failures):
        return FrameState.FAILED
    return FrameState.LOADING


def nearest_frame(volume: Volume, position: float) -> int | None:
    """The frame nearest ``position`` (mm along the slice normal); None when positions are
    unknown or ``position`` is more than one slice step beyond the first or last."""
    if volume.geometry.slice_positions is None:
        return None
    positions = np.asarray(volume.geometry.slice_positions, dtype=float)
    step = volume.geometry.slice_spacing
    if step is None:
        step = float(np.median(np.abs(np.diff(positions)))) if len(positions) > 1 else 1.0
    if position < positions.min() - step or position > positions.max() + step:
        return None
    return int(np.argmin(np.abs(positions - position)))
