"""Loading a 512-slice 512x512 CT: RadAssist against a plain pydicom loop and SimpleITK.

Each contender runs in a fresh interpreter (so peak memory is its own), in the same
bench run, on the same files, warm in the page cache; rounds are interleaved and
the median is reported. Ratios are against the pydicom loop measured in this run.

    python bench/bench_load.py [--slices 512] [--size 512] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench-data"


def _peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _make_series(slices: int, size: int) -> Path:
    folder = DATA / f"ct-{slices}x{size}"
    marker = folder / ".complete"
    if not marker.exists():
        import numpy as np

        from core.synthetic import write_ct_series

        folder.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        # Unsigned 12-bit stored values, intercept -1024: what most CT scanners write.
        write_ct_series(
            folder,
            np.random.default_rng(512),
            slices=slices,
            size=size,
            pixel_representation=0,
            bits_stored=12,
        )
        took = time.perf_counter() - started
        print(f"generated {slices} slices of {size}x{size} in {took:.1f} s")
        marker.write_text("ok\n")
    return folder


def _warm_page_cache(folder: Path) -> None:
    for path in folder.iterdir():
        path.read_bytes()


def run_radassist(folder: Path) -> dict[str, float]:
    from core.dicom import workers
    from core.dicom.index import scan
    from core.dicom.volume import FirstImage, load_series

    workers.warm_up()  # the app starts its workers while the window opens
    baseline = _peak_rss_bytes()
    start = time.perf_counter()
    index = scan(str(folder))
    scanned = time.perf_counter()
    series = max(index.all_series(), key=lambda s: s.frame_count)
    first = 0.0
    job = load_series(series)
    try:
        while True:
            event = next(job)
            if isinstance(event, FirstImage) and not first:
                first = time.perf_counter()
    except StopIteration as stop:
        volume = stop.value
    end = time.perf_counter()
    assert volume.loaded.all(), volume.failures[:3]
    return {
        "scan_s": scanned - start,
        "first_after_scan_s": first - scanned,
        "first_s": first - start,
        "total_s": end - start,
        "volume_bytes": volume.array.nbytes,
        "peak_above_baseline": _peak_rss_bytes() - baseline,
    }


def run_pydicom(folder: Path) -> dict[str, float]:
    import numpy as np
    import pydicom
    from pydicom.pixels import apply_modality_lut

    paths = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    baseline = _peak_rss_bytes()
    start = time.perf_counter()
    first = 0.0
    slices = []
    for path in paths:
        ds = pydicom.dcmread(path)
        values = apply_modality_lut(ds.pixel_array, ds)
        if not first:
            first = time.perf_counter()
        normal = np.cross(
            np.array(ds.ImageOrientationPatient[:3], float),
            np.array(ds.ImageOrientationPatient[3:], float),
        )
        slices.append((float(np.dot(normal, np.array(ds.ImagePositionPatient, float))), values))
    slices.sort(key=lambda item: item[0])
    volume = np.stack([values for _, values in slices])
    end = time.perf_counter()
    return {
        "first_s": first - start,
        "total_s": end - start,
        "volume_bytes": volume.nbytes,
        "peak_above_baseline": _peak_rss_bytes() - baseline,
    }


def run_simpleitk(folder: Path) -> dict[str, float]:
    import SimpleITK as sitk  # noqa: N813 - the library's own convention

    baseline = _peak_rss_bytes()
    start = time.perf_counter()
    names = sitk.ImageSeriesReader.GetGDCMSeriesFileNames(str(folder))
    first_image = sitk.ReadImage(names[0])
    first = time.perf_counter()
    del first_image
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(names)
    image = reader.Execute()
    volume = sitk.GetArrayViewFromImage(image)
    end = time.perf_counter()
    return {
        "first_s": first - start,
        "total_s": end - start,
        "volume_bytes": volume.nbytes,
        "peak_above_baseline": _peak_rss_bytes() - baseline,
    }


CONTENDERS = {"radassist": run_radassist, "pydicom": run_pydicom, "simpleitk": run_simpleitk}


def _one(name: str, folder: Path) -> None:
    result = CONTENDERS[name](folder)
    print(json.dumps(result))
    if name == "radassist":
        from core.dicom import workers

        workers.shutdown()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--slices", type=int, default=512)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--one", choices=sorted(CONTENDERS), help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        _one(args.one, Path(args.folder))
        return 0

    folder = _make_series(args.slices, args.size)
    _warm_page_cache(folder)
    results: dict[str, list[dict[str, float]]] = {name: [] for name in CONTENDERS}
    for _ in range(args.rounds):
        for name in CONTENDERS:
            out = subprocess.run(
                [sys.executable, __file__, "--one", name, "--folder", str(folder)],
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
            results[name].append(json.loads(out.stdout.strip().splitlines()[-1]))

    def med(name: str, key: str) -> float:
        return statistics.median(r[key] for r in results[name])

    mib = 1024 * 1024
    volume_bytes = med("radassist", "volume_bytes")
    print(
        f"\nLoad {args.slices} slices of {args.size}x{args.size} CT "
        f"({volume_bytes / mib:.0f} MiB of int16), median of {args.rounds} rounds"
    )
    print(f"{'':12}{'first image':>14}{'full volume':>14}{'peak mem / volume':>20}")
    for name in CONTENDERS:
        peak = med(name, "peak_above_baseline") / med(name, "volume_bytes")
        print(
            f"{name:12}{med(name, 'first_s'):>12.3f} s{med(name, 'total_s'):>12.3f} s{peak:>19.2f}x"
        )
    print(
        f"\nRadAssist scan (index, header only): {med('radassist', 'scan_s'):.3f} s; "
        f"first image after the scan: {med('radassist', 'first_after_scan_s'):.3f} s"
    )
    ratio_pd = med("radassist", "total_s") / med("pydicom", "total_s")
    ratio_sitk = med("radassist", "total_s") / med("simpleitk", "total_s")
    print(f"full volume ratio RadAssist / pydicom loop: {ratio_pd:.2f} (target <= 0.50)")
    print(f"full volume ratio RadAssist / SimpleITK:    {ratio_sitk:.2f}")
    print(
        f"first image (from the folder path): {med('radassist', 'first_s'):.3f} s (target < 0.3 s)"
    )
    print(
        f"peak memory above baseline / volume bytes: "
        f"{med('radassist', 'peak_above_baseline') / volume_bytes:.2f} (target <= 1.3)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
