"""Heatmap colours and the sampled grid a viewer draws (core.analysis.colormap)."""

from __future__ import annotations

import numpy as np
import pytest

from core.analysis.colormap import (
    apply_heatmap_lut,
    make_heatmap_lut,
    sample_heatmap,
    scale_heatmap,
)


def _argb(value: int) -> tuple[int, int, int, int]:
    return (value >> 24) & 255, (value >> 16) & 255, (value >> 8) & 255, value & 255


def test_jet_table_is_premultiplied_and_transparent_at_the_bottom() -> None:
    lut = make_heatmap_lut("jet")
    assert lut.dtype == np.uint32 and lut.shape == (256,)
    assert lut[0] == 0 and lut[25] == 0  # at and below 10 % of the top: transparent
    assert lut[255] == 0xFF800000  # jet's dark red, opaque
    a, r, g, b = _argb(int(lut[128]))
    assert a == 255 and (r, g, b) == (130, 255, 126)  # past the knee: opaque green-yellow
    for value in lut[1:]:
        a, r, g, b = _argb(int(value))
        assert max(r, g, b) <= a  # premultiplied: no channel above alpha
    alphas = [_argb(int(v))[0] for v in lut]
    assert alphas == sorted(alphas)  # alpha never falls as the score rises


def test_hot_table_and_refusals() -> None:
    assert _argb(int(make_heatmap_lut("hot")[255])) == (255, 255, 255, 255)
    with pytest.raises(ValueError, match="colormap"):
        make_heatmap_lut("rainbow")
    with pytest.raises(TypeError):
        make_heatmap_lut(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="alpha_floor"):
        make_heatmap_lut(alpha_floor=0.6)


def test_scaling_is_relative_to_the_maximum_unless_given() -> None:
    heatmap = np.array([[0.0, 2.0], [np.nan, 4.0], [-1.0, np.inf]])
    assert scale_heatmap(heatmap).tolist() == [[0, 128], [0, 255], [0, 0]]
    assert scale_heatmap(heatmap, vmax=2.0).tolist() == [[0, 255], [0, 255], [0, 0]]
    assert scale_heatmap(np.zeros((2, 2))).tolist() == [[0, 0], [0, 0]]
    with pytest.raises(ValueError, match="2-D"):
        scale_heatmap(np.zeros(3))
    with pytest.raises(ValueError, match="vmax"):
        scale_heatmap(np.ones((2, 2)), vmax=0)
    lut = make_heatmap_lut()
    colours = apply_heatmap_lut(np.array([[0.0, 2.0], [np.nan, 4.0]]), lut)
    assert colours.tolist() == [[0, lut[128]], [0, lut[255]]]
    with pytest.raises(ValueError, match="lut"):
        apply_heatmap_lut(np.ones((2, 2)), np.zeros(10, np.uint32))


def test_a_small_heatmap_is_not_sampled() -> None:
    heatmap = np.random.default_rng(0).random((300, 200)).astype(np.float32)
    assert sample_heatmap(heatmap, 300) is heatmap


@pytest.mark.parametrize("shape", [(2048, 2048), (2500, 2048), (1001, 1500), (7, 1030)])
def test_sampled_cells_tile_the_image_and_take_their_centre(shape: tuple[int, int]) -> None:
    rows, cols = shape
    rr, cc = np.mgrid[0:rows, 0:cols]
    heatmap = (rr * 10_000 + cc).astype(np.float64)  # each value names its pixel
    grid = sample_heatmap(heatmap, 1024)
    n_rows, n_cols = grid.shape
    assert max(n_rows, n_cols) <= 1024
    # Cell (i, j) of the grid stretched over the image covers rows [i*rows/n, (i+1)*rows/n)
    # (as a painter stretches it); the pixel it shows must lie in that cell, at its centre.
    for i in (0, n_rows // 2, n_rows - 1):
        for j in (0, n_cols // 2, n_cols - 1):
            row, col = divmod(int(grid[i, j]), 10_000)
            assert i * rows / n_rows <= row < (i + 1) * rows / n_rows
            assert j * cols / n_cols <= col < (j + 1) * cols / n_cols
            assert abs(row + 0.5 - (i + 0.5) * rows / n_rows) <= 1
            assert abs(col + 0.5 - (j + 0.5) * cols / n_cols) <= 1


def test_a_peak_keeps_its_place_through_sampling() -> None:
    heatmap = np.zeros((2500, 2048), np.float32)
    heatmap[1700:1760, 400:460] = 1.0
    grid = sample_heatmap(heatmap, 1024)
    i, j = np.unravel_index(np.argmax(grid), grid.shape)
    scale_r, scale_c = 2500 / grid.shape[0], 2048 / grid.shape[1]
    # The cell's middle, back in original pixels, is inside the hot block.
    assert 1700 <= (i + 0.5) * scale_r < 1760 and 400 <= (j + 0.5) * scale_c < 460
    with pytest.raises(ValueError, match="max_side"):
        sample_heatmap(heatmap, 0)
