"""Preprocessing against reference formulas, and the geometry round trip."""

from __future__ import annotations

import logging
import math

import numpy as np
import pytest

from core.analysis.manifest import InputSpec
from core.analysis.preprocess import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    CropResize,
    apply_imagenet_preprocessing,
    apply_preprocessing,
    apply_resize,
    apply_xrv_normalization,
    apply_xrv_preprocessing,
    find_center_crop,
    map_heatmap_to_image,
)

# -- references, written independently from TorchXRayVision's and skimage's definitions --


def reference_normalize(img: np.ndarray, maxval: float) -> np.ndarray:
    """xrv.datasets.normalize."""
    return (2 * (img.astype(np.float32) / maxval) - 1.0) * 1024


def reference_center_crop(img: np.ndarray) -> np.ndarray:
    """xrv.datasets.XRayCenterCrop.crop_center on a (1, y, x) image."""
    _, y, x = img.shape
    crop_size = np.min([y, x])
    startx = x // 2 - (crop_size // 2)
    starty = y // 2 - (crop_size // 2)
    return img[:, starty : starty + crop_size, startx : startx + crop_size]


def reference_resize(img: np.ndarray, out_shape: tuple[int, int]) -> np.ndarray:
    """skimage.transform.resize(img, out_shape, mode="constant", preserve_range=True), order 1.

    scipy.ndimage.gaussian_filter (truncate 4, zero outside) with sigma = max(0, (f - 1) / 2),
    then ndimage.zoom(order=1, mode="grid-constant", grid_mode=True): each output pixel
    centre sampled bilinearly at (o + 0.5) * f - 0.5, zero outside.
    """
    filtered = img.astype(np.float64)
    factors = [img.shape[a] / out_shape[a] for a in (0, 1)]
    for axis, factor in enumerate(factors):
        sigma = max(0.0, (factor - 1) / 2)
        if sigma <= 0:
            continue
        radius = int(4.0 * sigma + 0.5)
        xs = np.arange(-radius, radius + 1)
        kernel = np.exp(-0.5 * xs**2 / sigma**2)
        kernel /= kernel.sum()
        pad = [(radius, radius) if a == axis else (0, 0) for a in (0, 1)]
        padded = np.pad(filtered, pad)
        n = filtered.shape[axis]
        filtered = sum(
            kernel[i] * np.take(padded, range(i, i + n), axis=axis) for i in range(2 * radius + 1)
        )
    out = np.zeros(out_shape)
    rows, cols = filtered.shape
    for r in range(out_shape[0]):
        for c in range(out_shape[1]):
            y = (r + 0.5) * factors[0] - 0.5
            x = (c + 0.5) * factors[1] - 0.5
            y0, x0 = math.floor(y), math.floor(x)
            value = 0.0
            for yy, wy in ((y0, 1 - (y - y0)), (y0 + 1, y - y0)):
                for xx, wx in ((x0, 1 - (x - x0)), (x0 + 1, x - x0)):
                    if 0 <= yy < rows and 0 <= xx < cols:
                        value += wy * wx * filtered[yy, xx]
            out[r, c] = value
    return out


def reference_xrv(values: np.ndarray, bits_stored: int, size: int) -> np.ndarray:
    img = reference_normalize(values, 2**bits_stored - 1)[None, ...]
    img = reference_center_crop(img)
    return reference_resize(img[0], (size, size))[None, ...].astype(np.float32)


# -- normalisation --------------------------------------------------------------


def test_xrv_normalization_matches_the_formula() -> None:
    values = np.array([[0, 1, 2047, 4095]], dtype=np.uint16)
    out = apply_xrv_normalization(values, 12)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, reference_normalize(values, 4095), atol=1e-3)
    assert out[0, 0] == -1024.0 and out[0, 3] == 1024.0


def test_xrv_normalization_clips_out_of_range_values(caplog: pytest.LogCaptureFixture) -> None:
    values = np.array([[-50.0, 300.0, 100.0]])
    with caplog.at_level(logging.WARNING, logger="core.analysis.preprocess"):
        out = apply_xrv_normalization(values, 8)
    np.testing.assert_allclose(out, [[-1024.0, 1024.0, (2 * 100 / 255 - 1) * 1024]], atol=1e-3)
    assert "clipped" in caplog.text
    assert values[0, 0] == -50.0  # the caller's array is untouched


# -- crop and resize ------------------------------------------------------------


@pytest.mark.parametrize(
    ("shape", "origin", "crop"),
    [
        ((5, 8), (0, 2), (5, 5)),
        ((8, 5), (2, 0), (5, 5)),
        ((7, 10), (0, 2), (7, 7)),
        ((6, 6), (0, 0), (6, 6)),
    ],
)
def test_center_crop_matches_xrv(
    shape: tuple[int, int], origin: tuple[int, int], crop: tuple[int, int]
) -> None:
    assert find_center_crop(shape) == (origin, crop)
    img = np.arange(shape[0] * shape[1]).reshape(1, *shape)
    expected = reference_center_crop(img)[0]
    top, left = origin
    np.testing.assert_array_equal(img[0, top : top + crop[0], left : left + crop[1]], expected)


@pytest.mark.parametrize(
    ("in_shape", "out_shape"),
    [((37, 53), (16, 20)), ((64, 64), (16, 16)), ((10, 12), (24, 17)), ((50, 9), (13, 30))],
)
def test_resize_matches_skimage_reference(
    in_shape: tuple[int, int], out_shape: tuple[int, int]
) -> None:
    img = np.random.default_rng(7).normal(100.0, 40.0, in_shape)
    np.testing.assert_allclose(
        apply_resize(img, out_shape), reference_resize(img, out_shape), atol=2e-3
    )


def test_resize_keeps_a_constant_interior_and_darkens_only_the_edges() -> None:
    # mode="constant" blends the border with zeros, as TorchXRayVision's resizer does.
    out = apply_resize(np.full((200, 200), 500.0), (20, 20))
    np.testing.assert_allclose(out[5:15, 5:15], 500.0, rtol=1e-5)
    assert out[0, 0] < 400.0


def test_resize_to_the_same_shape_is_identity() -> None:
    img = np.random.default_rng(1).random((9, 9))
    np.testing.assert_allclose(apply_resize(img, (9, 9)), img, rtol=1e-6)


def test_xrv_preprocessing_matches_the_reference_pipeline() -> None:
    rng = np.random.default_rng(3)
    values = rng.integers(0, 4096, (90, 130)).astype(np.uint16)
    tensor, geometry = apply_xrv_preprocessing(values, 12, 32)
    assert tensor.shape == (1, 32, 32) and tensor.dtype == np.float32
    np.testing.assert_allclose(tensor, reference_xrv(values, 12, 32), atol=5e-3)
    assert geometry == CropResize((90, 130), (0, 20), (90, 90), (32, 32))
    assert tensor.min() >= -1024.0 and tensor.max() <= 1024.0


def test_xrv_preprocessing_resizes_first_only_where_that_is_exact() -> None:
    # In range: resize, then normalise (linearity); out of range: clip first, as xrv does.
    rng = np.random.default_rng(4)
    inside = rng.integers(0, 4096, (70, 50)).astype(np.int32)
    outside = inside.copy()
    outside[:10] += 3000  # past 2**12 - 1: clipped before resizing
    for values in (inside, outside):
        tensor, _ = apply_xrv_preprocessing(values, 12, 20)
        np.testing.assert_allclose(tensor, reference_xrv(values, 12, 20), atol=5e-3)


def test_xrv_preprocessing_of_a_real_sized_radiograph_is_fast_enough() -> None:
    values = np.random.default_rng(0).integers(0, 4096, (1200, 1000)).astype(np.uint16)
    tensor, geometry = apply_xrv_preprocessing(values, 12, 224)
    assert tensor.shape == (1, 224, 224)
    assert geometry.crop_origin == (100, 0)
    assert abs(float(tensor[0, 100:120, 100:120].mean())) < 30.0  # uniform noise averages to ~0


def test_rgb_values_are_averaged_to_grey() -> None:
    grey = np.random.default_rng(2).integers(0, 256, (40, 40)).astype(np.float64)
    rgb = np.stack([grey - 10, grey, grey + 10], axis=-1).clip(0, 255)
    tensor_rgb, _ = apply_xrv_preprocessing(rgb, 8, 20)
    tensor_grey, _ = apply_xrv_preprocessing(rgb.mean(axis=-1), 8, 20)
    np.testing.assert_allclose(tensor_rgb, tensor_grey, atol=1e-3)


def test_imagenet_preprocessing_standardises_each_channel() -> None:
    values = np.full((50, 50), 2048, dtype=np.uint16)
    tensor, geometry = apply_imagenet_preprocessing(values, 12, 50)
    assert tensor.shape == (3, 50, 50) and tensor.dtype == np.float32
    x = 2048 / 4095
    for c in range(3):
        np.testing.assert_allclose(tensor[c], (x - IMAGENET_MEAN[c]) / IMAGENET_STD[c], rtol=1e-5)
    assert geometry.output_shape == (50, 50)
    one, _ = apply_imagenet_preprocessing(values, 12, 50, channels=1)
    assert one.shape == (1, 50, 50)
    np.testing.assert_allclose(one[0, 25, 25], (x - 0.449) / 0.226, rtol=1e-3)


def test_apply_preprocessing_follows_the_input_spec() -> None:
    values = np.random.default_rng(5).integers(0, 1024, (40, 60)).astype(np.uint16)
    xrv, geometry = apply_preprocessing(
        values, 10, InputSpec(size=16, channels=1, preprocessing="xrv")
    )
    np.testing.assert_allclose(xrv, apply_xrv_preprocessing(values, 10, 16)[0])
    three, _ = apply_preprocessing(values, 10, InputSpec(size=16, channels=3, preprocessing="xrv"))
    assert three.shape == (3, 16, 16) and np.array_equal(three[2], xrv[0])
    net, _ = apply_preprocessing(
        values, 10, InputSpec(size=16, channels=3, preprocessing="imagenet")
    )
    assert net.shape == (3, 16, 16)
    assert geometry.crop_origin == (0, 10)


@pytest.mark.parametrize(
    ("values", "bits", "size", "error"),
    [
        ([[1, 2], [3, 4]], 12, 8, TypeError),
        (np.zeros(5), 12, 8, ValueError),
        (np.zeros((2, 3, 5)), 12, 8, ValueError),
        (np.array([[np.nan, 1.0]]), 12, 8, ValueError),
        (np.zeros((4, 4), dtype=np.complex64), 12, 8, TypeError),
        (np.zeros((4, 4)), 0, 8, ValueError),
        (np.zeros((4, 4)), 12.0, 8, TypeError),
        (np.zeros((4, 4)), 12, 0, ValueError),
    ],
)
def test_bad_input_is_refused(values: object, bits: object, size: object, error: type) -> None:
    with pytest.raises(error):
        apply_xrv_preprocessing(values, bits, size)  # type: ignore[arg-type]


# -- geometry -------------------------------------------------------------------


def test_model_coordinates_map_to_original_pixels() -> None:
    geometry = CropResize((300, 400), (0, 50), (300, 300), (100, 100))
    assert geometry.scale == (3.0, 3.0)
    # Model pixel (0, 0) covers original rows/cols 0..3 of the crop: centre at 1.0.
    np.testing.assert_allclose(geometry.model_to_image([0, 0]), [1.0, 51.0])
    np.testing.assert_allclose(geometry.model_to_image([49.5, 49.5]), [149.5, 199.5])
    # A 7 x 7 heatmap cell (3, 3) is the centre of the crop as well.
    np.testing.assert_allclose(geometry.model_to_image([3, 3], grid_shape=(7, 7)), [149.5, 199.5])


def test_coordinates_round_trip() -> None:
    geometry = CropResize((517, 300), (108, 0), (300, 300), (224, 224))
    points = np.random.default_rng(0).uniform(0, 300, (50, 2)) + np.array([108, 0])
    back = geometry.model_to_image(geometry.image_to_model(points))
    np.testing.assert_allclose(back, points, atol=1e-9)
    grid = geometry.image_to_model(points, grid_shape=(7, 7))
    np.testing.assert_allclose(geometry.model_to_image(grid, grid_shape=(7, 7)), points, atol=1e-9)


def test_crop_resize_validates_itself() -> None:
    with pytest.raises(ValueError, match="does not fit"):
        CropResize((10, 10), (5, 0), (10, 10), (4, 4))
    with pytest.raises(TypeError):
        CropResize((10, 10), (0, 0), (10, 10), (4.0, 4))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"\(\.\.\., 2\)"):
        CropResize((10, 10), (0, 0), (10, 10), (4, 4)).model_to_image([1, 2, 3])


def test_heatmap_maps_onto_the_crop_and_fills_the_rest() -> None:
    geometry = CropResize((60, 80), (0, 10), (60, 60), (30, 30))
    mapped = map_heatmap_to_image(np.full((7, 7), 0.75), geometry, fill=-1.0)
    assert mapped.shape == (60, 80) and mapped.dtype == np.float32
    np.testing.assert_allclose(mapped[:, 10:70], 0.75, rtol=1e-6)
    assert (mapped[:, :10] == -1.0).all() and (mapped[:, 70:] == -1.0).all()


def test_heatmap_peak_lands_where_the_cell_is() -> None:
    geometry = CropResize((300, 400), (0, 50), (300, 300), (224, 224))
    heat = np.zeros((7, 7))
    heat[1, 5] = 1.0
    mapped = map_heatmap_to_image(heat, geometry)
    peak = np.unravel_index(np.argmax(mapped), mapped.shape)
    expected = geometry.model_to_image([1, 5], grid_shape=(7, 7))
    assert abs(peak[0] - expected[0]) <= 1.0 and abs(peak[1] - expected[1]) <= 1.0
    assert mapped.max() == pytest.approx(1.0, abs=0.02)


def _centroid(image: np.ndarray) -> tuple[float, float]:
    """Centre of the pixels above half the maximum (a flat disc has no single argmax)."""
    rows, cols = np.nonzero(image > (image.max() + np.median(image)) / 2)
    return float(rows.mean()), float(cols.mean())


def test_a_bright_disc_round_trips_through_preprocessing() -> None:
    rows, cols = np.mgrid[0:300, 0:400]
    centre = (120.0, 300.0)
    values = np.full((300, 400), 500, dtype=np.uint16)
    values[(rows - centre[0]) ** 2 + (cols - centre[1]) ** 2 <= 15**2] = 3500
    tensor, geometry = apply_xrv_preprocessing(values, 12, 64)
    np.testing.assert_allclose(geometry.image_to_model(centre), _centroid(tensor[0]), atol=0.3)
    mapped = map_heatmap_to_image(tensor[0], geometry, fill=-2000.0)
    assert math.dist(_centroid(mapped), centre) <= 1.0
    assert (mapped[:, :50] == -2000.0).all()  # left of the centred square


def test_heatmap_input_is_validated() -> None:
    geometry = CropResize((10, 10), (0, 0), (10, 10), (5, 5))
    with pytest.raises(ValueError):
        map_heatmap_to_image(np.zeros(5), geometry)
    with pytest.raises(TypeError):
        map_heatmap_to_image(np.zeros((5, 5)), (10, 10))  # type: ignore[arg-type]
