"""LUT Data read with the file's byte order: palette, segmented palette, modality and VOI LUTs.

LUT Data elements are OW (or US): 16-bit words in the byte order of the transfer
syntax. pydicom keeps OW values as the bytes of the file, so in an Explicit VR
Big Endian file every word must be read big endian — pydicom's own
``apply_color_lut`` reads palette data in the machine's order, which turns a
big-endian palette into near-black. Everything here takes the byte order
explicitly, and is the one place that turns LUT Data into entries:

* :func:`read_lut_entries` — LUT Data (PS3.3 C.11.1.1, C.11.2.1.1,
  C.7.6.3.1.6): 16-bit words, or 8-bit entries (one per word, or packed two to a
  word, which in a big-endian word swaps each pair).
* :func:`expand_segmented_lut` — Segmented Palette Color LUT Data (C.7.9.2):
  discrete, linear and indirect segments.
* :func:`apply_palette` — PALETTE COLOR indices to RGB (C.7.6.3.1.5).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from core.errors import PixelDataError

logger = logging.getLogger(__name__)

__all__ = ["apply_palette", "expand_segmented_lut", "read_lut_entries", "twos_complement"]

Array = npt.NDArray[Any]

#: A segmented LUT never expands beyond 2**16 entries, nor nests indirect segments deeper.
_MAX_ENTRIES = 1 << 16
_MAX_INDIRECTION = 8

_CHANNELS = ("Red", "Green", "Blue")


def _swap_pairs(data: bytes) -> bytes:
    if len(data) % 2:
        data += b"\x00"
    return np.frombuffer(data, dtype=np.uint8).reshape(-1, 2)[:, ::-1].tobytes()


def read_lut_entries(value: Any, entries: int, bits: int, *, little_endian: bool) -> Array:
    """The entries of a LUT Data value, as int64.

    Parameters
    ----------
    value : bytes, sequence of int or int
        The element value as pydicom gives it: the file's bytes for OW, numbers for US.
    entries : int
        Entries the LUT Descriptor announces (its first value, 0 meaning 2**16).
    bits : int
        Bits per entry (the descriptor's third value).
    little_endian : bool
        The byte order of the file's transfer syntax.

    Returns
    -------
    numpy.ndarray
        At most ``entries`` values (fewer when the data is short).
    """
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        if bits <= 8 and len(raw) in (entries, entries + 1):
            # Two 8-bit entries to a word: the low byte first in the word's value.
            if not little_endian:
                raw = _swap_pairs(raw)
            return np.frombuffer(raw, dtype=np.uint8)[:entries].astype(np.int64)
        order = "<" if little_endian else ">"
        words = np.frombuffer(raw[: len(raw) // 2 * 2], dtype=f"{order}u2")
        return words[:entries].astype(np.int64)
    if isinstance(value, Sequence) and not isinstance(value, str):
        return np.asarray([int(v) for v in value[:entries]], dtype=np.int64)
    return np.asarray([int(value)], dtype=np.int64)


def _segment_words(value: Any, bits: int, little_endian: bool) -> list[int]:
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        if bits <= 8:
            return list(raw if little_endian else _swap_pairs(raw))
        order = "<" if little_endian else ">"
        return [int(v) for v in np.frombuffer(raw[: len(raw) // 2 * 2], dtype=f"{order}u2")]
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [int(v) for v in value]
    return [int(value)]


def expand_segmented_lut(
    data: Sequence[int],
    *,
    bits: int = 16,
    _start: int = 0,
    _count: int | None = None,
    _previous: int | None = None,
    _depth: int = 0,
) -> list[int]:
    """Expand Segmented Palette Color LUT Data (PS3.3 C.7.9.2).

    Parameters
    ----------
    data : sequence of int
        The segment words (16-bit entries) or bytes (8-bit entries), in order.
    bits : int
        Bits per entry: 16, or 8 (an indirect offset then spans four values).

    Returns
    -------
    list of int
        The table. An indirect segment's offset counts entries of ``data`` from
        its start (as pydicom and GDCM read it).

    Raises
    ------
    ValueError
        An unknown opcode, a linear segment with nothing before it, a segment
        running past the data, or a table over 2**16 entries or nested too deep.
    """
    if _depth > _MAX_INDIRECTION:
        raise ValueError("indirect segments nest too deep (a loop?)")
    table: list[int] = []
    offset = _start
    done = 0
    # A trailing pad word is allowed: every segment is at least 3 values long.
    while offset + 1 < len(data) and (_count is None or done < _count):
        opcode, length = data[offset], data[offset + 1]
        offset += 2
        if opcode == 0:  # discrete: ``length`` values follow
            if offset + length > len(data):
                raise ValueError(f"a discrete segment of {length} runs past the data")
            table.extend(data[offset : offset + length])
            offset += length
        elif opcode == 1:  # linear: from the previous value to y1 in ``length`` steps
            if offset >= len(data):
                raise ValueError("a linear segment has no end value")
            previous = table[-1] if table else _previous
            if previous is None:
                raise ValueError("the first segment is linear: it has no value to start from")
            end = data[offset]
            offset += 1
            steps = np.arange(1, length + 1, dtype=np.float64) / max(length, 1)
            table.extend(int(v) for v in np.rint(previous + (end - previous) * steps))
        elif opcode == 2:  # indirect: re-run ``length`` segments found at an offset
            if offset + 2 > len(data):
                raise ValueError("an indirect segment has no offset")
            if bits <= 8:
                if offset + 4 > len(data):
                    raise ValueError("an indirect segment has no offset")
                low = data[offset] | data[offset + 1] << 8
                high = data[offset + 2] | data[offset + 3] << 8
                offset += 4
            else:
                low, high = data[offset], data[offset + 1]
                offset += 2
            target = low | high << 16
            if target >= len(data):
                raise ValueError(f"an indirect segment points at {target}, past the data")
            table.extend(
                expand_segmented_lut(
                    data,
                    bits=bits,
                    _start=target,
                    _count=length,
                    _previous=table[-1] if table else _previous,
                    _depth=_depth + 1,
                )
            )
        else:
            raise ValueError(f"unknown segment opcode {opcode}")
        done += 1
        if len(table) > _MAX_ENTRIES:
            raise ValueError(f"the segments expand to more than {_MAX_ENTRIES} entries")
    return table


def twos_complement(value: int, bits: int, signed: bool) -> int:
    """``value`` read as a ``bits``-wide two's complement (signed) or unsigned number."""
    span = 1 << bits
    if signed and value >= span // 2:
        return value - span
    if not signed and value < 0:
        return value + span
    return value


def _channel(
    ds: Any, colour: str, little_endian: bool, signed: bool, src: str
) -> tuple[Array, int, int]:
    descriptor = ds.get(f"{colour}PaletteColorLookupTableDescriptor")
    values = list(descriptor) if isinstance(descriptor, Sequence) else []
    if len(values) != 3:
        raise PixelDataError(
            src,
            f"PALETTE COLOR image without a valid {colour} Palette Color Lookup Table "
            f"Descriptor: found {descriptor!r}",
        )
    entries = (int(values[0]) & 0xFFFF) or 0x10000
    first = twos_complement(int(values[1]), 16, signed)
    bits = int(values[2]) & 0xFFFF
    data = ds.get(f"{colour}PaletteColorLookupTableData")
    if data is not None:
        table = read_lut_entries(data, entries, bits, little_endian=little_endian)
    else:
        segmented = ds.get(f"Segmented{colour}PaletteColorLookupTableData")
        if segmented is None:
            raise PixelDataError(
                src, f"PALETTE COLOR image without {colour} Palette Color Lookup Table Data"
            )
        try:
            words = _segment_words(segmented, bits, little_endian)
            table = np.asarray(expand_segmented_lut(words, bits=bits), dtype=np.int64)
        except ValueError as exc:
            raise PixelDataError(src, f"segmented {colour.lower()} palette: {exc}") from None
        table = table[:entries]
    if table.size == 0:
        raise PixelDataError(src, f"the {colour.lower()} palette has no entries")
    return table, first, bits


def apply_palette(stored: Array, ds: Any, *, signed: bool, little_endian: bool, src: str) -> Array:
    """PALETTE COLOR indices to RGB through the palette LUTs (PS3.3 C.7.6.3.1.5).

    Parameters
    ----------
    stored : numpy.ndarray
        The frame's stored values (palette indices).
    ds : pydicom.dataset.Dataset
        The dataset holding the Palette Color Lookup Table Module.
    signed : bool
        Pixel Representation 1: the first mapped value is signed.
    little_endian : bool
        The byte order of the file's transfer syntax.
    src : str
        The file, for error messages.

    Returns
    -------
    numpy.ndarray
        ``(H, W, 3)`` 8-bit RGB. Entries are scaled from their declared depth (8
        or 16 bits) to 8 bits, the depth of any display: a volume of 8-bit indices
        then holds the colours without overflow. Indices below the first mapped
        value take the first entry, above the last the last.
    """
    channels = [_channel(ds, colour, little_endian, signed, src) for colour in _CHANNELS]
    first = channels[0][1]
    length = min(len(table) for table, _, _ in channels)
    table = np.stack([t[:length] for t, _, _ in channels], axis=1)
    bits = max(b for _, _, b in channels)
    top = 255 if bits <= 8 else 65535
    highest = int(table.max())
    if highest > top:
        top = 65535
    elif top == 65535 and highest <= 255:
        # 8-bit entries under a 16-bit descriptor (a known writer quirk): scaled as
        # declared they would all be black.
        logger.info("%s: 16-bit palette entries all below 256; read as 8-bit", src)
        top = 255
    scaled = np.rint(np.clip(table, 0, top) * (255.0 / top)).astype(np.uint8)
    index = np.clip(stored.astype(np.int64) - first, 0, length - 1)
    rgb: Array = scaled[index]
    return rgb
