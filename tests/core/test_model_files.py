"""What is a pickle (by structure, not by one byte or the name), and what a CNN package may hold."""

from __future__ import annotations

import io
import json
import pickle
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file

from core.analysis.errors import HashMismatchError, ManifestError, UnsafeWeightsError
from core.analysis.manifest import MANIFEST_NAME, read_safetensors_header, verify_package
from core.model_files import (
    PICKLE_SUFFIXES,
    has_refused_suffix,
    is_pickle_file,
    is_safetensors_file,
    scan_model_folder,
)
from tests.core.package_helpers import make_package


def _safetensors_with_header_length(path: Path, length: int) -> None:
    """A valid safetensors file whose JSON header is exactly ``length`` bytes."""
    data = np.arange(12, dtype=np.float32)
    header = {"classifier.weight": {"dtype": "F32", "shape": [3, 4], "data_offsets": [0, 48]}}
    raw = json.dumps(header).encode("utf-8")
    raw += b" " * (length - len(raw))
    path.write_bytes(struct.pack("<Q", length) + raw + data.tobytes())


@pytest.mark.parametrize("length", [0x280, 0x380, 0x480, 0x580, 0x1080])
def test_safetensors_whose_header_length_starts_with_0x80_is_accepted(
    tmp_path: Path, length: int
) -> None:
    path = tmp_path / "model.safetensors"
    _safetensors_with_header_length(path, length)
    assert path.read_bytes()[0] == 0x80  # what used to be taken for pickle's PROTO opcode
    assert load_file(str(path))["classifier.weight"].shape == (3, 4)  # safetensors agrees
    assert is_safetensors_file(path) and not is_pickle_file(path)
    assert read_safetensors_header(path) == {"classifier.weight": ("F32", (3, 4))}


def _torch_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("archive/data.pkl", pickle.dumps({"w": 1}, protocol=2))
        archive.writestr("archive/data/0", b"\0" * 16)
        archive.writestr("archive/version", b"3\n")
    return buffer.getvalue()


@pytest.mark.parametrize("suffix", [".safetensors", ".json", ".txt", ""])
@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_real_pickles_are_pickles_whatever_their_suffix(
    tmp_path: Path, suffix: str, protocol: int
) -> None:
    path = tmp_path / f"weights{suffix}"
    path.write_bytes(pickle.dumps({"w": [0.0] * 4}, protocol=protocol))
    assert is_pickle_file(path)
    torch_zip = tmp_path / f"zipped{suffix}"
    torch_zip.write_bytes(_torch_zip())
    assert is_pickle_file(torch_zip)
    if suffix == ".safetensors":
        with pytest.raises(UnsafeWeightsError, match="pickle/zip archive"):
            read_safetensors_header(path)
        with pytest.raises(UnsafeWeightsError, match="pickle/zip archive"):
            read_safetensors_header(torch_zip)


def test_one_owner_of_the_refused_suffixes() -> None:
    from core.analysis import networks

    assert networks.PICKLE_SUFFIXES is PICKLE_SUFFIXES
    assert all(has_refused_suffix(f"w{s.upper()}") for s in (".pt", ".bin", ".ckpt", ".pkl"))
    assert not has_refused_suffix("model.safetensors")
    llm_package = Path(__file__).parents[2] / "core" / "report" / "llm"
    llm_source = "".join(p.read_text("utf-8") for p in sorted(llm_package.glob("*.py")))
    assert '".pth"' not in llm_source  # the language model asks core.model_files, no copy


@pytest.mark.parametrize("name", [".cache/extra.pt", ".git/objects/weights.bin", "notes.txt"])
def test_hidden_pickle_in_a_package_is_refused(tmp_path: Path, name: str) -> None:
    folder = make_package(tmp_path / "pkg")
    extra = folder / name
    extra.parent.mkdir(parents=True, exist_ok=True)
    extra.write_bytes(pickle.dumps({"w": 1}, protocol=4))  # a pickle, even as notes.txt
    with pytest.raises(UnsafeWeightsError, match="pickle-based files") as caught:
        verify_package(folder)
    assert name in str(caught.value)


def test_manifest_symlinked_out_of_the_package_is_refused(tmp_path: Path) -> None:
    folder = make_package(tmp_path / "pkg")
    outside = tmp_path / "elsewhere.json"
    outside.write_bytes((folder / MANIFEST_NAME).read_bytes())
    (folder / MANIFEST_NAME).unlink()
    try:
        (folder / MANIFEST_NAME).symlink_to(outside)
    except OSError:
        pytest.skip("symlinks not available")
    with pytest.raises(ManifestError, match="symbolic link pointing outside the package"):
        verify_package(folder)


def test_weights_and_hidden_links_out_of_the_package_are_refused(tmp_path: Path) -> None:
    folder = make_package(tmp_path / "pkg")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "evil.pt").write_bytes(pickle.dumps(1))
    try:
        (folder / ".hidden").symlink_to(outside, target_is_directory=True)
    except OSError:
        pytest.skip("symlinks not available")
    assert scan_model_folder(folder).outside_links == (".hidden",)
    with pytest.raises(HashMismatchError, match=r"\.hidden points outside the package"):
        verify_package(folder)
    (folder / ".hidden").unlink()
    weights = folder / "model.safetensors"
    real = tmp_path / "real.safetensors"
    real.write_bytes(weights.read_bytes())
    weights.unlink()
    weights.symlink_to(real)
    with pytest.raises(HashMismatchError, match=r"model\.safetensors points outside the package"):
        verify_package(folder)
