"""The grounding check on 300 crafted reports with known answers (data/grounding_cases.json).

Recall and false alarms per issue kind, in English and Chinese; the data file is what its
generator (data/make_grounding_cases.py) writes, so nobody fits the answers to the check.
"""

from __future__ import annotations

import importlib.util
import random
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

from core.report.grounding import ISSUE_KINDS, check_grounding
from tests.core.grounding_helpers import (
    CASES_FILE,
    LANGUAGES,
    build_report,
    load_cases,
    markdown_table,
    score,
)

RECALL_MIN = 0.95  # per kind, both languages together
RECALL_MIN_PER_LANGUAGE = 0.90  # per kind and language (fewer cases: one miss weighs more)
FALSE_ALARM_MAX = 0.05  # per kind and language

CASES = load_cases()
TALLIES = score(CASES)


def _generator() -> ModuleType:
    path = Path(CASES_FILE).with_name("make_grounding_cases.py")
    spec = importlib.util.spec_from_file_location("make_grounding_cases", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def test_the_set_covers_every_kind_in_both_languages() -> None:
    assert len(CASES) >= 200
    assert len({case["id"] for case in CASES}) == len(CASES)
    per_language = Counter(case["language"] for case in CASES)
    assert all(per_language[language] >= 100 for language in LANGUAGES), per_language
    expected = Counter(
        (case["language"], answer["kind"]) for case in CASES for answer in case["expected"]
    )
    for language in LANGUAGES:
        for kind in ISSUE_KINDS:
            assert expected[(language, kind)] >= 15, (language, kind, expected)
    sections = Counter(answer["section"] for case in CASES for answer in case["expected"])
    assert sections["findings"] >= 50 and sections["impression"] >= 50
    tags = Counter(tag for case in CASES for tag in case["tags"])
    for tag in ("negation", "uncertainty", "laterality", "omission", "cross-section", "clean"):
        assert tags[tag] >= 20, (tag, tags)
    assert sum(not case["expected"] for case in CASES) >= 60  # clean reports


def test_the_file_is_what_its_generator_writes() -> None:
    generator = _generator()
    rng = random.Random(generator.SEED)
    cases = (
        generator.generated_cases("en", generator.PER_LANGUAGE, rng)
        + generator.generated_cases("zh-CN", generator.PER_LANGUAGE, rng)
        + generator.hand_cases()
        + generator.held_out_cases()
    )
    assert cases == CASES, "run tests/core/data/make_grounding_cases.py"


@pytest.mark.parametrize("kind", ISSUE_KINDS)
def test_recall_and_false_alarms_per_kind(kind: str) -> None:
    overall = TALLIES[(kind, "all")]
    table = markdown_table({k: v for k, v in TALLIES.items() if k[0] == kind})
    assert overall.recall >= RECALL_MIN, f"{table}\nmissed: {overall.misses}"
    for language in LANGUAGES:
        tally = TALLIES[(kind, language)]
        assert tally.expected >= 15
        assert tally.recall >= RECALL_MIN_PER_LANGUAGE, f"{table}\nmissed: {overall.misses}"
        assert tally.false_alarm_rate <= FALSE_ALARM_MAX, (
            f"{table}\nfalse alarms: {overall.false_alarms}"
        )


def test_clean_reports_raise_nothing() -> None:
    clean = [case for case in CASES if not case["expected"]]
    raised = {
        case["id"]: [(i.kind, i.label, i.text) for i in issues]
        for case in clean
        if (issues := check_grounding(build_report(case)))
    }
    assert raised == {}
