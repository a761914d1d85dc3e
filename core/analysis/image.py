"""The image a model reads: what the viewer shows before VOI.

Modality-LUT values, MONOCHROME1 already turned the MONOCHROME2 way round (bright =
dense), with the Bits Stored that TorchXRayVision's normalisation divides by (house
plan, "The pixel pipeline"). :func:`read_analysis_image` builds it from a dataset;
:func:`analysis_image_from_record` from a loaded volume's values and its index record.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from core.analysis.applicability import ImageFacts, facts_from_dataset, facts_from_records
from core.dicom.lut import is_inverted, modality_lut_for
from core.dicom.pixels import read_frame_values

if TYPE_CHECKING:
    from pydicom import Dataset

    from core.dicom.records import InstanceRecord, PatientRecord, StudyRecord

logger = logging.getLogger(__name__)

__all__ = [
    "AnalysisImage",
    "analysis_image_from_record",
    "apply_monochrome1_correction",
    "find_value_range",
    "read_analysis_image",
]


@dataclass(frozen=True, eq=False)
class AnalysisImage:
    """The image a model reads, with what the gate and the cache need.

    Attributes
    ----------
    values : numpy.ndarray
        ``(rows, cols)`` modality-LUT values, MONOCHROME1 corrected (bright = dense),
        or ``(rows, cols, 3)`` RGB.
    bits_stored : int
        Bits Stored (0028,0101): TorchXRayVision's normalisation divides by
        ``2**bits_stored - 1``.
    facts : ImageFacts
        Modality, body part, view position and age, for the gate.
    sop_instance_uid : str or None
        Cache key (no caching when None).
    frame : int
        Frame number from 0.
    source : str
        File name for messages (never patient data).
    """

    values: npt.NDArray[Any] = field(repr=False)
    bits_stored: int
    facts: ImageFacts = field(default_factory=ImageFacts)
    sop_instance_uid: str | None = None
    frame: int = 0
    source: str = ""


def apply_monochrome1_correction(
    values: npt.NDArray[Any], value_range: tuple[float, float]
) -> npt.NDArray[Any]:
    """Turn MONOCHROME1 values round so that higher means brighter (PS3.3 C.7.6.3.1.2).

    MONOCHROME1 shows the minimum value white. The viewer inverts after VOI; a
    model trained on MONOCHROME2 images needs the values themselves mirrored within
    the range the pixels can take: ``low + high - values``. For a synthetic
    MONOCHROME1 image stored as ``2**bits - 1 - v`` this gives back ``v``.

    Parameters
    ----------
    values : numpy.ndarray
        Modality-LUT values.
    value_range : (float, float)
        Lowest and highest value the modality LUT can give for the stored range
        (see :func:`find_value_range`).

    Returns
    -------
    numpy.ndarray
        Same shape; integer input stays integer when the result fits its dtype.
    """
    if not isinstance(values, np.ndarray):
        raise TypeError(f"values must be a numpy array, found {type(values).__name__}")
    if values.dtype.kind not in "biuf":
        raise TypeError(f"values must be numeric, found dtype {values.dtype}")
    low, high = (float(v) for v in value_range)
    if not low <= high:
        raise ValueError(f"value_range must be (low, high) with low <= high, found {value_range}")
    total = low + high
    if values.dtype.kind in "iu" and float(total).is_integer():
        info = np.iinfo(values.dtype)
        lo = total - float(values.max()) if values.size else total
        hi = total - float(values.min()) if values.size else total
        if info.min <= lo and hi <= info.max:
            mirrored: npt.NDArray[Any] = (np.int64(int(total)) - values).astype(values.dtype)
            return mirrored
    floats: npt.NDArray[np.float32] = np.float32(total) - values.astype(np.float32)
    return floats


def find_value_range(
    bits_stored: int, pixel_representation: int, slope: float = 1.0, intercept: float = 0.0
) -> tuple[float, float]:
    """The modality values a linear rescale gives for the whole stored range.

    Stored values span ``0 .. 2**bits - 1`` (unsigned) or ``-2**(bits-1) ..
    2**(bits-1) - 1`` (signed, Pixel Representation 1; PS3.3 C.7.6.3.1).
    """
    if isinstance(bits_stored, bool) or not isinstance(bits_stored, int | np.integer):
        raise TypeError(f"bits_stored must be an int, found {type(bits_stored).__name__}")
    if not 1 <= bits_stored <= 32:
        raise ValueError(f"bits_stored must be 1..32, found {bits_stored}")
    if pixel_representation not in (0, 1):
        raise ValueError(f"pixel_representation must be 0 or 1, found {pixel_representation!r}")
    if pixel_representation:
        stored = (-(2 ** (bits_stored - 1)), 2 ** (bits_stored - 1) - 1)
    else:
        stored = (0, 2**bits_stored - 1)
    ends = sorted(v * float(slope) + float(intercept) for v in stored)
    return ends[0], ends[1]


def _range_from_dataset(ds: Dataset, frame: int, source: str) -> tuple[float, float]:

    bits = int(ds.get("BitsStored") or ds.get("BitsAllocated") or 16)
    representation = int(ds.get("PixelRepresentation") or 0)
    lut = modality_lut_for(ds, frame, source=source)
    if lut.table is not None:
        return float(min(lut.table)), float(max(lut.table))
    return find_value_range(bits, representation, lut.slope, lut.intercept)


def read_analysis_image(
    ds: Dataset, frame: int = 0, *, source: str = "", facts: ImageFacts | None = None
) -> AnalysisImage:
    """The image a model reads from a dataset: modality values, MONOCHROME1 corrected.

    Parameters
    ----------
    ds : pydicom.Dataset
        With pixel data.
    frame : int, optional
        Frame number from 0.
    source : str, optional
        File name for messages.
    facts : ImageFacts, optional
        Gate facts; by default from the dataset
        (:func:`~core.analysis.applicability.facts_from_dataset`).

    Raises
    ------
    PixelDataError, UnsupportedTransferSyntaxError
        The pixels cannot be decoded.
    """
    # pydicom is imported when an image is read, never at start-up.

    values = read_frame_values(ds, frame, source=source)
    if values.ndim == 2 and is_inverted(ds):
        values = apply_monochrome1_correction(values, _range_from_dataset(ds, frame, source))
    bits = int(ds.get("BitsStored") or ds.get("BitsAllocated") or 8)
    uid = str(ds.get("SOPInstanceUID") or "") or None
    return AnalysisImage(
        values=values,
        bits_stored=bits,
        facts=facts if facts is not None else facts_from_dataset(ds),
        sop_instance_uid=uid,
        frame=frame,
        source=source,
    )


def analysis_image_from_record(
    values: npt.NDArray[Any],
    instance: InstanceRecord,
    frame: int = 0,
    *,
    study: StudyRecord | None = None,
    patient: PatientRecord | None = None,
) -> AnalysisImage:
    """The image a model reads from values the viewer already holds (a loaded volume).

    ``values`` are the frame's modality-LUT values as :func:`core.dicom.volume.load_series`
    gives them (not inverted); MONOCHROME1 is corrected here from the index record
    (a Modality LUT Sequence needs the header, which is read then, without pixels).

    Parameters
    ----------
    values : numpy.ndarray
        ``(rows, cols)`` modality values of the frame (``volume.array[i]``).
    instance : InstanceRecord
        The frame's instance (``volume.geometry.frames[i].instance``).
    frame : int, optional
        Frame number within the instance (``volume.geometry.frames[i].frame``).
    study, patient : optional
        For the patient's age at the study (the gate's minimum age).
    """
    if not isinstance(values, np.ndarray):
        raise TypeError(f"values must be a numpy array, found {type(values).__name__}")
    if values.ndim == 2 and values.shape != (instance.rows, instance.columns):
        raise ValueError(
            f"values have shape {values.shape} but {instance.ref.display_name} has "
            f"{instance.rows} x {instance.columns} pixels"
        )
    if not 0 <= frame < max(1, instance.number_of_frames):
        raise ValueError(f"frame {frame} is outside 0..{instance.number_of_frames - 1}")
    if values.ndim == 2 and instance.photometric_interpretation.strip().upper() == "MONOCHROME1":
        if instance.complex_modality_lut:
            from pydicom import dcmread  # not at start-up: the window imports this module

            with instance.ref.open() as stream:
                header = dcmread(stream, force=True, stop_before_pixels=True)
            value_range = _range_from_dataset(header, frame, instance.ref.display_name)
        else:
            info = instance.frames[min(frame, len(instance.frames) - 1)]
            value_range = find_value_range(
                instance.bits_stored,
                instance.pixel_representation,
                info.rescale_slope,
                info.rescale_intercept,
            )
        values = apply_monochrome1_correction(values, value_range)
    return AnalysisImage(
        values=values,
        bits_stored=instance.bits_stored,
        facts=facts_from_records(instance, study, patient),
        sop_instance_uid=instance.sop_instance_uid or None,
        frame=frame,
        source=instance.ref.display_name,
    )
