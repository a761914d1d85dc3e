"""Every heatmap method plays the pointing game on unseen generated radiographs.

The pointing game of ``scripts/evaluate_explanations.py`` (a hit when a true-positive
finding's heatmap peak lies inside the lesion's disc), per method and lesion size. The
quick run here uses cases of the "explanation" split -- a random stream no training,
validation or model-card case used -- with small lesions represented: Grad-CAM on 22
of them, the perturbation methods (seconds per finding at the 256-px input) on the
first ones with a nodule. The recorded 120-image figures are checked against the
model card and against the issue's targets, the small-lesion one on the record's
small lesions and its extension's (the small lesions of the 360 cases after it) together:
Grad-CAM and occlusion meet them; Kernel SHAP meets the overall one, not yet the
small-lesion one (a strict expected failure, so that the mark must go the day it does).
Until then the floors pinned here are the figures measured, so that no change makes a
method point worse unnoticed. The full run that reproduces the record and its extension
(about 40 minutes each on two cores) is ``make evaluate``'s.
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
#: The perturbation methods play on the first of the cases with a nodule only: a smoke check
#: of the app's path (the model finds one large lesion there and not the nodule; 3 cases
#: took ~90 s of make test), the recorded figures are the measure and test_explain_methods
#: tries each method on a faint small spot.
QUICK_PERTURBATION = 1
#: The pointing game of every method overall, as measured on the recorded 120 images
#: (0.989, 0.935, 0.882; see the model card) less a margin ...
FLOOR_RECORDED = {"gradcam": 0.95, "occlusion": 0.90, "kernelshap": 0.85}
#: ... and on small lesions (11/11, 6/11, 6/11) ...
FLOOR_RECORDED_SMALL = {"gradcam": 0.90, "occlusion": 0.50, "kernelshap": 0.50}
#: ... and on small lesions with the record's extension (50/51, 37/51, 26/51).
FLOOR_EXTENDED_SMALL = {"gradcam": 0.95, "occlusion": 0.70, "kernelshap": 0.50}
#: ... and on large ones.
FLOOR_RECORDED_LARGE = {"gradcam": 0.95, "occlusion": 0.95, "kernelshap": 0.90}
#: ... and on the quick run (measured 1.000 on 18 findings; 1.000 on 1 for each perturbation
#: method: a smoke check, the record above is the measure).
FLOOR_QUICK = {"gradcam": 0.90, "occlusion": 0.50, "kernelshap": 0.50}
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


def _quick_cases(script: Any) -> tuple[list[int], list[int]]:
    """The quick run's cases, and those of them with a small lesion."""
    demo_data = load_script("demo_data")
    chosen = list(range(QUICK_FIRST))
    small: list[int] = []
    index = QUICK_FIRST
    while len(small) < QUICK_SMALL:
        case = demo_data.make_case(script.SPLIT, index)
        side = max(case.image.values.shape[:2])
        if any(script.size_class(les.radius, side) == "small" for les in case.truth.lesions):
            small.append(index)
        index += 1
    return chosen + small, small


@pytest.mark.timeout(1200)  # ~30 s on a quiet machine, minutes more under load
def test_quick_pointing_game_for_every_method(script: Any) -> None:
    cases, small = _quick_cases(script)
    figures = script.evaluate(cases, ["gradcam"])
    for method in METHODS:
        if method != "gradcam":
            figures |= script.evaluate(small[:QUICK_PERTURBATION], [method])
    assert set(figures) == set(METHODS)
    report = script.format_figures(figures)
    for method, f in figures.items():
        assert f.total >= 1 and f.findings["small"] >= (4 if method == "gradcam" else 0), report
        assert f.pointing() >= FLOOR_QUICK[method], (method, report)
        # Every map shown said how faithful it is, and it is: masking its hottest
        # tenth (with the other side of the chest) lowers the probability.
        assert f.drops and sum(f.drops) / len(f.drops) >= FLOOR_DROP, (method, report)
        # A positive finding without a map is one whose flat map was refused, with the
        # reason; none is silently without one.
        assert f.silent == 0, (method, report)
    assert figures["gradcam"].total >= 15, report


def test_recorded_figures_are_complete_and_the_card_states_them(
    script: Any, record: dict[str, Any]
) -> None:
    assert record["split"] == script.SPLIT and record["count"] >= 120
    assert list(record["methods"]) == list(METHODS)
    card = (PACKAGE / "MODEL_CARD.md").read_text(encoding="utf-8")
    for method, figures in record["methods"].items():
        assert set(figures["by_size"]) == {"small", "medium", "large"}
        assert figures["by_size"]["small"]["findings"] >= 10, method
        assert figures["pointing_game"] >= FLOOR_RECORDED[method], method
        assert figures["by_size"]["small"]["pointing"] >= FLOOR_RECORDED_SMALL[method], method
        assert figures["by_size"]["large"]["pointing"] >= FLOOR_RECORDED_LARGE[method], method
        assert figures["mean_faithfulness_drop"] >= FLOOR_DROP, method
        assert figures["seconds_per_finding"] is not None
        row = f"| {METHODS[method]} | {figures['pointing_game']:.3f} ({figures['hits']}/"
        assert row in card, method
        hits, findings = script.small_lesion_figures(record)[method]
        meets = (
            figures["pointing_game"] >= script.TARGET_OVERALL
            and hits / findings >= script.TARGET_SMALL
        )
        assert f"{METHODS[method]} {'met' if meets else 'NOT met'}" in card, method


def test_every_method_meets_the_overall_target(script: Any, record: dict[str, Any]) -> None:
    for method, figures in record["methods"].items():
        assert figures["pointing_game"] >= script.TARGET_OVERALL, method


_SMALL_NOT_MET = pytest.mark.xfail(
    strict=True,
    reason="issue 10: on small lesions Kernel SHAP points at 26 of 51 nodules (0.510) on the "
    "record and its extension, below 0.70",
)


@pytest.mark.parametrize(
    "method",
    [m if m != "kernelshap" else pytest.param(m, marks=_SMALL_NOT_MET) for m in METHODS],
)
def test_every_method_meets_the_small_lesion_target(
    script: Any, record: dict[str, Any], method: str
) -> None:
    # Judged on the main cases' small lesions and the extension's together.
    hits, findings = script.small_lesion_figures(record)[method]
    assert findings >= 40 and hits / findings >= script.TARGET_SMALL, (method, hits, findings)


def test_the_small_lesion_extension_follows_the_main_cases_and_the_card_states_it(
    script: Any, record: dict[str, Any]
) -> None:
    extension = record[script.EXTENSION]
    assert extension["start"] == record["start"] + record["count"]
    end = extension["start"] + extension["count"]
    cases = extension["cases"]
    assert cases == sorted(set(cases)) and all(extension["start"] <= i < end for i in cases)
    # Which cases hold a small lesion comes from the generator alone: spot-check the
    # first ones (all 360 take about a minute).
    first = range(extension["start"], cases[2] + 1)
    assert script.small_lesion_cases(first) == cases[:3]
    card = (PACKAGE / "MODEL_CARD.md").read_text(encoding="utf-8")
    for method, (hits, findings) in script.small_lesion_figures(record).items():
        assert extension["methods"][method]["findings"] >= 25, method
        assert f"- {METHODS[method]}: {hits / findings:.3f} ({hits}/{findings})" in card, method
        small = record["methods"][method]["by_size"]["small"]
        assert hits / findings >= FLOOR_EXTENDED_SMALL[method], method
        assert hits >= small["hits"] and findings > small["findings"], method


@pytest.mark.slow
@pytest.mark.evaluation  # about 80 minutes: `make evaluate`; the quick run above is in `make test`
@pytest.mark.timeout(3 * 3600)  # 120 radiographs x 3 methods at 256 px, then 45 more
def test_full_pointing_game_matches_the_record(script: Any, record: dict[str, Any]) -> None:
    start, count = record["start"], record["count"]
    figures = script.evaluate(range(start, start + count))
    for method, f in figures.items():
        recorded = record["methods"][method]
        assert sum(f.hits.values()) == recorded["hits"], method
        assert f.total == recorded["findings"], method
    extension = record[script.EXTENSION]
    first = extension["start"]
    cases = script.small_lesion_cases(range(first, first + extension["count"]))
    assert cases == extension["cases"]
    figures = script.evaluate(cases, sizes=("small",))
    for method, f in figures.items():
        recorded = extension["methods"][method]
        assert (f.hits["small"], f.findings["small"]) == (recorded["hits"], recorded["findings"])
