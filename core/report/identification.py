"""Who and what a report is about: the patient and examination identification of exports.

A report that goes into a chart identifies the patient and the examination
unambiguously. :func:`identification_from_dataset` reads that identification from
the study's DICOM header once, into a :class:`ReportIdentification`, and every
export takes it from there: the DICOM SR copies its values into its Patient and
General Study modules (PS3.3 C.7.1.1, C.7.2.1), the plain text and the PDF print
them (:func:`identification_fields`, in the report's language; the PDF on every
page). So the three agree by construction.

House rule 8: this is exactly what a language-model prompt must never hold. It is
not part of :class:`~core.report.document.ReportContext` (the prompt's only input)
and nothing here is logged; ``repr`` leaves the identifying values out.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Final

from core.dicom.person_name import decode_person_name, format_person_name
from core.errors import UsageError

if TYPE_CHECKING:
    from pydicom import Dataset

    from core.report.document import StudyContext

logger = logging.getLogger(__name__)

__all__ = [
    "IDENTIFICATION_LABELS",
    "MISSING",
    "ReportIdentification",
    "check_identification",
    "identification_fields",
    "identification_from_context",
    "identification_from_dataset",
]

#: What a missing value prints as.
MISSING: Final = "—"

#: The labels of the identification fields (and the words their values use), per
#: report language: the one table the text and the PDF exports read.
IDENTIFICATION_LABELS: Final[Mapping[str, Mapping[str, str]]] = {
    "en": {
        "patient_name": "Patient name",
        "patient_id": "Patient ID",
        "birth_date": "Birth date",
        "sex": "Sex",
        "accession_number": "Accession number",
        "study_date_time": "Study date/time",
        "modality": "Modality",
        "study_description": "Study description",
        "referring_physician": "Referring physician",
        "institution": "Institution",
        "M": "male",
        "F": "female",
        "O": "other",
        "age": "{date} ({age} years)",
    },
    "zh-CN": {
        "patient_name": "姓名",
        "patient_id": "患者ID",
        "birth_date": "出生日期",
        "sex": "性别",
        "accession_number": "检查号",
        "study_date_time": "检查日期",
        "modality": "设备类型",
        "study_description": "检查描述",
        "referring_physician": "申请医生",
        "institution": "医院",
        "M": "男",
        "F": "女",
        "O": "其他",
        "age": "{date}（{age} 岁）",
    },
}

# C0 and C1 controls (an ISO 2022 escape left undecoded, a stray NUL): never printed.
_CONTROLS: Final = re.compile("[\x00-\x1f\x7f-\x9f]")
_DATE: Final = re.compile(r"(\d{4})(\d{2})(\d{2})")
_TIME: Final = re.compile(r"(\d{2}):?(\d{2})?")
# DICOM attribute of each field, as the SR writes it (PS3.3 C.7.1.1, C.7.2.1).
_KEYWORDS: Final[Mapping[str, str]] = {
    "patient_name": "PatientName",
    "patient_id": "PatientID",
    "patient_birth_date": "PatientBirthDate",
    "patient_sex": "PatientSex",
    "accession_number": "AccessionNumber",
    "study_id": "StudyID",
    "study_date": "StudyDate",
    "study_time": "StudyTime",
    "referring_physician_name": "ReferringPhysicianName",
    "study_description": "StudyDescription",
    "institution_name": "InstitutionName",
    "modality": "Modality",
}
_PERSON_NAMES: Final = frozenset({"PatientName", "ReferringPhysicianName"})


@dataclass(frozen=True)
class ReportIdentification:
    """The patient and examination a report is about, as the study's DICOM header says.

    Values keep their DICOM form (a name as ``Wang^XiaoDong=王^小东``, a date as
    ``YYYYMMDD``, a time as ``HHMMSS``), decoded to text (names by
    :func:`core.dicom.person_name.decode_person_name`), control characters removed;
    "" is unknown. :func:`identification_fields` shows them (names by
    :func:`core.dicom.person_name.format_person_name`).

    Attributes
    ----------
    study_instance_uid : str
    patient_name, patient_id, patient_birth_date, patient_sex : str
    accession_number, study_id, study_date, study_time : str
    referring_physician_name, study_description, institution_name, modality : str
    """

    study_instance_uid: str
    patient_name: str = field(default="", repr=False)
    patient_id: str = field(default="", repr=False)
    patient_birth_date: str = field(default="", repr=False)
    patient_sex: str = ""
    accession_number: str = field(default="", repr=False)
    study_id: str = field(default="", repr=False)
    study_date: str = field(default="", repr=False)
    study_time: str = field(default="", repr=False)
    referring_physician_name: str = field(default="", repr=False)
    study_description: str = field(default="", repr=False)
    institution_name: str = field(default="", repr=False)
    modality: str = ""

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if not isinstance(value, str):
                raise TypeError(f"{item.name} must be a str, found {type(value).__name__}")

    def dicom_attributes(self) -> dict[str, str]:
        """The values by DICOM keyword (``{"PatientName": ..., "StudyDate": ...}``)."""
        return {keyword: getattr(self, name) for name, keyword in _KEYWORDS.items()}


def _clean(value: str) -> str:
    return " ".join(_CONTROLS.sub(" ", value).split())


def _read(ds: Any, keyword: str) -> str:
    # A malformed value (a bad date, an undecodable name) must not stop an export
    # (house rule 5): it reads as absent.
    try:
        value = ds.get(keyword)
    except Exception:
        logger.debug("ignored an unreadable %s value", keyword)
        return ""
    if value is None:
        return ""
    if keyword in _PERSON_NAMES:  # ISO 2022 escapes pydicom left are decoded, never shown
        try:
            return decode_person_name(value, ds.get("SpecificCharacterSet"))
        except Exception:
            logger.debug("ignored an undecodable %s value", keyword)
            return ""
    if isinstance(value, list | tuple) or type(value).__name__ == "MultiValue":
        value = "\\".join(str(v) for v in value)
    return _clean(str(value))


def identification_from_dataset(ds: Dataset) -> ReportIdentification:
    """The identification of a study, from the header of one of its images.

    Parameters
    ----------
    ds : pydicom.Dataset
        An image of the study (its header is enough).

    Returns
    -------
    ReportIdentification

    Raises
    ------
    TypeError
        ``ds`` is not a pydicom Dataset.
    UsageError
        It has no Study Instance UID (0020,000D).
    """
    from pydicom import Dataset

    if not isinstance(ds, Dataset):
        raise TypeError(f"ds must be a pydicom Dataset, found {type(ds).__name__}")
    uid = _read(ds, "StudyInstanceUID")
    if not uid:
        raise UsageError("the image has no Study Instance UID (0020,000D)")
    values = {name: _read(ds, keyword) for name, keyword in _KEYWORDS.items()}
    values["modality"] = values["modality"].upper()
    sex = values["patient_sex"].upper()
    values["patient_sex"] = sex if sex in ("M", "F", "O") else ""
    return ReportIdentification(study_instance_uid=uid, **values)


def identification_from_context(study: StudyContext) -> ReportIdentification:
    """What a report's own context knows when no header was given: no identifier at all.

    Modality, study description and sex (read from the same header when the
    context was built); everything that identifies prints as missing.
    """
    return ReportIdentification(
        study_instance_uid=study.study_instance_uid,
        patient_sex=study.patient_sex,
        study_description=study.study_description,
        modality=study.modality,
    )


def check_identification(
    identification: object, study_instance_uid: str
) -> ReportIdentification | None:
    """``identification`` if it is one of the study ``study_instance_uid`` (or None).

    Raises
    ------
    TypeError
        It is not a :class:`ReportIdentification`.
    UsageError
        It identifies another study: a report must never carry another patient's header.
    """
    if identification is None:
        return None
    if not isinstance(identification, ReportIdentification):
        raise TypeError(
            "identification must be a ReportIdentification or None, "
            f"found {type(identification).__name__}"
        )
    if identification.study_instance_uid != study_instance_uid:
        raise UsageError("the identification belongs to another study than the report")
    return identification


# --------------------------------------------------------------------------- display


def _display_date(value: str) -> str:
    match = _DATE.fullmatch(value.replace("-", "").replace(".", ""))
    return "-".join(match.groups()) if match else value


def _display_time(value: str) -> str:
    match = _TIME.match(value)
    if not match:
        return value
    hours, minutes = match.groups()
    return f"{hours}:{minutes or '00'}"


def identification_fields(
    identification: ReportIdentification, language: str, *, age_years: int | None = None
) -> tuple[tuple[str, str], ...]:
    """The identification as (label, value) pairs, in the report's language.

    Patient name, patient ID, birth date (with the age at the study when known),
    sex, accession number, study date and time, modality, study description,
    referring physician and institution, in that order; a missing value is
    :data:`MISSING`.

    Parameters
    ----------
    identification : ReportIdentification
    language : str
        A report language (``"en"``, ``"zh-CN"``); another reads as English.
    age_years : int, optional
        The patient's age at the study (the report context's).
    """
    if not isinstance(identification, ReportIdentification):
        raise TypeError(
            f"identification must be a ReportIdentification, found {type(identification).__name__}"
        )
    words = IDENTIFICATION_LABELS.get(language, IDENTIFICATION_LABELS["en"])
    item = identification
    birth = _display_date(item.patient_birth_date)
    if age_years is not None:
        birth = words["age"].format(date=birth or MISSING, age=age_years)
    when = " ".join(
        p for p in (_display_date(item.study_date), _display_time(item.study_time)) if p
    )
    values = (
        ("patient_name", format_person_name(item.patient_name)),
        ("patient_id", item.patient_id),
        ("birth_date", birth),
        ("sex", words.get(item.patient_sex, "") if item.patient_sex else ""),
        ("accession_number", item.accession_number),
        ("study_date_time", when),
        ("modality", item.modality),
        ("study_description", item.study_description),
        ("referring_physician", format_person_name(item.referring_physician_name)),
        ("institution", item.institution_name),
    )
    return tuple((words[key], value or MISSING) for key, value in values)
