"""The registry: bundled and user packages, lookup, verification, import."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from core.analysis.errors import (
    HashMismatchError,
    ModelNotFoundError,
    ModelPackageError,
    UnsafeWeightsError,
)
from core.analysis.manifest import MANIFEST_NAME
from core.analysis.registry import ModelRegistry, bundled_models_dir, user_models_dir
from tests.core.package_helpers import make_package

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    bundled, user = tmp_path / "bundled", tmp_path / "user"
    bundled.mkdir()
    user.mkdir()
    return bundled, user


def test_lists_bundled_and_user_packages_and_the_broken_ones(dirs: tuple[Path, Path]) -> None:
    bundled, user = dirs
    make_package(bundled / "demo", name="demo-cxr", version="1.0")
    make_package(user / "mine-2", name="mine", version="2.0", demo=False)
    make_package(user / "mine-10", name="mine", version="10.0", demo=False)
    (user / "broken").mkdir()
    (user / "broken" / MANIFEST_NAME).write_text("{", encoding="utf-8")
    (user / "empty").mkdir()
    (user / ".import-leftover").mkdir()
    (user / "stray.txt").write_text("not a package", encoding="utf-8")

    packages, problems = ModelRegistry(bundled, user).scan()
    assert [(p.manifest.name, p.manifest.version, p.origin) for p in packages] == [
        ("demo-cxr", "1.0", "bundled"),
        ("mine", "2.0", "user"),
        ("mine", "10.0", "user"),  # numeric version order
    ]
    assert not any(p.verified for p in packages)
    assert sorted(p.folder.name for p in problems) == ["broken", "empty"]
    reasons = {p.folder.name: p.reason for p in problems}
    assert "not JSON" in reasons["broken"] and "no manifest.json" in reasons["empty"]


def test_get_by_name_returns_the_newest_verified_version(dirs: tuple[Path, Path]) -> None:
    bundled, user = dirs
    make_package(bundled / "a", name="cxr", version="1.9")
    make_package(user / "b", name="cxr", version="1.10")
    registry = ModelRegistry(bundled, user)
    package = registry.get("cxr")
    assert package.manifest.version == "1.10" and package.verified and package.origin == "user"
    assert registry.get("cxr", version="1.9").origin == "bundled"


def test_same_version_in_both_places_prefers_the_users(dirs: tuple[Path, Path]) -> None:
    bundled, user = dirs
    make_package(bundled / "a", name="cxr", version="1.0")
    make_package(user / "b", name="cxr", version="1.0", description="user copy")
    assert ModelRegistry(bundled, user).get("cxr").origin == "user"


def test_get_by_folder(dirs: tuple[Path, Path], tmp_path: Path) -> None:
    bundled, user = dirs
    make_package(bundled / "demo")
    elsewhere = make_package(tmp_path / "elsewhere")
    registry = ModelRegistry(bundled, user)
    assert registry.get(str(bundled / "demo")).origin == "bundled"
    assert registry.get(elsewhere).origin == "folder"
    with pytest.raises(ModelNotFoundError, match="no such model package folder"):
        registry.get(tmp_path / "absent")


def test_unknown_name_lists_the_known_ones(dirs: tuple[Path, Path]) -> None:
    bundled, user = dirs
    make_package(bundled / "demo", name="demo-cxr", version="1.0")
    with pytest.raises(ModelNotFoundError, match=r"known: demo-cxr 1\.0"):
        ModelRegistry(bundled, user).get("chexpert")
    with pytest.raises(ModelNotFoundError, match=r"demo-cxr 2\.0"):
        ModelRegistry(bundled, user).get("demo-cxr", version="2.0")


def test_get_verifies_and_notices_later_tampering(dirs: tuple[Path, Path]) -> None:
    bundled, user = dirs
    folder = make_package(user / "p", name="p")
    registry = ModelRegistry(bundled, user)
    first = registry.get("p")
    assert registry.get("p") is first  # unchanged files: not hashed again
    card = folder / "MODEL_CARD.md"
    card.write_text("# changed!!\n", encoding="utf-8")
    os.utime(card, ns=(1, 1))
    with pytest.raises(HashMismatchError, match="MODEL_CARD"):
        registry.get("p")


def test_import_copies_a_verified_package_into_the_user_dir(
    dirs: tuple[Path, Path], tmp_path: Path
) -> None:
    bundled, user = dirs
    source = make_package(tmp_path / "download", name="imported", version="3.1")
    registry = ModelRegistry(bundled, user)
    installed = registry.import_package(source)
    assert installed.folder == user / "imported-3.1"
    assert installed.origin == "user" and installed.verified
    assert sorted(p.name for p in installed.folder.iterdir()) == [
        "MODEL_CARD.md",
        MANIFEST_NAME,
        "model.safetensors",
    ]
    assert [p.manifest.name for p in registry.list_packages()] == ["imported"]
    assert registry.import_package(source).folder == installed.folder  # idempotent
    assert source.exists()  # the source is left as it was


def test_import_refuses_a_different_package_with_the_same_version(
    dirs: tuple[Path, Path], tmp_path: Path
) -> None:
    bundled, user = dirs
    make_package(bundled / "demo", name="demo-cxr", version="1.0")
    other = make_package(tmp_path / "other", name="demo-cxr", version="1.0", description="x")
    with pytest.raises(ModelPackageError, match="already installed"):
        ModelRegistry(bundled, user).import_package(other)


def test_refused_import_leaves_the_user_dir_untouched(
    dirs: tuple[Path, Path], tmp_path: Path
) -> None:
    bundled, user = dirs
    source = make_package(tmp_path / "bad")
    (source / "model.safetensors").write_bytes(b"\x00" * 64)
    registry = ModelRegistry(bundled, user)
    with pytest.raises(HashMismatchError):
        registry.import_package(source)
    (source / "model.safetensors").unlink()
    (source / "model.pt").write_bytes(b"\x80\x04pickle")
    with pytest.raises(UnsafeWeightsError):
        registry.import_package(source)
    assert list(user.iterdir()) == []


def test_default_prefers_a_clinical_model_over_the_demo(
    dirs: tuple[Path, Path], tmp_path: Path
) -> None:
    bundled, user = dirs
    registry = ModelRegistry(bundled, user)
    assert registry.get_default() is None
    make_package(bundled / "demo", name="demo-cxr", demo=True)
    default = registry.get_default()
    assert default is not None and default.manifest.name == "demo-cxr"
    make_package(user / "real", name="real-cxr", demo=False)
    default = registry.get_default()
    assert default is not None and default.manifest.name == "real-cxr"
    (user / "real" / "MODEL_CARD.md").write_text("tampered", encoding="utf-8")
    default = registry.get_default()  # a refused package is skipped
    assert default is not None and default.manifest.name == "demo-cxr"


def test_remove_only_user_packages(dirs: tuple[Path, Path], tmp_path: Path) -> None:
    bundled, user = dirs
    make_package(bundled / "demo", name="demo-cxr")
    registry = ModelRegistry(bundled, user)
    installed = registry.import_package(make_package(tmp_path / "src", name="mine"))
    with pytest.raises(ModelPackageError, match="only packages in the user's"):
        registry.remove_package(registry.get("demo-cxr"))
    registry.remove_package(installed)
    assert not installed.folder.exists()
    assert [p.manifest.name for p in registry.list_packages()] == ["demo-cxr"]


def test_default_locations(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RADASSIST_DATA_DIR", str(tmp_path / "data"))
    assert bundled_models_dir() == ROOT / "resources" / "models"
    assert user_models_dir() == tmp_path / "data" / "models"
    assert ModelRegistry().user_dir == tmp_path / "data" / "models"


def test_listing_imports_no_torch(dirs: tuple[Path, Path]) -> None:
    bundled, user = dirs
    make_package(bundled / "demo", name="demo-cxr")
    code = f"""
        import json, sys
        from core.analysis.registry import ModelRegistry
        registry = ModelRegistry({str(bundled)!r}, {str(user)!r})
        names = [p.manifest.name for p in registry.list_packages()]
        package = registry.get("demo-cxr")
        print(json.dumps({{"names": names, "verified": package.verified,
                          "torch": sorted(m for m in sys.modules if m.startswith("torch"))}}))
        """
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found == {"names": ["demo-cxr"], "verified": True, "torch": []}
