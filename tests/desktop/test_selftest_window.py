"""The self-test's window check, and `radassist self-test` / `--self-test` from desktop.

The window check runs here on the offscreen platform (conftest.py): it opens the window on
the self-test's study, waits for the first image and closes. The tests look at what a
person would: the screenshot holds an image, not a blank grab.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from core.selftest import (
    CheckSkipped,
    SelfTestContext,
    SelfTestOptions,
    Status,
    run_self_test,
    write_self_test_study,
)
from desktop.main_window import MainWindow
from desktop.selftest_window import WINDOW_CHECK, check_window, display_platform

ROOT = Path(__file__).resolve().parents[2]


def _context(tmp_path: Path, **options: Any) -> SelfTestContext:
    study = write_self_test_study(tmp_path / "study")
    context = SelfTestContext(
        options=SelfTestOptions(**options), work_dir=tmp_path, data_dir=tmp_path / "data"
    )
    context.study_dir = study.folder
    return context


def _grey(path: Path) -> np.ndarray:
    image = QImage(str(path)).convertToFormat(QImage.Format.Format_Grayscale8)
    assert not image.isNull(), f"{path} is not an image"
    data = np.frombuffer(image.constBits(), dtype=np.uint8)
    return data.reshape(image.height(), image.bytesPerLine())[:, : image.width()]


def test_the_window_check_opens_shows_the_study_and_closes(
    qapp: QApplication, tmp_path: Path
) -> None:
    shot = tmp_path / "shots" / "window.png"
    context = _context(tmp_path, screenshot=shot)
    detail = check_window(context)
    assert "first image in" in detail and "series loaded in" in detail
    assert "(offscreen platform)" in detail and str(shot) in detail
    # What a person would see: a window-sized picture with an image in it.
    pixels = _grey(shot)
    assert pixels.shape[0] >= 400 and pixels.shape[1] >= 600, pixels.shape
    assert pixels.std() > 20, "the screenshot is blank"
    # The window is closed and gone; the user's settings were not used.
    qapp.processEvents()
    assert not [w for w in qapp.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
    assert (tmp_path / "window-settings.ini").is_file()


def test_without_a_display_or_with_no_window_the_check_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    context = _context(tmp_path, window=False)
    with pytest.raises(CheckSkipped, match="--no-window given"):
        check_window(context)
    for name in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    assert display_platform() is None
    report = run_self_test(SelfTestOptions(), checks=[], extra_checks=[WINDOW_CHECK])
    (result,) = report.checks
    assert result.status is Status.SKIPPED and result.detail.startswith("no display")
    monkeypatch.setenv("DISPLAY", ":99")
    assert display_platform() == ""
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen:size=800x600")
    assert display_platform() == "offscreen"


@pytest.mark.parametrize("spelling", ["self-test", "--self-test"])
def test_both_spellings_run_the_core_self_test_with_the_window_check(
    spelling: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import core.cli
    from desktop.__main__ import main

    calls: list[tuple[list[str], list[Any]]] = []

    def fake_main(argv: list[str], *, extra_checks: Any = ()) -> int:
        calls.append((argv, list(extra_checks)))
        return 0

    monkeypatch.setattr(core.cli, "main", fake_main)
    assert main([spelling, "--json", "--no-window"]) == 0
    assert calls == [(["self-test", "--json", "--no-window"], [WINDOW_CHECK])]


def test_the_entry_point_stays_cheap_to_import() -> None:
    code = (
        "import sys, desktop.__main__, desktop.selftest_window; "
        "print(sorted(m for m in ('PySide6', 'torch', 'transformers') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert done.stdout.strip() == "[]", done.stdout


@pytest.mark.slow
def test_radassist_self_test_end_to_end_with_the_window(tmp_path: Path) -> None:
    shot = tmp_path / "e2e.png"
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "RADASSIST_DATA_DIR": str(tmp_path / "data"),
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-m", "desktop", "--self-test", "--json", "--screenshot", str(shot)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,
    )
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    checks = {check["name"]: check for check in json.loads(done.stdout)["checks"]}
    assert checks["window"]["status"] == "ok", checks["window"]
    assert _grey(shot).std() > 20


def test_the_window_check_opens_the_window_in_the_self_tests_language(
    qapp: QApplication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`radassist self-test --lang zh-CN`: the window it opens reads in Chinese too."""
    import importlib.util

    from desktop import app as desktop_app
    from desktop import i18n
    from tests.i18n_helpers import children_speaking

    spec = importlib.util.spec_from_file_location(
        "radassist_translations_selftest", ROOT / "scripts" / "translations.py"
    )
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = script
    spec.loader.exec_module(script)
    script.build()  # radassist_zh_CN.qm and core.mo from today's sources
    menus: list[list[str]] = []
    opened = desktop_app.start_window

    def noting_the_menus(*args: Any, **kwargs: Any) -> Any:
        window = opened(*args, **kwargs)
        menus.append([action.text() for action in window.menuBar().actions()])
        return window

    monkeypatch.setattr(desktop_app, "start_window", noting_the_menus)
    with children_speaking("zh-CN"):
        detail = check_window(_context(tmp_path))
        assert i18n.installed_language() == "en"  # the interface as it was before
    assert detail.startswith("窗口 ") and "首幅图像" in detail, detail
    assert menus and menus[0][0] == "文件(&F)", menus
