"""Folders of synthetic objects with their ground truth, and the app's demo study.

:func:`write_synthetic` writes many objects of one kind and merges their truth into
``truth.json``; :func:`write_demo_study` writes one patient's CT and radiographs.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import numpy as np

from core.errors import UsageError
from core.synthetic.broken import BROKEN_DEFECTS, write_broken_set
from core.synthetic.common import PathLike, check_choice, check_int, child_rng, seeded_uid
from core.synthetic.ct import write_ct_series_with_truth
from core.synthetic.cxr import write_cxr
from core.synthetic.cxr_phantom import CXR_VIEWS, Lesion
from core.synthetic.mr import write_mr_series_with_truth
from core.synthetic.multiframe import write_enhanced_multiframe
from core.synthetic.study import make_study_context

logger = logging.getLogger(__name__)


#: Kinds of :func:`write_synthetic`.
SYNTHETIC_KINDS: Final = ("cxr", "ct", "mr", "multiframe", "broken")


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def _write_truth(out: Path, entries: Mapping[str, Mapping[str, Any]]) -> None:
    truth_path = out / "truth.json"
    merged: dict[str, Any] = {}
    if truth_path.exists():
        try:
            merged = json.loads(truth_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise UsageError(f"{truth_path}: cannot merge into it, not JSON ({exc})") from exc
        if not isinstance(merged, dict):
            raise UsageError(f"{truth_path}: cannot merge into it, not a JSON object")
    merged.update(entries)
    text = json.dumps(merged, indent=1, sort_keys=True) + "\n"
    tmp = truth_path.with_suffix(".json.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(truth_path)


_KIND_SALT: Final = {kind: i + 1 for i, kind in enumerate(SYNTHETIC_KINDS)}


def write_synthetic(
    out_dir: PathLike,
    kind: str,
    *,
    count: int = 1,
    seed: int = 0,
    size: int | None = None,
) -> dict[str, dict[str, Any]]:
    """Write synthetic objects of one kind and record their ground truth.

    Files go under ``out_dir/<kind>/``; ``out_dir/truth.json`` maps each written
    file's path relative to ``out_dir`` (with "/") to its ground truth, merged into
    what is already there so several kinds can share a folder.

    Parameters
    ----------
    out_dir : str or Path
        Root folder (created).
    kind : {"cxr", "ct", "mr", "multiframe", "broken"}
        "cxr": ``count`` radiographs (``cxr/0001.dcm``...) of mixed view, modality,
        photometric and bit depth, with random lesions; "ct"/"mr": ``count`` series
        (``ct/series_001/...``); "multiframe": ``count`` Enhanced CT objects cycling
        through the rescale placements; "broken": ``count`` sets
        (``broken/set_001/...``).
    count : int, optional
        1..100000.
    seed : int, optional
        Everything is drawn from it; the same seed writes the same bytes.
    size : int, optional
        Image side (defaults: 512 cxr, 256 ct/mr, 128 multiframe).

    Returns
    -------
    dict of str to dict
        The entries added to truth.json.

    Raises
    ------
    UsageError
        When ``out_dir/<kind>`` already holds files (nothing is overwritten).
    """
    out = Path(out_dir)
    check_choice("kind", kind, SYNTHETIC_KINDS)
    count = check_int("count", count, 1, 100_000)
    seed = check_int("seed", seed, 0)
    if size is not None:
        check_int("size", size, 32, 4096)
    root = out / kind
    if root.exists() and any(root.iterdir()):
        raise UsageError(f"{root}: already holds files; write into an empty folder")
    rng = np.random.default_rng([seed, _KIND_SALT[kind]])
    entries: dict[str, dict[str, Any]] = {}
    for i in range(1, count + 1):
        item_rng = child_rng(rng)
        if kind == "cxr":
            view = str(item_rng.choice(CXR_VIEWS, p=[0.5, 0.2, 0.3]))
            truth = write_cxr(
                root / f"{i:04d}.dcm",
                item_rng,
                modality="CR" if item_rng.random() < 0.35 else "DX",
                view=view,
                monochrome=1 if item_rng.random() < 0.3 else 2,
                bits_stored=int(item_rng.integers(12, 17)),
                size=size or 512,
                lesions="random",
            )
            entries[_relative(root / f"{i:04d}.dcm", out)] = truth.to_json()
        elif kind == "ct":
            pairs = write_ct_series_with_truth(
                root / f"series_{i:03d}",
                item_rng,
                slices=64,
                size=size or 256,
                slice_thickness=float(item_rng.choice([1.25, 2.5, 5.0])),
                spacing=None,
                pixel_spacing=None,
                tilt=0.0,
                shuffled_names=True,
                instance_order=None,
                pixel_representation=None,
                bits_stored=None,
                padding=None,
                transfer_syntax=None,
                study=None,
                series_number=i,
            )
            entries.update({_relative(p, out): t.to_json() for p, t in pairs})
        elif kind == "mr":
            mr_pairs = write_mr_series_with_truth(
                root / f"series_{i:03d}",
                item_rng,
                slices=24,
                size=size or 256,
                orientation=str(item_rng.choice(["axial", "sagittal", "coronal"])),
                weighting=str(item_rng.choice(["T1", "T2"])),
                slice_thickness=5.0,
                spacing=None,
                shuffled_names=True,
                instance_order=None,
                transfer_syntax=None,
                study=None,
                series_number=i,
            )
            entries.update({_relative(p, out): t.to_json() for p, t in mr_pairs})
        elif kind == "multiframe":
            mode = ("both", "per_frame", "shared")[(i - 1) % 3]
            mf = write_enhanced_multiframe(
                root / f"{i:04d}.dcm",
                item_rng,
                size=size or 128,
                pixel_value_transformation=mode,  # type: ignore[arg-type]
            )
            entries[_relative(root / f"{i:04d}.dcm", out)] = mf.to_json()
        else:
            folder = root / f"set_{i:03d}"
            for name, code in write_broken_set(folder, item_rng).items():
                entries[_relative(folder / name, out)] = {
                    "kind": "broken",
                    "defect": code,
                    "description": BROKEN_DEFECTS[code],
                }
    _write_truth(out, entries)
    logger.info("wrote %d synthetic %s item(s)", count, kind)
    return entries


def write_demo_study(out_dir: PathLike, seed: int = 0) -> dict[str, dict[str, Any]]:
    """Write the app's demo: one patient, one study, a CT series and two radiographs.

    ``out_dir/ct/`` holds a 64-slice 256² chest CT (geometric file names,
    instance numbers in acquisition order); ``out_dir/cxr/`` a DX PA with a
    nodule and a DX lateral, in one series. No truth.json is written into the
    demo folder; the ground truth is returned.

    Parameters
    ----------
    out_dir : str or Path
        Folder to write into (created).
    seed : int, optional

    Returns
    -------
    dict of str to dict
        Path relative to ``out_dir`` → ground truth.
    """
    seed = check_int("seed", seed, 0)
    out = Path(out_dir)
    rng = np.random.default_rng([seed, 99])
    study = make_study_context(rng, description="CHEST CT AND RADIOGRAPHS")
    entries: dict[str, dict[str, Any]] = {}
    pairs = write_ct_series_with_truth(
        out / "ct",
        child_rng(rng),
        slices=64,
        size=256,
        study=study,
    )
    entries.update({_relative(p, out): t.to_json() for p, t in pairs})
    series_uid = seeded_uid(rng.bytes(16).hex(), "series")
    size = 512
    nodule_row = 0.40 * size
    # The same nodule, in the right upper zone on the PA and mid-lung on the lateral.
    plans = (
        ("PA", Lesion("Nodule", (nodule_row, 0.30 * size), 0.022 * size)),
        ("LL", Lesion("Nodule", (nodule_row, 0.56 * size), 0.022 * size)),
    )
    for number, (view, lesion) in enumerate(plans, start=1):
        path = out / "cxr" / f"{number:04d}.dcm"
        truth = write_cxr(
            path,
            child_rng(rng),
            modality="DX",
            view=view,
            size=size,
            lesions=[lesion],
            study=study,
            series_uid=series_uid,
            series_number=2,
            instance_number=number,
        )
        entries[_relative(path, out)] = truth.to_json()
    return entries
