"""AI results out as DICOM: a TID 1500 structured report and heatmap images.

MONAI Deploy's pattern: the findings of one analysis become a Comprehensive 3D SR
whose content is a Measurement Report (PS3.16 TID 1500) with one Measurements and
Qualitative Evaluations group (TID 1501) per finding: the probability as a
measurement (DCM 122157 "Probability", UCUM "1"), the verdict as a qualitative
evaluation (SCT Present / Indeterminate / Absent), the source image, and the
algorithm's name, version and parameters (TID 4019 Algorithm Identification: the
package SHA-256, the operating threshold, the demo banner) — house rule 9.
The observer is the device (TID 1004) named by the model.

A heatmap becomes a Secondary Capture image (PS3.3 A.8.1): the source frame as
displayed (its own VOI, MONOCHROME1 inverted) with the heatmap coloured over it,
RGB, the source's patient and study, Image Type DERIVED\\SECONDARY, and a Source
Image Sequence (PS3.3 C.7.6.1.1.4) and Referenced Image Sequence pointing at the
analysed SOP instance (and frame).

Files go into :func:`core.paths.export_dir` (house rule 6: never beside the source)
and are named by their new SOP Instance UID, so no patient data is in a file name.
A demo model's output says so in the series description and algorithm parameters.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt

from core.analysis.colormap import apply_heatmap_lut, make_heatmap_lut
from core.analysis.explain import describe_heatmap
from core.analysis.inference import AnalysisResult, Finding, Verdict
from core.analysis.manifest import DEMO_BANNER
from core.dicom.isolated_read import read_display_frame, read_header
from core.dicom.pixels import render_frame
from core.dicom.records import FileRef
from core.errors import UsageError
from core.paths import export_folder_for, write_private

if TYPE_CHECKING:
    from pydicom import Dataset

logger = logging.getLogger(__name__)

__all__ = [
    "ExportedFiles",
    "apply_heatmap_overlay",
    "export_analysis",
    "make_findings_sr",
    "make_heatmap_image",
]

MANUFACTURER: Final = "RadAssist"
#: Private coding scheme for model labels (PS3.16 8.2: "99" prefix is local).
LABEL_SCHEME: Final = "99RADASSIST"
_DEMO_SHORT: Final = "DEMO MODEL - NOT FOR CLINICAL USE"
_SR_SERIES_NUMBER: Final = 9901
_HEATMAP_SERIES_NUMBER: Final = 9902
_OVERLAY_OPACITY: Final = 0.6


@dataclass(frozen=True)
class ExportedFiles:
    """What :func:`export_analysis` wrote."""

    report: Path
    heatmaps: tuple[Path, ...]


def _check_result(result: object) -> AnalysisResult:
    if not isinstance(result, AnalysisResult):
        raise TypeError(f"result must be an AnalysisResult, found {type(result).__name__}")
    if result.skipped is not None:
        raise UsageError(f"nothing to export: the model was not run ({result.skipped})")
    return result


def _check_source(source: object, result: AnalysisResult) -> Dataset:
    from pydicom import Dataset

    if not isinstance(source, Dataset):
        raise TypeError(f"source must be a pydicom Dataset, found {type(source).__name__}")
    uid = str(source.get("SOPInstanceUID") or "")
    if not uid:
        raise UsageError("the source dataset has no SOP Instance UID to reference")
    if result.sop_instance_uid is not None and uid != result.sop_instance_uid:
        raise UsageError("the result was computed for another SOP instance than this source")
    return source


def _label_code(label: str) -> Any:
    from highdicom.sr import CodedConcept

    # Code Value is SH (16 chars): the label's own text when it fits.
    value = "".join(ch for ch in label.upper() if ch.isalnum())[:16] or "LABEL"
    return CodedConcept(value=value, scheme_designator=LABEL_SCHEME, meaning=label[:64])


def _verdict_code(verdict: Verdict) -> Any:
    from pydicom.sr.codedict import codes

    return {
        Verdict.POSITIVE: codes.SCT.Present,
        Verdict.INDETERMINATE: codes.SCT.Indeterminate,
        Verdict.NEGATIVE: codes.SCT.Absent,
    }[verdict]


def _algorithm(result: AnalysisResult, extra: Sequence[str] = ()) -> Any:
    from highdicom.sr import AlgorithmIdentification

    parameters = [f"model sha256 {result.model_sha256}", *extra]
    if result.is_demo:
        parameters.append(DEMO_BANNER)
    return AlgorithmIdentification(
        name=result.model_name[:64],
        version=result.model_version[:64],
        parameters=parameters,
        manufacturer=MANUFACTURER,
    )


def _procedure(source: Dataset) -> Any:
    from highdicom.sr import CodedConcept
    from pydicom.sr.codedict import codes

    modality = str(source.get("Modality") or "").upper()
    body = str(source.get("BodyPartExamined") or "").upper()
    if modality in ("CR", "DX") and body in ("CHEST", ""):
        return CodedConcept("399208008", "SCT", "Plain X-ray of chest")
    return codes.SCT.Imaging


def make_findings_sr(
    result: AnalysisResult,
    source: Dataset,
    *,
    series_instance_uid: str | None = None,
    evidence: Sequence[Dataset] = (),
) -> Dataset:
    """Build the TID 1500 report of one analysis (not written).

    Parameters
    ----------
    result : AnalysisResult
        A result of a model that ran (not skipped).
    source : pydicom.Dataset
        The analysed image (its header is enough): patient, study and the
        referenced SOP instance come from it.
    series_instance_uid : str, optional
        Series of the report (new by default).
    evidence : sequence of Dataset, optional
        Further instances the report should list as evidence (heatmap images).

    Returns
    -------
    highdicom.sr.Comprehensive3DSR
    """
    import highdicom as hd
    from pydicom.sr.codedict import codes
    from pydicom.uid import generate_uid

    result = _check_result(result)
    source = _check_source(source, result)
    frame_numbers = [result.frame + 1] if int(source.get("NumberOfFrames") or 1) > 1 else None
    observer = hd.sr.ObserverContext(
        observer_type=codes.DCM.Device,
        observer_identifying_attributes=hd.sr.DeviceObserverIdentifyingAttributes(
            # The same device UID for every report of one package.
            uid=generate_uid(entropy_srcs=[result.model_sha256]),
            name=result.model_display_name[:64],
            manufacturer_name=MANUFACTURER,
            model_name=result.model_name[:64],
        ),
    )
    context = hd.sr.ObservationContext(observer_device_context=observer)
    groups = []
    for finding in result.findings:
        algorithm = _algorithm(result, [f"operating threshold {finding.threshold:.6g}"])
        source_image = hd.sr.SourceImageForMeasurementGroup.from_source_image(
            source, referenced_frame_numbers=frame_numbers
        )
        probability = hd.sr.Measurement(
            name=codes.DCM.Probability,
            value=float(finding.probability),
            unit=codes.UCUM.NoUnits,
            algorithm_id=algorithm,
        )
        evaluation = hd.sr.QualitativeEvaluation(
            name=_label_code(finding.label), value=_verdict_code(finding.verdict)
        )
        groups.append(
            hd.sr.MeasurementsAndQualitativeEvaluations(
                tracking_identifier=hd.sr.TrackingIdentifier(
                    uid=generate_uid(), identifier=finding.label[:64]
                ),
                finding_type=_label_code(finding.label),
                algorithm_id=algorithm,
                measurements=[probability],
                qualitative_evaluations=[evaluation],
                source_images=[source_image],
            )
        )
    report = hd.sr.MeasurementReport(
        observation_context=context,
        procedure_reported=_procedure(source),
        imaging_measurements=groups,
    )
    description = "AI findings " + result.model_display_name
    if result.is_demo:
        description = f"{_DEMO_SHORT}: {description}"
    sr = hd.sr.Comprehensive3DSR(
        evidence=[source, *evidence],
        content=report,
        series_instance_uid=series_instance_uid or generate_uid(),
        series_number=_SR_SERIES_NUMBER,
        sop_instance_uid=generate_uid(),
        instance_number=1,
        manufacturer=MANUFACTURER,
        is_complete=True,
        is_final=False,  # preliminary until a person reviews it (house rule 9)
        is_verified=False,
        record_evidence=True,
    )
    sr.SeriesDescription = description[:64]
    sr.SpecificCharacterSet = "ISO_IR 192"  # labels and the demo banner may not be ASCII
    return sr


def apply_heatmap_overlay(
    display: npt.NDArray[np.uint8], heatmap: npt.NDArray[Any], opacity: float = _OVERLAY_OPACITY
) -> npt.NDArray[np.uint8]:
    """Blend a heatmap, coloured with the viewer's jet table, over a displayed image.

    Parameters
    ----------
    display : numpy.ndarray
        ``(rows, cols)`` grey or ``(rows, cols, 3)`` RGB ``uint8`` as shown.
    heatmap : numpy.ndarray
        ``(rows, cols)`` scores (scaled to its maximum).
    opacity : float, optional
        0 (image only) to 1.

    Returns
    -------
    numpy.ndarray
        ``(rows, cols, 3)`` ``uint8`` RGB.
    """

    if not isinstance(display, np.ndarray) or display.dtype != np.uint8:
        raise TypeError("display must be a uint8 numpy array")
    if display.ndim not in (2, 3) or display.shape[:2] != np.shape(heatmap):
        raise ValueError(
            f"display {display.shape} and heatmap {np.shape(heatmap)} must have the same size"
        )
    if not 0.0 <= float(opacity) <= 1.0:
        raise ValueError(f"opacity must be in [0, 1], found {opacity}")
    argb = apply_heatmap_lut(np.asarray(heatmap), make_heatmap_lut("jet"))
    alpha = ((argb >> 24) & 0xFF).astype(np.float32) / 255.0 * float(opacity)
    colour = np.stack([(argb >> s) & 0xFF for s in (16, 8, 0)], axis=-1).astype(np.float32)
    base = display.astype(np.float32)
    if base.ndim == 2:
        base = np.repeat(base[..., None], 3, axis=-1)
    # The table is premultiplied: colour already carries the table's alpha.
    out = base * (1.0 - alpha[..., None]) + colour * float(opacity)
    blended: npt.NDArray[np.uint8] = np.clip(np.rint(out), 0, 255).astype(np.uint8)
    return blended


def make_heatmap_image(
    result: AnalysisResult,
    finding: Finding,
    source: Dataset,
    *,
    series_instance_uid: str | None = None,
    instance_number: int = 1,
    opacity: float = _OVERLAY_OPACITY,
    display: npt.NDArray[np.uint8] | None = None,
) -> Dataset:
    """Build a Secondary Capture image of one finding's heatmap over its source.

    Parameters
    ----------
    result : AnalysisResult
    finding : Finding
        One of ``result.findings``, with a heatmap.
    source : pydicom.Dataset
        The analysed image: its header, and its pixel data unless ``display`` is given.
    display : numpy.ndarray, optional
        The analysed frame as displayed (:func:`core.dicom.isolated_read.read_display_frame`),
        drawn underneath; by default ``source``'s pixels are rendered here.

    Returns
    -------
    highdicom.sc.SCImage
    """
    import highdicom as hd
    from pydicom import Dataset
    from pydicom.sequence import Sequence as DicomSequence
    from pydicom.uid import generate_uid

    result = _check_result(result)
    source = _check_source(source, result)
    if not isinstance(finding, Finding):
        raise TypeError(f"finding must be a Finding, found {type(finding).__name__}")
    if finding.heatmap is None:
        raise UsageError(f"finding {finding.label!r} has no heatmap (only positive findings do)")
    if display is None:
        display = render_frame(source, result.frame)
    pixels = apply_heatmap_overlay(display, finding.heatmap, opacity)
    orientation = source.get("PatientOrientation")
    sc = hd.sc.SCImage.from_ref_dataset(
        ref_dataset=source,
        pixel_array=pixels,
        photometric_interpretation="RGB",
        bits_allocated=8,
        coordinate_system="PATIENT",
        series_instance_uid=series_instance_uid or generate_uid(),
        series_number=_HEATMAP_SERIES_NUMBER,
        sop_instance_uid=generate_uid(),
        instance_number=instance_number,
        manufacturer=MANUFACTURER,
        patient_orientation=tuple(orientation) if orientation and len(orientation) == 2 else None,
        transfer_syntax_uid="1.2.840.10008.1.2.1",
    )
    sc.ImageType = ["DERIVED", "SECONDARY"]
    method = describe_heatmap(result.heatmap_method, finding.faithfulness)
    sc.DerivationDescription = (
        f"{method} of {finding.label} (p={finding.probability:.3f}, threshold "
        f"{finding.threshold:.3f}, {finding.verdict}) by {result.model_display_name}"
    )[:1024]
    reference = Dataset()
    reference.ReferencedSOPClassUID = source.SOPClassUID
    reference.ReferencedSOPInstanceUID = source.SOPInstanceUID
    if int(source.get("NumberOfFrames") or 1) > 1:
        reference.ReferencedFrameNumber = result.frame + 1
    purpose = Dataset()
    purpose.CodeValue = "121322"
    purpose.CodingSchemeDesignator = "DCM"
    purpose.CodeMeaning = "Source image for image processing operation"
    reference.PurposeOfReferenceCodeSequence = DicomSequence([purpose])
    sc.SourceImageSequence = DicomSequence([reference])
    referenced = Dataset()
    referenced.ReferencedSOPClassUID = source.SOPClassUID
    referenced.ReferencedSOPInstanceUID = source.SOPInstanceUID
    sc.ReferencedImageSequence = DicomSequence([referenced])
    description = f"AI heatmap {finding.label}"
    comments = f"{method} by {result.model_display_name}"
    if result.is_demo:
        description = f"{_DEMO_SHORT}: {description}"
        comments = f"{comments}. {DEMO_BANNER}"
    sc.SeriesDescription = description[:64]
    sc.ImageComments = comments[:10240]
    sc.SpecificCharacterSet = "ISO_IR 192"  # labels and the demo banner may not be ASCII
    sc.BurnedInAnnotation = "NO"
    return sc


def export_analysis(
    result: AnalysisResult,
    source: Dataset | str | PathLike[str],
    out_dir: str | PathLike[str] | None = None,
    *,
    display: npt.NDArray[np.uint8] | None = None,
) -> ExportedFiles:
    """Write one analysis as DICOM: a heatmap image per heatmap, then the report.

    Parameters
    ----------
    result : AnalysisResult
    source : pydicom.Dataset or path
        The analysed image. A path is read here, read-only: its header in this
        process, its pixels in a decoder worker (house rule 4).
    out_dir : str or Path, optional
        Default :func:`core.paths.export_dir`; refused inside the source's folder
        (:func:`core.paths.export_folder_for`).
    display : numpy.ndarray, optional
        The analysed frame as displayed, under the heatmaps (see
        :func:`make_heatmap_image`); then ``source`` needs no pixel data.

    Raises
    ------
    DicomReadError, PixelDataError
        ``source`` is a path whose header or pixels cannot be read.

    Returns
    -------
    ExportedFiles
        Paths of the report and of the heatmap images.
    """
    from pydicom import Dataset
    from pydicom.uid import generate_uid

    result = _check_result(result)
    # House rule 6: never into the folder the analysed file came from.
    folder = export_folder_for(
        out_dir, [Path(source).parent] if isinstance(source, str | PathLike) else []
    )
    if isinstance(source, str | PathLike):
        ref = FileRef(str(source))
        source = read_header(ref)[0]
        if display is None and any(f.heatmap is not None for f in result.findings):
            display = read_display_frame(ref, result.frame)
    if not isinstance(source, Dataset):
        raise TypeError(f"source must be a Dataset or a path, found {type(source).__name__}")
    heatmap_series = generate_uid()
    images = []
    paths = []
    for number, finding in enumerate(
        (f for f in result.findings if f.heatmap is not None), start=1
    ):
        image = make_heatmap_image(
            result,
            finding,
            source,
            series_instance_uid=heatmap_series,
            instance_number=number,
            display=display,
        )
        path = write_private(folder / f"HM_{image.SOPInstanceUID}.dcm", _encoded(image))
        images.append(image)
        paths.append(path)
    report = make_findings_sr(result, source, evidence=images)
    report_path = write_private(folder / f"SR_{report.SOPInstanceUID}.dcm", _encoded(report))
    logger.info("exported AI findings report and %d heatmap image(s)", len(paths))
    return ExportedFiles(report=report_path, heatmaps=tuple(paths))


def _encoded(dataset: Any) -> bytes:
    """A dataset as the bytes of a DICOM file (written owner-only by the caller: rule 8)."""
    from io import BytesIO

    buffer = BytesIO()
    dataset.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()
