"""The bundled demo model: a sound package that does what its model card says.

The quick checks run on 60 cases of the "test" split (a random stream that neither
training, validation nor the card's 200-image evaluation used). The full 200-image
evaluation, compared with the card's figures, is marked slow.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from core.analysis.inference import analyze_dataset_file, load_model
from core.analysis.manifest import DEMO_BANNER, MANIFEST_NAME, compute_sha256, verify_package
from core.analysis.registry import ModelRegistry
from core.jobs import run_job
from core.synthetic import LESION_LABELS, write_cxr

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "resources" / "models" / "radassist-demo-cxr"


def load_script(name: str) -> ModuleType:
    """Import scripts/<name>.py (the scripts folder is not a package)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def evaluation() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PACKAGE / "evaluation.json").read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def quick_report() -> Any:
    evaluate = load_script("evaluate_demo_model")
    return evaluate.evaluate_package(PACKAGE, split="test", count=60)


def test_package_verifies_with_every_file_hashed() -> None:
    package = verify_package(PACKAGE)
    manifest = package.manifest
    assert package.verified
    assert set(manifest.files) == {
        "MODEL_CARD.md",
        "evaluation.json",
        "explanations.json",
        "model.safetensors",
        "training.json",
    }
    for rel, digest in manifest.files.items():
        assert compute_sha256(PACKAGE / rel) == digest
    assert manifest.name == "radassist-demo-cxr"
    assert manifest.demo is True
    assert DEMO_BANNER == "Demo model trained on synthetic images — not for clinical use"
    assert DEMO_BANNER in manifest.intended_use
    raw = json.loads((PACKAGE / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert raw["disclaimer"] == DEMO_BANNER
    assert manifest.labels == LESION_LABELS
    assert manifest.visible_labels == LESION_LABELS
    assert manifest.architecture == "densenet-small"
    assert manifest.input.preprocessing == "xrv"
    assert set(manifest.thresholds) == set(LESION_LABELS)
    assert all(0.0 < t < 1.0 for t in manifest.thresholds.values())
    assert manifest.applies_to.view_position == ("PA", "AP")
    assert manifest.applies_to.modality == ("CR", "DX")
    assert manifest.model_card == "MODEL_CARD.md"


def test_weights_are_small_safetensors_that_fit_the_network() -> None:
    weights = PACKAGE / "model.safetensors"
    assert weights.stat().st_size < 5 * 1024 * 1024
    assert not [p for p in PACKAGE.iterdir() if p.suffix in {".pt", ".pth", ".bin", ".ckpt"}]
    loaded = load_model(verify_package(PACKAGE))
    size = loaded.manifest.input.size
    probabilities = loaded.predict(np.zeros((1, size, size), dtype=np.float32))
    assert probabilities.shape == (len(LESION_LABELS),)
    assert np.all((probabilities >= 0) & (probabilities <= 1))


def test_registry_lists_the_bundled_package(tmp_path: Path) -> None:
    registry = ModelRegistry(user_dir=tmp_path)
    names = [p.manifest.name for p in registry.list_packages()]
    assert "radassist-demo-cxr" in names
    package = registry.get("radassist-demo-cxr")
    assert package.origin == "bundled"
    assert package.verified


def test_card_states_the_recorded_figures(evaluation: dict[str, Any]) -> None:
    card = (PACKAGE / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert DEMO_BANNER in card
    assert evaluation["count"] == 200
    assert evaluation["split"] == "evaluation"
    assert f"**{evaluation['mean_auc']:.3f}** (mean)" in card
    hits, total = evaluation["pointing_hits"], evaluation["true_positive_findings"]
    assert f"**{evaluation['pointing_game']:.3f}** ({hits}/{total})" in card
    for label, figures in evaluation["labels"].items():
        row = re.search(rf"^\| {label} \| {figures['positives']} \| ([0-9.]+) \|", card, re.M)
        assert row is not None, label
        # The card rounds the unrounded figure, evaluation.json keeps four decimals.
        assert float(row.group(1)) == pytest.approx(figures["auc"], abs=5.001e-4), label
    # The targets, as recorded.
    assert evaluation["mean_auc"] >= 0.90
    assert evaluation["pointing_game"] >= 0.80


def test_quick_evaluation_on_unseen_cases(quick_report: Any) -> None:
    report = quick_report
    assert report.count == 60
    for label, figures in report.labels.items():
        assert figures.positives >= 3, label  # every label is represented
        # Nodules are the weak label (the card says so); the rest are clear.
        assert figures.auc >= (0.55 if label == "Nodule" else 0.85), (label, figures.auc)
    assert report.mean_auc >= 0.85
    assert report.true_positives >= 30
    assert report.pointing >= 0.8


def test_lateral_view_is_turned_away_by_the_gate(tmp_path: Path) -> None:
    path = tmp_path / "lateral.dcm"
    write_cxr(path, np.random.default_rng(5), view="LL", size=128, lesions=None)
    result = run_job(analyze_dataset_file(path, verify_package(PACKAGE), use_cache=False))
    assert result.skipped == "lateral view"
    assert result.findings == ()
    assert result.is_demo
    assert result.banner == DEMO_BANNER


@pytest.mark.slow
@pytest.mark.evaluation  # `make evaluate`; the 60-image quick form above is in `make test`
@pytest.mark.timeout(900)  # 200 radiographs at 256 px: ~20 s quiet, minutes under load
def test_full_evaluation_matches_the_card() -> None:
    evaluate = load_script("evaluate_demo_model")
    report = evaluate.evaluate_package(PACKAGE, split="evaluation", count=200)
    assert evaluate.check_against_card(report, PACKAGE) == []
    assert report.mean_auc >= evaluate.TARGET_MEAN_AUC
    assert report.pointing >= evaluate.TARGET_POINTING
