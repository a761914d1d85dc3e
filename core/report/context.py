"""What a report is drafted from: the study's facts and the analysis findings.

:func:`study_context_from_dataset` (or :func:`study_context_from_record`, from the
index) reads what a report may say about a study: modality, body part, view,
descriptions, sex, age and technique. No name, patient ID, birth date, accession
number or other identifier is kept (house rule 8): the age is computed from
Patient's Age (0010,1010) or from the birth date against the study date, and only
the age is stored. The Study Instance UID is kept because it keys the draft and
references the study in exports; it never goes into a prompt.

:func:`findings_from_analysis` turns an :class:`~core.analysis.inference.AnalysisResult`
into :class:`~core.report.document.FindingFact` values, with the patient's side and
the lung zone of each finding that has a heatmap, and :func:`build_report_context`
puts study and findings together: every :class:`AnalysedImage` of the study, each
located with its own Patient Orientation and View Position.

:func:`with_priors` adds the prior the report compares with
(:class:`~core.report.document.PriorComparison`: its date, modality, body part and
description, nothing else of it), which the Comparison template names; it never goes
into a prompt (dates and descriptions are outside :mod:`core.report.prompt`'s boundary).
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from core.analysis.applicability import compute_age_years, facts_from_dataset
from core.analysis.explain import find_heatmap_peak
from core.analysis.inference import AnalysisResult, Verdict
from core.archive.priors import PriorStudy, most_recent_relevant
from core.dicom.records import PatientRecord, StudyRecord
from core.errors import UsageError
from core.report.document import FindingFact, PriorComparison, ReportContext, StudyContext

if TYPE_CHECKING:
    from pydicom import Dataset

logger = logging.getLogger(__name__)

__all__ = [
    "AnalysedImage",
    "analysed_image_from_dataset",
    "build_report_context",
    "comparison_from_priors",
    "describe_technique",
    "find_finding_location",
    "findings_from_analysis",
    "patient_orientation_from_dataset",
    "study_context_from_dataset",
    "study_context_from_record",
    "with_priors",
]

# Projection radiography: the technique is the exposure (kV, mAs).
_PROJECTION_MODALITIES: Final = frozenset({"CR", "DX", "MG", "RF", "XA", "PX", "IO", "RG"})
# Cross-sectional modalities: slice thickness, contrast and how many series.
_CROSS_SECTIONAL_MODALITIES: Final = frozenset({"CT", "MR", "PT", "NM"})
# View Position (0018,5101) values of a lateral projection: no left or right side.
_LATERAL_VIEWS: Final = frozenset({"LL", "RL", "LLD", "RLD", "LAT", "LATERAL", "XTABLE"})
_FRONTAL_VIEWS: Final = ("PA", "AP")
# Findings of the whole chest, not of one lung: no side or zone however the heatmap lies.
_UNLOCALISED_LABELS: Final = frozenset(
    {"cardiomegaly", "enlarged cardiomediastinum", "hernia", "no finding"}
)
# A peak this close to the vertical midline (fraction of the width) has no side.
_MIDLINE_BAND: Final = 0.04
_VERDICT_RANK: Final = {Verdict.POSITIVE: 2, Verdict.INDETERMINATE: 1, Verdict.NEGATIVE: 0}


# --------------------------------------------------------------------------- reading values


def _source_name(ds: Any) -> str:
    filename = getattr(ds, "filename", None)
    return Path(filename).name if isinstance(filename, str) and filename else "dataset"


def _raw(ds: Any, keyword: str) -> Any:
    # A malformed value raises when pydicom converts it; one bad attribute must not
    # stop the report (house rule 5), so it reads as absent.
    try:
        return ds.get(keyword)
    except Exception:  # any conversion error means "unusable value"
        logger.debug("ignored an unreadable %s value", keyword)
        return None


def _lookup(ds: Any, keyword: str) -> Any:
    """A value at the top level, else in the first shared or per-frame functional group.

    Enhanced CT/MR objects keep KVP, exposure and slice thickness in functional
    group macros (PS3.3 C.7.6.16), e.g. Shared > CT X-Ray Details > KVP.
    """
    value = _raw(ds, keyword)
    if value not in (None, ""):
        return value
    for groups_keyword in ("SharedFunctionalGroupsSequence", "PerFrameFunctionalGroupsSequence"):
        groups = _raw(ds, groups_keyword)
        if not groups:
            continue
        try:
            first = groups[0]
            for element in first:
                if element.VR == "SQ" and element.value:
                    value = _raw(element.value[0], keyword)
                    if value not in (None, ""):
                        return value
        except Exception:  # a damaged sequence reads as absent
            continue
    return None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple) or type(value).__name__ == "MultiValue":
        value = "\\".join(str(v) for v in value)
    return " ".join(str(value).split())


def _number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, list | tuple) or type(value).__name__ == "MultiValue":
        if not value:
            return None
        value = value[0]
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number > 0 else None


def _fmt(value: float) -> str:
    return f"{round(value, 2):g}"


def _contrast(ds: Any) -> str:
    agent = _text(_lookup(ds, "ContrastBolusAgent"))
    if agent:
        return agent
    sequence = _lookup(ds, "ContrastBolusAgentSequence")
    try:
        return _text(sequence[0].get("CodeMeaning")) if sequence else ""
    except Exception:
        return ""


def describe_technique(ds: Dataset, *, series_count: int | None = None) -> str:
    """The technique facts of an image, comma separated (e.g. ``"120 kV, 2.5 mAs"``).

    Projection radiographs (CR, DX, MG...): tube voltage KVP (0018,0060) and the
    exposure: Exposure in mAs (0018,9332), Exposure (0018,1152, mAs) or Exposure in
    µAs (0018,1153). CT: kV, mAs, slice thickness (0018,0050), contrast agent
    (0018,0010 or 0018,0012); MR: field strength (0018,0087), slice thickness,
    contrast. Enhanced objects are read from their functional groups.

    Parameters
    ----------
    ds : pydicom.Dataset
    series_count : int, optional
        Number of series in the study, added for CT and MR ("3 series").

    Returns
    -------
    str
        "" when nothing is known.
    """
    modality = _text(_raw(ds, "Modality")).upper()
    facts: list[str] = []
    if modality == "MR":
        tesla = _number(_raw(ds, "MagneticFieldStrength"))
        if tesla is not None:
            facts.append(f"{_fmt(tesla)} T")
    else:
        kv = _number(_lookup(ds, "KVP"))
        if kv is not None:
            facts.append(f"{_fmt(kv)} kV")
        mas = _number(_lookup(ds, "ExposureInmAs")) or _number(_lookup(ds, "Exposure"))
        if mas is None:
            micro = _number(_lookup(ds, "ExposureInuAs"))
            mas = micro / 1000.0 if micro is not None else None
        if mas is not None:
            facts.append(f"{_fmt(mas)} mAs")
    if modality not in _PROJECTION_MODALITIES:
        thickness = _number(_lookup(ds, "SliceThickness"))
        if thickness is not None:
            facts.append(f"slice thickness {_fmt(thickness)} mm")
    contrast = _contrast(ds)
    if contrast:
        facts.append(f"contrast: {contrast}")
    if series_count and modality in _CROSS_SECTIONAL_MODALITIES:
        facts.append(f"{series_count} series")
    return ", ".join(facts)


def _sex(value: Any) -> str:
    text = _text(value).upper()
    return text if text in ("M", "F", "O") else ""


def _whole_years(age: float | None) -> int | None:
    return None if age is None else math.floor(age + 1e-9)


# --------------------------------------------------------------------------- study context


def study_context_from_dataset(ds: Dataset) -> StudyContext:
    """What a report may say about the study of one image.

    Parameters
    ----------
    ds : pydicom.Dataset
        An image's header (pixel data is not read).

    Returns
    -------
    StudyContext
        Modality, Body Part Examined, View Position, study and series
        descriptions, frame count, sex, age in whole years (Patient's Age, else
        birth date vs study date; the birth date itself is not kept) and the
        technique (:func:`describe_technique`).

    Raises
    ------
    TypeError
        ``ds`` is not a pydicom Dataset.
    UsageError
        The dataset has no Study Instance UID (0020,000D).
    """
    from pydicom import Dataset

    if not isinstance(ds, Dataset):
        raise TypeError(f"ds must be a pydicom Dataset, found {type(ds).__name__}")
    uid = _text(_raw(ds, "StudyInstanceUID"))
    if not uid:
        raise UsageError(f"{_source_name(ds)}: no Study Instance UID (0020,000D)")
    try:
        age = _whole_years(facts_from_dataset(ds).age_years)
    except Exception:  # an unreadable age is an unknown age
        age = None
    series = _text(_raw(ds, "SeriesDescription"))
    frames = _number(_raw(ds, "NumberOfFrames"))
    return StudyContext(
        study_instance_uid=uid,
        modality=_text(_raw(ds, "Modality")).upper(),
        body_part=_text(_raw(ds, "BodyPartExamined")).upper(),
        view_position=_text(_raw(ds, "ViewPosition")).upper(),
        study_description=_text(_raw(ds, "StudyDescription")),
        series_descriptions=(series,) if series else (),
        image_count=int(frames) if frames is not None else 1,
        patient_sex=_sex(_raw(ds, "PatientSex")),
        patient_age_years=age,
        technique=describe_technique(ds),
    )


def _first(values: Iterable[str], preferred: Sequence[str] = ()) -> str:
    items = [v.strip().upper() for v in values if v and v.strip()]
    for wanted in preferred:
        if wanted in items:
            return wanted
    return items[0] if items else ""


def study_context_from_record(
    study: StudyRecord,
    patient: PatientRecord | None = None,
    *,
    dataset: Dataset | None = None,
) -> StudyContext:
    """What a report may say about a study of the index.

    Parameters
    ----------
    study : StudyRecord
    patient : PatientRecord, optional
        For sex and age (from the birth date at the study date; only the age is kept).
    dataset : pydicom.Dataset, optional
        A header of the study (e.g. the analysed image): adds the technique facts
        the index does not hold (kV, mAs, contrast) and Patient's Age when the
        birth date is unknown.

    Returns
    -------
    StudyContext
        The most common modality, the first body part, the first frontal view
        (else the first view), every series description, the number of frames,
        and for CT/MR the slice thickness and number of series.

    Raises
    ------
    TypeError
        Wrong argument types.
    UsageError
        ``dataset`` belongs to another study.
    """
    if not isinstance(study, StudyRecord):
        raise TypeError(f"study must be a StudyRecord, found {type(study).__name__}")
    if patient is not None and not isinstance(patient, PatientRecord):
        raise TypeError(f"patient must be a PatientRecord or None, found {type(patient).__name__}")
    from_dataset = study_context_from_dataset(dataset) if dataset is not None else None
    if from_dataset is not None and from_dataset.study_instance_uid != study.study_instance_uid:
        raise UsageError(f"{_source_name(dataset)}: the dataset belongs to another study")
    instances = [inst for series in study.series for inst in series.instances]
    modalities = Counter(s.modality.upper() for s in study.series if s.modality)
    modality = modalities.most_common(1)[0][0] if modalities else ""
    descriptions = tuple(dict.fromkeys(s.description for s in study.series if s.description))
    age = None
    if patient is not None:
        age = _whole_years(compute_age_years(patient.birth_date, study.study_date))
    if age is None and from_dataset is not None:
        age = from_dataset.patient_age_years
    technique = [from_dataset.technique] if from_dataset and from_dataset.technique else []
    if modality in _CROSS_SECTIONAL_MODALITIES:
        if not any("slice thickness" in fact for fact in technique):
            thickness = Counter(
                frame.slice_thickness
                for inst in instances
                for frame in inst.frames
                if frame.slice_thickness
            )
            if thickness:
                technique.append(f"slice thickness {_fmt(thickness.most_common(1)[0][0])} mm")
        technique.append(f"{len(study.series)} series")
    sex = _sex(patient.sex) if patient is not None else ""
    return StudyContext(
        study_instance_uid=study.study_instance_uid,
        modality=modality or (from_dataset.modality if from_dataset else ""),
        body_part=_first(inst.body_part for inst in instances)
        or (from_dataset.body_part if from_dataset else ""),
        view_position=_first((inst.view_position for inst in instances), _FRONTAL_VIEWS)
        or (from_dataset.view_position if from_dataset else ""),
        study_description=" ".join(study.study_description.split()),
        series_descriptions=descriptions,
        image_count=sum(s.frame_count for s in study.series),
        patient_sex=sex or (from_dataset.patient_sex if from_dataset else ""),
        patient_age_years=age,
        technique=", ".join(technique),
    )


# --------------------------------------------------------------------------- findings


def _orientation_values(patient_orientation: Sequence[str] | str | None) -> tuple[str, str]:
    if patient_orientation is None:
        # The conventional display of a frontal radiograph (PS3.3 C.7.6.1.1.1): rows run
        # towards the patient's left, columns towards the feet.
        return ("L", "F")
    if isinstance(patient_orientation, str):
        values = [v.strip().upper() for v in patient_orientation.split("\\")]
    else:
        values = [str(v).strip().upper() for v in patient_orientation]
    if len(values) != 2:
        raise ValueError(
            f"patient_orientation must have two values (row and column directions), "
            f"found {patient_orientation!r}"
        )
    return values[0], values[1]


def patient_orientation_from_dataset(ds: Dataset) -> tuple[str, str] | None:
    """Patient Orientation (0020,0020) when it has its two values (PS3.3 C.7.6.1.1.1).

    A malformed or incomplete value reads as absent (None): the findings then take the
    conventional orientation of a frontal radiograph.
    """
    try:
        values = [str(v).strip() for v in (ds.get("PatientOrientation") or [])]
    except Exception:  # a malformed value reads as absent
        return None
    return (values[0], values[1]) if len(values) == 2 and all(values) else None


def find_finding_location(
    peak: tuple[int, int],
    image_shape: tuple[int, int],
    *,
    patient_orientation: Sequence[str] | str | None = None,
    view_position: str | None = None,
    field_rows: tuple[int, int] | None = None,
) -> tuple[str | None, str | None]:
    """The patient's side and the lung zone of a point of a chest radiograph.

    Parameters
    ----------
    peak : (int, int)
        ``(row, col)`` in the image's pixels.
    image_shape : (int, int)
        Rows and columns of the image.
    patient_orientation : sequence of two str, optional
        Patient Orientation (0020,0020): the patient direction of the row (left to
        right across the image) and column (top to bottom) axes, PS3.3 C.7.6.1.1.1.
        Default ``("L", "F")``: a frontal image displayed the usual way, the
        patient's right on the image's left and the head at the top. A row
        direction without L or R (a lateral view) gives no side; a column
        direction without H or F gives no zone.
    view_position : str, optional
        View Position (0018,5101); a lateral view has no side.
    field_rows : (int, int), optional
        First and last row of the lung fields, when the caller knows them (e.g.
        from a segmentation); default the whole image.

    Returns
    -------
    side : {"right", "left"} or None
        None within 4 % of the width of the midline, or when it cannot be told.
    zone : {"upper", "middle", "lower"} or None
        The third of the lung fields (the image by default) the peak lies in.
    """
    rows, cols = (int(v) for v in image_shape)
    row, col = (int(v) for v in peak)
    if rows < 1 or cols < 1:
        raise ValueError(f"image_shape must be positive, found {image_shape}")
    if not (0 <= row < rows and 0 <= col < cols):
        raise ValueError(f"peak {peak} lies outside an image of shape {image_shape}")
    row_direction, column_direction = _orientation_values(patient_orientation)

    side: str | None = None
    lateral = view_position is not None and view_position.strip().upper() in _LATERAL_VIEWS
    towards_left = "L" in row_direction and "R" not in row_direction
    towards_right = "R" in row_direction and "L" not in row_direction
    offset = (col + 0.5) / cols - 0.5  # < 0: the image's left half
    if not lateral and (towards_left or towards_right) and abs(offset) >= _MIDLINE_BAND:
        # Columns growing towards the patient's left put the patient's right on the
        # image's left, and the other way round.
        on_image_left = offset < 0
        side = "right" if on_image_left == towards_left else "left"

    zone: str | None = None
    towards_feet = "F" in column_direction and "H" not in column_direction
    towards_head = "H" in column_direction and "F" not in column_direction
    if towards_feet or towards_head:
        top, bottom = field_rows if field_rows is not None else (0, rows - 1)
        if not 0 <= top < bottom < rows:
            raise ValueError(f"field_rows must be rows of the image, found {field_rows}")
        fraction = min(max((row - top + 0.5) / (bottom - top + 1), 0.0), 1.0 - 1e-9)
        if towards_head:
            fraction = 1.0 - 1e-9 - fraction
        zone = ("upper", "middle", "lower")[int(fraction * 3)]
    return side, zone


def _check_shape(value: object, name: str) -> tuple[int, int]:
    if (
        not isinstance(value, tuple | list)
        or len(value) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        raise TypeError(f"{name} must be a (rows, cols) tuple of ints, found {value!r}")
    return int(value[0]), int(value[1])


def findings_from_analysis(
    result: AnalysisResult,
    *,
    image_shape: tuple[int, int] | None = None,
    patient_orientation: Sequence[str] | str | None = None,
    view_position: str | None = None,
    field_rows: tuple[int, int] | None = None,
) -> tuple[FindingFact, ...]:
    """The findings of one analysis as report facts, with side and zone from the heatmap.

    Parameters
    ----------
    result : AnalysisResult
    image_shape : (int, int), optional
        Rows and columns of the analysed image; default ``result.image_shape``
        (the heatmaps' shape).
    patient_orientation, view_position, field_rows
        See :func:`find_finding_location`.

    Returns
    -------
    tuple of FindingFact
        One per finding, in the result's order (positive, indeterminate and
        negative alike); empty when the model was skipped. Side and zone are None
        without a heatmap, for findings of the whole chest (cardiomegaly), and
        where the orientation does not tell them.

    Notes
    -----
    Zones are thirds of the image rows unless ``field_rows`` says where the lung
    fields are. The heatmap's support is not used as the lung field: Grad-CAM's
    ReLU leaves zeros inside the analysed crop, so the support shrinks to the hot
    region itself and would put nearly every peak in the "middle" zone.
    """
    if not isinstance(result, AnalysisResult):
        raise TypeError(f"result must be an AnalysisResult, found {type(result).__name__}")
    if result.skipped is not None:
        return ()
    shape = _check_shape(image_shape, "image_shape") if image_shape is not None else None
    facts: list[FindingFact] = []
    for finding in result.findings:
        side: str | None = None
        zone: str | None = None
        peak = finding.heatmap_peak
        heatmap = finding.heatmap
        if heatmap is not None and peak is None and float(heatmap.max(initial=0.0)) > 0.0:
            peak = find_heatmap_peak(heatmap)
        if (
            heatmap is not None
            and peak is not None
            and finding.label.strip().lower() not in _UNLOCALISED_LABELS
        ):
            where = shape or (
                result.image_shape if min(result.image_shape) > 0 else tuple(heatmap.shape)
            )
            side, zone = find_finding_location(
                peak,
                (int(where[0]), int(where[1])),
                patient_orientation=patient_orientation,
                view_position=view_position,
                field_rows=field_rows,
            )
        facts.append(
            FindingFact(
                label=finding.label,
                verdict=Verdict(finding.verdict).value,
                probability=float(finding.probability),
                threshold=float(finding.threshold),
                side=side,
                zone=zone,
                model=result.model_display_name,
                is_demo=result.is_demo,
            )
        )
    return tuple(facts)


@dataclass(frozen=True)
class AnalysedImage:
    """One image's analysis, with what places its findings on the patient.

    Attributes
    ----------
    result : AnalysisResult
    patient_orientation : (str, str) or None
        The image's Patient Orientation (0020,0020); None: the conventional display
        of a frontal radiograph (see :func:`find_finding_location`).
    view_position : str
        The image's View Position (0018,5101); "": the study's.
    """

    result: AnalysisResult
    patient_orientation: tuple[str, str] | None = None
    view_position: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.result, AnalysisResult):
            raise TypeError(f"result must be an AnalysisResult, found {type(self.result).__name__}")
        if self.patient_orientation is not None:
            object.__setattr__(
                self, "patient_orientation", _orientation_values(self.patient_orientation)
            )

    @property
    def key(self) -> tuple[str, int, str]:
        """``(SOP Instance UID, frame, model name)``: what one analysis is *of*.

        A study holds one result per key: a newer analysis of the same frame by the
        same model replaces the older; another image, or another model, adds to it.
        """
        result = self.result
        return (result.sop_instance_uid or "", int(result.frame), result.model_name)


def analysed_image_from_dataset(result: AnalysisResult, ds: Dataset | None) -> AnalysedImage:
    """``result`` with the Patient Orientation and View Position of the image's header.

    ``ds`` None (the header is not at hand) gives the conventional orientation and the
    study's view.
    """
    if ds is None:
        return AnalysedImage(result)
    return AnalysedImage(
        result,
        patient_orientation=patient_orientation_from_dataset(ds),
        view_position=_text(_raw(ds, "ViewPosition")).upper(),
    )


def build_report_context(
    study: StudyContext,
    results: Sequence[AnalysisResult | AnalysedImage],
    *,
    patient_orientation: Sequence[str] | str | None = None,
) -> ReportContext:
    """Study facts and every analysis finding, ready for drafting and grounding.

    Parameters
    ----------
    study : StudyContext
    results : sequence of AnalysedImage or AnalysisResult
        Every analysed image of the study. Skipped results contribute nothing.
        When several models (or images) report the same label, the strongest
        verdict is kept (positive over indeterminate over negative; then the
        higher probability over threshold), so the report never drops a finding
        one model saw. Each image's findings are located with its own Patient
        Orientation and View Position (the study's view when it has none).
    patient_orientation : optional
        Patient Orientation for the plain :class:`AnalysisResult` items (an
        :class:`AnalysedImage` carries its own).

    Returns
    -------
    ReportContext
        ``analysed`` is True when at least one model ran; ``models`` are "name
        version" of the models that ran, in order.
    """
    if not isinstance(study, StudyContext):
        raise TypeError(f"study must be a StudyContext, found {type(study).__name__}")
    if isinstance(results, AnalysisResult) or not isinstance(results, Sequence):
        raise TypeError(
            f"results must be a sequence of AnalysisResult, found {type(results).__name__}"
        )
    chosen: dict[str, FindingFact] = {}
    models: list[str] = []
    analysed = False
    for item in results:
        if isinstance(item, AnalysisResult):
            item = AnalysedImage(item, _orientation_or_none(patient_orientation))
        if not isinstance(item, AnalysedImage):
            raise TypeError(
                f"results must hold AnalysedImage or AnalysisResult, found {type(item).__name__}"
            )
        result = item.result
        if result.skipped is not None:
            logger.info("a model was not run (%s); it adds no findings", result.skipped)
            continue
        analysed = True
        if result.model_display_name not in models:
            models.append(result.model_display_name)
        for fact in findings_from_analysis(
            result,
            patient_orientation=item.patient_orientation,
            view_position=item.view_position or study.view_position or None,
        ):
            key = fact.label.strip().lower()
            current = chosen.get(key)
            if current is None or _strength(fact) > _strength(current):
                chosen[key] = fact
    return ReportContext(
        study=study,
        findings=tuple(chosen.values()),
        models=tuple(models),
        analysed=analysed,
    )


def _orientation_or_none(value: Sequence[str] | str | None) -> tuple[str, str] | None:
    return None if value is None else _orientation_values(value)


def _strength(fact: FindingFact) -> tuple[int, float]:
    margin = fact.probability / fact.threshold if fact.threshold > 0 else fact.probability
    return (_VERDICT_RANK[Verdict(fact.verdict)], margin)


# --------------------------------------------------------------------------- comparison


def comparison_from_priors(priors: Sequence[PriorStudy]) -> PriorComparison | None:
    """What the Comparison section names: the most recent relevant prior, or None.

    Parameters
    ----------
    priors : sequence of PriorStudy
        From :func:`core.archive.priors.find_priors` (most relevant first).

    Returns
    -------
    PriorComparison or None
        Its date (ISO 8601), modality, body part and description; None when no prior
        is relevant (the section then says none is available).
    """
    if isinstance(priors, PriorStudy) or not isinstance(priors, Sequence):
        raise TypeError(f"priors must be a sequence of PriorStudy, found {type(priors).__name__}")
    prior = most_recent_relevant(priors)
    if prior is None:
        return None
    row = prior.row
    raw = row.study_date.strip()
    iso = f"{raw[:4]}-{raw[4:6]}-{raw[6:]}" if len(raw) == 8 and raw.isdigit() else ""
    imaging = [m for m in row.modalities if m not in ("SR", "PR", "KO", "SEG", "REG", "DOC")]
    return PriorComparison(
        study_date=iso,
        modality=imaging[0] if imaging else "",
        body_part=prior.body_part,
        description=" ".join(row.description.split()),
    )


def with_priors(study: StudyContext, priors: Sequence[PriorStudy]) -> StudyContext:
    """``study`` comparing with the most recent relevant of ``priors`` (or with none)."""
    if not isinstance(study, StudyContext):
        raise TypeError(f"study must be a StudyContext, found {type(study).__name__}")
    return replace(study, comparison=comparison_from_priors(priors))
