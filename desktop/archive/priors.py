"""Priors in the window: offer the most relevant earlier study, and show it beside the current.

When a study opens and the study archive holds an earlier study of the same patient
(:func:`core.archive.priors.find_priors` decides which are relevant and in what order),
a banner offers it: "Prior: CT 2024-03-02 Chest — Compare". Compare shows the prior's
matching series (same modality, the most images) in the viewport beside the current
one. When both series share a Frame of Reference, the grid's own sync keeps them at the
same position in space; otherwise the banner offers to scroll them together by their
relative position in the stack, and says which of the two is in effect.

When a DICOM node serves query/retrieve (Settings → DICOM Nodes; the first such node,
as the Query PACS dialog chooses it), the PACS is asked too, in a job of its own that
starts once the archive's answer is shown: a PACS that is down or slow (each request
waits the node's timeout) never delays the archive's prior. When the most recent
relevant prior is only on the PACS, the banner says so ("Prior on PACS: CT 2024-03-01
CT CHEST — Retrieve and compare"); its button retrieves that study into the archive
(:func:`desktop.pacs.retrieval_job.retrieve_studies`, with progress and Cancel), then
shows it beside the current one as an archive prior is shown, and the report's
Comparison section names it from then on. A prior still on the PACS is not named in
the report: only a study the archive holds is.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from core.errors import CancelledError, describe_error
from core.jobs import CancelToken
from desktop.browser.formatting import format_date
from desktop.number_format import format_count
from desktop.workers import JobSlot

if TYPE_CHECKING:
    from core.archive import Archive, StudyRow
    from core.archive.priors import PriorStudy
    from core.dicom.records import SeriesRecord, StudyIndex, StudyRecord
    from core.pacs.credentials import CredentialStore
    from core.pacs.nodes import LocalNode, Node
    from core.report.document import PriorComparison
    from desktop.archive.keeper import ArchiveKeeper
    from desktop.main_window import MainWindow
    from desktop.pacs.retrieval_job import StudyOutcome
    from desktop.viewer.viewport import Viewport

logger = logging.getLogger(__name__)

__all__ = [
    "PacsPrior",
    "PriorBanner",
    "PriorOffer",
    "describe_prior",
    "find_pacs_prior",
    "matching_series",
    "query_node",
]


def describe_prior(row: StudyRow) -> str:
    """ "CT 2024-03-02 Chest": modalities, date, description (shown, never logged)."""
    parts = ["/".join(row.modalities), format_date(row.study_date), row.description]
    return " ".join(part for part in parts if part)


def matching_series(index: StudyIndex, modality: str) -> SeriesRecord | None:
    """The prior's series to compare: of the same modality when there is one, most images."""
    series = list(index.all_series())
    same = [s for s in series if s.modality == modality] or series
    return max(same, key=lambda s: s.frame_count) if same else None


def query_node(book_nodes: tuple[Node, ...]) -> Node | None:
    """The node priors are asked of: the first that serves query/retrieve (the node the
    Query PACS dialog offers first)."""
    # lazy: the PACS parts load when a study opens, not at start-up
    from desktop.pacs.common import _serves

    return next((node for node in book_nodes if _serves(node, "query")), None)


@dataclass(frozen=True)
class PacsPrior:
    """What asking the PACS for priors found: the best prior overall (or None), the node
    asked and our node, and why the PACS could not be asked (``""`` when it could)."""

    prior: PriorStudy | None
    node: Node | None
    local: LocalNode
    problem: str = ""


@dataclass(frozen=True)
class _NodeChosen:
    """The node priors are asked of (None: none serves query/retrieve), our node, whether
    the node needs a secret, and why the nodes file could not be read (``""``: it could)."""

    node: Node | None
    local: LocalNode
    needs_secret: bool = False
    unreadable: str = ""


def choose_query_node() -> _NodeChosen:
    """Read the nodes file and choose the node priors are asked of (on a job's thread)."""
    # lazy: the PACS parts load when a study opens, not at start-up
    from core.pacs.nodes import DicomWebNode
    from desktop.pacs.common import read_node_book

    book, unreadable = read_node_book()  # a small JSON file
    node = query_node(book.all_nodes())
    secret = isinstance(node, DicomWebNode) and node.auth != "none"
    return _NodeChosen(node, book.local, secret, unreadable)


def _default_local() -> LocalNode:
    # lazy: the PACS parts load when a study opens, not at start-up
    from core.pacs.nodes import LocalNode

    return LocalNode()


def find_pacs_prior(
    archive: Archive,
    study: StudyRecord,
    node: Node,
    local: LocalNode,
    credentials: CredentialStore | None,
    token: CancelToken,
) -> PacsPrior:
    """The most recent relevant prior of ``study`` in the archive and on ``node``.

    Runs on a job thread: C-FINDs (or QIDO-RS searches) the patient's studies on
    ``node``, calling as ``local``, each request waiting at most the node's timeout. A
    node that is down, slow or refusing is said in ``problem`` and the archive's prior
    is still returned. A DICOMweb node whose secret ``credentials`` does not hold is not
    asked (a job never prompts).
    """
    # lazy: the archive engine and the PACS service (pynetdicom) load on first use
    from core.archive.priors import find_priors, most_recent_relevant, row_from_match
    from core.pacs.nodes import DicomWebNode
    from core.pacs.query import StudyQuery
    from core.pacs.service import find

    problems: list[str] = []
    key = node.credential_key if isinstance(node, DicomWebNode) and node.auth != "none" else None
    if key is not None and (credentials is None or credentials.get(key) is None):
        problem = QCoreApplication.translate(
            "PriorOffer", "the password or token of {node} was not given this session"
        ).format(node=node.name)
        return PacsPrior(None, None, local, problem)

    def remote(patient_id: str, issuer: str) -> list[StudyRow]:
        try:
            query = StudyQuery(patient_id=patient_id)
            matches = find(node, query, local=local, credentials=credentials, cancel=token)
        except Exception as error:  # said in the banner's tooltip; find_priors goes on
            problems.append(describe_error(error))
            raise
        return [row_from_match(match, source=node.name) for match in matches]

    priors = find_priors(archive, study, remote=remote)
    token.raise_if_cancelled()
    return PacsPrior(most_recent_relevant(priors), node, local, "; ".join(problems))


def comparison_now(archive: Archive, study: StudyRecord) -> PriorComparison | None:
    """What the report's Comparison names for ``study`` with what the archive holds now."""
    # lazy: the archive engine and the report context load on first use
    from core.archive.priors import find_priors
    from core.report.context import comparison_from_priors

    return comparison_from_priors(find_priors(archive, study))


class PriorBanner(QFrame):
    """ "Prior: … — Compare", then how the two series scroll together."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("prior_banner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(
            "#prior_banner { background: #e8f0fb; border: 1px solid #7a9cc6; border-radius: 3px; }"
            " QLabel, QCheckBox { color: #202020; }"
        )
        self.label = QLabel(text)
        self.compare_button = QPushButton(self.tr("Compare"))
        self.compare_button.setObjectName("prior_compare")
        self.sync_check = QCheckBox(self.tr("Scroll together by stack position"))
        self.sync_check.setObjectName("prior_sync")
        self.sync_check.hide()
        self.sync_label = QLabel("")
        self.sync_label.setObjectName("prior_sync_label")
        self.close_button = QToolButton()
        self.close_button.setObjectName("prior_dismiss")
        self.close_button.setText(self.tr("✕", "the banner's close button"))
        self.close_button.setToolTip(self.tr("Dismiss"))
        self.close_button.setAutoRaise(True)
        self.progress = QProgressBar()
        self.progress.setObjectName("prior_progress")
        self.progress.setMaximumWidth(220)
        self.progress.hide()
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.setObjectName("prior_cancel")
        self.cancel_button.hide()
        top = QHBoxLayout()
        top.addWidget(self.label, 1)
        top.addWidget(self.progress)
        top.addWidget(self.cancel_button)
        top.addWidget(self.compare_button)
        top.addWidget(self.close_button)
        bottom = QHBoxLayout()
        bottom.addWidget(self.sync_check)
        bottom.addWidget(self.sync_label, 1)
        column = QVBoxLayout(self)
        column.setContentsMargins(8, 2, 4, 2)
        column.setSpacing(2)
        column.addLayout(top)
        column.addLayout(bottom)


class PriorOffer:
    """Looks for priors when a study opens, and shows the chosen one beside it.

    Parameters
    ----------
    window : MainWindow
    keeper : ArchiveKeeper
    """

    def __init__(self, window: MainWindow, keeper: ArchiveKeeper) -> None:
        self.window = window
        self.keeper = keeper
        self.banner: PriorBanner | None = None
        self.prior: StudyRow | None = None
        self.prior_viewport: Viewport | None = None
        #: Where the offered prior is when only the PACS has it (None: in the archive).
        self.pacs_node: Node | None = None
        #: Why the PACS could not be asked for priors of the open study (``""``: it was,
        #: or no query node is configured); None until it has answered.
        self.pacs_problem: str | None = None
        self._study: StudyRecord | None = None
        self._local: LocalNode | None = None
        self._complete_series: tuple[str, ...] = ()
        self._find_slot = JobSlot(window, name="priors")
        self._pacs_slot = JobSlot(window, name="priors-pacs")
        self._retrieve_slot = JobSlot(window, name="prior-retrieve")
        self._linked: tuple[Viewport, Viewport] | None = None
        self._linking = False
        window.study_opened.connect(self._on_window_study_opened)
        window.first_image_shown.connect(self._on_window_first_image_shown)

    # -- finding ---------------------------------------------------------------------------

    def _on_window_study_opened(self, index: StudyIndex) -> None:
        self._clear()
        self._study = None
        studies = [study for patient in index.patients for study in patient.studies]
        if studies and self.keeper.is_open:
            self.find_for(studies[0])

    def find_for(self, study: StudyRecord) -> None:
        """Look for priors of ``study``: in the archive (a job; the first relevant is
        offered), then on the query node when one is configured (a second job)."""
        archive = self.keeper.archive
        if archive is None:
            return
        self._study = study
        self.pacs_problem = None

        def find_job(token: CancelToken) -> PriorStudy | None:
            # lazy: the archive engine (sqlite3, ingest) is not on the window's start-up path
            from core.archive.priors import find_priors, most_recent_relevant

            stored = [p for p in find_priors(archive, study) if not p.on_pacs_only]
            return most_recent_relevant(stored)

        def on_error(error: BaseException) -> None:
            if not isinstance(error, CancelledError):
                logger.warning("priors could not be looked up (%s)", type(error).__name__)

        self._find_slot.start(find_job, on_result=self._on_prior_found, on_error=on_error)

    def _on_prior_found(self, prior: PriorStudy | None) -> None:
        if prior is not None:
            self.offer(prior.row, prior.reason)
        if self._study is not None:
            self._ask_pacs(self._study)

    def _ask_pacs(self, study: StudyRecord) -> None:
        """Ask the query node for the patient's studies (its own job: never delays the
        archive's prior); a more recent relevant prior only on the PACS is then offered.

        The nodes file is read, and the PACS parts imported, on the job's thread: on the
        GUI thread they cost up to 30 ms at the first open, while the series loaded.
        """
        archive = self.keeper.archive
        if archive is None:
            return

        def ask_job(token: CancelToken) -> PacsPrior | _NodeChosen:
            chosen = choose_query_node()
            if chosen.node is None or chosen.needs_secret:
                return chosen  # nothing to ask, or a secret the GUI thread looks up first
            return find_pacs_prior(archive, study, chosen.node, chosen.local, None, token)

        self._pacs_slot.start(
            ask_job,
            on_result=lambda answer: self._on_pacs_job_done(archive, study, answer),
            on_error=self._on_pacs_failed,
        )

    def _on_pacs_job_done(
        self, archive: Archive, study: StudyRecord, answer: PacsPrior | _NodeChosen
    ) -> None:
        if isinstance(answer, PacsPrior):
            self._on_pacs_answered(answer)
            return
        node, local = answer.node, answer.local
        if node is None:
            self.pacs_problem = answer.unreadable  # no query node: the PACS is not asked
            return
        # The app's one store, made on this thread, and only for a node with a secret
        # (finding the system keyring can take a while).
        # lazy: the PACS parts load when a study opens, not at start-up
        from desktop.pacs.common import session_credentials

        credentials = session_credentials()
        self._pacs_slot.start(
            lambda token: find_pacs_prior(archive, study, node, local, credentials, token),
            on_result=self._on_pacs_answered,
            on_error=self._on_pacs_failed,
        )

    def _on_pacs_failed(self, error: BaseException) -> None:
        if not isinstance(error, CancelledError):
            logger.warning("the PACS could not be asked for priors (%s)", type(error).__name__)
            local = self._local if self._local is not None else _default_local()
            self._on_pacs_answered(PacsPrior(None, None, local, describe_error(error)))

    def _on_pacs_answered(self, answer: PacsPrior) -> None:
        self.pacs_problem = answer.problem
        self._local = answer.local
        prior = answer.prior
        if answer.problem and self.banner is not None and self.pacs_node is None:
            said = QCoreApplication.translate(
                "PriorOffer", "The PACS could not be asked: {reason}"
            ).format(reason=answer.problem)
            before = self.banner.label.toolTip()
            self.banner.label.setToolTip(f"{before}\n{said}" if before else said)
        comparing = (  # the offered prior is loading, retrieving or shown: it stays
            self.prior_viewport is not None
            or self._find_slot.is_running
            or self._retrieve_slot.is_running
        )
        if prior is None or not prior.on_pacs_only or answer.node is None or comparing:
            return  # the archive's own prior (already offered) is the best, or one is shown
        self.offer(prior.row, prior.reason, pacs_node=answer.node)

    def offer(
        self, row: StudyRow, reason: str = "", *, pacs_node: Node | None = None
    ) -> PriorBanner:
        """Show the banner offering ``row`` for comparison (``pacs_node``: it is only on
        that node, and the button retrieves it first)."""
        self._clear(keep_pacs_answer=True)
        self.prior = row
        self.pacs_node = pacs_node
        self._complete_series = ()
        where = (
            QCoreApplication.translate("PriorOffer", "Prior on PACS: {prior}")
            if pacs_node is not None
            else QCoreApplication.translate("PriorOffer", "Prior: {prior}")
        )
        banner = PriorBanner(where.format(prior=describe_prior(row)), self.window)
        if pacs_node is not None:
            banner.compare_button.setText(
                QCoreApplication.translate("PriorOffer", "Retrieve and compare")
            )
            banner.compare_button.setToolTip(
                QCoreApplication.translate(
                    "PriorOffer",
                    "Retrieve the study from {node} into the study archive, then show it "
                    "beside this one",
                ).format(node=pacs_node.name)
            )
        if reason:
            banner.label.setToolTip(reason)
        banner.compare_button.clicked.connect(self.compare)
        banner.close_button.clicked.connect(self._clear)
        banner.cancel_button.clicked.connect(self._retrieve_slot.cancel)
        banner.sync_check.toggled.connect(self._on_banner_sync_toggled)
        central = self.window.centralWidget()
        column = central.layout() if central is not None else None
        if isinstance(column, QVBoxLayout):
            column.insertWidget(1, banner)  # under the notifications, above the grid
            banner.show()  # now, not at the layout's next pass
        self.banner = banner
        return banner

    # -- comparing -------------------------------------------------------------------------

    def compare(self) -> None:
        """Show the prior's matching series beside the current one (retrieving it from
        the PACS first when only the PACS has it)."""
        archive, row = self.keeper.archive, self.prior
        if archive is None or row is None or self.banner is None:
            return
        if self.pacs_node is not None:
            self.retrieve()
            return
        selected = self.window.browser.selected_series()
        modality = selected.modality if selected is not None else ""
        self.banner.compare_button.setEnabled(False)
        self.banner.sync_label.setText(
            QCoreApplication.translate("PriorOffer", "Loading the prior…")
        )
        uid = row.study_uid

        def index_job(token: CancelToken) -> StudyIndex:
            index = archive.study_index(uid)
            archive.mark_opened(uid)
            return index

        def on_error(error: BaseException) -> None:
            if self.banner is not None and not isinstance(error, CancelledError):
                said = QCoreApplication.translate(
                    "PriorOffer", "The prior could not be opened: {reason}"
                ).format(reason=describe_error(error))
                self.banner.sync_label.setText(said)
                self.banner.compare_button.setEnabled(True)

        self._find_slot.start(
            index_job, on_result=lambda index: self._show_beside(index, modality), on_error=on_error
        )

    # -- retrieving a prior that only the PACS has -----------------------------------------

    def retrieve(self) -> None:
        """Retrieve the offered prior from its node into the archive (a job with progress
        and Cancel); once it is there, show it beside the current study."""
        archive, row, node, banner = self.keeper.archive, self.prior, self.pacs_node, self.banner
        local = self._local
        if archive is None or row is None or node is None or banner is None or local is None:
            return
        # lazy: the PACS parts load when a prior is retrieved
        from core.pacs.nodes import DicomWebNode
        from desktop.pacs.common import ensure_secret, session_credentials

        credentials = session_credentials() if isinstance(node, DicomWebNode) else None
        if credentials is not None and not ensure_secret(node, credentials, self.window):
            banner.sync_label.setText(
                QCoreApplication.translate(
                    "PriorOffer", "Not retrieved: the password or token was not given."
                )
            )
            return
        study = self._study
        uid, skip = row.study_uid, self._complete_series
        banner.compare_button.setEnabled(False)
        banner.progress.setRange(0, 0)
        banner.progress.setFormat("%v/%m")
        banner.progress.show()
        banner.cancel_button.show()
        banner.sync_label.setText(
            QCoreApplication.translate("PriorOffer", "Retrieving the prior from {node}…").format(
                node=node.name
            )
        )

        def retrieve_job(token: CancelToken) -> Generator[Any, None, tuple[Any, ...]]:
            # lazy: pynetdicom and the retrieval machinery load when a prior is retrieved
            from desktop.pacs.retrieval_job import RetrievalRequest, retrieve_studies

            request = RetrievalRequest(uid, skip_series=skip)
            outcomes = yield from retrieve_studies(
                node, [request], archive, local=local, credentials=credentials, cancel=token
            )
            outcome = outcomes[0]
            if not outcome.complete:
                return outcome, None, None
            stored = archive.study(uid)
            return outcome, stored, comparison_now(archive, study) if study else None

        self._retrieve_slot.start(
            retrieve_job,
            on_event=self._on_retrieve_event,
            on_result=self._on_retrieved,
            on_error=self._on_retrieve_failed,
            name="prior-retrieve",
        )

    def _on_retrieve_event(self, event: object) -> None:
        # lazy: the retrieval's event types come with the job
        from desktop.pacs.retrieval_job import SeriesLanded, StudyProgress

        banner = self.banner
        if isinstance(event, SeriesLanded):
            self.keeper.note_stored(event.study_uid)  # the study list follows
        elif isinstance(event, StudyProgress) and banner is not None:
            total = max(event.expected, event.received, 1)
            banner.progress.setRange(0, total)
            banner.progress.setValue(event.received)
            if event.expected:
                said = QCoreApplication.translate(
                    "PriorOffer", "Retrieving the prior: {received} of {expected} images"
                )
            else:
                said = QCoreApplication.translate(
                    "PriorOffer", "Retrieving the prior: {received} images"
                )
            banner.sync_label.setText(
                said.format(
                    received=format_count(event.received), expected=format_count(event.expected)
                )
            )

    def _end_retrieval(self, said: str) -> None:
        banner = self.banner
        if banner is None:
            return
        banner.progress.hide()
        banner.cancel_button.hide()
        banner.compare_button.setEnabled(True)
        banner.sync_label.setText(said)

    def _on_retrieved(self, done: tuple[StudyOutcome, StudyRow | None, Any]) -> None:
        outcome, stored, comparison = done
        banner = self.banner
        if banner is None:
            return
        if stored is None:
            self._complete_series = outcome.complete_series
            got = outcome.arrived + outcome.already_present
            why = outcome.problem or QCoreApplication.translate(
                "PriorOffer", "{count} images could not be stored"
            ).format(count=format_count(outcome.failed))
            if got and outcome.expected:
                said = QCoreApplication.translate(
                    "PriorOffer",
                    "The prior could not be retrieved: {reason} ({got} of {expected} images "
                    "arrived and are kept)",
                )
            elif got:
                said = QCoreApplication.translate(
                    "PriorOffer",
                    "The prior could not be retrieved: {reason} ({got} images arrived and are "
                    "kept)",
                )
            else:
                said = QCoreApplication.translate(
                    "PriorOffer", "The prior could not be retrieved: {reason}"
                )
            banner.compare_button.setText(
                QCoreApplication.translate("PriorOffer", "Retrieve again")
            )
            self._end_retrieval(
                said.format(
                    reason=why, got=format_count(got), expected=format_count(outcome.expected)
                )
            )
            return
        self.prior, self.pacs_node = stored, None
        banner.label.setText(
            QCoreApplication.translate("PriorOffer", "Prior: {prior}").format(
                prior=describe_prior(stored)
            )
        )
        banner.compare_button.setText(QCoreApplication.translate("PriorOffer", "Compare"))
        self._end_retrieval(
            QCoreApplication.translate("PriorOffer", "Retrieved into the study archive.")
        )
        self._name_in_report(comparison)
        self.compare()

    def _on_retrieve_failed(self, error: BaseException) -> None:
        if self.banner is None:
            return
        self.banner.compare_button.setText(
            QCoreApplication.translate("PriorOffer", "Retrieve again")
        )
        if isinstance(error, CancelledError):
            self._end_retrieval(
                QCoreApplication.translate(
                    "PriorOffer",
                    "Retrieval cancelled: what arrived is kept in the archive; Retrieve again "
                    "to fetch the rest.",
                )
            )
        else:
            said = QCoreApplication.translate(
                "PriorOffer", "The prior could not be retrieved: {reason}"
            )
            self._end_retrieval(said.format(reason=describe_error(error)))

    def _name_in_report(self, comparison: PriorComparison | None) -> None:
        """The report of the open study names the retrieved prior from now on."""
        panel, study = self.window.report_panel, self._study
        opened = panel.study
        if comparison is None or study is None or opened is None:
            return
        if opened.study_instance_uid == study.study_instance_uid:
            panel.compare_with(comparison)

    def _show_beside(self, index: StudyIndex, modality: str) -> None:
        series = matching_series(index, modality)
        if series is None or self.banner is None:
            if self.banner is not None:
                self.banner.sync_label.setText(
                    QCoreApplication.translate("PriorOffer", "The prior has no images to show.")
                )
            return
        window = self.window
        if len(window.grid.viewports) < 2:
            window.set_layout(1, 2)
        current, other = window.grid.viewports[0], window.grid.viewports[1]
        window.grid.set_active_viewport(current)
        self.prior_viewport = other
        window.load_series(series, other)

    def _on_window_first_image_shown(self, viewport: Viewport) -> None:
        if viewport is not self.prior_viewport or self.banner is None:
            return
        current = self.window.grid.viewports[0]
        same_frame = (
            current.frame_of_reference_uid is not None
            and current.frame_of_reference_uid == viewport.frame_of_reference_uid
        )
        banner = self.banner
        if same_frame:
            self.window.set_sync_scrolling(True)
            banner.sync_check.hide()
            banner.sync_label.setText(
                QCoreApplication.translate(
                    "PriorOffer", "Scrolling in step (same frame of reference)"
                )
            )
        else:
            banner.sync_check.show()
            banner.sync_label.setText(
                QCoreApplication.translate("PriorOffer", "Different frames of reference")
            )
        self._link(current, viewport)

    # -- scrolling together without a shared frame of reference -------------------------

    def _link(self, first: Viewport, second: Viewport) -> None:
        self._unlink()
        self._linked = (first, second)
        first.frame_changed.connect(self._on_linked_frame_changed)
        second.frame_changed.connect(self._on_linked_frame_changed)

    def _unlink(self) -> None:
        if self._linked is not None:
            for viewport in self._linked:
                with contextlib.suppress(RuntimeError, TypeError):  # gone with the viewport
                    viewport.frame_changed.disconnect(self._on_linked_frame_changed)
            self._linked = None

    def _on_banner_sync_toggled(self, checked: bool) -> None:
        if self.banner is not None:
            if checked:
                said = QCoreApplication.translate(
                    "PriorOffer", "Different frames of reference: linked by stack position"
                )
            else:
                said = QCoreApplication.translate(
                    "PriorOffer", "Different frames of reference: not linked"
                )
            self.banner.sync_label.setText(said)

    def _on_linked_frame_changed(self, _index: int) -> None:
        if (
            self._linking
            or self._linked is None
            or self.banner is None
            or not self.banner.sync_check.isChecked()
        ):
            return
        first, second = self._linked
        source = self.window.grid.active_viewport
        target = second if source is first else first
        if source.frame_count < 2 or target.frame_count < 1:
            return
        fraction = source.frame_index / (source.frame_count - 1)
        self._linking = True
        try:
            target.set_frame(round(fraction * (target.frame_count - 1)))
        finally:
            self._linking = False

    # -- ending ----------------------------------------------------------------------------

    def _clear(self, keep_pacs_answer: bool = False) -> None:
        self._find_slot.discard()
        self._retrieve_slot.discard()
        if not keep_pacs_answer:
            self._pacs_slot.discard()
        self._unlink()
        self.prior = None
        self.pacs_node = None
        self.prior_viewport = None
        if self.banner is not None:
            self.banner.deleteLater()
            self.banner.hide()
            self.banner = None

    def shutdown(self) -> None:
        self._clear()
