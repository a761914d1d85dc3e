"""The Qt binding must not leak references to None/True/False.

PySide6 6.12.0 on Python 3.11 dropped a reference to ``None`` on every void call and to
``True`` on every signal emit; the interpreter aborted after some thousands of calls.
pyproject pins PySide6 below 6.12; this test fails if a version with the bug comes back.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel


class _Emitter(QObject):
    changed = Signal(int)


def test_void_calls_and_emits_keep_singleton_refcounts(qtbot) -> None:  # type: ignore[no-untyped-def]
    label = QLabel()
    qtbot.addWidget(label)
    emitter = _Emitter()
    emitter.changed.connect(lambda value: None)
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(2000):
        label.setText("x")
        emitter.changed.emit(1)
    assert sys.getrefcount(None) - none_before > -100
    assert sys.getrefcount(True) - true_before > -100
