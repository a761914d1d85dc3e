"""Presentation states: measurements out as a GSPS other viewers show, a study's GSPS read in."""

from __future__ import annotations

from pathlib import Path

import highdicom as hd
import numpy as np
import pydicom
import pytest
from pydicom.uid import generate_uid

from core.dicom.annotations import Annotation
from core.dicom.geometry import compute_geometry
from core.dicom.index import scan
from core.dicom.presentation import (
    GSPS_SOP_CLASS_UID,
    ShownImage,
    export_presentation_states,
    load_presentation_states,
    read_presentation_state,
)
from core.dicom.records import InstanceRecord
from core.errors import UsageError
from core.jobs import run_job
from core.paths import export_dir
from core.synthetic import write_ct_series, write_enhanced_multiframe

pytestmark = pytest.mark.usefixtures("private_data_dir")


@pytest.fixture(scope="module")
def ct_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("gsps") / "ct"
    write_ct_series(folder, np.random.default_rng(7), slices=5, size=64)
    return folder


def _instances(folder: Path) -> list[InstanceRecord]:
    series = scan(folder).all_series()[0]
    return [f.instance for f in compute_geometry(series).frames]


def test_measurements_round_trip_through_a_gsps(ct_folder: Path) -> None:
    instances = _instances(ct_folder)
    target, other = instances[2], instances[4]
    uid = target.sop_instance_uid
    drawn = [
        Annotation("distance", uid, 0, ((10.5, 12.0), (40.25, 30.0)), text="15.1 mm"),
        Annotation("angle", uid, 0, ((5.0, 50.0), (20.0, 40.0), (35.0, 50.0)), text="112.6°"),
        Annotation("rectangle", uid, 0, ((8.0, 8.0), (24.0, 20.0)), text="Mean 40.0 HU\nArea 1"),
        Annotation("ellipse", uid, 0, ((30.0, 10.0), (50.0, 18.0)), text="Mean 3.0 HU"),
    ]
    shown = [
        ShownImage(target.ref, uid, 0, (40.0, 400.0)),
        ShownImage(other.ref, other.sop_instance_uid, 0, (-600.0, 1500.0)),  # a second view
    ]
    result = export_presentation_states(drawn, shown, {uid: target.ref})
    assert result.annotation_count == 4 and len(result.paths) == 1  # one series, one state
    (path,) = result.paths
    assert path.parent == export_dir() and ct_folder not in path.parents
    assert sorted(p.name for p in ct_folder.iterdir()) == sorted(  # the source is untouched
        p.name for p in ct_folder.iterdir() if not p.name.startswith("PR_")
    )

    ds = pydicom.dcmread(path)
    assert ds.SOPClassUID == GSPS_SOP_CLASS_UID and ds.Modality == "PR"
    assert ds.StudyInstanceUID == pydicom.dcmread(target.ref.path).StudyInstanceUID
    referenced = {
        item.ReferencedSOPInstanceUID
        for series in ds.ReferencedSeriesSequence
        for item in series.ReferencedImageSequence
    }
    assert referenced == {uid, other.sop_instance_uid}
    (voi,) = ds.SoftcopyVOILUTSequence
    assert (float(voi.WindowCenter), float(voi.WindowWidth)) == (40.0, 400.0)  # the active view's
    (annotation,) = ds.GraphicAnnotationSequence
    assert annotation.ReferencedImageSequence[0].ReferencedSOPInstanceUID == uid
    graphics = annotation.GraphicObjectSequence
    assert [g.GraphicType for g in graphics] == ["POLYLINE", "POLYLINE", "POLYLINE", "ELLIPSE"]
    assert {g.GraphicAnnotationUnits for g in graphics} == {"PIXEL"}
    assert [float(v) for v in graphics[0].GraphicData] == [10.5, 12.0, 40.25, 30.0]
    assert [float(v) for v in graphics[1].GraphicData] == [5.0, 50.0, 20.0, 40.0, 35.0, 50.0]
    assert [float(v) for v in graphics[2].GraphicData] == [8, 8, 24, 8, 24, 20, 8, 20, 8, 8]
    assert [float(v) for v in graphics[3].GraphicData] == [30, 14, 50, 14, 40, 10, 40, 18]
    texts = [t.UnformattedTextValue for t in annotation.TextObjectSequence]
    assert texts == ["15.1 mm", "112.6°", "Mean 40.0 HU\r\nArea 1", "Mean 3.0 HU"]
    assert ds.ContentLabel == "RADASSIST" and ds.GraphicLayerSequence[0].GraphicLayer == "RADASSIST"

    # And so does RadAssist: lines as lines, labels as texts, the window.
    read = read_presentation_state(path)
    assert read.window_for(uid) == (40.0, 400.0)
    lines = [a for a in read.annotations if a.kind == "polyline"]
    assert lines[0].points == ((10.5, 12.0), (40.25, 30.0)) and lines[0].frame is None
    assert lines[2].closed and lines[3].closed  # the rectangle, the ellipse (64 segments)
    assert next(a.text for a in read.annotations if a.kind == "text") == "15.1 mm"


def test_nothing_to_export_and_an_annotation_outside_the_study_are_refused(
    ct_folder: Path,
) -> None:
    with pytest.raises(UsageError, match="nothing to export"):
        export_presentation_states([], [], {})
    stray = Annotation("distance", "9.9.9", 0, ((1.0, 1.0), (2.0, 2.0)))
    with pytest.raises(UsageError, match="not in the open study"):
        export_presentation_states([stray], [], {})


def _highdicom_gsps(images: list[pydicom.Dataset]) -> pydicom.Dataset:
    """A GSPS as another workstation writes it: a circle, an arrow-like line, a text."""
    layer = hd.pr.GraphicLayer(layer_name="FINDINGS", order=1)
    annotation = hd.pr.GraphicAnnotation(
        referenced_images=[images[1]],
        graphic_layer=layer,
        graphic_objects=[
            hd.pr.GraphicObject(
                graphic_type=hd.pr.GraphicTypeValues.CIRCLE,
                graphic_data=np.array([[32.0, 32.0], [42.0, 32.0]]),
                units=hd.pr.AnnotationUnitsValues.PIXEL,
            ),
            hd.pr.GraphicObject(
                graphic_type=hd.pr.GraphicTypeValues.POLYLINE,
                graphic_data=np.array([[0.25, 0.25], [0.5, 0.5]]),
                units=hd.pr.AnnotationUnitsValues.DISPLAY,
            ),
        ],
        text_objects=[
            hd.pr.TextObject(
                text_value="lesion 1",
                units=hd.pr.AnnotationUnitsValues.PIXEL,
                anchor_point=(44.0, 30.0),
            )
        ],
    )
    gsps = hd.pr.GrayscaleSoftcopyPresentationState(
        referenced_images=images,
        series_instance_uid=generate_uid(),
        series_number=50,
        sop_instance_uid=generate_uid(),
        instance_number=1,
        manufacturer="Other Vendor",
        manufacturer_model_name="Reader",
        software_versions="1",
        device_serial_number="1",
        content_label="KEY_FINDINGS",
        graphic_annotations=[annotation],
        graphic_layers=[layer],
        voi_lut_transformations=[
            hd.pr.SoftcopyVOILUTTransformation(window_center=-600.0, window_width=1500.0)
        ],
    )
    # A zoom: the displayed area is the upper-left quarter of the image.
    area = gsps.DisplayedAreaSelectionSequence[0]
    area.DisplayedAreaTopLeftHandCorner = [1, 1]
    area.DisplayedAreaBottomRightHandCorner = [32, 32]
    return gsps


def test_a_gsps_found_in_a_study_is_indexed_and_read(tmp_path: Path) -> None:
    folder = tmp_path / "study"
    files = write_ct_series(folder / "ct", np.random.default_rng(8), slices=4, size=64)
    images = [pydicom.dcmread(f, stop_before_pixels=True) for f in files]
    _highdicom_gsps(images).save_as(folder / "pr.dcm", enforce_file_format=True)

    index = scan(folder)
    assert [r.kind.value for r in index.non_image] == ["presentation state"]
    states, failures = run_job(load_presentation_states(index))
    assert failures == ()
    (state,) = states
    assert state.label == "KEY_FINDINGS"
    assert set(state.referenced) == {str(ds.SOPInstanceUID) for ds in images}
    uid = str(images[1].SOPInstanceUID)
    assert state.window_for(uid) == (-600.0, 1500.0)
    area = state.displayed_area_for(uid)
    assert area is not None and (area.top_left, area.bottom_right) == ((0.0, 0.0), (32.0, 32.0))
    circle, line, text = state.annotations
    assert {a.sop_instance_uid for a in state.annotations} == {uid}
    assert circle.kind == "polyline" and circle.closed and len(circle.points) == 65
    assert np.allclose(np.hypot(*(np.array(circle.points) - 32.0).T), 10.0)
    assert line.points == ((8.0, 8.0), (16.0, 16.0))  # DISPLAY units through the displayed area
    assert text.kind == "text" and text.text == "lesion 1" and text.points == ((44.0, 30.0),)


def test_a_damaged_presentation_state_is_listed_with_its_reason(tmp_path: Path) -> None:
    folder = tmp_path / "study"
    files = write_ct_series(folder / "ct", np.random.default_rng(9), slices=2, size=64)
    images = [pydicom.dcmread(f, stop_before_pixels=True) for f in files]
    path = folder / "pr.dcm"
    _highdicom_gsps(images).save_as(path, enforce_file_format=True)
    index = scan(folder)
    path.write_bytes(path.read_bytes()[:300])  # cut after it was indexed
    states, failures = run_job(load_presentation_states(index))
    assert states == () and len(failures) == 1 and "pr.dcm" in failures[0].reason


def test_a_multiframe_annotation_names_its_frame(tmp_path: Path) -> None:
    path = tmp_path / "mf" / "enhanced.dcm"
    path.parent.mkdir()
    write_enhanced_multiframe(path, np.random.default_rng(3), frames=4, size=32)
    (instance,) = _instances(path.parent)[:1]
    uid = instance.sop_instance_uid
    drawn = [Annotation("distance", uid, 2, ((1.0, 1.0), (9.0, 9.0)), text="5.7 mm")]
    result = export_presentation_states(drawn, [ShownImage(instance.ref, uid, 2, (40, 400))], {})
    ds = pydicom.dcmread(result.paths[0])
    assert ds.GraphicAnnotationSequence[0].ReferencedImageSequence[0].ReferencedFrameNumber == 3
    (line, _text) = read_presentation_state(result.paths[0]).annotations
    assert line.frame == 2 and line.sop_instance_uid == uid


def test_a_hostile_presentation_state_is_one_line_and_quotes_nothing(tmp_path: Path) -> None:
    from tests.core.test_isolated_paths import _nested_sequence

    # A GSPS with a canary name, followed by a sequence nested 10,000 deep.
    ds = pydicom.Dataset()
    ds.SOPClassUID = GSPS_SOP_CLASS_UID
    ds.SOPInstanceUID = generate_uid()
    ds.PatientName = "CANARY^HOSTILE"
    ds.file_meta = pydicom.dataset.FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian
    path = tmp_path / "deep-pr.dcm"
    ds.save_as(path, enforce_file_format=True)
    path.write_bytes(path.read_bytes() + _nested_sequence(10_000))
    with pytest.raises(UsageError) as caught:
        read_presentation_state(path)
    message = str(caught.value)
    assert "deep-pr.dcm" in message and "\n" not in message and "CANARY" not in message
