"""The foreground gate: a series' readers wait while the GUI thread holds it, never for long."""

from __future__ import annotations

import contextlib
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import core.dicom.volume as volume_module
from core.dicom.index import scan
from core.dicom.records import SeriesRecord
from core.dicom.volume import FirstImage, Volume, load_series
from core.jobs import ForegroundGate, run_job
from core.synthetic import write_ct_series


@pytest.fixture(scope="module")
def ct_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ct")
    write_ct_series(folder, np.random.default_rng(11), slices=40, size=32)
    return folder


def _largest(folder: Path) -> SeriesRecord:
    return max(scan(str(folder)).all_series(), key=lambda s: s.frame_count)


def test_holds_nest_and_the_gate_opens_after_the_last() -> None:
    gate = ForegroundGate()
    assert not gate.is_held
    with gate.held():
        with gate.held():
            assert gate.is_held
        assert gate.is_held
    assert not gate.is_held
    gate.wait_turn()  # open: returns at once


def test_a_hold_keeps_the_background_waiting_at_most_max_hold_s() -> None:
    gate = ForegroundGate(max_hold_s=0.2)
    waited: list[float] = []

    def background() -> None:
        started = time.perf_counter()
        gate.wait_turn()
        waited.append(time.perf_counter() - started)

    with gate.held():
        thread = threading.Thread(target=background)
        thread.start()
        thread.join(5)  # the hold outlasts the wait: the waiter goes on by itself
        assert waited and 0.1 <= waited[0] < 2.0
        thread = threading.Thread(target=background)
        thread.start()
        thread.join(5)
        assert len(waited) == 2 and waited[1] < 0.1  # this hold is old: no more waiting


def test_a_refused_max_hold_says_what_it_found() -> None:
    with pytest.raises(ValueError, match="max_hold_s must be > 0, found 0"):
        ForegroundGate(max_hold_s=0)


def test_the_readers_wait_while_the_gate_is_held_and_finish_when_it_opens(
    ct_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = ForegroundGate(max_hold_s=30)
    monkeypatch.setattr(volume_module, "FOREGROUND", gate)
    series = _largest(ct_folder)
    first: list[Volume] = []
    result: list[Volume] = []
    hold = contextlib.ExitStack()

    def on_event(event: object) -> None:
        if isinstance(event, FirstImage) and not first:
            hold.enter_context(gate.held())  # the GUI thread takes the first image in
            first.append(event.volume)

    thread = threading.Thread(target=lambda: result.append(run_job(load_series(series), on_event)))
    thread.start()
    try:
        deadline = time.perf_counter() + 10
        while not first and time.perf_counter() < deadline:
            time.sleep(0.01)
        assert first, "the first image did not come"
        time.sleep(0.3)
        # Only the first image (read before the readers start) has arrived.
        assert int(first[0].loaded.sum()) == 1
        assert not result
    finally:
        hold.close()  # the gate opens (from this thread: holds are not tied to one)
    thread.join(10)
    assert result and result[0].loaded.all()


def test_setting_up_a_load_waits_for_a_held_gate(
    ct_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The turn that starts a load holds the gate: the load's Python-heavy set-up waits."""
    gate = ForegroundGate(max_hold_s=30)
    monkeypatch.setattr(volume_module, "FOREGROUND", gate)
    events: list[object] = []
    with gate.held():
        thread = threading.Thread(
            target=lambda: run_job(load_series(_largest(ct_folder)), events.append)
        )
        thread.start()
        time.sleep(0.3)
        assert events == []
    thread.join(10)
    assert isinstance(events[0], FirstImage)


def test_a_load_finishes_under_a_hold_that_never_ends(
    ct_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = ForegroundGate(max_hold_s=0.05)
    monkeypatch.setattr(volume_module, "FOREGROUND", gate)
    with gate.held():  # e.g. a modal dialog opened inside a held turn
        loaded = run_job(load_series(_largest(ct_folder)))
    assert loaded.loaded.all()


def _first(event: object, into: list[Volume]) -> None:
    if isinstance(event, FirstImage):
        into.append(event.volume)
