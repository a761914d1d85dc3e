"""Painting a viewport's overlays: corner texts, orientation markers and the scale bar.

What the overlays say is decided in :mod:`core.dicom.display`
(:func:`~core.dicom.display.compose_overlay`,
:func:`~core.dicom.display.compute_orientation_labels`,
:func:`~core.dicom.display.choose_scale_bar`); here it is only laid out and painted,
light text with a dark outline so that it reads on any grey.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen

from core.dicom.display import OrientationLabels, OverlayText, ScaleBar

TEXT_COLOUR = QColor(235, 235, 235)
MARKER_COLOUR = QColor(255, 200, 90)
_SHADOW = QColor(0, 0, 0)
MARGIN = 6.0


def overlay_font() -> QFont:
    font = QFont()
    font.setPixelSize(12)
    font.setStyleHint(QFont.StyleHint.SansSerif)
    return font


def marker_font() -> QFont:
    font = QFont()
    font.setPixelSize(15)
    font.setBold(True)
    return font


def _text(painter: QPainter, point: QPointF, text: str, colour: QColor) -> None:
    """Text with a one-pixel dark outline (four offsets are cheaper than a path stroke)."""
    painter.setPen(_SHADOW)
    for dx, dy in ((1, 1), (-1, -1), (1, -1), (-1, 1)):
        painter.drawText(QPointF(point.x() + dx, point.y() + dy), text)
    painter.setPen(colour)
    painter.drawText(point, text)


def corner_rects(rect: QRectF, overlay: OverlayText, font: QFont) -> dict[str, QRectF]:
    """Where each corner block is painted (for partial repaints and tests)."""
    metrics = QFontMetricsF(font)
    line = metrics.height()
    blocks = {
        "top_left": overlay.top_left,
        "top_right": overlay.top_right,
        "bottom_left": overlay.bottom_left,
        "bottom_right": overlay.bottom_right,
    }
    rects: dict[str, QRectF] = {}
    for name, lines in blocks.items():
        width = max((metrics.horizontalAdvance(t) for t in lines), default=0.0) + 2
        height = line * len(lines) + 2
        x = rect.left() + MARGIN if name.endswith("left") else rect.right() - MARGIN - width
        y = rect.top() + MARGIN if name.startswith("top") else rect.bottom() - MARGIN - height
        rects[name] = QRectF(x - 1, y - 1, width + 2, height + 2)
    return rects


def draw_corners(painter: QPainter, rect: QRectF, overlay: OverlayText, font: QFont) -> None:
    painter.setFont(font)
    metrics = QFontMetricsF(font)
    rects = corner_rects(rect, overlay, font)
    room = max(24.0, rect.width() / 2 - MARGIN - metrics.horizontalAdvance("M"))
    for name, lines in (
        ("top_left", overlay.top_left),
        ("top_right", overlay.top_right),
        ("bottom_left", overlay.bottom_left),
        ("bottom_right", overlay.bottom_right),
    ):
        block = rects[name]
        for i, line in enumerate(lines):
            # A narrow viewport (side docks, 2 x 2) elides each corner's lines at the middle,
            # where the orientation marker sits, instead of writing one corner over another.
            text = metrics.elidedText(line, Qt.TextElideMode.ElideRight, room)
            width = metrics.horizontalAdvance(text)
            x = block.left() + 2 if name.endswith("left") else block.right() - 2 - width
            y = block.top() + 2 + metrics.ascent() + i * metrics.height()
            _text(painter, QPointF(x, y), text, TEXT_COLOUR)


def draw_orientation(
    painter: QPainter, rect: QRectF, labels: OrientationLabels, font: QFont
) -> None:
    painter.setFont(font)
    metrics = QFontMetricsF(font)
    cx, cy = rect.center().x(), rect.center().y()
    half = metrics.ascent() / 2
    if labels.left:
        _text(painter, QPointF(rect.left() + MARGIN, cy + half), labels.left, MARKER_COLOUR)
    if labels.right:
        x = rect.right() - MARGIN - metrics.horizontalAdvance(labels.right)
        _text(painter, QPointF(x, cy + half), labels.right, MARKER_COLOUR)
    if labels.top:
        x = cx - metrics.horizontalAdvance(labels.top) / 2
        _text(
            painter, QPointF(x, rect.top() + MARGIN + metrics.ascent()), labels.top, MARKER_COLOUR
        )
    if labels.bottom:
        x = cx - metrics.horizontalAdvance(labels.bottom) / 2
        _text(
            painter,
            QPointF(x, rect.bottom() - MARGIN - metrics.descent()),
            labels.bottom,
            MARKER_COLOUR,
        )


def draw_scale_bar(
    painter: QPainter, rect: QRectF, bar: ScaleBar | None, note: str, font: QFont
) -> None:
    """A horizontal bar with ticks above the bottom marker, or ``note`` alone without a bar."""
    painter.setFont(font)
    metrics = QFontMetricsF(font)
    baseline = rect.bottom() - MARGIN - 28
    cx = rect.center().x()
    if bar is None:
        if note:
            _text(
                painter,
                QPointF(cx - metrics.horizontalAdvance(note) / 2, baseline),
                note,
                TEXT_COLOUR,
            )
        return
    left, right = cx - bar.length_px / 2, cx + bar.length_px / 2
    for pen in (QPen(_SHADOW, 3.0), QPen(TEXT_COLOUR, 1.0)):
        painter.setPen(pen)
        painter.drawLine(QPointF(left, baseline), QPointF(right, baseline))
        painter.drawLine(QPointF(left, baseline - 5), QPointF(left, baseline))
        painter.drawLine(QPointF(right, baseline - 5), QPointF(right, baseline))
        painter.drawLine(QPointF(cx, baseline - 3), QPointF(cx, baseline))
    label = bar.label
    _text(
        painter,
        QPointF(cx - metrics.horizontalAdvance(label) / 2, baseline - 7),
        label,
        TEXT_COLOUR,
    )


def draw_centre_message(painter: QPainter, rect: QRectF, text: str) -> None:
    """A grey message in the middle of the view (loading, failed, empty)."""
    font = QFont()
    font.setPixelSize(16)
    painter.setFont(font)
    painter.setPen(QColor(150, 150, 150))
    painter.drawText(rect, int(Qt.AlignmentFlag.AlignCenter), text)
