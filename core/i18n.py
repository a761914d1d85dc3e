"""Translated messages of core and the command line (stdlib gettext; no Qt).

One mechanism for the whole engine: a message is written in English inside ``_()``
(or ``ngettext()`` when it counts something) at the point where the text is made, and
comes out in the current language. The catalogue is
``resources/translations/<lang>/core.po``, compiled to ``core.mo`` by
``scripts/translations.py build`` (the compiled file is built, never committed). The
desktop sets the language to its interface language at start-up; the CLI takes it from
``--lang``, ``RADASSIST_LANG``, the window's Settings → Language, or the system locale.

Logs stay English (they are for IT): translate only what a person reads on screen.
Messages keep named placeholders, formatted after translation:
``_("{count} files unreadable").format(count=n)``, never an f-string inside ``_()``.

Examples
--------
>>> from core.i18n import _, set_language
>>> _("ok")
'ok'
"""

from __future__ import annotations

import configparser
import gettext
import locale
import logging
import os
import sys
from pathlib import Path
from typing import Final

from core.resources import resources_dir

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LANGUAGE_VARIABLE",
    "N_",
    "_",
    "catalogue_path",
    "current_language",
    "install_argparse_translations",
    "language_from_environment",
    "ngettext",
    "normalize_language",
    "set_language",
    "settings_language",
]

#: The interface languages, as BCP 47 tags (what settings and ``--lang`` store).
LANGUAGES: Final = ("en", "zh-CN")
DEFAULT_LANGUAGE: Final = "en"
#: The environment variable that chooses the CLI's language (``en`` or ``zh-CN``).
LANGUAGE_VARIABLE: Final = "RADASSIST_LANG"
#: The gettext domain: resources/translations/<lang>/core.po (and its compiled core.mo).
DOMAIN: Final = "core"
#: The Settings key the window stores the interface language under ("system", "en", "zh-CN").
SETTINGS_KEY: Final = ("interface", "language")
#: The folder under resources/translations of each language's catalogues.
_FOLDERS: Final = {"zh-CN": "zh_CN"}

_translations: gettext.NullTranslations = gettext.NullTranslations()
_language: str = DEFAULT_LANGUAGE


def normalize_language(value: str | None) -> str | None:
    """``value`` as one of :data:`LANGUAGES`, or None when it names neither.

    Accepts the spellings people and systems use: ``zh-CN``, ``zh_CN``, ``zh``,
    ``zh_CN.UTF-8``, ``zh-Hans``, ``zh-Hans-CN``; ``en``, ``en_US``, ``C``, ``POSIX``.
    """
    if not value:
        return None
    text = value.strip().split(".")[0].split("@")[0].replace("_", "-").lower()
    if text in ("c", "posix") or text == "en" or text.startswith("en-"):
        return "en"
    if text == "zh" or text.startswith(("zh-cn", "zh-hans", "zh-sg")):
        return "zh-CN"
    return None


def catalogue_path(language: str) -> Path | None:
    """The compiled catalogue (``core.mo``) of ``language``; None for English (the source)."""
    folder = _FOLDERS.get(language)
    return None if folder is None else resources_dir() / "translations" / folder / f"{DOMAIN}.mo"


def set_language(language: str | None, *, export: bool = True) -> str:
    """Make ``language`` the language of every message made from now on.

    Parameters
    ----------
    language : str or None
        ``en``, ``zh-CN`` or another spelling :func:`normalize_language` knows; None or
        an unknown value gives English.
    export : bool
        Also set ``RADASSIST_LANG``, so the child processes started from now on (decoder
        workers, the analysis process) make their messages in the same language. Children
        fork from a fork server that keeps the environment it started with: set the
        language before the first child starts (start-up does; it changes at a restart).

    Returns
    -------
    str
        The language now in force: English when the catalogue is missing (logged).
    """
    global _translations, _language
    if language is not None and not isinstance(language, str):
        raise TypeError(f"language must be a str or None, not {type(language).__name__}")
    chosen = normalize_language(language) or DEFAULT_LANGUAGE
    path = catalogue_path(chosen)
    translations: gettext.NullTranslations = gettext.NullTranslations()
    if path is not None:
        try:
            with path.open("rb") as stream:
                translations = gettext.GNUTranslations(stream)
        except OSError as error:
            logger.warning(
                "no %s catalogue (%s): messages stay English; run scripts/translations.py build",
                chosen,
                error.strerror or error,
            )
            chosen = DEFAULT_LANGUAGE
    _translations, _language = translations, chosen
    if export:
        os.environ[LANGUAGE_VARIABLE] = chosen
    return chosen


def current_language() -> str:
    """The language messages are made in now (one of :data:`LANGUAGES`)."""
    return _language


def _(message: str) -> str:
    """``message`` in the current language (itself when untranslated)."""
    return _translations.gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The form of a counted message for ``count``, in the current language."""
    return _translations.ngettext(singular, plural, count)


def N_(message: str) -> str:  # noqa: N802 - gettext's conventional name
    """Mark ``message`` for the catalogue without translating it (translated where shown)."""
    return message


def settings_file() -> Path:
    """Where the window keeps its settings (Qt's user-scope ini file for RadAssist).

    Qt's rule for ``QSettings(IniFormat, UserScope, "RadAssist", "RadAssist")``: on
    Windows under ``%APPDATA%``, elsewhere under ``$XDG_CONFIG_HOME`` (``~/.config``).
    """
    if sys.platform == "win32" and os.environ.get("APPDATA"):
        base = Path(os.environ["APPDATA"])
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "RadAssist" / "RadAssist.ini"


def settings_language(path: Path | None = None) -> str | None:
    """The interface language chosen in the window's Settings → Language, if any.

    None when the file, the key or a known value is missing, or it says "system".
    """
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path or settings_file(), encoding="utf-8")
        value = parser.get(*SETTINGS_KEY, fallback="")
    except (OSError, configparser.Error, UnicodeDecodeError, RuntimeError):
        return None
    return normalize_language(value)


def system_language() -> str | None:
    """The language of the system locale (``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``)."""
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable)
        if value:
            return normalize_language(value.split(":")[0])
    try:
        found = locale.getlocale()[0]
    except ValueError:
        return None
    return normalize_language(found)


def language_from_environment() -> str:
    """The CLI's language: ``RADASSIST_LANG``, else Settings → Language, else the system's."""
    return (
        normalize_language(os.environ.get(LANGUAGE_VARIABLE))
        or settings_language()
        or system_language()
        or DEFAULT_LANGUAGE
    )


#: argparse's own words, as Python 3.11 spells them, for the catalogue (the CLI's help).
ARGPARSE_MESSAGES: Final = (
    N_("usage: "),
    N_("positional arguments"),
    N_("options"),
    N_("show this help message and exit"),
    N_("the following arguments are required: %s"),
    N_("unrecognized arguments: %s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("expected one argument"),
    N_("invalid %(type)s value: %(value)r"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("not allowed with argument %s"),
    N_("one of the arguments %s is required"),
)


def install_argparse_translations() -> None:
    """Make argparse's own words ("usage:", "options", its errors) follow :func:`_`.

    argparse looks its ``_`` and ``ngettext`` up as module globals when it formats, so
    pointing them at this module's functions translates help and errors of every parser.
    """
    import argparse

    argparse._ = _  # type: ignore[attr-defined]
    argparse.ngettext = ngettext  # type: ignore[attr-defined]


# A child process (a decoder worker, the analysis process) speaks its parent's language.
if normalize_language(os.environ.get(LANGUAGE_VARIABLE)) not in (None, DEFAULT_LANGUAGE):
    set_language(os.environ[LANGUAGE_VARIABLE], export=False)
