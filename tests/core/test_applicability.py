"""The applicability gate: modality, body part, view position, age."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset

from core.analysis.applicability import (
    ImageFacts,
    check_applicability,
    compute_age_years,
    facts_from_dataset,
    facts_from_records,
    parse_age_string,
)
from core.analysis.manifest import AppliesTo, parse_manifest
from core.dicom.index import scan
from core.synthetic import make_study_context, write_cxr
from tests.core.package_helpers import manifest_data

CXR = AppliesTo(
    modality=("CR", "DX"), body_part=("CHEST",), view_position=("PA", "AP"), min_age_years=18
)
ADULT_PA = ImageFacts(modality="DX", body_part="CHEST", view_position="PA", age_years=45.0)


def test_adult_frontal_chest_radiograph_passes() -> None:
    assert check_applicability(CXR, ADULT_PA) is None
    assert check_applicability(CXR, ImageFacts("cr", "chest", "ap", 18.0)) is None


@pytest.mark.parametrize(
    ("facts", "reason"),
    [
        (ImageFacts("CT", "CHEST", None, 45.0), "CT not supported by this model"),
        (ImageFacts("MR", "HEAD", None, 45.0), "MR not supported by this model"),
        (ImageFacts(None, "CHEST", "PA", 45.0), "modality unknown (this model reads CR, DX)"),
        (ImageFacts("DX", "SKULL", "PA", 45.0), "body part SKULL not supported by this model"),
        (ImageFacts("DX", "CHEST", "LL", 45.0), "lateral view"),
        (ImageFacts("DX", "CHEST", "RL", 45.0), "lateral view"),
        (ImageFacts("DX", "CHEST", "LATERAL", 45.0), "lateral view"),
        (ImageFacts("DX", "CHEST", "LLD", 45.0), "decubitus view"),
        (ImageFacts("DX", "CHEST", "RLO", 45.0), "oblique view"),
        (ImageFacts("DX", "CHEST", "XYZ", 45.0), "XYZ view not supported by this model"),
        (ImageFacts("DX", "CHEST", "PA", 10.0), "patient under 18"),
        (ImageFacts("DX", "CHEST", "PA", 17.99), "patient under 18"),
    ],
)
def test_reasons(facts: ImageFacts, reason: str) -> None:
    assert check_applicability(CXR, facts) == reason


def test_modality_is_checked_before_the_rest() -> None:
    assert check_applicability(CXR, ImageFacts("CT", "HEAD", "LL", 3.0)) == (
        "CT not supported by this model"
    )


def test_missing_optional_facts_do_not_block() -> None:
    assert check_applicability(CXR, ImageFacts(modality="DX")) is None


def test_unrestricted_model_applies_to_anything() -> None:
    assert check_applicability(AppliesTo(), ImageFacts("US", "KNEE", "LL", 1.0)) is None


def test_gate_takes_a_manifest() -> None:
    manifest = parse_manifest(manifest_data(files={"w.safetensors": "a" * 64}, model_card=None))
    assert check_applicability(manifest, ImageFacts("DX", "CHEST", "LL", 40.0)) == "lateral view"
    with pytest.raises(TypeError):
        check_applicability({"modality": ["DX"]}, ADULT_PA)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        check_applicability(CXR, {"modality": "DX"})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "years"),
    [
        ("045Y", 45.0),
        ("006M", 0.5),
        ("026W", 26 * 7 / 365.25),
        ("010D", 10 / 365.25),
        (" 018y", 18.0),
    ],
)
def test_age_strings(value: str, years: float) -> None:
    assert parse_age_string(value) == pytest.approx(years)


@pytest.mark.parametrize("value", [None, "", "45Y", "045", "045X", "abcY"])
def test_invalid_age_strings(value: object) -> None:
    assert parse_age_string(value) is None


def test_age_from_dates() -> None:
    assert compute_age_years("20000229", "20180228") == pytest.approx(17.999, abs=0.01)
    assert compute_age_years("19800101", "20250101") == pytest.approx(45.0, abs=0.01)
    assert compute_age_years("", "20250101") is None
    assert compute_age_years("20250101", "19800101") is None
    assert compute_age_years("19801301", "20250101") is None


def test_facts_from_a_synthetic_lateral_radiograph(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    path = tmp_path / "cxr.dcm"
    truth = write_cxr(path, rng, view="LL", size=64, lesions=None)
    facts = facts_from_dataset(pydicom.dcmread(path, stop_before_pixels=True))
    assert facts.modality == "DX" and facts.body_part == "CHEST" and facts.view_position == "LL"
    assert facts.age_years == pytest.approx(truth.patient_age)
    assert check_applicability(CXR, facts) == "lateral view"


def test_facts_from_a_ct_slice() -> None:
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm", download=False), stop_before_pixels=True)
    facts = facts_from_dataset(ds)
    assert facts.modality == "CT"
    assert check_applicability(CXR, facts) == "CT not supported by this model"


def test_age_falls_back_to_birth_date() -> None:
    ds = Dataset()
    ds.Modality = "CR"
    ds.PatientBirthDate = "20100615"
    ds.StudyDate = ""
    ds.AcquisitionDate = "20200615"
    facts = facts_from_dataset(ds)
    assert facts.age_years == pytest.approx(10.0, abs=0.01)
    assert facts.body_part is None and facts.view_position is None
    assert check_applicability(CXR, facts) == "patient under 18"


def test_facts_from_index_records(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    study = make_study_context(rng)
    write_cxr(tmp_path / "a.dcm", rng, view="PA", size=64, lesions=None, study=study)
    index = scan(tmp_path)
    patient = index.patients[0]
    record_study = patient.studies[0]
    instance = record_study.series[0].instances[0]
    facts = facts_from_records(instance, record_study, patient)
    assert (facts.modality, facts.body_part, facts.view_position) == ("DX", "CHEST", "PA")
    assert facts.age_years == pytest.approx(study.patient_age, abs=1.0)
    assert facts_from_records(instance).age_years is None
