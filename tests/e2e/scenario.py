"""A reading session in the real window, driven like a person would (run by the e2e test).

    python tests/e2e/scenario.py CT_FOLDER CXR_FILE OUT_DIR [MODEL_NAME]

Needs a display (QT_QPA_PLATFORM=xcb, DISPLAY). Starts the app through desktop.app,
opens the CT, scrolls, changes the window, zooms, measures a distance and an ellipse ROI,
opens the chest radiograph and measures on it, analyses it with the AI model MODEL_NAME
(default: the one the window chooses) from the Analysis menu and shows the heatmap of
its top finding, exporting a PNG at the end. Screenshots
of the real window (QScreen.grabWindow) go to OUT_DIR/screenshots; OUT_DIR/checks.json
holds what was checked in the process and the rectangles (screenshot pixels) the test
looks at.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from pathlib import Path
from typing import Any

STARTED = time.perf_counter()


def main() -> int:
    ct_folder, cxr_file, out_dir = (Path(a) for a in sys.argv[1:4])
    model_name = sys.argv[4] if len(sys.argv) > 4 else None
    shots = out_dir / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {"checks": {}, "details": {}, "screenshots": {}, "rects": {}}
    try:
        _run(ct_folder, cxr_file, shots, result, model_name)
    except Exception:
        result["error"] = traceback.format_exc()
        print(result["error"], file=sys.stderr)
    (out_dir / "checks.json").write_text(json.dumps(result, indent=2))
    return 0 if "error" not in result else 1


def _run(
    ct_folder: Path,
    cxr_file: Path,
    shots: Path,
    result: dict[str, Any],
    model_name: str | None = None,
) -> None:
    from PySide6.QtCore import QPoint, QPointF, QRect, Qt
    from PySide6.QtGui import QMouseEvent, QWheelEvent
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QWidget

    from desktop import app as desktop_app
    from desktop.settings import Settings
    from desktop.viewer.measurements import label_rect

    checks: dict[str, bool] = result["checks"]
    details: dict[str, Any] = result["details"]
    qapp = desktop_app.create_application()
    window = desktop_app.start_window(ct_folder, settings=Settings(shots.parent / "settings.ini"))
    details["window_shown_s"] = round(time.perf_counter() - STARTED, 3)
    checks["torch_not_imported"] = "torch" not in sys.modules
    checks["platform_is_xcb"] = qapp.platformName() == "xcb"

    def wait_until(predicate: Any, timeout_s: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            qapp.processEvents()
            if predicate():
                return True
            time.sleep(0.01)
        return False

    def settle(seconds: float = 0.3) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            qapp.processEvents()
            time.sleep(0.01)

    loaded: list[Any] = []
    window.series_loaded.connect(loaded.append)
    checks["ct_loaded"] = wait_until(lambda: bool(loaded) and not window.is_busy)
    window.activateWindow()
    settle(0.5)
    viewport = window.grid.active_viewport
    volume = viewport.volume
    details["ct_frames"] = int(volume.array.shape[0]) if volume is not None else 0
    checks["ct_all_frames"] = volume is not None and bool(volume.loaded.all())

    dpr = window.devicePixelRatioF()

    def to_shot(widget: QWidget, rect: QRect) -> list[int]:
        top_left = widget.mapTo(window, rect.topLeft())
        return [
            round(top_left.x() * dpr),
            round(top_left.y() * dpr),
            round(rect.width() * dpr),
            round(rect.height() * dpr),
        ]

    def shoot(name: str) -> None:
        settle(0.2)
        screen = window.screen()
        pixmap = screen.grabWindow(window.winId())
        path = shots / f"{name}.png"
        pixmap.save(str(path), "PNG")
        result["screenshots"][name] = str(path)

    result["rects"]["viewport"] = to_shot(viewport, viewport.rect())
    menu_bar = window.menuBar()
    result["rects"]["menu_bar"] = to_shot(menu_bar, menu_bar.rect())
    shoot("01-ct-loaded")

    def mouse(kind: Any, pos: QPointF, button: Any, buttons: Any) -> None:
        event = QMouseEvent(
            kind,
            pos,
            QPointF(viewport.mapToGlobal(pos.toPoint())),
            button,
            buttons,
            Qt.KeyboardModifier.NoModifier,
        )
        QApplication.sendEvent(viewport, event)

    def drag(start: QPointF, end: QPointF, button: Any) -> None:
        mouse(QMouseEvent.Type.MouseButtonPress, start, button, button)
        steps = 8
        for i in range(1, steps + 1):
            point = start + (end - start) * (i / steps)
            mouse(QMouseEvent.Type.MouseMove, point, Qt.MouseButton.NoButton, button)
            qapp.processEvents()
        mouse(QMouseEvent.Type.MouseButtonRelease, end, button, Qt.MouseButton.NoButton)
        qapp.processEvents()

    centre = QPointF(viewport.width() / 2, viewport.height() / 2)

    # Scroll: five key presses and five wheel notches forward.
    QTest.mouseClick(
        viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre.toPoint()
    )
    for _ in range(5):
        QTest.keyClick(viewport, Qt.Key.Key_Down)
    for _ in range(5):
        wheel = QWheelEvent(
            centre,
            QPointF(viewport.mapToGlobal(centre.toPoint())),
            QPoint(0, 0),
            QPoint(0, -120),
            Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier,
            Qt.ScrollPhase.NoScrollPhase,
            False,
        )
        QApplication.sendEvent(viewport, wheel)
    qapp.processEvents()
    details["frame_after_scroll"] = viewport.frame_index
    checks["scrolled_ten_frames"] = viewport.frame_index == 10
    overlay = viewport.overlay_text()
    details["overlay_after_scroll"] = list(overlay.bottom_left)
    checks["overlay_says_image_11"] = any(
        line.startswith(f"Im 11/{details['ct_frames']}") for line in overlay.bottom_left
    )
    shoot("02-ct-scrolled")

    # Window/level: right-drag to the right (wider) and down (higher level).
    before = viewport.window
    drag(centre, centre + QPointF(120, 60), Qt.MouseButton.RightButton)
    after = viewport.window
    details["window_before"], details["window_after"] = list(before), list(after)
    checks["window_changed"] = after[1] > before[1] and after[0] > before[0]
    shoot("03-ct-window")

    # Zoom twice with "+".
    zoom_before = viewport.zoom
    QTest.keyClick(viewport, Qt.Key.Key_Plus)
    QTest.keyClick(viewport, Qt.Key.Key_Plus)
    details["zoom_before"], details["zoom_after"] = zoom_before, viewport.zoom
    checks["zoomed_in"] = abs(viewport.zoom / zoom_before - 1.5625) < 1e-6
    shoot("04-ct-zoom")

    # Distance with the menu's tool, drawn by a left-drag.
    window.tool_actions["distance"].trigger()
    checks["distance_tool_active"] = viewport.tool == "distance"
    a, b = centre + QPointF(-90, -20), centre + QPointF(60, 50)
    drag(a, b, Qt.MouseButton.LeftButton)
    measures = viewport.measurements
    checks["one_distance"] = len(measures) == 1 and measures[0].kind == "distance"
    distance = measures[0] if measures else None
    if distance is not None:
        details["distance_label"] = list(distance.label_lines)
        result["rects"]["distance_label"] = to_shot(
            viewport,
            label_rect(distance, viewport._transform(), viewport._overlay_font).toAlignedRect(),
        )
        p0 = viewport.widget_to_image(a)
        p1 = viewport.widget_to_image(b)
        spacing = volume.geometry.pixel_spacing if volume is not None else None
        if spacing is not None:
            expected = ((p1[0] - p0[0]) * spacing[1]) ** 2 + ((p1[1] - p0[1]) * spacing[0]) ** 2
            details["distance_expected_mm"] = round(expected**0.5, 2)
            checks["distance_label_in_mm"] = any(
                f"{expected**0.5:.1f} mm" in line for line in distance.label_lines
            )
    shoot("05-ct-distance")

    # Ellipse ROI somewhere else on the image.
    window.tool_actions["ellipse"].trigger()
    drag(centre + QPointF(-60, -130), centre + QPointF(0, -70), Qt.MouseButton.LeftButton)
    measures = viewport.measurements
    checks["one_ellipse"] = len(measures) == 2 and measures[1].kind == "ellipse"
    if len(measures) == 2:
        roi = measures[1]
        details["roi_label"] = list(roi.label_lines)
        checks["roi_in_hu"] = any("HU" in line for line in roi.label_lines)
        result["rects"]["roi_label"] = to_shot(
            viewport,
            label_rect(roi, viewport._transform(), viewport._overlay_font).toAlignedRect(),
        )
    shoot("06-ct-roi")

    # The chest radiograph.
    loaded.clear()
    window.tool_actions["none"].trigger()
    window.open_path(cxr_file)
    checks["cxr_loaded"] = wait_until(lambda: bool(loaded) and not window.is_busy)
    settle(0.3)
    cxr = viewport.volume
    details["cxr_modality"] = cxr.series.modality if cxr is not None else None
    checks["cxr_shown"] = cxr is not None and cxr.series.modality in ("DX", "CR")
    checks["cxr_has_no_old_measurements"] = viewport.measurements == []
    result["rects"]["viewport_cxr"] = to_shot(viewport, viewport.rect())
    shoot("07-cxr")

    window.tool_actions["distance"].trigger()
    cxr_centre = QPointF(viewport.width() / 2, viewport.height() / 2)
    drag(cxr_centre + QPointF(-100, 0), cxr_centre + QPointF(100, 0), Qt.MouseButton.LeftButton)
    measures = viewport.measurements
    checks["cxr_distance"] = len(measures) == 1 and bool(measures[0].label_lines)
    if measures:
        details["cxr_distance_label"] = list(measures[0].label_lines)
        result["rects"]["cxr_distance_label"] = to_shot(
            viewport,
            label_rect(measures[0], viewport._transform(), viewport._overlay_font).toAlignedRect(),
        )
    shoot("08-cxr-distance")

    # AI analysis of the radiograph from the Analysis menu; the top finding's heatmap shows.
    panel = window.ai_panel
    checks["models_listed"] = wait_until(lambda: bool(panel.packages), 30)
    if model_name is not None:
        checks["model_chosen"] = panel.select_model(model_name)
    finished: list[Any] = []
    panel.analysis_finished.connect(finished.append)
    window.tool_actions["none"].trigger()
    window.analyze_action.trigger()
    checks["analysis_finished"] = wait_until(lambda: bool(finished) and not panel.is_running, 120)
    settle(0.3)
    analysis = finished[0] if finished else None
    checks["analysis_ran"] = analysis is not None and analysis.skipped is None
    rows = panel.row_texts()
    details["findings"] = rows
    details["model_label"] = panel.model_label.text()
    checks["findings_listed"] = bool(rows) and all(len(row) == 4 for row in rows)
    probabilities = [float(row[1]) for row in rows]
    checks["findings_sorted_by_score"] = probabilities == sorted(probabilities, reverse=True)
    checks["model_name_and_version_shown"] = analysis is not None and (
        panel.model_label.text() == f"Model: {analysis.model_display_name}"
    )
    checks["demo_banner_with_demo_output"] = analysis is not None and (
        panel.banner.isVisible() == analysis.is_demo
    )
    checks["heatmap_on_the_image"] = viewport.heatmap_visible
    details["heatmap_caption"] = viewport.heatmap_caption
    shown = [f for f in analysis.findings if f.heatmap is not None] if analysis else []
    if shown and shown[0].heatmap_peak is not None:
        row, col = shown[0].heatmap_peak
        peak = viewport.image_to_widget(col + 0.5, row + 0.5).toPoint()
        result["rects"]["heatmap_peak"] = to_shot(viewport, QRect(peak.x() - 3, peak.y() - 3, 7, 7))
        details["heatmap_peak_image"] = [row, col]
    result["rects"]["ai_banner"] = to_shot(panel.banner, panel.banner.rect())
    result["rects"]["ai_findings"] = to_shot(panel.tree, panel.tree.rect())
    result["rects"]["viewport_heatmap"] = to_shot(viewport, viewport.rect())
    # The networks ran in the analysis process: this (GUI) process never loaded torch.
    checks["torch_not_in_the_gui_process"] = "torch" not in sys.modules
    shoot("09-cxr-heatmap")

    exported = window.export_view()
    details["exported"] = str(exported) if exported else None
    checks["exported_png"] = exported is not None and exported.stat().st_size > 1000

    window.close()
    desktop_app.shutdown()
    checks["no_torch_at_the_end"] = "torch" not in sys.modules


if __name__ == "__main__":
    sys.exit(main())
