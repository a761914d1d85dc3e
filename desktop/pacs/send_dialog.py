"""Report → Send to PACS…: send the report SR, AI results, heatmaps, presentation states.

Each file is listed with what it is (read from its SOP Class, and for an SR whether it
is a TID 1500 measurement report, i.e. AI results); Send runs C-STORE or STOW-RS on
the job pool (:func:`core.pacs.service.send`) and each row then says sent, failed
with the reason, or already there.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.errors import CancelledError, describe_error
from core.pacs.credentials import CredentialStore
from core.pacs.dimse import SendStatus
from core.pacs.nodes import LocalNode, Node
from core.pacs.service import send
from desktop.number_format import format_count
from desktop.pacs.common import NodeChooser, ensure_secret, read_node_book, session_credentials
from desktop.workers import JobSlot

logger = logging.getLogger(__name__)

__all__ = ["SendDialog", "describe_object", "status_words"]

#: What a SOP Class is, for a person (PS3.4 Annex B.5); English sources, shown translated.
SOP_CLASS_WORDS = {
    "1.2.840.10008.5.1.4.1.1.88.11": QT_TRANSLATE_NOOP("SendDialog", "Report (Basic Text SR)"),
    "1.2.840.10008.5.1.4.1.1.88.22": QT_TRANSLATE_NOOP("SendDialog", "Report (Enhanced SR)"),
    "1.2.840.10008.5.1.4.1.1.88.33": QT_TRANSLATE_NOOP("SendDialog", "Report (Comprehensive SR)"),
    "1.2.840.10008.5.1.4.1.1.88.34": QT_TRANSLATE_NOOP(
        "SendDialog", "Structured report (Comprehensive 3D SR)"
    ),
    "1.2.840.10008.5.1.4.1.1.7": QT_TRANSLATE_NOOP(
        "SendDialog", "Heatmap or screen capture (Secondary Capture)"
    ),
    "1.2.840.10008.5.1.4.1.1.7.4": QT_TRANSLATE_NOOP(
        "SendDialog", "Heatmap (multi-frame true colour Secondary Capture)"
    ),
    "1.2.840.10008.5.1.4.1.1.30": QT_TRANSLATE_NOOP("SendDialog", "Heatmap (Parametric Map)"),
    "1.2.840.10008.5.1.4.1.1.66.4": QT_TRANSLATE_NOOP("SendDialog", "Segmentation"),
    "1.2.840.10008.5.1.4.1.1.11.1": QT_TRANSLATE_NOOP(
        "SendDialog", "Presentation state (Grayscale Softcopy)"
    ),
    "1.2.840.10008.5.1.4.1.1.11.2": QT_TRANSLATE_NOOP(
        "SendDialog", "Presentation state (Color Softcopy)"
    ),
    "1.2.840.10008.5.1.4.1.1.104.1": QT_TRANSLATE_NOOP("SendDialog", "Encapsulated PDF"),
}
#: "Imaging Measurement Report" (DCM 126000): the root of TID 1500 (AI results).
_MEASUREMENT_REPORT = ("DCM", "126000")
#: C-STORE statuses that mean the node already holds the instance (PS3.4 B.2.3, and
#: 0x0111 "duplicate SOP instance" some archives answer).
_ALREADY_THERE = (0x0111,)
_COLUMNS = (
    QT_TRANSLATE_NOOP("SendDialog", "File"),
    QT_TRANSLATE_NOOP("SendDialog", "What it is"),
    QT_TRANSLATE_NOOP("SendDialog", "Status"),
)


def _tr(text: object, disambiguation: str | None = None) -> str:
    """``text`` (a source, or a QT_TRANSLATE_NOOP-marked constant) in the interface's language."""
    return QCoreApplication.translate("SendDialog", str(text), disambiguation)


_FAILED = QColor(198, 40, 40)
_SENT = QColor(46, 125, 50)


def describe_object(path: Path) -> str:
    """What the DICOM file at ``path`` is, in words (its SOP Class; TID 1500 = AI results)."""
    # pydicom is needed only when the dialog opens (the window starts without it).
    from pydicom import dcmread
    from pydicom.errors import InvalidDicomError

    try:
        ds = dcmread(path, stop_before_pixels=True)
        sop_class = str(ds.SOPClassUID)
    except (InvalidDicomError, AttributeError, KeyError):
        return QCoreApplication.translate("SendDialog", "not a DICOM file (will not be sent)")
    except OSError as error:
        return QCoreApplication.translate("SendDialog", "cannot be read ({reason})").format(
            reason=error.strerror or type(error).__name__
        )
    concept = ds.get("ConceptNameCodeSequence")
    if concept:
        code = (
            str(concept[0].get("CodingSchemeDesignator", "")),
            str(concept[0].get("CodeValue", "")),
        )
        if code == _MEASUREMENT_REPORT:
            return QCoreApplication.translate(
                "SendDialog", "AI results (SR, TID 1500 measurement report)"
            )
    words = SOP_CLASS_WORDS.get(sop_class)
    if words is not None:
        return _tr(words)
    name = getattr(ds.SOPClassUID, "name", "") or sop_class
    return QCoreApplication.translate("SendDialog", "DICOM object ({name})").format(name=name)


def status_words(status: SendStatus) -> str:
    """One send status as a person reads it: sent, already there, or failed with why.

    Decided by the status code, never by the words (the core's message may be translated).
    """
    if status.status in _ALREADY_THERE:
        return QCoreApplication.translate("SendDialog", "already there")
    if status.ok:
        if status.status in (0x0000, None):
            return QCoreApplication.translate("SendDialog", "sent")
        return QCoreApplication.translate("SendDialog", "sent ({message})").format(
            message=status.message
        )
    return QCoreApplication.translate("SendDialog", "failed: {message}").format(
        message=status.message
    )


class SendDialog(QDialog):
    """Send derived objects (report SR, AI results, heatmaps, presentation states) to a node.

    Parameters
    ----------
    files : list of pathlib.Path
        The objects to send.
    parent : QWidget, optional
    credentials : CredentialStore, optional
        Default: the app's session store.
    """

    def __init__(
        self,
        files: list[Path],
        parent: QWidget | None = None,
        *,
        credentials: CredentialStore | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("sendDialog")
        self.setWindowTitle(self.tr("Send to PACS"))
        self.resize(760, 380)
        self._files = [Path(f) for f in files]
        self._credentials = credentials if credentials is not None else session_credentials()
        book, problem = read_node_book()
        self._local: LocalNode = book.local
        self._slot = JobSlot(self, "pacs-send")
        self.statuses: list[SendStatus] = []

        self.chooser = NodeChooser(book, "storage")
        self.chooser.currentIndexChanged.connect(self._update_buttons)
        self.table = QTableWidget(len(self._files), len(_COLUMNS))
        self.table.setObjectName("files")
        self.table.setHorizontalHeaderLabels([_tr(title) for title in _COLUMNS])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self._status_items: list[QTableWidgetItem] = []
        for row, path in enumerate(self._files):
            name = QTableWidgetItem(path.name)
            name.setToolTip(str(path))
            status = QTableWidgetItem(self.tr("not sent yet"))
            self.table.setItem(row, 0, name)
            self.table.setItem(row, 1, QTableWidgetItem(describe_object(path)))
            self.table.setItem(row, 2, status)
            self._status_items.append(status)
        self.send_button = QPushButton(self.tr("Send"))
        self.send_button.setObjectName("sendButton")
        self.send_button.setDefault(True)
        self.send_button.clicked.connect(self._on_send_clicked)
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.setObjectName("cancelButton")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self._slot.cancel)
        self.close_button = QPushButton(self.tr("Close"))
        self.close_button.setObjectName("closeButton")
        self.close_button.clicked.connect(self.reject)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.hide()
        self.summary = QLabel(problem)
        self.summary.setObjectName("summary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("Send to")))
        top.addWidget(self.chooser, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.progress, 1)
        buttons.addStretch(1)
        buttons.addWidget(self.send_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.summary)
        layout.addLayout(buttons)
        self._update_buttons()

    def status_text(self, row: int) -> str:
        """The Status cell of file ``row``."""
        return self._status_items[row].text()

    def _update_buttons(self, *_: Any) -> None:
        running = self._slot.is_running
        ready = self.chooser.current_node() is not None and bool(self._files)
        self.send_button.setEnabled(ready and not running)
        self.cancel_button.setEnabled(running)

    def _on_send_clicked(self) -> None:
        node = self.chooser.current_node()
        if node is None:
            return
        if not ensure_secret(node, self._credentials, self):
            self.summary.setText(self.tr("Not sent: the password or token was not given."))
            return
        files, local, credentials = list(self._files), self._local, self._credentials
        for cell in self._status_items:
            cell.setText(self.tr("sending…"))
        if len(files) == 1:
            sending = self.tr("Sending 1 file to {node}…")
        else:
            sending = self.tr("Sending {count} files to {node}…")
        self.summary.setText(sending.format(count=format_count(len(files)), node=node.name))
        self.progress.show()
        self._slot.start(
            lambda token: self._send(node, files, local, credentials, token),
            on_result=self._on_send_succeeded,
            on_error=self._on_send_failed,
            on_finished=self._on_send_finished,
            name="pacs-send",
        )
        self._update_buttons()

    @staticmethod
    def _send(
        node: Node, files: list[Path], local: LocalNode, credentials: CredentialStore, token: Any
    ) -> list[SendStatus]:
        return send(node, files, local=local, credentials=credentials, cancel=token)

    def _on_send_succeeded(self, statuses: list[SendStatus]) -> None:
        self.statuses = list(statuses)
        for cell, status in zip(self._status_items, statuses, strict=False):
            cell.setText(status_words(status))
            cell.setForeground(_SENT if status.ok else _FAILED)
        sent = sum(1 for s in statuses if s.ok)
        failed = len(statuses) - sent
        if failed:
            said = self.tr("{sent} of {count} sent, {failed} failed.")
        else:
            said = self.tr("{sent} of {count} sent.")
        self.summary.setText(
            said.format(
                sent=format_count(sent),
                count=format_count(len(statuses)),
                failed=format_count(failed),
            )
        )

    def _on_send_failed(self, error: BaseException) -> None:
        for cell in self._status_items:
            cell.setText(self.tr("not sent"))
        if isinstance(error, CancelledError):
            self.summary.setText(self.tr("Sending cancelled; files not yet sent were not sent."))
        else:
            said = self.tr("Nothing was sent: {reason}")
            self.summary.setText(said.format(reason=describe_error(error)))

    def _on_send_finished(self) -> None:
        self.progress.hide()
        self._update_buttons()

    def done(self, result: int) -> None:  # closing stops a send in progress
        self._slot.discard()
        super().done(result)
