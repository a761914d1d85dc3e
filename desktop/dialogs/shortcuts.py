"""Help → Keyboard shortcuts: a searchable table of group, keys and description.

The window fills it (:meth:`desktop.main_window.MainWindow.shortcut_entries`): every menu
action with keys (among them Ctrl+1 … Ctrl+4 for the layouts, Ctrl+1 showing the active
viewport alone; Ctrl+Page Down / Ctrl+Page Up for the next / previous series; Ctrl+Shift+B
for the study browser), the viewer's own keys, and the keys of the study browser and of
dialogs (Esc closes every dialog, this one too).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

logger = logging.getLogger(__name__)

__all__ = ["ShortcutsDialog"]

Entry = tuple[str, str, str]


def _check_entries(entries: object) -> list[Entry]:
    if isinstance(entries, str | bytes) or not isinstance(entries, Sequence):
        raise TypeError(
            f"entries must be a list of (group, keys, description), found {type(entries).__name__}"
        )
    checked: list[Entry] = []
    for entry in entries:
        if (
            not isinstance(entry, tuple | list)
            or len(entry) != 3
            or not all(isinstance(part, str) for part in entry)
        ):
            raise ValueError(
                f"each entry must be three strings (group, keys, description), found {entry!r}"
            )
        checked.append((entry[0], entry[1], entry[2]))
    return checked


class ShortcutsDialog(QDialog):
    """The keyboard shortcuts, grouped, with a search box that filters as one types.

    Parameters
    ----------
    entries : list of (group, keys, description)
        E.g. ``("Viewer", "Page Down", "Next image")``.
    parent : QWidget, optional
    """

    def __init__(self, entries: Sequence[Entry], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._entries = _check_entries(entries)
        self.setWindowTitle(self.tr("Keyboard shortcuts"))
        self.setObjectName("shortcutsDialog")
        self.resize(640, 520)

        self.search = QLineEdit(self)
        self.search.setObjectName("shortcutSearch")
        self.search.setPlaceholderText(self.tr("Search keys or actions"))
        self.search.setClearButtonEnabled(True)

        self.table = QTableWidget(len(self._entries), 3, self)
        self.table.setObjectName("shortcutTable")
        self.table.setHorizontalHeaderLabels([self.tr("Group"), self.tr("Keys"), self.tr("Action")])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        for row, entry in enumerate(self._entries):
            for column, text in enumerate(entry):
                self.table.setItem(row, column, QTableWidgetItem(text))

        self.status = QLabel(self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        layout.addWidget(buttons)

        self.search.textChanged.connect(self._on_search_text_changed)
        self.apply_filter("")
        self.search.setFocus()

    @property
    def entries(self) -> list[Entry]:
        return list(self._entries)

    def visible_entries(self) -> list[Entry]:
        """The entries the search leaves shown, in order."""
        return [e for row, e in enumerate(self._entries) if not self.table.isRowHidden(row)]

    def apply_filter(self, text: str) -> None:
        """Show the entries whose group, keys or description contain every word of ``text``."""
        words = text.lower().split()
        shown = 0
        for row, entry in enumerate(self._entries):
            haystack = " ".join(entry).lower()
            visible = all(word in haystack for word in words)
            self.table.setRowHidden(row, not visible)
            shown += visible
        total = len(self._entries)
        if words:
            said = self.tr("{shown} of {total} shortcuts").format(shown=shown, total=total)
        else:
            said = self.tr("{total} shortcuts").format(total=total)
        self.status.setText(said)

    def _on_search_text_changed(self, text: str) -> None:
        self.apply_filter(text)
