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
    "shown_label",
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


def label_anchor(
    m: Measurement,
    transform: QTransform,
    size: tuple[float, float] = (0.0, 0.0),
    bounds: QRectF | None = None,
) -> QPointF:
    """Where the label's top-left goes: beside the rightmost point of the shape.

    With the label's ``size`` (width, height) and the widget's ``bounds``, a label that
    would leave the widget goes left of the shape instead, and is kept inside: a narrow
    pane (a 1 × 3 layout) must still show the length.
    """
    screen = [_screen(transform, p) for p in m.points]
    if m.kind == "text":  # at its anchor, or the top-left of its bounding box
        anchor = QPointF(min(p.x() for p in screen), min(p.y() for p in screen))
    elif m.kind in ("rectangle", "ellipse"):
        box = _shape_path(m, transform).boundingRect()
        anchor = QPointF(box.right() + 8, box.top())
    elif m.kind == "angle" and len(screen) > 1:
        anchor = QPointF(screen[1].x() + 10, screen[1].y() + 4)
    else:
        right = max(screen, key=lambda p: p.x())
        anchor = QPointF(right.x() + 8, right.y() + 4)
    if bounds is None:
        return anchor
    width, height = size
    x, y = anchor.x(), anchor.y()
    if x + width + 5 > bounds.right():
        x = min(p.x() for p in screen) - 8 - width  # left of the shape
    x = max(bounds.left() + 3, min(x, bounds.right() - width - 5))
    y = max(bounds.top() + 3, min(y, bounds.bottom() - height - 3))
    return QPointF(x, y)


def _label_size(lines: tuple[str, ...], font: QFont) -> tuple[float, float]:
    metrics = QFontMetricsF(font)
    width = max((metrics.horizontalAdvance(line) for line in lines), default=0.0)
    return width, metrics.height() * len(lines)


def shown_label(m: Measurement) -> tuple[str, ...]:
    """The label's lines as the screen shows them: core's, made in the interface's language."""
    return m.label_lines


def label_rect(
    m: Measurement, transform: QTransform, font: QFont, bounds: QRectF | None = None
) -> QRectF:
    """The screen rectangle the label covers (for partial repaints)."""
    size = _label_size(shown_label(m), font)
    anchor = label_anchor(m, transform, size, bounds)
    return QRectF(anchor.x() - 3, anchor.y() - 3, size[0] + 8, size[1] + 6)


def screen_bounds(
    m: Measurement, transform: QTransform, font: QFont, bounds: QRectF | None = None
) -> QRectF:
    """Everything the measurement paints on the screen, with a margin."""
    screen = [_screen(transform, p) for p in m.points]
    xs = [p.x() for p in screen]
    ys = [p.y() for p in screen]
    rect = QRectF(QPointF(min(xs), min(ys)), QPointF(max(xs), max(ys)))
    if m.kind in ("rectangle", "ellipse"):
        rect = _shape_path(m, transform).boundingRect()
    margin = _HANDLE + 3
    shape = rect.adjusted(-margin, -margin, margin, margin)
    return shape.united(label_rect(m, transform, font, bounds))


def draw_measurement(
    painter: QPainter,
    m: Measurement,
    transform: QTransform,
    font: QFont,
    selected: bool,
    bounds: QRectF | None = None,
) -> None:
    """Paint the shape, its handles when selected, and its label (kept inside ``bounds``)."""
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
    lines = shown_label(m)
    if lines:
        painter.setFont(font)
        metrics = QFontMetricsF(font)
        box = label_rect(m, transform, font, bounds)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 150))
        painter.drawRect(box)
        painter.setPen(colour)
        anchor = QPointF(box.left() + 3, box.top() + 3)
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
        bounds: Callable[[], QRectF] | None = None,
    ) -> None:
        self._editor = editor
        self._widget_rect = bounds  # labels stay inside it (None: labels are not moved)
        self._transform = transform
        self._to_image = to_image
        self._update = update
        self._edited = edited
        self._font = font

    def _area(self) -> QRectF | None:
        return self._widget_rect() if self._widget_rect is not None else None

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
                    before = (
                        screen_bounds(selected, transform, self._font, self._area())
                        if selected
                        else None
                    )
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
            before = screen_bounds(drawing, self._transform(), self._font, self._area())
            editor.drag_drawing_to(self._to_image(pos))
            self._repaint(drawing, before)
        elif drag is DragMode.MOVE and editor.selected is not None:
            m = editor.selected
            before = screen_bounds(m, self._transform(), self._font, self._area())
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
        bounds = self._area()
        for m in self._editor.on_frame(frame):
            draw_measurement(painter, m, transform, self._font, m is selected, bounds)
        if self._editor.drawing is not None:
            draw_measurement(painter, self._editor.drawing, transform, self._font, True, bounds)

    def _commit(self, last: Point) -> None:
        if self._editor.commit_drawing(last) is None:
            self._update()
        else:
            self._edited()

    def _repaint(self, m: Measurement, before: QRectF | None) -> None:
        """Repaint only where the measurement was and is now."""
        area = screen_bounds(m, self._transform(), self._font, self._area())
        if before is not None:
            area = area.united(before)
        self._update(area.toAlignedRect())
