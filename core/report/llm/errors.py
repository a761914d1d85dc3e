"""What goes wrong with a language model: one error per refusal, named for what it says.

Every error names the model folder (or a file in it) and says what was expected and
what was found (house rule 5); none carries patient data. They travel through the
language-model process's pipe, so each one pickles.
"""

from __future__ import annotations

import logging
from typing import Any

from core.errors import SourcedError
from core.worker_process import WorkerProcessError

logger = logging.getLogger(__name__)

__all__ = [
    "LanguageModelError",
    "LanguageModelProcessError",
    "ModelConfigError",
    "ModelFolderError",
    "ModelFolderNotFoundError",
    "ModelLoadError",
    "ModelTooLargeError",
    "PickleWeightsError",
    "RemoteCodeError",
    "UnsafeModelError",
]


class LanguageModelError(SourcedError):
    """A language model cannot be used.

    Parameters
    ----------
    folder : str
        The model folder (or a file in it) the problem is in.
    reason : str
        What was expected and what was found.
    """

    @property
    def folder(self) -> str:
        return self.source


class ModelFolderNotFoundError(LanguageModelError):
    """The model folder does not exist or is not a folder."""


class ModelFolderError(LanguageModelError):
    """The folder is not a complete model: no config.json, tokenizer or weights."""


class ModelConfigError(LanguageModelError):
    """config.json cannot be read, is not JSON, or does not describe a causal LM."""


class UnsafeModelError(LanguageModelError):
    """The model would need unsafe loading: never done."""


class PickleWeightsError(UnsafeModelError):
    """The weights are pickle-based (:data:`core.model_files.PICKLE_SUFFIXES`): never loaded."""


class RemoteCodeError(UnsafeModelError):
    """The model needs its own Python code (``auto_map``): never run."""


class ModelTooLargeError(LanguageModelError):
    """The model needs more memory than is available.

    Attributes
    ----------
    needed, available : int
        Bytes.
    """

    def __init__(self, folder: str, reason: str, needed: int = 0, available: int = 0) -> None:
        super().__init__(folder, reason)
        self.needed = needed
        self.available = available

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.folder, self.reason, self.needed, self.available))


class ModelLoadError(LanguageModelError):
    """The model passed inspection but transformers could not load or run it."""


class LanguageModelProcessError(WorkerProcessError):
    """The language-model process stopped or could not be started."""
