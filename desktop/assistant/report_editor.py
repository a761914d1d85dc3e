"""The report's editor: plain text, heading lines a person cannot change by accident.

The text means what :mod:`desktop.assistant.report_layout` says it means (Qt-free); this
widget gathers keys and paints. The report panel (:mod:`desktop.assistant.report_panel`)
holds one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QHelpEvent,
    QInputMethodEvent,
    QKeyEvent,
    QKeySequence,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtWidgets import QTextEdit, QToolTip, QWidget

from core.report.document import Section
from desktop.assistant.report_layout import heading_line_numbers

logger = logging.getLogger(__name__)

__all__ = ["ReportEditor"]


class _HeadingHighlighter(QSyntaxHighlighter):
    """Heading lines bold and a little larger (formatting only: the text stays plain)."""

    def __init__(self, document: QTextDocument, editor: ReportEditor) -> None:
        super().__init__(document)
        self._editor = editor
        self._format = QTextCharFormat()
        self._format.setFontWeight(QFont.Weight.Bold)
        self._format.setForeground(QColor(40, 80, 140))

    def highlightBlock(self, text: str) -> None:  # noqa: N802 - Qt override
        block = self.currentBlock()
        if block.blockNumber() in self._editor.heading_blocks():
            self.setFormat(0, len(text), self._format)


class ReportEditor(QTextEdit):
    """The report's text: plain, with heading lines a person cannot change by accident.

    Keys that would change a heading line (typing in it, deleting into it from the line
    before or after, a selection across it, Enter on it) are ignored; moving through it
    is not. A tooltip says, for the sentence under the mouse, who wrote it, whether it was
    reviewed, and why the grounding check questions it.
    """

    heading_edit_refused = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("report_editor")
        self.setAcceptRichText(False)
        self.setTabChangesFocus(True)
        self._language = "en"
        self._headings_cache: tuple[str, dict[int, Section]] | None = None
        self.tooltip_provider: Callable[[int], str] | None = None
        self._highlighter = _HeadingHighlighter(self.document(), self)

    def set_language(self, language: str) -> None:
        if language != self._language:
            self._language = language
            self._headings_cache = None
            self._highlighter.rehighlight()

    def heading_blocks(self) -> dict[int, Section]:
        """Block (line) number → section of each heading line."""
        text = self.toPlainText()
        if self._headings_cache is None or self._headings_cache[0] != text:
            self._headings_cache = (text, heading_line_numbers(text, self._language))
        return self._headings_cache[1]

    def _would_change_heading(self, event: QKeyEvent) -> bool:
        key = event.key()
        deleting = key in (Qt.Key.Key_Backspace, Qt.Key.Key_Delete) or event.matches(
            QKeySequence.StandardKey.Cut
        )
        breaking = key in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        pasting = event.matches(QKeySequence.StandardKey.Paste)
        modifiers = event.modifiers() & ~Qt.KeyboardModifier.ShiftModifier
        typing = bool(event.text()) and event.text().isprintable() and not modifiers
        if not (deleting or breaking or pasting or typing):
            return False
        cursor = self.textCursor()
        return self._touches_heading(
            cursor, backspace=key == Qt.Key.Key_Backspace, delete=(key == Qt.Key.Key_Delete)
        )

    def _touches_heading(
        self, cursor: QTextCursor, *, backspace: bool = False, delete: bool = False
    ) -> bool:
        headings = self.heading_blocks()
        document = self.document()
        if cursor.hasSelection():
            first = document.findBlock(cursor.selectionStart()).blockNumber()
            last = document.findBlock(cursor.selectionEnd()).blockNumber()
            return any(first <= number <= last for number in headings)
        block = cursor.block()
        number = block.blockNumber()
        if number in headings:
            return True
        if backspace and cursor.position() == block.position():
            return number - 1 in headings
        if delete and cursor.position() == block.position() + block.length() - 1:
            return number + 1 in headings
        return False

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if not self.isReadOnly() and self._would_change_heading(event):
            event.accept()
            self.heading_edit_refused.emit()
            return
        super().keyPressEvent(event)

    def inputMethodEvent(self, event: QInputMethodEvent) -> None:  # noqa: N802 - Qt override
        # Chinese (and other) text arrives committed by the input method, not as keys.
        if (
            not self.isReadOnly()
            and event.commitString()
            and self._touches_heading(self.textCursor())
        ):
            event.accept()
            self.heading_edit_refused.emit()
            return
        super().inputMethodEvent(event)

    def insertFromMimeData(self, source: Any) -> None:  # noqa: N802 - Qt override
        if self._touches_heading(self.textCursor()):
            self.heading_edit_refused.emit()
            return
        super().insertFromMimeData(source)

    def viewportEvent(self, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            text = ""
            if self.tooltip_provider is not None:
                position = self.cursorForPosition(event.pos()).position()
                text = self.tooltip_provider(position)
            if text:
                QToolTip.showText(event.globalPos(), text, self.viewport())
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().viewportEvent(event)
