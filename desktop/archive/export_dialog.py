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

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Signal
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
from desktop.number_format import format_count
from desktop.workers import JobHandle, JobSlot

if TYPE_CHECKING:
    from core.deid import ExportResult
    from core.dicom.records import StudyIndex

logger = logging.getLogger(__name__)

__all__ = ["RETAIN_EXPLANATIONS", "RETAIN_TITLES", "StudyExportDialog", "describe_export"]

#: One line for each retained option of PS3.15 E.3 (RetainOption), shown beside it
#: (English sources, shown translated: context "StudyExportDialog").
RETAIN_EXPLANATIONS: Final = {
    RetainOption.FULL_DATES: QT_TRANSLATE_NOOP(
        "StudyExportDialog", "Keep the real dates and times (for follow-up across studies)."
    ),
    RetainOption.MODIFIED_DATES: QT_TRANSLATE_NOOP(
        "StudyExportDialog", "Shift dates consistently: intervals between studies stay true."
    ),
    RetainOption.PATIENT_CHARACTERISTICS: QT_TRANSLATE_NOOP(
        "StudyExportDialog", "Keep age, sex, size, weight and smoking status."
    ),
    RetainOption.DEVICE_IDENTITY: QT_TRANSLATE_NOOP(
        "StudyExportDialog", "Keep the scanner's make, model and serial numbers."
    ),
    RetainOption.INSTITUTION_IDENTITY: QT_TRANSLATE_NOOP(
        "StudyExportDialog", "Keep the hospital's name and address."
    ),
    RetainOption.CLEAN_DESCRIPTORS: QT_TRANSLATE_NOOP(
        "StudyExportDialog",
        "Keep study and series descriptions, cleaned, instead of removing them.",
    ),
}
#: The name of each retained option as the dialog shows it (English sources).
RETAIN_TITLES: Final = {
    RetainOption.FULL_DATES: QT_TRANSLATE_NOOP("StudyExportDialog", "Full dates"),
    RetainOption.MODIFIED_DATES: QT_TRANSLATE_NOOP("StudyExportDialog", "Modified dates"),
    RetainOption.PATIENT_CHARACTERISTICS: QT_TRANSLATE_NOOP(
        "StudyExportDialog", "Patient characteristics"
    ),
    RetainOption.DEVICE_IDENTITY: QT_TRANSLATE_NOOP("StudyExportDialog", "Device identity"),
    RetainOption.INSTITUTION_IDENTITY: QT_TRANSLATE_NOOP(
        "StudyExportDialog", "Institution identity"
    ),
    RetainOption.CLEAN_DESCRIPTORS: QT_TRANSLATE_NOOP("StudyExportDialog", "Clean descriptors"),
}


def _tr(text: object, disambiguation: str | None = None) -> str:
    """``text`` (a source, or a QT_TRANSLATE_NOOP-marked constant) in the interface's language."""
    return QCoreApplication.translate("StudyExportDialog", str(text), disambiguation)


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
        self.setWindowTitle(
            self.tr("Export Anonymised Study") if deidentify else self.tr("Export Study to Media")
        )
        self.source = source
        self.export_result: ExportResult | None = None
        self._slot = JobSlot(self, name="study-export")

        self.deidentify_check = QCheckBox(
            self.tr("De-identify (DICOM PS3.15 Basic Application Level Confidentiality Profile)")
        )
        self.deidentify_check.setObjectName("deidentify")
        self.deidentify_check.setChecked(deidentify)
        self.options_box = QGroupBox(self.tr("Keep (retained options)"))
        options = QVBoxLayout(self.options_box)
        self.option_checks: dict[RetainOption, QCheckBox] = {}
        for option, says in RETAIN_EXPLANATIONS.items():
            label = self.tr("{option}: {explanation}").format(
                option=_tr(RETAIN_TITLES[option]), explanation=_tr(says)
            )
            check = QCheckBox(label)
            check.setObjectName(f"retain_{option.value}")
            check.toggled.connect(lambda on, o=option: self._on_option_toggled(o, on))
            options.addWidget(check)
            self.option_checks[option] = check
        self.include_flagged_check = QCheckBox(
            self.tr("Include flagged images (their pixels may show the patient's name or ID)")
        )
        self.include_flagged_check.setObjectName("include_flagged")
        self.include_flagged_check.setChecked(False)
        self.dicomdir_check = QCheckBox(self.tr("Write a DICOMDIR (for a CD or USB stick)"))
        self.dicomdir_check.setObjectName("write_dicomdir")
        self.dicomdir_check.setChecked(dicomdir)
        self.folder_field = QLineEdit(_default_folder("anonymised" if deidentify else "media"))
        self.folder_field.setObjectName("export_folder")
        browse = QPushButton(self.tr("Browse…"))
        browse.setObjectName("export_browse")
        browse.clicked.connect(self._on_browse_clicked)
        folder_row = QHBoxLayout()
        folder_row.addWidget(QLabel(self.tr("Export to (a new or empty folder):")))
        folder_row.addWidget(self.folder_field, 1)
        folder_row.addWidget(browse)

        self.progress_bar = QProgressBar()
        self.progress_bar.setObjectName("export_progress")
        self.progress_bar.hide()
        self.report = QPlainTextEdit()
        self.report.setObjectName("export_report")
        self.report.setReadOnly(True)
        self.report.setPlaceholderText(
            self.tr("What was exported, and every flagged image, shows here.")
        )
        self.buttons = QDialogButtonBox()
        self.export_button = self.buttons.addButton(
            self.tr("Export"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.export_button.setObjectName("export_start")
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
        folder = QFileDialog.getExistingDirectory(self, self.tr("Export to"), str(export_dir()))
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
            self.report.setPlainText(self.tr("Choose the folder to export to."))
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
        self.cancel_button.setText(self.tr("Cancel"))
        self.progress_bar.setRange(0, 0)
        self.progress_bar.show()
        self.report.setPlainText(self.tr("Exporting…"))
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
            counted = f"{event.message} %v/%m" if event.message else "%v/%m"
            self.progress_bar.setFormat(counted)

    def _on_export_succeeded(self, result: ExportResult) -> None:
        self.export_result = result
        self.report.setPlainText("\n".join(describe_export(result)))
        self.export_finished.emit(result)

    def _on_export_failed(self, error: BaseException) -> None:
        if isinstance(error, CancelledError):
            self.report.setPlainText(self.tr("The export was cancelled; nothing was written."))
        else:
            said = self.tr("The study was not exported: {reason}")
            self.report.setPlainText(said.format(reason=describe_error(error)))

    def _on_export_finished(self) -> None:
        self.progress_bar.hide()
        self.export_button.setEnabled(True)
        self.cancel_button.setText(self.tr("Close"))
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
    if len(result.studies) == 1:
        exported = QCoreApplication.translate(
            "StudyExportDialog", "Exported {objects} objects of 1 study to {folder}"
        )
    else:
        exported = QCoreApplication.translate(
            "StudyExportDialog", "Exported {objects} objects of {count} studies to {folder}"
        )
    exported = exported.format(
        objects=format_count(len(result.exported)),
        count=format_count(len(result.studies)),
        folder=result.out_dir,
    )
    if not result.deidentified:
        how = QCoreApplication.translate("StudyExportDialog", "unchanged")
    elif result.retained:
        how = QCoreApplication.translate(
            "StudyExportDialog", "de-identified (PS3.15 Basic profile; kept: {options})"
        ).format(options=", ".join(result.retained))
    else:
        how = QCoreApplication.translate(
            "StudyExportDialog", "de-identified (PS3.15 Basic profile)"
        )
    if result.dicomdir:
        first = QCoreApplication.translate(
            "StudyExportDialog", "{exported}, {how}, with a DICOMDIR."
        )
    else:
        first = QCoreApplication.translate("StudyExportDialog", "{exported}, {how}.")
    lines = [first.format(exported=exported, how=how)]
    if result.flagged:
        lines.append("")
        count = len(result.flagged)
        if count == 1:
            lines.append(
                QCoreApplication.translate(
                    "StudyExportDialog", "1 image flagged for burned-in text:"
                )
            )
        else:
            flagged_words = QCoreApplication.translate(
                "StudyExportDialog", "{count} images flagged for burned-in text:"
            )
            lines.append(flagged_words.format(count=format_count(count)))
        for flagged in result.flagged:
            if flagged.included:
                verdict = QCoreApplication.translate(
                    "StudyExportDialog", "{file}: {reason} (INCLUDED on request)"
                )
            else:
                verdict = QCoreApplication.translate(
                    "StudyExportDialog", "{file}: {reason} (left out)"
                )
            lines.append(
                "  " + verdict.format(file=Path(flagged.source).name, reason=flagged.reason)
            )
        if not all(flagged.included for flagged in result.flagged):
            lines.append(
                "  "
                + QCoreApplication.translate(
                    "StudyExportDialog",
                    'To export them anyway, tick "Include flagged images" and export again '
                    "to a new folder.",
                )
            )
    if result.skipped:
        lines.append("")
        skipped = QCoreApplication.translate("StudyExportDialog", "{count} files not exported:")
        lines.append(skipped.format(count=format_count(len(result.skipped))))
        lines.extend(f"  {Path(s.source).name}: {s.reason}" for s in result.skipped)
    lines.append("")
    lines.append(QCoreApplication.translate("StudyExportDialog", "Files:"))
    lines.extend(f"  {f.path}" for f in result.exported)
    return lines
