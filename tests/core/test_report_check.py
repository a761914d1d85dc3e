"""Reading a report kept as plain text into its sections: every heading form, both
languages, RadAssist's own export, and what is not report text."""

from __future__ import annotations

import pytest

from core.report.check import parse_report_text
from core.report.document import (
    SECTION_HEADINGS,
    FindingFact,
    Origin,
    Report,
    Section,
    Sentence,
    new_report,
    section_of_heading,
)
from core.report.export import format_report_text
from tests.core.report_helpers import make_report_context

S = Section


@pytest.mark.parametrize(
    ("heading", "section"),
    [
        ("FINDINGS:", S.FINDINGS),
        ("Findings", S.FINDINGS),
        ("findings :", S.FINDINGS),
        ("Impression:", S.IMPRESSION),
        ("IMPRESSION", S.IMPRESSION),
        ("Clinical information:", S.CLINICAL_INFORMATION),
        ("CLINICAL HISTORY", S.CLINICAL_INFORMATION),
        ("Comparison:", S.COMPARISON),
        ("Technique:", S.TECHNIQUE),
        ("Recommendation(s):", S.RECOMMENDATIONS),
        ("RECOMMENDATIONS", S.RECOMMENDATIONS),
        ("Conclusion:", S.IMPRESSION),
        ("检查所见：", S.FINDINGS),
        ("影像所见：", S.FINDINGS),
        ("影像所见:", S.FINDINGS),
        ("影像所见", S.FINDINGS),
        ("诊断意见：", S.IMPRESSION),
        ("印象：", S.IMPRESSION),
        ("结论：", S.IMPRESSION),
        ("结论", S.IMPRESSION),
        ("临床资料：", S.CLINICAL_INFORMATION),
        ("临床信息", S.CLINICAL_INFORMATION),  # the editor's heading
        ("建议：", S.RECOMMENDATIONS),
        ("ＦＩＮＤＩＮＧＳ：", S.FINDINGS),  # full-width letters and colon
        ("**Impression:**", S.IMPRESSION),
        ("【影像所见】", S.FINDINGS),
    ],
)
def test_a_heading_in_any_usual_form_names_its_section(heading: str, section: Section) -> None:
    assert section_of_heading(heading) is section


@pytest.mark.parametrize(
    "line",
    [
        "No pleural effusion.",
        "Findings are unremarkable",
        "Impressions of the lung",
        "见结节影",
        "",
    ],
)
def test_a_sentence_is_not_a_heading(line: str) -> None:
    assert section_of_heading(line) is None


def test_every_heading_radassist_writes_is_read_back() -> None:
    for headings in SECTION_HEADINGS.values():
        for section, heading in headings.items():
            assert section_of_heading(heading) is section
            assert section_of_heading(heading.upper()) is section


def test_english_headings_alone_and_followed_by_text() -> None:
    read = parse_report_text(
        "EXAM: CHEST PA\r\n"
        "Clinical information: Cough for 3 weeks.\r\n"
        "\r\n"
        "Comparison:\r\n"
        "None.\r\n"
        "TECHNIQUE\r\n"
        "PA view.\r\n"
        "FINDINGS:\r\n"
        "No pleural effusion.\r\n"
        "Small nodule in the right upper zone.\r\n"
        "\r\n"
        "IMPRESSION: Right upper zone nodule.\r\n"
        "Recommendation(s): CT chest.\r\n"
    )
    assert read.sections == {
        S.CLINICAL_INFORMATION: "Cough for 3 weeks.",
        S.COMPARISON: "None.",
        S.TECHNIQUE: "PA view.",
        S.FINDINGS: "No pleural effusion.\nSmall nodule in the right upper zone.",
        S.IMPRESSION: "Right upper zone nodule.",
        S.RECOMMENDATIONS: "CT chest.",
    }
    assert read.headings == (
        S.CLINICAL_INFORMATION,
        S.COMPARISON,
        S.TECHNIQUE,
        S.FINDINGS,
        S.IMPRESSION,
        S.RECOMMENDATIONS,
    )
    assert read.not_checked == 1  # "EXAM: CHEST PA" above the first heading


def test_chinese_headings_with_ascii_or_full_width_colons() -> None:
    read = parse_report_text(
        "姓名：张三\n检查所见：\n右肺上野见结节影。\n未见胸腔积液。\n"
        "印象:右肺结节。\n建议 ：CT 检查。"
    )
    assert read.sections[S.FINDINGS] == "右肺上野见结节影。\n未见胸腔积液。"
    assert read.sections[S.IMPRESSION] == "右肺结节。"
    assert read.sections[S.RECOMMENDATIONS] == "CT 检查。"
    assert read.not_checked == 1  # the name above the first heading is not report text
    other = parse_report_text("影像所见\n心影不大。\n\n结论\n未见异常。")
    assert other.sections[S.FINDINGS] == "心影不大。"
    assert other.sections[S.IMPRESSION] == "未见异常。"
    assert parse_report_text("诊断意见：未见异常。").sections[S.IMPRESSION] == "未见异常。"


def test_text_goes_to_findings_only_when_there_is_no_heading_at_all() -> None:
    plain = parse_report_text("Small right pleural effusion.\nNo pneumothorax.\n")
    assert plain.sections[S.FINDINGS] == "Small right pleural effusion.\nNo pneumothorax."
    assert plain.headings == () and plain.not_checked == 0
    headed = parse_report_text("Chest radiograph of 3 May.\nIMPRESSION:\nNormal chest.")
    assert headed.sections[S.FINDINGS] == ""
    assert headed.sections[S.IMPRESSION] == "Normal chest."
    assert headed.not_checked == 1
    underlined = parse_report_text("FINDINGS\n--------\nNo effusion.\n\nIMPRESSION\n=====\nNormal.")
    assert underlined.sections[S.FINDINGS] == "No effusion."
    assert underlined.sections[S.IMPRESSION] == "Normal."
    assert parse_report_text("\n \n").is_empty


def _report(language: str) -> Report:
    """A draft with template findings (unreviewed) and a person's impression."""
    fact = FindingFact("Nodule", "positive", 0.9, 0.4, "right", "upper", "demo-cxr 1.0", True)
    context = make_report_context(findings=(fact,), models=("demo-cxr 1.0",))
    english = language == "en"
    findings = (
        ["There is a nodule in the right upper zone.", "No pleural effusion."]
        if english
        else ["右肺上野见结节影。", "未见胸腔积液。"]
    )
    report = new_report(context, language).with_sentences(
        S.FINDINGS, [Sentence(text, Origin.TEMPLATE, source="cxr@1") for text in findings]
    )
    report = report.with_section_text(
        S.IMPRESSION, "Right upper zone nodule." if english else "右肺结节。"
    )
    return report.with_section_text(S.TECHNIQUE, "PA view." if english else "后前位。")


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_radassists_own_text_export_reads_back_section_by_section(language: str) -> None:
    report = _report(language)
    read = parse_report_text(format_report_text(report))  # a draft: [unreviewed] marks
    for section in S:
        assert read.sections[section].replace("\n", " ") == report.section_text(section), section
    assert read.headings == (S.TECHNIQUE, S.FINDINGS, S.IMPRESSION)
    # Signed with an override, with an addendum: what the signer overrode (it quotes
    # sentences), the addendum and the provenance are not report text.
    signed = report.sign(
        "Dr A. Reader",
        conflicts=['Findings: "No nodule." denies Nodule'],
        override_reason="read on the images",
    ).add_addendum("No pneumothorax on review.", "Dr A. Reader")
    exported = format_report_text(signed)
    assert "No nodule." in exported and "No pneumothorax on review." in exported
    read = parse_report_text(exported)
    for section in S:
        assert read.sections[section].replace("\n", " ") == report.section_text(section), section
    assert "No nodule." not in " ".join(read.sections.values())
