"""Measurements on a viewport's screen: hit testing and drawing through the view transform.

The shapes and their editing live in :mod:`core.viewing.measurements` (the
:class:`~core.viewing.measurements.Measurement` is imported from there, and kept
importable from here); the numbers come from :mod:`core.dicom.measure`. This module
only paints the points (image coordinates) through the view's ``QTransform``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPen,
    QPolygonF,
    QTransform,
)

from core.dicom.annotations import MEASUREMENT_KINDS
from core.viewing.measurements import DragMode, Measurement, MeasurementEditor, Point

logger = logging.getLogger(__name__)

__all__ = [
    "Measurement",
    "MeasurementGestures",
    "draw_measurement",
    "hit_test",
    "label_anchor",
    "label_rect",
    "screen_bounds",
]

_COLOUR = QColor(255, 208, 0)
_PRESENTATION = QColor(120, 230, 140)  # annotations from a presentation state
_SELECTED = QColor(80, 220, 255)
_HANDLE = 4.0  # half the side of a handle square, screen pixels
_HIT = 6.0  # how near (screen pixels) a click must be to pick a line or a handle


def _screen(transform: QTransform, point: Point) -> QPointF:
    return transform.map(QPointF(point[0], point[1]))


def _segment_distance(p: QPointF, a: QPointF, b: QPointF) -> float:
    ax, ay, bx, by = a.x(), a.y(), b.x(), b.y()
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    t = (
        0.0
        if length2 == 0
        else max(0.0, min(1.0, ((p.x() - ax) * dx + (p.y() - ay) * dy) / length2))
    )
    return math.hypot(p.x() - (ax + t * dx), p.y() - (ay + t * dy))


def _shape_path(m: Measurement, transform: QTransform) -> QPainterPath:
    """The outline of a rectangle or ellipse on the screen (rotation and flips included)."""
    path = QPainterPath()
    (ax, ay), (bx, by) = m.points[0], m.points[1]
    rect = QRectF(QPointF(min(ax, bx), min(ay, by)), QPointF(max(ax, bx), max(ay, by)))
    if m.kind == "rectangle":
        path.addRect(rect)
    else:
        path.addEllipse(rect)
    return transform.map(path)


def hit_test(m: Measurement, pos: QPointF, transform: QTransform, selected: bool) -> int | None:
    """Where ``pos`` (screen) touches ``m``: a handle index, -1 for the body, None for a miss."""
    if m.readonly or m.kind not in MEASUREMENT_KINDS:  # presentation-state shapes
        return None
    screen = [_screen(transform, p) for p in m.points]
    if selected:
        for index, point in enumerate(screen):
            if abs(point.x() - pos.x()) <= _HIT and abs(point.y() - pos.y()) <= _HIT:
                return index
    if m.kind == "distance":
        return -1 if _segment_distance(pos, screen[0], screen[1]) <= _HIT else None
    if m.kind == "angle":
        near = min(
            _segment_distance(pos, screen[1], screen[0]),
            _segment_distance(pos, screen[1], screen[2]) if len(screen) > 2 else math.inf,
        )
        return -1 if near <= _HIT else None
    path = _shape_path(m, transform)
    if path.contains(pos):
        return -1
    # Near the outline also counts (thin shapes).
    outline = path.toFillPolygon()
    for i in range(outline.size()):
        a, b = outline.at(i), outline.at((i + 1) % outline.size())
        if _segment_distance(pos, a, b) <= _HIT:
            return -1
    return None


def label_anchor(m: Measurement, transform: QTransform) -> QPointF:
    """Where the label's top-left goes: beside the rightmost point of the shape."""
    screen = [_screen(transform, p) for p in m.points]
    if m.kind == "text":  # at its anchor, or the top-left of its bounding box
        return QPointF(min(p.x() for p in screen), min(p.y() for p in screen))
    if m.kind in ("rectangle", "ellipse"):
        bounds = _shape_path(m, transform).boundingRect()
        return QPointF(bounds.right() + 8, bounds.top())
    if m.kind == "angle" and len(screen) > 1:
        return QPointF(screen[1].x() + 10, screen[1].y() + 4)
    right = max(screen, key=lambda p: p.x())
    return QPointF(right.x() + 8, right.y() + 4)


def label_rect(m: Measurement, transform: QTransform, font: QFont) -> QRectF:
    """The screen rectangle the label covers (for partial repaints)."""
    lines = m.label_lines
    metrics = QFontMetricsF(font)
    width = max((metrics.horizontalAdvance(line) for line in lines), default=0.0)
    anchor = label_anchor(m, transform)
    return QRectF(anchor.x() - 3, anchor.y() - 3, width + 8, metrics.height() * len(lines) + 6)


def screen_bounds(m: Measurement, transform: QTransform, font: QFont) -> QRectF:
    """Everything the measurement paints on the screen, with a margin."""
    screen = [_screen(transform, p) for p in m.points]
    xs = [p.x() for p in screen]
    ys = [p.y() for p in screen]
    rect = QRectF(QPointF(min(xs), min(ys)), QPointF(max(xs), max(ys)))
    if m.kind in ("rectangle", "ellipse"):
        rect = _shape_path(m, transform).boundingRect()
    margin = _HANDLE + 3
    return rect.adjusted(-margin, -margin, margin, margin).united(label_rect(m, transform, font))


def draw_measurement(
    painter: QPainter, m: Measurement, transform: QTransform, font: QFont, selected: bool
) -> None:
    """Paint the shape, its handles when selected, and its label."""
    colour = _SELECTED if selected else _PRESENTATION if m.readonly else _COLOUR
    screen = [_screen(transform, p) for p in m.points]
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    shadow = QPen(QColor(0, 0, 0, 160), 3.0)
    pen = QPen(colour, 1.5)
    for current in (shadow, pen):
        painter.setPen(current)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        if m.kind == "distance":
            painter.drawLine(screen[0], screen[1])
        elif m.kind == "angle":
            painter.drawLine(screen[1], screen[0])
            if len(screen) > 2:
                painter.drawLine(screen[1], screen[2])
        elif m.kind == "polyline":
            shape = QPolygonF(screen)
            if m.extra.get("closed"):
                painter.drawPolygon(shape)
            else:
                painter.drawPolyline(shape)
        elif m.kind == "points":
            for point in screen:
                painter.drawLine(point + QPointF(-4, 0), point + QPointF(4, 0))
                painter.drawLine(point + QPointF(0, -4), point + QPointF(0, 4))
        elif m.kind in ("rectangle", "ellipse"):
            painter.drawPath(_shape_path(m, transform))
    if selected:
        painter.setPen(QPen(QColor(0, 0, 0), 1.0))
        painter.setBrush(colour)
        for point in screen:
            painter.drawRect(
                QRectF(point.x() - _HANDLE, point.y() - _HANDLE, 2 * _HANDLE, 2 * _HANDLE)
            )
    lines = m.label_lines
    if lines:
        painter.setFont(font)
        metrics = QFontMetricsF(font)
        box = label_rect(m, transform, font)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 150))
        painter.drawRect(box)
        painter.setPen(colour)
        anchor = label_anchor(m, transform)
        for i, line in enumerate(lines):
            painter.drawText(
                QPointF(anchor.x(), anchor.y() + metrics.ascent() + i * metrics.height()), line
            )
    painter.restore()


class MeasurementGestures:
    """The left button on a viewport's measurements: pick and move, draw, paint.

    The editing is the :class:`~core.viewing.measurements.MeasurementEditor`'s; this
    turns screen positions into its calls and repaints only where a measurement was
    and is now. ``transform`` gives the view's image → widget transform now,
    ``to_image`` the image point under a widget point, ``update`` is the widget's
    (no argument: all of it), and ``edited`` is called after a finished change.
    """

    def __init__(
        self,
        editor: MeasurementEditor,
        transform: Callable[[], QTransform],
        to_image: Callable[[QPointF], Point],
        update: Callable[..., None],
        edited: Callable[[], None],
        font: QFont,
    ) -> None:
        self._editor = editor
        self._transform = transform
        self._to_image = to_image
        self._update = update
        self._edited = edited
        self._font = font

    def press(self, pos: QPointF, tool: str, frame: int, *, can_draw: bool) -> DragMode:
        """A left press: MOVE (a measurement picked), DRAW (one started), PAN (nothing
        picked with no tool) or NONE (an angle finished, or nothing to draw on).
        """
        editor = self._editor
        if tool == "none":
            transform = self._transform()
            selected = editor.selected
            for m in editor.pick_order(frame):
                where = hit_test(m, pos, transform, m is selected)
                if where is not None:
                    before = screen_bounds(selected, transform, self._font) if selected else None
                    editor.begin_move(m, where)
                    self._repaint(m, before)
                    return DragMode.MOVE
            if selected is not None:
                editor.selected = None
                self._update()
            return DragMode.PAN
        if not can_draw:
            return DragMode.NONE
        point = self._to_image(pos)
        if tool == "angle" and editor.drawing_second_arm:
            self._commit(point)
            return DragMode.NONE
        editor.begin_drawing(tool, frame, point)
        return DragMode.DRAW

    def move(self, drag: DragMode, start: QPointF, pos: QPointF) -> None:
        """The mouse at ``pos`` (the press was at ``start``); also with no button, for an
        angle's second arm."""
        editor = self._editor
        drawing = editor.drawing
        if drawing is not None and (drag is DragMode.DRAW or editor.drawing_second_arm):
            before = screen_bounds(drawing, self._transform(), self._font)
            editor.drag_drawing_to(self._to_image(pos))
            self._repaint(drawing, before)
        elif drag is DragMode.MOVE and editor.selected is not None:
            m = editor.selected
            before = screen_bounds(m, self._transform(), self._font)
            (x0, y0), (x1, y1) = self._to_image(start), self._to_image(pos)
            editor.move_by(x1 - x0, y1 - y0)
            self._repaint(m, before)

    def release(self, drag: DragMode, pos: QPointF) -> None:
        """The end of a DRAW (too short: dropped; an angle's first arm: the second starts)
        or of a MOVE."""
        editor = self._editor
        m = editor.drawing
        if drag is DragMode.DRAW and m is not None:
            start = self._transform().map(QPointF(*m.points[0]))
            if (start - pos).manhattanLength() < 3:
                self.cancel()
            elif m.kind == "angle":
                editor.begin_second_arm(self._to_image(pos))
                self._update()
            else:
                self._commit(self._to_image(pos))
        elif drag is DragMode.MOVE and editor.finish_move():
            self._edited()

    def cancel(self) -> bool:
        """Drop the measurement being drawn; False when none was."""
        if not self._editor.cancel_drawing():
            return False
        self._update()
        return True

    def paint(self, painter: QPainter, frame: int) -> None:
        """The measurements on ``frame``, then the one being drawn."""
        transform = self._transform()
        selected = self._editor.selected
        for m in self._editor.on_frame(frame):
            draw_measurement(painter, m, transform, self._font, m is selected)
        if self._editor.drawing is not None:
            draw_measurement(painter, self._editor.drawing, transform, self._font, True)

    def _commit(self, last: Point) -> None:
        if self._editor.commit_drawing(last) is None:
            self._update()
        else:
            self._edited()

    def _repaint(self, m: Measurement, before: QRectF | None) -> None:
        """Repaint only where the measurement was and is now."""
        area = screen_bounds(m, self._transform(), self._font)
        if before is not None:
            area = area.united(before)
        self._update(area.toAlignedRect())
