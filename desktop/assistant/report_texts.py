"""What the report panel says about a report, in words (Qt-free).

The state line (Draft or Final, signed by whom and when), the review summary under the
editor, a row of the grounding conflicts list, and a sentence's tooltip (who wrote it,
whether it was reviewed, why the grounding check questions it). The facts are the
report's and the session's (:mod:`core.report.workflow`); these functions only word them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from core.report.document import Origin, Report, Sentence
from desktop.assistant.report_layout import local_time, section_title

if TYPE_CHECKING:
    from core.report.grounding import GroundingIssue

logger = logging.getLogger(__name__)

__all__ = ["conflict_row", "review_summary", "sentence_tooltip", "state_line"]

_ORIGIN_TEXT: Final = {
    Origin.TEMPLATE: "Template",
    Origin.LANGUAGE_MODEL: "Language model",
    Origin.PERSON: "Your",
}


def _count(number: int, thing: str) -> str:
    return f"{number} {thing}{'s' if number != 1 else ''}"


def state_line(report: Report, *, saved: bool) -> str:
    """ "Final — signed by … at …" for a signed report, else "Draft — revision …"."""
    signature = report.signature
    if report.is_final and signature is not None:
        text = f"Final — signed by {signature.signer} at {local_time(signature.signed_at)}"
        if signature.override_reason:
            text += " (review overridden)"
        return text
    return f"Draft — revision {report.revision}, {'saved' if saved else 'not saved yet'}"


def review_summary(report: Report, issues: Sequence[GroundingIssue]) -> str:
    """What is left to review ("2 sentences to review · 1 conflict"), or that nothing is."""
    if report.is_final:
        return ""
    unreviewed = len(report.unreviewed())
    conflicts = sum(issue.is_conflict for issue in issues)
    omitted = len(issues) - conflicts
    if unreviewed or conflicts or omitted:
        parts = []
        if unreviewed:
            parts.append(f"{_count(unreviewed, 'sentence')} to review")
        if conflicts:
            parts.append(_count(conflicts, "conflict"))
        if omitted:
            parts.append(f"{omitted} not mentioned")
        return " · ".join(parts)
    return "" if report.is_empty else "Everything reviewed"


def conflict_row(issue: GroundingIssue, report: Report) -> str | None:
    """A grounding issue as a row of the conflicts list; None when its sentence is gone."""
    if issue.sentence_id is None:  # a finding the text leaves out: no sentence
        return f"Not mentioned — {issue.reason}"
    try:
        section, sentence = report.find_sentence(issue.sentence_id)
    except KeyError:
        return None
    heading = section_title(section, report.language)
    return f"{heading}: “{sentence.text}” — {issue.reason}"


def sentence_tooltip(sentence: Sentence, issues: Sequence[GroundingIssue]) -> str:
    """Who wrote ``sentence`` and whether it was reviewed; the conflicts it is in."""
    lines = []
    if sentence.origin is not Origin.PERSON:
        who = _ORIGIN_TEXT[sentence.origin]
        source = f" ({sentence.source})" if sentence.source else ""
        state = "reviewed" if sentence.reviewed else "not reviewed yet"
        lines.append(f"{who} text{source}, {state}")
    lines.extend(
        f"Conflict: {issue.reason}" for issue in issues if issue.sentence_id == sentence.id
    )
    return "\n".join(lines)
