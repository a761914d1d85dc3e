"""The pixel pipeline on crafted datasets, with the numbers the standard gives."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from PIL import Image
from pydicom import dcmread
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.pixels.encoders import RLELosslessEncoder
from pydicom.pixels.processing import convert_color_space
from pydicom.tag import Tag
from pydicom.uid import (
    MPEG2MPML,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGLSLossless,
    RLELossless,
    SecondaryCaptureImageStorage,
    generate_uid,
)

from core.dicom.decode import check_native_length, supported_transfer_syntaxes
from core.dicom.lut import (
    ModalityLut,
    VoiFunction,
    VoiPreset,
    apply_modality_lut,
    apply_presentation,
    apply_voi,
    full_range_preset,
    is_inverted,
    modality_lut_for,
    padding_mask,
    skips_modality_lut,
    to_display_uint8,
    voi_presets_for,
)
from core.dicom.pixel_header import is_little_endian, transfer_syntax_of
from core.dicom.pixels import decode_frame, read_frame_values, render_frame
from core.dicom.records import VoiWindow
from core.errors import DicomError, PixelDataError, UnsupportedTransferSyntaxError

# --------------------------------------------------------------------------- builders


def make_dataset(
    data: bytes,
    rows: int,
    columns: int,
    *,
    bits_allocated: int = 16,
    bits_stored: int | None = None,
    signed: bool = False,
    photometric: str = "MONOCHROME2",
    samples: int = 1,
    planar: int = 0,
    frames: int | None = None,
    syntax: str = ExplicitVRLittleEndian,
    encapsulated: bool = False,
    **attributes: object,
) -> Dataset:
    """A dataset with an Image Pixel Module around raw pixel bytes."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = syntax
    ds.file_meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.Rows = rows
    ds.Columns = columns
    ds.BitsAllocated = bits_allocated
    ds.BitsStored = bits_stored or bits_allocated
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = int(signed)
    ds.SamplesPerPixel = samples
    ds.PhotometricInterpretation = photometric
    if samples == 3:
        ds.PlanarConfiguration = planar
    if frames is not None:
        ds.NumberOfFrames = frames
    for keyword, value in attributes.items():
        setattr(ds, keyword, value)
    ds.PixelData = data
    ds["PixelData"].VR = "OB" if bits_allocated <= 8 or encapsulated else "OW"
    ds["PixelData"].is_undefined_length = encapsulated
    return ds


def mono(values: object, dtype: str = "<u2", **kwargs: object) -> Dataset:
    """A grayscale dataset from a 2-D (or 3-D, multi-frame) list of values."""
    arr = np.asarray(values, dtype=dtype)
    if arr.ndim == 3:
        kwargs.setdefault("frames", arr.shape[0])
    kwargs.setdefault("bits_allocated", arr.dtype.itemsize * 8)
    kwargs.setdefault("signed", arr.dtype.kind == "i")
    return make_dataset(arr.tobytes(), arr.shape[-2], arr.shape[-1], **kwargs)  # type: ignore[arg-type]


RGB = np.array(
    [
        [[255, 0, 0], [0, 255, 0], [0, 0, 255]],
        [[0, 0, 0], [128, 128, 128], [255, 255, 255]],
    ],
    dtype=np.uint8,
)


# --------------------------------------------------------------------------- decoding


def test_decode_returns_the_stored_values_of_a_native_frame() -> None:
    ds = mono([[0, 1, 2], [1000, 4095, 65535]])
    frame = decode_frame(ds)
    assert frame.dtype == np.uint16
    assert frame.tolist() == [[0, 1, 2], [1000, 4095, 65535]]


def test_decode_sign_extends_bits_stored_12_and_drops_garbage_high_bits() -> None:
    # 12-bit two's complement values with junk in bits 12-15 (PS3.5 8.1.1: ignore them).
    raw = [[0x5FFB, 0xA7FF], [0xF800, 0x0001]]  # -5, 2047, -2048, 1
    ds = mono(raw, dtype="<u2", signed=True, bits_stored=12)
    frame = decode_frame(ds)
    assert frame.dtype == np.int16
    assert frame.tolist() == [[-5, 2047], [-2048, 1]]


def test_decode_masks_garbage_high_bits_of_unsigned_values() -> None:
    ds = mono([[0xF123, 0x0FFF]], bits_stored=12)
    assert decode_frame(ds).tolist() == [[0x123, 0xFFF]]


def test_decode_masks_garbage_high_bits_in_compressed_data_too() -> None:
    raw = np.array([[0x5FFB, 0xA7FF], [0xF800, 0x0001]], dtype="<u2")
    # Encoded as 16-bit data, so the junk bits survive compression...
    codestream = RLELosslessEncoder.encode(
        raw.tobytes(),
        rows=2,
        columns=2,
        samples_per_pixel=1,
        bits_allocated=16,
        bits_stored=16,
        pixel_representation=0,
        photometric_interpretation="MONOCHROME2",
        number_of_frames=1,
        encoding_plugin="pydicom",
    )
    # ...and the dataset says only 12 of them count.
    ds = make_dataset(
        encapsulate([codestream]),
        2,
        2,
        bits_stored=12,
        signed=True,
        syntax=RLELossless,
        encapsulated=True,
    )
    assert decode_frame(ds).tolist() == [[-5, 2047], [-2048, 1]]


def test_decode_selects_one_frame_of_a_multi_frame_object() -> None:
    ds = mono([[[1, 2]], [[3, 4]], [[5, 6]]])
    assert decode_frame(ds, 2).tolist() == [[5, 6]]
    assert decode_frame(ds, 0).tolist() == [[1, 2]]


def test_rgb_planar_configuration_0_and_1_decode_alike() -> None:
    by_pixel = make_dataset(RGB.tobytes(), 2, 3, bits_allocated=8, photometric="RGB", samples=3)
    by_plane = make_dataset(
        RGB.transpose(2, 0, 1).tobytes(),
        2,
        3,
        bits_allocated=8,
        photometric="RGB",
        samples=3,
        planar=1,
    )
    assert decode_frame(by_pixel).tolist() == RGB.tolist()
    assert decode_frame(by_plane).tolist() == RGB.tolist()
    assert render_frame(by_plane).tolist() == RGB.tolist()  # colour skips VOI


def test_ybr_full_is_converted_to_rgb() -> None:
    ybr = convert_color_space(RGB, "RGB", "YBR_FULL")
    ds = make_dataset(ybr.tobytes(), 2, 3, bits_allocated=8, photometric="YBR_FULL", samples=3)
    expected = convert_color_space(ybr, "YBR_FULL", "RGB")
    assert decode_frame(ds).tolist() == expected.tolist()
    assert np.abs(decode_frame(ds).astype(int) - RGB).max() <= 1


def test_ybr_full_422_is_upsampled_and_converted_to_rgb() -> None:
    # PS3.3 C.7.6.3.1.2: Y1 Y2 Cb Cr for each pair of pixels.
    data = bytes([76, 150, 85, 255, 29, 142, 255, 107])
    ds = make_dataset(data, 2, 2, bits_allocated=8, photometric="YBR_FULL_422", samples=3)
    full = np.array(
        [[[76, 85, 255], [150, 85, 255]], [[29, 255, 107], [142, 255, 107]]], dtype=np.uint8
    )
    expected = convert_color_space(full, "YBR_FULL", "RGB")
    assert decode_frame(ds).tolist() == expected.tolist()
    assert decode_frame(ds)[0, 0].tolist() == [254, 0, 0]


def test_jpeg_baseline_ybr_full_422_is_converted_once() -> None:
    colours = np.zeros((16, 16, 3), dtype=np.uint8)
    colours[:8, :8] = (200, 30, 30)
    colours[:8, 8:] = (30, 200, 30)
    colours[8:, :8] = (30, 30, 200)
    colours[8:, 8:] = (128, 128, 128)
    buffer = io.BytesIO()
    Image.fromarray(colours).save(buffer, format="JPEG", quality=100, subsampling=1)
    ds = make_dataset(
        encapsulate([buffer.getvalue()]),
        16,
        16,
        bits_allocated=8,
        photometric="YBR_FULL_422",
        samples=3,
        syntax=JPEGBaseline8Bit,
        encapsulated=True,
    )
    decoded = decode_frame(ds)
    # Centres of the flat blocks, away from chroma bleeding at the edges.
    for row, column in ((3, 3), (3, 12), (12, 3), (12, 12)):
        assert np.abs(decoded[row, column].astype(int) - colours[row, column]).max() <= 3


@pytest.mark.parametrize(
    ("syntax", "plugin"),
    [(JPEG2000Lossless, "pylibjpeg"), (JPEGLSLossless, "pyjpegls"), (RLELossless, "pydicom")],
)
def test_lossless_compressed_frames_decode_exactly(syntax: str, plugin: str) -> None:
    values = np.arange(-1152, 1152, dtype=np.int16).reshape(48, 48)  # J2K needs >= 32 px
    ds = mono(np.stack([values, values[::-1]]), dtype="<i2")
    ds.compress(syntax, encoding_plugin=plugin)
    assert decode_frame(ds, 1).tolist() == values[::-1].tolist()
    assert decode_frame(ds, 0).tolist() == values.tolist()


def test_deflated_dataset_decodes() -> None:
    ds = mono([[1, 2, 3], [4, 5, 6]], bits_stored=12)
    ds.file_meta.TransferSyntaxUID = DeflatedExplicitVRLittleEndian
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    buffer.seek(0)
    assert decode_frame(dcmread(buffer)).tolist() == [[1, 2, 3], [4, 5, 6]]


def test_float_pixel_data_decodes_and_renders_over_its_range() -> None:
    ds = make_dataset(
        np.array([[-1.5, 0.0], [0.5, 2.5]], dtype="<f4").tobytes(),
        2,
        2,
        bits_allocated=32,
    )
    ds.FloatPixelData = ds.PixelData
    del ds.PixelData, ds.BitsStored, ds.HighBit, ds.PixelRepresentation
    assert decode_frame(ds).tolist() == [[-1.5, 0.0], [0.5, 2.5]]
    assert render_frame(ds).tolist() == [[0, 96], [128, 255]]


def test_single_bit_segmentation_frames_decode() -> None:
    # Bits Allocated 1: 8 pixels per byte, least significant bit first.
    ds = make_dataset(bytes([0b10100101, 0b00001111]), 2, 8, bits_allocated=1)
    assert decode_frame(ds).tolist() == [[1, 0, 1, 0, 0, 1, 0, 1], [1, 1, 1, 1, 0, 0, 0, 0]]


def test_palette_colour_goes_through_the_palette() -> None:
    ds = mono([[0, 1], [2, 3]], dtype="u1")
    ds.PhotometricInterpretation = "PALETTE COLOR"
    for colour, data in (
        ("Red", [0, 255, 10, 20]),
        ("Green", [0, 0, 128, 30]),
        ("Blue", [0, 0, 5, 40]),
    ):
        setattr(ds, f"{colour}PaletteColorLookupTableDescriptor", [4, 0, 8])
        ds.add_new(
            ds.data_element(f"{colour}PaletteColorLookupTableDescriptor").tag + 0x100,
            "OW",
            np.asarray(data, dtype="<u2").tobytes(),  # 8-bit entries in 16-bit words
        )
    expected = [[[0, 0, 0], [255, 0, 0]], [[10, 128, 5], [20, 30, 40]]]
    assert decode_frame(ds).tolist() == expected
    assert render_frame(ds).tolist() == expected


def test_sixteen_bit_palette_renders_scaled_to_eight_bits() -> None:
    ds = mono([[0, 1]], dtype="u1")
    ds.PhotometricInterpretation = "PALETTE COLOR"
    for colour in ("Red", "Green", "Blue"):
        setattr(ds, f"{colour}PaletteColorLookupTableDescriptor", [2, 0, 16])
        ds.add_new(
            ds.data_element(f"{colour}PaletteColorLookupTableDescriptor").tag + 0x100,
            "OW",
            np.asarray([0, 65535], dtype="<u2").tobytes(),
        )
    # Scaled when decoded: a volume of 8-bit indices holds the colours without wrapping.
    assert decode_frame(ds).tolist() == [[[0, 0, 0], [255, 255, 255]]]
    assert decode_frame(ds).dtype == np.uint8
    assert render_frame(ds).tolist() == [[[0, 0, 0], [255, 255, 255]]]


# --------------------------------------------------------------------------- decoding errors


def test_frame_out_of_range_is_a_pixel_data_error() -> None:
    ds = mono([[[1]], [[2]]])
    with pytest.raises(PixelDataError) as caught:
        decode_frame(ds, 2, source="two.dcm")
    assert caught.value.source == "two.dcm"
    assert "frame 2 requested" in caught.value.reason
    assert "2 frame(s)" in caught.value.reason


def test_bad_frame_arguments_are_type_and_value_errors() -> None:
    ds = mono([[1]])
    with pytest.raises(ValueError, match="found -1"):
        decode_frame(ds, -1)
    with pytest.raises(TypeError, match="found str"):
        decode_frame(ds, "0")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="found dict"):
        decode_frame({}, 0)  # type: ignore[arg-type]


def test_missing_pixel_data_is_a_pixel_data_error() -> None:
    ds = mono([[1]])
    del ds.PixelData
    with pytest.raises(PixelDataError, match="no pixel data"):
        decode_frame(ds, source="header-only.dcm")


def test_short_pixel_data_names_expected_and_found_lengths() -> None:
    ds = mono([[1, 2], [3, 4]])
    ds.PixelData = ds.PixelData[:6]
    with pytest.raises(PixelDataError) as caught:
        decode_frame(ds)
    assert caught.value.reason == (
        "pixel data is 6 bytes, expected 8 (2 rows x 2 columns x 1 samples x 1 frames x 16 bits)"
    )


def test_missing_rows_is_a_pixel_data_error() -> None:
    ds = mono([[1]])
    del ds.Rows
    with pytest.raises(PixelDataError, match=r"Rows \(0028,0010\) is missing"):
        decode_frame(ds)


def test_unknown_transfer_syntax_is_unsupported() -> None:
    ds = mono([[1]], syntax=MPEG2MPML)
    ds.PixelData = encapsulate([b"\x00\x00\x01\xb3" + bytes(12)])
    ds["PixelData"].is_undefined_length = True
    with pytest.raises(UnsupportedTransferSyntaxError, match="MPEG2"):
        decode_frame(ds)


def test_undecodable_codestream_is_a_pixel_data_error_not_a_raw_exception() -> None:
    ds = mono([[1, 2], [3, 4]], syntax=JPEG2000Lossless, encapsulated=True)
    ds.PixelData = encapsulate([b"\xff\x4f\xff\x51" + bytes(40)])
    with pytest.raises(PixelDataError, match="could not be decoded"):
        decode_frame(ds)


def test_dataset_without_file_meta_uses_its_encoding() -> None:
    ds = mono([[7, 8]])
    del ds.file_meta
    ds.set_original_encoding(True, True)
    assert decode_frame(ds).tolist() == [[7, 8]]


# --------------------------------------------------------------------------- modality LUT


def test_integral_rescale_gives_integers_in_the_smallest_type() -> None:
    ds = mono([[0, 1024, 4095]], bits_stored=12, RescaleSlope="1", RescaleIntercept="-1024")
    lut = modality_lut_for(ds)
    assert (lut.slope, lut.intercept, lut.has_integer_output) == (1.0, -1024.0, True)
    values = read_frame_values(ds)
    assert values.dtype == np.int16
    assert values.tolist() == [[-1024, 0, 3071]]


def test_integral_rescale_widens_to_int32_when_needed() -> None:
    values = apply_modality_lut(np.array([0, 65535], dtype=np.uint16), ModalityLut(2.0, -10.0))
    assert values.dtype == np.int32
    assert values.tolist() == [-10, 131060]


def test_fractional_rescale_gives_float32() -> None:
    ds = mono([[0, 2, 4095]], RescaleSlope="0.5", RescaleIntercept="-0.25")
    values = read_frame_values(ds)
    assert values.dtype == np.float32
    assert values.tolist() == [[-0.25, 0.75, 2047.25]]


def test_identity_returns_the_values_untouched() -> None:
    stored = np.array([[1, 2]], dtype=np.uint16)
    assert apply_modality_lut(stored, ModalityLut()) is stored


def test_modality_lut_sequence_clips_below_and_above_the_table() -> None:
    item = Dataset()
    item.LUTDescriptor = [4, 10, 16]
    item.LUTData = [100, 200, 300, 400]
    item.ModalityLUTType = "OD"
    ds = mono([[5, 10, 11, 13, 20]], ModalityLUTSequence=[item])
    lut = modality_lut_for(ds)
    assert (lut.table, lut.first_mapped, lut.table_bits, lut.rescale_type) == (
        (100, 200, 300, 400),
        10,
        16,
        "OD",
    )
    assert read_frame_values(ds).tolist() == [[100, 100, 200, 400, 400]]


def test_modality_lut_data_as_ow_bytes() -> None:
    item = Dataset()
    item.LUTDescriptor = [3, 0, 12]
    item.add_new(0x00283006, "OW", np.array([7, 8, 4095], dtype="<u2").tobytes())
    ds = mono([[0, 1, 2, 3]], ModalityLUTSequence=[item])
    assert read_frame_values(ds).tolist() == [[7, 8, 4095, 4095]]


def test_signed_first_mapped_value_read_as_unsigned_is_corrected() -> None:
    item = Dataset()
    item.LUTDescriptor = [2, 65535, 16]  # -1 stored as US
    item.LUTData = [10, 20]
    ds = mono([[-1, 0, 5]], dtype="<i2", ModalityLUTSequence=[item])
    assert modality_lut_for(ds).first_mapped == -1
    assert read_frame_values(ds).tolist() == [[10, 20, 20]]


@pytest.mark.parametrize("relationship", ["LOG", "DISP"])
def test_xa_with_log_or_disp_relationship_skips_the_rescale(relationship: str) -> None:
    ds = mono([[10, 20]], Modality="XA", PixelIntensityRelationship=relationship)
    ds.RescaleSlope, ds.RescaleIntercept = "2", "100"
    assert modality_lut_for(ds).is_identity
    assert read_frame_values(ds).tolist() == [[10, 20]]


def test_xa_with_lin_relationship_applies_the_rescale() -> None:
    ds = mono([[10, 20]], Modality="XA", PixelIntensityRelationship="LIN")
    ds.RescaleSlope, ds.RescaleIntercept = "2", "100"
    assert read_frame_values(ds).tolist() == [[120, 140]]


def test_enhanced_xrf_by_sop_class_with_log_skips_the_rescale() -> None:
    ds = mono([[10]], PixelIntensityRelationship="LOG")
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.12.2.1"
    ds.RescaleSlope, ds.RescaleIntercept = "2", "100"
    assert modality_lut_for(ds).is_identity


def test_colour_images_get_the_identity() -> None:
    ds = make_dataset(RGB.tobytes(), 2, 3, bits_allocated=8, photometric="RGB", samples=3)
    ds.RescaleSlope, ds.RescaleIntercept = "2", "1"
    assert modality_lut_for(ds).is_identity
    assert read_frame_values(ds).tolist() == RGB.tolist()


def test_unusable_rescale_is_a_pixel_data_error() -> None:
    ds = mono([[1]], RescaleSlope="0", RescaleIntercept="0")
    with pytest.raises(PixelDataError, match="non-zero slope"):
        modality_lut_for(ds, source="flat.dcm")


def enhanced_two_frames() -> Dataset:
    ds = mono([[[100, 200]], [[100, 200]]])
    shared = Dataset()
    transform = Dataset()
    transform.RescaleSlope, transform.RescaleIntercept, transform.RescaleType = "1", "0", "US"
    shared.PixelValueTransformationSequence = [transform]
    window = Dataset()
    window.WindowCenter, window.WindowWidth = "150", "101"
    window.WindowCenterWidthExplanation = "SHARED"
    shared.FrameVOILUTSequence = [window]
    ds.SharedFunctionalGroupsSequence = [shared]
    first, second = Dataset(), Dataset()
    override = Dataset()
    override.RescaleSlope, override.RescaleIntercept, override.RescaleType = "2", "-1000", "HU"
    second.PixelValueTransformationSequence = [override]
    second_window = Dataset()
    second_window.WindowCenter, second_window.WindowWidth = ["-700", "-500"], ["200", "1000"]
    second_window.WindowCenterWidthExplanation = ["LUNG", "WIDE"]
    second_window.VOILUTFunction = "LINEAR_EXACT"
    second.FrameVOILUTSequence = [second_window]
    ds.PerFrameFunctionalGroupsSequence = [first, second]
    ds.WindowCenter, ds.WindowWidth = "1", "2"  # top level: overridden by the groups
    return ds


def test_enhanced_multi_frame_per_frame_rescale_overrides_shared() -> None:
    ds = enhanced_two_frames()
    assert modality_lut_for(ds, 0) == ModalityLut(1.0, 0.0, rescale_type="US")
    assert modality_lut_for(ds, 1) == ModalityLut(2.0, -1000.0, rescale_type="HU")
    assert read_frame_values(ds, 0).tolist() == [[100, 200]]
    assert read_frame_values(ds, 1).tolist() == [[-800, -600]]


def test_enhanced_multi_frame_voi_per_frame() -> None:
    ds = enhanced_two_frames()
    assert voi_presets_for(ds, 0) == (VoiPreset("SHARED", 150.0, 101.0),)
    assert voi_presets_for(ds, 1) == (
        VoiPreset("LUNG", -700.0, 200.0, VoiFunction.LINEAR_EXACT),
        VoiPreset("WIDE", -500.0, 1000.0, VoiFunction.LINEAR_EXACT),
    )
    # Frame 1: -800 and -600 through LUNG (c -700, w 200, exact): 0 and 1.
    assert render_frame(ds, 1).tolist() == [[0, 255]]
    with pytest.raises(PixelDataError, match="frame 2 requested"):
        voi_presets_for(ds, 2)


# --------------------------------------------------------------------------- VOI


def window(center: float, width: float, function: str = "LINEAR") -> VoiPreset:
    return VoiPreset("test", center, width, VoiFunction(function))


def test_linear_window_boundaries_from_the_standard() -> None:
    # PS3.3 C.11.2.1.2.1 examples: c=2048, w=4096 → x <= 0 is 0, x > 4095 is 1.
    x = np.array([-1, 0, 1, 2047, 2048, 4094, 4095, 4096], dtype=np.int16)
    y = apply_voi(x, window(2048, 4096))
    assert y.dtype == np.float32
    expected = [0.0, 0.0, *((np.array([1, 2047, 2048, 4094, 4095]) - 2047.5) / 4095 + 0.5), 1.0]
    np.testing.assert_allclose(y, expected, rtol=0, atol=2e-7)
    assert y[1] == 0.0 and y[6] == 1.0
    # c=2048, w=1: a step between 2047 and 2048.
    assert apply_voi(x, window(2048, 1)).tolist() == [0, 0, 0, 0, 1, 1, 1, 1]
    # c=0, w=100: x <= -50 is 0, x > 49 is 1.
    x = np.array([-51, -50, -49, 0, 48, 49, 50], dtype=np.int16)
    y = apply_voi(x, window(0, 100))
    np.testing.assert_allclose(y[2:6], (np.array([-49, 0, 48, 49]) + 0.5) / 99 + 0.5, atol=1e-7)
    assert (y[0], y[1], y[5], y[6]) == (0.0, 0.0, 1.0, 1.0)


def test_linear_exact_window_boundaries() -> None:
    # PS3.3 C.11.2.1.3.2: x <= c - w/2 is 0, x > c + w/2 is 1, else (x - c)/w + 0.5.
    x = np.array([-51, -50, -25, 0, 25, 50, 51], dtype=np.int16)
    y = apply_voi(x, window(0, 100, "LINEAR_EXACT"))
    assert y.tolist() == [0.0, 0.0, 0.25, 0.5, 0.75, 1.0, 1.0]


def test_sigmoid_window_values() -> None:
    # PS3.3 C.11.2.1.3.1: y = 1 / (1 + exp(-4 (x - c) / w)).
    x = np.array([-1e6, 0, 50, 100, 1e6], dtype=np.float64)
    y = apply_voi(x, window(50, 100, "SIGMOID"))
    expected = [0.0, 1 / (1 + math.exp(2)), 0.5, 1 / (1 + math.exp(-2)), 1.0]
    np.testing.assert_allclose(y, expected, rtol=0, atol=1e-7)


@pytest.mark.parametrize(
    ("function", "width"), [("LINEAR", 0.5), ("LINEAR_EXACT", 0), ("SIGMOID", -1)]
)
def test_too_narrow_windows_are_rejected(function: str, width: float) -> None:
    with pytest.raises(ValueError, match="width"):
        apply_voi(np.zeros(2), window(0, width, function))


def test_unknown_voi_function_is_rejected() -> None:
    with pytest.raises(ValueError, match="LINEAR, LINEAR_EXACT or SIGMOID"):
        VoiPreset("x", 0, 10, "CUBIC")  # type: ignore[arg-type]


def test_window_presets_keep_every_pair_and_explanation() -> None:
    ds = mono([[0]], signed=True, dtype="<i2")
    ds.WindowCenter, ds.WindowWidth = ["40", "-600", "300"], ["400", "1500", "0.5"]
    ds.WindowCenterWidthExplanation = ["SOFT TISSUE", "LUNG", "BAD"]
    ds.VOILUTFunction = "LINEAR"
    presets = voi_presets_for(ds)
    # The third pair has a width below 1 (not allowed for LINEAR) and is skipped.
    assert presets == (VoiPreset("SOFT TISSUE", 40.0, 400.0), VoiPreset("LUNG", -600.0, 1500.0))


def voi_lut_item(first: int, data: list[int], bits: int, explanation: str = "") -> Dataset:
    item = Dataset()
    item.LUTDescriptor = [len(data), first, bits]
    item.LUTData = data
    if explanation:
        item.LUTExplanation = explanation
    return item


def test_voi_lut_sequence_comes_first_like_pydicom_prefers_it() -> None:
    ds = mono([[0, 1, 2, 3, 9]], WindowCenter="2", WindowWidth="4")
    ds.VOILUTSequence = [voi_lut_item(1, [0, 128, 255], 8, "CURVE")]
    presets = voi_presets_for(ds)
    assert [p.name for p in presets] == ["CURVE", "Window 1"]
    assert presets[0].is_table and not presets[1].is_table
    y = apply_voi(read_frame_values(ds), presets[0])
    np.testing.assert_array_equal(y, np.array([[0, 0, 128 / 255, 1, 1]], dtype=np.float32))
    assert render_frame(ds).tolist() == [[0, 0, 128, 255, 255]]


def test_voi_lut_normalised_by_its_bit_depth() -> None:
    preset = VoiPreset("twelve", table=(0, 2048, 4095), first_mapped=0, table_bits=12)
    expected = np.array([0, 2048 / 4095, 1], dtype=np.float32)
    np.testing.assert_array_equal(apply_voi(np.array([0, 1, 2]), preset), expected)
    # A descriptor understating the data: normalised by what the data need.
    preset = VoiPreset("lying", table=(0, 300), first_mapped=0, table_bits=8)
    np.testing.assert_array_equal(
        apply_voi(np.array([0, 1]), preset), np.array([0, 300 / 511], dtype=np.float32)
    )


def test_voi_lut_with_negative_first_mapped_for_ct() -> None:
    ds = mono([[0, 1000]], RescaleSlope="1", RescaleIntercept="-1024")
    ds.VOILUTSequence = [voi_lut_item(65536 - 1024, [0, 65535], 16)]  # -1024 read as US
    preset = voi_presets_for(ds)[0]
    assert preset.first_mapped == -1024
    assert apply_voi(read_frame_values(ds), preset).tolist() == [[0.0, 1.0]]


def test_full_range_preset_spans_min_to_max() -> None:
    values = np.array([[-1000, 0], [3000, -2000]], dtype=np.int16)
    preset = full_range_preset(values)
    assert (preset.center, preset.width, preset.function) == (
        500.0,
        5000.0,
        VoiFunction.LINEAR_EXACT,
    )
    preset = full_range_preset(values, exclude=values == -2000)
    assert (preset.center, preset.width) == (1000.0, 4000.0)
    assert apply_voi(values, preset).tolist() == [[0.0, 0.25], [1.0, 0.0]]
    flat = full_range_preset(np.full((2, 2), 7.0))
    assert apply_voi(np.full((2, 2), 7.0), flat).tolist() == [[0.5, 0.5], [0.5, 0.5]]
    with pytest.raises(ValueError, match="empty"):
        full_range_preset(np.array([]))


def test_preset_from_an_index_window() -> None:
    preset = VoiPreset.from_window(VoiWindow(40.0, 400.0, "SOFT", "linear_exact"))
    assert preset == VoiPreset("SOFT", 40.0, 400.0, VoiFunction.LINEAR_EXACT)


# --------------------------------------------------------------------------- presentation


def test_inversion_rules() -> None:
    assert is_inverted(mono([[0]], photometric="MONOCHROME1"))
    assert not is_inverted(mono([[0]]))
    assert is_inverted(mono([[0]], PresentationLUTShape="INVERSE"))
    assert not is_inverted(mono([[0]], PresentationLUTShape="IDENTITY"))
    rgb = make_dataset(RGB.tobytes(), 2, 3, bits_allocated=8, photometric="RGB", samples=3)
    rgb.PresentationLUTShape = "INVERSE"
    assert not is_inverted(rgb)


def test_apply_presentation_and_display_rounding() -> None:
    arr = np.array([0.0, 0.25, 1.0], dtype=np.float32)
    assert apply_presentation(arr, True).tolist() == [1.0, 0.75, 0.0]
    assert apply_presentation(arr, False) is arr
    display = to_display_uint8(np.array([0.0, 0.5, 1.0, 1.2, -0.1, np.nan, 1 / 255]))
    assert display.dtype == np.uint8
    assert display.tolist() == [0, 128, 255, 255, 0, 0, 1]
    with pytest.raises(TypeError, match="inverted must be a bool"):
        apply_presentation(arr, 1)  # type: ignore[arg-type]


def test_monochrome1_renders_inverted_after_voi() -> None:
    values = [[0, 1023, 2047, 4095]]
    plain = render_frame(mono(values, bits_stored=12, WindowCenter="2048", WindowWidth="4096"))
    inverted = render_frame(
        mono(
            values,
            bits_stored=12,
            photometric="MONOCHROME1",
            WindowCenter="2048",
            WindowWidth="4096",
        )
    )
    assert plain.tolist() == [[0, 64, 127, 255]]
    assert inverted.tolist() == [[255, 191, 128, 0]]


def test_window_override_and_its_validation() -> None:
    ds = mono([[0, 100, 200]], WindowCenter="1000", WindowWidth="10")
    assert render_frame(ds, window=(100.5, 201)).tolist() == [[0, 128, 255]]
    with pytest.raises(ValueError, match="width >= 1"):
        render_frame(ds, window=(100, 0.5))
    with pytest.raises(TypeError, match="center, width"):
        render_frame(ds, window=(100,))  # type: ignore[arg-type]


def test_render_without_presets_uses_the_full_range() -> None:
    ds = mono([[10, 20, 30]])
    assert render_frame(ds).tolist() == [[0, 128, 255]]


# --------------------------------------------------------------------------- padding


def test_padding_value_marks_padded_stored_values() -> None:
    ds = mono([[-2000, -1000], [0, 1000]], dtype="<i2", PixelPaddingValue=-2000)
    assert padding_mask(ds, decode_frame(ds)).tolist() == [[True, False], [False, False]]


def test_padding_value_read_as_unsigned_for_signed_pixels() -> None:
    ds = mono([[-2000, 5]], dtype="<i2")
    ds.add_new(0x00280120, "US", 63536)  # -2000 written as US
    assert padding_mask(ds, decode_frame(ds)).tolist() == [[True, False]]


def test_padding_range_limit_marks_an_inclusive_range_either_way_round() -> None:
    ds = mono([[0, 5, 10, 11]], PixelPaddingValue=10, PixelPaddingRangeLimit=5)
    assert padding_mask(ds, decode_frame(ds)).tolist() == [[False, True, True, False]]


def test_no_padding_and_colour_give_no_mask() -> None:
    assert padding_mask(mono([[1]]), np.array([[1]])) is None
    rgb = make_dataset(RGB.tobytes(), 2, 3, bits_allocated=8, photometric="RGB", samples=3)
    rgb.PixelPaddingValue = 0
    assert padding_mask(rgb, decode_frame(rgb)) is None


def test_padding_renders_black_and_stays_out_of_the_full_range() -> None:
    for photometric in ("MONOCHROME2", "MONOCHROME1"):
        ds = mono(
            [[-2000, -1000, 0, 1000]],
            dtype="<i2",
            photometric=photometric,
            PixelPaddingValue=-2000,
            RescaleSlope="1",
            RescaleIntercept="-1024",
        )
        shown = render_frame(ds).tolist()[0]
        if photometric == "MONOCHROME2":
            assert shown == [0, 0, 128, 255]
        else:
            assert shown == [0, 255, 128, 0]


# --------------------------------------------------------------------------- misc


def test_supported_transfer_syntaxes_name_permissive_decoders() -> None:
    table = supported_transfer_syntaxes()
    assert table[ExplicitVRLittleEndian] == "pydicom"
    assert table[JPEGBaseline8Bit] == "python-gdcm"
    assert table["1.2.840.10008.1.2.4.51"] == "python-gdcm"
    assert table["1.2.840.10008.1.2.4.70"] == "python-gdcm"
    assert table[JPEGLSLossless] == "pyjpegls"
    assert table[JPEG2000Lossless] == "pylibjpeg-openjpeg"
    assert table["1.2.840.10008.1.2.4.201"] == "pylibjpeg-openjpeg"
    assert table[RLELossless] == "pylibjpeg-rle"
    assert "pylibjpeg-libjpeg" not in table.values()
    assert MPEG2MPML not in table


def test_errors_are_dicom_errors_with_a_reason() -> None:
    ds = mono([[1, 2]])
    ds.BitsAllocated = 12
    with pytest.raises(DicomError) as caught:
        render_frame(ds, source="odd.dcm")
    assert str(caught.value) == (
        "odd.dcm: Bits Allocated (0028,0100) is 12, expected 1 or 8, 16, 32, 64"
    )


def test_malformed_header_values_become_pixel_data_errors() -> None:
    ds = mono([[1, 2]])
    ds[0x00281053] = RawDataElement(Tag(0x00281053), "DS", 4, b"abc ", 0, False, True)
    with pytest.raises(PixelDataError, match="Rescale Slope/Intercept are 'abc'"):
        read_frame_values(ds, source="bad-slope.dcm")


def test_a_sequence_that_is_not_a_sequence_does_not_escape_raw() -> None:
    ds = mono([[1, 2]])
    # As read with force=True from a file whose VR is wrong: an integer, not items.
    ds[0x52009230] = RawDataElement(Tag(0x52009230), "UL", 4, b"abcd", 0, False, True)
    with pytest.raises(PixelDataError) as caught:
        render_frame(ds, source="bad-groups.dcm")
    assert caught.value.reason.startswith("rendering: TypeError")
    with pytest.raises(PixelDataError, match="modality LUT: TypeError"):
        modality_lut_for(ds, source="bad-groups.dcm")


# --------------------------------------------------------------------------- one owner per rule


@pytest.mark.parametrize(
    ("modality", "sop_class", "relationship", "skipped"),
    [
        ("XA", "", "LOG", True),
        ("RF", "", "DISP", True),  # RF is the defined term for fluoroscopy
        ("XRF", "", "log ", True),
        ("OT", "1.2.840.10008.5.1.4.1.1.12.1", "LOG", True),  # X-Ray Angiographic Image
        ("XA", "", "LIN", False),
        ("CT", "", "LOG", False),
        ("DX", "1.2.840.10008.5.1.4.1.1.1.1", "LOG", False),
    ],
)
def test_skips_modality_lut_decides_the_xa_xrf_rule(
    modality: str, sop_class: str, relationship: str, skipped: bool
) -> None:
    assert skips_modality_lut(modality, sop_class, relationship) is skipped


def test_rf_with_log_relationship_skips_the_rescale() -> None:
    ds = mono([[10, 20]], Modality="RF", PixelIntensityRelationship="LOG")
    ds.RescaleSlope, ds.RescaleIntercept = "2", "100"
    assert modality_lut_for(ds).is_identity


@pytest.mark.filterwarnings("ignore:Invalid value for VR UI:UserWarning")
def test_transfer_syntax_of_prefers_the_declared_uid() -> None:
    ds = mono([[1]], syntax=ExplicitVRLittleEndian)
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian + "\x00"
    assert transfer_syntax_of(ds) == ExplicitVRLittleEndian
    assert is_little_endian(ds)


@pytest.mark.parametrize(
    ("implicit", "little", "expected"),
    [
        (True, True, ImplicitVRLittleEndian),
        (False, True, ExplicitVRLittleEndian),
        (False, False, ExplicitVRBigEndian),
        (None, None, ExplicitVRLittleEndian),
    ],
)
def test_transfer_syntax_of_falls_back_to_the_encoding_read(
    implicit: bool | None, little: bool | None, expected: str
) -> None:
    ds = mono([[1]])
    del ds.file_meta.TransferSyntaxUID
    ds.set_original_encoding(implicit, little)
    assert transfer_syntax_of(ds) == expected
    assert is_little_endian(ds) is (expected != ExplicitVRBigEndian)


def test_check_native_length_accepts_padding_and_refuses_short_data() -> None:
    sizes = {"rows": 2, "columns": 3, "frames": 2, "samples": 1, "bits_allocated": 16}
    check_native_length("a.dcm", 24, **sizes)
    check_native_length("a.dcm", 26, **sizes)
    with pytest.raises(PixelDataError, match=r"^a\.dcm: pixel data is 23 bytes, expected 24 "):
        check_native_length("a.dcm", 23, **sizes)
