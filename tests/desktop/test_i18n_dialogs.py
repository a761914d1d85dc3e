"""The window's dialogs in Chinese: titles, buttons, headers and what they say."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.analysis.registry import ModelRegistry
from desktop.dialogs.data_protection import DataProtectionDialog
from desktop.dialogs.models_dialog import ModelsDialog, describe_refusal
from desktop.dialogs.shortcuts import ShortcutsDialog

from .zh_cn_translation import zh_cn_installed


@pytest.fixture
def zh_cn(tmp_path: Path) -> Iterator[None]:
    with zh_cn_installed(tmp_path):
        yield


def test_the_models_dialog_reads_in_chinese(qtbot: Any, zh_cn: None, tmp_path: Path) -> None:
    bundled, user = tmp_path / "bundled", tmp_path / "user"
    bundled.mkdir()
    user.mkdir()
    dialog = ModelsDialog(ModelRegistry(bundled, user))
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.list.count() > 0 and not dialog.is_busy, timeout=10_000)
    assert dialog.windowTitle() == "模型"
    assert dialog.import_button.text() == "导入文件夹(&I)…"
    assert dialog.remove_button.text() == "移除(&R)"
    assert dialog.list.item(0).text() == "未安装模型包"
    assert describe_refusal(OSError(2, "No such file")) == "无法读取或复制模型包：No such file"
    dialog.close()


def test_the_data_protection_dialog_reads_in_chinese(qtbot: Any, zh_cn: None) -> None:
    dialog = DataProtectionDialog()
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "数据保护"
    assert dialog.encrypt_check.text() == "加密本机上的草稿、测量和分析缓存"


def test_the_shortcuts_dialog_filters_and_counts_in_chinese(qtbot: Any, zh_cn: None) -> None:
    entries = [("文件", "Ctrl+O", "打开文件夹"), ("视图", "Ctrl+1", "1 × 1")]
    dialog = ShortcutsDialog(entries)
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "键盘快捷键"
    assert dialog.status.text() == "共 2 个快捷键"
    dialog.apply_filter("文件")
    assert dialog.status.text() == "显示 1 / 2 个快捷键"
