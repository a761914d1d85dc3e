"""The report read as a whole: sections that contradict each other, findings left out.

The grounding check (:mod:`core.report.grounding`) reads each sentence and holds it
against the analysis. Two things no single sentence shows are decided here, from
the mentions the extractor found in every checked sentence (:class:`ReadSentence`):

* :func:`find_inconsistencies` — an impression sentence that says the opposite of
  a findings sentence: one asserts a finding the other denies ("No airspace
  consolidation." / "Airspace consolidation."; 未见胸腔积液 / 右侧胸腔积液), or both
  state it on opposite sides. Hedged wording ("possible", 可能) asserts nothing and
  denies nothing, so it never contradicts. A denial limited by size or severity
  ("no large pneumothorax", "no tension pneumothorax", 未见大量积液) does not deny
  a small one; one limited to what is new or acute ("no acute cardiopulmonary
  process", 未见新发实变) does not deny a finding the other sentence calls chronic,
  stable or unchanged. Sides are compared as the extractor reads them: a denial on
  one side does not contradict a finding on the other.
* :func:`find_omissions` — a finding the analysis called positive that no checked
  sentence states, hedges or denies (a denial on the other side than the
  analysis's says nothing of it), once the report has findings or impression text.
  It is a reviewable item ("not mentioned"), not a conflict.

Both give :class:`~core.report.issues.GroundingIssue` values; this module never
imports the extractor (the grounding check calls it, not the other way round).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from core.analysis.labels import label_name
from core.i18n import _
from core.report.document import FindingFact, Section
from core.report.issues import NOT_MENTIONED, GroundingIssue, Mention, format_evidence, place_word

logger = logging.getLogger(__name__)

__all__ = ["ReadSentence", "denies_only_large", "find_inconsistencies", "find_omissions"]

_SIDES: Final = ("right", "left")
# Words that limit a denial to large, severe, new or acute findings. Size and severity
# always limit it; "new" and "acute" unless the other sentence calls the finding old.
_SIZE_LIMITS: Final = re.compile(
    r"(?<![\w-])(?:large|larger|significant|sizeable|sizable|substantial|major|gross|massive|"
    r"moderate|big|tension)(?![\w-])|大量|中量|中等量|大片|巨大|张力性",
    re.IGNORECASE,
)
_TIME_LIMITS: Final = re.compile(r"(?<![\w-])(?:new|acute)(?![\w-])|新发|新出现|新见|急性", re.I)
_OLD: Final = re.compile(
    r"(?<![\w-])(?:chronic|stable|unchanged|persistent|persisting|long-?standing|known|old|"
    r"previous|again|re-?demonstrated|residual|healed|calcified|scarring)(?![\w-])|"
    r"陈旧|慢性|稳定|同前|较前|未见变化|无变化|相仿|持续|残留|钙化",
    re.IGNORECASE,
)
# How far before a mention a limiting word may stand (words in English, characters in
# Chinese), within its clause.
_CLAUSE_START: Final = re.compile(r"[,;:.!?，；：。！？、]")
_RELATED_CHARS: Final = 80


@dataclass(frozen=True)
class ReadSentence:
    """One checked sentence and the findings the extractor found in it.

    Attributes
    ----------
    section : Section
    sentence_id : str
    text : str
    mentions : tuple of Mention
    """

    section: Section
    sentence_id: str
    text: str
    mentions: tuple[Mention, ...]


def _limiting_words(text: str, mention: Mention) -> str:
    """The mention's words and the few before it in its clause."""
    before = text[: mention.start]
    clauses = _CLAUSE_START.split(before)
    clause = clauses[-1] if clauses else ""
    chinese = re.search(r"[\u3400-\u9fff]", clause)
    window = clause[-8:] if chinese else " ".join(clause.split()[-5:])
    return f"{window} {mention.term}"


def denies_only_large(text: str, mention: Mention) -> bool:
    """Whether a denial is limited to large or severe findings.

    "No large pneumothorax", "no tension pneumothorax", "no significant effusion",
    未见大量积液: a small one is not denied (neither a finding the analysis reported
    nor one another section states).

    Parameters
    ----------
    text : str
        The sentence the mention was read from.
    mention : Mention
    """
    return mention.polarity == "absent" and bool(
        _SIZE_LIMITS.search(_limiting_words(text, mention))
    )


def _denies(sentence: ReadSentence, mention: Mention, asserted: ReadSentence) -> bool:
    """Whether an absent mention denies what ``asserted`` states (its limits considered)."""
    if denies_only_large(sentence.text, mention):
        return False
    words = _limiting_words(sentence.text, mention)
    return not (_TIME_LIMITS.search(words) and _OLD.search(asserted.text))


def _clash_with_denial(present_side: str | None, absent_side: str | None) -> bool:
    # "No left effusion" does not deny a right one; "双侧胸腔未见积液" denies either.
    if absent_side in (None, "bilateral"):
        return True
    return present_side in (absent_side, "bilateral")


def _whole_mentions(sentence: ReadSentence, label: str) -> tuple[list[Mention], list[Mention]]:
    """The sentence's present and absent mentions of ``label``.

    A sentence that both denies and affirms (or hedges) a finding ("no large
    effusion, though a small one cannot be excluded") denies nothing whole.
    """
    own = [m for m in sentence.mentions if m.label == label]
    present = [m for m in own if m.polarity == "present"]
    affirmed = any(m.polarity != "absent" for m in own)
    absent = [] if affirmed else [m for m in own if m.polarity == "absent"]
    return present, absent


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return f"“{text if len(text) <= _RELATED_CHARS else text[: _RELATED_CHARS - 1] + '…'}”"


def _opposite(
    impression: ReadSentence, findings: Sequence[ReadSentence], label: str, name: str
) -> tuple[Mention, ReadSentence, str] | None:
    """The first findings sentence the impression sentence contradicts about ``label``."""
    i_present, i_absent = _whole_mentions(impression, label)
    i_sided = [
        m
        for m in impression.mentions
        if m.label == label and m.polarity != "absent" and m.side in _SIDES
    ]
    for other in findings:
        f_present, f_absent = _whole_mentions(other, label)
        for mention in i_present:
            for denial in f_absent:
                if _clash_with_denial(mention.side, denial.side) and _denies(
                    other, denial, impression
                ):
                    reason = _("asserts {name}; the findings deny it: {quote}").format(
                        name=name, quote=_quote(other.text)
                    )
                    return mention, other, reason
        for mention in i_absent:
            for stated in f_present:
                if _clash_with_denial(stated.side, mention.side) and _denies(
                    impression, mention, other
                ):
                    reason = _("denies {name}; the findings state it: {quote}").format(
                        name=name, quote=_quote(other.text)
                    )
                    return mention, other, reason
    # Both state it, on opposite sides (and the findings never on the impression's side).
    f_sides = [
        (m.side, other)
        for other in findings
        for m in other.mentions
        if m.label == label and m.polarity != "absent"
    ]
    if i_sided and f_sides and all(side in _SIDES for side, _other in f_sides):
        for mention in i_sided:
            if all(side != mention.side for side, _other in f_sides):
                side, other = f_sides[0]
                return (
                    mention,
                    other,
                    _(
                        "places {name} on the {side}; the findings place it on the "
                        "{other_side}: {quote}"
                    ).format(
                        name=name,
                        side=place_word(mention.side),
                        other_side=place_word(side),
                        quote=_quote(other.text),
                    ),
                )
    return None


def find_inconsistencies(
    sentences: Sequence[ReadSentence], names: Mapping[str, str] | None = None
) -> list[GroundingIssue]:
    """Impression sentences that say the opposite of a findings sentence.

    Parameters
    ----------
    sentences : sequence of ReadSentence
        The report's checked sentences, in report order.
    names : mapping of str to str, optional
        Extractor label → the label an issue names (the analysis model's label,
        e.g. "Pleural_Effusion"); a label missing here names itself.

    Returns
    -------
    list of GroundingIssue
        Kind "inconsistent", one per impression sentence and label, on the
        impression sentence, naming the findings sentence (``related_sentence_id``,
        ``related_text``), in report order.
    """
    names = names or {}
    findings = [s for s in sentences if s.section is Section.FINDINGS]
    issues: list[GroundingIssue] = []
    if not findings:
        return issues
    for sentence in sentences:
        if sentence.section is not Section.IMPRESSION:
            continue
        for label in dict.fromkeys(m.label for m in sentence.mentions):
            name = names.get(label, label)
            found = _opposite(sentence, findings, label, label_name(name))  # words, not the key
            if found is None:
                continue
            mention, other, reason = found
            issues.append(
                GroundingIssue(
                    sentence_id=sentence.sentence_id,
                    section=sentence.section,
                    label=name,
                    kind="inconsistent",
                    reason=reason,
                    text=sentence.text,
                    start=mention.start,
                    end=mention.end,
                    related_sentence_id=other.sentence_id,
                    related_text=other.text,
                )
            )
    return issues


def _where(fact: FindingFact) -> str:
    if fact.side and fact.zone:
        return _(" in the {side} {zone} zone").format(
            side=place_word(fact.side), zone=place_word(fact.zone)
        )
    if fact.side:
        return _(" on the {side}").format(side=place_word(fact.side))
    if fact.zone:
        return _(" in the {zone} zone").format(zone=place_word(fact.zone))
    return ""


def find_omissions(
    sentences: Sequence[ReadSentence], facts: Mapping[str, FindingFact]
) -> list[GroundingIssue]:
    """Positive findings that no checked sentence states, hedges or denies.

    Parameters
    ----------
    sentences : sequence of ReadSentence
        The report's checked sentences.
    facts : mapping of str to FindingFact
        Extractor label → the analysis finding it names (only findings the
        extractor can recognise in text can be missed by it).

    Returns
    -------
    list of GroundingIssue
        Kind "not mentioned", ``sentence_id`` None, section Findings, in the order
        of ``facts``; empty while the report has no findings or impression text (a
        report not written yet leaves nothing out).
    """
    if not any(s.section in (Section.FINDINGS, Section.IMPRESSION) for s in sentences):
        return []
    mentions = [m for s in sentences for m in s.mentions]
    return [
        GroundingIssue(
            sentence_id=None,
            section=Section.FINDINGS,
            label=fact.label,
            kind=NOT_MENTIONED,
            reason=_(
                "the analysis found {label} positive{where} ({evidence}); "
                "the report neither states nor denies it"
            ).format(
                label=label_name(fact.label), where=_where(fact), evidence=format_evidence(fact)
            ),
        )
        for label, fact in facts.items()
        if fact.verdict == "positive" and not any(_covers(m, label, fact) for m in mentions)
    ]


def _covers(mention: Mention, label: str, fact: FindingFact) -> bool:
    """Whether a mention says something about the analysis finding.

    A statement or a hedge on either side does (the laterality check judges the
    side); a denial only where it could deny the finding: "no left effusion" says
    nothing of the right-sided effusion the analysis found.
    """
    if mention.label != label:
        return False
    if mention.polarity != "absent" or fact.side is None:
        return True
    return mention.side in (None, "bilateral", fact.side)
