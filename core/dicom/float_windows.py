"""Windows for continuous values: Float and Double Float Pixel Data, fractional rescales.

Parametric Maps (PS3.3 A.75) and similar objects store real numbers — an ADC map
in mm²/s spans about 0.0005 to 0.003. The LINEAR VOI function (PS3.3
C.11.2.1.2.1) is defined for integer values: it needs a width of at least 1 and
shifts by half a value, so a window computed for such data the integer way is
wider than the whole range and shows one flat grey, and the file's own window
(0.0015 / 0.003, say) is refused as narrower than 1. LINEAR_EXACT (C.11.2.1.3.2)
is the same straight line without the integer corrections. The rules here:

* :func:`window_for_value_range` — the window spanning ``low..high``: LINEAR with
  integer rounding for integer values, LINEAR_EXACT with the true span for
  continuous ones.
* :func:`continuous_voi_function` — a LINEAR window written for float pixel data
  is applied as LINEAR_EXACT.
* :func:`with_continuous_windows` — the same rule on the frames of the study index.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

from core.dicom.lut_types import VoiFunction, VoiPreset
from core.dicom.records import FrameInfo

__all__ = ["continuous_voi_function", "window_for_value_range", "with_continuous_windows"]

#: Relative width given to a window on a constant continuous image (shows mid grey).
_CONSTANT_SPAN = 1e-6
_LINEAR, _LINEAR_EXACT = "LINEAR", "LINEAR_EXACT"  # PS3.3 C.11.2.1.3 defined terms


def window_for_value_range(
    low: float, high: float, *, continuous: bool, name: str = "Auto"
) -> VoiPreset:
    """The window that maps ``low`` to black and ``high`` to white.

    Parameters
    ----------
    low, high : float
        The value range (finite, ``low <= high``; swapped otherwise).
    continuous : bool
        True for float values (Float Pixel Data, a fractional rescale): the window
        is LINEAR_EXACT over exactly ``high - low``. False for integer values:
        LINEAR, at least one value wide (PS3.3 C.11.2.1.2.1).
    name : str
        The preset's name.
    """
    low, high = float(low), float(high)
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f"the range must be finite, found {low}..{high}")
    if high < low:
        low, high = high, low
    if not continuous:
        if high - low < 1:
            high = low + 1
        return VoiPreset(name=name, center=(low + high) / 2, width=high - low + 1)
    width = high - low
    if not width > 0 or not math.isfinite(width):
        width = max(abs(low) * _CONSTANT_SPAN, 1e-12)
    return VoiPreset(
        name=name, center=(low + high) / 2, width=width, function=VoiFunction.LINEAR_EXACT
    )


def continuous_voi_function(function: str) -> str:
    """The VOI LUT Function to apply to float pixel data: LINEAR becomes LINEAR_EXACT."""
    if not isinstance(function, str):
        raise TypeError(f"function must be a str, found {type(function).__name__}")
    name = function.strip().upper()
    return _LINEAR_EXACT if name == _LINEAR else name


def with_continuous_windows(frames: Sequence[FrameInfo]) -> tuple[FrameInfo, ...]:
    """``frames`` with every LINEAR window applied as LINEAR_EXACT (float pixel data)."""
    result: list[FrameInfo] = []
    for frame in frames:
        if not isinstance(frame, FrameInfo):
            raise TypeError(f"frames must hold FrameInfo, found {type(frame).__name__}")
        windows = tuple(
            dataclasses.replace(w, function=continuous_voi_function(w.function))
            for w in frame.windows
        )
        result.append(dataclasses.replace(frame, windows=windows) if windows else frame)
    return tuple(result)
