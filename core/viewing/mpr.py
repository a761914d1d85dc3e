"""Multiplanar reformatting: axial, coronal and sagittal planes and thick slabs of a volume.

:class:`MprVolume` wraps a loaded :class:`~core.dicom.volume.Volume` and knows where
each voxel is in the patient (LPS, PS3.3 C.7.6.2.1.1: +x toward the patient's left,
+y posterior, +z toward the head), from Image Orientation/Position (Patient) and the
spacing of :class:`~core.dicom.records.SeriesGeometry`. A viewport asks it, every
frame, for a :class:`PlaneImage`: one plane or a slab (MIP, MinIP, average), at a
position in patient millimetres along the plane's normal.

Display conventions (radiological, as RadiAnt, Horos/OsiriX, Weasis and OHIF show
them; and as a scanner's own coronal and sagittal series are written, with Image
Orientation ``[1,0,0, 0,0,-1]`` and ``[0,1,0, 0,0,-1]``):

* axial: seen from the feet; the patient's right on the image's left, anterior at the top;
* coronal: seen from the front; the patient's right on the image's left, head at the top;
* sagittal: seen from the patient's left; anterior on the image's left, head at the top.

Whatever the acquisition (axial, coronal or sagittal; head or feet first; supine or
prone), the planes come out this way: the mapping from the volume's axes to the
patient's is read from the geometry, and the planes are views of the volume with
its axes transposed and reversed as needed (no copy; see below).

Memory and speed: the volume is never copied. A plane is a strided view of the
volume copied into a buffer of one plane; a slab is reduced (``max``/``min``/sum)
along one axis of a view, which allocates only the output plane. A plane keeps the
spacing of the volume's axes (``row_spacing``, ``col_spacing``: not square when the
slice spacing differs from the pixel spacing): a viewport scales it when drawing,
as it does any image with non-square pixels. :func:`resample_square` resamples the
coarser axis to the finer spacing (linear interpolation), for outputs that must
have square pixels (``radassist render``).

Which series are refused (:class:`ReformatError`, with the geometry's own reason)
and which are reformatted with a warning (:attr:`MprVolume.warnings`) is decided by
:func:`check_reformattable`: a reformat of a stack with a gap, gantry tilt,
non-uniform spacing, duplicate positions, mixed orientations or sizes, no positions,
one frame, no pixel spacing or colour pixels would put anatomy in the wrong place,
so those are refused rather than resampled. A stack up to 30° off the patient axes
is reformatted along the volume grid nearest to the patient planes, with a warning
saying by how much it is off (the labels then carry two letters where they must).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt

from core.dicom.overlays import OrientationLabels, compute_orientation_labels
from core.dicom.pixel_header import check_number
from core.dicom.records import SeriesGeometry
from core.dicom.volume import Volume
from core.errors import RadAssistError

logger = logging.getLogger(__name__)

__all__ = [
    "PLANES",
    "PLANE_AXIS",
    "SLAB_MODES",
    "MprVolume",
    "PlaneImage",
    "ReformatError",
    "check_reformattable",
    "image_points_to_patient",
    "patient_points_to_image",
    "reference_line",
    "resample_square",
]

Plane = Literal["axial", "coronal", "sagittal"]
SlabMode = Literal["mip", "minip", "avg"]
Array = npt.NDArray[Any]
Vector = tuple[float, float, float]

PLANES: Final = ("axial", "coronal", "sagittal")
SLAB_MODES: Final = ("mip", "minip", "avg")
#: The patient axis (0 x, 1 y, 2 z) along each plane's normal: its position is that coordinate.
PLANE_AXIS: Final[dict[str, int]] = {"axial": 2, "coronal": 1, "sagittal": 0}

#: Per plane: (patient axis, sign) down the image's rows, (patient axis, sign) along its
#: columns, and the patient axis of the plane's normal (0 x, 1 y, 2 z; see the module doc).
_PLANE_AXES: Final[dict[str, tuple[tuple[int, int], tuple[int, int], int]]] = {
    "axial": ((1, 1), (0, 1), 2),
    "coronal": ((2, -1), (0, 1), 1),
    "sagittal": ((2, -1), (1, 1), 0),
}
#: Geometry problems (core.dicom.geometry) that make a reformat put anatomy in the wrong place.
_REFUSED_PROBLEMS: Final = {
    "gap": "a reformat would join the slices on both sides of the gap",
    "gantry tilt": "a reformat on a rectangular grid would shear the anatomy",
    "non-uniform spacing": "a reformat on a regular grid would stretch parts of the stack",
    "duplicate position": "two frames at one position (several phases or echoes?)",
    "mixed orientation": "the frames are not parallel",
    "mixed size": "the frames do not have one size",
    "missing position": "the frames cannot be placed in the patient",
}
#: Off the patient axes by more than this (degrees): reformatted with a warning.
_OBLIQUE_WARNING_DEGREES: Final = 1.0
#: Off by more than this: refused (an oblique reformat is not a patient plane).
_OBLIQUE_LIMIT_DEGREES: Final = 30.0


class ReformatError(RadAssistError):
    """A series whose geometry cannot be reformatted; the message says why.

    Attributes
    ----------
    kind : str
        The geometry problem (``"gap"``, ``"gantry tilt"``...) or ``"single frame"``,
        ``"oblique"``, ``"no spacing"``, ``"colour"``.
    """

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"this series cannot be reformatted: {message}")
        self.kind = kind

    def __reduce__(self) -> tuple[type[ReformatError], tuple[str, str]]:
        return (type(self), (self.kind, str(self).split(": ", 1)[1]))


@dataclass(frozen=True)
class PlaneImage:
    """One reformatted plane (or slab) and where its pixels are in the patient.

    Attributes
    ----------
    plane : str
        ``"axial"``, ``"coronal"`` or ``"sagittal"``.
    pixels : numpy.ndarray
        (rows, columns), C-contiguous, owned (not a view of the volume): the volume's
        dtype for a plane, MIP and MinIP; float32 for an average (and after
        :func:`resample_square`).
    row_spacing, col_spacing : float
        mm between rows and between columns.
    position : float
        The plane's coordinate in patient mm along its normal axis (z for axial, y for
        coronal, x for sagittal): the centre of the slab.
    slab : float
        Slab thickness in mm (slices × slice spacing); the spacing of one slice for a plane.
    slices : int
        Volume slices in the slab (1 for a plane).
    mode : str
        ``"plane"``, ``"mip"``, ``"minip"`` or ``"avg"``.
    origin : tuple of 3 float
        Patient position (mm) of the centre of pixel (0, 0), on the slab's centre plane.
    row_step, col_step : tuple of 3 float
        Patient mm moved by one row down and by one column right.
    labels : OrientationLabels
        Patient directions at the image's four edges (from :attr:`orientation`).
    """

    plane: str
    pixels: Array
    row_spacing: float
    col_spacing: float
    position: float
    slab: float
    slices: int
    mode: str
    origin: Vector
    row_step: Vector
    col_step: Vector
    labels: OrientationLabels

    @property
    def orientation(self) -> tuple[float, float, float, float, float, float]:
        """The plane's Image Orientation (Patient): column then row direction cosines."""
        row = np.asarray(self.col_step) / self.col_spacing  # direction of increasing column
        col = np.asarray(self.row_step) / self.row_spacing
        return (*(float(v) for v in row), *(float(v) for v in col))  # type: ignore[return-value]

    def pixel_to_patient(self, row: float, col: float) -> Vector:
        """Patient position (mm) of image point (row, col) in pixels (0: centre of pixel 0)."""
        point = (
            np.asarray(self.origin)
            + float(row) * np.asarray(self.row_step)
            + float(col) * np.asarray(self.col_step)
        )
        return (float(point[0]), float(point[1]), float(point[2]))

    def patient_to_pixel(self, point: Sequence[float]) -> tuple[float, float]:
        """Image point (row, col) of a patient position, projected onto the plane."""
        if len(point) != 3:
            raise ValueError(f"a patient point needs 3 coordinates, found {len(point)}")
        offset = np.asarray(point, dtype=float) - np.asarray(self.origin)
        row_step, col_step = np.asarray(self.row_step), np.asarray(self.col_step)
        row = float(offset @ row_step) / float(row_step @ row_step)
        col = float(offset @ col_step) / float(col_step @ col_step)
        return row, col

    @property
    def normal(self) -> Vector:
        """Unit vector perpendicular to the plane (row direction × column direction)."""
        # Plain floats: numpy's cross on 3-vectors costs ~100x more, and reference lines ask
        # this of every pane on every repaint.
        (ax, ay, az), (bx, by, bz) = self.col_step, self.row_step
        cross = (ay * bz - az * by, az * bx - ax * bz, ax * by - ay * bx)
        length = math.sqrt(cross[0] ** 2 + cross[1] ** 2 + cross[2] ** 2)
        return (cross[0] / length, cross[1] / length, cross[2] / length)

    def distance_to(self, point: Sequence[float]) -> float:
        """How far (mm, unsigned) a patient position is from the plane (the slab's centre)."""
        if len(point) != 3:
            raise ValueError(f"a patient point needs 3 coordinates, found {len(point)}")
        offset = np.asarray(point, dtype=float) - np.asarray(self.origin)
        return abs(float(offset @ np.asarray(self.normal)))


@dataclass(frozen=True)
class _Axis:
    """One axis of the volume array in the patient: unit direction, spacing, count."""

    direction: npt.NDArray[np.float64]
    spacing: float
    count: int


def check_reformattable(volume: Volume) -> tuple[str, ...]:
    """Refuse a volume that cannot be reformatted; return the warnings for one that can.

    The one owner of which geometry problems refuse a reformat (see the module doc).

    Raises
    ------
    TypeError
        ``volume`` is not a Volume.
    ReformatError
        With the reason, for the problems the module doc lists.
    """
    if not isinstance(volume, Volume):
        raise TypeError(f"volume must be a Volume, not {type(volume).__name__}")
    geometry = volume.geometry
    found = {problem.kind: problem.message for problem in geometry.problems}
    for kind, why in _REFUSED_PROBLEMS.items():  # the most specific first (a gap is uneven too)
        if kind in found:
            raise ReformatError(kind, f"{found[kind]} ({why})")
    if volume.is_color:
        raise ReformatError("colour", "colour images are not reformatted")
    if len(geometry.frames) < 2 or volume.array.shape[0] < 2:
        raise ReformatError("single frame", "a reformat needs a stack of at least 2 slices")
    if (
        geometry.ordered_by != "position"
        or geometry.orientation is None
        or geometry.origin is None
        or geometry.normal is None
    ):
        raise ReformatError(
            "missing position", "the frames have no Image Position/Orientation (Patient)"
        )
    if geometry.slice_spacing is None or not geometry.slice_spacing > 0:
        raise ReformatError("no spacing", "the slices have no spacing between them")
    if geometry.pixel_spacing is None or min(geometry.pixel_spacing) <= 0:
        raise ReformatError("no spacing", "the images have no pixel spacing")
    warnings: list[str] = []
    off = _degrees_off_axes(_axes_of(geometry, volume.array.shape))
    if off > _OBLIQUE_LIMIT_DEGREES:
        raise ReformatError(
            "oblique",
            f"the stack is {off:.0f}° off the patient axes (more than "
            f"{_OBLIQUE_LIMIT_DEGREES:.0f}°): oblique reformatting is not available",
        )
    if off > _OBLIQUE_WARNING_DEGREES:
        warnings.append(
            f"the stack is {off:.1f}° off the patient axes: the planes follow the volume's "
            "grid, tilted by as much from true axial, coronal and sagittal"
        )
    if not geometry.spacing_calibrated:
        warnings.append(f"pixel spacing is not calibrated ({geometry.spacing_note})")
    missing = int(np.count_nonzero(~volume.loaded))
    if missing:
        warnings.append(f"{missing} slice(s) could not be read and show black")
    return tuple(warnings)


def _axes_of(geometry: SeriesGeometry, shape: tuple[int, ...]) -> tuple[_Axis, _Axis, _Axis]:
    """The volume's axes (slices, rows, columns) in the patient."""
    assert geometry.orientation is not None and geometry.normal is not None
    assert geometry.slice_spacing is not None and geometry.pixel_spacing is not None
    row_direction = np.asarray(geometry.orientation[:3], dtype=float)  # along a row: columns
    col_direction = np.asarray(geometry.orientation[3:], dtype=float)  # down a column: rows
    return (
        _Axis(np.asarray(geometry.normal, dtype=float), float(geometry.slice_spacing), shape[0]),
        _Axis(_unit(col_direction), float(geometry.pixel_spacing[0]), shape[1]),
        _Axis(_unit(row_direction), float(geometry.pixel_spacing[1]), shape[2]),
    )


def _unit(vector: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return vector / float(np.linalg.norm(vector))


def _degrees_off_axes(axes: Sequence[_Axis]) -> float:
    """The largest angle between a volume axis and the patient axis nearest to it."""
    nearest = min(float(np.max(np.abs(axis.direction))) for axis in axes)
    return math.degrees(math.acos(min(1.0, nearest)))


class MprVolume:
    """A volume that gives axial, coronal and sagittal planes and slabs in patient space.

    Parameters
    ----------
    volume : Volume
        A loaded greyscale stack (see :func:`check_reformattable` for which are refused).

    Raises
    ------
    ReformatError
        When the geometry cannot be reformatted.

    Attributes
    ----------
    volume : Volume
    warnings : tuple of str
        What a viewer must show beside the planes (oblique stack, uncalibrated spacing,
        slices that could not be read).
    """

    def __init__(self, volume: Volume) -> None:
        self.warnings = check_reformattable(volume)
        self.volume = volume
        geometry = volume.geometry
        self._axes = _axes_of(geometry, volume.array.shape)
        assert geometry.origin is not None
        self._origin = np.asarray(geometry.origin, dtype=float)  # centre of voxel (0, 0, 0)
        self._lowest: float | None = None
        # Which volume axis runs along each patient axis, and in which sense.
        self._axis_of_patient: dict[int, tuple[int, int]] = {}
        taken: set[int] = set()
        for patient in sorted(
            range(3), key=lambda p: -max(abs(a.direction[p]) for a in self._axes)
        ):
            axis = max(
                (a for a in range(3) if a not in taken),
                key=lambda a: abs(self._axes[a].direction[patient]),
            )
            taken.add(axis)
            sign = 1 if self._axes[axis].direction[patient] > 0 else -1
            self._axis_of_patient[patient] = (axis, sign)

    @property
    def shape(self) -> tuple[int, int, int]:
        """The volume array's shape (slices, rows, columns)."""
        slices, rows, columns = self.volume.array.shape[:3]
        return slices, rows, columns

    def voxel_frame(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """(origin, steps): patient mm of voxel index ``v`` (slice, row, column) is
        ``origin + v @ steps``; ``steps[i]`` is the patient step of one voxel along axis ``i``."""
        steps = np.stack([axis.direction * axis.spacing for axis in self._axes])
        return self._origin.copy(), steps

    def lowest(self) -> float:
        """The lowest value in the volume (what a reformat shows outside it); computed once."""
        if self._lowest is None:
            self._lowest = float(np.min(self.volume.array))
        return self._lowest

    def _voxel_to_patient(self, index: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        steps = np.stack([axis.direction * axis.spacing for axis in self._axes])
        result: npt.NDArray[np.float64] = self._origin + index @ steps
        return result

    def _normal_axis(self, plane: str) -> tuple[int, int]:
        return self._axis_of_patient[_PLANE_AXES[_check_plane(plane)][2]]

    def _centre_index(self) -> npt.NDArray[np.float64]:
        return (np.asarray(self.shape, dtype=float) - 1) / 2

    def positions(self, plane: str) -> Array:
        """Patient coordinate (mm, along the plane's normal axis) of each slice of ``plane``.

        In volume order along that axis (ascending or descending, as the volume runs); a
        viewport scrolling through the reformatted stack pages through these.
        """
        axis, _ = self._normal_axis(plane)
        patient = _PLANE_AXES[plane][2]
        index = np.tile(self._centre_index(), (self._axes[axis].count, 1))
        index[:, axis] = np.arange(self._axes[axis].count)
        result: Array = self._voxel_to_patient(index)[:, patient]
        return result

    def spacing(self, plane: str) -> float:
        """mm between neighbouring slices of ``plane`` (the volume's spacing along its normal)."""
        axis, _ = self._normal_axis(plane)
        return self._axes[axis].spacing

    def stack(self, plane: str) -> Array:
        """Every slice of ``plane`` as one view of the volume, no copy: (count, rows, columns).

        Slice ``i`` lies at ``positions(plane)[i]`` and is oriented as :meth:`plane` shows
        it (its values equal ``plane(plane, positions(plane)[i]).pixels``). A viewer pages
        through it, and measures regions on it, without reformatting the whole volume.
        """
        plane = _check_plane(plane)
        (row_patient, row_sense), (col_patient, col_sense), normal = _PLANE_AXES[plane]
        normal_axis, _ = self._axis_of_patient[normal]
        row_axis, row_sign = self._axis_of_patient[row_patient]
        col_axis, col_sign = self._axis_of_patient[col_patient]
        view = np.transpose(self.volume.array, (normal_axis, row_axis, col_axis))
        if row_sign != row_sense:
            view = view[:, ::-1, :]
        if col_sign != col_sense:
            view = view[:, :, ::-1]
        return view

    def index_of(self, plane: str, position: float) -> int:
        """The slice of ``plane`` nearest ``position`` (mm), clamped to the volume."""
        positions = self.positions(plane)
        return int(np.argmin(np.abs(positions - check_number("position", position))))

    def extent(self, plane: str) -> tuple[float, float]:
        """(lowest, highest) position (mm) of ``plane`` within the volume."""
        positions = self.positions(plane)
        return float(positions.min()), float(positions.max())

    def centre(self) -> Vector:
        """Patient position (mm) of the volume's centre."""
        point = self._voxel_to_patient(self._centre_index())
        return (float(point[0]), float(point[1]), float(point[2]))

    def plane(
        self,
        plane: str,
        position: float | None = None,
        *,
        slab: float = 0.0,
        mode: str = "mip",
    ) -> PlaneImage:
        """One plane, or a slab of planes reduced by ``mode``, at ``position``.

        Parameters
        ----------
        plane : {"axial", "coronal", "sagittal"}
        position : float, optional
            The plane's coordinate in patient mm along its normal axis (z for axial,
            y for coronal, x for sagittal); default the middle of the volume. The
            nearest slice is shown (no interpolation across slices).
        slab : float, optional
            Slab thickness in mm; 0 (default) for one plane. The slab holds the slices
            whose centres lie within ``position ± slab / 2`` (at least one).
        mode : {"mip", "minip", "avg"}, optional
            How a slab is reduced: maximum, minimum or mean intensity projection.

        Raises
        ------
        TypeError
            ``slab`` or ``position`` is not a number.
        ValueError
            An unknown plane or mode, a negative slab, or a position outside the volume
            (the message gives the range).
        """
        plane = _check_plane(plane)
        if mode not in SLAB_MODES:
            raise ValueError(f"mode must be one of {', '.join(SLAB_MODES)}, found {mode!r}")
        slab = check_number("slab", slab)
        if slab < 0:
            raise ValueError(f"slab must be 0 or more mm, found {slab!r}")
        axis, _ = self._normal_axis(plane)
        count, spacing = self._axes[axis].count, self._axes[axis].spacing
        positions = self.positions(plane)
        if position is None:
            centre = (count - 1) / 2
        else:
            position = check_number("position", position)
            low, high = float(positions.min()), float(positions.max())
            margin = spacing / 2
            if not low - margin <= position <= high + margin:
                raise ValueError(
                    f"{plane} position {position:g} mm is outside the volume "
                    f"({low:.1f} to {high:.1f} mm)"
                )
            step = positions[1] - positions[0]
            centre = (position - positions[0]) / step
        half = slab / (2 * spacing) if slab > 0 else 0.0
        first = max(0, math.ceil(centre - half - 1e-6))
        last = min(count - 1, math.floor(centre + half + 1e-6))
        if last < first or slab == 0:
            first = last = min(count - 1, max(0, round(centre)))
        pixels = self._reduce(plane, axis, first, last + 1, mode if last > first else "plane")
        slices = last - first + 1
        return self._describe(plane, pixels, (first + last) / 2, slices, mode)

    def slice_geometry(self, plane: str, index: int) -> PlaneImage:
        """Where slice ``index`` of ``plane`` lies, without reformatting it.

        A :class:`PlaneImage` of that slice whose ``pixels`` are a read-only broadcast of
        zeros of the plane's shape (no memory): for mapping points and drawing reference
        lines, never for showing.
        """
        plane = _check_plane(plane)
        if isinstance(index, bool) or not isinstance(index, int | np.integer):
            raise TypeError(f"index must be an int, found {type(index).__name__}")
        axis, _ = self._normal_axis(plane)
        count = self._axes[axis].count
        if not 0 <= int(index) < count:
            raise ValueError(f"{plane} slice index must be 0 to {count - 1}, found {index}")
        rows, cols = self.stack(plane).shape[1:]
        zeros = np.broadcast_to(np.zeros((), dtype=self.volume.array.dtype), (rows, cols))
        return self._describe(plane, zeros, float(index), 1, "mip")

    def _reduce(self, plane: str, axis: int, start: int, stop: int, mode: str) -> Array:
        """The plane (or the slab reduced) as an owned buffer in display orientation."""
        array = self.volume.array
        index: list[Any] = [slice(None)] * 3
        if mode == "plane":
            index[axis] = start
            reduced = array[tuple(index)]
        else:
            index[axis] = slice(start, stop)
            block = array[tuple(index)]
            if mode == "mip":
                reduced = np.max(block, axis=axis)
            elif mode == "minip":
                reduced = np.min(block, axis=axis)
            else:
                reduced = np.add.reduce(block, axis=axis, dtype=np.float32)
                reduced /= np.float32(stop - start)
        # Always a buffer of its own (an unflipped axial plane would otherwise stay a view).
        return np.array(self._orient(plane, axis, reduced), order="C", copy=True)

    def _orient(self, plane: str, normal_axis: int, image: Array) -> Array:
        """Transpose and reverse a 2-D slice of the volume into display orientation (a view)."""
        (row_patient, row_sense), (col_patient, col_sense), _ = _PLANE_AXES[plane]
        row_axis, row_sign = self._axis_of_patient[row_patient]
        _, col_sign = self._axis_of_patient[col_patient]
        remaining = [a for a in range(3) if a != normal_axis]
        if remaining.index(row_axis) == 1:
            image = image.T
        if row_sign != row_sense:
            image = image[::-1, :]
        if col_sign != col_sense:
            image = image[:, ::-1]
        return image

    def _describe(
        self, plane: str, pixels: Array, centre: float, slices: int, mode: str
    ) -> PlaneImage:
        (row_patient, row_sense), (col_patient, col_sense), normal = _PLANE_AXES[plane]
        row_axis, row_sign = self._axis_of_patient[row_patient]
        col_axis, col_sign = self._axis_of_patient[col_patient]
        normal_axis, _ = self._axis_of_patient[normal]
        index = self._centre_index()
        index[normal_axis] = centre
        position = float(self._voxel_to_patient(index)[normal])
        index[row_axis] = 0 if row_sign == row_sense else self._axes[row_axis].count - 1
        index[col_axis] = 0 if col_sign == col_sense else self._axes[col_axis].count - 1
        origin = self._voxel_to_patient(index)
        rows, cols = self._axes[row_axis], self._axes[col_axis]
        row_step = rows.direction * rows.spacing * (1 if row_sign == row_sense else -1)
        col_step = cols.direction * cols.spacing * (1 if col_sign == col_sense else -1)
        orientation = (*_unit(col_step), *_unit(row_step))
        return PlaneImage(
            plane=plane,
            pixels=pixels,
            row_spacing=rows.spacing,
            col_spacing=cols.spacing,
            position=position,
            slab=slices * self._axes[normal_axis].spacing,
            slices=slices,
            mode="plane" if slices == 1 else mode,
            origin=_vector(origin),
            row_step=_vector(row_step),
            col_step=_vector(col_step),
            labels=compute_orientation_labels(tuple(float(v) for v in orientation)),
        )


def _dot(a: Sequence[float], b: Sequence[float]) -> float:
    return float(a[0] * b[0] + a[1] * b[1] + a[2] * b[2])


def _vector(values: npt.NDArray[np.float64]) -> Vector:
    return (float(values[0]), float(values[1]), float(values[2]))


def _check_plane(plane: object) -> str:
    if plane not in PLANES:
        raise ValueError(f"plane must be one of {', '.join(PLANES)}, found {plane!r}")
    return str(plane)


def resample_square(image: PlaneImage) -> PlaneImage:
    """The plane with square pixels: its coarser axis resampled to the finer spacing.

    Linear interpolation between neighbouring rows (or columns); the field of view is
    kept (``pixels × spacing`` is the same in mm, to within a pixel), and so is the
    patient position of every point (``origin`` and the steps are updated). Returns
    the image unchanged when its pixels are square already.
    """
    if not isinstance(image, PlaneImage):
        raise TypeError(f"image must be a PlaneImage, not {type(image).__name__}")
    fine = min(image.row_spacing, image.col_spacing)
    if math.isclose(image.row_spacing, image.col_spacing, rel_tol=1e-3):
        return image
    along_rows = image.row_spacing > image.col_spacing
    axis = 0 if along_rows else 1
    coarse = image.row_spacing if along_rows else image.col_spacing
    count = image.pixels.shape[axis]
    ratio = fine / coarse  # input pixels per output pixel
    samples = max(1, round(count * coarse / fine))
    # Centres of output pixels, in input pixel units (the outer edges of both coincide).
    where = np.clip((np.arange(samples) + 0.5) * ratio - 0.5, 0, count - 1)
    low = np.floor(where).astype(np.intp)
    high = np.minimum(low + 1, count - 1)
    weight = (where - low).astype(np.float32)
    source = image.pixels.astype(np.float32, copy=False)
    if along_rows:
        pixels = source[low] * (1 - weight)[:, None] + source[high] * weight[:, None]
        step = np.asarray(image.row_step) * ratio
        origin = np.asarray(image.origin) + np.asarray(image.row_step) * (0.5 * ratio - 0.5)
        return replace(
            image,
            pixels=np.ascontiguousarray(pixels, dtype=np.float32),
            row_spacing=fine,
            row_step=_vector(step),
            origin=_vector(origin),
        )
    pixels = source[:, low] * (1 - weight)[None, :] + source[:, high] * weight[None, :]
    step = np.asarray(image.col_step) * ratio
    origin = np.asarray(image.origin) + np.asarray(image.col_step) * (0.5 * ratio - 0.5)
    return replace(
        image,
        pixels=np.ascontiguousarray(pixels, dtype=np.float32),
        col_spacing=fine,
        col_step=_vector(step),
        origin=_vector(origin),
    )


def image_points_to_patient(
    image: PlaneImage, points: Sequence[Sequence[float]]
) -> tuple[Vector, ...]:
    """Patient positions (mm) of points drawn on ``image``, on its (slab's centre) plane.

    ``points`` are (x, y) in a viewer's image coordinates (:mod:`core.dicom.measure`:
    the top-left corner of pixel (0, 0) at (0, 0), so a pixel's centre is at +0.5),
    which :meth:`PlaneImage.pixel_to_patient` counts from pixel centres.
    """
    if not isinstance(image, PlaneImage):
        raise TypeError(f"image must be a PlaneImage, not {type(image).__name__}")
    return tuple(image.pixel_to_patient(float(y) - 0.5, float(x) - 0.5) for x, y in points)


def patient_points_to_image(
    image: PlaneImage, points: Sequence[Sequence[float]], tolerance: float | None = None
) -> tuple[tuple[float, float], ...] | None:
    """Image points (x, y; see :func:`image_points_to_patient`) of patient positions.

    Each is projected onto the plane; None when ``tolerance`` (mm) is given and a point
    lies farther than that from the plane (the plane does not show the shape).
    """
    if not isinstance(image, PlaneImage):
        raise TypeError(f"image must be a PlaneImage, not {type(image).__name__}")
    found: list[tuple[float, float]] = []
    for point in points:
        if tolerance is not None and image.distance_to(point) > tolerance:
            return None
        row, col = image.patient_to_pixel(point)
        found.append((col + 0.5, row + 0.5))
    return tuple(found)


def reference_line(
    image: PlaneImage, other: PlaneImage
) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """Where ``other``'s plane cuts ``image``: two image points (x, y) at its edges.

    The line is clipped to the image's rectangle (its two ends lie on opposite edges);
    None when the planes are parallel or the cut misses the image. Image points as in
    :func:`image_points_to_patient`.
    """
    if not isinstance(image, PlaneImage) or not isinstance(other, PlaneImage):
        raise TypeError("image and other must be PlaneImages")
    normal = other.normal
    # Signed distance to other's plane at pixel (row, col): base + row * per_row + col * per_col.
    # (Plain floats, as in PlaneImage.normal: this runs for every pane pair on a repaint.)
    offset = [a - b for a, b in zip(image.origin, other.origin, strict=True)]
    base = _dot(offset, normal)
    per_row = _dot(image.row_step, normal)
    per_col = _dot(image.col_step, normal)
    rows, cols = image.pixels.shape[:2]
    if max(abs(per_row), abs(per_col)) < 1e-9:
        return None
    if abs(per_col) >= abs(per_row):  # a mostly vertical line: its column at the top and bottom
        r0, r1 = -0.5, rows - 0.5
        c0, c1 = (-(base + per_row * r) / per_col for r in (r0, r1))
        if max(c0, c1) < -0.5 or min(c0, c1) > cols - 0.5:
            return None
    else:  # a mostly horizontal line: its row at the left and right edges
        c0, c1 = -0.5, cols - 0.5
        r0, r1 = (-(base + per_col * c) / per_row for c in (c0, c1))
        if max(r0, r1) < -0.5 or min(r0, r1) > rows - 0.5:
            return None
    return ((c0 + 0.5, r0 + 0.5), (c1 + 0.5, r1 + 0.5))
