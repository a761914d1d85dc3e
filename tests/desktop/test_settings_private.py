"""The settings list recent study paths: owner-only file (0600) in an owner-only folder."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from desktop.settings import Settings

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_settings_file_is_owner_only(tmp_path: Path) -> None:
    old = os.umask(0o022)  # the usual umask makes new files 0644
    try:
        path = tmp_path / "new" / "s.ini"
        settings = Settings(path)
        settings.add_recent_study("/studies/doe-jane")
        settings.sync()
    finally:
        os.umask(old)
    assert "doe-jane" in path.read_text()
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700


def test_the_default_settings_folder_and_an_older_open_file_are_tightened() -> None:
    # conftest points the user-scope ini folder at a private temporary folder
    path = Path(Settings().file_name)
    path.parent.chmod(0o755)
    path.write_text("[General]\n")
    path.chmod(0o644)  # as an older version left it
    settings = Settings()
    settings.add_recent_study("/studies/doe-jane")
    settings.sync()
    assert _mode(path) == 0o600 and _mode(path.parent) == 0o700
    assert settings.recent_studies == ["/studies/doe-jane"]
