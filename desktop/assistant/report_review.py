"""Under the report's editor: review buttons, what is left to review, grounding conflicts.

:class:`ReviewBar` shows what the session says (the report's unreviewed sentences, the
grounding issues nobody resolved) and asks for what a person does (mark reviewed,
resolve, look at a conflict's sentence); the report panel carries it out.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from core.report.document import Report
from desktop.assistant.report_editor import CONFLICT_UNDERLINE
from desktop.assistant.report_texts import conflict_row, review_summary

if TYPE_CHECKING:
    from core.report.grounding import GroundingIssue

logger = logging.getLogger(__name__)

__all__ = ["ReviewBar"]

_KEY = Qt.ItemDataRole.UserRole  # a row's issue key
_SENTENCE = Qt.ItemDataRole.UserRole + 1  # its sentence id ("" for a finding left out)


class ReviewBar(QWidget):
    """Mark reviewed, Mark all reviewed, the review summary, the conflicts and Resolve.

    Signals
    -------
    mark_selection_requested()
    mark_all_requested()
    resolve_requested(str)
        The key of the issue chosen in the list.
    sentence_chosen(str)
        The id of the sentence of the conflict clicked or chosen ("" for a finding the
        report leaves out).
    """

    mark_selection_requested = Signal()
    mark_all_requested = Signal()
    resolve_requested = Signal(str)
    sentence_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._editable = False
        self.review_button = QPushButton(self.tr("Mark reviewed"))
        self.review_button.setObjectName("report_mark_reviewed")
        self.review_button.setToolTip(
            self.tr("Mark the selected sentences (or the one at the cursor)")
        )
        self.review_button.clicked.connect(self.mark_selection_requested)
        self.review_all_button = QPushButton(self.tr("Mark all reviewed"))
        self.review_all_button.setObjectName("report_mark_all_reviewed")
        self.review_all_button.clicked.connect(self.mark_all_requested)
        self.review_label = QLabel()
        self.review_label.setObjectName("report_review_summary")
        self.review_label.setWordWrap(True)
        self.review_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        review = QHBoxLayout()
        review.addWidget(self.review_button)
        review.addWidget(self.review_all_button)
        review.addWidget(self.review_label, 1)

        self.conflict_list = QListWidget()
        self.conflict_list.setObjectName("report_conflicts")
        self.conflict_list.setWordWrap(True)
        self.conflict_list.setMaximumHeight(110)
        self.conflict_list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.conflict_list.itemClicked.connect(self._on_conflict_list_item_clicked)
        self.conflict_list.currentItemChanged.connect(self._on_conflict_list_current_changed)
        self.resolve_button = QPushButton(self.tr("Resolve"))
        self.resolve_button.setObjectName("report_resolve")
        self.resolve_button.setToolTip(
            self.tr("Keep the sentence as written: the conflict no longer blocks")
        )
        self.resolve_button.clicked.connect(self._on_resolve_button_clicked)
        self.conflict_title = QLabel(self.tr("Grounding conflicts"))
        conflicts_row = QHBoxLayout()
        conflicts_row.addWidget(self.conflict_title, 1)
        conflicts_row.addWidget(self.resolve_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(review)
        layout.addLayout(conflicts_row)
        layout.addWidget(self.conflict_list)

    def show_review(
        self, report: Report | None, issues: Sequence[GroundingIssue], *, editable: bool
    ) -> None:
        """List ``issues`` (the chosen one stays chosen) and say what is left to review."""
        self._editable = editable
        current = self.conflict_list.currentItem()
        keep = current.data(_KEY) if current is not None else None
        self.conflict_list.blockSignals(True)
        self.conflict_list.clear()
        for issue in issues if report is not None else ():
            assert report is not None
            row = conflict_row(issue, report)
            if row is None:
                continue
            item = QListWidgetItem(row)
            item.setData(_KEY, issue.key)
            item.setData(_SENTENCE, issue.sentence_id or "")
            item.setToolTip(issue.reason)
            item.setForeground(CONFLICT_UNDERLINE)
            self.conflict_list.addItem(item)
            if issue.key == keep:
                self.conflict_list.setCurrentItem(item)
        self.conflict_list.blockSignals(False)
        count = self.conflict_list.count()
        self.conflict_title.setText(
            self.tr("Grounding conflicts ({count})").format(count=count)
            if count
            else self.tr("Grounding conflicts: none")
        )
        self._update_resolve_button()
        self.review_label.setText("" if report is None else review_summary(report, issues))

    def set_editable(self, report: Report | None, *, editable: bool) -> None:
        """Enable what a person may do now to ``report``."""
        self._editable = editable
        has_text = report is not None and not report.is_empty
        self.review_button.setEnabled(editable and has_text)
        self.review_all_button.setEnabled(editable and bool(report and report.unreviewed()))
        self._update_resolve_button()

    def conflict_texts(self) -> list[str]:
        return [self.conflict_list.item(i).text() for i in range(self.conflict_list.count())]

    def _update_resolve_button(self) -> None:
        # Resolve acts on the conflict the person chose in the list.
        chosen = self.conflict_list.currentItem() is not None
        self.resolve_button.setEnabled(chosen and self._editable)

    def _on_resolve_button_clicked(self) -> None:
        item = self.conflict_list.currentItem()
        if item is not None:
            self.resolve_requested.emit(str(item.data(_KEY)))

    def _on_conflict_list_item_clicked(self, item: QListWidgetItem) -> None:
        self.sentence_chosen.emit(str(item.data(_SENTENCE)))

    def _on_conflict_list_current_changed(self, item: QListWidgetItem | None, _: object) -> None:
        self._update_resolve_button()
        if item is not None:
            self.sentence_chosen.emit(str(item.data(_SENTENCE)))
