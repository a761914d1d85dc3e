"""Headless sub-commands of ``radassist``: scan, render, load, synth, demo, analyze.

Nothing here imports Qt or torch; heavy modules are imported inside each command.
Exit codes: 0 success, 2 usage error, 3 nothing readable. Errors go to stderr as
one line; patient data goes to stdout only (it is the user's own display), never
to stderr or logs.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import DicomError, RadAssistError, UsageError

if TYPE_CHECKING:
    from core.dicom.records import FileRef, SeriesRecord, StudyIndex

logger = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_NOTHING_READABLE = 3

#: The sub-commands this module handles; any other first argument opens the window.
COMMANDS = ("scan", "render", "load", "synth", "demo", "analyze")


class NothingReadableError(RadAssistError):
    """The path holds nothing that can be read (exit code 3)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # one clear line, exit code 2
        self.exit(EXIT_USAGE, f"radassist: usage error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="radassist", description="RadAssist headless commands")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    scan = sub.add_parser("scan", help="index a folder, DICOMDIR or .zip")
    scan.add_argument("path")
    scan.add_argument("--json", action="store_true", help="print the index as JSON")

    render = sub.add_parser("render", help="render one image through the display pipeline")
    render.add_argument("path", help="a DICOM file (or a folder: its first image series)")
    render.add_argument("--out", required=True, help="PNG file to write")
    render.add_argument("--frame", type=int, default=0, help="frame number, from 0")
    render.add_argument(
        "--window", type=float, nargs=2, metavar=("CENTER", "WIDTH"), help="override the VOI"
    )

    load = sub.add_parser("load", help="load a whole series volume and report it")
    load.add_argument("path")
    load.add_argument("--series", help="Series Instance UID or series key (default: largest)")
    load.add_argument("--json", action="store_true")

    synth = sub.add_parser("synth", help="write synthetic studies with ground truth")
    synth.add_argument("out_dir")
    synth.add_argument("--kind", required=True, choices=("cxr", "ct", "mr", "multiframe", "broken"))
    synth.add_argument("--count", type=int, default=1)
    synth.add_argument("--seed", type=int, default=0)

    demo = sub.add_parser("demo", help="generate the demo study (first run), scan and render it")
    demo.add_argument("--out", help="PNG to write (default: in the export folder)")

    analyze = sub.add_parser("analyze", help="run a CNN model package on images")
    analyze.add_argument("path", help="a DICOM file, folder, DICOMDIR or .zip")
    analyze.add_argument(
        "--model", help="package name or folder (default: the best installed package)"
    )
    analyze.add_argument("--json", action="store_true", help="print one JSON object per image")
    analyze.add_argument(
        "--heatmap-dir", help="write a PNG of each positive finding's heatmap over its image"
    )
    analyze.add_argument(
        "--method", choices=("gradcam", "occlusion"), default="gradcam", help="heatmap method"
    )
    analyze.add_argument(
        "--export",
        action="store_true",
        help="also write a DICOM SR (TID 1500) and heatmap images to the export folder",
    )
    return parser


def _index_or_fail(path: str) -> StudyIndex:
    from core.dicom.index import scan

    if not Path(path).exists():
        raise UsageError(f"{path}: no such file or folder")
    index = scan(path)
    if not index.all_series() and not index.non_image:
        reasons = "; ".join(f"{u.ref}: {u.reason}" for u in index.unreadable[:3])
        raise NothingReadableError(
            f"{path}: nothing readable"
            + (f" ({len(index.unreadable)} unreadable: {reasons})" if reasons else " (no DICOM)")
        )
    return index


def index_to_dict(index: StudyIndex) -> dict[str, Any]:
    """The index as plain data (what ``scan --json`` prints)."""
    from core.dicom.geometry import compute_geometry

    def series_dict(series: SeriesRecord) -> dict[str, Any]:
        geometry = compute_geometry(series)
        return {
            "key": series.key,
            "series_instance_uid": series.series_instance_uid,
            "number": series.series_number,
            "modality": series.modality,
            "description": series.description,
            "instances": len(series.instances),
            "frames": series.frame_count,
            "split_reason": series.split_reason,
            "ordered_by": geometry.ordered_by,
            "slice_spacing": geometry.slice_spacing,
            "pixel_spacing": list(geometry.pixel_spacing) if geometry.pixel_spacing else None,
            "spacing_calibrated": geometry.spacing_calibrated,
            "problems": [{"kind": p.kind, "message": p.message} for p in geometry.problems],
        }

    return {
        "root": index.root,
        "patients": [
            {
                "patient_id": patient.patient_id,
                "patient_name": patient.patient_name,
                "sex": patient.sex,
                "birth_date": patient.birth_date,
                "studies": [
                    {
                        "study_instance_uid": study.study_instance_uid,
                        "date": study.study_date,
                        "description": study.study_description,
                        "series": [series_dict(s) for s in study.series],
                    }
                    for study in patient.studies
                ],
            }
            for patient in index.patients
        ],
        "non_image": [
            {
                "path": item.ref.display_name,
                "kind": item.kind.value,
                "sop_class": item.sop_class_name,
                "modality": item.modality,
            }
            for item in index.non_image
        ],
        "unreadable": [{"path": u.ref.display_name, "reason": u.reason} for u in index.unreadable],
        "skipped_non_dicom": index.skipped_non_dicom,
    }


def _print_index(data: dict[str, Any]) -> None:
    for patient in data["patients"]:
        print(f"Patient {patient['patient_name'] or '(no name)'} [{patient['patient_id']}]")
        for study in patient["studies"]:
            print(f"  Study {study['date'] or '(no date)'} {study['description']!r}")
            for s in study["series"]:
                split = f", split: {s['split_reason']}" if s["split_reason"] else ""
                print(
                    f"    Series {s['number'] if s['number'] is not None else '-'} "
                    f"{s['modality']} {s['description']!r}: {s['instances']} instances, "
                    f"{s['frames']} frames{split}  [{s['key']}]"
                )
                for problem in s["problems"]:
                    print(f"      ! {problem['kind']}: {problem['message']}")
    if data["non_image"]:
        print("Non-image objects (listed, not rendered):")
        for item in data["non_image"]:
            print(f"  {item['kind']}: {item['sop_class']} - {item['path']}")
    if data["unreadable"]:
        print("Unreadable files:")
        for item in data["unreadable"]:
            print(f"  {item['path']}: {item['reason']}")
    if data["skipped_non_dicom"]:
        print(f"Skipped {data['skipped_non_dicom']} files that are not DICOM")


def cmd_scan(args: argparse.Namespace) -> int:
    data = index_to_dict(_index_or_fail(args.path))
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        _print_index(data)
    return EXIT_OK


def _pick_series(index: StudyIndex, wanted: str | None) -> SeriesRecord:
    if wanted:
        return index.find_series(wanted)
    candidates = index.all_series()
    if not candidates:
        raise NothingReadableError(f"{index.root}: no image series")
    return max(candidates, key=lambda s: s.frame_count)


def cmd_render(args: argparse.Namespace) -> int:
    import numpy as np
    from PIL import Image
    from pydicom import dcmread

    from core.dicom.pixels import render_frame

    if args.frame < 0:
        raise UsageError(f"--frame must be 0 or more, not {args.frame}")
    if args.window is not None and args.window[1] < 1:
        raise UsageError(f"--window width must be at least 1, not {args.window[1]}")
    source = Path(args.path)
    if source.is_file() and source.suffix.lower() != ".zip":
        ref_name = str(source)
        try:
            dataset = dcmread(source, force=True)
        except Exception as error:
            raise NothingReadableError(f"{source}: not readable as DICOM ({error})") from None
        frame = args.frame
    else:
        from core.dicom.geometry import compute_geometry

        series = _pick_series(_index_or_fail(args.path), None)
        frame_ref = compute_geometry(series).frames[0]
        ref_name = frame_ref.instance.ref.display_name
        with frame_ref.instance.ref.open() as stream:
            dataset = dcmread(stream, force=True)
        frame = frame_ref.frame if args.frame == 0 else args.frame
    window = tuple(args.window) if args.window is not None else None
    try:
        image = render_frame(dataset, frame, window, source=ref_name)
    except DicomError as error:
        raise NothingReadableError(str(error)) from None
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.ascontiguousarray(image)).save(out)
    print(
        f"wrote {out} ({image.shape[1]}x{image.shape[0]}, {'RGB' if image.ndim == 3 else 'grey'})"
    )
    return EXIT_OK


def cmd_load(args: argparse.Namespace) -> int:
    from core.dicom.volume import load_series
    from core.jobs import run_job

    index = _index_or_fail(args.path)
    series = _pick_series(index, args.series)
    volume = run_job(load_series(series))
    geometry = volume.geometry
    result = {
        "series": series.key,
        "modality": series.modality,
        "shape": list(volume.array.shape),
        "dtype": str(volume.array.dtype),
        "spacing": {
            "slice": geometry.slice_spacing,
            "pixel": list(geometry.pixel_spacing) if geometry.pixel_spacing else None,
            "calibrated": geometry.spacing_calibrated,
            "note": geometry.spacing_note,
        },
        "orientation": list(geometry.orientation) if geometry.orientation else None,
        "ordered_by": geometry.ordered_by,
        "problems": [{"kind": p.kind, "message": p.message} for p in geometry.problems],
        "failures": [{"path": f.ref.display_name, "reason": f.reason} for f in volume.failures],
        "time_to_first_image_s": round(volume.first_image_s, 4),
        "total_s": round(volume.total_s, 4),
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")
    return EXIT_OK


def cmd_synth(args: argparse.Namespace) -> int:
    from core.synthetic import write_synthetic

    if args.count < 1:
        raise UsageError(f"--count must be at least 1, not {args.count}")
    truth = write_synthetic(Path(args.out_dir), args.kind, count=args.count, seed=args.seed)
    print(f"wrote {len(truth)} files under {args.out_dir} (ground truth in truth.json)")
    return EXIT_OK


def ensure_demo_study() -> Path:
    """The demo study folder, generated on first use in the user data dir."""
    from core.paths import demo_study_dir
    from core.synthetic import write_demo_study

    folder = demo_study_dir()
    marker = folder.with_name(folder.name + ".complete")  # not inside: it would be scanned
    if not marker.exists():
        write_demo_study(folder, seed=0)
        marker.write_text("ok\n")
    return folder


def cmd_demo(args: argparse.Namespace) -> int:
    from core.paths import export_dir

    folder = ensure_demo_study()
    _print_index(index_to_dict(_index_or_fail(str(folder))))
    out = args.out or str(export_dir() / "demo.png")
    return cmd_render(argparse.Namespace(path=str(folder), out=out, frame=0, window=None))


def _analysis_refs(path: str) -> list[FileRef]:
    """The images to analyse: the file itself, or every image instance, series by series."""
    from core.dicom.geometry import compute_geometry
    from core.dicom.records import FileRef

    source = Path(path)
    if source.is_file() and source.suffix.lower() != ".zip" and source.name != "DICOMDIR":
        return [FileRef(str(source))]
    refs: dict[FileRef, None] = {}  # ordered, one entry per instance
    for series in _index_or_fail(path).all_series():
        for frame in compute_geometry(series).frames:
            refs.setdefault(frame.instance.ref)
    return list(refs)


def _write_heatmap_pngs(ref: FileRef, result: Any, folder: Path) -> dict[str, str]:
    """One PNG per finding with a heatmap; names hash the SOP Instance UID (rule 8)."""
    import hashlib

    from PIL import Image
    from pydicom import dcmread

    from core.analysis.export import apply_heatmap_overlay
    from core.dicom.pixels import render_frame

    with ref.open() as stream:
        dataset = dcmread(stream, force=True)
    display = render_frame(dataset, result.frame, source=ref.display_name)
    stem = hashlib.sha256((result.sop_instance_uid or ref.display_name).encode()).hexdigest()[:16]
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for finding in result.findings:
        if finding.heatmap is None:
            continue
        label = "".join(ch if ch.isalnum() else "-" for ch in finding.label)
        out = folder / f"{stem}-{label}.png"
        Image.fromarray(apply_heatmap_overlay(display, finding.heatmap)).save(out)
        written[finding.label] = str(out)
    return written


def cmd_analyze(args: argparse.Namespace) -> int:
    from core.analysis.errors import ModelPackageError
    from core.analysis.export import export_analysis
    from core.analysis.inference import analyze_dataset_file, result_to_json
    from core.analysis.registry import ModelRegistry
    from core.jobs import run_job

    if not Path(args.path).exists():
        raise UsageError(f"{args.path}: no such file or folder")
    registry = ModelRegistry()
    try:
        package = registry.get(args.model) if args.model else registry.get_default()
    except ModelPackageError as error:
        raise UsageError(str(error)) from None
    if package is None:
        raise UsageError("no usable model package is installed; give one with --model")
    refs = _analysis_refs(args.path)
    heatmap_dir = Path(args.heatmap_dir) if args.heatmap_dir else None
    outputs: list[dict[str, Any]] = []
    analysed = 0
    for ref in refs:
        entry: dict[str, Any] = {"path": ref.display_name}
        try:
            # The network loads (once) only when an image passes the gate.
            result = run_job(analyze_dataset_file(ref, package, heatmaps=args.method))
        except DicomError as error:
            logger.warning("not analysed: %s", error)
            entry.update(
                model={
                    "name": package.manifest.name,
                    "version": package.manifest.version,
                    "sha256": package.sha256,
                },
                skipped=f"unreadable: {error.reason}",
                findings=[],
            )
            outputs.append(entry)
            continue
        analysed += 1
        entry.update(result_to_json(result))
        if heatmap_dir is not None and result.positive_findings:
            pngs = _write_heatmap_pngs(ref, result, heatmap_dir)
            for item in entry["findings"]:
                if item["label"] in pngs:
                    item["heatmap_png"] = pngs[item["label"]]
        if args.export and result.skipped is None:
            with ref.open() as stream:
                from pydicom import dcmread

                files = export_analysis(result, dcmread(stream, force=True))
            entry["exported"] = [str(files.report), *map(str, files.heatmaps)]
        outputs.append(entry)
    if not analysed:
        reasons = "; ".join(f"{o['path']}: {o['skipped']}" for o in outputs[:3])
        raise NothingReadableError(f"{args.path}: no image could be read ({reasons})")
    if args.json:
        print(json.dumps(outputs, indent=2))
    else:
        _print_analysis(outputs)
    return EXIT_OK


def _print_analysis(outputs: list[dict[str, Any]]) -> None:
    banners = {o["model"].get("disclaimer") for o in outputs} - {None}
    for banner in sorted(banners):
        print(f"*** {banner} ***")
    for output in outputs:
        model = output["model"]
        print(f"{output['path']}  [{model['name']} {model['version']}]")
        if output["skipped"]:
            print(f"  not analysed: {output['skipped']}")
            continue
        for item in output["findings"]:
            peak = item["heatmap_peak"]
            where = f"  peak (row {peak[0]}, col {peak[1]})" if peak else ""
            print(
                f"  {item['label']:<28} {item['probability']:6.3f}  "
                f"(threshold {item['threshold']:.3f})  {item['verdict']}{where}"
            )
        for path in output.get("exported", []):
            print(f"  wrote {path}")


_HANDLERS = {
    "scan": cmd_scan,
    "render": cmd_render,
    "load": cmd_load,
    "synth": cmd_synth,
    "demo": cmd_demo,
    "analyze": cmd_analyze,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run one sub-command; return its exit code."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        return _HANDLERS[args.command](args)
    except NothingReadableError as error:
        print(f"radassist: {error}", file=sys.stderr)
        return EXIT_NOTHING_READABLE
    except UsageError as error:
        print(f"radassist: usage error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except RadAssistError as error:
        print(f"radassist: {error}", file=sys.stderr)
        return EXIT_NOTHING_READABLE
    except OSError as error:
        print(f"radassist: {error.filename or ''}: {error.strerror or error}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
