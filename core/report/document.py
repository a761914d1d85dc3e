"""The report document: sections of sentences, each with its origin and review state.

A report is immutable: every edit returns a new :class:`Report` with ``revision`` one
higher, which is what the draft store journals and what undo keeps. Its life is
PowerScribe's: a *draft* is edited freely; :meth:`Report.sign` makes it *final*,
signed by the named user; a final report never changes again, it only receives
addenda (:meth:`Report.add_addendum`).

House rule 9: every sentence records where it came from (:class:`Origin`: a
template, a language model, a person) and whether a person has reviewed it. Text a
person types is theirs and counts as reviewed; engine text stays unreviewed until a
person marks it. When a person edits a section, :meth:`Report.with_section_text`
re-splits it into sentences and keeps the origin and review state of every sentence
that is still there word for word; a changed sentence becomes the person's.

Signing is blocked while unreviewed engine text or unresolved grounding issues
(conflicts, and positive findings the report does not mention) remain, unless the
user overrides; the override (who, when, why, and what was
outstanding) is recorded in the signature.
"""

from __future__ import annotations

import difflib
import logging
import re
import unicodedata
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final

from core.errors import RadAssistError
from core.i18n import N_, _

logger = logging.getLogger(__name__)

__all__ = [
    "FORMAT_VERSION",
    "LANGUAGES",
    "SECTION_HEADINGS",
    "SECTION_HEADING_ALIASES",
    "SECTION_ORDER",
    "Addendum",
    "FindingFact",
    "Origin",
    "PriorComparison",
    "Report",
    "ReportContext",
    "ReportState",
    "ReportStateError",
    "ReviewLine",
    "Section",
    "Sentence",
    "Signature",
    "SigningBlockedError",
    "StudyContext",
    "join_sentences",
    "new_report",
    "section_of_heading",
    "split_sentences",
]

#: Version of :meth:`Report.to_json`'s layout.
FORMAT_VERSION: Final = 1
#: Report languages: English and simplified Chinese.
LANGUAGES: Final = ("en", "zh-CN")


class ReviewLine(str):
    """A grounding issue as sign-off lists it: the line for the user, and whether it is
    a conflict (``core.report.grounding.describe`` makes them).

    Sign-off tells a conflict from a finding the report leaves out by ``conflict``,
    never by the words of the line (they are in the interface's language). A plain
    ``str`` passed as a conflict is a conflict.
    """

    conflict: bool

    def __new__(cls, text: str, conflict: bool = True) -> ReviewLine:
        line = super().__new__(cls, text)
        line.conflict = bool(conflict)
        return line


class ReportStateError(RadAssistError):
    """The report cannot do that in its state (edit a final report, sign twice...)."""


class SigningBlockedError(ReportStateError):
    """Signing needs review first: unreviewed engine text or grounding conflicts remain.

    Attributes
    ----------
    outstanding : tuple of str
        One line per blocker, for the user.
    """

    def __init__(self, outstanding: Sequence[str]) -> None:
        self.outstanding = tuple(outstanding)
        super().__init__(
            _("cannot sign: {count} item(s) need review: {items}").format(
                count=len(self.outstanding), items="; ".join(self.outstanding)
            )
        )

    def __reduce__(self) -> tuple[type[SigningBlockedError], tuple[tuple[str, ...]]]:
        return (type(self), (self.outstanding,))


class Section(StrEnum):
    """The report's sections, in :data:`SECTION_ORDER`."""

    CLINICAL_INFORMATION = "clinical_information"
    TECHNIQUE = "technique"
    COMPARISON = "comparison"
    FINDINGS = "findings"
    IMPRESSION = "impression"
    RECOMMENDATIONS = "recommendations"


SECTION_ORDER: Final = tuple(Section)

#: The section headings of every view of a report (editor, exports, the language
#: model's prompt and parser), per report language.
SECTION_HEADINGS: Final[Mapping[str, Mapping[Section, str]]] = {
    "en": {
        Section.CLINICAL_INFORMATION: "Clinical information",
        Section.TECHNIQUE: "Technique",
        Section.COMPARISON: "Comparison",
        Section.FINDINGS: "Findings",
        Section.IMPRESSION: "Impression",
        Section.RECOMMENDATIONS: "Recommendations",
    },
    "zh-CN": {
        Section.CLINICAL_INFORMATION: "临床资料",
        Section.TECHNIQUE: "检查技术",
        Section.COMPARISON: "对比",
        Section.FINDINGS: "影像所见",
        Section.IMPRESSION: "诊断意见",
        Section.RECOMMENDATIONS: "建议",
    },
}
#: Other names a section goes by in reports people type (and in the editor's layout),
#: matched like the headings above by :func:`section_of_heading`.
SECTION_HEADING_ALIASES: Final[Mapping[Section, tuple[str, ...]]] = {
    Section.CLINICAL_INFORMATION: (
        "clinical history",
        "history",
        "indication",
        "indications",
        "clinical indication",
        "reason for examination",
        "临床信息",
        "病史",
        "临床病史",
        "临床诊断",
    ),
    Section.TECHNIQUE: ("techniques", "procedure", "检查方法"),
    Section.COMPARISON: ("comparisons", "prior studies", "比较"),
    Section.FINDINGS: ("finding", "检查所见", "影像学所见", "影像表现", "影像学表现"),
    Section.IMPRESSION: (
        "impressions",
        "conclusion",
        "conclusions",
        "opinion",
        "印象",
        "结论",
        "诊断",
        "影像诊断",
        "影像学诊断",
    ),
    Section.RECOMMENDATIONS: ("recommendation", "recommendation(s)"),
}
# Decoration around a heading: markdown hashes and emphasis, brackets (【影像所见】).
_HEADING_DECORATION: Final = re.compile(r"^[#*_\s【\[]+|[*_\s】\]]+$")


def _heading_key(text: str) -> str:
    # NFKC folds full-width letters and colons (ＦＩＮＤＩＮＧＳ：) into ASCII.
    key = _HEADING_DECORATION.sub("", unicodedata.normalize("NFKC", text))
    key = _HEADING_DECORATION.sub("", key.rstrip(":").strip())
    return " ".join(key.split()).casefold()


def _heading_names() -> dict[str, Section]:
    names: dict[str, Section] = {}
    for headings in SECTION_HEADINGS.values():
        for section, heading in headings.items():
            names.setdefault(_heading_key(heading), section)
    for section, aliases in SECTION_HEADING_ALIASES.items():
        for alias in aliases:
            names.setdefault(_heading_key(alias), section)
    return names


_HEADING_NAMES: Final = _heading_names()


def section_of_heading(text: str) -> Section | None:
    """The section a heading names, in either language, or None when it names none.

    Case, surrounding spaces, a final colon (ASCII or full-width) and markdown or
    bracket decoration do not matter: ``"FINDINGS:"``, ``"Findings"``, ``"**Impression**"``,
    ``"影像所见："``, ``"【印象】"`` are all headings. The names are
    :data:`SECTION_HEADINGS` (every language) and :data:`SECTION_HEADING_ALIASES`.

    Examples
    --------
    >>> section_of_heading("IMPRESSION:")
    <Section.IMPRESSION: 'impression'>
    >>> section_of_heading("检查所见：")
    <Section.FINDINGS: 'findings'>
    >>> section_of_heading("No pleural effusion.") is None
    True
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, found {type(text).__name__}")
    return _HEADING_NAMES.get(_heading_key(text))


class Origin(StrEnum):
    """Who wrote a sentence."""

    TEMPLATE = "template"
    LANGUAGE_MODEL = "language_model"
    PERSON = "person"


#: Who wrote an unreviewed sentence, as sign-off names it.
_ORIGIN_NAMES: Final = {
    Origin.TEMPLATE: N_("template"),
    Origin.LANGUAGE_MODEL: N_("language model"),
    Origin.PERSON: N_("person"),
}


class ReportState(StrEnum):
    """Draft (editable) or final (signed; addenda only)."""

    DRAFT = "draft"
    FINAL = "final"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _new_id() -> str:
    return uuid.uuid4().hex[:12]


@dataclass(frozen=True)
class Sentence:
    """One sentence of a section.

    Attributes
    ----------
    text : str
        The sentence, with its final punctuation, without surrounding whitespace.
    origin : Origin
    reviewed : bool
        True once a person has reviewed it (always True for a person's own text).
    source : str
        What produced it: the template's id or the language model's name; "" for a
        person.
    id : str
        Stable identity across edits (grounding results and the editor refer to it).
    """

    text: str
    origin: Origin
    reviewed: bool = False
    source: str = ""
    id: str = field(default_factory=_new_id)

    def __post_init__(self) -> None:
        if not isinstance(self.text, str):
            raise TypeError(f"text must be a str, found {type(self.text).__name__}")
        object.__setattr__(self, "origin", Origin(self.origin))
        if self.origin is Origin.PERSON and not self.reviewed:
            object.__setattr__(self, "reviewed", True)

    @property
    def needs_review(self) -> bool:
        """Engine text nobody has reviewed yet."""
        return self.origin is not Origin.PERSON and not self.reviewed

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "origin": self.origin.value,
            "reviewed": self.reviewed,
            "source": self.source,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Sentence:
        return cls(
            text=str(data["text"]),
            origin=Origin(data["origin"]),
            reviewed=bool(data["reviewed"]),
            source=str(data.get("source", "")),
            id=str(data["id"]),
        )


@dataclass(frozen=True)
class PriorComparison:
    """The earlier study a report compares with (the Comparison section names it).

    Built by :func:`core.report.context.comparison_from_priors` from the most recent
    relevant prior (:func:`core.archive.priors.find_priors`). The template fills the
    Comparison section with it; it never goes into a language model's prompt (a date and
    a free-text description are outside the prompt's boundary, :mod:`core.report.prompt`).

    Attributes
    ----------
    study_date : str
        ISO 8601 date of the prior, e.g. "2024-03-02" ("" when it has none).
    modality : str
        e.g. "CT".
    body_part : str
        Body Part Examined of the prior (coded, e.g. "CHEST"; "" when unknown).
    description : str
        Study Description of the prior (free text; the report shows it, a prompt never).
    """

    study_date: str = ""
    modality: str = ""
    body_part: str = ""
    description: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "study_date": self.study_date,
            "modality": self.modality,
            "body_part": self.body_part,
            "description": self.description,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PriorComparison:
        return cls(**{key: str(data.get(key, "")) for key in cls.__dataclass_fields__})


@dataclass(frozen=True)
class StudyContext:
    """What a report may say about the study: no name, ID, birth date or other identifier.

    Only the coded facts here go into a language model's prompt
    (:mod:`core.report.prompt` decides): never ``study_instance_uid``, which keys the
    draft and references the study in exports, nor the free-text descriptions or a
    contrast agent's name in ``technique``.

    Attributes
    ----------
    study_instance_uid : str
    modality : str
        e.g. "DX", "CR", "CT".
    body_part : str
        Body Part Examined, e.g. "CHEST" ("" when unknown).
    view_position : str
        e.g. "PA", "AP", "LL" ("" when not a projection image).
    study_description : str
    series_descriptions : tuple of str
    image_count : int
    patient_sex : str
        "M", "F", "O" or "".
    patient_age_years : int or None
        Age at the study, whole years (from Patient's Age or computed by the caller).
    technique : str
        Facts for the technique section (e.g. "120 kV, 2.5 mAs"); may be "".
    comparison : PriorComparison or None
        The prior study the report compares with (None: none available). Never in a
        prompt.
    """

    study_instance_uid: str
    modality: str = ""
    body_part: str = ""
    view_position: str = ""
    study_description: str = ""
    series_descriptions: tuple[str, ...] = ()
    image_count: int = 0
    patient_sex: str = ""
    patient_age_years: int | None = None
    technique: str = ""
    comparison: PriorComparison | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "study_instance_uid": self.study_instance_uid,
            "modality": self.modality,
            "body_part": self.body_part,
            "view_position": self.view_position,
            "study_description": self.study_description,
            "series_descriptions": list(self.series_descriptions),
            "image_count": self.image_count,
            "patient_sex": self.patient_sex,
            "patient_age_years": self.patient_age_years,
            "technique": self.technique,
        }
        if self.comparison is not None:  # drafts written before priors read the same
            data["comparison"] = self.comparison.to_json()
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StudyContext:
        values = dict(data)
        values["series_descriptions"] = tuple(values.get("series_descriptions", ()))
        comparison = values.pop("comparison", None)
        values["comparison"] = None if comparison is None else PriorComparison.from_json(comparison)
        return cls(**values)


@dataclass(frozen=True)
class FindingFact:
    """One analysis finding as the report engines and the grounding check see it.

    Attributes
    ----------
    label : str
        The model's label, e.g. "Nodule", "Effusion".
    verdict : str
        "positive", "indeterminate" or "negative".
    probability, threshold : float
    side : str or None
        "right" or "left" (the patient's side) from the heatmap peak; None when unknown.
    zone : str or None
        "upper", "middle" or "lower" from the heatmap peak; None when unknown.
    model : str
        The model's name and version.
    is_demo : bool
        From a demo model (its output carries the demo banner).
    """

    label: str
    verdict: str
    probability: float
    threshold: float
    side: str | None = None
    zone: str | None = None
    model: str = ""
    is_demo: bool = False

    def __post_init__(self) -> None:
        if self.verdict not in ("positive", "indeterminate", "negative"):
            raise ValueError(f"verdict must be positive/indeterminate/negative: {self.verdict!r}")
        if self.side not in (None, "right", "left"):
            raise ValueError(f"side must be 'right', 'left' or None, found {self.side!r}")
        if self.zone not in (None, "upper", "middle", "lower"):
            raise ValueError(f"zone must be upper/middle/lower or None, found {self.zone!r}")

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "verdict": self.verdict,
            "probability": self.probability,
            "threshold": self.threshold,
            "side": self.side,
            "zone": self.zone,
            "model": self.model,
            "is_demo": self.is_demo,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FindingFact:
        return cls(**dict(data))


@dataclass(frozen=True)
class ReportContext:
    """The study and the findings a report is drafted from and checked against.

    Attributes
    ----------
    study : StudyContext
    findings : tuple of FindingFact
        Every finding of every model that ran (positive, indeterminate and negative:
        a negative one is a pertinent negative); empty when no analysis ran.
    models : tuple of str
        Name and version of each model that contributed findings.
    analysed : bool
        True when an analysis ran; without one the grounding check has nothing to
        hold the text against and reports no conflicts.
    """

    study: StudyContext
    findings: tuple[FindingFact, ...] = ()
    models: tuple[str, ...] = ()
    analysed: bool = False

    @property
    def is_demo(self) -> bool:
        return any(f.is_demo for f in self.findings)

    def finding(self, label: str) -> FindingFact | None:
        """The finding for ``label`` (case-insensitive), or None."""
        for item in self.findings:
            if item.label.lower() == label.lower():
                return item
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "study": self.study.to_json(),
            "findings": [f.to_json() for f in self.findings],
            "models": list(self.models),
            "analysed": self.analysed,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ReportContext:
        return cls(
            study=StudyContext.from_json(data["study"]),
            findings=tuple(FindingFact.from_json(f) for f in data.get("findings", ())),
            models=tuple(data.get("models", ())),
            analysed=bool(data.get("analysed", False)),
        )


@dataclass(frozen=True)
class Signature:
    """Who signed, when, and what they signed over.

    Attributes
    ----------
    signer : str
        The user named in settings.
    signed_at : str
        ISO 8601, UTC.
    override_reason : str or None
        Given when the user signed although items needed review.
    overridden : tuple of str
        The items that needed review at signing (empty without an override).
    """

    signer: str
    signed_at: str
    override_reason: str | None = None
    overridden: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "signer": self.signer,
            "signed_at": self.signed_at,
            "override_reason": self.override_reason,
            "overridden": list(self.overridden),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Signature:
        return cls(
            signer=str(data["signer"]),
            signed_at=str(data["signed_at"]),
            override_reason=data.get("override_reason"),
            overridden=tuple(data.get("overridden", ())),
        )


@dataclass(frozen=True)
class Addendum:
    """Text added to a final report, signed on its own."""

    text: str
    author: str
    signed_at: str

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "author": self.author, "signed_at": self.signed_at}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Addendum:
        return cls(text=str(data["text"]), author=str(data["author"]), signed_at=data["signed_at"])


# Sentence ends: Western ., !, ? followed by space/end (not inside decimals such as
# "2.5 cm"), and the Chinese full stops, which need no space after them.
_SENTENCE_END: Final = re.compile(r"(?<=[.!?])\s+(?=\S)|(?<=[。！？；])")


def split_sentences(text: str) -> list[str]:
    """Split a section's text into sentences (English and Chinese punctuation).

    Line breaks also end a sentence (lists, one finding per line). Empty pieces are
    dropped; each sentence keeps its own punctuation.

    Examples
    --------
    >>> split_sentences("No effusion. Heart size 12.5 cm is normal.")
    ['No effusion.', 'Heart size 12.5 cm is normal.']
    >>> split_sentences("右肺结节。心影不大。")
    ['右肺结节。', '心影不大。']
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, found {type(text).__name__}")
    pieces: list[str] = []
    for line in text.splitlines():
        pieces.extend(p.strip() for p in _SENTENCE_END.split(line))
    return [p for p in pieces if p]


def join_sentences(sentences: Iterable[str], language: str = "en") -> str:
    """Sentences back into a paragraph: a space between them in English, none in Chinese."""
    parts = [s.strip() for s in sentences if s.strip()]
    if language == "zh-CN":
        return "".join(parts)
    return " ".join(parts)


def _normalise(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True)
class Report:
    """A report for one study: sections of sentences, state, signature, addenda.

    Build one with :func:`new_report`; change it only through its methods, each of
    which returns a new report (``revision`` + 1).

    Attributes
    ----------
    study_instance_uid : str
        The key of the draft in the store.
    language : str
        "en" or "zh-CN".
    sections : mapping of Section to tuple of Sentence
        Every section, possibly empty.
    state : ReportState
    context : ReportContext
        What the report was drafted from and is checked against.
    signature : Signature or None
    addenda : tuple of Addendum
    engines : tuple of str
        The engines and models that contributed text ("template:cxr-v1",
        "language_model:name"), in first-use order; named in exports.
    dismissed_issues : tuple of str
        Keys of grounding issues a person looked at and kept the text anyway
        (``GroundingIssue.key``); they no longer block signing.
    revision : int
    created_at, modified_at : str
        ISO 8601, UTC.
    """

    study_instance_uid: str
    language: str
    sections: Mapping[Section, tuple[Sentence, ...]]
    context: ReportContext
    state: ReportState = ReportState.DRAFT
    signature: Signature | None = None
    addenda: tuple[Addendum, ...] = ()
    engines: tuple[str, ...] = ()
    dismissed_issues: tuple[str, ...] = ()
    revision: int = 0
    created_at: str = field(default_factory=_now)
    modified_at: str = field(default_factory=_now)

    def __post_init__(self) -> None:
        if self.language not in LANGUAGES:
            raise ValueError(f"language must be one of {LANGUAGES}, found {self.language!r}")
        full = {section: tuple(self.sections.get(section, ())) for section in SECTION_ORDER}
        object.__setattr__(self, "sections", full)

    # ------------------------------------------------------------------ reading

    @property
    def is_final(self) -> bool:
        return self.state is ReportState.FINAL

    def sentences(self, section: Section | None = None) -> tuple[Sentence, ...]:
        """The sentences of one section, or of all sections in order."""
        if section is not None:
            return self.sections[Section(section)]
        return tuple(s for sec in SECTION_ORDER for s in self.sections[sec])

    def section_text(self, section: Section) -> str:
        """One section as a paragraph."""
        return join_sentences((s.text for s in self.sections[Section(section)]), self.language)

    def find_sentence(self, sentence_id: str) -> tuple[Section, Sentence]:
        """The section and sentence with that id.

        Raises
        ------
        KeyError
            No sentence has that id.
        """
        for section in SECTION_ORDER:
            for sentence in self.sections[section]:
                if sentence.id == sentence_id:
                    return section, sentence
        raise KeyError(f"no sentence with id {sentence_id!r}")

    def unreviewed(self) -> tuple[Sentence, ...]:
        """Engine sentences nobody has reviewed yet, in report order."""
        return tuple(s for s in self.sentences() if s.needs_review)

    @property
    def is_empty(self) -> bool:
        return not any(self.sections[s] for s in SECTION_ORDER)

    # ------------------------------------------------------------------ editing

    def _check_draft(self, action: str) -> None:
        if self.is_final:
            raise ReportStateError(f"cannot {action}: the report is signed (final)")

    def _changed(self, **changes: Any) -> Report:
        return replace(self, revision=self.revision + 1, modified_at=_now(), **changes)

    def _with_engine(self, sentences: Iterable[Sentence]) -> tuple[str, ...]:
        engines = list(self.engines)
        for sentence in sentences:
            if sentence.origin is Origin.PERSON:
                continue
            name = f"{sentence.origin.value}:{sentence.source}"
            if name not in engines:
                engines.append(name)
        return tuple(engines)

    def with_sentences(self, section: Section, sentences: Sequence[Sentence]) -> Report:
        """The report with ``section`` replaced by ``sentences`` (an engine's draft)."""
        self._check_draft("edit")
        section = Section(section)
        sections = dict(self.sections)
        sections[section] = tuple(sentences)
        return self._changed(sections=sections, engines=self._with_engine(sentences))

    def with_section_text(self, section: Section, text: str) -> Report:
        """The report after a person edited ``section`` to read ``text``.

        Sentences that are still there word for word (whitespace aside) keep their id,
        origin and review state; new or changed sentences are the person's.
        """
        self._check_draft("edit")
        section = Section(section)
        old = self.sections[section]
        new_texts = split_sentences(text)
        matcher = difflib.SequenceMatcher(
            a=[_normalise(s.text) for s in old],
            b=[_normalise(t) for t in new_texts],
            autojunk=False,
        )
        result: list[Sentence] = []
        for tag, a0, a1, b0, b1 in matcher.get_opcodes():
            if tag == "equal":
                result.extend(replace(old[a0 + i], text=new_texts[b0 + i]) for i in range(a1 - a0))
            else:
                result.extend(Sentence(t, Origin.PERSON) for t in new_texts[b0:b1])
        if [s.text for s in result] == [s.text for s in old] and all(
            a.id == b.id for a, b in zip(result, old, strict=True)
        ):
            return self
        sections = dict(self.sections)
        sections[section] = tuple(result)
        return self._changed(sections=sections)

    def replace_sentence_text(self, sentence_id: str, sentences: Sequence[Sentence]) -> Report:
        """The report with one sentence replaced by others (a rewrite of a selection)."""
        self._check_draft("edit")
        section, target = self.find_sentence(sentence_id)
        items = list(self.sections[section])
        index = next(i for i, s in enumerate(items) if s.id == target.id)
        items[index : index + 1] = list(sentences)
        sections = dict(self.sections)
        sections[section] = tuple(items)
        return self._changed(sections=sections, engines=self._with_engine(sentences))

    def mark_reviewed(self, sentence_ids: Iterable[str] | None = None) -> Report:
        """The report with those sentences (default: every sentence) marked reviewed."""
        self._check_draft("review")
        wanted = None if sentence_ids is None else set(sentence_ids)
        sections = {
            section: tuple(
                replace(s, reviewed=True) if wanted is None or s.id in wanted else s
                for s in self.sections[section]
            )
            for section in SECTION_ORDER
        }
        if sections == dict(self.sections):
            return self
        return self._changed(sections=sections)

    def dismiss_issue(self, key: str) -> Report:
        """The report with a grounding issue resolved by a person (the text stands)."""
        self._check_draft("resolve an issue")
        if key in self.dismissed_issues:
            return self
        return self._changed(dismissed_issues=(*self.dismissed_issues, key))

    def restarted(self, language: str | None = None) -> Report:
        """The draft emptied for a whole new draft, optionally in another language.

        The study, findings and history (revision, creation time) stay; every section,
        and the issues a person dismissed in the old text, go.
        """
        self._check_draft("start again")
        language = self.language if language is None else language
        if language not in LANGUAGES:
            raise ValueError(f"language must be one of {LANGUAGES}, found {language!r}")
        return self._changed(sections={}, language=language, dismissed_issues=())

    def with_context(self, context: ReportContext) -> Report:
        """The report checked against new findings (a new analysis ran)."""
        self._check_draft("change its findings")
        return self._changed(context=context)

    # ------------------------------------------------------------------ signing

    def signing_blockers(self, conflicts: Sequence[str] = ()) -> tuple[str, ...]:
        """What stands in the way of signing, one line each (in the current language).

        Parameters
        ----------
        conflicts : sequence of str
            The grounding check's unresolved issues, as lines for the user
            (``core.report.grounding.describe``). Each is listed as a conflict,
            except a finding the report leaves out (a :class:`ReviewLine` whose
            ``conflict`` is False), which is listed as it is.
        """
        lines = [
            _("unreviewed {origin} text: {text!r}").format(
                origin=_(_ORIGIN_NAMES[s.origin]), text=s.text
            )
            for s in self.unreviewed()
        ]
        lines.extend(
            c
            if isinstance(c, ReviewLine) and not c.conflict
            else _("conflict: {line}").format(line=c)
            for c in conflicts
        )
        if self.is_empty:
            lines.append(_("the report is empty"))
        return tuple(lines)

    def sign(
        self,
        signer: str,
        *,
        conflicts: Sequence[str] = (),
        override_reason: str | None = None,
        signed_at: str | None = None,
    ) -> Report:
        """The final report, signed by ``signer``.

        Parameters
        ----------
        signer : str
            The user named in settings; must not be empty.
        conflicts : sequence of str
            Unresolved grounding issues (from the grounding check): conflicts and
            findings the report leaves out; see :meth:`signing_blockers`.
        override_reason : str, optional
            Sign although items need review; the reason and the items are recorded.

        Raises
        ------
        ReportStateError
            Already final, no signer, or an empty report.
        SigningBlockedError
            Items need review and no override reason was given.
        """
        self._check_draft("sign")
        if not signer or not signer.strip():
            raise ReportStateError(_("cannot sign: no user name is set (Settings → Reporting)"))
        if self.is_empty:
            raise ReportStateError(_("cannot sign: the report is empty"))
        blockers = self.signing_blockers(conflicts)
        if blockers and not (override_reason and override_reason.strip()):
            raise SigningBlockedError(blockers)
        signature = Signature(
            signer=signer.strip(),
            signed_at=signed_at or _now(),
            override_reason=override_reason.strip() if blockers and override_reason else None,
            overridden=blockers,
        )
        return self._changed(state=ReportState.FINAL, signature=signature)

    def add_addendum(self, text: str, author: str, *, signed_at: str | None = None) -> Report:
        """The final report with an addendum (the report itself never changes)."""
        if not self.is_final:
            raise ReportStateError(_("an addendum is added to a signed report; edit the draft"))
        if not text.strip():
            raise ReportStateError(_("an addendum needs text"))
        if not author.strip():
            raise ReportStateError(_("cannot sign the addendum: no user name is set"))
        addendum = Addendum(text=text.strip(), author=author.strip(), signed_at=signed_at or _now())
        return self._changed(addenda=(*self.addenda, addendum))

    # ------------------------------------------------------------------ persistence

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT_VERSION,
            "study_instance_uid": self.study_instance_uid,
            "language": self.language,
            "state": self.state.value,
            "sections": {
                section.value: [s.to_json() for s in self.sections[section]]
                for section in SECTION_ORDER
            },
            "context": self.context.to_json(),
            "signature": None if self.signature is None else self.signature.to_json(),
            "addenda": [a.to_json() for a in self.addenda],
            "engines": list(self.engines),
            "dismissed_issues": list(self.dismissed_issues),
            "revision": self.revision,
            "created_at": self.created_at,
            "modified_at": self.modified_at,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Report:
        """Rebuild a report from :meth:`to_json`.

        Raises
        ------
        ValueError
            Unknown format version, section, origin or state.
        KeyError
            A required field is missing.
        """
        if data.get("format") != FORMAT_VERSION:
            raise ValueError(f"report format {data.get('format')!r}, expected {FORMAT_VERSION}")
        signature = data.get("signature")
        return cls(
            study_instance_uid=str(data["study_instance_uid"]),
            language=str(data["language"]),
            sections={
                Section(name): tuple(Sentence.from_json(s) for s in items)
                for name, items in data["sections"].items()
            },
            context=ReportContext.from_json(data["context"]),
            state=ReportState(data["state"]),
            signature=None if signature is None else Signature.from_json(signature),
            addenda=tuple(Addendum.from_json(a) for a in data.get("addenda", ())),
            engines=tuple(data.get("engines", ())),
            dismissed_issues=tuple(data.get("dismissed_issues", ())),
            revision=int(data["revision"]),
            created_at=str(data["created_at"]),
            modified_at=str(data["modified_at"]),
        )


def new_report(context: ReportContext, language: str = "en") -> Report:
    """An empty draft for the context's study."""
    if not isinstance(context, ReportContext):
        raise TypeError(f"context must be a ReportContext, found {type(context).__name__}")
    return Report(
        study_instance_uid=context.study.study_instance_uid,
        language=language,
        sections={},
        context=context,
    )
