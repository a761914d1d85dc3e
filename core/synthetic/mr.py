"""The ellipsoid head phantom and the 2-D spin-echo MR series writer.

Patient coordinates follow DICOM (LPS, PS3.3 C.7.6.2.1.1).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Final, Literal

import numpy as np
from pydicom.uid import UID

from core.errors import UsageError
from core.synthetic.common import (
    Array,
    FloatArray,
    PathLike,
    check_choice,
    check_int,
    check_rng,
    seeded_uid,
    smooth_noise,
)
from core.synthetic.dicom_writer import (
    MR_IMAGE_STORAGE,
    base_dataset,
    check_transfer_syntax,
    format_ds,
    set_image_pixel,
    write_dataset,
)
from core.synthetic.series import SliceTruth, file_names, index_along_normal, instance_numbers
from core.synthetic.study import SyntheticStudy, make_study_context

logger = logging.getLogger(__name__)


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


def write_mr_series_with_truth(
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
    study: SyntheticStudy | None,
    series_number: int,
) -> list[tuple[Path, SliceTruth]]:
    """Write an MR series as :func:`write_mr_series` does; return each file with its truth.

    The pairs are ordered along the slice normal.
    """
    check_rng(rng)
    n = check_int("slices", slices, 1, 1024)
    size = check_int("size", size, 32, 1024)
    check_choice("orientation", orientation, tuple(_MR_PLANES))
    check_choice("weighting", weighting, ("T1", "T2"))
    if not slice_thickness > 0:
        raise UsageError(f"slice_thickness must be positive, found {slice_thickness!r}")
    step = float(slice_thickness * 1.2 if spacing is None else spacing)
    if not step > 0:
        raise UsageError(f"spacing must be positive, found {spacing!r}")
    ts = check_transfer_syntax(transfer_syntax)
    out = Path(out_dir)

    study = study if study is not None else make_study_context(rng)
    token = rng.bytes(16).hex()
    order, numbers = instance_numbers(rng, n, instance_order)
    names = file_names(rng, numbers, shuffled_names)
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
        0.12 * smooth_noise(rng, (size, size), sigma=size / 4.0) * np.float32(1.0)
    ).astype(np.float32)
    t2 = weighting == "T2"
    scale = 1.6
    sigma = float(rng.uniform(8.0, 16.0))

    series_uid = seeded_uid(token, "series")
    iop = tuple(float(v) for v in (*row_dir, *col_dir))
    ds = base_dataset(
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
    ds.SliceThickness = format_ds(slice_thickness)
    ds.SpacingBetweenSlices = format_ds(step)
    ds.PatientPosition = "HFS"
    ds.FrameOfReferenceUID = seeded_uid(token, "frame of reference")
    ds.PositionReferenceIndicator = ""
    ds.ImageOrientationPatient = [format_ds(v) for v in iop]
    ds.PixelSpacing = [format_ds(ps), format_ds(ps)]
    set_image_pixel(ds, size, size, 12, False, "MONOCHROME2")
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
        ds.WindowCenter = format_ds(round((p1 + p99) / 2))
        ds.WindowWidth = format_ds(max(round(p99 - p1), 2))
        sop_uid = seeded_uid(token, "sop", i)
        ds.SOPInstanceUID = sop_uid
        ds.file_meta.MediaStorageSOPInstanceUID = UID(sop_uid)
        ds.InstanceNumber = int(numbers[i])
        position = tuple(float(format_ds(p)) for p in origin)
        ds.ImagePositionPatient = [format_ds(p) for p in origin]
        ds.SliceLocation = format_ds(float(np.dot(plane_centre, normal)))
        path = out / names[i]
        write_dataset(ds, path, stored, ts)
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
    return index_along_normal(acquired)


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
    study: SyntheticStudy | None = None,
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
    study : SyntheticStudy, optional
    series_number : int, optional

    Returns
    -------
    list of Path
        The files, ordered along the slice normal.
    """
    pairs = write_mr_series_with_truth(
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
