"""Priors in the window: a relevant earlier study is offered, and Compare shows it beside.

Two CT chest studies of one patient in a real archive; the later one is opened from the
study list. The banner names the prior; Compare loads its series into the second
viewport and says how the two scroll together.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydicom.uid import generate_uid

from core.archive import Archive, default_archive_dir
from desktop.main_window import MainWindow
from desktop.settings import Settings
from tests.core.archive.helpers import tiny_image

TIMEOUT_MS = 20_000
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def _store_study(archive: Archive, date: str, frame_of_reference: str, slices: int) -> str:
    study, series = generate_uid(), generate_uid()
    for number in range(slices):
        ds = tiny_image(
            study,
            series,
            patient_name="PRIOR^PETRA",
            patient_id="PRI001",
            study_date=date,
            accession=f"A{date}",
        )
        ds.InstanceNumber = number + 1
        ds.ImagePositionPatient = [0.0, 0.0, float(number)]
        ds.FrameOfReferenceUID = frame_of_reference
        ds.BodyPartExamined = "CHEST"
        archive.accept(ds, source="test")
    return study


@pytest.fixture
def window(qtbot: Any) -> Iterator[MainWindow]:
    win = MainWindow(Settings())
    qtbot.addWidget(win)
    win.resize(1100, 700)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.cancel_import()
    win.archive_part.shutdown()


def _open_current(qtbot: Any, window: MainWindow, uid: str) -> Any:
    part = window.archive_part
    with qtbot.waitSignal(part.panel.rows_shown, timeout=TIMEOUT_MS):
        part.show_study_list()
    with qtbot.waitSignal(window.series_loaded, timeout=TIMEOUT_MS):
        part.open_study(uid)
    qtbot.waitUntil(lambda: part.priors.banner is not None, timeout=TIMEOUT_MS)
    return part.priors.banner


def test_a_prior_with_the_same_frame_of_reference_scrolls_in_step(
    qtbot: Any, window: MainWindow
) -> None:
    shared = generate_uid()
    with Archive(default_archive_dir()) as archive:
        _store_study(archive, "20230302", shared, 5)
        current = _store_study(archive, "20240410", shared, 5)
    banner = _open_current(qtbot, window, current)
    assert banner.label.text() == "Prior: CT 2023-03-02 CT CHEST"
    assert banner.isVisible()
    with qtbot.waitSignal(window.first_image_shown, timeout=TIMEOUT_MS):
        banner.compare_button.click()
    qtbot.waitUntil(lambda: "Scrolling in step" in banner.sync_label.text(), timeout=TIMEOUT_MS)
    assert window.current_layout == (1, 2)
    left, right = window.grid.viewports
    assert left.volume is not None and right.volume is not None
    assert left.volume is not right.volume
    assert window.sync_action.isChecked()
    assert not banner.sync_check.isVisible()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    assert window.grab().save(str(ARTIFACTS / "prior-compare.png"))


def test_a_prior_without_a_shared_frame_of_reference_scrolls_together_when_asked(
    qtbot: Any, window: MainWindow
) -> None:
    with Archive(default_archive_dir()) as archive:
        _store_study(archive, "20230302", generate_uid(), 9)
        current = _store_study(archive, "20240410", generate_uid(), 5)
    banner = _open_current(qtbot, window, current)
    with qtbot.waitSignal(window.first_image_shown, timeout=TIMEOUT_MS):
        banner.compare_button.click()
    qtbot.waitUntil(lambda: banner.sync_check.isVisible(), timeout=TIMEOUT_MS)
    assert "Different frames of reference" in banner.sync_label.text()
    left, right = window.grid.viewports
    qtbot.waitUntil(lambda: right.frame_count == 9, timeout=TIMEOUT_MS)
    before = right.frame_index
    left.set_frame(4)  # not linked yet: the prior stays where it is
    assert right.frame_index == before
    banner.sync_check.setChecked(True)
    assert "linked by stack position" in banner.sync_label.text()
    window.grid.set_active_viewport(left)
    left.set_frame(0)
    left.set_frame(4)  # the last of 5: the prior goes to its last of 9
    assert right.frame_index == 8
    left.set_frame(2)
    assert right.frame_index == 4


def test_the_report_of_a_study_opened_from_the_archive_compares_with_its_prior(
    qtbot: Any, window: MainWindow
) -> None:
    from core.report.document import Section

    with Archive(default_archive_dir()) as archive:
        _store_study(archive, "20230302", generate_uid(), 3)
        current = _store_study(archive, "20240410", generate_uid(), 3)
    _open_current(qtbot, window, current)
    panel = window.report_panel

    def comparison() -> str:
        report = panel.report
        return "" if report is None else report.section_text(Section.COMPARISON)

    qtbot.waitUntil(lambda: panel.report is not None, timeout=TIMEOUT_MS)
    with qtbot.waitSignal(panel.draft_finished, timeout=TIMEOUT_MS):
        panel.draft("report")  # the template engine, as a fresh install drafts
    assert comparison() == "CT Chest 2023-03-02."
    assert "None available." not in comparison()
