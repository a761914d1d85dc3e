"""An output that cannot be written: one line naming it, exit 4, never a traceback."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.cli import EXIT_WRITE_FAILED, main
from core.synthetic import write_cxr

pytestmark = pytest.mark.usefixtures("private_data_dir")


@pytest.fixture
def radiograph(tmp_path: Path) -> Path:
    path = tmp_path / "study" / "cxr.dcm"
    write_cxr(path, np.random.default_rng(45), size=512, lesions="random")
    return path


def test_a_full_disk_during_render_names_the_file_and_exits_4(
    radiograph: Path, tiny_disk: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tiny_disk / "big.png"
    (tiny_disk / "filler").write_bytes(b"\0" * 60_000)  # leave less room than a PNG needs
    code = main(["render", str(radiograph), "--out", str(target)])
    err = capsys.readouterr().err
    assert code == EXIT_WRITE_FAILED, err
    assert "No space left on device" in err
    assert "could not write" in err and "radassist: : " not in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_full_disk_during_analysis_export_exits_4_with_a_reason(
    radiograph: Path,
    tiny_disk: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("RADASSIST_DATA_DIR", str(tiny_disk / "data"))
    code = main(["analyze", str(radiograph), "--export"])
    err = capsys.readouterr().err
    assert code == EXIT_WRITE_FAILED, err
    assert "No space left on device" in err and "Traceback" not in err
    assert f"could not write {tiny_disk / 'data'}" in err  # the exports folder is named
    assert "radassist: : " not in err
