"""MPR for a viewer: the stack of a plane as a view, points between image and patient, and
where one plane cuts another (the reference lines), for every acquisition of test_mpr.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.viewing.mpr import (
    PLANE_AXIS,
    PLANES,
    MprVolume,
    image_points_to_patient,
    patient_points_to_image,
    reference_line,
)
from tests.core.test_mpr import ACQUISITIONS, CENTRE, MARKER, load, write_stack


@pytest.fixture(scope="module", params=sorted(ACQUISITIONS))
def mpr(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> MprVolume:
    orientation, position = ACQUISITIONS[request.param]
    folder = write_stack(tmp_path_factory.mktemp("map"), orientation, patient_position=position)
    return MprVolume(load(folder))


@pytest.mark.parametrize("plane", PLANES)
def test_the_stack_is_a_view_whose_slices_are_the_planes(mpr: MprVolume, plane: str) -> None:
    stack = mpr.stack(plane)
    assert np.shares_memory(stack, mpr.volume.array)  # no copy of the volume
    positions = mpr.positions(plane)
    assert stack.shape[0] == len(positions)
    for index in (0, len(positions) // 2, len(positions) - 1):
        image = mpr.plane(plane, float(positions[index]))
        np.testing.assert_array_equal(stack[index], image.pixels)
        where = mpr.slice_geometry(plane, index)
        assert where.pixels.shape == image.pixels.shape
        assert where.pixels.strides == (0, 0)  # geometry only: no memory
        assert where.origin == pytest.approx(image.origin)
        assert where.labels == image.labels
    assert mpr.index_of(plane, float(positions[3]) + 0.2) == 3


@pytest.mark.parametrize("plane", PLANES)
def test_points_go_to_the_patient_and_back(mpr: MprVolume, plane: str) -> None:
    index = mpr.index_of(plane, float(MARKER[PLANE_AXIS[plane]]))
    where = mpr.slice_geometry(plane, index)
    # The marker's pixel, in viewer image coordinates (pixel centres at +0.5).
    row, col = where.patient_to_pixel(MARKER)
    (point,) = image_points_to_patient(where, [(col + 0.5, row + 0.5)])
    in_plane = [a for a in range(3) if a != PLANE_AXIS[plane]]
    assert np.asarray(point)[in_plane] == pytest.approx(MARKER[in_plane], abs=1e-6)
    assert where.distance_to(point) == pytest.approx(0.0, abs=1e-6)
    back = patient_points_to_image(where, [point], tolerance=mpr.spacing(plane) / 2)
    assert back is not None and back[0] == pytest.approx((col + 0.5, row + 0.5))
    far = np.asarray(point) + 3 * mpr.spacing(plane) * np.asarray(where.normal)
    assert patient_points_to_image(where, [far], tolerance=mpr.spacing(plane) / 2) is None


def test_reference_lines_cross_at_the_point_all_planes_pass_through(mpr: MprVolume) -> None:
    images = {p: mpr.plane(p, float(CENTRE[PLANE_AXIS[p]])) for p in PLANES}
    for plane, image in images.items():
        row, col = image.patient_to_pixel(CENTRE)
        centre = np.array([col + 0.5, row + 0.5])
        for other in PLANES:
            if other == plane:
                assert reference_line(image, images[other]) is None  # parallel
                continue
            ends = reference_line(image, images[other])
            assert ends is not None
            a, b = np.asarray(ends[0]), np.asarray(ends[1])
            # The centre lies on the line, and the line runs edge to edge.
            (dx, dy), (px, py) = b - a, centre - a
            cross = abs(float(dx * py - dy * px)) / float(np.linalg.norm(b - a))
            assert cross < 0.75
            rows, cols = image.pixels.shape
            assert max(abs(b - a)) == pytest.approx(rows if a[0] == b[0] else cols, abs=1.0)


def test_a_plane_beyond_the_image_draws_no_line(tmp_path: Path) -> None:
    from tests.core.test_mpr import AXIAL_HFS

    mpr = MprVolume(load(write_stack(tmp_path, AXIAL_HFS)))
    axial = mpr.plane("axial")
    moved = mpr.plane("sagittal")
    shifted = type(moved)(**{**moved.__dict__, "origin": (1000.0, *moved.origin[1:])})
    assert reference_line(axial, shifted) is None
