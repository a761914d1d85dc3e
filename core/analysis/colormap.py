"""Heatmaps as colours a viewer can lay over an image, without Qt.

An explanation heatmap (Grad-CAM, occlusion sensitivity) is a 2-D array of
non-negative scores in the original image's pixel grid. A viewer shows it as a
colour overlay: :func:`make_heatmap_lut` builds, once, a 256-entry table from a
score level to a premultiplied 32-bit ARGB colour (the format a display surface
draws without converting), and :func:`apply_heatmap_lut` is then a scaling and
one gather per heatmap. A heatmap larger than a screen can show is first
point-sampled onto a coarser grid whose cells tile the image exactly
(:func:`sample_heatmap`): drawn stretched over the image, every cell lands on the
pixels it stands for, at a fraction of the painting cost. Low scores are
transparent so that the anatomy the model did not look at stays readable; opacity
as a whole is left to the painter, so changing it costs nothing.
"""

from __future__ import annotations

import logging
from typing import Any, Final

import numpy as np
import numpy.typing as npt

logger = logging.getLogger(__name__)

Array = npt.NDArray[Any]

__all__ = [
    "HEATMAP_COLORMAPS",
    "apply_heatmap_lut",
    "make_heatmap_lut",
    "sample_heatmap",
    "scale_heatmap",
]

#: Colour maps :func:`make_heatmap_lut` knows.
HEATMAP_COLORMAPS: Final = ("jet", "hot")

# Scores below the floor are fully transparent; above the knee fully opaque.
_ALPHA_FLOOR: Final = 0.1
_ALPHA_KNEE: Final = 0.5


def _check_unit(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise TypeError(f"{name} must be a number, found {type(value).__name__}")
    number = float(value)
    if not 0.0 <= number <= 1.0:
        raise ValueError(f"{name} must be within [0, 1], found {value}")
    return number


def _rgb(colormap: str, x: Array) -> Array:
    """(256, 3) colours in [0, 1] for levels ``x`` in [0, 1]."""
    if colormap == "jet":
        # The piecewise-linear "jet" of Grad-CAM figures: blue → cyan → yellow → red.
        channels = [np.clip(1.5 - np.abs(4.0 * x - c), 0.0, 1.0) for c in (3.0, 2.0, 1.0)]
    else:  # "hot": black → red → yellow → white
        channels = [np.clip(3.0 * x - c, 0.0, 1.0) for c in (0.0, 1.0, 2.0)]
    return np.stack(channels, axis=1)


def make_heatmap_lut(colormap: str = "jet", *, alpha_floor: float = _ALPHA_FLOOR) -> Array:
    """A table from a heatmap level (0..255) to a premultiplied ARGB ``uint32`` colour.

    Parameters
    ----------
    colormap : str
        One of :data:`HEATMAP_COLORMAPS`.
    alpha_floor : float
        Levels at or below this share of the top are fully transparent; alpha then
        rises linearly to opaque at half the top (and stays opaque above).

    Returns
    -------
    numpy.ndarray
        ``(256,)`` ``uint32``: ``0xAARRGGBB`` with R, G, B already multiplied by A
        (Qt's ``Format_ARGB32_Premultiplied`` on a little-endian machine).
    """
    if not isinstance(colormap, str):
        raise TypeError(f"colormap must be a str, found {type(colormap).__name__}")
    if colormap not in HEATMAP_COLORMAPS:
        raise ValueError(
            f"colormap must be one of {', '.join(HEATMAP_COLORMAPS)}; found {colormap!r}"
        )
    floor = _check_unit("alpha_floor", alpha_floor)
    if floor >= _ALPHA_KNEE:
        raise ValueError(f"alpha_floor must be below {_ALPHA_KNEE}, found {alpha_floor}")
    x = np.arange(256, dtype=np.float64) / 255.0
    alpha = np.clip((x - floor) / (_ALPHA_KNEE - floor), 0.0, 1.0)
    rgb = _rgb(colormap, x) * alpha[:, None]
    a8 = np.rint(alpha * 255.0).astype(np.uint32)
    r8, g8, b8 = (np.rint(rgb[:, i] * 255.0).astype(np.uint32) for i in range(3))
    table: Array = (a8 << 24) | (r8 << 16) | (g8 << 8) | b8
    return table


def scale_heatmap(heatmap: Array, *, vmax: float | None = None) -> Array:
    """Heatmap scores → ``uint8`` levels: 0 at or below 0, 255 at ``vmax`` and above.

    Parameters
    ----------
    heatmap : numpy.ndarray
        2-D real scores; NaN and infinities count as 0.
    vmax : float, optional
        The score shown at the top of the colour map; by default the heatmap's
        maximum (a relative map, as Grad-CAM is read). A heatmap with no positive
        score gives all zeros (fully transparent).
    """
    if not isinstance(heatmap, np.ndarray):
        raise TypeError(f"heatmap must be a numpy array, found {type(heatmap).__name__}")
    if heatmap.ndim != 2 or heatmap.size == 0:
        raise ValueError(f"heatmap must be a non-empty 2-D array, found shape {heatmap.shape}")
    if heatmap.dtype.kind not in "biuf":
        raise ValueError(f"heatmap must hold real numbers, found dtype {heatmap.dtype}")
    values = heatmap.astype(np.float32, copy=False)
    finite = np.isfinite(values)
    if not finite.all():
        values = np.where(finite, values, 0.0).astype(np.float32)
    if vmax is None:
        top = float(values.max())
    else:
        if isinstance(vmax, bool) or not isinstance(vmax, int | float | np.number):
            raise TypeError(f"vmax must be a number, found {type(vmax).__name__}")
        top = float(vmax)
        if not np.isfinite(top) or top <= 0:
            raise ValueError(f"vmax must be finite and > 0, found {vmax}")
    if top <= 0:
        return np.zeros(values.shape, dtype=np.uint8)
    scaled = values * np.float32(255.0 / top)
    np.clip(scaled, 0.0, 255.0, out=scaled)
    levels: Array = (scaled + np.float32(0.5)).astype(np.uint8)
    return levels


def apply_heatmap_lut(heatmap: Array, lut: Array, *, vmax: float | None = None) -> Array:
    """Colour a heatmap through a table from :func:`make_heatmap_lut`.

    Returns
    -------
    numpy.ndarray
        ``uint32`` premultiplied ARGB, the heatmap's shape, C-contiguous.
    """
    if not isinstance(lut, np.ndarray) or lut.shape != (256,) or lut.dtype != np.uint32:
        found = f"{lut.dtype} {lut.shape}" if isinstance(lut, np.ndarray) else type(lut).__name__
        raise ValueError(f"lut must be a (256,) uint32 array, found {found}")
    levels = scale_heatmap(heatmap, vmax=vmax)
    colours: Array = np.take(lut, levels)
    return np.ascontiguousarray(colours)


def sample_heatmap(heatmap: Array, max_side: int) -> Array:
    """A heatmap point-sampled onto a grid of at most ``max_side`` cells a side.

    Cell ``i`` of ``n`` covers original rows ``[i * rows / n, (i + 1) * rows / n)`` and
    takes the value at its centre, so the grid stretched over the image's rectangle
    puts every cell on the pixels it stands for (what a painter does with a smaller
    image drawn into the image's rectangle). A heatmap already small enough is
    returned as it is.

    Parameters
    ----------
    heatmap : numpy.ndarray
        2-D scores.
    max_side : int
        The largest number of cells along either side (>= 1).
    """
    if not isinstance(heatmap, np.ndarray):
        raise TypeError(f"heatmap must be a numpy array, found {type(heatmap).__name__}")
    if heatmap.ndim != 2 or heatmap.size == 0:
        raise ValueError(f"heatmap must be a non-empty 2-D array, found shape {heatmap.shape}")
    if isinstance(max_side, bool) or not isinstance(max_side, int | np.integer):
        raise TypeError(f"max_side must be an int, found {type(max_side).__name__}")
    if max_side < 1:
        raise ValueError(f"max_side must be >= 1, found {max_side}")
    rows, cols = heatmap.shape
    factor = -(-max(rows, cols) // int(max_side))  # ceil: the same step along both axes
    if factor <= 1:
        return heatmap
    out_rows, out_cols = -(-rows // factor), -(-cols // factor)
    centre_rows = ((np.arange(out_rows) + 0.5) * rows / out_rows).astype(np.intp)
    centre_cols = ((np.arange(out_cols) + 0.5) * cols / out_cols).astype(np.intp)
    sampled: Array = np.ascontiguousarray(heatmap[centre_rows[:, None], centre_cols[None, :]])
    return sampled
