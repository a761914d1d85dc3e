"""The interface language and a font that shows it: applied once, before any window.

:func:`apply_interface_language` is what start-up calls (``desktop.app``): it installs
the app's merged catalogue (``resources/translations/radassist_<lang>.qm``, built by
``scripts/translations.py build`` from the per-area ``.ts`` files) and Qt's own
(``qtbase_<lang>.qm``: the standard buttons and file dialogs), sets the default QLocale
so numbers and dates format for the language, sets core's messages
(:mod:`core.i18n`) to the same language, and makes sure the application font has
Simplified Chinese glyphs (:func:`ensure_cjk_font`).

The language is the user's choice in Settings → Language (``system``, ``en``,
``zh-CN``); a change applies at the next start (:mod:`desktop.language_menu`).
"""

from __future__ import annotations

import logging
from typing import Final

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator
from PySide6.QtGui import QFont, QFontDatabase, QRawFont
from PySide6.QtWidgets import QApplication

from core import i18n as core_i18n
from core.resources import resource_path

logger = logging.getLogger(__name__)

__all__ = [
    "CJK_FAMILIES",
    "CJK_SAMPLE",
    "INTERFACE_LANGUAGES",
    "apply_interface_language",
    "ensure_cjk_font",
    "font_shows_chinese",
    "install_translations",
    "installed_language",
    "resolve_language",
]

#: What Settings → Language offers: the system's language, or one of ours.
INTERFACE_LANGUAGES: Final = ("system", *core_i18n.LANGUAGES)
#: Installed CJK families to fall back on, best first (Linux, Windows, macOS).
CJK_FAMILIES: Final = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "Microsoft YaHei UI",
    "PingFang SC",
    "Hiragino Sans GB",
    "Heiti SC",
    "SimHei",
    "Noto Sans SC",
    "Droid Sans Fallback",
)
#: Characters every Chinese screen of the app shows (words of the glossary).
CJK_SAMPLE: Final = "胸腔积液窗宽位检查序列报告设置"
#: The bundled font (Linux bundles: build.spec), loaded only when no installed family fits.
_BUNDLED_FONT: Final = ("fonts", "wqy-microhei.ttc")
_QM_STEM: Final = {"zh-CN": "zh_CN"}

_translators: list[QTranslator] = []
_installed: str = core_i18n.DEFAULT_LANGUAGE


def resolve_language(choice: str | None) -> str:
    """The interface language for a Settings choice: ``system`` becomes the system's.

    Parameters
    ----------
    choice : str or None
        ``system``, ``en`` or ``zh-CN`` (any spelling :func:`core.i18n.normalize_language`
        knows); None or an unknown value counts as ``system``.

    Returns
    -------
    str
        One of :data:`core.i18n.LANGUAGES`; English when the system's is neither.
    """
    chosen = core_i18n.normalize_language(choice) if choice != "system" else None
    if chosen is not None:
        return chosen
    for name in QLocale.system().uiLanguages():
        found = core_i18n.normalize_language(name)
        if found is not None:
            return found
    return core_i18n.DEFAULT_LANGUAGE


def _load(translator: QTranslator, path: str) -> bool:
    if translator.load(path):
        return True
    logger.warning("translation catalogue %s could not be loaded", path)
    return False


def install_translations(language: str) -> str:
    """Install the catalogues of ``language`` (removing any installed before).

    Parameters
    ----------
    language : str
        ``en`` or ``zh-CN``.

    Returns
    -------
    str
        The language installed: English when the app's catalogue is missing (logged:
        ``scripts/translations.py build`` makes it).
    """
    global _installed
    app = QCoreApplication.instance()
    if app is None:
        raise RuntimeError("install_translations needs a QApplication")
    for old in _translators:
        app.removeTranslator(old)
    _translators.clear()
    chosen = core_i18n.normalize_language(language) or core_i18n.DEFAULT_LANGUAGE
    stem = _QM_STEM.get(chosen)
    if stem is not None:
        ours = QTranslator(app)
        if _load(ours, str(resource_path("translations", f"radassist_{stem}.qm"))):
            qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
            qt = QTranslator(app)
            # Qt's own words (standard buttons, file dialogs); the app's win where both do.
            if qt.load(f"qtbase_{stem}", qt_dir):
                _translators.append(qt)
            else:
                logger.warning("Qt's %s catalogue is missing from %s", stem, qt_dir)
            _translators.append(ours)
        else:
            chosen = core_i18n.DEFAULT_LANGUAGE
    for translator in _translators:
        app.installTranslator(translator)
    QLocale.setDefault(QLocale(chosen.replace("-", "_")))
    core_i18n.set_language(chosen)
    _installed = chosen
    return chosen


def installed_language() -> str:
    """The language the interface runs in now."""
    return _installed


def font_shows_chinese(font: QFont) -> bool:
    """Whether ``font``'s own face (not a fallback) has a glyph for every :data:`CJK_SAMPLE` char.

    QRawFont is the one physical font Qt resolved for the family (QFontMetrics.inFontUcs4
    answers for the fallbacks too, so it says yes for a Latin-only face).
    """
    raw = QRawFont.fromFont(font)
    return raw.isValid() and all(raw.supportsCharacter(ord(ch)) for ch in CJK_SAMPLE)


def _family_shows_chinese(family: str) -> bool:
    systems = QFontDatabase.writingSystems(family)
    if QFontDatabase.WritingSystem.SimplifiedChinese not in systems:
        return False
    return font_shows_chinese(QFont(family))


def ensure_cjk_font(app: QApplication) -> str:
    """Give the application font a Simplified Chinese family, so no text shows as boxes.

    The default family is kept first when it has the glyphs; otherwise an installed CJK
    family (:data:`CJK_FAMILIES`) is added after it (Latin text keeps the default face),
    else the bundled font is loaded. Returns the family that shows Chinese ("" when
    none does: logged).
    """
    font = app.font()
    shown = next((f for f in font.families() if _family_shows_chinese(f)), "")
    if shown or font_shows_chinese(font):
        return shown or font.family()
    installed = set(QFontDatabase.families())
    family = next((f for f in CJK_FAMILIES if f in installed and _family_shows_chinese(f)), "")
    if not family:
        bundled = resource_path(*_BUNDLED_FONT)
        if bundled.is_file():
            font_id = QFontDatabase.addApplicationFont(str(bundled))
            loaded = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
            family = next((f for f in loaded if _family_shows_chinese(f)), "")
    if not family:
        logger.warning("no font with Simplified Chinese glyphs is installed or bundled")
        return ""
    font.setFamilies([font.family(), family])
    app.setFont(font)
    logger.info("Chinese text uses the font family %s", family)
    return family


def apply_interface_language(app: QApplication, choice: str | None) -> str:
    """Start-up's one call, before any window: catalogues, locale, core's language, font.

    Parameters
    ----------
    app : QApplication
    choice : str or None
        Settings → Language: ``system``, ``en`` or ``zh-CN``.

    Returns
    -------
    str
        The interface language now in force.
    """
    language = install_translations(resolve_language(choice))
    # In English too: patient names and Chinese reports show in the window whatever its language.
    ensure_cjk_font(app)
    return language
