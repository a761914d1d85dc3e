"""Fixtures of the PACS tests: the real Orthanc, a study stored into it, nodes and sinks."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core.pacs import CredentialStore, DicomWebNode, DimseNode, LocalNode, send
from core.synthetic import SyntheticStudy, make_study_context, write_ct_series
from tests.core.pacs.orthanc import (  # noqa: F401 - fixtures
    ORTHANC_AET,
    OUR_AET,
    PASSWORD,
    USER,
    Orthanc,
    orthanc,
    own_orthanc,
)


@dataclass(frozen=True)
class StoredStudy:
    """A synthetic CT stored into the session's Orthanc by our C-STORE."""

    context: SyntheticStudy
    study_uid: str
    series_uid: str
    files: list[Path]


def dimse_node(server: Orthanc, timeout_s: float = 10.0) -> DimseNode:
    return DimseNode("orthanc", ORTHANC_AET, "127.0.0.1", server.dicom_port, timeout_s=timeout_s)


def our_node(server: Orthanc) -> LocalNode:
    """Our AE as Orthanc knows it (DicomModalities: 127.0.0.1 and this port)."""
    return LocalNode(OUR_AET, server.our_port, bind_address="127.0.0.1")


def web_node(server: Orthanc, username: str = USER) -> DicomWebNode:
    return DicomWebNode(
        "orthanc-web", server.dicomweb_url, auth="basic", username=username, timeout_s=10
    )


def web_credentials(node: DicomWebNode, password: str = PASSWORD) -> CredentialStore:
    store = CredentialStore(use_keyring=False)
    store.set(node.credential_key, password)
    return store


def store_ct(server: Orthanc, folder: Path, seed: int, slices: int, **context: Any) -> StoredStudy:
    """Write a synthetic CT and send it to ``server`` by C-STORE (every file must be stored)."""
    rng = np.random.default_rng(seed)
    study = make_study_context(rng, **context)
    files = write_ct_series(folder, rng, slices=slices, size=64, study=study)
    statuses = send(dimse_node(server), files, local=our_node(server))
    assert [s.message for s in statuses if not s.ok] == []
    from pydicom import dcmread

    header = dcmread(files[0], stop_before_pixels=True)
    return StoredStudy(study, str(header.StudyInstanceUID), str(header.SeriesInstanceUID), files)


@pytest.fixture(scope="session")
def ct_study(
    orthanc: Orthanc,  # noqa: F811 - the fixture imported above
    tmp_path_factory: pytest.TempPathFactory,
) -> StoredStudy:
    """An 8-slice CT of one patient in the session's Orthanc."""
    folder = tmp_path_factory.mktemp("ct")
    return store_ct(orthanc, folder, seed=5, slices=8, description="CHEST CT")


class BrokenDiskSink:
    """A sink whose disk is full: every instance fails with ENOSPC (nothing stored)."""

    def __init__(self) -> None:
        self.calls = 0
        self._lock = threading.Lock()

    def accept(self, dataset: Any, *, source: str) -> bool:
        with self._lock:
            self.calls += 1
        raise OSError(28, "No space left on device")
