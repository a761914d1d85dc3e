"""End to end in Chinese: the real window on Xvfb, a reading session with the interface in zh-CN.

The interface language is set as a person sets it, in the settings file that Settings →
Language writes (``interface/language = zh-CN``; the desktop reads no environment
variable for it: ``RADASSIST_LANG`` is the command line's), and the report language is
left to follow it. The session (tests/e2e/zh_scenario.py, a child interpreter with the
xcb platform) opens a CT folder holding one truncated file, scrolls, changes the window,
measures, opens Settings → Language and the reporting settings, analyses a chest
radiograph with the demo model, drafts the report, types a Chinese sentence that
contradicts the analysis, is stopped at signing, fixes it and signs. The catalogues are
built first, as the install step builds them (``scripts/translations.py build``).

What is checked is what a Chinese radiologist reads: the texts taken from the widgets,
every character of them covered by a glyph of the font that draws it (no boxes), and
the screenshots of the real window, pixel by pixel where it is cheap. The screenshots
are kept in test-artifacts/screenshots/zh-*.png for a person to look at.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.e2e.window_driver import ROOT, crop, load_rgb, run_scenario
from tests.xvfb import xvfb_display

pytestmark = pytest.mark.e2e

SCENARIO = Path(__file__).with_name("zh_scenario.py")
#: The bundled demo model, on a radiograph (seed 45) with one drawn lesion: an effusion.
MODEL = "radassist-demo-cxr"
CXR_SEED = 45
TYPED = "未见胸腔积液。"
SIGNER = "李明"
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Run the Chinese session once; the tests below look at what it left."""
    from core.synthetic import write_ct_series, write_cxr

    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "translations.py"), "build"],
        check=True,
        capture_output=True,
        timeout=120,
        cwd=ROOT,
    )
    base = tmp_path_factory.mktemp("e2e-zh")
    ct = base / "studies" / "ct"
    write_ct_series(ct, np.random.default_rng(21), slices=40, size=256, pixel_representation=0)
    # One file cut in the middle of its header, before the pixel data: unreadable.
    whole = sorted(p for p in ct.iterdir() if p.is_file())[0].read_bytes()
    (ct / "truncated.dcm").write_bytes(whole[: whole.find(b"\xe0\x7f\x10\x00") // 2])
    cxr = base / "studies" / "cxr" / "0001.dcm"
    write_cxr(cxr, np.random.default_rng(CXR_SEED), size=512, lesions="random")
    with xvfb_display() as display:
        started = time.perf_counter()
        result = run_scenario(SCENARIO, [ct, cxr, MODEL], base, display, timeout_s=180)
        result["run_s"] = time.perf_counter() - started
    yield result


def _shot(session: dict[str, Any], name: str) -> np.ndarray:
    return load_rgb(session["screenshots"].get(name) or session["dialogs"][name])


def _dark(region: np.ndarray) -> int:
    """Pixels dark enough to be text on a light background."""
    return int((region.max(axis=-1) < 90).sum())


def test_every_step_of_the_chinese_session_did_what_a_reader_expects(
    session: dict[str, Any],
) -> None:
    failed = [name for name, ok in session["checks"].items() if not ok]
    assert not failed, f"failed: {failed}; details: {session['details']}"
    assert len(session["checks"]) >= 30
    assert session["returncode"] == 0, session["stderr"][-3000:]
    assert session["details"]["window_shown_s"] < 5.0
    assert session["run_s"] < 90, session["run_s"]  # the whole child process, Xvfb to exit


def test_no_text_is_drawn_as_boxes(session: dict[str, Any]) -> None:
    # Every character read from the screens has a glyph in a family of the font drawing it.
    missing = session["glyphs_missing"]
    assert not missing, "no glyph for: " + json.dumps(missing, ensure_ascii=False)
    assert session["details"]["cjk_family"], "no font with Chinese glyphs was chosen"
    assert session["details"]["cjk_family"] in session["details"]["app_font_families"]


def test_the_window_speaks_chinese(session: dict[str, Any]) -> None:
    details = session["details"]
    assert details["interface_language"] == "zh-CN"
    titles = details["menu_titles"]
    assert "".join(t.split("(")[0] for t in titles) == "文件视图工具分析报告设置帮助"
    assert [t[-4:] for t in titles] == [f"(&{k})" for k in "FVTARSH"]  # mnemonics kept
    assert details["dock_titles"] == ["检查", "AI 检出项", "报告"]
    # The screenshots are of the real window: the same size each time, the menu bar drawn.
    names = [n for n in session["screenshots"] if n != "zh-04-settings-language"]
    shots = {name: _shot(session, name) for name in names}
    assert len({image.shape for image in shots.values()}) == 1
    bar = [crop(image, session["rects"]["menu_bar"]) for image in shots.values()]
    assert all(np.array_equal(bar[0], b) for b in bar[1:])
    assert _dark(bar[0]) > 200  # seven Chinese titles, not an empty bar


def test_the_unreadable_file_is_announced_in_chinese(session: dict[str, Any]) -> None:
    details = session["details"]
    (notice,) = details["notice"]
    assert notice.startswith("1 个文件无法读取："), notice
    assert "文件不完整" in notice  # the reason, from core's catalogue
    (line,) = details["notice_details"]
    assert line.split(": ")[0].endswith("truncated.dcm") and CJK.search(line)
    assert details["notice_buttons"] == ["隐藏详情", "关闭"]
    text = crop(_shot(session, "zh-01-unreadable-notice"), session["rects"]["notice"])
    assert _dark(text) > 300  # two lines of characters on the amber banner


def test_the_ct_corners_and_the_measurement(session: dict[str, Any]) -> None:
    details = session["details"]
    corners = details["overlay"]
    assert corners["bottom_left"][0] == "图像 11/40"
    assert corners["bottom_left"][1].startswith("位置 ")
    assert corners["bottom_left"][2] == "层厚 2.5 mm"
    assert corners["bottom_right"][1].startswith("缩放 ")
    assert details["distance_label"][0].endswith(" mm")
    view = session["rects"]["viewport"]
    before = crop(_shot(session, "zh-01-unreadable-notice"), view)
    after = crop(_shot(session, "zh-02-ct-distance"), view)
    assert float(np.abs(after - before).mean()) > 2  # another slice, window and a line drawn


def test_settings_language_and_the_reporting_settings(session: dict[str, Any]) -> None:
    details = session["details"]
    assert details["settings_menu"][-1] == "语言(&L)"
    assert details["language_menu"] == ["跟随系统", "English", "简体中文"]
    assert details["language_checked"] == ["简体中文"]
    assert details["reporting_settings_title"] == "报告设置"
    assert details["reporting_settings_buttons"] == ["保存", "取消"]
    assert all(CJK.search(t) for t in details["reporting_settings_texts"][:8])
    # The whole screen, the two menus open over the window: their text is on screen.
    screen = _shot(session, "zh-04-settings-language")
    window = _shot(session, "zh-02-ct-distance")
    for name in ("settings_menu", "language_menu"):
        rect = session["rects"][name]
        assert rect[2] > 60 and rect[3] > 40, rect
        x, y, w, h = rect
        ox, oy = details["window_origin"]
        under = window[y - oy : y - oy + h, x - ox : x - ox + w]
        shown = crop(screen, rect)
        assert _dark(shown) > 100, name
        assert under.shape != shown.shape or float(np.abs(shown - under).mean()) > 5, name
    assert details["nodes_title"] == "DICOM 节点"
    assert {"本机 AE 标题", "保存", "取消", "测试"} <= set(details["nodes_texts"])
    for name in ("zh-05-reporting-settings", "zh-05-dicom-nodes"):
        dialog = _shot(session, name)
        assert dialog.shape[0] > 200 and _dark(dialog) > 500, name


def test_the_ai_panel_in_chinese(session: dict[str, Any]) -> None:
    details = session["details"]
    assert details["ai_columns"] == ["检出项", "概率", "阈值", "判定"]
    rows = details["ai_rows"]
    assert rows and rows[0][3] == "阳性"
    assert {row[3] for row in rows} <= {"阳性", "阴性", "不确定"}
    assert details["ai_model_label"] == "模型：radassist-demo-cxr 2.0.0"
    findings = crop(_shot(session, "zh-03-ai-panel"), session["rects"]["ai_findings"])
    empty = crop(_shot(session, "zh-02-ct-distance"), session["rects"]["ai_findings"])
    assert float(np.abs(findings - empty).mean()) > 1  # rows appeared


def _pink(region: np.ndarray) -> np.ndarray:
    """The shading of a sentence in conflict with the analysis (255, 208, 208)."""
    r, g, b = region[..., 0], region[..., 1], region[..., 2]
    return (r > 240) & (g > 190) & (g < 225) & (b > 190) & (b < 225)


def test_the_report_is_drafted_contradicted_blocked_and_signed_in_chinese(
    session: dict[str, Any],
) -> None:
    details = session["details"]
    rects = session["rects"]
    assert "胸腔积液" in details["report_findings"]
    for heading in ("影像所见", "诊断意见"):
        assert heading in details["report_editor_lines"]
    assert details["report_state_drafted"].startswith("草稿 — 第 ")
    # The typed sentence is marked in conflict (pink) and listed, in red, with why.
    rows = details["conflicts"]
    assert any(row.startswith("影像所见") and TYPED in row and "否定" in row for row in rows), rows
    edited = crop(_shot(session, "zh-07-report-conflict"), rects["report_editor"])
    assert _pink(edited).sum() > 200
    listed = crop(_shot(session, "zh-07-report-conflict"), rects["report_conflicts"])
    assert ((listed[..., 0] > 150) & (listed[..., 1] < 90) & (listed[..., 2] < 90)).sum() > 30
    # Signing was stopped by a dialog that says why, in Chinese.
    assert details["sign_blocked_title"] == "签署前需要审核"
    assert details["sign_blocked_texts"][-2:] == ["先审核", "仍然签署"]
    blockers = details["sign_blockers"]
    assert len(blockers) == 2 and any(TYPED in line for line in blockers)
    assert all(line.startswith("冲突：") for line in blockers), blockers
    dialog = _shot(session, "zh-08-sign-blocked")
    assert dialog.shape[0] > 100 and _dark(dialog) > 300
    # Signed: the state line, in green, names the signer.
    state = details["report_state_signed"]
    assert state.startswith("已定稿 — 由 ") and SIGNER in state, state
    line = crop(_shot(session, "zh-09-report-signed"), rects["report_state"])
    assert ((line[..., 1] > 100) & (line[..., 0] < 90) & (line[..., 2] < 90)).sum() > 20


def test_no_english_is_left_in_the_interface(session: dict[str, Any]) -> None:
    # Words of three or more Latin letters on the Chinese screens, the study's own data
    # (names, descriptions, paths) and kept terms (PACS, DICOM, units, model names) aside.
    left = session["latin_words"]
    assert not left, "English on the Chinese screens: " + json.dumps(left, ensure_ascii=False)
