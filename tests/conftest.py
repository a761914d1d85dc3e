"""Every test session gets a data folder of its own, and Ctrl+C as a terminal delivers it.

Tests that need a folder of their own still take ``private_data_dir`` (core) or the
desktop fixture; this is the floor under them (drafts, keys, caches written by a test
that forgot never land in ``~/.local/share/radassist``).
"""

from __future__ import annotations

import os
import signal
import tempfile


def pytest_configure(config: object) -> None:
    if "RADASSIST_DATA_DIR" not in os.environ:
        os.environ["RADASSIST_DATA_DIR"] = tempfile.mkdtemp(prefix="radassist-test-data-")
    # A shell without job control starts background commands with Ctrl+C ignored, and an
    # ignored signal is inherited by every process started from here: the Ctrl+C tests
    # would then test nothing (the command never sees the interrupt). Tests run as if
    # started from a terminal.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
