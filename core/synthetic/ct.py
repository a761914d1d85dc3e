"""The axial CT body phantom (HU) and the CT series writer.

Patient coordinates follow DICOM (LPS, PS3.3 C.7.6.2.1.1).
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
from pydicom.uid import UID

from core.errors import UsageError
from core.synthetic.common import (
    Array,
    PathLike,
    check_choice,
    check_int,
    check_rng,
    seeded_uid,
    smooth_noise,
)
from core.synthetic.dicom_writer import (
    CT_IMAGE_STORAGE,
    base_dataset,
    check_transfer_syntax,
    format_ds,
    set_image_pixel,
    write_dataset,
)
from core.synthetic.series import SliceTruth, file_names, index_along_normal, instance_numbers
from core.synthetic.study import SyntheticStudy, make_study_context

logger = logging.getLogger(__name__)


class CtPhantom:
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
            field = smooth_noise(rng, (rows, cols), sigma=2.2 / pixel_spacing)
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


def write_ct_series_with_truth(
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
    study: SyntheticStudy | None = None,
    series_number: int = 1,
) -> list[tuple[Path, SliceTruth]]:
    """Write a CT series as :func:`write_ct_series` does; return each file with its truth.

    The pairs are ordered along the slice normal.
    """
    check_rng(rng)
    n = check_int("slices", slices, 1, 4096)
    size = check_int("size", size, 32, 2048)
    if not slice_thickness > 0:
        raise UsageError(f"slice_thickness must be positive, found {slice_thickness!r}")
    step = float(slice_thickness if spacing is None else spacing)
    if not step > 0:
        raise UsageError(f"spacing must be positive, found {spacing!r}")
    if not -30.0 <= tilt <= 30.0:
        raise UsageError(f"tilt must be -30..30 degrees, found {tilt!r}")
    ts = check_transfer_syntax(transfer_syntax)
    out = Path(out_dir)

    study = study if study is not None else make_study_context(rng)
    token = rng.bytes(16).hex()
    signed = bool(rng.integers(2)) if pixel_representation is None else pixel_representation == 1
    check_choice("pixel_representation", pixel_representation, (None, 0, 1))
    bits = int(rng.choice([12, 16])) if bits_stored is None else bits_stored
    check_choice("bits_stored", bits, (12, 16))
    pad = bool(rng.random() < 0.5) if padding is None else bool(padding)
    ps = (
        float(pixel_spacing)
        if pixel_spacing is not None
        else round(float(rng.uniform(340.0, 420.0)) / size, 6)
    )
    order, numbers = instance_numbers(rng, n, instance_order)
    names = file_names(rng, numbers, shuffled_names)
    head_first = bool(rng.random() < 0.7)  # acquisition runs toward the feet (z falls)

    # Reconstruction centre (patient mm) and the body's offset from it.
    fx, fy = float(rng.uniform(-8, 8)), float(rng.uniform(-40, 10))
    bx, by = fx + float(rng.uniform(-10, 10)), fy + float(rng.uniform(-15, 15))
    theta = math.radians(tilt)
    cos_t, sin_t = math.cos(theta), math.sin(theta)
    centre = (size - 1) / 2
    offsets = (np.arange(size) - centre) * ps
    phantom = CtPhantom(rng, size, size, ps, offsets + fx - bx, offsets * cos_t + fy - by)
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
    series_uid = seeded_uid(token, "series")
    orientation = (1.0, 0.0, 0.0, 0.0, cos_t, -sin_t)
    ds = base_dataset(
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
    ds.SliceThickness = format_ds(slice_thickness)
    ds.KVP = "120"
    ds.DataCollectionDiameter = "500"
    ds.ReconstructionDiameter = format_ds(ps * size)
    ds.GantryDetectorTilt = format_ds(tilt)
    ds.TableHeight = format_ds(150.0 - fy)
    ds.RotationDirection = "CW"
    ds.ExposureTime = "500"
    ds.XRayTubeCurrent = int(rng.integers(80, 400))
    ds.ConvolutionKernel = "STANDARD"
    ds.PatientPosition = "HFS"
    ds.FrameOfReferenceUID = seeded_uid(token, "frame of reference")
    ds.PositionReferenceIndicator = ""
    ds.AcquisitionNumber = 1
    ds.ImageOrientationPatient = [format_ds(v) for v in orientation]
    ds.PixelSpacing = [format_ds(ps), format_ds(ps)]
    set_image_pixel(ds, size, size, bits, signed, "MONOCHROME2")
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
        sop_uid = seeded_uid(token, "sop", i)
        ds.SOPInstanceUID = sop_uid
        ds.file_meta.MediaStorageSOPInstanceUID = UID(sop_uid)
        ds.InstanceNumber = int(numbers[i])
        ds.ImagePositionPatient = [format_ds(p) for p in position]
        ds.SliceLocation = format_ds(z)
        path = out / names[i]
        write_dataset(ds, path, stored, ts)
        truth = SliceTruth(
            modality="CT",
            study_uid=study.study_uid,
            series_uid=series_uid,
            sop_instance_uid=sop_uid,
            slice_index=0,
            slice_count=n,
            instance_number=int(numbers[i]),
            position=tuple(float(format_ds(p)) for p in position),  # type: ignore[arg-type]
            orientation=orientation,
            transfer_syntax=str(ts),
        )
        normal_projection = position[1] * sin_t + position[2] * cos_t
        acquired.append((normal_projection, path, truth))
    logger.debug("wrote synthetic CT series of %d slices (%s instance order)", n, order)
    return index_along_normal(acquired)


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
    study: SyntheticStudy | None = None,
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
    study : SyntheticStudy, optional
        Drawn when None.
    series_number : int, optional

    Returns
    -------
    list of Path
        The files, ordered along the slice normal (increasing z).
    """
    pairs = write_ct_series_with_truth(
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
