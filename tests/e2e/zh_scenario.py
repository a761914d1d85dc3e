"""A reading session in Chinese in the real window (run by tests/e2e/test_zh_session.py).

    python tests/e2e/zh_scenario.py CT_FOLDER CXR_FILE MODEL_NAME OUT_DIR

Needs a display (QT_QPA_PLATFORM=xcb, DISPLAY). The interface language is chosen the
way a person chooses it: Settings → Language writes ``interface/language = zh-CN`` to
the settings file, and start-up applies it (:func:`desktop.i18n.apply_interface_language`,
as :func:`desktop.app.run_app` does). The report language is left unset: it follows the
interface. Then: the CT folder (with one truncated file: the unreadable-files notice),
scrolling, a window change, a distance; Settings → Language open, the reporting settings
dialog; the chest radiograph analysed with MODEL_NAME; the report drafted from the
templates, a Chinese sentence typed (through an input method's commit, as a pinyin IME
sends it) that denies the effusion the model found, signing blocked (the dialog),
the sentence deleted, signed. Screenshots go to OUT_DIR/screenshots as ``zh-*.png``;
OUT_DIR/checks.json holds the checks, the texts read from the widgets and, for every
screen, the characters its font has no glyph for and the English words left.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from tests.e2e.window_driver import WindowDriver, scenario_main

STARTED = time.perf_counter()

#: Who signs (a Chinese name: the state line shows it).
SIGNER = "李明"
#: Typed into the findings: it denies the effusion the demo model finds on the radiograph.
TYPED = "未见胸腔积液。"
#: Latin words a Chinese screen keeps on purpose (glossary: PACS, DICOM, units, names).
KEPT_LATIN = frozenset(
    {
        "AI",
        "PACS",
        "DICOM",
        "DICOMweb",
        "HU",
        "mm",
        "SR",
        "PDF",
        "PNG",
        "English",
        "RadAssist",
        "GGUF",
    }
)


def main() -> int:
    return scenario_main(_run)


def _run(args: Sequence[str], shots: Path, result: dict[str, Any]) -> None:
    from PySide6.QtCore import QPointF, Qt
    from PySide6.QtTest import QTest

    from desktop import app as desktop_app
    from desktop.i18n import apply_interface_language, ensure_cjk_font
    from desktop.settings import Settings

    ct_folder, cxr_file, model_name = Path(args[0]), Path(args[1]), args[2]
    checks: dict[str, bool] = result["checks"]
    details: dict[str, Any] = result["details"]
    result["glyphs_missing"] = {}
    result["latin_words"] = {}
    qapp = desktop_app.create_application()
    settings = Settings(shots.parent / "settings.ini")
    settings.interface_language = "zh-CN"  # what Settings → Language stores
    settings.report_signer = SIGNER
    settings.sync()
    details["interface_language"] = apply_interface_language(qapp, settings.interface_language)
    checks["interface_is_chinese"] = details["interface_language"] == "zh-CN"
    checks["report_language_follows_the_interface"] = settings.report_language == "zh-CN"
    details["cjk_family"] = ensure_cjk_font(qapp)
    details["app_font_families"] = list(qapp.font().families())
    window = desktop_app.start_window(ct_folder, settings=settings)
    drive = WindowDriver(qapp, window, shots, result)
    details["window_shown_s"] = round(time.perf_counter() - STARTED, 3)

    def seen(screen: str, widget: Any, texts: Iterable[str]) -> list[str]:
        """What ``screen`` shows in ``widget``: kept, with its missing glyphs and English."""
        return _seen_in_font(result, screen, widget.font(), texts)

    # 1. The CT folder: it loads, and the truncated file is listed in a notice, in Chinese.
    loaded: list[Any] = []
    window.series_loaded.connect(loaded.append)
    checks["ct_loaded"] = drive.wait_until(lambda: bool(loaded) and not window.is_busy)
    window.activateWindow()
    # A reader gives the window the screen (Xvfb has no window manager to maximise it).
    window.resize(1270, 1000)

    def unreadable_notices() -> list[Any]:
        return [
            n
            for n in window.notifications.notifications
            if n.isVisible() and any(line.startswith(str(ct_folder)) for line in n.detail_lines)
        ]

    checks["unreadable_notice_shown"] = drive.wait_until(lambda: bool(unreadable_notices()), 10)
    drive.settle(0.5)
    menu_bar = window.menuBar()
    details["menu_titles"] = seen("main", menu_bar, [a.text() for a in menu_bar.actions()])
    drive.mark("menu_bar", menu_bar)
    details["other_notices"] = [
        n.text for n in window.notifications.notifications if n not in unreadable_notices()
    ]
    for notice in unreadable_notices()[:1]:
        notice.set_expanded(True)  # the file and why, as the reader asks for them
        drive.settle(0.2)
        details["notice"] = seen("notice", notice.label, [notice.text])
        details["notice_details"] = seen("notice", notice.details, notice.detail_lines)
        details["notice_buttons"] = seen(
            "notice", notice, [notice.details_button.text(), notice.close_button.toolTip()]
        )
        drive.mark("notice", notice.label)
    # The status line names the series by its own description (the study's data, as typed
    # at the scanner): that is left out of the check for English.
    status = window.status_label.text()
    for series in window.index.all_series() if window.index is not None else ():
        if series.description:
            status = status.replace(series.description, " ")
    details["status_line"] = seen("main", window.statusBar(), [status])
    viewport = window.grid.active_viewport
    drive.mark("viewport", viewport)
    details["dock_titles"] = seen(
        "main",
        window,
        [d.windowTitle() for d in (window.browser_dock, window.ai_dock, window.report_dock)],
    )
    drive.shoot("zh-01-unreadable-notice")

    # 2. Scroll ten images, change the window (W/L), draw a distance: corners and label.
    centre = QPointF(viewport.width() / 2, viewport.height() / 2)
    QTest.mouseClick(
        viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre.toPoint()
    )
    for _ in range(10):
        QTest.keyClick(viewport, Qt.Key.Key_Down)
    details["frame_after_scroll"] = viewport.display_position
    checks["scrolled"] = viewport.display_position == 10
    before = viewport.window
    drive.drag(viewport, centre, centre + QPointF(120, 60), Qt.MouseButton.RightButton)
    details["window_before"], details["window_after"] = list(before), list(viewport.window)
    checks["window_changed"] = viewport.window != before
    window.tool_actions["distance"].trigger()
    a, b = centre + QPointF(-90, -20), centre + QPointF(60, 50)
    drive.drag(viewport, a, b, Qt.MouseButton.LeftButton)
    measures = viewport.measurements
    checks["one_distance"] = len(measures) == 1 and measures[0].kind == "distance"
    overlay = viewport.overlay_text()
    overlay_font = getattr(viewport, "_overlay_font", viewport.font())
    details["overlay"] = {
        corner: list(getattr(overlay, corner))
        for corner in ("top_left", "top_right", "bottom_left", "bottom_right")
    }
    # The top corners are the study's own data (names, descriptions): glyphs only.
    _missing_glyphs_of(result, "ct", overlay_font, overlay.top_left + overlay.top_right)
    _seen_in_font(result, "ct", overlay_font, overlay.bottom_left + overlay.bottom_right)
    if measures:
        details["distance_label"] = list(measures[0].label_lines)
        _seen_in_font(result, "ct", overlay_font, measures[0].label_lines)
        checks["distance_in_mm"] = any(line.endswith("mm") for line in measures[0].label_lines)
    window.tool_actions["none"].trigger()
    drive.shoot("zh-02-ct-distance")

    # 3. Settings → Language, open; the reporting settings and DICOM nodes dialogs.
    _settings_screens(drive, window, seen)

    # 4. The chest radiograph, analysed with the demo model: the AI panel in Chinese.
    loaded.clear()
    window.open_path(cxr_file)
    checks["cxr_loaded"] = drive.wait_until(lambda: bool(loaded) and not window.is_busy)
    ai = window.ai_panel
    checks["models_listed"] = drive.wait_until(lambda: bool(ai.packages), 30)
    checks["model_chosen"] = ai.select_model(model_name)
    finished: list[Any] = []
    ai.analysis_finished.connect(finished.append)
    window.analyze_action.trigger()
    checks["analysis_finished"] = drive.wait_until(
        lambda: bool(finished) and not ai.is_running, 120
    )
    drive.settle(0.3)
    analysis = finished[0] if finished else None
    checks["analysis_ran"] = analysis is not None and analysis.skipped is None
    rows = ai.row_texts()
    details["ai_rows"] = rows
    seen("ai", ai.tree, [cell for row in rows for cell in row])
    header = ai.tree.headerItem()
    details["ai_columns"] = seen(
        "ai", ai.tree, [header.text(c) for c in range(header.columnCount())]
    )
    details["ai_model_label"] = seen("ai", ai.model_label, [ai.model_label.text()])[0]
    # The model's intended use is the package's own text (its manifest, as its makers wrote
    # it: package data, like a study's description), shown as written in any language; only
    # the words the window puts around it are checked for English.
    intended = getattr(ai.result, "intended_use", "") or ""
    use = ai.use_label.text()
    details["ai_intended_use"] = seen(
        "ai", ai.use_label, [use.replace(intended, "") if intended else use]
    )
    details["ai_banner"] = seen("ai", ai.banner, [ai.banner.text()])
    details["heatmap_caption"] = viewport.heatmap_caption
    _seen_in_font(result, "ai", overlay_font, [viewport.heatmap_caption or ""])
    drive.mark("ai_findings", ai.tree)
    drive.mark("ai_banner", ai.banner)
    drive.mark("viewport_cxr", viewport)
    drive.shoot("zh-03-ai-panel")

    _report_session(drive, window, result, seen)

    window.close()
    desktop_app.shutdown()


def _settings_screens(drive: WindowDriver, window: Any, seen: Any) -> None:
    """Settings → Language open (the whole screen: menus are windows of their own), and
    the dialogs Settings → Reporting and Settings → DICOM Nodes open."""
    from PySide6.QtWidgets import QDialogButtonBox

    checks, details = drive.result["checks"], drive.result["details"]
    settings_menu = window.menus["Settings"]
    language_menu = next((a.menu() for a in settings_menu.actions() if a.menu() is not None), None)
    checks["language_submenu_present"] = language_menu is not None
    menu_bar = window.menuBar()
    menu_bar.setActiveAction(settings_menu.menuAction())
    drive.wait_until(settings_menu.isVisible, 5)
    if language_menu is not None:
        settings_menu.setActiveAction(language_menu.menuAction())
        if not drive.wait_until(language_menu.isVisible, 2):
            rect = settings_menu.actionGeometry(language_menu.menuAction())
            language_menu.popup(settings_menu.mapToGlobal(rect.topRight()))
        checks["language_submenu_open"] = drive.wait_until(language_menu.isVisible, 5)
        details["settings_menu"] = seen(
            "settings", settings_menu, [a.text() for a in settings_menu.actions()]
        )
        details["language_menu_title"] = language_menu.title()
        details["language_menu"] = seen(
            "settings", language_menu, [a.text() for a in language_menu.actions()]
        )
        details["language_checked"] = [a.text() for a in language_menu.actions() if a.isChecked()]
        # Menus are windows of their own: screen pixels (the window sits at the origin).
        drive.result["rects"]["language_menu"] = _global_rect(language_menu)
        drive.result["rects"]["settings_menu"] = _global_rect(settings_menu)
        details["window_origin"] = [window.geometry().x(), window.geometry().y()]
        drive.shoot("zh-04-settings-language", whole_screen=True)
        language_menu.hide()
    settings_menu.hide()
    menu_bar.setActiveAction(None)
    drive.settle(0.2)

    dialog = window.show_reporting_settings()
    checks["reporting_settings_shown"] = drive.wait_until(dialog.isVisible, 5)
    details["reporting_settings_title"] = dialog.windowTitle()
    details["reporting_settings_texts"] = seen("settings", dialog, _dialog_texts(dialog))
    boxes = dialog.findChildren(QDialogButtonBox)
    details["reporting_settings_buttons"] = [b.text() for box in boxes for b in box.buttons()]
    drive.grab_dialog(dialog, "zh-05-reporting-settings")
    dialog.close()

    # Settings → DICOM Nodes: our node and the PACS nodes.
    from desktop.pacs.nodes_dialog import NodesDialog

    window.nodes_action.trigger()
    checks["nodes_dialog_shown"] = drive.wait_until(
        lambda: any(d.isVisible() for d in window.findChildren(NodesDialog)), 5
    )
    for nodes in [d for d in window.findChildren(NodesDialog) if d.isVisible()][:1]:
        details["nodes_title"] = nodes.windowTitle()
        details["nodes_texts"] = seen("settings", nodes, _dialog_texts(nodes))
        drive.grab_dialog(nodes, "zh-05-dicom-nodes")
        nodes.close()
    drive.settle(0.2)


def _dialog_texts(dialog: Any) -> list[str]:
    """What a dialog shows in words: its title, labels, buttons, group titles, headers."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QAbstractButton, QGroupBox, QLabel, QTableView, QTreeView

    texts = [dialog.windowTitle()]
    texts += [w.text() for w in dialog.findChildren(QLabel) if w.isVisibleTo(dialog)]
    texts += [w.text() for w in dialog.findChildren(QAbstractButton) if w.isVisibleTo(dialog)]
    texts += [w.title() for w in dialog.findChildren(QGroupBox) if w.isVisibleTo(dialog)]
    for view in dialog.findChildren(QTableView) + dialog.findChildren(QTreeView):
        header = view.horizontalHeader() if isinstance(view, QTableView) else view.header()
        if view.isVisibleTo(dialog) and view.model() is not None and not header.isHidden():
            horizontal = Qt.Orientation.Horizontal
            texts += [str(view.model().headerData(c, horizontal)) for c in range(header.count())]
    return texts


def _report_session(drive: WindowDriver, window: Any, result: dict[str, Any], seen: Any) -> None:
    """Draft, type a conflicting Chinese sentence, signing blocked, fix it, sign."""
    from PySide6.QtGui import QInputMethodEvent, QTextCursor
    from PySide6.QtWidgets import QApplication

    from core.report.document import Section
    from desktop.assistant.report_dialogs import SigningBlockedDialog

    checks: dict[str, bool] = result["checks"]
    details: dict[str, Any] = result["details"]
    panel = window.report_panel
    checks["report_has_the_findings"] = drive.wait_until(
        lambda: panel.report is not None and panel.report.context.analysed, 30
    )
    checks["report_language_chinese"] = panel.language == "zh-CN"
    drafted = drive.trigger_and_wait(window.draft_report_action, panel.draft_finished, 30)
    checks["report_drafted"] = bool(drafted)
    drive.settle(0.3)
    report = panel.report
    details["report_findings"] = report.section_text(Section.FINDINGS)
    details["report_impression"] = report.section_text(Section.IMPRESSION)
    checks["report_names_the_effusion"] = "胸腔积液" in details["report_findings"]
    details["report_state_drafted"] = panel.state_label.text()
    editor_text = panel.editor.toPlainText().splitlines()
    seen("report", panel.editor, editor_text)
    seen("report", panel.state_label, [panel.state_label.text()])
    seen("report", panel.banner, [panel.banner.text()])
    details["report_buttons"] = seen(
        "report",
        panel,
        [panel.sign_button.text(), panel.review_all_button.text(), panel.addendum_button.text()],
    )
    details["report_editor_lines"] = editor_text
    editor = panel.editor.viewport()
    drive.mark("report_editor", editor)
    drive.mark("report_state", panel.state_label)
    drive.mark("report_conflicts", panel.conflict_list)
    drive.shoot("zh-06-report-drafted")

    # The radiologist types with a pinyin input method: the IME commits the sentence whole.
    panel.move_cursor_to_section(Section.FINDINGS)
    commit = QInputMethodEvent()
    commit.setCommitString(TYPED)
    QApplication.sendEvent(panel.editor, commit)
    checks["typed_sentence_in_the_editor"] = TYPED in panel.editor.toPlainText()
    checks["typed_conflict_flagged"] = drive.wait_until(lambda: bool(panel.issues), 10)
    drive.settle(0.4)
    details["conflicts"] = seen("report", panel.conflict_list, panel.conflict_texts())
    details["issue_labels"] = [getattr(i, "label", "") for i in panel.issues]
    checks["conflict_marked_in_the_editor"] = "conflict" in panel.highlighted_sentences().values()
    drive.shoot("zh-07-report-conflict")

    panel.review_all_button.click()
    panel.sign_button.click()
    dialogs = panel.findChildren(SigningBlockedDialog)
    checks["sign_blocked_dialog"] = len(dialogs) == 1 and dialogs[0].isVisible()
    if dialogs:
        dialog = dialogs[0]
        details["sign_blocked_title"] = dialog.windowTitle()
        details["sign_blockers"] = seen("sign-blocked", dialog.blocker_list, list(dialog.blockers))
        from PySide6.QtWidgets import QLabel

        details["sign_blocked_texts"] = seen(
            "sign-blocked",
            dialog,
            [dialog.windowTitle(), dialog.reason_edit.placeholderText()]
            + [w.text() for w in dialog.findChildren(QLabel)]
            + [dialog.review_button.text(), dialog.sign_anyway_button.text()],
        )
        checks["override_needs_a_reason"] = not dialog.sign_anyway_button.isEnabled()
        drive.grab_dialog(dialog, "zh-08-sign-blocked")
        dialog.review_button.click()
        drive.settle(0.2)

    # The radiologist deletes the sentence: the conflict goes, and the report signs.
    typed = [s for s in panel.report.sentences() if s.text == TYPED]
    checks["typed_sentence_found"] = len(typed) == 1
    if typed:
        cursor = panel.editor.textCursor()
        start, end = panel.sentence_span(typed[0].id)
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        cursor.removeSelectedText()
    checks["conflict_gone"] = drive.wait_until(lambda: not panel.issues, 10)
    signed = drive.trigger_and_wait(window.sign_report_action, panel.report_signed, 10)
    checks["report_signed"] = bool(signed)
    drive.settle(0.3)
    final = panel.report
    checks["signed_by_the_user"] = (
        final.is_final and final.signature is not None and final.signature.signer == SIGNER
    )
    details["report_state_signed"] = seen("signed", panel.state_label, [panel.state_label.text()])[
        0
    ]
    checks["state_line_names_the_signer"] = SIGNER in details["report_state_signed"]
    seen("signed", panel.editor, panel.editor.toPlainText().splitlines())
    drive.shoot("zh-09-report-signed")


def _global_rect(widget: Any) -> list[int]:
    """Where ``widget`` is on the screen, [x, y, w, h] in screen pixels."""
    dpr = widget.devicePixelRatioF()
    top_left = widget.mapToGlobal(widget.rect().topLeft())
    size = widget.size()
    return [
        round(top_left.x() * dpr),
        round(top_left.y() * dpr),
        round(size.width() * dpr),
        round(size.height() * dpr),
    ]


def _seen_in_font(
    result: dict[str, Any], screen: str, font: Any, texts: Iterable[str]
) -> list[str]:
    """Keep, for ``screen``, the characters of ``texts`` ``font`` has no glyph for and the
    English words left; returns the non-empty texts."""
    lines = [t for t in texts if t]
    _missing_glyphs_of(result, screen, font, lines)
    _keep(result["latin_words"], screen, _latin_words(lines))
    return lines


def _keep(found: dict[str, list[str]], screen: str, items: Iterable[str]) -> None:
    """Add ``items`` to ``found[screen]``, each once (no key when there are none)."""
    for item in items:
        kept = found.setdefault(screen, [])
        if item not in kept:
            kept.append(item)


def _missing_glyphs_of(
    result: dict[str, Any], screen: str, font: Any, texts: Iterable[str]
) -> None:
    _keep(result["glyphs_missing"], screen, _missing_glyphs(font, texts))


def _missing_glyphs(font: Any, texts: Iterable[str]) -> list[str]:
    """Characters of ``texts`` that none of ``font``'s families has a glyph for (boxes).

    Each family is resolved to the one physical font Qt uses for it (QRawFont), as
    :func:`desktop.i18n.font_shows_chinese` does: a character no family covers is drawn
    as a box, or by whatever fallback the platform happens to have.
    """
    from PySide6.QtGui import QFont, QRawFont

    raws = []
    for family in font.families() or [font.family()]:
        face = QFont(font)
        face.setFamilies([family])
        raw = QRawFont.fromFont(face)
        if raw.isValid():
            raws.append(raw)
    missing: list[str] = []
    for ch in sorted(set("".join(texts))):
        if ch.isspace() or ord(ch) < 0x20:
            continue
        if not any(raw.supportsCharacter(ord(ch)) for raw in raws) and ch not in missing:
            missing.append(ch)
    return missing


def _latin_words(texts: Iterable[str]) -> list[str]:
    """English words left in Chinese text (not the Latin words Chinese screens keep)."""
    words: list[str] = []
    for text in texts:
        # Paths and names are what they are: a file, a model package, a method.
        text = re.sub(r"\S*[/\\]\S*|\S*\.dcm\b|radassist-[\w.-]+|Grad-CAM", " ", text)
        # Words, and the one- or two-letter labels of a value ("Se:3"). The window's
        # "W:400 L:40" is kept: Latin W/L with a colon, as Chinese PACS show it (GLOSSARY.md).
        found = re.findall(
            r"[A-Za-z][A-Za-z'&]{2,}|\b(?![WL]:)[A-Za-z]{1,2}:(?=-?\d)", text.replace("&", "")
        )
        for word in found:
            if word not in KEPT_LATIN and word not in words:
                words.append(word)
    return words


if __name__ == "__main__":
    sys.exit(main())
