"""Where a model looked: Grad-CAM, occlusion sensitivity and Kernel SHAP, on the original pixels.

Grad-CAM (Selvaraju et al., 2017) weighs the last convolutional feature maps by the
mean gradient of a label's logit over each map and keeps the positive part. The
feature maps are what every built-in network's ``forward_features`` returns: for
DenseNet, ``features.norm5``'s output passed through a ReLU that torchvision applies
functionally and *in place*; the networks here apply it out of place, and this module
never hooks a module or modifies a tensor autograd saved, so the in-place ReLU cannot
corrupt the gradients. Because the heads are global average pooling and a linear
layer, only the head runs with autograd: the features come from the fast
inference-mode forward pass the findings used.

Occlusion sensitivity (Zeiler & Fergus, 2014) is the model-agnostic method: a patch
slides over the input and the drop of the label's probability is credited to the
pixels it covered. The patch holds what normal tissue looks like there -- the other
side of a frontal chest, else the blurred image -- rather than a grey value (a grey
square on lung is itself an opacity: see :mod:`core.analysis.perturb`). Patches of
three sizes (an eighth, three sixteenths and a quarter of the input) are slid and
their maps summed, because a lesion is removed only by a patch that covers it: a
patch smaller than a mass hides its middle and leaves a ring that still reads as a
mass (on 120 unseen radiographs one eighth-size patch pointed at 11 of 20 masses,
the three sizes at 15). A second pass of the smallest patch with stride 1 around each
label's strongest position places the peak to the pixel.

Kernel SHAP over superpixels (:mod:`core.analysis.kernel_shap`) is the LIME/SHAP
family clinicians ask for: each superpixel's Shapley share of the probability,
estimated from random sets of superpixels kept or replaced by the baseline; with the
mirrored baseline, one game per side of the chest, the other side kept as it is.

:func:`compute_explanations` is the one place a method runs: it refuses a flat map
(no explanation is shown rather than a map that points nowhere), scales the rest to
a maximum of 1 and measures each map's faithfulness (the probability with its top
10 % masked). What a map is once made -- its name, its projection onto the original
image and its peak -- is :mod:`core.analysis.heatmaps` (torch-free).
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from os import PathLike
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt

from core.analysis.heatmaps import (
    METHODS,
    Heatmap,
    check_class_indices,
    describe_heatmap,
    find_grid_peak,
    find_heatmap_peak,
    normalize_heatmap,
    project_heatmap,
)
from core.analysis.image import AnalysisImage
from core.analysis.kernel_shap import compute_kernel_shap
from core.analysis.models import LoadedModel, load_model
from core.analysis.perturb import (
    BASELINES,
    blurred_baseline,
    check_model_input,
    choose_baseline,
    find_flat_reason,
    make_baseline,
    measure_deletion,
    predict_probabilities,
)
from core.analysis.preprocess import apply_preprocessing
from core.errors import UsageError
from core.jobs import CancelToken, Job, Progress

if TYPE_CHECKING:
    import torch

    from core.analysis.manifest import ModelPackage
    from core.analysis.perturb import Faithfulness

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float32]

# The torch-free map helpers (core.analysis.heatmaps) are re-exported: callers have
# always found them here.
__all__ = [
    "METHODS",
    "Explanation",
    "Heatmap",
    "compute_explanations",
    "compute_gradcam",
    "compute_occlusion",
    "describe_heatmap",
    "explain_image",
    "find_grid_peak",
    "find_heatmap_peak",
    "normalize_heatmap",
    "project_heatmap",
]

_OCCLUSION_BATCH: Final = 16
#: Occlusion patch sides as shares of the input's smaller side (16, 24, 32 px at 128).
OCCLUSION_SCALES: Final = (1 / 8, 3 / 16, 1 / 4)
#: The refining pass's step is the smallest patch's side over this (1 px at 128).
_REFINE_PATCHES_PER_STEP: Final = 16
#: The smallest probability change a perturbation map must show to explain anything.
_EVIDENCE_FLOOR: Final = 0.002


def compute_gradcam(
    network: Any,
    features: torch.Tensor,
    class_indices: Sequence[int],
    *,
    head: tuple[torch.Tensor, torch.Tensor] | None = None,
) -> dict[int, FloatArray]:
    """Grad-CAM maps over the feature grid for some outputs of a network.

    Parameters
    ----------
    network : torch.nn.Module
        A built-in network (``forward_features``/``forward_head``).
    features : torch.Tensor
        ``network.forward_features(x)`` for one input, shape ``(1, C, h, w)``; an
        ordinary tensor (not created in inference mode) or ``head`` is needed.
    class_indices : sequence of int
        Outputs to explain.
    head : (leaf, logits), optional
        A head already run with autograd on ``leaf`` (a detached copy of
        ``features`` that requires grad), to reuse its graph.

    Returns
    -------
    dict of int to numpy.ndarray
        Per output index, a ``(h, w)`` float32 map in [0, 1] (maximum 1; all zeros
        when no feature map counts for the label).
    """
    import torch

    if not isinstance(features, torch.Tensor) or features.ndim != 4 or features.shape[0] != 1:
        shape = tuple(features.shape) if isinstance(features, torch.Tensor) else None
        raise ValueError(f"features must be a (1, C, h, w) tensor, found {shape}")
    if head is None:
        leaf = features.detach().clone().requires_grad_(True)
        with torch.enable_grad():
            logits = network.forward_head(leaf)
    else:
        leaf, logits = head
    indices = check_class_indices(class_indices, int(logits.shape[1]))
    activations = leaf.detach()[0]
    maps: dict[int, FloatArray] = {}
    for n, index in enumerate(indices):
        (gradient,) = torch.autograd.grad(logits[0, index], leaf, retain_graph=n < len(indices) - 1)
        weights = gradient[0].mean(dim=(1, 2))
        cam = torch.relu(torch.einsum("c,chw->hw", weights, activations))
        maps[index] = normalize_heatmap(cam.float().numpy())
    return maps


def _positions(length: int, patch: int, stride: int) -> list[int]:
    starts = list(range(0, max(length - patch, 0) + 1, stride))
    if starts[-1] + patch < length:  # the last patch reaches the far edge
        starts.append(length - patch)
    return starts


def compute_occlusion(
    network: Any,
    tensor: npt.NDArray[np.floating[Any]],
    class_indices: Sequence[int],
    *,
    patch: int | Sequence[int] | None = None,
    stride: int | None = None,
    baseline: float | npt.NDArray[np.floating[Any]] | None = None,
    refine: bool = True,
    batch_size: int = _OCCLUSION_BATCH,
    token: CancelToken | None = None,
) -> Job[dict[int, FloatArray]]:
    """Multi-scale occlusion sensitivity maps over the model input (a job: yields Progress).

    For each patch size, a ``patch`` x ``patch`` square of the baseline slides over
    the input with half its side as the step; each pixel's score at that scale is the
    mean drop of the label's probability over the patches that covered it, and the
    map is the sum over scales. One scale cannot fit every lesion: a patch smaller
    than a mass hides its middle and leaves a ring, which still reads as a mass (the
    probability *rises*), while a patch much larger than a nodule hides its
    surroundings too. With ``refine``, the smallest patch then slides with stride 1
    (2 at a 256-px input) around each label's strongest position, and a patch half its
    side (about a nodule's size) is centred around the peak that gives, every eighth of
    the smallest side: hiding a small lesion whole and little else, it drops the
    probability most where it covers the most of the lesion, which the sum of the
    larger scales' plateaus alone placed up to half a patch beside it.

    Parameters
    ----------
    network : torch.nn.Module
        Logits out.
    tensor : numpy.ndarray
        One preprocessed input ``(C, H, W)``.
    class_indices : sequence of int
        Outputs to explain.
    patch : int or sequence of int, optional
        Side(s) of the occluding square; default :data:`OCCLUSION_SCALES` of the
        smaller side (16, 24 and 32 at 128: a nodule with its surroundings, a mass, a
        consolidation).
    stride : int, optional
        Step between patches; default half of each patch.
    baseline : float or numpy.ndarray, optional
        What the patch holds: a value, or an input-shaped array; default the blurred
        input (:func:`core.analysis.perturb.blurred_baseline`) -- a constant grey
        patch looks like an opacity on lung and raises the probability instead.
    refine : bool, optional
        Add the stride-1 positions of the smallest patch around each label's
        strongest position, then the pinpointing patches around its peak.
    batch_size : int, optional
        Occluded inputs per forward pass.
    token : CancelToken, optional
        Checked between batches.

    Returns
    -------
    Generator
        Yields Progress; returns ``{index: (H, W) float32}``: the summed mean
        probability drop at each pixel (negative where covering raised the probability).
    """

    array = check_model_input(tensor)
    height, width = int(array.shape[1]), int(array.shape[2])
    if patch is None:
        sides = sorted({max(2, round(min(height, width) * f)) for f in OCCLUSION_SCALES})
    elif isinstance(patch, Sequence) and not isinstance(patch, str | bytes):
        sides = sorted(set(patch))
        if not sides:
            raise ValueError("patch must name at least one size")
    else:
        sides = [patch]  # type: ignore[list-item]
    for name, value in [("patch", s) for s in sides] + [("batch_size", batch_size)]:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, found {value!r}")
    if stride is not None and (
        isinstance(stride, bool) or not isinstance(stride, int) or stride < 1
    ):
        raise ValueError(f"stride must be a positive int, found {stride!r}")
    if sides[-1] > min(height, width):
        raise ValueError(f"patch {sides[-1]} is larger than the input ({height} x {width})")
    if isinstance(class_indices, str | bytes) or not isinstance(class_indices, Sequence):
        raise TypeError(
            f"class_indices must be a sequence of ints, found {type(class_indices).__name__}"
        )
    if baseline is None:
        fill = blurred_baseline(array)
    elif isinstance(baseline, np.ndarray):
        fill = np.asarray(baseline, dtype=np.float32)
        if fill.shape != array.shape:
            raise ValueError(f"baseline shape {fill.shape} is not the input's {array.shape}")
    else:
        fill = np.full(array.shape, float(baseline), dtype=np.float32)
    layout = [(side, stride if stride is not None else max(1, side // 2)) for side in sides]
    return _occlude(
        network,
        array,
        fill,
        list(class_indices),
        (layout, bool(refine)),
        batch_size,
        token or CancelToken(),
    )


def _occlude(
    network: Any,
    array: FloatArray,
    fill: FloatArray,
    class_indices: list[int],
    plan: tuple[list[tuple[int, int]], bool],
    batch_size: int,
    token: CancelToken,
) -> Generator[Any, None, dict[int, FloatArray]]:
    import torch

    layout, refine = plan
    height, width = array.shape[1], array.shape[2]
    source = torch.from_numpy(np.ascontiguousarray(array))
    filler = torch.from_numpy(np.ascontiguousarray(fill))
    reference = predict_probabilities(network, source[None])[0]
    indices = check_class_indices(class_indices, int(reference.shape[0]))
    # Per scale, and a last layer for the pinpointing patches: summed drops over the
    # patches covering each pixel, and their count.
    drops = np.zeros((len(layout) + 1, len(indices), height, width), dtype=np.float64)
    counts = np.zeros((len(layout) + 1, height, width), dtype=np.float64)
    coarse = [
        [
            (top, left)
            for top in _positions(height, side, step)
            for left in _positions(width, side, step)
        ]
        for side, step in layout
    ]
    small, small_step = layout[0]
    # The refining pass moves by one pixel of a 128-px input: 2 px at 256, still well
    # inside the smallest lesion, at a quarter of the passes.
    fine_step = max(1, small // _REFINE_PATCHES_PER_STEP)
    span = len(range(0, 2 * small_step - 1, fine_step))
    fine_count = len(indices) * span**2 if refine and small_step > fine_step else 0
    # Then a patch half the smallest one's side (16 px at 256: a whole nodule, little
    # else) pinpoints the peak, centred every eighth of the smallest side within half
    # its side of the peak: its drop is largest where it covers the most of the lesion.
    pin, pin_step = max(1, small // 2), max(1, small // 8)
    pin_offsets = range(-(small // 2), small // 2 + 1, pin_step)
    pin_count = len(indices) * len(pin_offsets) ** 2 if refine else 0
    total = sum(len(boxes) for boxes in coarse) + fine_count + pin_count
    done = 0

    def sweep(scale: int, boxes: list[tuple[int, int]]) -> Generator[Any, None, None]:
        nonlocal done
        side = layout[scale][0] if scale < len(layout) else pin
        for start in range(0, len(boxes), batch_size):
            token.raise_if_cancelled()
            chunk = boxes[start : start + batch_size]
            batch = source[None].repeat(len(chunk), 1, 1, 1)
            for n, (top, left) in enumerate(chunk):
                window = (slice(None), slice(top, top + side), slice(left, left + side))
                batch[n][window] = filler[window]
            probabilities = predict_probabilities(network, batch)
            for n, (top, left) in enumerate(chunk):
                drop = reference[indices] - probabilities[n, indices]
                drops[scale, :, top : top + side, left : left + side] += drop[:, None, None]
                counts[scale, top : top + side, left : left + side] += 1.0
            done += len(chunk)
            yield Progress(min(done, total), total, "Occlusion sensitivity")

    def combine() -> npt.NDArray[np.float64]:
        summed: npt.NDArray[np.float64] = (drops / np.maximum(counts, 1.0)[:, None]).sum(axis=0)
        return summed

    for scale, boxes in enumerate(coarse):
        yield from sweep(scale, boxes)
    if fine_count:
        mean = combine()
        seen = set(coarse[0])
        fine: list[tuple[int, int]] = []
        for n in range(len(indices)):
            row, col = np.unravel_index(int(np.argmax(mean[n])), mean[n].shape)
            top0 = int(np.clip(row - small // 2, 0, height - small))
            left0 = int(np.clip(col - small // 2, 0, width - small))
            for top in range(
                max(0, top0 - small_step + 1),
                min(height - small, top0 + small_step - 1) + 1,
                fine_step,
            ):
                for left in range(
                    max(0, left0 - small_step + 1),
                    min(width - small, left0 + small_step - 1) + 1,
                    fine_step,
                ):
                    if (top, left) not in seen:
                        seen.add((top, left))
                        fine.append((top, left))
        total = done + len(fine) + pin_count
        yield from sweep(0, fine)
    if pin_count:
        mean = combine()
        pins: set[tuple[int, int]] = set()
        for n in range(len(indices)):
            row, col = np.unravel_index(int(np.argmax(mean[n])), mean[n].shape)
            for dr in pin_offsets:
                for dc in pin_offsets:
                    top = int(np.clip(row + dr - pin // 2, 0, height - pin))
                    left = int(np.clip(col + dc - pin // 2, 0, width - pin))
                    pins.add((top, left))
        total = done + len(pins)
        yield from sweep(len(layout), sorted(pins))
    mean = combine()
    return {index: mean[n].astype(np.float32) for n, index in enumerate(indices)}


@dataclass(frozen=True, eq=False)
class Explanation:
    """One label's map as a method made it, checked before anyone sees it.

    Attributes
    ----------
    grid : numpy.ndarray or None
        float32 in [0, 1] over the model input (1 at the peak); None when the map
        explains nothing (:attr:`note` says why) -- a flat map is never shown.
    note : str or None
        Why there is no map.
    faithfulness : Faithfulness or None
        The deletion figure of the map (None without a map).
    """

    grid: FloatArray | None = field(repr=False)
    note: str | None = None
    faithfulness: Faithfulness | None = None


def compute_explanations(
    method: str,
    network: Any,
    tensor: npt.NDArray[np.floating[Any]],
    class_indices: Sequence[int],
    *,
    features: torch.Tensor | None = None,
    head: tuple[torch.Tensor, torch.Tensor] | None = None,
    reference: npt.NDArray[np.float64] | None = None,
    baseline: str = "blur",
    token: CancelToken | None = None,
) -> Generator[Any, None, dict[int, Explanation]]:
    """Maps for some outputs by one method, flat ones refused, each with its faithfulness.

    The one place a method is chosen: the analysis, :func:`explain_image`, the
    evaluation and the benchmark all come here.

    Parameters
    ----------
    method : str
        A key of :data:`METHODS`.
    network : torch.nn.Module
    tensor : numpy.ndarray
        The preprocessed input ``(C, H, W)``.
    class_indices : sequence of int
    features, head : optional
        Grad-CAM's inputs when the forward pass already ran (else computed here).
    reference : numpy.ndarray, optional
        The input's probabilities ``(K,)`` when known.
    baseline : {"blur", "mirror"}, optional
        What a removed region becomes (:func:`core.analysis.perturb.choose_baseline`),
        for the perturbation methods and the faithfulness figure.
    token : CancelToken, optional
    """

    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, found {method!r}")
    token = token or CancelToken()
    indices = list(class_indices)
    array = np.asarray(tensor, dtype=np.float32)
    fill = make_baseline(array, baseline)
    if method == "gradcam":
        import torch

        if features is None:
            with torch.inference_mode():
                features = network.forward_features(torch.from_numpy(array)[None])
            features = features.clone()
        yield Progress(0, 1, METHODS[method])
        raw = compute_gradcam(network, features, indices, head=head)
        floor = 0.0
    elif method == "occlusion":
        raw = yield from compute_occlusion(network, array, indices, baseline=fill, token=token)
        floor = _EVIDENCE_FLOOR
    else:
        # The mirrored image holds every one-sided lesion on the other side: each
        # side is explained with the other one present (see compute_kernel_shap).
        raw = yield from compute_kernel_shap(
            network, array, indices, baseline=fill, halves=baseline == "mirror", token=token
        )
        floor = _EVIDENCE_FLOOR
    notes = {i: find_flat_reason(raw[i], floor, METHODS[method]) for i in indices}
    grids = {i: normalize_heatmap(raw[i]) for i in indices if notes[i] is None}
    token.raise_if_cancelled()
    scores = measure_deletion(network, array, grids, baseline=fill, reference=reference)
    return {i: Explanation(grids.get(i), notes[i], scores.get(i)) for i in indices}


def explain_image(
    model_ref: LoadedModel | ModelPackage | str | PathLike[str],
    image: AnalysisImage | npt.NDArray[Any],
    labels: Sequence[str],
    *,
    bits_stored: int | None = None,
    method: str = "gradcam",
    baseline: str | None = None,
    token: CancelToken | None = None,
) -> Job[dict[str, Heatmap]]:
    """Heatmaps for chosen labels, whatever their verdict (a job).

    :func:`~core.analysis.inference.analyze_image` makes heatmaps for positive
    findings only; this is for comparing methods and for evaluation (the pointing
    game on every true lesion).

    Parameters
    ----------
    model_ref : LoadedModel, ModelPackage, str or Path
    image : AnalysisImage or numpy.ndarray
        The image as the viewer shows it (MONOCHROME1 corrected); a bare array
        needs ``bits_stored``.
    labels : sequence of str
        Labels of the model to explain.
    bits_stored : int, optional
    method : str, optional
        A key of :data:`METHODS`.
    baseline : {"blur", "mirror"}, optional
        Default: from the AnalysisImage's facts
        (:func:`core.analysis.perturb.choose_baseline`), "blur" for a bare array.
    token : CancelToken, optional

    Returns
    -------
    Generator
        Yields Progress; returns ``{label: Heatmap}``.
    """

    bits: int | None
    if isinstance(image, AnalysisImage):
        values = image.values
        bits = bits_stored if bits_stored is not None else image.bits_stored
        if baseline is None:
            baseline = choose_baseline(image.facts.body_part, image.facts.view_position)
    elif isinstance(image, np.ndarray):
        values, bits = image, bits_stored
    else:
        raise TypeError(f"image must be an AnalysisImage or array, found {type(image).__name__}")
    if bits is None:
        raise UsageError("bits_stored is needed to normalise a bare array of image values")
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, found {method!r}")
    baseline = baseline or "blur"
    if baseline not in BASELINES:
        raise ValueError(f"baseline must be one of {', '.join(BASELINES)}, found {baseline!r}")
    if isinstance(labels, str) or not isinstance(labels, Sequence):
        raise TypeError(f"labels must be a sequence of str, found {type(labels).__name__}")
    loaded = model_ref if isinstance(model_ref, LoadedModel) else load_model(model_ref)
    known = loaded.manifest.labels
    unknown = [label for label in labels if label not in known]
    if unknown:
        raise ValueError(
            f"{loaded.manifest.display_name} has no label(s) {', '.join(map(repr, unknown))}"
        )
    return _explain(
        loaded, values, int(bits), list(labels), (method, baseline), token or CancelToken()
    )


def _explain(
    loaded: LoadedModel,
    values: npt.NDArray[Any],
    bits_stored: int,
    labels: list[str],
    choice: tuple[str, str],
    token: CancelToken,
) -> Generator[Any, None, dict[str, Heatmap]]:
    manifest = loaded.manifest
    method, baseline = choice
    yield Progress(0, 2, "Preparing the image")
    tensor, geometry = apply_preprocessing(values, bits_stored, manifest.input)
    token.raise_if_cancelled()
    indices = [manifest.labels.index(label) for label in labels]
    explained = yield from compute_explanations(
        method,
        loaded.network,
        tensor,
        indices,
        features=loaded.run_features(tensor) if method == "gradcam" else None,
        baseline=baseline,
        token=token,
    )
    result = {}
    for label, index in zip(labels, indices, strict=True):
        item = explained[index]
        heatmap = peak = None
        if item.grid is not None:
            heatmap, peak = project_heatmap(item.grid, geometry)
        result[label] = Heatmap(
            label, method, item.grid, heatmap, peak, item.note, item.faithfulness
        )
    yield Progress(2, 2, "Done")
    return result
