"""The report as the editor shows it: headings and paragraphs, and where each sentence lies.

Qt-free on purpose (the widget gathers keys and paints; this module decides what the
text means). The editor holds one plain text: a heading line per section, in
:data:`~core.report.document.SECTION_ORDER`, each followed by that section's text. The
headings are core's (:data:`~core.report.document.SECTION_HEADINGS`, their one owner),
shown in capitals.
:func:`render_report` writes it from a :class:`~core.report.document.Report`;
:func:`parse_editor_text` reads what a person left in it back into section texts (for
:meth:`Report.with_section_text`); :func:`locate_sentences` finds each sentence of the
report in the text, so that the widget can shade unreviewed engine text and underline
grounding conflicts without touching the document.

Offsets here are Python string indices; :func:`utf16_offsets` converts them to the
UTF-16 positions a QTextDocument counts in (they differ only past the BMP).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from core.report.document import SECTION_HEADINGS, SECTION_ORDER, Report, Section

logger = logging.getLogger(__name__)

__all__ = [
    "SentenceSpan",
    "heading_line",
    "heading_line_numbers",
    "local_time",
    "locate_sentences",
    "parse_editor_text",
    "render_report",
    "section_body_ranges",
    "section_title",
    "utf16_offsets",
]

_ADDENDUM: Final = {"en": "ADDENDUM", "zh-CN": "补充报告"}


@dataclass(frozen=True)
class SentenceSpan:
    """Where one sentence of the report lies in the editor's text (``[start, end)``)."""

    sentence_id: str
    section: Section
    start: int
    end: int


def section_title(section: Section, language: str) -> str:
    """A section's heading as core writes it (:data:`~core.report.document.SECTION_HEADINGS`).

    The report's language, English for one core has no headings for.
    """
    return SECTION_HEADINGS.get(language, SECTION_HEADINGS["en"])[Section(section)]


def heading_line(section: Section, language: str) -> str:
    """A section's heading line in the editor: core's heading, in capitals.

    Capitals are how the editor shows a heading (a reading workstation's report), not
    another name for it; Chinese has no case and reads as core writes it.
    """
    return section_title(section, language).upper()


def _headings(language: str) -> dict[Section, str]:
    return {section: heading_line(section, language) for section in SECTION_ORDER}


def _heading_key(line: str) -> str:
    # "Findings:", "FINDINGS", "影像所见：" all name the same heading.
    return line.strip().rstrip(":：").strip().casefold()


def local_time(stamp: str) -> str:
    """An ISO time stamp as local "YYYY-MM-DD HH:MM" (the stamp itself when unreadable)."""
    try:
        return datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return stamp


def render_report(report: Report) -> str:
    """The editor's text for ``report``: each heading, its paragraph, a blank line.

    A final report's addenda follow the sections (the editor is read-only then).
    """
    headings = _headings(report.language)
    blocks = [f"{headings[section]}\n{report.section_text(section)}" for section in SECTION_ORDER]
    text = "\n\n".join(blocks)
    for addendum in report.addenda:
        title = _ADDENDUM.get(report.language, _ADDENDUM["en"])
        text += f"\n\n{title} — {addendum.author}, {local_time(addendum.signed_at)}\n"
        text += addendum.text
    return text


def heading_line_numbers(text: str, language: str) -> dict[int, Section]:
    """Line number → section for the heading lines of ``text`` (first of each heading).

    A line is a heading when, apart from case, spaces and a final colon, it reads as one
    of the language's headings (or an English one, which a model may write).
    """
    names: dict[str, Section] = {}
    for lang in (language, "en"):
        for named, heading in _headings(lang).items():
            names.setdefault(_heading_key(heading), named)
    found: dict[int, Section] = {}
    seen: set[Section] = set()
    for number, line in enumerate(text.split("\n")):
        section = names.get(_heading_key(line)) if line.strip() else None
        if section is not None and section not in seen:
            found[number] = section
            seen.add(section)
    return found


def section_body_ranges(text: str, language: str) -> dict[Section, tuple[int, int]]:
    """Section → ``[start, end)`` of its text (between its heading and the next one).

    Text above the first heading counts as the first section's (nothing typed is lost).
    Sections whose heading is missing are absent.
    """
    headings = heading_line_numbers(text, language)
    line_starts = [0]
    for line in text.split("\n"):
        line_starts.append(line_starts[-1] + len(line) + 1)
    numbers = sorted(headings)
    ranges: dict[Section, tuple[int, int]] = {}
    for i, number in enumerate(numbers):
        start = min(line_starts[number + 1], len(text))
        end = line_starts[numbers[i + 1]] - 1 if i + 1 < len(numbers) else len(text)
        if i == 0 and number > 0:
            start = 0  # the preamble joins the first section
        ranges[headings[number]] = (start, max(start, end))
    return ranges


def parse_editor_text(text: str, language: str) -> dict[Section, str]:
    """Every section's text as the editor holds it ("" for a section without text).

    The heading lines themselves are left out; a preamble above the first heading
    goes to the first section.
    """
    headings = heading_line_numbers(text, language)
    result = {section: "" for section in SECTION_ORDER}
    if not headings:
        result[Section.FINDINGS] = text.strip()
        return result
    lines = text.split("\n")
    numbers = sorted(headings)
    for i, number in enumerate(numbers):
        stop = numbers[i + 1] if i + 1 < len(numbers) else len(lines)
        body = lines[number + 1 : stop]
        if i == 0:
            body = lines[:number] + body
        result[headings[number]] = "\n".join(body).strip()
    return result


def locate_sentences(text: str, report: Report) -> tuple[SentenceSpan, ...]:
    """Where each of the report's sentences lies in ``text``, in report order.

    Each sentence is searched for after the previous one within its section's text; a
    sentence not found (the text is not in step with the report yet) is left out.
    """
    ranges = section_body_ranges(text, report.language)
    spans: list[SentenceSpan] = []
    for section in SECTION_ORDER:
        if section not in ranges:
            continue
        cursor, end = ranges[section]
        for sentence in report.sections[section]:
            if not sentence.text:
                continue
            found = text.find(sentence.text, cursor, end)
            if found < 0:
                continue
            spans.append(SentenceSpan(sentence.id, section, found, found + len(sentence.text)))
            cursor = found + len(sentence.text)
    return tuple(spans)


def utf16_offsets(text: str) -> list[int] | None:
    """UTF-16 position of each index of ``text`` (and of its end); None when they agree."""
    if text.isascii() or all(ord(c) < 0x10000 for c in text):
        return None
    offsets = [0]
    for char in text:
        offsets.append(offsets[-1] + (2 if ord(char) >= 0x10000 else 1))
    return offsets
