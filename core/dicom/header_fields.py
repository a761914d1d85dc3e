"""What the index keeps of one DICOM header: patient/study/series context and image records.

Attribute access here never raises and never quotes a value (values can be patient
data). What is read follows PS3.3: the Image Plane Module (C.7.6.2) for single-frame
images, the Multi-frame Functional Groups Module (C.7.6.16) for enhanced multi-frame
images, and the VOI LUT Module (C.11.2) for window presets.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import struct
from dataclasses import dataclass
from typing import Any

from pydicom.datadict import dictionary_VR, tag_for_keyword
from pydicom.dataelem import RawDataElement
from pydicom.multival import ConstrainedList
from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian

from core.dicom.decode import check_native_length
from core.dicom.float_windows import with_continuous_windows
from core.dicom.lut import skips_modality_lut
from core.dicom.person_name import decode_person_name
from core.dicom.records import FileRef, FrameInfo, InstanceRecord, VoiWindow
from core.errors import DicomError
from core.i18n import _

logger = logging.getLogger(__name__)

#: Prefix of the keys made up for objects that lack a Study/Series/SOP Instance UID.
PLACEHOLDER_PREFIX = "no-uid-"

_IMPLICIT_LE = ImplicitVRLittleEndian
_EXPLICIT_LE = ExplicitVRLittleEndian
_NATIVE_SYNTAXES = frozenset({ImplicitVRLittleEndian, ExplicitVRLittleEndian, ExplicitVRBigEndian})
_PIXEL_DATA = 0x7FE00010
_VOI_FUNCTIONS = frozenset({"LINEAR", "LINEAR_EXACT", "SIGMOID"})


@dataclass(frozen=True)
class HeaderContext:
    """Patient/study/series attributes of one object, for grouping in the parent (picklable)."""

    patient_id: str
    patient_name: str
    birth_date: str
    sex: str
    study_uid: str
    study_date: str
    study_time: str
    study_description: str
    accession_number: str
    series_uid: str
    series_description: str
    series_number: int | None
    modality: str


# --------------------------------------------------------------------------------------
# Attribute access that never raises and never quotes a value


_TEXT_VRS = frozenset({"DS", "IS", "CS", "UI", "DA", "TM", "AS"})
_TAG_CACHE: dict[str, int] = {}


def _tag(keyword: str) -> int:
    tag = _TAG_CACHE.get(keyword)
    if tag is None:
        found = tag_for_keyword(keyword)
        if found is None:
            raise ValueError(f"{keyword!r} is not a DICOM keyword")
        tag = _TAG_CACHE[keyword] = int(found)
    return tag


def _value(ds: Any, keyword: str) -> Any:
    """An element's value, or None when absent or unconvertible.

    Numbers, codes and UIDs are decoded straight from the raw bytes: converting them
    through pydicom costs more than the rest of a header read.
    """
    tag = _tag(keyword)
    try:
        element = ds.get_item(tag)
        if element is None:
            return None
        if isinstance(element, RawDataElement) and element.value is not None:
            vr = element.VR or dictionary_VR(tag)
            if vr in _TEXT_VRS:
                text = element.value.decode("ascii", "replace").strip("\x00 ")
                parts = [part.strip("\x00 ") for part in text.split("\\")]
                return parts[0] if len(parts) == 1 else parts
            if vr in ("US", "SS") and element.value and len(element.value) % 2 == 0:
                endian = "<" if element.is_little_endian else ">"
                code = "H" if vr == "US" else "h"
                numbers = struct.unpack(f"{endian}{len(element.value) // 2}{code}", element.value)
                return numbers[0] if len(numbers) == 1 else list(numbers)
        return ds[tag].value
    except Exception:
        return None


def _values(ds: Any, keyword: str) -> list[Any]:
    value = _value(ds, keyword)
    if value is None or value == "":
        return []
    if isinstance(value, list | tuple | ConstrainedList):
        return list(value)
    return [value]


def _text(ds: Any, keyword: str) -> str:
    items = _values(ds, keyword)
    try:
        return "\\".join(str(v) for v in items).strip()
    except Exception:
        return ""


def _float(ds: Any, keyword: str) -> float | None:
    items = _values(ds, keyword)
    if not items:
        return None
    try:
        number = float(items[0])
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _floats(ds: Any, keyword: str, count: int) -> tuple[float, ...] | None:
    items = _values(ds, keyword)
    if len(items) != count:
        return None
    try:
        numbers = tuple(float(v) for v in items)
    except (TypeError, ValueError):
        return None
    return numbers if all(math.isfinite(n) for n in numbers) else None


def _int(ds: Any, keyword: str) -> int | None:
    number = _float(ds, keyword)
    if number is None or not number.is_integer():
        return None
    return int(number)


def _float_list(ds: Any, keyword: str) -> list[float | None]:
    numbers: list[float | None] = []
    for item in _values(ds, keyword):
        try:
            number = float(item)
        except (TypeError, ValueError):
            numbers.append(None)
            continue
        numbers.append(number if math.isfinite(number) else None)
    return numbers


def _position(ds: Any) -> tuple[float, float, float] | None:
    value = _floats(ds, "ImagePositionPatient", 3)
    return None if value is None else (value[0], value[1], value[2])


def _orientation(ds: Any) -> tuple[float, float, float, float, float, float] | None:
    """Image Orientation (Patient) when it is two non-parallel non-zero directions."""
    value = _floats(ds, "ImageOrientationPatient", 6)
    if value is None:
        return None
    row, col = value[:3], value[3:]
    row_norm = math.sqrt(sum(v * v for v in row))
    col_norm = math.sqrt(sum(v * v for v in col))
    if row_norm < 1e-6 or col_norm < 1e-6:
        return None
    cosine = abs(sum(a * b for a, b in zip(row, col, strict=True))) / (row_norm * col_norm)
    if cosine > 0.99:
        return None
    return (value[0], value[1], value[2], value[3], value[4], value[5])


def _pair(ds: Any, keyword: str) -> tuple[float, float] | None:
    value = _floats(ds, keyword, 2)
    if value is None or value[0] <= 0 or value[1] <= 0:
        return None
    return (value[0], value[1])


def _windows(ds: Any) -> tuple[VoiWindow, ...]:
    """Window presets: each Window Center/Width pair with its explanation (PS3.3 C.11.2.1.2)."""
    centers = _float_list(ds, "WindowCenter")
    widths = _float_list(ds, "WindowWidth")
    if not centers or not widths:
        return ()
    explanations = [str(v).strip() for v in _values(ds, "WindowCenterWidthExplanation")]
    function = _text(ds, "VOILUTFunction").upper() or "LINEAR"
    if function not in _VOI_FUNCTIONS:
        function = "LINEAR"
    # A LINEAR width below 1 (C.11.2.1.2.1) is kept: on float pixel data it is applied as
    # LINEAR_EXACT (core.dicom.float_windows); on integers, presets refuse it.
    windows: list[VoiWindow] = []
    for i, (center, width) in enumerate(zip(centers, widths, strict=False)):
        if center is None or width is None or not width > 0:
            continue
        explanation = explanations[i] if i < len(explanations) else ""
        windows.append(VoiWindow(center, width, explanation, function))
    return tuple(windows)


def read_text(ds: Any, keyword: str) -> str:
    """An attribute as text (multiple values joined by backslashes), ``""`` when absent.

    Never raises and never quotes the value in an error.
    """
    return _text(ds, keyword)


# --------------------------------------------------------------------------------------
# Building records


def read_context(ds: Any, ref: FileRef) -> HeaderContext:
    """The patient/study/series attributes of ``ds``; missing UIDs get stable placeholder keys."""
    study_uid = _text(ds, "StudyInstanceUID") or _placeholder("study", ref)
    modality = _text(ds, "Modality")
    series_number = _int(ds, "SeriesNumber")
    series_uid = _text(ds, "SeriesInstanceUID") or _placeholder(
        "series", ref, f"{modality}|{series_number}"
    )
    return HeaderContext(
        patient_id=_text(ds, "PatientID"),
        patient_name=decode_person_name(_value(ds, "PatientName")),
        birth_date=_text(ds, "PatientBirthDate"),
        sex=_text(ds, "PatientSex"),
        study_uid=study_uid,
        study_date=_text(ds, "StudyDate"),
        study_time=_text(ds, "StudyTime"),
        study_description=_text(ds, "StudyDescription"),
        accession_number=_text(ds, "AccessionNumber"),
        series_uid=series_uid,
        series_description=_text(ds, "SeriesDescription"),
        series_number=series_number,
        modality=modality,
    )


def _placeholder(what: str, ref: FileRef, extra: str = "") -> str:
    """A stable key for a missing UID: objects in the same folder (and series) group together.

    Hashed, so that folder names (often patient names) do not show up as keys.
    """
    if what == "instance":
        source = ref.display_name
    elif ref.member is None:
        source = os.path.dirname(ref.path)
    else:
        source = f"{ref.path}!{os.path.dirname(ref.member)}"
    digest = hashlib.sha1(f"{what}|{source}|{extra}".encode(), usedforsecurity=False)
    return f"{PLACEHOLDER_PREFIX}{what}-{digest.hexdigest()[:16]}"


def read_instance(
    ds: Any,
    ref: FileRef,
    syntax: str,
    size: int,
    pixel_tag: int | None,
    pixel_header: tuple[int, int | None] | None,
) -> InstanceRecord:
    """The :class:`InstanceRecord` of an image header.

    ``pixel_header`` is (value offset, value length) of the pixel element as found in
    the stream; the offset is kept only for plain native little-endian files, which
    are then read without a decoder.

    Raises
    ------
    core.errors.DicomError
        When the image attributes are missing or inconsistent, or the file is too
        short for the pixel data it declares.
    """
    source = ref.display_name
    rows, columns = _int(ds, "Rows"), _int(ds, "Columns")
    if not rows or rows < 1:
        raise DicomError(source, "image without a valid Rows (0028,0010)")
    if not columns or columns < 1:
        raise DicomError(source, "image without a valid Columns (0028,0011)")
    bits_allocated = _int(ds, "BitsAllocated")
    if bits_allocated is None or bits_allocated < 1:
        raise DicomError(source, "image without a valid Bits Allocated (0028,0100)")
    bits_stored = _int(ds, "BitsStored") or bits_allocated
    if bits_stored > bits_allocated:
        raise DicomError(
            source, f"Bits Stored is {bits_stored}, more than Bits Allocated ({bits_allocated})"
        )
    number_of_frames = _int(ds, "NumberOfFrames") if _values(ds, "NumberOfFrames") else 1
    if number_of_frames is None or number_of_frames < 1:
        raise DicomError(source, "Number of Frames (0028,0008) is not a positive whole number")
    samples = _int(ds, "SamplesPerPixel") or 1
    photometric = _text(ds, "PhotometricInterpretation").upper()
    offset: int | None = None
    length: int | None = None
    if pixel_header is not None:
        value_offset, length = pixel_header
        if length is not None:
            if value_offset + length > size:
                raise DicomError(
                    source,
                    _(
                        "Pixel Data holds {length} bytes but the file ends {left} bytes after "
                        "it starts (truncated file)"
                    ).format(length=length, left=max(size - value_offset, 0)),
                )
            uid_native = syntax in _NATIVE_SYNTAXES or syntax == ""
            if uid_native and pixel_tag == _PIXEL_DATA:
                check_native_length(
                    source,
                    length,
                    rows=rows,
                    columns=columns,
                    frames=number_of_frames,
                    samples=samples,
                    bits_allocated=bits_allocated,
                    photometric=photometric,
                )
            plain_native = (
                ref.member is None
                and pixel_tag == _PIXEL_DATA
                and syntax in (_IMPLICIT_LE, _EXPLICIT_LE)
            )
            if plain_native:
                offset = value_offset
            else:
                length = None
    frames = _read_frames(ds, number_of_frames)
    if pixel_tag is not None and pixel_tag != _PIXEL_DATA:
        frames = with_continuous_windows(frames)  # Float / Double Float Pixel Data
    modality = _text(ds, "Modality")
    complex_lut = "ModalityLUTSequence" in ds or skips_modality_lut(
        modality, _text(ds, "SOPClassUID"), _text(ds, "PixelIntensityRelationship")
    )
    padding = _int(ds, "PixelPaddingValue")
    return InstanceRecord(
        ref=ref,
        sop_class_uid=_text(ds, "SOPClassUID")
        or str(ds.file_meta.get("MediaStorageSOPClassUID", "")),
        sop_instance_uid=_text(ds, "SOPInstanceUID") or _placeholder("instance", ref),
        transfer_syntax_uid=syntax,
        modality=modality,
        instance_number=_int(ds, "InstanceNumber"),
        rows=rows,
        columns=columns,
        number_of_frames=number_of_frames,
        samples_per_pixel=samples,
        photometric_interpretation=photometric,
        bits_allocated=bits_allocated,
        bits_stored=bits_stored,
        pixel_representation=_int(ds, "PixelRepresentation") or 0,
        frames=frames,
        acquisition_number=_int(ds, "AcquisitionNumber"),
        echo_number=_int(ds, "EchoNumbers"),
        image_type=tuple(str(v).strip().upper() for v in _values(ds, "ImageType")),
        image_pixel_spacing=_pair(ds, "ImagerPixelSpacing"),
        magnification_factor=_positive(_float(ds, "EstimatedRadiographicMagnificationFactor")),
        view_position=_text(ds, "ViewPosition").upper(),
        body_part=_text(ds, "BodyPartExamined").upper(),
        pixel_padding_value=padding,
        pixel_data_offset=offset,
        pixel_data_length=length,
        complex_modality_lut=complex_lut,
    )


def _positive(value: float | None) -> float | None:
    return value if value is not None and value > 0 else None


def _frame_from(ds: Any) -> FrameInfo:
    """FrameInfo from the top-level attributes (Image Plane, Modality LUT, VOI LUT modules)."""
    slope = _float(ds, "RescaleSlope")
    intercept = _float(ds, "RescaleIntercept")
    return FrameInfo(
        position=_position(ds),
        orientation=_orientation(ds),
        pixel_spacing=_pair(ds, "PixelSpacing"),
        slice_thickness=_float(ds, "SliceThickness"),
        rescale_slope=1.0 if slope is None else slope,
        rescale_intercept=0.0 if intercept is None else intercept,
        windows=_windows(ds),
        temporal_position=_int(ds, "TemporalPositionIdentifier"),
    )


def _read_frames(ds: Any, count: int) -> tuple[FrameInfo, ...]:
    top = _frame_from(ds)
    if "PerFrameFunctionalGroupsSequence" not in ds and "SharedFunctionalGroupsSequence" not in ds:
        # Single frame, or classic multi-frame (US, NM, XA cine): one geometry for all frames.
        return (top,) * count
    shared_items = _values(ds, "SharedFunctionalGroupsSequence")
    shared = shared_items[0] if shared_items else None
    per_frame = _values(ds, "PerFrameFunctionalGroupsSequence")
    return tuple(
        _enhanced_frame(per_frame[i] if i < len(per_frame) else None, shared, top)
        for i in range(count)
    )


def _macro(per_frame: Any, shared: Any, keyword: str) -> Any:
    """A functional group: the frame's own, else the shared one (PS3.3 C.7.6.16.1)."""
    for groups in (per_frame, shared):
        if groups is None:
            continue
        items = _values(groups, keyword)
        if items:
            return items[0]
    return None


def _enhanced_frame(per_frame: Any, shared: Any, top: FrameInfo) -> FrameInfo:
    position = top.position
    orientation = top.orientation
    pixel_spacing, thickness = top.pixel_spacing, top.slice_thickness
    slope, intercept = top.rescale_slope, top.rescale_intercept
    windows = top.windows
    stack_id: str | None = None
    in_stack: int | None = None
    temporal: int | None = top.temporal_position
    if (plane := _macro(per_frame, shared, "PlanePositionSequence")) is not None:
        position = _position(plane) or position
    if (plane := _macro(per_frame, shared, "PlaneOrientationSequence")) is not None:
        orientation = _orientation(plane) or orientation
    if (measures := _macro(per_frame, shared, "PixelMeasuresSequence")) is not None:
        pixel_spacing = _pair(measures, "PixelSpacing") or pixel_spacing
        thickness = _float(measures, "SliceThickness") or thickness
    if (transform := _macro(per_frame, shared, "PixelValueTransformationSequence")) is not None:
        new_slope, new_intercept = (
            _float(transform, "RescaleSlope"),
            _float(transform, "RescaleIntercept"),
        )
        slope = slope if new_slope is None else new_slope
        intercept = intercept if new_intercept is None else new_intercept
    if (voi := _macro(per_frame, shared, "FrameVOILUTSequence")) is not None:
        windows = _windows(voi) or windows
    if (content := _macro(per_frame, shared, "FrameContentSequence")) is not None:
        stack_id = _text(content, "StackID") or None
        in_stack = _int(content, "InStackPositionNumber")
        temporal = _int(content, "TemporalPositionIndex") or temporal
    return FrameInfo(
        position=position,
        orientation=orientation,
        pixel_spacing=pixel_spacing,
        slice_thickness=thickness,
        rescale_slope=slope,
        rescale_intercept=intercept,
        windows=windows,
        stack_id=stack_id,
        in_stack_position=in_stack,
        temporal_position=temporal,
    )
