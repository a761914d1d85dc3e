"""The order in which a reader pages through a stack (display order), apart from geometry.

:func:`core.dicom.geometry.compute_geometry` orders frames by their position along
the slice normal, ascending — a mathematical order that depends on which way the
normal points (the row × column cross product), so an axial CT acquired supine
head first opens at its most *inferior* slice. Radiologists read an axial stack
from the top of the head down. This module decides, in one place, which frame a
viewer shows first and which way "next image" goes; the volume keeps the geometry
order (``Volume.array[i]`` is ``geometry.frames[i]``) and nothing in core changes it.

Conventions (patient coordinates, PS3.3 C.7.6.2.1.1: +x toward the patient's left,
+y posterior, +z toward the head):

* axial: **superior first** (largest z first, paging toward the feet);
* coronal: **anterior first** (smallest y first, paging toward the back);
* sagittal: **right first** (smallest x first, paging toward the patient's left);
* oblique: the axis the slice normal is nearest to decides, as above.

A stack without positions (ordered by Instance Number) keeps that order, and so do
one whose positions do not span (a cine at one location) and the frames of projection
images (radiographs, fluoroscopy, angiography: their frames are moments, not slices).
Frames at the same position (a multi-phase stack) keep their relative order (time runs
forward) when the positions are reversed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from core.dicom.geometry import _PROJECTION_MODALITIES, DUPLICATE_TOLERANCE
from core.dicom.records import SeriesGeometry

logger = logging.getLogger(__name__)

__all__ = ["ReadingOrder", "reading_order"]

#: Per patient axis (x, y, z): the name of the convention and the sign the step from
#: one displayed image to the next has along that axis.
_CONVENTIONS: dict[int, tuple[str, float]] = {
    0: ("right first", 1.0),  # sagittal: toward +x, the patient's left
    1: ("anterior first", 1.0),  # coronal: toward +y, posterior
    2: ("superior first", -1.0),  # axial: toward -z, the feet
}


@dataclass(frozen=True)
class ReadingOrder:
    """Display positions of a stack's frames.

    Attributes
    ----------
    frames : tuple of int
        ``frames[p]`` is the index (geometry order, as in ``Volume.array``) of the
        frame shown at display position ``p``; position 0 is shown first.
    convention : str
        ``"superior first"``, ``"anterior first"``, ``"right first"``, or
        ``"acquisition order"`` when there is nothing to decide by.
    """

    frames: tuple[int, ...]
    convention: str
    _positions: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if sorted(self.frames) != list(range(len(self.frames))):
            raise ValueError("frames must be a permutation of 0..count-1")
        inverse = [0] * len(self.frames)
        for position, frame in enumerate(self.frames):
            inverse[frame] = position
        object.__setattr__(self, "_positions", tuple(inverse))

    @property
    def count(self) -> int:
        return len(self.frames)

    @property
    def reversed(self) -> bool:
        """True when the display order runs against the geometry order."""
        return len(self.frames) > 1 and self.frames[0] > self.frames[-1]

    def frame_at(self, position: int) -> int:
        """The frame index shown at display ``position`` (clamped to the stack)."""
        if not self.frames:
            return 0
        return self.frames[max(0, min(int(position), len(self.frames) - 1))]

    def position_of(self, frame: int) -> int:
        """The display position of frame index ``frame``."""
        if not 0 <= frame < len(self.frames):
            raise ValueError(f"frame must be 0..{len(self.frames) - 1}, found {frame}")
        return self._positions[frame]

    def step(self, frame: int, steps: int) -> int:
        """The frame index ``steps`` display positions after ``frame`` (clamped)."""
        return self.frame_at(self.position_of(frame) + int(steps))


def reading_order(geometry: SeriesGeometry) -> ReadingOrder:
    """The display order of a stack; see the module notes for the conventions.

    Parameters
    ----------
    geometry : SeriesGeometry
        From :func:`core.dicom.geometry.compute_geometry`.

    Returns
    -------
    ReadingOrder
    """
    if not isinstance(geometry, SeriesGeometry):
        raise TypeError(f"geometry must be a SeriesGeometry, found {type(geometry).__name__}")
    count = len(geometry.frames)
    identity = tuple(range(count))
    positions = geometry.slice_positions
    normal = geometry.normal
    if (
        count < 2
        or geometry.ordered_by != "position"
        or positions is None
        or normal is None
        or len(positions) != count
        or geometry.frames[0].instance.modality in _PROJECTION_MODALITIES
    ):
        return ReadingOrder(identity, "acquisition order")
    spread = float(max(positions) - min(positions))
    if spread <= DUPLICATE_TOLERANCE:
        return ReadingOrder(identity, "acquisition order")
    axis = int(np.argmax(np.abs(np.asarray(normal, dtype=float))))
    convention, wanted = _CONVENTIONS[axis]
    # Geometry order steps along +normal; its sign on the axis says which way that is.
    if normal[axis] * wanted >= 0:
        return ReadingOrder(identity, convention)
    # Reverse the positions, keeping the order of frames that share one (time runs on).
    frames = tuple(sorted(identity, key=lambda i: (-positions[i], i)))
    return ReadingOrder(frames, convention)
