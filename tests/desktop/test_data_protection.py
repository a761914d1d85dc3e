"""Settings → Data Protection: the switch, what it says, and what it does to saved drafts."""

from __future__ import annotations

import os
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest
from pytestqt.qtbot import QtBot

from core import at_rest
from core.report.document import ReportContext, Section, StudyContext, new_report
from core.report.store import DraftStore
from desktop.dialogs.data_protection import OFF_WARNING, DataProtectionDialog

CANARY = "Canary-Impression-5KX2"
STUDY = "1.2.826.0.1.3680043.8.498.91"


@pytest.fixture(autouse=True)
def _no_keyring() -> object:
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    at_rest.forget_keys()
    yield
    at_rest.forget_keys()
    keyring.set_keyring(previous)


def _saved_draft() -> Path:
    study = StudyContext(STUDY, modality="DX", body_part="CHEST", view_position="PA")
    report = new_report(ReportContext(study, (), (), True))
    store = DraftStore()
    store.save(report.with_section_text(Section.IMPRESSION, CANARY))
    return next(store.root.glob("*.json"))


def test_the_dialog_states_the_protection_and_turns_it_off_and_on(qtbot: QtBot) -> None:
    snapshot = _saved_draft()
    assert CANARY.encode() not in snapshot.read_bytes()  # on by default
    dialog = DataProtectionDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.encrypt_check.isChecked()
    summary = dialog.summary_label.text()
    assert "encrypted (AES-256-GCM)" in summary and "key file" in summary
    labels = [w.text() for w in dialog.findChildren(type(dialog.summary_label))]
    exports = str(Path(os.environ["RADASSIST_DATA_DIR"]) / "exports")
    assert any(exports in text and "owner-only" in text for text in labels)

    dialog.encrypt_check.setChecked(False)
    assert dialog.summary_label.text() == OFF_WARNING  # said before it is saved
    with qtbot.waitSignal(dialog.protection_changed, timeout=10_000) as changed:
        dialog.apply()
    assert "2 draft file(s)" in changed.args[0] and "decrypted" in changed.args[0]
    assert not at_rest.encryption_enabled()
    assert CANARY.encode() in snapshot.read_bytes()

    again = DataProtectionDialog()
    qtbot.addWidget(again)
    assert not again.encrypt_check.isChecked() and "is off" in again.summary_label.text()
    again.encrypt_check.setChecked(True)
    with qtbot.waitSignal(again.protection_changed, timeout=10_000):
        again.apply()
    assert CANARY.encode() not in snapshot.read_bytes()
    assert DraftStore().load(STUDY).section_text(Section.IMPRESSION) == CANARY


def test_a_failed_change_says_so_and_shows_the_real_state(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    _saved_draft()
    import core.data_protection as data_protection
    from core.report.store import DraftStoreError

    def refuse(self: DraftStore) -> tuple[int, int]:
        raise DraftStoreError("cannot rewrite the saved drafts: No space left on device")

    monkeypatch.setattr(DraftStore, "reseal", refuse)
    dialog = DataProtectionDialog()
    qtbot.addWidget(dialog)
    dialog.encrypt_check.setChecked(False)
    handle = dialog.apply()
    assert handle is not None and handle.wait(10.0)
    qtbot.waitUntil(lambda: "Not changed completely" in dialog.status_label.text())
    assert "No space left" in dialog.status_label.text()
    # The policy was set before the rewrite failed: the dialog shows what is true now.
    assert dialog.encrypt_check.isChecked() == at_rest.encryption_enabled()
    assert data_protection.change_encryption  # the one place the switch lives


def test_the_settings_menu_opens_it_once(qtbot: QtBot) -> None:
    from desktop.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    assert window.data_protection_action in window.menus["Settings"].actions()
    first = window.show_data_protection()
    assert window.show_data_protection() is first and first.isVisible()
