"""Grounding: negation- and uncertainty-aware extraction (English, Chinese) and the check."""

from __future__ import annotations

import time

import pytest

from core.report.document import (
    FindingFact,
    Origin,
    Report,
    ReportContext,
    Section,
    Sentence,
    SigningBlockedError,
    new_report,
)
from core.report.grounding import (
    CHECKED_SECTIONS,
    LABELS,
    GroundingIssue,
    Mention,
    check_grounding,
    describe,
    extract_mentions,
    unresolved_issues,
)
from tests.core.report_helpers import make_report_context

# (sentence, [(label, polarity), ...]) in text order.
ENGLISH = [
    # Plain assertions.
    ("There is a nodule in the right upper zone.", [("Nodule", "present")]),
    ("Large left pleural effusion.", [("Effusion", "present")]),
    ("Right apical pneumothorax.", [("Pneumothorax", "present")]),
    ("Cardiomegaly.", [("Cardiomegaly", "present")]),
    ("The heart is moderately enlarged.", [("Cardiomegaly", "present")]),
    ("Enlarged cardiac silhouette.", [("Cardiomegaly", "present")]),
    ("Dense consolidation in the left lower zone.", [("Consolidation", "present")]),
    ("Patchy airspace opacities at both bases.", [("Consolidation", "present")]),
    ("A 3 cm mass projects over the right hilum.", [("Mass", "present")]),
    ("Multiple pulmonary nodules.", [("Nodule", "present")]),
    ("Blunting of the left costophrenic angle.", [("Effusion", "present")]),
    ("Small right hydropneumothorax.", [("Effusion", "present"), ("Pneumothorax", "present")]),
    ("The effusion is consistent with heart failure.", [("Effusion", "present")]),
    # Pre-negation, with lists.
    ("No pleural effusion or pneumothorax.", [("Effusion", "absent"), ("Pneumothorax", "absent")]),
    (
        "No focal consolidation, pleural effusion, pneumothorax, nodule or mass.",
        [
            ("Consolidation", "absent"),
            ("Effusion", "absent"),
            ("Pneumothorax", "absent"),
            ("Nodule", "absent"),
            ("Mass", "absent"),
        ],
    ),
    ("There is no evidence of pneumothorax.", [("Pneumothorax", "absent")]),
    ("Without pleural effusion.", [("Effusion", "absent")]),
    ("Negative for pneumothorax.", [("Pneumothorax", "absent")]),
    ("Lungs free of consolidation.", [("Consolidation", "absent")]),
    ("No definite nodule.", [("Nodule", "absent")]),
    ("Neither effusion nor pneumothorax.", [("Effusion", "absent"), ("Pneumothorax", "absent")]),
    (
        "Cardiomegaly without pleural effusion.",
        [("Cardiomegaly", "present"), ("Effusion", "absent")],
    ),
    ("Interval resolution of the left effusion.", [("Effusion", "absent")]),
    # Post-negation.
    ("Pneumothorax is not seen.", [("Pneumothorax", "absent")]),
    ("The right pleural effusion has resolved.", [("Effusion", "absent")]),
    ("The nodule is no longer visible.", [("Nodule", "absent")]),
    (
        "Effusion and pneumothorax are not identified.",
        [("Effusion", "absent"), ("Pneumothorax", "absent")],
    ),
    ("Pneumothorax: none.", [("Pneumothorax", "absent")]),
    ("Pneumothorax is excluded.", [("Pneumothorax", "absent")]),
    ("Pneumothorax is unlikely.", [("Pneumothorax", "absent")]),
    # Phrases that deny by themselves.
    ("Heart size is normal.", [("Cardiomegaly", "absent")]),
    ("The heart is not enlarged.", [("Cardiomegaly", "absent")]),
    ("Normal heart size.", [("Cardiomegaly", "absent")]),
    ("The cardiomediastinal silhouette is within normal limits.", [("Cardiomegaly", "absent")]),
    ("The costophrenic angles are sharp.", [("Effusion", "absent")]),
    ("The lungs are clear.", [("Consolidation", "absent")]),
    ("The lungs are well expanded and clear.", [("Consolidation", "absent")]),
    ("The pleural spaces are clear.", [("Effusion", "absent"), ("Pneumothorax", "absent")]),
    (
        "No acute cardiopulmonary abnormality.",
        [("Consolidation", "absent"), ("Effusion", "absent"), ("Pneumothorax", "absent")],
    ),
    ("Normal chest radiograph.", [(label, "absent") for label in LABELS]),
    # Uncertainty.
    ("Possible small left pleural effusion.", [("Effusion", "uncertain")]),
    ("Pneumothorax cannot be excluded.", [("Pneumothorax", "uncertain")]),
    ("A small effusion can not be ruled out.", [("Effusion", "uncertain")]),
    ("Cannot exclude a right upper zone nodule.", [("Nodule", "uncertain")]),
    ("Opacity suspicious for consolidation.", [("Consolidation", "uncertain")]),
    ("Findings may represent early consolidation.", [("Consolidation", "uncertain")]),
    ("Probable right basal consolidation.", [("Consolidation", "uncertain")]),
    ("Right effusion is likely.", [("Effusion", "uncertain")]),
    ("Mass is suspected in the left hilum.", [("Mass", "uncertain")]),
    ("Borderline cardiomegaly.", [("Cardiomegaly", "uncertain")]),
    ("Heart size at the upper limit of normal.", [("Cardiomegaly", "uncertain")]),
    ("? small left effusion", [("Effusion", "uncertain")]),
    ("Left effusion?", [("Effusion", "uncertain")]),
    ("Query consolidation at the right base.", [("Consolidation", "uncertain")]),
    ("Pneumothorax is not excluded.", [("Pneumothorax", "uncertain")]),
    ("Nodule versus nipple shadow.", [("Nodule", "uncertain")]),
    ("Recommend CT to exclude a mass.", [("Mass", "uncertain")]),
    ("Left lower lobe consolidation may be present.", [("Consolidation", "uncertain")]),
    (
        "No large pleural effusion is seen, although a small effusion cannot be excluded.",
        [("Effusion", "absent"), ("Effusion", "uncertain")],
    ),
    # Pseudo-negations: they negate nothing.
    ("No change in the left pleural effusion.", [("Effusion", "present")]),
    ("No significant interval change in the right upper zone nodule.", [("Nodule", "present")]),
    ("No increase in the size of the mass.", [("Mass", "present")]),
    (
        "Not only effusion but also pneumothorax.",
        [("Effusion", "present"), ("Pneumothorax", "present")],
    ),
    ("The effusion has partially resolved.", [("Effusion", "present")]),
    ("Resolving consolidation in the left lower zone.", [("Consolidation", "present")]),
    ("The effusion has not resolved.", [("Effusion", "present")]),
    # Scope ends at terminators.
    (
        "No effusion but a right pneumothorax is present.",
        [("Effusion", "absent"), ("Pneumothorax", "present")],
    ),
    (
        "No pneumothorax; large right effusion.",
        [("Pneumothorax", "absent"), ("Effusion", "present")],
    ),
    (
        "No pneumothorax, however there is a small effusion.",
        [("Pneumothorax", "absent"), ("Effusion", "present")],
    ),
    (
        "No pneumothorax and a small effusion.",
        [("Pneumothorax", "absent"), ("Effusion", "present")],
    ),
    ("No abnormality apart from a small nodule.", [("Nodule", "present")]),
    (
        "Possible consolidation in the left lower zone, but no effusion.",
        [("Consolidation", "uncertain"), ("Effusion", "absent")],
    ),
    ("Effusion is likely, nodule present.", [("Effusion", "uncertain"), ("Nodule", "present")]),
    ("Small effusion. No pneumothorax.", [("Effusion", "present"), ("Pneumothorax", "absent")]),
    # Blockers: look-alikes that are another finding.
    ("Small pericardial effusion.", []),
    ("Knee joint effusion.", []),
    ("No mass effect.", []),
    ("Thyroid nodule noted.", []),
    ("No other abnormality.", []),
    ("The lungs are otherwise clear.", []),
    ("Right effusion; otherwise normal chest radiograph.", [("Effusion", "present")]),
    ("Normal chest radiograph apart from a nodule.", [("Nodule", "present")]),
    ("A 2.5 cm nodule. No effusion.", [("Nodule", "present"), ("Effusion", "absent")]),
    ("", []),
]

CHINESE = [
    # Plain assertions.
    ("右肺上野见结节影。", [("Nodule", "present")]),
    ("左肺下野见片状实变影。", [("Consolidation", "present")]),
    ("右侧胸腔积液。", [("Effusion", "present")]),
    ("左侧可见气胸。", [("Pneumothorax", "present")]),
    ("心影增大。", [("Cardiomegaly", "present")]),
    ("心脏明显扩大。", [("Cardiomegaly", "present")]),
    ("右肺门区见肿块影。", [("Mass", "present")]),
    ("左侧肋膈角变钝。", [("Effusion", "present")]),
    ("右侧液气胸。", [("Effusion", "present"), ("Pneumothorax", "present")]),
    ("少量胸水。", [("Effusion", "present")]),
    # Negation.
    ("未见胸腔积液及气胸。", [("Effusion", "absent"), ("Pneumothorax", "absent")]),
    (
        "双肺未见实变、结节及肿块。",
        [("Consolidation", "absent"), ("Nodule", "absent"), ("Mass", "absent")],
    ),
    ("双侧胸腔无积液。", [("Effusion", "absent")]),
    ("未见明显气胸征象。", [("Pneumothorax", "absent")]),
    ("未发现肺内结节。", [("Nodule", "absent")]),
    ("没有胸腔积液。", [("Effusion", "absent")]),
    ("排除气胸。", [("Pneumothorax", "absent")]),
    ("右侧胸腔积液已吸收。", [("Effusion", "absent")]),
    ("原左肺下野实变已消失。", [("Consolidation", "absent")]),
    ("气胸：无。", [("Pneumothorax", "absent")]),
    ("原右肺结节未再显示。", [("Nodule", "absent")]),
    ("未再见气胸。", [("Pneumothorax", "absent")]),
    # Phrases that deny by themselves.
    ("心影不大。", [("Cardiomegaly", "absent")]),
    ("心影大小、形态正常。", [("Cardiomegaly", "absent")]),
    ("心影未见增大。", [("Cardiomegaly", "absent")]),
    ("双侧肋膈角锐利。", [("Effusion", "absent")]),
    ("双肺纹理清晰。", [("Consolidation", "absent")]),
    ("心肺未见明显异常。", [(label, "absent") for label in LABELS]),
    ("胸部正位片未见明显异常。", [(label, "absent") for label in LABELS]),
    (
        "未见明显急性异常。",
        [("Consolidation", "absent"), ("Effusion", "absent"), ("Pneumothorax", "absent")],
    ),
    # Uncertainty.
    ("右侧胸腔可疑积液。", [("Effusion", "uncertain")]),
    ("右侧胸腔积液不除外。", [("Effusion", "uncertain")]),
    ("不除外左侧少量气胸。", [("Pneumothorax", "uncertain")]),
    ("考虑左肺下野实变。", [("Consolidation", "uncertain")]),
    ("右肺上野结节可能。", [("Nodule", "uncertain")]),
    ("右肺门区肿块可能性大。", [("Mass", "uncertain")]),
    ("疑似右肺上野结节。", [("Nodule", "uncertain")]),
    ("右肺下野似见实变影。", [("Consolidation", "uncertain")]),
    ("心影饱满。", [("Cardiomegaly", "uncertain")]),
    ("气胸待排。", [("Pneumothorax", "uncertain")]),
    ("请结合临床除外气胸。", [("Pneumothorax", "uncertain")]),
    ("不能排除胸腔积液。", [("Effusion", "uncertain")]),
    ("提示左侧胸腔积液。", [("Effusion", "uncertain")]),
    ("有无气胸？", [("Pneumothorax", "uncertain")]),
    ("左肺结节？", [("Nodule", "uncertain")]),
    # Pseudo-negations.
    ("左侧胸腔积液较前无明显变化。", [("Effusion", "present")]),
    ("右侧胸腔积液未见吸收。", [("Effusion", "present")]),
    ("右侧胸腔积液较前部分吸收。", [("Effusion", "present")]),
    ("右肺结节较前未见增大。", [("Nodule", "present")]),
    ("左肺实变吸收不全。", [("Consolidation", "present")]),
    ("右肺下野结节与前片相仿。", [("Nodule", "present")]),
    # Scope ends at terminators (the full-width comma among them).
    ("右肺结节，未见胸腔积液。", [("Nodule", "present"), ("Effusion", "absent")]),
    ("未见胸腔积液，右肺上野见结节影。", [("Effusion", "absent"), ("Nodule", "present")]),
    ("未见气胸，但见右侧胸腔积液。", [("Pneumothorax", "absent"), ("Effusion", "present")]),
    ("双肺未见实变，另见右肺上野结节。", [("Consolidation", "absent"), ("Nodule", "present")]),
    ("可疑右肺结节，未见气胸。", [("Nodule", "uncertain"), ("Pneumothorax", "absent")]),
    ("右肺下野实变影，未除外肿块。", [("Consolidation", "present"), ("Mass", "uncertain")]),
    ("右肺结节可能为炎性病变。", [("Nodule", "present")]),
    ("右侧胸腔积液较前减少。", [("Effusion", "present")]),
    (
        "双肺未见明显异常，心影不大。",
        [
            ("Consolidation", "absent"),
            ("Nodule", "absent"),
            ("Mass", "absent"),
            ("Cardiomegaly", "absent"),
        ],
    ),
    # Blockers.
    ("少量心包积液。", []),
    ("甲状腺结节。", []),
    ("余心肺未见明显异常。", []),
    ("未见其他明显异常。", []),
    ("腹腔积液。", []),
]


@pytest.mark.parametrize(("text", "expected"), ENGLISH, ids=[t[:50] for t, _ in ENGLISH])
def test_english_mentions(text: str, expected: list[tuple[str, str]]) -> None:
    mentions = extract_mentions(text, "en")
    assert [(m.label, m.polarity) for m in mentions] == expected
    for mention in mentions:
        assert text[mention.start : mention.end] == mention.term


@pytest.mark.parametrize(("text", "expected"), CHINESE, ids=[t for t, _ in CHINESE])
def test_chinese_mentions(text: str, expected: list[tuple[str, str]]) -> None:
    mentions = extract_mentions(text, "zh-CN")
    assert [(m.label, m.polarity) for m in mentions] == expected
    for mention in mentions:
        assert text[mention.start : mention.end] == mention.term


@pytest.mark.parametrize(
    ("text", "language", "sides"),
    [
        ("There is a nodule in the right upper zone.", "en", ["right"]),
        ("Small left-sided pleural effusion.", "en", ["left"]),
        ("Right upper zone nodule and left pleural effusion.", "en", ["right", "left"]),
        ("Consolidation at the left base.", "en", ["left"]),
        ("Effusions are seen bilaterally.", "en", ["bilateral"]),
        ("Blunting of the right costophrenic angle.", "en", ["right"]),
        ("No right pneumothorax.", "en", ["right"]),
        ("Pneumothorax.", "en", [None]),
        (
            "There is a nodule in the right upper zone and a left pleural effusion.",
            "en",
            ["right", "left"],
        ),
        ("右肺上野见结节影。", "zh-CN", ["right"]),
        ("左侧胸腔可疑积液。", "zh-CN", ["left"]),
        ("双侧胸腔积液。", "zh-CN", ["bilateral"]),
        ("右肺上野见结节影，左侧胸腔积液。", "zh-CN", ["right", "left"]),
        ("可见气胸。", "zh-CN", [None]),
    ],
)
def test_sides(text: str, language: str, sides: list[str | None]) -> None:
    assert [m.side for m in extract_mentions(text, language)] == sides


def test_cues_are_reported() -> None:
    (absent,) = extract_mentions("There is no evidence of pneumothorax.", "en")
    assert absent.cue == "no evidence of"
    (hedged,) = extract_mentions("Pneumothorax cannot be excluded.", "en")
    assert hedged.cue == "cannot be excluded"
    (plain,) = extract_mentions("Right pneumothorax.", "en")
    assert plain.cue == "" and plain.term == "pneumothorax"
    (phrase,) = extract_mentions("Heart size is normal.", "en")
    assert phrase.cue == "Heart size is normal"
    (zh,) = extract_mentions("右侧胸腔积液不除外。", "zh")
    assert (zh.cue, zh.term, zh.side) == ("不除外", "胸腔积液", "right")


def test_extraction_arguments() -> None:
    assert extract_mentions("   ", "en") == ()
    with pytest.raises(TypeError, match="bytes"):
        extract_mentions(b"No effusion", "en")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'fr'"):
        extract_mentions("Pas d'épanchement.", "fr")
    with pytest.raises(ValueError, match="polarity"):
        Mention("Effusion", "maybe", 0, 1, "")


# --------------------------------------------------------------------------- the check

UID = "1.2.826.0.1.3680043.8.498.7"


def _context(*facts: FindingFact, analysed: bool = True) -> ReportContext:
    return make_report_context(
        UID,
        findings=facts,
        models=("demo-cxr 1.0.0",),
        analysed=analysed,
    )


def _report(context: ReportContext, language: str = "en", **sections: list[str]) -> Report:
    report = new_report(context, language)
    for name, texts in sections.items():
        report = report.with_sentences(
            Section(name), [Sentence(t, Origin.LANGUAGE_MODEL, source="tiny-lm") for t in texts]
        )
    return report


EFFUSION_NEGATIVE = FindingFact("Effusion", "negative", 0.04, 0.29)
EFFUSION_RIGHT = FindingFact("Effusion", "positive", 0.81, 0.29, side="right", zone="lower")
NODULE_INDETERMINATE = FindingFact("Nodule", "indeterminate", 0.27, 0.3)
PNEUMOTHORAX_NEGATIVE = FindingFact("Pneumothorax", "negative", 0.004, 0.5)


def test_asserting_a_negative_finding_is_unsupported() -> None:
    report = _report(_context(EFFUSION_NEGATIVE), findings=["There is a right pleural effusion."])
    (issue,) = check_grounding(report)
    sentence = report.sentences(Section.FINDINGS)[0]
    assert issue.sentence_id == sentence.id and issue.section is Section.FINDINGS
    assert (issue.label, issue.kind) == ("Effusion", "unsupported")
    assert issue.reason == (
        "asserts Effusion; the analysis found it negative (p=0.04, threshold 0.29)"
    )
    assert issue.key == f"{sentence.id}:Effusion:unsupported"
    assert sentence.text[issue.start : issue.end] == "pleural effusion"
    assert issue.text == sentence.text


def test_denying_a_positive_finding_is_contradicted() -> None:
    report = _report(
        _context(EFFUSION_RIGHT),
        findings=["No pleural effusion or pneumothorax."],
        impression=["Normal chest radiograph."],
    )
    issues = check_grounding(report)
    assert [(i.section, i.label, i.kind) for i in issues] == [
        (Section.FINDINGS, "Effusion", "contradicted"),
        (Section.IMPRESSION, "Effusion", "contradicted"),
    ]
    assert issues[0].reason == (
        "denies Effusion; the analysis found it positive (p=0.81, threshold 0.29)"
    )


@pytest.mark.parametrize(
    ("verdict", "text", "expected"),
    [
        ("positive", "There is a right pleural effusion.", None),
        ("positive", "Possible right pleural effusion.", None),
        ("positive", "No pleural effusion.", "contradicted"),
        ("indeterminate", "There is a pleural effusion.", "unsupported"),
        ("indeterminate", "Possible pleural effusion.", None),
        ("indeterminate", "A small effusion cannot be excluded.", None),
        ("indeterminate", "No pleural effusion.", None),
        ("negative", "There is a pleural effusion.", "unsupported"),
        ("negative", "Possible pleural effusion.", "unsupported"),
        ("negative", "No pleural effusion.", None),
        ("negative", "The costophrenic angles are sharp.", None),
    ],
)
def test_the_rules(verdict: str, text: str, expected: str | None) -> None:
    fact = FindingFact(
        "Effusion", verdict, 0.5, 0.29, side="right" if verdict == "positive" else None
    )
    issues = check_grounding(_report(_context(fact), findings=[text]))
    assert [i.kind for i in issues] == ([] if expected is None else [expected])


def test_indeterminate_and_hedged_reasons() -> None:
    report = _report(
        _context(NODULE_INDETERMINATE, PNEUMOTHORAX_NEGATIVE),
        findings=["There is a nodule in the right upper zone.", "Pneumothorax cannot be excluded."],
    )
    nodule, pneumothorax = check_grounding(report)
    assert nodule.reason == (
        "asserts Nodule; the analysis was only indeterminate (p=0.27, threshold 0.30), "
        "so hedged wording fits it better"
    )
    assert pneumothorax.reason == (
        "raises possible Pneumothorax; the analysis found it negative (p=<0.01, threshold 0.50)"
    )


def test_laterality_is_checked_against_the_heatmap() -> None:
    context = _context(EFFUSION_RIGHT)
    wrong_side = _report(context, findings=["There is a left pleural effusion."])
    (issue,) = check_grounding(wrong_side)
    assert issue.kind == "laterality"
    assert issue.reason == (
        "places Effusion on the left; the analysis found it on the right (p=0.81, threshold 0.29)"
    )
    assert check_grounding(_report(context, findings=["Bilateral pleural effusions."])) == ()
    assert check_grounding(_report(context, findings=["Pleural effusion."])) == ()
    # Denying the other side does not deny the finding (nor mention it).
    other_side = check_grounding(_report(context, findings=["No left pleural effusion."]))
    assert [i.kind for i in other_side] == ["not mentioned"]
    (denied,) = check_grounding(_report(context, findings=["No right pleural effusion."]))
    assert denied.kind == "contradicted" and "denies Effusion on the right" in denied.reason
    zh = _report(context, "zh-CN", findings=["左侧胸腔积液。", "右侧胸腔积液。"])
    assert [i.kind for i in check_grounding(zh)] == ["laterality"]


def test_nothing_to_check_against() -> None:
    text = ["There is a large mass.", "No pleural effusion."]
    assert check_grounding(_report(_context(analysed=False), findings=text)) == ()
    # The analysis never assessed Mass: nothing to hold the text against.
    assert check_grounding(_report(_context(EFFUSION_NEGATIVE), findings=text)) == ()
    # Clinical information is the question asked, not a claim.
    report = _report(_context(EFFUSION_NEGATIVE), clinical_information=["Query pleural effusion."])
    assert Section.CLINICAL_INFORMATION not in CHECKED_SECTIONS
    assert check_grounding(report) == ()


def test_chinese_report_and_english_typed_into_it() -> None:
    context = _context(EFFUSION_RIGHT, PNEUMOTHORAX_NEGATIVE, NODULE_INDETERMINATE)
    report = _report(
        context,
        "zh-CN",
        findings=[
            "右肺上野可疑结节影。",
            "右侧胸腔积液。",
            "左侧可见气胸。",
            "No pleural effusion.",
        ],
        impression=["心肺未见明显异常。"],
    )
    issues = check_grounding(report)
    assert [(i.label, i.kind) for i in issues] == [
        ("Pneumothorax", "unsupported"),
        ("Effusion", "contradicted"),
        ("Effusion", "contradicted"),
        # The impression denies what the findings state.
        ("Effusion", "inconsistent"),
        ("Pneumothorax", "inconsistent"),
    ]
    assert [i.section for i in issues] == [Section.FINDINGS, Section.FINDINGS] + [
        Section.IMPRESSION
    ] * 3


def test_a_sentence_that_denies_part_and_hedges_part_contradicts_nothing() -> None:
    text = "No large pleural effusion is seen, although a small effusion cannot be excluded."
    assert check_grounding(_report(_context(EFFUSION_RIGHT), findings=[text])) == ()
    (issue,) = check_grounding(_report(_context(EFFUSION_NEGATIVE), findings=[text]))
    assert issue.kind == "unsupported" and issue.reason.startswith("raises possible Effusion")


def test_model_labels_with_another_name_are_matched() -> None:
    fact = FindingFact("Pleural_Effusion", "negative", 0.1, 0.5)
    (issue,) = check_grounding(_report(_context(fact), findings=["Small right effusion."]))
    assert issue.label == "Pleural_Effusion" and issue.key.endswith(":Pleural_Effusion:unsupported")


def test_one_issue_per_sentence_label_and_kind() -> None:
    report = _report(
        _context(EFFUSION_NEGATIVE),
        findings=["Right pleural effusion and a left effusion; the effusion is large."],
    )
    assert len(check_grounding(report)) == 1


def test_dismissed_issues_and_signing() -> None:
    report = _report(
        _context(EFFUSION_NEGATIVE, PNEUMOTHORAX_NEGATIVE),
        findings=["There is a right pleural effusion.", "Small pneumothorax."],
    ).mark_reviewed()
    first, second = check_grounding(report)
    lines = [describe(issue) for issue in unresolved_issues(report)]
    assert lines[0] == (
        'Findings: "There is a right pleural effusion." asserts Effusion; the analysis found '
        "it negative (p=0.04, threshold 0.29)"
    )
    with pytest.raises(SigningBlockedError) as blocked:
        report.sign("Dr Reader", conflicts=lines)
    assert blocked.value.outstanding == tuple(f"conflict: {line}" for line in lines)
    report = report.dismiss_issue(first.key)
    assert unresolved_issues(report) == (second,)
    report = report.dismiss_issue(second.key)
    assert unresolved_issues(report) == ()
    assert check_grounding(report) == (first, second)  # dismissed, not gone
    signed = report.sign("Dr Reader", conflicts=[describe(i) for i in unresolved_issues(report)])
    assert signed.is_final


def test_describe_is_one_line() -> None:
    issue = GroundingIssue(
        "s1",
        Section.IMPRESSION,
        "Mass",
        "unsupported",
        "asserts Mass;\nthe analysis found it negative",
        text="A " + "very " * 30 + "large mass.",
    )
    line = describe(issue)
    assert "\n" not in line and line.startswith('Impression: "A very') and "…" in line
    assert describe(GroundingIssue("s1", "findings", "Mass", "contradicted", "denies Mass")) == (
        "Findings: denies Mass"
    )
    with pytest.raises(ValueError, match="kind"):
        GroundingIssue("s1", Section.FINDINGS, "Mass", "wrong", "x")
    with pytest.raises(TypeError, match="GroundingIssue"):
        describe("issue")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Report"):
        check_grounding("report")  # type: ignore[arg-type]
    assert issue.to_json()["key"] == "s1:Mass:unsupported"
    assert issue.to_json()["section"] == "impression"


def test_checking_is_fast_enough_to_run_while_typing() -> None:
    facts = tuple(FindingFact(label, "negative", 0.1, 0.5) for label in LABELS)
    texts = [text for text, _ in ENGLISH if text][:40]
    report = _report(_context(*facts), findings=texts)
    check_grounding(report)  # compile and warm up
    started = time.perf_counter()
    for _ in range(5):
        check_grounding(report)
    per_check = (time.perf_counter() - started) / 5
    assert per_check < 0.1, f"{per_check * 1000:.1f} ms for {len(texts)} sentences"
