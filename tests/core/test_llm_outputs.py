"""Recorded outputs of small language models through the parser, the report and the check.

Each ``tests/core/data/llm_outputs/NAME.txt`` is a draft written the way small models
write them (preambles, bold or numbered headings, sections written twice, the wrong
language, probabilities copied from a prompt, an invented history, comparison,
measurement or recommendation), in English and Chinese; ``NAME.json`` beside it says
what the report must hold: the sections parsed, whether the language is wrong, each
section of the report once the draft is applied to the template's report, and the
grounding issues a person sees (section, label, kind and the words highlighted).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from core.report.document import (
    FindingFact,
    PriorComparison,
    Report,
    ReportContext,
    Section,
    SigningBlockedError,
)
from core.report.grounding import INVENTION_LABELS, check_grounding, describe, unresolved_issues
from core.report.llm import DraftMode, LanguageModelDraft, apply_language_model_draft
from core.report.llm.parsing import draft_sections, parse_sections, wrong_language
from core.report.templates import draft_template_report
from tests.core.report_helpers import make_report_context

OUTPUTS = Path(__file__).parent / "data" / "llm_outputs"
NAMES = sorted(path.stem for path in OUTPUTS.glob("*.txt"))

_NODULE = (
    FindingFact("Nodule", "positive", 0.81, 0.5, side="right", zone="upper", model="m 1"),
    FindingFact("Effusion", "negative", 0.04, 0.29, model="m 1"),
    FindingFact("Pneumothorax", "indeterminate", 0.4, 0.45, model="m 1"),
)
_NORMAL = tuple(
    FindingFact(label, "negative", 0.05, 0.4, model="m 1")
    for label in ("Nodule", "Mass", "Effusion", "Pneumothorax", "Cardiomegaly", "Consolidation")
)
_PRIOR = PriorComparison("2024-03-02", "CR", "CHEST", "CHEST PA")
# What is never report text: words to the reader, chat turns, numbers from a prompt.
_NEVER = (
    "probability",
    "threshold",
    "word it as",
    "pertinent negative",
    "Here is",
    "Here's",
    "Let me know",
    "I hope",
    "Note:",
    "User:",
    "Assistant:",
    "<think>",
    "**",
    "##",
    "概率",
    "阈值",
    "以下是",
    "注：",
    "如有其他需要",
    "用“可能”表述",
)


def _context(kind: str, prior: bool) -> ReportContext:
    comparison = _PRIOR if prior else None
    if kind == "unanalysed":
        return make_report_context(analysed=False, comparison=comparison)
    findings = _NORMAL if kind == "normal" else _NODULE
    return make_report_context(findings=findings, models=("m 1",), comparison=comparison)


def _draft(text: str, language: str, mode: DraftMode = DraftMode.REPORT) -> LanguageModelDraft:
    return LanguageModelDraft(
        text=text,
        sections=draft_sections(text, mode, language, "small-lm"),
        stopped=False,
        new_tokens=len(text),
        seconds=1.0,
        time_to_first_token=0.1,
        model_name="small-lm",
        mode=mode,
        language=language,
    )


def _recorded(name: str) -> tuple[str, dict[str, Any]]:
    text = (OUTPUTS / f"{name}.txt").read_text(encoding="utf-8")
    expected = json.loads((OUTPUTS / f"{name}.json").read_text(encoding="utf-8"))
    return text, expected


def _applied(name: str) -> tuple[Report, dict[str, Any]]:
    text, expected = _recorded(name)
    language = expected["language"]
    template = draft_template_report(_context(expected["context"], expected["prior"]), language)
    return apply_language_model_draft(template, _draft(text, language)), expected


def test_every_recorded_output_has_a_sidecar_and_both_languages_are_covered() -> None:
    assert len(NAMES) >= 12
    assert sorted(p.stem for p in OUTPUTS.glob("*.json")) == NAMES
    languages = {_recorded(name)[1]["language"] for name in NAMES}
    assert languages == {"en", "zh-CN"}
    # Every kind of invention is caught in both languages somewhere in the set.
    for language in ("en", "zh-CN"):
        labels = {
            issue["label"]
            for name in NAMES
            for issue in _recorded(name)[1]["issues"]
            if _recorded(name)[1]["language"] == language
        }
        assert set(INVENTION_LABELS) <= labels, (language, labels)
    assert {_recorded(n)[1]["wrong_language"] for n in NAMES} == {True, False}


@pytest.mark.parametrize("name", NAMES)
def test_a_recorded_output_parses_applies_and_is_checked_as_recorded(name: str) -> None:
    text, expected = _recorded(name)
    language = expected["language"]
    parsed = parse_sections(text, language)
    assert {s.value: v for s, v in parsed.items()} == expected["sections"]
    assert wrong_language(text, language) is expected["wrong_language"]

    report, _ = _applied(name)
    assert {s.value: report.section_text(s) for s in Section} == expected["applied"]
    issues = check_grounding(report)
    seen = [
        {
            "section": i.section.value,
            "label": i.label,
            "kind": i.kind,
            "quote": i.text[i.start : i.end],
        }
        for i in issues
    ]
    assert seen == expected["issues"]
    # What a person sees: one line per issue, naming the section and the sentence.
    for issue in issues:
        line = describe(issue)
        assert line.startswith(issue.section.value.replace("_", " ").capitalize())
        assert issue.text[:40] in line


@pytest.mark.parametrize("name", NAMES)
def test_no_applied_report_holds_chatter_or_copied_numbers(name: str) -> None:
    report, _ = _applied(name)
    text = "\n".join(s.text for s in report.sentences())
    for never in _NEVER:
        assert never not in text, never


@pytest.mark.parametrize("name", NAMES)
def test_an_invention_blocks_signing_until_a_person_resolves_it(name: str) -> None:
    report, expected = _applied(name)
    reviewed = report.mark_reviewed()
    lines = [describe(issue) for issue in unresolved_issues(reviewed)]
    inventions = [i for i in expected["issues"] if i["label"] in INVENTION_LABELS]
    if not lines:
        assert not expected["issues"]
        assert reviewed.sign("Dr Reader").is_final
        return
    with pytest.raises(SigningBlockedError) as blocked:
        reviewed.sign("Dr Reader", conflicts=lines)
    for invention in inventions:
        assert any(invention["quote"] in line for line in blocked.value.outstanding)
    for issue in unresolved_issues(reviewed):
        reviewed = reviewed.dismiss_issue(issue.key)
    assert unresolved_issues(reviewed) == ()
    assert reviewed.sign("Dr Reader").is_final


def test_the_given_sections_are_never_the_models() -> None:
    report, _ = _applied("en_numbered_all_six_sections")
    assert report.section_text(Section.CLINICAL_INFORMATION) == "58-year-old female."
    assert report.section_text(Section.COMPARISON) == "None available."
    assert "smoking" not in report.section_text(Section.CLINICAL_INFORMATION)
    prior, _ = _applied("en_prior_named_comparison")
    assert prior.section_text(Section.COMPARISON) == "Radiograph Chest 2024-03-02."
    zh, _ = _applied("zh_invented_history_comparison")
    assert zh.section_text(Section.CLINICAL_INFORMATION) == "女，58岁。"
    assert zh.section_text(Section.COMPARISON) == "无既往影像对比。"


# --------------------------------------------------------------------------- sources


def _engine_report(text: str, kind: str = "nodule", *, prior: bool = False) -> Report:
    template = draft_template_report(_context(kind, prior), "en")
    return apply_language_model_draft(template, _draft(text, "en"))


def _labels(report: Report) -> list[str]:
    return [i.label for i in check_grounding(report) if i.label in INVENTION_LABELS]


def test_a_person_is_a_source_for_a_history_and_a_measurement() -> None:
    text = (
        "Findings: Post-operative changes. A 12 mm nodule in the right upper zone.\n"
        "Impression: Nodule."
    )
    report = _engine_report(text)
    assert _labels(report) == ["History", "Measurement"]
    typed = report.with_section_text(Section.CLINICAL_INFORMATION, "Lobectomy 2019.")
    assert _labels(typed) == ["Measurement"]
    # The same size in another unit, typed by the radiologist, is its source.
    measured = typed.with_section_text(Section.IMPRESSION, "Nodule, 1.2 cm.")
    assert _labels(measured) == []


def test_the_technique_numbers_are_a_source_for_a_measurement() -> None:
    report = _engine_report("Findings: Obtained at 120 kV. A 4 mm nodule.\nImpression: Nodule.")
    issues = [i for i in check_grounding(report) if i.label == "Measurement"]
    assert [i.text[i.start : i.end] for i in issues] == ["4 mm"]
    # The template's own technique line (its numbers are the study's) raises nothing.
    assert all(i.section is not Section.TECHNIQUE for i in check_grounding(report))


@pytest.mark.parametrize(
    ("text", "kind", "labels"),
    [
        ("Findings: No prior studies available for comparison.", "nodule", []),
        ("Findings: No interval change.", "nodule", ["Comparison"]),
        ("Findings: The nodule is new since the previous study.", "nodule", ["Comparison"]),
        ("Recommendations: No follow-up is needed.", "normal", []),
        ("Recommendations: None.", "normal", []),
        ("Recommendations: Follow-up CT in 3 months.", "normal", ["Recommendation"]),
        ("Recommendations: Follow-up CT in 3 months.", "nodule", []),
        ("Impression: Clinical correlation is recommended.", "unanalysed", ["Recommendation"]),
        ("Impression: Known lymphoma. No known prior.", "nodule", ["History"]),
        ("Impression: History of smoking.", "normal", ["History"]),
    ],
)
def test_denials_are_no_inventions(text: str, kind: str, labels: list[str]) -> None:
    assert _labels(_engine_report(text, kind)) == labels


def test_a_comparison_is_supported_when_the_archive_named_a_prior() -> None:
    text = "Findings: Unchanged since the prior study.\nImpression: Stable nodule."
    assert _labels(_engine_report(text)) == ["Comparison", "Comparison"]
    assert _labels(_engine_report(text, prior=True)) == []


def test_chinese_denials_and_the_contrast_agent_are_no_comparison() -> None:
    context = _context("nodule", False)
    template = draft_template_report(context, "zh-CN")
    text = "影像所见：右肺上野见结节影，无既往片对比。\n诊断意见：右肺上野结节。"
    report = apply_language_model_draft(template, _draft(text, "zh-CN"))
    assert [i.label for i in check_grounding(report) if i.label in INVENTION_LABELS] == []
    text = "影像所见：右肺上野结节，与前片相比未见变化。使用对比剂。\n诊断意见：右肺上野结节。"
    report = apply_language_model_draft(template, _draft(text, "zh-CN"))
    assert [i.label for i in check_grounding(report) if i.label in INVENTION_LABELS] == [
        "Comparison"
    ]


# --------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    "heading",
    [
        "Findings:",
        "Findings",
        "FINDINGS",
        "FINDINGS:",
        "**Findings:**",
        "**Findings**:",
        "**Findings**",
        "## Findings",
        "### **Findings**",
        "1. Findings",
        "1) Findings:",
        "**1. Findings:**",
        "Findings —",
        "影像所见：",
        "【影像所见】",
        "一、影像所见",
        "**影像所见：**",
    ],
)
def test_headings_in_the_forms_models_write_them(heading: str) -> None:
    text = f"Here is the draft:\n{heading}\nNo effusion.\n**Impression:** Normal."
    assert parse_sections(text, "en") == {
        Section.FINDINGS: ["No effusion."],
        Section.IMPRESSION: ["Normal."],
    }


def test_a_heading_with_its_text_on_the_same_line() -> None:
    assert parse_sections("**Findings** No effusion.\n## Impression: Normal.", "en") == {
        Section.FINDINGS: ["No effusion."],
        Section.IMPRESSION: ["Normal."],
    }
    # A sentence that begins with a heading's word is text.
    assert parse_sections("Findings show no effusion.", "en") == {
        Section.FINDINGS: ["Findings show no effusion."]
    }


def test_an_impression_or_a_rewrite_keeps_its_text_without_the_chatter() -> None:
    text = "Sure, here is the impression:\nRight upper zone nodule.\nLet me know if..."
    draft = _draft(text, "en", DraftMode.IMPRESSION)
    assert [s.text for s in draft.sentences] == ["Right upper zone nodule."]
    text = "以下是改写后的文字：\n右肺上野见结节影。\n希望对您有帮助。"
    draft = _draft(text, "zh-CN", DraftMode.REWRITE)
    assert [s.text for s in draft.sentences] == ["右肺上野见结节影。"]


# --------------------------------------------------------------------------- language


@pytest.mark.parametrize(
    ("text", "language", "wrong"),
    [
        ("No pleural effusion. The heart size is normal.", "en", False),
        ("未见胸腔积液。心影大小正常。", "en", True),
        ("No pleural effusion. The heart size is normal.", "zh-CN", True),
        ("未见胸腔积液。心影大小正常。", "zh-CN", False),
        # Units, abbreviations and numbers are either language's.
        ("右肺上叶见一结节，大小约12 mm，CT值约30 HU，T2WI呈高信号。", "zh-CN", False),
        ("A 12 mm nodule in the right upper lobe (右肺上叶).", "en", False),
        # Mixed about half and half: no reason to draft again.
        ("Nodule present 右肺上野结节影", "en", False),
        ("Nodule present 右肺上野结节影", "zh-CN", False),
        # Too short to tell: never wrong.
        ("12 mm", "zh-CN", False),
        ("Normal.", "zh-CN", False),
        ("未见异常。", "en", False),
        ("", "en", False),
        # A think block is not the draft.
        ("<think>用户需要英文报告，我来写。</think>No pleural effusion is seen.", "en", False),
    ],
)
def test_wrong_language(text: str, language: str, wrong: bool) -> None:
    assert wrong_language(text, language) is wrong


def test_wrong_language_checks_its_arguments() -> None:
    with pytest.raises(ValueError, match="language must be one of"):
        wrong_language("text", "fr")
    with pytest.raises(TypeError, match="text must be a str"):
        wrong_language(None, "en")  # type: ignore[arg-type]
