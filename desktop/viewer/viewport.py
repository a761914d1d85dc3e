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

An AI heatmap (:meth:`Viewport.set_heatmap`) is laid over the image it belongs to
through the image's own transform, so it follows zoom, pan, rotation and flips
pixel for pixel; it is coloured once per heatmap (:mod:`core.analysis.colormap`)
and its opacity is the painter's, so on/off and opacity cost no recolouring.

Mouse: wheel scrolls frames (Ctrl+wheel zooms about the cursor), right-drag sets
the window (left/right width, up/down level), middle-drag pans, left-drag pans
with no tool or draws with a measuring tool. Keys: :data:`VIEWPORT_SHORTCUTS`.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QDragEnterEvent,
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

from core.analysis.colormap import apply_heatmap_lut, make_heatmap_lut, sample_heatmap
from core.dicom.display import (
    DisplayHeader,
    OrientationLabels,
    OverlayText,
    ScaleBar,
    WindowLut,
    apply_window,
    apply_window_lut,
    choose_default_window,
    choose_scale_bar,
    compose_overlay,
    compute_auto_window,
    compute_orientation_labels,
    full_range_window,
    is_series_inverted,
    list_presets,
    make_window_lut,
    modality_unit,
    pack_argb32,
    padding_value_of,
    read_display_header,
)
from core.dicom.measure import measure_angle, measure_distance, measure_ellipse, measure_rectangle
from core.dicom.pixels import VoiFunction, VoiPreset
from core.dicom.reading_order import ReadingOrder, reading_order
from core.dicom.volume import Volume
from desktop.viewer import overlays
from desktop.viewer.measurements import (
    TOOLS,
    Measurement,
    draw_measurement,
    hit_test,
    screen_bounds,
)

logger = logging.getLogger(__name__)

#: Drag payload of a series (the browser starts it, a viewport accepts it): the key, utf-8.
SERIES_MIME = "application/x-radassist-series"

#: (keys, what they do) for the help dialog.
VIEWPORT_SHORTCUTS: list[tuple[str, str]] = [
    ("Wheel, Up / Down, Left / Right", "Previous / next image"),
    ("Page Up / Page Down", "Back / forward 10 images"),
    ("Home / End", "First / last image (axial: head first)"),
    ("Right-drag", "Window: left/right width, up/down level"),
    ("Middle-drag, or left-drag with no tool", "Pan"),
    ("Ctrl+Wheel, + / -", "Zoom in / out"),
    ("F", "Fit to window"),
    ("1", "Actual size (1:1)"),
    ("F2 … F9", "Window presets, in the order listed"),
    ("A", "Automatic window"),
    ("I", "Invert greys"),
    ("R / Shift+R", "Rotate 90° clockwise / anticlockwise"),
    ("H / V", "Flip horizontally / vertically"),
    ("0", "Reset view (zoom, rotation, flips, window)"),
    ("O", "Show / hide overlays"),
    ("S / D / G / T / E", "Tool: select, distance, angle, rectangle ROI, ellipse ROI"),
    ("Esc", "Cancel the measurement being drawn, then select tool"),
    ("Delete / Backspace", "Delete the selected measurement"),
    ("Ctrl+Z", "Undo the last measurement change"),
    ("Space", "Play / pause cine"),
    ("[ / ]", "Cine slower / faster"),
]

_MIN_ZOOM, _MAX_ZOOM = 0.02, 64.0
_PAGE_STEP = 10
_DEFAULT_CINE_FPS = 15.0
_LOAD_POLL_MS = 80
_TOOL_KEYS = {
    Qt.Key.Key_S: "none",
    Qt.Key.Key_D: "distance",
    Qt.Key.Key_G: "angle",
    Qt.Key.Key_T: "rectangle",
    Qt.Key.Key_E: "ellipse",
}
_PRESET_KEYS = [getattr(Qt.Key, f"Key_F{n}") for n in range(2, 10)]
_ACTIVE_BORDER = QColor(60, 140, 255)
_DEFAULT_HEATMAP_OPACITY = 0.5
_HEATMAP_LUT = make_heatmap_lut("jet")
# A finer heatmap only costs painting time: no screen shows more of it.
_HEATMAP_MAX_SIDE = 1024
_CAPTION_COLOUR = QColor(255, 204, 51)
_CAPTION_BACKGROUND = QColor(0, 0, 0, 170)


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
        self._presets: tuple[VoiPreset, ...] = ()
        self._default_window: VoiPreset | None = None
        self._window = VoiPreset(name="Default", center=0.0, width=1.0)
        self._window_pending = False  # default window waits for the first loaded frame
        self._base_inverted = False
        self._user_inverted = False
        self._padding: float | None = None
        self._unit = ""
        self._frame = 0  # index in geometry order (Volume.array); shown in self._order
        self._order = ReadingOrder((), "acquisition order")

        self._lut: WindowLut | None = None
        self._image: QImage | None = None
        self._image_key: tuple[Any, ...] | None = None
        self._buffer: np.ndarray | None = None
        self._shown_state: str | None = None

        self._zoom = 1.0
        self._pan = QPointF(0.0, 0.0)
        self._fit_mode = True
        self._orient = (1, 0, 0, 1)  # screen (x', y') = (a x + b y, c x + d y)
        self._aspect = 1.0  # row spacing / column spacing
        self._overlays_visible = True
        self._active = False
        self._overlay_font = overlays.overlay_font()
        self._marker_font = overlays.marker_font()

        self._tool = "none"
        self._measurements: dict[str, list[Measurement]] = {}
        self._selected: Measurement | None = None
        self._drawing: Measurement | None = None
        self._angle_second_arm = False
        self._undo: list[tuple[Any, ...]] = []
        self._drag: str | None = None
        self._drag_start = QPointF()
        self._drag_window = (0.0, 1.0)
        self._drag_pan = QPointF()
        self._drag_points: list[tuple[float, float]] = []
        self._drag_handle = -1
        self._wheel_rest = 0

        self._cine_timer = QTimer(self)
        self._cine_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._cine_timer.timeout.connect(self._on_cine_timer_timeout)
        self._cine_fps = _DEFAULT_CINE_FPS
        self._cine_t0 = 0.0
        self._cine_start = 0
        self.cine_dropped_frames = 0

        self._load_timer = QTimer(self)
        self._load_timer.setInterval(_LOAD_POLL_MS)
        self._load_timer.timeout.connect(self._on_load_timer_timeout)

        self._heatmap: np.ndarray | None = None
        self._heatmap_frame = 0
        self._heatmap_opacity = _DEFAULT_HEATMAP_OPACITY
        self._heatmap_visible = True
        self._heatmap_caption = ""
        self._heatmap_image: QImage | None = None
        self._heatmap_data: np.ndarray | None = None

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
        self._drop_heatmap()
        self._volume = volume
        if header is None:
            cached = volume.extra.get("display_header")
            header = cached if isinstance(cached, DisplayHeader) else None
        if header is None:
            header = read_display_header(volume.series)
        volume.extra["display_header"] = header
        self._header = header
        series = volume.series
        self._presets = () if volume.is_color else list_presets(series, volume.geometry)
        self._base_inverted = is_series_inverted(series)
        self._padding = padding_value_of(series)
        self._unit = modality_unit(series.modality, header)
        spacing = volume.geometry.pixel_spacing
        self._aspect = spacing[0] / spacing[1] if spacing else 1.0
        self._cine_fps = header.cine_fps or _DEFAULT_CINE_FPS
        self._order = reading_order(volume.geometry)  # axial: superior first
        self._frame = self._order.frame_at(0)
        self._selected = None
        self._undo = []
        self._user_inverted = False
        self._orient = (1, 0, 0, 1)
        self._fit_mode = True
        self._choose_default_window()
        self._invalidate_image()
        self._fit()
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
        self._drop_heatmap()
        self._volume = None
        self._header = DisplayHeader()
        self._presets = ()
        self._frame = 0
        self._selected = None
        self._invalidate_image()
        self.update()

    def refresh(self) -> None:
        """Look again at which frames have arrived; repaint if the shown one changed."""
        volume = self._volume
        if volume is None:
            self._load_timer.stop()
            return
        if self._window_pending and volume.loaded.any():
            self._choose_default_window()
            self.window_changed.emit(*self.window)
        if self._frame_state(self._frame) != self._shown_state:
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
        if self._drawing is not None:
            self._cancel_drawing()
        self._frame = index
        self._invalidate_image()
        self.update()
        self.frame_changed.emit(index)

    def step_frames(self, steps: int) -> None:
        """Move ``steps`` images forward in reading order (negative: back)."""
        if self._volume is not None:
            self.set_frame(self._order.step(self._frame, int(steps)))

    @property
    def reading_order(self) -> ReadingOrder:
        """Which frame is shown first and which way "next" goes (superior first, ...)."""
        return self._order

    @property
    def display_position(self) -> int:
        """Where the shown frame is in reading order (0: the first image)."""
        return self._order.position_of(self._frame) if self._order.count else 0

    def _frame_state(self, index: int) -> str:
        volume = self._volume
        if volume is None:
            return "loading"
        if volume.loaded[index]:
            return "loaded"
        if volume.total_s > 0:
            return "failed"
        source = volume.geometry.frames[index].instance.ref
        if any(f.ref == source for f in volume.failures):
            return "failed"
        return "loading"

    # ------------------------------------------------------------------ window

    @property
    def window(self) -> tuple[float, float]:
        """(center, width) of the window shown."""
        return float(self._window.center or 0.0), float(self._window.width or 1.0)

    @property
    def window_name(self) -> str:
        return self._window.name

    def set_window(self, center: float, width: float) -> None:
        """Show the modality values through a window of ``center`` and ``width``."""
        for name, value in (("center", center), ("width", width)):
            if isinstance(value, bool) or not isinstance(value, int | float | np.number):
                raise TypeError(f"window {name} must be a number, found {type(value).__name__}")
            if not math.isfinite(float(value)):
                raise ValueError(f"window {name} must be finite, found {value}")
        function = self._window.function
        minimum = 1.0 if function is VoiFunction.LINEAR else 1e-12  # float maps: 0.003 wide
        self._set_window(
            VoiPreset(
                name="Custom",
                center=float(center),
                width=max(float(width), minimum),
                function=function,
            )
        )

    def _set_window(self, preset: VoiPreset) -> None:
        if (preset.center, preset.width, preset.function) == (
            self._window.center,
            self._window.width,
            self._window.function,
        ):
            self._window = preset
            return
        self._window = preset
        self._window_pending = False
        self._lut = None
        self._invalidate_image()
        self.update()
        self.window_changed.emit(*self.window)

    def presets(self) -> list[tuple[str, float, float]]:
        """The file's own windows, then the modality's: (name, center, width)."""
        return [(p.name, float(p.center or 0.0), float(p.width or 1.0)) for p in self._presets]

    def apply_preset(self, name: str) -> None:
        """Apply a preset by name; "Auto" and "Full range" are computed on the frame shown."""
        if not isinstance(name, str):
            raise TypeError(f"name must be a str, found {type(name).__name__}")
        key = name.strip().casefold()
        if key == "auto":
            self.auto_window()
            return
        if key == "full range":
            values = self._frame_values()
            if values is not None:
                self._set_window(full_range_window(values))
            return
        for preset in self._presets:
            if preset.name.casefold() == key:
                self._set_window(preset)
                return
        names = ", ".join(p.name for p in self._presets) or "none"
        raise ValueError(f"no window preset named {name!r}; this series has: {names}")

    def auto_window(self) -> None:
        """A window spanning the 1st to 99th percentile of the frame shown."""
        values = self._frame_values()
        if values is None:
            return
        self._set_window(compute_auto_window(values, exclude_value=self._padding))

    def _choose_default_window(self) -> None:
        volume = self._volume
        if volume is None or volume.is_color:
            self._window = VoiPreset(name="Colour", center=127.5, width=256)
            self._window_pending = False
            return
        frame_values = None
        if volume.loaded.any():
            first = int(np.argmax(volume.loaded))
            frame_values = volume.array[first]
        preset = choose_default_window(volume.series, volume.geometry, frame_values)
        self._default_window = preset
        self._window = preset
        self._lut = None
        # Without a window of its own or the modality's, the first frame decides (auto).
        self._window_pending = frame_values is None and not self._presets

    def _frame_values(self) -> np.ndarray | None:
        volume = self._volume
        if volume is None or volume.is_color or not volume.loaded[self._frame]:
            return None
        return volume.array[self._frame]

    # ------------------------------------------------------------------ presentation

    @property
    def inverted(self) -> bool:
        """Whether greys are shown inverted (MONOCHROME1 XOR the reader's invert)."""
        return self._base_inverted != self._user_inverted

    def invert(self) -> None:
        """Toggle inverted greys."""
        self._user_inverted = not self._user_inverted
        self._lut = None
        self._invalidate_image()
        self.update()
        self.view_changed.emit()

    def rotate(self, degrees: int = 90) -> None:
        """Rotate the view clockwise by a multiple of 90° (negative: anticlockwise)."""
        if isinstance(degrees, bool) or not isinstance(degrees, int | float | np.number):
            raise TypeError(f"degrees must be a number, found {type(degrees).__name__}")
        if float(degrees) % 90 != 0:
            raise ValueError(f"rotation must be a multiple of 90 degrees, found {degrees}")
        quarter = int(float(degrees) // 90) % 4
        for _ in range(quarter):
            # Clockwise on a y-down screen: (x, y) -> (-y, x).
            a, b, c, d = self._orient
            self._orient = (-c, -d, a, b)
        self._after_view_change(refit=True)

    def flip_horizontal(self) -> None:
        a, b, c, d = self._orient
        self._orient = (-a, -b, c, d)
        self._after_view_change()

    def flip_vertical(self) -> None:
        a, b, c, d = self._orient
        self._orient = (a, b, -c, -d)
        self._after_view_change()

    @property
    def orientation_matrix(self) -> tuple[int, int, int, int]:
        """(a, b, c, d): an image step (x, y) shows as (a x + b y, c x + d y) on screen."""
        a, b, c, d = self._orient
        return (a, b, c, d)

    @property
    def zoom(self) -> float:
        """Screen pixels per image pixel (along a row)."""
        return self._zoom

    def set_zoom(self, factor: float) -> None:
        """Zoom about the centre of the view."""
        if isinstance(factor, bool) or not isinstance(factor, int | float | np.number):
            raise TypeError(f"zoom must be a number, found {type(factor).__name__}")
        if not math.isfinite(float(factor)) or factor <= 0:
            raise ValueError(f"zoom must be > 0, found {factor}")
        self._zoom_about(float(factor), QPointF(self.width() / 2, self.height() / 2))

    def _zoom_about(self, factor: float, anchor: QPointF) -> None:
        factor = max(_MIN_ZOOM, min(_MAX_ZOOM, factor))
        inverse, ok = self._transform().inverted()
        point = inverse.map(anchor) if ok else None
        self._zoom = factor
        self._fit_mode = False
        if point is not None:
            moved = self._transform().map(point)
            self._pan += anchor - moved
        self._after_view_change()

    def fit(self) -> None:
        """Zoom so that the whole image fits, centred; kept while the view is resized."""
        self._fit_mode = True
        self._fit()
        self._after_view_change()

    def actual_size(self) -> None:
        """One image pixel per screen pixel (1:1)."""
        self.set_zoom(1.0)

    def reset_view(self) -> None:
        """Fit, no rotation or flip, no invert, the default window."""
        self._orient = (1, 0, 0, 1)
        self._user_inverted = False
        self._lut = None
        self._fit_mode = True
        self._fit()
        if self._default_window is not None:
            self._set_window(self._default_window)
        self._after_view_change()

    def set_overlays_visible(self, visible: bool) -> None:
        self._overlays_visible = bool(visible)
        self.update()

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
            if self._heatmap is not None:
                self._drop_heatmap()
                self.update()
                self.heatmap_changed.emit()
            return
        if not isinstance(heatmap, np.ndarray):
            raise TypeError(
                f"heatmap must be a numpy array or None, found {type(heatmap).__name__}"
            )
        if heatmap.ndim != 2 or heatmap.size == 0:
            raise ValueError(f"heatmap must be a non-empty 2-D array, found shape {heatmap.shape}")
        if caption is not None and not isinstance(caption, str):
            raise TypeError(f"caption must be a str or None, found {type(caption).__name__}")
        if frame is not None and (
            isinstance(frame, bool) or not isinstance(frame, int | np.integer)
        ):
            raise TypeError(f"frame must be an int, found {type(frame).__name__}")
        target = self._frame if frame is None else int(frame)
        if self._volume is not None and not 0 <= target < self.frame_count:
            raise ValueError(f"frame must be 0 to {self.frame_count - 1}, found {target}")
        self._heatmap = heatmap
        self._heatmap_frame = target
        self._heatmap_caption = caption or ""
        self._heatmap_image = None  # coloured when first painted
        self._heatmap_data = None
        self.update()
        self.heatmap_changed.emit()

    @property
    def heatmap(self) -> np.ndarray | None:
        """The heatmap set (whether or not it is visible now)."""
        return self._heatmap

    @property
    def heatmap_caption(self) -> str:
        """The caption shown with the heatmap ("" without one)."""
        return "" if self._heatmap is None else self._heatmap_caption

    @property
    def heatmap_frame(self) -> int | None:
        """The frame the heatmap belongs to, None without one."""
        return None if self._heatmap is None else self._heatmap_frame

    @property
    def heatmap_visible(self) -> bool:
        """Whether a heatmap is painted now: one is set, switched on, over the frame shown."""
        return (
            self._heatmap is not None
            and self._heatmap_visible
            and self._heatmap_opacity > 0
            and self._heatmap_frame == self._frame
        )

    @property
    def heatmap_enabled(self) -> bool:
        """The on/off switch of the heatmap (on by default)."""
        return self._heatmap_visible

    def set_heatmap_visible(self, visible: bool) -> None:
        """Switch the heatmap on or off (it is kept while off)."""
        if bool(visible) != self._heatmap_visible:
            self._heatmap_visible = bool(visible)
            self.update()
            self.heatmap_changed.emit()

    @property
    def heatmap_opacity(self) -> float:
        return self._heatmap_opacity

    def set_heatmap_opacity(self, opacity: float) -> None:
        """Opacity of the heatmap, 0 to 1 (no recolouring: the painter applies it)."""
        if isinstance(opacity, bool) or not isinstance(opacity, int | float | np.number):
            raise TypeError(f"opacity must be a number, found {type(opacity).__name__}")
        if not 0.0 <= float(opacity) <= 1.0:
            raise ValueError(f"opacity must be within [0, 1], found {opacity}")
        if float(opacity) != self._heatmap_opacity:
            self._heatmap_opacity = float(opacity)
            if self._heatmap is not None:
                self.update()
            self.heatmap_changed.emit()

    def _drop_heatmap(self) -> None:
        self._heatmap = None
        self._heatmap_caption = ""
        self._heatmap_image = None
        self._heatmap_data = None

    def _heatmap_qimage(self) -> QImage | None:
        """The heatmap coloured once (premultiplied ARGB, the cheapest format to draw)."""
        if self._heatmap is None:
            return None
        if self._heatmap_image is None:
            grid = sample_heatmap(self._heatmap, _HEATMAP_MAX_SIDE)
            colours = apply_heatmap_lut(grid, _HEATMAP_LUT)
            rows, columns = colours.shape
            self._heatmap_data = colours  # the QImage borrows this memory
            self._heatmap_image = QImage(
                colours.data, columns, rows, columns * 4, QImage.Format.Format_ARGB32_Premultiplied
            )
        return self._heatmap_image

    def _paint_heatmap(self, painter: QPainter) -> None:
        """In image coordinates (the painter holds the image's transform)."""
        if not self.heatmap_visible:
            return
        image = self._heatmap_qimage()
        if image is None:
            return
        columns, rows = self._image_size()
        painter.setOpacity(self._heatmap_opacity)
        if (image.width(), image.height()) == (columns, rows):
            painter.drawImage(QPointF(0, 0), image)
        else:  # a coarser grid (sampled, or given so) covers the whole image
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
            painter.drawImage(QRectF(0, 0, columns, rows), image)
        painter.setOpacity(1.0)

    def _paint_heatmap_caption(self, painter: QPainter, rect: QRectF) -> None:
        """Centred under the top orientation marker, on a dark band that reads on any map."""
        if not self._heatmap_caption or not self.heatmap_visible:
            return
        painter.setFont(self._overlay_font)
        metrics = painter.fontMetrics()
        room = max(40, int(rect.width()) - 24)  # narrow views (2 x 2) elide, never overflow
        lines = [
            metrics.elidedText(line, Qt.TextElideMode.ElideRight, room)
            for line in self._heatmap_caption.splitlines()
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

    def _after_view_change(self, refit: bool = False) -> None:
        if refit and self._fit_mode:
            self._fit()
        self.update()
        self.view_changed.emit()

    def _image_size(self) -> tuple[int, int]:
        """(columns, rows) of the frames."""
        if self._volume is None:
            return (1, 1)
        shape = self._volume.array.shape
        return (int(shape[2]), int(shape[1]))

    def _fit(self) -> None:
        columns, rows = self._image_size()
        a, b, c, d = self._orient
        extent_x = abs(a) * columns + abs(b) * rows * self._aspect
        extent_y = abs(c) * columns + abs(d) * rows * self._aspect
        w, h = max(self.width(), 1), max(self.height(), 1)
        self._zoom = max(_MIN_ZOOM, min(_MAX_ZOOM, min(w / extent_x, h / extent_y)))
        self._pan = QPointF(0.0, 0.0)

    def _transform(self) -> QTransform:
        """Image coordinates → widget coordinates."""
        columns, rows = self._image_size()
        a, b, c, d = self._orient
        z = self._zoom
        # QTransform(m11, m12, m21, m22, dx, dy): x' = m11 x + m21 y + dx, y' = m12 x + m22 y + dy.
        centre = QTransform.fromTranslate(-columns / 2, -rows / 2)
        aspect = QTransform.fromScale(1.0, self._aspect)
        orient = QTransform(a * z, c * z, b * z, d * z, 0.0, 0.0)
        place = QTransform.fromTranslate(
            self.width() / 2 + self._pan.x(), self.height() / 2 + self._pan.y()
        )
        return centre * aspect * orient * place

    def image_to_widget(self, x: float, y: float) -> QPointF:
        """Where image point (x, y) is on the widget."""
        return self._transform().map(QPointF(x, y))

    def widget_to_image(self, point: QPointF) -> tuple[float, float]:
        """The image point under a widget point."""
        inverse, _ = self._transform().inverted()
        mapped = inverse.map(QPointF(point))
        return (mapped.x(), mapped.y())

    # ------------------------------------------------------------------ overlay model

    def overlay_text(self) -> OverlayText:
        """What the four corners say now (empty without a series)."""
        volume = self._volume
        if volume is None:
            return OverlayText()
        return compose_overlay(
            self._header,
            volume.geometry,
            self._frame,
            self.window if not volume.is_color else (127.5, 256.0),
            self._zoom,
            frame_state=self._frame_state(self._frame),
            cine_fps=self._cine_fps if self.is_playing else None,
            inverted=self.inverted,
            image_number=self.display_position + 1,
        )

    def orientation_labels(self) -> OrientationLabels:
        """The patient directions at the edges of the view."""
        volume = self._volume
        if volume is None:
            return OrientationLabels()
        a, b, c, d = self._orient
        return compute_orientation_labels(
            volume.geometry.orientation,
            (float(a), float(b), float(c), float(d)),
            patient_orientation=self._header.patient_orientation,
        )

    def scale_bar(self) -> ScaleBar | None:
        """The scale bar shown, or None when the pixel spacing is unknown."""
        volume = self._volume
        if volume is None or volume.geometry.pixel_spacing is None:
            return None
        mm_per_px = volume.geometry.pixel_spacing[1] / self._zoom
        return choose_scale_bar(
            mm_per_px, self.width() / 4, calibrated=volume.geometry.spacing_calibrated
        )

    # ------------------------------------------------------------------ painting

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(512, 512)

    def _invalidate_image(self) -> None:
        self._image_key = None

    def _current_lut(self) -> WindowLut | None:
        volume = self._volume
        if volume is None or volume.is_color:
            return None
        if self._lut is None:
            self._lut = make_window_lut(
                volume.array.dtype,
                self._window,
                inverted=self.inverted,
                padding=self._padding,
                packed=True,
            )
        return self._lut

    def _frame_image(self) -> QImage | None:
        """The shown frame as a 32-bit image, rendered only when frame or window changed."""
        volume = self._volume
        if volume is None:
            return None
        state = self._frame_state(self._frame)
        key = (self._frame, state)  # window and invert changes clear the key
        if key == self._image_key:
            return self._image
        self._shown_state = state
        self._image_key = key
        if state != "loaded":
            self._image = None
            return None
        values = volume.array[self._frame]
        rows, columns = values.shape[0], values.shape[1]
        lut = self._current_lut()
        if lut is not None:
            if self._buffer is None or self._buffer.shape != (rows, columns):
                self._buffer = np.empty((rows, columns), dtype=np.uint32)
            apply_window_lut(values, lut, out=self._buffer)
            buffer = self._buffer
        elif volume.is_color:
            buffer = pack_argb32(values)
        else:
            grey = apply_window(values, self._window, inverted=self.inverted, padding=self._padding)
            buffer = pack_argb32(grey)
        self._image_data = buffer  # the QImage borrows this memory
        self._image = QImage(buffer.data, columns, rows, columns * 4, QImage.Format.Format_RGB32)
        return self._image

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        try:
            rect = QRectF(self.rect())
            painter.fillRect(event.rect(), QColor(0, 0, 0))
            volume = self._volume
            if volume is None:
                overlays.draw_centre_message(painter, rect, "Drop a series here")
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
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self._zoom < 4)
            painter.drawImage(QPointF(0, 0), image)
            self._paint_heatmap(painter)
            painter.restore()
            for m in self.measurements_on_frame():
                draw_measurement(painter, m, transform, self._overlay_font, m is self._selected)
            if self._drawing is not None:
                draw_measurement(painter, self._drawing, transform, self._overlay_font, True)
            self._paint_heatmap_caption(painter, rect)
        else:
            state = self._shown_state
            text = (
                f"Image {self._frame + 1} could not be read"
                if state == "failed"
                else f"Loading image {self._frame + 1}…"
            )
            overlays.draw_centre_message(painter, rect, text)
        if self._overlays_visible:
            overlays.draw_corners(painter, rect, self.overlay_text(), self._overlay_font)
            overlays.draw_orientation(painter, rect, self.orientation_labels(), self._marker_font)
            note = (
                ""
                if self._volume is None or self._volume.geometry.pixel_spacing
                else ("uncalibrated: no pixel spacing")
            )
            overlays.draw_scale_bar(painter, rect, self.scale_bar(), note, self._overlay_font)

    def grab_view(self) -> QImage:
        """What the viewport shows, overlays included (for export)."""
        return self.grab().toImage()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        if self._fit_mode:
            self._fit()
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
        return list(self._series_measurements())

    @property
    def selected_measurement(self) -> Measurement | None:
        return self._selected

    def measurements_on_frame(self, frame: int | None = None) -> list[Measurement]:
        frame = self._frame if frame is None else frame
        return [m for m in self._series_measurements() if m.frame == frame]

    def _series_measurements(self) -> list[Measurement]:
        if self._volume is None:
            return []
        return self._measurements.setdefault(self._volume.series.key, [])

    def add_measurement(
        self, kind: str, points: list[tuple[float, float]], frame: int | None = None
    ) -> Measurement:
        """Add a measurement programmatically (as drawing it would); returns it, selected."""
        if kind not in ("distance", "angle", "rectangle", "ellipse"):
            raise ValueError(f"kind must be distance, angle, rectangle or ellipse; found {kind!r}")
        needed = 3 if kind == "angle" else 2
        if len(points) != needed:
            raise ValueError(f"a {kind} needs {needed} points, found {len(points)}")
        if self._volume is None:
            raise ValueError("no series is shown")
        m = Measurement(
            kind,
            self._frame if frame is None else int(frame),
            [(float(p[0]), float(p[1])) for p in points],
        )
        m.series_key = self._volume.series.key
        self._compute(m)
        self._series_measurements().append(m)
        self._undo.append(("add", m))
        self._selected = m
        self.update()
        self.measurements_changed.emit()
        return m

    def replace_measurements(self, measurements: list[Measurement]) -> None:
        """Show these on the series shown instead of its own (restored, or a presentation
        state's); values are measured again. Not undoable, and no signal: nothing was edited.
        """
        if self._volume is None:
            return
        self._cancel_drawing()
        items = self._series_measurements()
        items[:] = measurements
        for m in items:
            m.series_key = self._volume.series.key
            self._compute(m)
        self._undo = [u for u in self._undo if u[1] in items]
        self._selected = self._selected if self._selected in items else None
        self.update()

    def show_image_area(
        self, top_left: tuple[float, float], bottom_right: tuple[float, float]
    ) -> None:
        """Zoom and pan so that this part of the image (image coordinates) fills the view."""
        x0, y0 = top_left
        x1, y1 = bottom_right
        if not (x1 > x0 and y1 > y0) or self._volume is None:
            return
        corners = [self._transform().map(QPointF(x, y)) for x in (x0, x1) for y in (y0, y1)]
        extent_x = max(p.x() for p in corners) - min(p.x() for p in corners)
        extent_y = max(p.y() for p in corners) - min(p.y() for p in corners)
        scale = min(max(self.width(), 1) / extent_x, max(self.height(), 1) / extent_y)
        self._zoom = max(_MIN_ZOOM, min(_MAX_ZOOM, self._zoom * scale))
        self._fit_mode = False
        self._pan = QPointF(0.0, 0.0)
        centre = self._transform().map(QPointF((x0 + x1) / 2, (y0 + y1) / 2))
        self._pan = QPointF(self.width() / 2, self.height() / 2) - centre
        self._after_view_change()

    def delete_selected(self) -> bool:
        """Delete the selected measurement (undoable); False when none is selected."""
        m = self._selected
        items = self._series_measurements()
        if m is None or m not in items:
            return False
        index = items.index(m)
        items.remove(m)
        self._undo.append(("delete", m, index))
        self._selected = None
        self.update()
        self.measurements_changed.emit()
        return True

    def undo(self) -> bool:
        """Undo the last add, delete or move of a measurement; False when there is none."""
        if self._drawing is not None:
            self._cancel_drawing()
            return True
        if not self._undo:
            return False
        action = self._undo.pop()
        kind, m = action[0], action[1]
        items = self._measurements.setdefault(m.series_key, [])
        if kind == "add":
            if m in items:
                items.remove(m)
            if self._selected is m:
                self._selected = None
        elif kind == "delete":
            items.insert(min(action[2], len(items)), m)
        elif kind == "move":
            m.points = list(action[2])
            self._compute(m)
        self.update()
        self.measurements_changed.emit()
        return True

    def _compute(self, m: Measurement) -> None:
        volume = self._volume
        if volume is None:
            return
        geometry = volume.geometry
        spacing = geometry.pixel_spacing
        calibrated = geometry.spacing_calibrated
        try:
            if m.kind == "distance":
                m.result = measure_distance(
                    m.points[0], m.points[1], spacing, calibrated=calibrated
                )
            elif m.kind == "angle":
                if len(m.points) < 3:
                    m.result = None
                    return
                m.result = measure_angle(
                    m.points[0], m.points[1], m.points[2], spacing, calibrated=calibrated
                )
            elif m.kind in ("rectangle", "ellipse"):
                values = volume.array[m.frame]
                if volume.is_color:
                    values = values.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
                measure = measure_rectangle if m.kind == "rectangle" else measure_ellipse
                m.result = measure(
                    values,
                    m.points[0],
                    m.points[1],
                    spacing,
                    calibrated=calibrated,
                    unit=self._unit,
                )
        except ValueError:
            m.result = None  # a zero-length arm while drawing

    def _cancel_drawing(self) -> None:
        if self._drawing is not None:
            self._drawing = None
            self._angle_second_arm = False
            self._drag = None
            self.update()

    def _repaint_measurement(self, m: Measurement, before: QRectF | None) -> None:
        """Repaint only where the measurement was and is now."""
        area = screen_bounds(m, self._transform(), self._overlay_font)
        if before is not None:
            area = area.united(before)
        self.update(area.toAlignedRect())

    # ------------------------------------------------------------------ cine

    @property
    def is_playing(self) -> bool:
        return self._cine_timer.isActive()

    @property
    def cine_fps(self) -> float:
        return self._cine_fps

    def set_cine_fps(self, fps: float) -> None:
        """Frames per second of the cine (0.5 to 120)."""
        if isinstance(fps, bool) or not isinstance(fps, int | float | np.number):
            raise TypeError(f"fps must be a number, found {type(fps).__name__}")
        if not 0.5 <= float(fps) <= 120:
            raise ValueError(f"fps must be 0.5 to 120, found {fps}")
        self._cine_fps = float(fps)
        if self.is_playing:
            self._restart_cine_clock()
        self.update()

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
        self._cine_t0 = time.perf_counter()
        self._cine_start = self.display_position
        # Ticks at twice the rate: a tick that comes early costs nothing, one that
        # comes late shows the frame due now.
        self._cine_timer.start(max(1, int(500 / self._cine_fps)))

    def _on_cine_timer_timeout(self) -> None:
        count = self.frame_count
        if count < 2:
            self.stop_cine()
            return
        elapsed = time.perf_counter() - self._cine_t0
        target = (self._cine_start + int(elapsed * self._cine_fps)) % count
        now = self.display_position
        if target != now:
            self.cine_dropped_frames += (target - now - 1) % count
            self.set_frame(self._order.frame_at(target))

    # ------------------------------------------------------------------ frame of reference

    @property
    def frame_of_reference_uid(self) -> str | None:
        uid = self._header.frame_of_reference_uid
        return uid or None

    def slice_position(self) -> float | None:
        """Position of the shown slice along the slice normal (mm), None when unknown."""
        volume = self._volume
        if volume is None or volume.geometry.slice_positions is None:
            return None
        return float(volume.geometry.slice_positions[self._frame])

    def show_position(self, position: float) -> bool:
        """Show the slice nearest ``position`` (mm along the normal); False when out of range."""
        volume = self._volume
        if volume is None or volume.geometry.slice_positions is None:
            return False
        positions = np.asarray(volume.geometry.slice_positions, dtype=float)
        step = volume.geometry.slice_spacing
        if step is None:
            step = float(np.median(np.abs(np.diff(positions)))) if len(positions) > 1 else 1.0
        if position < positions.min() - step or position > positions.max() + step:
            return False
        self.set_frame(int(np.argmin(np.abs(positions - position))))
        return True

    # ------------------------------------------------------------------ events

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        key = event.key()
        mods = event.modifiers()
        ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
        shift = bool(mods & Qt.KeyboardModifier.ShiftModifier)
        keys = Qt.Key
        if ctrl and key == keys.Key_Z:
            self.undo()
        elif key in (keys.Key_Up, keys.Key_Left):
            self.step_frames(-1)
        elif key in (keys.Key_Down, keys.Key_Right):
            self.step_frames(1)
        elif key == keys.Key_PageUp:
            self.step_frames(-_PAGE_STEP)
        elif key == keys.Key_PageDown:
            self.step_frames(_PAGE_STEP)
        elif key == keys.Key_Home:
            self.set_frame(self._order.frame_at(0))
        elif key == keys.Key_End:
            self.set_frame(self._order.frame_at(self.frame_count - 1))
        elif key in (keys.Key_Plus, keys.Key_Equal):
            self.set_zoom(self._zoom * 1.25)
        elif key == keys.Key_Minus:
            self.set_zoom(self._zoom / 1.25)
        elif key == keys.Key_F and not ctrl:
            self.fit()
        elif key == keys.Key_1 and not ctrl:
            self.actual_size()
        elif key == keys.Key_0 and not ctrl:
            self.reset_view()
        elif key in _PRESET_KEYS:
            index = _PRESET_KEYS.index(Qt.Key(key))
            if index < len(self._presets):
                self._set_window(self._presets[index])
        elif key == keys.Key_A and not ctrl:
            self.auto_window()
        elif key == keys.Key_I and not ctrl:
            self.invert()
        elif key == keys.Key_R and not ctrl:
            self.rotate(-90 if shift else 90)
        elif key == keys.Key_H and not ctrl:
            self.flip_horizontal()
        elif key == keys.Key_V and not ctrl:
            self.flip_vertical()
        elif key == keys.Key_O and not ctrl:
            self.set_overlays_visible(not self._overlays_visible)
        elif key in _TOOL_KEYS and not ctrl:
            self.set_tool(_TOOL_KEYS[Qt.Key(key)])
        elif key == keys.Key_Escape:
            if self._drawing is not None:
                self._cancel_drawing()
            else:
                self.set_tool("none")
                self._selected = None
                self.update()
        elif key in (keys.Key_Delete, keys.Key_Backspace):
            self.delete_selected()
        elif key == keys.Key_Space:
            self.toggle_cine()
        elif key == keys.Key_BracketLeft:
            self.set_cine_fps(max(0.5, self._cine_fps / 1.25))
        elif key == keys.Key_BracketRight:
            self.set_cine_fps(min(120.0, self._cine_fps * 1.25))
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt override
        delta = event.angleDelta().y()
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            if delta:
                self._zoom_about(self._zoom * 1.25 ** (delta / 120), event.position())
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
            self._drag = "window"
            self._drag_window = self.window
        elif button == Qt.MouseButton.MiddleButton:
            self._start_pan()
        elif button == Qt.MouseButton.LeftButton:
            self._left_press(pos)
        event.accept()

    def _start_pan(self) -> None:
        self._drag = "pan"
        self._drag_pan = QPointF(self._pan)

    def _left_press(self, pos: QPointF) -> None:
        point = self.widget_to_image(pos)
        if self._tool == "none":
            transform = self._transform()
            candidates = self.measurements_on_frame()
            if self._selected in candidates:  # the selected one's handles come first
                candidates.remove(self._selected)  # type: ignore[arg-type]
                candidates.append(self._selected)  # type: ignore[arg-type]
            for m in reversed(candidates):
                where = hit_test(m, pos, transform, m is self._selected)
                if where is not None:
                    before = (
                        screen_bounds(self._selected, transform, self._overlay_font)
                        if self._selected
                        else None
                    )
                    self._selected = m
                    self._drag = "move"
                    self._drag_handle = where
                    self._drag_points = list(m.points)
                    self._repaint_measurement(m, before)
                    return
            if self._selected is not None:
                self._selected = None
                self.update()
            self._start_pan()
            return
        if self._frame_state(self._frame) != "loaded":
            return
        if self._tool == "angle" and self._drawing is not None and self._angle_second_arm:
            self._drawing.points[2] = point
            self._commit_drawing()
            return
        m = Measurement(self._tool, self._frame, [point, point])
        m.series_key = self._volume.series.key if self._volume else ""
        self._drawing = m
        self._drag = "draw"

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        pos = event.position()
        delta = pos - self._drag_start
        if self._drag == "window":
            center, width = self._drag_window
            # A fixed share of the window per pixel, with a floor so that a narrow
            # integer window can still be widened quickly.
            volume = self._volume
            floor = 20.0 if volume is not None and volume.array.dtype.kind in "iu" else 0.0
            step = max(width, floor) / 250.0
            self.set_window(center + delta.y() * step, max(step, width + delta.x() * step))
        elif self._drag == "pan":
            self._pan = self._drag_pan + delta
            self._fit_mode = False
            self.update()
        elif self._drag == "draw" and self._drawing is not None:
            before = screen_bounds(self._drawing, self._transform(), self._overlay_font)
            self._drawing.points[-1] = self.widget_to_image(pos)
            self._compute(self._drawing)
            self._repaint_measurement(self._drawing, before)
        elif self._drawing is not None and self._angle_second_arm:
            before = screen_bounds(self._drawing, self._transform(), self._overlay_font)
            self._drawing.points[2] = self.widget_to_image(pos)
            self._compute(self._drawing)
            self._repaint_measurement(self._drawing, before)
        elif self._drag == "move" and self._selected is not None:
            m = self._selected
            before = screen_bounds(m, self._transform(), self._overlay_font)
            start = self.widget_to_image(self._drag_start)
            now = self.widget_to_image(pos)
            dx, dy = now[0] - start[0], now[1] - start[1]
            if self._drag_handle < 0:
                m.points = [(x + dx, y + dy) for x, y in self._drag_points]
            else:
                x, y = self._drag_points[self._drag_handle]
                m.points[self._drag_handle] = (x + dx, y + dy)
            self._compute(m)
            self._repaint_measurement(m, before)
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        drag, self._drag = self._drag, None
        if drag == "draw" and self._drawing is not None:
            m = self._drawing
            start = self.image_to_widget(*m.points[0])
            end = event.position()
            too_small = (start - end).manhattanLength() < 3
            if m.kind == "angle":
                if too_small:
                    self._cancel_drawing()
                    return
                m.points[-1] = self.widget_to_image(end)
                m.points.append(m.points[-1])
                self._angle_second_arm = True
                self._compute(m)
                self.update()
                return
            if too_small:
                self._cancel_drawing()
                return
            m.points[-1] = self.widget_to_image(end)
            self._commit_drawing()
        elif (
            drag == "move"
            and self._selected is not None
            and self._selected.points != self._drag_points
        ):
            self._undo.append(("move", self._selected, list(self._drag_points)))
            self.measurements_changed.emit()
        event.accept()

    def _commit_drawing(self) -> None:
        m = self._drawing
        if m is None:
            return
        self._drawing = None
        self._angle_second_arm = False
        self._compute(m)
        if m.kind == "angle" and m.result is None:
            self.update()
            return
        self._series_measurements().append(m)
        self._undo.append(("add", m))
        self._selected = m
        self.update()
        self.measurements_changed.emit()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if event.button() == Qt.MouseButton.LeftButton and self._tool == "none":
            self.fit()
        event.accept()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if event.mimeData().hasFormat(SERIES_MIME):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        if event.mimeData().hasFormat(SERIES_MIME):
            event.acceptProposedAction()
        else:
            event.ignore()

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
