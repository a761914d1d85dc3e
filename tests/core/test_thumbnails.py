"""Series thumbnails: middle frame in display order, file's preset, scaled with its aspect."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file

from core.dicom.index import scan
from core.dicom.pixels import render_frame
from core.dicom.records import SeriesRecord
from core.dicom.thumbnails import (
    SeriesChecked,
    Thumbnail,
    ThumbnailFailed,
    apply_thumbnail_scale,
    thumbnail_job,
)
from core.errors import CancelledError
from core.jobs import CancelToken, run_job
from core.synthetic import write_ct_series, write_cxr, write_enhanced_multiframe
from tests.core.test_index import make_image, write


def _events(series: list[SeriesRecord] | tuple[SeriesRecord, ...], size: int = 96) -> list[object]:
    events: list[object] = []
    run_job(thumbnail_job(list(series), size), on_event=events.append)
    return events


def _testfile(name: str) -> Path:
    return Path(get_testdata_file(name, download=False))  # type: ignore[arg-type]


def _block_slice(path: Path, z: float, instance: int, block: tuple[int, int]) -> Path:
    """A 64×32 (rows × columns) slice, dark except a bright 8×8 block at ``block`` (row, col)."""
    pixels = np.full((64, 32), 100, dtype=np.uint16)
    r, c = block
    pixels[r : r + 8, c : c + 8] = 4000
    ds = make_image(
        rows=64,
        columns=32,
        position=(0.0, 0.0, z),
        instance_number=instance,
        spacing=(1.0, 1.0),
        pixels=False,
        WindowCenter=2000,
        WindowWidth=4000,
    )
    ds.PixelData = pixels.tobytes()
    return write(ds, path)


def test_middle_frame_in_display_order_with_block_where_expected(tmp_path: Path) -> None:
    # Instance numbers run against position: the middle by position is z=20, instance 3,
    # whose block sits bottom-right; the others have it top-left.
    for z, number in ((40.0, 1), (30.0, 2), (10.0, 4), (0.0, 5)):
        _block_slice(tmp_path / f"s{number}.dcm", z, number, (0, 0))
    _block_slice(tmp_path / "s3.dcm", 20.0, 3, (56, 24))
    (series,) = scan(tmp_path).all_series()

    (event,) = _events([series])

    assert isinstance(event, Thumbnail)
    key, image = event  # a (series_key, image) pair
    assert key == series.key
    assert image.dtype == np.uint8
    assert image.shape == (96, 48)  # 64×32 pixels of 1 mm: twice as tall as wide
    bottom_right = image[84:, 36:]
    top_left = image[:12, :12]
    assert bottom_right.mean() > 200  # 4000 in a 2000/4000 window is near white
    assert top_left.mean() < 40


def test_non_square_pixels_keep_physical_aspect(tmp_path: Path) -> None:
    ds = make_image(rows=50, columns=100, spacing=(2.0, 1.0))  # 100 mm × 100 mm
    write(ds, tmp_path / "a.dcm")
    (event,) = _events(scan(tmp_path).all_series(), size=64)
    assert isinstance(event, Thumbnail)
    assert event.image.shape == (64, 64)


def test_synthetic_ct_thumbnail(tmp_path: Path) -> None:
    write_ct_series(tmp_path / "ct", np.random.default_rng(7), slices=9, size=128)
    (series,) = scan(tmp_path).all_series()
    (event,) = _events([series], size=64)
    assert isinstance(event, Thumbnail)
    image = event.image
    assert image.shape == (64, 64)
    # Air around the phantom is black in the file's window; the body in the middle is not.
    corners = np.concatenate([image[:4, :4].ravel(), image[:4, -4:].ravel()])
    assert corners.max() < 10
    assert image[24:40, 24:40].mean() > 40
    # It is the middle slice in display order, through the file's first preset.
    from core.dicom.geometry import compute_geometry

    middle = compute_geometry(series).frames[4].instance.ref.path
    expected = apply_thumbnail_scale(render_frame(pydicom.dcmread(middle)), 64)
    np.testing.assert_array_equal(image, expected)


def test_synthetic_cxr_thumbnail_size_and_aspect(tmp_path: Path) -> None:
    write_cxr(tmp_path / "cxr.dcm", np.random.default_rng(8), size=(300, 200))
    (series,) = scan(tmp_path).all_series()
    (event,) = _events([series], size=90)
    assert isinstance(event, Thumbnail)
    assert event.image.shape == (90, 60)
    # Lungs (dark) flank a brighter mediastinum in a PA radiograph.
    image = event.image.astype(float)
    mediastinum = image[35:55, 27:33].mean()
    lungs = (image[35:55, 10:18].mean() + image[35:55, 42:50].mean()) / 2
    assert mediastinum > lungs + 20


def test_rgb_image_gives_rgb_thumbnail(tmp_path: Path) -> None:
    shutil.copy(_testfile("SC_rgb_small_odd.dcm"), tmp_path / "rgb.dcm")
    (event,) = _events(scan(tmp_path).all_series(), size=32)
    assert isinstance(event, Thumbnail)
    assert event.image.ndim == 3 and event.image.shape[2] == 3
    assert max(event.image.shape[:2]) == 32


def test_compressed_file_goes_through_workers_and_matches_native(tmp_path: Path) -> None:
    shutil.copy(_testfile("MR_small.dcm"), tmp_path / "native.dcm")
    (tmp_path / "rle").mkdir()
    shutil.copy(_testfile("MR_small_RLE.dcm"), tmp_path / "rle" / "rle.dcm")
    (native,) = _events(scan(tmp_path / "native.dcm").all_series())
    (compressed,) = _events(scan(tmp_path / "rle").all_series())
    assert isinstance(native, Thumbnail) and isinstance(compressed, Thumbnail)
    np.testing.assert_array_equal(native.image, compressed.image)


def test_enhanced_multiframe_reads_one_frame_with_its_functional_groups(tmp_path: Path) -> None:
    path = tmp_path / "mf.dcm"
    write_enhanced_multiframe(
        path, np.random.default_rng(9), frames=8, size=64, pixel_value_transformation="per_frame"
    )
    (series,) = scan(tmp_path).all_series()
    (event,) = _events([series], size=64)
    assert isinstance(event, Thumbnail)
    from core.dicom.geometry import compute_geometry

    middle = compute_geometry(series).frames[4]
    assert middle.instance.number_of_frames == 8
    full = render_frame(pydicom.dcmread(path), middle.frame)
    np.testing.assert_array_equal(event.image, apply_thumbnail_scale(full, 64))


def test_broken_file_gives_a_reason_and_the_rest_still_come(tmp_path: Path) -> None:
    write_ct_series(tmp_path / "ct", np.random.default_rng(10), slices=3, size=64)
    write_cxr(tmp_path / "cxr.dcm", np.random.default_rng(11), size=64, series_number=2)
    index = scan(tmp_path)
    ct = next(s for s in index.all_series() if s.modality == "CT")
    cxr = next(s for s in index.all_series() if s.modality != "CT")
    # Cut the CXR's pixel data after indexing: the header is fine, the pixels are short.
    data = Path(cxr.instances[0].ref.path).read_bytes()
    Path(cxr.instances[0].ref.path).write_bytes(data[: len(data) - 2000])
    empty = SeriesRecord("empty", "1.2.3", "CT", "", None, ())

    events = _events([cxr, empty, ct], size=32)

    by_key = {e[0]: e for e in events}  # type: ignore[index]
    assert set(by_key) == {cxr.key, "empty", ct.key}
    failed = by_key[cxr.key]
    assert isinstance(failed, ThumbnailFailed)
    assert failed.error_type == "PixelDataError"
    assert "bytes" in failed.reason
    assert failed.source == cxr.instances[0].ref.path
    assert "PHANTOM" not in failed.reason  # no patient name in the reason
    assert isinstance(by_key["empty"], ThumbnailFailed)
    assert "no frames" in by_key["empty"].reason
    assert isinstance(by_key[ct.key], Thumbnail)


def test_missing_file_gives_a_reason(tmp_path: Path) -> None:
    write_cxr(tmp_path / "cxr.dcm", np.random.default_rng(12), size=64)
    (series,) = scan(tmp_path).all_series()
    (tmp_path / "cxr.dcm").unlink()
    (event,) = _events([series])
    assert isinstance(event, ThumbnailFailed)
    assert event.source == str(tmp_path / "cxr.dcm")
    assert "No such file" in event.reason
    assert event.error_type == "PixelDataError"


def test_cancelled_token_stops_the_job(tmp_path: Path) -> None:
    write_cxr(tmp_path / "cxr.dcm", np.random.default_rng(13), size=64)
    token = CancelToken()
    token.cancel()
    with pytest.raises(CancelledError):
        run_job(thumbnail_job(list(scan(tmp_path).all_series()), 32, token))


def test_arguments_are_checked() -> None:
    with pytest.raises(TypeError, match="SeriesRecord"):
        next(thumbnail_job(["not a series"]))  # type: ignore[list-item]
    with pytest.raises(TypeError, match="a list or tuple"):
        next(thumbnail_job("abc"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="size"):
        next(thumbnail_job([], 2))
    with pytest.raises(TypeError, match="uint8"):
        apply_thumbnail_scale(np.zeros((4, 4), dtype=np.float32), 8)
    with pytest.raises(ValueError, match="aspect"):
        apply_thumbnail_scale(np.zeros((4, 4), dtype=np.uint8), 8, aspect=-1.0)
    assert run_job(thumbnail_job([])) == 0


def test_scaling_averages_thin_lines_instead_of_dropping_them() -> None:
    image = np.zeros((400, 400), dtype=np.uint8)
    image[:, 201] = 255  # one-pixel line; nearest-neighbour would often miss it
    small = apply_thumbnail_scale(image, 40)
    assert small.shape == (40, 40)
    assert small[:, 19:22].max() > 10


def test_geometry_is_reported_when_asked(tmp_path: Path) -> None:
    # Two slices at the same position: a duplicate the browser should flag.
    _block_slice(tmp_path / "a.dcm", 0.0, 1, (0, 0))
    _block_slice(tmp_path / "b.dcm", 0.0, 2, (0, 0))
    _block_slice(tmp_path / "c.dcm", 5.0, 3, (0, 0))
    series = list(scan(tmp_path).all_series())
    events: list[object] = []
    run_job(thumbnail_job(series, 32, report_geometry=True), on_event=events.append)
    checked = [e for e in events if isinstance(e, SeriesChecked)]
    thumbs = [e for e in events if isinstance(e, Thumbnail)]
    assert len(checked) == len(thumbs) == len(series)
    assert isinstance(events[0], SeriesChecked)  # before its thumbnail
    kinds = {p.kind for e in checked for p in e.problems}
    assert "duplicate position" in kinds
    assert checked[0].ordered_by == "position"
    assert not any(isinstance(e, SeriesChecked) for e in _events(series))
