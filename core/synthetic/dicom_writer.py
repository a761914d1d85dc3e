"""DICOM writing shared by the phantoms: SOP classes, transfer syntaxes, Part 10 files.

:func:`base_dataset` fills the modules every object has (Patient, General Study,
Series, Equipment and Image, SOP Common); :func:`write_dataset` attaches the pixels in
the requested transfer syntax and writes the file. Encoded syntaxes use a named
encoder plugin, so the output does not depend on which plugins happen to be installed.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Final

import numpy as np
from pydicom import Dataset, dcmwrite
from pydicom.dataset import FileMetaDataset
from pydicom.pixels.encoders.base import (
    JPEG2000LosslessEncoder,
    JPEGLSLosslessEncoder,
    RLELosslessEncoder,
)
from pydicom.uid import (
    UID,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGLSLossless,
    RLELossless,
)
from pydicom.valuerep import format_number_as_ds

from core.errors import UsageError
from core.synthetic.common import Array
from core.synthetic.study import SyntheticStudy

CR_IMAGE_STORAGE: Final = UID("1.2.840.10008.5.1.4.1.1.1")
DX_IMAGE_STORAGE_FOR_PRESENTATION: Final = UID("1.2.840.10008.5.1.4.1.1.1.1")
CT_IMAGE_STORAGE: Final = UID("1.2.840.10008.5.1.4.1.1.2")
ENHANCED_CT_IMAGE_STORAGE: Final = UID("1.2.840.10008.5.1.4.1.1.2.1")
MR_IMAGE_STORAGE: Final = UID("1.2.840.10008.5.1.4.1.1.4")

# Transfer syntaxes written without an encoder, and the plugin used for each encoded
# one (named so the output does not depend on which plugins happen to be installed).
NATIVE_SYNTAXES: Final = (
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    DeflatedExplicitVRLittleEndian,
)
ENCODER_PLUGINS: Final[Mapping[str, str]] = {
    RLELossless: "pydicom",
    JPEGLSLossless: "pyjpegls",
    JPEG2000Lossless: "pylibjpeg",
}
#: Anatomic Region of the chest objects (SNOMED CT).
CHEST_CODE: Final = ("43799004", "SCT", "Chest")
_MANUFACTURER: Final = "RadAssist Synthetic"


def check_transfer_syntax(value: str | None) -> UID:
    """Return the UID to write (default Explicit VR Little Endian) if it can be written here."""
    if value is None:
        return ExplicitVRLittleEndian
    if not isinstance(value, str):
        raise TypeError(f"transfer_syntax must be a UID string, found {type(value).__name__}")
    uid = UID(value)
    if uid not in list_transfer_syntaxes():
        raise UsageError(
            f"transfer_syntax {uid} ({uid.name}) cannot be written here; "
            f"available: {sorted(list_transfer_syntaxes())}"
        )
    return uid


def format_ds(value: float) -> str:
    """Format a number as a DS value (at most 16 characters, PS3.5 6.2)."""
    return str(format_number_as_ds(float(round(value, 6))))


def code_item(code: tuple[str, str, str]) -> Dataset:
    """A Code Sequence item of ``(value, scheme, meaning)``."""
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = code
    return item


def list_transfer_syntaxes() -> dict[str, str]:
    """Transfer syntaxes the writers can produce here, UID → name.

    Native little-endian syntaxes always work; RLE Lossless (pydicom's own encoder),
    JPEG-LS Lossless (pyjpegls) and JPEG 2000 Lossless (pylibjpeg-openjpeg) are listed
    when their encoder is installed. All listed syntaxes are lossless.

    Returns
    -------
    dict of str to str
        The usable transfer syntax UIDs and their names.
    """
    out = {str(uid): uid.name for uid in NATIVE_SYNTAXES}
    for encoder in (RLELosslessEncoder, JPEGLSLosslessEncoder, JPEG2000LosslessEncoder):
        if ENCODER_PLUGINS[encoder.UID] in encoder.available_plugins:
            out[str(encoder.UID)] = encoder.UID.name
    return out


def base_dataset(
    *,
    sop_class_uid: str,
    sop_instance_uid: str,
    study: SyntheticStudy,
    modality: str,
    series_uid: str,
    series_number: int,
    series_description: str,
    instance_number: int,
) -> Dataset:
    """Patient, General Study/Series/Equipment/Image and SOP Common attributes."""
    ds = Dataset()
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID(sop_class_uid)
    meta.MediaStorageSOPInstanceUID = UID(sop_instance_uid)
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta = meta
    ds.SOPClassUID = sop_class_uid
    ds.SOPInstanceUID = sop_instance_uid
    ds.StudyDate = study.study_date
    ds.SeriesDate = study.study_date
    ds.ContentDate = study.study_date
    ds.StudyTime = study.study_time
    ds.SeriesTime = study.study_time
    ds.ContentTime = study.study_time
    ds.AccessionNumber = study.accession_number
    ds.Modality = modality
    ds.Manufacturer = _MANUFACTURER
    ds.InstitutionName = "Synthetic"
    ds.ReferringPhysicianName = ""
    ds.StudyDescription = study.study_description
    ds.SeriesDescription = series_description
    ds.ManufacturerModelName = "Phantom"
    ds.PatientName = study.patient_name
    ds.PatientID = study.patient_id
    ds.PatientBirthDate = study.patient_birth_date
    ds.PatientSex = study.patient_sex
    ds.PatientAge = f"{min(study.patient_age, 999):03d}Y"
    ds.DeviceSerialNumber = "0001"
    ds.SoftwareVersions = "core.synthetic 1"
    ds.StudyInstanceUID = study.study_uid
    ds.SeriesInstanceUID = series_uid
    ds.StudyID = study.study_id
    ds.SeriesNumber = series_number
    ds.InstanceNumber = instance_number
    return ds


def set_image_pixel(
    ds: Dataset, rows: int, cols: int, bits_stored: int, signed: bool, photometric: str
) -> None:
    """Image Pixel module (PS3.3 C.7.6.3) for one-sample 16-bit images."""
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.Rows = rows
    ds.Columns = cols
    ds.BitsAllocated = 16
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    ds.PixelRepresentation = 1 if signed else 0


def write_dataset(ds: Dataset, path: Path, pixels: Array, transfer_syntax: UID) -> None:
    """Attach ``pixels`` in ``transfer_syntax`` and write a Part 10 file."""
    if transfer_syntax in NATIVE_SYNTAXES:
        ds.file_meta.TransferSyntaxUID = transfer_syntax
        ds.add_new(0x7FE00010, "OW", np.ascontiguousarray(pixels).tobytes())
    else:
        # compress() refuses an already compressed data set; the template is reused.
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.compress(
            transfer_syntax,
            np.ascontiguousarray(pixels),
            encoding_plugin=ENCODER_PLUGINS[transfer_syntax],
            generate_instance_uid=False,
        )
    dcmwrite(path, ds, enforce_file_format=True)
