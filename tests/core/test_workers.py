"""Worker processes: results come back, errors stay per item, a crash costs one item."""

from __future__ import annotations

import os

import pytest

from core.dicom.workers import run_isolated
from core.errors import CancelledError, PixelDataError
from core.jobs import CancelToken


def square_or_fail(value: int) -> int:
    if value == 13:
        raise ValueError("thirteen is unlucky")
    if value == 7:
        os._exit(139)  # what a segfaulting decoder looks like from outside
    return value * value


def test_results_errors_and_a_crashed_worker_are_reported_per_item() -> None:
    items = list(range(20))
    outcomes = {
        o.index: o for o in run_isolated(square_or_fail, items, describe=lambda v: f"item {v}")
    }
    assert sorted(outcomes) == items
    for value in items:
        outcome = outcomes[value]
        if value == 13:
            assert isinstance(outcome.error, ValueError)
        elif value == 7:
            assert isinstance(outcome.error, PixelDataError)
            assert "item 7" in str(outcome.error) and "crashed" in str(outcome.error)
        else:
            assert outcome.error is None and outcome.result == value * value
    # The pool was rebuilt: later work still runs.
    later = sorted(run_isolated(square_or_fail, [2, 3]), key=lambda o: o.index)
    assert [o.result for o in later] == [4, 9]  # outcomes come as they complete, any order


def test_cancelled_token_stops_the_run() -> None:
    token = CancelToken()
    token.cancel()
    with pytest.raises(CancelledError):
        list(run_isolated(square_or_fail, [1, 2, 3], token))
