"""A report out of the app: plain text, PDF, and a DICOM structured report.

Every export goes into :func:`core.paths.export_dir` unless the caller names a
folder, never beside the source (house rule 6): a named folder inside the source
folder is refused. Files are named by a hash of the Study Instance UID and the
revision (``report_<key>_r<revision>_<state>.txt``; the SR by its own SOP
Instance UID), so no patient data is in a name (house rule 8), and each is
written atomically (:func:`core.report.store.write_atomically`): a full disk or
an unwritable folder gives an :class:`ExportError` and leaves no partial file.

Every export identifies the patient and the examination (house rule 8: that is what it
is for): name, patient ID, birth date, sex, accession number, study date and time,
modality, study description, referring physician and institution, all from one
:class:`~core.report.identification.ReportIdentification` read from the study's
header — the SR's Patient and General Study modules, the text's header lines, the
PDF's header block on every page. Exports are written owner-only (``0o600``).

What every export says (house rule 9): whether the report is a draft or final
and who signed it when, an override with its reason and outstanding items, which
sentences are engine text nobody reviewed yet (in a draft), the addenda, the
models whose findings it was drafted from, the engines that wrote text, the
software, and a demo model's disclaimer.

The DICOM SR (PS3.3 A.35.3, Comprehensive SR) follows the Basic Diagnostic
Imaging Report (PS3.16 TID 2000): a root container "Diagnostic Imaging Report"
(LOINC 18748-4) with the language of the text (TID 1204), the observers (TID 1002:
the signer as a person; RadAssist, each model and each engine as devices), one
container per section with a TEXT item per sentence (section headings from CID
7001, items from CID 7002), and one container per addendum with its author and
time. It has the source's Study Instance UID and patient module, lists the
source in the Current Requested Procedure Evidence Sequence, names RadAssist and
the models in the Contributing Equipment Sequence (PS3.3 C.12.1.1.5), and is
PARTIAL / UNVERIFIED / PRELIMINARY as a draft, COMPLETE / VERIFIED / FINAL with
the signer as Verifying Observer when signed (PS3.3 C.17.2).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt

from core import __version__
from core.analysis.manifest import DEMO_BANNER
from core.errors import RadAssistError, UsageError
from core.paths import export_folder_for
from core.report.document import SECTION_HEADINGS, SECTION_ORDER, Report, Section, Sentence
from core.report.identification import (
    ReportIdentification,
    check_identification,
    identification_fields,
    identification_from_context,
    identification_from_dataset,
)
from core.report.pdf_pages import (
    CJK_FONT_CANDIDATES,
    find_cjk_font,
    identification_header,
    numbered_canvas,
    register_cjk_font,
)
from core.report.store import describe_os_error, study_key, write_atomically

if TYPE_CHECKING:
    from pydicom import Dataset

logger = logging.getLogger(__name__)

__all__ = [
    "CJK_FONT_CANDIDATES",
    "SECTION_HEADINGS",
    "SOFTWARE_NAME",
    "ExportError",
    "KeyImage",
    "ReportIdentification",
    "export_pdf",
    "export_sr",
    "export_text",
    "find_cjk_font",
    "format_report_text",
    "make_report_sr",
]

SOFTWARE_NAME: Final = "RadAssist"


_WORDS: Final[Mapping[str, Mapping[str, str]]] = {
    "en": {
        "title": "Radiology report",
        "draft": "DRAFT — not signed",
        "final": "FINAL — signed by {signer}, {when}",
        "watermark": "DRAFT",
        "unreviewed": "[unreviewed]",
        "unreviewed_note": "[unreviewed]: engine text no person has reviewed yet",
        "override": "Signed with {count} item(s) outstanding. Reason: {reason}",
        "addendum": "Addendum — {author}, {when}",
        "key_images": "Key images",
        "models": "AI findings from",
        "engines": "Drafted with",
        "software": "Software",
        "template": "template",
        "language_model": "language model",
        "demo": DEMO_BANNER,
        "page": "Page {number} of {total}",
        "colon": ": ",
        "semicolon": "; ",
    },
    "zh-CN": {
        "title": "放射学报告",
        "draft": "草稿 — 未签署",
        "final": "已签署 — {signer}，{when}",
        "watermark": "草稿",
        "unreviewed": "〔未审核〕",
        "unreviewed_note": "〔未审核〕：尚未经医师审核的自动生成文字",
        "override": "签署时仍有 {count} 项待处理。理由：{reason}",
        "addendum": "补充报告 — {author}，{when}",
        "key_images": "关键图像",
        "models": "AI 分析模型",
        "engines": "起草方式",
        "software": "软件",
        "template": "模板",
        "language_model": "语言模型",
        "demo": "演示模型（以合成图像训练）— 不可用于临床。" + DEMO_BANNER,
        "page": "第 {number} 页，共 {total} 页",
        "colon": "：",
        "semicolon": "；",
    },
}

_DEMO_SHORT: Final = "DEMO MODEL - NOT FOR CLINICAL USE"
_SR_SERIES_NUMBER: Final = 9903
_EXPORT_MODE: Final = 0o600  # exports identify the patient: readable by the user only
_MAX_IMAGE_SIDE: Final = 1600  # px; a 17 cm wide figure stays above 200 dpi

# (section container code, TEXT item code), PS3.16 CID 7001 / CID 7002.
_SR_CODES: Final[Mapping[Section, tuple[tuple[str, str, str], tuple[str, str, str]]]] = {
    Section.CLINICAL_INFORMATION: (
        ("55752-0", "LN", "Clinical Information"),
        ("121060", "DCM", "History"),
    ),
    Section.TECHNIQUE: (
        ("55111-9", "LN", "Current Procedure Descriptions"),
        ("121065", "DCM", "Procedure Description"),
    ),
    Section.COMPARISON: (
        ("18834-2", "LN", "Comparison study"),
        ("121065", "DCM", "Procedure Description"),
    ),
    Section.FINDINGS: (("59776-5", "LN", "Findings"), ("121071", "DCM", "Finding")),
    Section.IMPRESSION: (("19005-8", "LN", "Impressions"), ("121073", "DCM", "Impression")),
    Section.RECOMMENDATIONS: (
        ("18783-1", "LN", "Recommendations"),
        ("121075", "DCM", "Recommendation"),
    ),
}
_LANGUAGE_MEANINGS: Final = {"en": "English", "zh-CN": "Chinese (China)"}
_SURROGATES: Final = re.compile("[\ud800-\udfff]")
_EVIDENCE_GROUPS: Final = frozenset({0x0008, 0x0010, 0x0018, 0x0020, 0x0032, 0x0038})


class ExportError(RadAssistError):
    """An export could not be written (full disk, unwritable folder); nothing was left."""


@dataclass(frozen=True, eq=False)
class KeyImage:
    """An image to put into a PDF export, e.g. the current view or a heatmap overlay.

    Attributes
    ----------
    caption : str
        Shown under the image (no patient data: it goes into the file).
    pixels : numpy.ndarray
        ``(rows, cols, 3)`` RGB or ``(rows, cols)`` grey, ``uint8``, as displayed.
    """

    caption: str
    pixels: npt.NDArray[np.uint8] = field(repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.caption, str):
            raise TypeError(f"caption must be a str, found {type(self.caption).__name__}")
        if not isinstance(self.pixels, np.ndarray):
            raise TypeError(f"pixels must be a numpy array, found {type(self.pixels).__name__}")
        if self.pixels.dtype != np.uint8:
            raise TypeError(f"pixels must be uint8, found {self.pixels.dtype}")
        shape = self.pixels.shape
        if not ((len(shape) == 2 or (len(shape) == 3 and shape[2] == 3)) and min(shape[:2]) >= 1):
            raise ValueError(f"pixels must be (rows, cols, 3) RGB or (rows, cols), found {shape}")


# --------------------------------------------------------------------------- the layout


def _clean(text: str) -> str:
    # A lone surrogate (a broken paste) cannot be written as UTF-8: show it as U+FFFD.
    return _SURROGATES.sub("\ufffd", text)


def _words(report: Report) -> Mapping[str, str]:
    return _WORDS.get(report.language, _WORDS["en"])


def _display_time(value: str) -> str:
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return value
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _describe_engine(engine: str, words: Mapping[str, str]) -> str:
    kind, _, name = engine.partition(":")
    label = words.get(kind, kind.replace("_", " "))
    return f"{label} {name}".strip()


@dataclass(frozen=True)
class _Layout:
    """What every format shows, in order, already in the report's language."""

    title: str
    status: str
    identification: tuple[tuple[str, str], ...]  # (label, value), every one of them
    demo: str | None
    sections: tuple[tuple[str, tuple[tuple[str, bool], ...]], ...]  # (sentence, unreviewed)
    unreviewed_note: str | None
    signature: tuple[str, ...]
    addenda: tuple[tuple[str, str], ...]  # (heading, text)
    provenance: tuple[str, ...]


def _layout(report: Report, identification: ReportIdentification | None = None) -> _Layout:
    words = _words(report)
    study = report.context.study
    identified = check_identification(identification, report.study_instance_uid)
    if report.is_final and report.signature is not None:
        status = words["final"].format(
            signer=report.signature.signer, when=_display_time(report.signature.signed_at)
        )
    else:
        status = words["draft"]
    fields = identification_fields(
        identified or identification_from_context(study),
        report.language,
        age_years=study.patient_age_years,
    )
    headings = SECTION_HEADINGS.get(report.language, SECTION_HEADINGS["en"])
    sections = tuple(
        (
            headings[section],
            tuple((_clean(s.text), s.needs_review) for s in report.sections[section]),
        )
        for section in SECTION_ORDER
        if report.sections[section]
    )
    any_unreviewed = any(flag for _, items in sections for _, flag in items)
    signature: list[str] = []
    if report.signature is not None and report.signature.override_reason:
        signature.append(
            words["override"].format(
                count=len(report.signature.overridden), reason=report.signature.override_reason
            )
        )
        signature.extend(f"– {item}" for item in report.signature.overridden)
    addenda = tuple(
        (
            _clean(words["addendum"].format(author=a.author, when=_display_time(a.signed_at))),
            _clean(a.text),
        )
        for a in report.addenda
    )
    provenance: list[str] = []
    if report.context.models:
        models = words["semicolon"].join(report.context.models)
        provenance.append(words["models"] + words["colon"] + models)
    if report.engines:
        engines = words["semicolon"].join(_describe_engine(e, words) for e in report.engines)
        provenance.append(words["engines"] + words["colon"] + engines)
    provenance.append(f"{words['software']}{words['colon']}{SOFTWARE_NAME} {__version__}")
    return _Layout(
        title=words["title"],
        status=status,
        identification=tuple((label, _clean(value)) for label, value in fields),
        demo=words["demo"] if report.context.is_demo else None,
        sections=sections,
        unreviewed_note=words["unreviewed_note"] if any_unreviewed else None,
        signature=tuple(_clean(line) for line in signature),
        addenda=addenda,
        provenance=tuple(provenance),
    )


def _paragraph(report: Report, items: Sequence[tuple[str, bool]]) -> str:
    marker = _words(report)["unreviewed"]
    separator = "" if report.language == "zh-CN" else " "
    return separator.join(f"{text}{separator}{marker}" if flag else text for text, flag in items)


def format_report_text(report: Report, identification: ReportIdentification | None = None) -> str:
    """The report as plain text: what :func:`export_text` writes.

    The patient and examination identification (one ``Label: value`` line each,
    "—" when unknown), headings on their own lines, one paragraph per section,
    engine text not yet reviewed marked (``[unreviewed]``), then signature notes,
    addenda and where the text came from. Without ``identification`` only what the
    report's context knows (modality, description, sex, age) is filled in.
    """
    if not isinstance(report, Report):
        raise TypeError(f"report must be a Report, found {type(report).__name__}")
    layout = _layout(report, identification)
    upper = report.language != "zh-CN"
    lines = [layout.title.upper() if upper else layout.title, layout.status]
    if layout.demo:
        lines.append(f"*** {layout.demo} ***")
    colon = _words(report)["colon"]
    lines.extend(label + colon + value for label, value in layout.identification)
    for heading, items in layout.sections:
        lines.extend(["", heading.upper() if upper else heading, _paragraph(report, items)])
    if layout.unreviewed_note:
        lines.extend(["", layout.unreviewed_note])
    if layout.signature:
        lines.extend(["", *layout.signature])
    for heading, text in layout.addenda:
        lines.extend(["", heading, text])
    lines.extend(["", "—" * 3, *layout.provenance])
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- writing


def _check_report(report: object) -> Report:
    if not isinstance(report, Report):
        raise TypeError(f"report must be a Report, found {type(report).__name__}")
    return report


def _resolve_folder(
    out_dir: str | PathLike[str] | None, source_folder: str | PathLike[str] | None
) -> Path:

    try:
        folder = export_folder_for(out_dir, [source_folder] if source_folder is not None else [])
    except OSError as exc:
        raise ExportError(
            f"cannot create the export folder {out_dir}: {describe_os_error(exc)}"
        ) from exc
    if not folder.is_dir():
        raise ExportError(f"cannot export into {folder}: it is not a folder")
    return folder


def _write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    try:
        write_atomically(path, data, mode=_EXPORT_MODE)
    except OSError as exc:
        raise ExportError(f"cannot write {name} to {folder}: {describe_os_error(exc)}") from exc
    logger.info("exported %s (%d bytes)", name, len(data))
    return path


def _file_name(report: Report, extension: str, variant: str = "") -> str:
    key = study_key(report.study_instance_uid)[:16]
    suffix = f"_{variant}" if variant else ""
    return f"report_{key}_r{report.revision}_{report.state.value}{suffix}.{extension}"


def export_text(
    report: Report,
    out_dir: str | PathLike[str] | None = None,
    *,
    source_folder: str | PathLike[str] | None = None,
    identification: ReportIdentification | None = None,
) -> Path:
    """Write the report as UTF-8 plain text (:func:`format_report_text`), owner-only.

    Parameters
    ----------
    report : Report
    out_dir : str or Path, optional
        Default :func:`core.paths.export_dir`; created if needed.
    source_folder : str or Path, optional
        The study's folder: exporting into it (or below it) is refused.
    identification : ReportIdentification, optional
        The patient and examination, from the study's header
        (:func:`~core.report.identification.identification_from_dataset`).

    Returns
    -------
    Path
        ``report_<key>_r<revision>_<state>.txt`` in ``out_dir``.

    Raises
    ------
    UsageError
        ``out_dir`` is inside ``source_folder``; ``identification`` is of another study.
    ExportError
        The folder cannot be created or written (full disk...); no file is left.
    """
    report = _check_report(report)
    text = format_report_text(report, identification)
    folder = _resolve_folder(out_dir, source_folder)
    return _write(folder, _file_name(report, "txt"), text.encode("utf-8"))


# --------------------------------------------------------------------------- PDF


def _needs_cid_font(report: Report, layout: _Layout, key_images: Sequence[KeyImage]) -> bool:
    if report.language == "zh-CN":
        return True
    texts = [layout.title, layout.status, *layout.signature, *layout.provenance]
    texts += [text for pair in layout.identification for text in pair]
    texts += [text for _, items in layout.sections for text, _ in items]
    texts += [t for pair in layout.addenda for t in pair] + [k.caption for k in key_images]
    try:
        "\n".join(texts).encode("cp1252")  # what the standard Helvetica encoding holds
    except UnicodeEncodeError:
        return True
    return False


def _image_flowable(image: KeyImage, max_width: float, max_height: float) -> Any:
    from PIL import Image as PILImage
    from reportlab.platypus import Image

    picture = PILImage.fromarray(image.pixels)
    if max(picture.size) > _MAX_IMAGE_SIDE:
        picture.thumbnail((_MAX_IMAGE_SIDE, _MAX_IMAGE_SIDE), PILImage.Resampling.LANCZOS)
    buffer = io.BytesIO()
    picture.convert("RGB").save(buffer, format="JPEG", quality=90)
    buffer.seek(0)
    width, height = picture.size
    scale = min(max_width / width, max_height / height)
    return Image(buffer, width=width * scale, height=height * scale)


def export_pdf(
    report: Report,
    out_dir: str | PathLike[str] | None = None,
    *,
    key_images: Sequence[KeyImage] = (),
    source_folder: str | PathLike[str] | None = None,
    identification: ReportIdentification | None = None,
) -> Path:
    """Write the report as a PDF (A4), optionally with key images; owner-only.

    Every page starts with the patient and examination identification
    (:func:`~core.report.pdf_pages.identification_header`) and ends with the
    software, the report's state and "Page X of Y".

    Chinese text is set in a CJK font of the workstation, embedded (subset) so the
    PDF reads the same everywhere (see :func:`find_cjk_font`); without one, in the
    PDF viewer's built-in CID font STSong-Light (nothing embedded: the reader's
    machine must supply Chinese glyphs). Other text is set in Helvetica. A draft carries
    a "DRAFT" watermark on every page; a demo model's disclaimer is shown under
    the title and in every page's footer.

    Parameters
    ----------
    report : Report
    out_dir : str or Path, optional
        Default :func:`core.paths.export_dir`.
    key_images : sequence of KeyImage, optional
        Shown after the sections, each with its caption (e.g. the current view
        and its heatmap overlay).
    source_folder : str or Path, optional
        The study's folder: exporting into it is refused.
    identification : ReportIdentification, optional
        The patient and examination, from the study's header (as for the SR).

    Returns
    -------
    Path
        ``report_<key>_r<revision>_<state>.pdf`` in ``out_dir``.

    Raises
    ------
    UsageError
        ``out_dir`` is inside ``source_folder``; ``identification`` is of another study.
    ExportError
        The folder cannot be created or written; no file is left.
    """
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer

    report = _check_report(report)
    if isinstance(key_images, KeyImage) or not isinstance(key_images, Sequence):
        raise TypeError(
            f"key_images must be a sequence of KeyImage, found {type(key_images).__name__}"
        )
    for item in key_images:
        if not isinstance(item, KeyImage):
            raise TypeError(f"key_images must hold KeyImage, found {type(item).__name__}")
    layout = _layout(report, identification)
    folder = _resolve_folder(out_dir, source_folder)
    words = _words(report)

    cjk = _needs_cid_font(report, layout, key_images)
    if cjk:
        regular = bold = register_cjk_font()  # one face: headings are set larger instead
        wrap = "CJK"
    else:
        regular, bold, wrap = "Helvetica", "Helvetica-Bold", None
    body = ParagraphStyle("body", fontName=regular, fontSize=10.5, leading=15, wordWrap=wrap)
    small = ParagraphStyle("small", parent=body, fontSize=8.5, leading=11.5)
    title = ParagraphStyle("title", parent=body, fontName=bold, fontSize=17, leading=22)
    heading = ParagraphStyle(
        "heading", parent=body, fontName=bold, fontSize=12, leading=16, spaceBefore=8
    )
    banner = ParagraphStyle(
        "banner",
        parent=body,
        textColor=colors.HexColor("#8a1c1c"),
        backColor=colors.HexColor("#fdecea"),
        borderPadding=4,
        spaceBefore=4,
        spaceAfter=6,
    )
    marker = escape(words["unreviewed"])

    def paragraph(items: Sequence[tuple[str, bool]]) -> str:
        separator = "" if report.language == "zh-CN" else " "
        parts = [
            f'{escape(text)}{separator}<font color="#9a6700" backColor="#fff4ce">{marker}</font>'
            if flag
            else escape(text)
            for text, flag in items
        ]
        return separator.join(parts)

    story: list[Any] = [
        Paragraph(escape(layout.title), title),
        Paragraph(escape(layout.status), body),
    ]
    if layout.demo:
        story.append(Paragraph(escape(layout.demo), banner))
    for name, items in layout.sections:
        story.append(Paragraph(escape(name), heading))
        story.append(Paragraph(paragraph(items), body))
    if layout.unreviewed_note:
        story += [Spacer(1, 4 * mm), Paragraph(escape(layout.unreviewed_note), small)]
    if layout.signature:
        story.append(Spacer(1, 4 * mm))
        story.extend(Paragraph(escape(line), body) for line in layout.signature)
    for name, text in layout.addenda:
        story += [Paragraph(escape(name), heading), Paragraph(escape(text), body)]
    width, height = A4
    margin = 18 * mm
    if key_images:
        story.append(Paragraph(escape(words["key_images"]), heading))
        for image in key_images:
            picture = _image_flowable(image, width - 2 * margin, 110 * mm)
            story.append(
                KeepTogether([picture, Paragraph(escape(image.caption), small), Spacer(1, 3 * mm)])
            )
    story.append(Spacer(1, 6 * mm))
    story.extend(Paragraph(escape(line), small) for line in layout.provenance)

    footer = f"{SOFTWARE_NAME} {__version__} — {layout.status}"
    if layout.demo:
        footer += f" — {_DEMO_SHORT}"
    inner = width - 2 * margin
    header_top = height - 10 * mm
    _, header_height = identification_header(
        layout.identification, inner, font=regular, cjk=cjk
    ).wrap(inner, height)

    def decorate(canvas: Canvas, document: Any) -> None:
        canvas.saveState()
        if not report.is_final:
            canvas.setFillColor(colors.Color(0.85, 0.85, 0.85, alpha=0.45))
            canvas.setFont(bold, 96)
            canvas.translate(width / 2, height / 2)
            canvas.rotate(45)
            canvas.drawCentredString(0, -30, words["watermark"])
            canvas.rotate(-45)
            canvas.translate(-width / 2, -height / 2)
        header = identification_header(layout.identification, inner, font=regular, cjk=cjk)
        header.wrapOn(canvas, inner, height)
        header.drawOn(canvas, margin, header_top - header_height)
        canvas.setFillColor(colors.grey)
        canvas.setFont(regular, 7.5)
        canvas.drawString(margin, 10 * mm, footer[:150])
        canvas.restoreState()

    def number(canvas: Canvas, page: int, pages: int) -> None:
        canvas.saveState()
        canvas.setFillColor(colors.grey)
        canvas.setFont(regular, 7.5)
        label = words["page"].format(number=page, total=pages)
        canvas.drawRightString(width - margin, 10 * mm, label)
        canvas.restoreState()

    buffer = io.BytesIO()
    signer = report.signature.signer if report.signature is not None else ""
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=height - header_top + header_height + 6 * mm,
        bottomMargin=margin + 4 * mm,
        title=layout.title,
        author=signer,
        subject=layout.status,
        creator=f"{SOFTWARE_NAME} {__version__}",
        lang=report.language,
    )
    document.build(
        story, onFirstPage=decorate, onLaterPages=decorate, canvasmaker=numbered_canvas(number)
    )
    # With and without key images are two documents: neither overwrites the other.
    name = _file_name(report, "pdf", "images" if key_images else "")
    return _write(folder, name, buffer.getvalue())


# --------------------------------------------------------------------------- DICOM SR


def _code(value: str, scheme: str, meaning: str) -> Any:
    from highdicom.sr import CodedConcept

    return CodedConcept(value=value, scheme_designator=scheme, meaning=meaning)


def _person_name(name: str) -> str:
    # One component when the user gave no "^": the whole name as the family name
    # component, unambiguous and what PS3.5 6.2.1 allows.
    name = name.strip()
    return name[:64] if "^" in name else f"{name[:63]}^"


def _dicom_datetime(value: str) -> str:
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        moment = datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M%S+0000")


def _load_source(source: Dataset | str | PathLike[str]) -> tuple[Dataset, Path | None]:
    from pydicom import Dataset, dcmread

    if isinstance(source, str | PathLike):
        path = Path(source)
        try:
            return dcmread(path, stop_before_pixels=True, force=True), path.resolve().parent
        except OSError as exc:
            raise UsageError(f"{path}: cannot read the source ({describe_os_error(exc)})") from exc
    if not isinstance(source, Dataset):
        raise TypeError(
            f"source must be a pydicom Dataset or a path, found {type(source).__name__}"
        )
    filename = getattr(source, "filename", None)
    folder = Path(filename).resolve().parent if isinstance(filename, str) and filename else None
    return source, folder


def _evidence(source: Dataset, report: Report) -> tuple[Dataset, ReportIdentification]:
    """The source's header without pixels, its identification in place of its own values."""
    from pydicom import Dataset

    name = Path(str(getattr(source, "filename", "") or "source")).name
    for keyword in ("SOPClassUID", "SOPInstanceUID", "SeriesInstanceUID", "StudyInstanceUID"):
        if not str(source.get(keyword) or "").strip():
            raise UsageError(f"{name}: the source has no {keyword} to reference")
    if str(source.StudyInstanceUID).strip() != report.study_instance_uid:
        raise UsageError(f"{name}: the source belongs to another study than the report")
    header = Dataset()
    for element in source:
        # Identification, patient, acquisition equipment, study and visit attributes:
        # what highdicom copies into the SR. No pixels, icons, overlays or private data.
        if element.tag.group in _EVIDENCE_GROUPS and not element.tag.is_private:
            header.add(element)
    # highdicom copies the patient and study attributes from here: the SR says what the
    # text and the PDF print, from the same ReportIdentification.
    identification = identification_from_dataset(source)
    for keyword, value in identification.dicom_attributes().items():
        setattr(header, keyword, value)
    return header, identification


def _device_observer(name: str, model: str, version: str = "") -> Any:
    import highdicom as hd
    from pydicom.sr.codedict import codes
    from pydicom.uid import generate_uid

    return hd.sr.ObserverContext(
        observer_type=codes.DCM.Device,
        observer_identifying_attributes=hd.sr.DeviceObserverIdentifyingAttributes(
            # The same UID for the same engine or model in every report.
            uid=generate_uid(entropy_srcs=["radassist-device", name]),
            name=name[:64],
            manufacturer_name=SOFTWARE_NAME,
            model_name=(f"{model} {version}".strip())[:64],
        ),
    )


def _split_model(display_name: str) -> tuple[str, str]:
    name, _, version = display_name.rpartition(" ")
    return (name, version) if name else (display_name, "")


def make_report_sr(report: Report, source: Dataset) -> Dataset:
    """Build the report's DICOM SR (not written); see the module notes for its content.

    Parameters
    ----------
    report : Report
    source : pydicom.Dataset
        An image of the report's study (its header is enough): the SR takes its
        Study Instance UID and patient module from it and lists it as evidence.

    Returns
    -------
    highdicom.sr.ComprehensiveSR

    Raises
    ------
    UsageError
        The source lacks its UIDs or belongs to another study.
    """
    import highdicom as hd
    from highdicom.sr import (
        ContainerContentItem,
        ContentSequence,
        TextContentItem,
    )
    from pydicom.sr.codedict import codes
    from pydicom.uid import generate_uid

    report = _check_report(report)
    evidence, identification = _evidence(source, report)
    contains = hd.sr.RelationshipTypeValues.CONTAINS

    items: list[Any] = [
        hd.sr.CodeContentItem(
            name=codes.DCM.LanguageOfContentItemAndDescendants,
            value=_code(
                report.language, "RFC5646", _LANGUAGE_MEANINGS.get(report.language, report.language)
            ),
            relationship_type=hd.sr.RelationshipTypeValues.HAS_CONCEPT_MOD,
        )
    ]
    if report.signature is not None:
        items.extend(
            hd.sr.ObserverContext(
                observer_type=codes.DCM.Person,
                observer_identifying_attributes=hd.sr.PersonObserverIdentifyingAttributes(
                    name=_person_name(report.signature.signer)
                ),
            )
        )
    items.extend(_device_observer(SOFTWARE_NAME, SOFTWARE_NAME, __version__))
    for model in report.context.models:
        items.extend(_device_observer(model, *_split_model(model)))
    for engine in report.engines:
        kind, _, name = engine.partition(":")
        items.extend(_device_observer(engine, name or kind))

    for section in SECTION_ORDER:
        sentences: Sequence[Sentence] = report.sections[section]
        if not sentences:
            continue
        container_code, text_code = _SR_CODES[section]
        container = ContainerContentItem(name=_code(*container_code), relationship_type=contains)
        container.ContentSequence = ContentSequence(
            [
                TextContentItem(
                    name=_code(*text_code), value=_clean(s.text), relationship_type=contains
                )
                for s in sentences
            ]
        )
        items.append(container)

    comments: list[str] = []
    if report.context.is_demo:
        comments.append(DEMO_BANNER)
    layout = _layout(report)
    comments.extend(layout.signature)
    comments.extend(layout.provenance)
    if not report.is_final and report.unreviewed():
        comments.append(
            f"{len(report.unreviewed())} sentence(s) of engine text not yet reviewed by a person"
        )
    items.extend(
        TextContentItem(name=codes.DCM.Comment, value=text, relationship_type=contains)
        for text in comments
    )

    for addendum in report.addenda:
        container = ContainerContentItem(name=codes.DCM.Addendum, relationship_type=contains)
        container.add_new(0x0040A032, "DT", _dicom_datetime(addendum.signed_at))
        content: list[Any] = list(
            hd.sr.ObserverContext(
                observer_type=codes.DCM.Person,
                observer_identifying_attributes=hd.sr.PersonObserverIdentifyingAttributes(
                    name=_person_name(addendum.author)
                ),
            )
        )
        content.append(
            TextContentItem(
                name=codes.DCM.Addendum, value=_clean(addendum.text), relationship_type=contains
            )
        )
        container.ContentSequence = ContentSequence(content)
        items.append(container)

    root = ContainerContentItem(
        name=_code("18748-4", "LN", "Diagnostic Imaging Report"), template_id="2000"
    )
    root.ContentSequence = ContentSequence(items)

    digest = hashlib.sha256(
        json.dumps(report.to_json(), sort_keys=True, ensure_ascii=False).encode("utf-8")
    ).hexdigest()
    equipment = [
        hd.ContributingEquipment(
            manufacturer=SOFTWARE_NAME,
            purpose_of_reference=codes.DCM.ProcessingEquipment,
            manufacturer_model_name=SOFTWARE_NAME,
            software_versions=__version__,
            contribution_description="report drafting, review and structured report",
        )
    ]
    for model in report.context.models:
        name, version = _split_model(model)
        description = "AI findings the report was drafted from and checked against"
        if report.context.is_demo:
            description += f" ({DEMO_BANNER})"
        equipment.append(
            hd.ContributingEquipment(
                manufacturer=SOFTWARE_NAME,
                purpose_of_reference=codes.DCM.ProcessingEquipment,
                manufacturer_model_name=name[:64],
                software_versions=version[:64] or None,
                contribution_description=description[:1024],
            )
        )
    for engine in report.engines:
        kind, _, name = engine.partition(":")
        equipment.append(
            hd.ContributingEquipment(
                manufacturer=SOFTWARE_NAME,
                purpose_of_reference=codes.DCM.ProcessingEquipment,
                manufacturer_model_name=(name or kind)[:64],
                contribution_description="report text drafted by "
                + _describe_engine(engine, _WORDS["en"]),
            )
        )

    signed = report.is_final and report.signature is not None
    description = _WORDS["en"]["title"] + ("" if report.is_final else " (draft)")
    if report.context.is_demo:
        description = f"{_DEMO_SHORT}: {description}"
    sr = hd.sr.ComprehensiveSR(
        evidence=[evidence],
        content=root,
        # The same report content always gets the same UIDs: exporting it twice
        # does not make a second instance in the archive.
        series_instance_uid=generate_uid(
            entropy_srcs=["radassist-report", report.study_instance_uid, report.created_at]
        ),
        series_number=_SR_SERIES_NUMBER,
        sop_instance_uid=generate_uid(entropy_srcs=["radassist-report", digest]),
        instance_number=max(1, report.revision),
        manufacturer=SOFTWARE_NAME,
        is_complete=report.is_final,
        is_final=report.is_final,
        is_verified=signed,
        verifying_observer_name=_person_name(report.signature.signer)
        if signed and report.signature
        else None,
        verifying_organization="" if signed else None,
        contributing_equipment=equipment,
        series_description=description[:64],
        software_versions=__version__,
        manufacturer_model_name=SOFTWARE_NAME,
        institution_name=identification.institution_name or None,
        specific_character_set="ISO_IR 192",
    )
    if identification.study_description:
        sr.StudyDescription = identification.study_description
    if signed and report.signature is not None:
        sr.VerifyingObserverSequence[0].VerificationDateTime = _dicom_datetime(
            report.signature.signed_at
        )
    return sr


def export_sr(
    report: Report,
    source: Dataset | str | PathLike[str],
    out_dir: str | PathLike[str] | None = None,
    *,
    source_folder: str | PathLike[str] | None = None,
) -> Path:
    """Write the report as a DICOM Comprehensive SR (:func:`make_report_sr`).

    Parameters
    ----------
    report : Report
    source : pydicom.Dataset or path
        An image of the study (read-only; a path is read without its pixels).
    out_dir : str or Path, optional
        Default :func:`core.paths.export_dir`.
    source_folder : str or Path, optional
        The study's folder; default the folder of ``source``'s file. Exporting
        into it is refused.

    Returns
    -------
    Path
        ``SR_<SOP Instance UID>.dcm`` in ``out_dir``.

    Raises
    ------
    UsageError
        ``out_dir`` is inside the source folder; the source lacks its UIDs or
        belongs to another study.
    ExportError
        The folder cannot be created or written; no file is left.
    """
    report = _check_report(report)
    dataset, folder_of_source = _load_source(source)
    folder = _resolve_folder(
        out_dir, source_folder if source_folder is not None else folder_of_source
    )
    sr = make_report_sr(report, dataset)
    buffer = io.BytesIO()
    sr.save_as(buffer, enforce_file_format=True)
    return _write(folder, f"SR_{sr.SOPInstanceUID}.dcm", buffer.getvalue())
