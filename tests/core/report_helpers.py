"""Report inputs for tests: a chest radiograph's study context with plain defaults."""

from __future__ import annotations

from typing import Any

from core.report.document import StudyContext

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


def make_study(**values: Any) -> StudyContext:
    """A PA chest radiograph of a 58-year-old woman; ``values`` override any field."""
    return StudyContext(**{**STUDY_DEFAULTS, **values})
