"""Language-model folders are imported (copied, every file hashed) and verified when loaded."""

from __future__ import annotations

import json
import os
import pickle
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.cli import main
from core.report.llm import (
    LanguageModelError,
    PickleWeightsError,
    RemoteCodeError,
    inspect_model_folder,
)
from core.report.llm_models import (
    LLM_MANIFEST_NAME,
    ModelIntegrityError,
    ModelNotImportedError,
    import_language_model,
    language_models_dir,
)
from tests.core.llm_helpers import make_tiny_causal_lm

pytestmark = pytest.mark.usefixtures("private_data_dir")


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A Hugging Face folder as a user downloads it: no RadAssist manifest."""
    folder = make_tiny_causal_lm(tmp_path_factory.mktemp("hf") / "tiny-lm")
    (folder / LLM_MANIFEST_NAME).unlink()
    yield folder


def _copy(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


def test_a_folder_never_imported_is_refused_with_how_to_import_it(source: Path) -> None:
    with pytest.raises(ModelNotImportedError) as caught:
        inspect_model_folder(source)
    message = str(caught.value)
    assert "this folder was not imported into RadAssist" in message
    assert "radassist models import-llm DIR" in message and str(source) in message


def test_import_copies_hashes_and_the_copy_loads(source: Path) -> None:
    imported = import_language_model(source)
    assert imported == language_models_dir() / "tiny-lm" and imported.parent.is_dir()
    manifest = json.loads((imported / LLM_MANIFEST_NAME).read_text("utf-8"))
    assert set(manifest["files"]) >= {"config.json", "model.safetensors", "tokenizer.json"}
    assert inspect_model_folder(imported).weight_files == ("model.safetensors",)
    assert not (source / LLM_MANIFEST_NAME).exists()  # the source is never written to
    with pytest.raises(LanguageModelError, match="already imported"):
        import_language_model(source)


def test_a_flipped_weight_byte_is_refused_after_import(source: Path) -> None:
    imported = import_language_model(source, name="flipped")
    inspect_model_folder(imported)  # verified (and remembered) once
    weights = imported / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-5] ^= 0x01
    stat = weights.stat()
    weights.write_bytes(bytes(data))
    os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same size, same mtime
    with pytest.raises(ModelIntegrityError, match=r"SHA-256 of model\.safetensors"):
        inspect_model_folder(imported)


def test_weights_symlinked_out_of_the_folder_are_refused(source: Path, tmp_path: Path) -> None:
    imported = import_language_model(source, name="linked")
    weights = imported / "model.safetensors"
    outside = tmp_path / "elsewhere.safetensors"
    shutil.copyfile(weights, outside)
    weights.unlink()
    try:
        weights.symlink_to(outside)
    except OSError:
        pytest.skip("symlinks not available")
    with pytest.raises(ModelIntegrityError, match="points outside"):
        inspect_model_folder(imported)
    # ...and such a folder is never imported either.
    with pytest.raises(ModelIntegrityError, match="symbolic link out of the model folder"):
        import_language_model(imported, name="relinked")


def test_a_hidden_pickle_is_refused_on_import_and_on_load(source: Path, tmp_path: Path) -> None:
    imported = import_language_model(source, name="pickled")
    (imported / ".cache").mkdir()
    (imported / ".cache" / "optimizer.pt").write_bytes(pickle.dumps({"w": 1}, protocol=4))
    with pytest.raises(PickleWeightsError, match=r"\.cache/optimizer\.pt"):
        inspect_model_folder(imported)
    folder = _copy(source, tmp_path / "src")
    (folder / "extra.safetensors").write_bytes(pickle.dumps([1], protocol=5))
    with pytest.raises(PickleWeightsError, match=r"extra\.safetensors"):
        import_language_model(folder)


@pytest.mark.parametrize(
    ("file", "change", "pattern"),
    [
        ("config.json", {"auto_map": {"AutoModel": "m.M"}}, "config.json has auto_map"),
        ("generation_config.json", {"auto_map": {"x": "y"}}, "generation_config.json has auto"),
        ("tokenizer_config.json", {"trust_remote_code": True}, "has trust_remote_code"),
        ("custom.json", {"nested": [{"trust_remote_code": True}]}, "custom.json has trust_remote"),
    ],
)
def test_remote_code_anywhere_in_the_configs_is_refused(
    source: Path, tmp_path: Path, file: str, change: dict[str, object], pattern: str
) -> None:
    folder = _copy(source, tmp_path / "src")
    path = folder / file
    data = json.loads(path.read_text("utf-8")) if path.exists() else {}
    data.update(change)
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(RemoteCodeError, match=pattern):
        import_language_model(folder)
    assert not (language_models_dir() / "src").exists()
    with pytest.raises(RemoteCodeError, match=pattern):  # refused before the hash check too
        inspect_model_folder(folder)


def test_a_custom_tokenizer_class_is_refused(source: Path, tmp_path: Path) -> None:
    folder = _copy(source, tmp_path / "src")
    path = folder / "tokenizer_config.json"
    data = json.loads(path.read_text("utf-8"))
    data["tokenizer_class"] = "EvilTokenizer"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(RemoteCodeError, match="'EvilTokenizer', which is not one of transformers"):
        import_language_model(folder)
    data["tokenizer_class"] = "LlamaTokenizerFast"  # transformers' own: accepted
    path.write_text(json.dumps(data), encoding="utf-8")
    assert import_language_model(folder, name="llama-tok").is_dir()


def test_cli_imports_a_folder(source: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "import-llm", str(source), "--name", "from-cli"]) == 0
    assert "imported from-cli" in capsys.readouterr().out
    assert inspect_model_folder(language_models_dir() / "from-cli").name == "from-cli"
    assert main(["models", "import-llm", str(source), "--name", "from-cli"]) == 3
    assert "already imported" in capsys.readouterr().err
