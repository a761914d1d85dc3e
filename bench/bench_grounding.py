"""The grounding check's recall and false alarms on crafted reports with known answers.

The cases are tests/core/data/grounding_cases.json (made by make_grounding_cases.py
beside it): generated English and Chinese reports built from a bank of sentences whose
meaning is annotated by hand, hand-written cases, and a held-out set written after the
lexicon last changed. Printed as markdown, per issue kind and language:

* recall — expected issues raised / expected issues (target >= 0.95 per kind);
* precision — raised issues that were expected / raised issues;
* false alarms — cases that expect no issue of that kind but got one / such cases
  (target <= 0.05);

for all cases, then the held-out cases alone, and the time one check takes.

    python bench/bench_grounding.py [--strict]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._common import finish  # noqa: E402
from tests.core.grounding_helpers import (  # noqa: E402
    build_report,
    load_cases,
    markdown_table,
    score,
)

RECALL_MIN = 0.95
FALSE_ALARM_MAX = 0.05


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)

    from core.report.grounding import ISSUE_KINDS, check_grounding

    cases = load_cases()
    held_out = [case for case in cases if case["origin"] == "held-out"]
    languages = sorted({case["language"] for case in cases})
    print(f"## Grounding check: {len(cases)} crafted reports ({', '.join(languages)})\n")
    tallies = score(cases)
    print(markdown_table(tallies))
    print(f"\n## Held-out cases only ({len(held_out)})\n")
    print(markdown_table(score(held_out)))

    reports = [build_report(case) for case in cases]
    for report in reports[:20]:
        check_grounding(report)  # compile the lexicon, warm up
    per_report = []
    for _ in range(3):
        started = time.perf_counter()
        for report in reports:
            check_grounding(report)
        per_report.append((time.perf_counter() - started) / len(reports) * 1000)
    print(f"\ncheck_grounding: {statistics.median(per_report):.2f} ms per report (median of 3)")

    verdicts: dict[str, bool] = {}
    for kind in ISSUE_KINDS:
        tally = tallies[(kind, "all")]
        verdicts[f"{kind} recall >= {RECALL_MIN}"] = tally.recall >= RECALL_MIN
        for language in languages:
            rate = tallies[(kind, language)].false_alarm_rate
            verdicts[f"{kind} false alarms ({language}) <= {FALSE_ALARM_MAX}"] = (
                rate <= FALSE_ALARM_MAX
            )
        for line in tally.misses:
            print(f"missed {kind}: {line}")
        for line in tally.false_alarms:
            print(f"false alarm {kind}: {line}")
    return finish(verdicts, args.strict)


if __name__ == "__main__":
    sys.exit(main())
