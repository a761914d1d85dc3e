"""The study archive in Chinese: the study list, its buttons and sentences, the archive's
settings, the export dialog and what the receiver says.

A real archive in the test's data folder; the zh-CN catalogue compiled from the area .ts
files and installed by the app's own loader (:func:`desktop.i18n.install_translations`:
Qt's base catalogue for the standard buttons, the default QLocale, core's language).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QLocale, Qt
from PySide6.QtWidgets import QDialogButtonBox

from core import i18n as core_i18n
from core.archive import Archive
from core.deid.options import RetainOption
from core.deid.results import ExportedFile, ExportResult, FlaggedFile
from desktop import i18n
from desktop.archive.export_dialog import StudyExportDialog, describe_export
from desktop.archive.keeper import ArchiveKeeper, ReceiverState, rebuild_progress_text
from desktop.archive.settings_dialog import ArchiveSettingsDialog
from desktop.archive.study_list import StudyListPanel
from desktop.archive.study_model import COL_DATE, COLUMNS
from desktop.settings import Settings
from tests.core.archive.helpers import tiny_image

from .zh_cn_translation import compile_zh_cn

TIMEOUT_MS = 20_000


@pytest.fixture
def zh_cn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The interface in Chinese for one test; English (and the old locale) afterwards."""
    qm = compile_zh_cn(tmp_path)
    monkeypatch.setattr(i18n, "resource_path", lambda *_parts: qm)
    monkeypatch.setenv(core_i18n.LANGUAGE_VARIABLE, core_i18n.current_language())
    locale, language = QLocale(), core_i18n.current_language()
    assert i18n.install_translations("zh-CN") == "zh-CN"
    yield
    i18n.install_translations("en")
    core_i18n.set_language(language, export=False)
    QLocale.setDefault(locale)


@pytest.fixture
def keeper(tmp_path: Path) -> Iterator[ArchiveKeeper]:
    root = tmp_path / "archive"
    with Archive(root) as archive:
        for number, date in enumerate(("20240302", "20231115")):
            study = tiny_image(patient_id=f"P{number}", study_date=date, accession=f"A{number}")
            archive.accept(study, source="test")
    kept = ArchiveKeeper(Settings(), root)
    yield kept
    kept.close()


def test_the_study_list_reads_in_chinese(qtbot: Any, zh_cn: None, keeper: ArchiveKeeper) -> None:
    panel = StudyListPanel(keeper)
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.rows_shown, timeout=TIMEOUT_MS):
        panel.activate()
    model = panel.model
    titles = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(len(COLUMNS))]
    assert titles == [
        "患者姓名",
        "患者 ID",
        "检查日期",
        "设备类型",
        "描述",
        "检查号",
        "图像数",
        "来源",
        "接收时间",
    ]
    buttons = [panel.open_button, panel.import_button, panel.delete_button, panel.rebuild_button]
    assert [b.text() for b in buttons] == [
        "打开(&O)",
        "导入文件夹(&I)…",
        "删除检查(&D)",
        "重建索引(&B)",
    ]
    assert panel.cancel_button.text() == "取消"
    assert panel.search_field.placeholderText().startswith("搜索：患者姓名")
    assert re.fullmatch(r"2 个检查 · 本地归档 \d+\.\d MB", panel.summary_label.text()), (
        panel.summary_label.text()
    )
    assert model.index(0, COL_DATE).data() == "2024-03-02"  # newest first

    # A refusal, framed by the study list: the study is open in the viewer.
    keeper.open_study_uids = lambda: {uid for uid in (panel.current_study_uid(),) if uid}
    panel.delete_current()
    assert (
        panel.outcome_label.text() == "2024-03-02 CT CT CHEST 正在阅片窗口中打开：请先关闭再删除。"
    )


def test_the_archive_settings_read_in_chinese(
    qtbot: Any, zh_cn: None, keeper: ArchiveKeeper
) -> None:
    dialog = ArchiveSettingsDialog(keeper)
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "检查归档"
    assert dialog.receive_check.text() == "接收推送到本工作站的检查"
    assert dialog.limit_field.specialValueText() == "不限"
    box = dialog.findChild(QDialogButtonBox)
    assert box is not None
    ok = box.button(QDialogButtonBox.StandardButton.Ok)
    cancel = box.button(QDialogButtonBox.StandardButton.Cancel)
    assert (ok.text(), cancel.text()) == ("确定", "取消")  # Qt's own catalogue
    qtbot.waitUntil(lambda: dialog.node_label.text() != "正在读取本机节点…", timeout=TIMEOUT_MS)
    assert dialog.node_label.text().startswith("AE "), dialog.node_label.text()
    assert "端口" in dialog.node_label.text() or "未设置监听端口" in dialog.node_label.text()


def test_the_export_dialog_and_its_report_read_in_chinese(
    qtbot: Any, zh_cn: None, tmp_path: Path
) -> None:
    dialog = StudyExportDialog(tmp_path, deidentify=True)
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "导出匿名化检查"
    assert dialog.options_box.title() == "保留（保留选项）"
    full_dates = dialog.option_checks[RetainOption.FULL_DATES]
    assert full_dates.text() == "完整日期：保留真实的日期和时间（便于跨检查随访）。"
    assert dialog.export_button.text() == "导出"
    assert dialog.cancel_button.text() == "关闭"

    result = ExportResult(
        out_dir="/exports/anonymised",
        deidentified=True,
        retained=(),
        dicomdir=None,
        exported=(ExportedFile("a/1.dcm", "1.2.840.10008.5.1.4.1.1.2", "1.2.3"),),
        flagged=(FlaggedFile("/in/us.dcm", "Burned In Annotation is YES", included=False),),
        skipped=(),
        studies=("1.2.3",),
    )
    lines = describe_export(result)
    assert (
        lines[0]
        == "已将 1 个检查的 1 个对象导出到 /exports/anonymised，已去标识（PS3.15 基本配置）。"
    )
    assert "1 幅图像被标记为含有烧录文字：" in lines
    assert "  us.dcm：Burned In Annotation is YES（未导出）" in lines
    assert lines[-2:] == ["文件：", "  a/1.dcm"]


def test_the_receiver_and_the_rebuild_speak_chinese(zh_cn: None) -> None:
    state = ReceiverState()
    state.ae_title, state.port, state.received = "RADASSIST", 11112, 1200
    assert state.text() == "正在接收：AE RADASSIST，端口 11112 · 已接收 1,200 个实例"
    assert rebuild_progress_text(1234, 5000) == "正在重建本地归档索引：1,234/5,000 个文件"
