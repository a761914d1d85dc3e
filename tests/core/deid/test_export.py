"""De-identified and plain exports: references, retained options, burned-in images, media.

Each test exports a small generated CT study (core.synthetic) and reads what was
written the way a user's next program would: pydicom for the objects, our own scanner
for the folder or DICOMDIR.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
import zipfile
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.fileset import FileSet
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from core.deid import (
    DeidOptions,
    NothingToExportError,
    RetainOption,
    deidentify_study,
    export_job,
    export_media,
)
from core.dicom.index import scan
from core.errors import CancelledError, UsageError
from core.jobs import CancelToken
from tests.core.deid.study_helpers import exported_bytes, exported_datasets, rewrite, write_study

pytestmark = pytest.mark.usefixtures("private_data_dir")

BASIC_TEXT_SR = "1.2.840.10008.5.1.4.1.1.88.11"
GSPS = "1.2.840.10008.5.1.4.1.1.11.1"
US_IMAGE = "1.2.840.10008.5.1.4.1.1.6.1"
SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"


def _save(ds: Dataset, path: Path) -> None:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta = meta
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)


def _derived(ct: Dataset, sop_class: str, modality: str) -> Dataset:
    ds = Dataset()
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = generate_uid()
    ds.StudyInstanceUID = ct.StudyInstanceUID
    ds.SeriesInstanceUID = generate_uid()
    ds.Modality = modality
    ds.PatientName = ct.PatientName
    ds.PatientID = ct.PatientID
    ds.StudyDate = ct.StudyDate
    ds.SeriesNumber = 90
    ds.InstanceNumber = 1
    return ds


def _sr_and_gsps(cts: list[Dataset], folder: Path) -> None:
    """An SR citing every CT image, and a presentation state on the first one."""
    sr = _derived(cts[0], BASIC_TEXT_SR, "SR")
    image = Dataset()
    image.RelationshipType = "CONTAINS"
    image.ValueType = "IMAGE"
    ref = Dataset()
    ref.ReferencedSOPClassUID = cts[0].SOPClassUID
    ref.ReferencedSOPInstanceUID = cts[0].SOPInstanceUID
    image.ReferencedSOPSequence = Sequence([ref])
    sr.ValueType = "CONTAINER"
    sr.ContentSequence = Sequence([image])
    evidence = Dataset()
    evidence.StudyInstanceUID = cts[0].StudyInstanceUID
    series = Dataset()
    series.SeriesInstanceUID = cts[0].SeriesInstanceUID
    cited = []
    for ct in cts:
        item = Dataset()
        item.ReferencedSOPClassUID = ct.SOPClassUID
        item.ReferencedSOPInstanceUID = ct.SOPInstanceUID
        cited.append(item)
    series.ReferencedSOPSequence = Sequence(cited)
    evidence.ReferencedSeriesSequence = Sequence([series])
    sr.CurrentRequestedProcedureEvidenceSequence = Sequence([evidence])
    _save(sr, folder / "sr.dcm")
    pr = _derived(cts[0], GSPS, "PR")
    pr_series = Dataset()
    pr_series.SeriesInstanceUID = cts[0].SeriesInstanceUID
    pr_image = Dataset()
    pr_image.ReferencedSOPClassUID = cts[0].SOPClassUID
    pr_image.ReferencedSOPInstanceUID = cts[0].SOPInstanceUID
    pr_series.ReferencedImageSequence = Sequence([pr_image])
    pr.ReferencedSeriesSequence = Sequence([pr_series])
    _save(pr, folder / "pr.dcm")


def test_references_point_at_the_replaced_uids(tmp_path: Path) -> None:
    source = tmp_path / "study"
    paths = write_study(source / "ct")
    cts: list[Dataset] = [pydicom.dcmread(p) for p in paths]
    _sr_and_gsps(cts, source / "derived")
    result = deidentify_study(source, tmp_path / "out")
    assert len(result.exported) == 5 and result.flagged == () and result.skipped == ()
    out = exported_datasets(tmp_path / "out")
    images = {int(ds.InstanceNumber): ds for ds in out if ds.Modality == "CT"}
    sr = next(ds for ds in out if ds.Modality == "SR")
    pr = next(ds for ds in out if ds.Modality == "PR")
    first = images[int(cts[0].InstanceNumber)]
    # One study, one series for the CT, consistently replaced everywhere.
    assert {str(ds.StudyInstanceUID) for ds in out} == set(result.studies)
    assert len(result.studies) == 1 and result.studies[0] != cts[0].StudyInstanceUID
    assert len({str(ds.SeriesInstanceUID) for ds in images.values()}) == 1
    new_sops = {str(ds.SOPInstanceUID) for ds in images.values()}
    assert (
        str(sr.ContentSequence[0].ReferencedSOPSequence[0].ReferencedSOPInstanceUID)
        == first.SOPInstanceUID
    )
    evidence = sr.CurrentRequestedProcedureEvidenceSequence[0]
    assert evidence.StudyInstanceUID == first.StudyInstanceUID
    assert evidence.ReferencedSeriesSequence[0].SeriesInstanceUID == first.SeriesInstanceUID
    cited = {
        str(i.ReferencedSOPInstanceUID)
        for i in evidence.ReferencedSeriesSequence[0].ReferencedSOPSequence
    }
    assert cited == new_sops
    pr_series = pr.ReferencedSeriesSequence[0]
    assert pr_series.SeriesInstanceUID == first.SeriesInstanceUID
    assert pr_series.ReferencedImageSequence[0].ReferencedSOPInstanceUID == first.SOPInstanceUID
    # No original UID is left anywhere in the bytes (file meta included).
    originals = {str(ds.SOPInstanceUID) for ds in cts} | {str(cts[0].StudyInstanceUID)}
    originals |= {str(cts[0].SeriesInstanceUID), str(cts[0].FrameOfReferenceUID)}
    for _, data in exported_bytes(tmp_path / "out"):
        assert not [uid for uid in originals if uid.encode() in data]
    # The class UIDs stay (they identify no one).
    assert sr.SOPClassUID == BASIC_TEXT_SR and pr.SOPClassUID == GSPS


def _date(text: str) -> dt.date:
    return dt.datetime.strptime(text, "%Y%m%d").date()


def _prepare_options_study(folder: Path) -> list[Dataset]:
    paths = write_study(folder)
    family, given = str(pydicom.dcmread(paths[0]).PatientName).split("^")[:2]
    out = []
    for path in paths:
        ds = pydicom.dcmread(path)
        acquired = _date(ds.StudyDate) + dt.timedelta(days=1)
        out.append(
            rewrite(
                path,
                AcquisitionDate=acquired.strftime("%Y%m%d"),
                AcquisitionTime=ds.StudyTime,
                InstitutionName="SAINT CANARY HOSPITAL",
                StationName="CTSTATION7",
                DeviceSerialNumber="SN-778899",
                PatientWeight="71.5",
                PatientAge="052Y",
                StudyDescription=f"CHEST CT FOR {given} {family}",
                SeriesDescription="AXIAL LUNG",
            )
        )
    return out


def test_retained_options_keep_what_they_say_and_are_recorded(tmp_path: Path) -> None:
    originals = _prepare_options_study(tmp_path / "study")
    options = DeidOptions.from_names(
        [
            "modified-dates",
            "patient-characteristics",
            "device-identity",
            "institution-identity",
            "clean-descriptors",
        ]
    )
    result = deidentify_study(tmp_path / "study", tmp_path / "out", options)
    assert result.retained == tuple(sorted(o.value for o in options.retain))
    original = originals[0]
    for ds in exported_datasets(tmp_path / "out"):
        # Modified dates: shifted back by one offset (62 to 730 days), intervals kept
        # (dicognito shifts a date with its time, so a day apart at the same time stays so).
        shift = _date(original.StudyDate) - _date(ds.StudyDate)
        assert dt.timedelta(days=61) <= shift <= dt.timedelta(days=731)
        assert _date(ds.AcquisitionDate) - _date(ds.StudyDate) == dt.timedelta(days=1)
        assert not ds.get("PatientBirthDate")  # no option keeps the birth date
        # Patient characteristics, device and institution identity: kept as they were.
        assert (ds.PatientSex, ds.PatientAge, str(ds.PatientWeight)) == (
            original.PatientSex,
            "052Y",
            "71.5",
        )
        assert (ds.StationName, ds.DeviceSerialNumber) == ("CTSTATION7", "SN-778899")
        assert ds.InstitutionName == "SAINT CANARY HOSPITAL"
        # Clean descriptors: the words stay, the patient's name goes.
        assert ds.StudyDescription == "CHEST CT FOR"
        assert ds.SeriesDescription == "AXIAL LUNG"
        assert ds.PatientName != original.PatientName and ds.PatientID != original.PatientID
        codes = {c.CodeValue for c in ds.DeidentificationMethodCodeSequence}
        assert codes == {"113100", "113107", "113108", "113109", "113112", "113105"}
        assert ds.PatientIdentityRemoved == "YES"


def test_full_dates_keep_dates_and_nothing_else(tmp_path: Path) -> None:
    originals = _prepare_options_study(tmp_path / "study")
    options = DeidOptions(retain=frozenset({RetainOption.FULL_DATES}))
    deidentify_study(tmp_path / "study", tmp_path / "out", options)
    for ds in exported_datasets(tmp_path / "out"):
        assert (ds.StudyDate, ds.AcquisitionDate) == (
            originals[0].StudyDate,
            originals[0].AcquisitionDate,
        )
        assert not ds.get("PatientBirthDate")
        assert "InstitutionName" not in ds and "StationName" not in ds
        assert "StudyDescription" not in ds and "PatientWeight" not in ds
        assert {c.CodeValue for c in ds.DeidentificationMethodCodeSequence} == {"113100", "113106"}


def test_both_date_options_at_once_are_refused() -> None:
    with pytest.raises(UsageError, match="full-dates and modified-dates"):
        DeidOptions.from_names(["full-dates", "modified-dates"])
    with pytest.raises(UsageError, match="unknown retain option"):
        DeidOptions.from_names(["everything"])


def _burned_in_study(folder: Path) -> dict[str, str]:
    """CT (clean), CT with Burned In Annotation YES, US without it, SC saying NO."""
    paths = write_study(folder / "ct", slices=2)
    first = pydicom.dcmread(paths[0])
    rewrite(paths[1], BurnedInAnnotation="YES")
    variants = {
        "us.dcm": {"SOPClassUID": US_IMAGE, "Modality": "US"},
        "sc.dcm": {"SOPClassUID": SECONDARY_CAPTURE, "Modality": "OT", "BurnedInAnnotation": "NO"},
    }
    for name, attributes in variants.items():
        ds = pydicom.dcmread(paths[0])
        ds.SOPInstanceUID = generate_uid()
        ds.SeriesInstanceUID = generate_uid()
        for keyword, value in attributes.items():
            setattr(ds, keyword, value)
        _save(ds, folder / name)
    return {
        "ct_yes": str(paths[1]),
        "us": str(folder / "us.dcm"),
        "patient": str(first.PatientName),
    }


def test_burned_in_images_are_flagged_and_left_out(tmp_path: Path) -> None:
    named = _burned_in_study(tmp_path / "study")
    result = deidentify_study(tmp_path / "study", tmp_path / "out")
    flagged = {f.source: f for f in result.flagged}
    assert set(flagged) == {named["ct_yes"], named["us"]}
    assert "Burned In Annotation is YES" in flagged[named["ct_yes"]].reason
    assert "modality US" in flagged[named["us"]].reason
    assert not any(f.included for f in result.flagged)
    exported = exported_datasets(tmp_path / "out")
    assert len(exported) == len(result.exported) == 2  # the clean CT and the SC saying NO
    assert {ds.Modality for ds in exported} == {"CT", "OT"}
    assert all(ds.get("BurnedInAnnotation") != "YES" for ds in exported)


def test_flagged_images_go_out_only_when_asked_and_say_so(tmp_path: Path) -> None:
    _burned_in_study(tmp_path / "study")
    result = deidentify_study(tmp_path / "study", tmp_path / "out", include_burned_in=True)
    assert len(result.exported) == 4 and all(f.included for f in result.flagged)
    removed = sorted(str(ds.PatientIdentityRemoved) for ds in exported_datasets(tmp_path / "out"))
    assert removed == ["NO", "NO", "YES", "YES"]


def test_nothing_but_flagged_images_exports_nothing(tmp_path: Path) -> None:
    _burned_in_study(tmp_path / "study")
    us_only = tmp_path / "us"
    us_only.mkdir()
    os.replace(tmp_path / "study" / "us.dcm", us_only / "us.dcm")
    with pytest.raises(NothingToExportError, match="burned into the pixels"):
        deidentify_study(us_only, tmp_path / "out")
    assert not (tmp_path / "out").exists()


_FILE_ID = re.compile(r"^[A-Z0-9_]{1,8}$")


def test_plain_media_export_writes_a_dicomdir_that_reads_back(tmp_path: Path) -> None:
    paths = write_study(tmp_path / "study", slices=4)
    source = scan(tmp_path / "study")
    result = export_media(paths, tmp_path / "media")
    media = tmp_path / "media"
    assert result.dicomdir == "DICOMDIR" and not result.deidentified
    fileset = FileSet(media / "DICOMDIR")
    assert len(fileset) == 4
    for instance in fileset:
        parts = Path(instance.path).relative_to(media).parts
        assert all(_FILE_ID.match(part) for part in parts), parts
    back = scan(media)
    assert [st.study_instance_uid for p in back.patients for st in p.studies] == [
        st.study_instance_uid for p in source.patients for st in p.studies
    ]
    assert sum(len(s.instances) for s in back.all_series()) == 4
    assert back.patients[0].patient_name == source.patients[0].patient_name  # not de-identified
    # Everything written is the user's alone.
    for path in [media, *media.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_study_without_a_study_id_still_goes_onto_media(tmp_path: Path) -> None:
    """Study ID is Type 2 in images (often empty) but Type 1 in the DICOMDIR: a dummy."""
    paths = write_study(tmp_path / "study", slices=2)
    for path in paths:
        ds = pydicom.dcmread(path)
        ds.StudyID = ""
        ds.save_as(path)
    result = export_media(paths, tmp_path / "media")
    assert result.dicomdir == "DICOMDIR" and len(FileSet(tmp_path / "media" / "DICOMDIR")) == 2
    assert sum(len(s.instances) for s in scan(tmp_path / "media").all_series()) == 2


def test_de_identified_media_reads_back_as_one_new_study(tmp_path: Path) -> None:
    write_study(tmp_path / "study", slices=4)
    original = scan(tmp_path / "study")
    result = export_media(tmp_path / "study", tmp_path / "media", DeidOptions())
    back = scan(tmp_path / "media")
    assert len(back.patients) == 1 and len(back.patients[0].studies) == 1
    study = back.patients[0].studies[0]
    assert study.study_instance_uid == result.studies[0]
    assert study.study_instance_uid != original.patients[0].studies[0].study_instance_uid
    assert sum(len(s.instances) for s in study.series) == 4
    assert back.patients[0].patient_name != original.patients[0].patient_name


def test_an_export_inside_the_source_folder_is_refused(tmp_path: Path) -> None:
    write_study(tmp_path / "study", slices=1)
    with pytest.raises(UsageError, match="inside the source folder"):
        deidentify_study(tmp_path / "study", tmp_path / "study" / "out")
    assert not (tmp_path / "study" / "out").exists()


def test_a_folder_that_is_not_empty_is_refused(tmp_path: Path) -> None:
    write_study(tmp_path / "study", slices=1)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("mine")
    with pytest.raises(UsageError, match="not empty"):
        deidentify_study(tmp_path / "study", tmp_path / "out")
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["notes.txt"]


def test_a_damaged_file_is_listed_and_the_rest_exported(tmp_path: Path) -> None:
    paths = write_study(tmp_path / "study", slices=3)
    damaged = tmp_path / "study" / "damaged.dcm"
    damaged.write_bytes(paths[0].read_bytes()[:400])
    result = deidentify_study(tmp_path / "study", tmp_path / "out")
    assert len(result.exported) == 3
    assert [s.source for s in result.skipped] == [str(damaged)]


def test_a_full_disk_leaves_no_export_behind(tmp_path: Path, tiny_disk: Path) -> None:
    write_study(tmp_path / "study", slices=4, size=128)  # 4 x 32 KiB: more than the disk holds
    with pytest.raises(OSError, match="No space left") as caught:
        deidentify_study(tmp_path / "study", tiny_disk / "out")
    assert caught.value.filename == str(tiny_disk / "out")
    assert list(tiny_disk.iterdir()) == []


def test_an_unwritable_folder_is_an_error_and_nothing_is_written(
    tmp_path: Path, read_only_dir: Path
) -> None:
    write_study(tmp_path / "study", slices=1)
    with pytest.raises(OSError):
        deidentify_study(tmp_path / "study", read_only_dir / "out")
    assert list(read_only_dir.iterdir()) == []


def test_a_zip_and_a_scanned_index_are_sources_too(tmp_path: Path) -> None:
    paths = write_study(tmp_path / "study", slices=2)
    archive = tmp_path / "zipped" / "study.zip"
    archive.parent.mkdir()
    with zipfile.ZipFile(archive, "w") as bundle:
        for path in paths:
            bundle.write(path, f"CT/{path.name}")
    from_zip = deidentify_study(archive, tmp_path / "from-zip")
    from_index = deidentify_study(scan(tmp_path / "study"), tmp_path / "from-index")
    assert len(from_zip.exported) == len(from_index.exported) == 2
    assert len(exported_datasets(tmp_path / "from-zip")) == 2
    with pytest.raises(UsageError, match="inside the source folder"):
        deidentify_study(archive, tmp_path / "zipped" / "out")


@pytest.mark.filterwarnings("ignore:Invalid value for VR DA")
def test_an_object_that_cannot_be_de_identified_is_skipped_whole(tmp_path: Path) -> None:
    paths = write_study(tmp_path / "study", slices=2)
    # A date outside Table E.1-1 is shifted by dicognito; this one is not a date at all.
    rewrite(paths[0], DateOfGainCalibration="2O2O0101")
    result = deidentify_study(tmp_path / "study", tmp_path / "out")
    assert len(result.exported) == 1
    assert [s.source for s in result.skipped] == [str(paths[0])]
    assert result.skipped[0].reason.startswith("cannot be de-identified or written: ValueError")
    assert len(exported_datasets(tmp_path / "out")) == 1


def test_a_cancelled_export_leaves_nothing(tmp_path: Path) -> None:
    write_study(tmp_path / "study", slices=3)
    token = CancelToken()
    job = export_job(
        tmp_path / "study", tmp_path / "out", deidentify=DeidOptions(), dicomdir=True, token=token
    )
    events = []
    with pytest.raises(CancelledError):
        for event in job:
            events.append(event)
            if event.message == "de-identifying" and event.done == 1:
                token.cancel()
    assert events[-1].message == "de-identifying"
    # No export folder, no hidden staging folder (the test's data folder may be there).
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "data") == ["study"]
