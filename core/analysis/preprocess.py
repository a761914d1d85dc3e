"""Turn the image the viewer shows into a model input, and map results back.

Input is what the viewer displays before VOI (house plan, "The pixel pipeline"):
modality-LUT values, MONOCHROME1 already corrected to MONOCHROME2 sense (bright =
dense), as a 2-D array ``(rows, cols)``. Two recipes, chosen by a manifest's
``input.preprocessing``:

``"xrv"`` — TorchXRayVision's (``xrv.utils.read_xray_dcm`` + ``xrv.datasets``):
    1. ``normalize(values, 2**bits_stored - 1)``: ``(2 * v / maxval - 1) * 1024``,
       so 0 → -1024 and ``maxval`` → +1024 (values outside ``[0, maxval]`` are
       clipped first, where TorchXRayVision would raise);
    2. ``XRayCenterCrop``: the centred square of side ``min(rows, cols)`` starting at
       ``(rows // 2 - side // 2, cols // 2 - side // 2)``;
    3. ``XRayResizer``: ``skimage.transform.resize(img, (1, size, size),
       mode="constant", preserve_range=True)`` — a Gaussian anti-aliasing filter with
       ``sigma = max(0, (factor - 1) / 2)`` (truncated at 4 sigma, zero outside)
       when shrinking, then bilinear sampling at pixel centres
       (``src = (dst + 0.5) * factor - 0.5``, zero outside). Reproduced here with
       numpy, which has no skimage or scipy.
    One channel, float32, shape ``(1, size, size)``.

``"imagenet"`` — values scaled to ``[0, 1]`` by ``2**bits_stored - 1``, the same
    centre crop and resize, then ``(x - mean) / std`` per channel with ImageNet's
    mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225), the grey image
    repeated on every channel (one channel uses the averages 0.449 / 0.226).

Both return the array and a :class:`CropResize` record of the geometry, which maps
model-input (or heatmap) coordinates back onto original pixels:
:meth:`CropResize.model_to_image` for points and :func:`map_heatmap_to_image` for
whole heatmaps. Coordinates are continuous ``(row, col)`` pixel indices: the centre
of pixel ``(i, j)`` is at ``(i, j)``.

No torch here: arrays are numpy (``torch.from_numpy`` takes them as they are).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from core.analysis.manifest import InputSpec

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float32]

#: ImageNet channel statistics (torchvision's ``transforms.Normalize`` values).
IMAGENET_MEAN: tuple[float, float, float] = (0.485, 0.456, 0.406)
IMAGENET_STD: tuple[float, float, float] = (0.229, 0.224, 0.225)

#: TorchXRayVision's input range: ``normalize`` maps ``[0, maxval]`` onto it.
XRV_RANGE: float = 1024.0

_GAUSSIAN_TRUNCATE = 4.0  # scipy.ndimage.gaussian_filter's default, which skimage uses


@dataclass(frozen=True)
class CropResize:
    """How a model input was cut from the original image.

    The model input is the crop ``[top:top + crop_rows, left:left + crop_cols]`` of
    the original, resized to ``output_shape``.

    Attributes
    ----------
    image_shape : (int, int)
        Rows and columns of the original image.
    crop_origin : (int, int)
        Top row and left column of the crop in the original.
    crop_shape : (int, int)
        Rows and columns of the crop.
    output_shape : (int, int)
        Rows and columns of the model input.
    """

    image_shape: tuple[int, int]
    crop_origin: tuple[int, int]
    crop_shape: tuple[int, int]
    output_shape: tuple[int, int]

    def __post_init__(self) -> None:
        for name in ("image_shape", "crop_origin", "crop_shape", "output_shape"):
            value = getattr(self, name)
            if (
                not isinstance(value, tuple)
                or len(value) != 2
                or not all(isinstance(v, int | np.integer) for v in value)
            ):
                raise TypeError(f"{name} must be a (rows, cols) tuple of ints, found {value!r}")
        if min(self.crop_shape) < 1 or min(self.output_shape) < 1:
            raise ValueError(
                f"crop_shape and output_shape must be positive, found {self.crop_shape} "
                f"and {self.output_shape}"
            )
        top, left = self.crop_origin
        if (
            top < 0
            or left < 0
            or top + self.crop_shape[0] > self.image_shape[0]
            or left + self.crop_shape[1] > self.image_shape[1]
        ):
            raise ValueError(
                f"crop {self.crop_shape} at {self.crop_origin} does not fit an image of "
                f"{self.image_shape}"
            )

    @property
    def scale(self) -> tuple[float, float]:
        """Original pixels per model-input pixel, along rows and columns."""
        return (
            self.crop_shape[0] / self.output_shape[0],
            self.crop_shape[1] / self.output_shape[1],
        )

    def model_to_image(
        self, points: npt.ArrayLike, grid_shape: tuple[int, int] | None = None
    ) -> npt.NDArray[np.float64]:
        """Map ``(row, col)`` points from the model input (or a grid over it) to the image.

        Parameters
        ----------
        points : array_like, shape (..., 2)
            Continuous ``(row, col)`` coordinates.
        grid_shape : (int, int), optional
            Shape of the grid the points are on when it is not the model input
            itself, e.g. a 7 x 7 Grad-CAM map covering the whole input.

        Returns
        -------
        numpy.ndarray, shape (..., 2)
            Coordinates in original pixels (float).
        """
        pts = _check_points(points)
        grid = self.output_shape if grid_shape is None else _check_shape("grid_shape", grid_shape)
        out = np.empty_like(pts)
        for axis in (0, 1):
            step = self.crop_shape[axis] / grid[axis]
            out[..., axis] = self.crop_origin[axis] + (pts[..., axis] + 0.5) * step - 0.5
        return out

    def image_to_model(
        self, points: npt.ArrayLike, grid_shape: tuple[int, int] | None = None
    ) -> npt.NDArray[np.float64]:
        """Inverse of :meth:`model_to_image` (points outside the crop fall outside the grid)."""
        pts = _check_points(points)
        grid = self.output_shape if grid_shape is None else _check_shape("grid_shape", grid_shape)
        out = np.empty_like(pts)
        for axis in (0, 1):
            step = self.crop_shape[axis] / grid[axis]
            out[..., axis] = (pts[..., axis] - self.crop_origin[axis] + 0.5) / step - 0.5
        return out


def _check_points(points: npt.ArrayLike) -> npt.NDArray[np.float64]:
    pts = np.asarray(points, dtype=np.float64)
    if pts.ndim < 1 or pts.shape[-1] != 2:
        raise ValueError(f"points must have shape (..., 2), found {pts.shape}")
    return pts


def _check_shape(name: str, shape: object) -> tuple[int, int]:
    if (
        not isinstance(shape, tuple | list)
        or len(shape) != 2
        or not all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in shape)
    ):
        raise TypeError(f"{name} must be a (rows, cols) pair of ints, found {shape!r}")
    if min(shape) < 1:
        raise ValueError(f"{name} must be positive, found {tuple(shape)}")
    return int(shape[0]), int(shape[1])


def _check_values(values: object) -> npt.NDArray[np.generic]:
    if not isinstance(values, np.ndarray):
        raise TypeError(f"values must be a numpy array, found {type(values).__name__}")
    if values.dtype.kind not in "biuf":
        raise TypeError(f"values must be numeric, found dtype {values.dtype}")
    array: npt.NDArray[np.generic] = values
    if array.ndim == 3 and array.shape[-1] in (3, 4):
        # TorchXRayVision's readers average colour channels into one grey image.
        array = array[..., :3].mean(axis=-1, dtype=np.float32)
    if array.ndim != 2:
        raise ValueError(f"values must be a 2-D image (rows, cols), found shape {values.shape}")
    if min(array.shape) < 1:
        raise ValueError(f"values must not be empty, found shape {values.shape}")
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        raise ValueError("values contain NaN or infinity")
    return array


def _check_bits_stored(bits_stored: object) -> int:
    if isinstance(bits_stored, bool) or not isinstance(bits_stored, int | np.integer):
        raise TypeError(f"bits_stored must be an int, found {type(bits_stored).__name__}")
    if not 1 <= bits_stored <= 32:
        raise ValueError(f"bits_stored must be 1..32 (PS3.3 C.7.6.3.1.3), found {bits_stored}")
    return int(bits_stored)


def _check_size(size: object) -> tuple[int, int]:
    if isinstance(size, int | np.integer) and not isinstance(size, bool):
        if size < 1:
            raise ValueError(f"size must be positive, found {size}")
        return int(size), int(size)
    return _check_shape("size", size)


def apply_xrv_normalization(values: npt.ArrayLike, bits_stored: int) -> FloatArray:
    """Scale values to TorchXRayVision's ``[-1024, 1024]`` (``xrv.datasets.normalize``).

    ``maxval = 2**bits_stored - 1`` as in ``xrv.utils.read_xray_dcm``; the result is
    ``(2 * v / maxval - 1) * 1024`` after clipping ``v`` to ``[0, maxval]``.

    Parameters
    ----------
    values : array_like
        Modality-LUT values, MONOCHROME1 corrected.
    bits_stored : int
        Bits Stored (0028,0101) of the image (PS3.3 C.7.6.3.1.3).

    Returns
    -------
    numpy.ndarray of float32, same shape.
    """
    bits = _check_bits_stored(bits_stored)
    maxval = float(2**bits - 1)
    array = np.asarray(values)
    low, high = (float(array.min()), float(array.max())) if array.size else (0.0, 0.0)
    scaled = array.astype(np.float32)  # a copy: the caller's values stay untouched
    if low < 0 or high > maxval:
        # A Rescale Intercept can push values past Bits Stored; xrv would raise here.
        logger.warning(
            "values span [%g, %g], outside [0, %g] for %d bits stored; clipped",
            low,
            high,
            maxval,
            bits,
        )
        np.clip(scaled, 0.0, maxval, out=scaled)
    scaled *= np.float32(2.0 / maxval)
    scaled -= np.float32(1.0)
    scaled *= np.float32(XRV_RANGE)
    return scaled


def find_center_crop(image_shape: tuple[int, int]) -> tuple[tuple[int, int], tuple[int, int]]:
    """The centred square ``XRayCenterCrop`` takes: ``((top, left), (side, side))``."""
    rows, cols = _check_shape("image_shape", image_shape)
    side = min(rows, cols)
    return (rows // 2 - side // 2, cols // 2 - side // 2), (side, side)


@functools.lru_cache(maxsize=16)
def _resize_matrix(n_in: int, n_out: int) -> npt.NDArray[np.float32]:
    """skimage's resize along one axis (anti-alias + linear) as an ``(n_out, n_in)`` matrix.

    Samples falling outside the input weigh 0 (mode "constant" with cval 0). Cached
    (read-only): every image of a series has the same size.
    """
    factor = n_in / n_out
    src = (np.arange(n_out) + 0.5) * factor - 0.5
    base = np.floor(src).astype(np.intp)
    frac = src - base
    idx = np.stack([base, base + 1], axis=1)
    weights = np.stack([1.0 - frac, frac], axis=1)
    sigma = max(0.0, (factor - 1.0) / 2.0)
    if sigma > 1e-15:  # scipy.ndimage filters only axes with a positive sigma
        radius = int(_GAUSSIAN_TRUNCATE * sigma + 0.5)
        offsets = np.arange(-radius, radius + 1)
        kernel = np.exp(-0.5 * offsets**2 / sigma**2)
        kernel /= kernel.sum()
        # The filtered image is zero outside the input too: drop linear taps outside
        # before spreading each over the Gaussian kernel.
        weights = np.where((idx >= 0) & (idx < n_in), weights, 0.0)
        idx = (idx[:, :, None] + offsets[None, None, :]).reshape(n_out, -1)
        weights = (weights[:, :, None] * kernel[None, None, :]).reshape(n_out, -1)
    valid = (idx >= 0) & (idx < n_in)
    matrix = np.zeros((n_out, n_in), dtype=np.float64)
    rows = np.arange(n_out)
    for k in range(idx.shape[1]):  # one index per row for each k: no colliding writes
        matrix[rows[valid[:, k]], idx[valid[:, k], k]] += weights[valid[:, k], k]
    single = matrix.astype(np.float32)
    single.flags.writeable = False
    return single


def _apply_banded(matrix: npt.NDArray[np.float32], image: npt.NDArray[Any]) -> FloatArray:
    """``matrix @ image`` using only the non-zero band of each row of ``matrix``."""
    nonzero = matrix != 0
    lo = nonzero.argmax(axis=1)
    hi = matrix.shape[1] - nonzero[:, ::-1].argmax(axis=1)
    if int((hi - lo).max()) * 4 > matrix.shape[1]:
        return np.asarray(matrix @ image, dtype=np.float32)
    out = np.empty((matrix.shape[0], image.shape[1]), dtype=np.float32)
    for row, (start, stop) in enumerate(zip(lo.tolist(), hi.tolist(), strict=True)):
        out[row] = matrix[row, start:stop] @ image[start:stop]
    return out


def _apply_separable(
    image: npt.NDArray[Any],
    rows: npt.NDArray[np.float32],
    cols: npt.NDArray[np.float32],
) -> FloatArray:
    # rows @ image @ cols.T, banded both ways: each output pixel reads only its taps.
    first = _apply_banded(rows, image)
    return _apply_banded(cols, first.T).T


def apply_resize(image: npt.ArrayLike, output_shape: tuple[int, int]) -> FloatArray:
    """Resize like ``skimage.transform.resize(..., mode="constant", preserve_range=True)``.

    Gaussian anti-aliasing (``sigma = (factor - 1) / 2``) when shrinking, then
    bilinear sampling at pixel centres, zero outside the image. Computed in float32.

    Parameters
    ----------
    image : array_like, shape (rows, cols)
    output_shape : (int, int)

    Returns
    -------
    numpy.ndarray of float32, shape ``output_shape``.
    """
    array = np.asarray(image)
    if array.dtype.kind not in "fiub":
        raise TypeError(f"image must be numeric, found dtype {array.dtype}")
    if array.ndim != 2 or min(array.shape) < 1:
        raise ValueError(f"image must be a non-empty 2-D array, found shape {array.shape}")
    out_rows, out_cols = _check_shape("output_shape", output_shape)
    if (out_rows, out_cols) == array.shape:
        return array.astype(np.float32)
    rows = _resize_matrix(array.shape[0], out_rows)
    cols = _resize_matrix(array.shape[1], out_cols)
    return np.ascontiguousarray(_apply_separable(array, rows, cols))


def _crop_and_resize(
    image: npt.NDArray[np.generic],
    size: tuple[int, int],
    transform: Callable[[npt.NDArray[np.generic]], FloatArray] | None,
) -> tuple[FloatArray, CropResize]:
    origin, crop = find_center_crop((image.shape[0], image.shape[1]))
    cropped = image[origin[0] : origin[0] + crop[0], origin[1] : origin[1] + crop[1]]
    geometry = CropResize(
        image_shape=(int(image.shape[0]), int(image.shape[1])),
        crop_origin=origin,
        crop_shape=crop,
        output_shape=size,
    )
    # Pointwise scaling commutes with cropping; doing it on the crop only is cheaper.
    return apply_resize(cropped if transform is None else transform(cropped), size), geometry


def apply_xrv_preprocessing(
    values: npt.NDArray[np.generic], bits_stored: int, size: int | tuple[int, int] = 224
) -> tuple[FloatArray, CropResize]:
    """TorchXRayVision's preprocessing: normalise, centre crop, resize, one channel.

    Parameters
    ----------
    values : numpy.ndarray, shape (rows, cols)
        Modality-LUT values, MONOCHROME1 corrected (an RGB ``(rows, cols, 3)`` image
        is averaged to grey, as TorchXRayVision's readers do).
    bits_stored : int
        Bits Stored (0028,0101); ``2**bits_stored - 1`` maps to +1024.
    size : int or (int, int), optional
        Model input side (224 for ``densenet121-res224-*``, 512 for ``resnet50-res512-all``).

    Returns
    -------
    tensor : numpy.ndarray of float32, shape (1, size, size)
        Values in ``[-1024, 1024]``.
    geometry : CropResize
        Maps model-input coordinates back to ``values``' pixels.
    """
    image = _check_values(values)
    bits = _check_bits_stored(bits_stored)
    shape = _check_size(size)
    maxval = 2**bits - 1
    if image.ndim == 2 and image.size and image.min() >= 0 and image.max() <= maxval:
        # Normalisation is affine and resizing linear, so resize the raw values and
        # normalise the small result: a * resize(v) + b * resize(1) is exactly
        # resize(a * v + b), for a fraction of the work on a large radiograph.
        resized, geometry = _crop_and_resize(image, shape, None)
        a = np.float32(2.0 * XRV_RANGE / maxval)
        rows = _resize_matrix(geometry.crop_shape[0], shape[0])
        cols = _resize_matrix(geometry.crop_shape[1], shape[1])
        ones = np.outer(rows.sum(axis=1), cols.sum(axis=1)).astype(np.float32)
        resized *= a
        resized -= np.float32(XRV_RANGE) * ones
    else:
        resized, geometry = _crop_and_resize(
            image, shape, lambda crop: apply_xrv_normalization(crop, bits)
        )
    return resized[None, :, :], geometry


def apply_imagenet_preprocessing(
    values: npt.NDArray[np.generic],
    bits_stored: int,
    size: int | tuple[int, int] = 224,
    channels: int = 3,
) -> tuple[FloatArray, CropResize]:
    """ImageNet preprocessing: scale to [0, 1], centre crop, resize, standardise.

    Parameters
    ----------
    values : numpy.ndarray, shape (rows, cols)
        Modality-LUT values, MONOCHROME1 corrected.
    bits_stored : int
        Bits Stored (0028,0101); ``2**bits_stored - 1`` maps to 1.0 (values are clipped
        to ``[0, 2**bits_stored - 1]``).
    size : int or (int, int), optional
        Model input side.
    channels : {1, 3}, optional
        Channels of the result (the grey image repeated).

    Returns
    -------
    tensor : numpy.ndarray of float32, shape (channels, size, size)
    geometry : CropResize
    """
    image = _check_values(values)
    bits = _check_bits_stored(bits_stored)
    shape = _check_size(size)
    if isinstance(channels, bool) or not isinstance(channels, int):
        raise TypeError(f"channels must be an int, found {type(channels).__name__}")
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 or 3 for ImageNet preprocessing, found {channels}")
    maxval = float(2**bits - 1)
    resized, geometry = _crop_and_resize(
        image, shape, lambda crop: (np.clip(crop, 0, maxval) / maxval).astype(np.float32)
    )
    if channels == 1:
        mean = np.array([np.mean(IMAGENET_MEAN)])
        std = np.array([np.mean(IMAGENET_STD)])
    else:
        mean, std = np.array(IMAGENET_MEAN), np.array(IMAGENET_STD)
    stacked = (resized[None, :, :] - mean[:, None, None]) / std[:, None, None]
    return stacked.astype(np.float32), geometry


def apply_preprocessing(
    values: npt.NDArray[np.generic], bits_stored: int, spec: InputSpec
) -> tuple[FloatArray, CropResize]:
    """Preprocess as a manifest's ``input`` says (``"xrv"`` or ``"imagenet"``).

    Returns
    -------
    tensor : numpy.ndarray of float32, shape (channels, size, size)
    geometry : CropResize
    """
    if spec.crop != "center":
        raise ValueError(f"only centre cropping is implemented, found crop {spec.crop!r}")
    if spec.preprocessing == "xrv":
        tensor, geometry = apply_xrv_preprocessing(values, bits_stored, spec.size)
        if spec.channels != 1:
            tensor = np.repeat(tensor, spec.channels, axis=0)
        return tensor, geometry
    if spec.preprocessing == "imagenet":
        return apply_imagenet_preprocessing(values, bits_stored, spec.size, spec.channels)
    raise ValueError(f"unknown preprocessing {spec.preprocessing!r}; known: xrv, imagenet")


def map_heatmap_to_image(
    heatmap: npt.ArrayLike, geometry: CropResize, fill: float = 0.0
) -> FloatArray:
    """Lay a heatmap over the model input back onto the original image's pixels.

    The heatmap may have any resolution (a 7 x 7 Grad-CAM map or a full-size one);
    it is taken to cover the whole model input, hence the crop, and is sampled
    bilinearly at every original pixel centre of the crop (edges held).

    Parameters
    ----------
    heatmap : array_like, shape (h, w)
    geometry : CropResize
        From the preprocessing that produced the model input.
    fill : float, optional
        Value for original pixels outside the crop.

    Returns
    -------
    numpy.ndarray of float32, shape ``geometry.image_shape``.
    """
    if not isinstance(geometry, CropResize):
        raise TypeError(f"geometry must be a CropResize, found {type(geometry).__name__}")
    grid = np.asarray(heatmap, dtype=np.float64)
    if grid.ndim != 2 or min(grid.shape) < 1:
        raise ValueError(f"heatmap must be a non-empty 2-D array, found shape {grid.shape}")
    matrices = []
    for axis in (0, 1):
        n_grid, n_crop = grid.shape[axis], geometry.crop_shape[axis]
        src = np.clip((np.arange(n_crop) + 0.5) * (n_grid / n_crop) - 0.5, 0.0, n_grid - 1)
        base = np.minimum(np.floor(src).astype(np.intp), n_grid - 1)
        frac = src - base
        matrix = np.zeros((n_crop, n_grid), dtype=np.float64)
        matrix[np.arange(n_crop), base] += 1.0 - frac
        matrix[np.arange(n_crop), np.minimum(base + 1, n_grid - 1)] += frac
        matrices.append(matrix)
    crop = _apply_separable(
        grid.astype(np.float32), matrices[0].astype(np.float32), matrices[1].astype(np.float32)
    )
    out = np.full(geometry.image_shape, fill, dtype=np.float32)
    top, left = geometry.crop_origin
    out[top : top + crop.shape[0], left : left + crop.shape[1]] = crop
    return out
