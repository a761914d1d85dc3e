"""Opening a study a turn at a time: what the reader sees once it has opened, and nothing stale.

The turn that receives a scan's result only starts the largest series' load (house rule 3:
the GUI thread never blocks for long); the series browser, the AI panel, the
notifications, the saved measurements and ``study_opened`` follow, a turn each. These tests
check what a reader would see: every panel filled once the study has opened, and nothing
of a study closed, or replaced by another, before its panels were filled.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication

from core.dicom.index import scan_path
from core.dicom.records import StudyIndex
from core.jobs import FOREGROUND, CancelToken
from desktop.main_window import MainWindow
from desktop.settings import Settings
from desktop.window_open_steps import OpenSteps

TIMEOUT_MS = 30_000


@pytest.fixture
def window(qtbot: Any) -> Iterator[MainWindow]:
    win = MainWindow(Settings())
    qtbot.addWidget(win)
    win.resize(1200, 700)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.cancel_import()


def _scanned(path: Path) -> StudyIndex:
    """The study index of ``path``, scanned on this thread (what the scan job returns)."""
    job = scan_path(str(path), CancelToken())
    try:
        while True:
            next(job)
    except StopIteration as stop:
        index: StudyIndex = stop.value
        return index


def _study_uid(index: StudyIndex) -> str:
    [study] = [study for patient in index.patients for study in patient.studies]
    return study.study_instance_uid


def _browser_index(window: MainWindow) -> StudyIndex | None:
    return window.browser.index


def _series_keys(window: MainWindow) -> set[str]:
    index = window.browser.index
    return set() if index is None else {s.key for s in index.all_series()}


def test_an_opened_study_fills_every_panel_after_its_first_image_started_loading(
    qtbot: Any, window: MainWindow, synthetic_dir: Path
) -> None:
    index = _scanned(synthetic_dir / "ct")
    [series] = index.all_series()
    opened: list[StudyIndex] = []
    window.study_opened.connect(opened.append)
    window._on_scan_succeeded(index)  # the scan's result arrives
    # That turn started the load and said what the study holds; the panels come next.
    assert window.is_busy
    assert window.status_label.text() == "1 series, 24 images"
    assert _browser_index(window) is None and opened == []
    qtbot.waitUntil(lambda: bool(opened), timeout=TIMEOUT_MS)
    assert opened == [index]
    # By the time the study says it is open, every panel shows it.
    assert _browser_index(window) is index
    assert window.browser.series_item(series.key) is not None
    selected = window.browser.selected_series()
    assert selected is not None and selected.key == series.key
    assert window.ai_panel._index is index
    assert window.annotations._index is index
    qtbot.waitUntil(lambda: window.report_panel.study is not None, timeout=TIMEOUT_MS)
    assert window.report_panel.study.study_instance_uid == _study_uid(index)  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: not window.is_busy, timeout=TIMEOUT_MS)
    volume = window.grid.active_viewport.volume
    assert volume is not None and volume.series.key == series.key and volume.loaded.all()
    assert window.notifications.notifications == []


def test_a_study_closed_before_its_panels_fill_leaves_nothing_behind(
    qtbot: Any, window: MainWindow, synthetic_dir: Path
) -> None:
    index = _scanned(synthetic_dir / "broken")  # its unreadable files would be notified
    assert index.unreadable
    opened: list[StudyIndex] = []
    window.study_opened.connect(opened.append)
    window._on_scan_succeeded(index)
    window.close_study()  # before the next turn: the panels were not filled yet
    qtbot.wait(200)  # many turns: whatever was queued has had its chance
    assert opened == []
    assert window.index is None and window.browser.index is None
    assert window.browser.tree.topLevelItemCount() == 0
    assert window.ai_panel._index is None
    assert window.annotations._index is None
    assert window.notifications.notifications == []
    assert all(viewport.volume is None for viewport in window.grid.viewports)
    qtbot.waitUntil(lambda: not window.is_busy, timeout=TIMEOUT_MS)
    assert window.settings.recent_studies == []


def test_a_study_replaced_before_its_panels_fill_shows_only_the_new_one(
    qtbot: Any, window: MainWindow, synthetic_dir: Path
) -> None:
    first = _scanned(synthetic_dir / "cxr")
    second = _scanned(synthetic_dir / "ct")
    opened: list[StudyIndex] = []
    window.study_opened.connect(opened.append)
    window._on_scan_succeeded(first)
    window.open_index(lambda token: second, "ct")  # another study, the first's panels pending
    qtbot.waitUntil(lambda: bool(opened), timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: not window.is_busy, timeout=TIMEOUT_MS)
    qtbot.wait(50)
    assert opened == [second]
    assert window.index is second and window.browser.index is second
    assert _series_keys(window) == {s.key for s in second.all_series()}
    assert window.ai_panel._index is second
    assert window.annotations._index is second
    shown = [v.volume.series.key for v in window.grid.viewports if v.volume is not None]
    [ct] = second.all_series()  # its panes (a protocol may hang it thrice): nothing of the first
    assert shown and all(key.startswith(ct.key) for key in shown)
    qtbot.waitUntil(lambda: window.report_panel.study is not None, timeout=TIMEOUT_MS)
    assert window.report_panel.study.study_instance_uid == _study_uid(second)  # type: ignore[union-attr]


def test_open_steps_run_one_per_turn_and_a_cancelled_queue_runs_nothing(qtbot: Any) -> None:
    steps = OpenSteps()
    ran: list[str] = []
    steps.start([lambda: ran.append("a"), lambda: ran.append("b")])
    assert ran == [] and steps.pending == 2
    QApplication.processEvents()
    qtbot.waitUntil(lambda: ran == ["a", "b"], timeout=TIMEOUT_MS)
    with qtbot.waitSignal(steps.drained, timeout=TIMEOUT_MS):
        steps.start([lambda: ran.append("c")])
    steps.start([lambda: ran.append("stale")])
    steps.cancel()
    steps.add([lambda: ran.append("d")])
    steps.flush()  # what is pending runs now, in order
    qtbot.wait(50)
    assert ran == ["a", "b", "c", "d"] and steps.pending == 0


def test_a_study_closed_before_its_report_opens_leaves_the_report_panel_empty(
    qtbot: Any, window: MainWindow, synthetic_dir: Path
) -> None:
    window._on_scan_succeeded(_scanned(synthetic_dir / "ct"))  # the report's header is read
    window.close_study()
    qtbot.waitUntil(lambda: not window.is_busy, timeout=TIMEOUT_MS)
    qtbot.wait(300)
    assert window.report_panel.study is None


def test_the_gui_thread_goes_first_while_a_series_loads(
    qtbot: Any, window: MainWindow, synthetic_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Taking in the first image, painting it and each step of the open hold the foreground
    gate: the series' readers wait meanwhile (core.jobs.ForegroundGate)."""
    from desktop.viewer.viewport import Viewport

    held: dict[str, list[bool]] = {"first image": [], "paint": [], "step": []}
    window.first_image_shown.connect(lambda _v: held["first image"].append(FOREGROUND.is_held))
    paint = Viewport._paint

    def watched_paint(viewport: Viewport, event: Any) -> None:
        held["paint"].append(FOREGROUND.is_held)
        paint(viewport, event)

    monkeypatch.setattr(Viewport, "_paint", watched_paint)
    window.study_opened.connect(lambda _i: held["step"].append(FOREGROUND.is_held))
    with qtbot.waitSignal(window.series_loaded, timeout=TIMEOUT_MS):
        window.open_path(synthetic_dir / "ct")
    qtbot.waitUntil(lambda: not window.is_busy, timeout=TIMEOUT_MS)
    # The load's first image (the protocol's panes show theirs after the load, unheld).
    assert held["first image"][0] is True and held["step"] == [True]
    assert held["paint"] and all(held["paint"])
    assert not FOREGROUND.is_held  # open again once the turns are done


def test_waiting_open_steps_run_on_release_or_at_their_time_limit(qtbot: Any) -> None:
    steps = OpenSteps()
    ran: list[str] = []
    steps.start([lambda: ran.append("a"), lambda: ran.append("b")], wait_s=30)
    qtbot.wait(50)
    assert ran == [] and steps.waiting and steps.pending == 2
    steps.add([lambda: ran.append("c")])  # joins the wait
    qtbot.wait(20)
    assert ran == []
    steps.release()
    assert not steps.waiting
    qtbot.waitUntil(lambda: ran == ["a", "b", "c"], timeout=TIMEOUT_MS)
    # Without a release, at the time limit.
    steps.start([lambda: ran.append("d")], wait_s=0.05)
    qtbot.waitUntil(lambda: ran[-1:] == ["d"], timeout=TIMEOUT_MS)
    # A cancelled wait runs nothing when its time comes; a flushed one runs at once.
    steps.start([lambda: ran.append("stale")], wait_s=0.05)
    steps.cancel()
    steps.start([lambda: ran.append("e")], wait_s=30)
    steps.flush()
    assert ran[-1:] == ["e"] and not steps.waiting
    qtbot.wait(150)
    steps.release()  # nothing waits: nothing happens
    qtbot.wait(20)
    assert ran == ["a", "b", "c", "d", "e"]
    with pytest.raises(ValueError, match="wait_s"):
        steps.start([], wait_s=-1)


def test_an_opening_fills_its_panels_after_its_largest_series_loaded(
    qtbot: Any, window: MainWindow, synthetic_dir: Path
) -> None:
    """The panels' GUI turns would hold the series' readers back (the foreground gate):
    the image comes first, the whole series next, then the browser, panels and report."""
    index = _scanned(synthetic_dir / "ct")
    [series] = index.all_series()
    seen: list[str] = []
    browser_when_loaded: list[StudyIndex | None] = []
    window.first_image_shown.connect(lambda _v: seen.append("image"))
    window.series_loaded.connect(lambda _v: seen.append("loaded"))
    window.series_loaded.connect(lambda _v: browser_when_loaded.append(window.browser.index))
    report_when_loaded: list[object] = []
    window.series_loaded.connect(lambda _v: report_when_loaded.append(window.report_panel.study))
    window.study_opened.connect(lambda _i: seen.append("opened"))
    window._on_scan_succeeded(index)
    qtbot.waitUntil(lambda: "opened" in seen, timeout=TIMEOUT_MS)
    assert seen.index("image") < seen.index("loaded") < seen.index("opened")
    assert browser_when_loaded[:1] == [None] and report_when_loaded[:1] == [None]
    assert window.browser.index is index and window.browser.series_item(series.key) is not None
    qtbot.waitUntil(lambda: window.report_panel.study is not None, timeout=TIMEOUT_MS)
    assert window.report_panel.study.study_instance_uid == _study_uid(index)  # type: ignore[union-attr]


def _open_loading_with(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch, load_job: Any, wait_s: float, path: Path
) -> tuple[StudyIndex, list[StudyIndex]]:
    """Open ``path`` with the window's series loads run by ``load_job``, its panels
    waiting at most ``wait_s``; the index, and the list ``study_opened`` fills."""
    from desktop import main_window

    monkeypatch.setattr(main_window, "_load_job", load_job)
    monkeypatch.setattr(main_window, "PANELS_WAIT_FOR_LOAD_S", wait_s)
    index = _scanned(path)
    opened: list[StudyIndex] = []
    window.study_opened.connect(opened.append)
    window._on_scan_succeeded(index)
    return index, opened


def test_a_slow_load_has_its_study_panels_filled_before_it_ends(
    qtbot: Any, window: MainWindow, synthetic_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The panels wait for the load at most PANELS_WAIT_FOR_LOAD_S (a series that takes
    seconds to load, e.g. compressed, still has its browser and report at once)."""
    import threading

    from desktop import main_window

    go_on = threading.Event()
    load_job = main_window._load_job

    def slow_load_job(series: Any, token: CancelToken) -> Any:
        go_on.wait(TIMEOUT_MS / 1000)
        return (yield from load_job(series, token))

    index, opened = _open_loading_with(
        window, monkeypatch, slow_load_job, 0.1, synthetic_dir / "ct"
    )
    qtbot.waitUntil(lambda: bool(opened), timeout=TIMEOUT_MS)
    assert window.browser.index is index and window.is_busy  # still loading
    assert window.grid.active_viewport.volume is None
    with qtbot.waitSignal(window.series_loaded, timeout=TIMEOUT_MS):
        go_on.set()
    qtbot.waitUntil(lambda: not window.is_busy, timeout=TIMEOUT_MS)
    volume = window.grid.active_viewport.volume
    assert volume is not None and volume.loaded.all()


def test_a_failed_load_lets_the_study_panels_fill_at_once(
    qtbot: Any, window: MainWindow, synthetic_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing_load_job(series: Any, token: CancelToken) -> Any:
        raise OSError("the disk went away")
        yield  # a generator, as the real one

    index, opened = _open_loading_with(
        window, monkeypatch, failing_load_job, 30.0, synthetic_dir / "ct"
    )
    qtbot.waitUntil(lambda: bool(opened), timeout=5_000)  # not 30 s later
    assert window.browser.index is index
    said = [n.text for n in window.notifications.notifications]
    assert any("could not be loaded" in m and "disk went away" in m for m in said), said
