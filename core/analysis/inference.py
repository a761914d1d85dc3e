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
import threading
import time
from collections import OrderedDict
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt

from core.analysis.applicability import (
    ImageFacts,
    check_applicability,
    facts_from_dataset,
    facts_from_records,
)
from core.analysis.explain import METHODS
from core.analysis.manifest import DEMO_BANNER, ModelManifest, ModelPackage
from core.analysis.perturb import Faithfulness, choose_baseline
from core.analysis.preprocess import apply_preprocessing
from core.analysis.result_cache import (
    CacheEntry,
    cache_key,
    clear_results,
    lookup_result,
    store_result,
)
from core.errors import UsageError
from core.jobs import CancelToken, Job, Progress

if TYPE_CHECKING:
    import torch
    from pydicom import Dataset

    from core.analysis.explain import Explanation
    from core.analysis.registry import ModelRegistry
    from core.dicom.records import FileRef, InstanceRecord, PatientRecord, StudyRecord

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float32]

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
    "load_model",
    "read_analysis_image",
    "resolve_package",
    "result_to_json",
]

#: Heatmap methods :func:`analyze_image` knows (None: no heatmaps): explain.METHODS' keys.
HEATMAP_METHODS: Final = tuple(METHODS)

_MEMORY_MODELS: Final = 3


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


@dataclass(frozen=True, eq=False)
class AnalysisImage:
    """The image a model reads, with what the gate and the cache need.

    Attributes
    ----------
    values : numpy.ndarray
        ``(rows, cols)`` modality-LUT values, MONOCHROME1 corrected (bright = dense),
        or ``(rows, cols, 3)`` RGB.
    bits_stored : int
        Bits Stored (0028,0101): TorchXRayVision's normalisation divides by
        ``2**bits_stored - 1``.
    facts : ImageFacts
        Modality, body part, view position and age, for the gate.
    sop_instance_uid : str or None
        Cache key (no caching when None).
    frame : int
        Frame number from 0.
    source : str
        File name for messages (never patient data).
    """

    values: npt.NDArray[Any] = field(repr=False)
    bits_stored: int
    facts: ImageFacts = field(default_factory=ImageFacts)
    sop_instance_uid: str | None = None
    frame: int = 0
    source: str = ""


# --------------------------------------------------------------------------- image input


def apply_monochrome1_correction(
    values: npt.NDArray[Any], value_range: tuple[float, float]
) -> npt.NDArray[Any]:
    """Turn MONOCHROME1 values round so that higher means brighter (PS3.3 C.7.6.3.1.2).

    MONOCHROME1 shows the minimum value white. The viewer inverts after VOI; a
    model trained on MONOCHROME2 images needs the values themselves mirrored within
    the range the pixels can take: ``low + high - values``. For a synthetic
    MONOCHROME1 image stored as ``2**bits - 1 - v`` this gives back ``v``.

    Parameters
    ----------
    values : numpy.ndarray
        Modality-LUT values.
    value_range : (float, float)
        Lowest and highest value the modality LUT can give for the stored range
        (see :func:`find_value_range`).

    Returns
    -------
    numpy.ndarray
        Same shape; integer input stays integer when the result fits its dtype.
    """
    if not isinstance(values, np.ndarray):
        raise TypeError(f"values must be a numpy array, found {type(values).__name__}")
    if values.dtype.kind not in "biuf":
        raise TypeError(f"values must be numeric, found dtype {values.dtype}")
    low, high = (float(v) for v in value_range)
    if not low <= high:
        raise ValueError(f"value_range must be (low, high) with low <= high, found {value_range}")
    total = low + high
    if values.dtype.kind in "iu" and float(total).is_integer():
        info = np.iinfo(values.dtype)
        lo = total - float(values.max()) if values.size else total
        hi = total - float(values.min()) if values.size else total
        if info.min <= lo and hi <= info.max:
            mirrored: npt.NDArray[Any] = (np.int64(int(total)) - values).astype(values.dtype)
            return mirrored
    floats: npt.NDArray[np.float32] = np.float32(total) - values.astype(np.float32)
    return floats


def find_value_range(
    bits_stored: int, pixel_representation: int, slope: float = 1.0, intercept: float = 0.0
) -> tuple[float, float]:
    """The modality values a linear rescale gives for the whole stored range.

    Stored values span ``0 .. 2**bits - 1`` (unsigned) or ``-2**(bits-1) ..
    2**(bits-1) - 1`` (signed, Pixel Representation 1; PS3.3 C.7.6.3.1).
    """
    if isinstance(bits_stored, bool) or not isinstance(bits_stored, int | np.integer):
        raise TypeError(f"bits_stored must be an int, found {type(bits_stored).__name__}")
    if not 1 <= bits_stored <= 32:
        raise ValueError(f"bits_stored must be 1..32, found {bits_stored}")
    if pixel_representation not in (0, 1):
        raise ValueError(f"pixel_representation must be 0 or 1, found {pixel_representation!r}")
    if pixel_representation:
        stored = (-(2 ** (bits_stored - 1)), 2 ** (bits_stored - 1) - 1)
    else:
        stored = (0, 2**bits_stored - 1)
    ends = sorted(v * float(slope) + float(intercept) for v in stored)
    return ends[0], ends[1]


def _range_from_dataset(ds: Dataset, frame: int, source: str) -> tuple[float, float]:
    from core.dicom.pixels import modality_lut_for

    bits = int(ds.get("BitsStored") or ds.get("BitsAllocated") or 16)
    representation = int(ds.get("PixelRepresentation") or 0)
    lut = modality_lut_for(ds, frame, source=source)
    if lut.table is not None:
        return float(min(lut.table)), float(max(lut.table))
    return find_value_range(bits, representation, lut.slope, lut.intercept)


def read_analysis_image(
    ds: Dataset, frame: int = 0, *, source: str = "", facts: ImageFacts | None = None
) -> AnalysisImage:
    """The image a model reads from a dataset: modality values, MONOCHROME1 corrected.

    Parameters
    ----------
    ds : pydicom.Dataset
        With pixel data.
    frame : int, optional
        Frame number from 0.
    source : str, optional
        File name for messages.
    facts : ImageFacts, optional
        Gate facts; by default from the dataset
        (:func:`~core.analysis.applicability.facts_from_dataset`).

    Raises
    ------
    PixelDataError, UnsupportedTransferSyntaxError
        The pixels cannot be decoded.
    """
    from core.dicom.pixels import is_inverted, read_frame_values

    values = read_frame_values(ds, frame, source=source)
    if values.ndim == 2 and is_inverted(ds):
        values = apply_monochrome1_correction(values, _range_from_dataset(ds, frame, source))
    bits = int(ds.get("BitsStored") or ds.get("BitsAllocated") or 8)
    uid = str(ds.get("SOPInstanceUID") or "") or None
    return AnalysisImage(
        values=values,
        bits_stored=bits,
        facts=facts if facts is not None else facts_from_dataset(ds),
        sop_instance_uid=uid,
        frame=frame,
        source=source,
    )


def analysis_image_from_record(
    values: npt.NDArray[Any],
    instance: InstanceRecord,
    frame: int = 0,
    *,
    study: StudyRecord | None = None,
    patient: PatientRecord | None = None,
) -> AnalysisImage:
    """The image a model reads from values the viewer already holds (a loaded volume).

    ``values`` are the frame's modality-LUT values as :func:`core.dicom.volume.load_series`
    gives them (not inverted); MONOCHROME1 is corrected here from the index record
    (a Modality LUT Sequence needs the header, which is read then, without pixels).

    Parameters
    ----------
    values : numpy.ndarray
        ``(rows, cols)`` modality values of the frame (``volume.array[i]``).
    instance : InstanceRecord
        The frame's instance (``volume.geometry.frames[i].instance``).
    frame : int, optional
        Frame number within the instance (``volume.geometry.frames[i].frame``).
    study, patient : optional
        For the patient's age at the study (the gate's minimum age).
    """
    if not isinstance(values, np.ndarray):
        raise TypeError(f"values must be a numpy array, found {type(values).__name__}")
    if values.ndim == 2 and values.shape != (instance.rows, instance.columns):
        raise ValueError(
            f"values have shape {values.shape} but {instance.ref.display_name} has "
            f"{instance.rows} x {instance.columns} pixels"
        )
    if not 0 <= frame < max(1, instance.number_of_frames):
        raise ValueError(f"frame {frame} is outside 0..{instance.number_of_frames - 1}")
    if values.ndim == 2 and instance.photometric_interpretation.strip().upper() == "MONOCHROME1":
        if instance.complex_modality_lut:
            from pydicom import dcmread

            with instance.ref.open() as stream:
                header = dcmread(stream, force=True, stop_before_pixels=True)
            value_range = _range_from_dataset(header, frame, instance.ref.display_name)
        else:
            info = instance.frames[min(frame, len(instance.frames) - 1)]
            value_range = find_value_range(
                instance.bits_stored,
                instance.pixel_representation,
                info.rescale_slope,
                info.rescale_intercept,
            )
        values = apply_monochrome1_correction(values, value_range)
    return AnalysisImage(
        values=values,
        bits_stored=instance.bits_stored,
        facts=facts_from_records(instance, study, patient),
        sop_instance_uid=instance.sop_instance_uid or None,
        frame=frame,
        source=instance.ref.display_name,
    )


# --------------------------------------------------------------------------- models


@dataclass(frozen=True, eq=False)
class LoadedModel:
    """A verified package with its network built, weights loaded, ready to run.

    Attributes
    ----------
    package : ModelPackage
    network : torch.nn.Module
        In eval mode, parameters frozen, channels-last memory format.
    visible_indices : tuple of int
        Output indices of the labels the model was trained for (manifest order).
    """

    package: ModelPackage
    network: Any = field(repr=False)
    visible_indices: tuple[int, ...]

    @property
    def manifest(self) -> ModelManifest:
        return self.package.manifest

    @property
    def sha256(self) -> str:
        return self.package.sha256

    def run_features(self, tensor: FloatArray) -> torch.Tensor:
        """The last feature maps (after their ReLU) for one preprocessed ``(C, H, W)`` input.

        Runs in inference mode, channels-last; the result is an ordinary tensor
        (cloned out of inference mode) that autograd may use for Grad-CAM.
        """
        import torch

        batch = torch.from_numpy(np.ascontiguousarray(tensor, dtype=np.float32)[None])
        batch = batch.contiguous(memory_format=torch.channels_last)
        with torch.inference_mode():
            features = self.network.forward_features(batch)
        normal: torch.Tensor = features.clone()
        return normal

    def predict(self, tensor: FloatArray) -> npt.NDArray[np.float64]:
        """Probabilities (sigmoid of the logits) of every output for one input."""
        import torch

        with torch.inference_mode():
            logits = self.network.forward_head(self.run_features(tensor))
        return torch.sigmoid(logits[0]).double().numpy()


_model_lock = threading.Lock()
_models: OrderedDict[str, LoadedModel] = OrderedDict()


def resolve_package(
    model_ref: LoadedModel | ModelPackage | str | PathLike[str],
    registry: ModelRegistry | None = None,
) -> ModelPackage:
    """The verified package a reference names: a package, a name, or a folder.

    Raises
    ------
    ModelPackageError
        Not found, or refused (hash, pickle, manifest, label count).
    """
    if isinstance(model_ref, LoadedModel):
        return model_ref.package
    if isinstance(model_ref, ModelPackage):
        if model_ref.verified:
            return model_ref
        from core.analysis.manifest import verify_package

        return verify_package(model_ref.folder, model_ref.origin)
    if isinstance(model_ref, str | PathLike):
        if registry is None:
            from core.analysis.registry import ModelRegistry

            registry = ModelRegistry()
        return registry.get(model_ref)
    raise TypeError(
        "model_ref must be a LoadedModel, ModelPackage, name or folder, "
        f"found {type(model_ref).__name__}"
    )


def load_model(
    model_ref: LoadedModel | ModelPackage | str | PathLike[str],
    *,
    registry: ModelRegistry | None = None,
) -> LoadedModel:
    """Build a package's network and load its weights (cached per package SHA-256).

    Parameters
    ----------
    model_ref : ModelPackage, str or Path
        A package (verified here if it was not), a package name, or a folder.
    registry : ModelRegistry, optional
        Where names are looked up (default: the bundled and user folders).

    Raises
    ------
    ModelPackageError
        Refused package, or weights that do not fit the network.
    """
    if isinstance(model_ref, LoadedModel):
        return model_ref
    package = resolve_package(model_ref, registry)
    with _model_lock:
        cached = _models.get(package.sha256)
        if cached is not None:
            _models.move_to_end(package.sha256)
            return cached
    import torch

    from core.analysis.networks import build_network_for_manifest, load_weights

    manifest = package.manifest
    started = time.perf_counter()
    network = build_network_for_manifest(manifest)
    load_weights(network, package.weights_path)
    network.eval()
    network.requires_grad_(False)
    network = network.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    visible = set(manifest.visible_labels)
    loaded = LoadedModel(
        package=package,
        network=network,
        visible_indices=tuple(i for i, label in enumerate(manifest.labels) if label in visible),
    )
    logger.info("loaded model %s in %.2f s", manifest.display_name, time.perf_counter() - started)
    with _model_lock:
        _models[package.sha256] = loaded
        while len(_models) > _MEMORY_MODELS:
            _models.popitem(last=False)
    return loaded


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
    with _model_lock:
        _models.clear()
    clear_results(disk=disk)


# --------------------------------------------------------------------------- analysis


def _result_from_entry(entry: CacheEntry, from_cache: bool) -> AnalysisResult:
    data = entry.data
    findings = []
    for item in data["findings"]:
        grid = entry.grids.get(item["label"])
        heatmap = peak = None
        if grid is not None and entry.geometry is not None:
            from core.analysis.explain import project_heatmap

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
    from core.analysis.explain import compute_explanations

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
    from core.dicom.records import FileRef

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
    from core.dicom.isolated_read import read_analysis_values, read_header
    from core.errors import DicomReadError

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
