"""A small generated CT study for the de-identification tests, and ways to read exports back."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset

from core.synthetic import write_ct_series

TABLE = Path(__file__).with_name("data") / "ps3_15_table_e1_1.csv"


@dataclass(frozen=True)
class Row:
    """One row of PS3.15 Table E.1-1 as the test's own copy lists it."""

    tag: str
    name: str
    basic: str


def read_table() -> list[Row]:
    lines = [
        line for line in TABLE.read_text(encoding="utf-8").splitlines() if not line.startswith("#")
    ]
    return [Row(r["tag"], r["name"], r["basic"]) for r in csv.DictReader(lines)]


def write_study(folder: Path, *, slices: int = 3, seed: int = 7, size: int = 32) -> list[Path]:
    """A generated CT series (``size`` x ``size`` pixels, explicit VR little endian)."""
    write_ct_series(
        folder,
        np.random.default_rng(seed),
        slices=slices,
        size=size,
        transfer_syntax="1.2.840.10008.1.2.1",
    )
    return sorted(p for p in folder.rglob("*") if p.is_file())


def rewrite(path: Path, **attributes: object) -> Dataset:
    """Set attributes (keywords) in the file at ``path`` and save it; return the dataset."""
    ds = pydicom.dcmread(path)
    for keyword, value in attributes.items():
        setattr(ds, keyword, value)
    ds.save_as(path, enforce_file_format=True)
    return ds


def exported_datasets(out: Path) -> list[Dataset]:
    """Every DICOM object in an export folder (the DICOMDIR left out)."""
    return [
        pydicom.dcmread(p) for p in sorted(out.rglob("*")) if p.is_file() and p.name != "DICOMDIR"
    ]


def exported_bytes(out: Path) -> list[tuple[Path, bytes]]:
    """The raw bytes of every file of an export, the DICOMDIR included."""
    return [(p, p.read_bytes()) for p in sorted(out.rglob("*")) if p.is_file()]
