"""The install check: which bundled model or report template is missing or damaged, and why.

Each test copies the app's resources folder, damages the copy and points
``RADASSIST_RESOURCES_DIR`` at it, as a half-deleted install would look.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from core.analysis.errors import HashMismatchError
from core.analysis.registry import ModelRegistry
from core.resource_check import (
    BUNDLED_MODEL_NAMES,
    REPAIR_HINT,
    ResourceProblem,
    check_bundled_models,
    check_installation,
    check_report_templates,
    describe_installation_problems,
)
from core.resources import resources_dir

pytestmark = pytest.mark.usefixtures("private_data_dir")

DEMO = "radassist-demo-cxr"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def resources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the bundled resources, found by resources_dir()."""
    copy = tmp_path / "resources"
    shutil.copytree(resources_dir(), copy)
    monkeypatch.setenv("RADASSIST_RESOURCES_DIR", str(copy))
    return copy


def _flip_last_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))


def test_a_whole_install_has_no_problems(resources: Path) -> None:
    assert DEMO in BUNDLED_MODEL_NAMES
    assert check_installation() == ()
    assert describe_installation_problems(()) == ""


def test_a_missing_model_package_is_named(resources: Path) -> None:
    shutil.rmtree(resources / "models" / DEMO)
    (problem,) = check_installation()
    assert (problem.kind, problem.name, problem.missing, problem.in_install) == (
        "model",
        DEMO,
        True,
        True,
    )
    assert problem.source == str(resources / "models" / DEMO)
    assert problem.message == f"The bundled model {DEMO} is missing: no such model package folder"
    assert problem.remedy == REPAIR_HINT == "reinstall RadAssist or run radassist --self-test"
    assert str(problem) == problem.message


def test_the_models_folder_itself_missing_names_the_package(resources: Path) -> None:
    shutil.rmtree(resources / "models")
    assert [(p.name, p.state) for p in check_installation()] == [(DEMO, "missing")]


def test_altered_weights_give_the_registrys_reason(resources: Path) -> None:
    package = resources / "models" / DEMO
    _flip_last_byte(package / "model.safetensors")
    registry = ModelRegistry()
    with pytest.raises(HashMismatchError) as refused:
        ModelRegistry().get(package)
    (problem,) = check_bundled_models(registry)
    assert problem.reason == refused.value.reason  # the registry's words, not a second check
    assert not problem.missing and problem.state == "damaged"
    assert problem.message.startswith(
        f"The bundled model {DEMO} is damaged: SHA-256 of model.safetensors is "
    )
    assert problem.message.endswith("(the file changed or is corrupt)")


def test_a_deleted_manifest(resources: Path) -> None:
    (resources / "models" / DEMO / "manifest.json").unlink()
    (problem,) = check_installation()
    assert problem.message == (
        f"The bundled model {DEMO} is damaged: broken manifest: no manifest.json in the folder"
    )


def test_a_stray_broken_folder_beside_the_demo_is_named_too(resources: Path) -> None:
    (resources / "models" / "half-copied").mkdir()
    (resources / "models" / ".hidden").mkdir()
    (problem,) = check_installation()
    assert problem.name == "half-copied" and problem.state == "damaged"
    assert "no manifest.json" in problem.reason


def test_missing_and_broken_templates_name_the_file_and_place(resources: Path) -> None:
    (resources / "report_templates" / "en.json").unlink()
    (resources / "report_templates" / "zh-CN.json").write_text("{ not json", encoding="utf-8")
    english, chinese = check_installation()
    assert (english.kind, english.language, english.missing) == ("templates", "en", True)
    assert english.source == str(resources / "report_templates" / "en.json")
    assert english.detail == "en.json: the bundled report templates are missing"
    assert english.message == (
        "The English report templates are missing: en.json: the bundled report templates "
        "are missing"
    )
    assert (chinese.language, chinese.missing, chinese.state) == ("zh-CN", False, "damaged")
    assert chinese.detail.startswith("zh-CN.json: is not valid JSON: line 1 column 3")
    assert check_report_templates(["en"]) == (english,)


def test_a_sites_broken_template_file_is_not_the_installs(
    resources: Path, private_data_dir: Path
) -> None:
    site = private_data_dir / "report_templates"
    site.mkdir(parents=True)
    (site / "zh-CN.json").write_text("[]", encoding="utf-8")
    (problem,) = check_installation()
    assert problem.language == "zh-CN" and not problem.in_install and not problem.missing
    assert problem.what == "the site's Chinese report templates"
    assert problem.remedy == f"correct or remove the site's file {site / 'zh-CN.json'}"
    assert describe_installation_problems((problem,)) == ""  # the site's file, not the install


def test_the_notice_names_every_part_once(resources: Path) -> None:
    shutil.rmtree(resources / "models" / DEMO)
    (resources / "report_templates" / "en.json").unlink()
    problems = check_installation()
    assert [p.kind for p in problems] == ["model", "templates"]
    assert describe_installation_problems(problems) == (
        f"Part of the installation is missing or damaged: the bundled model {DEMO} (missing), "
        "the English report templates (missing) — run radassist --self-test, or reinstall "
        "RadAssist. Everything else works."
    )


def test_problems_are_values(resources: Path) -> None:
    problem = ResourceProblem("model", DEMO, "/x", "why", missing=False)
    assert problem == ResourceProblem("model", DEMO, "/x", "why", missing=False)
    with pytest.raises(TypeError, match="registry must be a ModelRegistry, found str"):
        check_bundled_models("registry")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (lambda r: r.joinpath("models", DEMO, "model.safetensors").unlink(), "is missing"),
        (lambda r: r.joinpath("models", DEMO, "extra.pt").write_bytes(b"x"), "pickle-based"),
    ],
)
def test_other_refusals_keep_their_reason(
    resources: Path, damage: Callable[[Path], object], expected: str
) -> None:
    damage(resources)
    (problem,) = check_installation()
    assert problem.name == DEMO and expected in problem.reason


def test_the_check_imports_no_torch(resources: Path) -> None:
    """The window runs it at start-up: checking must not pull torch in (house rule 2)."""
    code = (
        "import sys\n"
        "from core.resource_check import check_installation\n"
        "assert check_installation() == ()\n"
        "print('torch' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
