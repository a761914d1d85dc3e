"""One image viewport: a series' frames with window/level, zoom, measurements and cine.

The viewport paints a :class:`core.dicom.volume.Volume` of modality values. A frame
becomes a picture through one table lookup (:func:`core.dicom.display.make_window_lut`,
built once per window; packed 32-bit greys so that Qt draws without converting),
and the picture is cached: overlays, measurements, hovering and dragging repaint
without touching the pixels, and only the part of the widget that changed is
repainted where that is known (a measurement being drawn or moved).

A volume may still be filling (``volume.loaded``): frames not yet there show a
"loading" state, never the previous frame's pixels; :meth:`Viewport.refresh` (and
a light poll while loading) shows them as they arrive.

An AI heatmap (:meth:`Viewport.set_heatmap`, :class:`overlays.HeatmapLayer`) is laid
over its image through the image's own transform: it follows zoom, pan, rotation and flips.

Zoom, pan, rotation and flips are a :class:`core.viewing.transform.ViewTransform`, the
measurements and their undo a :class:`core.viewing.measurements.MeasurementEditor`, the
window a :class:`core.viewing.window.WindowState`: the viewport gathers input and paints.

Mouse: wheel scrolls frames (Ctrl+wheel zooms about the cursor), right-drag sets
the window (left/right width, up/down level), middle-drag pans, left-drag pans
with no tool or draws with a measuring tool. Keys: :data:`VIEWPORT_SHORTCUTS`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QDragMoveEvent,
    QDropEvent,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QResizeEvent,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import QWidget

from core.dicom.display import apply_window, apply_window_lut, pack_argb32
from core.dicom.lut import VoiPreset
from core.dicom.overlays import (
    DisplayHeader,
    OrientationLabels,
    OverlayText,
    ScaleBar,
    choose_scale_bar,
    compose_overlay,
    modality_unit,
    read_display_header,
)
from core.dicom.reading_order import ReadingOrder, reading_order
from core.dicom.volume import Volume
from core.jobs import FOREGROUND
from core.viewing.cine import MAX_FPS, MIN_FPS, CineClock, check_fps, count_skipped
from core.viewing.frames import FrameState, frame_state, nearest_frame
from core.viewing.measurements import TOOLS, DragMode, Measurement, MeasurementEditor
from core.viewing.transform import ViewTransform
from core.viewing.window import WindowState, drag_window
from desktop.mime import SERIES_MIME_TYPE
from desktop.viewer import overlays
from desktop.viewer.measurements import MeasurementGestures
from desktop.viewer.viewer_texts import VIEWPORT_SHORTCUTS as VIEWPORT_SHORTCUTS
from desktop.viewer.viewer_texts import ZOOM_STEP, press_for

logger = logging.getLogger(__name__)

#: Drag payload of a series (the browser starts it, a viewport accepts it): the key, utf-8.
SERIES_MIME = SERIES_MIME_TYPE

_DEFAULT_CINE_FPS = 15.0
_LOAD_POLL_MS = 80
_ACTIVE_BORDER = QColor(60, 140, 255)


class Viewport(QWidget):
    """Shows one series; see the module docstring for the interaction."""

    frame_changed = Signal(int)
    window_changed = Signal(float, float)
    series_dropped = Signal(str)
    activated = Signal()
    measurements_changed = Signal()
    cine_state_changed = Signal(bool)
    view_changed = Signal()
    heatmap_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAcceptDrops(True)
        self.setMouseTracking(True)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        self.setMinimumSize(64, 64)

        self._volume: Volume | None = None
        self._header = DisplayHeader()
        self._windowing = WindowState()  # presets, window shown, invert (core.viewing.window)
        self._unit = ""
        self._frame = 0  # index in geometry order (Volume.array); shown in self._order
        self._order = ReadingOrder((), "acquisition order")

        self._image: QImage | None = None
        self._image_key: tuple[Any, ...] | None = None
        self._buffer: np.ndarray | None = None
        self._shown_state: FrameState | None = None

        self._view = ViewTransform()  # zoom, pan, rotation, flips (core.viewing.transform)
        self._overlays_visible = True
        self._pane_label = ""  # a hanging protocol's name for this pane ("Lung")
        self._active = False
        self._overlay_font = overlays.overlay_font()
        self._marker_font = overlays.marker_font()

        self._tool = "none"
        self._editor = MeasurementEditor()  # lists, selection, drawing, undo (core.viewing)
        self._gestures = MeasurementGestures(
            self._editor,
            self._transform,
            self.widget_to_image,
            self.update,
            self._after_measurements_edit,
            self._overlay_font,
            lambda: QRectF(self.rect()),
        )
        #: The cine's clock (seconds, monotonic); tests put a clock they move by hand here.
        self.clock: Callable[[], float] = time.perf_counter
        self._drag = DragMode.NONE
        self._drag_start = QPointF()
        self._drag_window = (0.0, 1.0)
        self._drag_view = self._view
        self._wheel_rest = 0

        self._cine_timer = QTimer(self)
        self._cine_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._cine_timer.timeout.connect(self._on_cine_timer_timeout)
        self._cine_fps = _DEFAULT_CINE_FPS
        self._cine = CineClock(self._cine_fps, 0, 0.0)
        self.cine_dropped_frames = 0

        self._load_timer = QTimer(self)
        self._load_timer.setInterval(_LOAD_POLL_MS)
        self._load_timer.timeout.connect(self._on_load_timer_timeout)

        self._heatmap = overlays.HeatmapLayer()

    # ------------------------------------------------------------------ volume

    @property
    def volume(self) -> Volume | None:
        return self._volume

    @property
    def header(self) -> DisplayHeader:
        return self._header

    def set_volume(self, volume: Volume, header: DisplayHeader | None = None) -> None:
        """Show a series (it may still be filling; see :meth:`refresh`).

        ``header`` is read from the first file when not given (about a millisecond)
        and kept in ``volume.extra`` for other viewports.
        """
        if not isinstance(volume, Volume):
            raise TypeError(f"volume must be a Volume, found {type(volume).__name__}")
        if volume is self._volume:
            self.refresh()  # the same load again (e.g. when it finished): keep the reader's view
            return
        self.stop_cine()
        self._cancel_drawing()
        self._heatmap.drop()
        self._volume = volume
        self._pane_label = ""  # it named what the pane showed before
        if header is None:
            cached = volume.extra.get("display_header")
            header = cached if isinstance(cached, DisplayHeader) else None
        if header is None:
            header = read_display_header(volume.series)
        volume.extra["display_header"] = header
        self._header = header
        self._unit = modality_unit(volume.series.modality, header)
        spacing = volume.geometry.pixel_spacing
        rows, columns = volume.array.shape[1:3]
        self._view = self._current_view().with_image(
            columns, rows, spacing[0] / spacing[1] if spacing else 1.0
        )
        self._editor.show(volume, self._unit)
        self._cine_fps = header.cine_fps or _DEFAULT_CINE_FPS
        self._order = reading_order(volume.geometry)  # axial: superior first
        self._frame = self._order.frame_at(0)
        self._windowing.show(volume)
        self._invalidate_image()
        if not volume.loaded.all() and volume.total_s == 0:
            self._load_timer.start()
        else:
            self._load_timer.stop()
        self.frame_changed.emit(self._frame)
        self.window_changed.emit(*self.window)
        self.view_changed.emit()
        self.update()

    def clear(self) -> None:
        """Show nothing (measurements are kept per series for when it comes back)."""
        self.stop_cine()
        self._cancel_drawing()
        self._load_timer.stop()
        self._heatmap.drop()
        self._volume = None
        self._pane_label = ""
        self._header = DisplayHeader()
        self._windowing.show(None)
        self._frame = 0
        self._editor.show(None)
        self._invalidate_image()
        self.update()

    def refresh(self) -> None:
        """Look again at which frames have arrived; repaint if the shown one changed."""
        volume = self._volume
        if volume is None:
            self._load_timer.stop()
            return
        if self._windowing.pending and volume.loaded.any():
            self._windowing.choose_default(volume)
            self.window_changed.emit(*self.window)
        if frame_state(volume, self._frame) != self._shown_state:
            self._invalidate_image()
            self.update()
        if volume.loaded.all() or volume.total_s > 0:
            self._load_timer.stop()
            self.update()  # the "loading" note goes away

    def _on_load_timer_timeout(self) -> None:
        self.refresh()

    @property
    def frame_count(self) -> int:
        return 0 if self._volume is None else len(self._volume.array)

    @property
    def frame_index(self) -> int:
        return self._frame

    def set_frame(self, index: int) -> None:
        """Show frame ``index`` (clamped to the series)."""
        if isinstance(index, bool) or not isinstance(index, int | np.integer):
            raise TypeError(f"index must be an int, found {type(index).__name__}")
        if self._volume is None:
            return
        index = max(0, min(int(index), self.frame_count - 1))
        if index == self._frame:
            return
        self._cancel_drawing()
        self._frame = index
        self._invalidate_image()
        self.update()
        self.frame_changed.emit(index)

    def step_frames(self, steps: int) -> None:
        """Move ``steps`` images forward in reading order (negative: back)."""
        if self._volume is not None:
            self.set_frame(self._order.step(self._frame, int(steps)))

    def show_first(self) -> None:
        """The first image in reading order (axial: the most superior)."""
        if self._volume is not None:
            self.set_frame(self._order.frame_at(0))

    def show_last(self) -> None:
        if self._volume is not None:
            self.set_frame(self._order.frame_at(self.frame_count - 1))

    @property
    def reading_order(self) -> ReadingOrder:
        """Which frame is shown first and which way "next" goes (superior first, ...)."""
        return self._order

    @property
    def display_position(self) -> int:
        """Where the shown frame is in reading order (0: the first image)."""
        return self._order.position_of(self._frame) if self._order.count else 0

    # ------------------------------------------------------------------ window

    @property
    def window(self) -> tuple[float, float]:  # type: ignore[override]  # shadows QWidget.window()
        """(center, width) of the window shown."""
        return self._windowing.window

    @property
    def window_name(self) -> str:
        return self._windowing.current.name

    def set_window(self, center: float, width: float) -> None:
        """Show the modality values through a window of ``center`` and ``width``."""
        self._set_window(self._windowing.custom(center, width))

    def _set_window(self, preset: VoiPreset | None) -> None:
        if preset is not None and self._windowing.set(preset):
            self._invalidate_image()
            self.update()
            self.window_changed.emit(*self.window)

    def presets(self) -> list[tuple[str, float, float]]:
        """The file's own windows, then the modality's: (name, center, width)."""
        return self._windowing.listed()

    def apply_preset(self, name: str) -> None:
        """Apply a preset by name; "Auto" and "Full range" are computed on the frame shown."""
        self._set_window(self._windowing.preset_named(name, self._frame_values()))

    def apply_preset_number(self, index: int) -> None:
        """The ``index``-th window preset listed (F2 is the first), if there is one."""
        if 0 <= index < len(self._windowing.presets):
            self._set_window(self._windowing.presets[index])

    def auto_window(self) -> None:
        """A window spanning the 1st to 99th percentile of the frame shown."""
        self._set_window(self._windowing.auto(self._frame_values()))

    def _frame_values(self) -> np.ndarray | None:
        volume = self._volume
        if volume is None or volume.is_color or not volume.loaded[self._frame]:
            return None
        return self._frame_pixels()

    def _frame_pixels(self) -> np.ndarray:
        """The values shown for the frame (a reformatting viewport gives its slab here)."""
        assert self._volume is not None
        return self._volume.array[self._frame]

    # ------------------------------------------------------------------ presentation

    @property
    def inverted(self) -> bool:
        """Whether greys are shown inverted (MONOCHROME1 XOR the reader's invert)."""
        return self._windowing.inverted

    def invert(self) -> None:
        """Toggle inverted greys."""
        self._windowing.toggle_invert()
        self._invalidate_image()
        self.update()
        self.view_changed.emit()

    def rotate(self, degrees: int = 90) -> None:
        """Rotate the view clockwise by a multiple of 90° (negative: anticlockwise)."""
        self._change_view(self._current_view().rotated(degrees))

    def flip_horizontal(self) -> None:
        self._change_view(self._current_view().flipped_horizontally())

    def flip_vertical(self) -> None:
        self._change_view(self._current_view().flipped_vertically())

    @property
    def orientation_matrix(self) -> tuple[int, int, int, int]:
        """(a, b, c, d): an image step (x, y) shows as (a x + b y, c x + d y) on screen."""
        return self._view.orientation

    @property
    def view_transform(self) -> ViewTransform:
        """Zoom, pan, rotation and flips now (:class:`core.viewing.transform.ViewTransform`)."""
        return self._current_view()

    @property
    def zoom(self) -> float:
        """Screen pixels per image pixel (along a row)."""
        return self._view.zoom

    def set_zoom(self, factor: float) -> None:
        """Zoom about the centre of the view."""
        self._change_view(self._current_view().zoomed(factor))

    def zoom_by(self, factor: float) -> None:
        self.set_zoom(self.zoom * factor)

    def fit(self) -> None:
        """Zoom so that the whole image fits, centred; kept while the view is resized."""
        self._change_view(self._current_view().fitted())

    def actual_size(self) -> None:
        """One image pixel per screen pixel (1:1)."""
        self.set_zoom(1.0)

    def reset_view(self) -> None:
        """Fit, no rotation or flip, no invert, the default window."""
        self._view = self._current_view().reset()
        if self._windowing.reset():
            self.window_changed.emit(*self.window)
        self._invalidate_image()
        self._change_view(self._view)

    def set_overlays_visible(self, visible: bool) -> None:
        self._overlays_visible = bool(visible)
        self.update()

    def toggle_overlays(self) -> None:
        self.set_overlays_visible(not self._overlays_visible)

    @property
    def overlays_visible(self) -> bool:
        return self._overlays_visible

    def set_active(self, active: bool) -> None:
        """Draw (or not) the border that marks the active viewport of a grid."""
        if bool(active) != self._active:
            self._active = bool(active)
            self.update()

    @property
    def is_active(self) -> bool:
        return self._active

    # ------------------------------------------------------------------ AI heatmap

    def set_heatmap(
        self,
        heatmap: np.ndarray | None,
        opacity: float | None = None,
        *,
        frame: int | None = None,
        caption: str | None = None,
    ) -> None:
        """Lay an explanation heatmap over a frame of the series shown (None removes it).

        Parameters
        ----------
        heatmap : numpy.ndarray or None
            2-D non-negative scores in the frame's pixel grid (rows × columns, as
            :func:`core.analysis.preprocess.map_heatmap_to_image` gives), shown
            relative to its maximum; a coarser grid is stretched over the image.
        opacity : float, optional
            0 (invisible) to 1; unchanged when not given.
        frame : int, optional
            The frame it belongs to (default: the one shown); other frames show none.
            It is dropped when another series is shown.
        caption : str, optional
            Lines shown at the top of the view while the heatmap is, overlays hidden
            or not: what it explains and which model made it (house rule 9).
        """
        if opacity is not None:
            self.set_heatmap_opacity(opacity)
        if heatmap is None:
            if self._heatmap.drop():
                self.update()
                self.heatmap_changed.emit()
            return
        count = None if self._volume is None else self.frame_count
        target = self._frame if frame is None else frame
        self._heatmap.set(heatmap, target, caption, frame_count=count)
        self.update()
        self.heatmap_changed.emit()

    @property
    def heatmap(self) -> np.ndarray | None:
        """The heatmap set (whether or not it is visible now)."""
        return self._heatmap.scores

    @property
    def heatmap_caption(self) -> str:
        """The caption shown with the heatmap ("" without one)."""
        return self._heatmap.caption

    @property
    def heatmap_frame(self) -> int | None:
        """The frame the heatmap belongs to, None without one."""
        return self._heatmap.frame

    @property
    def heatmap_visible(self) -> bool:
        """Whether a heatmap is painted now: one is set, switched on, over the frame shown."""
        return self._heatmap.shows_on(self._frame)

    @property
    def heatmap_enabled(self) -> bool:
        """The on/off switch of the heatmap (on by default)."""
        return self._heatmap.enabled

    def set_heatmap_visible(self, visible: bool) -> None:
        """Switch the heatmap on or off (it is kept while off)."""
        if self._heatmap.set_enabled(visible):
            self.update()
            self.heatmap_changed.emit()

    @property
    def heatmap_opacity(self) -> float:
        return self._heatmap.opacity

    def set_heatmap_opacity(self, opacity: float) -> None:
        """Opacity of the heatmap, 0 to 1 (no recolouring: the painter applies it)."""
        if self._heatmap.set_opacity(opacity):
            if self._heatmap.scores is not None:
                self.update()
            self.heatmap_changed.emit()

    def _current_view(self) -> ViewTransform:
        """The view transform at the widget's size now (the size may change before the
        resize event comes, e.g. while hidden)."""
        size = (float(max(self.width(), 1)), float(max(self.height(), 1)))
        if self._view.view_size != size:
            self._view = self._view.with_view_size(*size)
        return self._view

    def _change_view(self, view: ViewTransform) -> None:
        self._view = view
        self.update()
        self.view_changed.emit()

    def _transform(self) -> QTransform:
        """Image coordinates → widget coordinates."""
        (xx, xy, tx), (yx, yy, ty) = self._current_view().affine
        # QTransform(m11, m12, m21, m22, dx, dy): x' = m11 x + m21 y + dx, y' = m12 x + m22 y + dy.
        return QTransform(xx, yx, xy, yy, tx, ty)

    def image_to_widget(self, x: float, y: float) -> QPointF:
        """Where image point (x, y) is on the widget."""
        return QPointF(*self._current_view().image_to_screen(x, y))

    def widget_to_image(self, point: QPointF) -> tuple[float, float]:
        """The image point under a widget point."""
        return self._current_view().screen_to_image(point.x(), point.y())

    # ------------------------------------------------------------------ overlay model

    @property
    def pane_label(self) -> str:
        """What a hanging protocol calls this pane ("" when none); the top right's first line."""
        return self._pane_label

    def set_pane_label(self, text: str) -> None:
        """Name the pane (until it shows another series or is cleared)."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, found {type(text).__name__}")
        if text != self._pane_label:
            self._pane_label = text
            self.update()

    def overlay_text(self) -> OverlayText:
        """What the four corners say now (empty without a series)."""
        volume = self._volume
        if volume is None:
            return OverlayText()
        text = compose_overlay(  # in the current language (core's catalogue)
            self._header,
            volume.geometry,
            self._frame,
            self.window if not volume.is_color else (127.5, 256.0),
            self._view.zoom,
            frame_state=frame_state(volume, self._frame),
            cine_fps=self._cine_fps if self.is_playing else None,
            inverted=self.inverted,
            image_number=self.display_position + 1,
        )
        if self._pane_label:
            text = replace(text, top_right=(self._pane_label, *text.top_right))
        return text

    def orientation_labels(self) -> OrientationLabels:
        """The patient directions at the edges of the view."""
        volume = self._volume
        if volume is None:
            return OrientationLabels()
        return self._view.orientation_labels(
            volume.geometry.orientation, self._header.patient_orientation
        )

    def scale_bar(self) -> ScaleBar | None:
        """The scale bar shown, or None when the pixel spacing is unknown."""
        volume = self._volume
        if volume is None or volume.geometry.pixel_spacing is None:
            return None
        mm_per_px = volume.geometry.pixel_spacing[1] / self._view.zoom
        return choose_scale_bar(
            mm_per_px, self.width() / 4, calibrated=volume.geometry.spacing_calibrated
        )

    # ------------------------------------------------------------------ painting

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(512, 512)

    def _invalidate_image(self) -> None:
        self._image_key = None

    def _frame_image(self) -> QImage | None:
        """The shown frame as a 32-bit image, rendered only when frame or window changed."""
        volume = self._volume
        if volume is None:
            return None
        state = frame_state(volume, self._frame)
        key = (self._frame, state)  # window and invert changes clear the key
        if key == self._image_key:
            return self._image
        self._shown_state = state
        self._image_key = key
        if state is not FrameState.LOADED:
            self._image = None
            return None
        values = self._frame_pixels()
        rows, columns = values.shape[0], values.shape[1]
        windowing = self._windowing
        lut = None if volume.is_color else windowing.lut(volume.array.dtype)
        if lut is not None:
            if self._buffer is None or self._buffer.shape != (rows, columns):
                self._buffer = np.empty((rows, columns), dtype=np.uint32)
            apply_window_lut(values, lut, out=self._buffer)
            buffer = self._buffer
        elif volume.is_color:
            buffer = pack_argb32(values)
        else:
            grey = apply_window(
                values, windowing.current, inverted=windowing.inverted, padding=windowing.padding
            )
            buffer = pack_argb32(grey)
        self._image_data = buffer  # the QImage borrows this memory
        self._image = QImage(buffer.data, columns, rows, columns * 4, QImage.Format.Format_RGB32)
        return self._image

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        with FOREGROUND.held():  # a loading series' readers wait (core.jobs.ForegroundGate)
            self._paint(event)

    def _paint(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        try:
            rect = QRectF(self.rect())
            painter.fillRect(event.rect(), QColor(0, 0, 0))
            volume = self._volume
            if volume is None:
                overlays.draw_centre_message(painter, rect, self.tr("Drop a series here"))
            else:
                self._paint_volume(painter, rect)
            if self._active:
                painter.setPen(QPen(_ACTIVE_BORDER, 2.0))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawRect(rect.adjusted(1, 1, -1, -1))
        finally:
            painter.end()

    def _paint_volume(self, painter: QPainter, rect: QRectF) -> None:
        image = self._frame_image()
        transform = self._transform()
        if image is not None:
            painter.save()
            painter.setTransform(transform)
            # Smooth below 4x (reading), nearest above (to see single pixels).
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self._view.zoom < 4)
            painter.drawImage(QPointF(0, 0), image)
            self._heatmap.paint(painter, self._frame, *self._view.image_size)
            painter.restore()
            self._gestures.paint(painter, self._frame)
            self._heatmap.paint_caption(painter, rect, self._frame, self._overlay_font)
        else:
            state = self._shown_state
            text = (
                self.tr("Image {number} could not be read")
                if state is FrameState.FAILED
                else self.tr("Loading image {number}…")
            ).format(number=self._frame + 1)
            overlays.draw_centre_message(painter, rect, text)
        if self._overlays_visible:
            overlays.draw_corners(painter, rect, self.overlay_text(), self._overlay_font)
            overlays.draw_orientation(painter, rect, self.orientation_labels(), self._marker_font)
            note = (
                ""
                if self._volume is None or self._volume.geometry.pixel_spacing
                else self.tr("uncalibrated: no pixel spacing")
            )
            overlays.draw_scale_bar(painter, rect, self.scale_bar(), note, self._overlay_font)

    def grab_view(self) -> QImage:
        """What the viewport shows, overlays included (for export)."""
        return self.grab().toImage()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        view = self._current_view()
        if view.fit_mode:
            self._view = view.fitted()
        super().resizeEvent(event)

    # ------------------------------------------------------------------ measurements

    @property
    def tool(self) -> str:
        return self._tool

    def set_tool(self, name: str) -> None:
        """ "none" (select, move, pan) | "distance" | "angle" | "rectangle" | "ellipse"."""
        if name not in TOOLS:
            raise ValueError(f"tool must be one of {', '.join(TOOLS)}; found {name!r}")
        self._cancel_drawing()
        self._tool = name
        cursor = Qt.CursorShape.ArrowCursor if name == "none" else Qt.CursorShape.CrossCursor
        self.setCursor(cursor)

    @property
    def measurements(self) -> list[Measurement]:
        """The measurements of the series shown, all frames (a copy of the list)."""
        return self._editor.measurements

    @property
    def selected_measurement(self) -> Measurement | None:
        return self._editor.selected

    def measurements_on_frame(self, frame: int | None = None) -> list[Measurement]:
        return self._editor.on_frame(self._frame if frame is None else frame)

    def add_measurement(
        self, kind: str, points: list[tuple[float, float]], frame: int | None = None
    ) -> Measurement:
        """Add a measurement programmatically (as drawing it would); returns it, selected."""
        m = self._editor.add(kind, points, self._frame if frame is None else int(frame))
        self._after_measurements_edit()
        return m

    def replace_measurements(self, measurements: list[Measurement]) -> None:
        """Show these on the series shown instead of its own (restored, or a presentation
        state's); values are measured again. Not undoable, and no signal: nothing was edited.
        """
        if self._volume is None:
            return
        self._cancel_drawing()
        self._editor.replace(measurements)
        self.update()

    def show_image_area(
        self, top_left: tuple[float, float], bottom_right: tuple[float, float]
    ) -> None:
        """Zoom and pan so that this part of the image (image coordinates) fills the view."""
        view = self._current_view()
        shown = view.showing_area(top_left, bottom_right)
        if self._volume is not None and shown is not view:  # not an empty area
            self._change_view(shown)

    def delete_selected(self) -> bool:
        """Delete the selected measurement (undoable); False when none is selected."""
        if not self._editor.delete_selected():
            return False
        self._after_measurements_edit()
        return True

    def undo(self) -> bool:
        """Undo the last add, delete or move of a measurement; False when there is none."""
        if self._editor.drawing is not None:
            self._cancel_drawing()
            return True
        if not self._editor.undo():
            return False
        self._after_measurements_edit()
        return True

    def redo(self) -> bool:
        """Do again the last measurement change undone; False when there is none."""
        if not self._editor.redo():
            return False
        self._after_measurements_edit()
        return True

    def _after_measurements_edit(self) -> None:
        self.update()
        self.measurements_changed.emit()

    def _cancel_drawing(self) -> None:
        if self._gestures.cancel():
            self._drag = DragMode.NONE

    # ------------------------------------------------------------------ cine

    @property
    def is_playing(self) -> bool:
        return self._cine_timer.isActive()

    @property
    def cine_fps(self) -> float:
        return self._cine_fps

    def set_cine_fps(self, fps: float) -> None:
        """Frames per second of the cine (0.5 to 120)."""
        self._cine_fps = check_fps(fps)
        if self.is_playing:
            self._restart_cine_clock()
        self.update()

    def change_cine_speed(self, factor: float) -> None:
        """The cine ``factor`` times as fast, within 0.5 to 120 frames a second."""
        self.set_cine_fps(min(MAX_FPS, max(MIN_FPS, self._cine_fps * factor)))

    def play_cine(self) -> None:
        """Play frames in a loop at :attr:`cine_fps`, dropping frames to keep real time."""
        if self._volume is None or self.frame_count < 2 or self.is_playing:
            return
        self._restart_cine_clock()
        self.cine_dropped_frames = 0
        self.cine_state_changed.emit(True)
        self.update()

    def stop_cine(self) -> None:
        if self._cine_timer.isActive():
            self._cine_timer.stop()
            self.cine_state_changed.emit(False)
            self.update()

    def toggle_cine(self) -> None:
        if self.is_playing:
            self.stop_cine()
        else:
            self.play_cine()

    def _restart_cine_clock(self) -> None:
        self._cine = CineClock(self._cine_fps, self.display_position, self.clock())
        self._cine_timer.start(self._cine.tick_ms)

    def _on_cine_timer_timeout(self) -> None:
        count, now = self.frame_count, self.display_position
        if count < 2:
            self.stop_cine()
            return
        due = self._cine.due(self.clock(), count)
        if due != now:
            self.cine_dropped_frames += count_skipped(now, due, count)
            self.set_frame(self._order.frame_at(due))

    # ------------------------------------------------------------------ frame of reference

    @property
    def frame_of_reference_uid(self) -> str | None:
        return self._header.frame_of_reference_uid or None

    def slice_position(self) -> float | None:
        """Position of the shown slice along the slice normal (mm), None when unknown."""
        volume = self._volume
        if volume is None or volume.geometry.slice_positions is None:
            return None
        return float(volume.geometry.slice_positions[self._frame])

    def show_position(self, position: float) -> bool:
        """Show the slice nearest ``position`` (mm along the normal); False when out of range."""
        index = None if self._volume is None else nearest_frame(self._volume, position)
        if index is not None:
            self.set_frame(index)
        return index is not None

    # ------------------------------------------------------------------ events

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        """The keys of :data:`desktop.viewer.viewer_texts.VIEWPORT_KEYS` (the shortcuts list)."""
        mods = event.modifiers()
        press = press_for(
            event.key(),
            ctrl=bool(mods & Qt.KeyboardModifier.ControlModifier),
            shift=bool(mods & Qt.KeyboardModifier.ShiftModifier),
        )
        if press is None:
            super().keyPressEvent(event)
            return
        getattr(self, press.call)(*press.args)
        event.accept()

    def escape(self) -> None:
        """Cancel the measurement being drawn; with none, back to no tool, none selected."""
        if self._editor.drawing is not None:
            self._cancel_drawing()
        else:
            self.set_tool("none")
            self._editor.selected = None
            self.update()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt override
        delta = event.angleDelta().y()
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            if delta:
                anchor = event.position()
                view = self._current_view()
                zoom = view.zoom * ZOOM_STEP ** (delta / 120)  # a notch zooms as + does
                self._change_view(view.zoomed_about(zoom, (anchor.x(), anchor.y())))
            event.accept()
            return
        # High-resolution wheels send fractions of a notch: one frame per 120 units.
        self._wheel_rest += delta
        steps = int(self._wheel_rest / 120)
        if steps:
            self._wheel_rest -= steps * 120
            self.step_frames(-steps)
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        self.activated.emit()
        pos = event.position()
        button = event.button()
        self._drag_start = QPointF(pos)
        if self._volume is None:
            return
        if button == Qt.MouseButton.RightButton:
            self._drag = DragMode.WINDOW
            self._drag_window = self.window
        elif button == Qt.MouseButton.MiddleButton:
            self._start_pan()
        elif button == Qt.MouseButton.LeftButton:
            loaded = frame_state(self._volume, self._frame) is FrameState.LOADED
            self._drag = self._gestures.press(pos, self._tool, self._frame, can_draw=loaded)
            if self._drag is DragMode.PAN:
                self._start_pan()
        event.accept()

    def _start_pan(self) -> None:
        self._drag = DragMode.PAN
        self._drag_view = self._current_view()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        pos = event.position()
        delta = pos - self._drag_start
        if self._drag is DragMode.WINDOW:
            volume = self._volume
            integer = volume is not None and volume.array.dtype.kind in "iu"
            self.set_window(
                *drag_window(self._drag_window, delta.x(), delta.y(), integer_values=integer)
            )
        elif self._drag is DragMode.PAN:
            self._view = self._drag_view.panned_by(delta.x(), delta.y())
            self.update()
        else:
            self._gestures.move(self._drag, self._drag_start, pos)
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        drag, self._drag = self._drag, DragMode.NONE
        self._gestures.release(drag, event.position())
        event.accept()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if event.button() == Qt.MouseButton.LeftButton and self._tool == "none":
            self.fit()
        event.accept()

    def dragEnterEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802 - Qt override
        # Typed as QDragMoveEvent (QDragEnterEvent's base) so dragMoveEvent can share it.
        if event.mimeData().hasFormat(SERIES_MIME):
            event.acceptProposedAction()
        else:
            event.ignore()

    dragMoveEvent = dragEnterEvent  # noqa: N815 - Qt override: the same answer while moving

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        data = event.mimeData()
        if not data.hasFormat(SERIES_MIME):
            event.ignore()
            return
        key = bytes(data.data(SERIES_MIME).data()).decode("utf-8", errors="replace").strip()
        event.acceptProposedAction()
        if key:
            self.activated.emit()
            self.series_dropped.emit(key)
