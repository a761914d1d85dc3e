"""De-identifying datasets, one export at a time: Table E.1-1 pass, then dicognito.

One :class:`Deidentifier` serves a whole export, so every UID is replaced by the same
new UID wherever it appears — in the object that owns it and in every reference to it
(an SR's Referenced SOP Instance UID, a presentation state's Referenced Series) — and a
patient's pseudonym is the same in all of the export's files (PS3.15 E.1.1 note 3).
"""

from __future__ import annotations

import logging
import secrets
from typing import TYPE_CHECKING, Any, Final, cast

import pydicom
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence

from core.deid.options import DCM, DeidOptions, RetainOption
from core.deid.profile import apply_profile
from core.deid.table import planned_actions

if TYPE_CHECKING:
    from collections.abc import Iterator

    from dicognito.element_anonymizer import ElementAnonymizer

logger = logging.getLogger(__name__)

#: Implementation Version Name written in the new File Meta Information (PS3.15 E.1.1 item 7).
IMPLEMENTATION_VERSION_NAME: Final = "RADASSIST_DEID"


class Deidentifier:
    """Applies one export's profile and options to each dataset given.

    Parameters
    ----------
    options : DeidOptions
        The profile and retained options of the export.
    """

    def __init__(self, options: DeidOptions) -> None:
        if not isinstance(options, DeidOptions):
            raise TypeError(f"options must be DeidOptions, found {type(options).__name__}")
        # dicognito is imported when an export starts, not when the app does.
        from dicognito.anonymizer import Anonymizer

        self.options = options
        # A fresh secret seed per export: its pseudonyms and UIDs cannot be recomputed
        # from the originals by anyone without it (the seed is never stored).
        seed = secrets.token_hex(32)
        self._anonymizer = Anonymizer(seed=seed)
        self._leave: set[int] = set()
        # Handlers are duck-typed ElementAnonymizers (dicognito calls them, nothing more);
        # the last added runs first.
        self._anonymizer.add_element_handler(
            cast("ElementAnonymizer", _ClassNamedUidReplacer(seed, options))
        )
        self._anonymizer.add_element_handler(
            cast("ElementAnonymizer", _LeaveAlone(self._leave, options))
        )

    def deidentify(self, ds: Dataset, *, identity_removed: bool = True) -> None:
        """De-identify ``ds`` in place and record how (PS3.15 E.1.1 item 6).

        Parameters
        ----------
        ds : pydicom.dataset.Dataset
            A dataset read from a file (its File Meta Information is rewritten).
        identity_removed : bool
            Patient Identity Removed (0012,0062): False for an image the caller chose
            to export although it may carry burned-in text (``NO``).
        """
        outcome = apply_profile(ds, self.options)
        self._leave.clear()
        self._leave.update(outcome.leave)
        try:
            self._anonymizer.anonymize(ds)
        finally:
            self._leave.clear()
        _record_method(ds, self.options, identity_removed)
        _replace_file_meta(ds)


class _LeaveAlone:
    """dicognito handler, run first: elements the table pass kept, cleaned or filled.

    Also keeps every date and time under the Full Dates option (dicognito would shift
    them), and every attribute an option keeps.
    """

    def __init__(self, leave: set[int], options: DeidOptions) -> None:
        self._leave = leave
        self._full_dates = RetainOption.FULL_DATES in options.retain
        self._kept = {tag for tag, action in planned_actions(options).items() if action == "K"}

    def __call__(self, dataset: Dataset, element: DataElement) -> bool:
        if id(element) in self._leave:
            return True
        if self._full_dates and element.VR in ("DA", "DT", "TM"):
            return True
        return element.VR != "SQ" and int(element.tag) in self._kept

    def describe_actions(self) -> Iterator[str]:
        yield "Keep what PS3.15 Table E.1-1 and the retained options keep"


class _ClassNamedUidReplacer:
    """dicognito handler for U rows whose keyword ends in ClassUID.

    dicognito leaves every ``...ClassUID`` alone (SOP classes are not identifying), but
    Table E.1-1 row "Manufacturer's Device Class UID (0018,100B)" is U; it is replaced
    here with dicognito's own UI rule (same seed, so the same UID maps alike).
    """

    def __init__(self, seed: str, options: DeidOptions) -> None:
        from dicognito.randomizer import Randomizer

        self._randomizer = Randomizer(seed)
        self._tags = {
            tag
            for tag, action in planned_actions(options).items()
            if action == "U" and pydicom.datadict.keyword_for_tag(tag).endswith("ClassUID")
        }

    def __call__(self, dataset: Dataset, element: DataElement) -> bool:
        if int(element.tag) not in self._tags or not element.value:
            return False
        values = element.value if isinstance(element.value, list) else [element.value]
        replaced = ["2." + str(10**39 + self._randomizer.to_int(str(v))) for v in values]
        element.value = replaced if len(replaced) > 1 else replaced[0]
        return True

    def describe_actions(self) -> Iterator[str]:
        yield "Replace Manufacturer's Device Class UID"


def _record_method(ds: Dataset, options: DeidOptions, identity_removed: bool) -> None:
    """Patient Identity Removed, De-identification Method and its Code Sequence."""
    ds.PatientIdentityRemoved = "YES" if identity_removed else "NO"
    ds.DeidentificationMethod = options.method_text()
    items = []
    for value, meaning in options.method_codes():
        item = Dataset()
        item.CodeValue = value
        item.CodingSchemeDesignator = DCM
        item.CodeMeaning = meaning
        items.append(item)
    ds.DeidentificationMethodCodeSequence = Sequence(items)


def _replace_file_meta(ds: Any) -> None:
    """New File Meta Information and an empty preamble (PS3.15 E.1.1 item 7)."""
    old = getattr(ds, "file_meta", None)
    transfer_syntax = getattr(old, "TransferSyntaxUID", None) or pydicom.uid.ExplicitVRLittleEndian
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = transfer_syntax
    meta.ImplementationClassUID = pydicom.uid.PYDICOM_IMPLEMENTATION_UID
    meta.ImplementationVersionName = IMPLEMENTATION_VERSION_NAME
    ds.file_meta = meta
    if hasattr(ds, "preamble"):
        ds.preamble = b"\x00" * 128
