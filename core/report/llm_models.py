"""Language-model folders are imported into RadAssist and verified when loaded (house rule 7).

Importing a Hugging Face folder (:func:`import_language_model`) copies it into the user's
models folder (:func:`language_models_dir`) and seals it (:func:`seal_language_model`):
every file is hashed into ``radassist-manifest.json`` by the same machinery as CNN model
packages (:func:`core.analysis.manifest.verify_folder_files`). Before a model is loaded
(:func:`verify_language_model_folder`, called by
:func:`core.report.llm.inspect_model_folder`) the hashes are checked again: a flipped
weight byte, a file added or removed, a pickle anywhere in the folder or a symbolic link
out of it refuses the model, and a folder that was never imported is refused with a
message saying how to import it.

What needs code of its own is refused, never ignored: ``auto_map`` or
``trust_remote_code`` anywhere in a top-level JSON file (config.json,
tokenizer_config.json, generation_config.json...) and, on import, a ``tokenizer_class``
that is not one of transformers' own.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from os import PathLike
from pathlib import Path
from typing import Any, Final

from core.analysis.errors import HashMismatchError, UnsafeWeightsError
from core.analysis.manifest import compute_sha256, verify_folder_files
from core.model_files import scan_model_folder
from core.paths import user_data_dir
from core.report.llm import (
    LanguageModelError,
    ModelConfigError,
    PickleWeightsError,
    RemoteCodeError,
    UnsafeModelError,
)

__all__ = [
    "LLM_MANIFEST_NAME",
    "ModelIntegrityError",
    "ModelNotImportedError",
    "check_no_remote_code",
    "import_language_model",
    "language_models_dir",
    "seal_language_model",
    "verify_language_model_folder",
]

logger = logging.getLogger(__name__)

LLM_MANIFEST_NAME: Final = "radassist-manifest.json"
_KIND: Final = "language-model"
_SHA256_RE: Final = re.compile(r"^[0-9a-f]{64}$")
_NAME_RE: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_MAX_MANIFEST_BYTES: Final = 4 << 20
# Folders whose hashes were checked, by what their files looked like then: a draft after
# the first does not hash gigabytes again unless a file changed (its size, times or inode).
_verified: dict[Path, tuple[tuple[str, int, int, int, int], ...]] = {}

NOT_IMPORTED_HINT: Final = (
    "this folder was not imported into RadAssist: import it in Settings → Reporting "
    "(Import), or with `radassist models import-llm DIR` (it is copied into RadAssist's "
    "models folder and every file is hashed)"
)


class ModelNotImportedError(UnsafeModelError):
    """The folder was never imported, so its files have no hashes to check."""


class ModelIntegrityError(UnsafeModelError):
    """An imported model's files changed, or a link leads out of its folder."""


def language_models_dir() -> Path:
    """Where imported language models live (created on first use)."""
    path = user_data_dir() / "language-models"
    path.mkdir(parents=True, exist_ok=True)
    return path


# ----------------------------------------------------------------------------- remote code


def _find_key(data: Any, key: str) -> bool:
    if isinstance(data, Mapping):
        for name, value in data.items():
            if name == key and value not in (None, False, {}, [], ""):
                return True
            if _find_key(value, key):
                return True
    elif isinstance(data, list):
        return any(_find_key(item, key) for item in data)
    return False


def check_no_remote_code(folder: str | PathLike[str]) -> None:
    """Refuse a folder whose top-level JSON files ask for the model's own Python code.

    Raises
    ------
    RemoteCodeError
        ``auto_map`` or ``trust_remote_code`` anywhere in a top-level ``*.json`` file,
        or a Python file at the top level beside them.
    ModelConfigError
        A top-level JSON file cannot be read as JSON.
    """
    root = Path(folder)
    source = str(root)
    for path in sorted(root.glob("*.json")):
        if path.name == LLM_MANIFEST_NAME or not path.is_file():
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, OSError) as exc:
            raise ModelConfigError(source, f"{path.name} cannot be read as JSON") from exc
        for key in ("auto_map", "trust_remote_code"):
            if _find_key(data, key):
                raise RemoteCodeError(
                    source,
                    f"{path.name} has {key}: the model needs its own Python code, which is "
                    "never run (trust_remote_code is off)",
                )


def _check_tokenizer_class(root: Path) -> None:
    """Refuse a tokenizer_class that transformers does not provide (imports transformers)."""
    path = root / "tokenizer_config.json"
    if not path.is_file():
        return
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, OSError) as exc:
        raise ModelConfigError(str(root), "tokenizer_config.json cannot be read as JSON") from exc
    name = data.get("tokenizer_class") if isinstance(data, dict) else None
    if name is None:
        return
    if not isinstance(name, str) or not is_builtin_tokenizer_class(name):
        raise RemoteCodeError(
            str(root),
            f"tokenizer_config.json names the tokenizer class {str(name)[:60]!r}, which is "
            "not one of transformers' own: a custom tokenizer needs its own code, never run",
        )


def is_builtin_tokenizer_class(name: str) -> bool:
    """True when transformers itself provides the tokenizer class ``name``."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        return False
    import transformers
    from transformers import PreTrainedTokenizerBase

    candidate = getattr(transformers, name, None)
    if candidate is None and name.endswith("Fast"):
        candidate = getattr(transformers, name[: -len("Fast")], None)
    return isinstance(candidate, type) and issubclass(candidate, PreTrainedTokenizerBase)


# ----------------------------------------------------------------------------- sealing


def _refuse_unsafe_files(root: Path) -> None:
    scan = scan_model_folder(root)
    if scan.outside_links:
        raise ModelIntegrityError(
            str(root),
            f"{', '.join(scan.outside_links[:3])} is a symbolic link out of the model folder; "
            "links out of a model folder are never followed",
        )
    if scan.pickles:
        raise PickleWeightsError(
            str(root),
            f"the folder holds pickle files ({', '.join(scan.pickles[:3])}), which are never "
            "loaded (they can run code); convert them to safetensors and remove them",
        )


def seal_language_model(folder: str | PathLike[str]) -> Path:
    """Hash every file of a language-model folder into its ``radassist-manifest.json``.

    The second half of :func:`import_language_model` (which seals the copy it makes);
    tests and conversion scripts seal a folder they built in place.

    Raises
    ------
    ModelIntegrityError, PickleWeightsError, RemoteCodeError, ModelConfigError
        The folder would never be loaded: nothing is written.
    """
    root = Path(folder).absolute()
    if not root.is_dir():
        raise ModelNotImportedError(str(root), "not a folder")
    _refuse_unsafe_files(root)
    check_no_remote_code(root)
    _check_tokenizer_class(root)
    files = {
        rel: compute_sha256(root / rel)
        for rel in scan_model_folder(root).files
        if rel != LLM_MANIFEST_NAME
    }
    data = {"kind": _KIND, "name": root.name, "files": files}
    tmp = root / f".{LLM_MANIFEST_NAME}.tmp"
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, root / LLM_MANIFEST_NAME)
    _verified.pop(root, None)
    return root


def import_language_model(
    source: str | PathLike[str], *, name: str | None = None, replace: bool = False
) -> Path:
    """Copy a Hugging Face model folder into RadAssist's models folder and seal it.

    Parameters
    ----------
    source : str or PathLike
        The folder (config.json, tokenizer, safetensors weights).
    name : str, optional
        The imported folder's name; default the source folder's name.
    replace : bool
        Replace an imported model of that name (default: refuse).

    Returns
    -------
    Path
        The imported folder, ready for :func:`core.report.llm.draft_with_language_model`.

    Raises
    ------
    LanguageModelError
        The folder is refused (why is in the message); nothing is left behind.
    """
    from core.report.llm import ModelFolderNotFoundError, inspect_model_folder

    if not isinstance(source, str | PathLike):
        raise TypeError(f"source must be a str or PathLike, found {type(source).__name__}")
    origin = Path(source).expanduser().absolute()
    if not origin.is_dir():
        raise ModelFolderNotFoundError(str(origin), "the model folder does not exist")
    target_name = name or origin.name
    if not _NAME_RE.match(target_name):
        raise ValueError(f"name may hold letters, digits, '.', '_' and '-', found {target_name!r}")
    _refuse_unsafe_files(origin)
    check_no_remote_code(origin)
    models = language_models_dir()
    target = models / target_name
    if target.exists() and not replace:
        raise LanguageModelError(
            str(target), "a model of that name is already imported (replace it, or rename)"
        )
    staging = Path(tempfile.mkdtemp(prefix=f".{target_name}.", dir=models))
    try:
        copy = staging / target_name
        shutil.copytree(origin, copy, symlinks=False)
        (copy / LLM_MANIFEST_NAME).unlink(missing_ok=True)  # never trust a copied seal
        seal_language_model(copy)
        inspect_model_folder(copy, available_memory_bytes=-1)
        if target.exists():
            shutil.rmtree(target)
        os.replace(copy, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _verified.pop(target, None)
    logger.info("imported language model %s", target_name)
    return target


# ----------------------------------------------------------------------------- verifying


def _fingerprint(
    root: Path, files: Mapping[str, str]
) -> tuple[tuple[str, int, int, int, int], ...]:
    items = []
    for rel in sorted([*files, LLM_MANIFEST_NAME]):
        try:
            stat = (root / rel).stat()
        except OSError:
            return ()
        items.append((rel, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino))
    return tuple(items)


def _read_manifest(root: Path) -> dict[str, str]:
    path = root / LLM_MANIFEST_NAME
    source = str(root)
    if path.is_symlink():
        raise ModelIntegrityError(source, f"{LLM_MANIFEST_NAME} is a symbolic link; never read")
    if not path.is_file():
        raise ModelNotImportedError(source, NOT_IMPORTED_HINT)
    try:
        if path.stat().st_size > _MAX_MANIFEST_BYTES:
            raise ModelIntegrityError(source, f"{LLM_MANIFEST_NAME} is larger than 4 MiB")
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, OSError) as exc:
        raise ModelIntegrityError(source, f"{LLM_MANIFEST_NAME} cannot be read as JSON") from exc
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(data, dict) or data.get("kind") != _KIND or not isinstance(files, dict):
        raise ModelIntegrityError(
            source, f"{LLM_MANIFEST_NAME} is not a language-model manifest: import it again"
        )
    for rel, digest in files.items():
        if not isinstance(rel, str) or not isinstance(digest, str) or not _SHA256_RE.match(digest):
            raise ModelIntegrityError(
                source, f"{LLM_MANIFEST_NAME} lists {str(rel)[:60]!r} without a SHA-256"
            )
    return files


def verify_language_model_folder(folder: str | PathLike[str]) -> None:
    """Check an imported language-model folder's files against their hashes.

    Raises
    ------
    ModelNotImportedError
        No ``radassist-manifest.json``: the folder was never imported.
    ModelIntegrityError
        A file changed, is missing or was added, or a link leads out of the folder.
    PickleWeightsError
        A pickle anywhere in the folder.
    RemoteCodeError
        A configuration asks for the model's own code.
    """
    root = Path(folder).absolute()
    files = _read_manifest(root)
    check_no_remote_code(root)
    before = _fingerprint(root, files)
    if before and _verified.get(root) == before:
        return
    try:
        verify_folder_files(root, files, LLM_MANIFEST_NAME)
    except UnsafeWeightsError as exc:
        raise PickleWeightsError(str(root), exc.reason) from exc
    except HashMismatchError as exc:
        raise ModelIntegrityError(
            str(root), f"{exc.reason}; import the model again from a good copy"
        ) from exc
    _verified[root] = before
