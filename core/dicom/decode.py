"""Decoding: the stored values of one frame out of a data set, any transfer syntax.

The first half of the pixel pipeline, as pydicom separates decoding from
processing (the LUTs are :mod:`core.dicom.lut`; :mod:`core.dicom.pixels` joins
the two):

* the Image Pixel Module (PS3.3 C.7.6.3) read and validated into the decoder's
  options, with the frame budget checked before anything is allocated
  (:func:`core.dicom.limits.check_frame_budget`);
* native pixel data checked against its declared length
  (:func:`check_native_length`, the one owner of that check);
* encapsulated pixel data checked to be encapsulated, and each frame's own
  codestream header read before a decoder allocates for it
  (:func:`core.dicom.limits.check_compressed_frame`);
* decoders: pydicom 3's decoder plugins, tried in the order of
  ``_PLUGIN_ORDER`` (permissively licensed plugins only: pylibjpeg is never
  asked to decode ISO 10918 JPEG or JPEG-LS, as it would route those to the GPL
  pylibjpeg-libjpeg), and GDCM directly for 12-bit JPEG Extended;
* bits above Bits Stored masked (sign-extended when Pixel Representation is 1,
  :func:`apply_bits_stored_mask`).

:func:`decode_stored` gives the frame as the decoder returned it (colour is
turned into RGB by :func:`core.dicom.lut.colour_as_rgb`). Every failure becomes
a :class:`~core.errors.PixelDataError` or
:class:`~core.errors.UnsupportedTransferSyntaxError` naming the file and what
was expected and found.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from pydicom.dataset import Dataset
from pydicom.pixels.decoders.base import get_decoder
from pydicom.uid import (
    HTJ2K,
    JPEG2000,
    UID,
    AllTransferSyntaxes,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    HTJ2KLossless,
    HTJ2KLosslessRPCL,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGExtended12Bit,
    JPEGLossless,
    JPEGLosslessSV1,
    JPEGLSLossless,
    JPEGLSNearLossless,
    RLELossless,
)

from core.dicom.limits import check_compressed_frame, check_frame_budget, expected_pixel_bytes
from core.dicom.pixel_header import (
    MONOCHROME,
    declared_transfer_syntax,
    describe_keyword,
    element_int,
    frame_count,
    one_line,
    photometric_of,
    printable,
    transfer_syntax_of,
)
from core.errors import PixelDataError, UnsupportedTransferSyntaxError
from core.i18n import _
from core.library_output import native_stderr_dropped, quiet_gdcm

logger = logging.getLogger(__name__)

Array = npt.NDArray[Any]

__all__ = [
    "StoredFrame",
    "apply_bits_stored_mask",
    "check_native_length",
    "decode_stored",
    "supported_transfer_syntaxes",
]

#: Decoder plugins to try, in order, per encapsulated transfer syntax. Fast and
#: robust first; pylibjpeg only where it routes to a permissive backend
#: (pylibjpeg-openjpeg for JPEG 2000/HTJ2K, pylibjpeg-rle for RLE).
_PLUGIN_ORDER: Final[dict[str, tuple[str, ...]]] = {
    JPEGBaseline8Bit: ("gdcm", "pillow"),
    JPEGExtended12Bit: ("gdcm", "pillow"),
    JPEGLossless: ("gdcm",),
    JPEGLosslessSV1: ("gdcm",),
    JPEGLSLossless: ("pyjpegls", "gdcm"),
    JPEGLSNearLossless: ("pyjpegls", "gdcm"),
    JPEG2000Lossless: ("pylibjpeg", "gdcm", "pillow"),
    JPEG2000: ("pylibjpeg", "gdcm", "pillow"),
    HTJ2KLossless: ("pylibjpeg",),
    HTJ2KLosslessRPCL: ("pylibjpeg",),
    HTJ2K: ("pylibjpeg",),
    RLELossless: ("pylibjpeg", "pydicom"),
}

#: Distribution that does the work behind a plugin label (for the licence table).
_PLUGIN_DISTRIBUTION: Final[dict[str, str]] = {
    "gdcm": "python-gdcm",
    "pillow": "pillow",
    "pyjpegls": "pyjpegls",
    "pydicom": "pydicom",
}

_NATIVE_SYNTAXES: Final = (
    ImplicitVRLittleEndian,
    ExplicitVRLittleEndian,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
)

_PIXEL_KEYWORDS: Final = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")
#: The first bytes of encapsulated pixel data: the Basic Offset Table item tag.
_ITEM_TAG_LE: Final = b"\xfe\xff\x00\xe0"


@dataclass(frozen=True)
class StoredFrame:
    """One frame as the decoder gave it, before any LUT.

    Attributes
    ----------
    values : numpy.ndarray
        ``(rows, columns)`` stored values (palette indices for PALETTE COLOR) or
        ``(rows, columns, 3)`` samples, native byte order, bits above Bits Stored
        masked.
    photometric : str
        Photometric Interpretation of ``values``: RGB where the decoder converted
        YCbCr, else the file's.
    bits_stored : int
        Bits Stored (Bits Allocated for float pixel data).
    signed : bool
        Pixel Representation (0028,0103) is 1.
    """

    values: Array
    photometric: str
    bits_stored: int
    signed: bool


# --------------------------------------------------------------------------- the pixel module


def _pixel_keyword(ds: Dataset, src: str) -> str:
    present = [kw for kw in _PIXEL_KEYWORDS if kw in ds]
    if not present:
        raise PixelDataError(
            src,
            "no pixel data: expected a Pixel Data (7FE0,0010), Float Pixel Data (7FE0,0008) "
            "or Double Float Pixel Data (7FE0,0009) element, found none",
        )
    if len(present) > 1:
        raise PixelDataError(
            src, f"expected one pixel data element, found {len(present)}: {', '.join(present)}"
        )
    return present[0]


def _transfer_syntax(ds: Dataset, encapsulated: bool, src: str) -> UID:
    """The data set's transfer syntax; an encapsulated one must be declared."""
    if encapsulated and not declared_transfer_syntax(ds):
        raise PixelDataError(
            src,
            "the pixel data is encapsulated (compressed) but the file has no Transfer "
            "Syntax UID (0002,0010) to say how",
        )
    return UID(transfer_syntax_of(ds))


def _pixel_options(ds: Dataset, keyword: str, src: str) -> dict[str, Any]:
    """The Image Pixel Module values (PS3.3 C.7.6.3), validated, for the decoder."""

    def required(keyword: str) -> int:
        value = element_int(ds, keyword, src)
        if value is None:
            raise PixelDataError(
                src, f"{describe_keyword(keyword)} is missing; it is required for pixels"
            )
        return value

    rows = required("Rows")
    columns = required("Columns")
    if not (0 < rows <= 0xFFFF and 0 < columns <= 0xFFFF):
        raise PixelDataError(
            src, f"image size is {rows} rows x {columns} columns, expected 1 to 65535 each"
        )
    bits_allocated = required("BitsAllocated")
    if not (bits_allocated == 1 or (bits_allocated % 8 == 0 and 8 <= bits_allocated <= 64)):
        raise PixelDataError(
            src, f"Bits Allocated (0028,0100) is {bits_allocated}, expected 1 or 8, 16, 32, 64"
        )
    photometric = photometric_of(ds)
    samples = element_int(ds, "SamplesPerPixel", src)
    if samples is None:
        samples = 1 if photometric in (*MONOCHROME, "PALETTE COLOR", "") else 3
        logger.info("%s: no Samples per Pixel; assuming %d", src, samples)
    if samples not in (1, 3):
        raise PixelDataError(src, f"Samples per Pixel (0028,0002) is {samples}, expected 1 or 3")
    if not photometric:
        if samples != 1:
            raise PixelDataError(src, "Photometric Interpretation (0028,0004) is missing")
        photometric = "MONOCHROME2"  # ACR-NEMA files have none
        logger.info("%s: no Photometric Interpretation; assuming MONOCHROME2", src)
    if samples == 1 and photometric not in (*MONOCHROME, "PALETTE COLOR"):
        raise PixelDataError(
            src, f"Photometric Interpretation is {photometric} with 1 sample per pixel"
        )
    if samples == 3 and photometric in (*MONOCHROME, "PALETTE COLOR"):
        raise PixelDataError(
            src, f"Photometric Interpretation is {photometric} with 3 samples per pixel"
        )
    options: dict[str, Any] = {
        "rows": rows,
        "columns": columns,
        "bits_allocated": bits_allocated,
        "samples_per_pixel": samples,
        "photometric_interpretation": photometric,
        "number_of_frames": frame_count(ds, src),
        "pixel_keyword": keyword,
        "pixel_vr": ds[keyword].VR,
    }
    if keyword == "PixelData":
        bits_stored = element_int(ds, "BitsStored", src) or bits_allocated
        if not 1 <= bits_stored <= bits_allocated:
            raise PixelDataError(
                src,
                f"Bits Stored (0028,0101) is {bits_stored}, expected 1 to Bits Allocated "
                f"({bits_allocated})",
            )
        representation = element_int(ds, "PixelRepresentation", src) or 0
        if representation not in (0, 1):
            raise PixelDataError(
                src, f"Pixel Representation (0028,0103) is {representation}, expected 0 or 1"
            )
        options["bits_stored"] = bits_stored
        options["pixel_representation"] = representation
    elif bits_allocated != (32 if keyword == "FloatPixelData" else 64):
        raise PixelDataError(src, f"{keyword} with Bits Allocated {bits_allocated}")
    if samples == 3:
        planar = element_int(ds, "PlanarConfiguration", src)
        if planar is None:
            planar = 0
            logger.info("%s: no Planar Configuration; assuming 0 (colour-by-pixel)", src)
        if planar not in (0, 1):
            raise PixelDataError(
                src, f"Planar Configuration (0028,0006) is {planar}, expected 0 or 1"
            )
        options["planar_configuration"] = planar
    if "ExtendedOffsetTable" in ds and "ExtendedOffsetTableLengths" in ds:
        options["extended_offsets"] = (ds.ExtendedOffsetTable, ds.ExtendedOffsetTableLengths)
    return options


def check_native_length(
    source: str,
    length: int,
    *,
    rows: int,
    columns: int,
    frames: int,
    samples: int,
    bits_allocated: int,
    photometric: str = "",
) -> None:
    """Refuse native pixel data shorter than its Image Pixel Module declares.

    The length expected is :func:`core.dicom.limits.expected_pixel_bytes`
    (Rows x Columns x Number of Frames x Samples per Pixel x Bits Allocated).
    Longer data is accepted (trailing padding).

    Raises
    ------
    PixelDataError
        ``length`` is below the expected length; the message gives both and the
        attributes they come from.
    """
    expected = expected_pixel_bytes(rows, columns, frames, samples, bits_allocated, photometric)
    if length < expected:
        raise PixelDataError(
            source,
            _(
                "pixel data is {length} bytes, expected {expected} ({rows} rows x {columns} "
                "columns x {samples} samples x {frames} frames x {bits} bits)"
            ).format(
                length=length,
                expected=expected,
                rows=rows,
                columns=columns,
                samples=samples,
                frames=frames,
                bits=bits_allocated,
            ),
        )


# --------------------------------------------------------------------------- decoders


def _decode_jpeg12_with_gdcm(buffer: Any, frame: int, options: dict[str, Any]) -> Array:
    """JPEG Extended with 12-bit samples, which pydicom's gdcm and pillow plugins refuse.

    GDCM's own JPEG codec has a 12-bit build, so it is called directly on the frame.
    """
    import gdcm
    from pydicom.encaps import get_frame

    quiet_gdcm()

    if options["samples_per_pixel"] != 1:
        raise ValueError("12-bit JPEG Extended colour images are not supported")
    codestream = get_frame(
        buffer,
        frame,
        number_of_frames=options["number_of_frames"],
        extended_offsets=options.get("extended_offsets"),
    )
    fragment = gdcm.Fragment()
    fragment.SetByteStringValue(codestream)
    fragments = gdcm.SequenceOfFragments.New()
    fragments.AddFragment(fragment)
    element = gdcm.DataElement(gdcm.Tag(0x7FE0, 0x0010))
    element.SetValue(fragments.__ref__())
    image = gdcm.Image()
    image.SetNumberOfDimensions(2)
    image.SetDimensions((options["columns"], options["rows"], 1))
    image.SetDataElement(element)
    pi_type = gdcm.PhotometricInterpretation.GetPIType(options["photometric_interpretation"])
    image.SetPhotometricInterpretation(gdcm.PhotometricInterpretation(pi_type))
    image.SetTransferSyntax(gdcm.TransferSyntax(gdcm.TransferSyntax.GetTSType(JPEGExtended12Bit)))
    bits_allocated, bits_stored = options["bits_allocated"], options["bits_stored"]
    signed = options["pixel_representation"]
    image.SetPixelFormat(gdcm.PixelFormat(1, bits_allocated, bits_stored, bits_stored - 1, signed))
    decoded = image.GetBuffer()
    if decoded is None:
        raise ValueError("GDCM could not decode the JPEG codestream")
    data = decoded.encode("utf-8", "surrogateescape")
    dtype = np.dtype(f"<{'i' if signed else 'u'}{max(bits_allocated // 8, 1)}")
    needed = options["rows"] * options["columns"] * dtype.itemsize
    if len(data) < needed:
        raise ValueError(f"GDCM returned {len(data)} bytes, expected {needed}")
    return np.frombuffer(data[:needed], dtype=dtype).reshape(options["rows"], options["columns"])


def _run_decoder(
    syntax: UID, buffer: Any, frame: int, options: dict[str, Any], src: str
) -> tuple[Array, str]:
    """Decode one frame; returns the array and its Photometric Interpretation."""
    try:
        decoder = get_decoder(syntax)
    except NotImplementedError:
        raise UnsupportedTransferSyntaxError(
            src,
            "no pixel decoder exists for transfer syntax "
            f"{printable(syntax.name)} ({printable(syntax)})",
        ) from None
    # Masking to Bits Stored is done once, by apply_bits_stored_mask.
    kwargs = {**options, "correct_unused_bits": False, "as_rgb": True}
    if decoder.is_native:
        try:
            array, properties = decoder.as_array(buffer, index=frame, **kwargs)
        except Exception as exc:
            raise PixelDataError(src, f"{syntax.name} pixel data: {one_line(exc)}") from exc
        return array, str(properties.get("photometric_interpretation", ""))

    available = decoder.available_plugins
    quiet_gdcm()  # listing the plugins imported GDCM
    plugins = [name for name in _PLUGIN_ORDER.get(syntax, ()) if name in available]
    gdcm_12bit = syntax == JPEGExtended12Bit and "gdcm" in available
    if not plugins and not gdcm_12bit:
        missing = "; ".join(decoder.missing_dependencies) or "no plugin registered"
        raise UnsupportedTransferSyntaxError(
            src, f"no installed decoder handles {syntax.name} ({syntax}): {missing}"
        )
    failures: list[str] = []
    for name in plugins:
        try:
            with native_stderr_dropped():
                array, properties = decoder.as_array(
                    buffer, index=frame, decoding_plugin=name, **kwargs
                )
        except Exception as exc:
            message = one_line(exc).removeprefix(
                "Unable to decode as exceptions were raised by all available plugins: "
            )
            if message not in failures:
                failures.append(message)
            continue
        logger.debug("%s: frame %d decoded by the %s plugin", src, frame, name)
        return array, str(properties.get("photometric_interpretation", ""))
    if gdcm_12bit:
        try:
            with native_stderr_dropped():
                array = _decode_jpeg12_with_gdcm(buffer, frame, options)
        except Exception as exc:
            failures.append(f"gdcm (12-bit): {one_line(exc)}")
        else:
            return array, options["photometric_interpretation"]
    raise PixelDataError(
        src, f"{syntax.name} pixel data could not be decoded: {'; '.join(failures)}"
    )


def apply_bits_stored_mask(arr: Array, bits_stored: int) -> Array:
    """Clear (or sign-extend into) the bits above Bits Stored (PS3.5 8.1.1)."""
    width = arr.dtype.itemsize * 8
    if arr.dtype.kind not in "iu" or bits_stored >= width:
        return arr
    if not arr.flags.writeable:
        arr = arr.copy()
    if arr.dtype.kind == "i":
        shift = width - bits_stored
        np.left_shift(arr, shift, out=arr)
        np.right_shift(arr, shift, out=arr)  # arithmetic: sign-extends
    else:
        np.bitwise_and(arr, arr.dtype.type((1 << bits_stored) - 1), out=arr)
    return arr


# --------------------------------------------------------------------------- public API


def decode_stored(ds: Dataset, frame: int, src: str) -> StoredFrame:
    """Decode one frame (0-based) of a data set, as the decoder gives it.

    For callers that checked their arguments and run this under
    :func:`core.dicom.pixel_header.pixel_guard` (:mod:`core.dicom.pixels`).

    Raises
    ------
    PixelDataError
        No pixel data, pixel data shorter than Rows x Columns x Samples x
        Frames x Bits Allocated, a frame out of range, a frame too large to
        decode safely, or a decoder failure.
    UnsupportedTransferSyntaxError
        No installed decoder handles the transfer syntax.
    """
    keyword = _pixel_keyword(ds, src)
    element = ds[keyword]
    buffer = element.value
    if buffer is None or (hasattr(buffer, "__len__") and len(buffer) == 0):
        raise PixelDataError(src, f"the {keyword} element is empty")
    undefined_length = bool(getattr(element, "is_undefined_length", False))
    looks_encapsulated = undefined_length or (
        isinstance(buffer, bytes | bytearray) and bytes(buffer[:4]) == _ITEM_TAG_LE
    )
    syntax = _transfer_syntax(ds, undefined_length and keyword == "PixelData", src)
    options = _pixel_options(ds, keyword, src)
    frames = options["number_of_frames"]
    if frame >= frames:
        raise PixelDataError(
            src,
            f"frame {frame} requested, but the object has {frames} frame(s) (0 to {frames - 1})",
        )
    check_frame_budget(
        src,
        options["rows"],
        options["columns"],
        options["samples_per_pixel"],
        options["bits_allocated"],
    )
    if syntax in _NATIVE_SYNTAXES:
        if undefined_length:
            raise PixelDataError(
                src,
                f"transfer syntax {syntax.name} is uncompressed but the pixel data is "
                "encapsulated (undefined length)",
            )
        if isinstance(buffer, bytes | bytearray):
            check_native_length(
                src,
                len(buffer),
                rows=options["rows"],
                columns=options["columns"],
                frames=frames,
                samples=options["samples_per_pixel"],
                bits_allocated=options["bits_allocated"],
                photometric=options["photometric_interpretation"],
            )
    else:
        try:
            encapsulated_syntax = syntax.is_encapsulated
        except ValueError:
            encapsulated_syntax = False  # not a transfer syntax at all: _run_decoder says so
        if encapsulated_syntax and not looks_encapsulated:
            raise PixelDataError(
                src,
                f"transfer syntax {syntax.name} is compressed but the pixel data is not "
                "encapsulated",
            )
        if encapsulated_syntax and isinstance(buffer, bytes | bytearray):
            check_compressed_frame(src, syntax.name, buffer, frame, options)

    array, photometric = _run_decoder(syntax, buffer, frame, options, src)

    if array.dtype.byteorder not in ("=", "|"):
        array = array.astype(array.dtype.newbyteorder("="))
    if keyword == "PixelData" and options["bits_allocated"] > 1:
        array = apply_bits_stored_mask(array, options["bits_stored"])

    samples = options["samples_per_pixel"]
    expected_shape = (options["rows"], options["columns"]) + ((3,) if samples == 3 else ())
    if array.shape != expected_shape:
        raise PixelDataError(
            src, f"decoded frame has shape {array.shape}, expected {expected_shape}"
        )
    return StoredFrame(
        values=array,
        photometric=photometric or options["photometric_interpretation"],
        bits_stored=options.get("bits_stored", options["bits_allocated"]),
        signed=options.get("pixel_representation", 0) == 1,
    )


def supported_transfer_syntaxes() -> dict[str, str]:
    """Transfer syntaxes that can be decoded here, each with the distribution that does it.

    Returns
    -------
    dict of str to str
        Transfer Syntax UID → the distribution tried first for it (``"pydicom"``
        for uncompressed syntaxes, ``"python-gdcm"``, ``"pylibjpeg-openjpeg"``,
        ``"pyjpegls"``...). Syntaxes without an installed decoder are left out.
    """
    table: dict[str, str] = {}
    for syntax in AllTransferSyntaxes:
        try:
            decoder = get_decoder(syntax)
        except NotImplementedError:
            continue
        if decoder.is_native:
            table[str(syntax)] = "pydicom"
            continue
        available = decoder.available_plugins
        for name in _PLUGIN_ORDER.get(syntax, ()):
            if name in available:
                if name == "pylibjpeg":
                    backend = "pylibjpeg-rle" if syntax == RLELossless else "pylibjpeg-openjpeg"
                    table[str(syntax)] = backend
                else:
                    table[str(syntax)] = _PLUGIN_DISTRIBUTION[name]
                break
    return table
