"""Settings → Data Protection: encryption at rest, where the key is, where exports go.

The switch is :func:`core.data_protection.change_encryption` (run on the job pool: it
rewrites saved drafts and measurements); what the dialog says comes from
:func:`core.at_rest.describe_protection`, the same sentence the self-test prints.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from core.at_rest import describe_protection
from core.data_protection import change_encryption
from core.paths import export_dir, user_data_dir
from desktop.workers import JobHandle, JobSlot

logger = logging.getLogger(__name__)

__all__ = ["DataProtectionDialog"]


def off_warning() -> str:
    """What turning encryption off means, in the interface language."""
    return QCoreApplication.translate(
        "DataProtectionDialog",
        "Turning encryption off writes drafts and measurements in plain text (owner-only). "
        "Do this only where the disk itself is encrypted (BitLocker, FileVault, LUKS).",
    )


#: :func:`off_warning` as the source says it.
OFF_WARNING = off_warning()


class DataProtectionDialog(QDialog):
    """Encryption at rest on or off, with where the key is kept and where files go.

    Signals
    -------
    protection_changed(str)
        After a change was applied: what was done, in words.
    """

    protection_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)

        self.setObjectName("data_protection")
        self.setWindowTitle(self.tr("Data protection"))
        self._change_slot = JobSlot(self, name="data protection")
        protection = describe_protection()
        self._enabled_before = protection.enabled
        self.encrypt_check = QCheckBox(
            self.tr("Encrypt drafts, measurements and the analysis cache on this computer")
        )
        self.encrypt_check.setObjectName("encrypt_at_rest")
        self.encrypt_check.setChecked(protection.enabled)
        self.encrypt_check.toggled.connect(self._on_encrypt_check_toggled)
        self.summary_label = QLabel(protection.summary)
        self.summary_label.setObjectName("protection_summary")
        self.summary_label.setWordWrap(True)
        self.status_label = QLabel("")
        self.status_label.setObjectName("protection_status")
        self.status_label.setWordWrap(True)
        form = QFormLayout()
        form.addRow(self.tr("Data folder:"), QLabel(str(user_data_dir())))
        exports = self.tr("{folder} (owner-only)").format(folder=export_dir())
        form.addRow(self.tr("Exports go to:"), QLabel(exports))
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.apply)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.encrypt_check)
        layout.addWidget(self.summary_label)
        layout.addLayout(form)
        layout.addWidget(self.status_label)
        layout.addWidget(self.buttons)
        self.resize(600, 240)

    def _on_encrypt_check_toggled(self, checked: bool) -> None:

        if checked or not self._enabled_before:
            self.summary_label.setText(describe_protection().summary)
        else:
            self.summary_label.setText(off_warning())

    def apply(self) -> JobHandle | None:
        """Save: apply a change on the job pool (rewriting saved files), then close."""
        enabled = self.encrypt_check.isChecked()
        if enabled == self._enabled_before:
            self.accept()
            return None

        self.buttons.setEnabled(False)
        self.status_label.setText(self.tr("Rewriting saved drafts and measurements…"))
        return self._change_slot.start(
            lambda token: change_encryption(enabled),
            on_result=self._on_job_result,
            on_error=self._on_job_error,
        )

    def _on_job_result(self, said: str) -> None:
        self._enabled_before = self.encrypt_check.isChecked()
        self.status_label.setText(said)
        self.buttons.setEnabled(True)
        self.protection_changed.emit(said)
        self.accept()

    def _on_job_error(self, exc: BaseException) -> None:

        protection = describe_protection()
        self._enabled_before = protection.enabled
        self.encrypt_check.setChecked(protection.enabled)
        self.summary_label.setText(protection.summary)
        self.status_label.setText(self.tr("Not changed completely: {reason}").format(reason=exc))
        self.buttons.setEnabled(True)
