"""Priors from the PACS in the window, against a real Orthanc.

The patient's earlier CT is stored into Orthanc by our C-STORE; the later one is in the
archive and is opened from the study list. With Orthanc configured as the query node
(Settings → DICOM Nodes), the banner says the prior is on the PACS; its button retrieves
it into the archive (progress, Cancel), shows it beside the current study, and the
report's Comparison names it. A PACS that is stopped never costs the archive's prior,
and a retrieval that fails says so in the banner, which stays usable.
"""

from __future__ import annotations

import dataclasses
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest
from pydicom.uid import generate_uid
from PySide6.QtCore import QElapsedTimer, QTimer
from PySide6.QtWidgets import QApplication, QDialog

from core.archive import Archive, StudyNotFoundError, default_archive_dir
from core.jobs import run_job
from core.pacs import DimseNode, LocalNode, NodeBook, save_nodes, send
from core.report.document import Section
from core.synthetic import SyntheticStudy, make_study_context, write_ct_series
from desktop.main_window import MainWindow
from desktop.settings import Settings
from tests.core.pacs.orthanc import (  # noqa: F401 - the fixtures
    ORTHANC_AET,
    OUR_AET,
    Orthanc,
    orthanc,
    own_orthanc,
    stop_orthanc,
)

TIMEOUT_MS = 30_000
PRIOR_SLICES = 6
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def _configure(server: Orthanc) -> DimseNode:
    """Our AE and Orthanc as the query/retrieve node, in this test's nodes file."""
    node = DimseNode(
        "hospital-pacs", ORTHANC_AET, "127.0.0.1", server.dicom_port, usage="query", timeout_s=10
    )
    local = LocalNode(OUR_AET, server.our_port, bind_address="127.0.0.1")
    save_nodes(NodeBook(local, (node,)))
    return node


def _patient(seed: int) -> tuple[SyntheticStudy, SyntheticStudy]:
    """One patient's prior (2024-03-01) and current (2025-01-15) chest CTs."""
    prior = make_study_context(np.random.default_rng(seed), description="CHEST CT")
    prior = dataclasses.replace(prior, study_date="20240301", accession_number=f"P{seed}")
    current = dataclasses.replace(
        prior, study_uid=generate_uid(), study_date="20250115", accession_number=f"C{seed}"
    )
    return prior, current


def _write(folder: Path, study: SyntheticStudy, slices: int, seed: int) -> list[Path]:
    rng = np.random.default_rng(seed)
    return write_ct_series(folder, rng, slices=slices, size=64, study=study)


def _to_pacs(server: Orthanc, files: list[Path]) -> None:
    node = DimseNode("o", ORTHANC_AET, "127.0.0.1", server.dicom_port, timeout_s=10)
    statuses = send(node, files, local=LocalNode(OUR_AET, server.our_port))
    assert [s.message for s in statuses if not s.ok] == []


def _to_archive(folder: Path) -> None:
    with Archive(default_archive_dir()) as archive:
        run_job(archive.import_folder(folder))


@pytest.fixture
def window(qtbot: Any) -> Iterator[MainWindow]:
    win = MainWindow(Settings())
    qtbot.addWidget(win)
    win.resize(1200, 760)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.cancel_import()
    win.archive_part.shutdown()


def _open(qtbot: Any, window: MainWindow, study_uid: str) -> None:
    part = window.archive_part
    with qtbot.waitSignal(part.panel.rows_shown, timeout=TIMEOUT_MS):
        part.show_study_list()
    with qtbot.waitSignal(window.series_loaded, timeout=TIMEOUT_MS):
        part.open_study(study_uid)


def _comparison(qtbot: Any, window: MainWindow) -> str:
    panel = window.report_panel
    qtbot.waitUntil(lambda: panel.report is not None, timeout=TIMEOUT_MS)
    with qtbot.waitSignal(panel.draft_finished, timeout=TIMEOUT_MS):
        panel.draft("report")  # the template engine, as a fresh install drafts
    report = panel.report
    assert report is not None
    return report.section_text(Section.COMPARISON)


def _visible_dialogs() -> list[str]:
    return [
        w.windowTitle()
        for w in QApplication.topLevelWidgets()
        if w.isVisible() and isinstance(w, QDialog)
    ]


def test_a_prior_only_on_the_pacs_is_retrieved_shown_beside_and_named_in_the_report(
    qtbot: Any,
    window: MainWindow,
    orthanc: Orthanc,  # noqa: F811 - the fixture imported above
    tmp_path: Path,
) -> None:
    _configure(orthanc)
    prior, current = _patient(1301)
    _to_pacs(orthanc, _write(tmp_path / "prior", prior, PRIOR_SLICES, 1))
    _write(tmp_path / "current", current, 4, 2)
    _to_archive(tmp_path / "current")
    prior_uid = str(pydicom.dcmread(next((tmp_path / "prior").iterdir())).StudyInstanceUID)

    _open(qtbot, window, current.study_uid)
    offer = window.archive_part.priors
    qtbot.waitUntil(
        lambda: offer.banner is not None and offer.pacs_node is not None, timeout=TIMEOUT_MS
    )
    banner = offer.banner
    assert banner is not None and banner.isVisible()
    assert banner.label.text() == "Prior on PACS: CT 2024-03-01 CHEST CT"
    assert banner.compare_button.text() == "Retrieve and compare"
    archive = window.archive_part.keeper.archive
    assert archive is not None
    with pytest.raises(StudyNotFoundError):
        archive.study(prior_uid)  # not in the archive yet
    assert "None available." in _comparison(qtbot, window)  # not named while on the PACS

    # Cancel at once: nothing is shown beside, the banner offers to retrieve again.
    banner.compare_button.click()
    assert banner.progress.isVisible() and banner.cancel_button.isVisible()
    assert not banner.compare_button.isEnabled()
    banner.cancel_button.click()
    qtbot.waitUntil(lambda: "Retrieval cancelled" in banner.sync_label.text(), timeout=TIMEOUT_MS)
    assert banner.compare_button.isEnabled() and banner.compare_button.text() == "Retrieve again"
    assert not banner.progress.isVisible() and window.current_layout != (1, 2)

    # Retrieve: progress counts the images, then the prior is shown beside the current one.
    texts: list[str] = []
    sampler = QTimer()
    sampler.timeout.connect(lambda: texts.append(banner.sync_label.text()))
    sampler.start(5)
    with qtbot.waitSignal(window.first_image_shown, timeout=TIMEOUT_MS):
        banner.compare_button.click()
    qtbot.waitUntil(
        lambda: (
            "frames of reference" in banner.sync_label.text()
            or "Scrolling in step" in banner.sync_label.text()
        ),
        timeout=TIMEOUT_MS,
    )
    sampler.stop()
    assert any(t.startswith("Retrieving the prior") for t in texts), texts
    assert banner.label.text() == "Prior: CT 2024-03-01 CHEST CT"
    assert banner.compare_button.text() == "Compare" and offer.pacs_node is None
    assert not banner.progress.isVisible()
    stored = archive.study(prior_uid)
    assert stored.instance_count == PRIOR_SLICES
    assert window.current_layout == (1, 2)
    left, right = window.grid.viewports
    assert left.volume is not None and right.volume is not None
    assert right.frame_count == PRIOR_SLICES
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    assert window.grab().save(str(ARTIFACTS / "prior-from-pacs.png"))

    # The report compares with it now that the archive holds it.
    comparison = _comparison(qtbot, window)
    assert "2024-03-01" in comparison and "None available." not in comparison


def test_a_stopped_pacs_costs_nothing_the_archives_prior_is_offered(
    qtbot: Any,
    window: MainWindow,
    own_orthanc: Orthanc,  # noqa: F811 - the fixture imported above
    tmp_path: Path,
) -> None:
    _configure(own_orthanc)
    stop_orthanc(own_orthanc)  # configured, but down
    prior, current = _patient(1302)
    _write(tmp_path / "studies" / "prior", prior, 3, 3)
    _write(tmp_path / "studies" / "current", current, 3, 4)
    _to_archive(tmp_path / "studies")

    ticks = QElapsedTimer()
    longest = [0]

    def tick() -> None:
        if ticks.isValid():
            longest[0] = max(longest[0], ticks.elapsed())
        ticks.restart()

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(10)
    started = time.perf_counter()
    _open(qtbot, window, current.study_uid)
    offer = window.archive_part.priors
    qtbot.waitUntil(lambda: offer.banner is not None, timeout=TIMEOUT_MS)
    offered_after = time.perf_counter() - started
    qtbot.waitUntil(lambda: offer.pacs_problem is not None, timeout=TIMEOUT_MS)
    timer.stop()
    banner = offer.banner
    assert banner is not None and banner.isVisible()
    assert banner.label.text() == "Prior: CT 2024-03-01 CHEST CT"  # the archive's
    assert offer.pacs_node is None
    assert offer.pacs_problem  # the PACS could not be asked, and it is said, quietly
    assert "The PACS could not be asked" in banner.label.toolTip()
    assert _visible_dialogs() == []
    assert longest[0] < 1000, f"the GUI stalled {longest[0]} ms"
    print(
        f"archive prior offered {offered_after:.2f} s after opening; longest stall {longest[0]} ms"
    )
    with qtbot.waitSignal(window.first_image_shown, timeout=TIMEOUT_MS):
        banner.compare_button.click()
    assert window.current_layout == (1, 2)


def test_a_failed_retrieval_is_said_in_the_banner_which_stays_usable(
    qtbot: Any,
    window: MainWindow,
    own_orthanc: Orthanc,  # noqa: F811 - the fixture imported above
    tmp_path: Path,
) -> None:
    _configure(own_orthanc)
    prior, current = _patient(1303)
    _to_pacs(own_orthanc, _write(tmp_path / "prior", prior, 3, 5))
    _write(tmp_path / "current", current, 3, 6)
    _to_archive(tmp_path / "current")
    _open(qtbot, window, current.study_uid)
    offer = window.archive_part.priors
    qtbot.waitUntil(lambda: offer.pacs_node is not None, timeout=TIMEOUT_MS)
    banner = offer.banner
    assert banner is not None
    stop_orthanc(own_orthanc)  # the PACS goes away before the click
    banner.compare_button.click()
    qtbot.waitUntil(
        lambda: "could not be retrieved" in banner.sync_label.text(), timeout=TIMEOUT_MS
    )
    said = banner.sync_label.text()
    assert "connect" in said.lower() or "refused" in said.lower(), said
    assert banner.compare_button.isEnabled() and banner.compare_button.text() == "Retrieve again"
    assert not banner.progress.isVisible() and not banner.cancel_button.isVisible()
    assert _visible_dialogs() == [] and window.current_layout != (1, 2)
    assert banner.label.text().startswith("Prior on PACS:")


def test_a_pacs_that_never_answers_waits_its_timeout_behind_the_archives_prior(
    qtbot: Any, window: MainWindow, tmp_path: Path
) -> None:
    # A listening socket that never answers: the association request waits the timeout.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = int(silent.getsockname()[1])
        node = DimseNode("slow-pacs", "SLOW", "127.0.0.1", port, usage="both", timeout_s=2)
        save_nodes(NodeBook(LocalNode(OUR_AET), (node,)))
        prior, current = _patient(1304)
        _write(tmp_path / "studies" / "prior", prior, 3, 7)
        _write(tmp_path / "studies" / "current", current, 3, 8)
        _to_archive(tmp_path / "studies")
        started = time.perf_counter()
        _open(qtbot, window, current.study_uid)
        offer = window.archive_part.priors
        qtbot.waitUntil(lambda: offer.banner is not None, timeout=TIMEOUT_MS)
        offered_after = time.perf_counter() - started
        still_asking = offer.pacs_problem is None
        assert still_asking  # the prior did not wait for the PACS
        banner = offer.banner
        assert banner is not None and banner.label.text() == "Prior: CT 2024-03-01 CHEST CT"
        qtbot.waitUntil(lambda: offer.pacs_problem is not None, timeout=TIMEOUT_MS)
        answered_after = time.perf_counter() - started
    assert offer.pacs_problem and offer.banner is banner and offer.pacs_node is None
    assert offered_after < answered_after and answered_after >= 2.0
    assert _visible_dialogs() == []
    print(
        f"archive prior after {offered_after:.2f} s; silent PACS gave up at {answered_after:.2f} s"
    )


def test_the_nodes_file_is_read_off_the_gui_thread(
    qtbot: Any, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading the nodes file (and importing the PACS parts) at an open never holds the
    GUI thread while the series loads: it is the priors job's first step."""
    import threading

    from desktop.pacs import common

    with socket.socket() as closed:  # a port nobody listens on: refused at once
        closed.bind(("127.0.0.1", 0))
        port = int(closed.getsockname()[1])
    node = DimseNode("gone-pacs", "GONE", "127.0.0.1", port, usage="query", timeout_s=2)
    save_nodes(NodeBook(LocalNode(OUR_AET), (node,)))
    read_on: list[threading.Thread] = []
    read_node_book = common.read_node_book

    def recorded() -> Any:
        read_on.append(threading.current_thread())
        return read_node_book()

    monkeypatch.setattr(common, "read_node_book", recorded)
    prior, current = _patient(1305)
    _write(tmp_path / "studies" / "prior", prior, 3, 9)
    _write(tmp_path / "studies" / "current", current, 3, 10)
    _to_archive(tmp_path / "studies")
    _open(qtbot, window, current.study_uid)
    offer = window.archive_part.priors
    qtbot.waitUntil(lambda: offer.pacs_problem is not None, timeout=TIMEOUT_MS)
    assert read_on and threading.main_thread() not in read_on
    assert offer.pacs_problem  # the node refused: said, and the archive's prior offered
    assert offer.banner is not None and offer.pacs_node is None
    assert "The PACS could not be asked" in offer.banner.label.toolTip()
