"""The PACS dialogs against a real Orthanc: nodes and Test, query/retrieve, send.

Orthanc is started by the harness of the core PACS tests (tests/core/pacs/orthanc.py) on
free 127.0.0.1 ports; generated studies are stored into it by our C-STORE first.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pydicom
import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QDialog, QWidget

from core.archive import Archive
from core.pacs import (
    CredentialStore,
    DicomWebNode,
    DimseNode,
    LocalNode,
    NodeBook,
    save_nodes,
    send,
)
from core.pacs.nodes import nodes_file
from core.synthetic import make_study_context, write_ct_series
from desktop.pacs.nodes_dialog import NodeEditor, NodesDialog
from desktop.pacs.query_dialog import QueryDialog
from desktop.pacs.send_dialog import SendDialog
from tests.core.pacs.orthanc import (  # noqa: F401 - the fixture
    ORTHANC_AET,
    OUR_AET,
    PASSWORD,
    USER,
    Orthanc,
    free_port,
    orthanc,
)

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
FIRST_SERIES = 4
SECOND_SERIES = 40


@dataclass(frozen=True)
class TwoSeriesStudy:
    patient_id: str
    patient_name: str
    study_uid: str
    series_uids: tuple[str, str]


def _orthanc_node(server: Orthanc) -> DimseNode:
    return DimseNode("orthanc", ORTHANC_AET, "127.0.0.1", server.dicom_port, timeout_s=10)


def _our_node(server: Orthanc) -> LocalNode:
    return LocalNode(OUR_AET, server.our_port, bind_address="127.0.0.1")


@pytest.fixture(scope="module")
def study(
    orthanc: Orthanc,  # noqa: F811 - the fixture imported above
    tmp_path_factory: pytest.TempPathFactory,
) -> TwoSeriesStudy:
    """A CT study of two series (4 and 40 slices) stored into Orthanc."""
    folder = tmp_path_factory.mktemp("pacs-dialogs")
    rng = np.random.default_rng(1313)
    context = make_study_context(rng, description="PACS DIALOG CT")
    uids: list[str] = []
    for number, slices in ((1, FIRST_SERIES), (2, SECOND_SERIES)):
        files = write_ct_series(
            folder / f"s{number}", rng, slices=slices, size=64, study=context, series_number=number
        )
        statuses = send(_orthanc_node(orthanc), files, local=_our_node(orthanc))
        assert [s.message for s in statuses if not s.ok] == []
        header = pydicom.dcmread(files[0], stop_before_pixels=True)
        uids.append(str(header.SeriesInstanceUID))
        study_uid = str(header.StudyInstanceUID)
    return TwoSeriesStudy(context.patient_id, context.patient_name, study_uid, (uids[0], uids[1]))


@pytest.fixture
def configured(orthanc: Orthanc) -> NodeBook:  # noqa: F811
    """The nodes file of this test's data folder: our AE and the Orthanc node."""
    book = NodeBook(_our_node(orthanc), (_orthanc_node(orthanc),))
    save_nodes(book)
    return book


@pytest.fixture
def memory_store() -> CredentialStore:
    return CredentialStore(use_keyring=False)


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[Archive]:
    with Archive(tmp_path / "archive") as opened:
        yield opened


def _screenshot(widget: QWidget, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    widget.grab().save(str(ARTIFACTS / name))


def _add_node(qtbot, dialog: NodesDialog, button, fields: dict[str, str]) -> NodeEditor:  # type: ignore[no-untyped-def]
    button.click()
    editor = dialog.editor
    assert editor is not None
    for key, value in fields.items():
        getattr(editor.form, key).setText(value)
    return editor


# ---------------------------------------------------------------------------- nodes


def test_nodes_dialog_adds_a_node_tests_it_and_explains_a_closed_port(
    qtbot,
    orthanc: Orthanc,  # noqa: F811 - the fixture imported above
    memory_store: CredentialStore,
) -> None:
    dialog = NodesDialog(credentials=memory_store)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.local_form.ae_title.setText(OUR_AET)
    dialog.local_form.port.setText(str(orthanc.our_port))
    fields = {"name": "hospital", "ae_title": ORTHANC_AET, "host": "127.0.0.1"}
    editor = _add_node(
        qtbot, dialog, dialog.add_dimse_button, {**fields, "port": str(orthanc.dicom_port)}
    )
    editor.form.description.setText("Main PACS")
    editor.buttons.accepted.emit()
    assert [n.name for n in dialog.nodes()] == ["hospital"]
    assert dialog.node_list.item(0).text().startswith("hospital — ORTHANC at 127.0.0.1:")

    dialog.test_button.click()
    qtbot.waitUntil(
        lambda: "answered" in dialog.test_result.text() or "failed" in dialog.test_result.text(),
        timeout=20_000,
    )
    text = dialog.test_result.text()
    assert text.startswith("C-ECHO answered in ") and "a C-FIND answered in" in text, text
    assert "hospital is ready" in text
    _screenshot(dialog, "pacs_nodes_dialog.png")

    closed = free_port()
    editor = _add_node(
        qtbot, dialog, dialog.add_dimse_button, {**fields, "name": "closed", "port": str(closed)}
    )
    editor.buttons.accepted.emit()
    dialog.test_button.click()
    qtbot.waitUntil(lambda: dialog.test_result.text().startswith("Test failed"), timeout=20_000)
    failure = dialog.test_result.text()
    assert f"could not connect to ORTHANC at 127.0.0.1:{closed}" in failure
    assert "Is the PACS running? Are the host and port right?" in failure

    dialog.buttons.accepted.emit()  # Save
    assert dialog.result() == QDialog.DialogCode.Accepted
    saved = json.loads(nodes_file().read_text())
    assert [n["name"] for n in saved["dimse"]] == ["hospital", "closed"]
    assert saved["dimse"][0]["description"] == "Main PACS"
    assert saved["local"] == {"ae_title": OUR_AET, "port": orthanc.our_port, "bind_address": ""}


def test_node_fields_are_checked_with_a_message_beside_each(
    qtbot, memory_store: CredentialStore
) -> None:
    dialog = NodesDialog(credentials=memory_store)
    qtbot.addWidget(dialog)
    editor = _add_node(
        qtbot, dialog, dialog.add_dimse_button,
        {"name": "x", "ae_title": "A" * 17, "host": "pacs", "port": "70000"},
    )  # fmt: skip
    editor.buttons.accepted.emit()
    assert editor.result_node is None and dialog.nodes() == []
    assert editor.form.error_text("ae_title") == "the AE title must be 1 to 16 characters, found 17"
    assert editor.form.error_text("port") == "the port must be 1 to 65535, found 70000"
    editor.form.ae_title.setText("BAD\\AE")
    editor.form.port.setText("104")
    editor.buttons.accepted.emit()
    assert "not a backslash" in editor.form.error_text("ae_title")
    assert editor.form.error_text("port") == ""
    editor.reject()

    web = _add_node(qtbot, dialog, dialog.add_web_button, {"name": "web", "base_url": "ftp://pacs"})
    web.buttons.accepted.emit()
    assert web.form.error_text("base_url").startswith("enter an http:// or https:// address")
    web.reject()

    dialog.local_form.port.setText("")
    dialog.local_form.receive.setChecked(True)
    dialog.buttons.accepted.emit()  # Save refused: receiving needs a port
    assert dialog.local_form.error_text("receive") == (
        "receiving needs a listening port: enter one above"
    )
    assert not nodes_file().exists()


def test_a_password_goes_to_the_credential_store_never_to_the_nodes_file(
    qtbot,
    orthanc: Orthanc,  # noqa: F811 - the fixture imported above
    memory_store: CredentialStore,
) -> None:
    dialog = NodesDialog(credentials=memory_store)
    qtbot.addWidget(dialog)
    assert "kept for this session only" in dialog.secret_where.text()
    editor = _add_node(
        qtbot, dialog, dialog.add_web_button,
        {"name": "web", "base_url": orthanc.dicomweb_url},
    )  # fmt: skip
    editor.form.auth.setCurrentIndex(editor.form.auth.findData("basic"))
    editor.form.username.setText(USER)
    editor.form.secret.setText(PASSWORD)
    assert "session only" in editor.form.secret_note.text()
    editor.buttons.accepted.emit()
    node = dialog.nodes()[0]
    assert memory_store.get(node.credential_key) == PASSWORD

    dialog.test_button.click()
    qtbot.waitUntil(
        lambda: bool(dialog.test_result.text()) and "Testing" not in dialog.test_result.text(),
        timeout=20_000,
    )
    assert dialog.test_result.text().startswith("The DICOMweb server answered in "), (
        dialog.test_result.text()
    )

    dialog.buttons.accepted.emit()
    text = nodes_file().read_text()
    assert PASSWORD not in text
    saved = json.loads(text)["dicomweb"][0]
    assert (saved["auth"], saved["username"], saved["base_url"]) == (
        "basic",
        USER,
        orthanc.dicomweb_url,
    )
    assert nodes_file().stat().st_mode & 0o077 == 0


# ---------------------------------------------------------------------------- query


def _search(qtbot, dialog: QueryDialog) -> None:  # type: ignore[no-untyped-def]
    dialog.search_button.click()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=20_000)


def test_query_finds_expands_retrieves_and_opens_progressively(
    qtbot, configured: NodeBook, study: TwoSeriesStudy, archive: Archive,
    memory_store: CredentialStore,
) -> None:  # fmt: skip
    dialog = QueryDialog(archive, credentials=memory_store)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.form.patient_id.setText(study.patient_id)
    _search(qtbot, dialog)
    assert dialog.summary.text() == "1 study found."
    assert dialog.tree.topLevelItemCount() == 1
    row = dialog.tree.topLevelItem(0)
    assert (row.text(1), row.text(3), row.text(4), row.text(6), row.text(7)) == (
        study.patient_id, "PACS DIALOG CT", "CT", "2", str(FIRST_SERIES + SECOND_SERIES),
    )  # fmt: skip

    dialog.form.patient_id.clear()
    dialog.form.patient_name.setText(study.patient_name.split("^")[0] + "^*")
    _search(qtbot, dialog)
    uids = [
        dialog.tree.topLevelItem(i).data(0, 256)[1] for i in range(dialog.tree.topLevelItemCount())
    ]
    assert study.study_uid in uids
    row = dialog.tree.topLevelItem(uids.index(study.study_uid))

    row.setExpanded(True)
    qtbot.waitUntil(lambda: len(dialog.series_items(study.study_uid)) == 2, timeout=20_000)
    children = dialog.series_items(study.study_uid)
    assert [c.text(7) for c in children] == [str(FIRST_SERIES), str(SECOND_SERIES)]
    assert children[0].text(3).startswith("#1")

    arrivals: list[tuple[str, ...]] = []
    dialog.study_arrived.connect(lambda uid: arrivals.append(("study", uid)))
    dialog.series_arrived.connect(lambda uid, series: arrivals.append(("series", uid, series)))
    gaps = _GapRecorder()
    dialog.tree.clearSelection()
    row.setSelected(True)
    dialog.retrieve_button.click()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=60_000)
    gaps.stop()

    assert arrivals == [
        ("study", study.study_uid),
        ("series", study.study_uid, study.series_uids[1]),
    ]
    total = FIRST_SERIES + SECOND_SERIES
    assert dialog.summary.text() == (
        f"Retrieval finished: {total} instances arrived, 0 failed, 0 were already present."
    )
    assert archive.study(study.study_uid).instance_count == total
    assert archive.study(study.study_uid).series_count == 2
    assert row.text(8) == f"complete: {total} arrived"
    assert [c.text(8) for c in children] == ["in the archive", "in the archive"]
    _screenshot(dialog, "pacs_query_dialog.png")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "pacs_gui_stall.txt").write_text(
        f"longest GUI-thread gap while retrieving {total} instances by C-GET: "
        f"{gaps.longest_ms:.1f} ms (timer every 5 ms; {gaps.ticks} ticks)\n"
    )
    print(f"longest GUI stall while retrieving: {gaps.longest_ms:.1f} ms")

    # Retrieving the series again costs no second copy: the archive says they are there.
    dialog.tree.clearSelection()
    children[0].setSelected(True)
    dialog.retrieve_button.click()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=30_000)
    assert dialog.summary.text() == (
        f"Retrieval finished: 0 instances arrived, 0 failed, {FIRST_SERIES} were already present."
    )
    # A new search says which studies the archive holds already.
    _search(qtbot, dialog)
    held = [dialog.tree.topLevelItem(i) for i in range(dialog.tree.topLevelItemCount())]
    statuses = {item.data(0, 256)[1]: item.text(8) for item in held}
    assert statuses[study.study_uid] == f"in the archive: {total}"


class _GapRecorder:
    """A 5 ms QTimer on the GUI thread; the longest gap between its ticks is the worst stall."""

    def __init__(self) -> None:
        self.longest_ms = 0.0
        self.ticks = 0
        self._last = time.perf_counter()
        self._timer = QTimer()
        self._timer.setInterval(5)
        self._timer.timeout.connect(self._on_timer_timeout)
        self._timer.start()

    def _on_timer_timeout(self) -> None:
        now = time.perf_counter()
        self.longest_ms = max(self.longest_ms, (now - self._last) * 1000)
        self._last = now
        self.ticks += 1

    def stop(self) -> None:
        self._timer.stop()


def test_c_move_to_an_unknown_destination_shows_the_0xa801_explanation(
    qtbot, configured: NodeBook, study: TwoSeriesStudy, archive: Archive,
    memory_store: CredentialStore,
) -> None:  # fmt: skip
    dialog = QueryDialog(archive, credentials=memory_store)
    qtbot.addWidget(dialog)
    dialog.form.patient_id.setText(study.patient_id)
    _search(qtbot, dialog)
    dialog.tree.topLevelItem(0).setSelected(True)
    dialog.method.setCurrentIndex(dialog.method.findData("move"))
    dialog.move_destination.setText("NOWHERE")
    dialog.retrieve_button.click()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=30_000)
    text = dialog.summary.text()
    assert "0xA801" in text, text
    assert "does not know AE title NOWHERE as a move destination" in text
    assert "administrator must configure AE title NOWHERE" in text
    assert "Retrieve again to fetch what is missing" in text
    assert dialog.retrieve_button.text() == "Retrieve again"
    assert archive.search() == []


def test_cancel_stops_a_retrieval_and_says_how_many_arrived(
    qtbot, configured: NodeBook, study: TwoSeriesStudy, archive: Archive,
    memory_store: CredentialStore,
) -> None:  # fmt: skip
    dialog = QueryDialog(archive, credentials=memory_store)
    qtbot.addWidget(dialog)
    dialog.form.patient_id.setText(study.patient_id)
    _search(qtbot, dialog)
    dialog.tree.topLevelItem(0).setSelected(True)
    # Cancel as soon as the first series has landed, while the second is on its way.
    clicked: list[float] = []
    dialog.study_arrived.connect(lambda _uid: clicked.append(time.perf_counter()))
    dialog.study_arrived.connect(lambda _uid: dialog.cancel_button.click())
    dialog.retrieve_button.click()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=30_000)
    stopped_after_s = time.perf_counter() - clicked[0]
    held = archive.study(study.study_uid).instance_count
    total = FIRST_SERIES + SECOND_SERIES
    assert FIRST_SERIES <= held <= total
    assert dialog.summary.text() == (
        f"Retrieval cancelled: {held} of {total} instances arrived and are kept in the "
        "archive. Retrieve again to fetch the rest."
    )
    assert dialog.retrieve_button.text() == "Retrieve again"
    print(f"cancelled after {held} of {total} instances; stopped {stopped_after_s:.2f} s later")

    # Retrieve again: the first series (complete) is not asked for again; all end up there.
    dialog.study_arrived.disconnect()
    dialog.retrieve_button.click()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=30_000)
    assert archive.study(study.study_uid).instance_count == total
    assert dialog.summary.text().startswith(f"Retrieval finished: {total - held} instances arrived")


# ---------------------------------------------------------------------------- send


def _write_report_sr(path: Path, patient_id: str) -> pydicom.Dataset:
    """A small Comprehensive SR, as a signed report would be."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    ds = Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.88.33"
    ds.SOPInstanceUID = generate_uid()
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.Modality = "SR"
    ds.PatientID = patient_id
    ds.PatientName = "SEND^TEST"
    ds.SeriesNumber = 99
    ds.InstanceNumber = 1
    ds.ValueType = "CONTAINER"
    ds.ContinuityOfContent = "SEPARATE"
    concept = Dataset()
    concept.CodeValue, concept.CodingSchemeDesignator = "18748-4", "LN"
    concept.CodeMeaning = "Diagnostic imaging report"
    ds.ConceptNameCodeSequence = [concept]
    ds.CompletionFlag, ds.VerificationFlag = "COMPLETE", "UNVERIFIED"
    text = Dataset()
    text.RelationshipType, text.ValueType = "CONTAINS", "TEXT"
    finding = Dataset()
    finding.CodeValue, finding.CodingSchemeDesignator = "121071", "DCM"
    finding.CodeMeaning = "Finding"
    text.ConceptNameCodeSequence = [finding]
    text.TextValue = "No acute abnormality."
    ds.ContentSequence = [text]
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.save_as(path, enforce_file_format=True)
    return ds


def test_send_dialog_sends_an_sr_that_orthanc_then_holds(
    qtbot, orthanc: Orthanc, configured: NodeBook, tmp_path: Path,  # noqa: F811
    memory_store: CredentialStore,
) -> None:  # fmt: skip
    sr = tmp_path / "report-sr.dcm"
    written = _write_report_sr(sr, "SENDTEST-1")
    notes = tmp_path / "notes.txt"
    notes.write_text("not DICOM")
    dialog = SendDialog([sr, notes], credentials=memory_store)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.table.item(0, 1).text() == "Report (Comprehensive SR)"
    assert dialog.table.item(1, 1).text() == "not a DICOM file (will not be sent)"
    assert dialog.status_text(0) == "not sent yet"
    dialog.send_button.click()
    qtbot.waitUntil(
        lambda: dialog.status_text(0) not in ("not sent yet", "sending…"), timeout=20_000
    )
    assert dialog.status_text(0) == "sent"
    assert dialog.status_text(1) == "failed: not a DICOM file; not sent"
    assert dialog.summary.text() == "1 of 2 sent, 1 failed."
    _screenshot(dialog, "pacs_send_dialog.png")
    # Query it back: Orthanc holds the SR instance under its UIDs.
    found = orthanc.rest("POST", "/tools/lookup", str(written.SOPInstanceUID))
    assert [item["Type"] for item in found] == ["Instance"]
    tags = orthanc.rest("GET", f"/instances/{found[0]['ID']}/simplified-tags")
    assert (tags["Modality"], tags["StudyInstanceUID"]) == ("SR", str(written.StudyInstanceUID))


def test_query_and_retrieve_from_a_dicomweb_node_by_wado_rs(
    qtbot, orthanc: Orthanc,  # noqa: F811 - the fixture imported above
    study: TwoSeriesStudy, archive: Archive, memory_store: CredentialStore,
) -> None:  # fmt: skip
    web = DicomWebNode(
        "orthanc-web", orthanc.dicomweb_url, auth="basic", username=USER, timeout_s=10
    )
    save_nodes(NodeBook(_our_node(orthanc), (), (web,)))
    memory_store.set(web.credential_key, PASSWORD)
    dialog = QueryDialog(archive, credentials=memory_store)
    qtbot.addWidget(dialog)
    assert not dialog.method.isEnabled()  # WADO-RS: no method to choose
    dialog.form.patient_id.setText(study.patient_id)
    _search(qtbot, dialog)
    assert dialog.summary.text() == "1 study found."
    arrivals: list[str] = []
    dialog.study_arrived.connect(arrivals.append)
    dialog.series_arrived.connect(lambda uid, series: arrivals.append(series))
    dialog.tree.topLevelItem(0).setSelected(True)
    dialog.retrieve_button.click()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=60_000)
    total = FIRST_SERIES + SECOND_SERIES
    assert dialog.summary.text() == (
        f"Retrieval finished: {total} instances arrived, 0 failed, 0 were already present."
    )
    assert arrivals == [study.study_uid, study.series_uids[1]]
    assert archive.study(study.study_uid).instance_count == total


def test_a_wrong_dicomweb_password_is_explained(
    qtbot, orthanc: Orthanc,  # noqa: F811 - the fixture imported above
    archive: Archive, memory_store: CredentialStore,
) -> None:  # fmt: skip
    web = DicomWebNode(
        "orthanc-web", orthanc.dicomweb_url, auth="basic", username=USER, timeout_s=10
    )
    save_nodes(NodeBook(_our_node(orthanc), (), (web,)))
    memory_store.set(web.credential_key, "wrong-password")
    dialog = QueryDialog(archive, credentials=memory_store)
    qtbot.addWidget(dialog)
    dialog.form.patient_id.setText("ANYONE")
    _search(qtbot, dialog)
    text = dialog.summary.text()
    assert text.startswith("The search failed: "), text
    assert "HTTP 401 (wrong user name or password, or the token expired)" in text
    assert "Settings → DICOM nodes" in text
