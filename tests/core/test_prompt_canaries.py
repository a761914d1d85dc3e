"""Patient data stays put: a canary in every PS3.15 Table E.1-1 attribute reaches no
prompt, log line, stderr, temporary file or analysis cache (house rule 8)."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from pydicom import Dataset, dcmread
from pydicom.datadict import dictionary_VR, tag_for_keyword

from core.analysis.manifest import ModelPackage
from core.at_rest import unseal
from core.cli import main
from core.report.context import study_context_from_dataset
from core.report.document import LANGUAGES, ReportContext
from core.report.prompt import DraftMode, build_messages
from core.report.templates import draft_template_report
from core.report.workflow import ReportSession, analyse_study
from core.synthetic import make_study_context, write_cxr
from tests.core.model_helpers import make_package, soften
from tests.core.report_helpers import make_report_context

pytestmark = pytest.mark.usefixtures("fresh_analysis")

# DICOM PS3.15 Annex E, Table E.1-1 "Application Level Confidentiality Profile
# Attributes": the attributes the Basic Profile removes or replaces. Group 0000
# (command) elements and the repeating groups (Curve Data 50xx, Overlay Data and
# Comments 60xx) are left out: they cannot be put in a stored dataset by keyword.
TABLE_E1_1: tuple[str, ...] = (
    "AccessionNumber",
    "AcquisitionComments",
    "AcquisitionContextSequence",
    "AcquisitionDate",
    "AcquisitionDateTime",
    "AcquisitionDeviceProcessingDescription",
    "AcquisitionFieldOfViewLabel",
    "AcquisitionProtocolDescription",
    "AcquisitionTime",
    "AcquisitionUID",
    "ActualHumanPerformersSequence",
    "AdditionalPatientHistory",
    "AdmissionID",
    "AdmittingDate",
    "AdmittingDiagnosesCodeSequence",
    "AdmittingDiagnosesDescription",
    "AdmittingTime",
    "Allergies",
    "ApprovalStatusDateTime",
    "AssertionDateTime",
    "AssertionExpirationDateTime",
    "AttributeModificationDateTime",
    "AuthorObserverSequence",
    "BranchOfService",
    "CalibrationDateTime",
    "CameraOwnerName",
    "CassetteID",
    "CertificateOfSigner",
    "CertifiedTimestamp",
    "ClinicalTrialCoordinatingCenterName",
    "ClinicalTrialProtocolEthicsCommitteeApprovalNumber",
    "ClinicalTrialProtocolEthicsCommitteeName",
    "ClinicalTrialSeriesDescription",
    "ClinicalTrialSeriesID",
    "ClinicalTrialSiteID",
    "ClinicalTrialSiteName",
    "ClinicalTrialSponsorName",
    "ClinicalTrialSubjectID",
    "ClinicalTrialSubjectReadingID",
    "ClinicalTrialTimePointDescription",
    "ClinicalTrialTimePointID",
    "CommentsOnRadiationDose",
    "ConcatenationUID",
    "ConfidentialityConstraintOnPatientDataDescription",
    "ConsultingPhysicianName",
    "ConsultingPhysicianIdentificationSequence",
    "ContentCreatorIdentificationCodeSequence",
    "ContentCreatorName",
    "ContentDate",
    "ContentSequence",
    "ContentTime",
    "ContextGroupExtensionCreatorUID",
    "ContrastBolusAgent",
    "ContributionDescription",
    "CountryOfResidence",
    "CreatorVersionUID",
    "CurrentPatientLocation",
    "CustodialOrganizationSequence",
    "DataSetTrailingPadding",
    "DateOfLastCalibration",
    "DateOfSecondaryCapture",
    "DerivationDescription",
    "DetectorID",
    "DeviceSerialNumber",
    "DeviceUID",
    "DigitalSignatureUID",
    "DimensionOrganizationUID",
    "DischargeDiagnosisDescription",
    "DistributionAddress",
    "DistributionName",
    "DoseReferenceUID",
    "EndAcquisitionDateTime",
    "EthnicGroup",
    "ExpectedCompletionDateTime",
    "FiducialUID",
    "FillerOrderNumberImagingServiceRequest",
    "FirstTreatmentDate",
    "FrameComments",
    "FrameOfReferenceUID",
    "GantryID",
    "GeneratorID",
    "GraphicAnnotationSequence",
    "HumanPerformerName",
    "HumanPerformerOrganization",
    "IconImageSequence",
    "IdentifyingComments",
    "ImageComments",
    "ImagePresentationComments",
    "ImagingServiceRequestComments",
    "Impressions",
    "InstanceCoercionDateTime",
    "InstanceCreatorUID",
    "InstitutionAddress",
    "InstitutionCodeSequence",
    "InstitutionName",
    "InstitutionalDepartmentName",
    "InsurancePlanIdentification",
    "IntendedRecipientsOfResultsIdentificationSequence",
    "InterpretationApproverSequence",
    "InterpretationAuthor",
    "InterpretationDiagnosisDescription",
    "InterpretationIDIssuer",
    "InterpretationRecorder",
    "InterpretationText",
    "InterpretationTranscriber",
    "IrradiationEventUID",
    "IssuerOfAdmissionID",
    "IssuerOfPatientID",
    "IssuerOfServiceEpisodeID",
    "LargePaletteColorLookupTableUID",
    "LastMenstrualDate",
    "MAC",
    "MedicalAlerts",
    "MedicalRecordLocator",
    "MilitaryRank",
    "ModifiedAttributesSequence",
    "ModifiedImageDescription",
    "ModifyingDeviceID",
    "NameOfPhysiciansReadingStudy",
    "NamesOfIntendedRecipientsOfResults",
    "Occupation",
    "OperatorIdentificationSequence",
    "OperatorsName",
    "OriginalAttributesSequence",
    "OrderCallbackPhoneNumber",
    "OrderEnteredBy",
    "OrderEntererLocation",
    "OtherPatientIDsSequence",
    "OtherPatientNames",
    "ParticipantSequence",
    "PatientAddress",
    "PatientComments",
    "PatientID",
    "PatientSexNeutered",
    "PatientState",
    "PatientTransportArrangements",
    "PatientAge",
    "PatientBirthDate",
    "PatientBirthName",
    "PatientBirthTime",
    "PatientInstitutionResidence",
    "PatientInsurancePlanCodeSequence",
    "PatientMotherBirthName",
    "PatientName",
    "PatientPrimaryLanguageCodeSequence",
    "PatientPrimaryLanguageModifierCodeSequence",
    "PatientReligiousPreference",
    "PatientSex",
    "PatientSize",
    "PatientTelephoneNumbers",
    "PatientWeight",
    "PerformedLocation",
    "PerformedProcedureStepDescription",
    "PerformedProcedureStepEndDate",
    "PerformedProcedureStepEndDateTime",
    "PerformedProcedureStepEndTime",
    "PerformedProcedureStepID",
    "PerformedProcedureStepStartDate",
    "PerformedProcedureStepStartDateTime",
    "PerformedProcedureStepStartTime",
    "PerformedStationAETitle",
    "PerformedStationGeographicLocationCodeSequence",
    "PerformedStationName",
    "PerformedStationNameCodeSequence",
    "PerformingPhysicianIdentificationSequence",
    "PerformingPhysicianName",
    "PersonAddress",
    "PersonIdentificationCodeSequence",
    "PersonName",
    "PersonTelephoneNumbers",
    "PhysicianApprovingInterpretation",
    "PhysiciansReadingStudyIdentificationSequence",
    "PhysiciansOfRecord",
    "PhysiciansOfRecordIdentificationSequence",
    "PlacerOrderNumberImagingServiceRequest",
    "PlateID",
    "PreMedication",
    "PregnancyStatus",
    "ProtocolName",
    "ReasonForTheImagingServiceRequest",
    "ReasonForStudy",
    "ReferencedDigitalSignatureSequence",
    "ReferencedFrameOfReferenceUID",
    "ReferencedImageSequence",
    "ReferencedPatientAliasSequence",
    "ReferencedPatientPhotoSequence",
    "ReferencedPatientSequence",
    "ReferencedPerformedProcedureStepSequence",
    "ReferencedSOPInstanceMACSequence",
    "ReferencedSOPInstanceUID",
    "ReferencedStudySequence",
    "ReferringPhysicianAddress",
    "ReferringPhysicianIdentificationSequence",
    "ReferringPhysicianName",
    "ReferringPhysicianTelephoneNumbers",
    "RegionOfResidence",
    "RelatedFrameOfReferenceUID",
    "RequestAttributesSequence",
    "RequestedContrastAgent",
    "RequestedProcedureComments",
    "RequestedProcedureDescription",
    "RequestedProcedureID",
    "RequestedProcedureLocation",
    "RequestingPhysician",
    "RequestingService",
    "ResponsibleOrganization",
    "ResponsiblePerson",
    "ResultsComments",
    "ResultsDistributionListSequence",
    "ResultsIDIssuer",
    "ReviewerName",
    "ScheduledHumanPerformersSequence",
    "ScheduledPatientInstitutionResidence",
    "ScheduledPerformingPhysicianIdentificationSequence",
    "ScheduledPerformingPhysicianName",
    "ScheduledProcedureStepDescription",
    "ScheduledProcedureStepEndDate",
    "ScheduledProcedureStepEndTime",
    "ScheduledProcedureStepLocation",
    "ScheduledProcedureStepStartDate",
    "ScheduledProcedureStepStartTime",
    "ScheduledStationAETitle",
    "ScheduledStationGeographicLocationCodeSequence",
    "ScheduledStationName",
    "ScheduledStationNameCodeSequence",
    "ScheduledStudyLocation",
    "ScheduledStudyLocationAETitle",
    "SeriesDate",
    "SeriesDescription",
    "SeriesInstanceUID",
    "SeriesTime",
    "ServiceEpisodeDescription",
    "ServiceEpisodeID",
    "SmokingStatus",
    "SOPInstanceUID",
    "SourceImageSequence",
    "SpecialNeeds",
    "StationName",
    "StorageMediaFileSetUID",
    "StudyComments",
    "StudyDate",
    "StudyDescription",
    "StudyID",
    "StudyIDIssuer",
    "StudyInstanceUID",
    "StudyTime",
    "SynchronizationFrameOfReferenceUID",
    "TargetUID",
    "TemplateExtensionCreatorUID",
    "TemplateExtensionOrganizationUID",
    "TextComments",
    "TextString",
    "TimezoneOffsetFromUTC",
    "TopicAuthor",
    "TopicKeywords",
    "TopicSubject",
    "TopicTitle",
    "TransactionUID",
    "UID",
    "VerifyingObserverIdentificationCodeSequence",
    "VerifyingObserverName",
    "VerifyingObserverSequence",
    "VerifyingOrganization",
    "VisitComments",
)
# Kept as they are: the study cannot be read or placed without them, and they are
# checked for below all the same (a UID never goes into a prompt or a log).
_STRUCTURAL: frozenset[str] = frozenset({"SOPInstanceUID", "SeriesInstanceUID", "StudyInstanceUID"})
_TEXT_VRS = frozenset({"AE", "CS", "LO", "LT", "PN", "SH", "ST", "UC", "UT", "UR"})


def _canary_value(keyword: str, vr: str, n: int) -> tuple[object, str] | None:
    """A value of the right VR for attribute ``n``, and the text that finds it."""
    word = f"CANARY{n:03d}"
    if vr in _TEXT_VRS:
        return word, word
    if vr == "UI":
        uid = f"1.2.826.0.1.3680043.10.4711.{n}"
        return uid, uid
    if vr == "DA":
        date = f"18{n % 100:02d}0{n % 9 + 1}1{n % 9}"
        return date, date
    # A time's needle keeps its seconds and the point: "9" and five digits alone turned
    # up by chance inside a float (a timing in the analysis cache's metadata).
    if vr == "TM":
        time = f"01{n % 60:02d}00.9{n:05d}"
        return time, f"{n % 60:02d}00.9{n:05d}"
    if vr == "DT":
        stamp = f"18{n % 100:02d}0101120000.9{n:05d}"
        return stamp, f"120000.9{n:05d}"
    if vr == "AS":
        return "047Y", "047Y"
    if vr == "DS":
        number = f"1.{n:03d}4321"
        return number, number
    if vr in ("OB", "OW", "UN"):
        return word.encode() + b" ", word
    if vr == "SQ":
        item = Dataset()
        item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = word, "99CANARY", word
        item.TextValue = word
        return [item], word
    return None  # numbers and tags: no text to find


def _fill_canaries(ds: Dataset) -> dict[str, str]:
    """Every Table E.1-1 attribute of ``ds`` set to a canary; keyword -> text to find."""
    canaries: dict[str, str] = {}
    for n, keyword in enumerate(TABLE_E1_1):
        tag = tag_for_keyword(keyword)
        if tag is None:
            continue
        if keyword in _STRUCTURAL:
            canaries[keyword] = str(ds.get(keyword))
            continue
        made = _canary_value(keyword, dictionary_VR(tag).split(" or ")[0], n)
        if made is None:
            continue
        value, needle = made
        ds.add_new(tag, dictionary_VR(tag).split(" or ")[0], value)
        canaries[keyword] = needle
    return canaries


@pytest.fixture(scope="module")
def canary_study(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    folder = tmp_path_factory.mktemp("canary-study")
    rng = np.random.default_rng(11)
    context = make_study_context(rng, description="PLACEHOLDER")
    write_cxr(folder / "pa.dcm", rng, view="PA", size=(70, 56), study=context)
    ds = dcmread(folder / "pa.dcm")
    canaries = _fill_canaries(ds)
    ds.BodyPartExamined = "CHEST"
    ds.save_as(folder / "pa.dcm", enforce_file_format=False)
    return folder, canaries


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> ModelPackage:
    return make_package(
        tmp_path_factory.mktemp("models") / "canary-model",
        name="canary-model",
        labels=("Nodule", "Effusion"),
        thresholds={"Nodule": 0.0, "Effusion": 1.0},
        edit=soften,
        demo=True,
    )


def _leaks(text: str, canaries: dict[str, str]) -> list[str]:
    return [keyword for keyword, needle in canaries.items() if needle in text]


def test_the_study_carries_a_canary_in_nearly_every_table_attribute(
    canary_study: tuple[Path, dict[str, str]],
) -> None:
    folder, canaries = canary_study
    # Every keyword of the table is one pydicom knows, and nearly all hold a canary.
    assert [k for k in TABLE_E1_1 if tag_for_keyword(k) is None] == []
    assert len(canaries) >= 250
    text = dcmread(folder / "pa.dcm")
    for keyword in ("StudyDescription", "ReasonForStudy", "ProtocolName", "PatientName"):
        assert canaries[keyword] in str(text.get(keyword)), keyword


def _contexts(folder: Path, package: ModelPackage) -> Iterator[ReportContext]:
    from core.cli import _first_study, _index_or_fail

    ds = dcmread(folder / "pa.dcm", stop_before_pixels=True)
    yield make_report_context(study=study_context_from_dataset(ds), analysed=False)
    patient, study = _first_study(_index_or_fail(str(folder)))
    for chosen in (None, package):
        analysis = analyse_study(study, patient, chosen)
        for language in LANGUAGES:
            yield ReportSession.for_analysis(analysis, language).report.context


def test_no_canary_reaches_any_prompt(
    canary_study: tuple[Path, dict[str, str]],
    package: ModelPackage,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder, canaries = canary_study
    caplog.set_level(logging.DEBUG)
    prompts = 0
    for context in _contexts(folder, package):
        for language in LANGUAGES:
            drafted = draft_template_report(context, language)
            # A rewrite of the whole template draft: free text that got into the report
            # must not ride along into the prompt.
            whole = " ".join(s.text for s in drafted.sentences()) or "There is a nodule."
            for mode, selection in (
                (DraftMode.REPORT, None),
                (DraftMode.IMPRESSION, None),
                (DraftMode.REWRITE, whole),
                (DraftMode.REWRITE, f"Known {canaries['ContrastBolusAgent']} allergy."),
            ):
                messages = build_messages(context, mode, language, selection)
                prompt = "\n".join(m["content"] for m in messages)
                assert _leaks(prompt, canaries) == [], (mode, language)
                assert "Examination: DX CHEST, PA view" in prompt or "检查：DX CHEST" in prompt
                prompts += 1
    assert prompts == 5 * 2 * 4  # five contexts, two languages, four requests
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert _leaks(logged, canaries) == []
    assert _leaks(capsys.readouterr().err, canaries) == []


def test_no_canary_in_logs_stderr_temporary_files_or_the_cache(
    canary_study: tuple[Path, dict[str, str]],
    package: ModelPackage,
    private_data_dir: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder, canaries = canary_study
    caplog.set_level(logging.DEBUG)
    model = str(package.folder)
    # A second study in the folder makes `draft` say which one it drafts.
    second = tmp_path / "two"
    second.mkdir()
    (second / "pa.dcm").write_bytes((folder / "pa.dcm").read_bytes())
    rng = np.random.default_rng(12)
    write_cxr(second / "other.dcm", rng, size=(64, 48), study=make_study_context(rng))
    for argv in (
        ["draft", str(second), "--analysis-model", model, "--json"],
        ["draft", str(folder), "--analysis-model", model, "--lang", "zh"],
        ["analyze", str(folder), "--model", model, "--json"],
    ):
        assert main(argv) == 0, argv
    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert _leaks(logged, canaries) == []
    err = capsys.readouterr().err
    assert "2 studies found" in err and _leaks(err, canaries) == []
    assert "PHANTOM" not in err  # the other study's description is not said either

    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {**os.environ, "TMPDIR": str(temporary), "RADASSIST_DATA_DIR": str(private_data_dir)}
    for argv in (
        ["draft", str(second), "--analysis-model", model],
        ["analyze", str(folder), "--model", model, "--json"],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "core.cli", *argv],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert _leaks(done.stderr, canaries) == [], argv
    left = [p for p in temporary.rglob("*") if p.is_file()]
    for path in left:
        assert _leaks(path.read_bytes().decode("latin-1"), canaries) == [], path


def test_no_canary_in_the_analysis_cache(
    canary_study: tuple[Path, dict[str, str]], package: ModelPackage, private_data_dir: Path
) -> None:
    folder, canaries = canary_study
    assert main(["analyze", str(folder), "--model", str(package.folder), "--json"]) == 0
    cached = list((private_data_dir / "cache").rglob("*"))
    assert any(p.suffix == ".npz" for p in cached)  # the analysis was cached...
    for path in (p for p in cached if p.is_file()):
        content = path.read_bytes().decode("latin-1")
        if path.suffix == ".npz":
            plain = unseal(path.read_bytes(), purpose="analysis-cache")
            assert plain != path.read_bytes()  # encrypted at rest
            content += plain.decode("latin-1")
            with np.load(io.BytesIO(plain), allow_pickle=False) as archive:
                content += "".join(archive[k].tobytes().decode("latin-1") for k in archive.files)
        assert _leaks(path.name + content, canaries) == [], path  # ...with no patient data
