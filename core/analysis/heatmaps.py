"""Explanation maps as shown: their names, scaling, projection onto the image, peaks.

Torch-free: what the viewer, the exports and the report need of a map. The methods
that make maps are in :mod:`core.analysis.explain`. :func:`project_heatmap` lays a
map over the model input back through the centre crop and resize onto the original
image (:func:`~core.analysis.preprocess.map_heatmap_to_image`), and
:func:`find_heatmap_peak` gives its maximum there.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

import numpy as np
import numpy.typing as npt

from core.analysis.preprocess import CropResize, map_heatmap_to_image

if TYPE_CHECKING:
    from core.analysis.perturb import Faithfulness

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float32]

__all__ = [
    "METHODS",
    "Heatmap",
    "check_class_indices",
    "describe_heatmap",
    "find_grid_peak",
    "find_heatmap_peak",
    "normalize_heatmap",
    "project_heatmap",
]

#: Method key -> the name shown with every map (CLI ``--method``, the AI panel, exports).
METHODS: Final = {
    "gradcam": "Grad-CAM",
    "occlusion": "occlusion sensitivity",
    "kernelshap": "Kernel SHAP",
}


@dataclass(frozen=True, eq=False)
class Heatmap:
    """One label's explanation map.

    Attributes
    ----------
    label : str
    method : str
        A key of :data:`METHODS`.
    grid : numpy.ndarray or None
        float32 in [0, 1] over the model input (Grad-CAM: the feature-map grid,
        e.g. 7 x 7; occlusion and Kernel SHAP: the input's pixels); None when the
        method found nothing to show (:attr:`note`).
    heatmap : numpy.ndarray or None
        ``grid`` mapped onto the original image's pixels (0 outside the crop).
    peak : (int, int) or None
        ``(row, col)`` of the maximum of ``heatmap``.
    note : str or None
        Why there is no map.
    faithfulness : Faithfulness or None
        The probability with the map's top 10 % masked.
    """

    label: str
    method: str
    grid: FloatArray | None = field(repr=False)
    heatmap: FloatArray | None = field(repr=False)
    peak: tuple[int, int] | None
    note: str | None = None
    faithfulness: Faithfulness | None = None


def describe_heatmap(method: str | None, faithfulness: Faithfulness | None = None) -> str:
    """How every shown or exported heatmap names itself: its method and faithfulness.

    ``"Grad-CAM heatmap; masking the top 10 % of the map: p 0.62 → 0.21"`` -- the
    DICOM heatmap's description and the self-test's key image say it this way, in
    English (what a derived object records); a screen words the faithfulness in the
    interface language (:meth:`Faithfulness.describe`).
    """
    text = f"{METHODS.get(method or '', 'AI')} heatmap"
    if faithfulness is not None:
        text += f"; {faithfulness.describe(translate=False)}"
    return text


def normalize_heatmap(values: npt.ArrayLike) -> FloatArray:
    """Keep the positive part and scale it so the maximum is 1 (all zeros stay zeros)."""
    array = np.asarray(values, dtype=np.float32)
    if array.ndim != 2 or array.size == 0:
        raise ValueError(f"heatmap must be a non-empty 2-D array, found shape {array.shape}")
    array = np.where(np.isfinite(array), array, np.float32(0.0))
    array = np.maximum(array, np.float32(0.0))
    top = float(array.max())
    if top <= 0.0:
        return np.zeros(array.shape, dtype=np.float32)
    scaled: FloatArray = (array / np.float32(top)).astype(np.float32)
    return scaled


def project_heatmap(
    grid: npt.ArrayLike, geometry: CropResize
) -> tuple[FloatArray, tuple[int, int]]:
    """Lay a model-input heatmap onto the original pixels, scaled to a maximum of 1.

    Parameters
    ----------
    grid : array_like
        Non-negative scores over the model input (any resolution).
    geometry : CropResize
        From the preprocessing of the analysed image.

    Returns
    -------
    heatmap : numpy.ndarray
        float32, ``geometry.image_shape``, in [0, 1] with 1 at the peak (all zeros
        when the grid is), 0 outside the crop.
    peak : (int, int)
        ``(row, col)`` in original pixels of the centre of the grid's hottest cell
        (:func:`find_grid_peak`).
    """
    scores = normalize_heatmap(grid)
    heatmap = map_heatmap_to_image(scores, geometry)
    # Pixel centres fall between grid nodes: scale again, in place, so the peak is 1.
    top = float(heatmap.max())
    if top > 0.0:
        heatmap *= np.float32(1.0 / top)
    return heatmap, find_grid_peak(scores, geometry)


def find_grid_peak(grid: npt.ArrayLike, geometry: CropResize) -> tuple[int, int]:
    """The hottest cell of a model-input heatmap, as ``(row, col)`` in original pixels.

    A bilinear map's maximum lies on a grid node, so this is the maximum of the
    heatmap :func:`~core.analysis.preprocess.map_heatmap_to_image` makes, found
    without scanning the full-size image (to within a pixel, the rounding of the
    cell centre). Ties go to the tied cell nearest the ties' centroid.
    """
    if not isinstance(geometry, CropResize):
        raise TypeError(f"geometry must be a CropResize, found {type(geometry).__name__}")
    scores = np.asarray(grid, dtype=np.float32)
    if scores.ndim != 2 or scores.size == 0:
        raise ValueError(f"grid must be a non-empty 2-D array, found shape {scores.shape}")
    cell = find_heatmap_peak(scores)
    point = geometry.model_to_image(np.array(cell, dtype=np.float64), grid_shape=scores.shape)
    top, left = geometry.crop_origin
    row = int(np.clip(np.rint(point[0]), top, top + geometry.crop_shape[0] - 1))
    col = int(np.clip(np.rint(point[1]), left, left + geometry.crop_shape[1] - 1))
    return (row, col)


def find_heatmap_peak(heatmap: npt.ArrayLike) -> tuple[int, int]:
    """``(row, col)`` of a heatmap's maximum.

    Where the maximum is a plateau (an upsampled grid cell, edges held by the
    mapping), the plateau pixel nearest its centroid is taken instead of the first
    in raster order, so the peak sits in the middle of the hottest region.

    Raises
    ------
    ValueError
        Not a non-empty 2-D array.
    """
    array = np.asarray(heatmap, dtype=np.float32)
    if array.ndim != 2 or array.size == 0:
        raise ValueError(f"heatmap must be a non-empty 2-D array, found shape {array.shape}")
    finite = np.where(np.isfinite(array), array, -np.inf)
    top = float(finite.max())
    if not np.isfinite(top):
        return (array.shape[0] // 2, array.shape[1] // 2)
    tolerance = 1e-6 * max(abs(top), 1e-12)
    rows, cols = np.nonzero(finite >= top - tolerance)
    if rows.size == 1:
        return (int(rows[0]), int(cols[0]))
    nearest = int(np.argmin((rows - rows.mean()) ** 2 + (cols - cols.mean()) ** 2))
    return (int(rows[nearest]), int(cols[nearest]))


def check_class_indices(class_indices: object, num_outputs: int) -> list[int]:
    """``class_indices`` as a list of ints, each checked to be an output of the network."""
    if isinstance(class_indices, str) or not isinstance(class_indices, Sequence):
        raise TypeError(
            f"class_indices must be a sequence of ints, found {type(class_indices).__name__}"
        )
    indices = []
    for index in class_indices:
        if isinstance(index, bool) or not isinstance(index, int | np.integer):
            raise TypeError(f"class index must be an int, found {type(index).__name__}")
        if not 0 <= index < num_outputs:
            raise ValueError(f"class index {index} is outside 0..{num_outputs - 1}")
        indices.append(int(index))
    return indices
