"""The fictitious patient and study that synthetic objects are written into.

All patients are fictitious ("PHANTOM^..."); every value, dates included, is drawn
from the generator, never read from the clock.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from core.synthetic.common import check_rng, seeded_uid

_GIVEN_NAMES: Final = (
    "ALPHA", "BRAVO", "CHARLIE", "DELTA", "ECHO", "FOXTROT", "GOLF", "HOTEL",
    "INDIA", "JULIETT", "KILO", "LIMA", "MIKE", "NOVEMBER", "OSCAR", "PAPA",
)  # fmt: skip


@dataclass(frozen=True)
class SyntheticStudy:
    """A fictitious patient and study, shared by the objects written into it.

    What the writers put in the Patient and General Study modules; not to be confused
    with :class:`core.report.document.StudyContext`, what a report knows of a study.

    Parameters
    ----------
    patient_name, patient_id : str
        Fictitious, made from the seed ("PHANTOM^...", "SYN...").
    patient_birth_date : str
        DICOM DA (YYYYMMDD).
    patient_sex : str
        "F" or "M".
    patient_age : int
        Age in whole years on the study date.
    study_uid, study_date, study_time, accession_number, study_id : str
        General Study attributes (PS3.3 C.7.2.1).
    study_description : str
        Study Description.
    """

    patient_name: str
    patient_id: str
    patient_birth_date: str
    patient_sex: str
    patient_age: int
    study_uid: str
    study_date: str
    study_time: str
    accession_number: str
    study_id: str
    study_description: str = "SYNTHETIC PHANTOM"

    def to_json(self) -> dict[str, Any]:
        """Return the patient and study as a JSON-ready dict."""
        return dict(self.__dict__)


def make_study_context(
    rng: np.random.Generator, *, description: str = "SYNTHETIC PHANTOM"
) -> SyntheticStudy:
    """Draw a fictitious patient and study from ``rng``.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of every value (dates are drawn, never read from the clock).
    description : str, optional
        Study Description.

    Returns
    -------
    SyntheticStudy
    """
    check_rng(rng)
    token = rng.bytes(16).hex()
    study_day = _dt.date(2015, 1, 1) + _dt.timedelta(days=int(rng.integers(0, 3650)))
    target_age = int(rng.integers(18, 91))
    birth = study_day - _dt.timedelta(days=int(target_age * 365.25) + int(rng.integers(0, 365)))
    age = (
        study_day.year - birth.year - ((study_day.month, study_day.day) < (birth.month, birth.day))
    )
    sex = "F" if rng.random() < 0.5 else "M"
    given = _GIVEN_NAMES[int(rng.integers(len(_GIVEN_NAMES)))]
    hour, minute, second = (int(x) for x in rng.integers((7, 0, 0), (19, 60, 60)))
    return SyntheticStudy(
        patient_name=f"PHANTOM^{given}{int(rng.integers(1, 1000)):03d}",
        patient_id=f"SYN{int(rng.integers(10**7, 10**8))}",
        patient_birth_date=birth.strftime("%Y%m%d"),
        patient_sex=sex,
        patient_age=age,
        study_uid=seeded_uid(token, "study"),
        study_date=study_day.strftime("%Y%m%d"),
        study_time=f"{hour:02d}{minute:02d}{second:02d}",
        accession_number=f"ACC{int(rng.integers(10**6, 10**7))}",
        study_id=str(int(rng.integers(1, 10000))),
        study_description=description,
    )
