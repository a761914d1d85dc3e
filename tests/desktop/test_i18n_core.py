"""The window in Chinese: menu titles, Qt's standard buttons, core's messages, the font,
the locale, and Settings → Language (which applies at the next start).

The language is installed the way start-up installs it (desktop.i18n), from the catalogues
``scripts/translations.py build`` compiles (built here first when missing or stale).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QDate, QLocale
from PySide6.QtGui import QFont, QFontMetrics, QRawFont
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox

from core import i18n as core_i18n
from desktop import i18n
from desktop.language_menu import LanguageMenu, restart_command, start_again_if_asked
from desktop.main_window import MainWindow
from desktop.settings import Settings
from tests.i18n_helpers import children_speaking

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_MS = 20_000


@pytest.fixture(scope="module", autouse=True)
def built_catalogues() -> None:
    """radassist_zh_CN.qm and core.mo, compiled from today's sources (a no-op when current)."""
    spec = importlib.util.spec_from_file_location(
        "radassist_translations_build", ROOT / "scripts" / "translations.py"
    )
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = script
    spec.loader.exec_module(script)
    script.build()


@pytest.fixture
def chinese(qapp: QApplication, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The interface in Chinese for one test; English (and the environment) again after."""
    monkeypatch.delenv(core_i18n.LANGUAGE_VARIABLE, raising=False)
    font = qapp.font()
    assert i18n.apply_interface_language(qapp, "zh-CN") == "zh-CN"
    yield "zh-CN"
    i18n.install_translations("en")
    qapp.setFont(font)
    os.environ.pop(core_i18n.LANGUAGE_VARIABLE, None)


@pytest.fixture
def window(qtbot: Any, chinese: str) -> Iterator[MainWindow]:
    win = MainWindow(Settings())
    qtbot.addWidget(win)
    win.resize(1000, 700)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.cancel_import()


def test_menu_bar_titles_are_chinese(window: MainWindow) -> None:
    titles = [action.text() for action in window.menuBar().actions()]
    assert titles[0] == "文件(&F)"
    assert "设置(&S)" in titles and "帮助(&H)" in titles
    # Every title is Chinese, each with its mnemonic kept after the text.
    for title in titles:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in title), title
        assert title.endswith(")") and "(&" in title, title


def test_standard_dialog_buttons_come_from_qts_own_catalogue(qtbot: Any, chinese: str) -> None:
    box = QMessageBox(
        QMessageBox.Icon.Question,
        "RadAssist",
        "?",
        QMessageBox.StandardButton.Ok | QMessageBox.StandardButton.Cancel,
    )
    qtbot.addWidget(box)
    assert box.button(QMessageBox.StandardButton.Cancel).text() == "取消"
    assert box.button(QMessageBox.StandardButton.Ok).text() in ("确定", "好")


def test_an_unreadable_file_reason_from_core_is_chinese(
    qtbot: Any, window: MainWindow, synthetic_dir: Path
) -> None:
    """Opening a folder with broken files: the banner lists core's reasons in Chinese
    (read in the decoder worker processes, which speak the interface language too)."""
    with children_speaking("zh-CN"):
        with qtbot.waitSignal(window.series_loaded, timeout=TIMEOUT_MS):
            window.open_path(synthetic_dir / "broken")
        qtbot.waitUntil(lambda: not window.is_busy, timeout=TIMEOUT_MS)
    index = window.index
    assert index is not None and index.unreadable
    reasons = {bad.reason for bad in index.unreadable}
    assert "图像对象缺少 Pixel Data (7FE0,0010)" in reasons
    banner = next(b for b in window.notifications.notifications if b.detail_lines)
    assert any("图像对象缺少 Pixel Data (7FE0,0010)" in line for line in banner.detail_lines)


def test_core_messages_follow_the_interface_language(chinese: str) -> None:
    from core.errors import NotDicomError
    from core.i18n import _, ngettext

    assert core_i18n.current_language() == "zh-CN"
    assert _("no DICOM elements found") == "未找到 DICOM 数据元素"
    assert (
        str(NotDicomError("a.dcm", _("no DICOM elements found"))) == "a.dcm: 未找到 DICOM 数据元素"
    )
    assert ngettext("{n} study", "{n} studies", 3).format(n=3) == "3 项检查"
    # Child processes started from now on make their messages in the same language.
    assert os.environ[core_i18n.LANGUAGE_VARIABLE] == "zh-CN"


def test_locale_formats_numbers_and_dates_for_chinese(chinese: str) -> None:
    locale = QLocale()
    assert locale.language() == QLocale.Language.Chinese
    assert locale.toString(QDate(2026, 3, 9), QLocale.FormatType.LongFormat).startswith(
        "2026年3月9日"
    )


def test_chinese_text_has_a_font_with_every_glyph(qtbot: Any, chinese: str) -> None:
    """A QLabel saying 胸腔积液 draws every character from a font that has it (no boxes)."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    family = i18n.ensure_cjk_font(app)
    assert family
    label = QLabel("胸腔积液")
    qtbot.addWidget(label)
    assert family in label.font().families() or label.font().family() == family
    # The chosen face itself has every glyph (QRawFont: that font file, no fallbacks).
    raw = QRawFont.fromFont(QFont(family))
    assert [ch for ch in label.text() if not raw.supportsCharacter(ord(ch))] == []
    assert QFontMetrics(label.font()).horizontalAdvance(label.text()) > 0
    assert i18n.ensure_cjk_font(app) == family  # once is enough: a second call adds nothing
    assert app.font().families().count(family) <= 1


def test_report_language_defaults_to_the_interface_language(chinese: str) -> None:
    settings = Settings()
    assert settings.report_language == "zh-CN"
    settings.report_language = "en"  # a choice of its own once made
    assert settings.report_language == "en"


def test_english_interface_when_chosen(qapp: QApplication) -> None:
    assert i18n.install_translations("en") == "en"
    assert core_i18n.current_language() == "en"
    box = QMessageBox(
        QMessageBox.Icon.Question, "RadAssist", "?", QMessageBox.StandardButton.Cancel
    )
    assert box.button(QMessageBox.StandardButton.Cancel).text() == "Cancel"
    box.deleteLater()
    os.environ.pop(core_i18n.LANGUAGE_VARIABLE, None)


def test_settings_language_choice_applies_at_the_next_start(qtbot: Any, chinese: str) -> None:
    """Choosing English in a Chinese window: stored, said in Chinese, restart offered."""
    settings = Settings()
    parent = QLabel()
    qtbot.addWidget(parent)
    menu = LanguageMenu(settings, parent)
    assert menu.title() == "语言(&L)"
    assert [a.text() for a in menu.actions()] == ["跟随系统", "English", "简体中文"]
    assert menu.language_actions["system"].isChecked()

    box = menu.choose("en")
    assert box is not None
    assert settings.interface_language == "en"
    assert Settings().interface_language == "en"  # written through
    assert "English" in box.text() and "下次启动" in box.text()
    buttons = {button.objectName(): button.text() for button in box.buttons()}
    assert buttons == {"restart_now": "立即重启", "restart_later": "稍后"}
    later = next(b for b in box.buttons() if b.objectName() == "restart_later")
    later.click()
    assert not start_again_if_asked()  # "Later": nothing is started
    # The language in use stays; choosing it again says nothing.
    assert menu.choose("zh-CN") is None
    assert core_i18n.current_language() == "zh-CN"


def test_the_language_setting_keeps_to_its_choices() -> None:
    settings = Settings()
    assert settings.interface_language == "system"  # the default
    with pytest.raises(ValueError, match="language must be one of"):
        settings.interface_language = "fr"
    settings.qsettings.setValue("interface/language", "klingon")  # a damaged file
    assert settings.interface_language == "system"


def test_the_cli_reads_the_windows_language_choice(tmp_path: Path) -> None:
    ini = tmp_path / "RadAssist.ini"
    ini.write_text("[interface]\nlanguage=zh-CN\n", encoding="utf-8")
    assert core_i18n.settings_language(ini) == "zh-CN"
    ini.write_text("[interface]\nlanguage=system\n", encoding="utf-8")
    assert core_i18n.settings_language(ini) is None


def test_restart_runs_the_same_app() -> None:
    command = restart_command()
    assert command[0] == sys.executable
    assert command[1:] == ["-m", "desktop"]
