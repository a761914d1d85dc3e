"""The report's editor: plain text, heading lines a person cannot change by accident.

The text means what :mod:`desktop.assistant.report_layout` says it means (Qt-free); this
widget gathers keys and paints. It knows where each sentence of the report it shows
lies in its text (UTF-16 document positions, what Qt counts in), shades unreviewed
engine text and underlines grounding conflicts, and tells a person's typing apart
from the text the panel writes (:meth:`ReportEditor.quietly`). The report panel
(:mod:`desktop.assistant.report_panel`) holds one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from typing import Any, Final

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
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

from core.report.document import Report, Section
from desktop.assistant.report_layout import (
    SentenceSpan,
    heading_line_numbers,
    locate_sentences,
    section_body_ranges,
    utf16_offsets,
)

logger = logging.getLogger(__name__)

__all__ = [
    "CONFLICT_BACKGROUND",
    "CONFLICT_UNDERLINE",
    "EDIT_PAUSE_MS",
    "UNREVIEWED_BACKGROUND",
    "ReportEditor",
]

#: A person's typing is taken into the report after this pause (:attr:`typing_paused`).
EDIT_PAUSE_MS: Final = 300
UNREVIEWED_BACKGROUND: Final = QColor(255, 233, 168)
CONFLICT_BACKGROUND: Final = QColor(255, 208, 208)
CONFLICT_UNDERLINE: Final = QColor(200, 30, 30)


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
    #: A person changed the text (not the panel: see :meth:`quietly`).
    text_edited = Signal()
    #: A person stopped typing for :data:`EDIT_PAUSE_MS`: time to :meth:`take_edits`.
    typing_paused = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("report_editor")
        self.setAcceptRichText(False)
        self.setTabChangesFocus(True)
        self._language = "en"
        self._headings_cache: tuple[str, dict[int, Section]] | None = None
        self.tooltip_provider: Callable[[int], str] | None = None
        self._highlighter = _HeadingHighlighter(self.document(), self)
        self._quiet = 0
        self._edited = False  # a person changed the text since take_edits()
        self._pause_timer = QTimer(self)
        self._pause_timer.setSingleShot(True)
        self._pause_timer.setInterval(EDIT_PAUSE_MS)
        self._pause_timer.timeout.connect(self.typing_paused)
        self._spans: tuple[SentenceSpan, ...] = ()
        self._offsets: list[int] | None = None  # UTF-16 positions when they differ
        self._marks: list[QTextEdit.ExtraSelection] = []
        self._marked: dict[str, str] = {}  # sentence id → "conflict" or "unreviewed"
        self.textChanged.connect(self._on_text_changed)

    # -- the panel's changes ----------------------------------------------------------------

    @contextmanager
    def quietly(self) -> Iterator[None]:
        """Changes made inside are the panel's, not a person's: no :attr:`text_edited`."""
        self._quiet += 1
        try:
            yield
        finally:
            self._quiet -= 1

    def _on_text_changed(self) -> None:
        if not self._quiet:
            self._edited = True
            self._pause_timer.start()
            self.text_edited.emit()

    def take_edits(self) -> str | None:
        """The text, when a person changed it since the last call (else None)."""
        if not self._edited:
            return None
        self._edited = False
        self._pause_timer.stop()
        return self.toPlainText()

    def show_text(self, text: str, language: str | None = None) -> None:
        """Replace the whole text (and, given, the language its headings are in), quietly.

        What a person typed and nobody took is gone with it.
        """
        with self.quietly():
            if language is not None:
                self.set_language(language)
            self.setPlainText(text)
        self._edited = False

    def remove_range(self, start: int, end: int) -> None:
        """Remove ``[start, end)`` (document positions), quietly."""
        cursor = QTextCursor(self.document())
        with self.quietly():
            cursor.setPosition(start)
            cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
            cursor.removeSelectedText()

    def insert_text(self, position: int, text: str) -> int:
        """Insert ``text`` at ``position`` (or the end), quietly; the position after it.

        The cursor follows the text and the editor scrolls to it.
        """
        cursor = QTextCursor(self.document())
        with self.quietly():
            cursor.setPosition(min(position, self.document().characterCount() - 1))
            cursor.insertText(text)
        end = cursor.position()
        self.setTextCursor(cursor)
        self.ensureCursorVisible()
        return end

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

    # -- where the report's sentences lie ---------------------------------------------------

    @property
    def spans(self) -> tuple[SentenceSpan, ...]:
        """Where each sentence shown lies (string indices: see :meth:`to_document`)."""
        return self._spans

    def to_document(self, index: int) -> int:
        """The document (UTF-16) position of an index of the text the spans were found in."""
        offsets = self._offsets
        return index if offsets is None else offsets[index]

    def show_sentences(
        self, report: Report | None, conflicted: Collection[str | None] = ()
    ) -> None:
        """Find ``report``'s sentences in the text; shade unreviewed engine text and
        underline the ``conflicted`` sentences."""
        text = self.toPlainText()
        self._offsets = utf16_offsets(text)
        self._spans = locate_sentences(text, report) if report is not None else ()
        selections: list[QTextEdit.ExtraSelection] = []
        self._marked = {}
        if report is not None:
            by_id = {s.id: s for s in report.sentences()}
            for span in self._spans:
                sentence = by_id.get(span.sentence_id)
                if sentence is None:
                    continue
                if span.sentence_id not in conflicted and not sentence.needs_review:
                    continue
                fmt = QTextCharFormat()
                if span.sentence_id in conflicted:
                    self._marked[span.sentence_id] = "conflict"
                    fmt.setBackground(CONFLICT_BACKGROUND)
                    fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
                    fmt.setUnderlineColor(CONFLICT_UNDERLINE)
                else:
                    self._marked[span.sentence_id] = "unreviewed"
                    fmt.setBackground(UNREVIEWED_BACKGROUND)
                start, end = self.to_document(span.start), self.to_document(span.end)
                selections.append(self._selection(start, end, fmt))
        self._marks = selections
        self.setExtraSelections(selections)

    def marked_sentences(self) -> dict[str, str]:
        """Sentence id → "conflict" or "unreviewed" for every sentence marked."""
        return dict(self._marked)

    def forget_sentences(self) -> None:
        self._spans = ()

    def clear_marks(self) -> None:
        self._marks = []
        self.setExtraSelections([])

    def shade_unreviewed(self, start: int, end: int) -> None:
        """Shade ``[start, end)`` as unreviewed engine text too (text a model is writing)."""
        fmt = QTextCharFormat()
        fmt.setBackground(UNREVIEWED_BACKGROUND)
        self.setExtraSelections([*self._marks, self._selection(start, end, fmt)])

    def _selection(self, start: int, end: int, fmt: QTextCharFormat) -> QTextEdit.ExtraSelection:
        cursor = QTextCursor(self.document())
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        selection = QTextEdit.ExtraSelection()
        selection.cursor = cursor
        selection.format = fmt
        return selection

    def sentence_span(self, sentence_id: str) -> tuple[int, int]:
        """``[start, end)`` of a sentence (document positions); KeyError when not shown."""
        for span in self._spans:
            if span.sentence_id == sentence_id:
                return self.to_document(span.start), self.to_document(span.end)
        raise KeyError(f"sentence {sentence_id!r} is not in the editor")

    def sentence_at(self, position: int) -> str | None:
        """The id of the sentence at a document position, None between sentences."""
        for span in self._spans:
            if self.to_document(span.start) <= position < self.to_document(span.end):
                return span.sentence_id
        return None

    def selected_sentence_ids(self) -> list[str]:
        """The sentences the selection touches (or the one at the cursor), in order."""
        cursor = self.textCursor()
        start, end = cursor.selectionStart(), cursor.selectionEnd()
        ids = []
        for span in self._spans:
            s, e = self.to_document(span.start), self.to_document(span.end)
            if (start < e and s < end) or (start == end and s <= start <= e):
                ids.append(span.sentence_id)
        return ids

    def select_range(self, start: int, end: int) -> None:
        """Select ``[start, end)`` (document positions) and scroll to it."""
        cursor = self.textCursor()
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        self.setTextCursor(cursor)
        self.ensureCursorVisible()

    # -- sections -----------------------------------------------------------------------------

    def section_span(self, section: Section) -> tuple[int, int]:
        """``[start, end)`` of a section's text (document positions)."""
        text = self.toPlainText()
        start, end = section_body_ranges(text, self._language)[Section(section)]
        offsets = utf16_offsets(text)
        return (start, end) if offsets is None else (offsets[start], offsets[end])

    def move_cursor_to_section(self, section: Section) -> None:
        """Put the cursor after the last character of a section's text (and focus here)."""
        text = self.toPlainText()
        start, end = section_body_ranges(text, self._language)[Section(section)]
        end = start + len(text[start:end].rstrip())
        offsets = utf16_offsets(text)
        cursor = self.textCursor()
        cursor.setPosition(end if offsets is None else offsets[end])
        self.setTextCursor(cursor)
        self.setFocus()
