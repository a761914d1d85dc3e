"""scripts/third_party_licenses.py: the bundle's licence list and its GPL gate."""

from __future__ import annotations

import importlib.util
import shutil
import sys
import sysconfig
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "third_party_licenses.py"


@pytest.fixture(scope="module")
def tpl() -> ModuleType:
    spec = importlib.util.spec_from_file_location("third_party_licenses", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


FakeDist = Callable[..., Path]


def _table_rows(text: str) -> list[str]:
    """The rows of the output's component table (between its rule and the first blank line)."""
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("-----"))
    end = lines.index("", start)
    return lines[start + 1 : end]


@pytest.fixture
def fake_dist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeDist:
    """Install a fake distribution (a package, a native file, a dist-info) on ``sys.path``."""
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))

    def make(name: str, *metadata_lines: str, package: str | None = None) -> Path:
        package = package or name.replace("-", "_")
        (site / package).mkdir()
        (site / package / "__init__.py").write_text("", encoding="utf-8")
        (site / package / "_native.so").write_bytes(b"not really ELF")
        info = site / f"{package}-1.0.dist-info"
        info.mkdir()
        metadata = ["Metadata-Version: 2.4", f"Name: {name}", "Version: 1.0", *metadata_lines]
        (info / "METADATA").write_text("\n".join(metadata) + "\n", encoding="utf-8")
        (info / "top_level.txt").write_text(package + "\n", encoding="utf-8")
        (info / "LICENSE").write_text(f"The licence of {name}.\n", encoding="utf-8")
        records = [
            f"{package}/__init__.py,,",
            f"{package}/_native.so,,",
            f"{info.name}/METADATA,,",
            f"{info.name}/LICENSE,,",
            f"{info.name}/RECORD,,",
        ]
        (info / "RECORD").write_text("\n".join(records) + "\n", encoding="utf-8")
        return site / package

    return make


@pytest.mark.parametrize(
    ("expression", "verdict"),
    [
        ("MIT", "allowed"),
        ("BSD-3-Clause AND 0BSD AND MIT AND Zlib AND CC0-1.0", "allowed"),
        ("LGPL-3.0-only OR GPL-2.0-only OR GPL-3.0-only", "allowed"),
        ("Apache-2.0 OR GPL-3.0", "allowed"),
        ("LGPL-2.1+", "allowed"),
        ("MPL-2.0 AND MIT", "allowed"),
        ("GPL-3.0-or-later WITH GCC-exception-3.1", "allowed"),
        ("(GPL-2.0-or-later WITH Bootloader-exception) AND Apache-2.0", "allowed"),
        ("GPL-2+ or AFL-2.1, and Expat", "allowed"),  # Debian's comma precedence
        ("GPL-3+-autoconf-exception", "allowed"),  # Debian's spelling; configure scripts only
        ("GPL-3.0-only", "refused"),
        ("GPLv2", "refused"),
        ("AGPL-3.0-or-later", "refused"),
        ("MIT AND GPL-2.0-only", "refused"),
        ("GPL-2.0-only WITH OpenSSL-exception", "refused"),  # not a general linking exception
        ("EPL-2.0", "unknown"),
        ("Proprietary", "unknown"),
        ("", "unknown"),
    ],
)
def test_classify_licence(tpl: ModuleType, expression: str, verdict: str) -> None:
    assert tpl.classify_licence(expression) == verdict


def test_free_text_and_classifiers_are_normalised(tpl: ModuleType) -> None:
    assert tpl.normalise_expression("Apache 2.0 License") == ("Apache-2.0", True)
    assert tpl.normalise_expression("GPL-2+") == ("GPL-2.0-or-later", True)
    assert tpl.guess_licence_from_text("GNU LESSER GENERAL PUBLIC LICENSE v3") == "LGPL"
    assert tpl.guess_licence_from_text("GPLv2-or-later with a special exception") is None
    classifiers = ["License :: OSI Approved :: GNU General Public License v3 (GPLv3)"]
    assert tpl.licence_from_classifiers(classifiers) == "GPL-3.0-only"


def test_debian_copyright_reads_the_files_star_paragraph(tpl: ModuleType) -> None:
    dep5 = (
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n"
        "Files:\n *\nCopyright: someone\nLicense: GPL-3+\n\n"
        "Files: debian/*\nLicense: MIT\n"
    )
    assert tpl.debian_copyright_licence(dep5) == "GPL-3.0-or-later"
    assert tpl.debian_copyright_licence("This package was debianized by ...") is None


def test_a_gpl_only_distribution_is_refused_with_what_brought_it_in(
    tpl: ModuleType, fake_dist: FakeDist, tmp_path: Path
) -> None:
    package = fake_dist("fakegpl", "License-Expression: GPL-3.0-only")
    out = tmp_path / "THIRD_PARTY_LICENSES"
    with pytest.raises(tpl.LicenceError) as caught:
        tpl.write_licenses(
            ["json", "fakegpl", "fakegpl.engine"],
            [("fakegpl/_native.so", str(package / "_native.so"), "BINARY")],
            out,
        )
    message = str(caught.value)
    assert "fakegpl 1.0" in message
    assert "GPL-3.0-only" in message
    assert "fakegpl.engine" in message
    assert "fakegpl/_native.so" in message
    assert [c.name for c in caught.value.components] == ["fakegpl"]
    assert isinstance(caught.value, SystemExit)  # a build.spec stops with the message
    assert not out.exists()


def test_pylibjpeg_libjpeg_is_refused_whatever_its_metadata_says(
    tpl: ModuleType, fake_dist: FakeDist, tmp_path: Path
) -> None:
    fake_dist("pylibjpeg-libjpeg", "License: MIT", package="libjpeg")
    with pytest.raises(tpl.LicenceError, match=r"pylibjpeg-libjpeg 1\.0.*GPL-3\.0-only"):
        tpl.write_licenses(["libjpeg", "libjpeg._libjpeg"], [], tmp_path / "out")


@pytest.mark.parametrize(
    ("metadata", "licence"),
    [
        ("License-Expression: Apache-2.0 OR GPL-3.0-only", "Apache-2.0 OR GPL-3.0-only"),
        ("License: LGPL-2.1-or-later", "LGPL-2.1-or-later"),
        (
            "Classifier: License :: OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)",
            "LGPL-3.0-only",
        ),
    ],
)
def test_dual_and_lgpl_licences_pass_and_are_listed(
    tpl: ModuleType, fake_dist: FakeDist, tmp_path: Path, metadata: str, licence: str
) -> None:
    package = fake_dist("fakeok", metadata)
    out = tmp_path / "THIRD_PARTY_LICENSES"
    tpl.write_licenses(
        # build.spec also passes a.binaries' names among the modules: they are skipped there
        [("fakeok", str(package / "__init__.py"), "PYMODULE"), "os.path", "fakeok/_native.so"],
        [("fakeok/_native.so", str(package / "_native.so"))],
        out,
    )
    text = out.read_text(encoding="utf-8")
    rows = _table_rows(text)
    assert any(line.startswith("fakeok ") and line.endswith(licence) for line in rows)
    assert any(line.startswith("Python ") for line in rows)
    assert "The licence of fakeok." in text  # its dist-info LICENSE is copied in


def test_an_undeterminable_licence_fails_and_names_the_component(
    tpl: ModuleType, fake_dist: FakeDist, tmp_path: Path
) -> None:
    fake_dist("fakemystery")
    with pytest.raises(tpl.LicenceError, match=r"fakemystery 1\.0 .*UNKNOWN"):
        tpl.write_licenses(["fakemystery"], [], tmp_path / "out")


def test_unowned_modules_and_libraries_fail(tpl: ModuleType, tmp_path: Path) -> None:
    library = tmp_path / "libmystery.so.1"
    library.write_bytes(b"\x7fELF")
    with pytest.raises(tpl.LicenceError) as caught:
        tpl.write_licenses(
            ["no_such_module_anywhere.sub"], [("libmystery.so.1", str(library))], tmp_path / "o"
        )
    message = str(caught.value)
    assert "module no_such_module_anywhere" in message
    assert "libmystery.so.1" in message


READLINE = Path("/lib/x86_64-linux-gnu/libreadline.so.8")


@pytest.mark.skipif(
    shutil.which("dpkg-query") is None or not READLINE.exists(),
    reason="needs a Debian system with libreadline8",
)
def test_a_gpl_system_library_is_refused_with_the_module_that_links_it(
    tpl: ModuleType, tmp_path: Path
) -> None:
    binaries = [("libreadline.so.8", str(READLINE))]
    dynload = Path(sysconfig.get_paths()["platstdlib"]) / "lib-dynload"
    linking = sorted(dynload.glob("readline.*.so"))
    binaries += [(f"python3.11/lib-dynload/{p.name}", str(p)) for p in linking]
    with pytest.raises(tpl.LicenceError) as caught:
        tpl.write_licenses([], binaries, tmp_path / "out")
    message = str(caught.value)
    assert "libreadline8" in message
    assert "GPL-3.0-or-later" in message
    if linking:
        assert f"linked by python3.11/lib-dynload/{linking[0].name}" in message


def test_the_installed_dependency_closure_passes_and_is_listed(
    tpl: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "THIRD_PARTY_LICENSES"
    assert tpl.main(["--check-installed", "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    rows = {line.split()[0].lower().replace("_", "-"): line for line in _table_rows(text)}
    assert rows["torch"].endswith("MIT")
    assert "BSD-3-Clause" in rows["numpy"]
    assert rows["pydicom"].endswith("MIT")
    assert rows["pyside6-essentials"].endswith("LGPL-3.0-only OR GPL-2.0-only OR GPL-3.0-only")
    assert rows["python"].endswith("PSF-2.0")
    assert "radassist" not in rows
    assert "GNU LESSER GENERAL PUBLIC LICENSE" in text  # PySide6 ships no text: the standard one
    assert "all licences allowed" in capsys.readouterr().out
