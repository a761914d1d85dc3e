"""The report panel: draft the report from the study and the AI findings, check, sign, export.

The panel sits on the right of the window, tabbed with the AI findings. It holds one
:class:`~core.report.document.Report` for the study on screen and shows it in one
editor: a heading per section (clinical information, technique, comparison, findings,
impression, recommendations) and the section's text. What a person sees:

* drafting by templates (:mod:`core.report.templates`, no model) or by the local language
  model (:mod:`core.report.llm`, in its own process: this one never imports torch), in
  English or Chinese: the whole report, a rewrite of the selected sentences, or the
  impression. A language model's tokens appear in the editor as they arrive; Stop
  keeps what was written so far and returns at once;
* engine text nobody has reviewed yet is shaded; sentences that the grounding check
  (:mod:`core.report.grounding`) finds at odds with the analysis are underlined in red,
  the reason in their tooltip and in the list below, where Resolve keeps the text;
* Mark reviewed (the selection, or everything), Sign (blocked while review is needed,
  unless overridden with a reason, which is recorded), Addendum on a signed report,
  Export as text, PDF (with key images) or DICOM SR into the export folder;
* the demo banner whenever the findings come from a demo model; the state: Draft, or
  Final — signed by whom and when;
* which languages cannot be drafted from the templates (a template file of the install
  missing or broken: :mod:`desktop.assistant.template_status`), those drafts disabled.

The rules live in :class:`~core.report.workflow.ReportSession` (the same ones
``radassist draft`` follows); the panel draws the session and forwards what a person does.
Typing goes into the report after a short pause (at most a second of typing is ever only
in the editor) and the draft is saved by :class:`~core.report.store.DraftStore` on a job
thread at most a second after it changed. A draft whose editing session ended without a
goodbye (the app was killed) is offered back when its study opens again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QColor,
    QFont,
    QTextCharFormat,
    QTextCursor,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from core.errors import CancelledError, RadAssistError
from core.jobs import CancelToken, Progress
from core.report.document import Origin, Report, ReportContext, Section, StudyContext
from core.report.workflow import (
    ReportSession,
    describe_error,
    export_report,
    read_analysed_image,
    read_study_context,
    stopped_language_model_draft,
)
from desktop import workers
from desktop.assistant.report_dialogs import (
    LANGUAGE_CHOICES,
    AddendumDialog,
    SigningBlockedDialog,
)
from desktop.assistant.report_editor import ReportEditor
from desktop.assistant.report_layout import (
    HEADINGS,
    SentenceSpan,
    locate_sentences,
    parse_editor_text,
    render_report,
    section_body_ranges,
    utf16_offsets,
)
from desktop.assistant.template_status import TemplateStatusLabel

if TYPE_CHECKING:
    from core.analysis.inference import AnalysisResult
    from core.dicom.records import FileRef
    from core.report.store import DraftStore
    from core.resource_check import ResourceProblem
    from desktop.settings import Settings
    from desktop.viewer.viewport import Viewport
    from desktop.workers import JobHandle

logger = logging.getLogger(__name__)

__all__ = ["ENGINES", "EXPORTS", "MODES", "ReportEditor", "ReportPanel"]

#: Drafting engines: (settings name, what the person reads).
ENGINES: Final = (("template", "Templates"), ("llm", "Language model"))
#: Drafting modes (core.report.llm.DraftMode values): (mode, button text).
MODES: Final = (
    ("report", "Draft report"),
    ("rewrite", "Rewrite selection"),
    ("impression", "Write impression"),
)
#: Export formats: (kind, menu text).
EXPORTS: Final = (
    ("text", "Plain text"),
    ("pdf", "PDF"),
    ("pdf_images", "PDF with key images"),
    ("sr", "DICOM structured report"),
)
#: Shown wherever a demo model's findings feed the report (the AI panel's wording).
DEMO_BANNER: Final = "Demo model trained on synthetic images — not for clinical use"
BANNER_STYLE: Final = (
    "QLabel { background: #ffcc33; color: #000; font-weight: bold; padding: 6px; "
    "border-radius: 3px; }"
)
#: Editing → report after this pause; the draft is saved at most this long after a change.
EDIT_PAUSE_MS: Final = 300
SAVE_INTERVAL_MS: Final = 1000

UNREVIEWED_BACKGROUND: Final = QColor(255, 233, 168)
CONFLICT_BACKGROUND: Final = QColor(255, 208, 208)
CONFLICT_UNDERLINE: Final = QColor(200, 30, 30)
_ORIGIN_TEXT: Final = {
    Origin.TEMPLATE: "Template",
    Origin.LANGUAGE_MODEL: "Language model",
    Origin.PERSON: "Your",
}


# -- jobs (run on the job pool; engine modules are imported there) ---------------------


def _template_job(context: ReportContext, language: str, token: CancelToken) -> Report:
    from core.report.templates import draft_template_report

    token.raise_if_cancelled()
    return draft_template_report(context, language)


def _language_model_job(
    folder: str,
    context: ReportContext,
    mode: str,
    language: str,
    max_new_tokens: int,
    temperature: float,
    selection: str | None,
    token: CancelToken,
) -> Generator[Any, None, Any]:
    from core.report.llm import DraftMode, GenerationSettings, draft_with_language_model

    settings = GenerationSettings(max_new_tokens=max_new_tokens, temperature=temperature)
    result = yield from draft_with_language_model(
        Path(folder), context, DraftMode(mode), language, settings, token, selection=selection
    )
    return result


def _key_image(caption: str, image: Any) -> Any:
    """A :class:`core.report.export.KeyImage` from a QImage (uint8 RGB)."""
    from PySide6.QtGui import QImage

    from core.report.export import KeyImage

    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height, stride = rgb.width(), rgb.height(), rgb.bytesPerLine()
    data = np.frombuffer(rgb.constBits(), dtype=np.uint8).reshape(height, stride)
    array = data[:, : width * 3].reshape(height, width, 3).copy()  # the QImage goes away
    return KeyImage(caption, array)


# -- the panel ----------------------------------------------------------------------------


@dataclass(eq=False)
class _Stream:
    """A language model writing into the editor."""

    mode: str
    language: str
    model_name: str
    position: int  # where the next chunk goes (UTF-16 document position)
    start: int  # where the model's text begins
    section: Section | None = None
    replace: tuple[int, int] | None = None  # sentence indices [i, j) of ``section`` rewritten
    chunks: list[str] = field(default_factory=list)
    tokens: int = 0
    started: float = field(default_factory=time.perf_counter)
    first_chunk: float | None = None
    handle: JobHandle | None = None

    @property
    def text(self) -> str:
        return "".join(self.chunks)


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _section_title(section: Section, language: str) -> str:
    heading = HEADINGS.get(language, HEADINGS["en"])[section]
    return heading.capitalize() if heading.isascii() else heading


def _button(text: str, name: str, slot: Callable[..., object], tip: str = "") -> QPushButton:
    """A push button named ``name`` (for tests and style sheets) that calls ``slot``."""
    button = QPushButton(text)
    button.setObjectName(name)
    if tip:
        button.setToolTip(tip)
    button.clicked.connect(slot)
    return button


def _label(name: str, text: str = "") -> QLabel:
    """A word-wrapping label named ``name``."""
    label = QLabel(text)
    label.setObjectName(name)
    label.setWordWrap(True)
    return label


def _local_time(stamp: str) -> str:
    from datetime import datetime

    try:
        return datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return stamp


class ReportPanel(QWidget):
    """The report of the study on screen: draft, review, sign, export.

    Parameters
    ----------
    parent : QWidget, optional
    settings : Settings, optional
        Signer, language model, length, temperature, language and engine.
    store : DraftStore, optional
        Where drafts are kept; default the user data folder's.

    Signals
    -------
    report_changed(object)
        The :class:`~core.report.document.Report` now in the panel.
    draft_started(str)
        A draft began (the mode: "report", "rewrite", "impression").
    text_streamed(str)
        A language model's chunk reached the editor.
    draft_finished(object)
        The report after a draft was applied (also after Stop).
    draft_failed(str)
        Why a draft could not be made (not for Stop).
    report_saved(int)
        The revision now on disk.
    report_signed(object)
        The final report.
    exported(object)
        The :class:`~pathlib.Path` of an export.
    export_failed(str)
    recovery_offered(object)
        The interrupted draft offered back.
    study_opened(object)
        The :class:`~core.report.document.StudyContext` of the study whose report shows.
    settings_requested()
        Something needs Settings → Reporting (no signer, no model folder).
    """

    report_changed = Signal(object)
    draft_started = Signal(str)
    text_streamed = Signal(str)
    draft_finished = Signal(object)
    draft_failed = Signal(str)
    report_saved = Signal(int)
    report_signed = Signal(object)
    exported = Signal(object)
    export_failed = Signal(str)
    recovery_offered = Signal(object)
    study_opened = Signal(object)
    settings_requested = Signal()

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        settings: Settings | None = None,
        store: DraftStore | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("report_panel")
        if settings is None:
            from desktop.settings import Settings

            settings = Settings()
        self._settings = settings
        self._store_instance = store
        # The engine's modules (and psutil, for the editing lock) load on a worker once
        # the window is up: imported on the GUI thread by the first study they cost it
        # ~45 ms in one piece.
        QTimer.singleShot(0, self._warm_up)
        self._session: ReportSession | None = None  # the report's rules and state
        self._spans: tuple[SentenceSpan, ...] = ()
        self._offsets: list[int] | None = None  # UTF-16 positions when they differ
        self._marks: list[QTextEdit.ExtraSelection] = []
        self._programmatic = 0
        self._editor_dirty = False
        self._save_handle: JobHandle | None = None
        self._save_again = False
        self._job: JobHandle | None = None  # template draft, context, export
        self._context_handle: JobHandle | None = None
        self._analysis_handle: JobHandle | None = None
        self._export_handle: JobHandle | None = None
        self._stream: _Stream | None = None
        self._viewport: Viewport | None = None
        self._dialogs: list[QWidget] = []
        self._last_save_error = ""

        self._edit_timer = QTimer(self)
        self._edit_timer.setSingleShot(True)
        self._edit_timer.setInterval(EDIT_PAUSE_MS)
        self._edit_timer.timeout.connect(self._on_edit_timer_timeout)
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(SAVE_INTERVAL_MS)
        self._save_timer.timeout.connect(self._on_save_timer_timeout)

        self._build()
        self._show_nothing()

    # -- construction ----------------------------------------------------------------------

    def _build(self) -> None:
        title = QLabel("Report")
        font = QFont(title.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        title.setFont(font)
        self.state_label = _label("report_state")
        # Long labels wrap instead of widening the dock (the image keeps its room).
        self.state_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

        self.banner = _label("report_demo_banner", DEMO_BANNER)
        self.banner.setStyleSheet(BANNER_STYLE)
        self.banner.hide()

        self.engine_combo = QComboBox()
        self.engine_combo.setObjectName("report_engine")
        for name, text in ENGINES:
            self.engine_combo.addItem(text, name)
        self.engine_combo.setCurrentIndex(
            [name for name, _ in ENGINES].index(self._settings.report_engine)
        )
        self.engine_combo.setToolTip("Who drafts: the templates (no model) or the language model")
        self.engine_combo.currentIndexChanged.connect(self._on_engine_combo_changed)
        self.language_combo = QComboBox()
        self.language_combo.setObjectName("report_language")
        for code, text in LANGUAGE_CHOICES:
            self.language_combo.addItem(text, code)
        self._select_language(self._settings.report_language)
        self.language_combo.currentIndexChanged.connect(self._on_language_combo_changed)
        self.language_combo.setToolTip(
            "The language of a new draft (Draft report); rewriting keeps the report's"
        )
        choices = QHBoxLayout()
        choices.addWidget(self.engine_combo, 1)
        choices.addWidget(self.language_combo)
        self.template_status = TemplateStatusLabel()

        self.mode_buttons: dict[str, QPushButton] = {}
        modes = QHBoxLayout()
        for mode, text in MODES:
            button = _button(text, f"report_{mode}", lambda _=False, m=mode: self.draft(m))
            modes.addWidget(button)
            self.mode_buttons[mode] = button
        self.stop_button = _button(
            "Stop", "report_stop", self.stop, "Stop the language model now; what it wrote stays"
        )
        modes.addWidget(self.stop_button)

        self.progress_bar = QProgressBar()
        self.progress_bar.setObjectName("report_progress")
        self.progress_bar.setTextVisible(True)
        self.progress_bar.hide()
        self.status_label = _label("report_status")
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.recovery_frame = QFrame()
        self.recovery_frame.setObjectName("report_recovery")
        self.recovery_frame.setFrameShape(QFrame.Shape.StyledPanel)
        self.recovery_frame.setStyleSheet(
            "QFrame#report_recovery { background: #dceefc; border: 1px solid #7aa7d6; }"
        )
        self.recovery_label = _label("report_recovery_text")
        self.restore_button = _button("Restore draft", "report_restore", self.restore_draft)
        self.discard_button = _button("Discard", "report_discard", self.discard_draft)
        recovery = QHBoxLayout(self.recovery_frame)
        recovery.addWidget(self.recovery_label, 1)
        recovery.addWidget(self.restore_button)
        recovery.addWidget(self.discard_button)
        self.recovery_frame.hide()

        self.editor = ReportEditor()
        self.editor.tooltip_provider = self._tooltip_at
        self.editor.textChanged.connect(self._on_editor_text_changed)
        self.editor.heading_edit_refused.connect(self._on_editor_heading_edit_refused)

        self.review_button = _button(
            "Mark reviewed",
            "report_mark_reviewed",
            self.mark_selection_reviewed,
            "Mark the selected sentences (or the one at the cursor)",
        )
        self.review_all_button = _button(
            "Mark all reviewed", "report_mark_all_reviewed", self.mark_all_reviewed
        )
        self.review_label = _label("report_review_summary")
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
        self.resolve_button = _button(
            "Resolve",
            "report_resolve",
            self._on_resolve_clicked,
            "Keep the sentence as written: the conflict no longer blocks",
        )
        self.conflict_title = QLabel("Grounding conflicts")
        conflicts_row = QHBoxLayout()
        conflicts_row.addWidget(self.conflict_title, 1)
        conflicts_row.addWidget(self.resolve_button)

        self.sign_button = _button("Sign…", "report_sign", self.sign)
        self.addendum_button = _button("Addendum…", "report_addendum", self.write_addendum)
        self.export_button = QToolButton()
        self.export_button.setObjectName("report_export")
        self.export_button.setText("Export")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.export_menu = QMenu(self.export_button)
        self.export_actions: dict[str, QAction] = {}
        for kind, text in EXPORTS:
            action = self.export_menu.addAction(text)
            action.setObjectName(f"report_export_{kind}")
            action.triggered.connect(lambda _=False, k=kind: self.export(k))
            self.export_actions[kind] = action
        self.export_button.setMenu(self.export_menu)
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
        layout.addLayout(choices)
        layout.addWidget(self.template_status)
        layout.addLayout(modes)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.status_label)
        layout.addWidget(self.recovery_frame)
        layout.addWidget(self.editor, 1)
        layout.addLayout(review)
        layout.addLayout(conflicts_row)
        layout.addWidget(self.conflict_list)
        layout.addLayout(actions)

    @property
    def store(self) -> DraftStore:
        if self._store_instance is None:
            from core.report.store import DraftStore

            self._store_instance = DraftStore()
        return self._store_instance

    # -- reading ---------------------------------------------------------------------------

    @property
    def report(self) -> Report | None:
        """The report in the panel, with the latest typing applied."""
        self.apply_edits()
        return self._report

    @property
    def _report(self) -> Report | None:
        return self._session.report if self._session is not None else None

    @property
    def study(self) -> StudyContext | None:
        return self._session.study if self._session is not None else None

    @property
    def issues(self) -> tuple[Any, ...]:
        """The grounding issues not resolved yet (GroundingIssue), in report order."""
        return self._session.issues if self._session is not None else ()

    @property
    def is_drafting(self) -> bool:
        return self._stream is not None or (self._job is not None and self._job.is_running)

    @property
    def is_saved(self) -> bool:
        """The report in the panel is the one on disk (typing applied first)."""
        return self.report is not None and self._session is not None and self._session.is_saved

    @property
    def is_saving(self) -> bool:
        return self._save_handle is not None and self._save_handle.is_running

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

    def set_language(self, language: str) -> None:
        if language not in [code for code, _ in LANGUAGE_CHOICES]:
            raise ValueError(f"language must be 'en' or 'zh-CN', found {language!r}")
        self._select_language(language)

    def _select_language(self, language: str) -> None:
        codes = [code for code, _ in LANGUAGE_CHOICES]
        self.language_combo.setCurrentIndex(codes.index(language) if language in codes else 0)

    def editor_text(self) -> str:
        return self.editor.toPlainText()

    def section_span(self, section: Section) -> tuple[int, int]:
        """``[start, end)`` of a section's text in the editor (UTF-16 positions)."""
        text = self.editor.toPlainText()
        start, end = section_body_ranges(text, self.editor._language)[Section(section)]
        offsets = utf16_offsets(text)
        return (start, end) if offsets is None else (offsets[start], offsets[end])

    def move_cursor_to_section(self, section: Section) -> None:
        """Put the cursor after the last character of a section's text (focus the editor)."""
        text = self.editor.toPlainText()
        start, end = section_body_ranges(text, self.editor._language)[Section(section)]
        end = start + len(text[start:end].rstrip())
        offsets = utf16_offsets(text)
        cursor = self.editor.textCursor()
        cursor.setPosition(end if offsets is None else offsets[end])
        self.editor.setTextCursor(cursor)
        self.editor.setFocus()

    def sentence_span(self, sentence_id: str) -> tuple[int, int]:
        """``[start, end)`` of a sentence in the editor (UTF-16 positions)."""
        self.apply_edits()
        for span in self._spans:
            if span.sentence_id == sentence_id:
                return self._to_document(span.start), self._to_document(span.end)
        raise KeyError(f"sentence {sentence_id!r} is not in the editor")

    def highlighted_sentences(self) -> dict[str, str]:
        """Sentence id → "conflict" or "unreviewed" for every sentence marked in the editor."""
        marks: dict[str, str] = {}
        conflicted = {issue.sentence_id for issue in self.issues}
        report = self._report
        if report is None:
            return marks
        for span in self._spans:
            _, sentence = report.find_sentence(span.sentence_id)
            if span.sentence_id in conflicted:
                marks[span.sentence_id] = "conflict"
            elif sentence.needs_review:
                marks[span.sentence_id] = "unreviewed"
        return marks

    def conflict_texts(self) -> list[str]:
        return [self.conflict_list.item(i).text() for i in range(self.conflict_list.count())]

    # -- the study ---------------------------------------------------------------------------

    def open_study_file(self, ref: FileRef) -> JobHandle:
        """Open the report of the study ``ref`` belongs to (its header is read in a job)."""
        if self._context_handle is not None and self._context_handle.is_running:
            self._context_handle.cancel()
        handle = workers.start_job(
            lambda token: read_study_context(ref, token), parent=self, name="report-context"
        )

        def on_succeeded(study: StudyContext) -> None:
            if self._context_handle is handle:
                self.open_study(study, source=ref)

        def on_failed(error: BaseException) -> None:
            if self._context_handle is handle and not isinstance(error, CancelledError):
                self._set_status(
                    f"The study's details could not be read: {describe_error(error)}", error=True
                )

        handle.succeeded.connect(on_succeeded)
        handle.failed.connect(on_failed)
        self._context_handle = handle
        return handle

    def _warm_up(self) -> None:
        workers.start_job(lambda token: _import_engine(), parent=self, name="report-warm-up")

    def open_study(self, study: StudyContext, *, source: FileRef | None = None) -> None:
        """Show the report of ``study``: its draft when there is one, else a new draft.

        A draft whose editing was interrupted (the app was killed) is shown read-only and
        offered back: :meth:`restore_draft` or :meth:`discard_draft`.
        """
        if not isinstance(study, StudyContext):
            raise TypeError(f"study must be a StudyContext, found {type(study).__name__}")
        if self.study is not None and self.study.study_instance_uid == study.study_instance_uid:
            assert self._session is not None
            self._session.source = source or self._session.source
            return
        self.close_study()
        session = ReportSession.open(
            study, store=self.store, language=self._settings.report_language, source=source
        )
        if not session.report.is_empty:
            self._select_language(session.report.language)
        self._session = session
        self._show(rerender=True)
        stored = session.stored
        if session.in_use_elsewhere:
            self._set_status(f"Read-only: {session.in_use_elsewhere}.", error=True)
        elif session.recovering and stored is not None:
            self.recovery_label.setText(
                "RadAssist stopped while this report was being written. The draft saved at "
                f"{_local_time(stored.modified_at)} is shown: restore it, or discard it and "
                "start again."
            )
            self.recovery_frame.show()
            self._update_buttons()
            self.recovery_offered.emit(stored)
        elif stored is not None:
            self._set_status(f"Draft of {_local_time(stored.modified_at)} reopened.")
        elif session.load_error:
            self._set_status(f"The saved draft could not be read: {session.load_error}", True)
        else:
            self._set_status("New report: draft it, or type.")
        self.study_opened.emit(study)

    def close_study(self) -> None:
        """Save what is typed, end the editing session, empty the panel."""
        self._cancel_stream(keep=True)
        for handle in (self._job, self._analysis_handle):
            if handle is not None and handle.is_running:
                handle.cancel()
        session = self._session
        if session is None:
            return
        if session.recovering or session.in_use_elsewhere:
            self._wait_for_save()  # nothing of this window's to save
        else:
            self.save_now(wait=True)
        session.close()
        self._session = None
        self._editor_dirty = False
        self._spans = ()
        self.recovery_frame.hide()
        self._show_nothing()

    def _show_nothing(self) -> None:
        self._programmatic += 1
        try:
            self.editor.setPlainText("")
        finally:
            self._programmatic -= 1
        self.editor.setPlaceholderText("Open a study to write its report.")
        self.editor.setExtraSelections([])
        self.state_label.setText("")
        self.banner.hide()
        self.conflict_list.clear()
        self.review_label.setText("")
        self._set_status("")
        self._update_buttons()

    def shutdown(self) -> None:
        """The window is closing: save, end the editing session, stop jobs."""
        self.close_study()
        for handle in (self._context_handle, self._export_handle):
            if handle is not None and handle.is_running:
                handle.cancel()

    def set_viewport(self, viewport: Viewport | None) -> None:
        """The viewport whose view (and heatmap) a PDF's key images show."""
        self._viewport = viewport

    # -- recovery ----------------------------------------------------------------------------

    @property
    def recovery_pending(self) -> bool:
        return self._recovering

    @property
    def _recovering(self) -> bool:
        return self._session is not None and self._session.recovering

    def restore_draft(self) -> None:
        """Keep the interrupted draft and go on editing it."""
        if self._session is None or not self._session.restore():
            return
        self.recovery_frame.hide()
        self._update_buttons()
        self._set_status("The interrupted draft was restored.")

    def discard_draft(self) -> None:
        """Throw the interrupted draft away and start an empty one (the journal keeps it)."""
        if self._session is None or not self._session.discard():
            return
        self.recovery_frame.hide()
        self._show(rerender=True)
        self.save_now()
        self._set_status("The interrupted draft was discarded.")

    # -- analysis ----------------------------------------------------------------------------

    def add_analysis(
        self, result: AnalysisResult, *, source: FileRef | None = None
    ) -> JobHandle | None:
        """An analysis of one of the study's images finished: the report is checked against
        the findings of every analysed image from now on.

        ``source`` is the analysed image (its Patient Orientation places the findings on
        the patient). A newer analysis of the same image by the same model replaces the
        older; a final report keeps the findings it was signed with.
        """
        session = self._session
        if session is None:
            return None
        handle = workers.start_job(
            lambda token: read_analysed_image(result, source), parent=self, name="report-image"
        )
        handle.succeeded.connect(lambda image: self._on_analysed_image_read(session, image))
        handle.failed.connect(self._on_findings_failed)
        return handle

    def _on_analysed_image_read(self, session: ReportSession, image: Any) -> None:
        if session is not self._session:
            return  # the study closed meanwhile
        images = session.add_analysis(image)
        if self._analysis_handle is not None and self._analysis_handle.is_running:
            self._analysis_handle.cancel()
        handle = workers.start_job(
            lambda token: session.context_of(images), parent=self, name="report-findings"
        )

        def on_succeeded(context: ReportContext) -> None:
            if self._analysis_handle is handle and session is self._session:
                self.set_context(context)

        handle.succeeded.connect(on_succeeded)
        handle.failed.connect(self._on_findings_failed)
        self._analysis_handle = handle

    def _on_findings_failed(self, error: BaseException) -> None:
        if not isinstance(error, CancelledError):
            self._set_status(f"The findings could not be read: {describe_error(error)}", True)

    def set_context(self, context: ReportContext) -> None:
        """Check the draft against ``context`` (new findings) from now on."""
        session = self._session
        if session is None or session.report.is_final:
            return
        self.apply_edits()
        if session.set_context(context):
            self._show(rerender=False)

    # -- editing -----------------------------------------------------------------------------

    def _on_editor_text_changed(self) -> None:
        if self._programmatic or self._report is None:
            return
        self._editor_dirty = True
        self._edit_timer.start()
        if not self._save_timer.isActive():
            self._save_timer.start()

    def _on_editor_heading_edit_refused(self) -> None:
        self._set_status("Section headings stay as they are; type in the text below them.")

    def _on_edit_timer_timeout(self) -> None:
        self.apply_edits()

    def apply_edits(self) -> None:
        """Take what the person typed into the report now (normally after a pause)."""
        session = self._session
        if not self._editor_dirty or session is None or self._stream is not None:
            return
        self._editor_dirty = False
        self._edit_timer.stop()
        if not session.editable:
            return
        texts = parse_editor_text(self.editor.toPlainText(), session.report.language)
        if session.apply_section_texts(texts):
            self._show(rerender=False)
        else:
            self._refresh_marks()

    def _show(self, *, rerender: bool) -> None:
        """Show the session's report after it changed (its text too with ``rerender``)."""
        session = self._session
        assert session is not None
        report = session.report
        if rerender:
            self._render(report)
        self.editor.set_language(report.language)
        self._refresh_marks()
        self._update_state()
        self._update_buttons()
        if session.needs_save and not self._save_timer.isActive():
            self._save_timer.start()
        self.report_changed.emit(report)

    def _render(self, report: Report) -> None:
        self._programmatic += 1
        try:
            self.editor.set_language(report.language)
            self.editor.setPlainText(render_report(report))
        finally:
            self._programmatic -= 1
        self._editor_dirty = False
        self.editor.setReadOnly(report.is_final or self._recovering or self._stream is not None)

    def _to_document(self, index: int) -> int:
        offsets = self._offsets
        return index if offsets is None else offsets[index]

    def _refresh_marks(self, shown: Report | None = None) -> None:
        """Shade unreviewed engine text, underline conflicts, list them.

        ``shown`` is the report the editor shows when it is not the panel's (while a
        language model writes into part of it).
        """
        report = shown if shown is not None else self._report
        text = self.editor.toPlainText()
        self._offsets = utf16_offsets(text)
        self._spans = locate_sentences(text, report) if report is not None else ()
        selections: list[QTextEdit.ExtraSelection] = []
        conflicted = {issue.sentence_id for issue in self.issues}
        if report is not None:
            by_id = {s.id: s for s in report.sentences()}
            for span in self._spans:
                sentence = by_id.get(span.sentence_id)
                if sentence is None:
                    continue
                if span.sentence_id not in conflicted and not sentence.needs_review:
                    continue
                fmt = QTextCharFormat()
                if span.sentence_id in conflicted:
                    fmt.setBackground(CONFLICT_BACKGROUND)
                    fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
                    fmt.setUnderlineColor(CONFLICT_UNDERLINE)
                else:
                    fmt.setBackground(UNREVIEWED_BACKGROUND)
                cursor = QTextCursor(self.editor.document())
                cursor.setPosition(self._to_document(span.start))
                cursor.setPosition(self._to_document(span.end), QTextCursor.MoveMode.KeepAnchor)
                selection = QTextEdit.ExtraSelection()
                selection.cursor = cursor  # type: ignore[misc]
                selection.format = fmt  # type: ignore[misc]
                selections.append(selection)
        self._marks = selections
        self.editor.setExtraSelections(selections)
        self._fill_conflicts()
        self._update_review_summary()

    def _fill_conflicts(self) -> None:
        report = self._report
        current = self.conflict_list.currentItem()
        keep = current.data(Qt.ItemDataRole.UserRole) if current is not None else None
        self.conflict_list.blockSignals(True)
        self.conflict_list.clear()
        for issue in self.issues if report is not None else ():
            if issue.sentence_id is None:  # a finding the text leaves out: no sentence
                row = f"Not mentioned — {issue.reason}"
            else:
                try:
                    section, sentence = report.find_sentence(issue.sentence_id)
                except KeyError:
                    continue
                heading = _section_title(section, report.language)
                row = f"{heading}: “{sentence.text}” — {issue.reason}"
            item = QListWidgetItem(row)
            item.setData(Qt.ItemDataRole.UserRole, issue.key)
            item.setData(Qt.ItemDataRole.UserRole + 1, issue.sentence_id or "")
            item.setToolTip(issue.reason)
            item.setForeground(CONFLICT_UNDERLINE)
            self.conflict_list.addItem(item)
            if issue.key == keep:
                self.conflict_list.setCurrentItem(item)
        self.conflict_list.blockSignals(False)
        count = self.conflict_list.count()
        self.conflict_title.setText(
            f"Grounding conflicts ({count})" if count else "Grounding conflicts: none"
        )
        self._update_resolve_button()

    def _update_resolve_button(self) -> None:
        # Resolve acts on the conflict the person chose in the list.
        chosen = self.conflict_list.currentItem() is not None
        self.resolve_button.setEnabled(chosen and self._editable_now())

    def _update_review_summary(self) -> None:
        report = self._report
        if report is None:
            self.review_label.setText("")
            return
        unreviewed = len(report.unreviewed())
        conflicts = sum(issue.is_conflict for issue in self.issues)
        omitted = len(self.issues) - conflicts
        if report.is_final:
            text = ""
        elif unreviewed or conflicts or omitted:
            parts = []
            if unreviewed:
                parts.append(f"{unreviewed} sentence{'s' if unreviewed != 1 else ''} to review")
            if conflicts:
                parts.append(f"{conflicts} conflict{'s' if conflicts != 1 else ''}")
            if omitted:
                parts.append(f"{omitted} not mentioned")
            text = " · ".join(parts)
        elif report.is_empty:
            text = ""
        else:
            text = "Everything reviewed"
        self.review_label.setText(text)

    def _update_state(self) -> None:
        report = self._report
        if report is None:
            self.state_label.setText("")
            return
        if report.is_final and report.signature is not None:
            signature = report.signature
            text = f"Final — signed by {signature.signer} at {_local_time(signature.signed_at)}"
            if signature.override_reason:
                text += " (review overridden)"
            self.state_label.setStyleSheet("QLabel { color: #2e7d32; font-weight: bold; }")
        else:
            saved = "saved" if self.is_saved else "not saved yet"
            text = f"Draft — revision {report.revision}, {saved}"
            self.state_label.setStyleSheet("")
        self.state_label.setText(text)
        self.banner.setVisible(report.context.is_demo)

    def _update_buttons(self) -> None:
        report = self._report
        drafting = self.is_drafting
        editable = self._editable_now()
        llm = self.engine == "llm"
        for mode, button in self.mode_buttons.items():
            blocked = self._template_block(mode)
            usable = (llm or mode != "rewrite") and blocked is None
            button.setEnabled(editable and not drafting and usable)
            if mode != "rewrite":
                button.setToolTip(blocked or "")
        self.mode_buttons["rewrite"].setToolTip(
            "The language model rewrites the selected sentences"
            if llm
            else "Rewriting needs the language model (choose it above)"
        )
        self.stop_button.setEnabled(self._stream is not None)
        self.language_combo.setEnabled(not drafting)
        self.engine_combo.setEnabled(not drafting)
        has_text = report is not None and not report.is_empty
        self.review_button.setEnabled(editable and has_text)
        self.review_all_button.setEnabled(editable and bool(report and report.unreviewed()))
        self._update_resolve_button()
        self.sign_button.setEnabled(editable and has_text)
        self.addendum_button.setEnabled(report is not None and report.is_final)
        self.export_button.setEnabled(report is not None and has_text and not self._recovering)
        self.editor.setReadOnly(not editable)
        if report is not None and not report.is_final:
            self.editor.setPlaceholderText("")

    def _on_language_combo_changed(self, _: int) -> None:
        # An empty draft takes the language at once (its headings); a written one keeps
        # its own until the next whole draft.
        self.apply_edits()
        session = self._session
        if session is not None and self._stream is None and session.take_language(self.language):
            self._show(rerender=True)
        self._update_buttons()  # the templates of one language may be unusable

    def _on_engine_combo_changed(self, _: int) -> None:
        self._settings.report_engine = self.engine
        self._update_buttons()

    # -- review ------------------------------------------------------------------------------

    def _selected_sentence_ids(self) -> list[str]:
        cursor = self.editor.textCursor()
        start, end = cursor.selectionStart(), cursor.selectionEnd()
        ids = []
        for span in self._spans:
            s, e = self._to_document(span.start), self._to_document(span.end)
            if (start < e and s < end) or (start == end and s <= start <= e):
                ids.append(span.sentence_id)
        return ids

    def mark_selection_reviewed(self) -> int:
        """Mark the sentences the selection touches (or the one at the cursor) reviewed."""
        self.apply_edits()
        session = self._session
        if session is None or not self._editable_now():
            return 0
        ids = self._selected_sentence_ids()
        if not ids:
            self._set_status("Put the cursor in a sentence, or select sentences, to mark them.")
            return 0
        if session.mark_reviewed(ids):
            self._show(rerender=False)
        self._set_status(f"{len(ids)} sentence{'s' if len(ids) != 1 else ''} marked reviewed.")
        return len(ids)

    def mark_all_reviewed(self) -> None:
        """Mark every sentence reviewed (the person has read the whole report)."""
        self.apply_edits()
        session = self._session
        if session is None or not self._editable_now():
            return
        if session.mark_reviewed():
            self._show(rerender=False)
        self._set_status("Every sentence is marked reviewed.")

    def _editable_now(self) -> bool:
        return self._session is not None and self._session.editable and self._stream is None

    def resolve_issue(self, key: str) -> None:
        """Keep the text a grounding issue questions: it no longer blocks signing."""
        self.apply_edits()
        session = self._session
        if session is None or not self._editable_now():
            return
        omitted = any(issue.key == key and not issue.is_conflict for issue in self.issues)
        if session.resolve_issue(key):
            self._show(rerender=False)
        self._set_status(
            "Acknowledged: the report leaves that finding out."
            if omitted
            else "Conflict resolved: the sentence stands as written."
        )

    def _on_resolve_clicked(self) -> None:
        item = self.conflict_list.currentItem()
        if item is not None:
            self.resolve_issue(str(item.data(Qt.ItemDataRole.UserRole)))

    def _on_conflict_list_item_clicked(self, item: QListWidgetItem) -> None:
        self._select_sentence(str(item.data(Qt.ItemDataRole.UserRole + 1)))

    def _on_conflict_list_current_changed(self, item: QListWidgetItem | None, _: object) -> None:
        self._update_resolve_button()
        if item is not None:
            self._select_sentence(str(item.data(Qt.ItemDataRole.UserRole + 1)))

    def _select_sentence(self, sentence_id: str) -> None:
        try:
            start, end = self.sentence_span(sentence_id)
        except KeyError:
            return
        cursor = self.editor.textCursor()
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        self.editor.setTextCursor(cursor)
        self.editor.ensureCursorVisible()

    def _tooltip_at(self, position: int) -> str:
        report = self._report
        if report is None:
            return ""
        for span in self._spans:
            if self._to_document(span.start) <= position < self._to_document(span.end):
                _, sentence = report.find_sentence(span.sentence_id)
                lines = []
                if sentence.origin is not Origin.PERSON:
                    who = _ORIGIN_TEXT[sentence.origin]
                    source = f" ({sentence.source})" if sentence.source else ""
                    state = "reviewed" if sentence.reviewed else "not reviewed yet"
                    lines.append(f"{who} text{source}, {state}")
                lines.extend(
                    f"Conflict: {issue.reason}"
                    for issue in self.issues
                    if issue.sentence_id == sentence.id
                )
                return "\n".join(lines)
        return ""

    # -- drafting ----------------------------------------------------------------------------

    def draft(self, mode: str = "report") -> JobHandle | None:
        """Draft with the chosen engine: "report" (all of it), "rewrite", "impression".

        Returns the job's handle; None when nothing was started (the status says why).
        """
        if mode not in dict(MODES):
            raise ValueError(f"mode must be one of {[m for m, _ in MODES]}, found {mode!r}")
        self.apply_edits()
        report = self._report
        if report is None or not self._editable_now() or self.is_drafting:
            return None
        blocked = self._template_block(mode)
        if blocked is not None:
            self._set_status(blocked, error=True)
            return None
        if mode == "report" and not report.is_empty and not self._confirm_replace(report):
            return None
        if self.engine == "llm":
            return self._draft_with_language_model(mode)
        if mode == "rewrite":
            self._set_status("Rewriting needs the language model: choose it above.", error=True)
            return None
        return self._draft_with_templates(mode)

    def set_resource_problems(self, problems: Sequence[ResourceProblem]) -> None:
        """Missing or damaged resources (the window's install check): the template ones
        are said above the drafting buttons and disable template drafts in their language."""
        self.template_status.set_problems(problems)
        self._update_buttons()

    def _template_block(self, mode: str) -> str | None:
        """Why the templates cannot draft ``mode`` now (its language's file is unusable)."""
        if self.engine == "llm" or mode == "rewrite":
            return None  # not a template draft
        report = self._report
        language = self.language if mode == "report" or report is None else report.language
        return self.template_status.block_reason(language)

    def _confirm_replace(self, report: Report) -> bool:
        person = any(s.origin is Origin.PERSON for s in report.sentences())
        if not person and not any(s.reviewed for s in report.sentences()):
            return True  # only unreviewed engine text is replaced
        answer = QMessageBox.question(
            self,
            "Replace the draft?",
            "Drafting the whole report replaces the text written and reviewed so far.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def _draft_with_templates(self, mode: str) -> JobHandle:
        report = self._report
        assert report is not None
        language = self.language if mode == "report" else report.language
        context = report.context
        self._set_status("Drafting from the templates…")
        handle = workers.start_job(
            lambda token: _template_job(context, language, token),
            parent=self,
            name="draft-template",
        )
        handle.succeeded.connect(lambda drafted: self._on_template_drafted(handle, mode, drafted))
        handle.failed.connect(lambda error: self._on_draft_failed(handle, error))
        handle.finished.connect(self._update_buttons)
        self._job = handle
        self._update_buttons()
        self.draft_started.emit(mode)
        return handle

    def _on_template_drafted(self, handle: JobHandle, mode: str, drafted: Report) -> None:
        if handle is not self._job:
            return
        self.apply_edits()
        session = self._session
        if session is None or not self._editable_now():
            return
        session.apply_template_draft(drafted, mode)
        self._show(rerender=True)
        report = session.report
        count = sum(1 for s in report.sentences() if s.needs_review)
        self._set_status(f"Drafted from the templates: {count} sentences to review.")
        self.draft_finished.emit(report)

    def _on_draft_failed(self, handle: JobHandle, error: BaseException) -> None:
        if handle is not self._job or isinstance(error, CancelledError):
            return
        text = describe_error(error)
        self._set_status(f"Drafting failed: {text}", error=True)
        self.draft_failed.emit(text)

    def _draft_with_language_model(self, mode: str) -> JobHandle | None:
        report = self._report
        assert report is not None
        folder = self._settings.report_model_folder
        if not folder:
            self._set_status(
                "No language model is chosen: set its folder in Settings → Reporting.", error=True
            )
            self.draft_failed.emit("no language model folder")
            self.settings_requested.emit()
            return None
        selection: str | None = None
        section: Section | None = None
        replace: tuple[int, int] | None = None
        shown: Report | None = None  # what the editor shows around the model's text
        language = self.language if mode == "report" else report.language
        if mode == "rewrite":
            ids = self._selected_sentence_ids()
            if not self.editor.textCursor().hasSelection() or not ids:
                self._set_status("Select the sentences to rewrite first.", error=True)
                return None
            sections = {report.find_sentence(i)[0] for i in ids}
            if len(sections) != 1:
                self._set_status("Select sentences of one section to rewrite.", error=True)
                return None
            section = sections.pop()
            items = report.sections[section]
            indices = [i for i, s in enumerate(items) if s.id in ids]
            replace = (indices[0], indices[-1] + 1)
            chosen = items[replace[0] : replace[1]]
            selection = (
                " ".join(s.text for s in chosen)
                if language == "en"
                else "".join(s.text for s in chosen)
            )
            spans = [s for s in self._spans if s.sentence_id in {c.id for c in chosen}]
            start, end = self._to_document(spans[0].start), self._to_document(spans[-1].end)
            cursor = QTextCursor(self.editor.document())
            self._programmatic += 1
            try:
                cursor.setPosition(start)
                cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
                cursor.removeSelectedText()
            finally:
                self._programmatic -= 1
            position = start
            shown = report.with_sentences(section, items[: replace[0]] + items[replace[1] :])
        elif mode == "impression":
            section = Section.IMPRESSION
            shown = report.with_sentences(Section.IMPRESSION, ())
            self._programmatic += 1
            try:
                self.editor.setPlainText(render_report(shown))
            finally:
                self._programmatic -= 1
            text = self.editor.toPlainText()
            start, _ = section_body_ranges(text, report.language)[Section.IMPRESSION]
            offsets = utf16_offsets(text)
            position = start if offsets is None else offsets[start]
        else:
            self._programmatic += 1
            try:
                self.editor.setPlainText("")
                self.editor.set_language(language)
            finally:
                self._programmatic -= 1
            position = 0
        self.editor.document().setUndoRedoEnabled(False)
        if shown is not None:
            self._refresh_marks(shown)  # the text around the model's keeps its marks
        else:
            self._clear_marks()
        stream = _Stream(
            mode=mode,
            language=language,
            model_name=Path(folder).name,
            position=position,
            start=position,
            section=section,
            replace=replace,
        )
        context = report.context
        max_new_tokens = self._settings.report_max_new_tokens
        temperature = self._settings.report_temperature
        handle = workers.start_job(
            lambda token: _language_model_job(
                folder, context, mode, language, max_new_tokens, temperature, selection, token
            ),
            parent=self,
            name="draft-llm",
        )
        stream.handle = handle
        handle.event_emitted.connect(lambda event: self._on_stream_event(stream, event))
        handle.succeeded.connect(lambda result: self._on_stream_succeeded(stream, result))
        handle.failed.connect(lambda error: self._on_stream_failed(stream, error))
        self._stream = stream
        self.progress_bar.setRange(0, 0)
        self.progress_bar.setFormat("Starting the language model")
        self.progress_bar.show()
        self._set_status(f"The language model {stream.model_name} is writing…")
        self._update_buttons()
        self.draft_started.emit(mode)
        return handle

    def _on_stream_event(self, stream: _Stream, event: object) -> None:
        if stream is not self._stream:
            return
        if isinstance(event, Progress):
            if event.total > 0:
                self.progress_bar.setRange(0, event.total)
                self.progress_bar.setValue(min(event.done, event.total))
            self.progress_bar.setFormat(event.message or "%p%")
            return
        chunk = getattr(event, "text", None)
        if not isinstance(chunk, str) or not chunk:
            return
        if stream.first_chunk is None:
            stream.first_chunk = time.perf_counter()
            self.progress_bar.hide()
        stream.chunks.append(chunk)
        stream.tokens += int(getattr(event, "tokens", 0) or 0)
        cursor = QTextCursor(self.editor.document())
        self._programmatic += 1
        try:
            cursor.setPosition(min(stream.position, self.editor.document().characterCount() - 1))
            cursor.insertText(chunk)
        finally:
            self._programmatic -= 1
        stream.position = cursor.position()
        self._show_stream_marks(stream)
        self.editor.setTextCursor(cursor)
        self.editor.ensureCursorVisible()
        self.text_streamed.emit(chunk)

    def _clear_marks(self) -> None:
        self._marks = []
        self.editor.setExtraSelections([])

    def _show_stream_marks(self, stream: _Stream) -> None:
        """The model's text so far, shaded as unreviewed engine text from the first token."""
        cursor = QTextCursor(self.editor.document())
        cursor.setPosition(stream.start)
        cursor.setPosition(stream.position, QTextCursor.MoveMode.KeepAnchor)
        fmt = QTextCharFormat()
        fmt.setBackground(UNREVIEWED_BACKGROUND)
        selection = QTextEdit.ExtraSelection()
        selection.cursor = cursor  # type: ignore[misc]
        selection.format = fmt  # type: ignore[misc]
        self.editor.setExtraSelections([*self._marks, selection])

    def _on_stream_succeeded(self, stream: _Stream, draft: Any) -> None:
        if stream is not self._stream:
            return
        stream.model_name = draft.model_name or stream.model_name
        self._finish_stream(stream, draft)
        if draft.sentences:
            self._set_status(
                f"Written by the language model {stream.model_name}: {draft.new_tokens} tokens "
                f"in {draft.seconds:.1f} s. Review its text before signing."
            )

    def _on_stream_failed(self, stream: _Stream, error: BaseException) -> None:
        if stream is not self._stream:
            return  # stopped already: the panel finished it at once
        self._stream = None
        self.progress_bar.hide()
        self.editor.document().setUndoRedoEnabled(True)
        self._show(rerender=True)  # the text as it was before
        if isinstance(error, CancelledError):
            self._set_status("Stopped.")
            return
        text = describe_error(error)
        self._set_status(f"The language model could not write: {text}", error=True)
        self.draft_failed.emit(text)

    def stop(self) -> None:
        """Stop the language model now: what it wrote stays, as its (unreviewed) text."""
        if self._stream is not None:
            self._cancel_stream(keep=True)
            return
        if self._job is not None and self._job.is_running:
            self._job.cancel()
            self._set_status("Stopped.")

    def _cancel_stream(self, *, keep: bool) -> None:
        stream = self._stream
        if stream is None:
            return
        if stream.handle is not None:
            stream.handle.cancel()
        if keep and stream.text.strip():
            self._finish_stream(stream, self._stopped_draft(stream))
            self._set_status(
                f"Stopped: the {len(stream.text)} characters written so far are kept for review."
            )
        else:
            self._stream = None
            self.progress_bar.hide()
            self.editor.document().setUndoRedoEnabled(True)
            self._show(rerender=True)
            self._set_status("Stopped before the language model wrote anything.")

    def _stopped_draft(self, stream: _Stream) -> Any:
        """What a stopped model wrote, as the engine's :class:`LanguageModelDraft`."""
        first = stream.first_chunk
        return stopped_language_model_draft(
            stream.text,
            stream.mode,
            stream.language,
            stream.model_name,
            tokens=stream.tokens,
            seconds=time.perf_counter() - stream.started,
            time_to_first_token=None if first is None else first - stream.started,
        )

    def _finish_stream(self, stream: _Stream, draft: Any) -> None:
        """Put what the model wrote into the report (its sentences unreviewed)."""
        self._stream = None
        self.progress_bar.hide()
        self.editor.document().setUndoRedoEnabled(True)
        session = self._session
        if session is None:
            return
        if not tuple(draft.sentences):
            self._show(rerender=True)
            self._set_status("The language model wrote no text; the report is unchanged.")
            self.draft_finished.emit(session.report)
            return
        rewrite = None
        if stream.section is not None and stream.replace is not None:
            rewrite = (stream.section, *stream.replace)
        session.apply_language_model_draft(draft, rewrite=rewrite)
        self._show(rerender=True)
        self.draft_finished.emit(session.report)

    # -- signing -----------------------------------------------------------------------------

    def sign(self) -> SigningBlockedDialog | None:
        """Sign the report; while items need review, the dialog listing them (override).

        Returns the dialog when signing is blocked, else None (signed, or why not in the
        status line).
        """
        self.apply_edits()
        report = self._report
        if report is None or not self._editable_now():
            return None
        signer = self._signer()
        if not signer:
            return None
        if report.is_empty:
            self._set_status("The report is empty: there is nothing to sign.", error=True)
            return None
        assert self._session is not None
        blockers = self._session.signing_blockers()
        if not blockers:
            self._sign(signer, None)
            return None
        dialog = SigningBlockedDialog(blockers, self)
        dialog.override_confirmed.connect(
            lambda reason: self._sign(self._settings.report_signer, reason)
        )
        self._keep_dialog(dialog)
        return dialog

    def _signer(self) -> str:
        """The settings' user who signs; "" (and the settings asked for) when not set."""
        signer = self._settings.report_signer
        if not signer:
            self._set_status("Set your name in Settings → Reporting to sign.", error=True)
            self.settings_requested.emit()
        return signer

    def _sign(self, signer: str, reason: str | None) -> None:
        session = self._session
        if session is None or session.report.is_final:
            return
        try:
            signed = session.sign(signer, override_reason=reason)
        except RadAssistError as error:
            self._set_status(str(error), error=True)
            return
        self._show(rerender=True)
        self.save_now()
        self._set_status(f"Signed by {signer}. The report is final: add an addendum to amend it.")
        self.report_signed.emit(signed)

    def write_addendum(self) -> AddendumDialog | None:
        """On a final report: the dialog for an addendum (signed by the settings' user)."""
        report = self._report
        if report is None or not report.is_final:
            return None
        signer = self._signer()
        if not signer:
            return None
        dialog = AddendumDialog(signer, self)
        dialog.addendum_written.connect(self.add_addendum)
        self._keep_dialog(dialog)
        return dialog

    def add_addendum(self, text: str) -> None:
        """Add ``text`` to the final report as an addendum signed by the settings' user."""
        session = self._session
        if session is None:
            return
        try:
            session.add_addendum(text, self._settings.report_signer)
        except RadAssistError as error:
            self._set_status(str(error), error=True)
            return
        self._show(rerender=True)
        self.save_now()
        self._set_status("Addendum added and signed.")

    def _keep_dialog(self, dialog: QWidget) -> None:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        self._dialogs.append(dialog)
        dialog.destroyed.connect(lambda *_: self._dialogs.remove(dialog))
        dialog.open()  # type: ignore[attr-defined]

    # -- saving ------------------------------------------------------------------------------

    def _on_save_timer_timeout(self) -> None:
        self.apply_edits()
        self.save_now()

    def save_now(self, *, wait: bool = False) -> None:
        """Save the draft if it changed (on a job thread; ``wait`` blocks until saved)."""
        self.apply_edits()
        session = self._session
        if session is None or session.recovering or session.in_use_elsewhere:
            return
        if self.is_saving:
            self._save_again = True
            if wait:
                self._wait_for_save()
                self.save_now(wait=True)
            return
        report = session.report_to_save()
        if report is None:
            return
        if wait:
            try:
                session.save()
            except (RadAssistError, OSError) as error:
                self._on_save_failed(error)
                return
            self._on_saved(report)
            return
        store = self.store
        handle = workers.start_job(lambda token: store.save(report), name="report-save")
        handle.succeeded.connect(lambda _: self._on_saved(report))
        handle.failed.connect(self._on_save_failed)
        handle.finished.connect(self._on_save_finished)
        self._save_handle = handle

    def _wait_for_save(self) -> None:
        if self._save_handle is not None and self._save_handle.is_running:
            self._save_handle.wait(10.0)

    def _on_saved(self, report: Report) -> None:
        self._last_save_error = ""
        session = self._session
        if session is not None and session.study.study_instance_uid == report.study_instance_uid:
            session.mark_saved(report)
            self._update_state()
        self.report_saved.emit(report.revision)

    def _on_save_failed(self, error: BaseException) -> None:
        text = describe_error(error)
        if text != self._last_save_error:
            logger.warning("the draft could not be saved: %s", text)
        self._last_save_error = text
        self._set_status(f"The draft could not be saved: {text}", error=True)

    def _on_save_finished(self) -> None:
        again, self._save_again = self._save_again, False
        unsaved = self._session is not None and self._session.needs_save
        if unsaved and (again or not self._save_timer.isActive()):
            self._save_timer.start()

    # -- export ------------------------------------------------------------------------------

    def export(self, kind: str) -> JobHandle | None:
        """Export the report ("text", "pdf", "pdf_images", "sr") into the export folder."""
        if kind not in dict(EXPORTS):
            raise ValueError(f"kind must be one of {[k for k, _ in EXPORTS]}, found {kind!r}")
        self.apply_edits()
        report = self._report
        if report is None or report.is_empty:
            self._set_status("There is no report to export.", error=True)
            return None
        key_images: list[Any] = self.key_images() if kind == "pdf_images" else []
        source = self._session.source if self._session is not None else None
        handle = workers.start_job(
            lambda token: export_report(kind, report, source, key_images, token),
            parent=self,
            name="report-export",
        )
        handle.succeeded.connect(self._on_export_succeeded)
        handle.failed.connect(self._on_export_failed)
        self._export_handle = handle
        self._set_status(f"Exporting ({dict(EXPORTS)[kind]})…")
        return handle

    def key_images(self) -> list[Any]:
        """The current view and, when there is one, its heatmap, as export key images."""
        viewport = self._viewport
        if viewport is None or viewport.volume is None:
            return []
        overlays = viewport.overlays_visible
        heatmap_on = viewport.heatmap_enabled
        has_heatmap = viewport.heatmap_frame is not None
        images = []
        try:
            viewport.set_overlays_visible(False)  # no patient text burnt into the images
            if has_heatmap:
                viewport.set_heatmap_visible(False)
            images.append(_key_image("Image as viewed", viewport.grab_view()))
            if has_heatmap:
                viewport.set_heatmap_visible(True)
                if viewport.heatmap_visible:
                    caption = viewport.heatmap_caption.replace("\n", " — ") or "AI heatmap"
                    images.append(_key_image(caption, viewport.grab_view()))
        finally:
            viewport.set_overlays_visible(overlays)
            if has_heatmap:
                viewport.set_heatmap_visible(heatmap_on)
        return images

    def _on_export_succeeded(self, path: Path) -> None:
        self._set_status(f"Exported to {path}")
        self.exported.emit(Path(path))

    def _on_export_failed(self, error: BaseException) -> None:
        if isinstance(error, CancelledError):
            return
        text = describe_error(error)
        self._set_status(f"Export failed: {text}", error=True)
        self.export_failed.emit(text)

    # -- status ------------------------------------------------------------------------------

    def _set_status(self, text: str, error: bool = False) -> None:
        self.status_label.setStyleSheet("QLabel { color: #c82828; }" if error else "")
        self.status_label.setText(text)


def _import_engine() -> None:
    import importlib

    for name in (
        "psutil",
        "core.report.store",
        "core.report.context",
        "core.report.grounding",
        "core.report.templates",
    ):
        importlib.import_module(name)
