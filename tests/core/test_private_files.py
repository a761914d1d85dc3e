"""Exports hold patient data: owner-only files (0600) in an owner-only folder (0700)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from core.analysis.manifest import ModelPackage
from core.cli import main
from core.paths import export_dir, make_private_file, write_private
from core.synthetic import make_study_context, write_cxr
from tests.core.model_helpers import make_package, soften

pytestmark = [
    pytest.mark.usefixtures("fresh_analysis"),
    pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits"),
]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    old = os.umask(0o022)  # what makes files 0644 and folders 0755 unless asked otherwise
    yield
    os.umask(old)


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> ModelPackage:
    return make_package(
        tmp_path_factory.mktemp("models") / "private-model",
        name="private-model",
        labels=("Nodule", "Effusion"),
        thresholds={"Nodule": 0.0, "Effusion": 1.0},
        edit=soften,
    )


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("study")
    rng = np.random.default_rng(3)
    write_cxr(folder / "pa.dcm", rng, size=(70, 56), study=make_study_context(rng))
    return folder


def test_the_export_folder_is_owner_only_and_an_open_one_is_tightened(
    private_data_dir: Path,
) -> None:
    folder = export_dir()
    assert folder == private_data_dir / "exports" and _mode(folder) == 0o700
    folder.chmod(0o755)  # as an older version left it
    assert _mode(export_dir()) == 0o700
    assert _mode(private_data_dir) == 0o700  # drafts and the cache live there too


def test_write_private_writes_owner_only_and_atomically(tmp_path: Path) -> None:
    os.umask(0)  # even with no umask at all
    target = write_private(tmp_path / "report.dcm", b"DOE^JANE")
    assert target.read_bytes() == b"DOE^JANE" and _mode(target) == 0o600
    target.chmod(0o644)
    write_private(target, b"new")  # a rewrite replaces the file: owner-only again
    assert target.read_bytes() == b"new" and _mode(target) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.dcm"]  # no temporary left
    with pytest.raises(TypeError, match="data must be bytes, found str"):
        write_private(tmp_path / "x", "text")  # type: ignore[arg-type]
    opened = tmp_path / "settings.ini"
    opened.write_text("x")
    assert _mode(make_private_file(opened)) == 0o600 and opened.read_text() == "x"


def test_every_file_the_cli_writes_is_owner_only(
    study: Path, package: ModelPackage, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    png = tmp_path / "out" / "pa.png"
    assert main(["render", str(study / "pa.dcm"), "--out", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and _mode(png) == 0o600
    text = tmp_path / "out" / "draft.txt"
    assert (
        main(["draft", str(study), "--analysis-model", str(package.folder), "--out", str(text)])
        == 0
    )
    assert _mode(text) == 0o600
    heatmaps = tmp_path / "heatmaps"
    model = str(package.folder)
    assert main(["analyze", str(study), "--model", model, "--heatmap-dir", str(heatmaps)]) == 0
    written = list(heatmaps.iterdir())
    assert written and all(_mode(p) == 0o600 for p in written)
    assert main(["analyze", str(study), "--model", model, "--export"]) == 0
    exported = export_dir()
    assert _mode(exported) == 0o700 and any(exported.iterdir())
    capsys.readouterr()
