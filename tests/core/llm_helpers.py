"""Tiny Hugging Face causal language models for tests and benches, built in a tmp folder.

``make_tiny_causal_lm(tmp_path / "lm")`` saves a Llama-shaped model with random weights
(safetensors), a BPE tokenizer trained with ``tokenizers`` on a few report sentences in
English and Chinese (saved as a fast tokenizer) and, by default, a chat template: a
folder ``AutoModelForCausalLM`` / ``AutoTokenizer`` load offline like a real one, in
well under a second. The special tokens' output rows are zero, so greedy decoding never
ends early: a draft runs to ``max_new_tokens``, which streaming and stop tests rely on.

The other builders make the folders the engine must refuse: pickle weights only, a
corrupt config, custom code, and a model far too large for memory (a safetensors header
that claims hundreds of GB, without the bytes).
"""

from __future__ import annotations

import json
import pickle
import struct
from pathlib import Path
from typing import Any

#: Sentences the tokenizer learns from (its merges make report words single tokens).
SENTENCES = (
    "Clinical information: Cough for two weeks.",
    "Technique: PA chest radiograph, 120 kV, 2.5 mAs.",
    "Comparison: None.",
    "Findings: There is a nodule in the right upper zone.",
    "No pleural effusion or pneumothorax. The heart size is normal.",
    "Possible consolidation in the left lower zone cannot be excluded.",
    "Impression: Right upper zone nodule. No effusion.",
    "Recommendations: Follow-up CT of the chest per Fleischner guidelines.",
    "临床信息：咳嗽两周。",
    "检查技术：胸部正位片。",
    "影像所见：右肺上野见结节影。未见胸腔积液及气胸。心影大小正常。",
    "诊断意见：右肺上野结节。建议胸部CT随访。",
)
SPECIAL_TOKENS = ("<unk>", "<s>", "</s>", "<pad>")
CHAT_TEMPLATE = (
    "{% for message in messages %}<|{{ message['role'] }}|>\n{{ message['content'] }}\n"
    "{% endfor %}{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)


#: SentencePiece-style byte-fallback tokens: what a character outside the vocabulary
#: becomes (llama.cpp's ``llama`` tokenizer needs them; without them it aborts).
BYTE_TOKENS = tuple(f"<0x{value:02X}>" for value in range(256))


def _with_byte_fallback(trained: Any) -> Any:
    """``trained`` with the 256 byte tokens after its own, falling back to them as Llama 2."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers

    data = json.loads(trained.to_str())
    vocab: dict[str, int] = dict(data["model"]["vocab"])
    for token in BYTE_TOKENS:
        vocab.setdefault(token, len(vocab))
    merges: list[tuple[str, str]] = []
    for merge in data["model"]["merges"]:
        left, right = merge.split(" ", 1) if isinstance(merge, str) else merge
        merges.append((left, right))
    tokenizer = Tokenizer(
        models.BPE(vocab=vocab, merges=merges, unk_token="<unk>", byte_fallback=True)
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace()
    tokenizer.decoder = decoders.Sequence([decoders.ByteFallback(), decoders.Metaspace()])
    tokenizer.add_special_tokens(list(SPECIAL_TOKENS))
    return tokenizer


def _train_tokenizer(vocab_size: int) -> Any:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace()
    tokenizer.decoder = decoders.Metaspace()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(SPECIAL_TOKENS),
        # Every printable ASCII character is known, so prompts never hit <unk> there.
        initial_alphabet=["\n", *(chr(code) for code in range(32, 127))],
        show_progress=False,
    )
    tokenizer.train_from_iterator(list(SENTENCES) * 4, trainer)
    return tokenizer


def save_tiny_tokenizer(
    folder: Path, *, chat_template: bool = True, vocab_size: int = 400, byte_fallback: bool = False
) -> Any:
    """Train and save the tokenizer (and chat template); returns the fast tokenizer.

    ``byte_fallback`` adds the 256 byte tokens (:data:`BYTE_TOKENS`) a character outside
    the vocabulary falls back to, as Llama 2's tokenizer does (the GGUF models need it).
    """
    from transformers import PreTrainedTokenizerFast

    trained = _train_tokenizer(vocab_size)
    tokenizer = PreTrainedTokenizerFast(  # type: ignore[no-untyped-call]
        tokenizer_object=_with_byte_fallback(trained) if byte_fallback else trained,
        unk_token="<unk>",
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<pad>",
    )
    if chat_template:
        tokenizer.chat_template = CHAT_TEMPLATE
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer.save_pretrained(str(folder))
    return tokenizer


def make_tiny_causal_lm(
    folder: Path,
    *,
    chat_template: bool = True,
    hidden_size: int = 32,
    layers: int = 2,
    heads: int = 4,
    intermediate_size: int = 64,
    max_positions: int = 4096,
    vocab_size: int = 400,
    seed: int = 0,
    byte_fallback: bool = False,
) -> Path:
    """Save a random Llama causal LM with its tokenizer in ``folder``; returns ``folder``.

    The defaults make a model of about 40 thousand parameters (milliseconds per
    token); a bench asks for a few million (e.g. ``hidden_size=256, layers=4``).
    """
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = save_tiny_tokenizer(
        folder, chat_template=chat_template, vocab_size=vocab_size, byte_fallback=byte_fallback
    )
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=intermediate_size,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=max(1, heads // 2),
        max_position_embeddings=max_positions,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    with torch.no_grad():
        # Wide random weights make greedy decoding wander over the vocabulary instead of
        # repeating one token; zero rows for the special tokens keep their logits at 0,
        # below the best of hundreds of others, so no draft ends early.
        for parameter in model.parameters():
            if parameter.dim() > 1:
                parameter.normal_(0.0, 0.5)
        for token_id in tokenizer.all_special_ids:
            model.lm_head.weight[token_id] = 0.0
        # Nor does it write byte-fallback tokens: random bytes are rarely UTF-8, and
        # engines may mark a broken sequence differently (both with U+FFFD).
        for token_id in tokenizer.convert_tokens_to_ids(list(BYTE_TOKENS) if byte_fallback else []):
            model.lm_head.weight[token_id] = 0.0
    model.save_pretrained(str(folder), safe_serialization=True)
    # Sealed as an import does (house rule 7: every file hashed, verified when loaded).
    from core.report.llm_models import seal_language_model

    seal_language_model(folder)
    return folder


# -------------------------------------------------------------------- refused folders


def _llama_config(**overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "max_position_embeddings": 4096,
        "vocab_size": 400,
    }
    config.update(overrides)
    return config


def _write_config(folder: Path, config: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")


def _write_tokenizer_files(folder: Path) -> None:
    # A minimal fast-tokenizer file: the refusals under test happen before it is read.
    (folder / "tokenizer.json").write_text(
        json.dumps({"version": "1.0", "model": {"type": "BPE", "vocab": {}, "merges": []}}),
        encoding="utf-8",
    )
    (folder / "tokenizer_config.json").write_text("{}", encoding="utf-8")


def write_safetensors_header(path: Path, tensors: dict[str, tuple[str, list[int]]]) -> None:
    """A safetensors file holding only its header (the data bytes are not written)."""
    sizes = {"BF16": 2, "F16": 2, "F32": 4}
    header: dict[str, Any] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, (dtype, shape) in tensors.items():
        count = 1
        for n in shape:
            count *= n
        end = offset + count * sizes[dtype]
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, end]}
        offset = end
    raw = json.dumps(header).encode("utf-8")
    raw += b" " * (-len(raw) % 8)
    path.write_bytes(struct.pack("<Q", len(raw)) + raw)


def make_pickle_only_model(folder: Path) -> Path:
    """Config, tokenizer and ``pytorch_model.bin`` (a pickle): must never be loaded."""
    _write_config(folder, _llama_config())
    _write_tokenizer_files(folder)
    (folder / "pytorch_model.bin").write_bytes(pickle.dumps({"model.embed_tokens.weight": [0.0]}))
    return folder


def make_corrupt_config_model(folder: Path) -> Path:
    """A folder whose config.json is cut off in the middle."""
    text = json.dumps(_llama_config(), indent=2)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(text[: len(text) // 2], encoding="utf-8")
    _write_tokenizer_files(folder)
    write_safetensors_header(folder / "model.safetensors", {"lm_head.weight": ("F32", [400, 32])})
    return folder


def make_remote_code_model(folder: Path) -> Path:
    """A model that needs its own Python code (``auto_map``): never run."""
    config = _llama_config(
        architectures=["EvilForCausalLM"],
        model_type="evil",
        auto_map={"AutoModelForCausalLM": "modeling_evil.EvilForCausalLM"},
    )
    _write_config(folder, config)
    _write_tokenizer_files(folder)
    (folder / "modeling_evil.py").write_text("raise SystemExit('never imported')\n")
    write_safetensors_header(folder / "model.safetensors", {"lm_head.weight": ("F32", [400, 32])})
    return folder


def make_huge_model(folder: Path, *, gigabytes: int = 500) -> Path:
    """A model whose safetensors header claims ``gigabytes`` GB of BF16 weights."""
    hidden = 16384
    rows = gigabytes * 10**9 // (2 * hidden)
    _write_config(folder, _llama_config(hidden_size=hidden, vocab_size=rows))
    _write_tokenizer_files(folder)
    write_safetensors_header(
        folder / "model.safetensors", {"model.embed_tokens.weight": ("BF16", [rows, hidden])}
    )
    return folder


# -- OpenAI-compatible servers on 127.0.0.1 -------------------------------------------------

_REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(url: str, process: Any, timeout_s: float) -> None:
    import time
    import urllib.request

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server stopped (exit code {process.returncode})")
        try:
            with urllib.request.urlopen(url, timeout=1.0):
                return
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"the server did not answer at {url} within {timeout_s} s")


def start_transformers_serve(folder: Path, log: Path, timeout_s: float = 120.0) -> tuple[Any, str]:
    """``transformers serve`` of ``folder`` on a free port, offline; (process, base URL).

    It needs ``transformers[serving]`` (fastapi, uvicorn) and accelerate. The model's
    name on that server is the folder's path.
    """
    import os
    import subprocess
    import sys

    port = free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    command = [
        str(Path(sys.executable).with_name("transformers")),
        "serve",
        str(folder),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--device",
        "cpu",
        "--log-level",
        "warning",
    ]
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    _wait_for(f"{base}/health", process, timeout_s)
    return process, base


def start_fake_endpoint(mode: str, *, key: str = "", delay_s: float = 0.3) -> tuple[Any, str]:
    """A tiny OpenAI-compatible server in a process of its own; (process, base URL).

    Modes: ``"slow"`` streams a delta every ``delay_s`` seconds and never ends (kill it
    mid-stream); ``"silent"`` answers the headers, one delta, then nothing; ``"html"``
    answers 200 with a web page; ``"garbage"`` sends ``data:`` lines that are not JSON;
    ``"ok"`` streams a short report then ``[DONE]``; ``"strict"`` refuses a request with a
    field the OpenAI API does not know (``grammar``: HTTP 400, as OpenAI's own API does),
    else answers as ``"ok"``. With ``key``, any other bearer
    token gets 401. ``GET /v1/models`` lists one model, ``fake``.
    """
    import subprocess
    import sys

    port = free_port()
    code = (
        "from tests.core.llm_helpers import serve_fake_endpoint; "
        f"serve_fake_endpoint({port}, {mode!r}, {key!r}, {delay_s!r})"
    )
    process = subprocess.Popen([sys.executable, "-c", code], cwd=str(_REPO))
    base = f"http://127.0.0.1:{port}"
    _wait_for(f"{base}/health", process, 30.0)
    return process, base


def stop_server(process: Any) -> None:
    """Kill a server process (SIGKILL: as a crash would) and reap it."""
    if process.poll() is None:
        process.kill()
    process.wait(timeout=10)


FAKE_REPORT = (
    "Findings: There is a nodule in the right upper zone. No pleural effusion.\n"
    "Impression: Right upper zone nodule."
)


def serve_fake_endpoint(port: int, mode: str, key: str, delay_s: float) -> None:
    """Run the fake endpoint (in its own process: :func:`start_fake_endpoint`)."""
    import time
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    def event(text: str, finish: str | None = None) -> bytes:
        choice: dict[str, Any] = {"index": 0, "delta": {"content": text} if text else {}}
        if finish:
            choice["finish_reason"] = finish
        return f"data: {json.dumps({'choices': [choice]})}\n\n".encode()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path == "/health":
                self._send(200, b'{"status":"ok"}', "application/json")
            elif self.path == "/v1/models":
                body = {"object": "list", "data": [{"id": "fake", "object": "model"}]}
                self._send(200, json.dumps(body).encode(), "application/json")
            else:
                self._send(404, b'{"detail":"Not Found"}', "application/json")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            request = json.loads(self.rfile.read(length) or b"{}")
            if key and self.headers.get("Authorization") != f"Bearer {key}":
                self._send(401, b'{"error":{"message":"invalid api key"}}', "application/json")
                return
            if request.get("model") != "fake":
                self._send(404, b'{"error":{"message":"model not found"}}', "application/json")
                return
            if mode == "strict" and "grammar" in request:
                refusal = b'{"error":{"message":"Unrecognized request argument supplied: grammar"}}'
                self._send(400, refusal, "application/json")
                return
            if mode == "html":
                page = b"<!DOCTYPE html><html><body><h1>Welcome to nginx</h1></body></html>"
                self._send(200, page, "text/html")
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            write = self.wfile
            if mode == "garbage":
                write.write(b"data: this is not json\n\n")
                write.flush()
                return
            if mode in ("ok", "strict"):
                for word in FAKE_REPORT.split(" "):
                    write.write(event(word + " "))
                write.write(event("", "stop"))
                write.write(b"data: [DONE]\n\n")
                write.flush()
                return
            write.write(event("Findings: "))
            write.flush()
            if mode == "silent":
                time.sleep(3600)
            for number in range(100000):  # "slow": until killed
                write.write(event(f"word{number} "))
                write.flush()
                time.sleep(delay_s)

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


# -- GGUF ---------------------------------------------------------------------------------


def make_tiny_gguf(
    folder: Path, *, output_type: str = "f32", file_name: str = "tiny.gguf", **model: Any
) -> Path:
    """A tiny random Llama converted to GGUF, sealed as an import does; returns the file.

    The Hugging Face model (:func:`make_tiny_causal_lm`, ``model`` passes its options)
    is built beside ``folder`` and converted by the product's converter
    (:func:`core.report.llm.gguf_convert.convert_to_gguf`): tensor names, the q/k
    permutation, the tokenizer (as GGUF's ``llama`` tokenizer) and the chat template.
    ``folder`` ends up holding the ``.gguf`` file and its ``radassist-manifest.json``.
    """
    from core.report.llm.gguf_convert import convert_to_gguf
    from core.report.llm_models import seal_language_model

    source = folder.parent / f"{folder.name}-hf"
    model.setdefault("byte_fallback", True)  # llama.cpp's SentencePiece-style tokenizer
    make_tiny_causal_lm(source, **model)
    folder.mkdir(parents=True, exist_ok=True)
    file = convert_to_gguf(source, folder / file_name, output_type=output_type)  # type: ignore[arg-type]
    seal_language_model(folder)
    return file


def start_llama_cpp_server(
    model: Path, log: Path, *, alias: str = "tiny-gguf", timeout_s: float = 60.0
) -> tuple[Any, str]:
    """``python -m llama_cpp.server`` of a GGUF file on a free port; (process, base URL).

    The server is llama-cpp-python's own (its ``server`` extra: fastapi, uvicorn,
    sse-starlette, starlette-context, pydantic-settings), started through its ``main``
    after the CPU backends were loaded from llama_cpp's folder as the engine loads them
    (:func:`core.report.llm.gguf_child.load_cpu_backends`): a variant build finds no
    backend beside the Python executable. The model's name there is ``alias``.
    """
    import subprocess
    import sys

    port = free_port()
    launcher = (
        "import sys; from core.report.llm.gguf_child import load_cpu_backends; "
        "load_cpu_backends(); sys.argv[0] = 'llama_cpp.server'; "
        "from llama_cpp.server.__main__ import main; main()"
    )
    command = [sys.executable, "-c", launcher, "--model", str(model), "--model_alias", alias]
    command += ["--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096"]
    command += ["--n_threads", "1", "--verbose", "False"]
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, cwd=str(_REPO))
    base = f"http://127.0.0.1:{port}"
    _wait_for(f"{base}/v1/models", process, timeout_s)
    return process, base


# -- what `radassist draft` tests draft from ------------------------------------------------


def make_draft_inputs(models: Path, studies: Path) -> tuple[Any, Path]:
    """A demo analysis package that finds a nodule, and a folder with one small PA
    radiograph: what the CLI ``draft`` tests analyse before drafting (package, folder)."""
    import numpy as np

    from core.synthetic import make_study_context, write_cxr
    from tests.core.model_helpers import make_package, soften

    package = make_package(
        models / "draft-model",
        name="draft-model",
        labels=("Nodule", "Effusion", "Cardiomegaly"),
        thresholds={"Nodule": 0.0, "Effusion": 1.0, "Cardiomegaly": 1.0},
        edit=soften,
        demo=True,
    )
    rng = np.random.default_rng(5)
    write_cxr(studies / "pa.dcm", rng, view="PA", size=(70, 56), study=make_study_context(rng))
    return package, studies
