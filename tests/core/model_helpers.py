"""Tiny model packages for tests: random weights, manifest, SHA-256s, in a tmp folder.

``make_package(tmp_path / "pkg")`` builds a small ``densenet-small`` (a few thousand
parameters, 32 px input), saves its weights as safetensors and seals the package
with :func:`core.analysis.manifest.seal_package`, so it verifies like a real one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from core.analysis.manifest import ModelPackage, seal_package

#: A DenseNet small enough that building and running it takes milliseconds.
TINY_OPTIONS: Mapping[str, Any] = {
    "growth_rate": 4,
    "block_config": (1, 1),
    "num_init_features": 8,
    "bn_size": 2,
}


def make_package(
    folder: Path,
    *,
    name: str = "test-model",
    version: str = "1.0.0",
    architecture: str = "densenet-small",
    options: Mapping[str, Any] | None = None,
    labels: Sequence[str] = ("Nodule", "Effusion", "Cardiomegaly"),
    thresholds: Mapping[str, float] | None = None,
    hidden_labels: Sequence[str] = (),
    margin: float = 0.0,
    size: int = 32,
    channels: int = 1,
    preprocessing: str = "xrv",
    applies_to: Mapping[str, Any] | None = None,
    demo: bool = False,
    seed: int = 0,
    edit: Callable[[Any], None] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> ModelPackage:
    """Build, save and seal a package; returns it verified.

    ``edit(network)`` may change the weights before they are saved.
    """
    import torch
    from safetensors.torch import save_file

    from core.analysis.networks import build_network

    folder.mkdir(parents=True, exist_ok=True)
    opts = dict(TINY_OPTIONS if options is None and architecture == "densenet-small" else {})
    opts.update(options or {})
    torch.manual_seed(seed)
    network = build_network(architecture, len(labels), in_channels=channels, **opts)
    classifier = getattr(network, "classifier", None)
    if isinstance(classifier, torch.nn.Linear):
        # A non-negative head (as the demo model's): every label's class-activation map
        # has positive evidence somewhere, so Grad-CAM gives a map, not a flat refusal.
        with torch.no_grad():
            classifier.weight.abs_()
    if edit is not None:
        with torch.no_grad():
            edit(network)
    state = {key: value.contiguous() for key, value in network.state_dict().items()}
    save_file(state, str(folder / "model.safetensors"))
    data: dict[str, Any] = {
        "name": name,
        "version": version,
        "task": "classification",
        "architecture": architecture,
        "architecture_options": {
            key: list(value) if isinstance(value, tuple) else value for key, value in opts.items()
        },
        "input": {"size": size, "channels": channels, "preprocessing": preprocessing},
        "labels": list(labels),
        "thresholds": dict(thresholds) if thresholds is not None else dict.fromkeys(labels, 0.5),
        "indeterminate_margin": margin,
        "hidden_labels": list(hidden_labels),
        "applies_to": dict(applies_to)
        if applies_to is not None
        else {"modality": ["CR", "DX"], "body_part": ["CHEST"], "view_position": ["PA", "AP"]},
        "intended_use": "Tests only.",
        "demo": demo,
    }
    data.update(extra or {})
    return seal_package(folder, data)


def soften(network: Any) -> None:
    """An ``edit`` for :func:`make_package`: small positive head weights.

    Random weights on [-1024, 1024] inputs saturate the sigmoid; small positive head
    weights give mid-range probabilities (so thresholds decide) and a non-empty Grad-CAM.
    """
    network.classifier.weight.abs_().mul_(1e-4)
