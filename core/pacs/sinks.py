"""Where received instances go: the :class:`InstanceSink` protocol and a folder sink.

Every path that receives instances (C-GET, C-MOVE, the standing receiver, WADO-RS)
hands each one to a sink. The local archive (``core.archive.Archive``) is the app's
sink; :class:`FolderSink` writes plain files for the command line's ``--out DIR``.
A sink is called from network threads: it must be thread-safe.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Final, Protocol, runtime_checkable

from core.errors import UsageError
from core.paths import make_private_dir, sync_files, sync_folders, write_private

if TYPE_CHECKING:
    import pydicom

logger = logging.getLogger(__name__)

#: A UID (PS3.5 9.1): digits and dots, at most 64 characters; safe as a file name.
_UID: Final = re.compile(r"^[0-9]+(\.[0-9]+)*$")


@runtime_checkable
class InstanceSink(Protocol):
    """Stores received instances."""

    def accept(self, dataset: pydicom.Dataset, *, source: str) -> bool:
        """Store ``dataset`` (with its ``file_meta``); True when new, False when already held.

        ``source`` names where it came from (a node name or AE title). Raises OSError
        when it cannot be stored (nothing half-stored is left).
        """
        ...


@runtime_checkable
class EncodedInstanceSink(InstanceSink, Protocol):
    """A sink that can also store an instance as the Part 10 bytes it arrived as.

    The faster path for retrievals: no decoding and encoding again (pynetdicom gives the
    bytes with ``event.encoded_dataset(include_meta=True)``). ``core.archive.Archive``
    and :class:`FolderSink` have it.
    """

    def accept_encoded(self, data: bytes, *, source: str) -> bool:
        """Store ``data`` (a DICOM Part 10 file); True when new. Raises like ``accept``."""
        ...


@runtime_checkable
class BatchingSink(InstanceSink, Protocol):
    """A sink that can store many instances as one group: ``with sink.batch(): ...``.

    Inside the block an instance may be stored without its own ``fsync`` (and, for the
    archive, its rows without their own commit); at the end of the block (and, for the
    archive, every few hundred instances) everything stored is made durable at once.
    A retrieval stores inside one batch (:class:`core.pacs.retrieval.StoreTally`).
    ``core.archive.Archive`` and :class:`FolderSink` have it.
    """

    def batch(self) -> contextlib.AbstractContextManager[object]:
        """Store as one group until the block ends; nested blocks join the outer one."""
        ...


class FolderSink:
    """Writes each instance as ``<folder>/<SOPInstanceUID>.dcm``, owner-only and atomically.

    Parameters
    ----------
    folder : str or Path
        Created owner-only when missing.
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = make_private_dir(folder)
        self._lock = threading.Lock()
        self._depth = 0
        self._unsynced: list[Path] = []

    @contextlib.contextmanager
    def batch(self) -> Iterator[FolderSink]:
        """Write without one ``fsync`` per file; the files and the folder are synced at the end.

        Raises
        ------
        OSError
            The files could not be written out at the end (a failing disk).
        """
        with self._lock:
            self._depth += 1
        try:
            yield self
        finally:
            with self._lock:
                self._depth -= 1
                if self._depth == 0 and self._unsynced:
                    unsynced, self._unsynced = self._unsynced, []
                    sync_files(unsynced)
                    sync_folders([self.folder])

    def _write(self, target: Path, data: bytes) -> None:
        """Write one file (the lock is held): synced now, or with the batch."""
        write_private(target, data, sync=self._depth == 0)
        if self._depth:
            self._unsynced.append(target)

    def path_for(self, sop_instance_uid: str) -> Path:
        """The file an instance is written to."""
        uid = str(sop_instance_uid).strip()
        if len(uid) > 64 or not _UID.match(uid):
            raise UsageError("the instance has no valid SOP Instance UID; it was not stored")
        return self.folder / f"{uid}.dcm"

    def accept(self, dataset: pydicom.Dataset, *, source: str) -> bool:
        """Write ``dataset`` unless its file exists; True when written."""
        # pydicom is loaded by whoever built the dataset; imported here for the writer.
        from pydicom import dcmwrite

        target = self.path_for(dataset.get("SOPInstanceUID", ""))
        with self._lock:
            if target.exists():
                return False
            buffer = io.BytesIO()
            dcmwrite(buffer, dataset, enforce_file_format=True)
            self._write(target, buffer.getvalue())
        logger.debug("stored an instance from %s", source)
        return True

    def accept_encoded(self, data: bytes, *, source: str) -> bool:
        """Write a Part 10 file's bytes as they are, unless its file exists; True when written.

        Raises
        ------
        UsageError
            ``data`` is not a DICOM file with a valid SOP Instance UID (nothing is written).
        """
        # pydicom is loaded by whoever received the bytes; imported here to read the UID.
        from pydicom import dcmread
        from pydicom.errors import InvalidDicomError

        try:
            header = dcmread(io.BytesIO(data), specific_tags=["SOPInstanceUID"])
            uid = header.get("SOPInstanceUID", "")
        except (InvalidDicomError, ValueError, EOFError) as error:
            raise UsageError(
                f"the instance is not a readable DICOM file ({type(error).__name__}); "
                "it was not stored"
            ) from error
        target = self.path_for(uid)
        with self._lock:
            if target.exists():
                return False
            self._write(target, data)
        logger.debug("stored an instance from %s", source)
        return True
