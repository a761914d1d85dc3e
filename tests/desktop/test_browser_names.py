"""Patient names in the browser as a person reads them: ideographic first, alphabetic beside.

Also writes the screenshot test-artifacts/screenshots/cjk-name-browser.png.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from core.dicom.index import scan
from desktop.browser.study_browser import COL_NAME, StudyBrowser
from tests.core.test_index import make_image, write
from tests.core.test_person_name import GB2312_NAME, _charset_file

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture
def named_folder(tmp_path: Path) -> Path:
    """Three patients whose names were written in GB2312, ISO 2022 JIS and UTF-8."""
    h31 = _charset_file("chrH31.dcm")
    names = [
        ("P1", GB2312_NAME, ["", "ISO 2022 IR 58"]),
        ("P2", h31.PatientName.original_string, list(h31.SpecificCharacterSet)),
        ("P3", "Wang^XiaoDong=王^小东".encode(), ["ISO_IR 192"]),
    ]
    for number, (patient_id, raw, charsets) in enumerate(names, start=1):
        ds = make_image(
            study=f"1.2.826.0.1.3680043.8.498.60{number}",
            series=f"1.2.826.0.1.3680043.8.498.61{number}",
            SpecificCharacterSet=charsets,
            PatientID=patient_id,
            StudyDescription="CT CHEST",
        )
        ds.PatientName = raw
        write(ds, tmp_path / f"{patient_id}.dcm")
    return tmp_path


def test_browser_shows_ideographic_names_without_escape_sequences(
    qtbot: QtBot, named_folder: Path
) -> None:
    browser = StudyBrowser(thumbnail_size=48)
    qtbot.addWidget(browser)
    browser.resize(620, 260)
    browser.show()
    browser.set_index(scan(named_folder))
    tree = browser.tree
    rows = {}
    for i in range(tree.topLevelItemCount()):
        item = tree.topLevelItem(i)
        rows[item.text(COL_NAME).split(" · ID ")[0]] = item
    assert set(rows) == {
        "张小东 (Zhang, XiaoDong)",  # was "Zhang, XiaoDong" with the GB2312 part dropped
        "山田太郎 (Yamada, Tarou)",
        "王小东 (Wang, XiaoDong)",
    }
    for label, item in rows.items():
        assert "\x1b" not in item.text(COL_NAME) and "\x1b" not in item.toolTip(COL_NAME)
        assert item.toolTip(COL_NAME).startswith(label)
        item.setExpanded(False)
    qtbot.waitUntil(lambda: not browser.thumbnails_running, timeout=15000)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    assert browser.grab().save(str(ARTIFACTS / "cjk-name-browser.png"))
