"""Issue 11: a few hundred mutated files cost each one file, never the run.

The mutants (byte flips, overwritten runs of pixel data, truncation, corrupted and huge
element lengths, impossible image sizes; fixed seed) of a dozen valid files are scanned,
loaded (each seed's folder), rendered (a sample, one process each) and analysed by the
real command line:

* every command exits 0 or 3 (README: 3 = nothing readable), never with a traceback,
  and nothing but RadAssist's own lines reaches stderr;
* scan accounts for every file: indexed, non-image, unreadable with a reason, or not DICOM;
* the peak memory of each command's whole process tree stays under 2 GiB;
* no input file is changed and nothing is written beside them.

``make fuzz`` runs the same with thousands of mutants (:mod:`tests.core.fuzzing`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.core.fuzzing import SEED_FILES, make_mutants, run_fuzz
from tests.core.model_helpers import make_package

_CEILING = 2 << 30
#: 21 mutants of each seed file: each of the 7 mutation kinds three times per seed.
_COUNT = 21 * (len(SEED_FILES) + 1)


def test_the_mutants_are_the_same_for_the_same_seed() -> None:
    first = [m.data for m in make_mutants(30, seed=7)]
    assert first == [m.data for m in make_mutants(30, seed=7)]
    assert len(set(first)) == 30
    assert first != [m.data for m in make_mutants(30, seed=8)]


@pytest.mark.slow
def test_mutated_files_cost_one_file_each(tmp_path: Path) -> None:
    package = make_package(tmp_path / "model", name="fuzz-model", applies_to={})
    mutants = make_mutants(_COUNT, seed=0)
    report = run_fuzz(tmp_path / "fuzz", mutants, model=package.folder, render_every=14)
    print(report.table())  # shown with -s, and on failure
    assert report.scan_counts["unreadable_without_reason"] == 0
    problems = report.problems(_CEILING)
    assert not problems, "\n".join(problems)
    commands = report.by_command()
    assert len(commands["load"]) == len(SEED_FILES) + 1
    assert len(commands["render"]) >= 15 and len(commands["analyze"]) == 1


def _cxr_with_an_unknown_vr_study_date(path: Path) -> None:
    """Found by ``make fuzz``: Study Date's VR bytes "DA" flipped to "D\\x1f", no Patient's Age.

    pydicom reads the element raw and raises NotImplementedError the first time the value
    is looked at; without Patient's Age the analysis looks at Study Date for the age.
    """
    import numpy as np
    import pydicom

    from core.synthetic import write_cxr

    write_cxr(path, np.random.default_rng(1), view="PA", size=(64, 48))
    ds = pydicom.dcmread(path)
    del ds.PatientAge
    ds.save_as(path)
    data = path.read_bytes()
    assert data.count(b"\x08\x00\x20\x00DA") == 1
    path.write_bytes(data.replace(b"\x08\x00\x20\x00DA", b"\x08\x00\x20\x00D\x1f"))


def test_an_element_with_an_unknown_vr_costs_that_file_only(tmp_path: Path) -> None:
    from tests.core.process_helpers import run_cli

    study = tmp_path / "study"
    study.mkdir()
    _cxr_with_an_unknown_vr_study_date(study / "bad_vr.dcm")
    package = make_package(tmp_path / "model", name="vr-model")
    home = tmp_path / "home"
    for args in (
        ["analyze", str(study), "--model", str(package.folder)],
        ["draft", str(study), "--analysis-model", str(package.folder)],
    ):
        run = run_cli(args, home)
        assert "Traceback" not in run.err, run.err
        assert run.code in (0, 3), run.err


def test_a_control_character_in_the_transfer_syntax_uid_stays_on_one_line(
    tmp_path: Path,
) -> None:
    """Found by ``make fuzz``: a flipped byte made the UID hold U+0085 (a line break)."""
    from pydicom.data import get_testdata_file

    from tests.core.process_helpers import run_cli

    source = get_testdata_file("SC_rgb_small_odd.dcm", download=False)
    if source is None:
        pytest.skip("pydicom's test files are not installed")
    data = Path(str(source)).read_bytes()
    assert data.count(b"1.2.840.10008.1.2.1") == 1
    bad = tmp_path / "bad_uid.dcm"
    bad.write_bytes(data.replace(b"1.2.840.10008.1.2.1", b"1.2.840.10\x8508.1.2.1"))
    run = run_cli(["render", str(bad), "--out", str(tmp_path / "out.png")], tmp_path / "home")
    assert run.code == 3, run.err
    assert run.err.count("\n") == 1 and run.err.endswith("\n"), run.err
    assert run.err[:-1].isprintable(), ascii(run.err)
    assert "1.2.840.10\\x8508.1.2.1" in run.err
