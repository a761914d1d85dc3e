"""Images for every colour and LUT path, written in either byte order with the same content.

Each maker takes ``order`` (``"<"`` little endian, ``">"`` big endian) and returns a
dataset whose OW/OB bytes (pixel data, palette and LUT data) are in that order, the
way a site's Explicit VR Big Endian writer puts them; :func:`write_in_order` saves it
with the matching transfer syntax. Rendering the two files must give the same picture.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian

ROWS, COLUMNS = 16, 16
SC_CLASS = "1.2.840.10008.5.1.4.1.1.7"
PARAMETRIC_MAP_CLASS = "1.2.840.10008.5.1.4.1.1.30"


def _base(order: str, photometric: str, samples: int, bits: int, **extra: Any) -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian if order == "<" else ExplicitVRBigEndian
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID = extra.pop("sop_class", SC_CLASS)
    name = extra.pop("name")
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = (
        f"1.2.826.0.1.3680043.8.498.77.{sum(map(ord, name))}.{len(name)}"
    )
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.8.498.70"
    ds.SeriesInstanceUID = f"1.2.826.0.1.3680043.8.498.71.{sum(map(ord, name))}"
    ds.Modality = extra.pop("modality", "OT")
    ds.PatientID = "BYTEORDER"
    ds.Rows, ds.Columns = ROWS, COLUMNS
    ds.SamplesPerPixel = samples
    ds.PhotometricInterpretation = photometric
    ds.BitsAllocated = bits
    if bits not in (32, 64) or extra.pop("integer", True):
        ds.BitsStored, ds.HighBit = bits, bits - 1
        ds.PixelRepresentation = 0
    if samples == 3:
        ds.PlanarConfiguration = extra.pop("planar", 0)
    for keyword, value in extra.items():
        setattr(ds, keyword, value)
    return ds


def _ramp(bits: int, high: int | None = None) -> np.ndarray:
    top = (1 << bits) - 1 if high is None else high
    return np.linspace(0, top, ROWS * COLUMNS).round().astype(np.int64).reshape(ROWS, COLUMNS)


def _words(values: np.ndarray, order: str, bits: int = 16) -> bytes:
    return np.asarray(values).astype(f"{order}u{bits // 8}").tobytes()


def _packed_bytes(entries: np.ndarray, order: str) -> bytes:
    """8-bit entries packed two to an OW word: a big-endian word swaps each pair."""
    data = np.asarray(entries, dtype=np.uint8)
    if data.size % 2:
        data = np.append(data, np.uint8(0))
    if order == ">":
        data = data.reshape(-1, 2)[:, ::-1].reshape(-1)
    return data.tobytes()


#: The palette the palette images use: index i → (i, 255 - i, i // 2), scaled to 16 bits.
def palette_rgb(entries: int = 256) -> np.ndarray:
    index = np.arange(entries)
    rgb = np.stack([index, entries - 1 - index, index // 2], axis=1).astype(np.float64)
    return rgb / (entries - 1)


def _set_palette_descriptors(ds: Dataset, entries: int, first: int, bits: int) -> None:
    for colour in ("Red", "Green", "Blue"):
        setattr(ds, f"{colour}PaletteColorLookupTableDescriptor", [entries % 65536, first, bits])


def palette_16bit_lut(order: str) -> Dataset:
    """8-bit indices through 16-bit palette entries (the common US/CT colour case)."""
    ds = _base(order, "PALETTE COLOR", 1, 8, name="palette16")
    ds.PixelData = _ramp(8).astype(np.uint8).tobytes()
    _set_palette_descriptors(ds, 256, 0, 16)
    rgb = np.rint(palette_rgb() * 60000).astype(np.int64)
    for channel, colour in enumerate(("Red", "Green", "Blue")):
        setattr(ds, f"{colour}PaletteColorLookupTableData", _words(rgb[:, channel], order))
    return ds


def palette_8bit_lut(order: str) -> Dataset:
    """8-bit palette entries packed two to a word (PS3.3 C.7.6.3.1.6 allows it)."""
    ds = _base(order, "PALETTE COLOR", 1, 8, name="palette8")
    ds.PixelData = _ramp(8).astype(np.uint8).tobytes()
    _set_palette_descriptors(ds, 256, 0, 8)
    rgb = np.rint(palette_rgb() * 255).astype(np.int64)
    for channel, colour in enumerate(("Red", "Green", "Blue")):
        setattr(ds, f"{colour}PaletteColorLookupTableData", _packed_bytes(rgb[:, channel], order))
    return ds


def palette_16bit_indices(order: str) -> Dataset:
    """16-bit indices, a palette of 1024 entries starting at index 100."""
    ds = _base(order, "PALETTE COLOR", 1, 16, name="palette16i")
    ds.BitsStored, ds.HighBit = 12, 11
    ds.PixelData = _words(_ramp(10) + 100, order)
    _set_palette_descriptors(ds, 1024, 100, 16)
    rgb = np.rint(palette_rgb(1024) * 60000).astype(np.int64)
    for channel, colour in enumerate(("Red", "Green", "Blue")):
        setattr(ds, f"{colour}PaletteColorLookupTableData", _words(rgb[:, channel], order))
    return ds


def _segments(end: int) -> list[int]:
    """Discrete start, a linear ramp up, an indirect re-run of the first, a ramp down."""
    return [0, 2, 0, 1000, 1, 100, end, 2, 1, 0, 0, 1, 152, 0]


def segmented_palette(order: str) -> Dataset:
    """Segmented Palette Color LUT Data (PS3.3 C.7.9.2): discrete, linear, indirect."""
    ds = _base(order, "PALETTE COLOR", 1, 8, name="segmented")
    ds.PixelData = _ramp(8).astype(np.uint8).tobytes()
    _set_palette_descriptors(ds, 256, 0, 16)
    for colour, end in (("Red", 65535), ("Green", 30000), ("Blue", 10000)):
        setattr(ds, f"Segmented{colour}PaletteColorLookupTableData", _words(_segments(end), order))
    return ds


def expand_segments(end: int) -> np.ndarray:
    """What :func:`_segments` expands to: 256 entries."""
    up = [1000 + (end - 1000) * (i + 1) / 100 for i in range(100)]
    down = [1000 - 1000 * (i + 1) / 152 for i in range(152)]
    return np.asarray([0, 1000, *up, 0, 1000, *down])


def rgb(order: str, *, bits: int = 8, planar: int = 0) -> Dataset:
    name = f"rgb{bits}p{planar}"
    ds = _base(order, "RGB", 3, bits, name=name, planar=planar)
    ramp = _ramp(bits)
    pixels = np.stack([ramp, ramp[::-1], ramp.T], axis=-1)  # (rows, columns, 3)
    if planar:
        pixels = np.moveaxis(pixels, -1, 0)
    ds.PixelData = pixels.astype(np.uint8).tobytes() if bits == 8 else _words(pixels, order)
    return ds


def ybr(order: str, *, subsampled: bool) -> Dataset:
    photometric = "YBR_FULL_422" if subsampled else "YBR_FULL"
    ds = _base(order, photometric, 3, 8, name=photometric)
    y = _ramp(8)
    cb = np.full_like(y, 100)
    cr = np.full_like(y, 160)
    if subsampled:  # Y0 Y1 Cb Cr per pair of pixels (PS3.3 C.7.6.3.1.2)
        y_pairs = y.reshape(ROWS, COLUMNS // 2, 2)
        data = np.concatenate([y_pairs, cb[:, ::2, None], cr[:, ::2, None]], axis=-1).astype(
            np.uint8
        )
    else:
        data = np.stack([y, cb, cr], axis=-1).astype(np.uint8)
    ds.PixelData = data.tobytes()
    return ds


def _lut_item(order: str, table: np.ndarray, first: int, *, as_words: bool) -> Dataset:
    item = Dataset()
    item.LUTDescriptor = [len(table), first, 16]
    item.LUTExplanation = "TEST LUT"
    if as_words:
        item.add_new(0x00283006, "OW", _words(table, order))
    else:
        item.add_new(0x00283006, "US", [int(v) for v in table])
    return item


def modality_lut(order: str, *, as_words: bool = True) -> Dataset:
    """A Modality LUT Sequence: stored 0..4095 → a square-root curve over 0..60000."""
    ds = _base(order, "MONOCHROME2", 1, 16, name=f"mlut{as_words}", modality="OT")
    ds.BitsStored, ds.HighBit = 12, 11
    ds.PixelData = _words(_ramp(12), order)
    table = np.rint(np.sqrt(np.arange(4096) / 4095) * 60000).astype(np.int64)
    ds.ModalityLUTSequence = [_lut_item(order, table, 0, as_words=as_words)]
    ds.ModalityLUTSequence[0].ModalityLUTType = "OD"
    return ds


def voi_lut(order: str, *, as_words: bool = True) -> Dataset:
    """A VOI LUT Sequence: stored 0..4095 → 16-bit output through a gamma curve."""
    ds = _base(order, "MONOCHROME2", 1, 16, name=f"vlut{as_words}")
    ds.BitsStored, ds.HighBit = 12, 11
    ds.PixelData = _words(_ramp(12), order)
    table = np.rint((np.arange(4096) / 4095) ** 0.5 * 65535).astype(np.int64)
    ds.VOILUTSequence = [_lut_item(order, table, 0, as_words=as_words)]
    return ds


def presentation_inverse(order: str) -> Dataset:
    """MONOCHROME1-like display through Presentation LUT Shape INVERSE, 16-bit signed."""
    ds = _base(order, "MONOCHROME2", 1, 16, name="plut")
    ds.PixelRepresentation = 1
    ds.PixelData = (_ramp(12) - 2048).astype(f"{order}i2").tobytes()
    ds.PresentationLUTShape = "INVERSE"
    ds.WindowCenter, ds.WindowWidth = 0, 4096
    return ds


def float_pixels(order: str, *, double: bool = False) -> Dataset:
    """Float (or Double Float) Pixel Data, ADC-like values in mm²/s (0.0005 to 0.003)."""
    bits = 64 if double else 32
    ds = _base(
        order,
        "MONOCHROME2",
        1,
        bits,
        name=f"float{bits}",
        sop_class=PARAMETRIC_MAP_CLASS,
        modality="MR",
        integer=False,
    )
    values = np.linspace(0.0005, 0.003, ROWS * COLUMNS).reshape(ROWS, COLUMNS)
    data = values.astype(f"{order}f{bits // 8}").tobytes()
    if double:
        ds.DoubleFloatPixelData = data
    else:
        ds.FloatPixelData = data
    return ds


MAKERS: dict[str, Callable[[str], Dataset]] = {
    "palette, 16-bit entries": palette_16bit_lut,
    "palette, 8-bit entries packed": palette_8bit_lut,
    "palette, 16-bit indices": palette_16bit_indices,
    "segmented palette": segmented_palette,
    "RGB interleaved": rgb,
    "RGB planar": lambda order: rgb(order, planar=1),
    "RGB 16-bit interleaved": lambda order: rgb(order, bits=16),
    "RGB 16-bit planar": lambda order: rgb(order, bits=16, planar=1),
    "YBR_FULL": lambda order: ybr(order, subsampled=False),
    "YBR_FULL_422": lambda order: ybr(order, subsampled=True),
    "Modality LUT (OW)": modality_lut,
    "Modality LUT (US)": lambda order: modality_lut(order, as_words=False),
    "VOI LUT (OW)": voi_lut,
    "VOI LUT (US)": lambda order: voi_lut(order, as_words=False),
    "Presentation LUT INVERSE": presentation_inverse,
    "Float Pixel Data": float_pixels,
    "Double Float Pixel Data": lambda order: float_pixels(order, double=True),
}


def write_in_order(ds: Dataset, path: Path) -> Path:
    """Save ``ds`` with its own transfer syntax (big endian where the maker set it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    little = ds.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    ds.save_as(path, implicit_vr=False, little_endian=little, enforce_file_format=True)
    return path
