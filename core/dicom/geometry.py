"""Slice order and spacing of a stack, from Image Position/Orientation (Patient).

Frames are ordered by their position projected on the slice normal (the cross
product of the row and column direction cosines, PS3.3 C.7.6.2.1.1), never by
Instance Number, which says nothing about where a slice is. What a reader should
know about the stack — uneven spacing, duplicates, gaps, gantry tilt, mixed
orientations or sizes, missing positions — is reported, not hidden.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

import numpy as np

from core.dicom.records import (
    FrameRef,
    GeometryProblem,
    InstanceRecord,
    SeriesGeometry,
    SeriesRecord,
)

logger = logging.getLogger(__name__)

#: Modalities whose images are slices of a volume: a stack of them needs positions.
_CROSS_SECTIONAL = frozenset({"CT", "MR", "PT", "NM", "ST"})

Orientation = tuple[float, float, float, float, float, float]
Vector = tuple[float, float, float]

#: Largest difference of direction cosines still counted as the same orientation.
ORIENTATION_TOLERANCE = 1e-3
#: Positions closer than this (mm, along the normal) are the same slice position.
DUPLICATE_TOLERANCE = 0.01
_SPACING_RELATIVE_TOLERANCE = 0.01
_SPACING_ABSOLUTE_TOLERANCE = 0.01  # mm
_GAP_FACTOR = 1.5
_TILT_LIMIT_DEGREES = 0.5
_MAX_LISTED_GAPS = 5
_PROJECTION_MODALITIES = frozenset({"CR", "DX", "MG", "IO", "PX", "RF", "XA", "RG", "DF"})


def compute_normal(orientation: Sequence[float]) -> Vector:
    """The unit slice normal: row direction × column direction (PS3.3 C.7.6.2.1.1).

    Parameters
    ----------
    orientation : sequence of 6 floats
        Image Orientation (Patient): row then column direction cosines.

    Raises
    ------
    ValueError
        When there are not 6 values or the two directions are parallel or zero.
    """
    if len(orientation) != 6:
        raise ValueError(f"orientation needs 6 direction cosines, found {len(orientation)}")
    row = np.asarray(orientation[:3], dtype=float)
    col = np.asarray(orientation[3:], dtype=float)
    normal = np.cross(row, col)
    length = float(np.linalg.norm(normal))
    if not math.isfinite(length) or length < 1e-6:
        raise ValueError("the row and column directions are parallel or zero; no slice normal")
    normal /= length
    return (float(normal[0]), float(normal[1]), float(normal[2]))


def describe_orientation(orientation: Sequence[float] | None) -> str:
    """``"axial"``, ``"coronal"``, ``"sagittal"``, ``"oblique"`` or ``"no orientation"``."""
    if orientation is None:
        return "no orientation"
    try:
        normal = compute_normal(orientation)
    except ValueError:
        return "no orientation"
    axis = int(np.argmax(np.abs(normal)))
    if abs(normal[axis]) < math.cos(math.radians(30)):
        return "oblique"
    return ("sagittal", "coronal", "axial")[axis]


def is_same_orientation(a: Sequence[float] | None, b: Sequence[float] | None) -> bool:
    """Whether two orientations agree within :data:`ORIENTATION_TOLERANCE` (None only with None)."""
    if a is None or b is None:
        return a is None and b is None
    return max(abs(x - y) for x, y in zip(a, b, strict=True)) <= ORIENTATION_TOLERANCE


def group_orientations(
    orientations: Sequence[Orientation | None],
) -> list[tuple[Orientation | None, list[int]]]:
    """Cluster orientations: (first orientation, indexes) per cluster, in first-seen order."""
    clusters: list[tuple[Orientation | None, list[int]]] = []
    for index, orientation in enumerate(orientations):
        for representative, members in clusters:
            # Equal first (the slices of a series usually are): a compare in C, per slice.
            if representative == orientation or is_same_orientation(representative, orientation):
                members.append(index)
                break
        else:
            clusters.append((orientation, [index]))
    return clusters


def count_repeated_positions(projections: Sequence[float]) -> int:
    """How many positions repeat one already seen (within :data:`DUPLICATE_TOLERANCE`)."""
    ordered = np.sort(np.asarray(projections, dtype=float))
    if ordered.size < 2:
        return 0
    return int(np.count_nonzero(np.diff(ordered) < DUPLICATE_TOLERANCE))


def resolve_pixel_spacing(
    instance: InstanceRecord, frame: int = 0
) -> tuple[tuple[float, float] | None, bool, str]:
    """Pixel spacing in mm (row, column), whether it is calibrated, and where it came from.

    Follows PS3.3 10.7.1.3 and C.8.11.4: Pixel Spacing is spacing in the patient
    (calibrated), except in projection radiography when it only repeats Imager
    Pixel Spacing; Imager Pixel Spacing is measured at the detector, and divided
    by the Estimated Radiographic Magnification Factor it is corrected to the
    patient plane. Enhanced multi-frame images use the frame's Pixel Measures.

    Parameters
    ----------
    instance : InstanceRecord
        The image.
    frame : int
        The frame (from 0) whose spacing is wanted.

    Returns
    -------
    spacing : tuple of float or None
        (row spacing, column spacing) in mm, None when the file gives none.
    calibrated : bool
        True when the spacing applies to the patient (not merely the detector).
    note : str
        Where the value came from, for showing beside a measurement.
    """
    if not isinstance(instance, InstanceRecord):
        raise TypeError(f"instance must be an InstanceRecord, not {type(instance).__name__}")
    if not 0 <= frame < len(instance.frames):
        raise ValueError(f"frame {frame} is out of range; the instance has {len(instance.frames)}")
    pixel = instance.frames[frame].pixel_spacing
    imager = instance.image_pixel_spacing
    factor = instance.magnification_factor
    repeats_imager = (
        pixel is not None
        and imager is not None
        and all(math.isclose(a, b, rel_tol=1e-4) for a, b in zip(pixel, imager, strict=True))
    )
    if pixel is not None and not (repeats_imager and instance.modality in _PROJECTION_MODALITIES):
        return pixel, True, "Pixel Spacing"
    if imager is not None:
        if factor is not None and factor > 0:
            corrected = (imager[0] / factor, imager[1] / factor)
            return (
                corrected,
                True,
                f"Imager Pixel Spacing divided by the Estimated Radiographic Magnification "
                f"Factor ({factor:g}): calibrated at the detector, corrected to the patient plane",
            )
        source = (
            "Pixel Spacing equal to Imager Pixel Spacing"
            if repeats_imager
            else ("Imager Pixel Spacing")
        )
        return imager, False, f"{source}: measured at the detector, not corrected for magnification"
    return None, False, "no pixel spacing in the file"


def compute_geometry(series: SeriesRecord) -> SeriesGeometry:
    """Display order, spacing and geometry problems of a series.

    Parameters
    ----------
    series : SeriesRecord
        One stack (a series or one part of a split series).

    Returns
    -------
    SeriesGeometry
        ``frames`` in display order: by Image Position (Patient) projected on the
        slice normal, ascending (``ordered_by == "position"``); when any frame has
        no position or there is no orientation, by Instance Number then frame number
        (``ordered_by == "instance number"``, with a ``"missing position"`` problem).

    Raises
    ------
    TypeError
        When ``series`` is not a SeriesRecord.
    ValueError
        When the series has no frames.
    """
    if not isinstance(series, SeriesRecord):
        raise TypeError(f"series must be a SeriesRecord, not {type(series).__name__}")
    refs = [FrameRef(inst, f) for inst in series.instances for f in range(inst.number_of_frames)]
    if not refs:
        raise ValueError(f"series {series.key} has no frames")
    problems: list[GeometryProblem] = []
    _check_sizes(series.instances, problems)
    clusters = group_orientations([ref.info.orientation for ref in refs])
    reference, _ = max(clusters, key=lambda c: len(c[1]))
    if len(clusters) > 1:
        counts = ", ".join(f"{describe_orientation(o)} {len(m)}" for o, m in clusters)
        problems.append(
            GeometryProblem(
                "mixed orientation",
                f"frames have {len(clusters)} different orientations ({counts} frames); "
                "ordered along the most common one",
            )
        )
    normal: Vector | None = None
    if reference is not None:
        normal = compute_normal(reference)
    positions = [ref.info.position for ref in refs]
    missing = sum(p is None for p in positions)
    if normal is None or missing:
        ordered = sorted(
            refs,
            key=lambda r: (
                r.instance.instance_number is None,
                r.instance.instance_number or 0,
                r.frame,
                r.instance.ref,
            ),
        )
        # Projection images and cine clips have no positions by design; a cross-sectional
        # stack (or one where only some frames have them) must not be ordered silently.
        expects_positions = series.modality in _CROSS_SECTIONAL or 0 < missing < len(refs)
        if len(refs) > 1 and expects_positions:
            if missing:
                what = f"{missing} of {len(refs)} frames have no Image Position (Patient)"
            else:
                what = "there is no Image Orientation (Patient)"
            problems.append(
                GeometryProblem(
                    "missing position", f"{what}; ordered by Instance Number then frame number"
                )
            )
        spacing, calibrated, note = resolve_pixel_spacing(ordered[0].instance, ordered[0].frame)
        first_position = ordered[0].info.position
        return SeriesGeometry(
            frames=tuple(ordered),
            ordered_by="instance number",
            pixel_spacing=spacing,
            spacing_calibrated=calibrated,
            spacing_note=note,
            origin=None if missing else first_position,
            orientation=reference,
            normal=normal,
            problems=tuple(problems),
        )

    points = np.array(positions, dtype=float)
    projections = points @ np.asarray(normal)
    # Stable on ties: equal positions keep Instance Number then frame order.
    tie = sorted(
        range(len(refs)),
        key=lambda i: (
            refs[i].instance.instance_number is None,
            refs[i].instance.instance_number or 0,
            refs[i].frame,
            refs[i].instance.ref,
        ),
    )
    rank = np.empty(len(refs), dtype=int)
    rank[tie] = np.arange(len(refs))
    order = np.lexsort((rank, projections))
    ordered = [refs[i] for i in order]
    sorted_projections = projections[order]
    slice_spacing = _check_spacing(sorted_projections, problems)
    _check_tilt(points[order], np.asarray(normal), problems)
    spacing, calibrated, note = resolve_pixel_spacing(ordered[0].instance, ordered[0].frame)
    origin = ordered[0].info.position
    return SeriesGeometry(
        frames=tuple(ordered),
        ordered_by="position",
        slice_positions=tuple(float(p) for p in sorted_projections),
        slice_spacing=slice_spacing,
        pixel_spacing=spacing,
        spacing_calibrated=calibrated,
        spacing_note=note,
        origin=origin,
        orientation=reference,
        normal=normal,
        problems=tuple(problems),
    )


def _check_sizes(instances: Sequence[InstanceRecord], problems: list[GeometryProblem]) -> None:
    sizes: dict[tuple[int, int], int] = {}
    for inst in instances:
        sizes[(inst.rows, inst.columns)] = sizes.get((inst.rows, inst.columns), 0) + 1
    if len(sizes) > 1:
        listed = ", ".join(f"{r}×{c} ({n})" for (r, c), n in sizes.items())
        problems.append(
            GeometryProblem("mixed size", f"instances have {len(sizes)} image sizes: {listed}")
        )


def _check_spacing(projections: np.ndarray, problems: list[GeometryProblem]) -> float | None:
    """Median spacing of distinct positions; report duplicates, uneven spacing and gaps."""
    if projections.size < 2:
        return None
    steps = np.diff(projections)
    duplicate = steps < DUPLICATE_TOLERANCE
    duplicates = int(np.count_nonzero(duplicate))
    if duplicates:
        distinct = projections.size - duplicates
        problems.append(
            GeometryProblem(
                "duplicate position",
                f"{duplicates} frame(s) at a position another frame already has "
                f"({distinct} distinct positions for {projections.size} frames)",
            )
        )
    real = steps[~duplicate]
    if real.size == 0:
        return None
    median = float(np.median(real))
    low, high = float(real.min()), float(real.max())
    if high - low > _SPACING_RELATIVE_TOLERANCE * median + _SPACING_ABSOLUTE_TOLERANCE:
        problems.append(
            GeometryProblem(
                "non-uniform spacing",
                f"slice spacing varies from {low:.3g} to {high:.3g} mm (median {median:.3g} mm)",
            )
        )
    gaps = [int(i) for i in np.flatnonzero(steps > _GAP_FACTOR * median)]
    if gaps:
        places = [
            f"{steps[i]:.3g} mm between slices {i + 1} and {i + 2}" for i in gaps[:_MAX_LISTED_GAPS]
        ]
        more = f" and {len(gaps) - _MAX_LISTED_GAPS} more" if len(gaps) > _MAX_LISTED_GAPS else ""
        problems.append(
            GeometryProblem(
                "gap",
                f"{len(gaps)} gap(s) wider than {_GAP_FACTOR}× the median spacing "
                f"({median:.3g} mm): {'; '.join(places)}{more}",
            )
        )
    return median


def _check_tilt(points: np.ndarray, normal: np.ndarray, problems: list[GeometryProblem]) -> None:
    """Report a stack whose positions do not run along the slice normal (gantry tilt)."""
    if len(points) < 2:
        return
    direction = points[-1] - points[0]
    length = float(np.linalg.norm(direction))
    if length < DUPLICATE_TOLERANCE:
        return
    cosine = min(1.0, abs(float(direction @ normal)) / length)
    angle = math.degrees(math.acos(cosine))
    if angle > _TILT_LIMIT_DEGREES:
        problems.append(
            GeometryProblem(
                "gantry tilt",
                f"the slice positions run at {angle:.1f}° to the slice normal (gantry tilt "
                "or sheared stack); a volume built on a rectangular grid would be distorted",
            )
        )
