"""The language-model engine: a local Hugging Face causal LM drafts report text.

Any Hugging Face causal-LM folder on disk may be used (``config.json``, a tokenizer,
safetensors weights; its chat template when it has one). House rule 7 decides how it
is loaded: with the Hugging Face offline variables set before transformers is imported,
``local_files_only``, safetensors only (a folder with only pickle weights is refused and
never opened), never ``trust_remote_code`` (a folder that needs its own code is
refused). :func:`inspect_model_folder` checks all of that, and whether the model fits in
memory, from the files alone, without importing torch or transformers.

Drafting (:func:`draft_with_language_model`) is a job: the model runs in one long-lived
child process (:class:`~core.worker_process.WorkerProcess`), so the GUI process never
imports torch; the model stays loaded there between drafts. The job yields
:class:`~core.jobs.Progress` while the model loads, then a :class:`TextChunk` for every
piece of text as the tokens are decoded (streamed through the pipe one token at a
time), and returns a :class:`LanguageModelDraft` whose sentences are marked
:attr:`~core.report.document.Origin.LANGUAGE_MODEL`, unreviewed (house rule 9).
Cancelling stops at once: the job returns what has arrived (``stopped=True``) and the
child's generation stops at its next token.

The prompt is built in :mod:`core.report.prompt` (:func:`build_messages`, re-exported
here), from coded facts only, never from free-text DICOM fields (house rule 8).
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any, Final

from core.errors import CancelledError, SourcedError
from core.jobs import CancelToken, Job, Progress
from core.report.document import (
    SECTION_HEADINGS,
    SECTION_ORDER,
    Origin,
    Report,
    ReportContext,
    Section,
    Sentence,
    split_sentences,
)
from core.report.prompt import (
    DraftMode,
    _check_language,
    _check_mode_selection,
    build_messages,
    render_plain_prompt,
)
from core.worker_process import Emit, Handler, WorkerProcess, WorkerProcessError

logger = logging.getLogger(__name__)

__all__ = [
    "SECTION_HEADINGS",
    "DraftMode",
    "GenerationSettings",
    "LanguageModelDraft",
    "LanguageModelError",
    "LanguageModelInfo",
    "LanguageModelProcessError",
    "ModelConfigError",
    "ModelFolderError",
    "ModelFolderNotFoundError",
    "ModelLoadError",
    "ModelTooLargeError",
    "PickleWeightsError",
    "RemoteCodeError",
    "TextChunk",
    "UnsafeModelError",
    "apply_language_model_draft",
    "available_memory",
    "build_messages",
    "draft_sections",
    "draft_with_language_model",
    "get_language_model_process",
    "inspect_model_folder",
    "parse_sections",
    "render_plain_prompt",
    "shutdown_language_model_process",
]

# Loading needs the weights plus room for activations, the KV cache and the allocator,
# and the child's torch and transformers themselves (about half a GiB resident).
_MEMORY_FACTOR: Final = 1.2
_MEMORY_OVERHEAD: Final = 512 << 20
_GIB: Final = float(1 << 30)
_DTYPE_BYTES: Final[Mapping[str, float]] = {
    "BOOL": 1,
    "U8": 1,
    "I8": 1,
    "F8_E4M3": 1,
    "F8_E5M2": 1,
    "F8_E8M0": 1,
    "F4": 0.5,
    "F6_E2M3": 0.75,
    "F6_E3M2": 0.75,
    "I16": 2,
    "U16": 2,
    "F16": 2,
    "BF16": 2,
    "I32": 4,
    "U32": 4,
    "F32": 4,
    "I64": 8,
    "U64": 8,
    "F64": 8,
}
_TOKENIZER_FILES: Final = (
    "tokenizer.json",
    "tokenizer.model",
    "tokenizer.tiktoken",
    "vocab.json",
    "vocab.txt",
    "spiece.model",
    "sentencepiece.bpe.model",
)
_CAUSAL_SUFFIXES: Final = ("ForCausalLM", "LMHeadModel")
_CONTEXT_KEYS: Final = (
    "max_position_embeddings",
    "n_positions",
    "max_sequence_length",
    "seq_length",
    "n_ctx",
)
# Set in the child before transformers (and huggingface_hub) are imported.
_OFFLINE_ENVIRONMENT: Final[Mapping[str, str]] = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TOKENIZERS_PARALLELISM": "false",
    # Hub kernels are compiled code fetched from the Hub at load time (house rule 7: no
    # remote code); transformers turns them on by default when the package is installed.
    "USE_HUB_KERNELS": "0",
}


# ----------------------------------------------------------------------------- errors


class LanguageModelError(SourcedError):
    """A language model cannot be used.

    Parameters
    ----------
    folder : str
        The model folder (or a file in it) the problem is in.
    reason : str
        What was expected and what was found.
    """

    @property
    def folder(self) -> str:
        return self.source


class ModelFolderNotFoundError(LanguageModelError):
    """The model folder does not exist or is not a folder."""


class ModelFolderError(LanguageModelError):
    """The folder is not a complete model: no config.json, tokenizer or weights."""


class ModelConfigError(LanguageModelError):
    """config.json cannot be read, is not JSON, or does not describe a causal LM."""


class UnsafeModelError(LanguageModelError):
    """The model would need unsafe loading: never done."""


class PickleWeightsError(UnsafeModelError):
    """The weights are pickle-based (.bin/.pt/.pth/.ckpt): never loaded."""


class RemoteCodeError(UnsafeModelError):
    """The model needs its own Python code (``auto_map``): never run."""


class ModelTooLargeError(LanguageModelError):
    """The model needs more memory than is available.

    Attributes
    ----------
    needed, available : int
        Bytes.
    """

    def __init__(self, folder: str, reason: str, needed: int = 0, available: int = 0) -> None:
        super().__init__(folder, reason)
        self.needed = needed
        self.available = available

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.folder, self.reason, self.needed, self.available))


class ModelLoadError(LanguageModelError):
    """The model passed inspection but transformers could not load or run it."""


class LanguageModelProcessError(WorkerProcessError):
    """The language-model process stopped or could not be started."""


# ----------------------------------------------------------------------------- inspection


@dataclass(frozen=True)
class LanguageModelInfo:
    """What a model folder holds, read from its files (no torch).

    Attributes
    ----------
    folder : Path
        Absolute.
    name : str
        The folder's name: how drafts and exports name the model.
    model_type : str
        config.json's ``model_type``, e.g. "llama", "qwen2".
    architectures : tuple of str
        e.g. ("LlamaForCausalLM",).
    weight_files : tuple of str
        The safetensors files that will be loaded.
    parameters : int
        Number of weights, from the safetensors headers.
    weights_bytes : int
    memory_needed, memory_available : int
        Bytes; ``memory_available`` is -1 when it could not be determined.
    has_chat_template : bool
    context_length : int or None
        The model's maximum sequence length when config.json says.
    fingerprint : tuple
        (file name, size, modification time) of config, tokenizer and weight files:
        the child reloads a cached model when it changes.
    """

    folder: Path
    name: str
    model_type: str
    architectures: tuple[str, ...]
    weight_files: tuple[str, ...]
    parameters: int
    weights_bytes: int
    memory_needed: int
    memory_available: int
    has_chat_template: bool
    context_length: int | None = None
    fingerprint: tuple[tuple[str, int, int], ...] = ()


def available_memory() -> int:
    """Bytes of memory available to a new process (psutil, else /proc/meminfo); -1 unknown."""
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except ImportError:
        pass
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return -1


def _read_json(path: Path, folder: str, error: type[LanguageModelError]) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise error(folder, f"{path.name} is not UTF-8 text") from exc
    except json.JSONDecodeError as exc:
        raise error(
            folder, f"{path.name} is not valid JSON (line {exc.lineno}: {exc.msg})"
        ) from exc
    except OSError as exc:
        raise error(folder, f"{path.name} cannot be read ({exc.strerror or exc})") from exc
    if not isinstance(data, dict):
        raise error(folder, f"{path.name} must hold a JSON object, found {type(data).__name__}")
    return data


def _weight_files(path: Path, folder: str) -> list[Path]:
    index = path / "model.safetensors.index.json"
    if index.is_file():
        data = _read_json(index, folder, ModelFolderError)
        weight_map = data.get("weight_map")
        if not isinstance(weight_map, dict) or not weight_map:
            raise ModelFolderError(folder, f"{index.name} has no weight_map")
        names = sorted({str(name) for name in weight_map.values()})
        missing = [name for name in names if not (path / name).is_file()]
        if missing:
            raise ModelFolderError(
                folder, f"{index.name} lists {len(missing)} missing file(s), e.g. {missing[0]}"
            )
        return [path / name for name in names]
    if (path / "model.safetensors").is_file():
        return [path / "model.safetensors"]
    found = sorted(p for p in path.glob("*.safetensors") if p.is_file())
    if found:
        return found
    from core.model_files import has_refused_suffix

    pickles = sorted(p.name for p in path.iterdir() if has_refused_suffix(p.name))
    if pickles:
        raise PickleWeightsError(
            folder,
            f"the weights are pickle files ({', '.join(pickles[:3])}), which are never "
            "loaded (they can run code); convert them to safetensors",
        )
    raise ModelFolderError(folder, "no weights: expected model.safetensors (or shards)")


def _count_weights(files: Sequence[Path], folder: str) -> tuple[int, int]:
    from core.analysis.errors import ModelPackageError, UnsafeWeightsError
    from core.analysis.manifest import read_safetensors_header

    parameters = 0
    size = 0.0
    for file in files:
        try:
            header = read_safetensors_header(file)
        except UnsafeWeightsError as exc:
            raise PickleWeightsError(
                folder, f"{file.name} is a pickle/zip archive, not safetensors; never loaded"
            ) from exc
        except ModelPackageError as exc:
            raise ModelFolderError(folder, f"{file.name}: {exc.reason}") from exc
        except OSError as exc:
            raise ModelFolderError(folder, f"{file.name} cannot be read ({exc})") from exc
        for dtype, shape in header.values():
            count = 1
            for n in shape:
                count *= n
            parameters += count
            size += count * _DTYPE_BYTES.get(dtype.upper(), 4)
    return parameters, int(size)


def _check_causal(config: Mapping[str, Any], folder: str) -> tuple[str, tuple[str, ...]]:
    model_type = config.get("model_type")
    if not isinstance(model_type, str) or not model_type.strip():
        raise ModelConfigError(folder, "config.json names no model_type")
    raw = config.get("architectures") or ()
    if isinstance(raw, str):
        raw = (raw,)
    if not isinstance(raw, list | tuple) or not all(isinstance(a, str) for a in raw):
        raise ModelConfigError(folder, f"config.json architectures must be names, found {raw!r}")
    architectures = tuple(raw)
    if architectures and not any(a.endswith(_CAUSAL_SUFFIXES) for a in architectures):
        raise ModelConfigError(
            folder,
            f"config.json describes {', '.join(architectures)}, not a causal language model "
            "(expected an architecture ending in ForCausalLM or LMHeadModel)",
        )
    return model_type, architectures


def _context_length(config: Mapping[str, Any]) -> int | None:
    for key in _CONTEXT_KEYS:
        value = config.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None


def _fingerprint(files: Sequence[Path]) -> tuple[tuple[str, int, int], ...]:
    items = []
    for file in files:
        try:
            stat = file.stat()
        except OSError:
            continue
        items.append((file.name, stat.st_size, stat.st_mtime_ns))
    return tuple(items)


def inspect_model_folder(
    path: str | PathLike[str], *, available_memory_bytes: int | None = None
) -> LanguageModelInfo:
    """Check that a folder holds a causal LM that may be loaded, without loading it.

    Reads config.json, tokenizer_config.json and the safetensors headers only (no
    torch, no transformers).

    Parameters
    ----------
    path : str or PathLike
        The model folder.
    available_memory_bytes : int, optional
        Memory to plan with instead of what the system reports (tests).

    Raises
    ------
    ModelFolderNotFoundError
        No such folder.
    ModelConfigError
        config.json is missing, unreadable, not JSON, or not a causal language model.
    RemoteCodeError
        The model (or its tokenizer) needs its own code (``auto_map`` or
        ``trust_remote_code`` in a top-level JSON file).
    ModelNotImportedError, ModelIntegrityError
        The folder was never imported, or its files no longer match their hashes
        (:mod:`core.report.llm_models`).
    PickleWeightsError
        The only weights are pickle files, or a ``.safetensors`` file is a pickle.
    ModelFolderError
        No tokenizer or no weights.
    ModelTooLargeError
        Loading needs more memory than is available.
    """
    if not isinstance(path, str | PathLike):
        raise TypeError(f"path must be a str or PathLike, found {type(path).__name__}")
    folder_path = Path(path).expanduser().absolute()
    folder = str(folder_path)
    if not folder_path.exists():
        raise ModelFolderNotFoundError(folder, "the model folder does not exist")
    if not folder_path.is_dir():
        raise ModelFolderNotFoundError(folder, "is a file, not a model folder")
    config_path = folder_path / "config.json"
    if not config_path.is_file():
        raise ModelConfigError(folder, "no config.json: not a Hugging Face model folder")
    config = _read_json(config_path, folder, ModelConfigError)
    model_type, architectures = _check_causal(config, folder)
    tokenizer_config: dict[str, Any] = {}
    tokenizer_config_path = folder_path / "tokenizer_config.json"
    if tokenizer_config_path.is_file():
        tokenizer_config = _read_json(tokenizer_config_path, folder, ModelConfigError)
    from core.report.llm_models import check_no_remote_code, verify_language_model_folder

    check_no_remote_code(folder_path)  # auto_map / trust_remote_code in any top-level JSON
    tokenizer_files = [name for name in _TOKENIZER_FILES if (folder_path / name).is_file()]
    if not tokenizer_files:
        raise ModelFolderError(
            folder, f"no tokenizer: expected one of {', '.join(_TOKENIZER_FILES[:3])}"
        )
    weights = _weight_files(folder_path, folder)
    parameters, weights_bytes = _count_weights(weights, folder)
    needed = int(weights_bytes * _MEMORY_FACTOR) + _MEMORY_OVERHEAD
    available = available_memory() if available_memory_bytes is None else available_memory_bytes
    if available >= 0 and needed > available:
        raise ModelTooLargeError(
            folder,
            f"the model needs {needed / _GIB:.1f} GiB of memory, {available / _GIB:.1f} GiB "
            "available",
            needed,
            available,
        )
    verify_language_model_folder(folder_path)  # imported, every file's hash unchanged
    has_template = bool(tokenizer_config.get("chat_template")) or any(
        (folder_path / name).is_file() for name in ("chat_template.jinja", "chat_template.json")
    )
    files = [config_path, *(folder_path / name for name in tokenizer_files), *weights]
    if tokenizer_config_path.is_file():
        files.append(tokenizer_config_path)
    return LanguageModelInfo(
        folder=folder_path,
        name=folder_path.name,
        model_type=model_type,
        architectures=architectures,
        weight_files=tuple(p.name for p in weights),
        parameters=parameters,
        weights_bytes=weights_bytes,
        memory_needed=needed,
        memory_available=available,
        has_chat_template=has_template,
        context_length=_context_length(config),
        fingerprint=_fingerprint(files),
    )


# ----------------------------------------------------------------------------- settings


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

    A report draft replaces every section the model wrote (the others stay); an
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
    for section in SECTION_ORDER:
        if draft.sections.get(section):
            report = report.with_sentences(section, draft.sections[section])
    return report


# ----------------------------------------------------------------------------- parsing

_HEADING_NAMES: Final[Mapping[Section, tuple[str, ...]]] = {
    Section.CLINICAL_INFORMATION: (
        "clinical information",
        "clinical info",
        "clinical history",
        "clinical indication",
        "clinical details",
        "indications",
        "indication",
        "history",
        "reason for examination",
        "reason for exam",
        "reason for study",
        "临床信息",
        "临床资料",
        "临床病史",
        "病史",
        "检查目的",
        "检查指征",
    ),
    Section.TECHNIQUE: (
        "technique",
        "techniques",
        "procedure",
        "examination",
        "exam",
        "检查技术",
        "检查方法",
        "扫描技术",
        "扫描方法",
        "技术",
        "检查项目",
    ),
    Section.COMPARISON: (
        "comparison",
        "comparisons",
        "prior studies",
        "prior examinations",
        "priors",
        "对比",
        "比较",
        "对照",
        "对比检查",
        "既往检查",
    ),
    Section.FINDINGS: (
        "findings",
        "finding",
        "影像所见",
        "影像表现",
        "检查所见",
        "所见",
        "表现",
    ),
    Section.IMPRESSION: (
        "impression",
        "impressions",
        "conclusion",
        "conclusions",
        "summary",
        "opinion",
        "diagnosis",
        "诊断意见",
        "影像诊断",
        "印象",
        "结论",
        "诊断",
        "意见",
    ),
    Section.RECOMMENDATIONS: (
        "recommendations",
        "recommendation",
        "follow-up",
        "follow up",
        "plan",
        "随访建议",
        "建议",
    ),
}
_SECTION_BY_NAME: Final = {
    name: section for section, names in _HEADING_NAMES.items() for name in names
}
_HEADING_LINE: Final = re.compile(
    r"^\s*(?:#{1,6}\s*)?(?:\d{1,2}[.)、]\s*)?[*_]{0,2}\s*[【\[]?\s*(?P<name>"
    + "|".join(re.escape(n) for n in sorted(_SECTION_BY_NAME, key=len, reverse=True))
    + r")\s*[】\]]?\s*[*_]{0,2}\s*(?P<colon>[:：])?\s*[*_]{0,2}\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
_BULLET: Final = re.compile(r"^\s*(?:[-*•·]|\d{1,2}[.)、])\s+")
_THINKING: Final = re.compile(r"<think>.*?(?:</think>|\Z)", re.DOTALL)


def parse_sections(
    text: str, language: str, *, default: Section | None = Section.FINDINGS
) -> dict[Section, list[str]]:
    """Split a model's text into report sections by its headings.

    Headings in English and Chinese are recognised in either language, with synonyms
    ("Impression", "Conclusion", "诊断意见", "印象"...) and Markdown decoration
    ("## Findings", "**Impression:**", "【影像所见】"). A heading is a line that is only
    the heading, or the heading followed by a colon and, possibly, the section's first
    text ("Findings: No effusion."): "Findings show..." is text. Bullets and bold
    markers are removed; a model's ``<think>`` block is dropped.

    Parameters
    ----------
    text : str
    language : {"en", "zh-CN"}
    default : Section or None
        Where text before the first heading goes (None: dropped).

    Returns
    -------
    dict
        Section → its sentences, in report order; only sections with text.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, found {type(text).__name__}")
    _check_language(language)
    found: dict[Section, list[str]] = {}
    current = default
    for raw_line in _THINKING.sub("", text).splitlines():
        line = raw_line.strip()
        if not line:
            continue
        match = _HEADING_LINE.match(line)
        if match is not None and (match.group("colon") or not match.group("rest")):
            current = _SECTION_BY_NAME[match.group("name").lower()]
            line = match.group("rest")
        line = _BULLET.sub("", line).replace("**", "").replace("__", "").strip()
        if current is None or not line:
            continue
        found.setdefault(current, []).extend(split_sentences(line))
    return {section: found[section] for section in SECTION_ORDER if found.get(section)}


def draft_sections(
    text: str, mode: DraftMode, language: str, source: str
) -> dict[Section, tuple[Sentence, ...]]:
    """What the model wrote as unreviewed language-model sentences, by section.

    A whole-report draft is split at its headings; an impression or a rewrite is one
    piece of text (headings or not), kept in the order it was written.

    Parameters
    ----------
    text : str
        The model's output, complete or cut short by Stop.
    mode : DraftMode
    language : str
    source : str
        The model's name, recorded with every sentence.
    """
    default = Section.IMPRESSION if mode is DraftMode.IMPRESSION else Section.FINDINGS
    parsed = parse_sections(text, language, default=default)
    if mode is not DraftMode.REPORT:
        parsed = {default: [s for sentences in parsed.values() for s in sentences]}
    return {
        section: tuple(
            Sentence(sentence, Origin.LANGUAGE_MODEL, reviewed=False, source=source)
            for sentence in sentences
        )
        for section, sentences in parsed.items()
        if sentences
    }


# ----------------------------------------------------------------------------- drafting


@dataclass(frozen=True)
class _DraftRequest:
    info: LanguageModelInfo
    messages: list[dict[str, str]] = field(repr=False)
    settings: GenerationSettings


@dataclass(frozen=True)
class _Started:
    """Child → caller: the model is loaded; generation begins."""

    load_seconds: float


@dataclass(frozen=True)
class _Outcome:
    text: str
    new_tokens: int
    prompt_tokens: int
    chat_template: bool
    stopped: bool
    generate_seconds: float = 0.0
    streaming_seconds: float = 0.0


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
                _make_handler,
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
    request = _DraftRequest(info, messages, settings)
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
    outcome: _Outcome | None = None
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
            elif isinstance(event, _Started):
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
        outcome = _Outcome("".join(chunks), tokens, 0, False, True)
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


# ----------------------------------------------------------------------------- the child


@dataclass
class _Loaded:
    key: tuple[str, tuple[tuple[str, int, int], ...]]
    tokenizer: Any
    model: Any


def _make_handler() -> Handler:
    """Runs once in the child: offline before transformers is imported; one cached model."""
    os.environ.update(_OFFLINE_ENVIRONMENT)
    cache: list[_Loaded] = []

    def handle(request: _DraftRequest, token: CancelToken, emit: Emit) -> _Outcome:
        info = request.info
        key = (str(info.folder), info.fingerprint)
        load_seconds = 0.0
        if not cache or cache[0].key != key:
            cache.clear()  # the old model's memory first
            start = time.perf_counter()
            cache.append(_load(info, key, emit))
            load_seconds = time.perf_counter() - start
        if token.cancelled:
            return _Outcome("", 0, 0, False, True)
        emit(_Started(load_seconds))
        return _generate(cache[0], request, token, emit)

    return handle


def _short(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    first = text[0] if text else ""
    return f"{type(error).__name__}: {first[:300]}" if first else type(error).__name__


def _load(
    info: LanguageModelInfo, key: tuple[str, tuple[tuple[str, int, int], ...]], emit: Emit
) -> _Loaded:
    import gc

    gc.collect()
    folder = str(info.folder)
    emit(Progress(0, 2, f"Loading model {info.name}: tokenizer"))
    try:
        import transformers

        # Untyped in parts: used through Any.
        hf_logging: Any = transformers.utils.logging
        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        auto_tokenizer: Any = transformers.AutoTokenizer
        auto_model: Any = transformers.AutoModelForCausalLM
        tokenizer = auto_tokenizer.from_pretrained(
            folder, local_files_only=True, trust_remote_code=False
        )
    except Exception as exc:
        raise ModelLoadError(folder, f"the tokenizer could not be loaded ({_short(exc)})") from exc
    emit(Progress(1, 2, f"Loading model {info.name}: weights"))
    try:
        model, loading = auto_model.from_pretrained(
            folder,
            local_files_only=True,
            use_safetensors=True,
            trust_remote_code=False,
            dtype="auto",
            output_loading_info=True,
        )
    except Exception as exc:
        raise ModelLoadError(folder, f"the model could not be loaded ({_short(exc)})") from exc
    missing = sorted(loading.get("missing_keys") or ())
    if missing:
        # transformers fills missing weights with random ones; a draft from them is noise.
        raise ModelLoadError(
            folder,
            f"the weights lack {len(missing)} tensor(s) the model needs, e.g. {missing[0]}",
        )
    model.eval()
    logger.info("language model %s loaded (%d parameters)", info.name, info.parameters)
    return _Loaded(key, tokenizer, model)


def _prompt_ids(tokenizer: Any, messages: list[dict[str, str]]) -> tuple[list[int], bool]:
    if getattr(tokenizer, "chat_template", None):
        attempts = [messages]
        if messages and messages[0]["role"] == "system":
            # Some templates refuse a system message: fold it into the user's.
            merged = messages[0]["content"] + "\n\n" + messages[1]["content"]
            attempts.append([{"role": "user", "content": merged}, *messages[2:]])
        for attempt in attempts:
            try:
                text = tokenizer.apply_chat_template(
                    attempt, add_generation_prompt=True, tokenize=False
                )
            except Exception as exc:
                logger.info("chat template refused the prompt (%s)", _short(exc))
                continue
            return list(tokenizer(text, add_special_tokens=False)["input_ids"]), True
    return list(tokenizer(render_plain_prompt(messages))["input_ids"]), False


class _ChunkStreamer:
    """Generation streamer: decodes the new tokens and emits their text as it comes.

    Incremental detokenisation as in vLLM: the text of the newest tokens is decoded with
    the tokens before them as context (so leading spaces and merged characters come
    out as in a full decode), and held back while it ends in an incomplete character.
    The first chunks go at once, token by token; later text at most every ``interval``
    seconds.
    """

    EAGER_CHUNKS: Final = 8

    def __init__(self, tokenizer: Any, emit: Emit, interval: float) -> None:
        self._decode: Callable[[list[int]], str] = lambda ids: tokenizer.decode(
            ids, skip_special_tokens=True
        )
        self._emit = emit
        self._interval = interval
        self._last = 0.0  # when text was last emitted
        self._chunks = 0
        self._prompt_pending = True
        self._ids: list[int] = []
        self._prefix = 0  # context tokens start here
        self._read = 0  # text up to here has been emitted
        self.tokens = 0
        self.seconds = 0.0  # spent in here

    def put(self, value: Any) -> None:
        start = time.perf_counter()
        if self._prompt_pending:  # generate() hands the prompt over first
            self._prompt_pending = False
            return
        ids = [int(i) for i in value.reshape(-1).tolist()]
        self.tokens += len(ids)
        self._ids.extend(ids)
        if self._chunks < self.EAGER_CHUNKS or start - self._last >= self._interval:
            self._flush(final=False)
        self.seconds += time.perf_counter() - start

    def end(self) -> None:
        start = time.perf_counter()
        self._flush(final=True)
        self.seconds += time.perf_counter() - start

    def _flush(self, final: bool) -> None:
        before = self._decode(self._ids[self._prefix : self._read])
        text = self._decode(self._ids[self._prefix :])
        if len(text) <= len(before) or (text.endswith("\ufffd") and not final):
            return
        self._emit(TextChunk(text[len(before) :], len(self._ids) - self._read))
        self._last = time.perf_counter()
        self._chunks += 1
        self._prefix, self._read = self._read, len(self._ids)


class _StopWhenCancelled:
    """Stopping criterion: True for every sequence once the caller has cancelled."""

    def __init__(self, token: CancelToken) -> None:
        import torch

        self._token = token
        self._torch = torch
        self._answers: dict[tuple[int, bool], Any] = {}  # one tensor per batch size, reused
        self.seconds = 0.0  # spent in here

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        key = (int(input_ids.shape[0]), self._token.cancelled)
        answer = self._answers.get(key)
        if answer is None:
            answer = self._torch.full(
                (key[0],), key[1], dtype=self._torch.bool, device=input_ids.device
            )
            self._answers[key] = answer
        self.seconds += time.perf_counter() - start
        return answer


def _generate(loaded: _Loaded, request: _DraftRequest, token: CancelToken, emit: Emit) -> _Outcome:
    import copy

    import torch
    from transformers import StoppingCriteriaList

    info, settings = request.info, request.settings
    folder = str(info.folder)
    tokenizer, model = loaded.tokenizer, loaded.model
    try:
        ids, templated = _prompt_ids(tokenizer, request.messages)
    except Exception as exc:
        raise ModelLoadError(folder, f"the prompt could not be tokenised ({_short(exc)})") from exc
    max_new = settings.max_new_tokens
    if info.context_length is not None:
        max_new = min(max_new, info.context_length - len(ids))
        if max_new < 1:
            raise LanguageModelError(
                folder,
                f"the prompt ({len(ids)} tokens) fills the model's context of "
                f"{info.context_length} tokens",
            )
    config = copy.deepcopy(model.generation_config)
    if settings.greedy:
        # The model's own sampling defaults are reset, so greedy really is greedy.
        config.update(do_sample=False, temperature=1.0, top_p=1.0, top_k=50)
    else:
        config.update(do_sample=True, temperature=settings.temperature, top_p=settings.top_p)
    config.update(max_new_tokens=max_new)
    if config.pad_token_id is None:
        config.pad_token_id = tokenizer.pad_token_id or config.eos_token_id
    streamer = _ChunkStreamer(tokenizer, emit, settings.chunk_interval_s)
    stop = _StopWhenCancelled(token)
    inputs = torch.tensor([ids], dtype=torch.long, device=model.device)
    start = time.perf_counter()
    try:
        with torch.inference_mode():
            output = model.generate(
                input_ids=inputs,
                attention_mask=torch.ones_like(inputs),
                generation_config=config,
                streamer=streamer,
                stopping_criteria=StoppingCriteriaList([stop]),
            )
    except Exception as exc:
        raise ModelLoadError(folder, f"generation failed ({_short(exc)})") from exc
    seconds = time.perf_counter() - start
    new_ids = [int(i) for i in output[0, len(ids) :].tolist()]
    text = tokenizer.decode(new_ids, skip_special_tokens=True)
    return _Outcome(
        text,
        len(new_ids),
        len(ids),
        templated,
        token.cancelled,
        seconds,
        streamer.seconds + stop.seconds,
    )
