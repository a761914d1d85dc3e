"""The installer: bundle size, build time, and start-up of the frozen app vs the source tree.

Reads ``dist/build-info.json`` (written by ``make bundle``) for the sizes and the build
time, says what takes the space, then times launch to window (whole process: from
spawning it to the main window exposed on screen) for the frozen executable and for the
source tree (``python -m desktop``), alternating rounds in the same run, and prints the
ratio. Targets: installed folder <= 1.0 GB, each package <= 400 MB, frozen start-up
<= 1.5 s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT

sys.path.insert(0, str(ROOT))

from tests.xvfb import xvfb_display

DIST = ROOT / "dist"
FOLDER_GB = 1.0
PACKAGE_MB = 400
STARTUP_S = 1.5


def _space(folder: Path) -> list[tuple[str, int]]:
    """Bytes per top-level entry of the bundle's library folder (and the executable)."""
    sizes: dict[str, int] = {}
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            parts = path.relative_to(folder).parts
            key = "/".join(parts[:2]) if parts[0] == "_internal" and len(parts) > 1 else parts[0]
            sizes[key] = sizes.get(key, 0) + path.stat().st_size
    return sorted(sizes.items(), key=lambda item: -item[1])


def _startup(command: list[str], env: dict[str, str], scratch: Path) -> float:
    probe = scratch / "shown.json"
    probe.unlink(missing_ok=True)
    spawned = time.time()
    done = subprocess.run(
        command, env={**env, "RADASSIST_STARTUP_PROBE": str(probe)}, capture_output=True,
        text=True, timeout=120, cwd=scratch,
    )  # fmt: skip
    if done.returncode != 0 or not probe.exists():
        raise RuntimeError(f"{command[0]} did not show its window:\n{done.stderr[-2000:]}")
    return float(json.loads(probe.read_text())["shown_epoch"]) - spawned


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    info_path = DIST / "build-info.json"
    if not info_path.is_file():
        print("no bundle: run `make bundle` first", file=sys.stderr)
        return 2
    info = json.loads(info_path.read_text())
    folder = ROOT / info["folder"]
    mb, mib = 1_000_000, 1024 * 1024
    print(f"\nBundle {info['folder']} ({info['platform']}, version {info['version']})")
    print(f"installed folder: {info['folder_bytes'] / mb:.0f} MB ({info['folder_bytes'] / mib:.0f}"
          f" MiB), {info['folder_files']} files")  # fmt: skip
    for name, size in info["artefacts"].items():
        print(f"  {name}: {size / mb:.0f} MB")
    timings = info["timings"]
    print("build time: " + ", ".join(f"{key.removesuffix('_s')} {value:.0f} s"
                                     for key, value in timings.items()))  # fmt: skip
    print("what takes the space:")
    for name, size in _space(folder)[:12]:
        print(f"  {size / mb:7.1f} MB  {name}")

    executable = folder / ("radassist" if sys.platform.startswith("linux") else "RadAssist")
    scratch = Path(tempfile.mkdtemp(prefix="radassist-bench-bundle-"))
    with xvfb_display() as display:
        base_env = {"HOME": str(scratch / "home"), "PATH": "/usr/bin:/bin", "DISPLAY": display,
                    "LANG": "C.UTF-8"}  # fmt: skip
        (scratch / "home").mkdir()
        source_env = {**base_env, "PYTHONPATH": str(ROOT)}
        frozen_times: list[float] = []
        source_times: list[float] = []
        # One unmeasured start each (the demo study is generated on the first start).
        _startup([str(executable)], base_env, scratch)
        _startup([sys.executable, "-m", "desktop"], source_env, scratch)
        for _ in range(args.rounds):
            frozen_times.append(_startup([str(executable)], base_env, scratch))
            source_times.append(_startup([sys.executable, "-m", "desktop"], source_env, scratch))
    frozen = statistics.median(frozen_times)
    source = statistics.median(source_times)
    verdicts = {
        "folder": info["folder_bytes"] <= FOLDER_GB * 1e9,
        "packages": all(size <= PACKAGE_MB * mb for size in info["artefacts"].values()),
        "start-up": frozen <= STARTUP_S,
    }
    print(
        f"launch to window (whole process, Xvfb, median of {args.rounds}): frozen {frozen:.2f} s,"
        f" source tree {source:.2f} s, ratio frozen/source {frozen / source:.2f}"
        f" (frozen runs {', '.join(f'{t:.2f}' for t in frozen_times)})"
    )
    print("targets: " + ", ".join(f"{k} {'ok' if v else 'MISSED'}" for k, v in verdicts.items()))
    return 1 if args.strict and not all(verdicts.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
