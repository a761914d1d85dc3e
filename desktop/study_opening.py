"""Opening studies in the reading window: Open Folder, Open DICOMDIR or ZIP, drops, recent.

Each way of choosing a study ends in :meth:`desktop.main_window.MainWindow.open_path`,
which scans it in the background. The recent-studies list (File → Recent Studies) is
kept here too: a study joins it when its scan succeeds, and leaves it when it is gone.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QFileDialog

if TYPE_CHECKING:
    from desktop.main_window import MainWindow
    from desktop.workers import JobHandle

logger = logging.getLogger(__name__)

__all__ = [
    "accept_drag",
    "ask_and_open_file",
    "ask_and_open_folder",
    "clear_recent_studies",
    "dropped_paths",
    "open_dropped",
    "open_recent",
    "rebuild_recent_menu",
]


def ask_and_open_folder(window: MainWindow) -> None:
    """File → Open Folder: ask for a folder, remember where, open it."""
    title = QCoreApplication.translate("StudyOpening", "Open Folder")
    folder = QFileDialog.getExistingDirectory(window, title, window.settings.last_folder)
    if folder:
        window.settings.last_folder = folder
        window.open_path(folder)


def ask_and_open_file(window: MainWindow) -> None:
    """File → Open DICOMDIR or ZIP: ask for the file, remember its folder, open it."""
    path, _ = QFileDialog.getOpenFileName(
        window,
        QCoreApplication.translate("StudyOpening", "Open DICOMDIR or ZIP"),
        window.settings.last_folder,
        QCoreApplication.translate(
            "StudyOpening", "DICOMDIR or ZIP (DICOMDIR dicomdir *.zip);;All files (*)"
        ),
    )
    if path:
        window.settings.last_folder = os.path.dirname(path)
        window.open_path(path)


def dropped_paths(event: QDragEnterEvent | QDropEvent) -> list[str]:
    """The local files and folders a drag carries."""
    mime = event.mimeData()
    if mime is None or not mime.hasUrls():
        return []
    return [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]


def accept_drag(event: QDragEnterEvent) -> None:
    """Accept a drag that carries at least one existing file or folder."""
    if any(os.path.exists(p) for p in dropped_paths(event)):
        event.acceptProposedAction()
    else:
        event.ignore()


def open_dropped(window: MainWindow, event: QDropEvent) -> None:
    """Open what was dropped; of several items the first is opened, and a banner says so."""
    paths = [p for p in dropped_paths(event) if os.path.exists(p)]
    if not paths:
        event.ignore()
        return
    event.acceptProposedAction()
    if len(paths) > 1:
        window.notifications.notify(
            QCoreApplication.translate(
                "StudyOpening", "{count} items were dropped; opening the first, {path}."
            ).format(count=len(paths), path=paths[0]),
            level="info",
            timeout_ms=6000,
        )
    window.open_path(paths[0])


def open_recent(window: MainWindow, path: str) -> JobHandle | None:
    """Open a study from the recent list; a path that is gone leaves the list."""
    if not os.path.exists(path):
        window.settings.remove_recent_study(path)
        rebuild_recent_menu(window)
        window.notifications.notify(
            QCoreApplication.translate(
                "StudyOpening", "{path} is no longer there; it was removed from the recent studies."
            ).format(path=path),
            level="warning",
        )
        return None
    return window.open_path(path)


def rebuild_recent_menu(window: MainWindow) -> None:
    """List the recent studies (newest first) in File → Recent Studies."""
    window.recent_menu.clear()
    recent = window.settings.recent_studies
    for number, path in enumerate(recent, start=1):
        action = window.recent_menu.addAction(f"&{number % 10} {path}")
        action.setData(path)
        action.triggered.connect(lambda _=False, p=path: window.open_recent(p))
    if recent:
        window.recent_menu.addSeparator()
    window.recent_menu.addAction(window.clear_recent_action)
    window.clear_recent_action.setEnabled(bool(recent))


def clear_recent_studies(window: MainWindow) -> None:
    """File → Recent Studies → Clear."""
    window.settings.recent_studies = []
    rebuild_recent_menu(window)
