"""PS3.15 Table E.1-1, the attributes an Application Level Confidentiality Profile protects.

The table ships as ``table_e1_1.csv`` beside this module (its header says where each
column comes from). :func:`planned_actions` is the one owner of the rule "which action
does this export take for this attribute": the Basic profile's action, overridden by
the column of each retained option (PS3.15 E.1.1: "A requirement for an Option, when
implemented, overrides any requirement for the underlying Profile").
"""

from __future__ import annotations

import csv
import functools
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from core.deid.options import DeidOptions, RetainOption

logger = logging.getLogger(__name__)

TABLE_PATH: Final = Path(__file__).with_name("table_e1_1.csv")
#: Every action code the table uses (PS3.15 E.1.1).
ACTIONS: Final = frozenset({"X", "Z", "D", "U", "K", "C", "Z/D", "X/Z", "X/D", "X/Z/D", "X/Z/U*"})
#: Patient's Birth Date and Birth Time: date attributes that neither date option keeps
#: (Table E.1-1 gives them no K or C in the Retain Longitudinal columns).
_BIRTH: Final = frozenset({0x00100030, 0x00100032})
#: Timezone Offset From UTC: not a DA/DT/TM but follows the date options (Table E.1-1 row).
TIMEZONE_OFFSET: Final = 0x00080201


@dataclass(frozen=True)
class TableRow:
    """One row of Table E.1-1 (an exact tag; repeating groups are handled by rule).

    ``basic`` is the Basic Profile action; each option field is that option's column
    (``""``: the option says nothing, ``"K"`` keep, ``"C"`` clean).
    """

    tag: int
    keyword: str
    name: str
    basic: str
    patient_characteristics: str = ""
    device_identity: str = ""
    institution_identity: str = ""
    clean_descriptors: str = ""


@functools.cache
def load_table() -> dict[int, TableRow]:
    """The table's rows with an exact tag, by tag (repeating-group rows are left out).

    Raises
    ------
    RuntimeError
        The shipped table is missing or damaged (an installation fault).
    """
    rows: dict[int, TableRow] = {}
    try:
        text = TABLE_PATH.read_text(encoding="utf-8")
    except OSError as error:
        raise RuntimeError(f"{TABLE_PATH}: the de-identification table is missing") from error
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    for record in csv.DictReader(lines):
        tag_text = record["tag"]
        if "X" in tag_text:
            continue
        row = TableRow(
            tag=int(tag_text, 16),
            keyword=record["keyword"],
            name=record["name"],
            basic=record["basic"],
            patient_characteristics=record["patient_characteristics"],
            device_identity=record["device_identity"],
            institution_identity=record["institution_identity"],
            clean_descriptors=record["clean_descriptors"],
        )
        if row.basic not in ACTIONS:
            raise RuntimeError(f"{TABLE_PATH}: unknown action {row.basic!r} for {tag_text}")
        rows[row.tag] = row
    return rows


def planned_actions(options: DeidOptions) -> dict[int, str]:
    """Tag → the action this export takes, options applied (before IOD-type choices).

    Date options are applied per element by :func:`date_action` (they depend on the VR).
    """
    retain = options.retain
    plan: dict[int, str] = {}
    for tag, row in load_table().items():
        action = row.basic
        # Each option's column overrides the profile (PS3.15 E.1.1); the columns of the
        # options offered here never disagree on one row.
        for option, column in (
            (RetainOption.PATIENT_CHARACTERISTICS, row.patient_characteristics),
            (RetainOption.DEVICE_IDENTITY, row.device_identity),
            (RetainOption.INSTITUTION_IDENTITY, row.institution_identity),
            (RetainOption.CLEAN_DESCRIPTORS, row.clean_descriptors),
        ):
            if option in retain and column:
                action = column
        plan[tag] = action
    return plan


def date_action(tag: int, vr: str, options: DeidOptions) -> str | None:
    """K (Full Dates) or C (Modified Dates) for a dated attribute of the table, else None.

    Table E.1-1 gives K and C in the two Retain Longitudinal Temporal Information
    columns to its date, time and date-time rows (and Timezone Offset From UTC), never
    to the patient's birth date and time; note 4 of E.1.1 endorses going by the VR.
    """
    if tag in _BIRTH or (vr not in ("DA", "DT", "TM") and tag != TIMEZONE_OFFSET):
        return None
    if RetainOption.FULL_DATES in options.retain:
        return "K"
    if RetainOption.MODIFIED_DATES in options.retain:
        return "C"
    return None
