"""The report panel and ``radassist draft`` follow one workflow (core.report.workflow):
the same study gives the same findings, placed on the same side, from every analysed image."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from core.analysis.inference import AnalysisResult, Finding, Verdict
from core.report.document import StudyContext
from desktop.settings import Settings

WAIT_MS = 20_000
LABELS = ("Nodule", "Effusion", "Cardiomegaly")
MIRRORED = {"right": "left", "left": "right"}


def _result(uid: str, *findings: Finding, model: str = "demo-cxr") -> AnalysisResult:
    return AnalysisResult(
        model_name=model,
        model_version="1.0",
        model_sha256="ab" * 32,
        is_demo=True,
        skipped=None,
        findings=findings,
        timings={},
        sop_instance_uid=uid,
        image_shape=(64, 64),
    )


def _spot(label: str, probability: float, col: int) -> Finding:
    heatmap = np.zeros((64, 64), np.float32)
    heatmap[8:16, col - 4 : col + 4] = 1.0
    return Finding(label, probability, 0.4, Verdict.POSITIVE, heatmap, (12, col))


def test_the_panel_and_the_cli_place_a_finding_on_the_same_side(
    qtbot: QtBot, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A radiograph stored mirrored (Patient Orientation R\\F): its findings change side."""
    import pydicom

    from core.cli import main
    from core.report.context import findings_from_analysis
    from core.report.workflow import analyse_image
    from core.synthetic import write_cxr
    from desktop.main_window import MainWindow
    from tests.core.model_helpers import make_package, soften

    package = make_package(
        tmp_path / "models" / "side-model",
        name="side-model",
        labels=LABELS,
        thresholds={"Nodule": 0.0, "Effusion": 1.0, "Cardiomegaly": 1.0},
        edit=soften,
    )
    path = tmp_path / "study" / "pa.dcm"
    write_cxr(path, np.random.default_rng(5), view="PA", size=(70, 56))
    dataset = pydicom.dcmread(path)
    dataset.PatientOrientation = ["R", "F"]  # rows run towards the patient's right
    dataset.save_as(path)

    assert main(["draft", str(path.parent), "--analysis-model", str(package.folder), "--json"]) == 0
    cli_side = {f["label"]: f for f in json.loads(capsys.readouterr().out)["findings"]}["Nodule"][
        "side"
    ]

    window = MainWindow(Settings(tmp_path / "w.ini"))
    qtbot.addWidget(window)
    window.show()
    panel = window.report_panel
    with qtbot.waitSignal(panel.study_opened, timeout=WAIT_MS):
        window.open_path(path.parent)
    qtbot.waitUntil(lambda: not window.is_busy, timeout=WAIT_MS)
    assert window.index is not None
    ref = window.index.all_series()[0].instances[0].ref
    result, _ = analyse_image(ref, package)  # what the AI panel's analysis gives
    assert result is not None and result.skipped is None
    with qtbot.waitSignal(panel.report_changed, timeout=WAIT_MS) as blocker:
        window.ai_panel.analysis_finished.emit(result)
    panel_side = blocker.args[0].context.finding("Nodule").side

    unmirrored = {f.label: f.side for f in findings_from_analysis(result)}["Nodule"]
    assert unmirrored in MIRRORED  # the heatmap's peak is off the midline
    assert panel_side == cli_side == MIRRORED[unmirrored]
    window.close_study()


def _open(qtbot: QtBot, tmp_path: Path) -> Any:
    from desktop.assistant.report_panel import ReportPanel

    panel = ReportPanel(settings=Settings(tmp_path / "s.ini"))
    qtbot.addWidget(panel)
    panel.open_study(StudyContext("1.2.826.0.1.3680043.10.543.9.1", modality="DX"))
    return panel


def test_two_images_analysed_by_the_same_model_both_reach_the_report(
    qtbot: QtBot, tmp_path: Path
) -> None:
    panel = _open(qtbot, tmp_path)
    frontal = _result(
        "1.2.3.1", _spot("Nodule", 0.9, 12), Finding("Effusion", 0.1, 0.4, Verdict.NEGATIVE)
    )
    other = _result(
        "1.2.3.2", Finding("Nodule", 0.1, 0.4, Verdict.NEGATIVE), _spot("Effusion", 0.8, 52)
    )
    for result in (frontal, other):
        with qtbot.waitSignal(panel.report_changed, timeout=WAIT_MS):
            panel.add_analysis(result)
    context = panel.report.context
    verdicts = {f.label: (f.verdict, f.side) for f in context.findings}
    assert verdicts == {"Nodule": ("positive", "right"), "Effusion": ("positive", "left")}
    assert context.models == ("demo-cxr 1.0",)

    # The same image analysed again by the same model: the newer result replaces it.
    again = _result("1.2.3.1", Finding("Nodule", 0.05, 0.4, Verdict.NEGATIVE))
    with qtbot.waitSignal(panel.report_changed, timeout=WAIT_MS):
        panel.add_analysis(again)
    verdicts = {f.label: f.verdict for f in panel.report.context.findings}
    assert verdicts == {"Nodule": "negative", "Effusion": "positive"}
    panel.shutdown()
