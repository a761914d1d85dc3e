"""The report panel's dialogs: signing blocked (with an override), addendum, Reporting settings.

Each opens non-modally (``open()``), so the window keeps running; the panel connects to
their signals. House rule 9: an override of the review is possible, but only with a
reason, which the signature records together with what was outstanding.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core.errors import CancelledError
from desktop import workers
from desktop.number_format import decimal

if TYPE_CHECKING:
    from desktop.settings import Settings
    from desktop.workers import JobHandle

logger = logging.getLogger(__name__)

__all__ = ["AddendumDialog", "ReportingSettingsDialog", "SigningBlockedDialog"]

#: Report languages offered: (code, what the person reads).
LANGUAGE_CHOICES: tuple[tuple[str, str], ...] = (("en", "English"), ("zh-CN", "中文"))


class SigningBlockedDialog(QDialog):
    """What needs review before signing, and "Sign anyway", which needs a reason.

    Signals
    -------
    override_confirmed(str)
        The person signs anyway, for the reason given (never empty).
    """

    override_confirmed = Signal(str)

    def __init__(self, blockers: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sign_blocked_dialog")
        self.setWindowTitle(self.tr("Signing needs review"))
        self.blockers = tuple(blockers)
        intro = QLabel(
            self.tr(
                "{count} item(s) need review before the report can be signed. "
                "Review them in the editor (Mark reviewed, Resolve), or sign anyway: the reason "
                "and these items are recorded with your signature."
            ).format(count=len(self.blockers))
        )
        intro.setWordWrap(True)
        self.blocker_list = QListWidget()
        self.blocker_list.setObjectName("sign_blockers")
        self.blocker_list.setWordWrap(True)
        self.blocker_list.addItems(list(self.blockers))
        self.reason_edit = QLineEdit()
        self.reason_edit.setObjectName("override_reason")
        self.reason_edit.setPlaceholderText(self.tr("Reason for signing without review (required)"))
        self.reason_edit.textChanged.connect(self._on_reason_edit_changed)
        self.sign_anyway_button = QPushButton(self.tr("Sign anyway"))
        self.sign_anyway_button.setObjectName("sign_anyway")
        self.sign_anyway_button.setEnabled(False)
        self.sign_anyway_button.clicked.connect(self._on_sign_anyway_clicked)
        self.review_button = QPushButton(self.tr("Review first"))
        self.review_button.setObjectName("review_first")
        self.review_button.setDefault(True)
        self.review_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.review_button)
        buttons.addWidget(self.sign_anyway_button)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.blocker_list, 1)
        layout.addWidget(QLabel(self.tr("Override:")))
        layout.addWidget(self.reason_edit)
        layout.addLayout(buttons)
        self.resize(520, 360)

    def _on_reason_edit_changed(self, text: str) -> None:
        self.sign_anyway_button.setEnabled(bool(text.strip()))

    def _on_sign_anyway_clicked(self) -> None:
        reason = self.reason_edit.text().strip()
        if not reason:
            return
        self.accept()
        self.override_confirmed.emit(reason)


class AddendumDialog(QDialog):
    """Text added to a signed report, signed on its own.

    Signals
    -------
    addendum_written(str)
    """

    addendum_written = Signal(str)

    def __init__(self, signer: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("addendum_dialog")
        self.setWindowTitle(self.tr("Addendum"))
        note = QLabel(
            self.tr(
                "The signed report does not change; this addendum is added to it, "
                "signed by {signer}."
            ).format(signer=signer)
        )
        note.setWordWrap(True)
        self.text_edit = QPlainTextEdit()
        self.text_edit.setObjectName("addendum_text")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText(self.tr("Sign addendum"))
        ok.setEnabled(False)
        self.text_edit.textChanged.connect(
            lambda: ok.setEnabled(bool(self.text_edit.toPlainText().strip()))
        )
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.text_edit, 1)
        layout.addWidget(self.buttons)
        self.resize(480, 260)

    def _on_buttons_accepted(self) -> None:
        text = self.text_edit.toPlainText().strip()
        if text:
            self.accept()
            self.addendum_written.emit(text)


def _is_gguf(path: str) -> bool:
    return path.lower().endswith(".gguf")


def _inspect_job(folder: str, token: Any) -> Any:
    # lazy: not on the window's start-up path
    from core.report.llm import inspect_gguf_file, inspect_model_folder

    return (
        inspect_gguf_file(Path(folder)) if _is_gguf(folder) else inspect_model_folder(Path(folder))
    )


def _try_job(fields: dict[str, Any], key: str, token: Any) -> Any:
    """Settings' "Test": keep a typed key, then draft one sentence with the engine."""
    # lazy: not on the window's start-up path
    from core.report.llm import endpoint_credentials, try_engine
    from desktop.assistant.report_stream import engine_spec

    spec = engine_spec(fields)
    if key and spec.api_key_name:
        endpoint_credentials().set(spec.api_key_name, key)
    return (yield from try_engine(spec, token=token))


def _keep_key_job(fields: dict[str, Any], key: str, token: Any) -> None:
    """Keep the endpoint's key in the credential store (the OS keyring): never in settings."""
    # lazy: not on the window's start-up path
    from core.report.llm import endpoint_credentials
    from desktop.assistant.report_stream import engine_spec

    spec = engine_spec(fields)
    if spec.api_key_name:
        endpoint_credentials().set(spec.api_key_name, key)


def _import_job(folder: str, token: Any) -> Any:
    # lazy: not on the window's start-up path
    from core.report.llm import import_gguf_model
    from core.report.llm_models import import_language_model

    if _is_gguf(folder):
        return import_gguf_model(Path(folder))
    return import_language_model(Path(folder))


class ReportingSettingsDialog(QDialog):
    """Settings → Reporting: who signs, the language model and how it writes, the language.

    The language model is a local folder (transformers), a local GGUF file (llama.cpp)
    or an OpenAI-compatible server (URL, model name, API key, CA bundle, timeout); the
    key goes to the OS keyring (:func:`core.report.llm.endpoint_credentials`), never to
    the settings file. "Test" drafts one sentence with the engine as typed and says how
    fast it wrote.

    Signals
    -------
    settings_saved()
    """

    settings_saved = Signal()

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reporting_settings")
        self.setWindowTitle(self.tr("Reporting settings"))
        self._settings = settings
        self._check: JobHandle | None = None
        self._test: JobHandle | None = None
        self.key_saved: JobHandle | None = None

        self.signer_edit = QLineEdit(settings.report_signer)
        self.signer_edit.setObjectName("report_signer")
        self.signer_edit.setPlaceholderText(self.tr("e.g. Dr A. Example"))
        self.model_edit = QLineEdit(settings.report_model_folder)
        self.model_edit.setObjectName("report_model_folder")
        self.model_edit.setPlaceholderText(
            self.tr("A Hugging Face causal-LM folder on this computer")
        )
        browse = QPushButton(self.tr("Browse…"))
        browse.clicked.connect(self._on_browse_clicked)
        self.check_button = QPushButton(self.tr("Check"))
        self.check_button.setObjectName("report_model_check")
        self.check_button.setToolTip(
            self.tr("Read the folder (config, weights, tokenizer) without loading it")
        )
        self.check_button.clicked.connect(self.check_model_folder)
        self.import_button = QPushButton(self.tr("Import"))
        self.import_button.setObjectName("report_model_import")
        self.import_button.setToolTip(
            self.tr(
                "Copy the folder into RadAssist's models folder, hashing every file "
                "(a model is verified against these hashes before every load)"
            )
        )
        self.import_button.clicked.connect(self.import_model_folder)
        model_row = QHBoxLayout()
        model_row.addWidget(self.model_edit, 1)
        model_row.addWidget(browse)
        model_row.addWidget(self.import_button)
        model_row.addWidget(self.check_button)
        self.model_status = QLabel("")
        self.model_status.setObjectName("report_model_status")
        self.model_status.setWordWrap(True)
        self._build_engine_fields(settings)
        self.length_spin = QSpinBox()
        self.length_spin.setObjectName("report_max_new_tokens")
        self.length_spin.setRange(16, 8192)
        self.length_spin.setSingleStep(64)
        self.length_spin.setValue(settings.report_max_new_tokens)
        self.length_spin.setSuffix(self.tr(" tokens"))
        self.temperature_spin = QDoubleSpinBox()
        self.temperature_spin.setObjectName("report_temperature")
        self.temperature_spin.setRange(0.0, 2.0)
        self.temperature_spin.setSingleStep(0.1)
        self.temperature_spin.setDecimals(2)
        self.temperature_spin.setValue(settings.report_temperature)
        self.temperature_spin.setToolTip(self.tr("0 = greedy (the same text every time)"))
        self.language_combo = QComboBox()
        self.language_combo.setObjectName("report_default_language")
        for code, text in LANGUAGE_CHOICES:
            self.language_combo.addItem(text, code)
        codes = [code for code, _ in LANGUAGE_CHOICES]
        self.language_combo.setCurrentIndex(codes.index(settings.report_language))

        folder_form = QFormLayout(self.folder_box)
        folder_form.setContentsMargins(0, 0, 0, 0)
        self.model_label = QLabel(self.tr("Language model folder:"))
        folder_form.addRow(self.model_label, model_row)
        folder_form.addRow("", self.model_status)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.test_status, 1)
        form = QFormLayout()
        form.addRow(self.tr("Your name (signs reports):"), self.signer_edit)
        form.addRow(self.tr("Language model:"), self.kind_combo)
        form.addRow(self.folder_box)
        form.addRow(self.endpoint_box)
        form.addRow("", test_row)
        form.addRow(self.tr("Release the local model after:"), self.idle_spin)
        form.addRow(self.tr("Maximum length:"), self.length_spin)
        form.addRow(self.tr("Temperature:"), self.temperature_spin)
        form.addRow(self.tr("Default report language:"), self.language_combo)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.resize(600, 420)
        self._on_kind_combo_changed()

    def _build_engine_fields(self, settings: Settings) -> None:
        self.kind_combo = QComboBox()
        self.kind_combo.setObjectName("report_llm_kind")
        self.kind_combo.addItem(self.tr("A model folder on this computer"), "transformers")
        self.kind_combo.addItem(self.tr("A GGUF file on this computer (llama.cpp)"), "gguf")
        self.kind_combo.addItem(self.tr("An OpenAI-compatible server"), "endpoint")
        # Settings keep a GGUF file as the local model's path: its suffix says the engine.
        kind = settings.report_llm_kind
        if kind != "endpoint" and _is_gguf(settings.report_model_folder):
            kind = "gguf"
        self.kind_combo.setCurrentIndex(max(0, self.kind_combo.findData(kind)))
        self.kind_combo.currentIndexChanged.connect(self._on_kind_combo_changed)
        self.folder_box = QWidget()
        self.endpoint_box = QWidget()
        self.url_edit = QLineEdit(settings.report_endpoint_url)
        self.url_edit.setObjectName("report_endpoint_url")
        self.url_edit.setPlaceholderText(self.tr("e.g. https://llm.hospital.local:8000/v1"))
        self.endpoint_model_edit = QLineEdit(settings.report_endpoint_model)
        self.endpoint_model_edit.setObjectName("report_endpoint_model")
        self.endpoint_model_edit.setPlaceholderText(self.tr("The model name the server serves"))
        self.key_edit = QLineEdit()
        self.key_edit.setObjectName("report_endpoint_key")
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setPlaceholderText(
            self.tr("Kept in the system keyring; empty keeps the stored one")
        )
        self.ca_edit = QLineEdit(settings.report_endpoint_ca_bundle)
        self.ca_edit.setObjectName("report_endpoint_ca_bundle")
        self.ca_edit.setPlaceholderText(self.tr("Empty: the system's certificates"))
        self.timeout_spin = QSpinBox()
        self.timeout_spin.setObjectName("report_endpoint_timeout")
        self.timeout_spin.setRange(1, 3600)
        self.timeout_spin.setValue(settings.report_endpoint_timeout_s)
        self.timeout_spin.setSuffix(self.tr(" s"))
        self.timeout_spin.setToolTip(
            self.tr("How long the server may stay silent before drafting stops")
        )
        self.structured_combo = QComboBox()
        self.structured_combo.setObjectName("report_endpoint_structured")
        for label, value in self._structured_choices():
            self.structured_combo.addItem(label, value)
        self.structured_combo.setCurrentIndex(
            max(0, self.structured_combo.findData(settings.report_endpoint_structured))
        )
        self.structured_combo.setToolTip(
            self.tr(
                "What the server's draft is held to. Automatic: llama.cpp's grammar for a "
                "llama.cpp server, the JSON schema for any other; a server that refuses one "
                "is asked with the next."
            )
        )
        endpoint_form = QFormLayout(self.endpoint_box)
        endpoint_form.setContentsMargins(0, 0, 0, 0)
        endpoint_form.addRow(self.tr("Server URL:"), self.url_edit)
        endpoint_form.addRow(self.tr("Model name:"), self.endpoint_model_edit)
        endpoint_form.addRow(self.tr("API key:"), self.key_edit)
        endpoint_form.addRow(self.tr("CA bundle (PEM):"), self.ca_edit)
        endpoint_form.addRow(self.tr("Timeout:"), self.timeout_spin)
        endpoint_form.addRow(self.tr("Structured output:"), self.structured_combo)
        self.test_button = QPushButton(self.tr("Test"))
        self.test_button.setObjectName("report_engine_test")
        self.test_button.setToolTip(
            self.tr("Draft one sentence with this language model (no patient data)")
        )
        self.test_button.clicked.connect(self.test_engine)
        self.test_status = QLabel("")
        self.test_status.setObjectName("report_engine_status")
        self.test_status.setWordWrap(True)
        self.idle_spin = QSpinBox()
        self.idle_spin.setObjectName("report_idle_release")
        self.idle_spin.setRange(1, 1440)
        self.idle_spin.setValue(settings.report_idle_release_min)
        self.idle_spin.setSuffix(self.tr(" min idle"))
        self.idle_spin.setToolTip(
            self.tr("A local model's memory is given back after this long unused")
        )

    def _structured_choices(self) -> list[tuple[str, str]]:
        """The structured-output choices: (label, setting)."""
        return [
            (self.tr("Automatic"), "auto"),
            (self.tr("GBNF grammar (llama.cpp)"), "grammar"),
            (self.tr("JSON schema (vLLM, Ollama, LM Studio, OpenAI)"), "json_schema"),
            (self.tr("None — plain text, parsed strictly"), "none"),
        ]

    def _structured_name(self, held: str) -> str:
        """What the Test says held the text (an endpoint's ``draft.structured``)."""
        names = {
            "grammar": self.tr("GBNF grammar"),
            "json_schema": self.tr("JSON schema"),
            "none": self.tr("none (plain text, parsed strictly)"),
        }
        return names.get(held, held)

    @property
    def llm_kind(self) -> str:
        return str(self.kind_combo.currentData())

    def _on_kind_combo_changed(self, _: int = 0) -> None:
        endpoint = self.llm_kind == "endpoint"
        self.folder_box.setVisible(not endpoint)
        self.endpoint_box.setVisible(endpoint)
        if self.llm_kind == "gguf":
            self.model_label.setText(self.tr("GGUF file:"))
            self.model_edit.setPlaceholderText(self.tr("A .gguf model file on this computer"))
        else:
            self.model_label.setText(self.tr("Language model folder:"))
            self.model_edit.setPlaceholderText(
                self.tr("A Hugging Face causal-LM folder on this computer")
            )

    def _engine_fields(self) -> dict[str, Any] | None:
        """The language model as typed (EngineSpec fields); None when incomplete."""
        if self.llm_kind == "endpoint":
            url, model = self.url_edit.text().strip(), self.endpoint_model_edit.text().strip()
            if not (url and model):
                return None
            return {
                "kind": "endpoint",
                "base_url": url,
                "model": model,
                "ca_bundle": self.ca_edit.text().strip(),
                "read_timeout_s": float(self.timeout_spin.value()),
                "structured": str(self.structured_combo.currentData()),
            }
        folder = self.model_edit.text().strip()
        if not folder:
            return None
        return {"kind": "gguf" if _is_gguf(folder) else "transformers", "path": folder}

    def test_engine(self) -> JobHandle | None:
        """Draft one sentence with the engine as typed; its speed shows beside the button."""
        fields = self._engine_fields()
        if fields is None:
            self._say_test(
                self.tr("Give the model folder or GGUF file, or the server's URL and model name."),
                False,
            )
            return None
        if self._test is not None and self._test.is_running:
            self._test.cancel()
        self.test_status.setStyleSheet("")
        self.test_status.setText(self.tr("Testing: drafting one sentence…"))
        key = self.key_edit.text()
        handle = workers.start_job(
            lambda token: _try_job(fields, key, token), parent=self, name="try-llm"
        )
        handle.succeeded.connect(self._on_test_succeeded)
        handle.failed.connect(self._on_test_failed)
        self._test = handle
        return handle

    def _say_test(self, text: str, ok: bool) -> None:
        self.test_status.setStyleSheet(f"QLabel {{ color: {'#2e7d32' if ok else '#c82828'}; }}")
        self.test_status.setText(text)

    def _on_test_succeeded(self, draft: Any) -> None:
        if not draft.text.strip():
            said = self.tr("{model} answered but wrote nothing.").format(model=draft.model_name)
            self._say_test(said, False)
            return
        first = draft.time_to_first_token
        said = self.tr("Works: {model} wrote {tokens} tokens in {seconds} s — {rate} tokens/s")
        said = said.format(
            model=draft.model_name,
            tokens=draft.new_tokens,
            seconds=decimal(float(draft.seconds), 1),
            rate=decimal(float(draft.tokens_per_second), 1),
        )
        if first == first:  # not NaN
            said += self.tr(", first after {seconds} s").format(seconds=decimal(first, 2))
        said += (f" ({draft.dtype})" if draft.dtype else "") + "."
        if getattr(draft, "structured", ""):
            said += " " + self.tr("Structured output: {constraint}.").format(
                constraint=self._structured_name(draft.structured)
            )
        self._say_test(said, True)

    def _on_test_failed(self, error: BaseException) -> None:
        if isinstance(error, CancelledError):
            return
        self._say_test(str(error) or type(error).__name__, False)

    def _on_browse_clicked(self) -> None:
        if self.llm_kind == "gguf":
            folder, _ = QFileDialog.getOpenFileName(
                self,
                self.tr("GGUF model file"),
                self.model_edit.text(),
                self.tr("GGUF models (*.gguf)"),
            )
        else:
            folder = QFileDialog.getExistingDirectory(
                self, self.tr("Language model folder"), self.model_edit.text()
            )
        if folder:
            self.model_edit.setText(folder)
            self.check_model_folder()

    def check_model_folder(self) -> JobHandle | None:
        """Read the folder in the background; the engine's verdict shows below it."""
        folder = self.model_edit.text().strip()
        if not folder:
            self.model_status.setText(self.tr("No folder: drafting uses the templates only."))
            return None
        if self._check is not None and self._check.is_running:
            self._check.cancel()
        self.model_status.setStyleSheet("")
        self.model_status.setText(self.tr("Checking…"))
        handle = workers.start_job(
            lambda token: _inspect_job(folder, token), parent=self, name="inspect-llm"
        )
        handle.succeeded.connect(self._on_check_succeeded)
        handle.failed.connect(self._on_check_failed)
        self._check = handle
        return handle

    def import_model_folder(self) -> JobHandle | None:
        """Import the folder in the background; the imported copy becomes the model."""
        folder = self.model_edit.text().strip()
        if not folder:
            return None
        if self._check is not None and self._check.is_running:
            self._check.cancel()
        self.model_status.setStyleSheet("")
        self.model_status.setText(self.tr("Importing (copying and hashing every file)…"))
        handle = workers.start_job(
            lambda token: _import_job(folder, token), parent=self, name="import-llm"
        )
        handle.succeeded.connect(self._on_import_succeeded)
        handle.failed.connect(self._on_check_failed)
        self._check = handle
        return handle

    def _on_import_succeeded(self, folder: Any) -> None:
        self.model_edit.setText(str(folder))
        self.check_model_folder()

    def _on_check_succeeded(self, info: Any) -> None:
        self.model_status.setStyleSheet("QLabel { color: #2e7d32; }")
        said = (
            self.tr(
                "Usable: {model}, {parameters} M parameters, needs {needed} GiB of {available} GiB "
                "available; prompts use its chat template."
            )
            if info.has_chat_template
            else self.tr(
                "Usable: {model}, {parameters} M parameters, needs {needed} GiB of {available} GiB "
                "available; prompts use a plain prompt."
            )
        )
        self.model_status.setText(
            said.format(
                model=info.name,
                parameters=decimal(info.parameters / 1e6, 1),
                needed=decimal(info.memory_needed / 2**30, 2),
                available=decimal(info.memory_available / 2**30, 1),
            )
        )

    def _on_check_failed(self, error: BaseException) -> None:

        if isinstance(error, CancelledError):
            return
        self.model_status.setStyleSheet("QLabel { color: #c82828; }")
        self.model_status.setText(str(error) or type(error).__name__)

    def _on_buttons_accepted(self) -> None:
        self._settings.report_signer = self.signer_edit.text()
        self._settings.report_model_folder = self.model_edit.text()
        # A GGUF file is the local model's path (its suffix says the engine).
        self._settings.report_llm_kind = (
            "endpoint" if self.llm_kind == "endpoint" else "transformers"
        )
        self._settings.report_endpoint_url = self.url_edit.text()
        self._settings.report_endpoint_model = self.endpoint_model_edit.text()
        self._settings.report_endpoint_ca_bundle = self.ca_edit.text()
        self._settings.report_endpoint_timeout_s = self.timeout_spin.value()
        self._settings.report_endpoint_structured = str(self.structured_combo.currentData())
        self._settings.report_idle_release_min = self.idle_spin.value()
        fields, key = self._engine_fields(), self.key_edit.text()
        if key and fields is not None and fields["kind"] == "endpoint":
            # The keyring may take a moment (D-Bus): off the GUI thread.
            self.key_saved = workers.start_job(
                lambda token: _keep_key_job(fields, key, token), name="keep-llm-key"
            )
        self._settings.report_max_new_tokens = self.length_spin.value()
        self._settings.report_temperature = self.temperature_spin.value()
        self._settings.report_language = str(self.language_combo.currentData())
        self._settings.sync()
        self.accept()
        self.settings_saved.emit()
