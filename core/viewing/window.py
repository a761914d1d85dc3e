"""The window (VOI) a viewer shows a series through: presets, the default, the reader's own.

Which window a series opens with, what its presets are and how "Auto" and "Full
range" are computed are decided in :mod:`core.dicom.display`; a :class:`WindowState`
keeps what a viewport has chosen from them — the window shown, whether the default
still waits for the first frame to arrive, the reader's invert on top of MONOCHROME1
— and the lookup table of that window, built once per window.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import numpy.typing as npt

from core.dicom.display import (
    WindowLut,
    choose_default_window,
    compute_auto_window,
    full_range_window,
    is_series_inverted,
    list_presets,
    make_window_lut,
    padding_value_of,
)
from core.dicom.lut import VoiFunction, VoiPreset
from core.dicom.volume import Volume

logger = logging.getLogger(__name__)

__all__ = ["COLOUR_WINDOW", "WindowState", "drag_window"]

#: What a colour image is "windowed" with (its values are shown as they are).
COLOUR_WINDOW = VoiPreset(name="Colour", center=127.5, width=256)


def _check_number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise TypeError(f"window {name} must be a number, found {type(value).__name__}")
    if not math.isfinite(float(value)):
        raise ValueError(f"window {name} must be finite, found {value}")
    return float(value)


def drag_window(
    start: tuple[float, float], dx: float, dy: float, *, integer_values: bool
) -> tuple[float, float]:
    """The (center, width) after dragging ``(dx, dy)`` screen pixels from ``start``.

    Across changes the width, down raises the level, by a fixed share of the window
    per pixel, with a floor for integer values so that a narrow window still widens
    quickly.
    """
    center, width = start
    step = max(width, 20.0 if integer_values else 0.0) / 250.0
    return center + dy * step, max(step, width + dx * step)


class WindowState:
    """The window shown on one viewport, its series' presets, and inverted greys."""

    def __init__(self) -> None:
        self.presets: tuple[VoiPreset, ...] = ()
        self.default: VoiPreset | None = None
        self.current = VoiPreset(name="Default", center=0.0, width=1.0)
        self.pending = False  # the default window waits for the first loaded frame
        self.padding: float | None = None
        self._base_inverted = False
        self._user_inverted = False
        self._lut: WindowLut | None = None

    @property
    def window(self) -> tuple[float, float]:
        """(center, width) of the window shown."""
        return float(self.current.center or 0.0), float(self.current.width or 1.0)

    @property
    def inverted(self) -> bool:
        """Whether greys are shown inverted (MONOCHROME1 XOR the reader's invert)."""
        return self._base_inverted != self._user_inverted

    def show(self, volume: Volume | None) -> None:
        """A series is shown (None: none): its presets, its default window, not inverted
        by the reader."""
        if volume is None:
            self.presets = ()
            return
        series = volume.series
        self.presets = () if volume.is_color else list_presets(series, volume.geometry)
        self._base_inverted = is_series_inverted(series)
        self.padding = padding_value_of(series)
        self._user_inverted = False
        self.choose_default(volume)

    def listed(self) -> list[tuple[str, float, float]]:
        """The file's own windows, then the modality's: (name, center, width)."""
        return [(p.name, float(p.center or 0.0), float(p.width or 1.0)) for p in self.presets]

    def choose_default(self, volume: Volume) -> None:
        """The series' default window, from its first loaded frame where that decides."""
        if volume.is_color:
            self.current = COLOUR_WINDOW
            self.pending = False
            return
        frame_values = None
        if volume.loaded.any():
            frame_values = volume.array[int(np.argmax(volume.loaded))]
        preset = choose_default_window(volume.series, volume.geometry, frame_values)
        self.default = preset
        self.current = preset
        self._lut = None
        # Without a window of its own or the modality's, the first frame decides (auto).
        self.pending = frame_values is None and not self.presets

    def set(self, preset: VoiPreset) -> bool:
        """Show ``preset``; True when the greys change (not only the name)."""
        same = (preset.center, preset.width, preset.function) == (
            self.current.center,
            self.current.width,
            self.current.function,
        )
        self.current = preset
        if same:
            return False
        self.pending = False
        self._lut = None
        return True

    def custom(self, center: float, width: float) -> VoiPreset:
        """A "Custom" window of ``center`` and ``width`` with the VOI function shown now."""
        center, width = _check_number("center", center), _check_number("width", width)
        function = self.current.function
        minimum = 1.0 if function is VoiFunction.LINEAR else 1e-12  # float maps: 0.003 wide
        return VoiPreset(name="Custom", center=center, width=max(width, minimum), function=function)

    def preset_named(self, name: str, frame_values: np.ndarray | None) -> VoiPreset | None:
        """The preset called ``name`` (any case); "Auto" and "Full range" are computed on
        ``frame_values`` (None without them).

        Raises
        ------
        ValueError
            The series has no preset of that name (the message lists those it has).
        """
        if not isinstance(name, str):
            raise TypeError(f"name must be a str, found {type(name).__name__}")
        key = name.strip().casefold()
        if key == "auto":
            return self.auto(frame_values)
        if key == "full range":
            return None if frame_values is None else full_range_window(frame_values)
        for preset in self.presets:
            if preset.name.casefold() == key:
                return preset
        names = ", ".join(p.name for p in self.presets) or "none"
        raise ValueError(f"no window preset named {name!r}; this series has: {names}")

    def auto(self, frame_values: np.ndarray | None) -> VoiPreset | None:
        """A window spanning the 1st to 99th percentile of ``frame_values`` (padding left out)."""
        if frame_values is None:
            return None
        return compute_auto_window(frame_values, exclude_value=self.padding)

    def toggle_invert(self) -> None:
        self._user_inverted = not self._user_inverted
        self._lut = None

    def reset(self) -> bool:
        """No invert of the reader's, the default window; True when the window changed."""
        self._user_inverted = False
        self._lut = None
        return self.default is not None and self.set(self.default)

    def lut(self, dtype: npt.DTypeLike) -> WindowLut | None:
        """The lookup table of the window shown for ``dtype`` (packed greys), built once;
        None where a table does not pay (float values, very wide integer windows)."""
        if self._lut is None or self._lut.dtype != np.dtype(dtype):
            self._lut = make_window_lut(
                dtype, self.current, inverted=self.inverted, padding=self.padding, packed=True
            )
        return self._lut
