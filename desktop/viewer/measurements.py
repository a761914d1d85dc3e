"""Measurements drawn on a viewport: the editable shape, its hit test and its drawing.

The numbers come from :mod:`core.dicom.measure`; this module only keeps the points
(image coordinates, see there) and paints them through the view transform.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

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

from core.dicom.measure import AngleMeasurement, DistanceMeasurement, RoiStatistics

Point = tuple[float, float]
Result = DistanceMeasurement | AngleMeasurement | RoiStatistics

#: Tool names, as :meth:`Viewport.set_tool` takes them; "none" selects and moves.
TOOLS = ("none", "distance", "angle", "rectangle", "ellipse")
MEASUREMENT_KINDS = ("distance", "angle", "rectangle", "ellipse")
#: Shapes shown as a presentation state draws them (read-only): see :mod:`core.dicom.annotations`.
SHAPE_KINDS = ("polyline", "points", "text")

_COLOUR = QColor(255, 208, 0)
_PRESENTATION = QColor(120, 230, 140)  # annotations from a presentation state
_SELECTED = QColor(80, 220, 255)
_HANDLE = 4.0  # half the side of a handle square, screen pixels
_HIT = 6.0  # how near (screen pixels) a click must be to pick a line or a handle


@dataclass(eq=False)
class Measurement:
    """One measurement on one frame of a series.

    ``points``: distance (start, end); angle (first, vertex, second); rectangle and
    ellipse (two opposite corners of the bounding box). ``result`` is recomputed
    by the viewport whenever the points change. Shapes from a presentation state
    (:data:`SHAPE_KINDS`) are read-only: ``extra`` holds ``"readonly"``, ``"text"``
    (a text's lines) and ``"closed"`` (a polyline).
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
    if m.readonly or m.kind in SHAPE_KINDS:
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
