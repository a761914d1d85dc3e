"""A damaged install: what the radiologist sees, and that everything else keeps working.

Each test copies the app's resources folder, damages the copy (the demo model deleted,
its weights altered, its manifest deleted; a report template deleted or not JSON) and
points ``RADASSIST_RESOURCES_DIR`` at it before the window starts. The assertions are on
what a person sees: the text in the panels and the banner, buttons disabled with their
reason, and an image, a measurement and a report that still work.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from core.paths import export_dir, user_data_dir
from core.report.document import Origin, Section
from core.resources import resources_dir
from core.synthetic import write_cxr
from desktop.main_window import MainWindow
from desktop.settings import Settings

TIMEOUT_MS = 30_000
DEMO = "radassist-demo-cxr"
#: The bundled package's version, as its manifest says.
DEMO_VERSION = json.loads(
    (resources_dir() / "models" / DEMO / "manifest.json").read_text(encoding="utf-8")
)["version"]
HINT = "reinstall RadAssist or run radassist --self-test"
NOTICE_START = "Part of the installation is missing or damaged: "
NOTICE_END = " — run radassist --self-test, or reinstall RadAssist. Everything else works."
SIGNER = "Dr A. Reader"


def _flip_last_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))


DAMAGES: dict[str, Callable[[Path], object]] = {
    "model folder deleted": lambda r: shutil.rmtree(r / "models" / DEMO),
    "weights altered": lambda r: _flip_last_byte(r / "models" / DEMO / "model.safetensors"),
    "manifest deleted": lambda r: (r / "models" / DEMO / "manifest.json").unlink(),
    "en.json deleted": lambda r: (r / "report_templates" / "en.json").unlink(),
    "zh-CN.json not JSON": lambda r: (r / "report_templates" / "zh-CN.json").write_text(
        "{ not json", encoding="utf-8"
    ),
}


@pytest.fixture
def damaged_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Path]:
    """``damaged_install("weights altered", ...)``: a copy of resources/ with those damages."""

    def make(*damages: str) -> Path:
        copy = tmp_path / "resources"
        shutil.copytree(resources_dir(), copy)
        for damage in damages:
            DAMAGES[damage](copy)
        monkeypatch.setenv("RADASSIST_RESOURCES_DIR", str(copy))
        return copy

    return make


@pytest.fixture(scope="module", autouse=True)
def analysis_process() -> Iterator[None]:
    """The analyses of this module share one child process, stopped at the end."""
    yield
    from core.analysis.runner import shutdown_analysis_process

    shutdown_analysis_process()


@pytest.fixture(scope="module")
def cxr_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cxr") / "0001.dcm"
    write_cxr(path, np.random.default_rng(41), size=128, modality="DX", view="PA")
    return path


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = Settings(tmp_path / "settings.ini")
    settings.report_signer = SIGNER
    return settings


def _start_window(qtbot: Any, settings: Settings) -> MainWindow:
    """The window, shown, once its install check and model list are done."""
    window = MainWindow(settings)
    qtbot.addWidget(window)
    window.resize(1200, 800)
    with qtbot.waitSignal(window.install_status.checked, timeout=TIMEOUT_MS):
        window.show()
        qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.ai_panel.model_combo.count() > 0, timeout=TIMEOUT_MS)
    return window


def _open(qtbot: Any, window: MainWindow, path: Path) -> None:
    signals = [window.series_loaded, window.report_panel.study_opened]
    with qtbot.waitSignals(signals, timeout=TIMEOUT_MS):
        window.open_path(path)
    qtbot.waitUntil(lambda: not window.is_busy, timeout=TIMEOUT_MS)


def _image_is_shown(window: MainWindow) -> bool:
    image = window.grid.active_viewport.grab_view().convertToFormat(QImage.Format.Format_RGB32)
    data = np.frombuffer(image.constBits(), np.uint8).reshape(
        image.height(), image.bytesPerLine() // 4, 4
    )
    return float(data[:, : image.width(), :3].std()) > 10.0  # a radiograph, not a blank view


def _visible_dialogs() -> list[Any]:
    return [
        w
        for w in QApplication.topLevelWidgets()
        if isinstance(w, QDialog | QMessageBox) and w.isVisible()
    ]


def _the_notice(window: MainWindow) -> str:
    (notice,) = window.notifications.notifications  # one banner, not a storm
    assert notice.isVisible() and notice.level == "warning"
    return notice.text


# --------------------------------------------------------------------------- bundled model


@pytest.mark.parametrize(
    ("damage", "said"),
    [
        (
            "model folder deleted",
            f"The bundled model {DEMO} is missing: no such model package folder",
        ),
        (
            "weights altered",
            f"The bundled model {DEMO} is damaged: SHA-256 of model.safetensors is ",
        ),
        (
            "manifest deleted",
            f"The bundled model {DEMO} is damaged: broken manifest: no manifest.json in the folder",
        ),
    ],
)
def test_a_damaged_demo_model_is_said_in_the_ai_panel_and_the_rest_works(
    qtbot: Any,
    damaged_install: Callable[..., Path],
    settings: Settings,
    cxr_file: Path,
    capfd: pytest.CaptureFixture[str],
    damage: str,
    said: str,
) -> None:
    damaged_install(damage)
    window = _start_window(qtbot, settings)
    _open(qtbot, window, cxr_file)
    panel = window.ai_panel
    state = "missing" if damage == "model folder deleted" else "damaged"

    # The panel says which model and why, in plain sight.
    assert window.ai_dock.isVisible() and panel.problem_label.isVisible()
    text = panel.problem_label.text()
    assert text.startswith(said) and text.endswith(f" — {HINT}"), text
    if damage == "weights altered":
        assert "(the file changed or is corrupt)" in text
        assert panel.model_combo.currentText() == f"{DEMO} {DEMO_VERSION} (demo) — damaged"
    else:
        assert panel.model_combo.currentText() == "No model installed"
    assert panel.status_label.text() == f"Analyze is disabled: the bundled model {DEMO} is {state}."
    # Analyze is disabled, its tooltip says why, and the menu's Analyze explains instead.
    assert not panel.analyze_button.isEnabled()
    assert panel.analyze_button.toolTip().startswith(f"Analyze is unavailable. {said}")
    started: list[None] = []
    panel.analysis_started.connect(lambda: started.append(None))
    window.analyze_action.trigger()
    assert started == [] and panel.status_label.text().startswith(said)
    assert panel.status_label.text().endswith(f" — {HINT}.")

    # One banner, still there after the study opened (closing a study keeps it).
    assert _the_notice(window) == f"{NOTICE_START}the bundled model {DEMO} ({state}){NOTICE_END}"

    # Viewing, browsing, measuring and reporting work.
    assert _image_is_shown(window)
    series = window.index.all_series()[0]
    assert window.browser.series_item(series.key) is not None
    viewport = window.grid.active_viewport
    measurement = viewport.add_measurement("distance", [(10, 10), (70, 10)])
    assert viewport.measurements == [measurement] and measurement.label_lines
    report_panel = window.report_panel
    assert not report_panel.template_status.isVisible()
    with qtbot.waitSignal(report_panel.draft_finished, timeout=TIMEOUT_MS) as drafted:
        window.draft_report_action.trigger()
    assert drafted.args[0].sentences(Section.TECHNIQUE)
    assert _visible_dialogs() == []
    assert "Traceback" not in capfd.readouterr().err


def test_a_users_model_still_runs_when_the_bundled_one_is_damaged(
    qtbot: Any, damaged_install: Callable[..., Path], settings: Settings, cxr_file: Path
) -> None:
    from tests.core.model_helpers import make_package

    damaged_install("weights altered")
    make_package(user_data_dir() / "models" / "tiny", name="tiny-cxr", version="2.0")
    window = _start_window(qtbot, settings)
    qtbot.waitUntil(lambda: len(window.ai_panel.packages) == 2, timeout=TIMEOUT_MS)
    _open(qtbot, window, cxr_file)
    panel = window.ai_panel
    assert panel.problem_label.isVisible()  # the bundled one is still said to be damaged
    assert panel.model_combo.currentText() == "tiny-cxr 2.0"  # the user's is the default
    assert panel.analyze_button.isEnabled()
    with qtbot.waitSignal(panel.analysis_finished, timeout=60_000) as finished:
        qtbot.mouseClick(panel.analyze_button, Qt.MouseButton.LeftButton)
    result = finished.args[0]
    assert result.model_name == "tiny-cxr" and result.skipped is None
    assert len(panel.row_texts()) == 3

    # Choosing the damaged bundled model disables Analyze again, with the reason.
    assert panel.select_model(DEMO)
    assert panel.model_combo.currentText() == f"{DEMO} {DEMO_VERSION} (demo) — damaged"
    assert not panel.analyze_button.isEnabled()
    assert "SHA-256 of model.safetensors" in panel.analyze_button.toolTip()
    assert panel.status_label.text() == f"Analyze is disabled: the bundled model {DEMO} is damaged."


# --------------------------------------------------------------------------- report templates


@pytest.mark.parametrize(
    ("damage", "broken", "other", "said"),
    [
        (
            "en.json deleted",
            "en",
            "zh-CN",
            "Template drafting in English is unavailable — en.json: the bundled report "
            f"templates are missing ({HINT}).",
        ),
        (
            "zh-CN.json not JSON",
            "zh-CN",
            "en",
            "Template drafting in Chinese (中文) is unavailable — zh-CN.json: is not valid "
            f"JSON: line 1 column 3: Expecting property name enclosed in double quotes ({HINT}).",
        ),
    ],
)
def test_a_broken_template_file_disables_that_languages_template_draft_only(
    qtbot: Any,
    damaged_install: Callable[..., Path],
    settings: Settings,
    cxr_file: Path,
    capfd: pytest.CaptureFixture[str],
    damage: str,
    broken: str,
    other: str,
    said: str,
) -> None:
    damaged_install(damage)
    window = _start_window(qtbot, settings)
    _open(qtbot, window, cxr_file)
    window.show_report_panel()
    panel = window.report_panel
    panel.set_engine("template")
    panel.set_language(broken)

    # The panel says which language and why, above the drafting buttons.
    assert panel.template_status.isVisible()
    assert panel.template_status.text().splitlines() == [
        said,
        "The language model, typing, signing and export still work.",
    ]
    draft, impression = panel.mode_buttons["report"], panel.mode_buttons["impression"]
    assert not draft.isEnabled() and draft.toolTip() == said
    assert not impression.isEnabled() and impression.toolTip() == said
    assert window.draft_report() is None  # Report → Draft Report says why instead
    assert panel.status_label.text() == said
    state = "missing" if damage == "en.json deleted" else "damaged"
    language = "English" if broken == "en" else "Chinese"
    assert (
        _the_notice(window)
        == f"{NOTICE_START}the {language} report templates ({state}){NOTICE_END}"
    )

    # The language model's Draft is not blocked by the templates.
    panel.set_engine("llm")
    assert draft.isEnabled() and draft.toolTip() == ""
    panel.set_engine("template")

    # The other language drafts from its templates.
    panel.set_language(other)
    assert draft.isEnabled() and draft.toolTip() == ""
    with qtbot.waitSignal(panel.draft_finished, timeout=TIMEOUT_MS) as drafted:
        qtbot.mouseClick(draft, Qt.MouseButton.LeftButton)
    report = drafted.args[0]
    assert report.language == other and report.sentences(Section.TECHNIQUE)
    assert {s.origin for s in report.sentences()} == {Origin.TEMPLATE}

    # Typing, review, signing and export still work.
    panel.move_cursor_to_section(Section.FINDINGS)
    with qtbot.waitSignal(panel.report_changed, timeout=TIMEOUT_MS) as typed:
        qtbot.keyClicks(panel.editor, " Old healed rib fracture on the left.")
    assert typed.args[0].sentences(Section.FINDINGS)[-1].origin is Origin.PERSON
    qtbot.mouseClick(panel.review_all_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(panel.report_signed, timeout=TIMEOUT_MS) as signed:
        qtbot.mouseClick(panel.sign_button, Qt.MouseButton.LeftButton)
    assert signed.args[0].signature.signer == SIGNER
    with qtbot.waitSignal(panel.exported, timeout=TIMEOUT_MS) as exported:
        panel.export("text")
    path = exported.args[0]
    assert path.parent == export_dir() and "Old healed rib fracture" in path.read_text("utf-8")

    # The AI panel is not concerned.
    assert not window.ai_panel.problem_label.isVisible()
    assert window.ai_panel.analyze_button.isEnabled()
    assert _visible_dialogs() == []
    assert "Traceback" not in capfd.readouterr().err


def test_the_language_model_drafts_in_a_language_whose_templates_are_gone(
    qtbot: Any, damaged_install: Callable[..., Path], settings: Settings, tmp_path: Path
) -> None:
    from core.report.document import StudyContext
    from core.resource_check import check_installation
    from desktop.assistant.report_panel import ReportPanel
    from tests.core.llm_helpers import make_tiny_causal_lm

    damaged_install("en.json deleted")
    settings.report_model_folder = str(make_tiny_causal_lm(tmp_path / "tiny-report-lm"))
    settings.report_max_new_tokens = 24
    panel = ReportPanel(settings=settings)
    qtbot.addWidget(panel)
    panel.show()
    panel.set_resource_problems(check_installation())  # what the window hands it
    panel.open_study(StudyContext("1.2.826.0.1.3680043.10.543.7", modality="DX"))
    panel.set_language("en")
    panel.set_engine("template")
    assert not panel.mode_buttons["report"].isEnabled()
    panel.set_engine("llm")
    assert panel.mode_buttons["report"].isEnabled()
    try:
        with qtbot.waitSignal(panel.draft_finished, timeout=120_000) as drafted:
            qtbot.mouseClick(panel.mode_buttons["report"], Qt.MouseButton.LeftButton)
        written = drafted.args[0].sentences()
        assert written and {s.origin for s in written} == {Origin.LANGUAGE_MODEL}
    finally:
        panel.shutdown()
        from core.report.llm import shutdown_language_model_process

        shutdown_language_model_process()


# --------------------------------------------------------------------------- start-up


def test_the_window_starts_with_model_and_templates_missing_and_says_so_once(
    qtbot: Any, damaged_install: Callable[..., Path], capfd: pytest.CaptureFixture[str]
) -> None:
    from desktop import app

    damaged_install("model folder deleted", "en.json deleted")
    window = app.start_window(None, warm_up=False)  # as `radassist` starts: the demo study
    qtbot.addWidget(window)
    window.resize(1280, 800)
    with qtbot.waitSignal(window.series_loaded, timeout=60_000):
        pass
    qtbot.waitUntil(lambda: window.install_status.notice is not None, timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: not window.is_busy, timeout=TIMEOUT_MS)

    assert window.isVisible() and _image_is_shown(window)
    assert _the_notice(window) == (
        f"{NOTICE_START}the bundled model {DEMO} (missing), the English report templates "
        f"(missing){NOTICE_END}"
    )
    notice = window.install_status.notice
    assert notice is not None
    notice.set_expanded(True)
    assert notice.detail_lines[0].startswith(
        f"The bundled model {DEMO} is missing: no such model package folder ("
    )
    assert notice.detail_lines[1].startswith(
        "The English report templates are missing: en.json: the bundled report templates"
    )
    assert window.ai_panel.problem_label.isVisible()
    assert not window.ai_panel.analyze_button.isEnabled()
    assert window.report_panel.template_status.text().startswith(
        "Template drafting in English is unavailable — en.json:"
    )
    assert _visible_dialogs() == []
    assert "Traceback" not in capfd.readouterr().err

    # Closing the study keeps the banner (it is about the install); the person may dismiss it.
    window.close_study()
    assert window.notifications.notifications == [notice]
    notice.dismiss()
    assert window.install_status.notice is None and window.notifications.notifications == []


def test_the_install_banner_outlives_the_studys_banners(qtbot: Any) -> None:
    from desktop.notifications import NotificationArea

    area = NotificationArea()
    qtbot.addWidget(area)
    install = area.notify("Part of the installation is missing", persistent=True)
    for number in range(area.MAX_VISIBLE + 2):  # too many: the oldest of the study's go
        area.notify(f"file {number} could not be read")
    assert len(area.notifications) == area.MAX_VISIBLE
    assert area.notifications[0] is install
    area.clear()  # a study closing
    assert area.notifications == [install]
