"""An Enhanced CT multi-frame object of the CT phantom, with its functional groups."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydicom import Dataset
from pydicom.sequence import Sequence as DicomSequence

from core.errors import UsageError
from core.synthetic.common import PathLike, check_choice, check_int, check_rng, seeded_uid
from core.synthetic.ct import CtPhantom
from core.synthetic.dicom_writer import (
    CHEST_CODE,
    ENHANCED_CT_IMAGE_STORAGE,
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
    study: SyntheticStudy | None = None,
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
    study : SyntheticStudy, optional
    series_number : int, optional

    Returns
    -------
    MultiFrameTruth
    """
    check_rng(rng)
    n = check_int("frames", frames, 2, 512)
    size = check_int("size", size, 32, 1024)
    check_choice(
        "pixel_value_transformation", pixel_value_transformation, ("shared", "per_frame", "both")
    )
    if not slice_thickness > 0:
        raise UsageError(f"slice_thickness must be positive, found {slice_thickness!r}")
    ts = check_transfer_syntax(transfer_syntax)
    path = Path(path)

    study = study if study is not None else make_study_context(rng)
    token = rng.bytes(16).hex()
    shuffled = bool(rng.random() < 0.5) if shuffle_frames is None else bool(shuffle_frames)
    order = rng.permutation(n) if shuffled else np.arange(n)  # stored frame -> stack index
    ps = round(float(rng.uniform(340.0, 420.0)) / size, 6)
    centre = (size - 1) / 2
    offsets = (np.arange(size) - centre) * ps
    fx, fy = float(rng.uniform(-8, 8)), float(rng.uniform(-40, 10))
    phantom = CtPhantom(rng, size, size, ps, offsets, offsets)
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
        positions.append(
            (float(format_ds(fx - centre * ps)), float(format_ds(fy - centre * ps)), z)
        )
    stored = np.empty((n, size, size), np.uint16)
    for k in range(n):
        stored[k] = np.clip(frames_hu[k].astype(np.int32) - int(intercepts[k]), 0, 65535)

    sop_uid = seeded_uid(token, "sop")
    series_uid = seeded_uid(token, "series")
    ds = base_dataset(
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
    ds.FrameOfReferenceUID = seeded_uid(token, "frame of reference")
    ds.PositionReferenceIndicator = ""
    ds.NumberOfFrames = n
    set_image_pixel(ds, size, size, 16, False, "MONOCHROME2")
    ds.PixelPresentation = "MONOCHROME"
    ds.VolumetricProperties = "VOLUME"
    ds.VolumeBasedCalculationTechnique = "NONE"
    ds.PresentationLUTShape = "IDENTITY"
    ds.BurnedInAnnotation = "NO"
    ds.LossyImageCompression = "00"
    ds.ContentQualification = "RESEARCH"
    ds.AcquisitionContextSequence = DicomSequence([])
    dim_uid = seeded_uid(token, "dimension organization")
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
                [_item(RescaleIntercept=format_ds(intercept), RescaleSlope="1", RescaleType="HU")]
            )
        )

    shared = _item(
        PixelMeasuresSequence=DicomSequence(
            [
                _item(
                    PixelSpacing=[format_ds(ps), format_ds(ps)],
                    SliceThickness=format_ds(slice_thickness),
                    SpacingBetweenSlices=format_ds(slice_thickness),
                )
            ]
        ),
        PlaneOrientationSequence=DicomSequence(
            [_item(ImageOrientationPatient=["1", "0", "0", "0", "1", "0"])]
        ),
        FrameAnatomySequence=DicomSequence(
            [
                _item(
                    AnatomicRegionSequence=DicomSequence([code_item(CHEST_CODE)]),
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
                [_item(ImagePositionPatient=[format_ds(c) for c in positions[k]])]
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
    write_dataset(ds, path, stored, ts)
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
