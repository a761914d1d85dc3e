"""Run a model package on the image the viewer shows: findings, verdicts, heatmaps.

:func:`analyze_image` is a job (:mod:`core.jobs`): it takes a cancel token, yields
:class:`~core.jobs.Progress` and returns an :class:`AnalysisResult`. The image is
what the viewer displays before VOI (house plan, "The pixel pipeline"): modality-LUT
values, MONOCHROME1 already turned the MONOCHROME2 way round (bright = dense), with
the Bits Stored that TorchXRayVision's normalisation divides by.
:func:`read_analysis_image` and :func:`analysis_image_from_record` build that from a
dataset or from a loaded volume's values.

Steps: the package is verified (hashes) and its manifest's gate checked
(:func:`~core.analysis.applicability.check_applicability`) before torch is
imported, so an image the model does not apply to is answered without loading it;
then the cache, the network, preprocessing, one forward pass, the verdicts, and a
Grad-CAM (or occlusion) heatmap per positive finding mapped back onto the
original pixels.

Speed (DenseNet-121, 18 labels, 1 x 1 x 224 x 224, CPU, 2 threads, torch 2.13, median
of 30 interleaved runs on the 2-core build machine; ratios against eager ``no_grad``)::

    eager, no_grad                        96.5 ms   1.00
    eager, inference_mode                 95.4 ms   0.99
    channels_last, inference_mode         61.7 ms   0.64   <- kept
    jit.trace + jit.freeze                77.4 ms   0.80   (+ 21 s to trace and freeze)
    jit.trace + freeze, channels_last     53.8 ms   0.56   (+ 8 s to trace and freeze)

channels-last with inference mode is kept: a frozen trace saves a further ~8 ms per
image but costs 8-20 s at every model load (it cannot be cached on disk without a
pickle-based TorchScript archive, house rule 7), torch 2.13 deprecates ``torch.jit``,
and a trace cannot return the feature maps Grad-CAM needs. channels-last also wins
on the demo's densenet-small (128 px: 10.2 → 6.2 ms) and on ResNet-50 at 512 px
(338 → 283 ms). Grad-CAM reuses the forward pass: the features come from the fast
inference-mode pass and only the classifier head runs with autograd, so a heatmap
costs a few milliseconds, not a second forward pass.

Results are cached by :mod:`core.analysis.result_cache` (in memory and, encrypted at
rest, on disk).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt

from core.analysis.applicability import ImageFacts, check_applicability, facts_from_dataset
from core.analysis.explain import Explanation, compute_explanations
from core.analysis.heatmaps import METHODS, project_heatmap
from core.analysis.image import (
    AnalysisImage,
    analysis_image_from_record,
    apply_monochrome1_correction,
    find_value_range,
    read_analysis_image,
)
from core.analysis.manifest import DEMO_BANNER, ModelPackage
from core.analysis.models import (
    LoadedModel,
    clear_loaded_models,
    load_model,
    resolve_package,
)
from core.analysis.perturb import Faithfulness, choose_baseline
from core.analysis.preprocess import apply_preprocessing
from core.analysis.result_cache import (
    CacheEntry,
    cache_key,
    clear_results,
    lookup_result,
    store_result,
)
from core.dicom.isolated_read import read_analysis_values, read_header
from core.dicom.records import FileRef
from core.errors import DicomReadError, UsageError
from core.jobs import CancelToken, Job, Progress

if TYPE_CHECKING:
    import torch

    from core.analysis.registry import ModelRegistry

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float32]

# The analysis image (core.analysis.image) and model loading (core.analysis.models)
# are re-exported: this is where callers have always found them.
__all__ = [
    "HEATMAP_METHODS",
    "AnalysisImage",
    "AnalysisResult",
    "Finding",
    "LoadedModel",
    "Verdict",
    "analysis_image_from_record",
    "analyze_dataset_file",
    "analyze_image",
    "apply_monochrome1_correction",
    "clear_caches",
    "decide_verdict",
    "find_value_range",
    "load_model",
    "read_analysis_image",
    "resolve_package",
    "result_to_json",
]

#: Heatmap methods :func:`analyze_image` knows (None: no heatmaps): explain.METHODS' keys.
HEATMAP_METHODS: Final = tuple(METHODS)


class Verdict(StrEnum):
    """A finding's verdict against the model's operating threshold."""

    POSITIVE = "positive"
    INDETERMINATE = "indeterminate"
    NEGATIVE = "negative"


@dataclass(frozen=True, eq=False)
class Finding:
    """One label's result.

    Attributes
    ----------
    label : str
        The label, as the manifest names it.
    probability : float
        Sigmoid of the label's logit, in [0, 1].
    threshold : float
        The manifest's operating threshold for the label.
    verdict : Verdict
        Positive at or above the threshold, indeterminate within the manifest's
        ``indeterminate_margin`` below it, negative otherwise.
    heatmap : numpy.ndarray or None
        float32 in [0, 1] (1 at the peak), the original image's shape (the
        ``values`` analysed), 0 outside the model's crop; for positive findings.
    heatmap_peak : (int, int) or None
        ``(row, col)`` of the heatmap's maximum in original pixels.
    explanation_note : str or None
        Why a positive finding has no heatmap: the method's map was flat (never
        shown as an explanation).
    faithfulness : Faithfulness or None
        The heatmap's deletion figure: the probability with its top 10 % masked.
    """

    label: str
    probability: float
    threshold: float
    verdict: Verdict
    heatmap: FloatArray | None = field(default=None, repr=False)
    heatmap_peak: tuple[int, int] | None = None
    explanation_note: str | None = None
    faithfulness: Faithfulness | None = None


@dataclass(frozen=True, eq=False)
class AnalysisResult:
    """What a model said about one image.

    Attributes
    ----------
    model_name, model_version : str
        From the manifest; every finding carries them (house rule 9).
    model_sha256 : str
        The package's SHA-256 (of its manifest, which pins every file).
    is_demo : bool
        True for a model trained on synthetic images: show :attr:`banner`.
    skipped : str or None
        Why the model was not run ("lateral view", "patient under 18", "CT not
        supported by this model"); None when it ran.
    findings : tuple of Finding
        Visible labels only (heads the model was not trained for are hidden),
        most probable first; empty when skipped.
    timings : mapping of str to float
        Seconds: ``"load"`` (model), ``"preprocess"``, ``"forward"``, ``"heatmap"``
        and ``"total"``; from the original run when the result came from the cache.
    heatmap_method : str or None
        A key of :data:`core.analysis.explain.METHODS`, or None when no heatmaps
        were asked for.
    intended_use : str
        The manifest's intended use.
    sop_instance_uid : str or None
    frame : int
    image_shape : (int, int)
        Rows and columns of the analysed values (the heatmaps' shape).
    from_cache : bool
        True when the result was not computed now.
    """

    model_name: str
    model_version: str
    model_sha256: str
    is_demo: bool
    skipped: str | None
    findings: tuple[Finding, ...]
    timings: Mapping[str, float]
    heatmap_method: str | None = None
    intended_use: str = ""
    sop_instance_uid: str | None = None
    frame: int = 0
    image_shape: tuple[int, int] = (0, 0)
    from_cache: bool = False

    @property
    def model_display_name(self) -> str:
        """``"name version"``, shown with every result."""
        return f"{self.model_name} {self.model_version}"

    @property
    def banner(self) -> str | None:
        """The demo disclaimer to show with this result, or None for a real model."""
        return DEMO_BANNER if self.is_demo else None

    @property
    def positive_findings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.verdict is Verdict.POSITIVE)

    def finding(self, label: str) -> Finding:
        """The finding for ``label``.

        Raises
        ------
        KeyError
            The model has no visible label of that name.
        """
        for item in self.findings:
            if item.label == label:
                return item
        raise KeyError(f"no finding for label {label!r} in {self.model_display_name}")


# --------------------------------------------------------------------------- verdicts


def decide_verdict(probability: float, threshold: float, margin: float = 0.0) -> Verdict:
    """Positive at or above ``threshold``; indeterminate in ``[threshold - margin,
    threshold)``; negative below."""
    for name, value in (("probability", probability), ("threshold", threshold), ("margin", margin)):
        if isinstance(value, bool) or not isinstance(value, int | float | np.floating):
            raise TypeError(f"{name} must be a number, found {type(value).__name__}")
        if not 0.0 <= float(value) <= 1.0:
            raise ValueError(f"{name} must be in [0, 1], found {value}")
    if probability >= threshold:
        return Verdict.POSITIVE
    if margin > 0 and probability >= threshold - margin:
        return Verdict.INDETERMINATE
    return Verdict.NEGATIVE


def clear_caches(*, disk: bool = False) -> None:
    """Forget loaded models and cached results (and the disk cache when ``disk``)."""
    clear_loaded_models()
    clear_results(disk=disk)


# --------------------------------------------------------------------------- analysis


def _result_from_entry(entry: CacheEntry, from_cache: bool) -> AnalysisResult:
    data = entry.data
    findings = []
    for item in data["findings"]:
        grid = entry.grids.get(item["label"])
        heatmap = peak = None
        if grid is not None and entry.geometry is not None:
            heatmap, peak = project_heatmap(grid, entry.geometry)
        findings.append(
            Finding(
                label=item["label"],
                probability=float(item["probability"]),
                threshold=float(item["threshold"]),
                verdict=Verdict(item["verdict"]),
                heatmap=heatmap,
                heatmap_peak=peak,
                explanation_note=item.get("explanation_note"),
                faithfulness=Faithfulness.from_json(item.get("faithfulness")),
            )
        )
    return AnalysisResult(
        model_name=data["model_name"],
        model_version=data["model_version"],
        model_sha256=data["model_sha256"],
        is_demo=bool(data["is_demo"]),
        skipped=data.get("skipped"),
        findings=tuple(findings),
        timings=dict(data["timings"]),
        heatmap_method=data.get("heatmap_method"),
        intended_use=data.get("intended_use", ""),
        sop_instance_uid=data.get("sop_instance_uid"),
        frame=int(data.get("frame", 0)),
        image_shape=(int(data["image_shape"][0]), int(data["image_shape"][1])),
        from_cache=from_cache,
    )


def _base_data(
    package: ModelPackage,
    uid: str | None,
    frame: int,
    image_shape: tuple[int, int],
    method: str | None,
) -> dict[str, Any]:
    manifest = package.manifest
    return {
        "model_name": manifest.name,
        "model_version": manifest.version,
        "model_sha256": package.sha256,
        "is_demo": manifest.demo,
        "intended_use": manifest.intended_use,
        "sop_instance_uid": uid,
        "frame": frame,
        "image_shape": list(image_shape),
        "heatmap_method": method,
    }


def _skipped_result(
    package: ModelPackage,
    reason: str,
    uid: str | None,
    frame: int,
    image_shape: tuple[int, int],
    method: str | None,
) -> AnalysisResult:
    logger.info("%s not run: %s", package.manifest.display_name, reason)
    data = _base_data(package, uid, frame, image_shape, method)
    data.update(skipped=reason, findings=[], timings={"total": 0.0})
    return _result_from_entry(CacheEntry(data, {}, None), from_cache=False)


def _check_values(values: object) -> npt.NDArray[Any]:
    if not isinstance(values, np.ndarray):
        raise TypeError(f"image values must be a numpy array, found {type(values).__name__}")
    if values.ndim not in (2, 3) or (values.ndim == 3 and values.shape[-1] not in (3, 4)):
        raise ValueError(
            f"image values must be (rows, cols) or (rows, cols, 3), found shape {values.shape}"
        )
    if values.size == 0:
        raise ValueError("image values are empty")
    return values


def analyze_image(
    model_ref: LoadedModel | ModelPackage | str | PathLike[str],
    image_values: AnalysisImage | npt.NDArray[Any],
    facts: ImageFacts | None = None,
    token: CancelToken | None = None,
    *,
    bits_stored: int | None = None,
    sop_instance_uid: str | None = None,
    frame: int = 0,
    heatmaps: str | None = "gradcam",
    use_cache: bool = True,
    disk_cache: bool = True,
    registry: ModelRegistry | None = None,
) -> Job[AnalysisResult]:
    """Analyse one image with a model package (a job: yields Progress, returns the result).

    Parameters
    ----------
    model_ref : LoadedModel, ModelPackage, str or Path
        The model: loaded, a package, a package name or a folder.
    image_values : AnalysisImage or numpy.ndarray
        The image as the viewer shows it before VOI: modality-LUT values,
        MONOCHROME1 corrected (:func:`read_analysis_image`,
        :func:`analysis_image_from_record`). A bare array needs ``bits_stored``.
    facts : ImageFacts, optional
        For the gate; default the AnalysisImage's, else none known (the gate then
        refuses models restricted to some modality).
    token : CancelToken, optional
        Checked between steps (and between occlusion batches).
    bits_stored : int, optional
        Bits Stored of the image; overrides the AnalysisImage's.
    sop_instance_uid : str, optional
        Cache key with ``frame``; overrides the AnalysisImage's. No caching without it.
    frame : int, optional
    heatmaps : {"gradcam", "occlusion", "kernelshap"} or None, optional
        Heatmap for each positive finding: Grad-CAM (milliseconds), occlusion
        sensitivity or Kernel SHAP over superpixels (hundreds of forward passes:
        seconds), or none.
    use_cache, disk_cache : bool, optional
        Look up and store results in memory / on disk.
    registry : ModelRegistry, optional
        Where a model name is looked up.

    Returns
    -------
    Generator
        Yields :class:`~core.jobs.Progress`; returns :class:`AnalysisResult`.

    Raises
    ------
    TypeError, ValueError
        Wrong arguments (raised at once, before the job starts).
    ModelPackageError
        The package is refused (raised from the job).
    CancelledError
        The token was set (raised from the job).
    """
    if isinstance(image_values, AnalysisImage):
        values = _check_values(image_values.values)
        facts = facts if facts is not None else image_values.facts
        bits_stored = bits_stored if bits_stored is not None else image_values.bits_stored
        if sop_instance_uid is None:
            sop_instance_uid = image_values.sop_instance_uid
            frame = image_values.frame
    else:
        values = _check_values(image_values)
    if facts is None:
        facts = ImageFacts()
    if not isinstance(facts, ImageFacts):
        raise TypeError(f"facts must be ImageFacts, found {type(facts).__name__}")
    if bits_stored is None:
        raise UsageError("bits_stored is needed to normalise a bare array of image values")
    if isinstance(bits_stored, bool) or not isinstance(bits_stored, int | np.integer):
        raise TypeError(f"bits_stored must be an int, found {type(bits_stored).__name__}")
    if not 1 <= bits_stored <= 32:
        raise ValueError(f"bits_stored must be 1..32, found {bits_stored}")
    if heatmaps is not None and heatmaps not in HEATMAP_METHODS:
        raise ValueError(
            f"heatmaps must be one of {', '.join(HEATMAP_METHODS)} or None, found {heatmaps!r}"
        )
    if sop_instance_uid is not None and not isinstance(sop_instance_uid, str):
        raise TypeError(f"sop_instance_uid must be a str, found {type(sop_instance_uid).__name__}")
    if isinstance(frame, bool) or not isinstance(frame, int) or frame < 0:
        raise ValueError(f"frame must be an int >= 0, found {frame!r}")
    if not isinstance(
        model_ref, LoadedModel | ModelPackage | str | PathLike
    ):  # fail now, not in the worker
        raise TypeError(
            "model_ref must be a LoadedModel, ModelPackage, name or folder, "
            f"found {type(model_ref).__name__}"
        )
    return _analyze(
        model_ref,
        values,
        facts,
        token if token is not None else CancelToken(),
        int(bits_stored),
        sop_instance_uid or None,
        frame,
        heatmaps,
        use_cache,
        disk_cache,
        registry,
    )


def _analyze(
    model_ref: LoadedModel | ModelPackage | str | PathLike[str],
    values: npt.NDArray[Any],
    facts: ImageFacts,
    token: CancelToken,
    bits_stored: int,
    uid: str | None,
    frame: int,
    method: str | None,
    use_cache: bool,
    disk_cache: bool,
    registry: ModelRegistry | None,
) -> Generator[Any, None, AnalysisResult]:
    started = time.perf_counter()
    steps = 4
    yield Progress(0, steps, "Checking the model")
    package = resolve_package(model_ref, registry)
    manifest = package.manifest
    image_shape = (int(values.shape[0]), int(values.shape[1]))
    base = _base_data(package, uid, frame, image_shape, method)
    reason = check_applicability(manifest, facts)
    if reason is not None:
        return _skipped_result(package, reason, uid, frame, image_shape, method)
    key = cache_key(package.sha256, uid, frame, method) if uid and use_cache else None
    if key is not None:
        entry = lookup_result(key, disk_cache, uid)
        if entry is not None and tuple(entry.data["image_shape"]) == image_shape:
            yield Progress(steps, steps, "Found in the cache")
            return _result_from_entry(entry, from_cache=True)

    token.raise_if_cancelled()
    yield Progress(1, steps, f"Loading {manifest.display_name}")
    t_load = time.perf_counter()
    loaded = load_model(model_ref if isinstance(model_ref, LoadedModel) else package)
    load_s = time.perf_counter() - t_load

    token.raise_if_cancelled()
    yield Progress(2, steps, "Preparing the image")
    t_pre = time.perf_counter()
    tensor, geometry = apply_preprocessing(values, bits_stored, manifest.input)
    preprocess_s = time.perf_counter() - t_pre

    token.raise_if_cancelled()
    yield Progress(3, steps, "Running the network")
    t_fwd = time.perf_counter()
    features = loaded.run_features(tensor)
    probabilities, head = _run_head(loaded, features)
    forward_s = time.perf_counter() - t_fwd

    margin = manifest.indeterminate_margin
    scored = []
    for index in loaded.visible_indices:
        label = manifest.labels[index]
        threshold = float(manifest.thresholds[label])
        probability = float(probabilities[index])
        scored.append(
            (index, label, probability, threshold, decide_verdict(probability, threshold, margin))
        )
    scored.sort(key=lambda item: (-item[2], item[1]))
    positives = [item for item in scored if item[4] is Verdict.POSITIVE]

    t_map = time.perf_counter()
    grids: dict[str, FloatArray] = {}
    explained: dict[int, Explanation] = {}
    if method is not None and positives:
        token.raise_if_cancelled()
        if method == "gradcam":
            yield Progress(steps, steps + 1, "Computing heatmaps")
        explained = yield from compute_explanations(
            method,
            loaded.network,
            tensor,
            [item[0] for item in positives],
            features=features,
            head=head,
            reference=probabilities,
            baseline=choose_baseline(facts.body_part, facts.view_position),
            token=token,
        )
        grids = {
            manifest.labels[i]: item.grid for i, item in explained.items() if item.grid is not None
        }

    def explanation_of(index: int) -> dict[str, Any]:
        item = explained.get(index)
        if item is None:
            return {}
        score = item.faithfulness.to_json() if item.faithfulness is not None else None
        return {"explanation_note": item.note, "faithfulness": score}

    data = {
        **base,
        "skipped": None,
        "findings": [
            {
                "label": label,
                "probability": p,
                "threshold": t,
                "verdict": str(v),
                **explanation_of(index),
            }
            for index, label, p, t, v in scored
        ],
        "timings": {},
    }
    entry = CacheEntry(data, grids, geometry)
    result = _result_from_entry(entry, from_cache=False)  # maps heatmaps onto the image
    now = time.perf_counter()
    data["timings"] = {
        "load": load_s,
        "preprocess": preprocess_s,
        "forward": forward_s,
        "heatmap": now - t_map,
        "total": now - started,
    }
    result = replace(result, timings=dict(data["timings"]))
    if key is not None:
        store_result(key, entry, disk_cache)
    yield Progress(steps + 1, steps + 1, "Done")
    logger.info(
        "%s: %d finding(s), %d positive, %.3f s",
        manifest.display_name,
        len(scored),
        len(positives),
        now - started,
    )
    return result


def _run_head(loaded: LoadedModel, features: torch.Tensor) -> tuple[npt.NDArray[np.float64], Any]:
    """Probabilities, and the head's logits kept with autograd for Grad-CAM."""
    import torch

    leaf = features.detach().requires_grad_(True)
    with torch.enable_grad():
        logits = loaded.network.forward_head(leaf)
    probabilities = torch.sigmoid(logits.detach()[0]).double().numpy()
    return probabilities, (leaf, logits)


def result_to_json(result: AnalysisResult) -> dict[str, Any]:
    """The result as the CLI prints it (no heatmap arrays; peaks as ``[row, col]``)."""
    return {
        "model": {
            "name": result.model_name,
            "version": result.model_version,
            "sha256": result.model_sha256,
            "demo": result.is_demo,
            "disclaimer": result.banner,
        },
        "skipped": result.skipped,
        "heatmap_method": result.heatmap_method,
        "findings": [
            {
                "label": f.label,
                "probability": round(f.probability, 6),
                "threshold": round(f.threshold, 6),
                "verdict": str(f.verdict),
                "heatmap_peak": list(f.heatmap_peak) if f.heatmap_peak is not None else None,
                **({"explanation": f.explanation_note} if f.explanation_note else {}),
                **({"faithfulness": f.faithfulness.to_json()} if f.faithfulness else {}),
            }
            for f in result.findings
        ],
    }


def analyze_dataset_file(
    path_or_ref: str | PathLike[str] | FileRef,
    package: LoadedModel | ModelPackage | str | PathLike[str],
    token: CancelToken | None = None,
    *,
    frame: int = 0,
    heatmaps: str | None = "gradcam",
    use_cache: bool = True,
    registry: ModelRegistry | None = None,
) -> Job[AnalysisResult]:
    """Read one DICOM file (or zip member) and analyse a frame of it (a job).

    The gate is checked on the header before any pixel is decoded, so a CT slice
    or a lateral view costs no decoding. The pixels are decoded in a worker process
    (:mod:`core.dicom.isolated_read`): a decoder's crash, of whatever kind, is a
    :class:`~core.errors.PixelDataError` for this file.

    Raises
    ------
    DicomReadError
        The file is not readable DICOM (from the job).
    PixelDataError
        Its pixels cannot be decoded (from the job).
    """
    if isinstance(path_or_ref, FileRef):
        ref = path_or_ref
    elif isinstance(path_or_ref, str | PathLike):
        ref = FileRef(str(Path(path_or_ref)))
    else:
        raise TypeError(
            f"path_or_ref must be a path or FileRef, found {type(path_or_ref).__name__}"
        )
    if isinstance(frame, bool) or not isinstance(frame, int) or frame < 0:
        raise ValueError(f"frame must be an int >= 0, found {frame!r}")
    return _analyze_file(
        ref,
        package,
        token if token is not None else CancelToken(),
        frame,
        heatmaps,
        use_cache,
        registry,
    )


def _analyze_file(
    ref: FileRef,
    package: LoadedModel | ModelPackage | str | PathLike[str],
    token: CancelToken,
    frame: int,
    heatmaps: str | None,
    use_cache: bool,
    registry: ModelRegistry | None,
) -> Generator[Any, None, AnalysisResult]:
    # pydicom is imported when a file is read, never at start-up.

    name = ref.display_name
    resolved = resolve_package(package, registry)
    # The header is read here (no decoder runs on it); the pixels in a worker process,
    # so that a decoder's crash costs this file, never the run (house rule 4).
    ds, has_pixels = read_header(ref)
    if not has_pixels:
        raise DicomReadError(name, "no pixel data: not an image")
    facts = facts_from_dataset(ds)
    reason = check_applicability(resolved.manifest, facts)
    if reason is not None:
        # Answered from the header alone: no decoding for an image the model skips.
        shape = (int(ds.get("Rows") or 0), int(ds.get("Columns") or 0))
        uid = str(ds.get("SOPInstanceUID") or "") or None
        return _skipped_result(resolved, reason, uid, frame, shape, heatmaps)
    token.raise_if_cancelled()
    image = read_analysis_values(ref, frame, facts)
    return (
        yield from analyze_image(
            package if isinstance(package, LoadedModel) else resolved,
            image,
            None,
            token,
            heatmaps=heatmaps,
            use_cache=use_cache,
        )
    )
