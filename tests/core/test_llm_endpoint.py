"""The drafting engines: an OpenAI-compatible endpoint beside the local transformers one.

A real ``transformers serve`` on 127.0.0.1 serves a tiny model the tests build,
offline; the core job and ``radassist draft --engine endpoint`` draft through it. The
faults run against a tiny server of the helpers: killed mid-stream (kill -9), silent
(read timeout), a wrong key (401), a web page and garbage; the draft is never lost.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.analysis.manifest import ModelPackage
from core.cli import main
from core.jobs import CancelToken, run_job
from core.report.document import Origin
from core.report.llm import (
    API_KEY_ENVIRONMENT,
    DraftMode,
    DraftRestarted,
    EndpointAuthError,
    EndpointModelError,
    EndpointProtocolError,
    EndpointUnreachableError,
    EngineSpec,
    GenerationSettings,
    LanguageModelDraft,
    TextChunk,
    draft_with_language_model,
    endpoint_credentials,
    language_model_process_is_running,
    set_language_model_idle_release,
    shutdown_language_model_process,
)
from core.report.llm.child import model_dtype_name
from core.report.llm.endpoint import chat_completions_url
from tests.core.llm_helpers import (
    FAKE_REPORT,
    free_port,
    make_draft_inputs,
    make_tiny_causal_lm,
    start_fake_endpoint,
    start_transformers_serve,
    stop_server,
)
from tests.core.report_helpers import make_report_context

pytestmark = pytest.mark.usefixtures("fresh_analysis")

SHORT = GenerationSettings(max_new_tokens=16)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_causal_lm(tmp_path_factory.mktemp("llm") / "tiny-lm")


@pytest.fixture(scope="module")
def served(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ``transformers serve`` of the tiny model; its base URL."""
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    process, base = start_transformers_serve(tiny_model, log)
    yield base
    stop_server(process)


@pytest.fixture
def fake() -> Iterator[Any]:
    started: list[Any] = []

    def start(mode: str, **kwargs: Any) -> str:
        process, base = start_fake_endpoint(mode, **kwargs)
        started.append(process)
        return base

    start.processes = started  # type: ignore[attr-defined]
    yield start
    for process in started:
        stop_server(process)


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


def test_the_chat_completions_url_with_or_without_v1() -> None:
    for base in ("http://h:8000", "http://h:8000/", "http://h:8000/v1", "http://h:8000/v1/"):
        assert chat_completions_url(base) == "http://h:8000/v1/chat/completions"


def test_a_draft_through_a_real_transformers_serve(served: str, tiny_model: Path) -> None:
    context = make_report_context()
    for base in (served, served + "/v1"):
        spec = EngineSpec.endpoint(base, str(tiny_model))
        events, draft = _collect(
            draft_with_language_model(spec, context, DraftMode.REPORT, "en", SHORT)
        )
        assert isinstance(draft, LanguageModelDraft)
        restarts = [i for i, e in enumerate(events) if isinstance(e, DraftRestarted)]
        # Random weights may write "Chinese": then the draft is asked for once more.
        assert len(restarts) == int(draft.retried)
        last = events[restarts[-1] + 1 :] if restarts else events
        chunks = [e for e in last if isinstance(e, TextChunk)]
        assert len(chunks) > 1, "the text did not stream"
        assert "".join(c.text for c in chunks) == draft.text
        assert draft.engine == "endpoint" and draft.model_name == str(tiny_model)
        assert draft.new_tokens == 16 and draft.prompt_tokens > 0  # the server's usage
        assert not draft.stopped and not draft.incomplete
        assert draft.tokens_per_second > 0 and draft.time_to_first_token > 0
        # transformers serve ignores response_format (a warning): plain text, parsed.
        assert draft.structured == "none"
        for sentence in draft.sentences:
            assert sentence.origin is Origin.LANGUAGE_MODEL and not sentence.reviewed


def test_a_model_the_server_does_not_have_is_named_with_what_it_offers(
    served: str, tiny_model: Path
) -> None:
    spec = EngineSpec.endpoint(served, "no-such-model")
    with pytest.raises(EndpointModelError) as caught:
        run_job(draft_with_language_model(spec, make_report_context(), DraftMode.REPORT, "en"))
    assert "has no model named 'no-such-model'" in str(caught.value)
    assert str(tiny_model) in str(caught.value)  # what /v1/models offers


def test_no_server_says_so() -> None:
    spec = EngineSpec.endpoint(f"http://127.0.0.1:{free_port()}", "fake")
    with pytest.raises(EndpointUnreachableError) as caught:
        run_job(draft_with_language_model(spec, make_report_context(), DraftMode.REPORT, "en"))
    assert "no server at http://127.0.0.1:" in str(caught.value)
    assert "connection refused" in str(caught.value)


def test_a_server_killed_mid_stream_keeps_what_arrived(fake: Any) -> None:
    base = fake("slow", delay_s=0.2)
    spec = EngineSpec.endpoint(base, "fake")
    job = draft_with_language_model(spec, make_report_context(), DraftMode.REPORT, "en")
    events: list[Any] = []
    while sum(isinstance(e, TextChunk) for e in events) < 3:
        events.append(next(job))
    stop_server(fake.processes[0])  # kill -9
    rest, draft = _collect(job)
    arrived = "".join(e.text for e in events + rest if isinstance(e, TextChunk))
    assert draft.text == arrived and draft.text.startswith("Findings: word0 word1")
    assert draft.stopped and "ended before the model finished" in draft.incomplete


def test_a_silent_server_times_out_and_keeps_what_arrived(fake: Any) -> None:
    base = fake("silent")
    spec = EngineSpec.endpoint(base, "fake", read_timeout_s=1.0)
    started = time.perf_counter()
    draft = run_job(draft_with_language_model(spec, make_report_context(), DraftMode.REPORT, "en"))
    assert time.perf_counter() - started < 5.0
    assert draft.text == "Findings: " and draft.stopped
    assert "the server sent nothing for 1 s (read timeout)" in draft.incomplete


def test_stop_closes_the_stream_at_once(fake: Any) -> None:
    base = fake("slow", delay_s=1.0)
    spec = EngineSpec.endpoint(base, "fake")
    token = CancelToken()
    job = draft_with_language_model(
        spec, make_report_context(), DraftMode.REPORT, "en", token=token
    )
    _, draft = _collect(job, cancel_after=2, token=token)
    # The second delta comes a second after the first: the third would take another.
    assert draft.stopped and draft.incomplete == ""
    assert draft.text == "Findings: word0 "


def test_a_wrong_key_is_explained_and_never_logged(
    fake: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    base = fake("ok", key="right-key")
    context = make_report_context()
    monkeypatch.delenv(API_KEY_ENVIRONMENT, raising=False)
    spec = EngineSpec.endpoint(base, "fake", api_key_name=EngineSpec.key_name_for(base))
    with pytest.raises(EndpointAuthError, match=r"wants an API key .* and none is set"):
        run_job(draft_with_language_model(spec, context, DraftMode.REPORT, "en"))
    monkeypatch.setenv(API_KEY_ENVIRONMENT, "wrong-key")
    with pytest.raises(EndpointAuthError, match="refused the API key \\(HTTP 401\\)") as caught:
        run_job(draft_with_language_model(spec, context, DraftMode.REPORT, "en"))
    assert "wrong-key" not in str(caught.value)
    caplog.set_level(logging.DEBUG)
    endpoint_credentials().set(spec.api_key_name, "right-key")  # the keyring's, first
    try:
        draft = run_job(draft_with_language_model(spec, context, DraftMode.REPORT, "en"))
    finally:
        endpoint_credentials().forget(spec.api_key_name)
    assert draft.text.strip() == FAKE_REPORT and not draft.stopped
    assert "right-key" not in caplog.text and "wrong-key" not in caplog.text


@pytest.mark.parametrize(
    ("mode", "message"),
    [("html", "answered with a web page"), ("garbage", "an event that is not JSON")],
)
def test_garbage_is_refused_clearly(fake: Any, mode: str, message: str) -> None:
    spec = EngineSpec.endpoint(fake(mode), "fake")
    with pytest.raises(EndpointProtocolError, match=message):
        run_job(draft_with_language_model(spec, make_report_context(), DraftMode.REPORT, "en"))


def test_a_draft_in_the_other_language_is_retried_once_then_flagged(fake: Any) -> None:
    spec = EngineSpec.endpoint(fake("ok"), "fake")  # it writes English whatever is asked
    events, draft = _collect(
        draft_with_language_model(spec, make_report_context(), DraftMode.REPORT, "zh-CN")
    )
    assert sum(isinstance(e, DraftRestarted) for e in events) == 1
    assert draft.retried and draft.wrong_language
    assert draft.text.strip() == FAKE_REPORT  # the second draft, not both
    _, english = _collect(
        draft_with_language_model(spec, make_report_context(), DraftMode.REPORT, "en")
    )
    assert not english.retried and not english.wrong_language


def test_the_transformers_dtype_follows_the_cpu(tiny_model: Path) -> None:
    assert model_dtype_name("flags\t\t: fpu sse2 avx2 avx512f\n") == "float32"
    assert model_dtype_name("flags\t\t: fpu avx512f avx512_bf16\n") == "bfloat16"
    assert model_dtype_name("flags\t\t: fpu amx_bf16 amx_tile\n") == "bfloat16"
    assert model_dtype_name("processor : 0\n") == "float32"
    try:
        draft = run_job(
            draft_with_language_model(
                tiny_model, make_report_context(), DraftMode.REPORT, "en", SHORT
            )
        )
    finally:
        shutdown_language_model_process()
    assert draft.engine == "transformers" and draft.dtype == model_dtype_name()


def test_the_model_process_is_released_when_idle_and_on_switching_engines(
    tiny_model: Path, fake: Any
) -> None:
    context = make_report_context()
    set_language_model_idle_release(0.5)
    try:
        run_job(draft_with_language_model(tiny_model, context, DraftMode.REPORT, "en", SHORT))
        assert language_model_process_is_running()
        deadline = time.monotonic() + 10
        while language_model_process_is_running() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not language_model_process_is_running(), "not released after 0.5 s idle"
        set_language_model_idle_release(600)
        run_job(draft_with_language_model(tiny_model, context, DraftMode.REPORT, "en", SHORT))
        assert language_model_process_is_running()
        spec = EngineSpec.endpoint(fake("ok"), "fake")
        run_job(draft_with_language_model(spec, context, DraftMode.REPORT, "en"))
        assert not language_model_process_is_running(), "kept after switching engines"
    finally:
        set_language_model_idle_release(600)
        shutdown_language_model_process()


# -- radassist draft --engine endpoint ------------------------------------------------------


@pytest.fixture(scope="module")
def draft_inputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[ModelPackage, Path]:
    return make_draft_inputs(tmp_path_factory.mktemp("models"), tmp_path_factory.mktemp("study"))


@pytest.fixture(scope="module")
def package(draft_inputs: tuple[ModelPackage, Path]) -> ModelPackage:
    return draft_inputs[0]


@pytest.fixture(scope="module")
def study(draft_inputs: tuple[ModelPackage, Path]) -> Path:
    return draft_inputs[1]


def test_the_cli_drafts_through_the_endpoint(
    served: str,
    tiny_model: Path,
    package: ModelPackage,
    study: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["draft", str(study), "--engine", "endpoint", "--url", served + "/v1"]
    args += ["--model", str(tiny_model), "--analysis-model", str(package.folder)]
    code = main([*args, "--max-new-tokens", "16", "--timeout", "30", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    data = json.loads(out)
    info = data["language_model"]
    assert data["engine"] == "endpoint" and info["engine"] == "endpoint"
    assert info["new_tokens"] == 16 and not info["stopped"] and info["incomplete"] is None
    assert info["tokens_per_second"] > 0
    assert f"{tiny_model} (endpoint): 16 tokens" in err
    sentences = [s for items in data["sections"].values() for s in items]
    assert any(s["origin"] == "language_model" for s in sentences)


def test_the_cli_says_what_is_wrong_with_an_endpoint(
    study: Path, package: ModelPackage, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["draft", str(study), "--engine", "endpoint", "--model", "x"]) == 2
    assert "--engine endpoint needs --url URL and --model NAME" in capsys.readouterr().err
    url = f"http://127.0.0.1:{free_port()}"
    code = main(
        [
            *("draft", str(study), "--engine", "endpoint", "--url", url, "--model", "x"),
            *("--analysis-model", str(package.folder)),
        ]
    )
    err = capsys.readouterr().err
    assert code != 0 and f"no server at {url} (connection refused)" in err


def test_the_cli_shows_the_local_models_dtype(
    tiny_model: Path, package: ModelPackage, study: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["draft", str(study), "--engine", "llm", "--model", str(tiny_model)]
    code = main([*args, "--analysis-model", str(package.folder), "--max-new-tokens", "8", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    info = json.loads(out)["language_model"]
    assert info["engine"] == "transformers" and info["dtype"] == model_dtype_name()
    assert f"radassist: tiny-lm (transformers, {model_dtype_name()}): 8 tokens" in err


# -- structured output: the JSON schema, the grammar, and a server that refuses one --------

SECTIONS_JSON = json.dumps(
    {
        "findings": 'A 12 mm "nodule" in the right upper zone.\nNo effusion.',
        "impression": "Right upper zone nodule — 影像.",
        "recommendations": "CT chest in 3 months.",
    },
    ensure_ascii=True,
)
SECTIONS_TEXT = (
    'Findings:\nA 12 mm "nodule" in the right upper zone.\nNo effusion.\n'
    "Impression:\nRight upper zone nodule — 影像.\n"
    "Recommendations:\nCT chest in 3 months."
)


class _Server:
    """A real HTTP server on 127.0.0.1 (a thread of the test) that speaks just enough of
    the chat-completions API: it keeps each request's body; ``refuse`` names the fields
    it answers 400 to; a request with ``response_format`` gets :data:`SECTIONS_JSON` in
    deltas of ``step`` characters (splitting escapes), any other the plain text;
    ``props`` is what ``GET /props`` answers (404 when None)."""

    def __init__(
        self,
        *,
        refuse: tuple[str, ...] = (),
        props: dict[str, Any] | None = None,
        step: int = 3,
        delay_s: float = 0.0,
        status: int = 400,
    ) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.bodies: list[dict[str, Any]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, code: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                if self.path == "/props" and props is not None:
                    self._send(200, props)
                else:
                    self._send(404, {"detail": "Not Found"})

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                owner.bodies.append(body)
                for field in refuse:
                    if field in body:
                        message = f"Unrecognized request argument supplied: {field}"
                        self._send(status, {"error": {"message": message}})
                        return
                text = SECTIONS_JSON if "response_format" in body else FAKE_REPORT
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True
                try:
                    for start in range(0, len(text), step):
                        piece = {"content": text[start : start + step]}
                        delta = {"choices": [{"index": 0, "delta": piece}]}
                        self.wfile.write(f"data: {json.dumps(delta)}\n\n".encode())
                        self.wfile.flush()
                        time.sleep(delay_s)
                    end = {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
                    self.wfile.write(f"data: {json.dumps(end)}\n\ndata: [DONE]\n\n".encode())
                    self.wfile.flush()
                except OSError:  # the client closed the stream (Stop)
                    pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def server() -> Iterator[Any]:
    started: list[_Server] = []

    def start(**kwargs: Any) -> _Server:
        started.append(_Server(**kwargs))
        return started[-1]

    yield start
    for running in started:
        running.close()


def _draft(
    spec: EngineSpec, token: CancelToken | None = None, cancel_after: int | None = None
) -> Any:
    job = draft_with_language_model(
        spec, make_report_context(), DraftMode.REPORT, "en", SHORT, token=token
    )
    return _collect(job, cancel_after=cancel_after, token=token)


def test_a_json_schema_draft_streams_as_the_sections_text(server: Any) -> None:
    from core.report.document import Section

    running = server(step=3)
    events, draft = _draft(EngineSpec.endpoint(running.base, "fake", api_key_name=""))
    sent = running.bodies[0]
    assert "grammar" not in sent
    assert sent["response_format"]["type"] == "json_schema"
    assert sent["response_format"]["json_schema"]["strict"] is True
    schema = sent["response_format"]["json_schema"]["schema"]
    assert schema["required"] == ["findings", "impression", "recommendations"]
    chunks = [e.text for e in events if isinstance(e, TextChunk)]
    assert len(chunks) > 10 and "".join(chunks) == draft.text == SECTIONS_TEXT
    assert draft.structured == "json_schema" and not draft.stopped
    assert draft.new_tokens == len(range(0, len(SECTIONS_JSON), 3))  # one per delta
    assert set(draft.sections) == {Section.FINDINGS, Section.IMPRESSION, Section.RECOMMENDATIONS}


def test_stop_mid_json_keeps_the_sections_text_that_arrived(server: Any) -> None:
    running = server(step=4, delay_s=0.05)
    token = CancelToken()
    _, draft = _draft(EngineSpec.endpoint(running.base, "fake"), token=token, cancel_after=6)
    assert draft.stopped and draft.text and SECTIONS_TEXT.startswith(draft.text)
    assert draft.text.startswith("Findings:\n") and draft.structured == "json_schema"


@pytest.mark.parametrize("status", [400, 422])
def test_a_server_that_refuses_the_schema_is_asked_with_the_next_constraint(
    server: Any, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    from core.report.llm import endpoint

    caplog.set_level(logging.INFO, logger="core.report.llm.endpoint")
    running = server(refuse=("response_format",), status=status)
    _, draft = _draft(EngineSpec.endpoint(running.base, "fake", structured="json_schema"))
    assert [("response_format" in b, "grammar" in b) for b in running.bodies] == [
        (True, False),
        (False, False),
    ]
    assert draft.text.split() == FAKE_REPORT.split() and draft.structured == "none"
    assert "json_schema" in endpoint._REFUSED[running.base]
    assert "refused the JSON schema" in caplog.text
    _draft(EngineSpec.endpoint(running.base, "fake", structured="json_schema"))
    assert len(running.bodies) == 3  # not offered again in this process
    # Automatic: the schema is known refused here, so the grammar goes, which it takes.
    _, automatic = _draft(EngineSpec.endpoint(running.base, "fake"))
    assert "grammar" in running.bodies[-1] and automatic.structured == "grammar"


def test_automatic_gives_llama_cpp_the_grammar_and_none_sends_nothing(server: Any) -> None:
    llama = server(props={"default_generation_settings": {}, "total_slots": 1})
    _, draft = _draft(EngineSpec.endpoint(llama.base, "fake"))
    assert "grammar" in llama.bodies[0] and "response_format" not in llama.bodies[0]
    assert llama.bodies[0]["grammar"].startswith('root ::= "Findings:\\n"')
    assert draft.structured == "grammar" and draft.text.split() == FAKE_REPORT.split()
    plain = server()
    _, none = _draft(EngineSpec.endpoint(plain.base, "fake", structured="none"))
    assert "grammar" not in plain.bodies[0] and "response_format" not in plain.bodies[0]
    assert none.structured == "none"


def test_the_cli_says_which_constraint_held_the_draft(
    server: Any, package: ModelPackage, study: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    running = server()
    args = ["draft", str(study), "--engine", "endpoint", "--url", running.base, "--model", "fake"]
    code = main(
        [*args, "--analysis-model", str(package.folder), "--structured", "json-schema", "--json"]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out)["language_model"]["structured"] == "json_schema"
    assert "radassist: structured output: JSON schema" in err
    assert running.bodies[0]["response_format"]["type"] == "json_schema"
