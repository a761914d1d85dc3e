"""House rules 1 and 2, checked in fresh interpreters (not this test process, which has
pytest-qt and friends loaded)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(code: str) -> dict[str, list[str]]:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_core_imports_no_qt_no_desktop_and_no_heavy_modules() -> None:
    found = _run(
        """
        import importlib, json, pkgutil, sys
        import core
        names = [m.name for m in pkgutil.walk_packages(core.__path__, "core.")]
        for name in names:
            importlib.import_module(name)
        forbidden = {"PySide6", "shiboken6", "desktop", "torch", "transformers"}
        bad = sorted(m for m in sys.modules if m.split(".")[0] in forbidden)
        print(json.dumps({"modules": names, "bad": bad}))
        """
    )
    assert "core.cli" in found["modules"] and "core.dicom.volume" in found["modules"]
    assert found["bad"] == [], f"core imported {found['bad']}"


def test_headless_scan_command_imports_neither_qt_nor_torch(tmp_path: Path) -> None:
    from pydicom.data import get_testdata_file

    source = get_testdata_file("CT_small.dcm", download=False)
    found = _run(
        f"""
        import contextlib, io, json, sys
        from desktop.__main__ import main
        with contextlib.redirect_stdout(io.StringIO()):
            code = main(["scan", {source!r}])
        bad = sorted(m for m in sys.modules
                     if m.split(".")[0] in {{"PySide6", "shiboken6", "torch", "transformers"}})
        print(json.dumps({{"code": [str(code)], "bad": bad}}))
        """
    )
    assert found["code"] == ["0"]
    assert found["bad"] == []
