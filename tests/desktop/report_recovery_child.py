"""A person typing a report until the process is killed (run by test_report_recovery.py).

    python tests/desktop/report_recovery_child.py STUDY_UID SETTINGS_INI

Opens the report panel (offscreen) on a study, then types numbered words into the
findings, one every ~80 ms, with the event loop running in between as in the app.
After each word it prints ``typed WORD MONOTONIC_TIME`` (CLOCK_MONOTONIC is the same
clock in every process of the machine), so the test knows what was typed when. It
never stops by itself: the test kills it with SIGKILL.
"""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> int:
    study_uid, settings_path = sys.argv[1], sys.argv[2]
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from core.report.document import Section, StudyContext
    from desktop.assistant.report_panel import ReportPanel
    from desktop.settings import Settings

    app = QApplication([sys.argv[0]])
    panel = ReportPanel(settings=Settings(settings_path))
    panel.resize(520, 720)
    panel.show()
    panel.open_study(StudyContext(study_uid, modality="DX", body_part="CHEST"))
    start, _ = panel.section_span(Section.FINDINGS)
    cursor = panel.editor.textCursor()
    cursor.setPosition(start)
    panel.editor.setTextCursor(cursor)
    panel.editor.setFocus()
    print(f"ready {os.getpid()}", flush=True)
    number = 0
    while True:
        number += 1
        word = f"w{number:04d}"
        QTest.keyClicks(panel.editor, word + " ")
        print(f"typed {word} {time.monotonic():.4f}", flush=True)
        until = time.monotonic() + 0.08
        while time.monotonic() < until:
            app.processEvents()
            time.sleep(0.005)


if __name__ == "__main__":
    sys.exit(main())
