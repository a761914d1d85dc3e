"""Volumes built in memory for the viewer tests: known values, known geometry, no files."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from core.dicom.geometry import compute_geometry
from core.dicom.overlays import DisplayHeader
from core.dicom.records import FileRef, FrameInfo, InstanceRecord, SeriesRecord, VoiWindow
from core.dicom.volume import Volume


def make_volume(
    array: np.ndarray,
    *,
    modality: str = "CT",
    pixel_spacing: tuple[float, float] | None = (0.5, 0.5),
    slice_spacing: float = 2.0,
    orientation: Sequence[float] | None = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0),
    origin_z: float = 0.0,
    windows: Sequence[tuple[float, float, str]] = (),
    photometric: str = "MONOCHROME2",
    loaded: np.ndarray | None = None,
    key: str = "1.2.3.4",
    slice_thickness: float | None = 2.0,
    finished: bool = True,
) -> Volume:
    """A Volume whose frame i lies at z = origin_z + i * slice_spacing (display order = i)."""
    frames = array.shape[0]
    orient = tuple(float(v) for v in orientation) if orientation is not None else None
    normal = np.cross(orient[:3], orient[3:]) if orient is not None else None
    instances = []
    for i in range(frames):
        position = None
        if orient is not None and normal is not None:
            p = np.asarray(normal) * (origin_z + i * slice_spacing)
            position = (float(p[0]), float(p[1]), float(p[2]))
        info = FrameInfo(
            position=position,
            orientation=orient,  # type: ignore[arg-type]
            pixel_spacing=pixel_spacing,
            slice_thickness=slice_thickness,
            windows=tuple(VoiWindow(c, w, name) for c, w, name in windows),
        )
        instances.append(
            InstanceRecord(
                ref=FileRef(f"/nonexistent/{key}/{i:04d}.dcm"),
                sop_class_uid="1.2.840.10008.5.1.4.1.1.2",
                sop_instance_uid=f"{key}.{i + 1}",
                transfer_syntax_uid="1.2.840.10008.1.2.1",
                modality=modality,
                instance_number=i + 1,
                rows=int(array.shape[1]),
                columns=int(array.shape[2]),
                number_of_frames=1,
                samples_per_pixel=3 if array.ndim == 4 else 1,
                photometric_interpretation="RGB" if array.ndim == 4 else photometric,
                bits_allocated=16,
                bits_stored=16,
                pixel_representation=1,
                frames=(info,),
            )
        )
    series = SeriesRecord(
        key=key,
        series_instance_uid=key,
        modality=modality,
        description="test series",
        series_number=3,
        instances=tuple(instances),
    )
    geometry = compute_geometry(series)
    flags = np.ones(frames, dtype=bool) if loaded is None else loaded
    volume = Volume(series=series, geometry=geometry, array=array, loaded=flags)
    if finished:
        volume.total_s = 1.0
    return volume


def make_header(**overrides: Any) -> DisplayHeader:
    values: dict[str, Any] = {
        "patient_name": "Doe, Jane",
        "patient_id": "PID-0042",
        "study_date": "20240131",
        "study_description": "CT CHEST",
        "series_description": "AXIAL 2mm",
        "series_number": 3,
        "modality": "CT",
        "frame_of_reference_uid": "1.2.3.999",
        "value_unit": "HU",
    }
    values.update(overrides)
    return DisplayHeader(**values)


def disc_phantom(
    size: int = 128,
    frames: int = 4,
    radius_px: float = 20.0,
    inside: int = 100,
    outside: int = -1000,
) -> np.ndarray:
    """int16 frames: a disc of ``inside`` HU centred in a field of ``outside`` HU."""
    yy, xx = np.mgrid[0:size, 0:size]
    centre = size / 2
    disc = (xx + 0.5 - centre) ** 2 + (yy + 0.5 - centre) ** 2 <= radius_px**2
    frame = np.where(disc, inside, outside).astype(np.int16)
    return np.repeat(frame[None], frames, axis=0)
