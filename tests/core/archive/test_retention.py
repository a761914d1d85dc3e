"""Retention and deleting: least recently opened first, never a study with an unsigned draft."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from core.archive import Archive, StudyNotFoundError, has_unsigned_draft
from core.report.document import Origin, Section, Sentence, new_report
from core.report.store import DraftStore
from tests.core.archive.helpers import tiny_image
from tests.core.report_helpers import make_report_context

ROOT = Path(__file__).resolve().parents[3]


def _store_studies(archive: Archive, count: int) -> list[str]:
    uids = [f"1.9.{i}" for i in range(1, count + 1)]
    for uid in uids:
        for n in range(3):
            archive.accept(tiny_image(uid, uid + ".1", f"{uid}.1.{n}"), source="test")
    return uids


def test_the_least_recently_opened_studies_go_first_and_protected_ones_never(
    archive: Archive,
) -> None:
    uids = _store_studies(archive, 5)
    per_study = archive.study(uids[0]).size_bytes
    for uid in (uids[1], uids[0], uids[3], uids[4]):  # uids[2] never opened: oldest use
        archive.mark_opened(uid)
    protected = {uids[1]}
    result = archive.enforce_limit(2 * per_study, protected=protected.__contains__)
    # Least recent first: 2 (never opened), 1 (protected: kept), 0, 3 -> 4 and 1 remain.
    assert result.removed == (uids[2], uids[0], uids[3])
    assert result.protected == (uids[1],)
    assert sorted(r.study_uid for r in archive.search()) == sorted([uids[1], uids[4]])
    assert result.size_bytes == 2 * per_study == archive.size_bytes()
    for uid in result.removed:
        assert not (archive.files_root / uid).exists()


def test_a_limit_no_unprotected_study_can_meet_keeps_every_protected_study(
    archive: Archive,
) -> None:
    uids = _store_studies(archive, 3)
    result = archive.enforce_limit(0, protected=lambda uid: True)
    assert result.removed == () and result.protected == tuple(uids)
    assert len(archive.search()) == 3


def test_has_unsigned_draft_reads_the_draft_store(tmp_path: Path) -> None:
    store = DraftStore(tmp_path / "reports")
    draft = new_report(make_report_context("1.9.1"))
    store.save(draft)
    sentence = Sentence("No acute finding.", Origin.PERSON)
    signed = (
        new_report(make_report_context("1.9.2"))
        .with_sentences(Section.IMPRESSION, [sentence])
        .mark_reviewed()
        .sign("Dr Test")
    )
    store.save(signed)
    assert has_unsigned_draft("1.9.1", store) is True
    assert has_unsigned_draft("1.9.2", store) is False
    assert has_unsigned_draft("1.9.3", store) is False


def test_delete_removes_files_and_rows_together(archive: Archive) -> None:
    uids = _store_studies(archive, 2)
    archive.delete_study(uids[0])
    assert [r.study_uid for r in archive.search()] == [uids[1]]
    assert not (archive.files_root / uids[0]).exists()
    assert (archive.files_root / uids[1]).is_dir()
    with pytest.raises(StudyNotFoundError, match="no study with UID"):
        archive.delete_study(uids[0])
    with pytest.raises(StudyNotFoundError):
        archive.study_index(uids[0])


def test_a_kill_between_rows_and_files_leaves_files_the_next_opening_removes(
    tmp_path: Path, private_data_dir: Path
) -> None:
    root = tmp_path / "archive"
    with Archive(root) as archive:
        uids = _store_studies(archive, 2)
    script = textwrap.dedent(
        f"""
        import os
        import core.archive.archive as module
        from core.archive import Archive
        archive = Archive({str(root)!r})
        module.shutil.rmtree = lambda *args, **kwargs: os._exit(9)  # killed right here
        archive.delete_study({uids[0]!r})
        """
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", script], env=env, timeout=60, check=False)
    assert done.returncode == 9
    assert (root / "files" / uids[0]).is_dir()  # rows gone, files still there
    with Archive(root) as archive:
        assert not (root / "files" / uids[0]).exists()
        assert [r.study_uid for r in archive.search()] == [uids[1]]
        assert archive.check().indexed == 0  # nothing to adopt: the files were removed


def test_opening_a_study_is_recorded_and_a_patients_studies_are_found(archive: Archive) -> None:
    archive.accept(tiny_image("1.5.1", "1.5.1.1", "1.5.1.1.1", study_date="20200101"), source="t")
    archive.accept(tiny_image("1.5.2", "1.5.2.1", "1.5.2.1.1", study_date="20230101"), source="t")
    archive.accept(tiny_image("1.5.3", "1.5.3.1", "1.5.3.1.1", patient_id="OTHER"), source="t")
    assert [r.study_uid for r in archive.patient_studies("SYN0001")] == ["1.5.2", "1.5.1"]
    archive.mark_opened("1.5.1")
    assert archive.study("1.5.1").last_opened is not None
    with pytest.raises(StudyNotFoundError):
        archive.mark_opened("9.9.9")
    assert archive.check().index_problems == ()
