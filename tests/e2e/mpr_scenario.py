"""MPR in the real window, driven like a person would (run by tests/e2e/test_mpr_session.py).

    python tests/e2e/mpr_scenario.py CT_FOLDER OUT_DIR

Needs a display (QT_QPA_PLATFORM=xcb, DISPLAY). Opens the CT (the chest-CT hanging
protocol lays the grid out: axial lung and mediastinal windows, a coronal reformat),
presses Ctrl+M (MPR 1 × 3), Shift-clicks on the coronal pane (the crosshair moves), drags
the axial line on the sagittal pane, draws a distance on the coronal pane, turns on a
10 mm MIP on it, turns the coronal line 30° on the axial pane (Ctrl-drag: an oblique
plane), and shows the 2 × 2 layout. Screenshots of the real window go to OUT_DIR/screenshots;
OUT_DIR/checks.json holds what was checked.
"""

from __future__ import annotations

import json
import math
import sys
import time
import traceback
from pathlib import Path
from typing import Any


def main() -> int:
    ct_folder, out_dir = Path(sys.argv[1]), Path(sys.argv[2])
    shots = out_dir / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {"checks": {}, "details": {}, "screenshots": {}}
    try:
        _run(ct_folder, shots, result)
    except Exception:
        result["error"] = traceback.format_exc()
        print(result["error"], file=sys.stderr)
    (out_dir / "checks.json").write_text(json.dumps(result, indent=2))
    return 0 if "error" not in result else 1


def _run(ct_folder: Path, shots: Path, result: dict[str, Any]) -> None:
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest

    from desktop import app as desktop_app
    from desktop.settings import Settings

    checks: dict[str, bool] = result["checks"]
    details: dict[str, Any] = result["details"]
    qapp = desktop_app.create_application()
    window = desktop_app.start_window(ct_folder, settings=Settings(shots.parent / "settings.ini"))

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

    def shoot(name: str) -> None:
        settle(0.3)
        pixmap = window.screen().grabWindow(window.winId())
        path = shots / f"{name}.png"
        pixmap.save(str(path), "PNG")
        result["screenshots"][name] = str(path)

    loaded: list[Any] = []
    window.series_loaded.connect(loaded.append)
    checks["ct_loaded"] = wait_until(lambda: bool(loaded) and not window.is_busy)
    # The reader makes room for three planes: the AI and report docks closed, the window large.
    window.ai_dock.hide()
    window.report_dock.hide()
    window.resize(1260, 980)
    window.activateWindow()
    settle(0.5)

    # The chest-CT hanging protocol: lung and mediastinal windows, and a coronal reformat.
    grid = window.grid

    def hung() -> bool:
        viewports = grid.viewports
        return (
            len(viewports) == 3
            and all(v.volume is not None for v in viewports)
            and (
                viewports[2].volume.extra.get("mpr_plane") == "coronal"  # type: ignore[union-attr]
            )
        )

    hung_ok = wait_until(hung, 20)
    current = window.hanging.current
    details["hanging"] = {
        "protocol": current.name if current else None,
        "layout": list(grid.layout_shape),
        "windows": [list(v.window) for v in grid.viewports],
    }
    checks["hanging_protocol_chest_ct"] = (
        hung_ok
        and current is not None
        and current.name == "Chest CT"
        and [v.window for v in grid.viewports] == [(-600, 1500), (40, 400), (-600, 1500)]
    )
    shoot("mpr-00-hanging-protocol")

    window.grid.active_viewport.setFocus()
    QTest.keyClick(window, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier)
    view = window.mpr.view
    checks["mpr_shown"] = wait_until(lambda: view.isVisible() and view.mpr is not None, 10)
    axial, coronal, sagittal = (view.panes[n] for n in ("axial", "coronal", "sagittal"))
    details["start_point"] = list(view.point or ())
    shoot("mpr-01-three-planes")

    # Shift-click on the coronal pane, right of and above the centre: the crosshair goes there.
    target = QPoint(coronal.width() // 2 + coronal.width() // 6, coronal.height() // 2 - 40)
    picked = coronal.patient_point_at(target.toPointF())
    QTest.mouseClick(coronal, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier, target)
    settle(0.2)
    details["shift_click_point"] = list(picked or ())
    details["point_after_click"] = list(view.point or ())
    checks["crosshair_moved"] = (
        picked is not None
        and view.point is not None
        and abs(view.point[0] - picked[0]) <= 1.0
        and abs(view.point[2] - picked[2]) <= 2.6  # the nearest 5 mm slice
        and abs((sagittal.position or 0) - picked[0]) <= 1.0
        and abs((axial.position or 0) - picked[2]) <= 2.6
    )

    # Drag the axial (blue) line on the sagittal pane 40 px down: the axial plane moves.
    ends = [(a, b) for plane, a, b in sagittal.reference_lines() if plane == "axial"]
    details["sagittal_lines"] = [
        [plane, a.x(), a.y(), b.x(), b.y()] for plane, a, b in sagittal.reference_lines()
    ]
    before = axial.position or 0.0
    if ends:
        a, b = ends[0]
        # A quarter along the line: its middle is where the coronal line crosses it.
        start = QPoint(round(a.x() + (b.x() - a.x()) / 4), round(a.y()))
        end = start + QPoint(0, 40)
        QTest.mousePress(sagittal, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
        for step in range(1, 9):
            QTest.mouseMove(sagittal, start + QPoint(0, 5 * step))
            qapp.processEvents()
        QTest.mouseRelease(sagittal, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)
        settle(0.2)
    # Screen pixels are square in mm: zoom is per column, so a screen pixel is col_spacing / zoom.
    moved_mm = 40 / sagittal.zoom * (sagittal.plane_image().col_spacing)  # type: ignore[union-attr]
    details["axial_before_after"] = [before, axial.position, moved_mm]
    checks["line_drag_moved_axial"] = bool(ends) and (
        abs((before - (axial.position or 0.0)) - moved_mm) <= 5.1
    )
    shoot("mpr-02-crosshair-moved")

    # A distance on the coronal pane, a third of its width across.
    window.set_tool("distance")
    across = coronal.width() // 3
    centre = QPoint(coronal.width() // 2, coronal.height() // 2 + 30)
    start, end = centre - QPoint(across // 2, 0), centre + QPoint(across - across // 2, 0)
    QTest.mousePress(coronal, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for step in range(1, 9):
        QTest.mouseMove(coronal, start + QPoint(across * step // 8, 0))
        qapp.processEvents()
    QTest.mouseRelease(coronal, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)
    settle(0.2)
    drawn = coronal.measurements
    image = coronal.plane_image()
    expected = across / coronal.zoom * (image.col_spacing if image else 0.0)
    points = drawn[0].extra.get("patient_points") if drawn else None
    details["coronal_distance"] = {
        "label": list(drawn[0].label_lines) if drawn else [],
        "patient_points": [list(p) for p in points] if isinstance(points, tuple) else None,
        "expected_mm": expected,
    }
    length = math.dist(*points) if isinstance(points, tuple) else -1.0
    checks["coronal_distance_in_mm"] = len(drawn) == 1 and abs(length - expected) <= 1.0
    shoot("mpr-03-coronal-distance")

    # A 10 mm MIP on the coronal pane (the focused pane's slab controls).
    view.set_active_pane(coronal)
    view.slab_mode_combo.setCurrentIndex(view.slab_mode_combo.findData("mip"))
    view.slab_thickness_combo.setCurrentIndex(view.slab_thickness_combo.findData(10.0))
    settle(0.2)
    checks["overlay_says_mip_10"] = "MIP 10 mm" in coronal.overlay_text().bottom_left
    shoot("mpr-04-coronal-mip")

    # Oblique: slab off, then Ctrl-drag the coronal (green) line on the axial pane 30°
    # clockwise about the crosshair: the coronal pane shows the turned plane.
    view.slab_mode_combo.setCurrentIndex(view.slab_mode_combo.findData("off"))
    window.set_tool("none")  # lines are taken with the pointer, not a measuring tool
    settle(0.2)
    image = axial.plane_image()
    lines = [(a, b) for plane, a, b in axial.reference_lines() if plane == "coronal"]
    if image is not None and lines and view.point is not None:
        row, col = image.patient_to_pixel(view.point)
        pivot = axial.image_to_widget(col + 0.5, row + 0.5)
        a, b = lines[0]
        tip = b if b.x() > a.x() else a
        radius = 0.7 * math.dist((tip.x(), tip.y()), (pivot.x(), pivot.y()))
        ctrl = Qt.KeyboardModifier.ControlModifier

        def at(degrees: float) -> QPoint:
            angle = math.radians(degrees)
            return QPoint(
                round(pivot.x() + radius * math.cos(angle)),
                round(pivot.y() + radius * math.sin(angle)),
            )

        QTest.mousePress(axial, Qt.MouseButton.LeftButton, ctrl, at(0))
        for step in range(1, 11):
            QTest.mouseMove(axial, at(3.0 * step))
            qapp.processEvents()
        QTest.mouseRelease(axial, Qt.MouseButton.LeftButton, ctrl, at(30))
        settle(0.3)
    labels = coronal.orientation_labels()
    details["oblique"] = {
        "degrees": coronal.motion.degrees,
        "labels": [labels.left, labels.right, labels.top, labels.bottom],
        "overlay": list(coronal.overlay_text().bottom_left),
    }
    checks["oblique_coronal"] = (
        coronal.is_oblique
        and abs(coronal.motion.degrees - 30.0) <= 3.0
        and coronal.overlay_text().bottom_left[0].startswith("Oblique")
        and (labels.left, labels.right) == ("RA", "LP")
    )
    shoot("mpr-05-oblique")

    window.mpr.actions["2x2"].trigger()
    settle(0.3)
    checks["two_by_two"] = len(view.visible_panes) == 4 and view.panes["slab"].isVisible()
    shoot("mpr-06-two-by-two")
    window.close()
    settle(0.3)


if __name__ == "__main__":
    sys.exit(main())
