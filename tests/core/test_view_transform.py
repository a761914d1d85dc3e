"""The view transform of a viewport, without a widget: zoom, pan, rotation, flips, labels."""

from __future__ import annotations

import itertools

import pytest

from core.dicom.overlays import OrientationLabels
from core.viewing.transform import IDENTITY, MAX_ZOOM, ViewTransform

AXIAL = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)  # rows run left → right (R→L), columns front → back
CORONAL = (1.0, 0.0, 0.0, 0.0, 0.0, -1.0)  # rows R→L, columns head → feet


def _square() -> ViewTransform:
    """A 100 × 100 image in a 200 × 200 view: fitted, image (x, y) is at screen (2x, 2y)."""
    return ViewTransform(image_size=(100, 100), view_size=(200, 200)).fitted()


def test_fit_centres_the_image_and_keeps_a_millimetre_square() -> None:
    view = ViewTransform(image_size=(200, 100), view_size=(400, 400), aspect=2.0).fitted()
    # Rows are twice as far apart as columns: 200 x 200 "column pixels" in a 400 view.
    assert view.zoom == pytest.approx(2.0) and view.fit_mode
    assert view.image_to_screen(0, 0) == pytest.approx((0.0, 0.0))
    assert view.image_to_screen(200, 100) == pytest.approx((400.0, 400.0))
    assert view.image_to_screen(100, 50) == pytest.approx((200.0, 200.0))


def test_zoom_about_a_point_keeps_that_point_under_it() -> None:
    view = _square()
    assert view.image_to_screen(50, 50) == pytest.approx((100.0, 100.0))
    under = view.screen_to_image(30, 40)
    assert under == pytest.approx((15.0, 20.0))
    zoomed = view.zoomed_about(4.0, (30.0, 40.0))
    assert zoomed.zoom == 4.0 and not zoomed.fit_mode
    assert zoomed.screen_to_image(30, 40) == pytest.approx(under)
    # Every other point moves away from the anchor by the zoom ratio (2x).
    assert zoomed.image_to_screen(50, 50) == pytest.approx((30 + 2 * 70, 40 + 2 * 60))
    assert zoomed.pan == pytest.approx((70.0, 60.0))
    assert view.zoomed_about(1e6, (30.0, 40.0)).zoom == MAX_ZOOM  # clamped
    centred = view.zoomed(3.0)  # about the view centre: the image centre stays put
    assert centred.image_to_screen(50, 50) == pytest.approx((100.0, 100.0))
    with pytest.raises(ValueError, match="zoom"):
        view.zoomed(0.0)


def test_pan_moves_every_point_by_the_same_screen_offset() -> None:
    panned = _square().panned_by(30, -10)
    assert panned.image_to_screen(10, 20) == pytest.approx((50.0, 30.0))
    assert panned.screen_to_image(50, 30) == pytest.approx((10.0, 20.0))
    assert panned.fitted().pan == (0.0, 0.0)


def test_rotation_and_flips_compose_and_undo_each_other() -> None:
    view = _square()
    clockwise = view.rotated(90)
    assert clockwise.orientation == (0, -1, 1, 0)
    # The image's top-left corner goes to the top-right of the screen.
    assert clockwise.image_to_screen(0, 0) == pytest.approx((200.0, 0.0))
    assert clockwise.image_to_screen(10, 30) == pytest.approx((140.0, 20.0))
    assert clockwise.rotated(-90) == view
    assert view.rotated(90).rotated(90).rotated(90).rotated(90) == view
    assert view.rotated(-270) == clockwise
    assert view.flipped_horizontally().flipped_horizontally() == view
    # Turned then mirrored left-right is the transpose: image (x, y) at screen (2y, 2x).
    transposed = clockwise.flipped_horizontally()
    assert transposed.orientation == (0, 1, 1, 0)
    assert transposed.image_to_screen(10, 30) == pytest.approx((60.0, 20.0))
    assert transposed.screen_to_image(60, 20) == pytest.approx((10.0, 30.0))
    assert view.flipped_vertically().rotated(90) == transposed
    assert view.rotated(180) == view.flipped_horizontally().flipped_vertically()
    assert transposed.reset().orientation == IDENTITY
    with pytest.raises(ValueError, match="multiple of 90"):
        view.rotated(45)


def test_screen_to_image_inverts_image_to_screen_for_every_orientation() -> None:
    base = ViewTransform(image_size=(64, 48), view_size=(300, 220), aspect=1.5).fitted()
    views = [base, base.flipped_horizontally(), base.flipped_vertically()]
    views += [v.rotated(r) for v in list(views) for r in (90, 180, 270)]
    orientations = set()
    for view in views:
        view = view.zoomed_about(3.7, (40.0, 90.0)).panned_by(-12.5, 7.25)
        orientations.add(view.orientation)
        (xx, xy, tx), (yx, yy, ty) = view.affine
        for x, y in itertools.product((0.0, 5.5, 63.0), (0.0, 17.25, 48.0)):
            sx, sy = view.image_to_screen(x, y)
            assert (sx, sy) == pytest.approx((xx * x + xy * y + tx, yx * x + yy * y + ty))
            assert view.screen_to_image(sx, sy) == pytest.approx((x, y))
    assert len(orientations) == 8  # four turns, mirrored or not


def test_rotation_refits_a_fitted_view_but_not_a_zoomed_one() -> None:
    wide = ViewTransform(image_size=(200, 100), view_size=(400, 200)).fitted()
    assert wide.zoom == pytest.approx(2.0)
    assert wide.rotated(90).zoom == pytest.approx(1.0)  # 100 wide, 200 high in 400 x 200
    zoomed = wide.zoomed(3.0)
    assert zoomed.rotated(90).zoom == pytest.approx(3.0)
    resized = wide.with_view_size(800, 400)
    assert resized.zoom == pytest.approx(2.0) and resized.fitted().zoom == pytest.approx(4.0)


def test_showing_an_area_fills_the_view_with_it() -> None:
    view = _square().showing_area((10.0, 20.0), (30.0, 30.0))
    assert view.zoom == pytest.approx(10.0)  # 20 px wide in 200 px; 10 high would allow 20
    assert view.image_to_screen(20, 25) == pytest.approx((100.0, 100.0))
    assert view.image_to_screen(10, 25) == pytest.approx((0.0, 100.0))
    assert _square().showing_area((30.0, 30.0), (10.0, 10.0)) == _square()  # empty: unchanged


def test_orientation_labels_of_an_axial_image_follow_rotation_and_flips() -> None:
    view = _square()
    assert view.orientation_labels(AXIAL) == OrientationLabels("R", "L", "A", "P")
    turned = view.rotated(90).orientation_labels(AXIAL)
    assert (turned.top, turned.right, turned.bottom, turned.left) == ("R", "A", "L", "P")
    mirrored = view.flipped_horizontally().orientation_labels(AXIAL)
    assert (mirrored.left, mirrored.right, mirrored.top, mirrored.bottom) == ("L", "R", "A", "P")
    upside_down = view.flipped_vertically().orientation_labels(AXIAL)
    assert (upside_down.top, upside_down.bottom) == ("P", "A")
    both = view.rotated(90).flipped_horizontally().orientation_labels(AXIAL)
    assert (both.left, both.right, both.top, both.bottom) == ("A", "P", "R", "L")


def test_orientation_labels_of_a_coronal_image_follow_rotation_and_flips() -> None:
    view = _square()
    labels = view.orientation_labels(CORONAL)
    assert (labels.left, labels.right, labels.top, labels.bottom) == ("R", "L", "H", "F")
    turned = view.rotated(90).orientation_labels(CORONAL)
    assert (turned.left, turned.right, turned.top, turned.bottom) == ("F", "H", "R", "L")
    back = view.rotated(-90).orientation_labels(CORONAL)
    assert (back.left, back.right, back.top, back.bottom) == ("H", "F", "L", "R")
    flipped = view.flipped_vertically().orientation_labels(CORONAL)
    assert (flipped.left, flipped.right, flipped.top, flipped.bottom) == ("R", "L", "F", "H")


def test_radiograph_labels_come_from_patient_orientation() -> None:
    view = _square().rotated(90)
    labels = view.orientation_labels(None, ("L", "F"))
    assert (labels.top, labels.bottom) == ("R", "L")
    assert view.orientation_labels(None) == OrientationLabels()


def test_bad_values_are_refused_with_what_was_found() -> None:
    with pytest.raises(ValueError, match="aspect"):
        ViewTransform(aspect=0.0)
    with pytest.raises(ValueError, match="orientation"):
        ViewTransform(orientation=(1, 1, 0, 1))
    with pytest.raises(ValueError, match="image_size"):
        ViewTransform(image_size=(0, 10))
    with pytest.raises(TypeError, match="degrees"):
        _square().rotated("90")  # type: ignore[arg-type]
