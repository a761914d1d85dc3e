"""Mutated DICOM files, and the command line run on them (issue 11, "How it is proven").

:func:`make_mutants` derives mutants from a few valid seed files (pydicom's bundled test
files, one per transfer syntax family, and a synthetic chest radiograph) by byte flips,
overwritten runs of pixel data, truncation, corrupted element lengths, huge lengths and
impossible image sizes, all from one fixed seed.
:func:`run_fuzz` writes them, one folder per seed file, and runs the real commands on
them: ``scan`` on everything, ``load`` on each seed's folder, ``render`` on a sample of
files and ``analyze`` on everything; it records exit codes, tracebacks, the peak memory
of each command's process tree, and whether any input file changed.

The bounded test (``tests/core/test_fuzz.py``) runs a few hundred mutants; ``make fuzz``
runs thousands and prints the table::

    python -m tests.core.fuzzing --count 3000 --seed 0
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import struct
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from tests.core.process_helpers import CliRun, run_cli

#: pydicom's bundled test files used as seeds (small; every pixel-data family we decode).
SEED_FILES: tuple[str, ...] = (
    "CT_small.dcm",  # explicit VR little endian, 16 bit
    "MR_small_implicit.dcm",  # implicit VR
    "MR_small_bigendian.dcm",  # explicit VR big endian
    "image_dfl.dcm",  # deflated
    "MR_small_RLE.dcm",  # RLE
    "SC_rgb_rle.dcm",  # RLE colour
    "JPEG2000.dcm",  # JPEG 2000
    "MR_small_jpeg_ls_lossless.dcm",  # JPEG-LS
    "SC_rgb_jpeg_gdcm.dcm",  # JPEG baseline colour
    "JPEG-lossy.dcm",  # JPEG extended 12 bit
    "SC_rgb_small_odd.dcm",  # native RGB, odd size
    "rtdose_1frame.dcm",  # multi-frame family, 32 bit
)

MUTATIONS: tuple[str, ...] = (
    "flip",
    "pixels",
    "truncate",
    "length",
    "huge",
    "dimension",
    "double",
)

_VRS = (
    b"AE|AS|AT|CS|DA|DS|DT|FL|FD|IS|LO|LT|OB|OD|OF|OL|OV|OW|PN|SH|SL|SQ|SS|ST|SV|TM|UC|UI|UL"
    b"|UN|UR|US|UT|UV"
)
_LONG_VRS = {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"UC", b"UN", b"UR", b"UT", b"UV"}
_EXPLICIT = re.compile(rb"(?s)[\x02\x08\x10\x18\x20\x28\xe0][\x00\x7f]..(" + _VRS + rb")")
_IMPLICIT = re.compile(rb"(?s)[\x08\x10\x18\x20\x28][\x00]..")
_PIXEL_TAG = b"\xe0\x7f\x10\x00"
#: Rows, Columns (US) and Number of Frames (IS), explicit and implicit little endian.
_DIMENSION_TAGS = (b"\x28\x00\x10\x00", b"\x28\x00\x11\x00", b"\x28\x00\x08\x00")
_HUGE_LENGTHS = (0xFFFFFFFF, 0xFFFFFFFE, 0x7FFFFFFF, 0xFFFFFFF0, 0x10000000, 0x80000000)


@dataclass(frozen=True)
class Mutant:
    """One mutated file: its name, the seed it came from and what was done to it."""

    name: str
    seed: str
    mutation: str
    data: bytes


def seed_files() -> dict[str, bytes]:
    """The valid seed files by name: pydicom's (when installed) and a synthetic radiograph."""
    import numpy as np
    from pydicom.data import get_testdata_file

    from core.synthetic import write_cxr

    seeds: dict[str, bytes] = {}
    for name in SEED_FILES:
        path = get_testdata_file(name, download=False)
        if path is not None:
            seeds[name] = Path(str(path)).read_bytes()
    with tempfile.TemporaryDirectory() as folder:
        cxr = Path(folder) / "cxr.dcm"
        write_cxr(cxr, np.random.default_rng(3), view="PA", size=(64, 48))
        seeds["synthetic_cxr.dcm"] = cxr.read_bytes()
    return seeds


def _header_end(data: bytes) -> int:
    pixel = data.find(_PIXEL_TAG, 132)
    return pixel + 12 if pixel > 0 else len(data)


def _length_fields(data: bytes) -> list[tuple[int, int]]:
    """(offset, size) of element length fields found in the header (explicit or implicit)."""
    end = _header_end(data)
    fields: list[tuple[int, int]] = []
    for match in _EXPLICIT.finditer(data, 0, end):
        start = match.start()
        if match.group(1) in _LONG_VRS:
            fields.append((start + 8, 4))
        else:
            fields.append((start + 6, 2))
    if not fields:
        fields = [(m.start() + 4, 4) for m in _IMPLICIT.finditer(data, 132, end)]
    return [(offset, size) for offset, size in fields if offset + size <= len(data)]


def _flip(data: bytearray, rng: random.Random) -> str:
    count = rng.choice((1, 2, 4, 8, 16))
    end = _header_end(bytes(data))
    header = rng.random() < 0.4 or end >= len(data)
    low, high = (0, end) if header else (end, len(data))
    for _ in range(count):
        position = rng.randrange(low, max(low + 1, high))
        data[position] ^= rng.randrange(1, 256)
    return f"flip {count} in {'header' if header else 'pixels'}"


def _pixels(data: bytearray, rng: random.Random) -> str:
    """A run of the pixel data (or codestream) overwritten: random bytes, zeros or 0xFF."""
    end = _header_end(bytes(data))
    if end >= len(data) - 2:
        return _flip(data, rng)
    start = rng.randrange(end, len(data) - 1)
    size = min(len(data) - start, rng.choice((2, 16, 256, 4096)))
    fill = rng.choice(("random", "zeros", "ones"))
    if fill == "random":
        data[start : start + size] = bytes(rng.randrange(256) for _ in range(size))
    else:
        data[start : start + size] = (b"\0" if fill == "zeros" else b"\xff") * size
    return f"pixels {size} {fill}"


def _truncate(data: bytearray, rng: random.Random) -> str:
    where = rng.choice(("header", "pixels", "anywhere"))
    end = _header_end(bytes(data))
    low, high = {"header": (0, end), "pixels": (end, len(data)), "anywhere": (0, len(data))}[where]
    cut = rng.randrange(low, max(low + 1, high))
    del data[cut:]
    return f"truncate in {where}"


def _set_length(data: bytearray, offset: int, size: int, value: int) -> None:
    if size == 2:
        struct.pack_into("<H", data, offset, value & 0xFFFF)
    else:
        struct.pack_into("<I", data, offset, value & 0xFFFFFFFF)


def _length(data: bytearray, rng: random.Random) -> str:
    fields = _length_fields(bytes(data))
    if not fields:
        return _flip(data, rng)
    offset, size = rng.choice(fields)
    current = int.from_bytes(data[offset : offset + size], "little")
    value = rng.choice(
        (0, 1, current + 1, current + 2, max(0, current - 2), current * 2, rng.randrange(1 << 16))
    )
    _set_length(data, offset, size, value)
    return "length"


def _huge(data: bytearray, rng: random.Random) -> str:
    fields = [(o, s) for o, s in _length_fields(bytes(data)) if s == 4]
    if fields and rng.random() < 0.6:
        offset, _ = rng.choice(fields)
        _set_length(data, offset, 4, rng.choice(_HUGE_LENGTHS))
        return "huge length"
    # An element with a huge declared length inserted where an element starts.
    starts = [o - 8 for o, s in fields] or [min(len(data), 132)]
    at = rng.choice(starts)
    element = struct.pack("<HH2sHI", 0x0009, 0x1010, b"OB", 0, rng.choice(_HUGE_LENGTHS))
    data[at:at] = element
    return "huge element inserted"


def _dimension(data: bytearray, rng: random.Random) -> str:
    found = [(tag, data.find(tag, 132)) for tag in _DIMENSION_TAGS if data.find(tag, 132) > 0]
    if not found:
        return _huge(data, rng)
    tag, at = rng.choice(found)
    explicit = bytes(data[at + 4 : at + 6]) in (b"US", b"IS")
    value_at = at + 8  # tag, VR and 2-byte length, or tag and 4-byte length
    length = int.from_bytes(data[at + 6 : at + 8] if explicit else data[at + 4 : at + 8], "little")
    if tag == b"\x28\x00\x08\x00":  # Number of Frames: IS text, same length
        digits = min(max(length, 1), 12)
        text = rng.choice(("9" * digits, "-1".ljust(digits), "0".ljust(digits)))
        data[value_at : value_at + digits] = text.encode()[:digits]
    elif value_at + 2 <= len(data):
        struct.pack_into("<H", data, value_at, rng.choice((0, 1, 0xFFFF, 0x8000)))
    return "dimension"


_MUTATORS: dict[str, Callable[[bytearray, random.Random], str]] = {
    "flip": _flip,
    "pixels": _pixels,
    "truncate": _truncate,
    "length": _length,
    "huge": _huge,
    "dimension": _dimension,
}


def _double(data: bytearray, rng: random.Random) -> str:
    first, second = rng.sample(sorted(_MUTATORS), 2)
    return _MUTATORS[first](data, rng) + " + " + _MUTATORS[second](data, rng)


def _unique_uids(data: bytes, seed: str, number: int) -> bytes:
    """Each mutant its own SOP Instance UID (same length), so no two are copies of one object."""
    import io

    from pydicom import dcmread

    try:
        ds = dcmread(io.BytesIO(data), stop_before_pixels=True, force=True)
        uid = str(ds.SOPInstanceUID).encode()
    except Exception:
        return data
    suffix = str(number).encode()
    if len(uid) <= len(suffix) + 2:
        return data
    unique = uid[: len(uid) - len(suffix)] + suffix
    return data.replace(uid, unique)


def make_mutants(count: int, seed: int = 0) -> list[Mutant]:
    """``count`` mutants from the seed files, the same ones for the same ``seed``."""
    if count < 1:
        raise ValueError(f"count must be at least 1, found {count}")
    rng = random.Random(seed)
    seeds = seed_files()
    names = sorted(seeds)
    mutants: list[Mutant] = []
    for number in range(count):
        source = names[number % len(names)]
        mutation = MUTATIONS[(number // len(names)) % len(MUTATIONS)]
        data = bytearray(_unique_uids(seeds[source], source, number))
        done = _double(data, rng) if mutation == "double" else _MUTATORS[mutation](data, rng)
        stem = source.removesuffix(".dcm")
        mutants.append(Mutant(f"{number:05d}_{mutation}.dcm", stem, done, bytes(data)))
    return mutants


def write_mutants(folder: Path, mutants: Sequence[Mutant]) -> dict[Path, Mutant]:
    """Each mutant in ``folder/<seed>/``; returns them by path."""
    written: dict[Path, Mutant] = {}
    for mutant in mutants:
        path = folder / mutant.seed / mutant.name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(mutant.data)
        written[path] = mutant
    return written


def _digests(folder: Path) -> dict[Path, str]:
    return {
        path: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


#: What RadAssist itself writes on stderr: its one-line messages and its own log lines.
_OUR_LINE = re.compile(r"^(radassist: |(DEBUG|INFO|WARNING|ERROR|CRITICAL) (core|desktop)\.)")


def stray_lines(stderr: str) -> list[str]:
    """Lines of ``stderr`` RadAssist did not write (a library's log, warning or print)."""
    # Split as a terminal does: at newlines only (splitlines() also breaks at NEL, FF...).
    lines = [line for line in stderr.split("\n") if line.strip()]
    return [line for line in lines if not _OUR_LINE.match(line) and not line.startswith("(killed")]


@dataclass
class FuzzReport:
    """What the commands did with the mutants."""

    mutants: int
    runs: list[CliRun] = field(default_factory=list)
    scan_counts: dict[str, int] = field(default_factory=dict)
    changed_files: list[str] = field(default_factory=list)
    added_files: list[str] = field(default_factory=list)
    kinds: dict[str, str] = field(default_factory=dict)  # path: mutation kind
    unreadable: set[str] = field(default_factory=set)  # paths scan listed as unreadable

    def by_command(self) -> dict[str, list[CliRun]]:
        grouped: dict[str, list[CliRun]] = {}
        for run in self.runs:
            grouped.setdefault(run.args[0], []).append(run)
        return grouped

    def problems(self, ceiling: int) -> list[str]:
        """Every broken promise: an exit code not 0 or 3, a traceback, memory, a changed file."""
        found: list[str] = []
        for run in self.runs:
            what = " ".join(run.args[:2])
            if run.code not in (0, 3):
                found.append(f"{what}: exit {run.code}: {run.err[-800:]}")
            stray = stray_lines(run.err)
            if stray:
                found.append(f"{what}: library output on stderr: {stray[:5]}")
            if "Traceback" in run.err:
                found.append(f"{what}: traceback on stderr: {run.err[-1500:]}")
            if run.peak >= ceiling:
                found.append(f"{what}: peak memory {run.peak / (1 << 20):.0f} MiB")
        accounted = self.scan_counts.get("accounted", 0)
        if accounted != self.mutants:
            found.append(f"scan accounted for {accounted} of {self.mutants} files")
        found += [f"input file changed: {p}" for p in self.changed_files]
        found += [f"file written beside the inputs: {p}" for p in self.added_files]
        return found

    def table(self) -> str:
        lines = [
            f"{self.mutants} mutants; scan: {json.dumps(self.scan_counts)}",
            f"{'command':<8} {'runs':>5} {'exit 0':>7} {'exit 3':>7} {'other':>6} "
            f"{'traceback':>9} {'stray':>5} {'peak MiB':>9} {'seconds':>8}",
        ]
        for command, runs in sorted(self.by_command().items()):
            codes = Counter(run.code for run in runs)
            lines.append(
                f"{command:<8} {len(runs):>5} {codes[0]:>7} {codes[3]:>7} "
                f"{len(runs) - codes[0] - codes[3]:>6} "
                f"{sum('Traceback' in run.err for run in runs):>9} "
                f"{sum(bool(stray_lines(run.err)) for run in runs):>5} "
                f"{max(run.peak for run in runs) / (1 << 20):>9.0f} "
                f"{sum(run.seconds for run in runs):>8.1f}"
            )
        lines.append(
            f"input files changed: {len(self.changed_files)}; added: {len(self.added_files)}"
        )
        lines += ["", self._kinds_table()]
        return "\n".join(lines)

    def _kinds_table(self) -> str:
        """Per mutation kind: how many, unreadable at scan, and the render outcomes."""
        rendered = {run.args[1]: run.code for run in self.runs if run.args[0] == "render"}
        rows = [
            f"{'mutation':<10} {'inputs':>6} {'unreadable':>10} {'render 0':>8} {'render 3':>8}"
        ]
        for kind in MUTATIONS:
            paths = [p for p, k in self.kinds.items() if k == kind]
            codes = Counter(rendered[p] for p in paths if p in rendered)
            unreadable = sum(p in self.unreadable for p in paths)
            rows.append(f"{kind:<10} {len(paths):>6} {unreadable:>10} {codes[0]:>8} {codes[3]:>8}")
        return "\n".join(rows)


def _scan_counts(run: CliRun) -> dict[str, int]:
    if run.code != 0:
        return {"exit": run.code, "accounted": 0}
    data = json.loads(run.out)
    series = [s for p in data["patients"] for st in p["studies"] for s in st["series"]]
    counts = {
        "indexed": sum(s["instances"] for s in series),
        "non_image": len(data["non_image"]),
        "unreadable": len(data["unreadable"]),
        "not_dicom": len(data["skipped"]),
    }
    listed = [*data["unreadable"], *data["skipped"]]
    reasonless = [u for u in listed if not str(u.get("reason", "")).strip()]
    counts["unreadable_without_reason"] = len(reasonless)
    counts["accounted"] = sum(
        counts[key] for key in ("indexed", "non_image", "unreadable", "not_dicom")
    )
    return counts


def run_fuzz(
    work: Path,
    mutants: Sequence[Mutant],
    *,
    model: Path | None,
    render_every: int = 1,
    analyze_each_folder: bool = False,
    parallel: int = 2,
    timeout: float = 300,
) -> FuzzReport:
    """Write ``mutants`` under ``work/inputs`` and run the commands on them.

    ``render_every``: render one file in that many (one process per file). ``model``: the
    CNN package ``analyze`` uses (None: analyze is not run). ``analyze_each_folder``: one
    ``analyze`` per seed file's folder (a crash then hides less), else one for all.
    """
    inputs = work / "inputs"
    outputs = work / "outputs"
    home = work / "home"
    for folder in (inputs, outputs, home):
        folder.mkdir(parents=True, exist_ok=True)
    written = write_mutants(inputs, mutants)
    before = _digests(inputs)
    report = FuzzReport(mutants=len(written))
    report.kinds = {
        str(path): mutant.name.split("_", 1)[1][:-4] for path, mutant in written.items()
    }

    scan = run_cli(["scan", str(inputs), "--json"], home, timeout=timeout)
    report.runs.append(scan)
    report.scan_counts = _scan_counts(scan)
    if scan.code == 0:
        report.unreadable = {u["path"] for u in json.loads(scan.out)["unreadable"]}

    folders = sorted({p.parent for p in written})
    commands: list[list[str]] = [["load", str(folder), "--json"] for folder in folders]
    # In the mutants' order (seed files and mutation kinds interleaved), not the folders'.
    for number, path in enumerate(sorted(written, key=lambda p: written[p].name)):
        if number % render_every == 0:
            png = outputs / f"{path.parent.name}-{path.stem}.png"
            commands.append(["render", str(path), "--out", str(png)])
    if model is not None:
        for target in folders if analyze_each_folder else [inputs]:
            commands.append(["analyze", str(target), "--model", str(model), "--json"])
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        report.runs += list(pool.map(lambda args: run_cli(args, home, timeout=timeout), commands))

    after = _digests(inputs)
    report.changed_files = [str(p) for p in before if after.get(p) != before[p]]
    report.added_files = [str(p) for p in after if p not in before]
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fuzz the RadAssist command line.")
    parser.add_argument("--count", type=int, default=3000, help="number of mutants")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--render-every", type=int, default=10, help="render one file in N")
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument("--ceiling-mib", type=int, default=2048)
    parser.add_argument("--keep", help="folder to keep the mutants and outputs in")
    args = parser.parse_args(argv)

    from tests.core.model_helpers import make_package

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="radassist-fuzz-") as scratch:
        work = Path(args.keep) if args.keep else Path(scratch)
        package = make_package(work / "model", name="fuzz-model", applies_to={})
        report = run_fuzz(
            work,
            make_mutants(args.count, args.seed),
            model=package.folder,
            render_every=args.render_every,
            analyze_each_folder=True,
            parallel=args.parallel,
        )
        print(report.table())
        problems = report.problems(args.ceiling_mib << 20)
    print(f"{time.monotonic() - started:.0f} s; {len(problems)} problem(s)")
    for problem in problems:
        print(" -", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
