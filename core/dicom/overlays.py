"""What a viewport writes over the picture, without Qt.

The header fields a reading workstation shows (:func:`read_display_header`), the
four corner texts (:func:`compose_overlay`, with the window as
:func:`format_window` writes it), orientation markers from Image Orientation
(Patient) or Patient Orientation following rotation and flips
(:func:`compute_orientation_labels`, PS3.3 C.7.6.1.1.1 and C.7.6.2.1.1), and a
scale bar (:func:`choose_scale_bar`). (These are the viewer's overlays, not DICOM
Overlay Planes, 60xx.) How the picture itself is made is :mod:`core.dicom.display`.

The words of the corners and of the scale bar ("Im", "Se", "W … L …", "Zoom",
"(uncalibrated)", a geometry problem's name) are made here in the current language
(:mod:`core.i18n`), so the viewport and ``radassist render`` say them alike; numbers,
units and what DICOM says (patient, descriptions, modality) are left as they are.

Patient data read here (name, ID) is for display only; it is never logged or
put into an error message (house rule 8).
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np

from core.dicom.limits import read_dataset_bounded
from core.dicom.measure import note_uncalibrated
from core.dicom.person_name import format_person_name_of
from core.dicom.pixel_header import check_number
from core.dicom.records import SeriesGeometry, SeriesRecord
from core.i18n import N_, _

logger = logging.getLogger(__name__)

__all__ = [
    "DisplayHeader",
    "OrientationLabels",
    "OverlayText",
    "ScaleBar",
    "choose_scale_bar",
    "compose_overlay",
    "compute_orientation_labels",
    "describe_direction",
    "format_window",
    "modality_unit",
    "read_display_header",
    "sex_word",
]


# --------------------------------------------------------------------------- header


@dataclass(frozen=True)
class DisplayHeader:
    """The header fields a workstation shows, read once per series.

    Patient fields are kept out of ``repr`` (house rule 8).
    """

    patient_name: str = field(default="", repr=False)
    patient_id: str = field(default="", repr=False)
    patient_sex: str = field(default="", repr=False)
    patient_birth_date: str = field(default="", repr=False)
    study_date: str = ""
    study_time: str = ""
    study_description: str = ""
    series_description: str = ""
    series_number: int | None = None
    modality: str = ""
    institution: str = ""
    frame_of_reference_uid: str = ""
    #: Frame Time (0018,1063), milliseconds between frames of a cine.
    frame_time_ms: float | None = None
    #: Cine Rate (0018,0040), frames per second.
    cine_rate: float | None = None
    #: Recommended Display Frame Rate (0008,2144), frames per second.
    recommended_fps: float | None = None
    #: Rescale Type (0028,1054) or, for PET, Units (0054,1001).
    value_unit: str = ""
    #: Patient Orientation (0020,0020): directions of the rows and columns (e.g. "A", "FL").
    patient_orientation: tuple[str, str] | None = None

    @property
    def cine_fps(self) -> float | None:
        """Playback rate from Frame Time, else Cine Rate, else Recommended Display Frame Rate."""
        if self.frame_time_ms is not None and self.frame_time_ms > 0:
            return 1000.0 / self.frame_time_ms
        for rate in (self.cine_rate, self.recommended_fps):
            if rate is not None and rate > 0:
                return rate
        return None


_HEADER_TAGS: Final = (
    "PatientName",
    "PatientID",
    "PatientSex",
    "PatientBirthDate",
    "StudyDate",
    "StudyTime",
    "StudyDescription",
    "SeriesDescription",
    "SeriesNumber",
    "Modality",
    "InstitutionName",
    "FrameOfReferenceUID",
    "FrameTime",
    "CineRate",
    "RecommendedDisplayFrameRate",
    "RescaleType",
    "Units",
    "PatientOrientation",
    "SharedFunctionalGroupsSequence",
)


def _text_of(ds: Any, keyword: str) -> str:
    try:
        value = ds.get(keyword)
    except Exception:
        return ""
    if value is None:
        return ""
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        value = "\\".join(str(v) for v in value)
    return str(value).strip()


def _float_of(ds: Any, keyword: str) -> float | None:
    text = _text_of(ds, keyword).split("\\")[0]
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def read_display_header(series: SeriesRecord) -> DisplayHeader:
    """Read the display fields from the header of the series' first image.

    Only the named attributes are parsed (no pixel data), which takes about a
    millisecond for a file on disk. Frame of Reference UID of an enhanced
    multi-frame object is also looked for where it always is: the top level.

    Returns
    -------
    DisplayHeader
        Empty fields for what the file lacks; a header that cannot be read at all
        gives a DisplayHeader with only what the index already knew.
    """
    if not isinstance(series, SeriesRecord):
        raise TypeError(f"series must be a SeriesRecord, found {type(series).__name__}")
    fallback = DisplayHeader(
        series_description=series.description,
        series_number=series.series_number,
        modality=series.modality,
    )
    if not series.instances:
        return fallback
    ref = series.instances[0].ref
    pydicom_logger = logging.getLogger("pydicom")
    was_disabled = pydicom_logger.disabled
    pydicom_logger.disabled = True  # pydicom's messages can quote element values
    try:
        with warnings.catch_warnings(), ref.open() as stream:
            warnings.simplefilter("ignore")
            ds = read_dataset_bounded(stream, stop_before_pixels=True, tags=list(_HEADER_TAGS))
    except Exception as error:
        logger.warning(
            "%s: display header could not be read (%s)", ref.display_name, type(error).__name__
        )
        return fallback
    finally:
        pydicom_logger.disabled = was_disabled
    number = _float_of(ds, "SeriesNumber")
    orientation_text = _text_of(ds, "PatientOrientation")
    orientation_parts = [p.strip().upper() for p in orientation_text.split("\\")]
    patient_orientation = (
        (orientation_parts[0], orientation_parts[1])
        if len(orientation_parts) == 2 and all(orientation_parts)
        else None
    )
    modality = _text_of(ds, "Modality") or series.modality
    unit = _text_of(ds, "RescaleType")
    if not unit and modality.upper() == "PT":
        unit = _text_of(ds, "Units")
    if not unit:
        shared = ds.get("SharedFunctionalGroupsSequence")
        try:
            transform = shared[0].PixelValueTransformationSequence[0] if shared else None
            unit = _text_of(transform, "RescaleType") if transform is not None else ""
        except (AttributeError, IndexError, TypeError):
            unit = ""
    return DisplayHeader(
        patient_name=format_person_name_of(ds),
        patient_id=_text_of(ds, "PatientID"),
        patient_sex=_text_of(ds, "PatientSex"),
        patient_birth_date=_text_of(ds, "PatientBirthDate"),
        study_date=_text_of(ds, "StudyDate"),
        study_time=_text_of(ds, "StudyTime"),
        study_description=_text_of(ds, "StudyDescription"),
        series_description=_text_of(ds, "SeriesDescription") or series.description,
        series_number=int(number) if number is not None else series.series_number,
        modality=modality,
        institution=_text_of(ds, "InstitutionName"),
        frame_of_reference_uid=_text_of(ds, "FrameOfReferenceUID"),
        frame_time_ms=_float_of(ds, "FrameTime"),
        cine_rate=_float_of(ds, "CineRate"),
        recommended_fps=_float_of(ds, "RecommendedDisplayFrameRate"),
        value_unit=unit,
        patient_orientation=patient_orientation,
    )


def modality_unit(modality: str, header: DisplayHeader | None = None) -> str:
    """The unit of modality values: the header's Rescale Type/Units, else HU for CT, else ""."""
    if header is not None and header.value_unit and header.value_unit.upper() != "US":
        unit = header.value_unit
        return "HU" if unit.upper() == "HU" else unit
    return "HU" if modality.strip().upper() == "CT" else ""


# --------------------------------------------------------------------------- overlays


@dataclass(frozen=True)
class OverlayText:
    """The four corner texts, one string per line (top lines first)."""

    top_left: tuple[str, ...] = ()
    top_right: tuple[str, ...] = ()
    bottom_left: tuple[str, ...] = ()
    bottom_right: tuple[str, ...] = ()

    @property
    def all_lines(self) -> tuple[str, ...]:
        return self.top_left + self.top_right + self.bottom_left + self.bottom_right


def _format_date(value: str) -> str:
    """DA ``YYYYMMDD`` → ``YYYY-MM-DD``; anything else unchanged."""
    text = value.strip()
    if len(text) == 8 and text.isdigit():
        return f"{text[:4]}-{text[4:6]}-{text[6:]}"
    return text


def _format_millimetres(value: float) -> str:
    """A length in mm with at most 2 decimals, trailing zeros dropped (``"1.25"``, ``"2"``)."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


#: Patient's Sex (0010,0040) as a person reads it (the top-left corner).
_SEX_WORDS: Final = {
    # TRANSLATORS: patient sex: male (a one-letter DICOM code in English)
    "M": N_("M"),
    # TRANSLATORS: patient sex: female
    "F": N_("F"),
    # TRANSLATORS: patient sex: other
    "O": N_("O"),
}


def sex_word(code: str) -> str:
    """Patient's Sex (``M``, ``F``, ``O``) in the current language (男, 女, 其他 in
    Chinese, as the study browser says it); another value as it stands."""
    message = _SEX_WORDS.get(code.strip().upper())
    word = _(message) if message is not None else code
    return code if word == message else word


#: Core's geometry problem kinds (``GeometryProblem.kind``, :mod:`core.dicom.geometry`),
#: as the bottom-left corner names the first one.
_PROBLEM_NAMES: Final = {
    "mixed orientation": N_("mixed orientation"),
    "missing position": N_("missing position"),
    "mixed size": N_("mixed size"),
    "duplicate position": N_("duplicate position"),
    "non-uniform spacing": N_("non-uniform spacing"),
    "gap": N_("gap"),
    "gantry tilt": N_("gantry tilt"),
}


def format_window(center: float, width: float) -> str:
    """``"W 400 L 40"`` as a workstation shows it; 3 significant digits below 1 (float maps)."""
    if width < 1:
        values = {"width": f"{width:.3g}", "level": f"{center:.3g}"}
    elif width < 10:
        values = {"width": f"{width:.2f}", "level": f"{center:.2f}"}
    else:
        values = {"width": f"{width:.0f}", "level": f"{center:.0f}"}
    # TRANSLATORS: the window in a viewport's corner (W = window width, L = level).
    return _("W {width} L {level}").format(**values)


def compose_overlay(
    header: DisplayHeader,
    geometry: SeriesGeometry,
    frame_index: int,
    window: tuple[float, float],
    zoom: float,
    *,
    frame_state: str = "loaded",
    cine_fps: float | None = None,
    inverted: bool = False,
    image_number: int | None = None,
) -> OverlayText:
    """The corner texts of a viewport.

    Top left: patient name, patient ID (and sex). Top right: study date and
    description, series number and description, modality. Bottom left: image
    number, slice position (mm along the slice normal), slice thickness, the
    frame's state when it is not shown, the first geometry problem. Bottom right:
    window, zoom, cine rate while playing.

    Parameters
    ----------
    header : DisplayHeader
    geometry : SeriesGeometry
    frame_index : int
        The frame shown (display order, from 0).
    window : (float, float)
        Window center and width.
    zoom : float
        Screen pixels per image pixel.
    frame_state : str, optional
        ``"loaded"``, ``"loading"`` or ``"failed"``.
    cine_fps : float, optional
        The playback rate, while a cine plays.
    inverted : bool, optional
        Whether the greys are shown inverted (noted beside the window).
    image_number : int, optional
        The "Im" number: the image's place in reading order, from 1
        (:mod:`core.dicom.reading_order`); default ``frame_index + 1``.
    """
    if not isinstance(header, DisplayHeader):
        raise TypeError(f"header must be a DisplayHeader, found {type(header).__name__}")
    if not isinstance(geometry, SeriesGeometry):
        raise TypeError(f"geometry must be a SeriesGeometry, found {type(geometry).__name__}")
    count = len(geometry.frames)
    if isinstance(frame_index, bool) or not isinstance(frame_index, int | np.integer):
        raise TypeError(f"frame_index must be an int, found {type(frame_index).__name__}")
    if not 0 <= frame_index < max(count, 1):
        raise ValueError(f"frame_index must be 0..{count - 1}, found {frame_index}")
    if frame_state not in ("loaded", "loading", "failed"):
        raise ValueError(f"frame_state must be loaded, loading or failed, found {frame_state!r}")
    center, width = (check_number("window center", window[0]), check_number("width", window[1]))
    zoom = check_number("zoom", zoom)

    top_left = [line for line in (header.patient_name, header.patient_id) if line]
    if header.patient_sex and top_left:
        top_left[-1] = f"{top_left[-1]}  {sex_word(header.patient_sex)}"

    top_right = []
    study = " ".join(x for x in (_format_date(header.study_date), header.study_description) if x)
    if study:
        top_right.append(study)
    series_label = header.series_description
    if header.series_number is not None:
        series_label = (
            _("Se {number}: {description}").format(
                number=header.series_number, description=series_label
            )
            if series_label
            else _("Se {number}").format(number=header.series_number)
        )
    if series_label:
        top_right.append(series_label)
    if header.modality:
        top_right.append(header.modality)

    number = frame_index + 1 if image_number is None else int(image_number)
    # TRANSLATORS: "Im" is the image number in a viewport's corner ("Im 3/120").
    bottom_left = [_("Im {number}/{count}").format(number=number, count=count)]
    if count:
        ref = geometry.frames[frame_index]
        positions = geometry.slice_positions
        if positions is not None and len(positions) == count:
            position = _format_millimetres(positions[frame_index])
            # TRANSLATORS: the slice position along the slice normal.
            bottom_left.append(_("Pos {position} mm").format(position=position))
        thickness = ref.info.slice_thickness
        if thickness is not None and thickness > 0:
            thickness_text = _format_millimetres(thickness)
            # TRANSLATORS: the slice thickness.
            bottom_left.append(_("Th {thickness} mm").format(thickness=thickness_text))
    if frame_state == "loading":
        bottom_left.append(_("Loading…"))
    elif frame_state == "failed":
        bottom_left.append(_("Image could not be read"))
    if geometry.problems:
        kind = geometry.problems[0].kind
        name = _(_PROBLEM_NAMES[kind]) if kind in _PROBLEM_NAMES else kind
        bottom_left.append(f"⚠ {name}")

    window_text = format_window(center, width)
    if inverted:
        # TRANSLATORS: the window, noted as shown with inverted greys.
        window_text = _("{window}  inverted").format(window=window_text)
    bottom_right = [window_text, _("Zoom {percent}%").format(percent=f"{zoom * 100:.0f}")]
    if cine_fps is not None:
        bottom_right.append(_("Cine {fps} fps").format(fps=f"{cine_fps:.0f}"))
    return OverlayText(
        top_left=tuple(top_left),
        top_right=tuple(top_right),
        bottom_left=tuple(bottom_left),
        bottom_right=tuple(bottom_right),
    )


@dataclass(frozen=True)
class OrientationLabels:
    """Patient directions at the four edges of the view ("" when unknown)."""

    left: str = ""
    right: str = ""
    top: str = ""
    bottom: str = ""


#: Patient axes (PS3.3 C.7.6.2.1.1): +x toward the patient's left, +y posterior, +z head.
_AXIS_LETTERS: Final = (("R", "L"), ("A", "P"), ("F", "H"))
_OPPOSITE: Final = {"R": "L", "L": "R", "A": "P", "P": "A", "F": "H", "H": "F"}


def describe_direction(vector: Sequence[float], *, threshold: float = 0.25) -> str:
    """Letters for a direction in the patient (e.g. ``"L"``, ``"LP"``, ``"HAR"``).

    Each axis whose cosine is above ``threshold`` in magnitude contributes its
    letter, largest first (the convention of PS3.3 C.7.6.1.1.1 for Patient
    Orientation).
    """
    if len(vector) != 3:
        raise ValueError(f"a direction needs 3 components, found {len(vector)}")
    components = [check_number("direction component", v) for v in vector]
    order = sorted(range(3), key=lambda i: -abs(components[i]))
    return "".join(
        _AXIS_LETTERS[i][1 if components[i] > 0 else 0]
        for i in order
        if abs(components[i]) > threshold
    )


def _opposite_letters(text: str) -> str:
    return "".join(_OPPOSITE.get(ch, ch) for ch in text)


def compute_orientation_labels(
    orientation: Sequence[float] | None,
    screen_matrix: tuple[float, float, float, float] = (1.0, 0.0, 0.0, 1.0),
    *,
    patient_orientation: tuple[str, str] | None = None,
) -> OrientationLabels:
    """Orientation markers for the edges of the view.

    Parameters
    ----------
    orientation : sequence of 6 floats or None
        Image Orientation (Patient): direction of increasing column index (the
        row direction) then of increasing row index (PS3.3 C.7.6.2.1.1).
    screen_matrix : (a, b, c, d)
        How the view maps an image step to a screen step: screen ``(x', y') =
        (a x + b y, c x + d y)`` (rotation and flips; y points down).
    patient_orientation : (str, str), optional
        Patient Orientation (0020,0020) for images without Image Orientation
        (projection radiographs): the row and column directions as letters.

    Returns
    -------
    OrientationLabels
        Empty labels when neither attribute is known.
    """
    a, b, c, d = (check_number("screen_matrix", v) for v in screen_matrix)
    det = a * d - b * c
    if abs(det) < 1e-9:
        raise ValueError("screen_matrix is singular; it must be a rotation and/or flip")
    # Image step that appears as one step right (and one step down) on the screen.
    right = (d / det, -c / det)
    down = (-b / det, a / det)
    if orientation is not None:
        if len(orientation) != 6:
            raise ValueError(f"orientation needs 6 direction cosines, found {len(orientation)}")
        row = [check_number("orientation", v) for v in orientation[:3]]
        col = [check_number("orientation", v) for v in orientation[3:]]

        def patient(step: tuple[float, float]) -> list[float]:
            return [step[0] * row[i] + step[1] * col[i] for i in range(3)]

        right_label = describe_direction(patient(right))
        down_label = describe_direction(patient(down))
        return OrientationLabels(
            left=_opposite_letters(right_label),
            right=right_label,
            top=_opposite_letters(down_label),
            bottom=down_label,
        )
    if patient_orientation is not None:
        row_label, col_label = (str(x).strip().upper() for x in patient_orientation)

        def letters(step: tuple[float, float]) -> str:
            # Only rotations by 90° and flips keep a step along one image axis.
            x, y = round(step[0]), round(step[1])
            if abs(x) == 1 and y == 0:
                return row_label if x > 0 else _opposite_letters(row_label)
            if abs(y) == 1 and x == 0:
                return col_label if y > 0 else _opposite_letters(col_label)
            return ""

        right_label, down_label = letters(right), letters(down)
        return OrientationLabels(
            left=_opposite_letters(right_label),
            right=right_label,
            top=_opposite_letters(down_label),
            bottom=down_label,
        )
    return OrientationLabels()


@dataclass(frozen=True)
class ScaleBar:
    """A scale bar: its length in mm and on the screen, and its label."""

    length_mm: float
    length_px: float
    label: str


def choose_scale_bar(
    mm_per_screen_pixel: float, max_length_px: float, *, calibrated: bool = True
) -> ScaleBar | None:
    """The longest round length (1, 2 or 5 × 10^k mm) that fits in ``max_length_px``.

    Parameters
    ----------
    mm_per_screen_pixel : float
        Millimetres one screen pixel spans (pixel spacing / zoom).
    max_length_px : float
        Longest bar allowed, in screen pixels.
    calibrated : bool, optional
        False notes the label as uncalibrated
        (:func:`~core.dicom.measure.note_uncalibrated`): the spacing is at the detector.

    Returns
    -------
    ScaleBar or None
        None when not even 0.1 mm fits.
    """
    mm_per_px = check_number("mm_per_screen_pixel", mm_per_screen_pixel)
    max_px = check_number("max_length_px", max_length_px)
    if mm_per_px <= 0:
        raise ValueError(f"mm_per_screen_pixel must be > 0, found {mm_per_px}")
    if max_px <= 0:
        return None
    longest = max_px * mm_per_px
    exponent = math.floor(math.log10(longest))
    best = None
    for e in (exponent, exponent - 1):
        for mantissa in (5, 2, 1):
            length = mantissa * 10.0**e
            if length <= longest + 1e-9:
                best = length
                break
        if best is not None:
            break
    if best is None or best < 0.1 - 1e-12:
        return None
    label = f"{best / 10:g} cm" if best >= 10 else f"{best:g} mm"
    if not calibrated:
        label = note_uncalibrated(label)
    return ScaleBar(length_mm=best, length_px=best / mm_per_px, label=label)
