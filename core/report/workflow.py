"""The report workflow, once: a study's draft from opening to signing, without a widget.

3D Slicer's logic-without-widget split: :class:`ReportSession` holds the rules of a
study's report — open its draft (and the editing lock), offer back a draft whose
session was interrupted, gather every analysed image of the study into the context
the text is checked against, take a person's edits, review, resolve, sign, add an
addendum, and say when there is something to save. The report panel draws a session
and forwards what a person does; ``radassist draft`` and ``radassist check`` drive one
headless (:func:`analyse_study` runs the study's analysis for them). Whatever one of
them does to a report, the others do the same way.

A session is used from one thread. Saving may run elsewhere: take
:meth:`ReportSession.report_to_save`, save it with the store (thread-safe), then call
:meth:`ReportSession.mark_saved` back on the session's thread.

Engine modules (the store, the grounding check, the analysis) are imported when first
needed, so that importing this module costs the window nothing at start-up.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from core.dicom.geometry import compute_geometry
from core.dicom.isolated_read import read_header as read_header_only
from core.errors import DicomError, RadAssistError, describe_error
from core.jobs import run_job
from core.report.document import (
    SECTION_ORDER,
    Origin,
    Report,
    ReportContext,
    ReportStateError,
    Section,
    StudyContext,
    new_report,
)
from core.report.store import DraftInUseError

if TYPE_CHECKING:
    from pathlib import Path

    from pydicom import Dataset

    from core.analysis.inference import AnalysisResult
    from core.analysis.manifest import ModelPackage
    from core.archive.archive import Archive
    from core.dicom.records import FileRef, PatientRecord, SeriesRecord, StudyRecord
    from core.jobs import CancelToken
    from core.report.context import AnalysedImage
    from core.report.grounding import GroundingIssue
    from core.report.identification import ReportIdentification
    from core.report.llm import LanguageModelDraft
    from core.report.store import DraftStore

logger = logging.getLogger(__name__)

__all__ = [
    "DRAFT_MODES",
    "EXPORT_KINDS",
    "ReportSession",
    "StudyAnalysis",
    "analyse_image",
    "analyse_study",
    "describe_error",
    "export_report",
    "image_refs",
    "read_analysed_image",
    "read_header",
    "read_study_context",
    "stopped_language_model_draft",
]

#: What a draft writes: the whole report, a rewrite of sentences, the impression.
DRAFT_MODES: Final = ("report", "rewrite", "impression")
#: What a report exports to.
EXPORT_KINDS: Final = ("text", "pdf", "pdf_images", "sr")
#: The explanation the headless commands ask the analysis for (the side of a finding).
HEATMAP_METHOD: Final = "gradcam"


# --------------------------------------------------------------------------- the session


class ReportSession:
    """One study's report, from opening its draft to signing it.

    Build one with :meth:`open`. Every change goes through a method that says whether
    the report changed; :attr:`report` and :attr:`issues` are then the new ones.

    Attributes
    ----------
    study : StudyContext
    source : FileRef or None
        An image of the study (what an SR export references).
    store : DraftStore or None
        Where the draft is kept; None: nothing is kept (the headless commands).
    stored : Report or None
        The draft found in the store when the session opened.
    load_error : str
        Why the stored draft could not be read ("" when it could, or there was none).
    in_use_elsewhere : str
        Why the report is read-only here: another running window edits the study.
    """

    def __init__(
        self,
        study: StudyContext,
        report: Report,
        *,
        store: DraftStore | None = None,
        source: FileRef | None = None,
        stored: Report | None = None,
        recovering: bool = False,
        in_use_elsewhere: str = "",
        load_error: str = "",
    ) -> None:
        if not isinstance(study, StudyContext):
            raise TypeError(f"study must be a StudyContext, found {type(study).__name__}")
        if not isinstance(report, Report):
            raise TypeError(f"report must be a Report, found {type(report).__name__}")
        if report.study_instance_uid != study.study_instance_uid:
            raise ValueError("the report is of another study than the session's")
        self.study = study
        self.source = source
        self.store = store
        self.stored = stored
        self.load_error = load_error
        self.in_use_elsewhere = in_use_elsewhere
        self._recovering = recovering and not in_use_elsewhere
        # The report is the one on disk, or a new one (an empty draft is not worth a file).
        self._saved_revision = report.revision
        self._images: dict[tuple[str, int, str], AnalysedImage] = {}
        self._closed = False
        self._report = report
        self._issues = self._check(report)

    @classmethod
    def open(
        cls,
        study: StudyContext,
        *,
        store: DraftStore | None = None,
        language: str = "en",
        source: FileRef | None = None,
    ) -> ReportSession:
        """The report of ``study``: its stored draft when there is one, else a new draft.

        With a store, the session takes the study's editing lock. A draft whose editing
        session ended without a goodbye (the app was killed) is *recovering*: shown, not
        edited, until :meth:`restore` or :meth:`discard`. A study another running window
        edits is read-only here (:attr:`in_use_elsewhere`).
        """
        if not isinstance(study, StudyContext):
            raise TypeError(f"study must be a StudyContext, found {type(study).__name__}")
        uid = study.study_instance_uid
        stored: Report | None = None
        interrupted = False
        load_error = ""
        in_use = ""
        if store is not None:
            try:
                interrupted = store.interrupted(uid)
                stored = store.load(uid)
            except (RadAssistError, OSError, ValueError) as error:
                interrupted = False
                load_error = describe_error(error)
            try:
                store.begin_editing(uid)
            except DraftInUseError as error:
                in_use = str(error)  # one writer per study
            except (RadAssistError, OSError) as error:
                logger.warning("the draft's editing lock could not be written: %s", error)
        report = stored if stored is not None else new_report(ReportContext(study=study), language)
        recovering = bool(
            stored is not None and interrupted and not stored.is_final and not stored.is_empty
        )
        return cls(
            study,
            report,
            store=store,
            source=source,
            stored=stored,
            recovering=recovering,
            in_use_elsewhere=in_use,
            load_error=load_error,
        )

    @classmethod
    def for_analysis(cls, analysis: StudyAnalysis, language: str = "en") -> ReportSession:
        """A new report of an analysed study, kept nowhere (the headless commands)."""
        session = cls.open(analysis.study, language=language)
        session.add_analyses(analysis.images)
        return session

    # -- reading --------------------------------------------------------------------------

    @property
    def report(self) -> Report:
        return self._report

    @property
    def issues(self) -> tuple[GroundingIssue, ...]:
        """The grounding issues nobody resolved yet, in report order."""
        return self._issues

    @property
    def recovering(self) -> bool:
        """An interrupted draft is shown and waits for :meth:`restore` or :meth:`discard`."""
        return self._recovering

    @property
    def editable(self) -> bool:
        """A person may change the report now (a draft, not recovering, not in use)."""
        return not (self._report.is_final or self._recovering or self.in_use_elsewhere)

    @property
    def is_saved(self) -> bool:
        """The report is the one on disk (or there is no disk)."""
        return self._report.revision == self._saved_revision

    @property
    def needs_save(self) -> bool:
        """The report changed since it was saved, and this session may save it."""
        return (
            self.store is not None
            and not self._recovering
            and not self.in_use_elsewhere
            and not self.is_saved
        )

    @property
    def images(self) -> tuple[AnalysedImage, ...]:
        """Every analysed image of the study, one per image and model."""
        return tuple(self._images.values())

    def conflict_lines(self) -> list[str]:
        """The unresolved issues as lines for the user (and for the signature)."""
        if not self._issues:
            return []
        from core.report.grounding import describe  # lazy: not on the window's start-up path

        return [describe(issue, self._report.language) for issue in self._issues]

    def signing_blockers(self) -> tuple[str, ...]:
        """What stands in the way of signing now, one line each."""
        return self._report.signing_blockers(self.conflict_lines())

    def draft_language(self, mode: str, chosen: str) -> str:
        """The language a draft of ``mode`` writes: a whole report the ``chosen`` one; a
        rewrite or an impression the report's own."""
        if mode not in DRAFT_MODES:
            raise ValueError(f"mode must be one of {DRAFT_MODES}, found {mode!r}")
        return chosen if mode == "report" else self._report.language

    @property
    def draft_replaces_work(self) -> bool:
        """A whole new draft would replace text a person wrote or reviewed (unreviewed
        engine text alone is replaced without asking)."""
        return any(s.origin is Origin.PERSON or s.reviewed for s in self._report.sentences())

    def rewrite_range(self, sentence_ids: Collection[str]) -> tuple[Section, int, int] | None:
        """The sentences a rewrite of ``sentence_ids`` replaces: ``(section, i, j)``, every
        sentence of the section from the first of them to the last.

        None when they lie in more than one section (a rewrite stays in one).

        Raises
        ------
        ValueError
            No sentence ids.
        KeyError
            An id is not the report's.
        """
        if not sentence_ids:
            raise ValueError("a rewrite needs at least one sentence")
        report = self._report
        sections = {report.find_sentence(i)[0] for i in sentence_ids}
        if len(sections) != 1:
            return None
        section = sections.pop()
        indices = [i for i, s in enumerate(report.sections[section]) if s.id in sentence_ids]
        return section, indices[0], indices[-1] + 1

    # -- changing -------------------------------------------------------------------------

    def _check(self, report: Report) -> tuple[GroundingIssue, ...]:
        if report.is_final:
            return ()  # signed with the issues it had
        # lazy: not on the window's start-up path
        from core.report.grounding import unresolved_issues

        try:
            return tuple(unresolved_issues(report))
        except RadAssistError as error:  # a broken check must not stop editing
            logger.warning("the grounding check failed: %s", error)
            return ()

    def _replace(self, report: Report) -> bool:
        if report is self._report:
            return False
        self._report = report
        self._issues = self._check(report)
        return True

    def _require_editable(self, action: str) -> None:
        if self._report.is_final:
            raise ReportStateError(f"cannot {action}: the report is signed (final)")
        if self._recovering:
            raise ReportStateError(f"cannot {action}: restore or discard the interrupted draft")
        if self.in_use_elsewhere:
            raise ReportStateError(f"cannot {action}: {self.in_use_elsewhere}")

    def apply_section_texts(self, texts: Mapping[Section, str]) -> bool:
        """Take what a person wrote: each section's whole text (sections left out stay)."""
        if not self.editable:
            return False
        report = self._report
        for section in SECTION_ORDER:
            if section in texts:
                report = report.with_section_text(section, texts[section])
        return self._replace(report)

    def set_context(self, context: ReportContext) -> bool:
        """Check the draft against ``context`` from now on (a final report keeps its own)."""
        if not isinstance(context, ReportContext):
            raise TypeError(f"context must be a ReportContext, found {type(context).__name__}")
        if context.study.study_instance_uid != self.study.study_instance_uid:
            raise ValueError("the context is of another study than the report's")
        if self._report.is_final:
            return False
        return self._replace(self._report.with_context(context))

    def add_analysis(self, image: AnalysedImage) -> tuple[AnalysedImage, ...]:
        """Keep an image's analysis; every analysed image of the study, for the context.

        A newer analysis of the same frame by the same model replaces the older
        (:attr:`AnalysedImage.key`). Build the context with :meth:`context_of` (a job,
        where that is slow) and give it to :meth:`set_context`.
        """
        from core.report.context import AnalysedImage  # lazy: not on the window's start-up path

        if not isinstance(image, AnalysedImage):
            raise TypeError(f"image must be an AnalysedImage, found {type(image).__name__}")
        self._images.pop(image.key, None)  # the newest last
        self._images[image.key] = image
        return self.images

    def context_of(self, images: Sequence[AnalysedImage]) -> ReportContext:
        """The study's context from ``images`` (pure: may run on another thread)."""
        # lazy: not on the window's start-up path
        from core.report.context import build_report_context

        return build_report_context(self.study, list(images))

    def add_analyses(self, images: Iterable[AnalysedImage]) -> bool:
        """:meth:`add_analysis` for each, then check the report against them all."""
        for image in images:
            self.add_analysis(image)
        return self.set_context(self.context_of(self.images))

    def restore(self) -> bool:
        """Keep the interrupted draft and go on editing it."""
        if not self._recovering:
            return False
        self._recovering = False
        return True

    def discard(self) -> bool:
        """Empty the interrupted draft (its journal keeps the old text) and edit anew."""
        if not self._recovering:
            return False
        self._recovering = False
        report = self._report
        for section in SECTION_ORDER:
            if report.sections[section]:
                report = report.with_sentences(section, ())
        self._replace(report)
        return True

    def take_language(self, language: str) -> bool:
        """An empty draft takes ``language`` at once; a written one keeps its own."""
        report = self._report
        if not self.editable or not report.is_empty or report.language == language:
            return False
        return self._replace(report.restarted(language))

    def mark_reviewed(self, sentence_ids: Iterable[str] | None = None) -> bool:
        """Mark those sentences (default every sentence) reviewed."""
        self._require_editable("review")
        return self._replace(self._report.mark_reviewed(sentence_ids))

    def resolve_issue(self, key: str) -> bool:
        """Keep the text a grounding issue questions: it no longer blocks signing."""
        self._require_editable("resolve a conflict")
        return self._replace(self._report.dismiss_issue(key))

    def _fresh(self, language: str) -> Report:
        report = self._report
        if report.is_empty and language == report.language:
            return report
        return report.restarted(language)

    def apply_template_draft(self, drafted: Report, mode: str) -> bool:
        """Put a template draft into the report.

        ``mode`` "report": every section the templates wrote replaces the report's (in
        the draft's language); "impression": only the impression.
        """
        if mode not in ("report", "impression"):
            raise ValueError(f"mode must be 'report' or 'impression', found {mode!r}")
        self._require_editable("draft")
        if mode == "impression":
            impression = drafted.sections[Section.IMPRESSION]
            return self._replace(self._report.with_sentences(Section.IMPRESSION, impression))
        report = self._fresh(drafted.language)
        for section in SECTION_ORDER:
            if drafted.sections[section]:
                report = report.with_sentences(section, drafted.sections[section])
        return self._replace(report)

    def apply_language_model_draft(
        self, draft: LanguageModelDraft, *, rewrite: tuple[Section, int, int] | None = None
    ) -> bool:
        """Put what a language model wrote into the report (its sentences unreviewed).

        ``rewrite`` ``(section, i, j)``: the sentences ``[i, j)`` of ``section`` that a
        rewrite replaces. A whole draft in another language starts the report again.
        """
        # lazy: not on the window's start-up path
        from core.report.llm import DraftMode, apply_language_model_draft

        self._require_editable("draft")
        written = tuple(draft.sentences)
        if not written:
            return False
        report = self._report
        if draft.mode is DraftMode.REWRITE:
            if rewrite is None:
                raise ValueError("a rewrite needs the sentences it replaces")
            section, start, end = rewrite
            items = list(report.sections[section])
            items[start:end] = list(written)
            return self._replace(report.with_sentences(section, items))
        if draft.mode is DraftMode.REPORT and draft.language != report.language:
            self._replace(self._fresh(draft.language))
        return self._replace(apply_language_model_draft(self._report, draft))

    def sign(self, signer: str, *, override_reason: str | None = None) -> Report:
        """Sign the report (the unresolved issues are its conflicts); the final report.

        Raises
        ------
        ReportStateError
            Not editable now, no signer, or an empty report.
        SigningBlockedError
            Items need review and no override reason was given.
        """
        self._require_editable("sign")
        signed = self._report.sign(
            signer, conflicts=self.conflict_lines(), override_reason=override_reason
        )
        self._replace(signed)
        return signed

    def add_addendum(self, text: str, author: str) -> Report:
        """The final report with an addendum signed by ``author``."""
        amended = self._report.add_addendum(text, author)
        self._replace(amended)
        return amended

    # -- saving ---------------------------------------------------------------------------

    def report_to_save(self) -> Report | None:
        """The report when it needs saving (see :attr:`needs_save`), else None."""
        return self._report if self.needs_save else None

    def mark_saved(self, report: Report) -> None:
        """``report`` is on disk now (a save that ran elsewhere finished)."""
        if report.study_instance_uid == self.study.study_instance_uid:
            self._saved_revision = max(self._saved_revision, report.revision)

    def save(self) -> bool:
        """Save the report now if it needs it (on this thread); True when it was saved.

        Raises
        ------
        DraftStoreError, OSError
            The draft could not be written.
        """
        report = self.report_to_save()
        if report is None or self.store is None:
            return False
        self.store.save(report)
        self.mark_saved(report)
        return True

    def close(self) -> None:
        """Save what changed and end the editing session (the lock goes)."""
        if self._closed:
            return
        self._closed = True
        if self.store is None:
            return
        try:
            self.save()
        except (RadAssistError, OSError) as error:
            logger.warning("the draft could not be saved: %s", describe_error(error))
        try:
            self.store.end_editing(self.study.study_instance_uid)
        except (RadAssistError, OSError) as error:
            logger.warning("the draft's editing lock could not be removed: %s", error)


# --------------------------------------------------------------------------- reading inputs


def read_header(ref: FileRef) -> Dataset:
    """An object's header (no pixel data).

    Raises
    ------
    DicomReadError
        It cannot be read, whatever stopped the reader (a sequence nested too deep,
        a corrupt deflated stream...).
    """

    return read_header_only(ref)[0]


def read_study_context(
    ref: FileRef, token: CancelToken | None = None, *, archive: Archive | None = None
) -> StudyContext:
    """What a report may say about the study of the image ``ref``.

    With ``archive``, the context names the most recent relevant prior found there
    (:func:`core.archive.priors.find_priors`), which the Comparison section names.
    """
    # lazy: not on the window's start-up path
    from core.report.context import study_context_from_dataset

    dataset = read_header(ref)
    if token is not None:
        token.raise_if_cancelled()
    study = study_context_from_dataset(dataset)
    if archive is None:
        return study
    # lazy: not on the window's start-up path
    from core.archive.priors import current_study_from_header, find_priors_of
    from core.report.context import with_priors

    current = current_study_from_header(archive, dataset)
    return with_priors(study, find_priors_of(archive, current) if current is not None else [])


def read_analysed_image(result: AnalysisResult, ref: FileRef | None) -> AnalysedImage:
    """``result`` placed on the patient with the Patient Orientation of its image's header.

    Without ``ref``, or when the header cannot be read, the conventional orientation
    of a frontal radiograph is taken (and said in the log).
    """
    # lazy: not on the window's start-up path
    from core.report.context import analysed_image_from_dataset

    header = None
    if ref is not None:
        try:
            header = read_header(ref)
        except (DicomError, OSError, ValueError) as error:
            logger.warning("the analysed image's header could not be read: %s", error)
    return analysed_image_from_dataset(result, header)


def image_refs(series: Iterable[SeriesRecord]) -> list[FileRef]:
    """Every image instance of the series, series by series, in geometry order."""

    refs: dict[FileRef, None] = {}  # ordered, one entry per instance
    for item in series:
        for frame in compute_geometry(item).frames:
            refs.setdefault(frame.instance.ref)
    return list(refs)


def analyse_image(
    ref: FileRef, package: ModelPackage, method: str | None = HEATMAP_METHOD
) -> tuple[AnalysisResult | None, str]:
    """One image's analysis, or None and why the file could not be read.

    Its pixels are decoded in a worker process: a decoder's crash of any kind is a
    reason here, never the end of the run (house rule 4).
    """
    # lazy: not on the window's start-up path
    from core.analysis.inference import analyze_dataset_file

    try:
        # The network loads (once) only when an image passes the gate.
        return run_job(analyze_dataset_file(ref, package, heatmaps=method)), ""
    except DicomError as error:
        logger.warning("not analysed: %s", error)
        return None, error.reason


@dataclass(frozen=True)
class StudyAnalysis:
    """A study and what a model found in each of its images.

    Attributes
    ----------
    study : StudyContext
        Described by the first analysed image (its view, its exposure), else by the
        first image.
    images : tuple of AnalysedImage
        Every image the model looked at (a skipped one says why).
    model : str
        The model package's name; "" when none is installed.
    not_analysed : tuple of str
        Why images were not analysed, each reason once.
    identification : ReportIdentification or None
        Who and what the report is about, from the same header as ``study``, for the
        exports (never for a prompt); None when no header could be read.
    unreadable : tuple of (str, str)
        Each image that could not be read: its path and why.
    """

    study: StudyContext
    images: tuple[AnalysedImage, ...] = ()
    model: str = ""
    not_analysed: tuple[str, ...] = ()
    identification: ReportIdentification | None = None
    unreadable: tuple[tuple[str, str], ...] = ()

    @property
    def analysed(self) -> bool:
        return any(image.result.skipped is None for image in self.images)

    @property
    def note(self) -> str:
        """Why there are no findings ("" when there are)."""
        if not self.model:
            return "no model package is installed"
        if not self.analysed:
            reasons = "; ".join(self.not_analysed) or "no image"
            return f"{self.model} did not apply to any image ({reasons})"
        return ""


def analyse_study(
    study: StudyRecord,
    patient: PatientRecord | None,
    package: ModelPackage | None,
    *,
    method: str | None = HEATMAP_METHOD,
    archive: Archive | None = None,
) -> StudyAnalysis:
    """Run ``package`` on every image of ``study``, each placed with its own orientation.

    ``package`` None (no model installed): the study alone, no findings. With
    ``archive``, the study's context names the most recent relevant prior found there
    (the Comparison section names it).
    """
    # lazy: not on the window's start-up path
    from core.report.context import analysed_image_from_dataset, study_context_from_record

    # lazy: not on the window's start-up path
    from core.report.identification import identification_from_dataset

    refs = image_refs(study.series)
    images: list[AnalysedImage] = []
    reasons: list[str] = []
    unreadable_images: list[tuple[str, str]] = []
    header: Any = None
    for ref in refs if package is not None else ():
        assert package is not None
        result, unreadable = analyse_image(ref, package, method)
        if result is None:
            reasons.append(f"could not be read: {unreadable}")
            unreadable_images.append((ref.display_name, unreadable))
            continue
        if result.skipped is not None:
            images.append(analysed_image_from_dataset(result, None))
            reasons.append(result.skipped)
            continue
        try:
            image_header = read_header(ref)
        except (DicomError, OSError, ValueError) as error:
            logger.warning("the analysed image's header could not be read: %s", error)
            image_header = None
        header = header if header is not None else image_header
        images.append(analysed_image_from_dataset(result, image_header))
    for ref in refs if header is None else ():  # the study's header, from a readable file
        try:
            header = read_header(ref)
            break
        except (DicomError, OSError) as error:
            logger.warning("the study's header could not be read: %s", error)
    context = study_context_from_record(study, patient, dataset=header)
    if archive is not None:
        # lazy: not on the window's start-up path
        from core.archive.priors import find_priors
        from core.report.context import with_priors

        context = with_priors(context, find_priors(archive, study))
    return StudyAnalysis(
        study=context,
        images=tuple(images),
        model=package.manifest.name if package is not None else "",
        not_analysed=tuple(dict.fromkeys(reasons)),
        identification=identification_from_dataset(header) if header is not None else None,
        unreadable=tuple(unreadable_images),
    )


# --------------------------------------------------------------------------- writing out


def stopped_language_model_draft(
    text: str,
    mode: str,
    language: str,
    model_name: str,
    *,
    tokens: int,
    seconds: float,
    time_to_first_token: float | None,
) -> LanguageModelDraft:
    """What a stopped language model wrote, as the engine's draft (read by the engine)."""
    # lazy: not on the window's start-up path
    from core.report.llm import DraftMode, LanguageModelDraft, draft_sections

    draft_mode = DraftMode(mode)
    return LanguageModelDraft(
        text=text,
        sections=draft_sections(text, draft_mode, language, model_name),
        stopped=True,
        new_tokens=tokens,
        seconds=seconds,
        time_to_first_token=float("nan") if time_to_first_token is None else time_to_first_token,
        model_name=model_name,
        mode=draft_mode,
        language=language,
    )


def export_report(
    kind: str,
    report: Report,
    source: FileRef | None,
    key_images: Sequence[Any] = (),
    token: CancelToken | None = None,
) -> Path:
    """Export ``report`` ("text", "pdf", "pdf_images", "sr") into the export folder.

    ``source`` is an image of the study: its header names the patient and the
    examination in every format. Never beside the study: the exports refuse the
    source's folder as a target.
    """
    from pathlib import Path

    from core.report import export  # lazy: not on the window's start-up path

    # lazy: not on the window's start-up path
    from core.report.identification import identification_from_dataset

    if kind not in EXPORT_KINDS:
        raise ValueError(f"kind must be one of {EXPORT_KINDS}, found {kind!r}")
    if token is not None:
        token.raise_if_cancelled()
    if source is None:
        raise RadAssistError("no DICOM object of the study is known: the report cannot name it")
    folder = Path(source.path).parent
    dataset = read_header(source)
    if kind == "text":
        ident = identification_from_dataset(dataset)
        return export.export_text(report, source_folder=folder, identification=ident)
    if kind in ("pdf", "pdf_images"):
        ident = identification_from_dataset(dataset)
        return export.export_pdf(
            report, key_images=key_images, source_folder=folder, identification=ident
        )
    return export.export_sr(report, dataset, source_folder=folder)
