"""Every heatmap method plays the pointing game on unseen generated radiographs.

The pointing game of ``scripts/evaluate_explanations.py`` (a hit when a true-positive
finding's heatmap peak lies inside the lesion's disc), per method and lesion size. The
quick run here uses cases of the "explanation" split -- a random stream no training,
validation or model-card case used -- with small lesions represented; the recorded
120-image figures are checked against the model card, and the full run that reproduces
them (about 5 minutes) is ``make evaluate``'s.

The issue's target (each method >= 0.80 overall and >= 0.70 on small lesions) is met
overall by Grad-CAM and occlusion (asserted below); small lesions and Kernel SHAP's
overall figure are not met yet: a strict expected failure, so it turns into a failure
the day they are met and the mark must go. Until then the floors pinned here are the
figures measured, so that no change makes a method point worse unnoticed.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from core.analysis.explain import METHODS
from tests.core.test_demo_model import PACKAGE, load_script

#: The quick run: the first cases of the split, then the first ones with a nodule after them.
QUICK_FIRST = 16
QUICK_SMALL = 6
#: The pointing game of every method overall, as measured on the recorded 120 images
#: (0.955, 0.843, 0.753; see the model card) less a margin ...
FLOOR_RECORDED = {"gradcam": 0.90, "occlusion": 0.80, "kernelshap": 0.70}
#: ... and per lesion size for the sizes where a method points (occlusion's
#: multi-scale patches, Kernel SHAP's game per side of the chest: large 0.955 and 0.925).
FLOOR_RECORDED_LARGE = {"gradcam": 0.95, "occlusion": 0.90, "kernelshap": 0.88}
#: Methods that meet the issue's overall target on the record.
MEETS_OVERALL = ("gradcam", "occlusion")
#: ... and on the quick run, whose cases hold more nodules (occlusion measured 0.76,
#: Kernel SHAP 0.71).
FLOOR_QUICK = {"gradcam": 0.80, "occlusion": 0.70, "kernelshap": 0.65}
#: ... and the faithfulness every shown map has on average (probability lost when its
#: top 10 % is masked).
FLOOR_DROP = 0.2


@pytest.fixture(scope="module")
def script() -> Any:
    load_script("demo_data")
    return load_script("evaluate_explanations")


@pytest.fixture(scope="module")
def record(script: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PACKAGE / script.RECORD_NAME).read_text(encoding="utf-8"))
    return data


def _quick_cases(script: Any) -> list[int]:
    demo_data = load_script("demo_data")
    chosen = list(range(QUICK_FIRST))
    index, small = QUICK_FIRST, 0
    while small < QUICK_SMALL:
        case = demo_data.make_case(script.SPLIT, index)
        side = max(case.image.values.shape[:2])
        if any(script.size_class(les.radius, side) == "small" for les in case.truth.lesions):
            chosen.append(index)
            small += 1
        index += 1
    return chosen


@pytest.mark.timeout(900)  # 22 radiographs x 3 methods: ~2 min quiet, minutes more under load
def test_quick_pointing_game_for_every_method(script: Any) -> None:
    figures = script.evaluate(_quick_cases(script))
    assert set(figures) == set(METHODS)
    report = script.format_figures(figures)
    for method, f in figures.items():
        assert f.total >= 15 and f.findings["small"] >= 3, (method, report)
        assert f.pointing() >= FLOOR_QUICK[method], (method, report)
        # Every map shown said how faithful it is, and it is: masking its hottest
        # tenth (with the other side of the chest) lowers the probability.
        assert f.drops and sum(f.drops) / len(f.drops) >= FLOOR_DROP, (method, report)
        # A positive finding without a map is one whose flat map was refused, with the
        # reason; none is silently without one.
        assert f.silent == 0, (method, report)


def test_recorded_figures_are_complete_and_the_card_states_them(
    script: Any, record: dict[str, Any]
) -> None:
    assert record["split"] == script.SPLIT and record["count"] >= 120
    assert list(record["methods"]) == list(METHODS)
    card = (PACKAGE / "MODEL_CARD.md").read_text(encoding="utf-8")
    for method, figures in record["methods"].items():
        assert set(figures["by_size"]) == {"small", "medium", "large"}
        assert figures["by_size"]["small"]["findings"] >= 5, method
        assert figures["pointing_game"] >= FLOOR_RECORDED[method], method
        assert figures["by_size"]["large"]["pointing"] >= FLOOR_RECORDED_LARGE[method], method
        assert figures["mean_faithfulness_drop"] >= FLOOR_DROP, method
        assert figures["seconds_per_finding"] is not None
        row = f"| {METHODS[method]} | {figures['pointing_game']:.3f} ({figures['hits']}/"
        assert row in card, method


def test_grad_cam_and_occlusion_meet_the_overall_target(
    script: Any, record: dict[str, Any]
) -> None:
    for method in MEETS_OVERALL:
        assert record["methods"][method]["pointing_game"] >= script.TARGET_OVERALL, method


@pytest.mark.xfail(
    strict=True,
    reason="issue 10: small lesions (nodules, 3-7 px at the demo model's 128 px input) are "
    "below 0.70 for every method -- removing a whole nodule moves this model's probability "
    "by 0.01-0.10, less than removing other regions -- and Kernel SHAP is below 0.80 overall",
)
def test_every_method_meets_the_pointing_targets(script: Any, record: dict[str, Any]) -> None:
    for method, figures in record["methods"].items():
        small = figures["by_size"]["small"]
        assert figures["pointing_game"] >= script.TARGET_OVERALL, method
        assert small["pointing"] >= script.TARGET_SMALL, method


@pytest.mark.slow
@pytest.mark.evaluation  # about 5 minutes: `make evaluate`; the quick run above is in `make test`
@pytest.mark.timeout(900)  # 120 radiographs x 3 methods: ~4 min quiet, more on a loaded machine
def test_full_pointing_game_matches_the_record(script: Any, record: dict[str, Any]) -> None:
    start, count = record["start"], record["count"]
    figures = script.evaluate(range(start, start + count))
    for method, f in figures.items():
        recorded = record["methods"][method]
        assert sum(f.hits.values()) == recorded["hits"], method
        assert f.total == recorded["findings"], method
