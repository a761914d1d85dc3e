"""A viewport that shows one patient plane of a reformatted volume (MPR), with reference lines.

An :class:`MprViewport` is a :class:`~desktop.viewer.viewport.Viewport` (scrolling,
window, zoom and pan, measurements, overlays, keys: all the viewport's own) whose
series is :func:`plane_volume`: the plane's slices as a view of the loaded volume
(:meth:`core.viewing.mpr.MprVolume.stack`, no copy), with the plane's pixel spacing
(not square when the slice spacing differs: the view transform draws them with the
right aspect, measurements are calibrated along each axis) and orientation (the
markers come from it). A thick slab (MIP, MinIP, average) is reduced by
:meth:`core.viewing.mpr.MprVolume.plane` for the slice shown only.

The pane draws where the other planes cut it (:func:`core.viewing.mpr.reference_line`)
in their colours (:data:`PLANE_COLOURS`, its own frame in its own colour). With the
pointer tool, a left-drag that starts on a reference line moves that plane
(:attr:`MprViewport.plane_dragged`); Shift-click (and Shift-drag) puts the crosshair on a
point (:attr:`MprViewport.point_picked`); a Ctrl+left-drag that starts on a reference
line turns that plane about the crosshair (:attr:`MprViewport.line_turned`). The layout
(:mod:`desktop.viewer.mpr_layout`) turns these into positions and planes for every pane.

A turned pane shows an oblique plane: its slices are its plane's slices moved by a
:class:`core.viewing.oblique.PlaneMotion` (:meth:`MprViewport.set_motion`), sampled from
the volume (:func:`core.viewing.oblique.sample_plane`), with markers for their
directions ("RA", "HL"...) and "Oblique" with the angle in the overlay. (An ROI on the slice
shown measures the values shown: a slab's projection, an oblique plane's samples.)
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import replace

import numpy as np
from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from core.dicom.overlays import DisplayHeader, OrientationLabels, OverlayText
from core.dicom.reading_order import ReadingOrder
from core.dicom.records import SeriesGeometry
from core.dicom.volume import Volume
from core.viewing.mpr import (
    PLANE_AXIS,
    MprVolume,
    PlaneImage,
    image_points_to_patient,
    reference_line,
)
from core.viewing.oblique import PlaneMotion, move_plane, sample_plane
from desktop.number_format import decimal
from desktop.viewer.viewport import Viewport

logger = logging.getLogger(__name__)

__all__ = ["PLANE_COLOURS", "SLAB_OFF", "MprViewport", "plane_volume"]

#: Each plane's colour: its frame, and its reference line in the other panes (as Horos).
PLANE_COLOURS: dict[str, QColor] = {
    "axial": QColor(70, 140, 255),
    "coronal": QColor(70, 200, 90),
    "sagittal": QColor(255, 150, 40),
}
#: The slab mode of a pane that shows one plane.
SLAB_OFF = "off"
_MODE_NAMES = {  # as the slab's corner line names them (English sources)
    "mip": QT_TRANSLATE_NOOP("MprViewport", "MIP"),
    "minip": QT_TRANSLATE_NOOP("MprViewport", "MinIP"),
    "avg": QT_TRANSLATE_NOOP("MprViewport", "Avg"),
}
_LINE_HIT_PX = 6.0  # how near (screen pixels) a press must be to take a reference line
#: Display order: axial superior first, coronal anterior first, sagittal right first
#: (as :mod:`core.dicom.reading_order` orders acquired stacks).
_DESCENDING = {"axial": True, "coronal": False, "sagittal": False}


def _plane_name(plane: str) -> str:
    names = {
        "axial": QCoreApplication.translate("MprViewport", "Axial"),
        "coronal": QCoreApplication.translate("MprViewport", "Coronal"),
        "sagittal": QCoreApplication.translate("MprViewport", "Sagittal"),
    }
    return names[plane]


def plane_volume(mpr: MprVolume, plane: str) -> Volume:
    """The slices of ``plane`` as a :class:`Volume` a viewport pages through.

    ``array`` is :meth:`MprVolume.stack` (a view of the loaded volume, no copy); the
    geometry has the plane's pixel spacing, orientation and positions (patient mm along
    the plane's normal axis). A reformatted slice is no one image of the series: its
    frame records all name the series' first image, for the header texts only (the
    series key is the source's with ``#mpr-<plane>``, so its measurements are its own),
    except their slice thickness: a reformatted slice is one voxel thick along the plane's
    normal, so the corner's "Th" says the plane's spacing, not the acquired slices'.
    """
    source = mpr.volume
    stack = mpr.stack(plane)
    count = int(stack.shape[0])
    first = mpr.slice_geometry(plane, 0)
    positions = mpr.positions(plane)
    named = source.geometry.frames[0]
    instance = named.instance
    infos = list(instance.frames)
    infos[named.frame] = replace(infos[named.frame], slice_thickness=mpr.spacing(plane))
    frame = replace(named, instance=replace(instance, frames=tuple(infos)))
    geometry = SeriesGeometry(
        frames=(frame,) * count,
        ordered_by="position",
        slice_positions=tuple(float(p) for p in positions),
        slice_spacing=mpr.spacing(plane),
        pixel_spacing=(first.row_spacing, first.col_spacing),
        spacing_calibrated=source.geometry.spacing_calibrated,
        spacing_note=source.geometry.spacing_note,
        origin=first.origin,
        orientation=first.orientation,
        normal=first.normal,
    )
    series = replace(source.series, key=f"{source.series.key}#mpr-{plane}")
    volume = Volume(
        series=series,
        geometry=geometry,
        array=stack,
        loaded=np.ones(count, dtype=bool),
        total_s=source.total_s or 1.0,
    )
    header = source.extra.get("display_header")
    if isinstance(header, DisplayHeader):
        volume.extra["display_header"] = header
    volume.extra["mpr_plane"] = plane
    volume.extra["mpr_source"] = source  # the acquired series (saved measurements name it)
    volume.extra["mpr"] = mpr  # where each of its slices lies (reference lines)
    return volume


class MprViewport(Viewport):
    """One plane of an :class:`MprVolume` (see the module notes).

    Signals
    -------
    point_picked(object)
        Shift-click or Shift-drag: the patient point (x, y, z mm) under the mouse.
    plane_dragged(str, object)
        A reference line dragged: its plane, and the patient point it was dragged to.
    line_turned(str, object, object)
        A reference line turned (Ctrl-drag): its plane, and the patient points the mouse
        moved from and to (on this pane's plane).
    """

    point_picked = Signal(object)
    plane_dragged = Signal(str, object)
    line_turned = Signal(str, object, object)

    def __init__(self, name: str, plane: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        if plane not in PLANE_AXIS:
            raise ValueError(f"plane must be axial, coronal or sagittal, found {plane!r}")
        self.setObjectName(f"mpr_{name}")
        self.name = name
        self.plane = plane
        self._mpr: MprVolume | None = None
        self._slab_mode = SLAB_OFF
        self._slab_mm = 10.0
        self._plane_key: tuple[int, str, float, PlaneMotion] | None = None
        self._plane_image: PlaneImage | None = None
        self._motion = PlaneMotion()
        self._geometry: dict[int, PlaneImage] = {}  # slice index -> where it lies (turned)
        # An ROI measures what the pane shows (a slab, an oblique plane), not the plain slice.
        self._editor.values_shown = self._values_shown
        self._line_turn: str | None = None
        self._turn_from: tuple[float, float, float] | None = None
        #: The other planes to draw here: (plane, where it lies), given by the layout.
        self.references: Callable[[], list[tuple[str, PlaneImage]]] = list
        self._line_drag: str | None = None
        self._picking = False

    # ------------------------------------------------------------------ plane

    @property
    def mpr(self) -> MprVolume | None:
        return self._mpr

    def show_plane(self, mpr: MprVolume, header: DisplayHeader | None = None) -> None:
        """Show this pane's plane of ``mpr``, at the middle of the volume."""
        if not isinstance(mpr, MprVolume):
            raise TypeError(f"mpr must be an MprVolume, found {type(mpr).__name__}")
        self._mpr = mpr
        self._plane_key = None
        self._geometry.clear()
        volume = plane_volume(mpr, self.plane)
        self.set_volume(volume, header)
        positions = mpr.positions(self.plane)
        sign = -1.0 if _DESCENDING[self.plane] else 1.0
        order = sorted(range(len(positions)), key=lambda i: sign * float(positions[i]))
        convention = {"axial": "superior first", "coronal": "anterior first"}
        self._order = ReadingOrder(tuple(order), convention.get(self.plane, "right first"))
        self.set_frame(mpr.index_of(self.plane, float(np.mean(mpr.extent(self.plane)))))

    @property
    def position(self) -> float | None:
        """The patient coordinate (mm along the plane's normal axis) of the slice shown."""
        return self.slice_position()

    @property
    def slab_mode(self) -> str:
        """``"off"`` (one plane), ``"mip"``, ``"minip"`` or ``"avg"``."""
        return self._slab_mode

    @property
    def slab_thickness(self) -> float:
        """The slab's thickness in mm (kept while the slab is off)."""
        return self._slab_mm

    def set_slab(self, mode: str, thickness: float | None = None) -> None:
        """Show a slab of ``thickness`` mm reduced by ``mode`` ("off": one plane)."""
        if mode not in (SLAB_OFF, *_MODE_NAMES):
            raise ValueError(f"slab mode must be off, mip, minip or avg, found {mode!r}")
        if thickness is not None:
            if isinstance(thickness, bool) or not isinstance(thickness, int | float):
                raise TypeError(f"thickness must be a number, found {type(thickness).__name__}")
            if not 0 < thickness <= 500 or not math.isfinite(thickness):
                raise ValueError(f"thickness must be above 0 and at most 500 mm, found {thickness}")
            self._slab_mm = float(thickness)
        self._slab_mode = mode
        self._invalidate_image()
        self.update()
        self.view_changed.emit()

    @property
    def motion(self) -> PlaneMotion:
        """How this pane's plane is turned (identity: the plain plane)."""
        return self._motion

    @property
    def is_oblique(self) -> bool:
        return not self._motion.is_identity

    def set_motion(self, motion: PlaneMotion) -> None:
        """Turn this pane's plane (see the module notes); ``PlaneMotion()`` resets it."""
        if not isinstance(motion, PlaneMotion):
            raise TypeError(f"motion must be a PlaneMotion, found {type(motion).__name__}")
        self._motion = motion
        self._geometry.clear()
        self._invalidate_image()
        self.update()
        self.view_changed.emit()

    def slice_geometry(self, index: int | None = None) -> PlaneImage | None:
        """Where slice ``index`` (default the one shown) lies, turned; not sampled."""
        mpr = self._mpr
        if mpr is None or self.volume is None:
            return None
        at = self.frame_index if index is None else int(index)
        image = self._geometry.get(at)
        if image is None:  # asked on every repaint of every pane: kept, a few at a time
            if len(self._geometry) > 16:
                self._geometry.clear()
            image = move_plane(mpr.slice_geometry(self.plane, at), self._motion)
            self._geometry[at] = image
        return image

    def index_at(self, point: object) -> int:
        """The slice whose (turned) plane passes nearest the patient ``point``."""
        first, second = self.slice_geometry(0), self.slice_geometry(min(1, self.frame_count - 1))
        if first is None or second is None:
            return 0
        normal = np.asarray(first.normal)
        offset = float((np.asarray(point, dtype=float) - np.asarray(first.origin)) @ normal)
        step = float((np.asarray(second.origin) - np.asarray(first.origin)) @ normal)
        if abs(step) < 1e-9:
            return 0
        return int(min(self.frame_count - 1, max(0, round(offset / step))))

    def show_point(self, point: object) -> None:
        """Show the slice through the patient ``point`` (as near as the slices go)."""
        self.set_frame(self.index_at(point))

    def plane_image(self) -> PlaneImage | None:
        """The plane (or slab) shown now, with where its pixels lie in the patient."""
        mpr = self._mpr
        if mpr is None or self.volume is None:
            return None
        slab = 0.0 if self._slab_mode == SLAB_OFF else self._slab_mm
        key = (self.frame_index, self._slab_mode, slab, self._motion)
        if key != self._plane_key or self._plane_image is None:
            mode = "mip" if self._slab_mode == SLAB_OFF else self._slab_mode
            if self.is_oblique:
                geometry = self.slice_geometry()
                assert geometry is not None
                self._plane_image = sample_plane(mpr, geometry, slab=slab, mode=mode)
            else:
                position = float(mpr.positions(self.plane)[self.frame_index])
                self._plane_image = mpr.plane(self.plane, position, slab=slab, mode=mode)
            self._plane_key = key
        return self._plane_image

    def orientation_labels(self) -> OrientationLabels:
        """The markers of the plane shown (a turned plane's own directions)."""
        image = self.slice_geometry() if self.is_oblique else None
        if image is None:
            return super().orientation_labels()
        return self._view.orientation_labels(image.orientation)

    def _values_shown(self, frame: int) -> np.ndarray | None:
        """The values shown for ``frame`` when it is the one shown (else None: stored)."""
        volume = self.volume
        if volume is None or frame != self.frame_index or not volume.loaded[frame]:
            return None
        return self._frame_pixels()

    def _frame_pixels(self) -> np.ndarray:
        image = self.plane_image()
        volume = self.volume
        if image is None or volume is None:
            return super()._frame_pixels()
        pixels = image.pixels
        dtype = volume.array.dtype
        if pixels.dtype != dtype:  # an average: back to the values' type for the window table
            if dtype.kind in "iu":
                pixels = np.rint(pixels)
            pixels = pixels.astype(dtype)
        return pixels

    def clear(self) -> None:
        self._mpr = None
        self._geometry.clear()
        self._plane_image = None
        self._plane_key = None
        super().clear()

    # ------------------------------------------------------------------ overlays

    def overlay_text(self) -> OverlayText:
        """The viewport's corners, with the plane, its position and the slab bottom left."""
        text = super().overlay_text()
        image = self.plane_image()
        if image is None:
            return text
        name = _plane_name(self.plane)
        if self.is_oblique:
            name = self.tr("Oblique ({plane} {angle}°)").format(
                plane=name, angle=f"{self._motion.degrees:.0f}"
            )
        lines = [
            name,
            self.tr("Im {number}/{count}").format(
                number=self.display_position + 1, count=self.frame_count
            ),
            self.tr("Pos {position} mm").format(position=decimal(image.position, 1)),
        ]
        if self._slab_mode != SLAB_OFF:
            mode = QCoreApplication.translate("MprViewport", str(_MODE_NAMES[self._slab_mode]))
            lines.append(
                self.tr("{mode} {thickness} mm").format(mode=mode, thickness=f"{self._slab_mm:g}")
            )
        return replace(text, bottom_left=tuple(lines))

    def reference_lines(self) -> list[tuple[str, QPointF, QPointF]]:
        """(plane, one end, the other) on the widget, for each other plane that cuts this one."""
        image = self.plane_image()
        if image is None:
            return []
        transform = self._transform()
        found = []
        for plane, other in self.references():
            if plane == self.plane:
                continue
            ends = reference_line(image, other)
            if ends is not None:
                a, b = (transform.map(QPointF(x, y)) for x, y in ends)
                found.append((plane, a, b))
        return found

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        super().paintEvent(event)
        if self.volume is None:
            return
        painter = QPainter(self)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            for plane, a, b in self.reference_lines():
                painter.setPen(QPen(PLANE_COLOURS[plane], 1.5))
                painter.drawLine(a, b)
            pen = QPen(PLANE_COLOURS[self.plane], 3.0 if self.is_active else 1.5)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(QRectF(self.rect()).adjusted(1, 1, -1, -1))
        finally:
            painter.end()

    # ------------------------------------------------------------------ mouse

    def patient_point_at(self, pos: QPointF) -> tuple[float, float, float] | None:
        """The patient point (mm) under a widget point, on the plane shown."""
        image = self.plane_image()
        if image is None:
            return None
        return image_points_to_patient(image, [self.widget_to_image(pos)])[0]

    def line_at(self, pos: QPointF) -> str | None:
        """The plane whose reference line is under ``pos`` (within a few pixels), or None."""
        best: tuple[float, str] | None = None
        for plane, a, b in self.reference_lines():
            distance = _segment_distance(pos, a, b)
            if distance <= _LINE_HIT_PX and (best is None or distance < best[0]):
                best = (distance, plane)
        return None if best is None else best[1]

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if event.button() == Qt.MouseButton.LeftButton and self.volume is not None:
            pos = event.position()
            shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            ctrl = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
            line = None if shift or self.tool != "none" else self.line_at(pos)
            if ctrl and line is not None:
                self.setFocus(Qt.FocusReason.MouseFocusReason)
                self.activated.emit()
                self._line_turn = line
                self._turn_from = self.patient_point_at(pos)
                event.accept()
                return
            if shift or line is not None:
                self.setFocus(Qt.FocusReason.MouseFocusReason)
                self.activated.emit()
                self._picking = shift
                self._line_drag = line
                self._follow_mouse(pos)
                event.accept()
                return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if self._line_turn is not None:
            point = self.patient_point_at(event.position())
            if point is not None and self._turn_from is not None:
                self.line_turned.emit(self._line_turn, self._turn_from, point)
            self._turn_from = point
            event.accept()
            return
        if self._picking or self._line_drag is not None:
            self._follow_mouse(event.position())
            event.accept()
            return
        if event.buttons() == Qt.MouseButton.NoButton and self.tool == "none":
            line = self.line_at(event.position())
            if line is None:
                self.unsetCursor()
            elif event.modifiers() & Qt.KeyboardModifier.ControlModifier:
                self.setCursor(Qt.CursorShape.CrossCursor)  # Ctrl: turn the line
            else:
                vertical = self._line_is_vertical(line)
                shape = Qt.CursorShape.SizeHorCursor if vertical else Qt.CursorShape.SizeVerCursor
                self.setCursor(shape)
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if self._line_turn is not None:
            self._line_turn = None
            self._turn_from = None
            event.accept()
            return
        if self._picking or self._line_drag is not None:
            self._picking = False
            self._line_drag = None
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def _follow_mouse(self, pos: QPointF) -> None:
        point = self.patient_point_at(pos)
        if point is None:
            return
        if self._picking:
            self.point_picked.emit(point)
        elif self._line_drag is not None:
            self.plane_dragged.emit(self._line_drag, point)

    def _line_is_vertical(self, plane: str) -> bool:
        for other, a, b in self.reference_lines():
            if other == plane:
                return abs(b.x() - a.x()) < abs(b.y() - a.y())
        return False


def _segment_distance(p: QPointF, a: QPointF, b: QPointF) -> float:
    dx, dy = b.x() - a.x(), b.y() - a.y()
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else ((p.x() - a.x()) * dx + (p.y() - a.y()) * dy) / length2
    t = max(0.0, min(1.0, t))
    return math.hypot(p.x() - (a.x() + t * dx), p.y() - (a.y() + t * dy))
