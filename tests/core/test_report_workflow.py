"""The report workflow without a widget: open, lock, recover, gather analyses, edit, review,
sign, save — the rules the report panel and `radassist draft`/`check` share."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.analysis.inference import AnalysisResult, Finding, Verdict
from core.report.context import AnalysedImage, analysed_image_from_dataset, build_report_context
from core.report.document import (
    Origin,
    ReportStateError,
    Section,
    Sentence,
    SigningBlockedError,
    new_report,
)
from core.report.store import DraftStore
from core.report.workflow import ReportSession, StudyAnalysis
from tests.core.report_helpers import make_study

pytestmark = pytest.mark.usefixtures("private_data_dir")

ROOT = Path(__file__).resolve().parents[2]


def _result(
    uid: str, *findings: Finding, model: str = "demo-cxr", frame: int = 0
) -> AnalysisResult:
    return AnalysisResult(
        model_name=model,
        model_version="1.0",
        model_sha256="ab" * 32,
        is_demo=True,
        skipped=None,
        findings=findings,
        timings={},
        sop_instance_uid=uid,
        frame=frame,
        image_shape=(64, 64),
    )


def _spot(label: str, probability: float = 0.9, col: int = 12) -> Finding:
    """A positive finding whose heatmap peaks at column ``col`` (of 64)."""
    heatmap = np.zeros((64, 64), np.float32)
    heatmap[8:16, col - 4 : col + 4] = 1.0
    return Finding(label, probability, 0.4, Verdict.POSITIVE, heatmap, (12, col))


def _negative(label: str) -> Finding:
    return Finding(label, 0.05, 0.4, Verdict.NEGATIVE)


# -- the context: every analysed image, each placed with its own orientation ---------------


def test_each_image_is_placed_with_its_own_patient_orientation() -> None:
    study = make_study()
    # Both peaks on the image's left; the second image is stored mirrored (rows run
    # towards the patient's right), so its finding is on the patient's left.
    usual = AnalysedImage(_result("1.1", _spot("Effusion"), _negative("Nodule")))
    mirrored = AnalysedImage(
        _result("1.2", _spot("Nodule"), _negative("Effusion")), patient_orientation=("R", "F")
    )
    context = build_report_context(study, [usual, mirrored])
    assert {f.label: (f.verdict, f.side) for f in context.findings} == {
        "Effusion": ("positive", "right"),
        "Nodule": ("positive", "left"),
    }
    # A lateral image of a PA study gives no side, whatever the study's view.
    lateral = AnalysedImage(_result("1.3", _spot("Mass")), view_position="LL")
    assert build_report_context(study, [lateral]).finding("Mass").side is None


def test_the_orientation_and_view_come_from_the_images_header() -> None:
    from pydicom import Dataset

    header = Dataset()
    header.PatientOrientation = ["R", "F"]
    header.ViewPosition = "AP"
    result = _result("1.1")
    image = analysed_image_from_dataset(result, header)
    assert (image.patient_orientation, image.view_position) == (("R", "F"), "AP")
    assert analysed_image_from_dataset(result, None) == AnalysedImage(result)
    assert image.key == ("1.1", 0, "demo-cxr")
    with pytest.raises(TypeError, match="AnalysisResult"):
        AnalysedImage({"findings": []})  # type: ignore[arg-type]


def test_analyses_are_kept_per_image_and_model() -> None:
    session = ReportSession.open(make_study())
    session.add_analysis(AnalysedImage(_result("1.1", _spot("Nodule"), _negative("Effusion"))))
    session.add_analysis(AnalysedImage(_result("1.2", _negative("Nodule"), _spot("Effusion"))))
    session.add_analysis(AnalysedImage(_result("1.1", _negative("Nodule"), frame=1)))
    session.add_analysis(AnalysedImage(_result("1.1", _negative("Mass"), model="other")))
    assert len(session.images) == 4
    assert session.set_context(session.context_of(session.images))
    verdicts = {f.label: f.verdict for f in session.report.context.findings}
    assert verdicts == {"Nodule": "positive", "Effusion": "positive", "Mass": "negative"}
    # The same frame by the same model again: the newer analysis replaces the older.
    session.add_analyses([AnalysedImage(_result("1.1", _negative("Nodule")))])
    assert len(session.images) == 4
    assert session.report.context.finding("Nodule").verdict == "negative"
    with pytest.raises(ValueError, match="another study"):
        session.set_context(build_report_context(make_study(study_instance_uid="9.9"), []))


# -- editing, review, signing --------------------------------------------------------------


def _analysed_session(store: DraftStore | None = None) -> ReportSession:
    session = ReportSession.open(make_study(), store=store)
    session.add_analyses([AnalysedImage(_result("1.1", _spot("Nodule"), _negative("Effusion")))])
    return session


def test_edits_are_the_persons_and_are_checked_against_the_findings() -> None:
    session = _analysed_session()
    assert session.apply_section_texts(
        {Section.FINDINGS: "No nodule. Small right pleural effusion."}
    )
    report = session.report
    assert [s.origin for s in report.sentences()] == [Origin.PERSON, Origin.PERSON]
    assert {(i.label, i.kind) for i in session.issues} >= {
        ("Nodule", "contradicted"),
        ("Effusion", "unsupported"),
    }
    assert not session.apply_section_texts(
        {Section.FINDINGS: report.section_text(Section.FINDINGS)}
    )
    issue = next(i for i in session.issues if i.kind == "contradicted")
    assert session.resolve_issue(issue.key)
    assert issue.key not in {i.key for i in session.issues}


def test_signing_is_blocked_by_review_then_overridden_and_the_report_is_final() -> None:
    session = _analysed_session()
    drafted = new_report(session.report.context).with_sentences(
        Section.FINDINGS, [Sentence("There is a nodule in the right upper zone.", Origin.TEMPLATE)]
    )
    assert session.apply_template_draft(drafted, "report")
    assert session.signing_blockers() and session.report.unreviewed()
    with pytest.raises(SigningBlockedError):
        session.sign("Dr A. Reader")
    signed = session.sign("Dr A. Reader", override_reason="read on the images")
    assert signed.is_final and signed.signature.override_reason == "read on the images"
    assert not session.editable and session.issues == ()
    assert not session.apply_section_texts({Section.FINDINGS: "Changed."})
    with pytest.raises(ReportStateError, match="final"):
        session.mark_reviewed()
    amended = session.add_addendum("No pneumothorax.", "Dr A. Reader")
    assert amended.addenda[0].text == "No pneumothorax."


def test_a_whole_draft_in_another_language_starts_again() -> None:
    session = _analysed_session()
    session.apply_section_texts({Section.FINDINGS: "Typed."})
    zh = new_report(session.report.context, "zh-CN").with_sentences(
        Section.FINDINGS, [Sentence("右肺结节。", Origin.TEMPLATE)]
    )
    session.apply_template_draft(zh, "report")
    assert session.report.language == "zh-CN"
    assert session.report.section_text(Section.FINDINGS) == "右肺结节。"
    assert not session.take_language("en")  # written: keeps its language
    with pytest.raises(ValueError, match="mode"):
        session.apply_template_draft(zh, "rewrite")


# -- the draft on disk: lock, save, recovery -----------------------------------------------


def test_a_session_with_a_store_locks_saves_and_ends() -> None:
    store = DraftStore()
    uid = make_study().study_instance_uid
    session = ReportSession.open(make_study(), store=store)
    assert session.stored is None and session.editable and session.is_saved
    assert not session.needs_save  # an empty draft is not worth a file
    session.add_analyses([AnalysedImage(_result("1.1", _spot("Nodule"), _negative("Effusion")))])
    session.apply_section_texts({Section.FINDINGS: "No nodule."})
    assert session.needs_save and session.report_to_save() is session.report
    assert session.save() and session.is_saved and not session.needs_save
    assert store.load(uid) == session.report
    session.apply_section_texts({Section.FINDINGS: "Right upper zone nodule."})
    session.close()  # saves what changed, ends the editing session
    assert store.load(uid).section_text(Section.FINDINGS) == "Right upper zone nodule."
    assert not store.interrupted(uid)
    reopened = ReportSession.open(make_study(), store=store)
    assert reopened.stored is not None and not reopened.recovering and reopened.is_saved
    reopened.close()


def test_a_headless_session_keeps_nothing() -> None:
    analysis = StudyAnalysis(
        make_study(), images=(AnalysedImage(_result("1.1", _spot("Nodule"))),), model="demo-cxr"
    )
    session = ReportSession.for_analysis(analysis, "zh-CN")
    assert session.report.language == "zh-CN" and session.report.context.analysed
    session.apply_section_texts({Section.FINDINGS: "未见结节。"})
    assert not session.needs_save and not session.save()
    session.close()
    assert list(DraftStore().list_drafts()) == []
    assert StudyAnalysis(make_study()).note == "no model package is installed"
    skipped = StudyAnalysis(make_study(), model="demo-cxr", not_analysed=("lateral view",))
    assert skipped.note == "demo-cxr did not apply to any image (lateral view)"


def test_an_interrupted_draft_is_recovering_until_restored_or_discarded(tmp_path: Path) -> None:
    left = new_report(build_report_context(make_study(), [])).with_section_text(
        Section.FINDINGS, "Typed before the crash."
    )
    code = (
        "import json, sys\n"
        "from core.report.document import Report\n"
        "from core.report.store import DraftStore\n"
        "report = Report.from_json(json.loads(sys.stdin.read()))\n"
        "store = DraftStore()\n"
        "store.begin_editing(report.study_instance_uid)\n"
        "store.save(report)\n"
    )
    for keep in (True, False):
        subprocess.run(
            [sys.executable, "-c", code],
            input=json.dumps(left.to_json()),
            text=True,
            check=True,
            cwd=ROOT,
            timeout=60,
        )
        session = ReportSession.open(make_study(), store=DraftStore())
        assert session.recovering and not session.editable and not session.needs_save
        assert session.report.section_text(Section.FINDINGS) == "Typed before the crash."
        assert not session.apply_section_texts({Section.FINDINGS: "Lost."})
        if keep:
            assert session.restore() and session.editable
            assert session.report.section_text(Section.FINDINGS) == "Typed before the crash."
        else:
            assert session.discard() and session.editable and session.report.is_empty
            assert session.needs_save
        session.close()
        saved = DraftStore().load(make_study().study_instance_uid)
        assert saved is not None and saved.is_empty is not keep
