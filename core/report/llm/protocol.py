"""What travels between a draft and the language-model process, and how it generates.

The caller sends a :class:`DraftRequest` (the inspected folder, the prompt's messages,
the :class:`GenerationSettings`); the child answers with :class:`TextChunk` events as
tokens are decoded, one :class:`GenerationStarted` once the model is loaded, and a
:class:`DraftOutcome` at the end. ``DraftRequest``, ``GenerationStarted`` and
``DraftOutcome`` are this package's own; ``GenerationSettings`` and ``TextChunk`` are
public (re-exported by :mod:`core.report.llm`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from core.report.llm.gguf import GgufModelInfo
from core.report.llm.inspection import LanguageModelInfo

logger = logging.getLogger(__name__)

__all__ = [
    "DraftOutcome",
    "DraftRequest",
    "DraftRestarted",
    "GenerationSettings",
    "GenerationStarted",
    "TextChunk",
]


@dataclass(frozen=True)
class GenerationSettings:
    """How the model generates.

    Attributes
    ----------
    max_new_tokens : int
        At most this many tokens (1 to 32768); fewer when the model's context is full.
    temperature : float
        0 (the default) is greedy decoding: the same prompt always gives the same text.
        Above 0, tokens are sampled (0 to 5).
    top_p : float
        Nucleus sampling mass when sampling, in (0, 1].
    chunk_interval_s : float
        After the first few tokens, which are sent one by one at once, text is sent at
        most this often (seconds): tokens that come faster travel together in one
        :class:`TextChunk`. A screen shows no difference, and a fast model on a machine
        with few cores is not slowed down by waking its caller for every token (a
        token's text waits at most this long). 0 sends every token on its own.
    """

    max_new_tokens: int = 512
    temperature: float = 0.0
    top_p: float = 1.0
    chunk_interval_s: float = 0.02

    def __post_init__(self) -> None:
        if isinstance(self.max_new_tokens, bool) or not isinstance(self.max_new_tokens, int):
            raise TypeError(
                f"max_new_tokens must be an int, found {type(self.max_new_tokens).__name__}"
            )
        for name in ("temperature", "top_p", "chunk_interval_s"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TypeError(f"{name} must be a number, found {type(value).__name__}")
        if not 1 <= self.max_new_tokens <= 32768:
            raise ValueError(f"max_new_tokens must be 1 to 32768, found {self.max_new_tokens}")
        if not 0.0 <= self.temperature <= 5.0:
            raise ValueError(f"temperature must be 0 to 5, found {self.temperature}")
        if not 0.0 < self.top_p <= 1.0:
            raise ValueError(f"top_p must be in (0, 1], found {self.top_p}")
        if not 0.0 <= self.chunk_interval_s <= 1.0:
            raise ValueError(f"chunk_interval_s must be 0 to 1, found {self.chunk_interval_s}")

    @property
    def greedy(self) -> bool:
        return self.temperature == 0.0


@dataclass(frozen=True)
class TextChunk:
    """Text the model has just written (a job event), in order.

    Attributes
    ----------
    text : str
        Append it to what came before.
    tokens : int
        How many new tokens it covers.
    """

    text: str
    tokens: int = 0


@dataclass(frozen=True)
class DraftRequest:
    """Caller → child: draft with this model from these messages.

    ``info`` says which engine runs it: a Hugging Face folder (transformers) or a GGUF
    file (llama.cpp). ``grammar`` is the GBNF grammar the text is held to (GGUF only;
    "" for none: :func:`~core.report.llm.gguf.report_grammar`).
    """

    info: LanguageModelInfo | GgufModelInfo
    messages: list[dict[str, str]] = field(repr=False)
    settings: GenerationSettings
    grammar: str = ""


@dataclass(frozen=True)
class GenerationStarted:
    """Child → caller: the model is loaded (in ``dtype``); generation begins."""

    load_seconds: float
    dtype: str = ""


@dataclass(frozen=True)
class DraftRestarted:
    """A draft job event: the text streamed so far is discarded; the model starts again.

    Sent when a complete draft came out in the other language and is asked for once
    more (:func:`~core.report.llm.drafting.draft_with_language_model`): whoever shows
    the stream clears what it showed. ``reason`` says why, in words.
    """

    reason: str


@dataclass(frozen=True)
class DraftOutcome:
    """Child → caller: what the model wrote, with its counts and timings."""

    text: str
    new_tokens: int
    prompt_tokens: int
    chat_template: bool
    stopped: bool
    generate_seconds: float = 0.0
    streaming_seconds: float = 0.0
