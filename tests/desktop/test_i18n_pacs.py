"""The PACS dialogs in Chinese: DICOM Nodes, Query PACS and Send to PACS.

Titles, column headers, buttons, choices and the sentences the dialogs frame around
what the core says (a search that failed, a file that was not sent). The zh-CN
catalogue is compiled from the area .ts files and installed by the app's own loader
(:func:`desktop.i18n.install_translations`: Qt's base catalogue for the standard
buttons, the default QLocale, core's language).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QLocale, Qt
from PySide6.QtWidgets import QDialogButtonBox

from core import i18n as core_i18n
from core.archive import Archive
from core.pacs import CredentialStore, DimseNode, LocalNode, NodeBook, save_nodes
from desktop import i18n
from desktop.pacs.nodes_dialog import NodeEditor, NodesDialog
from desktop.pacs.query_dialog import QueryDialog
from desktop.pacs.send_dialog import SendDialog
from tests.core.pacs.orthanc import free_port

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
def memory_store() -> CredentialStore:
    return CredentialStore(use_keyring=False)


@pytest.fixture
def nobody_listening() -> DimseNode:
    """A node on a 127.0.0.1 port nobody listens on, saved as the only node."""
    node = DimseNode("hospital", "NOBODY", "127.0.0.1", free_port(), timeout_s=5)
    save_nodes(NodeBook(LocalNode("RADASSIST", None), (node,)))
    return node


def test_the_nodes_dialog_reads_in_chinese(
    qtbot: Any, zh_cn: None, memory_store: CredentialStore, nobody_listening: DimseNode
) -> None:
    dialog = NodesDialog(credentials=memory_store)
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "DICOM 节点"
    buttons = [
        dialog.add_dimse_button,
        dialog.add_web_button,
        dialog.edit_button,
        dialog.duplicate_button,
        dialog.remove_button,
        dialog.test_button,
    ]
    assert [b.text() for b in buttons] == [
        "添加 DICOM 节点…",
        "添加 DICOMweb 节点…",
        "编辑…",
        "复制",
        "删除",
        "测试",
    ]
    save = dialog.buttons.button(QDialogButtonBox.StandardButton.Save)
    cancel = dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel)
    assert (save.text(), cancel.text()) == ("保存", "取消")  # Qt's own catalogue
    assert dialog.node_list.item(0).text().startswith("hospital — NOBODY，127.0.0.1:")
    assert dialog.secret_where.text().startswith("未找到系统密钥环")

    editor = NodeEditor(None, "dimse", set(), "", dialog)
    qtbot.addWidget(editor)
    assert editor.windowTitle() == "DICOM 节点"
    editor.buttons.button(QDialogButtonBox.StandardButton.Ok).click()  # everything empty
    assert editor.form.error_text("name") == "节点需要名称"
    assert editor.form.error_text("host") == "节点需要主机名或地址"
    assert editor.result_node is None


def test_the_query_dialog_reads_in_chinese_and_frames_a_failed_search(
    qtbot: Any,
    zh_cn: None,
    tmp_path: Path,
    memory_store: CredentialStore,
    nobody_listening: DimseNode,
) -> None:
    with Archive(tmp_path / "archive") as archive:
        dialog = QueryDialog(archive, credentials=memory_store)
        qtbot.addWidget(dialog)
        assert dialog.windowTitle() == "查询 PACS"
        header = dialog.tree.headerItem()
        assert [header.text(c) for c in range(dialog.tree.columnCount())] == [
            "患者",
            "患者 ID",
            "日期",
            "描述",
            "设备类型",
            "检查号",
            "序列数",
            "图像数",
            "状态",
        ]
        assert dialog.search_button.text() == "查询"
        assert dialog.retrieve_button.text() == "获取"
        assert dialog.cancel_button.text() == "取消"
        methods = [dialog.method.itemText(i) for i in range(dialog.method.count())]
        assert methods == ["按节点设置", "C-GET", "C-MOVE 到本机端口"]
        dates = dialog.form.date_choice
        assert [dates.itemText(i) for i in range(dates.count())] == [
            "任意日期",
            "今天",
            "昨天",
            "最近 7 天",
            "日期范围…",
        ]
        assert dialog.summary.text() == "请选择节点，填写已知信息，然后点击“查询”。"

        dialog.form.patient_id.setText("ANYONE")
        dialog.search_button.click()
        qtbot.waitUntil(lambda: not dialog.busy, timeout=TIMEOUT_MS)
        said = dialog.summary.text()
        assert said.startswith("查询失败：") and "NOBODY" in said, said
        dialog.close()


def test_the_send_dialog_reads_in_chinese_with_a_status_per_file(
    qtbot: Any,
    zh_cn: None,
    tmp_path: Path,
    memory_store: CredentialStore,
    nobody_listening: DimseNode,
) -> None:
    text = tmp_path / "SR_notes.dcm"
    text.write_text("not DICOM")
    dialog = SendDialog([text], credentials=memory_store)
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "发送到 PACS"
    headers = [dialog.table.model().headerData(c, Qt.Orientation.Horizontal) for c in range(3)]
    assert headers == ["文件", "内容", "状态"]
    assert dialog.table.model().index(0, 1).data() == "不是 DICOM 文件（不会发送）"
    assert dialog.status_text(0) == "尚未发送"
    assert (dialog.send_button.text(), dialog.close_button.text()) == ("发送", "关闭")

    dialog.send_button.click()
    qtbot.waitUntil(lambda: dialog.send_button.isEnabled(), timeout=TIMEOUT_MS)
    assert dialog.status_text(0).startswith("失败："), dialog.status_text(0)
    assert dialog.summary.text() == "已发送 0/1 个，失败 1 个。"
