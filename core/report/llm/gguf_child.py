"""The GGUF engine's side of the language-model process: llama.cpp (llama-cpp-python).

:func:`load_gguf` opens an inspected ``.gguf`` file in a ``llama_cpp.Llama`` (threads: the
physical cores; a context of at most :data:`~core.report.llm.gguf.MAX_CONTEXT` tokens);
:func:`generate_gguf` formats the prompt with the chat template the file carries (the
Jinja2 formatter llama-cpp-python's own chat handler uses; the plain prompt when the
file has none), holds a whole-report draft to the grammar of
:func:`~core.report.llm.gguf.report_grammar`, and streams the text token by token as
:class:`~core.report.llm.protocol.TextChunk` events; it stops at the next token once the
caller cancels.

llama.cpp is built with its CPU backends as loadable variants (one per instruction
set, ``libggml-cpu-<cpu>.so`` beside the library), so one build runs on any x86-64 CPU:
:func:`load_cpu_backends` loads the best one for this CPU from llama_cpp's own folder,
by absolute path, before llama.cpp would look for them in the working directory.

llama_cpp is imported inside the functions here, never at the top: this module is
imported by the caller's process too, which never loads it (house rule 2).
"""

from __future__ import annotations

import codecs
import contextlib
import ctypes
import logging
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from core.jobs import CancelToken, Progress
from core.report.llm.errors import LanguageModelError, ModelLoadError
from core.report.llm.gguf import MAX_CONTEXT, GgufModelInfo, physical_cores
from core.report.llm.protocol import DraftOutcome, DraftRequest, TextChunk
from core.report.prompt import render_plain_prompt
from core.worker_process import Emit

logger = logging.getLogger(__name__)

__all__ = ["LoadedGguf", "format_prompt", "generate_gguf", "load_cpu_backends", "load_gguf"]

#: The first chunk goes at once (the time to the first token); later text at most every
#: :data:`_MIN_CHUNK_INTERVAL_S` or the settings' interval, whichever is longer. llama.cpp
#: computes on every physical core and its threads meet at a barrier after each step of
#: the graph: each time the caller is woken to take text, one of them waits for a core
#: (on 2 cores, 0.5B Q8_0, a chunk every token cost the engine about a third of bare
#: llama-cpp-python's speed; a chunk every 0.1 s much less).
_EAGER_CHUNKS: Final = 1
_MIN_CHUNK_INTERVAL_S: Final = 0.1
_backends_loaded = False
_GGML_SONAME: Final = "libggml.so.0"


@dataclass
class LoadedGguf:
    """A GGUF model open in llama.cpp (one per process)."""

    key: tuple[str, tuple[tuple[str, int, int], ...]]
    llama: Any
    n_ctx: int
    threads: int

    def close(self) -> None:
        close = getattr(self.llama, "close", None)
        if callable(close):
            close()


def _short(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    first = text[0] if text else ""
    return f"{type(error).__name__}: {first[:300]}" if first else type(error).__name__


def load_cpu_backends() -> int:
    """Load llama.cpp's CPU backend for this CPU from llama_cpp's folder; backends loaded.

    With a variant build (``GGML_BACKEND_DL``) the backends are separate libraries that
    llama.cpp would otherwise search for beside the Python executable and in the
    working directory; here they are loaded from the package's own ``lib`` folder (the
    bundle's too), the best variant for this CPU scored by ggml itself. A build with
    the backend linked in has it registered already, and nothing is loaded.
    """
    global _backends_loaded
    import llama_cpp  # heavy: only ever in the child (loads libllama and its libggml)
    from llama_cpp import _ggml, _logger

    _logger.set_verbose(False)  # llama.cpp's own log lines: errors only, on stderr
    library: Any = _ggml.libggml
    if sys.platform.startswith("linux"):
        # The libggml libllama itself uses (by its soname, already loaded): llama_cpp's
        # _ggml opens a second copy by path, whose backend registry llama.cpp never sees.
        with contextlib.suppress(OSError):
            library = ctypes.CDLL(_GGML_SONAME, mode=os.RTLD_NOLOAD | ctypes.RTLD_GLOBAL)
    del llama_cpp
    library.ggml_backend_reg_count.restype = ctypes.c_size_t
    library.ggml_backend_reg_count.argtypes = []
    if not _backends_loaded and library.ggml_backend_reg_count() == 0:
        folder = Path(_ggml.__file__).resolve().parent / "lib"
        library.ggml_backend_load_all_from_path.argtypes = [ctypes.c_char_p]
        library.ggml_backend_load_all_from_path.restype = None
        library.ggml_backend_load_all_from_path(str(folder).encode())
    _backends_loaded = True
    return int(library.ggml_backend_reg_count())


def load_gguf(
    info: GgufModelInfo, key: tuple[str, tuple[tuple[str, int, int], ...]], emit: Emit
) -> LoadedGguf:
    """Open ``info``'s file in llama.cpp (mmap; threads: physical cores)."""
    source = str(info.path)
    emit(Progress(1, 2, f"Loading model {info.name}: weights (GGUF)"))
    try:
        if load_cpu_backends() == 0:
            raise ModelLoadError(source, "llama.cpp found no CPU backend for this processor")
        from llama_cpp import Llama  # heavy: only ever in the child

        threads = physical_cores()
        n_ctx = min(info.context_length or MAX_CONTEXT, MAX_CONTEXT)
        llama = Llama(
            model_path=source,
            n_ctx=n_ctx,
            n_threads=threads,
            n_threads_batch=threads,
            n_gpu_layers=0,
            use_mmap=True,
            verbose=False,
        )
    except LanguageModelError:
        raise
    except Exception as exc:
        raise ModelLoadError(source, f"llama.cpp could not load the model ({_short(exc)})") from exc
    logger.info(
        "GGUF model %s loaded (%d parameters, %d threads)", info.name, info.parameters, threads
    )
    return LoadedGguf(key, llama, n_ctx, threads)


def format_prompt(llama: Any, messages: list[dict[str, str]]) -> tuple[str, bool]:
    """The prompt text from the file's chat template, else the plain prompt; (text, templated).

    A template that refuses a system message gets it folded into the user's, as the
    transformers engine does.
    """
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter  # heavy: only in the child

    template = llama.metadata.get("tokenizer.chat_template")
    if template:
        model = llama._model
        eos, bos = llama.token_eos(), llama.token_bos()
        formatter: Any = Jinja2ChatFormatter(
            template=template,
            eos_token=model.token_get_text(eos) if eos != -1 else "",
            bos_token=model.token_get_text(bos) if bos != -1 else "",
        )
        attempts = [messages]
        if messages and messages[0]["role"] == "system" and len(messages) > 1:
            merged = messages[0]["content"] + "\n\n" + messages[1]["content"]
            attempts.append([{"role": "user", "content": merged}, *messages[2:]])
        for attempt in attempts:
            try:
                return formatter(messages=attempt).prompt, True
            except Exception as exc:
                logger.info("chat template refused the prompt (%s)", _short(exc))
    return render_plain_prompt(messages), False


def generate_gguf(
    loaded: LoadedGguf, request: DraftRequest, token: CancelToken, emit: Emit
) -> DraftOutcome:
    """Draft with the loaded model; stream the text; stop at the next token when cancelled."""
    import llama_cpp  # heavy: only ever in the child
    from llama_cpp.llama_grammar import LlamaGrammar

    info, settings = request.info, request.settings
    source = str(info.path) if isinstance(info, GgufModelInfo) else str(info.folder)
    llama = loaded.llama
    try:
        prompt, templated = format_prompt(llama, request.messages)
        # A template writes its own BOS; the plain prompt gets the model's.
        ids = llama.tokenize(prompt.encode("utf-8"), add_bos=not templated, special=templated)
    except Exception as exc:
        raise ModelLoadError(source, f"the prompt could not be tokenised ({_short(exc)})") from exc
    max_new = min(settings.max_new_tokens, loaded.n_ctx - len(ids))
    if max_new < 1:
        raise LanguageModelError(
            source,
            f"the prompt ({len(ids)} tokens) fills the context of {loaded.n_ctx} tokens",
        )
    grammar = None
    if request.grammar:
        try:
            grammar = LlamaGrammar.from_string(request.grammar, verbose=False)
        except Exception as exc:
            raise ModelLoadError(source, f"the output grammar was refused ({_short(exc)})") from exc
    vocab = llama._model.vocab
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    sampling: dict[str, Any] = (
        {"temp": 0.0, "top_k": 1, "top_p": 1.0, "min_p": 0.0}
        if settings.greedy
        else {"temp": settings.temperature, "top_p": settings.top_p, "top_k": 0, "min_p": 0.0}
    )
    interval = max(settings.chunk_interval_s, _MIN_CHUNK_INTERVAL_S)
    pieces: list[str] = []
    pending: list[str] = []
    pending_tokens = 0
    new_tokens = 0
    chunks = 0
    last = 0.0
    streaming = 0.0
    start = time.perf_counter()
    try:
        generator = llama.generate(ids, repeat_penalty=1.0, reset=True, grammar=grammar, **sampling)
        try:
            for new in generator:
                if token.cancelled:
                    break
                if llama_cpp.llama_vocab_is_eog(vocab, new):
                    break
                began = time.perf_counter()
                new_tokens += 1
                text = decoder.decode(llama.detokenize([new]))
                if not pieces and not pending:
                    text = text.lstrip()
                pending_tokens += 1
                if text:
                    pending.append(text)
                if pending and (chunks < _EAGER_CHUNKS or began - last >= interval):
                    chunk = "".join(pending)
                    emit(TextChunk(chunk, pending_tokens))
                    pieces.append(chunk)
                    pending, pending_tokens = [], 0
                    chunks += 1
                    last = time.perf_counter()
                streaming += time.perf_counter() - began
                if new_tokens >= max_new:
                    break
        finally:
            generator.close()
    except LanguageModelError:
        raise
    except Exception as exc:
        raise ModelLoadError(source, f"generation failed ({_short(exc)})") from exc
    tail = "".join(pending) + decoder.decode(b"", final=True)
    if tail:
        emit(TextChunk(tail, pending_tokens))
        pieces.append(tail)
    seconds = time.perf_counter() - start
    return DraftOutcome(
        "".join(pieces),
        new_tokens,
        len(ids),
        templated,
        token.cancelled,
        seconds,
        streaming,
    )
