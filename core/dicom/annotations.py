"""Measurements and annotations on images: the model, its JSON form, and the per-study store.

An :class:`Annotation` lives on one frame of one image, named by its SOP Instance UID
(0008,0018) and frame — never by where a viewer put that frame in a stack, which
changes with sorting and splitting. Points are image coordinates as in
:mod:`core.dicom.measure` (``(x, y)`` in pixels, the top-left corner of the top-left
pixel at ``(0, 0)``), which is also the convention of a presentation state's PIXEL
annotation units (PS3.3 C.10.5.1.2), so nothing is converted on export.

A measurement drawn on a reformatted plane (MPR) lies in no one image: it also keeps
``patient_points``, its points in patient millimetres (LPS, PS3.3 C.7.6.2.1.1), and is
filed under the acquired image nearest to it (``points`` then are its projection on that
image; :mod:`core.viewing.placement` decides both). The field came with format 2; a
file without such measurements is still written as format 1, so an older version
reads it; format 1 files load as they are.

Kinds: ``distance`` (2 points), ``angle`` (first, vertex, second), ``rectangle`` and
``ellipse`` (two opposite corners of the bounding box) are measurements a person drew;
``polyline`` (2 or more points, ``closed`` or not), ``points`` (1 or more) and
``text`` (an anchor point, or the two corners of a bounding box, plus ``text``) come
from presentation states. ``origin`` says which: ``"user"`` or ``"presentation state"``.

:class:`AnnotationStore` keeps a study's user annotations in the user data folder,
one JSON file per study named like its drafts (:func:`core.report.store.study_key`, a
hash of the Study Instance UID: no patient data in file names) and written the same way
(:func:`core.report.store.write_atomically`: temporary file, ``fsync``, rename; owner
read/write only). A file that cannot be read is renamed aside, never deleted.
Cost of a save (30 annotations, 4 KB of JSON; the shared 2-core build machine with a busy
disk): 12 ms median, 18 ms worst over 60 saves 20 ms apart — the ``fsync`` calls, as for
drafts; a load 0.6 ms. A viewer may save on every finished change (a drawn, moved or
deleted measurement) on the GUI thread, within its 50 ms budget.
"""

from __future__ import annotations

import json
import logging
import math
import os
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from os import PathLike
from pathlib import Path
from typing import Any, Final

from core.at_rest import AtRestError, reseal_file, seal, unseal
from core.errors import RadAssistError
from core.paths import user_data_dir
from core.report.store import describe_os_error, study_key, write_atomically

logger = logging.getLogger(__name__)

__all__ = [
    "ANNOTATION_FORMAT",
    "MEASUREMENT_KINDS",
    "ORIGIN_PRESENTATION_STATE",
    "ORIGIN_USER",
    "Annotation",
    "AnnotationStore",
    "AnnotationStoreError",
    "annotations_from_json",
    "annotations_to_json",
]

#: Version of the JSON layout (2 added ``patient_points``).
ANNOTATION_FORMAT: Final = 2
_FORMAT_WITHOUT_PATIENT_POINTS: Final = 1
#: Kinds a person draws (and the store keeps).
MEASUREMENT_KINDS: Final = ("distance", "angle", "rectangle", "ellipse")
#: Kinds read from presentation states as they are.
_SHAPE_KINDS: Final = ("polyline", "points", "text")
ORIGIN_USER: Final = "user"
ORIGIN_PRESENTATION_STATE: Final = "presentation state"
_POINTS_NEEDED: Final = {"distance": 2, "angle": 3, "rectangle": 2, "ellipse": 2}
_MAX_TEXT: Final = 1024  # a presentation state's Unformatted Text Value is ST (1024 chars)


class AnnotationStoreError(RadAssistError):
    """The annotations of a study could not be written (or, key unreachable, read)."""


def _check_point(point: Any) -> tuple[float, float]:
    if isinstance(point, str | bytes) or not isinstance(point, Sequence) or len(point) != 2:
        raise TypeError(f"a point must be an (x, y) pair, found {point!r}")
    values = []
    for value in point:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"a point must hold numbers, found {point!r}")
        if not math.isfinite(float(value)):
            raise ValueError(f"a point must be finite, found {point!r}")
        values.append(float(value))
    return values[0], values[1]


def _check_patient_point(point: Any) -> tuple[float, float, float]:
    if isinstance(point, str | bytes) or not isinstance(point, Sequence) or len(point) != 3:
        raise TypeError(f"a patient point must be an (x, y, z) triple, found {point!r}")
    values = []
    for value in point:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"a patient point must hold numbers, found {point!r}")
        if not math.isfinite(float(value)):
            raise ValueError(f"a patient point must be finite, found {point!r}")
        values.append(float(value))
    return values[0], values[1], values[2]


@dataclass(frozen=True)
class Annotation:
    """One measurement or annotation on one frame of one image.

    Attributes
    ----------
    kind : str
        See the module notes.
    sop_instance_uid : str
        The image it belongs to.
    frame : int or None
        The frame of that image, from 0 (a presentation state's Referenced Frame
        Number minus 1); None: every frame of the image.
    points : tuple of (float, float)
        Image coordinates, see the module notes.
    text : str
        What a ``text`` annotation says ("" for the others).
    closed : bool
        A ``polyline`` that closes on itself.
    origin : str
        ``"user"`` or ``"presentation state"``.
    patient_points : tuple of (float, float, float)
        For a measurement drawn on a reformatted plane: its points in patient mm, one
        per point of ``points`` (see the module notes); () for the others.
    """

    kind: str
    sop_instance_uid: str
    frame: int | None
    points: tuple[tuple[float, float], ...]
    text: str = ""
    closed: bool = False
    origin: str = ORIGIN_USER
    patient_points: tuple[tuple[float, float, float], ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in MEASUREMENT_KINDS + _SHAPE_KINDS:
            kinds = ", ".join(MEASUREMENT_KINDS + _SHAPE_KINDS)
            raise ValueError(f"kind must be one of {kinds}; found {self.kind!r}")
        if not isinstance(self.sop_instance_uid, str) or not self.sop_instance_uid.strip():
            raise ValueError("an annotation needs the SOP Instance UID of its image")
        if self.frame is not None and (
            isinstance(self.frame, bool) or not isinstance(self.frame, int) or self.frame < 0
        ):
            raise ValueError(f"frame must be an int >= 0 or None, found {self.frame!r}")
        points = tuple(_check_point(p) for p in self.points)
        object.__setattr__(self, "points", points)
        patient = tuple(_check_patient_point(p) for p in self.patient_points)
        if patient and len(patient) != len(points):
            raise ValueError(
                f"patient_points must match points one for one: {len(patient)} for {len(points)}"
            )
        object.__setattr__(self, "patient_points", patient)
        needed = _POINTS_NEEDED.get(self.kind)
        if needed is not None and len(points) != needed:
            raise ValueError(f"a {self.kind} needs {needed} points, found {len(points)}")
        if self.kind == "polyline" and len(points) < 2:
            raise ValueError(f"a polyline needs 2 or more points, found {len(points)}")
        if self.kind == "points" and not points:
            raise ValueError("a points annotation needs at least one point")
        if self.kind == "text" and len(points) not in (1, 2):
            raise ValueError(
                f"a text needs an anchor point or a bounding box, found {len(points)} points"
            )
        if not isinstance(self.text, str) or len(self.text) > _MAX_TEXT:
            raise ValueError(f"text must be a str of at most {_MAX_TEXT} characters")
        if self.origin not in (ORIGIN_USER, ORIGIN_PRESENTATION_STATE):
            raise ValueError(
                f"origin must be 'user' or 'presentation state', found {self.origin!r}"
            )

    @property
    def is_measurement(self) -> bool:
        """A distance, angle or ROI a person drew (what the store keeps)."""
        return self.kind in MEASUREMENT_KINDS and self.origin == ORIGIN_USER

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.kind,
            "sop_instance_uid": self.sop_instance_uid,
            "frame": self.frame,
            "points": [list(p) for p in self.points],
        }
        if self.text:
            data["text"] = self.text
        if self.closed:
            data["closed"] = True
        if self.origin != ORIGIN_USER:
            data["origin"] = self.origin
        if self.patient_points:
            data["patient_points"] = [list(p) for p in self.patient_points]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Annotation:
        """The annotation :meth:`to_json` wrote.

        Raises
        ------
        ValueError
            A field is missing or wrong (the message names it).
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"an annotation must be a JSON object, found {type(data).__name__}")
        try:
            points = data["points"]
            if not isinstance(points, list):
                raise ValueError("points must be a list")
            patient = data.get("patient_points", [])
            if not isinstance(patient, list):
                raise ValueError("patient_points must be a list")
            return cls(
                kind=str(data["kind"]),
                sop_instance_uid=str(data["sop_instance_uid"]),
                frame=data.get("frame"),
                points=tuple(tuple(p) for p in points),
                text=str(data.get("text", "")),
                closed=bool(data.get("closed", False)),
                origin=str(data.get("origin", ORIGIN_USER)),
                patient_points=tuple(tuple(p) for p in patient),
            )
        except KeyError as exc:
            raise ValueError(f"an annotation lacks {exc.args[0]!r}") from exc
        except TypeError as exc:
            raise ValueError(str(exc)) from exc


def annotations_to_json(study_uid: str, annotations: Iterable[Annotation]) -> bytes:
    """The store's file content for a study (UTF-8 JSON)."""
    if not isinstance(study_uid, str) or not study_uid.strip():
        raise ValueError("study_uid must be a non-empty str")
    items = []
    for item in annotations:
        if not isinstance(item, Annotation):
            raise TypeError(f"annotations must be Annotation, found {type(item).__name__}")
        items.append(item.to_json())
    # Format 1 while nothing needs patient points: a version before them reads the file.
    needed = any("patient_points" in item for item in items)
    document = {
        "format": ANNOTATION_FORMAT if needed else _FORMAT_WITHOUT_PATIENT_POINTS,
        "study_instance_uid": study_uid.strip(),
        "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "annotations": items,
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


def annotations_from_json(data: bytes, study_uid: str | None = None) -> tuple[Annotation, ...]:
    """The annotations of a store file.

    Raises
    ------
    ValueError
        Not a store file, a newer format, another study's file, or a bad annotation.
    """
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not JSON: {exc}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("annotations"), list):
        raise ValueError("not an annotations file (no 'annotations' list)")
    version = document.get("format")
    if not isinstance(version, int) or version > ANNOTATION_FORMAT:
        raise ValueError(f"format {version!r} is not one this version reads ({ANNOTATION_FORMAT})")
    if study_uid is not None and document.get("study_instance_uid") != study_uid.strip():
        raise ValueError("the file belongs to another study")
    return tuple(Annotation.from_json(item) for item in document["annotations"])


class AnnotationStore:
    """The user's annotations, one file per study in the user data folder.

    Parameters
    ----------
    root : str or Path, optional
        Default ``user_data_dir() / "annotations"`` (created, owner-only).

    Notes
    -----
    Thread-safe. Only :attr:`Annotation.is_measurement` annotations are kept:
    presentation-state content is read from the study each time it opens.
    """

    def __init__(self, root: str | PathLike[str] | None = None) -> None:
        if root is not None and not isinstance(root, str | PathLike):
            raise TypeError(f"root must be a path or None, found {type(root).__name__}")
        self.root = Path(root) if root is not None else user_data_dir() / "annotations"
        try:
            self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise AnnotationStoreError(
                f"cannot create the annotations folder {self.root}: {describe_os_error(exc)}"
            ) from exc
        self._mutex = threading.RLock()

    def __repr__(self) -> str:
        return f"AnnotationStore({str(self.root)!r})"

    def path_for(self, study_uid: str) -> Path:
        """The file of a study (it may not exist)."""
        return self.root / f"{study_key(study_uid)}.json"

    def load(self, study_uid: str) -> tuple[Annotation, ...]:
        """The saved annotations of a study; () when there are none.

        A file that cannot be read is renamed aside (``.corrupt-<time>``) and
        reported in the log (without patient data); the study then has none.
        """
        path = self.path_for(study_uid)
        with self._mutex:
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                return ()
            except OSError as exc:
                logger.warning("annotations %s unreadable: %s", path.name, describe_os_error(exc))
                return ()
            try:
                data = unseal(data, purpose="annotations")
            except AtRestError as exc:
                # The file is fine; only the key is out of reach: set nothing aside.
                raise AnnotationStoreError(f"the saved measurements cannot be read: {exc}") from exc
            except ValueError as exc:
                data = b""  # altered or sealed with another key: kept aside below
                logger.warning("annotations %s: %s", path.name, exc)
            try:
                return tuple(a for a in annotations_from_json(data, study_uid) if a.is_measurement)
            except ValueError as exc:
                aside = path.with_name(f"{path.name}.corrupt-{datetime.now():%Y%m%d-%H%M%S}")
                try:
                    os.replace(path, aside)
                except OSError:
                    aside = path
                logger.warning("annotations %s unreadable (%s); kept as %s", path.name, exc, aside)
                return ()

    def save(self, study_uid: str, annotations: Iterable[Annotation]) -> Path:
        """Replace the study's saved annotations (atomically); returns the file.

        Raises
        ------
        AnnotationStoreError
            The file could not be written; the previous one is untouched.
        """
        kept = [a for a in annotations if isinstance(a, Annotation) and a.is_measurement]
        path = self.path_for(study_uid)
        try:
            data = seal(annotations_to_json(study_uid, kept), purpose="annotations")
        except AtRestError as exc:
            raise AnnotationStoreError(f"the measurements could not be saved: {exc}") from exc
        with self._mutex:
            try:
                write_atomically(path, data)
            except OSError as exc:
                raise AnnotationStoreError(
                    f"the measurements could not be saved: {describe_os_error(exc)}"
                ) from exc
        logger.debug("saved %d annotations to %s", len(kept), path.name)
        return path

    def reseal(self) -> int:
        """Rewrite every saved file under the encryption policy; the number rewritten.

        Raises
        ------
        AnnotationStoreError
            A file could not be rewritten (it is as it was).
        """

        rewritten = 0
        with self._mutex:
            for path in sorted(self.root.glob("*.json")):
                try:
                    rewritten += reseal_file(path, purpose="annotations", lines=False)
                except (OSError, AtRestError) as exc:
                    reason = describe_os_error(exc) if isinstance(exc, OSError) else str(exc)
                    raise AnnotationStoreError(
                        f"cannot rewrite the saved measurements: {reason}"
                    ) from exc
        return rewritten
