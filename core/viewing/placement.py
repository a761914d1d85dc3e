"""Where a measurement kept in patient millimetres lies in the images of a series.

A measurement drawn on a reformatted plane (MPR) is kept in patient coordinates
(:attr:`core.dicom.annotations.Annotation.patient_points`, LPS mm, PS3.3
C.7.6.2.1.1). This module is the one owner of how such a measurement meets the
acquired images:

* :func:`anchor_annotation` files it under the acquired frame nearest to it (the store
  names images by SOP Instance UID and frame), its ``points`` projected on that frame;
* :func:`place_annotation` finds the acquired frames whose plane holds it (every point
  within half a slice of the plane), with its points on each: a distance drawn on a
  coronal view shows on an axial image only when it lies in that axial slice;
* :func:`patient_points_of` gives any annotation's patient points: its own, or those of
  its image points through its frame's Image Position/Orientation (Patient) and spacing.

Image points are as in :mod:`core.dicom.measure`: ``(x, y)`` pixels, the top-left
corner of pixel (0, 0) at (0, 0), so a pixel's centre is at +0.5.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from core.dicom.annotations import Annotation
from core.dicom.records import FrameRef
from core.dicom.volume import Volume

logger = logging.getLogger(__name__)

__all__ = [
    "FramePlane",
    "anchor_annotation",
    "frame_plane",
    "patient_points_of",
    "place_annotation",
]

Vector = tuple[float, float, float]
Point = tuple[float, float]
#: Used when a series has no slice spacing (one image): how far (mm) a point may be off it.
_DEFAULT_TOLERANCE_MM: Final = 0.5


@dataclass(frozen=True)
class FramePlane:
    """Where one frame's pixels lie in the patient.

    Attributes
    ----------
    origin : tuple of 3 float
        Patient position (mm) of the centre of pixel (0, 0) (Image Position (Patient)).
    row_step, col_step : tuple of 3 float
        Patient mm moved by one row down and by one column right.
    """

    origin: Vector
    row_step: Vector
    col_step: Vector

    @property
    def normal(self) -> Vector:
        """Unit vector perpendicular to the frame."""
        normal = np.cross(np.asarray(self.col_step), np.asarray(self.row_step))
        normal /= float(np.linalg.norm(normal))
        return (float(normal[0]), float(normal[1]), float(normal[2]))

    def to_patient(self, points: Sequence[Sequence[float]]) -> tuple[Vector, ...]:
        """Patient positions (mm) of image points (x, y) on this frame."""
        origin, rows, cols = (np.asarray(v) for v in (self.origin, self.row_step, self.col_step))
        found = []
        for x, y in points:
            p = origin + (float(y) - 0.5) * rows + (float(x) - 0.5) * cols
            found.append((float(p[0]), float(p[1]), float(p[2])))
        return tuple(found)

    def to_image(self, points: Sequence[Sequence[float]]) -> tuple[Point, ...]:
        """Image points (x, y) of patient positions, projected onto the frame."""
        origin, rows, cols = (np.asarray(v) for v in (self.origin, self.row_step, self.col_step))
        found = []
        for point in points:
            offset = np.asarray(point, dtype=float) - origin
            row = float(offset @ rows) / float(rows @ rows)
            col = float(offset @ cols) / float(cols @ cols)
            found.append((col + 0.5, row + 0.5))
        return tuple(found)

    def distance_to(self, point: Sequence[float]) -> float:
        """How far (mm, unsigned) a patient position is from the frame's plane."""
        offset = np.asarray(point, dtype=float) - np.asarray(self.origin)
        return abs(float(offset @ np.asarray(self.normal)))


def frame_plane(frame: FrameRef, pixel_spacing: Sequence[float] | None = None) -> FramePlane | None:
    """The plane of ``frame`` from its position, orientation and spacing; None without them.

    ``pixel_spacing`` (row, column mm) stands in when the frame has none of its own
    (the series geometry's, e.g. from Imager Pixel Spacing).
    """
    if not isinstance(frame, FrameRef):
        raise TypeError(f"frame must be a FrameRef, not {type(frame).__name__}")
    info = frame.info
    spacing = info.pixel_spacing or (tuple(pixel_spacing) if pixel_spacing else None)
    if info.position is None or info.orientation is None or spacing is None:
        return None
    along_row = np.asarray(info.orientation[:3], dtype=float)  # increasing column
    down_column = np.asarray(info.orientation[3:], dtype=float)  # increasing row
    if min(float(np.linalg.norm(along_row)), float(np.linalg.norm(down_column))) < 1e-6:
        return None
    along_row /= float(np.linalg.norm(along_row))
    down_column /= float(np.linalg.norm(down_column))
    row_step = down_column * float(spacing[0])
    col_step = along_row * float(spacing[1])
    return FramePlane(
        origin=tuple(float(v) for v in info.position),  # type: ignore[arg-type]
        row_step=(float(row_step[0]), float(row_step[1]), float(row_step[2])),
        col_step=(float(col_step[0]), float(col_step[1]), float(col_step[2])),
    )


def _planes(volume: Volume) -> list[tuple[int, FramePlane]]:
    spacing = volume.geometry.pixel_spacing
    found = []
    for index, frame in enumerate(volume.geometry.frames):
        plane = frame_plane(frame, spacing)
        if plane is not None:
            found.append((index, plane))
    return found


def _tolerance(volume: Volume) -> float:
    spacing = volume.geometry.slice_spacing
    return spacing / 2 if spacing else _DEFAULT_TOLERANCE_MM


def _check_patient_points(points: Sequence[Sequence[float]]) -> npt.NDArray[np.float64]:
    array = np.asarray(points, dtype=float)
    if array.ndim != 2 or array.shape[1] != 3 or not len(array):
        raise ValueError(f"patient points must be (x, y, z) triples, found shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError("patient points must be finite")
    return array


def anchor_annotation(
    kind: str, patient_points: Sequence[Sequence[float]], volume: Volume, text: str = ""
) -> Annotation:
    """A measurement in patient mm, filed under the frame of ``volume`` nearest to it.

    Parameters
    ----------
    kind : str
        A measurement kind (``"distance"``, ``"angle"``, ``"rectangle"``, ``"ellipse"``).
    patient_points : sequence of (x, y, z)
        The measurement's points in patient mm.
    volume : Volume
        The acquired series it was reformatted from.
    text : str, optional

    Raises
    ------
    TypeError
        ``volume`` is not a Volume.
    ValueError
        Bad points, or no frame of the series has a position in the patient.
    """
    if not isinstance(volume, Volume):
        raise TypeError(f"volume must be a Volume, not {type(volume).__name__}")
    points = _check_patient_points(patient_points)
    centre = points.mean(axis=0)
    planes = _planes(volume)
    if not planes:
        raise ValueError("no image of the series has a position in the patient")
    index, plane = min(planes, key=lambda item: item[1].distance_to(centre))
    frame = volume.geometry.frames[index]
    return Annotation(
        kind=kind,
        sop_instance_uid=frame.instance.sop_instance_uid,
        frame=frame.frame,
        points=plane.to_image(points.tolist()),
        text=text,
        patient_points=tuple((float(p[0]), float(p[1]), float(p[2])) for p in points),
    )


def place_annotation(
    annotation: Annotation, volume: Volume, tolerance: float | None = None
) -> list[tuple[int, tuple[Point, ...]]]:
    """The frames of ``volume`` whose plane holds ``annotation``, with its points on each.

    Only for an annotation with patient points; every point must lie within
    ``tolerance`` mm of the frame's plane (default half the slice spacing). Returns
    ``(frame index, image points)`` pairs; [] when none holds it (or the annotation
    has no patient points).
    """
    if not isinstance(annotation, Annotation):
        raise TypeError(f"annotation must be an Annotation, not {type(annotation).__name__}")
    if not isinstance(volume, Volume):
        raise TypeError(f"volume must be a Volume, not {type(volume).__name__}")
    if not annotation.patient_points:
        return []
    limit = _tolerance(volume) if tolerance is None else float(tolerance)
    found = []
    for index, plane in _planes(volume):
        if all(plane.distance_to(p) <= limit + 1e-6 for p in annotation.patient_points):
            found.append((index, plane.to_image(annotation.patient_points)))
    return found


def patient_points_of(annotation: Annotation, volume: Volume) -> tuple[Vector, ...] | None:
    """The annotation's points in patient mm: its own, or through its image's geometry.

    None when the annotation is on none of ``volume``'s frames, or that frame has no
    position in the patient. An annotation on every frame of a multi-frame image
    (``frame`` None) is taken on its first.
    """
    if not isinstance(annotation, Annotation):
        raise TypeError(f"annotation must be an Annotation, not {type(annotation).__name__}")
    if annotation.patient_points:
        return annotation.patient_points
    for frame in volume.geometry.frames:
        if frame.instance.sop_instance_uid != annotation.sop_instance_uid:
            continue
        if annotation.frame is not None and frame.frame != annotation.frame:
            continue
        plane = frame_plane(frame, volume.geometry.pixel_spacing)
        return None if plane is None else plane.to_patient(annotation.points)
    return None
