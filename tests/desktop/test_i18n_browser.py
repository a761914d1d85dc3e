"""The study browser in Chinese: column headers, rows, sections, tooltips and its menu.

The zh-CN catalogue is compiled from the area .ts files and installed by the app's own
loader (:func:`desktop.i18n.install_translations`: Qt's base catalogue, the default
QLocale and core's language too), as start-up does for a user who chose 简体中文.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QLocale

from core import i18n as core_i18n
from core.dicom.index import scan
from desktop import i18n
from desktop.browser.formatting import format_date, format_person_name
from desktop.browser.study_browser import COL_IMAGES, COL_NAME, COL_NOTES, StudyBrowser
from desktop.number_format import format_count

from .zh_cn_translation import compile_zh_cn


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


def test_the_study_browser_reads_in_chinese(qtbot: Any, zh_cn: None, synthetic_dir: Path) -> None:
    index = scan(synthetic_dir)
    browser = StudyBrowser(thumbnail_size=32)
    qtbot.addWidget(browser)
    browser.set_index(index)
    header = browser.tree.headerItem()
    assert [header.text(c) for c in range(4)] == ["名称", "设备类型", "图像数", "备注"]

    patient = browser.tree.topLevelItem(0)
    assert patient is not None
    # "PHANTOM, ECHO409 · ID SYN21795485，女，出生 1964-01-22"
    assert re.search(r" · ID \S+，[男女]，出生 \d{4}-\d\d-\d\d$", patient.text(COL_NAME)), (
        patient.text(COL_NAME)
    )
    study = patient.child(0)
    assert study is not None
    count = study.childCount()
    assert study.text(COL_NOTES) == f"{count} 个序列"
    series = study.child(0)
    record = browser.selected_series()
    assert series is not None and record is not None
    files = len(record.instances)
    assert series.toolTip(COL_NAME).splitlines()[1] == (
        f"{record.modality}，{files} 个文件，{record.frame_count} 帧"
    )

    tops = [browser.tree.topLevelItem(i) for i in range(browser.tree.topLevelItemCount())]
    titles = [top.text(COL_NAME) for top in tops if top is not None]
    assert f"无法读取的文件（{len(index.unreadable)}）" in titles, titles

    menu = browser.context_menu_for(series)
    assert menu is not None
    assert [action.text() for action in menu.actions()] == ["打开序列", "显示 DICOM 标签"]
    qtbot.waitUntil(lambda: not browser.thumbnails_running, timeout=20_000)
    assert series.text(COL_IMAGES) == format_count(record.frame_count)


def test_names_dates_and_counts_follow_the_chinese_locale(zh_cn: None) -> None:
    assert QLocale().name() == "zh_CN"
    assert format_person_name("") == "（无姓名）"
    assert format_date("20240302") == "2024-03-02"  # the form Chinese PACS write
    assert format_count(12345) == "12,345"
