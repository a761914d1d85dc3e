"""Exporting a study to a folder or to media (DICOMDIR), de-identified or as it is.

The export is written into a hidden sibling folder (owner-only) and renamed to the
chosen name only once every file and the DICOMDIR are written and read back by our own
:func:`core.dicom.index.scan_path`: a full disk, an unwritable folder, a cancel or a
failed check leaves no folder that looks like a finished export.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import threading
import uuid
from collections.abc import Generator, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Final

import pydicom
from pydicom.dataset import Dataset

from core.deid.burned_in import burned_in_reason
from core.deid.deidentifier import Deidentifier
from core.deid.options import DeidOptions
from core.deid.results import (
    ExportCheckError,
    ExportedFile,
    ExportResult,
    FlaggedFile,
    NothingToExportError,
    SkippedFile,
)
from core.dicom.index import scan_path
from core.dicom.records import FileRef, StudyIndex
from core.errors import DicomError, UsageError, library_reason, root_os_error
from core.jobs import CancelToken, Progress, run_job
from core.paths import (
    PRIVATE_DIR_MODE,
    PRIVATE_FILE_MODE,
    export_folder_for,
    make_private_dir,
    write_private,
)

if TYPE_CHECKING:
    from pydicom.fileset import FileSet

logger = logging.getLogger(__name__)

#: What an export reads: a path (file, folder, DICOMDIR, .zip), a scanned index, or files.
Source = str | os.PathLike[str] | StudyIndex | Iterable[FileRef | str | os.PathLike[str]]
_TEMPDIR_LOCK: Final = threading.Lock()


def export_job(
    source: Source,
    out_dir: str | os.PathLike[str],
    *,
    deidentify: DeidOptions | None,
    dicomdir: bool,
    include_burned_in: bool = False,
    token: CancelToken | None = None,
) -> Generator[Progress, None, ExportResult]:
    """Export ``source`` into the new folder ``out_dir`` (a job).

    Parameters
    ----------
    source : path, StudyIndex or iterable of FileRef / paths
        What to export; a path is scanned with :func:`core.dicom.index.scan_path`.
    out_dir : str or os.PathLike
        The export folder: new or empty, never inside a source folder.
    deidentify : DeidOptions or None
        De-identify with this profile and options; None exports the objects unchanged.
    dicomdir : bool
        Write a PS3.10 File-set with a DICOMDIR (file IDs as pydicom's FileSet makes
        them: ``PT000000/ST000000/SE000000/IM000000``); otherwise ``.dcm`` files in one
        folder per study and series.
    include_burned_in : bool
        Export images flagged by :func:`core.deid.burned_in.burned_in_reason` too
        (de-identified exports only; they are still listed as flagged).
    token : CancelToken, optional

    Returns
    -------
    ExportResult

    Raises
    ------
    core.errors.UsageError
        ``out_dir`` is inside a source folder or is not empty; ``source`` does not exist.
    NothingToExportError
        Nothing readable, or every image flagged and none included.
    OSError
        The export could not be written (full disk, unwritable folder): nothing is left
        behind but the folder as it was.
    """
    if deidentify is not None and not isinstance(deidentify, DeidOptions):
        raise TypeError(
            f"deidentify must be DeidOptions or None, found {type(deidentify).__name__}"
        )
    refs, folders, skipped = yield from _read_source(source, token)
    out = Path(out_dir).expanduser().resolve()
    existed = out.exists()
    out = export_folder_for(out, folders)
    if any(out.iterdir()):
        raise UsageError(f"{out}: the export folder is not empty; choose a new or empty folder")
    # Made before anything is written: a de-identifier that cannot be made (dicognito
    # missing from an install) is that fault, not a folder that could not be written.
    deidentifier = Deidentifier(deidentify) if deidentify is not None else None
    staging = make_private_dir(out.parent / f".{out.name}.partial-{uuid.uuid4().hex[:8]}")
    try:
        result = yield from _write_export(
            refs, out, staging, deidentifier, dicomdir, include_burned_in, skipped, token
        )
        _make_owner_only(staging)
        out.rmdir()
        staging.rename(out)
    except OSError as error:
        _discard(staging, out, existed)
        cause = root_os_error(error)
        raise OSError(cause.errno, cause.strerror or str(cause), str(out)) from error
    except BaseException:
        _discard(staging, out, existed)
        raise
    logger.info(
        "exported %d objects (%d flagged, %d skipped), de-identified: %s",
        len(result.exported),
        len(result.flagged),
        len(result.skipped),
        deidentify is not None,
    )
    return result


def export_media(
    files: Source,
    out_dir: str | os.PathLike[str],
    deidentify: DeidOptions | None = None,
    *,
    include_burned_in: bool = False,
) -> ExportResult:
    """Export to a folder with a DICOMDIR, for a CD or USB stick; see :func:`export_job`."""
    return run_job(
        export_job(
            files,
            out_dir,
            deidentify=deidentify,
            dicomdir=True,
            include_burned_in=include_burned_in,
        )
    )


def deidentify_study(
    source: Source,
    out_dir: str | os.PathLike[str],
    options: DeidOptions | None = None,
    *,
    dicomdir: bool = False,
    include_burned_in: bool = False,
) -> ExportResult:
    """De-identify ``source`` into ``out_dir`` (Basic profile by default).

    See :func:`export_job`.
    """
    return run_job(
        export_job(
            source,
            out_dir,
            deidentify=options if options is not None else DeidOptions(),
            dicomdir=dicomdir,
            include_burned_in=include_burned_in,
        )
    )


# --------------------------------------------------------------------------------------
# Reading the source


def _read_source(
    source: Source, token: CancelToken | None
) -> Generator[Progress, None, tuple[list[FileRef], set[str], list[SkippedFile]]]:
    skipped: list[SkippedFile] = []
    if isinstance(source, str | os.PathLike):
        index = yield from scan_path(source, token)
        root = Path(index.root)
        folders = {str(root if root.is_dir() else root.parent)}
        return (*_index_refs(index, folders, skipped), skipped)
    if isinstance(source, StudyIndex):
        folders = {index_root for index_root in (source.root,) if Path(index_root).is_dir()}
        return (*_index_refs(source, folders, skipped), skipped)
    refs: list[FileRef] = []
    for item in source:
        ref = item if isinstance(item, FileRef) else FileRef(os.path.abspath(os.fspath(item)))
        refs.append(ref)
    if not refs:
        raise NothingToExportError("nothing to export: no files were given")
    return refs, {str(Path(ref.path).parent) for ref in refs}, skipped


def _index_refs(
    index: StudyIndex, folders: set[str], skipped: list[SkippedFile]
) -> tuple[list[FileRef], set[str]]:
    refs = [i.ref for s in index.all_series() for i in s.instances]
    refs += [record.ref for record in index.non_image]
    # Several series may share a multi-frame file; each object is exported once.
    refs = list(dict.fromkeys(refs))
    skipped += [SkippedFile(str(u.ref), u.reason) for u in index.unreadable]
    if not refs:
        raise NothingToExportError(f"{index.root}: no readable DICOM objects to export")
    folders |= {str(Path(ref.path).parent) for ref in refs}
    return refs, folders


# --------------------------------------------------------------------------------------
# Writing


def _write_export(
    refs: list[FileRef],
    out: Path,
    staging: Path,
    deidentifier: Deidentifier | None,
    dicomdir: bool,
    include_burned_in: bool,
    skipped: list[SkippedFile],
    token: CancelToken | None,
) -> Generator[Progress, None, ExportResult]:
    deidentify = deidentifier.options if deidentifier is not None else None
    flagged_files: list[FlaggedFile] = []
    # What was written, without the pixels: (SOP Instance UID, SOP Class UID, Study
    # Instance UID, path); the datasets themselves are let go one by one.
    written: list[tuple[str, str, str, str]] = []
    seen: set[str] = set()
    fileset_stage = make_private_dir(out.parent / f".{out.name}.stage-{uuid.uuid4().hex[:8]}")
    try:
        fileset = _new_fileset(fileset_stage) if dicomdir else None
        layout = _FolderLayout()
        for number, ref in enumerate(refs, start=1):
            if token is not None:
                token.raise_if_cancelled()
            yield Progress(number - 1, len(refs), "de-identifying" if deidentifier else "copying")
            try:
                ds = _read_dataset(ref)
            except DicomError as error:
                skipped.append(SkippedFile(str(ref), error.reason))
                continue
            reason = burned_in_reason(ds) if deidentifier is not None else None
            if reason is not None:
                flagged_files.append(FlaggedFile(str(ref), reason, include_burned_in))
                if not include_burned_in:
                    continue
            try:
                if deidentifier is not None:
                    deidentifier.deidentify(ds, identity_removed=reason is None)
                if fileset is not None:
                    _fill_study_record_keys(ds, dummy_dates=deidentifier is not None)
                if str(ds.SOPInstanceUID) in seen:
                    skipped.append(SkippedFile(str(ref), "the same object as another file"))
                    continue
                seen.add(str(ds.SOPInstanceUID))
                if fileset is not None:
                    fileset.add(ds)
                    written.append((*_identity(ds), ""))
                else:
                    relative = layout.place(ds)
                    target = staging / relative
                    make_private_dir(target.parent)
                    write_private(target, _encode(ds))
                    written.append((*_identity(ds), relative))
            except (ValueError, KeyError, AttributeError, TypeError, OverflowError) as error:
                # A value dicognito cannot shift (a malformed date), an object pydicom
                # cannot encode or file (a DICOMDIR record's Type 1 attribute missing):
                # that object is skipped whole, never written half de-identified.
                what = "de-identified or written" if deidentifier else "written"
                skipped.append(SkippedFile(str(ref), f"cannot be {what}: {library_reason(error)}"))
        if not written:
            raise NothingToExportError(_nothing_message(len(refs), flagged_files, skipped))
        yield Progress(len(refs), len(refs), "writing the DICOMDIR" if dicomdir else "checking")
        if fileset is not None:
            paths = _finish_fileset(fileset, staging)
            written = [(sop, cls, study, paths[sop]) for sop, cls, study, _ in written]
    finally:
        shutil.rmtree(fileset_stage, ignore_errors=True)
    studies = {study for _, _, study, _ in written}
    index = yield from scan_path(staging, token)
    _check_read_back(index, len(written), studies, staging)
    exported_files = tuple(
        ExportedFile(path=path, sop_class_uid=sop_class, study_instance_uid=study)
        for _, sop_class, study, path in written
    )
    return ExportResult(
        out_dir=str(out),
        deidentified=deidentify is not None,
        retained=tuple(sorted(option.value for option in deidentify.retain)) if deidentify else (),
        dicomdir="DICOMDIR" if dicomdir else None,
        exported=exported_files,
        flagged=tuple(flagged_files),
        skipped=tuple(skipped),
        studies=tuple(sorted(studies)),
    )


def _identity(ds: Dataset) -> tuple[str, str, str]:
    return str(ds.SOPInstanceUID), str(ds.SOPClassUID), str(ds.StudyInstanceUID)


def _fill_study_record_keys(ds: Dataset, *, dummy_dates: bool) -> None:
    """Dummy values for what the DICOMDIR's STUDY record needs and the image left empty.

    Study ID, Study Date and Study Time are Type 1 in the STUDY record (PS3.3 F.5.3) but
    Type 2 in an image (many modalities leave Study ID empty), and the Basic profile
    empties them (Z), which allows "a non-zero length value that may be a dummy value"
    (PS3.15 E.1.1). Study ID gets "1" in every media export; the dates only in a
    de-identified one (a plain export does not invent a date for the patient's study).
    """
    if not str(ds.get("StudyID", "") or ""):
        ds.StudyID = "1"
    if not dummy_dates:
        return
    if not str(ds.get("StudyDate", "") or ""):
        ds.StudyDate = "19000101"
    if not str(ds.get("StudyTime", "") or ""):
        ds.StudyTime = "000000"


def _read_dataset(ref: FileRef) -> Dataset:
    try:
        with ref.open() as handle:
            return pydicom.dcmread(handle)
    except (pydicom.errors.InvalidDicomError, EOFError) as error:
        raise DicomError(str(ref), f"not a DICOM file: {library_reason(error)}") from error
    except OSError as error:  # a source that cannot be read is that file's problem
        raise DicomError(str(ref), f"cannot be read: {error.strerror or error}") from error
    except Exception as error:  # pydicom raises many kinds on a damaged header
        raise DicomError(str(ref), f"header cannot be read: {library_reason(error)}") from error


def _encode(ds: Dataset) -> bytes:
    from io import BytesIO

    buffer = BytesIO()
    pydicom.dcmwrite(buffer, ds, enforce_file_format=True)
    return buffer.getvalue()


class _FolderLayout:
    """``STUDY001/SERIES001/IM00001.dcm``: names that say nothing about the patient."""

    def __init__(self) -> None:
        self._studies: dict[str, int] = {}
        self._series: dict[str, tuple[int, int]] = {}
        self._counts: dict[str, int] = {}

    def place(self, ds: Dataset) -> str:
        study = self._studies.setdefault(str(ds.StudyInstanceUID), len(self._studies) + 1)
        series_uid = str(ds.SeriesInstanceUID)
        if series_uid not in self._series:
            in_study = sum(1 for s, _ in self._series.values() if s == study)
            self._series[series_uid] = (study, in_study + 1)
        _, series = self._series[series_uid]
        count = self._counts[series_uid] = self._counts.get(series_uid, 0) + 1
        return f"STUDY{study:03d}/SERIES{series:03d}/IM{count:05d}.dcm"


def _new_fileset(stage_root: Path) -> FileSet:
    """A FileSet whose staging folder lies in our owner-only folder, not the system's /tmp.

    FileSet stages every added instance in a ``TemporaryDirectory()``; for a plain
    export those are the patient's files (house rule 8), so the temporary root is ours
    while the FileSet is made.
    """
    import tempfile

    from pydicom.fileset import FileSet

    with _TEMPDIR_LOCK:
        saved = tempfile.tempdir
        tempfile.tempdir = str(stage_root)
        try:
            return FileSet()
        finally:
            tempfile.tempdir = saved


def _finish_fileset(fileset: FileSet, staging: Path) -> dict[str, str]:
    """Write the DICOMDIR and files into ``staging``; SOP Instance UID → file path."""
    fileset.write(staging)
    paths = {
        str(instance.SOPInstanceUID): Path(instance.path).relative_to(staging).as_posix()
        for instance in fileset
    }
    stage = getattr(fileset, "_stage", {}).get("t")  # its TemporaryDirectory, now empty
    if stage is not None:
        stage.cleanup()
    return paths


def _check_read_back(index: StudyIndex, count: int, studies: set[str], staging: Path) -> None:
    """The written export, read by our own scanner, holds what was written."""
    found = sum(len(s.instances) for s in index.all_series()) + len(index.non_image)
    found_studies = {st.study_instance_uid for p in index.patients for st in p.studies}
    found_studies |= {record.study_instance_uid for record in index.non_image}
    if found != count or found_studies != studies or index.unreadable:
        raise ExportCheckError(
            f"{staging}: the written export reads back as {found} objects in "
            f"{len(found_studies)} studies ({len(index.unreadable)} unreadable), "
            f"expected {count} in {len(studies)}; nothing was exported"
        )


def _nothing_message(total: int, flagged: list[FlaggedFile], skipped: list[SkippedFile]) -> str:
    if flagged and not any(f.included for f in flagged):
        return (
            f"nothing exported: {len(flagged)} of {total} objects may show patient data "
            "burned into the pixels; check them and include them on purpose "
            "(--include-burned-in) or leave them out"
        )
    first = f"; the first: {skipped[0].source}: {skipped[0].reason}" if skipped else ""
    return f"nothing exported: none of the {total} objects could be read or written{first}"


def _make_owner_only(folder: Path) -> None:
    for root, dirs, names in os.walk(folder):
        for name in dirs:
            os.chmod(os.path.join(root, name), PRIVATE_DIR_MODE)
        for name in names:
            os.chmod(os.path.join(root, name), PRIVATE_FILE_MODE)
    os.chmod(folder, PRIVATE_DIR_MODE)


def _discard(staging: Path, out: Path, existed: bool) -> None:
    shutil.rmtree(staging, ignore_errors=True)
    if not existed:
        with contextlib.suppress(OSError):  # not empty: not ours to remove
            out.rmdir()
