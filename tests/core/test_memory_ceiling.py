"""Issue 11 section 2: a ceiling on memory, checked before allocating.

Each bomb is generated here (a few MB at most on disk), then scanned, rendered and
loaded by the real command line while the peak RSS of the whole process tree
(the CLI, the fork server and the decoder workers) is sampled: each bomb must be
refused with "too large to decode safely" and the tree must stay under 1 GiB.
"""

from __future__ import annotations

import io
import json
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import psutil
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRLittleEndian,
    JPEG2000Lossless,
    RLELossless,
    generate_uid,
)

from core.dicom.limits import (
    HEADER_ALLOWANCE,
    TOO_LARGE,
    InflatingReader,
    codestream_size,
    expected_pixel_bytes,
    read_dataset_bounded,
    worker_address_space_limit,
)
from core.errors import PixelDataError
from tests.core.process_helpers import run_cli

_GIB = 1 << 30
_CEILING = 1 * _GIB

# --------------------------------------------------------------------------- bombs


def _dataset(rows: int, columns: int, frames: int = 1, bits: int = 16) -> Dataset:
    ds = Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"  # Secondary Capture
    ds.SOPInstanceUID = generate_uid()
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.PatientID = "BOMB"
    ds.Modality = "OT"
    ds.Rows, ds.Columns = rows, columns
    if frames > 1:
        ds.NumberOfFrames = frames
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = bits
    ds.HighBit = bits - 1
    ds.PixelRepresentation = 0
    return ds


def _meta(ds: Dataset, syntax: str) -> FileMetaDataset:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = syntax
    return meta


def _part10(ds: Dataset, syntax: str) -> bytes:
    buffer = io.BytesIO()
    ds.file_meta = _meta(ds, syntax)
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def _header_bytes(ds: Dataset) -> bytes:
    """The data set (no meta, no pixel data) in Explicit VR Little Endian."""
    from pydicom.filebase import DicomBytesIO
    from pydicom.filewriter import write_dataset

    out = DicomBytesIO()
    out.is_little_endian, out.is_implicit_VR = True, False
    write_dataset(out, ds)
    return out.getvalue()


def _zero_blocks(compressor: zlib._Compress, count_mib: int) -> bytes:
    """``count_mib`` MiB of zeros, deflated: after a full flush every MiB compresses alike."""
    block = compressor.compress(bytes(1 << 20)) + compressor.flush(zlib.Z_FULL_FLUSH)
    return block * count_mib


def make_deflate_bomb(path: Path, *, honest: bool = True) -> int:
    """A deflated file whose pixel data inflates to 3 GiB of zeros (about 3 MB on disk).

    ``honest``: the Pixel Data length declares the 3 GiB. Otherwise it declares a
    small image and the 3 GiB of zeros follow it as trailing data.
    """
    if honest:
        ds = _dataset(32768, 49152)  # 3 GiB at 16 bits
        pixel_length = expected_pixel_bytes(32768, 49152, 1, 1, 16)
    else:
        ds = _dataset(64, 64)
        pixel_length = 64 * 64 * 2
    from pydicom.filebase import DicomBytesIO
    from pydicom.filewriter import write_file_meta_info

    meta_buffer = DicomBytesIO()
    meta_buffer.write(b"\0" * 128 + b"DICM")
    write_file_meta_info(meta_buffer, _meta(ds, DeflatedExplicitVRLittleEndian))
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    body = _header_bytes(ds) + struct.pack("<HH2sHI", 0x7FE0, 0x0010, b"OW", 0, pixel_length)
    parts = [compressor.compress(body), compressor.flush(zlib.Z_FULL_FLUSH)]
    if honest:
        parts.append(_zero_blocks(compressor, pixel_length >> 20))
    else:
        parts.append(compressor.compress(bytes(pixel_length)) + compressor.flush(zlib.Z_FULL_FLUSH))
        parts.append(_zero_blocks(compressor, 3 * 1024))
    parts.append(compressor.flush())
    data = meta_buffer.getvalue() + b"".join(parts)
    path.write_bytes(data)
    return 3 * _GIB


def make_j2k_bomb(path: Path) -> None:
    """A JPEG 2000 file of a few KB whose codestream's SIZ marker declares 60000 x 60000."""
    import openjpeg

    small = (np.arange(64 * 64, dtype=np.uint16).reshape(64, 64) * 7) & 0x0FFF
    codestream = bytearray(openjpeg.encode(small, bits_stored=12))
    siz = codestream.find(b"\xff\x4f\xff\x51") + 4
    # Xsiz, Ysiz and the tile size XTsiz, YTsiz (ITU T.800 A.5.1).
    struct.pack_into(">II", codestream, siz + 4, 60000, 60000)
    struct.pack_into(">II", codestream, siz + 20, 60000, 60000)
    ds = _dataset(64, 64)
    ds.BitsStored, ds.HighBit = 12, 11
    ds.PixelData = encapsulate([bytes(codestream)])
    ds["PixelData"].VR = "OB"
    path.write_bytes(_part10(ds, JPEG2000Lossless))


def make_rle_bomb(path: Path) -> None:
    """An RLE file under 1 KB declaring 65535 x 65535 x 100000 frames."""
    ds = _dataset(65535, 65535, frames=100000, bits=8)
    header = struct.pack("<16I", 1, 64, *([0] * 14))
    segment = b"\x81\x00" * 64  # runs of zeros, far fewer than declared
    ds.PixelData = encapsulate([header + segment])
    ds["PixelData"].VR = "OB"
    path.write_bytes(_part10(ds, RLELossless))


def make_zip_bomb(path: Path) -> None:
    """A ~2 MB zip whose one member is a 2 GiB native DICOM file (zeros)."""
    ds = _dataset(32768, 32768)  # 2 GiB at 16 bits
    pixel_length = 32768 * 32768 * 2
    ds.file_meta = _meta(ds, ExplicitVRLittleEndian)
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    head = buffer.getvalue() + struct.pack("<HH2sHI", 0x7FE0, 0x0010, b"OW", 0, pixel_length)
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
        archive.open("IMG0001.dcm", "w", force_zip64=True) as member,
    ):
        member.write(head)
        zeros = bytes(64 << 20)
        for _ in range(pixel_length // len(zeros)):
            member.write(zeros)


# --------------------------------------------------------------------------- measuring


def _run_cli(args: list[str], home: Path) -> tuple[int, str, str, int]:
    run = run_cli(args, home)
    return run.code, run.out, run.err, run.peak


def _files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


_BOMBS: dict[str, tuple[str, Callable[[Path], object]]] = {
    "deflate": ("bomb_deflated.dcm", make_deflate_bomb),
    "jpeg2000": ("bomb_j2k.dcm", make_j2k_bomb),
    "rle": ("bomb_rle.dcm", make_rle_bomb),
    "zip": ("bomb.zip", make_zip_bomb),
}


@pytest.mark.parametrize("kind", sorted(_BOMBS))
def test_bomb_is_refused_under_the_memory_ceiling(kind: str, tmp_path: Path) -> None:
    name, make = _BOMBS[kind]
    source = tmp_path / "study"
    source.mkdir()
    bomb = source / name
    make(bomb)
    assert bomb.stat().st_size < 16 << 20  # small on disk
    export = tmp_path / "export"
    home = tmp_path / "home"
    home.mkdir()
    before = _files_under(tmp_path)

    # A zip is scanned as a source of its own; a file is scanned in its folder.
    scanned = str(bomb) if kind == "zip" else str(source)
    code, out, err, peak = _run_cli(["scan", scanned, "--json"], home)
    assert code in (0, 3), err
    assert "Traceback" not in err
    assert peak < _CEILING, f"scan of the {kind} bomb peaked at {peak / _GIB:.2f} GiB"

    png = export / "render.png"
    code, out, err, peak = _run_cli(["render", str(bomb), "--out", str(png)], home)
    assert code == 3, (out, err)
    assert TOO_LARGE in err, err
    assert "Traceback" not in err
    assert not png.exists()
    assert peak < _CEILING, f"render of the {kind} bomb peaked at {peak / _GIB:.2f} GiB"

    code, out, err, peak = _run_cli(["load", scanned, "--json"], home)
    assert "Traceback" not in err
    if code == 0:  # the volume was set up; its one frame was refused, with the reason
        reasons = [f["reason"] for f in json.loads(out)["failures"]]
        assert reasons and all(TOO_LARGE in r for r in reasons), reasons
    else:
        assert code == 3 and TOO_LARGE in err, (code, err)
    assert peak < _CEILING, f"load of the {kind} bomb peaked at {peak / _GIB:.2f} GiB"

    # Nothing was written beside the source or anywhere under the test folder but home.
    after = {p for p in _files_under(tmp_path) if home not in p.parents}
    assert after == {p for p in before if home not in p.parents}


# --------------------------------------------------------------------------- units


def test_a_header_read_of_a_deflate_bomb_inflates_no_pixel_data(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.dcm"
    make_deflate_bomb(bomb)
    before = psutil.Process().memory_info().rss
    with open(bomb, "rb") as stream:
        ds = read_dataset_bounded(stream, stop_before_pixels=True)
    assert ds.Rows == 32768 and "PixelData" not in ds
    assert psutil.Process().memory_info().rss - before < 256 << 20
    with open(bomb, "rb") as stream, pytest.raises(PixelDataError, match=TOO_LARGE):
        read_dataset_bounded(stream)


def test_data_trailing_a_deflated_data_set_is_inflated_only_up_to_the_cap(
    tmp_path: Path,
) -> None:
    bomb = tmp_path / "trailing.dcm"
    make_deflate_bomb(bomb, honest=False)
    with open(bomb, "rb") as stream, pytest.raises(PixelDataError, match=TOO_LARGE):
        read_dataset_bounded(stream)


def test_the_inflating_reader_stops_at_its_cap() -> None:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    data = compressor.compress(bytes(64 << 20)) + compressor.flush()
    reader = InflatingReader(io.BytesIO(data), 8 << 20, "x.dcm")  # type: ignore[arg-type]
    assert reader.read(4 << 20) == bytes(4 << 20)
    with pytest.raises(PixelDataError, match=TOO_LARGE):
        reader.read()


def test_a_small_deflated_file_still_reads_whole() -> None:
    ds = _dataset(16, 16)
    ds.PixelData = (np.arange(256, dtype=np.uint16) * 3).tobytes()
    ds["PixelData"].VR = "OW"
    data = _part10(ds, DeflatedExplicitVRLittleEndian)
    read = read_dataset_bounded(io.BytesIO(data))
    assert read.PixelData == ds.PixelData
    assert read.Rows == 16


def test_codestream_headers_are_read() -> None:
    import openjpeg

    j2k = openjpeg.encode(np.zeros((80, 64), dtype=np.uint8), bits_stored=8)
    assert codestream_size("JPEG 2000 Image Compression (Lossless Only)", j2k) == (80, 64, 1, 8)
    sof = b"\xff\xd8\xff\xe0\x00\x04ab\xff\xc3\x00\x0b\x0c\x01\x00\x02\x00\x01\x11\x00"
    assert codestream_size("JPEG Lossless", sof) == (256, 512, 1, 12)


def test_worker_address_space_limit_has_a_floor() -> None:
    assert worker_address_space_limit() >= 4 * _GIB


def allocate_past_the_address_space_limit(_: int) -> int:
    """Worker side: ask for more than the soft RLIMIT_AS (fails at once, nothing touched)."""
    import resource

    soft, _hard = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY:
        return -1  # no ceiling: the test fails below
    return len(bytearray(soft + 1))


def soft_address_space_limit(_: int) -> int:
    import resource

    return resource.getrlimit(resource.RLIMIT_AS)[0]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS is Linux-only")
def test_a_worker_past_its_memory_ceiling_costs_one_item_as_too_large() -> None:
    from core.dicom.workers import run_isolated

    (limit,) = [o.result for o in run_isolated(soft_address_space_limit, [0])]
    assert limit is not None and 0 < limit <= worker_address_space_limit()

    outcomes = list(
        run_isolated(allocate_past_the_address_space_limit, [0], describe=lambda _: "big.dcm")
    )
    assert len(outcomes) == 1
    assert outcomes[0].result is None, "the decoder worker runs without an address-space limit"
    assert isinstance(outcomes[0].error, PixelDataError)
    assert outcomes[0].error.reason == TOO_LARGE
    assert str(outcomes[0].error).startswith("big.dcm")


def test_header_allowance_is_modest() -> None:
    assert HEADER_ALLOWANCE <= 16 << 20
