"""Crash recovery with a real process: typing, kill -9, the draft offered back (≤ 2 s lost).

A child interpreter runs the report panel and types words into the findings; the test
kills it with SIGKILL at a moment unrelated to its save cycle, then opens the same
study in a panel here, as the app does when it starts again: the draft is offered back,
and every word typed more than 2 s before the kill is in it.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from core.report.document import Origin, Section, StudyContext
from core.report.store import DraftStore
from desktop.assistant.report_panel import ReportPanel
from desktop.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
CHILD = Path(__file__).with_name("report_recovery_child.py")
UID = "1.2.826.0.1.3680043.10.543.77.1"
LOSS_LIMIT_S = 2.0

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")


@pytest.fixture
def killed_session(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """Run the typing child, kill it with SIGKILL mid-typing; what it typed, and when."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    process = subprocess.Popen(
        [sys.executable, str(CHILD), UID, str(tmp_path / "child.ini")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    typed: list[tuple[str, float]] = []
    try:
        assert process.stdout is not None
        ready = process.stdout.readline()
        assert ready.startswith("ready"), process.stderr.read() if process.stderr else ready
        # At least ~3 s of typing (a loaded machine types fewer words in it), then the
        # kill at a random moment.
        target = 30 + random.Random().randrange(12)
        while len(typed) < target or typed[-1][1] - typed[0][1] < LOSS_LIMIT_S + 1.2:
            line = process.stdout.readline()
            assert line, f"the child stopped: {process.stderr.read() if process.stderr else ''}"
            _, word, stamp = line.split()
            typed.append((word, float(stamp)))
        time.sleep(random.Random().uniform(0.0, 0.5))
        killed_at = time.monotonic()
        os.kill(process.pid, signal.SIGKILL)
        rest, errors = process.communicate(timeout=10)
        for line in rest.splitlines():
            if line.startswith("typed "):
                _, word, stamp = line.split()
                typed.append((word, float(stamp)))
        assert process.returncode == -signal.SIGKILL, errors[-2000:]
        yield {"typed": typed, "killed_at": killed_at, "errors": errors}
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def test_a_killed_session_offers_its_draft_back_with_at_most_2_s_lost(
    qtbot: QtBot, tmp_path: Path, killed_session: dict[str, Any]
) -> None:
    typed, killed_at = killed_session["typed"], killed_session["killed_at"]
    store = DraftStore()
    assert store.interrupted(UID)  # the lock of a process that is gone

    panel = ReportPanel(settings=Settings(tmp_path / "after.ini"))
    qtbot.addWidget(panel)
    panel.show()
    with qtbot.waitSignal(panel.recovery_offered, timeout=5000) as offered:
        panel.open_study(StudyContext(UID, modality="DX", body_part="CHEST"))
    assert panel.recovery_frame.isVisible()
    assert "stopped while this report was being written" in panel.recovery_label.text()
    assert panel.editor.isReadOnly()  # shown, not yet taken back
    findings_offered = offered.args[0].section_text(Section.FINDINGS)

    panel.restore_button.click()
    assert not panel.recovery_frame.isVisible() and not panel.editor.isReadOnly()
    report = panel.report
    assert report is not None
    restored = report.section_text(Section.FINDINGS)
    assert restored == findings_offered
    assert restored in panel.editor_text()
    words = set(restored.split())
    must_have = [word for word, stamp in typed if stamp <= killed_at - LOSS_LIMIT_S]
    assert len(must_have) >= 10, (len(typed), killed_at - typed[0][1])
    missing = [word for word in must_have if word not in words]
    assert not missing, f"lost words typed > {LOSS_LIMIT_S} s before the kill: {missing}"
    # What was lost is at most the tail: the restored words are the first ones typed.
    order = [word for word, _ in typed]
    kept = [word for word in order if word in words]
    assert kept == order[: len(kept)]
    lost_since = max((stamp for word, stamp in typed if word in words), default=0.0)
    assert killed_at - lost_since <= LOSS_LIMIT_S + 0.2, killed_at - lost_since
    assert all(s.origin is Origin.PERSON for s in report.sentences(Section.FINDINGS))

    # Going on after the restore saves over the recovered draft; a clean close ends it.
    panel.shutdown()
    assert not DraftStore().interrupted(UID)
    assert DraftStore().load(UID) is not None
