"""The GGUF engine: a tiny random Llama converted to GGUF, drafted with llama.cpp.

The tests build the model (:func:`tests.core.llm_helpers.make_tiny_gguf`: a tiny HF
model converted by the product's converter), draft with it in the language-model
process (streaming, Stop, the grammar of a report's sections), check the refusals
(missing, tampered, not GGUF, never imported), compare its greedy text with the
transformers engine's on the same weights (the converter's tensor names, q/k
permutation and tokenizer), and draft through a real ``python -m llama_cpp.server`` on
127.0.0.1, killed mid-stream too.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.analysis.manifest import ModelPackage
from core.cli import main
from core.jobs import CancelToken, run_job
from core.report.document import Origin, Section
from core.report.llm import (
    DraftMode,
    DraftRestarted,
    EngineSpec,
    GenerationSettings,
    LanguageModelDraft,
    ModelConfigError,
    ModelFolderNotFoundError,
    TextChunk,
    draft_with_language_model,
    shutdown_language_model_process,
    try_engine,
)
from core.report.llm.gguf import import_gguf_model, inspect_gguf_file, report_grammar
from core.report.llm.trust import ModelIntegrityError, ModelNotImportedError
from tests.core.llm_helpers import (
    make_draft_inputs,
    make_tiny_gguf,
    start_llama_cpp_server,
    stop_server,
)
from tests.core.report_helpers import make_report_context

pytestmark = pytest.mark.usefixtures("fresh_analysis")

SHORT = GenerationSettings(max_new_tokens=24)


@pytest.fixture(scope="module")
def tiny_gguf(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    file = make_tiny_gguf(tmp_path_factory.mktemp("gguf") / "tiny-gguf")
    yield file
    shutdown_language_model_process()


def _last_chunks(events: list[Any]) -> list[TextChunk]:
    """The text chunks of the last attempt (random weights may write "Chinese": the draft
    is then asked for once more, after a DraftRestarted)."""
    restarts = [i for i, e in enumerate(events) if isinstance(e, DraftRestarted)]
    last = events[restarts[-1] + 1 :] if restarts else events
    return [e for e in last if isinstance(e, TextChunk)]


def _collect(job: Any, cancel_after: int | None = None, token: CancelToken | None = None) -> Any:
    events: list[Any] = []
    try:
        while True:
            event = next(job)
            events.append(event)
            chunks = sum(isinstance(e, TextChunk) for e in events)
            if cancel_after is not None and token is not None and chunks >= cancel_after:
                token.cancel()
    except StopIteration as stop:
        return events, stop.value


def test_a_gguf_draft_streams_the_report_sections(tiny_gguf: Path) -> None:
    spec = EngineSpec.gguf(tiny_gguf)
    events, draft = _collect(
        draft_with_language_model(spec, make_report_context(), DraftMode.REPORT, "en", SHORT)
    )
    assert isinstance(draft, LanguageModelDraft)
    chunks = _last_chunks(events)
    assert len(chunks) > 1, "the text did not stream"
    assert "".join(c.text for c in chunks) == draft.text
    assert sum(c.tokens for c in chunks) == draft.new_tokens
    assert draft.engine == "gguf" and draft.dtype == "F32" and draft.model_name == "tiny.gguf"
    assert 0 < draft.new_tokens <= 24 and draft.prompt_tokens > 100 and draft.chat_template
    # The grammar: the first section's heading on its own line, whatever the weights say.
    assert draft.text.startswith("Findings:\n")
    assert draft.sections.get(Section.FINDINGS)
    for sentence in draft.sentences:
        assert sentence.origin is Origin.LANGUAGE_MODEL and not sentence.reviewed


def test_stop_mid_stream_keeps_what_arrived(tiny_gguf: Path) -> None:
    token = CancelToken()
    settings = GenerationSettings(max_new_tokens=3000, chunk_interval_s=0.0)
    job = draft_with_language_model(
        EngineSpec.gguf(tiny_gguf), make_report_context(), DraftMode.REPORT, "en", settings, token
    )
    events, draft = _collect(job, cancel_after=3, token=token)
    arrived = "".join(e.text for e in events if isinstance(e, TextChunk))
    assert draft.stopped and draft.text == arrived and draft.text.startswith("Findings:")
    assert draft.new_tokens < 3000


def test_the_gguf_engine_writes_what_transformers_writes_from_the_same_weights(
    tiny_gguf: Path,
) -> None:
    # The converter's tensor names, q/k permutation, tokenizer and template, checked at
    # once: greedy decoding of the same float32 weights picks the same tokens. (The
    # transformers engine itself runs bfloat16 on a CPU with native bf16, which may
    # round a close pair of random logits the other way: compared in float32 here.)
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from core.report.llm.drafting import _TRY_MESSAGES

    folder = tiny_gguf.parent.parent / "tiny-gguf-hf"
    by_gguf = run_job(try_engine(EngineSpec.gguf(tiny_gguf), max_new_tokens=12))
    tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(
        str(folder), local_files_only=True, dtype=torch.float32
    )
    messages = [dict(message) for message in _TRY_MESSAGES]
    text = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    ids = tokenizer(text, add_special_tokens=False, return_tensors="pt")["input_ids"]
    with torch.inference_mode():
        output = model.generate(ids, max_new_tokens=12, do_sample=False)
    written = str(tokenizer.decode(output[0, ids.shape[1] :], skip_special_tokens=True))
    assert by_gguf.prompt_tokens == ids.shape[1]
    assert by_gguf.new_tokens == 12 and by_gguf.chat_template
    assert by_gguf.text.strip() == written.strip()


def test_refusals_say_what_is_wrong(tiny_gguf: Path, tmp_path: Path) -> None:
    context = make_report_context()

    def draft(path: Path) -> None:
        run_job(draft_with_language_model(EngineSpec.gguf(path), context, DraftMode.REPORT, "en"))

    with pytest.raises(ModelFolderNotFoundError, match="the GGUF file does not exist"):
        draft(tmp_path / "missing.gguf")
    tampered = tmp_path / "tampered"
    shutil.copytree(tiny_gguf.parent, tampered)
    data = bytearray((tampered / tiny_gguf.name).read_bytes())
    data[-1] ^= 0xFF
    (tampered / tiny_gguf.name).write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError, match="import the model again"):
        draft(tampered / tiny_gguf.name)
    loose = tmp_path / "loose"
    loose.mkdir()
    shutil.copy(tiny_gguf, loose / "model.gguf")
    with pytest.raises(ModelNotImportedError, match=r"models import-llm FILE\.gguf"):
        draft(loose / "model.gguf")
    (loose / "notes.gguf").write_text("not a model at all\n")
    with pytest.raises(ModelConfigError, match="not a GGUF model"):
        draft(loose / "notes.gguf")
    with pytest.raises(ModelConfigError, match="not a GGUF model"):
        import_gguf_model(loose / "notes.gguf")


def test_an_imported_file_is_copied_hashed_and_drafts(tiny_gguf: Path, tmp_path: Path) -> None:
    source = tmp_path / "site-model.gguf"
    shutil.copy(tiny_gguf, source)
    imported = import_gguf_model(source)
    assert imported.name == "site-model.gguf" and imported.parent.name == "site-model"
    assert (imported.parent / "radassist-manifest.json").is_file()
    info = inspect_gguf_file(imported)
    assert info.architecture == "llama" and info.has_chat_template and info.parameters > 40_000
    draft = run_job(try_engine(EngineSpec.local(imported), max_new_tokens=4))
    assert draft.engine == "gguf" and draft.new_tokens == 4


def test_the_report_grammar_follows_the_prompts_headings() -> None:
    assert report_grammar(DraftMode.REPORT, "en").startswith(
        'root ::= "Findings:\\n" para "\\nImpression:\\n" para "\\nRecommendations:\\n" para'
    )
    assert '"影像所见：\\n"' in report_grammar(DraftMode.REPORT, "zh-CN")
    assert report_grammar(DraftMode.IMPRESSION, "en").startswith("root ::= para")
    assert report_grammar(DraftMode.REWRITE, "en") == ""


@pytest.fixture(scope="module")
def draft_inputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[ModelPackage, Path]:
    return make_draft_inputs(tmp_path_factory.mktemp("models"), tmp_path_factory.mktemp("study"))


@pytest.fixture(scope="module")
def package(draft_inputs: tuple[ModelPackage, Path]) -> ModelPackage:
    return draft_inputs[0]


@pytest.fixture(scope="module")
def study(draft_inputs: tuple[ModelPackage, Path]) -> Path:
    return draft_inputs[1]


def test_the_cli_drafts_with_a_gguf_file(
    tiny_gguf: Path, package: ModelPackage, study: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["draft", str(study), "--engine", "llm", "--model", str(tiny_gguf)]
    code = main([*args, "--analysis-model", str(package.folder), "--max-new-tokens", "8", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    info = json.loads(out)["language_model"]
    assert info["engine"] == "gguf" and info["dtype"] == "F32" and info["new_tokens"] == 8
    assert "radassist: tiny.gguf (gguf, F32): 8 tokens" in err


def test_the_cli_imports_a_gguf_file(
    tiny_gguf: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "cli-model.gguf"
    shutil.copy(tiny_gguf, source)
    assert main(["models", "import-llm", str(source)]) == 0
    out = capsys.readouterr().out
    assert "imported cli-model: use --model " in out and out.strip().endswith("cli-model.gguf")


# -- llama.cpp's own server, drafted through the endpoint engine ---------------------------


@pytest.fixture(scope="module")
def llama_server(tiny_gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    process, base = start_llama_cpp_server(tiny_gguf, log)
    yield process, base
    stop_server(process)


def test_a_draft_through_llama_cpp_server(llama_server: Any) -> None:
    _, base = llama_server
    spec = EngineSpec.endpoint(base, "tiny-gguf", api_key_name="")
    events, draft = _collect(
        draft_with_language_model(spec, make_report_context(), DraftMode.REPORT, "en", SHORT)
    )
    chunks = _last_chunks(events)
    assert len(chunks) > 1 and "".join(c.text for c in chunks) == draft.text
    assert draft.engine == "endpoint" and draft.model_name == "tiny-gguf"
    assert draft.new_tokens > 0 and not draft.stopped and not draft.incomplete


def test_llama_cpp_server_holds_the_draft_to_the_report_grammar(llama_server: Any) -> None:
    """Structured output at an endpoint: the grammar goes with the request, and the tiny
    random model's text has the sections' headings it would never write by itself."""
    _, base = llama_server
    spec = EngineSpec.endpoint(base, "tiny-gguf", api_key_name="")
    _, draft = _collect(
        draft_with_language_model(spec, make_report_context(), DraftMode.REPORT, "en", SHORT)
    )
    assert draft.text.startswith("Findings:\n"), draft.text[:80]
    assert draft.sections.get(Section.FINDINGS)
    # llama-cpp-python's server refuses the JSON schema (HTTP 422): "auto" falls back to
    # the grammar, which it honours.
    assert draft.structured == "grammar"


def test_llama_cpp_server_killed_mid_stream_keeps_what_arrived(llama_server: Any) -> None:
    process, base = llama_server
    spec = EngineSpec.endpoint(base, "tiny-gguf", api_key_name="")
    settings = GenerationSettings(max_new_tokens=3500)
    job = draft_with_language_model(spec, make_report_context(), DraftMode.REPORT, "en", settings)
    events: list[Any] = []
    while sum(isinstance(e, TextChunk) for e in events) < 3:
        events.append(next(job))
    stop_server(process)  # kill -9, mid-stream
    rest, draft = _collect(job)
    arrived = "".join(e.text for e in events + rest if isinstance(e, TextChunk))
    assert draft.text == arrived and len(draft.text) > 0
    assert draft.stopped and "ended before the model finished" in draft.incomplete


def test_a_server_that_refuses_the_grammar_is_asked_again_without_it() -> None:
    """OpenAI's API refuses fields it does not know (HTTP 400): the draft still comes."""
    from core.report.llm import endpoint
    from tests.core.llm_helpers import FAKE_REPORT, start_fake_endpoint

    process, base = start_fake_endpoint("strict")
    try:
        spec = EngineSpec.endpoint(base, "fake", api_key_name="", structured="grammar")
        _, draft = _collect(
            draft_with_language_model(spec, make_report_context(), DraftMode.REPORT, "en", SHORT)
        )
        assert draft.text.split() == FAKE_REPORT.split() and not draft.incomplete
        assert "grammar" in endpoint._REFUSED[base]  # not offered again in this process
        assert draft.structured == "none"
        _, again = _collect(
            draft_with_language_model(spec, make_report_context(), DraftMode.REPORT, "en", SHORT)
        )
        assert again.text.split() == FAKE_REPORT.split()
    finally:
        stop_server(process)
