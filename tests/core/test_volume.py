"""Loading a series: values, order, first image first, bad slices, cancel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.pixels import apply_modality_lut

from core.dicom.index import scan
from core.dicom.volume import FirstImage, Volume, load_series
from core.errors import CancelledError
from core.jobs import CancelToken, Progress, run_job
from core.synthetic import write_ct_series


def _reference_volume(folder: Path) -> np.ndarray:
    """What a careful reader gets with plain pydicom: modality values sorted along the normal."""
    slices = []
    for path in folder.iterdir():
        ds = pydicom.dcmread(path)
        iop = np.array(ds.ImageOrientationPatient, float)
        normal = np.cross(iop[:3], iop[3:])
        position = float(np.dot(normal, np.array(ds.ImagePositionPatient, float)))
        slices.append((position, apply_modality_lut(ds.pixel_array, ds)))
    slices.sort(key=lambda item: item[0])
    return np.stack([values for _, values in slices])


@pytest.fixture(scope="module")
def ct_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ct")
    # Unsigned 12-bit stored values with intercept -1024: HU fit int16 exactly.
    write_ct_series(
        folder, np.random.default_rng(3), slices=24, size=64, pixel_representation=0, bits_stored=12
    )
    return folder


def _load(folder: Path) -> tuple[Volume, list[object]]:
    series = max(scan(str(folder)).all_series(), key=lambda s: s.frame_count)
    events: list[object] = []
    volume = run_job(load_series(series), events.append)
    return volume, events


def test_volume_holds_modality_values_in_geometric_order(ct_folder: Path) -> None:
    volume, _ = _load(ct_folder)
    expected = _reference_volume(ct_folder)
    assert volume.array.shape == expected.shape
    assert volume.array.dtype == np.int16
    np.testing.assert_array_equal(volume.array, expected)
    assert volume.loaded.all() and volume.failures == ()
    assert volume.array.min() >= -1024  # HU, not stored values


def test_first_image_comes_before_the_rest(ct_folder: Path) -> None:
    _, events = _load(ct_folder)
    kinds = [type(e) for e in events]
    assert FirstImage in kinds
    first = kinds.index(FirstImage)
    assert first < len(kinds) - 1
    progress = [e for e in events if isinstance(e, Progress)]
    assert progress[-1].done == progress[-1].total == 24
    event = events[first]
    assert isinstance(event, FirstImage)
    assert event.image.shape == (64, 64)


def test_progress_comes_at_most_every_interval_and_always_at_the_end(
    ct_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each Progress is a turn of a window's GUI thread that the readers wait for: a load
    # that takes 0.15 s sent 20 of them. Slowed here to ~0.3 s, it sends a few.
    import time
    from itertools import pairwise

    import core.dicom.volume as volume_module

    original = volume_module._read_native_frame

    def slow(ref: object, out: object) -> None:
        time.sleep(0.025)
        original(ref, out)

    monkeypatch.setattr(volume_module, "_read_native_frame", slow)
    series = max(scan(str(ct_folder)).all_series(), key=lambda s: s.frame_count)
    seen: list[tuple[float, Progress]] = []

    def on_event(event: object) -> None:
        if isinstance(event, Progress):
            seen.append((time.perf_counter(), event))

    volume = run_job(load_series(series), on_event)
    assert volume.loaded.all()
    *during, (_, last) = seen
    assert last.done == last.total == 24 and last.message == "loaded"
    assert 1 <= len(during) <= 4, [p for _, p in seen]
    times = [t for t, _ in during]
    interval = volume_module.PROGRESS_INTERVAL_S
    assert all(later - earlier >= 0.9 * interval for earlier, later in pairwise(times))
    dones = [p.done for _, p in during]
    assert dones == sorted(dones) and 0 < dones[0] < 24


def test_compressed_series_decodes_in_workers_to_the_same_values(tmp_path: Path) -> None:
    write_ct_series(
        tmp_path, np.random.default_rng(3), slices=6, size=64, transfer_syntax="1.2.840.10008.1.2.5"
    )
    volume, _ = _load(tmp_path)
    np.testing.assert_array_equal(volume.array, _reference_volume(tmp_path))


def test_a_slice_truncated_after_the_scan_is_listed_and_the_rest_loads(tmp_path: Path) -> None:
    paths = write_ct_series(tmp_path, np.random.default_rng(5), slices=8, size=64)
    series = scan(str(tmp_path)).all_series()[0]
    # The index already refuses a truncated file; here the file changes between scan and load.
    victim = Path(paths[3])
    data = victim.read_bytes()
    victim.write_bytes(data[: len(data) - 3000])
    volume = run_job(load_series(series))
    assert volume.loaded.sum() == 7
    assert len(volume.failures) == 1
    failure = volume.failures[0]
    assert failure.ref.path == str(victim)
    assert "bytes" in failure.reason
    # The failed slot is black (zeros), the others are real images.
    bad = int(np.flatnonzero(~volume.loaded)[0])
    assert not volume.array[bad].any()
    assert all(volume.array[i].any() for i in np.flatnonzero(volume.loaded))


def test_a_truncated_file_is_refused_by_the_index(tmp_path: Path) -> None:
    paths = write_ct_series(tmp_path, np.random.default_rng(5), slices=4, size=64)
    victim = Path(paths[1])
    victim.write_bytes(victim.read_bytes()[:-100])
    index = scan(str(tmp_path))
    assert [u.ref.path for u in index.unreadable] == [str(victim)]
    assert "truncated" in index.unreadable[0].reason
    assert index.all_series()[0].frame_count == 3


def test_high_bits_above_bits_stored_are_masked(tmp_path: Path) -> None:
    paths = write_ct_series(
        tmp_path,
        np.random.default_rng(9),
        slices=3,
        size=32,
        pixel_representation=0,
        bits_stored=12,
    )
    expected = _reference_volume(tmp_path)
    for path in paths:
        ds = pydicom.dcmread(path)
        stored = np.frombuffer(ds.PixelData, dtype="<u2") | np.uint16(1 << 15)  # garbage in bit 15
        ds.PixelData = stored.tobytes()
        ds.save_as(path)
    volume, _ = _load(tmp_path)
    np.testing.assert_array_equal(volume.array, expected)


def test_cancel_stops_loading(ct_folder: Path) -> None:
    series = max(scan(str(ct_folder)).all_series(), key=lambda s: s.frame_count)
    token = CancelToken()
    job = load_series(series, token)
    next(job)
    token.cancel()
    with pytest.raises(CancelledError):
        for _ in job:
            pass


def test_sources_stay_byte_identical(ct_folder: Path) -> None:
    before = {p.name: p.read_bytes() for p in ct_folder.iterdir()}
    _load(ct_folder)
    assert {p.name: p.read_bytes() for p in ct_folder.iterdir()} == before


def test_first_image_event_carries_the_volume_being_filled(ct_folder: Path) -> None:
    series = max(scan(str(ct_folder)).all_series(), key=lambda s: s.frame_count)
    job = load_series(series)
    first = next(e for e in job if isinstance(e, FirstImage))
    assert first.volume.loaded[first.index]
    np.testing.assert_array_equal(first.volume.array[first.index], first.image)
    result = run_job(job)
    assert result is first.volume and result.loaded.all()
