"""A report written elsewhere, checked against the study's analysis (``radassist check``).

:func:`parse_report_text` reads a report kept as plain text into its sections: the
text RadAssist's own export writes (:func:`core.report.export.format_report_text`)
and reports as radiologists type them. A heading is a line that names a section
(:func:`core.report.document.section_of_heading` decides which: ``FINDINGS:``,
``Impression``, ``检查所见：``, ``结论`` …), alone or followed on the same line by a
colon and the section's first words (``IMPRESSION: No acute disease.``). Text above
the first heading is the report's header (patient, examination), not a section;
only a text with no heading at all is taken as findings.

What the export writes after the sections — its note on unreviewed text, an
override's outstanding items, addenda, and the provenance below its ``———`` line —
is not report text and is not checked (``[unreviewed]`` marks inside sentences are
dropped). A signed report's addenda are outside the check: they amend a report a
person already signed.

:func:`check_report_file` runs the study's analysis and holds the text against it
through the report workflow (:class:`~core.report.workflow.ReportSession`, the same
rules as the report panel and ``radassist draft``); what it finds is whatever
:func:`core.report.grounding.check_grounding` reports — conflicts, unsupported
assertions, findings not mentioned, sections that contradict each other.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from core.analysis.manifest import DEMO_BANNER
from core.errors import RadAssistError, UsageError
from core.report.document import SECTION_ORDER, Report, Section, section_of_heading
from core.report.templates import normalise_language
from core.report.workflow import ReportSession, analyse_study

if TYPE_CHECKING:
    from core.analysis.manifest import ModelPackage
    from core.dicom.records import PatientRecord, StudyRecord
    from core.report.grounding import GroundingIssue
    from core.report.workflow import StudyAnalysis

logger = logging.getLogger(__name__)

__all__ = [
    "ReportCheck",
    "ReportText",
    "ReportTextError",
    "check_report_file",
    "check_report_text",
    "parse_report_text",
    "read_report_file",
]

#: The largest report file read (a report is a few kilobytes).
MAX_REPORT_BYTES: Final = 1 << 20

# A heading with the section's first words after it: "IMPRESSION: No acute disease."
_INLINE_HEADING: Final = re.compile(r"^\s*([^:：]{1,40}?)\s*[:：]\s*(\S.*)$")
# Lines of the text export that are not report text (core.report.export writes them):
# the rule above the provenance, the note on unreviewed text, the list of what a
# signer overrode, and addenda. Each ends the section it follows.
_RULE: Final = re.compile(r"^\s*[-—–_=─]{3,}\s*$")
_EXPORT_TRAILER: Final = re.compile(
    r"^\s*(?:[-—–_=─]{3,}\s*$"
    r"|\[unreviewed\]\s*:|〔未审核〕\s*[:：]"
    r"|signed with \d+ item\(s\) outstanding|签署时仍有\s*\d+\s*项待处理"
    r"|addendum\s*[—:–-]|补充报告\s*[—:：–-])",
    re.IGNORECASE,
)
# The export's mark after a sentence nobody reviewed.
_UNREVIEWED_MARK: Final = re.compile(r"[ \t]*(?:\[unreviewed\]|〔未审核〕)")
_CJK: Final = re.compile(r"[\u3400-\u9fff]")


class ReportTextError(RadAssistError):
    """The report file holds no text that can be checked."""


@dataclass(frozen=True)
class ReportText:
    """A plain-text report read into its sections.

    Attributes
    ----------
    sections : mapping of Section to str
        Every section's text ("" when the report has none).
    headings : tuple of Section
        The sections whose heading was found, in the order they came.
    not_checked : int
        Lines with text outside any section (the header above the first heading,
        the export's notes and addenda).
    """

    sections: Mapping[Section, str]
    headings: tuple[Section, ...] = ()
    not_checked: int = 0

    @property
    def is_empty(self) -> bool:
        return not any(text.strip() for text in self.sections.values())


def _split_heading(line: str) -> tuple[Section, str] | None:
    """The section a line starts, and the text after its heading on the same line."""
    section = section_of_heading(line)
    if section is not None:
        return section, ""
    match = _INLINE_HEADING.match(line)
    if match is not None:
        section = section_of_heading(match.group(1))
        if section is not None:
            return section, match.group(2)
    return None


def parse_report_text(text: str) -> ReportText:
    """The sections of a report kept as plain text (see the module docstring).

    A section that comes twice (two "Findings" headings) keeps both texts, in order.

    Examples
    --------
    >>> read = parse_report_text("FINDINGS:\\nNo effusion.\\n\\n印象：未见异常。")
    >>> read.sections[Section.FINDINGS], read.sections[Section.IMPRESSION]
    ('No effusion.', '未见异常。')
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, found {type(text).__name__}")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff").split("\n")
    bodies: dict[Section, list[str]] = {section: [] for section in SECTION_ORDER}
    headings: list[Section] = []
    outside: list[str] = []  # text in no section
    current: Section | None = None
    for line in lines:
        if _RULE.match(line) and current is not None and not "".join(bodies[current]).strip():
            continue  # a heading underlined ("FINDINGS" over "--------")
        if _EXPORT_TRAILER.match(line):
            current = None
            outside.append(line)
            continue
        started = _split_heading(line) if line.strip() else None
        if started is not None:
            current, rest = started
            headings.append(current)
            line = rest
        if current is None:
            outside.append(line)
        else:
            bodies[current].append(line)
    if not headings:
        # No heading at all: the whole text is the findings (less the export's notes).
        kept = [line for line in lines if not _EXPORT_TRAILER.match(line)]
        bodies[Section.FINDINGS] = kept
        outside = [line for line in lines if _EXPORT_TRAILER.match(line)]
    sections = {
        section: _UNREVIEWED_MARK.sub("", "\n".join(bodies[section])).strip()
        for section in SECTION_ORDER
    }
    return ReportText(
        sections=sections,
        headings=tuple(headings),
        not_checked=sum(1 for line in outside if line.strip()),
    )


def read_report_file(path: Path) -> str:
    """The text of a report file: UTF-8 (with or without a BOM), UTF-16 with a BOM, or
    GB 18030 (what Chinese Windows editors save).

    Raises
    ------
    UsageError
        No such file, or a folder.
    ReportTextError
        Too large, or not text.
    """
    if not path.exists():
        raise UsageError(f"--report {path}: no such file")
    if path.is_dir():
        raise UsageError(f"--report {path}: is a folder; give the report's text file")
    if path.stat().st_size > MAX_REPORT_BYTES:
        raise ReportTextError(f"--report {path}: larger than {MAX_REPORT_BYTES} bytes")
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return text
    raise ReportTextError(f"--report {path}: not a text file (UTF-8, UTF-16 or GB 18030)")


# --------------------------------------------------------------------------- the check


@dataclass(frozen=True)
class ReportCheck:
    """A report's text held against the study's analysis.

    Attributes
    ----------
    source : str
        Where the text came from (the file name).
    text : ReportText
    report : Report
        The text as the workflow's report (every sentence the person's), with the
        analysis as its context.
    issues : tuple of GroundingIssue
        What :func:`~core.report.grounding.check_grounding` found, in report order.
    note : str
        Why the text was not checked against AI findings ("" when it was).
    images : int
        Images the model analysed.
    """

    source: str
    text: ReportText
    report: Report
    issues: tuple[GroundingIssue, ...] = ()
    note: str = ""
    images: int = 0
    counts: Mapping[str, int] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "counts", dict(Counter(issue.kind for issue in self.issues)))

    @property
    def clean(self) -> bool:
        """Nothing to review."""
        return not self.issues

    def to_json(self) -> dict[str, Any]:

        context = self.report.context
        return {
            "report": self.source,
            "language": self.report.language,
            "analysed": context.analysed,
            "note": self.note or None,
            "models": list(context.models),
            "images_analysed": self.images,
            "demo_banner": DEMO_BANNER if context.is_demo else None,
            "findings": [fact.to_json() for fact in context.findings],
            "headings": [section.value for section in self.text.headings],
            "lines_not_checked": self.text.not_checked,
            "sections": {
                section.value: [s.text for s in self.report.sections[section]]
                for section in SECTION_ORDER
            },
            "issues": [{**issue.to_json(), "text": issue.text} for issue in self.issues],
            "counts": dict(self.counts),
            "clean": self.clean,
        }

    def to_json_text(self) -> str:
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n"

    def to_text(self) -> str:
        """What ``radassist check`` prints: the findings, then every item with its reason."""
        context = self.report.context
        lines = [f"Report: {self.source} ({self.report.language})"]
        found = ", ".join(s.value.replace("_", " ") for s in dict.fromkeys(self.text.headings))
        lines.append(f"Sections: {found or 'no headings (read as findings)'}")
        if self.text.not_checked:
            lines.append(
                f"Not checked: {self.text.not_checked} line(s) outside the sections "
                "(header, notes, addenda)"
            )
        if context.is_demo:
            lines.append(f"*** {DEMO_BANNER} ***")
        if context.analysed:
            models = "; ".join(context.models)
            lines.append(f"AI findings ({models}, {self.images} image(s)):")
            for fact in context.findings:
                where = " ".join(part for part in (fact.side, fact.zone) if part)
                lines.append(
                    f"  {fact.label:<16} {fact.verdict:<13} p {fact.probability:.2f}"
                    + (f"  {where}" if where else "")
                )
        else:
            lines.append(f"AI findings: none ({self.note or 'no analysis'})")
        lines.append("")
        if self.clean:
            lines.append("Clean: nothing to review.")
        else:
            counts = ", ".join(f"{count} {kind}" for kind, count in self.counts.items())
            lines.append(f"To review: {len(self.issues)} item(s) ({counts})")
            for issue in self.issues:
                lines.extend(_issue_lines(issue))
        return "\n".join(lines) + "\n"


def _issue_lines(issue: GroundingIssue) -> list[str]:
    heading = issue.section.value.replace("_", " ").capitalize()
    reason = " ".join(issue.reason.split())
    if issue.sentence_id is None:
        return [f"  [{issue.kind}] {issue.label}", f"      {reason}"]
    text = " ".join(issue.text.split())
    return [f'  [{issue.kind}] {heading}: "{text}"', f"      {reason}"]


def _language(text: ReportText, wanted: str | None) -> str:

    if wanted:
        return normalise_language(wanted)
    written = "".join(text.sections.values())
    return "zh-CN" if _CJK.search(written) else "en"


def check_report_text(
    text: ReportText, analysis: StudyAnalysis, *, language: str | None = None, source: str = ""
) -> ReportCheck:
    """Hold ``text`` against ``analysis``, by the report workflow's rules.

    ``language`` None: Chinese when the sections hold Chinese characters, else English.
    """

    session = ReportSession.for_analysis(analysis, _language(text, language))
    session.apply_section_texts(text.sections)
    return ReportCheck(
        source=source,
        text=text,
        report=session.report,
        issues=session.issues,
        note=analysis.note,
        images=sum(1 for image in analysis.images if image.result.skipped is None),
    )


def check_report_file(
    path: Path,
    study: StudyRecord,
    patient: PatientRecord | None,
    package: ModelPackage | None,
    *,
    language: str | None = None,
) -> ReportCheck:
    """Read the report at ``path``, analyse ``study`` with ``package``, check one against
    the other (``package`` None: no AI findings; sections are still held against each
    other).

    Raises
    ------
    UsageError
        No such report file.
    ReportTextError
        The file holds no report text.
    """

    text = parse_report_text(read_report_file(path))
    if text.is_empty:
        raise ReportTextError(f"--report {path}: no report text in it")
    analysis = analyse_study(study, patient, package)
    if analysis.note:
        logger.info("the report is checked without AI findings: %s", analysis.note)
    return check_report_text(text, analysis, language=language, source=path.name)
