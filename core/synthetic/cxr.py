"""Chest radiographs written as CR or DX (For Presentation) with their ground truth."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
from pydicom.sequence import Sequence as DicomSequence

from core.errors import UsageError
from core.synthetic.common import (
    PathLike,
    check_choice,
    check_int,
    check_rng,
    check_size,
    seeded_uid,
)
from core.synthetic.cxr_phantom import CXR_VIEWS, LESION_LABELS, Lesion, make_cxr_pixels
from core.synthetic.dicom_writer import (
    CHEST_CODE,
    CR_IMAGE_STORAGE,
    DX_IMAGE_STORAGE_FOR_PRESENTATION,
    base_dataset,
    check_transfer_syntax,
    code_item,
    format_ds,
    set_image_pixel,
    write_dataset,
)
from core.synthetic.study import SyntheticStudy, make_study_context

logger = logging.getLogger(__name__)


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
    study: SyntheticStudy | None = None,
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
    study : SyntheticStudy, optional
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
    check_rng(rng)
    check_choice("modality", modality, ("CR", "DX"))
    check_choice("view", view, CXR_VIEWS)
    check_choice("monochrome", monochrome, (1, 2))
    check_int("bits_stored", bits_stored, 12, 16)
    rows, cols = check_size(size)
    ts = check_transfer_syntax(transfer_syntax)
    check_int("series_number", series_number, 0)
    check_int("instance_number", instance_number, 1)
    intercept = check_int("rescale_intercept", rescale_intercept, -(2**15))
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
    sop_uid = seeded_uid(token, "sop")
    series = series_uid if series_uid is not None else seeded_uid(token, "series")
    ds = base_dataset(
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
    ds.KVP = format_ds(120.0 if view == "LL" else 110.0 if view == "PA" else 90.0)
    ds.DistanceSourceToDetector = format_ds(sid)
    ds.ExposureTime = int(rng.integers(5, 40))
    ds.XRayTubeCurrent = int(rng.integers(100, 400))
    ds.ImagerPixelSpacing = [format_ds(spacing), format_ds(spacing)]
    set_image_pixel(ds, rows, cols, bits_stored, False, photometric)
    ds.BurnedInAnnotation = "NO"
    ds.LossyImageCompression = "00"
    ds.RescaleIntercept = format_ds(intercept)
    ds.RescaleSlope = "1"
    ds.RescaleType = "US"
    ds.WindowCenter = [format_ds(c) for c in centers]
    ds.WindowWidth = [format_ds(w) for w in widths]
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
        ds.DistanceSourceToPatient = format_ds(sod)
        ds.EstimatedRadiographicMagnificationFactor = format_ds(magnification)
        ds.AnatomicRegionSequence = DicomSequence([code_item(CHEST_CODE)])
        ds.AcquisitionContextSequence = DicomSequence([])
    else:
        ds.PixelSpacing = [format_ds(spacing), format_ds(spacing)]
    path.parent.mkdir(parents=True, exist_ok=True)
    write_dataset(ds, path, stored, ts)
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
