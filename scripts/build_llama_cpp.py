"""Install llama-cpp-python (the GGUF engine) into this venv, compiled portably and lean.

llama-cpp-python ships only a source distribution: pip compiles llama.cpp. Built as is
with llama.cpp's CPU-variant backends (``GGML_CPU_ALL_VARIANTS``), it compiles the CPU
backend 14 times and a "common" library RadAssist never loads: 13 minutes on a 2-core
machine, most of `make test`'s budget. This script takes the same pinned source
distribution from the package index and changes two lines of its CMake before pip
builds it:

* the CPU backend is built for four x86-64 levels instead of 14, each loaded at run time
  only on a CPU that has its instructions (``GGML_BACKEND_DL``): ``x64`` (any x86-64 CPU:
  the fallback), ``haswell`` (AVX2/FMA: most workstations since 2013-2015),
  ``skylakex`` (AVX-512: Xeon workstations, AMD Zen 4 and later) and ``alderlake``
  (AVX-VNNI: Intel desktops since 2021). The levels between fall back to the one below
  (slower, never wrong): no ``-march=native``, so the build runs on any x86-64 CPU;
* llama-cpp-python's forced ``LLAMA_BUILD_COMMON`` is turned off (with the multimodal
  library off, nothing it installs uses it).

Each change is checked to apply exactly once, so a new llama-cpp-python version that
moved those lines fails here, loudly, instead of building something else.

The built wheel is kept beside pip's cache (``<pip cache dir>/radassist-built/``), keyed
by this script's text (the version, the CMake arguments, the variants), the Python
version and the machine: a fresh clone's install takes it in seconds instead of
compiling again. pip's own wheel cache never matched here: it keys a local source by
its path, and each build's scratch folder has a new name. Where pip's cache is off, the
wheel is built each time, as before.

    python scripts/build_llama_cpp.py            # install into the running interpreter
"""

from __future__ import annotations

import hashlib
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VERSION = "0.3.36"  # the version pyproject.toml pins
#: The CPU backend's x86-64 levels kept (ggml/src/CMakeLists.txt names), in its order.
CPU_VARIANTS = ("x64", "haswell", "skylakex", "alderlake")
CMAKE_ARGS = (
    "-DGGML_NATIVE=OFF -DGGML_BACKEND_DL=ON -DGGML_CPU_ALL_VARIANTS=ON "
    "-DCMAKE_INSTALL_BINDIR=llama_cpp/lib -DLLAVA_BUILD=OFF -DLLAMA_BUILD_TESTS=OFF "
    "-DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF "
    "-DLLAMA_OPENSSL=OFF"
)


def _replace_once(path: Path, pattern: str, replacement: str) -> None:
    text = path.read_text(encoding="utf-8")
    new, count = re.subn(pattern, replacement, text, flags=re.MULTILINE)
    if count != 1:
        raise SystemExit(
            f"build_llama_cpp: expected one match of {pattern!r} in {path}, found {count}; "
            f"llama-cpp-python {VERSION}'s CMake changed: update this script"
        )
    path.write_text(new, encoding="utf-8")


def _keep_variants(path: Path) -> None:
    """Comment out every x86 ggml_add_cpu_backend_variant(...) line not in CPU_VARIANTS."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    kept: list[str] = []
    x86_names = {
        "x64", "sse42", "sandybridge", "ivybridge", "piledriver", "haswell", "skylakex",
        "cannonlake", "cascadelake", "icelake", "cooperlake", "zen4", "alderlake",
        "sapphirerapids",
    }  # fmt: skip
    seen: set[str] = set()
    for line in lines:
        match = re.match(r"\s*ggml_add_cpu_backend_variant\((\w+)", line)
        if match and match.group(1) in x86_names:
            seen.add(match.group(1))
            if match.group(1) not in CPU_VARIANTS:
                line = "# (RadAssist: not built) " + line.lstrip()
        kept.append(line)
    if seen != x86_names:
        raise SystemExit(f"build_llama_cpp: x86 variants in {path} are {sorted(seen)}: update")
    path.write_text("".join(kept), encoding="utf-8")


def _installed() -> bool:
    """This version, built by this script (its four CPU backends), is already installed."""
    from importlib import metadata

    try:
        if metadata.version("llama-cpp-python") != VERSION:
            return False
        files = metadata.files("llama-cpp-python") or []
    except metadata.PackageNotFoundError:
        return False
    built = {f.name for f in files if f.name.startswith("libggml-cpu-")}
    return built == {f"libggml-cpu-{name}.so" for name in CPU_VARIANTS}


def _cache_folder() -> Path | None:
    """Where this build's wheel is kept: a folder beside pip's cache, named by what the
    wheel is made of; None where pip's cache is off."""
    found = subprocess.run(
        [sys.executable, "-m", "pip", "cache", "dir"], capture_output=True, text=True
    )
    if found.returncode != 0 or not found.stdout.strip():
        return None  # pip's cache is disabled (PIP_NO_CACHE_DIR): build every time
    recipe = hashlib.sha256(Path(__file__).read_bytes())
    recipe.update(f"{sys.version_info[:2]} {sys.platform} {platform.machine()}".encode())
    return (
        Path(found.stdout.strip())
        / "radassist-built"
        / (f"llama-cpp-python-{VERSION}-{recipe.hexdigest()[:16]}")
    )


def _build_wheel(target: Path) -> Path:
    """Compile the patched source distribution into a wheel in ``target``."""
    python = sys.executable
    with tempfile.TemporaryDirectory(prefix="radassist-llama-") as scratch:
        work = Path(scratch)
        subprocess.run(
            [python, "-m", "pip", "download", "-q", "--no-binary", ":all:", "--no-deps",
             f"llama-cpp-python=={VERSION}", "-d", str(work)],
            check=True,
        )  # fmt: skip
        (archive,) = work.glob("llama_cpp_python-*.tar.gz")
        with tarfile.open(archive) as tar:
            tar.extractall(work, filter="data")
        source = work / f"llama_cpp_python-{VERSION}"
        _replace_once(
            source / "CMakeLists.txt",
            r'^(\s*)set\(LLAMA_BUILD_COMMON ON CACHE BOOL "Build llama.cpp common library" FORCE\)',
            r'\1set(LLAMA_BUILD_COMMON OFF CACHE BOOL "Build llama.cpp common library" FORCE)',
        )
        _keep_variants(source / "vendor/llama.cpp/ggml/src/CMakeLists.txt")
        env = {
            **os.environ,
            "CMAKE_ARGS": CMAKE_ARGS,
            "FORCE_CMAKE": "1",
            "CMAKE_BUILD_PARALLEL_LEVEL": str(os.cpu_count() or 2),
        }
        built = work / "wheel"
        subprocess.run(
            [python, "-m", "pip", "wheel", "-q", "--no-deps", "--no-cache-dir", "-w", str(built),
             str(source)],
            check=True, env=env,
        )  # fmt: skip
        (wheel,) = built.glob("llama_cpp_python-*.whl")
        target.mkdir(parents=True, exist_ok=True)
        partial = target / f".{wheel.name}.partial"
        shutil.copyfile(wheel, partial)
        return partial.replace(target / wheel.name)  # whole or absent, never half a wheel


def _install(wheel: Path) -> bool:
    # --force-reinstall: the same version built otherwise (other CPU variants) is replaced.
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", str(wheel)]
    )
    return done.returncode == 0


def main() -> int:
    if _installed():
        print(f"llama-cpp-python {VERSION} (portable CPU backends) is installed")
        return 0
    cache = _cache_folder()
    if cache is None:
        with tempfile.TemporaryDirectory(prefix="radassist-llama-wheel-") as scratch:
            if not _install(_build_wheel(Path(scratch))):
                raise SystemExit("build_llama_cpp: the built wheel did not install")
        return 0
    kept = sorted(cache.glob("llama_cpp_python-*.whl"))
    if kept:
        if _install(kept[0]):
            print(f"llama-cpp-python {VERSION}: installed the wheel built before ({kept[0]})")
            return 0
        print(f"build_llama_cpp: the kept wheel {kept[0]} did not install; building again")
        kept[0].unlink()
    if not _install(_build_wheel(cache)):
        raise SystemExit("build_llama_cpp: the built wheel did not install")
    return 0


if __name__ == "__main__":
    sys.exit(main())
