"""The AI parts of the main window: findings dock on the right, Analysis and Settings menus.

A tiny random-weight model package is installed in the (per-test) user models folder
before the window starts, so the window's own registry finds it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt

from core.paths import user_data_dir
from core.synthetic import write_cxr
from desktop.dialogs.models_dialog import ModelsDialog
from desktop.main_window import MainWindow
from desktop.settings import Settings

TIMEOUT_MS = 30_000


def _positive_nodule(network: Any) -> None:
    head = network.classifier
    weight = head.weight.abs() * 1e-6
    weight[1:] = 0.0
    head.weight.copy_(weight)
    head.bias.copy_(head.bias.new_tensor([3.0, -3.0, -3.0]))


@pytest.fixture(scope="module", autouse=True)
def analysis_process() -> Iterator[None]:
    """The analyses of this module share one child process, stopped at the end."""
    yield
    from core.analysis.runner import shutdown_analysis_process

    shutdown_analysis_process()


@pytest.fixture
def window(qtbot: Any) -> Iterator[MainWindow]:
    from tests.core.model_helpers import make_package

    make_package(user_data_dir() / "models" / "tiny", name="tiny-cxr", edit=_positive_nodule)
    win = MainWindow(Settings())
    qtbot.addWidget(win)
    win.resize(1100, 700)
    win.show()
    qtbot.waitExposed(win)
    qtbot.waitUntil(lambda: bool(win.ai_panel.packages), timeout=TIMEOUT_MS)
    assert win.ai_panel.select_model("tiny-cxr")
    yield win
    win.cancel_import()
    win.ai_panel.shutdown()


@pytest.fixture(scope="module")
def cxr_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cxr") / "0001.dcm"
    write_cxr(path, np.random.default_rng(31), size=128, monochrome=1)
    return path


def test_the_findings_dock_is_on_the_right_with_its_menus(window: MainWindow) -> None:
    assert window.dockWidgetArea(window.ai_dock) == Qt.DockWidgetArea.RightDockWidgetArea
    assert window.ai_dock.isVisible() and window.ai_dock.widget() is window.ai_panel
    assert window.ai_dock.geometry().left() > window.grid.geometry().left()
    entries = window.shortcut_entries()
    assert ("Analysis", "Ctrl+Shift+A", "Analyze Image") in entries
    assert ("Analysis", "Ctrl+Shift+H", "Show AI Heatmap") in entries
    settings = [a.text() for a in window.menus["Settings"].actions()]
    assert settings[:3] == [
        "&Models…",
        "&Reporting…",
        "&Data Protection…",
    ]  # Reporting: the report panel's; then the DICOM nodes and the study archive
    assert window.ai_panel.viewport is window.grid.active_viewport


def test_analyze_from_the_menu_shows_findings_and_the_heatmap(
    qtbot: Any, window: MainWindow, cxr_file: Path
) -> None:
    with qtbot.waitSignal(window.series_loaded, timeout=TIMEOUT_MS):
        window.open_path(cxr_file)
    qtbot.waitUntil(lambda: not window.is_busy, timeout=TIMEOUT_MS)
    window.ai_dock.hide()
    panel = window.ai_panel
    with qtbot.waitSignal(panel.analysis_finished, timeout=TIMEOUT_MS) as blocker:
        window.analyze_action.trigger()
    assert window.ai_dock.isVisible()  # Analyze shows the panel
    result = blocker.args[0]
    assert result.skipped is None
    assert panel.row_texts()[0][0] == "Nodule" and panel.row_texts()[0][3] == "positive"
    viewport = window.grid.active_viewport
    assert viewport.heatmap is not None and viewport.heatmap.shape == (128, 128)
    assert viewport.heatmap_visible
    window.heatmap_action.trigger()  # Analysis → Show AI Heatmap off
    assert not panel.heatmap_check.isChecked() and not viewport.heatmap_visible
    window.heatmap_action.trigger()
    assert viewport.heatmap_visible
    # The patient is an adult here; the study's index gave the gate what it needed.
    assert "Not analysed" not in panel.status_label.text()


def test_layout_change_follows_the_active_viewport(qtbot: Any, window: MainWindow) -> None:
    window.set_layout(1, 2)
    second = window.grid.viewports[1]
    qtbot.mouseClick(second, Qt.MouseButton.LeftButton)
    assert window.grid.active_viewport is second
    assert window.ai_panel.viewport is second


def test_settings_models_lists_and_an_import_reaches_the_panel(
    qtbot: Any, window: MainWindow, tmp_path: Path
) -> None:
    from tests.core.model_helpers import make_package

    window.models_action.trigger()
    dialogs = [d for d in window._dialogs if isinstance(d, ModelsDialog)]
    assert len(dialogs) == 1
    dialog = dialogs[0]
    assert dialog.isVisible() and not dialog.isModal()
    qtbot.waitUntil(lambda: bool(dialog.packages), timeout=TIMEOUT_MS)
    assert any(p.manifest.name == "tiny-cxr" for p in dialog.packages)
    assert window.show_models_dialog() is dialog  # one dialog, raised again

    source = make_package(tmp_path / "incoming", name="other-cxr", version="2.0")
    with qtbot.waitSignal(window.ai_panel.models_listed, timeout=TIMEOUT_MS):
        dialog.import_folder(source.folder)
    assert any(p.manifest.name == "other-cxr" for p in window.ai_panel.packages)
    dialog.close()
