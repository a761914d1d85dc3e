"""Heavy work in one long-lived child process: torch never loads in the caller's process.

A desktop process that imports torch on a worker thread still stalls its GUI thread:
initialising torch's extension module holds the interpreter lock for a few hundred
milliseconds, and every network call holds it in short bursts. A :class:`WorkerProcess`
keeps one long-lived child instead (started on first use with ``forkserver``, like the
decoder workers of :mod:`core.dicom.workers`) that serves one kind of request: the CNN
analyses (:mod:`core.analysis.runner`) and the language model
(:mod:`core.report.llm`) each have their own. The caller's job sends a request,
forwards the child's events as they arrive, cancels through the pipe and returns the
child's answer; what the child loaded (models) stays cached there between requests. A
child that dies (a crash, memory) costs that request only; the next one starts a fresh
child.

The child runs a *handler*, made once per child by a module-level factory (so that it
travels to the child by reference)::

    handler(request, token, emit) -> result

``emit(event)`` sends an event to the caller at once (a language model's streamer calls
it for every token); a handler may instead return a job generator, whose yields are sent
as events and whose return value is the result. ``token`` is set when the caller
cancels.

The pipe carries our own dataclasses and numpy arrays between our own processes; model
weights are never pickled (children read them from safetensors). Arrays travel out of
band (pickle protocol 5): written to the pipe straight from their memory and read into
fresh writable buffers, without the copies an ordinary pickle makes.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import os
import pickle
import signal
import threading
import time
import weakref
from collections.abc import Callable, Generator, Sequence
from multiprocessing.connection import Connection
from typing import Any, Final, cast

from core.child_processes import child_context, watch_parent_process
from core.errors import CancelledError, RadAssistError
from core.jobs import CancelToken, Progress

logger = logging.getLogger(__name__)

__all__ = [
    "Emit",
    "Handler",
    "HandlerFactory",
    "WorkerProcess",
    "WorkerProcessError",
    "shutdown_worker_processes",
]

#: Sends one event to the caller (in the child).
Emit = Callable[[Any], None]
#: Serves one request in the child: ``handler(request, token, emit)`` returns the result
#: (or a job generator whose yields are events and whose return value is the result).
Handler = Callable[[Any, CancelToken, Emit], Any]
#: Builds the handler once per child; must be a module-level function (it is pickled).
HandlerFactory = Callable[[], Handler]

#: How long the caller waits on the pipe before it looks at the cancel token again. The
#: wait ends at once when the child sends anything (every token of a draft), so Stop
#: still reaches the child by the next token; only a silent child (loading, a prompt)
#: waits up to this long. 0.02 s woke the caller 50 times a second through a whole draft:
#: 60 ms of this process's CPU per 32-token GGUF draft against 21 ms at 0.1 s
#: (bench/bench_engines.py --poll-compare 0.02,0.1).
_POLL_S: Final = 0.1
_START_TIMEOUT_S: Final = 60.0
_ABANDON_WAIT_S: Final = 10.0
#: After its time to quit, a child is terminated, and killed if it is still there after this.
_TERMINATE_WAIT_S: Final = 2.0

#: Every WorkerProcess made, so that :func:`shutdown_worker_processes` can end them all.
_instances: weakref.WeakSet[WorkerProcess] = weakref.WeakSet()
_instances_lock = threading.Lock()


def shutdown_worker_processes(timeout_s: float = 10.0) -> None:
    """Stop the child of every :class:`WorkerProcess` (application exit, Ctrl+C)."""
    with _instances_lock:
        workers = list(_instances)
    for worker in workers:
        worker.shutdown(timeout_s / max(1, len(workers)))


class WorkerProcessError(RadAssistError):
    """A worker process stopped or could not be started."""


class WorkerProcess:
    """One child process serving one kind of request, one request at a time.

    Thread safe: a second caller waits for the first request to finish. The child is
    a daemon: it ends with the parent at the latest.

    Parameters
    ----------
    factory : callable
        Module-level function run once in each new child; returns the handler.
    name : str
        The child's process name (``ps``), e.g. ``"radassist-analysis"``.
    description : str
        What the process is for, in messages: "the {description} process ...".
    task : str
        One request, in messages: "... the next {task} starts a new one".
    error : type
        The :class:`WorkerProcessError` subclass raised when the child fails.
    environment : sequence of str
        Environment variables whose value in the caller at each request is set in the
        child before the request is served (the child may have been forked long ago).
    """

    def __init__(
        self,
        factory: HandlerFactory,
        *,
        name: str,
        description: str,
        task: str = "request",
        error: type[WorkerProcessError] = WorkerProcessError,
        environment: Sequence[str] = (),
    ) -> None:
        if not callable(factory):
            raise TypeError(f"factory must be callable, found {type(factory).__name__}")
        self._factory = factory
        self._name = name
        self._description = description
        self._task = task
        self._error = error
        self._environment = tuple(environment)
        self._lock = threading.Lock()  # one request in flight
        self._owner: int | None = None  # the thread whose request holds the lock
        self._process: Any = None
        self._conn: Connection | None = None
        self._number = 0
        with _instances_lock:
            _instances.add(self)

    @property
    def is_alive(self) -> bool:
        return self._process is not None and self._process.is_alive()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self.is_alive else None

    def _start(self) -> Connection:
        if self._conn is not None and self.is_alive:
            return self._conn
        self._stop()
        # BaseContext does not declare Process in the stubs; every concrete context has it.
        context: Any = child_context()
        pipe: tuple[Connection, Connection] = context.Pipe(duplex=True)
        parent, child = pipe
        process = context.Process(
            target=_serve,
            args=(child, self._factory, self._error),
            name=self._name,
            daemon=True,
        )
        what = f"the {self._description} process"
        try:
            process.start()
            child.close()
            if not parent.poll(_START_TIMEOUT_S):
                raise self._error(f"{what} did not start")
            try:
                ready = receive_message(parent)
            except (EOFError, OSError) as exc:
                raise self._error(f"{what} stopped while starting") from exc
            if not isinstance(ready, tuple) or ready[:1] != ("ready",):
                raise self._error(f"{what} said {ready!r} instead of ready")
        except BaseException:  # Ctrl+C too: a child half started is never left behind
            child.close()
            parent.close()
            _end(process, 0.0)
            raise
        logger.info("%s process started (pid %s)", self._description, process.pid)
        self._process, self._conn = process, parent
        return parent

    def _stop(self, timeout_s: float = 5.0) -> None:
        conn, process = self._conn, self._process
        self._conn = self._process = None
        if conn is not None:
            with contextlib.suppress(OSError, ValueError):
                send_message(conn, ("quit", 0, None))
            conn.close()
        if process is not None:
            _end(process, timeout_s)

    def shutdown(self, timeout_s: float = 10.0) -> None:
        """Stop the child (it is started again by the next request); bounded in time.

        A request in flight is waited for up to ``timeout_s``; a request that never
        ends (or a job its caller stopped driving, in the caller's own thread) does not
        hold the shutdown: its child is terminated, then killed, and the request ends
        with the ``error`` type when it is driven again.
        """
        if timeout_s < 0:
            raise ValueError(f"timeout_s must be >= 0, found {timeout_s}")
        waited = 0.0 if self._owner == threading.get_ident() else timeout_s
        if self._lock.acquire(timeout=waited):
            try:
                self._stop(timeout_s)
            finally:
                self._lock.release()
            return
        process = self._process
        if process is not None:
            logger.warning("the %s process is busy; stopping it", self._description)
            _end(process, 0.0)

    def call(
        self,
        request: object,
        token: CancelToken | None = None,
        *,
        wait_on_cancel: bool = True,
    ) -> Generator[Any, None, Any]:
        """Serve ``request`` in the child (a job: yields the child's events).

        The first event is a :class:`~core.jobs.Progress` saying the process is being
        started (it is only started when it is not running).

        Parameters
        ----------
        request : object
            Picklable; handed to the child's handler.
        token : CancelToken, optional
        wait_on_cancel : bool
            After a cancel, wait for the child to acknowledge it (the pipe is quiet when
            the job ends), or end at once (the child finishes the request on its own
            and its late answer is skipped by the next request).

        Raises
        ------
        CancelledError
            The token was set.
        WorkerProcessError (the ``error`` type given)
            The child died or could not be started.
        Exception
            What the handler raised in the child (typed when it pickles).
        """
        return self._call(request, token if token is not None else CancelToken(), wait_on_cancel)

    def _call(
        self, request: object, token: CancelToken, wait_on_cancel: bool
    ) -> Generator[Any, None, Any]:
        with self._lock:
            self._owner = threading.get_ident()
            try:
                return (yield from self._serve_request(request, token, wait_on_cancel))
            finally:
                self._owner = None

    def _serve_request(
        self, request: object, token: CancelToken, wait_on_cancel: bool
    ) -> Generator[Any, None, Any]:
        token.raise_if_cancelled()
        yield Progress(0, 0, f"Starting the {self._description} process")
        conn = self._start()
        self._number += 1
        number = self._number
        answered_request = False
        try:
            environment = {key: os.environ.get(key) for key in self._environment}
            send_message(conn, ("run", number, (environment, request)))
            cancel_sent = False
            while True:
                if token.cancelled and not cancel_sent:
                    send_message(conn, ("cancel", number, None))
                    cancel_sent = True
                    if not wait_on_cancel:
                        token.raise_if_cancelled()
                if not conn.poll(_POLL_S):
                    continue
                kind, answered, payload = receive_message(conn)
                if answered != number:
                    continue  # a late answer to an earlier, abandoned request
                if kind == "event":
                    if not token.cancelled:
                        yield payload
                elif kind == "result":
                    answered_request = True
                    token.raise_if_cancelled()
                    return payload
                elif kind == "error":
                    answered_request = True
                    raise payload
        except (EOFError, OSError) as exc:
            if answered_request:  # the handler's own OSError, not a broken pipe
                raise
            self._stop()
            raise self._error(
                f"the {self._description} process stopped unexpectedly; "
                f"the next {self._task} starts a new one"
            ) from exc
        except GeneratorExit:
            # The caller stopped listening: tell the child (and keep the pipe in step).
            self._abandon(conn, number, wait_on_cancel)
            raise
        except BaseException:
            # Ctrl+C or any failure on this side: the child stops the request on its
            # own (its late answer is skipped by the next request).
            if not answered_request:
                with contextlib.suppress(OSError, ValueError):
                    send_message(conn, ("cancel", number, None))
            raise

    def _abandon(self, conn: Connection, number: int, wait: bool) -> None:
        try:
            send_message(conn, ("cancel", number, None))
            if not wait:
                return
            deadline = time.monotonic() + _ABANDON_WAIT_S
            while conn.poll(max(0.0, deadline - time.monotonic())):
                kind, answered, _ = receive_message(conn)
                if answered == number and kind in ("result", "error"):
                    return
            self._stop()  # no answer: start afresh next time
        except (EOFError, OSError, ValueError):
            self._stop()


def _end(process: Any, timeout_s: float) -> None:
    """Wait up to ``timeout_s`` for ``process`` to end; then terminate it, then kill it."""
    if process.pid is None:  # never started
        return
    process.join(timeout_s)
    if process.is_alive():
        process.terminate()
        process.join(_TERMINATE_WAIT_S)
    if process.is_alive():
        process.kill()
        process.join(_TERMINATE_WAIT_S)


# --------------------------------------------------------------------------- the child


def _serve(conn: Connection, factory: HandlerFactory, error_type: type[WorkerProcessError]) -> None:
    """The child's loop: one request at a time, cancel messages read alongside."""
    # Also set by core.child_setup in the fork server: here for a child started otherwise.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    watch_parent_process()
    try:
        _serve_requests(conn, factory, error_type)
    except (BrokenPipeError, ConnectionResetError, EOFError):
        return  # the parent went away (it stopped, or stopped waiting for us): quietly


def _serve_requests(
    conn: Connection, factory: HandlerFactory, error_type: type[WorkerProcessError]
) -> None:
    handler = factory()
    send_lock = threading.Lock()
    tokens: dict[int, CancelToken] = {}
    work: list[tuple[str, int, Any]] = []
    arrived = threading.Condition()
    done = [0]  # the highest request number answered: later cancels for it are stale

    def send(message: tuple[str, int, Any]) -> None:
        with send_lock:
            send_message(conn, message)

    def read() -> None:
        # Reads every message so that a cancel reaches a running request.
        while True:
            try:
                message = receive_message(conn)
            except (EOFError, OSError):
                message = ("quit", 0, None)
            kind, number, _ = message
            with arrived:
                if kind == "cancel":
                    if number > done[0]:
                        tokens.setdefault(number, CancelToken()).cancel()
                else:
                    work.append(message)
                    if kind == "quit":
                        for token in tokens.values():
                            token.cancel()
                arrived.notify()
            if kind == "quit":
                return

    threading.Thread(target=read, name="worker-pipe", daemon=True).start()
    send(("ready", 0, None))
    while True:
        with arrived:
            while not work:
                arrived.wait()
            kind, number, payload = work.pop(0)
        if kind == "quit":
            return
        with arrived:
            token = tokens.setdefault(number, CancelToken())

        def emit(event: Any, number: int = number) -> None:
            send(("event", number, event))

        try:
            environment, request = payload
            for key, value in environment.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            outcome = handler(request, token, emit)
            if inspect.isgenerator(outcome):
                outcome = _drive(cast("Generator[Any, None, Any]", outcome), token, emit)
            send(("result", number, outcome))
        except (BrokenPipeError, ConnectionResetError):
            return  # the parent closed the pipe (it stopped or is shutting us down): quietly
        except BaseException as error:  # every failure goes back, typed when it pickles
            if isinstance(error, KeyboardInterrupt | SystemExit):
                return
            try:
                send(("error", number, _picklable(error, error_type)))
            except (BrokenPipeError, ConnectionResetError):
                return
        finally:
            with arrived:
                tokens.pop(number, None)
                done[0] = max(done[0], number)


def _drive(job: Generator[Any, None, Any], token: CancelToken, emit: Emit) -> Any:
    try:
        while True:
            token.raise_if_cancelled()
            try:
                event = next(job)
            except StopIteration as stop:
                return stop.value
            emit(event)
    finally:
        job.close()


def _picklable(error: BaseException, error_type: type[WorkerProcessError]) -> BaseException:
    if isinstance(error, CancelledError):
        return CancelledError(str(error))
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return error_type(f"{type(error).__name__}: {error}")
    error.__traceback__ = None
    return error


def send_message(conn: Connection, message: object) -> None:
    """Send one message: the sizes of its arrays' buffers, the pickle, then each buffer."""
    buffers: list[pickle.PickleBuffer] = []
    data = pickle.dumps(message, protocol=5, buffer_callback=buffers.append)
    raws = [buffer.raw() for buffer in buffers]
    conn.send_bytes(pickle.dumps(tuple(raw.nbytes for raw in raws)))
    conn.send_bytes(data)
    for raw in raws:
        conn.send_bytes(raw)


def receive_message(conn: Connection) -> Any:
    """Receive one message sent by :func:`send_message`."""
    sizes = pickle.loads(conn.recv_bytes())
    data = conn.recv_bytes()
    buffers = []
    for size in sizes:
        buffer = bytearray(size)  # writable: the receiver may work on the arrays in place
        if size:
            conn.recv_bytes_into(buffer)
        else:
            conn.recv_bytes()
        buffers.append(buffer)
    return pickle.loads(data, buffers=buffers)
