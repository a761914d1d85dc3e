"""The frozen app does everything the source tree does, from a read-only install, offline.

Each test runs the executable extracted from ``dist/*.tar.gz`` (see conftest.py): as
``nobody``, with an empty environment, under ``unshare -n``.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.bundle.conftest import ROOT, Sandbox, make_read_only, shared_dir
from tests.xvfb import xvfb_display

ARTIFACTS = ROOT / "test-artifacts" / "screenshots"


@pytest.fixture(scope="module")
def study() -> Any:
    """A generated study (two chest radiographs, a CT) every user can read."""
    from core.synthetic import write_ct_series, write_cxr

    base = shared_dir("radassist-study-")
    write_cxr(base / "cxr" / "0001.dcm", np.random.default_rng(45), size=512, lesions="random")
    write_cxr(base / "cxr" / "0002.dcm", np.random.default_rng(7), size=384, lesions="random")
    write_ct_series(base / "ct", np.random.default_rng(21), slices=24, size=128)
    subprocess.run(["chmod", "-R", "a+rX", str(base)], check=True)
    yield base
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def tiny_lm() -> Any:
    """A tiny random causal language model folder (safetensors, a trained tokenizer)."""
    from tests.core.llm_helpers import make_tiny_causal_lm

    base = shared_dir("radassist-lm-")
    folder = make_tiny_causal_lm(base / "tiny-report-lm")
    subprocess.run(["chmod", "-R", "a+rX", str(base)], check=True)
    yield folder
    shutil.rmtree(base, ignore_errors=True)


def _checks(stdout: str) -> dict[str, dict[str, Any]]:
    report = json.loads(stdout)
    return {check["name"]: check for check in report["checks"]}


def test_the_frozen_self_test_passes_with_window_and_language_model(
    installed: Path, sandbox: Sandbox, tiny_lm: Path
) -> None:
    out = sandbox.base / "out"
    out.mkdir()
    sandbox.own(out)
    shot = out / "frozen-window.png"
    with xvfb_display() as display:
        result = sandbox.run(
            [str(installed), "--self-test", "--json", "--llm", str(tiny_lm), "--screenshot",
             str(shot)],
            display=display,
        )  # fmt: skip
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    # Every module that reads its own source at import ships it (build.spec).
    assert "Unable to retrieve source" not in result.stderr, result.stderr[-3000:]
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    checks = _checks(result.stdout)
    for name in ("install", "resources", "scan", "load", "decoders", "analysis", "export",
                 "archive", "anonymize", "networking", "language model", "window"):  # fmt: skip
        assert name in checks, f"no {name!r} check in {sorted(checks)}"
        assert checks[name]["status"].lower() == "ok", checks[name]
    assert any(name.startswith("draft") and "zh" in name for name in checks), sorted(checks)
    # What a person sees: the window with an image in it, not a blank grab.
    from PIL import Image

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, ARTIFACTS / "frozen-window.png")
    pixels = np.asarray(Image.open(shot).convert("L"), dtype=np.float32)
    assert pixels.shape[0] >= 400 and pixels.shape[1] >= 600, pixels.shape
    assert pixels.std() > 20, "the frozen window's screenshot is blank"


def test_the_plain_self_test_names_every_check_in_lines(installed: Path, sandbox: Sandbox) -> None:
    result = sandbox.run([str(installed), "--self-test"])  # no display: the window is skipped
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    lines = result.stdout.strip().splitlines()
    assert lines[-1].startswith("self-test passed"), lines[-1]
    assert any("install" in line and "ok" in line.lower() for line in lines), lines
    assert any("window" in line and "skipped" in line.lower() for line in lines), lines


def test_the_frozen_self_test_speaks_chinese_when_asked(installed: Path, sandbox: Sandbox) -> None:
    """``--lang zh-CN``: the bundle's compiled catalogue (core.mo) gives every line in Chinese."""
    result = sandbox.run([str(installed), "--self-test", "--no-window", "--lang", "zh-CN"])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    lines = result.stdout.strip().splitlines()
    assert lines[-1].startswith("自检通过："), lines[-1]
    assert any(line.startswith("通过") and "扫描" in line for line in lines), lines


def test_the_installed_tree_stays_read_only_and_untouched(
    installed: Path, sandbox: Sandbox, study: Path
) -> None:
    before = subprocess.run(
        ["find", str(installed.parent), "-newer", str(installed), "-print"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    result = sandbox.run([str(installed), "scan", str(study)])
    assert result.returncode == 0, result.stderr
    after = subprocess.run(
        ["find", str(installed.parent), "-newer", str(installed), "-print"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert before == after
    # What the app wrote went to the user's own data folder.
    assert not list(installed.parent.rglob("__pycache__"))


# ---- The frozen sub-commands give the source tree's results -------------------------------

_VARYING = {"id", "seconds", "total_s", "time_to_first_image_s", "root"}


def _same(frozen: Any, source: Any, where: str = "") -> None:
    if isinstance(source, dict):
        assert isinstance(frozen, dict), where
        keys = set(source) - _VARYING
        assert set(frozen) - _VARYING == keys, f"{where}: keys differ"
        for key in keys:
            _same(frozen[key], source[key], f"{where}.{key}")
    elif isinstance(source, list):
        assert isinstance(frozen, list) and len(frozen) == len(source), where
        for i, (a, b) in enumerate(zip(frozen, source, strict=True)):
            _same(a, b, f"{where}[{i}]")
    elif isinstance(source, float):
        assert math.isclose(frozen, source, rel_tol=1e-4, abs_tol=1e-6), (where, frozen, source)
    else:
        assert frozen == source, (where, frozen, source)


def _source(argv: list[str], data: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RADASSIST_DATA_DIR": str(data), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "desktop", *argv],
        capture_output=True, text=True, timeout=300, env=env, cwd=ROOT,
    )  # fmt: skip


@pytest.mark.parametrize(
    "argv",
    [["scan", "{study}", "--json"], ["analyze", "{study}/cxr", "--json"],
     ["draft", "{study}/cxr", "--json"], ["draft", "{study}/cxr", "--json", "--lang", "zh"],
     ["load", "{study}/ct", "--json"]],
    ids=["scan", "analyze", "draft-en", "draft-zh", "load"],
)  # fmt: skip
def test_frozen_commands_match_the_source_tree(
    installed: Path, sandbox: Sandbox, study: Path, argv: list[str], tmp_path: Path
) -> None:
    argv = [part.format(study=study) for part in argv]
    frozen = sandbox.run([str(installed), *argv])
    source = _source(argv, tmp_path / "data")
    assert source.returncode == 0, source.stderr[-2000:]
    assert frozen.returncode == source.returncode, frozen.stderr[-3000:]
    assert "Traceback" not in frozen.stderr, frozen.stderr[-3000:]
    _same(json.loads(frozen.stdout), json.loads(source.stdout), argv[0])


def test_a_decoder_worker_never_opens_a_window(installed: Path, sandbox: Sandbox) -> None:
    """Compressed frames decode in worker processes re-run from the frozen executable."""
    from core.synthetic import write_synthetic

    base = shared_dir("radassist-rle-")
    try:
        write_synthetic(base / "mf", "multiframe", count=1, seed=3)
        subprocess.run(["chmod", "-R", "a+rX", str(base)], check=True)
        # No DISPLAY at all: a worker that tried to start the window would fail loudly.
        result = sandbox.run([str(installed), "load", str(base / "mf"), "--json"])
        assert result.returncode == 0, result.stderr[-3000:]
        assert "display" not in result.stderr.lower(), result.stderr[-3000:]
        assert json.loads(result.stdout)
    finally:
        shutil.rmtree(base, ignore_errors=True)


# ---- A damaged install --------------------------------------------------------------------


def test_a_damaged_install_fails_the_self_test_naming_the_files(
    installed: Path, sandbox: Sandbox
) -> None:
    copy_base = shared_dir("radassist-damaged-")
    try:
        copy = copy_base / installed.parent.name
        # Hard links: a copy of the install in no time and no space; the files changed
        # below are replaced, never written through the link.
        subprocess.run(["cp", "-al", str(installed.parent), str(copy)], check=True)
        subprocess.run(["chmod", "-R", "u+w", str(copy)], check=True)
        internal = copy / "_internal"
        template = internal / "resources" / "report_templates" / "zh-CN.json"
        template.unlink()
        weights = next((internal / "resources" / "models").rglob("model.safetensors"))
        data = bytearray(weights.read_bytes())
        data[-1] ^= 0xFF
        weights.unlink()
        weights.write_bytes(bytes(data))
        make_read_only(copy)
        result = sandbox.run([str(copy / installed.name), "--self-test"])
        text = result.stdout + result.stderr
        assert result.returncode == 1, text[-3000:]
        assert "Traceback" not in text, text[-3000:]
        assert "report_templates/zh-CN.json" in text, text[-3000:]
        assert "model.safetensors" in text, text[-3000:]
        assert "self-test FAILED" in result.stdout, result.stdout[-2000:]
    finally:
        subprocess.run(["chmod", "-R", "u+w", str(copy_base)], check=False)
        shutil.rmtree(copy_base, ignore_errors=True)
