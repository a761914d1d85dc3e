"""The DICOM tag browser and the keyboard shortcuts dialog."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pydicom.data import get_testdata_file
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QTreeWidgetItem
from pytestqt.qtbot import QtBot

from core.dicom.records import FileRef
from core.synthetic import write_enhanced_multiframe
from desktop.dialogs.shortcuts import ShortcutsDialog
from desktop.dialogs.tag_browser import COL_NAME, COL_TAG, COL_VALUE, TagBrowserDialog


def _open(qtbot: QtBot, ref: FileRef) -> TagBrowserDialog:
    dialog = TagBrowserDialog(ref)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.tags_loaded, timeout=10000):
        dialog.show()
    return dialog


def _sr() -> FileRef:
    return FileRef(str(get_testdata_file("test-SR.dcm", download=False)))


def _visible_items(dialog: TagBrowserDialog) -> list[QTreeWidgetItem]:
    found: list[QTreeWidgetItem] = []

    def walk(item: QTreeWidgetItem) -> None:
        if item.isHidden():
            return
        found.append(item)
        for i in range(item.childCount()):
            walk(item.child(i))

    for i in range(dialog.tree.topLevelItemCount()):
        walk(dialog.tree.topLevelItem(i))
    return found


def test_tree_shows_nested_sequences(qtbot: QtBot) -> None:
    dialog = _open(qtbot, _sr())
    assert dialog.windowTitle() == "DICOM tags — test-SR.dcm"
    tree = dialog.tree
    assert len(dialog.rows) > 300
    top = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
    assert top[0].text(COL_TAG) == "(0002,0000)"
    sequence = next(item for item in top if item.text(COL_TAG) == "(0040,A073)")
    assert sequence.text(COL_NAME) == "Verifying Observer Sequence"
    assert sequence.text(COL_VALUE) == "2 items"
    assert sequence.childCount() == 2
    first = sequence.child(0)
    assert first.text(COL_NAME) == "Item 1"
    names = [first.child(i).text(COL_NAME) for i in range(first.childCount())]
    assert names == [
        "Verifying Organization",
        "Verification DateTime",
        "Verifying Observer Name",
        "Verifying Observer Identification Code Sequence",
    ]
    code = first.child(3).child(0)
    assert [code.child(i).text(COL_VALUE) for i in range(code.childCount())][2] == "JR"
    assert dialog.status.text() == f"{len(dialog.rows)} rows"


def test_search_hides_rows_that_neither_match_nor_contain_a_match(qtbot: QtBot) -> None:
    dialog = _open(qtbot, _sr())
    total = len(_visible_items(dialog))
    assert total == len(dialog.rows)
    qtbot.keyClicks(dialog.search, "jr")
    # Filtering is live (after a short pause in typing).
    qtbot.waitUntil(lambda: len(dialog.visible_rows()) == 5, timeout=3000)
    shown = _visible_items(dialog)
    assert [item.text(COL_NAME) for item in shown] == [
        "Verifying Observer Sequence",
        "Item 1",
        "Verifying Observer Identification Code Sequence",
        "Item 1",
        "Code Meaning",
    ]
    assert all(item.isExpanded() for item in shown if item.childCount())
    assert dialog.status.text().startswith("5 of ")

    dialog.search.clear()
    qtbot.waitUntil(lambda: len(dialog.visible_rows()) == total, timeout=3000)
    dialog.apply_filter("(0010,0010)")
    assert [r.keyword for r in dialog.visible_rows()] == ["PatientName"]
    dialog.apply_filter("nothing matches this")
    assert dialog.visible_rows() == []


def test_copy_value(qtbot: QtBot) -> None:
    dialog = _open(qtbot, _sr())
    assert not dialog.copy_button.isEnabled()
    assert dialog.select_path("StudyDescription")
    assert dialog.copy_button.isEnabled()
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == "OFFIS Structured Reporting Test Document"
    assert dialog.copy_value() == "OFFIS Structured Reporting Test Document"


def test_enhanced_multiframe_and_pixel_data_length(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "mf.dcm"
    write_enhanced_multiframe(path, np.random.default_rng(5), frames=6, size=32)
    dialog = _open(qtbot, FileRef(str(path)))
    dialog.apply_filter("ImagePositionPatient")
    rows = dialog.visible_rows()
    assert sum(r.keyword == "ImagePositionPatient" for r in rows) == 6
    assert rows[0].keyword == "PerFrameFunctionalGroupsSequence"
    dialog.apply_filter("7fe0,0010")
    (pixel,) = dialog.visible_rows()
    assert pixel.value == f"<{6 * 32 * 32 * 2} bytes>"


def test_unreadable_file_says_why(qtbot: QtBot, tmp_path: Path) -> None:
    missing = tmp_path / "gone.dcm"
    dialog = TagBrowserDialog(FileRef(str(missing)))
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.load_failed, timeout=10000) as blocker:
        dialog.show()
    assert str(missing) in blocker.args[0]
    assert dialog.status.text().startswith("Cannot read the tags:")
    assert dialog.rows == [] and not dialog.search.isEnabled()


def test_closing_while_loading_cancels(qtbot: QtBot) -> None:
    dialog = TagBrowserDialog(_sr())
    qtbot.addWidget(dialog)
    job = dialog._load_slot.handle
    dialog.reject()
    assert job is None or job.cancelled or not job.is_running
    with pytest.raises(TypeError, match="FileRef"):
        TagBrowserDialog("/not/a/ref")  # type: ignore[arg-type]


ENTRIES = [
    ("Viewer", "Page Down", "Next image"),
    ("Viewer", "Page Up", "Previous image"),
    ("Viewer", "I", "Invert"),
    ("Measure", "D", "Distance"),
    ("File", "Ctrl+O", "Open folder"),
]


def test_shortcuts_dialog_lists_and_filters(qtbot: QtBot) -> None:
    dialog = ShortcutsDialog(ENTRIES)
    qtbot.addWidget(dialog)
    dialog.show()
    table = dialog.table
    assert table.rowCount() == 5
    assert [table.horizontalHeaderItem(i).text() for i in range(3)] == ["Group", "Keys", "Action"]
    assert [table.item(0, c).text() for c in range(3)] == ["Viewer", "Page Down", "Next image"]
    assert dialog.visible_entries() == ENTRIES
    assert dialog.status.text() == "5 shortcuts"

    qtbot.keyClicks(dialog.search, "image")
    assert dialog.visible_entries() == ENTRIES[:2]
    assert table.isRowHidden(2) and not table.isRowHidden(0)
    assert dialog.status.text() == "2 of 5 shortcuts"

    dialog.search.setText("ctrl+o")  # keys are searched too, case-insensitively
    assert dialog.visible_entries() == [ENTRIES[4]]
    dialog.search.setText("viewer page")  # every word must match
    assert dialog.visible_entries() == ENTRIES[:2]
    dialog.search.setText("measure")  # and the group
    assert dialog.visible_entries() == [ENTRIES[3]]
    dialog.search.clear()
    assert dialog.visible_entries() == ENTRIES


def test_shortcuts_dialog_checks_entries(qtbot: QtBot) -> None:
    with pytest.raises(TypeError):
        ShortcutsDialog("abc")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="three strings"):
        ShortcutsDialog([("Viewer", "I")])  # type: ignore[list-item]
    dialog = ShortcutsDialog([])
    qtbot.addWidget(dialog)
    assert dialog.visible_entries() == []
