"""The network failing: refused, silent, garbage, and the PACS killed mid-retrieval."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pydicom
import pytest

from core.jobs import Progress, run_job
from core.pacs import (
    DimseNode,
    FolderSink,
    PacsConnectionError,
    PacsProtocolError,
    PacsTimeoutError,
    RetrieveInterruptedError,
    StudyQuery,
    echo,
    find,
    retrieve,
)
from core.pacs.explain import explain_move_refused
from tests.core.pacs.conftest import dimse_node, our_node, store_ct
from tests.core.pacs.orthanc import Orthanc, free_port


@contextlib.contextmanager
def peer(answer: bytes | None) -> Iterator[int]:
    """A TCP peer on 127.0.0.1 that accepts and then never answers (None) or sends ``answer``."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    server.settimeout(0.2)
    stop = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            held.append(conn)
            if answer is not None:
                with contextlib.suppress(OSError):
                    conn.sendall(answer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield int(server.getsockname()[1])
    finally:
        stop.set()
        thread.join(timeout=2)
        for conn in held:
            conn.close()
        server.close()


def test_nothing_listening_is_explained_as_refused() -> None:
    node = DimseNode("gone", "ORTHANC", "127.0.0.1", free_port(), timeout_s=2)
    with pytest.raises(PacsConnectionError) as caught:
        echo(node)
    assert str(caught.value) == (
        f"could not connect to ORTHANC at 127.0.0.1:{node.port}: the connection was refused "
        "or the host is unreachable. Is the PACS running? Are the host and port right?"
    )


def test_a_peer_that_never_answers_is_a_timeout() -> None:
    with peer(None) as port:
        node = DimseNode("silent", "ORTHANC", "127.0.0.1", port, timeout_s=1)
        started = time.monotonic()
        with pytest.raises(PacsTimeoutError) as caught:
            find(node, StudyQuery(patient_id="X"))
        took = time.monotonic() - started
    assert "accepted the connection but did not answer the association request within 1 s" in (
        str(caught.value)
    )
    assert took < 5


def test_a_peer_that_answers_garbage_is_explained() -> None:
    garbage = b"HTTP/1.1 400 Bad Request\r\n\r\n" + bytes(range(256)) * 4
    with peer(garbage) as port:
        node = DimseNode("web", "ORTHANC", "127.0.0.1", port, timeout_s=5)
        with pytest.raises(PacsProtocolError) as caught:
            echo(node)
    assert "answered with something that is not DICOM" in str(caught.value)
    assert "DICOM port (not its web port)" in str(caught.value)


def test_the_pacs_killed_during_a_retrieval_keeps_what_arrived(
    own_orthanc: Orthanc, tmp_path: Path
) -> None:
    stored = store_ct(own_orthanc, tmp_path / "ct", seed=8, slices=30)
    out = tmp_path / "out"

    def kill_after_five(event: object) -> None:
        if isinstance(event, Progress) and event.done >= 5:
            own_orthanc.kill()

    job = retrieve(
        dimse_node(own_orthanc, timeout_s=5),
        stored.study_uid,
        FolderSink(out),
        local=our_node(own_orthanc),
    )
    with pytest.raises(RetrieveInterruptedError) as caught:
        run_job(job, kill_after_five)
    counts = caught.value.counts
    assert 5 <= counts.arrived < 30
    assert counts.expected == 30
    message = str(caught.value)
    assert f"{counts.arrived} of 30 instances arrived" in message
    assert "was lost during the retrieval" in message
    assert "Retrieve the study again to fetch the rest" in message
    # Nothing half-written: every file there is whole, and no temporary file is left.
    files = sorted(out.glob("*.dcm"))
    assert len(files) == counts.arrived
    assert [p for p in out.iterdir() if p.suffix != ".dcm"] == []
    for path in files:
        assert pydicom.dcmread(path).pixel_array.shape == (64, 64)


def test_status_0xa801_names_the_ae_title_to_configure() -> None:
    node = DimseNode("pacs", "PACS", "pacs.example", 104)
    error = explain_move_refused(node, "RADASSIST", 11112, 0xA801)
    assert str(error) == (
        "PACS at pacs.example:104 refused the C-MOVE (status 0xA801: move destination "
        "unknown): the PACS does not know AE title RADASSIST as a move destination. The PACS "
        "administrator must configure AE title RADASSIST at this workstation's host, port "
        "11112; or use C-GET, which needs no inbound connection"
    )
