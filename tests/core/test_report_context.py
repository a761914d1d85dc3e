"""The study context and findings a report is drafted from: facts kept, identifiers not,
side and zone of findings from the heatmap peak and Patient Orientation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from pydicom import Dataset, dcmread
from pydicom.data import get_testdata_file
from pydicom.dataelem import RawDataElement
from pydicom.tag import Tag

from core.analysis.inference import AnalysisResult, Finding, Verdict
from core.dicom.index import scan
from core.errors import UsageError
from core.report.context import (
    build_report_context,
    describe_technique,
    find_finding_location,
    findings_from_analysis,
    study_context_from_dataset,
    study_context_from_record,
)
from core.report.document import FindingFact, StudyContext
from core.synthetic import (
    make_study_context,
    write_ct_series,
    write_cxr,
    write_enhanced_multiframe,
)

TEST_FILES = Path(get_testdata_file("CT_small.dcm", download=False)).parent  # type: ignore[arg-type]
IDENTIFIERS = ("PHANTOM^Alice", "PAT-0042", "19700215", "ACC-777", "Alice")


def _cxr_header(**extra: object) -> Dataset:
    ds = Dataset()
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.8.498.1"
    ds.SOPInstanceUID = "1.2.826.0.1.3680043.8.498.2"
    ds.Modality = "DX"
    ds.BodyPartExamined = "CHEST"
    ds.ViewPosition = "PA"
    ds.StudyDescription = "  CHEST   2 VIEWS "
    ds.SeriesDescription = "CHEST PA"
    ds.PatientName = "PHANTOM^Alice"
    ds.PatientID = "PAT-0042"
    ds.PatientBirthDate = "19700215"
    ds.AccessionNumber = "ACC-777"
    ds.PatientSex = "F"
    ds.StudyDate = "20240214"
    ds.KVP = "110"
    ds.ExposureInmAs = 2.5
    for keyword, value in extra.items():
        setattr(ds, keyword, value)
    return ds


# --------------------------------------------------------------------------- study context


def test_context_from_a_radiograph_keeps_facts_and_no_identifier() -> None:
    context = study_context_from_dataset(_cxr_header())
    assert context == StudyContext(
        study_instance_uid="1.2.826.0.1.3680043.8.498.1",
        modality="DX",
        body_part="CHEST",
        view_position="PA",
        study_description="CHEST 2 VIEWS",
        series_descriptions=("CHEST PA",),
        image_count=1,
        patient_sex="F",
        patient_age_years=53,  # the day before the 54th birthday
        technique="110 kV, 2.5 mAs",
    )
    text = json.dumps(context.to_json())
    assert not [value for value in IDENTIFIERS if value in text]


def test_patients_age_wins_over_the_birth_date() -> None:
    assert study_context_from_dataset(_cxr_header(PatientAge="061Y")).patient_age_years == 61
    assert study_context_from_dataset(_cxr_header(PatientAge="018M")).patient_age_years == 1
    no_dates = _cxr_header()
    del no_dates.StudyDate
    assert study_context_from_dataset(no_dates).patient_age_years is None


@pytest.mark.parametrize(
    ("extra", "technique"),
    [
        ({"Exposure": "4"}, "110 kV, 2.5 mAs"),  # mAs in Exposure in mAs wins
        ({"ExposureInmAs": None, "Exposure": "4"}, "110 kV, 4 mAs"),
        ({"ExposureInmAs": None, "ExposureInuAs": "3200"}, "110 kV, 3.2 mAs"),
        ({"ExposureInmAs": None, "KVP": None}, ""),
        ({"KVP": "0"}, "2.5 mAs"),  # zero is not a value
        ({"SliceThickness": "1"}, "110 kV, 2.5 mAs"),  # no slices in a radiograph
    ],
)
def test_technique_of_a_radiograph(extra: dict[str, object], technique: str) -> None:
    ds = _cxr_header()
    for keyword, value in extra.items():
        if value is None:
            delattr(ds, keyword)
        else:
            setattr(ds, keyword, value)
    assert describe_technique(ds) == technique


def test_technique_of_ct_mr_and_enhanced_objects() -> None:
    ct = dcmread(TEST_FILES / "CT_small.dcm", stop_before_pixels=True)
    assert ct.KVP == 120 and ct.ContrastBolusAgent
    assert describe_technique(ct) == (
        f"120 kV, {int(ct.Exposure)} mAs, slice thickness 5 mm, contrast: {ct.ContrastBolusAgent}"
    )
    assert describe_technique(ct, series_count=3).endswith(", 3 series")
    mr = dcmread(TEST_FILES / "examples_overlay.dcm", stop_before_pixels=True)
    assert describe_technique(mr) == "1.49 T, slice thickness 4 mm, contrast: 11 ml Omniscan"
    assert describe_technique(dcmread(TEST_FILES / "MR_small.dcm")) == "slice thickness 0.8 mm"


def test_technique_of_an_enhanced_ct_from_its_functional_groups(tmp_path: Path) -> None:
    write_enhanced_multiframe(
        tmp_path / "enhanced.dcm", np.random.default_rng(1), frames=2, size=32, slice_thickness=3
    )
    enhanced = dcmread(tmp_path / "enhanced.dcm", stop_before_pixels=True)
    assert "SliceThickness" not in enhanced
    assert "slice thickness 3 mm" in describe_technique(enhanced)
    assert study_context_from_dataset(enhanced).image_count == 2


def test_unreadable_values_read_as_absent() -> None:
    ds = _cxr_header()
    # Malformed DS and AS values straight from a file: pydicom raises when converting.
    ds[Tag(0x0018, 0x0060)] = RawDataElement(Tag(0x0018, 0x0060), "DS", 5, b"1x0.5", 0, True, True)
    ds[Tag(0x0010, 0x1010)] = RawDataElement(
        Tag(0x0010, 0x1010), "AS", 4, b"\xff\xfe", 0, True, True
    )
    context = study_context_from_dataset(ds)
    assert context.technique == "2.5 mAs"
    assert context.patient_age_years in (None, 53)


def test_bad_input() -> None:
    with pytest.raises(TypeError, match="Dataset"):
        study_context_from_dataset({"StudyInstanceUID": "1.2"})  # type: ignore[arg-type]
    ds = _cxr_header()
    del ds.StudyInstanceUID
    ds.filename = "/data/secret/img.dcm"
    with pytest.raises(UsageError, match=r"img\.dcm: no Study Instance UID"):
        study_context_from_dataset(ds)


@pytest.mark.filterwarnings("ignore::UserWarning")  # pydicom on its deliberately odd files
def test_every_pydicom_test_file_gives_a_context_or_a_clear_error() -> None:
    read = with_uid = 0
    for path in sorted(TEST_FILES.glob("*.dcm")):
        try:
            ds = dcmread(path, stop_before_pixels=True, force=True)
        except Exception:  # files pydicom itself cannot read are not ours
            continue
        read += 1
        try:
            context = study_context_from_dataset(ds)
        except UsageError as exc:
            assert "Study Instance UID" in str(exc)
            continue
        with_uid += 1
        assert context.study_instance_uid
        assert context.patient_age_years is None or 0 <= context.patient_age_years < 150
        assert context.patient_sex in ("", "M", "F", "O")
        assert "nan" not in context.technique.lower()
        json.dumps(context.to_json())
    assert read > 50 and with_uid > 40


def test_context_from_the_index(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    study = make_study_context(rng, description="CT CHEST")
    write_ct_series(tmp_path / "ct1", rng, slices=4, size=32, slice_thickness=1.25, study=study)
    write_ct_series(
        tmp_path / "ct2", rng, slices=3, size=32, slice_thickness=5.0, study=study, series_number=2
    )
    index = scan(tmp_path)
    (patient,) = index.patients
    (record,) = patient.studies
    context = study_context_from_record(record, patient)
    assert context.study_instance_uid == study.study_uid
    assert context.modality == "CT" and context.body_part == "CHEST"
    assert context.image_count == 7
    assert context.patient_age_years == study.patient_age
    assert context.patient_sex == study.patient_sex
    assert context.technique == "slice thickness 1.25 mm, 2 series"
    assert context.view_position == ""

    header = dcmread(next((tmp_path / "ct1").iterdir()), stop_before_pixels=True)
    with_header = study_context_from_record(record, patient, dataset=header)
    assert with_header.technique.startswith("120 kV")
    assert with_header.technique.endswith("slice thickness 1.25 mm, 2 series")
    text = json.dumps(with_header.to_json())
    assert study.patient_name not in text and study.patient_id not in text
    assert study.patient_birth_date not in text and study.accession_number not in text

    other = _cxr_header()
    with pytest.raises(UsageError, match="another study"):
        study_context_from_record(record, patient, dataset=other)
    with pytest.raises(TypeError, match="StudyRecord"):
        study_context_from_record(patient)  # type: ignore[arg-type]


def test_context_from_the_index_prefers_a_frontal_view(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    study = make_study_context(rng)
    write_cxr(tmp_path / "lat.dcm", rng, view="LL", size=64, study=study, series_number=1)
    write_cxr(tmp_path / "pa.dcm", rng, view="PA", size=64, study=study, series_number=2)
    (patient,) = scan(tmp_path).patients
    context = study_context_from_record(patient.studies[0], patient)
    assert context.view_position == "PA"
    assert context.modality == "DX" and context.image_count == 2
    assert context.technique == ""  # the index holds no exposure facts


# --------------------------------------------------------------------------- side and zone


@pytest.mark.parametrize(
    ("peak", "orientation", "view", "expected"),
    [
        ((10, 10), None, None, ("right", "upper")),  # image left = patient's right
        ((50, 90), None, None, ("left", "middle")),
        ((99, 70), ("L", "F"), "PA", ("left", "lower")),
        ((10, 10), ("R", "F"), "AP", ("left", "upper")),  # flipped horizontally
        ((10, 10), "R\\H", None, ("left", "lower")),  # and vertically
        ((10, 50), None, None, (None, "upper")),  # on the midline
        ((10, 10), ("P", "F"), None, (None, "upper")),  # a lateral: rows run front to back
        ((10, 10), None, "LL", (None, "upper")),
        ((10, 10), ("L", "A"), None, ("right", None)),  # columns not head-feet: no zone
        ((10, 10), ("LP", "FH"), None, ("right", None)),  # oblique rows, ambiguous columns
    ],
)
def test_find_finding_location(
    peak: tuple[int, int],
    orientation: object,
    view: str | None,
    expected: tuple[str | None, str | None],
) -> None:
    assert (
        find_finding_location(
            peak,
            (100, 100),
            patient_orientation=orientation,  # type: ignore[arg-type]
            view_position=view,
        )
        == expected
    )


def test_zones_in_thirds_of_the_image_or_of_the_lung_fields() -> None:
    zones = [find_finding_location((row, 10), (90, 60))[1] for row in (0, 29, 30, 59, 60, 89)]
    assert zones == ["upper", "upper", "middle", "middle", "lower", "lower"]
    # Lungs from row 10 to row 69: row 52 is in their lower third, in the image's middle.
    assert find_finding_location((52, 10), (90, 60))[1] == "middle"
    assert find_finding_location((52, 10), (90, 60), field_rows=(10, 69))[1] == "lower"
    assert find_finding_location((5, 10), (90, 60), field_rows=(10, 69))[1] == "upper"
    assert find_finding_location((80, 10), (90, 60), field_rows=(10, 69))[1] == "lower"


def test_find_finding_location_errors() -> None:
    with pytest.raises(ValueError, match="outside"):
        find_finding_location((100, 3), (100, 100))
    with pytest.raises(ValueError, match="two values"):
        find_finding_location((1, 3), (100, 100), patient_orientation=("L",))
    with pytest.raises(ValueError, match="field_rows"):
        find_finding_location((1, 3), (100, 100), field_rows=(50, 20))


# --------------------------------------------------------------------------- findings


def _heatmap(shape: tuple[int, int], peak: tuple[int, int]) -> np.ndarray:
    rows, cols = np.mgrid[0 : shape[0], 0 : shape[1]]
    heat = np.exp(-((rows - peak[0]) ** 2 + (cols - peak[1]) ** 2) / 50.0).astype(np.float32)
    return heat / heat.max()


def _positive(label: str, probability: float, threshold: float, peak: tuple[int, int]) -> Finding:
    heatmap = _heatmap((120, 90), peak)
    return Finding(label, probability, threshold, Verdict.POSITIVE, heatmap, peak)


def _result(*findings: Finding, skipped: str | None = None, demo: bool = False) -> AnalysisResult:
    return AnalysisResult(
        model_name="densenet-cxr",
        model_version="2.0",
        model_sha256="0" * 64,
        is_demo=demo,
        skipped=skipped,
        findings=findings if skipped is None else (),
        timings={},
        heatmap_method="gradcam",
        image_shape=(120, 90),
    )


def test_findings_from_analysis() -> None:
    nodule = _positive("Nodule", 0.81, 0.5, (20, 70))
    heart = _positive("Cardiomegaly", 0.7, 0.5, (90, 50))
    effusion = Finding("Effusion", 0.3, 0.5, Verdict.INDETERMINATE)
    mass = Finding("Mass", 0.01, 0.5, Verdict.NEGATIVE)
    # A heatmap without a recorded peak (an older cache entry): the peak is found.
    edema = Finding("Edema", 0.9, 0.5, Verdict.POSITIVE, _heatmap((120, 90), (100, 10)), None)
    facts = findings_from_analysis(_result(nodule, heart, effusion, mass, edema, demo=True))
    assert facts == (
        FindingFact("Nodule", "positive", 0.81, 0.5, "left", "upper", "densenet-cxr 2.0", True),
        FindingFact("Cardiomegaly", "positive", 0.7, 0.5, None, None, "densenet-cxr 2.0", True),
        FindingFact("Effusion", "indeterminate", 0.3, 0.5, None, None, "densenet-cxr 2.0", True),
        FindingFact("Mass", "negative", 0.01, 0.5, None, None, "densenet-cxr 2.0", True),
        FindingFact("Edema", "positive", 0.9, 0.5, "right", "lower", "densenet-cxr 2.0", True),
    )
    flipped = findings_from_analysis(_result(nodule), patient_orientation=["R", "F"])
    assert (flipped[0].side, flipped[0].zone) == ("right", "upper")
    lateral = findings_from_analysis(_result(nodule), view_position="LL")
    assert (lateral[0].side, lateral[0].zone) == (None, "upper")
    # image_shape overrides the result's (the caller knows the frame it analysed).
    assert findings_from_analysis(_result(nodule), image_shape=(40, 200))[0].side == "right"


def test_findings_from_a_skipped_analysis_and_bad_input() -> None:
    assert findings_from_analysis(_result(skipped="lateral view")) == ()
    with pytest.raises(TypeError, match="AnalysisResult"):
        findings_from_analysis({"findings": []})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="image_shape"):
        findings_from_analysis(_result(), image_shape=(10.0, 5))  # type: ignore[arg-type]


def test_build_report_context() -> None:
    study = study_context_from_dataset(_cxr_header())
    first = _result(
        Finding("Nodule", 0.2, 0.5, Verdict.NEGATIVE),
        Finding("Effusion", 0.45, 0.5, Verdict.INDETERMINATE),
        Finding("Mass", 0.1, 0.5, Verdict.NEGATIVE),
    )
    second = AnalysisResult(
        model_name="other",
        model_version="1.1",
        model_sha256="1" * 64,
        is_demo=False,
        skipped=None,
        findings=(
            _positive("nodule", 0.9, 0.6, (100, 20)),
            Finding("Effusion", 0.05, 0.5, Verdict.NEGATIVE),
            Finding("Mass", 0.3, 0.5, Verdict.NEGATIVE),
        ),
        timings={},
        image_shape=(120, 90),
    )
    skipped = _result(skipped="patient under 18")
    context = build_report_context(study, [skipped, first, second])
    assert context.analysed is True
    assert context.models == ("densenet-cxr 2.0", "other 1.1")
    assert [(f.label, f.verdict, f.model) for f in context.findings] == [
        ("nodule", "positive", "other 1.1"),  # a positive beats a negative
        ("Effusion", "indeterminate", "densenet-cxr 2.0"),  # indeterminate beats negative
        ("Mass", "negative", "other 1.1"),  # the nearer to its threshold
    ]
    assert (context.findings[0].side, context.findings[0].zone) == ("right", "lower")
    assert context.finding("Nodule") is context.findings[0]

    none = build_report_context(study, [skipped])
    assert (none.analysed, none.findings, none.models) == (False, (), ())
    assert build_report_context(study, []).analysed is False
    with pytest.raises(TypeError, match="sequence"):
        build_report_context(study, first)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="StudyContext"):
        build_report_context(_cxr_header(), [first])  # type: ignore[arg-type]


def test_a_lateral_study_gives_no_side() -> None:
    study = study_context_from_dataset(_cxr_header(ViewPosition="LL"))
    nodule = _positive("Nodule", 0.81, 0.5, (20, 70))
    (fact,) = build_report_context(study, [_result(nodule)]).findings
    assert (fact.side, fact.zone) == (None, "upper")


# --------------------------------------------------------------------------- a real analysis


@pytest.fixture(scope="module")
def spot_analysis(tmp_path_factory: pytest.TempPathFactory) -> AnalysisResult:
    """Grad-CAM of a model that looks at bright pixels, on a spot in the image's upper left."""
    from core.analysis.applicability import ImageFacts
    from core.analysis.inference import analyze_image
    from core.jobs import run_job
    from tests.core.test_explain import make_spot_model

    model = make_spot_model(tmp_path_factory.mktemp("spot") / "pkg", ("Nodule", "Effusion"))
    rows, cols = np.mgrid[0:96, 0:96]
    image = np.where((rows - 16) ** 2 + (cols - 22) ** 2 <= 100, 4095, 0).astype(np.uint16)
    facts = ImageFacts(modality="DX", body_part="CHEST", view_position="PA")
    return run_job(analyze_image(model, image, facts, bits_stored=12, use_cache=False))


def test_side_and_zone_from_a_real_gradcam(spot_analysis: AnalysisResult) -> None:
    nodule = spot_analysis.finding("Nodule")
    assert nodule.verdict is Verdict.POSITIVE and nodule.heatmap is not None
    # One feature cell is 12 original pixels: the peak is the disc's cell.
    assert nodule.heatmap_peak == (18, 18) and float(nodule.heatmap.max()) == 1.0
    facts = {f.label: f for f in findings_from_analysis(spot_analysis)}
    assert (facts["Nodule"].side, facts["Nodule"].zone) == ("right", "upper")
    assert (facts["Effusion"].side, facts["Effusion"].zone) == (None, None)
    mirrored = findings_from_analysis(spot_analysis, patient_orientation=("R", "F"))
    assert {f.label: f.side for f in mirrored} == {"Nodule": "left", "Effusion": None}


# --------------------------------------------------------------------------- comparison


def _stored_cxr(archive: object, date: str, *, modality: str = "DX", body: str = "CHEST") -> str:
    """A radiograph of the one patient stored in ``archive``; its Study Instance UID."""
    from pydicom.uid import generate_uid

    from tests.core.archive.helpers import tiny_image

    uid = generate_uid()
    ds = tiny_image(uid, study_date=date, modality=modality, description="CHEST PA")
    ds.BodyPartExamined = body
    assert archive.accept(ds, source="test")  # type: ignore[attr-defined]
    return uid


def test_the_context_of_an_archived_image_names_its_most_recent_relevant_prior(
    tmp_path: Path, private_data_dir: Path
) -> None:
    from core.archive import Archive
    from core.report.document import PriorComparison
    from core.report.workflow import read_study_context

    with Archive(tmp_path / "archive") as archive:
        current = _stored_cxr(archive, "20250502")
        _stored_cxr(archive, "20230101")
        _stored_cxr(archive, "20250410", modality="CR")  # a radiograph either way
        _stored_cxr(archive, "20250420", body="KNEE")  # not relevant
        ref = archive.study_index(current).all_series()[0].instances[0].ref

        study = read_study_context(ref, archive=archive)
        alone = read_study_context(ref)

    assert study.comparison == PriorComparison("2025-04-10", "CR", "CHEST", "CHEST PA")
    assert alone.comparison is None
    assert study.to_json()["comparison"]["study_date"] == "2025-04-10"
    assert "comparison" not in alone.to_json()  # drafts without priors read as before
    assert StudyContext.from_json(study.to_json()) == study


def test_comparison_from_priors_takes_the_first_relevant_one() -> None:
    from core.archive.priors import PriorStudy
    from core.archive.rows import StudyRow
    from core.report.context import comparison_from_priors, with_priors

    def prior(date: str, relevant: bool) -> PriorStudy:
        row = StudyRow(
            study_uid=date, patient_name="", patient_id="P", issuer="", birth_date="",
            sex="", study_date=date, study_time="", description=" CT  CHEST ",
            accession="", modalities=("CT", "SR"), series_count=2, instance_count=2,
            size_bytes=0, source="test", received_at="", last_opened=None,
        )  # fmt: skip
        return PriorStudy(row, relevant, "CT chest", body_part="CHEST")

    found = comparison_from_priors([prior("20250101", False), prior("20240302", True)])
    assert found is not None
    assert (found.study_date, found.modality, found.body_part, found.description) == (
        "2024-03-02",
        "CT",
        "CHEST",
        "CT CHEST",
    )
    assert comparison_from_priors([prior("20250101", False)]) is None
    assert with_priors(StudyContext("1.2.3"), []).comparison is None
    with pytest.raises(TypeError, match="sequence of PriorStudy"):
        comparison_from_priors(prior("20240302", True))  # type: ignore[arg-type]
