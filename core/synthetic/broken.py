"""A folder of deliberately malformed files beside two good images."""

from __future__ import annotations

import logging
import struct
import zlib
from collections.abc import Mapping
from io import BytesIO
from pathlib import Path
from typing import Final

import numpy as np
from pydicom import dcmread

from core.synthetic.common import PathLike, check_rng
from core.synthetic.ct import write_ct_series_with_truth
from core.synthetic.cxr import write_cxr
from core.synthetic.study import make_study_context

logger = logging.getLogger(__name__)


#: Defects of :func:`write_broken_set`, by code ("good" marks a valid image).
BROKEN_DEFECTS: Final[Mapping[str, str]] = {
    "good": "nothing: a valid image, to show that the rest of the folder still loads",
    "truncated_in_header": "file cut in the middle of the data set, before Pixel Data",
    "truncated_in_pixel_data": "file cut half-way through the Pixel Data value",
    "missing_pixel_data": "image attributes present but no Pixel Data element",
    "pixel_data_short": "Pixel Data holds half of Rows x Columns x 2 bytes",
    "pixel_data_long": "Pixel Data holds more than Rows x Columns x 2 bytes",
    "wrong_value_length": "Rows (US) has value length 6 instead of 2, so parsing misaligns",
    "value_length_past_end": "a header element's value length points past the end of the file",
    "random_bytes": "not DICOM: random bytes",
    "text_file": "not DICOM: a text file",
    "empty_file": "not DICOM: an empty file",
    "png_image": "not DICOM: a PNG image",
    "dicm_then_garbage": "128-byte preamble and DICM prefix followed by random bytes",
}


def _png_bytes(rng: np.random.Generator, side: int = 32) -> bytes:
    """A small valid greyscale PNG (PNG spec: signature, IHDR, IDAT, IEND)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    pixels = (np.add.outer(np.arange(side), np.arange(side)) * 4 % 256).astype(np.uint8)
    pixels ^= rng.integers(0, 16, pixels.shape, dtype=np.uint8)
    raw = b"".join(b"\x00" + row.tobytes() for row in pixels)
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def _find_element(data: bytes, group: int, element: int, vr: bytes, start: int) -> int:
    """Offset of an explicit VR little endian element header (after ``start``)."""
    offset = data.find(struct.pack("<HH", group, element) + vr, start)
    if offset < 0:
        raise RuntimeError(f"element ({group:04X},{element:04X}) not found")  # our own bug
    return offset


def _read_sop_instance_uid(data: bytes) -> str:
    return str(dcmread(BytesIO(data), stop_before_pixels=True).SOPInstanceUID)


def write_broken_set(out_dir: PathLike, rng: np.random.Generator) -> dict[str, str]:
    """Write a folder of malformed files beside two good images.

    Parameters
    ----------
    out_dir : str or Path
        Folder to write into (created).
    rng : numpy.random.Generator

    Returns
    -------
    dict of str to str
        File name (relative to ``out_dir``) → defect code; the codes are the keys
        of :data:`BROKEN_DEFECTS` ("good" for the valid images).
    """
    check_rng(rng)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    study = make_study_context(rng)
    written: dict[str, str] = {}

    good_ct = write_ct_series_with_truth(
        out / "_tmp_good_ct",
        rng,
        slices=1,
        size=64,
        study=study,
    )
    template = good_ct[0][0].read_bytes()
    good_ct[0][0].unlink()
    (out / "_tmp_good_ct").rmdir()
    (out / "good_ct.dcm").write_bytes(template)
    written["good_ct.dcm"] = "good"
    write_cxr(out / "good_cxr.dcm", rng, size=128, study=study, series_number=2)
    written["good_cxr.dcm"] = "good"

    # Offsets in the template: file meta ends at 132 + (0002,0000) value + 12.
    meta_end = 132 + 12 + struct.unpack("<I", template[140:144])[0]
    pixel_at = _find_element(template, 0x7FE0, 0x0010, b"OW", meta_end)
    pixel_value_at = pixel_at + 12
    pixel_length = struct.unpack("<I", template[pixel_at + 8 : pixel_at + 12])[0]

    # Each broken file is its own object: a copy of good_ct's UID would be listed as a
    # duplicate instead of with its defect. Same-length UIDs keep every offset valid.
    sop_uid = _read_sop_instance_uid(template)
    variants = iter(d for d in "123456789" if not sop_uid.endswith(d))

    def put(name: str, code: str, data: bytes) -> None:
        if sop_uid and code not in ("random_bytes", "text_file", "empty_file", "png_image"):
            replacement = (sop_uid[:-1] + next(variants)).encode()
            data = data.replace(sop_uid.encode(), replacement)
        (out / name).write_bytes(data)
        written[name] = code

    put("truncated_header.dcm", "truncated_in_header", template[: (meta_end + pixel_at) // 2])
    put(
        "truncated_pixels.dcm",
        "truncated_in_pixel_data",
        template[: pixel_value_at + pixel_length // 2 + 1],
    )
    put("missing_pixels.dcm", "missing_pixel_data", template[:pixel_at])
    short = pixel_length // 2
    put(
        "pixel_data_short.dcm",
        "pixel_data_short",
        template[: pixel_at + 8]
        + struct.pack("<I", short)
        + template[pixel_value_at : pixel_value_at + short],
    )
    extra = rng.bytes(512)
    put(
        "pixel_data_long.dcm",
        "pixel_data_long",
        template[: pixel_at + 8]
        + struct.pack("<I", pixel_length + len(extra))
        + template[pixel_value_at : pixel_value_at + pixel_length]
        + extra,
    )
    rows_at = _find_element(template, 0x0028, 0x0010, b"US", meta_end)
    put(
        "wrong_value_length.dcm",
        "wrong_value_length",
        template[: rows_at + 6] + struct.pack("<H", 6) + template[rows_at + 8 :],
    )
    name_at = _find_element(template, 0x0008, 0x0070, b"LO", meta_end)  # Manufacturer
    put(
        "length_past_end.dcm",
        "value_length_past_end",
        template[: name_at + 6] + struct.pack("<H", 0xFFF0) + template[name_at + 8 : pixel_at],
    )
    put("random.bin", "random_bytes", rng.bytes(4096))
    put("notes.txt", "text_file", b"Synthetic test folder.\nThese files are not DICOM.\n")
    put("empty.dcm", "empty_file", b"")
    put("picture.png", "png_image", _png_bytes(rng))
    put("dicm_garbage.dcm", "dicm_then_garbage", bytes(128) + b"DICM" + rng.bytes(2048))
    logger.debug("wrote synthetic broken set of %d files", len(written))
    return dict(sorted(written.items()))
