"""Whether a language-model folder may be loaded: imported, unchanged, no code of its own.

House rule 7 for language models. A folder is loaded only after RadAssist imported it
(:mod:`core.report.llm_models` copies it and hashes every file into
``radassist-manifest.json``) and only while every file still has its hash
(:func:`verify_language_model_folder`, called by
:func:`core.report.llm.inspection.inspect_model_folder`). What needs code of its own is
refused, never ignored: ``auto_map`` or ``trust_remote_code`` anywhere in a top-level JSON
file and a ``tokenizer_class`` that is not one of transformers' own; so are pickles and
symbolic links out of the folder.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from os import PathLike
from pathlib import Path
from typing import Any, Final

from core.analysis.errors import HashMismatchError, UnsafeWeightsError
from core.analysis.manifest import verify_folder_files
from core.model_files import scan_model_folder
from core.paths import user_data_dir
from core.report.llm.errors import (
    ModelConfigError,
    PickleWeightsError,
    RemoteCodeError,
    UnsafeModelError,
)

__all__ = [
    "LLM_MANIFEST_NAME",
    "MANIFEST_KIND",
    "NOT_IMPORTED_HINT",
    "ModelIntegrityError",
    "ModelNotImportedError",
    "check_no_remote_code",
    "check_tokenizer_class",
    "forget_verified",
    "is_builtin_tokenizer_class",
    "language_models_dir",
    "refuse_unsafe_files",
    "verify_language_model_folder",
]

logger = logging.getLogger(__name__)

LLM_MANIFEST_NAME: Final = "radassist-manifest.json"
MANIFEST_KIND: Final = "language-model"
_SHA256_RE: Final = re.compile(r"^[0-9a-f]{64}$")
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


def check_tokenizer_class(root: Path) -> None:
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


# ----------------------------------------------------------------------------- files


def refuse_unsafe_files(root: Path) -> None:
    """Refuse symbolic links out of the folder and pickle files anywhere in it."""
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
    kind = data.get("kind") if isinstance(data, dict) else None
    if kind != MANIFEST_KIND or not isinstance(files, dict):
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


def forget_verified(folder: Path) -> None:
    """Forget that ``folder`` was verified (it was sealed or replaced just now)."""
    _verified.pop(folder, None)
