"""The reading window against its targets: scrolling, a stall-free import, a fast start.

Three figures, each measured in a fresh interpreter on the 512-slice 512x512 CT that
bench/bench_load.py writes (bench-data/ct-512x512, reused when present):

* frame time while scrolling the whole series in the real Viewport, from ``set_frame``
  to the paint being done (median <= 16 ms, p99 <= 33 ms);
* the longest stall of the GUI thread while the series is opened through the main
  window (scan, first image, load, thumbnail), seen by a 5 ms heartbeat timer
  (<= 50 ms);
* start-up to the window shown, from spawning the process (<= 1.5 s), with torch
  never imported.

Qt runs offscreen unless QT_QPA_PLATFORM says otherwise (e.g. xcb under Xvfb).

    python bench/bench_viewer.py [--rounds 5] [--size 1024] [--strict]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import Heartbeat, child_env, finish, run_child, settle, wait_until

sys.path.insert(0, str(Path(__file__).resolve().parent))

FRAME_MEDIAN_MS, FRAME_P99_MS = 16.0, 33.0
STALL_MS = 50.0
STARTUP_S = 1.5


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def _app() -> Any:
    from desktop.app import create_application

    return create_application()


# -- the three measurements, each run in its own process ----------------------------------


def measure_frames(folder: Path, size: int) -> dict[str, Any]:
    """Scroll every slice forward then back; time set_frame + a synchronous repaint."""
    from core.dicom import workers
    from core.dicom.index import scan
    from core.dicom.volume import load_series
    from core.jobs import run_job

    workers.warm_up()
    index = scan(str(folder))
    series = max(index.all_series(), key=lambda s: s.frame_count)
    volume = run_job(load_series(series))
    workers.shutdown()
    app = _app()
    from desktop.viewer.viewport import Viewport

    viewport = Viewport()
    viewport.resize(size, size)
    viewport.show()
    viewport.set_volume(volume)
    settle(app, 0.3)
    count = volume.array.shape[0]
    order = list(range(count)) + list(range(count - 2, -1, -1))
    times: list[float] = []
    for i, frame in enumerate(order):
        start = time.perf_counter()
        viewport.set_frame(frame)
        viewport.repaint()  # paints now, not at the next event-loop turn
        elapsed = time.perf_counter() - start
        if i >= 5:  # the first frames build the window's lookup table
            times.append(elapsed * 1000)
        app.processEvents()
    shown = viewport.frame_index
    viewport.close()
    return {
        "frames": len(times),
        "median_ms": statistics.median(times),
        "p99_ms": _percentile(times, 99),
        "max_ms": max(times),
        "last_frame": shown,
        "viewport": [viewport.width(), viewport.height()],
        "platform": app.platformName(),
        "shape": list(volume.array.shape),
    }


def measure_stall(folder: Path, settings_dir: Path) -> dict[str, Any]:
    """Open the series through the main window with a 5 ms heartbeat running."""
    from desktop import app as desktop_app
    from desktop import workers as jobs
    from desktop.settings import Settings

    app = _app()
    window = desktop_app.start_window(
        None, settings=Settings(settings_dir / "bench.ini"), open_demo=False, warm_up=True
    )
    window.resize(1280, 900)
    wait_until(app, lambda: not jobs.active_jobs(), 30)  # the decoder warm-up
    settle(app, 0.3)

    heartbeat = Heartbeat()
    marks: dict[str, float] = {}
    window.study_opened.connect(lambda _: marks.setdefault("panels", time.perf_counter()))
    window.first_image_shown.connect(lambda _: marks.setdefault("first", time.perf_counter()))
    window.series_loaded.connect(lambda _: marks.setdefault("loaded", time.perf_counter()))

    heartbeat.start()
    settle(app, 0.1)
    start = time.perf_counter()
    window.open_path(folder)
    wait_until(
        app,
        lambda: "loaded" in marks and not window.is_busy and not window.browser.thumbnails_running,
        120,
    )
    settle(app, 0.2)
    heartbeat.stop()
    busy = heartbeat.gaps_ms(start - 0.01)
    loaded = window.grid.active_viewport.volume
    result = {
        "stall_ms": heartbeat.stall_ms(start - 0.01),
        "p99_gap_ms": _percentile(busy, 99),
        "gaps_over_50ms": sum(g - heartbeat.period_ms > STALL_MS for g in busy),
        "beats": len(busy),
        "panels_s": marks.get("panels", float("nan")) - start,
        "first_image_s": marks.get("first", float("nan")) - start,
        "loaded_s": marks.get("loaded", float("nan")) - start,
        "frames_loaded": int(loaded.loaded.sum()) if loaded is not None else 0,
        "platform": app.platformName(),
    }
    window.close()
    desktop_app.shutdown()
    return result


def measure_startup() -> dict[str, Any]:
    """Run from a fresh process: the window as `radassist` shows it, then a second's work."""
    from desktop.app import create_application, shutdown, start_window

    app = create_application()
    window = start_window(None, open_demo=False, warm_up=True)
    while window.windowHandle() is None or not window.windowHandle().isExposed():
        app.processEvents()
    shown = time.time()
    torch_at_shown = "torch" in sys.modules
    settle(app, 1.0)  # the decoder warm-up runs meanwhile
    result = {
        "shown_epoch": shown,
        "torch_at_shown": torch_at_shown,
        "torch_after_1s": "torch" in sys.modules,
        "transformers": "transformers" in sys.modules,
        "platform": app.platformName(),
    }
    window.close()
    shutdown()
    return result


# -- driver -----------------------------------------------------------------------------


def _child(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    return run_child(__file__, args, env, timeout=600)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5, help="start-up rounds (median)")
    parser.add_argument("--size", type=int, default=1024, help="viewport side in pixels")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--one", choices=("frames", "stall", "startup"), help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.add_argument("--settings-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.one == "frames":
        print(json.dumps(measure_frames(Path(args.folder), args.size)))
        return 0
    if args.one == "stall":
        print(json.dumps(measure_stall(Path(args.folder), Path(args.settings_dir))))
        return 0
    if args.one == "startup":
        print(json.dumps(measure_startup()))
        return 0

    from bench_load import _make_series, _warm_page_cache

    folder = _make_series(512, 512)
    _warm_page_cache(folder)
    scratch = Path(tempfile.mkdtemp(prefix="radassist-bench-"))
    env = child_env(scratch)
    frames = _child(["--one", "frames", "--folder", str(folder), "--size", str(args.size)], env)
    stall = _child(["--one", "stall", "--folder", str(folder), "--settings-dir", str(scratch)], env)
    startups: list[float] = []
    torch_seen = False
    for _ in range(args.rounds):
        spawned = time.time()
        result = _child(["--one", "startup"], env)
        startups.append(result["shown_epoch"] - spawned)
        torch_seen = torch_seen or result["torch_at_shown"] or result["torch_after_1s"]

    startup = statistics.median(startups)
    verdicts = {
        "frame median": frames["median_ms"] <= FRAME_MEDIAN_MS,
        "frame p99": frames["p99_ms"] <= FRAME_P99_MS,
        "stall": stall["stall_ms"] <= STALL_MS,
        "start-up": startup <= STARTUP_S,
        "torch": not torch_seen,
    }

    def mark(name: str) -> str:
        return "ok" if verdicts[name] else "MISSED"

    w, h = frames["viewport"]
    print(f"\nViewer on a {'x'.join(map(str, frames['shape']))} CT, Qt '{frames['platform']}'")
    print(
        f"frame time while scrolling ({frames['frames']} frames, {w}x{h} viewport): "
        f"median {frames['median_ms']:.1f} ms (target <= {FRAME_MEDIAN_MS:.0f}) "
        f"{mark('frame median')}, p99 {frames['p99_ms']:.1f} ms (target <= "
        f"{FRAME_P99_MS:.0f}) {mark('frame p99')}, max {frames['max_ms']:.1f} ms"
    )
    print(
        f"longest GUI-thread stall while opening it in the main window: "
        f"{stall['stall_ms']:.1f} ms (target <= {STALL_MS:.0f}) {mark('stall')}; "
        f"p99 heartbeat gap {stall['p99_gap_ms']:.1f} ms over {stall['beats']} beats; "
        f"first image {stall['first_image_s']:.2f} s, "
        f"all {stall['frames_loaded']} images {stall['loaded_s']:.2f} s, "
        f"browser and panels filled {stall['panels_s']:.2f} s"
    )
    print(
        f"start-up to window shown (fresh process, median of {args.rounds}): "
        f"{startup:.2f} s (target <= {STARTUP_S}) {mark('start-up')}; "
        f"range {min(startups):.2f}-{max(startups):.2f} s; torch imported: "
        f"{'YES' if torch_seen else 'no'} {mark('torch')}"
    )
    shutil.rmtree(scratch, ignore_errors=True)
    return finish(verdicts, args.strict)


if __name__ == "__main__":
    sys.exit(main())
