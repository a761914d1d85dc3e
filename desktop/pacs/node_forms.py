"""The forms that edit one DICOM node, with a message beside each field that is wrong.

Field rules are the core's (:func:`core.pacs.nodes.check_ae_title`, ``check_port``
and the node dataclasses' own checks): a form only gathers text, asks the core, and
puts each refusal beside the field it is about.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.errors import UsageError
from core.pacs.nodes import (
    DEFAULT_TIMEOUT_S,
    DicomWebNode,
    DimseNode,
    LocalNode,
    check_ae_title,
    check_port,
)

logger = logging.getLogger(__name__)

__all__ = ["DimseNodeForm", "LocalNodeForm", "WebNodeForm"]

_ERROR_STYLE = "QLabel { color: #c62828; }"
#: (value, label) of each choice; labels are English sources shown translated.
_USAGES = [
    ("query", QT_TRANSLATE_NOOP("NodeForms", "Query/retrieve")),
    ("storage", QT_TRANSLATE_NOOP("NodeForms", "Storage (send to it)")),
    ("both", QT_TRANSLATE_NOOP("NodeForms", "Both")),
]
_METHODS = [
    ("get", QT_TRANSLATE_NOOP("NodeForms", "C-GET (no inbound connection needed)")),
    ("move", QT_TRANSLATE_NOOP("NodeForms", "C-MOVE to our port")),
]
_AUTHS = [
    ("none", QT_TRANSLATE_NOOP("NodeForms", "None")),
    ("basic", QT_TRANSLATE_NOOP("NodeForms", "HTTP basic (user and password)")),
    ("bearer", QT_TRANSLATE_NOOP("NodeForms", "Token")),
]


def _tr(text: object) -> str:
    return QCoreApplication.translate("NodeForms", str(text))


def _combo(choices: list[tuple[str, object]]) -> QComboBox:
    box = QComboBox()
    for value, label in choices:
        box.addItem(_tr(label), value)
    return box


def _choose(box: QComboBox, value: str) -> None:
    index = box.findData(value)
    box.setCurrentIndex(max(index, 0))


class _Form(QWidget):
    """A form layout whose rows each have an error label under the field."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QFormLayout(self)
        self._errors: dict[str, QLabel] = {}
        self.general_error = QLabel()
        self.general_error.setStyleSheet(_ERROR_STYLE)
        self.general_error.setWordWrap(True)
        self.general_error.hide()

    def _row(self, key: str, label: str, field: QWidget) -> None:
        error = QLabel()
        error.setObjectName(f"error_{key}")
        error.setStyleSheet(_ERROR_STYLE)
        error.setWordWrap(True)
        error.hide()
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(1)
        column.addWidget(field)
        column.addWidget(error)
        self._layout.addRow(label, box)
        self._errors[key] = error

    def _finish_rows(self) -> None:
        self._layout.addRow(self.general_error)

    def error_text(self, key: str) -> str:
        """The message shown beside field ``key`` (``""`` when none)."""
        label = self._errors.get(key, self.general_error)
        return label.text() if not label.isHidden() else ""

    def clear_errors(self) -> None:
        for label in (*self._errors.values(), self.general_error):
            label.clear()
            label.hide()

    def _show_error(self, key: str, message: str) -> None:
        label = self._errors.get(key, self.general_error)
        label.setText(message)
        label.show()

    def _checked(self, key: str, check: Any, *args: Any) -> Any:
        """``check(*args)``, or None with its refusal shown beside field ``key``."""
        try:
            return check(*args)
        except (UsageError, TypeError, ValueError) as error:
            self._show_error(key, str(error))
            return None


def _port_value(text: str) -> int | str:
    text = text.strip()
    return int(text) if text.isdigit() else text


class LocalNodeForm(_Form):
    """Our own node: AE title, optional listening port, and the receive switch."""

    def __init__(
        self, local: LocalNode, receive: bool = False, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ae_title = QLineEdit(local.ae_title)
        self.ae_title.setObjectName("localAeTitle")
        self.port = QLineEdit("" if local.port is None else str(local.port))
        self.port.setObjectName("localPort")
        self.port.setPlaceholderText(self.tr("empty: not listening (C-GET and sending still work)"))
        self.receive = QCheckBox(self.tr("Receive studies pushed to this workstation"))
        self.receive.setObjectName("receiveSwitch")
        self.receive.setChecked(receive)
        self._bind_address = local.bind_address
        self._row("ae_title", self.tr("Our AE title"), self.ae_title)
        self._row("port", self.tr("Listening port"), self.port)
        self._row("receive", "", self.receive)
        self._finish_rows()

    def local_node(self) -> LocalNode | None:
        """The node as entered, or None with the reasons shown beside the fields."""
        self.clear_errors()
        title = self._checked(
            "ae_title",
            check_ae_title,
            self.ae_title.text(),
            self.tr("our AE title", "named in a message: '… must be 1 to 16 characters'"),
        )
        text = self.port.text().strip()
        port: int | None = None
        port_ok = True
        if text:
            port = self._checked(
                "port",
                check_port,
                _port_value(text),
                self.tr("our listening port", "named in a message: '… must be 1 to 65535'"),
            )
            port_ok = port is not None
        if self.receive.isChecked() and not text:
            self._show_error(
                "receive", self.tr("receiving needs a listening port: enter one above")
            )
            return None
        if title is None or not port_ok:
            return None
        return LocalNode(title, port, self._bind_address)


class DimseNodeForm(_Form):
    """A remote DIMSE node: description, AE title, host, port, usage, retrieve method."""

    def __init__(self, node: DimseNode | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = QLineEdit(node.name if node else "")
        self.name.setObjectName("nodeName")
        self.description = QLineEdit(node.description if node else "")
        self.ae_title = QLineEdit(node.ae_title if node else "")
        self.ae_title.setObjectName("nodeAeTitle")
        self.host = QLineEdit(node.host if node else "")
        self.host.setObjectName("nodeHost")
        self.port = QLineEdit(str(node.port) if node else "104")
        self.port.setObjectName("nodePort")
        self.usage = _combo(_USAGES)
        _choose(self.usage, node.usage if node else "both")
        self.method = _combo(_METHODS)
        _choose(self.method, node.retrieve_method if node else "get")
        self.timeout = QDoubleSpinBox()
        self.timeout.setRange(1, 3600)
        self.timeout.setSuffix(" s")
        self.timeout.setValue(node.timeout_s if node else DEFAULT_TIMEOUT_S)
        self._row("name", self.tr("Name"), self.name)
        self._row("description", self.tr("Description"), self.description)
        self._row("ae_title", self.tr("AE title"), self.ae_title)
        self._row("host", self.tr("Host"), self.host)
        self._row("port", self.tr("Port"), self.port)
        self._row("usage", self.tr("Used for"), self.usage)
        self._row("retrieve_method", self.tr("Retrieve by"), self.method)
        self._row("timeout", self.tr("Timeout"), self.timeout)
        self._finish_rows()

    def node(self) -> DimseNode | None:
        """The node as entered, or None with the reasons shown beside the fields."""
        self.clear_errors()
        name = self.name.text().strip()
        if not name:
            self._show_error("name", self.tr("a node needs a name"))
        title = self._checked(
            "ae_title",
            check_ae_title,
            self.ae_title.text(),
            self.tr("the AE title", "named in a message: '… must be 1 to 16 characters'"),
        )
        host = self.host.text().strip()
        if not host:
            self._show_error("host", self.tr("a node needs a host name or address"))
        port = self._checked(
            "port",
            check_port,
            _port_value(self.port.text()),
            self.tr("the port", "named in a message: '… must be 1 to 65535'"),
        )
        if not name or title is None or not host or port is None:
            return None
        return self._checked(
            "general",
            DimseNode,
            name,
            title,
            host,
            port,
            self.description.text().strip(),
            self.usage.currentData(),
            self.method.currentData(),
            float(self.timeout.value()),
        )


class WebNodeForm(_Form):
    """A DICOMweb node: base URL, service prefixes, authentication, TLS CA bundle.

    The password or token field is never filled from storage: empty means "keep the
    secret already kept"; what is typed goes to the credential store, never to the file.
    """

    def __init__(
        self,
        node: DicomWebNode | None = None,
        secret_note: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.name = QLineEdit(node.name if node else "")
        self.name.setObjectName("nodeName")
        self.description = QLineEdit(node.description if node else "")
        self.base_url = QLineEdit(node.base_url if node else "https://")
        self.base_url.setObjectName("nodeBaseUrl")
        self.qido = QLineEdit(node.qido_prefix if node else "")
        self.wado = QLineEdit(node.wado_prefix if node else "")
        self.stow = QLineEdit(node.stow_prefix if node else "")
        for prefix in (self.qido, self.wado, self.stow):
            prefix.setPlaceholderText(self.tr("none", "no service prefix"))
        self.auth = _combo(_AUTHS)
        _choose(self.auth, node.auth if node else "none")
        self.username = QLineEdit(node.username if node else "")
        self.username.setObjectName("nodeUsername")
        self.secret = QLineEdit()
        self.secret.setObjectName("nodeSecret")
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret.setPlaceholderText(self.tr("empty: keep the one already kept"))
        self.secret_note = QLabel(secret_note)
        self.secret_note.setObjectName("secretNote")
        self.secret_note.setWordWrap(True)
        self.ca_bundle = QLineEdit((node.ca_bundle or "") if node else "")
        self.ca_bundle.setPlaceholderText(self.tr("empty: the system's certificate authorities"))
        browse = QPushButton(self.tr("Browse…"))
        browse.setObjectName("caBundleBrowse")
        browse.clicked.connect(self._on_browse_clicked)
        ca_row = QWidget()
        ca_layout = QHBoxLayout(ca_row)
        ca_layout.setContentsMargins(0, 0, 0, 0)
        ca_layout.addWidget(self.ca_bundle)
        ca_layout.addWidget(browse)
        self.usage = _combo(_USAGES)
        _choose(self.usage, node.usage if node else "both")
        self.timeout = QDoubleSpinBox()
        self.timeout.setRange(1, 3600)
        self.timeout.setSuffix(" s")
        self.timeout.setValue(node.timeout_s if node else DEFAULT_TIMEOUT_S)
        self._row("name", self.tr("Name"), self.name)
        self._row("description", self.tr("Description"), self.description)
        self._row("base_url", self.tr("Base URL"), self.base_url)
        self._row("qido", self.tr("QIDO-RS prefix"), self.qido)
        self._row("wado", self.tr("WADO-RS prefix"), self.wado)
        self._row("stow", self.tr("STOW-RS prefix"), self.stow)
        self._row("auth", self.tr("Authentication"), self.auth)
        self._row("username", self.tr("User name"), self.username)
        self._row("secret", self.tr("Password or token"), self.secret)
        self._layout.addRow("", self.secret_note)
        self._row("ca_bundle", self.tr("TLS CA bundle"), ca_row)
        self._row("usage", self.tr("Used for"), self.usage)
        self._row("timeout", self.tr("Timeout"), self.timeout)
        self._finish_rows()
        self.auth.currentIndexChanged.connect(self._on_auth_changed)
        self._on_auth_changed()

    def _on_auth_changed(self) -> None:
        auth = self.auth.currentData()
        self.username.setEnabled(auth == "basic")
        self.secret.setEnabled(auth != "none")

    def _on_browse_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            self.tr("CA bundle"),
            "",
            self.tr("Certificates (*.pem *.crt *.cer);;All files (*)"),
        )
        if path:
            self.ca_bundle.setText(path)

    def secret_text(self) -> str:
        """What was typed as password or token (``""``: keep the one kept)."""
        return self.secret.text() if self.auth.currentData() != "none" else ""

    def node(self) -> DicomWebNode | None:
        """The node as entered, or None with the reasons shown beside the fields."""
        self.clear_errors()
        name = self.name.text().strip()
        if not name:
            self._show_error("name", self.tr("a node needs a name"))
        url = self.base_url.text().strip()
        parts = urlsplit(url)
        url_ok = parts.scheme in ("http", "https") and bool(parts.hostname)
        if not url_ok:
            self._show_error(
                "base_url",
                self.tr(
                    "enter an http:// or https:// address with a host, e.g. "
                    "https://pacs.example.org/dicom-web"
                ),
            )
        if parts.scheme == "http" and self.auth.currentData() != "none":
            self._show_error(
                "auth",
                self.tr("note: over http:// the password travels unencrypted; prefer https://"),
            )
        auth = self.auth.currentData()
        user = self.username.text().strip() if auth == "basic" else ""
        if auth == "basic" and not user:
            self._show_error("username", self.tr("basic authentication needs a user name"))
        if not name or not url_ok or (auth == "basic" and not user):
            return None
        return self._checked(
            "general",
            DicomWebNode,
            name,
            url.rstrip("/"),
            self.description.text().strip(),
            self.qido.text().strip(),
            self.wado.text().strip(),
            self.stow.text().strip(),
            auth,
            user,
            self.ca_bundle.text().strip() or None,
            self.usage.currentData(),
            float(self.timeout.value()),
        )
