"""`radassist self-test [--json] [--llm DIR] [--screenshot FILE] [--no-window]`, headless.

The real self-test runs in this process through ``core.cli.main`` (a few seconds); the
tests read what a person reads: the lines, the JSON, the exit code, stderr.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import core.selftest
from core.cli import COMMANDS, main
from core.selftest import (
    BUILTIN_CHECKS,
    Check,
    CheckFailed,
    SelfTestContext,
    SelfTestOptions,
    run_self_test,
)
from core.selftest.decoders import README_TRANSFER_SYNTAXES

CHECK_NAMES = (
    "install",
    "resources",
    "data folder",
    "scan",
    "load",
    "decoders",
    "analysis",
    "draft en",
    "draft zh",
    "language model",
    "export",
    "archive",
    "anonymize",
    "networking",
    "window",
)


@pytest.fixture
def sandbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, private_data_dir: Path
) -> Iterator[Path]:
    """The user's data folder and the temporary folder of the test's own, both watched."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    yield private_data_dir
    # Nothing left behind: no temporary study, no probe file in the user's data folder.
    # (multiprocessing's own folder for the fork server's socket lives until exit.)
    left = [p for p in temp.iterdir() if not p.name.startswith("pymp-")]
    assert not left, left
    assert not private_data_dir.exists() or not list(private_data_dir.iterdir())


def _run(capfd: pytest.CaptureFixture[str], *args: str, **kwargs: object) -> tuple[int, str, str]:
    try:
        code = main(["self-test", *args], **kwargs)  # type: ignore[arg-type]
    except SystemExit as stop:  # argparse refuses an argument
        code = int(stop.code or 0)
    out, err = capfd.readouterr()
    return code, out, err


def _line(out: str, name: str) -> str:
    for line in out.splitlines():
        parts = line.split(maxsplit=1)
        if len(parts) == 2 and parts[1].startswith(name + " "):
            return line
    raise AssertionError(f"no line for the {name!r} check in:\n{out}")


def test_the_headless_self_test_passes_with_a_line_per_check(
    sandbox: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    assert "self-test" in COMMANDS
    code, out, err = _run(capfd)
    assert code == 0, out + err
    assert "Traceback" not in err and "Traceback" not in out
    lines = out.strip().splitlines()
    assert lines[-1].startswith(f"self-test passed: {len(CHECK_NAMES)} checks in "), lines[-1]
    for name in CHECK_NAMES:
        status = _line(out, name).split()[0]
        assert status in ("ok", "skipped"), _line(out, name)
    assert "source tree, not an installed bundle" in _line(out, "install")
    assert "window check needs the desktop package" in _line(out, "window")
    assert "no --llm folder given" in _line(out, "language model")
    for name in ("resources", "data folder", "scan", "load", "decoders", "analysis", "export"):
        assert _line(out, name).startswith("ok "), _line(out, name)
    for name in ("archive", "anonymize", "networking"):
        assert _line(out, name).startswith("ok "), _line(out, name)
    assert "17 images opened from the index" in _line(out, "archive")
    assert "17 objects de-identified (Basic profile), DICOMDIR read back" in _line(out, "anonymize")
    assert "no connection made" in _line(out, "networking")
    assert str(sandbox) in _line(out, "data folder")  # the real data folder was probed
    assert "1 patient, 1 study, 2 series, 17 instances" in _line(out, "scan")
    assert "Effusion" in _line(out, "analysis")
    # One sub-result per syntax the README lists, under the decoders line.
    for label in README_TRANSFER_SYNTAXES.values():
        assert any(f" {label}: " in line for line in lines), label
    assert " FAIL " not in out
    # The study is synthetic, but its name still never reaches the output.
    assert "PHANTOM" not in out
    # The child processes were stopped.
    from core.analysis.runner import get_analysis_process
    from core.dicom import workers

    assert workers._pool is None
    assert not get_analysis_process().is_alive


@pytest.fixture(scope="module")
def tiny_lm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built before the sandbox watches the temporary folder (torch leaves a cache there)."""
    from tests.core.llm_helpers import make_tiny_causal_lm

    return make_tiny_causal_lm(tmp_path_factory.mktemp("lm") / "tiny-lm")


@pytest.mark.slow
def test_json_with_a_language_model(
    tiny_lm: Path, sandbox: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    capfd.readouterr()
    code, out, err = _run(capfd, "--json", "--llm", str(tiny_lm))
    assert code == 0, out + err
    data = json.loads(out)
    assert set(data) == {"ok", "first_failure", "seconds", "checks"}
    assert data["ok"] is True and data["first_failure"] is None
    assert [check["name"] for check in data["checks"]] == list(CHECK_NAMES)
    for check in data["checks"]:
        assert {"name", "status", "seconds", "detail"} <= set(check)
        assert check["status"] in ("ok", "skipped") and check["seconds"] >= 0
    checks = {check["name"]: check for check in data["checks"]}
    assert checks["language model"]["status"] == "ok", checks["language model"]
    assert checks["language model"]["detail"].startswith("tiny-lm: 48 tokens")
    items = checks["decoders"]["items"]
    assert len(items) >= len(README_TRANSFER_SYNTAXES)
    assert {item["status"] for item in items} <= {"ok", "not encoded"}
    assert "Traceback" not in err


def test_a_damaged_resources_folder_fails_naming_the_files(
    sandbox: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    from core.resources import resources_dir

    damaged = tmp_path / "resources"
    shutil.copytree(resources_dir(), damaged)
    weights = damaged / "models" / "radassist-demo-cxr" / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    (damaged / "report_templates" / "zh-CN.json").unlink()
    monkeypatch.setenv("RADASSIST_RESOURCES_DIR", str(damaged))

    code, out, err = _run(capfd)
    assert code == 1, out + err
    assert "Traceback" not in err and "Traceback" not in out
    resources = _line(out, "resources")
    assert resources.startswith("FAIL "), resources
    assert "model.safetensors" in resources and "zh-CN.json" in resources
    last = out.strip().splitlines()[-1]
    assert last.startswith("self-test FAILED: first failure: resources: "), last
    assert "model.safetensors" in last
    # The rest still ran: what does not need the damaged files passed.
    for name in ("data folder", "scan", "load", "decoders", "draft en"):
        assert _line(out, name).startswith("ok "), _line(out, name)
    assert _line(out, "draft zh").startswith("FAIL ") and "zh-CN.json" in _line(out, "draft zh")


def _quick_checks() -> tuple[Check, ...]:
    keep = ("resources", "data folder")
    return tuple(check for check in BUILTIN_CHECKS if check.name in keep)


def test_an_injected_failing_check_is_named_as_the_first_failure(
    sandbox: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(core.selftest, "BUILTIN_CHECKS", _quick_checks())

    def explode(context: SelfTestContext) -> str:
        raise RuntimeError("the widget\nfell over")

    def refuse(context: SelfTestContext) -> str:
        raise CheckFailed("a later failure")

    def fine(context: SelfTestContext) -> str:
        return f"saw {context.study_dir is not None and context.study_dir.is_dir()}"

    extra = [Check("exploding", explode), Check("refusing", refuse), Check("fine", fine)]
    code, out, err = _run(capfd, extra_checks=extra)
    assert code == 1, out + err
    assert "Traceback" not in err and "Traceback" not in out
    assert _line(out, "exploding").startswith("FAIL ")
    assert _line(out, "fine").startswith("ok ") and "saw True" in _line(out, "fine")
    assert _line(out, "window").startswith("skipped ")
    last = out.strip().splitlines()[-1]
    assert last == "self-test FAILED: first failure: exploding: RuntimeError: the widget fell over"

    code, out, _ = _run(capfd, "--json", extra_checks=extra)
    data = json.loads(out)
    assert code == 1 and data["ok"] is False
    assert data["first_failure"] == {
        "name": "exploding",
        "detail": "RuntimeError: the widget fell over",
    }


def test_the_frozen_spelling_runs_the_self_test(
    sandbox: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(core.selftest, "BUILTIN_CHECKS", _quick_checks())
    code = main(["--self-test", "--no-window"])
    out, _ = capfd.readouterr()
    assert code == 0, out
    assert out.strip().splitlines()[-1].startswith("self-test passed: 3 checks in ")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--llm", "/no/such/folder"], "--llm /no/such/folder: no such folder"),
        (["--screenshot", "shot.png", "--no-window"], "drop --no-window"),
        (["--screenshot", "shot.txt"], "give a .png or .jpg file name"),
        (["--bogus"], "unrecognized arguments"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    sandbox: Path, capfd: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = _run(capfd, *args)
    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1


def test_run_self_test_reports_results_as_they_come_and_restores_the_data_folder(
    sandbox: Path,
) -> None:
    import os

    before = os.environ["RADASSIST_DATA_DIR"]
    seen: list[str] = []
    report = run_self_test(
        SelfTestOptions(window=False),
        checks=_quick_checks(),
        on_result=lambda result: seen.append(result.name),
    )
    assert seen == ["resources", "data folder"]
    assert report.ok and report.exit_code == 0
    assert os.environ["RADASSIST_DATA_DIR"] == before
