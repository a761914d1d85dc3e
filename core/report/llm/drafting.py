"""Drafting: the engine the report panel and the CLI call (:func:`draft_with_language_model`).

Drafting is a job: the model runs in one long-lived child process
(:class:`~core.worker_process.WorkerProcess`, its side in :mod:`core.report.llm.child`),
so the GUI process never imports torch; the model stays loaded there between drafts.
The job yields :class:`~core.jobs.Progress` while the model loads, then a
:class:`~core.report.llm.protocol.TextChunk` for every piece of text as the tokens are
decoded (streamed through the pipe one token at a time), and returns a
:class:`LanguageModelDraft` whose sentences are marked
:attr:`~core.report.document.Origin.LANGUAGE_MODEL`, unreviewed (house rule 9).
Cancelling stops at once: the job returns what has arrived (``stopped=True``) and the
child's generation stops at its next token.

The prompt comes from :mod:`core.report.prompt` alone (house rule 8).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Generator, Mapping
from dataclasses import dataclass
from os import PathLike
from typing import Any

from core.errors import CancelledError
from core.jobs import CancelToken, Job, Progress
from core.report.document import SECTION_ORDER, Report, ReportContext, Section, Sentence
from core.report.llm.child import make_draft_handler
from core.report.llm.errors import LanguageModelProcessError
from core.report.llm.inspection import LanguageModelInfo, available_memory, inspect_model_folder
from core.report.llm.parsing import draft_sections
from core.report.llm.protocol import (
    DraftOutcome,
    DraftRequest,
    GenerationSettings,
    GenerationStarted,
    TextChunk,
)
from core.report.prompt import DraftMode, _check_language, _check_mode_selection, build_messages
from core.worker_process import WorkerProcess

logger = logging.getLogger(__name__)

__all__ = [
    "LanguageModelDraft",
    "apply_language_model_draft",
    "draft_with_language_model",
    "get_language_model_process",
    "shutdown_language_model_process",
]


@dataclass(frozen=True)
class LanguageModelDraft:
    """What the language model wrote.

    Attributes
    ----------
    text : str
        Everything it wrote (what the text chunks add up to).
    sections : mapping of Section to tuple of Sentence
        The text by section (headings parsed by :func:`parse_sections`; text before
        any heading goes to the mode's section: findings for a report or a rewrite,
        impression for an impression); sentences are language-model text, unreviewed,
        ``source`` the model's name. Only the sections it wrote.
    stopped : bool
        Cancelled before the model finished: ``text`` is what had arrived.
    new_tokens : int
    seconds : float
        From the start of generation (the model loaded) to the end, as the caller saw it.
    time_to_first_token : float
        From the start of generation to the first text chunk, as the caller saw it
        (includes templating, tokenising and the pipe); NaN when no text came.
    model_name : str
        The model folder's name.
    mode : DraftMode
    language : str
    load_seconds : float
        Time the child spent loading the model (0 when it was cached).
    prompt_tokens : int
    chat_template : bool
        The tokenizer's chat template built the prompt (else a plain prompt).
    generate_seconds : float
        Time of ``model.generate`` in the child (0 when stopped).
    streaming_seconds : float
        Of that, the time the engine's streamer and stop check took (decoding each
        token, sending text): with ``seconds - generate_seconds`` it is the engine's own
        cost, the rest is the model's.
    """

    text: str
    sections: Mapping[Section, tuple[Sentence, ...]]
    stopped: bool
    new_tokens: int
    seconds: float
    time_to_first_token: float
    model_name: str
    mode: DraftMode = DraftMode.REPORT
    language: str = "en"
    load_seconds: float = 0.0
    prompt_tokens: int = 0
    chat_template: bool = False
    generate_seconds: float = 0.0
    streaming_seconds: float = 0.0

    @property
    def sentences(self) -> tuple[Sentence, ...]:
        """Every sentence, in report order (a rewrite replaces the selection with these)."""
        return tuple(s for section in SECTION_ORDER for s in self.sections.get(section, ()))

    @property
    def tokens_per_second(self) -> float:
        return self.new_tokens / self.seconds if self.seconds > 0 else float("nan")


def apply_language_model_draft(report: Report, draft: LanguageModelDraft) -> Report:
    """The report with a whole-report or impression draft in place.

    A report draft replaces every section the model wrote (the others stay), except
    Comparison when the archive named a prior study: the model is never told of it (dates
    and descriptions stay out of the prompt), so what it writes there cannot be right. An
    impression draft replaces the impression. A rewrite replaces a selection, which
    only the caller knows: use :meth:`Report.replace_sentence_text` with
    ``draft.sentences``.

    Raises
    ------
    ValueError
        ``draft`` is a rewrite.
    ReportStateError
        The report is final.
    """
    if not isinstance(report, Report):
        raise TypeError(f"report must be a Report, found {type(report).__name__}")
    if not isinstance(draft, LanguageModelDraft):
        raise TypeError(f"draft must be a LanguageModelDraft, found {type(draft).__name__}")
    if draft.mode is DraftMode.REWRITE:
        raise ValueError("a rewrite replaces the selection: use Report.replace_sentence_text")
    if draft.mode is DraftMode.IMPRESSION:
        return report.with_sentences(Section.IMPRESSION, draft.sentences)
    prior_named = report.context.study.comparison is not None
    for section in SECTION_ORDER:
        if section is Section.COMPARISON and prior_named:
            continue
        if draft.sections.get(section):
            report = report.with_sentences(section, draft.sections[section])
    return report


_shared: WorkerProcess | None = None
_shared_lock = threading.Lock()
# The model loaded in the shared process: its memory is in use already (the same model
# needs no more) or comes back before another one loads.
_resident: LanguageModelInfo | None = None


def get_language_model_process() -> WorkerProcess:
    """The child process shared by every draft (the model stays loaded in it)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = WorkerProcess(
                make_draft_handler,
                name="radassist-language-model",
                description="language model",
                task="draft",
                error=LanguageModelProcessError,
            )
        return _shared


def shutdown_language_model_process() -> None:
    """Stop the shared language-model process (application exit, tests); frees its memory."""
    with _shared_lock:
        process = _shared
    if process is not None:
        process.shutdown()


def draft_with_language_model(
    folder: str | PathLike[str],
    context: ReportContext,
    mode: DraftMode,
    language: str,
    settings: GenerationSettings | None = None,
    token: CancelToken | None = None,
    selection: str | None = None,
) -> Job[LanguageModelDraft]:
    """Draft report text with the language model in ``folder`` (a job).

    Arguments are checked at once (TypeError / ValueError); the folder is inspected
    (:func:`inspect_model_folder`) when the job starts, so its refusals come out of the
    job. The model loads in the language-model process (cached there for the next
    draft).

    Parameters
    ----------
    folder : str or PathLike
        A Hugging Face causal-LM folder.
    context : ReportContext
        The findings and study facts (the prompt holds nothing else).
    mode : DraftMode
    language : {"en", "zh-CN"}
    settings : GenerationSettings, optional
        Default: greedy, 512 new tokens at most.
    token : CancelToken, optional
        Cancelling ends the job at once with what has arrived (``stopped=True``).
    selection : str, optional
        The text to rewrite (REWRITE only).

    Yields
    ------
    Progress
        While the process starts and the model loads ("Loading model ..."), then once
        when generation begins.
    TextChunk
        Text as it is generated.

    Returns
    -------
    LanguageModelDraft

    Raises
    ------
    LanguageModelError
        The folder is refused (see :func:`inspect_model_folder`), or the model fails to
        load or to run (:class:`ModelLoadError`).
    LanguageModelProcessError
        The child process died (the next draft starts a new one).
    """
    if not isinstance(folder, str | PathLike):
        raise TypeError(f"folder must be a str or PathLike, found {type(folder).__name__}")
    if not isinstance(context, ReportContext):
        raise TypeError(f"context must be a ReportContext, found {type(context).__name__}")
    language = _check_language(language)
    draft_mode = _check_mode_selection(mode, selection)
    if settings is None:
        settings = GenerationSettings()
    elif not isinstance(settings, GenerationSettings):
        raise TypeError(f"settings must be GenerationSettings, found {type(settings).__name__}")
    if token is not None and not isinstance(token, CancelToken):
        raise TypeError(f"token must be a CancelToken, found {type(token).__name__}")
    return _draft(
        folder, context, draft_mode, language, settings, token or CancelToken(), selection
    )


def _draft(
    folder: str | PathLike[str],
    context: ReportContext,
    mode: DraftMode,
    language: str,
    settings: GenerationSettings,
    token: CancelToken,
    selection: str | None,
) -> Generator[Any, None, LanguageModelDraft]:
    global _resident
    process = get_language_model_process()
    resident = _resident if process.is_alive else None
    usable = available_memory() if resident is not None else -1
    info = inspect_model_folder(
        folder,
        available_memory_bytes=usable + resident.memory_needed
        if resident is not None and usable >= 0
        else None,
    )
    messages = build_messages(context, mode, language, selection)
    request = DraftRequest(info, messages, settings)
    if resident is not None and (resident.folder, resident.fingerprint) != (
        info.folder,
        info.fingerprint,
    ):
        _resident = None  # the child lets the old model go before it loads this one
    job = process.call(request, token, wait_on_cancel=False)
    chunks: list[str] = []
    tokens = 0
    started = time.perf_counter()
    first: float | None = None
    load_seconds = 0.0
    outcome: DraftOutcome | None = None
    try:
        while True:
            try:
                event = next(job)
            except StopIteration as stop:
                outcome = stop.value
                break
            if isinstance(event, TextChunk):
                if first is None:
                    first = time.perf_counter()
                chunks.append(event.text)
                tokens += event.tokens
                yield event
            elif isinstance(event, GenerationStarted):
                _resident = info
                started = time.perf_counter()
                load_seconds = event.load_seconds
                yield Progress(2, 2, f"Writing with {info.name}")
            else:
                yield event
    except CancelledError:
        logger.info("language-model draft stopped after %d token(s)", tokens)
    finally:
        job.close()  # when the caller stopped listening: tells the child to stop
    ended = time.perf_counter()
    if outcome is None:
        outcome = DraftOutcome("".join(chunks), tokens, 0, False, True)
    return LanguageModelDraft(
        text=outcome.text,
        sections=draft_sections(outcome.text, mode, language, info.name),
        stopped=outcome.stopped,
        new_tokens=outcome.new_tokens,
        seconds=ended - started,
        time_to_first_token=(first - started) if first is not None else float("nan"),
        model_name=info.name,
        mode=mode,
        language=language,
        load_seconds=load_seconds,
        prompt_tokens=outcome.prompt_tokens,
        chat_template=outcome.chat_template,
        generate_seconds=outcome.generate_seconds,
        streaming_seconds=outcome.streaming_seconds,
    )
