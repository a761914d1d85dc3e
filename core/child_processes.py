"""RadAssist's child processes: how they start, how they end, and Ctrl+C.

Every child (the decoder workers of :mod:`core.dicom.workers`, the analysis and
language-model processes of :mod:`core.worker_process`) is started from one
``forkserver`` context (:func:`child_context`); the fork server imports
:mod:`core.child_setup` first, so each child it forks ignores Ctrl+C (the parent decides
how its children stop) and ends as soon as the process that asked for it ends, even after
``kill -9`` (:func:`watch_parent_process`). :func:`stop_children` ends them all within a
bounded time (asked, then terminated, then killed); :func:`stop_on_interrupt` makes Ctrl+C
end a command cleanly at any moment: the first press raises :class:`KeyboardInterrupt`,
later ones are ignored while the children are stopped.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

logger = logging.getLogger(__name__)

__all__ = [
    "child_context",
    "stop_children",
    "stop_on_interrupt",
    "watch_parent_process",
]

#: What the fork server imports before it forks anything (core.child_setup first).
# (build.spec bundles every core module, so PyInstaller need not see an import of it.)
_preload: list[str] = ["core.child_setup"]
_preload_lock = threading.Lock()


def child_context(preload: Sequence[str] = ()) -> Any:
    """The multiprocessing context every RadAssist child is started with.

    ``forkserver`` where there is one (a clean parent: no inherited threads or Qt
    state), ``spawn`` elsewhere. ``preload`` adds modules the fork server imports once
    before forking (effective when the fork server is not running yet).
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    with _preload_lock:
        _preload.extend(name for name in preload if name not in _preload)
        context.set_forkserver_preload(list(_preload))
    return context


_watching = [False]


def watch_parent_process(*, forked: bool = False) -> None:
    """End this child as soon as the RadAssist process that asked for it ends (a thread).

    A forkserver child's parent is the fork server, which lives as long as any of its
    children does (each holds its "alive" pipe): neither it nor the kernel ends the child
    when RadAssist ends, even less after ``kill -9``. The child watches the sentinel
    multiprocessing gives it instead: a pipe whose other end only the requesting process
    holds. ``forked``: called just after a fork (a watch the parent had is not ours).
    """
    if _watching[0] and not forked:
        return
    _watching[0] = True
    threading.Thread(target=_watch_parent, name="parent-watch", daemon=True).start()


def _watch_parent() -> None:
    from multiprocessing.connection import wait

    parent = multiprocessing.parent_process()
    deadline = time.monotonic() + 30.0
    while parent is None:  # set when the child's bootstrap begins, just after the fork
        if time.monotonic() > deadline:
            return  # not a multiprocessing child: nothing to watch
        time.sleep(0.02)
        parent = multiprocessing.parent_process()
    try:
        ended = wait([parent.sentinel])
    except (OSError, ValueError):  # the sentinel was closed: this child is ending anyway
        return
    if ended:
        os._exit(1)


def stop_children(timeout_s: float = 10.0) -> None:
    """End every child process this process started; returns within about ``timeout_s``.

    Each child is asked to quit, terminated when it has not within its share of the
    time, then killed. Modules never imported have no children to stop.
    """
    if timeout_s < 0:
        raise ValueError(f"timeout_s must be >= 0, found {timeout_s}")
    share = timeout_s / 2
    worker_process = sys.modules.get("core.worker_process")
    if worker_process is not None:
        worker_process.shutdown_worker_processes(share)
    decoder_workers = sys.modules.get("core.dicom.workers")
    if decoder_workers is not None:
        decoder_workers.shutdown(share)


@contextlib.contextmanager
def stop_on_interrupt(timeout_s: float = 10.0) -> Iterator[None]:
    """Ctrl+C in the block raises one :class:`KeyboardInterrupt`; then children are stopped.

    After the first Ctrl+C, further presses are ignored (so no second interrupt lands in
    the middle of stopping the children, or of the interpreter's exit): the process is
    ending. Without a Ctrl+C the previous handler is back after the block. Outside the
    main thread, or where Ctrl+C is ignored already (a background job), the block runs
    unchanged.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    if previous is signal.SIG_IGN:
        yield
        return
    interrupted = threading.Event()

    def on_interrupt(signum: int, frame: object) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        interrupted.set()
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_interrupt)
    try:
        yield
    finally:
        if interrupted.is_set():
            # Stopped: Ctrl+C stays ignored while the children stop and the process ends
            # (a press during interpreter exit would otherwise kill it with a signal).
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            try:
                stop_children(timeout_s)
            except Exception:
                logger.warning("stopping the child processes failed", exc_info=True)
        else:
            restored = previous if previous is not None else signal.default_int_handler
            signal.signal(signal.SIGINT, restored)
