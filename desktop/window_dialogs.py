"""The reading window's non-modal dialogs: kept while open, one of a kind where asked.

A dialog shown by the window (Settings → Models, the tag browser, ...) is non-modal and
deletes itself when closed; :class:`DialogKeeper` holds it while it is open, so that the
window can close them all when it closes, and so that asking again for a dialog of which
one is enough (Models, Reporting, Data Protection) raises the open one instead of making
a second.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QWidget

logger = logging.getLogger(__name__)

__all__ = ["DialogKeeper"]

_D = TypeVar("_D", bound=QWidget)


class DialogKeeper(QObject):
    """The open non-modal dialogs of a window.

    Parameters
    ----------
    parent : QObject, optional
        The window (owner of the keeper; each dialog is parented by whoever makes it).
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dialog_keeper")
        #: The dialogs open now, oldest first (a closed one leaves when it is deleted).
        self.open: list[QWidget] = []

    def keep(self, dialog: _D) -> _D:
        """Show ``dialog`` (deleted on close) and hold it while it is open."""
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        self.open.append(dialog)
        dialog.destroyed.connect(lambda *_: self._forget(dialog))
        dialog.show()
        dialog.raise_()
        return dialog

    def show_single(self, kind: type[_D], create: Callable[[], _D]) -> _D:
        """The open dialog of type ``kind``, raised; else ``create()``'s, shown and kept."""
        shown = next((d for d in self.open if isinstance(d, kind)), None)
        if shown is None:
            shown = self.keep(create())
        shown.raise_()
        shown.activateWindow()
        return shown

    def close_all(self) -> None:
        """Close every open dialog (the window is closing)."""
        for dialog in list(self.open):
            dialog.close()

    def _forget(self, dialog: QWidget) -> None:
        if dialog in self.open:
            self.open.remove(dialog)
