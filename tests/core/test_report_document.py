"""The report document: sentences keep their origin through edits; signing and addenda."""

from __future__ import annotations

import json

import pytest

from core.report.document import (
    SECTION_ORDER,
    FindingFact,
    Origin,
    Report,
    ReportContext,
    ReportState,
    ReportStateError,
    Section,
    Sentence,
    SigningBlockedError,
    StudyContext,
    join_sentences,
    new_report,
    split_sentences,
)
from tests.core.report_helpers import make_report_context


def _context() -> ReportContext:
    finding = FindingFact("Effusion", "positive", 0.91, 0.3, side="right", zone="lower")
    return make_report_context(findings=(finding,), models=("demo 1.0",))


def _drafted() -> Report:
    report = new_report(_context())
    return report.with_sentences(
        Section.FINDINGS,
        [
            Sentence("Right pleural effusion.", Origin.TEMPLATE, source="cxr-en"),
            Sentence("No pneumothorax.", Origin.LANGUAGE_MODEL, source="tiny-lm"),
        ],
    )


def test_split_and_join_keep_decimals_and_chinese_punctuation() -> None:
    assert split_sentences("Nodule 12.5 mm. No effusion!  Stable?") == [
        "Nodule 12.5 mm.",
        "No effusion!",
        "Stable?",
    ]
    assert split_sentences("右肺下野见结节影。未见气胸。") == ["右肺下野见结节影。", "未见气胸。"]
    assert split_sentences("Line one\nLine two.") == ["Line one", "Line two."]
    assert join_sentences(["A.", "B."]) == "A. B."
    assert join_sentences(["甲。", "乙。"], "zh-CN") == "甲。乙。"
    with pytest.raises(TypeError, match="found int"):
        split_sentences(3)  # type: ignore[arg-type]


def test_new_report_has_every_section_empty() -> None:
    report = new_report(_context(), "zh-CN")
    assert tuple(report.sections) == SECTION_ORDER
    assert report.is_empty and report.state is ReportState.DRAFT
    assert report.study_instance_uid == "1.2.826.0.1.3680043.8.498.1"
    with pytest.raises(ValueError, match="'fr'"):
        new_report(_context(), "fr")


def test_engine_text_is_unreviewed_and_named_in_engines() -> None:
    report = _drafted()
    assert [s.text for s in report.unreviewed()] == ["Right pleural effusion.", "No pneumothorax."]
    assert report.engines == ("template:cxr-en", "language_model:tiny-lm")
    assert report.revision == 1
    assert report.section_text(Section.FINDINGS) == "Right pleural effusion. No pneumothorax."


def test_a_persons_edit_keeps_untouched_sentences_and_owns_the_changed_ones() -> None:
    report = _drafted()
    first, second = report.sentences(Section.FINDINGS)
    edited = report.with_section_text(
        Section.FINDINGS, "Right pleural effusion.  No pneumothorax seen. Heart size normal."
    )
    sentences = edited.sentences(Section.FINDINGS)
    assert [s.text for s in sentences] == [
        "Right pleural effusion.",
        "No pneumothorax seen.",
        "Heart size normal.",
    ]
    assert sentences[0].id == first.id and sentences[0].origin is Origin.TEMPLATE
    assert not sentences[0].reviewed
    assert all(s.origin is Origin.PERSON and s.reviewed for s in sentences[1:])
    assert second.id not in {s.id for s in sentences}
    # The same text again is no change at all.
    assert edited.with_section_text(Section.FINDINGS, edited.section_text(Section.FINDINGS)) is (
        edited
    )


def test_signing_is_blocked_until_reviewed_or_overridden() -> None:
    report = _drafted()
    with pytest.raises(SigningBlockedError) as blocked:
        report.sign("Dr A. Reader")
    assert len(blocked.value.outstanding) == 2
    assert "unreviewed template text" in blocked.value.outstanding[0]
    with pytest.raises(SigningBlockedError, match="conflict: denies"):
        report.mark_reviewed().sign("Dr A. Reader", conflicts=["denies Effusion"])
    with pytest.raises(ReportStateError, match="no user name"):
        report.mark_reviewed().sign("  ")
    signed = report.mark_reviewed().sign("Dr A. Reader", signed_at="2026-11-22T10:00:00+00:00")
    assert signed.is_final and signed.signature is not None
    assert signed.signature.signer == "Dr A. Reader"
    assert signed.signature.override_reason is None and signed.signature.overridden == ()
    overridden = report.sign("Dr A. Reader", override_reason="discussed with clinician")
    assert overridden.signature is not None
    assert overridden.signature.override_reason == "discussed with clinician"
    assert len(overridden.signature.overridden) == 2


def test_a_final_report_takes_only_addenda() -> None:
    signed = _drafted().mark_reviewed().sign("Dr A. Reader")
    for change in (
        lambda r: r.with_section_text(Section.IMPRESSION, "Changed."),
        lambda r: r.mark_reviewed(),
        lambda r: r.sign("Dr B"),
        lambda r: r.dismiss_issue("x"),
    ):
        with pytest.raises(ReportStateError, match="signed"):
            change(signed)
    with pytest.raises(ReportStateError, match="signed report"):
        _drafted().add_addendum("Late note.", "Dr A. Reader")
    amended = signed.add_addendum("Compared with outside film: stable.", "Dr A. Reader")
    assert amended.addenda[0].text == "Compared with outside film: stable."
    assert amended.sections == signed.sections and amended.signature == signed.signature


def test_empty_report_cannot_be_signed_even_with_override() -> None:
    with pytest.raises(ReportStateError, match="empty"):
        new_report(_context()).sign("Dr A", override_reason="because")


def test_json_round_trip_is_exact_and_checked() -> None:
    report = _drafted().dismiss_issue("abc:Effusion:contradicted").mark_reviewed()
    report = report.sign("Dr A. Reader").add_addendum("Addendum.", "Dr A. Reader")
    data = json.loads(json.dumps(report.to_json()))
    assert Report.from_json(data) == report
    data["format"] = 99
    with pytest.raises(ValueError, match="format 99"):
        Report.from_json(data)


def test_invalid_facts_are_refused() -> None:
    with pytest.raises(ValueError, match="verdict"):
        FindingFact("Nodule", "maybe", 0.5, 0.5)
    with pytest.raises(ValueError, match="side"):
        FindingFact("Nodule", "positive", 0.5, 0.5, side="middle")
    with pytest.raises(TypeError, match="ReportContext"):
        new_report(StudyContext("1.2"))  # type: ignore[arg-type]


def test_restarting_empties_the_draft_and_may_change_its_language() -> None:
    report = _drafted().dismiss_issue("k")
    again = report.restarted("zh-CN")
    assert again.is_empty and again.language == "zh-CN" and again.dismissed_issues == ()
    assert again.revision == report.revision + 1 and again.created_at == report.created_at
    assert again.context == report.context
    with pytest.raises(ValueError, match="'fr'"):
        report.restarted("fr")
    with pytest.raises(ReportStateError, match="signed"):
        report.mark_reviewed().sign("Dr A").restarted()
