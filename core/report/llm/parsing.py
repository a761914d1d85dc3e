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

from core.report.document import (
    SECTION_HEADING_ALIASES,
    SECTION_HEADINGS,
    SECTION_ORDER,
    Origin,
    Section,
    Sentence,
    split_sentences,
)
from core.report.prompt import DraftMode, _check_language

logger = logging.getLogger(__name__)

__all__ = ["draft_sections", "parse_sections", "wrong_language"]

_THINKING: Final = re.compile(r"<think>.*?(?:</think>|\Z)", re.DOTALL)
_HAN: Final = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD: Final = re.compile(r"[A-Za-z]+")
# One Han character carries about as much as two or three Latin letters ("未见胸腔积液" /
# "no pleural effusion"); a text is weighed in Latin letters.
_HAN_WEIGHT: Final = 2.5
# Below this weight (about two short English words, four Han characters) a text is too
# short to tell its language ("12 mm", "CT", "Normal.").
_MIN_LANGUAGE_WEIGHT: Final = 12.0
# "Mostly": a draft in the wrong language is nearly all in it; a report that mixes the
# two (English terms in Chinese, a Chinese gloss in English) is no reason to draft again.
_WRONG_SHARE: Final = 2 / 3


def wrong_language(text: str, language: str) -> bool:
    """Whether a draft requested in ``language`` is mostly written in the other one.

    Han characters are weighed against Latin letters (a Han character as 2.5 letters).
    What any report holds in either language does not count: digits, units and
    abbreviations ("12 mm", "CT", "T2WI", "HU" — Latin words of up to three letters or in
    capitals), punctuation, and a model's ``<think>`` block. A text too short to tell
    ("Normal.", "未见异常。") is never wrong.

    Parameters
    ----------
    text : str
        The model's output (or part of it).
    language : {"en", "zh-CN"}
        The language the draft was requested in.

    Returns
    -------
    bool
        True when more than two thirds of the text's weight is in the other language.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, found {type(text).__name__}")
    _check_language(language)
    body = _THINKING.sub("", text)
    han = len(_HAN.findall(body)) * _HAN_WEIGHT
    latin = float(
        sum(len(word) for word in _LATIN_WORD.findall(body) if len(word) > 3 and not word.isupper())
    )
    if han + latin < _MIN_LANGUAGE_WEIGHT:
        return False
    other = latin if language == "zh-CN" else han
    return other / (han + latin) > _WRONG_SHARE


# Names models use for the sections besides SECTION_HEADINGS and SECTION_HEADING_ALIASES
# (the names every view of a report knows, core.report.document); both are matched.
_MODEL_HEADING_NAMES: Final[Mapping[Section, tuple[str, ...]]] = {
    Section.CLINICAL_INFORMATION: (
        "clinical info",
        "clinical details",
        "reason for exam",
        "reason for study",
        "临床资料",
        "检查目的",
        "检查指征",
    ),
    Section.TECHNIQUE: (
        "examination",
        "exam",
        "扫描技术",
        "扫描方法",
        "技术",
        "检查项目",
    ),
    Section.COMPARISON: ("prior examinations", "priors", "对照", "对比检查", "既往检查"),
    Section.FINDINGS: ("findings", "所见", "表现"),
    Section.IMPRESSION: ("summary", "diagnosis", "诊断意见", "意见"),
    Section.RECOMMENDATIONS: ("follow-up", "follow up", "plan", "随访建议"),
}


def _section_names() -> dict[str, Section]:
    names: dict[str, Section] = {}
    for headings in SECTION_HEADINGS.values():
        for section, heading in headings.items():
            names.setdefault(heading.casefold(), section)
    for table in (SECTION_HEADING_ALIASES, _MODEL_HEADING_NAMES):
        for section, aliases in table.items():
            for alias in aliases:
                names.setdefault(alias.casefold(), section)
    return names


_SECTION_BY_NAME: Final = _section_names()
# A heading line: "## Findings", "**Impression:**", "1. Findings", "**2. IMPRESSION**",
# "一、影像所见", "【影像所见】", "Findings —"; then, possibly, the section's first text.
_HEADING_LINE: Final = re.compile(
    r"^\s*(?:#{1,6}\s*)?(?P<open>[*_]{1,2})?\s*"
    r"(?:(?:\d{1,2}|[IVX]{1,4}|[一二三四五六七八九十]{1,3})\s*[.)、．]\s*)?"
    r"(?P<inner>[*_]{1,2})?\s*[【\[]?\s*(?P<name>"
    + "|".join(re.escape(n) for n in sorted(_SECTION_BY_NAME, key=len, reverse=True))
    + r")\s*[】\]]?\s*(?P<colon>[:：]|[-—–](?=\s|$))?\s*(?P<close>[*_]{1,2})?"
    r"\s*(?P<colon2>[:：])?\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
_BULLET: Final = re.compile(r"^\s*(?:[-*•·]|\d{1,2}[.)、])\s+")
# A horizontal rule or a lone decoration line.
_RULE: Final = re.compile(r"^[-*_=~#\s]{3,}$")
# A chat turn the model went on to write: everything after it is dropped.
_CHAT_TURN: Final = re.compile(
    r"^\s*(?:<\|[a-z_]+\|>|\[/?INST\]|#{0,3}\s*(?:user|human|assistant|instruction|"
    r"response)\s*[:：]|用户\s*[:：]|助手\s*[:：])",
    re.IGNORECASE,
)
# Words to the reader rather than the report: a preamble ("Here is the draft
# report:"), a closing remark ("Let me know if..."), a note ("Note: ...").
_CHATTER: Final = re.compile(
    r"^\s*[*_(（]*\s*(?:"
    r"here(?:'s| is| are)\b|sure\b|certainly\b|of course\b|okay\b|ok[,.!]|"
    r"below is\b|the following\b|i (?:have|hope|can|will|\'ve)\b|"
    r"let me know\b|please (?:note|review|let|verify|feel)\b|feel free\b|hope this\b|"
    r"if you (?:need|have|would|want)\b|would you like\b|"
    r"note\s*[:：]|notes\s*[:：]|disclaimer\b|"
    r"this (?:is a )?(?:draft|report|template)\b[^.]*\b(?:review|generated|based|should|"
    r"must|ai)\b|"
    r"以下是|下面是|好的|当然|注\s*[:：]|注意\s*[:：]|备注\s*[:：]|请注意|如需|如有|希望|"
    r"以上(?:报告|内容|为)|免责)",
    re.IGNORECASE,
)
# What a model copied from an old-style prompt: "(probability 0.81, threshold 0.50)",
# "(word it as possible)", "(pertinent negative)", "（概率 0.81，阈值 0.50）".
_COPIED: Final = re.compile(
    r"\s*[(（][^()（）]*(?:probabilit|threshold|confidence|\bp\s*=|word it as|"
    r"pertinent negative|概率|阈值|置信|用“可能”表述|需写明)[^()（）]*[)）]",
    re.IGNORECASE,
)


def _heading(line: str) -> tuple[Section, str] | None:
    """The section a line opens and the text after the heading, or None for text."""
    match = _HEADING_LINE.match(line)
    if match is None:
        return None
    rest = match.group("rest")
    closed = bool(match.group("close")) and bool(match.group("open") or match.group("inner"))
    if rest and not (match.group("colon") or match.group("colon2") or closed):
        return None  # "Findings show..." is text
    return _SECTION_BY_NAME[match.group("name").casefold()], rest


def _sentence_key(sentence: str) -> str:
    return " ".join(sentence.casefold().split()).rstrip(".。!！;；")


def _clean(line: str) -> str:
    line = _BULLET.sub("", line).replace("**", "").replace("__", "")
    return _COPIED.sub("", line).strip()


def parse_sections(
    text: str,
    language: str,
    *,
    default: Section | None = Section.FINDINGS,
    strict: bool = True,
) -> dict[Section, list[str]]:
    """Split a model's text into report sections by its headings.

    Headings in English and Chinese are recognised in either language: the names of
    :data:`~core.report.document.SECTION_HEADINGS` and
    :data:`~core.report.document.SECTION_HEADING_ALIASES`, and others models use
    ("Summary", "Plan", "意见"), in the forms models write them ("## Findings",
    "**Impression:**", "1. Findings", "**2. IMPRESSION**", "FINDINGS", "一、影像所见",
    "【影像所见】"). A heading is a line that is only the heading, or the heading followed
    by a colon (or closing bold) and, possibly, the section's first text
    ("Findings: No effusion."): "Findings show..." is text.

    What is not the report is dropped: a ``<think>`` block; with headings, the text
    before the first one (a preamble); words to the reader ("Here is the draft
    report:", "Let me know if...", "Note: ...") up to the next heading; everything from
    a chat turn the model went on to write ("User:", "<|im_start|>"); horizontal rules;
    probabilities and instructions copied from a prompt ("(probability 0.81, threshold
    0.50)"). A section written twice is merged into one; a sentence repeated within a
    section is kept once. Bullets and bold markers are removed.

    Parameters
    ----------
    text : str
    language : {"en", "zh-CN"}
    default : Section or None
        Where the text goes when it has no heading at all (None: dropped).
    strict : bool
        Drop the text before the first heading (a whole-report draft). False: that
        text goes to ``default`` too (an impression or a rewrite, which need no heading).

    Returns
    -------
    dict
        Section → its sentences, in report order; only sections with text.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, found {type(text).__name__}")
    _check_language(language)
    lines = _THINKING.sub("", text).splitlines()
    has_heading = any(_heading(line.strip()) is not None for line in lines if line.strip())
    found: dict[Section, list[str]] = {}
    seen: dict[Section, set[str]] = {}
    current = None if (strict and has_heading) else default
    chatter = False
    for raw_line in lines:
        line = raw_line.strip()
        if not line:
            continue
        if _CHAT_TURN.match(line):
            break
        heading = _heading(line)
        if heading is not None:
            current, line = heading
            chatter = False
            if not line:
                continue
        elif _RULE.fullmatch(line):
            continue
        if chatter:
            continue
        if _CHATTER.match(line):
            # After text, a closing remark runs to the next heading; before, a
            # preamble is its own line ("Here is the impression:").
            chatter = current is not None and bool(found.get(current))
            continue
        line = _clean(line)
        if current is None or not line:
            continue
        keys = seen.setdefault(current, set())
        for sentence in split_sentences(line):
            key = _sentence_key(sentence)
            if key and key not in keys:
                keys.add(key)
                found.setdefault(current, []).append(sentence)
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
    parsed = parse_sections(text, language, default=default, strict=mode is DraftMode.REPORT)
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
