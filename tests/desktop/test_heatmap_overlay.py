"""The AI heatmap over the viewport's image: where its peak lands on screen, opacity, on/off.

The image is 128×128 of a uniform grey (40 HU through W 400 / L 40) in a 256×256
viewport, so at "fit" image pixel (col, row) covers widget pixels (2col..2col+1,
2row..2row+1). The heatmap is 1 on a block of image pixels (cols 30..33, rows 90..95)
and 0 elsewhere: red there on screen, the plain grey everywhere else. The expected
screen rectangles below are worked out by hand, not through the viewport's transform.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from core.analysis.colormap import apply_heatmap_lut
from desktop.viewer.viewport import Viewport
from tests.desktop.viewer_helpers import make_header, make_volume

SIZE = 256
GREY = 128  # 40 HU at L 40 / W 400
BLOCK_COLS, BLOCK_ROWS = (30, 34), (90, 96)  # [start, stop)


def _pixels(viewport: Viewport) -> np.ndarray:
    image = viewport.grab_view().convertToFormat(QImage.Format.Format_RGB32)
    data = np.frombuffer(image.constBits(), np.uint8, count=image.sizeInBytes())
    bgra = data.reshape(image.height(), image.bytesPerLine() // 4, 4)[:, : image.width()]
    return bgra[..., 2::-1].astype(int)


def _red_box(rgb: np.ndarray) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1), inclusive, of the pixels clearly redder than grey."""
    red = (rgb[..., 0] - rgb[..., 1] > 40) & (rgb[..., 0] - rgb[..., 2] > 40)
    ys, xs = np.nonzero(red)
    assert xs.size, "no heatmap colour on screen"
    return int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())


def _heatmap(shape: tuple[int, int] = (128, 128)) -> np.ndarray:
    heatmap = np.zeros(shape, dtype=np.float32)
    heatmap[BLOCK_ROWS[0] : BLOCK_ROWS[1], BLOCK_COLS[0] : BLOCK_COLS[1]] = 1.0
    return heatmap


@pytest.fixture
def viewport(qtbot: QtBot) -> Iterator[Viewport]:
    widget = Viewport()
    qtbot.addWidget(widget)
    widget.resize(SIZE, SIZE)
    widget.show()
    qtbot.waitExposed(widget)
    array = np.full((3, 128, 128), 40, dtype=np.int16)
    widget.set_volume(make_volume(array, windows=[(40, 400, "MEDIASTINUM")]), make_header())
    widget.set_overlays_visible(False)  # plain pixels: no corner text
    yield widget
    widget.clear()


def test_no_heatmap_shows_the_plain_image(viewport: Viewport) -> None:
    rgb = _pixels(viewport)
    assert abs(rgb[128, 128] - GREY).max() <= 1
    assert viewport.heatmap is None and not viewport.heatmap_visible


def test_the_peak_lands_on_the_screen_pixels_of_its_image_pixels(viewport: Viewport) -> None:
    viewport.set_heatmap(_heatmap(), 1.0)
    assert viewport.heatmap_visible and viewport.heatmap_frame == viewport.frame_index
    rgb = _pixels(viewport)
    # Image cols 30..33 → x 60..67, rows 90..95 → y 180..191 (smoothing may bleed 1 px).
    x0, y0, x1, y1 = _red_box(rgb)
    assert abs(x0 - 60) <= 1 and abs(x1 - 67) <= 1, (x0, x1)
    assert abs(y0 - 180) <= 1 and abs(y1 - 191) <= 1, (y0, y1)
    # Inside: jet's top colour at full opacity replaces the grey; outside: untouched grey.
    assert rgb[186, 64].tolist() == [128, 0, 0]
    assert abs(rgb[40, 200] - GREY).max() <= 1
    assert abs(rgb[186, 100] - GREY).max() <= 1


def test_the_heatmap_follows_rotation_flip_and_zoom(viewport: Viewport) -> None:
    viewport.set_heatmap(_heatmap(), 1.0)
    viewport.rotate(90)  # clockwise: image (x, y) → screen (256 - 2y, 2x)
    x0, y0, x1, y1 = _red_box(_pixels(viewport))
    assert abs(x0 - (256 - 192)) <= 1 and abs(x1 - (256 - 180 - 1)) <= 1, (x0, x1)
    assert abs(y0 - 60) <= 1 and abs(y1 - 67) <= 1, (y0, y1)

    viewport.reset_view()
    viewport.flip_horizontal()  # image (x, y) → screen (256 - 2x, 2y)
    x0, y0, x1, y1 = _red_box(_pixels(viewport))
    assert abs(x0 - (256 - 68)) <= 1 and abs(x1 - (256 - 60 - 1)) <= 1, (x0, x1)
    assert abs(y0 - 180) <= 1 and abs(y1 - 191) <= 1, (y0, y1)

    viewport.reset_view()
    viewport.set_zoom(3.0)  # about the centre (64, 64): screen = 128 + 3 (p - 64)
    x0, y0, x1, y1 = _red_box(_pixels(viewport))
    assert abs(x0 - 26) <= 1 and abs(x1 - 37) <= 1, (x0, x1)
    assert abs(y0 - 206) <= 1 and abs(y1 - 223) <= 1, (y0, y1)


def test_opacity_blends_and_off_hides(viewport: Viewport) -> None:
    viewport.set_heatmap(_heatmap(), 0.5)
    blended = _pixels(viewport)[186, 64]
    assert abs(blended - np.array([(128 + GREY) / 2, GREY / 2, GREY / 2])).max() <= 2
    viewport.set_heatmap_opacity(0.0)
    assert not viewport.heatmap_visible
    assert abs(_pixels(viewport)[186, 64] - GREY).max() <= 1
    viewport.set_heatmap_opacity(1.0)
    viewport.set_heatmap_visible(False)
    assert not viewport.heatmap_visible and viewport.heatmap is not None
    assert abs(_pixels(viewport)[186, 64] - GREY).max() <= 1
    viewport.set_heatmap_visible(True)
    assert _pixels(viewport)[186, 64].tolist() == [128, 0, 0]
    with pytest.raises(ValueError, match="opacity"):
        viewport.set_heatmap_opacity(1.5)


def test_low_scores_are_transparent(viewport: Viewport) -> None:
    heatmap = _heatmap()
    heatmap[10:20, 10:20] = 0.05  # 5 % of the peak: below the transparent floor
    viewport.set_heatmap(heatmap, 1.0)
    assert abs(_pixels(viewport)[30, 30] - GREY).max() <= 1


def test_the_heatmap_belongs_to_its_frame_and_series(viewport: Viewport) -> None:
    viewport.set_heatmap(_heatmap(), 1.0, frame=1)
    assert not viewport.heatmap_visible  # frame 2 is shown (the top of the stack)
    assert abs(_pixels(viewport)[186, 64] - GREY).max() <= 1
    viewport.set_frame(1)
    assert viewport.heatmap_visible
    assert _pixels(viewport)[186, 64].tolist() == [128, 0, 0]
    viewport.set_volume(make_volume(np.zeros((1, 64, 64), np.int16), key="9.9"))
    assert viewport.heatmap is None
    with pytest.raises(ValueError, match="frame"):
        viewport.set_heatmap(_heatmap(), frame=5)
    with pytest.raises(ValueError, match="2-D"):
        viewport.set_heatmap(np.zeros(5))
    with pytest.raises(TypeError):
        viewport.set_heatmap([[0.0]])  # type: ignore[arg-type]


def test_a_coarse_heatmap_is_stretched_over_the_image(viewport: Viewport) -> None:
    coarse = np.zeros((4, 4), dtype=np.float32)
    coarse[3, 0] = 1.0  # bottom-left quarter-by-quarter cell: image cols 0..31, rows 96..127
    viewport.set_heatmap(coarse, 1.0)
    x0, y0, x1, y1 = _red_box(_pixels(viewport))
    # Bilinear stretching spreads the cell; its centre (image 16, 112) is screen (32, 224).
    assert x0 <= 32 <= x1 and y0 <= 224 <= y1
    assert x1 < 128 and y0 > 128


def test_the_heatmap_is_coloured_once_not_per_paint(
    viewport: Viewport, monkeypatch: pytest.MonkeyPatch
) -> None:
    import desktop.viewer.overlays as module

    calls: list[int] = []

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return apply_heatmap_lut(*args, **kwargs)

    monkeypatch.setattr(module, "apply_heatmap_lut", counting)
    viewport.set_heatmap(_heatmap(), 0.7)
    for opacity in (0.2, 0.4, 0.9):
        viewport.set_heatmap_opacity(opacity)
        viewport.grab_view()
    viewport.set_zoom(3.0)
    viewport.grab_view()
    assert len(calls) == 1
    viewport.set_heatmap(_heatmap() * 2)
    viewport.grab_view()
    assert len(calls) == 2


def test_a_heatmap_finer_than_the_screen_is_sampled_but_lands_in_place(
    viewport: Viewport, monkeypatch: pytest.MonkeyPatch
) -> None:
    import desktop.viewer.overlays as module

    monkeypatch.setattr(module, "_HEATMAP_MAX_SIDE", 32)  # 128 px → 32 cells of 4 px
    heatmap = np.zeros((128, 128), np.float32)
    heatmap[64:80, 32:48] = 1.0  # cells 16..19 down, 8..11 across: screen x 64..95, y 128..159
    viewport.set_heatmap(heatmap, 1.0)
    x0, y0, x1, y1 = _red_box(_pixels(viewport))
    assert abs((x0 + x1) / 2 - 79.5) <= 1 and abs((y0 + y1) / 2 - 143.5) <= 1, (x0, y0, x1, y1)
    assert 28 <= x1 - x0 <= 40 and 28 <= y1 - y0 <= 40


def test_the_caption_marks_the_overlay(viewport: Viewport) -> None:
    def amber(rgb: np.ndarray) -> int:
        top = rgb[28:60]
        return int(((top[..., 0] > 200) & (top[..., 1] > 150) & (top[..., 2] < 100)).sum())

    viewport.set_heatmap(_heatmap(), 1.0, caption="Nodule 0.91 · Grad-CAM · demo 1.0")
    assert viewport.heatmap_caption.startswith("Nodule 0.91")
    assert amber(_pixels(viewport)) > 30  # the text is drawn, overlays off or not
    viewport.set_heatmap_visible(False)
    assert amber(_pixels(viewport)) == 0
