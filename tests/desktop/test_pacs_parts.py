"""The PACS dialogs' parts that need no PACS: dates, what a file is, a damaged nodes file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from core.pacs.credentials import CredentialStore
from core.pacs.nodes import nodes_file
from desktop.pacs.nodes_dialog import NodesDialog
from desktop.pacs.query_form import QueryForm, date_range
from desktop.pacs.send_dialog import describe_object

TODAY = dt.date(2026, 3, 10)


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("any", (None, None)),
        ("today", (TODAY, TODAY)),
        ("yesterday", (dt.date(2026, 3, 9), dt.date(2026, 3, 9))),
        ("last7", (dt.date(2026, 3, 4), TODAY)),
        ("range", (dt.date(2026, 1, 1), dt.date(2026, 2, 1))),
    ],
)
def test_date_quick_choices(choice: str, expected: tuple[object, object]) -> None:
    assert date_range(choice, TODAY, dt.date(2026, 1, 1), dt.date(2026, 2, 1)) == expected


def test_the_query_form_builds_the_core_query_and_refuses_a_backslash(qtbot) -> None:  # type: ignore[no-untyped-def]
    form = QueryForm()
    qtbot.addWidget(form)
    form.patient_name.setText("DOE^J*")
    form.modality.setEditText("ct")
    form.set_date_choice("today")
    form.limit.setValue(5)
    query = form.query()
    assert query is not None
    assert (query.patient_name, query.modality, query.limit) == ("DOE^J*", "CT", 5)
    assert query.date_from == query.date_to == dt.date.today()
    form.patient_id.setText("A\\B")
    assert form.query() is None
    assert form.problem.text() == "patient_id may not contain a backslash"


def _object(path: Path, sop_class: str, concept: tuple[str, str] | None = None) -> Path:
    ds = Dataset()
    ds.SOPClassUID, ds.SOPInstanceUID = sop_class, generate_uid()
    if concept is not None:
        item = Dataset()
        item.CodingSchemeDesignator, item.CodeValue = concept
        ds.ConceptNameCodeSequence = [item]
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = sop_class
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.save_as(path, enforce_file_format=True)
    return path


def test_what_each_object_to_send_is(tmp_path: Path) -> None:
    sr3d = "1.2.840.10008.5.1.4.1.1.88.34"
    ai = _object(tmp_path / "ai.dcm", sr3d, ("DCM", "126000"))
    assert describe_object(ai) == "AI results (SR, TID 1500 measurement report)"
    gsps = _object(tmp_path / "gsps.dcm", "1.2.840.10008.5.1.4.1.1.11.1")
    assert describe_object(gsps) == "Presentation state (Grayscale Softcopy)"
    heatmap = _object(tmp_path / "sc.dcm", "1.2.840.10008.5.1.4.1.1.7")
    assert describe_object(heatmap) == "Heatmap or screen capture (Secondary Capture)"
    ct = _object(tmp_path / "ct.dcm", "1.2.840.10008.5.1.4.1.1.2")
    assert describe_object(ct) == "DICOM object (CT Image Storage)"


def test_a_damaged_nodes_file_is_shown_and_never_overwritten(qtbot) -> None:  # type: ignore[no-untyped-def]
    target = nodes_file()
    target.write_text("{not json")
    dialog = NodesDialog(credentials=CredentialStore(use_keyring=False))
    qtbot.addWidget(dialog)
    assert dialog.file_problem.isVisibleTo(dialog)
    assert "is damaged" in dialog.file_problem.text()
    dialog.buttons.accepted.emit()  # Save
    assert dialog.file_problem.text().startswith("Not saved: the DICOM nodes file")
    assert target.read_text() == "{not json"
