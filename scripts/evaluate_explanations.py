"""The pointing game for every heatmap method, per lesion size, on unseen radiographs.

Usage::

    .venv/bin/python scripts/evaluate_explanations.py [--count 120] [--json] [--record]
    .venv/bin/python scripts/evaluate_explanations.py --start 120 --count 360 --small-only --record

Cases are the "explanation" split of :mod:`scripts.demo_data` (a random stream no
training, validation or model-card case used), analysed through the app's own path
(:func:`core.analysis.inference.analyze_image`, no cache) once per method in
:data:`core.analysis.explain.METHODS`.

Pointing game (as the model card's): for every true-positive finding, a hit when the
peak of its heatmap (``Finding.heatmap_peak``, original pixels) lies within the
lesion's disc (distance from the generator's centre <= its radius). A finding whose
method refused a flat map has no peak: a miss. Lesion sizes, by radius as a share of
the image side: small < 3 % (every nodule), medium 3-7 % (most masses), large >= 7 %
(consolidation, effusion, pneumothorax, the heart).

Small lesions are rare in the generator's mix (11 true-positive nodules in the first
120 cases): the small-lesion figure is also measured on the small lesions of the cases
after the main ones (``--small-only``, kept in the record as its extension), and the
target is judged on both together (:func:`small_lesion_figures`).

Also per method: the mean faithfulness drop (probability lost when the map's top
10 % is masked), the maps refused as flat, and seconds per true-positive finding
(heatmap time only, in this process).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import demo_data

from core.analysis.explain import METHODS
from core.analysis.inference import analyze_image, load_model
from core.jobs import run_job

ROOT: Final = Path(__file__).resolve().parents[1]
PACKAGE_DIR: Final = ROOT / "resources" / "models" / "radassist-demo-cxr"
SPLIT: Final = "explanation"
#: The issue's targets, per method.
TARGET_OVERALL: Final = 0.80
TARGET_SMALL: Final = 0.70
SIZES: Final = ("small", "medium", "large")
RECORD_NAME: Final = "explanations.json"
#: The record's small-lesion extension: the small lesions of the cases after the main ones.
EXTENSION: Final = "small_lesion_extension"


def size_class(radius: float, side: int) -> str:
    """``"small"``, ``"medium"`` or ``"large"`` by the radius's share of the image side."""
    share = radius / side
    return "small" if share < 0.03 else "medium" if share < 0.07 else "large"


def small_lesion_figures(record: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """Each method's small-lesion (hits, findings) in ``record``: the main cases' and,
    when recorded, the extension's together -- the figure the small-lesion target is
    judged on (11 small lesions in 120 radiographs cannot tell 0.55 from 0.75)."""
    extension = record.get(EXTENSION, {}).get("methods", {})
    figures = {}
    for method, main in record["methods"].items():
        small = main["by_size"]["small"]
        more = extension.get(method, {"hits": 0, "findings": 0})
        figures[method] = (small["hits"] + more["hits"], small["findings"] + more["findings"])
    return figures


def meets_targets(figures: dict[str, Any], small: tuple[int, int]) -> bool:
    """Whether a method's recorded figures (``record["methods"][method]``) meet both
    targets, ``small`` being its small-lesion (hits, findings) from
    :func:`small_lesion_figures`."""
    hits, findings = small
    return bool(
        figures["pointing_game"] >= TARGET_OVERALL and findings and hits / findings >= TARGET_SMALL
    )


@dataclass
class MethodFigures:
    """One method's figures."""

    hits: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SIZES, 0))
    findings: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SIZES, 0))
    flat: int = 0
    silent: int = 0
    drops: list[float] = field(default_factory=list)
    seconds: float = 0.0
    #: label -> [hits, findings]: which findings a method cannot point at.
    by_label: dict[str, list[int]] = field(default_factory=dict)

    def pointing(self, size: str | None = None) -> float:
        sizes = SIZES if size is None else (size,)
        total = sum(self.findings[s] for s in sizes)
        return sum(self.hits[s] for s in sizes) / total if total else float("nan")

    @property
    def total(self) -> int:
        return sum(self.findings.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "pointing_game": round(self.pointing(), 4),
            "hits": sum(self.hits.values()),
            "findings": self.total,
            "by_size": {
                s: {"hits": self.hits[s], "findings": self.findings[s]}
                | ({"pointing": round(self.pointing(s), 4)} if self.findings[s] else {})
                for s in SIZES
            },
            "flat_refused": self.flat,
            "mean_faithfulness_drop": round(sum(self.drops) / len(self.drops), 4)
            if self.drops
            else None,
            "seconds_per_finding": round(self.seconds / self.total, 4) if self.total else None,
            "by_label": {
                label: {"hits": h, "findings": n} for label, (h, n) in self.by_label.items()
            },
        }


def small_lesion_cases(indices: Iterable[int], split: str = SPLIT) -> list[int]:
    """The cases among ``indices`` that hold a small lesion (from the generator's truth)."""
    chosen = []
    for index in indices:
        case = demo_data.make_case(split, index)
        side = max(case.image.values.shape[:2])
        if any(size_class(lesion.radius, side) == "small" for lesion in case.truth.lesions):
            chosen.append(index)
    return chosen


def evaluate(
    indices: Iterable[int],
    methods: Iterable[str] = tuple(METHODS),
    *,
    folder: Path = PACKAGE_DIR,
    split: str = SPLIT,
    sizes: Iterable[str] = SIZES,
    log: Any = None,
) -> dict[str, MethodFigures]:
    """Play the pointing game with each method on the cases ``indices`` of ``split``.

    Only lesions of ``sizes`` are counted (every positive finding still gets its map, as
    in the app); ``log``, a file, is told each case's outcome as it ends.
    """
    loaded = load_model(folder)
    methods = list(methods)
    counted = set(sizes)
    figures = {method: MethodFigures() for method in methods}
    for index in indices:
        case = demo_data.make_case(split, index)
        side = max(case.image.values.shape[:2])
        before = {method: dict(f.hits) for method, f in figures.items()}
        for method in methods:
            result = run_job(analyze_image(loaded, case.image, heatmaps=method, use_cache=False))
            figures[method].seconds += result.timings["heatmap"]
            for lesion in case.truth.lesions:
                finding = result.finding(lesion.label)
                size = size_class(lesion.radius, side)
                if finding.verdict != "positive" or size not in counted:
                    continue
                mine = figures[method]
                mine.findings[size] += 1
                tally = mine.by_label.setdefault(lesion.label, [0, 0])
                tally[1] += 1
                if finding.heatmap_peak is None:
                    # No map: refused as flat, with its reason -- or silently missing.
                    if finding.explanation_note is not None:
                        mine.flat += 1
                    else:
                        mine.silent += 1
                    continue
                if finding.faithfulness is not None:
                    mine.drops.append(finding.faithfulness.drop)
                row, col = finding.heatmap_peak
                distance = math.hypot(row - lesion.center[0], col - lesion.center[1])
                mine.hits[size] += distance <= lesion.radius
                tally[0] += distance <= lesion.radius
        if log is not None:
            said = ", ".join(
                f"{method} {sum(f.hits.values()) - sum(before[method].values())} hit(s)"
                for method, f in figures.items()
            )
            print(f"case {index}: {said}", file=log, flush=True)
    return figures


def format_figures(figures: dict[str, MethodFigures]) -> str:
    """A Markdown table: one row per method."""
    lines = [
        "| Method | All | Small | Medium | Large | Flat refused | Mean drop (top 10 %) "
        "| s / finding |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for method, f in figures.items():
        cells = [
            f"{f.pointing():.3f} ({sum(f.hits.values())}/{f.total})",
            *(
                f"{f.pointing(s):.3f} ({f.hits[s]}/{f.findings[s]})" if f.findings[s] else "-"
                for s in SIZES
            ),
            str(f.flat),
            f"{sum(f.drops) / len(f.drops):.3f}" if f.drops else "-",
            f"{f.seconds / f.total:.3f}" if f.total else "-",
        ]
        lines.append(f"| {METHODS[method]} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_record(record: dict[str, Any], folder: Path) -> None:
    """Write ``record`` as the package's explanations.json, rewrite the model card's
    "Explanations" section from it (as ``evaluate_demo_model.py --write-card`` renders
    it) and re-seal the manifest's hashes: both files are hashed in the manifest."""
    import evaluate_demo_model

    from core.analysis.manifest import MANIFEST_NAME, seal_package

    (folder / RECORD_NAME).write_text(json.dumps(record, indent=1) + "\n", "utf-8")
    card_path = folder / evaluate_demo_model.CARD_NAME
    card = card_path.read_text(encoding="utf-8")
    start = card.index("## Explanations")
    end = card.index("\n## ", start + 1)
    section = evaluate_demo_model._explanations_section(folder)
    card_path.write_text(card[:start] + section + "\n" + card[end:], encoding="utf-8")
    manifest = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    listed = list(manifest.pop("files", {}))
    seal_package(folder, manifest, listed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=120)
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--method", action="append", choices=tuple(METHODS))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--model", type=Path, default=PACKAGE_DIR, help="package folder")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--small-only",
        action="store_true",
        help="only the cases that hold a small lesion, and only small lesions counted: the "
        "record's small-lesion extension (with --record, kept beside the main figures)",
    )
    parser.add_argument(
        "--record",
        "--write",
        dest="record",
        action="store_true",
        help=f"record the figures as {RECORD_NAME} in the package, rewrite the model card's "
        "explanation section from it and re-seal the package's hashes",
    )
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    indices = list(range(args.start, args.start + args.count))
    if args.small_only:
        indices = small_lesion_cases(indices)
    figures = evaluate(
        indices,
        args.method or tuple(METHODS),
        folder=args.model,
        sizes=("small",) if args.small_only else SIZES,
        log=sys.stderr,
    )
    if args.json:
        print(json.dumps({m: f.to_json() for m, f in figures.items()}, indent=1))
    else:
        seconds = time.perf_counter() - started
        print(f"{args.count} unseen radiographs (split {SPLIT!r}), {seconds:.0f} s")
        print(format_figures(figures))
        for method, f in figures.items():
            labels = ", ".join(f"{label} {h}/{n}" for label, (h, n) in sorted(f.by_label.items()))
            print(f"{METHODS[method]} by label: {labels}")
    if args.record:
        if args.small_only:
            record = json.loads((args.model / RECORD_NAME).read_text(encoding="utf-8"))
            record[EXTENSION] = {
                "start": args.start,
                "count": args.count,
                "cases": indices,
                "methods": {
                    m: {"hits": f.hits["small"], "findings": f.findings["small"]}
                    for m, f in figures.items()
                },
            }
        else:  # new main figures: an extension measured with them would not match them
            record = {
                "split": SPLIT,
                "start": args.start,
                "count": args.count,
                "methods": {m: f.to_json() for m, f in figures.items()},
            }
        write_record(record, args.model)
        print(f"wrote {args.model / RECORD_NAME}, its section of the model card, and the hashes")
    below = [
        m
        for m, f in figures.items()
        if not (
            (args.small_only or f.pointing() >= TARGET_OVERALL)
            and f.pointing("small") >= TARGET_SMALL
        )
    ]
    if below:
        print(f"below target (>= {TARGET_OVERALL} overall, >= {TARGET_SMALL} small): {below}")
    return 2 if below else 0


if __name__ == "__main__":
    sys.exit(main())
