"""Reading order: axial stacks open at the top of the head, whatever way they were acquired.

The geometry order (ascending along the slice normal) stays as it is; the reading order
says which of its frames a viewer shows first and which way "next" goes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest

from core.dicom.geometry import compute_geometry
from core.dicom.index import scan
from core.dicom.reading_order import ReadingOrder, reading_order
from core.dicom.records import FileRef, FrameInfo, InstanceRecord, SeriesRecord
from core.dicom.volume import FirstImage, load_series
from core.jobs import run_job
from core.synthetic import write_ct_series, write_mr_series

# Seeds whose synthetic CT runs head to feet (instance 1 at the top) and feet to head.
_HEAD_TO_FEET_SEED = 1
_FEET_TO_HEAD_SEED = 0


def _write_ct(folder: Path, seed: int, patient_position: str) -> list[Path]:
    files = write_ct_series(
        folder,
        np.random.default_rng(seed),
        slices=7,
        size=32,
        instance_order="acquisition",
        shuffled_names=False,
    )
    if patient_position == "FFS":  # feet first supine: the rows run toward the patient's right
        for path in files:
            ds = pydicom.dcmread(path)
            ds.PatientPosition = "FFS"
            ds.ImageOrientationPatient = ["-1", "0", "0", "0", "1", "0"]
            ds.save_as(path)
    return files


@pytest.mark.parametrize("patient_position", ["HFS", "FFS"])
@pytest.mark.parametrize("seed", [_HEAD_TO_FEET_SEED, _FEET_TO_HEAD_SEED])
def test_an_axial_ct_is_read_from_its_most_superior_slice(
    tmp_path: Path, seed: int, patient_position: str
) -> None:
    files = _write_ct(tmp_path / "ct", seed, patient_position)
    z_of = {}
    for path in files:
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        z_of[str(ds.SOPInstanceUID)] = float(ds.ImagePositionPatient[2])
    first_instance = min(files, key=lambda p: int(pydicom.dcmread(p).InstanceNumber))
    acquired_first = z_of[str(pydicom.dcmread(first_instance).SOPInstanceUID)]
    runs = "head to feet" if acquired_first == max(z_of.values()) else "feet to head"
    assert runs == ("head to feet" if seed == _HEAD_TO_FEET_SEED else "feet to head")

    series = scan(tmp_path / "ct").all_series()[0]
    geometry = compute_geometry(series)
    order = reading_order(geometry)
    assert order.convention == "superior first"
    shown = [z_of[geometry.frames[order.frame_at(p)].instance.sop_instance_uid] for p in range(7)]
    assert shown[0] == max(z_of.values())  # the first image is the top of the stack
    assert shown == sorted(shown, reverse=True)  # and "next" goes toward the feet
    # Core's geometry order is untouched: ascending along the normal.
    assert list(geometry.slice_positions or ()) == sorted(geometry.slice_positions or ())

    # The loader reads the image shown first before any other.
    events: list[FirstImage] = []
    volume = run_job(
        load_series(series), lambda e: events.append(e) if isinstance(e, FirstImage) else None
    )
    assert events and events[0].index == order.frame_at(0)
    assert volume.loaded.all()


@pytest.mark.parametrize(
    ("plane", "axis", "convention", "first_is"),
    [
        ("sagittal", 0, "right first", min),  # +x is the patient's left
        ("coronal", 1, "anterior first", min),  # +y is posterior
        ("axial", 2, "superior first", max),  # +z is the head
    ],
)
def test_sagittal_and_coronal_conventions(
    tmp_path: Path, plane: str, axis: int, convention: str, first_is: object
) -> None:
    write_mr_series(
        tmp_path / plane, np.random.default_rng(2), slices=6, size=32, orientation=plane
    )  # type: ignore[arg-type]
    series = scan(tmp_path / plane).all_series()[0]
    geometry = compute_geometry(series)
    order = reading_order(geometry)
    assert order.convention == convention
    coordinate = [f.info.position[axis] for f in geometry.frames]  # type: ignore[index]
    first = coordinate[order.frame_at(0)]
    assert first == first_is(coordinate)  # type: ignore[operator]


def _instance(number: int, z: float | None) -> InstanceRecord:
    orientation = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
    return InstanceRecord(
        ref=FileRef(f"/nowhere/{number}.dcm"),
        sop_class_uid="1.2.840.10008.5.1.4.1.1.4",
        sop_instance_uid=f"1.2.3.{number}",
        transfer_syntax_uid="1.2.840.10008.1.2.1",
        modality="MR",
        instance_number=number,
        rows=8,
        columns=8,
        number_of_frames=1,
        samples_per_pixel=1,
        photometric_interpretation="MONOCHROME2",
        bits_allocated=16,
        bits_stored=16,
        pixel_representation=0,
        frames=(
            FrameInfo(
                position=None if z is None else (0.0, 0.0, z),
                orientation=None if z is None else orientation,
            ),
        ),
    )


def _series(*instances: InstanceRecord) -> SeriesRecord:
    return SeriesRecord("1.2.3", "1.2.3", "MR", "", 1, instances)


def test_phases_at_one_position_keep_their_order_when_positions_are_reversed() -> None:
    # Two positions, three phases each: time runs forward within each position.
    instances = [
        _instance(n, z) for n, z in [(1, 0.0), (2, 0.0), (3, 0.0), (4, 5.0), (5, 5.0), (6, 5.0)]
    ]
    geometry = compute_geometry(_series(*instances))
    order = reading_order(geometry)
    numbers = [geometry.frames[order.frame_at(p)].instance.instance_number for p in range(6)]
    assert numbers == [4, 5, 6, 1, 2, 3]


def test_a_stack_without_spread_or_positions_keeps_the_acquisition_order() -> None:
    cine = compute_geometry(_series(*(_instance(n, 10.0) for n in range(1, 5))))
    assert reading_order(cine) == ReadingOrder((0, 1, 2, 3), "acquisition order")
    loose = compute_geometry(_series(*(_instance(n, None) for n in range(1, 4))))
    assert reading_order(loose).frames == (0, 1, 2)


def test_reading_order_steps_and_validates() -> None:
    order = ReadingOrder((3, 2, 1, 0), "superior first")
    assert order.reversed and order.count == 4
    assert order.frame_at(0) == 3 and order.frame_at(99) == 0 and order.frame_at(-5) == 3
    assert order.position_of(3) == 0
    assert order.step(3, 1) == 2 and order.step(0, 1) == 0 and order.step(1, -10) == 3
    with pytest.raises(ValueError, match="permutation"):
        ReadingOrder((0, 0), "x")
    with pytest.raises(ValueError, match="frame"):
        order.position_of(4)
    with pytest.raises(TypeError):
        reading_order("geometry")  # type: ignore[arg-type]
