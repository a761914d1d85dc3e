"""The grounding check measured on crafted reports with known answers (data/grounding_cases.json).

Shared by tests/core/test_grounding_cases.py and bench/bench_grounding.py. An answer is
a (kind, label, section) triple; per issue kind (and per language):

* recall — the expected issues the check raised, over all expected issues;
* false-alarm rate — of the cases that expect no issue of that kind, the share in which
  the check raised one;
* precision — the raised issues that were expected, over all raised issues.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.report.document import (
    FindingFact,
    Origin,
    Report,
    Section,
    Sentence,
    new_report,
)
from core.report.grounding import ISSUE_KINDS, check_grounding
from tests.core.report_helpers import make_report_context

CASES_FILE = Path(__file__).with_name("data") / "grounding_cases.json"
LANGUAGES = ("en", "zh-CN")
# Probability and threshold of each verdict (the check only words its reasons with them).
_NUMBERS = {"positive": (0.81, 0.3), "indeterminate": (0.27, 0.3), "negative": (0.03, 0.3)}

Answer = tuple[str, str, str]  # kind, label, section


def load_cases(path: Path = CASES_FILE) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads(path.read_text("utf-8"))["cases"]
    return cases


def build_report(case: dict[str, Any]) -> Report:
    facts = tuple(
        FindingFact(
            f["label"], f["verdict"], *_NUMBERS[f["verdict"]], side=f["side"], zone=f["zone"]
        )
        for f in case["facts"]
    )
    context = make_report_context(
        "1.2.826.0.1.3680043.8.498.99",
        findings=facts,
        models=("demo-cxr 1.0",) if case["analysed"] else (),
        analysed=case["analysed"],
    )
    report = new_report(context, case["language"])
    for name, texts in case["sections"].items():
        report = report.with_sentences(
            Section(name), [Sentence(text, Origin.PERSON) for text in texts]
        )
    return report


def expected_answers(case: dict[str, Any]) -> set[Answer]:
    return {(e["kind"], e["label"], e["section"]) for e in case["expected"]}


def raised_answers(case: dict[str, Any]) -> set[Answer]:
    return {(i.kind, i.label, i.section.value) for i in check_grounding(build_report(case))}


@dataclass
class Tally:
    expected: int = 0
    caught: int = 0
    raised: int = 0
    right: int = 0
    quiet_cases: int = 0  # cases that expect none of this kind
    false_alarm_cases: int = 0
    misses: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.caught / self.expected if self.expected else 1.0

    @property
    def false_alarm_rate(self) -> float:
        return self.false_alarm_cases / self.quiet_cases if self.quiet_cases else 0.0

    @property
    def precision(self) -> float:
        return self.right / self.raised if self.raised else 1.0


def score(
    cases: Sequence[dict[str, Any]], kinds: Iterable[str] = ISSUE_KINDS
) -> dict[tuple[str, str], Tally]:
    """Tallies per (kind, language), with language "all" for both together."""
    kinds = tuple(kinds)
    tallies: dict[tuple[str, str], Tally] = {
        (kind, language): Tally() for kind in kinds for language in (*LANGUAGES, "all")
    }
    for case in cases:
        expected = expected_answers(case)
        raised = raised_answers(case)
        for kind in kinds:
            want = {a for a in expected if a[0] == kind}
            got = {a for a in raised if a[0] == kind}
            for language in (case["language"], "all"):
                tally = tallies[(kind, language)]
                tally.expected += len(want)
                tally.caught += len(want & got)
                tally.raised += len(got)
                tally.right += len(want & got)
                if not want:
                    tally.quiet_cases += 1
                    tally.false_alarm_cases += bool(got)
                if language == "all":
                    tally.misses.extend(f"{case['id']}: {a}" for a in sorted(want - got))
                    tally.false_alarms.extend(f"{case['id']}: {a}" for a in sorted(got - want))
    return tallies


def markdown_table(tallies: dict[tuple[str, str], Tally]) -> str:
    lines = [
        "| kind | language | expected | recall | precision | false alarms (cases) | FA rate |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for (kind, language), t in tallies.items():
        lines.append(
            f"| {kind} | {language} | {t.expected} | {t.recall:.3f} | {t.precision:.3f} | "
            f"{t.false_alarm_cases}/{t.quiet_cases} | {t.false_alarm_rate:.3f} |"
        )
    return "\n".join(lines)
