"""Splitting a DICOM series into the stacks it really holds.

A Series Instance UID often covers more than one displayable stack: a localizer
with three orientations, a dual-echo MR, a dynamic study repeating the same
slice positions, several cine clips. Like 3D Slicer's DICOMScalarVolumePlugin and
Weasis, a series is split by image size and by orientation; when slice positions
repeat, by echo, acquisition, temporal position or image type, whichever
separates the repeats; and multi-frame instances whose frames overlap (or have
no positions, such as cine clips) become a stack each. Repeats no splitter
explains stay together; geometry then reports them as duplicate positions.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Sequence

import numpy as np

from core.dicom.geometry import (
    compute_normal,
    count_repeated_positions,
    describe_orientation,
    group_orientations,
)
from core.dicom.records import InstanceRecord

logger = logging.getLogger(__name__)

_Part = tuple[list[InstanceRecord], list[str]]


def split_series(
    instances: Sequence[InstanceRecord],
) -> list[tuple[tuple[InstanceRecord, ...], str | None]]:
    """Split one series into stacks, each with the reason it was split off.

    Parameters
    ----------
    instances : sequence of InstanceRecord
        The image objects of one series, in the order wanted within each part.

    Returns
    -------
    list of (instances, reason)
        One entry per stack, in a stable order. ``reason`` is None when the
        series was not split, else e.g. ``"2 orientations: sagittal"``,
        ``"echo 2 of 2"`` or ``"acquisition 3"`` (several joined by ``", "``).

    Raises
    ------
    TypeError
        When an item is not an InstanceRecord.
    """
    items = list(instances)
    for item in items:
        if not isinstance(item, InstanceRecord):
            raise TypeError(
                f"instances must be InstanceRecord objects, found {type(item).__name__}"
            )
    if not items:
        return []
    parts: list[_Part] = [(items, [])]
    parts = _split_all(parts, _split_by_size)
    parts = _split_all(parts, _split_by_orientation)
    parts = _split_all(parts, _split_repeats)
    parts = _split_all(parts, _split_multiframe)
    if len(parts) == 1:
        return [(tuple(parts[0][0]), None)]
    return [(tuple(members), ", ".join(reasons) or None) for members, reasons in parts]


def _split_all(
    parts: list[_Part], splitter: Callable[[list[InstanceRecord]], list[_Part]]
) -> list[_Part]:
    result: list[_Part] = []
    for members, reasons in parts:
        for sub, extra in splitter(members):
            result.append((sub, reasons + extra))
    return result


def _group(
    members: list[InstanceRecord], key: Callable[[InstanceRecord], Hashable]
) -> list[tuple[Hashable, list[InstanceRecord]]]:
    groups: dict[Hashable, list[InstanceRecord]] = {}
    for inst in members:
        groups.setdefault(key(inst), []).append(inst)
    return list(groups.items())


def _split_by_size(members: list[InstanceRecord]) -> list[_Part]:
    groups: dict[tuple[int, int], list[InstanceRecord]] = {}
    for inst in members:
        groups.setdefault((inst.rows, inst.columns), []).append(inst)
    if len(groups) == 1:
        return [(members, [])]
    count = len(groups)
    return [(group, [f"{count} image sizes: {r}×{c}"]) for (r, c), group in groups.items()]


def _split_by_orientation(members: list[InstanceRecord]) -> list[_Part]:
    clusters = group_orientations([inst.frames[0].orientation for inst in members])
    if len(clusters) == 1:
        return [(members, [])]
    count = len(clusters)
    return [
        ([members[i] for i in indexes], [f"{count} orientations: {describe_orientation(o)}"])
        for o, indexes in clusters
    ]


def _repeats(members: list[InstanceRecord]) -> int:
    """How many single-frame slice positions repeat within a group of one orientation."""
    singles = [i for i in members if i.number_of_frames == 1 and i.frames[0].position is not None]
    if len(singles) < 2:
        return 0
    orientation = singles[0].frames[0].orientation
    points = np.array([i.frames[0].position for i in singles], dtype=float)
    if orientation is not None:
        return count_repeated_positions(points @ np.asarray(compute_normal(orientation)))
    rounded = {tuple(np.round(p, 2)) for p in points}
    return len(singles) - len(rounded)


# Attributes that tell apart stacks at the same positions, tried in this order.
_SPLITTERS: tuple[tuple[str, Callable[[InstanceRecord], Hashable]], ...] = (
    ("echo", lambda i: i.echo_number),
    ("acquisition", lambda i: i.acquisition_number),
    ("temporal position", lambda i: i.frames[0].temporal_position),
    ("image type", lambda i: "\\".join(i.image_type) or None),
)


def _split_repeats(members: list[InstanceRecord], first: int = 0) -> list[_Part]:
    repeats = _repeats(members)
    if repeats == 0:
        return [(members, [])]
    for position in range(first, len(_SPLITTERS)):
        label, key = _SPLITTERS[position]
        groups = _group(members, key)
        if len(groups) < 2:
            continue
        if sum(_repeats(group) for _, group in groups) >= repeats:
            continue
        groups.sort(key=lambda g: (g[0] is None, _sortable(g[0])))
        values = [value for value, _ in groups]
        parts: list[_Part] = []
        for value, group in groups:
            reason = _describe_value(label, value, values)
            for sub, extra in _split_repeats(group, position + 1):
                parts.append((sub, [reason, *extra]))
        return parts
    return [(members, [])]


def _sortable(value: Hashable) -> tuple[int, float, str]:
    if isinstance(value, int | float):
        return (0, float(value), "")
    return (1, 0.0, str(value))


def _describe_value(label: str, value: Hashable, values: list[Hashable]) -> str:
    if value is None:
        return f"no {label}"
    numbers = [v for v in values if isinstance(v, int)]
    if len(numbers) == len(values) and sorted(numbers) == list(range(1, len(values) + 1)):
        return f"{label} {value} of {len(values)}"
    return f"{label} {value}"


def _split_multiframe(members: list[InstanceRecord]) -> list[_Part]:
    """Give each multi-frame instance its own stack when frames overlap or have no position.

    Instances of one stack split into several objects (a concatenation, PS3.3
    C.7.6.16.2.2.4) do not overlap and stay together.
    """
    multi = [i for i in members if i.number_of_frames > 1]
    if not multi or len(members) == 1:
        return [(members, [])]
    positions = [f.position for inst in members for f in inst.frames]
    orientation = members[0].frames[0].orientation
    if any(p is None for p in positions) or orientation is None:
        overlap = True
    else:
        normal = np.asarray(compute_normal(orientation))
        projections = np.array(positions, dtype=float) @ normal
        within = 0
        for inst in members:
            points = np.array([f.position for f in inst.frames], dtype=float)
            within += count_repeated_positions(points @ normal)
        overlap = count_repeated_positions(projections) > within
    if not overlap:
        return [(members, [])]
    singles = [i for i in members if i.number_of_frames == 1]
    parts: list[_Part] = [
        ([inst], [f"multi-frame instance {k} of {len(multi)}"]) for k, inst in enumerate(multi, 1)
    ]
    if singles:
        parts.append((singles, ["single-frame images"]))
    return parts
