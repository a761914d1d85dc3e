"""What a PACS search asks and what it finds: study and series queries and matches.

One query model serves DIMSE C-FIND (Study Root, PS3.4 C.6.2) and DICOMweb QIDO-RS
(PS3.18 10.6): :meth:`StudyQuery.identifier` builds the C-FIND identifier,
:meth:`StudyQuery.qido_filters` the QIDO search parameters, and
:func:`study_match_from` reads a match from either answer (QIDO's DICOM JSON is read
into a dataset first). Matches hold patient data: they go to the user's display only.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from core.errors import UsageError

if TYPE_CHECKING:
    from pydicom import Dataset

logger = logging.getLogger(__name__)

DEFAULT_LIMIT: Final = 200
#: The return keys of a study-level query (PS3.4 C.6.2.1.2); empty means "send it back".
STUDY_RETURN_KEYS: Final = (
    "PatientName",
    "PatientID",
    "IssuerOfPatientID",
    "PatientBirthDate",
    "PatientSex",
    "AccessionNumber",
    "StudyDate",
    "StudyTime",
    "StudyDescription",
    "ModalitiesInStudy",
    "StudyInstanceUID",
    "NumberOfStudyRelatedSeries",
    "NumberOfStudyRelatedInstances",
)
SERIES_RETURN_KEYS: Final = (
    "Modality",
    "SeriesNumber",
    "SeriesDescription",
    "BodyPartExamined",
    "SeriesInstanceUID",
    "NumberOfSeriesRelatedInstances",
)


def _check_text(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, found {type(value).__name__}")
    if "\\" in value:
        raise UsageError(f"{name} may not contain a backslash")
    return value.strip()


@dataclass(frozen=True)
class StudyQuery:
    """A study-level search.

    Parameters
    ----------
    patient_name : str
        ``*`` and ``?`` wildcards allowed (``"DOE^J*"``); ``""``: any.
    patient_id, accession_number : str
        Exact values (``""``: any).
    date_from, date_to : datetime.date or None
        An inclusive study date range; either end may be open.
    modality : str
        A modality in the study (``"CT"``).
    description : str
        Study description, wildcards allowed.
    study_uid : str
        One study (``""``: any).
    limit : int
        At most this many matches are returned (the rest of the search is cancelled).
    """

    patient_name: str = ""
    patient_id: str = ""
    accession_number: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    modality: str = ""
    description: str = ""
    study_uid: str = ""
    limit: int = DEFAULT_LIMIT

    def __post_init__(self) -> None:
        for name in (
            "patient_name",
            "patient_id",
            "accession_number",
            "modality",
            "description",
            "study_uid",
        ):
            object.__setattr__(self, name, _check_text(name, getattr(self, name)))
        for name in ("date_from", "date_to"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, dt.date):
                raise TypeError(f"{name} must be a date or None, found {type(value).__name__}")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise UsageError(f"the date range is reversed: {self.date_from} > {self.date_to}")
        if isinstance(self.limit, bool) or not isinstance(self.limit, int) or self.limit < 1:
            raise UsageError(f"the result limit must be a positive integer, found {self.limit!r}")

    @property
    def date_range(self) -> str:
        """The DICOM range matching value (``"20240101-20241231"``, ``"-20241231"``)."""
        if self.date_from is None and self.date_to is None:
            return ""
        start = self.date_from.strftime("%Y%m%d") if self.date_from else ""
        end = self.date_to.strftime("%Y%m%d") if self.date_to else ""
        return start if start == end else f"{start}-{end}"

    def identifier(self) -> Dataset:
        """The C-FIND identifier at STUDY level (Study Root)."""
        from pydicom import Dataset

        ds = Dataset()
        ds.QueryRetrieveLevel = "STUDY"
        for keyword in STUDY_RETURN_KEYS:
            setattr(ds, keyword, "")
        ds.PatientName = self.patient_name
        ds.PatientID = self.patient_id
        ds.AccessionNumber = self.accession_number
        ds.StudyDate = self.date_range
        ds.ModalitiesInStudy = self.modality
        ds.StudyDescription = self.description
        ds.StudyInstanceUID = self.study_uid
        return ds

    def qido_filters(self) -> dict[str, str]:
        """The QIDO-RS search parameters (only those with a value)."""
        pairs = {
            "PatientName": self.patient_name,
            "PatientID": self.patient_id,
            "AccessionNumber": self.accession_number,
            "StudyDate": self.date_range,
            "ModalitiesInStudy": self.modality,
            "StudyDescription": self.description,
            "StudyInstanceUID": self.study_uid,
        }
        return {key: value for key, value in pairs.items() if value}


def series_identifier(study_uid: str) -> Dataset:
    """The C-FIND identifier at SERIES level for one study."""
    from pydicom import Dataset

    ds = Dataset()
    ds.QueryRetrieveLevel = "SERIES"
    ds.StudyInstanceUID = study_uid
    for keyword in SERIES_RETURN_KEYS:
        setattr(ds, keyword, "")
    return ds


@dataclass(frozen=True)
class StudyMatch:
    """One study found on a node (patient data: for the user's display only)."""

    study_uid: str
    patient_name: str
    patient_id: str
    issuer_of_patient_id: str
    birth_date: str
    sex: str
    accession_number: str
    study_date: str
    study_time: str
    description: str
    modalities: tuple[str, ...]
    series_count: int | None
    instance_count: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "study_uid": self.study_uid,
            "patient_name": self.patient_name,
            "patient_id": self.patient_id,
            "issuer_of_patient_id": self.issuer_of_patient_id,
            "birth_date": self.birth_date,
            "sex": self.sex,
            "accession_number": self.accession_number,
            "study_date": self.study_date,
            "study_time": self.study_time,
            "description": self.description,
            "modalities": list(self.modalities),
            "series_count": self.series_count,
            "instance_count": self.instance_count,
        }


@dataclass(frozen=True)
class SeriesMatch:
    """One series of a study found on a node."""

    series_uid: str
    study_uid: str
    modality: str
    number: int | None
    description: str
    body_part: str
    instance_count: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "series_uid": self.series_uid,
            "study_uid": self.study_uid,
            "modality": self.modality,
            "number": self.number,
            "description": self.description,
            "body_part": self.body_part,
            "instance_count": self.instance_count,
        }


def _text(ds: Dataset, keyword: str) -> str:
    value = ds.get(keyword, "")
    return "" if value is None else str(value)


def _count(ds: Dataset, keyword: str) -> int | None:
    value = ds.get(keyword)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def study_match_from(ds: Dataset) -> StudyMatch:
    """A :class:`StudyMatch` from a C-FIND or QIDO-RS answer."""
    modalities = ds.get("ModalitiesInStudy", "")
    if isinstance(modalities, str):
        modalities = [modalities] if modalities else []
    return StudyMatch(
        study_uid=_text(ds, "StudyInstanceUID"),
        patient_name=_text(ds, "PatientName"),
        patient_id=_text(ds, "PatientID"),
        issuer_of_patient_id=_text(ds, "IssuerOfPatientID"),
        birth_date=_text(ds, "PatientBirthDate"),
        sex=_text(ds, "PatientSex"),
        accession_number=_text(ds, "AccessionNumber"),
        study_date=_text(ds, "StudyDate"),
        study_time=_text(ds, "StudyTime"),
        description=_text(ds, "StudyDescription"),
        modalities=tuple(str(m) for m in modalities if m),
        series_count=_count(ds, "NumberOfStudyRelatedSeries"),
        instance_count=_count(ds, "NumberOfStudyRelatedInstances"),
    )


def series_match_from(ds: Dataset, study_uid: str) -> SeriesMatch:
    """A :class:`SeriesMatch` from a C-FIND or QIDO-RS answer."""
    return SeriesMatch(
        series_uid=_text(ds, "SeriesInstanceUID"),
        study_uid=_text(ds, "StudyInstanceUID") or study_uid,
        modality=_text(ds, "Modality"),
        number=_count(ds, "SeriesNumber"),
        description=_text(ds, "SeriesDescription"),
        body_part=_text(ds, "BodyPartExamined"),
        instance_count=_count(ds, "NumberOfSeriesRelatedInstances"),
    )
