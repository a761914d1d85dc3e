"""The viewer in Chinese: corner texts, measurement labels, MPR panes and slab, keys, messages.

Core makes the corner lines, measurement labels and scale bar in its current language
(core's gettext catalogue, core.mo); the desktop's own words come from the Qt catalogue.
Both are installed here, as start-up installs them, and what the viewport holds and
paints is read back.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from core import i18n as core_i18n
from core.dicom.measure import DistanceMeasurement
from core.dicom.overlays import choose_scale_bar
from desktop.viewer import overlays
from desktop.viewer.annotation_keeper import AnnotationKeeper, annotation_of
from desktop.viewer.grid import ViewerGrid
from desktop.viewer.measurements import shown_label
from desktop.viewer.mpr_layout import MprView
from desktop.viewer.viewer_texts import VIEWPORT_SHORTCUTS, viewport_shortcuts
from desktop.viewer.viewport import Viewport
from tests.desktop.viewer_helpers import disc_phantom, make_header, make_volume

from .zh_cn_translation import zh_cn_installed

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module", autouse=True)
def built_core_catalogue() -> None:
    """core.mo compiled from today's core.po (a no-op when current)."""
    spec = importlib.util.spec_from_file_location(
        "radassist_translations_viewer", ROOT / "scripts" / "translations.py"
    )
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = script
    spec.loader.exec_module(script)
    script.build()


@pytest.fixture
def zh(tmp_path: Path) -> Iterator[None]:
    """The viewer's Qt catalogue and core's messages in Chinese; English again after."""
    with zh_cn_installed(tmp_path, ("viewer",)):
        assert core_i18n.set_language("zh-CN", export=False) == "zh-CN"
        try:
            yield
        finally:
            core_i18n.set_language("en", export=False)


@pytest.fixture
def viewport(qtbot: QtBot, zh: None) -> Viewport:
    widget = Viewport()
    qtbot.addWidget(widget)
    widget.resize(400, 400)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def _shown(viewport: Viewport) -> Viewport:
    volume = make_volume(disc_phantom(128, 4), windows=[(40, 400, "MEDIASTINUM")])
    viewport.set_volume(volume, make_header())
    return viewport


def test_the_corners_read_in_chinese(viewport: Viewport) -> None:
    text = _shown(viewport).overlay_text()
    assert text.top_left == ("Doe, Jane", "PID-0042")  # patient data as DICOM has it
    assert text.top_right == ("2024-01-31 CT CHEST", "序列 3：AXIAL 2mm", "CT")
    assert text.bottom_left[0] == "图像 1/4"
    assert text.bottom_left[1].startswith("位置 ") and text.bottom_left[1].endswith(" mm")
    assert text.bottom_left[2] == "层厚 2 mm"
    zoom = f"缩放 {round(viewport.zoom * 100)}%"
    assert text.bottom_right == ("W:400 L:40", zoom)
    viewport.invert()
    assert viewport.overlay_text().bottom_right[0] == "W:400 L:40  反相"
    core_i18n.set_language("en", export=False)  # the same corners in English, as before
    text = viewport.overlay_text()
    assert text.top_right == ("2024-01-31 CT CHEST", "Se 3: AXIAL 2mm", "CT")
    assert text.bottom_left[0] == "Im 1/4" and text.bottom_left[2] == "Th 2 mm"
    assert text.bottom_right == ("W 400 L 40  inverted", f"Zoom {round(viewport.zoom * 100)}%")


def test_the_centre_messages_are_drawn_in_chinese(
    qtbot: QtBot, viewport: Viewport, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn: list[str] = []
    paint = overlays.draw_centre_message

    def recording(painter: Any, rect: Any, text: str) -> None:
        drawn.append(text)
        paint(painter, rect, text)

    monkeypatch.setattr(overlays, "draw_centre_message", recording)
    viewport.grab_view()
    assert drawn[-1] == "将序列拖放到此处"
    loaded = np.zeros(4, dtype=bool)
    volume = make_volume(disc_phantom(128, 4), loaded=loaded, finished=False)
    viewport.set_volume(volume, make_header())
    viewport.grab_view()
    assert drawn[-1] == f"正在加载第 {viewport.frame_index + 1} 幅图像…"
    assert "正在加载…" in viewport.overlay_text().bottom_left


def test_a_roi_label_reads_in_chinese(viewport: Viewport) -> None:
    m = _shown(viewport).add_measurement("rectangle", [(40.0, 40.0), (88.0, 88.0)])
    lines = shown_label(m)
    assert lines[0].startswith("均值 ") and " HU  标准差 " in lines[0]
    assert lines[1].startswith("最小 ") and "  最大 " in lines[1]
    assert lines[2].startswith("面积 ") and lines[2].endswith(" mm²")
    # A saved annotation says what the screen says: core made it in the interface's language.
    volume = viewport.volume
    assert volume is not None
    assert annotation_of(m, volume).text == "\n".join(lines)
    core_i18n.set_language("en", export=False)
    assert shown_label(m)[0].startswith("Mean ") and " HU  SD " in shown_label(m)[0]


def test_uncalibrated_labels_and_scale_bar_say_so_in_chinese(zh: None) -> None:
    assert DistanceMeasurement(12.5, "px", False, 12.5).label == "12.5 px（未校准）"
    bar = choose_scale_bar(0.2, 100, calibrated=False)
    assert bar is not None and bar.label == "2 cm（未校准）"


def test_mpr_panes_and_slab_read_in_chinese(qtbot: QtBot, zh: None) -> None:
    view = MprView()
    qtbot.addWidget(view)
    view.resize(900, 360)
    view.show()
    qtbot.waitExposed(view)
    volume = make_volume(disc_phantom(64, 20), pixel_spacing=(1.0, 1.0), slice_spacing=2.0)
    assert view.set_volume(volume, make_header())
    names = [view.panes[p].overlay_text().bottom_left[0] for p in ("axial", "coronal", "sagittal")]
    assert names == ["轴位", "冠状位", "矢状位"]
    coronal = view.panes["coronal"].overlay_text().bottom_left
    assert coronal[1].startswith("图像 ") and coronal[2].startswith("位置 ")
    view.set_slab("mip", 10.0, pane="axial")
    assert view.panes["axial"].overlay_text().bottom_left[-1] == "最大密度投影 10 mm"
    assert view.slab_label.text() == "层块（当前窗格）："
    modes = [view.slab_mode_combo.itemText(i) for i in range(view.slab_mode_combo.count())]
    assert modes == ["关", "最大密度投影 (MIP)", "最小密度投影 (MinIP)", "平均密度投影"]
    assert view.slab_thickness_combo.itemText(view.slab_thickness_combo.count() - 1) == "自定义…"


def test_the_viewport_keys_read_in_chinese(zh: None) -> None:
    keys = viewport_shortcuts()
    assert len(keys) == len(VIEWPORT_SHORTCUTS)
    assert ("右键拖动", "调窗：左右拖动调窗宽，上下拖动调窗位") in keys
    assert ("I", "灰度反相") in keys


def test_the_annotation_messages_read_in_chinese(qtbot: QtBot, zh: None) -> None:
    grid = ViewerGrid()
    qtbot.addWidget(grid)
    keeper = AnnotationKeeper(grid)
    said: list[str] = []
    keeper.message.connect(said.append)
    assert keeper.export_presentation_state() is None
    assert said == ["没有可导出标注的图像"]
