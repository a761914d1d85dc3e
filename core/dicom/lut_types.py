"""What the LUT pipeline passes around, validated on construction.

* :class:`ModalityLut` — the modality transformation of a frame (PS3.3 C.11.1):
  a rescale or a Modality LUT table.
* :class:`VoiFunction` and :class:`VoiPreset` — a VOI (PS3.3 C.11.2): a window
  (center, width, function) or a VOI LUT table; :func:`check_window_width` is
  the rule for the narrowest window each function allows.

Read from a data set and applied by :mod:`core.dicom.lut`; used as they are by
the viewer's windows (:mod:`core.dicom.display`) and by
:mod:`core.dicom.float_windows`.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from core.dicom.records import VoiWindow

logger = logging.getLogger(__name__)

Array = npt.NDArray[Any]

__all__ = ["ModalityLut", "VoiFunction", "VoiPreset", "check_window_width"]


@dataclass(frozen=True)
class ModalityLut:
    """The modality transformation of one frame (PS3.3 C.11.1).

    Either a linear rescale (``slope``, ``intercept``) or a lookup table
    (``table`` with ``first_mapped`` and ``table_bits`` from the LUT Descriptor).
    The identity (slope 1, intercept 0, no table) is used for colour images and
    for XA/XRF images whose Pixel Intensity Relationship is LOG or DISP.

    Parameters
    ----------
    slope, intercept : float
        Rescale Slope (0028,1053) and Rescale Intercept (0028,1052).
    rescale_type : str
        Rescale Type (0028,1054) or Modality LUT Type (0028,3004), e.g. ``"HU"``.
    table : tuple of int or None
        LUT Data (0028,3006) of the Modality LUT Sequence item.
    first_mapped : int
        Second value of the LUT Descriptor: the stored value mapped to ``table[0]``.
    table_bits : int
        Third value of the LUT Descriptor: bits per table entry (1 to 16).
    explanation : str
        LUT Explanation, or why the identity was chosen.
    """

    slope: float = 1.0
    intercept: float = 0.0
    rescale_type: str = ""
    table: tuple[int, ...] | None = None
    first_mapped: int = 0
    table_bits: int = 16
    explanation: str = ""
    _array: Array | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("slope", "intercept"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float | np.number):
                raise TypeError(f"ModalityLut.{name} must be a number, found {value!r}")
            if not math.isfinite(value):
                raise ValueError(f"ModalityLut.{name} must be finite, found {value!r}")
            object.__setattr__(self, name, float(value))
        if self.slope == 0:
            raise ValueError("ModalityLut.slope must not be 0")
        if not 1 <= self.table_bits <= 16:
            raise ValueError(f"ModalityLut.table_bits must be 1 to 16, found {self.table_bits}")
        if self.table is not None:
            if len(self.table) == 0:
                raise ValueError("ModalityLut.table must not be empty")
            table = np.asarray(self.table, dtype=np.int64)
            if table.min() < 0 or table.max() > 0xFFFF:
                raise ValueError("ModalityLut.table entries must be 0 to 65535")
            array = table.astype(np.uint8 if table.max() <= 0xFF else np.uint16)
            array.flags.writeable = False
            object.__setattr__(self, "_array", array)

    @property
    def is_identity(self) -> bool:
        """True when applying this LUT leaves the values unchanged."""
        return self.table is None and self.slope == 1 and self.intercept == 0

    @property
    def has_integer_output(self) -> bool:
        """True when integer stored values map to integers (table, or integral rescale)."""
        return self.table is not None or (
            float(self.slope).is_integer() and float(self.intercept).is_integer()
        )


class VoiFunction(StrEnum):
    """VOI LUT Function (0028,1056), PS3.3 C.11.2.1.2/C.11.2.1.3."""

    LINEAR = "LINEAR"
    LINEAR_EXACT = "LINEAR_EXACT"
    SIGMOID = "SIGMOID"


@dataclass(frozen=True)
class VoiPreset:
    """One way to map modality values to display intensity (a VOI, PS3.3 C.11.2).

    Either a window (``center``, ``width``, ``function``) or a VOI LUT table
    (``table`` with ``first_mapped`` and ``table_bits`` from its LUT Descriptor).

    Parameters
    ----------
    name : str
        Window Center & Width Explanation, LUT Explanation, or a made-up label.
    center, width : float or None
        Window Center (0028,1050) and Window Width (0028,1051); None for a table.
    function : VoiFunction
        VOI LUT Function; LINEAR needs width >= 1, LINEAR_EXACT and SIGMOID > 0.
    table : tuple of int or None
        LUT Data of a VOI LUT Sequence item.
    first_mapped : int
        The input value mapped to ``table[0]``.
    table_bits : int
        Bits per table entry from the LUT Descriptor; the output is normalised
        by ``2**table_bits - 1`` (widened when the data exceed it).
    """

    name: str
    center: float | None = None
    width: float | None = None
    function: VoiFunction = VoiFunction.LINEAR
    table: tuple[int, ...] | None = None
    first_mapped: int = 0
    table_bits: int = 16
    _array: Array | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str):
            raise TypeError(f"VoiPreset.name must be a str, found {type(self.name).__name__}")
        try:
            object.__setattr__(self, "function", VoiFunction(str(self.function).upper()))
        except ValueError:
            raise ValueError(
                "VoiPreset.function must be LINEAR, LINEAR_EXACT or SIGMOID, "
                f"found {self.function!r}"
            ) from None
        if self.table is not None:
            if self.center is not None or self.width is not None:
                raise ValueError("a VoiPreset has either a table or a center/width, not both")
            if len(self.table) == 0:
                raise ValueError("VoiPreset.table must not be empty")
            if not 1 <= self.table_bits <= 16:
                raise ValueError(f"VoiPreset.table_bits must be 1 to 16, found {self.table_bits}")
            table = np.asarray(self.table, dtype=np.int64)
            if table.min() < 0 or table.max() > 0xFFFF:
                raise ValueError("VoiPreset.table entries must be 0 to 65535")
            top = 2**self.table_bits - 1
            if table.max() > top:
                # The descriptor understates the entries' depth; trust the data.
                top = 2 ** int(table.max()).bit_length() - 1
            array = table.astype(np.float32) / np.float32(top)
            array.flags.writeable = False
            object.__setattr__(self, "_array", array)
            return
        for name in ("center", "width"):
            value = getattr(self, name)
            if value is None:
                raise ValueError(f"VoiPreset.{name} is required when there is no table")
            if isinstance(value, bool) or not isinstance(value, int | float | np.number):
                raise TypeError(f"VoiPreset.{name} must be a number, found {value!r}")
            if not math.isfinite(value):
                raise ValueError(f"VoiPreset.{name} must be finite, found {value!r}")
            object.__setattr__(self, name, float(value))
        check_window_width(float(self.width), self.function)  # type: ignore[arg-type]

    @property
    def is_table(self) -> bool:
        """True for a VOI LUT table, False for a window."""
        return self.table is not None

    @classmethod
    def from_window(cls, window: VoiWindow) -> VoiPreset:
        """The preset for a :class:`~core.dicom.records.VoiWindow` of the study index."""
        if not isinstance(window, VoiWindow):
            raise TypeError(f"expected a VoiWindow, found {type(window).__name__}")
        return cls(
            name=window.explanation or f"W {window.width:g} / C {window.center:g}",
            center=float(window.center),
            width=float(window.width),
            function=VoiFunction(window.function.upper()),
        )


def check_window_width(width: float, function: VoiFunction) -> None:
    """Refuse a window width below the VOI function's minimum (PS3.3 C.11.2.1.2, C.11.2.1.3)."""
    if function is VoiFunction.LINEAR and width < 1:
        raise ValueError(f"a LINEAR window needs a width >= 1 (PS3.3 C.11.2.1.2), found {width}")
    if function is not VoiFunction.LINEAR and width <= 0:
        raise ValueError(f"a {function.value} window needs a width > 0, found {width}")
