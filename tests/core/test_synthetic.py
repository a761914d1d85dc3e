"""Tests for core.synthetic: phantoms, ground truth and the DICOM they are written as."""

from __future__ import annotations

import itertools
import json
import re
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest
from pydicom.errors import InvalidDicomError
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGLSLossless,
    RLELossless,
)

from core import synthetic
from core.errors import UsageError
from core.synthetic import Lesion

LOSSLESS = [RLELossless, JPEGLSLossless, JPEG2000Lossless]


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def apply_linear_window(values: np.ndarray, center: float, width: float) -> np.ndarray:
    """PS3.3 C.11.2.1.2.1 linear VOI, output in [0, 1]."""
    return np.clip((values - (center - 0.5)) / (width - 1.0) + 0.5, 0.0, 1.0)


def displayed(ds: pydicom.Dataset) -> np.ndarray:
    """What a viewer shows with the first window: rescale, VOI, MONOCHROME1 inversion."""
    values = ds.pixel_array.astype(np.float64) * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    centers = ds.WindowCenter if ds["WindowCenter"].VM > 1 else [ds.WindowCenter]
    widths = ds.WindowWidth if ds["WindowWidth"].VM > 1 else [ds.WindowWidth]
    out = apply_linear_window(values, float(centers[0]), float(widths[0]))
    return 1.0 - out if ds.PhotometricInterpretation == "MONOCHROME1" else out


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def hu_of(ds: pydicom.Dataset) -> np.ndarray:
    return ds.pixel_array.astype(np.float64) * float(ds.RescaleSlope) + float(ds.RescaleIntercept)


# --------------------------------------------------------------------------- seeds


def test_write_synthetic_is_byte_identical_for_a_seed(tmp_path: Path) -> None:
    for run in ("a", "b"):
        out = tmp_path / run
        synthetic.write_synthetic(out, "cxr", count=2, seed=5, size=160)
        synthetic.write_synthetic(out, "ct", seed=5, size=48)
        synthetic.write_synthetic(out, "mr", seed=5, size=48)
        synthetic.write_synthetic(out, "multiframe", seed=5, size=48)
        synthetic.write_synthetic(out, "broken", seed=5)
    first, second = tree_bytes(tmp_path / "a"), tree_bytes(tmp_path / "b")
    assert len(first) > 2 + 64 + 24 + 1 + 10
    assert first == second
    other = tmp_path / "c"
    synthetic.write_synthetic(other, "cxr", count=2, seed=6, size=160)
    assert tree_bytes(other)["cxr/0001.dcm"] != first["cxr/0001.dcm"]


def test_uids_are_valid_and_unique(tmp_path: Path) -> None:
    truth = synthetic.write_synthetic(tmp_path, "ct", count=2, seed=1, size=32)
    sops = [t["sop_instance_uid"] for t in truth.values()]
    assert len(set(sops)) == len(sops) == 128
    assert len({t["series_uid"] for t in truth.values()}) == 2
    for uid in sops[:5]:
        assert uid.startswith("1.2.826.0.1.3680043.8.498.") and len(uid) <= 64


# --------------------------------------------------------------------------- truth.json


def test_truth_json_maps_relative_paths_and_merges_kinds(tmp_path: Path) -> None:
    cxr = synthetic.write_synthetic(tmp_path, "cxr", count=3, seed=2, size=128)
    ct = synthetic.write_synthetic(tmp_path, "ct", seed=2, size=32)
    broken = synthetic.write_synthetic(tmp_path, "broken", seed=2)
    truth = json.loads((tmp_path / "truth.json").read_text())
    assert truth == {**cxr, **ct, **broken}
    assert sorted(cxr) == ["cxr/0001.dcm", "cxr/0002.dcm", "cxr/0003.dcm"]
    for rel, entry in truth.items():
        assert not Path(rel).is_absolute() and "\\" not in rel
        assert (tmp_path / rel).is_file()
        assert rel.split("/")[0] == entry["kind"]
    for rel, entry in cxr.items():
        ds = pydicom.dcmread(tmp_path / rel)
        assert entry["view"] == ds.ViewPosition
        assert entry["modality"] == ds.Modality
        assert entry["photometric"] == ds.PhotometricInterpretation
        assert entry["bits_stored"] == ds.BitsStored
        assert entry["sop_instance_uid"] == ds.SOPInstanceUID
        for lesion in entry["lesions"]:
            assert lesion["label"] in synthetic.LESION_LABELS
            row, col = lesion["center"]
            assert 0 <= row < ds.Rows and 0 <= col < ds.Columns and lesion["radius"] > 0
    ct_entries = sorted(ct.values(), key=lambda e: e["slice_index"])
    assert [e["slice_index"] for e in ct_entries] == list(range(64))
    assert all(a["z"] < b["z"] for a, b in itertools.pairwise(ct_entries))
    for rel, entry in list(ct.items())[:3]:
        ds = pydicom.dcmread(tmp_path / rel, stop_before_pixels=True)
        assert entry["series_uid"] == ds.SeriesInstanceUID
        assert entry["z"] == pytest.approx(float(ds.ImagePositionPatient[2]))
        assert entry["instance_number"] == ds.InstanceNumber
    defects = sorted(e["defect"] for e in broken.values())
    assert defects.count("good") == 2
    assert set(defects) == set(synthetic.BROKEN_DEFECTS)


def test_write_synthetic_refuses_a_used_folder_and_bad_arguments(tmp_path: Path) -> None:
    synthetic.write_synthetic(tmp_path, "multiframe", seed=0, size=32)
    with pytest.raises(UsageError, match="already holds files"):
        synthetic.write_synthetic(tmp_path, "multiframe", seed=1, size=32)
    with pytest.raises(UsageError, match="kind"):
        synthetic.write_synthetic(tmp_path, "pet")
    with pytest.raises(UsageError, match="count"):
        synthetic.write_synthetic(tmp_path, "ct", count=0)
    with pytest.raises(TypeError, match="seed"):
        synthetic.write_synthetic(tmp_path, "ct", seed="1")  # type: ignore[arg-type]


def test_demo_study_shares_one_patient_and_study(tmp_path: Path) -> None:
    truth = synthetic.write_demo_study(tmp_path, seed=3)
    assert not (tmp_path / "truth.json").exists()
    ct = [k for k in truth if k.startswith("ct/")]
    cxr = sorted(k for k in truth if k.startswith("cxr/"))
    assert len(ct) == 64 and len(cxr) == 2
    headers = [pydicom.dcmread(tmp_path / k, stop_before_pixels=True) for k in (*cxr, ct[0])]
    assert {h.StudyInstanceUID for h in headers} == {headers[0].StudyInstanceUID}
    assert {str(h.PatientName) for h in headers} == {str(headers[0].PatientName)}
    assert [h.ViewPosition for h in headers[:2]] == ["PA", "LL"]
    assert (headers[2].Rows, headers[2].Columns) == (256, 256)
    assert truth[cxr[0]]["labels"] == ["Nodule"]


# --------------------------------------------------------------------------- radiographs


def lesion_disc(shape: tuple[int, int], lesion: Lesion, scale: float = 1.0) -> np.ndarray:
    rows, cols = np.ogrid[: shape[0], : shape[1]]
    r0, c0 = lesion.center
    return (rows - r0) ** 2 + (cols - c0) ** 2 <= (lesion.radius * scale) ** 2


@pytest.mark.parametrize("view", ["PA", "AP", "LL"])
def test_lesions_are_where_the_pixels_show_them(view: str) -> None:
    seen: set[str] = set()
    for seed in range(12):
        sick = synthetic.make_cxr_pixels(rng(seed), 192, view, "random")
        healthy = synthetic.make_cxr_pixels(rng(seed), 192, view, None)
        diff = np.abs(sick.image.astype(np.float64) - healthy.image)
        if not sick.lesions:
            assert diff.max() == 0.0
            continue
        union = np.zeros(diff.shape, bool)
        for lesion in sick.lesions:
            seen.add(lesion.label)
            disc = lesion_disc(diff.shape, lesion)
            assert disc.any()
            assert diff[disc].mean() > 0.008, (seed, lesion)
            union |= lesion_disc(diff.shape, lesion, 1.5)
            if lesion.label in ("Nodule", "Mass", "Consolidation"):
                row, col = (round(x) for x in lesion.center)
                assert sick.lung_mask[row, col], (seed, lesion)
        # Almost all of the change lies in the discs (scaled 1.5x for irregular shapes).
        assert diff[union].sum() >= 0.85 * diff.sum(), (seed, sick.lesions)
    assert len(seen) >= 3


def test_requested_lesions_are_drawn_and_reported() -> None:
    wanted = [
        Lesion("Nodule", (150.0, 160.0), 6.0),
        Lesion("Mass", (110.0, 360.0), 22.0),
        Lesion("Effusion", (330.0, 110.0), 40.0),
        Lesion("Cardiomegaly", (300.0, 270.0), 95.0),
    ]
    phantom = synthetic.make_cxr_pixels(rng(4), 512, "PA", wanted)
    healthy = synthetic.make_cxr_pixels(rng(4), 512, "PA", None)
    by_label = {lesion.label: lesion for lesion in phantom.lesions}
    assert by_label["Nodule"] == wanted[0] and by_label["Mass"] == wanted[1]
    assert by_label["Cardiomegaly"].center == pytest.approx((300.0, 270.0), abs=0.6)
    assert by_label["Cardiomegaly"].radius == pytest.approx(95.0, abs=0.6)
    assert by_label["Effusion"].center[1] < 256  # the side of the requested centre
    diff = phantom.image - healthy.image
    for lesion in phantom.lesions:
        assert np.abs(diff[lesion_disc(diff.shape, lesion)]).mean() > 0.01
    # Dense lesions brighten the display; nothing is drawn outside the body.
    assert diff[lesion_disc(diff.shape, wanted[0])].mean() > 0
    assert np.abs(diff[~phantom.body_mask]).max() < 1e-6


def test_phantom_is_anatomical_not_noise() -> None:
    phantom = synthetic.make_cxr_pixels(rng(8), 256, "PA", None, noise=0.0)
    image, lungs = phantom.image, phantom.lung_mask
    assert 0.15 < lungs.mean() < 0.45
    # Both lungs, one on each side of the midline, darker than the mediastinum.
    assert lungs[:, :100].any() and lungs[:, 156:].any() and not lungs[:, 124:132].any()
    assert image[lungs].mean() < image[100:180, 120:136].mean() - 0.2
    assert image[:8, :8].mean() < 0.05  # air above the shoulders is black
    noisy = synthetic.make_cxr_pixels(rng(8), 256, "PA", None)
    assert 0.003 < float(np.std(noisy.image - image)) < 0.03


@pytest.mark.parametrize("bits", [12, 13, 14, 15, 16])
def test_cxr_values_respect_bits_stored(tmp_path: Path, bits: int) -> None:
    path = tmp_path / "x.dcm"
    truth = synthetic.write_cxr(path, rng(bits), bits_stored=bits, size=(160, 128))
    ds = pydicom.dcmread(path)
    pixels = ds.pixel_array
    assert pixels.shape == (160, 128) and pixels.dtype == np.uint16
    assert (ds.BitsStored, ds.HighBit, ds.BitsAllocated) == (bits, bits - 1, 16)
    assert int(pixels.max()) < 2**bits
    assert int(pixels.max()) - int(pixels.min()) > 0.6 * 2**bits
    assert truth.rows == 160 and truth.columns == 128


@pytest.mark.parametrize(("modality", "intercept"), [("DX", 0), ("CR", 0), ("CR", -500)])
def test_monochrome1_displays_like_monochrome2(
    tmp_path: Path, modality: str, intercept: int
) -> None:
    shown = {}
    for mono in (1, 2):
        path = tmp_path / f"m{mono}.dcm"
        synthetic.write_cxr(
            path,
            rng(11),
            modality=modality,
            monochrome=mono,
            bits_stored=14,
            size=128,
            lesions="random",
            rescale_intercept=intercept,
        )
        ds = pydicom.dcmread(path)
        assert ds.PhotometricInterpretation == f"MONOCHROME{mono}"
        if modality == "DX":
            assert ds.PresentationLUTShape == ("INVERSE" if mono == 1 else "IDENTITY")
            assert ds.PixelIntensityRelationshipSign == (1 if mono == 1 else -1)
        else:
            assert "PresentationLUTShape" not in ds
        shown[mono] = displayed(ds)
    assert np.abs(shown[1] - shown[2]).max() < 1e-9
    assert shown[2].std() > 0.2  # the window shows the image, it is not flat


def test_cxr_attributes_follow_the_iods(tmp_path: Path) -> None:
    dx_truth = synthetic.write_cxr(tmp_path / "dx.dcm", rng(1), modality="DX", view="AP", size=64)
    cr_truth = synthetic.write_cxr(tmp_path / "cr.dcm", rng(1), modality="CR", view="LL", size=64)
    dx = pydicom.dcmread(tmp_path / "dx.dcm")
    cr = pydicom.dcmread(tmp_path / "cr.dcm")
    common = [
        "PatientName", "PatientID", "PatientBirthDate", "PatientSex", "PatientAge",
        "StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID", "StudyDate", "StudyTime",
        "AccessionNumber", "ReferringPhysicianName", "StudyID", "SeriesNumber", "InstanceNumber",
        "BodyPartExamined", "ViewPosition", "PatientOrientation", "ImagerPixelSpacing",
        "WindowCenter", "WindowWidth", "WindowCenterWidthExplanation", "Manufacturer",
    ]  # fmt: skip
    for ds in (dx, cr):
        for keyword in common:
            assert keyword in ds, keyword
        assert ds.BodyPartExamined == "CHEST"
        assert ds.file_meta.MediaStorageSOPClassUID == ds.SOPClassUID
        assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
        assert str(ds.PatientName).startswith("PHANTOM^")
    assert dx.SOPClassUID == synthetic.DX_IMAGE_STORAGE_FOR_PRESENTATION
    assert cr.SOPClassUID == synthetic.CR_IMAGE_STORAGE
    assert dx.PresentationIntentType == "FOR PRESENTATION"
    assert (dx.RescaleSlope, dx.RescaleIntercept, dx.RescaleType) == (1, 0, "US")
    assert dx.AnatomicRegionSequence[0].CodeMeaning == "Chest"
    assert "AcquisitionContextSequence" in dx and "PixelSpacing" not in dx
    mag = float(dx.DistanceSourceToDetector) / float(dx.DistanceSourceToPatient)
    assert float(dx.EstimatedRadiographicMagnificationFactor) == pytest.approx(mag, abs=1e-4)
    assert dx_truth.magnification == pytest.approx(mag, abs=1e-4)
    assert list(dx.PatientOrientation) == ["L", "F"]
    assert list(cr.PatientOrientation) == ["P", "F"]
    assert list(cr.PixelSpacing) == list(cr.ImagerPixelSpacing)
    assert cr_truth.magnification is None and cr_truth.view == "LL"
    age = int(dx.PatientAge[:3])
    study, birth = dx.StudyDate, dx.PatientBirthDate
    expected = int(study[:4]) - int(birth[:4]) - (study[4:] < birth[4:])
    assert age == expected == dx_truth.patient_age


# --------------------------------------------------------------------------- CT and MR


def read_series(paths: list[Path]) -> list[pydicom.Dataset]:
    return [pydicom.dcmread(p) for p in paths]


def normal_of(ds: pydicom.Dataset) -> np.ndarray:
    iop = np.array([float(v) for v in ds.ImageOrientationPatient])
    return np.cross(iop[:3], iop[3:])


def test_ct_geometry_names_and_instance_numbers(tmp_path: Path) -> None:
    orders = set()
    representations = set()
    for seed in range(6):
        out = tmp_path / f"s{seed}"
        paths = synthetic.write_ct_series(
            out, rng(seed), slices=12, size=48, slice_thickness=2.0, spacing=2.5
        )
        assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in paths)
        series = read_series(paths)
        normal = normal_of(series[0])
        projections = [
            float(np.dot(normal, [float(v) for v in ds.ImagePositionPatient])) for ds in series
        ]
        steps = np.diff(projections)
        assert np.allclose(steps, 2.5, atol=1e-3)  # returned in geometric order
        assert [p.name for p in sorted(paths)] != [p.name for p in paths]  # names shuffled
        numbers = [int(ds.InstanceNumber) for ds in series]
        assert sorted(numbers) == list(range(1, 13))
        ordered = numbers == sorted(numbers) or numbers == sorted(numbers, reverse=True)
        orders.add(ordered)
        for ds in series:
            representations.add(int(ds.PixelRepresentation))
            assert float(ds.SliceLocation) == pytest.approx(float(ds.ImagePositionPatient[2]))
            assert ds.FrameOfReferenceUID == series[0].FrameOfReferenceUID
            assert (ds.RescaleIntercept, ds.RescaleSlope, ds.RescaleType) == (-1024, 1, "HU")
            assert list(ds.WindowCenterWidthExplanation) == ["MEDIASTINUM", "LUNG", "BONE"]
            assert ds.pixel_array.shape == (48, 48)
    assert orders == {True, False}  # instance numbers sometimes not in geometric order
    assert representations == {0, 1}


@pytest.mark.parametrize(("signed", "bits"), [(0, 12), (1, 12), (0, 16), (1, 16)])
def test_ct_values_are_hounsfield_in_range(tmp_path: Path, signed: int, bits: int) -> None:
    paths = synthetic.write_ct_series(
        tmp_path,
        rng(3),
        slices=6,
        size=96,
        slice_thickness=40.0,
        pixel_representation=signed,
        bits_stored=bits,
        padding=True,
    )
    low, high = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2**bits - 1)
    volume = []
    for ds in read_series(paths):
        pixels = ds.pixel_array
        assert pixels.dtype == (np.int16 if signed else np.uint16)
        assert low <= int(pixels.min()) and int(pixels.max()) <= high
        pad = int(ds.PixelPaddingValue)
        assert pad == (-2000 if signed else 0)
        assert pixels[0, 0] == pad  # corner lies outside the circular field of view
        volume.append(np.where(pixels == pad, -1000, hu_of(ds)))
    hu = np.array(volume)
    assert np.median(hu[:, :4, 40:56]) == pytest.approx(-1000, abs=40)  # air above the body
    assert (hu < -700).mean() > 0.1 and (hu > 500).sum() > 20  # lungs/air and bone
    assert ((hu > -20) & (hu < 80)).mean() > 0.1  # soft tissue
    assert hu.max() <= 3071


def test_ct_tilt_shears_the_stack(tmp_path: Path) -> None:
    paths = synthetic.write_ct_series(tmp_path, rng(2), slices=5, size=32, tilt=15.0, spacing=3.0)
    series = read_series(paths)
    iop = [float(v) for v in series[0].ImageOrientationPatient]
    assert iop[4] == pytest.approx(np.cos(np.radians(15))) and iop[5] < 0
    assert float(series[0].GantryDetectorTilt) == 15.0
    positions = np.array([[float(v) for v in ds.ImagePositionPatient] for ds in series])
    steps = np.diff(positions, axis=0)
    assert np.allclose(steps[:, :2], 0) and np.allclose(np.abs(steps[:, 2]), 3.0)
    projected = positions @ normal_of(series[0])
    assert np.all(np.diff(projected) > 0)


@pytest.mark.parametrize("orientation", ["axial", "sagittal", "coronal"])
def test_mr_series_geometry(tmp_path: Path, orientation: str) -> None:
    paths = synthetic.write_mr_series(
        tmp_path, rng(5), slices=6, size=64, orientation=orientation, weighting="T2"
    )
    series = read_series(paths)
    normal = normal_of(series[0])
    positions = [np.array([float(v) for v in ds.ImagePositionPatient]) for ds in series]
    assert np.allclose(np.diff([p @ normal for p in positions]), 6.0)
    ds = series[3]
    assert ds.SOPClassUID == synthetic.MR_IMAGE_STORAGE and ds.Modality == "MR"
    assert float(ds.EchoTime) == 100 and ds.ScanningSequence == "SE"
    pixels = ds.pixel_array
    assert pixels.shape == (64, 64) and int(pixels.max()) < 4096
    assert pixels[28:36, 28:36].mean() > 5 * pixels[:3, :3].mean() + 50  # head, not air


# --------------------------------------------------------------------------- multi-frame


def merged_intercepts(ds: pydicom.Dataset) -> list[float]:
    shared = ds.SharedFunctionalGroupsSequence[0]
    out = []
    for item in ds.PerFrameFunctionalGroupsSequence:
        group = item if "PixelValueTransformationSequence" in item else shared
        out.append(float(group.PixelValueTransformationSequence[0].RescaleIntercept))
    return out


def test_enhanced_multiframe_needs_merging(tmp_path: Path) -> None:
    frames_hu = {}
    for mode in ("shared", "per_frame", "both"):
        path = tmp_path / f"{mode}.dcm"
        truth = synthetic.write_enhanced_multiframe(
            path, rng(9), frames=9, size=48, pixel_value_transformation=mode, shuffle_frames=True
        )
        ds = pydicom.dcmread(path)
        assert ds.SOPClassUID == synthetic.ENHANCED_CT_IMAGE_STORAGE
        assert int(ds.NumberOfFrames) == 9 and ds.pixel_array.shape == (9, 48, 48)
        shared = ds.SharedFunctionalGroupsSequence[0]
        for keyword in (
            "PixelMeasuresSequence",
            "PlaneOrientationSequence",
            "FrameVOILUTSequence",
            "FrameAnatomySequence",
            "CTImageFrameTypeSequence",
        ):
            assert keyword in shared, keyword
        assert ("PixelValueTransformationSequence" in shared) == (mode != "per_frame")
        stack = []
        for item in ds.PerFrameFunctionalGroupsSequence:
            content = item.FrameContentSequence[0]
            assert content.StackID == "1"
            assert list(content.DimensionIndexValues) == [1, content.InStackPositionNumber]
            stack.append(int(content.InStackPositionNumber))
            assert "PlanePositionSequence" in item
        assert stack == list(truth.in_stack_positions) and sorted(stack) == list(range(1, 10))
        assert stack != sorted(stack)  # stored out of order; In-Stack Position sorts them
        z = [
            float(i.PlanePositionSequence[0].ImagePositionPatient[2])
            for i in ds.PerFrameFunctionalGroupsSequence
        ]
        by_position = [z[stack.index(k)] for k in range(1, 10)]
        assert np.allclose(np.diff(by_position), 5.0)
        intercepts = merged_intercepts(ds)
        assert intercepts == list(truth.frame_intercepts)
        frames_hu[mode] = ds.pixel_array.astype(np.float64) + np.array(intercepts)[:, None, None]
        if mode == "both":
            overridden = [
                "PixelValueTransformationSequence" in item
                for item in ds.PerFrameFunctionalGroupsSequence
            ]
            assert any(overridden) and not all(overridden)
            shared_only = ds.pixel_array.astype(np.float64) - 1024.0
            assert not np.array_equal(shared_only, frames_hu["shared"])
    assert np.array_equal(frames_hu["per_frame"], frames_hu["shared"])
    assert np.array_equal(frames_hu["both"], frames_hu["shared"])
    dims = pydicom.dcmread(tmp_path / "both.dcm").DimensionIndexSequence
    assert [d.DimensionIndexPointer for d in dims] == [0x00209056, 0x00209057]


# --------------------------------------------------------------------------- compression


def test_list_transfer_syntaxes_includes_the_lossless_encoders() -> None:
    available = synthetic.list_transfer_syntaxes()
    for uid in (*LOSSLESS, ExplicitVRLittleEndian, ImplicitVRLittleEndian):
        assert uid in available


@pytest.mark.parametrize(
    "syntax", [*LOSSLESS, ImplicitVRLittleEndian, DeflatedExplicitVRLittleEndian]
)
def test_compressed_variants_decode_equal(tmp_path: Path, syntax: str) -> None:
    if syntax not in synthetic.list_transfer_syntaxes():
        pytest.skip(f"no encoder for {syntax}")
    plain = tmp_path / "plain.dcm"
    packed = tmp_path / "packed.dcm"
    synthetic.write_cxr(plain, rng(2), size=96, bits_stored=15, monochrome=1)
    truth = synthetic.write_cxr(
        packed, rng(2), size=96, bits_stored=15, monochrome=1, transfer_syntax=syntax
    )
    a, b = pydicom.dcmread(plain), pydicom.dcmread(packed)
    assert b.file_meta.TransferSyntaxUID == syntax == truth.transfer_syntax
    assert np.array_equal(a.pixel_array, b.pixel_array)
    assert a.SOPInstanceUID == b.SOPInstanceUID
    for signed in (0, 1):
        plain_ct = synthetic.write_ct_series(
            tmp_path / f"p{signed}", rng(3), slices=2, size=32, pixel_representation=signed,
            padding=True,
        )  # fmt: skip
        packed_ct = synthetic.write_ct_series(
            tmp_path / f"c{signed}", rng(3), slices=2, size=32, pixel_representation=signed,
            padding=True, transfer_syntax=syntax,
        )  # fmt: skip
        for p, c in zip(plain_ct, packed_ct, strict=True):
            assert np.array_equal(pydicom.dcmread(p).pixel_array, pydicom.dcmread(c).pixel_array)
    synthetic.write_enhanced_multiframe(tmp_path / "mf.dcm", rng(4), frames=3, size=32)
    synthetic.write_enhanced_multiframe(
        tmp_path / "mfc.dcm", rng(4), frames=3, size=32, transfer_syntax=syntax
    )
    assert np.array_equal(
        pydicom.dcmread(tmp_path / "mf.dcm").pixel_array,
        pydicom.dcmread(tmp_path / "mfc.dcm").pixel_array,
    )


def test_unknown_transfer_syntax_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"1\.2\.840\.10008\.1\.2\.4\.50"):
        synthetic.write_cxr(tmp_path / "x.dcm", rng(0), transfer_syntax="1.2.840.10008.1.2.4.50")


# --------------------------------------------------------------------------- broken set


def test_broken_set_defects_are_really_there(tmp_path: Path) -> None:
    written = synthetic.write_broken_set(tmp_path, rng(7))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(written)
    by_code = {code: tmp_path / name for name, code in written.items() if code != "good"}
    assert set(by_code) | {"good"} == set(synthetic.BROKEN_DEFECTS)
    goods = [tmp_path / n for n, c in written.items() if c == "good"]
    assert len(goods) == 2
    shapes = {pydicom.dcmread(p).pixel_array.shape for p in goods}
    assert shapes == {(64, 64), (128, 128)}

    good = (tmp_path / "good_ct.dcm").read_bytes()
    uid = str(pydicom.dcmread(tmp_path / "good_ct.dcm").SOPInstanceUID).encode()

    def original(data: bytes) -> bytes:
        """The bytes with this file's own SOP Instance UID put back to good_ct's."""
        return re.sub(re.escape(uid[:-1]) + rb"\d", uid, data)

    # Every broken DICOM file is its own object, not a copy of good_ct.
    dicom_like = [p for c, p in by_code.items() if c not in ("empty_file", "png_image")]
    uids = [p.read_bytes() for p in dicom_like if uid[:-1] in p.read_bytes()]
    assert all(uid not in data for data in uids)
    expected = 64 * 64 * 2
    pixel_tag = b"\xe0\x7f\x10\x00OW"
    at = good.rindex(pixel_tag)

    cut = original(by_code["truncated_in_header"].read_bytes())
    assert len(cut) < at and good.startswith(cut)
    with pytest.raises(Exception):  # noqa: B017 - any read failure will do
        pydicom.dcmread(by_code["truncated_in_header"]).pixel_array  # noqa: B018

    cut = original(by_code["truncated_in_pixel_data"].read_bytes())
    assert at + 12 < len(cut) < len(good) and good.startswith(cut)

    missing = pydicom.dcmread(by_code["missing_pixel_data"])
    assert "PixelData" not in missing and missing.Rows == 64

    short = pydicom.dcmread(by_code["pixel_data_short"])
    assert len(short.PixelData) == expected // 2
    long = pydicom.dcmread(by_code["pixel_data_long"])
    assert len(long.PixelData) > expected and long.PixelData[:expected] == good[at + 12 :]

    raw = by_code["wrong_value_length"].read_bytes()
    rows_at = raw.index(b"\x28\x00\x10\x00US")
    assert struct.unpack("<H", raw[rows_at + 6 : rows_at + 8])[0] == 6

    raw = by_code["value_length_past_end"].read_bytes()
    at_manufacturer = raw.index(b"\x08\x00\x70\x00LO")
    length = struct.unpack("<H", raw[at_manufacturer + 6 : at_manufacturer + 8])[0]
    assert at_manufacturer + 8 + length > len(raw)

    assert by_code["empty_file"].stat().st_size == 0
    assert by_code["png_image"].read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert by_code["text_file"].read_text().startswith("Synthetic")
    junk = by_code["dicm_then_garbage"].read_bytes()
    assert junk[128:132] == b"DICM" and len(junk) > 1000
    for code in ("random_bytes", "text_file", "empty_file", "png_image"):
        with pytest.raises((InvalidDicomError, EOFError)):
            pydicom.dcmread(by_code[code])


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"view": "OBLIQUE"}, UsageError, "view"),
        ({"modality": "MG"}, UsageError, "modality"),
        ({"bits_stored": 11}, UsageError, "bits_stored"),
        ({"bits_stored": 12.0}, TypeError, "bits_stored"),
        ({"monochrome": 3}, UsageError, "monochrome"),
        ({"size": "big"}, TypeError, "size"),
        ({"size": 8}, UsageError, "size"),
        ({"lesions": ["Nodule"]}, TypeError, "lesions"),
        ({"modality": "DX", "rescale_intercept": 5}, UsageError, "Intercept"),
    ],
)
def test_write_cxr_validates_its_arguments(
    tmp_path: Path, kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        synthetic.write_cxr(tmp_path / "x.dcm", rng(0), **kwargs)
    assert not (tmp_path / "x.dcm").exists()


def test_bad_generator_and_lesion_are_refused(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="Generator"):
        synthetic.write_ct_series(tmp_path, 3)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="label"):
        Lesion("Tumour", (1.0, 2.0), 3.0)
    with pytest.raises(UsageError, match="radius"):
        Lesion("Nodule", (1.0, 2.0), 0.0)
    assert Lesion("Mass", (1.234, 5.678), 9.0).to_json() == {
        "label": "Mass",
        "center": [1.23, 5.68],
        "radius": 9.0,
    }
