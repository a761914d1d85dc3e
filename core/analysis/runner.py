"""Analyses in a child process: torch never runs (or even loads) in the caller's process.

A desktop process that imports torch on a worker thread still stalls its GUI thread:
initialising torch's extension module holds the interpreter lock for a few hundred
milliseconds, and every network call holds it in short bursts. :class:`AnalysisProcess`
keeps one long-lived child process for the models instead (started on first use with
``forkserver``, like the decoder workers of :mod:`core.dicom.workers`): the caller's
job sends the request (package and image), forwards the child's progress events,
cancels through the pipe, and returns the child's :class:`~core.analysis.inference.AnalysisResult`.
Loaded models stay cached in the child between analyses. A child that dies (a crash,
memory) costs that analysis only; the next one starts a fresh child.

The pipe carries our own dataclasses and numpy arrays between our own processes;
model weights are never pickled (they are read from safetensors in the child). Arrays
travel out of band (pickle protocol 5): the image and the full-size heatmaps are
written to the pipe straight from their memory and read into fresh writable buffers,
without the copies an ordinary pickle makes.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import pickle
import threading
from collections.abc import Generator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any, Final

from core.errors import CancelledError, RadAssistError
from core.jobs import CancelToken, Progress

if TYPE_CHECKING:
    from core.analysis.inference import AnalysisImage, AnalysisResult
    from core.analysis.manifest import ModelPackage

logger = logging.getLogger(__name__)

__all__ = [
    "AnalysisProcess",
    "AnalysisProcessError",
    "get_analysis_process",
    "shutdown_analysis_process",
]

_POLL_S: Final = 0.02
# Where the child keeps its result cache must follow the caller's data folder, which
# may have changed since the fork server started (tests, a moved data folder).
_FOLLOWED_ENVIRONMENT: Final = ("RADASSIST_DATA_DIR", "XDG_DATA_HOME", "LOCALAPPDATA")
_START_TIMEOUT_S: Final = 60.0


class AnalysisProcessError(RadAssistError):
    """The analysis process stopped or could not be started."""


@dataclass(frozen=True, eq=False)
class _Request:
    number: int
    package: ModelPackage
    image: AnalysisImage = field(repr=False)
    heatmaps: str | None
    use_cache: bool
    environment: dict[str, str | None] = field(default_factory=dict)


class AnalysisProcess:
    """One child process that runs :func:`~core.analysis.inference.analyze_image`.

    One analysis at a time (a second caller waits for the first to finish); thread
    safe. The child is a daemon: it ends with the parent at the latest.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()  # one request in flight
        self._process: Any = None
        self._conn: Connection | None = None
        self._number = 0

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
        methods = multiprocessing.get_all_start_methods()
        # BaseContext does not declare Process in the stubs; every concrete context has it.
        context: Any = multiprocessing.get_context(
            "forkserver" if "forkserver" in methods else "spawn"
        )
        pipe: tuple[Connection, Connection] = context.Pipe(duplex=True)
        parent, child = pipe
        process = context.Process(
            target=_serve, args=(child,), name="radassist-analysis", daemon=True
        )
        process.start()
        child.close()
        if not parent.poll(_START_TIMEOUT_S):
            process.kill()
            raise AnalysisProcessError("the analysis process did not start")
        try:
            ready = _receive(parent)
        except (EOFError, OSError) as exc:
            raise AnalysisProcessError("the analysis process stopped while starting") from exc
        if not isinstance(ready, tuple) or ready[:1] != ("ready",):
            raise AnalysisProcessError(f"the analysis process said {ready!r} instead of ready")
        logger.info("analysis process started (pid %s)", process.pid)
        self._process, self._conn = process, parent
        return parent

    def _stop(self) -> None:
        conn, process = self._conn, self._process
        self._conn = self._process = None
        if conn is not None:
            with contextlib.suppress(OSError, ValueError):
                _send(conn, ("quit", 0, None))
            conn.close()
        if process is not None:
            process.join(5.0)
            if process.is_alive():
                process.kill()
                process.join(5.0)

    def shutdown(self) -> None:
        """Stop the child (it is started again by the next analysis)."""
        with self._lock:
            self._stop()

    def analyze(
        self,
        package: ModelPackage,
        image: AnalysisImage,
        token: CancelToken | None = None,
        *,
        heatmaps: str | None = "gradcam",
        use_cache: bool = True,
    ) -> Generator[Any, None, AnalysisResult]:
        """Analyse ``image`` with ``package`` in the child (a job: yields its Progress).

        Raises
        ------
        CancelledError
            The token was set (the child stops at its next step).
        ModelPackageError, DicomError, ...
            What the analysis raised in the child.
        AnalysisProcessError
            The child died or could not be started.
        """
        from core.analysis.inference import AnalysisImage
        from core.analysis.manifest import ModelPackage

        if not isinstance(package, ModelPackage):
            raise TypeError(f"package must be a ModelPackage, found {type(package).__name__}")
        if not isinstance(image, AnalysisImage):
            raise TypeError(f"image must be an AnalysisImage, found {type(image).__name__}")
        return self._analyze(
            package, image, token if token is not None else CancelToken(), heatmaps, use_cache
        )

    def _analyze(
        self,
        package: ModelPackage,
        image: AnalysisImage,
        token: CancelToken,
        heatmaps: str | None,
        use_cache: bool,
    ) -> Generator[Any, None, AnalysisResult]:
        with self._lock:
            token.raise_if_cancelled()
            yield Progress(0, 0, "Starting the analysis process")
            conn = self._start()
            self._number += 1
            number = self._number
            try:
                environment = {key: os.environ.get(key) for key in _FOLLOWED_ENVIRONMENT}
                request = _Request(number, package, image, heatmaps, use_cache, environment)
                _send(conn, ("analyze", number, request))
                cancel_sent = False
                while True:
                    if token.cancelled and not cancel_sent:
                        _send(conn, ("cancel", number, None))
                        cancel_sent = True
                    if not conn.poll(_POLL_S):
                        continue
                    kind, answered, payload = _receive(conn)
                    if answered != number:
                        continue  # a late answer to an earlier, abandoned request
                    if kind == "event":
                        if not token.cancelled:
                            yield payload
                    elif kind == "result":
                        token.raise_if_cancelled()
                        result: AnalysisResult = payload
                        return result
                    elif kind == "error":
                        raise payload
            except (EOFError, OSError, BrokenPipeError) as exc:
                self._stop()
                raise AnalysisProcessError(
                    "the analysis process stopped unexpectedly; the next analysis starts a new one"
                ) from exc
            except GeneratorExit:
                # The caller stopped listening: tell the child, keep the pipe in step.
                self._abandon(conn, number)
                raise

    def _abandon(self, conn: Connection, number: int) -> None:
        try:
            _send(conn, ("cancel", number, None))
            while conn.poll(10.0):
                kind, answered, _ = _receive(conn)
                if answered == number and kind in ("result", "error"):
                    return
            self._stop()  # no answer: start afresh next time
        except (EOFError, OSError):
            self._stop()


_shared: AnalysisProcess | None = None
_shared_lock = threading.Lock()


def get_analysis_process() -> AnalysisProcess:
    """The process shared by the application's analyses."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = AnalysisProcess()
        return _shared


def shutdown_analysis_process() -> None:
    """Stop the shared analysis process (application exit, tests)."""
    with _shared_lock:
        process = _shared
    if process is not None:
        process.shutdown()


# --------------------------------------------------------------------------- the child


def _serve(conn: Connection) -> None:
    """The child's loop: one analysis at a time, cancel messages read alongside."""
    from core.analysis.inference import analyze_image
    from core.analysis.registry import ModelRegistry

    registry = ModelRegistry()
    send_lock = threading.Lock()
    tokens: dict[int, CancelToken] = {}
    work: list[tuple[str, int, Any]] = []
    arrived = threading.Condition()

    def send(message: tuple[str, int, Any]) -> None:
        with send_lock:
            _send(conn, message)

    def read() -> None:
        # Reads every message so that a cancel reaches a running analysis.
        while True:
            try:
                message = _receive(conn)
            except (EOFError, OSError):
                message = ("quit", 0, None)
            kind, number, _ = message
            with arrived:
                if kind == "cancel":
                    tokens.setdefault(number, CancelToken()).cancel()
                else:
                    work.append(message)
                    if kind == "quit":
                        for token in tokens.values():
                            token.cancel()
                arrived.notify()
            if kind == "quit":
                return

    threading.Thread(target=read, name="analysis-pipe", daemon=True).start()
    send(("ready", 0, None))
    while True:
        with arrived:
            while not work:
                arrived.wait()
            kind, number, request = work.pop(0)
        if kind == "quit":
            return
        with arrived:
            token = tokens.setdefault(number, CancelToken())
        try:
            for key, value in request.environment.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            package = registry.get(request.package.folder)  # hashes checked once per change
            job = analyze_image(
                package,
                request.image,
                None,
                token,
                heatmaps=request.heatmaps,
                use_cache=request.use_cache,
            )
            while True:
                token.raise_if_cancelled()
                try:
                    event = next(job)
                except StopIteration as stop:
                    send(("result", number, stop.value))
                    break
                send(("event", number, event))
        except BaseException as error:  # every failure goes back, typed when it pickles
            if isinstance(error, KeyboardInterrupt | SystemExit):
                return
            send(("error", number, _picklable(error)))
        finally:
            with arrived:
                tokens.pop(number, None)


def _picklable(error: BaseException) -> BaseException:
    if isinstance(error, CancelledError):
        return CancelledError(str(error))
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return AnalysisProcessError(f"{type(error).__name__}: {error}")
    error.__traceback__ = None
    return error


def _send(conn: Connection, message: object) -> None:
    """One message: the sizes of its arrays' buffers, the pickle, then each buffer."""
    buffers: list[pickle.PickleBuffer] = []
    data = pickle.dumps(message, protocol=5, buffer_callback=buffers.append)
    raws = [buffer.raw() for buffer in buffers]
    conn.send_bytes(pickle.dumps(tuple(raw.nbytes for raw in raws)))
    conn.send_bytes(data)
    for raw in raws:
        conn.send_bytes(raw)


def _receive(conn: Connection) -> Any:
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
