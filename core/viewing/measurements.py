"""The measurements drawn on a series: the list, the one being drawn or moved, and undo/redo.

A :class:`Measurement` is the editable shape a viewer draws (points in image
coordinates, as in :mod:`core.dicom.measure`, which computes its numbers); the saved
form is :class:`core.dicom.annotations.Annotation`. A
:class:`MeasurementEditor` keeps the measurements of every series shown so far
(keyed by series, so a series shown again finds its own), which one is selected,
the one being drawn or moved, and the history of finished changes as small frozen
records (:class:`Added`, :class:`Deleted`, :class:`Moved`) that undo and redo replay.
A viewport only turns the mouse into image points, calls the editor, and paints.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Final

import numpy as np

from core.dicom.annotations import MEASUREMENT_KINDS
from core.dicom.measure import (
    AngleMeasurement,
    DistanceMeasurement,
    RoiStatistics,
    measure_angle,
    measure_distance,
    measure_ellipse,
    measure_rectangle,
)
from core.dicom.volume import Volume

logger = logging.getLogger(__name__)

__all__ = [
    "TOOLS",
    "Added",
    "Deleted",
    "DragMode",
    "Edit",
    "Measurement",
    "MeasurementEditor",
    "Moved",
    "Point",
    "Result",
    "update_result",
]

Point = tuple[float, float]
Result = DistanceMeasurement | AngleMeasurement | RoiStatistics

#: Tool names, as a viewport's ``set_tool`` takes them; "none" selects and moves.
TOOLS: Final = ("none", *MEASUREMENT_KINDS)
_POINTS_NEEDED: Final = {"distance": 2, "angle": 3, "rectangle": 2, "ellipse": 2}
_LUMA: Final = np.array([0.299, 0.587, 0.114], np.float32)  # ROI statistics of a colour image


class DragMode(Enum):
    """What a press, drag and release on a viewport is doing."""

    NONE = "none"
    WINDOW = "window"  # right button: width across, level up and down
    PAN = "pan"
    DRAW = "draw"  # a new measurement's last point follows the mouse
    MOVE = "move"  # a measurement, or one of its handles, follows the mouse


@dataclass(eq=False)
class Measurement:
    """One measurement on one frame of a series (compared by identity).

    ``points``: distance (start, end); angle (first, vertex, second); rectangle and
    ellipse (two opposite corners of the bounding box). ``result`` is recomputed
    (:func:`update_result`) whenever the points change. Shapes from a presentation
    state (polyline, points, text) are read-only: ``extra`` holds ``"readonly"``,
    ``"text"`` (a text's lines) and ``"closed"`` (a polyline).
    """

    kind: str
    frame: int
    points: list[Point]
    result: Result | None = None
    series_key: str = ""
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def readonly(self) -> bool:
        """Shown as found (a presentation state's), never selected, moved or saved."""
        return bool(self.extra.get("readonly", False))

    @property
    def label_lines(self) -> tuple[str, ...]:
        """What the label beside the shape says."""
        if self.kind == "text":
            return tuple(str(self.extra.get("text", "")).splitlines())
        result = self.result
        if isinstance(result, DistanceMeasurement | AngleMeasurement):
            return (result.label,)
        if isinstance(result, RoiStatistics):
            return result.label_lines
        return ()

    def moved(self, dx: float, dy: float) -> list[Point]:
        return [(x + dx, y + dy) for x, y in self.points]


@dataclass(frozen=True)
class Added:
    """A measurement was added to its series' list at ``index``."""

    measurement: Measurement
    index: int


@dataclass(frozen=True)
class Deleted:
    """A measurement was deleted from its series' list at ``index``."""

    measurement: Measurement
    index: int


@dataclass(frozen=True)
class Moved:
    """A measurement's points went from ``before`` to ``after`` (a move, or one handle's)."""

    measurement: Measurement
    before: tuple[Point, ...]
    after: tuple[Point, ...]


Edit = Added | Deleted | Moved


def update_result(
    m: Measurement, volume: Volume, unit: str = "", values: np.ndarray | None = None
) -> None:
    """Measure ``m`` again on ``volume`` (its frame's values for an ROI); sets ``m.result``.

    ``values``, when given, are the frame's values as shown (a thick slab's projection,
    an oblique plane's samples), which an ROI then measures instead of the stored frame.

    A shape that cannot be measured yet (a zero-length arm while drawing, an angle
    with one arm) gets None; presentation-state shapes keep theirs.
    """
    geometry = volume.geometry
    spacing = geometry.pixel_spacing
    calibrated = geometry.spacing_calibrated
    try:
        if m.kind == "distance":
            m.result = measure_distance(m.points[0], m.points[1], spacing, calibrated=calibrated)
        elif m.kind == "angle":
            if len(m.points) < 3:
                m.result = None
                return
            m.result = measure_angle(
                m.points[0], m.points[1], m.points[2], spacing, calibrated=calibrated
            )
        elif m.kind in ("rectangle", "ellipse"):
            if values is None:
                values = volume.array[m.frame]
            if volume.is_color:
                values = values.astype(np.float32) @ _LUMA
            measure = measure_rectangle if m.kind == "rectangle" else measure_ellipse
            m.result = measure(
                values, m.points[0], m.points[1], spacing, calibrated=calibrated, unit=unit
            )
    except ValueError:
        m.result = None


class MeasurementEditor:
    """The measurements of each series, the selection, drawing, moving, undo and redo.

    :meth:`show` names the series being edited (its volume measures them); the
    measurements of series shown before are kept for when they come back.
    """

    def __init__(self) -> None:
        self._by_series: dict[str, list[Measurement]] = {}
        self._volume: Volume | None = None
        self._unit = ""
        self.selected: Measurement | None = None
        self._drawing: Measurement | None = None
        self._second_arm = False
        self._move_handle = -1
        self._move_from: tuple[Point, ...] = ()
        self._undo: list[Edit] = []
        self._redo: list[Edit] = []
        #: The values a frame shows, when they are not the stored frame's (a slab, an
        #: oblique plane): ``values_shown(frame)``, None for a frame shown as stored.
        self.values_shown: Callable[[int], np.ndarray | None] | None = None

    # ------------------------------------------------------------------ the lists

    def show(self, volume: Volume | None, unit: str = "") -> None:
        """Edit ``volume``'s series from now on (None: no series); nothing is selected,
        drawn or undoable then.
        """
        self._volume = volume
        self._unit = unit
        self.selected = None
        self._drawing = None
        self._second_arm = False
        self._undo.clear()
        self._redo.clear()

    @property
    def series_key(self) -> str | None:
        return None if self._volume is None else self._volume.series.key

    def _items(self) -> list[Measurement]:
        key = self.series_key
        return [] if key is None else self._by_series.setdefault(key, [])

    @property
    def measurements(self) -> list[Measurement]:
        """The measurements of the series edited, all frames (a copy of the list)."""
        return list(self._items())

    def on_frame(self, frame: int) -> list[Measurement]:
        return [m for m in self._items() if m.frame == frame]

    def pick_order(self, frame: int) -> list[Measurement]:
        """The measurements on ``frame`` from the top-most down: the selected one first
        (its handles win), then the latest drawn.
        """
        found = self.on_frame(frame)
        if self.selected in found:
            found.remove(self.selected)
            found.append(self.selected)
        return found[::-1]

    @property
    def history(self) -> tuple[Edit, ...]:
        """The finished changes that :meth:`undo` would take back, oldest first."""
        return tuple(self._undo)

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    def _measure(self, m: Measurement) -> None:
        if self._volume is not None and self._volume.series.key == m.series_key:
            shown = self.values_shown(m.frame) if self.values_shown is not None else None
            update_result(m, self._volume, self._unit, shown)

    def _record(self, edit: Edit) -> None:
        self._undo.append(edit)
        self._redo.clear()

    def add(self, kind: str, points: Sequence[Point], frame: int) -> Measurement:
        """Add a measurement (as drawing it would: undoable); returns it, selected."""
        if kind not in MEASUREMENT_KINDS:
            raise ValueError(f"kind must be distance, angle, rectangle or ellipse; found {kind!r}")
        needed = _POINTS_NEEDED[kind]
        if len(points) != needed:
            raise ValueError(f"a {kind} needs {needed} points, found {len(points)}")
        key = self.series_key
        if key is None:
            raise ValueError("no series is shown")
        m = Measurement(kind, int(frame), [(float(p[0]), float(p[1])) for p in points])
        m.series_key = key
        self._measure(m)
        self._append(m)
        return m

    def _append(self, m: Measurement) -> None:
        items = self._items()
        self._record(Added(m, len(items)))
        items.append(m)
        self.selected = m

    def replace(self, measurements: Sequence[Measurement]) -> None:
        """These instead of the series' own (restored, or a presentation state's), measured
        again; not undoable. History about measurements no longer shown is forgotten.
        """
        key = self.series_key
        if key is None:
            return
        self.cancel_drawing()
        items = self._items()
        items[:] = measurements
        for m in items:
            m.series_key = key
            self._measure(m)
        self._undo = [e for e in self._undo if e.measurement in items]
        self._redo = [e for e in self._redo if e.measurement in items]
        if self.selected not in items:
            self.selected = None

    def delete_selected(self) -> bool:
        """Delete the selected measurement (undoable); False when none is selected."""
        m = self.selected
        items = self._items()
        if m is None or m not in items:
            return False
        index = items.index(m)
        items.remove(m)
        self._record(Deleted(m, index))
        self.selected = None
        return True

    def undo(self) -> bool:
        """Undo the last add, delete or move; False when there is none."""
        if not self._undo:
            return False
        edit = self._undo.pop()
        self._apply(edit, forward=False)
        self._redo.append(edit)
        return True

    def redo(self) -> bool:
        """Do again the last change undone; False when there is none."""
        if not self._redo:
            return False
        edit = self._redo.pop()
        self._apply(edit, forward=True)
        self._undo.append(edit)
        return True

    def _apply(self, edit: Edit, *, forward: bool) -> None:
        m = edit.measurement
        items = self._by_series.setdefault(m.series_key, [])
        if isinstance(edit, Moved):
            m.points = list(edit.after if forward else edit.before)
            self._measure(m)
        elif isinstance(edit, Added) == forward:  # add again, or delete undone
            if m not in items:
                items.insert(min(edit.index, len(items)), m)
        else:  # add undone, or delete again
            if m in items:
                items.remove(m)
            if self.selected is m:
                self.selected = None

    # ------------------------------------------------------------------ drawing

    @property
    def drawing(self) -> Measurement | None:
        """The measurement being drawn (not yet in the list), None when none is."""
        return self._drawing

    @property
    def drawing_second_arm(self) -> bool:
        """An angle's first arm is drawn; its second follows the mouse until a click."""
        return self._drawing is not None and self._second_arm

    def begin_drawing(self, kind: str, frame: int, point: Point) -> Measurement:
        """Start a ``kind`` at ``point``; its last point follows :meth:`drag_drawing_to`."""
        if kind not in MEASUREMENT_KINDS:
            raise ValueError(f"kind must be distance, angle, rectangle or ellipse; found {kind!r}")
        m = Measurement(kind, int(frame), [point, point])
        m.series_key = self.series_key or ""
        self._drawing = m
        self._second_arm = False
        return m

    def drag_drawing_to(self, point: Point) -> None:
        """The last point of the measurement being drawn (an angle's second arm: its end)."""
        m = self._drawing
        if m is not None:
            m.points[-1] = point
            self._measure(m)

    def begin_second_arm(self, vertex: Point) -> None:
        """An angle's first arm ends at ``vertex``; the second starts there."""
        m = self._drawing
        if m is not None and m.kind == "angle" and len(m.points) == 2:
            m.points[-1] = vertex
            m.points.append(vertex)
            self._second_arm = True
            self._measure(m)

    def commit_drawing(self, last: Point | None = None) -> Measurement | None:
        """Put the measurement drawn (its last point at ``last`` when given) into the list
        (undoable), selected; None when there was none, or it measures nothing (an angle
        with a zero-length arm), and is dropped.
        """
        m = self._drawing
        self._drawing = None
        self._second_arm = False
        if m is None:
            return None
        if last is not None:
            m.points[-1] = last
        self._measure(m)
        if m.kind == "angle" and m.result is None:
            return None
        self._append(m)
        return m

    def cancel_drawing(self) -> bool:
        """Drop the measurement being drawn; False when none was."""
        if self._drawing is None:
            return False
        self._drawing = None
        self._second_arm = False
        return True

    # ------------------------------------------------------------------ moving

    def begin_move(self, m: Measurement, handle: int = -1) -> None:
        """Select ``m`` and start moving it (``handle`` < 0) or its point ``handle``."""
        if not -1 <= handle < len(m.points):
            raise ValueError(f"handle must be -1 to {len(m.points) - 1}, found {handle}")
        self.selected = m
        self._move_handle = handle
        self._move_from = tuple(m.points)

    def move_by(self, dx: float, dy: float) -> None:
        """Where the move started, plus ``(dx, dy)`` (image pixels)."""
        m = self.selected
        if m is None or not self._move_from:
            return
        if self._move_handle < 0:
            m.points = [(x + dx, y + dy) for x, y in self._move_from]
        else:
            x, y = self._move_from[self._move_handle]
            m.points[self._move_handle] = (x + dx, y + dy)
        self._measure(m)

    def finish_move(self) -> bool:
        """End the move; True (and undoable) when the measurement did move."""
        m, before = self.selected, self._move_from
        self._move_from = ()
        if m is None or not before or tuple(m.points) == before:
            return False
        self._record(Moved(m, before, tuple(m.points)))
        return True
