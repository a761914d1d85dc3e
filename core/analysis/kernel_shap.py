"""Kernel SHAP over superpixels: the LIME/SHAP family of explanations, model-agnostic.

Lundberg & Lee (2017) showed that LIME's weighted linear surrogate gives Shapley
values when its weights are the Shapley kernel

    pi(z) = (M - 1) / (C(M, |z|) |z| (M - |z|))

over coalitions ``z`` of ``M`` features. The features here are superpixels
(:func:`core.analysis.superpixels.compute_slic`): a coalition keeps its superpixels
and replaces the others with the blurred baseline (:mod:`core.analysis.perturb`),
and the network gives the label's probability. Coalitions are drawn from the kernel
itself (size ``s`` with probability proportional to ``(M - 1) / (s (M - s))``, then a
uniform subset), each with its complement (paired sampling halves the variance), so
the regression is unweighted; the efficiency constraint (the values add up to
``f(all) - f(none)``) is imposed by elimination, with a light ridge.

With the mirrored baseline (:func:`core.analysis.perturb.mirrored_baseline`) a removed
superpixel holds its counterpart on the other side -- normal tissue only while that
side is there as it is. With every superpixel removed the image is the mirrored
image, which shows a one-sided lesion again, on the other side (on 120 unseen
radiographs the mean probability of effusion and pneumothorax stayed 1.00, of a mass
went from 0.45 to 0.56), so ``f(all) - f(none)`` is about nothing and the game had
nothing to share out. With ``halves`` each side of the image is one game whose
players are its superpixels, the other side kept (Kernel SHAP pointed at 52 of 67
large lesions before, 62 after; pneumothorax 10 of 20, then 19).

A superpixel holds a lesion and its surroundings, which would put the peak beside a
small lesion, so the estimate is repeated over segmentations whose seed grids are
shifted (by half and a quarter of a step); each pixel's value is the mean of its
superpixels' values, which is largest where the superpixels that matter overlap.

Even so a coarse superpixel is some 21 input pixels across at 128 (43 at 256), and a
nodule a few: the peak lands in the right superpixel but not on the nodule. So each
label then plays refining games, hierarchically (as h-SHAP, Teneggi et al. 2022, does
with quadrants): a window two superpixel steps wide around the peak so far is cut into
:data:`REFINE_SEGMENTS` superpixels of their own, everything outside the window kept,
and their Shapley values are added to the map inside the window. Each game's
superpixels have half the side of the game's before; the games go on down to
:data:`REFINE_FINEST` of the input (three games at 128 and at 256 px). The values of a
game add up to what removing its window costs, so a lesion's superpixel gets about the
same share at every level and the finest game places the peak.

Cost: ``segmentations * samples`` forward passes per image (split between the games
when ``halves``, plus one per game for its empty coalition), shared by every label,
and ``REFINE_SAMPLES + 2`` per refining game and label.
"""

from __future__ import annotations

import math
from collections.abc import Generator, Sequence
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from core.analysis.heatmaps import check_class_indices as _check_indices
from core.analysis.heatmaps import find_heatmap_peak
from core.analysis.perturb import blurred_baseline, check_model_input, predict_probabilities
from core.analysis.superpixels import compute_slic
from core.jobs import CancelToken, Job, Progress

__all__ = ["compute_kernel_shap"]

FloatArray = npt.NDArray[np.float32]

#: Superpixels per segmentation (about 21 x 21 input pixels each at 128): with more,
#: the same number of coalitions estimates each value worse (on 40 unseen radiographs
#: 256 superpixels pointed at 17 of 32 lesions, 36 over three segmentations at 22).
SEGMENTS: Final = 36
#: Coalitions per segmentation (pairs count twice).
SAMPLES: Final = 256
SEGMENTATION_OFFSETS: Final = (0.5, 0.0, 0.25)
_RIDGE: Final = 1e-3
_BATCH: Final = 16
#: The refining games: superpixels in the window around the peak so far, and coalitions.
REFINE_SEGMENTS: Final = 16
REFINE_SAMPLES: Final = 64
#: The window's side, in steps of the game before (coarse superpixels, then the last
#: refining game's): each game halves the superpixels' side.
REFINE_WINDOW_STEPS: Final = 2.0
#: Refining games are played down to superpixels of about this share of the input's
#: smaller side (5 px at 256, three games after the coarse one).
REFINE_FINEST: Final = 1 / 50


def _draw_coalitions(
    rng: np.random.Generator, features: int, samples: int
) -> npt.NDArray[np.bool_]:
    sizes = np.arange(1, features)
    weights = (features - 1) / (sizes * (features - sizes))
    weights /= weights.sum()
    half = max(1, samples // 2)
    drawn = rng.choice(sizes, size=half, p=weights)
    coalitions = np.zeros((2 * half, features), dtype=bool)
    for n, size in enumerate(drawn):
        keep = rng.choice(features, size=int(size), replace=False)
        coalitions[2 * n, keep] = True
        coalitions[2 * n + 1] = ~coalitions[2 * n]
    return coalitions


def _solve(
    coalitions: npt.NDArray[np.bool_], outputs: npt.NDArray[np.float64], full: float, empty: float
) -> npt.NDArray[np.float64]:
    """Shapley values of one label from the sampled coalitions (efficiency imposed)."""
    z = coalitions.astype(np.float64)
    features = z.shape[1]
    total = full - empty
    target = outputs - empty - z[:, -1] * total
    design = z[:, :-1] - z[:, -1:]
    gram = design.T @ design + _RIDGE * np.eye(features - 1)
    head = np.linalg.solve(gram, design.T @ target)
    return np.append(head, total - head.sum())


def compute_kernel_shap(
    network: Any,
    tensor: npt.NDArray[np.floating[Any]],
    class_indices: Sequence[int],
    *,
    segments: int = SEGMENTS,
    samples: int = SAMPLES,
    offsets: Sequence[float] = SEGMENTATION_OFFSETS,
    baseline: npt.NDArray[np.floating[Any]] | None = None,
    seed: int = 0,
    halves: bool = False,
    refine: bool = True,
    token: CancelToken | None = None,
) -> Job[dict[int, FloatArray]]:
    """Kernel-SHAP maps over the model input (a job: yields Progress).

    Parameters
    ----------
    network : torch.nn.Module
        Logits out.
    tensor : numpy.ndarray
        One preprocessed input ``(C, H, W)``.
    class_indices : sequence of int
        Outputs to explain.
    segments : int, optional
        Superpixels per segmentation.
    samples : int, optional
        Coalitions per segmentation.
    offsets : sequence of float, optional
        Seed-grid offsets, one segmentation each.
    baseline : numpy.ndarray, optional
        What a removed superpixel becomes; default :func:`blurred_baseline`.
    seed : int, optional
        The coalitions' random stream (the same image gives the same map).
    halves : bool, optional
        Play one game per half of the image (left, right), the other half kept as it
        is: for a baseline that holds the other side (the mirrored image), so that
        removing one side's superpixels puts the other side's *present* content there
        -- with both sides removed at once, the mirrored image holds every one-sided
        lesion again, on the other side, and the game has nothing to share out.
    refine : bool, optional
        Play the refining games around each label's peak (see the module docstring).
    token : CancelToken, optional
        Checked between batches.

    Returns
    -------
    Generator
        Yields Progress; returns ``{index: (H, W) float32}``: each pixel's mean
        Shapley value over its superpixels, in probability units (may be negative).
    """
    array = check_model_input(tensor)
    for name, value in (("segments", segments), ("samples", samples)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 2:
            raise ValueError(f"{name} must be an int >= 2, found {value!r}")
    if not offsets:
        raise ValueError("offsets must name at least one segmentation")
    if isinstance(class_indices, str | bytes) or not isinstance(class_indices, Sequence):
        raise TypeError(
            f"class_indices must be a sequence of ints, found {type(class_indices).__name__}"
        )
    fill = blurred_baseline(array) if baseline is None else np.asarray(baseline, np.float32)
    if fill.shape != array.shape:
        raise ValueError(f"baseline shape {fill.shape} is not the input's {array.shape}")
    return _run(
        network,
        array,
        fill,
        list(class_indices),
        segments,
        samples,
        list(offsets),
        seed,
        token or CancelToken(),
        bool(halves),
        bool(refine),
    )


def _run(
    network: Any,
    array: FloatArray,
    fill: FloatArray,
    indices: list[int],
    segments: int,
    samples: int,
    offsets: list[float],
    seed: int,
    token: CancelToken,
    halves: bool = False,
    refine: bool = True,
) -> Generator[Any, None, dict[int, FloatArray]]:

    reference = predict_probabilities(network, array[None])
    indices = _check_indices(indices, int(reference.shape[1]))
    intensity = array.mean(axis=0)
    width = array.shape[2]
    rng = np.random.default_rng(seed)
    sums = np.zeros((len(indices), *array.shape[1:]), dtype=np.float64)
    sides = _refining_windows(array.shape[1:], segments) if refine else []
    total = len(offsets) * samples + REFINE_SAMPLES * len(indices) * len(sides)
    done = 0
    for offset in offsets:
        labels = compute_slic(intensity, segments, offset=offset)
        features = int(labels.max()) + 1
        if features < 2:
            continue
        if halves:
            # Each superpixel belongs to the side its centroid lies on.
            columns = np.bincount(
                labels.ravel(), weights=np.indices(labels.shape)[1].ravel(), minlength=features
            ) / np.maximum(np.bincount(labels.ravel(), minlength=features), 1)
            groups = [np.flatnonzero(columns < width / 2), np.flatnonzero(columns >= width / 2)]
            groups = [g for g in groups if g.size >= 2] or [np.arange(features)]
        else:
            groups = [np.arange(features)]
        for group in groups:
            count = max(2, samples // len(groups))
            # Removed: the group's superpixels not in the coalition; the rest stay.
            player = np.full(features, -1, dtype=np.int64)
            player[group] = np.arange(group.size)
            where = player[labels]  # (H, W): the player a pixel belongs to, or -1
            coalitions = _draw_coalitions(rng, group.size, count)
            empty = np.where((where >= 0)[None], fill, array)
            ends = np.concatenate([reference, predict_probabilities(network, empty[None])])
            outputs = np.zeros((len(coalitions), len(indices)), dtype=np.float64)
            for start in range(0, len(coalitions), _BATCH):
                token.raise_if_cancelled()
                chunk = coalitions[start : start + _BATCH]
                keep = np.where(where[None] >= 0, chunk[:, np.maximum(where, 0)], True)
                batch = np.where(keep[:, None], array[None], fill[None])
                outputs[start : start + len(chunk)] = predict_probabilities(network, batch)[
                    :, indices
                ]
                done += len(chunk)
                yield Progress(min(done, total), total, "Kernel SHAP")
            for n, index in enumerate(indices):
                values = _solve(
                    coalitions, outputs[:, n], float(ends[0, index]), float(ends[1, index])
                )
                pixel = np.where(where >= 0, values[np.maximum(where, 0)], 0.0)
                sums[n] += pixel
    maps = sums / len(offsets)
    for n, index in enumerate(indices):
        for side in sides:
            if not float(maps[n].max()) > 0.0:
                done += REFINE_SAMPLES
                continue
            window = _window(find_heatmap_peak(maps[n]), side, array.shape[1:])
            fine = yield from _refine(
                network, array, fill, index, window, intensity, rng, token, done, total
            )
            maps[n][window] += fine
            done += REFINE_SAMPLES
    return {index: maps[n].astype(np.float32) for n, index in enumerate(indices)}


def _refining_windows(shape: tuple[int, ...], segments: int) -> list[int]:
    """The refining games' window sides, coarsest first (each game's superpixels are
    half the side of the game's before), down to :data:`REFINE_FINEST`."""
    step = math.sqrt(shape[0] * shape[1] / segments)
    finest = min(shape[0], shape[1]) * REFINE_FINEST
    sides: list[int] = []
    while True:
        side = max(2, round(REFINE_WINDOW_STEPS * step))
        step = side / math.sqrt(REFINE_SEGMENTS)
        if step < finest or (sides and side >= sides[-1]):
            return sides
        sides.append(side)


def _window(centre: tuple[int, int], side: int, shape: tuple[int, ...]) -> tuple[slice, slice]:
    """A ``side``-square window around ``centre``, moved inside ``shape``."""
    spans = []
    for c, size in zip(centre, shape, strict=True):
        extent = min(side, size)
        start = int(np.clip(c - extent // 2, 0, size - extent))
        spans.append(slice(start, start + extent))
    return (spans[0], spans[1])


def _refine(
    network: Any,
    array: FloatArray,
    fill: FloatArray,
    index: int,
    window: tuple[slice, slice],
    intensity: FloatArray,
    rng: np.random.Generator,
    token: CancelToken,
    done: int,
    total: int,
) -> Generator[Any, None, npt.NDArray[np.float64]]:
    """The refining game of one label inside ``window``: its pixels' Shapley values."""
    labels = compute_slic(intensity[window], REFINE_SEGMENTS)
    features = int(labels.max()) + 1
    if features < 2:
        return np.zeros(labels.shape, dtype=np.float64)
    inside = np.zeros(array.shape[1:], dtype=bool)
    inside[window] = True
    empty = np.where(inside[None], fill, array)
    ends = predict_probabilities(network, np.stack([array, empty]))[:, index]
    coalitions = _draw_coalitions(rng, features, REFINE_SAMPLES)
    outputs = np.zeros(len(coalitions), dtype=np.float64)
    for start in range(0, len(coalitions), _BATCH):
        token.raise_if_cancelled()
        chunk = coalitions[start : start + _BATCH]
        batch = np.repeat(array[None], len(chunk), axis=0)
        keep = chunk[:, labels]  # (n, h, w) within the window
        batch[(slice(None), slice(None), *window)] = np.where(
            keep[:, None], array[(slice(None), *window)][None], fill[(slice(None), *window)][None]
        )
        outputs[start : start + len(chunk)] = predict_probabilities(network, batch)[:, index]
        yield Progress(min(done + start + len(chunk), total), total, "Kernel SHAP")
    values = _solve(coalitions, outputs, float(ends[0]), float(ends[1]))
    pixel: npt.NDArray[np.float64] = values[labels]
    return pixel
