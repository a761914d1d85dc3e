"""Encryption at rest: drafts, measurements and the analysis cache are unreadable on disk.

Two key places are tried: no keyring at all (what CI and a headless Linux have: the
key goes into an owner-only key file) and a keyring backend (a real
``keyring.backend.KeyringBackend`` kept in memory, installed with
``keyring.set_keyring`` the way a site's configured backend is).
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backend
import keyring.backends.fail
import pytest

from core import at_rest
from core.at_rest import AtRestError, SealedDataError, seal, unseal
from core.dicom.annotations import Annotation, AnnotationStore, AnnotationStoreError
from core.report.document import Report, Section, new_report
from core.report.store import DraftCorruptError, DraftStore, DraftStoreError
from tests.core.report_helpers import make_report_context

pytestmark = pytest.mark.usefixtures("private_data_dir")

CANARY = "Canary-Findings-7Q3Z right lower lobe opacity"
STUDY = "1.2.826.0.1.3680043.8.498.77"


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring that keeps passwords in this process (a stand-in for the OS's)."""

    priority = 5  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.items.pop((service, username), None)


@pytest.fixture(autouse=True)
def _fresh_keys() -> Iterator[None]:
    at_rest.forget_keys()
    yield
    at_rest.forget_keys()


@pytest.fixture
def no_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def _data() -> Path:
    return Path(os.environ["RADASSIST_DATA_DIR"])


def _report() -> Report:
    return new_report(make_report_context(STUDY)).with_section_text(Section.FINDINGS, CANARY)


def test_without_a_keyring_the_key_is_an_owner_only_file(no_keyring: None) -> None:
    sealed = seal(CANARY.encode(), purpose="drafts")
    assert CANARY.encode() not in sealed and sealed.startswith(b"RAE1.")
    assert b"\n" not in sealed  # a journal line stays one line
    assert unseal(sealed, purpose="drafts") == CANARY.encode()
    key_file = _data() / "keys" / "at-rest.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    policy = json.loads((_data() / "at-rest.json").read_text())
    assert policy["key_store"] == "file" and len(policy["key_id"]) == 16
    described = at_rest.describe_protection()
    assert described.enabled and described.key_store == "file"
    assert "full-disk encryption" in described.summary
    # A second seal of the same text differs (fresh nonce) and the key is reused.
    assert seal(CANARY.encode(), purpose="drafts") != sealed
    assert len(list(key_file.parent.iterdir())) == 1


def test_altered_moved_or_foreign_records_do_not_open(no_keyring: None) -> None:
    sealed = seal(b"measurement 12.3 mm", purpose="annotations")
    flipped = bytearray(sealed)
    flipped[-5] = ord("A") if flipped[-5] != ord("A") else ord("B")
    with pytest.raises(SealedDataError, match="integrity"):
        unseal(bytes(flipped), purpose="annotations")
    with pytest.raises(SealedDataError, match="integrity"):
        unseal(sealed, purpose="drafts")  # moved into another store
    with pytest.raises(SealedDataError, match="cut"):
        unseal(sealed[:20], purpose="annotations")
    foreign = b"RAE1.0123456789abcdef." + sealed.split(b".", 2)[2]
    with pytest.raises(SealedDataError, match="another key"):
        unseal(foreign, purpose="annotations")
    with pytest.raises(ValueError, match="purpose"):
        seal(b"x", purpose="somewhere")
    # Plain records (encryption off, or written before it existed) pass through.
    assert unseal(b'{"plain": true}', purpose="drafts") == b'{"plain": true}'


def test_the_key_goes_into_the_keyring_when_there_is_one(memory_keyring: MemoryKeyring) -> None:
    sealed = seal(CANARY.encode(), purpose="drafts")
    assert not (_data() / "keys").exists()
    ((service, account), text), *_ = memory_keyring.items.items()
    assert service == "RadAssist" and account.startswith("data-key-") and len(text) == 44
    assert json.loads((_data() / "at-rest.json").read_text())["key_store"] == "keyring"
    described = at_rest.describe_protection()
    assert described.key_store == "keyring" and "MemoryKeyring" in described.key_place
    at_rest.forget_keys()  # a new process: the key is read back from the keyring
    assert unseal(sealed, purpose="drafts") == CANARY.encode()


def test_a_keyring_that_lost_the_key_is_an_error_that_moves_nothing(
    memory_keyring: MemoryKeyring,
) -> None:
    store = DraftStore()
    store.save(_report())
    files = sorted(p.name for p in store.root.iterdir())
    for path in store.root.iterdir():
        assert CANARY.encode() not in path.read_bytes(), path.name
    memory_keyring.items.clear()
    at_rest.forget_keys()
    with pytest.raises(DraftStoreError, match="missing from the system keyring") as caught:
        DraftStore().load(STUDY)
    assert not isinstance(caught.value, DraftCorruptError)
    assert sorted(p.name for p in store.root.iterdir()) == files  # nothing set aside
    with pytest.raises(DraftStoreError, match="missing from the system keyring"):
        DraftStore().save(_report().with_section_text(Section.IMPRESSION, "More."))
    assert DraftStore().list_drafts() == []  # left out, not an exception


def test_a_keyring_that_cannot_be_reached_is_named(
    memory_keyring: MemoryKeyring,
) -> None:
    sealed = seal(b"x", purpose="drafts")
    at_rest.forget_keys()
    keyring.set_keyring(keyring.backends.fail.Keyring())  # the session's keyring went away
    with pytest.raises(AtRestError, match="cannot be reached"):
        unseal(sealed, purpose="drafts")
    assert "not reachable now" in at_rest.describe_protection().key_place


def test_drafts_are_sealed_and_old_plain_drafts_still_open(no_keyring: None) -> None:
    at_rest.set_encryption(False)
    store = DraftStore()
    store.save(_report())
    snapshot = next(store.root.glob("*.json"))
    assert CANARY.encode() in snapshot.read_bytes()  # off: plain text, owner-only
    assert stat.S_IMODE(snapshot.stat().st_mode) == 0o600
    at_rest.set_encryption(True)
    reopened = DraftStore()
    assert reopened.load(STUDY).section_text(Section.FINDINGS) == CANARY  # plain still reads
    reopened.save(reopened.load(STUDY).with_section_text(Section.IMPRESSION, "Follow-up."))
    assert CANARY.encode() not in snapshot.read_bytes()
    journal = next(store.root.glob("*.journal")).read_bytes().splitlines()
    assert CANARY.encode() in journal[0] and journal[1].startswith(b"RAE1.")
    # A new process (keys forgotten) reads the sealed revision back.
    at_rest.forget_keys()
    loaded = DraftStore().load(STUDY)
    assert loaded.section_text(Section.IMPRESSION) == "Follow-up."
    assert loaded.section_text(Section.FINDINGS) == CANARY


def test_an_altered_sealed_draft_falls_back_to_the_journal(no_keyring: None) -> None:
    store = DraftStore()
    store.save(_report())
    snapshot = next(store.root.glob("*.json"))
    data = bytearray(snapshot.read_bytes())
    data[40] ^= 1
    snapshot.write_bytes(bytes(data))
    assert DraftStore().load(STUDY).section_text(Section.FINDINGS) == CANARY
    assert list(store.root.glob("*.json.corrupt-*"))  # the altered file kept aside


def test_measurements_are_sealed_and_a_missing_key_keeps_the_file(
    memory_keyring: MemoryKeyring,
) -> None:
    store = AnnotationStore()
    mark = Annotation(
        kind="distance",
        sop_instance_uid="1.2.3.4",
        frame=0,
        points=((1.0, 2.0), (30.0, 40.0)),
        text=CANARY,
    )
    path = store.save(STUDY, [mark])
    assert CANARY.encode() not in path.read_bytes()
    assert [a.text for a in AnnotationStore().load(STUDY)] == [CANARY]
    before = path.read_bytes()
    memory_keyring.items.clear()
    at_rest.forget_keys()
    with pytest.raises(AnnotationStoreError, match="cannot be read"):
        AnnotationStore().load(STUDY)
    assert path.read_bytes() == before and not list(path.parent.glob("*.corrupt-*"))


def test_a_damaged_policy_file_keeps_encryption_on(no_keyring: None) -> None:
    _data().mkdir(parents=True, exist_ok=True)
    (_data() / "at-rest.json").write_text("{not json")
    assert at_rest.encryption_enabled()
    assert seal(b"x", purpose="test").startswith(b"RAE1.")


def test_a_torn_sealed_journal_line_is_ignored_and_cut_off(no_keyring: None) -> None:
    store = DraftStore()
    first = _report()
    store.save(first)
    second = first.with_section_text(Section.IMPRESSION, "Second revision.")
    store.save(second)
    journal = next(store.root.glob("*.journal"))
    lines = journal.read_bytes().splitlines()
    assert len(lines) == 2 and all(line.startswith(b"RAE1.") for line in lines)
    # Killed while appending a third revision: half a sealed line, no newline.
    third = seal(b'{"half": "of a record"}' * 20, purpose="drafts")
    journal.write_bytes(journal.read_bytes() + third[: len(third) // 2])
    next(store.root.glob("*.json")).unlink()  # and the snapshot lost
    reopened = DraftStore()
    assert reopened.load(STUDY).section_text(Section.IMPRESSION) == "Second revision."
    reopened.save(second.with_section_text(Section.IMPRESSION, "Third."))
    lines = journal.read_bytes().splitlines()
    assert len(lines) == 4  # two revisions, the torn line (now terminated), the third
    assert b"Third." in unseal(lines[-1], purpose="drafts")
    next(store.root.glob("*.json")).unlink()
    assert DraftStore().load(STUDY).section_text(Section.IMPRESSION) == "Third."


def test_changing_the_setting_rewrites_saved_drafts_and_measurements(no_keyring: None) -> None:
    from core.data_protection import change_encryption

    at_rest.set_encryption(False)
    drafts, marks = DraftStore(), AnnotationStore()
    drafts.save(_report())
    mark = Annotation("distance", "1.2.3.4", 0, ((1.0, 2.0), (3.0, 4.0)), text=CANARY)
    marks.save(STUDY, [mark])
    cache = _data() / "cache" / "analysis"
    cache.mkdir(parents=True)
    (cache / "old.npz").write_bytes(b"PK plain cache entry")
    files = [*drafts.root.iterdir(), *marks.root.iterdir()]
    assert all(CANARY.encode() in p.read_bytes() for p in files)

    said = change_encryption(True)
    assert "2 draft file(s) and 1 measurement file(s) encrypted" in said
    assert all(CANARY.encode() not in p.read_bytes() for p in files)
    assert not list(cache.iterdir())
    assert DraftStore().load(STUDY).section_text(Section.FINDINGS) == CANARY
    assert [a.text for a in AnnotationStore().load(STUDY)] == [CANARY]

    # A study open in a window (its lock's process alive: this one) is left for its save.
    drafts.begin_editing(STUDY)
    assert "1 study(ies) open" in change_encryption(False)
    drafts.end_editing(STUDY)
    assert "2 draft file(s)" in change_encryption(False)
    assert all(CANARY.encode() in p.read_bytes() for p in files)
