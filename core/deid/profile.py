"""Applying Table E.1-1 to one dataset: what dicognito does not cover.

dicognito (the maintained library doing the rest, see :mod:`core.deid.deidentifier`)
replaces every UID, person name, date, a list of identifiers and the institution; it
removes ten attributes and leaves the rest of Table E.1-1 alone. This pass walks the
dataset first (sequences included, PS3.15 E.1.1: "whether contained in the main dataset
or embedded in an Item of a Sequence") and takes the table's action on every attribute
it lists, removes private attributes (the Basic profile's row "Private attributes":
X, no Retain Safe Private Option offered) and curves and overlays (rows "Curve Data
(50xx,xxxx)", "Overlay Data (60xx,3000)" and "Overlay Comments (60xx,4000)": X).

It returns what dicognito must then leave as it is (kept by an option, cleaned, or
already given a dummy), so the options are honoured by both passes.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Final

from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence

from core.deid.options import DeidOptions
from core.deid.table import date_action, planned_actions

logger = logging.getLogger(__name__)

#: Identifiers dicognito replaces by a pseudonym drawn from the original value (its
#: IDAnonymizer list); a Z or D on them is left to it, so two patients stay two patients.
PSEUDONYMISED_BY_DICOGNITO: Final = frozenset(
    {
        0x00080050,  # Accession Number
        0x00100020,  # Patient ID
        0x00200010,  # Study ID
        0x00401001,  # Requested Procedure ID
        0x00400253,  # Performed Procedure Step ID
        0x00400009,  # Scheduled Procedure Step ID
        0x00402016,  # Placer Order Number / Imaging Service Request
        0x00402017,  # Filler Order Number / Imaging Service Request
    }
)
#: Attributes of a combined action (X/D, X/Z/D, Z/D) that are Type 1 in the Enhanced
#: General Equipment and Enhanced image modules (PS3.3 C.7.5.2, C.8.15.2, C.8.16.2), so
#: take D instead of X or Z in an enhanced multi-frame object (one with Shared
#: Functional Groups Sequence).
TYPE1_WHEN_ENHANCED: Final = frozenset({0x00181000, 0x00080023, 0x00080033, 0x0008002A})
#: Person Identification Code Sequence (D): its codes identify the person, so the
#: dummy is one made-up code item, not the cleaned items.
PERSON_CODES: Final = 0x00401101
#: Keywords kept inside a sequence replaced by a dummy (D): the coded structure of SR
#: content and presentation-state graphics, which says nothing about a person.
_CODED_STRUCTURE: Final = frozenset(
    {
        "CodeValue",
        "CodingSchemeDesignator",
        "CodingSchemeVersion",
        "CodeMeaning",
        "LongCodeValue",
        "URNCodeValue",
        "ContextIdentifier",
        "MappingResource",
        "ValueType",
        "RelationshipType",
        "ContinuityOfContent",
        "TemplateIdentifier",
        "GraphicType",
        "GraphicAnnotationUnits",
        "AnchorPointAnnotationUnits",
        "BoundingBoxAnnotationUnits",
        "BoundingBoxTextHorizontalJustification",
        "GraphicLayer",
        "GraphicFilled",
        "AnchorPointVisibility",
        "TemporalRangeType",
        "ReferencedSOPClassUID",
    }
)
_TEXT_VRS: Final = frozenset({"LO", "SH", "ST", "LT", "UT", "UC"})
_DUMMY_TEXT: Final = "ANONYMIZED"
_DUMMY_BY_VR: Final[dict[str, object]] = {
    "DA": "19000101",
    "TM": "000000",
    "DT": "19000101000000",
    "AS": "000Y",
    "IS": "0",
    "DS": "0",
    "AE": _DUMMY_TEXT,
    "CS": _DUMMY_TEXT,
    "US": 0,
    "SS": 0,
    "UL": 0,
    "SL": 0,
    "UV": 0,
    "SV": 0,
    "FL": 0.0,
    "FD": 0.0,
}
_MIN_TOKEN: Final = 3


@dataclass
class ProfileOutcome:
    """What the pass did to one dataset, for dicognito's pass and the result.

    ``leave`` holds ids of the elements dicognito must not touch (kept, cleaned or
    given a dummy here); ``removed`` counts attributes removed or emptied.
    """

    leave: set[int] = field(default_factory=set)
    removed: int = 0


def apply_profile(ds: Dataset, options: DeidOptions) -> ProfileOutcome:
    """Take Table E.1-1's actions on ``ds`` in place (dicognito's pass comes after).

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        The dataset to de-identify (changed in place).
    options : DeidOptions
        The retained options.
    """
    plan = planned_actions(options)
    enhanced = "SharedFunctionalGroupsSequence" in ds
    # Only a clean (C) action needs the identifying words; the other options clean nothing.
    cleans = any(action == "C" for action in plan.values())
    tokens = _identifying_tokens(ds, plan) if cleans else None
    outcome = ProfileOutcome()
    _walk(ds, plan, options, enhanced, tokens, outcome)
    return outcome


def _walk(
    ds: Dataset,
    plan: dict[int, str],
    options: DeidOptions,
    enhanced: bool,
    tokens: re.Pattern[str] | None,
    outcome: ProfileOutcome,
) -> None:
    for tag in list(ds.keys()):
        elem = ds[tag]
        group = tag >> 16
        # Private attributes, curves (50xx) and overlays (60xx): removed (Table E.1-1 rows
        # "Private attributes", "Curve Data", "Overlay Data", "Overlay Comments"); the
        # other attributes of a curve or overlay group describe what was removed.
        if tag.is_private or 0x5000 <= group <= 0x50FF or 0x6000 <= group <= 0x60FF:
            del ds[tag]
            outcome.removed += 1
            continue
        action = plan.get(int(tag))
        if action is not None:
            dated = date_action(int(tag), elem.VR, options)
            if dated is not None:
                action = dated
        if action is None:
            if elem.VR == "SQ":
                _walk_items(elem, plan, options, enhanced, tokens, outcome)
            continue
        _take_action(
            ds, elem, _resolve(action, int(tag), enhanced), plan, options, enhanced, tokens, outcome
        )


def _walk_items(
    elem: DataElement,
    plan: dict[int, str],
    options: DeidOptions,
    enhanced: bool,
    tokens: re.Pattern[str] | None,
    outcome: ProfileOutcome,
) -> None:
    for item in elem.value:
        _walk(item, plan, options, enhanced, tokens, outcome)


def _resolve(action: str, tag: int, enhanced: bool) -> str:
    """One action out of a combined one (X/Z, X/D, X/Z/D, Z/D, X/Z/U*).

    The most protective choice unless the attribute is known to be Type 1 where it is
    (:data:`TYPE1_WHEN_ENHANCED`); X/Z/U* keeps the references with their UIDs replaced,
    because they are Type 1 in the objects that carry them (a presentation state's
    Referenced Series, an SR's evidence) and replaced UIDs identify nobody.
    """
    if action == "X/Z/U*":
        return "U*"
    if action in ("X/Z", "X/D", "X/Z/D"):
        return "D" if enhanced and tag in TYPE1_WHEN_ENHANCED else "X"
    if action == "Z/D":
        return "D" if enhanced and tag in TYPE1_WHEN_ENHANCED else "Z"
    return action


def _take_action(
    ds: Dataset,
    elem: DataElement,
    action: str,
    plan: dict[int, str],
    options: DeidOptions,
    enhanced: bool,
    tokens: re.Pattern[str] | None,
    outcome: ProfileOutcome,
) -> None:
    vr = elem.VR
    if action == "X":
        del ds[elem.tag]
        outcome.removed += 1
    elif vr == "SQ":
        _sequence_action(elem, action, plan, options, enhanced, tokens, outcome)
    elif action in ("K", "C"):
        if action == "C" and vr in _TEXT_VRS and tokens is not None:
            elem.value = _clean_value(elem.value, tokens)
        # Dates cleaned (C, Modified Dates) are shifted by dicognito; the rest stays.
        if not (action == "C" and (vr in ("DA", "DT", "TM"))):
            outcome.leave.add(id(elem))
    elif action in ("U", "U*"):
        if vr != "UI":
            elem.value = _dummy(vr)
            outcome.leave.add(id(elem))
        # UIDs are replaced by dicognito, consistently across the export.
    elif action == "Z":
        if vr == "PN" or int(elem.tag) in PSEUDONYMISED_BY_DICOGNITO:
            return  # a pseudonym from dicognito: Z allows a dummy value
        elem.value = b"" if vr in ("OB", "OW", "UN") else ""
        outcome.removed += 1
        outcome.leave.add(id(elem))
    elif action == "D":
        if vr == "PN" or int(elem.tag) in PSEUDONYMISED_BY_DICOGNITO:
            return  # dicognito writes a pseudonym (a dummy drawn from the original)
        if vr == "UI":
            return  # a UI dummy is a replaced UID
        elem.value = _dummy(vr)
        outcome.leave.add(id(elem))


def _sequence_action(
    elem: DataElement,
    action: str,
    plan: dict[int, str],
    options: DeidOptions,
    enhanced: bool,
    tokens: re.Pattern[str] | None,
    outcome: ProfileOutcome,
) -> None:
    if action == "Z":
        elem.value = Sequence()
        outcome.removed += 1
        return
    if action == "D" and int(elem.tag) == PERSON_CODES:
        elem.value = Sequence([_dummy_code()])
        return
    # K and C: the items are cleaned by applying the profile to them (E.1.1); U*: their
    # UIDs are replaced; D: the same, and their free text replaced by a dummy.
    _walk_items(elem, plan, options, enhanced, tokens, outcome)
    if action == "D":
        for item in elem.value:
            _replace_free_text(item, outcome)


def _replace_free_text(ds: Dataset, outcome: ProfileOutcome) -> None:
    for elem in list(ds):
        if elem.VR == "SQ":
            for item in elem.value:
                _replace_free_text(item, outcome)
        elif elem.VR in _TEXT_VRS and elem.value and elem.keyword not in _CODED_STRUCTURE:
            elem.value = _DUMMY_TEXT
            outcome.leave.add(id(elem))


def _dummy(vr: str) -> object:
    if vr in _DUMMY_BY_VR:
        return _DUMMY_BY_VR[vr]
    if vr in ("OB", "OW", "OF", "OD", "OL", "OV", "UN"):
        return b"\x00\x00"
    return _DUMMY_TEXT


def _dummy_code() -> Dataset:
    item = Dataset()
    item.CodeValue = "ANONYMIZED"
    item.CodingSchemeDesignator = "99RADASSIST"
    item.CodeMeaning = "Anonymized"
    return item


# --------------------------------------------------------------------------------------
# Clean (C): descriptors keep their words, less any value the profile removes


def _identifying_tokens(ds: Dataset, plan: dict[int, str]) -> re.Pattern[str] | None:
    """A pattern matching every word of the values this pass removes or replaces.

    The Clean Descriptors Option replaces a descriptor "with values of similar meaning
    known not to contain identifying information": the descriptor keeps its words less
    any name, identifier or date the profile protects elsewhere in the object.
    """
    words: set[str] = set()

    def collect(dataset: Dataset) -> None:
        for elem in dataset:
            if elem.VR == "SQ":
                for item in elem.value:
                    collect(item)
                continue
            protected = plan.get(int(elem.tag), "K") not in ("K", "C") or elem.tag.is_private
            if not protected or elem.VR not in (*_TEXT_VRS, "PN", "DA", "DT", "CS"):
                continue
            values = elem.value if isinstance(elem.value, MultiValue | list) else [elem.value]
            for value in values:
                for word in re.split(r"[\s^=,;/\\.-]+", str(value)):
                    if len(word) >= _MIN_TOKEN:
                        words.add(word)

    collect(ds)
    if not words:
        return None
    ordered = sorted(words, key=len, reverse=True)
    return re.compile("|".join(re.escape(word) for word in ordered), re.IGNORECASE)


def _clean_value(value: object, tokens: re.Pattern[str]) -> object:
    if isinstance(value, MultiValue | list):
        return [_clean_text(str(v), tokens) for v in value]
    return _clean_text(str(value), tokens)


def _clean_text(text: str, tokens: re.Pattern[str]) -> str:
    cleaned = " ".join(tokens.sub(" ", text).split())
    return cleaned
