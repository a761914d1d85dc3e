"""Reading pixels on every headless path through the isolated decoder (house rule 4).

The viewer and the thumbnails decode in the worker processes of
:mod:`core.dicom.workers`; ``render``, ``analyze``, ``draft``, the exports and the
self-test read pixels through this module, so that they do too. Whatever a decoder
does to a worker — a pyo3 ``PanicException`` (a :class:`BaseException`, not an
``Exception``), a ``zlib.error`` from a corrupt deflated stream, a ``RecursionError``
from a sequence nested thousands deep, a :class:`MemoryError` at the worker's memory
ceiling, or the death of the process — comes back as a typed
:class:`~core.errors.DicomError` whose reason is one line, and costs that file only.

:func:`run_decoder` is :func:`~core.dicom.workers.run_isolated` with that guarantee;
:func:`read_display_frame` and :func:`read_analysis_values` are its two everyday uses.
Header-only reads stay in the calling process (:func:`read_header`): they run no
decoder, inflate under the cap of :mod:`core.dicom.limits`, and any failure of theirs
is a :class:`~core.errors.DicomReadError` too.
"""

from __future__ import annotations

import functools
import logging
import struct
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Final, TypeVar, cast

from core.dicom.limits import TOO_LARGE, is_deflated, read_dataset_bounded, read_deflated
from core.errors import (
    DicomError,
    DicomReadError,
    PixelDataError,
    library_reason,
    redact_values,
)
from core.i18n import _

if TYPE_CHECKING:
    import numpy.typing as npt
    from pydicom import Dataset

    from core.analysis.applicability import ImageFacts
    from core.analysis.image import AnalysisImage
    from core.dicom.records import FileRef
    from core.dicom.workers import Outcome
    from core.jobs import CancelToken

logger = logging.getLogger(__name__)

__all__ = [
    "describe_failure",
    "read_analysis_values",
    "read_display_frame",
    "read_header",
    "run_decoder",
]

T = TypeVar("T")
R = TypeVar("R")

#: Longest reason kept from a decoder's message (the first line only).
_REASON_CHARS: Final = 160
_PIXEL_TAGS: Final = frozenset({0x7FE00010, 0x7FE00008, 0x7FE00009})


def describe_failure(error: BaseException) -> str:
    """One line saying why a file could not be read, for any exception a decoder raises.

    Our own errors give their reason; a few native failures are named in words; any
    other gives its type and the first line of its message.
    """
    import zlib

    if isinstance(error, DicomError):
        return _one_line(error.reason)
    text = redact_values(str(error))[:_REASON_CHARS]
    kind = type(error).__name__
    if isinstance(error, MemoryError):
        return _(TOO_LARGE)
    if isinstance(error, RecursionError):
        return "its data elements are nested too deep to read (RecursionError)"
    if isinstance(error, zlib.error):
        return f"the deflated data is corrupt (zlib: {text})" if text else "corrupt deflate data"
    if kind == "PanicException":  # pyo3: a decoder written in Rust panicked
        return f"the decoder failed on this file (panic: {text})" if text else "decoder panic"
    if isinstance(error, EOFError | struct.error):
        return "the file ends inside a data element (truncated)"
    return library_reason(error, _REASON_CHARS)


def _one_line(text: str) -> str:
    return " ".join(text.split())


class _WorkerError(Exception):
    """What crossed back from a worker: the reason, already one line (always picklable)."""

    def __init__(self, reason: str, read_error: bool = False) -> None:
        super().__init__(reason, read_error)
        self.reason = reason
        self.read_error = read_error


def _guarded(fn: Callable[[T], R], item: T) -> R:
    """Worker side: run ``fn``; any failure, BaseException included, becomes picklable.

    A pyo3 ``PanicException`` cannot even be pickled (its module is not importable), so
    nothing but our own errors and :class:`_WorkerError` leaves the worker.
    """
    try:
        return fn(item)
    except (DicomError, _WorkerError):
        raise
    except BaseException as error:
        raise _WorkerError(describe_failure(error)) from None


def _typed(source: str, error: BaseException) -> DicomError:
    """Parent side: an outcome's error as a DicomError naming ``source``."""
    if isinstance(error, DicomError):
        return error
    if isinstance(error, _WorkerError):
        if error.read_error:
            return DicomReadError(source, error.reason)
        return PixelDataError(source, error.reason)
    return PixelDataError(source, describe_failure(error))


def run_decoder(
    fn: Callable[[T], R],
    items: Sequence[T],
    token: CancelToken | None = None,
    *,
    describe: Callable[[T], str] = str,
    max_in_flight: int | None = None,
) -> Iterator[Outcome[R]]:
    """:func:`~core.dicom.workers.run_isolated`, with every failure a typed error.

    Parameters
    ----------
    fn : callable
        A module-level (picklable) function run in a worker process.
    items : sequence
        Its arguments, one call each.
    token : CancelToken, optional
    describe : callable
        Names an item (its path) in the errors.
    max_in_flight : int, optional
        As :func:`~core.dicom.workers.run_isolated`.

    Yields
    ------
    Outcome
        ``error`` is a :class:`~core.errors.DicomError` whose ``reason`` is one line:
        the function's own, or :func:`describe_failure` of whatever else it raised
        (``BaseException`` subclasses such as a decoder panic included).
    """
    from core.dicom.workers import Outcome, run_isolated  # lazy: not on the window's start-up path

    guarded = functools.partial(_guarded, fn)
    for outcome in run_isolated(
        guarded, items, token, describe=describe, max_in_flight=max_in_flight
    ):
        if outcome.error is None:
            yield outcome
        else:
            source = describe(items[outcome.index])
            yield Outcome(outcome.index, error=_typed(source, outcome.error))


def _call(fn: Callable[[T], R], item: T, source: str) -> R:
    """One call of ``fn`` in a worker; its result, or its typed error raised here."""
    (outcome,) = run_decoder(fn, [item], describe=lambda _: source)
    if outcome.error is not None:
        raise outcome.error
    return cast("R", outcome.result)  # no error: a result


# --------------------------------------------------------------------------- the tasks


def _read_dataset(ref: FileRef, source: str) -> Dataset:
    """Worker side: the whole data set, inflated under the cap; a failure is a read error."""

    try:
        with ref.open() as stream:
            return read_dataset_bounded(stream, source=source)
    except DicomError:
        raise
    except BaseException as error:
        raise _WorkerError(f"not readable as DICOM ({describe_failure(error)})", True) from None


def _display_task(item: tuple[FileRef, int, tuple[float, float] | None]) -> npt.NDArray[Any]:
    from core.dicom.pixels import render_frame  # lazy: not on the window's start-up path

    ref, frame, window = item
    source = ref.display_name
    return render_frame(_read_dataset(ref, source), frame, window, source=source)


def _analysis_task(item: tuple[FileRef, int, ImageFacts | None]) -> AnalysisImage:
    from core.analysis.image import read_analysis_image  # lazy: not on the window's start-up path

    ref, frame, facts = item
    source = ref.display_name
    return read_analysis_image(_read_dataset(ref, source), frame, source=source, facts=facts)


def read_display_frame(
    ref: FileRef, frame: int = 0, window: tuple[float, float] | None = None
) -> npt.NDArray[Any]:
    """One frame rendered for display (:func:`~core.dicom.pixels.render_frame`) in a worker.

    Raises
    ------
    DicomReadError
        The file is not readable DICOM.
    PixelDataError
        Its pixels cannot be decoded, or the decoder failed in any way (the reason says how).
    """
    return _call(_display_task, (ref, frame, window), ref.display_name)


def read_analysis_values(
    ref: FileRef, frame: int = 0, facts: ImageFacts | None = None
) -> AnalysisImage:
    """The image a model reads (:func:`~core.analysis.image.read_analysis_image`), in a worker.

    Raises
    ------
    DicomReadError, PixelDataError
        As :func:`read_display_frame`.
    """
    return _call(_analysis_task, (ref, frame, facts), ref.display_name)


# --------------------------------------------------------------------------- headers


def read_header(ref: FileRef) -> tuple[Dataset, bool]:
    """An object's header, without its pixel data, and whether it has pixel data.

    Runs here, not in a worker: no decoder is involved, and a deflated data set is
    inflated only up to its pixel data (under the cap). Anything that stops the
    read — a sequence nested too deep, a corrupt deflate stream — is a
    :class:`~core.errors.DicomReadError`.
    """

    source = ref.display_name
    try:
        with ref.open() as stream:
            if is_deflated(stream):
                dataset, pixel_tag = read_deflated(stream, source, header_only=True)
                return _drop_unreadable_elements(dataset, source), pixel_tag is not None
            from pydicom import dcmread

            dataset = dcmread(stream, stop_before_pixels=True, force=True)
            has_pixels = _at_pixel_data(stream.read(4), dataset)
            return _drop_unreadable_elements(dataset, source), has_pixels
    except DicomError:
        raise
    except Exception as error:
        raise DicomReadError(
            source, _("not readable as DICOM ({reason})").format(reason=describe_failure(error))
        ) from None


def _drop_unreadable_elements(dataset: Dataset, source: str) -> Dataset:
    """Convert every top-level element now; one that cannot be (a corrupt VR, a bad
    length) is dropped, so no later ``ds.get`` raises from a half-read header."""
    for tag in list(dataset.keys()):
        try:
            dataset[tag]
        except Exception:  # pydicom raises NotImplementedError, ValueError, KeyError ...
            logger.debug("%s: element %s could not be read and was set aside", source, tag)
            del dataset[tag]
    return dataset


def _at_pixel_data(head: bytes, dataset: Dataset) -> bool:
    """Whether the 4 bytes where a header read stopped are a pixel data element's tag."""
    if len(head) < 4:
        return False
    _explicit, little = getattr(dataset, "original_encoding", (True, True))
    group, element = struct.unpack(("<" if little is not False else ">") + "HH", head)
    return (group << 16 | element) in _PIXEL_TAGS
