"""``radassist pacs echo|find|retrieve|send`` through core.cli.main: exit codes and --json."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from core.cli import main
from core.pacs import DimseNode, LocalNode, NodeBook, nodes_file, save_nodes
from core.pacs.commands import EXIT_REMOTE_FAILED
from tests.core.pacs.conftest import StoredStudy
from tests.core.pacs.orthanc import ORTHANC_AET, OUR_AET, PASSWORD, USER, Orthanc, free_port

pytestmark = pytest.mark.usefixtures("private_data_dir")


def _dimse(server: Orthanc) -> list[str]:
    return [
        "--host",
        "127.0.0.1",
        "--port",
        str(server.dicom_port),
        "--aet",
        ORTHANC_AET,
        "--calling-aet",
        OUR_AET,
    ]


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_echo_json(orthanc: Orthanc, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "pacs", "echo", *_dimse(orthanc), "--json")
    assert (code, err) == (0, "")
    assert json.loads(out)["ok"] is True


def test_find_json_lists_studies_with_uids_and_series_counts(
    orthanc: Orthanc, ct_study: StoredStudy, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(
        capsys,
        "pacs",
        "find",
        *_dimse(orthanc),
        "--patient-id",
        ct_study.context.patient_id,
        "--json",
    )
    assert (code, err) == (0, "")
    document = json.loads(out)
    assert document["count"] == 1
    study = document["studies"][0]
    assert study["study_uid"] == ct_study.study_uid
    assert (study["description"], study["modalities"], study["series_count"]) == (
        "CHEST CT",
        ["CT"],
        1,
    )
    assert study["study_date"]


def test_find_series_in_text(
    orthanc: Orthanc, ct_study: StoredStudy, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(capsys, "pacs", "find", *_dimse(orthanc), "--study", ct_study.study_uid)
    assert code == 0
    assert ct_study.series_uid in out
    assert out.splitlines()[-1] == "1 series"


def test_retrieve_by_move_into_a_folder(
    orthanc: Orthanc, ct_study: StoredStudy, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(
        capsys,
        "pacs",
        "retrieve",
        *_dimse(orthanc),
        "--study",
        ct_study.study_uid,
        "--method",
        "move",
        "--listen-port",
        str(orthanc.our_port),
        "--out",
        str(tmp_path / "out"),
        "--json",
    )
    assert (code, err) == (0, "")
    result = json.loads(out)
    assert (result["arrived"], result["expected"], result["complete"]) == (8, 8, True)
    assert len(list((tmp_path / "out").glob("*.dcm"))) == 8


def test_retrieve_by_get_goes_into_the_archive_and_a_second_time_stores_nothing(
    orthanc: Orthanc, ct_study: StoredStudy, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from core.archive import Archive

    where = tmp_path / "archive"
    argv = ("pacs", "retrieve", *_dimse(orthanc), "--study", ct_study.study_uid)
    code, out, err = _run(capsys, *argv, "--method", "get", "--archive", str(where), "--json")
    assert (code, err) == (0, "")
    result = json.loads(out)
    assert (result["arrived"], result["expected"], result["out"]) == (8, 8, str(where))
    with Archive(where) as archive:
        (row,) = archive.search()
        assert (row.study_uid, row.instance_count) == (ct_study.study_uid, 8)
    code, out, _ = _run(capsys, *argv, "--method", "get", "--archive", str(where), "--json")
    again = json.loads(out)
    assert (code, again["arrived"], again["already_present"]) == (0, 0, 8)


def test_send_reports_each_file_and_fails_for_a_non_dicom_one(
    orthanc: Orthanc, ct_study: StoredStudy, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junk = tmp_path / "junk.dcm"
    junk.write_bytes(b"\0" * 10)
    code, out, err = _run(
        capsys, "pacs", "send", *_dimse(orthanc), str(ct_study.files[0]), str(junk), "--json"
    )
    assert code == EXIT_REMOTE_FAILED
    document = json.loads(out)
    assert (document["sent"], document["failed"]) == (1, 1)
    assert document["items"][1]["message"] == "not a DICOM file; not sent"
    assert err == "radassist: 1 of 2 files were not stored by the node\n"


def test_a_named_node_from_the_settings(
    orthanc: Orthanc, capsys: pytest.CaptureFixture[str]
) -> None:
    save_nodes(
        NodeBook(
            local=LocalNode(OUR_AET),
            dimse=(DimseNode("main", ORTHANC_AET, "127.0.0.1", orthanc.dicom_port),),
        )
    )
    code, out, _ = _run(capsys, "pacs", "echo", "--node", "main")
    assert code == 0
    assert out.startswith(f"{ORTHANC_AET} at 127.0.0.1:{orthanc.dicom_port} answered in ")


def test_dicomweb_find_with_the_password_on_stdin(
    orthanc: Orthanc,
    ct_study: StoredStudy,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    code, out, err = _run(
        capsys,
        "pacs",
        "find",
        "--url",
        orthanc.dicomweb_url,
        "--user",
        USER,
        "--password-stdin",
        "--patient-id",
        ct_study.context.patient_id,
        "--json",
    )
    assert (code, err) == (0, "")
    assert [s["study_uid"] for s in json.loads(out)["studies"]] == [ct_study.study_uid]
    monkeypatch.setattr("sys.stdin", io.StringIO("wrong\n"))
    code, out, err = _run(
        capsys, "pacs", "echo", "--url", orthanc.dicomweb_url, "--user", USER, "--password-stdin"
    )
    assert (code, out) == (EXIT_REMOTE_FAILED, "")
    assert "HTTP 401" in err and err.count("\n") == 1


def test_an_unreachable_node_exits_5_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    port = free_port()
    code, out, err = _run(
        capsys,
        "pacs",
        "echo",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--aet",
        "PACS",
        "--timeout",
        "2",
    )
    assert (code, out) == (EXIT_REMOTE_FAILED, "")
    assert err == (
        f"radassist: could not connect to PACS at 127.0.0.1:{port}: the connection was refused "
        "or the host is unreachable. Is the PACS running? Are the host and port right?\n"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["pacs", "echo"], "name one node"),
        (["pacs", "echo", "--node", "x", "--url", "http://x"], "name one node"),
        (["pacs", "echo", "--host", "h"], "needs --host, --port and --aet"),
        (["pacs", "echo", "--node", "nowhere"], "no DICOM node is named 'nowhere'"),
        (
            [
                *("pacs", "retrieve", "--host", "h", "--port", "1", "--aet", "A"),
                *("--study", "1.2", "--out", "x", "--archive", "y"),
            ],
            "--out and --archive: choose one",
        ),
        (
            [
                "pacs",
                "retrieve",
                "--host",
                "h",
                "--port",
                "1",
                "--aet",
                "A",
                "--study",
                "1.2",
                "--method",
                "move",
                "--out",
                "x",
            ],
            "C-MOVE needs a port",
        ),
    ],
)
def test_usage_errors_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, *argv)
    assert (code, out) == (2, "")
    assert err.startswith("radassist: usage error: ") and message in err


def test_a_damaged_nodes_file_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    nodes_file().write_text("{not json")
    code, _, err = _run(capsys, "pacs", "echo", "--node", "main")
    assert code == 3
    assert f"the DICOM nodes file {nodes_file()} is damaged" in err
