"""Malformed input: a clear reason per file, never a crash or a silent half-load.

Every broken kind the generator writes, and a good file truncated at many points, in one
folder with good files: the good files still load, every bad one is accounted for, and the
sources stay byte-identical with nothing written beside them.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pydicom
import pytest

from core.dicom.index import scan
from core.dicom.pixels import render_frame
from core.dicom.volume import load_series
from core.errors import DicomError
from core.jobs import run_job
from core.synthetic import write_ct_series, write_synthetic


def _hashes(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _account_for_everything(folder: Path) -> dict[str, str]:
    """Scan, load every series and render every image; return path -> outcome."""
    index = scan(str(folder))
    outcome: dict[str, str] = {u.ref.path: f"unreadable: {u.reason}" for u in index.unreadable}
    for series in index.all_series():
        volume = run_job(load_series(series))
        for failure in volume.failures:
            outcome[failure.ref.path] = f"failed to load: {failure.reason}"
        for instance in series.instances:
            if instance.ref.path in outcome:
                continue
            dataset = pydicom.dcmread(instance.ref.path, force=True)
            try:
                image = render_frame(dataset, 0, source=instance.ref.path)
            except DicomError as error:
                outcome[instance.ref.path] = f"render refused: {error.reason}"
            else:
                assert image.dtype == np.uint8
                outcome[instance.ref.path] = "ok"
    for item in index.non_image:
        outcome[item.ref.path] = f"non-image: {item.kind.value}"
    return outcome


def test_every_broken_kind_gets_a_reason_and_the_rest_loads(tmp_path: Path) -> None:
    write_synthetic(tmp_path, "broken", seed=1)
    truth = json.loads((tmp_path / "truth.json").read_text())
    before = _hashes(tmp_path)
    outcome = _account_for_everything(tmp_path)
    assert _hashes(tmp_path) == before  # untouched, nothing written beside them
    good = [o for o in outcome.values() if o == "ok"]
    assert len(good) >= 2
    for relative, defect in truth.items():
        path = str(tmp_path / relative)
        if path in outcome:
            assert outcome[path] != "ok" or "junk" not in str(defect), (relative, defect)
            if outcome[path] != "ok":
                assert len(outcome[path].split(": ", 1)[1]) > 10  # a real reason
    assert all("Traceback" not in o for o in outcome.values())


@pytest.mark.slow
def test_a_file_truncated_at_many_points_is_never_half_loaded(tmp_path: Path) -> None:
    source = tmp_path / "src"
    paths = write_ct_series(source, np.random.default_rng(2), slices=2, size=64)
    good = Path(paths[0]).read_bytes()
    broken = tmp_path / "broken"
    broken.mkdir()
    cut_points = sorted({*range(0, 400, 7), *np.linspace(400, len(good) - 1, 60).astype(int)})
    for n, cut in enumerate(cut_points):
        (broken / f"cut{n:03d}.dcm").write_bytes(good[:cut])
    (broken / "whole.dcm").write_bytes(good)
    outcome = _account_for_everything(broken)
    assert outcome[str(broken / "whole.dcm")] == "ok"
    for n, cut in enumerate(cut_points):
        path = str(broken / f"cut{n:03d}.dcm")
        # Not DICOM at all (cut inside the preamble) is skipped quietly; anything else that is
        # found must be refused with a reason, never shown as a complete image.
        if path in outcome:
            assert outcome[path] != "ok", f"cut at {cut} of {len(good)} bytes rendered as complete"
