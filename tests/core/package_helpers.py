"""Torch-free model packages for manifest and registry tests.

The weights hold only the tensors verification reads (the classifier and first
convolution shapes), written with safetensors' numpy API. For packages a network
can load, build real weights with torch (see tests/core/model_helpers.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import save_file

from core.analysis.manifest import seal_package

LABELS = ["Nodule", "Mass", "Effusion"]


def manifest_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "test-cxr",
        "version": "1.2.0",
        "task": "classification",
        "architecture": "densenet-small",
        "architecture_options": {"growth_rate": 4, "block_config": [2, 2]},
        "input": {"size": 64, "channels": 1, "preprocessing": "xrv", "crop": "center"},
        "labels": LABELS,
        "thresholds": {"Nodule": 0.4, "Mass": 0.5, "Effusion": 0.3},
        "indeterminate_margin": 0.05,
        "applies_to": {
            "modality": ["CR", "dx"],
            "body_part": ["CHEST"],
            "view_position": ["PA", "AP"],
            "min_age_years": 18,
        },
        "intended_use": "Tests only.",
        "demo": True,
        "model_card": "MODEL_CARD.md",
    }
    data.update(overrides)
    return data


def write_weights(path: Path, labels: int = 3, channels: int = 1) -> None:
    # Only the header matters to verification; no torch needed.
    save_file(
        {
            "features.conv0.weight": np.zeros((8, channels, 7, 7), np.float32),
            "classifier.weight": np.zeros((labels, 12), np.float32),
            "classifier.bias": np.zeros((labels,), np.float32),
        },
        str(path),
    )


def make_package(folder: Path, labels: int = 3, channels: int = 1, **overrides: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_weights(folder / "model.safetensors", labels, channels)
    (folder / "MODEL_CARD.md").write_text("# Test model\n", encoding="utf-8")
    seal_package(folder, manifest_data(**overrides))
    return folder
