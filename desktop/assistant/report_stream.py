"""Drafting into the report's editor: the draft jobs, and a language model's streaming.

:func:`template_job` and :func:`language_model_job` run on the job pool (the engine's
modules are imported there); the language model itself runs in its own process
(:mod:`core.report.llm`: the GUI process never imports torch). :class:`DraftStreamer`
makes room in the editor and starts the model; a :class:`DraftStream` knows where the
model's text goes, and each chunk the job yields is written there
(:meth:`DraftStream.write`), shaded as unreviewed engine text from the first token. Stop
keeps what was written so far: :meth:`DraftStream.stopped_draft` reads it as the
engine's draft. What the report makes of a draft is the panel's to ask of
:class:`~core.report.workflow.ReportSession`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from core.jobs import CancelToken, Progress
from core.report.document import Report, ReportContext, Section, join_sentences
from core.report.workflow import ReportSession, stopped_language_model_draft
from desktop import workers
from desktop.assistant.report_editor import ReportEditor
from desktop.assistant.report_layout import render_report

if TYPE_CHECKING:
    from core.report.llm import EngineSpec, LanguageModelDraft
    from desktop.workers import JobHandle

logger = logging.getLogger(__name__)

__all__ = [
    "DraftStream",
    "DraftStreamer",
    "engine_model_name",
    "engine_spec",
    "language_model_job",
    "template_job",
]

#: A language model as Settings gives it (:meth:`Settings.report_language_model`), or a
#: local model folder.
EngineFields = Mapping[str, Any] | str


def engine_spec(engine: EngineFields) -> EngineSpec:
    """The core engine of ``engine``'s fields (on a job thread: it imports the engine)."""
    # lazy: on the job thread; the engine's modules would cost the GUI thread
    from core.report.llm import EngineSpec

    if isinstance(engine, str):
        return EngineSpec.local(engine)  # a .gguf file: llama.cpp; a folder: transformers
    if engine.get("kind") == "endpoint":
        return EngineSpec.endpoint(
            str(engine["base_url"]),
            str(engine["model"]),
            ca_bundle=str(engine.get("ca_bundle") or ""),
            read_timeout_s=float(engine.get("read_timeout_s") or 60.0),
            structured=str(engine.get("structured") or "auto"),
        )
    return EngineSpec.local(str(engine["path"]))


def engine_model_name(engine: EngineFields) -> str:
    """What the panel calls the model (the server's model name, or the folder's)."""
    if isinstance(engine, str):
        return Path(engine).name
    if engine.get("kind") == "endpoint":
        return str(engine.get("model", ""))
    return Path(str(engine.get("path", ""))).name


def template_job(context: ReportContext, language: str, token: CancelToken) -> Report:
    """The template draft job (on the job pool): the templates' report of ``context``."""
    # lazy: on the job thread; the engine's modules would cost the GUI thread
    from core.report.templates import draft_template_report

    token.raise_if_cancelled()
    return draft_template_report(context, language)


def language_model_job(
    engine: EngineFields,
    context: ReportContext,
    mode: str,
    language: str,
    max_new_tokens: int,
    temperature: float,
    selection: str | None,
    token: CancelToken,
    idle_release_s: float | None = None,
) -> Generator[Any, None, Any]:
    """The draft job (on the job pool): the model's chunks, then its draft."""
    # lazy: on the job thread; the engine's modules would cost the GUI thread
    from core.report.llm import (
        DraftMode,
        GenerationSettings,
        draft_with_language_model,
        set_language_model_idle_release,
    )

    if idle_release_s is not None:
        set_language_model_idle_release(idle_release_s)
    settings = GenerationSettings(max_new_tokens=max_new_tokens, temperature=temperature)
    result = yield from draft_with_language_model(
        engine_spec(engine),
        context,
        DraftMode(mode),
        language,
        settings,
        token,
        selection=selection,
    )
    return result


@dataclass(eq=False)
class DraftStream:
    """A language model writing into the editor."""

    editor: ReportEditor
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

    @property
    def rewrite(self) -> tuple[Section, int, int] | None:
        """``(section, i, j)``: the sentences a rewrite replaces; None for other drafts."""
        if self.section is None or self.replace is None:
            return None
        return (self.section, *self.replace)

    def write(self, chunk: str, tokens: int = 0) -> None:
        """Put a chunk of the model's text into the editor, after the previous one."""
        if self.first_chunk is None:
            self.first_chunk = time.perf_counter()
        self.chunks.append(chunk)
        self.tokens += tokens
        self.position = self.editor.insert_text(self.position, chunk)
        self.editor.shade_unreviewed(self.start, self.position)

    def restart(self) -> None:
        """The engine starts the draft again: what it wrote so far leaves the editor."""
        self.editor.remove_range(self.start, self.position)
        self.position = self.start
        self.chunks.clear()
        self.tokens = 0
        self.first_chunk = None

    def cancel(self) -> None:
        if self.handle is not None:
            self.handle.cancel()

    def stopped_draft(self) -> LanguageModelDraft:
        """What a stopped model wrote, as the engine's :class:`LanguageModelDraft`."""
        first = self.first_chunk
        return stopped_language_model_draft(
            self.text,
            self.mode,
            self.language,
            self.model_name,
            tokens=self.tokens,
            seconds=time.perf_counter() - self.started,
            time_to_first_token=None if first is None else first - self.started,
        )


class DraftStreamer(QObject):
    """Streams one language model draft at a time into the editor.

    :meth:`start` makes room in the editor for the model's text (the selected sentences
    of a rewrite, the impression, or everything for a whole report) and starts the
    job; the model's text then appears where the room was. The report itself is not
    touched: what the draft means for it is the panel's to ask of the session.

    Signals
    -------
    progressed(object)
        A :class:`~core.jobs.Progress` of the model starting (before its text).
    text_streamed(str)
        A chunk of the model's text is in the editor.
    written(object, object)
        The :class:`DraftStream` and the engine's ``LanguageModelDraft``: the model
        finished.
    failed(object, object)
        The :class:`DraftStream` and the error (a ``CancelledError`` too); not after
        :meth:`stop`.
    """

    progressed = Signal(object)
    text_streamed = Signal(str)
    written = Signal(object, object)
    failed = Signal(object, object)

    def __init__(self, editor: ReportEditor, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._editor = editor
        self._stream: DraftStream | None = None

    @property
    def stream(self) -> DraftStream | None:
        """The draft being written, None when the model is not writing."""
        return self._stream

    @property
    def is_writing(self) -> bool:
        return self._stream is not None

    def start(
        self,
        session: ReportSession,
        mode: str,
        language: str,
        engine: EngineFields,
        *,
        rewrite: tuple[Section, int, int] | None = None,
        max_new_tokens: int,
        temperature: float,
        idle_release_s: float | None = None,
    ) -> JobHandle:
        """Start the model on ``session``'s report, its text going into the editor.

        ``rewrite`` ``(section, i, j)``: the sentences a "rewrite" replaces
        (:meth:`~core.report.workflow.ReportSession.rewrite_range`).
        """
        if self._stream is not None:
            raise RuntimeError("a language model is writing already")
        report = session.report
        editor = self._editor
        selection: str | None = None
        section: Section | None = None
        replace: tuple[int, int] | None = None
        shown: Report | None = None  # what the editor shows around the model's text
        if mode == "rewrite":
            if rewrite is None:
                raise ValueError("a rewrite needs the sentences it replaces")
            section, first, last = rewrite
            replace = (first, last)
            items = report.sections[section]
            chosen = items[first:last]
            selection = join_sentences((s.text for s in chosen), language)
            position = editor.sentence_span(chosen[0].id)[0]
            editor.remove_range(position, editor.sentence_span(chosen[-1].id)[1])
            shown = report.with_sentences(section, items[:first] + items[last:])
        elif mode == "impression":
            section = Section.IMPRESSION
            shown = report.with_sentences(Section.IMPRESSION, ())
            editor.show_text(render_report(shown))
            position = editor.section_span(Section.IMPRESSION)[0]
        else:
            editor.show_text("", language)
            position = 0
        editor.document().setUndoRedoEnabled(False)
        if shown is not None:  # the text around the model's keeps its marks
            editor.show_sentences(shown, {issue.sentence_id for issue in session.issues})
        else:
            editor.clear_marks()
        stream = DraftStream(
            editor,
            mode=mode,
            language=language,
            model_name=engine_model_name(engine),
            position=position,
            start=position,
            section=section,
            replace=replace,
        )
        context = report.context
        handle = workers.start_job(
            lambda token: language_model_job(
                engine,
                context,
                mode,
                language,
                max_new_tokens,
                temperature,
                selection,
                token,
                idle_release_s,
            ),
            parent=self,
            name="draft-llm",
        )
        stream.handle = handle
        handle.event_emitted.connect(lambda event: self._on_job_event(stream, event))
        handle.succeeded.connect(lambda result: self._on_job_succeeded(stream, result))
        handle.failed.connect(lambda error: self._on_job_failed(stream, error))
        self._stream = stream
        return handle

    def stop(self) -> DraftStream | None:
        """Stop the model now; the draft it was writing (None when it was not)."""
        stream = self._stream
        if stream is None:
            return None
        stream.cancel()
        self._end()
        return stream

    def _end(self) -> None:
        self._stream = None
        self._editor.document().setUndoRedoEnabled(True)

    def _on_job_event(self, stream: DraftStream, event: object) -> None:
        if stream is not self._stream:
            return
        if isinstance(event, Progress):
            self.progressed.emit(event)
            return
        if hasattr(event, "reason") and not hasattr(event, "text"):
            # core.report.llm.DraftRestarted (checked by shape: importing the engine
            # would cost the GUI thread): the draft is asked for again.
            stream.restart()
            return
        chunk = getattr(event, "text", None)
        if not isinstance(chunk, str) or not chunk:
            return
        stream.write(chunk, int(getattr(event, "tokens", 0) or 0))
        self.text_streamed.emit(chunk)

    def _on_job_succeeded(self, stream: DraftStream, draft: LanguageModelDraft) -> None:
        if stream is not self._stream:
            return
        stream.model_name = draft.model_name or stream.model_name
        self._end()
        self.written.emit(stream, draft)

    def _on_job_failed(self, stream: DraftStream, error: BaseException) -> None:
        if stream is not self._stream:
            return  # stopped already
        self._end()
        self.failed.emit(stream, error)
