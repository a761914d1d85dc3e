"""What a de-identified export keeps: the profile and its retained options (PS3.15 E.3).

One :class:`DeidOptions` is chosen per export. The profile is always the Basic
Application Level Confidentiality Profile (PS3.15 E.2); the options say which groups of
attributes the export keeps (or cleans instead of removing), and each is recorded in the
output as a code of CID 7050 "De-identification Method" in De-identification Method Code
Sequence (0012,0064), beside Patient Identity Removed (0012,0062) = YES.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from core.errors import UsageError

logger = logging.getLogger(__name__)

#: The only profile offered (``--profile basic``).
BASIC_PROFILE: Final = "basic"
#: Coding scheme of the CID 7050 codes.
DCM: Final = "DCM"
#: CID 7050 code of the Basic Application Confidentiality Profile.
BASIC_PROFILE_CODE: Final = ("113100", "Basic Application Confidentiality Profile")


class RetainOption(StrEnum):
    """A retained option of PS3.15 E.3, by its command-line spelling."""

    FULL_DATES = "full-dates"
    MODIFIED_DATES = "modified-dates"
    PATIENT_CHARACTERISTICS = "patient-characteristics"
    DEVICE_IDENTITY = "device-identity"
    INSTITUTION_IDENTITY = "institution-identity"
    CLEAN_DESCRIPTORS = "clean-descriptors"


#: CID 7050 code (value, meaning) of each option (PS3.16; meanings as pydicom's codes spell them).
OPTION_CODES: Final[dict[RetainOption, tuple[str, str]]] = {
    RetainOption.FULL_DATES: (
        "113106",
        "Retain Longitudinal Temporal Information Full Dates Option",
    ),
    RetainOption.MODIFIED_DATES: (
        "113107",
        "Retain Longitudinal Temporal Information Modified Dates Option",
    ),
    RetainOption.PATIENT_CHARACTERISTICS: ("113108", "Retain Patient Characteristics Option"),
    RetainOption.DEVICE_IDENTITY: ("113109", "Retain Device Identity Option"),
    RetainOption.INSTITUTION_IDENTITY: ("113112", "Retain Institution Identity Option"),
    RetainOption.CLEAN_DESCRIPTORS: ("113105", "Clean Descriptors Option"),
}


@dataclass(frozen=True)
class DeidOptions:
    """The profile and retained options of one de-identified export.

    Parameters
    ----------
    retain : frozenset of RetainOption
        The options chosen (none: the Basic profile alone). Full Dates and Modified
        Dates exclude each other.
    profile : str
        ``"basic"``, the only profile offered.
    """

    retain: frozenset[RetainOption] = field(default_factory=frozenset)
    profile: str = BASIC_PROFILE

    def __post_init__(self) -> None:
        if self.profile != BASIC_PROFILE:
            raise UsageError(
                f"unknown de-identification profile {self.profile!r}: only "
                f"{BASIC_PROFILE!r} (PS3.15 Basic Application Level Confidentiality Profile)"
            )
        if not isinstance(self.retain, frozenset) or not all(
            isinstance(option, RetainOption) for option in self.retain
        ):
            raise TypeError("retain must be a frozenset of RetainOption")
        if {RetainOption.FULL_DATES, RetainOption.MODIFIED_DATES} <= self.retain:
            raise UsageError(
                "choose one of the retain options full-dates and modified-dates, not both"
            )

    @classmethod
    def from_names(cls, names: Iterable[str], profile: str = BASIC_PROFILE) -> DeidOptions:
        """Options from their command-line names (``"full-dates"``…).

        Raises
        ------
        core.errors.UsageError
            A name is not one of :class:`RetainOption`.
        """
        chosen: set[RetainOption] = set()
        for name in names:
            try:
                chosen.add(RetainOption(name))
            except ValueError:
                known = ", ".join(option.value for option in RetainOption)
                raise UsageError(f"unknown retain option {name!r}: one of {known}") from None
        return cls(retain=frozenset(chosen), profile=profile)

    def method_codes(self) -> list[tuple[str, str]]:
        """CID 7050 (value, meaning) pairs: the profile first, then each option, sorted."""
        options = sorted(OPTION_CODES[option] for option in self.retain)
        return [BASIC_PROFILE_CODE, *options]

    def method_text(self) -> str:
        """De-identification Method (0012,0063): a plain description, at most 64 characters."""
        return "RADASSIST (DICOGNITO) PS3.15 BASIC PROFILE" + (
            " WITH OPTIONS" if self.retain else ""
        )
