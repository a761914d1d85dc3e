"""Where the app's own read-only files are: bundled models, report templates, fonts, icons.

One function, :func:`resources_dir`, decides it for every caller, so nothing looks for a
resource by a path relative to the source tree. Three layouts exist:

- a PyInstaller bundle (``sys.frozen``): ``<bundle>/resources`` beside the executable's
  libraries (``sys._MEIPASS``);
- the source tree or an editable install: ``<repository>/resources``;
- a wheel install: ``<prefix>/share/radassist`` (the report templates travel as data files).

The install folder is read-only to the app: what the app writes goes to
:func:`core.paths.user_data_dir`. ``RADASSIST_RESOURCES_DIR`` names another folder (tests
of a damaged install; a site that keeps resources elsewhere).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["is_frozen", "resource_path", "resources_dir"]

_SOURCE_TREE = Path(__file__).resolve().parents[1] / "resources"


def is_frozen() -> bool:
    """Whether this process runs from a PyInstaller bundle rather than a Python install."""
    return bool(getattr(sys, "frozen", False)) and hasattr(sys, "_MEIPASS")


def resources_dir() -> Path:
    """The folder that holds the bundled resources (see the module docstring)."""
    override = os.environ.get("RADASSIST_RESOURCES_DIR")
    if override:
        return Path(override)
    if is_frozen():
        return Path(sys._MEIPASS) / "resources"  # type: ignore[attr-defined]
    if _SOURCE_TREE.is_dir():
        return _SOURCE_TREE
    installed = Path(sys.prefix) / "share" / "radassist"
    return installed if installed.is_dir() else _SOURCE_TREE


def resource_path(*parts: str) -> Path:
    """A path inside :func:`resources_dir` (it may not exist: callers say what is missing).

    Parameters
    ----------
    *parts : str
        Relative path components, e.g. ``("models", "radassist-demo-cxr")``.

    Raises
    ------
    ValueError
        A component is absolute or climbs out of the resources folder.
    """
    for part in parts:
        if not isinstance(part, str):
            raise TypeError(f"resource path parts must be str, found {type(part).__name__}")
        if Path(part).is_absolute() or ".." in Path(part).parts:
            raise ValueError(f"resource path parts must stay inside resources, found {part!r}")
    return resources_dir().joinpath(*parts)
