"""Non-modal notification banners at the top of the window (house rule 5).

A bad file or series must not interrupt the reading: the window says what went wrong in
a banner (a summary line, details on demand) and everything else keeps working. Banners
stay until dismissed, except ``info`` ones given a timeout. A banner about the window
rather than the study (a damaged install) is ``persistent``: closing the study keeps it.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from core.dicom.records import UnreadableFile

logger = logging.getLogger(__name__)

__all__ = ["LEVELS", "Notification", "NotificationArea", "summarize_unreadable"]

#: Levels and their banner colours (background, border).
LEVELS = {
    "info": ("#e8f1fb", "#6a9fd8"),
    "warning": ("#fff6dd", "#d9a82b"),
    "error": ("#fde8e6", "#d0574b"),
}
_MAX_DETAIL_LINES = 2000


def summarize_unreadable(
    unreadable: Sequence[UnreadableFile], what: str = "file"
) -> tuple[str, list[str]]:
    """A one-line summary ("3 files could not be read: 2 truncated...") and detail lines.

    Reasons are grouped by their text after the file name, most frequent first, so the
    summary says why without listing every file. ``what`` is "file" or "image"; the summary
    is in the interface language (the reasons as core gives them).
    """
    count = len(unreadable)
    reasons = Counter(_short_reason(u.reason) for u in unreadable)
    common = ", ".join(
        f"{reason} ({n})" if n > 1 else reason for reason, n in reasons.most_common(3)
    )
    if len(reasons) > 3:
        common += QCoreApplication.translate("Notifications", ", and {count} other reasons").format(
            count=len(reasons) - 3
        )
    if what == "image":
        if count == 1:
            summary = QCoreApplication.translate(
                "Notifications", "1 image could not be read: {reasons}"
            )
        else:
            summary = QCoreApplication.translate(
                "Notifications", "{count} images could not be read: {reasons}"
            )
    elif count == 1:
        summary = QCoreApplication.translate("Notifications", "1 file could not be read: {reasons}")
    else:
        summary = QCoreApplication.translate(
            "Notifications", "{count} files could not be read: {reasons}"
        )
    summary = summary.format(count=count, reasons=common)
    details = [f"{u.ref.display_name}: {u.reason}" for u in unreadable]
    return summary, details


def _short_reason(reason: str) -> str:
    unknown = QCoreApplication.translate("Notifications", "unknown reason")
    first = reason.strip().splitlines()[0] if reason.strip() else unknown
    return first if len(first) <= 80 else first[:77] + "..."


class Notification(QFrame):
    """One banner: icon-coloured frame, summary, optional details, dismiss button."""

    dismissed = Signal()

    def __init__(
        self,
        text: str,
        details: Sequence[str] = (),
        level: str = "warning",
        parent: QWidget | None = None,
        *,
        persistent: bool = False,
    ) -> None:
        if level not in LEVELS:
            raise ValueError(f"level must be one of {sorted(LEVELS)}, not {level!r}")
        super().__init__(parent)
        self.level = level
        self.persistent = bool(persistent)
        self.setObjectName(f"notification_{level}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        background, border = LEVELS[level]
        self.setStyleSheet(
            f"Notification {{ background: {background}; border: 1px solid {border};"
            " border-radius: 3px; } QLabel { color: #202020; }"
        )
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

        self.label = QLabel(text)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details_button = QToolButton()
        self.details_button.setText(self.tr("Details"))
        self.details_button.setCheckable(True)
        self.details_button.setVisible(bool(details))
        self.close_button = QToolButton()
        self.close_button.setText("✕")
        self.close_button.setToolTip(self.tr("Dismiss"))
        self.close_button.setAutoRaise(True)

        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        lines = list(details)
        if len(lines) > _MAX_DETAIL_LINES:
            more = self.tr("... and {count} more").format(count=len(lines) - _MAX_DETAIL_LINES)
            lines = [*lines[:_MAX_DETAIL_LINES], more]
        self.details.setPlainText("\n".join(lines))
        self.details.setMaximumHeight(160)
        self.details.setVisible(False)

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.label, 1)
        top.addWidget(self.details_button)
        top.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.details)

        self.details_button.toggled.connect(self._on_details_toggled)
        self.close_button.clicked.connect(self.dismiss)

    @property
    def text(self) -> str:
        return self.label.text()

    @property
    def detail_lines(self) -> list[str]:
        text = self.details.toPlainText()
        return text.splitlines() if text else []

    def set_expanded(self, expanded: bool) -> None:
        self.details_button.setChecked(expanded)

    @property
    def expanded(self) -> bool:
        return self.details.isVisibleTo(self)

    def dismiss(self) -> None:
        self.hide()
        self.dismissed.emit()
        self.deleteLater()

    def _on_details_toggled(self, checked: bool) -> None:
        self.details.setVisible(checked)
        self.details_button.setText(self.tr("Hide details") if checked else self.tr("Details"))


class NotificationArea(QWidget):
    """A column of banners, newest at the bottom; hidden when empty."""

    notified = Signal(object)  # the Notification

    #: Banners beyond this many make the oldest go.
    MAX_VISIBLE = 4

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("notification_area")
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(4, 4, 4, 0)
        self._layout.setSpacing(4)
        self._items: list[Notification] = []
        self.setVisible(False)

    @property
    def notifications(self) -> list[Notification]:
        """The banners showing now, oldest first."""
        return list(self._items)

    def notify(
        self,
        text: str,
        details: Sequence[str] = (),
        level: str = "warning",
        timeout_ms: int | None = None,
        *,
        persistent: bool = False,
    ) -> Notification:
        """Show a banner; ``timeout_ms`` dismisses it by itself after that long.

        A ``persistent`` banner stays through :meth:`clear` (a study closing) and is the
        last to go when too many show; the person can still dismiss it.
        """
        item = Notification(text, details, level, self, persistent=persistent)
        item.dismissed.connect(lambda: self._on_item_dismissed(item))
        self._items.append(item)
        self._layout.addWidget(item)
        while len(self._items) > self.MAX_VISIBLE:
            oldest = next((n for n in self._items if not n.persistent), self._items[0])
            self._items.remove(oldest)
            oldest.dismiss()
        self.setVisible(True)
        if timeout_ms is not None:
            QTimer.singleShot(timeout_ms, item, item.dismiss)
        log = logger.warning if level in ("warning", "error") else logger.info
        log("notification (%s): %d detail lines", level, len(details))  # text may name files
        self.notified.emit(item)
        return item

    def notify_unreadable(
        self, unreadable: Sequence[UnreadableFile], what: str = "file"
    ) -> Notification | None:
        """A warning banner listing files that could not be read, with reasons."""
        if not unreadable:
            return None
        summary, details = summarize_unreadable(unreadable, what)
        return self.notify(summary, details, "warning")

    def clear(self) -> None:
        """Dismiss every banner but the persistent ones."""
        for item in list(self._items):
            if not item.persistent:
                item.dismiss()

    def _on_item_dismissed(self, item: Notification) -> None:
        if item in self._items:
            self._items.remove(item)
        if not self._items:
            self.setVisible(False)
