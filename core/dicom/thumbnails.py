"""Thumbnails of series, made in the background (a job; see :mod:`core.jobs`).

:func:`thumbnail_job` renders one frame per series — the middle one in display
order (:func:`core.dicom.geometry.compute_geometry`) — through the display
pipeline with the file's first VOI preset (:func:`core.dicom.pixels.render_frame`)
and scales it to fit a square of ``size`` pixels, keeping the physical aspect
ratio (pixel spacing included). It reads one frame per series: for uncompressed
multi-frame files only that frame's bytes are read.

Uncompressed pixel data is decoded with numpy on the calling thread (desktop runs
the job on its thread pool); anything that needs a native decoder goes through
:func:`core.dicom.isolated_read.run_decoder`, so a decoder crash costs one thumbnail.
A series that cannot be shown yields a :class:`ThumbnailFailed` with the reason.
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Sequence
from typing import Any, Final, NamedTuple

import numpy as np
import numpy.typing as npt

from core.dicom.geometry import compute_geometry
from core.dicom.isolated_read import run_decoder
from core.dicom.limits import expected_pixel_bytes, read_dataset_bounded
from core.dicom.records import FrameRef, GeometryProblem, SeriesGeometry, SeriesRecord
from core.errors import DicomError, PixelDataError, redact_values
from core.jobs import CancelToken

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_SIZE",
    "SeriesChecked",
    "Thumbnail",
    "ThumbnailFailed",
    "apply_thumbnail_scale",
    "thumbnail_job",
]

DEFAULT_SIZE: Final = 96
_MIN_SIZE: Final = 8
_MAX_SIZE: Final = 1024

#: Pixel data these transfer syntaxes hold is decoded by numpy/zlib, not a native codec.
_IN_PROCESS_SYNTAXES: Final = frozenset(
    {
        "1.2.840.10008.1.2",  # Implicit VR Little Endian
        "1.2.840.10008.1.2.1",  # Explicit VR Little Endian
        "1.2.840.10008.1.2.1.99",  # Deflated Explicit VR Little Endian
        "1.2.840.10008.1.2.2",  # Explicit VR Big Endian
    }
)
_LITTLE_ENDIAN_NATIVE: Final = frozenset({"1.2.840.10008.1.2", "1.2.840.10008.1.2.1"})


class Thumbnail(NamedTuple):
    """A series' thumbnail: ``(series_key, image)``.

    ``image`` is uint8, ``(h, w)`` grey or ``(h, w, 3)`` RGB, with
    ``max(h, w) == size``.
    """

    series_key: str
    image: npt.NDArray[np.uint8]


class ThumbnailFailed(NamedTuple):
    """A series whose thumbnail could not be made, and why (no patient data).

    ``error_type`` names the exception class (``"PixelDataError"``...);
    ``source`` is the file the problem is in, when known.
    """

    series_key: str
    reason: str
    error_type: str
    source: str = ""


class SeriesChecked(NamedTuple):
    """The geometry of a series was worked out (yielded when ``report_geometry`` is set).

    ``problems`` are those of :func:`core.dicom.geometry.compute_geometry`;
    ``ordered_by`` says how its frames are ordered for display.
    """

    series_key: str
    problems: tuple[GeometryProblem, ...]
    ordered_by: str


class _Task(NamedTuple):
    """What a worker needs to make one thumbnail (picklable)."""

    frame: FrameRef
    size: int
    aspect: float  # physical height / width of the image


def apply_thumbnail_scale(image: npt.NDArray[Any], size: int, aspect: float | None = None) -> Any:
    """Scale a rendered uint8 image to fit ``size``×``size``, keeping its aspect ratio.

    Parameters
    ----------
    image : numpy.ndarray
        uint8 ``(rows, columns)`` or ``(rows, columns, 3)``.
    size : int
        The longer side of the result, 8..1024.
    aspect : float, optional
        Physical height / width (rows × row spacing / columns × column spacing);
        ``rows / columns`` when None.

    Returns
    -------
    numpy.ndarray
        uint8, same number of channels. Reductions average (Lanczos after a box
        reduction), so thin bright structures do not alias away.

    Raises
    ------
    TypeError
        When ``image`` is not a uint8 array or ``size`` not an int.
    ValueError
        When the shape, ``size`` or ``aspect`` is out of range.
    """
    from PIL import Image

    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        found = image.dtype if isinstance(image, np.ndarray) else type(image).__name__
        raise TypeError(f"image must be a uint8 numpy array, found {found}")
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] != 3) or 0 in image.shape:
        raise ValueError(
            f"image must be (rows, columns) or (rows, columns, 3), found {image.shape}"
        )
    size = _check_size(size)
    rows, columns = image.shape[:2]
    if aspect is None:
        aspect = rows / columns
    if not (isinstance(aspect, int | float) and np.isfinite(aspect) and aspect > 0):
        raise ValueError(f"aspect must be a positive number, found {aspect!r}")
    if aspect >= 1:
        height, width = size, max(1, round(size / aspect))
    else:
        height, width = max(1, round(size * aspect)), size
    if (height, width) == (rows, columns):
        return image.copy()
    picture = Image.fromarray(np.ascontiguousarray(image), mode="L" if image.ndim == 2 else "RGB")
    scaled = picture.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=2.0)
    return np.asarray(scaled, dtype=np.uint8).copy()


def _check_size(size: Any) -> int:
    if isinstance(size, bool) or not isinstance(size, int | np.integer):
        raise TypeError(f"size must be an int, found {type(size).__name__}")
    if not _MIN_SIZE <= size <= _MAX_SIZE:
        raise ValueError(f"size must be {_MIN_SIZE}..{_MAX_SIZE} pixels, found {size}")
    return int(size)


def thumbnail_job(
    series_list: Sequence[SeriesRecord],
    size: int = DEFAULT_SIZE,
    token: CancelToken | None = None,
    *,
    report_geometry: bool = False,
) -> Generator[Thumbnail | ThumbnailFailed | SeriesChecked, None, int]:
    """Make a thumbnail per series (a job).

    Parameters
    ----------
    series_list : list or tuple of SeriesRecord
        The series, e.g. ``index.all_series()``.
    size : int, optional
        Longer side of each thumbnail in pixels, 8..1024 (default 96).
    token : CancelToken, optional
        Checked between series; :class:`~core.errors.CancelledError` is raised
        when it is set.
    report_geometry : bool, optional
        Also yield a :class:`SeriesChecked` per series (before its thumbnail),
        since the display order has to be worked out anyway.

    Yields
    ------
    Thumbnail or ThumbnailFailed
        One per series: uncompressed series first, in the order given, then
        those that need a decoder as they finish.
    SeriesChecked
        Only with ``report_geometry``.

    Returns
    -------
    int
        How many thumbnails were made.

    Raises
    ------
    TypeError, ValueError
        A bad argument (checked before anything is read).
    """
    if not isinstance(series_list, list | tuple):
        raise TypeError(
            "series_list must be a list or tuple of SeriesRecord, "
            f"found {type(series_list).__name__}"
        )
    for series in series_list:
        if not isinstance(series, SeriesRecord):
            raise TypeError(f"series_list must hold SeriesRecord, found {type(series).__name__}")
    size = _check_size(size)
    token = token or CancelToken()

    made = 0
    isolated: list[tuple[str, _Task]] = []
    for series in series_list:
        token.raise_if_cancelled()
        try:
            task, geometry = _plan(series, size)
        except Exception as error:
            yield _failed(series.key, error)
            continue
        if report_geometry:
            yield SeriesChecked(series.key, geometry.problems, geometry.ordered_by)
        if task.frame.instance.transfer_syntax_uid not in _IN_PROCESS_SYNTAXES:
            isolated.append((series.key, task))
            continue
        try:
            image = _render_task(task)
        except Exception as error:
            yield _failed(series.key, error)
            continue
        made += 1
        yield Thumbnail(series.key, image)

    if isolated:
        tasks = [task for _, task in isolated]
        # Whatever a decoder raises -- a native panic included -- comes back as one line.
        for outcome in run_decoder(
            _render_task, tasks, token, describe=lambda t: t.frame.instance.ref.display_name
        ):
            key = isolated[outcome.index][0]
            if outcome.error is not None or outcome.result is None:
                yield _failed(key, outcome.error or PixelDataError(key, "no image came back"))
            else:
                made += 1
                yield Thumbnail(key, outcome.result)
    failed = len(series_list) - made
    if failed:
        logger.info("thumbnails: %d made, %d failed", made, failed)
    return made


def _plan(series: SeriesRecord, size: int) -> tuple[_Task, SeriesGeometry]:
    """The middle frame in display order and the physical aspect ratio."""

    geometry = compute_geometry(series)
    frame = geometry.frames[len(geometry.frames) // 2]
    inst = frame.instance
    if inst.rows <= 0 or inst.columns <= 0:
        raise PixelDataError(
            inst.ref.display_name, f"the image is {inst.rows}x{inst.columns} pixels"
        )
    aspect = inst.rows / inst.columns
    spacing = geometry.pixel_spacing
    if spacing is not None and spacing[0] > 0 and spacing[1] > 0:
        ratio = spacing[0] / spacing[1]
        # A wild ratio is a broken header, not a real pixel shape; ignore it.
        if 0.1 <= ratio <= 10:
            aspect *= ratio
    return _Task(frame, size, aspect), geometry


def _failed(key: str, error: BaseException) -> ThumbnailFailed:
    if isinstance(error, DicomError):
        return ThumbnailFailed(key, error.reason, type(error).__name__, error.source)
    first = redact_values(str(error).strip().split("\n", 1)[0])[:300]
    return ThumbnailFailed(key, first or type(error).__name__, type(error).__name__)


def _render_task(task: _Task) -> npt.NDArray[np.uint8]:
    """Read, render and scale one frame (also runs in worker processes).

    Raises
    ------
    core.errors.DicomError
        The file cannot be read or its pixels decoded; the message names the file.
    """
    # lazy: not on the window's start-up path
    from core.dicom.headers import quiet_pydicom as _quiet_pydicom
    from core.dicom.pixels import render_frame  # lazy: not on the window's start-up path

    ref = task.frame
    inst = ref.instance
    source = inst.ref.display_name
    try:
        with _quiet_pydicom():
            if _can_read_one_frame(ref):
                ds = _read_single_frame(ref)
                rendered = render_frame(ds, 0, source=source)
            else:
                with inst.ref.open() as stream:
                    ds = read_dataset_bounded(stream, source=source)
                rendered = render_frame(ds, ref.frame, source=source)
    except DicomError:
        raise
    except OSError as error:
        raise PixelDataError(source, f"cannot read the file ({error.strerror})") from None
    except Exception as error:
        raise PixelDataError(source, f"cannot render frame {ref.frame + 1}: {error}") from None
    result: npt.NDArray[np.uint8] = apply_thumbnail_scale(rendered, task.size, task.aspect)
    return result


def _can_read_one_frame(ref: FrameRef) -> bool:
    inst = ref.instance
    return (
        inst.number_of_frames > 1
        and inst.ref.member is None
        and inst.pixel_data_offset is not None
        and inst.transfer_syntax_uid in _LITTLE_ENDIAN_NATIVE
        and inst.bits_allocated in (8, 16, 32)
        and not inst.photometric_interpretation.endswith("_422")
    )


def _read_single_frame(ref: FrameRef) -> Any:
    """The header plus only ``ref``'s frame, as a one-frame dataset."""
    from pydicom import dcmread
    from pydicom.sequence import Sequence as DicomSequence

    inst = ref.instance
    source = inst.ref.display_name
    frame_bytes = expected_pixel_bytes(
        inst.rows, inst.columns, 1, inst.samples_per_pixel, inst.bits_allocated
    )
    assert inst.pixel_data_offset is not None
    with open(inst.ref.path, "rb") as stream:
        ds = dcmread(stream, force=True, stop_before_pixels=True)
        stream.seek(inst.pixel_data_offset + ref.frame * frame_bytes)
        data = stream.read(frame_bytes)
    if len(data) != frame_bytes:
        raise PixelDataError(
            source,
            f"the file ends {len(data)} bytes into frame {ref.frame + 1}; {frame_bytes} expected",
        )
    per_frame = ds.get("PerFrameFunctionalGroupsSequence")
    if per_frame and ref.frame < len(per_frame):
        # Keep the frame's own functional groups (PS3.3 C.7.6.16) as frame 0.
        ds.PerFrameFunctionalGroupsSequence = DicomSequence([per_frame[ref.frame]])
    ds.NumberOfFrames = 1
    ds.PixelData = data
    ds["PixelData"].VR = "OB" if inst.bits_allocated == 8 else "OW"
    return ds
