"""The report panel's widgets and their layout, without behaviour.

:class:`ReportPanelWidgets` builds what :class:`~desktop.assistant.report_panel.ReportPanel`
shows, top to bottom: the title, the state line, the demo banner, the drafting bar, the
status line, the recovery offer, the editor, the review bar, and Sign, Addendum and
Export. The panel connects them to what they do (Qt Designer's ``setupUi`` split:
construction here, behaviour there). The parts of the bars are named here too, as tests
and the window know them.
"""

from __future__ import annotations

import logging
from typing import Final

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from core.analysis.manifest import DEMO_BANNER, demo_banner
from core.report.document import Report
from desktop.assistant.report_draft_bar import DraftBar
from desktop.assistant.report_editor import ReportEditor
from desktop.assistant.report_export import ExportButton
from desktop.assistant.report_layout import local_time
from desktop.assistant.report_review import ReviewBar
from desktop.assistant.report_texts import state_line

logger = logging.getLogger(__name__)

__all__ = ["BANNER_STYLE", "DEMO_BANNER", "ReportPanelWidgets"]

#: Shown wherever a demo model's findings feed the report (the AI panel's wording).
BANNER_STYLE: Final = (
    "QLabel { background: #ffcc33; color: #000; font-weight: bold; padding: 6px; "
    "border-radius: 3px; }"
)


def _button(text: str, name: str) -> QPushButton:
    """A push button named ``name`` (for tests and style sheets)."""
    button = QPushButton(text)
    button.setObjectName(name)
    return button


def _label(name: str, text: str = "") -> QLabel:
    """A word-wrapping label named ``name``."""
    label = QLabel(text)
    label.setObjectName(name)
    label.setWordWrap(True)
    return label


class ReportPanelWidgets(QWidget):
    """The report panel's widgets, laid out; ``engine`` and ``language`` chosen first."""

    def __init__(self, parent: QWidget | None = None, *, engine: str, language: str) -> None:
        super().__init__(parent)
        self.setObjectName("report_panel")
        title = QLabel(self.tr("Report"))
        font = QFont(title.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        title.setFont(font)
        self.state_label = _label("report_state")
        # Long labels wrap instead of widening the dock (the image keeps its room).
        self.state_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

        self.banner = _label("report_demo_banner", demo_banner())
        self.banner.setStyleSheet(BANNER_STYLE)
        self.banner.hide()

        self.draft_bar = DraftBar(engine, language)
        self.engine_combo = self.draft_bar.engine_combo
        self.language_combo = self.draft_bar.language_combo
        self.template_status = self.draft_bar.template_status
        self.mode_buttons = self.draft_bar.mode_buttons
        self.stop_button = self.draft_bar.stop_button
        self.progress_bar = self.draft_bar.progress_bar
        self.status_label = _label("report_status")
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.recovery_frame = QFrame()
        self.recovery_frame.setObjectName("report_recovery")
        self.recovery_frame.setFrameShape(QFrame.Shape.StyledPanel)
        self.recovery_frame.setStyleSheet(
            "QFrame#report_recovery { background: #dceefc; border: 1px solid #7aa7d6; }"
        )
        self.recovery_label = _label("report_recovery_text")
        self.restore_button = _button(self.tr("Restore draft"), "report_restore")
        self.discard_button = _button(self.tr("Discard"), "report_discard")
        recovery = QHBoxLayout(self.recovery_frame)
        recovery.addWidget(self.recovery_label, 1)
        recovery.addWidget(self.restore_button)
        recovery.addWidget(self.discard_button)
        self.recovery_frame.hide()

        self.editor = ReportEditor()

        self.review_bar = ReviewBar()
        self.review_button = self.review_bar.review_button
        self.review_all_button = self.review_bar.review_all_button
        self.review_label = self.review_bar.review_label
        self.conflict_title = self.review_bar.conflict_title
        self.resolve_button = self.review_bar.resolve_button
        self.conflict_list = self.review_bar.conflict_list

        self.sign_button = _button(self.tr("Sign…"), "report_sign")
        self.addendum_button = _button(self.tr("Addendum…"), "report_addendum")
        self.export_button = ExportButton()
        self.export_menu = self.export_button.export_menu
        self.export_actions = self.export_button.export_actions
        actions = QHBoxLayout()
        actions.addWidget(self.sign_button)
        actions.addWidget(self.addendum_button)
        actions.addStretch(1)
        actions.addWidget(self.export_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(title)
        layout.addWidget(self.state_label)
        layout.addWidget(self.banner)
        layout.addWidget(self.draft_bar)
        layout.addWidget(self.status_label)
        layout.addWidget(self.recovery_frame)
        layout.addWidget(self.editor, 1)
        layout.addWidget(self.review_bar)
        layout.addLayout(actions)

    def show_state(self, report: Report, *, saved: bool) -> None:
        """The state line (Draft, or Final in green) and the demo banner of ``report``."""
        final = report.is_final and report.signature is not None
        self.state_label.setStyleSheet(
            "QLabel { color: #2e7d32; font-weight: bold; }" if final else ""
        )
        self.state_label.setText(state_line(report, saved=saved))
        self.banner.setText(demo_banner())  # in the language of now
        self.banner.setVisible(report.context.is_demo)

    def offer_recovery(self, saved_at: str) -> None:
        """Offer back the draft saved at ``saved_at`` (ISO) when the app stopped."""
        self.recovery_label.setText(
            self.tr(
                "RadAssist stopped while this report was being written. The draft saved at "
                "{time} is shown: restore it, or discard it and start again."
            ).format(time=local_time(saved_at))
        )
        self.recovery_frame.show()

    def set_status(self, text: str, error: bool = False) -> None:
        """The status line: what just happened, in red when it went wrong."""
        self.status_label.setStyleSheet("QLabel { color: #c82828; }" if error else "")
        self.status_label.setText(text)
