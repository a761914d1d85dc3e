"""A searchable DICOM tag browser: every element of one file, nested sequences as a tree.

The header is read in the background (:func:`core.dicom.tags.read_tag_rows` on
:mod:`desktop.workers`); the rows it returns are shown as a tree (sequence →
item → elements). Typing in the search box hides every row that neither matches
(tag number, keyword, name or value) nor contains a match
(:func:`core.dicom.tags.match_rows`). The selected value can be copied.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.dicom.records import FileRef
from core.dicom.tags import TagRow, match_rows, read_tag_rows
from core.errors import CancelledError
from desktop.workers import JobSlot

logger = logging.getLogger(__name__)

__all__ = ["TagBrowserDialog"]

COL_TAG, COL_NAME, COL_VR, COL_VALUE = range(4)
ROW_ROLE = Qt.ItemDataRole.UserRole + 1
#: Search is applied this long after the last key press.
SEARCH_DELAY_MS = 120


class TagBrowserDialog(QDialog):
    """Every DICOM element of one file, searchable, with nested sequences.

    Parameters
    ----------
    ref : FileRef
        The file (or zip member) to show.
    parent : QWidget, optional

    Signals
    -------
    tags_loaded(int)
        The header was read; the number of rows.
    load_failed(str)
        The header could not be read; the reason (names the file, no patient data).
    """

    tags_loaded = Signal(int)
    load_failed = Signal(str)

    def __init__(self, ref: FileRef, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        if not isinstance(ref, FileRef):
            raise TypeError(f"ref must be a FileRef, found {type(ref).__name__}")
        self._ref = ref
        self._rows: list[TagRow] = []
        self._items: list[QTreeWidgetItem] = []
        self._load_slot = JobSlot(self, name="tag rows")

        name = os.path.basename(ref.member or ref.path)
        self.setWindowTitle(self.tr("DICOM tags — {file}").format(file=name))
        self.setObjectName("tagBrowserDialog")
        self.resize(900, 650)

        self.search = QLineEdit(self)
        self.search.setObjectName("tagSearch")
        self.search.setPlaceholderText(self.tr("Search tag (0010,0010), keyword or value"))
        self.search.setClearButtonEnabled(True)
        self.search.setEnabled(False)

        self.tree = QTreeWidget(self)
        self.tree.setObjectName("tagTree")
        self.tree.setColumnCount(4)
        self.tree.setHeaderLabels([self.tr("Tag"), self.tr("Name"), "VR", self.tr("Value")])
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header = self.tree.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.resizeSection(COL_TAG, 170)
        header.resizeSection(COL_NAME, 260)
        header.resizeSection(COL_VR, 44)

        self.status = QLabel(self.tr("Reading the header…"), self)
        self.status.setObjectName("tagStatus")
        self.copy_button = QPushButton(self.tr("Copy value"), self)
        self.copy_button.setEnabled(False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)

        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.copy_button)
        bottom.addWidget(buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.tree, 1)
        layout.addLayout(bottom)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._on_search_timer_timeout)
        self.search.textChanged.connect(self._on_search_text_changed)
        self.copy_button.clicked.connect(self.copy_value)
        self.tree.currentItemChanged.connect(self._on_tree_current_item_changed)
        self.tree.customContextMenuRequested.connect(self._on_tree_context_menu_requested)
        copy_shortcut = QShortcut(QKeySequence.StandardKey.Copy, self.tree)
        copy_shortcut.activated.connect(self.copy_value)
        find_shortcut = QShortcut(QKeySequence.StandardKey.Find, self)
        find_shortcut.activated.connect(self.search.setFocus)

        self._start_loading()

    # ------------------------------------------------------------------ public API

    @property
    def ref(self) -> FileRef:
        return self._ref

    @property
    def rows(self) -> list[TagRow]:
        """Every row of the file (empty until loaded)."""
        return list(self._rows)

    @property
    def is_loading(self) -> bool:
        return self._load_slot.is_running

    def visible_rows(self) -> list[TagRow]:
        """The rows the search leaves shown, in order."""
        return [
            row for row, item in zip(self._rows, self._items, strict=True) if not item.isHidden()
        ]

    def apply_filter(self, text: str) -> None:
        """Show only the rows matching ``text`` and the rows they are nested in (now)."""
        self._search_timer.stop()
        if not self._rows:
            return
        keep = match_rows(self._rows, text)
        self.tree.setUpdatesEnabled(False)
        try:
            for item, kept in zip(self._items, keep, strict=True):
                item.setHidden(not kept)
            if text.strip():
                self.tree.expandAll()
            else:
                self.tree.collapseAll()
        finally:
            self.tree.setUpdatesEnabled(True)
        shown = sum(keep)
        if text.strip():
            self.status.setText(
                self.tr("{shown} of {total} rows match or contain a match").format(
                    shown=shown, total=len(self._rows)
                )
            )
        else:
            self.status.setText(self.tr("{total} rows").format(total=len(self._rows)))

    def selected_row(self) -> TagRow | None:
        item = self.tree.currentItem()
        row = item.data(COL_TAG, ROW_ROLE) if item is not None else None
        return row if isinstance(row, TagRow) else None

    def select_path(self, path: str) -> bool:
        """Make the row at ``path`` (see :attr:`core.dicom.tags.TagRow.path`) current."""
        for row, item in zip(self._rows, self._items, strict=True):
            if row.path == path:
                self.tree.setCurrentItem(item)
                self.tree.scrollToItem(item)
                return True
        return False

    def copy_value(self) -> str | None:
        """Put the selected row's whole value on the clipboard; returns it."""
        row = self.selected_row()
        if row is None:
            return None
        text = row.copy_text
        QGuiApplication.clipboard().setText(text)
        return text

    # ------------------------------------------------------------------ loading

    def _start_loading(self) -> None:
        ref = self._ref

        def factory(token: Any) -> Any:
            return read_tag_rows(ref, token)

        self._load_slot.start(
            factory, on_result=self._on_job_succeeded, on_error=self._on_job_failed
        )

    def _on_job_succeeded(self, rows: list[TagRow]) -> None:
        self._rows = list(rows)
        self._items = []
        parents: list[QTreeWidgetItem] = []
        top: list[QTreeWidgetItem] = []
        for row in self._rows:
            item = QTreeWidgetItem([row.tag, row.name or row.keyword, row.vr, row.value])
            item.setData(COL_TAG, ROW_ROLE, row)
            item.setToolTip(COL_NAME, row.keyword or row.name)
            item.setToolTip(COL_VALUE, row.copy_text[:2000])
            del parents[row.depth :]
            if parents:
                parents[-1].addChild(item)
            else:
                top.append(item)
            parents.append(item)
            self._items.append(item)
        self.tree.addTopLevelItems(top)
        self.search.setEnabled(True)
        self.status.setText(self.tr("{total} rows").format(total=len(self._rows)))
        if self.search.text().strip():
            self.apply_filter(self.search.text())
        self.tags_loaded.emit(len(self._rows))

    def _on_job_failed(self, error: BaseException) -> None:
        if isinstance(error, CancelledError):
            return
        reason = str(error) or type(error).__name__
        self.status.setText(self.tr("Cannot read the tags: {reason}").format(reason=reason))
        self.load_failed.emit(reason)

    # ------------------------------------------------------------------ slots

    def _on_search_text_changed(self, _text: str) -> None:
        self._search_timer.start()

    def _on_search_timer_timeout(self) -> None:
        self.apply_filter(self.search.text())

    def _on_tree_current_item_changed(self, current: QTreeWidgetItem | None, *_: object) -> None:
        self.copy_button.setEnabled(current is not None)

    def _on_tree_context_menu_requested(self, pos: Any) -> None:
        item = self.tree.itemAt(pos)
        if item is None:
            return
        self.tree.setCurrentItem(item)
        menu = QMenu(self)
        menu.addAction(self.tr("Copy value"), self.copy_value)
        row = item.data(COL_TAG, ROW_ROLE)
        if isinstance(row, TagRow):
            menu.addAction(
                self.tr("Copy tag"), lambda: QGuiApplication.clipboard().setText(row.tag)
            )
        menu.exec(self.tree.viewport().mapToGlobal(pos))
        menu.deleteLater()

    def done(self, result: int) -> None:
        self._load_slot.cancel()
        super().done(result)
