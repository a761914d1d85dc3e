"""Window/level tables, presets, header fields and overlay logic of core.dicom.display."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from core.dicom.display import (
    apply_window,
    apply_window_lut,
    choose_default_window,
    compute_auto_window,
    file_presets,
    full_range_window,
    is_series_inverted,
    list_presets,
    make_window_lut,
    modality_presets,
    pack_argb32,
    padding_value_of,
)
from core.dicom.geometry import compute_geometry
from core.dicom.index import scan
from core.dicom.lut import VoiFunction, VoiPreset, apply_voi, to_display_uint8
from core.dicom.overlays import (
    DisplayHeader,
    OrientationLabels,
    choose_scale_bar,
    compose_overlay,
    compute_orientation_labels,
    describe_direction,
    format_window,
    modality_unit,
    read_display_header,
)
from core.dicom.records import (
    FileRef,
    FrameInfo,
    GeometryProblem,
    InstanceRecord,
    SeriesRecord,
    VoiWindow,
)
from core.synthetic import write_ct_series

AXIAL = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
SOFT = VoiPreset("Soft", center=40, width=400)


def _reference(values: np.ndarray, preset: VoiPreset, inverted: bool = False) -> np.ndarray:
    shown = apply_voi(values, preset)
    if inverted:
        shown = np.float32(1) - shown
    return to_display_uint8(shown)


def _series(
    modality: str = "CT",
    windows: tuple[VoiWindow, ...] = (),
    photometric: str = "MONOCHROME2",
    padding: int | None = None,
    slope: float = 1.0,
    intercept: float = 0.0,
    frames: int = 3,
) -> SeriesRecord:
    instances = []
    for i in range(frames):
        info = FrameInfo(
            position=(0.0, 0.0, 2.0 * i),
            orientation=AXIAL,
            pixel_spacing=(0.5, 0.5),
            slice_thickness=2.0,
            rescale_slope=slope,
            rescale_intercept=intercept,
            windows=windows,
        )
        instances.append(
            InstanceRecord(
                ref=FileRef(f"/nowhere/{i}.dcm"),
                sop_class_uid="1.2.840.10008.5.1.4.1.1.2",
                sop_instance_uid=f"1.2.{i}",
                transfer_syntax_uid="1.2.840.10008.1.2.1",
                modality=modality,
                instance_number=i + 1,
                rows=8,
                columns=8,
                number_of_frames=1,
                samples_per_pixel=1,
                photometric_interpretation=photometric,
                bits_allocated=16,
                bits_stored=12,
                pixel_representation=0,
                frames=(info,),
                pixel_padding_value=padding,
            )
        )
    return SeriesRecord("k", "1.2", modality, "desc", 1, tuple(instances))


# --------------------------------------------------------------------------- window tables


@pytest.mark.parametrize("dtype", [np.int16, np.uint16, np.uint8, np.int32])
@pytest.mark.parametrize("function", ["LINEAR", "LINEAR_EXACT", "SIGMOID"])
def test_window_table_equals_the_standard_formula(dtype: type, function: str) -> None:
    info = np.iinfo(dtype)
    values = np.random.default_rng(1).integers(max(info.min, -3000), min(info.max, 4000), (64, 64))
    values = values.astype(dtype)
    preset = VoiPreset("w", center=100, width=300, function=function)
    lut = make_window_lut(dtype, preset)
    assert lut is not None
    np.testing.assert_array_equal(apply_window_lut(values, lut), _reference(values, preset))
    np.testing.assert_array_equal(
        apply_window(values, preset, inverted=True), _reference(values, preset, inverted=True)
    )


def test_known_grey_levels_for_a_soft_tissue_window() -> None:
    values = np.array([[-1000, -160, 40, 240, 3000]], dtype=np.int16)
    grey = apply_window(values, SOFT)
    # LINEAR (PS3.3 C.11.2.1.2.1): <= c-0.5-(w-1)/2 is black, > c-0.5+(w-1)/2 is white.
    assert grey.tolist() == [[0, 0, 128, 255, 255]]
    assert apply_window(values, SOFT, inverted=True).tolist() == [[255, 255, 127, 0, 0]]


def test_packed_table_gives_opaque_argb_greys() -> None:
    values = np.array([[-1000, 40, 1000]], dtype=np.int16)
    lut = make_window_lut(np.int16, SOFT, packed=True)
    assert lut is not None and lut.table.dtype == np.uint32
    packed = apply_window_lut(values, lut)
    assert [hex(v) for v in packed[0]] == ["0xff000000", "0xff808080", "0xffffffff"]
    out = np.empty((1, 3), dtype=np.uint32)
    assert apply_window_lut(values, lut, out=out) is out


def test_padding_value_is_black_whatever_the_window() -> None:
    values = np.array([[-2000, -1000, 500]], dtype=np.int16)
    grey = apply_window(values, VoiPreset("wide", center=0, width=10000), padding=-2000)
    assert grey[0, 0] == 0 and grey[0, 1] > 0
    inverted = apply_window(values, SOFT, inverted=True, padding=-2000)
    assert inverted.tolist() == [[0, 255, 0]]  # padding black even when inverted
    floats = apply_window(values.astype(np.float32), SOFT, inverted=True, padding=-2000.0)
    assert floats.tolist() == [[0, 255, 0]]


def test_float_values_take_the_arithmetic_path_and_nan_is_black() -> None:
    values = np.array([[np.nan, -0.5, 0.25, 2.0]], dtype=np.float32)
    preset = VoiPreset("f", center=0.0, width=2.0, function="LINEAR_EXACT")
    assert make_window_lut(np.float32, preset) is None
    assert apply_window(values, preset).tolist() == [[0, 64, 159, 255]]


def test_wide_int32_window_falls_back_to_arithmetic() -> None:
    preset = VoiPreset("huge", center=0, width=1e8)
    assert make_window_lut(np.int32, preset) is None
    values = np.array([[-50_000_000, 0, 50_000_000]], dtype=np.int32)
    np.testing.assert_array_equal(apply_window(values, preset), _reference(values, preset))


def test_window_table_checks_its_input() -> None:
    lut = make_window_lut(np.int16, SOFT)
    assert lut is not None
    with pytest.raises(ValueError, match="int16"):
        apply_window_lut(np.zeros((2, 2), np.uint16), lut)
    with pytest.raises(ValueError, match="out must be"):
        apply_window_lut(np.zeros((2, 2), np.int16), lut, out=np.zeros((3, 3), np.uint8))
    with pytest.raises(TypeError, match="numpy array"):
        apply_window_lut([[1]], lut)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="VoiPreset"):
        make_window_lut(np.int16, (40, 400))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="inverted"):
        make_window_lut(np.int16, SOFT, inverted="yes")  # type: ignore[arg-type]


def test_pack_argb32_grey_rgb_and_16_bit_rgb() -> None:
    grey = np.array([[0, 128, 255]], dtype=np.uint8)
    assert [hex(v) for v in pack_argb32(grey)[0]] == ["0xff000000", "0xff808080", "0xffffffff"]
    rgb = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255]]], dtype=np.uint8)
    assert [hex(v) for v in pack_argb32(rgb)[0]] == ["0xffff0000", "0xff00ff00", "0xff0000ff"]
    rgb16 = np.array([[[4095, 0, 2048]]], dtype=np.uint16)
    assert hex(int(pack_argb32(rgb16)[0, 0])) == "0xffff0080"
    with pytest.raises(ValueError, match="shape"):
        pack_argb32(np.zeros((2, 2, 4), np.uint8))


# --------------------------------------------------------------------------- presets


def test_ct_modality_presets_include_the_usual_windows() -> None:
    presets = {p.name: (p.center, p.width) for p in modality_presets("ct")}
    assert presets["Lung"] == (-600, 1500)
    assert presets["Mediastinum"] == (50, 350)
    assert presets["Bone"] == (400, 1800)
    assert presets["Brain"] == (40, 80)
    assert presets["Abdomen"] == (40, 400)
    assert modality_presets("MR") == ()
    with pytest.raises(TypeError):
        modality_presets(None)  # type: ignore[arg-type]


def test_file_presets_come_first_then_modality_ones_without_repeats() -> None:
    windows = (
        VoiWindow(40, 400, "MEDIASTINUM"),
        VoiWindow(40, 400, "again"),
        VoiWindow(-600, 1500, "LUNG"),
    )
    series = _series(windows=windows)
    geometry = compute_geometry(series)
    own = file_presets(geometry)
    assert [(p.name, p.center, p.width) for p in own] == [
        ("MEDIASTINUM", 40, 400),
        ("LUNG", -600, 1500),
    ]
    names = [p.name for p in list_presets(series, geometry)]
    assert names[:2] == ["MEDIASTINUM", "LUNG"]
    assert "Lung" not in names and "Mediastinum" not in names  # named like the file's
    assert "Abdomen" not in names  # the same window as the file's MEDIASTINUM
    assert "Bone" in names and "Brain" in names


def test_default_window_is_files_then_modality_then_auto() -> None:
    with_windows = _series(windows=(VoiWindow(-600, 1500, "LUNG"),))
    chosen = choose_default_window(with_windows, compute_geometry(with_windows), None)
    assert (chosen.name, chosen.center, chosen.width) == ("LUNG", -600, 1500)
    ct = _series()
    assert choose_default_window(ct, compute_geometry(ct), None).name == "Abdomen"
    mr = _series(modality="MR")
    values = np.arange(1000, dtype=np.int16).reshape(10, 100)
    auto = choose_default_window(mr, compute_geometry(mr), values)
    assert auto.name == "Auto" and auto.center == pytest.approx(499.5, abs=1)
    fallback = choose_default_window(mr, compute_geometry(mr), None)
    assert fallback.width > 1


def test_auto_window_spans_the_bulk_of_the_values() -> None:
    values = np.arange(10_000, dtype=np.float32).reshape(100, 100)
    auto = compute_auto_window(values)
    assert auto.center == pytest.approx(4999.5, rel=1e-3)
    assert auto.width == pytest.approx(9800, rel=0.01)  # 1st to 99th percentile
    padded = values.copy()
    padded[:50] = -2000  # half padding: left out
    assert compute_auto_window(padded, exclude_value=-2000).center > 5000
    constant = np.full((4, 4), 7, dtype=np.int16)
    assert compute_auto_window(constant).width >= 1
    big = np.zeros((2048, 2048), dtype=np.int16)
    assert compute_auto_window(big, max_samples=1000).width >= 1
    with pytest.raises(ValueError, match="percentiles"):
        compute_auto_window(values, low_percentile=60, high_percentile=40)
    with pytest.raises(ValueError, match="empty"):
        compute_auto_window(np.zeros(0))


def test_full_range_window_and_format() -> None:
    preset = full_range_window(np.array([[-100, 300]], dtype=np.int16))
    assert (preset.center, preset.width) == (100, 400)
    assert format_window(40, 400) == "W 400 L 40"
    assert format_window(0.5, 2.0) == "W 2.00 L 0.50"


def test_inversion_padding_and_unit_from_the_records() -> None:
    assert is_series_inverted(_series(photometric="MONOCHROME1"))
    assert not is_series_inverted(_series())
    padded = _series(padding=0, slope=1.0, intercept=-1024.0)
    assert padding_value_of(padded) == -1024.0
    assert padding_value_of(_series()) is None
    assert modality_unit("CT") == "HU"
    assert modality_unit("MR") == ""
    assert modality_unit("PT", DisplayHeader(value_unit="BQML")) == "BQML"
    assert modality_unit("DX", DisplayHeader(value_unit="US")) == ""


# --------------------------------------------------------------------------- header


def test_display_header_is_read_from_the_first_file(tmp_path: Path) -> None:
    write_ct_series(tmp_path / "ct", np.random.default_rng(2), slices=3, size=32)
    series = scan(tmp_path / "ct").all_series()[0]
    header = read_display_header(series)
    assert header.modality == "CT"
    assert header.value_unit == "HU"
    assert header.frame_of_reference_uid.startswith("1.") or header.frame_of_reference_uid
    assert header.patient_name and "^" not in header.patient_name
    assert header.patient_name not in repr(header)
    assert header.patient_id not in repr(header) or not header.patient_id
    assert len(header.study_date) == 8


def test_display_header_of_an_unreadable_file_falls_back_to_the_index() -> None:
    header = read_display_header(_series())
    assert header.modality == "CT" and header.series_description == "desc"
    assert header.patient_name == ""


def test_cine_rate_prefers_frame_time() -> None:
    assert DisplayHeader(frame_time_ms=40.0, cine_rate=10).cine_fps == pytest.approx(25.0)
    assert DisplayHeader(cine_rate=12).cine_fps == 12
    assert DisplayHeader(recommended_fps=30).cine_fps == 30
    assert DisplayHeader().cine_fps is None


# --------------------------------------------------------------------------- overlays


def test_corner_texts_say_what_a_reader_expects() -> None:
    series = _series()
    geometry = compute_geometry(series)
    header = DisplayHeader(
        patient_name="Doe, Jane",
        patient_id="ID7",
        patient_sex="F",
        study_date="20240131",
        study_description="CT CHEST",
        series_description="AXIAL",
        series_number=3,
        modality="CT",
    )
    text = compose_overlay(header, geometry, 1, (40.0, 400.0), 1.5)
    assert text.top_left == ("Doe, Jane", "ID7  F")
    assert text.top_right == ("2024-01-31 CT CHEST", "Se 3: AXIAL", "CT")
    assert text.bottom_left == ("Im 2/3", "Pos 2 mm", "Th 2 mm")
    assert text.bottom_right == ("W 400 L 40", "Zoom 150%")
    loading = compose_overlay(
        header, geometry, 0, (40, 400), 1, frame_state="loading", cine_fps=25, inverted=True
    )
    assert "Loading…" in loading.bottom_left
    assert loading.bottom_right == ("W 400 L 40  inverted", "Zoom 100%", "Cine 25 fps")
    problem = replace(geometry, problems=(GeometryProblem("gap", "a gap"),))
    assert "⚠ gap" in compose_overlay(header, problem, 0, (40, 400), 1).bottom_left
    with pytest.raises(ValueError, match="frame_index"):
        compose_overlay(header, geometry, 3, (40, 400), 1)
    with pytest.raises(ValueError, match="frame_state"):
        compose_overlay(header, geometry, 0, (40, 400), 1, frame_state="gone")


def test_orientation_labels_of_an_axial_image_follow_rotation_and_flips() -> None:
    assert compute_orientation_labels(AXIAL) == OrientationLabels("R", "L", "A", "P")
    clockwise = (0.0, -1.0, 1.0, 0.0)  # (x, y) -> (-y, x)
    assert compute_orientation_labels(AXIAL, clockwise) == OrientationLabels("P", "A", "R", "L")
    flipped = (-1.0, 0.0, 0.0, 1.0)
    assert compute_orientation_labels(AXIAL, flipped) == OrientationLabels("L", "R", "A", "P")
    upside_down = (1.0, 0.0, 0.0, -1.0)
    assert compute_orientation_labels(AXIAL, upside_down) == OrientationLabels("R", "L", "P", "A")


def test_orientation_labels_of_sagittal_coronal_and_oblique_images() -> None:
    sagittal = (0.0, 1.0, 0.0, 0.0, 0.0, -1.0)
    assert compute_orientation_labels(sagittal) == OrientationLabels("A", "P", "H", "F")
    coronal = (1.0, 0.0, 0.0, 0.0, 0.0, -1.0)
    assert compute_orientation_labels(coronal) == OrientationLabels("R", "L", "H", "F")
    c, s = np.cos(np.radians(30)), np.sin(np.radians(30))
    oblique = (c, s, 0.0, -s, c, 0.0)
    assert compute_orientation_labels(oblique).right == "LP"
    assert describe_direction((0.0, 0.0, 1.0)) == "H"
    assert describe_direction((-0.6, 0.0, -0.8)) == "FR"


def test_orientation_labels_from_patient_orientation_for_radiographs() -> None:
    labels = compute_orientation_labels(None, patient_orientation=("L", "F"))
    assert labels == OrientationLabels("R", "L", "H", "F")
    rotated = compute_orientation_labels(
        None, (0.0, -1.0, 1.0, 0.0), patient_orientation=("L", "F")
    )
    assert rotated == OrientationLabels("F", "H", "R", "L")
    assert compute_orientation_labels(None) == OrientationLabels()
    with pytest.raises(ValueError, match="singular"):
        compute_orientation_labels(AXIAL, (0.0, 0.0, 0.0, 0.0))


def test_scale_bar_picks_a_round_length_that_fits() -> None:
    bar = choose_scale_bar(0.5, 120)  # 60 mm fit: 5 cm
    assert bar is not None
    assert (bar.length_mm, bar.length_px, bar.label) == (50.0, 100.0, "5 cm")
    small = choose_scale_bar(0.05, 100)  # 5 mm fit
    assert small is not None and small.label == "5 mm"
    detector = choose_scale_bar(0.2, 100, calibrated=False)
    assert detector is not None and detector.label == "2 cm (uncalibrated)"
    assert choose_scale_bar(0.0001, 10) is None
    with pytest.raises(ValueError):
        choose_scale_bar(0, 100)


def test_functions_reject_wrong_types() -> None:
    with pytest.raises(TypeError, match="SeriesRecord"):
        is_series_inverted("CT")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="DisplayHeader"):
        compose_overlay({}, compute_geometry(_series()), 0, (1, 1), 1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="SeriesGeometry"):
        file_presets(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="numpy array"):
        apply_window([1, 2], SOFT)  # type: ignore[arg-type]
    assert VoiFunction.LINEAR.value == "LINEAR"
