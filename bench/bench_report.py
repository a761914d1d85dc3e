"""The language-model engine against a bare ``model.generate`` on the same model and prompt.

Figures, each printed with its target:

* tokens per second of a whole draft through the engine
  (``core.report.llm.draft_with_language_model``: folder inspection, prompt, the
  language-model child process, a streamer decoding the tokens and sending their text
  through the pipe as it comes, at most 20 ms apart by default) against a bare
  ``model.generate`` in this process (chat template, tokenising, greedy generation, one
  decode at the end): ratio >= 0.95;
* time to the first token: the engine's first text chunk as its caller receives it, and
  the bare path's prompt + ``generate(max_new_tokens=1)``.

The model is the tests' tiny Llama (tests/core/llm_helpers.py) made a few million
parameters large, so that generation, not Python overhead, is what is timed; random
weights (speed does not depend on them) and a tokenizer trained on a few report
sentences. Greedy decoding, a fixed number of new tokens (the helper's model never
emits end-of-sequence). The engine's model is loaded (warm) before timing: loading
is timed once and shown apart. Bare and engine runs alternate in pairs and the median of the
pairs' ratios is compared with the target; on a machine shared with other CPU-heavy
work every figure swings, so the ratio of the medians and of the fastest runs are
printed as second opinions.

The longest main-thread stall while tokens stream into the real panel is measured with
the panel (the desktop side).

    python bench/bench_report.py [--rounds 7] [--tokens 128] [--strict]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RATIO_MIN = 0.95
MODEL_SHAPE = {"hidden_size": 256, "layers": 4, "heads": 8, "intermediate_size": 688}
PAUSE_S = 0.05  # lets the other side's idle threads go to sleep between runs


def _context() -> Any:
    from core.report.document import FindingFact, ReportContext, StudyContext

    study = StudyContext(
        study_instance_uid="1.2.826.0.1.3680043.8.498.77",
        modality="DX",
        body_part="CHEST",
        view_position="PA",
        patient_sex="F",
        patient_age_years=61,
        technique="120 kV, 2.5 mAs",
    )
    findings = (
        FindingFact("Nodule", "positive", 0.81, 0.5, side="right", zone="upper", model="m 1"),
        FindingFact("Effusion", "negative", 0.04, 0.29, model="m 1"),
        FindingFact("Pneumothorax", "negative", 0.02, 0.3, model="m 1"),
        FindingFact("Cardiomegaly", "indeterminate", 0.41, 0.45, model="m 1"),
    )
    return ReportContext(study=study, findings=findings, models=("m 1",), analysed=True)


def measure(folder: Path, rounds: int, tokens: int) -> dict[str, Any]:
    import torch
    import transformers
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from core.jobs import run_job
    from core.report.llm import (
        DraftMode,
        GenerationSettings,
        TextChunk,
        build_messages,
        draft_with_language_model,
        shutdown_language_model_process,
    )
    from core.report.llm.child import model_dtype_name

    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    context = _context()
    messages = build_messages(context, DraftMode.REPORT, "en")
    settings = GenerationSettings(max_new_tokens=tokens)

    tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    # The dtype the engine loads in (bf16 only on CPUs with native bf16): the same work.
    model = AutoModelForCausalLM.from_pretrained(
        str(folder), local_files_only=True, use_safetensors=True, dtype=model_dtype_name()
    )
    model.eval()
    parameters = sum(p.numel() for p in model.parameters())
    prompt = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    prompt_tokens = len(tokenizer(prompt, add_special_tokens=False)["input_ids"])

    def bare(new_tokens: int) -> tuple[float, str]:
        start = time.perf_counter()
        text = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        inputs = tokenizer(text, add_special_tokens=False, return_tensors="pt")
        with torch.inference_mode():
            output = model.generate(
                **inputs,
                max_new_tokens=new_tokens,
                do_sample=False,
                pad_token_id=tokenizer.pad_token_id,
            )
        answer = tokenizer.decode(
            output[0, inputs["input_ids"].shape[1] :], skip_special_tokens=True
        )
        seconds = time.perf_counter() - start
        if output.shape[1] - inputs["input_ids"].shape[1] != new_tokens:
            raise RuntimeError("the bare model stopped early: the comparison would be unfair")
        return seconds, answer

    def engine() -> tuple[float, float, str, float]:
        first: list[float] = []

        def on_event(event: Any) -> None:
            if isinstance(event, TextChunk) and not first:
                first.append(time.perf_counter())

        start = time.perf_counter()
        draft = run_job(
            draft_with_language_model(folder, context, DraftMode.REPORT, "en", settings),
            on_event,
        )
        seconds = time.perf_counter() - start
        if draft.new_tokens != tokens or draft.stopped:
            raise RuntimeError(f"the engine wrote {draft.new_tokens} tokens, not {tokens}")
        own = seconds - draft.generate_seconds + draft.streaming_seconds
        return seconds, first[0] - start, draft.text, own

    load_start = time.perf_counter()
    engine_first = engine()  # starts the process, imports torch there, loads the model
    load_s = time.perf_counter() - load_start
    bare_text = bare(tokens)[1]
    same_text = engine_first[2] == bare_text
    for _ in range(2):  # warm-up: allocator, thread pools, first-call paths
        bare(tokens), bare(1), engine()
    times: dict[str, list[float]] = {
        "bare": [],
        "bare_first": [],
        "engine": [],
        "first": [],
        "own": [],
    }
    for round_number in range(rounds):
        # Bare and engine back to back, the order alternating: a busy machine's slow
        # moments fall on both sides, and each pair is compared on its own.
        order = ("bare", "engine") if round_number % 2 == 0 else ("engine", "bare")
        for step in (*order, "bare_first"):
            time.sleep(PAUSE_S)
            if step == "bare":
                times["bare"].append(bare(tokens)[0])
            elif step == "bare_first":
                times["bare_first"].append(bare(1)[0])
            else:
                seconds, first, _, own = engine()
                times["engine"].append(seconds)
                times["first"].append(first)
                times["own"].append(own)
    shutdown_language_model_process()
    medians = {key: statistics.median(values) for key, values in times.items()}
    return {
        "parameters": parameters,
        "threads": torch.get_num_threads(),
        "tokens": tokens,
        "prompt_tokens": prompt_tokens,
        "load_s": load_s,
        "same_text": same_text,
        "bare_tps": tokens / medians["bare"],
        "engine_tps": tokens / medians["engine"],
        "ratio": statistics.median(
            b / e for b, e in zip(times["bare"], times["engine"], strict=True)
        ),
        "ratio_of_medians": medians["bare"] / medians["engine"],
        "ratio_best": min(times["bare"]) / min(times["engine"]),
        "bare_ttft_ms": medians["bare_first"] * 1000,
        "engine_ttft_ms": medians["first"] * 1000,
        "own_ms": medians["own"] * 1000,
        "own_ratio": statistics.median(
            1 - own / e for own, e in zip(times["own"], times["engine"], strict=True)
        ),
        "engine_ms": medians["engine"] * 1000,
        "rounds": rounds,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7, help="interleaved timing rounds")
    parser.add_argument("--tokens", type=int, default=128, help="new tokens per draft")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()

    from tests.core.llm_helpers import make_tiny_causal_lm

    scratch = Path(tempfile.mkdtemp(prefix="radassist-bench-report-"))
    try:
        os.environ["RADASSIST_DATA_DIR"] = str(scratch / "data")
        folder = make_tiny_causal_lm(scratch / "bench-llama", **MODEL_SHAPE)
        figures = measure(folder, args.rounds, args.tokens)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    ok = figures["ratio"] >= RATIO_MIN
    print(
        f"\nLanguage-model drafting: Llama-shaped model, {figures['parameters'] / 1e6:.1f} M "
        f"parameters (random), {figures['threads']} threads, greedy, prompt "
        f"{figures['prompt_tokens']} tokens, {figures['tokens']} new tokens; medians of "
        f"{figures['rounds']} rounds"
    )
    print(f"  {'':34}{'tokens/s':>10}{'first token':>14}")
    print(
        f"  {'bare model.generate (this process)':34}{figures['bare_tps']:>10.1f}"
        f"{figures['bare_ttft_ms']:>11.1f} ms"
    )
    print(
        f"  {'engine (child process, streamed)':34}{figures['engine_tps']:>10.1f}"
        f"{figures['engine_ttft_ms']:>11.1f} ms"
    )
    print(
        f"  ratio engine/bare {figures['ratio']:.3f} (target >= {RATIO_MIN}) "
        f"{'ok' if ok else 'MISSED'} (median of paired runs; ratio of medians "
        f"{figures['ratio_of_medians']:.3f}, of fastest runs {figures['ratio_best']:.3f}); "
        "first token "
        f"{figures['engine_ttft_ms'] - figures['bare_ttft_ms']:+.1f} ms through the engine"
    )
    print(
        f"  the engine's own work per draft (inspection, prompt, pipe, process, streamer and "
        f"stop check; the rest is the model): {figures['own_ms']:.1f} ms of "
        f"{figures['engine_ms']:.0f} ms, so the ratio without the machine's noise is "
        f"{figures['own_ratio']:.3f}"
    )
    print(
        f"  first draft (starts the process, imports torch there, loads the model): "
        f"{figures['load_s']:.2f} s; same text as bare generate: "
        f"{'yes' if figures['same_text'] else 'NO'}"
    )
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
