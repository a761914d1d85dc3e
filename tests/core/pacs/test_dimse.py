"""DIMSE against a real Orthanc: C-STORE (send), C-ECHO, C-FIND, C-GET, C-MOVE, refusals."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pydicom
import pytest

from core.errors import CancelledError
from core.jobs import CancelToken, Progress, run_job
from core.pacs import (
    AssociationRejectedError,
    FolderSink,
    LocalNode,
    MoveDestinationUnknownError,
    StudyQuery,
    echo,
    find,
    find_series,
    retrieve,
    send,
)
from tests.core.pacs.conftest import (
    BrokenDiskSink,
    StoredStudy,
    dimse_node,
    our_node,
)
from tests.core.pacs.orthanc import Orthanc


def test_echo_answers_with_a_round_trip_time(orthanc: Orthanc) -> None:
    took = echo(dimse_node(orthanc), local=our_node(orthanc))
    assert 0 < took < 5


def test_send_stores_every_file_and_reports_a_file_that_is_not_dicom(
    orthanc: Orthanc, ct_study: StoredStudy, tmp_path: Path
) -> None:
    not_dicom = tmp_path / "notes.txt"
    not_dicom.write_text("not an image")
    statuses = send(dimse_node(orthanc), [ct_study.files[0], not_dicom], local=our_node(orthanc))
    assert [s.ok for s in statuses] == [True, False]
    assert statuses[0].status == 0x0000
    assert statuses[1].message == "not a DICOM file; not sent"
    # The session's study is in Orthanc, once (a second store of the same file replaces it).
    assert (
        orthanc.rest("GET", f"/studies/{orthanc.study_id(ct_study.study_uid)}")["MainDicomTags"][
            "StudyInstanceUID"
        ]
        == ct_study.study_uid
    )


def test_find_at_study_level_by_patient_id(orthanc: Orthanc, ct_study: StoredStudy) -> None:
    matches = find(
        dimse_node(orthanc),
        StudyQuery(patient_id=ct_study.context.patient_id),
        local=our_node(orthanc),
    )
    assert len(matches) == 1
    match = matches[0]
    assert match.study_uid == ct_study.study_uid
    assert match.patient_name == ct_study.context.patient_name
    assert match.description == "CHEST CT"
    assert match.modalities == ("CT",)
    assert (match.series_count, match.instance_count) == (1, 8)


def test_find_by_name_wildcard_and_date_range(orthanc: Orthanc, ct_study: StoredStudy) -> None:
    node, local = dimse_node(orthanc), our_node(orthanc)
    day = dt.datetime.strptime(
        find(node, StudyQuery(patient_id=ct_study.context.patient_id), local=local)[0].study_date,
        "%Y%m%d",
    ).date()
    prefix = ct_study.context.patient_name[:10] + "*"
    inside = StudyQuery(patient_name=prefix, date_from=day, date_to=day, modality="CT")
    assert [m.study_uid for m in find(node, inside, local=local)] == [ct_study.study_uid]
    later = StudyQuery(patient_name=prefix, date_from=day + dt.timedelta(days=1))
    assert find(node, later, local=local) == []


def test_find_stops_at_the_result_limit(orthanc: Orthanc, ct_study: StoredStudy) -> None:
    everything = find(
        dimse_node(orthanc), StudyQuery(patient_name="PHANTOM*"), local=our_node(orthanc)
    )
    limited = find(
        dimse_node(orthanc), StudyQuery(patient_name="PHANTOM*", limit=1), local=our_node(orthanc)
    )
    assert len(everything) >= 1
    assert len(limited) == 1


def test_find_cancelled_says_so(orthanc: Orthanc, ct_study: StoredStudy) -> None:
    token = CancelToken()
    token.cancel()
    with pytest.raises(CancelledError, match="cancelled"):
        find(dimse_node(orthanc), StudyQuery(), local=our_node(orthanc), cancel=token)


def test_find_at_series_level(orthanc: Orthanc, ct_study: StoredStudy) -> None:
    series = find_series(dimse_node(orthanc), ct_study.study_uid, local=our_node(orthanc))
    assert [(s.series_uid, s.modality, s.instance_count) for s in series] == [
        (ct_study.series_uid, "CT", 8)
    ]


def _files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.dcm"))


def test_c_get_retrieves_the_study_with_progress_and_resumes_cheaply(
    orthanc: Orthanc, ct_study: StoredStudy, tmp_path: Path
) -> None:
    events: list[Progress] = []
    sink = FolderSink(tmp_path / "got")
    job = retrieve(
        dimse_node(orthanc), ct_study.study_uid, sink, method="get", local=our_node(orthanc)
    )
    result = run_job(job, events.append)
    assert (result.arrived, result.already_present, result.failed, result.expected) == (8, 0, 0, 8)
    assert result.complete
    assert events[-1].done == 8 and events[-1].total == 8
    files = _files(tmp_path / "got")
    assert len(files) == 8
    sop_uids = {str(pydicom.dcmread(f).SOPInstanceUID) for f in files}
    assert {f.stem for f in files} == sop_uids
    assert (files[0].stat().st_mode & 0o777) == 0o600
    # Resume: asked again, the sink says what it already holds; nothing is written twice.
    again = run_job(
        retrieve(
            dimse_node(orthanc), ct_study.study_uid, sink, method="get", local=our_node(orthanc)
        )
    )
    assert (again.arrived, again.already_present, again.complete) == (0, 8, True)


def test_c_get_of_one_series(orthanc: Orthanc, ct_study: StoredStudy, tmp_path: Path) -> None:
    result = run_job(
        retrieve(
            dimse_node(orthanc),
            ct_study.study_uid,
            FolderSink(tmp_path),
            series_uids=[ct_study.series_uid],
            local=our_node(orthanc),
        )
    )
    assert (result.arrived, result.expected) == (8, 8)


def test_c_get_into_a_full_disk_counts_failures(orthanc: Orthanc, ct_study: StoredStudy) -> None:
    sink = BrokenDiskSink()
    result = run_job(
        retrieve(dimse_node(orthanc), ct_study.study_uid, sink, local=our_node(orthanc))
    )
    assert sink.calls == 8
    assert (result.arrived, result.failed, result.complete) == (0, 8, False)
    assert "8 failed" in result.counts.in_words()


def test_c_move_into_our_storage_scp(
    orthanc: Orthanc, ct_study: StoredStudy, tmp_path: Path
) -> None:
    events: list[Progress] = []
    result = run_job(
        retrieve(
            dimse_node(orthanc),
            ct_study.study_uid,
            FolderSink(tmp_path),
            method="move",
            local=our_node(orthanc),
        ),
        events.append,
    )
    assert (result.method, result.arrived, result.expected, result.complete) == ("move", 8, 8, True)
    assert len(_files(tmp_path)) == 8
    assert events and events[-1].total == 8


def test_c_move_to_an_unknown_destination_explains_0xa801(
    orthanc: Orthanc, ct_study: StoredStudy, tmp_path: Path
) -> None:
    job = retrieve(
        dimse_node(orthanc),
        ct_study.study_uid,
        FolderSink(tmp_path),
        method="move",
        local=our_node(orthanc),
        move_destination="NOWHERE",
    )
    with pytest.raises(MoveDestinationUnknownError) as caught:
        run_job(job)
    message = str(caught.value)
    assert "0xA801" in message
    assert "does not know AE title NOWHERE as a move destination" in message
    assert f"port {orthanc.our_port}" in message
    assert "administrator must configure AE title NOWHERE" in message
    assert _files(tmp_path) == []


def test_a_wrong_called_ae_title_is_rejected_with_what_to_configure(orthanc: Orthanc) -> None:
    node = dimse_node(orthanc)
    wrong = type(node)("x", "NOTORTHANC", node.host, node.port, timeout_s=5)
    with pytest.raises(AssociationRejectedError) as caught:
        echo(wrong, local=our_node(orthanc))
    message = str(caught.value)
    assert "refused the association (Called AE title not recognised)" in message
    assert "must add AE title RADTEST" in message


def test_an_unknown_calling_ae_title_is_refused_the_search(orthanc: Orthanc) -> None:
    with pytest.raises(AssociationRejectedError) as caught:
        find(dimse_node(orthanc), StudyQuery(), local=LocalNode("STRANGER"))
    message = str(caught.value)
    assert "refused the search" in message
    assert "does not allow our AE title STRANGER" in message
    assert "administrator must add AE title STRANGER" in message
