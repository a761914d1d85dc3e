"""The reading window in Chinese: menus, actions, docks, status and banners as a user reads them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.dicom.records import FileRef, UnreadableFile
from desktop.main_window import MainWindow
from desktop.notifications import summarize_unreadable
from desktop.number_format import decimal
from desktop.settings import Settings
from desktop.window_actions import plain_label

from .zh_cn_translation import zh_cn_installed

TIMEOUT_MS = 60_000


@pytest.fixture
def zh_window(qtbot: Any, tmp_path: Path) -> Iterator[MainWindow]:
    with zh_cn_installed(tmp_path):
        win = MainWindow(Settings())
        qtbot.addWidget(win)
        win.resize(1000, 700)
        win.show()
        qtbot.waitExposed(win)
        yield win
        win.cancel_import()


def _titles(window: MainWindow) -> list[str]:
    return [action.text() for action in window.menuBar().actions()]


def test_the_menu_bar_and_actions_read_in_chinese(zh_window: MainWindow) -> None:
    assert _titles(zh_window) == [
        "文件(&F)",
        "视图(&V)",
        "工具(&T)",
        "分析(&A)",
        "报告(&R)",
        "设置(&S)",
        "帮助(&H)",
    ]
    assert zh_window.open_folder_action.text() == "打开文件夹(&F)…"
    assert zh_window.quit_action.text() == "退出(&Q)"
    assert zh_window.tool_actions["distance"].text() == "距离(&D)"
    assert zh_window.invert_action.text() == "反相(&I)"
    assert zh_window.presets_menu.title() == "窗预设(&P)"
    assert zh_window.sign_report_action.text() == "签署报告(&S)…"
    assert zh_window.analyze_action.statusTip() == "用 AI 模型分析当前显示的图像"
    settings = [a.text() for a in zh_window.menus["Settings"].actions()][:3]
    assert settings == ["模型(&M)…", "报告设置(&R)…", "数据保护(&D)…"]
    # The docks and the status bar's Cancel.
    assert zh_window.browser_dock.windowTitle() == "检查"
    assert zh_window.ai_dock.windowTitle() == "AI 检出项"
    assert zh_window.report_dock.windowTitle() == "报告"
    assert zh_window.cancel_button.text() == "取消"
    # The preset menu with no image, and the menus' keys listed in Chinese groups.
    zh_window.presets_menu.aboutToShow.emit()
    assert [a.text() for a in zh_window.presets_menu.actions()] == ["（无图像）"]
    entries = zh_window.shortcut_entries()
    assert ("文件", "Ctrl+O", "打开文件夹") in entries
    assert ("检查浏览器", "Esc", "返回图像") in entries
    assert plain_label("导出(&X)") == "导出"


def test_the_shortcuts_dialog_and_tag_hint_in_chinese(qtbot: Any, zh_window: MainWindow) -> None:
    dialog = zh_window.show_shortcuts()
    assert dialog.windowTitle() == "键盘快捷键"
    assert dialog.search.placeholderText() == "搜索按键或操作"
    items = [dialog.table.horizontalHeaderItem(c) for c in range(3)]
    headers = [item.text() if item is not None else "" for item in items]
    assert headers == ["分组", "按键", "操作"]
    assert dialog.status.text() == f"共 {dialog.table.rowCount()} 个快捷键"
    dialog.close()
    assert zh_window.show_tag_browser() is None  # no image open: a banner says so
    assert zh_window.notifications.notifications[-1].text == "请先打开图像，再查看其标签。"


def test_opening_a_study_says_in_chinese_what_was_read(
    qtbot: Any, zh_window: MainWindow, synthetic_dir: Path
) -> None:
    with qtbot.waitSignal(zh_window.series_loaded, timeout=TIMEOUT_MS):
        zh_window.open_path(synthetic_dir / "broken")
    qtbot.waitUntil(lambda: not zh_window.is_busy, timeout=TIMEOUT_MS)
    banners = [n.text for n in zh_window.notifications.notifications]
    assert any("个文件无法读取：" in text for text in banners), banners
    banner = next(n for n in zh_window.notifications.notifications if "无法读取" in n.text)
    assert banner.details_button.text() == "详情"
    banner.set_expanded(True)
    assert banner.details_button.text() == "隐藏详情"
    assert zh_window.status_label.text().startswith("已加载 ")
    assert "幅图像" in zh_window.status_label.text()


def test_the_unreadable_summary_keeps_english_without_a_translation(tmp_path: Path) -> None:
    refs = [UnreadableFile(FileRef(str(tmp_path / f"{i}.dcm")), "truncated") for i in range(2)]
    assert summarize_unreadable(refs)[0] == "2 files could not be read: truncated (2)"
    assert summarize_unreadable(refs[:1], "image")[0] == "1 image could not be read: truncated"
    with zh_cn_installed(tmp_path):
        assert summarize_unreadable(refs)[0] == "2 个文件无法读取：truncated (2)"


def test_decimals_round_as_python_and_never_group() -> None:
    assert decimal(0.125, 2) == "0.12"  # the English text f"{0.125:.2f}" gives
    assert decimal(1500, 1) == "1500.0"  # W/L values and sizes read like codes
