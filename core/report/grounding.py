"""Grounding check: does the report say what the analysis found?

A rule-based finding extractor in the NegEx / NegBio / CheXpert-labeler tradition
reads each sentence (English or Chinese) and finds *mentions* of the analysis
labels — Nodule, Mass, Effusion, Pneumothorax, Cardiomegaly, Consolidation — with
their synonyms ("pleural fluid", "hydropneumothorax", "enlarged cardiac silhouette",
"airspace opacity"; 胸水, 液气胸, 心影增大...), and gives each a polarity:

- **absent** — inside the scope of a negation cue: pre-negation ("no", "without",
  "negative for", 未见, 无, 排除) reaching forward, post-negation ("is not seen",
  "has resolved", 已吸收, 消失) reaching back; and phrases that deny by themselves
  ("heart size is normal", "costophrenic angles are sharp", 心影不大, 肋膈角锐利,
  "no acute cardiopulmonary abnormality", 心肺未见明显异常);
- **uncertain** — inside the scope of an uncertainty cue ("possible", "cannot be
  excluded", "suspicious for", 可疑, 考虑, 不除外, 可能), or a hedged phrase
  ("heart size at the upper limit of normal", 心影饱满);
- **present** — otherwise.

Scopes end at the sentence end and at terminators ("but", "however", "apart
from", "there is", ";", 但, 另, "，"); pseudo-negations ("no change in", "not
only", "partially resolved", 无明显变化, 未见吸收, 较前相仿) are matched first and
negate nothing. Where cues overlap the longest wins ("cannot be excluded" over
"not", "不除外" over "除外", "未见吸收" over "吸收"); uncertainty wins over
negation. Laterality is read next to the mention ("right pleural effusion",
"nodule in the left upper zone", 右侧, 左肺, 双侧).

:func:`check_grounding` holds every mention against the report's findings:

==============  ==================  =================  ==========================
text says       analysis positive   indeterminate      negative
==============  ==================  =================  ==========================
present         ok (side checked)   unsupported        unsupported
uncertain       ok (side checked)   ok                 unsupported
absent          contradicted        ok                 ok
==============  ==================  =================  ==========================

Indeterminate means the probability fell short of the model's operating
threshold, within its margin: hedged wording fits it, a denial agrees with the
model's verdict at its operating point, and a definite assertion goes beyond what
the model found, so it is flagged with a reason that says so. A present or hedged
mention on the other side than the heatmap's ("left effusion" where the analysis
placed it on the right) is a *laterality* conflict; a denial on the other side
("no left effusion") does not contradict a right-sided finding, nor does one
limited to large findings ("no large pneumothorax", :mod:`core.report.consistency`).
Labels the analysis never assessed, and reports drafted without an analysis, raise
none of these. Clinical information (the question asked) and technique are not
checked for findings.

What an engine may not invent — a history, a comparison with an earlier study, a
measurement, a recommendation — with no source in the facts is "unsupported" too
(:mod:`core.report.inventions`, with or without an analysis; its label says which).

It then reads the report as a whole (:mod:`core.report.consistency`): an
impression that says the opposite of the findings is *inconsistent* (with or
without an analysis), and a finding the analysis called positive that no sentence
states, hedges or denies is *not mentioned* (:mod:`core.report.issues` lists the
kinds).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from core.analysis.labels import label_name
from core.i18n import _, current_language
from core.report.consistency import (
    ReadSentence,
    denies_only_large,
    find_inconsistencies,
    find_omissions,
)
from core.report.document import (
    SECTION_HEADINGS,
    FindingFact,
    Report,
    ReportContext,
    ReviewLine,
    Section,
)
from core.report.inventions import INVENTION_LABELS, find_inventions
from core.report.issues import ISSUE_KINDS, POLARITIES, GroundingIssue, Mention, place_word
from core.report.issues import format_evidence as _numbers
from core.report.templates import normalise_language

logger = logging.getLogger(__name__)

__all__ = [
    "CHECKED_SECTIONS",
    "INVENTION_LABELS",
    "ISSUE_KINDS",
    "LABELS",
    "POLARITIES",
    "GroundingIssue",
    "Mention",
    "check_grounding",
    "describe",
    "extract_mentions",
    "unresolved_issues",
]

#: The labels the extractor recognises (the analysis models' labels).
LABELS: Final = ("Nodule", "Mass", "Effusion", "Pneumothorax", "Cardiomegaly", "Consolidation")
#: Sections whose sentences are checked (clinical information is the question
#: asked, technique states no finding).
CHECKED_SECTIONS: Final = (
    Section.COMPARISON,
    Section.FINDINGS,
    Section.IMPRESSION,
    Section.RECOMMENDATIONS,
)

# Model labels that name the same finding as an extractor label.
_FACT_ALIASES: Final = {
    "Nodule": ("nodule", "lung nodule", "pulmonary nodule"),
    "Mass": ("mass", "lung mass", "pulmonary mass"),
    "Effusion": ("effusion", "pleural effusion"),
    "Pneumothorax": ("pneumothorax",),
    "Cardiomegaly": ("cardiomegaly",),
    "Consolidation": ("consolidation",),
}
_VERDICT_RANK: Final = {"positive": 2, "indeterminate": 1, "negative": 0}
_ALL: Final = LABELS
_ACUTE: Final = ("Consolidation", "Effusion", "Pneumothorax")
_LUNG: Final = ("Consolidation", "Nodule", "Mass")


# --------------------------------------------------------------------------- lexicon

_NEG, _UNC, _PSEUDO, _STOP = "neg", "unc", "pseudo", "stop"
_PRE, _POST, _EITHER = "pre", "post", "either"
_ASIDE = "aside"  # an either-way cue that qualifies the word after it, no finding
# "consolidation, likely pneumonia", "nodule, probably benign": after a comma and
# before a word that is not a finding, a hedge qualifies that word (the cause, the
# nature), not the finding before it; "effusion, likely present" still hedges it.
_EN_ASIDE: Final = re.compile(
    r"\s+(?!(?:present|seen|noted|there|visible|identified|to|be|is|are)\b)[a-z]", re.IGNORECASE
)


@dataclass(frozen=True)
class _Term:
    pattern: re.Pattern[str]
    labels: tuple[str, ...]  # empty: a blocker (matches, names no finding)
    polarity: str | None = None  # the phrase's own polarity; None: decided by cues
    overall: bool = False  # a whole-study statement ("normal chest radiograph")


@dataclass(frozen=True)
class _Cue:
    pattern: re.Pattern[str]
    kind: str
    direction: str


@dataclass(frozen=True)
class _Lexicon:
    language: str
    terms: tuple[_Term, ...]
    cues: tuple[_Cue, ...]
    exceptions: re.Pattern[str]  # "other", "apart from"...: overall statements do not apply
    side: re.Pattern[str]
    side_after: re.Pattern[str] | None
    pre_window: int
    post_window: int
    either_window: int


def _en(pattern: str) -> re.Pattern[str]:
    # Spaces in the lexicon match any run of whitespace; words are whole words.
    body = pattern.replace(" ", r"\s+")
    return re.compile(rf"(?<![\w-])(?:{body})(?![\w-])", re.IGNORECASE)


def _zh(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


# Lexicon entries. A term: (pattern, labels, own polarity, whole-study statement);
# no labels makes a blocker. A cue: (pattern, kind, direction).
_TermEntry = tuple[str, tuple[str, ...], str | None, bool]
_CueEntry = tuple[str, str, str]


def _term(pattern: str, *labels: str, polarity: str | None = None) -> _TermEntry:
    return (pattern, labels, polarity, False)


def _overall(pattern: str, labels: tuple[str, ...]) -> _TermEntry:
    return (pattern, labels, "absent", True)


def _block(pattern: str) -> _TermEntry:
    return (pattern, (), None, False)


def _terms(
    compile_: Callable[[str], re.Pattern[str]], entries: Iterable[_TermEntry]
) -> tuple[_Term, ...]:
    return tuple(_Term(compile_(p), labels, pol, overall) for p, labels, pol, overall in entries)


def _cues(
    compile_: Callable[[str], re.Pattern[str]], entries: Iterable[_CueEntry]
) -> tuple[_Cue, ...]:
    return tuple(_Cue(compile_(p), kind, direction) for p, kind, direction in entries)


_HEART = (
    r"(?:the )?(?:heart(?: size)?|cardiac (?:size|silhouette|shadow)|"
    r"cardiomediastinal (?:silhouette|contours?)|cardiothoracic ratio)"
)
_IS = r"(?:is|are|appears?|remains?|looks?)"
_CPA = r"(?:the )?(?:(?:right|left|both|bilateral) )?(?:costophrenic|cp) (?:angles?|recess(?:es)?)"
_ABNORMALITY = r"(?:abnormalit(?:y|ies)|process(?:es)?|disease|findings?|pathology)"
_CHEST = r"(?:cardiopulmonary|cardiothoracic|intrathoracic)"

_EN_TERMS: Final[tuple[_TermEntry, ...]] = (
    # Blockers: words that look like a label but name another finding.
    _block(r"(?:pericardial|joint|knee|elbow|ankle|hip|shoulder|wrist) effusions?"),
    _block(r"(?:middle ear|mastoid|peritoneal|subdural|sinus) effusions?"),
    _block(r"mass effect|body mass(?: index)?|muscle mass|bone mass"),
    _block(r"(?:thyroid|breast|liver|hepatic|renal|adrenal) (?:nodules?|mass(?:es)?)"),
    _block(
        rf"no (?:other|further|additional) (?:acute |significant |focal )?(?:{_CHEST} )?"
        rf"{_ABNORMALITY}"
    ),
    _block(r"otherwise (?:normal|unremarkable|clear)"),
    _block(r"(?:the )?(?:lungs?|lung fields?) (?:are|is) otherwise clear"),
    # Nodule, Mass.
    _term(r"(?:micro)?nodules?|coin lesions?", "Nodule"),
    _term(r"nodular (?:opacit(?:y|ies)|densit(?:y|ies)|lesions?|shadows?)", "Nodule"),
    _term(r"mass(?:es)?|tumou?rs?|neoplasms?", "Mass"),
    # Effusion, Pneumothorax.
    _term(r"(?:pleural )?effusions?|pleural fluid|(?:haemo|hemo|hydro)thora(?:x|ces)", "Effusion"),
    _term(r"(?:hydro|haemo|hemo)pneumothora(?:x|ces)", "Effusion", "Pneumothorax"),
    _term(rf"blunt(?:ing|ed)? of {_CPA}", "Effusion", polarity="present"),
    _term(
        r"blunted (?:(?:right|left) )?(?:costophrenic|cp) angles?", "Effusion", polarity="present"
    ),
    _term(rf"{_CPA} (?:is|are) blunted", "Effusion", polarity="present"),
    _term(
        rf"{_CPA} (?:is|are|remain) (?:sharp|clear|preserved|normal)", "Effusion", polarity="absent"
    ),
    _term(r"sharp (?:costophrenic|cp) angles?", "Effusion", polarity="absent"),
    _term(
        r"(?:the )?pleural spaces? (?:is|are) clear", "Effusion", "Pneumothorax", polarity="absent"
    ),
    _term(r"pneumothora(?:x|ces)|ptx", "Pneumothorax"),
    # Cardiomegaly.
    _term(r"cardiomegaly|cardiac enlargement|increased (?:heart|cardiac) size", "Cardiomegaly"),
    _term(r"enlarged (?:heart|cardiac (?:silhouette|shadow|size))", "Cardiomegaly"),
    _term(r"enlargement of the (?:heart|cardiac silhouette)", "Cardiomegaly"),
    _term(
        rf"{_HEART} {_IS} (?:(?:mildly|moderately|markedly|severely|slightly|grossly) )?enlarged",
        "Cardiomegaly",
    ),
    _term(
        rf"{_HEART} {_IS} (?:normal(?: in size)?|within normal limits|not enlarged|unremarkable)",
        "Cardiomegaly",
        polarity="absent",
    ),
    _term(r"heart size\s*[:=]?\s*normal", "Cardiomegaly", polarity="absent"),
    _term(
        r"normal(?:[ -]sized?)? (?:heart(?: size)?|cardiac (?:size|silhouette)|"
        r"cardiomediastinal silhouette)",
        "Cardiomegaly",
        polarity="absent",
    ),
    _term(
        rf"{_HEART} (?:is )?(?:at )?(?:the )?upper limits? of normal(?: in size)?",
        "Cardiomegaly",
        polarity="uncertain",
    ),
    # Consolidation.
    _term(r"consolidat(?:ion|ions|ive|ed)", "Consolidation"),
    _term(r"air[- ]?space (?:disease|opacit(?:y|ies)|opacification|shadowing)", "Consolidation"),
    _term(
        r"(?:the )?(?:lungs?|lung fields?) (?:are|is|remains?) (?:[\w-]+ (?:and )?){0,3}?clear",
        "Consolidation",
        polarity="absent",
    ),
    _term(r"clear lungs?", "Consolidation", polarity="absent"),
    # Whole-study statements.
    _overall(rf"no (?:significant )?{_CHEST} {_ABNORMALITY}", _ALL),
    _overall(rf"no acute (?:{_CHEST} )?{_ABNORMALITY}", _ACUTE),
    _overall(
        r"no abnormalit(?:y|ies) (?:is |are )?(?:detected|seen|identified|demonstrated)", _ALL
    ),
    _overall(
        r"(?:normal|unremarkable) (?:chest(?: radiograph| x-?ray| film| study| examination)?|"
        r"radiograph of the chest|cxr)",
        _ALL,
    ),
)

_EN_CUES: Final[tuple[_CueEntry, ...]] = (
    # Pseudo-negations: they contain a cue but negate nothing.
    (
        r"not only|not necessarily|not certain (?:if|whether)|not (?:significantly )?changed",
        _PSEUDO,
        _PRE,
    ),
    (
        r"no (?:significant |definite |appreciable |substantial |interval |significant interval )?"
        r"(?:change|increase|decrease|progression|enlargement|growth|reduction)",
        _PSEUDO,
        _PRE,
    ),
    (r"without (?:interval |significant )?change", _PSEUDO, _PRE),
    (r"(?:partially|partly|incompletely) (?:resolved|resolving|cleared)|resolving", _PSEUDO, _PRE),
    (r"(?:has |have )?not (?:fully |completely )?(?:resolved|cleared)", _PSEUDO, _PRE),
    # Negation.
    (r"no|not|without|neither|nor|excludes|no longer|no definite", _NEG, _PRE),
    (r"negative for|free of|absence of|resolution of", _NEG, _PRE),
    (
        r"no (?:radiographic |definite |convincing |obvious |significant |visible |new )?"
        r"(?:evidence|signs?) (?:of|for)",
        _NEG,
        _PRE,
    ),
    (
        r"(?:is |are |was |were )?(?:not|no longer) "
        r"(?:seen|identified|visible|present|demonstrated|evident|appreciated|detected)",
        _NEG,
        _POST,
    ),
    (r"(?:has|have) (?:completely |fully )?(?:resolved|cleared)", _NEG, _POST),
    (r"(?:is |are |was |were |been )?(?:excluded|ruled out)|none|negative", _NEG, _POST),
    (r"absent|resolved|unlikely", _NEG, _EITHER),
    # Uncertainty.
    (r"possibly|probably|most likely|questionable|question of|query|suspect", _UNC, _PRE),
    (r"presumed|presumably|equivocal|borderline|rule out|r/o|to exclude", _UNC, _PRE),
    (r"suspicious (?:for|of)|suspicion (?:of|for)|concern(?:ing)? for|worrisome for", _UNC, _PRE),
    (r"(?:may|might|could) (?:be|represent|reflect|indicate)", _UNC, _PRE),
    (r"(?:may|might|could) (?:also )?be (?:present|seen|noted|there)", _UNC, _POST),
    (
        r"suggestive of|suggests?|suggesting|(?:evaluate|assess|evaluation|assessment) for",
        _UNC,
        _PRE,
    ),
    (
        r"can(?:not|'t| not) (?:exclude|rule out)|differential (?:diagnosis )?(?:includes?|of)",
        _UNC,
        _PRE,
    ),
    (
        r"can(?:not|'t| not) be (?:entirely |completely )?(?:excluded|ruled out)|"
        r"(?:is |are )?not (?:entirely |completely )?(?:excluded|ruled out)",
        _UNC,
        _POST,
    ),
    (r"possible|probable|likely|suspected|versus|vs\.?|questioned|queried", _UNC, _EITHER),
    # Scope terminators.
    (r"but|however|although|though|except(?: for)?|apart from|aside from|other than", _STOP, _PRE),
    (r"with the exception of|whereas|while|yet|nevertheless|which", _STOP, _PRE),
    (r"there (?:is|are|has been|have been)|and (?:a|an|the|there|this|these|its?)", _STOP, _PRE),
)
# Punctuation cues (no word boundaries).
_EN_MARKS: Final[tuple[_CueEntry, ...]] = (
    (r"\?", _UNC, _EITHER),
    (r"[;]|[.!](?=\s|$)|\n", _STOP, _PRE),
)

_ZH_TERMS: Final[tuple[_TermEntry, ...]] = (
    _block(r"心包积液|关节腔?积液|腹腔积液|盆腔积液|腹水|鞘膜积液|(?:鼻窦|乳突|中耳)积液"),
    _block(r"(?:甲状腺|乳腺|肝脏?|肾脏?|肾上腺)(?:结节|肿块|肿物)"),
    _block(r"未见其他(?:明显|明确)?异常"),
    _block(r"(?:其余|其他|余)[^，。；,;]{0,6}?(?:未见|无)(?:明显|明确)?异常(?:征象)?"),
    # Nodule, Mass.
    _term(r"结节(?:状)?(?:影|灶)?", "Nodule"),
    _term(r"肿块(?:影)?|团块(?:状)?(?:影)?|肿物|占位(?:性病变)?|肿瘤", "Mass"),
    # Effusion, Pneumothorax.
    _term(r"胸腔积液|胸膜腔积液|胸水|积液|血胸", "Effusion"),
    _term(r"(?:液|血)气胸", "Effusion", "Pneumothorax"),
    _term(r"(?:双侧|两侧|左侧|右侧)?肋膈角(?:变钝|钝|消失|模糊)", "Effusion", polarity="present"),
    _term(r"(?:双侧|两侧|左侧|右侧)?肋膈角(?:锐利|清晰|锐)", "Effusion", polarity="absent"),
    _term(r"(?:双侧|两侧)?胸腔未见(?:明显)?异常", "Effusion", "Pneumothorax", polarity="absent"),
    _term(r"气胸", "Pneumothorax"),
    # Cardiomegaly.
    _term(r"心(?:影|脏)呈?(?:轻度|中度|重度|明显|稍|略|显著)?(?:增大|扩大|肥大)", "Cardiomegaly"),
    _term(r"心胸比例?增大|心影(?:稍|略)?偏?大(?!小)", "Cardiomegaly"),
    _term(
        r"心影(?:稍|略)?饱满|心影(?:大小)?在?正常(?:高限|上限)",
        "Cardiomegaly",
        polarity="uncertain",
    ),
    _term(
        r"心(?:影|脏)(?:不大|大小(?:、?形态)?(?:正常|如常|未见异常)|形态(?:、?大小)?(?:正常|如常|未见异常)|"
        r"未见(?:明显)?(?:增大|扩大))|心胸比例?正常",
        "Cardiomegaly",
        polarity="absent",
    ),
    # Consolidation.
    _term(r"肺?实变(?:影|灶)?", "Consolidation"),
    _term(r"(?:双|两)肺野?(?:纹理)?清晰", "Consolidation", polarity="absent"),
    _overall(r"(?:双|两)肺野?(?:内)?(?:未见|无)(?:明显|明确)?异常", _LUNG),
    # Whole-study statements.
    _overall(
        r"(?:心肺膈?|心、肺|心肺及膈|胸部(?:正位片|平片|X线片|正侧位片|X线)?(?:检查)?|(?:双|两)肺及心影)"
        r"(?:未见|无)(?:明显|明确)?异常(?:征象)?",
        _ALL,
    ),
    _overall(r"未见(?:明显)?急性(?:心肺)?(?:异常|病变)", _ACUTE),
)

_ZH_CUES: Final[tuple[_CueEntry, ...]] = (
    # Pseudo-negations.
    (r"无(?:明显)?(?:变化|改变|增大|缩小|进展|好转)", _PSEUDO, _PRE),
    (r"未见(?:明显)?(?:变化|改变|增大|缩小|进展|好转|吸收)", _PSEUDO, _PRE),
    (
        r"较前(?:相仿|相似|变化不大|无明显变化|(?:部分)?吸收)|相仿|相似|类似|近似|变化不大",
        _PSEUDO,
        _PRE,
    ),
    (r"未(?:完全)?吸收|吸收不全|部分吸收|有所吸收|不仅|无论", _PSEUDO, _PRE),
    # Negation.
    (r"未见(?:明显|明确|确切|有)?|未发现|未显示|未示|未及|未|无(?:明显)?|没有|并无", _NEG, _PRE),
    (r"不伴有?|否认|可排除|排除", _NEG, _PRE),
    (r"已?(?:完全|基本)?(?:消失|吸收|消散)|阴性|已排除|[:：]\s*(?:无|未见|阴性)", _NEG, _POST),
    (r"未再(?:见|显示)", _NEG, _EITHER),
    # Uncertainty.
    (
        r"可疑|疑似|疑为|疑诊|疑|似见|似有|似|考虑为?|倾向(?:于|为)?|提示|怀疑|警惕|可能(?:为|是)",
        _UNC,
        _PRE,
    ),
    (
        r"需排除|请排除|建议排除|以排除|需除外|请除外|难以(?:除外|排除)|未能?(?:除外|排除)",
        _UNC,
        _PRE,
    ),
    (r"有无|是否", _UNC, _PRE),
    (r"待查|待定|之可能|可能性大|可能大", _UNC, _POST),
    (r"可能|不(?:能)?除外|不(?:能)?排除|待排(?:除)?|待除外|除外|[?？]", _UNC, _EITHER),
    # Scope terminators.
    (r"但(?:是)?|然而|而|另(?:见)?|此外|其余|余|[，,；;。！!\n]", _STOP, _PRE),
)

_EN_SIDE: Final = re.compile(
    r"(?<![\w-])(right(?:-sided)?|left(?:-sided)?|bilateral(?:ly)?|both|bibasal|bibasilar)(?![\w-])",
    re.IGNORECASE,
)
_EN_SIDE_AFTER: Final = re.compile(
    r"^\W*(?:[\w-]+\s+){0,3}?(?:(?:in|at|on|within|over|involving|of|occup(?:y|ies|ying)|"
    r"overl(?:ies|ying))\s+(?:the\s+)?"
    r"(?:[\w-]+\s+)?(right|left|both)\b|(bilaterally)\b)",
    re.IGNORECASE,
)
_ZH_SIDE: Final = re.compile(r"右|左|双|两(?=侧|肺|下|上)")


def _build_lexicons() -> dict[str, _Lexicon]:
    en_cues = _cues(_en, _EN_CUES) + _cues(_zh, _EN_MARKS)
    return {
        "en": _Lexicon(
            language="en",
            terms=_terms(_en, _EN_TERMS),
            cues=en_cues,
            exceptions=_en(
                r"other|otherwise|apart from|aside from|except|besides|remaining|remainder"
            ),
            side=_EN_SIDE,
            side_after=_EN_SIDE_AFTER,
            pre_window=12,
            post_window=8,
            either_window=3,
        ),
        "zh-CN": _Lexicon(
            language="zh-CN",
            terms=_terms(_zh, _ZH_TERMS),
            cues=_cues(_zh, _ZH_CUES),
            exceptions=_zh(r"其余|其他|(?<![剩多])余|另|除[^外]{1,10}外"),
            side=_ZH_SIDE,
            side_after=None,
            pre_window=20,
            post_window=12,
            either_window=6,
        ),
    }


_LEXICONS: Final = _build_lexicons()


# --------------------------------------------------------------------------- extraction


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    index: int  # which term or cue of the lexicon

    @property
    def length(self) -> int:
        return self.end - self.start


def _select(matches: Iterable[_Span]) -> list[_Span]:
    """Leftmost-longest, non-overlapping; ties go to the earlier lexicon entry."""
    chosen: list[_Span] = []
    last_end = -1
    for span in sorted(matches, key=lambda s: (s.start, -s.length, s.index)):
        if span.start >= last_end and span.length > 0:
            chosen.append(span)
            last_end = span.end
    return chosen


def _overlaps(span: _Span, others: Sequence[_Span]) -> bool:
    return any(span.start < o.end and o.start < span.end for o in others)


class _Extractor:
    def __init__(self, text: str, lexicon: _Lexicon) -> None:
        self.text = text
        self.lex = lexicon
        self.terms = _select(
            _Span(m.start(), m.end(), i)
            for i, term in enumerate(lexicon.terms)
            for m in term.pattern.finditer(text)
        )
        cues = _select(
            _Span(m.start(), m.end(), i)
            for i, cue in enumerate(lexicon.cues)
            for m in cue.pattern.finditer(text)
        )
        # A cue inside a phrase ("not" in "heart is not enlarged") belongs to the phrase.
        self.cues = [c for c in cues if not _overlaps(c, self.terms)]
        self.directions = [self._direction(c) for c in self.cues]

    # distances: words in English, characters in Chinese
    def _distance(self, start: int, end: int) -> int:
        between = self.text[start:end]
        if self.lex.language == "en":
            return len(re.findall(r"\w+", between))
        return len(between.strip())

    def _direction(self, cue: _Span) -> str:
        spec = self.lex.cues[cue.index]
        if spec.direction != _EITHER:
            return spec.direction
        # "possible effusion" reaches forward; "effusion is likely" reaches back.
        following = [t for t in self.terms if t.start >= cue.end]
        if following:
            gap = self.text[cue.end : following[0].start]
            if (
                not re.search(r"[^\w\s-]", gap)
                and self._distance(cue.end, following[0].start) <= self.lex.either_window
                and not any(cue.end <= c.start < following[0].start for c in self.cues)
            ):
                return _PRE
        if (
            spec.kind == _UNC
            and self.lex.language == "en"
            and re.search(r",\s*$", self.text[: cue.start])
            and _EN_ASIDE.match(self.text, cue.end)
        ):
            return _ASIDE
        return _POST

    def _scope_cue(self, term: _Span) -> tuple[_Cue | None, _Cue | None, str, str]:
        pre: _Cue | None = None
        pre_text = ""
        for cue, direction in zip(reversed(self.cues), reversed(self.directions), strict=True):
            if cue.end > term.start:
                continue
            spec = self.lex.cues[cue.index]
            if spec.kind == _STOP:
                break
            if direction in (_POST, _ASIDE):
                continue
            if spec.kind != _PSEUDO and self._distance(cue.end, term.start) <= self.lex.pre_window:
                pre, pre_text = spec, self.text[cue.start : cue.end]
            break
        post: _Cue | None = None
        post_text = ""
        for cue, direction in zip(self.cues, self.directions, strict=True):
            if cue.start < term.end:
                continue
            spec = self.lex.cues[cue.index]
            if direction == _ASIDE:
                continue
            if spec.kind in (_STOP, _PSEUDO) or direction == _PRE:
                break
            if self._distance(term.end, cue.start) <= self.lex.post_window:
                post, post_text = spec, self.text[cue.start : cue.end]
            break
        return pre, post, pre_text, post_text

    def _boundaries(self, term: _Span) -> tuple[int, int]:
        """Where the clause around a term starts and ends (other terms, terminators)."""
        before = 0
        after = len(self.text)
        for other in self.terms:
            if other.end <= term.start:
                before = max(before, other.end)
            elif other.start >= term.end:
                after = min(after, other.start)
        for cue in self.cues:
            if self.lex.cues[cue.index].kind != _STOP:
                continue
            if cue.end <= term.start:
                before = max(before, cue.end)
            elif cue.start >= term.end:
                after = min(after, cue.start)
        return before, after

    def _side(self, term: _Span) -> str | None:
        inside = list(self.lex.side.finditer(self.text, term.start, term.end))
        if inside:
            return _side_name(inside[-1].group(0))
        before, after = self._boundaries(term)
        if self.lex.language == "en":
            window = self.text[before : term.start]
            words = list(re.finditer(r"[\w-]+", window))[-4:]
            if words:
                found = list(self.lex.side.finditer(window, words[0].start()))
                if found:
                    return _side_name(found[-1].group(0))
        else:
            found = list(self.lex.side.finditer(self.text, max(before, term.start - 8), term.start))
            if found:
                return _side_name(found[-1].group(0))
        if self.lex.side_after is not None:
            match = self.lex.side_after.match(self.text[term.end : after])
            if match:
                return _side_name(match.group(1) or match.group(2))
        if self.lex.language != "en":
            # A Chinese sentence names the place first: "左下肺野片状模糊影，实变可能" puts
            # the consolidation on the left (across commas, never across another finding).
            start = self._sentence_start(term.start)
            for other in self.terms:
                if other.end <= term.start:
                    start = max(start, other.end)
            for cue in self.cues:
                if (
                    cue.end <= term.start
                    and self.lex.cues[cue.index].kind == _STOP
                    and self.text[cue.start : cue.end] not in ("，", ",")
                ):
                    start = max(start, cue.end)
            found = list(self.lex.side.finditer(self.text, start, term.start))
            if found:
                return _side_name(found[-1].group(0))
        return None

    def _sentence_start(self, position: int) -> int:
        start = 0
        for match in re.finditer(r"[.!?。！？；;\n]", self.text[:position]):
            start = match.end()
        return start

    def mentions(self) -> tuple[Mention, ...]:
        found: list[Mention] = []
        for span in self.terms:
            term = self.lex.terms[span.index]
            if not term.labels:
                continue
            if term.overall and self.lex.exceptions.search(self._sentence_of(span)):
                continue
            phrase = self.text[span.start : span.end]
            pre, post, pre_text, post_text = self._scope_cue(span)
            kinds = {c.kind for c in (pre, post) if c is not None}
            if term.polarity == "uncertain":
                polarity, cue = "uncertain", phrase
            elif _UNC in kinds:
                polarity = "uncertain"
                cue = pre_text if pre is not None and pre.kind == _UNC else post_text
            elif _NEG in kinds:
                polarity = "absent"
                cue = pre_text if pre is not None and pre.kind == _NEG else post_text
            elif term.polarity is not None:
                polarity, cue = term.polarity, phrase
            else:
                polarity, cue = "present", ""
            side = self._side(span)
            for label in term.labels:
                found.append(Mention(label, polarity, span.start, span.end, cue, side, phrase))
        return tuple(found)

    def _sentence_of(self, span: _Span) -> str:
        start = 0
        end = len(self.text)
        for match in re.finditer(r"[.!?。！？；;\n]", self.text):
            if match.end() <= span.start:
                start = match.end()
            elif match.start() >= span.end:
                end = match.start()
                break
        return self.text[start:end]


def _side_name(word: str) -> str:
    word = word.lower()
    if word.startswith("right") or word == "右":
        return "right"
    if word.startswith("left") or word == "左":
        return "left"
    return "bilateral"


def extract_mentions(text: str, language: str) -> tuple[Mention, ...]:
    """Find the analysis labels named in ``text``, each with its polarity.

    Parameters
    ----------
    text : str
        A sentence or a paragraph.
    language : str
        "en" or "zh-CN" ("zh" is read as "zh-CN"): which lexicon reads the text.

    Returns
    -------
    tuple of Mention
        In text order. A phrase naming two findings ("hydropneumothorax", 液气胸)
        gives one mention per label; a whole-study statement ("no acute
        cardiopulmonary abnormality") one absent mention per label it covers.

    Raises
    ------
    TypeError
        ``text`` or ``language`` is not a str.
    ValueError
        Unsupported language.

    Examples
    --------
    >>> [(m.label, m.polarity) for m in extract_mentions("No effusion or pneumothorax.", "en")]
    [('Effusion', 'absent'), ('Pneumothorax', 'absent')]
    >>> [(m.label, m.polarity, m.side) for m in extract_mentions("右侧胸腔积液不除外。", "zh")]
    [('Effusion', 'uncertain', 'right')]
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, found {type(text).__name__}")
    lexicon = _LEXICONS[normalise_language(language)]
    if not text.strip():
        return ()
    return _Extractor(text, lexicon).mentions()


# --------------------------------------------------------------------------- checking


def _fact_for(context: ReportContext, label: str) -> FindingFact | None:
    """The analysis finding for an extractor label: the strongest of its aliases."""
    names = _FACT_ALIASES.get(label, (label.lower(),))
    candidates = [
        f
        for f in context.findings
        if " ".join(f.label.replace("_", " ").split()).casefold() in names
    ]
    if not candidates:
        return None
    return max(candidates, key=lambda f: (_VERDICT_RANK[f.verdict], f.probability))


def _judge(mention: Mention, fact: FindingFact) -> tuple[str, str] | None:
    """The issue a mention raises against a finding: (kind, reason), or None."""
    label = label_name(mention.label)  # the reason's words; the issue keeps the key
    if fact.verdict == "positive":
        if mention.polarity == "absent":
            if mention.side in ("right", "left") and fact.side and mention.side != fact.side:
                return None  # denies the other side
            if mention.side in ("right", "left"):
                reason = _(
                    "denies {label} on the {side}; the analysis found it positive ({evidence})"
                ).format(label=label, side=place_word(mention.side), evidence=_numbers(fact))
            else:
                reason = _("denies {label}; the analysis found it positive ({evidence})").format(
                    label=label, evidence=_numbers(fact)
                )
            return ("contradicted", reason)
        if mention.side in ("right", "left") and fact.side and mention.side != fact.side:
            if mention.polarity == "uncertain":
                placed = _(
                    "places possible {label} on the {side}; the analysis found it on the "
                    "{found} ({evidence})"
                )
            else:
                placed = _(
                    "places {label} on the {side}; the analysis found it on the {found} "
                    "({evidence})"
                )
            return (
                "laterality",
                placed.format(
                    label=label,
                    side=place_word(mention.side),
                    found=place_word(fact.side),
                    evidence=_numbers(fact),
                ),
            )
        return None
    if fact.verdict == "indeterminate":
        if mention.polarity == "present":
            return (
                "unsupported",
                _(
                    "asserts {label}; the analysis was only indeterminate ({evidence}), "
                    "so hedged wording fits it better"
                ).format(label=label, evidence=_numbers(fact)),
            )
        return None
    if mention.polarity == "present":
        return (
            "unsupported",
            _("asserts {label}; the analysis found it negative ({evidence})").format(
                label=label, evidence=_numbers(fact)
            ),
        )
    if mention.polarity == "uncertain":
        return (
            "unsupported",
            _("raises possible {label}; the analysis found it negative ({evidence})").format(
                label=label, evidence=_numbers(fact)
            ),
        )
    return None


def _sentence_language(text: str, default: str) -> str:
    # A person may type English into a Chinese report (or the other way round).
    if re.search(r"[\u3400-\u9fff]", text):
        return "zh-CN"
    if re.search(r"[A-Za-z]{2,}", text):
        return "en"
    return default


def _read_sentences(report: Report) -> list[ReadSentence]:
    read: list[ReadSentence] = []
    for section in CHECKED_SECTIONS:
        for sentence in report.sentences(section):
            language = _sentence_language(sentence.text, report.language)
            mentions = extract_mentions(sentence.text, language)
            read.append(ReadSentence(section, sentence.id, sentence.text, mentions))
    return read


def _sentence_issues(sentence: ReadSentence, facts: dict[str, FindingFact]) -> list[GroundingIssue]:
    issues: list[GroundingIssue] = []
    seen: set[str] = set()
    # "No large effusion, though a small one cannot be excluded" denies nothing whole.
    affirmed = {m.label for m in sentence.mentions if m.polarity != "absent"}
    for mention in sentence.mentions:
        fact = facts.get(mention.label)
        if fact is None:
            continue  # never assessed: nothing to hold the text against
        judged = _judge(mention, fact)
        if judged is None:
            continue
        kind, reason = judged
        if kind == "contradicted" and (
            mention.label in affirmed or denies_only_large(sentence.text, mention)
        ):
            continue  # "no large pneumothorax" does not deny the one the analysis found
        issue = GroundingIssue(
            sentence_id=sentence.sentence_id,
            section=sentence.section,
            label=fact.label,
            kind=kind,
            reason=reason,
            text=sentence.text,
            start=mention.start,
            end=mention.end,
        )
        if issue.key not in seen:
            seen.add(issue.key)
            issues.append(issue)
    return issues


def check_grounding(report: Report) -> tuple[GroundingIssue, ...]:
    """Every sentence at odds with the report's findings or with another section, and
    every positive finding the report leaves out.

    Parameters
    ----------
    report : Report
        Checked against ``report.context``; the sections in
        :data:`CHECKED_SECTIONS`. Each sentence is read with the lexicon of its
        script (Chinese characters: zh-CN, else English).

    Returns
    -------
    tuple of GroundingIssue
        The sentences' issues in report order, one per sentence, label and kind
        (an "inconsistent" one after the impression sentence's others, then its
        inventions); then the "not mentioned" items, which belong to no sentence. See the module
        docstring for the rules. Without an analysis only "inconsistent" issues and
        inventions (:func:`core.report.inventions.find_inventions`) can arise.
    """
    if not isinstance(report, Report):
        raise TypeError(f"report must be a Report, found {type(report).__name__}")
    context = report.context
    read = _read_sentences(report)
    facts: dict[str, FindingFact] = {}
    if context.analysed:
        for label in LABELS:
            fact = _fact_for(context, label)
            if fact is not None:
                facts[label] = fact
    by_sentence: dict[str, list[GroundingIssue]] = {}
    if facts:
        for sentence in read:
            by_sentence[sentence.sentence_id] = _sentence_issues(sentence, facts)
    names = {label: fact.label for label, fact in facts.items()}
    for issue in (*find_inconsistencies(read, names), *find_inventions(report)):
        by_sentence.setdefault(str(issue.sentence_id), []).append(issue)
    issues = [
        issue for sentence in report.sentences() for issue in by_sentence.get(sentence.id, ())
    ]
    issues.extend(find_omissions(read, facts))
    return tuple(issues)


def unresolved_issues(report: Report) -> tuple[GroundingIssue, ...]:
    """:func:`check_grounding` less the issues a person dismissed (``report.dismissed_issues``)."""
    dismissed = set(report.dismissed_issues)
    return tuple(issue for issue in check_grounding(report) if issue.key not in dismissed)


def describe(issue: GroundingIssue, language: str | None = None) -> str:
    """One line for the user (and for :meth:`Report.sign`'s ``conflicts``).

    In the interface language (:mod:`core.i18n`), the section named by its heading in
    ``language`` (the report's: the heading the editor shows,
    :data:`~core.report.document.SECTION_HEADINGS`; default the interface language).
    A "not mentioned" item, which has no sentence, reads
    ``"not mentioned: the analysis found Nodule positive ..."``.

    Examples
    --------
    >>> issue = GroundingIssue("a1", Section.FINDINGS, "Effusion", "unsupported",
    ...     "asserts Effusion; the analysis found it negative (p=0.04)", text="Right effusion.")
    >>> describe(issue)
    'Findings: "Right effusion." asserts Effusion; the analysis found it negative (p=0.04)'
    """
    if not isinstance(issue, GroundingIssue):
        raise TypeError(f"issue must be a GroundingIssue, found {type(issue).__name__}")
    if issue.sentence_id is None:
        # No sentence to quote; sign-off lists it as it is, not as a conflict.
        reason = " ".join(issue.reason.split())
        return ReviewLine(_("not mentioned: {reason}").format(reason=reason), conflict=False)
    headings = SECTION_HEADINGS.get(_heading_language(language), SECTION_HEADINGS["en"])
    heading = headings[issue.section]
    text = " ".join(issue.text.split())
    if len(text) > 80:
        text = text[:79] + "…"
    reason = " ".join(issue.reason.split())
    if not text:
        return _("{heading}: {reason}").format(heading=heading, reason=reason)
    return _('{heading}: "{text}" {reason}').format(heading=heading, text=text, reason=reason)


def _heading_language(language: str | None) -> str:
    """The language of the section headings (the interface's for None or an unknown one)."""
    if language is not None:
        try:
            return normalise_language(language)
        except ValueError:
            pass
    return current_language()
