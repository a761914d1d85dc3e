"""What is in the bundle and its packages, and the .deb installed as a clinic installs it."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from tests.bundle.conftest import ROOT, Sandbox

GB = 1_000_000_000
MB = 1_000_000


def test_sizes_are_within_the_targets(build_info: dict[str, object]) -> None:
    folder = build_info["folder_bytes"]
    assert isinstance(folder, int) and folder <= 1.0 * GB, f"installed folder {folder / GB:.2f} GB"
    artefacts = build_info["artefacts"]
    assert isinstance(artefacts, dict) and artefacts
    for name, size in artefacts.items():
        assert size <= 400 * MB, f"{name}: {size / MB:.0f} MB"


def _members(tarball: Path) -> list[str]:
    with tarfile.open(tarball) as archive:
        return archive.getnames()


def test_the_bundle_holds_what_the_app_needs_and_nothing_it_does_not(tarball: Path) -> None:
    names = _members(tarball)
    top = names[0].split("/")[0]
    inside = {name.removeprefix(f"{top}/") for name in names}
    for needed in (
        "radassist",
        "RADASSIST-FILES.sha256",
        "_internal/THIRD_PARTY_LICENSES",
        "_internal/resources/models/radassist-demo-cxr/manifest.json",
        "_internal/resources/models/radassist-demo-cxr/model.safetensors",
        "_internal/resources/report_templates/en.json",
        "_internal/resources/report_templates/zh-CN.json",
        "_internal/resources/icons/radassist.png",
        "_internal/resources/translations/radassist_zh_CN.qm",  # scripts/translations.py build
        "_internal/resources/translations/zh_CN/core.mo",
        "_internal/torch/bin/torch_shm_manager",
    ):
        assert needed in inside, f"{needed} is missing from the bundle"
    unwanted = {
        "C/C++ headers": lambda n: n.endswith((".h", ".hpp", ".cuh")),
        "CUDA": lambda n: "libcudart" in n or "libcublas" in n or "/nvidia/" in n,
        "QML/Quick": lambda n: "libQt6Quick" in n or "libQt6Qml" in n or "/qml/" in n,
        "WebEngine": lambda n: "WebEngine" in n,
        "tests and dev tools": lambda n: (
            n.startswith(("_internal/pytest", "_internal/mypy/"))
            or ("/tests/" in n and "/resources/" not in n)
        ),
        "GPL decoder pylibjpeg-libjpeg": lambda n: "/libjpeg/" in n or "_libjpeg" in n,
        "torch test programs": lambda n: n.startswith("_internal/torch/bin/test_"),
    }
    for what, match in unwanted.items():
        found = sorted(n for n in inside if match(n))
        assert not found, f"{what} in the bundle: {found[:5]}"


def test_the_licence_file_lists_every_component(tarball: Path) -> None:
    with tarfile.open(tarball) as archive:
        member = next(m for m in archive.getmembers() if m.name.endswith("THIRD_PARTY_LICENSES"))
        handle = archive.extractfile(member)
        assert handle is not None
        text = handle.read().decode("utf-8")
    for component in ("torch", "numpy", "pydicom", "PySide6", "transformers", "Python"):
        assert component in text, f"{component} is not in THIRD_PARTY_LICENSES"
    assert "pylibjpeg-libjpeg" not in text


# ---- The .deb ------------------------------------------------------------------------------


def _dpkg(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["dpkg", *args], capture_output=True, text=True, timeout=300)


def test_the_deb_declares_itself_properly(deb: Path) -> None:
    if shutil.which("dpkg-deb") is None:
        pytest.skip("dpkg-deb is not installed")
    info = subprocess.run(["dpkg-deb", "--info", str(deb)], capture_output=True, text=True)
    assert info.returncode == 0, info.stderr
    assert "Package: radassist" in info.stdout
    assert "Architecture: amd64" in info.stdout
    contents = subprocess.run(["dpkg-deb", "--contents", str(deb)], capture_output=True, text=True)
    listing = contents.stdout
    for path in ("./opt/radassist/radassist", "./usr/bin/radassist",
                 "./usr/share/applications/radassist.desktop",
                 "./usr/share/mime/packages/radassist.xml",
                 "./usr/share/icons/hicolor/256x256/apps/radassist.png",
                 "./usr/share/doc/radassist/copyright"):  # fmt: skip
        assert path in listing, f"{path} is not in the .deb"


def test_dpkg_installs_the_deb_its_launcher_passes_the_self_test_and_it_removes_cleanly(
    deb: Path, sandbox: Sandbox
) -> None:
    if os.geteuid() != 0 or shutil.which("dpkg") is None:
        pytest.skip("installing a .deb needs root and dpkg")
    if Path("/opt/radassist").exists() and _dpkg("-s", "radassist").returncode != 0:
        pytest.fail("/opt/radassist exists but no radassist package owns it: not touching it")
    installed = _dpkg("-i", str(deb))
    try:
        assert installed.returncode == 0, installed.stdout + installed.stderr
        launcher = Path("/usr/bin/radassist")
        assert launcher.is_file() and os.access(launcher, os.X_OK)
        desktop = Path("/usr/share/applications/radassist.desktop").read_text(encoding="utf-8")
        assert "MimeType=application/dicom;" in desktop
        result = sandbox.run([str(launcher), "--self-test"], timeout=300)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        assert result.stdout.strip().splitlines()[-1].startswith("self-test passed")
        # Installed as root, run as a user: nothing was written into the install.
        stray = subprocess.run(
            ["find", "/opt/radassist", "-type", "f", "-newer",
             "/opt/radassist/RADASSIST-FILES.sha256"],
            capture_output=True, text=True,
        ).stdout.split()  # fmt: skip
        assert stray == [], stray[:5]
    finally:
        removed = _dpkg("--purge", "radassist")
    assert removed.returncode == 0, removed.stdout + removed.stderr
    assert not Path("/opt/radassist").exists()
    assert not Path("/usr/bin/radassist").exists()
    assert not Path("/usr/share/applications/radassist.desktop").exists()


def test_the_artefact_was_built_from_the_tree_under_test(build_info: dict[str, object]) -> None:
    spec = importlib.util.spec_from_file_location(
        "build_bundle", ROOT / "scripts" / "build_bundle.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert build_info.get("inputs_sha256") == module.inputs_digest(), (
        "dist/ was built from other sources than the tree under test: run `make bundle`"
    )
