"""scripts/build_llama_cpp.py keeps the wheel it compiled where the next install finds it."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from tests.core.test_demo_model import load_script


def _script() -> ModuleType:
    return load_script("build_llama_cpp")


def test_the_wheel_is_kept_beside_pips_cache_named_by_its_recipe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = _script()
    monkeypatch.setenv("PIP_CACHE_DIR", str(tmp_path / "pip-cache"))
    monkeypatch.delenv("PIP_NO_CACHE_DIR", raising=False)
    folder = script._cache_folder()
    assert folder is not None
    assert folder.parent == tmp_path / "pip-cache" / "radassist-built"
    assert folder.name.startswith(f"llama-cpp-python-{script.VERSION}-")
    assert script._cache_folder() == folder  # the same recipe finds the same wheel

    # Another recipe (the script's text: its version, CMake arguments, variants) another.
    changed = tmp_path / "build_llama_cpp.py"
    changed.write_text(Path(script.__file__).read_text() + "\n# another recipe\n")
    monkeypatch.setattr(script, "__file__", str(changed))
    assert script._cache_folder() not in (None, folder)


def test_with_pips_cache_off_nothing_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")
    assert _script()._cache_folder() is None


def test_a_kept_wheel_that_does_not_install_is_built_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = _script()
    cache = tmp_path / "kept"
    cache.mkdir()
    broken = cache / "llama_cpp_python-0.0-py3-none-linux_x86_64.whl"
    broken.write_bytes(b"half a wheel")
    installed: list[Path] = []
    built: list[Path] = []

    def build(target: Path) -> Path:
        built.append(target)
        wheel = target / "llama_cpp_python-0.1-py3-none-linux_x86_64.whl"
        wheel.write_bytes(b"a wheel")
        return wheel

    monkeypatch.setattr(script, "_installed", lambda: False)
    monkeypatch.setattr(script, "_cache_folder", lambda: cache)
    monkeypatch.setattr(script, "_build_wheel", build)

    def install(wheel: Path) -> bool:
        installed.append(wheel)
        return wheel.read_bytes() == b"a wheel"

    monkeypatch.setattr(script, "_install", install)
    assert script.main() == 0
    assert not broken.exists() and built == [cache]
    assert [w.name for w in installed] == [
        broken.name,
        "llama_cpp_python-0.1-py3-none-linux_x86_64.whl",
    ]
    installed.clear()
    built.clear()
    assert script.main() == 0  # the next install takes the kept wheel
    assert built == [] and len(installed) == 1
