"""The language-model process's side: what runs in the child, with torch and transformers.

:func:`make_draft_handler` is the :class:`~core.worker_process.WorkerProcess` factory
(module level, so it travels to the child by reference). It sets the Hugging Face
offline variables before transformers is imported, then serves draft requests with one
cached model: loaded ``local_files_only``, safetensors only, never ``trust_remote_code``
(house rule 7), reloaded when the folder's fingerprint changes. A request for a GGUF
file is served the same way by llama.cpp (:mod:`core.report.llm.gguf_child`); one
model is loaded at a time, whichever engine runs it. Generation streams
:class:`~core.report.llm.protocol.TextChunk` events (incremental detokenisation) and
stops at the next token once the caller cancels.

torch and transformers are imported inside the functions here, never at the top: this
module is imported by the caller's process too, which must never load them (house
rule 2).
"""

from __future__ import annotations

import copy
import gc
import logging
import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from core.jobs import CancelToken, Progress
from core.report.llm.errors import LanguageModelError, ModelLoadError
from core.report.llm.gguf import GgufModelInfo
from core.report.llm.gguf_child import LoadedGguf, generate_gguf, load_gguf
from core.report.llm.inspection import LanguageModelInfo
from core.report.llm.protocol import DraftOutcome, DraftRequest, GenerationStarted, TextChunk
from core.report.prompt import render_plain_prompt
from core.worker_process import Emit, Handler

logger = logging.getLogger(__name__)

__all__ = ["cpu_has_native_bf16", "make_draft_handler", "model_dtype_name"]

#: CPU flags (Linux ``/proc/cpuinfo``) of native bfloat16 arithmetic: without them torch
#: emulates bf16 and is several times slower than float32.
_NATIVE_BF16_FLAGS: Final = frozenset({"avx512_bf16", "amx_bf16"})

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


def cpu_has_native_bf16(cpuinfo: str | None = None) -> bool:
    """Whether the CPU computes in bfloat16 natively (``avx512_bf16`` or ``amx_bf16``).

    Read from ``/proc/cpuinfo`` on Linux (or from ``cpuinfo``, its text); False
    elsewhere and when it cannot be read.
    """
    if cpuinfo is None:
        if not sys.platform.startswith("linux"):
            return False
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return False
    for line in cpuinfo.splitlines():
        if line.startswith("flags") and ":" in line:
            return not _NATIVE_BF16_FLAGS.isdisjoint(line.split(":", 1)[1].split())
    return False


def model_dtype_name(cpuinfo: str | None = None) -> str:
    """The dtype the transformers engine loads a model in: the one owner of that rule.

    ``"bfloat16"`` where the CPU has native bf16 (:func:`cpu_has_native_bf16`), else
    ``"float32"``: emulated bf16 is far slower than float32 (time to first token 1.0 →
    8.2 s measured with AVX-512 masked off).
    """
    return "bfloat16" if cpu_has_native_bf16(cpuinfo) else "float32"


@dataclass
class _Loaded:
    key: tuple[str, tuple[tuple[str, int, int], ...]]
    tokenizer: Any
    model: Any
    dtype: str = ""


def make_draft_handler() -> Handler:
    """Runs once in the child: offline before transformers is imported; one cached model."""
    os.environ.update(_OFFLINE_ENVIRONMENT)
    cache: list[_Loaded | LoadedGguf] = []

    def handle(request: DraftRequest, token: CancelToken, emit: Emit) -> DraftOutcome:
        info = request.info
        where = info.path if isinstance(info, GgufModelInfo) else info.folder
        key = (str(where), info.fingerprint)
        load_seconds = 0.0
        if not cache or cache[0].key != key:
            _release(cache)  # the old model's memory first
            start = time.perf_counter()
            if isinstance(info, GgufModelInfo):
                cache.append(load_gguf(info, key, emit))
            else:
                cache.append(_load(info, key, emit))
            load_seconds = time.perf_counter() - start
        if token.cancelled:
            return DraftOutcome("", 0, 0, False, True)
        loaded = cache[0]
        if isinstance(loaded, LoadedGguf):
            emit(GenerationStarted(load_seconds, getattr(info, "quantization", "")))
            return generate_gguf(loaded, request, token, emit)
        emit(GenerationStarted(load_seconds, loaded.dtype))
        return _generate(loaded, request, token, emit)

    return handle


def _release(cache: list[_Loaded | LoadedGguf]) -> None:
    for loaded in cache:
        if isinstance(loaded, LoadedGguf):
            loaded.close()
    cache.clear()
    gc.collect()


def _short(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    first = text[0] if text else ""
    return f"{type(error).__name__}: {first[:300]}" if first else type(error).__name__


def _load(
    info: LanguageModelInfo, key: tuple[str, tuple[tuple[str, int, int], ...]], emit: Emit
) -> _Loaded:
    gc.collect()
    folder = str(info.folder)
    emit(Progress(0, 2, f"Loading model {info.name}: tokenizer"))
    try:
        import transformers  # heavy: only ever in the child

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
    dtype = model_dtype_name()
    emit(Progress(1, 2, f"Loading model {info.name}: weights ({dtype})"))
    try:
        import torch  # heavy: only ever in the child

        model, loading = auto_model.from_pretrained(
            folder,
            local_files_only=True,
            use_safetensors=True,
            trust_remote_code=False,
            dtype=getattr(torch, dtype),
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
    logger.info("language model %s loaded (%d parameters, %s)", info.name, info.parameters, dtype)
    return _Loaded(key, tokenizer, model, dtype)


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
        import torch  # heavy: only ever in the child

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


def _generate(
    loaded: _Loaded, request: DraftRequest, token: CancelToken, emit: Emit
) -> DraftOutcome:
    import torch  # heavy: only ever in the child
    from transformers import StoppingCriteriaList

    info, settings = request.info, request.settings
    if not isinstance(info, LanguageModelInfo):
        raise TypeError(f"a transformers draft needs a model folder, found {type(info).__name__}")
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
    return DraftOutcome(
        text,
        len(new_ids),
        len(ids),
        templated,
        token.cancelled,
        seconds,
        streamer.seconds + stop.seconds,
    )
