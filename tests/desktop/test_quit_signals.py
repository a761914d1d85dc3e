"""SIGTERM to the window ends it and every child process it started (issue 11, section 3).

Before, the window died at once and its fork server, decoder workers and model process
stayed behind for minutes. The window is a real ``python -m desktop`` process here.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _alive(processes: list[psutil.Process]) -> list[psutil.Process]:
    alive = []
    for process in processes:
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                alive.append(process)
        except psutil.NoSuchProcess:
            pass
    return alive


def _start_window(tmp_path: Path) -> subprocess.Popen[bytes]:
    environment = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "RADASSIST_DATA_DIR": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "desktop"],
        env=environment,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def _wait_for_decoder_workers(window: subprocess.Popen[bytes]) -> list[psutil.Process]:
    from core.dicom.workers import worker_count

    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        assert window.poll() is None, "the window ended by itself"
        children = _descendants(window.pid)
        forked = [p for p in children if p.ppid() != window.pid]  # the fork server's children
        if len(forked) >= worker_count():
            return children
        time.sleep(0.1)
    pytest.fail("the decoder workers did not start within 40 s")


@pytest.mark.parametrize(
    ("sent", "code"), [(signal.SIGTERM, 128 + signal.SIGTERM), (signal.SIGINT, 130)]
)
def test_a_signal_ends_the_window_and_all_its_children(
    tmp_path: Path, sent: signal.Signals, code: int
) -> None:
    window = _start_window(tmp_path)
    try:
        children = _wait_for_decoder_workers(window)
        time.sleep(0.5)  # the demo study is opening: work is in flight
        children = children + [p for p in _descendants(window.pid) if p not in children]
        started = time.monotonic()
        window.send_signal(sent)
        stderr = window.communicate(timeout=10)[1].decode(errors="replace")
        deadline = started + 5
        while _alive(children) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = [" ".join(p.cmdline()[-3:])[-80:] for p in _alive(children)]
        assert left == [], f"children alive 5 s after the signal: {left}"
        assert time.monotonic() - started < 6
        assert window.returncode == code, stderr
        assert "Traceback" not in stderr, stderr
    finally:
        if window.poll() is None:
            os.killpg(window.pid, signal.SIGKILL)
            window.wait()


def test_shutdown_ends_the_model_processes_even_a_busy_one(qapp: object) -> None:
    import threading

    from core.jobs import run_job
    from core.worker_process import WorkerProcess, WorkerProcessError
    from desktop.app import shutdown
    from tests.core.test_worker_process_faults import _make_stuck_handler, _make_ticking_handler

    idle = WorkerProcess(_make_ticking_handler, name="radassist-test", description="test")
    busy = WorkerProcess(_make_stuck_handler, name="radassist-test", description="test")
    assert run_job(idle.call(2)) == 2
    started = threading.Event()
    failures: list[BaseException] = []

    def drive() -> None:
        try:
            run_job(busy.call(None), lambda event: event == "started" and started.set())
        except WorkerProcessError as error:  # its child was stopped under it
            failures.append(error)

    thread = threading.Thread(target=drive, daemon=True)
    thread.start()
    assert started.wait(20)
    pids = [idle.pid, busy.pid]
    began = time.monotonic()
    shutdown(4.0)
    assert time.monotonic() - began < 8
    assert not idle.is_alive and not busy.is_alive
    assert all(pid is not None and not psutil.pid_exists(pid) for pid in pids)
    thread.join(10)
    assert not thread.is_alive() and failures
