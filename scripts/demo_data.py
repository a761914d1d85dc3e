"""Synthetic chest radiographs for the demo model: one sampler for training and evaluation.

Every case is written as DICOM by :func:`core.synthetic.write_cxr` and read back through
the viewer's pixel pipeline (:func:`core.dicom.pixels.read_frame_values`, MONOCHROME1
corrected), so the network is trained and evaluated on exactly what it is given in the
app. Cases are drawn like ``core.synthetic.write_synthetic(kind="cxr")`` draws them
(35 % CR, 30 % MONOCHROME1, 12–16 bits stored, 0–2 random lesions of distinct kinds),
except that only frontal views (PA 5 : AP 2) are drawn: the model's applicability gate
turns laterals away.

Splits are disjoint by construction: case ``i`` of split ``s`` is drawn from
``numpy.random.default_rng([ENTROPY, SPLIT_SALT[s], i])``, so no two splits share a
random stream.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pydicom

from core.analysis.inference import AnalysisImage, read_analysis_image
from core.synthetic import LESION_LABELS, CxrTruth, write_cxr

logger = logging.getLogger(__name__)

Array = npt.NDArray[Any]

#: Fixed entropy shared by every split; the salt separates them.
ENTROPY: Final = 20_251_122
#: Split → salt. "evaluation" is the 200-image held-out set of the model card;
#: "test" the small set of tests/core/test_demo_model.py; "explanation" the pointing
#: game of every heatmap method (scripts/evaluate_explanations.py).
SPLIT_SALT: Final = {"train": 1, "validation": 2, "evaluation": 3, "test": 4, "explanation": 5}
#: Image sides drawn (square images, as written by write_synthetic).
SIDES: Final = (384, 448, 512)


@dataclass(frozen=True)
class Case:
    """One synthetic radiograph as the analysis sees it.

    Attributes
    ----------
    image : AnalysisImage
        What :func:`core.analysis.inference.read_analysis_image` makes of the written
        file: modality-LUT values, MONOCHROME1 corrected, Bits Stored, gate facts.
    truth : CxrTruth
        What was drawn, in the image's pixel coordinates.
    split, index : str, int
        Where the case comes from.
    """

    image: AnalysisImage
    truth: CxrTruth
    split: str
    index: int

    @property
    def targets(self) -> Array:
        """Multi-hot ``(6,)`` uint8 in :data:`core.synthetic.LESION_LABELS` order."""
        present = set(self.truth.labels)
        return np.array([label in present for label in LESION_LABELS], dtype=np.uint8)


def case_rng(split: str, index: int) -> np.random.Generator:
    """The random stream of case ``index`` of ``split``."""
    if split not in SPLIT_SALT:
        raise ValueError(f"split must be one of {sorted(SPLIT_SALT)}, found {split!r}")
    return np.random.default_rng([ENTROPY, SPLIT_SALT[split], int(index)])


def make_case(split: str, index: int) -> Case:
    """Draw, write and read back case ``index`` of ``split``."""
    rng = case_rng(split, index)
    view = "PA" if rng.random() < 5 / 7 else "AP"
    modality = "CR" if rng.random() < 0.35 else "DX"
    monochrome = 1 if rng.random() < 0.3 else 2
    bits_stored = int(rng.integers(12, 17))
    side = int(rng.choice(SIDES))
    with tempfile.TemporaryDirectory(prefix="radassist-demo-") as tmp:
        path = Path(tmp) / "case.dcm"
        truth = write_cxr(
            path,
            rng,
            modality=modality,
            view=view,
            monochrome=monochrome,
            bits_stored=bits_stored,
            size=side,
            lesions="random",
        )
        image = read_analysis_image(pydicom.dcmread(path), source=f"{split}-{index}")
    return Case(image=image, truth=truth, split=split, index=index)


def iter_cases(split: str, start: int, count: int) -> Iterator[Case]:
    """Cases ``start .. start+count-1`` of ``split``, in order."""
    for index in range(start, start + count):
        yield make_case(split, index)


def _prepare(job: tuple[str, int, Callable[[Case], tuple[Array, ...]]]) -> tuple[Array, ...]:
    split, index, prepare = job
    return prepare(make_case(split, index))


def build_arrays(
    split: str,
    count: int,
    prepare: Callable[[Case], tuple[Array, ...]],
    *,
    workers: int = 2,
) -> tuple[Array, ...]:
    """Render cases ``0 .. count-1`` of ``split`` and stack what ``prepare`` makes of each.

    ``prepare`` (picklable: a module-level function) turns a case into a tuple of
    arrays; the result holds each of them stacked over the cases, in case order.
    Rendering runs in ``workers`` processes (1: in this one).
    """
    jobs = [(split, i, prepare) for i in range(count)]
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            results = list(pool.map(_prepare, jobs, chunksize=16))
    else:
        results = [_prepare(job) for job in jobs]
    return tuple(np.stack(column) for column in zip(*results, strict=True))
