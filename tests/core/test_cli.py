"""The headless CLI as a user runs it: outputs, files and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def synth_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth")
    assert main(["synth", str(out), "--kind", "ct", "--seed", "4"]) == 0
    assert main(["synth", str(out), "--kind", "cxr", "--count", "3", "--seed", "4"]) == 0
    return out


def test_synth_writes_files_and_truth_with_relative_paths(synth_dir: Path) -> None:
    truth = json.loads((synth_dir / "truth.json").read_text())
    cxr = [key for key in truth if key.startswith("cxr/")]
    assert len(cxr) == 3
    for key in truth:
        assert not Path(key).is_absolute()
        assert (synth_dir / key).is_file()
    first = truth[cxr[0]]
    assert first["view"] in {"PA", "AP", "LL"}
    for lesion in first["lesions"]:
        assert {"label", "center", "radius"} <= set(lesion)


def test_scan_json_lists_the_study(capsys: pytest.CaptureFixture[str], synth_dir: Path) -> None:
    code, out, err = _run(capsys, "scan", str(synth_dir), "--json")
    assert code == 0, err
    data = json.loads(out)
    series = [s for p in data["patients"] for st in p["studies"] for s in st["series"]]
    modalities = sorted(s["modality"] for s in series)
    assert "CT" in modalities
    ct = next(s for s in series if s["modality"] == "CT")
    assert ct["ordered_by"] == "position"
    assert ct["frames"] > 1
    assert data["unreadable"] == []


def test_scan_text_and_broken_files(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["synth", str(tmp_path), "--kind", "broken"]) == 0
    capsys.readouterr()
    code, out, err = _run(capsys, "scan", str(tmp_path))
    assert code == 0, err
    assert "Unreadable files:" in out
    assert "Series" in out  # the good images in the folder still index


def test_nothing_readable_exits_3_with_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "notes.txt").write_text("not an image")
    code, _, err = _run(capsys, "scan", str(tmp_path))
    assert code == 3
    assert err.count("\n") == 1 and "nothing readable" in err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = _run(capsys, "scan", str(tmp_path / "missing"))
    assert code == 2 and err.count("\n") == 1
    with pytest.raises(SystemExit) as exit_info:
        main(["render", "x.dcm"])  # --out missing
    assert exit_info.value.code == 2


def test_render_default_and_window(
    capsys: pytest.CaptureFixture[str], synth_dir: Path, tmp_path: Path
) -> None:
    truth = json.loads((synth_dir / "truth.json").read_text())
    cxr = synth_dir / next(key for key in truth if key.startswith("cxr/"))
    default_png, narrow_png = tmp_path / "default.png", tmp_path / "narrow.png"
    assert _run(capsys, "render", str(cxr), "--out", str(default_png))[0] == 0
    assert (
        _run(capsys, "render", str(cxr), "--out", str(narrow_png), "--window", "100", "10")[0] == 0
    )
    default = np.asarray(Image.open(default_png))
    narrow = np.asarray(Image.open(narrow_png))
    assert default.dtype == np.uint8 and default.ndim == 2
    assert default.std() > 10  # an image, not a flat field
    assert not np.array_equal(default, narrow)
    # A narrow window saturates: most pixels are black or white.
    assert np.isin(narrow, [0, 255]).mean() > np.isin(default, [0, 255]).mean()


def test_render_bad_frame_exits_3(
    capsys: pytest.CaptureFixture[str], synth_dir: Path, tmp_path: Path
) -> None:
    truth = json.loads((synth_dir / "truth.json").read_text())
    cxr = synth_dir / next(key for key in truth if key.startswith("cxr/"))
    code, _, err = _run(
        capsys, "render", str(cxr), "--out", str(tmp_path / "x.png"), "--frame", "5"
    )
    assert code == 3 and "frame" in err and err.count("\n") == 1


def test_load_json_reports_the_volume(capsys: pytest.CaptureFixture[str], synth_dir: Path) -> None:
    code, out, err = _run(capsys, "load", str(synth_dir), "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["modality"] == "CT" and len(data["shape"]) == 3
    assert data["spacing"]["calibrated"] is True
    assert data["time_to_first_image_s"] <= data["total_s"]
    assert data["failures"] == []


def test_console_entry_point_runs_headless(synth_dir: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "desktop", "scan", str(synth_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Series" in result.stdout
