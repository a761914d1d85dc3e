"""What the PACS dialogs share: credentials, the nodes file, the node chooser, secrets.

The session's :class:`~core.pacs.CredentialStore` is one for the whole app (a secret
typed once is not asked for again this session); where no system keyring exists it
keeps secrets in memory only, and the dialogs say so.
"""

from __future__ import annotations

import logging
from typing import Literal

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QComboBox, QInputDialog, QLineEdit, QWidget

from core.errors import describe_error
from core.pacs.credentials import CredentialStore
from core.pacs.nodes import DicomWebNode, DimseNode, Node, NodeBook, load_nodes

logger = logging.getLogger(__name__)

__all__ = [
    "NodeChooser",
    "ensure_secret",
    "keyring_in_use",
    "node_summary",
    "read_node_book",
    "session_credentials",
]

_store: CredentialStore | None = None


def session_credentials() -> CredentialStore:
    """The app's one credential store (the system keyring, else this session's memory)."""
    global _store
    if _store is None:
        _store = CredentialStore()
    return _store


def keyring_in_use(store: CredentialStore) -> bool:
    """True when ``store`` keeps secrets in the system keyring (not only in memory)."""
    return store.uses_keyring


def read_node_book() -> tuple[NodeBook, str]:
    """The configured nodes, and why the nodes file could not be read (``""`` when it could).

    A damaged file gives an empty book and the core's message (the file is left as it is).
    """
    try:
        return load_nodes(), ""
    except Exception as error:  # NodesFileError above all; shown, never raised into Qt
        return NodeBook(), describe_error(error)


def node_summary(node: Node) -> str:
    """One line naming a node for a list: ``"pacs — ORTHANC at host:4242 (DIMSE)"``."""
    if isinstance(node, DimseNode):
        return QCoreApplication.translate(
            "PacsCommon", "{name} — {ae_title} at {host}:{port} (DIMSE)"
        ).format(name=node.name, ae_title=node.ae_title, host=node.host, port=node.port)
    return QCoreApplication.translate("PacsCommon", "{name} — {url} (DICOMweb)").format(
        name=node.name, url=node.base_url
    )


def _serves(node: Node, usage: Literal["query", "storage", "any"]) -> bool:
    return usage == "any" or node.usage in (usage, "both")


class NodeChooser(QComboBox):
    """A combo box of the nodes that serve ``usage`` (query/retrieve or storage).

    Parameters
    ----------
    book : NodeBook
        The configured nodes.
    usage : {"query", "storage", "any"}
        Which nodes to offer (a "both" node serves either).
    """

    def __init__(
        self,
        book: NodeBook,
        usage: Literal["query", "storage", "any"],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("nodeChooser")
        self._nodes: list[Node] = [n for n in book.all_nodes() if _serves(n, usage)]
        for node in self._nodes:
            self.addItem(node_summary(node))
        self.setEnabled(bool(self._nodes))
        if not self._nodes:
            self.addItem(self.tr("No node configured: add one in Settings → DICOM Nodes…"))

    def current_node(self) -> Node | None:
        """The chosen node, None when there is none."""
        index = self.currentIndex()
        if not self._nodes or index < 0:
            return None
        return self._nodes[index]

    def select_name(self, name: str) -> bool:
        """Choose the node called ``name``; False when there is none."""
        for index, node in enumerate(self._nodes):
            if node.name == name:
                self.setCurrentIndex(index)
                return True
        return False


def ensure_secret(node: Node, store: CredentialStore, parent: QWidget | None) -> bool:
    """Make sure the store holds the password or token ``node`` needs, asking if not.

    Runs on the GUI thread before a job starts (a job never prompts). False when the
    user declined to give it.
    """
    if not isinstance(node, DicomWebNode) or node.auth == "none":
        return True
    if store.get(node.credential_key) is not None:
        return True
    if node.auth == "basic":
        asked = QCoreApplication.translate(
            "PacsCommon", "The password for {user} at {url}\n(kept {where}):"
        )
    else:
        asked = QCoreApplication.translate(
            "PacsCommon", "The access token at {url}\n(kept {where}):"
        )
    text, accepted = QInputDialog.getText(
        parent,
        QCoreApplication.translate("PacsCommon", "DICOMweb credentials"),
        asked.format(user=node.username, url=node.base_url, where=store.where),
        QLineEdit.EchoMode.Password,
    )
    if not accepted or not text:
        return False
    store.set(node.credential_key, text)
    return True
