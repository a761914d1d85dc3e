"""End to end: the real window on a real X server (Xvfb), driven through a reading session.

The session runs in a child interpreter (tests/e2e/scenario.py) with the xcb platform,
as the app runs for a person; this test starts Xvfb, writes a synthetic CT and a chest
radiograph, builds a tiny language model, runs the session (reading, AI analysis, then
the report: drafted, edited, written by the model, signed, exported) and checks the
screenshots it took of the real window (QScreen.grabWindow) pixel by pixel, and the
checks it wrote. Screenshots are kept in test-artifacts/screenshots/ for a person to
look at.

Without Xvfb the test fails when CI=true (the Makefile installs it) and is skipped
elsewhere.
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
SCENARIO = Path(__file__).with_name("scenario.py")


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    """A private Xvfb display (":N"), stopped after the module."""
    with xvfb_display() as name:
        yield name


#: The bundled demo model, on a radiograph (seed 45) with one drawn lesion: an effusion.
E2E_MODEL = "radassist-demo-cxr"
CXR_SEED = 45


@pytest.fixture(scope="module")
def session(display: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Run the scenario once; the tests below look at what it left."""
    from core.synthetic import write_ct_series, write_cxr

    base = tmp_path_factory.mktemp("e2e")
    ct = base / "studies" / "ct"
    cxr = base / "studies" / "cxr" / "0001.dcm"
    write_ct_series(ct, np.random.default_rng(21), slices=40, size=256, pixel_representation=0)
    truth = write_cxr(cxr, np.random.default_rng(CXR_SEED), size=512, lesions="random")
    from tests.core.llm_helpers import make_tiny_causal_lm

    lm = make_tiny_causal_lm(base / "lm" / "tiny-report-lm")
    out = base / "out"
    env = {
        **os.environ,
        "DISPLAY": display,
        "QT_QPA_PLATFORM": "xcb",
        "RADASSIST_DATA_DIR": str(base / "data"),
        "XDG_RUNTIME_DIR": str(base / "runtime"),
        "PYTHONPATH": str(ROOT),
    }
    (base / "runtime").mkdir(mode=0o700)
    env.pop("XAUTHORITY", None)
    completed = subprocess.run(
        [sys.executable, str(SCENARIO), str(ct), str(cxr), str(out), E2E_MODEL, str(lm)],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        cwd=ROOT,
    )
    checks_file = out / "checks.json"
    assert checks_file.exists(), (
        f"the scenario wrote no checks (exit {completed.returncode}):\n{completed.stderr[-3000:]}"
    )
    result = json.loads(checks_file.read_text())
    assert "error" not in result, result["error"]
    assert completed.returncode == 0, completed.stderr[-3000:]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for name, path in {**result["screenshots"], **result["dialogs"]}.items():
        shutil.copy(path, ARTIFACTS / f"{name}.png")
    # The report's exports too (text, PDF with key images, SR), for a person to open.
    exports = ARTIFACTS.parent / "report"
    exports.mkdir(parents=True, exist_ok=True)
    for path in result["details"].get("report_exports", {}).values():
        if path and Path(path).exists():
            shutil.copy(path, exports / Path(path).name)
    result["stderr"] = completed.stderr
    result["truth"] = truth.to_json()
    return result


def _load(path: str) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(path).convert("RGB"), dtype=np.int16)


def _crop(image: np.ndarray, rect: list[int]) -> np.ndarray:
    x, y, w, h = rect
    return image[y : y + h, x : x + w]


def _shots(session: dict[str, Any]) -> dict[str, np.ndarray]:
    return {name: _load(path) for name, path in session["screenshots"].items()}


def _measurement_pixels(region: np.ndarray) -> int:
    """Pixels in the measurement colours (yellow, or cyan while selected)."""
    r, g, b = region[..., 0], region[..., 1], region[..., 2]
    yellow = (r > 200) & (g > 160) & (b < 90)
    cyan = (r < 140) & (g > 170) & (b > 200)
    return int((yellow | cyan).sum())


def test_every_check_in_the_session_passed(session: dict[str, Any]) -> None:
    failed = [name for name, ok in session["checks"].items() if not ok]
    assert not failed, f"failed: {failed}; details: {session['details']}"
    assert len(session["checks"]) >= 60
    assert session["details"]["window_shown_s"] < 5.0


def test_the_screenshots_are_of_the_real_window(session: dict[str, Any]) -> None:
    shots = _shots(session)
    assert len(shots) == 13
    sizes = {image.shape for image in shots.values()}
    assert len(sizes) == 1, sizes  # the same window every time
    height, width, _ = sizes.pop()
    assert width >= 640 and height >= 480
    # The menu bar stays put while the image changes underneath.
    menu = [_crop(image, session["rects"]["menu_bar"]) for image in shots.values()]
    assert all(np.array_equal(menu[0], m) for m in menu[1:])
    assert menu[0].std() > 3  # menu titles drawn, not an empty bar


def test_the_ct_is_on_screen_and_changes_where_it_should(session: dict[str, Any]) -> None:
    shots = _shots(session)
    view = session["rects"]["viewport"]
    loaded = _crop(shots["01-ct-loaded"], view)
    assert loaded.std() > 20  # anatomy, not a blank or uniform area
    assert loaded.max() > 150 and loaded.min() < 20

    def change(a: str, b: str) -> float:
        return float(np.abs(_crop(shots[a], view) - _crop(shots[b], view)).mean())

    assert change("01-ct-loaded", "02-ct-scrolled") > 0.5  # another slice
    # Another window (the 11th slice from the top is mostly lung: less for a window to change).
    assert change("02-ct-scrolled", "03-ct-window") > 2
    assert change("03-ct-window", "04-ct-zoom") > 3  # zoomed
    # A wider window at a higher level makes the image darker overall and less contrasted.
    before = _crop(shots["02-ct-scrolled"], view).mean()
    after = _crop(shots["03-ct-window"], view).mean()
    assert after < before


def test_measurement_text_is_visible(session: dict[str, Any]) -> None:
    shots = _shots(session)
    for label, before, after in (
        ("distance_label", "04-ct-zoom", "05-ct-distance"),
        ("roi_label", "05-ct-distance", "06-ct-roi"),
        ("cxr_distance_label", "07-cxr", "08-cxr-distance"),
    ):
        rect = session["rects"][label]
        assert rect[2] > 20 and rect[3] > 8, rect
        drawn = _measurement_pixels(_crop(shots[after], rect))
        empty = _measurement_pixels(_crop(shots[before], rect))
        assert drawn > 30 and drawn > 5 * empty, (label, drawn, empty)
    details = session["details"]
    assert any(line.endswith("mm") for line in details["distance_label"])
    assert any("HU" in line for line in details["roi_label"])
    assert any("mean" in line.lower() for line in details["roi_label"])


def test_the_radiograph_replaces_the_ct(session: dict[str, Any]) -> None:
    shots = _shots(session)
    view = session["rects"]["viewport_cxr"]
    cxr = _crop(shots["07-cxr"], view)
    ct = _crop(shots["06-ct-roi"], view)
    assert cxr.std() > 20
    assert float(np.abs(cxr - ct).mean()) > 5
    assert session["details"]["cxr_modality"] in ("DX", "CR")
    assert Path(session["details"]["exported"]).exists()


def _colourful(region: np.ndarray) -> np.ndarray:
    """Pixels far from grey: heatmap colours (greys and the yellow/cyan of measurements aside)."""
    spread = region.max(axis=-1) - region.min(axis=-1)
    r, g, b = region[..., 0], region[..., 1], region[..., 2]
    measurement = ((r > 200) & (g > 160) & (b < 90)) | ((r < 140) & (g > 170) & (b > 200))
    return (spread > 40) & ~measurement


def test_the_heatmap_is_on_screen_with_the_findings_and_the_banner(
    session: dict[str, Any],
) -> None:
    shots = _shots(session)
    details = session["details"]
    (lesion,) = session["truth"]["lesions"]
    assert lesion["label"] == "Effusion"
    assert details["findings"] and details["findings"][0][0] == "Effusion"
    assert details["findings"][0][3] == "positive"
    assert details["model_label"] == "Model: radassist-demo-cxr 2.0.0"
    # The heatmap's hottest point lies on the drawn effusion (the pointing game, on screen).
    row, col = details["heatmap_peak_image"]
    (lesion_row, lesion_col), radius = lesion["center"], lesion["radius"]
    assert (row - lesion_row) ** 2 + (col - lesion_col) ** 2 <= radius**2
    assert "Demo model trained on synthetic images" in details["heatmap_caption"]
    view = session["rects"]["viewport_heatmap"]
    before = _colourful(_crop(shots["08-cxr-distance"], view)).mean()
    after = _colourful(_crop(shots["09-cxr-heatmap"], view)).mean()
    # Colour laid over the greys: a compact spot on the lesion (about 1 % of the view
    # with the log-sum-exp model's sharp maps), not a wash over the image.
    assert after - before > 0.005 and after < 0.2, (before, after)
    peak = session["rects"]["heatmap_peak"]
    assert _colourful(_crop(shots["09-cxr-heatmap"], peak)).mean() > 0.5  # hottest spot coloured
    # The demo banner (black on amber) in the panel, and rows in the findings list.
    banner = _crop(shots["09-cxr-heatmap"], session["rects"]["ai_banner"])
    amber = (banner[..., 0] > 220) & (banner[..., 1] > 170) & (banner[..., 2] < 90)
    assert amber.mean() > 0.4 and (banner.max(axis=-1) < 60).sum() > 30
    findings = _crop(shots["09-cxr-heatmap"], session["rects"]["ai_findings"])
    empty = _crop(shots["08-cxr-distance"], session["rects"]["ai_findings"])
    assert float(np.abs(findings - empty).mean()) > 1  # rows appeared


def _amber(region: np.ndarray) -> np.ndarray:
    """The shading of engine text nobody has reviewed yet (255, 233, 168)."""
    r, g, b = region[..., 0], region[..., 1], region[..., 2]
    return (r > 240) & (g > 215) & (g < 245) & (b > 140) & (b < 190)


def _pink(region: np.ndarray) -> np.ndarray:
    """The shading of a sentence in conflict with the analysis (255, 208, 208)."""
    r, g, b = region[..., 0], region[..., 1], region[..., 2]
    return (r > 240) & (g > 190) & (g < 225) & (b > 190) & (b < 225)


def test_the_report_is_drafted_edited_signed_and_exported(session: dict[str, Any]) -> None:
    shots = _shots(session)
    details = session["details"]
    rects = session["rects"]
    editor = rects["report_editor"]
    # Drafted: the template text is on screen, shaded as unreviewed, with the demo banner.
    drafted = _crop(shots["10-report-drafted"], editor)
    assert _amber(drafted).mean() > 0.01, _amber(drafted).mean()
    assert not _pink(drafted).any()
    assert "effusion" in details["report_findings"].lower()
    banner = _crop(shots["10-report-drafted"], rects["report_banner"])
    amber = (banner[..., 0] > 220) & (banner[..., 1] > 170) & (banner[..., 2] < 90)
    assert amber.mean() > 0.4
    assert details["report_state_drafted"].startswith("Draft — revision")
    # Edited: the typed sentence is marked in conflict and listed with its reason.
    edited = _crop(shots["11-report-edited"], editor)
    assert _pink(edited).sum() > 200, _pink(edited).sum()
    rows = details["conflicts"]
    assert any("Effusion" in row and "No pleural effusion." in row for row in rows), rows
    listed = _crop(shots["11-report-edited"], rects["report_conflicts"])
    red = (listed[..., 0] > 150) & (listed[..., 1] < 90) & (listed[..., 2] < 90)
    assert red.sum() > 30  # the conflict's row, in red
    # The language model's tokens were arriving on screen, Stop offered.
    streaming = _crop(shots["12-report-streaming"], editor)
    assert float(np.abs(streaming - edited).mean()) > 0.5
    assert details["llm_chunks"] >= 3 and details["llm_impression"]
    # Stop stopped it at once, and what it had written stayed for review.
    assert details["llm_stop_seconds"] < 1.0
    # The signed report reads as the radiologist left it: their impression, no typed slip.
    assert details["report_impression_signed"] == "Left pleural effusion."
    assert "No pleural effusion." not in details["report_findings_signed"]
    # Signed: nothing shaded any more, the state line says who signed (in green).
    signed = _crop(shots["13-report-signed"], editor)
    assert not _amber(signed).any() and not _pink(signed).any()
    assert details["report_state_signed"].startswith("Final — signed by Dr E. Reader at ")
    state = _crop(shots["13-report-signed"], rects["report_state"])
    green = (state[..., 1] > 100) & (state[..., 0] < 90) & (state[..., 2] < 90)
    assert green.sum() > 20
    # The dialog that blocked signing listed the conflict.
    assert any("Effusion" in line for line in details["sign_blockers"])
    dialog = _load(session["dialogs"]["dialog-sign-blocked"])
    assert dialog.shape[0] > 100 and dialog.std() > 10
    # Exports in the export folder, none beside the study.
    exports = details["report_exports"]
    assert exports["text"].endswith(".txt") and exports["pdf_images"].endswith(".pdf")
    assert Path(exports["sr"]).exists() and details["pdf_bytes"] > 5000
