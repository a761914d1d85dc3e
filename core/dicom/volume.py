"""Loading a series into a volume of modality-LUT values, first image first.

:func:`load_series` is a job (see :mod:`core.jobs`): it yields a
:class:`FirstImage` as soon as the first slice in display order is ready, then
:class:`~core.jobs.Progress` events, and returns a :class:`Volume`.

Two paths fill the volume:

* Native pixel data (uncompressed little endian in a plain file) needs no
  decoder: the index recorded where the values start, so threads read each
  frame straight into its slot of the preallocated volume with one positioned
  read, and mask and rescale it there (no header parsed twice, no copy through
  another process, no memory beyond the volume and a frame's scratch buffer per
  thread). Threads are safe for any source, not only the archive's files: no
  decoder runs, the recorded length is checked against the frame before
  reading, and a short file is a short read (that frame fails, nothing else).
* Everything that needs a decoder (JPEG family, RLE, deflate, big endian,
  colour, zip members, modality LUT tables) runs in the worker processes of
  :mod:`core.dicom.workers`, so a decoder crash costs that file only.

A frame that fails is left black, listed in ``Volume.failures`` with its reason,
and the rest loads (house rule 5).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Generator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from core.dicom.decode import apply_bits_stored_mask
from core.dicom.geometry import compute_geometry
from core.dicom.isolated_read import describe_failure, run_decoder
from core.dicom.limits import (
    check_volume_budget,
    expected_pixel_bytes,
    read_dataset_bounded,
    too_large,
)
from core.dicom.lut import ModalityLut, apply_modality_lut
from core.dicom.reading_order import reading_order
from core.dicom.records import FrameRef, SeriesGeometry, SeriesRecord, UnreadableFile
from core.dicom.volume_memory import allocate_volume
from core.errors import DicomError, PixelDataError, UsageError
from core.jobs import FOREGROUND, CancelToken, Progress

logger = logging.getLogger(__name__)

_NATIVE_SYNTAXES = frozenset({"1.2.840.10008.1.2", "1.2.840.10008.1.2.1"})
#: Reading threads: one per core, 2 to 4. Reads from the page cache are memory copies and page
#: faults, bound by the cores; more threads than cores only took CPU time from the window's
#: GUI thread (4 on 2 cores doubled how long its turns took while a series loaded).
_READ_THREADS = min(4, max(2, os.cpu_count() or 2))
#: Native frames read by one task of the reading pool.
_FRAMES_PER_TASK = 8
#: The least time between two Progress events of a load (the last one always comes):
#: each is a turn of a window's GUI thread, which the readers wait for
#: (core.jobs.ForegroundGate). A 512-slice CT read from memory in ~0.15 s sent 20.
PROGRESS_INTERVAL_S = 0.1


@dataclass(frozen=True)
class FirstImage:
    """The first slice a viewer shows is ready: ``volume.array[index]`` holds it.

    That is the first in reading order (:mod:`core.dicom.reading_order`: an axial stack's
    most superior slice), read before any other.

    ``volume`` is the object the job will return, still filling: a viewer may show
    any frame whose ``volume.loaded`` flag is set while the rest arrives.
    """

    index: int
    image: npt.NDArray[Any]
    elapsed_s: float
    volume: Volume


@dataclass(eq=False)
class Volume:
    """A loaded series.

    Attributes
    ----------
    series, geometry :
        What was loaded and its display order, spacing and problems.
    array : numpy.ndarray
        Modality-LUT values (HU on CT), shape (frames, rows, columns) for
        greyscale or (frames, rows, columns, 3) RGB for colour, in display order.
    loaded : numpy.ndarray
        Per frame, whether its values arrived (False for a failed frame).
    failures : tuple of UnreadableFile
        Frames (files) that could not be read, with the reason.
    first_image_s, total_s : float
        Seconds from the start of the load to the first image and to the end.
    """

    series: SeriesRecord
    geometry: SeriesGeometry
    array: npt.NDArray[Any]
    loaded: npt.NDArray[np.bool_]
    failures: tuple[UnreadableFile, ...] = ()
    first_image_s: float = 0.0
    total_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_color(self) -> bool:
        return self.array.ndim == 4


def _value_dtype(frames: Sequence[FrameRef]) -> np.dtype[Any]:
    """The narrowest dtype that holds every frame's modality-LUT output exactly."""
    first = frames[0].instance
    if first.samples_per_pixel == 3 or first.photometric_interpretation == "PALETTE COLOR":
        return np.dtype(np.uint8 if first.bits_stored <= 8 else np.uint16)
    low, high = np.inf, -np.inf
    integral = True
    for ref in frames:
        inst, info = ref.instance, ref.info
        if inst.complex_modality_lut:
            integral = False
            break
        if inst.pixel_representation:
            lo, hi = -(2 ** (inst.bits_stored - 1)), 2 ** (inst.bits_stored - 1) - 1
        else:
            lo, hi = 0, 2**inst.bits_stored - 1
        slope, intercept = info.rescale_slope, info.rescale_intercept
        ends = (lo * slope + intercept, hi * slope + intercept)
        low, high = min(low, *ends), max(high, *ends)
        integral = integral and float(slope).is_integer() and float(intercept).is_integer()
    if not integral:
        return np.dtype(np.float32)
    for candidate in (np.uint8, np.int16, np.uint16, np.int32):
        info_i = np.iinfo(candidate)
        if info_i.min <= low and high <= info_i.max:
            return np.dtype(candidate)
    return np.dtype(np.float32)


def _is_native(ref: FrameRef) -> bool:
    inst = ref.instance
    return (
        inst.ref.member is None
        and inst.pixel_data_offset is not None
        and inst.transfer_syntax_uid in _NATIVE_SYNTAXES
        and inst.samples_per_pixel == 1
        and inst.bits_allocated in (8, 16, 32)
        and inst.photometric_interpretation in ("MONOCHROME1", "MONOCHROME2")
        and not inst.complex_modality_lut
    )


def _read_native_frame(ref: FrameRef, out: npt.NDArray[Any]) -> None:
    """Read one native frame into ``out`` (a slot of the volume), applying the rescale.

    The values go straight from the file into the slot where the widths allow (a
    16-bit frame into an int16/uint16 volume: no buffer, no copy), then the bits above
    Bits Stored are cleared and the rescale applied in place; otherwise through one
    scratch buffer per reading thread. The volume's dtype holds every value the
    series can have (:func:`_value_dtype`), so the results are those of
    :func:`core.dicom.lut.apply_modality_lut`, exactly.
    """
    inst, info = ref.instance, ref.info
    pixels = inst.rows * inst.columns
    frame_bytes = expected_pixel_bytes(inst.rows, inst.columns, 1, 1, inst.bits_allocated)
    assert inst.pixel_data_offset is not None
    needed = frame_bytes * (ref.frame + 1)
    if inst.pixel_data_length is not None and inst.pixel_data_length < needed:
        raise PixelDataError(
            inst.ref.display_name,
            f"Pixel Data is {inst.pixel_data_length} bytes; frame {ref.frame + 1} needs "
            f"{needed} ({inst.rows}x{inst.columns}, "
            f"{inst.bits_allocated} bits allocated)",
        )
    kind = "i" if inst.pixel_representation else "u"
    stored = np.dtype(f"<{kind}{inst.bits_allocated // 8}")
    lut = ModalityLut(slope=info.rescale_slope, intercept=info.rescale_intercept)
    if not out.flags.c_contiguous:
        raise ValueError("out must be a C-contiguous slot of the volume")
    flat = out.reshape(-1)  # a view, never a copy
    direct = out.dtype.kind in "iu" and out.dtype.itemsize == stored.itemsize and stored.isnative
    raw = flat.view(stored) if direct else _scratch(stored, pixels)
    try:
        _pread_exactly(inst.ref.path, raw, inst.pixel_data_offset + ref.frame * frame_bytes, ref)
    except BaseException:
        flat.fill(0)  # a failed frame is black, never half read
        raise
    raw = apply_bits_stored_mask(raw, inst.bits_stored)
    integral = lut.slope.is_integer() and lut.intercept.is_integer()
    if out.dtype.kind in "iu" and integral and direct:
        # The stored bits read as the volume's type are the stored value modulo 2**bits,
        # and integer arithmetic in that type is exact modulo 2**bits; the volume's type
        # holds every result (_value_dtype), so the wrapped result is the exact one.
        slope, intercept = _wrapped(lut.slope, out.dtype), _wrapped(lut.intercept, out.dtype)
        if lut.slope != 1:
            np.multiply(flat, slope, out=flat)
        if lut.intercept:
            np.add(flat, intercept, out=flat)
    elif out.dtype.kind in "iu" and integral:
        # Exact in the working width; the volume's dtype holds the result (see above).
        work = np.int64 if stored.itemsize >= 4 else np.int32
        if lut.slope != 1:
            product = _scratch(np.dtype(work), pixels)
            np.multiply(raw, work(lut.slope), out=product, dtype=work)
            np.add(product, work(lut.intercept), out=flat, casting="unsafe")
        elif lut.intercept or not direct or out.dtype != stored:
            np.add(raw, work(lut.intercept), out=flat, dtype=work, casting="unsafe")
    elif out.dtype == np.float32 and not integral and stored.itemsize <= 2:
        # apply_modality_lut's float32 arithmetic, written into the slot.
        np.multiply(raw, np.float32(lut.slope), out=flat, dtype=np.float32)
        np.add(flat, np.float32(lut.intercept), out=flat)
    else:
        values = raw.reshape(inst.rows, inst.columns)
        np.copyto(out, apply_modality_lut(values, lut), casting="unsafe")


def _wrapped(value: float, dtype: np.dtype[Any]) -> Any:
    """``value`` (an integer) as a scalar of ``dtype``, modulo 2**bits."""
    bits = dtype.itemsize * 8
    wrapped = int(value) % (1 << bits)
    if dtype.kind == "i" and wrapped >= 1 << (bits - 1):
        wrapped -= 1 << bits
    return dtype.type(wrapped)


_SCRATCH = threading.local()
_PREADV = getattr(os, "preadv", None)


def _scratch(dtype: np.dtype[Any], size: int) -> npt.NDArray[Any]:
    """This thread's reusable buffer of ``size`` values (no fresh pages for every frame)."""
    buffers: dict[str, npt.NDArray[Any]] = _SCRATCH.__dict__.setdefault("buffers", {})
    buffer = buffers.get(dtype.str)
    if buffer is None or buffer.size != size:
        if buffer is not None:
            buffers.clear()  # another frame size: keep only the current one's buffers
        buffer = buffers[dtype.str] = np.empty(size, dtype=dtype)
    return buffer


def _pread_exactly(path: str, into: npt.NDArray[Any], offset: int, ref: FrameRef) -> None:
    """Fill ``into`` with the file's bytes at ``offset`` (one open, positioned reads)."""
    target = into.data.cast("B")
    wanted, got = target.nbytes, 0
    with open(path, "rb", buffering=0) as stream:
        if _PREADV is None:  # Windows: no positioned reads
            stream.seek(offset)
        while got < wanted:
            if _PREADV is not None:
                count = _PREADV(stream.fileno(), [target[got:]], offset + got)
            else:
                count = stream.readinto(target[got:]) or 0
            if count == 0:
                break
            got += count
    if got != wanted:
        raise PixelDataError(
            ref.instance.ref.display_name,
            f"the file ends {got} bytes into frame {ref.frame + 1}; {wanted} expected",
        )


def _decode_task(item: tuple[FrameRef, str]) -> npt.NDArray[Any]:
    """Worker-process side: decode one frame through the full modality LUT."""
    from core.dicom.pixels import read_frame_values  # lazy: not on the window's start-up path

    ref, source = item
    try:
        with ref.instance.ref.open() as stream:
            dataset = read_dataset_bounded(stream, source=source)
            values: npt.NDArray[Any] = read_frame_values(dataset, ref.frame, source=source)
            return values
    except DicomError:
        raise
    except MemoryError:
        raise too_large(source, f"frame {ref.frame + 1} ran out of memory") from None
    except Exception as error:
        reason = f"cannot decode frame {ref.frame + 1}: {describe_failure(error)}"
        raise PixelDataError(source, reason) from None


def _failure(ref: FrameRef, error: BaseException) -> UnreadableFile:
    reason = error.reason if isinstance(error, DicomError) else str(error)
    return UnreadableFile(ref.instance.ref, reason)


def load_series(
    series: SeriesRecord, token: CancelToken | None = None
) -> Generator[FirstImage | Progress, None, Volume]:
    """Load a series into a :class:`Volume`; yields the first image before the rest.

    Parameters
    ----------
    series : SeriesRecord
        An image series from :func:`core.dicom.index.scan`.
    token : CancelToken, optional
        Checked between frames; :class:`~core.errors.CancelledError` is raised
        when it is set.

    Yields
    ------
    FirstImage, then Progress
        The first frame in display order as soon as it is ready; progress at most
        every :data:`PROGRESS_INTERVAL_S`, and at the end.

    Returns
    -------
    Volume
        Frames in display order; failed frames are black and listed.

    Raises
    ------
    core.errors.UsageError
        When the series has no frames or frames of different sizes.
    """

    if not isinstance(series, SeriesRecord):
        raise TypeError(f"series must be a SeriesRecord, not {type(series).__name__}")
    token = token or CancelToken()
    start = time.perf_counter()
    # Between the Python-heavy steps of setting up, the window's GUI turn goes first (the
    # turn that started this load is one): see core.jobs.ForegroundGate.
    FOREGROUND.wait_turn()
    geometry = compute_geometry(series)
    FOREGROUND.wait_turn()
    frames = geometry.frames
    if not frames:
        raise UsageError(f"series {series.key} has no image frames")
    sizes = {(f.instance.rows, f.instance.columns) for f in frames}
    if len(sizes) > 1:
        raise UsageError(f"series {series.key} mixes image sizes {sorted(sizes)}; split it first")
    rows, columns = sizes.pop()
    dtype = _value_dtype(frames)
    colour = frames[0].instance.samples_per_pixel == 3 or (
        frames[0].instance.photometric_interpretation == "PALETTE COLOR"
    )
    shape = (len(frames), rows, columns, 3) if colour else (len(frames), rows, columns)
    check_volume_budget(series.key, int(np.prod(shape, dtype=object)) * dtype.itemsize)
    array = allocate_volume(shape, dtype)  # zeroed; a released volume's memory reused
    loaded = np.zeros(len(frames), dtype=bool)
    volume = Volume(series=series, geometry=geometry, array=array, loaded=loaded)
    failures: list[UnreadableFile] = []
    first_s = 0.0
    first_sent = False

    # Read in the order a viewer shows them (axial: superior first), the first one first.
    shown = reading_order(geometry).frames
    native = [i for i in shown if _is_native(frames[i])]
    decoded = [i for i in shown if not _is_native(frames[i])]
    next_progress = start + PROGRESS_INTERVAL_S
    done = 0

    def record(index: int, error: BaseException | None) -> None:
        nonlocal done
        done += 1
        if error is None:
            loaded[index] = True
        else:
            failures.append(_failure(frames[index], error))

    def progress_due() -> bool:
        nonlocal next_progress
        now = time.perf_counter()
        if now < next_progress:
            return False
        next_progress = now + PROGRESS_INTERVAL_S
        return True

    def first_event() -> FirstImage | None:
        nonlocal first_sent, first_s
        if first_sent or done == 0:
            return None
        first_sent = True
        index = shown[0] if loaded[shown[0]] else int(np.argmax(loaded)) if loaded.any() else 0
        first_s = time.perf_counter() - start
        return FirstImage(index, array[index], first_s, volume)

    # The frame shown first is read before anything else, on this thread.
    FOREGROUND.wait_turn()
    if native and native[0] == shown[0]:
        try:
            _read_native_frame(frames[shown[0]], array[shown[0]])
            record(shown[0], None)
        except (DicomError, OSError) as error:
            record(shown[0], error)
        native = native[1:]
        _SCRATCH.__dict__.clear()  # the caller's thread keeps no buffer (the pool's go with it)
        event = first_event()
        if event is not None:
            yield event

    if native:
        # A few frames per task: one future per frame cost the caller's thread (and the GIL
        # the GUI needs) more than the reads themselves.
        size = max(1, min(_FRAMES_PER_TASK, len(native) // (4 * _READ_THREADS)))
        chunks = [native[i : i + size] for i in range(0, len(native), size)]

        def read_chunk(chunk: list[int]) -> list[tuple[int, BaseException | None]]:
            outcomes: list[tuple[int, BaseException | None]] = []
            for index in chunk:
                FOREGROUND.wait_turn()  # the window's GUI turn (a paint, an event) goes first
                try:
                    _read_native_frame(frames[index], array[index])
                    outcomes.append((index, None))
                except (DicomError, OSError) as error:
                    outcomes.append((index, error))
            return outcomes

        with ThreadPoolExecutor(_READ_THREADS, thread_name_prefix="radassist-read") as pool:
            pending: set[Future[list[tuple[int, BaseException | None]]]] = set()
            queue = list(reversed(chunks))
            try:
                while queue or pending:
                    token.raise_if_cancelled()
                    while queue and len(pending) < 2 * _READ_THREADS:
                        pending.add(pool.submit(read_chunk, queue.pop()))
                    finished, _ = wait(pending, timeout=0.05, return_when=FIRST_COMPLETED)
                    for future in finished:
                        pending.discard(future)
                        for index, problem in future.result():
                            record(index, problem)
                    event = first_event()
                    if event is not None:
                        yield event
                    if finished and progress_due():
                        yield Progress(done, len(frames), "reading images")
            finally:
                for future in pending:
                    future.cancel()

    if decoded:
        items = [(frames[i], frames[i].instance.ref.display_name) for i in decoded]
        # Typed errors whatever the decoder raised (a panic is a BaseException).
        for outcome in run_decoder(_decode_task, items, token, describe=lambda item: item[1]):
            index = decoded[outcome.index]
            if outcome.error is None and outcome.result is not None:
                try:
                    _store(array, index, outcome.result, frames[index])
                except DicomError as error:
                    record(index, error)
                else:
                    record(index, None)
            else:
                record(index, outcome.error or PixelDataError("?", "no result"))
            event = first_event()
            if event is not None:
                yield event
            if progress_due():
                yield Progress(done, len(frames), "decoding images")

    total = time.perf_counter() - start
    yield Progress(len(frames), len(frames), "loaded")
    if failures:
        logger.warning("series %s: %d of %d frames failed", series.key, len(failures), len(frames))
    volume.failures = tuple(failures)
    volume.first_image_s = first_s
    volume.total_s = total
    return volume


def _store(array: npt.NDArray[Any], index: int, values: npt.NDArray[Any], ref: FrameRef) -> None:
    slot = array[index]
    if values.shape != slot.shape:
        raise PixelDataError(
            ref.instance.ref.display_name,
            f"frame {ref.frame + 1} decoded to shape {values.shape}, expected {slot.shape}",
        )
    if slot.dtype.kind in "iu" and values.dtype.kind == "f":
        values = np.rint(values)
    np.copyto(slot, values, casting="unsafe")
