"""Argument checks, random streams, seeded UIDs and smooth fields shared by the phantoms.

Every phantom draws from a :class:`numpy.random.Generator` and nothing here reads the
wall clock, so the same seed gives the same values. UIDs come from
:func:`pydicom.uid.generate_uid` under pydicom's root with seed-derived entropy (a
SHA-512 hash, so they are reproducible).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from pydicom.uid import PYDICOM_ROOT_UID, generate_uid

from core.errors import UsageError

Array = npt.NDArray[Any]
FloatArray = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]
PathLike = str | Path


def check_rng(rng: object) -> np.random.Generator:
    """Return ``rng`` if it is a numpy Generator; raise TypeError otherwise."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, found {type(rng).__name__}")
    return rng


def check_int(name: str, value: object, low: int, high: int | None = None) -> int:
    """Return ``value`` as an int in ``low..high``; raise TypeError or UsageError otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an int, found {type(value).__name__}")
    number = int(value)
    if number < low or (high is not None and number > high):
        upper = "" if high is None else f"..{high}"
        raise UsageError(f"{name} must be in {low}{upper}, found {number}")
    return number


def check_choice(name: str, value: object, choices: Sequence[object]) -> Any:
    """Return ``value`` if it is one of ``choices``; raise UsageError otherwise."""
    if value not in choices:
        raise UsageError(f"{name} must be one of {list(choices)}, found {value!r}")
    return value


def check_size(value: object) -> tuple[int, int]:
    """Return ``(rows, cols)`` from a side or a pair, each 32..8192."""
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        rows = cols = int(value)
    elif isinstance(value, tuple | list) and len(value) == 2:
        rows = check_int("size[0]", value[0], 1)
        cols = check_int("size[1]", value[1], 1)
    else:
        raise TypeError(f"size must be an int or a (rows, columns) pair, found {value!r}")
    if min(rows, cols) < 32 or max(rows, cols) > 8192:
        raise UsageError(f"size must be 32..8192 pixels, found {rows}x{cols}")
    return rows, cols


def child_rng(rng: np.random.Generator) -> np.random.Generator:
    """A new generator seeded from ``rng`` (an independent stream)."""
    return np.random.default_rng(int(rng.integers(0, 2**63)))


def seeded_uid(token: str, *parts: object) -> str:
    """A UID derived from ``token`` and ``parts`` only (the same inputs, the same UID)."""
    # Not prefix=None: pydicom then ignores entropy_srcs and returns a random UUID.
    sources = [token, *(f"/{p}" for p in parts)]
    return str(generate_uid(prefix=PYDICOM_ROOT_UID, entropy_srcs=sources))


def smoothstep(x: Array) -> Array:
    """Cubic smoothstep of ``x`` clipped to 0..1."""
    t = np.clip(x, 0.0, 1.0)
    result: Array = t * t * (3.0 - 2.0 * t)
    return result


def smooth_noise(rng: np.random.Generator, shape: tuple[int, int], sigma: float) -> FloatArray:
    """Gaussian-filtered white noise (zero mean, unit std), filtered in Fourier space."""
    white = rng.standard_normal(shape, dtype=np.float32)
    fy = np.fft.fftfreq(shape[0]).astype(np.float32)[:, None]
    fx = np.fft.rfftfreq(shape[1]).astype(np.float32)[None, :]
    kernel = np.exp(-2.0 * (math.pi * sigma) ** 2 * (fx * fx + fy * fy))
    out = np.fft.irfft2(np.fft.rfft2(white) * kernel, s=shape)
    out -= out.mean()
    out /= float(out.std()) + 1e-12
    return out.astype(np.float32)
