"""What the report panel says about a report, in words (the interface language's).

The state line (Draft or Final, signed by whom and when), the review summary under the
editor, a row of the grounding conflicts list, and a sentence's tooltip (who wrote it,
whether it was reviewed, why the grounding check questions it). The facts are the
report's and the session's (:mod:`core.report.workflow`); these functions only word them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication

from core.report.document import Origin, Report, Sentence
from desktop.assistant.report_layout import local_time, section_title

if TYPE_CHECKING:
    from core.report.grounding import GroundingIssue

logger = logging.getLogger(__name__)

__all__ = ["conflict_row", "review_summary", "sentence_tooltip", "state_line"]


def _origin_text(origin: Origin) -> str:
    """Who wrote a sentence, as its tooltip begins."""
    if origin is Origin.TEMPLATE:
        return QCoreApplication.translate("ReportTexts", "Template text")
    if origin is Origin.LANGUAGE_MODEL:
        return QCoreApplication.translate("ReportTexts", "Language model text")
    return QCoreApplication.translate("ReportTexts", "Your text")


def state_line(report: Report, *, saved: bool) -> str:
    """ "Final — signed by … at …" for a signed report, else "Draft — revision …"."""
    signature = report.signature
    if report.is_final and signature is not None:
        text = QCoreApplication.translate("ReportTexts", "Final — signed by {signer} at {time}")
        text = text.format(signer=signature.signer, time=local_time(signature.signed_at))
        if signature.override_reason:
            text += QCoreApplication.translate("ReportTexts", " (review overridden)")
        return text
    if saved:
        text = QCoreApplication.translate("ReportTexts", "Draft — revision {revision}, saved")
    else:
        text = QCoreApplication.translate(
            "ReportTexts", "Draft — revision {revision}, not saved yet"
        )
    return text.format(revision=report.revision)


def review_summary(report: Report, issues: Sequence[GroundingIssue]) -> str:
    """What is left to review ("2 sentences to review · 1 conflict"), or that nothing is."""
    if report.is_final:
        return ""
    unreviewed = len(report.unreviewed())
    conflicts = sum(issue.is_conflict for issue in issues)
    omitted = len(issues) - conflicts
    if unreviewed or conflicts or omitted:
        parts = []
        if unreviewed == 1:
            parts.append(QCoreApplication.translate("ReportTexts", "1 sentence to review"))
        elif unreviewed:
            text = QCoreApplication.translate("ReportTexts", "{count} sentences to review")
            parts.append(text.format(count=unreviewed))
        if conflicts == 1:
            parts.append(QCoreApplication.translate("ReportTexts", "1 conflict"))
        elif conflicts:
            text = QCoreApplication.translate("ReportTexts", "{count} conflicts")
            parts.append(text.format(count=conflicts))
        if omitted:
            text = QCoreApplication.translate("ReportTexts", "{count} not mentioned")
            parts.append(text.format(count=omitted))
        return " · ".join(parts)
    return (
        "" if report.is_empty else QCoreApplication.translate("ReportTexts", "Everything reviewed")
    )


def conflict_row(issue: GroundingIssue, report: Report) -> str | None:
    """A grounding issue as a row of the conflicts list; None when its sentence is gone."""
    if issue.sentence_id is None:  # a finding the text leaves out: no sentence
        text = QCoreApplication.translate("ReportTexts", "Not mentioned — {reason}")
        return text.format(reason=issue.reason)
    try:
        section, sentence = report.find_sentence(issue.sentence_id)
    except KeyError:
        return None
    text = QCoreApplication.translate("ReportTexts", "{heading}: “{sentence}” — {reason}")
    heading = section_title(section, report.language)
    return text.format(heading=heading, sentence=sentence.text, reason=issue.reason)


def sentence_tooltip(sentence: Sentence, issues: Sequence[GroundingIssue]) -> str:
    """Who wrote ``sentence`` and whether it was reviewed; the conflicts it is in."""
    lines = []
    if sentence.origin is not Origin.PERSON:
        who = _origin_text(sentence.origin)
        source = f" ({sentence.source})" if sentence.source else ""
        if sentence.reviewed:
            state = QCoreApplication.translate("ReportTexts", "reviewed")
        else:
            state = QCoreApplication.translate("ReportTexts", "not reviewed yet")
        lines.append(f"{who}{source}, {state}")
    conflict = QCoreApplication.translate("ReportTexts", "Conflict: {reason}")
    lines.extend(
        conflict.format(reason=issue.reason) for issue in issues if issue.sentence_id == sentence.id
    )
    return "\n".join(lines)
