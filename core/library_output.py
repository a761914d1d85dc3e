"""What third-party libraries say reaches our log, never raw stderr (issue 11 section 6).

pydicom logs as it reads and decodes: a decoder plugin that fails before another one
succeeds logs its whole traceback at ERROR, and a malformed value is both logged and
warned about, quoting the value. The decoders' own Python wrappers (pylibjpeg,
pylibjpeg-openjpeg, pyjpegls) warn too, and the native libraries behind GDCM (libjpeg,
OpenJPEG, CharLS) write to the C ``stderr`` directly. RadAssist says what matters itself,
in one line naming the file and the problem (a :class:`~core.errors.DicomError`), so:

* :func:`capture_library_output` (every process: the command line, the window, each child)
  demotes the libraries' log records to DEBUG records of our own logger, their text
  withheld (it can quote element values: house rule 8), and ignores their Python warnings
  (pydicom logs the same text);
* :func:`quiet_gdcm` turns GDCM's own warning, error and debug traces off once GDCM is
  loaded;
* :func:`silence_native_stderr` (decoder worker processes only) points file descriptor 2
  at ``/dev/null`` while Python's ``sys.stderr`` keeps the original stream, so what native
  code prints is dropped and what Python code reports still arrives;
* :func:`native_stderr_dropped` does the same for the duration of one native decoder
  call, in a process that decodes outside a decoder worker: it is a no-op in a worker,
  where fd 2 is silenced for good.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import warnings
from collections.abc import Iterator
from typing import Any, Final

logger = logging.getLogger(__name__)

__all__ = [
    "LIBRARY_LOGGERS",
    "LOG_FORMAT",
    "capture_library_output",
    "log_to_stderr",
    "native_stderr_dropped",
    "quiet_gdcm",
    "silence_native_stderr",
]

#: Top-level loggers (and warning modules) of the libraries that read and decode DICOM.
LIBRARY_LOGGERS: Final = (
    *("pydicom", "pylibjpeg", "openjpeg", "jpeg_ls", "rle", "gdcm", "PIL"),
    *("pynetdicom", "dicomweb_client"),
)

_WARNING_MODULES: Final = r"(" + "|".join(LIBRARY_LOGGERS) + r")(\..*)?$"


class _DemoteToDebug(logging.Handler):
    """Re-logs a library's record as a DEBUG record of ours, without its text."""

    def emit(self, record: logging.LogRecord) -> None:
        if not logger.isEnabledFor(logging.DEBUG):
            return
        error = record.exc_info[1] if record.exc_info else None
        what = f"; {type(error).__name__}" if error is not None else ""
        logger.debug(
            "%s logged a %s record (%s:%d%s); text withheld",
            record.name,
            record.levelname,
            record.module,
            record.lineno,
            what,
        )


_handler: Final = _DemoteToDebug()

#: RadAssist's own log lines on stderr, as the command line writes them.
LOG_FORMAT: Final = "%(levelname)s %(name)s: %(message)s"


class _CurrentStderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a record comes (it may be replaced later)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def log_to_stderr() -> None:
    """A child process's warnings read like its parent's: ``WARNING core.dicom.pixels: ...``.

    Without it a child has no handler and Python prints the bare message. The level is
    ``RADASSIST_LOG_LEVEL`` (default WARNING). Does nothing where logging is configured.
    """
    root = logging.getLogger()
    if root.handlers:
        return
    handler = _CurrentStderr()
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root.addHandler(handler)
    level = os.environ.get("RADASSIST_LOG_LEVEL", "WARNING").upper()
    root.setLevel(level if level in logging.getLevelNamesMapping() else logging.WARNING)


def capture_library_output() -> None:
    """Route the DICOM libraries' log records and warnings away from stderr; idempotent.

    Each library logger stops propagating to the root logger (whose handler writes to
    stderr) and hands its records to a handler that re-logs them at DEBUG under
    ``core.library_output``. Warnings raised in a library's modules are ignored.
    Importing no library, this is cheap enough for start-up.
    """
    for name in LIBRARY_LOGGERS:
        library = logging.getLogger(name)
        library.propagate = False
        if _handler not in library.handlers:
            library.addHandler(_handler)
    warnings.filterwarnings("ignore", module=_WARNING_MODULES)
    quiet_gdcm()


_gdcm_quiet = [False]


def quiet_gdcm() -> None:
    """Turn GDCM's traces (warnings, errors, debug) off, if GDCM is loaded; idempotent.

    Call it where GDCM may just have been imported (pydicom imports it when it lists its
    decoder plugins); it never imports GDCM itself.
    """
    if _gdcm_quiet[0]:
        return
    gdcm = sys.modules.get("gdcm")
    trace = getattr(gdcm, "Trace", None)
    if trace is None:
        return
    try:
        trace.WarningOff()
        trace.ErrorOff()
        trace.DebugOff()
    except Exception:  # an unexpected build: its traces stay on
        logger.debug("GDCM's traces could not be turned off", exc_info=True)
        return
    _gdcm_quiet[0] = True


_native_silenced = [False]


def silence_native_stderr() -> None:
    """Drop what native code writes to file descriptor 2; keep Python's ``sys.stderr``.

    For decoder workers: libjpeg, OpenJPEG and CharLS print warnings about corrupt data
    with ``fprintf(stderr, ...)``. Python's own output (a log line, a traceback) goes on to
    the original stream through a duplicate of the descriptor. Once per process.
    """
    if _native_silenced[0]:
        return
    original = _redirect_fd2_to_devnull()
    if original < 0:  # no stderr at all, or no /dev/null: left as it is
        return
    sys.stderr = open(  # noqa: SIM115 - lives as long as the process
        original, "w", encoding="utf-8", errors="backslashreplace", buffering=1
    )
    _native_silenced[0] = True


_dropping_lock = threading.Lock()
_dropping: dict[str, int] = {"depth": 0, "saved": -1}


@contextlib.contextmanager
def native_stderr_dropped() -> Iterator[None]:
    """Drop what native code writes to fd 2 in the block (nested and threaded calls share it).

    Python writes to fd 2 from other threads during the block are dropped too, so the
    block should hold one decoder call, not more.
    """
    if _native_silenced[0]:
        yield
        return
    with _dropping_lock:
        if _dropping["depth"] == 0:
            _dropping["saved"] = _redirect_fd2_to_devnull()
        _dropping["depth"] += 1
    try:
        yield
    finally:
        with _dropping_lock:
            _dropping["depth"] -= 1
            saved = _dropping["saved"]
            if _dropping["depth"] == 0 and saved >= 0:
                with contextlib.suppress(OSError):
                    os.dup2(saved, 2)
                os.close(saved)
                _dropping["saved"] = -1


def _redirect_fd2_to_devnull() -> int:
    """Point fd 2 at /dev/null; returns a duplicate of what it was (-1: left unchanged)."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:
        return -1
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 2)
        finally:
            os.close(devnull)
    except OSError:
        os.close(saved)
        return -1
    return saved
