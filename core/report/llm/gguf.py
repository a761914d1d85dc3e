"""The GGUF engine's caller side: is this ``.gguf`` file a model that may be loaded?

A GGUF file (llama.cpp's one-file model format: weights, tokenizer and chat template
together) is treated as a Hugging Face folder is (house rule 7): it is used only after
RadAssist imported it (:func:`import_gguf_model` copies it into its own folder under
:func:`~core.report.llm.trust.language_models_dir` and hashes it into that folder's
``radassist-manifest.json``, the seal every imported language model has), and its hash
is checked before every load (:func:`inspect_gguf_file`, through
:func:`~core.report.llm.trust.verify_language_model_folder`). A file that is not GGUF
(its first four bytes are not ``GGUF``) is refused before anything parses it.

The file is then run by llama.cpp (llama-cpp-python) in the language-model process
(:mod:`core.report.llm.gguf_child`). This module also owns two rules of that engine:
:func:`report_grammar` (the GBNF grammar a whole-report draft is held to) and
:func:`physical_cores` (the threads it computes with). Nothing here imports llama_cpp.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import struct
import tempfile
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any, Final

from core.report.document import SECTION_HEADINGS
from core.report.llm.errors import (
    LanguageModelError,
    ModelConfigError,
    ModelFolderNotFoundError,
    ModelTooLargeError,
)
from core.report.llm.inspection import available_memory
from core.report.llm.trust import (
    LLM_MANIFEST_NAME,
    ModelNotImportedError,
    forget_verified,
    language_models_dir,
    verify_language_model_folder,
)
from core.report.prompt import MODEL_SECTIONS, DraftMode

logger = logging.getLogger(__name__)

__all__ = [
    "GGUF_MAGIC",
    "GGUF_NOT_IMPORTED_HINT",
    "SELFTEST_GGUF_FOLDER",
    "GgufModelInfo",
    "bundled_gguf_model",
    "import_gguf_model",
    "inspect_gguf_file",
    "is_gguf_file",
    "physical_cores",
    "report_grammar",
]

GGUF_MAGIC: Final = b"GGUF"
GGUF_SUFFIX: Final = ".gguf"
GGUF_NOT_IMPORTED_HINT: Final = (
    "this GGUF file was not imported into RadAssist: import it in Settings → Reporting "
    "(GGUF file…), or with `radassist models import-llm FILE.gguf` (it is copied into "
    "RadAssist's models folder and hashed)"
)
# llama.cpp maps the weights (they count once) and adds the KV cache and compute
# buffers for the context it is given, and the library itself.
_MEMORY_FACTOR: Final = 1.1
_MEMORY_OVERHEAD: Final = 256 << 20
_GIB: Final = float(1 << 30)
#: The context the engine allocates at most (prompt + draft): report prompts are under
#: 1,000 tokens, and a model's full context (32k and more) would cost its KV cache.
MAX_CONTEXT: Final = 4096
_NAME_RE: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
#: Where the bundle carries its tiny GGUF model (sealed; built by scripts/build_bundle.py),
#: relative to the resources folder: what the self-test drafts with.
SELFTEST_GGUF_FOLDER: Final = ("language-models", "radassist-selftest-gguf")
SELFTEST_GGUF_NAME: Final = "radassist-selftest.gguf"


@dataclass(frozen=True)
class GgufModelInfo:
    """What an imported GGUF file holds, read from its header (no llama.cpp).

    Attributes
    ----------
    path : Path
        The ``.gguf`` file, absolute.
    name : str
        How drafts and exports name the model (the file's name).
    architecture : str
        ``general.architecture``, e.g. "llama", "qwen2".
    parameters : int
        Number of weights, from the tensor descriptions.
    file_bytes : int
    memory_needed, memory_available : int
        Bytes; ``memory_available`` is -1 when it could not be determined.
    has_chat_template : bool
        The file carries ``tokenizer.chat_template``.
    context_length : int or None
        ``<architecture>.context_length`` when the file says.
    quantization : str
        How the weights are stored (``general.file_type``: "F16", "Q8_0", "Q4_K_M"...),
        "" when the file does not say.
    fingerprint : tuple
        (file name, size, modification time): the child reloads when it changes.
    """

    path: Path
    name: str
    architecture: str
    parameters: int
    file_bytes: int
    memory_needed: int
    memory_available: int
    has_chat_template: bool
    context_length: int | None = None
    quantization: str = ""
    fingerprint: tuple[tuple[str, int, int], ...] = ()

    @property
    def folder(self) -> Path:
        """The imported model's folder (the file and its seal)."""
        return self.path.parent


def is_gguf_file(path: str | PathLike[str]) -> bool:
    """True when the file starts with the GGUF magic (``GGUF``) and a known version."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(8)
    except OSError:
        return False
    if len(head) < 8 or head[:4] != GGUF_MAGIC:
        return False
    (version,) = struct.unpack("<I", head[4:8])
    return 1 <= int(version) <= 3


@dataclass(frozen=True)
class _Header:
    architecture: str
    parameters: int
    has_chat_template: bool
    context_length: int | None
    quantization: str


# GGUF value types (gguf.GGUFValueType) → size in bytes of a scalar of that type.
_SCALAR_BYTES: Final[dict[int, int]] = {
    0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8,
}  # fmt: skip
_INTEGER_FORMATS: Final[dict[int, str]] = {0: "<B", 2: "<H", 4: "<I", 5: "<i", 10: "<Q", 11: "<q"}
_STRING: Final = 8
_ARRAY: Final = 9
# Read once per file version: a 150,000-token vocabulary takes a moment to walk over.
_headers: dict[tuple[Path, int, int], _Header] = {}


class _Cursor:
    """Little-endian reads from a memory-mapped GGUF file."""

    def __init__(self, data: Any, count_format: str) -> None:
        self.data = data
        self.offset = 8
        self.count_format = count_format  # version 1 counted in 32 bits, later in 64

    def unpack(self, fmt: str) -> Any:
        value = struct.unpack_from(fmt, self.data, self.offset)[0]
        self.offset += struct.calcsize(fmt)
        return value

    def count(self) -> int:
        return int(self.unpack(self.count_format))

    def string(self) -> str:
        length = self.count()
        raw = self.data[self.offset : self.offset + length]
        self.offset += length
        return bytes(raw).decode("utf-8", errors="replace")

    def value(self, kind: int) -> Any:
        """A value of ``kind``: scalars and strings read, arrays skipped (None)."""
        if kind == _STRING:
            return self.string()
        if kind == _ARRAY:
            item, count = self.unpack("<I"), self.count()
            if item == _STRING:
                for _ in range(count):
                    length = self.count()  # read first: it moves the offset
                    self.offset += length
            elif item in _SCALAR_BYTES:
                self.offset += _SCALAR_BYTES[item] * count
            else:
                for _ in range(count):
                    self.value(item)
            return None
        if kind not in _SCALAR_BYTES:
            raise ValueError(f"unknown GGUF value type {kind}")
        if kind in _INTEGER_FORMATS:
            return int(self.unpack(_INTEGER_FORMATS[kind]))
        self.offset += _SCALAR_BYTES[kind]
        return None


def _read_header(path: Path) -> _Header:
    """What the GGUF header says: its metadata and tensor descriptions (no llama.cpp).

    Read straight from the file (the ``gguf`` package's reader turns every vocabulary
    entry into numpy arrays: seconds for a 150,000-token model, before every draft), and
    kept per file version.
    """
    import mmap

    source = str(path)
    stat = path.stat()
    key = (path, stat.st_size, stat.st_mtime_ns)
    cached = _headers.get(key)
    if cached is not None:
        return cached
    values: dict[str, Any] = {}
    parameters = 0
    try:
        with (
            open(path, "rb") as handle,
            mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data,
        ):
            (version,) = struct.unpack_from("<I", data, 4)
            cursor = _Cursor(data, "<I" if version == 1 else "<Q")
            tensors, fields = cursor.count(), cursor.count()
            for _ in range(fields):
                name = cursor.string()
                values[name] = cursor.value(cursor.unpack("<I"))
            for _ in range(tensors):
                cursor.string()
                dims = [cursor.count() for _ in range(cursor.unpack("<I"))]
                cursor.offset += 4 + 8  # the type, the data offset
                count = 1
                for n in dims:
                    count *= n
                parameters += count
    except (OSError, ValueError, struct.error, IndexError) as exc:
        raise ModelConfigError(source, f"the GGUF header cannot be read ({exc})") from exc
    architecture = values.get("general.architecture")
    if not isinstance(architecture, str) or not architecture:
        raise ModelConfigError(source, "the GGUF file names no general.architecture")
    if parameters == 0:
        raise ModelConfigError(source, "the GGUF file holds no tensors")
    context = values.get(f"{architecture}.context_length")
    context_length = context if isinstance(context, int) and context > 0 else None
    template = values.get("tokenizer.chat_template")
    header = _Header(
        architecture,
        parameters,
        bool(template),
        context_length,
        _quantization_name(values.get("general.file_type")),
    )
    _headers[key] = header
    return header


def _quantization_name(file_type: object) -> str:
    if not isinstance(file_type, int):
        return ""
    from gguf import LlamaFileType  # lazy: the names of llama.cpp's file types

    try:
        name = LlamaFileType(file_type).name
    except ValueError:
        return f"type {file_type}"
    return name.removeprefix("MOSTLY_").removeprefix("ALL_")


def inspect_gguf_file(
    path: str | PathLike[str], *, available_memory_bytes: int | None = None
) -> GgufModelInfo:
    """Check that ``path`` is an imported, unchanged GGUF model that fits in memory.

    Parameters
    ----------
    path : str or PathLike
        The ``.gguf`` file (in the folder :func:`import_gguf_model` made).
    available_memory_bytes : int, optional
        Memory to plan with instead of what the system reports (tests).

    Raises
    ------
    ModelFolderNotFoundError
        No such file, or a folder.
    ModelConfigError
        The file is not GGUF, or its header cannot be read.
    ModelNotImportedError, ModelIntegrityError
        The file was never imported, or it (or its folder) changed since.
    ModelTooLargeError
        Loading needs more memory than is available.
    """
    if not isinstance(path, str | PathLike):
        raise TypeError(f"path must be a str or PathLike, found {type(path).__name__}")
    file = Path(path).expanduser().absolute()
    source = str(file)
    if not file.exists():
        raise ModelFolderNotFoundError(source, "the GGUF file does not exist")
    if not file.is_file():
        raise ModelFolderNotFoundError(source, "is a folder, not a .gguf file")
    if not is_gguf_file(file):
        raise ModelConfigError(
            source, "not a GGUF model (a .gguf file starts with the bytes 'GGUF')"
        )
    if not (file.parent / LLM_MANIFEST_NAME).is_file():
        raise ModelNotImportedError(source, GGUF_NOT_IMPORTED_HINT)
    verify_language_model_folder(file.parent)  # the hash of every file, as imported
    size = file.stat().st_size
    needed = int(size * _MEMORY_FACTOR) + _MEMORY_OVERHEAD
    available = available_memory() if available_memory_bytes is None else available_memory_bytes
    if available >= 0 and needed > available:
        raise ModelTooLargeError(
            source,
            f"the model needs {needed / _GIB:.1f} GiB of memory, {available / _GIB:.1f} GiB "
            "available",
            needed,
            available,
        )
    header = _read_header(file)
    stat = file.stat()
    return GgufModelInfo(
        path=file,
        name=file.name,
        architecture=header.architecture,
        parameters=header.parameters,
        file_bytes=size,
        memory_needed=needed,
        memory_available=available,
        has_chat_template=header.has_chat_template,
        context_length=header.context_length,
        quantization=header.quantization,
        fingerprint=((file.name, stat.st_size, stat.st_mtime_ns),),
    )


def import_gguf_model(
    source: str | PathLike[str], *, name: str | None = None, replace: bool = False
) -> Path:
    """Copy a ``.gguf`` file into RadAssist's models folder and hash it (house rule 7).

    The copy lives alone in a folder of its own (``<models>/<name>/<file>.gguf``),
    sealed like an imported Hugging Face folder; that file is what
    :meth:`~core.report.llm.engines.EngineSpec.gguf` then names.

    Parameters
    ----------
    source : str or PathLike
        The GGUF file.
    name : str, optional
        The imported model's folder name; default the file's name without ``.gguf``.
    replace : bool
        Replace an imported model of that name (default: refuse).

    Returns
    -------
    Path
        The imported ``.gguf`` file.

    Raises
    ------
    LanguageModelError
        The file is missing or not GGUF (nothing is left behind).
    """
    # lazy: llm_models imports this package's inspection (an import cycle at load time)
    from core.report.llm_models import seal_language_model

    if not isinstance(source, str | PathLike):
        raise TypeError(f"source must be a str or PathLike, found {type(source).__name__}")
    origin = Path(source).expanduser().absolute()
    if not origin.is_file():
        raise ModelFolderNotFoundError(str(origin), "the GGUF file does not exist")
    if not is_gguf_file(origin):
        raise ModelConfigError(
            str(origin), "not a GGUF model (a .gguf file starts with the bytes 'GGUF')"
        )
    target_name = name or origin.stem
    if not _NAME_RE.match(target_name):
        raise ValueError(f"name may hold letters, digits, '.', '_' and '-', found {target_name!r}")
    file_name = origin.name if origin.suffix.lower() == GGUF_SUFFIX else origin.name + GGUF_SUFFIX
    models = language_models_dir()
    target = models / target_name
    if target.exists() and not replace:
        raise LanguageModelError(
            str(target), "a model of that name is already imported (replace it, or rename)"
        )
    staging = Path(tempfile.mkdtemp(prefix=f".{target_name}.", dir=models))
    try:
        folder = staging / target_name
        folder.mkdir()
        shutil.copyfile(origin, folder / file_name)
        os.chmod(folder / file_name, 0o600)
        seal_language_model(folder)
        _read_header(folder / file_name)  # a file llama.cpp could not parse is not kept
        if target.exists():
            shutil.rmtree(target)
        os.replace(folder, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    forget_verified(target)
    logger.info("imported GGUF model %s", target_name)
    return target / file_name


def bundled_gguf_model() -> Path | None:
    """The bundle's tiny GGUF model (random weights: the self-test's), None when absent.

    Only an installed bundle carries it (the bundle build converts it); a source tree
    has none. It is verified by hash like any imported model when it is drafted with.
    """
    from core.resources import resource_path  # lazy: the bundle's folders, asked once per draft

    file = resource_path(*SELFTEST_GGUF_FOLDER, SELFTEST_GGUF_NAME)
    return file if file.is_file() else None


def physical_cores() -> int:
    """The threads llama.cpp computes with: the physical cores (hyper-threads slow it)."""
    try:
        import psutil

        cores = psutil.cpu_count(logical=False)
    except ImportError:  # psutil is a dependency; a stripped environment still drafts
        cores = None
    return max(1, cores or os.cpu_count() or 1)


def _gbnf_literal(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def report_grammar(mode: DraftMode, language: str) -> str:
    """The GBNF grammar a draft is held to, or "" for none: the one owner of that rule.

    A whole-report draft (``DraftMode.REPORT``) is exactly the sections of
    :data:`~core.report.prompt.MODEL_SECTIONS`, in order, each heading (from
    :data:`~core.report.document.SECTION_HEADINGS`, as the prompt asks for them) on a
    line of its own followed by one paragraph of text: no preamble, no other section,
    no chat continuation after the last one. An impression is one paragraph without a
    heading. A rewrite is free text (its shape is the selection's).
    """
    if mode is DraftMode.REWRITE:
        return ""
    colon = "：" if language == "zh-CN" else ":"
    # A paragraph: no line break, and it does not start with a space or a heading mark.
    rules = ["para ::= [^\\n#* ] [^\\n]*"]
    if mode is DraftMode.IMPRESSION:
        return "\n".join(["root ::= para", *rules]) + "\n"
    headings = SECTION_HEADINGS[language]
    parts = []
    for index, section in enumerate(MODEL_SECTIONS):
        lead = "\n" if index else ""
        parts.append(_gbnf_literal(f"{lead}{headings[section]}{colon}\n"))
        parts.append("para")
    return "\n".join([f"root ::= {' '.join(parts)}", *rules]) + "\n"
