"""Every test session gets a data folder of its own: no test reads or writes the user's.

Tests that need a folder of their own still take ``private_data_dir`` (core) or the
desktop fixture; this is the floor under them (drafts, keys, caches written by a test
that forgot never land in ``~/.local/share/radassist``).
"""

from __future__ import annotations

import os
import tempfile


def pytest_configure(config: object) -> None:
    if "RADASSIST_DATA_DIR" not in os.environ:
        os.environ["RADASSIST_DATA_DIR"] = tempfile.mkdtemp(prefix="radassist-test-data-")
