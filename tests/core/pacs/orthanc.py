"""A real Orthanc PACS for the tests: configured in tmp, on free 127.0.0.1 ports.

:func:`start_orthanc` writes an Orthanc configuration (free DICOM and HTTP ports, its
storage in the given folder, our AE in ``DicomModalities``, remote HTTP access off,
authentication on with one registered user, the DICOMweb plugin loaded), starts
``/usr/sbin/Orthanc CONFIG`` and waits until its REST API answers. The ``orthanc``
fixture (session scope) is one server for every PACS test; a test that kills it takes
the function-scoped ``own_orthanc`` instead.
"""

from __future__ import annotations

import base64
import contextlib
import json
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ORTHANC = Path("/usr/sbin/Orthanc")
DICOMWEB_PLUGIN = Path("/usr/share/orthanc/plugins/libOrthancDicomWeb.so")
ORTHANC_AET = "ORTHANC"
OUR_AET = "RADTEST"
USER = "radassist"
PASSWORD = "correct-horse"


def free_port() -> int:
    """A TCP port nobody listens on now (bind port 0 on 127.0.0.1)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Orthanc:
    """A running Orthanc: its ports, our AE's entry in it, and its REST API."""

    folder: Path
    dicom_port: int
    http_port: int
    our_port: int
    process: subprocess.Popen[bytes] | None = None
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.folder / "orthanc.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def dicomweb_url(self) -> str:
        return f"{self.url}/dicom-web"

    def rest(self, method: str, path: str, body: Any = None, *, timeout: float = 60) -> Any:
        """Call the REST API (authenticated); the decoded JSON answer."""
        data = None
        if body is not None:
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            text = answer.read()
        return json.loads(text) if text else None

    def study_ids(self) -> list[str]:
        return list(self.rest("GET", "/studies"))

    def instance_count(self) -> int:
        return int(self.rest("GET", "/statistics")["CountInstances"])

    def study_id(self, study_uid: str) -> str:
        """Orthanc's own ID of a study."""
        found = self.rest("POST", "/tools/lookup", study_uid)
        return next(str(item["ID"]) for item in found if item["Type"] == "Study")

    def kill(self) -> None:
        """Kill the server at once (SIGKILL), as a crash would."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)


def _config(server: Orthanc) -> dict[str, Any]:
    return {
        "Name": "RadAssistTest",
        "StorageDirectory": str(server.folder / "storage"),
        "IndexDirectory": str(server.folder / "storage"),
        "StorageCompression": False,
        "DicomAet": ORTHANC_AET,
        "DicomPort": server.dicom_port,
        "HttpPort": server.http_port,
        "RemoteAccessAllowed": False,
        "AuthenticationEnabled": True,
        "RegisteredUsers": {USER: PASSWORD},
        "SslEnabled": False,
        "DicomCheckCalledAet": True,
        "DicomAlwaysAllowEcho": True,
        "DicomAlwaysAllowStore": True,
        "DicomModalities": {"radassist": [OUR_AET, "127.0.0.1", server.our_port]},
        "DicomScuTimeout": 5,
        "DicomScpTimeout": 10,
        "Plugins": [str(DICOMWEB_PLUGIN)],
        "DicomWeb": {"Enable": True, "Root": "/dicom-web/", "StudiesMetadata": "MainDicomTags"},
        "SaveJobs": False,
        "HttpTimeout": 10,
    }


def start_orthanc(folder: Path) -> Orthanc:
    """Start Orthanc with a configuration written into ``folder``; wait until it answers."""
    if not ORTHANC.exists() or not DICOMWEB_PLUGIN.exists():
        pytest.skip("Orthanc and its DICOMweb plugin are not installed (make test installs them)")
    folder.mkdir(parents=True, exist_ok=True)
    server = Orthanc(folder, free_port(), free_port(), free_port())
    config = folder / "orthanc.json"
    config.write_text(json.dumps(_config(server), indent=2))
    with server.log.open("wb") as log:
        server.process = subprocess.Popen(
            [str(ORTHANC), str(config)], stdout=log, stderr=subprocess.STDOUT, cwd=folder
        )
    deadline = time.monotonic() + 30
    while True:
        if server.process.poll() is not None:
            raise RuntimeError(f"Orthanc exited at start:\n{server.log.read_text()[-2000:]}")
        with contextlib.suppress(OSError, urllib.error.URLError):
            server.rest("GET", "/system", timeout=2)
            return server
        if time.monotonic() > deadline:
            server.kill()
            raise RuntimeError(f"Orthanc did not answer in 30 s:\n{server.log.read_text()[-2000:]}")
        time.sleep(0.1)


def stop_orthanc(server: Orthanc) -> None:
    """Stop the server (SIGTERM, then SIGKILL)."""
    process = server.process
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def orthanc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Orthanc]:
    """One Orthanc for the PACS tests (tests find their own studies by patient ID)."""
    server = start_orthanc(tmp_path_factory.mktemp("orthanc"))
    yield server
    stop_orthanc(server)


@pytest.fixture
def own_orthanc(tmp_path: Path) -> Iterator[Orthanc]:
    """An Orthanc of the test's own (for a test that kills it)."""
    server = start_orthanc(tmp_path / "orthanc")
    yield server
    stop_orthanc(server)
