"""A reading session in the real window, driven like a person would (run by the e2e test).

    python tests/e2e/scenario.py CT_FOLDER CXR_FILE OUT_DIR [MODEL_NAME [LM_FOLDER]]

Needs a display (QT_QPA_PLATFORM=xcb, DISPLAY). Starts the app through desktop.app,
opens the CT, scrolls, changes the window, zooms, measures a distance and an ellipse ROI,
opens the chest radiograph and measures on it, analyses it with the AI model MODEL_NAME
(default: the one the window chooses) from the Analysis menu and shows the heatmap of
its top finding, exporting a PNG. Then the report: drafted from the templates
with the findings (Report menu), edited by typing (a sentence that denies what the
analysis found is flagged), the impression written by the language model LM_FOLDER (a tiny
one the test builds; its tokens stream into the editor), reviewed, signing blocked by
the conflict (the dialog), the conflict resolved, signed, and exported as text, PDF
with key images and DICOM SR. Screenshots of the real window (QScreen.grabWindow) go to
OUT_DIR/screenshots (the signing dialog's own image beside them); OUT_DIR/checks.json
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

from tests.e2e.window_driver import WindowDriver

STARTED = time.perf_counter()


def main() -> int:
    ct_folder, cxr_file, out_dir = (Path(a) for a in sys.argv[1:4])
    model_name = sys.argv[4] if len(sys.argv) > 4 else None
    lm_folder = Path(sys.argv[5]) if len(sys.argv) > 5 else None
    shots = out_dir / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {
        "checks": {},
        "details": {},
        "screenshots": {},
        "dialogs": {},
        "rects": {},
    }
    try:
        _run(ct_folder, cxr_file, shots, result, model_name, lm_folder)
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
    lm_folder: Path | None = None,
) -> None:
    from PySide6.QtCore import QPoint, QPointF, QRect, QRectF, Qt
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from desktop import app as desktop_app
    from desktop.settings import Settings
    from desktop.viewer.measurements import label_rect

    checks: dict[str, bool] = result["checks"]
    details: dict[str, Any] = result["details"]
    qapp = desktop_app.create_application()
    settings = Settings(shots.parent / "settings.ini")
    settings.report_signer = SIGNER
    if lm_folder is not None:
        settings.report_model_folder = str(lm_folder)
        settings.report_max_new_tokens = 4000  # long enough to be caught mid-stream
    window = desktop_app.start_window(ct_folder, settings=settings)
    details["window_shown_s"] = round(time.perf_counter() - STARTED, 3)
    checks["torch_not_imported"] = "torch" not in sys.modules
    checks["platform_is_xcb"] = qapp.platformName() == "xcb"

    drive = WindowDriver(qapp, window, shots, result)
    wait_until, settle, to_shot, shoot = drive.wait_until, drive.settle, drive.to_shot, drive.shoot

    loaded: list[Any] = []
    window.series_loaded.connect(loaded.append)
    checks["ct_loaded"] = wait_until(lambda: bool(loaded) and not window.is_busy)
    window.activateWindow()
    settle(0.5)
    viewport = window.grid.active_viewport
    volume = viewport.volume
    details["ct_frames"] = int(volume.array.shape[0]) if volume is not None else 0
    checks["ct_all_frames"] = volume is not None and bool(volume.loaded.all())

    result["rects"]["viewport"] = to_shot(viewport, viewport.rect())
    menu_bar = window.menuBar()
    result["rects"]["menu_bar"] = to_shot(menu_bar, menu_bar.rect())
    shoot("01-ct-loaded")

    def drag(start: QPointF, end: QPointF, button: Any) -> None:
        drive.drag(viewport, start, end, button)

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
    details["frame_after_scroll"] = viewport.display_position  # reading order: head first
    checks["scrolled_ten_frames"] = viewport.display_position == 10
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
            label_rect(
                distance, viewport._transform(), viewport._overlay_font, QRectF(viewport.rect())
            ).toAlignedRect(),
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
            label_rect(
                roi, viewport._transform(), viewport._overlay_font, QRectF(viewport.rect())
            ).toAlignedRect(),
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
            label_rect(
                measures[0], viewport._transform(), viewport._overlay_font, QRectF(viewport.rect())
            ).toAlignedRect(),
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

    _report_session(drive, cxr_file, lm_folder)

    window.close()
    desktop_app.shutdown()
    checks["no_torch_at_the_end"] = "torch" not in sys.modules


SIGNER = "Dr E. Reader"
#: Typed into the findings: it denies the effusion the demo model finds on the radiograph.
TYPED = "No pleural effusion."
#: What the radiologist writes over the language model's impression.
OWN_IMPRESSION = "Left pleural effusion."


def _report_session(drive: WindowDriver, cxr_file: Path, lm_folder: Path | None) -> None:
    """Draft, edit, let the language model write, review, sign and export the report."""
    from PySide6.QtGui import QTextCursor
    from PySide6.QtTest import QTest

    from core.report.document import Origin, Section
    from desktop.assistant.report_dialogs import SigningBlockedDialog

    window, shots, result = drive.window, drive.shots, drive.result
    wait_until, settle, shoot, to_shot = drive.wait_until, drive.settle, drive.shoot, drive.to_shot
    trigger_and_wait = drive.trigger_and_wait
    checks: dict[str, bool] = result["checks"]
    details: dict[str, Any] = result["details"]
    panel = window.report_panel

    def select(start: int, end: int) -> Any:
        """A cursor of the editor that selects [start, end)."""
        cursor = panel.editor.textCursor()
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        return cursor

    checks["report_study_open"] = wait_until(lambda: panel.study is not None, 30)
    # The analysis of the radiograph reached the report: it is checked against it.
    checks["report_has_the_findings"] = wait_until(
        lambda: panel.report is not None and panel.report.context.analysed, 30
    )

    # Report → Draft Report: the templates write every section from the findings.
    drafted = trigger_and_wait(window.draft_report_action, panel.draft_finished, 30)
    checks["report_drafted"] = bool(drafted)
    settle(0.3)
    report = panel.report
    details["report_findings"] = report.section_text(Section.FINDINGS)
    details["report_impression"] = report.section_text(Section.IMPRESSION)
    checks["report_dock_shown"] = panel.isVisible() and window.report_dock.isVisible()
    checks["report_mentions_the_effusion"] = "effusion" in details["report_findings"].lower()
    checks["template_text_shaded"] = bool(report.sentences()) and set(
        panel.highlighted_sentences().values()
    ) == {"unreviewed"}
    checks["report_demo_banner"] = panel.banner.isVisible()
    editor = panel.editor.viewport()
    result["rects"]["report_editor"] = to_shot(editor, editor.rect())
    result["rects"]["report_banner"] = to_shot(panel.banner, panel.banner.rect())
    result["rects"]["report_state"] = to_shot(panel.state_label, panel.state_label.rect())
    result["rects"]["report_conflicts"] = to_shot(panel.conflict_list, panel.conflict_list.rect())
    details["report_state_drafted"] = panel.state_label.text()
    shoot("10-report-drafted")

    # A person types a sentence that denies what the analysis found: flagged, with why.
    panel.move_cursor_to_section(Section.FINDINGS)
    QTest.keyClicks(panel.editor, " " + TYPED)
    checks["typed_conflict_flagged"] = wait_until(
        lambda: any(i.label == "Effusion" for i in panel.issues), 10
    )
    settle(0.4)
    details["conflicts"] = panel.conflict_texts()
    typed = [s for s in panel.report.sentences() if s.text == TYPED]
    checks["typed_sentence_is_the_persons"] = len(typed) == 1 and typed[0].origin is Origin.PERSON
    checks["conflict_marked_in_the_editor"] = "conflict" in panel.highlighted_sentences().values()
    shoot("11-report-edited")

    # The language model writes the impression; its tokens stream into the editor.
    if lm_folder is not None:
        streamed: list[str] = []
        panel.text_streamed.connect(streamed.append)
        drafted.clear()
        panel.set_engine("llm")
        window.write_impression_action.trigger()
        checks["llm_streaming"] = wait_until(lambda: len(streamed) >= 3, 60)
        checks["llm_stop_offered_while_streaming"] = panel.stop_button.isEnabled()
        shoot("12-report-streaming")
        # Stop: the model stops at once and what it wrote so far stays, marked as its text.
        before_stop = len("".join(streamed))
        stop_pressed = time.perf_counter()
        panel.stop_button.click()
        checks["llm_stopped"] = wait_until(lambda: not panel.is_drafting, 5)
        details["llm_stop_seconds"] = round(time.perf_counter() - stop_pressed, 3)
        settle(0.3)
        impression = panel.report.sentences(Section.IMPRESSION)
        details["llm_impression"] = panel.report.section_text(Section.IMPRESSION)
        details["llm_chunks"] = len(streamed)
        details["llm_characters_at_stop"] = before_stop
        checks["llm_impression_kept_after_stop"] = bool(impression) and all(
            s.origin is Origin.LANGUAGE_MODEL and not s.reviewed for s in impression
        )
        checks["llm_findings_kept"] = TYPED in panel.report.section_text(Section.FINDINGS)
        # The radiologist writes the impression in their own words over the model's.
        panel.editor.setTextCursor(select(*panel.section_span(Section.IMPRESSION)))
        panel.editor.setFocus()
        QTest.keyClicks(panel.editor, OWN_IMPRESSION)
        checks["own_impression_is_the_persons"] = wait_until(
            lambda: (
                [(s.text, s.origin) for s in panel.report.sentences(Section.IMPRESSION)]
                == [(OWN_IMPRESSION, Origin.PERSON)]
            ),
            10,
        )
        panel.set_engine("template")
    # Everything read: mark it reviewed. Signing is still blocked by the conflict.
    panel.review_all_button.click()
    checks["all_reviewed"] = panel.report.unreviewed() == ()
    panel.sign_button.click()
    dialogs = panel.findChildren(SigningBlockedDialog)
    checks["sign_blocked_dialog"] = len(dialogs) == 1 and dialogs[0].isVisible()
    if dialogs:
        dialog = dialogs[0]
        details["sign_blockers"] = list(dialog.blockers)
        checks["blocked_by_conflicts_only"] = all(
            line.startswith("conflict:") for line in dialog.blockers
        ) and any("Effusion" in line for line in dialog.blockers)
        checks["override_needs_a_reason"] = not dialog.sign_anyway_button.isEnabled()
        settle(0.3)
        path = shots / "dialog-sign-blocked.png"
        dialog.grab().save(str(path), "PNG")
        result["dialogs"]["dialog-sign-blocked"] = str(path)
        dialog.review_button.click()  # "Review first"
        settle(0.2)
    # The radiologist deletes the sentence they typed by mistake: the conflict goes away.
    (typed_sentence,) = [s for s in panel.report.sentences() if s.text == TYPED]
    select(*panel.sentence_span(typed_sentence.id)).removeSelectedText()
    checks["conflict_gone_with_the_sentence"] = wait_until(lambda: not panel.issues, 10)
    checks["report_signed"] = bool(
        trigger_and_wait(window.sign_report_action, panel.report_signed, 10)
    )
    settle(0.3)
    final = panel.report
    details["report_state_signed"] = panel.state_label.text()
    details["report_impression_signed"] = final.section_text(Section.IMPRESSION)
    details["report_findings_signed"] = final.section_text(Section.FINDINGS)
    checks["final_signed_by_the_user"] = (
        final.is_final and final.signature is not None and final.signature.signer == SIGNER
    )
    checks["state_line_says_final"] = panel.state_label.text().startswith(
        f"Final — signed by {SIGNER} at "
    )
    checks["final_is_read_only"] = panel.editor.isReadOnly() and panel.addendum_button.isEnabled()
    shoot("13-report-signed")

    # Export: text, PDF with the key images (the view and its heatmap), DICOM SR.
    import pydicom

    files: dict[str, Any] = {}
    for kind in ("text", "pdf_images", "sr"):
        done = trigger_and_wait(window.export_report_actions[kind], panel.exported, 30)
        panel.exported.disconnect()
        checks[f"exported_report_{kind}"] = bool(done)
        files[kind] = done[0] if done else None
    details["report_exports"] = {k: str(v) for k, v in files.items()}
    if files["text"] is not None:
        text = files["text"].read_text(encoding="utf-8")
        checks["text_export_has_the_persons_impression"] = OWN_IMPRESSION in text
        checks["text_export_without_the_deleted_slip"] = TYPED not in text
        checks["text_export_is_signed"] = SIGNER in text
    if files["pdf_images"] is not None:
        checks["pdf_export"] = files["pdf_images"].read_bytes().startswith(b"%PDF")
        details["pdf_bytes"] = files["pdf_images"].stat().st_size
        checks["two_key_images"] = len(panel.key_images()) == 2
    if files["sr"] is not None:
        sr = pydicom.dcmread(files["sr"])
        source = pydicom.dcmread(cxr_file, stop_before_pixels=True)
        checks["sr_references_the_study"] = (
            sr.Modality == "SR" and sr.StudyInstanceUID == source.StudyInstanceUID
        )
        checks["sr_verified"] = str(sr.get("VerificationFlag", "")) == "VERIFIED"
        checks["exports_not_beside_the_source"] = all(
            f is not None and f.parent != cxr_file.parent for f in files.values()
        )


if __name__ == "__main__":
    sys.exit(main())
