"""Anatomy of the chest radiograph phantom: lungs, heart, body, bones and vessel markings.

Shapes live in normalised image coordinates (``u`` across, -1..1; ``v`` down, 0..1)
and are evaluated as attenuation fields (arbitrary units) that
:func:`core.synthetic.cxr_phantom.make_cxr_pixels` adds up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from core.synthetic.common import Array, FloatArray, smooth_noise, smoothstep


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


def draw_anatomy(rng: np.random.Generator, view: str) -> _ChestAnatomy:
    """Draw the chest's shapes (lungs, heart, body, bones) for ``view``."""

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


class ChestFields:
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
        field = smooth_noise(rng, (rows, cols), sigma=max(rows, cols) * 0.009)
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
            self.extra -= 0.10 * trachea * (1.0 - smoothstep((v - 0.36) / 0.04))

    def _body(self) -> FloatArray:
        a, u, v = self.anat, self.u, self.v
        ramp = smoothstep((v - (a.shoulder_v - 0.09)) / 0.16)
        if a.view == "LL":
            front = -a.neck_half + 0.05 + (a.body_front + a.neck_half - 0.05) * ramp
            back = a.neck_half + 0.15 + (a.body_back - a.neck_half - 0.15) * ramp
            mid, half = (front + back) / 2, (back - front) / 2
        else:
            mid = np.full_like(v, a.cx)
            half = a.neck_half + (-a.body_front - a.neck_half) * ramp
            half = half * (1.0 - 0.05 * smoothstep((v - 0.8) / 0.2))
        chord = np.sqrt(np.clip(1.0 - ((u - mid) / half) ** 2, 0.0, 1.0))
        body = a.thickness * chord
        if a.view != "LL":  # arms beside the chest, rounded over the shoulders
            arm = np.sqrt(np.clip(1.0 - ((np.abs(u - a.cx) - 0.98) / 0.1) ** 2, 0.0, 1.0))
            top = smoothstep((v - a.shoulder_v + 0.03) / 0.06)
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
        chord = np.sqrt(np.clip(1.0 - q, 0.0, 1.0)) * (0.55 + 0.45 * smoothstep(t / 0.35))
        q_side = (s / width).astype(np.float32) ** 2
        return _LungField(s=s, t=t, q=q, q_side=q_side, chord=chord.astype(np.float32))

    def _rib_arc(self, v_of_x: Array, x: Array, thick: float, amp: float) -> Array:
        dv = (self.v - v_of_x) / thick
        outer = np.sqrt(np.clip(1.0 - dv * dv, 0.0, 1.0))
        inner = np.sqrt(np.clip(1.0 - (dv / 0.6) ** 2, 0.0, 1.0))
        fade = smoothstep(x / 0.05) * smoothstep((1.0 - x) / 0.12)
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
