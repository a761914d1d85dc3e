"""Where resources are found, and the install's file list that tells a damaged install."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from core import resources
from core.analysis.registry import bundled_models_dir
from core.install import FILE_LIST_NAME, bundle_root, verify_install, write_file_list
from core.report.templates import bundled_templates_dir


def _bundle(tmp_path: Path) -> Path:
    root = tmp_path / "radassist"
    (root / "_internal" / "resources" / "models").mkdir(parents=True)
    (root / "radassist").write_bytes(b"\x7fELF executable")
    (root / "_internal" / "libfoo.so").write_bytes(b"library" * 1000)
    (root / "_internal" / "resources" / "models" / "weights.bin").write_bytes(bytes(range(256)))
    write_file_list(root)
    return root


def test_a_whole_install_checks_clean(tmp_path: Path) -> None:
    root = _bundle(tmp_path)
    listed = (root / FILE_LIST_NAME).read_text().splitlines()
    assert len(listed) == 3 and all(len(line.split("  ")[0]) == 64 for line in listed)
    check = verify_install(root)
    assert check.ok and check.files_checked == 3 and check.bytes_checked > 7000


def test_missing_altered_and_foreign_files_are_named(tmp_path: Path) -> None:
    root = _bundle(tmp_path)
    (root / "_internal" / "libfoo.so").unlink()
    (root / "_internal" / "resources" / "models" / "weights.bin").write_bytes(b"tampered")
    (root / "_internal" / "planted.py").write_text("print('hello')\n")
    check = verify_install(root)
    assert not check.ok
    assert check.problems == (
        "missing: _internal/libfoo.so",
        "altered: _internal/resources/models/weights.bin",
        "not part of the install: _internal/planted.py",
    )


def test_a_missing_or_garbled_file_list_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    root = _bundle(tmp_path)
    (root / FILE_LIST_NAME).write_text("not a list\n")
    assert verify_install(root).problems[0].startswith(f"unreadable: {FILE_LIST_NAME}")
    (root / FILE_LIST_NAME).unlink()
    assert verify_install(root).problems == (
        f"missing: {FILE_LIST_NAME} (the install's file list)",
    )


def test_long_lists_of_problems_are_cut_short(tmp_path: Path) -> None:
    root = tmp_path / "b"
    root.mkdir()
    for i in range(30):
        (root / f"f{i:02}").write_text(str(i))
    write_file_list(root)
    for i in range(30):
        (root / f"f{i:02}").unlink()
    problems = verify_install(root).problems
    assert len(problems) == 21 and problems[-1] == "missing: … and 10 more"


def test_the_source_tree_is_not_a_bundle() -> None:
    assert bundle_root() is None
    with pytest.raises(ValueError, match="not a frozen app"):
        verify_install()


def test_resources_are_found_in_one_place(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    source = Path(__file__).resolve().parents[2] / "resources"
    assert resources.resources_dir() == source
    assert bundled_models_dir() == source / "models"
    assert bundled_templates_dir() == source / "report_templates"
    # A PyInstaller bundle: sys.frozen and sys._MEIPASS.
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources.is_frozen()
    assert bundled_models_dir() == tmp_path / "resources" / "models"
    assert bundled_templates_dir() == tmp_path / "resources" / "report_templates"
    # An explicit folder wins over both.
    monkeypatch.setenv("RADASSIST_RESOURCES_DIR", str(tmp_path / "elsewhere"))
    assert resources.resource_path("fonts", "x.ttc") == tmp_path / "elsewhere" / "fonts" / "x.ttc"


@pytest.mark.parametrize("part", ["../secrets", "/etc/passwd", "models/../../x"])
def test_resource_paths_stay_inside_the_resources(part: str) -> None:
    with pytest.raises(ValueError, match="inside resources"):
        resources.resource_path(part)
