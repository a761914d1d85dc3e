"""Which bundled resources are missing or damaged, in words a radiologist can act on.

An install can lose a file (a half-finished copy, a disk error, someone "tidying up"
the install folder). The window must then say what is missing and keep working, not
fail later with a traceback or an empty list. :func:`check_installation` is the one
place that finds out: it asks the model registry to verify every bundled model package
(:meth:`core.analysis.registry.ModelRegistry.get`, which hashes every file) and the
template loader to load every report language (:func:`core.report.templates.load_templates`),
and turns their refusals into :class:`ResourceProblem` values. Nothing here re-checks a
file by itself: the reasons are the registry's and the loader's.

It hashes the bundled model files (a few hundred KiB for the demo model), so a window
calls it on a worker thread, never on the GUI thread.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from core.analysis.errors import ModelNotFoundError, ModelPackageError
from core.report.document import LANGUAGES

if TYPE_CHECKING:
    from core.analysis.registry import ModelRegistry

logger = logging.getLogger(__name__)

__all__ = [
    "BUNDLED_MODEL_NAMES",
    "REPAIR_HINT",
    "ResourceProblem",
    "check_bundled_models",
    "check_installation",
    "check_report_templates",
    "describe_installation_problems",
]

#: Model packages every install holds (folder names under the bundled models folder).
BUNDLED_MODEL_NAMES: Final = ("radassist-demo-cxr",)
#: What a person can do about a damaged install.
REPAIR_HINT: Final = "reinstall RadAssist or run radassist --self-test"
#: Report languages by the name a person reads.
_LANGUAGE_NAMES: Final = {"en": "English", "zh-CN": "Chinese"}
_MODEL, _TEMPLATES = "model", "templates"


@dataclass(frozen=True)
class ResourceProblem:
    """One bundled resource that cannot be used, and why.

    Attributes
    ----------
    kind : {"model", "templates"}
    name : str
        The model package's folder name, or the report language ("en", "zh-CN").
    source : str
        The file or folder the refusal names (a path, never patient data).
    reason : str
        The registry's or the template loader's reason, as it gave it.
    missing : bool
        The resource is absent altogether (otherwise it is there but damaged).
    in_install : bool
        The file belongs to the install (False: a site's edited template file).
    """

    kind: str
    name: str
    source: str
    reason: str
    missing: bool
    in_install: bool = True

    @property
    def language(self) -> str | None:
        """The report language whose templates are affected (None for a model)."""
        return self.name if self.kind == _TEMPLATES else None

    @property
    def what(self) -> str:
        """The resource in words: "the bundled model radassist-demo-cxr", "the English report
        templates", "the site's Chinese report templates"."""
        if self.kind == _MODEL:
            return f"the bundled model {self.name}"
        language = _LANGUAGE_NAMES.get(self.name, self.name)
        owner = "the" if self.in_install else "the site's"
        return f"{owner} {language} report templates"

    @property
    def state(self) -> str:
        """ "missing" or "damaged"."""
        return "missing" if self.missing else "damaged"

    @property
    def detail(self) -> str:
        """The reason, led by the file it is about when the reason does not name it."""
        source = Path(self.source)
        if self.kind == _TEMPLATES:
            return f"{source.name}: {self.reason}"
        if source.name != self.name and source.parent.name == self.name:  # a file of it
            return f"{source.name}: {self.reason}"
        return self.reason

    @property
    def remedy(self) -> str:
        """What to do about it."""
        if self.in_install:
            return REPAIR_HINT
        return f"correct or remove the site's file {self.source}"

    @property
    def message(self) -> str:
        """One sentence: what, its state and why ("The bundled model … is damaged: …")."""
        verb = "is" if self.kind == _MODEL else "are"
        text = f"{self.what} {verb} {self.state}: {self.detail}"
        return text[:1].upper() + text[1:]

    def __str__(self) -> str:
        return self.message


def _model_folders(bundled: Path) -> list[Path]:
    """Every package an install should hold, and any other folder found beside them."""
    found = set()
    if bundled.is_dir():
        found = {p.name for p in bundled.iterdir() if p.is_dir() and not p.name.startswith(".")}
    return [bundled / name for name in sorted(found | set(BUNDLED_MODEL_NAMES))]


def check_bundled_models(registry: ModelRegistry | None = None) -> tuple[ResourceProblem, ...]:
    """Verify every bundled model package through the registry (hashes every file).

    Parameters
    ----------
    registry : ModelRegistry, optional
        Default a new one (``bundled_dir`` from :func:`core.resources.resources_dir`).
        A package it verifies is cached there, so running it next is not hashed again.

    Returns
    -------
    tuple of ResourceProblem
        One per package of :data:`BUNDLED_MODEL_NAMES` that is missing and per bundled
        package the registry refuses; empty when every one verifies.
    """
    from core.analysis.registry import ModelRegistry  # lazy: not on the window's start-up path

    if registry is None:
        registry = ModelRegistry()
    elif not isinstance(registry, ModelRegistry):
        raise TypeError(f"registry must be a ModelRegistry, found {type(registry).__name__}")
    problems = []
    for folder in _model_folders(registry.bundled_dir):
        try:
            registry.get(folder)
        except ModelPackageError as error:
            missing = isinstance(error, ModelNotFoundError)
            problems.append(
                ResourceProblem(_MODEL, folder.name, error.source, error.reason, missing)
            )
        except OSError as error:  # unreadable: permissions, a disk error
            source = str(error.filename or folder)
            reason = f"cannot be read ({error.strerror or error})"
            problems.append(ResourceProblem(_MODEL, folder.name, source, reason, False))
    for problem in problems:
        logger.warning("%s", problem.message)
    return tuple(problems)


def check_report_templates(languages: Iterable[str] | None = None) -> tuple[ResourceProblem, ...]:
    """Load each language's report templates as drafting would (the site's edits included).

    Parameters
    ----------
    languages : iterable of str, optional
        Default every report language (``core.report.document.LANGUAGES``).

    Returns
    -------
    tuple of ResourceProblem
        One per language whose templates the loader refuses; ``in_install`` is False
        when the refused file is a site's edited copy rather than the bundled one.
    """
    # lazy: not on the window's start-up path
    from core.report.templates import TemplateError, bundled_templates_dir, load_templates

    wanted = tuple(LANGUAGES if languages is None else languages)
    bundled = bundled_templates_dir()
    problems = []
    for language in wanted:
        try:
            load_templates(language)
        except TemplateError as error:
            source = Path(error.source)
            in_install = source.parent == bundled
            missing = in_install and not source.exists()
            problem = ResourceProblem(
                _TEMPLATES, language, error.source, error.reason, missing, in_install
            )
            logger.warning("%s", problem.message)
            problems.append(problem)
    return tuple(problems)


def check_installation(registry: ModelRegistry | None = None) -> tuple[ResourceProblem, ...]:
    """Every bundled resource that is missing or damaged: models first, then templates.

    Never raises for a damaged install (what is wrong is in the result). Hashes files:
    call it off the GUI thread.
    """
    return check_bundled_models(registry) + check_report_templates()


def describe_installation_problems(problems: Sequence[ResourceProblem]) -> str:
    """The one-line notice for a window: "Part of the installation is missing or damaged:
    the bundled model radassist-demo-cxr (missing), … — run radassist --self-test".

    Only problems of the install are named (a site's template file is the site's own);
    "" when there are none.
    """
    ours = [problem for problem in problems if problem.in_install]
    if not ours:
        return ""
    listed = ", ".join(f"{problem.what} ({problem.state})" for problem in ours)
    return (
        f"Part of the installation is missing or damaged: {listed} — run radassist "
        "--self-test, or reinstall RadAssist. Everything else works."
    )
