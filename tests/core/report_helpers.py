"""Report inputs for tests: a chest radiograph's study context with plain defaults, and the
report context (study, findings, models) built on it: the one place tests assemble either."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from core.report.document import FindingFact, ReportContext, StudyContext

#: The study a test's report is about unless it says otherwise.
STUDY_DEFAULTS: dict[str, Any] = {
    "study_instance_uid": "1.2.826.0.1.3680043.8.498.1",
    "modality": "DX",
    "body_part": "CHEST",
    "view_position": "PA",
    "patient_sex": "F",
    "patient_age_years": 58,
    "technique": "120 kV, 2.5 mAs",
}


def make_study(uid: str | None = None, **values: Any) -> StudyContext:
    """A PA chest radiograph of a 58-year-old woman; ``values`` override any field.

    Parameters
    ----------
    uid : str, optional
        The Study Instance UID (``STUDY_DEFAULTS``' unless given).
    **values
        Any other :class:`StudyContext` field.
    """
    if uid is not None:
        values["study_instance_uid"] = uid
    return StudyContext(**{**STUDY_DEFAULTS, **values})


def make_report_context(
    uid: str | None = None,
    *,
    findings: Iterable[FindingFact] = (),
    models: Iterable[str] = (),
    analysed: bool = True,
    study: StudyContext | None = None,
    **study_values: Any,
) -> ReportContext:
    """The context of an analysed report on :func:`make_study`'s study.

    Parameters
    ----------
    uid : str, optional
        The study's UID (ignored with ``study``).
    findings : iterable of FindingFact
    models : iterable of str
        Name and version of each model that contributed.
    analysed : bool
        False for a report drafted without an analysis.
    study : StudyContext, optional
        A study of the test's own (e.g. read from a dataset) instead of :func:`make_study`'s.
    **study_values
        Fields of :func:`make_study`'s study to override (not with ``study``).
    """
    if study is not None and (uid is not None or study_values):
        raise TypeError("give either study or the fields of make_study's study, not both")
    return ReportContext(
        study=study or make_study(uid, **study_values),
        findings=tuple(findings),
        models=tuple(models),
        analysed=analysed,
    )
