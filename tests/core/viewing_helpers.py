"""A CT volume built in memory for the viewing tests: known values and geometry, no files."""

from __future__ import annotations

import numpy as np

from core.dicom.geometry import compute_geometry
from core.dicom.records import FileRef, FrameInfo, InstanceRecord, SeriesRecord
from core.dicom.volume import Volume


def make_ct_volume(key: str = "1.2.3", frames: int = 3, spacing: float = 0.5) -> Volume:
    """CT frames of 100 HU, 64 × 64 pixels of ``spacing`` mm, frame i at z = 2 i."""
    instances = []
    for i in range(frames):
        info = FrameInfo(
            position=(0.0, 0.0, 2.0 * i),
            orientation=(1.0, 0.0, 0.0, 0.0, 1.0, 0.0),
            pixel_spacing=(spacing, spacing),
            slice_thickness=2.0,
        )
        instances.append(
            InstanceRecord(
                ref=FileRef(f"/nonexistent/{key}/{i}.dcm"),
                sop_class_uid="1.2.840.10008.5.1.4.1.1.2",
                sop_instance_uid=f"{key}.{i + 1}",
                transfer_syntax_uid="1.2.840.10008.1.2.1",
                modality="CT",
                instance_number=i + 1,
                rows=64,
                columns=64,
                number_of_frames=1,
                samples_per_pixel=1,
                photometric_interpretation="MONOCHROME2",
                bits_allocated=16,
                bits_stored=16,
                pixel_representation=1,
                frames=(info,),
            )
        )
    series = SeriesRecord(
        key=key,
        series_instance_uid=key,
        modality="CT",
        description="test",
        series_number=1,
        instances=tuple(instances),
    )
    array = np.full((frames, 64, 64), 100, dtype=np.int16)
    return Volume(
        series=series,
        geometry=compute_geometry(series),
        array=array,
        loaded=np.ones(frames, dtype=bool),
    )
