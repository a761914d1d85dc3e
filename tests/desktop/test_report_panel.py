"""The report panel as a radiologist uses it: draft, type, review, resolve, sign, export.

Every test drives the real widgets (buttons clicked, keys typed, dialogs filled) and
checks what a person would see: the editor's text and its marks, the lists, the state
line, the files written. The engines are the real ones: templates, the grounding check,
the draft store, the exports, and a tiny language model the tests build (random
weights, a real tokenizer and chat template) that runs in its own process.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QInputMethodEvent, QTextCursor
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from core.paths import export_dir
from core.report.document import (
    SECTION_HEADINGS,
    FindingFact,
    Origin,
    Report,
    ReportContext,
    ReportState,
    Section,
    Sentence,
    StudyContext,
    new_report,
)
from core.report.prompt import GIVEN_SECTIONS, MODEL_SECTIONS
from core.report.store import DraftStore
from desktop.assistant.report_dialogs import (
    AddendumDialog,
    ReportingSettingsDialog,
    SigningBlockedDialog,
)
from desktop.assistant.report_editor import EDIT_PAUSE_MS
from desktop.assistant.report_layout import (
    locate_sentences,
    parse_editor_text,
    render_report,
)
from desktop.assistant.report_panel import ReportPanel
from desktop.assistant.report_saver import SAVE_INTERVAL_MS
from desktop.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
# The editor's heading lines: core's headings (their one owner), in capitals.
HEADINGS = {
    language: [heading.upper() for heading in headings.values()]
    for language, headings in SECTION_HEADINGS.items()
}
UID = "1.2.826.0.1.3680043.10.543.5.1"
SIGNER = "Dr A. Reader"
WAIT_MS = 20_000


def _study(uid: str = UID) -> StudyContext:
    return StudyContext(
        uid,
        modality="DX",
        body_part="CHEST",
        view_position="PA",
        study_description="CHEST PA",
        image_count=1,
        patient_sex="F",
        patient_age_years=54,
        technique="PA chest radiograph, 120 kV, 2.5 mAs",
    )


def _context(uid: str = UID, *, demo: bool = True) -> ReportContext:
    model = "demo-cxr 1.0"
    findings = (
        FindingFact("Nodule", "positive", 0.91, 0.40, "right", "upper", model, demo),
        FindingFact("Effusion", "negative", 0.04, 0.29, model=model, is_demo=demo),
        FindingFact("Pneumothorax", "negative", 0.02, 0.30, model=model, is_demo=demo),
        FindingFact("Cardiomegaly", "negative", 0.10, 0.50, model=model, is_demo=demo),
    )
    return ReportContext(_study(uid), findings=findings, models=(model,), analysed=True)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = Settings(tmp_path / "settings.ini")
    settings.report_signer = SIGNER
    return settings


@pytest.fixture
def panel(qtbot: QtBot, settings: Settings) -> Iterator[ReportPanel]:
    widget = ReportPanel(settings=settings)
    qtbot.addWidget(widget)
    widget.resize(560, 820)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    widget.shutdown()


def _demo_result(*findings: Any, **fields: Any) -> Any:
    """The demo model's AnalysisResult of ``findings`` (``fields`` override the rest)."""
    from core.analysis.inference import AnalysisResult

    values: dict[str, Any] = {
        "model_name": "demo-cxr",
        "model_version": "1.0",
        "model_sha256": "ab" * 32,
        "is_demo": True,
        "skipped": None,
        "findings": findings,
        "timings": {},
    }
    values.update(fields)
    return AnalysisResult(**values)


def _open(panel: ReportPanel, context: ReportContext | None = None) -> None:
    context = context or _context()
    panel.open_study(context.study)
    panel.set_context(context)


def _draft_with_templates(qtbot: QtBot, panel: ReportPanel, language: str = "en") -> Report:
    panel.set_engine("template")
    panel.set_language(language)
    with qtbot.waitSignal(panel.draft_finished, timeout=WAIT_MS) as blocker:
        qtbot.mouseClick(panel.mode_buttons["report"], Qt.MouseButton.LeftButton)
    report = blocker.args[0]
    assert isinstance(report, Report)
    return report


def _open_and_draft(qtbot: QtBot, panel: ReportPanel, language: str = "en") -> Report:
    """Open the usual study and draft its report with the templates."""
    _open(panel)
    return _draft_with_templates(qtbot, panel, language)


def _type(qtbot: QtBot, panel: ReportPanel, section: Section, text: str) -> Report:
    """Type at the end of a section's text and wait for the pause that applies it."""
    panel.move_cursor_to_section(section)
    with qtbot.waitSignal(panel.report_changed, timeout=WAIT_MS) as blocker:
        qtbot.keyClicks(panel.editor, text)
    return blocker.args[0]


def _commit(qtbot: QtBot, panel: ReportPanel, section: Section, text: str) -> Report:
    """Text committed by an input method (how Chinese is typed), then the pause."""
    panel.move_cursor_to_section(section)
    event = QInputMethodEvent()
    event.setCommitString(text)
    with qtbot.waitSignal(panel.report_changed, timeout=WAIT_MS) as blocker:
        QApplication.sendEvent(panel.editor, event)
    return blocker.args[0]


def _select(panel: ReportPanel, start: int, end: int) -> None:
    cursor = panel.editor.textCursor()
    cursor.setPosition(start)
    cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
    panel.editor.setTextCursor(cursor)


def _wait_saved(qtbot: QtBot, panel: ReportPanel) -> None:
    qtbot.waitUntil(lambda: panel.is_saved and not panel.is_saving, timeout=WAIT_MS)


# -- the layout (what the editor holds) -----------------------------------------------------


def test_the_layout_round_trips_sections_and_finds_sentences() -> None:
    report = new_report(_context(), "en")
    report = report.with_sentences(
        Section.FINDINGS,
        [Sentence("There is a nodule.", Origin.TEMPLATE), Sentence("No effusion.", Origin.PERSON)],
    )
    report = report.with_sentences(Section.IMPRESSION, [Sentence("Nodule.", Origin.TEMPLATE)])
    text = render_report(report)
    assert [line for line in text.split("\n") if line.isupper()] == HEADINGS["en"]
    parsed = parse_editor_text(text, "en")
    assert parsed[Section.FINDINGS] == "There is a nodule. No effusion."
    assert parsed[Section.IMPRESSION] == "Nodule."
    assert parsed[Section.TECHNIQUE] == ""
    spans = locate_sentences(text, report)
    assert [text[s.start : s.end] for s in spans] == [
        "There is a nodule.",
        "No effusion.",
        "Nodule.",
    ]
    # Text typed above the first heading is kept, in the first section.
    assert parse_editor_text("Cough.\n" + text, "en")[Section.CLINICAL_INFORMATION] == "Cough."
    # A model's own "Findings:" heading is read as the heading too.
    assert parse_editor_text("Findings:\nNo effusion.\nImpression:\nNormal.", "en") == {
        **{s: "" for s in Section},
        Section.FINDINGS: "No effusion.",
        Section.IMPRESSION: "Normal.",
    }
    zh = render_report(new_report(_context(), "zh-CN"))
    assert "影像所见" in zh and "诊断意见" in zh


# -- opening a study ------------------------------------------------------------------------


def test_a_new_study_shows_six_empty_sections_and_a_draft_state(panel: ReportPanel) -> None:
    panel.open_study(_study())
    lines = panel.editor_text().split("\n")
    assert [line for line in lines if line] == HEADINGS["en"]
    assert panel.state_label.text() == "Draft — revision 0, saved"
    assert not panel.editor.isReadOnly()
    assert not panel.sign_button.isEnabled() and not panel.export_button.isEnabled()
    assert not panel.addendum_button.isEnabled()
    assert not panel.banner.isVisible()
    assert not panel.recovery_frame.isVisible()
    assert panel.conflict_title.text() == "Grounding conflicts: none"


def test_an_empty_draft_takes_the_chosen_language(qtbot: QtBot, panel: ReportPanel) -> None:
    panel.open_study(_study())
    panel.language_combo.setCurrentIndex(1)  # 中文
    assert panel.report is not None and panel.report.language == "zh-CN"
    assert [line for line in panel.editor_text().split("\n") if line] == HEADINGS["zh-CN"]
    _commit(qtbot, panel, Section.FINDINGS, "心影不大。")
    panel.language_combo.setCurrentIndex(0)  # written: it stays Chinese until a new draft
    assert panel.report is not None and panel.report.language == "zh-CN"


def test_the_demo_banner_shows_with_demo_findings(panel: ReportPanel) -> None:
    _open(panel, _context(demo=True))
    assert panel.banner.isVisible()
    assert "not for clinical use" in panel.banner.text()
    panel.close_study()
    _open(panel, _context("1.2.3.999", demo=False))
    assert not panel.banner.isVisible()


def test_the_study_is_read_from_its_file(qtbot: QtBot, panel: ReportPanel, tmp_path: Path) -> None:
    import pydicom

    from core.dicom.records import FileRef
    from core.synthetic import write_cxr

    path = tmp_path / "study" / "cxr.dcm"
    write_cxr(path, np.random.default_rng(5), size=64)
    uid = pydicom.dcmread(path, stop_before_pixels=True).StudyInstanceUID
    with qtbot.waitSignal(panel.study_opened, timeout=WAIT_MS) as blocker:
        panel.open_study_file(FileRef(str(path)))
    study = blocker.args[0]
    assert study.study_instance_uid == uid
    assert panel.study == study and panel.report is not None
    assert panel.report.study_instance_uid == uid


# -- drafting with templates ----------------------------------------------------------------


def test_a_template_draft_fills_the_sections_and_is_shaded_until_reviewed(
    qtbot: QtBot, panel: ReportPanel
) -> None:
    report = _open_and_draft(qtbot, panel)
    findings = report.section_text(Section.FINDINGS)
    assert "nodule" in findings.lower()
    assert report.section_text(Section.IMPRESSION)
    assert all(s.origin is Origin.TEMPLATE and not s.reviewed for s in report.sentences())
    text = panel.editor_text()
    assert findings in text
    # Every template sentence is shaded as unreviewed; there is nothing in conflict.
    marks = panel.highlighted_sentences()
    assert set(marks) == {s.id for s in report.sentences()}
    assert set(marks.values()) == {"unreviewed"}
    assert len(panel.editor.extraSelections()) == len(report.sentences())
    count = len(report.sentences())
    assert panel.review_label.text() == f"{count} sentences to review"
    assert panel.conflict_list.count() == 0
    assert panel.sign_button.isEnabled() and panel.export_button.isEnabled()
    # The tooltip over a sentence says who wrote it and that nobody reviewed it yet.
    first = report.sentences(Section.FINDINGS)[0]
    start, _ = panel.sentence_span(first.id)
    assert "Template text" in panel._tooltip_at(start + 1)
    assert "not reviewed yet" in panel._tooltip_at(start + 1)


def test_a_chinese_template_draft(qtbot: QtBot, panel: ReportPanel) -> None:
    report = _open_and_draft(qtbot, panel, "zh-CN")
    assert report.language == "zh-CN"
    text = panel.editor_text()
    assert "影像所见" in text and "诊断意见" in text
    assert "结节" in report.section_text(Section.FINDINGS)
    assert set(panel.highlighted_sentences().values()) == {"unreviewed"}


def test_write_impression_replaces_only_the_impression(qtbot: QtBot, panel: ReportPanel) -> None:
    _open(panel)
    _type(qtbot, panel, Section.FINDINGS, "Small nodule in the right upper zone.")
    _type(qtbot, panel, Section.IMPRESSION, "To be written.")
    with qtbot.waitSignal(panel.draft_finished, timeout=WAIT_MS) as blocker:
        qtbot.mouseClick(panel.mode_buttons["impression"], Qt.MouseButton.LeftButton)
    report = blocker.args[0]
    assert report.section_text(Section.FINDINGS) == "Small nodule in the right upper zone."
    impression = report.sentences(Section.IMPRESSION)
    assert impression and all(s.origin is Origin.TEMPLATE for s in impression)
    assert "To be written." not in panel.editor_text()


def test_drafting_over_a_persons_text_asks_first(
    qtbot: QtBot, panel: ReportPanel, monkeypatch: pytest.MonkeyPatch
) -> None:
    _open(panel)
    _type(qtbot, panel, Section.FINDINGS, "My own words.")
    answers = [QMessageBox.StandardButton.No]
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: answers.pop())
    assert panel.draft("report") is None  # the person said no
    assert "My own words." in panel.editor_text()
    answers.append(QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(panel.draft_finished, timeout=WAIT_MS):
        assert panel.draft("report") is not None
    assert "My own words." not in panel.editor_text()


def test_rewrite_needs_the_language_model(panel: ReportPanel) -> None:
    _open(panel)
    panel.set_engine("template")
    assert not panel.mode_buttons["rewrite"].isEnabled()
    assert "needs the language model" in panel.mode_buttons["rewrite"].toolTip()


# -- typing ---------------------------------------------------------------------------------


def test_typing_becomes_the_persons_reviewed_text_and_keeps_engine_sentences(
    qtbot: QtBot, panel: ReportPanel
) -> None:
    drafted = _open_and_draft(qtbot, panel)
    before = drafted.sentences(Section.FINDINGS)
    report = _type(qtbot, panel, Section.FINDINGS, " Old healed rib fracture on the left.")
    findings = report.sentences(Section.FINDINGS)
    assert [s.id for s in findings[: len(before)]] == [s.id for s in before]  # kept as they were
    added = findings[-1]
    assert added.text == "Old healed rib fracture on the left."
    assert added.origin is Origin.PERSON and added.reviewed
    assert panel.highlighted_sentences().get(added.id) is None  # a person's text is not shaded

    # Changing a word of a template sentence makes the sentence the person's.
    target = before[0]
    _, end = panel.sentence_span(target.id)
    _select(panel, end - 1, end)  # its full stop
    with qtbot.waitSignal(panel.report_changed, timeout=WAIT_MS) as blocker:
        qtbot.keyClicks(panel.editor, "!")
    changed = blocker.args[0]
    assert target.id not in {s.id for s in changed.sentences()}
    edited = changed.sentences(Section.FINDINGS)[0]
    assert edited.text == target.text[:-1] + "!"
    assert edited.origin is Origin.PERSON


def test_headings_cannot_be_typed_over_or_deleted(qtbot: QtBot, panel: ReportPanel) -> None:
    panel.open_study(_study())
    original = panel.editor_text()
    cursor = panel.editor.textCursor()
    cursor.setPosition(3)  # inside "CLINICAL INFORMATION"
    panel.editor.setTextCursor(cursor)
    qtbot.keyClicks(panel.editor, "xyz")
    qtbot.keyClick(panel.editor, Qt.Key.Key_Return)
    assert panel.editor_text() == original
    assert "headings stay" in panel.status_label.text()
    event = QInputMethodEvent()
    event.setCommitString("临床")
    QApplication.sendEvent(panel.editor, event)  # an input method's text, same rule
    assert panel.editor_text() == original
    # Backspace at the start of a section's text would join it to the heading.
    start, _ = panel.section_span(Section.TECHNIQUE)
    cursor.setPosition(start)
    panel.editor.setTextCursor(cursor)
    qtbot.keyClick(panel.editor, Qt.Key.Key_Backspace)
    assert panel.editor_text() == original
    # A selection across a heading is not deleted either.
    _select(panel, start - 4, start + 1)
    qtbot.keyClick(panel.editor, Qt.Key.Key_Delete)
    assert panel.editor_text() == original
    # Typing in the section's own line works.
    qtbot.keyClicks(panel.editor, "")
    report = _type(qtbot, panel, Section.TECHNIQUE, "Single PA view.")
    assert report.section_text(Section.TECHNIQUE) == "Single PA view."


def test_typing_is_saved_within_a_second_and_reopens(
    qtbot: QtBot, panel: ReportPanel, settings: Settings
) -> None:
    panel.open_study(_study())
    panel.move_cursor_to_section(Section.FINDINGS)
    qtbot.keyClicks(panel.editor, "Lungs are clear.")
    # Saved a typing pause and a save interval after the last key (the design; the wait
    # below only guards against a hang).
    assert EDIT_PAUSE_MS + SAVE_INTERVAL_MS <= 1500
    with qtbot.waitSignal(panel.report_saved, timeout=10_000):
        pass
    saved = DraftStore().load(UID)
    assert saved is not None and saved.section_text(Section.FINDINGS) == "Lungs are clear."
    assert "saved" in panel.state_label.text() and "not saved" not in panel.state_label.text()
    assert DraftStore().interrupted(UID) is False  # our own lock, a live process
    panel.close_study()
    assert panel.editor_text() == ""
    # Opened again: the draft is there, no offer (it was closed properly).
    panel.open_study(_study())
    assert not panel.recovery_frame.isVisible()
    assert "Lungs are clear." in panel.editor_text()
    assert "reopened" in panel.status_label.text()


def test_closing_saves_on_a_job_after_the_running_save_without_an_event_loop(
    qtbot: QtBot, panel: ReportPanel, monkeypatch: pytest.MonkeyPatch
) -> None:
    written: list[tuple[str, int, bool]] = []  # (text, revision, on the GUI thread)
    write = DraftStore.save
    disk = threading.Event()  # the first write hangs on a slow disk until it is set

    def slow_save(store: DraftStore, report: Report) -> None:
        if not written:
            disk.wait(5)
        write(store, report)
        on_gui = threading.current_thread() is threading.main_thread()
        written.append((report.section_text(Section.FINDINGS), report.revision, on_gui))

    monkeypatch.setattr(DraftStore, "save", slow_save)
    panel.open_study(_study())
    _type(qtbot, panel, Section.FINDINGS, "Lungs are clear.")
    saved: list[int] = []
    panel.report_saved.connect(saved.append)
    panel.save_now()  # the first save runs...
    assert panel.is_saving
    _type(qtbot, panel, Section.FINDINGS, " No effusion.")  # ...while more is typed
    ran: list[str] = []
    QTimer.singleShot(0, lambda: ran.append("event"))
    threading.Timer(0.2, disk.set).start()
    panel.close_study()
    assert ran == []  # closing spun no event loop
    assert [(text, gui) for text, _, gui in written] == [
        ("Lungs are clear.", False),
        ("Lungs are clear. No effusion.", False),
    ]
    assert saved == [revision for _, revision, _ in written]  # in order, both reported
    on_disk = DraftStore().load(UID)
    assert on_disk is not None
    assert on_disk.section_text(Section.FINDINGS) == "Lungs are clear. No effusion."
    assert DraftStore().interrupted(UID) is False  # the editing ended properly
    qtbot.wait(50)
    assert ran == ["event"] and len(saved) == 2  # nothing of the first save arrives late


# -- review and grounding -----------------------------------------------------------------


def test_mark_reviewed_for_the_selection_then_all(qtbot: QtBot, panel: ReportPanel) -> None:
    report = _open_and_draft(qtbot, panel)
    first, second = report.sentences(Section.FINDINGS)[:2]
    start, _ = panel.sentence_span(first.id)
    cursor = panel.editor.textCursor()
    cursor.setPosition(start + 2)  # the cursor in the sentence is enough
    panel.editor.setTextCursor(cursor)
    qtbot.mouseClick(panel.review_button, Qt.MouseButton.LeftButton)
    now = panel.report
    assert now is not None
    assert now.find_sentence(first.id)[1].reviewed
    assert not now.find_sentence(second.id)[1].reviewed
    assert first.id not in panel.highlighted_sentences()
    assert panel.highlighted_sentences()[second.id] == "unreviewed"
    assert "marked reviewed" in panel.status_label.text()

    qtbot.mouseClick(panel.review_all_button, Qt.MouseButton.LeftButton)
    now = panel.report
    assert now is not None and now.unreviewed() == ()
    assert panel.highlighted_sentences() == {}
    assert panel.editor.extraSelections() == []
    assert panel.review_label.text() == "Everything reviewed"
    assert not panel.review_all_button.isEnabled()


def test_conflicts_are_underlined_listed_with_reasons_and_resolved(
    qtbot: QtBot, panel: ReportPanel
) -> None:
    _open(panel)
    report = _type(qtbot, panel, Section.FINDINGS, "There is a large right pleural effusion.")
    sentence = report.sentences(Section.FINDINGS)[0]
    assert panel.highlighted_sentences() == {sentence.id: "conflict"}
    # The positive nodule is not in the text yet: listed for review after the conflicts.
    assert panel.conflict_list.count() == 2
    assert panel.conflict_texts()[1].startswith(
        "Not mentioned — the analysis found Nodule positive in the right upper zone"
    )
    row = panel.conflict_texts()[0]
    assert row.startswith("Findings: “There is a large right pleural effusion.”")
    assert "Effusion" in row
    issue = panel.issues[0]
    assert issue.kind == "unsupported" and issue.label == "Effusion"
    # The editor marks it with a red wave and says why under the mouse.
    selection = panel.editor.extraSelections()[0]
    assert selection.format.underlineStyle().name == "WaveUnderline"
    start, _ = panel.sentence_span(sentence.id)
    assert f"Conflict: {issue.reason}" in panel._tooltip_at(start + 3)
    assert panel.review_label.text() == "1 conflict · 1 not mentioned"

    # Denying a positive finding is a conflict too.
    report = _type(qtbot, panel, Section.IMPRESSION, "No nodule.")
    kinds = {(i.label, i.kind) for i in panel.issues}
    assert kinds == {("Effusion", "unsupported"), ("Nodule", "contradicted")}
    assert panel.conflict_list.count() == 2

    # Clicking a row selects the sentence; Resolve keeps it and removes the block.
    item = panel.conflict_list.item(0)
    rect = panel.conflict_list.visualItemRect(item)
    qtbot.mouseClick(panel.conflict_list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    key = panel.conflict_list.currentItem().data(Qt.ItemDataRole.UserRole)
    assert panel.editor.textCursor().selectedText() == "There is a large right pleural effusion."
    qtbot.mouseClick(panel.resolve_button, Qt.MouseButton.LeftButton)
    now = panel.report
    assert now is not None and key in now.dismissed_issues
    assert [i.label for i in panel.issues] == ["Nodule"]
    assert panel.conflict_list.count() == 1

    # Correcting the text makes the other one go away by itself.
    start, end = panel.sentence_span(now.sentences(Section.IMPRESSION)[0].id)
    _select(panel, start, end)
    with qtbot.waitSignal(panel.report_changed, timeout=WAIT_MS):
        qtbot.keyClicks(panel.editor, "Right upper zone nodule.")
    assert panel.issues == ()
    assert panel.conflict_title.text() == "Grounding conflicts: none"


def test_omissions_and_contradicting_sections_are_listed_block_signing_and_resolve(
    qtbot: QtBot, panel: ReportPanel
) -> None:
    _open(panel)  # the analysis found a nodule in the right upper zone
    _type(qtbot, panel, Section.FINDINGS, "No pneumothorax.")
    _type(qtbot, panel, Section.IMPRESSION, "Pneumothorax.")
    assert [(i.label, i.kind) for i in panel.issues] == [
        ("Pneumothorax", "unsupported"),
        ("Pneumothorax", "inconsistent"),
        ("Nodule", "not mentioned"),
    ]
    rows = panel.conflict_texts()
    assert rows[1] == (
        "Impression: “Pneumothorax.” — asserts Pneumothorax; the findings deny it: "
        "“No pneumothorax.”"
    )
    assert rows[2] == (
        "Not mentioned — the analysis found Nodule positive in the right upper zone "
        "(p=0.91, threshold 0.40); the report neither states nor denies it"
    )
    assert panel.review_label.text() == "2 conflicts · 1 not mentioned"

    # Sign-off lists the omission as it is, the contradicting sections as a conflict.
    qtbot.mouseClick(panel.sign_button, Qt.MouseButton.LeftButton)
    (dialog,) = panel.findChildren(SigningBlockedDialog)
    listed = [dialog.blocker_list.item(i).text() for i in range(dialog.blocker_list.count())]
    assert "not mentioned: the analysis found Nodule positive" in listed[2]
    assert listed[1].startswith('conflict: Impression: "Pneumothorax." asserts Pneumothorax; ')
    dialog.reject()

    # The omission has no sentence to select; Resolve acknowledges it.
    item = panel.conflict_list.item(2)
    rect = panel.conflict_list.visualItemRect(item)
    qtbot.mouseClick(panel.conflict_list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert panel.resolve_button.isEnabled()
    qtbot.mouseClick(panel.resolve_button, Qt.MouseButton.LeftButton)
    now = panel.report
    assert now is not None and "report:Nodule:not mentioned" in now.dismissed_issues
    assert [i.kind for i in panel.issues] == ["unsupported", "inconsistent"]
    assert panel.status_label.text() == "Acknowledged: the report leaves that finding out."


def test_hedged_wording_and_no_analysis_give_no_conflicts(qtbot: QtBot, panel: ReportPanel) -> None:
    panel.open_study(_study())  # no analysis ran: nothing to hold the text against
    _type(qtbot, panel, Section.FINDINGS, "Large pleural effusion.")
    assert panel.issues == () and panel.conflict_list.count() == 0
    panel.close_study()
    _open(panel, _context("1.2.3.4.5.6"))
    _type(
        qtbot, panel, Section.FINDINGS, "No pneumothorax. No pleural effusion. Right upper nodule."
    )
    assert panel.issues == ()


def test_new_findings_recheck_the_draft(qtbot: QtBot, panel: ReportPanel) -> None:
    panel.open_study(_study())
    _type(qtbot, panel, Section.FINDINGS, "No nodule.")
    assert panel.issues == ()
    with qtbot.waitSignal(panel.report_changed, timeout=WAIT_MS):
        panel.set_context(_context())
    assert [(i.label, i.kind) for i in panel.issues] == [("Nodule", "contradicted")]
    assert panel.banner.isVisible()


def test_findings_from_an_analysis_result_reach_the_report(
    qtbot: QtBot, panel: ReportPanel
) -> None:
    from core.analysis.inference import Finding, Verdict

    heatmap = np.zeros((64, 64), np.float32)
    heatmap[8:16, 8:16] = 1.0
    result = _demo_result(
        Finding("Nodule", 0.9, 0.4, Verdict.POSITIVE, heatmap, (12, 12)),
        Finding("Effusion", 0.05, 0.3, Verdict.NEGATIVE),
        timings={"total": 0.1},
        image_shape=(64, 64),
    )
    panel.open_study(_study())
    with qtbot.waitSignal(panel.report_changed, timeout=WAIT_MS) as blocker:
        panel.add_analysis(result)
    context = blocker.args[0].context
    assert context.analysed and context.finding("Nodule").verdict == "positive"
    assert context.finding("Nodule").side == "right"  # image left = patient's right
    assert panel.banner.isVisible()


# -- signing --------------------------------------------------------------------------------


def test_signing_is_blocked_then_overridden_with_the_reason_recorded(
    qtbot: QtBot, panel: ReportPanel
) -> None:
    drafted = _open_and_draft(qtbot, panel)
    _type(qtbot, panel, Section.FINDINGS, " Small left pleural effusion.")
    qtbot.mouseClick(panel.sign_button, Qt.MouseButton.LeftButton)
    dialogs = panel.findChildren(SigningBlockedDialog)
    assert len(dialogs) == 1
    dialog = dialogs[0]
    assert dialog.isVisible()
    listed = [dialog.blocker_list.item(i).text() for i in range(dialog.blocker_list.count())]
    assert len(listed) == len(drafted.sentences()) + 1
    assert sum(line.startswith("unreviewed template text") for line in listed) == len(
        drafted.sentences()
    )
    assert any(line.startswith("conflict:") and "Effusion" in line for line in listed)
    # No reason, no override.
    assert not dialog.sign_anyway_button.isEnabled()
    qtbot.keyClicks(dialog.reason_edit, "   ")
    assert not dialog.sign_anyway_button.isEnabled()
    dialog.reason_edit.clear()
    qtbot.keyClicks(dialog.reason_edit, "Urgent verbal report given; checked on the image")
    assert dialog.sign_anyway_button.isEnabled()
    with qtbot.waitSignal(panel.report_signed, timeout=WAIT_MS) as blocker:
        qtbot.mouseClick(dialog.sign_anyway_button, Qt.MouseButton.LeftButton)
    signed = blocker.args[0]
    assert signed.state is ReportState.FINAL
    assert signed.signature.signer == SIGNER
    assert signed.signature.override_reason == "Urgent verbal report given; checked on the image"
    assert tuple(listed) == signed.signature.overridden
    label = panel.state_label.text()
    assert label.startswith(f"Final — signed by {SIGNER} at ") and "overridden" in label
    # Final: read-only, nothing to review any more, addendum possible.
    assert panel.editor.isReadOnly()
    assert not panel.sign_button.isEnabled() and panel.addendum_button.isEnabled()
    assert not any(b.isEnabled() for b in panel.mode_buttons.values())
    text = panel.editor_text()
    qtbot.keyClicks(panel.editor, "changed")
    assert panel.editor_text() == text
    _wait_saved(qtbot, panel)
    on_disk = DraftStore().load(UID)
    assert on_disk is not None and on_disk.is_final
    assert on_disk.signature is not None and on_disk.signature.override_reason


def test_a_reviewed_report_signs_at_once(qtbot: QtBot, panel: ReportPanel) -> None:
    _open_and_draft(qtbot, panel)
    qtbot.mouseClick(panel.review_all_button, Qt.MouseButton.LeftButton)
    assert panel.issues == ()
    with qtbot.waitSignal(panel.report_signed, timeout=WAIT_MS) as blocker:
        qtbot.mouseClick(panel.sign_button, Qt.MouseButton.LeftButton)
    assert panel.findChildren(SigningBlockedDialog) == []
    signature = blocker.args[0].signature
    assert signature.override_reason is None and signature.overridden == ()
    assert "overridden" not in panel.state_label.text()


def test_signing_without_a_name_asks_for_the_settings(
    qtbot: QtBot, panel: ReportPanel, settings: Settings
) -> None:
    settings.report_signer = ""
    panel.open_study(_study())
    _type(qtbot, panel, Section.FINDINGS, "Normal chest.")
    with qtbot.waitSignal(panel.settings_requested, timeout=1000):
        qtbot.mouseClick(panel.sign_button, Qt.MouseButton.LeftButton)
    assert "Settings → Reporting" in panel.status_label.text()
    assert panel.report is not None and not panel.report.is_final


def test_an_addendum_on_the_final_report(qtbot: QtBot, panel: ReportPanel) -> None:
    panel.open_study(_study())
    _type(qtbot, panel, Section.FINDINGS, "Normal chest.")
    with qtbot.waitSignal(panel.report_signed, timeout=WAIT_MS):
        qtbot.mouseClick(panel.sign_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(panel.addendum_button, Qt.MouseButton.LeftButton)
    dialog = panel.findChildren(AddendumDialog)[0]
    ok = dialog.buttons.buttons()[0]
    assert not ok.isEnabled()
    qtbot.keyClicks(dialog.text_edit, "Comparison with the prior film: unchanged.")
    with qtbot.waitSignal(panel.report_changed, timeout=WAIT_MS) as blocker:
        dialog.buttons.accepted.emit()
    amended = blocker.args[0]
    assert amended.is_final and len(amended.addenda) == 1
    assert amended.addenda[0].author == SIGNER
    assert amended.section_text(Section.FINDINGS) == "Normal chest."  # the report is unchanged
    assert "ADDENDUM — Dr A. Reader" in panel.editor_text()
    assert "unchanged." in panel.editor_text()
    _wait_saved(qtbot, panel)
    on_disk = DraftStore().load(UID)
    assert on_disk is not None and len(on_disk.addenda) == 1
    # Reopened: final, read-only, still with its addendum.
    panel.close_study()
    panel.open_study(_study())
    assert panel.editor.isReadOnly() and "ADDENDUM" in panel.editor_text()
    assert panel.state_label.text().startswith("Final — signed by")


# -- export ---------------------------------------------------------------------------------


def _export(qtbot: QtBot, panel: ReportPanel, kind: str) -> Path:
    with qtbot.waitSignal(panel.exported, timeout=WAIT_MS) as blocker:
        panel.export_actions[kind].trigger()
    path = Path(blocker.args[0])
    assert path.exists() and path.parent == export_dir()
    assert str(path) in panel.status_label.text()
    return path


def test_exports_text_pdf_with_key_images_and_sr(
    qtbot: QtBot, panel: ReportPanel, tmp_path: Path
) -> None:
    import pydicom

    from core.dicom.records import FileRef
    from core.synthetic import write_cxr
    from desktop.viewer.viewport import Viewport
    from tests.desktop.viewer_helpers import make_header, make_volume

    source = tmp_path / "study" / "cxr.dcm"
    write_cxr(source, np.random.default_rng(9), size=64)
    with qtbot.waitSignal(panel.study_opened, timeout=WAIT_MS):
        panel.open_study_file(FileRef(str(source)))
    study = panel.study
    assert study is not None
    panel.set_context(
        ReportContext(study, findings=_context().findings, models=("demo-cxr 1.0",), analysed=True)
    )
    _draft_with_templates(qtbot, panel)
    report = panel.report
    assert report is not None

    text = _export(qtbot, panel, "text").read_text(encoding="utf-8")
    assert report.sentences(Section.FINDINGS)[0].text in text
    header = pydicom.dcmread(source, stop_before_pixels=True)  # the report names its patient
    assert f"Patient ID: {header.PatientID}\n" in text and "Institution: Synthetic\n" in text

    pdf = _export(qtbot, panel, "pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    plain_size = pdf.stat().st_size

    # Key images: the view as a person sees it, and with the heatmap over it.
    viewport = Viewport()
    qtbot.addWidget(viewport)
    viewport.resize(200, 200)
    viewport.show()
    array = np.random.default_rng(3).integers(0, 3000, size=(1, 64, 64)).astype(np.int16)
    viewport.set_volume(make_volume(array, modality="DX"), make_header(modality="DX"))
    heatmap = np.zeros((64, 64), np.float32)
    heatmap[10:30, 10:30] = 1.0
    viewport.set_heatmap(heatmap, 0.6, frame=0, caption="Nodule 0.91 · Grad-CAM")
    panel.set_viewport(viewport)
    images = panel.key_images()
    assert [image.caption for image in images] == ["Image as viewed", "Nodule 0.91 · Grad-CAM"]
    plain, coloured = (image.pixels for image in images)
    assert plain.shape == coloured.shape == (200, 200, 3) and plain.dtype == np.uint8
    spread = lambda a: (a.max(axis=-1).astype(int) - a.min(axis=-1)).mean()  # noqa: E731
    assert spread(coloured) > spread(plain) + 5  # colour only where the heatmap is
    assert viewport.overlays_visible and viewport.heatmap_visible  # left as they were
    with_images = _export(qtbot, panel, "pdf_images")
    assert with_images.stat().st_size > plain_size + 1000
    assert with_images.name.endswith("_images.pdf") and with_images != pdf  # both kept

    sr_path = _export(qtbot, panel, "sr")
    sr = pydicom.dcmread(sr_path)
    assert sr.Modality == "SR" and sr.StudyInstanceUID == study.study_instance_uid
    assert sr_path.parent != source.parent  # never beside the source


def test_export_of_an_empty_report_says_so(panel: ReportPanel) -> None:
    panel.open_study(_study())
    assert panel.export("text") is None
    assert "no report to export" in panel.status_label.text()


# -- recovery -------------------------------------------------------------------------------


def _leave_an_interrupted_draft(report: Report) -> None:
    """Save ``report`` from another process that then ends without closing the study."""
    code = (
        "import json, sys\n"
        "from core.report.document import Report\n"
        "from core.report.store import DraftStore\n"
        "report = Report.from_json(json.loads(sys.stdin.read()))\n"
        "store = DraftStore()\n"
        "store.begin_editing(report.study_instance_uid)\n"
        "store.save(report)\n"
    )
    import json

    subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(report.to_json()),
        text=True,
        check=True,
        cwd=ROOT,
        timeout=60,
    )


def test_an_interrupted_draft_is_offered_back_restore(qtbot: QtBot, panel: ReportPanel) -> None:
    left = new_report(_context()).with_section_text(Section.FINDINGS, "Typed before the crash.")
    _leave_an_interrupted_draft(left)
    with qtbot.waitSignal(panel.recovery_offered, timeout=WAIT_MS):
        panel.open_study(_study())
    assert panel.recovery_frame.isVisible() and panel.recovery_pending
    assert "Typed before the crash." in panel.editor_text()
    assert panel.editor.isReadOnly()
    assert not panel.mode_buttons["report"].isEnabled() and not panel.sign_button.isEnabled()
    qtbot.mouseClick(panel.restore_button, Qt.MouseButton.LeftButton)
    assert not panel.recovery_frame.isVisible() and not panel.editor.isReadOnly()
    report = _type(qtbot, panel, Section.FINDINGS, " And after it.")
    assert report.section_text(Section.FINDINGS) == "Typed before the crash. And after it."


def test_an_interrupted_draft_is_offered_back_discard(qtbot: QtBot, panel: ReportPanel) -> None:
    left = new_report(_context()).with_section_text(Section.FINDINGS, "Unwanted text.")
    _leave_an_interrupted_draft(left)
    panel.open_study(_study())
    assert panel.recovery_frame.isVisible()
    qtbot.mouseClick(panel.discard_button, Qt.MouseButton.LeftButton)
    assert "Unwanted text." not in panel.editor_text()
    report = panel.report
    assert report is not None and report.is_empty
    _wait_saved(qtbot, panel)
    on_disk = DraftStore().load(UID)
    assert on_disk is not None and on_disk.is_empty


def test_a_study_edited_in_another_running_window_is_read_only_here(
    qtbot: QtBot, panel: ReportPanel
) -> None:
    code = (
        "import sys, time\n"
        "from core.report.store import DraftStore\n"
        f"DraftStore().begin_editing({UID!r})\n"
        "print('locked', flush=True)\n"
        "time.sleep(60)\n"
    )
    other = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    try:
        assert other.stdout is not None and other.stdout.readline().strip() == "locked"
        panel.open_study(_study())
        assert panel.editor.isReadOnly() and not panel.recovery_frame.isVisible()
        assert panel.status_label.text().startswith("Read-only:")
        assert "another RadAssist window" in panel.status_label.text()
        assert not panel.mode_buttons["report"].isEnabled()
    finally:
        other.kill()
        other.wait(10)


def test_a_saved_chinese_draft_reopens_in_chinese(qtbot: QtBot, panel: ReportPanel) -> None:
    saved = new_report(_context(), "zh-CN").with_section_text(Section.FINDINGS, "心影不大。")
    DraftStore().save(saved)
    panel.open_study(_study())
    assert panel.language == "zh-CN" and panel.language_combo.currentText() == "中文"
    assert "影像所见\n心影不大。" in panel.editor_text()
    report = _commit(qtbot, panel, Section.FINDINGS, "未见胸腔积液。")
    assert report.section_text(Section.FINDINGS) == "心影不大。未见胸腔积液。"
    assert [s.origin for s in report.sentences(Section.FINDINGS)] == [Origin.PERSON] * 2


# -- the language model ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_lm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    from tests.core.llm_helpers import make_tiny_causal_lm

    folder = make_tiny_causal_lm(tmp_path_factory.mktemp("lm") / "tiny-report-lm")
    yield folder
    from core.report import llm

    shutdown = getattr(llm, "shutdown_language_model_process", None)
    if shutdown is not None:
        shutdown()


def _use_lm(panel: ReportPanel, settings: Settings, folder: Path, tokens: int) -> None:
    settings.report_model_folder = str(folder)
    settings.report_max_new_tokens = tokens
    panel.set_engine("llm")


def test_the_language_model_streams_into_the_editor(
    qtbot: QtBot, panel: ReportPanel, settings: Settings, tiny_lm: Path
) -> None:
    _open(panel)
    _use_lm(panel, settings, tiny_lm, 40)
    lengths: list[int] = []
    panel.text_streamed.connect(lambda _: lengths.append(len(panel.editor_text())))
    chunks: list[str] = []
    panel.text_streamed.connect(chunks.append)
    shaded: list[str] = []  # the model's text is shaded as unreviewed as it arrives

    def on_streamed(_: str) -> None:
        selections = panel.editor.extraSelections()  # held: its cursors live with the list
        cursor = selections[-1].cursor
        shaded.append(cursor.selectedText())

    panel.text_streamed.connect(on_streamed)
    with qtbot.waitSignal(panel.draft_finished, timeout=120_000) as blocker:
        qtbot.mouseClick(panel.mode_buttons["report"], Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: len(lengths) >= 2, timeout=120_000)
        assert panel.editor.isReadOnly() and panel.stop_button.isEnabled()
    assert len(lengths) >= 5 and lengths == sorted(lengths) and lengths[-1] > lengths[0]
    assert shaded[-1].replace("\u2029", "\n") == "".join(chunks)
    report = blocker.args[0]
    # The model writes findings, impression and recommendations; the other sections
    # are the study records' (the template's wording of them).
    written = tuple(s for section in MODEL_SECTIONS for s in report.sentences(section))
    given = tuple(s for section in GIVEN_SECTIONS for s in report.sentences(section))
    assert written and all(s.origin is Origin.LANGUAGE_MODEL for s in written)
    assert given and all(s.origin is Origin.TEMPLATE for s in given)
    assert {s.source for s in written} == {"tiny-report-lm"}
    assert all(not s.reviewed for s in written)
    assert not panel.editor.isReadOnly() and not panel.stop_button.isEnabled()
    # Unreviewed engine text is shaded: the model's and the template's.
    assert set(panel.highlighted_sentences()) == {s.id for s in (*written, *given)}
    assert "tokens in" in panel.status_label.text()
    assert any(engine.startswith("language_model:") for engine in report.engines)


def test_stop_keeps_what_was_written_and_returns_at_once(
    qtbot: QtBot, panel: ReportPanel, settings: Settings, tiny_lm: Path
) -> None:
    _open(panel)
    _use_lm(panel, settings, tiny_lm, 4000)
    chunks: list[str] = []
    panel.text_streamed.connect(chunks.append)
    handle = panel.draft("report")
    assert handle is not None
    qtbot.waitUntil(lambda: len(chunks) >= 5, timeout=120_000)
    # Stop hands back what was written in the click itself, without waiting for the
    # model to notice (no event-loop turn, no job to finish: not a matter of timing).
    finished: list[Any] = []
    panel.draft_finished.connect(finished.append)
    qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    assert len(finished) == 1
    assert not panel.is_drafting and not panel.editor.isReadOnly()
    report = finished[0]
    written = tuple(s for section in MODEL_SECTIONS for s in report.sentences(section))
    assert written and all(s.origin is Origin.LANGUAGE_MODEL for s in written)
    assert "Stopped" in panel.status_label.text()
    assert handle.wait(10.0)  # the job ends promptly too
    assert len(chunks) < 1000  # far from the 4000 tokens asked for


def test_the_language_model_writes_the_impression_and_rewrites_a_selection(
    qtbot: QtBot, panel: ReportPanel, settings: Settings, tiny_lm: Path
) -> None:
    drafted = _open_and_draft(qtbot, panel)
    _use_lm(panel, settings, tiny_lm, 16)
    with qtbot.waitSignal(panel.draft_finished, timeout=120_000) as blocker:
        qtbot.mouseClick(panel.mode_buttons["impression"], Qt.MouseButton.LeftButton)
    report = blocker.args[0]
    assert report.sentences(Section.FINDINGS) == drafted.sentences(Section.FINDINGS)
    impression = report.sentences(Section.IMPRESSION)
    assert impression and all(s.origin is Origin.LANGUAGE_MODEL for s in impression)

    findings = report.sentences(Section.FINDINGS)
    target = findings[0]
    start, end = panel.sentence_span(target.id)
    _select(panel, start + 2, end - 2)  # part of one sentence: the sentence is rewritten
    with qtbot.waitSignal(panel.draft_finished, timeout=120_000) as blocker:
        qtbot.mouseClick(panel.mode_buttons["rewrite"], Qt.MouseButton.LeftButton)
    rewritten = blocker.args[0].sentences(Section.FINDINGS)
    assert target.id not in {s.id for s in rewritten}
    assert rewritten[0].origin is Origin.LANGUAGE_MODEL
    assert [s.id for s in rewritten if s.origin is Origin.TEMPLATE] == [s.id for s in findings[1:]]


def test_rewrite_without_a_selection_says_what_to_do(
    panel: ReportPanel, settings: Settings, tiny_lm: Path
) -> None:
    panel.open_study(_study())
    _use_lm(panel, settings, tiny_lm, 16)
    assert panel.draft("rewrite") is None
    assert "Select the sentences" in panel.status_label.text()


def test_language_model_errors_are_shown_in_the_panel(
    qtbot: QtBot, panel: ReportPanel, settings: Settings, tmp_path: Path
) -> None:
    from tests.core.llm_helpers import make_pickle_only_model

    panel.open_study(_study())
    settings.report_model_folder = ""
    panel.set_engine("llm")
    with qtbot.waitSignal(panel.settings_requested, timeout=1000):
        assert panel.draft("report") is None
    assert "Settings → Reporting" in panel.status_label.text()

    missing = tmp_path / "no-such-model"
    settings.report_model_folder = str(missing)
    with qtbot.waitSignal(panel.draft_failed, timeout=WAIT_MS) as blocker:
        panel.draft("report")
    assert str(missing) in blocker.args[0] or missing.name in blocker.args[0]
    assert panel.status_label.text().startswith("The language model could not write:")
    assert not panel.is_drafting and not panel.editor.isReadOnly()
    # The editor as it was.
    assert [line for line in panel.editor_text().split("\n") if line] == HEADINGS["en"]

    pickle_only = make_pickle_only_model(tmp_path / "pickle-lm")
    settings.report_model_folder = str(pickle_only)
    with qtbot.waitSignal(panel.draft_failed, timeout=WAIT_MS) as blocker:
        panel.draft("report")
    assert "safetensors" in blocker.args[0] or "pickle" in blocker.args[0]


# -- settings -------------------------------------------------------------------------------


def test_reporting_settings_dialog_saves_and_checks_the_model_folder(
    qtbot: QtBot, settings: Settings, tmp_path: Path, tiny_lm: Path
) -> None:
    from tests.core.llm_helpers import make_corrupt_config_model

    dialog = ReportingSettingsDialog(settings)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.signer_edit.text() == SIGNER
    assert dialog.length_spin.value() == 512 and dialog.temperature_spin.value() == 0.0
    dialog.signer_edit.setText("Dr B. Second")
    dialog.model_edit.setText(str(tiny_lm))
    handle = dialog.check_model_folder()
    assert handle is not None and handle.wait(10.0)
    assert dialog.model_status.text().startswith("Usable: tiny-report-lm, ")
    assert "chat template" in dialog.model_status.text()
    corrupt = make_corrupt_config_model(tmp_path / "corrupt-lm")
    dialog.model_edit.setText(str(corrupt))
    handle = dialog.check_model_folder()
    assert handle is not None and handle.wait(10.0)
    assert "config" in dialog.model_status.text().lower()
    dialog.length_spin.setValue(256)
    dialog.temperature_spin.setValue(0.7)
    dialog.language_combo.setCurrentIndex(1)
    with qtbot.waitSignal(dialog.settings_saved, timeout=1000):
        dialog.buttons.accepted.emit()
    again = Settings(settings.file_name)
    assert again.report_signer == "Dr B. Second"
    assert again.report_model_folder == str(corrupt)
    assert again.report_max_new_tokens == 256
    assert again.report_temperature == pytest.approx(0.7)
    assert again.report_language == "zh-CN"


def test_settings_defaults_and_bad_values(tmp_path: Path) -> None:
    settings = Settings(tmp_path / "r.ini")
    assert settings.report_signer == "" and settings.report_model_folder == ""
    assert settings.report_max_new_tokens == 512 and settings.report_temperature == 0.0
    assert settings.report_language == "en" and settings.report_engine == "template"
    with pytest.raises(ValueError):
        settings.report_language = "fr"
    with pytest.raises(ValueError):
        settings.report_temperature = 5.0
    settings.set_value("reporting/max_new_tokens", "lots")
    assert settings.report_max_new_tokens == 512


# -- in the main window ---------------------------------------------------------------------


def test_the_window_opens_the_report_of_the_study_and_feeds_it_findings(
    qtbot: QtBot, tmp_path: Path
) -> None:
    from core.analysis.inference import Finding, Verdict
    from core.synthetic import write_cxr
    from desktop.main_window import MainWindow

    path = tmp_path / "cxr" / "0001.dcm"
    write_cxr(path, np.random.default_rng(12), size=96)
    settings = Settings(tmp_path / "w.ini")
    window = MainWindow(settings)
    qtbot.addWidget(window)
    window.resize(1200, 800)
    window.show()
    assert window.dockWidgetArea(window.report_dock) == Qt.DockWidgetArea.RightDockWidgetArea
    assert window.report_dock in window.tabifiedDockWidgets(window.ai_dock)
    panel = window.report_panel
    with qtbot.waitSignal(panel.study_opened, timeout=WAIT_MS):
        window.open_path(path)
    qtbot.waitUntil(lambda: not window.is_busy, timeout=WAIT_MS)
    assert window.index is not None
    instance = window.index.all_series()[0].instances[0]
    assert panel.study is not None and panel.study.modality in ("DX", "CR")
    result = _demo_result(
        Finding("Effusion", 0.8, 0.3, Verdict.POSITIVE),
        model_sha256="cd" * 32,
        sop_instance_uid=instance.sop_instance_uid,
        image_shape=(96, 96),
    )
    with qtbot.waitSignal(panel.report_changed, timeout=WAIT_MS) as blocker:
        window.ai_panel.analysis_finished.emit(result)
    assert blocker.args[0].context.finding("Effusion").verdict == "positive"

    # Report → Draft Report shows the panel and drafts; Settings → Reporting opens.
    with qtbot.waitSignal(panel.draft_finished, timeout=WAIT_MS):
        window.draft_report_action.trigger()
    assert window.report_dock.isVisible() and not panel.report.is_empty
    entries = window.shortcut_entries()
    assert ("Report", "Ctrl+Shift+D", "Draft Report") in entries
    assert ("Report", "Ctrl+Shift+G", "Sign Report") in entries
    window.reporting_action.trigger()
    assert any(isinstance(d, ReportingSettingsDialog) for d in window._dialogs)
    assert window.show_reporting_settings() is window.show_reporting_settings()
    # Closing the study saves the draft and ends the editing session.
    window.close_study()
    assert panel.study is None
    saved = DraftStore().load(blocker.args[0].study_instance_uid)
    assert saved is not None and not saved.is_empty
    assert not DraftStore().interrupted(blocker.args[0].study_instance_uid)
