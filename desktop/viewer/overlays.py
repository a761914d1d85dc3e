"""Painting a viewport's overlays: corner texts, orientation markers, scale bar, AI heatmap.

What the overlays say is decided in :mod:`core.dicom.overlays`
(:func:`~core.dicom.overlays.compose_overlay`,
:func:`~core.dicom.overlays.compute_orientation_labels`,
:func:`~core.dicom.overlays.choose_scale_bar`); here it is only laid out and painted,
light text with a dark outline so that it reads on any grey. A :class:`HeatmapLayer`
keeps an explanation heatmap laid over one frame, coloured once per heatmap
(:mod:`core.analysis.colormap`); its opacity is the painter's, so on/off and opacity
cost no recolouring.
"""

from __future__ import annotations

import logging
import math

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPen, QPixmap

from core.analysis.colormap import apply_heatmap_lut, make_heatmap_lut, sample_heatmap
from core.dicom.overlays import OrientationLabels, OverlayText, ScaleBar

logger = logging.getLogger(__name__)

TEXT_COLOUR = QColor(235, 235, 235)
MARKER_COLOUR = QColor(255, 200, 90)
_SHADOW = QColor(0, 0, 0)
MARGIN = 6.0
DEFAULT_HEATMAP_OPACITY = 0.5
_HEATMAP_LUT = make_heatmap_lut("jet")
# A finer heatmap only costs painting time: no screen shows more of it.
_HEATMAP_MAX_SIDE = 1024
_CAPTION_COLOUR = QColor(255, 204, 51)
_CAPTION_BACKGROUND = QColor(0, 0, 0, 170)


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
    """Text with a one-pixel dark outline, its baseline starting at ``point``.

    Drawn once into a small pixmap and blitted after (:data:`_TEXT_CACHE`): the corner
    texts are repainted with every scroll and every pane of a layout, and five text
    draws per line (four outline offsets, then the text) cost ~11x a blit.
    """
    font = painter.font()
    device = painter.device()
    ratio = device.devicePixelRatioF() if device is not None else 1.0
    key = (text, colour.rgba(), font.key(), ratio)
    metrics = QFontMetricsF(font)
    pixmap = _TEXT_CACHE.pop(key, None)
    if pixmap is None:
        pixmap = _outlined_text(text, colour, font, metrics, ratio)
    _TEXT_CACHE[key] = pixmap  # the most recently used last
    if len(_TEXT_CACHE) > _TEXT_CACHE_SIZE:
        del _TEXT_CACHE[next(iter(_TEXT_CACHE))]
    painter.drawPixmap(QPointF(point.x() - 2, point.y() - metrics.ascent() - 2), pixmap)


#: Outlined texts drawn lately, least recently used first (a few pages of corner lines).
_TEXT_CACHE: dict[tuple[str, int, str, float], QPixmap] = {}
_TEXT_CACHE_SIZE = 512


def _outlined_text(
    text: str, colour: QColor, font: QFont, metrics: QFontMetricsF, ratio: float
) -> QPixmap:
    width = metrics.horizontalAdvance(text) + 4
    height = metrics.ascent() + metrics.descent() + 4
    pixmap = QPixmap(max(1, math.ceil(width * ratio)), max(1, math.ceil(height * ratio)))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setFont(font)
    baseline = QPointF(2, 2 + metrics.ascent())
    painter.setPen(_SHADOW)
    for dx, dy in ((1, 1), (-1, -1), (1, -1), (-1, 1)):
        painter.drawText(QPointF(baseline.x() + dx, baseline.y() + dy), text)
    painter.setPen(colour)
    painter.drawText(baseline, text)
    painter.end()
    return pixmap


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


class HeatmapLayer:
    """An explanation heatmap over one frame: its scores, caption, switch and opacity.

    The scores are coloured when first painted (premultiplied ARGB, the cheapest
    format to draw) and kept until other scores are set.
    """

    def __init__(self) -> None:
        self.scores: np.ndarray | None = None
        self._frame = 0
        self._caption = ""
        self.opacity = DEFAULT_HEATMAP_OPACITY
        self.enabled = True
        self._image: QImage | None = None
        self._data: np.ndarray | None = None  # the memory the QImage borrows

    @property
    def frame(self) -> int | None:
        """The frame the heatmap belongs to, None without one."""
        return None if self.scores is None else self._frame

    @property
    def caption(self) -> str:
        return "" if self.scores is None else self._caption

    def set(
        self, scores: object, frame: object, caption: object, *, frame_count: int | None
    ) -> None:
        """Lay ``scores`` over ``frame`` (checked against ``frame_count`` when known)."""
        if not isinstance(scores, np.ndarray):
            raise TypeError(f"heatmap must be a numpy array or None, found {type(scores).__name__}")
        if scores.ndim != 2 or scores.size == 0:
            raise ValueError(f"heatmap must be a non-empty 2-D array, found shape {scores.shape}")
        if caption is not None and not isinstance(caption, str):
            raise TypeError(f"caption must be a str or None, found {type(caption).__name__}")
        if isinstance(frame, bool) or not isinstance(frame, int | np.integer):
            raise TypeError(f"frame must be an int, found {type(frame).__name__}")
        if frame_count is not None and not 0 <= int(frame) < frame_count:
            raise ValueError(f"frame must be 0 to {frame_count - 1}, found {int(frame)}")
        self.scores = scores
        self._frame = int(frame)
        self._caption = caption or ""
        self._image = None
        self._data = None

    def drop(self) -> bool:
        """Remove the heatmap; False when there was none."""
        had = self.scores is not None
        self.scores = None
        self._caption = ""
        self._image = None
        self._data = None
        return had

    def set_enabled(self, enabled: bool) -> bool:
        """Switch it on or off (kept while off); True when that changed something."""
        changed = bool(enabled) != self.enabled
        self.enabled = bool(enabled)
        return changed

    def set_opacity(self, opacity: float) -> bool:
        """0 to 1; True when that changed something."""
        if isinstance(opacity, bool) or not isinstance(opacity, int | float | np.number):
            raise TypeError(f"opacity must be a number, found {type(opacity).__name__}")
        if not 0.0 <= float(opacity) <= 1.0:
            raise ValueError(f"opacity must be within [0, 1], found {opacity}")
        changed = float(opacity) != self.opacity
        self.opacity = float(opacity)
        return changed

    def shows_on(self, frame: int) -> bool:
        """Whether it is painted over ``frame``: set, switched on, not transparent, its frame."""
        return (
            self.scores is not None and self.enabled and self.opacity > 0 and self._frame == frame
        )

    def _coloured(self) -> QImage | None:
        if self.scores is None:
            return None
        if self._image is None:
            colours = apply_heatmap_lut(
                sample_heatmap(self.scores, _HEATMAP_MAX_SIDE), _HEATMAP_LUT
            )
            rows, columns = colours.shape
            self._data = colours
            self._image = QImage(
                colours.data, columns, rows, columns * 4, QImage.Format.Format_ARGB32_Premultiplied
            )
        return self._image

    def paint(self, painter: QPainter, frame: int, columns: int, rows: int) -> None:
        """In image coordinates (the painter holds the image's transform)."""
        image = self._coloured() if self.shows_on(frame) else None
        if image is None:
            return
        painter.setOpacity(self.opacity)
        if (image.width(), image.height()) == (columns, rows):
            painter.drawImage(QPointF(0, 0), image)
        else:  # a coarser grid (sampled, or given so) covers the whole image
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
            painter.drawImage(QRectF(0, 0, columns, rows), image)
        painter.setOpacity(1.0)

    def paint_caption(self, painter: QPainter, rect: QRectF, frame: int, font: QFont) -> None:
        """Centred under the top orientation marker, on a dark band that reads on any map."""
        if not self._caption or not self.shows_on(frame):
            return
        painter.setFont(font)
        metrics = painter.fontMetrics()
        room = max(40, int(rect.width()) - 24)  # narrow views (2 x 2) elide, never overflow
        lines = [
            metrics.elidedText(line, Qt.TextElideMode.ElideRight, room)
            for line in self._caption.splitlines()
        ]
        width = max(metrics.horizontalAdvance(line) for line in lines) + 12
        height = metrics.height() * len(lines) + 6
        box = QRectF(rect.center().x() - width / 2, rect.top() + 28, width, height)
        painter.fillRect(box, _CAPTION_BACKGROUND)
        painter.setPen(_CAPTION_COLOUR)
        for i, line in enumerate(lines):
            line_box = QRectF(
                box.left(), box.top() + 3 + i * metrics.height(), width, metrics.height()
            )
            painter.drawText(line_box, int(Qt.AlignmentFlag.AlignCenter), line)
