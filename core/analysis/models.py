"""Loading a model package: verified, its network built and weights loaded, ready to run.

Loaded models are kept in memory per package SHA-256 (the last few used). torch is
imported when the first model is built, never when this module is imported.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from os import PathLike
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt

from core.analysis.manifest import ModelManifest, ModelPackage, verify_package
from core.analysis.networks import build_network_for_manifest, load_weights
from core.analysis.registry import ModelRegistry

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float32]

__all__ = ["LoadedModel", "clear_loaded_models", "load_model", "resolve_package"]

_MEMORY_MODELS: Final = 3


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
        return verify_package(model_ref.folder, model_ref.origin)
    if isinstance(model_ref, str | PathLike):
        if registry is None:
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
    import torch  # heavy: only when a model is built

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


def clear_loaded_models() -> None:
    """Forget every loaded model (the next :func:`load_model` builds it again)."""
    with _model_lock:
        _models.clear()
