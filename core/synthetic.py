"""Synthetic studies with known ground truth, written as valid DICOM.

Phantoms for the demo, the tests, the benchmarks and (later) for training a small
chest X-ray CNN: chest radiographs (CR and DX, PA/AP/lateral, MONOCHROME1/2, 12–16
bit) with labelled lesions, CT and MR series with realistic geometry, an Enhanced CT
multi-frame object whose functional groups must be merged, compressed variants and a
folder of deliberately broken files.

Everything is drawn from a :class:`numpy.random.Generator` (or an integer seed), and
nothing reads the wall clock: the same seed writes byte-identical files on the same
platform. UIDs come from :func:`pydicom.uid.generate_uid` under pydicom's root with
seed-derived entropy (a SHA-512 hash, so they are reproducible).

All patients are fictitious ("PHANTOM^..."). Pixel coordinates are ``(row, col)``
of the image as written; patient coordinates follow DICOM (LPS, PS3.3 C.7.6.2.1.1).
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import math
import struct
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
from pydicom import Dataset, dcmwrite
from pydicom.dataset import FileMetaDataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.uid import (
    PYDICOM_ROOT_UID,
    UID,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGLSLossless,
    RLELossless,
    generate_uid,
)
from pydicom.valuerep import format_number_as_ds

from core.errors import UsageError

logger = logging.getLogger(__name__)

Array = npt.NDArray[Any]
FloatArray = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]
PathLike = str | Path

#: Lesion labels, named as TorchXRayVision names its pathologies.
LESION_LABELS: Final = (
    "Nodule",
    "Mass",
    "Effusion",
    "Pneumothorax",
    "Cardiomegaly",
    "Consolidation",
)
#: Views of :func:`write_cxr` (View Position defined terms, PS3.3 C.8.11.5.1.1).
CXR_VIEWS: Final = ("PA", "AP", "LL")
#: Kinds of :func:`write_synthetic`.
SYNTHETIC_KINDS: Final = ("cxr", "ct", "mr", "multiframe", "broken")

CR_IMAGE_STORAGE: Final = UID("1.2.840.10008.5.1.4.1.1.1")
DX_IMAGE_STORAGE_FOR_PRESENTATION: Final = UID("1.2.840.10008.5.1.4.1.1.1.1")
CT_IMAGE_STORAGE: Final = UID("1.2.840.10008.5.1.4.1.1.2")
ENHANCED_CT_IMAGE_STORAGE: Final = UID("1.2.840.10008.5.1.4.1.1.2.1")
MR_IMAGE_STORAGE: Final = UID("1.2.840.10008.5.1.4.1.1.4")

#: Defects of :func:`write_broken_set`, by code ("good" marks a valid image).
BROKEN_DEFECTS: Final[Mapping[str, str]] = {
    "good": "nothing: a valid image, to show that the rest of the folder still loads",
    "truncated_in_header": "file cut in the middle of the data set, before Pixel Data",
    "truncated_in_pixel_data": "file cut half-way through the Pixel Data value",
    "missing_pixel_data": "image attributes present but no Pixel Data element",
    "pixel_data_short": "Pixel Data holds half of Rows x Columns x 2 bytes",
    "pixel_data_long": "Pixel Data holds more than Rows x Columns x 2 bytes",
    "wrong_value_length": "Rows (US) has value length 6 instead of 2, so parsing misaligns",
    "value_length_past_end": "a header element's value length points past the end of the file",
    "random_bytes": "not DICOM: random bytes",
    "text_file": "not DICOM: a text file",
    "empty_file": "not DICOM: an empty file",
    "png_image": "not DICOM: a PNG image",
    "dicm_then_garbage": "128-byte preamble and DICM prefix followed by random bytes",
}

# Transfer syntaxes written without an encoder, and the plugin used for each encoded
# one (named so the output does not depend on which plugins happen to be installed).
_NATIVE_SYNTAXES: Final = (
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    DeflatedExplicitVRLittleEndian,
)
_ENCODER_PLUGINS: Final[Mapping[str, str]] = {
    RLELossless: "pydicom",
    JPEGLSLossless: "pyjpegls",
    JPEG2000Lossless: "pylibjpeg",
}
_CHEST_CODE: Final = ("43799004", "SCT", "Chest")
_MANUFACTURER: Final = "RadAssist Synthetic"
_GIVEN_NAMES: Final = (
    "ALPHA", "BRAVO", "CHARLIE", "DELTA", "ECHO", "FOXTROT", "GOLF", "HOTEL",
    "INDIA", "JULIETT", "KILO", "LIMA", "MIKE", "NOVEMBER", "OSCAR", "PAPA",
)  # fmt: skip


# --------------------------------------------------------------------------- helpers


def _check_rng(rng: object) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, found {type(rng).__name__}")
    return rng


def _check_int(name: str, value: object, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an int, found {type(value).__name__}")
    number = int(value)
    if number < low or (high is not None and number > high):
        upper = "" if high is None else f"..{high}"
        raise UsageError(f"{name} must be in {low}{upper}, found {number}")
    return number


def _check_choice(name: str, value: object, choices: Sequence[object]) -> Any:
    if value not in choices:
        raise UsageError(f"{name} must be one of {list(choices)}, found {value!r}")
    return value


def _check_size(value: object) -> tuple[int, int]:
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        rows = cols = int(value)
    elif isinstance(value, tuple | list) and len(value) == 2:
        rows = _check_int("size[0]", value[0], 1)
        cols = _check_int("size[1]", value[1], 1)
    else:
        raise TypeError(f"size must be an int or a (rows, columns) pair, found {value!r}")
    if min(rows, cols) < 32 or max(rows, cols) > 8192:
        raise UsageError(f"size must be 32..8192 pixels, found {rows}x{cols}")
    return rows, cols


def _check_transfer_syntax(value: str | None) -> UID:
    if value is None:
        return ExplicitVRLittleEndian
    if not isinstance(value, str):
        raise TypeError(f"transfer_syntax must be a UID string, found {type(value).__name__}")
    uid = UID(value)
    if uid not in list_transfer_syntaxes():
        raise UsageError(
            f"transfer_syntax {uid} ({uid.name}) cannot be written here; "
            f"available: {sorted(list_transfer_syntaxes())}"
        )
    return uid


def _child_rng(rng: np.random.Generator) -> np.random.Generator:
    return np.random.default_rng(int(rng.integers(0, 2**63)))


def _uid(token: str, *parts: object) -> str:
    # Not prefix=None: pydicom then ignores entropy_srcs and returns a random UUID.
    sources = [token, *(f"/{p}" for p in parts)]
    return str(generate_uid(prefix=PYDICOM_ROOT_UID, entropy_srcs=sources))


def _ds(value: float) -> str:
    """Format a number as a DS value (at most 16 characters, PS3.5 6.2)."""
    return str(format_number_as_ds(float(round(value, 6))))


def _smoothstep(x: Array) -> Array:
    t = np.clip(x, 0.0, 1.0)
    result: Array = t * t * (3.0 - 2.0 * t)
    return result


def _smooth_noise(rng: np.random.Generator, shape: tuple[int, int], sigma: float) -> FloatArray:
    """Gaussian-filtered white noise (zero mean, unit std), filtered in Fourier space."""
    white = rng.standard_normal(shape, dtype=np.float32)
    fy = np.fft.fftfreq(shape[0]).astype(np.float32)[:, None]
    fx = np.fft.rfftfreq(shape[1]).astype(np.float32)[None, :]
    kernel = np.exp(-2.0 * (math.pi * sigma) ** 2 * (fx * fx + fy * fy))
    out = np.fft.irfft2(np.fft.rfft2(white) * kernel, s=shape)
    out -= out.mean()
    out /= float(out.std()) + 1e-12
    return out.astype(np.float32)


def _code_item(code: tuple[str, str, str]) -> Dataset:
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = code
    return item


def list_transfer_syntaxes() -> dict[str, str]:
    """Transfer syntaxes the writers can produce here, UID → name.

    Native little-endian syntaxes always work; RLE Lossless (pydicom's own encoder),
    JPEG-LS Lossless (pyjpegls) and JPEG 2000 Lossless (pylibjpeg-openjpeg) are listed
    when their encoder is installed. All listed syntaxes are lossless.

    Returns
    -------
    dict of str to str
        The usable transfer syntax UIDs and their names.
    """
    from pydicom.pixels.encoders.base import (
        JPEG2000LosslessEncoder,
        JPEGLSLosslessEncoder,
        RLELosslessEncoder,
    )

    out = {str(uid): uid.name for uid in _NATIVE_SYNTAXES}
    for encoder in (RLELosslessEncoder, JPEGLSLosslessEncoder, JPEG2000LosslessEncoder):
        if _ENCODER_PLUGINS[encoder.UID] in encoder.available_plugins:
            out[str(encoder.UID)] = encoder.UID.name
    return out


# --------------------------------------------------------------------------- patients


@dataclass(frozen=True)
class StudyContext:
    """A fictitious patient and study, shared by the objects written into it.

    Parameters
    ----------
    patient_name, patient_id : str
        Fictitious, made from the seed ("PHANTOM^...", "SYN...").
    patient_birth_date : str
        DICOM DA (YYYYMMDD).
    patient_sex : str
        "F" or "M".
    patient_age : int
        Age in whole years on the study date.
    study_uid, study_date, study_time, accession_number, study_id : str
        General Study attributes (PS3.3 C.7.2.1).
    study_description : str
        Study Description.
    """

    patient_name: str
    patient_id: str
    patient_birth_date: str
    patient_sex: str
    patient_age: int
    study_uid: str
    study_date: str
    study_time: str
    accession_number: str
    study_id: str
    study_description: str = "SYNTHETIC PHANTOM"

    def to_json(self) -> dict[str, Any]:
        """Return the context as a JSON-ready dict."""
        return dict(self.__dict__)


def make_study_context(
    rng: np.random.Generator, *, description: str = "SYNTHETIC PHANTOM"
) -> StudyContext:
    """Draw a fictitious patient and study from ``rng``.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of every value (dates are drawn, never read from the clock).
    description : str, optional
        Study Description.

    Returns
    -------
    StudyContext
    """
    _check_rng(rng)
    token = rng.bytes(16).hex()
    study_day = _dt.date(2015, 1, 1) + _dt.timedelta(days=int(rng.integers(0, 3650)))
    target_age = int(rng.integers(18, 91))
    birth = study_day - _dt.timedelta(days=int(target_age * 365.25) + int(rng.integers(0, 365)))
    age = (
        study_day.year - birth.year - ((study_day.month, study_day.day) < (birth.month, birth.day))
    )
    sex = "F" if rng.random() < 0.5 else "M"
    given = _GIVEN_NAMES[int(rng.integers(len(_GIVEN_NAMES)))]
    hour, minute, second = (int(x) for x in rng.integers((7, 0, 0), (19, 60, 60)))
    return StudyContext(
        patient_name=f"PHANTOM^{given}{int(rng.integers(1, 1000)):03d}",
        patient_id=f"SYN{int(rng.integers(10**7, 10**8))}",
        patient_birth_date=birth.strftime("%Y%m%d"),
        patient_sex=sex,
        patient_age=age,
        study_uid=_uid(token, "study"),
        study_date=study_day.strftime("%Y%m%d"),
        study_time=f"{hour:02d}{minute:02d}{second:02d}",
        accession_number=f"ACC{int(rng.integers(10**6, 10**7))}",
        study_id=str(int(rng.integers(1, 10000))),
        study_description=description,
    )


def _base_dataset(
    *,
    sop_class_uid: str,
    sop_instance_uid: str,
    study: StudyContext,
    modality: str,
    series_uid: str,
    series_number: int,
    series_description: str,
    instance_number: int,
) -> Dataset:
    """Patient, General Study/Series/Equipment/Image and SOP Common attributes."""
    ds = Dataset()
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID(sop_class_uid)
    meta.MediaStorageSOPInstanceUID = UID(sop_instance_uid)
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta = meta
    ds.SOPClassUID = sop_class_uid
    ds.SOPInstanceUID = sop_instance_uid
    ds.StudyDate = study.study_date
    ds.SeriesDate = study.study_date
    ds.ContentDate = study.study_date
    ds.StudyTime = study.study_time
    ds.SeriesTime = study.study_time
    ds.ContentTime = study.study_time
    ds.AccessionNumber = study.accession_number
    ds.Modality = modality
    ds.Manufacturer = _MANUFACTURER
    ds.InstitutionName = "Synthetic"
    ds.ReferringPhysicianName = ""
    ds.StudyDescription = study.study_description
    ds.SeriesDescription = series_description
    ds.ManufacturerModelName = "Phantom"
    ds.PatientName = study.patient_name
    ds.PatientID = study.patient_id
    ds.PatientBirthDate = study.patient_birth_date
    ds.PatientSex = study.patient_sex
    ds.PatientAge = f"{min(study.patient_age, 999):03d}Y"
    ds.DeviceSerialNumber = "0001"
    ds.SoftwareVersions = "core.synthetic 1"
    ds.StudyInstanceUID = study.study_uid
    ds.SeriesInstanceUID = series_uid
    ds.StudyID = study.study_id
    ds.SeriesNumber = series_number
    ds.InstanceNumber = instance_number
    return ds


def _set_image_pixel(
    ds: Dataset, rows: int, cols: int, bits_stored: int, signed: bool, photometric: str
) -> None:
    """Image Pixel module (PS3.3 C.7.6.3) for one-sample 16-bit images."""
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.Rows = rows
    ds.Columns = cols
    ds.BitsAllocated = 16
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    ds.PixelRepresentation = 1 if signed else 0


def _write_dataset(ds: Dataset, path: Path, pixels: Array, transfer_syntax: UID) -> None:
    """Attach ``pixels`` in ``transfer_syntax`` and write a Part 10 file."""
    if transfer_syntax in _NATIVE_SYNTAXES:
        ds.file_meta.TransferSyntaxUID = transfer_syntax
        ds.add_new(0x7FE00010, "OW", np.ascontiguousarray(pixels).tobytes())
    else:
        # compress() refuses an already compressed data set; the template is reused.
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.compress(
            transfer_syntax,
            np.ascontiguousarray(pixels),
            encoding_plugin=_ENCODER_PLUGINS[transfer_syntax],
            generate_instance_uid=False,
        )
    dcmwrite(path, ds, enforce_file_format=True)


# --------------------------------------------------------------------------- CXR model


@dataclass(frozen=True)
class Lesion:
    """A lesion drawn into a chest radiograph.

    Parameters
    ----------
    label : str
        One of :data:`LESION_LABELS`.
    center : tuple of float
        ``(row, col)`` in the written image's pixels. For Cardiomegaly the centre
        of the heart shadow; for Effusion and Pneumothorax the centroid of what was
        drawn.
    radius : float
        Radius in pixels of the disc that covers the lesion (for Cardiomegaly the
        half-width of the heart shadow).
    """

    label: str
    center: tuple[float, float]
    radius: float

    def __post_init__(self) -> None:
        _check_choice("label", self.label, LESION_LABELS)
        if not isinstance(self.center, tuple | list) or len(self.center) != 2:
            raise TypeError(f"center must be a (row, col) pair, found {self.center!r}")
        object.__setattr__(self, "center", (float(self.center[0]), float(self.center[1])))
        if not float(self.radius) > 0:
            raise UsageError(f"radius must be positive, found {self.radius!r}")
        object.__setattr__(self, "radius", float(self.radius))

    def to_json(self) -> dict[str, Any]:
        """Return ``{"label", "center": [row, col], "radius"}`` rounded to 0.01 px."""
        return {
            "label": self.label,
            "center": [round(self.center[0], 2), round(self.center[1], 2)],
            "radius": round(self.radius, 2),
        }


@dataclass(frozen=True, eq=False)
class CxrPhantom:
    """A rendered chest phantom, before it is stored as DICOM.

    Parameters
    ----------
    image : numpy.ndarray
        float32 ``(rows, cols)`` in [0, 1], as displayed: bright = attenuating
        (the MONOCHROME2 sense).
    lung_mask : numpy.ndarray
        bool, where aerated lung is projected.
    body_mask : numpy.ndarray
        bool, where the body is (the rest is air).
    lesions : tuple of Lesion
        What was drawn, in image pixels.
    view : str
        "PA", "AP" or "LL".
    """

    image: FloatArray
    lung_mask: BoolArray
    body_mask: BoolArray
    lesions: tuple[Lesion, ...]
    view: str


@dataclass(frozen=True)
class _Lung:
    uc: float  # centre, u units
    hw: float  # half-width, u units
    apex_v: float
    base_v: float  # costophrenic angle
    dome: float  # dome height, fraction of (base_v - apex_v)
    s_peak: float  # where the dome is highest, in s
    lateral: int  # +1 if the lateral (or posterior, on LL) wall is toward larger u
    apex_round: float  # t range over which the apex rounds off


@dataclass(frozen=True)
class _Heart:
    uc: float
    vc: float
    a: float  # long semi-axis, in u units (isotropic pixels)
    b: float  # short semi-axis
    angle: float  # radians; the long axis turns toward larger u and v (the apex)

    @property
    def half_width(self) -> float:
        """Horizontal half-extent, u units."""
        return math.hypot(self.a * math.cos(self.angle), self.b * math.sin(self.angle))

    def scaled(self, factor: float, du: float, dv: float) -> _Heart:
        return _Heart(self.uc + du, self.vc + dv, self.a * factor, self.b * factor, self.angle)


@dataclass(frozen=True)
class _ChestAnatomy:
    view: str
    cx: float
    lungs: tuple[_Lung, ...]
    heart: _Heart
    body_front: float  # PA: -half-width; LL: anterior wall u
    body_back: float
    neck_half: float
    shoulder_v: float
    thickness: float
    lung_air: float
    rib_v0: float
    rib_step: float
    clav_v: float
    hila: tuple[tuple[float, float], ...]


def _draw_anatomy(rng: np.random.Generator, view: str) -> _ChestAnatomy:
    def j(mean: float, spread: float) -> float:
        return mean + spread * float(rng.uniform(-1.0, 1.0))

    cx = j(0.0, 0.02)
    if view == "LL":
        apex = j(0.13, 0.015)
        lung = _Lung(
            uc=j(0.06, 0.02),
            hw=j(0.60, 0.03),
            apex_v=apex,
            base_v=j(0.82, 0.02),
            dome=j(0.30, 0.04),
            s_peak=-0.25,
            lateral=1,
            apex_round=0.45,
        )
        heart = _Heart(
            uc=j(-0.24, 0.02), vc=j(0.60, 0.02), a=j(0.27, 0.015), b=j(0.21, 0.01), angle=-0.45
        )
        return _ChestAnatomy(
            view=view,
            cx=cx,
            lungs=(lung,),
            heart=heart,
            body_front=j(-0.72, 0.03),
            body_back=j(0.80, 0.03),
            neck_half=0.30,
            shoulder_v=j(0.10, 0.015),
            thickness=1.45,
            lung_air=1.05,
            rib_v0=apex + 0.03,
            rib_step=j(0.062, 0.004),
            clav_v=j(0.16, 0.01),
            hila=((j(0.05, 0.02), j(0.43, 0.02)),),
        )
    ap = view == "AP"
    apex = j(0.13, 0.015) + (0.01 if ap else 0.0)
    dome_rise = 0.03 if ap else 0.0  # supine AP: less inspiration, higher domes
    right = _Lung(
        uc=cx - j(0.385, 0.015),
        hw=j(0.285, 0.015),
        apex_v=apex,
        base_v=j(0.79, 0.02) - dome_rise,
        dome=j(0.19, 0.03),
        s_peak=0.05,
        lateral=-1,
        apex_round=0.33,
    )
    left = _Lung(
        uc=cx + j(0.39, 0.015),
        hw=j(0.27, 0.015),
        apex_v=apex + j(0.0, 0.01),
        base_v=j(0.81, 0.02) - dome_rise,
        dome=j(0.17, 0.03),
        s_peak=0.05,
        lateral=1,
        apex_round=0.33,
    )
    magnify = 1.12 if ap else 1.0  # AP projection magnifies the heart
    heart = _Heart(
        uc=cx + j(0.075, 0.015),
        vc=j(0.60, 0.015) - dome_rise,
        a=j(0.29, 0.015) * magnify,
        b=j(0.215, 0.01) * magnify,
        angle=j(0.55, 0.08),
    )
    return _ChestAnatomy(
        view=view,
        cx=cx,
        lungs=(right, left),
        heart=heart,
        body_front=-j(0.86, 0.03),
        body_back=0.0,
        neck_half=j(0.20, 0.02),
        shoulder_v=j(0.12, 0.015),
        thickness=1.0,
        lung_air=0.75,
        rib_v0=apex + 0.03,
        rib_step=j(0.062, 0.004),
        clav_v=j(0.165, 0.01) - (0.02 if ap else 0.0),
        hila=((cx - 0.15, j(0.43, 0.015)), (cx + 0.15, j(0.42, 0.015))),
    )


@dataclass(frozen=True, eq=False)
class _LungField:
    s: FloatArray  # >0 toward the lateral wall
    t: FloatArray  # 0 at the apex, 1 at the costophrenic angle
    q: FloatArray  # <1 inside the lung
    q_side: FloatArray  # <1 between the medial and lateral borders
    chord: FloatArray  # aerated thickness profile, 0..1


class _ChestFields:
    """Attenuation components of one chest phantom (arbitrary units)."""

    def __init__(self, anat: _ChestAnatomy, rows: int, cols: int, rng: np.random.Generator):
        self.anat = anat
        self.rows, self.cols = rows, cols
        self.u = ((np.arange(cols, dtype=np.float32) + 0.5) / (cols / 2) - 1.0)[None, :]
        self.v = ((np.arange(rows, dtype=np.float32) + 0.5) / rows)[:, None]
        u, v = self.u, self.v
        self.body = self._body()
        self.lungs = tuple(self._lung(lung) for lung in anat.lungs)
        self.bones = self._bones()
        # Vessel markings: the zero set of a smooth random field forms branching lines.
        field = _smooth_noise(rng, (rows, cols), sigma=max(rows, cols) * 0.009)
        weight = np.zeros((rows, cols), np.float32)
        blobs = np.zeros((rows, cols), np.float32)
        for hu, hv in anat.hila:
            dist = np.sqrt((u - hu) ** 2 + ((v - hv) * 1.6) ** 2)
            weight = np.maximum(weight, np.exp(-dist / 0.25))
            blobs += np.exp(-(dist**2) / (2 * 0.045**2))
        # Vessels taper: thicker and denser toward the hila.
        ridges = np.exp(-((field / (0.07 + 0.2 * weight)) ** 2))
        self.markings = (0.08 * ridges * (0.15 + weight) + 0.06 * blobs).astype(np.float32)
        self.extra = np.zeros((rows, cols), np.float32)
        if anat.view != "LL":  # gastric bubble under the left dome
            left = anat.lungs[1]
            gv = left.base_v - left.dome * (left.base_v - left.apex_v) + 0.075
            gq = ((u - (left.uc + 0.02)) / 0.075) ** 2 + ((v - gv) / 0.035) ** 2
            self.extra -= 0.22 * np.sqrt(np.clip(1.0 - gq, 0.0, 1.0))
        else:  # trachea, an air column running down and back
            axis = -0.02 + 0.12 * v
            tq = ((u - axis) / 0.035) ** 2
            self.extra -= 0.06 * np.sqrt(np.clip(1.0 - tq, 0.0, 1.0)) * (v < 0.42)
        if anat.view != "LL":
            trachea = np.sqrt(np.clip(1.0 - ((u - anat.cx) / 0.03) ** 2, 0.0, 1.0))
            self.extra -= 0.10 * trachea * (1.0 - _smoothstep((v - 0.36) / 0.04))

    def _body(self) -> FloatArray:
        a, u, v = self.anat, self.u, self.v
        ramp = _smoothstep((v - (a.shoulder_v - 0.09)) / 0.16)
        if a.view == "LL":
            front = -a.neck_half + 0.05 + (a.body_front + a.neck_half - 0.05) * ramp
            back = a.neck_half + 0.15 + (a.body_back - a.neck_half - 0.15) * ramp
            mid, half = (front + back) / 2, (back - front) / 2
        else:
            mid = np.full_like(v, a.cx)
            half = a.neck_half + (-a.body_front - a.neck_half) * ramp
            half = half * (1.0 - 0.05 * _smoothstep((v - 0.8) / 0.2))
        chord = np.sqrt(np.clip(1.0 - ((u - mid) / half) ** 2, 0.0, 1.0))
        body = a.thickness * chord
        if a.view != "LL":  # arms beside the chest, rounded over the shoulders
            arm = np.sqrt(np.clip(1.0 - ((np.abs(u - a.cx) - 0.98) / 0.1) ** 2, 0.0, 1.0))
            top = _smoothstep((v - a.shoulder_v + 0.03) / 0.06)
            body = np.maximum(body, 0.7 * arm * top)
        return body.astype(np.float32)

    def _lung(self, lung: _Lung) -> _LungField:
        s = ((self.u - lung.uc) / lung.hw * lung.lateral).astype(np.float32)
        t = ((self.v - lung.apex_v) / (lung.base_v - lung.apex_v)).astype(np.float32)
        x = np.clip(t / lung.apex_round, 0.0, 1.0)
        width = x**0.55 * (0.9 + 0.1 * np.clip(t, 0.0, 1.0))
        width = np.maximum(width, 1e-3)
        bottom = 1.0 - lung.dome * (1.0 - ((s - lung.s_peak) / (1.0 - lung.s_peak)) ** 2)
        bottom = np.maximum(bottom, 0.2)
        q = np.maximum((s / width) ** 2, np.clip(t / bottom, 0.0, None) ** 6)
        q = np.where(t < 0, 4.0, q).astype(np.float32)
        chord = np.sqrt(np.clip(1.0 - q, 0.0, 1.0)) * (0.55 + 0.45 * _smoothstep(t / 0.35))
        q_side = (s / width).astype(np.float32) ** 2
        return _LungField(s=s, t=t, q=q, q_side=q_side, chord=chord.astype(np.float32))

    def _rib_arc(self, v_of_x: Array, x: Array, thick: float, amp: float) -> Array:
        dv = (self.v - v_of_x) / thick
        outer = np.sqrt(np.clip(1.0 - dv * dv, 0.0, 1.0))
        inner = np.sqrt(np.clip(1.0 - (dv / 0.6) ** 2, 0.0, 1.0))
        fade = _smoothstep(x / 0.05) * _smoothstep((1.0 - x) / 0.12)
        arc: Array = amp * (outer - 0.5 * inner) * fade
        return arc

    def _bones(self) -> FloatArray:
        a, u, v = self.anat, self.u, self.v
        bones = np.zeros((self.rows, self.cols), np.float32)
        if a.view == "LL":
            kyph = 0.50 + 0.05 * np.sin(np.pi * v)
            vert = np.clip(1.0 - ((u - kyph) / 0.085) ** 4, 0.0, 1.0)
            phase = (v / 0.056) % 1.0
            disc = np.exp(-(((phase - 0.5) / 0.09) ** 2))
            bones += 0.32 * vert * (1.0 - 0.6 * disc) * (1.1 - 0.45 * v)
            bones += 0.10 * np.clip(1.0 - ((u - kyph - 0.15) / 0.04) ** 2, 0.0, 1.0)
            front = a.body_front + 0.045
            sternum = np.clip(1.0 - ((u - front) / 0.022) ** 2, 0.0, 1.0)
            bones += 0.14 * sternum * ((v > 0.2) & (v < 0.55))
            for i in range(10):  # posterior ribs, seen obliquely
                x = np.clip((0.68 - u) / 1.1, -1.0, 2.0)
                v_rib = a.rib_v0 + i * a.rib_step + 0.22 * x
                bones += self._rib_arc(v_rib, x, 0.012, 0.05)
            return bones * (self.body > 0.02)
        du = np.abs(u - a.cx)
        spine = np.sqrt(np.clip(1.0 - (du / 0.065) ** 2, 0.0, 1.0))
        phase = (v / 0.052) % 1.0
        disc = np.exp(-(((phase - 0.5) / 0.08) ** 2))
        bones += 0.16 * spine * (1.0 - 0.45 * disc)
        x = (du - 0.06) / 0.78
        for i in range(10):
            v0 = a.rib_v0 + i * a.rib_step
            thick = 0.012 + 0.0008 * i
            post = v0 - 0.03 * np.sin(np.pi * np.clip(x * 1.5, 0.0, 1.0)) + 0.2 * x * x
            bones += self._rib_arc(post, x, thick, 0.10)
            xa = np.clip((x - 0.3) / 0.7, -1.0, 1.5)
            ant = v0 + 0.09 + 0.10 * (1.0 - xa)
            bones += self._rib_arc(ant, xa, thick * 1.25, 0.045)
        xc = (du - 0.05) / 0.62
        v_clav = a.clav_v + 0.015 - 0.045 * xc + 0.012 * np.sin(2 * np.pi * xc)
        bones += self._rib_arc(v_clav, xc, 0.017, 0.2)
        for side in (-1.0, 1.0):
            q = ((u - (a.cx + side * 0.97)) / 0.075) ** 2 + ((v - a.shoulder_v - 0.05) / 0.06) ** 2
            bones += 0.25 * np.sqrt(np.clip(1.0 - q, 0.0, 1.0))
        return bones * (self.body > 0.02)

    def heart_term(self, heart: _Heart) -> tuple[FloatArray, FloatArray]:
        """Heart shadow, displaced lung and vessel markings; and the aerated lung."""
        a, u, v = self.anat, self.u, self.v
        du = u - heart.uc
        dv = (v - heart.vc) * (2.0 * self.rows / self.cols)  # isotropic pixels
        cos_a, sin_a = math.cos(heart.angle), math.sin(heart.angle)
        hq = ((du * cos_a + dv * sin_a) / heart.a) ** 2 + ((dv * cos_a - du * sin_a) / heart.b) ** 2
        chord = np.sqrt(np.clip(1.0 - hq, 0.0, 1.0))
        displaced = np.clip((1.0 - hq) / 0.08, 0.0, 1.0)
        if a.view != "LL":  # aortic knob
            kq = ((u - (a.cx + 0.12)) / 0.055) ** 2 + ((v - 0.34) / 0.03) ** 2
            displaced = np.maximum(displaced, np.clip((1.0 - kq) / 0.15, 0.0, 1.0))
            chord = chord + 0.4 * np.sqrt(np.clip(1.0 - kq, 0.0, 1.0))
        aerated = sum(lung.chord for lung in self.lungs) * (1.0 - 0.85 * displaced)
        gate = np.clip(aerated * 2.5, 0.0, 1.0)
        term = 0.07 * chord - a.lung_air * aerated + self.markings * gate
        return term.astype(np.float32), aerated.astype(np.float32)

    def pixel_xy(self, u: float, v: float) -> tuple[float, float]:
        """(row, col) of normalised (u, v)."""
        return v * self.rows - 0.5, (u + 1.0) * self.cols / 2 - 0.5


def _display(attenuation: Array) -> Array:
    """Detector log signal to display brightness in [0, 1]; a fixed curve, so
    that a lesion changes pixels only where it is."""
    k = 1.0
    return (1.0 - np.exp(-k * np.clip(attenuation, 0.0, None))) / (1.0 - math.exp(-k * 2.0))


def _disc_grid(rows: int, cols: int, center: tuple[float, float]) -> tuple[Array, Array]:
    r = np.arange(rows, dtype=np.float32)[:, None] - center[0]
    c = np.arange(cols, dtype=np.float32)[None, :] - center[1]
    return np.sqrt(r * r + c * c), np.arctan2(r, c)


def _measure(delta: Array, label: str) -> Lesion:
    """Centroid and radius of gyration (scaled to a disc) of a drawn lesion."""
    mag = np.abs(delta)
    mask = mag > 0.15 * float(mag.max())
    rows, cols = np.nonzero(mask)
    w = mag[rows, cols].astype(np.float64)
    r0 = float(np.average(rows, weights=w))
    c0 = float(np.average(cols, weights=w))
    spread = float(np.average((rows - r0) ** 2 + (cols - c0) ** 2, weights=w))
    return Lesion(label, (round(r0, 2), round(c0, 2)), round(max(math.sqrt(2 * spread), 1.0), 2))


def _sample_in_lung(
    rng: np.random.Generator, fields: _ChestFields, aerated: Array, margin: float, lung: int | None
) -> tuple[float, float]:
    """A pixel well inside the aerated lung (of one lung when ``lung`` is given)."""
    ok = aerated > margin
    if lung is not None:
        ok &= fields.lungs[lung].q < 0.55
    ok &= fields.bones < 0.2  # keep off the spine and clavicles
    candidates = np.flatnonzero(ok)
    if candidates.size == 0:
        candidates = np.flatnonzero(aerated > 0.3 * float(aerated.max()))
    index = int(candidates[int(rng.integers(candidates.size))])
    return float(index // fields.cols), float(index % fields.cols)


def _nearest_lung(fields: _ChestFields, col: float) -> int:
    u = (col + 0.5) / (fields.cols / 2) - 1.0
    return int(np.argmin([abs(u - lung.uc) for lung in fields.anat.lungs]))


def _draw_nodule_or_mass(
    rng: np.random.Generator, fields: _ChestFields, lesion: Lesion
) -> FloatArray:
    dist, angle = _disc_grid(fields.rows, fields.cols, lesion.center)
    if lesion.label == "Mass":
        phase = rng.uniform(0, 2 * np.pi, size=2)
        lobes = 1.0 + 0.12 * np.sin(3 * angle + phase[0]) + 0.07 * np.sin(5 * angle + phase[1])
        dist = dist / lobes
        amp = float(rng.uniform(0.13, 0.26))
    else:
        amp = float(rng.uniform(0.07, 0.16))
    profile = np.clip(1.0 - (dist / lesion.radius) ** 2, 0.0, 1.0) ** 0.6
    return (amp * profile).astype(np.float32)


def _draw_consolidation(
    rng: np.random.Generator, fields: _ChestFields, lesion: Lesion, aerated: Array
) -> FloatArray:
    dist, _ = _disc_grid(fields.rows, fields.cols, lesion.center)
    patch = _smooth_noise(rng, (fields.rows, fields.cols), sigma=max(lesion.radius / 3.0, 1.5))
    patchy = np.clip(0.75 + 0.3 * patch, 0.3, 1.0)
    edge = _smoothstep((1.0 - dist / lesion.radius) / 0.5)
    frac = float(rng.uniform(0.35, 0.7))
    # Consolidation replaces alveolar air, so it shows only where lung is.
    air = np.maximum(aerated, 0.25 * np.clip(aerated * 4, 0.0, 1.0))
    delta: Array = frac * fields.anat.lung_air * air * edge * patchy
    return delta.astype(np.float32)


def _draw_effusion(
    rng: np.random.Generator, fields: _ChestFields, lung_index: int, depth: float, aerated: Array
) -> FloatArray:
    lung = fields.lungs[lung_index]
    level = 1.0 - depth
    meniscus = float(rng.uniform(0.10, 0.20))
    top = level - meniscus * ((np.clip(lung.s, -1.0, 1.0) + 1.0) / 2.0) ** 2
    # Fluid layers in the costophrenic recess and climbs the lateral wall (meniscus).
    fluid = _smoothstep((lung.t - top) / 0.05) * _smoothstep((1.08 - lung.q_side) / 0.08)
    fluid = fluid * _smoothstep((1.04 - lung.t) / 0.04)
    delta = fluid * (fields.anat.lung_air * aerated + 0.1 * np.clip(aerated * 5.0, 0.0, 1.0))
    return delta.astype(np.float32)


def _draw_pneumothorax(
    rng: np.random.Generator, fields: _ChestFields, lung_index: int, width: float, aerated: Array
) -> FloatArray:
    lung = fields.lungs[lung_index]
    q_in = (1.0 - width) ** 2
    t_max = float(rng.uniform(0.45, 0.7))
    zone = _smoothstep((lung.q - q_in) / 0.04) * (lung.q < 1.0)
    zone = zone * _smoothstep((t_max - lung.t) / 0.06) * _smoothstep((lung.s + 0.25) / 0.15)
    line_gate = _smoothstep((t_max - lung.t) / 0.06) * _smoothstep((lung.s + 0.25) / 0.15)
    pleural_line = np.exp(-(((lung.q - q_in) / 0.015) ** 2)) * line_gate * (lung.t > 0)
    lucency = float(rng.uniform(0.12, 0.2))
    gate = np.clip(aerated * 2.5, 0.0, 1.0)
    delta: Array = -zone * (lucency + fields.markings * gate) + 0.05 * pleural_line
    return delta.astype(np.float32)


_LesionPlan = tuple[str, tuple[float, float], float, int]  # label, center, size, lung


def _plan_random_lesions(
    rng: np.random.Generator, fields: _ChestFields, aerated: Array
) -> list[_LesionPlan]:
    count = int(rng.choice(3, p=[0.35, 0.45, 0.20]))
    labels = [str(x) for x in rng.choice(LESION_LABELS, size=count, replace=False)]
    side = max(fields.rows, fields.cols)
    plans: list[_LesionPlan] = []
    for label in labels:
        lung = int(rng.integers(len(fields.lungs)))
        if label == "Nodule":
            radius = side * float(rng.uniform(0.012, 0.026))
            center = _sample_in_lung(rng, fields, aerated, 0.55, lung)
        elif label == "Mass":
            radius = side * float(rng.uniform(0.045, 0.085))
            center = _sample_in_lung(rng, fields, aerated, 0.65, lung)
        elif label == "Consolidation":
            radius = side * float(rng.uniform(0.06, 0.11))
            center = _sample_in_lung(rng, fields, aerated, 0.6, lung)
        else:
            center, radius = (0.0, 0.0), float(rng.uniform(0.0, 1.0))
        plans.append((label, center, radius, lung))
    return plans


def make_cxr_pixels(
    rng: np.random.Generator,
    size: int | tuple[int, int] = 512,
    view: str = "PA",
    lesions: Sequence[Lesion] | Literal["random"] | None = None,
    *,
    noise: float = 1.0,
) -> CxrPhantom:
    """Render an anatomically plausible chest radiograph phantom.

    The phantom is built in attenuation units and passed through a fixed detector
    curve: body envelope with shoulders, two lungs (one superimposed field on a
    lateral) with vessel markings denser at the hila, rib arcs, clavicles, spine,
    heart and mediastinum, diaphragm domes with costophrenic angles, and a gastric
    bubble. Exposure (gamma, gain) varies mildly and quantum-like noise is added.

    ``rng`` is split into independent streams for anatomy, texture, lesions and
    noise, so the same generator state with and without lesions gives the same
    image except where the lesions are.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of every random choice.
    size : int or (int, int), optional
        Square side or ``(rows, cols)``, 32..8192.
    view : {"PA", "AP", "LL"}, optional
        Projection; "LL" (left lateral) is shown facing left (anterior to the left).
    lesions : sequence of Lesion, "random" or None, optional
        Lesions to draw, or "random" for 0–2 lesions of distinct kinds placed in the
        lungs with random size and contrast. For Effusion and Pneumothorax the side
        is taken from the centre's column and the extent from the radius, and the
        returned lesion is the measured extent of what was drawn; for Cardiomegaly
        the heart is drawn with the given centre and half-width.
    noise : float, optional
        Noise scale (0 for none).

    Returns
    -------
    CxrPhantom
        The image in [0, 1] (bright = attenuating), masks and the lesions as drawn.
    """
    _check_rng(rng)
    rows, cols = _check_size(size)
    _check_choice("view", view, CXR_VIEWS)
    if not isinstance(noise, int | float) or noise < 0:
        raise UsageError(f"noise must be a number >= 0, found {noise!r}")
    if (
        lesions is not None
        and lesions != "random"
        and not all(isinstance(x, Lesion) for x in lesions)
    ):
        raise TypeError(f"lesions must be None, 'random' or Lesion objects, found {lesions!r}")
    seeds = rng.integers(0, 2**63, size=4)
    anatomy_rng, texture_rng, lesion_rng, noise_rng = (np.random.default_rng(s) for s in seeds)
    anat = _draw_anatomy(anatomy_rng, view)
    fields = _ChestFields(anat, rows, cols, texture_rng)
    heart = anat.heart
    base_term, aerated = fields.heart_term(heart)

    if lesions == "random":
        plans = _plan_random_lesions(lesion_rng, fields, aerated)
    else:
        plans = []
        for lesion in lesions or ():
            lung = _nearest_lung(fields, lesion.center[1])
            plans.append((lesion.label, lesion.center, lesion.radius, lung))

    attenuation = fields.body + fields.bones + fields.extra + base_term
    drawn: list[Lesion] = []
    for label, center, extent, lung in sorted(plans, key=lambda p: p[0] != "Cardiomegaly"):
        if label == "Cardiomegaly":
            if lesions == "random":
                scale = float(lesion_rng.uniform(1.22, 1.45))
                shift = 0.05 * (scale - 1.0) * (1.0 if view != "LL" else -1.0)
                heart = heart.scaled(scale, shift, 0.02 * (scale - 1.0))
            else:
                u = (center[1] + 0.5) / (cols / 2) - 1.0
                v = (center[0] + 0.5) / rows
                factor = extent / (cols / 2) / heart.half_width
                heart = heart.scaled(factor, u - heart.uc, v - heart.vc)
            term, aerated = fields.heart_term(heart)
            attenuation = attenuation - base_term + term
            row, col = fields.pixel_xy(heart.uc, heart.vc)
            radius = round(heart.half_width * cols / 2, 2)
            drawn.append(Lesion(label, (round(row, 2), round(col, 2)), radius))
            continue
        if label in ("Nodule", "Mass"):
            lesion = Lesion(label, center, extent)
            delta = _draw_nodule_or_mass(lesion_rng, fields, lesion)
        elif label == "Consolidation":
            lesion = Lesion(label, center, extent)
            delta = _draw_consolidation(lesion_rng, fields, lesion, aerated)
        else:
            if lesions == "random":
                amount = extent
            else:  # a requested radius, as a fraction of the lung height
                lung_px = (anat.lungs[lung].base_v - anat.lungs[lung].apex_v) * rows
                amount = float(np.clip(2 * extent / lung_px, 0.0, 1.0))
            if label == "Effusion":
                delta = _draw_effusion(lesion_rng, fields, lung, 0.1 + 0.22 * amount, aerated)
            else:
                width = 0.18 + 0.17 * amount
                delta = _draw_pneumothorax(lesion_rng, fields, lung, width, aerated)
            lesion = _measure(delta, label)
        attenuation = attenuation + delta
        drawn.append(lesion)

    gamma = float(noise_rng.uniform(0.85, 1.15))
    gain = float(noise_rng.uniform(0.93, 1.04))
    offset = float(noise_rng.uniform(-0.015, 0.03))
    white = noise_rng.standard_normal((rows, cols), dtype=np.float32)
    mottle = _smooth_noise(noise_rng, (rows, cols), sigma=1.2)
    shown = gain * _display(attenuation) ** gamma + offset
    sigma = noise * (0.006 + 0.012 * np.sqrt(np.clip(shown, 0.0, 1.0)))
    image = np.clip(shown + sigma * white + noise * 0.004 * mottle, 0.0, 1.0).astype(np.float32)
    order = {label: i for i, label in enumerate(LESION_LABELS)}
    return CxrPhantom(
        image=image,
        lung_mask=np.asarray(aerated > 0.08),
        body_mask=np.asarray(fields.body > 0.02),
        lesions=tuple(sorted(drawn, key=lambda x: order[x.label])),
        view=view,
    )


# --------------------------------------------------------------------------- CXR writer


@dataclass(frozen=True)
class CxrTruth:
    """Ground truth of one written chest radiograph.

    Parameters
    ----------
    view, modality, photometric : str
        View Position, Modality ("CR"/"DX") and Photometric Interpretation.
    bits_stored, rows, columns : int
        As written.
    lesions : tuple of Lesion
        Lesions in the written image's pixels.
    patient_age : int
        Years.
    patient_sex : str
        "F" or "M".
    imager_pixel_spacing : float
        Detector pixel spacing in mm (square pixels).
    magnification : float or None
        Estimated Radiographic Magnification Factor (DX only).
    sop_instance_uid, series_uid, study_uid, transfer_syntax : str
        Identifiers of the written object.
    """

    view: str
    modality: str
    photometric: str
    bits_stored: int
    rows: int
    columns: int
    lesions: tuple[Lesion, ...]
    patient_age: int
    patient_sex: str
    imager_pixel_spacing: float
    magnification: float | None
    sop_instance_uid: str
    series_uid: str
    study_uid: str
    transfer_syntax: str

    @property
    def labels(self) -> tuple[str, ...]:
        """Distinct lesion labels, in :data:`LESION_LABELS` order."""
        present = {lesion.label for lesion in self.lesions}
        return tuple(label for label in LESION_LABELS if label in present)

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-ready dict (``kind`` is "cxr")."""
        return {
            "kind": "cxr",
            "view": self.view,
            "modality": self.modality,
            "photometric": self.photometric,
            "bits_stored": self.bits_stored,
            "rows": self.rows,
            "columns": self.columns,
            "labels": list(self.labels),
            "lesions": [lesion.to_json() for lesion in self.lesions],
            "patient_age": self.patient_age,
            "patient_sex": self.patient_sex,
            "imager_pixel_spacing": self.imager_pixel_spacing,
            "magnification": self.magnification,
            "sop_instance_uid": self.sop_instance_uid,
            "series_uid": self.series_uid,
            "study_uid": self.study_uid,
            "transfer_syntax": self.transfer_syntax,
        }


_CXR_GEOMETRY: Final[Mapping[str, tuple[float, float, tuple[str, str]]]] = {
    # view: (source-detector mm, source-patient mm, Patient Orientation)
    "PA": (1800.0, 1650.0, ("L", "F")),
    "AP": (1000.0, 800.0, ("L", "F")),
    "LL": (1800.0, 1550.0, ("P", "F")),
}


def write_cxr(
    path: PathLike,
    rng: np.random.Generator,
    *,
    modality: str = "DX",
    view: str = "PA",
    monochrome: int = 2,
    bits_stored: int = 12,
    size: int | tuple[int, int] = 512,
    lesions: Sequence[Lesion] | Literal["random"] | None = None,
    transfer_syntax: str | None = None,
    study: StudyContext | None = None,
    series_uid: str | None = None,
    series_number: int = 1,
    instance_number: int = 1,
    rescale_intercept: int = 0,
    noise: float = 1.0,
) -> CxrTruth:
    """Write a chest radiograph phantom as CR or DX (For Presentation).

    DX follows the DX Image and Detector modules (PS3.3 C.8.11.3, C.8.11.4):
    Rescale 1/0 "US", Presentation LUT Shape IDENTITY for MONOCHROME2 and INVERSE
    for MONOCHROME1 (C.8.11.3.1.2), Imager Pixel Spacing and Estimated Radiographic
    Magnification Factor (C.8.11.7), no calibrated Pixel Spacing. CR (C.8.1.2)
    carries Imager Pixel Spacing and an equal (uncalibrated) Pixel Spacing, and a
    Modality LUT rescale whose intercept may be set. MONOCHROME1 stores inverted
    values with matching windows, so the displayed image equals the MONOCHROME2 one.

    Parameters
    ----------
    path : str or Path
        File to write (parent folders are created).
    rng : numpy.random.Generator
        Source of every value; the same state writes the same bytes.
    modality : {"CR", "DX"}, optional
    view : {"PA", "AP", "LL"}, optional
    monochrome : {1, 2}, optional
        Photometric Interpretation MONOCHROME1 or MONOCHROME2.
    bits_stored : int, optional
        12..16; values span most of ``0 .. 2**bits_stored - 1``.
    size : int or (int, int), optional
        Square side or ``(rows, cols)``.
    lesions : sequence of Lesion, "random" or None, optional
        See :func:`make_cxr_pixels`.
    transfer_syntax : str, optional
        One of :func:`list_transfer_syntaxes` (default Explicit VR Little Endian).
    study : StudyContext, optional
        Patient and study to write into (drawn from ``rng`` when None).
    series_uid : str, optional
        Series Instance UID (drawn when None).
    series_number, instance_number : int, optional
    rescale_intercept : int, optional
        CR only: Rescale Intercept (slope 1); windows are shifted to match.
    noise : float, optional
        Noise scale (0 for none).

    Returns
    -------
    CxrTruth
    """
    _check_rng(rng)
    _check_choice("modality", modality, ("CR", "DX"))
    _check_choice("view", view, CXR_VIEWS)
    _check_choice("monochrome", monochrome, (1, 2))
    _check_int("bits_stored", bits_stored, 12, 16)
    rows, cols = _check_size(size)
    ts = _check_transfer_syntax(transfer_syntax)
    _check_int("series_number", series_number, 0)
    _check_int("instance_number", instance_number, 1)
    intercept = _check_int("rescale_intercept", rescale_intercept, -(2**15))
    if modality == "DX" and intercept != 0:
        raise UsageError(f"DX requires Rescale Intercept 0 (PS3.3 C.8.11.3), found {intercept}")
    path = Path(path)

    study = study if study is not None else make_study_context(rng)
    token = rng.bytes(16).hex()
    phantom = make_cxr_pixels(rng, (rows, cols), view, lesions, noise=noise)

    top = (1 << bits_stored) - 1
    low, high = round(0.02 * top), round(0.98 * top)
    mono2 = np.rint(low + phantom.image * (high - low)).astype(np.uint16)
    body = mono2[phantom.body_mask & (phantom.image > 0.1)]
    p1, p99 = (float(x) for x in np.percentile(body if body.size else mono2, [1.0, 99.0]))
    centers = [round((p1 + p99) / 2), round((low + high) / 2)]
    widths = [max(round(p99 - p1), 2), high - low + 1]
    if monochrome == 1:
        stored = (top - mono2).astype(np.uint16)
        # Inverting stored values and centres keeps the displayed image (PS3.3 C.11.2.1.2).
        centers = [top + intercept - c + 1 for c in centers]
        photometric = "MONOCHROME1"
    else:
        stored = mono2
        centers = [c + intercept for c in centers]
        photometric = "MONOCHROME2"

    sid, sod, orientation = _CXR_GEOMETRY[view]
    spacing = round(430.0 / max(rows, cols), 4)
    sop_class = CR_IMAGE_STORAGE if modality == "CR" else DX_IMAGE_STORAGE_FOR_PRESENTATION
    sop_uid = _uid(token, "sop")
    series = series_uid if series_uid is not None else _uid(token, "series")
    ds = _base_dataset(
        sop_class_uid=sop_class,
        sop_instance_uid=sop_uid,
        study=study,
        modality=modality,
        series_uid=series,
        series_number=series_number,
        series_description=f"CHEST {view}",
        instance_number=instance_number,
    )
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.BodyPartExamined = "CHEST"
    ds.ViewPosition = view
    ds.PatientOrientation = list(orientation)
    ds.ImageLaterality = "U"
    ds.KVP = _ds(120.0 if view == "LL" else 110.0 if view == "PA" else 90.0)
    ds.DistanceSourceToDetector = _ds(sid)
    ds.ExposureTime = int(rng.integers(5, 40))
    ds.XRayTubeCurrent = int(rng.integers(100, 400))
    ds.ImagerPixelSpacing = [_ds(spacing), _ds(spacing)]
    _set_image_pixel(ds, rows, cols, bits_stored, False, photometric)
    ds.BurnedInAnnotation = "NO"
    ds.LossyImageCompression = "00"
    ds.RescaleIntercept = _ds(intercept)
    ds.RescaleSlope = "1"
    ds.RescaleType = "US"
    ds.WindowCenter = [_ds(c) for c in centers]
    ds.WindowWidth = [_ds(w) for w in widths]
    ds.WindowCenterWidthExplanation = ["CHEST", "FULL RANGE"]
    magnification: float | None = None
    if modality == "DX":
        magnification = round(sid / sod, 4)
        ds.PresentationIntentType = "FOR PRESENTATION"
        ds.PixelIntensityRelationship = "LOG"
        # +1: higher values mean more X-ray intensity (PS3.3 C.8.11.3.1.2).
        ds.PixelIntensityRelationshipSign = 1 if monochrome == 1 else -1
        ds.PresentationLUTShape = "INVERSE" if monochrome == 1 else "IDENTITY"
        ds.DetectorType = "SCINTILLATOR"
        ds.DistanceSourceToPatient = _ds(sod)
        ds.EstimatedRadiographicMagnificationFactor = _ds(magnification)
        ds.AnatomicRegionSequence = DicomSequence([_code_item(_CHEST_CODE)])
        ds.AcquisitionContextSequence = DicomSequence([])
    else:
        ds.PixelSpacing = [_ds(spacing), _ds(spacing)]
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_dataset(ds, path, stored, ts)
    logger.debug("wrote synthetic %s %s radiograph %s", modality, view, path.name)
    return CxrTruth(
        view=view,
        modality=modality,
        photometric=photometric,
        bits_stored=bits_stored,
        rows=rows,
        columns=cols,
        lesions=phantom.lesions,
        patient_age=study.patient_age,
        patient_sex=study.patient_sex,
        imager_pixel_spacing=spacing,
        magnification=magnification,
        sop_instance_uid=sop_uid,
        series_uid=series,
        study_uid=study.study_uid,
        transfer_syntax=str(ts),
    )


# --------------------------------------------------------------------------- CT model


class _CtPhantom:
    """An axial body phantom in HU, evaluated slice by slice.

    Anatomy lives in patient millimetres: x to the patient's left, y posterior, and
    ``d`` the depth in mm below the lung apices. Fixed-shape structures are
    precomputed as normalised ellipse fields, so a slice costs a few comparisons.
    """

    TEXTURE_PERIOD_MM: Final = 14.0

    def __init__(
        self,
        rng: np.random.Generator,
        rows: int,
        cols: int,
        pixel_spacing: float,
        x_mm: Array,
        y_mm: Array,
    ) -> None:
        def j(mean: float, spread: float) -> float:
            return mean + spread * float(rng.uniform(-1.0, 1.0))

        f32 = np.float32
        self.rows, self.cols, self.ps = rows, cols, pixel_spacing
        x = x_mm.astype(f32)[None, :]
        y = y_mm.astype(f32)[:, None]
        self.x, self.y = x, y
        a, b = j(165.0, 12.0), j(112.0, 8.0)
        fat = j(14.0, 5.0)
        self.sternum_y = -(b - fat) + 8.0
        self.e_body = (x / a) ** 2 + (y / b) ** 2
        self.e_muscle = (x / (a - fat)) ** 2 + (y / (b - fat)) ** 2
        self.e_wall = (x / (a - fat - 14)) ** 2 + (y / (b - fat - 14)) ** 2
        self.lungs = []
        for side in (-1.0, 1.0):
            cxl, cyl = side * j(72.0, 4.0), j(-4.0, 3.0)
            al, bl = j(58.0, 4.0), j(82.0, 5.0)
            e = ((x - cxl) / al) ** 2 + ((y - cyl) / bl) ** 2
            # Diaphragm: depth below which there is no lung, a dome over each side.
            dome_top = j(205.0, 10.0) - (8.0 if side < 0 else 0.0)
            r2 = ((x - cxl) / (al * 1.3)) ** 2 + ((y - cyl) / (bl * 1.3)) ** 2
            dome = (dome_top + 55.0 * np.minimum(r2, 1.0)).astype(f32)
            self.lungs.append((e.astype(f32), dome))
        self.dome_right = self.lungs[0][1]
        self.dome_left = self.lungs[1][1]
        self.e_heart = ((x - j(22.0, 4.0)) / 58.0) ** 2 + ((y - j(-30.0, 4.0)) / 48.0) ** 2
        self.e_media = (x / 30.0) ** 2 + ((y + 20.0) / 70.0) ** 2
        self.e_liver = ((x + 55.0) / 95.0) ** 2 + ((y - 5.0) / 85.0) ** 2
        self.e_spleen = ((x - 80.0) / 35.0) ** 2 + ((y - 40.0) / 45.0) ** 2
        self.e_stomach = ((x - 45.0) / 50.0) ** 2 + ((y + 25.0) / 40.0) ** 2
        self.spine_y = j(58.0, 4.0)
        self.heart_mid = j(175.0, 8.0)
        self.carina = j(105.0, 6.0)
        self.rib_period = j(26.0, 2.0)
        self.rib_phase = float(rng.uniform(0, 1))
        self.disc_phase = float(rng.uniform(0, 28))

        # Table: a carbon-fibre shell with a foam core, below the back.
        base = np.full((rows, cols), -1000.0, f32)
        table_top = b + j(25.0, 8.0)
        curve = table_top + 0.0009 * x * x
        shell = (np.abs(y - curve) < 2.5) | (np.abs(y - curve - 14.0) < 2.5)
        core = (y > curve) & (y < curve + 14.0)
        width = np.abs(x) < 230.0
        base[(core & width)] = -850.0
        base[(shell & width)] = 250.0
        self.base = base

        # Ribs: a band inside the chest wall, split into bones by a helical pattern.
        e_band = (x / (a - fat - 7)) ** 2 + (y / (b - fat - 7)) ** 2
        band = np.abs(np.sqrt(e_band) - 1.0) < 5.0 / (b - fat)
        angle = np.arctan2(y, x) + np.zeros_like(x)
        band &= np.abs(angle + np.pi / 2) > 0.30  # costal cartilage gap in front
        band &= np.abs(angle - np.pi / 2) > 0.25  # the spine handles the back
        self.rib_index = np.flatnonzero(band)
        self.rib_angle = angle.ravel()[self.rib_index].astype(f32)
        self.rib_y = np.broadcast_to(y, (rows, cols)).ravel()[self.rib_index].astype(f32)

        # Lung parenchyma: a small bank of vessel textures blended along z.
        self.textures = []
        for _ in range(6):
            field = _smooth_noise(rng, (rows, cols), sigma=2.2 / pixel_spacing)
            vessels = np.clip((field - 1.7) / 0.5, 0.0, 1.0)
            self.textures.append((-870.0 + 860.0 * vessels + 12.0 * field).astype(f32))
        self.noise = [
            np.rint(rng.normal(0.0, j(11.0, 3.0), (rows, cols))).astype(np.int16) for _ in range(4)
        ]

    def _disc(self, hu: Array, cx: float, cy: float, rx: float, ry: float, value: float) -> None:
        """Paint a small ellipse (mm) inside its bounding box only."""
        c0 = np.searchsorted(self.x[0], cx - rx)
        c1 = np.searchsorted(self.x[0], cx + rx)
        r0 = np.searchsorted(self.y[:, 0], cy - ry)
        r1 = np.searchsorted(self.y[:, 0], cy + ry)
        if c1 <= c0 or r1 <= r0:
            return
        sub = hu[r0:r1, c0:c1]
        q = ((self.x[:, c0:c1] - cx) / rx) ** 2 + ((self.y[r0:r1] - cy) / ry) ** 2
        sub[q <= 1.0] = value

    def slice_hu(self, d: Array, rng: np.random.Generator) -> npt.NDArray[np.int16]:
        """HU of one slice; ``d`` is the depth (mm) of each row, shape (rows, 1)."""
        hu = self.base.copy()
        dc = float(d[self.rows // 2, 0])
        scale = (1.0 + 0.04 * np.sin(d / 90.0)) ** 2
        hu[self.e_body <= scale] = -95.0
        hu[self.e_muscle <= scale] = 45.0
        thorax = dc < 250.0
        lung_any = np.zeros(hu.shape, bool)
        if dc > -30.0:
            grow = np.clip((d + 25.0) / 80.0, 0.0, 1.0)
            for e, dome in self.lungs:
                lung_any |= (e <= grow) & (dome > d)
        abdomen = self.e_wall <= scale
        if dc > 180.0:
            liver = (self.e_liver <= 1.0) & (self.dome_right <= d) & abdomen & ~lung_any
            hu[liver] = 60.0
            hu[(self.e_spleen <= 1.0) & (self.dome_left <= d) & abdomen & ~lung_any] = 48.0
            stomach = (self.e_stomach <= 1.0) & (self.dome_left + 10.0 <= d) & abdomen
            hu[stomach & ~lung_any] = 22.0
        if lung_any.any():
            pos = dc / self.TEXTURE_PERIOD_MM
            k, w = math.floor(pos), pos - math.floor(pos)
            t0 = self.textures[k % len(self.textures)]
            t1 = self.textures[(k + 1) % len(self.textures)]
            hu[lung_any] = t0[lung_any] * (1.0 - w) + t1[lung_any] * w
        if 60.0 < dc < 245.0:
            size = math.sin(math.pi * np.clip((dc - self.heart_mid + 65.0) / 130.0, 0.0, 1.0))
            if size > 0:
                heart = self.e_heart <= size**2
                hu[heart] = 40.0
                ring = heart & (self.e_heart >= (size * 0.75) ** 2)
                hu[ring] = 55.0  # myocardium
        if thorax:
            hu[(self.e_media <= 1.0) & ~lung_any & (self.e_heart > 1.0)] = 25.0
            self._disc(hu, 25.0, 38.0, 12.0, 12.0, 45.0)  # descending aorta
            if dc < self.carina:
                self._disc(hu, 0.0, -25.0, 9.0, 8.0, -1000.0)
            elif dc < self.carina + 40:
                spread = 8.0 + 0.6 * (dc - self.carina)
                self._disc(hu, -spread, -18.0, 6.0, 6.0, -1000.0)
                self._disc(hu, spread, -18.0, 6.0, 6.0, -1000.0)
            if 60.0 < dc < 130.0:
                self._disc(hu, 8.0, -45.0, 14.0, 14.0, 45.0)  # ascending aorta
            if 40.0 < dc < 210.0:
                self._disc(hu, 0.0, self.sternum_y, 14.0, 5.0, 450.0)  # sternum
        # Spine: vertebral body with cortex, discs, canal and posterior elements.
        in_disc = ((dc + self.disc_phase) % 28.0) < 6.0
        sy = self.spine_y
        self._disc(hu, 0.0, sy, 20.0, 17.0, 700.0)
        self._disc(hu, 0.0, sy, 16.5, 13.5, 90.0 if in_disc else 230.0)
        self._disc(hu, 0.0, sy + 30.0, 14.0, 12.0, 700.0)
        self._disc(hu, 0.0, sy + 27.0, 7.5, 7.0, 15.0)
        self._disc(hu, 0.0, sy + 50.0, 5.0, 14.0, 700.0)
        if -20.0 < dc < 270.0:
            dd = d.ravel()[self.rib_index // self.cols]
            phase = dd / self.rib_period + self.rib_phase + self.rib_angle * 1.6
            is_rib = np.cos(2 * np.pi * phase) > 0.72
            hu.ravel()[self.rib_index[is_rib]] = 650.0
        hu += self.noise[int(rng.integers(len(self.noise)))][:, :: -1 if rng.random() < 0.5 else 1]
        return np.clip(hu, -1023.0, 3071.0).astype(np.int16)


# --------------------------------------------------------------------------- series


@dataclass(frozen=True)
class SliceTruth:
    """Ground truth of one slice of a written CT or MR series.

    Parameters
    ----------
    modality : str
        "CT" or "MR".
    study_uid, series_uid, sop_instance_uid : str
    slice_index : int
        Position along the slice normal (row × column direction), 0 = smallest.
    slice_count : int
        Slices in the series.
    instance_number : int
        As written (deliberately not always in geometric order).
    position : tuple of float
        Image Position (Patient), mm.
    orientation : tuple of float
        Image Orientation (Patient), six direction cosines.
    transfer_syntax : str
    """

    modality: str
    study_uid: str
    series_uid: str
    sop_instance_uid: str
    slice_index: int
    slice_count: int
    instance_number: int
    position: tuple[float, float, float]
    orientation: tuple[float, ...]
    transfer_syntax: str

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-ready dict (``kind`` is the lower-case modality)."""
        return {
            "kind": self.modality.lower(),
            "modality": self.modality,
            "study_uid": self.study_uid,
            "series_uid": self.series_uid,
            "sop_instance_uid": self.sop_instance_uid,
            "slice_index": self.slice_index,
            "slice_count": self.slice_count,
            "instance_number": self.instance_number,
            "position": [round(p, 4) for p in self.position],
            "z": round(self.position[2], 4),
            "orientation": [round(o, 6) for o in self.orientation],
            "transfer_syntax": self.transfer_syntax,
        }


def _instance_numbers(rng: np.random.Generator, n: int, order: str | None) -> tuple[str, Array]:
    if order is None:
        order = str(rng.choice(["acquisition", "reversed", "shuffled"], p=[0.45, 0.15, 0.4]))
    _check_choice("instance_order", order, ("acquisition", "reversed", "shuffled"))
    if order == "acquisition":
        return order, np.arange(1, n + 1)
    if order == "reversed":
        return order, np.arange(n, 0, -1)
    return order, rng.permutation(n) + 1


def _file_names(rng: np.random.Generator, numbers: Array, shuffled: bool) -> list[str]:
    if not shuffled:
        return [f"{int(k):04d}.dcm" for k in numbers]
    suffix = ".dcm" if rng.random() < 0.5 else ""  # real exports often have none
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < len(numbers):
        name = rng.bytes(4).hex().upper() + suffix
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def _write_ct_series(
    out_dir: PathLike,
    rng: np.random.Generator,
    *,
    slices: int,
    size: int,
    slice_thickness: float = 5.0,
    spacing: float | None = None,
    pixel_spacing: float | None = None,
    tilt: float = 0.0,
    shuffled_names: bool = False,
    instance_order: str | None = "acquisition",
    pixel_representation: int | None = 0,
    bits_stored: int | None = 12,
    padding: bool | None = False,
    transfer_syntax: str | None = None,
    study: StudyContext | None = None,
    series_number: int = 1,
) -> list[tuple[Path, SliceTruth]]:
    _check_rng(rng)
    n = _check_int("slices", slices, 1, 4096)
    size = _check_int("size", size, 32, 2048)
    if not slice_thickness > 0:
        raise UsageError(f"slice_thickness must be positive, found {slice_thickness!r}")
    step = float(slice_thickness if spacing is None else spacing)
    if not step > 0:
        raise UsageError(f"spacing must be positive, found {spacing!r}")
    if not -30.0 <= tilt <= 30.0:
        raise UsageError(f"tilt must be -30..30 degrees, found {tilt!r}")
    ts = _check_transfer_syntax(transfer_syntax)
    out = Path(out_dir)

    study = study if study is not None else make_study_context(rng)
    token = rng.bytes(16).hex()
    signed = bool(rng.integers(2)) if pixel_representation is None else pixel_representation == 1
    _check_choice("pixel_representation", pixel_representation, (None, 0, 1))
    bits = int(rng.choice([12, 16])) if bits_stored is None else bits_stored
    _check_choice("bits_stored", bits, (12, 16))
    pad = bool(rng.random() < 0.5) if padding is None else bool(padding)
    ps = (
        float(pixel_spacing)
        if pixel_spacing is not None
        else round(float(rng.uniform(340.0, 420.0)) / size, 6)
    )
    order, numbers = _instance_numbers(rng, n, instance_order)
    names = _file_names(rng, numbers, shuffled_names)
    head_first = bool(rng.random() < 0.7)  # acquisition runs toward the feet (z falls)

    # Reconstruction centre (patient mm) and the body's offset from it.
    fx, fy = float(rng.uniform(-8, 8)), float(rng.uniform(-40, 10))
    bx, by = fx + float(rng.uniform(-10, 10)), fy + float(rng.uniform(-15, 15))
    theta = math.radians(tilt)
    cos_t, sin_t = math.cos(theta), math.sin(theta)
    centre = (size - 1) / 2
    offsets = (np.arange(size) - centre) * ps
    phantom = _CtPhantom(rng, size, size, ps, offsets + fx - bx, offsets * cos_t + fy - by)
    z_apex = float(rng.uniform(-80.0, 320.0))
    z_mid = z_apex - 150.0 + float(rng.uniform(-20.0, 20.0))
    z_first = z_mid + (1 if head_first else -1) * (n - 1) / 2 * step
    direction = -1.0 if head_first else 1.0
    fov_mask = (offsets[None, :] ** 2 + offsets[:, None] ** 2) > (size * ps / 2) ** 2

    dtype: type[np.integer[Any]]
    if signed:
        lo, hi, dtype = -(1 << (bits - 1)), (1 << (bits - 1)) - 1, np.int16
        pad_value = -2000
    else:
        lo, hi, dtype = 0, (1 << bits) - 1, np.uint16
        pad_value = 0
    series_uid = _uid(token, "series")
    orientation = (1.0, 0.0, 0.0, 0.0, cos_t, -sin_t)
    ds = _base_dataset(
        sop_class_uid=CT_IMAGE_STORAGE,
        sop_instance_uid="1.2",
        study=study,
        modality="CT",
        series_uid=series_uid,
        series_number=series_number,
        series_description="SYNTHETIC CHEST",
        instance_number=1,
    )
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.BodyPartExamined = "CHEST"
    ds.SliceThickness = _ds(slice_thickness)
    ds.KVP = "120"
    ds.DataCollectionDiameter = "500"
    ds.ReconstructionDiameter = _ds(ps * size)
    ds.GantryDetectorTilt = _ds(tilt)
    ds.TableHeight = _ds(150.0 - fy)
    ds.RotationDirection = "CW"
    ds.ExposureTime = "500"
    ds.XRayTubeCurrent = int(rng.integers(80, 400))
    ds.ConvolutionKernel = "STANDARD"
    ds.PatientPosition = "HFS"
    ds.FrameOfReferenceUID = _uid(token, "frame of reference")
    ds.PositionReferenceIndicator = ""
    ds.AcquisitionNumber = 1
    ds.ImageOrientationPatient = [_ds(v) for v in orientation]
    ds.PixelSpacing = [_ds(ps), _ds(ps)]
    _set_image_pixel(ds, size, size, bits, signed, "MONOCHROME2")
    if pad:
        ds.add_new(0x00280120, "SS" if signed else "US", pad_value)  # Pixel Padding Value
    ds.WindowCenter = ["40", "-600", "400"]
    ds.WindowWidth = ["400", "1500", "1800"]
    ds.WindowCenterWidthExplanation = ["MEDIASTINUM", "LUNG", "BONE"]
    ds.RescaleIntercept = "-1024"
    ds.RescaleSlope = "1"
    ds.RescaleType = "HU"
    out.mkdir(parents=True, exist_ok=True)

    row_offsets = (offsets * sin_t)[:, None]  # tilted plane: depth changes down the rows
    acquired: list[tuple[float, Path, SliceTruth]] = []
    for i in range(n):
        z = z_first + direction * i * step
        d = (z_apex - z) + row_offsets
        hu = phantom.slice_hu(np.broadcast_to(d, (size, 1)), rng)
        stored = np.clip(hu.astype(np.int32) + 1024, lo, hi).astype(dtype)
        if pad:
            stored[fov_mask] = pad_value
        position = (
            fx - centre * ps,
            fy - centre * ps * cos_t,
            z + centre * ps * sin_t,
        )
        sop_uid = _uid(token, "sop", i)
        ds.SOPInstanceUID = sop_uid
        ds.file_meta.MediaStorageSOPInstanceUID = UID(sop_uid)
        ds.InstanceNumber = int(numbers[i])
        ds.ImagePositionPatient = [_ds(p) for p in position]
        ds.SliceLocation = _ds(z)
        path = out / names[i]
        _write_dataset(ds, path, stored, ts)
        truth = SliceTruth(
            modality="CT",
            study_uid=study.study_uid,
            series_uid=series_uid,
            sop_instance_uid=sop_uid,
            slice_index=0,
            slice_count=n,
            instance_number=int(numbers[i]),
            position=tuple(float(_ds(p)) for p in position),  # type: ignore[arg-type]
            orientation=orientation,
            transfer_syntax=str(ts),
        )
        normal_projection = position[1] * sin_t + position[2] * cos_t
        acquired.append((normal_projection, path, truth))
    logger.debug("wrote synthetic CT series of %d slices (%s instance order)", n, order)
    return _index_along_normal(acquired)


def _index_along_normal(
    acquired: list[tuple[float, Path, SliceTruth]],
) -> list[tuple[Path, SliceTruth]]:
    ordered = sorted(acquired, key=lambda item: item[0])
    result = []
    for index, (_, path, truth) in enumerate(ordered):
        result.append((path, _replace_index(truth, index)))
    return result


def _replace_index(truth: SliceTruth, index: int) -> SliceTruth:
    return SliceTruth(**{**truth.__dict__, "slice_index": index})


def write_ct_series(
    out_dir: PathLike,
    rng: np.random.Generator,
    *,
    slices: int = 64,
    size: int = 256,
    slice_thickness: float = 2.5,
    spacing: float | None = None,
    pixel_spacing: float | None = None,
    tilt: float = 0.0,
    shuffled_names: bool = True,
    instance_order: Literal["acquisition", "reversed", "shuffled"] | None = None,
    pixel_representation: int | None = None,
    bits_stored: int | None = None,
    padding: bool | None = None,
    transfer_syntax: str | None = None,
    study: StudyContext | None = None,
    series_number: int = 1,
) -> list[Path]:
    """Write an axial CT series of a chest/upper-abdomen phantom.

    Body with subcutaneous fat (-95 HU) and muscle (45), lungs (about -850, with
    vessels), heart and mediastinum, aorta, airways, liver, spleen and stomach below
    the diaphragm domes, vertebrae (cortex ~700 HU, discs), ribs, sternum and a
    carbon-fibre table; air -1000 outside. Stored = HU + 1024 (Rescale Intercept
    -1024, slope 1, type HU), clipped to the stored range.

    Geometry (PS3.3 C.7.6.2): Image Orientation (Patient) ``[1,0,0, 0,cos t,-sin t]``
    for gantry tilt ``t`` (the volume is then sheared), Image Position (Patient)
    stepping by ``spacing`` along z (head-first toward the feet for most seeds),
    Slice Location = table z. Instance Numbers follow acquisition, its reverse, or
    a random permutation; file names are random hex (with or without ".dcm").

    Parameters
    ----------
    out_dir : str or Path
        Folder to write into (created).
    rng : numpy.random.Generator
        Source of every value.
    slices : int, optional
        1..4096.
    size : int, optional
        Rows = Columns, 32..2048.
    slice_thickness : float, optional
        mm.
    spacing : float, optional
        Table increment between slices in mm (default: ``slice_thickness``).
    pixel_spacing : float, optional
        mm (default: a field of view of 340–420 mm).
    tilt : float, optional
        Gantry/Detector Tilt in degrees, -30..30.
    shuffled_names : bool, optional
        Random file names; otherwise ``<instance number>.dcm``.
    instance_order : {"acquisition", "reversed", "shuffled"}, optional
        Drawn from ``rng`` when None.
    pixel_representation : {0, 1}, optional
        uint16 or int16 storage; drawn when None.
    bits_stored : {12, 16}, optional
        Drawn when None.
    padding : bool, optional
        Pixels outside the circular field of view set to Pixel Padding Value
        (0, or -2000 when signed); drawn when None.
    transfer_syntax : str, optional
        One of :func:`list_transfer_syntaxes`.
    study : StudyContext, optional
        Drawn when None.
    series_number : int, optional

    Returns
    -------
    list of Path
        The files, ordered along the slice normal (increasing z).
    """
    pairs = _write_ct_series(
        out_dir,
        rng,
        slices=slices,
        size=size,
        slice_thickness=slice_thickness,
        spacing=spacing,
        pixel_spacing=pixel_spacing,
        tilt=tilt,
        shuffled_names=shuffled_names,
        instance_order=instance_order,
        pixel_representation=pixel_representation,
        bits_stored=bits_stored,
        padding=padding,
        transfer_syntax=transfer_syntax,
        study=study,
        series_number=series_number,
    )
    return [path for path, _ in pairs]


# --------------------------------------------------------------------------- MR


# Head phantom: ellipsoids painted in order (centre mm, semi-axes mm, rotation about
# z in degrees, T1-weighted and T2-weighted signal). x left, y posterior, z superior.
_HEAD: Final = (
    ((0, 10, -125), (52, 58, 70), 0, 420, 380),  # neck
    ((0, 0, 0), (76, 96, 102), 0, 900, 520),  # scalp and fat
    ((0, 0, 0), (71, 91, 97), 0, 60, 50),  # skull
    ((0, 0, 2), (66, 86, 91), 0, 260, 1500),  # CSF
    ((0, 0, 5), (63, 83, 86), 0, 560, 860),  # grey matter
    ((0, 2, 12), (51, 69, 66), 0, 790, 600),  # white matter
    ((0, 38, -46), (42, 26, 24), 0, 570, 840),  # cerebellum
    ((0, 14, -40), (12, 12, 32), 0, 760, 620),  # brainstem
    ((-19, -2, 4), (10, 15, 10), 0, 610, 760),  # right deep grey
    ((19, -2, 4), (10, 15, 10), 0, 610, 760),  # left deep grey
    ((-10, -4, 16), (6, 28, 13), 14, 250, 1550),  # right lateral ventricle
    ((10, -4, 16), (6, 28, 13), -14, 250, 1550),  # left lateral ventricle
    ((0, 6, 0), (2, 11, 8), 0, 250, 1550),  # third ventricle
    ((-32, -76, -26), (12, 12, 12), 0, 190, 1500),  # right eye
    ((32, -76, -26), (12, 12, 12), 0, 190, 1500),  # left eye
    ((-26, -56, -56), (12, 15, 14), 0, 0, 0),  # right maxillary sinus
    ((26, -56, -56), (12, 15, 14), 0, 0, 0),  # left maxillary sinus
)

_MR_PLANES: Final[Mapping[str, tuple[tuple[float, float, float], tuple[float, float, float]]]] = {
    # orientation: (row direction, column direction), PS3.3 C.7.6.2.1.1
    "axial": ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0)),
    "sagittal": ((0.0, 1.0, 0.0), (0.0, 0.0, -1.0)),
    "coronal": ((1.0, 0.0, 0.0), (0.0, 0.0, -1.0)),
}


def _head_slice(
    origin: Array, row_dir: Array, col_dir: Array, rows: int, cols: int, ps: float, t2: bool
) -> FloatArray:
    """Signal of the head phantom on one plane (origin = centre of pixel 0, 0)."""
    c = (np.arange(cols, dtype=np.float64) * ps)[None, :]
    r = (np.arange(rows, dtype=np.float64) * ps)[:, None]
    signal = np.zeros((rows, cols), np.float32)
    for centre, axes, rot, t1_value, t2_value in _HEAD:
        angle = math.radians(rot)
        basis = (
            np.array([math.cos(angle), math.sin(angle), 0.0]),
            np.array([-math.sin(angle), math.cos(angle), 0.0]),
            np.array([0.0, 0.0, 1.0]),
        )
        q = np.zeros((rows, cols))
        for axis, semi in zip(basis, axes, strict=True):
            start = float(np.dot(origin - np.asarray(centre, float), axis))
            term = (
                start + c * float(np.dot(row_dir, axis)) + r * float(np.dot(col_dir, axis))
            ) / semi
            q += term * term
        signal[q <= 1.0] = t2_value if t2 else t1_value
    return signal


def _write_mr_series(
    out_dir: PathLike,
    rng: np.random.Generator,
    *,
    slices: int,
    size: int,
    orientation: str,
    weighting: str,
    slice_thickness: float,
    spacing: float | None,
    shuffled_names: bool,
    instance_order: str | None,
    transfer_syntax: str | None,
    study: StudyContext | None,
    series_number: int,
) -> list[tuple[Path, SliceTruth]]:
    _check_rng(rng)
    n = _check_int("slices", slices, 1, 1024)
    size = _check_int("size", size, 32, 1024)
    _check_choice("orientation", orientation, tuple(_MR_PLANES))
    _check_choice("weighting", weighting, ("T1", "T2"))
    if not slice_thickness > 0:
        raise UsageError(f"slice_thickness must be positive, found {slice_thickness!r}")
    step = float(slice_thickness * 1.2 if spacing is None else spacing)
    if not step > 0:
        raise UsageError(f"spacing must be positive, found {spacing!r}")
    ts = _check_transfer_syntax(transfer_syntax)
    out = Path(out_dir)

    study = study if study is not None else make_study_context(rng)
    token = rng.bytes(16).hex()
    order, numbers = _instance_numbers(rng, n, instance_order)
    names = _file_names(rng, numbers, shuffled_names)
    ps = round(240.0 / size, 6)
    row_dir = np.array(_MR_PLANES[orientation][0])
    col_dir = np.array(_MR_PLANES[orientation][1])
    normal = np.cross(row_dir, col_dir)
    head = np.array([rng.uniform(-5, 5), rng.uniform(-20, 10), rng.uniform(-30, 30)])
    # Stack centred on the brain; axial a little cranial so the ventricles are in it.
    centre = head + (np.array([0.0, 0.0, 10.0]) if orientation == "axial" else 0.0)
    ascending = bool(rng.random() < 0.5)
    half = (size - 1) / 2 * ps
    bias = np.exp(
        0.12 * _smooth_noise(rng, (size, size), sigma=size / 4.0) * np.float32(1.0)
    ).astype(np.float32)
    t2 = weighting == "T2"
    scale = 1.6
    sigma = float(rng.uniform(8.0, 16.0))

    series_uid = _uid(token, "series")
    iop = tuple(float(v) for v in (*row_dir, *col_dir))
    ds = _base_dataset(
        sop_class_uid=MR_IMAGE_STORAGE,
        sop_instance_uid="1.2",
        study=study,
        modality="MR",
        series_uid=series_uid,
        series_number=series_number,
        series_description=f"SYNTHETIC HEAD {weighting} {orientation.upper()}",
        instance_number=1,
    )
    ds.ImageType = ["ORIGINAL", "PRIMARY", "M", "ND"]
    ds.BodyPartExamined = "HEAD"
    ds.ScanningSequence = "SE"
    ds.SequenceVariant = "SK" if t2 else "NONE"
    ds.ScanOptions = ""
    ds.MRAcquisitionType = "2D"
    ds.RepetitionTime = "4000" if t2 else "500"
    ds.EchoTime = "100" if t2 else "15"
    ds.EchoTrainLength = 16 if t2 else 1
    ds.EchoNumbers = 1
    ds.FlipAngle = "90"
    ds.ImagedNucleus = "1H"
    ds.ImagingFrequency = "63.87"
    ds.MagneticFieldStrength = "1.5"
    ds.SliceThickness = _ds(slice_thickness)
    ds.SpacingBetweenSlices = _ds(step)
    ds.PatientPosition = "HFS"
    ds.FrameOfReferenceUID = _uid(token, "frame of reference")
    ds.PositionReferenceIndicator = ""
    ds.ImageOrientationPatient = [_ds(v) for v in iop]
    ds.PixelSpacing = [_ds(ps), _ds(ps)]
    _set_image_pixel(ds, size, size, 12, False, "MONOCHROME2")
    ds.WindowCenterWidthExplanation = ["BRAIN"]
    out.mkdir(parents=True, exist_ok=True)

    acquired: list[tuple[float, Path, SliceTruth]] = []
    for i in range(n):
        k = (i - (n - 1) / 2) * (1 if ascending else -1)
        plane_centre = centre + normal * (k * step)
        origin = plane_centre - row_dir * half - col_dir * half
        clean = _head_slice(origin - head, row_dir, col_dir, size, size, ps, t2) * bias * scale
        n1 = rng.normal(0.0, sigma, clean.shape)
        n2 = rng.normal(0.0, sigma, clean.shape)
        magnitude = np.sqrt((clean + n1) ** 2 + n2**2)  # Rician, as in magnitude images
        stored = np.clip(np.rint(magnitude), 0, 4095).astype(np.uint16)
        head_pixels = stored[clean > 100]
        if head_pixels.size:
            p1, p99 = (float(x) for x in np.percentile(head_pixels, [1.0, 99.5]))
        else:
            p1, p99 = 0.0, float(stored.max()) + 1.0
        ds.WindowCenter = _ds(round((p1 + p99) / 2))
        ds.WindowWidth = _ds(max(round(p99 - p1), 2))
        sop_uid = _uid(token, "sop", i)
        ds.SOPInstanceUID = sop_uid
        ds.file_meta.MediaStorageSOPInstanceUID = UID(sop_uid)
        ds.InstanceNumber = int(numbers[i])
        position = tuple(float(_ds(p)) for p in origin)
        ds.ImagePositionPatient = [_ds(p) for p in origin]
        ds.SliceLocation = _ds(float(np.dot(plane_centre, normal)))
        path = out / names[i]
        _write_dataset(ds, path, stored, ts)
        truth = SliceTruth(
            modality="MR",
            study_uid=study.study_uid,
            series_uid=series_uid,
            sop_instance_uid=sop_uid,
            slice_index=0,
            slice_count=n,
            instance_number=int(numbers[i]),
            position=position,  # type: ignore[arg-type]
            orientation=iop,
            transfer_syntax=str(ts),
        )
        acquired.append((float(np.dot(origin, normal)), path, truth))
    logger.debug("wrote synthetic MR series of %d slices (%s instance order)", n, order)
    return _index_along_normal(acquired)


def write_mr_series(
    out_dir: PathLike,
    rng: np.random.Generator,
    *,
    slices: int = 24,
    size: int = 256,
    orientation: Literal["axial", "sagittal", "coronal"] = "axial",
    weighting: Literal["T1", "T2"] = "T1",
    slice_thickness: float = 5.0,
    spacing: float | None = None,
    shuffled_names: bool = True,
    instance_order: Literal["acquisition", "reversed", "shuffled"] | None = None,
    transfer_syntax: str | None = None,
    study: StudyContext | None = None,
    series_number: int = 1,
) -> list[Path]:
    """Write a 2-D spin-echo MR series of an ellipsoid head phantom.

    Scalp fat, skull, CSF, grey and white matter, deep grey nuclei, ventricles,
    cerebellum, brainstem, eyes and maxillary sinuses, with T1 or T2 contrast, a
    smooth coil bias field and Rician noise. MR Image Storage (PS3.3 A.4) with
    Scanning Sequence, Repetition/Echo Time, Echo Train Length, Spacing Between
    Slices, 12-bit unsigned values and a window per slice.

    Parameters
    ----------
    out_dir : str or Path
        Folder to write into (created).
    rng : numpy.random.Generator
    slices : int, optional
    size : int, optional
        Rows = Columns; the field of view is 240 mm.
    orientation : {"axial", "sagittal", "coronal"}, optional
    weighting : {"T1", "T2"}, optional
    slice_thickness : float, optional
        mm.
    spacing : float, optional
        Centre-to-centre distance in mm (default: 1.2 × thickness, a 20 % gap).
    shuffled_names : bool, optional
    instance_order : {"acquisition", "reversed", "shuffled"}, optional
        Drawn when None.
    transfer_syntax : str, optional
    study : StudyContext, optional
    series_number : int, optional

    Returns
    -------
    list of Path
        The files, ordered along the slice normal.
    """
    pairs = _write_mr_series(
        out_dir,
        rng,
        slices=slices,
        size=size,
        orientation=orientation,
        weighting=weighting,
        slice_thickness=slice_thickness,
        spacing=spacing,
        shuffled_names=shuffled_names,
        instance_order=instance_order,
        transfer_syntax=transfer_syntax,
        study=study,
        series_number=series_number,
    )
    return [path for path, _ in pairs]


# --------------------------------------------------------------------------- multi-frame


@dataclass(frozen=True)
class MultiFrameTruth:
    """Ground truth of a written Enhanced CT object.

    Parameters
    ----------
    study_uid, series_uid, sop_instance_uid, transfer_syntax : str
    frames, rows, columns : int
    pixel_value_transformation : str
        "shared", "per_frame" or "both" (shared, overridden per frame).
    shared_rescale_intercept : float or None
        The shared group's intercept, when there is one.
    frame_intercepts : tuple of float
        The intercept that applies to each stored frame (per-frame wins).
    in_stack_positions : tuple of int
        In-Stack Position Number of each stored frame (1 = smallest z).
    frame_positions : tuple of tuple of float
        Image Position (Patient) of each stored frame.
    """

    study_uid: str
    series_uid: str
    sop_instance_uid: str
    transfer_syntax: str
    frames: int
    rows: int
    columns: int
    pixel_value_transformation: str
    shared_rescale_intercept: float | None
    frame_intercepts: tuple[float, ...]
    in_stack_positions: tuple[int, ...]
    frame_positions: tuple[tuple[float, float, float], ...]

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-ready dict (``kind`` is "multiframe")."""
        return {
            "kind": "multiframe",
            "modality": "CT",
            "study_uid": self.study_uid,
            "series_uid": self.series_uid,
            "sop_instance_uid": self.sop_instance_uid,
            "transfer_syntax": self.transfer_syntax,
            "frames": self.frames,
            "rows": self.rows,
            "columns": self.columns,
            "pixel_value_transformation": self.pixel_value_transformation,
            "shared_rescale_intercept": self.shared_rescale_intercept,
            "frame_intercepts": list(self.frame_intercepts),
            "in_stack_positions": list(self.in_stack_positions),
            "slice_index": [p - 1 for p in self.in_stack_positions],
            "z": [round(p[2], 4) for p in self.frame_positions],
            "frame_positions": [[round(c, 4) for c in p] for p in self.frame_positions],
        }


def _item(**attributes: Any) -> Dataset:
    item = Dataset()
    for keyword, value in attributes.items():
        setattr(item, keyword, value)
    return item


def write_enhanced_multiframe(
    path: PathLike,
    rng: np.random.Generator,
    *,
    frames: int = 16,
    size: int = 128,
    slice_thickness: float = 5.0,
    pixel_value_transformation: Literal["shared", "per_frame", "both"] = "shared",
    shuffle_frames: bool | None = None,
    transfer_syntax: str | None = None,
    study: StudyContext | None = None,
    series_number: int = 1,
) -> MultiFrameTruth:
    """Write an Enhanced CT Image (PS3.3 A.38) of the CT phantom.

    Shared Functional Groups: Pixel Measures, Plane Orientation (Patient), Frame
    Anatomy, CT Image Frame Type, Frame VOI LUT (mediastinum and lung windows) and,
    unless per-frame, Pixel Value Transformation. Per-frame Functional Groups: Plane
    Position (Patient) and Frame Content (Stack ID, In-Stack Position Number,
    Dimension Index Values indexed by the Dimension Index Sequence).

    ``pixel_value_transformation`` selects where the rescale lives:

    - "shared": one intercept (-1024) for all frames;
    - "per_frame": only per-frame groups, with intercepts that differ between
      frames (stored values shifted to match), as PS3.3 C.7.6.16.1 allows;
    - "both": the shared group says -1024 and per-frame groups override it with
      other intercepts on some frames. Having a macro in both places is not
      conformant, but occurs in the wild; a reader must prefer the per-frame one.

    Parameters
    ----------
    path : str or Path
        File to write.
    rng : numpy.random.Generator
    frames : int, optional
        2..512.
    size : int, optional
        Rows = Columns.
    slice_thickness : float, optional
        Also the spacing between frames, mm.
    pixel_value_transformation : {"shared", "per_frame", "both"}, optional
    shuffle_frames : bool, optional
        Store frames in random order (In-Stack Position gives the order); drawn
        when None.
    transfer_syntax : str, optional
    study : StudyContext, optional
    series_number : int, optional

    Returns
    -------
    MultiFrameTruth
    """
    _check_rng(rng)
    n = _check_int("frames", frames, 2, 512)
    size = _check_int("size", size, 32, 1024)
    _check_choice(
        "pixel_value_transformation", pixel_value_transformation, ("shared", "per_frame", "both")
    )
    if not slice_thickness > 0:
        raise UsageError(f"slice_thickness must be positive, found {slice_thickness!r}")
    ts = _check_transfer_syntax(transfer_syntax)
    path = Path(path)

    study = study if study is not None else make_study_context(rng)
    token = rng.bytes(16).hex()
    shuffled = bool(rng.random() < 0.5) if shuffle_frames is None else bool(shuffle_frames)
    order = rng.permutation(n) if shuffled else np.arange(n)  # stored frame -> stack index
    ps = round(float(rng.uniform(340.0, 420.0)) / size, 6)
    centre = (size - 1) / 2
    offsets = (np.arange(size) - centre) * ps
    fx, fy = float(rng.uniform(-8, 8)), float(rng.uniform(-40, 10))
    phantom = _CtPhantom(rng, size, size, ps, offsets, offsets)
    z_apex = float(rng.uniform(-80.0, 320.0))
    z0 = z_apex - 150.0 - (n - 1) / 2 * slice_thickness  # stack index 0: lowest z
    shared_intercept = -1024.0
    if pixel_value_transformation == "shared":
        intercepts = [shared_intercept] * n
    else:  # vary per frame; "both" keeps the shared value on some frames
        choices = [-1024.0, -1030.0, -2048.0, -1124.0]  # all below the lowest HU
        intercepts = [choices[(k * 7 + 1) % 4] for k in range(n)]
        if pixel_value_transformation == "both":
            intercepts = [shared_intercept if k % 3 == 0 else intercepts[k] for k in range(n)]

    frames_hu = np.empty((n, size, size), np.int16)
    positions: list[tuple[float, float, float]] = []
    for stored_index in range(n):
        z = z0 + int(order[stored_index]) * slice_thickness
        d = np.full((size, 1), z_apex - z, np.float32)
        frames_hu[stored_index] = phantom.slice_hu(d, rng)
        positions.append((float(_ds(fx - centre * ps)), float(_ds(fy - centre * ps)), z))
    stored = np.empty((n, size, size), np.uint16)
    for k in range(n):
        stored[k] = np.clip(frames_hu[k].astype(np.int32) - int(intercepts[k]), 0, 65535)

    sop_uid = _uid(token, "sop")
    series_uid = _uid(token, "series")
    ds = _base_dataset(
        sop_class_uid=ENHANCED_CT_IMAGE_STORAGE,
        sop_instance_uid=sop_uid,
        study=study,
        modality="CT",
        series_uid=series_uid,
        series_number=series_number,
        series_description="SYNTHETIC ENHANCED CT",
        instance_number=1,
    )
    image_type = ["DERIVED", "PRIMARY", "AXIAL", "NONE"]
    ds.ImageType = image_type
    ds.FrameOfReferenceUID = _uid(token, "frame of reference")
    ds.PositionReferenceIndicator = ""
    ds.NumberOfFrames = n
    _set_image_pixel(ds, size, size, 16, False, "MONOCHROME2")
    ds.PixelPresentation = "MONOCHROME"
    ds.VolumetricProperties = "VOLUME"
    ds.VolumeBasedCalculationTechnique = "NONE"
    ds.PresentationLUTShape = "IDENTITY"
    ds.BurnedInAnnotation = "NO"
    ds.LossyImageCompression = "00"
    ds.ContentQualification = "RESEARCH"
    ds.AcquisitionContextSequence = DicomSequence([])
    dim_uid = _uid(token, "dimension organization")
    ds.DimensionOrganizationSequence = DicomSequence([_item(DimensionOrganizationUID=dim_uid)])
    ds.DimensionOrganizationType = "3D"
    ds.DimensionIndexSequence = DicomSequence(
        [
            _item(
                DimensionOrganizationUID=dim_uid,
                DimensionIndexPointer=0x00209056,  # Stack ID
                FunctionalGroupPointer=0x00209111,  # Frame Content Sequence
                DimensionDescriptionLabel="Stack ID",
            ),
            _item(
                DimensionOrganizationUID=dim_uid,
                DimensionIndexPointer=0x00209057,  # In-Stack Position Number
                FunctionalGroupPointer=0x00209111,
                DimensionDescriptionLabel="In-Stack Position Number",
            ),
        ]
    )

    def rescale(intercept: float) -> Dataset:
        return _item(
            PixelValueTransformationSequence=DicomSequence(
                [_item(RescaleIntercept=_ds(intercept), RescaleSlope="1", RescaleType="HU")]
            )
        )

    shared = _item(
        PixelMeasuresSequence=DicomSequence(
            [
                _item(
                    PixelSpacing=[_ds(ps), _ds(ps)],
                    SliceThickness=_ds(slice_thickness),
                    SpacingBetweenSlices=_ds(slice_thickness),
                )
            ]
        ),
        PlaneOrientationSequence=DicomSequence(
            [_item(ImageOrientationPatient=["1", "0", "0", "0", "1", "0"])]
        ),
        FrameAnatomySequence=DicomSequence(
            [
                _item(
                    AnatomicRegionSequence=DicomSequence([_code_item(_CHEST_CODE)]),
                    FrameLaterality="U",
                )
            ]
        ),
        CTImageFrameTypeSequence=DicomSequence(
            [
                _item(
                    FrameType=image_type,
                    PixelPresentation="MONOCHROME",
                    VolumetricProperties="VOLUME",
                    VolumeBasedCalculationTechnique="NONE",
                )
            ]
        ),
        FrameVOILUTSequence=DicomSequence(
            [
                _item(
                    WindowCenter=["40", "-600"],
                    WindowWidth=["400", "1500"],
                    WindowCenterWidthExplanation=["MEDIASTINUM", "LUNG"],
                )
            ]
        ),
    )
    if pixel_value_transformation != "per_frame":
        shared.PixelValueTransformationSequence = rescale(
            shared_intercept
        ).PixelValueTransformationSequence
    ds.SharedFunctionalGroupsSequence = DicomSequence([shared])
    per_frame = []
    for k in range(n):
        item = _item(
            FrameContentSequence=DicomSequence(
                [
                    _item(
                        StackID="1",
                        InStackPositionNumber=int(order[k]) + 1,
                        DimensionIndexValues=[1, int(order[k]) + 1],
                    )
                ]
            ),
            PlanePositionSequence=DicomSequence(
                [_item(ImagePositionPatient=[_ds(c) for c in positions[k]])]
            ),
        )
        if pixel_value_transformation == "per_frame" or (
            pixel_value_transformation == "both" and intercepts[k] != shared_intercept
        ):
            item.PixelValueTransformationSequence = rescale(
                intercepts[k]
            ).PixelValueTransformationSequence
        per_frame.append(item)
    ds.PerFrameFunctionalGroupsSequence = DicomSequence(per_frame)
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_dataset(ds, path, stored, ts)
    logger.debug("wrote synthetic Enhanced CT of %d frames (%s)", n, pixel_value_transformation)
    return MultiFrameTruth(
        study_uid=study.study_uid,
        series_uid=series_uid,
        sop_instance_uid=sop_uid,
        transfer_syntax=str(ts),
        frames=n,
        rows=size,
        columns=size,
        pixel_value_transformation=pixel_value_transformation,
        shared_rescale_intercept=None
        if pixel_value_transformation == "per_frame"
        else shared_intercept,
        frame_intercepts=tuple(intercepts),
        in_stack_positions=tuple(int(k) + 1 for k in order),
        frame_positions=tuple(positions),
    )


# --------------------------------------------------------------------------- broken


def _png_bytes(rng: np.random.Generator, side: int = 32) -> bytes:
    """A small valid greyscale PNG (PNG spec: signature, IHDR, IDAT, IEND)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    pixels = (np.add.outer(np.arange(side), np.arange(side)) * 4 % 256).astype(np.uint8)
    pixels ^= rng.integers(0, 16, pixels.shape, dtype=np.uint8)
    raw = b"".join(b"\x00" + row.tobytes() for row in pixels)
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def _find_element(data: bytes, group: int, element: int, vr: bytes, start: int) -> int:
    """Offset of an explicit VR little endian element header (after ``start``)."""
    offset = data.find(struct.pack("<HH", group, element) + vr, start)
    if offset < 0:
        raise RuntimeError(f"element ({group:04X},{element:04X}) not found")  # our own bug
    return offset


def _read_sop_instance_uid(data: bytes) -> str:
    from io import BytesIO

    from pydicom import dcmread

    return str(dcmread(BytesIO(data), stop_before_pixels=True).SOPInstanceUID)


def write_broken_set(out_dir: PathLike, rng: np.random.Generator) -> dict[str, str]:
    """Write a folder of malformed files beside two good images.

    Parameters
    ----------
    out_dir : str or Path
        Folder to write into (created).
    rng : numpy.random.Generator

    Returns
    -------
    dict of str to str
        File name (relative to ``out_dir``) → defect code; the codes are the keys
        of :data:`BROKEN_DEFECTS` ("good" for the valid images).
    """
    _check_rng(rng)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    study = make_study_context(rng)
    written: dict[str, str] = {}

    good_ct = _write_ct_series(
        out / "_tmp_good_ct",
        rng,
        slices=1,
        size=64,
        study=study,
    )
    template = good_ct[0][0].read_bytes()
    good_ct[0][0].unlink()
    (out / "_tmp_good_ct").rmdir()
    (out / "good_ct.dcm").write_bytes(template)
    written["good_ct.dcm"] = "good"
    write_cxr(out / "good_cxr.dcm", rng, size=128, study=study, series_number=2)
    written["good_cxr.dcm"] = "good"

    # Offsets in the template: file meta ends at 132 + (0002,0000) value + 12.
    meta_end = 132 + 12 + struct.unpack("<I", template[140:144])[0]
    pixel_at = _find_element(template, 0x7FE0, 0x0010, b"OW", meta_end)
    pixel_value_at = pixel_at + 12
    pixel_length = struct.unpack("<I", template[pixel_at + 8 : pixel_at + 12])[0]

    # Each broken file is its own object: a copy of good_ct's UID would be listed as a
    # duplicate instead of with its defect. Same-length UIDs keep every offset valid.
    sop_uid = _read_sop_instance_uid(template)
    variants = iter(d for d in "123456789" if not sop_uid.endswith(d))

    def put(name: str, code: str, data: bytes) -> None:
        if sop_uid and code not in ("random_bytes", "text_file", "empty_file", "png_image"):
            replacement = (sop_uid[:-1] + next(variants)).encode()
            data = data.replace(sop_uid.encode(), replacement)
        (out / name).write_bytes(data)
        written[name] = code

    put("truncated_header.dcm", "truncated_in_header", template[: (meta_end + pixel_at) // 2])
    put(
        "truncated_pixels.dcm",
        "truncated_in_pixel_data",
        template[: pixel_value_at + pixel_length // 2 + 1],
    )
    put("missing_pixels.dcm", "missing_pixel_data", template[:pixel_at])
    short = pixel_length // 2
    put(
        "pixel_data_short.dcm",
        "pixel_data_short",
        template[: pixel_at + 8]
        + struct.pack("<I", short)
        + template[pixel_value_at : pixel_value_at + short],
    )
    extra = rng.bytes(512)
    put(
        "pixel_data_long.dcm",
        "pixel_data_long",
        template[: pixel_at + 8]
        + struct.pack("<I", pixel_length + len(extra))
        + template[pixel_value_at : pixel_value_at + pixel_length]
        + extra,
    )
    rows_at = _find_element(template, 0x0028, 0x0010, b"US", meta_end)
    put(
        "wrong_value_length.dcm",
        "wrong_value_length",
        template[: rows_at + 6] + struct.pack("<H", 6) + template[rows_at + 8 :],
    )
    name_at = _find_element(template, 0x0008, 0x0070, b"LO", meta_end)  # Manufacturer
    put(
        "length_past_end.dcm",
        "value_length_past_end",
        template[: name_at + 6] + struct.pack("<H", 0xFFF0) + template[name_at + 8 : pixel_at],
    )
    put("random.bin", "random_bytes", rng.bytes(4096))
    put("notes.txt", "text_file", b"Synthetic test folder.\nThese files are not DICOM.\n")
    put("empty.dcm", "empty_file", b"")
    put("picture.png", "png_image", _png_bytes(rng))
    put("dicm_garbage.dcm", "dicm_then_garbage", bytes(128) + b"DICM" + rng.bytes(2048))
    logger.debug("wrote synthetic broken set of %d files", len(written))
    return dict(sorted(written.items()))


# --------------------------------------------------------------------------- collections


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def _write_truth(out: Path, entries: Mapping[str, Mapping[str, Any]]) -> None:
    truth_path = out / "truth.json"
    merged: dict[str, Any] = {}
    if truth_path.exists():
        try:
            merged = json.loads(truth_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise UsageError(f"{truth_path}: cannot merge into it, not JSON ({exc})") from exc
        if not isinstance(merged, dict):
            raise UsageError(f"{truth_path}: cannot merge into it, not a JSON object")
    merged.update(entries)
    text = json.dumps(merged, indent=1, sort_keys=True) + "\n"
    tmp = truth_path.with_suffix(".json.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(truth_path)


_KIND_SALT: Final = {kind: i + 1 for i, kind in enumerate(SYNTHETIC_KINDS)}


def write_synthetic(
    out_dir: PathLike,
    kind: str,
    *,
    count: int = 1,
    seed: int = 0,
    size: int | None = None,
) -> dict[str, dict[str, Any]]:
    """Write synthetic objects of one kind and record their ground truth.

    Files go under ``out_dir/<kind>/``; ``out_dir/truth.json`` maps each written
    file's path relative to ``out_dir`` (with "/") to its ground truth, merged into
    what is already there so several kinds can share a folder.

    Parameters
    ----------
    out_dir : str or Path
        Root folder (created).
    kind : {"cxr", "ct", "mr", "multiframe", "broken"}
        "cxr": ``count`` radiographs (``cxr/0001.dcm``...) of mixed view, modality,
        photometric and bit depth, with random lesions; "ct"/"mr": ``count`` series
        (``ct/series_001/...``); "multiframe": ``count`` Enhanced CT objects cycling
        through the rescale placements; "broken": ``count`` sets
        (``broken/set_001/...``).
    count : int, optional
        1..100000.
    seed : int, optional
        Everything is drawn from it; the same seed writes the same bytes.
    size : int, optional
        Image side (defaults: 512 cxr, 256 ct/mr, 128 multiframe).

    Returns
    -------
    dict of str to dict
        The entries added to truth.json.

    Raises
    ------
    UsageError
        When ``out_dir/<kind>`` already holds files (nothing is overwritten).
    """
    out = Path(out_dir)
    _check_choice("kind", kind, SYNTHETIC_KINDS)
    count = _check_int("count", count, 1, 100_000)
    seed = _check_int("seed", seed, 0)
    if size is not None:
        _check_int("size", size, 32, 4096)
    root = out / kind
    if root.exists() and any(root.iterdir()):
        raise UsageError(f"{root}: already holds files; write into an empty folder")
    rng = np.random.default_rng([seed, _KIND_SALT[kind]])
    entries: dict[str, dict[str, Any]] = {}
    for i in range(1, count + 1):
        item_rng = _child_rng(rng)
        if kind == "cxr":
            view = str(item_rng.choice(CXR_VIEWS, p=[0.5, 0.2, 0.3]))
            truth = write_cxr(
                root / f"{i:04d}.dcm",
                item_rng,
                modality="CR" if item_rng.random() < 0.35 else "DX",
                view=view,
                monochrome=1 if item_rng.random() < 0.3 else 2,
                bits_stored=int(item_rng.integers(12, 17)),
                size=size or 512,
                lesions="random",
            )
            entries[_relative(root / f"{i:04d}.dcm", out)] = truth.to_json()
        elif kind == "ct":
            pairs = _write_ct_series(
                root / f"series_{i:03d}",
                item_rng,
                slices=64,
                size=size or 256,
                slice_thickness=float(item_rng.choice([1.25, 2.5, 5.0])),
                spacing=None,
                pixel_spacing=None,
                tilt=0.0,
                shuffled_names=True,
                instance_order=None,
                pixel_representation=None,
                bits_stored=None,
                padding=None,
                transfer_syntax=None,
                study=None,
                series_number=i,
            )
            entries.update({_relative(p, out): t.to_json() for p, t in pairs})
        elif kind == "mr":
            mr_pairs = _write_mr_series(
                root / f"series_{i:03d}",
                item_rng,
                slices=24,
                size=size or 256,
                orientation=str(item_rng.choice(["axial", "sagittal", "coronal"])),
                weighting=str(item_rng.choice(["T1", "T2"])),
                slice_thickness=5.0,
                spacing=None,
                shuffled_names=True,
                instance_order=None,
                transfer_syntax=None,
                study=None,
                series_number=i,
            )
            entries.update({_relative(p, out): t.to_json() for p, t in mr_pairs})
        elif kind == "multiframe":
            mode = ("both", "per_frame", "shared")[(i - 1) % 3]
            mf = write_enhanced_multiframe(
                root / f"{i:04d}.dcm",
                item_rng,
                size=size or 128,
                pixel_value_transformation=mode,  # type: ignore[arg-type]
            )
            entries[_relative(root / f"{i:04d}.dcm", out)] = mf.to_json()
        else:
            folder = root / f"set_{i:03d}"
            for name, code in write_broken_set(folder, item_rng).items():
                entries[_relative(folder / name, out)] = {
                    "kind": "broken",
                    "defect": code,
                    "description": BROKEN_DEFECTS[code],
                }
    _write_truth(out, entries)
    logger.info("wrote %d synthetic %s item(s)", count, kind)
    return entries


def write_demo_study(out_dir: PathLike, seed: int = 0) -> dict[str, dict[str, Any]]:
    """Write the app's demo: one patient, one study, a CT series and two radiographs.

    ``out_dir/ct/`` holds a 64-slice 256² chest CT (geometric file names,
    instance numbers in acquisition order); ``out_dir/cxr/`` a DX PA with a
    nodule and a DX lateral, in one series. No truth.json is written into the
    demo folder; the ground truth is returned.

    Parameters
    ----------
    out_dir : str or Path
        Folder to write into (created).
    seed : int, optional

    Returns
    -------
    dict of str to dict
        Path relative to ``out_dir`` → ground truth.
    """
    seed = _check_int("seed", seed, 0)
    out = Path(out_dir)
    rng = np.random.default_rng([seed, 99])
    study = make_study_context(rng, description="CHEST CT AND RADIOGRAPHS")
    entries: dict[str, dict[str, Any]] = {}
    pairs = _write_ct_series(
        out / "ct",
        _child_rng(rng),
        slices=64,
        size=256,
        study=study,
    )
    entries.update({_relative(p, out): t.to_json() for p, t in pairs})
    series_uid = _uid(rng.bytes(16).hex(), "series")
    size = 512
    nodule_row = 0.40 * size
    # The same nodule, in the right upper zone on the PA and mid-lung on the lateral.
    plans = (
        ("PA", Lesion("Nodule", (nodule_row, 0.30 * size), 0.022 * size)),
        ("LL", Lesion("Nodule", (nodule_row, 0.56 * size), 0.022 * size)),
    )
    for number, (view, lesion) in enumerate(plans, start=1):
        path = out / "cxr" / f"{number:04d}.dcm"
        truth = write_cxr(
            path,
            _child_rng(rng),
            modality="DX",
            view=view,
            size=size,
            lesions=[lesion],
            study=study,
            series_uid=series_uid,
            series_number=2,
            instance_number=number,
        )
        entries[_relative(path, out)] = truth.to_json()
    return entries


__all__ = [
    "BROKEN_DEFECTS",
    "CR_IMAGE_STORAGE",
    "CT_IMAGE_STORAGE",
    "CXR_VIEWS",
    "DX_IMAGE_STORAGE_FOR_PRESENTATION",
    "ENHANCED_CT_IMAGE_STORAGE",
    "LESION_LABELS",
    "MR_IMAGE_STORAGE",
    "SYNTHETIC_KINDS",
    "CxrPhantom",
    "CxrTruth",
    "Lesion",
    "MultiFrameTruth",
    "SliceTruth",
    "StudyContext",
    "list_transfer_syntaxes",
    "make_cxr_pixels",
    "make_study_context",
    "write_broken_set",
    "write_ct_series",
    "write_cxr",
    "write_demo_study",
    "write_enhanced_multiframe",
    "write_mr_series",
    "write_synthetic",
]
