"""A model's text as report sections: headings found, sentences marked as the model's.

Models write headings in many ways ("## Findings", "**Impression:**", "【影像所见】",
synonyms in English and Chinese); :func:`parse_sections` finds them, and
:func:`draft_sections` turns what a draft wrote into unreviewed
:attr:`~core.report.document.Origin.LANGUAGE_MODEL` sentences (house rule 9).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Final

from core.report.document import SECTION_ORDER, Origin, Section, Sentence, split_sentences
from core.report.prompt import DraftMode, _check_language

logger = logging.getLogger(__name__)

__all__ = ["draft_sections", "parse_sections"]

_HEADING_NAMES: Final[Mapping[Section, tuple[str, ...]]] = {
    Section.CLINICAL_INFORMATION: (
        "clinical information",
        "clinical info",
        "clinical history",
        "clinical indication",
        "clinical details",
        "indications",
        "indication",
        "history",
        "reason for examination",
        "reason for exam",
        "reason for study",
        "临床信息",
        "临床资料",
        "临床病史",
        "病史",
        "检查目的",
        "检查指征",
    ),
    Section.TECHNIQUE: (
        "technique",
        "techniques",
        "procedure",
        "examination",
        "exam",
        "检查技术",
        "检查方法",
        "扫描技术",
        "扫描方法",
        "技术",
        "检查项目",
    ),
    Section.COMPARISON: (
        "comparison",
        "comparisons",
        "prior studies",
        "prior examinations",
        "priors",
        "对比",
        "比较",
        "对照",
        "对比检查",
        "既往检查",
    ),
    Section.FINDINGS: (
        "findings",
        "finding",
        "影像所见",
        "影像表现",
        "检查所见",
        "所见",
        "表现",
    ),
    Section.IMPRESSION: (
        "impression",
        "impressions",
        "conclusion",
        "conclusions",
        "summary",
        "opinion",
        "diagnosis",
        "诊断意见",
        "影像诊断",
        "印象",
        "结论",
        "诊断",
        "意见",
    ),
    Section.RECOMMENDATIONS: (
        "recommendations",
        "recommendation",
        "follow-up",
        "follow up",
        "plan",
        "随访建议",
        "建议",
    ),
}
_SECTION_BY_NAME: Final = {
    name: section for section, names in _HEADING_NAMES.items() for name in names
}
_HEADING_LINE: Final = re.compile(
    r"^\s*(?:#{1,6}\s*)?(?:\d{1,2}[.)、]\s*)?[*_]{0,2}\s*[【\[]?\s*(?P<name>"
    + "|".join(re.escape(n) for n in sorted(_SECTION_BY_NAME, key=len, reverse=True))
    + r")\s*[】\]]?\s*[*_]{0,2}\s*(?P<colon>[:：])?\s*[*_]{0,2}\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
_BULLET: Final = re.compile(r"^\s*(?:[-*•·]|\d{1,2}[.)、])\s+")
_THINKING: Final = re.compile(r"<think>.*?(?:</think>|\Z)", re.DOTALL)


def parse_sections(
    text: str, language: str, *, default: Section | None = Section.FINDINGS
) -> dict[Section, list[str]]:
    """Split a model's text into report sections by its headings.

    Headings in English and Chinese are recognised in either language, with synonyms
    ("Impression", "Conclusion", "诊断意见", "印象"...) and Markdown decoration
    ("## Findings", "**Impression:**", "【影像所见】"). A heading is a line that is only
    the heading, or the heading followed by a colon and, possibly, the section's first
    text ("Findings: No effusion."): "Findings show..." is text. Bullets and bold
    markers are removed; a model's ``<think>`` block is dropped.

    Parameters
    ----------
    text : str
    language : {"en", "zh-CN"}
    default : Section or None
        Where text before the first heading goes (None: dropped).

    Returns
    -------
    dict
        Section → its sentences, in report order; only sections with text.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, found {type(text).__name__}")
    _check_language(language)
    found: dict[Section, list[str]] = {}
    current = default
    for raw_line in _THINKING.sub("", text).splitlines():
        line = raw_line.strip()
        if not line:
            continue
        match = _HEADING_LINE.match(line)
        if match is not None and (match.group("colon") or not match.group("rest")):
            current = _SECTION_BY_NAME[match.group("name").lower()]
            line = match.group("rest")
        line = _BULLET.sub("", line).replace("**", "").replace("__", "").strip()
        if current is None or not line:
            continue
        found.setdefault(current, []).extend(split_sentences(line))
    return {section: found[section] for section in SECTION_ORDER if found.get(section)}


def draft_sections(
    text: str, mode: DraftMode, language: str, source: str
) -> dict[Section, tuple[Sentence, ...]]:
    """What the model wrote as unreviewed language-model sentences, by section.

    A whole-report draft is split at its headings; an impression or a rewrite is one
    piece of text (headings or not), kept in the order it was written.

    Parameters
    ----------
    text : str
        The model's output, complete or cut short by Stop.
    mode : DraftMode
    language : str
    source : str
        The model's name, recorded with every sentence.
    """
    default = Section.IMPRESSION if mode is DraftMode.IMPRESSION else Section.FINDINGS
    parsed = parse_sections(text, language, default=default)
    if mode is not DraftMode.REPORT:
        parsed = {default: [s for sentences in parsed.values() for s in sentences]}
    return {
        section: tuple(
            Sentence(sentence, Origin.LANGUAGE_MODEL, reviewed=False, source=source)
            for sentence in sentences
        )
        for section, sentences in parsed.items()
        if sentences
    }
