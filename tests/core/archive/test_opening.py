"""Opening a study from the archive: no header read again, and the values a decoder gives.

The loader reads native frames straight into the volume (rescaled in place); these tests
hold it to the values the decoding path (pydicom, in the worker processes) gives for the
same files, for every way the in-place arithmetic is chosen.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from pydicom.uid import generate_uid

from core.archive import Archive
from core.dicom.records import SeriesRecord
from core.dicom.volume import Volume, load_series
from core.jobs import run_job
from tests.core.archive.helpers import tiny_image

SIZE = 16
SLICES = 4

#: Name -> (bits allocated, bits stored, signed, per-slice (slope, intercept)).
CASES: dict[str, tuple[int, int, int, tuple[tuple[float, float], ...]]] = {
    "12-bit CT, intercept -1024 (int16, in place)": (16, 12, 0, ((1, -1024),) * SLICES),
    "signed 16-bit, no rescale (int16, in place)": (16, 16, 1, ((1, 0),) * SLICES),
    "signed 12-bit with high bits set (sign extended)": (16, 12, 1, ((1, -1024),) * SLICES),
    "slope 2 (multiplied in place)": (16, 12, 0, ((2, -2048),) * SLICES),
    "full 16-bit range, intercept -1024 (int32)": (16, 16, 0, ((1, -1024),) * SLICES),
    "fractional slope (float32)": (16, 12, 0, ((0.5, -10.25),) * SLICES),
    "8-bit with intercept (int16)": (8, 8, 0, ((1, -100),) * SLICES),
    "mixed slopes: whole and fractional (float32)": (
        16,
        12,
        0,
        ((1, -1024), (0.5, -10.25), (1, -1024), (3, 7)),
    ),
}


def _series(archive: Archive, case: str, rng: np.random.Generator) -> SeriesRecord:
    allocated, stored, signed, rescales = CASES[case]
    study, series = generate_uid(), generate_uid()
    kind = ("i" if signed else "u") + str(allocated // 8)
    for number, (slope, intercept) in enumerate(rescales, start=1):
        ds = tiny_image(study, series)
        ds.InstanceNumber = number
        ds.ImagePositionPatient = [0.0, 0.0, 2.5 * number]
        ds.Rows = ds.Columns = SIZE
        ds.BitsAllocated, ds.BitsStored, ds.HighBit = allocated, stored, stored - 1
        ds.PixelRepresentation = signed
        info = np.iinfo(np.dtype(kind))
        # Every bit pattern, the ones above Bits Stored included (they must be masked).
        values = rng.integers(info.min, info.max, SIZE * SIZE, endpoint=True, dtype=kind)
        ds.PixelData = values.astype("<" + kind).tobytes()
        ds.RescaleSlope, ds.RescaleIntercept = slope, intercept
        assert archive.accept(ds, source="test")
    return archive.study_index(study).find_series(series)


def _decoded(series: SeriesRecord) -> Volume:
    """The same series through the decoders (pydicom in the worker processes)."""
    instances = tuple(
        dataclasses.replace(inst, pixel_data_offset=None) for inst in series.instances
    )
    return run_job(load_series(dataclasses.replace(series, instances=instances)))


@pytest.mark.parametrize("case", list(CASES))
def test_native_frames_read_in_place_equal_the_decoders_values(archive: Archive, case: str) -> None:
    series = _series(archive, case, np.random.default_rng(13))

    native = run_job(load_series(series))
    decoded = _decoded(series)

    assert native.loaded.all() and not native.failures
    assert native.array.dtype == decoded.array.dtype
    assert np.array_equal(native.array, decoded.array)


def test_the_in_place_values_are_the_rescaled_stored_values(archive: Archive) -> None:
    # An oracle of its own, independent of both paths: mask by hand, rescale in int64.
    series = _series(
        archive, "signed 12-bit with high bits set (sign extended)", np.random.default_rng(5)
    )
    volume = run_job(load_series(series))
    for index, frame in enumerate(volume.geometry.frames):
        inst = frame.instance
        with open(inst.ref.path, "rb") as stream:
            stream.seek(inst.pixel_data_offset or 0)
            raw = np.frombuffer(stream.read(SIZE * SIZE * 2), dtype="<i2").astype(np.int64)
        stored = ((raw & 0x0FFF) ^ 0x0800) - 0x0800  # 12-bit two's complement
        expected = (stored - 1024).reshape(SIZE, SIZE)
        assert np.array_equal(volume.array[index], expected)
    assert volume.array.dtype == np.int16


@pytest.fixture
def opened_files() -> Iterator[list[str]]:
    """Paths the process opens while the fixture's list is being filled."""
    opened: list[str] = []
    recording = [True]

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if recording[0] and event == "open" and isinstance(args[0], str | bytes | os.PathLike):
            opened.append(os.fsdecode(args[0]))

    sys.addaudithook(hook)  # hooks cannot be removed: this one stops recording instead
    yield opened
    recording[0] = False


def test_opening_from_the_archive_reads_no_header(
    archive: Archive, opened_files: list[str]
) -> None:
    case = "12-bit CT, intercept -1024 (int16, in place)"
    series = _series(archive, case, np.random.default_rng(1))
    (row,) = archive.search()
    files_root = str(archive.files_root)
    opened_files.clear()

    index = archive.study_index(row.study_uid)
    from_index = [path for path in opened_files if path.startswith(files_root)]
    volume = run_job(load_series(index.all_series()[0]))
    files = [path for path in opened_files if path.startswith(files_root)]

    assert from_index == []  # the records come from the index alone
    # Each file opened once, for its pixel values (no header parsed on the way).
    assert sorted(files) == sorted(inst.ref.path for inst in series.instances)
    assert volume.loaded.all() and volume.array.shape == (SLICES, SIZE, SIZE)


def test_a_stored_file_cut_short_is_a_black_listed_frame_and_the_rest_loads(
    archive: Archive,
) -> None:
    series = _series(
        archive, "12-bit CT, intercept -1024 (int16, in place)", np.random.default_rng(3)
    )
    damaged = series.instances[1]
    assert damaged.pixel_data_offset is not None
    with open(damaged.ref.path, "r+b") as stream:  # the disk lost the end of the file
        stream.truncate(damaged.pixel_data_offset + SIZE * SIZE)  # half its pixel data

    volume = run_job(load_series(series))

    (failure,) = volume.failures
    assert failure.ref == damaged.ref and "the file ends 256 bytes into frame 1" in failure.reason
    index = [frame.instance for frame in volume.geometry.frames].index(damaged)
    assert not volume.loaded[index] and not volume.array[index].any()  # black, not half read
    assert volume.loaded.sum() == SLICES - 1
