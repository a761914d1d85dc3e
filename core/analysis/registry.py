"""Where model packages live, and which ones may be used.

Two places: packages bundled with the app (``resources/models``) and the user's
(``user_data_dir()/models``), one package per sub-folder. Listing reads manifests
only (JSON, no torch, no hashing); :meth:`ModelRegistry.get` verifies every file's
SHA-256 before a package is handed out; importing copies a verified folder into the
user's models folder and verifies the copy. Broken packages are listed with their
reason instead of being skipped silently, so Settings → Models can show why.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

from core.analysis.errors import ModelNotFoundError, ModelPackageError
from core.analysis.manifest import MANIFEST_NAME, ModelPackage, read_package, verify_package
from core.i18n import N_, _
from core.paths import user_data_dir
from core.resources import resource_path

logger = logging.getLogger(__name__)

#: Where an installed package came from (``ModelPackage.origin``), as a refusal names it.
_ORIGINS = {"bundled": N_("bundled"), "user": N_("user"), "folder": N_("folder")}


def bundled_models_dir() -> Path:
    """The bundled model packages (``models`` under :func:`core.resources.resources_dir`)."""
    return resource_path("models")


def user_models_dir() -> Path:
    """The user's model packages folder (created on first use)."""
    path = user_data_dir() / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass(frozen=True)
class PackageProblem:
    """A folder in a models location that is not a usable package.

    Attributes
    ----------
    folder : Path
    origin : {"bundled", "user"}
    reason : str
        The refusal's message (what was expected and what was found).
    """

    folder: Path
    origin: str
    reason: str


def _version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    # "1.10.0" sorts after "1.9.2"; non-numeric parts sort after numbers, as text.
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"[.\-+_]", version)
    )


def _sort_key(package: ModelPackage) -> tuple[str, tuple[tuple[int, int | str], ...], int]:
    return (package.manifest.name, _version_key(package.manifest.version), package.origin == "user")


class ModelRegistry:
    """The bundled and the user's model packages.

    Parameters
    ----------
    bundled_dir : str or Path, optional
        Default :func:`bundled_models_dir`.
    user_dir : str or Path, optional
        Default :func:`user_models_dir` (``RADASSIST_DATA_DIR`` moves it).
    """

    def __init__(
        self,
        bundled_dir: str | PathLike[str] | None = None,
        user_dir: str | PathLike[str] | None = None,
    ) -> None:
        self.bundled_dir = Path(bundled_dir) if bundled_dir is not None else bundled_models_dir()
        self._user_dir = Path(user_dir) if user_dir is not None else None
        # Folder -> (file signatures, verified package): skip re-hashing unchanged packages.
        self._verified: dict[Path, tuple[tuple[tuple[str, int, int], ...], ModelPackage]] = {}

    @property
    def user_dir(self) -> Path:
        """The user's models folder (created when first asked for)."""
        if self._user_dir is None:
            self._user_dir = user_models_dir()
        self._user_dir.mkdir(parents=True, exist_ok=True)
        return self._user_dir

    def _locations(self) -> list[tuple[str, Path]]:
        return [("bundled", self.bundled_dir), ("user", self.user_dir)]

    def scan(self) -> tuple[list[ModelPackage], list[PackageProblem]]:
        """Read every package's manifest (no hashing).

        Returns
        -------
        packages : list of ModelPackage
            Readable packages (``verified=False``), sorted by name, then version.
        problems : list of PackageProblem
            Folders whose manifest is missing or refused, with the reason.
        """
        packages: list[ModelPackage] = []
        problems: list[PackageProblem] = []
        for origin, location in self._locations():
            if not location.is_dir():
                continue
            for folder in sorted(location.iterdir()):
                if not folder.is_dir() or folder.name.startswith("."):
                    continue
                try:
                    packages.append(read_package(folder, origin))
                except ModelPackageError as exc:
                    logger.warning("model package refused: %s", exc)
                    problems.append(PackageProblem(folder, origin, str(exc)))
        packages.sort(key=_sort_key)
        return packages, problems

    def list_packages(self) -> list[ModelPackage]:
        """Readable packages, sorted by name then version (see :meth:`scan`)."""
        return self.scan()[0]

    def list_problems(self) -> list[PackageProblem]:
        """Folders that are not usable packages, with the reason (see :meth:`scan`)."""
        return self.scan()[1]

    def get(self, name_or_dir: str | PathLike[str], version: str | None = None) -> ModelPackage:
        """A verified package, by name (newest version unless given) or by folder.

        A string naming an existing folder (or containing a path separator) is taken
        as a folder; otherwise as a package name. With several versions the newest
        wins; with the same version in both places, the user's.

        Raises
        ------
        ModelNotFoundError
            No package of that name (and version); the message lists the known names.
        ModelPackageError
            The package is refused (hash, pickle, manifest, label count...).
        """
        if isinstance(name_or_dir, PathLike) or (
            isinstance(name_or_dir, str)
            and (Path(name_or_dir).is_dir() or os.sep in name_or_dir or "/" in name_or_dir)
        ):
            folder = Path(name_or_dir)
            if not folder.is_dir():
                raise ModelNotFoundError(str(folder), _("no such model package folder"))
            return self._verify(folder, self._origin_of(folder))
        if not isinstance(name_or_dir, str):
            raise TypeError(
                f"name_or_dir must be a name or a path, found {type(name_or_dir).__name__}"
            )
        packages = self.list_packages()
        matches = [p for p in packages if p.manifest.name == name_or_dir]
        if version is not None:
            matches = [p for p in matches if p.manifest.version == version]
        if not matches:
            known = sorted({p.manifest.display_name for p in packages})
            wanted = name_or_dir if version is None else f"{name_or_dir} {version}"
            raise ModelNotFoundError(
                wanted,
                _("no such model package; known: {names}").format(
                    names=", ".join(known) or _("none")
                ),
            )
        best = matches[-1]
        return self._verify(best.folder, best.origin)

    def get_default(self) -> ModelPackage | None:
        """The package to use when none is named: a non-demo one if any, newest first.

        Packages that fail verification are skipped (and logged); None when no
        package can be used.
        """
        packages = self.list_packages()
        ranked = sorted(
            packages,
            key=lambda p: (not p.manifest.demo, p.origin == "user", _sort_key(p)),
            reverse=True,
        )
        for candidate in ranked:
            try:
                return self._verify(candidate.folder, candidate.origin)
            except ModelPackageError as exc:
                logger.warning("default model skipped: %s", exc)
        return None

    def import_package(self, folder: str | PathLike[str]) -> ModelPackage:
        """Verify a package folder and copy it into the user's models folder.

        The copy goes to ``user_dir/<name>-<version>``, is verified again, and only
        then replaces nothing: a package of the same name and version that differs
        is refused (raise the version instead). Importing the same package twice
        returns the installed one.

        Returns
        -------
        ModelPackage
            The installed copy, verified, ``origin="user"``.

        Raises
        ------
        ModelPackageError
            Any refusal of :func:`~core.analysis.manifest.verify_package`, or a
            clash with an installed package.
        """
        source = verify_package(folder)
        manifest = source.manifest
        for installed in self.list_packages():
            same = (installed.manifest.name, installed.manifest.version) == (
                manifest.name,
                manifest.version,
            )
            if same and installed.sha256 == source.sha256:
                logger.info("package %s is already installed", manifest.display_name)
                return self._verify(installed.folder, installed.origin)
            if same:
                raise ModelPackageError(
                    str(source.folder),
                    _(
                        "another package named {name} version {version} is already installed "
                        "({origin}) with other files; give this one a new version"
                    ).format(
                        name=manifest.name,
                        version=manifest.version,
                        origin=_(_ORIGINS.get(installed.origin, installed.origin)),
                    ),
                )
        target = self.user_dir / f"{manifest.name}-{manifest.version}"
        if target.exists():
            raise ModelPackageError(
                str(source.folder),
                _("the folder {folder} already exists in the user's models").format(
                    folder=target.name
                ),
            )
        staging = Path(tempfile.mkdtemp(prefix=".import-", dir=self.user_dir))
        try:
            for rel in (*manifest.files, MANIFEST_NAME):
                destination = staging / rel
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source.folder / rel, destination)
            verify_package(staging, "user")
            os.replace(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        logger.info("imported model package %s", manifest.display_name)
        return self._verify(target, "user")

    def remove_package(self, package: ModelPackage) -> None:
        """Delete a user-installed package (bundled ones cannot be removed)."""
        folder = package.folder.resolve()
        if not folder.is_relative_to(self.user_dir.resolve()) or folder == self.user_dir.resolve():
            raise ModelPackageError(
                str(package.folder), _("only packages in the user's models folder can be removed")
            )
        shutil.rmtree(folder)
        self._verified.pop(package.folder, None)
        logger.info("removed model package %s", package.manifest.display_name)

    def _origin_of(self, folder: Path) -> str:
        parent = folder.resolve().parent
        for origin, location in self._locations():
            if location.is_dir() and parent == location.resolve():
                return origin
        return "folder"

    def _verify(self, folder: Path, origin: str) -> ModelPackage:
        signature = _signature(folder)
        cached = self._verified.get(folder)
        if cached is not None and cached[0] == signature and cached[1].origin == origin:
            return cached[1]
        package = verify_package(folder, origin)
        self._verified[folder] = (signature, package)
        return package


def _signature(folder: Path) -> tuple[tuple[str, int, int], ...]:
    # Size and modification time of every file: a change forces hashing again.
    entries = []
    for root, dirs, names in os.walk(folder):
        dirs.sort()
        for name in sorted(names):
            path = Path(root) / name
            try:
                stat = path.stat()
            except OSError:
                continue
            entries.append((path.relative_to(folder).as_posix(), stat.st_size, stat.st_mtime_ns))
    return tuple(entries)
