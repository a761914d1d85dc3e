"""Priors in the window: offer the most relevant earlier study, and show it beside the current.

When a study opens and the study archive holds an earlier study of the same patient
(:func:`core.archive.priors.find_priors` decides which are relevant and in what order),
a banner offers it: "Prior: CT 2024-03-02 Chest — Compare". Compare shows the prior's
matching series (same modality, the most images) in the viewport beside the current
one. When both series share a Frame of Reference, the grid's own sync keeps them at the
same position in space; otherwise the banner offers to scroll them together by their
relative position in the stack, and says which of the two is in effect.
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from core.errors import CancelledError, describe_error
from core.jobs import CancelToken
from desktop.browser.study_browser import format_date
from desktop.workers import JobSlot

if TYPE_CHECKING:
    from core.archive import StudyRow
    from core.archive.priors import PriorStudy
    from core.dicom.records import SeriesRecord, StudyIndex, StudyRecord
    from desktop.archive.keeper import ArchiveKeeper
    from desktop.main_window import MainWindow
    from desktop.viewer.viewport import Viewport

logger = logging.getLogger(__name__)

__all__ = ["PriorBanner", "PriorOffer", "describe_prior", "matching_series"]


def describe_prior(row: StudyRow) -> str:
    """ "CT 2024-03-02 Chest": modalities, date, description (shown, never logged)."""
    parts = ["/".join(row.modalities), format_date(row.study_date), row.description]
    return " ".join(part for part in parts if part)


def matching_series(index: StudyIndex, modality: str) -> SeriesRecord | None:
    """The prior's series to compare: of the same modality when there is one, most images."""
    series = list(index.all_series())
    same = [s for s in series if s.modality == modality] or series
    return max(same, key=lambda s: s.frame_count) if same else None


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
        self.compare_button = QPushButton("Compare")
        self.compare_button.setObjectName("prior_compare")
        self.sync_check = QCheckBox("Scroll together by stack position")
        self.sync_check.setObjectName("prior_sync")
        self.sync_check.hide()
        self.sync_label = QLabel("")
        self.sync_label.setObjectName("prior_sync_label")
        self.close_button = QToolButton()
        self.close_button.setText("✕")
        self.close_button.setToolTip("Dismiss")
        self.close_button.setAutoRaise(True)
        top = QHBoxLayout()
        top.addWidget(self.label, 1)
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
        self._find_slot = JobSlot(window, name="priors")
        self._linked: tuple[Viewport, Viewport] | None = None
        self._linking = False
        window.study_opened.connect(self._on_window_study_opened)
        window.first_image_shown.connect(self._on_window_first_image_shown)

    # -- finding ---------------------------------------------------------------------------

    def _on_window_study_opened(self, index: StudyIndex) -> None:
        self._clear()
        studies = [study for patient in index.patients for study in patient.studies]
        if studies and self.keeper.is_open:
            self.find_for(studies[0])

    def find_for(self, study: StudyRecord) -> None:
        """Look for priors of ``study`` in the archive (a job); offer the first relevant."""
        archive = self.keeper.archive
        if archive is None:
            return

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

    def offer(self, row: StudyRow, reason: str = "") -> PriorBanner:
        """Show the banner offering ``row`` for comparison."""
        self._clear()
        self.prior = row
        banner = PriorBanner(f"Prior: {describe_prior(row)}", self.window)
        if reason:
            banner.label.setToolTip(reason)
        banner.compare_button.clicked.connect(self.compare)
        banner.close_button.clicked.connect(self._clear)
        banner.sync_check.toggled.connect(self._on_banner_sync_toggled)
        central = self.window.centralWidget()
        column = central.layout() if central is not None else None
        if isinstance(column, QVBoxLayout):
            column.insertWidget(1, banner)  # under the notifications, above the grid
        self.banner = banner
        return banner

    # -- comparing -------------------------------------------------------------------------

    def compare(self) -> None:
        """Show the prior's matching series beside the current one."""
        archive, row = self.keeper.archive, self.prior
        if archive is None or row is None or self.banner is None:
            return
        selected = self.window.browser.selected_series()
        modality = selected.modality if selected is not None else ""
        self.banner.compare_button.setEnabled(False)
        self.banner.sync_label.setText("Loading the prior…")
        uid = row.study_uid

        def index_job(token: CancelToken) -> StudyIndex:
            index = archive.study_index(uid)
            archive.mark_opened(uid)
            return index

        def on_error(error: BaseException) -> None:
            if self.banner is not None and not isinstance(error, CancelledError):
                said = f"The prior could not be opened: {describe_error(error)}"
                self.banner.sync_label.setText(said)
                self.banner.compare_button.setEnabled(True)

        self._find_slot.start(
            index_job, on_result=lambda index: self._show_beside(index, modality), on_error=on_error
        )

    def _show_beside(self, index: StudyIndex, modality: str) -> None:
        series = matching_series(index, modality)
        if series is None or self.banner is None:
            if self.banner is not None:
                self.banner.sync_label.setText("The prior has no images to show.")
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
            banner.sync_label.setText("Scrolling in step (same frame of reference)")
        else:
            banner.sync_check.show()
            banner.sync_label.setText("Different frames of reference")
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
            said = "linked by stack position" if checked else "not linked"
            self.banner.sync_label.setText(f"Different frames of reference: {said}")

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

    def _clear(self) -> None:
        self._find_slot.discard()
        self._unlink()
        self.prior = None
        self.prior_viewport = None
        if self.banner is not None:
            self.banner.deleteLater()
            self.banner.hide()
            self.banner = None

    def shutdown(self) -> None:
        self._clear()
