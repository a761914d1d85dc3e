"""Headless sub-commands of ``radassist``: scan, render, load, synth, demo, analyze, draft…

Nothing here imports Qt or torch. Each command imports the core modules it needs inside
itself, on purpose (the exception to "core modules are imported at the top"): every
start of the app, the window included, goes through this module (``desktop.__main__``),
and importing all of core here costs 0.3-0.4 s of start-up instead of 0.03 s.
Exit codes: 0 success, 2 usage error, 3 nothing readable; ``self-test`` exits 1 when a
check failed, ``check`` when the report has items to review. Errors go to stderr as
one line; patient data goes to stdout only (it is the user's own display), never
to stderr or logs.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from core.child_processes import stop_on_interrupt
from core.errors import DicomError, RadAssistError, UsageError, root_os_error
from core.i18n import (
    _,
    install_argparse_translations,
    language_from_environment,
    normalize_language,
    set_language,
)
from core.library_output import capture_library_output

if TYPE_CHECKING:
    from core.analysis.manifest import ModelPackage
    from core.dicom.records import FileRef, PatientRecord, SeriesRecord, StudyIndex, StudyRecord
    from core.report.document import Report
    from core.report.grounding import GroundingIssue
    from core.report.workflow import ReportSession

logger = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_NOTHING_READABLE = 3
#: Exit code when an output could not be written (a full disk, no permission).
EXIT_WRITE_FAILED = 4

#: The sub-commands this module handles; any other first argument opens the window.
#: Commands that live in their own package's ``commands`` module (``add_parser(sub)`` and
#: ``run(args)``), loaded by name; those modules import their engines only when run.
_PLUGGED: Final = {
    "archive": "core.archive.commands",
    "pacs": "core.pacs.commands",
    "anonymize": "core.deid.commands",
    "render": "core.viewing.commands",  # one frame (cmd_render below), or --plane: MPR
}
COMMANDS = (
    "scan",
    "load",
    "synth",
    "demo",
    "analyze",
    "draft",
    "check",
    "self-test",
    "models",
    *_PLUGGED,
)
#: The frozen app's spelling of the ``self-test`` sub-command (``RadAssist --self-test``).
SELF_TEST_FLAG = "--self-test"
#: Exit code of a self-test with a failed check.
EXIT_CHECK_FAILED = 1
#: Exit code of a command stopped with Ctrl+C.
EXIT_INTERRUPTED = 130


class NothingReadableError(RadAssistError):
    """The path holds nothing that can be read (exit code 3)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # one clear line, exit code 2
        self.exit(EXIT_USAGE, _("radassist: usage error: {message}").format(message=message) + "\n")


def build_parser() -> argparse.ArgumentParser:
    from core.analysis.heatmaps import METHODS  # numpy only: no torch at start-up

    parser = _Parser(prog="radassist", description=_("RadAssist headless commands"))
    parser.add_argument(
        "--lang",
        dest="interface_language",
        metavar="LANG",
        help=_(
            "language of messages and help: en or zh-CN (default: RADASSIST_LANG, "
            "Settings → Language, else the system's)"
        ),
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    scan = sub.add_parser("scan", help=_("index a folder, DICOMDIR or .zip"))
    scan.add_argument("path")
    scan.add_argument("--json", action="store_true", help=_("print the index as JSON"))

    load = sub.add_parser("load", help=_("load a whole series volume and report it"))
    load.add_argument("path")
    load.add_argument("--series", help=_("Series Instance UID or series key (default: largest)"))
    load.add_argument("--json", action="store_true")

    synth = sub.add_parser("synth", help=_("write synthetic studies with ground truth"))
    synth.add_argument("out_dir")
    synth.add_argument("--kind", required=True, choices=("cxr", "ct", "mr", "multiframe", "broken"))
    synth.add_argument("--count", type=int, default=1)
    synth.add_argument("--seed", type=int, default=0)

    demo = sub.add_parser("demo", help=_("generate the demo study (first run), scan and render it"))
    demo.add_argument("--out", help=_("PNG to write (default: in the export folder)"))

    analyze = sub.add_parser("analyze", help=_("run a CNN model package on images"))
    analyze.add_argument("path", help=_("a DICOM file, folder, DICOMDIR or .zip"))
    analyze.add_argument(
        "--model", help=_("package name or folder (default: the best installed package)")
    )
    analyze.add_argument("--json", action="store_true", help=_("print one JSON object per image"))
    analyze.add_argument(
        "--heatmap-dir", help=_("write a PNG of each positive finding's heatmap over its image")
    )
    analyze.add_argument(
        "--method",
        choices=tuple(METHODS),
        default="gradcam",
        help=_(
            "heatmap method: Grad-CAM (fast), occlusion sensitivity or Kernel SHAP "
            "over superpixels (seconds each)"
        ),
    )
    analyze.add_argument(
        "--export",
        action="store_true",
        help=_("also write a DICOM SR (TID 1500) and heatmap images to the export folder"),
    )

    draft = sub.add_parser(
        "draft", help="draft a report of a study from its AI findings, checked against them"
    )
    draft.add_argument("path", help="a DICOM file, folder, DICOMDIR or .zip (its first study)")
    draft.add_argument(
        "--engine",
        choices=("template", "llm", "endpoint"),
        default="template",
        help="who writes the draft: the templates, a local model (llm) or an "
        "OpenAI-compatible server (endpoint)",
    )
    draft.add_argument(
        "--model",
        help="--engine llm: the language-model folder (Hugging Face) or an imported "
        "FILE.gguf (llama.cpp); --engine endpoint: the model name the server serves",
    )
    draft.add_argument("--url", help="--engine endpoint: the server's base URL")
    draft.add_argument("--ca-bundle", help="--engine endpoint: PEM file of CAs (default: system)")
    draft.add_argument("--timeout", type=float, default=60.0, help="--engine endpoint: seconds")
    draft.add_argument(
        "--structured",
        choices=("auto", "grammar", "json-schema", "none"),
        default="auto",
        help="--engine endpoint: what the draft is held to: llama.cpp's GBNF grammar, the "
        "OpenAI JSON schema (vLLM, Ollama, LM Studio, OpenAI), none, or auto (llama.cpp: "
        "grammar, else JSON schema)",
    )
    draft.add_argument(
        "--lang", choices=("en", "zh", "zh-CN"), default="en", help="report language (zh: zh-CN)"
    )
    draft.add_argument(
        "--json", action="store_true", help="sentences with origin and grounding verdicts as JSON"
    )
    draft.add_argument("--out", help="also write the output to this file (atomically)")
    draft.add_argument(
        "--analysis-model",
        help="CNN package name or folder for the findings (default: the best installed)",
    )
    draft.add_argument(
        "--max-new-tokens", type=int, default=512, help="--engine llm: most tokens to write"
    )
    draft.add_argument(
        "--temperature", type=float, default=0.0, help="--engine llm: 0 = greedy (default)"
    )

    check = sub.add_parser(
        "check",
        help=_("check a report's text against the study's AI findings (exit 1: items to review)"),
    )
    check.add_argument("path", help=_("a DICOM file, folder, DICOMDIR or .zip (its first study)"))
    check.add_argument(
        "--report", required=True, help=_("the report as plain text, with section headings")
    )
    check.add_argument(
        "--lang",
        choices=("en", "zh", "zh-CN"),
        help=_("report language (default: from the text; zh: zh-CN)"),
    )
    check.add_argument("--json", action="store_true", help=_("every item as one JSON object"))
    check.add_argument(
        "--analysis-model",
        help=_("CNN package name or folder for the findings (default: the best installed)"),
    )

    self_test = sub.add_parser(
        "self-test", help=_("check the install: resources, decoders, analysis, drafts, export")
    )
    self_test.add_argument("--json", action="store_true", help=_("print one JSON object"))
    self_test.add_argument(
        "--llm", metavar="DIR|FILE.gguf", help=_("also draft with this language model")
    )
    self_test.add_argument(
        "--screenshot", metavar="FILE", help=_("save what the window check showed (PNG)")
    )
    self_test.add_argument("--no-window", action="store_true", help=_("skip the window check"))
    self_test.add_argument(
        "--lang", metavar="LANG", help=_("language of the self-test's lines: en or zh-CN")
    )

    models = sub.add_parser("models", help=_("import model folders into RadAssist"))
    models_sub = models.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    import_llm = models_sub.add_parser(
        "import-llm",
        help=_(
            "copy a Hugging Face language-model folder or a .gguf file into RadAssist, "
            "hashing every file"
        ),
    )
    import_llm.add_argument(
        "folder", metavar="DIR|FILE.gguf", help=_("the model folder or GGUF file")
    )
    import_llm.add_argument("--name", help=_("name of the imported model (default: DIR's name)"))
    import_llm.add_argument(
        "--replace", action="store_true", help=_("replace an imported model of that name")
    )
    for module_name in _PLUGGED.values():
        _plugged_module(module_name).add_parser(sub)
    return parser


def _plugged_module(name: str) -> Any:
    """The command module of a plugged command (light: its engine is imported when run)."""
    return importlib.import_module(name)


def _index_or_fail(path: str) -> StudyIndex:
    from core.dicom.index import scan

    if not Path(path).exists():
        raise UsageError(_("{path}: no such file or folder").format(path=path))
    index = scan(path)
    if not index.all_series() and not index.non_image:
        reasons = "; ".join(f"{u.ref}: {u.reason}" for u in index.unreadable[:3])
        raise NothingReadableError(
            _("{path}: nothing readable ({count} unreadable: {reasons})").format(
                path=path, count=len(index.unreadable), reasons=reasons
            )
            if reasons
            else _("{path}: nothing readable (no DICOM)").format(path=path)
        )
    return index


def cmd_scan(args: argparse.Namespace) -> int:
    from core.dicom.index_listing import index_to_dict, print_index

    data = index_to_dict(_index_or_fail(args.path))
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        print_index(data)
    return EXIT_OK


def _pick_series(index: StudyIndex, wanted: str | None) -> SeriesRecord:
    if wanted:
        return index.find_series(wanted)
    candidates = index.all_series()
    if not candidates:
        raise NothingReadableError(f"{index.root}: no image series")
    return max(candidates, key=lambda s: s.frame_count)


def cmd_render(args: argparse.Namespace) -> int:
    """``render`` of one frame (``core.viewing.commands`` runs it when there is no --plane)."""
    import numpy as np
    from PIL import Image

    from core.dicom.isolated_read import read_display_frame
    from core.dicom.records import FileRef

    if args.frame < 0:
        raise UsageError(f"--frame must be 0 or more, not {args.frame}")
    if args.window is not None and args.window[1] < 1:
        raise UsageError(f"--window width must be at least 1, not {args.window[1]}")
    source = Path(args.path)
    if source.is_file() and source.suffix.lower() != ".zip":
        ref = FileRef(str(source))
        frame = args.frame
    else:
        from core.dicom.geometry import compute_geometry

        series = _pick_series(_index_or_fail(args.path), None)
        frame_ref = compute_geometry(series).frames[0]
        ref = frame_ref.instance.ref
        frame = frame_ref.frame if args.frame == 0 else args.frame
    window = (float(args.window[0]), float(args.window[1])) if args.window is not None else None
    try:  # decoded in a worker process: a decoder's crash costs this file (house rule 4)
        image = read_display_frame(ref, frame, window)
    except DicomError as error:
        raise NothingReadableError(_could_not_read(error)) from None
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    _save_image(Image.fromarray(np.ascontiguousarray(image)), out)
    print(
        f"wrote {out} ({image.shape[1]}x{image.shape[0]}, {'RGB' if image.ndim == 3 else 'grey'})"
    )
    return EXIT_OK


def _could_not_read(error: DicomError) -> str:
    """One line for a file whose pixels could not be read: ``<path>: could not be read: <why>``."""
    return f"{error.source}: could not be read: {error.reason}"


def cmd_load(args: argparse.Namespace) -> int:
    from core.dicom.volume import load_series
    from core.jobs import run_job

    index = _index_or_fail(args.path)
    series = _pick_series(index, args.series)
    volume = run_job(load_series(series))
    if volume.failures and len(volume.failures) >= len(volume.geometry.frames):
        reasons = "; ".join(
            f"{f.ref.display_name}: could not be read: {f.reason}" for f in volume.failures[:3]
        )
        raise NothingReadableError(f"{args.path}: no frame of the series could be read ({reasons})")
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
    from core.dicom.index_listing import index_to_dict, print_index
    from core.paths import export_dir

    folder = ensure_demo_study()
    print_index(index_to_dict(_index_or_fail(str(folder))))
    out = args.out or str(export_dir() / "demo.png")
    return cmd_render(argparse.Namespace(path=str(folder), out=out, frame=0, window=None))


def _analysis_refs(path: str) -> list[FileRef]:
    """The images to analyse: the file itself, or every image instance, series by series."""
    from core.dicom.records import FileRef
    from core.report.workflow import image_refs

    source = Path(path)
    if source.is_file() and source.suffix.lower() != ".zip" and source.name != "DICOMDIR":
        return [FileRef(str(source))]
    return image_refs(_index_or_fail(path).all_series())


def _model_package(name: str | None) -> ModelPackage | None:
    """The named CNN package, or the best installed one (None when none is installed)."""
    from core.analysis.errors import ModelPackageError
    from core.analysis.registry import ModelRegistry

    registry = ModelRegistry()
    try:
        return registry.get(name) if name else registry.get_default()
    except ModelPackageError as error:
        raise UsageError(str(error)) from None


def _save_image(image: Any, out: Path) -> None:
    """A PIL image saved owner-only (0600): it shows the patient's images (house rule 8)."""
    import io

    from PIL import Image

    from core.paths import write_private

    buffer = io.BytesIO()
    image.save(buffer, format=Image.registered_extensions().get(out.suffix.lower(), "PNG"))
    write_private(out, buffer.getvalue())


def _write_heatmap_pngs(ref: FileRef, result: Any, folder: Path) -> dict[str, str]:
    """One PNG per finding with a heatmap; names hash the SOP Instance UID (rule 8)."""
    import hashlib

    from PIL import Image

    from core.analysis.export import apply_heatmap_overlay
    from core.dicom.isolated_read import read_display_frame

    display = read_display_frame(ref, result.frame)
    stem = hashlib.sha256((result.sop_instance_uid or ref.display_name).encode()).hexdigest()[:16]
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for finding in result.findings:
        if finding.heatmap is None:
            continue
        label = "".join(ch if ch.isalnum() else "-" for ch in finding.label)
        out = folder / f"{stem}-{label}.png"
        _save_image(Image.fromarray(apply_heatmap_overlay(display, finding.heatmap)), out)
        written[finding.label] = str(out)
    return written


def cmd_analyze(args: argparse.Namespace) -> int:
    from core.analysis.export import export_analysis
    from core.analysis.inference import result_to_json
    from core.dicom.isolated_read import read_display_frame, read_header
    from core.report.workflow import analyse_image

    if not Path(args.path).exists():
        raise UsageError(f"{args.path}: no such file or folder")
    package = _model_package(args.model)
    if package is None:
        raise UsageError("no usable model package is installed; give one with --model")
    refs = _analysis_refs(args.path)
    heatmap_dir = Path(args.heatmap_dir) if args.heatmap_dir else None
    outputs: list[dict[str, Any]] = []
    analysed = 0
    for ref in refs:
        entry: dict[str, Any] = {"path": ref.display_name}
        result, unreadable = analyse_image(ref, package, args.method)
        if result is None:
            entry.update(
                model={
                    "name": package.manifest.name,
                    "version": package.manifest.version,
                    "sha256": package.sha256,
                },
                skipped=f"could not be read: {unreadable}",
                findings=[],
            )
            outputs.append(entry)
            continue
        analysed += 1
        entry.update(result_to_json(result))
        exporting = args.export and result.skipped is None
        try:  # the pixels under heatmaps come from the worker, the header is read here
            if heatmap_dir is not None and result.positive_findings:
                pngs = _write_heatmap_pngs(ref, result, heatmap_dir)
                for item in entry["findings"]:
                    if item["label"] in pngs:
                        item["heatmap_png"] = pngs[item["label"]]
            display = None
            if exporting and any(f.heatmap is not None for f in result.findings):
                display = read_display_frame(ref, result.frame)
            source = read_header(ref)[0] if exporting else None
        except DicomError as error:  # analysed, then not readable again: nothing written
            entry["not_exported"] = f"could not be read: {error.reason}"
            outputs.append(entry)
            continue
        if exporting and source is not None:
            from core.paths import export_dir

            try:
                files = export_analysis(result, source, display=display)
            except OSError as error:  # the exports folder, when the error names no file
                cause = root_os_error(error)
                where = cause.filename or str(export_dir())
                raise OSError(cause.errno, cause.strerror, where) from None
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
    from core.analysis.heatmaps import METHODS
    from core.analysis.perturb import Faithfulness

    banners = {o["model"].get("disclaimer") for o in outputs} - {None}
    for banner in sorted(banners):
        print(f"*** {banner} ***")
    for output in outputs:
        model = output["model"]
        print(f"{output['path']}  [{model['name']} {model['version']}]")
        if output["skipped"]:
            print(f"  not analysed: {output['skipped']}")
            continue
        method = METHODS.get(output.get("heatmap_method") or "", "")
        for item in output["findings"]:
            peak = item["heatmap_peak"]
            where = f"  {method} peak (row {peak[0]}, col {peak[1]})" if peak else ""
            print(
                f"  {item['label']:<28} {item['probability']:6.3f}  "
                f"(threshold {item['threshold']:.3f})  {item['verdict']}{where}"
            )
            score = Faithfulness.from_json(item.get("faithfulness"))
            if score is not None:
                print(f"  {'':<28} {score.describe()}")
            if item.get("explanation"):
                print(f"  {'':<28} {item['explanation']}")
        for path in output.get("exported", []):
            print(f"  wrote {path}")


def _first_study(index: StudyIndex, doing: str = "drafting") -> tuple[PatientRecord, StudyRecord]:
    """The first study with images; says on stderr when there were several."""
    studies = [(p, s) for p in index.patients for s in p.studies if s.series]
    if not studies:
        raise NothingReadableError(f"{index.root}: no study with images")
    if len(studies) > 1:
        # Its position, modalities and series count only: a description or a date is
        # free text or identifying, and stderr carries no patient data (house rule 8).
        first = studies[0][1]
        modalities = "/".join(sorted({s.modality for s in first.series if s.modality.isalnum()}))
        print(
            f"radassist: {len(studies)} studies found; {doing} the first of {len(studies)} "
            f"({modalities or 'unknown modality'}, {len(first.series)} series)",
            file=sys.stderr,
        )
    return studies[0]


def _out_path(out: str, source: str) -> Path:
    """The --out file, refused inside the source folder (house rule 6)."""
    target = Path(out).expanduser().resolve()
    origin = Path(source).expanduser().resolve()
    folder = origin if origin.is_dir() else origin.parent
    if folder == target.parent or folder in target.parents:
        raise UsageError(
            f"--out {out}: refusing to write inside the source folder {folder} "
            "(source folders are read-only; choose another folder)"
        )
    if target.is_dir():
        raise UsageError(f"--out {out}: is a folder; give a file name")
    return target


def _write_out(target: Path, text: str) -> None:
    from core.report.store import write_atomically

    target.parent.mkdir(parents=True, exist_ok=True)
    # the draft names the patient: owner-only, like every export (house rule 8)
    write_atomically(target, text.encode("utf-8"), mode=0o600)


def _draft_json(
    report: Report, issues: Sequence[GroundingIssue], engine: str, extra: dict[str, Any]
) -> dict[str, Any]:
    from core.analysis.manifest import DEMO_BANNER
    from core.report.document import SECTION_ORDER

    by_sentence: dict[str, list[dict[str, Any]]] = {}
    for issue in issues:
        if issue.sentence_id is not None:
            by_sentence.setdefault(issue.sentence_id, []).append(issue.to_json())
    return {
        "engine": engine,
        "language": report.language,
        "state": report.state.value,
        "demo_banner": DEMO_BANNER if report.context.is_demo else None,
        "analysed": report.context.analysed,
        "models": list(report.context.models),
        "engines": list(report.engines),
        "findings": [fact.to_json() for fact in report.context.findings],
        "sections": {
            section.value: [
                {
                    "id": s.id,
                    "text": s.text,
                    "origin": s.origin.value,
                    "source": s.source,
                    "reviewed": s.reviewed,
                    "grounding": by_sentence.get(s.id, []),
                }
                for s in report.sections[section]
            ]
            for section in SECTION_ORDER
        },
        "issues": [issue.to_json() for issue in issues],
        **extra,
    }


def _draft_with_language_model(args: argparse.Namespace, session: ReportSession) -> dict[str, Any]:
    from core.jobs import CancelToken, Progress, run_job
    from core.report.llm import (
        DraftMode,
        EndpointError,
        EngineSpec,
        GenerationSettings,
        LanguageModelError,
        ModelLoadError,
        draft_with_language_model,
        shutdown_language_model_process,
    )
    from core.report.llm.structured import CONSTRAINT_NAMES

    try:
        settings = GenerationSettings(
            max_new_tokens=args.max_new_tokens, temperature=args.temperature
        )
        if args.engine == "endpoint":
            # The key: the credential store under the URL's name, or RADASSIST_LLM_API_KEY.
            engine = EngineSpec.endpoint(
                args.url,
                args.model,
                ca_bundle=args.ca_bundle or "",
                read_timeout_s=args.timeout,
                structured=args.structured,
            )
        else:
            engine = EngineSpec.local(args.model)  # FILE.gguf: llama.cpp; a folder: transformers
    except ValueError as error:
        raise UsageError(str(error)) from None

    def on_event(event: Any) -> None:
        if isinstance(event, Progress) and event.message:
            _say(f"radassist: {event.message}")

    token = CancelToken()
    report = session.report
    job = draft_with_language_model(
        engine, report.context, DraftMode.REPORT, report.language, settings, token
    )
    try:
        draft = run_job(job, on_event)
    except (ModelLoadError, EndpointError):
        raise
    except LanguageModelError as error:
        raise UsageError(str(error)) from None  # the folder was refused: a bad --model
    finally:
        shutdown_language_model_process()
    info = {
        "language_model": {
            "model_name": draft.model_name,
            "stopped": draft.stopped,
            "new_tokens": draft.new_tokens,
            "seconds": round(draft.seconds, 3),
            "time_to_first_token": None
            if draft.time_to_first_token != draft.time_to_first_token  # NaN: no text came
            else round(draft.time_to_first_token, 3),
            "chat_template": draft.chat_template,
            "engine": draft.engine,
            "dtype": draft.dtype or None,
            "tokens_per_second": None
            if draft.tokens_per_second != draft.tokens_per_second
            else round(draft.tokens_per_second, 2),
            "incomplete": draft.incomplete or None,
            "retried": draft.retried,
            "wrong_language": draft.wrong_language,
            "structured": draft.structured or None,
        }
    }
    # What a person reading the terminal should know, on stderr (no patient data).
    speed = info["language_model"]["tokens_per_second"]
    weights = f", {draft.dtype}" if draft.dtype else ""
    _say(
        f"radassist: {draft.model_name} ({draft.engine}{weights}): {draft.new_tokens} tokens"
        + (f", {speed} tokens/s" if speed is not None else "")
    )
    if draft.structured:
        held = CONSTRAINT_NAMES.get(draft.structured, draft.structured)
        _say(f"radassist: structured output: {held}")
    if draft.incomplete:
        _say(f"radassist: the draft is incomplete: {draft.incomplete}")
    if draft.wrong_language:
        _say("radassist: the model wrote in the other language (asked twice)")
    session.apply_language_model_draft(draft)
    return info


def cmd_draft(args: argparse.Namespace) -> int:
    from core.archive import Archive
    from core.archive.archive import archive_exists
    from core.report.export import format_report_text
    from core.report.grounding import describe
    from core.report.templates import draft_template_report, normalise_language
    from core.report.workflow import ReportSession, analyse_study

    language = normalise_language(args.lang)
    if args.engine == "llm" and not args.model:
        raise UsageError(
            "--engine llm needs --model DIR (a language-model folder) or --model FILE.gguf"
        )
    if args.engine == "endpoint" and not (args.url and args.model):
        raise UsageError("--engine endpoint needs --url URL and --model NAME")
    if args.engine != "endpoint" and (args.url or args.ca_bundle):
        raise UsageError("--url and --ca-bundle name a server: use them with --engine endpoint")
    if args.ca_bundle and not Path(args.ca_bundle).is_file():
        raise UsageError(f"--ca-bundle {args.ca_bundle}: no such file")
    if args.engine == "template" and args.model:
        raise UsageError("--model names a language model: use it with --engine llm")
    if not Path(args.path).exists():
        raise UsageError(f"{args.path}: no such file or folder")
    target = _out_path(args.out, args.path) if args.out else None

    patient, study = _first_study(_index_or_fail(args.path))
    with contextlib.ExitStack() as stack:
        # The archive, where there is one, names the prior the Comparison section compares with.
        archive = stack.enter_context(Archive()) if archive_exists() else None
        analysis = analyse_study(
            study, patient, _model_package(args.analysis_model), archive=archive
        )
    for path, reason in analysis.unreadable:
        _say(f"radassist: {path}: could not be read: {reason}")
    if analysis.note:
        print(f"radassist: {analysis.note}; drafting without AI findings", file=sys.stderr)
    # The same rules as the report panel's: one workflow, kept nowhere here.
    session = ReportSession.for_analysis(analysis, language)
    context = session.report.context

    extra: dict[str, Any] = {}
    if args.engine in ("llm", "endpoint"):
        try:
            extra = _draft_with_language_model(args, session)
        except KeyboardInterrupt:
            print("radassist: stopped", file=sys.stderr)
            return EXIT_INTERRUPTED
    else:
        session.apply_template_draft(draft_template_report(context, language), "report")
    report, issues = session.report, session.issues

    if args.json:
        output = (
            json.dumps(
                _draft_json(report, issues, args.engine, extra), indent=2, ensure_ascii=False
            )
            + "\n"
        )
    else:
        text = format_report_text(report, identification=analysis.identification)
        lines = [text.rstrip("\n"), ""]
        against = "the AI findings" if context.analysed else "itself (no AI findings)"
        if issues:
            lines.append(f"Review: {len(issues)} item(s) at odds with {against}")
            lines.extend(f"  ! {describe(issue)}" for issue in issues)
        else:
            lines.append(f"Review: nothing at odds with {against}")
        output = "\n".join(lines) + "\n"
    if target is not None:
        _write_out(target, output)
        print(f"wrote {target}")
    else:
        sys.stdout.write(output)
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from core.report.check import check_report_file

    if not Path(args.path).exists():
        raise UsageError(f"{args.path}: no such file or folder")
    patient, study = _first_study(_index_or_fail(args.path), "checking")
    result = check_report_file(
        Path(args.report),
        study,
        patient,
        _model_package(args.analysis_model),
        language=args.lang,
    )
    if result.note:
        print(f"radassist: {result.note}; checking without AI findings", file=sys.stderr)
    sys.stdout.write(result.to_text() if not args.json else result.to_json_text())
    return EXIT_OK if result.clean else EXIT_CHECK_FAILED


def cmd_self_test(args: argparse.Namespace) -> int:
    from core.selftest import (
        WINDOW_CHECK_NAME,
        SelfTestOptions,
        format_check,
        placeholder_check,
        run_self_test,
    )

    llm_dir = Path(args.llm).expanduser().resolve() if args.llm else None
    if llm_dir is not None and not (
        llm_dir.is_dir() or (llm_dir.is_file() and llm_dir.suffix.lower() == ".gguf")
    ):
        raise UsageError(f"--llm {args.llm}: no such folder or .gguf file")
    screenshot = Path(args.screenshot).expanduser().resolve() if args.screenshot else None
    if screenshot is not None:
        if args.no_window:
            raise UsageError("--screenshot needs the window check: drop --no-window")
        if screenshot.is_dir() or screenshot.suffix.lower() not in (".png", ".jpg", ".jpeg"):
            raise UsageError(f"--screenshot {args.screenshot}: give a .png or .jpg file name")
    extra = list(getattr(args, "extra_checks", ()))
    if not any(check.name == WINDOW_CHECK_NAME for check in extra):
        extra.append(
            placeholder_check(WINDOW_CHECK_NAME, _("window check needs the desktop package"))
        )
    options = SelfTestOptions(llm_dir=llm_dir, screenshot=screenshot, window=not args.no_window)

    def print_result(result: Any) -> None:
        print("\n".join(format_check(result)), flush=True)

    try:
        report = run_self_test(
            options, extra_checks=extra, on_result=None if args.json else print_result
        )
    except KeyboardInterrupt:  # the temporary folder and child processes are gone already
        print(_("radassist: self-test stopped"), file=sys.stderr)
        return EXIT_INTERRUPTED
    if args.json:
        print(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        print(report.summary())
    return EXIT_OK if report.ok else EXIT_CHECK_FAILED


def cmd_models(args: argparse.Namespace) -> int:
    """``models import-llm DIR|FILE.gguf``: import a language model (copied, hashed)."""
    from core.report.llm.gguf import import_gguf_model
    from core.report.llm_models import import_language_model

    try:
        if str(args.folder).lower().endswith(".gguf"):
            file = import_gguf_model(args.folder, name=args.name, replace=args.replace)
            print(f"imported {file.parent.name}: use --model {file}")
            return EXIT_OK
        folder = import_language_model(args.folder, name=args.name, replace=args.replace)
    except ValueError as error:
        raise UsageError(str(error)) from None
    print(f"imported {folder.name}: use --model {folder}")
    return EXIT_OK


_HANDLERS = {
    "scan": cmd_scan,
    "load": cmd_load,
    "synth": cmd_synth,
    "demo": cmd_demo,
    "analyze": cmd_analyze,
    "draft": cmd_draft,
    "check": cmd_check,
    "self-test": cmd_self_test,
    "models": cmd_models,
}


def main(argv: Sequence[str] | None = None, *, extra_checks: Sequence[Any] = ()) -> int:
    """Run one sub-command; return its exit code.

    ``extra_checks`` (:class:`core.selftest.Check`) are added to ``self-test``'s: desktop
    adds the window check this way.
    """
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    capture_library_output()  # library log records and warnings: our DEBUG log, not stderr
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments and arguments[0] == SELF_TEST_FLAG:
        arguments[0] = "self-test"
    # The language first: the help and every message are made in it.
    set_language(_language_argument(arguments) or language_from_environment())
    install_argparse_translations()
    args = build_parser().parse_args(arguments)
    args.extra_checks = tuple(extra_checks)
    # Ctrl+C at any moment: one line and exit 130; no child process outlives the command.
    with stop_on_interrupt():
        try:
            return _run_command(args)
        except KeyboardInterrupt:
            _say(_("radassist: stopped"))
            return EXIT_INTERRUPTED


def _language_argument(arguments: Sequence[str]) -> str | None:
    """The interface language asked for: ``--lang`` before the sub-command, or self-test's.

    (``draft`` and ``check`` have a ``--lang`` of their own: the report's language.)
    """
    command_at = next((i for i, a in enumerate(arguments) if a in COMMANDS), len(arguments))
    own = arguments[:command_at]
    if command_at < len(arguments) and arguments[command_at] == "self-test":
        own = arguments
    for i, argument in enumerate(own):
        if argument.startswith("--lang="):
            return normalize_language(argument.partition("=")[2])
        if argument == "--lang" and i + 1 < len(own):
            return normalize_language(own[i + 1])
    return None


def _say(line: str) -> None:
    """One line on stderr; a stderr nobody reads (a closed pipe) never fails the command."""
    with contextlib.suppress(OSError, ValueError):
        print(line, file=sys.stderr, flush=True)


def _run_command(args: argparse.Namespace) -> int:
    try:
        if args.command in _PLUGGED:
            return int(_plugged_module(_PLUGGED[args.command]).run(args))
        return _HANDLERS[args.command](args)
    except NothingReadableError as error:
        _say(_("radassist: {message}").format(message=error))
        return EXIT_NOTHING_READABLE
    except UsageError as error:
        _say(_("radassist: usage error: {message}").format(message=error))
        return EXIT_USAGE
    except RadAssistError as error:
        _say(_("radassist: {message}").format(message=error))
        return EXIT_NOTHING_READABLE
    except OSError as error:
        # Reading failures are reported per file by the commands; what reaches here is an
        # output that could not be written (a full disk, a read-only or foreign folder).
        cause = root_os_error(error)
        where = cause.filename or error.filename or "the output"
        _say(
            _("radassist: could not write {path}: {reason}").format(
                path=where, reason=cause.strerror or cause
            )
        )
        return EXIT_WRITE_FAILED


if __name__ == "__main__":
    sys.exit(main())
