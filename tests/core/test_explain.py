"""Grad-CAM and occlusion: a model that looks at a known region peaks there, through
crop and resize; Grad-CAM equals CAM for the built-in heads; DenseNet's ReLU."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.analysis.applicability import ImageFacts
from core.analysis.explain import (
    compute_gradcam,
    compute_occlusion,
    explain_image,
    find_heatmap_peak,
    normalize_heatmap,
)
from core.analysis.inference import LoadedModel, Verdict, analyze_image
from core.analysis.manifest import ModelPackage
from core.analysis.preprocess import apply_xrv_preprocessing, map_heatmap_to_image
from core.jobs import run_job
from tests.core.model_helpers import make_package

pytestmark = pytest.mark.usefixtures("fresh_analysis")

FACTS = ImageFacts(modality="DX", body_part="CHEST", view_position="PA")
# A wide image: the centre crop drops columns, the resize halves it (64 -> 32).
ROWS, COLS = 64, 100
SPOT = (18, 66)  # (row, col) of the bright disc, inside the crop (cols 18..81)


def _spot_network():  # type: ignore[no-untyped-def]
    """Label 0 ("Bright") sums bright pixels; label 1 ("Dark") sums dark ones."""
    import torch
    import torch.nn.functional as F  # noqa: N812
    from torch import nn

    class Spot(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.classifier = nn.Linear(2, 2)
            with torch.no_grad():
                self.classifier.weight.copy_(torch.tensor([[0.01, 0.0], [0.0, 0.01]]))
                self.classifier.bias.zero_()

        def forward_features(self, x: torch.Tensor) -> torch.Tensor:
            grid = F.avg_pool2d(x, 4)  # 32 px input -> an 8 x 8 feature grid
            return F.relu(torch.cat([grid, -grid], dim=1))

        def forward_head(self, features: torch.Tensor) -> torch.Tensor:
            return self.classifier(features.mean(dim=(2, 3)))  # type: ignore[no-any-return]

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.forward_head(self.forward_features(x))

    return Spot().eval().requires_grad_(False)


def make_spot_model(folder: Path, labels: tuple[str, str] = ("Bright", "Dark")) -> LoadedModel:
    """The spot network, packaged in ``folder``.

    ``labels`` name its bright and dark outputs: the first is positive from p = 0.5, the
    second never.
    """
    package = make_package(folder, labels=labels, thresholds={labels[0]: 0.5, labels[1]: 1.0})
    return LoadedModel(package=package, network=_spot_network(), visible_indices=(0, 1))


@pytest.fixture(scope="module")
def spot_model(tmp_path_factory: pytest.TempPathFactory) -> LoadedModel:
    return make_spot_model(tmp_path_factory.mktemp("spot") / "pkg")


def _spot_image() -> np.ndarray:
    rows, cols = np.mgrid[0:ROWS, 0:COLS]
    disc = (rows - SPOT[0]) ** 2 + (cols - SPOT[1]) ** 2 <= 6**2
    return np.where(disc, 4095, 0).astype(np.uint16)


def _distance(peak: tuple[int, int] | None, target: tuple[int, int]) -> float:
    assert peak is not None
    return float(np.hypot(peak[0] - target[0], peak[1] - target[1]))


def test_gradcam_peak_lands_on_the_region_the_model_looks_at(spot_model: LoadedModel) -> None:
    result = run_job(analyze_image(spot_model, _spot_image(), FACTS, bits_stored=12))
    bright = result.finding("Bright")
    assert bright.verdict is Verdict.POSITIVE and result.finding("Dark").heatmap is None
    assert bright.heatmap is not None and bright.heatmap.shape == (ROWS, COLS)
    # One feature cell is 8 original pixels; the peak is within one cell of the disc.
    assert _distance(bright.heatmap_peak, SPOT) <= 8
    # Outside the centre crop (columns < 18 or >= 82) the heatmap is zero.
    assert not bright.heatmap[:, :18].any() and not bright.heatmap[:, 82:].any()
    assert float(bright.heatmap.max()) == pytest.approx(1.0)


def test_occlusion_agrees_with_gradcam(spot_model: LoadedModel) -> None:
    heatmaps = run_job(
        explain_image(spot_model, _spot_image(), ["Bright"], bits_stored=12, method="occlusion")
    )
    occlusion = heatmaps["Bright"]
    assert occlusion.grid.shape == (32, 32) and occlusion.heatmap.shape == (ROWS, COLS)
    assert _distance(occlusion.peak, SPOT) <= 8
    gradcam = run_job(explain_image(spot_model, _spot_image(), ["Bright"], bits_stored=12))
    assert gradcam["Bright"].grid.shape == (8, 8)
    assert _distance(gradcam["Bright"].peak, occlusion.peak) <= 10


def test_heatmap_geometry_round_trips_through_crop_and_resize() -> None:
    _, geometry = apply_xrv_preprocessing(np.zeros((ROWS, COLS), np.uint16), 12, 32)
    for cell in ((0, 0), (2, 5), (7, 7), (4, 1)):
        grid = np.zeros((8, 8), np.float32)
        grid[cell] = 1.0
        mapped = map_heatmap_to_image(grid, geometry)
        expected = geometry.model_to_image(np.array(cell, float), grid_shape=(8, 8))
        peak = find_heatmap_peak(mapped)
        # An inner cell peaks at its centre (to a pixel); an edge cell's map is held
        # flat out to the border, so its peak is the middle of that plateau: within
        # half a cell (4 original pixels).
        edge = 0 in cell or 7 in cell
        tolerance = 4.0 if edge else 1.0
        assert np.abs(np.array(peak) - expected).max() <= tolerance
        back = geometry.image_to_model(np.array(peak, float), grid_shape=(8, 8))
        assert np.allclose(back, cell, atol=0.5 if edge else 0.2)


def test_gradcam_equals_cam_for_a_densenet_and_leaves_features_untouched(
    tmp_path: Path,
) -> None:
    import torch

    package = make_package(tmp_path / "dn", labels=("A", "B", "C"))
    from core.analysis.inference import load_model

    loaded = load_model(package)
    tensor, _ = apply_xrv_preprocessing(
        np.random.default_rng(0).integers(0, 4096, (40, 40)).astype(np.uint16), 12, 32
    )
    features = loaded.run_features(tensor)
    before = features.clone()
    maps = compute_gradcam(loaded.network, features, [0, 2])
    assert torch.equal(features, before)  # nothing modified in place
    weight = loaded.network.classifier.weight.detach()
    activations = features[0]
    for index in (0, 2):
        cam = torch.relu(torch.einsum("c,chw->hw", weight[index], activations)).numpy()
        np.testing.assert_allclose(maps[index], normalize_heatmap(cam), atol=1e-5)
    # The same maps through a torchvision-style forward, whose final ReLU is in place:
    # hook features.norm5, apply the ReLU ourselves, differentiate the logits.
    captured: list[torch.Tensor] = []
    hook = loaded.network.features.norm5.register_forward_hook(
        lambda module, args, output: captured.append(output)
    )
    try:
        x = torch.from_numpy(tensor[None])
        with torch.enable_grad():
            loaded.network.features(x)
            out = torch.relu(captured[0].detach().clone()).requires_grad_(True)
            logits = loaded.network.classifier(out.mean(dim=(2, 3)))
            (grad,) = torch.autograd.grad(logits[0, 2], out)
    finally:
        hook.remove()
    reference = torch.relu(torch.einsum("c,chw->hw", grad[0].mean(dim=(1, 2)), out[0].detach()))
    np.testing.assert_allclose(maps[2], normalize_heatmap(reference.numpy()), atol=1e-5)


def test_peak_and_normalisation_helpers() -> None:
    heat = np.zeros((5, 7), np.float32)
    heat[1:4, 2:5] = 2.0  # a plateau: its middle is the peak
    assert find_heatmap_peak(heat) == (2, 3)
    heat[0, 6] = 3.0
    assert find_heatmap_peak(heat) == (0, 6)
    scaled = normalize_heatmap(np.array([[-1.0, 2.0], [1.0, 4.0]]))
    np.testing.assert_allclose(scaled, [[0, 0.5], [0.25, 1]])
    assert not normalize_heatmap(-np.ones((2, 2))).any()
    with pytest.raises(ValueError, match="2-D"):
        find_heatmap_peak(np.zeros(4))


def test_occlusion_sums_its_scales_and_refines_with_the_smallest(spot_model: LoadedModel) -> None:
    from core.analysis.preprocess import apply_preprocessing

    tensor, _ = apply_preprocessing(_spot_image(), 12, spot_model.manifest.input)
    job = compute_occlusion(spot_model.network, tensor, [0], patch=[8, 4], refine=False)
    totals = []
    try:
        while True:
            totals.append(next(job).total)
    except StopIteration as stop:
        maps = stop.value
    # 4 px patches at stride 2 (15 x 15 positions) and 8 px at stride 4 (7 x 7).
    assert totals[-1] == 15 * 15 + 7 * 7
    single = [
        run_job(compute_occlusion(spot_model.network, tensor, [0], patch=p, refine=False))[0]
        for p in (4, 8)
    ]
    np.testing.assert_allclose(maps[0], single[0] + single[1], atol=1e-6)
    refined = run_job(compute_occlusion(spot_model.network, tensor, [0], patch=[8, 4]))[0]
    peak = np.unravel_index(int(np.argmax(refined)), refined.shape)
    bright = np.argwhere(tensor[0] >= 0.5 * tensor[0].max()).mean(axis=0)
    assert np.hypot(*(np.array(peak) - bright)) <= 3


def test_occlusion_arguments_are_checked(spot_model: LoadedModel) -> None:
    tensor = np.zeros((1, 32, 32), np.float32)
    with pytest.raises(ValueError, match="patch"):
        compute_occlusion(spot_model.network, tensor, [0], patch=40)
    with pytest.raises(ValueError, match="patch"):
        compute_occlusion(spot_model.network, tensor, [0], patch=[8, 0])
    with pytest.raises(ValueError, match="patch"):
        compute_occlusion(spot_model.network, tensor, [0], patch=[])
    with pytest.raises(ValueError, match="one"):
        compute_occlusion(spot_model.network, np.zeros((32, 32)), [0])
    with pytest.raises(ValueError, match="outside"):
        run_job(compute_occlusion(spot_model.network, tensor, [5]))
    with pytest.raises(ValueError, match="no label"):
        explain_image(spot_model, np.zeros((8, 8)), ["Nope"], bits_stored=12)


def test_explain_image_takes_a_package(tmp_path: Path) -> None:
    package: ModelPackage = make_package(tmp_path / "p", labels=("A", "B"))
    maps = run_job(explain_image(package, np.full((48, 40), 100, np.uint16), ["B"], bits_stored=8))
    assert set(maps) == {"B"} and maps["B"].heatmap.shape == (48, 40)
    assert maps["B"].method == "gradcam"
