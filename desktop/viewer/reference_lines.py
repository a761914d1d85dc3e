"""Reference lines between the grid's viewports: where another viewport's slice cuts this one.

When two visible viewports show series in one Frame of Reference (0020,0052; the same
patient coordinates, PS3.3 C.7.4.1) whose planes are not parallel, each draws where the
other's current slice cuts its image: the localiser line of an axial series on a scout
or on a coronal series (acquired or reformatted), as reading workstations do. The line
follows the other viewport as it scrolls.

Geometry is core's: a frame's plane from its Image Position/Orientation (Patient) and
spacing (:func:`core.viewing.placement.frame_plane`), a reformatted slice's from its
:class:`~core.viewing.mpr.MprVolume`, and the cut from
:func:`core.viewing.mpr.reference_line`. The lines are drawn by a transparent child of
each viewport (it takes no mouse events), so the viewport itself is not changed.

A slice's place is worked out once per series and frame (:class:`PlaneCache`; a viewport
given another series looks it up anew), and a layer is repainted only when its lines
moved: a transparent layer's repaint repaints the viewport under it, image and texts, so
scrolling one pane no longer repaints every pane of the grid.
"""

from __future__ import annotations

import logging
import weakref
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QEvent, QObject, QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from core.dicom.overlays import OrientationLabels
from core.dicom.volume import Volume
from core.viewing.mpr import MprVolume, PlaneImage, reference_line
from core.viewing.placement import frame_plane
from desktop.viewer.viewport import Viewport

if TYPE_CHECKING:
    from desktop.viewer.grid import ViewerGrid

logger = logging.getLogger(__name__)

__all__ = ["LINE_COLOUR", "PlaneCache", "ReferenceLines", "plane_shown"]

#: The colour of a reference line: cyan, apart from the measurements' yellow and the MPR
#: planes' blue, green and orange.
LINE_COLOUR = QColor(80, 220, 220)


def plane_shown(viewport: Viewport) -> PlaneImage | None:
    """Where the slice a viewport shows lies in the patient; None when that is unknown."""
    volume = viewport.volume
    if volume is None or volume.is_color:
        return None
    index = viewport.frame_index
    mpr = volume.extra.get("mpr")
    plane = volume.extra.get("mpr_plane")
    if isinstance(mpr, MprVolume) and isinstance(plane, str):
        return mpr.slice_geometry(plane, index)
    frames = volume.geometry.frames
    if not 0 <= index < len(frames):
        return None
    found = frame_plane(frames[index], volume.geometry.pixel_spacing)
    if found is None:
        return None
    rows, cols = volume.array.shape[1:3]
    zeros = np.broadcast_to(np.zeros((), dtype=np.int16), (rows, cols))
    return PlaneImage(
        plane="acquired",
        pixels=zeros,
        row_spacing=float(np.linalg.norm(found.row_step)),
        col_spacing=float(np.linalg.norm(found.col_step)),
        position=0.0,
        slab=0.0,
        slices=1,
        mode="plane",
        origin=found.origin,
        row_step=found.row_step,
        col_step=found.col_step,
        labels=OrientationLabels(),
    )


class PlaneCache:
    """Where each shown slice lies, worked out once per series and frame.

    Keyed by the :class:`~core.dicom.volume.Volume` itself (weakly: a closed study's
    entries go with its volume), then by frame index; a viewport showing another series
    shows another volume, so nothing of the previous series is reused.
    """

    def __init__(self) -> None:
        self._planes: weakref.WeakKeyDictionary[Volume, dict[int, PlaneImage | None]] = (
            weakref.WeakKeyDictionary()
        )

    def plane_of(self, viewport: Viewport) -> PlaneImage | None:
        """:func:`plane_shown` for ``viewport``, from the cache when already known."""
        volume = viewport.volume
        if volume is None:
            return None
        frames = self._planes.setdefault(volume, {})
        index = viewport.frame_index
        if index not in frames:
            frames[index] = plane_shown(viewport)
        return frames[index]

    def __len__(self) -> int:
        """How many slices' places are kept (for tests)."""
        return sum(len(frames) for frames in self._planes.values())


class _LineLayer(QWidget):
    """A transparent layer over one viewport that draws the other viewports' lines."""

    def __init__(self, viewport: Viewport, lines: ReferenceLines) -> None:
        super().__init__(viewport)
        self.setObjectName("reference_lines")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground, True)
        self.viewport = viewport
        self._lines = lines
        #: The segments last painted (a repaint is asked for only when they change).
        self.painted: list[tuple[QPointF, QPointF]] = []
        self.setGeometry(viewport.rect())
        viewport.installEventFilter(self)
        self.show()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self.viewport and event.type() == QEvent.Type.Resize:
            self.setGeometry(self.viewport.rect())
        return False

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        segments = self._lines.lines_on(self.viewport)
        self.painted = segments
        if not segments:
            return
        painter = QPainter(self)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            pen = QPen(LINE_COLOUR, 1.5)
            pen.setStyle(Qt.PenStyle.DashLine)
            painter.setPen(pen)
            for a, b in segments:
                painter.drawLine(a, b)
        finally:
            painter.end()


class ReferenceLines(QObject):
    """Draws reference lines between a grid's visible viewports (see the module notes)."""

    def __init__(self, grid: ViewerGrid) -> None:
        super().__init__(grid)
        self._grid = grid
        self._layers: dict[int, _LineLayer] = {}
        self.planes = PlaneCache()
        grid.layout_changed.connect(lambda _rows, _cols: self.attach())

    def attach(self) -> None:
        """Give every viewport made so far its layer (once) and repaint the lines."""
        for viewport in self._grid.all_viewports:
            if id(viewport) not in self._layers:
                self._layers[id(viewport)] = _LineLayer(viewport, self)
                for signal in (viewport.frame_changed, viewport.view_changed):
                    signal.connect(partial(self._on_viewport_changed, viewport))
        self.refresh()

    def refresh(self) -> None:
        """Repaint the layers whose lines moved (each repaint repaints its viewport too)."""
        for layer in self._layers.values():
            if not layer.isVisible():
                continue
            if _segments_key(self.lines_on(layer.viewport)) != _segments_key(layer.painted):
                layer.update()

    def lines_on(self, viewport: Viewport) -> list[tuple[QPointF, QPointF]]:
        """The lines (two widget points each) the other visible viewports put on ``viewport``."""
        shown = self._grid.viewports
        uid = viewport.frame_of_reference_uid
        if viewport not in shown or len(shown) < 2 or uid is None:
            return []
        own = self.planes.plane_of(viewport)
        if own is None:
            return []
        found = []
        for other in shown:
            if other is viewport or other.frame_of_reference_uid != uid:
                continue
            plane = self.planes.plane_of(other)
            ends = reference_line(own, plane) if plane is not None else None
            if ends is not None:
                found.append(
                    (viewport.image_to_widget(*ends[0]), viewport.image_to_widget(*ends[1]))
                )
        return found

    def _on_viewport_changed(self, _viewport: Viewport, *_: object) -> None:
        self.refresh()


def _segments_key(
    segments: list[tuple[QPointF, QPointF]],
) -> list[tuple[float, float, float, float]]:
    """Segments as numbers rounded to a tenth of a pixel (to compare what would be drawn)."""
    return [
        (round(a.x(), 1), round(a.y(), 1), round(b.x(), 1), round(b.y(), 1)) for a, b in segments
    ]
