"""Importing a language-model folder into RadAssist: copy it, hash every file (house rule 7).

Importing a Hugging Face folder (:func:`import_language_model`) copies it into the user's
models folder (:func:`language_models_dir`) and seals it (:func:`seal_language_model`):
every file is hashed into ``radassist-manifest.json`` by the same machinery as CNN model
packages (:func:`core.analysis.manifest.verify_folder_files`). What may be loaded, and
the check before every load, is :mod:`core.report.llm.trust`.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
from os import PathLike
from pathlib import Path
from typing import Final

from core.analysis.manifest import compute_sha256
from core.model_files import scan_model_folder
from core.report.llm.errors import LanguageModelError, ModelFolderNotFoundError
from core.report.llm.inspection import inspect_model_folder
from core.report.llm.trust import (
    LLM_MANIFEST_NAME,
    MANIFEST_KIND,
    ModelIntegrityError,
    ModelNotImportedError,
    check_no_remote_code,
    check_tokenizer_class,
    forget_verified,
    language_models_dir,
    refuse_unsafe_files,
    verify_language_model_folder,
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

_NAME_RE: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


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
    refuse_unsafe_files(root)
    check_no_remote_code(root)
    check_tokenizer_class(root)
    files = {
        rel: compute_sha256(root / rel)
        for rel in scan_model_folder(root).files
        if rel != LLM_MANIFEST_NAME
    }
    data = {"kind": MANIFEST_KIND, "name": root.name, "files": files}
    tmp = root / f".{LLM_MANIFEST_NAME}.tmp"
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, root / LLM_MANIFEST_NAME)
    forget_verified(root)
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
    if not isinstance(source, str | PathLike):
        raise TypeError(f"source must be a str or PathLike, found {type(source).__name__}")
    origin = Path(source).expanduser().absolute()
    if not origin.is_dir():
        raise ModelFolderNotFoundError(str(origin), "the model folder does not exist")
    target_name = name or origin.name
    if not _NAME_RE.match(target_name):
        raise ValueError(f"name may hold letters, digits, '.', '_' and '-', found {target_name!r}")
    refuse_unsafe_files(origin)
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
    forget_verified(target)
    logger.info("imported language model %s", target_name)
    return target
