"""The built-in checks of the self-test, in the order they run.

Each is a function of the :class:`~core.selftest.framework.SelfTestContext` (see
:mod:`core.selftest.framework` for the contract). They drive the app's own code paths
(the registry, the template loader, the index, the decoder worker processes, the
analysis process, the drafting and export functions) on a small synthetic study
written by :func:`write_self_test_study`; nothing here re-implements them.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from core.analysis.explain import describe_heatmap
from core.analysis.export import apply_heatmap_overlay
from core.analysis.inference import analysis_image_from_record
from core.analysis.manifest import verify_package
from core.analysis.registry import ModelRegistry, bundled_models_dir
from core.analysis.runner import get_analysis_process
from core.at_rest import AtRestError, check_cipher, describe_protection
from core.dicom.index import scan
from core.dicom.isolated_read import read_display_frame
from core.dicom.records import FileRef
from core.dicom.volume import load_series
from core.dicom.workers import worker_count
from core.install import FILE_LIST_NAME, bundle_root, verify_install
from core.jobs import run_job
from core.report.context import (
    build_report_context,
    patient_orientation_from_dataset,
    study_context_from_record,
)
from core.report.document import SECTION_ORDER, Section, new_report
from core.report.export import KeyImage, export_pdf, export_sr, find_cjk_font
from core.report.grounding import check_grounding, describe
from core.report.llm import (
    DraftMode,
    GenerationSettings,
    apply_language_model_draft,
    draft_with_language_model,
)
from core.report.templates import draft_template_report
from core.resource_check import BUNDLED_MODEL_NAMES, check_installation
from core.resources import resources_dir
from core.selftest.decoders import check_decoders, syntax_name
from core.selftest.framework import (
    Check,
    CheckFailed,
    CheckSkipped,
    SelfTestContext,
    describe_exception,
)
from core.selftest.studies_io import check_anonymize, check_archive, check_networking
from core.synthetic import (
    Lesion,
    list_transfer_syntaxes,
    make_study_context,
    write_ct_series,
    write_cxr,
)

if TYPE_CHECKING:
    from core.analysis.inference import AnalysisResult
    from core.dicom.records import SeriesRecord
    from core.report.document import Report, ReportContext

logger = logging.getLogger(__name__)

__all__ = ["BUILTIN_CHECKS", "DEMO_MODEL_NAME", "SelfTestStudy", "write_self_test_study"]

#: The bundled demo model package the resources and analysis checks use.
DEMO_MODEL_NAME: Final = BUNDLED_MODEL_NAMES[0]
#: A lesion the demo model finds every time (its held-out AUC is 1.0): the analysis check
#: expects it positive, with a heatmap.
EXPECTED_FINDING: Final = "Effusion"
_LANGUAGES: Final = ("en", "zh-CN")
_SEED: Final = 20240
_CT_SLICES: Final = 16
_PROBE_NAME: Final = ".radassist-self-test-probe"
_LLM_TOKENS: Final = 48


@dataclass(frozen=True)
class SelfTestStudy:
    """The synthetic study the checks read (one patient, one study, two series).

    Attributes
    ----------
    folder : Path
    pa_path : Path
        The frontal chest radiograph (DX PA, native pixels) with a nodule and an effusion.
    ct_syntax : str
        The CT series' transfer syntax: a compressed one, so loading it needs the
        decoder worker processes.
    expected : dict of str to int
        ``patients``, ``studies``, ``series`` and ``instances`` a scan must find.
    """

    folder: Path
    pa_path: Path
    ct_syntax: str
    expected: dict[str, int]


def _compressed_syntax() -> str:
    """A lossless compressed syntax :mod:`core.synthetic` can write here (RLE at worst)."""
    from pydicom.uid import JPEG2000Lossless, JPEGLSLossless, RLELossless

    available = list_transfer_syntaxes()
    for syntax in (JPEG2000Lossless, JPEGLSLossless, RLELossless):
        if syntax in available:
            return str(syntax)
    raise RuntimeError("no compressed transfer syntax can be written here (not even RLE)")


def write_self_test_study(folder: str | os.PathLike[str]) -> SelfTestStudy:
    """Write the self-test's study into ``folder`` (about 0.3 s; the same bytes every time).

    A 256-pixel DX PA chest radiograph with a right upper zone nodule and a left
    effusion, and a 16-slice 128-pixel CT in a compressed transfer syntax.
    """
    import numpy as np

    root = Path(folder)
    rng = np.random.default_rng(_SEED)
    study = make_study_context(rng, description="RADASSIST SELF-TEST")
    size = 256
    pa_path = root / "cxr" / "0001.dcm"
    write_cxr(
        pa_path,
        np.random.default_rng([_SEED, 1]),
        modality="DX",
        view="PA",
        size=size,
        lesions=[
            Lesion("Nodule", (0.40 * size, 0.30 * size), 0.022 * size),
            Lesion(EXPECTED_FINDING, (0.80 * size, 0.72 * size), 0.30 * size),
        ],
        study=study,
        series_number=1,
    )
    syntax = _compressed_syntax()
    write_ct_series(
        root / "ct",
        np.random.default_rng([_SEED, 2]),
        slices=_CT_SLICES,
        size=128,
        transfer_syntax=syntax,
        study=study,
        series_number=2,
    )
    expected = {"patients": 1, "studies": 1, "series": 2, "instances": 1 + _CT_SLICES}
    return SelfTestStudy(root, pa_path, syntax, expected)


# --------------------------------------------------------------------------- the checks


def check_install(context: SelfTestContext) -> str:

    root = bundle_root()
    if root is None:
        raise CheckSkipped("source tree, not an installed bundle")
    result = verify_install(root)
    if result.problems:
        shown = "; ".join(result.problems[:3])
        more = f" (+{len(result.problems) - 3} more)" if len(result.problems) > 3 else ""
        raise CheckFailed(f"{shown}{more} in {root}")
    size_mb = result.bytes_checked / 1e6
    return f"{result.files_checked} files ({size_mb:.0f} MB) match {FILE_LIST_NAME}"


def check_resources(context: SelfTestContext) -> str:

    # The window's notice asks the same question (core.resource_check owns it); the
    # self-test's private data folder holds no site templates, so only the install's
    # own files are judged.
    registry = ModelRegistry()
    problems = check_installation(registry)
    if problems:
        # Paths inside the resources folder are named from it, so that every file fits.
        root = str(resources_dir()) + os.sep
        raise CheckFailed(
            "; ".join(
                f"{p.what} {p.state}: {p.source.replace(root, '')}: {p.reason}" for p in problems
            )
        )
    packages = [registry.get(registry.bundled_dir / name) for name in BUNDLED_MODEL_NAMES]
    context.package = packages[BUNDLED_MODEL_NAMES.index(DEMO_MODEL_NAME)]
    verified = ", ".join(f"{p.manifest.name} {p.manifest.version}" for p in packages)
    return f"model packages verified: {verified}; report templates {', '.join(_LANGUAGES)}"


def check_data_folder(context: SelfTestContext) -> str:
    folder = context.real_data_dir
    if folder is None:
        raise CheckFailed(f"the user data folder cannot be created: {context.real_data_dir_error}")
    probe = folder / f"{_PROBE_NAME}-{os.getpid()}"
    payload = b"radassist self-test\n"
    try:
        probe.write_bytes(payload)
        if probe.read_bytes() != payload:
            raise CheckFailed(f"{folder}: a file written there reads back differently")
    except OSError as error:
        raise CheckFailed(f"{folder}: not writable ({error.strerror or error})") from None
    finally:
        try:
            probe.unlink(missing_ok=True)
        except OSError as error:
            raise CheckFailed(f"{folder}: a probe file cannot be deleted ({error})") from None

    try:
        cipher = check_cipher()
    except (AtRestError, ImportError) as error:
        raise CheckFailed(f"encryption at rest does not work: {error}") from None
    protection = describe_protection(folder)
    state = "encrypted" if protection.enabled else "NOT encrypted (turned off in Settings)"
    return f"{folder} is writable; stores {state}, key in {protection.key_place}; {cipher}"


def check_scan(context: SelfTestContext) -> str:

    if context.study_dir is None:
        raise CheckFailed(f"the test study could not be generated: {context.study_error}")
    index = scan(str(context.study_dir))
    studies = [study for patient in index.patients for study in patient.studies]
    series = index.all_series()
    found = {
        "patients": len(index.patients),
        "studies": len(studies),
        "series": len(series),
        "instances": sum(len(s.instances) for s in series),
    }
    if index.unreadable:
        first = index.unreadable[0]
        raise CheckFailed(
            f"{len(index.unreadable)} file(s) unreadable, e.g. {first.ref.display_name}: "
            f"{first.reason}"
        )
    wrong = [f"{k} {found[k]} (expected {v})" for k, v in context.expected.items() if found[k] != v]
    if wrong:
        raise CheckFailed("the index found " + ", ".join(wrong))
    context.index = index
    context.cxr_series = next((s for s in series if s.modality in ("DX", "CR")), None)
    context.ct_series = next((s for s in series if s.modality == "CT"), None)
    singular = {"patients": "patient", "studies": "study", "series": "series"}
    return ", ".join(f"{v} {singular.get(k, k[:-1]) if v == 1 else k}" for k, v in found.items())


def check_load(context: SelfTestContext) -> str:
    import numpy as np

    series: SeriesRecord = context.need(context.ct_series, "the CT series of the scan check")
    syntax = series.instances[0].transfer_syntax_uid
    volume = run_job(load_series(series))
    if volume.failures:
        first = volume.failures[0]
        raise CheckFailed(
            f"{len(volume.failures)} of {len(series.instances)} slices failed, e.g. "
            f"{first.ref.display_name}: {first.reason}"
        )
    expected_shape = (len(series.instances), series.instances[0].rows, series.instances[0].columns)
    if volume.array.shape != expected_shape or not bool(np.all(volume.loaded)):
        raise CheckFailed(f"volume {volume.array.shape}, expected {expected_shape}, all loaded")
    low, high = float(volume.array.min()), float(volume.array.max())
    # Air and bone: the modality LUT (stored = HU + 1024) was applied to real pixels.
    if not (low <= -900 and high >= 300):
        raise CheckFailed(f"CT values span {low:.0f} to {high:.0f} HU; expected air and bone")
    return (
        f"{expected_shape[0]} slices of {expected_shape[1]}x{expected_shape[2]} "
        f"({syntax_name(syntax)}) decoded in the worker processes ({worker_count()}); "
        f"first image {volume.first_image_s * 1000:.0f} ms, all {volume.total_s * 1000:.0f} ms"
    )


def check_analysis(context: SelfTestContext) -> str:
    try:
        return _analyze(context)
    except (CheckFailed, CheckSkipped) as stopped:
        context.analysis_error = context.analysis_error or stopped.reason
        raise
    except Exception as error:
        context.analysis_error = context.analysis_error or describe_exception(error)
        raise


def _analyze(context: SelfTestContext) -> str:

    series: SeriesRecord = context.need(context.cxr_series, "the radiograph of the scan check")
    index = context.need(context.index, "the scan check's index")
    package = context.package
    if package is None:  # the resources check refused it: say why, from the source
        package = verify_package(bundled_models_dir() / DEMO_MODEL_NAME, "bundled")
    patient = index.patients[0]
    volume = run_job(load_series(series))
    frame = volume.geometry.frames[0]
    image = analysis_image_from_record(
        volume.array[0], frame.instance, frame.frame, study=patient.studies[0], patient=patient
    )
    result: AnalysisResult = run_job(
        get_analysis_process().analyze(package, image, heatmaps="gradcam", use_cache=False)
    )
    if result.skipped is not None:
        raise CheckFailed(f"{package.manifest.name} did not apply: {result.skipped}")
    context.analysis = result
    labels = package.manifest.labels
    if len(result.findings) != len(labels):
        raise CheckFailed(f"{len(result.findings)} findings for {len(labels)} labels")
    by_label = {finding.label: finding for finding in result.findings}
    expected = by_label.get(EXPECTED_FINDING)
    if expected is None or expected.verdict.value != "positive":
        verdict = "no finding" if expected is None else expected.verdict.value
        raise CheckFailed(f"the drawn {EXPECTED_FINDING.lower()} was not found ({verdict})")
    if expected.heatmap is None or expected.heatmap.shape != image.values.shape[:2]:
        raise CheckFailed(f"no heatmap of the image's size for {EXPECTED_FINDING}")
    positives = [f"{f.label} {f.probability:.2f}" for f in result.positive_findings]
    return (
        f"{package.manifest.name} in the analysis process: {', '.join(positives)} positive, "
        f"Grad-CAM heatmap peak at {expected.heatmap_peak}"
    )


def _report_context(context: SelfTestContext) -> tuple[ReportContext, str]:
    """The drafts' context: the study of the index with the analysis's findings, if any."""
    from pydicom import dcmread

    index = context.need(context.index, "the scan check's index")
    pa_path: Path = context.need(context.pa_path, "the generated radiograph")
    patient = index.patients[0]
    header = dcmread(pa_path, stop_before_pixels=True, force=True)
    study = study_context_from_record(patient.studies[0], patient, dataset=header)
    results = [context.analysis] if context.analysis is not None else []
    why = context.analysis_error or "the analysis did not run"
    note = "" if results else f" (without AI findings: {why})"
    report_context = build_report_context(
        study, results, patient_orientation=patient_orientation_from_dataset(header)
    )
    return report_context, note


def _describe_draft(report: Report) -> str:

    sentences = sum(len(report.sections[section]) for section in SECTION_ORDER)
    filled = sum(bool(report.sections[section]) for section in SECTION_ORDER)
    return f"sections: {filled}, sentences: {sentences}"


def _draft(context: SelfTestContext, language: str) -> str:

    report_context, note = _report_context(context)
    report = draft_template_report(report_context, language)
    # Without findings the template says so in the findings and writes no impression.
    needed = (
        (Section.FINDINGS, Section.IMPRESSION) if report_context.analysed else (Section.FINDINGS,)
    )
    empty = [section.value for section in needed if not report.sections[section]]
    if empty:
        raise CheckFailed(f"the draft's {' and '.join(empty)} section is empty")
    text = report.section_text(Section.FINDINGS)
    if language == "zh-CN" and not any("\u4e00" <= ch <= "\u9fff" for ch in text):
        raise CheckFailed("the Chinese draft's findings hold no Chinese text")
    issues = check_grounding(report)
    if report_context.analysed and issues:
        raise CheckFailed(f"the template draft conflicts with the findings: {describe(issues[0])}")
    context.reports[language] = report
    grounding = "no conflicts with the findings" if report_context.analysed else "not checked"
    return f"{_describe_draft(report)}; grounding: {grounding}{note}"


def check_draft_en(context: SelfTestContext) -> str:
    return _draft(context, "en")


def check_draft_zh(context: SelfTestContext) -> str:
    return _draft(context, "zh-CN")


def check_language_model(context: SelfTestContext) -> str:
    folder = context.options.llm_dir
    if folder is None:
        raise CheckSkipped("no --llm folder given")

    report_context, note = _report_context(context)
    settings = GenerationSettings(max_new_tokens=_LLM_TOKENS, temperature=0.0)
    draft = run_job(
        draft_with_language_model(folder, report_context, DraftMode.REPORT, "en", settings)
    )
    report = apply_language_model_draft(new_report(report_context, "en"), draft)
    if not draft.new_tokens or not draft.sentences:
        raise CheckFailed(f"{draft.model_name} wrote nothing")
    first = draft.time_to_first_token
    first_text = "" if first != first else f", first token {first:.2f} s"  # NaN: none came
    return (
        f"{draft.model_name}: {draft.new_tokens} tokens in {draft.seconds:.2f} s"
        f"{first_text}; {_describe_draft(report)}{note}"
    )


def _key_images(context: SelfTestContext) -> list[Any]:
    """The radiograph as displayed and, when the analysis made one, its heatmap overlay."""

    if context.pa_path is None:
        return []
    # Decoded in a worker process, like every path that reads pixels (house rule 4).
    display = read_display_frame(FileRef(str(context.pa_path)), 0)
    images = [KeyImage("Self-test radiograph", display)]
    result = context.analysis
    if result is not None:
        for finding in result.positive_findings:
            if finding.heatmap is not None:
                overlay = apply_heatmap_overlay(display, finding.heatmap)
                what = describe_heatmap(result.heatmap_method, finding.faithfulness)
                images.append(KeyImage(f"{finding.label}: {what} (demo model)", overlay))
                break
    return images


def check_export(context: SelfTestContext) -> str:
    from pydicom import dcmread

    report: Report = context.need(context.reports.get("en"), "the English draft")
    pa_path: Path = context.need(context.pa_path, "the generated radiograph")
    folder = context.export_dir
    key_images = _key_images(context)
    pdf = export_pdf(report, folder, key_images=key_images)
    data = pdf.read_bytes() if pdf.is_file() else b""
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-1024:]:
        raise CheckFailed(f"{pdf.name} is not a complete PDF ({len(data)} bytes)")
    sr_path = export_sr(report, pa_path, folder)
    sr = dcmread(sr_path)
    if sr.SOPClassUID != "1.2.840.10008.5.1.4.1.1.88.33":
        raise CheckFailed(f"{sr_path.name}: SOP Class {sr.SOPClassUID}, expected Comprehensive SR")
    header = dcmread(pa_path, stop_before_pixels=True)
    if sr.StudyInstanceUID != header.StudyInstanceUID or "ContentSequence" not in sr:
        raise CheckFailed(f"{sr_path.name}: not the study's report (UID or content missing)")
    zh = context.reports.get("zh-CN")
    chinese = ""
    if zh is not None:  # the CJK font path of the PDF writer
        zh_pdf = export_pdf(zh, folder)
        if not zh_pdf.read_bytes().startswith(b"%PDF-"):
            raise CheckFailed(f"{zh_pdf.name} (Chinese) is not a PDF")
        font = find_cjk_font()
        chinese = (
            f" and one in Chinese (font {font.name if font else 'STSong-Light, not embedded'})"
        )
    return (
        f"PDF ({len(data) // 1024} KiB, key images: {len(key_images)}){chinese}, "
        f"DICOM SR ({len(sr.ContentSequence)} content items) read back"
    )


#: The built-in checks, in the order they run.
BUILTIN_CHECKS: Final = (
    Check("install", check_install),
    Check("resources", check_resources),
    Check("data folder", check_data_folder),
    Check("scan", check_scan),
    Check("load", check_load),
    Check("decoders", check_decoders),
    Check("analysis", check_analysis),
    Check("draft en", check_draft_en),
    Check("draft zh", check_draft_zh),
    Check("language model", check_language_model),
    Check("export", check_export),
    Check("archive", check_archive),
    Check("anonymize", check_anonymize),
    Check("networking", check_networking),
)
