"""The AI findings panel as a person uses it: Analyze, read the rows, click, see the heatmap.

The first tests feed the panel typed results built by hand (the engine's own
dataclasses), so what is shown can be checked exactly; the last ones run a tiny
random-weight model package through the real engine on the job pool.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from core.analysis.inference import AnalysisResult, Finding, Verdict
from core.analysis.manifest import DEMO_BANNER
from core.analysis.registry import ModelRegistry
from desktop.assistant import ai_panel
from desktop.assistant.ai_panel import COL_LABEL, COL_VERDICT, VERDICT_COLOURS, AIPanel
from desktop.viewer.viewport import Viewport
from tests.desktop.viewer_helpers import make_header, make_volume

SIZE = 96


def _heatmap(row: int, col: int) -> np.ndarray:
    heatmap = np.zeros((SIZE, SIZE), np.float32)
    heatmap[row - 3 : row + 3, col - 3 : col + 3] = 1.0
    return heatmap


def _result(*, demo: bool = True, skipped: str | None = None, **kwargs: object) -> AnalysisResult:
    findings = (
        Finding("Effusion", 0.12, 0.30, Verdict.NEGATIVE),
        Finding("Nodule", 0.91, 0.40, Verdict.POSITIVE, _heatmap(20, 30), (20, 30)),
        Finding("Mass", 0.27, 0.30, Verdict.INDETERMINATE),
        Finding("Cardiomegaly", 0.55, 0.50, Verdict.POSITIVE, _heatmap(70, 50), (70, 50)),
    )
    values: dict[str, object] = {
        "model_name": "demo-cxr" if demo else "site-cxr",
        "model_version": "1.0.0",
        "model_sha256": "ab" * 32,
        "is_demo": demo,
        "skipped": skipped,
        "findings": () if skipped else findings,
        "timings": {"total": 0.125},
        "heatmap_method": "gradcam",
        "intended_use": "Finding candidates on adult chest radiographs.",
    }
    values.update(kwargs)
    return AnalysisResult(**values)  # type: ignore[arg-type]


def _cxr_volume(frames: int = 1, modality: str = "DX", key: str = "1.2.826.0.1.77") -> object:
    rng = np.random.default_rng(7)
    array = rng.integers(500, 3500, size=(frames, SIZE, SIZE)).astype(np.int16)
    return make_volume(array, modality=modality, key=key, pixel_spacing=(0.2, 0.2))


@pytest.fixture(scope="module", autouse=True)
def analysis_process() -> Iterator[None]:
    """The analyses of this module share one child process, stopped at the end."""
    yield
    from core.analysis.runner import shutdown_analysis_process

    shutdown_analysis_process()


@pytest.fixture
def viewport(qtbot: QtBot) -> Iterator[Viewport]:
    widget = Viewport()
    qtbot.addWidget(widget)
    widget.resize(256, 256)
    widget.show()
    widget.set_volume(_cxr_volume(frames=2), make_header(modality="DX"))  # type: ignore[arg-type]
    yield widget
    widget.clear()


def _panel(qtbot: QtBot, registry: ModelRegistry, viewport: Viewport | None) -> AIPanel:
    panel = AIPanel(registry=registry)
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.models_listed, timeout=10000):
        panel.show()
    panel.set_viewport(viewport)
    return panel


@pytest.fixture
def empty_registry(tmp_path: Path) -> ModelRegistry:
    return ModelRegistry(bundled_dir=tmp_path / "none", user_dir=tmp_path / "user")


@pytest.fixture
def panel(qtbot: QtBot, empty_registry: ModelRegistry, viewport: Viewport) -> Iterator[AIPanel]:
    widget = _panel(qtbot, empty_registry, viewport)
    yield widget
    widget.shutdown()


# --------------------------------------------------------------------------- typed results


def test_findings_sorted_by_score_with_threshold_and_coloured_verdict(
    panel: AIPanel, viewport: Viewport
) -> None:
    panel.show_result(_result())
    assert panel.row_texts() == [
        ["Nodule", "0.910", "0.400", "positive"],
        ["Cardiomegaly", "0.550", "0.500", "positive"],
        ["Mass", "0.270", "0.300", "indeterminate"],
        ["Effusion", "0.120", "0.300", "negative"],
    ]
    colours = [panel.tree.topLevelItem(i).foreground(COL_VERDICT).color() for i in range(4)]
    assert colours[0] == VERDICT_COLOURS["positive"]
    assert colours[2] == VERDICT_COLOURS["indeterminate"]
    assert colours[3] == VERDICT_COLOURS["negative"]
    assert panel.tree.topLevelItem(0).font(COL_LABEL).bold()
    assert not panel.tree.topLevelItem(3).font(COL_LABEL).bold()
    assert panel.model_label.text() == "Model: demo-cxr 1.0.0"
    assert panel.status_label.text() == "2 positive of 4 findings in 0.12 s."
    assert "adult chest radiographs" in panel.use_label.text()


def test_the_demo_banner_shows_with_a_demo_models_output_only(
    panel: AIPanel, viewport: Viewport
) -> None:
    panel.show_result(_result(demo=True))
    assert panel.banner.isVisible() and panel.banner.text() == DEMO_BANNER
    assert DEMO_BANNER in viewport.heatmap_caption  # the overlay says so too
    panel.show_result(_result(demo=False))
    assert not panel.banner.isVisible()
    assert DEMO_BANNER not in viewport.heatmap_caption
    assert ai_panel.DEMO_BANNER == DEMO_BANNER


def test_the_top_finding_heatmap_shows_and_a_click_shows_another(
    qtbot: QtBot, panel: AIPanel, viewport: Viewport
) -> None:
    panel.show_result(_result())
    assert viewport.heatmap_visible
    assert np.unravel_index(np.argmax(viewport.heatmap), viewport.heatmap.shape) == (17, 27)
    assert viewport.heatmap_caption.startswith("Nodule 0.91 · Grad-CAM · demo-cxr 1.0.0")
    selected: list[Finding] = []
    panel.finding_selected.connect(selected.append)

    item = panel.tree.topLevelItem(1)  # Cardiomegaly
    rect = panel.tree.visualItemRect(item)
    qtbot.mouseClick(panel.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert selected and selected[-1].label == "Cardiomegaly"
    assert np.unravel_index(np.argmax(viewport.heatmap), viewport.heatmap.shape) == (67, 47)
    assert viewport.heatmap_caption.startswith("Cardiomegaly 0.55")

    panel.select_finding("Effusion")  # negative: no heatmap, and the panel says why
    assert viewport.heatmap is None
    assert "positive findings only" in panel.status_label.text()


def test_opacity_and_on_off_drive_the_viewport(panel: AIPanel, viewport: Viewport) -> None:
    panel.show_result(_result())
    panel.opacity_slider.setValue(80)
    assert viewport.heatmap_opacity == pytest.approx(0.8)
    panel.heatmap_check.setChecked(False)
    assert viewport.heatmap is not None and not viewport.heatmap_visible
    panel.heatmap_check.setChecked(True)
    assert viewport.heatmap_visible
    panel.select_finding("Cardiomegaly")  # a new heatmap keeps the chosen opacity
    assert viewport.heatmap_opacity == pytest.approx(0.8)


def test_a_skipped_image_says_why(panel: AIPanel, viewport: Viewport) -> None:
    panel.show_result(_result(skipped="lateral view"))
    assert panel.status_label.text() == "Not analysed: lateral view."
    assert panel.row_texts() == []
    assert viewport.heatmap is None
    assert panel.model_label.text() == "Model: demo-cxr 1.0.0"
    assert panel.banner.isVisible()


def test_the_result_belongs_to_its_frame(panel: AIPanel, viewport: Viewport) -> None:
    panel.show_result(_result())
    assert viewport.heatmap_frame == 0
    viewport.set_frame(1)
    assert panel.row_texts() == []
    assert not viewport.heatmap_visible  # still over frame 0, not painted on frame 1


def test_no_model_installed(panel: AIPanel) -> None:
    assert panel.packages == []
    assert panel.model_combo.currentText() == "No model installed"
    assert not panel.analyze_button.isEnabled()
    assert panel.analyze() is None
    assert "Settings → Models" in panel.status_label.text()


def test_nothing_to_analyse_without_an_image(qtbot: QtBot, empty_registry: ModelRegistry) -> None:
    panel = _panel(qtbot, empty_registry, None)
    assert panel.analyze() is None
    assert panel.status_label.text() == "Open an image, then press Analyze."


# --------------------------------------------------------------------------- the real engine


@pytest.fixture
def registry(tmp_path: Path) -> ModelRegistry:
    from tests.core.model_helpers import make_package

    bundled = tmp_path / "bundled"

    def certain(network: object) -> None:
        # The biases decide (sigmoid(±3)); Nodule's tiny positive weights give Grad-CAM
        # something to show.
        head = network.classifier  # type: ignore[attr-defined]
        weight = head.weight.abs() * 1e-6
        weight[1:] = 0.0
        head.weight.copy_(weight)
        head.bias.copy_(head.bias.new_tensor([3.0, -3.0, -3.0, 3.0]))

    make_package(
        bundled / "tiny",
        name="tiny-cxr",
        labels=("Nodule", "Effusion", "Cardiomegaly", "Other"),
        thresholds=dict.fromkeys(("Nodule", "Effusion", "Cardiomegaly", "Other"), 0.5),
        hidden_labels=("Other",),
        demo=True,
        edit=certain,
    )
    return ModelRegistry(bundled_dir=bundled, user_dir=tmp_path / "user")


@pytest.fixture
def real_panel(qtbot: QtBot, registry: ModelRegistry, viewport: Viewport) -> Iterator[AIPanel]:
    widget = _panel(qtbot, registry, viewport)
    yield widget
    widget.shutdown()


def test_analyze_runs_in_the_background_and_shows_findings(
    qtbot: QtBot, real_panel: AIPanel, viewport: Viewport
) -> None:
    panel = real_panel
    assert panel.model_combo.currentText() == "tiny-cxr 1.0.0 (demo)"
    assert panel.banner.isVisible()  # the model that would answer is a demo one
    with qtbot.waitSignal(panel.analysis_finished, timeout=60000) as blocker:
        handle = panel.analyze()
        assert handle is not None and panel.is_running
        assert panel.cancel_button.isVisible() and panel.progress_bar.isVisible()
        assert not panel.analyze_button.isEnabled()
    result = blocker.args[0]
    assert result.skipped is None and result.model_display_name == "tiny-cxr 1.0.0"
    labels = panel.finding_labels()
    assert sorted(labels) == ["Cardiomegaly", "Effusion", "Nodule"]  # "Other" is hidden
    rows = {row[0]: row for row in panel.row_texts()}
    assert rows["Nodule"] == ["Nodule", "0.953", "0.500", "positive"]
    assert rows["Effusion"] == ["Effusion", "0.047", "0.500", "negative"]
    assert labels[0] == "Nodule"
    assert panel.banner.isVisible() and panel.model_label.text() == "Model: tiny-cxr 1.0.0"
    qtbot.waitUntil(lambda: not panel.cancel_button.isVisible(), timeout=5000)
    assert not panel.progress_bar.isVisible()
    # The positive finding's heatmap is on the image, in its pixel grid.
    assert viewport.heatmap is not None and viewport.heatmap.shape == (SIZE, SIZE)
    assert viewport.heatmap_visible

    # Scrolling away and back shows the same result without running the model again.
    viewport.set_frame(1)
    assert panel.row_texts() == []
    viewport.set_frame(0)
    assert panel.result is result
    assert panel.analyze() is None  # known: shown at once


def test_cancel_stops_the_analysis(qtbot: QtBot, real_panel: AIPanel) -> None:
    handle = real_panel.analyze()
    assert handle is not None
    real_panel.cancel_button.click()
    assert handle.wait(30)
    assert real_panel.status_label.text() == "Analysis cancelled."
    assert real_panel.result is None and real_panel.row_texts() == []
    assert not real_panel.cancel_button.isVisible()
    assert real_panel.analyze_button.isEnabled()


def test_the_gate_answers_for_a_ct(qtbot: QtBot, real_panel: AIPanel, viewport: Viewport) -> None:
    ct = _cxr_volume(modality="CT", key="1.2.826.0.1.88")
    viewport.set_volume(ct, make_header())  # type: ignore[arg-type]
    with qtbot.waitSignal(real_panel.analysis_finished, timeout=60000):
        real_panel.analyze()
    assert real_panel.status_label.text() == "Not analysed: CT not supported by this model."
    assert real_panel.row_texts() == []


def test_an_image_still_loading_waits(
    qtbot: QtBot, real_panel: AIPanel, viewport: Viewport
) -> None:
    array = np.zeros((2, SIZE, SIZE), np.int16)
    loading = make_volume(
        array, modality="DX", key="1.2.826.0.1.99", loaded=np.zeros(2, bool), finished=False
    )
    viewport.set_volume(loading, make_header(modality="DX"))
    assert real_panel.status_label.text() == "The image is still loading."
    assert not real_panel.analyze_button.isEnabled()
    assert real_panel.analyze() is None
    loading.loaded[:] = True
    real_panel.refresh()  # the window calls this when the series has loaded
    assert real_panel.analyze_button.isEnabled()
    assert real_panel.status_label.text() == "Not analysed yet: press Analyze."


def test_every_map_states_its_method_and_faithfulness(panel: AIPanel, viewport: Viewport) -> None:
    from core.analysis.perturb import Faithfulness

    findings = (
        Finding(
            "Nodule",
            0.91,
            0.40,
            Verdict.POSITIVE,
            _heatmap(20, 30),
            (20, 30),
            faithfulness=Faithfulness(0.1, 0.91, 0.33),
        ),
        Finding(
            "Mass",
            0.62,
            0.30,
            Verdict.POSITIVE,
            explanation_note="no explanation: no region of the image raised the probability "
            "(Kernel SHAP)",
        ),
    )
    assert [panel.method_combo.itemText(i) for i in range(panel.method_combo.count())] == [
        "Grad-CAM",
        "Occlusion sensitivity",
        "Kernel SHAP",
    ]
    panel.show_result(_result(findings=findings, heatmap_method="kernelshap"))
    assert viewport.heatmap_caption.startswith(
        "Nodule 0.91 · Kernel SHAP · demo-cxr 1.0.0\n"
        "masking the top 10% of the map: p 0.91 \N{RIGHTWARDS ARROW} 0.33"
    )
    assert "Mass: no explanation" in panel.status_label.text()
    panel.select_finding("Mass")  # a refused map is not drawn: the overlay goes
    assert viewport.heatmap is None
    assert "no explanation" in panel.status_label.text()


def test_choosing_another_method_recomputes_and_a_flat_map_is_refused(
    qtbot: QtBot, real_panel: AIPanel, viewport: Viewport
) -> None:
    panel = real_panel
    with qtbot.waitSignal(panel.analysis_finished, timeout=60000):
        panel.analyze()
    assert viewport.heatmap is not None and "Grad-CAM" in viewport.heatmap_caption
    assert "masking the top 10%" in viewport.heatmap_caption
    # Nodule's score comes from the bias alone: hiding any part of the image changes
    # nothing, so Kernel SHAP has nothing to show and says so instead of a flat map.
    with qtbot.waitSignal(panel.analysis_finished, timeout=60000) as blocker:
        panel.set_method("kernelshap")
    result = blocker.args[0]
    assert result.heatmap_method == "kernelshap"
    nodule = result.finding("Nodule")
    assert nodule.heatmap is None and (nodule.explanation_note or "").startswith("no explanation")
    assert viewport.heatmap is None
    assert "Nodule: no explanation" in panel.status_label.text()
    # Back to Grad-CAM: the known result is shown at once, with its map.
    panel.set_method("gradcam")
    assert viewport.heatmap is not None and panel.result is not None
    assert panel.result.heatmap_method == "gradcam"
