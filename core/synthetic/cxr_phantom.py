"""The chest radiograph phantom: lesions drawn into the anatomy and the rendered image.

Pixel coordinates are ``(row, col)`` of the image as written. The generator is split
into independent streams for anatomy, texture, lesions and noise, so the same state
with and without lesions gives the same image except where the lesions are.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np

from core.errors import UsageError
from core.synthetic.common import (
    Array,
    BoolArray,
    FloatArray,
    check_choice,
    check_rng,
    check_size,
    smooth_noise,
    smoothstep,
)
from core.synthetic.cxr_anatomy import ChestFields, draw_anatomy

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
        check_choice("label", self.label, LESION_LABELS)
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
    rng: np.random.Generator, fields: ChestFields, aerated: Array, margin: float, lung: int | None
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


def _nearest_lung(fields: ChestFields, col: float) -> int:
    u = (col + 0.5) / (fields.cols / 2) - 1.0
    return int(np.argmin([abs(u - lung.uc) for lung in fields.anat.lungs]))


def _draw_nodule_or_mass(
    rng: np.random.Generator, fields: ChestFields, lesion: Lesion
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
    rng: np.random.Generator, fields: ChestFields, lesion: Lesion, aerated: Array
) -> FloatArray:
    dist, _ = _disc_grid(fields.rows, fields.cols, lesion.center)
    patch = smooth_noise(rng, (fields.rows, fields.cols), sigma=max(lesion.radius / 3.0, 1.5))
    patchy = np.clip(0.75 + 0.3 * patch, 0.3, 1.0)
    edge = smoothstep((1.0 - dist / lesion.radius) / 0.5)
    frac = float(rng.uniform(0.35, 0.7))
    # Consolidation replaces alveolar air, so it shows only where lung is.
    air = np.maximum(aerated, 0.25 * np.clip(aerated * 4, 0.0, 1.0))
    delta: Array = frac * fields.anat.lung_air * air * edge * patchy
    return delta.astype(np.float32)


def _draw_effusion(
    rng: np.random.Generator, fields: ChestFields, lung_index: int, depth: float, aerated: Array
) -> FloatArray:
    lung = fields.lungs[lung_index]
    level = 1.0 - depth
    meniscus = float(rng.uniform(0.10, 0.20))
    top = level - meniscus * ((np.clip(lung.s, -1.0, 1.0) + 1.0) / 2.0) ** 2
    # Fluid layers in the costophrenic recess and climbs the lateral wall (meniscus).
    fluid = smoothstep((lung.t - top) / 0.05) * smoothstep((1.08 - lung.q_side) / 0.08)
    fluid = fluid * smoothstep((1.04 - lung.t) / 0.04)
    delta = fluid * (fields.anat.lung_air * aerated + 0.1 * np.clip(aerated * 5.0, 0.0, 1.0))
    return delta.astype(np.float32)


def _draw_pneumothorax(
    rng: np.random.Generator, fields: ChestFields, lung_index: int, width: float, aerated: Array
) -> FloatArray:
    lung = fields.lungs[lung_index]
    q_in = (1.0 - width) ** 2
    t_max = float(rng.uniform(0.45, 0.7))
    zone = smoothstep((lung.q - q_in) / 0.04) * (lung.q < 1.0)
    zone = zone * smoothstep((t_max - lung.t) / 0.06) * smoothstep((lung.s + 0.25) / 0.15)
    line_gate = smoothstep((t_max - lung.t) / 0.06) * smoothstep((lung.s + 0.25) / 0.15)
    pleural_line = np.exp(-(((lung.q - q_in) / 0.015) ** 2)) * line_gate * (lung.t > 0)
    lucency = float(rng.uniform(0.12, 0.2))
    gate = np.clip(aerated * 2.5, 0.0, 1.0)
    delta: Array = -zone * (lucency + fields.markings * gate) + 0.05 * pleural_line
    return delta.astype(np.float32)


_LesionPlan = tuple[str, tuple[float, float], float, int]  # label, center, size, lung


def _plan_random_lesions(
    rng: np.random.Generator, fields: ChestFields, aerated: Array
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
    check_rng(rng)
    rows, cols = check_size(size)
    check_choice("view", view, CXR_VIEWS)
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
    anat = draw_anatomy(anatomy_rng, view)
    fields = ChestFields(anat, rows, cols, texture_rng)
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
    mottle = smooth_noise(noise_rng, (rows, cols), sigma=1.2)
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
