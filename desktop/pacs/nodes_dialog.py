"""Settings → DICOM Nodes…: our local node, the remote DIMSE and DICOMweb nodes, and Test.

The nodes are kept by :mod:`core.pacs.nodes` in the nodes file; passwords and tokens
go to the credential store (the system keyring, or this session's memory where there
is none: the dialog says which), never to the file. "Test" runs C-ECHO then a
one-result C-FIND (or a QIDO-RS search) on the job pool and shows the round trip, or
the core's plain-words explanation of what failed and what the PACS administrator
must configure.
"""

from __future__ import annotations

import dataclasses
import logging
import time

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.errors import CancelledError, describe_error
from core.pacs.credentials import CredentialStore
from core.pacs.nodes import DicomWebNode, DimseNode, LocalNode, Node, NodeBook, save_nodes
from core.pacs.query import StudyQuery
from core.pacs.service import echo, find
from desktop.number_format import format_number
from desktop.pacs.common import (
    ensure_secret,
    keyring_in_use,
    node_summary,
    read_node_book,
    session_credentials,
)
from desktop.pacs.node_forms import DimseNodeForm, LocalNodeForm, WebNodeForm
from desktop.settings import Settings
from desktop.workers import JobSlot

logger = logging.getLogger(__name__)

__all__ = ["NodeEditor", "NodeTestResult", "NodesDialog", "run_node_test"]

_OK_STYLE = "QLabel { color: #2e7d32; }"
_ERROR_STYLE = "QLabel { color: #c62828; }"


@dataclasses.dataclass(frozen=True)
class NodeTestResult:
    """What a node test measured: the echo's round trip and the search's."""

    echo_s: float
    find_s: float
    found: int


def run_node_test(
    node: Node, local: LocalNode, credentials: CredentialStore | None
) -> NodeTestResult:
    """C-ECHO (or a QIDO-RS probe) then a one-result study search; runs on a pool thread."""
    took = echo(node, local=local, credentials=credentials)
    started = time.perf_counter()
    found = find(node, StudyQuery(limit=1), local=local, credentials=credentials)
    return NodeTestResult(took, time.perf_counter() - started, len(found))


class NodeEditor(QDialog):
    """Edits one node (a DIMSE or a DICOMweb form); OK only when the fields are valid.

    Parameters
    ----------
    node : DimseNode or DicomWebNode or None
        The node to edit; None with ``kind`` for a new one.
    kind : {"dimse", "dicomweb"}
    taken : set of str
        Names other nodes already have (a name must be unique).
    secret_note : str
        Where a password or token will be kept, in words.
    """

    def __init__(
        self,
        node: Node | None,
        kind: str,
        taken: set[str],
        secret_note: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("nodeEditor")
        self.setWindowTitle(self.tr("DICOM node") if kind == "dimse" else self.tr("DICOMweb node"))
        self._taken = taken
        self.result_node: Node | None = None
        self.form: DimseNodeForm | WebNodeForm
        if kind == "dimse":
            self.form = DimseNodeForm(node if isinstance(node, DimseNode) else None)
        else:
            web = node if isinstance(node, DicomWebNode) else None
            self.form = WebNodeForm(web, secret_note)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._on_ok_clicked)
        buttons.rejected.connect(self.reject)
        self.buttons = buttons
        layout = QVBoxLayout(self)
        layout.addWidget(self.form)
        layout.addWidget(buttons)

    def secret_text(self) -> str:
        return self.form.secret_text() if isinstance(self.form, WebNodeForm) else ""

    def _on_ok_clicked(self) -> None:
        node = self.form.node()
        if node is None:
            return
        if node.name in self._taken:
            taken = self.tr("another node is already named {name}").format(name=repr(node.name))
            self.form._show_error("name", taken)
            return
        self.result_node = node
        self.accept()


class NodesDialog(QDialog):
    """Settings → DICOM Nodes…: edit, test and save the DICOM nodes.

    Parameters
    ----------
    parent : QWidget, optional
    credentials : CredentialStore, optional
        Where secrets go (default: the app's session store).
    settings : Settings, optional
        The window's settings (the receiver switch is kept there); default: a new one.

    Signals
    -------
    nodes_saved()
        The nodes file was written (the window restarts its receiver from it).
    """

    nodes_saved = Signal()

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        credentials: CredentialStore | None = None,
        settings: Settings | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("nodesDialog")
        self.setWindowTitle(self.tr("DICOM Nodes"))
        self.resize(760, 560)
        self._credentials = credentials if credentials is not None else session_credentials()
        book, problem = read_node_book()
        self._nodes: list[Node] = list(book.all_nodes())
        # The window's own settings object, so what this dialog saves is what it reads.
        self._settings = settings if settings is not None else Settings()
        self._test_slot = JobSlot(self, "pacs-node-test")
        self.editor: NodeEditor | None = None

        self.local_form = LocalNodeForm(book.local, self._settings.receiver_enabled)
        local_box = QGroupBox(self.tr("This workstation"))
        QVBoxLayout(local_box).addWidget(self.local_form)

        self.node_list = QListWidget()
        self.node_list.setObjectName("nodeList")
        self.node_list.currentRowChanged.connect(self._on_node_list_row_changed)
        self.node_list.itemDoubleClicked.connect(lambda _item: self._on_edit_clicked())
        self.add_dimse_button = QPushButton(self.tr("Add DICOM node…"))
        self.add_dimse_button.setObjectName("addDimseButton")
        self.add_web_button = QPushButton(self.tr("Add DICOMweb node…"))
        self.add_web_button.setObjectName("addWebButton")
        self.edit_button = QPushButton(self.tr("Edit…"))
        self.edit_button.setObjectName("editButton")
        self.duplicate_button = QPushButton(self.tr("Duplicate"))
        self.duplicate_button.setObjectName("duplicateButton")
        self.remove_button = QPushButton(self.tr("Remove"))
        self.remove_button.setObjectName("removeButton")
        self.test_button = QPushButton(self.tr("Test"))
        self.test_button.setObjectName("testButton")
        self.add_dimse_button.clicked.connect(lambda: self._open_editor(None, "dimse"))
        self.add_web_button.clicked.connect(lambda: self._open_editor(None, "dicomweb"))
        self.edit_button.clicked.connect(self._on_edit_clicked)
        self.duplicate_button.clicked.connect(self._on_duplicate_clicked)
        self.remove_button.clicked.connect(self._on_remove_clicked)
        self.test_button.clicked.connect(self._on_test_clicked)
        side = QVBoxLayout()
        for button in (
            self.add_dimse_button,
            self.add_web_button,
            self.edit_button,
            self.duplicate_button,
            self.remove_button,
            self.test_button,
        ):
            side.addWidget(button)
        side.addStretch(1)
        lists = QHBoxLayout()
        lists.addWidget(self.node_list, 1)
        lists.addLayout(side)
        remote_box = QGroupBox(self.tr("Remote nodes (PACS, DICOMweb servers)"))
        remote_layout = QVBoxLayout(remote_box)
        remote_layout.addLayout(lists)
        self.test_result = QLabel()
        self.test_result.setObjectName("testResult")
        self.test_result.setWordWrap(True)
        self.test_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        remote_layout.addWidget(self.test_result)

        self.secret_where = QLabel(self._secret_note())
        self.secret_where.setObjectName("secretWhere")
        self.secret_where.setWordWrap(True)
        self.file_problem = QLabel(problem)
        self.file_problem.setObjectName("fileProblem")
        self.file_problem.setStyleSheet(_ERROR_STYLE)
        self.file_problem.setWordWrap(True)
        self.file_problem.setVisible(bool(problem))

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self._on_save_clicked)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.file_problem)
        layout.addWidget(local_box)
        layout.addWidget(remote_box, 1)
        layout.addWidget(self.secret_where)
        layout.addWidget(self.buttons)
        self._refresh_list()

    # ------------------------------------------------------------------ list

    def nodes(self) -> list[Node]:
        """The remote nodes as now edited (not saved yet)."""
        return list(self._nodes)

    def _secret_note(self) -> str:
        if keyring_in_use(self._credentials):
            return self.tr(
                "Passwords and tokens are kept in the system keyring, never in the nodes file."
            )
        return self.tr(
            "No system keyring was found: passwords and tokens are kept for this session "
            "only (never in the nodes file) and will be asked for again next time."
        )

    def _refresh_list(self, select: int | None = None) -> None:
        row = self.node_list.currentRow() if select is None else select
        self.node_list.clear()
        for node in self._nodes:
            self.node_list.addItem(node_summary(node))
        if self._nodes:
            self.node_list.setCurrentRow(min(max(row, 0), len(self._nodes) - 1))
        self._on_node_list_row_changed(self.node_list.currentRow())

    def _current(self) -> Node | None:
        row = self.node_list.currentRow()
        return self._nodes[row] if 0 <= row < len(self._nodes) else None

    def _on_node_list_row_changed(self, _row: int) -> None:
        chosen = self._current() is not None
        for button in (self.edit_button, self.duplicate_button, self.remove_button):
            button.setEnabled(chosen)
        self.test_button.setEnabled(chosen)
        self._test_slot.discard()
        self.test_result.clear()

    def _open_editor(self, node: Node | None, kind: str, *, replacing: int | None = None) -> None:
        taken = {n.name for i, n in enumerate(self._nodes) if i != replacing}
        editor = NodeEditor(node, kind, taken, self._secret_note(), self)
        editor.accepted.connect(lambda: self._on_editor_accepted(editor, replacing))
        self.editor = editor
        editor.open()  # window-modal, and the event loop keeps running

    def _on_editor_accepted(self, editor: NodeEditor, replacing: int | None) -> None:
        node = editor.result_node
        if node is None:
            return
        if isinstance(node, DicomWebNode):
            secret = editor.secret_text()
            if node.auth == "none":
                self._credentials.forget(node.credential_key)
            elif secret:
                self._credentials.set(node.credential_key, secret)
        if replacing is None:
            self._nodes.append(node)
            self._refresh_list(len(self._nodes) - 1)
        else:
            self._nodes[replacing] = node
            self._refresh_list(replacing)

    def _on_edit_clicked(self) -> None:
        node = self._current()
        if node is not None:
            kind = "dimse" if isinstance(node, DimseNode) else "dicomweb"
            self._open_editor(node, kind, replacing=self.node_list.currentRow())

    def _on_duplicate_clicked(self) -> None:
        node = self._current()
        if node is None:
            return
        taken = {n.name for n in self._nodes}
        name = self.tr("{name} copy").format(name=node.name)
        counter = 2
        while name in taken:
            name = self.tr("{name} copy {number}").format(name=node.name, number=counter)
            counter += 1
        self._nodes.append(dataclasses.replace(node, name=name))
        self._refresh_list(len(self._nodes) - 1)

    def _on_remove_clicked(self) -> None:
        row = self.node_list.currentRow()
        if 0 <= row < len(self._nodes):
            del self._nodes[row]
            self._refresh_list(row)

    # ------------------------------------------------------------------ test

    def _on_test_clicked(self) -> None:
        node = self._current()
        local = self.local_form.local_node()
        if node is None or local is None:
            if local is None:
                self._show_test(self.tr("Fix this workstation's AE title or port first."), ok=False)
            return
        if not ensure_secret(node, self._credentials, self):
            self._show_test(self.tr("Not tested: the password or token was not given."), ok=False)
            return
        self.test_button.setEnabled(False)
        self.test_result.setStyleSheet("")
        self.test_result.setText(self.tr("Testing {node}…").format(node=node.name))
        credentials = self._credentials
        self._test_slot.start(
            lambda _token: run_node_test(node, local, credentials),
            on_result=lambda result: self._on_test_succeeded(node, result),
            on_error=self._on_test_failed,
            on_finished=lambda: self.test_button.setEnabled(self._current() is not None),
            name="pacs-node-test",
        )

    def _on_test_succeeded(self, node: Node, result: NodeTestResult) -> None:
        if isinstance(node, DimseNode):
            said = self.tr(
                "C-ECHO answered in {echo_ms} ms; a C-FIND answered in {find_ms} ms. "
                "{node} is ready."
            )
        else:
            said = self.tr(
                "The DICOMweb server answered in {echo_ms} ms; a QIDO-RS search answered in "
                "{find_ms} ms. {node} is ready."
            )
        self._show_test(
            said.format(
                echo_ms=format_number(result.echo_s * 1000, 0),
                find_ms=format_number(result.find_s * 1000, 0),
                node=node.name,
            ),
            ok=True,
        )

    def _on_test_failed(self, error: BaseException) -> None:
        if isinstance(error, CancelledError):
            return
        self._show_test(
            self.tr("Test failed: {reason}").format(reason=describe_error(error)), ok=False
        )

    def _show_test(self, text: str, *, ok: bool) -> None:
        self.test_result.setStyleSheet(_OK_STYLE if ok else _ERROR_STYLE)
        self.test_result.setText(text)

    # ------------------------------------------------------------------ save

    def book(self) -> NodeBook | None:
        """The node book as edited, or None when this workstation's fields are wrong."""
        local = self.local_form.local_node()
        if local is None:
            return None
        dimse = tuple(n for n in self._nodes if isinstance(n, DimseNode))
        web = tuple(n for n in self._nodes if isinstance(n, DicomWebNode))
        return NodeBook(local, dimse, web)

    def _on_save_clicked(self) -> None:
        book = self.book()
        if book is None:
            return
        try:
            save_nodes(book)
        except Exception as error:  # a damaged file (left as is), a full disk: say so, stay open
            said = self.tr("Not saved: {reason}").format(reason=describe_error(error))
            self.file_problem.setText(said)
            self.file_problem.show()
            return
        self._settings.receiver_enabled = self.local_form.receive.isChecked()
        self.nodes_saved.emit()
        self.accept()

    def done(self, result: int) -> None:
        self._test_slot.discard()
        super().done(result)
