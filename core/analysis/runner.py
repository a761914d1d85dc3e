"""Analyses in a child process: torch never runs (or even loads) in the caller's process.

:class:`AnalysisProcess` keeps one long-lived :class:`~core.worker_process.WorkerProcess`
for the models (why a child process, and how the pipe works, is told there): the
caller's job sends the request (package and image), forwards the child's progress
events, cancels through the pipe, and returns the child's
:class:`~core.analysis.inference.AnalysisResult`. Loaded models stay cached in the
child between analyses. A child that dies (a crash, memory) costs that analysis only;
the next one starts a fresh child. The image and the full-size heatmaps travel out of
band, without the copies an ordinary pickle makes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from core.jobs import CancelToken
from core.worker_process import Emit, Handler, WorkerProcess, WorkerProcessError

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

# Where the child keeps its result cache must follow the caller's data folder, which
# may have changed since the fork server started (tests, a moved data folder).
_FOLLOWED_ENVIRONMENT: Final = ("RADASSIST_DATA_DIR", "XDG_DATA_HOME", "LOCALAPPDATA")


class AnalysisProcessError(WorkerProcessError):
    """The analysis process stopped or could not be started."""


@dataclass(frozen=True, eq=False)
class _Request:
    package: ModelPackage
    image: AnalysisImage = field(repr=False)
    heatmaps: str | None
    use_cache: bool


class AnalysisProcess:
    """One child process that runs :func:`~core.analysis.inference.analyze_image`.

    One analysis at a time (a second caller waits for the first to finish); thread
    safe. The child is a daemon: it ends with the parent at the latest.
    """

    def __init__(self) -> None:
        self._worker = WorkerProcess(
            _make_handler,
            name="radassist-analysis",
            description="analysis",
            task="analysis",
            error=AnalysisProcessError,
            environment=_FOLLOWED_ENVIRONMENT,
        )

    @property
    def is_alive(self) -> bool:
        return self._worker.is_alive

    @property
    def pid(self) -> int | None:
        return self._worker.pid

    def shutdown(self) -> None:
        """Stop the child (it is started again by the next analysis)."""
        self._worker.shutdown()

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
        # lazy: the analysis child's start stays light (these bring PIL and the networks)
        from core.analysis.inference import AnalysisImage
        from core.analysis.manifest import ModelPackage

        if not isinstance(package, ModelPackage):
            raise TypeError(f"package must be a ModelPackage, found {type(package).__name__}")
        if not isinstance(image, AnalysisImage):
            raise TypeError(f"image must be an AnalysisImage, found {type(image).__name__}")
        job: Generator[Any, None, AnalysisResult] = self._worker.call(
            _Request(package, image, heatmaps, use_cache), token
        )
        return job


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


def _make_handler() -> Handler:
    """Runs in the child: the registry checks a package's hashes once per change."""
    # lazy: the analysis child's start stays light (imported once it serves)
    from core.analysis.inference import analyze_image
    from core.analysis.registry import ModelRegistry

    registry = ModelRegistry()

    def handle(request: _Request, token: CancelToken, emit: Emit) -> Any:
        package = registry.get(request.package.folder)
        return analyze_image(
            package,
            request.image,
            None,
            token,
            heatmaps=request.heatmaps,
            use_cache=request.use_cache,
        )

    return handle
