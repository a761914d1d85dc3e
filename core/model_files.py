"""What a model file is: the one owner of "is this a pickle" and "which suffixes are refused".

Unpickling runs arbitrary code, so pickle-based weights are never loaded (house rule 7).
A file is recognised by its structure, not by one byte or by its name alone:

* safetensors: an 8-byte little-endian header length, then a JSON object of exactly
  that length (the length is padded to a multiple of 8, so its first byte may well be
  0x80: about 1 valid file in 32 — that alone says nothing);
* a pickle of protocol 2 to 5: the PROTO opcode (0x80) followed by the protocol number
  at offset 0;
* a ``torch.save`` file: a zip archive holding a ``*/data.pkl`` (or any ``.pkl``) member.

Folders (CNN packages and language-model folders alike) are scanned with
:func:`scan_model_folder`: every file, hidden ones included, and every symbolic link that
leads out of the folder.
"""

from __future__ import annotations

import json
import os
import struct
import zipfile
from dataclasses import dataclass
from os import PathLike
from pathlib import Path, PurePosixPath
from typing import Final

__all__ = [
    "PICKLE_SUFFIXES",
    "FolderScan",
    "has_refused_suffix",
    "is_pickle_file",
    "is_safetensors_file",
    "scan_model_folder",
]

#: File suffixes of pickle-based formats: refused whatever the file holds.
PICKLE_SUFFIXES: Final[frozenset[str]] = frozenset(
    {".pt", ".pth", ".bin", ".ckpt", ".pkl", ".pickle", ".tar", ".h5", ".joblib"}
)
_PROTO: Final = 0x80
_PICKLE_PROTOCOLS: Final = range(2, 6)
_MAX_SAFETENSORS_HEADER: Final = 100 << 20


def has_refused_suffix(name: str | PathLike[str]) -> bool:
    """True when the file's suffix names a pickle-based format (``.pt``, ``.bin``...)."""
    return PurePosixPath(os.fspath(name)).suffix.lower() in PICKLE_SUFFIXES


def is_safetensors_file(path: str | PathLike[str]) -> bool:
    """True when the file has safetensors' structure: length, then a JSON object that long."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(8)
            if len(head) < 8:
                return False
            (length,) = struct.unpack("<Q", head)
            if length < 2 or length > _MAX_SAFETENSORS_HEADER:
                return False
            raw = handle.read(length)
    except OSError:
        return False
    if len(raw) != length or not raw.startswith(b"{"):
        return False
    try:
        return isinstance(json.loads(raw.decode("utf-8")), dict)
    except (UnicodeDecodeError, ValueError):
        return False


def is_pickle_file(path: str | PathLike[str]) -> bool:
    """True when the file is a pickle (protocol 2-5) or a torch zip archive holding one.

    A valid safetensors file is never taken for a pickle, whatever its first byte.
    Unreadable files are not pickles (callers refuse them for that reason).
    """
    try:
        with open(path, "rb") as handle:
            head = handle.read(4)
    except OSError:
        return False
    if head[:4] == b"PK\x03\x04" or head[:4] == b"PK\x05\x06":
        return _zip_holds_pickle(path)
    if len(head) >= 2 and head[0] == _PROTO and head[1] in _PICKLE_PROTOCOLS:
        return not is_safetensors_file(path)
    return False


def _zip_holds_pickle(path: str | PathLike[str]) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return True  # a broken archive that claims to be a zip is not loaded either
    return any(has_refused_suffix(name) for name in names)


@dataclass(frozen=True)
class FolderScan:
    """What :func:`scan_model_folder` found.

    Attributes
    ----------
    files : tuple of str
        Every regular file (``/`` relative paths), hidden ones included, sorted.
    pickles : tuple of str
        Files refused as pickles: by suffix or by content.
    outside_links : tuple of str
        Symbolic links (files or folders) that lead out of the folder or nowhere.
    """

    files: tuple[str, ...]
    pickles: tuple[str, ...]
    outside_links: tuple[str, ...]


def scan_model_folder(folder: str | PathLike[str]) -> FolderScan:
    """List every file of a model folder; find pickles and links that leave it.

    Links inside the folder are followed (their target is listed under the link's
    name); a link out of the folder is reported and not followed.
    """
    root = Path(folder)
    resolved_root = root.resolve()
    files: list[str] = []
    pickles: list[str] = []
    outside: list[str] = []
    for current, dirs, names in os.walk(root, followlinks=False):
        base = Path(current)
        kept = []
        for name in sorted(dirs):
            path = base / name
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                if not _inside(path, resolved_root):
                    outside.append(rel)
                    continue
                # A link to a folder inside: its files are listed where they really are.
                continue
            kept.append(name)
        dirs[:] = kept
        for name in sorted(names):
            path = base / name
            rel = path.relative_to(root).as_posix()
            if path.is_symlink() and not _inside(path, resolved_root):
                outside.append(rel)
                continue
            if not path.is_file():
                continue
            files.append(rel)
            if has_refused_suffix(name) or is_pickle_file(path):
                pickles.append(rel)
    return FolderScan(tuple(sorted(files)), tuple(sorted(pickles)), tuple(sorted(outside)))


def _inside(path: Path, resolved_root: Path) -> bool:
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return False  # dangling or looping: never followed
    return target == resolved_root or target.is_relative_to(resolved_root)
