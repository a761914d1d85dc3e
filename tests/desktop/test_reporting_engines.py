"""Settings → Reporting's engines and the report panel drafting through an endpoint.

A real ``transformers serve`` on 127.0.0.1 serves a tiny model; the dialog's "Test"
drafts one sentence through it and shows tokens/s; the API key lands in the credential
store (the OS keyring), never in the settings file; the panel's language model then
drafts through the server, and a server that stops mid-stream keeps what it wrote.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from core.report.document import FindingFact, Origin, ReportContext, StudyContext
from core.report.llm import EngineSpec, endpoint_credentials
from desktop.assistant.report_dialogs import ReportingSettingsDialog
from desktop.assistant.report_panel import ReportPanel
from desktop.settings import Settings
from tests.core.llm_helpers import (
    make_tiny_causal_lm,
    start_fake_endpoint,
    start_transformers_serve,
    stop_server,
)

WAIT_MS = 60_000
KEY = "sk-test-0123456789-secret"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    base = tmp_path_factory.mktemp("serve")
    folder = make_tiny_causal_lm(base / "tiny-served-lm")
    process, url = start_transformers_serve(folder, base / "serve.log")
    yield url, folder
    stop_server(process)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = Settings(tmp_path / "settings.ini")
    settings.report_signer = "Dr A. Reader"
    return settings


def _context() -> ReportContext:
    study = StudyContext(
        "1.2.826.0.1.3680043.10.543.5.9",
        modality="DX",
        body_part="CHEST",
        view_position="PA",
        image_count=1,
    )
    finding = FindingFact("Nodule", "positive", 0.91, 0.40, "right", "upper", "demo-cxr 1.0", True)
    return ReportContext(study, findings=(finding,), models=("demo-cxr 1.0",), analysed=True)


def test_the_endpoint_is_tested_and_saved_with_the_key_in_the_keyring_only(
    qtbot: QtBot, settings: Settings, served: tuple[str, Path]
) -> None:
    url, folder = served
    dialog = ReportingSettingsDialog(settings)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.folder_box.isVisible() and not dialog.endpoint_box.isVisible()
    dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData("endpoint"))
    assert dialog.endpoint_box.isVisible() and not dialog.folder_box.isVisible()
    dialog.url_edit.setText(url + "/v1")
    dialog.endpoint_model_edit.setText(str(folder))
    dialog.key_edit.setText(KEY)
    dialog.timeout_spin.setValue(30)
    dialog.idle_spin.setValue(5)
    labels = [dialog.structured_combo.itemText(i) for i in range(dialog.structured_combo.count())]
    assert labels == [
        "Automatic",
        "GBNF grammar (llama.cpp)",
        "JSON schema (vLLM, Ollama, LM Studio, OpenAI)",
        "None — plain text, parsed strictly",
    ]
    assert dialog.structured_combo.currentData() == "auto"
    dialog.structured_combo.setCurrentIndex(dialog.structured_combo.findData("json_schema"))
    handle = dialog.test_engine()
    assert handle is not None
    qtbot.waitUntil(lambda: "tokens/s" in dialog.test_status.text(), timeout=WAIT_MS)
    assert dialog.test_status.text().startswith(f"Works: {folder} wrote ")
    # transformers serve ignores response_format: the Test says the text was not held.
    assert "Structured output: none (plain text, parsed strictly)." in dialog.test_status.text()
    with qtbot.waitSignal(dialog.settings_saved, timeout=1000):
        dialog.buttons.accepted.emit()
    assert dialog.key_saved is not None and dialog.key_saved.wait(10.0)
    again = Settings(settings.file_name)
    assert again.report_llm_kind == "endpoint"
    assert again.report_endpoint_url == url + "/v1"
    assert again.report_endpoint_model == str(folder)
    assert again.report_endpoint_timeout_s == 30 and again.report_idle_release_min == 5
    assert again.report_endpoint_structured == "json_schema"
    assert again.report_language_model() == {
        "kind": "endpoint",
        "base_url": url + "/v1",
        "model": str(folder),
        "ca_bundle": "",
        "read_timeout_s": 30.0,
        "structured": "json_schema",
    }
    name = EngineSpec.key_name_for(url + "/v1")
    try:
        assert endpoint_credentials().get(name) == KEY
        text = Path(settings.file_name).read_text(encoding="utf-8")
        assert KEY not in text and "endpoint_url" in text  # read the file back
    finally:
        endpoint_credentials().forget(name)


def test_the_test_button_explains_a_refused_key(qtbot: QtBot, settings: Settings) -> None:
    process, url = start_fake_endpoint("ok", key="the-right-key")
    try:
        dialog = ReportingSettingsDialog(settings)
        qtbot.addWidget(dialog)
        dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData("endpoint"))
        dialog.url_edit.setText(url)
        dialog.endpoint_model_edit.setText("fake")
        dialog.key_edit.setText("a-wrong-key")
        assert dialog.test_engine() is not None
        qtbot.waitUntil(lambda: "refused the API key" in dialog.test_status.text(), timeout=WAIT_MS)
        assert "a-wrong-key" not in dialog.test_status.text()
    finally:
        endpoint_credentials().forget(EngineSpec.key_name_for(url))
        stop_server(process)


def _panel(qtbot: QtBot, settings: Settings) -> ReportPanel:
    panel = ReportPanel(settings=settings)
    qtbot.addWidget(panel)
    panel.resize(560, 820)
    panel.show()
    context = _context()
    panel.open_study(context.study)
    panel.set_context(context)
    panel.set_engine("llm")
    return panel


def test_the_panel_drafts_through_the_endpoint(
    qtbot: QtBot, settings: Settings, served: tuple[str, Path]
) -> None:
    url, folder = served
    settings.report_llm_kind = "endpoint"
    settings.report_endpoint_url = url
    settings.report_endpoint_model = str(folder)
    settings.report_max_new_tokens = 24
    panel = _panel(qtbot, settings)
    try:
        chunks: list[str] = []
        panel.text_streamed.connect(chunks.append)
        with qtbot.waitSignal(panel.draft_finished, timeout=WAIT_MS) as blocker:
            assert panel.draft("report") is not None
        report = blocker.args[0]
        written = [s for s in report.sentences() if s.origin is Origin.LANGUAGE_MODEL]
        assert chunks and written and {s.source for s in written} == {str(folder)}
        status = panel.status_label.text()
        assert f"Written by the language model {folder}" in status or "other language" in status
    finally:
        panel.shutdown()


def test_a_server_killed_mid_stream_leaves_the_text_for_review(
    qtbot: QtBot, settings: Settings
) -> None:
    process, url = start_fake_endpoint("slow", delay_s=0.1)
    settings.report_llm_kind = "endpoint"
    settings.report_endpoint_url = url
    settings.report_endpoint_model = "fake"
    panel = _panel(qtbot, settings)
    try:
        chunks: list[Any] = []
        panel.text_streamed.connect(chunks.append)
        with qtbot.waitSignal(panel.draft_finished, timeout=WAIT_MS) as blocker:
            assert panel.draft("report") is not None
            qtbot.waitUntil(lambda: len(chunks) >= 4, timeout=WAIT_MS)
            stop_server(process)
        report = blocker.args[0]
        assert any(s.origin is Origin.LANGUAGE_MODEL for s in report.sentences())
        status = panel.status_label.text()
        assert status.startswith("Incomplete (the connection ended before the model finished)")
        assert not panel.is_drafting and not panel.editor.isReadOnly()
    finally:
        panel.shutdown()
        stop_server(process)
