"""The language-model process can never hang the CLI (issue 11, section 3), with real children.

A failure on the caller's side (its progress output broken, Ctrl+C) releases the child and
the lock; a shutdown is bounded (asked, terminated, killed); Ctrl+C at any moment of
``radassist draft`` ends with exit 130, one line and no traceback, leaving no child; and
no child outlives its parent, even after ``kill -9``.
"""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import psutil
import pytest

from core.jobs import CancelToken, run_job
from core.worker_process import WorkerProcess, WorkerProcessError

ROOT = Path(__file__).resolve().parents[2]
BOUND_S = 20.0  # a run that takes longer than this hangs


# ------------------------------------------------------------------------ child handlers


def _make_ticking_handler() -> Callable[[Any, CancelToken, Any], Any]:
    def handler(request: Any, token: CancelToken, emit: Any) -> Generator[int, None, int]:
        for tick in range(int(request)):
            time.sleep(0.01)
            yield tick
        return int(request)

    return handler


def _make_stuck_handler() -> Callable[[Any, CancelToken, Any], Any]:
    def handler(request: Any, token: CancelToken, emit: Any) -> int:
        emit("started")
        time.sleep(120)  # ignores its cancel token: only a kill ends it
        return 0

    return handler


def _make_slow_starting_handler(pid_file: str) -> Callable[[Any, CancelToken, Any], Any]:
    # Written whole, then renamed: the test reads it as soon as it exists (under load it
    # once read the file between its creation and the write: '').
    written = Path(pid_file + ".part")
    written.write_text(str(os.getpid()))
    written.replace(pid_file)
    time.sleep(120)  # still "starting" when the caller is interrupted
    return _make_ticking_handler()


def _in_thread(work: Callable[[], Any], timeout_s: float = BOUND_S) -> Any:
    """Run ``work`` in a thread; fail (instead of hanging the suite) when it does not end."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = work()
        except BaseException as error:
            outcome["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout_s)
    assert not thread.is_alive(), f"still running after {timeout_s:.0f} s: it hangs"
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def _gone(pid: int, within_s: float = 5.0) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def worker() -> Iterator[WorkerProcess]:
    process = WorkerProcess(_make_ticking_handler, name="radassist-test", description="test")
    yield process
    process.shutdown(5.0)


# ----------------------------------------------------------------------- in the process


def test_a_failing_listener_releases_the_lock_and_the_child(worker: WorkerProcess) -> None:
    def listener(event: Any) -> None:
        if isinstance(event, int) and event == 3:
            raise BrokenPipeError(32, "Broken pipe")  # e.g. progress to a closed stderr

    def draft_then_shut_down() -> None:
        with pytest.raises(BrokenPipeError):
            run_job(worker.call(200), listener)
        worker.shutdown(5.0)  # the old code waited here for ever on its own lock

    started = time.monotonic()
    _in_thread(draft_then_shut_down)
    assert time.monotonic() - started < 10
    assert not worker.is_alive
    assert _in_thread(lambda: run_job(worker.call(5))) == 5  # the lock is free again


def test_shutdown_does_not_wait_for_a_request_its_own_thread_stopped_driving(
    worker: WorkerProcess,
) -> None:
    def suspend_then_shut_down() -> int | None:
        job = worker.call(500)
        next(job), next(job)  # started and suspended at a yield, holding the lock
        pid = worker.pid
        worker.shutdown(30.0)
        job.close()
        return pid

    started = time.monotonic()
    pid = _in_thread(suspend_then_shut_down)
    assert time.monotonic() - started < 10, "the shutdown waited for its own request"
    assert pid is not None and _gone(pid)


def test_shutdown_of_a_request_that_never_ends_kills_its_child() -> None:
    stuck = WorkerProcess(_make_stuck_handler, name="radassist-test", description="test")
    failures: list[BaseException] = []
    events = threading.Event()

    def drive() -> None:
        try:
            run_job(stuck.call(None), lambda event: event == "started" and events.set())
        except BaseException as error:
            failures.append(error)

    thread = threading.Thread(target=drive, daemon=True)
    thread.start()
    assert events.wait(BOUND_S)
    pid = stuck.pid
    started = time.monotonic()
    stuck.shutdown(0.5)
    assert time.monotonic() - started < 8  # 0.5 s, then terminated
    assert pid is not None and _gone(pid)
    thread.join(BOUND_S)
    assert not thread.is_alive() and isinstance(failures[0], WorkerProcessError)
    assert "stopped unexpectedly" in str(failures[0])
    stuck.shutdown(1.0)


def test_ctrl_c_while_the_child_starts_leaves_no_child(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    factory = functools.partial(_make_slow_starting_handler, str(pid_file))
    slow = WorkerProcess(factory, name="radassist-test", description="test")

    def interrupt_once_started() -> None:
        deadline = time.monotonic() + BOUND_S
        while not pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt_once_started, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        run_job(slow.call(1))
    assert pid_file.exists()
    assert _gone(int(pid_file.read_text())), "a child interrupted while starting was left"
    assert not slow.is_alive


# ------------------------------------------------------------------------------ the CLI


@pytest.fixture(scope="module")
def draft_inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from core.synthetic import make_study_context, write_cxr
    from tests.core.llm_helpers import make_tiny_causal_lm
    from tests.core.model_helpers import make_package, soften

    root = tmp_path_factory.mktemp("faults")
    package = make_package(
        root / "draft-model",
        name="draft-model",
        labels=("Nodule", "Effusion"),
        thresholds={"Nodule": 0.0, "Effusion": 1.0},
        edit=soften,
    )
    study = root / "study"
    study.mkdir()
    rng = np.random.default_rng(5)
    write_cxr(study / "pa.dcm", rng, view="PA", size=(70, 56), study=make_study_context(rng))
    return {
        "study": study,
        "package": package.folder,
        "model": make_tiny_causal_lm(root / "tiny-lm"),
        "data": root / "data",
    }


def _draft_command(inputs: dict[str, Path], tokens: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "desktop",
        "draft",
        str(inputs["study"]),
        "--engine",
        "llm",
        "--model",
        str(inputs["model"]),
        "--analysis-model",
        str(inputs["package"]),
        "--max-new-tokens",
        str(tokens),
    ]


def _environment(inputs: dict[str, Path]) -> dict[str, str]:
    return {
        **os.environ,
        "RADASSIST_DATA_DIR": str(inputs["data"]),
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
    }


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _all_gone(processes: list[psutil.Process], within_s: float = 5.0) -> list[str]:
    deadline = time.monotonic() + within_s
    alive = processes
    while alive and time.monotonic() < deadline:
        alive = [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        time.sleep(0.05)
    return [f"{p.pid} {' '.join(p.cmdline()[-2:])}" for p in alive if p.is_running()]


def test_draft_with_a_closed_stderr_ends_and_prints_the_draft(
    draft_inputs: dict[str, Path],
) -> None:
    read, write = os.pipe()
    os.close(read)  # every write to stderr fails (EPIPE)
    try:
        done = subprocess.run(
            _draft_command(draft_inputs, 16),
            stdout=subprocess.PIPE,
            stderr=write,
            env=_environment(draft_inputs),
            cwd=ROOT,
            timeout=60,  # before the fix: for ever
        )
    finally:
        os.close(write)
    assert done.returncode == 0
    assert b"Drafted with: language model tiny-lm" in done.stdout


def _interrupt_when(
    inputs: dict[str, Path], line: str, *, kill: bool = False, presses: int = 1
) -> None:
    process = subprocess.Popen(
        _draft_command(inputs, 4000),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=_environment(inputs),
        cwd=ROOT,
        text=True,
        start_new_session=True,  # a group of its own: Ctrl+C reaches the whole group
    )
    seen: list[str] = []
    try:
        assert process.stderr is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            text = process.stderr.readline()
            seen.append(text)
            if line in text or not text:
                break
        assert line in seen[-1], "".join(seen)
        children = _descendants(process.pid)
        assert children, "no child process to check"
        if kill:
            process.kill()
        else:
            for press in range(presses):  # what Ctrl+C in the terminal does
                time.sleep(0.15 * press)  # a second press lands while the children stop
                os.killpg(process.pid, signal.SIGINT)
        rest = process.communicate(timeout=BOUND_S)[1]
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert _all_gone(children) == [], "children outlived the command"
    if kill:
        return
    assert process.returncode == 130, rest
    assert "Traceback" not in rest and "Error" not in rest, rest
    assert rest.strip().splitlines()[-1:] == ["radassist: stopped"], rest


def test_ctrl_c_while_the_model_writes_twice(draft_inputs: dict[str, Path]) -> None:
    _interrupt_when(draft_inputs, "Writing with tiny-lm", presses=2)


def test_ctrl_c_while_the_model_process_starts(draft_inputs: dict[str, Path]) -> None:
    _interrupt_when(draft_inputs, "Starting the language model process")


def test_children_die_with_a_killed_command(draft_inputs: dict[str, Path]) -> None:
    _interrupt_when(draft_inputs, "Writing with tiny-lm", kill=True)
