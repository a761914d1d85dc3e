"""Settings → Reporting imports a language-model folder: copied, hashed, then checked."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from core.report.llm_models import LLM_MANIFEST_NAME, language_models_dir
from desktop.assistant.report_dialogs import ReportingSettingsDialog
from desktop.settings import Settings


@pytest.fixture(scope="module")
def downloaded_lm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    from tests.core.llm_helpers import make_tiny_causal_lm

    folder = make_tiny_causal_lm(tmp_path_factory.mktemp("hf") / "downloaded-lm")
    (folder / LLM_MANIFEST_NAME).unlink()  # as it comes from the Hub: never imported
    yield folder


def test_a_folder_never_imported_is_named_so_and_import_makes_it_usable(
    qtbot: QtBot, tmp_path: Path, downloaded_lm: Path
) -> None:
    source = tmp_path / "downloaded-lm"
    shutil.copytree(downloaded_lm, source)
    dialog = ReportingSettingsDialog(Settings(tmp_path / "s.ini"))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.model_edit.setText(str(source))
    handle = dialog.check_model_folder()
    assert handle is not None and handle.wait(10.0)
    qtbot.waitUntil(lambda: "not imported" in dialog.model_status.text(), timeout=5000)
    assert "Settings → Reporting (Import)" in dialog.model_status.text()

    handle = dialog.import_model_folder()
    assert handle is not None and handle.wait(30.0)
    imported = language_models_dir() / "downloaded-lm"
    qtbot.waitUntil(lambda: dialog.model_edit.text() == str(imported), timeout=5000)
    qtbot.waitUntil(lambda: dialog.model_status.text().startswith("Usable: "), timeout=10_000)
    assert (imported / LLM_MANIFEST_NAME).is_file()
