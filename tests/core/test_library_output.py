"""Issue 11 section 6: what pydicom, GDCM and the decoders say never reaches stderr raw.

The files are valid ones that made noise: on JPEG-lossy.dcm the GDCM and Pillow plugins
fail (pydicom logged both tracebacks) before GDCM's 12-bit codec succeeds (its 8-bit
libjpeg printed "Unsupported JPEG data precision 12"); SC_rgb_jpeg.dcm and
MR_small_padded.dcm made pydicom log and warn.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pydicom.data import get_testdata_file

from core.dicom.limits import read_dataset_bounded
from core.dicom.pixels import decode_frame
from core.library_output import capture_library_output
from tests.core.fuzzing import stray_lines

_REPO = Path(__file__).resolve().parents[2]
_NOISY = ("JPEG-lossy.dcm", "JPGExtended.dcm", "SC_rgb_jpeg.dcm", "MR_small_padded.dcm")


def _testdata(name: str) -> Path:
    path = get_testdata_file(name, download=False)
    if path is None:
        pytest.skip(f"pydicom's test file {name} is not installed")
    return Path(str(path))


def _cli(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RADASSIST_DATA_DIR": str(data_dir)}
    env.pop("RADASSIST_LOG_LEVEL", None)
    return subprocess.run(
        [sys.executable, "-m", "core.cli", *args],
        cwd=_REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("name", _NOISY)
def test_render_of_a_valid_file_prints_nothing_on_stderr(name: str, tmp_path: Path) -> None:
    out = tmp_path / "out.png"
    done = _cli("render", str(_testdata(name)), "--out", str(out), data_dir=tmp_path / "data")
    assert done.returncode == 0, done.stderr
    assert out.is_file()
    assert done.stderr == "", done.stderr


def test_scan_and_load_of_noisy_files_print_nothing_from_the_libraries(tmp_path: Path) -> None:
    study = tmp_path / "study"
    study.mkdir()
    for name in _NOISY:
        shutil.copy(_testdata(name), study / name)
    for command in ("scan", "load"):
        done = _cli(command, str(study), data_dir=tmp_path / "data")
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
        assert not stray_lines(done.stderr), (command, done.stderr)


def test_a_plugin_failure_before_a_success_is_a_debug_record_of_ours(
    caplog: pytest.LogCaptureFixture,
) -> None:
    capture_library_output()
    path = _testdata("JPEG-lossy.dcm")
    with open(path, "rb") as stream:
        ds = read_dataset_bounded(stream, source="JPEG-lossy.dcm")
    reached: list[logging.LogRecord] = []
    probe = logging.Handler()
    probe.emit = reached.append  # type: ignore[method-assign]
    logging.getLogger().addHandler(probe)
    try:
        with caplog.at_level(logging.DEBUG):
            frame = decode_frame(ds, 0, source="JPEG-lossy.dcm")
    finally:
        logging.getLogger().removeHandler(probe)
    assert frame.shape == (1024, 256)
    ours = [r for r in caplog.records if r.name == "core.library_output"]
    assert ours and all(r.levelno == logging.DEBUG for r in ours)
    assert any("NotImplementedError" in r.getMessage() for r in ours)
    # Nothing of pydicom's reaches the root logger's handlers (stderr). caplog itself
    # cannot say so: pytest attaches its handler to non-propagating loggers too.
    assert logging.getLogger("pydicom").propagate is False
    assert not [r for r in reached if r.name.startswith("pydicom")]


_NATIVE_PROBE = """
import os, sys
from core.library_output import native_stderr_dropped, silence_native_stderr
with native_stderr_dropped():
    os.write(2, b"native-in-block\\n")
os.write(2, b"native-after-block\\n")
silence_native_stderr()
os.write(2, b"native-silenced\\n")
print("python-still-heard", file=sys.stderr, flush=True)
"""


def test_native_writes_to_fd_2_are_dropped_and_python_stderr_kept() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _NATIVE_PROBE],
        cwd=_REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stderr.split() == ["native-after-block", "python-still-heard"]
