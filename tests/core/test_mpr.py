"""MPR: planes and slabs of real (synthetic) DICOM stacks, in patient millimetres.

Every stack here is written as DICOM files whose pixels sample a phantom defined in
patient coordinates (LPS): a sphere of known radius at the volume's centre and a
bright marker cube at the patient's right, anterior and superior. Scanning, loading
and reformatting then go through the real code; the tests check what a reader sees:
the circle's radius in mm, on which side of the image the marker is, the labels.
"""

from __future__ import annotations

import math
import stat
import tracemalloc
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pydicom.uid import generate_uid

from core.cli import main
from core.dicom.index import scan
from core.dicom.volume import Volume, load_series
from core.jobs import run_job
from core.viewing.mpr import MprVolume, PlaneImage, ReformatError, resample_square
from tests.core.test_index import make_image, write

CENTRE = np.array([5.0, -20.0, 100.0])  # the sphere's centre, patient mm
RADIUS = 10.0
MARKER = CENTRE + np.array([-15.0, -15.0, 15.0])  # patient's right, anterior, superior
MARKER_HALF = 1.6  # mm: a cube of 3.2 mm
SPHERE_HU, MARKER_HU, AIR_HU = 1000, 2000, -1000

AXIAL_HFS = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
AXIAL_HFP = (-1.0, 0.0, 0.0, 0.0, -1.0, 0.0)
AXIAL_FFS = (-1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
AXIAL_FFP = (1.0, 0.0, 0.0, 0.0, -1.0, 0.0)
SAGITTAL = (0.0, 1.0, 0.0, 0.0, 0.0, -1.0)
CORONAL = (1.0, 0.0, 0.0, 0.0, 0.0, -1.0)

#: In-plane size and spacing, slice count and spacing: 48 mm in every direction.
SIZE, PIXEL, SLICES, STEP = 64, 0.75, 32, 1.5


def _phantom(points: np.ndarray) -> np.ndarray:
    """HU at patient points (..., 3): air, the sphere, the marker cube."""
    values = np.full(points.shape[:-1], AIR_HU, dtype=np.int32)
    values[np.linalg.norm(points - CENTRE, axis=-1) <= RADIUS] = SPHERE_HU
    values[np.all(np.abs(points - MARKER) <= MARKER_HALF, axis=-1)] = MARKER_HU
    return values


def write_stack(
    folder: Path,
    orientation: Sequence[float],
    *,
    patient_position: str = "HFS",
    slices: int = SLICES,
    skip: int | None = None,
    shear: float = 0.0,
    dot: np.ndarray | None = None,
) -> Path:
    """Write a stack of ``slices`` centred on CENTRE; return the folder.

    ``skip`` leaves out one slice (a gap); ``shear`` moves each slice that many mm
    along its column direction per slice (gantry tilt); ``dot`` adds a bright point.
    """
    row_dir = np.asarray(orientation[:3], dtype=float)
    col_dir = np.asarray(orientation[3:], dtype=float)
    normal = np.cross(row_dir, col_dir)
    series = generate_uid()
    jj, ii = np.meshgrid(np.arange(SIZE), np.arange(SIZE))
    for k in range(slices):
        if k == skip:
            continue
        corner = (
            CENTRE
            - (SIZE - 1) / 2 * PIXEL * (row_dir + col_dir)
            + (k - (slices - 1) / 2) * STEP * normal
            + k * shear * col_dir
        )
        points = corner + (jj[..., None] * row_dir + ii[..., None] * col_dir) * PIXEL
        values = _phantom(points)
        if dot is not None:
            values[np.linalg.norm(points - dot, axis=-1) <= 0.8] = MARKER_HU
        ds = make_image(
            series=series,
            rows=SIZE,
            columns=SIZE,
            position=[float(v) for v in corner],
            orientation=orientation,
            spacing=(PIXEL, PIXEL),
            instance_number=slices - k,  # reversed: order must come from positions
            pixels=False,
            PatientPosition=patient_position,
            RescaleIntercept=-1024,
            RescaleSlope=1,
            RescaleType="HU",
            SliceThickness=STEP,
        )
        ds.PixelData = (values + 1024).astype("<u2").tobytes()
        write(ds, folder / f"{k:03d}.dcm")
    return folder


def load(folder: Path) -> Volume:
    (series,) = scan(folder).all_series()
    volume: Volume = run_job(load_series(series))
    return volume


def _radius_mm(image: PlaneImage) -> float:
    """Radius (mm) of the circle of values above half the sphere, from its area."""
    square = resample_square(image)
    assert square.row_spacing == pytest.approx(square.col_spacing)
    inside = np.count_nonzero((square.pixels > 0) & (square.pixels < 1500))
    return math.sqrt(inside * square.row_spacing * square.col_spacing / math.pi)


def _blob(image: PlaneImage, value: float = 1500) -> tuple[float, float]:
    rows, cols = np.nonzero(image.pixels > value)
    assert rows.size, "the marker is not in the plane"
    return float(rows.mean()), float(cols.mean())


ACQUISITIONS = {
    "axial head-first supine": (AXIAL_HFS, "HFS"),
    "axial head-first prone": (AXIAL_HFP, "HFP"),
    "axial feet-first supine": (AXIAL_FFS, "FFS"),
    "axial feet-first prone": (AXIAL_FFP, "FFP"),
    "sagittal": (SAGITTAL, "HFS"),
    "coronal": (CORONAL, "HFS"),
}
#: Radiological convention: which edge faces which way, and where the marker must show.
EXPECTED = {
    "axial": (("R", "L", "A", "P"), 2),
    "coronal": (("R", "L", "H", "F"), 1),
    "sagittal": (("A", "P", "H", "F"), 0),
}


@pytest.fixture(scope="module", params=sorted(ACQUISITIONS))
def acquisition(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> MprVolume:
    orientation, position = ACQUISITIONS[request.param]
    folder = write_stack(tmp_path_factory.mktemp("mpr"), orientation, patient_position=position)
    return MprVolume(load(folder))


@pytest.mark.parametrize("plane", ["axial", "coronal", "sagittal"])
def test_every_plane_of_every_acquisition_is_radiological(
    acquisition: MprVolume, plane: str
) -> None:
    labels, normal_axis = EXPECTED[plane]
    # The plane through the sphere's centre shows a circle of the sphere's radius.
    middle = acquisition.plane(plane, float(CENTRE[normal_axis]))
    assert _radius_mm(middle) == pytest.approx(RADIUS, abs=0.6)
    # The plane through the marker: labels R/L, A/P, H/F on the right edges, and the
    # marker (patient's right, anterior, superior) on the side they say.
    image = acquisition.plane(plane, float(MARKER[normal_axis]))
    shown = image.labels
    assert (shown.left, shown.right, shown.top, shown.bottom) == labels
    row, col = _blob(image)
    rows, cols = image.pixels.shape
    assert col < cols / 2  # right (axial, coronal) or anterior (sagittal): image left
    assert row < rows / 2  # anterior (axial) or superior (coronal, sagittal): image top
    # And its pixel position converts to the marker's patient position, and back.
    assert image.pixel_to_patient(row, col) == pytest.approx(tuple(MARKER), abs=1.0)
    back = image.patient_to_pixel(tuple(MARKER))
    assert back == pytest.approx((row, col), abs=1.0 / min(image.row_spacing, 1.0))
    assert image.position == pytest.approx(MARKER[normal_axis], abs=STEP / 2 + 1e-6)


def test_square_pixels_keep_the_field_of_view_and_positions(acquisition: MprVolume) -> None:
    for plane in ("axial", "coronal", "sagittal"):
        image = acquisition.plane(plane)
        square = resample_square(image)
        rows, cols = image.pixels.shape
        new_rows, new_cols = square.pixels.shape
        assert new_rows * square.row_spacing == pytest.approx(rows * image.row_spacing, abs=1.0)
        assert new_cols * square.col_spacing == pytest.approx(cols * image.col_spacing, abs=1.0)
        # The centre of the image is the same patient point before and after.
        before = image.pixel_to_patient((rows - 1) / 2, (cols - 1) / 2)
        after = square.pixel_to_patient((new_rows - 1) / 2, (new_cols - 1) / 2)
        assert after == pytest.approx(before, abs=0.5)


def test_a_slab_mip_finds_a_dot_inside_it_and_not_outside(tmp_path: Path) -> None:
    dot = CENTRE + np.array([8.0, 12.0, -14.0])  # outside the sphere
    mpr = MprVolume(load(write_stack(tmp_path, AXIAL_HFS, dot=dot)))
    for plane, axis in (("axial", 2), ("coronal", 1), ("sagittal", 0)):
        near = mpr.plane(plane, float(dot[axis] + 4.0), slab=10.0, mode="mip")
        assert near.mode == "mip" and near.slices > 1
        assert near.slab == pytest.approx(10.0, abs=STEP)
        row, col = _blob(near)
        assert near.pixel_to_patient(row, col)[axis] == pytest.approx(dot[axis] + 4.0, abs=1.0)
        found = near.pixel_to_patient(row, col)
        others = [i for i in range(3) if i != axis]
        assert np.asarray(found)[others] == pytest.approx(dot[others], abs=1.0)
        # The one plane through the middle of the slab misses the dot; the slab away misses it.
        assert not np.any(mpr.plane(plane, float(dot[axis] + 4.0)).pixels > 1500)
        far = mpr.plane(plane, float(dot[axis] + 12.0), slab=10.0, mode="mip")
        assert not np.any(far.pixels > 1500)
        # MinIP shows the air around the dot; the average dims it.
        assert mpr.plane(plane, float(dot[axis]), slab=10.0, mode="minip").pixels.max() < 1500
        average = mpr.plane(plane, float(dot[axis]), slab=10.0, mode="avg")
        assert average.pixels.dtype == np.float32
        assert AIR_HU < average.pixels.max() < MARKER_HU


@pytest.mark.parametrize(
    ("kwargs", "kind", "words"),
    [
        ({"skip": 12}, "gap", "gap"),
        ({"shear": 0.3}, "gantry tilt", "tilt"),
        ({"slices": 1}, "single frame", "at least 2 slices"),
    ],
)
def test_a_stack_that_cannot_be_reformatted_is_refused_with_its_reason(
    tmp_path: Path, kwargs: dict[str, int | float], kind: str, words: str
) -> None:
    volume = load(write_stack(tmp_path, AXIAL_HFS, **kwargs))  # type: ignore[arg-type]
    with pytest.raises(ReformatError, match=words) as caught:
        MprVolume(volume)
    assert caught.value.kind == kind
    assert str(caught.value).startswith("this series cannot be reformatted")


def test_three_planes_and_a_slab_need_no_second_copy_of_the_volume(tmp_path: Path) -> None:
    mpr = MprVolume(load(write_stack(tmp_path, AXIAL_HFS, slices=48)))
    array = mpr.volume.array
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        planes = [mpr.plane(plane) for plane in ("axial", "coronal", "sagittal")]
        planes.append(mpr.plane("sagittal", slab=20.0, mode="avg"))
        planes.append(mpr.plane("coronal", slab=20.0, mode="mip"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak <= 0.2 * array.nbytes
    # Each plane is a buffer of its own: the viewport may keep it while the volume changes.
    assert not any(np.shares_memory(p.pixels, array) for p in planes)


def test_positions_and_bad_requests(acquisition: MprVolume) -> None:
    low, high = acquisition.extent("axial")
    assert (low + high) / 2 == pytest.approx(CENTRE[2], abs=0.01)
    # z runs across the slices (axial stacks) or down the rows (sagittal, coronal).
    assert round(high - low, 2) in {(SLICES - 1) * STEP, (SIZE - 1) * PIXEL}
    assert acquisition.centre() == pytest.approx(tuple(CENTRE), abs=0.01)
    with pytest.raises(ValueError, match="outside the volume"):
        acquisition.plane("coronal", CENTRE[1] + 100)
    with pytest.raises(ValueError, match="plane must be one of"):
        acquisition.plane("oblique")
    with pytest.raises(ValueError, match="mode must be one of"):
        acquisition.plane("axial", slab=5.0, mode="max")
    with pytest.raises(ValueError, match="slab must be 0 or more"):
        acquisition.plane("axial", slab=-1.0)


def test_render_writes_a_square_pixel_png_of_the_volume_extent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], private_data_dir: Path
) -> None:
    folder = write_stack(tmp_path / "study", SAGITTAL)
    png = tmp_path / "out" / "coronal.png"
    code = main(["render", str(folder), "--plane", "coronal", "--out", str(png)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert stat.S_IMODE(png.stat().st_mode) == 0o600
    with Image.open(png) as image:
        assert image.mode == "L"
        grey = np.asarray(image)
    # 48 mm across (x) and 48 mm down (z), in 0.75 mm square pixels.
    assert grey.shape[1] * PIXEL == pytest.approx(SIZE * PIXEL, abs=PIXEL)
    assert grey.shape[0] * PIXEL == pytest.approx(SLICES * STEP, abs=PIXEL)
    assert "left R, right L, top H, bottom F" in out
    # The sphere (white in the CT soft-tissue window) is a circle of 10 mm radius.
    assert math.sqrt(np.count_nonzero(grey > 128) * PIXEL**2 / math.pi) == pytest.approx(
        RADIUS, abs=0.6
    )
    slab = tmp_path / "out" / "mip.png"
    code = main(
        ["render", str(folder), "--plane", "axial", "--position", str(MARKER[2]), "--slab", "6",
         "--mode", "mip", "--window", "1500", "100", "--out", str(slab)]
    )  # fmt: skip
    assert code == 0
    assert "mip slab" in capsys.readouterr().out
    with Image.open(slab) as image:
        marker = np.argwhere(np.asarray(image) > 128).mean(axis=0)  # only the marker
    assert marker[1] < SIZE / 2 and marker[0] < SIZE / 2  # right anterior: left, top


def test_render_usage_and_refusal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], private_data_dir: Path
) -> None:
    good = write_stack(tmp_path / "good", AXIAL_HFS)
    png = str(tmp_path / "x.png")
    assert main(["render", str(good), "--plane", "axial", "--frame", "3", "--out", png]) == 2
    assert main(["render", str(good), "--slab", "5", "--out", png]) == 2
    assert main(["render", str(good), "--plane", "axial", "--position", "900", "--out", png]) == 2
    assert "outside the volume" in capsys.readouterr().err
    gap = write_stack(tmp_path / "gap", AXIAL_HFS, skip=10)
    assert main(["render", str(gap), "--plane", "coronal", "--out", png]) == 3
    err = capsys.readouterr().err
    assert "cannot be reformatted" in err and "gap" in err
    assert not Path(png).exists()


def _rotated_axial(degrees: float) -> tuple[float, ...]:
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    return (c, s, 0.0, -s, c, 0.0)


def test_a_slightly_oblique_stack_is_reformatted_with_a_warning(tmp_path: Path) -> None:
    mpr = MprVolume(load(write_stack(tmp_path / "5", _rotated_axial(5.0))))
    assert any("5.0° off the patient axes" in warning for warning in mpr.warnings)
    image = mpr.plane("coronal", float(CENTRE[1]))
    assert (image.labels.left, image.labels.right, image.labels.top) == ("R", "L", "H")
    assert _radius_mm(image) == pytest.approx(RADIUS, abs=1.0)
    with pytest.raises(ReformatError, match="oblique reformatting") as caught:
        MprVolume(load(write_stack(tmp_path / "40", _rotated_axial(40.0))))
    assert caught.value.kind == "oblique"
