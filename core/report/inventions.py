"""What an engine may not invent: a history, a comparison, a measurement, a recommendation.

A language model given findings in words (:mod:`core.report.prompt`) still writes
"history of smoking", "unchanged since the prior study", "a 12 mm nodule" or "recommend
CT follow-up in 3 months" when nothing it was given says so. :func:`find_inventions`
reads every sentence an engine wrote (a template or a language model; a person's text
is theirs to vouch for) and marks each such statement without a source "unsupported",
the kind an asserted finding without a source gets (:mod:`core.report.issues`), so it
is shown, dismissed and blocks sign-off the same way. Its ``label`` names what was
invented (:data:`INVENTION_LABELS`).

==============  ============================================================
statement       its source
==============  ============================================================
History         clinical information a person gave (the Clinical information
                section holds a person's text); the study records hold none
Comparison      a prior study the archive named (``StudyContext.comparison``)
Measurement     the same value and unit in the technique's numbers
                (``StudyContext.technique``) or in a person's text
Recommendation  a finding the analysis called positive or possible (what the
                templates recommend for), or a person's recommendation
==============  ============================================================

A denial is no statement: "No prior studies available.", "无既往影像对比。", "No
follow-up is needed." raise nothing; "No interval change." compares, and does.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from core.i18n import _
from core.report.document import SECTION_ORDER, Origin, Report, Section, Sentence
from core.report.issues import GroundingIssue

logger = logging.getLogger(__name__)

__all__ = ["INVENTION_LABELS", "find_inventions", "measurements_in"]

HISTORY, COMPARISON, MEASUREMENT, RECOMMENDATION = (
    "History",
    "Comparison",
    "Measurement",
    "Recommendation",
)
#: The ``label`` of an "unsupported" issue for each kind of invented statement.
INVENTION_LABELS: Final = (HISTORY, COMPARISON, MEASUREMENT, RECOMMENDATION)


def _en(*patterns: str) -> re.Pattern[str]:
    body = "|".join(p.replace(" ", r"\s+") for p in patterns)
    return re.compile(rf"(?<![\w-])(?:{body})(?![\w-])", re.IGNORECASE)


def _zh(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(patterns), re.IGNORECASE)


@dataclass(frozen=True)
class _Cues:
    claims: re.Pattern[str]  # always a statement, negated or not
    deniable: re.Pattern[str] | None = None  # a statement unless the sentence denies
    denial: re.Pattern[str] | None = None


_EN_NEGATION: Final = _en(r"no", "none", "not", "without", "unavailable", "nil")
_ZH_NEGATION: Final = _zh("无", "未", "没有", "暂无")

_CUES: Final[dict[str, dict[str, _Cues]]] = {
    "en": {
        HISTORY: _Cues(
            _en(
                "history of",
                r"h/o",
                r"(?<!no\s)known",
                r"post-?operative(?:ly)?",
                r"post-?surgical",
                "status post",
                r"s/p",
                r"(?:previous|prior|recent) (?:surgery|resection|lobectomy|pneumonectomy|"
                r"thoracotomy|sternotomy|cabg|treatment|radiotherapy|radiation|chemotherapy|"
                r"infection|pneumonia|tb|tuberculosis|malignancy|cancer)",
                r"(?:ex-?)?smok(?:er|ers|ing)",
                r"present(?:s|ed|ing) with",
                r"complain(?:s|ed|ing)? of",
                r"on (?:chemotherapy|anticoagulation|treatment)",
                "cough",
                "fever",
                r"dyspno?ea",
                "shortness of breath",
                "chest pain",
                r"ha?emoptysis",
            )
        ),
        COMPARISON: _Cues(
            _en(
                "unchanged",
                r"no (?:significant |appreciable |interval |substantial )?change",
                r"interval (?:change|increase|decrease|development|resolution|improvement|"
                r"growth|enlargement|reduction|worsening)",
                r"interval(?:ly)? (?:increased|decreased|improved|worsened|enlarged|developed)",
                "stable",
                r"since (?:the )?(?:prior|previous|last|earlier)",
                r"new(?:ly)?",
                r"again (?:seen|noted|demonstrated|identified|visible)",
                r"re-?demonstrat\w*",
                r"persist(?:s|ent|ing)",
                r"(?:increased|decreased|enlarged|reduced) in (?:size|extent)",
                r"(?:has|have) (?:increased|decreased|enlarged|improved|worsened|progressed|"
                r"resolved)",
                "improved",
                "worsened",
                r"progress(?:ed|ion)",
                "no longer",
            ),
            _en(
                r"compar(?:ed|ison) (?:with|to)",
                r"(?:prior|previous|earlier|old|last) (?:study|studies|exam\w*|films?|"
                r"radiographs?|imaging|images?|ct|x-?rays?|cxr)",
            ),
            _EN_NEGATION,
        ),
        RECOMMENDATION: _Cues(
            _en(
                r"recommend\w*",
                r"advis(?:e|ed|able)",
                r"follow[- ]?up",
                r"further (?:evaluation|assessment|imaging|investigation|work-?up|"
                r"characteri[sz]ation)",
                r"(?:clinical )?correlation",
                r"correlate",
                r"suggest(?:ed)? (?:a |an )?(?:follow|ct|mri|further|repeat|clinical|"
                r"correlation|review|short)\w*",
                r"repeat (?:imaging|radiograph|ct|x-?ray|study)",
                r"should be (?:considered|performed|obtained)",
            ),
            denial=_en(
                r"^\s*(?:no|none|nil|n/a)",
                r"not (?:needed|required|necessary|indicated|recommended)",
                r"no (?:further|additional|specific|routine)",
            ),
        ),
    },
    "zh-CN": {
        HISTORY: _Cues(
            _zh(
                "史",
                "术后",
                "已知",
                "确诊",
                "主诉",
                "患者因",
                "化疗后",
                "放疗后",
                "吸烟",
                "咳嗽",
                "发热",
                "胸痛",
                "气促",
                "呼吸困难",
                "咯血",
            )
        ),
        COMPARISON: _Cues(
            _zh(
                "较前",
                "与前片",
                "同前",
                "相仿",
                "未见变化",
                "无(?:明显)?变化",
                "变化不大",
                "新(?:出现|发|见|增)",
                "进展",
                "好转",
                "持续存在",
                "仍(?:可)?见",
            ),
            _zh("既往", "前片", "旧片", "对比(?!剂|增强)"),
            _ZH_NEGATION,
        ),
        RECOMMENDATION: _Cues(
            _zh("建议", "随访", "复查", "进一步(?:检查|评估|明确)", "结合临床", "必要时"),
            denial=_zh("无需", "不需", "无特殊", r"^\s*无\s*[。.]?\s*$", "暂无"),
        ),
    },
}

_NUMBER: Final = r"\d+(?:\.\d+)?"
# "12 mm", "3.4 cm", "12 x 8 mm", "1.2 × 0.8 × 0.5 cm", "250 mL", "-30 HU", "120 kV";
# each number of a dimension is a value in the unit at its end.
_MEASUREMENT: Final = re.compile(
    rf"(?<![\d.,])(?P<numbers>{_NUMBER}(?:\s*(?:x|×|\*|by)\s*{_NUMBER}){{0,2}})\s*"
    r"(?P<unit>mm|cm|ml|cc|hu|kv|mas|毫米|厘米|毫升)(?![A-Za-z])",
    re.IGNORECASE,
)
# Unit → (family, factor to the family's unit).
_UNITS: Final = {
    "mm": ("length", 1.0),
    "毫米": ("length", 1.0),
    "cm": ("length", 10.0),
    "厘米": ("length", 10.0),
    "ml": ("volume", 1.0),
    "cc": ("volume", 1.0),
    "毫升": ("volume", 1.0),
    "hu": ("density", 1.0),
    "kv": ("kv", 1.0),
    "mas": ("mas", 1.0),
}


def measurements_in(text: str) -> frozenset[tuple[str, float]]:
    """Every measured value in ``text`` as ``(family, value)``, lengths in millimetres.

    Examples
    --------
    >>> sorted(measurements_in("A 1.2 x 0.8 cm nodule; 120 kV."))
    [('kv', 120.0), ('length', 8.0), ('length', 12.0)]
    """
    found: set[tuple[str, float]] = set()
    for match in _MEASUREMENT.finditer(text):
        family, factor = _UNITS[match.group("unit").lower()]
        for number in re.findall(_NUMBER, match.group("numbers")):
            found.add((family, round(float(number) * factor, 3)))
    return frozenset(found)


def _language(text: str, default: str) -> str:
    if re.search(r"[\u3400-\u9fff]", text):
        return "zh-CN"
    if re.search(r"[A-Za-z]{2,}", text):
        return "en"
    return default


def _claim(cues: _Cues, text: str) -> re.Match[str] | None:
    """The cue that makes ``text`` a statement of its kind, or None."""
    if cues.denial is not None and cues.denial.search(text) and cues.deniable is None:
        return None
    match = cues.claims.search(text)
    if match is not None or cues.deniable is None:
        return match
    if cues.denial is not None and cues.denial.search(text):
        return None  # "No prior studies available."
    return cues.deniable.search(text)


@dataclass(frozen=True)
class _Sources:
    history: bool
    comparison: bool
    measurements: frozenset[tuple[str, float]]
    recommendation: bool
    analysed: bool


def _person_text(sentences: Iterable[Sentence]) -> list[str]:
    return [s.text for s in sentences if s.origin is Origin.PERSON and s.text.strip()]


def _sources(report: Report) -> _Sources:
    context = report.context
    person = _person_text(report.sentences())
    measured = set(measurements_in(context.study.technique))
    for text in person:
        measured |= measurements_in(text)
    possible = any(f.verdict in ("positive", "indeterminate") for f in context.findings)
    return _Sources(
        history=bool(_person_text(report.sentences(Section.CLINICAL_INFORMATION))),
        comparison=context.study.comparison is not None,
        measurements=frozenset(measured),
        recommendation=(context.analysed and possible)
        or bool(_person_text(report.sentences(Section.RECOMMENDATIONS))),
        analysed=context.analysed,
    )


def _issue(
    sentence: Sentence, section: Section, label: str, reason: str, span: tuple[int, int]
) -> GroundingIssue:
    return GroundingIssue(
        sentence_id=sentence.id,
        section=section,
        label=label,
        kind="unsupported",
        reason=reason,
        text=sentence.text,
        start=span[0],
        end=span[1],
    )


def _sentence_inventions(
    sentence: Sentence, section: Section, sources: _Sources, default_language: str
) -> list[GroundingIssue]:
    text = sentence.text
    cues = _CUES[_language(text, default_language)]
    issues: list[GroundingIssue] = []
    # Clinical information is where a given history goes; technique states no history.
    if not sources.history and section is not Section.TECHNIQUE:
        match = _claim(cues[HISTORY], text)
        if match is not None:
            reason = _('states a history ("{text}"); no clinical information was given').format(
                text=match.group(0)
            )
            issues.append(_issue(sentence, section, HISTORY, reason, match.span()))
    if not sources.comparison:
        match = _claim(cues[COMPARISON], text)
        if match is not None:
            reason = _(
                'compares with an earlier study ("{text}"); the archive named no prior study'
            ).format(text=match.group(0))
            issues.append(_issue(sentence, section, COMPARISON, reason, match.span()))
    for match in _MEASUREMENT.finditer(text):
        if not measurements_in(match.group(0)) <= sources.measurements:
            reason = _(
                'gives a measurement ("{text}") that neither the study records nor '
                "a person's text holds"
            ).format(text=match.group(0))
            issues.append(_issue(sentence, section, MEASUREMENT, reason, match.span()))
            break
    if not sources.recommendation:
        match = _claim(cues[RECOMMENDATION], text)
        if match is not None:
            if sources.analysed:
                reason = _(
                    'recommends ("{text}") although the analysis found nothing positive or possible'
                ).format(text=match.group(0))
            else:
                reason = _('recommends ("{text}") although no analysis ran').format(
                    text=match.group(0)
                )
            issues.append(_issue(sentence, section, RECOMMENDATION, reason, match.span()))
    return issues


def find_inventions(report: Report) -> tuple[GroundingIssue, ...]:
    """Every history, comparison, measurement or recommendation an engine wrote without a
    source (see the module's docstring), as "unsupported" issues.

    Parameters
    ----------
    report : Report
        Its engine sentences (template and language model, reviewed or not) in every
        section, held against ``report.context`` and the person's text.

    Returns
    -------
    tuple of GroundingIssue
        In report order; at most one per sentence and kind of statement, ``label`` one
        of :data:`INVENTION_LABELS`.
    """
    if not isinstance(report, Report):
        raise TypeError(f"report must be a Report, found {type(report).__name__}")
    sources = _sources(report)
    issues: list[GroundingIssue] = []
    for section in SECTION_ORDER:
        for sentence in report.sentences(section):
            if sentence.origin is Origin.PERSON:
                continue
            issues.extend(_sentence_inventions(sentence, section, sources, report.language))
    return tuple(issues)
