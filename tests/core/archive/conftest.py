"""Fixtures of the archive tests: an archive of the test's own and small generated studies."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from core.archive import Archive
from core.synthetic import write_ct_series, write_cxr


@pytest.fixture
def archive(tmp_path: Path, private_data_dir: Path) -> Iterator[Archive]:
    """An empty archive in the test's folder."""
    opened = Archive(tmp_path / "archive")
    yield opened
    opened.close()


def write_ct(folder: Path, seed: int = 1, slices: int = 6) -> None:
    """A small CT series (64 x 64) in ``folder``."""
    write_ct_series(folder, np.random.default_rng(seed), slices=slices, size=64)


def write_radiograph(path: Path, seed: int = 2) -> None:
    """A small chest radiograph (DX, 96 x 96) at ``path``."""
    write_cxr(path, np.random.default_rng(seed), size=96)


@pytest.fixture(scope="session")
def studies_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CT series (6 slices) and a radiograph, written once per session (read-only)."""
    folder = tmp_path_factory.mktemp("archive-source")
    write_ct(folder / "ct")
    write_radiograph(folder / "cxr" / "image.dcm")
    return folder
