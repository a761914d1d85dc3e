"""The reading window's actions and menu bar: every QAction, its keys, and the menus.

Built the way a Qt Designer ``setupUi`` builds a form: :func:`build_actions` and
:func:`build_menus` create the actions and menus as attributes of the window
(``window.open_folder_action``, ``window.layout_actions``, ``window.menus``...), which are
part of its public API and declared, with their types, on
:class:`~desktop.main_window.MainWindow`. The menus whose content changes (recent studies,
window presets) are filled when they open. A viewport command acts on the active viewport,
called directly.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from functools import partial
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QLocale, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu, QMessageBox, QWidget

from desktop.archive.menu_slots import (
    send_to_pacs,
    show_archive_settings,
    show_export_dialog,
    show_nodes_dialog,
    show_query_dialog,
)
from desktop.assistant.report_export import export_formats
from desktop.language_menu import LanguageMenu
from desktop.reading_keys import (
    BROWSER_FOCUS_KEYS,
    NEXT_SERIES_KEYS,
    PREVIOUS_SERIES_KEYS,
    reading_shortcuts,
)
from desktop.settings import LAYOUTS
from desktop.study_opening import (
    ask_and_open_file,
    ask_and_open_folder,
    clear_recent_studies,
    rebuild_recent_menu,
)
from desktop.viewer.viewer_texts import viewport_shortcuts
from desktop.viewer.viewport import VIEWPORT_SHORTCUTS, Viewport

if TYPE_CHECKING:
    from desktop.main_window import MainWindow

logger = logging.getLogger(__name__)

__all__ = [
    "TOOLS",
    "build_actions",
    "build_menus",
    "list_shortcuts",
    "show_about",
]


def measurement_tools() -> tuple[tuple[str, str], ...]:
    """Measurement tools: (name for Viewport.set_tool, menu text in the interface language)."""
    return (
        ("none", QCoreApplication.translate("WindowActions", "&Pointer")),
        ("distance", QCoreApplication.translate("WindowActions", "&Distance")),
        ("angle", QCoreApplication.translate("WindowActions", "&Angle")),
        ("rectangle", QCoreApplication.translate("WindowActions", "&Rectangle ROI")),
        ("ellipse", QCoreApplication.translate("WindowActions", "&Ellipse ROI")),
    )


#: Measurement tools: (name for Viewport.set_tool, menu text as the source says it).
TOOLS = measurement_tools()


def _add_action(
    window: MainWindow,
    text: str,
    slot: Callable[..., Any],
    shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
    *,
    checkable: bool = False,
    name: str = "",
    tip: str = "",
) -> QAction:
    action = QAction(text, window)
    if name:
        action.setObjectName(name)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    action.setCheckable(checkable)
    if tip:
        action.setStatusTip(tip)
    action.triggered.connect(slot)
    window.addAction(action)  # shortcuts work while the menu bar is hidden too
    return action


def build_actions(window: MainWindow) -> None:
    """Create every action of the window as its attribute (``window.open_folder_action``...).

    Each action is added to the window too, so its keys work while the menu bar is hidden.
    """

    a = partial(_add_action, window)

    def on_viewport(call: Callable[[Viewport], object]) -> Callable[[], None]:
        """A slot that calls ``call`` with the active viewport (the grid always has one)."""

        def slot() -> None:
            call(window.grid.active_viewport)

        return slot

    window.open_folder_action = a(
        QCoreApplication.translate("WindowActions", "Open &Folder…"),
        lambda: ask_and_open_folder(window),
        QKeySequence.StandardKey.Open,
        name="open_folder",
    )
    window.open_file_action = a(
        QCoreApplication.translate("WindowActions", "Open DICOMDIR or &ZIP…"),
        lambda: ask_and_open_file(window),
        "Ctrl+Shift+O",
        name="open_file",
    )
    window.export_action = a(
        QCoreApplication.translate("WindowActions", "&Export View as PNG…"),
        window.ask_and_export_view,
        "Ctrl+E",
        name="export_png",
    )
    window.export_gsps_action = a(
        QCoreApplication.translate("WindowActions", "Export &Annotations as GSPS"),
        lambda: window.annotations.export_presentation_state(),
        "Ctrl+Shift+E",
        name="export_gsps",
        tip=QCoreApplication.translate(
            "WindowActions", "Save the measurements and windows shown as a DICOM presentation state"
        ),
    )
    window.archive_action = a(
        QCoreApplication.translate("WindowActions", "Study &Archive…"),
        window.archive_part.show_study_list,
        "Ctrl+Shift+L",
        name="study_archive",
        tip=QCoreApplication.translate(
            "WindowActions",
            "The studies received, retrieved and imported: search, open, import, delete",
        ),
    )
    window.query_pacs_action = a(
        QCoreApplication.translate("WindowActions", "&Query PACS…"),
        lambda: show_query_dialog(window),
        "Ctrl+Shift+Q",
        name="query_pacs",
        tip=QCoreApplication.translate(
            "WindowActions", "Find studies on a PACS and retrieve them into the archive"
        ),
    )
    window.export_anonymised_action = a(
        QCoreApplication.translate("WindowActions", "&Anonymised Study…"),
        lambda: show_export_dialog(window, media=False),
        name="export_anonymised",
        tip=QCoreApplication.translate(
            "WindowActions", "Export the open study de-identified (DICOM PS3.15 Basic profile)"
        ),
    )
    window.export_media_action = a(
        QCoreApplication.translate("WindowActions", "Study to &CD/USB Folder (DICOMDIR)…"),
        lambda: show_export_dialog(window, media=True),
        name="export_media",
        tip=QCoreApplication.translate(
            "WindowActions",
            "Export the open study to a folder with a DICOMDIR, for a CD or USB stick",
        ),
    )
    window.send_to_pacs_action = a(
        QCoreApplication.translate("WindowActions", "Send to &PACS…"),
        lambda: send_to_pacs(window),
        name="send_to_pacs",
        tip=QCoreApplication.translate(
            "WindowActions", "Send the signed report, the AI results and the annotations to a PACS"
        ),
    )
    window.nodes_action = a(
        QCoreApplication.translate("WindowActions", "DICOM &Nodes…"),
        lambda: show_nodes_dialog(window),
        name="dicom_nodes",
    )
    window.archive_settings_action = a(
        QCoreApplication.translate("WindowActions", "Study Arc&hive…"),
        lambda: show_archive_settings(window),
        name="archive_settings",
    )
    window.next_series_action = a(
        QCoreApplication.translate("WindowActions", "&Next Series"),
        lambda: window.reading_keys.step_series(1),
        NEXT_SERIES_KEYS,
        name="next_series",
    )
    window.previous_series_action = a(
        QCoreApplication.translate("WindowActions", "&Previous Series"),
        lambda: window.reading_keys.step_series(-1),
        PREVIOUS_SERIES_KEYS,
        name="previous_series",
    )
    window.focus_browser_action = a(
        QCoreApplication.translate("WindowActions", "&Go to Study Browser"),
        window.reading_keys.focus_browser,
        BROWSER_FOCUS_KEYS,
        name="focus_browser",
        tip=QCoreApplication.translate("WindowActions", "Esc goes back to the image"),
    )
    window.quit_action = a(
        QCoreApplication.translate("WindowActions", "&Quit"),
        window.close,
        QKeySequence.StandardKey.Quit,
        name="quit",
    )
    window.clear_recent_action = QAction(
        QCoreApplication.translate("WindowActions", "&Clear Recent Studies"), window
    )
    window.clear_recent_action.triggered.connect(lambda: clear_recent_studies(window))

    window.layout_group = QActionGroup(window)
    window.layout_actions = {}
    for number, (rows, cols) in enumerate(LAYOUTS, start=1):
        action = a(
            f"{rows} × {cols}",
            lambda _=False, r=rows, c=cols: window.set_layout(r, c),
            f"Ctrl+{number}",
            checkable=True,
            name=f"layout_{rows}x{cols}",
        )
        window.layout_group.addAction(action)
        window.layout_actions[(rows, cols)] = action
    window.overlays_action = a(
        QCoreApplication.translate("WindowActions", "&Overlays"),
        window.set_overlays_visible,
        "Shift+O",
        checkable=True,
        name="overlays",
    )
    window.sync_action = a(
        QCoreApplication.translate("WindowActions", "&Sync Scrolling"),
        window.set_sync_scrolling,
        "Ctrl+Shift+S",
        checkable=True,
        name="sync_scrolling",
    )
    window.auto_window_action = a(
        QCoreApplication.translate("WindowActions", "&Auto Window"),
        on_viewport(lambda v: v.auto_window()),
        name="auto_window",
    )
    window.cine_action = a(
        QCoreApplication.translate("WindowActions", "&Cine Play/Pause"),
        lambda checked: _play_cine(window, checked),
        checkable=True,
        name="cine",
    )
    window.browser_action = window.browser_dock.toggleViewAction()
    window.browser_action.setText(QCoreApplication.translate("WindowActions", "Study &Browser"))
    window.browser_action.setShortcut(QKeySequence("Ctrl+B"))
    window.addAction(window.browser_action)

    window.tool_group = QActionGroup(window)
    window.tool_actions = {}
    for tool, text in measurement_tools():
        action = a(
            text,
            lambda _=False, t=tool: window.set_tool(t),
            checkable=True,
            name=f"tool_{tool}",
        )
        window.tool_group.addAction(action)
        window.tool_actions[tool] = action
    window.tool_actions["none"].setChecked(True)
    window.undo_action = a(
        QCoreApplication.translate("WindowActions", "&Undo Measurement"),
        on_viewport(lambda v: v.undo()),
        name="undo",
    )
    window.delete_action = a(
        QCoreApplication.translate("WindowActions", "De&lete Measurement"),
        on_viewport(lambda v: v.delete_selected()),
        name="delete_measurement",
    )
    window.invert_action = a(
        QCoreApplication.translate("WindowActions", "&Invert"),
        on_viewport(lambda v: v.invert()),
        name="invert",
    )
    window.rotate_right_action = a(
        QCoreApplication.translate("WindowActions", "Rotate &Right"),
        on_viewport(lambda v: v.rotate(90)),
        name="rotate_right",
    )
    window.rotate_left_action = a(
        QCoreApplication.translate("WindowActions", "Rotate &Left"),
        on_viewport(lambda v: v.rotate(-90)),
        name="rotate_left",
    )
    window.flip_h_action = a(
        QCoreApplication.translate("WindowActions", "Flip &Horizontal"),
        on_viewport(lambda v: v.flip_horizontal()),
        name="flip_h",
    )
    window.flip_v_action = a(
        QCoreApplication.translate("WindowActions", "Flip &Vertical"),
        on_viewport(lambda v: v.flip_vertical()),
        name="flip_v",
    )
    window.fit_action = a(
        QCoreApplication.translate("WindowActions", "&Fit"),
        on_viewport(lambda v: v.fit()),
        name="fit",
    )
    window.actual_size_action = a(
        QCoreApplication.translate("WindowActions", "&Actual Size (1:1)"),
        on_viewport(lambda v: v.actual_size()),
        name="actual_size",
    )
    window.reset_action = a(
        QCoreApplication.translate("WindowActions", "Re&set View"),
        on_viewport(lambda v: v.reset_view()),
        name="reset_view",
    )
    window.tags_action = a(
        QCoreApplication.translate("WindowActions", "DICOM &Tags…"),
        lambda: window.show_tag_browser(),
        "Ctrl+T",
        name="tag_browser",
    )
    window.shortcuts_action = a(
        QCoreApplication.translate("WindowActions", "&Keyboard Shortcuts"),
        window.show_shortcuts,
        QKeySequence.StandardKey.HelpContents,
        name="shortcuts",
    )
    window.about_action = a(
        QCoreApplication.translate("WindowActions", "&About RadAssist"),
        lambda: show_about(window),
        name="about",
    )
    window.analyze_action = a(
        QCoreApplication.translate("WindowActions", "&Analyze Image"),
        window.analyze_image,
        "Ctrl+Shift+A",
        name="analyze",
        tip=QCoreApplication.translate("WindowActions", "Run the AI model on the image shown"),
    )
    window.cancel_analysis_action = a(
        QCoreApplication.translate("WindowActions", "&Cancel Analysis"),
        window.ai_panel.cancel,
        name="cancel_analysis",
    )
    window.heatmap_action = a(
        QCoreApplication.translate("WindowActions", "Show AI &Heatmap"),
        lambda checked: window.ai_panel.heatmap_check.setChecked(bool(checked)),
        "Ctrl+Shift+H",
        checkable=True,
        name="heatmap",
    )
    window.heatmap_action.setChecked(window.ai_panel.heatmap_check.isChecked())
    window.ai_panel.heatmap_check.toggled.connect(window.heatmap_action.setChecked)
    window.ai_panel_action = window.ai_dock.toggleViewAction()
    window.ai_panel_action.setText(
        QCoreApplication.translate("WindowActions", "AI &Findings Panel")
    )
    window.ai_panel_action.setShortcut(QKeySequence("Ctrl+Shift+F"))
    window.addAction(window.ai_panel_action)
    window.models_action = a(
        QCoreApplication.translate("WindowActions", "&Models…"),
        window.show_models_dialog,
        name="models",
    )
    window.reporting_action = a(
        QCoreApplication.translate("WindowActions", "&Reporting…"),
        window.show_reporting_settings,
        name="reporting_settings",
    )
    window.data_protection_action = a(
        QCoreApplication.translate("WindowActions", "&Data Protection…"),
        window.show_data_protection,
        name="data_protection",
    )
    window.draft_report_action = a(
        QCoreApplication.translate("WindowActions", "&Draft Report"),
        lambda: window.draft_report("report"),
        "Ctrl+Shift+D",
        name="draft_report",
        tip=QCoreApplication.translate("WindowActions", "Draft the report with the chosen engine"),
    )
    window.write_impression_action = a(
        QCoreApplication.translate("WindowActions", "Write &Impression"),
        lambda: window.draft_report("impression"),
        name="write_impression",
    )
    window.rewrite_action = a(
        QCoreApplication.translate("WindowActions", "&Rewrite Selection"),
        lambda: window.draft_report("rewrite"),
        name="rewrite_selection",
    )
    window.stop_drafting_action = a(
        QCoreApplication.translate("WindowActions", "S&top Drafting"),
        window.report_panel.stop,
        name="stop_drafting",
    )
    window.mark_all_reviewed_action = a(
        QCoreApplication.translate("WindowActions", "Mark &All Reviewed"),
        window.report_panel.mark_all_reviewed,
        name="mark_all_reviewed",
    )
    window.sign_report_action = a(
        QCoreApplication.translate("WindowActions", "&Sign Report…"),
        window.sign_report,
        "Ctrl+Shift+G",
        name="sign_report",
    )
    window.addendum_action = a(
        QCoreApplication.translate("WindowActions", "Add A&ddendum…"),
        window.report_panel.write_addendum,
        name="addendum",
    )
    window.export_report_actions = {}
    for kind, text in export_formats():
        window.export_report_actions[kind] = a(
            text,
            lambda _=False, k=kind: window.export_report(k),
            name=f"export_report_{kind}",
        )
    window.report_panel_action = window.report_dock.toggleViewAction()
    window.report_panel_action.setText(QCoreApplication.translate("WindowActions", "&Report Panel"))
    window.report_panel_action.setShortcut(QKeySequence("Ctrl+Shift+R"))
    window.addAction(window.report_panel_action)
    _show_viewport_keys(window)


def _show_viewport_keys(window: MainWindow) -> None:
    """Show in the menus the keys the viewport handles itself, without stealing them.

    The focused viewport reads these keys in its own key handler; giving the menu
    actions the same shortcut in window context would take the keys from it. A
    widget-context shortcut on an action that no focusable widget holds is only
    displayed. A key is shown only when the viewport's list still names it.
    """
    listed = _viewport_key_tokens()
    keys = {
        window.invert_action: "I",
        window.rotate_right_action: "R",
        window.rotate_left_action: "Shift+R",
        window.flip_h_action: "H",
        window.flip_v_action: "V",
        window.fit_action: "F",
        window.actual_size_action: "1",
        window.reset_action: "0",
        window.auto_window_action: "A",
        window.delete_action: "Delete",
        window.undo_action: "Ctrl+Z",
        window.cine_action: "Space",
        window.tool_actions["none"]: "S",
        window.tool_actions["distance"]: "D",
        window.tool_actions["angle"]: "G",
        window.tool_actions["rectangle"]: "T",
        window.tool_actions["ellipse"]: "E",
    }
    for action, key in keys.items():
        if key.lower() not in listed:
            continue
        window.removeAction(action)
        action.setShortcut(QKeySequence(key))
        action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)


def build_menus(window: MainWindow) -> None:
    """Create the menu bar; ``window.menus`` maps each menu's title to it."""
    bar = window.menuBar()
    file_menu = bar.addMenu(QCoreApplication.translate("WindowActions", "&File"))
    file_menu.addAction(window.open_folder_action)
    file_menu.addAction(window.open_file_action)
    window.recent_menu = file_menu.addMenu(
        QCoreApplication.translate("WindowActions", "&Recent Studies")
    )
    window.recent_menu.setObjectName("recent_menu")
    window.recent_menu.aboutToShow.connect(lambda: rebuild_recent_menu(window))
    file_menu.addSeparator()
    file_menu.addAction(window.archive_action)
    file_menu.addAction(window.query_pacs_action)
    file_menu.addSeparator()
    file_menu.addAction(window.export_action)
    file_menu.addAction(window.export_gsps_action)
    study_export_menu = file_menu.addMenu(QCoreApplication.translate("WindowActions", "E&xport"))
    study_export_menu.setObjectName("export_study_menu")
    study_export_menu.addAction(window.export_anonymised_action)
    study_export_menu.addAction(window.export_media_action)
    file_menu.addSeparator()
    file_menu.addAction(window.quit_action)

    view_menu = bar.addMenu(QCoreApplication.translate("WindowActions", "&View"))
    layout_menu = view_menu.addMenu(QCoreApplication.translate("WindowActions", "&Layout"))
    for action in window.layout_actions.values():
        layout_menu.addAction(action)
    view_menu.addAction(window.overlays_action)
    view_menu.addAction(window.sync_action)
    view_menu.addSeparator()
    window.presets_menu = view_menu.addMenu(
        QCoreApplication.translate("WindowActions", "Window &Presets")
    )
    window.presets_menu.setObjectName("presets_menu")
    window.presets_menu.aboutToShow.connect(lambda: _rebuild_presets_menu(window))
    view_menu.addAction(window.auto_window_action)
    view_menu.addSeparator()
    view_menu.addAction(window.fit_action)
    view_menu.addAction(window.actual_size_action)
    view_menu.addAction(window.cine_action)
    view_menu.addSeparator()
    view_menu.addAction(window.next_series_action)
    view_menu.addAction(window.previous_series_action)
    view_menu.addAction(window.browser_action)
    view_menu.addAction(window.focus_browser_action)

    view_menu.aboutToShow.connect(lambda: _check_cine(window))
    tools_menu = bar.addMenu(QCoreApplication.translate("WindowActions", "&Tools"))
    tools_menu.aboutToShow.connect(lambda: _check_tool(window))
    measure_menu = tools_menu.addMenu(QCoreApplication.translate("WindowActions", "&Measure"))
    for action in window.tool_actions.values():
        measure_menu.addAction(action)
    tools_menu.addAction(window.undo_action)
    tools_menu.addAction(window.delete_action)
    tools_menu.addSeparator()
    for action in (
        window.invert_action,
        window.rotate_right_action,
        window.rotate_left_action,
        window.flip_h_action,
        window.flip_v_action,
        window.reset_action,
    ):
        tools_menu.addAction(action)
    tools_menu.addSeparator()
    tools_menu.addAction(window.tags_action)

    analysis_menu = bar.addMenu(QCoreApplication.translate("WindowActions", "&Analysis"))
    analysis_menu.addAction(window.analyze_action)
    analysis_menu.addAction(window.cancel_analysis_action)
    analysis_menu.addSeparator()
    analysis_menu.addAction(window.heatmap_action)
    analysis_menu.addAction(window.ai_panel_action)
    view_menu.addAction(window.ai_panel_action)

    report_menu = bar.addMenu(QCoreApplication.translate("WindowActions", "&Report"))
    for action in (
        window.draft_report_action,
        window.write_impression_action,
        window.rewrite_action,
        window.stop_drafting_action,
    ):
        report_menu.addAction(action)
    report_menu.addSeparator()
    report_menu.addAction(window.mark_all_reviewed_action)
    report_menu.addAction(window.sign_report_action)
    report_menu.addAction(window.addendum_action)
    export_menu = report_menu.addMenu(QCoreApplication.translate("WindowActions", "&Export Report"))
    for action in window.export_report_actions.values():
        export_menu.addAction(action)
    report_menu.addAction(window.send_to_pacs_action)
    report_menu.addSeparator()
    report_menu.addAction(window.report_panel_action)
    view_menu.addAction(window.report_panel_action)

    settings_menu = bar.addMenu(QCoreApplication.translate("WindowActions", "&Settings"))
    settings_menu.addAction(window.models_action)
    settings_menu.addAction(window.reporting_action)
    settings_menu.addAction(window.data_protection_action)
    settings_menu.addSeparator()
    settings_menu.addAction(window.nodes_action)
    settings_menu.addAction(window.archive_settings_action)
    settings_menu.addSeparator()
    settings_menu.addMenu(LanguageMenu(window.settings, window))  # desktop.language_menu

    help_menu = bar.addMenu(QCoreApplication.translate("WindowActions", "&Help"))
    help_menu.addAction(window.shortcuts_action)
    help_menu.addAction(window.about_action)
    window.menus = {
        "File": file_menu,
        "View": view_menu,
        "Tools": tools_menu,
        "Analysis": analysis_menu,
        "Report": report_menu,
        "Settings": settings_menu,
        "Help": help_menu,
    }
    rebuild_recent_menu(window)


def _rebuild_presets_menu(window: MainWindow) -> None:
    window.presets_menu.clear()
    for name, center, width in window.grid.active_viewport.presets():
        action = window.presets_menu.addAction(_preset_label(name, center, width))
        action.triggered.connect(lambda _=False, n=name: window.apply_preset(n))
    user = window.settings.window_presets
    if user:
        window.presets_menu.addSeparator()
        for name, center, width in user:
            action = window.presets_menu.addAction(_preset_label(name, center, width))
            action.triggered.connect(lambda _=False, n=name: window.apply_preset(n))
    if window.presets_menu.isEmpty():
        no_image = QCoreApplication.translate("WindowActions", "(no image)")
        window.presets_menu.addAction(no_image).setEnabled(False)


def _preset_label(name: str, center: float, width: float) -> str:
    """A preset's menu entry: its name, centre (level) and width as the locale writes numbers."""
    locale = QLocale()
    locale.setNumberOptions(QLocale.NumberOption.OmitGroupSeparator)
    return QCoreApplication.translate("WindowActions", "{name}  (C {center} / W {width})").format(
        name=name,
        center=locale.toString(float(center), "g"),
        width=locale.toString(float(width), "g"),
    )


def _check_cine(window: MainWindow) -> None:
    window.cine_action.setChecked(window.grid.active_viewport.is_playing)


def _check_tool(window: MainWindow) -> None:
    viewport = window.grid.active_viewport
    if viewport.tool in window.tool_actions:
        window.tool_actions[viewport.tool].setChecked(True)


def _play_cine(window: MainWindow, checked: bool) -> None:
    viewport = window.grid.active_viewport
    if checked:
        viewport.play_cine()
    else:
        viewport.stop_cine()


def show_about(parent: QWidget) -> None:
    """Help → About RadAssist."""
    try:
        release = version("radassist")
    except PackageNotFoundError:
        release = QCoreApplication.translate("WindowActions", "development")
    QMessageBox.about(
        parent,
        QCoreApplication.translate("WindowActions", "About RadAssist"),
        QCoreApplication.translate(
            "WindowActions",
            "<b>RadAssist</b> {release}<br>An offline radiology reading workstation.<br>"
            "Not for primary diagnosis unless your site has validated it.",
        ).format(release=release),
    )


def list_shortcuts(menus: dict[str, QMenu]) -> list[tuple[str, str, str]]:
    """(group, keys, description) for every menu action with keys, then the viewer's."""
    entries: list[tuple[str, str, str]] = []
    seen: set[tuple[str, str]] = set()

    def walk(menu: QMenu, group: str) -> None:
        for action in menu.actions():
            submenu = action.menu()
            if isinstance(submenu, QMenu):
                walk(submenu, group)
                continue
            keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            if not keys or action.isSeparator():
                continue
            description = plain_label(action.text())
            if (keys, description) in seen:
                continue
            seen.add((keys, description))
            entries.append((group, keys, description))

    for menu in menus.values():
        walk(menu, plain_label(menu.title()))
    viewer = QCoreApplication.translate("WindowActions", "Viewer")
    for keys, description in viewport_shortcuts():
        if (keys, description) not in seen:
            entries.append((viewer, keys, description))
            seen.add((keys, description))
    return entries + reading_shortcuts()


def plain_label(text: str) -> str:
    """A menu text as a list shows it: no mnemonic ("&File", "文件(&F)") and no ellipsis."""
    return re.sub(r"\(&\w\)", "", text).replace("&", "").replace("…", "").strip()


def _viewport_key_tokens() -> set[str]:
    """Every key named in :data:`VIEWPORT_SHORTCUTS`, lower case ("r", "shift+r", ...)."""
    tokens: set[str] = set()
    for keys, _ in VIEWPORT_SHORTCUTS:
        for part in re.split(r" / |, | or |…", keys):
            tokens.add(part.strip().lower())
    return tokens
