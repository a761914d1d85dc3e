"""File → Export → Anonymised Study… and Study to CD/USB folder (DICOMDIR)…

:class:`StudyExportDialog` gathers the choices of one export (de-identify with PS3.15's
Basic profile and which retained options, a DICOMDIR or plain folders, whether images
flagged for burned-in text are included, the output folder) and runs
:func:`core.deid.export_job` on a job thread with a progress bar and Cancel. At the end
it lists what was written and every flagged image with its reason, saying whether it
was left out (the default) or included on purpose.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

import core.deid
from core.deid.options import RetainOption
from core.errors import CancelledError, describe_error
from core.jobs import CancelToken, Progress
from core.paths import export_dir
from desktop.workers import JobHandle, JobSlot

if TYPE_CHECKING:
    from core.deid import ExportResult
    from core.dicom.records import StudyIndex

logger = logging.getLogger(__name__)

__all__ = ["RETAIN_EXPLANATIONS", "StudyExportDialog"]

#: One line for each retained option of PS3.15 E.3 (RetainOption), shown beside it.
RETAIN_EXPLANATIONS: Final = {
    RetainOption.FULL_DATES: "Keep the real dates and times (for follow-up across studies).",
    RetainOption.MODIFIED_DATES: "Shift dates consistently: intervals between studies stay true.",
    RetainOption.PATIENT_CHARACTERISTICS: "Keep age, sex, size, weight and smoking status.",
    RetainOption.DEVICE_IDENTITY: "Keep the scanner's make, model and serial numbers.",
    RetainOption.INSTITUTION_IDENTITY: "Keep the hospital's name and address.",
    RetainOption.CLEAN_DESCRIPTORS: (
        "Keep study and series descriptions, cleaned, instead of removing them."
    ),
}


def _default_folder(kind: str) -> str:
    return str(export_dir() / f"{kind}-{datetime.now():%Y%m%d-%H%M%S}")


class StudyExportDialog(QDialog):
    """Export the open study de-identified, or as media with a DICOMDIR.

    Parameters
    ----------
    source : StudyIndex or path
        What to export (the open study's index).
    parent : QWidget, optional
    deidentify : bool
        De-identify by default (Anonymised Study) or not (Study to CD/USB folder).
    dicomdir : bool
        Write a DICOMDIR by default.

    Signals
    -------
    export_finished(object)
        The :class:`core.deid.ExportResult` of a finished export.
    """

    export_finished = Signal(object)

    def __init__(
        self,
        source: StudyIndex | str | Path,
        parent: QWidget | None = None,
        *,
        deidentify: bool = True,
        dicomdir: bool = False,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("study_export_dialog")
        self.setWindowTitle("Export Anonymised Study" if deidentify else "Export Study to Media")
        self.source = source
        self.export_result: ExportResult | None = None
        self._slot = JobSlot(self, name="study-export")

        self.deidentify_check = QCheckBox(
            "De-identify (DICOM PS3.15 Basic Application Level Confidentiality Profile)"
        )
        self.deidentify_check.setChecked(deidentify)
        self.options_box = QGroupBox("Keep (retained options)")
        options = QVBoxLayout(self.options_box)
        self.option_checks: dict[RetainOption, QCheckBox] = {}
        for option, says in RETAIN_EXPLANATIONS.items():
            check = QCheckBox(f"{option.value.replace('-', ' ').capitalize()}: {says}")
            check.setObjectName(f"retain_{option.value}")
            check.toggled.connect(lambda on, o=option: self._on_option_toggled(o, on))
            options.addWidget(check)
            self.option_checks[option] = check
        self.include_flagged_check = QCheckBox(
            "Include flagged images (their pixels may show the patient's name or ID)"
        )
        self.include_flagged_check.setObjectName("include_flagged")
        self.include_flagged_check.setChecked(False)
        self.dicomdir_check = QCheckBox("Write a DICOMDIR (for a CD or USB stick)")
        self.dicomdir_check.setChecked(dicomdir)
        self.folder_field = QLineEdit(_default_folder("anonymised" if deidentify else "media"))
        self.folder_field.setObjectName("export_folder")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._on_browse_clicked)
        folder_row = QHBoxLayout()
        folder_row.addWidget(QLabel("Export to (a new or empty folder):"))
        folder_row.addWidget(self.folder_field, 1)
        folder_row.addWidget(browse)

        self.progress_bar = QProgressBar()
        self.progress_bar.setObjectName("export_progress")
        self.progress_bar.hide()
        self.report = QPlainTextEdit()
        self.report.setObjectName("export_report")
        self.report.setReadOnly(True)
        self.report.setPlaceholderText("What was exported, and every flagged image, shows here.")
        self.buttons = QDialogButtonBox()
        self.export_button = self.buttons.addButton(
            "Export", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.export_button.clicked.connect(self.start_export)
        self.cancel_button.clicked.connect(self._on_cancel_clicked)

        layout = QVBoxLayout(self)
        layout.addWidget(self.deidentify_check)
        layout.addWidget(self.options_box)
        layout.addWidget(self.include_flagged_check)
        layout.addWidget(self.dicomdir_check)
        layout.addLayout(folder_row)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.report, 1)
        layout.addWidget(self.buttons)
        self.deidentify_check.toggled.connect(self._on_deidentify_toggled)
        self._on_deidentify_toggled(deidentify)
        self.resize(720, 560)

    # -- choices ---------------------------------------------------------------------------

    def _on_option_toggled(self, option: RetainOption, on: bool) -> None:
        """Full dates and modified dates exclude each other."""
        other = {
            RetainOption.FULL_DATES: RetainOption.MODIFIED_DATES,
            RetainOption.MODIFIED_DATES: RetainOption.FULL_DATES,
        }.get(option)
        if on and other is not None:
            self.option_checks[other].setChecked(False)

    def _on_deidentify_toggled(self, on: bool) -> None:
        self.options_box.setEnabled(on)
        self.include_flagged_check.setEnabled(on)

    def _on_browse_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export to", str(export_dir()))
        if folder:
            self.folder_field.setText(folder)

    def chosen_options(self) -> frozenset[RetainOption]:
        return frozenset(
            option for option, check in self.option_checks.items() if check.isChecked()
        )

    # -- running ---------------------------------------------------------------------------

    def start_export(self) -> JobHandle | None:
        """Run the export with the choices made (a job; progress and Cancel)."""
        folder = self.folder_field.text().strip()
        if not folder:
            self.report.setPlainText("Choose the folder to export to.")
            return None
        deidentify = (
            core.deid.DeidOptions(retain=self.chosen_options())
            if self.deidentify_check.isChecked()
            else None
        )
        media = self.dicomdir_check.isChecked()
        include = self.include_flagged_check.isChecked()
        source = self.source

        def export(token: CancelToken) -> Any:
            return core.deid.export_job(
                source,
                folder,
                deidentify=deidentify,
                dicomdir=media,
                include_burned_in=include,
                token=token,
            )

        self.export_button.setEnabled(False)
        self.cancel_button.setText("Cancel")
        self.progress_bar.setRange(0, 0)
        self.progress_bar.show()
        self.report.setPlainText("Exporting…")
        return self._slot.start(
            export,
            on_event=self._on_export_event,
            on_result=self._on_export_succeeded,
            on_error=self._on_export_failed,
            on_finished=self._on_export_finished,
        )

    def _on_export_event(self, event: object) -> None:
        if isinstance(event, Progress) and event.total > 0:
            self.progress_bar.setRange(0, event.total)
            self.progress_bar.setValue(min(event.done, event.total))
            self.progress_bar.setFormat(f"{event.message} %v/%m" if event.message else "%v/%m")

    def _on_export_succeeded(self, result: ExportResult) -> None:
        self.export_result = result
        self.report.setPlainText("\n".join(describe_export(result)))
        self.export_finished.emit(result)

    def _on_export_failed(self, error: BaseException) -> None:
        if isinstance(error, CancelledError):
            self.report.setPlainText("The export was cancelled; nothing was written.")
        else:
            self.report.setPlainText(f"The study was not exported: {describe_error(error)}")

    def _on_export_finished(self) -> None:
        self.progress_bar.hide()
        self.export_button.setEnabled(True)
        self.cancel_button.setText("Close")
        self.folder_field.setText(
            _default_folder("anonymised" if self.deidentify_check.isChecked() else "media")
            if self.export_result is not None
            else self.folder_field.text()
        )

    def _on_cancel_clicked(self) -> None:
        if self._slot.is_running:
            self._slot.cancel()
        else:
            self.reject()

    def done(self, code: int) -> None:  # a closed dialog stops its export
        self._slot.discard()
        super().done(code)


def describe_export(result: ExportResult) -> list[str]:
    """The lines the dialog shows after an export: what was written, flagged, skipped."""
    how = "de-identified (PS3.15 Basic profile" + (
        f"; kept: {', '.join(result.retained)})" if result.retained else ")"
    )
    lines = [
        f"Exported {len(result.exported)} objects of {len(result.studies)} "
        f"{'study' if len(result.studies) == 1 else 'studies'} to {result.out_dir}, "
        + (how if result.deidentified else "unchanged")
        + (", with a DICOMDIR." if result.dicomdir else "."),
    ]
    if result.flagged:
        lines.append("")
        count = len(result.flagged)
        lines.append(f"{count} {'image' if count == 1 else 'images'} flagged for burned-in text:")
        for flagged in result.flagged:
            verdict = "INCLUDED on request" if flagged.included else "left out"
            lines.append(f"  {Path(flagged.source).name}: {flagged.reason} ({verdict})")
        if not all(flagged.included for flagged in result.flagged):
            lines.append(
                '  To export them anyway, tick "Include flagged images" and export again '
                "to a new folder."
            )
    if result.skipped:
        lines.append("")
        lines.append(f"{len(result.skipped)} files not exported:")
        lines.extend(f"  {Path(s.source).name}: {s.reason}" for s in result.skipped)
    lines.append("")
    lines.append("Files:")
    lines.extend(f"  {f.path}" for f in result.exported)
    return lines
