"""The decoder check: every transfer syntax the README lists, decoded the way the app does.

For each syntax a small image (64 x 64) is encoded here, with pydicom's encoders
(deflate, big endian, RLE, JPEG-LS, JPEG 2000) or python-gdcm's
``ImageChangeTransferSyntax`` (the JPEG processes; Pillow for baseline when GDCM is
missing), written as a series of its own, indexed, and loaded with
:func:`core.dicom.volume.load_series` — so compressed data goes through the isolated
decoder worker processes, as it does in the viewer. The values are compared with the
original: exactly for lossless syntaxes, within a tolerance for lossy ones.

A syntax no encoder here can write (HTJ2K: OpenJPEG decodes it but cannot write it) is
reported "not encoded", and passes when a decoder for it is installed; a syntax that
cannot be decoded fails the check.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from core.dicom.decode import supported_transfer_syntaxes
from core.dicom.index import scan
from core.dicom.volume import load_series
from core.errors import RadAssistError
from core.i18n import N_, _
from core.jobs import run_job
from core.library_output import native_stderr_dropped, quiet_gdcm
from core.selftest.framework import (
    CheckFailed,
    Outcome,
    SelfTestContext,
    SubResult,
    one_line,
)

logger = logging.getLogger(__name__)

__all__ = [
    "README_TRANSFER_SYNTAXES",
    "check_decoders",
    "syntax_name",
    "write_syntax_samples",
]

#: The transfer syntaxes of the README's table "Transfer syntaxes and decoder licences",
#: with the names the output gives them.
README_TRANSFER_SYNTAXES: Final[dict[str, str]] = {
    "1.2.840.10008.1.2": "Implicit VR Little Endian",
    "1.2.840.10008.1.2.1": "Explicit VR Little Endian",
    "1.2.840.10008.1.2.2": "Explicit VR Big Endian",
    "1.2.840.10008.1.2.1.99": "Deflated Explicit VR Little Endian",
    "1.2.840.10008.1.2.5": "RLE Lossless",
    "1.2.840.10008.1.2.4.50": "JPEG Baseline (8-bit)",
    "1.2.840.10008.1.2.4.51": "JPEG Extended (12-bit)",
    "1.2.840.10008.1.2.4.57": "JPEG Lossless (process 14)",
    "1.2.840.10008.1.2.4.70": "JPEG Lossless (process 14 SV1)",
    "1.2.840.10008.1.2.4.80": "JPEG-LS lossless",
    "1.2.840.10008.1.2.4.81": "JPEG-LS near-lossless",
    "1.2.840.10008.1.2.4.90": "JPEG 2000 lossless",
    "1.2.840.10008.1.2.4.91": "JPEG 2000 lossy",
    "1.2.840.10008.1.2.4.201": "HTJ2K lossless",
    "1.2.840.10008.1.2.4.202": "HTJ2K lossless RPCL",
    "1.2.840.10008.1.2.4.203": "HTJ2K lossy",
}

_SIZE: Final = 64
_SECONDARY_CAPTURE: Final = "1.2.840.10008.5.1.4.1.1.7"
_NEAR_LOSSLESS_ERROR: Final = 2

Array = npt.NDArray[Any]


class NotEncodable(Exception):  # noqa: N818 - a reason to skip, not an error
    """No encoder for this syntax is installed here (the reason says which is missing)."""


@dataclass(frozen=True)
class Tolerance:
    """How far decoded values may be from the original: 0 and 0 for lossless syntaxes."""

    max_abs: float = 0.0
    mean_abs: float = 0.0

    @property
    def lossless(self) -> bool:
        return self.max_abs == 0.0


@dataclass(frozen=True)
class Sample:
    """One syntax's sample file: what was written and what it must decode to."""

    syntax: str
    path: Path
    expected: Array
    tolerance: Tolerance
    encoder: str


def _test_image(bits: int) -> Array:
    """A smooth image with edges (gradient, a bright disc, a dark bar), ``bits`` deep."""
    rows, cols = np.mgrid[0:_SIZE, 0:_SIZE].astype(np.float64)
    top = 2**bits - 1
    image = 0.15 + 0.5 * cols / _SIZE + 0.1 * np.sin(rows / 6.0)
    image[(rows - 24) ** 2 + (cols - 40) ** 2 < 100] = 0.95
    image[44:52, 8:40] = 0.05
    dtype = np.dtype(np.uint8 if bits <= 8 else np.uint16)
    values: Array = np.clip(np.rint(image * top), 0, top).astype(dtype)
    return values


def _dataset(pixels: Array, bits_stored: int, series_number: int) -> Any:
    """A Secondary Capture image of ``pixels`` in a series of its own (native, little endian)."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import UID, ExplicitVRLittleEndian, generate_uid

    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = UID(_SECONDARY_CAPTURE)
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.SOPClassUID = _SECONDARY_CAPTURE
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.PatientName = "SELFTEST^DECODERS"
    ds.PatientID = "SELFTEST"
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.SeriesNumber = series_number
    ds.InstanceNumber = 1
    ds.Modality = "OT"
    ds.ConversionType = "SYN"
    ds.Rows, ds.Columns = pixels.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = pixels.dtype.itemsize * 8
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    ds.PixelRepresentation = 0
    ds.PixelData = pixels.tobytes()
    ds["PixelData"].VR = "OB" if ds.BitsAllocated == 8 else "OW"
    return ds


def _save(ds: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)


def _write_native(syntax: str) -> Callable[[Path, int], tuple[Array, Tolerance, str]]:
    def write(path: Path, number: int) -> tuple[Array, Tolerance, str]:
        pixels = _test_image(12)
        ds = _dataset(pixels, 12, number)
        ds.file_meta.TransferSyntaxUID = syntax
        if syntax == "1.2.840.10008.1.2.2":  # big endian: OW values are written as given
            ds.PixelData = pixels.astype(">u2").tobytes()
        _save(ds, path)
        return pixels, Tolerance(), "pydicom"

    return write


def _write_pydicom(
    syntax: str, plugin: str, tolerance: Tolerance | None = None, **options: Any
) -> Callable[[Path, int], tuple[Array, Tolerance, str]]:
    """pydicom's encoder, with ``plugin`` when it is installed (else any that is)."""

    def write(path: Path, number: int) -> tuple[Array, Tolerance, str]:
        from pydicom.pixels.encoders.base import get_encoder

        try:
            encoder = get_encoder(syntax)
        except NotImplementedError:
            raise NotEncodable("pydicom has no encoder for it") from None
        plugins = encoder.available_plugins
        if not plugins:
            missing = "; ".join(encoder.missing_dependencies) or "no encoder plugin"
            raise NotEncodable(one_line(missing, 120))
        pixels = _test_image(12)
        ds = _dataset(pixels, 12, number)
        chosen = plugin if plugin in plugins else plugins[0]
        ds.compress(syntax, pixels, encoding_plugin=chosen, generate_instance_uid=False, **options)
        _save(ds, path)
        label = "pydicom" if chosen == "pydicom" else f"pydicom ({chosen})"
        return pixels, tolerance or Tolerance(), label

    return write


def _gdcm_change(source: Path, target: Path, syntax: str) -> None:
    """Re-encode a native file with GDCM's ImageChangeTransferSyntax (its traces off, and
    what it writes to stderr dropped, as on every other GDCM call)."""
    import gdcm

    quiet_gdcm()
    with native_stderr_dropped():
        reader = gdcm.ImageReader()
        reader.SetFileName(str(source))
        if not reader.Read():
            raise NotEncodable("GDCM could not read the native sample")
        kind = gdcm.TransferSyntax.GetTSType(syntax)
        change = gdcm.ImageChangeTransferSyntax()
        change.SetTransferSyntax(gdcm.TransferSyntax(kind))
        change.SetInput(reader.GetImage())
        if not change.Change():
            raise NotEncodable("GDCM could not encode it")
        writer = gdcm.ImageWriter()
        writer.SetFileName(str(target))
        writer.SetFile(reader.GetFile())
        writer.SetImage(change.GetOutput())
        if not writer.Write():
            raise NotEncodable("GDCM could not write it")


def _write_jpeg(
    syntax: str, bits: int, lossy: Tolerance | None = None
) -> Callable[[Path, int], tuple[Array, Tolerance, str]]:
    tolerance = lossy or Tolerance()

    def write(path: Path, number: int) -> tuple[Array, Tolerance, str]:
        pixels = _test_image(bits)
        ds = _dataset(pixels, bits, number)
        try:
            import gdcm  # noqa: F401
        except ImportError:
            if syntax != "1.2.840.10008.1.2.4.50":
                raise NotEncodable("python-gdcm is not installed") from None
            return _write_pillow_baseline(ds, pixels, path), tolerance, "Pillow"
        native = path.with_suffix(".native")
        _save(ds, native)
        try:
            _gdcm_change(native, path, syntax)
        finally:
            native.unlink(missing_ok=True)
        return pixels, tolerance, "python-gdcm"

    return write


def _write_pillow_baseline(ds: Any, pixels: Array, path: Path) -> Array:
    from PIL import Image
    from pydicom.encaps import encapsulate

    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=95)
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.4.50"
    ds.PixelData = encapsulate([buffer.getvalue()])
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    ds.LossyImageCompression = "01"
    _save(ds, path)
    return pixels


def _not_encodable(reason: str) -> Callable[[Path, int], tuple[Array, Tolerance, str]]:
    def write(path: Path, number: int) -> tuple[Array, Tolerance, str]:
        raise NotEncodable(reason)

    return write


_LOSSY_8: Final = Tolerance(max_abs=0.10 * 255, mean_abs=0.02 * 255)
_LOSSY_12: Final = Tolerance(max_abs=0.10 * 4095, mean_abs=0.02 * 4095)
_HTJ2K_REASON: Final = "no HTJ2K encoder here (OpenJPEG only decodes it)"

#: How each syntax's sample is written.
_WRITERS: Final[dict[str, Callable[[Path, int], tuple[Array, Tolerance, str]]]] = {
    "1.2.840.10008.1.2": _write_native("1.2.840.10008.1.2"),
    "1.2.840.10008.1.2.1": _write_native("1.2.840.10008.1.2.1"),
    "1.2.840.10008.1.2.2": _write_native("1.2.840.10008.1.2.2"),
    "1.2.840.10008.1.2.1.99": _write_native("1.2.840.10008.1.2.1.99"),
    "1.2.840.10008.1.2.5": _write_pydicom("1.2.840.10008.1.2.5", "pydicom"),
    "1.2.840.10008.1.2.4.50": _write_jpeg("1.2.840.10008.1.2.4.50", 8, _LOSSY_8),
    "1.2.840.10008.1.2.4.51": _write_jpeg("1.2.840.10008.1.2.4.51", 12, _LOSSY_12),
    "1.2.840.10008.1.2.4.57": _write_jpeg("1.2.840.10008.1.2.4.57", 12),
    "1.2.840.10008.1.2.4.70": _write_jpeg("1.2.840.10008.1.2.4.70", 12),
    "1.2.840.10008.1.2.4.80": _write_pydicom("1.2.840.10008.1.2.4.80", "pyjpegls"),
    "1.2.840.10008.1.2.4.81": _write_pydicom(
        "1.2.840.10008.1.2.4.81",
        "pyjpegls",
        Tolerance(max_abs=_NEAR_LOSSLESS_ERROR, mean_abs=_NEAR_LOSSLESS_ERROR),
        jls_error=_NEAR_LOSSLESS_ERROR,
    ),
    "1.2.840.10008.1.2.4.90": _write_pydicom("1.2.840.10008.1.2.4.90", "pylibjpeg"),
    "1.2.840.10008.1.2.4.91": _write_pydicom(
        "1.2.840.10008.1.2.4.91", "pylibjpeg", _LOSSY_12, j2k_cr=[8]
    ),
    "1.2.840.10008.1.2.4.201": _not_encodable(_HTJ2K_REASON),
    "1.2.840.10008.1.2.4.202": _not_encodable(_HTJ2K_REASON),
    "1.2.840.10008.1.2.4.203": _not_encodable(_HTJ2K_REASON),
}


def _syntaxes() -> list[str]:
    """The README's syntaxes, then any other this machine decodes (all must decode)."""

    extra = [s for s in supported_transfer_syntaxes() if s not in README_TRANSFER_SYNTAXES]
    return [*README_TRANSFER_SYNTAXES, *extra]


def syntax_name(syntax: str) -> str:
    """How the output names a transfer syntax (the README's words where it lists it)."""
    from pydicom.uid import UID

    if syntax in README_TRANSFER_SYNTAXES:
        return README_TRANSFER_SYNTAXES[syntax]
    uid = UID(syntax)
    return str(uid.name) if uid.is_transfer_syntax else syntax


def write_syntax_samples(
    folder: Path, syntaxes: list[str] | None = None
) -> tuple[list[Sample], dict[str, str]]:
    """Write one sample file per syntax into ``folder`` (``<n>.dcm``, a series each).

    Returns
    -------
    samples : list of Sample
    not_encoded : dict of str to str
        Syntax → why no sample could be written here.
    """
    samples: list[Sample] = []
    not_encoded: dict[str, str] = {}
    for number, syntax in enumerate(syntaxes or _syntaxes(), start=1):
        path = folder / f"{number:02d}.dcm"
        writer = _WRITERS.get(syntax, _not_encodable("the self-test has no encoder for it"))
        try:
            expected, tolerance, encoder = writer(path, number)
        except NotEncodable as reason:
            not_encoded[syntax] = str(reason)
            continue
        except Exception as error:  # an encoder bug: this syntax is not tested here
            logger.debug("encoding %s failed", syntax, exc_info=True)
            not_encoded[syntax] = f"the encoder failed ({one_line(error, 120)})"
            continue
        samples.append(Sample(syntax, path, expected, tolerance, encoder))
    return samples, not_encoded


def _compare(decoded: Array, sample: Sample) -> tuple[bool, str]:
    if decoded.shape != sample.expected.shape:
        return False, f"decoded shape {decoded.shape}, expected {sample.expected.shape}"
    error = np.abs(decoded.astype(np.float64) - sample.expected.astype(np.float64))
    worst, mean = float(error.max()), float(error.mean())
    tolerance = sample.tolerance
    if tolerance.lossless:
        if worst:
            return False, f"lossless, but {int(np.count_nonzero(error))} pixels differ"
        return True, "exact"
    if worst > tolerance.max_abs or mean > tolerance.mean_abs:
        return False, (
            f"error max {worst:.0f}, mean {mean:.1f}; allowed {tolerance.max_abs:.0f}, "
            f"{tolerance.mean_abs:.1f}"
        )
    return True, f"within tolerance (max error {worst:.0f}, mean {mean:.1f})"


def _decode_all(folder: Path, samples: list[Sample]) -> dict[str, tuple[bool, str]]:
    """Index ``folder`` and load each sample's series through the app's loading path."""

    index = scan(str(folder))
    by_path = {os.path.realpath(sample.path): sample for sample in samples}
    verdicts: dict[str, tuple[bool, str]] = {}
    for unreadable in index.unreadable:
        sample = by_path.get(os.path.realpath(unreadable.ref.path))
        if sample is not None:
            verdicts[sample.syntax] = (False, f"not indexed: {unreadable.reason}")
    for series in index.all_series():
        sample = by_path.get(os.path.realpath(series.instances[0].ref.path))
        if sample is None:
            continue
        try:
            volume = run_job(load_series(series))
        except RadAssistError as error:
            verdicts[sample.syntax] = (False, one_line(error, 160))
            continue
        if volume.failures:
            verdicts[sample.syntax] = (False, one_line(volume.failures[0].reason, 160))
            continue
        verdicts[sample.syntax] = _compare(volume.array[0], sample)
    for sample in samples:
        verdicts.setdefault(sample.syntax, (False, "not found by the index"))
    return verdicts


def check_decoders(context: SelfTestContext) -> Outcome:
    """The ``decoders`` check (see the module docstring)."""

    decoders = supported_transfer_syntaxes()
    folder = context.work_dir / "decoders"
    syntaxes = _syntaxes()
    samples, not_encoded = write_syntax_samples(folder, syntaxes)
    verdicts = _decode_all(folder, samples)
    encoder_of = {sample.syntax: sample.encoder for sample in samples}
    items: list[SubResult] = []
    failed: list[str] = []
    for syntax in syntaxes:
        name = syntax_name(syntax)
        decoder = decoders.get(syntax)
        if syntax in not_encoded:
            if decoder is None:
                detail = _("no decoder installed; {reason}").format(reason=not_encoded[syntax])
                items.append(SubResult(name, "FAIL", detail))
                failed.append(name)
            else:
                detail = _("{reason}; decoder {decoder} installed, not exercised").format(
                    reason=not_encoded[syntax], decoder=decoder
                )
                items.append(SubResult(name, N_("not encoded"), detail))
            continue
        ok, detail = verdicts[syntax]
        via = _("encoded by {encoder}, decoded by {decoder}").format(
            encoder=encoder_of[syntax], decoder=decoder or _("no decoder")
        )
        items.append(SubResult(name, "ok" if ok else "FAIL", f"{detail} ({via})"))
        if not ok:
            failed.append(name)
    passed = sum(item.status == "ok" for item in items)
    summary = _("{passed} of {count} syntaxes decode as written").format(
        passed=passed, count=len(samples)
    ) + (
        _("; {count} could not be encoded here").format(count=len(not_encoded))
        if not_encoded
        else ""
    )
    if failed:
        raise CheckFailed(
            _("{syntaxes}: not decoded correctly ({summary})").format(
                syntaxes=", ".join(failed), summary=summary
            ),
            items,
        )
    return Outcome(summary, tuple(items))
