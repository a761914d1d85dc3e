"""Where the app keeps its own files (drafts, demo study, caches, exports).

Patient data written by the app lives only under :func:`user_data_dir`
(house rule 8). ``RADASSIST_DATA_DIR`` overrides the location (tests, portable installs).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def user_data_dir() -> Path:
    """The per-user data folder, created on first use."""
    override = os.environ.get("RADASSIST_DATA_DIR")
    if override:
        base = Path(override)
    elif sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local")) / "RadAssist"
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support" / "RadAssist"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / "radassist"
    base.mkdir(parents=True, exist_ok=True)
    return base


def export_dir() -> Path:
    """Where derived files go (PNG exports, SR, heatmaps): never beside the source (rule 6)."""
    path = user_data_dir() / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def demo_study_dir() -> Path:
    """Where the bundled demo study is generated on first run."""
    return user_data_dir() / "demo"
