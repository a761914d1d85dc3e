"""Opening a patient CD whose DICOMDIR is out of date: the images load, the window says why."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from desktop.main_window import MainWindow
from desktop.settings import Settings
from tests.core.test_dicomdir import _image, _write_media
from tests.core.test_index import write

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


def test_stale_dicomdir_loads_every_image_and_notes_what_it_misses(
    qtbot: Any, window: MainWindow, tmp_path: Path
) -> None:
    listed = _write_media(tmp_path, count=2)
    for path in listed:
        path.unlink()  # the DICOMDIR names only files that are gone
    for number in range(1, 4):
        write(_image(number), tmp_path / "DATA" / f"{number:04d}.dcm")
    with qtbot.waitSignal(window.series_loaded, timeout=TIMEOUT_MS):
        window.open_path(tmp_path)
    qtbot.waitUntil(lambda: not window.is_busy, timeout=TIMEOUT_MS)
    texts = [banner.text for banner in window.notifications.notifications]
    assert not any("holds no DICOM images" in text for text in texts)
    assert not any("could not be read" in text for text in texts)
    note = next(b for b in window.notifications.notifications if "DICOMDIR" in b.text)
    assert note.level == "info"
    assert note.text == (
        "The DICOMDIR is out of date: 2 files it lists are missing; 3 DICOM files in the "
        "folder are not listed in it and were read all the same."
    )
    assert len(note.detail_lines) == 5
    index = window.index
    assert index is not None and index.all_series()[0].frame_count == 3
