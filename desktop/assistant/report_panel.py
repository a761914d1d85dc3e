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

This module connects the panel's rooms and forwards what a person does to the session:
its widgets and their layout (:mod:`~desktop.assistant.report_panel_widgets`: the
drafting bar of :mod:`~desktop.assistant.report_draft_bar`, the review bar of
:mod:`~desktop.assistant.report_review`, the Export menu of
:mod:`~desktop.assistant.report_export`), the editor
(:mod:`~desktop.assistant.report_editor`; what its text means,
:mod:`~desktop.assistant.report_layout`), drafting into it
(:mod:`~desktop.assistant.report_stream`), the findings the report is checked against
(:mod:`~desktop.assistant.report_findings`), saving
(:mod:`~desktop.assistant.report_saver`) and the panel's wording
(:mod:`~desktop.assistant.report_texts`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from core.errors import CancelledError, RadAssistError
from core.report.document import PriorComparison, Report, ReportContext, Section, StudyContext
from core.report.store import DraftStore
from core.report.workflow import ReportSession, describe_error, export_report, read_study_context
from desktop import workers
from desktop.assistant.report_dialogs import (
    LANGUAGE_CHOICES,
    AddendumDialog,
    SigningBlockedDialog,
)
from desktop.assistant.report_draft_bar import ENGINES, MODES
from desktop.assistant.report_editor import ReportEditor
from desktop.assistant.report_export import EXPORTS, export_formats, grab_key_images
from desktop.assistant.report_findings import FindingsFeed
from desktop.assistant.report_layout import local_time, parse_editor_text, render_report
from desktop.assistant.report_panel_widgets import ReportPanelWidgets
from desktop.assistant.report_saver import DraftSaver
from desktop.assistant.report_stream import (
    DraftStream,
    DraftStreamer,
    engine_model_name,
    template_job,
)
from desktop.assistant.report_texts import sentence_tooltip
from desktop.number_format import decimal
from desktop.settings import Settings
from desktop.workers import JobSlot

if TYPE_CHECKING:
    from core.analysis.inference import AnalysisResult
    from core.archive import Archive
    from core.dicom.records import FileRef
    from core.report.store import DraftStore
    from core.resource_check import ResourceProblem
    from desktop.settings import Settings
    from desktop.viewer.viewport import Viewport
    from desktop.workers import JobHandle

logger = logging.getLogger(__name__)

# ReportEditor lives in report_editor; named here for older imports.
__all__ = ["ENGINES", "EXPORTS", "MODES", "ReportEditor", "ReportPanel"]


class ReportPanel(ReportPanelWidgets):
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
        if settings is None:
            settings = Settings()
        super().__init__(parent, engine=settings.report_engine, language=settings.report_language)
        #: The window's study archive when it is open (priors for the Comparison section).
        self.archive_provider: Callable[[], Archive | None] = lambda: None
        self._settings = settings
        self._store_instance = store
        # The engine's modules (and psutil, for the editing lock) load on a worker once
        # the window is up: imported on the GUI thread by the first study they cost it
        # ~45 ms in one piece.
        QTimer.singleShot(0, self._warm_up)
        self._session: ReportSession | None = None  # the report's rules and state
        self._draft_slot = JobSlot(self, name="draft-template")
        self._context_slot = JobSlot(self, name="report-context")
        self._export_handle: JobHandle | None = None  # the last export (exports overlap)
        self._viewport: Viewport | None = None
        self._dialogs: list[QWidget] = []

        self._streamer = DraftStreamer(self.editor, self)
        self._findings = FindingsFeed(self)
        self._saver = DraftSaver(self)
        self._connect()
        self._show_nothing()

    def _connect(self) -> None:
        self.draft_bar.draft_requested.connect(self.draft)
        self.draft_bar.stop_requested.connect(self.stop)
        self.draft_bar.engine_changed.connect(self._on_draft_bar_engine_changed)
        self.draft_bar.language_changed.connect(self._on_draft_bar_language_changed)
        self.restore_button.clicked.connect(self.restore_draft)
        self.discard_button.clicked.connect(self.discard_draft)
        self.editor.tooltip_provider = self._tooltip_at
        self.editor.text_edited.connect(self._on_editor_text_edited)
        self.editor.typing_paused.connect(self.apply_edits)
        self.editor.heading_edit_refused.connect(self._on_editor_heading_edit_refused)
        self.review_bar.mark_selection_requested.connect(self.mark_selection_reviewed)
        self.review_bar.mark_all_requested.connect(self.mark_all_reviewed)
        self.review_bar.resolve_requested.connect(self.resolve_issue)
        self.review_bar.sentence_chosen.connect(self._select_sentence)
        self.sign_button.clicked.connect(self.sign)
        self.addendum_button.clicked.connect(self.write_addendum)
        self.export_button.export_requested.connect(self.export)
        self._streamer.progressed.connect(self.draft_bar.show_progress)
        self._streamer.text_streamed.connect(self._on_streamer_text_streamed)
        self._streamer.written.connect(self._on_streamer_written)
        self._streamer.failed.connect(self._on_streamer_failed)
        self._findings.context_built.connect(self.set_context)
        self._findings.failed.connect(self._on_findings_failed)
        self._saver.due.connect(self._on_saver_due)
        self._saver.saved.connect(self._on_saver_saved)
        self._saver.failed.connect(self._on_saver_failed)

    @property
    def store(self) -> DraftStore:
        if self._store_instance is None:
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
        return self._streamer.is_writing or self._draft_slot.is_running

    @property
    def is_saved(self) -> bool:
        """The report in the panel is the one on disk (typing applied first)."""
        return self.report is not None and self._session is not None and self._session.is_saved

    @property
    def is_saving(self) -> bool:
        return self._saver.is_saving

    @property
    def engine(self) -> str:
        return self.draft_bar.engine

    def set_engine(self, engine: str) -> None:
        self.draft_bar.set_engine(engine)

    @property
    def language(self) -> str:
        """The language of the next whole draft."""
        return self.draft_bar.language

    def set_language(self, language: str) -> None:
        if language not in [code for code, _ in LANGUAGE_CHOICES]:
            raise ValueError(f"language must be 'en' or 'zh-CN', found {language!r}")
        self.draft_bar.select_language(language)

    def editor_text(self) -> str:
        return self.editor.toPlainText()

    def section_span(self, section: Section) -> tuple[int, int]:
        """``[start, end)`` of a section's text in the editor (UTF-16 positions)."""
        return self.editor.section_span(section)

    def move_cursor_to_section(self, section: Section) -> None:
        """Put the cursor after the last character of a section's text (focus the editor)."""
        self.editor.move_cursor_to_section(section)

    def sentence_span(self, sentence_id: str) -> tuple[int, int]:
        """``[start, end)`` of a sentence in the editor (UTF-16 positions)."""
        self.apply_edits()
        return self.editor.sentence_span(sentence_id)

    def highlighted_sentences(self) -> dict[str, str]:
        """Sentence id → "conflict" or "unreviewed" for every sentence marked in the editor."""
        return self.editor.marked_sentences() if self._report is not None else {}

    def conflict_texts(self) -> list[str]:
        return self.review_bar.conflict_texts()

    # -- the study ---------------------------------------------------------------------------

    def open_study_file(self, ref: FileRef) -> JobHandle:
        """Open the report of the study ``ref`` belongs to (its header is read in a job)."""

        def on_failed(error: BaseException) -> None:
            if not isinstance(error, CancelledError):
                said = self.tr("The study's details could not be read: {reason}")
                self._say(said, True, reason=describe_error(error))

        archive = self.archive_provider()  # names the prior the Comparison compares with
        return self._context_slot.start(
            lambda token: read_study_context(ref, token, archive=archive),
            on_result=lambda study: self.open_study(study, source=ref),
            on_error=on_failed,
        )

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
            self.draft_bar.select_language(session.report.language)
        self._session = session
        self._saver.session = self._findings.session = session
        self._show(rerender=True)
        stored = session.stored
        if session.in_use_elsewhere:
            self._say(self.tr("Read-only: {why}."), True, why=session.in_use_elsewhere)
        elif session.recovering and stored is not None:
            self.offer_recovery(stored.modified_at)
            self._update_buttons()
            self.recovery_offered.emit(stored)
        elif stored is not None:
            self._say(self.tr("Draft of {time} reopened."), time=local_time(stored.modified_at))
        elif session.load_error:
            said = self.tr("The saved draft could not be read: {reason}")
            self.set_status(said.format(reason=session.load_error), True)
        else:
            self.set_status(self.tr("New report: draft it, or type."))
        self.study_opened.emit(study)

    def close_study(self) -> None:
        """Save what is typed, end the editing session, empty the panel."""
        self._cancel_stream(keep=True)
        self._context_slot.cancel()  # a study closed while its header is read opens no report
        self._draft_slot.cancel()
        self._findings.cancel()
        session = self._session
        if session is None:
            return
        if not (session.recovering or session.in_use_elsewhere):
            self.apply_edits()  # what was typed is saved
        self._saver.close()  # saves and ends the editing on a job; waits for it, bounded
        self._session = None
        self._findings.session = None
        self.editor.forget_sentences()
        self.recovery_frame.hide()
        self._show_nothing()

    def _show_nothing(self) -> None:
        self.editor.show_text("")
        self.editor.setPlaceholderText(self.tr("Open a study to write its report."))
        self.editor.clear_marks()
        self.state_label.setText("")
        self.banner.hide()
        self.conflict_list.clear()
        self.review_label.setText("")
        self.set_status("")
        self._update_buttons()

    def shutdown(self) -> None:
        """The window is closing: save, end the editing session, stop jobs."""
        self.close_study()
        self._context_slot.cancel()
        if self._export_handle is not None:
            self._export_handle.cancel()

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
        self.set_status(self.tr("The interrupted draft was restored."))

    def discard_draft(self) -> None:
        """Throw the interrupted draft away and start an empty one (the journal keeps it)."""
        if self._session is None or not self._session.discard():
            return
        self.recovery_frame.hide()
        self._show(rerender=True)
        self.save_now()
        self.set_status(self.tr("The interrupted draft was discarded."))

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
        return self._findings.add(result, source)

    def _on_findings_failed(self, text: str) -> None:
        self._say(self.tr("The findings could not be read: {reason}"), True, reason=text)

    def set_context(self, context: ReportContext) -> None:
        """Check the draft against ``context`` (new findings) from now on."""
        session = self._session
        if session is None or session.report.is_final:
            return
        self.apply_edits()
        if session.set_context(context):
            self._show(rerender=False)

    def compare_with(self, comparison: PriorComparison | None) -> None:
        """Name ``comparison`` in the Comparison section from now on (a prior retrieved
        from the PACS after the study opened); a final report keeps its own."""
        session = self._session
        if session is None or session.report.is_final:
            return
        session.study = replace(session.study, comparison=comparison)  # later contexts too
        self.set_context(replace(session.report.context, study=session.study))

    # -- editing -----------------------------------------------------------------------------

    def _on_editor_text_edited(self) -> None:
        if self._report is not None:
            self._saver.schedule()

    def _on_editor_heading_edit_refused(self) -> None:
        self.set_status(self.tr("Section headings stay as they are; type in the text below them."))

    def apply_edits(self) -> None:
        """Take what the person typed into the report now (normally after a pause)."""
        session = self._session
        if session is None or self._streamer.is_writing:
            return
        text = self.editor.take_edits()
        if text is None or not session.editable:
            return
        texts = parse_editor_text(text, session.report.language)
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
        if session.needs_save:
            self._saver.schedule()
        self.report_changed.emit(report)

    def _render(self, report: Report) -> None:
        self.editor.show_text(render_report(report), report.language)
        self.editor.setReadOnly(report.is_final or self._recovering or self._streamer.is_writing)

    def _refresh_marks(self, shown: Report | None = None) -> None:
        """Shade unreviewed engine text, underline conflicts, list them.

        ``shown`` is the report the editor shows when it is not the panel's (while a
        language model writes into part of it).
        """
        report = shown if shown is not None else self._report
        self.editor.show_sentences(report, {issue.sentence_id for issue in self.issues})
        self.review_bar.show_review(self._report, self.issues, editable=self._editable_now())

    def _update_state(self) -> None:
        report = self._report
        if report is None:
            self.state_label.setText("")
        else:
            self.show_state(report, saved=self.is_saved)

    def _update_buttons(self) -> None:
        report = self._report
        drafting = self.is_drafting
        editable = self._editable_now()
        self.draft_bar.update_buttons(
            editable=editable,
            drafting=drafting,
            writing=self._streamer.is_writing,
            blocked={mode: self._template_block(mode) for mode, _ in MODES},
        )
        has_text = report is not None and not report.is_empty
        self.review_bar.set_editable(report, editable=editable)
        self.sign_button.setEnabled(editable and has_text)
        self.addendum_button.setEnabled(report is not None and report.is_final)
        self.export_button.setEnabled(report is not None and has_text and not self._recovering)
        self.editor.setReadOnly(not editable)
        if report is not None and not report.is_final:
            self.editor.setPlaceholderText("")

    def _on_draft_bar_language_changed(self, _: str) -> None:
        # An empty draft takes the language at once (its headings); a written one keeps
        # its own until the next whole draft.
        self.apply_edits()
        session = self._session
        if (
            session is not None
            and not self._streamer.is_writing
            and session.take_language(self.language)
        ):
            self._show(rerender=True)
        self._update_buttons()  # the templates of one language may be unusable

    def _on_draft_bar_engine_changed(self, _: str) -> None:
        self._settings.report_engine = self.engine
        self._update_buttons()

    # -- review ------------------------------------------------------------------------------

    def mark_selection_reviewed(self) -> int:
        """Mark the sentences the selection touches (or the one at the cursor) reviewed."""
        self.apply_edits()
        session = self._session
        if session is None or not self._editable_now():
            return 0
        ids = self.editor.selected_sentence_ids()
        if not ids:
            self.set_status(
                self.tr("Put the cursor in a sentence, or select sentences, to mark them.")
            )
            return 0
        if session.mark_reviewed(ids):
            self._show(rerender=False)
        one, many = (
            self.tr("1 sentence marked reviewed."),
            self.tr("{count} sentences marked reviewed."),
        )
        self._say(one if len(ids) == 1 else many, count=len(ids))
        return len(ids)

    def mark_all_reviewed(self) -> None:
        """Mark every sentence reviewed (the person has read the whole report)."""
        self.apply_edits()
        session = self._session
        if session is None or not self._editable_now():
            return
        if session.mark_reviewed():
            self._show(rerender=False)
        self.set_status(self.tr("Every sentence is marked reviewed."))

    def _editable_now(self) -> bool:
        return (
            self._session is not None and self._session.editable and not self._streamer.is_writing
        )

    def resolve_issue(self, key: str) -> None:
        """Keep the text a grounding issue questions: it no longer blocks signing."""
        self.apply_edits()
        session = self._session
        if session is None or not self._editable_now():
            return
        omitted = any(issue.key == key and not issue.is_conflict for issue in self.issues)
        if session.resolve_issue(key):
            self._show(rerender=False)
        self.set_status(
            self.tr("Acknowledged: the report leaves that finding out.")
            if omitted
            else self.tr("Conflict resolved: the sentence stands as written.")
        )

    def _select_sentence(self, sentence_id: str) -> None:
        try:
            start, end = self.sentence_span(sentence_id)
        except KeyError:
            return
        self.editor.select_range(start, end)

    def _tooltip_at(self, position: int) -> str:
        report = self._report
        sentence_id = self.editor.sentence_at(position)
        if report is None or sentence_id is None:
            return ""
        _, sentence = report.find_sentence(sentence_id)
        return sentence_tooltip(sentence, self.issues)

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
            self.set_status(blocked, error=True)
            return None
        if mode == "report" and not report.is_empty and not self._confirm_replace():
            return None
        if self.engine == "llm":
            return self._draft_with_language_model(mode)
        if mode == "rewrite":
            self._say(self.tr("Rewriting needs the language model: choose it above."), True)
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
        session = self._session
        language = self.language if session is None else session.draft_language(mode, self.language)
        return self.template_status.block_reason(language)

    def _confirm_replace(self) -> bool:
        if self._session is None or not self._session.draft_replaces_work:
            return True  # only unreviewed engine text is replaced
        answer = QMessageBox.question(
            self,
            self.tr("Replace the draft?"),
            self.tr("Drafting the whole report replaces the text written and reviewed so far."),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def _draft_with_templates(self, mode: str) -> JobHandle:
        session = self._session
        assert session is not None
        language = session.draft_language(mode, self.language)
        context = session.report.context
        self.set_status(self.tr("Drafting from the templates…"))
        handle = self._draft_slot.start(
            lambda token: template_job(context, language, token),
            on_result=lambda drafted: self._on_template_drafted(mode, drafted),
            on_error=self._on_draft_failed,
            on_finished=self._update_buttons,
        )
        self._update_buttons()
        self.draft_started.emit(mode)
        return handle

    def _on_template_drafted(self, mode: str, drafted: Report) -> None:
        self.apply_edits()
        session = self._session
        if session is None or not self._editable_now():
            return
        session.apply_template_draft(drafted, mode)
        self._show(rerender=True)
        report = session.report
        count = sum(1 for s in report.sentences() if s.needs_review)
        self._say(self.tr("Drafted from the templates: {count} sentences to review."), count=count)
        self.draft_finished.emit(report)

    def _on_draft_failed(self, error: BaseException) -> None:
        if isinstance(error, CancelledError):
            return
        text = describe_error(error)
        self.set_status(self.tr("Drafting failed: {reason}").format(reason=text), error=True)
        self.draft_failed.emit(text)

    def _draft_with_language_model(self, mode: str) -> JobHandle | None:
        session = self._session
        assert session is not None
        engine = self._settings.report_language_model()
        if engine is None:
            self.set_status(
                self.tr(
                    "No language model is chosen: set its folder or server in Settings → Reporting."
                ),
                error=True,
            )
            self.draft_failed.emit("no language model folder")
            self.settings_requested.emit()
            return None
        rewrite: tuple[Section, int, int] | None = None
        if mode == "rewrite":
            ids = self.editor.selected_sentence_ids()
            if not self.editor.textCursor().hasSelection() or not ids:
                self.set_status(self.tr("Select the sentences to rewrite first."), error=True)
                return None
            rewrite = session.rewrite_range(ids)
            if rewrite is None:
                self.set_status(self.tr("Select sentences of one section to rewrite."), error=True)
                return None
        handle = self._streamer.start(
            session,
            mode,
            session.draft_language(mode, self.language),
            engine,
            rewrite=rewrite,
            max_new_tokens=self._settings.report_max_new_tokens,
            temperature=self._settings.report_temperature,
            idle_release_s=60.0 * self._settings.report_idle_release_min,
        )
        self.draft_bar.show_starting()
        self.set_status(
            self.tr("The language model {model} is writing…").format(
                model=engine_model_name(engine)
            )
        )
        self._update_buttons()
        self.draft_started.emit(mode)
        return handle

    def _on_streamer_text_streamed(self, chunk: str) -> None:
        self.draft_bar.hide_progress()  # the model is writing: no more "starting"
        self.text_streamed.emit(chunk)

    def _on_streamer_written(self, stream: DraftStream, draft: Any) -> None:
        self._finish_stream(stream, draft)
        if draft.sentences:
            said = self.tr(
                "Written by the language model {model}: {tokens} tokens in {seconds} s. "
                "Review its text before signing."
            )
            said = said.format(
                model=stream.model_name, tokens=draft.new_tokens, seconds=decimal(draft.seconds, 1)
            )
            if getattr(draft, "incomplete", ""):
                why = self.tr("Incomplete ({why}): what arrived is kept. ")
                said = why.format(why=draft.incomplete) + said
            if getattr(draft, "wrong_language", False):
                said = self.tr("The model wrote in the other language (asked twice). ") + said
            self.set_status(said, error=bool(draft.incomplete or draft.wrong_language))

    def _say(self, text: str, error: bool = False, **values: object) -> None:
        """The status line says ``text`` (translated), its ``{placeholders}`` filled."""
        self.set_status(text.format(**values) if values else text, error)

    def _on_streamer_failed(self, _: DraftStream, error: BaseException) -> None:
        self.draft_bar.hide_progress()
        self._show(rerender=True)  # the text as it was before
        if isinstance(error, CancelledError):
            self.set_status(self.tr("Stopped."))
            return
        text = describe_error(error)
        said = self.tr("The language model could not write: {reason}").format(reason=text)
        self.set_status(said, error=True)
        self.draft_failed.emit(text)

    def stop(self) -> None:
        """Stop the language model now: what it wrote stays, as its (unreviewed) text."""
        if self._streamer.is_writing:
            self._cancel_stream(keep=True)
            return
        if self._draft_slot.is_running:
            self._draft_slot.cancel()
            self.set_status(self.tr("Stopped."))

    def _cancel_stream(self, *, keep: bool) -> None:
        stream = self._streamer.stop()
        if stream is None:
            return
        if keep and stream.text.strip():
            self._finish_stream(stream, stream.stopped_draft())
            self.set_status(
                self.tr(
                    "Stopped: the {count} characters written so far are kept for review."
                ).format(count=len(stream.text))
            )
        else:
            self.draft_bar.hide_progress()
            self._show(rerender=True)
            self.set_status(self.tr("Stopped before the language model wrote anything."))

    def _finish_stream(self, stream: DraftStream, draft: Any) -> None:
        """Put what the model wrote into the report (its sentences unreviewed)."""
        self.draft_bar.hide_progress()
        session = self._session
        if session is None:
            return
        if not tuple(draft.sentences):
            self._show(rerender=True)
            self.set_status(self.tr("The language model wrote no text; the report is unchanged."))
            self.draft_finished.emit(session.report)
            return
        session.apply_language_model_draft(draft, rewrite=stream.rewrite)
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
            self.set_status(self.tr("The report is empty: there is nothing to sign."), error=True)
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
            self.set_status(self.tr("Set your name in Settings → Reporting to sign."), error=True)
            self.settings_requested.emit()
        return signer

    def _sign(self, signer: str, reason: str | None) -> None:
        session = self._session
        if session is None or session.report.is_final:
            return
        try:
            signed = session.sign(signer, override_reason=reason)
        except RadAssistError as error:
            self.set_status(str(error), error=True)
            return
        self._show(rerender=True)
        self.save_now()
        self.set_status(
            self.tr("Signed by {signer}. The report is final: add an addendum to amend it.").format(
                signer=signer
            )
        )
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
            self.set_status(str(error), error=True)
            return
        self._show(rerender=True)
        self.save_now()
        self.set_status(self.tr("Addendum added and signed."))

    def _keep_dialog(self, dialog: QWidget) -> None:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        self._dialogs.append(dialog)
        dialog.destroyed.connect(lambda *_: self._dialogs.remove(dialog))
        dialog.open()  # type: ignore[attr-defined]

    # -- saving ------------------------------------------------------------------------------

    def _on_saver_due(self) -> None:
        self.apply_edits()
        self.save_now()

    def save_now(self) -> None:
        """Save the draft if it changed (on a job thread)."""
        self.apply_edits()
        self._saver.save()

    def _on_saver_saved(self, report: Report) -> None:
        self._update_state()
        self.report_saved.emit(report.revision)

    def _on_saver_failed(self, text: str) -> None:
        self.set_status(
            self.tr("The draft could not be saved: {reason}").format(reason=text), error=True
        )

    # -- export ------------------------------------------------------------------------------

    def export(self, kind: str) -> JobHandle | None:
        """Export the report ("text", "pdf", "pdf_images", "sr") into the export folder."""
        if kind not in dict(EXPORTS):
            raise ValueError(f"kind must be one of {[k for k, _ in EXPORTS]}, found {kind!r}")
        self.apply_edits()
        report = self._report
        if report is None or report.is_empty:
            self.set_status(self.tr("There is no report to export."), error=True)
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
        what = dict(export_formats())[kind]
        self.set_status(self.tr("Exporting ({what})…").format(what=what))
        return handle

    def key_images(self) -> list[Any]:
        """The current view and, when there is one, its heatmap, as export key images."""
        return grab_key_images(self._viewport)

    def _on_export_succeeded(self, path: Path) -> None:
        self.set_status(self.tr("Exported to {path}").format(path=path))
        self.exported.emit(Path(path))

    def _on_export_failed(self, error: BaseException) -> None:
        if isinstance(error, CancelledError):
            return
        text = describe_error(error)
        self.set_status(self.tr("Export failed: {reason}").format(reason=text), error=True)
        self.export_failed.emit(text)


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
