"""Every heatmap method explains or says it cannot: Kernel SHAP over superpixels, the
blurred baseline, the faithfulness (deletion) figure, and flat maps never shown."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from core.analysis.explain import METHODS, describe_heatmap, explain_image
from core.analysis.inference import LoadedModel, analyze_image, result_to_json
from core.analysis.kernel_shap import _solve, compute_kernel_shap
from core.analysis.perturb import (
    Faithfulness,
    blurred_baseline,
    choose_baseline,
    find_flat_reason,
    make_baseline,
    measure_deletion,
)
from core.analysis.superpixels import compute_slic
from core.jobs import run_job
from tests.core.model_helpers import make_package
from tests.core.test_explain import FACTS, SPOT, _distance, _spot_image, make_spot_model

pytestmark = pytest.mark.usefixtures("fresh_analysis")


@pytest.fixture(scope="module")
def spot_model(tmp_path_factory: pytest.TempPathFactory) -> LoadedModel:
    return make_spot_model(tmp_path_factory.mktemp("spot") / "pkg")


def _blind_network() -> Any:
    """Always the same logits, whatever the image: nothing in it matters."""
    import torch
    from torch import nn

    class Blind(nn.Module):
        def forward_features(self, x: torch.Tensor) -> torch.Tensor:
            return torch.zeros(x.shape[0], 2, 8, 8)

        def forward_head(self, features: torch.Tensor) -> torch.Tensor:
            return features.mean(dim=(2, 3)) + torch.tensor([2.0, -5.0])

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.forward_head(self.forward_features(x))

    return Blind().eval().requires_grad_(False)


@pytest.fixture(scope="module")
def blind_model(tmp_path_factory: pytest.TempPathFactory) -> LoadedModel:
    package = make_package(
        tmp_path_factory.mktemp("blind") / "pkg",
        labels=("Bright", "Dark"),
        thresholds={"Bright": 0.5, "Dark": 1.0},
    )
    return LoadedModel(package=package, network=_blind_network(), visible_indices=(0, 1))


@pytest.mark.parametrize("method", list(METHODS))
def test_every_method_points_at_the_spot_and_states_its_faithfulness(
    spot_model: LoadedModel, method: str
) -> None:
    maps = run_job(
        explain_image(spot_model, _spot_image(), ["Bright"], bits_stored=12, method=method)
    )
    heatmap = maps["Bright"]
    assert heatmap.method == method and heatmap.note is None
    assert heatmap.heatmap is not None and _distance(heatmap.peak, SPOT) <= 8
    score = heatmap.faithfulness
    assert score is not None and score.fraction == pytest.approx(0.10)
    # Masking the hottest tenth of the map takes the bright spot away: the score falls.
    assert score.drop > 0.0 and score.masked_probability < score.probability


@pytest.mark.parametrize("method", list(METHODS))
def test_a_flat_map_is_never_shown_as_an_explanation(blind_model: LoadedModel, method: str) -> None:
    maps = run_job(
        explain_image(blind_model, _spot_image(), ["Bright"], bits_stored=12, method=method)
    )
    heatmap = maps["Bright"]
    assert heatmap.grid is None and heatmap.heatmap is None and heatmap.peak is None
    assert heatmap.note is not None and heatmap.note.startswith("no explanation")
    assert heatmap.faithfulness is None
    # The analysis says the same for its positive finding, and the CLI's JSON carries it.
    result = run_job(
        analyze_image(blind_model, _spot_image(), FACTS, bits_stored=12, heatmaps=method)
    )
    finding = result.finding("Bright")
    assert str(finding.verdict) == "positive" and finding.heatmap is None
    assert finding.heatmap_peak is None and finding.explanation_note == heatmap.note
    listed = result_to_json(result)
    assert listed["heatmap_method"] == method
    bright = next(f for f in listed["findings"] if f["label"] == "Bright")
    assert bright["explanation"] == heatmap.note and "faithfulness" not in bright


def test_analysis_findings_carry_the_faithfulness_figure(spot_model: LoadedModel) -> None:
    result = run_job(
        analyze_image(spot_model, _spot_image(), FACTS, bits_stored=12, heatmaps="kernelshap")
    )
    bright = result.finding("Bright")
    assert bright.heatmap is not None and bright.faithfulness is not None
    listed = next(f for f in result_to_json(result)["findings"] if f["label"] == "Bright")
    assert listed["faithfulness"]["masked_fraction"] == pytest.approx(0.1)
    assert listed["faithfulness"]["drop"] == pytest.approx(bright.faithfulness.drop, abs=1e-6)
    # From the cache, the figure comes back the same.
    again = run_job(
        analyze_image(spot_model, _spot_image(), FACTS, bits_stored=12, heatmaps="kernelshap")
    )
    assert again.finding("Bright").faithfulness == bright.faithfulness


def test_kernel_shap_recovers_additive_contributions_exactly() -> None:
    rng = np.random.default_rng(1)
    coalitions = rng.random((200, 6)) < 0.5
    weights = np.array([0.3, -0.1, 0.0, 0.05, 0.2, 0.15])
    empty = 0.1
    outputs = empty + coalitions @ weights
    values = _solve(coalitions, outputs, empty + weights.sum(), empty)
    np.testing.assert_allclose(values, weights, atol=1e-3)
    assert values.sum() == pytest.approx(weights.sum())  # efficiency holds exactly


def test_kernel_shap_is_repeatable_and_checks_its_arguments(spot_model: LoadedModel) -> None:
    tensor = np.full((1, 32, 32), -1024.0, np.float32)
    tensor[0, 8:14, 20:26] = 1024.0
    first = run_job(compute_kernel_shap(spot_model.network, tensor, [0], samples=64))
    second = run_job(compute_kernel_shap(spot_model.network, tensor, [0], samples=64))
    np.testing.assert_array_equal(first[0], second[0])
    row, col = np.unravel_index(int(np.argmax(first[0])), first[0].shape)
    assert 8 <= row < 14 and 20 <= col < 26
    with pytest.raises(ValueError, match="segments"):
        compute_kernel_shap(spot_model.network, tensor, [0], segments=1)
    with pytest.raises(ValueError, match="baseline"):
        compute_kernel_shap(spot_model.network, tensor, [0], baseline=np.zeros((1, 8, 8)))


def test_kernel_shap_plays_one_game_per_side_with_the_mirrored_baseline(
    spot_model: LoadedModel,
) -> None:
    tensor = np.full((1, 32, 32), -1024.0, np.float32)
    tensor[0, 8:14, 20:26] = 1024.0  # one-sided: the mirrored image has it at columns 6..11
    fill = make_baseline(tensor, "mirror")
    job = compute_kernel_shap(spot_model.network, tensor, [0], baseline=fill, halves=True)
    values = run_job(job)[0]
    row, col = np.unravel_index(int(np.argmax(values)), values.shape)
    assert 8 <= row < 14 and 20 <= col < 26
    # Removing the other side brings the spot in there: never credited as evidence.
    assert float(values[8:14, 6:12].max()) <= 0.0
    # Both sides removed at once show the spot again: the one game has little to share
    # (the coarse games compared; the refining games add to whichever peak they get).
    sides, whole = (
        run_job(
            compute_kernel_shap(
                spot_model.network, tensor, [0], baseline=fill, halves=halves, refine=False
            )
        )[0]
        for halves in (True, False)
    )
    assert float(sides.max()) > float(whole.max())


def test_kernel_shap_finds_a_faint_small_lesion_inside_its_coarse_superpixel() -> None:
    """The refining games move the peak from a 21-px superpixel onto a 5-px lesion."""
    from tests.core.test_explain import _spot_network

    network = _spot_network()
    rows, cols = np.mgrid[0:128, 0:128]
    hits = {False: 0, True: 0}
    spots = ((70, 30), (22, 22), (42, 94), (98, 62), (30, 70), (86, 102))
    for spot in spots:
        tensor = np.random.default_rng(3).normal(-150.0, 60.0, (1, 128, 128))
        # Too faint for the superpixels to follow its edge: it shares one with its
        # surroundings.
        tensor[0][(rows - spot[0]) ** 2 + (cols - spot[1]) ** 2 <= 2.5**2] += 300.0
        for refine in (False, True):
            job = compute_kernel_shap(network, tensor.astype(np.float32), [0], refine=refine)
            values = run_job(job)[0]
            row, col = np.unravel_index(int(np.argmax(values)), values.shape)
            hits[refine] += float(np.hypot(row - spot[0], col - spot[1])) <= 2.5
    # Measured: the coarse game alone 1 of 6; with one refining game 4 of 6, with the
    # hierarchy of three (superpixels of 11, 5 and 3 px) 6 of 6.
    assert hits[True] >= 5 and hits[False] <= 1, hits


def test_superpixels_follow_the_edge_of_a_lesion() -> None:
    rows, cols = np.mgrid[0:64, 0:64]
    disc = (rows - 30) ** 2 + (cols - 37) ** 2 <= 5**2
    image = np.where(disc, 900.0, 100.0) + np.random.default_rng(0).normal(0, 5, (64, 64))
    labels = compute_slic(image, 64)
    assert labels.shape == (64, 64) and labels.min() == 0
    assert 30 <= labels.max() + 1 <= 100
    # The superpixels holding the disc hold (almost) nothing else.
    inside = np.unique(labels[disc])
    members = np.isin(labels, inside)
    assert (members & disc).sum() / members.sum() >= 0.9


def test_the_baseline_removes_a_small_lesion_and_keeps_the_region() -> None:
    image = np.full((1, 128, 128), -600.0, np.float32)
    image[0, :, 64:] = 400.0  # a bright half: the mediastinum beside dark lung
    image[0, 30:34, 20:24] += 800.0  # a nodule in the lung
    blurred = blurred_baseline(image)
    assert blurred[0, 32, 22] < -400.0  # the nodule is gone ...
    assert blurred[0, 64, 10] == pytest.approx(-600.0, abs=1.0)  # ... the lung stays lung
    assert blurred[0, 64, 120] == pytest.approx(400.0, abs=1.0)  # and bright stays bright


def test_deletion_of_the_right_map_lowers_the_probability_more(spot_model: LoadedModel) -> None:
    tensor = np.full((1, 32, 32), -1024.0, np.float32)
    tensor[0, 8:14, 20:26] = 1024.0
    right = np.zeros((32, 32), np.float32)
    right[8:14, 20:26] = 1.0
    wrong = np.zeros((32, 32), np.float32)
    wrong[20:26, 2:8] = 1.0
    scores = measure_deletion(spot_model.network, tensor, {0: right})
    elsewhere = measure_deletion(spot_model.network, tensor, {0: wrong})
    assert scores[0].drop > elsewhere[0].drop
    assert elsewhere[0].drop == pytest.approx(0.0, abs=1e-6)


def test_flat_rule_and_descriptions() -> None:
    assert find_flat_reason(np.zeros((4, 4)), 0.0, "occlusion sensitivity") is not None
    assert "flat over" in (find_flat_reason(np.ones((4, 4)), 0.0, "Grad-CAM") or "")
    peaked = np.zeros((8, 8))
    peaked[2, 3] = 0.05
    assert find_flat_reason(peaked, 0.002, "Kernel SHAP") is None
    assert find_flat_reason(peaked * 0.01, 0.002, "Kernel SHAP") is not None
    score = Faithfulness(0.1, 0.62, 0.21)
    assert score.drop == pytest.approx(0.41)
    assert Faithfulness.from_json(score.to_json()) == score
    assert Faithfulness.from_json({"drop": 1}) is None
    assert describe_heatmap("kernelshap", score) == (
        "Kernel SHAP heatmap; masking the top 10% of the map: p 0.62 \N{RIGHTWARDS ARROW} 0.21"
    )
    assert describe_heatmap("occlusion") == "occlusion sensitivity heatmap"


def test_methods_are_one_list_everywhere() -> None:
    from core.analysis.inference import HEATMAP_METHODS
    from core.cli import build_parser
    from core.report.workflow import HEATMAP_METHOD

    assert tuple(METHODS) == HEATMAP_METHODS and HEATMAP_METHOD in METHODS
    analyze = build_parser().parse_args(["analyze", "x.dcm", "--method", "kernelshap"])
    assert analyze.method == "kernelshap"


def test_a_frontal_chest_is_compared_with_its_other_side() -> None:
    image = np.zeros((1, 8, 8), np.float32)
    image[0, 2, 1] = 500.0  # a nodule in the right lung (left of the image)
    mirrored = make_baseline(image, "mirror")
    assert mirrored[0, 2, 1] == 0.0 and mirrored[0, 2, 6] == 500.0
    assert mirrored.flags["C_CONTIGUOUS"]
    assert choose_baseline("CHEST", "PA") == "mirror" and choose_baseline("chest", "AP") == "mirror"
    assert choose_baseline("CHEST", "LL") == "blur"  # a lateral has no other side
    assert choose_baseline(None, "PA") == "blur" and choose_baseline("HAND", "PA") == "blur"
    with pytest.raises(ValueError, match="baseline"):
        make_baseline(image, "grey")
