"""Annotations kept with their study: the model, its JSON form and the per-study store."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from core.dicom.annotations import (
    ORIGIN_PRESENTATION_STATE,
    Annotation,
    AnnotationStore,
    annotations_from_json,
    annotations_to_json,
)
from core.report.store import study_key

pytestmark = pytest.mark.usefixtures("private_data_dir")

STUDY = "1.2.826.0.1.3680043.8.498.1"


def _distance(uid: str = "1.2.3.4", frame: int = 0) -> Annotation:
    return Annotation("distance", uid, frame, ((10.0, 12.5), (40.25, 30.0)), text="18.4 mm")


def test_annotations_validate_what_they_hold() -> None:
    assert _distance().points == ((10.0, 12.5), (40.25, 30.0))
    with pytest.raises(ValueError, match="needs 2 points"):
        Annotation("distance", "1.2", 0, ((1.0, 2.0),))
    with pytest.raises(ValueError, match="needs 3 points"):
        Annotation("angle", "1.2", 0, ((1.0, 2.0), (3.0, 4.0)))
    with pytest.raises(ValueError, match="kind"):
        Annotation("arrow", "1.2", 0, ((1.0, 2.0), (3.0, 4.0)))
    with pytest.raises(ValueError, match="SOP Instance UID"):
        Annotation("distance", " ", 0, ((1.0, 2.0), (3.0, 4.0)))
    with pytest.raises(ValueError, match="finite"):
        Annotation("distance", "1.2", 0, ((float("nan"), 2.0), (3.0, 4.0)))
    with pytest.raises(ValueError, match="frame"):
        Annotation("distance", "1.2", -1, ((1.0, 2.0), (3.0, 4.0)))
    with pytest.raises(ValueError, match="anchor point or a bounding box"):
        Annotation("text", "1.2", None, (), text="x")
    shape = Annotation(
        "polyline", "1.2", None, ((0, 0), (1, 1), (0, 0)), closed=True, origin="presentation state"
    )
    assert not shape.is_measurement and _distance().is_measurement


def test_json_round_trip_keeps_every_field() -> None:
    items = (
        _distance(),
        Annotation("angle", "1.2.3.5", 2, ((1, 1), (5, 5), (9, 1)), text="90.0°"),
        Annotation(
            "text", "1.2.3.5", None, ((3, 4),), text="L kidney", origin=ORIGIN_PRESENTATION_STATE
        ),
    )
    data = annotations_to_json(STUDY, items)
    assert json.loads(data)["study_instance_uid"] == STUDY
    assert annotations_from_json(data, STUDY) == items
    with pytest.raises(ValueError, match="another study"):
        annotations_from_json(data, "9.9.9")
    with pytest.raises(ValueError, match="not JSON"):
        annotations_from_json(b"{", STUDY)
    with pytest.raises(ValueError, match="format"):
        annotations_from_json(json.dumps({"format": 99, "annotations": []}).encode())


def test_the_store_keeps_a_study_s_measurements_in_a_file_named_like_its_drafts(
    private_data_dir: Path,
) -> None:
    store = AnnotationStore()
    assert store.root == private_data_dir / "annotations"
    assert store.load(STUDY) == ()
    shape = Annotation("points", "1.2.3.4", 0, ((1, 1),), origin=ORIGIN_PRESENTATION_STATE)
    path = store.save(STUDY, [_distance(), shape])
    assert path.name == f"{study_key(STUDY)}.json"  # a hash: no UID, no patient data
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in store.root.iterdir()] == [path.name]  # no temporary file left
    assert AnnotationStore().load(STUDY) == (_distance(),)  # what a person drew, not the rest
    store.save(STUDY, [])
    assert store.load(STUDY) == ()  # deleting every measurement is kept too


def test_an_unreadable_file_is_set_aside_not_deleted(private_data_dir: Path) -> None:
    store = AnnotationStore()
    path = store.path_for(STUDY)
    path.write_bytes(b"\x00garbage")
    assert store.load(STUDY) == ()
    aside = [p for p in store.root.iterdir() if ".corrupt-" in p.name]
    assert len(aside) == 1 and aside[0].read_bytes() == b"\x00garbage"
