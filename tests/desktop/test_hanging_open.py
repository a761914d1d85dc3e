"""Opening a study under a hanging protocol: what the reader sees, pane by pane, as it opens.

The demo study (core.synthetic.write_demo_study): a 64-slice axial chest CT and a DX PA
with a lateral. The chest-CT protocol lays out three panes (axial lung window, axial
mediastinal window, coronal reformat) once the CT has loaded: until then the CT shows
alone, and no pane ever shows a wrong image (the coronal pane never shows axial slices).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QObject

from core.dicom.volume import FirstImage
from desktop import main_window as main_window_module
from desktop.main_window import MainWindow
from desktop.settings import Settings
from desktop.viewer.reference_lines import plane_shown
from desktop.viewer.viewport import Viewport

TIMEOUT_MS = 30_000
PROTOCOL = Path(__file__).parents[2] / "resources/hanging_protocols/chest_ct.json"


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from core.synthetic import write_demo_study

    root = tmp_path_factory.mktemp("demo")
    write_demo_study(root)
    return root


@pytest.fixture
def window(qtbot: Any) -> Iterator[MainWindow]:
    win = MainWindow(Settings())
    qtbot.addWidget(win)
    win.resize(1400, 700)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.cancel_import()


def _plane(viewport: Viewport) -> str:
    volume = viewport.volume
    return "" if volume is None else str(volume.extra.get("mpr_plane", "acquired"))


class _PaintLog(QObject):
    """What each watched viewport showed whenever it painted: (pane, plane, whole series)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[int, str, bool]] = []
        self._panes: dict[int, int] = {}

    def watch(self, viewports: list[Viewport]) -> None:
        for pane, viewport in enumerate(viewports):
            if id(viewport) not in self._panes:
                self._panes[id(viewport)] = pane
                viewport.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and isinstance(watched, Viewport):
            volume = watched.volume
            whole = volume is not None and bool(volume.loaded.all())
            self.seen.append((self._panes[id(watched)], _plane(watched), whole))
        return False


def test_the_protocol_lays_out_its_panes_once_the_ct_has_loaded(
    qtbot: Any,
    window: MainWindow,
    demo_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    protocol = json.loads(PROTOCOL.read_text())
    # The load is held after its first image until the test lets it go on.
    go_on = threading.Event()
    request.addfinalizer(go_on.set)  # a failed assertion does not leave the loader waiting
    load_job = main_window_module._load_job

    def held_load(series: Any, token: Any) -> Generator[Any, None, Any]:
        job = load_job(series, token)
        try:
            while True:
                event = next(job)
                yield event
                if isinstance(event, FirstImage):
                    go_on.wait(TIMEOUT_MS / 1000)
        except StopIteration as stop:
            return stop.value
        finally:
            job.close()

    monkeypatch.setattr(main_window_module, "_load_job", held_load)
    log = _PaintLog()
    # Each pane is watched from the moment the protocol's layout makes it (before it paints).
    window.grid.layout_changed.connect(lambda _r, _c: log.watch(window.grid.viewports))
    window.open_path(demo_dir)
    qtbot.waitUntil(lambda: window.grid.viewports[0].volume is not None, timeout=TIMEOUT_MS)
    qtbot.wait(100)  # a few turns of the event loop with the CT's first image shown
    # The CT shows alone, in the window's own layout, while it loads: no protocol yet.
    assert window.grid.layout_shape == (1, 1) and window.hanging.current is None
    go_on.set()
    qtbot.waitUntil(lambda: window.hanging.current is not None, timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: not window.is_busy, timeout=TIMEOUT_MS)
    assert window.grid.layout_shape == tuple(protocol["layout"])
    lung, mediastinum, coronal = window.grid.viewports
    qtbot.waitUntil(lambda: any(pane == 2 for pane, _, _ in log.seen), timeout=TIMEOUT_MS)
    # Every pane shows its series, plane and window at once: the coronal pane never painted
    # the acquired slices, and no pane painted a half-loaded series.
    expected = {0: "acquired", 1: "acquired", 2: "coronal"}
    assert {pane for pane, _, _ in log.seen} == {0, 1, 2}
    assert all(plane == expected[pane] and whole for pane, plane, whole in log.seen), log.seen
    for viewport, rule in zip((lung, mediastinum, coronal), protocol["viewports"], strict=True):
        assert viewport.window == (rule["window"]["center"], rule["window"]["width"])
        assert viewport.volume is not None and viewport.volume.series.modality == "CT"
        # Each pane says what the protocol calls it, first in its top-right corner.
        assert viewport.overlay_text().top_right[0] == rule["label"]
    assert coronal.orientation_labels().top == "H"
    assert window.grid.active_viewport is lung
    assert window.hanging.label.text() == "Hanging protocol: Chest CT"
    # Closing the study gives the window its own layout back: the next opens as this one.
    window.close_study()
    assert window.grid.layout_shape == window.current_layout == (1, 1)
    assert all(viewport.pane_label == "" for viewport in window.grid.all_viewports)


def test_a_series_chosen_while_the_ct_loads_is_kept(
    qtbot: Any, window: MainWindow, demo_dir: Path
) -> None:
    """The protocol lays out the grid only if the reader left the opening view as it was."""
    chosen: list[bool] = []

    def choose_the_radiograph(viewport: Viewport) -> None:
        if chosen or window.index is None:
            return
        chosen.append(True)
        radiograph = next(s for s in window.index.all_series() if s.modality == "DX")
        window.load_series(radiograph, viewport)

    window.first_image_shown.connect(choose_the_radiograph)
    window.open_path(demo_dir)
    qtbot.waitUntil(lambda: bool(chosen), timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: not window.is_busy, timeout=TIMEOUT_MS)
    qtbot.wait(50)  # the turn in which a protocol would have been applied
    assert window.hanging.current is None
    assert window.grid.layout_shape == (1, 1)
    shown = window.grid.viewports[0].volume
    assert shown is not None and shown.series.modality == "DX"


def test_reference_lines_follow_a_pane_given_another_series(
    qtbot: Any, window: MainWindow, demo_dir: Path
) -> None:
    """Where each slice lies is kept per series and frame; another series is looked up anew."""
    with qtbot.waitSignal(window.series_loaded, timeout=TIMEOUT_MS):
        window.open_path(demo_dir)
    qtbot.waitUntil(lambda: _plane(window.grid.viewports[-1]) == "coronal", timeout=TIMEOUT_MS)
    lung, mediastinum, coronal = window.grid.viewports
    lines = window.grid.reference_lines
    assert len(lines.lines_on(lung)) == 1  # the coronal's line
    assert len(lines.lines_on(coronal)) == 2  # the two axial slices
    planes = lines.planes
    assert planes.plane_of(coronal).plane == "coronal"  # type: ignore[union-attr]
    known = len(planes)
    first = [a.y() for a, _ in lines.lines_on(coronal)]
    # Scrolling (the mediastinal pane follows: one series) looks up the new slice once:
    # its line on the coronal is where that slice is, lower down (toward the feet).
    lung.set_frame(lung.frame_count // 2)
    assert mediastinum.frame_index == lung.frame_index
    assert len(planes) == known + 1
    moved = [a.y() for a, _ in lines.lines_on(coronal)]
    assert min(moved) > max(first) + 20
    # The coronal pane now shows the axial CT: its place is the axial slice's, not the
    # coronal's it had, so no line crosses the (parallel) axial panes any more.
    ct = next(s for s in window.index.all_series() if s.modality == "CT")  # type: ignore[union-attr]
    window.load_series(ct, coronal)
    assert _plane(coronal) == "acquired"
    assert coronal.pane_label == "" and lung.pane_label == "Lung"  # "Coronal" no longer
    shown = planes.plane_of(coronal)
    assert shown is not None and shown.plane == "acquired"
    fresh = plane_shown(coronal)
    assert fresh is not None
    assert (shown.origin, shown.row_step, shown.col_step) == (
        fresh.origin,
        fresh.row_step,
        fresh.col_step,
    )
    assert lines.lines_on(lung) == [] and lines.lines_on(mediastinum) == []
    assert lines.lines_on(coronal) == []


def test_zooming_one_pane_repaints_only_the_panes_whose_lines_move(
    qtbot: Any, window: MainWindow, demo_dir: Path
) -> None:
    """A pane's reference-line layer repaints the pane under it: only when its lines moved."""
    with qtbot.waitSignal(window.series_loaded, timeout=TIMEOUT_MS):
        window.open_path(demo_dir)
    qtbot.waitUntil(lambda: _plane(window.grid.viewports[-1]) == "coronal", timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: not window.is_busy, timeout=TIMEOUT_MS)
    qtbot.wait(100)
    lung, mediastinum, coronal = window.grid.viewports
    lines = window.grid.reference_lines
    on_lung = lines.lines_on(lung)
    log = _PaintLog()
    log.watch([lung, mediastinum, coronal])
    # Zooming the coronal pane moves the lines drawn on it, not where it cuts the others.
    coronal.set_zoom(coronal.zoom * 2)
    qtbot.waitUntil(lambda: any(pane == 2 for pane, _, _ in log.seen), timeout=TIMEOUT_MS)
    qtbot.wait(50)
    assert {pane for pane, _, _ in log.seen} == {2}
    assert lines.lines_on(lung) == on_lung
    # Scrolling it moves its line on both axial panes: both are repainted.
    log.seen.clear()
    coronal.set_frame(coronal.frame_index + 10)
    qtbot.waitUntil(lambda: {pane for pane, _, _ in log.seen} >= {0, 1, 2}, timeout=TIMEOUT_MS)
    assert lines.lines_on(lung) != on_lung


def test_each_pane_says_its_own_slice_thickness_and_fits_its_image(
    qtbot: Any, window: MainWindow, demo_dir: Path
) -> None:
    """The coronal pane's "Th" is the reformat's (one voxel along its normal), not the CT's."""
    with qtbot.waitSignal(window.series_loaded, timeout=TIMEOUT_MS):
        window.open_path(demo_dir)
    qtbot.waitUntil(lambda: _plane(window.grid.viewports[-1]) == "coronal", timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: not window.is_busy, timeout=TIMEOUT_MS)
    lung, _mediastinum, coronal = window.grid.viewports

    def thickness(viewport: Viewport) -> str:
        (line,) = [x for x in viewport.overlay_text().bottom_left if x.startswith("Th ")]
        return line

    spacing = coronal.volume.extra["mpr"].spacing("coronal")  # type: ignore[union-attr]
    acquired = lung.volume.geometry.frames[0].info.slice_thickness  # type: ignore[union-attr]
    assert acquired is not None and abs(acquired - spacing) > 0.1  # the demo CT: 5 mm slices
    assert thickness(coronal) == f"Th {f'{spacing:.2f}'.rstrip('0').rstrip('.')} mm"
    assert thickness(lung) != thickness(coronal)
    # Each pane fits its own image: the whole slice within the pane, touching two sides.
    for viewport in window.grid.viewports:
        assert viewport.view_transform.fit_mode
        top_left = viewport.image_to_widget(0.0, 0.0)
        columns, rows = viewport.view_transform.image_size
        bottom_right = viewport.image_to_widget(float(columns), float(rows))
        width, height = bottom_right.x() - top_left.x(), bottom_right.y() - top_left.y()
        assert width <= viewport.width() + 1 and height <= viewport.height() + 1
        assert max(width / viewport.width(), height / viewport.height()) > 0.98
