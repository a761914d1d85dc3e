"""A DICOMDIR as what it is on real media: a table of contents that may be out of date.

Patient CDs and USB sticks often carry a DICOMDIR written before the last files
were copied, or kept after some were deleted. The folder, not the DICOMDIR, is
the truth: every file the DICOMDIR lists *and* every other file in its folder
is read, and how far the DICOMDIR is off is said in an
:class:`~core.dicom.records.IndexNote` — files it lists that are missing, and
DICOM files that are there but not listed — never as the result of the scan.

PS3.10 8.6 (DICOMDIR), PS3.3 F.3.2.2 (Referenced File ID).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from core.dicom.records import FileRef, IndexNote

logger = logging.getLogger(__name__)

__all__ = ["DicomdirListing", "describe_dicomdir", "find_case_insensitive", "match_dicomdir"]

#: At most this many files are named in a note's details; the rest are counted.
MAX_NOTE_DETAILS = 50


@dataclass(frozen=True)
class DicomdirListing:
    """What a DICOMDIR lists, matched against the files of its folder.

    ``listed`` are the listed files that exist, in the DICOMDIR's order;
    ``unlisted`` every other file of the folder (DICOM or not: reading their
    headers tells); ``missing`` the listed paths with no file; ``outside`` the
    Referenced File IDs that point outside the folder (never followed).
    """

    dicomdir: str
    listed: tuple[FileRef, ...]
    unlisted: tuple[FileRef, ...]
    missing: tuple[str, ...] = ()
    outside: tuple[str, ...] = ()

    @property
    def refs(self) -> tuple[FileRef, ...]:
        """Everything to read: the listed files, then the others."""
        return self.listed + self.unlisted


def find_case_insensitive(base: str, parts: Sequence[str]) -> str:
    """``base/parts...``; on a case-sensitive disk, match each part ignoring case.

    File IDs are upper case (PS3.10 8.5) but CDs mounted on Linux often show lower case.
    """
    exact = os.path.join(base, *parts)
    if os.path.exists(exact):
        return exact
    current = base
    for part in parts:
        candidate = os.path.join(current, part)
        if not os.path.exists(candidate):
            try:
                names = os.listdir(current)
            except OSError:
                return exact
            match = next((n for n in names if n.upper() == part.upper()), None)
            if match is None:
                return exact
            candidate = os.path.join(current, match)
        current = candidate
    return current


def match_dicomdir(
    dicomdir: str, file_ids: Sequence[tuple[str, ...]], folder_files: Sequence[FileRef]
) -> DicomdirListing:
    """Match the DICOMDIR's Referenced File IDs against the files of its folder.

    Parameters
    ----------
    dicomdir : str
        The DICOMDIR's path; File IDs are relative to its folder.
    file_ids : sequence of tuple of str
        The Referenced File ID (0004,1500) components of each record.
    folder_files : sequence of FileRef
        Every file under the DICOMDIR's folder (the DICOMDIR itself is left out).

    Returns
    -------
    DicomdirListing
    """
    if not isinstance(dicomdir, str):
        raise TypeError(f"dicomdir must be a str, found {type(dicomdir).__name__}")
    base = os.path.dirname(dicomdir)
    listed: list[FileRef] = []
    missing: list[str] = []
    outside: list[str] = []
    seen: set[str] = set()
    for parts in file_ids:
        if any(p in (".", "..") or "/" in p or "\\" in p for p in parts):
            outside.append("\\".join(parts))
            continue
        target = os.path.normpath(find_case_insensitive(base, list(parts)))
        if target in seen:
            continue
        seen.add(target)
        if os.path.isfile(target):
            listed.append(FileRef(target))
        else:
            missing.append(target)
    this = os.path.normpath(dicomdir)
    unlisted = tuple(
        ref
        for ref in folder_files
        if os.path.normpath(ref.path) not in seen and os.path.normpath(ref.path) != this
    )
    return DicomdirListing(dicomdir, tuple(listed), unlisted, tuple(missing), tuple(outside))


def describe_dicomdir(
    listing: DicomdirListing, unlisted_dicom: Collection[FileRef]
) -> IndexNote | None:
    """The note saying how far the DICOMDIR is from the folder, or None when it is exact.

    Parameters
    ----------
    listing : DicomdirListing
        What :func:`match_dicomdir` found.
    unlisted_dicom : collection of FileRef
        The unlisted files whose headers turned out to be DICOM objects (images,
        non-image objects, broken DICOM); other DICOMDIRs and files that are not
        DICOM are left out.
    """
    if not isinstance(listing, DicomdirListing):
        raise TypeError(f"listing must be a DicomdirListing, found {type(listing).__name__}")
    base = os.path.dirname(listing.dicomdir)
    extra = sorted(unlisted_dicom, key=lambda ref: ref.path)
    parts: list[str] = []
    details: list[str] = []

    def relative(path: str) -> str:
        try:
            return os.path.relpath(path, base)
        except ValueError:
            return path

    if listing.missing:
        parts.append(
            _count(len(listing.missing), "file it lists is", "files it lists are") + " missing"
        )
        details += [f"listed, missing: {relative(p)}" for p in listing.missing]
    if listing.outside:
        parts.append(
            _count(len(listing.outside), "entry points", "entries point")
            + " outside its folder (not followed)"
        )
        details += [f"listed outside the folder: {p}" for p in listing.outside]
    if extra:
        parts.append(
            _count(len(extra), "DICOM file in the folder is", "DICOM files in the folder are")
            + " not listed in it and "
            + ("was" if len(extra) == 1 else "were")
            + " read all the same"
        )
        details += [f"not listed, read: {relative(ref.path)}" for ref in extra]
    if not parts:
        return None
    if len(details) > MAX_NOTE_DETAILS:
        hidden = len(details) - MAX_NOTE_DETAILS
        details = [*details[:MAX_NOTE_DETAILS], f"… and {hidden} more"]
    logger.info(
        "DICOMDIR out of date: %d missing, %d outside, %d not listed",
        len(listing.missing),
        len(listing.outside),
        len(extra),
    )
    message = "The DICOMDIR is out of date: " + "; ".join(parts) + "."
    return IndexNote("dicomdir", message, tuple(details))


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"
