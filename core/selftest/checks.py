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
from core.analysis.labels import label_name
from core.analysis.manifest import verify_package
from core.analysis.registry import ModelRegistry, bundled_models_dir
from core.analysis.runner import get_analysis_process
from core.at_rest import AtRestError, check_cipher, describe_protection
from core.dicom.index import scan
from core.dicom.isolated_read import read_display_frame
from core.dicom.records import FileRef
from core.dicom.volume import load_series
from core.dicom.workers import worker_count
from core.i18n import N_, _, ngettext
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
    EngineSpec,
    GenerationSettings,
    apply_language_model_draft,
    draft_with_language_model,
)
from core.report.llm.gguf import bundled_gguf_model
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
        raise CheckSkipped(_("source tree, not an installed bundle"))
    result = verify_install(root)
    if result.problems:
        shown = "; ".join(result.problems[:3])
        more = f" (+{len(result.problems) - 3} more)" if len(result.problems) > 3 else ""
        raise CheckFailed(f"{shown}{more} in {root}")
    size_mb = result.bytes_checked / 1e6
    return _("{count} files ({size_mb:.0f} MB) match {file_list}").format(
        count=result.files_checked, size_mb=size_mb, file_list=FILE_LIST_NAME
    )


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
    return _("model packages verified: {packages}; report templates {languages}").format(
        packages=verified, languages=", ".join(_LANGUAGES)
    )


def check_data_folder(context: SelfTestContext) -> str:
    folder = context.real_data_dir
    if folder is None:
        raise CheckFailed(
            _("the user data folder cannot be created: {reason}").format(
                reason=context.real_data_dir_error
            )
        )
    probe = folder / f"{_PROBE_NAME}-{os.getpid()}"
    payload = b"radassist self-test\n"
    try:
        probe.write_bytes(payload)
        if probe.read_bytes() != payload:
            raise CheckFailed(f"{folder}: a file written there reads back differently")
    except OSError as error:
        raise CheckFailed(
            _("{folder}: not writable ({reason})").format(
                folder=folder, reason=error.strerror or error
            )
        ) from None
    finally:
        try:
            probe.unlink(missing_ok=True)
        except OSError as error:
            raise CheckFailed(f"{folder}: a probe file cannot be deleted ({error})") from None

    try:
        cipher = check_cipher()
    except (AtRestError, ImportError) as error:
        raise CheckFailed(
            _("encryption at rest does not work: {reason}").format(reason=error)
        ) from None
    protection = describe_protection(folder)
    state = _("encrypted") if protection.enabled else _("NOT encrypted (turned off in Settings)")
    return _("{folder} is writable; stores {state}, key in {key_place}; {cipher}").format(
        folder=folder, state=state, key_place=protection.key_place, cipher=cipher
    )


def check_scan(context: SelfTestContext) -> str:

    if context.study_dir is None:
        raise CheckFailed(
            _("the test study could not be generated: {reason}").format(reason=context.study_error)
        )
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
            ngettext(
                "{count} file unreadable, e.g. {file}: {reason}",
                "{count} files unreadable, e.g. {file}: {reason}",
                len(index.unreadable),
            ).format(count=len(index.unreadable), file=first.ref.display_name, reason=first.reason)
        )
    wrong = [f"{k} {found[k]} (expected {v})" for k, v in context.expected.items() if found[k] != v]
    if wrong:
        raise CheckFailed("the index found " + ", ".join(wrong))
    context.index = index
    context.cxr_series = next((s for s in series if s.modality in ("DX", "CR")), None)
    context.ct_series = next((s for s in series if s.modality == "CT"), None)
    return _("{patients}, {studies}, {series}, {instances}").format(
        patients=ngettext("{n} patient", "{n} patients", found["patients"]).format(
            n=found["patients"]
        ),
        studies=ngettext("{n} study", "{n} studies", found["studies"]).format(n=found["studies"]),
        series=ngettext("{n} series", "{n} series", found["series"]).format(n=found["series"]),
        instances=ngettext("{n} instance", "{n} instances", found["instances"]).format(
            n=found["instances"]
        ),
    )


def check_load(context: SelfTestContext) -> str:
    import numpy as np

    series: SeriesRecord = context.need(context.ct_series, _("the CT series of the scan check"))
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
        raise CheckFailed(
            _("CT values span {low:.0f} to {high:.0f} HU; expected air and bone").format(
                low=low, high=high
            )
        )
    return _(
        "{slices} slices of {rows}x{columns} ({syntax}) decoded in the worker processes "
        "({workers}); first image {first_ms:.0f} ms, all {all_ms:.0f} ms"
    ).format(
        slices=expected_shape[0],
        rows=expected_shape[1],
        columns=expected_shape[2],
        syntax=syntax_name(syntax),
        workers=worker_count(),
        first_ms=volume.first_image_s * 1000,
        all_ms=volume.total_s * 1000,
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

    series: SeriesRecord = context.need(context.cxr_series, _("the radiograph of the scan check"))
    index = context.need(context.index, _("the scan check's index"))
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
        raise CheckFailed(
            _("{model} did not apply: {reason}").format(
                model=package.manifest.name, reason=result.skipped
            )
        )
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
    positives = [f"{label_name(f.label)} {f.probability:.2f}" for f in result.positive_findings]
    return _(
        "{model} in the analysis process: {positives} positive, Grad-CAM heatmap peak at {peak}"
    ).format(
        model=package.manifest.name, positives=", ".join(positives), peak=expected.heatmap_peak
    )


def _report_context(context: SelfTestContext) -> tuple[ReportContext, str]:
    """The drafts' context: the study of the index with the analysis's findings, if any."""
    from pydicom import dcmread

    index = context.need(context.index, _("the scan check's index"))
    pa_path: Path = context.need(context.pa_path, _("the generated radiograph"))
    patient = index.patients[0]
    header = dcmread(pa_path, stop_before_pixels=True, force=True)
    study = study_context_from_record(patient.studies[0], patient, dataset=header)
    results = [context.analysis] if context.analysis is not None else []
    why = context.analysis_error or _("the analysis did not run")
    note = "" if results else _(" (without AI findings: {reason})").format(reason=why)
    report_context = build_report_context(
        study, results, patient_orientation=patient_orientation_from_dataset(header)
    )
    return report_context, note


def _describe_draft(report: Report) -> str:

    sentences = sum(len(report.sections[section]) for section in SECTION_ORDER)
    filled = sum(bool(report.sections[section]) for section in SECTION_ORDER)
    return _("sections: {sections}, sentences: {sentences}").format(
        sections=filled, sentences=sentences
    )


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
        raise CheckFailed(_("the Chinese draft's findings hold no Chinese text"))
    issues = check_grounding(report)
    if report_context.analysed and issues:
        raise CheckFailed(f"the template draft conflicts with the findings: {describe(issues[0])}")
    context.reports[language] = report
    grounding = _("no conflicts with the findings") if report_context.analysed else _("not checked")
    return _("{draft}; grounding: {grounding}{note}").format(
        draft=_describe_draft(report), grounding=grounding, note=note
    )


def check_draft_en(context: SelfTestContext) -> str:
    return _draft(context, "en")


def check_draft_zh(context: SelfTestContext) -> str:
    return _draft(context, "zh-CN")


def check_language_model(context: SelfTestContext) -> str:
    # --llm DIR|FILE.gguf, else the bundle's tiny GGUF model (llama.cpp, hash-verified).
    model = context.options.llm_dir or bundled_gguf_model()
    if model is None:
        raise CheckSkipped(_("no --llm folder given"))

    report_context, note = _report_context(context)
    settings = GenerationSettings(max_new_tokens=_LLM_TOKENS, temperature=0.0)
    engine = EngineSpec.local(model)
    draft = run_job(
        draft_with_language_model(engine, report_context, DraftMode.REPORT, "en", settings)
    )
    report = apply_language_model_draft(new_report(report_context, "en"), draft)
    if not draft.new_tokens or not draft.sentences:
        raise CheckFailed(f"{draft.model_name} wrote nothing")
    first = draft.time_to_first_token
    first_text = (  # NaN: none came
        "" if first != first else _(", first token {seconds} s").format(seconds=f"{first:.2f}")
    )
    wrote = _("{model}: {tokens} tokens in {seconds} s").format(
        model=draft.model_name, tokens=draft.new_tokens, seconds=f"{draft.seconds:.2f}"
    )
    return f"{wrote}{first_text}; {_describe_draft(report)}{note}"


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

    report: Report = context.need(context.reports.get("en"), _("the English draft"))
    pa_path: Path = context.need(context.pa_path, _("the generated radiograph"))
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
        chinese = _(" and one in Chinese (font {font})").format(
            font=font.name if font else _("STSong-Light, not embedded")
        )
    return _(
        "PDF ({kib} KiB, key images: {images}){chinese}, DICOM SR ({items} content items) read back"
    ).format(
        kib=len(data) // 1024,
        images=len(key_images),
        chinese=chinese,
        items=len(sr.ContentSequence),
    )


#: The built-in checks, in the order they run.
BUILTIN_CHECKS: Final = (
    Check(N_("install"), check_install),
    Check(N_("resources"), check_resources),
    Check(N_("data folder"), check_data_folder),
    Check(N_("scan"), check_scan),
    Check(N_("load"), check_load),
    Check(N_("decoders"), check_decoders),
    Check(N_("analysis"), check_analysis),
    Check(N_("draft en"), check_draft_en),
    Check(N_("draft zh"), check_draft_zh),
    Check(N_("language model"), check_language_model),
    Check(N_("export"), check_export),
    Check(N_("archive"), check_archive),
    Check(N_("anonymize"), check_anonymize),
    Check(N_("networking"), check_networking),
)
