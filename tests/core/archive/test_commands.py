"""``radassist archive list|import|delete|rebuild``: exit codes, JSON, no patient data on stderr."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.cli import main

pytestmark = pytest.mark.usefixtures("private_data_dir")


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_import_list_delete_and_rebuild_with_json(
    tmp_path: Path, studies_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    where = ("--archive", str(tmp_path / "a"))
    code, out, err = _run(capsys, "archive", "import", str(studies_folder), "--json", *where)
    assert code == 0, err
    imported = json.loads(out)
    assert (imported["added"], imported["already_in_archive"], imported["mode"]) == (7, 0, "copy")
    assert len(imported["studies"]) == 2 and imported["failed"] == []

    code, out, _ = _run(capsys, "archive", "import", str(studies_folder), *where)
    assert code == 0 and "imported 0 objects (7 already in the archive)" in out

    code, out, err = _run(capsys, "archive", "list", "--json", *where)
    assert code == 0
    studies = json.loads(out)["studies"]
    assert [s["modalities"] for s in studies] == [["DX"], ["CT"]] or [
        s["modalities"] for s in studies
    ] == [["CT"], ["DX"]]
    assert studies[0]["study_date"] >= studies[1]["study_date"]  # newest first
    names = [s["patient_name"] for s in studies]
    assert all(name.startswith("PHANTOM^") for name in names)
    assert not any(name in err for name in names)

    ct = next(s for s in studies if s["modalities"] == ["CT"])
    code, out, _ = _run(capsys, "archive", "list", "--json", "--search", "ct", *where)
    assert [s["study_uid"] for s in json.loads(out)["studies"]] == [ct["study_uid"]]
    code, out, _ = _run(capsys, "archive", "list", "--search", ct["patient_id"], *where)
    assert code == 0 and ct["study_uid"] in out and ct["patient_name"] in out

    code, out, _ = _run(capsys, "archive", "delete", "--study", ct["study_uid"], "--json", *where)
    assert code == 0 and json.loads(out) == {"deleted": ct["study_uid"]}
    code, out, err = _run(capsys, "archive", "delete", "--study", ct["study_uid"], *where)
    assert code == 3 and "no study with UID" in err and out == ""

    code, out, err = _run(capsys, "archive", "rebuild", "--json", *where)
    assert code == 0, err
    assert json.loads(out)["indexed"] == 1
    code, out, _ = _run(capsys, "archive", "list", *where)
    assert out.count("\n") == 1 and "DX" in out


def test_reference_import_and_errors(
    tmp_path: Path, studies_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    where = ("--archive", str(tmp_path / "a"))
    code, out, _ = _run(
        capsys, "archive", "import", str(studies_folder / "ct"), "--reference", "--json", *where
    )
    assert code == 0 and json.loads(out)["mode"] == "reference"
    assert list((tmp_path / "a" / "files").iterdir()) == []

    code, out, err = _run(capsys, "archive", "import", str(tmp_path / "nowhere"), *where)
    assert code == 3 and "no such file or folder" in err

    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "readme.txt").write_text("hello\n")
    code, out, err = _run(capsys, "archive", "import", str(junk), *where)
    assert code == 3 and "no DICOM object could be imported" in err

    code, out, err = _run(capsys, "archive", "list", "--limit", "0", *where)
    assert code == 2 and "--limit" in err

    with pytest.raises(SystemExit) as stopped:
        main(["archive", "frobnicate", *where])
    assert stopped.value.code == 2
    assert "invalid choice: 'frobnicate'" in capsys.readouterr().err


def test_the_default_archive_is_in_the_user_data_folder(
    private_data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(capsys, "archive", "list", "--json")
    assert code == 0 and json.loads(out) == {"studies": []}
    assert (private_data_dir / "archive" / "index.sqlite").is_file()


def test_rebuild_of_an_unreadable_index_rebuilds_once_and_says_why(
    tmp_path: Path, studies_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "a"
    where = ("--archive", str(root))
    code, _, err = _run(capsys, "archive", "import", str(studies_folder), *where)
    assert code == 0, err
    (root / "index.sqlite").write_bytes(b"garbage, not SQLite" * 100)
    for suffix in ("-wal", "-shm"):
        (root / f"index.sqlite{suffix}").unlink(missing_ok=True)
    code, out, err = _run(capsys, "archive", "rebuild", *where)
    assert code == 0, err
    assert "rebuilt the index: 7 objects" in out
    assert "rebuilding the archive index: 7/7" in err  # one rebuild, with its progress
    assert "index could not be read; it was rebuilt from the files" in err
    assert "PHANTOM" not in err  # no patient data on stderr
    code, out, _ = _run(capsys, "archive", "list", *where)
    assert code == 0 and out.count("\n") == 2
