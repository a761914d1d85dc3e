"""The index survives a kill at any moment; a corrupt or missing index is rebuilt from the files."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from core.archive import Archive
from core.archive.database import INDEX_NAME
from core.errors import CancelledError
from core.jobs import CancelToken, Progress, run_job
from core.synthetic import write_ct_series
from tests.core.archive.helpers import tiny_image

ROOT = Path(__file__).resolve().parents[3]
SLICES = 48


@pytest.fixture(scope="module")
def long_series(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import numpy as np

    folder = tmp_path_factory.mktemp("long-series")
    write_ct_series(folder, np.random.default_rng(7), slices=SLICES, size=32)
    return folder


def _every_row_has_its_file(archive: Archive) -> int:
    count = 0
    for row in archive.search(limit=100_000):
        built = archive.study_index(row.study_uid)
        assert built.unreadable == ()
        for series in built.all_series():
            for instance in series.instances:
                assert os.path.isfile(instance.ref.path)
                count += 1
    return count


def test_a_kill_in_the_middle_of_an_import_leaves_a_consistent_index(
    tmp_path: Path, long_series: Path, private_data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = tmp_path / "archive"
    script = textwrap.dedent(
        f"""
        import sys, time
        from core.archive import Archive
        from core.jobs import run_job
        def slow(event):
            print(event.done, flush=True)
            time.sleep(1.0)  # keep the import going until the parent kills it
        run_job(Archive({str(root)!r}).import_folder({str(long_series)!r}), slow)
        print("finished", flush=True)
        """
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    deadline = time.monotonic() + 60
    for line in child.stdout:
        if (line.strip() != "finished" and int(line) >= 32) or time.monotonic() > deadline:
            break
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    on_disk = len(list((root / "files").rglob("*.dcm")))
    assert 0 < on_disk < SLICES  # killed mid-import
    with caplog.at_level(logging.WARNING), Archive(root) as archive:
        indexed = _every_row_has_its_file(archive)
        assert indexed <= on_disk
        assert "cannot be read" not in caplog.text  # the index itself was intact
        repaired = archive.check()
        assert repaired.indexed == on_disk - indexed  # files stored before the kill, adopted
        assert _every_row_has_its_file(archive) == on_disk
        again = run_job(archive.import_folder(long_series))
        assert (again.added, again.already) == (SLICES - on_disk, on_disk)
        assert _every_row_has_its_file(archive) == SLICES


def test_a_garbage_index_is_kept_aside_and_rebuilt_when_the_archive_opens(
    tmp_path: Path,
    studies_folder: Path,
    private_data_dir: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    root = tmp_path / "archive"
    with Archive(root) as archive:
        run_job(archive.import_folder(studies_folder))
        archive.mark_opened(archive.search()[0].study_uid)
        before = [(r.study_uid, r.instance_count, r.modalities) for r in archive.search()]
        names = [r.patient_name for r in archive.search()]
    (root / INDEX_NAME).write_bytes(b"this is not a database at all\x00" * 200)
    for suffix in ("-wal", "-shm"):
        (root / (INDEX_NAME + suffix)).unlink(missing_ok=True)
    with caplog.at_level(logging.WARNING), Archive(root) as archive:
        after = [(r.study_uid, r.instance_count, r.modalities) for r in archive.search()]
        assert after == before
        assert all(r.source == "rebuilt from files" for r in archive.search())
    assert "cannot be read" in caplog.text and "rebuilt from the files" in caplog.text
    assert not any(name in caplog.text for name in names)  # no patient data in the log
    assert len(list(root.glob(INDEX_NAME + ".corrupt-*"))) == 1


def test_a_missing_index_is_rebuilt_and_references_survive_a_requested_rebuild(
    tmp_path: Path, studies_folder: Path, private_data_dir: Path
) -> None:
    root = tmp_path / "archive"
    with Archive(root) as archive:
        run_job(archive.import_folder(studies_folder / "ct"))
        run_job(archive.import_folder(studies_folder / "cxr", copy=False))
        opened = archive.search()[0].study_uid
        archive.mark_opened(opened)
        events: list[Progress] = []
        result = run_job(archive.rebuild(), events.append)
        assert result.indexed == 7 and result.unusable == ()
        assert events[-1].done == events[-1].total == 7
        assert archive.study(opened).last_opened is not None
        assert len(archive.search()) == 2
    (root / INDEX_NAME).unlink()
    for suffix in ("-wal", "-shm"):
        (root / (INDEX_NAME + suffix)).unlink(missing_ok=True)
    with Archive(root) as archive:
        rows = archive.search()
        assert [r.instance_count for r in rows] == [6]  # the copies; references are gone


def test_a_cancelled_rebuild_leaves_the_index_as_it_was(
    archive: Archive, studies_folder: Path
) -> None:
    run_job(archive.import_folder(studies_folder))
    token = CancelToken()
    token.cancel()
    with pytest.raises(CancelledError):
        run_job(archive.rebuild(token))
    assert len(archive.search()) == 2
    assert all(r.source == "import" for r in archive.search())


def test_check_adopts_a_stored_file_without_rows_and_removes_dead_temporaries(
    archive: Archive, tmp_path: Path
) -> None:
    with Archive(tmp_path / "other") as other:  # a file as a kill leaves it: stored, no rows
        other.accept(tiny_image("1.2.3", "1.2.3.4", "1.2.3.4.5"), source="x")
        relative = Path("1.2.3") / "1.2.3.4" / "1.2.3.4.5.dcm"
        stored = (other.files_root / relative).read_bytes()
    (archive.files_root / relative).parent.mkdir(parents=True)
    (archive.files_root / relative).write_bytes(stored)
    dead = archive.files_root / "1.2.3" / "1.2.3.4" / ".1.2.3.4.6.dcm.999999999.abcdef12.tmp"
    dead.write_bytes(b"half")
    assert archive.search() == []
    result = archive.check()
    assert (result.indexed, result.removed_files, result.dropped_rows) == (1, 1, 0)
    assert not dead.exists()
    assert archive.study("1.2.3").instance_count == 1
    assert archive.study("1.2.3").source == "rebuilt from files"
    assert archive.check().indexed == 0


def _spoil_index(root: Path) -> None:
    (root / INDEX_NAME).write_bytes(b"this is not a database at all\x00" * 200)
    for suffix in ("-wal", "-shm"):
        (root / (INDEX_NAME + suffix)).unlink(missing_ok=True)


def test_an_archive_opened_without_rebuilding_says_why_and_a_cancelled_rebuild_stays_owed(
    tmp_path: Path, studies_folder: Path, private_data_dir: Path
) -> None:
    root = tmp_path / "archive"
    with Archive(root) as archive:
        run_job(archive.import_folder(studies_folder))
        before = sorted(r.study_uid for r in archive.search())
        assert not archive.needs_rebuild and archive.rebuild_note() == ""
    _spoil_index(root)
    with Archive(root, rebuild=False) as archive:  # set aside, not rebuilt: the caller does
        assert archive.needs_rebuild and archive.rebuild_reason == "unreadable"
        assert archive.damaged_index is not None and archive.damaged_index.is_file()
        assert archive.rebuild_note().startswith("The study archive's index could not be read")
        assert archive.damaged_index.name in archive.rebuild_note()
        assert archive.search() == [] and archive.rebuild_marker.is_file()
        token = CancelToken()
        events: list[Progress] = []

        def cancel_after_first(event: Progress) -> None:
            events.append(event)
            if event.total:
                token.cancel()

        with pytest.raises(CancelledError):
            run_job(archive.rebuild(token), cancel_after_first)
        assert events and events[0].total == 7
        assert archive.search() == []  # nothing half-built was committed
    with Archive(root, rebuild=False) as archive:  # the next opening still owes the rebuild
        assert archive.rebuild_reason == "unfinished" and archive.needs_rebuild
        assert "had not finished being rebuilt" in archive.rebuild_note()
    with Archive(root) as archive:  # plain Archive(folder): rebuilt here, as before
        assert not archive.needs_rebuild and not archive.rebuild_marker.exists()
        assert sorted(r.study_uid for r in archive.search()) == before
    with Archive(root, rebuild=False) as archive:  # and whole from then on
        assert not archive.needs_rebuild
    assert len(list(root.glob(INDEX_NAME + ".corrupt-*"))) == 1


def test_a_missing_index_is_owed_until_rebuilt_and_an_empty_archive_owes_nothing(
    tmp_path: Path, private_data_dir: Path
) -> None:
    root = tmp_path / "archive"
    with Archive(root, rebuild=False) as archive:
        assert not archive.needs_rebuild  # a new, empty archive: nothing to rebuild
        archive.accept(tiny_image(), source="test")
    (root / INDEX_NAME).unlink()
    for suffix in ("-wal", "-shm"):
        (root / (INDEX_NAME + suffix)).unlink(missing_ok=True)
    with Archive(root, rebuild=False) as archive:
        assert archive.rebuild_reason == "missing" and archive.search() == []
        assert archive.rebuild_note().startswith("The study archive's index was missing")
        result = run_job(archive.rebuild())
        assert result.indexed == 1 and not archive.needs_rebuild
        assert len(archive.search()) == 1
    assert not (root / "index.rebuild-pending").exists()
