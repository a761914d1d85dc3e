"""The memory ceiling: declared sizes checked before anything is allocated (house rule 4).

A few kilobytes of DICOM can declare gigabytes of pixels (a JPEG 2000 SIZ marker,
an RLE header, Rows x Columns x Number of Frames), and a few megabytes of deflate
or zip can inflate to gigabytes. Every rule about "how big may this be" lives here:

* :func:`expected_pixel_bytes` is the one owner of the length of native pixel
  data (rows x columns x frames x samples x bits).
* :func:`check_frame_budget` refuses a frame whose decoded size exceeds
  :data:`MAX_FRAME_BYTES`; :func:`check_codestream` reads the compressed frame's
  own header (JPEG SOF, JPEG-LS SOF55, JPEG 2000 SIZ, RLE segment count) first,
  because the decoder allocates what the codestream says, not what the DICOM
  header says.
* :func:`check_volume_budget` refuses a series whose volume would not fit.
* :class:`InflatingReader` and :func:`read_zip_member` inflate with a cap on the
  output, so a bomb stops at the cap instead of at the out-of-memory killer.
* :func:`worker_address_space_limit` sizes the address-space limit of decoder
  worker processes, the backstop for whatever slips through the checks above.

Every refusal says :data:`TOO_LARGE`, so a person sees one reason for one problem.
"""

from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib
from typing import IO, Any, BinaryIO, Final, cast

from pydicom import dcmread
from pydicom.dataset import FileDataset
from pydicom.encaps import get_frame
from pydicom.filereader import _read_file_meta_info, read_preamble
from pydicom.filereader import read_dataset as _read_dataset
from pydicom.tag import BaseTag

from core.errors import PixelDataError
from core.i18n import N_, _

#: The words every refusal for size uses.
TOO_LARGE: Final = N_("too large to decode safely")

_MIB: Final = 1 << 20
_GIB: Final = 1 << 30

#: Largest decoded frame accepted (16384 x 16384 at 16 bits; real radiographs are < 100 MiB).
MAX_FRAME_BYTES: Final = 512 * _MIB
#: Largest inflated deflate data set or zip member (the whole pixel data of one object).
MAX_INFLATED_BYTES: Final = 1 * _GIB
#: Room for the header of a data set before its pixel data when inflating (a header of
#: zeros parses as millions of empty elements: the allowance also bounds the time).
HEADER_ALLOWANCE: Final = 16 * _MIB
#: Room after the pixel data (trailing padding, digital signatures).
TRAILER_ALLOWANCE: Final = 1 * _MIB
#: Floor of the decoder workers' address space (Python, numpy and a decoder map ~1 GiB).
WORKER_ADDRESS_SPACE_FLOOR: Final = 4 * _GIB

_CHUNK: Final = 1 * _MIB


def too_large(source: str, detail: str) -> PixelDataError:
    """The error for a size refusal: ``"too large to decode safely (<detail>)"``."""
    return PixelDataError(source, f"{_(TOO_LARGE)} ({detail})")


def expected_pixel_bytes(
    rows: int, columns: int, frames: int, samples: int, bits: int, photometric: str = ""
) -> int:
    """Bytes of native (uncompressed) pixel data an object declares.

    Rows x Columns x Number of Frames x Samples per Pixel x Bits Allocated, in
    whole bytes; YBR_FULL_422 holds two samples per pixel on average (PS3.3
    C.7.6.3.1.2). Bits Allocated 1 packs eight pixels per byte (PS3.5 8.1.1).
    """
    if photometric.strip().upper() == "YBR_FULL_422":
        samples = 2
    total_bits = rows * columns * frames * samples * bits
    return (total_bits + 7) // 8


def decoded_frame_bytes(rows: int, columns: int, samples: int, bits: int) -> int:
    """Bytes of one decoded frame in memory (at least one byte per sample, as decoders give)."""
    return rows * columns * max(samples, 1) * max((bits + 7) // 8, 1)


def check_frame_budget(source: str, rows: int, columns: int, samples: int, bits: int) -> None:
    """Refuse a frame whose decoded size exceeds :data:`MAX_FRAME_BYTES`."""
    size = decoded_frame_bytes(rows, columns, samples, bits)
    if size > MAX_FRAME_BYTES:
        raise too_large(
            source,
            f"a frame of {rows}x{columns}, {samples} sample(s) of {bits} bits needs "
            f"{_size(size)}; at most {_size(MAX_FRAME_BYTES)} is decoded",
        )


def volume_budget_bytes() -> int:
    """Largest volume a series may load into: half the machine's memory, at least 1 GiB."""
    return max(_GIB, _total_memory() // 2)


def check_volume_budget(source: str, nbytes: int) -> None:
    """Refuse a volume of ``nbytes`` before it is allocated."""
    budget = volume_budget_bytes()
    if nbytes > budget:
        raise too_large(
            source, f"the series needs {_size(nbytes)}; at most {_size(budget)} is loaded"
        )


# --------------------------------------------------------------------------- codestreams

_SOF_MARKERS: Final = frozenset({*range(0xC0, 0xD0)} - {0xC4, 0xC8, 0xCC} | {0xF7})
_J2K_SIZ: Final = b"\xff\x4f\xff\x51"


def codestream_size(syntax_name: str, frame: bytes) -> tuple[int, int, int, int] | None:
    """``(rows, columns, components, bits)`` a compressed frame declares in its own header.

    JPEG and JPEG-LS: the SOF marker (ITU T.81 B.2.2; T.87 SOF55); JPEG 2000: the
    SIZ marker (T.800 A.5.1). None when the header is not recognised (the
    decoder then says why it cannot decode).
    """
    if "2000" in syntax_name or "HTJ2K" in syntax_name:
        return _j2k_size(frame)
    if "JPEG" in syntax_name:
        return _jpeg_size(frame)
    return None


def _j2k_size(frame: bytes) -> tuple[int, int, int, int] | None:
    at = frame.find(_J2K_SIZ, 0, 4096)  # a JP2 file wraps the codestream in boxes
    if at < 0 or len(frame) < at + 4 + 38 + 1:
        return None
    body = at + 4
    xsiz, ysiz, xosiz, yosiz = struct.unpack_from(">IIII", frame, body + 4)
    (components,) = struct.unpack_from(">H", frame, body + 36)
    depth = (frame[body + 38] & 0x7F) + 1 if len(frame) > body + 38 else 8
    return max(ysiz - yosiz, 0), max(xsiz - xosiz, 0), components, depth


def _jpeg_size(frame: bytes) -> tuple[int, int, int, int] | None:
    if frame[:2] != b"\xff\xd8":
        return None
    at = 2
    end = min(len(frame), 1 << 20)
    while at + 4 <= end:
        if frame[at] != 0xFF:
            return None
        marker = frame[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        (length,) = struct.unpack_from(">H", frame, at + 2)
        if marker in _SOF_MARKERS:
            if at + 10 > len(frame):
                return None
            bits = frame[at + 4]
            rows, columns = struct.unpack_from(">HH", frame, at + 5)
            return rows, columns, frame[at + 9], bits
        if marker == 0xDA:  # start of scan before any frame header
            return None
        at += 2 + length
    return None


def check_codestream(
    source: str, syntax_name: str, frame: bytes, rows: int, columns: int, samples: int
) -> None:
    """Refuse a compressed frame whose own header declares a larger image than allowed.

    The decoder allocates what the codestream declares; a codestream larger than
    Rows x Columns would decode to the wrong shape anyway. RLE: the header's
    segment count (PS3.5 G.5) decides the bytes per pixel.
    """
    if "RLE" in syntax_name:
        if len(frame) < 64:
            return  # the decoder reports the short header
        (segments,) = struct.unpack_from("<I", frame, 0)
        if not 1 <= segments <= 15:
            raise PixelDataError(
                source, f"the RLE header declares {segments} segments, expected 1 to 15"
            )
        check_frame_budget(source, rows, columns, 1, 8 * segments)
        return
    declared = codestream_size(syntax_name, frame)
    if declared is None:
        return
    c_rows, c_columns, components, bits = declared
    check_frame_budget(source, c_rows, c_columns, max(components, 1), bits)
    if c_rows > rows or c_columns > columns or components > max(samples, 1):
        raise too_large(
            source,
            f"the compressed frame declares {c_rows}x{c_columns} with {components} "
            f"component(s), larger than Rows x Columns {rows}x{columns} with {samples} sample(s)",
        )


# --------------------------------------------------------------------------- inflating


class InflatingReader(io.RawIOBase):
    """A seekable stream over raw deflate data, inflated on demand, up to ``cap`` bytes.

    Reading past the cap raises :class:`~core.errors.PixelDataError` (too large)
    instead of allocating; only what was asked for so far is ever inflated. The
    cap can be raised while reading (see :func:`core.dicom.bounded_read`).
    """

    def __init__(self, raw: io.BufferedIOBase | io.RawIOBase, cap: int, source: str) -> None:
        super().__init__()
        self._raw = raw
        self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        self._buffer = bytearray()
        self._position = 0
        self._eof = False
        self.cap = cap
        self.source = source
        self.name = source

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            target = offset
        elif whence == io.SEEK_CUR:
            target = self._position + offset
        else:
            self._fill(self.cap + 1)
            target = len(self._buffer) + offset
        self._position = max(target, 0)
        return self._position

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        view = memoryview(b).cast("B")
        self._fill(self._position + len(view))
        chunk = self._buffer[self._position : self._position + len(view)]
        view[: len(chunk)] = chunk
        self._position += len(chunk)
        return len(chunk)

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            self._fill(self.cap + 1)
            size = max(len(self._buffer) - self._position, 0)
        self._fill(self._position + size)
        data = bytes(self._buffer[self._position : self._position + size])
        self._position += len(data)
        return data

    def _fill(self, wanted: int) -> None:
        while len(self._buffer) < wanted and not self._eof:
            if len(self._buffer) >= self.cap:
                raise too_large(
                    self.source, f"the deflated data set inflates to more than {_size(self.cap)}"
                )
            room = min(self.cap - len(self._buffer), _CHUNK)
            if self._inflater.unconsumed_tail:
                data = self._inflater.decompress(self._inflater.unconsumed_tail, room)
            else:
                compressed = self._raw.read(_CHUNK // 4)
                if not compressed:
                    data = self._inflater.flush()[:room]
                    self._eof = True
                else:
                    data = self._inflater.decompress(compressed, room)
            if self._inflater.eof:
                self._eof = True
            self._buffer += data


def read_zip_member(archive: zipfile.ZipFile, member: str, source: str) -> bytes:
    """A zip member's bytes, read in chunks against its declared size and the cap."""
    info = archive.getinfo(member)
    cap = MAX_INFLATED_BYTES + HEADER_ALLOWANCE
    if info.file_size > cap:
        raise too_large(
            source, f"the archive member declares {_size(info.file_size)}; at most {_size(cap)}"
        )
    out = bytearray()
    with archive.open(info) as stream:
        while chunk := stream.read(_CHUNK):
            out += chunk
            if len(out) > info.file_size:
                raise too_large(source, "the archive member inflates to more than it declares")
    return bytes(out)


# --------------------------------------------------------------------------- workers


def _total_memory() -> int:
    try:
        import psutil

        return int(psutil.virtual_memory().total)
    except Exception:  # psutil missing or unsupported: assume a small workstation
        return 8 * _GIB


def worker_address_space_limit() -> int:
    """Address-space limit of one decoder worker: a quarter of memory, at least 4 GiB.

    A quarter leaves room for the window, the model process and the other
    workers while a legitimate large frame (:data:`MAX_FRAME_BYTES`, plus the
    decoder's copies) still fits; the floor covers what Python, numpy and the
    decoder libraries map at start-up on a small machine. ``RADASSIST_WORKER_MEMORY``
    (bytes, 0 to disable) overrides it.
    """
    override = os.environ.get("RADASSIST_WORKER_MEMORY", "").strip()
    if override.isdigit():
        return int(override)
    return max(WORKER_ADDRESS_SPACE_FLOOR, _total_memory() // 4)


def limit_worker_memory() -> None:
    """Worker initializer: cap this process's address space (Linux; elsewhere a no-op)."""
    limit = worker_address_space_limit()
    if limit <= 0:
        return
    try:
        import resource
    except ImportError:  # Windows
        return
    try:
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ValueError, OSError):  # not permitted here: the checks above still hold
        pass


def _size(nbytes: int) -> str:
    if nbytes >= _GIB:
        return f"{nbytes / _GIB:.1f} GiB"
    return f"{nbytes / _MIB:.0f} MiB"


# --------------------------------------------------------------------------- reading data sets

_DEFLATED_UID: Final = "1.2.840.10008.1.2.1.99"
_PIXEL_TAGS: Final = frozenset({0x7FE00010, 0x7FE00009, 0x7FE00008})


def is_deflated(stream: IO[bytes]) -> bool:
    """Whether a Part 10 stream's transfer syntax is Deflated Explicit VR Little Endian.

    Reads only the File Meta Information; the stream's position is restored.
    """
    start = stream.tell()
    try:
        if _DEFLATED_UID.encode() not in stream.read(8192):
            return False
        stream.seek(start)
        read_preamble(cast(BinaryIO, stream), True)
        meta = _read_file_meta_info(cast(BinaryIO, stream))
        return str(meta.get("TransferSyntaxUID", "")).strip() == _DEFLATED_UID
    except Exception:  # not parseable here: the ordinary reader reports why
        return False
    finally:
        stream.seek(start)


def read_deflated(
    stream: IO[bytes], source: str, *, header_only: bool
) -> tuple[FileDataset, int | None]:
    """Read a deflated data set, inflating only as far as needed, never past a cap.

    With ``header_only`` inflation stops at the pixel data element (a header scan
    never inflates pixel data). Otherwise the pixel data's declared length is
    checked against :data:`MAX_INFLATED_BYTES` before it is inflated, and the
    header and what follows the pixel data are bounded by :data:`HEADER_ALLOWANCE`
    and :data:`TRAILER_ALLOWANCE`.

    Returns the data set and the tag of its pixel data element (None without one).
    """
    preamble = read_preamble(cast(BinaryIO, stream), True)
    file_meta = _read_file_meta_info(cast(BinaryIO, stream))
    reader = InflatingReader(cast(io.RawIOBase, stream), HEADER_ALLOWANCE, source)
    seen: list[int] = []

    def stop_when(tag: BaseTag, vr: str | None, length: int) -> bool:
        if int(tag) not in _PIXEL_TAGS:
            return False
        seen.append(int(tag))
        if header_only:
            return True
        if length == 0xFFFFFFFF:
            reader.cap = reader.tell() + MAX_INFLATED_BYTES + TRAILER_ALLOWANCE
        elif length > MAX_INFLATED_BYTES:
            raise too_large(
                source,
                f"the deflated pixel data declares {_size(length)}; "
                f"at most {_size(MAX_INFLATED_BYTES)} is inflated",
            )
        else:
            reader.cap = reader.tell() + length + TRAILER_ALLOWANCE
        return False

    dataset = _read_dataset(cast(BinaryIO, reader), False, True, stop_when=stop_when)
    ds = FileDataset(cast(BinaryIO, stream), dataset, preamble, file_meta, False, True)
    ds.set_original_encoding(False, True, dataset._character_set)
    return ds, (seen[0] if seen else None)


def read_dataset_bounded(
    stream: IO[bytes],
    *,
    source: str = "",
    stop_before_pixels: bool = False,
    tags: list[Any] | None = None,
) -> FileDataset:
    """``dcmread(stream, force=True)`` with deflated data sets inflated under the cap.

    The decoder workers read every object through this, so that a deflate bomb
    is refused as :data:`TOO_LARGE` instead of inflating whole. ``tags`` limits
    the elements read, as pydicom's ``specific_tags`` (ignored for deflated data).
    """
    if is_deflated(stream):
        return read_deflated(stream, source, header_only=stop_before_pixels)[0]
    return dcmread(stream, force=True, stop_before_pixels=stop_before_pixels, specific_tags=tags)


def check_compressed_frame(
    source: str, syntax_name: str, buffer: bytes | bytearray, frame: int, options: dict[str, Any]
) -> None:
    """Read one encapsulated frame's codestream header before a decoder allocates for it.

    ``options`` are the validated Image Pixel Module values (rows, columns,
    number_of_frames, samples_per_pixel) of :mod:`core.dicom.decode`.
    """
    try:
        data = get_frame(bytes(buffer), frame, number_of_frames=options["number_of_frames"])
    except Exception:
        return  # the decoder reports a broken encapsulation in its own words
    check_codestream(
        source,
        syntax_name,
        data,
        options["rows"],
        options["columns"],
        options["samples_per_pixel"],
    )
