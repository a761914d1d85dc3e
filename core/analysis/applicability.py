"""Does a model apply to this image? The gate before any analysis.

A manifest's ``applies_to`` names the modalities, body parts and view positions a
model was made for, and a minimum age. :func:`check_applicability` compares them
with the image's :class:`ImageFacts` and returns None (go ahead) or a short reason
shown instead of findings: ``"lateral view"``, ``"patient under 18"``, ``"CT not
supported by this model"``.

Missing facts are treated leniently where DICOM allows them to be absent: Body Part
Examined (0018,0015) and View Position (0018,5101) are Type 2/3 and often empty on
CR, and Patient Age is frequently removed by anonymisation, so an unknown value
does not block; Modality (0008,0060) is Type 1, so an unknown modality does.
"""

from __future__ import annotations

import datetime as _dt
import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.analysis.manifest import AppliesTo, ModelManifest

if TYPE_CHECKING:
    from core.dicom.records import InstanceRecord, PatientRecord, StudyRecord

logger = logging.getLogger(__name__)

#: View Position (0018,5101) terms that mean a lateral projection (PS3.3 C.8.11.5;
#: "LATERAL"/"LAT" appear in the wild although not defined terms).
LATERAL_VIEWS: frozenset[str] = frozenset({"LL", "RL", "LATERAL", "LAT"})
_DECUBITUS_VIEWS = frozenset({"RLD", "LLD"})
_OBLIQUE_VIEWS = frozenset({"RLO", "LLO"})

_AGE_RE = re.compile(r"^(\d{3})([DWMY])$")
_AGE_UNIT_YEARS = {"D": 1 / 365.25, "W": 7 / 365.25, "M": 1 / 12, "Y": 1.0}


@dataclass(frozen=True)
class ImageFacts:
    """What the gate needs to know about an image (no identifying data).

    Attributes
    ----------
    modality : str or None
        Modality (0008,0060), e.g. ``"DX"``.
    body_part : str or None
        Body Part Examined (0018,0015), e.g. ``"CHEST"``.
    view_position : str or None
        View Position (0018,5101), e.g. ``"PA"``.
    age_years : float or None
        Patient age at the study, in years.
    """

    modality: str | None = None
    body_part: str | None = None
    view_position: str | None = None
    age_years: float | None = None


def _clean(value: object) -> str | None:
    text = str(value).strip().upper() if value is not None else ""
    return text or None


def parse_age_string(value: object) -> float | None:
    """Years from an Age String (AS, PS3.5 Table 6.2-1: ``nnnD/W/M/Y``); None if invalid."""
    if value is None:
        return None
    match = _AGE_RE.match(str(value).strip().upper())
    if match is None:
        return None
    return int(match.group(1)) * _AGE_UNIT_YEARS[match.group(2)]


def compute_age_years(birth_date: object, on_date: object) -> float | None:
    """Age in years between two DA values (``YYYYMMDD``, PS3.5 Table 6.2-1); None if unknown."""
    born = _parse_da(birth_date)
    then = _parse_da(on_date)
    if born is None or then is None or then < born:
        return None
    return (then - born).days / 365.25


def _parse_da(value: object) -> _dt.date | None:
    text = str(value).strip() if value is not None else ""
    if not re.fullmatch(r"\d{8}", text):
        return None
    try:
        return _dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def facts_from_dataset(ds: Any) -> ImageFacts:
    """Gate facts from a pydicom Dataset.

    Age comes from Patient's Age (0010,1010), else from Patient's Birth Date and the
    first of Study, Series, Acquisition or Content Date.
    """
    age = parse_age_string(ds.get("PatientAge"))
    if age is None:
        for keyword in ("StudyDate", "SeriesDate", "AcquisitionDate", "ContentDate"):
            age = compute_age_years(ds.get("PatientBirthDate"), ds.get(keyword))
            if age is not None:
                break
    return ImageFacts(
        modality=_clean(ds.get("Modality")),
        body_part=_clean(ds.get("BodyPartExamined")),
        view_position=_clean(ds.get("ViewPosition")),
        age_years=age,
    )


def facts_from_records(
    instance: InstanceRecord,
    study: StudyRecord | None = None,
    patient: PatientRecord | None = None,
) -> ImageFacts:
    """Gate facts from the index's records (age from birth date and study date)."""
    age = None
    if study is not None and patient is not None:
        age = compute_age_years(patient.birth_date, study.study_date)
    return ImageFacts(
        modality=_clean(instance.modality),
        body_part=_clean(instance.body_part),
        view_position=_clean(instance.view_position),
        age_years=age,
    )


def check_applicability(model: ModelManifest | AppliesTo, facts: ImageFacts) -> str | None:
    """Whether a model applies to an image; the reason when it does not.

    Checked in order: modality, body part, view position, age.

    Parameters
    ----------
    model : ModelManifest or AppliesTo
        The model (its ``applies_to``).
    facts : ImageFacts
        The image's facts.

    Returns
    -------
    str or None
        None when the model applies; otherwise a short reason such as
        ``"CT not supported by this model"``, ``"body part SKULL not supported by this
        model"``, ``"lateral view"`` or ``"patient under 18"``.
    """
    if isinstance(model, ModelManifest):
        rules = model.applies_to
    elif isinstance(model, AppliesTo):
        rules = model
    else:
        raise TypeError(f"model must be a ModelManifest or AppliesTo, found {type(model).__name__}")
    if not isinstance(facts, ImageFacts):
        raise TypeError(f"facts must be ImageFacts, found {type(facts).__name__}")

    modality = _clean(facts.modality)
    if rules.modality:
        if modality is None:
            return f"modality unknown (this model reads {', '.join(rules.modality)})"
        if modality not in rules.modality:
            return f"{modality} not supported by this model"

    body_part = _clean(facts.body_part)
    if rules.body_part and body_part is not None and body_part not in rules.body_part:
        return f"body part {body_part} not supported by this model"

    view = _clean(facts.view_position)
    if rules.view_position and view is not None and view not in rules.view_position:
        if view in LATERAL_VIEWS:
            return "lateral view"
        if view in _DECUBITUS_VIEWS:
            return "decubitus view"
        if view in _OBLIQUE_VIEWS:
            return "oblique view"
        return f"{view} view not supported by this model"

    minimum = rules.min_age_years
    if minimum is not None and facts.age_years is not None and facts.age_years < minimum:
        return f"patient under {minimum:g}"
    if minimum is not None and facts.age_years is None:
        logger.debug("patient age unknown; the model's minimum age is not checked")
    return None
