"""What an export did: the files written, the images flagged, the files skipped."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from core.errors import RadAssistError

logger = logging.getLogger(__name__)


class NothingToExportError(RadAssistError):
    """Nothing could be exported: nothing readable, or every image flagged and left out."""


class ExportCheckError(RadAssistError):
    """The written export did not read back as what was written; it was discarded."""


@dataclass(frozen=True)
class ExportedFile:
    """One object written: its path inside the export folder (``/`` separated)."""

    path: str
    sop_class_uid: str
    study_instance_uid: str


@dataclass(frozen=True)
class FlaggedFile:
    """An image that may show patient data in its pixels, and whether it was exported."""

    source: str
    reason: str
    included: bool


@dataclass(frozen=True)
class SkippedFile:
    """A source file that was not exported, and why (never patient data)."""

    source: str
    reason: str


@dataclass(frozen=True)
class ExportResult:
    """The outcome of one export.

    Attributes
    ----------
    out_dir : str
        The finished export folder.
    deidentified : bool
        Whether the objects were de-identified (PS3.15 Basic profile).
    retained : tuple of str
        The retained options, by their command-line names.
    dicomdir : str or None
        ``"DICOMDIR"`` (its path in ``out_dir``) for a media export.
    exported, flagged, skipped
        The objects written; the images flagged for burned-in annotation (with
        ``included`` saying whether they were written anyway); the files not written.
    studies : tuple of str
        Study Instance UIDs in the export (the replaced ones when de-identified).
    """

    out_dir: str
    deidentified: bool
    retained: tuple[str, ...]
    dicomdir: str | None
    exported: tuple[ExportedFile, ...]
    flagged: tuple[FlaggedFile, ...]
    skipped: tuple[SkippedFile, ...]
    studies: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (the ``--json`` output of ``radassist anonymize``)."""
        return {
            "out_dir": self.out_dir,
            "deidentified": self.deidentified,
            "profile": "basic" if self.deidentified else None,
            "retained": list(self.retained),
            "dicomdir": self.dicomdir,
            "exported": len(self.exported),
            "studies": list(self.studies),
            "files": [
                {
                    "path": f.path,
                    "sop_class_uid": f.sop_class_uid,
                    "study_instance_uid": f.study_instance_uid,
                }
                for f in self.exported
            ],
            "flagged": [
                {"file": f.source, "reason": f.reason, "included": f.included} for f in self.flagged
            ],
            "skipped": [{"file": s.source, "reason": s.reason} for s in self.skipped],
        }
