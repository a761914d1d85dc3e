"""The interface is translatable, and translated: what a Chinese-reading user would miss.

(a) every user-visible string literal in desktop/ goes through tr()/translate() (an AST
check of the Qt text calls), and no f-string or concatenation is inside tr;
(b) every area's .ts exists, has no unfinished, obsolete or vanished entry, and lupdate on
today's sources adds or drops nothing; (c) core.po is complete and up to date; (d) each
translation keeps its source's placeholders ({name}, %n, %1) and & mnemonic.

The checks live in scripts/translations.py (``check`` runs them all); each area is its
own test, so the engineer of an area runs ``-k <area>``.
"""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "radassist_translations", ROOT / "scripts" / "translations.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


translations = _load_script()

#: Areas not wrapped yet, by name: the string check and the .ts check skip exactly these.
SKIPPED_AREAS: set[str] = set()
ACTIVE_AREAS = [area for area in translations.AREAS if area not in SKIPPED_AREAS]


def test_the_skip_list_is_the_scripts() -> None:
    """One skip list: the test's named areas are the script's pending ones."""
    assert set(translations.PENDING_AREAS) == SKIPPED_AREAS


def test_every_desktop_folder_is_an_area() -> None:
    """A new desktop folder needs its own .ts (else its strings are never extracted)."""
    folders = {
        translations.area_of(path)
        for path in (ROOT / "desktop").rglob("*.py")
        if "__pycache__" not in path.parts
    }
    assert folders <= set(translations.AREAS), folders - set(translations.AREAS)


@pytest.mark.parametrize("area", ACTIVE_AREAS)
def test_user_visible_strings_are_marked(area: str) -> None:
    found = translations.untranslated_in_area(area)
    assert not found, (
        f"{len(found)} user-visible text(s) not marked for translation:\n"
        + "\n".join(map(str, found))
    )


@pytest.mark.parametrize("area", ACTIVE_AREAS)
def test_area_catalogue_is_complete_and_current(area: str) -> None:
    problems = translations.ts_problems(area)
    assert not problems, "\n".join(problems)


def test_core_catalogue_is_complete_and_current() -> None:
    problems = translations.core_po_problems()
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------- the checker, on examples


@pytest.mark.parametrize(
    "source",
    [
        'label.setText("Open study")',
        'QLabel("Window width", self)',
        'menu.addMenu("&File")',
        'QMessageBox.warning(self, "Export", self.tr("Failed"))',
        'self.statusBar().showMessage(f"Loaded {n} images", 3000)',
        'button.setToolTip("Zoom " + name)',
        'combo.addItem("Lung", "lung")',
        'QFileDialog.getOpenFileName(self, self.tr("Open"), "", "DICOM files (*.dcm)")',
        'self.tr(f"Opened {count} files")',
        'QCoreApplication.translate("Window", "Opened " + name)',
        'QAction(icon, "&Quit", self)',
        'box.setText("Saved." if ok else self.tr("Not saved."))',
        'label.setText(_tr("Open study"))',
        'self.tr("Opened {n} files".format(n=n))',
    ],
)
def test_checker_finds_unmarked_text(source: str) -> None:
    assert translations.untranslated_in_source(source), source


@pytest.mark.parametrize(
    "source",
    [
        'label.setText(self.tr("Open study"))',
        'label.setText(self.tr("Opened {count} files").format(count=n))',
        'label.setText(QCoreApplication.translate("MainWindow", "Open"))',
        'label.setText("")',
        'label.setText("—")',
        'label.setText(f"{width} × {height}")',
        "label.setText(name)",
        'combo.addItem(self.tr("Lung"), "lung")',
        'self.setWindowTitle("RadAssist")',
        'label.setText(self.tr("%n file(s)", "", n))',
        "menu.addAction(self.open_action)",
        "QLabel(self)",
        'box.setText(self.tr("Saved.") + " " + detail)',
        "label.setText(_tr(VERDICTS[verdict]))",
        'label.setText(QCoreApplication.translate("AiPanel", text))',
        'TITLE = QT_TRANSLATE_NOOP("Export", "Export study")',
    ],
)
def test_checker_passes_marked_text(source: str) -> None:
    assert not translations.untranslated_in_source(source), source


@pytest.mark.parametrize(
    ("source", "translation", "ok"),
    [
        ("Opened {count} files", "已打开 {count} 个文件", True),
        ("Opened {count} files", "已打开文件", False),
        ("{size:.1f} MB", "{size} MB", False),
        ("%n file(s)", "%n 个文件", True),
        ("Slice %1 of %2", "第 %1/%2 层", True),
        ("&File", "文件(&F)", True),
        ("&File", "文件", False),
        ("Save && close", "保存并关闭", True),
    ],
)
def test_placeholder_check(source: str, translation: str, ok: bool) -> None:
    assert (not translations.check_placeholders(source, translation)) is ok


def test_a_module_that_translates_never_rebinds_underscore() -> None:
    """``_, x = f()`` in a module that imports ``_`` from core.i18n shadows it (a crash
    the day that function shows a message): such modules name their throwaways."""
    offenders: list[str] = []
    for path in sorted([*(ROOT / "core").rglob("*.py"), *(ROOT / "desktop").rglob("*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imports_underscore = any(
            isinstance(node, ast.ImportFrom)
            and node.module == "core.i18n"
            and any(alias.name == "_" and alias.asname is None for alias in node.names)
            for node in tree.body
        )
        if not imports_underscore:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id == "_" and isinstance(node.ctx, ast.Store):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, offenders
