"""The study list's table model: one row per archived study, sortable by any column.

The rows are :class:`core.archive.StudyRow` values fetched by a search job; the model
only shows and sorts them (in Python, a few thousand rows in a few milliseconds).
Patient fields are patient data: they are shown, never logged.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractTableModel,
    QCoreApplication,
    QDateTime,
    QLocale,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)

from desktop.browser.formatting import format_date, format_person_name
from desktop.number_format import format_count

if TYPE_CHECKING:
    from core.archive import StudyRow

logger = logging.getLogger(__name__)

__all__ = ["COLUMNS", "UID_ROLE", "StudyTableModel"]

#: Column titles in display order (English sources; the header shows them translated).
COLUMNS: Final = (
    QT_TRANSLATE_NOOP("StudyTableModel", "Patient Name"),
    QT_TRANSLATE_NOOP("StudyTableModel", "Patient ID"),
    QT_TRANSLATE_NOOP("StudyTableModel", "Study Date"),
    QT_TRANSLATE_NOOP("StudyTableModel", "Modality"),
    QT_TRANSLATE_NOOP("StudyTableModel", "Description"),
    QT_TRANSLATE_NOOP("StudyTableModel", "Accession"),
    QT_TRANSLATE_NOOP("StudyTableModel", "Images"),
    QT_TRANSLATE_NOOP("StudyTableModel", "Source"),
    QT_TRANSLATE_NOOP("StudyTableModel", "Received"),
)
(
    COL_NAME,
    COL_ID,
    COL_DATE,
    COL_MODALITY,
    COL_DESCRIPTION,
    COL_ACCESSION,
    COL_IMAGES,
    COL_SOURCE,
    COL_RECEIVED,
) = range(len(COLUMNS))
#: The Study Instance UID of a row.
UID_ROLE: Final = int(Qt.ItemDataRole.UserRole) + 1

_Index = QModelIndex | QPersistentModelIndex


def _received(value: str) -> str:
    """An ISO 8601 UTC time as local time in the interface's format ("YYYY-MM-DD HH:MM")."""
    try:
        local = datetime.fromisoformat(value).astimezone()
    except ValueError:
        return value
    shown = QDateTime.fromSecsSinceEpoch(int(local.timestamp()))
    pattern = QCoreApplication.translate(
        "StudyTableModel", "yyyy-MM-dd HH:mm", "date and time format of the Received column"
    )
    return QLocale().toString(shown, pattern)


def _sort_key(row: StudyRow, column: int) -> Any:
    if column == COL_NAME:
        return row.patient_name.upper()
    if column == COL_ID:
        return row.patient_id
    if column == COL_DATE:
        return (row.study_date, row.study_time)
    if column == COL_MODALITY:
        return "/".join(row.modalities)
    if column == COL_DESCRIPTION:
        return row.description.upper()
    if column == COL_ACCESSION:
        return row.accession
    if column == COL_IMAGES:
        return row.instance_count
    if column == COL_SOURCE:
        return row.source.upper()
    return row.received_at


class StudyTableModel(QAbstractTableModel):
    """Archived studies as table rows (see :data:`COLUMNS`)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[StudyRow] = []
        self._sort: tuple[int, Qt.SortOrder] = (COL_DATE, Qt.SortOrder.DescendingOrder)

    # -- content ---------------------------------------------------------------------------

    @property
    def rows(self) -> list[StudyRow]:
        """The rows in display order."""
        return list(self._rows)

    def set_rows(self, rows: list[StudyRow]) -> None:
        """Show ``rows``, sorted as the header says."""
        self.beginResetModel()
        self._rows = list(rows)
        self._sort_rows()
        self.endResetModel()

    def row_of(self, study_uid: str) -> int:
        """The row number of a study, -1 when not shown."""
        return next((n for n, row in enumerate(self._rows) if row.study_uid == study_uid), -1)

    def study_at(self, row: int) -> StudyRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    # -- Qt model --------------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802 - Qt override
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802 - Qt override
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(  # noqa: N802 - Qt override
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            if 0 <= section < len(COLUMNS):
                return QCoreApplication.translate("StudyTableModel", str(COLUMNS[section]))
            return None
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.study_at(index.row()) if index.isValid() else None
        if row is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, column)
        if role == UID_ROLE:
            return row.study_uid
        if role == Qt.ItemDataRole.TextAlignmentRole and column == COL_IMAGES:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and column == COL_IMAGES:
            return self.tr("{series} series, {objects} objects").format(
                series=format_count(row.series_count), objects=format_count(row.instance_count)
            )
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.layoutAboutToBeChanged.emit()
        self._sort = (column, order)
        self._sort_rows()
        self.layoutChanged.emit()

    # -- helpers ---------------------------------------------------------------------------

    def _sort_rows(self) -> None:
        column, order = self._sort
        self._rows.sort(
            key=lambda row: _sort_key(row, column),
            reverse=order == Qt.SortOrder.DescendingOrder,
        )

    @staticmethod
    def _text(row: StudyRow, column: int) -> str:
        if column == COL_NAME:
            return format_person_name(row.patient_name)
        if column == COL_ID:
            return row.patient_id
        if column == COL_DATE:
            return format_date(row.study_date)
        if column == COL_MODALITY:
            return "/".join(row.modalities)
        if column == COL_DESCRIPTION:
            return row.description
        if column == COL_ACCESSION:
            return row.accession
        if column == COL_IMAGES:
            return format_count(row.instance_count)
        if column == COL_SOURCE:
            return row.source
        return _received(row.received_at)
