"""Settings → Study Archive…: the archive's size limit and the standing receiver.

The limit (GB, 0 for none) is kept by retention after every import and reception:
least recently opened studies go first, never one with an unsigned report draft. The
receiver listens with our node's AE title and port, set in Settings → DICOM Nodes; this
dialog shows them (read on a job thread) and switches receiving on or off.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

import core.pacs
from core.errors import CancelledError, describe_error
from core.jobs import CancelToken
from desktop.archive.keeper import ArchiveKeeper
from desktop.workers import JobSlot

if TYPE_CHECKING:
    from core.pacs import LocalNode

logger = logging.getLogger(__name__)

__all__ = ["ArchiveSettingsDialog"]


class ArchiveSettingsDialog(QDialog):
    """The study archive's settings.

    Parameters
    ----------
    keeper : ArchiveKeeper
    parent : QWidget, optional
    """

    def __init__(self, keeper: ArchiveKeeper, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("archive_settings_dialog")
        self.setWindowTitle(self.tr("Study Archive"))
        self.keeper = keeper
        settings = keeper.settings
        self.limit_field = QDoubleSpinBox()
        self.limit_field.setObjectName("archive_limit")
        self.limit_field.setRange(0.0, 100_000.0)
        self.limit_field.setDecimals(1)
        self.limit_field.setSuffix(" GB")
        self.limit_field.setSpecialValueText(self.tr("no limit"))
        self.limit_field.setValue(settings.archive_limit_gb)
        limit_note = QLabel(
            self.tr(
                "Over the limit, the least recently opened studies are removed after each "
                "import or reception; a study with an unsigned report draft is always kept."
            )
        )
        limit_note.setWordWrap(True)
        self.receive_check = QCheckBox(self.tr("Receive studies pushed to this workstation"))
        self.receive_check.setObjectName("receiver_enabled")
        self.receive_check.setChecked(settings.receiver_enabled)
        self.node_label = QLabel(self.tr("Reading our node…"))
        self.node_label.setObjectName("local_node")
        self.node_label.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow(self.tr("Size limit:"), self.limit_field)
        form.addRow("", limit_note)
        form.addRow("", self.receive_check)
        form.addRow(self.tr("Our node:"), self.node_label)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self._node_slot = JobSlot(self, name="local-node")
        self._node_slot.start(
            lambda token: _local_node(token),
            on_result=self._on_node_read,
            on_error=self._on_node_failed,
        )

    def _on_node_read(self, local: LocalNode) -> None:
        if local.port is None:
            said = self.tr(
                "AE {ae_title}, no listening port: set one in Settings → DICOM Nodes to receive."
            )
        else:
            said = self.tr("AE {ae_title}, port {port}")
        self.node_label.setText(said.format(ae_title=local.ae_title, port=local.port))

    def _on_node_failed(self, error: BaseException) -> None:
        if not isinstance(error, CancelledError):
            self.node_label.setText(describe_error(error))

    def accept(self) -> None:
        """Save, then start or stop the receiver and run retention as now set."""
        settings = self.keeper.settings
        settings.archive_limit_gb = float(self.limit_field.value())
        settings.receiver_enabled = self.receive_check.isChecked()
        settings.sync()
        self.keeper.apply_settings()
        super().accept()


def _local_node(token: CancelToken) -> LocalNode:
    return core.pacs.load_nodes().local
