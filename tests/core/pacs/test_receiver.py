"""The standing receiver: Orthanc pushes a study to our storage SCP."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pydicom
import pytest

from core.pacs import FolderSink, InstanceArrived, LocalNode, PacsConnectionError, StorageReceiver
from tests.core.pacs.conftest import StoredStudy, our_node
from tests.core.pacs.orthanc import Orthanc


def _running(receiver: StorageReceiver) -> bool:
    return receiver.running


def test_a_study_pushed_by_the_pacs_lands_in_the_sink_with_events(
    orthanc: Orthanc, ct_study: StoredStudy, tmp_path: Path
) -> None:
    arrived: list[InstanceArrived] = []
    callers: set[int] = set()

    def on_arrival(event: InstanceArrived) -> None:
        callers.add(threading.get_ident())
        arrived.append(event)

    receiver = StorageReceiver(our_node(orthanc), FolderSink(tmp_path), on_arrival)
    started = time.perf_counter()
    receiver.start()
    assert time.perf_counter() - started < 0.5  # start never blocks the caller
    try:
        assert _running(receiver)
        orthanc.rest(
            "POST",
            "/modalities/radassist/store",
            {"Resources": [orthanc.study_id(ct_study.study_uid)], "Synchronous": True},
        )
        deadline = time.monotonic() + 10
        while len(arrived) < 8 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        receiver.stop()
    assert _running(receiver) is False
    assert len(arrived) == 8
    assert {e.study_uid for e in arrived} == {ct_study.study_uid}
    assert {e.calling_ae for e in arrived} == {"ORTHANC"}
    assert all(e.new and e.stored for e in arrived)
    assert threading.get_ident() not in callers  # delivered from the receiver's own thread
    files = sorted(tmp_path.glob("*.dcm"))
    assert {f.stem for f in files} == {e.sop_instance_uid for e in arrived}
    assert str(pydicom.dcmread(files[0]).StudyInstanceUID) == ct_study.study_uid


def test_a_port_in_use_is_explained(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        receiver = StorageReceiver(
            LocalNode("RADTEST", port, bind_address="127.0.0.1"), FolderSink(tmp_path)
        )
        with pytest.raises(PacsConnectionError, match=f"cannot receive on port {port}"):
            receiver.start()
    assert not receiver.running
