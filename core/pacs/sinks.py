"""Where received instances go: the :class:`InstanceSink` protocol and a folder sink.

Every path that receives instances (C-GET, C-MOVE, the standing receiver, WADO-RS)
hands each one to a sink. The local archive (``core.archive.Archive``) is the app's
sink; :class:`FolderSink` writes plain files for the command line's ``--out DIR``.
A sink is called from network threads: it must be thread-safe.
"""

from __future__ import annotations

import io
import logging
import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Final, Protocol, runtime_checkable

from core.errors import UsageError
from core.paths import make_private_dir, write_private

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
            write_private(target, buffer.getvalue())
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
            write_private(target, data)
        logger.debug("stored an instance from %s", source)
        return True
