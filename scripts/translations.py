#!/usr/bin/env python3
"""The interface's translations: update the sources from the code, build, check.

    python scripts/translations.py update [AREA ...]   # .ts per desktop area, and core.po
    python scripts/translations.py build [--force]     # radassist_zh_CN.qm and core.mo
    python scripts/translations.py check               # what tests/test_translations.py checks

Desktop: Qt's system. Each area of the window has its own ``.ts`` under
``resources/translations/zh_CN/`` (:data:`AREAS`), extracted by ``pyside6-lupdate`` from
that area's files only, so translators never share a file; ``build`` merges them all
into one ``resources/translations/radassist_zh_CN.qm`` with ``pyside6-lrelease``.
Core and the CLI: gettext. ``update`` extracts ``_()``, ``N_()`` and ``ngettext()`` from
core/ with Babel into ``zh_CN/core.po`` (translations kept); ``build`` compiles it to
``zh_CN/core.mo``. Compiled files are build outputs (gitignored); the Makefile's install
step and scripts/build_bundle.py run ``build``. Translators follow
``resources/translations/GLOSSARY.md``.
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from babel.messages.catalog import Catalog

ROOT: Final = Path(__file__).resolve().parents[1]
TRANSLATIONS: Final = ROOT / "resources" / "translations"
#: Qt's spelling of the one translated language (folders, .qm names, the .ts root).
LANGUAGE: Final = "zh_CN"
CATALOGUES: Final = TRANSLATIONS / LANGUAGE
#: Each desktop area's .ts and the files lupdate reads for it (not recursive).
AREAS: Final = {
    "window": "desktop/*.py",
    "assistant": "desktop/assistant/*.py",
    "dialogs": "desktop/dialogs/*.py",
    "archive": "desktop/archive/*.py",
    "pacs": "desktop/pacs/*.py",
    "browser": "desktop/browser/*.py",
    "viewer": "desktop/viewer/*.py",
}
#: Areas not wrapped yet, and why: no .ts is required of them and the string check skips them.
PENDING_AREAS: Final[dict[str, str]] = {}
QM: Final = TRANSLATIONS / f"radassist_{LANGUAGE}.qm"
CORE_PO: Final = CATALOGUES / "core.po"
CORE_MO: Final = CATALOGUES / "core.mo"
#: The gettext keywords of core.i18n (Babel's spec: which arguments are messages).
CORE_KEYWORDS: Final = {"_": None, "N_": None, "ngettext": (1, 2)}
#: Where gettext messages are made: core (core.i18n lists argparse's own words too), and the
#: desktop's self-test check, whose lines are the self-test's (desktop/selftest_window.py).
CORE_SOURCES: Final = ("core/**/*.py", "desktop/**/*.py")

_PLACEHOLDER = re.compile(
    r"\{([A-Za-z_][A-Za-z0-9_]*)?(?:[:!][^{}]*)?\}"  # str.format: {name}, {name:.1f}, {}
    r"|%n|%L?[1-9]"  # Qt: %n (plurals), %1..%9
    r"|%\((\w+)\)[#0 +-]*\d*(?:\.\d+)?[sdifrx]"  # printf with names: %(value)r
    r"|%[sdr]"  # printf: %s
)
_MNEMONIC = re.compile(r"&(?!&)(?=\S)")


def tool(name: str) -> str:
    """A Qt tool of PySide6 (``pyside6-lupdate``): beside this Python first, then on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"translations: {name} not found (pip install PySide6-Essentials)")
    return found


def area_files(area: str) -> list[Path]:
    """The Python files of ``area`` (the pattern of :data:`AREAS`), sorted."""
    return sorted(ROOT.glob(AREAS[area]))


def ts_path(area: str) -> Path:
    return CATALOGUES / f"{area}.ts"


def active_areas() -> list[str]:
    """The areas that must have a complete .ts (every area not pending)."""
    return [area for area in AREAS if area not in PENDING_AREAS]


# ------------------------------------------------------------------------------ update


def _set_ts_language(path: Path) -> None:
    """The .ts root as the conventions write it: ``<TS version="2.1" language="zh_CN">``."""
    text = path.read_text(encoding="utf-8")
    fixed = re.sub(r"<TS\b[^>]*>", f'<TS version="2.1" language="{LANGUAGE}">', text, count=1)
    if fixed != text:
        path.write_text(fixed, encoding="utf-8")


def run_lupdate(area: str, target: Path, *, quiet: bool = True) -> None:
    """Extract ``area``'s messages into ``target`` (kept translations, no obsolete ones)."""
    files = [str(path) for path in area_files(area)]
    if not files:
        raise SystemExit(f"translations: area {area}: no files match {AREAS[area]}")
    command = [tool("pyside6-lupdate"), *files, "-ts", str(target), "-no-obsolete"]
    command += ["-target-language", LANGUAGE]
    if quiet:
        command.append("-silent")
    subprocess.run(command, check=True, cwd=ROOT)
    _set_ts_language(target)


def extract_core_template() -> Catalog:
    """The gettext messages of :data:`CORE_SOURCES` as a Babel catalogue (no translations)."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_file

    template = Catalog(project="RadAssist", fuzzy=False)
    files = sorted({path for pattern in CORE_SOURCES for path in ROOT.glob(pattern)})
    for path in files:
        if "__pycache__" in path.parts:
            continue
        found = extract_from_file(
            "python",
            str(path),
            keywords=CORE_KEYWORDS,
            comment_tags=("TRANSLATORS:",),
            strip_comment_tags=True,
        )
        location = path.relative_to(ROOT).as_posix()
        for lineno, message, comments, context in found:
            template.add(
                message, None, [(location, lineno)], auto_comments=comments, context=context
            )
    return template


def _read_core_po(path: Path = CORE_PO) -> Catalog:
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po

    if not path.is_file():
        return Catalog(locale=LANGUAGE, project="RadAssist", fuzzy=False)
    with path.open("rb") as stream:
        return read_po(stream, locale=LANGUAGE)


def update_core_po() -> int:
    """Merge core's current messages into core.po; returns how many are untranslated."""
    from babel.messages.pofile import write_po

    catalogue = _read_core_po()
    created = catalogue.creation_date
    template = extract_core_template()
    if not len(template):
        raise SystemExit("translations: no gettext messages found in core; core.po left as is")
    catalogue.update(template, no_fuzzy_matching=True)
    catalogue.creation_date = created  # no churn in the header
    catalogue.obsolete.clear()
    catalogue.project = "RadAssist"
    catalogue.language_team = "RadAssist <zh_CN>"
    CORE_PO.parent.mkdir(parents=True, exist_ok=True)
    with CORE_PO.open("wb") as stream:
        write_po(stream, catalogue, width=0, include_lineno=False, sort_by_file=False)
    return sum(1 for m in catalogue if m.id and not m.string)


def update(areas: Sequence[str]) -> None:
    """Run lupdate for each desktop area of ``areas``; update core.po when "core" is one."""
    for area in areas:
        if area in AREAS:
            run_lupdate(area, ts_path(area), quiet=False)
    if "core" in areas:
        missing = update_core_po()
        print(f"core.po: {missing} message(s) to translate")


# ------------------------------------------------------------------------------- build


def _newest(paths: Iterable[Path]) -> float:
    return max((path.stat().st_mtime for path in paths if path.exists()), default=0.0)


def build(*, force: bool = False) -> list[Path]:
    """Compile the catalogues (skipped when the outputs are newer than their sources)."""
    from babel.messages.mofile import write_mo

    built: list[Path] = []
    ts_files = sorted(CATALOGUES.glob("*.ts"))
    if ts_files and (force or not QM.exists() or QM.stat().st_mtime < _newest(ts_files)):
        command = [tool("pyside6-lrelease"), *map(str, ts_files), "-qm", str(QM), "-silent"]
        subprocess.run(command, check=True, cwd=ROOT)
        built.append(QM)
    if CORE_PO.is_file() and (
        force or not CORE_MO.exists() or CORE_MO.stat().st_mtime < CORE_PO.stat().st_mtime
    ):
        catalogue = _read_core_po()
        partial = CORE_MO.with_suffix(".mo.partial")
        with partial.open("wb") as stream:
            write_mo(stream, catalogue, use_fuzzy=False)
        os.replace(partial, CORE_MO)
        built.append(CORE_MO)
    return built


# ------------------------------------------------------------------------------- check


@dataclass(frozen=True)
class TsMessage:
    """One message of a .ts file."""

    context: str
    source: str
    comment: str
    numerus: bool
    kind: str  # "" (finished), "unfinished", "obsolete", "vanished"
    translations: tuple[str, ...]

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.context, self.source, self.comment)


def read_ts(path: Path) -> list[TsMessage]:
    """Every message of a .ts file."""
    root = ET.parse(path).getroot()
    messages: list[TsMessage] = []
    for context in root.iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            translation = message.find("translation")
            kind = "" if translation is None else translation.get("type", "")
            if translation is None:
                texts: tuple[str, ...] = ()
            elif message.get("numerus") == "yes":
                texts = tuple(form.text or "" for form in translation.iter("numerusform"))
            else:
                texts = (translation.text or "",)
            messages.append(
                TsMessage(
                    context=name,
                    source=message.findtext("source") or "",
                    comment=message.findtext("comment") or "",
                    numerus=message.get("numerus") == "yes",
                    kind=kind,
                    translations=texts,
                )
            )
    return messages


def placeholders(text: str) -> list[str]:
    """The placeholders of ``text`` ({name}, %n, %1, %(name)s, %s), sorted; a format spec
    counts too (``{size:.1f}``: the translation keeps the number's format)."""
    return sorted(match.group(0) for match in _PLACEHOLDER.finditer(text))


def _shorten(text: str, limit: int = 70) -> str:
    one = " ".join(text.split())
    return one if len(one) <= limit else one[: limit - 1] + "…"


def check_placeholders(source: str, translation: str, *, plural: bool = False) -> list[str]:
    """What ``translation`` gets wrong about ``source``'s placeholders and mnemonic."""
    problems: list[str] = []
    wanted, found = placeholders(source), placeholders(translation)
    if plural:  # a plural form may leave the count out ("one file" has no %n)
        wanted, found = sorted(set(wanted) - {"%n"}), sorted(set(found) - {"%n"})
    if wanted != found:
        problems.append(f"placeholders {wanted} in the source, {found} in the translation")
    if _MNEMONIC.search(source.replace("&&", "")) and not _MNEMONIC.search(
        translation.replace("&&", "")
    ):
        problems.append("the source's & mnemonic is missing: write it as 文件(&F)")
    return problems


def ts_problems(area: str) -> list[str]:
    """Everything wrong with ``area``'s .ts: missing, unfinished, obsolete, out of date,
    placeholders."""
    path = ts_path(area)
    if not path.is_file():
        return [f"{path.relative_to(ROOT)} is missing: run scripts/translations.py update {area}"]
    problems: list[str] = []
    messages = read_ts(path)
    for m in messages:
        where = f"{area}.ts [{m.context}] {_shorten(m.source)!r}"
        if m.kind in ("obsolete", "vanished"):
            problems.append(f"{where}: {m.kind} (run update: -no-obsolete drops it)")
        elif m.kind == "unfinished" or not any(t.strip() for t in m.translations):
            problems.append(f"{where}: not translated (unfinished)")
        else:
            for text in m.translations:
                problems += [
                    f"{where}: {p}" for p in check_placeholders(m.source, text, plural=m.numerus)
                ]
    # Up to date: lupdate on today's sources adds nothing and drops nothing.
    with tempfile.TemporaryDirectory(prefix="radassist-ts-") as folder:
        fresh = Path(folder) / path.name
        shutil.copyfile(path, fresh)
        run_lupdate(area, fresh)
        current = {m.key for m in read_ts(fresh)}
    have = {m.key for m in messages if m.kind not in ("obsolete", "vanished")}
    for context, source, _comment in sorted(current - have):
        problems.append(f"{area}.ts [{context}] {_shorten(source)!r}: in the code, not in the .ts")
    for context, source, _comment in sorted(have - current):
        problems.append(f"{area}.ts [{context}] {_shorten(source)!r}: in the .ts, not in the code")
    return problems


def _texts(value: object) -> tuple[str, ...]:
    """A Babel message's id or string as a tuple (one item, or the plural forms)."""
    if isinstance(value, tuple | list):
        return tuple(str(item or "") for item in value)
    return (str(value or ""),)


def core_po_problems() -> list[str]:
    """core.po: present, every message translated (none fuzzy), up to date, placeholders."""
    if not CORE_PO.is_file():
        return [f"{CORE_PO.relative_to(ROOT)} is missing: run scripts/translations.py update"]
    catalogue = _read_core_po()
    problems: list[str] = []
    have: set[str] = set()
    for message in catalogue:
        if not message.id:
            continue
        ids, strings = _texts(message.id), _texts(message.string)
        have.add(ids[0])
        where = f"core.po {_shorten(ids[0])!r}"
        if message.fuzzy:
            problems.append(f"{where}: fuzzy (check the translation, then drop the flag)")
        if not all(strings):
            problems.append(f"{where}: not translated")
            continue
        for text in strings:
            problems += [
                f"{where}: {p}"
                for p in check_placeholders(ids[-1], text, plural=len(ids) > 1)
                if "mnemonic" not in p
            ]
    if getattr(catalogue, "obsolete", None):
        problems.append("core.po has obsolete entries: run scripts/translations.py update")
    template = extract_core_template()
    wanted = {_texts(m.id)[0] for m in template if m.id}
    for missing in sorted(wanted - have):
        problems.append(f"core.po {_shorten(missing)!r}: in the code, not in core.po")
    for gone in sorted(have - wanted):
        problems.append(f"core.po {_shorten(gone)!r}: in core.po, not in the code")
    return problems


# ----------------------------------------------------- the string check (desktop's code)

#: Qt calls whose string arguments a person reads: the method name, and which positional
#: arguments hold text (None: the first argument that is text at all) and which keywords.
TEXT_METHODS: Final[dict[str, tuple[tuple[int, ...] | None, tuple[str, ...]]]] = {
    **{
        name: (None, ("text", "title", "tip"))
        for name in (
            "setText",
            "setWindowTitle",
            "setToolTip",
            "setStatusTip",
            "setWhatsThis",
            "setPlaceholderText",
            "setTitle",
            "setLabelText",
            "setInformativeText",
            "setDetailedText",
            "setSpecialValueText",
            "setHeaderLabel",
            "setTabToolTip",
            "setCancelButtonText",
            "setOkButtonText",
            "setWindowIconText",
            "addAction",
            "addMenu",
            "addButton",
            "showMessage",
            "addItem",
            "insertItem",
            "addItems",
            "insertItems",
            "setItemText",
            "setTabText",
            "addTab",
            "insertTab",
            "setHorizontalHeaderLabels",
            "setVerticalHeaderLabels",
            "setHeaderLabels",
            "addRow",
            "addSection",
        )
    },
}
#: Widget and item constructors whose text argument a person reads.
TEXT_CONSTRUCTORS: Final = frozenset(
    {
        "QAction",
        "QLabel",
        "QPushButton",
        "QCheckBox",
        "QRadioButton",
        "QGroupBox",
        "QMenu",
        "QDockWidget",
        "QCommandLinkButton",
        "QToolButton",
        "QTableWidgetItem",
        "QListWidgetItem",
        "QTreeWidgetItem",
        "QStandardItem",
        "QMessageBox",
        "QProgressDialog",
        "QWidgetAction",
    }
)
#: Static dialogs: which positional arguments are titles, labels or filters, and keywords.
STATIC_DIALOGS: Final[dict[str, tuple[tuple[int, ...], tuple[str, ...]]]] = {
    **{
        f"QMessageBox.{name}": ((1, 2), ("title", "text"))
        for name in ("information", "warning", "critical", "question", "about")
    },
    **{
        f"QInputDialog.{name}": ((1, 2), ("title", "label"))
        for name in ("getText", "getInt", "getDouble", "getItem", "getMultiLineText")
    },
    **{
        f"QFileDialog.{name}": ((1, 3), ("caption", "filter"))
        for name in (
            "getOpenFileName",
            "getOpenFileNames",
            "getSaveFileName",
            "getExistingDirectory",
            "getOpenFileUrl",
            "getSaveFileUrl",
        )
    },
}
#: Calls lupdate extracts: their text argument is the source text of a message.
EXTRACTED_CALLS: Final = frozenset({"tr", "translate", "QT_TR_NOOP", "QT_TRANSLATE_NOOP"})
#: Calls that translate: their result is a translated text. ``_tr`` is the areas' helper
#: (``QCoreApplication.translate`` with the module's context) for texts marked elsewhere
#: with QT_TRANSLATE_NOOP: lupdate does not see inside it, so a literal passed to it is
#: never extracted.
TRANSLATING_CALLS: Final = EXTRACTED_CALLS | {"_tr"}
#: Texts shown as they are in every language (names of products and standards).
UNTRANSLATED_TEXTS: Final = frozenset(
    {"RadAssist", "DICOM", "PACS", "DICOMweb", "DIMSE", "SR", "PDF", "GSPS", "OK", "HU", "mm"}
)


@dataclass(frozen=True)
class Untranslated:
    """A user-visible text that is not marked for translation."""

    path: str
    line: int
    call: str
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.call}(…{_shorten(self.text, 60)!r}…)"


def _call_name(node: ast.Call) -> str:
    """``QMessageBox.warning``, ``setText`` (a method), or ``QLabel``."""
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        if isinstance(func.value, ast.Name) and func.value.id[:1] == "Q":
            return f"{func.value.id}.{func.attr}"
        return func.attr
    return ""


def _is_translating(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and _call_name(node).split(".")[-1] in TRANSLATING_CALLS


def _has_words(text: str) -> bool:
    stripped = text.strip()
    return any(ch.isalpha() for ch in stripped) and stripped not in UNTRANSLATED_TEXTS


def _untranslated_text(node: ast.AST) -> str | None:
    """The literal words ``node`` shows without translation, or None when it is fine."""
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) and _has_words(node.value) else None
    if isinstance(node, ast.JoinedStr):
        words = "".join(
            part.value
            for part in node.values
            if isinstance(part, ast.Constant) and isinstance(part.value, str)
        )
        return ast.unparse(node) if _has_words(words) else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
        return _untranslated_text(node.left) or (
            _untranslated_text(node.right) if isinstance(node.op, ast.Add) else None
        )
    if isinstance(node, ast.IfExp):
        return _untranslated_text(node.body) or _untranslated_text(node.orelse)
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in ("format", "join", "upper", "lower"):
            return _untranslated_text(func.value)
        return None
    if isinstance(node, ast.List | ast.Tuple):
        for item in node.elts:
            found = _untranslated_text(item)
            if found is not None:
                return found
    return None


def _is_text(node: ast.AST) -> bool:
    """Whether ``node`` is (or builds) a string: the argument a text call's text is in."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr | ast.BinOp | ast.IfExp):
        return True
    return _is_translating(node) or (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
    )


def _is_built_text(node: ast.AST) -> bool:
    """An f-string, a concatenation, a ``%`` or a ``.format()``: text made at run time."""
    if isinstance(node, ast.JoinedStr | ast.BinOp):
        return True
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
    )


def _text_arguments(node: ast.Call, name: str) -> Iterator[ast.AST]:
    if name in STATIC_DIALOGS:
        positions, keywords = STATIC_DIALOGS[name]
        yield from (node.args[i] for i in positions if i < len(node.args))
        yield from (k.value for k in node.keywords if k.arg in keywords)
        return
    if name in TEXT_CONSTRUCTORS:
        # The text is the first textual argument; keywords like text=/title= too.
        first = next((arg for arg in node.args if _is_text(arg)), None)
        if first is not None:
            yield first
        yield from (k.value for k in node.keywords if k.arg in ("text", "title", "toolTip"))
        if name == "QMessageBox":  # QMessageBox(icon, title, text, …): every textual one
            yield from (arg for arg in node.args if _is_text(arg) and arg is not first)
        return
    method = name.split(".")[-1]
    if method in TEXT_METHODS:
        positions_or_none, keywords = TEXT_METHODS[method]
        if positions_or_none is None:
            first = next((arg for arg in node.args if _is_text(arg)), None)
            if first is not None:
                yield first
        yield from (k.value for k in node.keywords if k.arg in keywords)


def untranslated_in_source(source: str, path: str = "<source>") -> list[Untranslated]:
    """The user-visible literals of ``source`` not marked for translation, and the
    translated texts built wrongly (an f-string, a concatenation or a variable inside tr)."""
    found: list[Untranslated] = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = _call_name(node)
        if _is_translating(node):
            method = name.split(".")[-1]
            index = 1 if method in ("translate", "QT_TRANSLATE_NOOP") else 0
            text = node.args[index] if index < len(node.args) else None
            if method not in EXTRACTED_CALLS:
                # A helper: a literal in it never reaches the .ts.
                if isinstance(text, ast.Constant) and isinstance(text.value, str):
                    found.append(
                        Untranslated(path, node.lineno, f"{name} (not extracted)", text.value)
                    )
            elif text is not None and _is_built_text(text):
                # The source text must be the literal (or a marked constant looked up): an
                # f-string or a concatenation is a message no catalogue holds.
                found.append(
                    Untranslated(path, node.lineno, f"{name} (built text)", ast.unparse(text))
                )
            continue
        for argument in _text_arguments(node, name):
            words = _untranslated_text(argument)
            if words is not None:
                found.append(Untranslated(path, node.lineno, name, words))
    return found


def area_of(path: Path) -> str:
    """The .ts area a desktop file belongs to (:data:`AREAS`)."""
    parts = path.relative_to(ROOT / "desktop").parts
    return "window" if len(parts) == 1 else parts[0]


def untranslated_in_area(area: str) -> list[Untranslated]:
    """:func:`untranslated_in_source` over every file of ``area``."""
    found: list[Untranslated] = []
    for path in area_files(area):
        relative = path.relative_to(ROOT).as_posix()
        found += untranslated_in_source(path.read_text(encoding="utf-8"), relative)
    return found


def check() -> list[str]:
    """Every problem the translation checks find (empty: all is well)."""
    problems: list[str] = []
    for area in active_areas():
        problems += [str(item) for item in untranslated_in_area(area)]
        problems += ts_problems(area)
    problems += core_po_problems()
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="command", required=True)
    update_parser = sub.add_parser("update", help="extract messages into the .ts files and core.po")
    update_parser.add_argument(
        "areas", nargs="*", help=f"areas ({', '.join(AREAS)}) and/or core; default: all"
    )
    build_parser = sub.add_parser("build", help="compile radassist_zh_CN.qm and core.mo")
    build_parser.add_argument("--force", action="store_true", help="even when up to date")
    sub.add_parser("check", help="unwrapped strings, unfinished or stale catalogues")
    args = parser.parse_args(argv)
    if args.command == "update":
        unknown = [a for a in args.areas if a not in AREAS and a != "core"]
        if unknown:
            parser.error(f"unknown area(s): {', '.join(unknown)}")
        update(args.areas or [*active_areas(), "core"])
        return 0
    if args.command == "build":
        for path in build(force=args.force):
            print(f"built {path.relative_to(ROOT)}")
        return 0
    problems = check()
    for problem in problems:
        print(problem)
    print(f"{len(problems)} problem(s)" if problems else "translations: all complete")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
