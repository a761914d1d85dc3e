"""The command line run as a user runs it, with the peak memory of its whole process tree.

:class:`PeakRss` samples the summed resident memory of a process and every descendant
(the CLI, the fork server, the decoder workers, the model process) every 20 ms;
:func:`run_cli` runs ``python -m core.cli ARGS`` with a private home and data folder
and returns the exit code, stdout, stderr and that peak.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[2]


class PeakRss:
    """Peak summed RSS of a process and all its descendants, sampled every 20 ms."""

    def __init__(self, pid: int) -> None:
        self.peak = 0
        self._root = psutil.Process(pid)
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._done.is_set():
            total = 0
            try:
                for proc in [self._root, *self._root.children(recursive=True)]:
                    with contextlib.suppress(psutil.Error):
                        total += proc.memory_info().rss
            except psutil.Error:
                pass
            self.peak = max(self.peak, total)
            time.sleep(0.02)

    def stop(self) -> int:
        self._done.set()
        self._thread.join()
        return self.peak


@dataclass(frozen=True)
class CliRun:
    """One finished command: exit code, outputs, peak memory of its tree, wall time."""

    args: tuple[str, ...]
    code: int
    out: str
    err: str
    peak: int
    seconds: float


def cli_env(home: Path) -> dict[str, str]:
    """The environment of a command with a home, data, config and cache folder of its own."""
    env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home / "data")}
    env["XDG_CONFIG_HOME"] = str(home / "config")
    env["XDG_CACHE_HOME"] = str(home / "cache")
    env["RADASSIST_DATA_DIR"] = str(home / "radassist")
    env.pop("RADASSIST_LOG_LEVEL", None)
    return env


def run_cli(args: list[str], home: Path, *, timeout: float = 120) -> CliRun:
    """``radassist ARGS`` in a subprocess; a command past ``timeout`` is killed (code -9)."""
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "core.cli", *args],
        cwd=REPO,
        env=cli_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="backslashreplace",
    )
    meter = PeakRss(proc.pid)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        err += f"\n(killed after {timeout:.0f} s)"
    finally:
        if proc.poll() is None:
            proc.kill()
        peak = meter.stop()
    return CliRun(tuple(args), proc.returncode, out, err, peak, time.monotonic() - started)
