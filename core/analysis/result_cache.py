"""The analysis result cache: in memory, and on disk encrypted at rest.

Results are cached per (package SHA-256, SOP Instance UID, frame, heatmap method):
in memory (the newest 64), and on disk under ``user_data_dir()/cache/analysis`` in
files named by a hash of that key (no patient data in names, house rule 8), holding
only scores and the model-resolution heatmaps (``numpy.load`` without pickles),
sealed by :mod:`core.at_rest` unless the user turned encryption at rest off. The
SOP Instance UID is identifying (PS3.15 E.1-1): it is not written, the caller, who
asks by UID, puts it back.

A cache entry that cannot be written or read only costs speed: it is logged and
recomputed, never an error for the user.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from core.analysis.preprocess import CropResize
from core.at_rest import AtRestError, seal, unseal
from core.paths import make_private_dir, user_data_dir, write_private

logger = logging.getLogger(__name__)

__all__ = ["CacheEntry", "cache_key", "clear_results", "lookup_result", "store_result"]

# Bump when what a cached entry means changes (scores, heatmap maths, file layout).
CACHE_VERSION: Final = 2
_MEMORY_RESULTS: Final = 64
_PURPOSE: Final = "analysis-cache"


@dataclass(frozen=True, eq=False)
class CacheEntry:
    """What the cache keeps: scores and model-resolution heatmaps, no patient data."""

    data: dict[str, Any]
    grids: dict[str, NDArray[np.float32]]
    geometry: CropResize | None


_cache_lock = threading.Lock()
_results: OrderedDict[str, CacheEntry] = OrderedDict()


def cache_key(sha256: str, uid: str, frame: int, method: str | None) -> str:
    """The cache key of one analysis (a hash: it names the file on disk)."""
    text = f"{CACHE_VERSION}|{sha256}|{uid}|{frame}|{method or '-'}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cache_dir() -> Path:
    """Where the disk cache lives."""
    return user_data_dir() / "cache" / "analysis"


def _encode(entry: CacheEntry) -> bytes:
    meta = dict(entry.data)
    meta.pop("sop_instance_uid", None)
    if entry.geometry is not None:
        g = entry.geometry
        meta["geometry"] = [g.image_shape, g.crop_origin, g.crop_shape, g.output_shape]
    labels = list(entry.grids)
    arrays: dict[str, Any] = {
        "meta": np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8),
        "labels": np.frombuffer(json.dumps(labels).encode("utf-8"), dtype=np.uint8),
    }
    for i, label in enumerate(labels):
        arrays[f"grid{i}"] = entry.grids[label]
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def _decode(data: bytes, uid: str | None) -> CacheEntry:
    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
        meta = json.loads(archive["meta"].tobytes().decode("utf-8"))
        labels = json.loads(archive["labels"].tobytes().decode("utf-8"))
        grids = {label: archive[f"grid{i}"].astype(np.float32) for i, label in enumerate(labels)}
    meta["sop_instance_uid"] = uid
    raw_geometry = meta.pop("geometry", None)
    geometry = (
        None
        if raw_geometry is None
        else CropResize(*(tuple(int(v) for v in pair) for pair in raw_geometry))  # type: ignore[arg-type]
    )
    return CacheEntry(meta, grids, geometry)


def store_result(key: str, entry: CacheEntry, on_disk: bool) -> None:
    """Keep ``entry`` in memory, and on disk (owner-only, sealed) when ``on_disk``."""
    with _cache_lock:
        _results[key] = entry
        _results.move_to_end(key)
        while len(_results) > _MEMORY_RESULTS:
            _results.popitem(last=False)
    if not on_disk:
        return
    try:
        folder = make_private_dir(cache_dir())
        write_private(folder / f"{key}.npz", seal(_encode(entry), purpose=_PURPOSE))
    except (OSError, AtRestError) as exc:  # a cache that cannot be written only costs speed
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        logger.warning("analysis cache not written: %s", reason)


def lookup_result(key: str, on_disk: bool, uid: str | None) -> CacheEntry | None:
    """The cached entry for ``key``, or None (unreadable entries are recomputed)."""
    with _cache_lock:
        entry = _results.get(key)
        if entry is not None:
            _results.move_to_end(key)
            return entry
    if not on_disk:
        return None
    path = cache_dir() / f"{key}.npz"
    if not path.is_file():
        return None
    try:
        entry = _decode(unseal(path.read_bytes(), purpose=_PURPOSE), uid)
    except (OSError, ValueError, KeyError, TypeError, AtRestError) as exc:
        logger.warning("analysis cache entry unreadable, recomputing: %s", exc)
        return None
    with _cache_lock:
        _results[key] = entry
    return entry


def clear_results(*, disk: bool = False) -> None:
    """Forget cached results (and delete the disk cache when ``disk``)."""
    with _cache_lock:
        _results.clear()
    if disk:
        folder = cache_dir()
        if folder.is_dir():
            for path in folder.glob("*.npz"):
                path.unlink(missing_ok=True)
