"""``radassist anonymize`` through core.cli.main: what the user sees, and the exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pydicom
import pytest

from core.cli import main
from tests.core.deid.study_helpers import exported_datasets, write_study

pytestmark = pytest.mark.usefixtures("private_data_dir")


def test_json_lists_what_was_exported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths = write_study(tmp_path / "study", slices=3)
    code = main(["anonymize", str(tmp_path / "study"), "--out", str(tmp_path / "out"), "--json"])
    captured = capsys.readouterr()
    assert code == 0 and captured.err == ""
    report = json.loads(captured.out)
    assert report["deidentified"] is True and report["profile"] == "basic"
    assert report["exported"] == 3 and report["flagged"] == [] and report["dicomdir"] is None
    assert all((tmp_path / "out" / f["path"]).is_file() for f in report["files"])
    original = pydicom.dcmread(paths[0])
    assert str(original.PatientName) not in captured.out and original.PatientID not in captured.out


def test_media_with_retained_options_and_a_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_study(tmp_path / "study", slices=2)
    code = main(
        [
            "anonymize",
            str(tmp_path / "study"),
            "--out",
            str(tmp_path / "cd"),
            "--dicomdir",
            "--retain",
            "full-dates",
            "--retain",
            "device-identity",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "exported 2 objects (de-identified) in 1 study with a DICOMDIR" in out
    assert "retained options: device-identity, full-dates" in out
    assert (tmp_path / "cd" / "DICOMDIR").is_file()


def test_flagged_images_are_printed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths = write_study(tmp_path / "study", slices=2)
    ds = pydicom.dcmread(paths[0])
    ds.BurnedInAnnotation = "YES"
    ds.save_as(paths[0], enforce_file_format=True)
    code = main(["anonymize", str(tmp_path / "study"), "--out", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert code == 0
    assert f"flagged (not exported): {paths[0]}: Burned In Annotation is YES" in out
    assert len(exported_datasets(tmp_path / "out")) == 1


def test_plain_copy_to_media(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths = write_study(tmp_path / "study", slices=2)
    code = main(
        [
            "anonymize",
            str(tmp_path / "study"),
            "--out",
            str(tmp_path / "cd"),
            "--dicomdir",
            "--no-deidentify",
        ]
    )
    assert code == 0 and "(copied)" in capsys.readouterr().out
    names = {str(ds.PatientName) for ds in exported_datasets(tmp_path / "cd")}
    assert names == {str(pydicom.dcmread(paths[0]).PatientName)}


def test_an_unknown_retain_option_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_study(tmp_path / "study", slices=1)
    with pytest.raises(SystemExit) as caught:
        main(
            [
                "anonymize",
                str(tmp_path / "study"),
                "--out",
                str(tmp_path / "out"),
                "--retain",
                "all",
            ]
        )
    assert caught.value.code == 2
    assert "invalid choice: 'all'" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_retaining_without_de_identifying_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_study(tmp_path / "study", slices=1)
    argv = ["anonymize", str(tmp_path / "study"), "--out", str(tmp_path / "out")]
    code = main([*argv, "--no-deidentify", "--retain", "full-dates"])
    assert code == 2
    assert "exports the objects unchanged" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_missing_path_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["anonymize", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out")])
    assert code == 3
    assert "no such file or folder" in capsys.readouterr().err


def test_only_flagged_images_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths = write_study(tmp_path / "study", slices=1)
    ds = pydicom.dcmread(paths[0])
    ds.Modality = "US"
    ds.save_as(paths[0], enforce_file_format=True)
    code = main(["anonymize", str(tmp_path / "study"), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 3 and "--include-burned-in" in err
    assert str(ds.PatientName) not in err


def test_an_unwritable_folder_exits_4(
    tmp_path: Path, read_only_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_study(tmp_path / "study", slices=1)
    code = main(["anonymize", str(tmp_path / "study"), "--out", str(read_only_dir / "out")])
    assert code == 4
    assert "could not write" in capsys.readouterr().err


def test_the_command_module_is_light_to_import() -> None:
    probe = (
        "import sys, core.deid.commands, core.deid; "
        "heavy = ('pydicom', 'dicognito', 'numpy', 'core.deid.export'); "
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        env=dict(os.environ),
    )
    assert done.stdout.strip() == "[]"


def test_the_parser_offers_every_retain_option() -> None:
    from core.deid import RetainOption
    from core.deid.commands import RETAIN_CHOICES

    assert tuple(option.value for option in RetainOption) == RETAIN_CHOICES
