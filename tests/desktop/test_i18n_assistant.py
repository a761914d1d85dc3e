"""The AI findings and report panels in Chinese: their buttons, lists and messages as read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.report.document import StudyContext
from desktop.assistant.ai_panel import AIPanel
from desktop.assistant.report_dialogs import (
    AddendumDialog,
    ReportingSettingsDialog,
    SigningBlockedDialog,
)
from desktop.assistant.report_panel import ReportPanel
from desktop.settings import Settings

from .zh_cn_translation import zh_cn_installed

UID = "1.2.826.0.1.3680043.10.543.5.7"


@pytest.fixture
def zh_cn(tmp_path: Path) -> Iterator[None]:
    with zh_cn_installed(tmp_path):
        yield


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = Settings(tmp_path / "settings.ini")
    settings.report_signer = "张医生"
    return settings


def test_the_report_panel_reads_in_chinese(qtbot: Any, zh_cn: None, settings: Settings) -> None:
    panel = ReportPanel(settings=settings)
    qtbot.addWidget(panel)
    panel.show()
    try:
        assert panel.editor.placeholderText() == "请先打开检查，再书写报告。"
        modes = {mode: button.text() for mode, button in panel.mode_buttons.items()}
        assert modes == {
            "report": "起草报告",
            "rewrite": "改写所选",
            "impression": "撰写诊断意见",
        }
        assert panel.stop_button.text() == "停止"
        assert panel.sign_button.text() == "签署…"
        assert panel.addendum_button.text() == "补充报告…"
        assert panel.review_button.text() == "标为已审核"
        assert panel.review_all_button.text() == "全部标为已审核"
        assert panel.engine_combo.itemText(0) == "模板"
        assert panel.engine_combo.itemText(1) == "语言模型"
        assert panel.language_combo.itemText(1) == "中文"  # each language in its own words
        assert panel.export_button.text() == "导出"
        assert [a.text() for a in panel.export_menu.actions()] == [
            "纯文本",
            "PDF",
            "PDF（含关键图像）",
            "DICOM 结构化报告（SR）",
        ]
        panel.open_study(StudyContext(UID, modality="DX", body_part="CHEST"))
        assert panel.status_label.text() == "新报告：可自动起草，或直接输入。"
        assert panel.state_label.text().startswith("草稿 — 第 ")
        assert panel.conflict_title.text() == "与检出项的冲突：无"
        panel.sign()  # nothing written yet
        assert panel.status_label.text() == "报告为空：没有可签署的内容。"
    finally:
        panel.shutdown()


def test_the_signing_dialogs_read_in_chinese(qtbot: Any, zh_cn: None, settings: Settings) -> None:
    blocked = SigningBlockedDialog(["x", "y"])
    qtbot.addWidget(blocked)
    assert blocked.windowTitle() == "签署前需要审核"
    assert blocked.sign_anyway_button.text() == "仍然签署"
    assert blocked.review_button.text() == "先审核"
    assert blocked.reason_edit.placeholderText() == "未经审核签署的原因（必填）"
    addendum = AddendumDialog("张医生")
    qtbot.addWidget(addendum)
    assert addendum.windowTitle() == "补充报告"
    assert "签署补充报告" in [button.text() for button in addendum.buttons.buttons()]
    reporting = ReportingSettingsDialog(settings)
    qtbot.addWidget(reporting)
    assert reporting.windowTitle() == "报告设置"
    assert reporting.test_button.text() == "测试"
    server = reporting.kind_combo.findData("endpoint")
    assert reporting.kind_combo.itemText(server) == "兼容 OpenAI 接口的服务器"


def test_the_findings_panel_reads_in_chinese(qtbot: Any, zh_cn: None) -> None:
    panel = AIPanel()
    qtbot.addWidget(panel)
    try:
        headers = [panel.tree.headerItem().text(c) for c in range(4)]
        assert headers == ["检出项", "概率", "阈值", "判定"]
        assert panel.analyze_button.text() == "分析(&Z)"
        assert panel.heatmap_check.text() == "显示热图"
        assert panel.status_label.text() == "请打开图像，然后点击“分析”。"
    finally:
        panel.shutdown()
