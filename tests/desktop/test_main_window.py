"""The main window: opening studies, progress and cancel, notifications, layouts, export.

The tests call the window's methods where a person would use a file dialog, and check
what a person would see: pixels in the viewport, banner text, menu entries, files.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
import warnings
import zipfile
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage
from PySide6.QtWidgets import QApplication, QFileDialog

from core.errors import CancelledError
from core.jobs import CancelToken, Progress
from core.paths import export_dir
from desktop.main_window import SERIES_MIME, MainWindow
from desktop.settings import Settings
from desktop.viewer.viewport import VIEWPORT_SHORTCUTS, Viewport

TIMEOUT_MS = 20_000


@pytest.fixture
def window(qtbot: Any) -> Iterator[MainWindow]:
    win = MainWindow(Settings())
    qtbot.addWidget(win)
    win.resize(1000, 700)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.cancel_import()


def _open_and_load(qtbot: Any, window: MainWindow, path: Path) -> Any:
    """Open ``path`` and wait until its first series has loaded; returns the Volume."""
    with qtbot.waitSignal(window.series_loaded, timeout=TIMEOUT_MS) as blocker:
        window.open_path(path)
    qtbot.waitUntil(lambda: not window.is_busy, timeout=TIMEOUT_MS)
    return blocker.args[0]


def _pixels(image: QImage) -> np.ndarray:
    """An (h, w) array of grey levels from a 32-bit QImage."""
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    data = np.frombuffer(image.constBits(), dtype=np.uint8).reshape(
        image.height(), image.bytesPerLine() // 4, 4
    )
    return data[:, : image.width(), :3].mean(axis=2)


def _centre_pixels(viewport: Viewport) -> np.ndarray:
    grey = _pixels(viewport.grab_view())
    h, w = grey.shape
    return grey[h // 3 : 2 * h // 3, w // 3 : 2 * w // 3]


def _drag_enter(pos: QPointF, mime: QMimeData) -> QDragEnterEvent:
    # Qt 6 marks the QPoint constructor deprecated but offers no other one to PySide.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return QDragEnterEvent(
            pos.toPoint(),
            Qt.DropAction.CopyAction,
            mime,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        )


@pytest.fixture
def slow_reads(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Every frame after the first takes 40 ms to read, until the event is set."""
    import core.dicom.volume as volume_module

    original = volume_module._read_native_frame
    fast = threading.Event()

    def slow(ref: Any, out: Any) -> None:
        if not fast.is_set():
            time.sleep(0.04)
        original(ref, out)

    calls = {"n": 0}

    def first_fast(ref: Any, out: Any) -> None:
        calls["n"] += 1
        (original if calls["n"] == 1 else slow)(ref, out)

    monkeypatch.setattr(volume_module, "_read_native_frame", first_fast)
    return fast


# -- opening a study --------------------------------------------------------------------


def test_open_folder_fills_the_browser_and_shows_the_largest_series(
    qtbot: Any, window: MainWindow, synthetic_dir: Path
) -> None:
    ct = synthetic_dir / "ct"
    with qtbot.waitSignal(window.study_opened, timeout=TIMEOUT_MS) as opened:
        volume = _open_and_load(qtbot, window, ct)
    index = opened.args[0]
    assert window.index is index and window.browser.index is index
    assert len(index.all_series()) == 1
    assert window.browser.series_item(index.all_series()[0].key) is not None
    viewport = window.grid.active_viewport
    assert viewport.volume is volume and viewport.frame_count == 24
    centre = _centre_pixels(viewport)
    assert centre.max() > 100 and centre.std() > 10  # a body on screen, not a blank
    assert window.windowTitle() == "RadAssist — ct"
    assert "Loaded CT series 1" in window.status_label.text()
    assert not window.progress_bar.isVisible() and not window.cancel_button.isVisible()
    assert window.notifications.notifications == []


def test_the_largest_image_series_of_a_mixed_study_is_shown(
    qtbot: Any, window: MainWindow, synthetic_dir: Path, tmp_path: Path
) -> None:
    mixed = tmp_path / "mixed"
    shutil.copytree(synthetic_dir / "cxr", mixed / "cxr")
    shutil.copytree(synthetic_dir / "ct", mixed / "ct")
    volume = _open_and_load(qtbot, window, mixed)
    assert volume.series.modality == "CT" and volume.array.shape[0] == 24
    assert len(window.index.all_series()) == 2


def test_open_a_zip_and_a_single_file(
    qtbot: Any, window: MainWindow, synthetic_dir: Path, tmp_path: Path
) -> None:
    archive = tmp_path / "study.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted((synthetic_dir / "ct").iterdir())[:6]:
            zf.write(path, f"ct/{path.name}")
    volume = _open_and_load(qtbot, window, archive)
    assert volume.array.shape[0] == 6 and volume.loaded.all()
    cxr = _open_and_load(qtbot, window, synthetic_dir / "cxr" / "0001.dcm")
    assert cxr.series.modality == "DX" and cxr.array.shape == (1, 256, 256)
    assert window.grid.active_viewport.volume is cxr


def test_dropping_a_folder_on_the_window_opens_it(
    qtbot: Any, window: MainWindow, synthetic_dir: Path
) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(synthetic_dir / "ct"))])
    enter = _drag_enter(QPointF(10, 10), mime)
    window.dragEnterEvent(enter)
    assert enter.isAccepted()
    drop = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    with qtbot.waitSignal(window.series_loaded, timeout=TIMEOUT_MS):
        window.dropEvent(drop)
    assert drop.isAccepted()
    assert window.study_path == str(synthetic_dir / "ct")

    text_only = QMimeData()
    text_only.setText("not a file")
    refused = _drag_enter(QPointF(10, 10), text_only)
    window.dragEnterEvent(refused)
    assert not refused.isAccepted()


def test_a_missing_path_says_so_in_a_banner(window: MainWindow, tmp_path: Path) -> None:
    assert window.open_path(tmp_path / "nowhere") is None
    [banner] = window.notifications.notifications
    assert banner.level == "error"
    assert "no such file or folder" in banner.text
    assert window.notifications.isVisible()


# -- progress, cancel, first image --------------------------------------------------------


def test_first_image_is_on_screen_before_the_series_has_loaded(
    qtbot: Any, window: MainWindow, synthetic_dir: Path, slow_reads: threading.Event
) -> None:
    seen: dict[str, Any] = {}

    def on_first(viewport: Viewport) -> None:
        volume = viewport.volume
        seen["loaded_at_first"] = int(volume.loaded.sum())
        seen["centre_max"] = float(_centre_pixels(viewport).max())
        seen["progress_visible"] = window.progress_bar.isVisible()

    window.first_image_shown.connect(on_first)
    with qtbot.waitSignal(window.series_loaded, timeout=TIMEOUT_MS) as loaded:
        window.open_path(synthetic_dir / "ct")
        qtbot.waitSignal(window.first_image_shown, timeout=TIMEOUT_MS).wait()
        # Shown while loading: some frames are still missing.
        assert seen["loaded_at_first"] < 24
        assert seen["centre_max"] > 100
        assert seen["progress_visible"] and window.cancel_button.isVisible()
        qtbot.waitUntil(lambda: window.progress_bar.value() > 0, timeout=TIMEOUT_MS)
        slow_reads.set()
    assert loaded.args[0].loaded.all()
    qtbot.waitUntil(lambda: not window.progress_bar.isVisible(), timeout=TIMEOUT_MS)


def test_progress_is_shown_at_most_every_interval_and_the_end_at_once(
    qtbot: Any, window: MainWindow
) -> None:
    # QProgressBar.setValue repaints the window at once (the viewport filling in with it):
    # a load's twenty progress events painted the viewport twenty times as it opened.
    bar = window.progress_bar
    painted: list[int] = []
    original = bar.paintEvent

    def paint(event: Any) -> None:
        painted.append(bar.value())
        original(event)

    bar.paintEvent = paint  # type: ignore[method-assign]
    bar.show()
    for done in range(1, 51):
        window._set_progress(done, 100, "reading images")
    assert bar.value() == 1 and bar.maximum() == 100  # the first at once
    assert len(set(painted)) <= 1  # the next 49 wait for the interval
    qtbot.waitUntil(lambda: bar.value() == 50, timeout=2000)  # the newest, a moment later
    window._set_progress(100, 100, "loaded")
    assert bar.value() == 100  # the end at once


def test_cancel_stops_the_load_and_keeps_the_first_image(
    qtbot: Any, window: MainWindow, synthetic_dir: Path, slow_reads: threading.Event
) -> None:
    with qtbot.waitSignal(window.first_image_shown, timeout=TIMEOUT_MS):
        window.open_path(synthetic_dir / "ct")
    assert window.cancel_button.isVisible()
    viewport = window.grid.active_viewport
    with qtbot.waitSignal(window.busy_changed, timeout=TIMEOUT_MS) as busy:
        qtbot.mouseClick(window.cancel_button, Qt.MouseButton.LeftButton)
    assert busy.args == [False]
    assert not window.progress_bar.isVisible() and not window.cancel_button.isVisible()
    assert window.status_label.text() == "Loading was cancelled"
    assert viewport.volume is not None and not viewport.volume.loaded.all()
    assert _centre_pixels(viewport).max() > 100  # the first image stays on screen
    assert window.notifications.notifications == []  # cancelling is not an error


def test_cancel_during_the_scan(
    qtbot: Any, window: MainWindow, synthetic_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import core.dicom.index as index_module

    started = threading.Event()

    def slow_scan(path: str, token: CancelToken) -> Generator[Progress, None, Any]:
        for i in range(1000):
            token.raise_if_cancelled()
            started.set()
            yield Progress(i, 1000, "reading headers")
            time.sleep(0.01)
        raise AssertionError("the scan should have been cancelled")

    monkeypatch.setattr(index_module, "scan_path", slow_scan)
    handle = window.open_path(synthetic_dir / "ct")
    assert handle is not None
    assert started.wait(5)
    qtbot.waitUntil(lambda: window.progress_bar.maximum() == 1000, timeout=5000)
    assert window.progress_bar.isVisible()
    assert "reading headers" in window.progress_bar.format()
    with qtbot.waitSignal(handle.failed, timeout=5000) as failed:
        window.cancel_button.click()
    assert isinstance(failed.args[0], CancelledError)
    qtbot.waitUntil(lambda: not window.is_busy, timeout=5000)
    assert window.index is None and window.browser.index is None
    assert window.status_label.text() == "Reading the study was cancelled"


def test_opening_another_study_supersedes_the_one_being_read(
    qtbot: Any, window: MainWindow, synthetic_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import core.dicom.index as index_module

    original = index_module.scan_path

    def scan_path(path: str, token: CancelToken) -> Generator[Progress, None, Any]:
        if path.endswith("broken"):
            while True:  # never finishes by itself
                token.raise_if_cancelled()
                yield Progress(0, 10, "reading headers")
                time.sleep(0.01)
        return (yield from original(path, token))

    monkeypatch.setattr(index_module, "scan_path", scan_path)
    first = window.open_path(synthetic_dir / "broken")
    assert first is not None
    with qtbot.waitSignal(window.series_loaded, timeout=TIMEOUT_MS):
        window.open_path(synthetic_dir / "ct")
    assert first.cancelled
    qtbot.waitUntil(lambda: not first.is_running, timeout=5000)
    assert window.index is not None and window.index.root == str(synthetic_dir / "ct")
    qtbot.waitUntil(lambda: not window.is_busy, timeout=TIMEOUT_MS)
    assert window.status_label.text().startswith("Loaded CT")
    assert window.notifications.notifications == []


# -- notifications -----------------------------------------------------------------------


def test_broken_files_give_a_banner_and_the_good_images_still_load(
    qtbot: Any, window: MainWindow, synthetic_dir: Path
) -> None:
    volume = _open_and_load(qtbot, window, synthetic_dir / "broken")
    index = window.index
    assert index is not None and len(index.unreadable) >= 3
    assert volume.loaded.any()
    banners = window.notifications.notifications
    banner = next(b for b in banners if "could not be read" in b.text)
    assert banner.level == "warning"
    assert banner.text.startswith(f"{len(index.unreadable)} files could not be read: ")
    lines = banner.detail_lines
    assert len(lines) == len(index.unreadable)
    for bad in index.unreadable:
        assert f"{bad.ref.display_name}: {bad.reason}" in lines
    assert not banner.expanded
    banner.set_expanded(True)
    assert banner.expanded and banner.details_button.text() == "Hide details"
    # Non-modal: the window still works while the banner shows.
    assert QApplication.activeModalWidget() is None
    window.grid.active_viewport.set_frame(0)
    banner.close_button.click()
    qtbot.waitUntil(lambda: banner not in window.notifications.notifications, timeout=2000)


def test_a_series_that_fails_to_load_gives_an_error_banner(
    qtbot: Any, window: MainWindow, synthetic_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import desktop.main_window as main_window_module
    from core.errors import UsageError

    def broken(series: Any, token: Any = None) -> Generator[Any, None, Any]:
        raise UsageError(f"series {series.key} mixes image sizes [(64, 64), (128, 128)]")
        yield

    monkeypatch.setattr(main_window_module, "load_series", broken)
    with qtbot.waitSignal(window.study_opened, timeout=TIMEOUT_MS):
        window.open_path(synthetic_dir / "ct")
    qtbot.waitUntil(lambda: bool(window.notifications.notifications), timeout=TIMEOUT_MS)
    [banner] = window.notifications.notifications
    assert banner.level == "error"
    assert "could not be loaded" in banner.text and "mixes image sizes" in banner.text
    qtbot.waitUntil(lambda: not window.is_busy, timeout=TIMEOUT_MS)


def test_unreadable_frames_of_a_series_are_reported(
    qtbot: Any, window: MainWindow, synthetic_dir: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "ct"
    shutil.copytree(synthetic_dir / "ct", folder)
    with qtbot.waitSignal(window.study_opened, timeout=TIMEOUT_MS):
        window.open_path(folder)
    victim = sorted(folder.iterdir())[5]
    victim.write_bytes(victim.read_bytes()[:-5000])  # truncated after the scan
    qtbot.waitUntil(lambda: not window.is_busy, timeout=TIMEOUT_MS)
    volume = window.grid.active_viewport.volume
    if volume.loaded.all():  # the load won the race: load it again
        window._volumes.clear()
        with qtbot.waitSignal(window.series_loaded, timeout=TIMEOUT_MS) as loaded:
            window.load_series(volume.series)
        volume = loaded.args[0]
    assert volume.loaded.sum() == 23
    banner = next(b for b in window.notifications.notifications if "image" in b.text)
    assert banner.text.startswith("1 image could not be read")
    assert str(victim) in banner.detail_lines[0]


# -- recent studies, layouts, drag and drop of series ---------------------------------------


def test_recent_studies_menu(
    qtbot: Any, window: MainWindow, synthetic_dir: Path, tmp_path: Path
) -> None:
    _open_and_load(qtbot, window, synthetic_dir / "cxr")
    _open_and_load(qtbot, window, synthetic_dir / "ct")
    recent = window.settings.recent_studies
    assert recent[:2] == [str(synthetic_dir / "ct"), str(synthetic_dir / "cxr")]
    window._rebuild_recent_menu()
    texts = [a.text() for a in window.recent_menu.actions() if not a.isSeparator()]
    assert texts[0] == f"&1 {synthetic_dir / 'ct'}"
    assert texts[1] == f"&2 {synthetic_dir / 'cxr'}"
    assert texts[-1] == "&Clear Recent Studies"

    with qtbot.waitSignal(window.series_loaded, timeout=TIMEOUT_MS) as loaded:
        window.recent_menu.actions()[1].trigger()
    assert loaded.args[0].series.modality == "DX"

    gone = tmp_path / "gone"
    gone.mkdir()
    window.settings.add_recent_study(gone)
    gone.rmdir()
    assert window.open_recent(str(gone.resolve())) is None
    assert str(gone.resolve()) not in window.settings.recent_studies
    assert "no longer there" in window.notifications.notifications[-1].text

    window.clear_recent_action.trigger()
    assert window.settings.recent_studies == []


def test_layouts(qtbot: Any, window: MainWindow) -> None:
    assert len(window.grid.viewports) == 1
    window.layout_actions[(2, 2)].trigger()
    assert len(window.grid.viewports) == 4
    assert all(v.isVisible() for v in window.grid.viewports)
    assert window.layout_actions[(2, 2)].isChecked()
    assert window.settings.layout == (2, 2)
    window.set_layout(1, 2)
    assert window.grid.layout_shape == (1, 2) and window.current_layout == (1, 2)
    left, right = window.grid.viewports

    def side_by_side() -> bool:
        a, b = left.geometry(), right.geometry()
        return a.top() == b.top() and a.right() < b.left() and abs(a.width() - b.width()) <= 2

    qtbot.waitUntil(side_by_side, timeout=2000)
    window.set_layout(2, 1)
    top, bottom = window.grid.viewports

    def stacked() -> bool:
        a, b = top.geometry(), bottom.geometry()
        return a.left() == b.left() and a.bottom() < b.top() and abs(a.height() - b.height()) <= 2

    qtbot.waitUntil(stacked, timeout=2000)
    with pytest.raises(ValueError, match="layout must be one of"):
        window.set_layout(3, 1)


def test_overlays_tools_and_sync_apply_to_every_viewport(qtbot: Any, window: MainWindow) -> None:
    window.set_layout(2, 2)
    window.overlays_action.trigger()  # on by default: now off
    assert not any(v.overlays_visible for v in window.grid.viewports)
    window.tool_actions["distance"].trigger()
    assert {v.tool for v in window.grid.viewports} == {"distance"}
    window.sync_action.trigger()
    assert window.grid.sync_enabled is False
    window.set_layout(1, 1)
    window.set_layout(2, 2)
    assert not any(v.overlays_visible for v in window.grid.viewports)
    assert window.settings.overlays_visible is False and window.settings.sync_scrolling is False


def test_dragging_a_series_from_the_browser_into_a_viewport(
    qtbot: Any, window: MainWindow, synthetic_dir: Path, tmp_path: Path
) -> None:
    mixed = tmp_path / "mixed"
    shutil.copytree(synthetic_dir / "cxr", mixed / "cxr")
    shutil.copytree(synthetic_dir / "ct", mixed / "ct")
    window.set_layout(1, 2)
    _open_and_load(qtbot, window, mixed)
    left, right = window.grid.viewports
    assert left.volume is not None and left.volume.series.modality == "CT"
    assert right.volume is None
    cxr = next(s for s in window.index.all_series() if s.modality == "DX")

    item = window.browser.series_item(cxr.key)
    model = window.browser.tree.model()
    mime = model.mimeData([window.browser.tree.indexFromItem(item)])  # what a drag carries
    assert mime.hasFormat(SERIES_MIME)
    centre = QPointF(right.width() / 2, right.height() / 2)
    enter = _drag_enter(centre, mime)
    QApplication.sendEvent(right, enter)
    assert enter.isAccepted()
    drop = QDropEvent(
        centre,
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    with qtbot.waitSignal(window.first_image_shown, timeout=TIMEOUT_MS) as shown:
        QApplication.sendEvent(right, drop)
    assert shown.args[0] is right
    qtbot.waitUntil(lambda: not window.is_busy, timeout=TIMEOUT_MS)
    assert right.volume.series.key == cxr.key
    assert left.volume.series.modality == "CT"  # the other viewport is untouched
    assert window.grid.active_viewport is right
    assert _centre_pixels(right).max() > 100

    # The same series dropped again is not read again: the loaded volume is shared.
    with qtbot.waitSignal(window.first_image_shown, timeout=TIMEOUT_MS):
        assert window.load_series(cxr, left) is None
    assert left.volume is right.volume


def test_activating_a_series_in_the_browser_loads_it_in_the_active_viewport(
    qtbot: Any, window: MainWindow, synthetic_dir: Path, tmp_path: Path
) -> None:
    mixed = tmp_path / "mixed"
    shutil.copytree(synthetic_dir / "cxr", mixed / "cxr")
    shutil.copytree(synthetic_dir / "ct", mixed / "ct")
    _open_and_load(qtbot, window, mixed)
    cxr = next(s for s in window.index.all_series() if s.modality == "DX")
    item = window.browser.series_item(cxr.key)
    with qtbot.waitSignal(window.series_loaded, timeout=TIMEOUT_MS):
        window.browser.tree.itemActivated.emit(item, 0)
    assert window.grid.active_viewport.volume.series.key == cxr.key


# -- export, dialogs, settings -------------------------------------------------------------


def test_export_png_lands_in_the_export_folder_with_the_view_pixels(
    qtbot: Any, window: MainWindow, synthetic_dir: Path
) -> None:
    assert window.export_view() is None  # nothing shown yet
    assert "no image to export" in window.notifications.notifications[-1].text
    _open_and_load(qtbot, window, synthetic_dir / "ct")
    viewport = window.grid.active_viewport
    viewport.set_frame(12)
    path = window.export_view()
    assert path is not None and path.parent == export_dir()
    assert path.suffix == ".png" and path.stat().st_size > 1000
    saved = QImage(str(path))
    shown = viewport.grab_view()
    assert (saved.width(), saved.height()) == (shown.width(), shown.height())
    assert np.array_equal(_pixels(saved), _pixels(shown))
    assert list((synthetic_dir / "ct").glob("*.png")) == []
    assert str(path) in window.status_label.text()

    # A path inside the study folder is refused (core.paths.export_folder_for, the rule
    # every export follows), never written there nor moved behind the user's back.
    assert window.export_view(synthetic_dir / "ct" / "mine.png") is None
    assert not (synthetic_dir / "ct" / "mine.png").exists()
    said = window.notifications.notifications[-1].text
    assert "refusing to export into" in said and "source folders are read-only" in said


def test_shortcuts_dialog_lists_menu_actions_and_viewer_keys(
    qtbot: Any, window: MainWindow
) -> None:
    entries = window.shortcut_entries()
    assert ("File", "Ctrl+O", "Open Folder") in entries
    assert ("File", "Ctrl+E", "Export View as PNG") in entries
    assert ("View", "Ctrl+4", "2 × 2") in entries
    assert ("Help", "F1", "Keyboard Shortcuts") in entries
    for keys, description in VIEWPORT_SHORTCUTS:
        assert ("Viewer", keys, description) in entries
    # Every action with a key in the menus is listed.
    listed = {(keys, text) for _, keys, text in entries}
    for menu in window.menus.values():
        for action in menu.actions():
            keys = action.shortcut().toString()
            if keys and action.menu() is None:
                assert (keys, action.text().replace("&", "").replace("…", "")) in listed

    window.shortcuts_action.trigger()
    qtbot.waitUntil(lambda: bool(window._dialogs), timeout=2000)
    dialog = window._dialogs[-1]
    assert dialog.isVisible() and not dialog.isModal()
    table = dialog.table
    rows = {tuple(table.item(r, c).text() for c in range(3)) for r in range(table.rowCount())}
    assert ("File", "Ctrl+O", "Open Folder") in rows
    dialog.apply_filter("export")
    assert [e[2] for e in dialog.visible_entries()] == [
        "Export View as PNG",
        "Export Annotations as GSPS",
    ]
    dialog.close()


def test_tag_browser_opens_for_the_shown_image(
    qtbot: Any, window: MainWindow, synthetic_dir: Path
) -> None:
    assert window.show_tag_browser() is None
    _open_and_load(qtbot, window, synthetic_dir / "ct")
    window.grid.active_viewport.set_frame(3)
    ref = window.current_file_ref()
    volume = window.grid.active_viewport.volume
    assert ref == volume.geometry.frames[3].instance.ref
    dialog = window.show_tag_browser()
    assert dialog is not None and dialog.isVisible()
    dialog.close()


def test_settings_are_restored_in_a_second_window(
    qtbot: Any, window: MainWindow, synthetic_dir: Path
) -> None:
    window.set_layout(2, 1)
    window.set_overlays_visible(False)
    window.set_sync_scrolling(False)
    window.resize(720, 520)  # fits the offscreen 800x600 screen
    window.browser_dock.hide()
    window.settings.last_folder = str(synthetic_dir)
    window.close()

    second = MainWindow(Settings())
    qtbot.addWidget(second)
    second.show()
    qtbot.waitExposed(second)
    assert second.current_layout == (2, 1) and second.grid.layout_shape == (2, 1)
    assert not second.overlays_action.isChecked()
    assert not any(v.overlays_visible for v in second.grid.viewports)
    assert not second.sync_action.isChecked() and not second.grid.sync_enabled
    assert (second.width(), second.height()) == (720, 520)
    assert not second.browser_dock.isVisible()
    assert second.settings.last_folder == str(synthetic_dir)


def test_the_app_opens_the_demo_study_when_no_path_is_given(qtbot: Any) -> None:
    from core.paths import demo_study_dir
    from desktop import app

    window = app.start_window(None, warm_up=False)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.series_loaded, timeout=60_000) as loaded:
        pass
    assert window.study_path == str(demo_study_dir())
    assert loaded.args[0].series.modality == "CT" and loaded.args[0].array.shape[0] == 64
    assert {s.modality for s in window.index.all_series()} == {"CT", "DX"}
    qtbot.waitUntil(lambda: not window.is_busy, timeout=TIMEOUT_MS)


def test_open_a_dicomdir_and_the_file_menu_actions(
    qtbot: Any, window: MainWindow, synthetic_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pydicom.data import get_testdata_file

    dicomdir = get_testdata_file("DICOMDIR", download=False)
    asked: list[str] = []

    def get_open_file_name(parent: Any, title: str, folder: str, filters: str) -> Any:
        asked.append(filters)
        return dicomdir, filters

    monkeypatch.setattr(QFileDialog, "getOpenFileName", get_open_file_name)
    with qtbot.waitSignal(window.series_loaded, timeout=TIMEOUT_MS) as loaded:
        window.open_file_action.trigger()
    assert "DICOMDIR" in asked[0] and "*.zip" in asked[0]
    assert len(window.index.all_series()) > 10  # only the files the DICOMDIR references
    assert loaded.args[0].array.shape[0] == max(s.frame_count for s in window.index.all_series())
    assert window.settings.last_folder == str(Path(dicomdir).parent)
    qtbot.waitUntil(lambda: not window.is_busy, timeout=TIMEOUT_MS)

    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a: str(synthetic_dir / "ct"))
    with qtbot.waitSignal(window.series_loaded, timeout=TIMEOUT_MS):
        window.open_folder_action.trigger()
    assert window.settings.last_folder == str(synthetic_dir / "ct")
    qtbot.waitUntil(lambda: not window.is_busy, timeout=TIMEOUT_MS)


_ENTRY = """
import sys
from PySide6.QtCore import QTimer
from desktop import app as desktop_app

original = desktop_app.start_window

def spy(*args, **kwargs):
    window = original(*args, **kwargs)

    def loaded(volume):
        print("loaded", window.study_path, volume.array.shape[0], flush=True)
        import gc
        print("startup frozen", gc.get_freeze_count() > 0, flush=True)
        print("switch interval", sys.getswitchinterval(), flush=True)
        QTimer.singleShot(0, window.close)  # closing the window ends the app

    window.series_loaded.connect(loaded)
    return window

desktop_app.start_window = spy
from desktop.__main__ import main
code = main(sys.argv[1:])
print("torch", "torch" in sys.modules, flush=True)
sys.exit(code)
"""


def test_radassist_with_a_path_opens_the_window(synthetic_dir: Path, tmp_path: Path) -> None:
    """`radassist PATH` in a fresh process (app.exec must not run inside pytest's app)."""
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "RADASSIST_DATA_DIR": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }

    def radassist(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", _ENTRY, *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    opened = radassist(str(synthetic_dir / "ct"))
    assert opened.returncode == 0, opened.stderr[-2000:]
    assert f"loaded {synthetic_dir / 'ct'} 24" in opened.stdout
    assert "torch False" in opened.stdout
    # Full collections skip the start-up objects; a job thread running Python gives the
    # GIL back to the GUI thread within 1 ms (desktop.app).
    assert "startup frozen True" in opened.stdout and "switch interval 0.001" in opened.stdout
    assert (tmp_path / "config" / "RadAssist" / "RadAssist.ini").exists()  # saved on close

    two = radassist("one", "two")
    assert two.returncode == 2 and "one path at most" in two.stderr
    missing = radassist(str(synthetic_dir / "nowhere"))
    assert missing.returncode == 2 and "no such file or folder" in missing.stderr


def test_every_headless_command_is_routed_away_from_the_window(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`radassist models` (and every command) reaches the CLI, never opens a window on a path
    named like the command."""
    from desktop.__main__ import main

    for command in ("models", "archive", "pacs", "anonymize"):
        with pytest.raises(SystemExit) as stopped:
            main([command])
        assert stopped.value.code == 2
        assert "usage error" in capsys.readouterr().err


_WARM_UP = """
import sys
from core.jobs import CancelToken, run_job
from core.dicom import workers
import desktop.app as app
print("before", [m for m in app.FIRST_OPEN_MODULES if m in sys.modules], flush=True)
try:
    run_job(app.warm_up_job(CancelToken()))
finally:
    workers.shutdown(30)
print("after", [m for m in app.FIRST_OPEN_MODULES if m not in sys.modules], flush=True)
"""


def test_the_warm_up_imports_what_the_first_open_needs_not_the_start_up(tmp_path: Path) -> None:
    """The presentation states' module took ~50 ms to import in the first open's GUI turn:
    the start-up path does not import it, the warm-up job (a pool thread) does."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "RADASSIST_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", _WARM_UP], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "before []" in done.stdout and "after []" in done.stdout, done.stdout
