"""Shared by the end-to-end sessions: driving the real window, and reading what it left.

Two halves, for the two processes of an e2e test:

- :class:`WindowDriver` runs in the scenario's child interpreter (the real window on
  Xvfb): waiting for the window while its events run, dragging on a viewport, triggering
  an action and waiting for its signal, and screenshots of the real window (QScreen.grabWindow)
  with the rectangles, in screenshot pixels, that the test looks at.
- :func:`run_scenario`, :func:`load_rgb` and :func:`crop` run in the test: the child
  started with the xcb platform on a private display, its checks read back, the
  screenshots copied to test-artifacts/screenshots/ for a person to look at.

Qt is imported inside the driver's methods only: the test process never needs it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"


class WindowDriver:
    """Drive ``window`` like a person would, and keep what was seen in ``result``.

    Parameters
    ----------
    qapp : QApplication
    window : QWidget
        The main window (screenshots are of it).
    shots : Path
        Folder the screenshots are written to.
    result : dict
        The scenario's result: ``screenshots``, ``dialogs`` and ``rects`` are filled in.
    """

    def __init__(self, qapp: Any, window: Any, shots: Path, result: dict[str, Any]) -> None:
        self.qapp = qapp
        self.window = window
        self.shots = shots
        self.result = result
        for key in ("screenshots", "dialogs", "rects"):
            result.setdefault(key, {})

    def wait_until(self, predicate: Callable[[], Any], timeout_s: float = 30.0) -> bool:
        """Run the event loop until ``predicate()`` is true; False when it timed out."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.qapp.processEvents()
            if predicate():
                return True
            time.sleep(0.01)
        return False

    def settle(self, seconds: float = 0.3) -> None:
        """Run the event loop for ``seconds`` (repaints, queued signals)."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.qapp.processEvents()
            time.sleep(0.01)

    def to_shot(self, widget: Any, rect: Any = None) -> list[int]:
        """``rect`` of ``widget`` (default: all of it) as [x, y, w, h] in screenshot pixels."""
        rect = widget.rect() if rect is None else rect
        dpr = self.window.devicePixelRatioF()
        top_left = widget.mapTo(self.window, rect.topLeft())
        return [
            round(top_left.x() * dpr),
            round(top_left.y() * dpr),
            round(rect.width() * dpr),
            round(rect.height() * dpr),
        ]

    def mark(self, name: str, widget: Any, rect: Any = None) -> None:
        """Keep where ``widget`` (or ``rect`` of it) is in the screenshots, as ``name``."""
        self.result["rects"][name] = self.to_shot(widget, rect)

    def shoot(self, name: str, *, whole_screen: bool = False) -> Path:
        """Screenshot of the real window (``whole_screen``: the screen, with open popups)."""
        self.settle(0.2)
        screen = self.window.screen()
        pixmap = screen.grabWindow(0 if whole_screen else self.window.winId())
        path = self.shots / f"{name}.png"
        pixmap.save(str(path), "PNG")
        self.result["screenshots"][name] = str(path)
        return path

    def grab_dialog(self, dialog: Any, name: str) -> Path:
        """The dialog's own image (Xvfb has no window manager to draw its frame)."""
        self.settle(0.3)
        path = self.shots / f"{name}.png"
        dialog.grab().save(str(path), "PNG")
        self.result["dialogs"][name] = str(path)
        return path

    def mouse(self, widget: Any, kind: Any, pos: Any, button: Any, buttons: Any) -> None:
        """Send one mouse event to ``widget`` at ``pos`` (QPointF, widget pixels)."""
        from PySide6.QtCore import QPointF, Qt
        from PySide6.QtGui import QMouseEvent
        from PySide6.QtWidgets import QApplication

        global_pos = QPointF(widget.mapToGlobal(pos.toPoint()))
        event = QMouseEvent(kind, pos, global_pos, button, buttons, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(widget, event)

    def drag(self, widget: Any, start: Any, end: Any, button: Any, steps: int = 8) -> None:
        """Press ``button`` at ``start``, move in ``steps`` to ``end``, release."""
        from PySide6.QtCore import Qt
        from PySide6.QtGui import QMouseEvent

        self.mouse(widget, QMouseEvent.Type.MouseButtonPress, start, button, button)
        for i in range(1, steps + 1):
            point = start + (end - start) * (i / steps)
            self.mouse(widget, QMouseEvent.Type.MouseMove, point, Qt.MouseButton.NoButton, button)
            self.qapp.processEvents()
        release = QMouseEvent.Type.MouseButtonRelease
        self.mouse(widget, release, end, button, Qt.MouseButton.NoButton)
        self.qapp.processEvents()

    def trigger_and_wait(self, action: Any, signal: Any, timeout_s: float) -> list[Any]:
        """Trigger ``action``; what ``signal`` sent (empty when it did not come in time)."""
        received: list[Any] = []
        signal.connect(received.append)
        action.trigger()
        self.wait_until(lambda: bool(received), timeout_s)
        return received


def scenario_main(run: Callable[[Sequence[str], Path, dict[str, Any]], None]) -> int:
    """A scenario's ``main``: ``run(args, shots, result)``, then OUT_DIR/checks.json.

    The last command-line argument is OUT_DIR; screenshots go to OUT_DIR/screenshots.
    An exception is kept in the result (``error``) with its traceback.
    """
    import traceback

    *args, out = sys.argv[1:]
    out_dir = Path(out)
    shots = out_dir / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {"checks": {}, "details": {}, "screenshots": {}, "dialogs": {}}
    try:
        run(args, shots, result)
    except Exception:
        result["error"] = traceback.format_exc()
        print(result["error"], file=sys.stderr)
    (out_dir / "checks.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    return 0 if "error" not in result else 1


def run_scenario(
    script: Path, args: Sequence[str | Path], base: Path, display: str, timeout_s: float
) -> dict[str, Any]:
    """Run ``script ARGS... OUT`` on ``display`` with the xcb platform; its checks.

    The child gets a private data dir and runtime dir under ``base``; its screenshots and
    dialog images are copied to :data:`ARTIFACTS`. Fails the test when the scenario wrote
    no checks or raised; the result holds the child's stderr.
    """
    import pytest

    out = base / "out"
    runtime = base / "runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    env = {
        **os.environ,
        "DISPLAY": display,
        "QT_QPA_PLATFORM": "xcb",
        "RADASSIST_DATA_DIR": str(base / "data"),
        "XDG_RUNTIME_DIR": str(runtime),
        "PYTHONPATH": str(ROOT),
    }
    env.pop("XAUTHORITY", None)
    completed = subprocess.run(
        [sys.executable, str(script), *map(str, args), str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        cwd=ROOT,
    )
    checks_file = out / "checks.json"
    if not checks_file.exists():
        pytest.fail(
            f"the scenario wrote no checks (exit {completed.returncode}):\n"
            f"{completed.stderr[-3000:]}"
        )
    result: dict[str, Any] = json.loads(checks_file.read_text(encoding="utf-8"))
    if "error" in result:
        pytest.fail(result["error"])
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for name, path in {**result["screenshots"], **result.get("dialogs", {})}.items():
        shutil.copy(path, ARTIFACTS / f"{name}.png")
    result["stderr"] = completed.stderr
    result["returncode"] = completed.returncode
    return result


def load_rgb(path: str | Path) -> np.ndarray:
    """A screenshot as an int16 RGB array (differences do not wrap)."""
    from PIL import Image

    return np.asarray(Image.open(path).convert("RGB"), dtype=np.int16)


def crop(image: np.ndarray, rect: Sequence[int]) -> np.ndarray:
    """``rect`` ([x, y, w, h], screenshot pixels) of ``image``."""
    x, y, w, h = rect
    return image[y : y + h, x : x + w]
