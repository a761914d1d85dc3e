"""Every colour and LUT path renders the same in both byte orders, and renders right.

Each image of :mod:`tests.core.byte_order_helpers` is written three times — Explicit VR
Little Endian, Explicit VR Big Endian and Implicit VR Little Endian — with the same
content, then read back through the file path (``render_frame``, what the CLI, the
thumbnails and the reports use) and through the app path (scan → load_series → the
viewer's window). The little-endian picture is also checked against what the image was
made to show, so that "equal" never means "equally wrong".
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.uid import ImplicitVRLittleEndian

from core.dicom.display import (
    apply_window,
    choose_default_window,
    compute_auto_window,
    full_range_window,
    pack_argb32,
)
from core.dicom.float_windows import (
    continuous_voi_function,
    window_for_value_range,
    with_continuous_windows,
)
from core.dicom.index import scan
from core.dicom.lut import VoiFunction, voi_presets_for
from core.dicom.lut_data import expand_segmented_lut, read_lut_entries
from core.dicom.overlays import format_window
from core.dicom.pixels import read_frame_values, render_frame
from core.dicom.records import FrameInfo, VoiWindow
from core.dicom.volume import load_series
from core.jobs import run_job
from tests.core import byte_order_helpers as images
from tests.core.byte_order_helpers import MAKERS, write_in_order

ORDERS = {"little": "<", "big": ">"}


def _file_name(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name) + ".dcm"


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One folder per byte order (and implicit VR), each holding every image."""
    root = tmp_path_factory.mktemp("byte_order")
    folders: dict[str, Path] = {}
    for label, order in ORDERS.items():
        folders[label] = root / label
        for name, maker in MAKERS.items():
            write_in_order(maker(order), folders[label] / _file_name(name))
    folders["implicit"] = root / "implicit"
    for name, maker in MAKERS.items():
        ds = maker("<")
        ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
        path = folders["implicit"] / _file_name(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        ds.save_as(path, implicit_vr=True, little_endian=True, enforce_file_format=True)
    return folders


def _read(folder: Path, name: str) -> pydicom.Dataset:
    return pydicom.dcmread(folder / _file_name(name))


def _eight_bit(values: np.ndarray, top: float) -> np.ndarray:
    return np.floor(np.asarray(values, dtype=np.float64) * (255 / top) + 0.5).astype(int)


@pytest.mark.parametrize("name", list(MAKERS))
def test_big_endian_renders_like_little_endian(written: dict[str, Path], name: str) -> None:
    little = _read(written["little"], name)
    big = _read(written["big"], name)
    implicit = _read(written["implicit"], name)
    assert big.file_meta.TransferSyntaxUID.name == "Explicit VR Big Endian"
    expected_values = read_frame_values(little)
    expected_image = render_frame(little)
    for other in (big, implicit):
        assert np.array_equal(read_frame_values(other), expected_values), name
        assert np.array_equal(render_frame(other), expected_image), name


def _expected_little_endian_render(name: str) -> np.ndarray | None:
    ramp8 = images._ramp(8)
    if name == "palette, 16-bit entries":
        return _eight_bit(np.rint(images.palette_rgb() * 60000), 65535)[ramp8]
    if name == "palette, 8-bit entries packed":
        return np.rint(images.palette_rgb() * 255).astype(int)[ramp8]
    if name == "palette, 16-bit indices":
        return _eight_bit(np.rint(images.palette_rgb(1024) * 60000), 65535)[images._ramp(10)]
    if name == "segmented palette":
        table = np.stack([images.expand_segments(e) for e in (65535, 30000, 10000)], axis=1)
        return _eight_bit(table, 65535)[ramp8]
    if name == "RGB interleaved" or name == "RGB planar":
        return np.stack([ramp8, ramp8[::-1], ramp8.T], axis=-1)
    if name.startswith("RGB 16-bit"):
        ramp16 = images._ramp(16)
        return _eight_bit(np.stack([ramp16, ramp16[::-1], ramp16.T], axis=-1), 65535)
    if name.startswith("VOI LUT"):
        table = np.rint((np.arange(4096) / 4095) ** 0.5 * 65535)
        return _eight_bit(table, 65535)[images._ramp(12)]
    if name == "Presentation LUT INVERSE":
        return 255 - _eight_bit(images._ramp(12), 4095)
    return None


@pytest.mark.parametrize("name", list(MAKERS))
def test_little_endian_render_is_what_the_image_was_made_to_show(
    written: dict[str, Path], name: str
) -> None:
    ds = _read(written["little"], name)
    image = render_frame(ds).astype(int)
    expected = _expected_little_endian_render(name)
    if expected is not None:
        assert np.abs(image - expected).max() <= 1, name
    elif name.startswith("Modality LUT"):
        table = np.rint(np.sqrt(np.arange(4096) / 4095) * 60000)
        assert np.array_equal(read_frame_values(ds), table[images._ramp(12)])
    elif name.startswith("YBR"):
        grey = image.mean(axis=-1)
        assert grey[0, 0] < grey[-1, -1]  # the luma ramp survives the conversion
    else:  # float maps: the full range of the values, black to white
        assert image.min() == 0 and image.max() == 255, name


def test_palette_in_big_endian_is_not_black(written: dict[str, Path]) -> None:
    """The bug as a person saw it: the big-endian palette image rendered (near) black."""
    for name in ("palette, 16-bit entries", "palette, 16-bit indices"):
        image = render_frame(_read(written["big"], name))
        assert image[..., 1].max() >= 230, name  # green runs from full to none
        assert image.mean() > 80, name


def test_the_app_path_loads_the_same_pictures_in_both_byte_orders(
    written: dict[str, Path],
) -> None:
    shown: dict[str, dict[str, np.ndarray]] = {}
    for label in ("little", "big"):
        index = scan(written[label])
        assert index.unreadable == ()
        shown[label] = {}
        for series in index.all_series():
            volume = run_job(load_series(series))
            assert volume.failures == ()
            name = Path(series.instances[0].ref.path).name
            if volume.is_color:
                shown[label][name] = pack_argb32(volume.array[0])
                # the viewer's colour is the file path's colour (no 16-bit wrap-around)
                rgb = render_frame(pydicom.dcmread(series.instances[0].ref.path))
                packed = pack_argb32(rgb)
                assert np.array_equal(shown[label][name], packed), name
            else:
                window = choose_default_window(series, volume.geometry, volume.array[0])
                shown[label][name] = apply_window(volume.array[0], window)
    assert shown["little"].keys() == shown["big"].keys()
    assert len(shown["little"]) == len(MAKERS)
    for name, picture in shown["little"].items():
        assert np.array_equal(picture, shown["big"][name]), name


# --------------------------------------------------------------------------------------
# Float pixel data: windowed from the values' own range


def test_float_map_opens_with_contrast_in_the_viewer(tmp_path: Path) -> None:
    write_in_order(images.float_pixels("<"), tmp_path / "adc.dcm")
    (series,) = scan(tmp_path).all_series()
    volume = run_job(load_series(series))
    window = choose_default_window(series, volume.geometry, volume.array[0])
    grey = apply_window(volume.array[0], window)
    # Was one flat grey (a window at least 1 wide over values 0.0005..0.003).
    assert int(grey.max()) - int(grey.min()) >= 240
    assert np.unique(grey).size > 100
    assert format_window(*window_center_width(window)) == "W 0.00245 L 0.00175"


def window_center_width(window: object) -> tuple[float, float]:
    return float(window.center), float(window.width)  # type: ignore[attr-defined]


def test_float_map_window_from_the_file_is_honoured(tmp_path: Path) -> None:
    """A Parametric Map's own window (0.0015 / 0.003, LINEAR) is used, as LINEAR_EXACT."""
    ds = images.float_pixels("<")
    ds.WindowCenter, ds.WindowWidth = 0.0015, 0.002
    path = write_in_order(ds, tmp_path / "adc.dcm")
    (series,) = scan(tmp_path).all_series()
    (window,) = series.instances[0].frames[0].windows
    assert window == VoiWindow(0.0015, 0.002, "", "LINEAR_EXACT")
    volume = run_job(load_series(series))
    preset = choose_default_window(series, volume.geometry, volume.array[0])
    assert (preset.center, preset.width) == (0.0015, 0.002)
    grey = apply_window(volume.array[0], preset)
    assert grey.min() == 0 and grey.max() == 255  # 0.0005 and below black, 0.0025 up white
    (file_preset,) = voi_presets_for(pydicom.dcmread(path))
    assert file_preset.function is VoiFunction.LINEAR_EXACT
    assert np.array_equal(render_frame(pydicom.dcmread(path)), grey)


def test_integer_images_keep_the_linear_rules() -> None:
    values = np.array([[0, 0], [0, 0]], dtype=np.int16)
    auto = compute_auto_window(values)
    assert auto.function is VoiFunction.LINEAR and auto.width == 2.0
    assert full_range_window(np.array([[3, 7]], dtype=np.uint16)).width == 4.0
    assert window_for_value_range(10, 10, continuous=False).width == 2.0


def test_float_windows_span_the_true_range() -> None:
    values = np.array([[0.0005, 0.003]], dtype=np.float32)
    full = full_range_window(values)
    assert full.function is VoiFunction.LINEAR_EXACT
    assert full.width == pytest.approx(0.0025)
    constant = window_for_value_range(0.002, 0.002, continuous=True)
    assert 0 < float(constant.width or 0) < 1e-6
    assert apply_window(np.full((2, 2), 0.002, np.float32), constant).tolist() == [[128] * 2] * 2
    assert continuous_voi_function("linear") == "LINEAR_EXACT"
    assert continuous_voi_function("SIGMOID") == "SIGMOID"
    frame = FrameInfo(windows=(VoiWindow(0.5, 0.25, "map", "LINEAR"),))
    assert with_continuous_windows([frame])[0].windows[0].function == "LINEAR_EXACT"


# --------------------------------------------------------------------------------------
# LUT Data helpers


def test_read_lut_entries_in_both_orders() -> None:
    words = np.array([1, 258, 65535], dtype=np.int64)
    for little, order in ((True, "<"), (False, ">")):
        data = words.astype(f"{order}u2").tobytes()
        assert read_lut_entries(data, 3, 16, little_endian=little).tolist() == [1, 258, 65535]
    packed_little = bytes([10, 20, 30])
    assert read_lut_entries(packed_little, 3, 8, little_endian=True).tolist() == [10, 20, 30]
    packed_big = bytes([20, 10, 0, 30])
    assert read_lut_entries(packed_big, 3, 8, little_endian=False).tolist() == [10, 20, 30]
    assert read_lut_entries([5, 6, 7, 8], 3, 16, little_endian=False).tolist() == [5, 6, 7]


def test_segmented_lut_expansion_and_its_errors() -> None:
    assert expand_segmented_lut([0, 3, 5, 6, 7, 1, 2, 11]) == [5, 6, 7, 9, 11]
    assert expand_segmented_lut([0, 1, 4, 2, 1, 0, 0]) == [4, 4]
    with pytest.raises(ValueError, match="first segment is linear"):
        expand_segmented_lut([1, 4, 100])
    with pytest.raises(ValueError, match="unknown segment opcode 7"):
        expand_segmented_lut([7, 1, 1])
    with pytest.raises(ValueError, match="nest too deep"):
        expand_segmented_lut([2, 1, 0, 0])  # an indirect segment pointing at itself
    with pytest.raises(ValueError, match="runs past the data"):
        expand_segmented_lut([0, 9, 1, 2])
