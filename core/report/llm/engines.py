"""Which engine drafts: :class:`EngineSpec`, and where an endpoint's API key is kept.

Three kinds of engine write the same drafts through one job
(:func:`~core.report.llm.drafting.draft_with_language_model`):

- ``"transformers"``: a Hugging Face folder, in the language-model process
  (:mod:`core.report.llm.child`);
- ``"endpoint"``: an OpenAI-compatible server the site configured (vLLM, llama.cpp's
  server, Ollama, LM Studio, ``transformers serve``), over HTTP(S)
  (:mod:`core.report.llm.endpoint`);
- ``"gguf"``: a ``.gguf`` file run by llama.cpp (llama-cpp-python) in the same
  language-model process (:mod:`core.report.llm.gguf_child`); imported and hashed like
  a folder (:func:`~core.report.llm.gguf.import_gguf_model`).

An endpoint's API key never enters a settings file, a log or an :class:`EngineSpec`:
the spec names where the key is (:attr:`EngineSpec.api_key_name`), and
:func:`endpoint_api_key` reads it from the OS keyring (:class:`CredentialStore` under
service ``RadAssist-LLM``, this session's memory where there is no keyring) or from the
``RADASSIST_LLM_API_KEY`` environment variable.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Final, Literal

from core.pacs.credentials import CredentialStore

logger = logging.getLogger(__name__)

__all__ = [
    "API_KEY_ENVIRONMENT",
    "ENGINE_KINDS",
    "KEYRING_SERVICE",
    "STRUCTURED_CHOICES",
    "EngineSpec",
    "endpoint_api_key",
    "endpoint_credentials",
]

EngineKind = Literal["transformers", "endpoint", "gguf"]
ENGINE_KINDS: Final[tuple[str, ...]] = ("transformers", "endpoint", "gguf")
#: The environment variable an endpoint's API key may come from (the command line, CI).
API_KEY_ENVIRONMENT: Final = "RADASSIST_LLM_API_KEY"
#: The keyring service endpoint keys are kept under.
KEYRING_SERVICE: Final = "RadAssist-LLM"

#: What an endpoint's text is held to (:attr:`EngineSpec.structured`): ``auto`` picks
#: (a llama.cpp server: its GBNF grammar; any other: OpenAI's JSON-schema structured
#: output), ``grammar`` and ``json_schema`` ask for that one, ``none`` for neither (stop at
#: the end and the strict parser do the job). A server that refuses one is asked again
#: with the next weaker (:mod:`core.report.llm.endpoint`).
STRUCTURED_CHOICES: Final[tuple[str, ...]] = ("auto", "grammar", "json_schema", "none")

_DEFAULT_CONNECT_S: Final = 10.0
_DEFAULT_READ_S: Final = 60.0


@dataclass(frozen=True)
class EngineSpec:
    """The engine a draft is written with.

    Build one with :meth:`transformers`, :meth:`endpoint` or :meth:`gguf`.

    Attributes
    ----------
    kind : {"transformers", "endpoint", "gguf"}
    path : str
        The model folder (transformers) or ``.gguf`` file (gguf); "" for an endpoint.
    base_url : str
        The endpoint's base URL, with or without the trailing ``/v1``.
    model : str
        The model name the endpoint serves.
    api_key_name : str
        Where the endpoint's key is kept in the credential store ("" for none: the
        ``RADASSIST_LLM_API_KEY`` variable, or no key). Never the key itself.
    ca_bundle : str
        A PEM file of certificate authorities to verify the server with; "" verifies
        with the system's store. Verification is never turned off.
    connect_timeout_s, read_timeout_s : float
        Seconds to wait for the connection, and for the server's next bytes.
    structured : {"auto", "grammar", "json_schema", "none"}
        What an endpoint's draft is held to (:data:`STRUCTURED_CHOICES`).
    """

    kind: EngineKind
    path: str = ""
    base_url: str = ""
    model: str = ""
    api_key_name: str = ""
    ca_bundle: str = ""
    connect_timeout_s: float = _DEFAULT_CONNECT_S
    read_timeout_s: float = _DEFAULT_READ_S
    structured: str = "auto"

    def __post_init__(self) -> None:
        if self.kind not in ENGINE_KINDS:
            raise ValueError(f"kind must be one of {list(ENGINE_KINDS)}, found {self.kind!r}")
        if self.structured not in STRUCTURED_CHOICES:
            raise ValueError(
                f"structured must be one of {list(STRUCTURED_CHOICES)}, found {self.structured!r}"
            )
        for name in ("connect_timeout_s", "read_timeout_s"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TypeError(f"{name} must be a number, found {type(value).__name__}")
            if not 0.0 < value <= 3600.0:
                raise ValueError(f"{name} must be in (0, 3600] seconds, found {value}")
        if self.kind == "endpoint":
            if not self.base_url.startswith(("http://", "https://")):
                raise ValueError(
                    f"an endpoint's URL must start with http:// or https://, "
                    f"found {self.base_url!r}"
                )
            if not self.model.strip():
                raise ValueError("an endpoint needs the name of the model it serves")
        elif not self.path:
            raise ValueError(f"a {self.kind} engine needs its model path")

    @classmethod
    def transformers(cls, folder: str | PathLike[str]) -> EngineSpec:
        """A Hugging Face folder run with transformers."""
        if not isinstance(folder, str | PathLike):
            raise TypeError(f"folder must be a str or PathLike, found {type(folder).__name__}")
        return cls("transformers", path=os.fspath(folder))

    @classmethod
    def gguf(cls, file: str | PathLike[str]) -> EngineSpec:
        """An imported ``.gguf`` file run with llama.cpp (its hash is checked on load)."""
        if not isinstance(file, str | PathLike):
            raise TypeError(f"file must be a str or PathLike, found {type(file).__name__}")
        return cls("gguf", path=os.fspath(file))

    @classmethod
    def local(cls, path: str | PathLike[str]) -> EngineSpec:
        """The in-process engine for ``path``: a ``.gguf`` file (GGUF), else a folder.

        The one owner of that choice (the command line, Settings and the self-test ask
        here): a path ending in ``.gguf`` is run by llama.cpp, anything else is a
        Hugging Face folder run by transformers.
        """
        if not isinstance(path, str | PathLike):
            raise TypeError(f"path must be a str or PathLike, found {type(path).__name__}")
        if os.fspath(path).lower().endswith(".gguf"):
            return cls.gguf(path)
        return cls.transformers(path)

    @classmethod
    def endpoint(
        cls,
        base_url: str,
        model: str,
        *,
        api_key_name: str | None = None,
        ca_bundle: str | PathLike[str] = "",
        connect_timeout_s: float = _DEFAULT_CONNECT_S,
        read_timeout_s: float = _DEFAULT_READ_S,
        structured: str = "auto",
    ) -> EngineSpec:
        """An OpenAI-compatible server; its key is kept under :meth:`key_name_for` its URL
        unless ``api_key_name`` says otherwise ("": no key from the store). ``structured``
        also takes ``json-schema`` (the command line's spelling)."""
        return cls(
            "endpoint",
            base_url=base_url.strip(),
            model=model.strip(),
            api_key_name=cls.key_name_for(base_url) if api_key_name is None else api_key_name,
            ca_bundle=os.fspath(ca_bundle) if ca_bundle else "",
            connect_timeout_s=connect_timeout_s,
            read_timeout_s=read_timeout_s,
            structured=structured.strip().replace("-", "_"),
        )

    @property
    def display_name(self) -> str:
        """What the panel and reports call the engine's model."""
        if self.kind == "endpoint":
            return self.model
        return Path(self.path).name

    @property
    def uses_model_process(self) -> bool:
        """The model runs in the shared language-model process."""
        return self.kind != "endpoint"

    @staticmethod
    def key_name_for(base_url: str) -> str:
        """The credential-store name of the key of the server at ``base_url``."""
        return f"endpoint:{base_url.strip().rstrip('/')}"


_store: CredentialStore | None = None
_store_lock = threading.Lock()


def endpoint_credentials() -> CredentialStore:
    """The store endpoint keys are kept in (the OS keyring, else this session's memory)."""
    global _store
    with _store_lock:
        if _store is None:
            _store = CredentialStore(service=KEYRING_SERVICE)
        return _store


def endpoint_api_key(spec: EngineSpec) -> str | None:
    """The key to send to ``spec``'s server: the credential store, else the environment."""
    if spec.api_key_name:
        secret = endpoint_credentials().get(spec.api_key_name)
        if secret:
            return secret
    return os.environ.get(API_KEY_ENVIRONMENT) or None
