"""Decoding is isolated on every path (house rule 4): one crashing file costs that file.

A study holds one good radiograph beside files whose decoders crash in ways that are
not ordinary ``Exception``s or that ordinary handlers miss: a pylibjpeg-rle panic
(pyo3 ``PanicException`` derives from ``BaseException``), a ``zlib.error`` from a
corrupt deflated stream and a ``RecursionError`` from a 10,000-deep sequence. Every
headless command that reads pixels analyses, renders or drafts the good image and
names each bad one "could not be read: <reason>" on one line, without a traceback.
"""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydicom import dcmread
from pydicom.uid import generate_uid

from core.analysis.manifest import ModelPackage
from core.synthetic import make_study_context, write_cxr
from tests.core.model_helpers import make_package, soften

ROOT = Path(__file__).resolve().parents[2]
BAD_FILES = ("rle_panic.dcm", "deflate_broken.dcm", "deep_sequence.dcm")
RLE_LOSSLESS = "1.2.840.10008.1.2.5"
DEFLATED = "1.2.840.10008.1.2.1.99"
SIZE = 512


# --------------------------------------------------------------------------- the files


def _rle_frame_that_panics(rows: int, columns: int) -> bytes:
    """A 16-bit RLE frame whose first segment runs past the frame in pylibjpeg-rle.

    The decoder checks ``idx + run <= frame`` but writes every ``bytes_per_pixel``-th
    byte, so a run that starts near the end of the frame indexes past it: a Rust
    panic ("index out of bounds"), which reaches Python as a ``PanicException``.
    """
    pixels = rows * columns
    runs, left = [], pixels - 60  # 60 pixels short of the end, then a run of 100
    while left > 0:
        run = min(128, left)
        runs.append(bytes([257 - run, 0]) if run > 1 else bytes([0, 0]))
        left -= run
    first = b"".join(runs) + bytes([257 - 100, 0]) * 4
    second = bytes([257 - 128, 0]) * (pixels // 128 + 1)
    if len(first) % 2:
        first += b"\x80"
    header = struct.pack("<16I", 2, 64, 64 + len(first), *([0] * 13))
    return header + first + second


def _write_rle_panic(path: Path, rng: np.random.Generator, **where: Any) -> None:
    from pydicom.encaps import encapsulate

    write_cxr(path, rng, size=SIZE, bits_stored=12, transfer_syntax=RLE_LOSSLESS, **where)
    ds = dcmread(path)
    assert int(ds.BitsAllocated) == 16
    ds.PixelData = encapsulate([_rle_frame_that_panics(int(ds.Rows), int(ds.Columns))])
    ds["PixelData"].is_undefined_length = True
    ds.save_as(path, enforce_file_format=True)


def _write_broken_deflate(path: Path, rng: np.random.Generator, **where: Any) -> None:
    """A deflated data set whose header inflates but whose pixel data does not.

    The data set is deflated in stored blocks up to the middle of its pixel data, then
    a block of the reserved type 11 follows (RFC 1951 3.2.3): zlib says "invalid block
    type". A header read inflates a few hundred kilobytes at most and never meets it.
    """
    from pydicom.filewriter import write_file_meta_info

    write_cxr(path, rng, size=SIZE, **where)
    raw = path.read_bytes()
    (meta_length,) = struct.unpack_from("<I", raw, 132 + 8)
    body = raw[132 + 12 + meta_length :]
    cut = len(body) * 3 // 4
    assert cut > 300_000  # past what a header read inflates
    deflater = zlib.compressobj(0, zlib.DEFLATED, -zlib.MAX_WBITS)
    deflated = deflater.compress(body[:cut]) + deflater.flush(zlib.Z_FULL_FLUSH)
    meta = dcmread(path, stop_before_pixels=True).file_meta
    meta.TransferSyntaxUID = DEFLATED
    head = io.BytesIO()
    write_file_meta_info(head, meta)
    path.write_bytes(bytes(128) + b"DICM" + head.getvalue() + deflated + b"\x07" + bytes(64))


def _nested_sequence(depth: int) -> bytes:
    """Digital Signatures Sequence (FFFA,FFFA) nested ``depth`` deep, undefined lengths."""
    sequence = struct.pack("<HH2sHI", 0xFFFA, 0xFFFA, b"SQ", 0, 0xFFFFFFFF)
    item = struct.pack("<HHI", 0xFFFE, 0xE000, 0xFFFFFFFF)
    item_end = struct.pack("<HHI", 0xFFFE, 0xE00D, 0)
    sequence_end = struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)
    return (sequence + item) * depth + (item_end + sequence_end) * depth


def _write_deep_sequence(path: Path, rng: np.random.Generator, **where: Any) -> None:
    """A good radiograph followed by a 10,000-deep sequence after its pixel data.

    A header read stops before the pixel data and never meets it; a full read recurses.
    """
    write_cxr(path, rng, size=SIZE, **where)
    path.write_bytes(path.read_bytes() + _nested_sequence(10_000))


def write_study(folder: Path, *, good: bool, bad: tuple[str, ...] = BAD_FILES) -> None:
    """Crashing files of the module docstring (and ``good.dcm``): one PA series."""
    rng = np.random.default_rng(0)
    study = make_study_context(rng)
    series_uid = generate_uid()
    folder.mkdir(parents=True, exist_ok=True)
    if good:
        write_cxr(
            folder / "good.dcm",
            rng,
            size=SIZE,
            lesions=None,
            study=study,
            series_uid=series_uid,
            instance_number=1,
        )
    writers = (_write_rle_panic, _write_broken_deflate, _write_deep_sequence)
    for number, (name, write) in enumerate(zip(BAD_FILES, writers, strict=True), start=2):
        if name in bad:
            write(folder / name, rng, study=study, series_uid=series_uid, instance_number=number)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> ModelPackage:
    return make_package(
        tmp_path_factory.mktemp("models") / "isolation-model",
        name="isolation-model",
        labels=("Nodule", "Effusion"),
        thresholds={"Nodule": 0.0, "Effusion": 1.0},
        edit=soften,
    )


@pytest.fixture(scope="module")
def undecodable(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Only files whose pixel data no decoder reads (the deep sequence's pixels are fine:
    a series load reads native pixel data at its offset, without parsing what follows)."""
    folder = tmp_path_factory.mktemp("undecodable")
    write_study(folder, good=False, bad=BAD_FILES[:2])
    return folder


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One good radiograph (``good.dcm``) beside the three bad files."""
    folder = tmp_path_factory.mktemp("mixed")
    write_study(folder, good=True)
    return folder


def _radassist(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real command in a process of its own, with a private data folder."""
    env = dict(os.environ, RADASSIST_DATA_DIR=str(tmp_path / "data"))
    return subprocess.run(
        [sys.executable, "-m", "core.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _assert_clean_stderr(stderr: str) -> None:
    assert "Traceback" not in stderr, stderr
    assert "PanicException" not in stderr, stderr


def _radassist_lines(stderr: str) -> int:
    """Lines the command wrote (a native decoder may print its panic message too)."""
    return sum(line.startswith("radassist: ") for line in stderr.splitlines())


def _reasons(text: str) -> dict[str, str]:
    """File name -> reason of every "could not be read" line."""
    found = {}
    for line in text.splitlines():
        if "could not be read: " in line:
            name = next((n for n in BAD_FILES if n in line), None)
            if name is not None:
                found[name] = line.split("could not be read: ", 1)[1]
    return found


# --------------------------------------------------------------------------- the files crash


def test_each_bad_file_crashes_its_decoder_in_process(mixed: Path) -> None:
    """The files do what they are for: the in-process reader dies on each."""
    from core.dicom.limits import read_dataset_bounded
    from core.dicom.pixels import read_frame_values

    crashes = {}
    for name in BAD_FILES:
        try:
            with open(mixed / name, "rb") as stream:
                header = read_dataset_bounded(stream, stop_before_pixels=True)
            assert header.Modality == "DX"  # the header alone is fine
            with open(mixed / name, "rb") as stream:
                read_frame_values(read_dataset_bounded(stream), 0, source=name)
        except BaseException as error:  # what escapes is the point
            crashes[name] = type(error).__name__
    assert crashes == {
        "rle_panic.dcm": "PanicException",
        "deflate_broken.dcm": "error",  # zlib.error
        "deep_sequence.dcm": "RecursionError",
    }


# --------------------------------------------------------------------------- the one reader


def raise_base_exception(item: str) -> str:
    """Module level, so that a worker process can run it."""

    class NativePanic(BaseException):
        pass

    raise NativePanic(f"the decoder panicked on {item}")


def test_a_base_exception_in_the_worker_comes_back_typed() -> None:
    from core.dicom.isolated_read import run_decoder
    from core.errors import PixelDataError

    (outcome,) = run_decoder(raise_base_exception, ["a.dcm"], describe=str)
    assert outcome.result is None
    assert isinstance(outcome.error, PixelDataError)
    assert outcome.error.source == "a.dcm"
    assert "NativePanic" in outcome.error.reason and "panicked" in outcome.error.reason


def test_read_display_frames_reads_the_good_and_names_the_bad(mixed: Path) -> None:
    from core.dicom.isolated_read import read_display_frame
    from core.dicom.records import FileRef
    from core.errors import DicomError, DicomReadError, PixelDataError

    image = read_display_frame(FileRef(str(mixed / "good.dcm")), 0)
    assert image.shape == (SIZE, SIZE) and image.dtype == np.uint8
    kinds = {}
    for name in BAD_FILES:
        with pytest.raises(DicomError) as caught:
            read_display_frame(FileRef(str(mixed / name)), 0)
        assert caught.value.source == str(mixed / name) and "\n" not in caught.value.reason
        kinds[name] = type(caught.value)
    # A decoder that failed on good data vs. a data set that does not parse.
    assert kinds == {
        "rle_panic.dcm": PixelDataError,
        "deflate_broken.dcm": DicomReadError,
        "deep_sequence.dcm": DicomReadError,
    }


# --------------------------------------------------------------------------- the commands


def test_analyze_reads_the_good_image_and_lists_each_bad_one(
    mixed: Path, package: ModelPackage, tmp_path: Path
) -> None:
    heatmaps = tmp_path / "heatmaps"
    model = str(package.folder)
    args = ["--model", model, "--json", "--export", "--heatmap-dir", str(heatmaps)]
    done = _radassist(tmp_path, "analyze", str(mixed), *args)
    _assert_clean_stderr(done.stderr)
    assert done.returncode == 0, done.stderr
    data = {Path(item["path"]).name: item for item in json.loads(done.stdout)}
    good = data["good.dcm"]
    assert good["skipped"] is None and good["findings"]
    # The heatmap PNG and the exported DICOM drew the good image, decoded in a worker.
    nodule = next(f for f in good["findings"] if f["label"] == "Nodule")
    assert Path(nodule["heatmap_png"]).is_file()
    assert len(good["exported"]) == 2 and all(Path(p).is_file() for p in good["exported"])
    reasons = {name: data[name]["skipped"] for name in BAD_FILES}
    for name, reason in reasons.items():
        assert reason.startswith("could not be read: ") and "\n" not in reason, reason
        assert "Error: (" not in reason, reason  # a reason, not an exception's repr
        assert data[name]["findings"] == []
    assert "panic" in reasons["rle_panic.dcm"]
    assert "zlib" in reasons["deflate_broken.dcm"]
    assert reasons["deep_sequence.dcm"] == (
        "could not be read: not readable as DICOM "
        "(its data elements are nested too deep to read (RecursionError))"
    )


def test_analyze_of_one_bad_file_exits_3(
    mixed: Path, package: ModelPackage, tmp_path: Path
) -> None:
    done = _radassist(
        tmp_path, "analyze", str(mixed / "rle_panic.dcm"), "--model", str(package.folder)
    )
    _assert_clean_stderr(done.stderr)
    assert done.returncode == 3, done.stderr
    assert _radassist_lines(done.stderr) == 1 and "could not be read" in done.stderr


def test_render_of_a_bad_file_exits_3_with_one_line(mixed: Path, tmp_path: Path) -> None:
    for name in BAD_FILES:
        done = _radassist(tmp_path, "render", str(mixed / name), "--out", str(tmp_path / "x.png"))
        _assert_clean_stderr(done.stderr)
        assert done.returncode == 3, done.stderr
        assert "could not be read: " in done.stderr, done.stderr
    good = _radassist(tmp_path, "render", str(mixed / "good.dcm"), "--out", str(tmp_path / "g.png"))
    assert good.returncode == 0, good.stderr
    assert (tmp_path / "g.png").is_file()


def test_load_goes_on_past_bad_frames_and_exits_3_when_none_was_read(
    mixed: Path, undecodable: Path, tmp_path: Path
) -> None:
    done = _radassist(tmp_path, "load", str(mixed), "--json")
    _assert_clean_stderr(done.stderr)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    failed = {Path(f["path"]).name: f["reason"] for f in data["failures"]}
    assert set(failed) == set(BAD_FILES[:2]), failed
    assert "panic" in failed["rle_panic.dcm"] and "zlib" in failed["deflate_broken.dcm"]
    nothing = _radassist(tmp_path, "load", str(undecodable), "--json")
    _assert_clean_stderr(nothing.stderr)
    assert nothing.returncode == 3, (nothing.stdout, nothing.stderr)
    assert "could not be read" in nothing.stderr


def test_draft_uses_the_good_image_and_names_the_bad_ones(
    mixed: Path, package: ModelPackage, tmp_path: Path
) -> None:
    done = _radassist(
        tmp_path, "draft", str(mixed), "--analysis-model", str(package.folder), "--json"
    )
    _assert_clean_stderr(done.stderr)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["analysed"] is True
    assert {f["label"] for f in data["findings"]} == {"Nodule", "Effusion"}
    reasons = _reasons(done.stderr)
    assert set(reasons) == set(BAD_FILES), done.stderr


def test_a_thumbnail_of_a_file_that_panics_its_decoder_says_why(tmp_path: Path) -> None:
    from core.dicom.index import scan
    from core.dicom.thumbnails import ThumbnailFailed, thumbnail_job

    write_study(tmp_path / "rle", good=False, bad=("rle_panic.dcm",))
    index = scan(tmp_path / "rle")
    events: list[Any] = []
    job = thumbnail_job(index.all_series())
    while True:
        try:
            events.append(next(job))
        except StopIteration:
            break
    (failed,) = [e for e in events if isinstance(e, ThumbnailFailed)]
    # The decoder's panic, named, and the file -- not "Can't pickle PanicException".
    assert "panic" in failed.reason and "pickle" not in failed.reason
