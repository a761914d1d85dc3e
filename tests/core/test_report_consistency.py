"""The report read as a whole: sections that contradict each other, findings left out,
sides, and how sign-off lists them (core.report.consistency through check_grounding)."""

from __future__ import annotations

import pytest

from core.report.document import (
    FindingFact,
    Origin,
    Report,
    Section,
    Sentence,
    SigningBlockedError,
    new_report,
)
from core.report.grounding import (
    GroundingIssue,
    check_grounding,
    describe,
    extract_mentions,
    unresolved_issues,
)
from tests.core.report_helpers import make_report_context

UID = "1.2.826.0.1.3680043.8.498.8"
NODULE_RIGHT_UPPER = FindingFact("Nodule", "positive", 0.91, 0.4, side="right", zone="upper")
EFFUSION_RIGHT = FindingFact("Effusion", "positive", 0.81, 0.29, side="right", zone="lower")
PNEUMOTHORAX_RIGHT = FindingFact("Pneumothorax", "positive", 0.7, 0.5, side="right")
MASS_NEGATIVE = FindingFact("Mass", "negative", 0.02, 0.3)


def _report(
    *facts: FindingFact, language: str = "en", analysed: bool = True, **sections: list[str]
) -> Report:
    context = make_report_context(
        UID,
        findings=facts,
        models=("demo-cxr 1.0.0",),
        analysed=analysed,
    )
    report = new_report(context, language)
    for name, texts in sections.items():
        report = report.with_sentences(Section(name), [Sentence(t, Origin.PERSON) for t in texts])
    return report


# --------------------------------------------------------------------------- sections


def test_an_impression_that_asserts_what_the_findings_deny_names_both_sentences() -> None:
    report = _report(
        MASS_NEGATIVE,
        findings=["No airspace consolidation."],
        impression=["Airspace consolidation."],
    )
    (issue,) = check_grounding(report)
    findings = report.sentences(Section.FINDINGS)[0]
    impression = report.sentences(Section.IMPRESSION)[0]
    assert (issue.kind, issue.label, issue.section) == (
        "inconsistent",
        "Consolidation",
        Section.IMPRESSION,
    )
    assert issue.sentence_id == impression.id and issue.related_sentence_id == findings.id
    assert issue.related_text == "No airspace consolidation."
    assert (
        issue.reason == "asserts Consolidation; the findings deny it: “No airspace consolidation.”"
    )
    assert describe(issue) == (
        'Impression: "Airspace consolidation." asserts Consolidation; the findings deny it: '
        "“No airspace consolidation.”"
    )
    assert issue.to_json()["related_sentence_id"] == findings.id


def test_an_impression_that_denies_what_the_findings_state_in_chinese() -> None:
    report = _report(
        MASS_NEGATIVE,
        language="zh-CN",
        findings=["右下肺野见片状实变影。"],
        impression=["心肺未见明显异常。"],
    )
    (issue,) = check_grounding(report)
    assert (issue.kind, issue.label) == ("inconsistent", "Consolidation")
    assert issue.reason == "denies Consolidation; the findings state it: “右下肺野见片状实变影。”"


def test_sections_are_compared_even_without_an_analysis() -> None:
    report = _report(
        analysed=False, findings=["No pneumothorax."], impression=["Large right pneumothorax."]
    )
    assert [(i.kind, i.label) for i in check_grounding(report)] == [
        ("inconsistent", "Pneumothorax")
    ]
    agreeing = _report(
        analysed=False, findings=["No pneumothorax."], impression=["No pneumothorax."]
    )
    assert check_grounding(agreeing) == ()


@pytest.mark.parametrize(
    ("findings", "impression", "inconsistent"),
    [
        ("Right pleural effusion.", "Left pleural effusion.", True),
        ("Bilateral pleural effusions.", "Right pleural effusion.", False),
        ("Right pleural effusion; no left effusion.", "No left pleural effusion.", False),
        ("Small right pleural effusion.", "No large pleural effusion.", False),
        ("Small right apical pneumothorax.", "No tension pneumothorax.", False),
        ("Small left pleural effusion.", "No acute cardiopulmonary process.", True),
        ("Chronic left pleural effusion, unchanged.", "No acute cardiopulmonary process.", False),
        ("No pneumothorax.", "Possible small right pneumothorax.", False),
        ("No focal consolidation.", "Left lower lobe consolidation, likely pneumonia.", True),
        ("Right pleural effusion.", "Right pleural effusion, otherwise normal.", False),
    ],
)
def test_what_contradicts_and_what_does_not(
    findings: str, impression: str, inconsistent: bool
) -> None:
    report = _report(MASS_NEGATIVE, findings=[findings], impression=[impression])
    kinds = [i.kind for i in check_grounding(report)]
    assert kinds == (["inconsistent"] if inconsistent else [])


# --------------------------------------------------------------------------- omissions


def test_a_positive_finding_the_text_leaves_out_is_not_mentioned() -> None:
    report = _report(
        NODULE_RIGHT_UPPER,
        findings=["Heart size is normal.", "No pleural effusion."],
        impression=["No acute cardiopulmonary abnormality."],
    )
    (issue,) = check_grounding(report)
    assert (issue.kind, issue.label, issue.section) == ("not mentioned", "Nodule", Section.FINDINGS)
    assert issue.sentence_id is None and issue.text == "" and not issue.is_conflict
    assert issue.key == "report:Nodule:not mentioned"
    assert issue.reason == (
        "the analysis found Nodule positive in the right upper zone (p=0.91, threshold 0.40); "
        "the report neither states nor denies it"
    )
    assert describe(issue) == "not mentioned: " + issue.reason
    assert issue.to_json()["sentence_id"] is None


def test_what_counts_as_mentioning_a_finding() -> None:
    # Hedged, on the other side (the laterality check says so) or in the recommendations.
    assert check_grounding(_report(NODULE_RIGHT_UPPER, findings=["Possible right nodule."])) == ()
    assert [
        i.kind for i in check_grounding(_report(NODULE_RIGHT_UPPER, findings=["Left nodule."]))
    ] == ["laterality"]
    assert (
        check_grounding(
            _report(
                NODULE_RIGHT_UPPER,
                findings=["Heart size is normal."],
                recommendations=["CT to characterise the right upper lobe nodule."],
            )
        )
        == ()
    )
    # A denial on the other side says nothing of it; in Chinese too.
    zh = _report(EFFUSION_RIGHT, language="zh-CN", findings=["左侧胸腔未见积液。"])
    assert [i.kind for i in check_grounding(zh)] == ["not mentioned"]
    # The question asked is not the report's text; nor is an empty report an omission.
    asked = _report(
        NODULE_RIGHT_UPPER, clinical_information=["Query nodule."], findings=["Lungs clear."]
    )
    assert [i.kind for i in check_grounding(asked)] == ["not mentioned"]
    assert check_grounding(_report(NODULE_RIGHT_UPPER, technique=["PA radiograph."])) == ()


# --------------------------------------------------------------------------- sides


def test_laterality_conflicts_with_the_heatmap() -> None:
    (issue,) = check_grounding(
        _report(PNEUMOTHORAX_RIGHT, findings=["Possible left pneumothorax."])
    )
    assert issue.kind == "laterality"
    assert issue.reason == (
        "places possible Pneumothorax on the left; the analysis found it on the right "
        "(p=0.70, threshold 0.50)"
    )
    zh = _report(PNEUMOTHORAX_RIGHT, language="zh-CN", findings=["左侧少量气胸。"])
    assert [i.kind for i in check_grounding(zh)] == ["laterality"]


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("A large mass occupies the right mid zone.", "en", [("Mass", "present", "right")]),
        ("左下肺野片状模糊影，实变可能。", "zh-CN", [("Consolidation", "uncertain", "left")]),
        # Never across another finding.
        (
            "右肺结节，实变可能。",
            "zh-CN",
            [("Nodule", "present", "right"), ("Consolidation", "uncertain", None)],
        ),
        ("Heart size normal.", "en", [("Cardiomegaly", "absent", None)]),
        # A hedge after a comma qualifies the word after it, not the finding.
        ("Consolidation, likely pneumonia.", "en", [("Consolidation", "present", None)]),
        ("Effusion, likely present.", "en", [("Effusion", "uncertain", None)]),
        ("Opacity, likely consolidation.", "en", [("Consolidation", "uncertain", None)]),
        ("Atelectasis versus consolidation.", "en", [("Consolidation", "uncertain", None)]),
    ],
)
def test_reading_sides_and_hedges(text: str, language: str, expected: list[tuple]) -> None:
    assert [(m.label, m.polarity, m.side) for m in extract_mentions(text, language)] == expected


def test_a_denial_of_large_findings_does_not_contradict_the_analysis() -> None:
    assert check_grounding(_report(PNEUMOTHORAX_RIGHT, findings=["No large pneumothorax."])) == ()
    (issue,) = check_grounding(_report(PNEUMOTHORAX_RIGHT, findings=["No pneumothorax."]))
    assert issue.kind == "contradicted"


# --------------------------------------------------------------------------- sign-off


def test_sign_off_lists_the_new_kinds_until_resolved() -> None:
    report = _report(
        NODULE_RIGHT_UPPER,
        findings=["No pneumothorax."],
        impression=["Small right pneumothorax."],
    )
    issues = unresolved_issues(report)
    assert [i.kind for i in issues] == ["inconsistent", "not mentioned"]
    with pytest.raises(SigningBlockedError) as blocked:
        report.sign("Dr Reader", conflicts=[describe(i) for i in issues])
    assert blocked.value.outstanding == (
        'conflict: Impression: "Small right pneumothorax." asserts Pneumothorax; the findings '
        "deny it: “No pneumothorax.”",
        "not mentioned: the analysis found Nodule positive in the right upper zone "
        "(p=0.91, threshold 0.40); the report neither states nor denies it",
    )
    for issue in issues:
        report = report.dismiss_issue(issue.key)
    assert unresolved_issues(report) == ()
    signed = report.sign("Dr Reader", conflicts=[describe(i) for i in unresolved_issues(report)])
    assert signed.is_final and signed.signature is not None and not signed.signature.overridden


def test_an_issue_belongs_to_a_sentence_unless_it_is_an_omission() -> None:
    with pytest.raises(ValueError, match="needs sentence"):
        GroundingIssue(None, Section.FINDINGS, "Mass", "unsupported", "x")
    with pytest.raises(ValueError, match="has no sentence"):
        GroundingIssue("s1", Section.FINDINGS, "Mass", "not mentioned", "x")
