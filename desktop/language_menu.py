"""Settings → Language: the system's language, English or 简体中文, from the next start.

The choice is stored at once (:attr:`desktop.settings.Settings.interface_language`); the
window says that it applies at the next start and offers to restart now. A restart is
clean: the window closes the way it always does (its close event saves the settings and
the open report, and may be refused), start-up's :func:`desktop.app.run_app` stops the
jobs and child processes, and only then starts the app again
(:func:`start_again_if_asked`).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from typing import Final

from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMenu, QMessageBox, QWidget

from core.i18n import LANGUAGE_VARIABLE
from desktop.i18n import installed_language, resolve_language
from desktop.settings import INTERFACE_LANGUAGES, Settings

logger = logging.getLogger(__name__)

__all__ = ["LanguageMenu", "restart_command", "start_again_if_asked"]

# Each language's name in itself, so a person who cannot read the current one finds theirs.
NATIVE_NAMES: Final = {"en": "English", "zh-CN": "简体中文"}

_restart_asked = False


class LanguageMenu(QMenu):
    """The Language submenu of Settings: one checkable item per choice.

    Parameters
    ----------
    settings : Settings
    parent : QWidget
        The main window (closed by "Restart Now").
    """

    def __init__(self, settings: Settings, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("language_menu")
        self._settings = settings
        self._window = parent
        self.setTitle(self.tr("&Language"))
        group = QActionGroup(self)
        group.setExclusive(True)
        self.language_actions: dict[str, QAction] = {}
        for choice in INTERFACE_LANGUAGES:
            text = self.tr("System Default") if choice == "system" else NATIVE_NAMES[choice]
            action = QAction(text, self, checkable=True)
            action.setObjectName(f"language_{choice}")
            action.setChecked(choice == settings.interface_language)
            action.triggered.connect(lambda _=False, c=choice: self.choose(c))
            group.addAction(action)
            self.addAction(action)
            self.language_actions[choice] = action
        self.restart_box: QMessageBox | None = None

    def choose(self, choice: str) -> QMessageBox | None:
        """Store ``choice``; when it changes the language, say so and offer a restart.

        Returns the message box shown (None when the language in use stays the same).
        """
        self._settings.interface_language = choice
        self._settings.sync()
        self.language_actions[choice].setChecked(True)
        language = resolve_language(choice)
        if language == installed_language():
            return None
        box = QMessageBox(self._window)
        box.setIcon(QMessageBox.Icon.Information)
        box.setWindowTitle(self.tr("Language"))
        box.setText(
            self.tr("The interface will be in {language} the next time RadAssist starts.").format(
                language=NATIVE_NAMES[language]
            )
        )
        box.setInformativeText(
            self.tr("Restart now to switch; an open report is saved as a draft first.")
        )
        restart = box.addButton(self.tr("Restart Now"), QMessageBox.ButtonRole.AcceptRole)
        restart.setObjectName("restart_now")
        later = box.addButton(self.tr("Later"), QMessageBox.ButtonRole.RejectRole)
        later.setObjectName("restart_later")
        box.setDefaultButton(later)
        box.buttonClicked.connect(lambda button: self._on_box_clicked(button is restart))
        self.restart_box = box
        box.open()
        return box

    def _on_box_clicked(self, restart: bool) -> None:
        if restart:
            ask_restart(self._window)


def ask_restart(window: QWidget) -> bool:
    """Close ``window`` and start the app again once it has shut down; False if the
    window refused to close (its own question was cancelled)."""
    global _restart_asked
    _restart_asked = True
    if window.close():
        return True
    _restart_asked = False
    return False


def restart_command() -> list[str]:
    """The command that starts the window again: the frozen app itself, or ``python -m desktop``."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-m", "desktop"]


def start_again_if_asked() -> bool:
    """Start the app again if "Restart Now" closed it (start-up calls this after shutdown)."""
    global _restart_asked
    if not _restart_asked:
        return False
    _restart_asked = False
    try:
        # Not this process's RADASSIST_LANG (core.i18n exports the old language for children).
        environment = {k: v for k, v in os.environ.items() if k != LANGUAGE_VARIABLE}
        subprocess.Popen(restart_command(), env=environment, start_new_session=True)
    except OSError as error:
        logger.warning("the app could not start again: %s", error.strerror or error)
        return False
    return True
