"""What a scan reads: the files of a folder, of a DICOMDIR (and its folder), of a .zip.

A folder is walked recursively without following symlinked folders; a DICOMDIR is
read record by record in a worker process (see :mod:`core.dicom.dicomdir` for how
its listing is matched against the folder); a .zip lists its members, encrypted
ones as unreadable.
"""

from __future__ import annotations

import logging
import os
import zipfile

from pydicom import dcmread
from pydicom.uid import MediaStorageDirectoryStorage

from core.dicom.dicomdir import DicomdirListing, match_dicomdir
from core.dicom.headers import describe_read_error, find_truncation, quiet_pydicom
from core.dicom.records import FileRef, UnreadableFile
from core.dicom.workers import run_isolated
from core.jobs import CancelToken

logger = logging.getLogger(__name__)

_DICOMDIR_CLASS = MediaStorageDirectoryStorage  # PS3.10 7.2


def list_sources(
    root: str, token: CancelToken | None
) -> tuple[list[FileRef], list[UnreadableFile], DicomdirListing | None]:
    """What a scan of ``root`` reads.

    Parameters
    ----------
    root : str
        An absolute path: a folder (holding a DICOMDIR or not), a DICOMDIR file, a
        ``.zip`` archive, or one file.
    token : CancelToken or None
        Checked while folders are walked.

    Returns
    -------
    refs : list of FileRef
        The objects to read.
    unreadable : list of UnreadableFile
        What was found unreadable while listing (a bad archive, an encrypted member,
        a DICOMDIR that cannot be read).
    listing : DicomdirListing or None
        The DICOMDIR's listing matched against its folder, when one was read.
    """
    if os.path.isdir(root):
        dicomdir = next(
            (
                os.path.join(root, name)
                for name in sorted(os.listdir(root))
                if name.upper() == "DICOMDIR" and os.path.isfile(os.path.join(root, name))
            ),
            None,
        )
        if dicomdir is not None:
            return _list_dicomdir(dicomdir, token)
        return _walk_folder(root, token), [], None
    if os.path.basename(root).upper() == "DICOMDIR" or _has_dicomdir_class(root):
        return _list_dicomdir(root, token)
    if _is_zip(root):
        return (*_list_zip(root), None)
    return [FileRef(root)], [], None


def _walk_folder(root: str, token: CancelToken | None) -> list[FileRef]:
    refs: list[FileRef] = []
    # Symlinked folders are not followed: no cycles, nothing indexed twice.
    for folder, dirs, files in os.walk(root):
        if token is not None:
            token.raise_if_cancelled()
        dirs.sort()
        refs.extend(FileRef(os.path.join(folder, name)) for name in sorted(files))
    return refs


def _has_dicomdir_class(path: str) -> bool:
    try:
        with open(path, "rb") as stream:
            head = stream.read(132 + 512)
    except OSError:
        return False
    return head[128:132] == b"DICM" and _DICOMDIR_CLASS.encode() in head


def _is_zip(path: str) -> bool:
    try:
        with open(path, "rb") as stream:
            head = stream.read(132)
    except OSError:
        return False
    if head[128:132] == b"DICM":
        return False
    return path.lower().endswith(".zip") or zipfile.is_zipfile(path)


def _list_zip(path: str) -> tuple[list[FileRef], list[UnreadableFile]]:
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError) as error:
        return [], [UnreadableFile(FileRef(path), f"not a readable .zip archive ({error})")]
    refs: list[FileRef] = []
    unreadable: list[UnreadableFile] = []
    for info in sorted(infos, key=lambda i: i.filename):
        if info.is_dir():
            continue
        ref = FileRef(path, info.filename)
        if info.flag_bits & 0x1:
            unreadable.append(UnreadableFile(ref, "the archive member is encrypted"))
        else:
            refs.append(ref)
    return refs, unreadable


def read_dicomdir_file_ids(path: str) -> tuple[list[tuple[str, ...]], str | None]:
    """The Referenced File IDs of a DICOMDIR, or why it could not be read (runs in a worker).

    Records are read one by one so that a malformed record costs only itself
    (pydicom's FileSet refuses the whole directory for one bad record).
    """
    try:
        with quiet_pydicom():
            directory = dcmread(path)
            truncated = find_truncation(directory, os.path.getsize(path))
            if truncated is not None:
                return [], truncated
            if "DirectoryRecordSequence" not in directory:
                return [], "no Directory Record Sequence (0004,1220)"
            records = list(directory.DirectoryRecordSequence)
            file_ids: list[tuple[str, ...]] = []
            for record in records:
                try:
                    file_id = record.get("ReferencedFileID")
                except Exception:
                    continue
                if not file_id:
                    continue
                parts = [file_id] if isinstance(file_id, str) else [str(p) for p in file_id]
                parts = [p.strip() for p in parts if p.strip()]
                if parts:
                    file_ids.append(tuple(parts))
    except Exception as error:
        return [], describe_read_error(error)
    return file_ids, None


def _list_dicomdir(
    path: str, token: CancelToken | None
) -> tuple[list[FileRef], list[UnreadableFile], DicomdirListing | None]:
    """The files a DICOMDIR lists, then every other file of its folder (see core.dicom.dicomdir)."""
    (outcome,) = run_isolated(read_dicomdir_file_ids, [path], token)
    file_ids, error = outcome.result if outcome.result is not None else ([], None)
    folder = [ref for ref in _walk_folder(os.path.dirname(path), token) if ref.path != path]
    if outcome.error is not None or error is not None:
        why = error or describe_read_error(outcome.error)
        reason = f"the DICOMDIR could not be read ({why}); scanned its folder instead"
        return folder, [UnreadableFile(FileRef(path), reason)], None
    listing = match_dicomdir(path, file_ids, folder)
    return list(listing.refs), [], listing
