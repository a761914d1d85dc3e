"""Is this folder a language model that may be loaded? Answered from its files alone.

A Hugging Face causal-LM folder on disk (``config.json``, a tokenizer, safetensors
weights; its chat template when it has one) is checked before anything loads it, without
importing torch or transformers: house rule 7 refuses a folder whose only weights are
pickles (never opened; which suffixes are pickles is :mod:`core.model_files`' to say),
a folder that needs its own code (``auto_map``, ``trust_remote_code``), a folder that
was never imported or whose files changed since (:mod:`core.report.llm_models`), and a
model that does not fit in memory. :func:`inspect_model_folder` returns what the folder
holds as a :class:`LanguageModelInfo`, which travels to the language-model process.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any, Final

from core.analysis.errors import ModelPackageError, UnsafeWeightsError
from core.analysis.manifest import read_safetensors_header
from core.model_files import has_refused_suffix
from core.report.llm.errors import (
    LanguageModelError,
    ModelConfigError,
    ModelFolderError,
    ModelFolderNotFoundError,
    ModelTooLargeError,
    PickleWeightsError,
)
from core.report.llm.trust import check_no_remote_code, verify_language_model_folder

logger = logging.getLogger(__name__)

__all__ = ["LanguageModelInfo", "available_memory", "inspect_model_folder"]

# Loading needs the weights plus room for activations, the KV cache and the allocator,
# and the child's torch and transformers themselves (about half a GiB resident).
_MEMORY_FACTOR: Final = 1.2
_MEMORY_OVERHEAD: Final = 512 << 20
_GIB: Final = float(1 << 30)
_DTYPE_BYTES: Final[Mapping[str, float]] = {
    "BOOL": 1,
    "U8": 1,
    "I8": 1,
    "F8_E4M3": 1,
    "F8_E5M2": 1,
    "F8_E8M0": 1,
    "F4": 0.5,
    "F6_E2M3": 0.75,
    "F6_E3M2": 0.75,
    "I16": 2,
    "U16": 2,
    "F16": 2,
    "BF16": 2,
    "I32": 4,
    "U32": 4,
    "F32": 4,
    "I64": 8,
    "U64": 8,
    "F64": 8,
}
_TOKENIZER_FILES: Final = (
    "tokenizer.json",
    "tokenizer.model",
    "tokenizer.tiktoken",
    "vocab.json",
    "vocab.txt",
    "spiece.model",
    "sentencepiece.bpe.model",
)
_CAUSAL_SUFFIXES: Final = ("ForCausalLM", "LMHeadModel")
_CONTEXT_KEYS: Final = (
    "max_position_embeddings",
    "n_positions",
    "max_sequence_length",
    "seq_length",
    "n_ctx",
)


@dataclass(frozen=True)
class LanguageModelInfo:
    """What a model folder holds, read from its files (no torch).

    Attributes
    ----------
    folder : Path
        Absolute.
    name : str
        The folder's name: how drafts and exports name the model.
    model_type : str
        config.json's ``model_type``, e.g. "llama", "qwen2".
    architectures : tuple of str
        e.g. ("LlamaForCausalLM",).
    weight_files : tuple of str
        The safetensors files that will be loaded.
    parameters : int
        Number of weights, from the safetensors headers.
    weights_bytes : int
    memory_needed, memory_available : int
        Bytes; ``memory_available`` is -1 when it could not be determined.
    has_chat_template : bool
    context_length : int or None
        The model's maximum sequence length when config.json says.
    fingerprint : tuple
        (file name, size, modification time) of config, tokenizer and weight files:
        the child reloads a cached model when it changes.
    """

    folder: Path
    name: str
    model_type: str
    architectures: tuple[str, ...]
    weight_files: tuple[str, ...]
    parameters: int
    weights_bytes: int
    memory_needed: int
    memory_available: int
    has_chat_template: bool
    context_length: int | None = None
    fingerprint: tuple[tuple[str, int, int], ...] = ()


def available_memory() -> int:
    """Bytes of memory available to a new process (psutil, else /proc/meminfo); -1 unknown."""
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except ImportError:
        pass
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return -1


def _read_json(path: Path, folder: str, error: type[LanguageModelError]) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise error(folder, f"{path.name} is not UTF-8 text") from exc
    except json.JSONDecodeError as exc:
        raise error(
            folder, f"{path.name} is not valid JSON (line {exc.lineno}: {exc.msg})"
        ) from exc
    except OSError as exc:
        raise error(folder, f"{path.name} cannot be read ({exc.strerror or exc})") from exc
    if not isinstance(data, dict):
        raise error(folder, f"{path.name} must hold a JSON object, found {type(data).__name__}")
    return data


def _weight_files(path: Path, folder: str) -> list[Path]:
    index = path / "model.safetensors.index.json"
    if index.is_file():
        data = _read_json(index, folder, ModelFolderError)
        weight_map = data.get("weight_map")
        if not isinstance(weight_map, dict) or not weight_map:
            raise ModelFolderError(folder, f"{index.name} has no weight_map")
        names = sorted({str(name) for name in weight_map.values()})
        missing = [name for name in names if not (path / name).is_file()]
        if missing:
            raise ModelFolderError(
                folder, f"{index.name} lists {len(missing)} missing file(s), e.g. {missing[0]}"
            )
        return [path / name for name in names]
    if (path / "model.safetensors").is_file():
        return [path / "model.safetensors"]
    found = sorted(p for p in path.glob("*.safetensors") if p.is_file())
    if found:
        return found
    pickles = sorted(p.name for p in path.iterdir() if has_refused_suffix(p.name))
    if pickles:
        raise PickleWeightsError(
            folder,
            f"the weights are pickle files ({', '.join(pickles[:3])}), which are never "
            "loaded (they can run code); convert them to safetensors",
        )
    raise ModelFolderError(folder, "no weights: expected model.safetensors (or shards)")


def _count_weights(files: Sequence[Path], folder: str) -> tuple[int, int]:
    parameters = 0
    size = 0.0
    for file in files:
        try:
            header = read_safetensors_header(file)
        except UnsafeWeightsError as exc:
            raise PickleWeightsError(
                folder, f"{file.name} is a pickle/zip archive, not safetensors; never loaded"
            ) from exc
        except ModelPackageError as exc:
            raise ModelFolderError(folder, f"{file.name}: {exc.reason}") from exc
        except OSError as exc:
            raise ModelFolderError(folder, f"{file.name} cannot be read ({exc})") from exc
        for dtype, shape in header.values():
            count = 1
            for n in shape:
                count *= n
            parameters += count
            size += count * _DTYPE_BYTES.get(dtype.upper(), 4)
    return parameters, int(size)


def _check_causal(config: Mapping[str, Any], folder: str) -> tuple[str, tuple[str, ...]]:
    model_type = config.get("model_type")
    if not isinstance(model_type, str) or not model_type.strip():
        raise ModelConfigError(folder, "config.json names no model_type")
    raw = config.get("architectures") or ()
    if isinstance(raw, str):
        raw = (raw,)
    if not isinstance(raw, list | tuple) or not all(isinstance(a, str) for a in raw):
        raise ModelConfigError(folder, f"config.json architectures must be names, found {raw!r}")
    architectures = tuple(raw)
    if architectures and not any(a.endswith(_CAUSAL_SUFFIXES) for a in architectures):
        raise ModelConfigError(
            folder,
            f"config.json describes {', '.join(architectures)}, not a causal language model "
            "(expected an architecture ending in ForCausalLM or LMHeadModel)",
        )
    return model_type, architectures


def _context_length(config: Mapping[str, Any]) -> int | None:
    for key in _CONTEXT_KEYS:
        value = config.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None


def _fingerprint(files: Sequence[Path]) -> tuple[tuple[str, int, int], ...]:
    items = []
    for file in files:
        try:
            stat = file.stat()
        except OSError:
            continue
        items.append((file.name, stat.st_size, stat.st_mtime_ns))
    return tuple(items)


def inspect_model_folder(
    path: str | PathLike[str], *, available_memory_bytes: int | None = None
) -> LanguageModelInfo:
    """Check that a folder holds a causal LM that may be loaded, without loading it.

    Reads config.json, tokenizer_config.json and the safetensors headers only (no
    torch, no transformers).

    Parameters
    ----------
    path : str or PathLike
        The model folder.
    available_memory_bytes : int, optional
        Memory to plan with instead of what the system reports (tests).

    Raises
    ------
    ModelFolderNotFoundError
        No such folder.
    ModelConfigError
        config.json is missing, unreadable, not JSON, or not a causal language model.
    RemoteCodeError
        The model (or its tokenizer) needs its own code (``auto_map`` or
        ``trust_remote_code`` in a top-level JSON file).
    ModelNotImportedError, ModelIntegrityError
        The folder was never imported, or its files no longer match their hashes
        (:mod:`core.report.llm_models`).
    PickleWeightsError
        The only weights are pickle files, or a ``.safetensors`` file is a pickle.
    ModelFolderError
        No tokenizer or no weights.
    ModelTooLargeError
        Loading needs more memory than is available.
    """
    if not isinstance(path, str | PathLike):
        raise TypeError(f"path must be a str or PathLike, found {type(path).__name__}")
    folder_path = Path(path).expanduser().absolute()
    folder = str(folder_path)
    if not folder_path.exists():
        raise ModelFolderNotFoundError(folder, "the model folder does not exist")
    if not folder_path.is_dir():
        raise ModelFolderNotFoundError(folder, "is a file, not a model folder")
    config_path = folder_path / "config.json"
    if not config_path.is_file():
        raise ModelConfigError(folder, "no config.json: not a Hugging Face model folder")
    config = _read_json(config_path, folder, ModelConfigError)
    model_type, architectures = _check_causal(config, folder)
    tokenizer_config: dict[str, Any] = {}
    tokenizer_config_path = folder_path / "tokenizer_config.json"
    if tokenizer_config_path.is_file():
        tokenizer_config = _read_json(tokenizer_config_path, folder, ModelConfigError)

    check_no_remote_code(folder_path)  # auto_map / trust_remote_code in any top-level JSON
    tokenizer_files = [name for name in _TOKENIZER_FILES if (folder_path / name).is_file()]
    if not tokenizer_files:
        raise ModelFolderError(
            folder, f"no tokenizer: expected one of {', '.join(_TOKENIZER_FILES[:3])}"
        )
    weights = _weight_files(folder_path, folder)
    parameters, weights_bytes = _count_weights(weights, folder)
    needed = int(weights_bytes * _MEMORY_FACTOR) + _MEMORY_OVERHEAD
    available = available_memory() if available_memory_bytes is None else available_memory_bytes
    if available >= 0 and needed > available:
        raise ModelTooLargeError(
            folder,
            f"the model needs {needed / _GIB:.1f} GiB of memory, {available / _GIB:.1f} GiB "
            "available",
            needed,
            available,
        )
    verify_language_model_folder(folder_path)  # imported, every file's hash unchanged
    has_template = bool(tokenizer_config.get("chat_template")) or any(
        (folder_path / name).is_file() for name in ("chat_template.jinja", "chat_template.json")
    )
    files = [config_path, *(folder_path / name for name in tokenizer_files), *weights]
    if tokenizer_config_path.is_file():
        files.append(tokenizer_config_path)
    return LanguageModelInfo(
        folder=folder_path,
        name=folder_path.name,
        model_type=model_type,
        architectures=architectures,
        weight_files=tuple(p.name for p in weights),
        parameters=parameters,
        weights_bytes=weights_bytes,
        memory_needed=needed,
        memory_available=available,
        has_chat_template=has_template,
        context_length=_context_length(config),
        fingerprint=_fingerprint(files),
    )
