"""File → Export View as PNG: the active view saved as an image, in the export folder.

Derived files are never written beside the source (house rule 6): a target inside the
open study's folder is refused with a banner (:func:`core.paths.export_folder_for` is
the one rule of where exports may go). The messages keep the "MainWindow" translation
context they had when this was part of the window.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QFileDialog

from core.errors import UsageError, describe_error
from core.paths import export_dir, export_folder_for

if TYPE_CHECKING:
    from desktop.main_window import MainWindow

logger = logging.getLogger(__name__)

__all__ = ["ask_and_export_view", "export_view"]


def export_view(window: MainWindow, path: str | os.PathLike[str] | None = None) -> Path | None:
    """Save the window's active view as a PNG; by default into the export folder.

    Returns the file written, or None when there was nothing to export or it could not
    be written (a banner says why).
    """
    viewport = window.grid.active_viewport
    if viewport.volume is None:
        window.notifications.notify(
            QCoreApplication.translate("MainWindow", "There is no image to export."),
            level="info",
            timeout_ms=4000,
        )
        return None
    target = Path(path) if path is not None else _unique(export_dir() / _export_name())
    if target.suffix.lower() != ".png":
        target = target.with_name(target.name + ".png")
    study = Path(window.study_path) if window.study_path is not None else None
    try:  # the one rule of where exports may go (house rule 6)
        export_folder_for(
            target.parent, [study if study.is_dir() else study.parent] if study else []
        )
    except (UsageError, OSError) as exc:
        window.notifications.notify(describe_error(exc), level="error")
        return None
    image = viewport.grab_view()
    if image.isNull() or not image.save(str(target)):  # PNG, from the suffix
        window.notifications.notify(
            QCoreApplication.translate(
                "MainWindow", "The view could not be saved to {path}."
            ).format(path=target),
            level="error",
        )
        return None
    window.status_label.setText(
        QCoreApplication.translate("MainWindow", "Exported the view to {path}").format(path=target)
    )
    logger.info("exported a view (%dx%d)", image.width(), image.height())
    return target


def ask_and_export_view(window: MainWindow) -> None:
    """Ask where (in the export folder by default), then export."""
    if window.grid.active_viewport.volume is None:
        export_view(window)  # says there is nothing to export
        return
    suggested = str(_unique(export_dir() / _export_name()))
    path, _ = QFileDialog.getSaveFileName(
        window,
        QCoreApplication.translate("MainWindow", "Export View as PNG"),
        suggested,
        QCoreApplication.translate("MainWindow", "PNG images (*.png)"),
    )
    if path:
        export_view(window, path)


def _export_name() -> str:
    return f"radassist-view-{datetime.now():%Y%m%d-%H%M%S}.png"


def _unique(path: Path) -> Path:
    candidate, number = path, 2
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")
        number += 1
    return candidate
