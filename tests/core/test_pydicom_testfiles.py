"""Every file of pydicom's test data through the pixel pipeline.

Each file either renders, and then matches pydicom's own reference (pydicom's
decoding → ``apply_modality_lut`` → ``apply_voi_lut`` of the first preset), or
is refused with a :class:`~core.errors.DicomError` carrying a reason. Nothing
else may escape. Files pydicom only downloads on demand are not installed here
(downloads are off); the files that must render but are absent are skipped.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from pydicom import dcmread
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset
from pydicom.pixels import pixel_array
from pydicom.pixels.processing import apply_color_lut, apply_modality_lut, apply_voi_lut

from core.dicom.lut import (
    apply_presentation,
    apply_voi,
    is_inverted,
    padding_mask,
    to_display_uint8,
    voi_presets_for,
)
from core.dicom.pixels import decode_frame, read_frame_values, render_frame
from core.errors import DicomError

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:pydicom.*")

TEST_FILES = Path(get_testdata_file("CT_small.dcm", download=False) or "").parent
ALL_FILES = sorted(
    str(path.relative_to(TEST_FILES)) for path in TEST_FILES.rglob("*") if path.is_file()
)

#: Files that must render wherever they are installed (several are download-only).
MUST_RENDER = sorted(
    {
        "CT_small.dcm",
        "MR_small.dcm",
        "MR_small_bigendian.dcm",
        "JPEG2000.dcm",
        "JPEG-LL.dcm",
        "JPEG-lossy.dcm",
        "JPGExtended.dcm",
        "emri_small_jpeg_2k_lossless.dcm",
        "RG1_J2KR.dcm",
        "US1_J2KR.dcm",
        "image_dfl.dcm",
        "HTJ2KLossless_08_RGB.dcm",
        "HTJ2K_08_RGB.dcm",
        "examples_palette.dcm",
        "examples_ybr_color.dcm",
        "MR_small_jpeg_ls_lossless.dcm",
        "MR_small_RLE.dcm",
        "J2K_pixelrep_mismatch.dcm",
    }
    | {name for name in ALL_FILES if name.startswith("SC_rgb")}
)

#: Files with pixel data that are refused, and a part of the reason expected.
EXPECTED_REFUSALS = {
    # Its broken encapsulation yields a codestream declaring 1024x3722445056 (SIZ marker).
    "JPEG2000-embedded-sequence-delimiter.dcm": "too large to decode safely",
    "MR_truncated.dcm": "pixel data is 8130 bytes, expected 8192",
    "badVR.dcm": "Number of Frames (0028,0008) is '1A'",
    "meta_missing_tsyntax.dcm": "Rows (0028,0010) is missing",
    "nested_priv_SQ.dcm": "Rows (0028,0010) is missing",
}

#: Reference values from pydicom's own pixel tests, for files pydicom's installed
#: plugins cannot decode (12-bit JPEG Extended: decoded here by GDCM directly).
KNOWN_VALUES = {
    "JPEG-lossy.dcm": {(420, 140): 244, (230, 120): 95},
    "JPGExtended.dcm": {(420, 140): 244, (230, 120): 95},
}


@dataclass(frozen=True)
class Outcome:
    """What the pipeline made of one file."""

    rendered: bool
    reason: str = ""
    error: str = ""


def read(name: str) -> Dataset | None:
    try:
        return dcmread(TEST_FILES / name, force=True)
    except Exception:  # not a file pydicom can parse at all: the index's business, not ours
        return None


@functools.cache
def outcome(name: str) -> Outcome:
    ds = read(name)
    if ds is None:
        return Outcome(False, "pydicom cannot parse the file", "dcmread")
    try:
        render_frame(ds, 0, source=name)
        read_frame_values(ds, 0, source=name)
    except DicomError as exc:
        return Outcome(False, exc.reason, type(exc).__name__)
    return Outcome(True)


def pydicom_first_frame(ds: Dataset) -> np.ndarray | None:
    try:
        return pixel_array(ds, index=0)
    except Exception:
        return None


def pydicom_window_range(ds: Dataset) -> tuple[float, float]:
    """The output range pydicom's apply_windowing scales to (its own rules)."""
    bits = int(ds.BitsStored)
    if ds.get("ModalityLUTSequence"):
        low, high = 0.0, float(2 ** ds.ModalityLUTSequence[0].LUTDescriptor[2] - 1)
    elif int(ds.PixelRepresentation) == 0:
        low, high = 0.0, float(2**bits - 1)
    else:
        low, high = float(-(2 ** (bits - 1))), float(2 ** (bits - 1) - 1)
    if "RescaleSlope" in ds and "RescaleIntercept" in ds:
        slope, intercept = float(ds.RescaleSlope), float(ds.RescaleIntercept)
        low, high = low * slope + intercept, high * slope + intercept
    return low, high


def check_grayscale(name: str, ds: Dataset, reference: np.ndarray) -> None:
    values = read_frame_values(ds, source=name)
    expected_values = apply_modality_lut(reference, ds)
    np.testing.assert_allclose(values, expected_values, rtol=1e-6, atol=1e-6)

    presets = voi_presets_for(ds, source=name)
    mask = padding_mask(ds, decode_frame(ds, source=name))
    if presets:
        assert presets[0].is_table == bool(ds.get("VOILUTSequence")), name
        windowed = apply_voi_lut(expected_values, ds).astype(np.float64)
        if presets[0].is_table:
            top = 2 ** int(ds.VOILUTSequence[0].LUTDescriptor[2]) - 1
            top = max(top, 2 ** int(windowed.max()).bit_length() - 1)
            expected01 = windowed / top
        else:
            low, high = pydicom_window_range(ds)
            expected01 = (windowed - low) / (high - low)
        ours01 = apply_voi(values, presets[0])
        difference = np.abs(
            to_display_uint8(ours01).astype(int) - to_display_uint8(expected01).astype(int)
        )
        assert difference.max() <= 1, f"{name}: VOI differs from pydicom by {difference.max()}"
    else:
        kept = expected_values if mask is None or mask.all() else expected_values[~mask]
        low, high = float(kept.min()), float(kept.max())
        expected01 = (
            (expected_values - low) / (high - low) if high > low else expected_values * 0 + 0.5
        )
    expected_image = to_display_uint8(apply_presentation(expected01, is_inverted(ds)))
    if mask is not None:
        expected_image[mask] = 0
    image = render_frame(ds, source=name)
    assert image.shape == expected_image.shape
    difference = np.abs(image.astype(int) - expected_image.astype(int))
    assert difference.max() <= 1, f"{name}: rendering differs from pydicom by {difference.max()}"


def check_colour(name: str, ds: Dataset, reference: np.ndarray) -> None:
    if str(ds.PhotometricInterpretation) == "PALETTE COLOR":
        reference = apply_color_lut(reference, ds)[..., :3]
        top = 255 if int(ds.RedPaletteColorLookupTableDescriptor[2]) <= 8 else 65535
        # Palette colours arrive scaled to 8 bits (core.dicom.lut_data.apply_palette).
        reference = np.floor(reference.astype(np.float64) * (255 / top) + 0.5).astype(np.uint8)
        top = 255
    else:
        top = 2 ** int(ds.BitsStored) - 1
    assert np.array_equal(read_frame_values(ds, source=name), reference), name
    expected = np.floor(reference.astype(np.float64) * (255 / top) + 0.5)
    image = render_frame(ds, source=name)
    assert image.dtype == np.uint8 and image.shape == reference.shape
    assert np.abs(image.astype(int) - expected).max() <= 1, name


@pytest.mark.parametrize("name", ALL_FILES)
def test_file_renders_like_pydicom_or_is_refused_with_a_reason(name: str) -> None:
    result = outcome(name)  # raises if anything but a DicomError escapes
    if not result.rendered:
        assert isinstance(result.reason, str) and result.reason.strip(), name
        return
    ds = read(name)
    assert ds is not None
    reference = pydicom_first_frame(ds)
    if reference is None:
        # Only files whose reference values are known may render without pydicom.
        assert name in KNOWN_VALUES, f"{name} renders but pydicom cannot decode it"
        stored = decode_frame(ds, source=name)
        for (row, column), value in KNOWN_VALUES[name].items():
            assert stored[row, column] == value, (name, row, column)
        return
    if render_frame(ds, source=name).ndim == 3:
        check_colour(name, ds, reference)
    else:
        check_grayscale(name, ds, reference)


@pytest.mark.parametrize("name", MUST_RENDER)
def test_file_that_must_render_renders(name: str) -> None:
    if not (TEST_FILES / name).is_file():
        pytest.skip(f"{name} is download-only in pydicom's test data (downloads are off)")
    result = outcome(name)
    assert result.rendered, f"{name} refused: {result.reason}"


def test_summary_of_refused_files() -> None:
    outcomes = {name: outcome(name) for name in ALL_FILES}
    refused = {name: result for name, result in outcomes.items() if not result.rendered}
    lines = [f"{len(ALL_FILES) - len(refused)} rendered, {len(refused)} refused:"]
    lines += [f"  {name}: {result.error}: {result.reason}" for name, result in refused.items()]
    print("\n".join(lines))

    with_pixels = {
        name: result
        for name, result in refused.items()
        if not result.reason.startswith("no pixel data")
    }
    assert sorted(with_pixels) == sorted(EXPECTED_REFUSALS)
    for name, part in EXPECTED_REFUSALS.items():
        assert part in with_pixels[name].reason, (name, with_pixels[name].reason)
    assert len(ALL_FILES) - len(refused) >= 80
