"""Oblique planes: an MPR plane turned about a point, sampled from the volume (numpy only).

A reader turns a reference line in one pane (about the crosshair, in that pane's plane)
and the other pane shows the plane turned as much: its slices are the slices of its
plane (:meth:`core.viewing.mpr.MprVolume.slice_geometry`) moved by a rigid
:class:`PlaneMotion` (rotations about points, composed). Everything that maps points
(:meth:`~core.viewing.mpr.PlaneImage.pixel_to_patient`,
:func:`~core.viewing.mpr.reference_line`, measurements) works on the moved
:class:`~core.viewing.mpr.PlaneImage` unchanged, because a plane image carries its own
origin and steps in patient mm; its orientation markers follow its directions, with
the letters of the nearest patient axes as Horos writes them ("RA", "HL"...,
:func:`core.dicom.overlays.describe_direction`).

:func:`sample_plane` fills a moved plane by trilinear interpolation on the grid of its
pixels built in patient mm and mapped into voxel indexes: the volume is never copied
(eight gathers from its flat view, one output plane in float32); points outside the
volume show its lowest value. A slab (MIP, MinIP, average) samples planes one voxel
apart along the oblique normal and reduces them.
"""

from __future__ import annotations

import itertools
import logging
import math
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from core.dicom.overlays import compute_orientation_labels
from core.dicom.pixel_header import check_number
from core.viewing.mpr import SLAB_MODES, MprVolume, PlaneImage

logger = logging.getLogger(__name__)

__all__ = ["PlaneMotion", "move_plane", "rotation_about", "sample_plane"]

Array = npt.NDArray[Any]
Vector = tuple[float, float, float]
_IDENTITY: Final = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0)
#: A plane of at least this many pixels is sampled in bands on up to _THREADS threads.
_BAND_PIXELS: Final = 65_536
_THREADS: Final = max(1, min(4, os.cpu_count() or 1))
#: How near a whole voxel index (in voxels) counts as on the grid (float32 sums drift less).
_ON_GRID: Final = 1e-4
_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def rotation_about(axis: Sequence[float], degrees: float) -> npt.NDArray[np.float64]:
    """The 3 × 3 rotation by ``degrees`` about ``axis`` (right hand; Rodrigues' formula)."""
    vector = np.asarray(axis, dtype=float)
    if vector.shape != (3,) or not np.all(np.isfinite(vector)):
        raise ValueError(f"axis must be 3 finite numbers, found {axis!r}")
    length = float(np.linalg.norm(vector))
    if length < 1e-12:
        raise ValueError("axis must not be the zero vector")
    x, y, z = vector / length
    angle = math.radians(check_number("degrees", degrees))
    k = np.array([[0.0, -z, y], [z, 0.0, -x], [-y, x, 0.0]])
    result: npt.NDArray[np.float64] = (
        np.eye(3) + math.sin(angle) * k + (1 - math.cos(angle)) * (k @ k)
    )
    return result


@dataclass(frozen=True)
class PlaneMotion:
    """A rigid motion of the patient space: ``p' = rotation @ p + translation`` (mm).

    Attributes
    ----------
    rotation : tuple of 9 float
        Row-major 3 × 3 rotation matrix.
    translation : tuple of 3 float
    """

    rotation: tuple[float, ...] = _IDENTITY
    translation: Vector = (0.0, 0.0, 0.0)

    @property
    def matrix(self) -> npt.NDArray[np.float64]:
        return np.asarray(self.rotation, dtype=float).reshape(3, 3)

    @property
    def is_identity(self) -> bool:
        # Plain floats, not numpy: asked on every repaint of every pane.
        return all(
            abs(a - b) <= 1e-9 for a, b in zip(self.rotation, _IDENTITY, strict=True)
        ) and all(abs(v) <= 1e-9 for v in self.translation)

    @property
    def degrees(self) -> float:
        """How far (degrees) the motion turns a plane, whatever the axis."""
        cosine = (float(np.trace(self.matrix)) - 1) / 2
        return math.degrees(math.acos(max(-1.0, min(1.0, cosine))))

    def then_rotate(
        self, axis: Sequence[float], degrees: float, pivot: Sequence[float]
    ) -> PlaneMotion:
        """This motion followed by a rotation of ``degrees`` about ``axis`` through ``pivot``."""
        turn = rotation_about(axis, degrees)
        centre = np.asarray(pivot, dtype=float)
        if centre.shape != (3,):
            raise ValueError(f"pivot must be a patient point (x, y, z), found {pivot!r}")
        rotation = turn @ self.matrix
        translation = turn @ np.asarray(self.translation) + centre - turn @ centre
        return PlaneMotion(tuple(float(v) for v in rotation.ravel()), _vector(translation))

    def point(self, point: Sequence[float]) -> Vector:
        moved = self.matrix @ np.asarray(point, dtype=float) + np.asarray(self.translation)
        return _vector(moved)

    def direction(self, vector: Sequence[float]) -> Vector:
        return _vector(self.matrix @ np.asarray(vector, dtype=float))


def _vector(values: npt.NDArray[np.float64]) -> Vector:
    return (float(values[0]), float(values[1]), float(values[2]))


def move_plane(image: PlaneImage, motion: PlaneMotion) -> PlaneImage:
    """``image``'s geometry moved by ``motion`` (its pixels are kept: sample it again).

    The origin and steps move; the orientation markers are those of the new directions.
    """
    if not isinstance(image, PlaneImage):
        raise TypeError(f"image must be a PlaneImage, not {type(image).__name__}")
    if not isinstance(motion, PlaneMotion):
        raise TypeError(f"motion must be a PlaneMotion, not {type(motion).__name__}")
    if motion.is_identity:
        return image
    row_step = motion.direction(image.row_step)
    col_step = motion.direction(image.col_step)
    orientation = (
        *(v / image.col_spacing for v in col_step),
        *(v / image.row_spacing for v in row_step),
    )
    return replace(
        image,
        origin=motion.point(image.origin),
        row_step=row_step,
        col_step=col_step,
        labels=compute_orientation_labels(orientation),
    )


def sample_plane(
    mpr: MprVolume, geometry: PlaneImage, *, slab: float = 0.0, mode: str = "mip"
) -> PlaneImage:
    """The volume's values on ``geometry``'s pixels (trilinear), or a slab along its normal.

    Parameters
    ----------
    mpr : MprVolume
    geometry : PlaneImage
        Where the pixels lie (its ``pixels`` give only the shape): e.g. a slice moved by
        :func:`move_plane`.
    slab : float, optional
        Thickness in mm along the plane's normal; 0 (default) for the plane alone.
    mode : {"mip", "minip", "avg"}
        How a slab is reduced.

    Returns
    -------
    PlaneImage
        ``geometry`` with float32 pixels (and ``slab``, ``slices``, ``mode`` set).
    """
    if not isinstance(mpr, MprVolume):
        raise TypeError(f"mpr must be an MprVolume, not {type(mpr).__name__}")
    if not isinstance(geometry, PlaneImage):
        raise TypeError(f"geometry must be a PlaneImage, not {type(geometry).__name__}")
    if mode not in SLAB_MODES:
        raise ValueError(f"mode must be one of {', '.join(SLAB_MODES)}, found {mode!r}")
    slab = check_number("slab", slab)
    if slab < 0:
        raise ValueError(f"slab must be 0 or more mm, found {slab!r}")
    rows, cols = geometry.pixels.shape[:2]
    origin, steps = mpr.voxel_frame()
    inverse = np.linalg.inv(steps)
    start = (np.asarray(geometry.origin) - origin) @ inverse
    per_row = np.asarray(geometry.row_step) @ inverse
    per_col = np.asarray(geometry.col_step) @ inverse
    fill = mpr.lowest()
    step_mm = float(np.min(np.linalg.norm(steps, axis=1)))  # one voxel, the finest axis
    count = max(1, math.floor(slab / step_mm + 1e-6) + 1) if slab > 0 else 1
    array = mpr.volume.array
    if count == 1:
        pixels = _trilinear(array, start, per_row, per_col, (rows, cols), fill)
    else:
        normal = np.asarray(geometry.normal) @ inverse
        offsets = (np.arange(count) - (count - 1) / 2) * step_mm
        pixels = _trilinear(
            array, start + offsets[0] * normal, per_row, per_col, (rows, cols), fill
        )
        for offset in offsets[1:]:
            plane = _trilinear(array, start + offset * normal, per_row, per_col, (rows, cols), fill)
            if mode == "mip":
                np.maximum(pixels, plane, out=pixels)
            elif mode == "minip":
                np.minimum(pixels, plane, out=pixels)
            else:
                pixels += plane
        if mode == "avg":
            pixels /= np.float32(count)
    return replace(
        geometry,
        pixels=pixels,
        slab=(count - 1) * step_mm if count > 1 else geometry.slab,
        slices=count,
        mode="plane" if count == 1 else mode,
    )


def _trilinear(
    array: Array,
    start: npt.NDArray[np.float64],
    per_row: npt.NDArray[np.float64],
    per_col: npt.NDArray[np.float64],
    shape: tuple[int, int],
    fill: float,
) -> npt.NDArray[np.float32]:
    """Trilinear samples of ``array`` at voxel indexes ``start + r * per_row + c * per_col``.

    Large planes are cut into bands of rows sampled on a few threads (numpy's gathers
    and arithmetic let go of the GIL), each band into its own part of the output.
    """
    rows, cols = shape
    out = np.empty((rows, cols), dtype=np.float32)
    bands = _band_count(rows * cols)
    if bands == 1:
        _sample_band(array, start, per_row, per_col, 0, rows, cols, fill, out)
        return out
    edges = [round(rows * b / bands) for b in range(bands + 1)]
    pool = _pool()
    jobs = [
        pool.submit(_sample_band, array, start, per_row, per_col, a, b, cols, fill, out[a:b])
        for a, b in itertools.pairwise(edges)
        if b > a
    ]
    for job in jobs:
        job.result()
    return out


def _band_count(pixels: int) -> int:
    return 1 if pixels < _BAND_PIXELS else max(1, min(_THREADS, pixels // _BAND_PIXELS))


def _pool() -> ThreadPoolExecutor:
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=_THREADS, thread_name_prefix="oblique")
        return _POOL


def _on_grid(start: float, per_row: float, per_col: float) -> bool:
    """Whether every pixel falls on whole voxels along an axis (no interpolation needed)."""
    return all(abs(v - round(v)) < _ON_GRID for v in (start, per_row, per_col))


def _sample_band(
    array: Array,
    start: npt.NDArray[np.float64],
    per_row: npt.NDArray[np.float64],
    per_col: npt.NDArray[np.float64],
    first: int,
    stop: int,
    cols: int,
    fill: float,
    out: npt.NDArray[np.float32],
) -> None:
    """Rows ``first`` to ``stop`` of the plane into ``out`` (their part of the output).

    Along an axis on which every pixel falls on whole voxels (a plane turned about that
    axis, the usual single oblique) nothing is interpolated: 4 gathers instead of 8.
    """
    sizes = array.shape[:3]
    r = np.arange(first, stop, dtype=np.float32)[:, None]
    c = np.arange(cols, dtype=np.float32)[None, :]
    outside = np.zeros((stop - first, cols), dtype=bool)
    index_type = np.int32 if array.size < 2**31 - 1 else np.intp
    strides = (sizes[1] * sizes[2], sizes[2], 1)
    base: npt.NDArray[Any] | None = None
    fractions: list[npt.NDArray[np.float32] | None] = []
    for a in range(3):
        where = np.float32(start[a]) + r * np.float32(per_row[a]) + c * np.float32(per_col[a])
        outside |= (where <= -0.5) | (where >= sizes[a] - 0.5)
        np.clip(where, 0, max(sizes[a] - 1, 0), out=where)
        if sizes[a] < 2 or _on_grid(start[a], per_row[a], per_col[a]):
            low = np.rint(where).astype(index_type)
            fractions.append(None)
        else:
            low = where.astype(index_type)
            np.minimum(low, sizes[a] - 2, out=low)
            where -= low  # the fraction of the way to the next voxel
            fractions.append(where)
        term: npt.NDArray[Any] = np.multiply(low, strides[a], dtype=index_type)
        base = term if base is None else base + term
    assert base is not None
    if array.flags.c_contiguous:
        flat = array.reshape(-1)  # a view: never a copy

        def gather(offset: int) -> npt.NDArray[np.float32]:
            at = base + index_type(offset) if offset else base
            values: npt.NDArray[np.float32] = np.take(flat, at).astype(np.float32)  # type: ignore[arg-type]
            return values
    else:  # index the 3-D array (slower; still no copy of the volume)

        def gather(offset: int) -> npt.NDArray[np.float32]:
            at = np.unravel_index(base + offset if offset else base, sizes)
            values: npt.NDArray[np.float32] = array[at].astype(np.float32)
            return values

    def blend(
        sample: Callable[[int], npt.NDArray[np.float32]],
        offset: int,
        step: int,
        weight: npt.NDArray[np.float32] | None,
    ) -> npt.NDArray[np.float32]:
        near = sample(offset)
        if weight is None:
            return near
        far = sample(offset + step)
        far -= near
        far *= weight
        far += near
        return far

    k, j, i = fractions

    def along_i(offset: int) -> npt.NDArray[np.float32]:
        return blend(gather, offset, 1, i)

    def along_j(offset: int) -> npt.NDArray[np.float32]:
        return blend(along_i, offset, strides[1], j)

    values = blend(along_j, 0, strides[0], k)
    values[outside] = fill
    out[...] = values
