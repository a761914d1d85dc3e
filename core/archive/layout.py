"""Where the archive keeps each object, and how an object is written there.

Files live at ``<archive>/files/<study>/<series>/<instance>.dcm``, each part named after
the object's UID. A UID is a path part only when it is a DICOM UID (digits and dots,
PS3.5 9.1); a non-conformant but harmless identifier (letters, over 64 characters) is
named by its SHA-256 instead, and an identifier that could act as a path (a separator,
``..``, a control character) is refused. Two objects with different UIDs can therefore
never share a file, and no UID can reach outside the archive.

A file is written once, atomically (temporary file in the same folder, rename:
:func:`core.paths.write_private`; its data and folder are ``fsync``-ed before its rows
are committed), owner-only, and never modified afterwards.
"""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path
from typing import Final

from core.archive.errors import ArchiveError
from core.paths import make_private_dir, write_private

logger = logging.getLogger(__name__)

#: The folder under the archive that holds the objects.
FILES_FOLDER: Final = "files"
#: The extension of a stored object.
SUFFIX: Final = ".dcm"

_DICOM_UID = re.compile(r"[0-9]+(\.[0-9]+)*")
_MAX_UID = 64  # PS3.5 9.1
_MAX_IDENTIFIER = 256
_HASHED_PREFIX = "h-"


def check_uid(uid: object, what: str) -> str:
    """The identifier ``uid`` stripped, when it may name an object in the archive.

    Parameters
    ----------
    uid : object
        The value read from the data set (Study, Series or SOP Instance UID).
    what : str
        Its name, for the message ("Study Instance UID").

    Raises
    ------
    ArchiveError
        It is missing, empty, or holds something a UID never holds (a path separator,
        a control character, ``..``): the object is not stored.
    """
    text = str(uid if uid is not None else "").strip(" \x00")
    if not text:
        raise ArchiveError(f"the object has no {what}; it cannot be stored in the archive")
    if len(text) > _MAX_IDENTIFIER or not text.isprintable() or not text.isascii():
        raise ArchiveError(
            f"the object's {what} is not a DICOM UID (it is too long or holds control or "
            "non-ASCII characters); it was not stored"
        )
    if "/" in text or "\\" in text or ".." in text or text in (".", "~"):
        raise ArchiveError(
            f"the object's {what} is not a DICOM UID (it holds a path separator or '..'); "
            "it was not stored"
        )
    return text


def path_part(uid: str) -> str:
    """The file-name part for a checked UID: the UID itself, or ``h-<sha256>`` when it is odd."""
    if len(uid) <= _MAX_UID and _DICOM_UID.fullmatch(uid):
        return uid
    return _HASHED_PREFIX + hashlib.sha256(uid.encode("utf-8")).hexdigest()[:40]


def relative_path(study_uid: str, series_uid: str, sop_uid: str) -> str:
    """Where an object lives, relative to the files folder (``/`` separated)."""
    return "/".join((path_part(study_uid), path_part(series_uid), path_part(sop_uid) + SUFFIX))


def study_folder(files_root: Path, study_uid: str) -> Path:
    """The folder holding a study's objects."""
    return files_root / path_part(study_uid)


def store_bytes(
    files_root: Path, relative: str, data: bytes, *, sync: bool = True
) -> tuple[Path, set[Path]]:
    """Write ``data`` at ``files_root / relative`` atomically and owner-only.

    Returns the path and the folders to ``fsync`` before the object's rows are
    committed (its folder, and the parents of folders created for it): the caller
    syncs them once per batch (:func:`core.paths.sync_folders`). With ``sync=False``
    the file's data is not ``fsync``-ed either: the caller syncs it with the batch
    (:func:`core.paths.sync_files`) before its rows are committed.

    Raises
    ------
    OSError
        The write failed (full disk...); nothing is left behind.
    """
    target = files_root.joinpath(*relative.split("/"))
    folders = {target.parent}
    folder = target.parent
    while folder != files_root and not folder.exists():
        folders.add(folder.parent)  # a new folder's entry lives in its parent
        folder = folder.parent
    make_private_dir(target.parent)
    return write_private(target, data, sync=sync), folders


def is_temporary(name: str) -> bool:
    """Whether a file name is one of :func:`core.paths.write_private`'s temporary files."""
    return name.startswith(".") and name.endswith(".tmp")
