"""Above the report's editor: who drafts, in which language, the drafting buttons, Stop.

:class:`DraftBar` gathers the choices (templates or the language model; English or
Chinese for the next whole draft), says which languages the templates cannot draft
(:class:`~desktop.assistant.template_status.TemplateStatusLabel`), and shows a
language model's progress while it starts. What a draft does is the report panel's.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Final

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.jobs import Progress
from desktop.assistant.report_dialogs import LANGUAGE_CHOICES
from desktop.assistant.template_status import TemplateStatusLabel

logger = logging.getLogger(__name__)

__all__ = ["ENGINES", "MODES", "DraftBar", "drafting_engines", "drafting_modes"]


def drafting_engines() -> tuple[tuple[str, str], ...]:
    """Drafting engines: (settings name, what the person reads, in the interface language)."""
    return (
        ("template", QCoreApplication.translate("DraftBar", "Templates")),
        ("llm", QCoreApplication.translate("DraftBar", "Language model")),
    )


def drafting_modes() -> tuple[tuple[str, str], ...]:
    """Drafting modes (core.report.llm.DraftMode values): (mode, button text, translated)."""
    return (
        ("report", QCoreApplication.translate("DraftBar", "Draft report")),
        ("rewrite", QCoreApplication.translate("DraftBar", "Rewrite selection")),
        ("impression", QCoreApplication.translate("DraftBar", "Write impression")),
    )


#: Drafting engines and modes, as the source says them (their names are what counts).
ENGINES: Final = drafting_engines()
MODES: Final = drafting_modes()


class DraftBar(QWidget):
    """The engine and language choices, a button per drafting mode, Stop, progress.

    Signals
    -------
    draft_requested(str)
        A drafting button was clicked (its mode).
    stop_requested()
    engine_changed(str)
    language_changed(str)
    """

    draft_requested = Signal(str)
    stop_requested = Signal()
    engine_changed = Signal(str)
    language_changed = Signal(str)

    def __init__(self, engine: str, language: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine_combo = QComboBox()
        self.engine_combo.setObjectName("report_engine")
        for name, text in drafting_engines():
            self.engine_combo.addItem(text, name)
        self.engine_combo.setCurrentIndex([name for name, _ in ENGINES].index(engine))
        self.engine_combo.setToolTip(
            self.tr("Who drafts: the templates (no model) or the language model")
        )
        self.engine_combo.currentIndexChanged.connect(
            lambda _: self.engine_changed.emit(self.engine)
        )
        self.language_combo = QComboBox()
        self.language_combo.setObjectName("report_language")
        for code, text in LANGUAGE_CHOICES:
            self.language_combo.addItem(text, code)  # each language in its own words
        self.select_language(language)
        self.language_combo.currentIndexChanged.connect(
            lambda _: self.language_changed.emit(self.language)
        )
        self.language_combo.setToolTip(
            self.tr("The language of a new draft (Draft report); rewriting keeps the report's")
        )
        choices = QHBoxLayout()
        choices.addWidget(self.engine_combo, 1)
        choices.addWidget(self.language_combo)
        self.template_status = TemplateStatusLabel()

        self.mode_buttons: dict[str, QPushButton] = {}
        modes = QHBoxLayout()
        for mode, text in drafting_modes():
            button = QPushButton(text)
            button.setObjectName(f"report_{mode}")
            button.clicked.connect(lambda _=False, m=mode: self.draft_requested.emit(m))
            modes.addWidget(button)
            self.mode_buttons[mode] = button
        self.stop_button = QPushButton(self.tr("Stop"))
        self.stop_button.setObjectName("report_stop")
        self.stop_button.setToolTip(self.tr("Stop the language model now; what it wrote stays"))
        self.stop_button.clicked.connect(self.stop_requested)
        modes.addWidget(self.stop_button)

        self.progress_bar = QProgressBar()
        self.progress_bar.setObjectName("report_progress")
        self.progress_bar.setTextVisible(True)
        self.progress_bar.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(choices)
        layout.addWidget(self.template_status)
        layout.addLayout(modes)
        layout.addWidget(self.progress_bar)

    @property
    def engine(self) -> str:
        return str(self.engine_combo.currentData())

    def set_engine(self, engine: str) -> None:
        names = [name for name, _ in ENGINES]
        if engine not in names:
            raise ValueError(f"engine must be one of {names}, found {engine!r}")
        self.engine_combo.setCurrentIndex(names.index(engine))

    @property
    def language(self) -> str:
        """The language of the next whole draft."""
        return str(self.language_combo.currentData())

    def select_language(self, language: str) -> None:
        """Choose ``language`` (the first one when it is none of the choices)."""
        codes = [code for code, _ in LANGUAGE_CHOICES]
        self.language_combo.setCurrentIndex(codes.index(language) if language in codes else 0)

    def update_buttons(
        self,
        *,
        editable: bool,
        drafting: bool,
        writing: bool,
        blocked: Mapping[str, str | None],
    ) -> None:
        """Enable what may be drafted now; ``blocked``: why the templates cannot draft a mode."""
        llm = self.engine == "llm"
        for mode, button in self.mode_buttons.items():
            reason = blocked.get(mode)
            usable = (llm or mode != "rewrite") and reason is None
            button.setEnabled(editable and not drafting and usable)
            if mode != "rewrite":
                button.setToolTip(reason or "")
        self.mode_buttons["rewrite"].setToolTip(
            self.tr("The language model rewrites the selected sentences")
            if llm
            else self.tr("Rewriting needs the language model (choose it above)")
        )
        self.stop_button.setEnabled(writing)
        self.language_combo.setEnabled(not drafting)
        self.engine_combo.setEnabled(not drafting)

    def show_starting(self) -> None:
        """A language model is starting (a busy bar until its progress says more)."""
        self.progress_bar.setRange(0, 0)
        self.progress_bar.setFormat(self.tr("Starting the language model"))
        self.progress_bar.show()

    def show_progress(self, event: Progress) -> None:
        if event.total > 0:
            self.progress_bar.setRange(0, event.total)
            self.progress_bar.setValue(min(event.done, event.total))
        self.progress_bar.setFormat(event.message or "%p%")

    def hide_progress(self) -> None:
        self.progress_bar.hide()
