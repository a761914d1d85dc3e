"""DICOMweb against Orthanc's plugin, with basic authentication: QIDO, WADO, STOW, a 401."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.jobs import Progress, run_job
from core.pacs import (
    CredentialStore,
    FolderSink,
    PacsAuthError,
    PacsConnectionError,
    StudyQuery,
    echo,
    find,
    find_series,
    retrieve,
    send,
)
from core.synthetic import make_study_context, write_cxr
from tests.core.pacs.conftest import StoredStudy, web_credentials, web_node
from tests.core.pacs.orthanc import Orthanc, free_port


def test_qido_finds_the_study_and_its_series(orthanc: Orthanc, ct_study: StoredStudy) -> None:
    node = web_node(orthanc)
    credentials = web_credentials(node)
    assert echo(node, credentials=credentials) < 5
    matches = find(
        node, StudyQuery(patient_id=ct_study.context.patient_id), credentials=credentials
    )
    assert [(m.study_uid, m.description, m.modalities) for m in matches] == [
        (ct_study.study_uid, "CHEST CT", ("CT",))
    ]
    assert matches[0].patient_name == ct_study.context.patient_name
    series = find_series(node, ct_study.study_uid, credentials=credentials)
    assert [(s.series_uid, s.modality) for s in series] == [(ct_study.series_uid, "CT")]


def test_wado_retrieves_the_study_into_the_sink(
    orthanc: Orthanc, ct_study: StoredStudy, tmp_path: Path
) -> None:
    node = web_node(orthanc)
    events: list[Progress] = []
    sink = FolderSink(tmp_path)
    result = run_job(
        retrieve(node, ct_study.study_uid, sink, credentials=web_credentials(node)),
        events.append,
    )
    assert (result.method, result.arrived, result.expected, result.complete) == ("wado", 8, 8, True)
    assert events[-1].done == 8
    assert len(list(tmp_path.glob("*.dcm"))) == 8


def test_stow_stores_a_new_object_that_qido_then_finds(orthanc: Orthanc, tmp_path: Path) -> None:
    rng = np.random.default_rng(77)
    study = make_study_context(rng, description="CHEST XR STOW")
    path = tmp_path / "cxr.dcm"
    write_cxr(path, rng, size=64, study=study)
    node = web_node(orthanc)
    credentials = web_credentials(node)
    statuses = send(node, [path], credentials=credentials)
    assert [(s.ok, s.message) for s in statuses] == [(True, "stored")]
    found = find(node, StudyQuery(patient_id=study.patient_id), credentials=credentials)
    assert [m.description for m in found] == ["CHEST XR STOW"]


def test_a_wrong_password_is_explained(orthanc: Orthanc, ct_study: StoredStudy) -> None:
    node = web_node(orthanc)
    with pytest.raises(PacsAuthError) as caught:
        find(node, StudyQuery(patient_id="X"), credentials=web_credentials(node, "wrong"))
    assert str(caught.value) == (
        f"{orthanc.dicomweb_url} refused the search: HTTP 401 (wrong user name or password, "
        "or the token expired). Check the credentials of this DICOMweb node in Settings → "
        "DICOM nodes"
    )


def test_no_known_password_asks_and_says_what_to_do(orthanc: Orthanc) -> None:
    node = web_node(orthanc)
    asked: list[str] = []

    def ask(key: str) -> str | None:
        asked.append(key)
        return None  # the user declined

    store = CredentialStore(ask, use_keyring=False)
    with pytest.raises(PacsAuthError, match="no password is known for the DICOMweb node"):
        find(node, StudyQuery(), credentials=store)
    assert asked == [node.credential_key]


def test_a_dicomweb_server_that_is_not_running(tmp_path: Path) -> None:
    from core.pacs import DicomWebNode

    node = DicomWebNode("gone", f"http://127.0.0.1:{free_port()}/dicom-web", timeout_s=2)
    with pytest.raises(PacsConnectionError, match=r"could not connect to http://127\.0\.0\.1"):
        find(node, StudyQuery())


def test_https_to_a_plain_http_server_is_a_tls_failure(orthanc: Orthanc) -> None:
    from core.pacs import DicomWebNode, PacsTlsError

    node = DicomWebNode("tls", f"https://127.0.0.1:{orthanc.http_port}/dicom-web", timeout_s=5)
    with pytest.raises(PacsTlsError, match=r"the secure \(TLS\) connection to https://"):
        find(node, StudyQuery())


def test_a_dicom_port_given_as_a_dicomweb_url_is_garbage(orthanc: Orthanc) -> None:
    from core.pacs import DicomWebNode, PacsProtocolError

    node = DicomWebNode("dimse", f"http://127.0.0.1:{orthanc.dicom_port}/dicom-web", timeout_s=5)
    with pytest.raises(PacsProtocolError, match="something that is not HTTP"):
        find(node, StudyQuery())
