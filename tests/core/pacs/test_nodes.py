"""The nodes settings file and the credential store (no network)."""

from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path

import pytest

from core.errors import UsageError
from core.pacs import (
    CredentialStore,
    DicomWebNode,
    DimseNode,
    LocalNode,
    NodeBook,
    NodesFileError,
    StudyQuery,
    load_nodes,
    nodes_file,
    save_nodes,
)

pytestmark = pytest.mark.usefixtures("private_data_dir")


def _book() -> NodeBook:
    return NodeBook(
        local=LocalNode("RADASSIST", 11112),
        dimse=(
            DimseNode(
                "pacs",
                "PACS",
                "pacs.example",
                104,
                description="main PACS",
                usage="query",
                retrieve_method="move",
            ),
        ),
        dicomweb=(
            DicomWebNode(
                "web",
                "https://pacs.example/dicom-web",
                auth="basic",
                username="alice",
                qido_prefix="qido",
            ),
        ),
    )


def test_nodes_round_trip_owner_only(private_data_dir: Path) -> None:
    assert load_nodes() == NodeBook()  # no file yet: nothing configured
    path = save_nodes(_book())
    assert path == private_data_dir / "dicom-nodes.json" == nodes_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_nodes() == _book()
    assert load_nodes().node("pacs").retrieve_method == "move"  # type: ignore[union-attr]


def test_a_secret_never_enters_the_nodes_file() -> None:
    book = _book()
    store = CredentialStore(use_keyring=False)
    store.set(book.dicomweb[0].credential_key, "s3cret-Pa55")
    path = save_nodes(book)
    assert "s3cret-Pa55" not in path.read_text()
    assert store.get(book.dicomweb[0].credential_key) == "s3cret-Pa55"
    assert "in memory for this session only" in store.where


def test_a_damaged_file_is_named_and_never_overwritten() -> None:
    path = nodes_file()
    path.write_text('{"version": 1, "dimse": [{"name": "x"')
    with pytest.raises(NodesFileError) as caught:
        load_nodes()
    assert str(path) in str(caught.value)
    assert "is damaged" in str(caught.value) and "left as it is" in str(caught.value)
    with pytest.raises(NodesFileError):
        save_nodes(_book())
    assert path.read_text() == '{"version": 1, "dimse": [{"name": "x"'


def test_an_unknown_node_name_lists_the_known_ones() -> None:
    with pytest.raises(UsageError, match="no DICOM node is named 'nope' \\(known: pacs, web\\)"):
        _book().node("nope")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: DimseNode("n", "A" * 17, "h", 104), "1 to 16 characters"),
        (lambda: DimseNode("n", "PACS", "h", 70000), "port must be 1 to 65535"),
        (
            lambda: DimseNode("n", "PACS", "h", 104, usage="all"),  # type: ignore[arg-type]
            "usage must be one of",
        ),
        (lambda: DicomWebNode("n", "ftp://x"), "starts with http:// or https://"),
        (lambda: DicomWebNode("n", "http://x", auth="basic"), "needs a user name"),
        (
            lambda: NodeBook(dimse=(DimseNode("a", "A", "h", 1), DimseNode("a", "B", "h", 2))),
            "repeated: a",
        ),
        (
            lambda: StudyQuery(date_from=dt.date(2024, 2, 1), date_to=dt.date(2024, 1, 1)),
            "date range is reversed",
        ),
        (lambda: StudyQuery(limit=0), "positive integer"),
    ],
)
def test_bad_definitions_say_what_is_wrong(make: object, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        make()  # type: ignore[operator]


def test_a_query_builds_the_c_find_identifier_and_qido_filters() -> None:
    query = StudyQuery(patient_name="DOE^J*", date_from=dt.date(2024, 1, 1), modality="CT")
    identifier = query.identifier()
    assert identifier.QueryRetrieveLevel == "STUDY"
    assert identifier.PatientName == "DOE^J*"
    assert identifier.StudyDate == "20240101-"
    assert identifier.ModalitiesInStudy == "CT"
    assert "NumberOfStudyRelatedSeries" in identifier
    assert query.qido_filters() == {
        "PatientName": "DOE^J*",
        "StudyDate": "20240101-",
        "ModalitiesInStudy": "CT",
    }


def test_the_folder_sink_refuses_bytes_that_are_not_dicom(tmp_path: Path) -> None:
    from core.pacs import FolderSink

    sink = FolderSink(tmp_path / "out")
    with pytest.raises(UsageError) as caught:
        sink.accept_encoded(b"not dicom at all", source="test")
    assert str(caught.value) == (
        "the instance is not a readable DICOM file (InvalidDicomError); it was not stored"
    )
    assert list((tmp_path / "out").iterdir()) == []
