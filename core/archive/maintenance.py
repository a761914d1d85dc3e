"""The archive's longer work: importing a folder, rebuilding the index, checking, retention.

Each long task is a job (:mod:`core.jobs`): a generator that takes a cancel token,
yields :class:`~core.jobs.Progress` and returns its result.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from collections.abc import Callable, Generator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from core.archive.errors import ArchiveError
from core.archive.ingest import read_facts, read_stored_header
from core.archive.layout import SUFFIX, is_temporary
from core.archive.rows import CheckResult, ImportResult, RetentionResult
from core.dicom.records import FileRef, UnreadableFile
from core.dicom.sources import list_sources
from core.jobs import CancelToken, Progress
from core.report.document import ReportState
from core.report.store import DraftStore, DraftStoreError

if TYPE_CHECKING:
    from core.archive.archive import Archive

logger = logging.getLogger(__name__)

_PROGRESS_EVERY = 16
#: The source recorded for objects found in the files by a rebuild or a check.
REBUILT_SOURCE = "rebuilt from files"


def _reason(error: ArchiveError, ref: FileRef) -> str:
    text = str(error)
    prefix = ref.display_name + ": "
    return text[len(prefix) :] if text.startswith(prefix) else text


# --------------------------------------------------------------------------------------
# Import


def import_folder(
    archive: Archive,
    path: str | os.PathLike[str],
    *,
    copy: bool = True,
    source: str = "import",
    token: CancelToken | None = None,
) -> Generator[Progress, None, ImportResult]:
    """Import everything under ``path`` into ``archive`` (a job).

    Parameters
    ----------
    archive : Archive
    path : str or os.PathLike
        A folder (searched recursively), a DICOMDIR, a .zip archive or one file.
    copy : bool, optional
        True: the files are copied into the archive. False: they are indexed where
        they are, by reference (never modified; one that goes away later is reported
        when its study is opened).
    source : str, optional
        Recorded as the objects' source.
    token : CancelToken, optional
        Checked between files; what was stored before stays stored, whole.

    Returns
    -------
    ImportResult

    Raises
    ------
    ArchiveError
        ``path`` does not exist.
    core.errors.CancelledError
        The token was set.
    """
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"path must be a str or os.PathLike, not {type(path).__name__}")
    root = os.path.abspath(os.fspath(path))
    if not os.path.exists(root):
        raise ArchiveError(f"{root}: no such file or folder; check the path")
    yield Progress(0, 0, "listing files")
    refs, unreadable, _ = list_sources(root, token)
    failed = list(unreadable)
    added = already = 0
    studies: dict[str, None] = {}
    total = len(refs)
    verb = "importing" if copy else "indexing"
    yield Progress(0, total, f"{verb} files")
    with archive.batch():
        for done, ref in enumerate(refs, start=1):
            if token is not None:
                token.raise_if_cancelled()
            try:
                stored, study_uid = archive.store_ref(ref, source, copy=copy)
            except ArchiveError as error:
                failed.append(UnreadableFile(ref, _reason(error, ref)))
            else:
                studies[study_uid] = None
                added += stored
                already += not stored
            if done % _PROGRESS_EVERY == 0 or done == total:
                yield Progress(done, total, f"{verb} files")
    logger.info(
        "%s %d files: %d new, %d already in the archive, %d not imported",
        verb,
        total,
        added,
        already,
        len(failed),
    )
    return ImportResult(added, already, tuple(failed), tuple(studies), copied=copy)


# --------------------------------------------------------------------------------------
# Rebuild and check


def _stored_files(archive: Archive) -> tuple[list[str], int]:
    """The stored objects (absolute paths, sorted), after removing dead writers' temp files."""
    found: list[str] = []
    removed = 0
    for folder, _, names in os.walk(archive.files_root):
        for name in names:
            full = os.path.join(folder, name)
            if is_temporary(name):
                if not _writer_alive(name):
                    with contextlib.suppress(OSError):
                        os.unlink(full)
                        removed += 1
            elif name.endswith(SUFFIX):
                found.append(full)
    found.sort()
    return found, removed


def _writer_alive(name: str) -> bool:
    # core.paths.write_private names its temporary files ".<name>.<pid>.<hex>.tmp".
    parts = name.split(".")
    try:
        pid = int(parts[-3])
    except (IndexError, ValueError):
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _mtime_iso(path: str) -> str:
    return datetime.fromtimestamp(os.path.getmtime(path), UTC).isoformat(timespec="microseconds")


def _old_rows(archive: Archive) -> tuple[list[tuple[Any, ...]], list[tuple[str, str]]]:
    """References and opening times from the index as it is, when it can be read."""
    try:
        references = archive._db.execute(
            "SELECT path, member, source, received_at FROM instances WHERE copied = 0"
        ).fetchall()
        opened = archive._db.execute(
            "SELECT study_uid, last_opened FROM studies WHERE last_opened IS NOT NULL"
        ).fetchall()
    except sqlite3.Error:
        return [], []
    return references, opened


def _adopt(archive: Archive, ref: FileRef, *, copied: bool, source: str, received: str) -> None:
    facts = read_facts(ref)
    if archive.contains(facts.sop_uid):
        raise ArchiveError(f"{ref.display_name}: a second copy of an object already indexed")
    header = read_stored_header(ref)
    size = os.path.getsize(ref.path) if copied else 0
    archive._insert(
        facts, header, ref, copied=copied, size=size, source=source, received_at=received
    )


def _adopt_copy(archive: Archive, ref: FileRef) -> None:
    received = _mtime_iso(ref.path)
    _adopt(archive, ref, copied=True, source=REBUILT_SOURCE, received=received)


def rebuild(
    archive: Archive, token: CancelToken | None = None
) -> Generator[Progress, None, CheckResult]:
    """Rebuild the index from the stored files, in one transaction (a job).

    The objects found in the files are indexed again (source ``"rebuilt from files"``,
    received at the file's time); references and opening times are kept when the
    old index can still be read. Cancelled or killed, the old index stays as it was,
    and an archive that owed the rebuild (:attr:`Archive.needs_rebuild`) still owes it.

    Yields
    ------
    Progress
        Files indexed so far.
    """
    with archive._lock:
        archive._commit()
        archive._finish_deletions()
        references, opened = _old_rows(archive)
        files, removed = _stored_files(archive)
        total = len(files) + len(references)
        yield Progress(0, total, "rebuilding the archive index")
        unusable: list[UnreadableFile] = []
        missing: list[str] = []
        db = archive._db
        db.execute("BEGIN IMMEDIATE")
        archive._hold = True
        try:
            for table in ("instances", "series", "studies", "patients"):
                db.execute(f"DELETE FROM {table}")
            for done, path in enumerate(files, start=1):
                if token is not None:
                    token.raise_if_cancelled()
                ref = FileRef(path)
                try:
                    _adopt_copy(archive, ref)
                except ArchiveError as error:
                    unusable.append(UnreadableFile(ref, _reason(error, ref)))
                if done % _PROGRESS_EVERY == 0:
                    yield Progress(done, total, "rebuilding the archive index")
            for path, member, source, received in references:
                ref = FileRef(path, member)
                if not os.path.exists(path):
                    missing.append(ref.display_name)
                    continue
                try:
                    _adopt(archive, ref, copied=False, source=source, received=received)
                except ArchiveError as error:
                    unusable.append(UnreadableFile(ref, _reason(error, ref)))
            db.executemany(
                "UPDATE studies SET last_opened = ? WHERE study_uid = ?",
                [(when, uid) for uid, when in opened],
            )
        except BaseException:
            archive._hold = False
            db.execute("ROLLBACK")
            archive._dirty.clear()
            raise
        archive._hold = False
        archive._commit()
        archive._rebuilt()  # only now is the index whole: a cancelled rebuild stays owed
    yield Progress(total, total, "rebuilding the archive index")
    result = CheckResult(
        indexed=len(files) + len(references) - len(unusable) - len(missing),
        missing_references=tuple(missing),
        removed_files=removed,
        unusable=tuple(unusable),
    )
    logger.info(
        "rebuilt the archive index: %d objects, %d unusable files, %d references gone",
        result.indexed,
        len(unusable),
        len(missing),
    )
    return result


def check(archive: Archive) -> CheckResult:
    """Make index and files agree after a kill (run at any time; cheap when all is well).

    Rows of stored copies whose file has gone are dropped (counts recomputed), files
    of deleted studies and dead writers' temporary files are removed, and complete
    files without rows (stored just before a kill) are indexed. Files indexed by
    reference that have gone are reported, never dropped.
    """
    with archive._lock:
        archive._commit()
        problems = tuple(
            str(line)
            for (line,) in archive._db.execute("PRAGMA quick_check(20)").fetchall()
            if line != "ok"
        )
        if problems:
            logger.warning("the archive index has %d problems; rebuild it", len(problems))
        removed = archive._finish_deletions()
        files, removed_temps = _stored_files(archive)
        db = archive._db
        rows = db.execute(
            "SELECT sop_uid, study_uid, path, member, copied FROM instances"
        ).fetchall()
        known: set[str] = set()
        gone_copies: list[tuple[str, str]] = []
        missing: list[str] = []
        for sop, study, path, member, copied in rows:
            if copied:
                full = str(archive.files_root.joinpath(*path.split("/")))
                known.add(full)
                if not os.path.exists(full):
                    gone_copies.append((sop, study))
            elif not os.path.exists(path):
                missing.append(FileRef(path, member).display_name)
        if gone_copies:
            _drop_rows(archive, gone_copies)
        unusable: list[UnreadableFile] = []
        adopted = 0
        with archive.batch():
            for path in files:
                if path in known:
                    continue
                ref = FileRef(path)
                try:
                    _adopt_copy(archive, ref)
                    adopted += 1
                except ArchiveError as error:
                    unusable.append(UnreadableFile(ref, _reason(error, ref)))
    if gone_copies or adopted or removed or removed_temps:
        logger.warning(
            "archive check: %d rows without file dropped, %d files indexed, %d leftovers removed",
            len(gone_copies),
            adopted,
            removed + removed_temps,
        )
    return CheckResult(
        indexed=adopted,
        dropped_rows=len(gone_copies),
        missing_references=tuple(missing),
        removed_files=removed + removed_temps,
        unusable=tuple(unusable),
        index_problems=problems,
    )


def _drop_rows(archive: Archive, gone: list[tuple[str, str]]) -> None:
    db = archive._db
    db.execute("BEGIN IMMEDIATE")
    try:
        db.executemany("DELETE FROM instances WHERE sop_uid = ?", [(sop,) for sop, _ in gone])
        for study in {study for _, study in gone}:
            db.execute(
                "DELETE FROM series WHERE study_uid = ? AND NOT EXISTS (SELECT 1 FROM instances "
                "i WHERE i.study_uid = series.study_uid AND i.series_uid = series.series_uid)",
                (study,),
            )
            db.execute(
                "UPDATE studies SET "
                "instance_count = (SELECT COUNT(*) FROM instances WHERE study_uid = ?1), "
                "size_bytes = (SELECT COALESCE(SUM(size), 0) FROM instances "
                "WHERE study_uid = ?1 AND copied = 1), "
                "series_count = (SELECT COUNT(*) FROM series WHERE study_uid = ?1) "
                "WHERE study_uid = ?1",
                (study,),
            )
            db.execute("DELETE FROM studies WHERE study_uid = ? AND instance_count = 0", (study,))
        db.execute(
            "DELETE FROM patients WHERE NOT EXISTS (SELECT 1 FROM studies s WHERE s.patient = "
            "patients.id)"
        )
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


# --------------------------------------------------------------------------------------
# Retention


def enforce_limit(
    archive: Archive, max_bytes: int, protected: Callable[[str], bool]
) -> RetentionResult:
    """Remove least-recently-opened studies (never a protected one) down to ``max_bytes``.

    A study never opened counts from when it was received. Studies that take no room
    (indexed by reference) are never removed for room.
    """
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 0:
        raise ValueError(f"max_bytes must be an int of 0 or more, found {max_bytes!r}")
    if not callable(protected):
        raise TypeError(f"protected must be callable, found {type(protected).__name__}")
    total = archive.size_bytes()
    removed: list[str] = []
    kept: list[str] = []
    if total > max_bytes:
        with archive._lock:
            archive._commit()
            candidates = archive._db.execute(
                "SELECT study_uid, size_bytes FROM studies WHERE size_bytes > 0 "
                "ORDER BY COALESCE(last_opened, received_at), study_uid"
            ).fetchall()
        for uid, size in candidates:
            if total <= max_bytes:
                break
            if protected(uid):
                kept.append(uid)
                continue
            archive.delete_study(uid)
            removed.append(uid)
            total -= size
    if removed or kept:
        logger.info(
            "retention: removed %d studies, kept %d protected; %d bytes remain",
            len(removed),
            len(kept),
            total,
        )
    return RetentionResult(tuple(removed), tuple(kept), archive.size_bytes())


def has_unsigned_draft(study_uid: str, store: Any = None) -> bool:
    """Whether the study has a report draft that is not signed (retention keeps it).

    Parameters
    ----------
    study_uid : str
    store : core.report.store.DraftStore, optional
        Default: the user's draft store.

    A draft that cannot be read counts as unsigned: the study is kept.
    """
    drafts = DraftStore() if store is None else store
    try:
        report = drafts.load(study_uid)
    except DraftStoreError:
        return True
    return report is not None and report.state is not ReportState.FINAL
