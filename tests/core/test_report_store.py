"""Drafts on disk: atomic snapshots, the journal, final reports kept, locks, kill -9 recovery."""

from __future__ import annotations

import errno
import json
import os
import pickle
import random
import signal
import statistics
import subprocess
import sys
import textwrap
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from core.report import store as store_module
from core.report.document import (
    FindingFact,
    Origin,
    Report,
    ReportContext,
    ReportState,
    ReportStateError,
    Section,
    Sentence,
    new_report,
)
from core.report.store import (
    DraftCorruptError,
    DraftInfo,
    DraftInUseError,
    DraftStore,
    DraftStoreError,
    study_key,
    write_atomically,
)
from tests.core.report_helpers import make_report_context

UID = "1.2.826.0.1.3680043.8.498.10203040506070809"


@pytest.fixture(autouse=True)
def _plain_records(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """These tests read the record layout itself, so records are written in plain text.

    The same records sealed (encryption at rest, the default) are tested in
    ``test_at_rest.py``, torn and altered lines included.
    """
    from core.at_rest import set_encryption

    monkeypatch.setenv("RADASSIST_DATA_DIR", str(tmp_path_factory.mktemp("data")))
    set_encryption(False)


REPO = Path(__file__).resolve().parents[2]
LABELS = (
    "Atelectasis",
    "Consolidation",
    "Pneumothorax",
    "Edema",
    "Effusion",
    "Pneumonia",
    "Cardiomegaly",
    "Nodule",
    "Mass",
    "Fibrosis",
    "Emphysema",
    "Hernia",
    "Infiltration",
    "Pleural_Thickening",
)


def _context(uid: str = UID) -> ReportContext:
    findings = tuple(
        FindingFact(label, "negative", 0.05, 0.4, model="densenet 1.0") for label in LABELS
    )
    return make_report_context(
        uid,
        findings=findings,
        models=("densenet 1.0",),
        study_description="CHEST PA",
        patient_age_years=54,
    )


def _report(uid: str = UID, sentences: int = 30) -> Report:
    """A typical drafted report: ``sentences`` template sentences in two sections."""
    items = [
        Sentence(
            f"Sentence {i} describes a finding in the right upper zone in some detail.",
            Origin.TEMPLATE,
            source="cxr-en",
        )
        for i in range(sentences)
    ]
    half = sentences * 2 // 3
    return (
        new_report(_context(uid))
        .with_sentences(Section.FINDINGS, items[:half])
        .with_sentences(Section.IMPRESSION, items[half:])
    )


def _signed(uid: str = UID) -> Report:
    return (
        _report(uid, sentences=3)
        .mark_reviewed()
        .sign("Dr Test", signed_at="2024-05-01T10:00:00+00:00")
    )


def _saved(root: Path, *reports: Report) -> DraftStore:
    """A store in ``root`` that has saved ``reports``, in order."""
    store = DraftStore(root)
    for report in reports:
        store.save(report)
    return store


def _files(root: Path, uid: str = UID) -> tuple[Path, Path, Path]:
    key = study_key(uid)
    return root / f"{key}.json", root / f"{key}.journal", root / f"{key}.lock"


def _journal_lines(root: Path, uid: str = UID) -> list[bytes]:
    return [line for line in _files(root, uid)[1].read_bytes().split(b"\n") if line]


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# --------------------------------------------------------------------------- saving and loading


def test_save_and_load_round_trip_with_files_named_by_hash(tmp_path: Path) -> None:
    report = _report()
    _saved(tmp_path, report)
    loaded = DraftStore(tmp_path).load(UID)
    assert loaded == report
    assert loaded is not None and loaded.sentences()[0].origin is Origin.TEMPLATE
    names = sorted(p.name for p in tmp_path.iterdir())
    key = study_key(UID)
    assert names == [f"{key}.journal", f"{key}.json"]
    assert all(UID not in name for name in names)
    if os.name == "posix":
        assert {p.stat().st_mode & 0o777 for p in tmp_path.iterdir()} == {0o600}


def test_text_that_has_no_utf8_form_round_trips(tmp_path: Path) -> None:
    report = _report().with_section_text(Section.COMPARISON, "Pasted \ud83d text, 结节 and é.")
    DraftStore(tmp_path).save(report)
    _files(tmp_path)[0].unlink()  # from the journal too
    loaded = DraftStore(tmp_path).load(UID)
    assert loaded == report
    assert loaded is not None and "\ud83d" in loaded.section_text(Section.COMPARISON)


def test_default_root_is_in_the_user_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RADASSIST_DATA_DIR", str(tmp_path / "data"))
    store = DraftStore()
    assert store.root == tmp_path / "data" / "reports"
    assert store.root.is_dir()


def test_load_of_an_unknown_study_is_none(tmp_path: Path) -> None:
    assert DraftStore(tmp_path).load("1.2.3.4") is None
    assert list(tmp_path.iterdir()) == []


def test_each_revision_is_journaled_and_an_unchanged_save_writes_nothing(tmp_path: Path) -> None:
    report = _report()
    store = _saved(tmp_path, report)
    store.save(report)  # the same revision again: nothing to write
    edited = report.with_section_text(Section.COMPARISON, "None.")
    store.save(edited)
    lines = _journal_lines(tmp_path)
    assert len(lines) == 2
    records = [json.loads(line) for line in lines]
    assert [r["seq"] for r in records] == [1, 2]
    assert [r["report"]["revision"] for r in records] == [report.revision, edited.revision]
    snapshot = json.loads(_files(tmp_path)[0].read_bytes())
    assert snapshot == records[-1]


def test_a_damaged_snapshot_is_kept_aside_and_the_journal_restores_the_draft(
    tmp_path: Path,
) -> None:
    first = _report()
    second = first.with_section_text(Section.COMPARISON, "Chest radiograph of 2023.")
    _saved(tmp_path, first, second)
    snapshot = _files(tmp_path)[0]
    snapshot.write_bytes(b'{"store_format": 1, "seq": 2, "rep')  # torn by a bad disk

    loaded = DraftStore(tmp_path).load(UID)
    assert loaded == second
    aside = [p for p in tmp_path.iterdir() if ".json.corrupt-" in p.name]
    assert len(aside) == 1 and aside[0].read_bytes().startswith(b'{"store_format": 1')
    assert not snapshot.exists()

    third = second.with_section_text(Section.COMPARISON, "None.")
    DraftStore(tmp_path).save(third)
    assert DraftStore(tmp_path).load(UID) == third
    assert aside[0].exists()  # kept, never deleted


def test_a_checksum_catches_damage_that_still_parses(tmp_path: Path) -> None:
    first = _report()
    second = first.with_section_text(Section.COMPARISON, "None.")
    _saved(tmp_path, first, second)
    journal = _files(tmp_path)[1]
    lines = journal.read_bytes().split(b"\n")
    lines[-2] = lines[-2].replace(b"Sentence 3 ", b"Sentence 8 ")  # valid JSON, wrong text
    journal.write_bytes(b"\n".join(lines))
    _files(tmp_path)[0].unlink()

    # The damaged newest line is skipped: the previous revision is what is left.
    assert DraftStore(tmp_path).load(UID) == first


def test_a_missing_snapshot_is_rebuilt_from_the_journal(tmp_path: Path) -> None:
    report = _report()
    DraftStore(tmp_path).save(report)
    _files(tmp_path)[0].unlink()
    assert DraftStore(tmp_path).load(UID) == report


def test_a_torn_last_journal_line_is_ignored_and_cut_off_by_the_next_save(tmp_path: Path) -> None:
    first = _report()
    _saved(tmp_path, first)
    snapshot, journal, _ = _files(tmp_path)
    snapshot.unlink()
    with journal.open("ab") as handle:
        handle.write(b'{"store_format":1,"seq":2,"saved_at":"x","crc32":1,"report":{"form')

    assert DraftStore(tmp_path).load(UID) == first
    second = first.with_section_text(Section.COMPARISON, "None.")
    DraftStore(tmp_path).save(second)
    lines = _journal_lines(tmp_path)
    assert len(lines) == 3  # first, the torn line (now terminated), second
    assert json.loads(lines[-1])["report"]["revision"] == second.revision
    snapshot.unlink()
    assert DraftStore(tmp_path).load(UID) == second


def test_a_damaged_line_in_the_middle_is_skipped(tmp_path: Path) -> None:
    report = _report()
    store = _saved(tmp_path, report)
    journal = _files(tmp_path)[1]
    with journal.open("ab") as handle:
        handle.write(b"garbage that is not json\n")
    newer = report.with_section_text(Section.COMPARISON, "None.")
    store.save(newer)
    _files(tmp_path)[0].unlink()
    assert DraftStore(tmp_path).load(UID) == newer


def test_killed_between_the_journal_and_the_snapshot_loads_the_journaled_revision(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _report()
    store = _saved(tmp_path, first)
    second = first.with_section_text(Section.COMPARISON, "None.")

    def killed(path: object, data: bytes, *, mode: int = 0o600) -> None:
        raise KeyboardInterrupt  # stands for SIGKILL: nothing after this point runs

    monkeypatch.setattr(store_module, "write_atomically", killed)
    with pytest.raises(KeyboardInterrupt):
        store.save(second)
    monkeypatch.undo()
    assert json.loads(_files(tmp_path)[0].read_bytes())["report"]["revision"] == first.revision
    assert DraftStore(tmp_path).load(UID) == second


def test_a_new_report_after_a_discarded_draft_wins_although_its_revision_is_lower(
    tmp_path: Path,
) -> None:
    store = DraftStore(tmp_path)
    old = _report()
    for i in range(5):
        old = old.with_section_text(Section.COMPARISON, f"Edit {i}.")
    store.save(old)
    fresh = new_report(_context()).with_section_text(Section.FINDINGS, "Started again.")
    assert fresh.revision < old.revision
    store.save(fresh)
    _files(tmp_path)[0].unlink()  # even from the journal alone: order is by save, not revision
    assert DraftStore(tmp_path).load(UID) == fresh


def test_nothing_readable_raises_a_clear_error_and_keeps_the_files_aside(tmp_path: Path) -> None:
    store = DraftStore(tmp_path)
    store.save(_report())
    snapshot, journal, _ = _files(tmp_path)
    snapshot.write_bytes(b"\x00" * 300)
    journal.write_bytes(b"\x00" * 300 + b"\nnot json\n")

    with pytest.raises(DraftCorruptError) as caught:
        DraftStore(tmp_path).load(UID)
    error = caught.value
    assert "cannot be read" in str(error) and "kept aside" in str(error)
    assert UID not in str(error)
    assert len(error.kept_aside) == 2
    assert all(p.exists() and ".corrupt-" in p.name for p in error.kept_aside)
    assert {p.read_bytes()[:1] for p in error.kept_aside} == {b"\x00"}
    assert DraftStore(tmp_path).load(UID) is None  # the app can start a new draft
    restored = pickle.loads(pickle.dumps(error))
    assert restored.kept_aside == error.kept_aside and str(restored) == str(error)


def test_a_file_of_another_study_is_not_loaded(tmp_path: Path) -> None:
    other = "1.2.3.999"
    DraftStore(tmp_path).save(_report(other))
    snapshot, journal, _ = _files(tmp_path, other)
    mine = _files(tmp_path)
    snapshot.rename(mine[0])
    journal.rename(mine[1])
    with pytest.raises(DraftCorruptError, match="another study"):
        DraftStore(tmp_path).load(UID)


def test_journal_is_compacted_to_its_newest_records(tmp_path: Path) -> None:
    store = DraftStore(tmp_path, journal_limit_bytes=60_000, journal_keep=3)
    report = _report()
    for i in range(20):
        report = report.with_section_text(Section.COMPARISON, f"Edit {i}.")
        store.save(report)
    lines = _journal_lines(tmp_path)
    assert 3 <= len(lines) <= 3 + 60_000 // len(lines[-1]) + 1
    assert json.loads(lines[-1])["report"]["revision"] == report.revision
    seqs = [json.loads(line)["seq"] for line in lines]
    assert seqs == sorted(seqs) and seqs[-1] == 20
    _files(tmp_path)[0].unlink()
    assert DraftStore(tmp_path).load(UID) == report


def test_concurrent_saves_from_threads_leave_a_consistent_store(tmp_path: Path) -> None:
    store = DraftStore(tmp_path)
    base = _report()
    versions = [base.with_section_text(Section.COMPARISON, f"Thread {i}.") for i in range(8)]

    def work(report: Report) -> None:
        for _ in range(5):
            store.save(report)

    threads = [threading.Thread(target=work, args=(r,)) for r in versions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = _journal_lines(tmp_path)
    seqs = [json.loads(line)["seq"] for line in lines]
    assert seqs == list(range(1, len(lines) + 1))
    loaded = DraftStore(tmp_path).load(UID)
    assert loaded is not None
    assert (
        loaded.section_text(Section.COMPARISON)
        == json.loads(lines[-1])["report"]["sections"]["comparison"][0]["text"]
    )


def test_bad_arguments(tmp_path: Path) -> None:
    store = DraftStore(tmp_path)
    with pytest.raises(TypeError, match="Report"):
        store.save({"study_instance_uid": UID})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="empty"):
        store.load("  ")
    with pytest.raises(TypeError, match="str"):
        store.load(12)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="root"):
        DraftStore(12)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="positive"):
        DraftStore(tmp_path, journal_keep=0)


# --------------------------------------------------------------------------- final reports


def test_a_final_report_is_never_overwritten(tmp_path: Path) -> None:
    draft = _report(sentences=3)
    store = _saved(tmp_path, draft)
    final = draft.mark_reviewed().sign("Dr Test")
    store.save(final)

    for other in (
        draft,  # the old draft
        new_report(_context()),  # a new report for the study
        draft.mark_reviewed().sign("Dr Else"),  # signed again by someone else
        draft.with_section_text(Section.FINDINGS, "Changed.").mark_reviewed().sign("Dr Test"),
    ):
        with pytest.raises(ReportStateError, match="signed"):
            store.save(other)
        with pytest.raises(ReportStateError, match="signed"):
            DraftStore(tmp_path).save(other)  # a fresh store reads the state from disk
    assert DraftStore(tmp_path).load(UID) == final

    amended = final.add_addendum("Compared with the prior: unchanged.", "Dr Test")
    store.save(amended)
    twice = amended.add_addendum("Discussed with the referrer.", "Dr Test")
    DraftStore(tmp_path).save(twice)
    assert DraftStore(tmp_path).load(UID) == twice
    with pytest.raises(ReportStateError):
        store.save(amended)  # dropping an addendum is a different report
    store.save(twice)  # saving the same again is fine


def test_a_final_report_known_only_from_the_journal_is_protected(tmp_path: Path) -> None:
    final = _signed()
    DraftStore(tmp_path).save(final)
    _files(tmp_path)[0].unlink()
    with pytest.raises(ReportStateError):
        DraftStore(tmp_path).save(new_report(_context()))


# --------------------------------------------------------------------------- full disk, no rights


def test_a_full_disk_gives_a_clear_error_and_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _report()
    store = _saved(tmp_path, first)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    real_write = os.write
    calls = {"n": 0}

    def full(fd: int, data: bytes | memoryview) -> int:
        calls["n"] += 1
        if calls["n"] == 1 and len(data) > 100:
            return real_write(fd, bytes(data)[:100])  # a partial write first, then no space
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store_module.os, "write", full)
    second = first.with_section_text(Section.COMPARISON, "None.")
    with pytest.raises(DraftStoreError, match="no space left"):
        store.save(second)
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    assert DraftStore(tmp_path).load(UID) == first


def test_a_snapshot_that_fails_takes_its_journal_line_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _report()
    store = _saved(tmp_path, first)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def full(path: object, data: bytes, *, mode: int = 0o600) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store_module, "write_atomically", full)
    with pytest.raises(DraftStoreError, match="no space left"):
        store.save(first.with_section_text(Section.COMPARISON, "None."))
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    store.save(first.with_section_text(Section.COMPARISON, "Later."))  # recovers once space is back
    assert len(_journal_lines(tmp_path)) == 2


def test_a_real_full_file_system(tiny_disk: Path) -> None:
    store = DraftStore(tiny_disk)
    report = _report()
    saved: Report | None = None
    with pytest.raises(DraftStoreError, match="no space left") as caught:
        for i in range(200):
            report = report.with_section_text(Section.COMPARISON, f"Edit {i}.")
            store.save(report)
            saved = report
    assert saved is not None
    assert str(tiny_disk) in str(caught.value) and UID not in str(caught.value)
    assert _leftovers(tiny_disk) == []
    assert DraftStore(tiny_disk).load(UID) == saved
    lines = _journal_lines(tiny_disk)
    assert json.loads(lines[-1])["report"]["revision"] == saved.revision


def test_an_unwritable_folder_gives_a_clear_error(read_only_dir: Path) -> None:
    with pytest.raises(DraftStoreError, match=r"not writable|read-only") as caught:
        DraftStore(read_only_dir / "reports")
    assert "reports" in str(caught.value)
    store = DraftStore(read_only_dir)  # exists already: the failure comes with the save
    with pytest.raises(DraftStoreError, match=r"not writable|read-only"):
        store.save(_report())
    with pytest.raises(DraftStoreError, match="edit lock"):
        store.begin_editing(UID)
    assert list(read_only_dir.iterdir()) == []


def test_write_atomically_leaves_nothing_behind_on_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "file.bin"
    write_atomically(target, b"old")

    def broken(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(store_module.os, "fsync", broken)
    with pytest.raises(OSError, match="Input/output"):
        write_atomically(target, b"new")
    monkeypatch.undo()
    assert target.read_bytes() == b"old"
    assert _leftovers(tmp_path) == []
    with pytest.raises(TypeError, match="bytes"):
        write_atomically(target, "text")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- locks and recovery

_HOLDER = textwrap.dedent(
    """
    import sys, time
    from core.report.store import DraftStore
    DraftStore(sys.argv[1]).begin_editing(sys.argv[2])
    print("ready", flush=True)
    time.sleep(60)
    """
)


def _start(script: str, root: Path) -> subprocess.Popen[str]:
    """``script`` in a child interpreter, given the store folder and UID; its stdout piped."""
    process = subprocess.Popen(
        [sys.executable, "-c", script, str(root), UID],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    return process


def _start_holder(root: Path) -> subprocess.Popen[str]:
    process = _start(_HOLDER, root)
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    return process


def _wait_until(condition: object, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.02)
    return False


def test_begin_and_end_editing_in_this_process(tmp_path: Path) -> None:
    store = DraftStore(tmp_path)
    lock = _files(tmp_path)[2]
    store.begin_editing(UID)
    assert json.loads(lock.read_text())["pid"] == os.getpid()
    assert store.interrupted(UID) is False
    store.begin_editing(UID)  # again: still ours
    assert DraftStore(tmp_path).interrupted(UID) is False
    store.end_editing(UID)
    assert not lock.exists()
    assert store.interrupted(UID) is False
    store.end_editing(UID)  # no lock: nothing to do


def test_a_lock_held_by_a_running_process_and_then_a_killed_one(tmp_path: Path) -> None:
    process = _start_holder(tmp_path)
    try:
        store = DraftStore(tmp_path)
        assert store.interrupted(UID) is False
        with pytest.raises(DraftInUseError, match="another RadAssist window"):
            store.begin_editing(UID)
        store.end_editing(UID)  # not ours: left alone
        assert _files(tmp_path)[2].exists()
        os.kill(process.pid, signal.SIGKILL)
        # Killed but not yet reaped (a zombie) already counts as gone.
        assert _wait_until(lambda: store.interrupted(UID))
    finally:
        process.kill()
        process.wait()
    assert store.interrupted(UID) is True
    assert [d.interrupted for d in store.list_drafts()] == []  # no draft was saved

    # The panel may take the lock first and ask afterwards: the answer stays True.
    store.begin_editing(UID)
    assert json.loads(_files(tmp_path)[2].read_text())["pid"] == os.getpid()
    assert store.interrupted(UID) is True
    assert DraftStore(tmp_path).interrupted(UID) is False  # the lock is now a live one
    store.end_editing(UID)
    assert store.interrupted(UID) is False


def test_a_damaged_lock_counts_as_stale(tmp_path: Path) -> None:
    _files(tmp_path)[2].write_text("{not json")
    store = DraftStore(tmp_path)
    assert store.interrupted(UID) is True
    store.begin_editing(UID)
    store.end_editing(UID)
    assert not _files(tmp_path)[2].exists()


_TYPIST = textwrap.dedent(
    """
    import sys
    from core.report.document import ReportContext, Section, StudyContext, new_report
    from core.report.store import DraftStore
    store = DraftStore(sys.argv[1])
    uid = sys.argv[2]
    report = store.load(uid) or new_report(ReportContext(StudyContext(uid)))
    store.begin_editing(uid)
    words = report.section_text(Section.FINDINGS)
    while True:
        words += " Word%d." % report.revision
        report = report.with_section_text(Section.FINDINGS, words)
        store.save(report)
        print(report.revision, flush=True)
    """
)


def test_a_process_killed_while_typing_loses_at_most_the_unsaved_keystroke(tmp_path: Path) -> None:
    rng = random.Random(7)
    last = 0
    for _ in range(3):
        process = _start(_TYPIST, tmp_path)
        assert process.stdout is not None
        target = rng.randint(5, 40)
        printed = [int(process.stdout.readline()) for _ in range(target)]
        os.kill(process.pid, signal.SIGKILL)
        rest, _ = process.communicate()
        printed += [int(line) for line in rest.split()]
        assert printed[0] == last + 1  # it went on from the recovered draft

        store = DraftStore(tmp_path)
        assert store.interrupted(UID) is True
        recovered = store.load(UID)
        assert recovered is not None
        # Saved and printed, or saved just before the kill landed on the print.
        assert recovered.revision in (printed[-1], printed[-1] + 1)
        assert recovered.section_text(Section.FINDINGS).endswith(f"Word{recovered.revision - 1}.")
        last = recovered.revision
    info = DraftStore(tmp_path).list_drafts()
    assert [(i.study_instance_uid, i.revision, i.interrupted) for i in info] == [(UID, last, True)]


# --------------------------------------------------------------------------- listing and cost


def test_list_drafts(tmp_path: Path) -> None:
    # Last edited long before the others: the stamps are the report's data, which the store
    # lists by, so no need to wait out their one-second resolution.
    long_ago = "2024-05-01T09:00:00+00:00"
    older = replace(_report("1.2.3.1"), created_at=long_ago, modified_at=long_ago)
    store = _saved(tmp_path, older)
    final = _signed("1.2.3.2")
    store.save(final)
    broken = _report("1.2.3.3")
    store.save(broken)
    for path in _files(tmp_path, "1.2.3.3")[:2]:
        path.write_bytes(b"\x00\x00")
    (tmp_path / "notes.txt").write_text("not a draft")

    infos = store.list_drafts()
    assert infos == [
        DraftInfo("1.2.3.2", ReportState.FINAL, final.modified_at, final.revision, False),
        DraftInfo("1.2.3.1", ReportState.DRAFT, older.modified_at, older.revision, False),
    ]


def test_saving_a_typical_report_is_cheap(tmp_path: Path) -> None:
    store = DraftStore(tmp_path)
    report = _report(sentences=30)
    times = []
    for i in range(60):
        report = report.with_section_text(Section.RECOMMENDATIONS, f"Recommendation {i}.")
        start = time.perf_counter()
        store.save(report)
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    size = _files(tmp_path)[0].stat().st_size
    print(f"\nDraftStore.save, 30 sentences ({size} bytes): median {median * 1e3:.2f} ms")
    # Saved every second while typing: must stay far below a frame of the GUI's budget.
    assert median < 0.05
