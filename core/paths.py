"""Where the app keeps its own files (drafts, demo study, caches, exports).

Patient data written by the app lives only under :func:`user_data_dir`
(house rule 8). ``RADASSIST_DATA_DIR`` overrides the location (tests, portable installs).
"""

from __future__ import annotations

import contextlib
import functools
import os
import stat
import sys
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

from core.errors import UsageError

#: Files that may hold patient data (exports, settings listing studies): owner-only.
PRIVATE_FILE_MODE: Final = 0o600
#: Folders that hold them.
PRIVATE_DIR_MODE: Final = 0o700
_BINARY: Final = getattr(os, "O_BINARY", 0)


def user_data_dir() -> Path:
    """The per-user data folder, created on first use."""
    override = os.environ.get("RADASSIST_DATA_DIR")
    if override:
        base = Path(override)
    elif sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local")) / "RadAssist"
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support" / "RadAssist"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / "radassist"
    base.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    return base


def export_dir() -> Path:
    """Where derived files go (PNG exports, SR, heatmaps): never beside the source (rule 6).

    ``<user data dir>/exports``, owner-only (``0o700``, tightened if an older version
    left it open): exports identify the patient (house rule 8).
    """
    return make_private_dir(user_data_dir() / "exports", tighten=True)


def export_folder_for(
    out_dir: str | os.PathLike[str] | None,
    source_folders: Iterable[str | os.PathLike[str]] = (),
) -> Path:
    """The folder an export may be written to: the one rule of house rule 6.

    ``out_dir`` (default :func:`export_dir`) unless it is, or lies inside, one of
    ``source_folders`` (the folders of the study's source files): those are read-only
    to the app, so the export is refused, never moved elsewhere behind the user's back.
    The app's own export folder is always allowed, even when a study was opened from a
    folder above it (a home folder). The folder is created owner-only.

    Raises
    ------
    UsageError
        ``out_dir`` is inside a source folder.
    OSError
        The folder cannot be created.
    """
    if out_dir is None:
        return export_dir()
    if not isinstance(out_dir, str | os.PathLike):
        raise TypeError(f"out_dir must be a path or None, found {type(out_dir).__name__}")
    folder = Path(out_dir).expanduser().resolve()
    for source_folder in source_folders:
        source = Path(source_folder).expanduser().resolve()
        if folder == source or source in folder.parents:
            raise UsageError(
                f"refusing to export into {folder}: it is inside the source folder {source}; "
                "source folders are read-only (choose another folder or the export folder)"
            )
    return make_private_dir(folder)


def make_private_dir(path: str | os.PathLike[str], *, tighten: bool = False) -> Path:
    """Create ``path`` (and its parents) owner-only (``0o700``); return it.

    ``tighten``: also take group and other permissions off an existing folder of the
    user's (for the app's own folders; a folder the user chose keeps its mode).
    """
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    if tighten and os.name == "posix":
        info = folder.stat()
        if info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) & 0o077:
            folder.chmod(stat.S_IMODE(info.st_mode) & PRIVATE_DIR_MODE)
    return folder


def make_private_file(path: str | os.PathLike[str]) -> Path:
    """Make sure ``path`` exists owner-only (``0o600``): created empty, or tightened.

    For files another library writes (QSettings): it keeps an existing file's mode.
    """
    target = Path(path)
    try:
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _BINARY, PRIVATE_FILE_MODE))
    except FileExistsError:
        if os.name == "posix" and stat.S_IMODE(target.stat().st_mode) & 0o077:
            target.chmod(PRIVATE_FILE_MODE)
    return target


def write_private(
    path: str | os.PathLike[str],
    data: bytes,
    *,
    mode: int = PRIVATE_FILE_MODE,
    sync: bool = True,
) -> Path:
    """Write ``data`` to ``path`` owner-only (``0o600``) and atomically; return the path.

    Every writer of a file that may hold patient data (exports: SR, heatmaps, PNGs)
    calls this instead of ``open``/``save_as``: a temporary file created ``0o600`` in
    the same folder is written, ``fsync``-ed and renamed over ``path``, so the file is
    never readable by others, even for a moment, and never half-written.

    Raises
    ------
    TypeError
        ``data`` is not bytes.
    OSError
        The write failed; nothing is left behind and ``path`` is untouched.

    ``mode``: permission bits of the new file (the draft store passes its own). The
    temporary file's name, ``.<name>.<pid>.<hex>.tmp``, is what the draft store's clean-up
    looks for after a crash.

    ``sync=False`` leaves the ``fsync`` to the caller, who must call :func:`sync_files`
    (and :func:`sync_folders`) before anything records the file as stored: a store
    that writes many files at once (a retrieval, the archive's batches) syncs them as a
    group, which lets the system write them out together instead of one by one. The
    file is still whole or absent after a crash of the process; only a power cut
    before the group's sync can leave it short, and then nothing has recorded it.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"data must be bytes, found {type(data).__name__}")
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _BINARY, mode)
    try:
        try:
            view = memoryview(bytes(data))
            while view:
                view = view[os.write(fd, view) :]
            if sync:
                os.fsync(fd)
            else:
                start_writeback(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return target


@functools.cache
def _sync_file_range() -> Any:
    """Linux's ``sync_file_range`` from the C library, or None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes  # lazy: only a group write needs it

    try:
        function = ctypes.CDLL(None, use_errno=True).sync_file_range
    except (OSError, AttributeError):
        return None
    function.argtypes = (ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint)
    function.restype = ctypes.c_int
    return function


#: ``SYNC_FILE_RANGE_WRITE``: start writing the dirty pages out, do not wait.
_SYNC_FILE_RANGE_WRITE: Final = 2


def start_writeback(fd: int) -> None:
    """Ask the system to start writing a file out now, without waiting (Linux only).

    A group write (``write_private(..., sync=False)``) calls it for each file, so the
    disk works while the next files arrive and the group's :func:`sync_files` at the
    end waits only for the last ones; the pages stay cached for the reader. Elsewhere,
    and when the call fails, the group's sync does all the work.
    """
    function = _sync_file_range()
    if function is not None:
        function(fd, 0, 0, _SYNC_FILE_RANGE_WRITE)


def sync_files(paths: Iterable[str | os.PathLike[str]]) -> None:
    """``fsync`` the data of files written with ``write_private(..., sync=False)``.

    A file removed since is skipped. Raises OSError when the system cannot write one
    out (a full or failing disk): the caller must not record the group as stored.
    """
    for path in paths:
        try:
            fd = os.open(path, os.O_RDONLY | _BINARY)
        except FileNotFoundError:
            continue
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def sync_folders(folders: Iterable[str | os.PathLike[str]]) -> None:
    """``fsync`` folders so that the renames into them survive a power cut (POSIX only)."""
    if os.name != "posix":
        return
    for folder in sorted({os.fspath(f) for f in folders}):
        try:
            fd = os.open(folder, os.O_RDONLY)
        except FileNotFoundError:
            continue  # removed since (a deleted study)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def demo_study_dir() -> Path:
    """Where the bundled demo study is generated on first run."""
    return user_data_dir() / "demo"
