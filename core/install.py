"""The installed bundle's list of files, and the check that an install is whole.

The build writes :data:`FILE_LIST_NAME` at the top of the bundle folder, in the format
``sha256sum`` reads (``<hex>  <relative path>``, one file a line), so a clinic's IT can
also check an install without RadAssist. :func:`verify_install` reads it back and names
every file that is missing, altered or unexpected, so that a damaged install fails the
self-test with the file to blame rather than a traceback later on.
"""

from __future__ import annotations

import hashlib
import logging
import sys
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from core.resources import is_frozen

logger = logging.getLogger(__name__)

__all__ = [
    "FILE_LIST_NAME",
    "InstallCheck",
    "bundle_root",
    "hash_file",
    "verify_install",
    "write_file_list",
]

#: The bundle's file list, at the top of the install folder.
FILE_LIST_NAME: Final = "RADASSIST-FILES.sha256"
_CHUNK: Final = 1 << 20
_MAX_LISTED: Final = 20


@dataclass(frozen=True)
class InstallCheck:
    """What :func:`verify_install` found.

    Attributes
    ----------
    root : Path
        The install folder checked.
    files_checked : int
        Files listed and hashed.
    bytes_checked : int
        Their total size.
    problems : tuple of str
        One line per missing, altered or unlisted file (the first few of each), or the
        reason the list could not be read. Empty when the install is whole.
    """

    root: Path
    files_checked: int
    bytes_checked: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def bundle_root() -> Path | None:
    """The install folder of a frozen app (where its executable is), else ``None``."""
    if not is_frozen():
        return None
    return Path(sys.executable).resolve().parent


def hash_file(path: Path) -> str:
    """SHA-256 of a file, read in 1 MiB chunks (hashlib releases the GIL while hashing)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _bundle_files(root: Path) -> list[str]:
    """Every regular file under ``root`` as a POSIX relative path, the list itself excepted."""
    names = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            relative = path.relative_to(root).as_posix()
            if relative != FILE_LIST_NAME:
                names.append(relative)
    return sorted(names)


def _hash_all(root: Path, names: Iterable[str]) -> dict[str, str]:
    names = list(names)
    with ThreadPoolExecutor(max_workers=4) as pool:
        digests = pool.map(lambda name: hash_file(root / name), names)
        return dict(zip(names, digests, strict=True))


def write_file_list(root: str | Path) -> Path:
    """Hash every file of a built bundle folder into its :data:`FILE_LIST_NAME`.

    Parameters
    ----------
    root : str or Path
        The bundle folder (the one that holds the executable).

    Returns
    -------
    Path
        The list written.
    """
    root = Path(root)
    if not root.is_dir():
        raise ValueError(f"expected a bundle folder, found {root}")
    digests = _hash_all(root, _bundle_files(root))
    target = root / FILE_LIST_NAME
    target.write_text(
        "".join(f"{digest}  {name}\n" for name, digest in digests.items()), encoding="utf-8"
    )
    return target


def _read_file_list(path: Path) -> dict[str, str]:
    listed: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64 or not name:
            raise ValueError(f"line {number} is not '<sha256>  <path>'")
        listed[name] = digest
    return listed


def _summarise(kind: str, names: list[str]) -> list[str]:
    lines = [f"{kind}: {name}" for name in names[:_MAX_LISTED]]
    if len(names) > _MAX_LISTED:
        lines.append(f"{kind}: … and {len(names) - _MAX_LISTED} more")
    return lines


def verify_install(root: str | Path | None = None) -> InstallCheck:
    """Check every file of an install against its :data:`FILE_LIST_NAME`.

    Parameters
    ----------
    root : str or Path, optional
        The install folder; default :func:`bundle_root`.

    Returns
    -------
    InstallCheck
        Never raises for a damaged install: what is wrong is in ``problems``.
    """
    folder = Path(root) if root is not None else bundle_root()
    if folder is None:
        raise ValueError("not a frozen app: name the install folder to check")
    list_path = folder / FILE_LIST_NAME
    try:
        listed = _read_file_list(list_path)
    except FileNotFoundError:
        return InstallCheck(folder, 0, 0, (f"missing: {FILE_LIST_NAME} (the install's file list)",))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return InstallCheck(folder, 0, 0, (f"unreadable: {FILE_LIST_NAME} ({exc})",))
    present = set(_bundle_files(folder))
    missing = sorted(set(listed) - present)
    unlisted = sorted(present - set(listed))
    checked = sorted(set(listed) & present)
    try:
        digests = _hash_all(folder, checked)
    except OSError as exc:
        return InstallCheck(folder, 0, 0, (f"unreadable: {exc.filename} ({exc.strerror})",))
    altered = [name for name in checked if digests[name] != listed[name]]
    size = sum((folder / name).stat().st_size for name in checked)
    problems = (
        _summarise("missing", missing)
        + _summarise("altered", altered)
        + _summarise("not part of the install", unlisted)
    )
    if problems:
        logger.warning("install check: %d problem(s) in %s", len(problems), folder)
    return InstallCheck(folder, len(checked), size, tuple(problems))
