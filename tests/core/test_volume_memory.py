"""A released volume's memory is reused for the next volume of its size, zeroed, and only
once nothing refers to it any more."""

from __future__ import annotations

import gc
import threading
import time

import numpy as np
import pytest

from core.dicom import volume_memory
from core.dicom.volume_memory import MIN_BYTES, allocate_volume, spare_bytes

SHAPE = (96, 512, 512)  # 48 MiB of int16
SLICE_BYTES = 512 * 512 * 2
assert 64 * SLICE_BYTES == MIN_BYTES  # the smallest volume that is kept


def _address(array: np.ndarray) -> int:
    return int(array.__array_interface__["data"][0])


def _until(condition, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError("timed out")
        time.sleep(0.005)


@pytest.fixture(autouse=True)
def _no_spare_between_tests():  # type: ignore[no-untyped-def]
    yield
    gc.collect()
    volume_memory._SPARE.take(-1)  # another size: whatever is kept is let go
    assert spare_bytes() == 0


def test_the_next_volume_of_the_same_size_gets_the_released_memory_zeroed() -> None:
    first = allocate_volume(SHAPE, np.int16)
    assert first.shape == SHAPE and first.dtype == np.int16 and first.flags.c_contiguous
    assert first.flags.writeable and not first.any()
    first[:] = 1234  # a patient's pixels
    where = _address(first)
    del first
    _until(lambda: spare_bytes() == np.prod(SHAPE) * 2)
    second = allocate_volume(SHAPE, np.int16)
    assert _address(second) == where, "the released memory was not reused"
    assert not second.any(), "the previous volume's pixels are still there"
    assert spare_bytes() == 0
    # Another dtype of the same byte size takes it too.
    del second
    _until(lambda: spare_bytes() > 0)
    third = allocate_volume((48, 512, 512), np.float32)
    assert _address(third) == where and not third.any()


def test_a_somewhat_smaller_volume_takes_the_spare_and_a_much_smaller_one_lets_it_go() -> None:
    first = allocate_volume(SHAPE, np.int16)
    first[:] = 99
    where = _address(first)
    del first
    _until(lambda: spare_bytes() == 96 * SLICE_BYTES)
    smaller = allocate_volume((72, 512, 512), np.int16)  # 480 slices after 512, say
    assert smaller.shape == (72, 512, 512) and _address(smaller) == where
    assert not smaller.any() and smaller.flags.writeable
    del smaller
    _until(lambda: spare_bytes() == 96 * SLICE_BYTES)  # the whole buffer is kept
    at_the_limit = allocate_volume((64, 512, 512), np.int16)  # 1.5 times smaller
    assert _address(at_the_limit) == where
    del at_the_limit
    _until(lambda: spare_bytes() > 0)
    large = allocate_volume((160, 512, 512), np.int16)  # bigger: a fresh buffer
    assert spare_bytes() == 0
    del large
    _until(lambda: spare_bytes() == 160 * SLICE_BYTES)
    much_smaller = allocate_volume((96, 512, 512), np.int16)  # 1.67 times smaller
    assert spare_bytes() == 0, "the spare was kept beside a volume it does not fit"
    assert not much_smaller.any()


def test_memory_a_view_still_shows_is_never_given_to_another_volume() -> None:
    volume = allocate_volume(SHAPE, np.int16)
    volume[:] = 7
    shown = volume[10]  # a viewport's slice, a thumbnail's source...
    column = memoryview(volume[:, 3, 3:5])  # a memoryview of a view
    del volume
    gc.collect()
    assert spare_bytes() == 0, "kept while a view of it is alive"
    other = allocate_volume(SHAPE, np.int16)
    other[:] = 9
    assert (shown == 7).all() and set(np.asarray(column).ravel()) == {7}
    assert not np.shares_memory(other, shown)
    del shown
    gc.collect()
    assert spare_bytes() == 0, "the memoryview still holds it"
    del column
    _until(lambda: spare_bytes() > 0)


def test_a_volume_of_another_size_lets_the_spare_go_first() -> None:
    volume = allocate_volume(SHAPE, np.int16)
    del volume
    _until(lambda: spare_bytes() > 0)
    bigger = allocate_volume((128, 512, 512), np.int16)
    assert spare_bytes() == 0 and not bigger.any()


def test_the_spare_is_let_go_when_it_waits_unused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(volume_memory, "IDLE_S", 0.2)
    volume = allocate_volume(SHAPE, np.int16)
    del volume
    _until(lambda: spare_bytes() > 0)
    _until(lambda: spare_bytes() == 0, timeout=3.0)


def test_small_volumes_are_left_to_numpy() -> None:
    small = allocate_volume((3, 64, 64), np.uint8)
    assert small.flags.owndata and not small.any()
    del small
    gc.collect()
    assert spare_bytes() == 0


def test_volumes_allocated_and_released_from_several_threads_never_share_pixels() -> None:
    problems: list[str] = []

    def reader(mark: int) -> None:
        for _ in range(6):
            volume = allocate_volume(SHAPE, np.int16)
            if volume.any():
                problems.append(f"thread {mark}: a new volume was not zeroed")
            volume[::8] = mark
            time.sleep(0.002)
            if not (volume[::8] == mark).all():
                problems.append(f"thread {mark}: another volume wrote into this one")
            del volume

    threads = [threading.Thread(target=reader, args=(n,)) for n in (1, 2, 3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert problems == []


def test_when_memory_runs_out_the_volume_says_so_as_numpy_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import errno
    import mmap

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.ENOMEM, "Cannot allocate memory")

    monkeypatch.setattr(mmap, "mmap", refuse)
    with pytest.raises(MemoryError):
        allocate_volume(SHAPE, np.int16)


def test_a_zeroing_that_fails_never_leaves_a_load_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_buffer: object) -> bool:
        raise MemoryError("no memory for the zeroing")

    monkeypatch.setattr(volume_memory, "_zero", broken)
    monkeypatch.setattr(threading, "excepthook", lambda _args: None)  # the thread's error
    volume = allocate_volume(SHAPE, np.int16)
    volume[:] = 5
    del volume
    _until(lambda: spare_bytes() == 0)  # let go, not kept dirty
    again = allocate_volume(SHAPE, np.int16)
    assert not again.any()
