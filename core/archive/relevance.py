"""Which earlier studies are priors, and which of them are relevant: the rules.

:mod:`core.archive.priors` finds the studies; this module decides, for one of them,
whether it is earlier than the open study (:func:`is_earlier`), whether it is relevant
(:func:`judge_relevance`: the same kind of modality and the same or overlapping
anatomy) and how a radiologist reads it (:func:`describe_prior`, e.g. "CT chest, 14
months earlier").

Anatomy is Body Part Examined (0018,0015) of the study's series, or, when none is
recorded, what its Study Description names (:func:`anatomy_of`). Never logs anything:
descriptions are patient data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Final

from core.archive.rows import StudyRow

if TYPE_CHECKING:
    from core.archive.priors import CurrentStudy

__all__ = ["anatomy_of", "describe_prior", "is_earlier", "judge_relevance", "recency_key"]

#: Objects that are not images of the patient: they say nothing about relevance.
_NOT_IMAGING: Final = frozenset(
    {"SR", "PR", "KO", "SEG", "REG", "DOC", "RWV", "FID", "PLAN", "AU", "ECG", "RTPLAN"}
)
#: Modalities read as one kind when comparing (a CR chest is a prior of a DX chest).
_MODALITY_KIND: Final = {"CR": "XR", "DX": "XR", "DR": "XR", "RG": "XR"}


def _table(text: str) -> dict[str, frozenset[str]]:
    """``"A B: x y"`` lines -> {"A": {"x", "y"}, "B": {"x", "y"}}."""
    table: dict[str, frozenset[str]] = {}
    for line in text.strip().splitlines():
        keys, values = line.split(":")
        table.update(dict.fromkeys(keys.split(), frozenset(values.split())))
    return table


#: Body Part Examined terms (PS3.16 CID 4031 and common values) -> coarse regions;
#: a term not listed is a region of its own (KNEE overlaps only KNEE).
_REGIONS: Final = _table(
    """
    HEAD BRAIN SKULL ORBIT SINUS FACE IAC: head
    NECK: neck
    HEADNECK: head neck
    CHEST THORAX LUNG HEART: chest
    CHESTABDOMEN: chest abdomen
    CHESTABDPELVIS: chest abdomen pelvis
    ABDOMEN: abdomen
    ABDOMENPELVIS: abdomen pelvis
    PELVIS: pelvis
    SPINE WHOLESPINE TSPINE LSPINE: spine
    CSPINE: spine neck
    WHOLEBODY: head neck chest abdomen pelvis spine
    """
)
#: Words of a Study Description that name a body part (when no series recorded one).
_DESCRIPTION_WORDS: Final = {
    word: term
    for term, words in _table(
        """
        CHEST: CHEST THORAX THORACIC LUNG LUNGS PULMONARY CXR 胸 肺
        HEAD: HEAD BRAIN SKULL CRANIAL 头 颅 脑
        NECK: NECK 颈
        ABDOMEN: ABDOMEN ABD ABDOMINAL 腹
        PELVIS: PELVIS PELVIC 盆
        SPINE: SPINE
        """
    ).items()
    for word in words
}
_READABLE: Final = {
    "CHESTABDOMEN": "chest and abdomen",
    "CHESTABDPELVIS": "chest, abdomen and pelvis",
    "ABDOMENPELVIS": "abdomen and pelvis",
    "HEADNECK": "head and neck",
    "CSPINE": "cervical spine",
    "TSPINE": "thoracic spine",
    "LSPINE": "lumbar spine",
    "WHOLEBODY": "whole body",
    "THORAX": "chest",
}
_DATE: Final = re.compile(r"^\d{8}$")


def _valid_date(text: str) -> str:
    text = text.strip()
    return text if _DATE.match(text) else ""


def _time_key(text: str) -> str:
    digits = text.strip().split(".")[0]
    return digits.ljust(6, "0") if digits.isdigit() else ""


def is_earlier(row: StudyRow, current: CurrentStudy) -> bool:
    """Before the current study by Study Date (and Time); else by when it was received."""
    mine, theirs = _valid_date(row.study_date), _valid_date(current.study_date)
    if mine and theirs:
        if mine != theirs:
            return mine < theirs
        mine_t, theirs_t = _time_key(row.study_time), _time_key(current.study_time)
        if mine_t and theirs_t and mine_t != theirs_t:
            return mine_t < theirs_t
    # No date on one side (or the same day, no times to tell): the order they arrived in.
    return bool(row.received_at and current.received_at and row.received_at < current.received_at)


def recency_key(row: StudyRow) -> tuple[str, str, str]:
    """Sorts priors newest first (reversed): Study Date, Study Time, then received time."""
    return (_valid_date(row.study_date), _time_key(row.study_time), row.received_at)


def _kinds(modalities: Iterable[str]) -> set[str]:
    kinds = {m.strip().upper() for m in modalities if m.strip()}
    return {_MODALITY_KIND.get(m, m) for m in kinds - _NOT_IMAGING}


def anatomy_of(body_parts: Sequence[str], description: str) -> tuple[str, ...]:
    """The body parts recorded, else those the description names."""
    parts = tuple(p.strip().upper() for p in body_parts if p.strip())
    if parts:
        return parts
    text = description.upper()
    named = [term for word, term in _DESCRIPTION_WORDS.items() if _names(text, word)]
    return tuple(dict.fromkeys(named))


def _names(text: str, word: str) -> bool:
    if not word.isascii():
        return word in text
    return re.search(rf"(?<![A-Z]){re.escape(word)}(?![A-Z])", text) is not None


def _regions(parts: Sequence[str]) -> set[str]:
    regions: set[str] = set()
    for part in parts:
        regions |= _REGIONS.get(part, frozenset({part.lower()}))
    return regions


def judge_relevance(
    row: StudyRow, body_parts: Sequence[str], current: CurrentStudy
) -> tuple[bool, str]:
    """Whether the prior is relevant, and if not, why (a few words)."""
    same_kind = bool(_kinds(row.modalities) & _kinds(current.modalities))
    mine = anatomy_of(body_parts, row.description)
    theirs = anatomy_of(current.body_parts, current.description)
    if not mine or not theirs:
        anatomy = "body part not recorded"
        return False, anatomy if same_kind else f"other modality, {anatomy}"
    overlapping = bool(_regions(mine) & _regions(theirs))
    if same_kind and overlapping:
        return True, ""
    if not same_kind and not overlapping:
        return False, "other modality and body part"
    return False, "other modality" if not same_kind else "other body part"


def describe_prior(
    row: StudyRow,
    body_parts: Sequence[str],
    current: CurrentStudy,
    why_not: str,
    on_pacs_only: bool,
) -> str:
    """The line a radiologist reads: "CT chest, 14 months earlier (other body part)".

    Parameters
    ----------
    row, body_parts : StudyRow, sequence of str
        The prior and its series' Body Part Examined.
    current : CurrentStudy
        The open study (its date gives the interval).
    why_not : str
        :func:`judge_relevance`'s reason ("" for a relevant prior).
    on_pacs_only : bool
        Says ", on the PACS" (it must be retrieved before it opens).
    """
    imaging = [m for m in row.modalities if m.upper() not in _NOT_IMAGING]
    modality = imaging[0] if imaging else (row.modalities[0] if row.modalities else "Study")
    parts = anatomy_of(body_parts, row.description)
    anatomy = _READABLE.get(parts[0], parts[0].lower()) if parts else ""
    what = f"{modality} {anatomy}".strip()
    line = f"{what}, {_interval(row, current)}"
    if why_not:
        line += f" ({why_not})"
    if on_pacs_only:
        line += ", on the PACS"
    return line


def _as_date(text: str) -> date | None:
    text = _valid_date(text)
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:])) if text else None
    except ValueError:
        return None


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}{'' if count == 1 else 's'}"


def _interval(row: StudyRow, current: CurrentStudy) -> str:
    """How long before the current study, in the unit a radiologist would say."""
    prior, now = _as_date(row.study_date), _as_date(current.study_date)
    if prior is None or now is None:
        return "received earlier (no study date to compare)"
    days = (now - prior).days
    if days <= 0:
        return "earlier the same day"
    if days < 14:
        return f"{_plural(days, 'day')} earlier"
    months = (now.year - prior.year) * 12 + now.month - prior.month - (now.day < prior.day)
    if months < 2:
        return f"{_plural(days // 7, 'week')} earlier"
    if months < 24:
        return f"{_plural(months, 'month')} earlier"
    return f"{_plural(months // 12, 'year')} earlier"
