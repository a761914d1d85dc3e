"""The study index: frozen records from header-only reads.

Patient → Study → Series → Instance, plus the objects that are not images and
the files that could not be read. Everything here is built from headers only; no
pixel data is read to make an index.

Records hold patient data (names, IDs) because the window shows them; they must
never be logged or put into error messages (house rule 8). ``repr`` of the
patient-level records is therefore kept free of it.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import BinaryIO

from core.errors import UsageError


class ObjectKind(StrEnum):
    """What a DICOM object is, by SOP Class, for deciding whether it can be shown."""

    IMAGE = "image"
    STRUCTURED_REPORT = "structured report"
    PRESENTATION_STATE = "presentation state"
    KEY_OBJECT_SELECTION = "key object selection"
    RT = "radiotherapy object"
    WAVEFORM = "waveform"
    ENCAPSULATED_DOCUMENT = "encapsulated document"
    SEGMENTATION = "segmentation"
    RAW_DATA = "raw data"
    OTHER = "other non-image object"


@dataclass(frozen=True, order=True)
class FileRef:
    """Where an object lives: a file on disk, or a member of a .zip archive.

    Parameters
    ----------
    path : str
        Absolute path of the file (or of the archive).
    member : str or None
        Name of the member inside the archive at ``path``; None for a plain file.
    """

    path: str
    member: str | None = None

    @property
    def display_name(self) -> str:
        """Path for messages: ``/dir/file`` or ``/dir/archive.zip!member``."""
        return self.path if self.member is None else f"{self.path}!{self.member}"

    def open(self) -> BinaryIO:
        """Open the object for reading (read-only; a zip member is read into memory)."""
        if self.member is None:
            return open(self.path, "rb")
        # lazy: core.dicom.records stays free of pydicom; limits caps what a member inflates to
        from core.dicom.limits import read_zip_member

        with zipfile.ZipFile(self.path) as archive:
            return io.BytesIO(read_zip_member(archive, self.member, self.display_name))

    def __str__(self) -> str:
        return self.display_name


@dataclass(frozen=True)
class VoiWindow:
    """One Window Center/Width pair from the file, with its explanation (a VOI preset).

    ``function`` is the VOI LUT Function: LINEAR, LINEAR_EXACT or SIGMOID.
    """

    center: float
    width: float
    explanation: str = ""
    function: str = "LINEAR"


@dataclass(frozen=True)
class FrameInfo:
    """Geometry and value mapping of one frame.

    For a single-frame image this comes from the top-level attributes; for an
    enhanced multi-frame object it is the Shared Functional Groups overridden by
    that frame's Per-frame Functional Groups (PS3.3 C.7.6.16).
    """

    position: tuple[float, float, float] | None = None
    orientation: tuple[float, float, float, float, float, float] | None = None
    pixel_spacing: tuple[float, float] | None = None
    slice_thickness: float | None = None
    rescale_slope: float = 1.0
    rescale_intercept: float = 0.0
    windows: tuple[VoiWindow, ...] = ()
    stack_id: str | None = None
    in_stack_position: int | None = None
    temporal_position: int | None = None


@dataclass(frozen=True)
class InstanceRecord:
    """One image object (SOP Instance) as read from its header.

    ``pixel_data_offset``/``pixel_data_length`` are filled for native
    (uncompressed, not deflated) pixel data in a plain file, so that a loader can
    read the values straight from disk without parsing the header again.
    """

    ref: FileRef
    sop_class_uid: str
    sop_instance_uid: str
    transfer_syntax_uid: str
    modality: str
    instance_number: int | None
    rows: int
    columns: int
    number_of_frames: int
    samples_per_pixel: int
    photometric_interpretation: str
    bits_allocated: int
    bits_stored: int
    pixel_representation: int
    frames: tuple[FrameInfo, ...]
    acquisition_number: int | None = None
    echo_number: int | None = None
    image_type: tuple[str, ...] = ()
    image_pixel_spacing: tuple[float, float] | None = None
    magnification_factor: float | None = None
    view_position: str = ""
    body_part: str = ""
    pixel_padding_value: int | None = None
    pixel_data_offset: int | None = None
    pixel_data_length: int | None = None
    #: True when values go through a Modality LUT Sequence or the modality LUT
    #: does not apply (XA/XRF LOG or DISP), so FrameInfo's rescale is not the whole story.
    complex_modality_lut: bool = False


@dataclass(frozen=True)
class SeriesRecord:
    """One displayable stack: a DICOM series, or one part of a series that had to be split.

    ``key`` is unique in an index: the Series Instance UID, with ``#n`` appended
    for the n-th part of a split series. ``split_reason`` says why it was split.
    """

    key: str
    series_instance_uid: str
    modality: str
    description: str
    series_number: int | None
    instances: tuple[InstanceRecord, ...]
    split_reason: str | None = None

    @cached_property
    def frame_count(self) -> int:
        # Counted once: the window asks it of a 512-image series a dozen times per open.
        return sum(inst.number_of_frames for inst in self.instances)


@dataclass(frozen=True)
class StudyRecord:
    study_instance_uid: str
    study_date: str
    study_description: str
    accession_number: str = field(repr=False, default="")
    series: tuple[SeriesRecord, ...] = ()


@dataclass(frozen=True)
class PatientRecord:
    patient_id: str = field(repr=False)
    patient_name: str = field(repr=False)
    birth_date: str = field(repr=False, default="")
    sex: str = ""
    studies: tuple[StudyRecord, ...] = ()


@dataclass(frozen=True)
class NonImageRecord:
    """An object that is listed but never rendered (SR, presentation state, KO, RT, PDF...)."""

    ref: FileRef
    kind: ObjectKind
    sop_class_uid: str
    sop_class_name: str
    modality: str
    study_instance_uid: str
    series_instance_uid: str


@dataclass(frozen=True)
class UnreadableFile:
    """A file that could not be used, with the reason (no patient data)."""

    ref: FileRef
    reason: str


@dataclass(frozen=True)
class IndexNote:
    """Something about the source a reader should know that did not stop any file.

    ``kind`` says what it is about: ``"dicomdir"`` (the DICOMDIR lists files that
    are missing, or misses files that are there; see core.dicom.dicomdir).
    ``details`` name the files, one line each; no patient data.
    """

    kind: str
    message: str
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class StudyIndex:
    """Everything found under one scanned path."""

    root: str
    patients: tuple[PatientRecord, ...]
    non_image: tuple[NonImageRecord, ...]
    unreadable: tuple[UnreadableFile, ...]
    #: Files not indexed, each with why: not DICOM at all (empty, no DICM prefix...) or
    #: a DICOMDIR met in a sub-folder.
    skipped: tuple[UnreadableFile, ...] = ()
    notes: tuple[IndexNote, ...] = ()

    @property
    def skipped_non_dicom(self) -> int:
        """How many files were skipped (``len(skipped)``)."""
        return len(self.skipped)

    def all_series(self) -> tuple[SeriesRecord, ...]:
        return tuple(s for p in self.patients for st in p.studies for s in st.series)

    def find_series(self, key_or_uid: str) -> SeriesRecord:
        """The series whose key (or Series Instance UID, for an unsplit series) is given.

        Raises
        ------
        core.errors.UsageError
            When no series matches.
        """

        matches = [s for s in self.all_series() if key_or_uid in (s.key, s.series_instance_uid)]
        if not matches:
            raise UsageError(f"no image series with key or UID {key_or_uid!r} in {self.root}")
        return matches[0]


@dataclass(frozen=True)
class FrameRef:
    """One frame of one instance (``frame`` counts from 0)."""

    instance: InstanceRecord
    frame: int = 0

    @property
    def info(self) -> FrameInfo:
        return self.instance.frames[self.frame]


@dataclass(frozen=True)
class GeometryProblem:
    """Something about a stack's geometry a reader should know.

    ``kind`` is one of: ``"non-uniform spacing"``, ``"duplicate position"``,
    ``"gap"``, ``"gantry tilt"``, ``"missing position"``, ``"mixed orientation"``,
    ``"mixed size"``.
    """

    kind: str
    message: str


@dataclass(frozen=True)
class SeriesGeometry:
    """Display order and spacing of a stack, from Image Position/Orientation (Patient).

    ``frames`` is the display order: by position projected on the slice normal
    when positions are known (never by Instance Number), else by Instance Number
    then frame number, as ``ordered_by`` says. Spacing values are millimetres;
    ``pixel_spacing`` is (row spacing, column spacing) and ``spacing_calibrated``
    says whether it came from Pixel Spacing (or Imager Pixel Spacing corrected by
    the Estimated Radiographic Magnification Factor) — ``spacing_note`` says which.
    """

    frames: tuple[FrameRef, ...]
    ordered_by: str
    slice_positions: tuple[float, ...] | None = None
    slice_spacing: float | None = None
    pixel_spacing: tuple[float, float] | None = None
    spacing_calibrated: bool = False
    spacing_note: str = "no pixel spacing in the file"
    origin: tuple[float, float, float] | None = None
    orientation: tuple[float, float, float, float, float, float] | None = None
    normal: tuple[float, float, float] | None = None
    problems: tuple[GeometryProblem, ...] = ()
