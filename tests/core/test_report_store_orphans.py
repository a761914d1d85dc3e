"""Temporary files a killed save left in the drafts folder: recovered if newer, then removed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.report.document import Origin, Section, Sentence
from core.report.store import DraftStore, study_key
from tests.core.test_report_store import UID, _report


@pytest.fixture(scope="module")
def dead_pid() -> int:
    """The pid of a process that has ended (a killed RadAssist)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _revisions(root: Path) -> tuple[bytes, bytes, int]:
    """Two saved revisions of the study: snapshot bytes of each, and the second's number."""
    store = DraftStore(root)
    first = _report(sentences=3)
    store.save(first)
    one = (root / f"{study_key(UID)}.json").read_bytes()
    second = first.with_sentences(
        Section.FINDINGS, (Sentence("Typed just before the kill.", Origin.PERSON),)
    )
    store.save(second)
    two = (root / f"{study_key(UID)}.json").read_bytes()
    return one, two, second.revision


def _orphan(root: Path, suffix: str, pid: int, data: bytes) -> Path:
    path = root / f".{study_key(UID)}{suffix}.{pid}.0badc0de.tmp"
    path.write_bytes(data)
    return path


def test_orphaned_temporaries_are_removed_on_the_next_open(tmp_path: Path, dead_pid: int) -> None:
    _, two, revision = _revisions(tmp_path)
    left = [
        _orphan(tmp_path, ".json", dead_pid, two),  # killed before the rename
        _orphan(tmp_path, ".journal", dead_pid, two[: len(two) // 2]),  # killed mid-write
    ]
    running = _orphan(tmp_path, ".json", os.getppid(), two)  # a live writer's: not ours to take
    store = DraftStore(tmp_path)
    assert not any(p.exists() for p in left)
    assert running.exists()
    loaded = store.load(UID)
    assert loaded is not None and loaded.revision == revision
    assert "Typed just before the kill." in loaded.section_text(Section.FINDINGS)


def test_a_temporary_newer_than_anything_readable_is_recovered_first(
    tmp_path: Path, dead_pid: int
) -> None:
    one, two, revision = _revisions(tmp_path)
    key = study_key(UID)
    # The journal and snapshot hold only the first revision (the journal lost its
    # last line since); the second lives only in the temporary.
    (tmp_path / f"{key}.json").write_bytes(one)
    (tmp_path / f"{key}.journal").write_bytes(one)
    orphan = _orphan(tmp_path, ".json", dead_pid, two)
    loaded = DraftStore(tmp_path).load(UID)
    assert not orphan.exists()
    assert loaded is not None and loaded.revision == revision
    assert "Typed just before the kill." in loaded.section_text(Section.FINDINGS)
