"""File → Export → Anonymised Study…: the dialog flags a burned-in image and leaves it out.

The study is a real folder of generated DICOM files opened in the window; the export
runs :func:`core.deid.export_job` for real. Also writes the screenshot
test-artifacts/screenshots/anonymised-export.png.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pydicom
import pytest
from pydicom.dataset import FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from core.deid.options import RetainOption
from desktop.archive.export_dialog import RETAIN_EXPLANATIONS, StudyExportDialog
from desktop.archive.menu_slots import show_export_dialog
from desktop.main_window import MainWindow
from desktop.settings import Settings
from tests.core.archive.helpers import tiny_image

TIMEOUT_MS = 30_000
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
US_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.6.1"


def _write(ds: pydicom.Dataset, path: Path) -> None:
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    path.parent.mkdir(parents=True, exist_ok=True)
    pydicom.dcmwrite(path, ds, enforce_file_format=True)


@pytest.fixture
def study_folder(tmp_path: Path) -> Path:
    """Two CT images and one ultrasound image with Burned In Annotation YES."""
    folder = tmp_path / "study"
    study, series = generate_uid(), generate_uid()
    for number in range(2):
        ct = tiny_image(study, series, patient_name="CANARY^PATIENT", patient_id="CANARY123")
        ct.InstanceNumber = number + 1
        ct.StudyID = "1"  # a DICOMDIR's STUDY record needs it
        ct.ImagePositionPatient = [0.0, 0.0, float(number)]
        _write(ct, folder / f"ct{number}.dcm")
    us = tiny_image(study, generate_uid(), patient_name="CANARY^PATIENT", patient_id="CANARY123")
    us.SOPClassUID = US_IMAGE_STORAGE
    us.Modality = "US"
    us.BurnedInAnnotation = "YES"
    us.SeriesNumber = 2
    us.StudyID = "1"
    del us.RescaleSlope, us.RescaleIntercept
    _write(us, folder / "us.dcm")
    return folder


@pytest.fixture
def window(qtbot: Any) -> Iterator[MainWindow]:
    win = MainWindow(Settings())
    qtbot.addWidget(win)
    win.resize(1000, 700)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.cancel_import()
    win.archive_part.shutdown()


def test_the_anonymised_export_flags_the_burned_in_image(
    qtbot: Any, window: MainWindow, study_folder: Path, tmp_path: Path
) -> None:
    with qtbot.waitSignal(window.series_loaded, timeout=TIMEOUT_MS):
        window.open_path(study_folder)
    dialog = show_export_dialog(window, media=False)
    assert isinstance(dialog, StudyExportDialog)
    assert dialog.deidentify_check.isChecked()
    assert not dialog.include_flagged_check.isChecked()  # off by default
    assert not dialog.dicomdir_check.isChecked()
    for option, check in dialog.option_checks.items():  # one line of explanation each
        assert RETAIN_EXPLANATIONS[option] in check.text()
    dialog.option_checks[RetainOption("full-dates")].setChecked(True)
    dialog.option_checks[RetainOption("modified-dates")].setChecked(True)
    assert not dialog.option_checks[RetainOption("full-dates")].isChecked()  # one or the other
    out = tmp_path / "anonymised"
    dialog.folder_field.setText(str(out))
    with qtbot.waitSignal(dialog.export_finished, timeout=TIMEOUT_MS) as finished:
        dialog.start_export()
    result = finished.args[0]
    text = dialog.report.toPlainText()
    assert text.startswith("Exported 2 objects of 1 study")
    assert "1 image flagged for burned-in text:" in text
    assert "us.dcm: Burned In Annotation is YES" in text and "(left out)" in text
    written = sorted(out.rglob("*.dcm"))
    assert len(written) == 2 == len(result.exported)
    for path in written:
        assert b"CANARY" not in path.read_bytes()
    qtbot.waitUntil(lambda: dialog.export_button.isEnabled(), timeout=TIMEOUT_MS)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "anonymised-export.png"
    assert dialog.grab().save(str(shot))
    dialog.close()


def test_the_media_export_writes_a_dicomdir_unchanged(
    qtbot: Any, window: MainWindow, study_folder: Path, tmp_path: Path
) -> None:
    with qtbot.waitSignal(window.series_loaded, timeout=TIMEOUT_MS):
        window.open_path(study_folder)
    dialog = show_export_dialog(window, media=True)
    assert isinstance(dialog, StudyExportDialog)
    assert dialog.dicomdir_check.isChecked() and not dialog.deidentify_check.isChecked()
    assert not dialog.options_box.isEnabled()
    out = tmp_path / "media"
    dialog.folder_field.setText(str(out))
    handle = dialog.start_export()
    assert handle is not None
    qtbot.waitUntil(lambda: not handle.is_running, timeout=TIMEOUT_MS)
    assert (out / "DICOMDIR").is_file()
    assert "unchanged, with a DICOMDIR." in dialog.report.toPlainText()
    dialog.close()


def test_export_without_a_study_says_so(window: MainWindow) -> None:
    assert show_export_dialog(window, media=False) is None
    assert window.notifications.notifications[-1].text == "Open a study to export it."
