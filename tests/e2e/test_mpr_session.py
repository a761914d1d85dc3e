"""End to end: MPR in the real window on a real X server (Xvfb), on the demo CT.

The session runs in a child interpreter (tests/e2e/mpr_scenario.py) with the xcb
platform, as for a person: the chest-CT hanging protocol, Ctrl+M, a Shift-click, a
dragged reference line, a distance drawn on the coronal view, a 10 mm MIP, an oblique
coronal plane (Ctrl-drag), the 2 × 2 layout. Its screenshots are kept in
test-artifacts/screenshots/ (mpr-*.png) for a person to look at.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.xvfb import xvfb_display

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
SCENARIO = Path(__file__).with_name("mpr_scenario.py")


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from core.synthetic.folders import write_demo_study

    base = tmp_path_factory.mktemp("e2e-mpr")
    write_demo_study(base / "demo")
    out = base / "out"
    (base / "runtime").mkdir(mode=0o700)
    with xvfb_display() as display:
        env = {
            **os.environ,
            "DISPLAY": display,
            "QT_QPA_PLATFORM": "xcb",
            "RADASSIST_DATA_DIR": str(base / "data"),
            "XDG_RUNTIME_DIR": str(base / "runtime"),
            "PYTHONPATH": str(ROOT),
        }
        env.pop("XAUTHORITY", None)
        completed = subprocess.run(
            [sys.executable, str(SCENARIO), str(base / "demo" / "ct"), str(out)],
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            cwd=ROOT,
        )
    checks_file = out / "checks.json"
    assert checks_file.exists(), (
        f"the scenario wrote no checks (exit {completed.returncode}):\n{completed.stderr[-3000:]}"
    )
    result: dict[str, Any] = json.loads(checks_file.read_text())
    assert "error" not in result, result["error"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for name, path in result["screenshots"].items():
        shutil.copy(path, ARTIFACTS / f"{name}.png")
    yield result


def test_every_step_of_the_mpr_session_did_what_a_reader_expects(session: dict[str, Any]) -> None:
    failed = [name for name, ok in session["checks"].items() if not ok]
    assert not failed, f"{failed}: {json.dumps(session['details'], indent=1)}"
    assert len(session["checks"]) == 9


def test_the_screenshots_show_three_planes_with_coloured_lines(session: dict[str, Any]) -> None:
    from PIL import Image

    shot = np.asarray(Image.open(session["screenshots"]["mpr-01-three-planes"]).convert("RGB"))
    r, g, b = (shot[..., i].astype(int) for i in range(3))
    blue = (b > 200) & (r < 120) & (g > 100) & (g < 180)
    green = (g > 160) & (r < 120) & (b < 130)
    orange = (r > 220) & (g > 120) & (g < 180) & (b < 80)
    for name, mask in (("axial", blue), ("coronal", green), ("sagittal", orange)):
        assert mask.sum() > 500, f"no {name} line or frame in the screenshot"
