"""Settings → Reporting's GGUF choice: a .gguf file imported, checked, tested, saved.

The dialog lists "A GGUF file on this computer (llama.cpp)"; its Import copies and hashes
the file, Check reads its header, and "Test" drafts one sentence with llama.cpp in the
language-model process and shows tokens/s. The saved choice comes back as the GGUF
choice when the dialog opens again.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from core.report.llm import shutdown_language_model_process
from desktop.assistant.report_dialogs import ReportingSettingsDialog
from desktop.settings import Settings
from tests.core.llm_helpers import make_tiny_gguf

WAIT_MS = 60_000


@pytest.fixture(scope="module")
def tiny_gguf(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield make_tiny_gguf(tmp_path_factory.mktemp("gguf") / "tiny-gguf")
    shutdown_language_model_process()


def test_a_gguf_file_is_imported_tested_and_saved(
    qtbot: QtBot, tmp_path: Path, tiny_gguf: Path
) -> None:
    settings = Settings(tmp_path / "settings.ini")
    dialog = ReportingSettingsDialog(settings)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData("gguf"))
    assert dialog.folder_box.isVisible() and not dialog.endpoint_box.isVisible()
    assert dialog.model_label.text() == "GGUF file:"
    source = tmp_path / "site-model.gguf"
    shutil.copy(tiny_gguf, source)
    dialog.model_edit.setText(str(source))
    assert dialog.import_model_folder() is not None
    qtbot.waitUntil(lambda: dialog.model_status.text().startswith("Usable"), timeout=WAIT_MS)
    imported = Path(dialog.model_edit.text())
    assert imported.name == "site-model.gguf" and imported != source
    assert "prompts use its chat template" in dialog.model_status.text()
    assert dialog.test_engine() is not None
    qtbot.waitUntil(lambda: "tokens/s" in dialog.test_status.text(), timeout=WAIT_MS)
    assert dialog.test_status.text().startswith("Works: site-model.gguf wrote ")
    assert dialog.test_status.text().endswith("(F32).")
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    again = ReportingSettingsDialog(Settings(settings.file_name))
    qtbot.addWidget(again)
    assert again.llm_kind == "gguf" and again.model_edit.text() == str(imported)


def test_a_file_that_is_not_gguf_is_refused_in_words(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = ReportingSettingsDialog(Settings(tmp_path / "settings.ini"))
    qtbot.addWidget(dialog)
    dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData("gguf"))
    notes = tmp_path / "notes.gguf"
    notes.write_text("not a model\n")
    dialog.model_edit.setText(str(notes))
    assert dialog.check_model_folder() is not None
    qtbot.waitUntil(lambda: "not a GGUF model" in dialog.model_status.text(), timeout=WAIT_MS)
