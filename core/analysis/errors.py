"""Why a model package is refused.

Every refusal names the package (its folder or file, never patient data) and says
what was expected and what was found, so Settings → Models can show it as is.
"""

from __future__ import annotations

from core.errors import SourcedError


class ModelPackageError(SourcedError):
    """A model package cannot be used.

    Parameters
    ----------
    package : str
        The package folder (or file inside it) the problem is in.
    reason : str
        What was expected and what was found.
    """

    @property
    def package(self) -> str:
        return self.source


class ManifestError(ModelPackageError):
    """manifest.json is missing, is not JSON, or a field is missing or has a wrong value."""


class HashMismatchError(ModelPackageError):
    """A file's SHA-256 differs from the one in the manifest, or a listed file is missing."""


class UnsafeWeightsError(ModelPackageError):
    """Weights are in a pickle-based format (.pt/.pth/.bin/.ckpt...), which is never loaded."""


class WeightsMismatchError(ModelPackageError):
    """The weights do not fit the network (missing/unexpected tensors, shapes, label count)."""


class ModelNotFoundError(ModelPackageError):
    """No package with that name (or in that folder) is known to the registry."""
