"""The study browser: tree text, thumbnails, sections, activation, drag, tags menu."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from pydicom.data import get_testdata_file
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QTreeWidgetItem
from pytestqt.qtbot import QtBot

from core.dicom.index import scan
from core.dicom.records import FileRef, SeriesRecord, StudyIndex
from core.synthetic import (
    SyntheticStudy,
    make_study_context,
    write_ct_series,
    write_cxr,
    write_synthetic,
)
from desktop.browser.study_browser import (
    COL_IMAGES,
    COL_MODALITY,
    COL_NAME,
    COL_NOTES,
    SERIES_MIME_TYPE,
    StudyBrowser,
    format_date,
    format_person_name,
)
from tests.core.test_index import make_image, write


class Study:
    def __init__(self, root: Path, context: SyntheticStudy) -> None:
        self.root = root
        self.context = context


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Study:
    """A CT + DX study of one patient, a broken set, an SR, and two odd series."""
    root = tmp_path_factory.mktemp("browser")
    rng = np.random.default_rng(21)
    context = make_study_context(rng, description="CHEST CT AND RADIOGRAPH")
    write_ct_series(root / "ct", rng, slices=12, size=64, study=context, series_number=1)
    write_cxr(root / "cxr" / "1.dcm", rng, size=128, study=context, series_number=2)
    write_synthetic(root / "more", "broken")
    (root / "sr").mkdir()
    shutil.copy(get_testdata_file("test-SR.dcm", download=False), root / "sr" / "test-SR.dcm")
    # A stack with a gap (positions 0, 5, 20 mm) and a series of two image sizes (split).
    odd = {"study": "1.2.826.0.1.3680043.8.498.77", "PatientName": "ODD^CASES"}
    for n, z in enumerate((0.0, 5.0, 20.0), start=1):
        write(
            make_image(
                series="1.2.826.0.1.3680043.8.498.78",
                position=(0, 0, z),
                instance_number=n,
                series_number=5,
                SeriesDescription="GAPPY",
                **odd,
            ),
            root / "odd" / f"gap{n}.dcm",
        )
    for n, size in enumerate((8, 8, 16, 16), start=1):
        write(
            make_image(
                series="1.2.826.0.1.3680043.8.498.79",
                rows=size,
                columns=size,
                position=(0, 0, float(n)),
                instance_number=n,
                series_number=6,
                SeriesDescription="TWO SIZES",
                **odd,
            ),
            root / "odd" / f"size{n}.dcm",
        )
    return Study(root, context)


@pytest.fixture
def index(study: Study) -> StudyIndex:
    return scan(study.root)


@pytest.fixture
def browser(qtbot: QtBot) -> StudyBrowser:
    widget = StudyBrowser(thumbnail_size=48)
    qtbot.addWidget(widget)
    widget.resize(700, 600)
    widget.show()
    return widget


def _top_texts(browser: StudyBrowser) -> list[str]:
    tree = browser.tree
    return [tree.topLevelItem(i).text(COL_NAME) for i in range(tree.topLevelItemCount())]


def _top(browser: StudyBrowser, prefix: str) -> QTreeWidgetItem:
    tree = browser.tree
    for i in range(tree.topLevelItemCount()):
        if tree.topLevelItem(i).text(COL_NAME).startswith(prefix):
            return tree.topLevelItem(i)
    raise AssertionError(f"no top-level row starting with {prefix!r}: {_top_texts(browser)}")


def _children(item: QTreeWidgetItem) -> list[QTreeWidgetItem]:
    return [item.child(i) for i in range(item.childCount())]


def _series_by_description(index: StudyIndex, description: str) -> SeriesRecord:
    return next(s for s in index.all_series() if s.description == description)


def _wait_for_thumbnails(qtbot: QtBot, browser: StudyBrowser, index: StudyIndex) -> None:
    keys = [s.key for s in index.all_series()]
    qtbot.waitUntil(
        lambda: all(browser.has_thumbnail(k) or browser.thumbnail_failure(k) for k in keys),
        timeout=15000,
    )
    qtbot.waitUntil(lambda: not browser.thumbnails_running, timeout=5000)


def test_tree_shows_patient_study_series_with_counts(
    qtbot: QtBot, browser: StudyBrowser, index: StudyIndex, study: Study
) -> None:
    browser.set_index(index)
    ctx = study.context
    patient_label = format_person_name(ctx.patient_name)
    patient = _top(browser, patient_label)
    born = format_date(ctx.patient_birth_date)
    assert patient.text(COL_NAME) == (
        f"{patient_label} · ID {ctx.patient_id}, {ctx.patient_sex}, born {born}"
    )
    assert patient.text(COL_MODALITY) == "CT/DX"
    assert patient.text(COL_IMAGES) == "13"
    (study_item,) = _children(patient)
    assert study_item.text(COL_NAME) == f"{format_date(ctx.study_date)}  CHEST CT AND RADIOGRAPH"
    assert study_item.text(COL_IMAGES) == "13"
    assert study_item.text(COL_NOTES) == "2 series"
    ct, dx = _children(study_item)
    assert ct.text(COL_NAME).startswith("1: ")
    assert (ct.text(COL_MODALITY), ct.text(COL_IMAGES)) == ("CT", "12")
    assert dx.text(COL_NAME).startswith("2: ")
    assert (dx.text(COL_MODALITY), dx.text(COL_IMAGES)) == ("DX", "1")
    assert patient.isExpanded() and study_item.isExpanded()
    # The record travels with the row.
    record = ct.data(COL_NAME, Qt.ItemDataRole.UserRole + 1)
    assert isinstance(record, SeriesRecord) and record.frame_count == 12
    assert browser.series_item(record.key) is ct
    _wait_for_thumbnails(qtbot, browser, index)


def test_name_and_date_formatting() -> None:
    assert format_person_name("DOE^JANE^M") == "DOE, JANE M"
    assert format_person_name("DOE") == "DOE"
    assert format_person_name("") == "(no name)"
    assert format_date("20240131") == "2024-01-31"
    assert format_date("2024") == "2024"


def test_thumbnails_arrive_in_the_background(
    qtbot: QtBot, browser: StudyBrowser, index: StudyIndex
) -> None:
    with qtbot.waitSignal(browser.thumbnails_finished, timeout=20000):
        browser.set_index(index)
        # The tree is there at once; thumbnails come later.
        assert browser.tree.topLevelItemCount() > 0
    ct = next(s for s in index.all_series() if s.modality == "CT" and s.frame_count == 12)
    assert browser.has_thumbnail(ct.key)
    icon = browser.series_item(ct.key).icon(COL_NAME)  # type: ignore[union-attr]
    image = icon.pixmap(48, 48).toImage().convertToFormat(QImage.Format.Format_Grayscale8)
    assert (image.width(), image.height()) == (48, 48)
    centre = np.mean([image.pixelColor(x, y).value() for x in range(20, 28) for y in range(20, 28)])
    corner = np.mean([image.pixelColor(x, y).value() for x in range(0, 3) for y in range(0, 3)])
    assert corner < 15  # air outside the phantom is black
    assert centre > corner + 30  # the body in the middle is not


def test_geometry_problems_and_split_reason_are_flagged(
    qtbot: QtBot, browser: StudyBrowser, index: StudyIndex
) -> None:
    browser.set_index(index)
    _wait_for_thumbnails(qtbot, browser, index)
    gappy = browser.series_item(_series_by_description(index, "GAPPY").key)
    assert gappy is not None
    assert "gap" in gappy.text(COL_NOTES) or "spacing" in gappy.text(COL_NOTES)
    assert "Geometry (" in gappy.toolTip(COL_NAME)
    assert not gappy.icon(COL_NOTES).isNull()
    parts = [s for s in index.all_series() if s.description == "TWO SIZES"]
    assert len(parts) == 2
    for part in parts:
        item = browser.series_item(part.key)
        assert item is not None and part.split_reason
        assert item.text(COL_NOTES).startswith(f"split: {part.split_reason}")
        assert "Split: " in item.toolTip(COL_NAME)


def test_other_objects_and_unreadable_sections(browser: StudyBrowser, index: StudyIndex) -> None:
    browser.set_index(index)
    others = _top(browser, "Other objects")
    assert others.text(COL_NAME) == "Other objects (1)"
    (sr,) = _children(others)
    assert sr.text(COL_NAME) == "Structured report (sr/test-SR.dcm)"
    assert sr.text(COL_MODALITY) == "SR"
    assert sr.text(COL_NOTES) == "Comprehensive SR Storage"

    bad = _top(browser, "Unreadable files")
    assert bad.text(COL_NAME) == f"Unreadable files ({len(index.unreadable)})"
    rows = {item.text(COL_NAME): item.text(COL_NOTES) for item in _children(bad)}
    expected = {str(Path(u.ref.path).relative_to(index.root)): u.reason for u in index.unreadable}
    assert rows == expected
    truncated = next(k for k in rows if k.endswith("truncated_pixels.dcm"))
    assert "truncated" in rows[truncated]
    # Sections sit after the patients and cannot be dragged or activated.
    assert _top_texts(browser)[-3:-1] == [others.text(COL_NAME), bad.text(COL_NAME)]
    assert not bad.flags() & Qt.ItemFlag.ItemIsDragEnabled


def test_double_click_and_enter_activate_a_series(
    qtbot: QtBot, browser: StudyBrowser, index: StudyIndex
) -> None:
    browser.set_index(index)
    ct = next(s for s in index.all_series() if s.modality == "CT" and s.frame_count == 12)
    item = browser.series_item(ct.key)
    assert item is not None
    browser.tree.scrollToItem(item)
    rect = browser.tree.visualItemRect(item)
    viewport = browser.tree.viewport()
    with qtbot.waitSignal(browser.series_activated, timeout=2000) as blocker:
        # A real double-click is press, release, double-click, release on the same row.
        qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(viewport, Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args == [ct]

    dx = next(s for s in index.all_series() if s.modality == "DX")
    assert browser.select_series(dx.key)
    browser.tree.setFocus()
    with qtbot.waitSignal(browser.series_activated, timeout=2000) as blocker:
        qtbot.keyClick(browser.tree, Qt.Key.Key_Return)
    assert blocker.args == [dx]
    assert browser.selected_series() == dx

    # Activating a patient row or a section row emits nothing.
    with qtbot.assertNotEmitted(browser.series_activated):
        browser.tree.setCurrentItem(_top(browser, "Unreadable files"))
        qtbot.keyClick(browser.tree, Qt.Key.Key_Return)


def test_dragging_a_series_gives_its_key(browser: StudyBrowser, index: StudyIndex) -> None:
    browser.set_index(index)
    ct = next(s for s in index.all_series() if s.modality == "CT" and s.frame_count == 12)
    item = browser.series_item(ct.key)
    assert item is not None
    assert item.flags() & Qt.ItemFlag.ItemIsDragEnabled
    model = browser.tree.model()
    model_index = browser.tree.indexFromItem(item)
    assert SERIES_MIME_TYPE in model.mimeTypes()
    data = model.mimeData([model_index])  # what QAbstractItemView.startDrag sends
    assert data.hasFormat(SERIES_MIME_TYPE)
    assert bytes(data.data(SERIES_MIME_TYPE).data()).decode("utf-8") == ct.key
    patient_index = browser.tree.indexFromItem(item.parent().parent())
    assert not model.flags(patient_index) & Qt.ItemFlag.ItemIsDragEnabled
    assert not model.mimeData([patient_index]).hasFormat(SERIES_MIME_TYPE)


def test_show_tags_from_context_menu(
    qtbot: QtBot, browser: StudyBrowser, index: StudyIndex
) -> None:
    browser.set_index(index)
    ct = next(s for s in index.all_series() if s.modality == "CT" and s.frame_count == 12)
    menu = browser.context_menu_for(browser.series_item(ct.key))
    assert menu is not None
    actions = {a.text(): a for a in menu.actions()}
    assert set(actions) == {"Open series", "Show DICOM tags"}
    with qtbot.waitSignal(browser.tags_requested) as blocker:
        actions["Show DICOM tags"].trigger()
    assert blocker.args == [ct.instances[0].ref]
    assert isinstance(blocker.args[0], FileRef)
    with qtbot.waitSignal(browser.series_activated) as opened:
        actions["Open series"].trigger()
    assert opened.args == [ct]

    (sr,) = _children(_top(browser, "Other objects"))
    sr_menu = browser.context_menu_for(sr)
    assert sr_menu is not None
    with qtbot.waitSignal(browser.tags_requested) as blocker:
        next(a for a in sr_menu.actions() if a.text() == "Show DICOM tags").trigger()
    assert blocker.args[0].path.endswith("test-SR.dcm")
    assert browser.context_menu_for(_top(browser, "Other objects")) is None
    assert browser.context_menu_for(None) is None


def test_set_index_cancels_the_running_thumbnail_job(
    qtbot: QtBot, browser: StudyBrowser, index: StudyIndex
) -> None:
    browser.set_index(index)
    first = browser._thumbnail_slot.handle
    assert first is not None and first.is_running
    single = StudyIndex(index.root, index.patients[:1], (), ())
    browser.set_index(single)
    assert first.cancelled
    assert browser.tree.topLevelItemCount() == 1
    _wait_for_thumbnails(qtbot, browser, single)
    # Nothing from the first job landed in the new tree.
    shown = set(browser._thumbnails)
    assert shown <= {s.key for s in single.all_series()}

    browser.set_index(index)
    second = browser._thumbnail_slot.handle
    browser.clear()
    assert second.cancelled
    assert browser.tree.topLevelItemCount() == 0
    assert browser.index is None


def test_failed_thumbnail_shows_a_warning_with_the_reason(
    qtbot: QtBot, browser: StudyBrowser, study: Study, tmp_path: Path
) -> None:
    shutil.copytree(study.root / "cxr", tmp_path / "cxr")
    index = scan(tmp_path)
    (series,) = index.all_series()
    path = Path(series.instances[0].ref.path)
    path.write_bytes(path.read_bytes()[:-3000])  # pixels cut short after indexing
    browser.set_index(index)
    _wait_for_thumbnails(qtbot, browser, index)
    reason = browser.thumbnail_failure(series.key)
    assert reason is not None and "bytes" in reason
    item = browser.series_item(series.key)
    assert item is not None
    assert f"No thumbnail: {reason}" in item.toolTip(COL_NAME)
    assert not browser.has_thumbnail(series.key)


def test_arguments_are_checked(qtbot: QtBot) -> None:
    with pytest.raises(ValueError):
        StudyBrowser(thumbnail_size=4)
    widget = StudyBrowser()
    qtbot.addWidget(widget)
    with pytest.raises(TypeError, match="StudyIndex"):
        widget.set_index("not an index")  # type: ignore[arg-type]
    assert widget.selected_series() is None
    assert not widget.select_series("nope")


def test_files_that_are_not_dicom_are_listed_with_why(
    browser: StudyBrowser, tmp_path: Path
) -> None:
    root = tmp_path / "cd"
    write_cxr(root / "IMAGES" / "IM1", np.random.default_rng(3), size=64)
    # A patient CD carries its own viewer, an autorun file and a readme beside the images.
    (root / "AUTORUN.INF").write_text("[autorun]\nopen=viewer.exe\n")
    (root / "README.TXT").write_text("Images of the examination.\n")
    (root / "EMPTY").write_bytes(b"")
    index = scan(root)
    browser.set_index(index)
    section = _top(browser, "Skipped files")
    assert section.text(COL_NAME) == "Skipped files (3)" and not section.isExpanded()
    rows = {item.text(COL_NAME): item.text(COL_NOTES) for item in _children(section)}
    assert rows == {
        "AUTORUN.INF": "not DICOM: no DICM prefix and no DICOM element at the start",
        "EMPTY": "not DICOM: an empty file",
        "README.TXT": "not DICOM: no DICM prefix and no DICOM element at the start",
    }
    assert _top_texts(browser)[-1] == "Skipped files (3)"
    assert not section.child(0).flags() & Qt.ItemFlag.ItemIsDragEnabled
