"""The endpoint engine: streamed chat completions from an OpenAI-compatible server.

A site may run its language model on a shared server (vLLM, llama.cpp's server, Ollama,
LM Studio, ``transformers serve``); they all speak the OpenAI chat-completions API.
:func:`stream_chat_completion` POSTs the prompt's messages — exactly those of
:func:`core.report.prompt.build_messages`, nothing else (house rule 8) — to
``{base}/v1/chat/completions`` with ``stream: true`` and yields a
:class:`~core.report.llm.protocol.TextChunk` for every delta of the server-sent events.

Structured output (:attr:`~core.report.llm.engines.EngineSpec.structured`): a whole
report is held to the sections' GBNF grammar (llama.cpp's ``grammar`` field) or to their
JSON schema (OpenAI's ``response_format``, honoured by vLLM, Ollama, LM Studio and
OpenAI), whose JSON :class:`~core.report.llm.structured.SectionsReader` turns back into
the sections' text as it streams. ``auto`` gives a llama.cpp server (``GET /props``
answers) the grammar and any other the schema; a server that refuses a constraint
(HTTP 400/422, or a 500 naming its field, before any text) is asked again with the next
one (``auto``: the other form, then none, since llama-cpp-python's server refuses the
schema but honours the grammar; a named one: none), and is not offered the refused one
again while the process lives. :attr:`EndpointOutcome.structured` says what held the
text, and the log says (at info) which was asked for.

This server is the one network destination besides PACS nodes that house rule 7 allows,
and only when the user configured it. TLS is verified with the system's certificate
store, or with the CA bundle the site gave; never turned off. The API key comes from the
credential store or ``RADASSIST_LLM_API_KEY`` (:func:`~core.report.llm.engines.endpoint_api_key`)
and goes in the ``Authorization`` header only: never logged, never in an error.

The HTTP read runs on a thread of its own, so Stop and the read timeout act at once
even while the server is silent: the job closes the connection and returns what had
arrived. A fault after text arrived (the server killed, a timeout, garbage) never
loses the draft: the outcome keeps the text, marked incomplete; a fault before any text
raises one of the :class:`EndpointError` subclasses, each saying what happened.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

from core.jobs import CancelToken, Progress
from core.report.llm.engines import EngineSpec, endpoint_api_key
from core.report.llm.errors import LanguageModelError
from core.report.llm.protocol import GenerationSettings, TextChunk
from core.report.llm.structured import CONSTRAINT_NAMES, ReportConstraints, SectionsReader
from core.tls import verify_setting

logger = logging.getLogger(__name__)

__all__ = [
    "EndpointAuthError",
    "EndpointError",
    "EndpointModelError",
    "EndpointOutcome",
    "EndpointProtocolError",
    "EndpointTimeoutError",
    "EndpointUnreachableError",
    "chat_completions_url",
    "list_endpoint_models",
    "stream_chat_completion",
]

_POLL_S: Final = 0.02
#: Seconds the ``GET /props`` look at a server may take (``structured="auto"``).
_PROBE_S: Final = 3.0
#: How much of a server's error body a message quotes.
_QUOTE_CHARS: Final = 160


class EndpointError(LanguageModelError):
    """The endpoint could not write the draft; ``source`` is the server's URL."""


class EndpointUnreachableError(EndpointError):
    """No server answers at the URL (refused, unknown host, TLS failed)."""


class EndpointAuthError(EndpointError):
    """The server refused the API key (HTTP 401 / 403)."""


class EndpointModelError(EndpointError):
    """The server has no model of that name."""


class EndpointTimeoutError(EndpointError):
    """The server was silent for longer than the timeout."""


class EndpointProtocolError(EndpointError):
    """The server's answer is not an OpenAI-compatible stream (an HTML page, garbage), or
    it refused the request; ``status`` is the HTTP status of a refusal (0 otherwise),
    ``detail`` what the server said about it."""

    status: int = 0
    detail: str = ""


@dataclass(frozen=True)
class EndpointOutcome:
    """What the server wrote.

    Attributes
    ----------
    text : str
    new_tokens, prompt_tokens : int
        The server's usage counts when it sent them; else one token per delta, and 0.
    stopped : bool
        Not finished: cancelled, or cut off (``incomplete`` says why).
    incomplete : str
        Why the text is incomplete although nobody stopped it ("" when it is not).
    seconds_to_first_token : float
        From sending the request to the first text (NaN when none came).
    structured : {"grammar", "json_schema", "none"}
        What held the text: the constraint the server took ("none" when it was sent
        none, or ignored the JSON schema and wrote plain text).
    """

    text: str
    new_tokens: int
    prompt_tokens: int
    stopped: bool
    incomplete: str = ""
    seconds_to_first_token: float = float("nan")
    structured: str = "none"


def _origin(base_url: str) -> str:
    """The base URL without user name or password (for messages)."""
    parts = urlsplit(base_url.strip())
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))


def _api_root(base_url: str) -> str:
    root = base_url.strip().rstrip("/")
    return root[: -len("/v1")] if root.endswith("/v1") else root


def chat_completions_url(base_url: str) -> str:
    """``{base}/v1/chat/completions``, whether or not ``base_url`` ends in ``/v1``."""
    return f"{_api_root(base_url)}/v1/chat/completions"


def _headers(spec: EngineSpec, stream: bool) -> dict[str, str]:
    headers = {"Accept": "text/event-stream" if stream else "application/json"}
    key = endpoint_api_key(spec)
    if key:
        headers["Authorization"] = f"Bearer {key}"
    return headers


def _verify(spec: EngineSpec) -> str | bool:
    return verify_setting(spec.ca_bundle)  # never False


def list_endpoint_models(spec: EngineSpec, timeout_s: float = 5.0) -> list[str] | None:
    """The model names ``GET /v1/models`` offers; None when the server does not say."""
    # lazy: requests is only needed when an endpoint is configured and used
    import requests

    try:
        response = requests.get(
            f"{_api_root(spec.base_url)}/v1/models",
            headers=_headers(spec, stream=False),
            timeout=(spec.connect_timeout_s, timeout_s),
            verify=_verify(spec),
        )
        if response.status_code != 200:
            return None
        data = response.json().get("data", [])
        return [str(item["id"]) for item in data if isinstance(item, dict) and "id" in item]
    except (requests.RequestException, ValueError, AttributeError, KeyError, TypeError):
        return None


#: The constraints ("grammar", "json_schema") each base URL's server refused
#: (:func:`_refuses`): not offered again for the life of the process.
_REFUSED: dict[str, set[str]] = {}
#: Whether the server at each base URL is llama.cpp's (``GET /props`` answered).
_LLAMA_CPP: dict[str, bool] = {}
_memory_lock = threading.Lock()


def _is_llama_cpp(spec: EngineSpec) -> bool:
    """llama.cpp's server (llama-server) answers ``GET /props`` with its settings; asked
    once per base URL and process (a server that does not answer is not remembered)."""
    with _memory_lock:
        known = _LLAMA_CPP.get(spec.base_url)
    if known is not None:
        return known
    # lazy: requests is only needed when an endpoint is configured and used
    import requests

    try:
        response = requests.get(
            f"{_api_root(spec.base_url)}/props",
            headers=_headers(spec, stream=False),
            timeout=(min(spec.connect_timeout_s, _PROBE_S), _PROBE_S),
            verify=_verify(spec),
        )
        payload = response.json() if response.status_code == 200 else {}
    except (requests.RequestException, ValueError):
        return False
    found = isinstance(payload, dict) and any(
        name in payload for name in ("default_generation_settings", "total_slots", "build_info")
    )
    with _memory_lock:
        _LLAMA_CPP[spec.base_url] = found
    return found


def _constraint_chain(spec: EngineSpec, constraints: ReportConstraints | None) -> list[str]:
    """The constraints to offer the server, in order; the last is always "none"."""
    if constraints is None or not constraints.any or spec.structured == "none":
        return ["none"]
    if spec.structured == "auto":
        # llama-cpp-python's server refuses the JSON schema (HTTP 422) but holds the
        # text to a grammar: after the preferred form, the other one, then none.
        preferred = "grammar" if _is_llama_cpp(spec) else "json_schema"
        order = [preferred, "json_schema" if preferred == "grammar" else "grammar"]
    else:
        order = [spec.structured]
    with _memory_lock:
        refused = set(_REFUSED.get(spec.base_url, ()))
    offered = {"grammar": bool(constraints.grammar), "json_schema": constraints.schema is not None}
    return [name for name in order if offered[name] and name not in refused] + ["none"]


def _request_body(
    spec: EngineSpec,
    messages: list[dict[str, str]],
    settings: GenerationSettings,
    constraint: str = "none",
    constraints: ReportConstraints | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": spec.model,
        "messages": messages,
        "stream": True,
        "stream_options": {"include_usage": True},
        "max_tokens": settings.max_new_tokens,
        "temperature": settings.temperature,
    }
    if not settings.greedy:
        body["top_p"] = settings.top_p
    if constraints is not None and constraint == "grammar":
        # llama.cpp's server (llama-server and llama_cpp.server) holds the text to a GBNF
        # grammar given in the request; a server that does not know the field either
        # ignores it or refuses the request, which is then sent again without it.
        body["grammar"] = constraints.grammar
    elif constraints is not None and constraint == "json_schema":
        body["response_format"] = constraints.response_format()
    return body


def _quote(text: str) -> str:
    flat = " ".join(text.split())
    return flat[:_QUOTE_CHARS] + ("…" if len(flat) > _QUOTE_CHARS else "")


def _refusal(spec: EngineSpec, status: int, body: str, key_sent: bool) -> EndpointError:
    """The error for an HTTP status other than 200."""
    where = _origin(spec.base_url)
    detail = body
    try:
        payload = json.loads(body)
        if isinstance(payload, dict):
            inner = payload.get("error", payload.get("detail", payload))
            if isinstance(inner, dict):
                inner = inner.get("message", inner)
            detail = str(inner)
    except ValueError:
        pass
    if status in (401, 403):
        if not key_sent:
            return EndpointAuthError(
                where,
                f"the server wants an API key (HTTP {status}) and none is set: enter it in "
                "Settings → Reporting or set RADASSIST_LLM_API_KEY",
            )
        return EndpointAuthError(where, f"the server refused the API key (HTTP {status})")
    if 400 <= status < 500:
        offered = list_endpoint_models(spec)
        if status == 404 or (offered is not None and spec.model not in offered):
            if offered is not None and spec.model not in offered:
                listing = ", ".join(offered[:10]) if offered else "none"
                return EndpointModelError(
                    where, f"the server has no model named {spec.model!r}; it offers: {listing}"
                )
            if status == 404:
                return EndpointModelError(
                    where,
                    f"the server has no model named {spec.model!r} or no chat-completions "
                    f"API at this URL (HTTP 404: {_quote(detail)})",
                )
    refused = EndpointProtocolError(
        where, f"the server refused the request (HTTP {status}: {_quote(detail)})"
    )
    refused.status = status
    refused.detail = detail
    return refused


#: The request field each constraint travels in (named by a server that refuses it).
_FIELDS: Final = {"grammar": "grammar", "json_schema": "response_format"}


def _refuses(exc: EndpointProtocolError, constraint: str) -> bool:
    """The server refused the request because of ``constraint``: HTTP 400 or 422, or a
    500 that names the field (llama-cpp-python's server answers a ``response_format``
    it does not know with a validation error, HTTP 500)."""
    if exc.status in (400, 422):
        return True
    return exc.status == 500 and _FIELDS.get(constraint, "\0") in exc.detail


def _read_stream(
    spec: EngineSpec,
    body: dict[str, Any],
    headers: dict[str, str],
    inbox: queue.SimpleQueue[Any],
    abandoned: threading.Event,
) -> None:
    """On the reader thread: the request, then every line of the answer, into ``inbox``."""
    # lazy: requests is only needed when an endpoint is configured and used
    import requests

    try:
        response = requests.post(
            chat_completions_url(spec.base_url),
            json=body,
            headers=headers,
            stream=True,
            timeout=(spec.connect_timeout_s, spec.read_timeout_s),
            verify=_verify(spec),
        )
    except BaseException as exc:  # everything goes to the job, which explains it
        inbox.put(("error", exc))
        return
    inbox.put(("response", response))
    if abandoned.is_set():  # the job ended while the request was on its way
        response.close()
        return
    try:
        if response.status_code != 200:
            inbox.put(("status", response.status_code, response.text[:4096]))
            return
        for line in _lines_as_they_come(response.raw):
            if abandoned.is_set():
                return
            inbox.put(("line", line))
        inbox.put(("end", None))
    except BaseException as exc:
        inbox.put(("error", exc))
    finally:
        response.close()


def _lines_as_they_come(raw: Any) -> Iterator[bytes]:
    """The body's lines, each as soon as it is complete.

    ``requests``' ``iter_lines`` waits for 512 bytes (or the whole body of a response
    that is not chunked) before it yields: a slow model's tokens would arrive in lumps.
    """
    buffer = b""
    while True:
        data = raw.read1(8192)
        if not data:
            break
        buffer += data
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            yield line.rstrip(b"\r")
    if buffer:
        yield buffer


def _connection_error(spec: EngineSpec, exc: BaseException, waited: float) -> EndpointError:
    """The error for what the reader thread raised."""
    # lazy: loaded already by the reader thread
    import requests
    from urllib3.exceptions import ProtocolError, ReadTimeoutError

    where = _origin(spec.base_url)
    name = type(exc).__name__
    text = str(exc)
    if isinstance(exc, requests.exceptions.SSLError):
        return EndpointUnreachableError(
            where,
            "the server's certificate could not be verified; give the site's CA bundle in "
            f"Settings → Reporting (--ca-bundle) ({name})",
        )
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return EndpointUnreachableError(
            where, f"no server at {where}: no answer within {spec.connect_timeout_s:g} s"
        )
    if isinstance(exc, requests.exceptions.ReadTimeout | ReadTimeoutError | TimeoutError):
        return EndpointTimeoutError(
            where, f"the server sent nothing for {spec.read_timeout_s:g} s (read timeout)"
        )
    if isinstance(exc, requests.exceptions.ChunkedEncodingError | ProtocolError):
        return EndpointUnreachableError(
            where, "the connection ended before the model finished (the server stopped)"
        )
    if isinstance(exc, requests.exceptions.ConnectionError):
        reason = "connection refused" if "refused" in text.lower() else name
        return EndpointUnreachableError(where, f"no server at {where} ({reason})")
    if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema):
        return EndpointUnreachableError(where, f"the URL is not usable ({name})")
    return EndpointProtocolError(where, f"the request failed ({name})")


def stream_chat_completion(
    spec: EngineSpec,
    messages: list[dict[str, str]],
    settings: GenerationSettings,
    token: CancelToken,
    *,
    constraints: ReportConstraints | None = None,
) -> Generator[Progress | TextChunk, None, EndpointOutcome]:
    """Stream a chat completion of ``messages`` from ``spec``'s server (a job).

    ``constraints`` (:func:`~core.report.llm.structured.report_constraints`) ask the
    server to hold the text to the sections, as ``spec.structured`` says (the module's
    docstring): structured output. A server that refuses one (HTTP 400 or 422, before
    any text) is asked again with the next, and not offered it again while the process
    lives; the strict parser still reads the text. JSON from a schema-held server is
    streamed as the sections' text (:class:`~core.report.llm.structured.SectionsReader`).

    Yields
    ------
    Progress
        Once when the request goes, once when the server answers.
    TextChunk
        Every delta of text, as it arrives (one token each, unless the server's usage
        counts say otherwise at the end).

    Returns
    -------
    EndpointOutcome
        ``stopped`` when cancelled (what had arrived) or cut off after text arrived
        (``incomplete`` says why).

    Raises
    ------
    EndpointError
        A fault before any text arrived: no server, the key refused, no such model, a
        timeout, an answer that is not a chat-completions stream.
    """
    if spec.kind != "endpoint":
        raise ValueError(f"spec must describe an endpoint, found kind {spec.kind!r}")
    chain = _constraint_chain(spec, constraints)
    for index, constraint in enumerate(chain):
        logger.info("endpoint draft asked with structured output: %s", CONSTRAINT_NAMES[constraint])
        try:
            return (
                yield from _stream_once(spec, messages, settings, token, constraint, constraints)
            )
        except EndpointProtocolError as exc:
            if constraint == "none" or not _refuses(exc, constraint):
                raise
            with _memory_lock:
                _REFUSED.setdefault(spec.base_url, set()).add(constraint)
            logger.info(
                "the server refused the %s (HTTP %d): asking with %s",
                CONSTRAINT_NAMES[constraint],
                exc.status,
                CONSTRAINT_NAMES[chain[index + 1]],
            )
    raise AssertionError("the chain ends with 'none', which is never retried")


def _stream_once(
    spec: EngineSpec,
    messages: list[dict[str, str]],
    settings: GenerationSettings,
    token: CancelToken,
    constraint: str,
    constraints: ReportConstraints | None,
) -> Generator[Progress | TextChunk, None, EndpointOutcome]:
    where = _origin(spec.base_url)
    body = _request_body(spec, messages, settings, constraint, constraints)
    sections: SectionsReader | None = None
    if constraints is not None and constraint == "json_schema":
        sections = constraints.reader()
    headers = _headers(spec, stream=True)
    key_sent = "Authorization" in headers
    inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
    abandoned = threading.Event()
    reader = threading.Thread(
        target=_read_stream,
        args=(spec, body, headers, inbox, abandoned),
        name="radassist-endpoint-reader",
        daemon=True,
    )
    yield Progress(0, 2, f"Asking {where} for a draft from {spec.model}")
    started = time.perf_counter()
    reader.start()
    response: Any = None
    pieces: list[str] = []
    deltas = 0
    usage: dict[str, Any] = {}
    first: float | None = None
    finished = False
    last_heard = started
    # Before the answer: the connection and the first bytes; then the server's silences.
    patience = spec.connect_timeout_s + spec.read_timeout_s
    fault: EndpointError | None = None

    def outcome(stopped: bool, incomplete: str = "") -> EndpointOutcome:
        held = constraint
        if sections is not None and not sections.saw_json:
            held = "none"
            if sections.plain:
                logger.info("the server ignored the JSON schema: plain text, parsed strictly")
        return EndpointOutcome(
            "".join(pieces),
            int(usage.get("completion_tokens") or deltas),
            int(usage.get("prompt_tokens") or 0),
            stopped,
            incomplete,
            (first - started) if first is not None else float("nan"),
            held,
        )

    try:
        while True:
            if token.cancelled:
                logger.info("endpoint draft stopped after %d delta(s)", deltas)
                return outcome(True)
            try:
                item = inbox.get(timeout=_POLL_S)
            except queue.Empty:
                if time.perf_counter() - last_heard > patience + 1.0:
                    fault = EndpointTimeoutError(
                        where,
                        f"the server sent nothing for {spec.read_timeout_s:g} s (read timeout)",
                    )
                    break
                continue
            last_heard = time.perf_counter()
            kind = item[0]
            if kind == "response":
                response = item[1]
                patience = spec.read_timeout_s
                content_type = str(response.headers.get("Content-Type", ""))
                if response.status_code == 200 and "html" in content_type.lower():
                    fault = EndpointProtocolError(
                        where,
                        "the server answered with a web page (text/html), not a "
                        "chat-completions stream: is the URL the API's?",
                    )
                    break
                if response.status_code == 200:
                    yield Progress(1, 2, f"Writing with {spec.model} at {where}")
                continue
            if kind == "status":
                fault = _refusal(spec, item[1], item[2], key_sent)
                break
            if kind == "error":
                fault = _connection_error(spec, item[1], time.perf_counter() - started)
                break
            if kind == "end":
                break
            line = item[1].decode("utf-8", errors="replace").strip()
            if not line or line.startswith(":") or line.startswith(("event:", "id:", "retry:")):
                continue
            if not line.startswith("data:"):
                fault = EndpointProtocolError(
                    where, f"the server's answer is not a server-sent event stream: {_quote(line)}"
                )
                break
            data = line[len("data:") :].strip()
            if data == "[DONE]":
                finished = True
                break
            try:
                payload = json.loads(data)
            except ValueError:
                fault = EndpointProtocolError(
                    where, f"the server sent an event that is not JSON: {_quote(data)}"
                )
                break
            if not isinstance(payload, dict):
                fault = EndpointProtocolError(
                    where, "the server sent an event that is not an object"
                )
                break
            if "error" in payload:
                error = payload["error"]
                message = error.get("message", error) if isinstance(error, dict) else error
                fault = EndpointProtocolError(where, f"the server failed: {_quote(str(message))}")
                break
            if isinstance(payload.get("usage"), dict):
                usage = payload["usage"]
            for choice in payload.get("choices") or ():
                if not isinstance(choice, dict):
                    continue
                delta = choice.get("delta") or {}
                text = delta.get("content") if isinstance(delta, dict) else None
                if isinstance(text, str) and text:
                    if first is None:
                        first = time.perf_counter()
                    deltas += 1
                    if sections is not None:
                        text = sections.feed(text)  # the sections' text the JSON adds
                    if text:
                        pieces.append(text)
                        yield TextChunk(text, 1)
                if choice.get("finish_reason"):
                    finished = True
    finally:
        abandoned.set()
        if response is not None:
            response.close()  # Stop, a fault, or the caller gone: the connection ends now
    if fault is not None:
        if pieces:
            logger.info(
                "endpoint draft cut off after %d delta(s): %s", deltas, type(fault).__name__
            )
            return outcome(True, fault.reason)
        raise fault
    if not finished:
        if pieces:
            return outcome(True, "the connection ended before the model finished")
        raise EndpointUnreachableError(
            where, "the server closed the connection before it wrote anything"
        )
    return outcome(False)
