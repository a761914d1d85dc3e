"""What perturbation explanations share: the neutral baseline, batched probabilities,
the faithfulness (deletion) figure, and the rule that a flat map explains nothing.

Baseline
    A region is "removed" by replacing it with what normal tissue would look like
    there, never with a constant: a grey patch is itself a finding on a radiograph
    (laid over aerated lung it is an opacity), so the probability of a nodule or a mass
    *rose* wherever it was put, every drop was negative and the map flat -- the
    failure the occlusion method had. On a frontal chest radiograph the reference is
    the same place on the other side (:func:`mirrored_baseline`), as a radiologist
    compares the lungs: lung for lung, rib for rib, with its texture, and without the
    one-sided lesion. Anywhere else the image's Gaussian blur (:func:`blurred_baseline`)
    keeps the regional intensity and takes away structure smaller than its width.
    :func:`choose_baseline` decides from the image's facts.

Faithfulness
    :func:`measure_deletion` masks the hottest ``fraction`` of a map (over the model
    input) with the same baseline and reads the label's probability again (Samek et
    al., 2017, "deletion"). A map that explains the decision lowers it; one that does
    not, leaves it. Every heatmap carries the figure.

Flat maps
    :func:`find_flat_reason` says why a raw map explains nothing (no positive
    evidence above a floor, or a plateau over most of the image); such a map is never
    shown as an explanation.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt

from core.analysis.preprocess import CropResize, map_heatmap_to_image
from core.i18n import N_, _

if TYPE_CHECKING:
    import torch

FloatArray = npt.NDArray[np.float32]

__all__ = [
    "BASELINES",
    "DELETION_FRACTION",
    "Faithfulness",
    "blurred_baseline",
    "check_model_input",
    "choose_baseline",
    "find_flat_reason",
    "make_baseline",
    "measure_deletion",
    "mirrored_baseline",
    "predict_probabilities",
    "resize_grid",
]

#: What a removed region becomes: the other side's mirror image, or the blurred image.
BASELINES: Final = ("mirror", "blur")
#: Share of the map masked for the faithfulness figure.
DELETION_FRACTION: Final = 0.10
#: Blur width of the baseline as a share of the input's smaller side (8 px at 128).
BASELINE_SIGMA_FRACTION: Final = 1 / 16
#: A plateau at >= 90 % of the maximum over more than this share of the input is flat.
_PLATEAU_SHARE: Final = 0.5
#: The faithfulness line ("masking the top 10% of the map: p 0.62 → 0.21").
_MASKING: Final = N_("masking the top {percent} of the map: p {before} → {after}")


@dataclass(frozen=True)
class Faithfulness:
    """How much the label's probability falls when the hottest part of the map is removed.

    Attributes
    ----------
    fraction : float
        Share of the model input masked (the map's hottest pixels).
    probability : float
        The label's probability on the image as it is.
    masked_probability : float
        The probability with that share replaced by the blurred baseline.
    """

    fraction: float
    probability: float
    masked_probability: float

    @property
    def drop(self) -> float:
        """``probability - masked_probability`` (positive: the map found what mattered)."""
        return self.probability - self.masked_probability

    def describe(self, *, translate: bool = True) -> str:
        """One line for overlays, captions and the CLI, in the current language.

        ``translate=False`` gives the English line that derived DICOM objects and the
        self-test's key images write (:func:`core.analysis.heatmaps.describe_heatmap`).
        """
        text = _(_MASKING) if translate else _MASKING
        return text.format(
            percent=f"{self.fraction:.0%}",
            before=f"{self.probability:.2f}",
            after=f"{self.masked_probability:.2f}",
        )

    def to_json(self) -> dict[str, float]:
        return {
            "masked_fraction": round(self.fraction, 4),
            "probability": round(self.probability, 6),
            "masked_probability": round(self.masked_probability, 6),
            "drop": round(self.drop, 6),
        }

    @classmethod
    def from_json(cls, data: Any) -> Faithfulness | None:
        """The inverse of :meth:`to_json`; None for anything else (an old cache entry)."""
        if not isinstance(data, dict):
            return None
        try:
            return cls(
                float(data["masked_fraction"]),
                float(data["probability"]),
                float(data["masked_probability"]),
            )
        except (KeyError, TypeError, ValueError):
            return None


def check_model_input(tensor: npt.ArrayLike) -> FloatArray:
    """One model input ``(C, H, W)`` as float32, or ValueError naming the shape found."""
    array: FloatArray = np.asarray(tensor, dtype=np.float32)
    if array.ndim != 3 or min(array.shape) < 1:
        raise ValueError(f"tensor must be one (C, H, W) input, found shape {array.shape}")
    return array


def _gaussian_kernel(sigma: float) -> npt.NDArray[np.float32]:
    radius = max(1, math.ceil(3.0 * sigma))
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    kernel: npt.NDArray[np.float64] = np.exp(-0.5 * (x / sigma) ** 2)
    scaled: npt.NDArray[np.float32] = (kernel / kernel.sum()).astype(np.float32)
    return scaled


def _blur_axis(array: FloatArray, kernel: npt.NDArray[np.float32], axis: int) -> FloatArray:
    radius = kernel.size // 2
    pad = [(0, 0)] * array.ndim
    pad[axis] = (radius, radius)
    padded = np.pad(array, pad, mode="reflect" if array.shape[axis] > radius else "edge")
    out = np.zeros_like(array)
    length = array.shape[axis]
    for k, weight in enumerate(kernel):
        out += weight * np.take(padded, np.arange(k, k + length), axis=axis)
    return out


def blurred_baseline(tensor: npt.ArrayLike, sigma: float | None = None) -> FloatArray:
    """The input with structure finer than ``sigma`` removed: a Gaussian blur per channel.

    Parameters
    ----------
    tensor : array_like
        One model input ``(C, H, W)``.
    sigma : float, optional
        Standard deviation in input pixels; default :data:`BASELINE_SIGMA_FRACTION`
        of the smaller side.
    """
    array = check_model_input(tensor)
    width = sigma if sigma is not None else min(array.shape[1:]) * BASELINE_SIGMA_FRACTION
    if not width > 0:
        raise ValueError(f"sigma must be positive, found {sigma!r}")
    kernel = _gaussian_kernel(float(width))
    blurred: FloatArray = _blur_axis(_blur_axis(array, kernel, 1), kernel, 2)
    return blurred


def mirrored_baseline(tensor: npt.ArrayLike) -> FloatArray:
    """The input flipped left to right: each place holds its counterpart on the other side."""
    array = check_model_input(tensor)
    return np.ascontiguousarray(array[:, :, ::-1])


def choose_baseline(body_part: str | None, view_position: str | None) -> str:
    """``"mirror"`` for a frontal (PA/AP) chest image, else ``"blur"``."""
    frontal = (view_position or "").upper() in ("PA", "AP")
    return "mirror" if frontal and (body_part or "").upper() == "CHEST" else "blur"


def make_baseline(tensor: npt.ArrayLike, kind: str) -> FloatArray:
    """The baseline of ``kind`` (one of :data:`BASELINES`) for one input ``(C, H, W)``."""
    if kind == "mirror":
        return mirrored_baseline(tensor)
    if kind == "blur":
        return blurred_baseline(tensor)
    raise ValueError(f"baseline must be one of {', '.join(BASELINES)}, found {kind!r}")


def predict_probabilities(
    network: Any, batch: torch.Tensor | npt.NDArray[np.floating[Any]]
) -> npt.NDArray[np.float64]:
    """Sigmoid outputs ``(N, K)`` of a batch ``(N, C, H, W)``, without autograd."""
    import torch

    tensor = batch if isinstance(batch, torch.Tensor) else torch.from_numpy(np.asarray(batch))
    with torch.inference_mode():
        logits = network(tensor.float().contiguous(memory_format=torch.channels_last))
    return torch.sigmoid(logits).double().numpy()


def resize_grid(grid: npt.ArrayLike, shape: tuple[int, int]) -> FloatArray:
    """A map of any resolution sampled bilinearly over ``shape`` (cell centres aligned)."""

    rows, cols = int(shape[0]), int(shape[1])
    whole = CropResize((rows, cols), (0, 0), (rows, cols), (rows, cols))
    return map_heatmap_to_image(grid, whole)


def _top_mask(values: FloatArray, fraction: float) -> npt.NDArray[np.bool_]:
    flat = values.ravel()
    count = max(1, round(fraction * flat.size))
    order = np.argsort(-flat, kind="stable")[:count]
    mask = np.zeros(flat.size, dtype=bool)
    mask[order] = True
    return mask.reshape(values.shape)


def measure_deletion(
    network: Any,
    tensor: npt.ArrayLike,
    maps: Mapping[int, npt.ArrayLike],
    *,
    baseline: npt.ArrayLike | None = None,
    fraction: float = DELETION_FRACTION,
    reference: npt.NDArray[np.float64] | None = None,
) -> dict[int, Faithfulness]:
    """The faithfulness figure of each map: its label's probability with the map's top
    ``fraction`` of input pixels replaced by the baseline (one batched forward pass).

    Parameters
    ----------
    network : torch.nn.Module
    tensor : array_like
        The model input ``(C, H, W)``.
    maps : dict of int to array_like
        Output index to its map (any resolution; resized over the input).
    baseline : array_like, optional
        What masked pixels become; default :func:`blurred_baseline` of ``tensor``.
    fraction : float, optional
    reference : numpy.ndarray, optional
        The unmasked probabilities ``(K,)`` when already known.
    """
    array = np.asarray(tensor, dtype=np.float32)
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"fraction must be in (0, 1), found {fraction!r}")
    if not maps:
        return {}
    fill = blurred_baseline(array) if baseline is None else np.asarray(baseline, np.float32)
    indices = list(maps)
    batch = np.repeat(array[None], len(indices), axis=0)
    for n, index in enumerate(indices):
        mask = _top_mask(resize_grid(maps[index], array.shape[1:]), fraction)
        batch[n][:, mask] = fill[:, mask]
    if reference is None:
        batch = np.concatenate([array[None], batch])
    probabilities = predict_probabilities(network, batch)
    before = reference if reference is not None else probabilities[0]
    masked = probabilities if reference is not None else probabilities[1:]
    return {
        index: Faithfulness(fraction, float(before[index]), float(masked[n, index]))
        for n, index in enumerate(indices)
    }


def find_flat_reason(raw: npt.ArrayLike, floor: float, method: str) -> str | None:
    """Why a raw map (before scaling to 1) explains nothing, or None when it does.

    Parameters
    ----------
    raw : array_like
        The method's scores in its own units (probability drop, attribution, CAM).
    floor : float
        The smallest maximum that counts as evidence, in those units.
    method : str
        The method's name for the message.
    """
    array = np.asarray(raw, dtype=np.float64)
    array = np.where(np.isfinite(array), array, 0.0)
    top = float(array.max()) if array.size else 0.0
    if not top > floor:
        return _("no explanation: no region of the image raised the probability ({method})").format(
            method=method
        )
    plateau = float(np.mean(array >= 0.9 * top))
    if plateau > _PLATEAU_SHARE:
        return _("no explanation: the {method} map is flat over {share} of the image").format(
            method=method, share=f"{plateau:.0%}"
        )
    return None
