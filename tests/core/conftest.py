"""Shared fixtures of the core tests: a private data folder, a tiny disk, an unwritable folder.

A module opts into the data-folder fixtures with
``pytestmark = pytest.mark.usefixtures("private_data_dir")`` (or ``"fresh_analysis"``).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def private_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``RADASSIST_DATA_DIR`` of the test's own, so the user's files never leak in."""
    data = tmp_path / "data"
    monkeypatch.setenv("RADASSIST_DATA_DIR", str(data))
    return data


@pytest.fixture
def fresh_analysis(private_data_dir: Path) -> Iterator[Path]:
    """A private data folder and no model or result cached in this process, before or after."""
    from core.analysis.inference import clear_caches

    clear_caches()
    yield private_data_dir
    clear_caches()


def _mount_tmpfs(target: Path, options: str) -> bool:
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return False
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


def _unmount(target: Path) -> None:
    subprocess.run(["umount", "-l", str(target)], capture_output=True, check=False)


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 64 KiB file system (needs root to mount; skipped otherwise)."""
    target = tmp_path / "tiny"
    target.mkdir()
    if not _mount_tmpfs(target, "size=64k,mode=0700"):
        pytest.skip("cannot mount a tmpfs here (not root)")
    yield target
    _unmount(target)


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Iterator[Path]:
    """A folder nobody can write into: chmod for users, a read-only mount for root."""
    target = tmp_path / "locked"
    target.mkdir()
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        if not _mount_tmpfs(target, "size=64k,ro"):
            pytest.skip("root ignores permissions and cannot mount a read-only tmpfs")
        yield target
        _unmount(target)
    else:
        target.chmod(0o500)
        yield target
        target.chmod(0o700)
