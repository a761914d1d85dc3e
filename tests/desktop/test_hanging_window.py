"""Hanging protocols in the reading window: the demo study opens as the chest-CT protocol says.

The demo study (core.synthetic.write_demo_study): a 64-slice axial chest CT and a DX PA
with a lateral, one study described "CHEST CT AND RADIOGRAPHS".
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMenu

from desktop.main_window import MainWindow
from desktop.settings import Settings
from desktop.viewer.viewport import Viewport

TIMEOUT_MS = 30_000


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


def _open(qtbot: Any, window: MainWindow, path: Path) -> None:
    with qtbot.waitSignal(window.series_loaded, timeout=TIMEOUT_MS):
        window.open_path(path)
    qtbot.waitUntil(lambda: not window.is_busy, timeout=TIMEOUT_MS)


def _plane(viewport: Viewport) -> str:
    volume = viewport.volume
    assert volume is not None
    return str(volume.extra.get("mpr_plane", "acquired"))


def _menu_texts(window: MainWindow) -> list[str]:
    menu = window.hanging.menu
    menu.aboutToShow.emit()
    return [a.text() for a in menu.actions() if not a.isSeparator()]


def test_the_demo_ct_opens_as_the_chest_ct_protocol_says(
    qtbot: Any, window: MainWindow, demo_dir: Path
) -> None:
    _open(qtbot, window, demo_dir)
    qtbot.waitUntil(lambda: window.hanging.current is not None, timeout=TIMEOUT_MS)
    assert window.hanging.current.name == "Chest CT"
    # Said beside the status line, which keeps saying what loaded.
    assert window.hanging.label.text() == "Hanging protocol: Chest CT"
    assert window.hanging.label.isVisible()
    protocol = json.loads(
        (Path(__file__).parents[2] / "resources/hanging_protocols/chest_ct.json").read_text()
    )
    assert window.grid.layout_shape == tuple(protocol["layout"])
    viewports = window.grid.viewports
    qtbot.waitUntil(lambda: _plane(viewports[2]) == "coronal", timeout=TIMEOUT_MS)
    for viewport, rule in zip(viewports, protocol["viewports"], strict=True):
        window_rule = rule["window"]
        assert viewport.window == (window_rule["center"], window_rule["width"])
        volume = viewport.volume
        assert volume is not None and volume.series.modality == "CT"
        # The demo CT is axial: "axial" shows the acquired slices; "coronal" a reformat.
        expected = "acquired" if rule["plane"] == "axial" else rule["plane"]
        assert _plane(viewport) == expected
    assert viewports[2].frame_count > 1 and viewports[2].orientation_labels().top == "H"
    assert window.grid.active_viewport is viewports[0]
    # View → Hanging Protocol: the protocols matching the study, then None.
    assert _menu_texts(window) == ["Chest CT", "Chest radiograph", "None"]


def test_switching_protocols_from_the_view_menu(
    qtbot: Any, window: MainWindow, demo_dir: Path
) -> None:
    _open(qtbot, window, demo_dir)
    qtbot.waitUntil(lambda: window.hanging.current is not None, timeout=TIMEOUT_MS)
    view_menus = [a.menu() for a in window.menus["View"].actions() if isinstance(a.menu(), QMenu)]
    assert window.hanging.menu in view_menus
    _menu_texts(window)
    radiograph = next(a for a in window.hanging.menu.actions() if a.text() == "Chest radiograph")
    radiograph.trigger()
    qtbot.waitUntil(lambda: window.grid.viewports[0].volume is not None, timeout=TIMEOUT_MS)
    qtbot.waitUntil(
        lambda: window.grid.viewports[0].volume.series.modality == "DX", timeout=TIMEOUT_MS
    )
    assert window.grid.layout_shape == (1, 1)  # no prior open: the PA alone
    none = next(a for a in window.hanging.menu.actions() if a.text() == "None")
    _menu_texts(window)
    none = next(a for a in window.hanging.menu.actions() if a.text() == "None")
    none.trigger()
    assert window.hanging.current is None
    assert window.hanging.label.text() == ""
    assert window.grid.layout_shape == window.current_layout
    qtbot.waitUntil(
        lambda: window.grid.viewports[0].volume.series.modality == "CT", timeout=TIMEOUT_MS
    )


def test_a_bad_site_file_is_named_and_the_bundled_protocol_applies(
    qtbot: Any, window: MainWindow, demo_dir: Path
) -> None:
    site = Path(os.environ["RADASSIST_DATA_DIR"]) / "hanging_protocols"
    site.mkdir(parents=True)
    (site / "chest.json").write_text(
        json.dumps(
            {
                "format": 1,
                "name": "Chest CT",
                "match": {"modality": "CT"},
                "layout": [1, 5],
                "viewports": [{"series": {"modality": "CT"}}],
            }
        )
    )
    _open(qtbot, window, demo_dir)
    qtbot.waitUntil(lambda: window.hanging.current is not None, timeout=TIMEOUT_MS)
    texts = [n.text for n in window.notifications.notifications]
    assert any("chest.json" in t and "layout" in t for t in texts), texts
    assert window.hanging.current.name == "Chest CT" and not window.hanging.current.site
    assert window.grid.layout_shape == (1, 3)


def test_reference_lines_between_viewports_of_one_frame_of_reference(
    qtbot: Any, window: MainWindow, demo_dir: Path
) -> None:
    _open(qtbot, window, demo_dir)
    qtbot.waitUntil(lambda: len(window.grid.viewports) == 3, timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: _plane(window.grid.viewports[2]) == "coronal", timeout=TIMEOUT_MS)
    lung, mediastinum, coronal = window.grid.viewports
    lines = window.grid.reference_lines
    # The two axial viewports are parallel: no line between them; the coronal cuts both.
    (across,) = lines.lines_on(lung)
    assert abs(across[0].y() - across[1].y()) < 1.0  # a horizontal line (constant y)
    assert len(lines.lines_on(mediastinum)) == 1
    # On the coronal: where the two axial slices are (both at the first slice: one line each).
    first = lines.lines_on(coronal)
    assert len(first) == 2 and abs(first[0][0].y() - first[0][1].y()) < 1.0
    # Scrolling an axial viewport moves its line on the coronal, downward (toward the feet).
    lung.set_frame(lung.frame_count // 2)
    moved = [a.y() for a, _ in lines.lines_on(coronal)]
    assert max(moved) > max(a.y() for a, _ in first) + 20
    # The coronal's line on the axial view lies where the coronal slice is (its y in mm).
    mpr = coronal.volume.extra["mpr"]  # type: ignore[union-attr]
    y_mm = mpr.slice_geometry("coronal", coronal.frame_index).origin[1]
    frame = lung.volume.geometry.frames[lung.frame_index].info  # type: ignore[union-attr]
    assert frame.position is not None and frame.pixel_spacing is not None
    row = (y_mm - frame.position[1]) / frame.pixel_spacing[0] + 0.5
    assert abs(lung.image_to_widget(0.0, row).y() - across[0].y()) < 1.0


def test_a_distance_on_the_coronal_reformat_is_saved_beside_the_axial_ones(
    qtbot: Any, window: MainWindow, demo_dir: Path
) -> None:
    from core.dicom.annotations import AnnotationStore

    _open(qtbot, window, demo_dir)
    qtbot.waitUntil(lambda: _plane(window.grid.viewports[-1]) == "coronal", timeout=TIMEOUT_MS)
    lung, _mediastinum, coronal = window.grid.viewports
    lung.add_measurement("distance", [(60.0, 100.0), (120.0, 100.0)])
    coronal.add_measurement("distance", [(50.0, 40.0), (150.0, 40.0)])
    (drawn,) = coronal.measurements
    study = window.index.patients[0].studies[0].study_instance_uid if window.index else ""
    saved = AnnotationStore().load(study)
    assert len(saved) == 2  # the axial one was kept
    on_coronal = next(a for a in saved if a.patient_points)
    assert on_coronal.kind == "distance"
    # Reopen: the coronal reformat shows it again (read-only there), the same length.
    window.open_path(demo_dir)
    qtbot.waitUntil(lambda: window.hanging.current is not None, timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: _plane(window.grid.viewports[-1]) == "coronal", timeout=TIMEOUT_MS)
    coronal = window.grid.viewports[-1]
    coronal.set_frame(drawn.frame)
    (shown,) = coronal.measurements_on_frame()
    assert shown.readonly and shown.result is not None and drawn.result is not None
    assert shown.result.length == pytest.approx(drawn.result.length, abs=0.01)  # type: ignore[union-attr]
    lung = window.grid.viewports[0]
    assert len([m for m in lung.measurements if not m.readonly]) == 1  # the axial one
    # The coronal one is level in z: the axial slices holding it show it too, read-only.
    mirrored = [m for m in lung.measurements if m.readonly]
    assert mirrored and all(
        m.extra["patient_points"] == on_coronal.patient_points for m in mirrored
    )


def test_closing_the_study_lets_go_of_its_volume(
    qtbot: Any, window: MainWindow, demo_dir: Path
) -> None:
    """The protocol's coronal reformat held the whole volume after the study closed."""
    import gc
    import weakref

    _open(qtbot, window, demo_dir)
    qtbot.waitUntil(lambda: window.hanging.current is not None, timeout=TIMEOUT_MS)
    volume = window.grid.viewports[0].volume
    assert volume is not None
    loaded = volume.loaded
    qtbot.waitUntil(lambda: bool(loaded.all()), timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: not window.is_busy, timeout=TIMEOUT_MS)
    gone = weakref.ref(volume.array)
    del volume
    window.close_study()
    qtbot.wait(50)
    gc.collect()
    assert gone() is None
    assert window.hanging.label.text() == ""


def test_a_protocol_due_when_its_window_goes_away_never_runs(qtbot: Any, demo_dir: Path) -> None:
    """The protocol is laid out in a turn after the study opened: a window closed and
    deleted before that turn takes it along (it once ran on the deleted window's menus)."""
    from PySide6.QtCore import QCoreApplication, QEvent

    win = MainWindow(Settings())
    win.show()
    _open(qtbot, win, demo_dir)
    qtbot.waitUntil(lambda: not win.is_busy, timeout=TIMEOUT_MS)
    win.hanging._schedule_apply(win.grid.grid_viewport)  # as when a study has just opened
    assert win.hanging.pending
    win.close()
    win.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    qtbot.wait(100)  # the turn was due here; pytest-qt fails the test on what it raises
