"""Synthetic studies with known ground truth, written as valid DICOM.

Phantoms for the demo, the tests, the benchmarks and for training the small demo
chest X-ray CNN: chest radiographs (CR and DX, PA/AP/lateral, MONOCHROME1/2, 12–16
bit) with labelled lesions, CT and MR series with realistic geometry, an Enhanced CT
multi-frame object whose functional groups must be merged, compressed variants and a
folder of deliberately broken files.

Everything is drawn from a :class:`numpy.random.Generator` (or an integer seed), and
nothing reads the wall clock: the same seed writes byte-identical files on the same
platform. UIDs come from :func:`pydicom.uid.generate_uid` under pydicom's root with
seed-derived entropy (a SHA-512 hash, so they are reproducible).

All patients are fictitious ("PHANTOM^..."). Pixel coordinates are ``(row, col)``
of the image as written; patient coordinates follow DICOM (LPS, PS3.3 C.7.6.2.1.1).

Modules
-------
common
    Argument checks, random streams, seeded UIDs, smooth fields.
study
    :class:`SyntheticStudy`, the fictitious patient and study.
dicom_writer
    SOP classes, transfer syntaxes, shared DICOM modules, the Part 10 file.
series
    :class:`SliceTruth` and the instance/file layout shared by CT and MR.
cxr_anatomy, cxr_phantom, cxr
    Chest radiograph anatomy, lesions and rendering, and the CR/DX writer.
ct, mr, multiframe
    The CT body phantom and series, the MR head phantom and series, Enhanced CT.
broken
    Malformed files.
folders
    :func:`write_synthetic` (folders with truth.json) and :func:`write_demo_study`.
"""

from core.synthetic.broken import BROKEN_DEFECTS, write_broken_set
from core.synthetic.ct import write_ct_series
from core.synthetic.cxr import CxrTruth, write_cxr
from core.synthetic.cxr_phantom import CXR_VIEWS, LESION_LABELS, CxrPhantom, Lesion, make_cxr_pixels
from core.synthetic.dicom_writer import (
    CR_IMAGE_STORAGE,
    CT_IMAGE_STORAGE,
    DX_IMAGE_STORAGE_FOR_PRESENTATION,
    ENHANCED_CT_IMAGE_STORAGE,
    MR_IMAGE_STORAGE,
    list_transfer_syntaxes,
)
from core.synthetic.folders import SYNTHETIC_KINDS, write_demo_study, write_synthetic
from core.synthetic.mr import write_mr_series
from core.synthetic.multiframe import MultiFrameTruth, write_enhanced_multiframe
from core.synthetic.series import SliceTruth
from core.synthetic.study import SyntheticStudy, make_study_context

__all__ = [
    "BROKEN_DEFECTS",
    "CR_IMAGE_STORAGE",
    "CT_IMAGE_STORAGE",
    "CXR_VIEWS",
    "DX_IMAGE_STORAGE_FOR_PRESENTATION",
    "ENHANCED_CT_IMAGE_STORAGE",
    "LESION_LABELS",
    "MR_IMAGE_STORAGE",
    "SYNTHETIC_KINDS",
    "CxrPhantom",
    "CxrTruth",
    "Lesion",
    "MultiFrameTruth",
    "SliceTruth",
    "SyntheticStudy",
    "list_transfer_syntaxes",
    "make_cxr_pixels",
    "make_study_context",
    "write_broken_set",
    "write_ct_series",
    "write_cxr",
    "write_demo_study",
    "write_enhanced_multiframe",
    "write_mr_series",
    "write_synthetic",
]
