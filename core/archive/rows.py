"""What the study list shows of a study, and the results of the archive's jobs."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.dicom.records import UnreadableFile


@dataclass(frozen=True)
class StudyRow:
    """One study of the archive, as the study list shows it.

    ``size_bytes`` counts the files stored in the archive (a study indexed by
    reference takes no room there). Times are ISO 8601, UTC. ``modalities`` are the
    series' modalities, sorted. Patient fields hold patient data: never log them.
    """

    study_uid: str
    patient_name: str = field(repr=False)
    patient_id: str = field(repr=False)
    issuer: str = field(repr=False)
    birth_date: str = field(repr=False)
    sex: str
    study_date: str
    study_time: str
    description: str = field(repr=False)
    accession: str = field(repr=False)
    modalities: tuple[str, ...]
    series_count: int
    instance_count: int
    size_bytes: int
    source: str
    received_at: str
    last_opened: str | None

    def as_json(self) -> dict[str, object]:
        """The row as a JSON-ready mapping (for ``radassist archive list --json``)."""
        return {
            "study_uid": self.study_uid,
            "patient_name": self.patient_name,
            "patient_id": self.patient_id,
            "issuer": self.issuer,
            "birth_date": self.birth_date,
            "sex": self.sex,
            "study_date": self.study_date,
            "study_time": self.study_time,
            "description": self.description,
            "accession": self.accession,
            "modalities": list(self.modalities),
            "series_count": self.series_count,
            "instance_count": self.instance_count,
            "size_bytes": self.size_bytes,
            "source": self.source,
            "received_at": self.received_at,
            "last_opened": self.last_opened,
        }


@dataclass(frozen=True)
class ImportResult:
    """What importing a folder did.

    ``added``: objects new to the archive; ``already``: objects whose SOP Instance
    UID was already in it (not stored twice); ``failed``: files not imported, each
    with why (no patient data); ``studies``: the studies the objects belong to.
    """

    added: int
    already: int
    failed: tuple[UnreadableFile, ...]
    studies: tuple[str, ...]
    copied: bool


@dataclass(frozen=True)
class RetentionResult:
    """What :meth:`core.archive.Archive.enforce_limit` removed and kept.

    ``protected``: studies that were candidates but protected (an unsigned draft).
    ``size_bytes``: what the archive holds afterwards.
    """

    removed: tuple[str, ...]
    protected: tuple[str, ...]
    size_bytes: int


@dataclass(frozen=True)
class CheckResult:
    """What :meth:`core.archive.Archive.check` and ``rebuild`` found and repaired.

    ``indexed``: objects indexed (rebuild) or orphan files adopted (check);
    ``dropped_rows``: rows of copies whose file had gone (removed);
    ``missing_references``: files indexed by reference that have gone (kept, reported);
    ``removed_files``: leftovers removed (temporary files, files of deleted studies);
    ``unusable``: files under the archive that could not be indexed, with why;
    ``index_problems``: what SQLite's ``quick_check`` found wrong in the index file
    (check only; when not empty, run :meth:`core.archive.Archive.rebuild`).
    """

    indexed: int = 0
    dropped_rows: int = 0
    missing_references: tuple[str, ...] = ()
    removed_files: int = 0
    unusable: tuple[UnreadableFile, ...] = ()
    index_problems: tuple[str, ...] = ()
