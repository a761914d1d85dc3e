"""What the benches share: child processes, the GUI heartbeat, the verdict line.

Each measurement runs in a fresh interpreter (the bench script itself with ``--one``),
with its own settings and data folders, and prints its figures as one JSON line. A GUI
stall is measured with a heartbeat: a precise timer on the GUI thread that records
when it fires; the longest gap between beats, less the period, is the longest stall.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HEARTBEAT_MS = 5


def child_env(scratch: Path) -> dict[str, str]:
    """The environment of a measuring child: offscreen Qt, settings and data in ``scratch``.

    The bench must not touch the user's settings, data or result cache.
    """
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
        "RADASSIST_DATA_DIR": str(scratch / "data"),
        "XDG_CONFIG_HOME": str(scratch / "config"),
    }


def run_child(
    script: str, args: Sequence[str], env: Mapping[str, str], timeout: float = 900
) -> dict[str, Any]:
    """Run ``script`` with ``args`` in a fresh interpreter; the JSON of its last line.

    Raises RuntimeError with the end of the child's stderr when it fails.
    """
    out = subprocess.run(
        [sys.executable, script, *args], capture_output=True, text=True, env=env, timeout=timeout
    )
    if out.returncode != 0:
        raise RuntimeError(f"{list(args[:2])} failed:\n{out.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def settle(app: Any, seconds: float) -> None:
    """Run the event loop for ``seconds``."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.001)


def wait_until(app: Any, predicate: Callable[[], object], timeout: float) -> bool:
    """Run the event loop until ``predicate()`` holds (True) or ``timeout`` s pass (False)."""
    end = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > end:
            return False
        app.processEvents()
        time.sleep(0.001)
    return True


class Heartbeat:
    """A precise timer on the GUI thread that records when each beat fires.

    Create it after the QApplication; ``start`` and ``stop`` it around what is measured.
    """

    def __init__(self, period_ms: int = HEARTBEAT_MS) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.period_ms = period_ms
        self.beats: list[float] = []
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(period_ms)
        self._timer.timeout.connect(lambda: self.beats.append(time.perf_counter()))

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def gaps_ms(self, since: float = -math.inf, until: float = math.inf) -> list[float]:
        """Milliseconds between consecutive beats, of the pairs within [since, until]."""
        return [
            (b - a) * 1000 for a, b in itertools.pairwise(self.beats) if a >= since and b <= until
        ]

    def stall_ms(
        self, since: float = -math.inf, until: float = math.inf, empty: float = math.nan
    ) -> float:
        """The longest gap within [since, until] less the period; ``empty`` without a gap."""
        gaps = self.gaps_ms(since, until)
        return max(gaps) - self.period_ms if gaps else empty


def finish(verdicts: Mapping[str, bool], strict: bool) -> int:
    """Print the targets missed; the exit status (1 when ``strict`` and one was missed)."""
    missed = [name for name, ok in verdicts.items() if not ok]
    if missed:
        print(f"missed targets: {', '.join(missed)}")
    return 1 if strict and missed else 0
