"""The archive and PACS menu entries: they exist, and each opens its dialog.

File → Study Archive…, Query PACS…, Export → Anonymised Study… and Study to CD/USB
Folder (DICOMDIR)…; Report → Send to PACS… (with the open study's exported results);
Settings → DICOM Nodes… and Study Archive….
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pydicom
import pytest
from pydicom.dataset import FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid
from PySide6.QtWidgets import QDialogButtonBox, QMenu

from core.archive import Archive, default_archive_dir
from core.pacs import LocalNode, NodeBook, save_nodes
from core.paths import export_dir
from desktop.archive.menu_slots import find_results_to_send
from desktop.archive.settings_dialog import ArchiveSettingsDialog
from desktop.main_window import MainWindow
from desktop.pacs.nodes_dialog import NodesDialog
from desktop.pacs.query_dialog import QueryDialog
from desktop.pacs.send_dialog import SendDialog
from desktop.settings import Settings
from tests.core.archive.helpers import tiny_image

TIMEOUT_MS = 20_000


@pytest.fixture
def window(qtbot: Any) -> Iterator[MainWindow]:
    win = MainWindow(Settings())
    qtbot.addWidget(win)
    win.resize(1000, 700)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.cancel_import()
    win.archive_part.shutdown()


def _entries(menu: QMenu) -> list[str]:
    found = []
    for action in menu.actions():
        sub = action.menu()
        if isinstance(sub, QMenu):
            found += [f"{action.text()} → {text}" for text in _entries(sub)]
        elif not action.isSeparator():
            found.append(action.text())
    return [text.replace("&", "") for text in found]


def test_the_menu_entries_exist(window: MainWindow) -> None:
    file_entries = _entries(window.menus["File"])
    assert "Study Archive…" in file_entries
    assert "Query PACS…" in file_entries
    assert "Export → Anonymised Study…" in file_entries
    assert "Export → Study to CD/USB Folder (DICOMDIR)…" in file_entries
    assert "Send to PACS…" in _entries(window.menus["Report"])
    settings_entries = _entries(window.menus["Settings"])
    assert "DICOM Nodes…" in settings_entries and "Study Archive…" in settings_entries


def _result_file(folder: Path, prefix: str, study_uid: str) -> Path:
    ds = tiny_image(study_uid)
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    path = folder / f"{prefix}{ds.SOPInstanceUID}.dcm"
    pydicom.dcmwrite(path, ds, enforce_file_format=True)
    return path


def test_send_gathers_the_open_studys_exported_results(tmp_path: Path) -> None:
    study, other = generate_uid(), generate_uid()
    mine = {_result_file(export_dir(), prefix, study) for prefix in ("SR_", "HM_", "PR_")}
    _result_file(export_dir(), "SR_", other)
    _result_file(export_dir(), "view-", study)  # not a result the app sends
    (export_dir() / "SR_broken.dcm").write_bytes(b"not dicom")
    assert set(find_results_to_send({study})) == mine


def test_send_with_nothing_exported_says_so(qtbot: Any, window: MainWindow) -> None:
    with Archive(default_archive_dir()) as archive:
        ds = tiny_image()
        archive.accept(ds, source="test")
    with qtbot.waitSignal(window.series_loaded, timeout=TIMEOUT_MS):
        window.archive_part.open_study(str(ds.StudyInstanceUID))
    window.send_to_pacs_action.trigger()
    qtbot.waitUntil(
        lambda: any("nothing to send yet" in n.text for n in window.notifications.notifications),
        timeout=TIMEOUT_MS,
    )


def test_archive_settings_switch_the_receiver_on(qtbot: Any, window: MainWindow) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    save_nodes(NodeBook(local=LocalNode("RADSET", port, bind_address="127.0.0.1")))
    window.archive_settings_action.trigger()
    dialog = next(d for d in window._dialogs if isinstance(d, ArchiveSettingsDialog))
    qtbot.waitUntil(lambda: dialog.node_label.text() == f"AE RADSET, port {port}")
    assert not dialog.receive_check.isChecked()
    dialog.receive_check.setChecked(True)
    dialog.limit_field.setValue(12.5)
    dialog.accept()
    assert window.settings.receiver_enabled and window.settings.archive_limit_gb == 12.5
    label = window.archive_part.receiver_label
    qtbot.waitUntil(
        lambda: f"Receiving on AE RADSET port {port}" in label.text(), timeout=TIMEOUT_MS
    )
    assert window.archive_part.keeper.receiving
    window.settings.receiver_enabled = False
    window.archive_part.keeper.apply_settings()
    assert not window.archive_part.keeper.receiving and not label.isVisible()


def test_settings_dicom_nodes_opens_the_nodes_dialog(qtbot: Any, window: MainWindow) -> None:
    window.nodes_action.trigger()
    dialog = next(d for d in window._dialogs if isinstance(d, NodesDialog))
    assert dialog.isVisible()
    window.nodes_action.trigger()  # one of a kind: raised, not a second one
    assert sum(isinstance(d, NodesDialog) for d in window._dialogs) == 1
    # It reads and writes the window's own settings: what it saves, the window sees.
    assert dialog._settings is window.settings


def test_query_pacs_opens_the_query_dialog_and_arrivals_open_the_study(
    qtbot: Any, window: MainWindow
) -> None:
    with Archive(default_archive_dir()) as archive:
        first = tiny_image(patient_name="ARRIVE^ANN", patient_id="ARR1")
        archive.accept(first, source="PACS")
    window.query_pacs_action.trigger()
    qtbot.waitUntil(
        lambda: any(isinstance(d, QueryDialog) for d in window._dialogs), timeout=TIMEOUT_MS
    )
    dialog = next(d for d in window._dialogs if isinstance(d, QueryDialog))
    assert dialog.isVisible()
    study = str(first.StudyInstanceUID)
    with qtbot.waitSignal(window.series_loaded, timeout=TIMEOUT_MS) as loaded:
        dialog.study_arrived.emit(study)  # what the dialog says when the first series landed
    shown = loaded.args[0]
    later = tiny_image(study, patient_name="ARRIVE^ANN", patient_id="ARR1")
    later.SeriesNumber = 2
    with Archive(default_archive_dir()) as archive:
        archive.accept(later, source="PACS")
    dialog.series_arrived.emit(study, str(later.SeriesInstanceUID))
    qtbot.waitUntil(
        lambda: window.browser.series_item(str(later.SeriesInstanceUID)) is not None,
        timeout=TIMEOUT_MS,
    )
    assert window.grid.active_viewport.volume is shown
    panel = window.archive_part.panel
    window.archive_part.show_study_list()
    qtbot.waitUntil(
        lambda: panel.model.rowCount() == 1 and panel.model.rows[0].instance_count == 2,
        timeout=TIMEOUT_MS,
    )


def test_send_to_pacs_opens_the_send_dialog_with_the_results(
    qtbot: Any, window: MainWindow
) -> None:
    with Archive(default_archive_dir()) as archive:
        ds = tiny_image()
        archive.accept(ds, source="test")
    study = str(ds.StudyInstanceUID)
    results = {_result_file(export_dir(), prefix, study) for prefix in ("SR_", "PR_")}
    with qtbot.waitSignal(window.series_loaded, timeout=TIMEOUT_MS):
        window.archive_part.open_study(study)
    window.send_to_pacs_action.trigger()
    qtbot.waitUntil(
        lambda: any(isinstance(d, SendDialog) for d in window._dialogs), timeout=TIMEOUT_MS
    )
    dialog = next(d for d in window._dialogs if isinstance(d, SendDialog))
    assert dialog.isVisible()
    assert dialog.table.rowCount() == len(results) == 2  # the SR and the GSPS, nothing else


def test_saving_the_nodes_dialog_moves_the_receiver_to_the_new_port(
    qtbot: Any, window: MainWindow
) -> None:
    ports = []
    for _ in range(2):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            ports.append(probe.getsockname()[1])
    save_nodes(NodeBook(local=LocalNode("RADSET", ports[0], bind_address="127.0.0.1")))
    window.settings.receiver_enabled = True
    keeper = window.archive_part.keeper
    keeper.apply_settings()
    label = window.archive_part.receiver_label
    qtbot.waitUntil(lambda: f"port {ports[0]}" in label.text(), timeout=TIMEOUT_MS)
    window.nodes_action.trigger()
    dialog = next(d for d in window._dialogs if isinstance(d, NodesDialog))
    dialog.local_form.port.setText(str(ports[1]))
    buttons = dialog.findChild(QDialogButtonBox)
    buttons.button(QDialogButtonBox.StandardButton.Save).click()
    qtbot.waitUntil(
        lambda: f"Receiving on AE RADSET port {ports[1]}" in label.text(), timeout=TIMEOUT_MS
    )
    assert keeper.receiving
    with socket.socket() as old:  # the old port is free again
        old.bind(("127.0.0.1", ports[0]))
    window.settings.receiver_enabled = False
    keeper.apply_settings()
