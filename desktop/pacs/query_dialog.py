"""File → Query PACS…: search a node, browse studies and series, retrieve into the archive.

Searching, expanding a study to its series and retrieving each run on the job pool
(:class:`~desktop.workers.JobSlot`), cancellable, with progress; the GUI thread only
fills the tree. Retrieval goes series by series (:mod:`desktop.pacs.retrieval_job`),
so :attr:`QueryDialog.study_arrived` fires when a study's first series has landed
(the window opens it) and :attr:`QueryDialog.series_arrived` for each later one. At
the end the dialog says how many instances arrived, failed, or were already present;
an interrupted retrieval is resumed with "Retrieve again", which does not ask again for
the series that arrived whole (and the archive stores nothing twice).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.archive.errors import StudyNotFoundError
from core.dicom.person_name import format_person_name
from core.errors import CancelledError, describe_error
from core.jobs import Progress
from core.pacs.credentials import CredentialStore
from core.pacs.nodes import DimseNode, LocalNode, Node
from core.pacs.query import SeriesMatch, StudyMatch, StudyQuery
from core.pacs.service import find, find_series
from desktop.browser.formatting import format_date
from desktop.number_format import format_count
from desktop.pacs.common import NodeChooser, ensure_secret, read_node_book, session_credentials
from desktop.pacs.query_form import QueryForm
from desktop.pacs.retrieval_job import (
    RetrievalRequest,
    RetrievalTally,
    SeriesLanded,
    StudyOutcome,
    StudyProgress,
    retrieve_studies,
)
from desktop.workers import JobSlot

if TYPE_CHECKING:
    from core.archive import Archive

logger = logging.getLogger(__name__)

__all__ = ["COLUMNS", "QueryDialog"]

#: Column titles of the results (English sources, shown translated).
COLUMNS = (
    QT_TRANSLATE_NOOP("QueryDialog", "Patient"),
    QT_TRANSLATE_NOOP("QueryDialog", "Patient ID"),
    QT_TRANSLATE_NOOP("QueryDialog", "Date"),
    QT_TRANSLATE_NOOP("QueryDialog", "Description"),
    QT_TRANSLATE_NOOP("QueryDialog", "Modality"),
    QT_TRANSLATE_NOOP("QueryDialog", "Accession"),
    QT_TRANSLATE_NOOP("QueryDialog", "Series"),
    QT_TRANSLATE_NOOP("QueryDialog", "Images"),
    QT_TRANSLATE_NOOP("QueryDialog", "Status"),
)
_STATUS = COLUMNS.index("Status")
_KEY = Qt.ItemDataRole.UserRole
_METHODS = [
    (None, QT_TRANSLATE_NOOP("QueryDialog", "The node's preference")),
    ("get", QT_TRANSLATE_NOOP("QueryDialog", "C-GET")),
    ("move", QT_TRANSLATE_NOOP("QueryDialog", "C-MOVE to our port")),
]


def _tr(text: object, disambiguation: str | None = None) -> str:
    """``text`` (a source, or a QT_TRANSLATE_NOOP-marked constant) in the interface's language."""
    return QCoreApplication.translate("QueryDialog", str(text), disambiguation)


def _number(value: int | None) -> str:
    return "" if value is None else format_count(value)


def _received_words(received: int, expected: int) -> str:
    """ "12 of 40 received" (or "12 received" while the total is not known)."""
    if expected:
        return QCoreApplication.translate(
            "QueryDialog", "{received} of {expected} received"
        ).format(received=format_count(received), expected=format_count(expected))
    return QCoreApplication.translate("QueryDialog", "{received} received").format(
        received=format_count(received)
    )


class QueryDialog(QDialog):
    """Query a PACS and retrieve studies or series into ``archive``.

    Parameters
    ----------
    archive : core.archive.Archive
        Where retrieved instances are stored (the sink of every retrieval).
    parent : QWidget, optional
    credentials : CredentialStore, optional
        Default: the app's session store.

    Signals
    -------
    study_arrived(str)
        A study's first series has landed in the archive (Study Instance UID).
    series_arrived(str, str)
        A further series of the study landed (study UID, series UID).
    """

    study_arrived = Signal(str)
    series_arrived = Signal(str, str)

    def __init__(
        self,
        archive: Archive,
        parent: QWidget | None = None,
        *,
        credentials: CredentialStore | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("queryDialog")
        self.setWindowTitle(self.tr("Query PACS"))
        self.resize(980, 640)
        self._archive = archive
        self._credentials = credentials if credentials is not None else session_credentials()
        book, problem = read_node_book()
        self._local: LocalNode = book.local
        self._search_slot = JobSlot(self, "pacs-search")
        self._retrieve_slot = JobSlot(self, "pacs-retrieve")
        self._series_slots: dict[str, JobSlot] = {}
        self._items: dict[str, QTreeWidgetItem] = {}
        self._complete_series: dict[str, tuple[str, ...]] = {}
        self._tally = RetrievalTally()
        self._retrieving: list[str] = []
        self._searched_node: Node | None = None
        self.outcomes: list[StudyOutcome] = []

        self.chooser = NodeChooser(book, "query")
        self.chooser.currentIndexChanged.connect(self._on_chooser_changed)
        self.form = QueryForm()
        self.search_button = QPushButton(self.tr("Search"))
        self.search_button.setObjectName("searchButton")
        self.search_button.setDefault(True)
        self.search_button.clicked.connect(self._on_search_clicked)
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.setObjectName("cancelButton")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self._on_cancel_clicked)

        self.tree = QTreeWidget()
        self.tree.setObjectName("results")
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels([_tr(title) for title in COLUMNS])
        self.tree.setSelectionMode(QTreeWidget.SelectionMode.ExtendedSelection)
        self.tree.setAlternatingRowColors(True)
        self.tree.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.tree.itemExpanded.connect(self._on_tree_item_expanded)
        self.tree.itemSelectionChanged.connect(self._update_buttons)

        self.method = QComboBox()
        self.method.setObjectName("retrieveMethod")
        for value, label in _METHODS:
            self.method.addItem(_tr(label), value)
        self.method.currentIndexChanged.connect(self._on_chooser_changed)
        self.move_destination = QLineEdit()
        self.move_destination.setObjectName("moveDestination")
        self.move_destination.setPlaceholderText(
            self.tr("{ae_title} (our AE title)").format(ae_title=self._local.ae_title)
        )
        self.move_destination.setToolTip(
            self.tr("The AE title the PACS sends C-MOVE results to; leave empty for ours")
        )
        self.move_destination.setMinimumWidth(200)
        self.retrieve_button = QPushButton(self.tr("Retrieve"))
        self.retrieve_button.setObjectName("retrieveButton")
        self.retrieve_button.clicked.connect(self._on_retrieve_clicked)
        self.progress = QProgressBar()
        self.progress.setObjectName("progress")
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.summary = QLabel(
            problem or self.tr("Choose a node, fill in what you know, and Search.")
        )
        self.summary.setObjectName("summary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("Node")))
        top.addWidget(self.chooser, 1)
        actions = QHBoxLayout()
        actions.addStretch(1)
        actions.addWidget(self.search_button)
        actions.addWidget(self.cancel_button)
        bottom = QHBoxLayout()
        bottom.addWidget(QLabel(self.tr("Retrieve by")))
        bottom.addWidget(self.method)
        self.move_label = QLabel(self.tr("C-MOVE destination"))
        bottom.addWidget(self.move_label)
        bottom.addWidget(self.move_destination)
        bottom.addStretch(1)
        bottom.addWidget(self.retrieve_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.form)
        layout.addLayout(actions)
        layout.addWidget(self.tree, 1)
        layout.addLayout(bottom)
        layout.addWidget(self.progress)
        layout.addWidget(self.summary)
        self._on_chooser_changed()

    # ------------------------------------------------------------------ state

    @property
    def busy(self) -> bool:
        """True while a search or a retrieval runs."""
        return self._search_slot.is_running or self._retrieve_slot.is_running

    def _update_buttons(self) -> None:
        node = self.chooser.current_node()
        self.search_button.setEnabled(node is not None and not self._search_slot.is_running)
        self.cancel_button.setEnabled(self.busy)
        chosen = bool(self.tree.selectedItems())
        self.retrieve_button.setEnabled(
            chosen and node is not None and not self._retrieve_slot.is_running
        )

    def _on_chooser_changed(self) -> None:
        node = self.chooser.current_node()
        dimse = isinstance(node, DimseNode)
        self.method.setEnabled(dimse)
        self.method.setToolTip(
            "" if dimse else self.tr("A DICOMweb node is retrieved from by WADO-RS")
        )
        chosen = self.method.currentData()
        moving = isinstance(node, DimseNode) and (chosen or node.retrieve_method) == "move"
        self.move_label.setEnabled(moving)
        self.move_destination.setEnabled(moving)
        self._update_buttons()

    def _say(self, text: str) -> None:
        self.summary.setText(text)

    # ------------------------------------------------------------------ search

    def _on_search_clicked(self) -> None:
        node = self.chooser.current_node()
        query = self.form.query()
        if node is None or query is None:
            return
        if not ensure_secret(node, self._credentials, self):
            self._say(self.tr("Not searched: the password or token was not given."))
            return
        self._retrieve_slot.discard()
        for slot in self._series_slots.values():
            slot.discard()
        self._series_slots.clear()
        self.tree.clear()
        self._items.clear()
        self._searched_node = node
        local, credentials, archive = self._local, self._credentials, self._archive
        self._show_busy(self.tr("Searching…"))
        self._search_slot.start(
            lambda token: self._search(node, query, local, credentials, archive, token),
            on_result=lambda found: self._on_search_succeeded(found[0], found[1], query),
            on_error=self._on_search_failed,
            on_finished=self._on_job_finished,
            name="pacs-search",
        )
        self._update_buttons()

    @staticmethod
    def _search(
        node: Node,
        query: StudyQuery,
        local: LocalNode,
        credentials: CredentialStore,
        archive: Archive,
        token: Any,
    ) -> tuple[list[StudyMatch], dict[str, int]]:
        """The matches, and how many instances of each the archive holds (pool thread)."""
        matches = find(node, query, local=local, credentials=credentials, cancel=token)
        held: dict[str, int] = {}
        for match in matches:
            try:
                held[match.study_uid] = archive.study(match.study_uid).instance_count
            except StudyNotFoundError:
                continue
        return matches, held

    def _on_search_succeeded(
        self, matches: list[StudyMatch], held: dict[str, int], query: StudyQuery
    ) -> None:
        for match in sorted(matches, key=lambda m: (m.study_date, m.study_time), reverse=True):
            item = QTreeWidgetItem(
                [
                    format_person_name(match.patient_name),
                    match.patient_id,
                    format_date(match.study_date),
                    match.description,
                    "/".join(match.modalities),
                    match.accession_number,
                    _number(match.series_count),
                    _number(match.instance_count),
                    self.tr("in the archive: {count}").format(
                        count=format_count(held[match.study_uid])
                    )
                    if match.study_uid in held
                    else "",
                ]
            )
            item.setData(0, _KEY, ("study", match.study_uid))
            item.setChildIndicatorPolicy(QTreeWidgetItem.ChildIndicatorPolicy.ShowIndicator)
            self.tree.addTopLevelItem(item)
            self._items[match.study_uid] = item
        count = len(matches)
        if not count:
            self._say(self.tr("No study matches this search."))
            return
        found = self.tr("1 study found") if count == 1 else self.tr("{count} studies found")
        found = found.format(count=format_count(count))
        if count >= query.limit:
            said = self.tr("{found} (the limit: narrow the search to see others).")
        else:
            said = self.tr("{found}.")
        self._say(said.format(found=found))

    def _on_search_failed(self, error: BaseException) -> None:
        if isinstance(error, CancelledError):
            self._say(self.tr("Search cancelled."))
        else:
            self._say(self.tr("The search failed: {reason}").format(reason=describe_error(error)))

    # ------------------------------------------------------------------ series

    def _on_tree_item_expanded(self, item: QTreeWidgetItem) -> None:
        key = item.data(0, _KEY)
        node = self._searched_node
        if not key or key[0] != "study" or item.childCount() or node is None:
            return
        study_uid = key[1]
        slot = self._series_slots.get(study_uid)
        if slot is not None and slot.is_running:
            return
        if slot is None:
            slot = self._series_slots[study_uid] = JobSlot(self, "pacs-series")
        item.setText(_STATUS, self.tr("finding series…"))
        local, credentials = self._local, self._credentials
        slot.start(
            lambda token: find_series(
                node, study_uid, local=local, credentials=credentials, cancel=token
            ),
            on_result=lambda series: self._on_series_found(item, series),
            on_error=lambda error: self._on_series_failed(item, error),
            name="pacs-series",
        )

    def _on_series_found(self, item: QTreeWidgetItem, series: list[SeriesMatch]) -> None:
        item.setText(_STATUS, "")
        for match in sorted(series, key=lambda s: (s.number is None, s.number or 0)):
            label = f"#{_number(match.number)} {match.description}".strip()
            child = QTreeWidgetItem(
                ["", "", "", label, match.modality, "", "", _number(match.instance_count), ""]
            )
            child.setData(0, _KEY, ("series", match.study_uid, match.series_uid))
            item.addChild(child)
        if not series:
            item.setChildIndicatorPolicy(
                QTreeWidgetItem.ChildIndicatorPolicy.DontShowIndicatorWhenChildless
            )
            item.setText(_STATUS, self.tr("no series listed"))

    def _on_series_failed(self, item: QTreeWidgetItem, error: BaseException) -> None:
        if not isinstance(error, CancelledError):
            item.setText(_STATUS, self.tr("series not listed"))
            said = self.tr("The series could not be listed: {reason}")
            self._say(said.format(reason=describe_error(error)))

    def series_items(self, study_uid: str) -> list[QTreeWidgetItem]:
        """The series rows under a study (empty until it was expanded)."""
        item = self._items.get(study_uid)
        if item is None:
            return []
        children = (item.child(i) for i in range(item.childCount()))
        return [child for child in children if child is not None]

    # ------------------------------------------------------------------ retrieve

    def _selected_requests(self) -> list[RetrievalRequest]:
        whole: list[str] = []
        chosen: dict[str, list[str]] = {}
        for item in self.tree.selectedItems():
            key = item.data(0, _KEY)
            if key[0] == "study":
                whole.append(key[1])
            else:
                chosen.setdefault(key[1], []).append(key[2])
        requests = [
            RetrievalRequest(uid, skip_series=self._complete_series.get(uid, ())) for uid in whole
        ]
        requests += [
            RetrievalRequest(uid, tuple(series))
            for uid, series in chosen.items()
            if uid not in whole
        ]
        return requests

    def _on_retrieve_clicked(self) -> None:
        node = self._searched_node or self.chooser.current_node()
        requests = self._selected_requests()
        if node is None or not requests:
            return
        if not ensure_secret(node, self._credentials, self):
            self._say(self.tr("Not retrieved: the password or token was not given."))
            return
        method = self.method.currentData() if isinstance(node, DimseNode) else None
        destination = self.move_destination.text().strip() or None
        archive, local, credentials = self._archive, self._local, self._credentials
        self._tally = tally = RetrievalTally()
        self._retrieving = [r.study_uid for r in requests]
        for request in requests:
            self._items[request.study_uid].setText(_STATUS, self.tr("waiting…"))
        if len(requests) == 1:
            self._show_busy(self.tr("Retrieving 1 study…"))
        else:
            retrieving = self.tr("Retrieving {count} studies…")
            self._show_busy(retrieving.format(count=format_count(len(requests))))
        self._retrieve_slot.start(
            lambda token: retrieve_studies(
                node,
                requests,
                archive,
                local=local,
                credentials=credentials,
                method=method,
                move_destination=destination,
                cancel=token,
                tally=tally,
            ),
            on_event=self._on_retrieve_event,
            on_result=self._on_retrieve_succeeded,
            on_error=self._on_retrieve_failed,
            on_finished=self._on_job_finished,
            name="pacs-retrieve",
        )
        self._update_buttons()

    def _on_retrieve_event(self, event: object) -> None:
        if isinstance(event, StudyProgress):
            item = self._items.get(event.study_uid)
            if item is not None:
                item.setText(_STATUS, _received_words(event.received, event.expected))
            self.progress.setRange(0, max(event.expected, event.received, 1))
            self.progress.setValue(event.received)
        elif isinstance(event, SeriesLanded):
            self._mark_series_landed(event)
            if event.first:
                self.study_arrived.emit(event.study_uid)
            elif event.series_uid:
                self.series_arrived.emit(event.study_uid, event.series_uid)
        elif isinstance(event, Progress) and event.total > 1:
            counted = self.tr("study {number} of {count}: %v/%m").format(
                number=format_count(min(event.done + 1, event.total)),
                count=format_count(event.total),
            )
            self.progress.setFormat(counted)

    def _mark_series_landed(self, event: SeriesLanded) -> None:
        for child in self.series_items(event.study_uid):
            if child.data(0, _KEY)[2] == event.series_uid:
                child.setText(_STATUS, self.tr("in the archive"))

    def _on_retrieve_succeeded(self, outcomes: list[StudyOutcome]) -> None:
        self.outcomes = list(outcomes)
        for outcome in outcomes:
            self._complete_series[outcome.study_uid] = outcome.complete_series
            item = self._items.get(outcome.study_uid)
            if item is not None:
                item.setText(_STATUS, self._outcome_words(outcome))
        arrived = sum(o.arrived for o in outcomes)
        already = sum(o.already_present for o in outcomes)
        failed = sum(o.failed for o in outcomes)
        finished = self.tr(
            "Retrieval finished: {arrived} instances arrived, {failed} failed, "
            "{already} were already present."
        )
        lines = [
            finished.format(
                arrived=format_count(arrived),
                failed=format_count(failed),
                already=format_count(already),
            )
        ]
        lines += [o.problem for o in outcomes if o.problem]
        if any(not o.complete for o in outcomes):
            lines.append(self.tr("Retrieve again to fetch what is missing (what arrived is kept)."))
            self.retrieve_button.setText(self.tr("Retrieve again"))
        else:
            self.retrieve_button.setText(self.tr("Retrieve"))
        self._say("\n".join(lines))

    @staticmethod
    def _outcome_words(outcome: StudyOutcome) -> str:
        if outcome.problem:
            return QCoreApplication.translate("QueryDialog", "stopped: {count} received").format(
                count=format_count(outcome.arrived + outcome.already_present)
            )
        if outcome.complete:
            if outcome.arrived == 0 and outcome.already_present:
                return QCoreApplication.translate("QueryDialog", "already in the archive")
            return QCoreApplication.translate("QueryDialog", "complete: {count} arrived").format(
                count=format_count(outcome.arrived)
            )
        return QCoreApplication.translate("QueryDialog", "incomplete: {count} failed").format(
            count=format_count(outcome.failed)
        )

    def _on_retrieve_failed(self, error: BaseException) -> None:
        if not isinstance(error, CancelledError):
            said = self.tr("The retrieval failed: {reason}")
            self._say(said.format(reason=describe_error(error)))
            return
        parts = []
        for study_uid in self._retrieving:
            received, expected = self._tally.counts(study_uid)
            held = self._instances_held(study_uid)
            received = max(received, held)
            if expected:
                counted = self.tr("{received} of {expected}").format(
                    received=format_count(received), expected=format_count(expected)
                )
            else:
                counted = format_count(received)
            parts.append(counted)
            item = self._items.get(study_uid)
            if item is not None:
                item.setText(_STATUS, self.tr("cancelled: {count} received").format(count=counted))
        self.retrieve_button.setText(self.tr("Retrieve again"))
        self._say(
            self.tr(
                "Retrieval cancelled: {counts} instances arrived and are kept in the archive. "
                "Retrieve again to fetch the rest."
            ).format(counts=self.tr(", ", "separator of a list of counts").join(parts))
        )

    def _instances_held(self, study_uid: str) -> int:
        """Instances of the study the archive now holds (0 when none)."""
        try:
            return int(self._archive.study(study_uid).instance_count)
        except StudyNotFoundError:  # nothing arrived
            return 0

    # ------------------------------------------------------------------ common

    def _show_busy(self, text: str) -> None:
        self._say(text)
        self.progress.setFormat("%v/%m")
        self.progress.setRange(0, 0)  # busy until the first progress
        self.progress.show()

    def _on_job_finished(self) -> None:
        if not self.busy:
            self.progress.hide()
        self._update_buttons()

    def _on_cancel_clicked(self) -> None:
        self._search_slot.cancel()
        self._retrieve_slot.cancel()

    def done(self, result: int) -> None:  # closing stops what runs; what arrived is kept
        self._search_slot.discard()
        self._retrieve_slot.discard()
        for slot in self._series_slots.values():
            slot.discard()
        super().done(result)
