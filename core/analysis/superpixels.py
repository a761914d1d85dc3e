"""Superpixels for perturbation explanations: SLIC (Achanta et al., 2012) in numpy.

Clusters start on a regular grid of step ``S`` and each is a centre in (intensity,
row, col); for a few rounds every pixel joins the nearest centre within ``2 S`` by

    D = sqrt((d_intensity / m)^2 + (d_space / S)^2)

and each centre moves to the mean of its pixels. ``m`` (compactness, in intensity
units) trades shape regularity against following edges: on a radiograph a nodule or
the border of an effusion becomes the edge of a superpixel. Labels are renumbered
0..n-1 in raster order of first appearance; fragments are allowed (a superpixel is a
set of pixels to keep or remove, connectivity is not needed for that).
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
import numpy.typing as npt

__all__ = ["compute_slic"]

IntArray = npt.NDArray[np.int32]

_ROUNDS: Final = 8


def compute_slic(
    image: npt.ArrayLike,
    segments: int,
    *,
    compactness: float | None = None,
    offset: float = 0.5,
) -> IntArray:
    """Label each pixel of a 2-D image with its superpixel.

    Parameters
    ----------
    image : array_like
        ``(H, W)`` intensities (one channel; average colour channels first).
    segments : int
        Approximate number of superpixels (the seed grid's cells).
    compactness : float, optional
        ``m``; default a tenth of the image's 1-99 percentile range.
    offset : float, optional
        Where the seeds sit within their grid cell, as a share of the step (0.5: the
        centre); two segmentations with different offsets cut different boundaries.

    Returns
    -------
    numpy.ndarray
        int32 ``(H, W)`` labels ``0..n-1``.
    """
    values = np.asarray(image, dtype=np.float64)
    if values.ndim != 2 or min(values.shape) < 2:
        raise ValueError(f"image must be a 2-D array of at least 2 x 2, found {values.shape}")
    if isinstance(segments, bool) or not isinstance(segments, int) or segments < 1:
        raise ValueError(f"segments must be a positive int, found {segments!r}")
    values = np.where(np.isfinite(values), values, 0.0)
    rows, cols = values.shape
    step = max(2.0, math.sqrt(rows * cols / segments))
    if compactness is None:
        low, high = np.percentile(values, [1.0, 99.0])
        compactness = max(float(high - low) / 10.0, 1e-6)
    if not compactness > 0:
        raise ValueError(f"compactness must be positive, found {compactness!r}")
    seeds_r = np.arange(step * offset, rows, step)
    seeds_c = np.arange(step * offset, cols, step)
    centres = np.array(
        [(values[int(r), int(c)], r, c) for r in seeds_r for c in seeds_c], dtype=np.float64
    )
    grid_r, grid_c = np.mgrid[0:rows, 0:cols].astype(np.float64)
    labels = np.zeros((rows, cols), dtype=np.int32)
    reach = math.ceil(2 * step)
    spatial = 1.0 / step**2
    tone = 1.0 / compactness**2
    for _ in range(_ROUNDS):
        best = np.full((rows, cols), np.inf)
        for k, (v, r, c) in enumerate(centres):
            r0, r1 = max(0, int(r) - reach), min(rows, int(r) + reach + 1)
            c0, c1 = max(0, int(c) - reach), min(cols, int(c) + reach + 1)
            if r0 >= r1 or c0 >= c1:
                continue
            window = (slice(r0, r1), slice(c0, c1))
            distance = (values[window] - v) ** 2 * tone + (
                (grid_r[window] - r) ** 2 + (grid_c[window] - c) ** 2
            ) * spatial
            closer = distance < best[window]
            best[window] = np.where(closer, distance, best[window])
            labels[window] = np.where(closer, k, labels[window])
        counts = np.bincount(labels.ravel(), minlength=len(centres)).astype(np.float64)
        present = counts > 0
        for column, source in enumerate((values, grid_r, grid_c)):
            sums = np.bincount(labels.ravel(), weights=source.ravel(), minlength=len(centres))
            centres[present, column] = sums[present] / counts[present]
    _, first = np.unique(labels.ravel(), return_index=True)
    order = np.argsort(first)
    renumber = np.zeros(len(centres), dtype=np.int32)
    renumber[np.unique(labels.ravel())[order]] = np.arange(order.size, dtype=np.int32)
    relabelled: IntArray = renumber[labels]
    return relabelled
