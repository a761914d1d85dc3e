"""Build the RadAssist bundle and its Linux packages (`make bundle`).

1. PyInstaller builds the one-folder bundle from build.spec into ``dist/<name>/``.
2. Every file of the bundle is hashed into its ``RADASSIST-FILES.sha256`` (what
   ``radassist --self-test`` and ``sha256sum -c`` check an install against).
3. On Linux x86-64: ``dist/radassist-<version>-linux-x86_64.tar.gz`` (the folder) and
   ``dist/radassist_<version>_amd64.deb`` (the folder under /opt/radassist, a ``radassist``
   launcher on PATH, a desktop entry with icon, MIME types for DICOM files and DICOMDIR).
4. ``dist/build-info.json``: how long each step took and how large each artefact is, for
   ``make bench``.

Usage: ``python scripts/build_bundle.py [--skip-pyinstaller]`` from the repository root.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.install import FILE_LIST_NAME, write_file_list  # noqa: E402

DIST = ROOT / "dist"
WORK = ROOT / "build" / "pyinstaller"
APP = "radassist" if sys.platform.startswith("linux") else "RadAssist"
INSTALL_PREFIX = "/opt/radassist"
ICON_SIZES = {"256x256": "radassist.png", "48x48": "radassist-48.png",
              "32x32": "radassist-32.png", "16x16": "radassist-16.png"}  # fmt: skip
#: What the bundle takes from the system on Debian/Ubuntu: the C library, OpenGL/EGL and
#: the X11/xcb libraries Qt's xcb platform plugin loads, fontconfig and D-Bus.
DEB_DEPENDS = (
    "libc6 (>= 2.31), libgl1, libegl1, libfontconfig1, libfreetype6, libdbus-1-3, "
    "libx11-6, libx11-xcb1, libxkbcommon0, libxkbcommon-x11-0, libxcb1, libxcb-cursor0, "
    "libxcb-icccm4, libxcb-keysyms1, libxcb-image0, libxcb-render-util0, libxcb-shape0, "
    "libxcb-xkb1, libxcb-randr0, libxcb-xfixes0, libxcb-sync1, libxcb-shm0, libxcb-render0"
)


#: What the bundle is made of (the Makefile rebuilds it when one of these changes).
BUNDLE_INPUTS = (
    "core", "desktop", "resources", "packaging", "build.spec", "pyproject.toml",
    "scripts/build_bundle.py", "scripts/third_party_licenses.py", "scripts/licences",
)  # fmt: skip


def inputs_digest(root: Path = ROOT) -> str:
    """SHA-256 over the tracked files the bundle is built from, as they are on disk.

    The bundle tests compare it with the one recorded at build time, so the artefact
    tested is the one built from the tree under test.
    """
    import hashlib

    listed = (
        subprocess.run(
            ["git", "ls-files", "-z", *BUNDLE_INPUTS], cwd=root, capture_output=True, check=True
        )
        .stdout.decode()
        .split("\0")
    )
    digest = hashlib.sha256()
    for name in sorted(filter(None, listed)):
        path = root / name
        if path.is_file():
            digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        return str(tomllib.load(handle)["project"]["version"])


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def run_pyinstaller() -> None:
    """PyInstaller on build.spec, its output passed on without the hooks' import noise.

    torch's hook imports every torch module to list them (in PyInstaller's isolated child,
    which ignores PYTHONWARNINGS): hundreds of deprecation notices that say nothing about
    the bundle. Every other line is passed on.
    """
    process = subprocess.Popen(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
         "--distpath", str(DIST), "--workpath", str(WORK), str(ROOT / "build.spec")],
        cwd=ROOT, stderr=subprocess.PIPE, text=True, errors="replace",
    )  # fmt: skip
    assert process.stderr is not None
    for line in process.stderr:
        if (
            "DeprecationWarning" in line
            or "FutureWarning" in line
            or line.strip() == ("__import__(name)")
        ):
            continue
        sys.stderr.write(line)
    if process.wait() != 0:
        raise SystemExit(f"build_bundle: PyInstaller failed with exit code {process.returncode}")


def _compressor() -> list[str]:
    """pigz (both cores) where installed, else gzip: the archive is the same format."""
    return ["pigz", "-6"] if shutil.which("pigz") else ["gzip", "-6"]


def make_tarball(bundle: Path, target: Path) -> None:
    with target.open("wb") as out:
        tar = subprocess.Popen(
            ["tar", "--owner=0", "--group=0", "--numeric-owner", "-C", str(bundle.parent),
             "-cf", "-", bundle.name],
            stdout=subprocess.PIPE,
        )  # fmt: skip
        assert tar.stdout is not None
        subprocess.run(_compressor(), stdin=tar.stdout, stdout=out, check=True)
        tar.stdout.close()
        if tar.wait() != 0:
            raise SystemExit(f"tar failed with exit code {tar.returncode}")


def _write(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)


def make_deb(bundle: Path, target: Path, ver: str) -> None:
    """A .deb that installs the bundle under /opt/radassist (dpkg-deb, gzip for old dpkg)."""
    stage = ROOT / "build" / "deb"
    shutil.rmtree(stage, ignore_errors=True)
    opt = stage / INSTALL_PREFIX.lstrip("/")
    opt.parent.mkdir(parents=True)
    # Hard links: the staging copy costs no space or time; dpkg-deb reads the files.
    subprocess.run(["cp", "-al", str(bundle), str(opt)], check=True)
    launcher = f'#!/bin/sh\n# RadAssist launcher: the bundle lives in {INSTALL_PREFIX}.\nexec {INSTALL_PREFIX}/{APP} "$@"\n'  # noqa: E501
    _write(stage / "usr" / "bin" / "radassist", launcher, 0o755)
    linux = ROOT / "packaging" / "linux"
    share = stage / "usr" / "share"
    (share / "applications").mkdir(parents=True)
    shutil.copy2(linux / "radassist.desktop", share / "applications" / "radassist.desktop")
    (share / "mime" / "packages").mkdir(parents=True)
    shutil.copy2(linux / "radassist-mime.xml", share / "mime" / "packages" / "radassist.xml")
    for size, name in ICON_SIZES.items():
        icon_dir = share / "icons" / "hicolor" / size / "apps"
        icon_dir.mkdir(parents=True)
        shutil.copy2(ROOT / "resources" / "icons" / name, icon_dir / "radassist.png")
    doc = share / "doc" / "radassist"
    doc.mkdir(parents=True)
    shutil.copy2(bundle / "_internal" / "THIRD_PARTY_LICENSES", doc / "copyright")
    installed_kib = folder_size(stage) // 1024
    control = (
        f"Package: radassist\nVersion: {ver}\nArchitecture: amd64\nSection: science\n"
        "Priority: optional\nMaintainer: RadAssist <support@radassist.invalid>\n"
        f"Installed-Size: {installed_kib}\nDepends: {DEB_DEPENDS}\n"
        "Description: offline radiology assistant\n"
        " Reads DICOM studies as a reading workstation does, runs local CNN analysis\n"
        " with heatmaps and drafts the report with a local language model, all on the\n"
        " workstation. Check an install with: radassist --self-test\n"
    )
    _write(stage / "DEBIAN" / "control", control)
    for script in ("postinst", "postrm"):
        shutil.copy2(linux / script, stage / "DEBIAN" / script)
        (stage / "DEBIAN" / script).chmod(0o755)
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", "-Zgzip", "-z6", "--build", str(stage), str(target)],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    shutil.rmtree(stage)


SELFTEST_GGUF_DIR = ROOT / "build" / "selftest-gguf"


def build_selftest_gguf() -> Path:
    """The self-test's tiny GGUF model, sealed, where build.spec takes it from.

    A tiny random Llama with the tests' tokenizer and chat template
    (``tests/core/llm_helpers.py``, seeded: the same bytes every build), converted by the
    product's own converter (:func:`core.report.llm.gguf_convert.convert_to_gguf`) and
    hashed into its folder's ``radassist-manifest.json``: the installed bundle verifies
    it before drafting with it, as any imported model.
    """
    from core.report.llm.gguf import SELFTEST_GGUF_FOLDER, SELFTEST_GGUF_NAME
    from tests.core.llm_helpers import make_tiny_gguf

    shutil.rmtree(SELFTEST_GGUF_DIR, ignore_errors=True)
    folder = SELFTEST_GGUF_DIR / SELFTEST_GGUF_FOLDER[-1]
    file = make_tiny_gguf(folder, output_type="f32", file_name=SELFTEST_GGUF_NAME)
    shutil.rmtree(SELFTEST_GGUF_DIR / f"{folder.name}-hf")  # the Hugging Face original
    return file


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-pyinstaller", action="store_true", help="package dist/ as is")
    args = parser.parse_args()
    ver = version()
    timings: dict[str, float] = {}
    started = time.perf_counter()
    if not args.skip_pyinstaller:
        # The compiled catalogues (.qm, .mo) build.spec carries: built from today's sources.
        subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "translations.py"), "build"], check=True
        )
        build_selftest_gguf()
        run_pyinstaller()
    timings["pyinstaller_s"] = time.perf_counter() - started
    bundle = DIST / APP
    if not bundle.is_dir():
        raise SystemExit(f"build_bundle: PyInstaller left no {bundle}")
    step = time.perf_counter()
    (bundle / FILE_LIST_NAME).unlink(missing_ok=True)
    write_file_list(bundle)
    timings["file_list_s"] = time.perf_counter() - step
    artefacts: dict[str, int] = {}
    linux_x64 = sys.platform.startswith("linux") and platform.machine() in ("x86_64", "AMD64")
    if linux_x64:
        tarball = DIST / f"radassist-{ver}-linux-x86_64.tar.gz"
        step = time.perf_counter()
        make_tarball(bundle, tarball)
        timings["tar_gz_s"] = time.perf_counter() - step
        deb = DIST / f"radassist_{ver}_amd64.deb"
        step = time.perf_counter()
        make_deb(bundle, deb, ver)
        timings["deb_s"] = time.perf_counter() - step
        artefacts = {tarball.name: tarball.stat().st_size, deb.name: deb.stat().st_size}
    else:
        print(f"build_bundle: packages are made on Linux x86-64 only; the folder is {bundle}")
    timings["total_s"] = time.perf_counter() - started
    info = {
        "version": ver,
        "platform": f"{sys.platform}-{platform.machine()}",
        "folder": str(bundle.relative_to(ROOT)),
        "folder_bytes": folder_size(bundle),
        "folder_files": sum(1 for p in bundle.rglob("*") if p.is_file()),
        "artefacts": artefacts,
        "timings": {key: round(value, 1) for key, value in timings.items()},
        "commit": _git_commit(),
        "inputs_sha256": inputs_digest(),
    }
    (DIST / "build-info.json").write_text(json.dumps(info, indent=2), encoding="utf-8")
    mib = 1024 * 1024
    print(f"bundle {bundle.relative_to(ROOT)}: {info['folder_bytes'] / mib:.0f} MiB, "
          f"{info['folder_files']} files; built in {timings['total_s']:.0f} s")  # fmt: skip
    for name, size in artefacts.items():
        print(f"  dist/{name}: {size / mib:.0f} MiB")
    return 0


def _git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True,
                               text=True).stdout.strip()  # fmt: skip
        return out.stdout.strip() + ("+dirty" if dirty else "")
    except OSError:
        return "unknown"


if __name__ == "__main__":
    sys.exit(main())
