"""Worker processes for decoding and header reading (house rule 4).

Pixel decoders are native code fed with untrusted files; a segfault or a memory
blow-up in one must cost that file, never the app. Work therefore runs in a
persistent pool of worker processes started with ``forkserver`` (a clean parent,
no inherited threads or Qt state). The same pool gives parallelism for speed.

:func:`run_isolated` maps a picklable function over items and yields each outcome
as it completes; when a worker dies, the pool is rebuilt and the unfinished items
are retried one at a time so that the culprit is found and reported alone.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Generic, TypeVar

from core.child_processes import child_context
from core.dicom.limits import TOO_LARGE, limit_worker_memory
from core.errors import PixelDataError
from core.i18n import _
from core.jobs import CancelToken
from core.library_output import silence_native_stderr

logger = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

#: Modules every worker imports once, in the fork server, before forking.
_PRELOAD = [
    "numpy",
    "pydicom",
    "core.dicom.records",
    "core.dicom.limits",
    "core.dicom.index",
    "core.dicom.pixels",
]

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None


def worker_count() -> int:
    """Number of worker processes: the CPUs this process may use, at most 8."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, 8))


def get_pool() -> ProcessPoolExecutor:
    """The shared process pool, started on first use."""
    global _pool
    with _lock:
        if _pool is None:
            context = child_context(_PRELOAD)
            # The address-space limit is the backstop of the memory ceiling (core.dicom.limits).
            _pool = ProcessPoolExecutor(
                max_workers=worker_count(), mp_context=context, initializer=_set_up_worker
            )
        return _pool


def _set_up_worker() -> None:
    """Worker initializer: the memory ceiling, and native decoders' stderr chatter dropped."""
    limit_worker_memory()
    silence_native_stderr()


def _noop() -> int:
    return os.getpid()


def warm_up() -> None:
    """Start the pool and its workers now (e.g. while the window opens), not on first use."""
    pool = get_pool()
    for future in [pool.submit(_noop) for _worker in range(worker_count())]:
        future.result()


def shutdown(timeout_s: float | None = None) -> None:
    """Stop the pool's workers (tests and application exit).

    ``timeout_s``: how long a decode in progress is waited for; then its worker is
    terminated, then killed (default: waited for).
    """
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is None:
        return
    if timeout_s is None:
        pool.shutdown(wait=True, cancel_futures=True)
        return
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    deadline = time.monotonic() + timeout_s
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
    for stop in ("terminate", "kill"):
        alive = [process for process in processes if process.is_alive()]
        for process in alive:
            getattr(process, stop)()
        for process in alive:
            process.join(2.0)


def _discard_broken_pool(broken: ProcessPoolExecutor) -> None:
    global _pool
    with _lock:
        if _pool is broken:
            _pool = None
    broken.shutdown(wait=False, cancel_futures=True)


@dataclass(frozen=True)
class Outcome(Generic[R]):
    """What one item gave: a result, or the exception it raised (never both)."""

    index: int
    result: R | None = None
    error: BaseException | None = None


def run_isolated(
    fn: Callable[[T], R],
    items: Sequence[T],
    token: CancelToken | None = None,
    *,
    describe: Callable[[T], str] = str,
    max_in_flight: int | None = None,
) -> Iterator[Outcome[R]]:
    """Run ``fn`` on every item in worker processes; yield outcomes as they complete.

    Parameters
    ----------
    fn : callable
        A module-level (picklable) function.
    items : sequence
        Its arguments, one call each.
    token : CancelToken, optional
        Checked between completions; pending calls are cancelled when set.
    describe : callable
        Names an item in the error of a crashed worker (e.g. its path).
    max_in_flight : int, optional
        How many calls are submitted at once (default: four per worker), so
        that cancelling is quick and results come back in submission order.

    Yields
    ------
    Outcome
        ``error`` holds the exception ``fn`` raised, or a
        :class:`~core.errors.PixelDataError` when the worker process died on it.
    """
    limit = max_in_flight or 4 * worker_count()
    todo = list(range(len(items)))
    todo.reverse()  # pop() from the end takes items in order
    suspects: list[int] = []
    while todo or suspects:
        if token is not None:
            token.raise_if_cancelled()
        if suspects:
            # After a crash, run the unfinished items alone to find the culprit.
            index = suspects.pop(0)
            yield from _run_alone(fn, items, index, describe)
            continue
        pool = get_pool()
        in_flight: dict[Future[R], int] = {}
        try:
            while todo or in_flight:
                while todo and len(in_flight) < limit:
                    # submit() raises once the pool is broken: take the item off the list
                    # only when it is really in flight, or it would be lost.
                    future = pool.submit(fn, items[todo[-1]])
                    in_flight[future] = todo.pop()
                done, _pending = wait(in_flight, timeout=0.05, return_when=FIRST_COMPLETED)
                if token is not None and token.cancelled:
                    for future in in_flight:
                        future.cancel()
                    token.raise_if_cancelled()
                for future in sorted(done, key=lambda f: in_flight[f]):
                    error = future.exception()
                    if isinstance(error, BrokenProcessPool):
                        raise error
                    index = in_flight.pop(future)
                    if isinstance(error, MemoryError):  # hit the worker's address-space limit
                        error = PixelDataError(describe(items[index]), _(TOO_LARGE))
                    if error is not None:
                        yield Outcome(index, error=error)
                    else:
                        yield Outcome(index, result=future.result())
        except BrokenProcessPool:
            logger.warning("a worker died; retrying %d unfinished items alone", len(in_flight))
            _discard_broken_pool(pool)
            suspects.extend(sorted(in_flight.values()))


def _run_alone(
    fn: Callable[[T], R], items: Sequence[T], index: int, describe: Callable[[T], str]
) -> Iterator[Outcome[R]]:
    pool = get_pool()
    future = pool.submit(fn, items[index])
    try:
        yield Outcome(index, result=future.result())
    except BrokenProcessPool:
        _discard_broken_pool(pool)
        yield Outcome(
            index,
            error=PixelDataError(
                describe(items[index]),
                # English on purpose: core.dicom.headers recognises a crash by these words
                # (it says so in the reader's language itself).
                f"the decoder crashed on this file (worker process died; it may be {TOO_LARGE})",
            ),
        )
    except MemoryError:
        yield Outcome(index, error=PixelDataError(describe(items[index]), _(TOO_LARGE)))
    except Exception as error:
        yield Outcome(index, error=error)
