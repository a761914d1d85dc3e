"""The reading room: measurements that survive a restart, presentation states, the keyboard.

What a person sees is checked: the measurement on the image after the app was closed and
opened again, the status bar when a study brings a presentation state, the image that
Page Down, Ctrl+1 or Ctrl+Page Down leads to, and dialogs that Esc closes.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import highdicom as hd
import numpy as np
import pydicom
import pytest
from pydicom.uid import generate_uid
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from core.dicom.annotations import AnnotationStore
from core.paths import export_dir
from core.synthetic import write_ct_series
from desktop.main_window import MainWindow
from desktop.settings import Settings
from desktop.viewer.viewport import Viewport

TIMEOUT_MS = 20_000
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def _new_window(qtbot: Any) -> MainWindow:
    window = MainWindow(Settings())
    qtbot.addWidget(window)
    window.resize(1000, 700)
    window.show()
    qtbot.waitExposed(window)
    return window


@pytest.fixture
def window(qtbot: Any) -> Iterator[MainWindow]:
    win = _new_window(qtbot)
    yield win
    win.cancel_import()


def _open(qtbot: Any, window: MainWindow, path: Path) -> None:
    with qtbot.waitSignal(window.series_loaded, timeout=TIMEOUT_MS):
        window.open_path(path)
    qtbot.waitUntil(lambda: not window.is_busy, timeout=TIMEOUT_MS)


def _rgb(viewport: Viewport) -> np.ndarray:
    image = viewport.grab_view().convertToFormat(QImage.Format.Format_RGB32)
    data = np.frombuffer(image.constBits(), np.uint8, count=image.sizeInBytes())
    bgra = data.reshape(image.height(), image.bytesPerLine() // 4, 4)[:, : image.width()]
    return bgra[..., 2::-1].copy()


def _yellow_on_line(viewport: Viewport, y: float, x0: float, x1: float) -> int:
    """Yellow pixels (a measurement's colour) along image row ``y`` from ``x0`` to ``x1``."""
    a, b = viewport.image_to_widget(x0, y), viewport.image_to_widget(x1, y)
    top, left, right = int(a.y()), int(a.x()) + 4, int(b.x()) - 4
    rgb = _rgb(viewport).astype(int)[top - 3 : top + 4, left:right]
    return int(((rgb[..., 0] > 200) & (rgb[..., 1] > 150) & (rgb[..., 2] < 90)).sum())


def _z(viewport: Viewport) -> float:
    volume = viewport.volume
    assert volume is not None
    position = volume.geometry.frames[viewport.frame_index].info.position
    assert position is not None
    return position[2]


@pytest.fixture
def two_series(tmp_path: Path, synthetic_dir: Path) -> Path:
    """A CT series and a radiograph in one folder."""
    folder = tmp_path / "mixed"
    shutil.copytree(synthetic_dir / "ct", folder / "ct")
    shutil.copytree(synthetic_dir / "cxr", folder / "cxr")
    return folder


# --------------------------------------------------------------------------- measurements kept


def test_a_measurement_is_still_there_after_the_app_is_closed_and_opened_again(
    qtbot: Any, synthetic_dir: Path, tmp_path: Path
) -> None:
    study = tmp_path / "ct"
    shutil.copytree(synthetic_dir / "ct", study)
    first = _new_window(qtbot)
    _open(qtbot, first, study)
    viewport = first.grid.active_viewport
    viewport.step_frames(3)  # a slice of its own, not the first one shown
    frame = viewport.frame_index
    sop = viewport.volume.geometry.frames[frame].instance.sop_instance_uid  # type: ignore[union-attr]
    first.set_tool("distance")
    start, end = viewport.image_to_widget(30, 60), viewport.image_to_widget(90, 60)
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=start.toPoint())
    qtbot.mouseMove(viewport, QPoint(int((start.x() + end.x()) / 2), int(start.y())))
    qtbot.mouseMove(viewport, end.toPoint())
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=end.toPoint())
    (drawn,) = viewport.measurements
    label = drawn.label_lines[0]
    assert label.endswith("mm")
    first.close()  # the app ends
    del first

    second = _new_window(qtbot)
    second.resize(1400, 900)
    _open(qtbot, second, study)
    shown = second.grid.active_viewport
    assert shown.measurements_on_frame() == []  # opens at the top: not the measured slice
    assert _yellow_on_line(shown, 60, 30, 90) == 0
    shown.set_frame(frame)
    (restored,) = shown.measurements_on_frame()
    assert restored.kind == "distance" and restored.label_lines == (label,)
    assert np.allclose(restored.points, drawn.points)
    volume = shown.volume
    assert volume is not None
    assert volume.geometry.frames[restored.frame].instance.sop_instance_uid == sop
    # Drawn on the image where it was: yellow along most of the line's length on screen
    # (the pane's width depends on the hanging protocol the study opened in).
    a, b = shown.image_to_widget(30, 60), shown.image_to_widget(90, 60)
    assert _yellow_on_line(shown, 60, 30, 90) > 0.8 * (b.x() - a.x() - 8)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shown.grab_view().save(str(ARTIFACTS / "restored-measurement.png"))
    second.close()


def test_deleting_a_measurement_is_kept_too_and_the_same_series_elsewhere_follows(
    qtbot: Any, window: MainWindow, synthetic_dir: Path
) -> None:
    _open(qtbot, window, synthetic_dir / "ct")
    window.set_layout(1, 2)
    left, right = window.grid.viewports
    window.load_series(left.volume.series, right)  # type: ignore[union-attr]
    right.set_frame(left.frame_index)
    left.add_measurement("distance", [(10, 10), (40, 40)])
    assert len(right.measurements) == 1  # the other view of the series shows it
    study = window.index.patients[0].studies[0].study_instance_uid  # type: ignore[union-attr]
    assert len(AnnotationStore().load(study)) == 1
    left.delete_selected()
    assert AnnotationStore().load(study) == () and right.measurements == []


# --------------------------------------------------------------------------- presentation states


def test_export_annotations_as_gsps_from_the_file_menu(
    qtbot: Any, window: MainWindow, synthetic_dir: Path
) -> None:
    _open(qtbot, window, synthetic_dir / "ct")
    viewport = window.grid.active_viewport
    viewport.set_window(-600, 1500)
    measurement = viewport.add_measurement("distance", [(20.0, 30.0), (80.0, 30.0)])
    assert window.export_gsps_action in window.menus["File"].actions()
    with qtbot.waitSignal(window.annotations.exported, timeout=TIMEOUT_MS) as done:
        window.export_gsps_action.trigger()
    (path,) = done.args[0].paths
    assert path.parent == export_dir()
    assert "presentation state" in window.status_label.text() and str(export_dir()) in (
        window.status_label.text()
    )
    ds = pydicom.dcmread(path)
    (voi,) = ds.SoftcopyVOILUTSequence
    assert (float(voi.WindowCenter), float(voi.WindowWidth)) == (-600.0, 1500.0)
    (annotation,) = ds.GraphicAnnotationSequence
    frame = viewport.volume.geometry.frames[viewport.frame_index]  # type: ignore[union-attr]
    assert annotation.ReferencedImageSequence[0].ReferencedSOPInstanceUID == (
        frame.instance.sop_instance_uid
    )
    assert [float(v) for v in annotation.GraphicObjectSequence[0].GraphicData] == [
        20.0,
        30.0,
        80.0,
        30.0,
    ]
    assert annotation.TextObjectSequence[0].UnformattedTextValue == measurement.label_lines[0]


def _write_gsps(folder: Path, files: list[Path], target: int) -> str:
    """A presentation state written by highdicom (another workstation), over ``files``."""
    images = [pydicom.dcmread(f, stop_before_pixels=True) for f in files]
    layer = hd.pr.GraphicLayer(layer_name="FINDINGS", order=1)
    annotation = hd.pr.GraphicAnnotation(
        referenced_images=[images[target]],
        graphic_layer=layer,
        graphic_objects=[
            hd.pr.GraphicObject(
                graphic_type=hd.pr.GraphicTypeValues.POLYLINE,
                graphic_data=np.array([[20.0, 64.0], [100.0, 64.0]]),
                units=hd.pr.AnnotationUnitsValues.PIXEL,
            )
        ],
        text_objects=[
            hd.pr.TextObject(
                text_value="NODULE",
                units=hd.pr.AnnotationUnitsValues.PIXEL,
                anchor_point=(102.0, 60.0),
            )
        ],
    )
    gsps = hd.pr.GrayscaleSoftcopyPresentationState(
        referenced_images=[images[target]],
        series_instance_uid=generate_uid(),
        series_number=77,
        sop_instance_uid=generate_uid(),
        instance_number=1,
        manufacturer="Other",
        manufacturer_model_name="Other",
        software_versions="1",
        device_serial_number="1",
        content_label="REVIEW",
        graphic_annotations=[annotation],
        graphic_layers=[layer],
        voi_lut_transformations=[
            hd.pr.SoftcopyVOILUTTransformation(window_center=-500.0, window_width=1200.0)
        ],
    )
    gsps.save_as(folder / "presentation.dcm", enforce_file_format=True)
    return str(images[target].SOPInstanceUID)


def test_a_study_with_a_gsps_shows_it_on_the_referenced_image(
    qtbot: Any, window: MainWindow, tmp_path: Path
) -> None:
    folder = tmp_path / "with-gsps"
    files = write_ct_series(folder / "ct", np.random.default_rng(11), slices=6, size=128)
    target = _write_gsps(folder, files, target=2)
    with qtbot.waitSignal(window.annotations.presentation_states_loaded, timeout=TIMEOUT_MS):
        _open(qtbot, window, folder)
    qtbot.waitUntil(lambda: "Presentation state" in window.status_label.text(), timeout=5000)
    assert '"REVIEW"' in window.status_label.text()
    viewport = window.grid.active_viewport
    volume = viewport.volume
    assert volume is not None
    shown = volume.geometry.frames[viewport.frame_index].instance.sop_instance_uid
    assert shown == target  # the referenced image is the one on screen
    assert viewport.window == (-500.0, 1200.0)  # with the state's window
    kinds = sorted(m.kind for m in viewport.measurements_on_frame())
    assert kinds == ["polyline", "text"]
    text = next(m for m in viewport.measurements_on_frame() if m.kind == "text")
    assert text.label_lines == ("NODULE",) and text.readonly
    rgb = _rgb(viewport).astype(int)
    green = (rgb[..., 1] > 200) & (rgb[..., 0] < 160) & (rgb[..., 2] < 180)
    assert green.sum() > 50  # drawn, in the presentation-state colour
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    viewport.grab_view().save(str(ARTIFACTS / "gsps-loaded.png"))
    # Read-only: a click on it does not select it, and it is not saved as the user's.
    viewport.replace_measurements(viewport.measurements)
    study = window.index.patients[0].studies[0].study_instance_uid  # type: ignore[union-attr]
    viewport.add_measurement("distance", [(5, 5), (15, 5)])
    assert [a.kind for a in AnnotationStore().load(study)] == ["distance"]


# --------------------------------------------------------------------------- the keyboard


def test_axial_ct_opens_at_the_top_and_page_down_works_without_a_click(
    qtbot: Any, window: MainWindow, synthetic_dir: Path
) -> None:
    # Under X11 the window opens with no focus widget (nothing takes it before a click);
    # the offscreen platform activates the window and gives focus away by itself.
    focused = window.focusWidget()
    if focused is not None:
        focused.clearFocus()
    assert window.focusWidget() is None
    _open(qtbot, window, synthetic_dir / "ct")
    viewport = window.grid.active_viewport
    volume = viewport.volume
    assert volume is not None
    top = max(f.info.position[2] for f in volume.geometry.frames)  # type: ignore[index]
    assert _z(viewport) == top  # head first
    assert window.focusWidget() is viewport  # keys go to the image from the start
    qtbot.keyClick(window.focusWidget(), Qt.Key.Key_PageDown)
    assert viewport.display_position == 10 and _z(viewport) < top  # toward the feet
    qtbot.keyClick(window.focusWidget(), Qt.Key.Key_End)
    assert _z(viewport) == min(f.info.position[2] for f in volume.geometry.frames)  # type: ignore[index]
    qtbot.keyClick(window.focusWidget(), Qt.Key.Key_Home)
    assert _z(viewport) == top and "Im 1/24" in viewport.overlay_text().bottom_left


def test_ctrl_1_shows_the_active_viewport_of_a_2x2_layout(
    qtbot: Any, window: MainWindow, two_series: Path
) -> None:
    _open(qtbot, window, two_series)
    window.set_layout(2, 2)
    viewports = window.grid.viewports
    cxr = next(s for s in window.index.all_series() if s.modality == "DX")  # type: ignore[union-attr]
    with qtbot.waitSignal(window.series_loaded, timeout=TIMEOUT_MS):
        window.load_series(cxr, viewports[3])
    qtbot.mouseClick(viewports[3], Qt.MouseButton.LeftButton)  # the bottom-right is active
    assert window.grid.active_viewport is viewports[3]
    qtbot.keyClick(window.focusWidget(), Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert window.current_layout == (1, 1)
    (only,) = window.grid.viewports
    assert only is viewports[3] and only.isVisible()
    assert only.volume is not None and only.volume.series.key == cxr.key  # the radiograph
    assert not viewports[0].isVisible()


def test_the_browser_highlights_the_series_of_the_active_viewport(
    qtbot: Any, window: MainWindow, two_series: Path
) -> None:
    _open(qtbot, window, two_series)
    ct = window.grid.active_viewport.volume.series  # type: ignore[union-attr]
    cxr = next(s for s in window.index.all_series() if s.modality == "DX")  # type: ignore[union-attr]
    assert window.browser.selected_series().key == ct.key  # type: ignore[union-attr]
    window.set_layout(1, 2)
    left, right = window.grid.viewports
    with qtbot.waitSignal(window.series_loaded, timeout=TIMEOUT_MS):
        window.load_series(cxr, right)
    qtbot.mouseClick(right, Qt.MouseButton.LeftButton)
    assert window.browser.selected_series().key == cxr.key  # type: ignore[union-attr]
    qtbot.mouseClick(left, Qt.MouseButton.LeftButton)
    assert window.browser.selected_series().key == ct.key  # type: ignore[union-attr]
    window.set_layout(2, 2)
    qtbot.mouseClick(window.grid.viewports[2], Qt.MouseButton.LeftButton)  # an empty one
    assert window.browser.selected_series() is None  # no series shown there: none lit


def test_next_and_previous_series_keys_and_the_browser_key(
    qtbot: Any, window: MainWindow, two_series: Path
) -> None:
    _open(qtbot, window, two_series)
    viewport = window.grid.active_viewport
    keys = [s.key for s in window.index.all_series()]  # type: ignore[union-attr]
    start = keys.index(viewport.volume.series.key)  # type: ignore[union-attr]
    step = 1 if start == 0 else -1
    key = Qt.Key.Key_PageDown if step == 1 else Qt.Key.Key_PageUp
    with qtbot.waitSignal(window.first_image_shown, timeout=TIMEOUT_MS):
        qtbot.keyClick(window.focusWidget(), key, Qt.KeyboardModifier.ControlModifier)
    assert viewport.volume.series.key == keys[start + step]  # type: ignore[union-attr]
    assert window.browser.selected_series().key == keys[start + step]  # type: ignore[union-attr]
    back = Qt.Key.Key_PageUp if step == 1 else Qt.Key.Key_PageDown
    with qtbot.waitSignal(window.first_image_shown, timeout=TIMEOUT_MS):
        qtbot.keyClick(window.focusWidget(), back, Qt.KeyboardModifier.ControlModifier)
    assert viewport.volume.series.key == keys[start]  # type: ignore[union-attr]

    # The browser key: focus on the tree, arrows, Enter opens and returns to the image.
    qtbot.keyClick(
        window.focusWidget(),
        Qt.Key.Key_B,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert window.focusWidget() is window.browser.tree
    qtbot.keyClick(window.browser.tree, Qt.Key.Key_Escape)
    assert window.focusWidget() is viewport
    window.focus_browser_action.trigger()
    window.browser.select_series(keys[start + step])
    with qtbot.waitSignal(window.first_image_shown, timeout=TIMEOUT_MS):
        qtbot.keyClick(window.browser.tree, Qt.Key.Key_Return)
    assert window.focusWidget() is viewport
    assert viewport.volume.series.key == keys[start + step]  # type: ignore[union-attr]


def test_the_shortcuts_dialog_lists_the_reading_keys(qtbot: Any, window: MainWindow) -> None:
    entries = {(keys, text) for _, keys, text in window.shortcut_entries()}
    assert ("Ctrl+PgDown", "Next Series") in entries
    assert ("Ctrl+PgUp", "Previous Series") in entries
    assert ("Ctrl+Shift+B", "Go to Study Browser") in entries
    assert ("Ctrl+Shift+E", "Export Annotations as GSPS") in entries


def _dialogs(window: MainWindow, qtbot: Any) -> list[QDialog]:
    from desktop.assistant.report_dialogs import (
        AddendumDialog,
        ReportingSettingsDialog,
        SigningBlockedDialog,
    )
    from desktop.dialogs.models_dialog import ModelsDialog
    from desktop.dialogs.shortcuts import ShortcutsDialog
    from desktop.dialogs.tag_browser import TagBrowserDialog

    made: list[QDialog] = [
        ShortcutsDialog(window.shortcut_entries(), window),
        TagBrowserDialog(window.current_file_ref(), window),  # type: ignore[arg-type]
        ModelsDialog(parent=window),
        ReportingSettingsDialog(window.settings, window),
        AddendumDialog("Dr Reader", window),
        SigningBlockedDialog(["2 sentences are not reviewed"], window),
    ]
    return made


def test_esc_closes_every_dialog(qtbot: Any, window: MainWindow, synthetic_dir: Path) -> None:
    _open(qtbot, window, synthetic_dir / "ct")
    for dialog in _dialogs(window, qtbot):
        dialog.show()
        qtbot.waitExposed(dialog)
        focus: QWidget = dialog.focusWidget() or dialog
        qtbot.keyClick(focus, Qt.Key.Key_Escape)
        qtbot.waitUntil(lambda d=dialog: not d.isVisible(), timeout=2000)
        dialog.deleteLater()
    QApplication.processEvents()
