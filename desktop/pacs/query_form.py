"""The search fields of Query PACS…: what the user types, turned into a core StudyQuery.

Patient name and description take ``*`` and ``?`` wildcards; the study date has quick
choices (any, today, yesterday, last 7 days) and a range; the result limit caps what
the node sends back.
"""

from __future__ import annotations

import datetime as dt
import logging

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QDate
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from core.errors import UsageError
from core.pacs.query import DEFAULT_LIMIT, StudyQuery

logger = logging.getLogger(__name__)

__all__ = ["DATE_CHOICES", "QueryForm", "date_range"]

#: The quick choices of the date field, in the order shown.
DATE_CHOICES = ("any", "today", "yesterday", "last7", "range")
_DATE_LABELS = {  # English sources, shown translated
    "any": QT_TRANSLATE_NOOP("QueryForm", "Any date"),
    "today": QT_TRANSLATE_NOOP("QueryForm", "Today"),
    "yesterday": QT_TRANSLATE_NOOP("QueryForm", "Yesterday"),
    "last7": QT_TRANSLATE_NOOP("QueryForm", "Last 7 days"),
    "range": QT_TRANSLATE_NOOP("QueryForm", "Between…"),
}
_MODALITIES = ("", "CT", "MR", "CR", "DX", "MG", "US", "PT", "NM", "XA", "RF", "SR", "OT")


def date_range(
    choice: str, today: dt.date, start: dt.date, end: dt.date
) -> tuple[dt.date | None, dt.date | None]:
    """The (from, to) dates of a quick choice; ``start``/``end`` for "range"."""
    if choice == "today":
        return today, today
    if choice == "yesterday":
        day = today - dt.timedelta(days=1)
        return day, day
    if choice == "last7":
        return today - dt.timedelta(days=6), today
    if choice == "range":
        return start, end
    return None, None


class QueryForm(QWidget):
    """Patient name, patient ID, accession, study date, modality, description, limit."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.patient_name = QLineEdit()
        self.patient_name.setObjectName("patientName")
        self.patient_name.setPlaceholderText(self.tr("DOE^J*  (* and ? are wildcards)"))
        self.patient_id = QLineEdit()
        self.patient_id.setObjectName("patientId")
        self.accession = QLineEdit()
        self.accession.setObjectName("accession")
        self.description = QLineEdit()
        self.description.setObjectName("description")
        self.description.setPlaceholderText(self.tr("*CHEST*", "a wildcard search example"))
        self.modality = QComboBox()
        self.modality.setObjectName("modality")
        self.modality.setEditable(True)
        self.modality.addItems(list(_MODALITIES))
        self.date_choice = QComboBox()
        self.date_choice.setObjectName("dateChoice")
        for key in DATE_CHOICES:
            self.date_choice.addItem(
                QCoreApplication.translate("QueryForm", str(_DATE_LABELS[key])), key
            )
        today = QDate.currentDate()
        self.date_from = QDateEdit(today.addDays(-30))
        self.date_to = QDateEdit(today)
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.limit = QSpinBox()
        self.limit.setObjectName("limit")
        self.limit.setRange(1, 10_000)
        self.limit.setValue(DEFAULT_LIMIT)
        self.problem = QLabel()
        self.problem.setObjectName("queryProblem")
        self.problem.setStyleSheet("QLabel { color: #c62828; }")
        self.problem.hide()

        dates = QHBoxLayout()
        dates.setContentsMargins(0, 0, 0, 0)
        dates.addWidget(self.date_choice)
        dates.addWidget(self.date_from)
        dates.addWidget(QLabel(self.tr("to", "a date range: from … to …")))
        dates.addWidget(self.date_to)
        date_row = QWidget()
        date_row.setLayout(dates)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        rows: list[tuple[str, QWidget, str, QWidget]] = [
            (self.tr("Patient name"), self.patient_name, self.tr("Patient ID"), self.patient_id),
            (self.tr("Accession"), self.accession, self.tr("Modality"), self.modality),
            (self.tr("Study date"), date_row, self.tr("Description"), self.description),
        ]
        for row, (left, left_field, right, right_field) in enumerate(rows):
            grid.addWidget(QLabel(left), row, 0)
            grid.addWidget(left_field, row, 1)
            grid.addWidget(QLabel(right), row, 2)
            grid.addWidget(right_field, row, 3)
        grid.addWidget(QLabel(self.tr("At most")), 3, 0)
        limit_row = QHBoxLayout()
        limit_row.addWidget(self.limit)
        limit_row.addWidget(QLabel(self.tr("studies", "at most N studies")))
        limit_row.addStretch(1)
        grid.addLayout(limit_row, 3, 1)
        grid.addWidget(self.problem, 4, 0, 1, 4)
        self.date_choice.currentIndexChanged.connect(self._on_date_choice_changed)
        self._on_date_choice_changed()

    def _on_date_choice_changed(self) -> None:
        between = self.date_choice.currentData() == "range"
        self.date_from.setEnabled(between)
        self.date_to.setEnabled(between)

    def set_date_choice(self, key: str) -> None:
        """Pick a quick date choice (``"any"``, ``"today"``, ``"yesterday"``, ``"last7"``)."""
        self.date_choice.setCurrentIndex(max(self.date_choice.findData(key), 0))

    def query(self) -> StudyQuery | None:
        """The search as entered, or None with the reason shown under the fields."""
        self.problem.hide()
        start, end = date_range(
            str(self.date_choice.currentData()),
            dt.date.today(),
            self.date_from.date().toPython(),  # type: ignore[arg-type]
            self.date_to.date().toPython(),  # type: ignore[arg-type]
        )
        try:
            return StudyQuery(
                patient_name=self.patient_name.text(),
                patient_id=self.patient_id.text(),
                accession_number=self.accession.text(),
                date_from=start,
                date_to=end,
                modality=self.modality.currentText().strip().upper(),
                description=self.description.text(),
                limit=self.limit.value(),
            )
        except (UsageError, TypeError, ValueError) as error:
            self.problem.setText(str(error))
            self.problem.show()
            return None
