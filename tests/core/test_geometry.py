"""Slice order, spacing problems, pixel spacing and series splitting (real files)."""

from __future__ import annotations

import math
import random
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.uid import generate_uid

from core.dicom.geometry import (
    compute_geometry,
    compute_normal,
    describe_orientation,
    resolve_pixel_spacing,
)
from core.dicom.index import scan
from core.dicom.records import (
    FileRef,
    FrameInfo,
    InstanceRecord,
    SeriesRecord,
)
from core.dicom.series import split_series
from tests.core.test_index import make_image, write, write_image

AXIAL = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
SAGITTAL = (0.0, 1.0, 0.0, 0.0, 0.0, -1.0)
CORONAL = (1.0, 0.0, 0.0, 0.0, 0.0, -1.0)


def _scan_one_series(folder: Path) -> SeriesRecord:
    (series,) = scan(folder).all_series()
    return series


def _write_stack(
    folder: Path,
    positions: list[tuple[float, float, float]] | list[None],
    *,
    instance_numbers: list[int] | None = None,
    shuffle_names: bool = True,
    **kwargs: Any,
) -> None:
    series = generate_uid()
    numbers = instance_numbers or list(range(1, len(positions) + 1))
    names = [generate_uid()[-10:] if shuffle_names else f"{i:03d}" for i in range(len(positions))]
    for name, position, number in zip(names, positions, numbers, strict=True):
        write_image(
            folder / f"{name}.dcm",
            series=series,
            position=position,
            instance_number=number,
            **kwargs,
        )


def _kinds(geometry: Any) -> list[str]:
    return [p.kind for p in geometry.problems]


# --------------------------------------------------------------------------------------
# Ordering


def test_order_is_by_position_not_instance_number_or_file_name(tmp_path: Path) -> None:
    rng = random.Random(7)
    z_values = [-50.0 + 2.5 * i for i in range(12)]
    shuffled = z_values[:]
    rng.shuffle(shuffled)
    numbers = list(range(1, 13))
    rng.shuffle(numbers)  # scrambled instance numbers
    _write_stack(tmp_path, [(-10.0, -20.0, z) for z in shuffled], instance_numbers=numbers)
    geometry = compute_geometry(_scan_one_series(tmp_path))
    assert geometry.ordered_by == "position"
    assert [f.info.position[2] for f in geometry.frames] == z_values  # type: ignore[index]
    assert geometry.slice_positions == pytest.approx(z_values)
    assert geometry.slice_spacing == pytest.approx(2.5)
    assert geometry.problems == ()
    assert geometry.origin == (-10.0, -20.0, -50.0)
    assert geometry.normal == (0.0, 0.0, 1.0)
    assert geometry.orientation == AXIAL
    assert geometry.pixel_spacing == (0.5, 0.5)
    assert geometry.spacing_calibrated and geometry.spacing_note == "Pixel Spacing"


def test_reversed_z_is_sorted_along_the_normal(tmp_path: Path) -> None:
    # Instance 1 at the top, numbers increasing downwards (as many scanners write).
    _write_stack(tmp_path, [(0.0, 0.0, 20.0 - 5.0 * i) for i in range(5)])
    geometry = compute_geometry(_scan_one_series(tmp_path))
    assert [f.instance.instance_number for f in geometry.frames] == [5, 4, 3, 2, 1]
    assert geometry.slice_positions == (0.0, 5.0, 10.0, 15.0, 20.0)
    assert geometry.slice_spacing == 5.0
    assert geometry.problems == ()


@pytest.mark.parametrize(
    ("orientation", "axis", "sign", "label"),
    [(SAGITTAL, 0, -1.0, "sagittal"), (CORONAL, 1, 1.0, "coronal"), (AXIAL, 2, 1.0, "axial")],
)
def test_sagittal_and_coronal_stacks(
    tmp_path: Path, orientation: tuple[float, ...], axis: int, sign: float, label: str
) -> None:
    positions = []
    for i in [3, 0, 4, 1, 2]:
        point = [10.0, 20.0, 30.0]
        point[axis] += 3.0 * i
        positions.append((point[0], point[1], point[2]))
    _write_stack(tmp_path, positions, orientation=orientation)
    geometry = compute_geometry(_scan_one_series(tmp_path))
    assert describe_orientation(orientation) == label
    normal = [0.0, 0.0, 0.0]
    normal[axis] = sign
    assert geometry.normal == pytest.approx(tuple(normal))
    along = [f.info.position[axis] for f in geometry.frames]  # type: ignore[index]
    assert along == sorted(along, reverse=sign < 0)
    assert geometry.slice_spacing == pytest.approx(3.0)
    assert geometry.problems == ()


def test_non_uniform_spacing(tmp_path: Path) -> None:
    _write_stack(tmp_path, [(0.0, 0.0, z) for z in (0.0, 2.5, 5.0, 8.0, 10.5, 13.0)])
    geometry = compute_geometry(_scan_one_series(tmp_path))
    assert _kinds(geometry) == ["non-uniform spacing"]
    assert geometry.problems[0].message == ("slice spacing varies from 2.5 to 3 mm (median 2.5 mm)")
    assert geometry.slice_spacing == 2.5


def test_small_jitter_is_uniform(tmp_path: Path) -> None:
    _write_stack(tmp_path, [(0.0, 0.0, z) for z in (0.0, 2.5, 5.004, 7.5, 10.0)])
    assert compute_geometry(_scan_one_series(tmp_path)).problems == ()


def test_duplicate_positions(tmp_path: Path) -> None:
    _write_stack(tmp_path, [(0.0, 0.0, z) for z in (0.0, 2.0, 2.0, 4.0, 4.0, 6.0)])
    geometry = compute_geometry(_scan_one_series(tmp_path))
    assert _kinds(geometry) == ["duplicate position"]
    assert geometry.problems[0].message == (
        "2 frame(s) at a position another frame already has (4 distinct positions for 6 frames)"
    )
    assert geometry.slice_spacing == 2.0


def test_gap_is_located_by_slice_number(tmp_path: Path) -> None:
    _write_stack(tmp_path, [(0.0, 0.0, z) for z in (0.0, 2.5, 5.0, 12.5, 15.0, 17.5)])
    geometry = compute_geometry(_scan_one_series(tmp_path))
    assert _kinds(geometry) == ["non-uniform spacing", "gap"]
    assert geometry.problems[1].message == (
        "1 gap(s) wider than 1.5× the median spacing (2.5 mm): 7.5 mm between slices 3 and 4"
    )
    assert geometry.slice_spacing == 2.5


def test_gantry_tilt(tmp_path: Path) -> None:
    tilt = math.radians(20.0)
    _write_stack(tmp_path, [(0.0, i * 2.5 * math.tan(tilt), i * 2.5) for i in range(6)])
    geometry = compute_geometry(_scan_one_series(tmp_path))
    assert _kinds(geometry) == ["gantry tilt"]
    assert "20.0°" in geometry.problems[0].message
    assert geometry.slice_spacing == pytest.approx(2.5)


def test_missing_positions_fall_back_to_instance_number(tmp_path: Path) -> None:
    _write_stack(tmp_path, [None] * 4, instance_numbers=[3, 1, 4, 2])
    geometry = compute_geometry(_scan_one_series(tmp_path))
    assert geometry.ordered_by == "instance number"
    assert [f.instance.instance_number for f in geometry.frames] == [1, 2, 3, 4]
    assert _kinds(geometry) == ["missing position"]
    assert geometry.problems[0].message == (
        "4 of 4 frames have no Image Position (Patient); ordered by Instance Number then "
        "frame number"
    )
    assert geometry.slice_positions is None and geometry.slice_spacing is None


# --------------------------------------------------------------------------------------
# Problems of series the index would have split, built as records


def _record(
    number: int,
    *,
    z: float = 0.0,
    orientation: tuple[float, float, float, float, float, float] | None = AXIAL,
    rows: int = 8,
    frames: int = 1,
    **fields: Any,
) -> InstanceRecord:
    info = FrameInfo(position=(0.0, 0.0, z), orientation=orientation, pixel_spacing=(1.0, 1.0))
    return InstanceRecord(
        ref=FileRef(f"/data/{number}.dcm"),
        sop_class_uid="1.2.840.10008.5.1.4.1.1.4",
        sop_instance_uid=f"1.2.3.{number}",
        transfer_syntax_uid="1.2.840.10008.1.2.1",
        modality="MR",
        instance_number=number,
        rows=rows,
        columns=8,
        number_of_frames=frames,
        samples_per_pixel=1,
        photometric_interpretation="MONOCHROME2",
        bits_allocated=16,
        bits_stored=12,
        pixel_representation=0,
        frames=(info,) * frames,
        **fields,
    )


def _series(instances: list[InstanceRecord]) -> SeriesRecord:
    return SeriesRecord("1.2.3", "1.2.3", "MR", "", 1, tuple(instances))


def test_mixed_orientation_and_size_are_reported() -> None:
    instances = [_record(i, z=i) for i in range(1, 5)] + [_record(5, orientation=SAGITTAL, rows=16)]
    geometry = compute_geometry(_series(instances))
    kinds = _kinds(geometry)
    assert "mixed orientation" in kinds and "mixed size" in kinds
    messages = {p.kind: p.message for p in geometry.problems}
    assert messages["mixed size"] == "instances have 2 image sizes: 8×8 (4), 16×8 (1)"
    assert "2 different orientations (axial 4, sagittal 1 frames)" in messages["mixed orientation"]
    assert geometry.orientation == AXIAL


def test_validation() -> None:
    with pytest.raises(TypeError, match="SeriesRecord"):
        compute_geometry("1.2.3")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no frames"):
        compute_geometry(_series([]))
    with pytest.raises(ValueError, match="parallel"):
        compute_normal((1, 0, 0, 1, 0, 0))
    with pytest.raises(ValueError, match="frame 3 is out of range"):
        resolve_pixel_spacing(_record(1), 3)


# --------------------------------------------------------------------------------------
# Pixel spacing (PS3.3 10.7.1.3)


def test_resolve_pixel_spacing() -> None:
    ct = _record(1)
    assert resolve_pixel_spacing(ct) == ((1.0, 1.0), True, "Pixel Spacing")
    bare = replace(ct, frames=(FrameInfo(),))
    dx = replace(bare, modality="DX", image_pixel_spacing=(0.15, 0.15))
    spacing, calibrated, note = resolve_pixel_spacing(dx)
    assert spacing == (0.15, 0.15) and not calibrated
    assert note == "Imager Pixel Spacing: measured at the detector, not corrected for magnification"
    magnified = replace(dx, magnification_factor=1.2)
    spacing, calibrated, note = resolve_pixel_spacing(magnified)
    assert spacing == pytest.approx((0.125, 0.125)) and calibrated
    assert "Estimated Radiographic Magnification Factor (1.2)" in note
    assert "corrected to the patient plane" in note
    # Pixel Spacing that merely repeats Imager Pixel Spacing is still at the detector.
    same = replace(dx, frames=(FrameInfo(pixel_spacing=(0.15, 0.15)),))
    assert resolve_pixel_spacing(same)[1:] == (
        False,
        "Pixel Spacing equal to Imager Pixel Spacing: measured at the detector, "
        "not corrected for magnification",
    )
    calibrated_dx = replace(dx, frames=(FrameInfo(pixel_spacing=(0.139, 0.139)),))
    assert resolve_pixel_spacing(calibrated_dx) == ((0.139, 0.139), True, "Pixel Spacing")
    assert resolve_pixel_spacing(bare) == (None, False, "no pixel spacing in the file")


def test_projection_radiograph_from_file(tmp_path: Path) -> None:
    write_image(
        tmp_path / "cxr.dcm",
        modality="DX",
        sop_class="1.2.840.10008.5.1.4.1.1.1.1",
        position=None,
        orientation=None,
        spacing=None,
        ImagerPixelSpacing=[0.148, 0.148],
        EstimatedRadiographicMagnificationFactor=1.1,
        ViewPosition="PA",
        BodyPartExamined="CHEST",
    )
    series = _scan_one_series(tmp_path)
    (inst,) = series.instances
    assert inst.image_pixel_spacing == (0.148, 0.148)
    assert inst.magnification_factor == 1.1
    assert (inst.view_position, inst.body_part) == ("PA", "CHEST")
    geometry = compute_geometry(series)
    assert geometry.pixel_spacing == pytest.approx((0.148 / 1.1, 0.148 / 1.1))
    assert geometry.spacing_calibrated
    assert geometry.problems == ()  # one radiograph: nothing to order
    assert geometry.ordered_by == "instance number"


# --------------------------------------------------------------------------------------
# Enhanced multi-frame: shared groups overridden per frame (PS3.3 C.7.6.16)


def _item(**keywords: Any) -> Dataset:
    ds = Dataset()
    for keyword, value in keywords.items():
        setattr(ds, keyword, value)
    return ds


def _enhanced_ct(frames_z: list[float]) -> Dataset:
    n = len(frames_z)
    ds = make_image(
        sop_class="1.2.840.10008.5.1.4.1.1.2.1",
        position=None,
        orientation=None,
        spacing=None,
        NumberOfFrames=n,
        ImageType=["ORIGINAL", "PRIMARY", "AXIAL"],
    )
    shared = _item(
        PixelMeasuresSequence=DicomSequence([_item(PixelSpacing=[0.7, 0.8], SliceThickness=1.5)]),
        PlaneOrientationSequence=DicomSequence([_item(ImageOrientationPatient=list(AXIAL))]),
        PixelValueTransformationSequence=DicomSequence(
            [_item(RescaleSlope=1, RescaleIntercept=-1024, RescaleType="HU")]
        ),
        FrameVOILUTSequence=DicomSequence([_item(WindowCenter=[40, 300], WindowWidth=[400, 1500])]),
    )
    per_frame = []
    for index, z in enumerate(frames_z):
        groups = _item(
            PlanePositionSequence=DicomSequence([_item(ImagePositionPatient=[-100, -90, z])]),
            FrameContentSequence=DicomSequence(
                [_item(StackID="1", InStackPositionNumber=index + 1, TemporalPositionIndex=1)]
            ),
        )
        if index == 1:  # this frame overrides two shared groups
            groups.PixelValueTransformationSequence = DicomSequence(
                [_item(RescaleSlope=2, RescaleIntercept=-2048, RescaleType="HU")]
            )
            groups.FrameVOILUTSequence = DicomSequence(
                [
                    _item(
                        WindowCenter=50,
                        WindowWidth=350,
                        WindowCenterWidthExplanation="MEDIASTINUM",
                        VOILUTFunction="SIGMOID",
                    )
                ]
            )
        per_frame.append(groups)
    ds.SharedFunctionalGroupsSequence = DicomSequence([shared])
    ds.PerFrameFunctionalGroupsSequence = DicomSequence(per_frame)
    return ds


def test_enhanced_multiframe_merges_shared_and_per_frame_groups(tmp_path: Path) -> None:
    write(_enhanced_ct([30.0, 20.0, 10.0]), tmp_path / "enhanced.dcm")
    series = _scan_one_series(tmp_path)
    (inst,) = series.instances
    assert inst.number_of_frames == 3 and len(inst.frames) == 3
    assert inst.image_type == ("ORIGINAL", "PRIMARY", "AXIAL")
    first, second, third = inst.frames
    for frame in inst.frames:
        assert frame.orientation == AXIAL
        assert frame.pixel_spacing == (0.7, 0.8)
        assert frame.slice_thickness == 1.5
        assert frame.stack_id == "1" and frame.temporal_position == 1
    assert [f.position for f in inst.frames] == [
        (-100.0, -90.0, 30.0),
        (-100.0, -90.0, 20.0),
        (-100.0, -90.0, 10.0),
    ]
    assert [f.in_stack_position for f in inst.frames] == [1, 2, 3]
    assert (first.rescale_slope, first.rescale_intercept) == (1.0, -1024.0)
    assert (second.rescale_slope, second.rescale_intercept) == (2.0, -2048.0)
    assert [(w.center, w.width) for w in first.windows] == [(40.0, 400.0), (300.0, 1500.0)]
    assert [(w.center, w.width, w.explanation, w.function) for w in second.windows] == [
        (50.0, 350.0, "MEDIASTINUM", "SIGMOID")
    ]
    assert third.windows == first.windows
    assert inst.pixel_data_length == 8 * 8 * 2 * 3
    geometry = compute_geometry(series)
    assert geometry.ordered_by == "position"
    assert [f.frame for f in geometry.frames] == [2, 1, 0]
    assert geometry.slice_spacing == 10.0
    assert geometry.pixel_spacing == (0.7, 0.8)
    assert geometry.problems == ()


def test_classic_multiframe_repeats_the_frame_info(tmp_path: Path) -> None:
    write_image(
        tmp_path / "cine.dcm",
        modality="US",
        sop_class="1.2.840.10008.5.1.4.1.1.3.1",
        position=None,
        orientation=None,
        NumberOfFrames=4,
    )
    series = _scan_one_series(tmp_path)
    (inst,) = series.instances
    assert inst.frames == (inst.frames[0],) * 4
    geometry = compute_geometry(series)
    assert [f.frame for f in geometry.frames] == [0, 1, 2, 3]
    assert geometry.ordered_by == "instance number"


# --------------------------------------------------------------------------------------
# Splitting a series into stacks


def test_split_by_orientation_and_size() -> None:
    localizer = [_record(1, orientation=AXIAL), _record(2, orientation=SAGITTAL)]
    localizer.append(_record(3, orientation=CORONAL))
    parts = split_series(localizer)
    assert [reason for _, reason in parts] == [
        "3 orientations: axial",
        "3 orientations: sagittal",
        "3 orientations: coronal",
    ]
    noisy = [_record(1), _record(2, orientation=(1.0, 0.0004, 0.0, 0.0, 1.0, 0.0), z=1.0)]
    assert split_series(noisy) == [(tuple(noisy), None)]  # within tolerance
    sizes = [_record(1, z=0), _record(2, z=1, rows=16), _record(3, z=2)]
    assert [([i.instance_number for i in p], r) for p, r in split_series(sizes)] == [
        ([1, 3], "2 image sizes: 8×8"),
        ([2], "2 image sizes: 16×8"),
    ]


def test_split_echoes_acquisitions_and_temporal_positions_only_when_positions_repeat() -> None:
    echoes = [_record(n, z=n % 3, echo_number=1 + n // 3) for n in range(6)]
    parts = split_series(echoes)
    assert [r for _, r in parts] == ["echo 1 of 2", "echo 2 of 2"]
    assert [[i.echo_number for i in p] for p, _ in parts] == [[1, 1, 1], [2, 2, 2]]

    acquisitions = [_record(n, z=n % 4, acquisition_number=3 + n // 4) for n in range(8)]
    assert [r for _, r in split_series(acquisitions)] == ["acquisition 3", "acquisition 4"]

    # Each slice its own acquisition number, positions all distinct: one stack.
    helical = [_record(n, z=n, acquisition_number=n) for n in range(5)]
    assert split_series(helical) == [(tuple(helical), None)]

    phases = [
        replace(
            _record(n),
            frames=(
                FrameInfo(position=(0, 0, n % 2), orientation=AXIAL, temporal_position=n // 2),
            ),
        )
        for n in range(6)
    ]
    assert [r for _, r in split_series(phases)] == [
        "temporal position 0",
        "temporal position 1",
        "temporal position 2",
    ]
    # Repeats nothing tells apart stay together (geometry reports the duplicates).
    repeats = [_record(n, z=n % 2) for n in range(4)]
    assert split_series(repeats) == [(tuple(repeats), None)]
    assert "duplicate position" in _kinds(compute_geometry(_series(repeats)))


def test_split_cine_clips_but_not_a_concatenation() -> None:
    no_position = FrameInfo()
    clips = [replace(_record(n, frames=3), frames=(no_position,) * 3) for n in (1, 2)]
    assert [r for _, r in split_series(clips)] == [
        "multi-frame instance 1 of 2",
        "multi-frame instance 2 of 2",
    ]
    parts = []
    for n, start in ((1, 0.0), (2, 3.0)):
        frames = tuple(FrameInfo(position=(0, 0, start + k), orientation=AXIAL) for k in range(3))
        parts.append(replace(_record(n, frames=3), frames=frames))
    assert split_series(parts) == [(tuple(parts), None)]


def test_split_series_from_files_gets_keys_and_reasons(tmp_path: Path) -> None:
    series_uid = generate_uid()
    for echo in (1, 2):
        for i in range(3):
            write_image(
                tmp_path / f"e{echo}_{i}.dcm",
                series=series_uid,
                position=(0, 0, 4.0 * i),
                instance_number=echo * 10 + i,
                EchoNumbers=echo,
                modality="MR",
                sop_class="1.2.840.10008.5.1.4.1.1.4",
            )
    write_image(
        tmp_path / "localizer.dcm",
        series=series_uid,
        orientation=SAGITTAL,
        instance_number=99,
        modality="MR",
        sop_class="1.2.840.10008.5.1.4.1.1.4",
    )
    all_series = scan(tmp_path).all_series()
    assert [(s.key, s.split_reason, len(s.instances)) for s in all_series] == [
        (f"{series_uid}#1", "2 orientations: axial, echo 1 of 2", 3),
        (f"{series_uid}#2", "2 orientations: axial, echo 2 of 2", 3),
        (f"{series_uid}#3", "2 orientations: sagittal", 1),
    ]
    for series in all_series[:2]:
        geometry = compute_geometry(series)
        assert geometry.problems == () and geometry.slice_spacing == 4.0


def test_radiographs_without_positions_are_not_a_geometry_problem(tmp_path: Path) -> None:
    import numpy as np

    from core.dicom.index import scan
    from core.synthetic import make_study_context, write_cxr

    rng = np.random.default_rng(1)
    study = make_study_context(rng)
    for number, view in enumerate(("PA", "LL"), start=1):
        write_cxr(
            tmp_path / f"{number}.dcm",
            rng,
            view=view,
            size=64,
            study=study,
            series_uid="1.2.3.4",
            series_number=1,
            instance_number=number,
        )
    (series,) = scan(str(tmp_path)).all_series()
    geometry = compute_geometry(series)
    assert geometry.ordered_by == "instance number"
    assert geometry.problems == ()
    assert [f.instance.instance_number for f in geometry.frames] == [1, 2]
