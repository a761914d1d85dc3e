"""The zh-CN interface translation for the i18n tests: compiled from the .ts sources, installed.

The area catalogues under ``resources/translations/zh_CN`` are compiled with
``pyside6-lrelease`` into one ``.qm`` in a temporary folder (the build does the same for
the bundle) and installed on the application for the length of a test.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QTranslator

ROOT = Path(__file__).resolve().parents[2]
TS_DIR = ROOT / "resources" / "translations" / "zh_CN"


def _lrelease() -> str:
    beside = Path(sys.executable).with_name("pyside6-lrelease")
    found = str(beside) if beside.exists() else shutil.which("pyside6-lrelease")
    if found is None:
        raise RuntimeError("pyside6-lrelease not found (PySide6's tools are needed)")
    return found


def compile_zh_cn(folder: Path, areas: tuple[str, ...] = ()) -> Path:
    """Compile the zh_CN area catalogues (``areas``, default all) into ``folder``; the .qm."""
    sources = [TS_DIR / f"{area}.ts" for area in areas] if areas else sorted(TS_DIR.glob("*.ts"))
    target = folder / "radassist_zh_CN.qm"
    subprocess.run(
        [_lrelease(), *map(str, sources), "-qm", str(target)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return target


@contextmanager
def zh_cn_installed(folder: Path, areas: tuple[str, ...] = ()) -> Iterator[QTranslator]:
    """The zh-CN catalogue installed on the application while the block runs."""
    translator = QTranslator()
    qm = compile_zh_cn(folder, areas)
    if not translator.load(str(qm)):
        raise RuntimeError(f"{qm} could not be loaded")
    app = QCoreApplication.instance()
    assert app is not None
    app.installTranslator(translator)
    try:
        yield translator
    finally:
        app.removeTranslator(translator)
