"""Measurements kept in patient mm: the saved form (format 2, format 1 still read) and placement."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from core.dicom.annotations import Annotation, annotations_from_json, annotations_to_json
from core.dicom.volume import Volume
from core.viewing.placement import anchor_annotation, patient_points_of, place_annotation
from tests.desktop.viewer_helpers import make_volume

STUDY = "1.2.826.0.1.3680043.10.999.1"


def _volume() -> Volume:
    # 10 axial slices 2 mm apart, 32 × 32 pixels of 1 mm: pixel (r, c) of slice k at (c, r, 2k).
    return make_volume(
        np.zeros((10, 32, 32), np.int16), pixel_spacing=(1.0, 1.0), slice_spacing=2.0
    )


def test_a_format_1_file_still_loads() -> None:
    old = {
        "format": 1,
        "study_instance_uid": STUDY,
        "annotations": [
            {
                "kind": "distance",
                "sop_instance_uid": "1.2.3",
                "frame": 0,
                "points": [[1, 2], [3, 4]],
            }
        ],
    }
    (a,) = annotations_from_json(json.dumps(old).encode(), STUDY)
    assert a.points == ((1.0, 2.0), (3.0, 4.0)) and a.patient_points == ()


def test_patient_points_round_trip_and_only_they_need_format_2() -> None:
    plain = Annotation("distance", "1.2.3", 0, ((1, 2), (3, 4)))
    assert json.loads(annotations_to_json(STUDY, [plain]))["format"] == 1  # older versions read it
    mpr = Annotation(
        "distance", "1.2.3", 0, ((1, 2), (3, 4)), patient_points=((0, 1, 2), (3.5, 4, 5))
    )
    data = annotations_to_json(STUDY, [plain, mpr])
    assert json.loads(data)["format"] == 2
    assert annotations_from_json(data, STUDY) == (plain, mpr)
    with pytest.raises(ValueError, match="one for one"):
        Annotation("distance", "1.2.3", 0, ((1, 2), (3, 4)), patient_points=((0, 1, 2),))
    with pytest.raises(ValueError, match="patient_points must be a list"):
        annotations_from_json(
            json.dumps(
                {
                    "format": 2,
                    "annotations": [
                        {
                            "kind": "distance",
                            "sop_instance_uid": "1.2.3",
                            "points": [[1, 2], [3, 4]],
                            "patient_points": "here",
                        }
                    ],
                }
            ).encode()
        )


def test_a_coronal_distance_is_filed_on_the_nearest_slice_shown_where_one_holds_it() -> None:
    volume = _volume()
    # In the coronal plane y = 10, from z = 4.2 to z = 13: nearest slice to its centre: z = 8.
    slanted = anchor_annotation("distance", ((5.0, 10.0, 4.2), (20.0, 10.0, 13.0)), volume)
    frame = volume.geometry.frames[4]
    assert (slanted.sop_instance_uid, slanted.frame) == (
        frame.instance.sop_instance_uid,
        frame.frame,
    )
    assert np.allclose(slanted.points, ((5.5, 10.5), (20.5, 10.5)))  # projected on z = 8
    assert place_annotation(slanted, volume) == []  # no axial slice holds a slanted line
    level = anchor_annotation("distance", ((5.0, 10.0, 6.4), (20.0, 12.0, 6.4)), volume)
    ((index, points),) = place_annotation(level, volume)
    assert index == 3 and np.allclose(points, ((5.5, 10.5), (20.5, 12.5)))
    assert patient_points_of(level, volume) == level.patient_points


def test_a_measurement_drawn_on_an_image_has_patient_points_through_its_geometry() -> None:
    volume = _volume()
    frame = volume.geometry.frames[2]
    a = Annotation(
        "distance", frame.instance.sop_instance_uid, frame.frame, ((0.5, 0.5), (10.5, 0.5))
    )
    points = patient_points_of(a, volume)
    assert points is not None
    assert points[0] == pytest.approx((0.0, 0.0, 4.0)) and points[1] == pytest.approx(
        (10.0, 0.0, 4.0)
    )
    assert math.dist(*points) == pytest.approx(10.0)
