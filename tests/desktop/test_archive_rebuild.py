"""A missing or corrupt index is rebuilt in the window with a counted progress bar and Cancel.

A real archive in the test's data folder; its index is spoilt (garbage written over it)
or removed, then the study list is opened as a person opens it (File → Study Archive…).
The tests look at what a person sees: the bar's range and words while it rebuilds, the
rows afterwards, the warning banner, and what a cancelled rebuild leaves.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from core.archive import Archive, default_archive_dir
from core.archive.database import INDEX_NAME
from core.jobs import Progress
from desktop.main_window import MainWindow
from desktop.settings import Settings
from tests.core.archive.helpers import tiny_image

TIMEOUT_MS = 30_000


@dataclass(frozen=True)
class Seen:
    """The study list's progress bar as a person saw it at one progress event."""

    visible: bool
    minimum: int
    maximum: int
    value: int
    text: str
    cancel_visible: bool


def _fill(studies: int, per_study: int = 2) -> Path:
    """``studies`` studies of ``per_study`` images in the default archive; its folder."""
    with Archive(default_archive_dir()) as archive, archive.batch():
        for number in range(studies):
            first = tiny_image(patient_name=f"REBUILD^{number:04d}", patient_id=f"R{number:05d}")
            archive.accept(first, source="test")
            for extra in range(1, per_study):
                more = tiny_image(str(first.StudyInstanceUID), str(first.SeriesInstanceUID))
                more.PatientID, more.PatientName = first.PatientID, first.PatientName
                more.InstanceNumber = extra + 1
                archive.accept(more, source="test")
        return archive.root


def _spoil(root: Path) -> None:
    for suffix in ("-wal", "-shm"):
        Path(f"{root / INDEX_NAME}{suffix}").unlink(missing_ok=True)
    (root / INDEX_NAME).write_bytes(b"this is not an SQLite database" * 100)


def _remove(root: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{root / INDEX_NAME}{suffix}").unlink(missing_ok=True)


@pytest.fixture
def window(qtbot: Any) -> Iterator[MainWindow]:
    win = MainWindow(Settings())
    qtbot.addWidget(win)
    win.resize(1200, 800)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.cancel_import()
    win.archive_part.shutdown()


def _watch(window: MainWindow) -> list[Seen]:
    """Every progress event of the keeper, as the study list's bar shows it just after."""
    panel, seen = window.archive_part.panel, []

    def look(event: object) -> None:
        if isinstance(event, Progress):
            bar = panel.progress_bar
            seen.append(
                Seen(
                    bar.isVisible(),
                    bar.minimum(),
                    bar.maximum(),
                    bar.value(),
                    bar.text(),
                    panel.cancel_button.isVisible(),
                )
            )

    window.archive_part.keeper.progress.connect(look)  # after the panel's and the part's
    return seen


def _banners(window: MainWindow) -> list[str]:
    return [n.text for n in window.notifications.notifications]


@pytest.mark.parametrize("damage", ["corrupt", "missing"])
def test_a_damaged_index_is_rebuilt_with_a_counted_progress_bar(
    qtbot: Any, window: MainWindow, damage: str
) -> None:
    root = _fill(40)  # 80 files
    _spoil(root) if damage == "corrupt" else _remove(root)
    seen = _watch(window)
    panel = window.archive_part.panel
    with qtbot.waitSignal(panel.rows_shown, timeout=TIMEOUT_MS):
        window.archive_action.trigger()
    counted = [s for s in seen if s.maximum == 80]
    assert counted, seen
    assert all(s.visible and s.cancel_visible and s.minimum == 0 for s in counted)
    assert counted[-1].value == 80
    assert counted[-1].text == "Rebuilding the archive's index: 80 of 80 files"
    # Each reading says the files done so far, as the bar's value has them (events that
    # pile up while the GUI is busy are coalesced, so which counts are seen varies).
    assert all(s.text == f"Rebuilding the archive's index: {s.value} of 80 files" for s in counted)
    assert panel.model.rowCount() == 40
    qtbot.waitUntil(lambda: not panel.progress_bar.isVisible(), timeout=TIMEOUT_MS)
    said = "index could not be read; it was rebuilt" if damage == "corrupt" else "was missing"
    assert any(said in text for text in _banners(window)), _banners(window)
    assert (len(list(root.glob(f"{INDEX_NAME}.corrupt-*"))) == 1) == (damage == "corrupt")
    assert not (root / "index.rebuild-pending").exists()


def test_a_rebuild_started_while_the_study_list_is_hidden_shows_it(
    qtbot: Any, window: MainWindow
) -> None:
    root = _fill(5)
    _remove(root)
    part = window.archive_part
    assert not part.dock.isVisible()
    with qtbot.waitSignal(part.keeper.opened, timeout=TIMEOUT_MS):
        part.keeper.when_open(lambda: None)  # as the receiver or Query PACS opens it
    assert part.dock.isVisible()
    qtbot.waitUntil(lambda: part.panel.model.rowCount() == 5, timeout=TIMEOUT_MS)


def test_cancel_stops_the_rebuild_and_the_next_opening_rebuilds_again(
    qtbot: Any, window: MainWindow
) -> None:
    root = _fill(200)  # 400 files: the rebuild takes long enough to be cancelled
    _spoil(root)
    part = window.archive_part
    panel, keeper = part.panel, part.keeper

    def cancel_when_rebuilding(event: object) -> None:
        if isinstance(event, Progress) and keeper.rebuilding and panel.cancel_button.isVisible():
            panel.cancel_button.click()

    keeper.progress.connect(cancel_when_rebuilding)
    with qtbot.waitSignal(keeper.work_finished, timeout=TIMEOUT_MS):
        window.archive_action.trigger()
    keeper.progress.disconnect(cancel_when_rebuilding)
    assert keeper.archive is None
    assert any("was cancelled; it is rebuilt the next time" in t for t in _banners(window))
    assert panel.model.rowCount() == 0 and not panel.progress_bar.isVisible()
    assert (root / "index.rebuild-pending").exists()  # owed: nothing half-built shown
    with Archive(root, rebuild=False) as looked:
        assert looked.rebuild_reason == "unfinished"

    seen = _watch(window)
    with qtbot.waitSignal(panel.rows_shown, timeout=TIMEOUT_MS):
        part.show_study_list()  # opened again: rebuilt again, whole
    assert any(s.maximum == 400 for s in seen)
    assert panel.model.rowCount() == 200
    assert any("had not finished being rebuilt" in t for t in _banners(window))
    assert not (root / "index.rebuild-pending").exists()
