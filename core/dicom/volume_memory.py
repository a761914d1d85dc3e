"""Memory for volumes: the last released volume's pages are kept, zeroed, for the next one.

A 512-slice CT is a 256 MB volume. Fresh memory comes from the kernel, which zeroes
each page when a reader first writes it: about 50 ms of kernel time for 256 MB on
the 2-core machine the benches run on. On a virtual machine with free page reporting
(virtio-balloon; the virtual desktops many reading rooms run on) memory freed a few
seconds earlier has gone back to the host, which must supply it again: in the archive
bench, every other load of the CT spent 420-640 ms of kernel time instead of 85-155 ms,
and took 330-400 ms instead of 145-230 ms.

A radiologist opens study after study, mostly of similar sizes (a chest CT of 480 or
512 slices). So when a volume is no longer referenced anywhere (its array and every
view of it gone), its memory is kept as the one spare buffer; a background thread
zeroes it at once, and the next volume that fits it gets it, already zeroed (no kernel
zeroing, no host faults): one of the spare's size or smaller, down to
1 / :data:`SLACK` of it (the rest of the buffer unused meanwhile). A volume never sees
another volume's pixels: a buffer is handed out only after it has been zeroed whole,
and only once nothing refers to its previous array.

The spare is let go after :data:`IDLE_S` unused, or at once when a volume it does not
fit is wanted (before that one is allocated, so the two never sit in memory
together). Volumes under :data:`MIN_BYTES` and platforms without anonymous private
mappings (Windows) take plain ``numpy.zeros``.
"""

from __future__ import annotations

import contextlib
import errno
import mmap
import threading
import time
import weakref
from typing import Any, Final

import numpy as np
import numpy.typing as npt

__all__ = ["IDLE_S", "MIN_BYTES", "SLACK", "allocate_volume", "spare_bytes"]

#: Smaller volumes are left to the allocator (the kernel zeroes them in a few ms).
MIN_BYTES: Final = 32 * 2**20
#: How long a released buffer is kept for the next volume.
IDLE_S: Final = 60.0
#: A volume takes the spare when the spare is at most this many times its size.
SLACK: Final = 1.5
#: Zeroed in pieces, so that a wait for the spare is never longer than needed.
_PIECE: Final = 16 * 2**20

_POSSIBLE: Final = hasattr(mmap, "MAP_PRIVATE") and hasattr(mmap.mmap, "madvise")


class _Spare:
    """The one kept buffer, and the thread that zeroes it and lets it go when idle."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._buffer: mmap.mmap | None = None
        self._clean = False
        self._released_at = 0.0
        self._thread: threading.Thread | None = None

    # -------------------------------------------------------------- handing out

    def take(self, nbytes: int) -> mmap.mmap | None:
        """A zeroed buffer of ``nbytes`` to ``SLACK`` times that, or None (the spare, if
        any, is let go)."""
        with self._lock:
            buffer = self._buffer
            if buffer is None:
                return None
            if not nbytes <= len(buffer) <= nbytes * SLACK:
                self._drop()  # before the caller allocates: never both in memory
                return None
            while not self._clean and self._buffer is buffer:
                self._lock.wait()  # being zeroed: at most a few tens of ms
            if self._buffer is not buffer:
                return None
            self._buffer = None
            self._clean = False
            return buffer

    def bytes_kept(self) -> int:
        with self._lock:
            return 0 if self._buffer is None else len(self._buffer)

    # -------------------------------------------------------------- taking back

    def put(self, buffer: mmap.mmap) -> None:
        """A volume's buffer is no longer referenced: keep it (instead of the spare)."""
        with self._lock:
            self._drop()
            self._buffer = buffer
            self._clean = False
            self._released_at = time.monotonic()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._work, name="radassist-volume-memory", daemon=True
                )
                self._thread.start()
            self._lock.notify_all()

    def _drop(self) -> None:
        buffer, self._buffer, self._clean = self._buffer, None, False
        if buffer is not None:
            _close_quietly(buffer)
        self._lock.notify_all()

    def _work(self) -> None:
        """Zero each released buffer, then let it go once it has waited IDLE_S unused."""
        while True:
            with self._lock:
                buffer = self._buffer
                if buffer is None:
                    self._thread = None
                    return
                if self._clean:
                    left = self._released_at + IDLE_S - time.monotonic()
                    if left <= 0:
                        self._drop()
                        self._thread = None
                        return
                    self._lock.wait(left)
                    continue
            try:
                zeroed = _zero(buffer)  # without the lock: a taker waits, a put replaces it
            except BaseException:
                # Never leave a taker waiting for a zeroing that will not end.
                with self._lock:
                    if self._buffer is buffer:
                        self._drop()
                    self._thread = None
                raise
            with self._lock:
                if zeroed and self._buffer is buffer:
                    self._clean = True
                    self._lock.notify_all()
                elif self._buffer is not buffer:
                    _close_quietly(buffer)


def _zero(buffer: mmap.mmap) -> bool:
    """Write zeros over the whole buffer; False when it was closed meanwhile."""
    try:
        view = np.frombuffer(buffer, dtype=np.uint8)
    except (ValueError, TypeError):  # closed
        return False
    try:
        for start in range(0, view.size, _PIECE):
            view[start : start + _PIECE] = 0
    finally:
        del view
    return True


def _close_quietly(buffer: mmap.mmap) -> None:
    """Unmap now, or (an array being freed, or the zeroing, still holds it) when the last
    holder lets go."""
    with contextlib.suppress(BufferError):
        buffer.close()


_SPARE = _Spare()


def spare_bytes() -> int:
    """Bytes kept for the next volume (0 when none)."""
    return _SPARE.bytes_kept()


def allocate_volume(shape: tuple[int, ...], dtype: npt.DTypeLike) -> npt.NDArray[Any]:
    """A zeroed, writable, C-contiguous array for a volume (see the module notes).

    Its memory is reused for a later volume that fits it only once this array and
    every view of it are gone.
    """
    kind = np.dtype(dtype)
    count = int(np.prod(shape, dtype=np.int64))
    nbytes = count * kind.itemsize
    if not _POSSIBLE or nbytes < MIN_BYTES:
        return np.zeros(shape, dtype=kind)
    buffer = _SPARE.take(nbytes)
    if buffer is None:
        try:
            buffer = mmap.mmap(-1, nbytes, flags=mmap.MAP_PRIVATE)
        except OSError as error:
            if error.errno == errno.ENOMEM:  # as numpy.zeros says it (memory ceilings)
                raise MemoryError(f"cannot allocate a volume of {nbytes} bytes") from None
            raise
        if hasattr(mmap, "MADV_HUGEPAGE"):
            buffer.madvise(mmap.MADV_HUGEPAGE)  # as numpy asks for its own large arrays
    flat = np.frombuffer(buffer, dtype=kind, count=count)
    # Every array derived from ``flat`` (the volume, a slice, a memoryview of one) keeps
    # it alive; when the last of them is gone, the buffer becomes the spare.
    finalizer = weakref.finalize(flat, _SPARE.put, buffer)
    finalizer.atexit = False
    array: npt.NDArray[Any] = flat.reshape(shape)
    return array
