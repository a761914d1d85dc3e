"""Manifest validation and package verification: every refusal, with its reason."""

from __future__ import annotations

import hashlib
import json
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from safetensors.numpy import save_file

from core.analysis.errors import (
    HashMismatchError,
    ManifestError,
    ModelPackageError,
    UnsafeWeightsError,
    WeightsMismatchError,
)
from core.analysis.manifest import (
    DEMO_BANNER,
    MANIFEST_NAME,
    AppliesTo,
    InputSpec,
    load_manifest,
    parse_manifest,
    read_safetensors_header,
    seal_package,
    verify_package,
)
from core.errors import RadAssistError
from tests.core.package_helpers import LABELS, make_package, manifest_data, write_weights

# -- a good package -------------------------------------------------------------


def test_sealed_package_verifies_with_every_field(tmp_path: Path) -> None:
    folder = make_package(tmp_path / "pkg", trained_labels=["Nodule", "Effusion"])
    package = verify_package(folder)
    m = package.manifest
    assert package.verified and package.origin == "folder"
    assert package.sha256 == hashlib.sha256((folder / MANIFEST_NAME).read_bytes()).hexdigest()
    assert (m.name, m.version, m.task, m.architecture) == (
        "test-cxr",
        "1.2.0",
        "classification",
        "densenet-small",
    )
    assert m.architecture_options == {"growth_rate": 4, "block_config": (2, 2)}
    assert m.input == InputSpec(size=64, channels=1, preprocessing="xrv", crop="center")
    assert m.labels == ("Nodule", "Mass", "Effusion")
    assert m.hidden_labels == ("Mass",)
    assert m.visible_labels == ("Nodule", "Effusion")
    assert m.thresholds == {"Nodule": 0.4, "Mass": 0.5, "Effusion": 0.3}
    assert m.indeterminate_margin == 0.05
    assert m.applies_to == AppliesTo(("CR", "DX"), ("CHEST",), ("PA", "AP"), 18.0)
    assert m.demo is True and m.display_name == "test-cxr 1.2.0"
    assert m.weights == "model.safetensors"
    assert set(m.files) == {"model.safetensors", "MODEL_CARD.md"}
    assert (
        m.files["model.safetensors"]
        == hashlib.sha256((folder / "model.safetensors").read_bytes()).hexdigest()
    )
    assert package.weights_path == folder / "model.safetensors"
    assert package.model_card_path == folder / "MODEL_CARD.md"
    assert DEMO_BANNER == "Demo model trained on synthetic images — not for clinical use"


def test_to_dict_round_trips(tmp_path: Path) -> None:
    manifest = load_manifest(make_package(tmp_path / "pkg", description="Tiny."))
    assert parse_manifest(json.loads(json.dumps(manifest.to_dict()))) == manifest


def test_defaults_for_optional_fields() -> None:
    data = manifest_data(files={"w.safetensors": "0" * 64}, model_card=None)
    for key in ("indeterminate_margin", "applies_to", "demo", "architecture_options"):
        del data[key]
    data["input"] = {"size": 64, "preprocessing": "imagenet"}
    data["architecture"] = "densenet121"
    m = parse_manifest(data)
    assert m.indeterminate_margin == 0.0 and m.demo is False
    assert m.applies_to == AppliesTo()
    assert m.input == InputSpec(64, 1, "imagenet", "center")
    assert m.weights == "w.safetensors" and m.model_card is None
    assert m.hidden_labels == ()


def test_hidden_labels_need_no_threshold() -> None:
    data = manifest_data(
        files={"w.safetensors": "a" * 64},
        model_card=None,
        hidden_labels=["Mass"],
        thresholds={"Nodule": 0.4, "Effusion": 0.3, "Mass": None},
    )
    m = parse_manifest(data)
    assert m.thresholds == {"Nodule": 0.4, "Effusion": 0.3}
    assert m.visible_labels == ("Nodule", "Effusion")


# -- broken manifests -----------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": None}, "'name' must be a non-empty string"),
        ({"name": "bad/name"}, "'name' may hold"),
        ({"version": ""}, "'version'"),
        ({"task": "segmentation"}, "'task' must be one of classification"),
        ({"architecture": "vgg16"}, "'architecture' must be one of"),
        ({"architecture_options": {"depth": 3}}, "architecture_options"),
        ({"input": {"size": 64, "preprocessing": "zscore"}}, "'preprocessing' must be one of"),
        ({"input": {"size": 4, "preprocessing": "xrv"}}, "'size' must be 8..4096"),
        ({"input": {"size": 64, "channels": 2, "preprocessing": "xrv"}}, "'channels'"),
        ({"input": {"size": 64, "preprocessing": "xrv", "crop": "pad"}}, "'crop'"),
        ({"input": [64]}, "'input' must be an object"),
        ({"labels": []}, "at least one label"),
        ({"labels": ["A", "A"]}, "twice"),
        ({"labels": "Nodule"}, "'labels' must be a list"),
        ({"thresholds": {"Nodule": 0.4, "Mass": 0.5}}, "no operating threshold for 'Effusion'"),
        ({"thresholds": {"Nodule": 1.4, "Mass": 0.5, "Effusion": 0.3}}, "must be in"),
        ({"thresholds": {"Nodule": "high", "Mass": 0.5, "Effusion": 0.3}}, "must be a number"),
        (
            {"thresholds": {"Nodule": 0.4, "Mass": 0.5, "Effusion": 0.3, "X": 0.1}},
            "not in 'labels'",
        ),
        ({"indeterminate_margin": 1.0}, "indeterminate_margin"),
        ({"hidden_labels": ["Other"]}, "not in 'labels'"),
        ({"hidden_labels": LABELS}, "every label is hidden"),
        ({"hidden_labels": ["Mass"], "trained_labels": ["Nodule"]}, "not both"),
        ({"applies_to": {"min_age_years": -3}}, "min_age_years"),
        ({"applies_to": {"modality": "CR"}}, "'modality' must be a list"),
        ({"intended_use": "  "}, "'intended_use'"),
        ({"demo": "yes"}, "'demo' must be true or false"),
        ({"files": {}}, "'files' must list"),
        ({"files": {"../w.safetensors": "a" * 64}}, "inside the package"),
        ({"files": {"/abs/w.safetensors": "a" * 64}}, "inside the package"),
        ({"files": {"w.safetensors": "xyz"}}, "64-digit hex SHA-256"),
        ({"files": {"manifest.json": "a" * 64}}, "does not list itself"),
        ({"weights": "other.safetensors"}, "which 'files' does not list"),
        ({"model_card": "CARD.md"}, "which 'files' does not list"),
        ({"files": {"a.safetensors": "a" * 64, "b.safetensors": "b" * 64}}, "2 .safetensors"),
    ],
)
def test_broken_manifest_is_refused_with_the_field_named(
    change: dict[str, Any], message: str
) -> None:
    data = manifest_data(files={"w.safetensors": "a" * 64}, model_card=None)
    data.update(change)
    with pytest.raises(ManifestError, match="broken manifest") as info:
        parse_manifest(data, "pkg/manifest.json")
    assert message in info.value.reason
    assert str(info.value).startswith("pkg/manifest.json: ")


@pytest.mark.parametrize("missing", ["name", "version", "labels", "thresholds", "files", "input"])
def test_missing_required_field_is_refused(missing: str) -> None:
    data = manifest_data(files={"w.safetensors": "a" * 64}, model_card=None)
    del data[missing]
    with pytest.raises(ManifestError, match=repr(missing)):
        parse_manifest(data)


def test_manifest_must_be_an_object() -> None:
    with pytest.raises(ManifestError, match="JSON object"):
        parse_manifest(["not", "an", "object"])


def test_missing_or_non_json_manifest_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "pkg"
    folder.mkdir()
    with pytest.raises(ManifestError, match=r"no manifest\.json"):
        load_manifest(folder)
    (folder / MANIFEST_NAME).write_text("{ name: oops", encoding="utf-8")
    with pytest.raises(ManifestError, match="not JSON"):
        load_manifest(folder)
    (folder / MANIFEST_NAME).write_bytes(b"\xff\xfe{}")
    with pytest.raises(ManifestError, match="not UTF-8"):
        load_manifest(folder)
    with pytest.raises(ModelPackageError, match="not a folder"):
        load_manifest(folder / MANIFEST_NAME)


# -- pickles --------------------------------------------------------------------


@pytest.mark.parametrize("name", ["model.pt", "model.pth", "pytorch_model.bin", "last.ckpt"])
def test_listed_pickle_weights_are_refused(name: str) -> None:
    data = manifest_data(files={name: "a" * 64}, weights=name, model_card=None)
    with pytest.raises(UnsafeWeightsError, match="pickle-based weights are never loaded"):
        parse_manifest(data)


def test_pickle_file_lying_in_the_package_is_refused(tmp_path: Path) -> None:
    folder = make_package(tmp_path / "pkg")
    (folder / "extra.pth").write_bytes(pickle.dumps({"w": 1}))
    with pytest.raises(UnsafeWeightsError, match=r"extra\.pth"):
        verify_package(folder)


def test_pickle_renamed_to_safetensors_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "pkg"
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(pickle.dumps({"classifier.weight": [0.0]}))
    with pytest.raises(UnsafeWeightsError, match="pickle/zip archive"):
        seal_package(folder, manifest_data(model_card=None))
    zipped = tmp_path / "zipped.safetensors"
    zipped.write_bytes(b"PK\x03\x04rest of a torch.save zip")
    with pytest.raises(UnsafeWeightsError):
        read_safetensors_header(zipped)


# -- hashes ---------------------------------------------------------------------


def test_wrong_hash_is_refused(tmp_path: Path) -> None:
    folder = make_package(tmp_path / "pkg")
    (folder / "MODEL_CARD.md").write_text("# Tampered\n", encoding="utf-8")
    with pytest.raises(
        HashMismatchError, match=r"SHA-256 of MODEL_CARD\.md is .* the manifest says"
    ):
        verify_package(folder)


def test_tampered_weights_are_refused(tmp_path: Path) -> None:
    folder = make_package(tmp_path / "pkg")
    weights = folder / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(HashMismatchError, match=r"model\.safetensors"):
        verify_package(folder)


def test_missing_listed_file_is_refused(tmp_path: Path) -> None:
    folder = make_package(tmp_path / "pkg")
    (folder / "MODEL_CARD.md").unlink()
    with pytest.raises(HashMismatchError, match=r"listed file MODEL_CARD\.md is missing"):
        verify_package(folder)


def test_unlisted_file_is_refused_but_hidden_files_are_ignored(tmp_path: Path) -> None:
    folder = make_package(tmp_path / "pkg")
    (folder / ".DS_Store").write_bytes(b"junk")
    assert verify_package(folder).verified
    (folder / "notes.txt").write_text("unlisted", encoding="utf-8")
    with pytest.raises(HashMismatchError, match=r"not listed in the manifest.*notes\.txt"):
        verify_package(folder)


def test_symlink_out_of_the_package_is_refused(tmp_path: Path) -> None:
    folder = make_package(tmp_path / "pkg")
    outside = tmp_path / "outside.md"
    outside.write_text("# Test model\n", encoding="utf-8")
    (folder / "MODEL_CARD.md").unlink()
    try:
        (folder / "MODEL_CARD.md").symlink_to(outside)
    except OSError:
        pytest.skip("symlinks not available")
    with pytest.raises(HashMismatchError, match="outside the package"):
        verify_package(folder)


# -- weights vs network ---------------------------------------------------------


def test_label_count_not_matching_the_network_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "pkg"
    folder.mkdir()
    write_weights(folder / "model.safetensors", labels=18)
    (folder / "MODEL_CARD.md").write_text("card", encoding="utf-8")
    with pytest.raises(WeightsMismatchError, match=r"18 outputs.*3 labels"):
        seal_package(folder, manifest_data())
    assert not (folder / MANIFEST_NAME).exists()


def test_channel_count_not_matching_the_input_is_refused(tmp_path: Path) -> None:
    with pytest.raises(WeightsMismatchError, match="3 channel"):
        make_package(tmp_path / "pkg", channels=3)


def test_weights_of_another_architecture_are_refused(tmp_path: Path) -> None:
    folder = tmp_path / "pkg"
    folder.mkdir()
    save_file({"fc.weight": np.zeros((3, 8), np.float32)}, str(folder / "model.safetensors"))
    with pytest.raises(WeightsMismatchError, match=r"no classifier\.weight"):
        seal_package(folder, manifest_data(model_card=None))


def test_safetensors_header_is_read_without_torch(tmp_path: Path) -> None:
    path = tmp_path / "w.safetensors"
    write_weights(path, labels=5)
    header = read_safetensors_header(path)
    assert header["classifier.weight"] == ("F32", (5, 12))
    garbage = tmp_path / "g.safetensors"
    garbage.write_bytes(b"\xff" * 16)
    with pytest.raises(ModelPackageError, match="implausible"):
        read_safetensors_header(garbage)


# -- errors ---------------------------------------------------------------------


def test_refusals_are_radassist_errors_that_survive_pickling(tmp_path: Path) -> None:
    error = HashMismatchError(str(tmp_path), "SHA-256 of x differs")
    assert isinstance(error, ModelPackageError) and isinstance(error, RadAssistError)
    clone = pickle.loads(pickle.dumps(error))
    assert type(clone) is HashMismatchError
    assert (clone.package, clone.reason) == (str(tmp_path), "SHA-256 of x differs")
    assert str(clone) == f"{tmp_path}: SHA-256 of x differs"
