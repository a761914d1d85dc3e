"""Oblique MPR planes: a sphere is a circle of its radius, a rod lies whole in its plane."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.dicom.overlays import describe_direction
from core.viewing.mpr import MprVolume, PlaneImage, reference_line
from core.viewing.oblique import PlaneMotion, move_plane, rotation_about, sample_plane
from tests.desktop.viewer_helpers import make_volume

# 60 axial slices 1 mm apart of 80 × 80 pixels of 1 mm: voxel (k, r, c) at (c, r, k) mm.
SHAPE = (60, 80, 80)
CENTRE = (40.0, 40.0, 30.0)


def _mpr(array: np.ndarray) -> MprVolume:
    return MprVolume(make_volume(array, pixel_spacing=(1.0, 1.0), slice_spacing=1.0))


def _coordinates() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    k, r, c = np.mgrid[0 : SHAPE[0], 0 : SHAPE[1], 0 : SHAPE[2]]
    return c.astype(float), r.astype(float), k.astype(float)


def _through(
    mpr: MprVolume, plane: str, motion: PlaneMotion, point: tuple[float, ...]
) -> PlaneImage:
    """The slice of ``plane`` through ``point``, moved by ``motion`` (turned about ``point``)."""
    index = mpr.index_of(plane, point[{"axial": 2, "coronal": 1, "sagittal": 0}[plane]])
    return sample_plane(mpr, move_plane(mpr.slice_geometry(plane, index), motion))


def test_a_sphere_is_a_circle_of_its_radius_in_an_oblique_plane() -> None:
    x, y, z = _coordinates()
    radius = 12.0
    inside = (x - CENTRE[0]) ** 2 + (y - CENTRE[1]) ** 2 + (z - CENTRE[2]) ** 2 <= radius**2
    mpr = _mpr(np.where(inside, 1000, 0).astype(np.int16))
    # Coronal turned 35° about the axial normal and then 20° about x, through the centre.
    motion = PlaneMotion().then_rotate((0, 0, 1), 35, CENTRE).then_rotate((1, 0, 0), 20, CENTRE)
    image = _through(mpr, "coronal", motion, CENTRE)
    assert image.distance_to(CENTRE) == pytest.approx(0.0, abs=1e-6)
    disc = image.pixels >= 500
    area_mm2 = disc.sum() * image.row_spacing * image.col_spacing
    assert math.sqrt(area_mm2 / math.pi) == pytest.approx(radius, abs=0.5)
    rows, cols = np.nonzero(disc)
    centre = image.pixel_to_patient(rows.mean(), cols.mean())
    assert math.dist(centre, CENTRE) < 0.5
    # Its rim: every edge pixel lies about one radius from the centre, in patient mm.
    step = max(1, len(rows) // 50)
    for row, col in zip(rows[::step], cols[::step], strict=True):
        assert math.dist(image.pixel_to_patient(float(row), float(col)), CENTRE) <= radius + 1.0


def test_a_rod_shows_whole_in_the_plane_turned_to_contain_it() -> None:
    x, y, z = _coordinates()
    # A rod through CENTRE along a direction 30° from x in the axial plane, tilted 25° up.
    azimuth, tilt = math.radians(30), math.radians(25)
    direction = np.array(
        [math.cos(tilt) * math.cos(azimuth), math.cos(tilt) * math.sin(azimuth), math.sin(tilt)]
    )
    offset = np.stack([x - CENTRE[0], y - CENTRE[1], z - CENTRE[2]], axis=-1)
    along = offset @ direction
    across = np.linalg.norm(offset - along[..., None] * direction, axis=-1)
    half_length = 20.0
    rod = (across <= 1.5) & (np.abs(along) <= half_length)
    mpr = _mpr(np.where(rod, 1000, 0).astype(np.int16))
    # The coronal plane (x, z) turned 30° about z holds the rod's azimuth; it contains the tilt.
    motion = PlaneMotion().then_rotate((0, 0, 1), 30, CENTRE)
    image = _through(mpr, "coronal", motion, CENTRE)
    shown = image.pixels >= 500
    rows, cols = np.nonzero(shown)
    ends = [image.pixel_to_patient(float(r), float(c)) for r, c in zip(rows, cols, strict=True)]
    reach = [float(np.dot(np.subtract(p, CENTRE), direction)) for p in ends]
    assert max(reach) == pytest.approx(half_length, abs=1.5)
    assert min(reach) == pytest.approx(-half_length, abs=1.5)
    # The plain coronal plane shows only a short cut of it.
    plain = _through(mpr, "coronal", PlaneMotion(), CENTRE)
    rows, cols = np.nonzero(plain.pixels >= 500)
    cut = [
        float(np.dot(np.subtract(plain.pixel_to_patient(float(r), float(c)), CENTRE), direction))
        for r, c in zip(rows, cols, strict=True)
    ]
    assert max(cut) - min(cut) < 10.0


def test_oblique_markers_name_the_nearest_axes_and_identity_changes_nothing() -> None:
    mpr = _mpr(np.zeros(SHAPE, np.int16))
    axial = mpr.slice_geometry("axial", 30)
    assert move_plane(axial, PlaneMotion()) is axial
    turned = move_plane(axial, PlaneMotion().then_rotate((0, 0, 1), 30, CENTRE))
    # The image's right edge: patient left turned 30° toward posterior: "LP"; its left "RA".
    assert turned.labels.right == "LP" and turned.labels.left == "RA"
    assert describe_direction(turned.col_step) == "LP"
    # A plane turned about the axial normal by 90° shows the sagittal direction at its edges.
    quarter = move_plane(axial, PlaneMotion().then_rotate((0, 0, 1), 90, CENTRE))
    assert quarter.labels.right == "P"
    # Its reference line on the coronal plane is the line it cuts there.
    coronal = mpr.slice_geometry("coronal", mpr.index_of("coronal", CENTRE[1]))
    assert reference_line(coronal, turned) is not None


def test_rotations_compose_about_their_pivots() -> None:
    motion = PlaneMotion().then_rotate((0, 0, 1), 90, (10.0, 0.0, 0.0))
    assert motion.point((11.0, 0.0, 0.0)) == pytest.approx((10.0, 1.0, 0.0))
    back = motion.then_rotate((0, 0, 1), -90, (10.0, 0.0, 0.0))
    assert back.is_identity
    assert np.allclose(rotation_about((0, 0, 2), 180) @ [1, 0, 0], [-1, 0, 0])
    assert motion.degrees == pytest.approx(90.0)
    with pytest.raises(ValueError, match="zero vector"):
        rotation_about((0, 0, 0), 10)


def test_an_oblique_mip_slab_reaches_a_dot_beside_the_plane() -> None:
    array = np.zeros(SHAPE, np.int16)
    array[30, 40, 44] = 1000  # (44, 40, 30): 4 mm from the sagittal plane x = 40
    mpr = _mpr(array)
    motion = PlaneMotion().then_rotate((0, 0, 1), 10, CENTRE)
    geometry = move_plane(mpr.slice_geometry("sagittal", mpr.index_of("sagittal", 40.0)), motion)
    assert sample_plane(mpr, geometry).pixels.max() < 500
    slab = sample_plane(mpr, geometry, slab=12.0, mode="mip")
    assert slab.pixels.max() >= 500 and slab.mode == "mip" and slab.slices > 1
