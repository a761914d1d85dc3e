"""The study list: the archive's studies, searched as you type, opened with Enter.

:class:`StudyListPanel` is the content of the window's "Study List" dock. Typing in the
search field runs a search job :data:`SEARCH_DELAY_MS` after the last key (the query
itself takes milliseconds with 10,000 studies, but it runs on a job thread: a receiving
node holds the archive's lock while it stores, and the GUI thread must never wait for
it). Clicking a column header sorts by it; the newest studies come first.

Import Folder (copy, or index in place), Delete Study (confirmed, and refused while the
study is open or has an unsigned draft) and Rebuild Index run as the archive's one long
job, with a progress bar and Cancel.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QCoreApplication,
    QModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

import core.archive
from core.errors import CancelledError, describe_error
from core.jobs import CancelToken, Progress
from desktop.archive.keeper import ArchiveKeeper, progress_words
from desktop.archive.study_model import (
    COL_DATE,
    COL_NAME,
    COL_RECEIVED,
    UID_ROLE,
    StudyTableModel,
)
from desktop.browser.formatting import format_date
from desktop.number_format import format_count, format_number
from desktop.workers import JobHandle, JobSlot

if TYPE_CHECKING:
    from core.archive import Archive, ImportResult, StudyRow

logger = logging.getLogger(__name__)

__all__ = ["SEARCH_DELAY_MS", "SEARCH_LIMIT", "StudyListPanel"]

#: The search runs this long after the last key typed.
SEARCH_DELAY_MS: Final = 150
#: At most this many studies are listed; typing narrows the list.
SEARCH_LIMIT: Final = 1000
_GB: Final = 1_000_000_000

#: One sentence for each way of importing (File → Study Archive → Import Folder…);
#: English sources, shown translated (context "StudyListPanel").
IMPORT_CHOICES: Final = (
    (
        QT_TRANSLATE_NOOP("StudyListPanel", "Copy into the archive"),
        QT_TRANSLATE_NOOP(
            "StudyListPanel",
            "The files are copied into the archive: the study stays available after the "
            "folder, disc or stick is gone.",
        ),
    ),
    (
        QT_TRANSLATE_NOOP("StudyListPanel", "Index in place"),
        QT_TRANSLATE_NOOP(
            "StudyListPanel",
            "Only the index points at the files where they are: no space is used, but the "
            "study cannot be opened once they move or the medium is removed.",
        ),
    ),
)


def _tr(text: object, disambiguation: str | None = None) -> str:
    """``text`` (a source, or a QT_TRANSLATE_NOOP-marked constant) in the interface's language."""
    return QCoreApplication.translate("StudyListPanel", str(text), disambiguation)


def ask_yes_no(parent: QWidget, title: str, text: str) -> bool:
    """A question with Yes and No (No by default): the confirmation of a deletion."""
    answer = QMessageBox.question(
        parent,
        title,
        text,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


def describe_study(row: StudyRow) -> str:
    """ "Study date, modalities, description" for confirmations (shown, never logged)."""
    date = format_date(row.study_date) or QCoreApplication.translate("StudyListPanel", "undated")
    parts = [date, "/".join(row.modalities), row.description]
    return " ".join(part for part in parts if part)


def format_size(size: int) -> str:
    """Bytes as MB below a GB, else GB, the number in the interface's locale."""
    if size < _GB:
        return f"{format_number(size / 1e6, 1)} MB"
    return f"{format_number(size / _GB, 2)} GB"


class _SearchField(QLineEdit):
    """The search field: Down moves into the list, Enter opens the current study."""

    moved_down = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key.Key_Down:
            self.moved_down.emit()
            return
        super().keyPressEvent(event)


class _StudyTable(QTableView):
    """The list: Enter or Return opens the current study (a double-click does too).

    Not ``activated``: some platforms activate an item on a single click, and a study
    list must not open a study on a click that only meant to select it.
    """

    enter_pressed = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.enter_pressed.emit()
            return
        super().keyPressEvent(event)


class StudyListPanel(QWidget):
    """The archive's study list with search, import, delete and rebuild.

    Parameters
    ----------
    keeper : ArchiveKeeper
        The window's archive.
    parent : QWidget, optional

    Signals
    -------
    open_requested(str)
        A study was chosen (Enter, double-click, Open): its Study Instance UID.
    rows_shown(int)
        The list was filled with this many rows (after a search).
    """

    open_requested = Signal(str)
    rows_shown = Signal(int)

    def __init__(self, keeper: ArchiveKeeper, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        if not isinstance(keeper, ArchiveKeeper):
            raise TypeError(f"keeper must be an ArchiveKeeper, not {type(keeper).__name__}")
        self.setObjectName("study_list")
        self.keeper = keeper
        #: Asks (parent, title, text) and returns the answer: the confirmation dialog.
        self.confirm: Callable[[QWidget, str, str], bool] = ask_yes_no
        #: The slowest and the last search's time on the job thread (milliseconds).
        self.last_query_ms = 0.0
        self.slowest_query_ms = 0.0
        self._search_slot = JobSlot(self, name="archive-search")
        self._check_slot = JobSlot(self, name="archive-delete-check")
        self._more = False

        self.search_field = _SearchField(self)
        self.search_field.setObjectName("study_search")
        self.search_field.setPlaceholderText(
            self.tr("Search: patient name, patient ID, accession, description, modality")
        )
        self.search_field.setClearButtonEnabled(True)
        self.model = StudyTableModel(self)
        self.table = _StudyTable(self)
        self.table.setObjectName("study_table")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(COL_DATE, Qt.SortOrder.DescendingOrder)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(22)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate((190, 110, 95, 70, 220, 100, 60, 110)):
            header.resizeSection(column, width)

        self.open_button = QPushButton(self.tr("&Open"))
        self.open_button.setObjectName("archive_open")
        self.import_button = QPushButton(self.tr("&Import Folder…"))
        self.import_button.setObjectName("archive_import")
        self.delete_button = QPushButton(self.tr("&Delete Study"))
        self.delete_button.setObjectName("archive_delete")
        self.rebuild_button = QPushButton(self.tr("Re&build Index"))
        self.rebuild_button.setObjectName("archive_rebuild")
        self.rebuild_button.setToolTip(
            self.tr("Read every file of the archive again and rebuild its index")
        )
        self.summary_label = QLabel("")
        self.summary_label.setObjectName("archive_summary")
        #: What the last import, delete or rebuild did (or why it was refused).
        self.outcome_label = QLabel("")
        self.outcome_label.setObjectName("archive_outcome")
        self.outcome_label.setWordWrap(True)
        self.progress_bar = QProgressBar()
        self.progress_bar.setObjectName("archive_progress")
        self.progress_bar.setMaximumWidth(240)
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.setObjectName("archive_cancel")
        self.progress_bar.hide()
        self.cancel_button.hide()

        buttons = QHBoxLayout()
        for button in (self.open_button, self.import_button, self.delete_button):
            buttons.addWidget(button)
        buttons.addWidget(self.rebuild_button)
        buttons.addStretch(1)
        buttons.addWidget(self.summary_label)
        buttons.addWidget(self.progress_bar)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.search_field)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.outcome_label)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.refresh)
        self.search_field.textChanged.connect(lambda _text: self._search_timer.start())
        self.search_field.returnPressed.connect(self.open_current)
        self.search_field.moved_down.connect(self._on_search_field_moved_down)
        self.table.enter_pressed.connect(self.open_current)
        self.table.doubleClicked.connect(self._on_table_double_clicked)
        self.table.horizontalHeader().sortIndicatorChanged.connect(
            lambda _column, _order: self.refresh()
        )
        self.open_button.clicked.connect(self.open_current)
        self.import_button.clicked.connect(self.ask_and_import)
        self.delete_button.clicked.connect(self.delete_current)
        self.rebuild_button.clicked.connect(self.rebuild_index)
        self.cancel_button.clicked.connect(keeper.cancel_work)
        keeper.progress.connect(self._on_keeper_progress)
        keeper.work_finished.connect(self._on_keeper_work_finished)
        keeper.studies_changed.connect(lambda _uids: self.refresh())

    # -- searching -------------------------------------------------------------------------

    def activate(self) -> None:
        """The panel is shown: open the archive if needed, list its studies, focus search."""
        self.search_field.setFocus()
        self.keeper.when_open(self.refresh)

    def refresh(self) -> JobHandle | None:
        """Run the search for the text typed now (a job; the previous one is superseded)."""
        self._search_timer.stop()
        archive = self.keeper.archive
        if archive is None:
            return None
        text = self.search_field.text()
        column = self.table.horizontalHeader().sortIndicatorSection()
        order = {COL_NAME: "name", COL_RECEIVED: "received"}.get(column, "date")

        def search_job(token: CancelToken) -> tuple[list[StudyRow], float, int]:
            rows, elapsed = ArchiveKeeper.timed(
                lambda: archive.search(text, limit=SEARCH_LIMIT + 1, order=order)
            )
            return rows, elapsed, archive.size_bytes()

        return self._search_slot.start(
            search_job, on_result=self._on_search_done, on_error=self._on_search_failed
        )

    def _on_search_done(self, found: tuple[list[StudyRow], float, int]) -> None:
        rows, elapsed, size = found
        self.last_query_ms = elapsed
        self.slowest_query_ms = max(self.slowest_query_ms, elapsed)
        self._more = len(rows) > SEARCH_LIMIT
        current = self.current_study_uid()
        self.model.set_rows(rows[:SEARCH_LIMIT])
        self._select(current if current is not None else "")
        self._show_summary(size)
        self.rows_shown.emit(self.model.rowCount())

    def _on_search_failed(self, error: BaseException) -> None:
        if not isinstance(error, CancelledError):
            said = self.tr("The search failed: {reason}").format(reason=describe_error(error))
            self.summary_label.setText(said)

    def _show_summary(self, size: int) -> None:
        count = self.model.rowCount()
        shown = self.tr("1 study") if count == 1 else self.tr("{count} studies")
        if self._more:
            shown = self.tr("the first {count} studies (type to narrow)")
        shown = shown.format(count=format_count(count))
        limit = self.keeper.settings.archive_limit_gb
        if limit > 0:
            summary = self.tr("{shown} · archive {size} of {limit} GB").format(
                shown=shown, size=format_size(size), limit=format_number(limit)
            )
        else:
            summary = self.tr("{shown} · archive {size}").format(
                shown=shown, size=format_size(size)
            )
        self.summary_label.setText(summary)

    # -- choosing --------------------------------------------------------------------------

    def current_study_uid(self) -> str | None:
        index = self.table.currentIndex()
        uid = index.data(UID_ROLE) if index.isValid() else None
        return uid if isinstance(uid, str) else None

    def current_row(self) -> StudyRow | None:
        index = self.table.currentIndex()
        return self.model.study_at(index.row()) if index.isValid() else None

    def _select(self, study_uid: str) -> None:
        row = self.model.row_of(study_uid) if study_uid else -1
        if row < 0 and self.model.rowCount():
            row = 0
        if row >= 0:
            self.table.selectRow(row)
            self.table.setCurrentIndex(self.model.index(row, 0))

    def open_current(self) -> None:
        """Open the current study (Enter in the search field or the list, Open)."""
        uid = self.current_study_uid()
        if uid is not None:
            self.open_requested.emit(uid)

    def _on_table_double_clicked(self, index: QModelIndex) -> None:
        uid = index.data(UID_ROLE)
        if isinstance(uid, str):
            self.open_requested.emit(uid)

    def _on_search_field_moved_down(self) -> None:
        self.table.setFocus()
        if not self.table.currentIndex().isValid():
            self._select("")

    # -- importing, deleting, rebuilding ---------------------------------------------------

    def ask_and_import(self) -> None:
        """Import Folder…: ask for the folder, then copy or index in place."""
        folder = QFileDialog.getExistingDirectory(
            self, self.tr("Import Folder into the Study Archive"), self.keeper.settings.last_folder
        )
        if not folder:
            return
        box = QMessageBox(self)
        box.setObjectName("archive_import_choice")
        box.setWindowTitle(self.tr("Import Folder"))
        box.setText(self.tr("How should the studies in this folder join the archive?"))
        choices = [(_tr(title), _tr(says)) for title, says in IMPORT_CHOICES]
        box.setInformativeText(
            "\n\n".join(
                self.tr("{choice}: {explanation}").format(choice=title, explanation=says)
                for title, says in choices
            )
        )
        copy_button = box.addButton(choices[0][0], QMessageBox.ButtonRole.AcceptRole)
        copy_button.setObjectName("import_copy")
        refer_button = box.addButton(choices[1][0], QMessageBox.ButtonRole.AcceptRole)
        refer_button.setObjectName("import_in_place")
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        if box.clickedButton() in (copy_button, refer_button):
            self.keeper.settings.last_folder = folder
            self.import_folder(folder, copy=box.clickedButton() is copy_button)

    def import_folder(self, folder: str, *, copy: bool) -> JobHandle | None:
        """Import ``folder`` (copied, or indexed in place) with progress and Cancel."""

        def work(archive: Archive, token: CancelToken) -> Any:
            return archive.import_folder(folder, copy=copy, token=token)

        self._start_progress(self.tr("Importing"))
        return self.keeper.run("archive-import", work, self._on_import_done)

    def _on_import_done(self, result: ImportResult) -> None:
        count = len(result.studies)
        if count == 1:
            said = self.tr("Imported {objects} objects of 1 study")
        else:
            said = self.tr("Imported {objects} objects of {count} studies")
        said = said.format(objects=format_count(result.added), count=format_count(count))
        if not result.copied:
            said = self.tr("{imported} (indexed in place)").format(imported=said)
        if result.already:
            said = self.tr("{imported}; {already} were already in the archive").format(
                imported=said, already=format_count(result.already)
            )
        said = self.tr("{imported}.").format(imported=said)
        if result.failed:
            said = self.tr("{imported} {count} files could not be imported.").format(
                imported=said, count=format_count(len(result.failed))
            )
        self.outcome_label.setText(said)
        self.keeper.message.emit(said, "warning" if result.failed else "info")
        self.refresh()
        self.keeper.run_retention()

    def delete_current(self) -> JobHandle | None:
        """Delete Study: refused while open or with an unsigned draft; else confirmed."""
        row = self.current_row()
        if row is None:
            return None
        what = describe_study(row)
        if row.study_uid in self.keeper.open_study_uids():
            self._refuse(
                self.tr("{study} is open in the viewer: close it before deleting it.").format(
                    study=what
                )
            )
            return None

        def check(token: CancelToken) -> bool:
            return core.archive.has_unsigned_draft(row.study_uid)

        return self._check_slot.start(
            check,
            on_result=lambda unsigned: self._confirm_delete(row, what, bool(unsigned)),
            on_error=lambda error: self._refuse(describe_error(error)),
        )

    def _confirm_delete(self, row: StudyRow, what: str, unsigned: bool) -> None:
        if unsigned:
            self._refuse(
                self.tr(
                    "{study} has an unsigned report draft: sign or discard the draft before "
                    "deleting the study."
                ).format(study=what)
            )
            return
        name = row.patient_name.replace("^", " ").strip() or self.tr("(no name)")
        text = self.tr(
            "Delete the study {study} of {name} ({images} images) from the archive? Its stored "
            "files are removed; files indexed in place are not touched."
        ).format(study=what, name=name, images=format_count(row.instance_count))
        if not self.confirm(self, self.tr("Delete Study"), text):
            return
        uid = row.study_uid

        def work(archive: Archive, token: CancelToken) -> str:
            archive.delete_study(uid)
            return uid

        self._start_progress(self.tr("Deleting"))
        self.keeper.run("archive-delete", work, self._on_deleted)

    def _on_deleted(self, uid: str) -> None:
        self.outcome_label.setText(self.tr("The study was deleted."))
        self.keeper.studies_changed.emit({uid})

    def _refuse(self, reason: str) -> None:
        self.outcome_label.setText(reason)
        said = self.tr("The study was not deleted: {reason}").format(reason=reason)
        self.keeper.message.emit(said, "warning")

    def rebuild_index(self) -> JobHandle | None:
        """Rebuild the index from the files (progress bar, Cancel)."""

        def work(archive: Archive, token: CancelToken) -> Any:
            return archive.rebuild(token)

        def done(result: Any) -> None:
            said = self.tr("The index was rebuilt: {count} objects.")
            self.outcome_label.setText(said.format(count=format_count(result.indexed)))
            self.refresh()

        self._start_progress(self.tr("Rebuilding the index"))
        return self.keeper.run("archive-rebuild", work, done)

    # -- progress ----------------------------------------------------------------------------

    def _start_progress(self, message: str) -> None:
        self.outcome_label.clear()
        self.progress_bar.setRange(0, 0)
        self.progress_bar.setFormat(message)
        self.progress_bar.show()
        self.cancel_button.show()

    def _on_keeper_progress(self, event: object) -> None:
        if not isinstance(event, Progress):
            return
        self.progress_bar.show()
        self.cancel_button.setVisible(self.keeper.is_working)
        words = progress_words(event.message)
        if event.total > 0:
            self.progress_bar.setRange(0, event.total)
            self.progress_bar.setValue(min(event.done, event.total))
            counted = f"{words} %v/%m" if words else "%v/%m"
            self.progress_bar.setFormat(counted)
        else:
            self.progress_bar.setRange(0, 0)
            self.progress_bar.setFormat(words)

    def _on_keeper_work_finished(self) -> None:
        self.progress_bar.setMinimumWidth(0)  # a rebuild widened it for its counts
        self.progress_bar.hide()
        self.cancel_button.hide()
