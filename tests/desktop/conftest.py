"""Shared set-up for the pytest-qt tests: offscreen Qt, private settings and data folders.

The platform must be chosen before a QApplication exists, so it is set on import, before
pytest-qt's ``qapp`` fixture creates the application.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings


@pytest.fixture(autouse=True)
def private_settings_and_data(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Every test gets its own QSettings ini folder and its own RADASSIST_DATA_DIR."""
    base = tmp_path_factory.mktemp("appdirs")
    settings_dir = base / "settings"
    data_dir = base / "data"
    settings_dir.mkdir()
    data_dir.mkdir()
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(settings_dir))
    monkeypatch.setenv("RADASSIST_DATA_DIR", str(data_dir))
    yield base


@pytest.fixture(autouse=True)
def no_job_left_running(qapp: object) -> Iterator[None]:
    """Jobs a test left running are cancelled and waited for, so none leaks into the next."""
    yield
    from desktop import workers

    workers.cancel_all()
    assert workers.wait_for_all(30.0), "jobs still running 30 s after being cancelled"


@pytest.fixture(scope="session", autouse=True)
def stop_decoder_workers() -> Iterator[None]:
    yield
    from core.dicom import workers

    workers.shutdown()


@pytest.fixture(scope="session")
def synthetic_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small CT (24 slices of 128²), a chest radiograph and a broken set, written once."""
    from core.synthetic import write_broken_set, write_ct_series, write_cxr

    root = tmp_path_factory.mktemp("synthetic")
    write_ct_series(
        root / "ct", np.random.default_rng(3), slices=24, size=128, pixel_representation=0
    )
    write_cxr(root / "cxr" / "0001.dcm", np.random.default_rng(4), size=256)
    write_broken_set(root / "broken", np.random.default_rng(5))
    return root
