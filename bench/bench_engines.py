"""The drafting engines against their bare baselines, on one model of a real small shape.

Issue 14's figures, same prompt and length, one run, each printed with its target:

* **transformers engine** (``draft_with_language_model`` with a model folder: the
  language-model child process, streamed through the pipe) against a bare
  ``model.generate`` in this process, loaded in the dtype the engine chooses for this
  CPU (:func:`~core.report.llm.child.model_dtype_name`), with a streamer that only notes
  when the first new token came (a ``TextIteratorStreamer`` holds text back until a
  word ends, which would make the bare first token look later than it is);
* **endpoint engine** (``draft_with_language_model`` with
  :meth:`EngineSpec.endpoint`) against a bare streaming ``POST /v1/chat/completions``
  (``requests``, ``stream=True``, the same messages, ``max_tokens`` and temperature 0)
  to the same ``transformers serve`` on 127.0.0.1;
* **GGUF engine** (``draft_with_language_model`` with :meth:`EngineSpec.gguf`: llama.cpp
  in the language-model child process, streamed through the pipe) against bare
  llama-cpp-python in this process (``Llama.generate`` on the same prompt, formatted by
  the same chat template, with the same report grammar, the same threads and context),
  on the model converted to GGUF Q8_0 by the product's converter
  (:func:`~core.report.llm.gguf_convert.convert_to_gguf`);
* the engines side by side on that one shape, and the GGUF engine's speed-up over the
  transformers engine.

Tokens per second are the new tokens over the whole request as the caller sees it
(prompt processing included, like :attr:`LanguageModelDraft.tokens_per_second`); the
time to the first token runs from the call to the first text the caller receives. The
ratio is baseline time / engine time (>= 0.95 is the target), median of the paired runs.

The model: Qwen2.5-0.5B's shape (494 M parameters, Llama architecture: 24 layers,
hidden 896, 14 heads / 2 key-value heads, MLP 4864, vocabulary 151,936 padded around the
tests' 400-token tokenizer, tied embeddings), random weights saved in bfloat16, built
offline in a scratch folder by a fresh interpreter (building it in the bench process
left the child's ``generate`` about 10 % behind the bare one in four runs of four;
built apart, the two were even in the two runs since). The output rows of the special
tokens, of the padding ids, of the byte-fallback tokens and of tokens holding Han
characters are zero, so greedy
decoding never ends early and an English draft is never taken for Chinese and retried
(which would double the engine's time). On 2 cores this model writes about 8 tokens/s
after a ~2 s prompt of ~715 tokens, hence the defaults of 32 new tokens (the
generation, not the prompt, is most of a run) and 4 rounds (each side goes first
twice): the whole script takes about two and a half minutes on this 2-core machine.
Every figure swings by ±10 % when other CPU-heavy work shares the machine, so two
noise-free figures are printed too: the transformers engine's own work per draft (all
but the child's ``generate``), and this process's CPU time per endpoint request, bare
and through the engine.

    python bench/bench_engines.py [--rounds 4] [--new-tokens 32] [--strict]

``--poll-compare 0.02,0.1`` measures the GGUF engine only, once with each of the
language-model caller's pipe waits (:data:`core.worker_process._POLL_S`: how long the
caller waits for the child's next message before it looks at the cancel token again),
in rotating order in this one process, each paired with the bare run beside it.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from bench._common import child_env, finish, run_child  # noqa: E402
from bench.bench_report import PAUSE_S, RATIO_MIN, _context  # noqa: E402

#: Qwen2.5-0.5B's shape (its config.json), as a Llama.
SHAPE_NAME = "Qwen2.5-0.5B-shaped"
SHAPE: dict[str, Any] = {
    "hidden_size": 896,
    "intermediate_size": 4864,
    "num_hidden_layers": 24,
    "num_attention_heads": 14,
    "num_key_value_heads": 2,
    "vocab_size": 151936,
    "max_position_embeddings": 4096,
    "tie_word_embeddings": True,
}
#: New tokens of the warm-up pair (first-call paths need no more).
WARM_UP_TOKENS = 4
_HAN = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")

#: One timed run: (seconds from the call to the last token, to the first token, tokens).
Run = tuple[float, float, int]


def build_model(folder: Path) -> Path:
    """Save the random :data:`SHAPE` model with the tests' tokenizer in ``folder``, sealed."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from core.report.llm_models import seal_language_model
    from tests.core.llm_helpers import BYTE_TOKENS, save_tiny_tokenizer

    # Byte fallback as Llama 2's: the GGUF conversion of this model needs it.
    tokenizer = save_tiny_tokenizer(folder, byte_fallback=True)
    config = LlamaConfig(
        **SHAPE,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(0)
    model: Any = LlamaForCausalLM(config)
    silent = [
        token_id
        for token, token_id in tokenizer.get_vocab().items()
        if token in BYTE_TOKENS or _HAN.search(tokenizer.convert_tokens_to_string([token]))
    ]
    with torch.no_grad():
        # Wide random weights wander over the vocabulary (as the tests' helper does);
        # zero output rows keep a token's logit at 0, below the best of the others.
        for parameter in model.parameters():
            if parameter.dim() > 1:
                parameter.normal_(0.0, 0.5)
        model.lm_head.weight[len(tokenizer) :] = 0.0
        for token_id in (*tokenizer.all_special_ids, *silent):
            model.lm_head.weight[token_id] = 0.0
    model.to(torch.bfloat16).save_pretrained(str(folder), safe_serialization=True)
    seal_language_model(folder)
    return folder


def engine_run(engine: Any, context: Any, new_tokens: int) -> tuple[Run, Any]:
    """One draft through the engine, timed as its caller sees it; (run, draft)."""
    from core.jobs import run_job
    from core.report.llm import (
        DraftMode,
        GenerationSettings,
        TextChunk,
        draft_with_language_model,
    )

    settings = GenerationSettings(max_new_tokens=new_tokens)

    first: list[float] = []

    def on_event(event: Any) -> None:
        if isinstance(event, TextChunk) and not first:
            first.append(time.perf_counter())

    start = time.perf_counter()
    draft = run_job(
        draft_with_language_model(engine, context, DraftMode.REPORT, "en", settings), on_event
    )
    seconds = time.perf_counter() - start
    if draft.stopped or draft.retried or not first:
        raise RuntimeError(
            f"the {draft.engine} draft did not run to its end (stopped {draft.stopped}, "
            f"retried {draft.retried}, {draft.incomplete or 'no reason given'})"
        )
    return (seconds, first[0] - start, draft.new_tokens), draft


class _TokenClock:
    """A ``generate`` streamer that only notes when the first new token came."""

    def __init__(self) -> None:
        self.first: float | None = None
        self._prompt = True

    def put(self, value: Any) -> None:
        if self._prompt:  # generate() hands the prompt over first
            self._prompt = False
        elif self.first is None:
            self.first = time.perf_counter()

    def end(self) -> None:
        pass


def make_bare_generate(folder: Path, messages: list[dict[str, str]]) -> Callable[[int], Run]:
    """Bare ``model.generate`` of ``folder`` in this process, in the engine's dtype."""
    import torch
    import transformers
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from core.report.llm.child import model_dtype_name

    hf_logging: Any = transformers.utils.logging
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    model: Any = AutoModelForCausalLM.from_pretrained(
        str(folder),
        local_files_only=True,
        use_safetensors=True,
        dtype=getattr(torch, model_dtype_name()),
    )
    model.eval()

    def bare(new_tokens: int) -> Run:
        clock = _TokenClock()
        start = time.perf_counter()
        text = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        inputs = tokenizer(text, add_special_tokens=False, return_tensors="pt")
        with torch.inference_mode():
            output = model.generate(
                **inputs,
                max_new_tokens=new_tokens,
                do_sample=False,
                pad_token_id=tokenizer.pad_token_id,
                streamer=clock,
            )
        tokenizer.decode(output[0, inputs["input_ids"].shape[1] :], skip_special_tokens=True)
        seconds = time.perf_counter() - start
        written = int(output.shape[1] - inputs["input_ids"].shape[1])
        return seconds, (clock.first or time.perf_counter()) - start, written

    return bare


def make_bare_request(
    base: str, model: str, messages: list[dict[str, str]]
) -> Callable[[int], Run]:
    """A bare streaming chat-completions request to ``base`` (``requests``, SSE deltas)."""
    import requests

    url = f"{base}/v1/chat/completions"

    def bare(new_tokens: int) -> Run:
        body: dict[str, Any] = {
            "model": model,
            "messages": messages,
            "stream": True,
            "stream_options": {"include_usage": True},
            "max_tokens": new_tokens,
            "temperature": 0.0,
        }
        start = time.perf_counter()
        first = None
        deltas = 0
        usage: dict[str, Any] = {}
        with requests.post(url, json=body, stream=True, timeout=(10, 120)) as response:
            response.raise_for_status()
            for line in response.iter_lines(chunk_size=1):
                if not line.startswith(b"data:"):
                    continue
                data = line[len(b"data:") :].strip()
                if data == b"[DONE]":
                    break
                payload = json.loads(data)
                usage = payload.get("usage") or usage
                for choice in payload.get("choices") or ():
                    if (choice.get("delta") or {}).get("content"):
                        first = first or time.perf_counter()
                        deltas += 1
        seconds = time.perf_counter() - start
        written = int(usage.get("completion_tokens") or deltas)
        return seconds, (first or time.perf_counter()) - start, written

    return bare


def paired(
    bare: Callable[[int], Run], engine: Callable[[int], Run], rounds: int, tokens: int
) -> dict[str, Any]:
    """A short warm-up pair, then ``rounds`` pairs in alternating order; medians and ratios."""
    bare(WARM_UP_TOKENS), engine(WARM_UP_TOKENS)  # first-call paths, allocator, threads
    runs: dict[str, list[Run]] = {"bare": [], "engine": []}
    for number in range(rounds):
        # Back to back, the order alternating: a busy machine's slow moments fall on both.
        for side in ("bare", "engine") if number % 2 == 0 else ("engine", "bare"):
            time.sleep(PAUSE_S)
            run = bare(tokens) if side == "bare" else engine(tokens)
            if run[2] != tokens:
                raise RuntimeError(f"the {side} run wrote {run[2]} tokens, not {tokens}")
            runs[side].append(run)
    b, e = runs["bare"], runs["engine"]
    return {
        "bare_tps": tokens / statistics.median(r[0] for r in b),
        "engine_tps": tokens / statistics.median(r[0] for r in e),
        "bare_ttft": statistics.median(r[1] for r in b),
        "engine_ttft": statistics.median(r[1] for r in e),
        "ratio": statistics.median(x[0] / y[0] for x, y in zip(b, e, strict=True)),
        "ttft_ratio": statistics.median(x[1] / y[1] for x, y in zip(b, e, strict=True)),
        # Second opinions on a machine shared with other CPU-heavy work: the fastest runs.
        "best_ratio": min(r[0] for r in b) / min(r[0] for r in e),
        "best_ttft_ratio": min(r[1] for r in b) / min(r[1] for r in e),
        "runs_s": [round(r[0], 2) for pair in zip(b, e, strict=True) for r in pair],
    }


def make_bare_llama(
    file: Path, messages: list[dict[str, str]], grammar: str
) -> Callable[[int], Run]:
    """Bare llama-cpp-python in this process: the engine's prompt, grammar and threads."""
    import llama_cpp
    from llama_cpp import Llama
    from llama_cpp.llama_grammar import LlamaGrammar

    from core.report.llm.gguf import MAX_CONTEXT, physical_cores
    from core.report.llm.gguf_child import format_prompt, load_cpu_backends

    load_cpu_backends()
    threads = physical_cores()
    llama: Any = Llama(
        model_path=str(file),
        n_ctx=MAX_CONTEXT,
        n_threads=threads,
        n_threads_batch=threads,
        n_gpu_layers=0,
        verbose=False,
    )

    def bare(new_tokens: int) -> Run:
        start = time.perf_counter()
        first = None
        prompt, templated = format_prompt(llama, messages)
        ids = llama.tokenize(prompt.encode(), add_bos=not templated, special=templated)
        written = 0
        pieces: list[bytes] = []
        rules = LlamaGrammar.from_string(grammar, verbose=False) if grammar else None
        for token in llama.generate(
            ids, temp=0.0, top_k=1, top_p=1.0, min_p=0.0, repeat_penalty=1.0, grammar=rules
        ):
            if llama_cpp.llama_vocab_is_eog(llama._model.vocab, token):
                break
            pieces.append(llama.detokenize([token]))
            first = first or time.perf_counter()
            written += 1
            if written >= new_tokens:
                break
        b"".join(pieces).decode("utf-8", errors="replace")
        seconds = time.perf_counter() - start
        return seconds, (first or time.perf_counter()) - start, written

    return bare


def measure_gguf(folder: Path, scratch: Path, rounds: int, tokens: int) -> dict[str, Any]:
    """The GGUF engine against bare llama-cpp-python on ``folder`` converted to Q8_0."""
    from core.report.llm import DraftMode, EngineSpec, build_messages
    from core.report.llm.gguf import report_grammar
    from core.report.llm_models import seal_language_model

    context = _context()
    messages = build_messages(context, DraftMode.REPORT, "en")
    figures: dict[str, Any] = {}
    started = time.perf_counter()
    gguf_folder = scratch / "bench-0.5b-gguf"
    gguf_folder.mkdir()
    file = gguf_folder / "bench-0.5b-q8_0.gguf"
    run_child(__file__, ["--convert", str(folder), str(file)], child_env(scratch), timeout=900)
    seal_language_model(gguf_folder)
    figures["convert_s"] = time.perf_counter() - started
    figures["gguf_mib"] = file.stat().st_size / 2**20
    spec = EngineSpec.gguf(file)
    started = time.perf_counter()
    engine_run(spec, context, WARM_UP_TOKENS)  # the process, llama.cpp, the model
    figures["gguf_load_s"] = time.perf_counter() - started
    bare = make_bare_llama(file, messages, report_grammar(DraftMode.REPORT, "en"))
    figures["gguf"] = paired(bare, lambda n: engine_run(spec, context, n)[0], rounds, tokens)
    return figures


def measure_poll(
    folder: Path, scratch: Path, rounds: int, tokens: int, polls: list[float]
) -> dict[str, Any]:
    """The GGUF engine against bare llama-cpp-python, once with each caller's pipe wait.

    Each round runs the bare baseline and the engine with every wait, in an order that
    rotates from round to round; a wait's ratio is the median of bare time / engine
    time over the rounds (the bare run of the same round).
    """
    from core import worker_process
    from core.report.llm import DraftMode, EngineSpec, build_messages
    from core.report.llm.gguf import report_grammar
    from core.report.llm_models import seal_language_model

    context = _context()
    messages = build_messages(context, DraftMode.REPORT, "en")
    gguf_folder = scratch / "bench-0.5b-gguf"
    gguf_folder.mkdir()
    file = gguf_folder / "bench-0.5b-q8_0.gguf"
    run_child(__file__, ["--convert", str(folder), str(file)], child_env(scratch), timeout=900)
    seal_language_model(gguf_folder)
    spec = EngineSpec.gguf(file)
    engine_run(spec, context, WARM_UP_TOKENS)  # the process, llama.cpp, the model
    bare = make_bare_llama(file, messages, report_grammar(DraftMode.REPORT, "en"))
    original = worker_process._POLL_S
    cpu: dict[str, list[float]] = {f"{poll:g}": [] for poll in polls}

    def engine_with(poll: float) -> Callable[[int], Run]:
        def run(new_tokens: int) -> Run:
            worker_process._POLL_S = poll  # type: ignore[misc]
            before = time.process_time()
            try:
                return engine_run(spec, context, new_tokens)[0]
            finally:
                # This process's CPU per draft: what the caller's waiting costs the
                # cores llama.cpp computes on, whatever else the machine is doing.
                if new_tokens == tokens:
                    cpu[f"{poll:g}"].append(time.process_time() - before)
                worker_process._POLL_S = original  # type: ignore[misc]

        return run

    sides: list[tuple[str, Callable[[int], Run]]] = [("bare", bare)]
    sides += [(f"{poll:g}", engine_with(poll)) for poll in polls]
    for _, side in sides:
        side(WARM_UP_TOKENS)
    runs: dict[str, list[Run]] = {name: [] for name, _ in sides}
    for number in range(rounds):
        shift = number % len(sides)
        for name, side in sides[shift:] + sides[:shift]:
            time.sleep(PAUSE_S)
            run = side(tokens)
            if run[2] != tokens:
                raise RuntimeError(f"the {name} run wrote {run[2]} tokens, not {tokens}")
            runs[name].append(run)
    b = runs["bare"]
    return {
        name: {
            "tps": tokens / statistics.median(r[0] for r in e),
            "ratio": statistics.median(x[0] / y[0] for x, y in zip(b, e, strict=True)),
            "ttft_ratio": statistics.median(x[1] / y[1] for x, y in zip(b, e, strict=True)),
            "runs_s": [round(r[0], 2) for r in e],
            "cpu_ms": statistics.median(cpu[name]) * 1000 if name in cpu else float("nan"),
        }
        for name, e in runs.items()
    }


def measure(folder: Path, scratch: Path, rounds: int, tokens: int) -> dict[str, Any]:
    """Both engines against their baselines on ``folder``'s model."""
    from core.report.llm import (
        DraftMode,
        EngineSpec,
        build_messages,
        shutdown_language_model_process,
    )
    from core.report.llm.child import model_dtype_name
    from tests.core.llm_helpers import start_transformers_serve, stop_server

    context = _context()
    messages = build_messages(context, DraftMode.REPORT, "en")
    figures: dict[str, Any] = {"dtype": model_dtype_name()}

    started = time.perf_counter()
    draft = engine_run(folder, context, WARM_UP_TOKENS)[1]  # the process, torch, the model
    figures["load_s"] = time.perf_counter() - started
    figures["prompt_tokens"] = draft.prompt_tokens
    generate = make_bare_generate(folder, messages)
    own: list[tuple[float, float]] = []

    def through_engine(new_tokens: int) -> Run:
        run, draft = engine_run(folder, context, new_tokens)
        if new_tokens == tokens:  # the engine's own work: all but the child's generate()
            own.append((run[0] - draft.generate_seconds + draft.streaming_seconds, run[0]))
        return run

    figures["transformers"] = paired(generate, through_engine, rounds, tokens)
    figures["transformers"]["own_ms"] = statistics.median(o for o, _ in own) * 1000
    figures["transformers"]["own_ratio"] = statistics.median(1 - o / whole for o, whole in own)
    del generate  # its model's memory, before the server loads another copy
    gc.collect()
    shutdown_language_model_process()
    figures.update(measure_gguf(folder, scratch, rounds, tokens))
    gc.collect()
    shutdown_language_model_process()

    started = time.perf_counter()
    server, base = start_transformers_serve(folder, scratch / "serve.log")
    figures["serve_s"] = time.perf_counter() - started
    try:
        spec = EngineSpec.endpoint(base, str(folder), api_key_name="")
        request = make_bare_request(base, str(folder), messages)
        cpu: dict[str, list[float]] = {"bare": [], "engine": []}

        def client_cpu(side: str, run: Callable[[int], Run]) -> Callable[[int], Run]:
            # This process's CPU time per request: the client's own work, whatever the
            # server and the rest of the machine are doing.
            def timed(new_tokens: int) -> Run:
                before = time.process_time()
                result = run(new_tokens)
                if new_tokens == tokens:
                    cpu[side].append(time.process_time() - before)
                return result

            return timed

        figures["endpoint"] = paired(
            client_cpu("bare", request),
            client_cpu("engine", lambda n: engine_run(spec, context, n)[0]),
            rounds,
            tokens,
        )
        for side, seconds in cpu.items():
            figures["endpoint"][f"{side}_cpu_ms"] = statistics.median(seconds) * 1000
    finally:
        stop_server(server)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=4, help="interleaved timing pairs")
    parser.add_argument("--new-tokens", type=int, default=32, help="new tokens per draft")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument(
        "--poll-compare",
        metavar="S,S",
        help="GGUF only: the engine with each of these caller pipe waits (seconds)",
    )
    parser.add_argument("--build", metavar="FOLDER", help=argparse.SUPPRESS)
    parser.add_argument("--convert", nargs=2, metavar=("FOLDER", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:  # in a fresh interpreter: the bench process keeps none of the building
        build_model(Path(args.build))
        print(json.dumps({"folder": args.build}))
        return 0
    if args.convert:  # likewise: converting holds the whole model as float32 for a while
        from core.report.llm.gguf_convert import convert_to_gguf

        convert_to_gguf(args.convert[0], args.convert[1], output_type="q8_0")
        print(json.dumps({"file": args.convert[1]}))
        return 0
    if args.rounds < 1 or args.new_tokens < 2:
        parser.error("--rounds must be >= 1 and --new-tokens >= 2")

    began = time.perf_counter()
    scratch = Path(tempfile.mkdtemp(prefix="radassist-bench-engines-"))
    os.environ.pop("RADASSIST_LLM_API_KEY", None)
    try:
        os.environ["RADASSIST_DATA_DIR"] = str(scratch / "data")
        started = time.perf_counter()
        folder = scratch / "bench-0.5b"
        run_child(__file__, ["--build", str(folder)], child_env(scratch), timeout=600)
        built_s = time.perf_counter() - started
        if args.poll_compare:
            polls = [float(value) for value in args.poll_compare.split(",")]
            compared = measure_poll(folder, scratch, args.rounds, args.new_tokens, polls)
        else:
            figures = measure(folder, scratch, args.rounds, args.new_tokens)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    if args.poll_compare:
        print(
            f"\nGGUF engine (Q8_0) with each caller pipe wait, {args.new_tokens} new tokens, "
            f"{args.rounds} rotating rounds (ratio = bare llama-cpp-python time / engine time, "
            f"same round), model built in {built_s:.0f} s"
        )
        for name, f in compared.items():
            label = "bare llama-cpp-python" if name == "bare" else f"engine, wait {name} s"
            print(
                f"  {label:28}{f['tps']:7.2f} tokens/s  ratio {f['ratio']:.3f}  first-token "
                f"ratio {f['ttft_ratio']:.3f}  caller CPU {f['cpu_ms']:.0f} ms/draft  "
                f"runs {f['runs_s']}"
            )
        return 0

    tokens = args.new_tokens
    print(
        f"\nDrafting engines: {SHAPE_NAME} Llama, 494 M parameters (random, {figures['dtype']}), "
        f"greedy, prompt {figures['prompt_tokens']} tokens, {tokens} new tokens; medians of "
        f"{args.rounds} paired rounds (ratio = baseline time / engine time)"
    )
    print(f"  {'':44}{'tokens/s':>9}{'first token':>13}")
    rows = (
        ("transformers", "bare model.generate (this process)", "engine (child process)"),
        ("gguf", "bare llama-cpp-python (this process, Q8_0)", "engine (EngineSpec.gguf)"),
        ("endpoint", "bare streaming request (requests)", "engine (EngineSpec.endpoint)"),
    )
    verdicts: dict[str, bool] = {}
    for key, bare_label, engine_label in rows:
        f = figures[key]
        print(f"  {bare_label:44}{f['bare_tps']:>9.2f}{f['bare_ttft'] * 1000:>10.0f} ms")
        print(f"  {engine_label:44}{f['engine_tps']:>9.2f}{f['engine_ttft'] * 1000:>10.0f} ms")
        verdicts[f"{key} tokens/s"] = f["ratio"] >= RATIO_MIN
        verdicts[f"{key} first token"] = f["ttft_ratio"] >= RATIO_MIN
        ok = verdicts[f"{key} tokens/s"] and verdicts[f"{key} first token"]
        print(
            f"    {key}: tokens/s ratio {f['ratio']:.3f}, first-token ratio "
            f"{f['ttft_ratio']:.3f} (targets >= {RATIO_MIN}) {'ok' if ok else 'MISSED'} "
            f"(median of paired runs; fastest runs {f['best_ratio']:.3f} and "
            f"{f['best_ttft_ratio']:.3f})"
        )
    t, e = figures["transformers"], figures["endpoint"]
    print(
        f"  the transformers engine's own work per draft (inspection, prompt, pipe, process, "
        f"streamer; the rest is generate()): {t['own_ms']:.0f} ms, so its ratio without the "
        f"machine's noise is {t['own_ratio']:.3f}"
    )
    print(
        f"  the client's CPU per request (this process): bare {e['bare_cpu_ms']:.0f} ms, "
        f"endpoint engine {e['engine_cpu_ms']:.0f} ms"
    )
    print(f"  side by side on the one shape ({tokens} new tokens):")
    print(
        f"    transformers engine  {t['engine_tps']:6.2f} tokens/s, first token "
        f"{t['engine_ttft']:.2f} s"
    )
    print(
        f"    endpoint engine      {e['engine_tps']:6.2f} tokens/s, first token "
        f"{e['engine_ttft']:.2f} s (transformers serve on 127.0.0.1)"
    )
    g = figures["gguf"]
    print(
        f"    GGUF engine (Q8_0)   {g['engine_tps']:6.2f} tokens/s, first token "
        f"{g['engine_ttft']:.2f} s (llama.cpp, {figures['gguf_mib']:.0f} MiB file)"
    )
    print(
        f"    GGUF over transformers: {g['engine_tps'] / t['engine_tps']:.2f}x tokens/s, "
        f"first token {t['engine_ttft'] / g['engine_ttft']:.2f}x sooner "
        f"(converted to GGUF in {figures['convert_s']:.0f} s; first GGUF draft "
        f"{figures['gguf_load_s']:.1f} s)"
    )
    print(
        "    (llama.cpp keeps the last prompt's KV cache and skips the part a new prompt "
        "shares with it: from the second draft of one study on, the prompt costs almost "
        "nothing, in the bare runs and the engine's alike; transformers processes it every "
        "time. The first, uncached GGUF draft above includes the prompt and the loading.)"
    )
    print(
        f"  model built in {built_s:.1f} s; first draft (process, torch, model) "
        f"{figures['load_s']:.1f} s; server up in {figures['serve_s']:.1f} s; whole script "
        f"{time.perf_counter() - began:.0f} s"
    )
    return finish(verdicts, args.strict)


if __name__ == "__main__":
    sys.exit(main())
