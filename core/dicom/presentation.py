"""Grayscale Softcopy Presentation States (GSPS): writing a reader's annotations, reading a study's.

Writing (:func:`export_presentation_states`): one GSPS per series (a presentation state's
images must share their size, PS3.3 C.11.11, and highdicom checks it), made with
:class:`highdicom.pr.GrayscaleSoftcopyPresentationState`. It references the images that
carry annotations and the images on screen, holds the window shown as its Softcopy VOI LUT
(C.11.8; the window applies to modality values, as the viewer's does) and, per image and
frame, a Graphic Annotation (C.10.5) on the layer ``RADASSIST``: distances and angles as
POLYLINE, rectangles as a closed POLYLINE, ellipses as ELLIPSE (major then minor axis
end points), and each measurement's label as a text object anchored beside it. Units are
PIXEL: image coordinates whose origin is the top-left corner of the top-left pixel, the
convention of :mod:`core.dicom.measure` — points are written as they are. Files go to
:func:`core.paths.export_dir`, never beside the source (house rule 6), owner-only.

Reading (:func:`read_presentation_state`): graphic and text objects (PIXEL units, or
DISPLAY units mapped through the displayed area), the window (first Window
Center/Width of each Softcopy VOI LUT item; a VOI LUT table is noted, not applied) and the
displayed area (zoom: the part of the image to show and its size mode). Graphic types:
POLYLINE and INTERPOLATED become polylines (INTERPOLATED drawn with straight segments),
CIRCLE and ELLIPSE closed polylines of 64 points, POINT points. What is not applied —
spatial transformation, graphic layers' colours, shutters, the presentation LUT — is
listed in ``notes``. A presentation state is read in full (it holds no pixel data).
"""

from __future__ import annotations

import io
import logging
import math
import re
from collections.abc import Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any, Final

from core import __version__
from core.dicom.annotations import ORIGIN_PRESENTATION_STATE, Annotation
from core.dicom.limits import read_dataset_bounded
from core.dicom.records import FileRef, NonImageRecord, StudyIndex, UnreadableFile
from core.errors import DicomError, RadAssistError, UsageError, library_reason
from core.jobs import CancelToken, Progress
from core.paths import export_dir
from core.report.export import ExportError
from core.report.store import describe_os_error, write_atomically

logger = logging.getLogger(__name__)

__all__ = [
    "GSPS_SOP_CLASS_UID",
    "DisplayedArea",
    "PresentationExport",
    "PresentationState",
    "ShownImage",
    "export_presentation_states",
    "list_presentation_states",
    "load_presentation_states",
    "make_presentation_state",
    "read_presentation_state",
]

#: Grayscale Softcopy Presentation State Storage (PS3.4 B.5).
GSPS_SOP_CLASS_UID: Final = "1.2.840.10008.5.1.4.1.1.11.1"
_LAYER: Final = "RADASSIST"
_CONTENT_LABEL: Final = "RADASSIST"
_SERIES_NUMBER: Final = 9903
_EXPORT_MODE: Final = 0o600
_CURVE_POINTS: Final = 64
_TYPE2_KEYWORDS: Final = (
    "PatientID",
    "PatientName",
    "PatientBirthDate",
    "PatientSex",
    "AccessionNumber",
    "StudyID",
    "StudyDate",
    "StudyTime",
)
_EXPORTED_KINDS: Final = ("distance", "angle", "rectangle", "ellipse")


@dataclass(frozen=True)
class ShownImage:
    """An image a viewer shows, with the window it is shown through.

    Attributes
    ----------
    ref : FileRef
        Where the image is (its header is read to reference it).
    sop_instance_uid : str
    frame : int
        The frame shown, from 0.
    window : (float, float) or None
        (center, width) on modality values; None: not saved (a colour image).
    """

    ref: FileRef
    sop_instance_uid: str
    frame: int = 0
    window: tuple[float, float] | None = None


@dataclass(frozen=True)
class DisplayedArea:
    """The part of an image a presentation state shows (PS3.3 C.10.4).

    ``top_left`` and ``bottom_right`` are image coordinates of the area's corners
    (the corner of the Displayed Area Top Left Hand Corner pixel, and the far corner of
    the Bottom Right Hand Corner pixel). ``size_mode`` is SCALE TO FIT, TRUE SIZE or
    MAGNIFY; ``magnification`` the Presentation Pixel Magnification Ratio (MAGNIFY).
    """

    top_left: tuple[float, float]
    bottom_right: tuple[float, float]
    size_mode: str = "SCALE TO FIT"
    magnification: float | None = None


@dataclass(frozen=True)
class PresentationState:
    """What a presentation state asks a viewer to show.

    Attributes
    ----------
    ref : FileRef or None
        The file it was read from.
    sop_instance_uid, label, description : str
        Its UID, Content Label and Content Description.
    referenced : tuple of str
        SOP Instance UIDs of the images it applies to.
    annotations : tuple of Annotation
        Graphic and text objects, ``origin == "presentation state"``.
    windows : tuple of (str, float, float)
        (SOP Instance UID, center, width) per image with a window.
    displayed_areas : tuple of (str, DisplayedArea)
        Per image with a displayed area.
    notes : tuple of str
        What was found but not applied (no patient data).
    """

    ref: FileRef | None
    sop_instance_uid: str
    label: str
    description: str
    referenced: tuple[str, ...]
    annotations: tuple[Annotation, ...] = ()
    windows: tuple[tuple[str, float, float], ...] = ()
    displayed_areas: tuple[tuple[str, DisplayedArea], ...] = ()
    notes: tuple[str, ...] = ()

    def window_for(self, sop_instance_uid: str) -> tuple[float, float] | None:
        """(center, width) for that image, None when the state sets none."""
        for uid, center, width in self.windows:
            if uid == sop_instance_uid:
                return (center, width)
        return None

    def displayed_area_for(self, sop_instance_uid: str) -> DisplayedArea | None:
        for uid, area in self.displayed_areas:
            if uid == sop_instance_uid:
                return area
        return None


@dataclass(frozen=True)
class PresentationExport:
    """What :func:`export_presentation_states` wrote, and what it left out (and why)."""

    paths: tuple[Path, ...]
    annotation_count: int
    skipped: tuple[str, ...] = ()


# --------------------------------------------------------------------------- writing


def _read_header(ref: FileRef) -> Any:

    try:
        with ref.open() as handle:
            header = read_dataset_bounded(handle, source=ref.display_name, stop_before_pixels=True)
    except DicomError as exc:
        raise UsageError(
            f"{ref.display_name}: cannot read the image header ({exc.reason})"
        ) from None
    except Exception as exc:  # a hostile header: one line, no value quoted from it
        raise UsageError(
            f"{ref.display_name}: cannot read the image header ({library_reason(exc)})"
        ) from None
    for keyword in _TYPE2_KEYWORDS:
        if keyword not in header:
            setattr(header, keyword, "")
    return header


def _is_multiframe(header: Any) -> bool:
    try:
        return int(header.get("NumberOfFrames", 1) or 1) > 1
    except (TypeError, ValueError):
        return False


def _clamp(point: tuple[float, float], columns: int, rows: int) -> tuple[float, float]:
    return (min(max(point[0], 0.0), float(columns)), min(max(point[1], 0.0), float(rows)))


def _graphic_objects(annotation: Annotation, columns: int, rows: int) -> list[Any]:
    import numpy as np
    from highdicom.pr import AnnotationUnitsValues, GraphicObject, GraphicTypeValues

    points = [_clamp(p, columns, rows) for p in annotation.points]
    kind = annotation.kind
    if kind in ("distance", "angle"):
        data, graphic = points, GraphicTypeValues.POLYLINE
    elif kind == "rectangle":
        (ax, ay), (bx, by) = points
        data = [(ax, ay), (bx, ay), (bx, by), (ax, by), (ax, ay)]
        graphic = GraphicTypeValues.POLYLINE
    else:  # ellipse: major axis end points, then minor axis end points (C.10.5.1.2)
        (ax, ay), (bx, by) = points
        cx, cy = (ax + bx) / 2, (ay + by) / 2
        rx, ry = abs(bx - ax) / 2, abs(by - ay) / 2
        horizontal = [(cx - rx, cy), (cx + rx, cy)]
        vertical = [(cx, cy - ry), (cx, cy + ry)]
        data = horizontal + vertical if rx >= ry else vertical + horizontal
        graphic = GraphicTypeValues.ELLIPSE
    return [
        GraphicObject(
            graphic_type=graphic,
            graphic_data=np.array(data, dtype=np.float64),
            units=AnnotationUnitsValues.PIXEL,
        )
    ]


def _text_object(annotation: Annotation, columns: int, rows: int) -> Any | None:
    from highdicom.pr import AnnotationUnitsValues, TextObject

    lines = [line for line in annotation.text.splitlines() if line.strip()]
    if not lines:
        return None
    # Beside the right-most point, as the viewer draws it; sized for a reading view.
    x = max(p[0] for p in annotation.points)
    y = (
        min(p[1] for p in annotation.points)
        if annotation.kind in ("rectangle", "ellipse")
        else (max(annotation.points, key=lambda p: p[0])[1])
    )
    anchor = _clamp((x, y), columns, rows)
    line_height = max(4.0, rows * 0.03)
    width = min(float(columns), line_height * 0.6 * max(len(line) for line in lines))
    height = min(float(rows), line_height * len(lines))
    left = min(max(anchor[0] + line_height / 2, 0.0), columns - width)
    top = min(max(anchor[1], 0.0), rows - height)
    return TextObject(
        text_value="\r\n".join(lines)[:1024],
        units=AnnotationUnitsValues.PIXEL,
        bounding_box=(left, top, left + width, top + height),
        anchor_point=anchor,
        anchor_point_visible=False,
    )


def make_presentation_state(
    images: Sequence[Any],
    annotations: Iterable[Annotation],
    window: tuple[float, float] | None = None,
    *,
    description: str = "Measurements and annotations",
    sop_instance_uid: str | None = None,
    series_instance_uid: str | None = None,
) -> Any:
    """A GSPS over images of one series (not written).

    Parameters
    ----------
    images : sequence of pydicom.Dataset
        Headers of the images to reference (one series, one size, greyscale).
    annotations : iterable of Annotation
        Measurements on those images (``text``: the label to show beside each).
    window : (float, float), optional
        (center, width) applied to every referenced image.
    description : str, optional
        Content Description.

    Returns
    -------
    highdicom.pr.GrayscaleSoftcopyPresentationState

    Raises
    ------
    UsageError
        No image, mixed series or sizes, a colour image, or an annotation on an
        image not given.
    """
    import highdicom as hd
    from highdicom.pr import (
        GraphicAnnotation,
        GraphicLayer,
        GrayscaleSoftcopyPresentationState,
        SoftcopyVOILUTTransformation,
    )
    from pydicom.uid import generate_uid

    headers = list(images)
    if not headers:
        raise UsageError("a presentation state needs at least one image")
    by_uid = {str(h.SOPInstanceUID): h for h in headers}
    if len({str(h.SeriesInstanceUID) for h in headers}) > 1:
        raise UsageError("a presentation state is written per series; images of several given")
    if len({(int(h.Rows), int(h.Columns)) for h in headers}) > 1:
        raise UsageError("the images of a presentation state must share one size")
    if any(int(h.get("SamplesPerPixel", 1) or 1) != 1 for h in headers):
        raise UsageError("a grayscale presentation state cannot reference colour images")
    layer = GraphicLayer(layer_name=_LAYER, order=1, description="RadAssist measurements")
    groups: dict[tuple[str, int | None], list[Annotation]] = {}
    for annotation in annotations:
        if annotation.kind not in _EXPORTED_KINDS:
            continue
        if annotation.sop_instance_uid not in by_uid:
            raise UsageError("an annotation is on an image the presentation state does not list")
        groups.setdefault((annotation.sop_instance_uid, annotation.frame), []).append(annotation)
    graphic_annotations = []
    for (uid, frame), items in groups.items():
        header = by_uid[uid]
        columns, rows = int(header.Columns), int(header.Rows)
        graphics = [g for a in items for g in _graphic_objects(a, columns, rows)]
        texts = [t for a in items if (t := _text_object(a, columns, rows)) is not None]
        graphic_annotations.append(
            GraphicAnnotation(
                referenced_images=[header],
                graphic_layer=layer,
                referenced_frame_number=(frame or 0) + 1 if _is_multiframe(header) else None,
                graphic_objects=graphics or None,
                text_objects=texts or None,
            )
        )
    voi = None
    if window is not None:
        center, width = (float(window[0]), float(window[1]))
        voi = [SoftcopyVOILUTTransformation(window_center=center, window_width=max(width, 1e-3))]
    first = headers[0]
    return GrayscaleSoftcopyPresentationState(
        referenced_images=headers,
        series_instance_uid=series_instance_uid or generate_uid(),
        series_number=_SERIES_NUMBER,
        sop_instance_uid=sop_instance_uid or generate_uid(),
        instance_number=1,
        manufacturer="RadAssist",
        manufacturer_model_name="RadAssist",
        software_versions=__version__,
        device_serial_number="",
        content_label=_CONTENT_LABEL,
        content_description=description[:64],
        graphic_annotations=graphic_annotations or None,
        graphic_layers=[layer] if graphic_annotations else None,
        voi_lut_transformations=voi,
        concept_name=None,
        institution_name=first.get("InstitutionName") or None,
        transfer_syntax_uid=hd.UID("1.2.840.10008.1.2.1"),
    )


def export_presentation_states(
    annotations: Iterable[Annotation],
    shown: Sequence[ShownImage],
    refs: Mapping[str, FileRef],
    token: CancelToken | None = None,
) -> PresentationExport:
    """Write the user's measurements and the windows shown as GSPS files, one per series.

    Parameters
    ----------
    annotations : iterable of Annotation
        Measurements (others are left out); their ``text`` is the label written beside them.
    shown : sequence of ShownImage
        The images on screen (first: the active view's), with their windows.
    refs : mapping of SOP Instance UID to FileRef
        Where each annotated image is.

    Returns
    -------
    PresentationExport
        The files written in :func:`core.paths.export_dir` (``PR_<SOP Instance UID>.dcm``).

    Raises
    ------
    UsageError
        Nothing to export.
    ExportError
        A file could not be written (none is left half-written).
    """

    token = token or CancelToken()
    measurements = [a for a in annotations if a.kind in _EXPORTED_KINDS]
    wanted: dict[str, FileRef] = {}
    for image in shown:
        wanted.setdefault(image.sop_instance_uid, image.ref)
    for annotation in measurements:
        ref = refs.get(annotation.sop_instance_uid) or wanted.get(annotation.sop_instance_uid)
        if ref is None:
            raise UsageError("an annotation is on an image that is not in the open study")
        wanted.setdefault(annotation.sop_instance_uid, ref)
    if not wanted:
        raise UsageError("there is nothing to export: no image is shown and nothing is drawn")
    headers: dict[str, Any] = {}
    for uid, ref in wanted.items():
        token.raise_if_cancelled()
        headers[uid] = _read_header(ref)
    series: dict[str, list[str]] = {}
    for uid, header in headers.items():
        series.setdefault(str(header.SeriesInstanceUID), []).append(uid)
    windows: dict[str, tuple[float, float]] = {}
    for image in shown:  # the first view showing a series gives its window
        if image.window is not None:
            windows.setdefault(str(headers[image.sop_instance_uid].SeriesInstanceUID), image.window)
    folder = export_dir()
    paths: list[Path] = []
    skipped: list[str] = []
    written = 0
    for series_uid, uids in series.items():
        token.raise_if_cancelled()
        images = [headers[uid] for uid in uids]
        members = set(uids)
        items = [a for a in measurements if a.sop_instance_uid in members]
        if any(int(h.get("SamplesPerPixel", 1) or 1) != 1 for h in images):
            skipped.append(
                f"series {images[0].get('SeriesNumber', '?')}: colour images "
                "(a grayscale presentation state cannot hold them)"
            )
            continue
        try:
            state = make_presentation_state(images, items, windows.get(series_uid))
        except (ValueError, TypeError) as exc:  # highdicom's checks
            raise UsageError(f"the presentation state could not be made: {exc}") from exc
        buffer = io.BytesIO()
        state.save_as(buffer, enforce_file_format=True)
        name = f"PR_{state.SOPInstanceUID}.dcm"
        try:
            write_atomically(folder / name, buffer.getvalue(), mode=_EXPORT_MODE)
        except OSError as exc:
            raise ExportError(f"cannot write {name} to {folder}: {describe_os_error(exc)}") from exc
        logger.info("exported a presentation state with %d annotations", len(items))
        paths.append(folder / name)
        written += len(items)
    return PresentationExport(tuple(paths), written, tuple(skipped))


# --------------------------------------------------------------------------- reading


def _floats(value: Any) -> list[float]:
    if value is None:
        return []
    if isinstance(value, str | bytes | int | float):
        return [float(value)]
    return [float(v) for v in value]


def _referenced_images(item: Any) -> list[tuple[str, list[int] | None]]:
    """(SOP Instance UID, frames from 0 or None for all) of an item's Referenced Image Sequence."""
    found = []
    for ref in item.get("ReferencedImageSequence", []) or []:
        uid = str(ref.get("ReferencedSOPInstanceUID", "") or "")
        if not uid:
            continue
        frames = ref.get("ReferencedFrameNumber")
        numbers = [int(f) - 1 for f in _floats(frames) if f >= 1] if frames is not None else None
        found.append((uid, numbers or None))
    return found


def _ellipse_points(axes: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    (ax, ay), (bx, by), (cx, cy), (dx, dy) = axes[:4]
    centre = ((ax + bx) / 2, (ay + by) / 2)
    major = ((bx - ax) / 2, (by - ay) / 2)
    minor_length = math.hypot(dx - cx, dy - cy) / 2
    length = math.hypot(*major) or 1.0
    unit_minor = (-major[1] / length, major[0] / length)
    points = []
    for i in range(_CURVE_POINTS + 1):
        t = 2 * math.pi * i / _CURVE_POINTS
        points.append(
            (
                centre[0] + major[0] * math.cos(t) + unit_minor[0] * minor_length * math.sin(t),
                centre[1] + major[1] * math.cos(t) + unit_minor[1] * minor_length * math.sin(t),
            )
        )
    return points


def _circle_points(
    centre: tuple[float, float], edge: tuple[float, float]
) -> list[tuple[float, float]]:
    radius = math.hypot(edge[0] - centre[0], edge[1] - centre[1])
    return [
        (
            centre[0] + radius * math.cos(2 * math.pi * i / _CURVE_POINTS),
            centre[1] + radius * math.sin(2 * math.pi * i / _CURVE_POINTS),
        )
        for i in range(_CURVE_POINTS + 1)
    ]


def _to_image(
    points: list[tuple[float, float]], units: str, area: DisplayedArea | None
) -> list[tuple[float, float]] | None:
    """PIXEL points as they are; DISPLAY points (0..1 of the displayed area) mapped."""
    if units == "PIXEL":
        return points
    if units == "DISPLAY" and area is not None:
        (x0, y0), (x1, y1) = area.top_left, area.bottom_right
        return [(x0 + x * (x1 - x0), y0 + y * (y1 - y0)) for x, y in points]
    return None


def _pairs(values: Sequence[float]) -> list[tuple[float, float]]:
    return [(values[i], values[i + 1]) for i in range(0, len(values) - 1, 2)]


def _graphic_to_annotations(
    graphic: Any, targets: list[tuple[str, int | None]], area_of: Any, notes: set[str]
) -> list[Annotation]:
    kind = str(graphic.get("GraphicType", "")).upper()
    units = str(graphic.get("GraphicAnnotationUnits", "PIXEL")).upper()
    raw = _pairs(_floats(graphic.get("GraphicData")))
    found = []
    for uid, frame in targets:
        points = _to_image(raw, units, area_of(uid))
        if points is None:
            notes.add(f"graphics in {units} units without a displayed area were left out")
            continue
        if kind in ("POLYLINE", "INTERPOLATED") and len(points) >= 2:
            if kind == "INTERPOLATED":
                notes.add("interpolated curves are drawn with straight segments")
            closed = len(points) > 2 and points[0] == points[-1]
            found.append(
                Annotation(
                    "polyline",
                    uid,
                    frame,
                    tuple(points),
                    closed=closed,
                    origin=ORIGIN_PRESENTATION_STATE,
                )
            )
        elif kind == "CIRCLE" and len(points) >= 2:
            found.append(
                Annotation(
                    "polyline",
                    uid,
                    frame,
                    tuple(_circle_points(*points[:2])),
                    closed=True,
                    origin=ORIGIN_PRESENTATION_STATE,
                )
            )
        elif kind == "ELLIPSE" and len(points) >= 4:
            found.append(
                Annotation(
                    "polyline",
                    uid,
                    frame,
                    tuple(_ellipse_points(points)),
                    closed=True,
                    origin=ORIGIN_PRESENTATION_STATE,
                )
            )
        elif kind in ("POINT", "MULTIPOINT") and points:
            found.append(
                Annotation("points", uid, frame, tuple(points), origin=ORIGIN_PRESENTATION_STATE)
            )
        else:
            notes.add(f"a graphic of type {kind or 'unknown'} was left out")
    return found


def _text_to_annotations(
    text: Any, targets: list[tuple[str, int | None]], area_of: Any, notes: set[str]
) -> list[Annotation]:
    value = str(text.get("UnformattedTextValue", "") or "")
    value = "\n".join(part for part in re.split(r"\r\n|\r|\n", value))[:1024]
    if not value.strip():
        return []
    found = []
    for uid, frame in targets:
        points: list[tuple[float, float]] | None = None
        tl, br = (
            text.get("BoundingBoxTopLeftHandCorner"),
            text.get("BoundingBoxBottomRightHandCorner"),
        )
        if tl is not None and br is not None:
            units = str(text.get("BoundingBoxAnnotationUnits", "PIXEL")).upper()
            points = _to_image(_pairs(_floats(tl) + _floats(br)), units, area_of(uid))
        anchor = text.get("AnchorPoint")
        if points is None and anchor is not None:
            units = str(text.get("AnchorPointAnnotationUnits", "PIXEL")).upper()
            points = _to_image(_pairs(_floats(anchor)), units, area_of(uid))
        if not points:
            notes.add("a text without a usable position was left out")
            continue
        found.append(
            Annotation(
                "text", uid, frame, tuple(points[:2]), text=value, origin=ORIGIN_PRESENTATION_STATE
            )
        )
    return found


def read_presentation_state(source: FileRef | str | PathLike[str] | Any) -> PresentationState:
    """What a presentation state file (or dataset) shows; see the module notes.

    Raises
    ------
    UsageError
        Not a softcopy presentation state, or unreadable.
    """
    from pydicom import Dataset

    ref: FileRef | None = None
    if isinstance(source, Dataset):
        ds = source
    else:
        ref = source if isinstance(source, FileRef) else FileRef(str(Path(source).resolve()))
        try:
            with ref.open() as handle:
                ds = read_dataset_bounded(handle, source=ref.display_name)
        except DicomError as exc:
            raise UsageError(
                f"{ref.display_name}: cannot read the presentation state ({exc.reason})"
            ) from None
        except Exception as exc:  # a hostile file: one line, no value quoted from it
            raise UsageError(
                f"{ref.display_name}: cannot read the presentation state ({library_reason(exc)})"
            ) from None
    name = ref.display_name if ref is not None else "the presentation state"
    sop_class = str(ds.get("SOPClassUID", "") or "")
    if not sop_class.startswith("1.2.840.10008.5.1.4.1.1.11."):
        raise UsageError(f"{name}: not a presentation state (SOP Class {sop_class or 'missing'})")
    notes: set[str] = set()
    referenced: list[str] = []
    for series in ds.get("ReferencedSeriesSequence", []) or []:
        for uid, _ in _referenced_images(series):
            if uid not in referenced:
                referenced.append(uid)
    everything = [(uid, None) for uid in referenced]

    areas: dict[str, DisplayedArea] = {}
    for item in ds.get("DisplayedAreaSelectionSequence", []) or []:
        tl = _floats(item.get("DisplayedAreaTopLeftHandCorner"))
        br = _floats(item.get("DisplayedAreaBottomRightHandCorner"))
        if len(tl) != 2 or len(br) != 2:
            continue
        ratio = item.get("PresentationPixelMagnificationRatio")
        area = DisplayedArea(
            top_left=(tl[0] - 1.0, tl[1] - 1.0),  # the corner of the TLHC pixel (1-based)
            bottom_right=(br[0], br[1]),
            size_mode=str(item.get("PresentationSizeMode", "SCALE TO FIT") or "SCALE TO FIT"),
            magnification=float(ratio) if ratio is not None else None,
        )
        for uid, _ in _referenced_images(item) or everything:
            areas.setdefault(uid, area)

    windows: dict[str, tuple[float, float]] = {}
    for item in ds.get("SoftcopyVOILUTSequence", []) or []:
        centers, widths = _floats(item.get("WindowCenter")), _floats(item.get("WindowWidth"))
        if not centers or not widths:
            if "VOILUTSequence" in item:
                notes.add("a VOI LUT table was not applied")
            continue
        for uid, _ in _referenced_images(item) or everything:
            windows.setdefault(uid, (centers[0], widths[0]))

    annotations: list[Annotation] = []
    for item in ds.get("GraphicAnnotationSequence", []) or []:
        targets: list[tuple[str, int | None]] = []
        for uid, frames in _referenced_images(item) or everything:
            targets.extend((uid, f) for f in frames) if frames else targets.append((uid, None))
        for graphic in item.get("GraphicObjectSequence", []) or []:
            annotations.extend(_graphic_to_annotations(graphic, targets, areas.get, notes))
        for text in item.get("TextObjectSequence", []) or []:
            annotations.extend(_text_to_annotations(text, targets, areas.get, notes))
    if ds.get("ImageRotation") not in (None, 0) or ds.get("ImageHorizontalFlip") == "Y":
        notes.add("the rotation and flip of the presentation state were not applied")
    if "ShutterShape" in ds:
        notes.add("display shutters were not applied")
    return PresentationState(
        ref=ref,
        sop_instance_uid=str(ds.get("SOPInstanceUID", "") or ""),
        label=str(ds.get("ContentLabel", "") or ""),
        description=str(ds.get("ContentDescription", "") or ""),
        referenced=tuple(referenced),
        annotations=tuple(annotations),
        windows=tuple((uid, c, w) for uid, (c, w) in windows.items()),
        displayed_areas=tuple(areas.items()),
        notes=tuple(sorted(notes)),
    )


def list_presentation_states(index: StudyIndex) -> tuple[NonImageRecord, ...]:
    """The softcopy presentation states the index found (its non-image objects)."""
    if not isinstance(index, StudyIndex):
        raise TypeError(f"index must be a StudyIndex, found {type(index).__name__}")
    return tuple(
        r for r in index.non_image if r.sop_class_uid.startswith("1.2.840.10008.5.1.4.1.1.11.")
    )


def load_presentation_states(
    index: StudyIndex, token: CancelToken | None = None
) -> Generator[Progress, None, tuple[tuple[PresentationState, ...], tuple[UnreadableFile, ...]]]:
    """Read every presentation state of a scanned study (a job, see :mod:`core.jobs`).

    Returns
    -------
    (states, failures)
        The states read, and the files that could not be, with the reason.
    """
    token = token or CancelToken()
    records = list_presentation_states(index)
    states: list[PresentationState] = []
    failures: list[UnreadableFile] = []
    for done, record in enumerate(records):
        token.raise_if_cancelled()
        yield Progress(done, len(records), "reading presentation states")
        try:
            states.append(read_presentation_state(record.ref))
        except RadAssistError as exc:
            failures.append(UnreadableFile(record.ref, str(exc)))
    return tuple(states), tuple(failures)
