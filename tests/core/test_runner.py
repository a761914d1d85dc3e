"""Analyses in the child process: same answers as in-process, typed errors, cancel, a crash."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from core.analysis.errors import HashMismatchError
from core.analysis.inference import AnalysisImage, analyze_image
from core.analysis.manifest import ModelPackage, read_package
from core.analysis.runner import AnalysisProcess, AnalysisProcessError
from core.errors import CancelledError
from core.jobs import CancelToken, Progress, run_job
from tests.core.model_helpers import make_package


@pytest.fixture(scope="module")
def process() -> Iterator[AnalysisProcess]:
    runner = AnalysisProcess()
    yield runner
    runner.shutdown()


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> ModelPackage:
    folder = tmp_path_factory.mktemp("pkg") / "tiny"
    make_package(
        folder, name="tiny-cxr", thresholds={"Nodule": 0.0, "Effusion": 1.0, "Cardiomegaly": 1.0}
    )
    return read_package(folder)  # unverified: the child verifies it


def _image(seed: int = 0, uid: str | None = None) -> AnalysisImage:
    from core.analysis.applicability import ImageFacts

    values = np.random.default_rng(seed).integers(0, 4095, size=(80, 64)).astype(np.uint16)
    return AnalysisImage(
        values=values,
        bits_stored=12,
        facts=ImageFacts(modality="DX", body_part="CHEST", view_position="PA", age_years=40.0),
        sop_instance_uid=uid,
    )


def test_the_child_answers_like_the_engine_in_process(
    process: AnalysisProcess, package: ModelPackage
) -> None:
    events: list[object] = []
    job = process.analyze(package, _image(), heatmaps="gradcam", use_cache=False)
    while True:
        try:
            events.append(next(job))
        except StopIteration as stop:
            result = stop.value
            break
    assert any(isinstance(e, Progress) for e in events)
    here = run_job(analyze_image(package, _image(), heatmaps="gradcam", use_cache=False))
    assert [f.label for f in result.findings] == [f.label for f in here.findings]
    for a, b in zip(result.findings, here.findings, strict=True):
        assert a.probability == pytest.approx(b.probability, abs=1e-5)
        assert a.verdict == b.verdict
    nodule = result.finding("Nodule")
    assert nodule.heatmap is not None and nodule.heatmap.shape == (80, 64)
    assert nodule.heatmap_peak == here.finding("Nodule").heatmap_peak
    assert process.is_alive and process.pid != os.getpid()
    assert "torch" in sys.modules  # from the in-process comparison, not from the child


def test_a_refused_package_comes_back_typed(process: AnalysisProcess, tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    make_package(folder, name="bad-cxr")
    (folder / "model.safetensors").write_bytes(b"\0" * 64)
    with pytest.raises(HashMismatchError, match=r"SHA-256 of model\.safetensors"):
        run_job(process.analyze(read_package(folder), _image()))
    assert process.is_alive  # a refusal is an answer, not a crash


def test_cancel_reaches_the_child(process: AnalysisProcess, package: ModelPackage) -> None:
    token = CancelToken()
    job = process.analyze(package, _image(seed=3), token, heatmaps="occlusion", use_cache=False)
    next(job)  # started
    token.cancel()
    with pytest.raises(CancelledError):
        while True:
            next(job)
    # The pipe is in step again: the next analysis answers normally.
    result = run_job(process.analyze(package, _image(seed=4), use_cache=False))
    assert result.skipped is None


def test_a_dead_child_costs_one_analysis(process: AnalysisProcess, package: ModelPackage) -> None:
    run_job(process.analyze(package, _image(seed=5), use_cache=False))
    pid = process.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    with pytest.raises(AnalysisProcessError, match="stopped unexpectedly"):
        run_job(process.analyze(package, _image(seed=6), use_cache=False))
    result = run_job(process.analyze(package, _image(seed=6), use_cache=False))
    assert result.findings and process.pid != pid


def test_wrong_arguments_fail_at_once(process: AnalysisProcess, package: ModelPackage) -> None:
    with pytest.raises(TypeError, match="ModelPackage"):
        process.analyze("tiny-cxr", _image())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="AnalysisImage"):
        process.analyze(package, np.zeros((4, 4)))  # type: ignore[arg-type]
