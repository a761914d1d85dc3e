"""The built artefact, as a clinic gets it: extracted, read-only, no network, no Python.

`make test` builds the bundle (`make bundle`) from the tree under test and runs these
tests against ``dist/``: the ``.tar.gz`` is extracted into a fresh folder owned by root
and made read-only, and the frozen app runs as an unprivileged user (``nobody``) with an
empty environment (no PYTHONPATH, no venv on PATH, HOME a fresh folder, the working
directory elsewhere) under ``unshare -n`` (no network at all). Without a bundle the tests
fail when ``RADASSIST_REQUIRE_BUNDLE=1`` (what `make test` sets) and are skipped elsewhere.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "dist"
NOBODY = 65534


def _missing(reason: str) -> None:
    if os.environ.get("RADASSIST_REQUIRE_BUNDLE") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def build_info() -> dict[str, object]:
    info = DIST / "build-info.json"
    if not info.is_file():
        _missing("no bundle in dist/ (run `make bundle`)")
    data: dict[str, object] = json.loads(info.read_text(encoding="utf-8"))
    return data


def _artefact(build_info: dict[str, object], suffix: str) -> Path:
    artefacts = build_info.get("artefacts") or {}
    assert isinstance(artefacts, dict)
    names = [name for name in artefacts if name.endswith(suffix)]
    if not names:
        _missing(f"the build made no {suffix} (packages are made on Linux x86-64)")
    path = DIST / names[0]
    assert path.is_file(), f"{path} is listed in build-info.json but missing"
    return path


@pytest.fixture(scope="session")
def tarball(build_info: dict[str, object]) -> Path:
    return _artefact(build_info, ".tar.gz")


@pytest.fixture(scope="session")
def deb(build_info: dict[str, object]) -> Path:
    return _artefact(build_info, ".deb")


def shared_dir(prefix: str) -> Path:
    """A fresh folder the unprivileged user can read (mkdtemp's 0700 would hide it)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


def make_read_only(path: Path) -> None:
    subprocess.run(["chmod", "-R", "a-w", str(path)], check=True)


@pytest.fixture(scope="session")
def installed(tarball: Path) -> Iterator[Path]:
    """The .tar.gz extracted into a fresh read-only folder: the bundle's executable."""
    base = shared_dir("radassist-install-")
    try:
        with tarfile.open(tarball) as archive:
            archive.extractall(base, filter="tar")
        folders = [p for p in base.iterdir() if p.is_dir()]
        assert len(folders) == 1, f"the archive should hold one folder, found {folders}"
        executable = folders[0] / "radassist"
        assert executable.is_file(), f"no executable at the top of {folders[0]}"
        make_read_only(base)
        yield executable
    finally:
        subprocess.run(["chmod", "-R", "u+w", str(base)], check=False)
        shutil.rmtree(base, ignore_errors=True)


@dataclass
class Sandbox:
    """Where a frozen run lives: a fresh HOME and a working folder, both the user's own."""

    base: Path
    home: Path
    cwd: Path
    as_nobody: bool

    def own(self, path: Path) -> None:
        """Hand a folder (outputs) to the user the frozen app runs as."""
        if self.as_nobody:
            subprocess.run(["chown", "-R", f"{NOBODY}:{NOBODY}", str(path)], check=True)

    def readable(self, path: Path) -> None:
        subprocess.run(["chmod", "-R", "a+rX", str(path)], check=True)

    def command(
        self, argv: Sequence[str], *, display: str | None = None, network: bool = False
    ) -> list[str]:
        env = {"HOME": str(self.home), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
        if display:
            env["DISPLAY"] = display
        command = ["env", "-i", *(f"{key}={value}" for key, value in env.items()), *argv]
        if self.as_nobody:
            command = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                       "--", *command]  # fmt: skip
        if not network:
            command = ["unshare", "-n" if os.geteuid() == 0 else "-rn", "--", *command]
        return command

    def run(
        self,
        argv: Sequence[str],
        *,
        display: str | None = None,
        timeout: float = 300,
        network: bool = False,
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.command(argv, display=display, network=network),
            cwd=self.cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    if shutil.which("unshare") is None:
        _missing("unshare (util-linux) is needed to run the bundle without network")
    as_nobody = os.geteuid() == 0 and shutil.which("setpriv") is not None
    base = shared_dir("radassist-user-")
    box = Sandbox(base, base / "home", base / "elsewhere", as_nobody)
    box.home.mkdir()
    box.cwd.mkdir()
    box.own(box.home)
    box.own(box.cwd)
    try:
        yield box
    finally:
        shutil.rmtree(base, ignore_errors=True)
