"""Ground truth and file layout shared by the CT and MR series writers.

Instance Numbers follow acquisition, its reverse or a random permutation, file names
may be random, and the truth of each slice records its index along the slice normal.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core.synthetic.common import Array, check_choice


@dataclass(frozen=True)
class SliceTruth:
    """Ground truth of one slice of a written CT or MR series.

    Parameters
    ----------
    modality : str
        "CT" or "MR".
    study_uid, series_uid, sop_instance_uid : str
    slice_index : int
        Position along the slice normal (row × column direction), 0 = smallest.
    slice_count : int
        Slices in the series.
    instance_number : int
        As written (deliberately not always in geometric order).
    position : tuple of float
        Image Position (Patient), mm.
    orientation : tuple of float
        Image Orientation (Patient), six direction cosines.
    transfer_syntax : str
    """

    modality: str
    study_uid: str
    series_uid: str
    sop_instance_uid: str
    slice_index: int
    slice_count: int
    instance_number: int
    position: tuple[float, float, float]
    orientation: tuple[float, ...]
    transfer_syntax: str

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-ready dict (``kind`` is the lower-case modality)."""
        return {
            "kind": self.modality.lower(),
            "modality": self.modality,
            "study_uid": self.study_uid,
            "series_uid": self.series_uid,
            "sop_instance_uid": self.sop_instance_uid,
            "slice_index": self.slice_index,
            "slice_count": self.slice_count,
            "instance_number": self.instance_number,
            "position": [round(p, 4) for p in self.position],
            "z": round(self.position[2], 4),
            "orientation": [round(o, 6) for o in self.orientation],
            "transfer_syntax": self.transfer_syntax,
        }


def instance_numbers(rng: np.random.Generator, n: int, order: str | None) -> tuple[str, Array]:
    """The order's name and the Instance Number of each acquired slice."""
    if order is None:
        order = str(rng.choice(["acquisition", "reversed", "shuffled"], p=[0.45, 0.15, 0.4]))
    check_choice("instance_order", order, ("acquisition", "reversed", "shuffled"))
    if order == "acquisition":
        return order, np.arange(1, n + 1)
    if order == "reversed":
        return order, np.arange(n, 0, -1)
    return order, rng.permutation(n) + 1


def file_names(rng: np.random.Generator, numbers: Array, shuffled: bool) -> list[str]:
    """File names: ``<instance number>.dcm``, or random hex when ``shuffled``."""
    if not shuffled:
        return [f"{int(k):04d}.dcm" for k in numbers]
    suffix = ".dcm" if rng.random() < 0.5 else ""  # real exports often have none
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < len(numbers):
        name = rng.bytes(4).hex().upper() + suffix
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def index_along_normal(
    acquired: list[tuple[float, Path, SliceTruth]],
) -> list[tuple[Path, SliceTruth]]:
    """Sort ``(normal projection, path, truth)`` along the normal and set each slice index."""
    ordered = sorted(acquired, key=lambda item: item[0])
    result = []
    for index, (_, path, truth) in enumerate(ordered):
        result.append((path, _replace_index(truth, index)))
    return result


def _replace_index(truth: SliceTruth, index: int) -> SliceTruth:
    return SliceTruth(**{**truth.__dict__, "slice_index": index})
