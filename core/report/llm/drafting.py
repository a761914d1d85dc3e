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
from dataclasses import dataclass, replace
from os import PathLike
from typing import Any, Final

from core.errors import CancelledError
from core.jobs import CancelToken, Job, Progress
from core.report.document import (
    SECTION_ORDER,
    Origin,
    Report,
    ReportContext,
    Section,
    Sentence,
)
from core.report.llm.child import make_draft_handler
from core.report.llm.endpoint import stream_chat_completion
from core.report.llm.engines import EngineSpec
from core.report.llm.errors import LanguageModelProcessError
from core.report.llm.gguf import GgufModelInfo, inspect_gguf_file, report_grammar
from core.report.llm.inspection import LanguageModelInfo, available_memory, inspect_model_folder
from core.report.llm.parsing import draft_sections, wrong_language
from core.report.llm.protocol import (
    DraftOutcome,
    DraftRequest,
    DraftRestarted,
    GenerationSettings,
    GenerationStarted,
    TextChunk,
)
from core.report.llm.structured import ReportConstraints, report_constraints
from core.report.prompt import (
    GIVEN_SECTIONS,
    MODEL_SECTIONS,
    DraftMode,
    _check_language,
    _check_mode_selection,
    build_messages,
)
from core.report.templates import TemplateError, draft_template_sections, load_templates
from core.worker_process import WorkerProcess

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_IDLE_RELEASE_S",
    "LanguageModelDraft",
    "apply_language_model_draft",
    "draft_with_language_model",
    "get_language_model_process",
    "language_model_process_is_running",
    "set_language_model_idle_release",
    "shutdown_language_model_process",
    "try_engine",
]

#: What Settings' "Test" asks for: one sentence, no patient data.
_TRY_MESSAGES: Final = (
    {"role": "system", "content": "You write chest radiograph reports in English."},
    {"role": "user", "content": "Write one sentence of a normal chest radiograph report."},
)


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
    engine : {"transformers", "endpoint", "gguf"}
        The engine that wrote it (:class:`~core.report.llm.engines.EngineSpec`).
    dtype : str
        The transformers engine's weights' dtype ("bfloat16" only on a CPU with native
        bf16, else "float32"); the GGUF engine's weights' type ("F16", "Q8_0",
        "Q4_K_M"...); "" for an endpoint.
    incomplete : str
        Why the text ends early although nobody stopped it (the endpoint's connection
        ended, timed out or sent garbage mid-stream); ``stopped`` is True then. "" when
        the model finished or was stopped.
    retried : bool
        The first draft came out in the other language and was asked for once more.
    wrong_language : bool
        This draft is in the other language too (after the one retry): the panel says
        "the model wrote in the other language".
    structured : str
        An endpoint's draft: what held the text ("grammar", "json_schema" or "none":
        :attr:`~core.report.llm.endpoint.EndpointOutcome.structured`); "" otherwise.
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
    engine: str = "transformers"
    dtype: str = ""
    incomplete: str = ""
    retried: bool = False
    wrong_language: bool = False
    structured: str = ""

    @property
    def sentences(self) -> tuple[Sentence, ...]:
        """Every sentence, in report order (a rewrite replaces the selection with these)."""
        return tuple(s for section in SECTION_ORDER for s in self.sections.get(section, ()))

    @property
    def tokens_per_second(self) -> float:
        return self.new_tokens / self.seconds if self.seconds > 0 else float("nan")


def apply_language_model_draft(report: Report, draft: LanguageModelDraft) -> Report:
    """The report with a whole-report or impression draft in place.

    A report draft replaces the sections the model may write
    (:data:`~core.report.prompt.MODEL_SECTIONS`: findings, impression,
    recommendations) where it wrote them; the others stay. Clinical information,
    Technique and Comparison (:data:`~core.report.prompt.GIVEN_SECTIONS`) are the
    study records', never the model's: the prompt gives it no indication, no prior and
    no date, so what it writes there is at best a rephrasing of a fact and at worst an
    invention. Such a section keeps what the report holds (the template's facts, a
    person's text); when it holds nothing, or only an earlier model's text, it gets the
    template's wording of the facts (e.g. "None available." for Comparison), or stays
    empty when the template has none. An impression draft replaces the impression. A
    rewrite replaces a selection, which only the caller knows: use
    :meth:`Report.replace_sentence_text` with ``draft.sentences``.

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
    for section in MODEL_SECTIONS:
        if draft.sections.get(section):
            report = report.with_sentences(section, draft.sections[section])
    ungiven = [
        section
        for section in GIVEN_SECTIONS
        if all(s.origin is Origin.LANGUAGE_MODEL for s in report.sections[section])
    ]
    if not ungiven:
        return report
    try:
        templates = load_templates(report.language)
    except TemplateError as error:  # a broken site file must not cost the draft
        logger.warning("given sections left as they were: %s", error)
        return report
    given = draft_template_sections(report.context, templates)
    for section in ungiven:
        sentences = tuple(
            Sentence(text, Origin.TEMPLATE, source=templates.name) for text in given[section]
        )
        if sentences or report.sections[section]:
            report = report.with_sentences(section, sentences)
    return report


_shared: WorkerProcess | None = None
_shared_lock = threading.Lock()
# The model loaded in the shared process: its memory is in use already (the same model
# needs no more) or comes back before another one loads.
_resident: LanguageModelInfo | GgufModelInfo | None = None
#: Seconds the model process may sit idle before it is released (None: never).
DEFAULT_IDLE_RELEASE_S: Final = 600.0
_idle_release_s: float | None = DEFAULT_IDLE_RELEASE_S
_idle_timer: threading.Timer | None = None
_active_drafts = 0


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
    global _resident, _idle_timer
    with _shared_lock:
        process = _shared
        timer, _idle_timer = _idle_timer, None
    if timer is not None:
        timer.cancel()
    if process is not None:
        process.shutdown()
    _resident = None


def set_language_model_idle_release(seconds: float | None) -> None:
    """Release the model process after ``seconds`` without a draft (None: never).

    The default is :data:`DEFAULT_IDLE_RELEASE_S` (10 minutes), so a model of several GB
    does not sit in memory all day; the next draft loads it again. The timer is a
    thread of core's: the desktop only sets the time (from Settings → Reporting).
    """
    global _idle_release_s
    if seconds is not None:
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            raise TypeError(f"seconds must be a number or None, found {type(seconds).__name__}")
        if seconds <= 0:
            raise ValueError(f"seconds must be > 0, found {seconds}")
    with _shared_lock:
        _idle_release_s = None if seconds is None else float(seconds)
    _schedule_idle_release()


def language_model_process_is_running() -> bool:
    """Whether the model process is up (a model may be loaded in it)."""
    with _shared_lock:
        process = _shared
    return process is not None and process.is_alive


def _draft_began() -> None:
    global _active_drafts, _idle_timer
    with _shared_lock:
        _active_drafts += 1
        timer, _idle_timer = _idle_timer, None
    if timer is not None:
        timer.cancel()


def _draft_ended() -> None:
    global _active_drafts
    with _shared_lock:
        _active_drafts -= 1
    _schedule_idle_release()


def _schedule_idle_release() -> None:
    global _idle_timer
    with _shared_lock:
        if _idle_timer is not None:
            _idle_timer.cancel()
            _idle_timer = None
        seconds = _idle_release_s
        if seconds is None or _active_drafts or _shared is None or not _shared.is_alive:
            return
        timer = threading.Timer(seconds, _release_if_idle)
        timer.name = "radassist-language-model-idle"
        timer.daemon = True
        _idle_timer = timer
    timer.start()


def _release_if_idle() -> None:
    with _shared_lock:
        if _active_drafts:
            return
    logger.info("language-model process idle: released")
    shutdown_language_model_process()


def _release_for_switch() -> None:
    """Another engine drafts now: the model process's memory goes back."""
    with _shared_lock:
        idle = _active_drafts == 0 and _shared is not None and _shared.is_alive
    if idle:
        logger.info("language-model process released: another engine drafts")
        shutdown_language_model_process()


def draft_with_language_model(
    engine: EngineSpec | str | PathLike[str],
    context: ReportContext,
    mode: DraftMode,
    language: str,
    settings: GenerationSettings | None = None,
    token: CancelToken | None = None,
    selection: str | None = None,
) -> Job[LanguageModelDraft]:
    """Draft report text with a language-model engine (a job).

    Arguments are checked at once (TypeError / ValueError); a model folder is inspected
    (:func:`inspect_model_folder`) when the job starts, so its refusals come out of the
    job. A transformers model (a folder) or a GGUF model (a ``.gguf`` file, run by
    llama.cpp and held to the report's grammar: :func:`~core.report.llm.gguf.report_grammar`)
    loads in the language-model process (cached there for the next draft, released after
    the idle time: :func:`set_language_model_idle_release`);
    an endpoint is asked over HTTP(S) (:mod:`core.report.llm.endpoint`), and the model
    process is released when it was up.

    A complete draft written in the other language is asked for once more (the job
    yields :class:`~core.report.llm.protocol.DraftRestarted`, then the new text); when
    the second is in the other language too, it is returned with
    :attr:`LanguageModelDraft.wrong_language` set.

    Parameters
    ----------
    engine : EngineSpec, str or PathLike
        The engine; a path is a Hugging Face causal-LM folder (the transformers engine).
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
        While the process starts and the model loads ("Loading model ..."), or the
        request goes to the endpoint; then once when generation begins.
    TextChunk
        Text as it is generated.
    DraftRestarted
        The text so far is discarded: the draft is asked for again.

    Returns
    -------
    LanguageModelDraft

    Raises
    ------
    LanguageModelError
        The folder is refused (see :func:`inspect_model_folder`), the model fails to
        load or to run (:class:`ModelLoadError`), or the endpoint fails before it wrote
        anything (:class:`~core.report.llm.endpoint.EndpointError`).
    LanguageModelProcessError
        The child process died (the next draft starts a new one).
    """
    if isinstance(engine, str | PathLike):
        spec = EngineSpec.transformers(engine)
    elif isinstance(engine, EngineSpec):
        spec = engine
    else:
        raise TypeError(
            f"engine must be an EngineSpec or a model folder, found {type(engine).__name__}"
        )
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
    return _draft_checked(
        spec, context, draft_mode, language, settings, token or CancelToken(), selection
    )


def try_engine(
    engine: EngineSpec | str | PathLike[str],
    max_new_tokens: int = 24,
    token: CancelToken | None = None,
) -> Job[LanguageModelDraft]:
    """Draft one sentence with ``engine`` (Settings → Reporting's "Test"; a job).

    The same path as a report draft (the model process or the endpoint, streaming,
    Stop), from a fixed prompt that names no patient; the draft's
    :attr:`~LanguageModelDraft.tokens_per_second` and time to first token say how fast
    the engine writes here. At an endpoint the report's constraint goes with it, so
    :attr:`~LanguageModelDraft.structured` says which one the server takes.
    """
    spec = EngineSpec.transformers(engine) if isinstance(engine, str | PathLike) else engine
    if not isinstance(spec, EngineSpec):
        raise TypeError(
            f"engine must be an EngineSpec or a model folder, found {type(engine).__name__}"
        )
    settings = GenerationSettings(max_new_tokens=max_new_tokens)
    messages = [dict(message) for message in _TRY_MESSAGES]
    return _draft_once(
        spec,
        messages,
        DraftMode.REPORT,
        "en",
        settings,
        token or CancelToken(),
        # One sentence, not the report's sections; an endpoint is asked with the
        # report's structured output all the same: the site sees which one it takes.
        constrained=spec.kind == "endpoint",
    )


def _draft_checked(
    spec: EngineSpec,
    context: ReportContext,
    mode: DraftMode,
    language: str,
    settings: GenerationSettings,
    token: CancelToken,
    selection: str | None,
) -> Generator[Any, None, LanguageModelDraft]:
    messages = build_messages(context, mode, language, selection)
    draft = yield from _draft_once(spec, messages, mode, language, settings, token)
    if draft.stopped or not wrong_language(draft.text, language):
        return draft
    reason = "the model wrote in the other language: asking once more"
    logger.info("language-model draft in the wrong language: retried once")
    yield DraftRestarted(reason)
    yield Progress(0, 2, reason.capitalize())
    again = yield from _draft_once(spec, messages, mode, language, settings, token)
    flagged = not again.stopped and wrong_language(again.text, language)
    return replace(again, retried=True, wrong_language=flagged)


def _draft_once(
    spec: EngineSpec,
    messages: list[dict[str, str]],
    mode: DraftMode,
    language: str,
    settings: GenerationSettings,
    token: CancelToken,
    *,
    constrained: bool = True,
) -> Generator[Any, None, LanguageModelDraft]:
    if spec.kind == "endpoint":
        _release_for_switch()
        constraints = report_constraints(mode, language) if constrained else None
        return (
            yield from _draft_at_endpoint(
                spec, messages, mode, language, settings, token, constraints
            )
        )
    # llama.cpp holds the text to the sections' grammar (in process, and at an endpoint
    # that is llama.cpp's server); transformers has no such option here (stop at the end
    # and the strict parser do that job for both).
    grammar = report_grammar(mode, language) if spec.kind == "gguf" and constrained else ""
    _draft_began()
    try:
        return (
            yield from _draft_in_process(spec, messages, mode, language, settings, token, grammar)
        )
    finally:
        _draft_ended()


def _draft_at_endpoint(
    spec: EngineSpec,
    messages: list[dict[str, str]],
    mode: DraftMode,
    language: str,
    settings: GenerationSettings,
    token: CancelToken,
    constraints: ReportConstraints | None = None,
) -> Generator[Any, None, LanguageModelDraft]:
    started = time.perf_counter()
    outcome = yield from stream_chat_completion(
        spec, messages, settings, token, constraints=constraints
    )
    seconds = time.perf_counter() - started
    return LanguageModelDraft(
        text=outcome.text,
        sections=draft_sections(outcome.text, mode, language, spec.display_name),
        stopped=outcome.stopped,
        new_tokens=outcome.new_tokens,
        seconds=seconds,
        time_to_first_token=outcome.seconds_to_first_token,
        model_name=spec.display_name,
        mode=mode,
        language=language,
        prompt_tokens=outcome.prompt_tokens,
        chat_template=True,  # the server applies its model's template
        engine="endpoint",
        incomplete=outcome.incomplete,
        structured=outcome.structured,
    )


def _draft_in_process(
    spec: EngineSpec,
    messages: list[dict[str, str]],
    mode: DraftMode,
    language: str,
    settings: GenerationSettings,
    token: CancelToken,
    grammar: str = "",
) -> Generator[Any, None, LanguageModelDraft]:
    global _resident
    process = get_language_model_process()
    resident = _resident if process.is_alive else None
    usable = available_memory() if resident is not None else -1
    planned = usable + resident.memory_needed if resident is not None and usable >= 0 else None
    info: LanguageModelInfo | GgufModelInfo
    if spec.kind == "gguf":
        info = inspect_gguf_file(spec.path, available_memory_bytes=planned)
    else:
        info = inspect_model_folder(spec.path, available_memory_bytes=planned)
    request = DraftRequest(info, messages, settings, grammar)
    if resident is not None and (_where(resident), resident.fingerprint) != (
        _where(info),
        info.fingerprint,
    ):
        _resident = None  # the child lets the old model go before it loads this one
    job = process.call(request, token, wait_on_cancel=False)
    chunks: list[str] = []
    tokens = 0
    started = time.perf_counter()
    first: float | None = None
    load_seconds = 0.0
    dtype = ""
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
                dtype = event.dtype
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
        engine=spec.kind,
        dtype=dtype,
    )


def _where(info: LanguageModelInfo | GgufModelInfo) -> object:
    return info.path if isinstance(info, GgufModelInfo) else info.folder
