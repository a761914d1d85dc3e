"""The local study archive: objects stored by UID, and an SQLite index of them.

:class:`Archive` is one archive folder::

    <archive>/index.sqlite               the index (WAL mode; see core.archive.database)
    <archive>/files/<study>/<series>/<instance>.dcm    the objects (see core.archive.layout)

An object is written first (atomically, never modified afterwards), its rows second,
in a transaction: a kill at any moment leaves at worst a file without rows, which
:meth:`Archive.check` adopts, never a row that points at nothing. An index that is
missing or unreadable is rebuilt from the files when the archive is opened
(:attr:`Archive.rebuild_reason` says why; ``Archive(folder, rebuild=False)`` leaves
the rebuild to the caller, who runs :meth:`Archive.rebuild` as a job with progress).
Until a rebuild has committed, a marker file beside the index says one is owed, so a
rebuild that was cancelled or killed is done again at the next opening, never taken
for a complete index.

Thread-safe: one lock serialises writers of one ``Archive`` object (the receiving
node stores from its own threads); several processes share an archive through SQLite.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import pydicom

from core.archive import maintenance
from core.archive.database import (
    INDEX_NAME,
    IndexUnreadableError,
    connect,
)
from core.archive.errors import ArchiveError, StudyNotFoundError
from core.archive.ingest import (
    ObjectFacts,
    StoredHeader,
    dataset_bytes,
    facts_of,
    facts_of_part10,
    read_facts,
    read_stored_header,
)
from core.archive.layout import (
    FILES_FOLDER,
    path_part,
    relative_path,
    store_bytes,
)
from core.archive.queries import (
    build_study_index,
    patient_study_rows,
    search_studies,
    study_body_parts,
    study_row,
)
from core.archive.rows import CheckResult, ImportResult, RetentionResult, StudyRow
from core.archive.writing import DuplicateObjectError, insert_object
from core.dicom.records import FileRef, StudyIndex
from core.jobs import CancelToken, Progress, run_job
from core.paths import (
    make_private_dir,
    make_private_file,
    sync_files,
    sync_folders,
    user_data_dir,
)

logger = logging.getLogger(__name__)

#: Rows written in one transaction inside :meth:`Archive.batch` (or after this many seconds).
BATCH_ROWS: Final = 256
BATCH_SECONDS: Final = 0.5
#: Beside the index while a rebuild is owed (the index was missing or unreadable, or the
#: last rebuild did not finish); removed when a rebuild commits.
REBUILD_MARKER: Final = "index.rebuild-pending"
#: Why an archive's index must be rebuilt (:attr:`Archive.rebuild_reason`).
REBUILD_REASONS: Final = ("missing", "unreadable", "unfinished")


def default_archive_dir() -> Path:
    """The archive folder of this user: ``<user data dir>/archive``."""
    return user_data_dir() / "archive"


def archive_exists(folder: str | os.PathLike[str] | None = None) -> bool:
    """Whether ``folder`` (default :func:`default_archive_dir`) holds an archive already.

    For callers that use the archive where there is one and must not create it (a
    headless ``draft`` looking for priors).
    """
    root = Path(folder) if folder is not None else default_archive_dir()
    return (root / INDEX_NAME).is_file() or (root / FILES_FOLDER).is_dir()


def now_iso() -> str:
    """The time now, ISO 8601 UTC with microseconds (sorts as text)."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


class Archive:
    """One archive folder (created owner-only when missing).

    Parameters
    ----------
    root : str or os.PathLike, optional
        The folder; default :func:`default_archive_dir`.
    rebuild : bool, optional
        True (default): an index that is missing, unreadable (kept aside) or whose last
        rebuild did not finish is rebuilt from the files here, before returning. False:
        it is only set aside and replaced by an empty one; :attr:`needs_rebuild` and
        :attr:`rebuild_reason` say so, and the caller runs :meth:`rebuild` (a job with
        progress and cancel). Until a rebuild commits, every opening owes one.

    Raises
    ------
    OSError
        The folder cannot be created.
    """

    def __init__(self, root: str | os.PathLike[str] | None = None, *, rebuild: bool = True) -> None:
        if root is not None and not isinstance(root, str | os.PathLike):
            raise TypeError(f"root must be a path or None, found {type(root).__name__}")
        if not isinstance(rebuild, bool):
            raise TypeError(f"rebuild must be a bool, found {type(rebuild).__name__}")
        folder = default_archive_dir() if root is None else Path(root).expanduser()
        self.root = Path(os.path.abspath(folder))
        make_private_dir(self.root, tighten=True)
        self.files_root = make_private_dir(self.root / FILES_FOLDER, tighten=True)
        self._lock = threading.RLock()
        self._batch_depth = 0
        self._pending = 0
        self._pending_since = 0.0
        self._dirty: set[Path] = set()
        self._unsynced: list[Path] = []  # files written since the last commit, not yet fsync-ed
        self._hold = False  # a rebuild's one transaction: nothing commits until it ends
        #: Why the index must be rebuilt from the files: one of :data:`REBUILD_REASONS`,
        #: ``""`` when it need not be.
        self.rebuild_reason = ""
        #: Where an unreadable index was kept aside (None when none was).
        self.damaged_index: Path | None = None
        self._db = self._open_index()
        if rebuild and self.needs_rebuild:
            run_job(self.rebuild())

    # ------------------------------------------------------------------ opening

    @property
    def index_path(self) -> Path:
        """The SQLite index file."""
        return self.root / INDEX_NAME

    @property
    def needs_rebuild(self) -> bool:
        """True while the index owes a rebuild from the files (see :attr:`rebuild_reason`)."""
        return bool(self.rebuild_reason)

    @property
    def rebuild_marker(self) -> Path:
        """The file that says a rebuild is owed (present from the moment the index was found
        missing or unreadable until a rebuild has committed)."""
        return self.root / REBUILD_MARKER

    def rebuild_note(self) -> str:
        """What to tell the user about why the index is (or was) rebuilt; ``""`` when not.

        Names no patient data: the folder's files and the damaged index's name only.
        """
        if self.rebuild_reason == "unreadable":
            aside = self.damaged_index
            kept = f" (the damaged index is kept as {aside.name})" if aside is not None else ""
            return (
                f"The study archive's index could not be read; it was rebuilt from the files{kept}."
            )
        if self.rebuild_reason == "missing":
            return "The study archive's index was missing; it was rebuilt from the files."
        if self.rebuild_reason == "unfinished":
            return (
                "The study archive's index had not finished being rebuilt (cancelled or "
                "stopped); it was rebuilt from the files."
            )
        return ""

    def _open_index(self) -> Any:
        """Open the index; decide whether it owes a rebuild (one owner of that rule).

        Missing while files exist, unreadable (kept aside, replaced by an empty one), or
        a rebuild marker left by a rebuild that never committed: :attr:`rebuild_reason`
        is set and the marker is written *before* the empty index is, so a kill at any
        point leaves an archive that still rebuilds at its next opening.
        """
        path = self.index_path
        existed = path.exists() and path.stat().st_size > 0
        if not existed and any(self.files_root.iterdir()):
            logger.warning("the archive index %s was missing; rebuilding it from the files", path)
            self._owe_rebuild("missing")
        make_private_file(path)
        try:
            db = connect(path, create=True)
        except IndexUnreadableError as error:
            aside = path.with_name(f"{INDEX_NAME}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
            logger.warning(
                "the archive index %s cannot be read (%s); it is kept aside as %s and "
                "rebuilt from the files",
                path,
                error,
                aside.name,
            )
            self._owe_rebuild("unreadable")
            os.replace(path, aside)
            self.damaged_index = aside
            for suffix in ("-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(f"{path}{suffix}")
            make_private_file(path)
            db = connect(path, create=True)
        self._db = db
        if not self.rebuild_reason and self.rebuild_marker.exists():
            logger.warning(
                "the last rebuild of the archive index %s did not finish; rebuilding it", path
            )
            self.rebuild_reason = "unfinished"
        if not self.rebuild_reason:
            self._finish_deletions()
        return db

    def _owe_rebuild(self, reason: str) -> None:
        self.rebuild_reason = reason
        make_private_file(self.rebuild_marker)

    def _rebuilt(self) -> None:
        """A rebuild has committed: the index is whole again (called by the rebuild job)."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.rebuild_marker)
        self.rebuild_reason = ""

    def close(self) -> None:
        """Commit what is pending and close the index."""
        with self._lock:
            self._commit()
            self._db.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ transactions

    @contextlib.contextmanager
    def batch(self) -> Iterator[Archive]:
        """Store many objects with fewer commits (rows are committed every few hundred).

        What was stored before an error in the block stays stored (each object is
        whole: file and rows). Nested batches join the outer one.
        """
        with self._lock:
            self._batch_depth += 1
        try:
            yield self
        finally:
            with self._lock:
                self._batch_depth -= 1
                if self._batch_depth == 0:
                    self._commit()

    begin_batch = batch

    def _commit(self) -> None:
        if self._db.in_transaction:
            # The batch's files, then the renames into their folders, are durable before
            # the rows that say they are stored: one group sync, not one per file.
            sync_files(self._unsynced)
            sync_folders(self._dirty)
            self._db.execute("COMMIT")
        self._unsynced.clear()
        self._dirty.clear()
        self._pending = 0

    @contextlib.contextmanager
    def _writing(self) -> Iterator[Any]:
        """One object's rows: a savepoint inside the (batch) transaction."""
        with self._lock:
            if not self._db.in_transaction:
                self._db.execute("BEGIN IMMEDIATE")
                self._pending_since = time.monotonic()
            self._db.execute("SAVEPOINT object")
            try:
                yield self._db
            except BaseException:
                if self._db.in_transaction:  # SQLite may have rolled back all by itself
                    self._db.execute("ROLLBACK TO object")
                    self._db.execute("RELEASE object")
                if self._batch_depth == 0 and not self._hold:
                    self._commit()
                raise
            self._db.execute("RELEASE object")
            self._pending += 1
            if not self._hold and (
                self._batch_depth == 0
                or self._pending >= BATCH_ROWS
                or time.monotonic() - self._pending_since > BATCH_SECONDS
            ):
                self._commit()

    # ------------------------------------------------------------------ storing

    def contains(self, sop_instance_uid: str) -> bool:
        """Whether an object with this SOP Instance UID is in the archive."""
        with self._lock:
            found = self._db.execute(
                "SELECT 1 FROM instances WHERE sop_uid = ?", (sop_instance_uid.strip(),)
            ).fetchone()
        return found is not None

    def accept(self, dataset: pydicom.Dataset, *, source: str) -> bool:
        """Store one received object.

        Parameters
        ----------
        dataset : pydicom.Dataset
            The object; its File Meta Information may be missing (completed from the
            data set and its transfer syntax).
        source : str
            Where it came from (a node's name or AE title), kept in the index.

        Returns
        -------
        bool
            True when stored, False when an object with its SOP Instance UID was
            already in the archive (not stored twice).

        Raises
        ------
        ArchiveError
            The data set lacks a Study, Series or SOP Instance UID or SOP Class UID,
            or one cannot be a UID; nothing was stored.
        OSError
            The file could not be written (full disk); nothing was stored.
        """
        if not isinstance(dataset, pydicom.Dataset):
            raise TypeError(f"dataset must be a pydicom Dataset, found {type(dataset).__name__}")
        facts = facts_of(dataset, FileRef("(received object)"))
        with self._lock:
            if self.contains(facts.sop_uid):
                return False
            data = dataset_bytes(dataset, facts)
            return self._store_copy(facts, data, source)

    def accept_encoded(self, data: bytes, *, source: str) -> bool:
        """Store one object received already encoded as a DICOM Part 10 file; see :meth:`accept`.

        The faster path for a receiving node: the bytes are stored as they are (no
        decoding and encoding again); pynetdicom gives them with
        ``event.encoded_dataset(include_meta=True)``.

        Raises
        ------
        ArchiveError
            The bytes are not a Part 10 file or lack the UIDs the archive needs.
        OSError
            The file could not be written.
        """
        if not isinstance(data, bytes | bytearray | memoryview):
            raise TypeError(f"data must be bytes, found {type(data).__name__}")
        encoded = bytes(data)
        facts = facts_of_part10(encoded)
        with self._lock:
            if self.contains(facts.sop_uid):
                return False
            return self._store_copy(facts, encoded, source)

    def accept_file(self, path: str | os.PathLike[str], *, source: str) -> bool:
        """Copy one DICOM file into the archive; see :meth:`accept`.

        Raises
        ------
        ArchiveError
            The file is not DICOM, cannot be read, or lacks the UIDs it needs.
        OSError
            The copy could not be written.
        """
        return self._accept_ref(FileRef(os.path.abspath(os.fspath(path))), source, copy=True)

    def index_file(self, path: str | os.PathLike[str], *, source: str) -> bool:
        """Index one DICOM file where it is, by reference (it is never modified).

        Raises
        ------
        ArchiveError
            The file is not DICOM, cannot be read, or lacks the UIDs it needs.
        """
        return self._accept_ref(FileRef(os.path.abspath(os.fspath(path))), source, copy=False)

    def _accept_ref(self, ref: FileRef, source: str, *, copy: bool) -> bool:
        return self.store_ref(ref, source, copy=copy)[0]

    def store_ref(self, ref: FileRef, source: str, *, copy: bool) -> tuple[bool, str]:
        """Store (or index) one object of a scan listing; (stored, its Study Instance UID)."""
        facts = read_facts(ref)
        with self._lock:
            if self.contains(facts.sop_uid):
                return False, facts.study_uid
            if copy:
                with ref.open() as stream:
                    data = stream.read()
                return self._store_copy(facts, data, source), facts.study_uid
            header = read_stored_header(ref)
            size = os.path.getsize(ref.path) if ref.member is None else 0
            stored = self._insert(facts, header, ref, copied=False, size=size, source=source)
        return stored, facts.study_uid

    def _store_copy(self, facts: ObjectFacts, data: bytes, source: str) -> bool:
        relative = relative_path(facts.study_uid, facts.series_uid, facts.sop_uid)
        path, folders = store_bytes(self.files_root, relative, data, sync=False)
        self._unsynced.append(path)
        self._dirty.update(folders)
        ref = FileRef(str(path))
        try:
            header = read_stored_header(ref)
        except ArchiveError:
            os.unlink(path)  # a DICOMDIR or a data set that is not DICOM: not kept
            raise
        return self._insert(facts, header, ref, copied=True, size=len(data), source=source)

    def _insert(
        self,
        facts: ObjectFacts,
        header: StoredHeader,
        ref: FileRef,
        *,
        copied: bool,
        size: int,
        source: str,
        received_at: str | None = None,
    ) -> bool:
        stored_path = (
            os.path.relpath(ref.path, self.files_root).replace(os.sep, "/") if copied else ref.path
        )
        try:
            with self._writing() as db:
                insert_object(
                    db,
                    facts,
                    header,
                    stored_path=stored_path,
                    member=ref.member,
                    copied=copied,
                    size=size,
                    source=source,
                    received=received_at or now_iso(),
                )
        except DuplicateObjectError:
            logger.info("object %s was stored by another process meanwhile", facts.sop_uid)
            return False
        return True

    # ------------------------------------------------------------------ reading

    def search(self, text: str = "", *, limit: int = 200, order: str = "date") -> list[StudyRow]:
        """Studies whose patient name, patient ID, accession, description or modality
        contain every word of ``text`` (case-insensitive), in ``order``.

        Parameters
        ----------
        text : str, optional
            Words typed so far; empty lists every study.
        limit : int, optional
            At most this many rows (1..100000).
        order : {"date", "received", "opened", "name"}, optional
            Study date newest first (default), received newest first, opened most
            recently first, or patient name.
        """
        with self._lock:
            return search_studies(self._db, text, limit, order)

    def study(self, study_uid: str) -> StudyRow:
        """The study list's row of one study.

        Raises
        ------
        StudyNotFoundError
            No such study in the archive.
        """
        with self._lock:
            return study_row(self._db, study_uid.strip())

    def patient_studies(self, patient_id: str, issuer: str = "") -> list[StudyRow]:
        """Every study of a patient (same Patient ID and issuer), newest first (for priors)."""
        with self._lock:
            return patient_study_rows(self._db, patient_id, issuer)

    def study_body_parts(self, study_uids: Sequence[str]) -> dict[str, tuple[str, ...]]:
        """Body Part Examined of each study's series (studies with none are left out)."""
        with self._lock:
            return study_body_parts(self._db, [uid.strip() for uid in study_uids])

    def study_index(self, study_uid: str) -> StudyIndex:
        """The study's records, built from the index alone (no file is opened).

        The records are those :func:`core.dicom.index.scan` builds from the same files;
        a file indexed by reference that has gone is listed as unreadable.

        Raises
        ------
        StudyNotFoundError
            No such study in the archive.
        """
        with self._lock:
            return build_study_index(self._db, self.files_root, study_uid.strip())

    def size_bytes(self) -> int:
        """Bytes of the files stored in the archive (references not counted)."""
        with self._lock:
            (total,) = self._db.execute(
                "SELECT COALESCE(SUM(size_bytes), 0) FROM studies"
            ).fetchone()
        return int(total)

    def mark_opened(self, study_uid: str) -> None:
        """Record that the study was opened now (retention removes the least recent first).

        Raises
        ------
        StudyNotFoundError
            No such study in the archive.
        """
        uid = study_uid.strip()
        with self._lock:
            self._commit_unless_batching()
            cursor = self._db.execute(
                "UPDATE studies SET last_opened = ? WHERE study_uid = ?", (now_iso(), uid)
            )
        if cursor.rowcount == 0:
            raise StudyNotFoundError(f"no study with UID {uid} in the archive")

    def _commit_unless_batching(self) -> None:
        if self._batch_depth == 0:
            self._commit()

    # ------------------------------------------------------------------ removing

    def delete_study(self, study_uid: str) -> None:
        """Remove a study: its rows first (one transaction), then its stored files.

        Files indexed by reference are never touched. A kill between the two steps
        leaves files that :meth:`check` (and the next opening) removes.

        Raises
        ------
        StudyNotFoundError
            No such study in the archive.
        """
        uid = study_uid.strip()
        with self._lock:
            self._commit()
            self._db.execute("BEGIN IMMEDIATE")
            try:
                found = self._db.execute(
                    "SELECT patient FROM studies WHERE study_uid = ?", (uid,)
                ).fetchone()
                if found is None:
                    raise StudyNotFoundError(f"no study with UID {uid} in the archive")
                self._db.execute(
                    "INSERT OR REPLACE INTO deletions (study_uid, folder) VALUES (?, ?)",
                    (uid, path_part(uid)),  # the UID passed check_uid when it was stored
                )
                for table in ("instances", "series", "studies"):
                    self._db.execute(f"DELETE FROM {table} WHERE study_uid = ?", (uid,))
                self._db.execute(
                    "DELETE FROM patients WHERE id = ? AND NOT EXISTS "
                    "(SELECT 1 FROM studies WHERE patient = ?)",
                    (found[0], found[0]),
                )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            self._finish_deletions()
        logger.info("deleted study %s from the archive", uid)

    def _finish_deletions(self) -> int:
        """Remove the files of deleted studies (after a kill: at the next opening)."""
        removed = 0
        with self._lock:
            pending = self._db.execute("SELECT study_uid, folder FROM deletions").fetchall()
            for uid, folder in pending:
                if self._db.execute("SELECT 1 FROM studies WHERE study_uid = ?", (uid,)).fetchone():
                    pass  # stored again since: its new files stay
                else:
                    target = self.files_root / folder
                    if target.is_dir():
                        removed += sum(len(files) for _, _, files in os.walk(target))
                        shutil.rmtree(target, ignore_errors=True)
                self._db.execute("DELETE FROM deletions WHERE study_uid = ?", (uid,))
        return removed

    def enforce_limit(self, max_bytes: int, *, protected: Callable[[str], bool]) -> RetentionResult:
        """Remove least-recently-opened studies until the archive holds ``max_bytes`` or less.

        Parameters
        ----------
        max_bytes : int
            The size limit (files stored in the archive; references cost nothing).
        protected : callable
            ``protected(study_uid)`` True keeps the study whatever its age (the app
            passes :func:`core.archive.has_unsigned_draft`).
        """
        return maintenance.enforce_limit(self, max_bytes, protected)

    # ------------------------------------------------------------------ jobs

    def import_folder(
        self,
        path: str | os.PathLike[str],
        *,
        copy: bool = True,
        source: str = "import",
        token: CancelToken | None = None,
    ) -> Generator[Progress, None, ImportResult]:
        """Import a folder, DICOMDIR, .zip or file: copied, or indexed by reference (a job).

        See :func:`core.archive.maintenance.import_folder`.
        """
        return maintenance.import_folder(self, path, copy=copy, source=source, token=token)

    def rebuild(self, token: CancelToken | None = None) -> Generator[Progress, None, CheckResult]:
        """Rebuild the index from the files (a job); see :func:`.maintenance.rebuild`."""
        return maintenance.rebuild(self, token)

    def check(self) -> CheckResult:
        """Repair what a kill left (see :func:`core.archive.maintenance.check`)."""
        return maintenance.check(self)
