"""What the grounding check reads and reports: mentions of findings, and issues.

:class:`Mention` is a finding named in text with its polarity (read by
:mod:`core.report.grounding`); :class:`GroundingIssue` is something a person must
look at before signing. They live apart from the extractor so that the checks of
:mod:`core.report.consistency` (sections against each other, omissions) build the
same issues without importing the extractor that calls them.

Issue kinds
-----------
unsupported
    A sentence asserts (or raises) a finding the analysis did not report; or engine
    text states a history, a comparison, a measurement or a recommendation with no
    source in the facts (:mod:`core.report.inventions`; ``label`` says which).
contradicted
    A sentence denies a finding the analysis reported.
laterality
    A sentence places a finding on the other side than the analysis (its heatmap).
inconsistent
    An impression sentence says the opposite of a findings sentence (one asserts a
    finding the other denies, or they place it on opposite sides).
not mentioned
    The analysis found something positive that the report neither states nor denies.
    It belongs to no sentence (``sentence_id`` is None); it is a reviewable item,
    not a conflict, and blocks signing until a person acknowledges it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Final

from core.i18n import N_, _
from core.report.document import FindingFact, Section

logger = logging.getLogger(__name__)

__all__ = [
    "CONFLICT_KINDS",
    "ISSUE_KINDS",
    "NOT_MENTIONED",
    "POLARITIES",
    "GroundingIssue",
    "Mention",
    "format_evidence",
]

#: A mention's polarity.
POLARITIES: Final = ("present", "absent", "uncertain")
#: The kind of an issue that belongs to no sentence.
NOT_MENTIONED: Final = "not mentioned"
#: Kinds that put a sentence at odds with the analysis or with another sentence.
CONFLICT_KINDS: Final = ("unsupported", "contradicted", "laterality", "inconsistent")
#: A grounding issue's kind.
ISSUE_KINDS: Final = (*CONFLICT_KINDS, NOT_MENTIONED)


@dataclass(frozen=True)
class Mention:
    """A finding named in text.

    Attributes
    ----------
    label : str
        One of the extractor's labels (:data:`core.report.grounding.LABELS`).
    polarity : {"present", "absent", "uncertain"}
    start, end : int
        The mention's span in the text (``text[start:end]``).
    cue : str
        The negation or uncertainty cue that decided the polarity (the phrase itself
        for phrases such as "heart size is normal"); "" for a plain assertion.
    side : {"right", "left", "bilateral"} or None
        The side the text gives the finding, when it gives one.
    term : str
        The words that named the finding.
    """

    label: str
    polarity: str
    start: int
    end: int
    cue: str
    side: str | None = None
    term: str = ""

    def __post_init__(self) -> None:
        if self.polarity not in POLARITIES:
            raise ValueError(f"polarity must be one of {POLARITIES}, found {self.polarity!r}")


@dataclass(frozen=True)
class GroundingIssue:
    """Something in (or missing from) the report that a person must look at.

    Attributes
    ----------
    sentence_id : str or None
        The sentence concerned; None for a "not mentioned" item, which belongs to no
        sentence.
    section : Section
        The sentence's section (Findings for a "not mentioned" item).
    label : str
        The analysis label concerned (the extractor's label when the analysis never
        assessed it, e.g. for two sections that contradict each other); for an
        invention, what was invented ("History", "Comparison", "Measurement",
        "Recommendation").
    kind : str
        One of :data:`ISSUE_KINDS` (see the module docstring).
    reason : str
        For the user, e.g. "asserts Effusion; the analysis found it negative
        (p=0.04, threshold 0.29)".
    text : str
        The sentence ("" for a "not mentioned" item).
    start, end : int
        The mention's span in the sentence (for highlighting); -1 when unknown.
    related_sentence_id : str or None
        For "inconsistent": the findings sentence the impression sentence contradicts.
    related_text : str
        That sentence's text.
    """

    sentence_id: str | None
    section: Section
    label: str
    kind: str
    reason: str
    text: str = ""
    start: int = -1
    end: int = -1
    related_sentence_id: str | None = None
    related_text: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "section", Section(self.section))
        if self.kind not in ISSUE_KINDS:
            raise ValueError(f"kind must be one of {ISSUE_KINDS}, found {self.kind!r}")
        if (self.sentence_id is None) != (self.kind == NOT_MENTIONED):
            raise ValueError(
                f"a {self.kind!r} issue {'needs' if self.sentence_id is None else 'has no'} "
                f"sentence, found sentence_id={self.sentence_id!r}"
            )

    @property
    def is_conflict(self) -> bool:
        """True for a sentence at odds with the analysis or another sentence."""
        return self.kind in CONFLICT_KINDS

    @property
    def key(self) -> str:
        """``"sentence_id:label:kind"`` (``"report:label:kind"`` without a sentence).

        What :meth:`Report.dismiss_issue` records.
        """
        return f"{self.sentence_id or 'report'}:{self.label}:{self.kind}"

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "sentence_id": self.sentence_id,
            "section": self.section.value,
            "label": self.label,
            "kind": self.kind,
            "reason": self.reason,
            "start": self.start,
            "end": self.end,
            "related_sentence_id": self.related_sentence_id,
        }


#: A finding's side and lung zone as the reasons write them (translated where written).
PLACE_WORDS: Final = {
    "right": N_("right"),
    "left": N_("left"),
    "upper": N_("upper"),
    "middle": N_("middle"),
    "lower": N_("lower"),
}


def place_word(value: str | None) -> str:
    """A side or zone (``"right"``, ``"upper"``) in the current language ("" for None)."""
    if value is None:
        return ""
    return _(PLACE_WORDS[value]) if value in PLACE_WORDS else value


def format_evidence(fact: FindingFact) -> str:
    """``"p=0.81, threshold 0.29"``: the numbers behind a verdict, for a reason."""
    p = fact.probability
    shown = f"{p:.2f}" if p >= 0.01 or p == 0 else "<0.01"
    return _("p={p}, threshold {threshold:.2f}").format(p=shown, threshold=fact.threshold)
