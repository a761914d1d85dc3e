"""Model packages: the manifest, its validation, and hash verification.

A model package is a folder holding ``manifest.json``, the weights in safetensors
and any other files (a model card); the manifest lists the SHA-256 of every file
but itself. Nothing here imports torch: a package is checked, listed and even
matched against its network's label count from JSON and the safetensors header.

Manifest schema (``manifest.json``, UTF-8 JSON object)
------------------------------------------------------
``name`` : str, required
    Letters, digits, ``.``, ``_``, ``-`` (it names the installed folder), e.g.
    ``"radassist-demo-cxr"``.
``version`` : str, required
    e.g. ``"1.0.0"``; numeric dotted parts compare numerically.
``task`` : str, required
    ``"classification"`` (multi-label, one sigmoid per label).
``architecture`` : str, required
    A built-in network: ``"densenet121"``, ``"densenet-small"`` or ``"resnet50"``
    (:mod:`core.analysis.architectures`, built by :mod:`core.analysis.networks`).
``architecture_options`` : object, optional
    Options of the architecture, e.g. ``{"growth_rate": 12, "block_config": [4, 8, 8],
    "num_init_features": 32}`` for ``"densenet-small"``; default ``{}``.
``input`` : object, required
    ``size`` (int, side of the square model input), ``channels`` (1 or 3),
    ``preprocessing`` (``"xrv"`` — TorchXRayVision's [-1024, 1024] — or
    ``"imagenet"``), ``crop`` (``"center"``, the default).
``labels`` : list of str, required
    One per network output, in output order; unique.
``thresholds`` : object, required
    ``{label: operating threshold}``, each in [0, 1]; required for every label
    that is not hidden.
``indeterminate_margin`` : float, optional
    Width of the band just below a threshold whose probabilities are
    "indeterminate" (``threshold - margin <= p < threshold``); positive is
    ``p >= threshold``. In [0, 1); default 0.
``hidden_labels`` or ``trained_labels`` : list of str, optional (not both)
    Heads the model was not trained for (hidden from every output), or the
    complement: the heads it was trained for. Default: none hidden.
``applies_to`` : object, optional
    ``modality`` (e.g. ``["CR", "DX"]``), ``body_part`` (``["CHEST"]``),
    ``view_position`` (``["PA", "AP"]``), each a list of DICOM code strings
    (empty or absent = any), and ``min_age_years`` (number or null).
``intended_use`` : str, required
    Shown in Settings → Models and with every result.
``demo`` : bool, optional
    True for a model trained on synthetic images: its output carries
    :data:`DEMO_BANNER` wherever it appears. Default false.
``files`` : object, required
    ``{relative path: SHA-256 hex}`` for every file of the package but
    ``manifest.json``; paths use ``/`` and stay inside the folder.
``weights`` : str, optional
    Which listed file holds the weights (``.safetensors``); default: the only
    ``.safetensors`` file listed.
``model_card`` : str, optional
    A listed Markdown file describing the model.
``description`` : str, optional
    One line for lists.

Unknown keys are ignored (later versions may add some). A package whose manifest
lists pickle-based files (``.pt``, ``.pth``, ``.bin``, ``.ckpt``...) is refused.

The package's own SHA-256 (:attr:`ModelPackage.sha256`) is that of its
``manifest.json`` bytes: the manifest pins every other file by hash, so it
identifies the whole package (result caches key on it).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import re
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path, PurePosixPath
from typing import Any

from core.analysis.architectures import (
    ARCHITECTURES,
    CLASSIFIER_WEIGHT,
    FIRST_CONV_WEIGHT,
    check_architecture_options,
)
from core.analysis.errors import (
    HashMismatchError,
    ManifestError,
    ModelPackageError,
    UnsafeWeightsError,
    WeightsMismatchError,
)
from core.i18n import N_, _, ngettext
from core.model_files import has_refused_suffix, is_pickle_file, scan_model_folder

logger = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.json"

#: Shown wherever a demo model's output appears (house rule 9). The English text, as
#: exports, JSON outputs and the demo package's manifest write it; a screen shows it in
#: the interface language with :func:`demo_banner`.
DEMO_BANNER = N_("Demo model trained on synthetic images — not for clinical use")

TASKS: tuple[str, ...] = ("classification",)
PREPROCESSINGS: tuple[str, ...] = ("xrv", "imagenet")
CROPS: tuple[str, ...] = ("center",)

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_MAX_MANIFEST_BYTES = 1 << 20
_MAX_SAFETENSORS_HEADER = 100 << 20


@dataclass(frozen=True)
class InputSpec:
    """What the network takes: a square ``size`` x ``size`` image of ``channels``."""

    size: int
    channels: int = 1
    preprocessing: str = "xrv"
    crop: str = "center"


@dataclass(frozen=True)
class AppliesTo:
    """Where a model applies; an empty tuple (or None) means any."""

    modality: tuple[str, ...] = ()
    body_part: tuple[str, ...] = ()
    view_position: tuple[str, ...] = ()
    min_age_years: float | None = None


@dataclass(frozen=True)
class ModelManifest:
    """A validated ``manifest.json`` (see the module docstring for each field)."""

    name: str
    version: str
    task: str
    architecture: str
    input: InputSpec
    labels: tuple[str, ...]
    thresholds: Mapping[str, float]
    intended_use: str
    files: Mapping[str, str]
    weights: str
    indeterminate_margin: float = 0.0
    hidden_labels: tuple[str, ...] = ()
    applies_to: AppliesTo = field(default_factory=AppliesTo)
    demo: bool = False
    architecture_options: Mapping[str, Any] = field(default_factory=dict)
    model_card: str | None = None
    description: str = ""

    @property
    def visible_labels(self) -> tuple[str, ...]:
        """Labels the model was trained for, in output order."""
        hidden = set(self.hidden_labels)
        return tuple(label for label in self.labels if label not in hidden)

    @property
    def display_name(self) -> str:
        """``"name version"``, what every finding carries (house rule 9)."""
        return f"{self.name} {self.version}"

    def to_dict(self) -> dict[str, Any]:
        """The manifest as JSON-ready data (``parse_manifest(m.to_dict()) == m``)."""
        data: dict[str, Any] = {
            "name": self.name,
            "version": self.version,
            "task": self.task,
            "architecture": self.architecture,
            "architecture_options": {
                key: list(value) if isinstance(value, tuple) else value
                for key, value in self.architecture_options.items()
            },
            "input": {
                "size": self.input.size,
                "channels": self.input.channels,
                "preprocessing": self.input.preprocessing,
                "crop": self.input.crop,
            },
            "labels": list(self.labels),
            "thresholds": dict(self.thresholds),
            "indeterminate_margin": self.indeterminate_margin,
            "hidden_labels": list(self.hidden_labels),
            "applies_to": {
                "modality": list(self.applies_to.modality),
                "body_part": list(self.applies_to.body_part),
                "view_position": list(self.applies_to.view_position),
                "min_age_years": self.applies_to.min_age_years,
            },
            "intended_use": self.intended_use,
            "demo": self.demo,
            "weights": self.weights,
            "files": dict(self.files),
        }
        if self.model_card is not None:
            data["model_card"] = self.model_card
        if self.description:
            data["description"] = self.description
        return data


@dataclass(frozen=True)
class ModelPackage:
    """A package folder with its manifest.

    Attributes
    ----------
    folder : Path
        The package folder.
    manifest : ModelManifest
    sha256 : str
        SHA-256 of ``manifest.json``'s bytes: identifies the whole package.
    origin : {"bundled", "user", "folder"}
        Where the registry found it ("folder": given by path).
    verified : bool
        True when every file's hash and the weights' label count were checked.
    """

    folder: Path
    manifest: ModelManifest
    sha256: str
    origin: str = "folder"
    verified: bool = False

    @property
    def weights_path(self) -> Path:
        return self.folder / self.manifest.weights

    @property
    def model_card_path(self) -> Path | None:
        card = self.manifest.model_card
        return None if card is None else self.folder / card


# -- validation helpers ---------------------------------------------------------


class _Checker:
    """Collects the manifest's source for messages and checks one field at a time."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, reason: str) -> ManifestError:
        return ManifestError(self.source, _broken_manifest(reason))

    def mapping(
        self, data: Mapping[str, Any], key: str, required: bool = True
    ) -> Mapping[str, Any]:
        value = data.get(key)
        if value is None and not required:
            return {}
        if not isinstance(value, Mapping):
            raise self.fail(
                _("{key!r} must be an object, found {found}").format(key=key, found=_kind(value))
            )
        return value

    def text(self, data: Mapping[str, Any], key: str, required: bool = True) -> str:
        value = data.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not value.strip():
            raise self.fail(
                _("{key!r} must be a non-empty string, found {found}").format(
                    key=key, found=_kind(value)
                )
            )
        return value.strip()

    def choice(
        self, data: Mapping[str, Any], key: str, choices: Sequence[str], default: str
    ) -> str:
        value = data.get(key, default)
        if value not in choices:
            raise self.fail(
                _("{key!r} must be one of {choices}, found {value!r}").format(
                    key=key, choices=", ".join(choices), value=value
                )
            )
        return str(value)

    def integer(self, data: Mapping[str, Any], key: str, low: int, high: int, default: int) -> int:
        value = data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(
                _("{key!r} must be an integer, found {found}").format(key=key, found=_kind(value))
            )
        if not low <= value <= high:
            raise self.fail(
                _("{key!r} must be {low}..{high}, found {value}").format(
                    key=key, low=low, high=high, value=value
                )
            )
        return value

    def number(self, value: object, what: str, low: float, high: float) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(
                _("{what} must be a number, found {found}").format(what=what, found=_kind(value))
            )
        number = float(value)
        if not math.isfinite(number) or not low <= number <= high:
            raise self.fail(
                _("{what} must be in [{low:g}, {high:g}], found {value}").format(
                    what=what, low=low, high=high, value=value
                )
            )
        return number

    def strings(self, data: Mapping[str, Any], key: str, upper: bool = False) -> tuple[str, ...]:
        value = data.get(key)
        if value is None:
            return ()
        if isinstance(value, str) or not isinstance(value, Sequence):
            raise self.fail(
                _("{key!r} must be a list of strings, found {found}").format(
                    key=key, found=_kind(value)
                )
            )
        items = []
        for item in value:
            if not isinstance(item, str) or not item.strip():
                raise self.fail(
                    _("{key!r} must hold non-empty strings, found {item!r}").format(
                        key=key, item=item
                    )
                )
            items.append(item.strip().upper() if upper else item.strip())
        if len(set(items)) != len(items):
            raise self.fail(_("{key!r} lists an entry twice").format(key=key))
        return tuple(items)

    def relative_path(self, value: object, what: str) -> str:
        if not isinstance(value, str) or not value:
            raise self.fail(
                _("{what} must be a relative path, found {found}").format(
                    what=what, found=_kind(value)
                )
            )
        path = PurePosixPath(value)
        if (
            "\\" in value
            or path.is_absolute()
            or ".." in path.parts
            or value != path.as_posix()
            or re.match(r"^[A-Za-z]:", value)
        ):
            raise self.fail(
                _("{what} must be a relative '/' path inside the package, found {value!r}").format(
                    what=what, value=value
                )
            )
        if path.as_posix() == MANIFEST_NAME:
            raise self.fail(_("{what}: manifest.json does not list itself").format(what=what))
        return path.as_posix()


def demo_banner() -> str:
    """:data:`DEMO_BANNER` in the current language: what a screen shows over a demo's output."""
    return _(DEMO_BANNER)


def _kind(value: object) -> str:
    """What a wrong JSON value is, for a refusal ("nothing", "string 'x'", "int")."""
    if value is None:
        return _("nothing")
    if isinstance(value, str):
        return _("string {text!r}").format(text=value[:40])
    return type(value).__name__


def _broken_manifest(reason: str) -> str:
    """The reason a manifest is refused, as a refusal says it."""
    return _("broken manifest: {reason}").format(reason=reason)


def parse_manifest(data: object, source: str = MANIFEST_NAME) -> ModelManifest:
    """Validate manifest data (parsed JSON) and build a :class:`ModelManifest`.

    Parameters
    ----------
    data : mapping
        The JSON object.
    source : str, optional
        Where it came from, for messages (the manifest path).

    Raises
    ------
    ManifestError
        A field is missing or has a wrong value; the message names it.
    UnsafeWeightsError
        A listed file is in a pickle-based format.
    """
    check = _Checker(source)
    if not isinstance(data, Mapping):
        raise check.fail(
            _("the top level must be a JSON object, found {found}").format(found=_kind(data))
        )
    name = check.text(data, "name")
    if not _NAME_RE.match(name):
        raise check.fail(
            _(
                "'name' may hold letters, digits, '.', '_' and '-' (at most 100), found {name!r}"
            ).format(name=name)
        )
    version = check.text(data, "version")
    task = check.choice(data, "task", TASKS, default="")
    architecture = check.choice(data, "architecture", ARCHITECTURES, default="")
    raw_options = dict(check.mapping(data, "architecture_options", required=False))
    try:
        check_architecture_options(architecture, raw_options)
    except (TypeError, ValueError) as exc:
        raise check.fail(_("'architecture_options': {problem}").format(problem=exc)) from exc
    options = {
        key: tuple(value) if isinstance(value, list) else value
        for key, value in raw_options.items()
    }

    raw_input = check.mapping(data, "input")
    spec = InputSpec(
        size=check.integer(raw_input, "size", 8, 4096, default=-1),
        channels=check.integer(raw_input, "channels", 1, 3, default=1),
        preprocessing=check.choice(raw_input, "preprocessing", PREPROCESSINGS, default=""),
        crop=check.choice(raw_input, "crop", CROPS, default="center"),
    )
    if spec.channels == 2:
        raise check.fail(_("'channels' must be 1 or 3, found 2"))

    labels = check.strings(data, "labels")
    if not labels:
        raise check.fail(_("'labels' must list at least one label"))
    known = set(labels)

    if "hidden_labels" in data and "trained_labels" in data:
        raise check.fail(_("give 'hidden_labels' or 'trained_labels', not both"))
    if "trained_labels" in data:
        trained = check.strings(data, "trained_labels")
        _check_subset(check, "trained_labels", trained, known)
        hidden = tuple(label for label in labels if label not in set(trained))
    else:
        hidden = check.strings(data, "hidden_labels")
        _check_subset(check, "hidden_labels", hidden, known)
    visible = [label for label in labels if label not in set(hidden)]
    if not visible:
        raise check.fail(_("every label is hidden; at least one must be trained"))

    raw_thresholds = check.mapping(data, "thresholds")
    _check_subset(check, "thresholds", tuple(raw_thresholds), known)
    thresholds: dict[str, float] = {}
    for label in labels:
        if label in raw_thresholds and raw_thresholds[label] is not None:
            thresholds[label] = check.number(
                raw_thresholds[label], _("threshold of {label!r}").format(label=label), 0.0, 1.0
            )
        elif label not in hidden:
            raise check.fail(
                _("'thresholds' has no operating threshold for {label!r}").format(label=label)
            )
    margin = check.number(data.get("indeterminate_margin", 0.0), "'indeterminate_margin'", 0, 1)
    if margin >= 1.0:
        raise check.fail(
            _("'indeterminate_margin' must be below 1, found {margin}").format(margin=margin)
        )

    raw_applies = check.mapping(data, "applies_to", required=False)
    min_age = raw_applies.get("min_age_years")
    applies_to = AppliesTo(
        modality=check.strings(raw_applies, "modality", upper=True),
        body_part=check.strings(raw_applies, "body_part", upper=True),
        view_position=check.strings(raw_applies, "view_position", upper=True),
        min_age_years=None
        if min_age is None
        else check.number(min_age, "'applies_to.min_age_years'", 0.0, 150.0),
    )

    intended_use = check.text(data, "intended_use")
    demo = data.get("demo", False)
    if not isinstance(demo, bool):
        raise check.fail(_("'demo' must be true or false, found {found}").format(found=_kind(demo)))

    raw_files = check.mapping(data, "files")
    if not raw_files:
        raise check.fail(_("'files' must list the weights and every other file with its SHA-256"))
    files: dict[str, str] = {}
    for rel, digest in raw_files.items():
        path = check.relative_path(rel, _("'files' entry {path!r}").format(path=rel))
        if not isinstance(digest, str) or not _SHA256_RE.match(digest.lower()):
            raise check.fail(
                _("'files' entry {path!r} needs a 64-digit hex SHA-256, found {digest!r}").format(
                    path=rel, digest=digest
                )
            )
        files[path] = digest.lower()
    pickled = sorted(p for p in files if has_refused_suffix(p))
    if pickled:
        raise UnsafeWeightsError(
            source,
            _(
                "pickle-based weights are never loaded: {files}; convert them to "
                "safetensors (see the README)"
            ).format(files=", ".join(pickled)),
        )

    if "weights" in data:
        weights = check.relative_path(data["weights"], "'weights'")
    else:
        candidates = [p for p in files if p.endswith(".safetensors")]
        if len(candidates) != 1:
            raise check.fail(
                ngettext(
                    "'weights' is not given and 'files' lists {count} .safetensors file",
                    "'weights' is not given and 'files' lists {count} .safetensors files",
                    len(candidates),
                ).format(count=len(candidates))
            )
        weights = candidates[0]
    if weights not in files:
        raise check.fail(
            _("'weights' names {weights!r}, which 'files' does not list").format(weights=weights)
        )
    if not weights.endswith(".safetensors"):
        raise UnsafeWeightsError(
            source,
            _("weights must be .safetensors, found {name!r}").format(
                name=PurePosixPath(weights).name
            ),
        )
    model_card = None
    if data.get("model_card") is not None:
        model_card = check.relative_path(data["model_card"], "'model_card'")
        if model_card not in files:
            raise check.fail(
                _("'model_card' names {card!r}, which 'files' does not list").format(
                    card=model_card
                )
            )

    return ModelManifest(
        name=name,
        version=version,
        task=task,
        architecture=architecture,
        input=spec,
        labels=labels,
        thresholds=thresholds,
        intended_use=intended_use,
        files=files,
        weights=weights,
        indeterminate_margin=margin,
        hidden_labels=hidden,
        applies_to=applies_to,
        demo=demo,
        architecture_options=options,
        model_card=model_card,
        description=check.text(data, "description", required=False),
    )


def _check_subset(check: _Checker, key: str, items: Sequence[str], known: set[str]) -> None:
    unknown = [item for item in items if item not in known]
    if unknown:
        raise check.fail(
            _("{key!r} names label(s) not in 'labels': {labels}").format(
                key=key, labels=", ".join(unknown)
            )
        )


# -- reading and verifying packages ---------------------------------------------


def _folder(folder: str | PathLike[str]) -> Path:
    if not isinstance(folder, str | PathLike):
        raise TypeError(f"folder must be a path, found {type(folder).__name__}")
    path = Path(folder)
    if not path.is_dir():
        raise ModelPackageError(str(path), _("not a folder (a model package is a folder)"))
    return path


def _read_manifest_bytes(folder: Path) -> bytes:
    path = folder / MANIFEST_NAME
    if path.is_symlink() and not path.resolve().is_relative_to(folder.resolve()):
        raise ManifestError(
            str(path), _broken_manifest(_("a symbolic link pointing outside the package"))
        )
    if not path.is_file():
        raise ManifestError(
            str(folder),
            _broken_manifest(_("no {name} in the folder").format(name=MANIFEST_NAME)),
        )
    if path.stat().st_size > _MAX_MANIFEST_BYTES:
        raise ManifestError(str(path), _broken_manifest(_("larger than 1 MiB")))
    return path.read_bytes()


def _parse_bytes(raw: bytes, source: str) -> ModelManifest:
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ManifestError(
            source, _broken_manifest(_("not UTF-8 ({reason})").format(reason=exc.reason))
        ) from exc
    except json.JSONDecodeError as exc:
        raise ManifestError(
            source,
            _broken_manifest(
                _("not JSON ({problem} at line {line})").format(problem=exc.msg, line=exc.lineno)
            ),
        ) from exc
    return parse_manifest(data, source)


def load_manifest(folder: str | PathLike[str]) -> ModelManifest:
    """Read and validate ``folder/manifest.json`` (no hashing; see :func:`verify_package`).

    Raises
    ------
    ModelPackageError
        ``folder`` is not a folder.
    ManifestError
        No manifest, not JSON, or a field is missing or wrong.
    UnsafeWeightsError
        The manifest lists pickle-based weights.
    """
    path = _folder(folder)
    return _parse_bytes(_read_manifest_bytes(path), str(path / MANIFEST_NAME))


def read_package(folder: str | PathLike[str], origin: str = "folder") -> ModelPackage:
    """Read a package's manifest without hashing its files (cheap: for listings)."""
    path = _folder(folder)
    raw = _read_manifest_bytes(path)
    manifest = _parse_bytes(raw, str(path / MANIFEST_NAME))
    return ModelPackage(path, manifest, hashlib.sha256(raw).hexdigest(), origin, verified=False)


def compute_sha256(path: str | PathLike[str]) -> str:
    """SHA-256 of a file's bytes, as lowercase hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_safetensors_header(path: str | PathLike[str]) -> dict[str, tuple[str, tuple[int, ...]]]:
    """Tensor names, dtypes and shapes from a safetensors file's JSON header (no torch).

    Raises
    ------
    UnsafeWeightsError
        The file is a pickle or zip archive (a ``torch.save`` file renamed).
    ModelPackageError
        The file is not safetensors for another reason.
    """
    source = str(path)
    if is_pickle_file(path):
        raise UnsafeWeightsError(
            source, _("weights are a pickle/zip archive (torch.save), not safetensors")
        )
    with open(path, "rb") as handle:
        head = handle.read(8)
        if len(head) < 8:
            raise ModelPackageError(source, _("not a safetensors file (shorter than 8 bytes)"))
        (length,) = struct.unpack("<Q", head)
        if length > _MAX_SAFETENSORS_HEADER or length < 2:
            raise ModelPackageError(
                source,
                _("not a safetensors file (header length {length} is implausible)").format(
                    length=length
                ),
            )
        raw = handle.read(length)
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelPackageError(source, _("not a safetensors file (header is not JSON)")) from exc
    if not isinstance(header, dict):
        raise ModelPackageError(source, _("not a safetensors file (header is not an object)"))
    tensors: dict[str, tuple[str, tuple[int, ...]]] = {}
    for key, info in header.items():
        if key == "__metadata__":
            continue
        if not isinstance(info, dict) or not isinstance(info.get("shape"), list):
            raise ModelPackageError(
                source, _("not a safetensors file (entry {key!r} has no shape)").format(key=key)
            )
        tensors[key] = (str(info.get("dtype", "")), tuple(int(n) for n in info["shape"]))
    return tensors


def _package_files(folder: Path) -> list[str]:
    """Every regular file under ``folder`` (posix relative paths) but hidden ones."""
    return [
        rel
        for rel in scan_model_folder(folder).files
        if not any(part.startswith(".") for part in rel.split("/"))
    ]


def verify_folder_files(
    folder: str | PathLike[str], files: Mapping[str, str], manifest_name: str = MANIFEST_NAME
) -> None:
    """Check a model folder against the SHA-256 of every file its manifest lists.

    The one hash check of model folders: CNN packages and imported language models.
    Every file is scanned, hidden ones included.

    Raises
    ------
    UnsafeWeightsError
        A pickle-based file anywhere in the folder (by suffix or by content).
    HashMismatchError
        A symbolic link leading out of the folder (the manifest's included), a listed
        file missing or with another SHA-256, or a (non-hidden) file not listed.
    """
    root = Path(folder)
    scan = scan_model_folder(root)
    if scan.outside_links:
        raise HashMismatchError(
            str(root),
            _(
                "{links} points outside the package (a symbolic link out of a model folder "
                "is never followed)"
            ).format(links=", ".join(scan.outside_links[:5])),
        )
    if scan.pickles:
        raise UnsafeWeightsError(
            str(root),
            _(
                "the package holds pickle-based files ({files}), which are never loaded; "
                "convert the weights to safetensors (see the README)"
            ).format(files=", ".join(scan.pickles[:5])),
        )
    resolved_root = root.resolve()
    for rel, expected in files.items():
        path = root / rel
        if not path.is_file():
            raise HashMismatchError(str(root), _("listed file {path} is missing").format(path=rel))
        if not path.resolve().is_relative_to(resolved_root):
            raise HashMismatchError(
                str(root), _("listed file {path} points outside the package").format(path=rel)
            )
        actual = compute_sha256(path)
        if actual != expected:
            raise HashMismatchError(
                str(root),
                _(
                    "SHA-256 of {path} is {actual}…, the manifest says {expected}… "
                    "(the file changed or is corrupt)"
                ).format(path=rel, actual=actual[:16], expected=expected[:16]),
            )
    present = [
        rel for rel in scan.files if not any(part.startswith(".") for part in rel.split("/"))
    ]
    unlisted = sorted(set(present) - set(files) - {manifest_name})
    if unlisted:
        raise HashMismatchError(
            str(root),
            _("file(s) not listed in the manifest, so without a SHA-256: {files}").format(
                files=", ".join(unlisted[:5])
            ),
        )


def verify_package(folder: str | PathLike[str], origin: str = "folder") -> ModelPackage:
    """Check a package completely: manifest, every file's SHA-256, weights vs labels.

    Refusals, in the order they are checked:

    1. not a folder, no manifest, not JSON, a field missing or wrong
       (:class:`ManifestError`);
    2. pickle-based files listed or present (:class:`UnsafeWeightsError`);
    3. a listed file missing, outside the folder, or with another SHA-256, or a
       file present but not listed (:class:`HashMismatchError`);
    4. weights that are not safetensors (:class:`UnsafeWeightsError` when they are
       a pickle/zip archive);
    5. a classifier whose output count differs from the number of labels, or a
       first convolution taking other channels than ``input.channels``
       (:class:`WeightsMismatchError`).

    Parameters
    ----------
    folder : str or Path
        The package folder.
    origin : str, optional
        Recorded in the result (``"bundled"``, ``"user"``, ``"folder"``).

    Returns
    -------
    ModelPackage
        With ``verified=True``.
    """
    package = read_package(folder, origin)
    root = package.folder
    manifest = package.manifest
    verify_folder_files(root, manifest.files)
    _check_weights_header(package)
    logger.debug("verified package %s (%d files)", manifest.display_name, len(manifest.files))
    return ModelPackage(root, manifest, package.sha256, origin, verified=True)


def _check_weights_header(package: ModelPackage) -> None:
    manifest = package.manifest
    weights = package.weights_path
    tensors = read_safetensors_header(weights)
    key = CLASSIFIER_WEIGHT[manifest.architecture]
    if key not in tensors:
        raise WeightsMismatchError(
            str(weights),
            _("no {key} tensor: these weights are not a {architecture} classifier").format(
                key=key, architecture=manifest.architecture
            ),
        )
    outputs = tensors[key][1][0] if tensors[key][1] else 0
    if outputs != len(manifest.labels):
        raise WeightsMismatchError(
            str(weights),
            _(
                "label count mismatch: the network has {outputs} outputs ({key} {shape}) "
                "but the manifest lists {count} labels"
            ).format(outputs=outputs, key=key, shape=tensors[key][1], count=len(manifest.labels)),
        )
    conv = FIRST_CONV_WEIGHT[manifest.architecture]
    if (
        conv in tensors
        and len(tensors[conv][1]) == 4
        and tensors[conv][1][1] != manifest.input.channels
    ):
        raise WeightsMismatchError(
            str(weights),
            _(
                "the first convolution takes {found} channel(s) but the manifest's input has "
                "{expected}"
            ).format(found=tensors[conv][1][1], expected=manifest.input.channels),
        )


def seal_package(
    folder: str | PathLike[str],
    manifest_data: Mapping[str, Any],
    files: Sequence[str] | None = None,
) -> ModelPackage:
    """Hash a package's files, write its ``manifest.json`` and verify the result.

    For building packages (the demo model's training script, tests, conversions).

    Parameters
    ----------
    folder : str or Path
        Package folder holding the weights and other files.
    manifest_data : mapping
        Every manifest field but ``files`` (a given ``files`` is replaced).
    files : sequence of str, optional
        Relative paths to list; default every non-hidden file in the folder except
        ``manifest.json``.

    Returns
    -------
    ModelPackage
        Verified.
    """
    root = _folder(folder)
    listed = (
        [p for p in _package_files(root) if p != MANIFEST_NAME] if files is None else list(files)
    )
    data = dict(manifest_data)
    data["files"] = {rel: compute_sha256(root / rel) for rel in sorted(listed)}
    # Refuse before writing anything: a bad field, or weights that do not fit the labels.
    manifest = parse_manifest(data, str(root / MANIFEST_NAME))
    _check_weights_header(ModelPackage(root, manifest, ""))
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    tmp = root / f".{MANIFEST_NAME}.tmp"  # hidden: never taken for a package file
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, root / MANIFEST_NAME)
    return verify_package(root)
