"""Exporting from the report panel: the Export button's menu and the PDF's key images.

The formats are :data:`EXPORTS` (what :func:`core.report.workflow.export_report` writes).
The key images of a PDF are the view as read and its heatmap, grabbed from the viewport
without the overlay text (no patient details burnt into the pixels), as
:class:`core.report.export.KeyImage` arrays (uint8 RGB); the viewport is left as it was.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Final

import numpy as np
from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtGui import QAction, QImage
from PySide6.QtWidgets import QMenu, QToolButton, QWidget

if TYPE_CHECKING:
    from core.report.export import KeyImage
    from desktop.viewer.viewport import Viewport

logger = logging.getLogger(__name__)

__all__ = ["EXPORTS", "ExportButton", "export_formats", "grab_key_images", "key_image"]


def export_formats() -> tuple[tuple[str, str], ...]:
    """Export formats: (kind, menu text in the interface language)."""
    return (
        ("text", QCoreApplication.translate("ReportExport", "Plain text")),
        ("pdf", QCoreApplication.translate("ReportExport", "PDF")),
        ("pdf_images", QCoreApplication.translate("ReportExport", "PDF with key images")),
        ("sr", QCoreApplication.translate("ReportExport", "DICOM structured report")),
    )


#: Export formats: (kind, menu text as the source says it).
EXPORTS: Final = export_formats()


class ExportButton(QToolButton):
    """ "Export", with a menu entry per format.

    Signals
    -------
    export_requested(str)
        The kind chosen (:data:`EXPORTS`).
    """

    export_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("report_export")
        self.setText(self.tr("Export"))
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.export_menu = QMenu(self)
        self.export_actions: dict[str, QAction] = {}
        for kind, text in export_formats():
            action = self.export_menu.addAction(text)
            action.setObjectName(f"report_export_{kind}")
            action.triggered.connect(lambda _=False, k=kind: self.export_requested.emit(k))
            self.export_actions[kind] = action
        self.setMenu(self.export_menu)


def key_image(caption: str, image: QImage) -> KeyImage:
    """A :class:`core.report.export.KeyImage` from a QImage (uint8 RGB)."""
    # Imported when exporting: the export module is the engine's, not the window's.
    from core.report.export import KeyImage  # lazy: not on the window's start-up path

    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height, stride = rgb.width(), rgb.height(), rgb.bytesPerLine()
    data = np.frombuffer(rgb.constBits(), dtype=np.uint8).reshape(height, stride)
    array = data[:, : width * 3].reshape(height, width, 3).copy()  # the QImage goes away
    return KeyImage(caption, array)


def grab_key_images(viewport: Viewport | None) -> list[Any]:
    """The current view and, when there is one, its heatmap, as export key images."""
    if viewport is None or viewport.volume is None:
        return []
    overlays = viewport.overlays_visible
    heatmap_on = viewport.heatmap_enabled
    has_heatmap = viewport.heatmap_frame is not None
    images = []
    try:
        viewport.set_overlays_visible(False)  # no patient text burnt into the images
        if has_heatmap:
            viewport.set_heatmap_visible(False)
        images.append(key_image("Image as viewed", viewport.grab_view()))
        if has_heatmap:
            viewport.set_heatmap_visible(True)
            if viewport.heatmap_visible:
                caption = viewport.heatmap_caption.replace("\n", " — ") or "AI heatmap"
                images.append(key_image(caption, viewport.grab_view()))
    finally:
        viewport.set_overlays_visible(overlays)
        if has_heatmap:
            viewport.set_heatmap_visible(heatmap_on)
    return images
