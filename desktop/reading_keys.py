"""Reading by keyboard alone, from the first second: focus, series keys, the browser's highlight.

* The active viewport takes the keyboard focus when its first image shows (unless the
  person is typing somewhere else: a text field, the report), and again when it becomes
  the active one — so Page Down, Home and End work without a click.
* Next / previous series (Ctrl+Page Down / Ctrl+Page Up, as tabs in most applications):
  the series after or before the active viewport's, in the browser's order, in that
  viewport.
* Go to Study Browser (Ctrl+Shift+B) puts the focus on the browser, on the row of the
  series shown; Enter opens the series under the cursor and returns to the viewer; Esc
  returns to the viewer without opening anything.
* The browser highlights the series of the active viewport, whichever way it changed
  (a click in another viewport, a layout change, a series dropped or stepped to).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

if TYPE_CHECKING:
    from desktop.main_window import MainWindow
    from desktop.viewer.viewport import Viewport
    from desktop.workers import JobHandle

logger = logging.getLogger(__name__)

__all__ = [
    "BROWSER_FOCUS_KEYS",
    "NEXT_SERIES_KEYS",
    "PREVIOUS_SERIES_KEYS",
    "ReadingKeys",
    "reading_shortcuts",
]

NEXT_SERIES_KEYS = "Ctrl+PgDown"
PREVIOUS_SERIES_KEYS = "Ctrl+PgUp"
BROWSER_FOCUS_KEYS = "Ctrl+Shift+B"
_TYPING = (QLineEdit, QTextEdit, QPlainTextEdit, QAbstractSpinBox)


def reading_shortcuts() -> list[tuple[str, str, str]]:
    """Keys that belong to no menu action, for Help → Keyboard Shortcuts: (group, keys, action)."""
    browser = QCoreApplication.translate("ReadingKeys", "Study browser")
    return [
        (browser, "Up / Down", QCoreApplication.translate("ReadingKeys", "Move between series")),
        (
            browser,
            "Enter",
            QCoreApplication.translate("ReadingKeys", "Open the series and go back to the image"),
        ),
        (browser, "Esc", QCoreApplication.translate("ReadingKeys", "Back to the image")),
        (
            QCoreApplication.translate("ReadingKeys", "Dialogs"),
            "Esc",
            QCoreApplication.translate("ReadingKeys", "Close the dialog"),
        ),
    ]


def _is_typing(widget: QWidget | None) -> bool:
    return isinstance(widget, _TYPING) and not getattr(widget, "isReadOnly", lambda: False)()


class ReadingKeys(QObject):
    """Keyboard focus and series navigation of a :class:`~desktop.main_window.MainWindow`."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        window.first_image_shown.connect(self._on_window_first_image_shown)
        window.grid.active_viewport_changed.connect(self._on_grid_active_viewport_changed)
        back = QShortcut(QKeySequence(Qt.Key.Key_Escape), window.browser.tree)
        back.setContext(Qt.ShortcutContext.WidgetShortcut)
        back.activated.connect(self.focus_viewer)
        window.browser.series_activated.connect(lambda _series: self.focus_viewer())

    # ------------------------------------------------------------------ public

    def focus_viewer(self) -> None:
        """Put the keyboard focus on the active viewport."""
        self._window.grid.active_viewport.setFocus(Qt.FocusReason.OtherFocusReason)

    def focus_browser(self) -> None:
        """Show the study browser and put the focus on the row of the series shown."""
        window = self._window
        window.browser_dock.show()
        window.browser_dock.raise_()
        self.follow_active_series()
        window.browser.tree.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def step_series(self, step: int) -> JobHandle | None:
        """Show the next (``step`` 1) or previous (-1) series in the active viewport."""
        window = self._window
        if window.index is None:
            return None
        series = list(window.index.all_series())
        if not series:
            return None
        # The highlighted series is the one shown, or the one a step just asked for
        # while it loads (so two quick steps go two series on).
        highlighted = window.browser.selected_series()
        volume = window.grid.active_viewport.volume
        current = highlighted or (volume.series if volume is not None else None)
        keys = [s.key for s in series]
        if current is None or current.key not in keys:
            target = 0 if step > 0 else len(series) - 1
        else:
            target = keys.index(current.key) + (1 if step > 0 else -1)
        if not 0 <= target < len(series):
            window.status_label.setText(
                self.tr("This is the last series")
                if step > 0
                else self.tr("This is the first series")
            )
            return None
        window.browser.select_series(series[target].key)
        return window.load_series(series[target])

    def follow_active_series(self) -> None:
        """Highlight the active viewport's series in the browser (none when it is empty)."""
        volume = self._window.grid.active_viewport.volume
        self._window.browser.select_series(volume.series.key if volume is not None else None)

    # ------------------------------------------------------------------ slots

    def _on_window_first_image_shown(self, viewport: Viewport) -> None:
        if viewport is not self._window.grid.active_viewport:
            return
        self.follow_active_series()
        focus = QApplication.focusWidget() or self._window.focusWidget()
        inside = focus is not None and self._window.isAncestorOf(focus)
        if not (_is_typing(focus) and inside) and not viewport.hasFocus():
            self.focus_viewer()

    def _on_grid_active_viewport_changed(self, viewport: Viewport) -> None:
        self.follow_active_series()
        if not viewport.hasFocus() and not _is_typing(QApplication.focusWidget()):
            viewport.setFocus(Qt.FocusReason.OtherFocusReason)
