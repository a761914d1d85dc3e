"""The pixel pipeline joined up: stored values → modality LUT → VOI → presentation → display.

Decoding (:mod:`core.dicom.decode`) and the LUT pipeline (:mod:`core.dicom.lut`)
are kept apart, as pydicom keeps its decoders apart from its processing; the
dataset-level functions here join them, following PS3.3 C.11 (the grayscale
pipeline) and PS3.4 N.2:

* :func:`decode_frame` — the stored values of one frame, any transfer syntax an
  installed decoder handles; bits above Bits Stored masked (sign-extended when
  Pixel Representation is 1); colour returned as RGB.
* :func:`read_frame_values` — decode + modality LUT: what the viewer and the CNN
  get before VOI.
* :func:`render_frame` — the whole display pipeline to 8-bit grey or RGB.

Every failure becomes a :class:`~core.errors.PixelDataError` or
:class:`~core.errors.UnsupportedTransferSyntaxError` naming the file and what
was expected and found; no raw pydicom or numpy exception escapes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from pydicom.dataset import Dataset

from core.dicom.decode import decode_stored
from core.dicom.lut import (
    VoiPreset,
    apply_modality_lut,
    apply_presentation,
    apply_voi,
    colour_as_rgb,
    frame_modality_lut,
    frame_voi_presets,
    full_range_preset,
    is_inverted,
    padding_mask,
    rgb_to_uint8,
    to_display_uint8,
)
from core.dicom.pixel_header import check_dataset, check_frame, pixel_guard, source_name

logger = logging.getLogger(__name__)

Array = npt.NDArray[Any]

__all__ = [
    "decode_frame",
    "read_frame_values",
    "render_frame",
]


@dataclass(frozen=True)
class _Decoded:
    """One decoded frame and what is needed to take it further."""

    stored: Array  # (H, W) grey stored values, or the palette indices
    colour: Array | None  # (H, W, 3) RGB for colour images
    colour_max: int  # the RGB value meaning full intensity


def _decode(ds: Dataset, frame: int, src: str) -> _Decoded:
    stored = decode_stored(ds, frame, src)
    colour = colour_as_rgb(
        ds,
        stored.values,
        stored.photometric,
        bits_stored=stored.bits_stored,
        signed=stored.signed,
        src=src,
    )
    if colour is None:
        return _Decoded(stored=stored.values, colour=None, colour_max=0)
    return _Decoded(stored=stored.values, colour=colour[0], colour_max=colour[1])


def decode_frame(ds: Dataset, frame: int = 0, *, source: str = "") -> Array:
    """Decode the stored values of one frame.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        A dataset with an Image Pixel Module and pixel data.
    frame : int
        0-based frame index; only this frame is decoded.
    source : str
        The file name, for error messages (default: ``ds.filename``).

    Returns
    -------
    numpy.ndarray
        ``(rows, columns)`` stored values for grayscale, with the bits above Bits
        Stored cleared (or sign-extended when Pixel Representation is 1); or
        ``(rows, columns, 3)`` RGB for colour (RGB with either Planar
        Configuration, YBR_FULL, YBR_FULL_422, and PALETTE COLOR through its
        palette LUTs). Native byte order.

    Raises
    ------
    PixelDataError
        No pixel data, pixel data shorter than Rows x Columns x Samples x
        Frames x Bits Allocated, frame out of range, or a decoder failure.
    UnsupportedTransferSyntaxError
        No installed decoder handles the transfer syntax.
    """
    check_dataset(ds)
    frame = check_frame(frame)
    src = source_name(ds, source)
    with pixel_guard(src, "decoding"):
        decoded = _decode(ds, frame, src)
    return decoded.colour if decoded.colour is not None else decoded.stored


def read_frame_values(ds: Dataset, frame: int = 0, *, source: str = "") -> Array:
    """The modality values of one frame: what the viewer and the CNN get before VOI.

    Grayscale frames are decoded and passed through :func:`modality_lut_for`
    (Hounsfield units for CT, for example); MONOCHROME1 is *not* inverted here.
    Colour frames are returned as RGB, unchanged.

    Raises
    ------
    PixelDataError, UnsupportedTransferSyntaxError
        As :func:`decode_frame` and :func:`modality_lut_for`.
    """
    check_dataset(ds)
    frame = check_frame(frame)
    src = source_name(ds, source)
    with pixel_guard(src, "reading values"):
        decoded = _decode(ds, frame, src)
        if decoded.colour is not None:
            return decoded.colour
        return apply_modality_lut(decoded.stored, frame_modality_lut(ds, frame, src))


def _window_preset(window: Any) -> VoiPreset:
    if not isinstance(window, tuple | list) or len(window) != 2:
        raise TypeError(f"window must be a (center, width) pair, found {window!r}")
    center, width = window
    for name, value in (("center", center), ("width", width)):
        if isinstance(value, bool) or not isinstance(value, int | float | np.number):
            raise TypeError(f"window {name} must be a number, found {value!r}")
    return VoiPreset(name="Window", center=float(center), width=float(width))


def render_frame(
    ds: Dataset,
    frame: int = 0,
    window: tuple[float, float] | None = None,
    *,
    source: str = "",
) -> Array:
    """Render one frame for display: the whole pipeline to 8 bits.

    Grayscale: stored values → modality LUT → VOI (``window`` as a LINEAR
    center/width if given, else the file's first preset, else the full range of
    the modality values without padding) → inversion for MONOCHROME1/INVERSE →
    padding shown black, the darkest value, as background (PS3.3 C.7.5.1.1.2
    pads "with black" for both MONOCHROME1 and MONOCHROME2) → uint8 ``(H, W)``.
    Colour: RGB scaled to 8 bits, no VOI → uint8 ``(H, W, 3)``.

    Raises
    ------
    PixelDataError, UnsupportedTransferSyntaxError
        As :func:`decode_frame`.
    TypeError, ValueError
        A bad argument (``window`` not a pair of numbers, or a width below 1).
    """
    check_dataset(ds)
    frame = check_frame(frame)
    src = source_name(ds, source)
    override = _window_preset(window) if window is not None else None
    with pixel_guard(src, "rendering"):
        return _render(ds, frame, override, src)


def _render(ds: Dataset, frame: int, override: VoiPreset | None, src: str) -> Array:
    decoded = _decode(ds, frame, src)
    if decoded.colour is not None:
        return rgb_to_uint8(decoded.colour, decoded.colour_max)
    values = apply_modality_lut(decoded.stored, frame_modality_lut(ds, frame, src))
    mask = padding_mask(ds, decoded.stored)
    if override is not None:
        preset = override
    else:
        presets = frame_voi_presets(ds, frame, src)
        preset = presets[0] if presets else full_range_preset(values, exclude=mask)
    shown = apply_presentation(apply_voi(values, preset), is_inverted(ds))
    if mask is not None and mask.any():
        shown[mask] = 0.0  # shown is a fresh array from apply_voi/apply_presentation
    return to_display_uint8(shown)
