"""Settings → Models: what a person sees of the packages, and every refusal on import."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from core.analysis.manifest import DEMO_BANNER, compute_sha256
from core.analysis.registry import ModelRegistry
from desktop.dialogs.models_dialog import ModelsDialog
from tests.core.package_helpers import make_package, write_weights


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    bundled, user = tmp_path / "bundled", tmp_path / "user"
    make_package(bundled / "demo-cxr", name="demo-cxr", version="1.0.0")
    make_package(
        bundled / "site-cxr",
        name="site-cxr",
        version="2.1",
        demo=False,
        intended_use="Second reader for adult PA chest radiographs.",
        hidden_labels=["Mass"],
    )
    (bundled / "broken").mkdir()
    (bundled / "broken" / "manifest.json").write_text("{not json", encoding="utf-8")
    user.mkdir()
    return bundled, user


@pytest.fixture
def dialog(qtbot: QtBot, dirs: tuple[Path, Path]) -> Iterator[ModelsDialog]:
    registry = ModelRegistry(bundled_dir=dirs[0], user_dir=dirs[1])
    widget = ModelsDialog(registry)
    qtbot.addWidget(widget)
    with qtbot.waitSignal(widget.packages_listed, timeout=10000):
        widget.show()
    yield widget
    widget.close()


def _rows(dialog: ModelsDialog) -> list[str]:
    return [dialog.list.item(i).text() for i in range(dialog.list.count())]


def _wait_checked(qtbot: QtBot, dialog: ModelsDialog) -> None:
    qtbot.waitUntil(lambda: not dialog.check_label.text().startswith("Checking"), timeout=10000)


def test_lists_packages_and_refused_folders(qtbot: QtBot, dialog: ModelsDialog) -> None:
    rows = _rows(dialog)
    assert rows[0] == "demo-cxr 1.0.0  (bundled)  — demo"
    assert rows[1] == "site-cxr 2.1  (bundled)"
    assert rows[2] == "broken  — refused"
    dialog.list.setCurrentRow(2)
    text = dialog.details_text()
    assert "broken — refused" in text and "not JSON" in text


def test_details_show_use_labels_thresholds_and_where_it_applies(
    qtbot: QtBot, dialog: ModelsDialog
) -> None:
    assert dialog.select_package("site-cxr")
    text = dialog.details_text()
    assert "site-cxr 2.1" in text
    assert "Second reader for adult PA chest radiographs." in text
    assert "Nodule\n0.400" in text and "Effusion\n0.300" in text
    assert "Mass\n0.500" not in text  # hidden head
    assert "Not trained for (never shown): Mass" in text
    assert "Modality\nCR, DX" in text
    assert "Body part\nCHEST" in text
    assert "View position\nPA, AP" in text
    assert "Age\n18 years and over" in text
    assert "indeterminate within 0.050 below the threshold" in text
    assert dialog.banner.isHidden()
    _wait_checked(qtbot, dialog)
    assert dialog.check_label.text().startswith("✔ All 2 file(s) match their SHA-256")


def test_a_demo_model_shows_the_banner(qtbot: QtBot, dialog: ModelsDialog) -> None:
    assert dialog.select_package("demo-cxr")
    assert dialog.banner.isVisible() and dialog.banner.text() == DEMO_BANNER


def test_a_tampered_package_fails_its_hash_check(
    qtbot: QtBot, dialog: ModelsDialog, dirs: tuple[Path, Path]
) -> None:
    (dirs[0] / "site-cxr" / "MODEL_CARD.md").write_text("# changed\n", encoding="utf-8")
    with qtbot.waitSignal(dialog.package_checked, timeout=10000) as blocker:
        dialog.select_package("site-cxr")
    assert isinstance(blocker.args[0], Exception)
    assert dialog.check_label.text().startswith("✘ Wrong hash: SHA-256 of MODEL_CARD.md")


def test_import_copies_a_good_package_and_selects_it(
    qtbot: QtBot, dialog: ModelsDialog, tmp_path: Path, dirs: tuple[Path, Path]
) -> None:
    source = make_package(tmp_path / "incoming", name="new-cxr", version="0.3", demo=False)
    with qtbot.waitSignal(dialog.package_imported, timeout=10000):
        dialog.import_folder(source)
    qtbot.waitUntil(lambda: any("new-cxr 0.3" in row for row in _rows(dialog)), timeout=10000)
    assert "new-cxr 0.3  (your models)" in _rows(dialog)
    assert dialog.current_package is not None
    assert dialog.current_package.manifest.name == "new-cxr"
    assert dialog.message_text.startswith("Imported new-cxr 0.3")
    assert (dirs[1] / "new-cxr-0.3" / "manifest.json").is_file()
    assert dialog.remove_button.isEnabled()
    assert dialog.remove_selected(confirm=False)
    qtbot.waitUntil(lambda: not any("new-cxr" in row for row in _rows(dialog)), timeout=10000)
    assert not (dirs[1] / "new-cxr-0.3").exists()


def _tampered(folder: Path) -> Path:
    make_package(folder, name="tampered")
    write_weights(folder / "model.safetensors", labels=3, channels=3)  # other bytes
    return folder


def _pickled(folder: Path) -> Path:
    make_package(folder, name="pickled")
    (folder / "model.pt").write_bytes(b"\x80\x04K\x01.")
    return folder


def _label_count(folder: Path) -> Path:
    # Three labels in the manifest, four outputs in the weights (hashes made to match).
    make_package(folder, name="wrong-count")
    write_weights(folder / "model.safetensors", labels=4)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"]["model.safetensors"] = compute_sha256(folder / "model.safetensors")
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def _broken(folder: Path) -> Path:
    make_package(folder, name="broken-manifest")
    manifest = json.loads((folder / "manifest.json").read_text())
    del manifest["labels"]
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (_tampered, "Not imported. Wrong hash: SHA-256 of model.safetensors"),
        (_pickled, "Not imported. Unsafe (pickle) weights: the package holds pickle-based"),
        (_label_count, "Not imported. Weights do not fit the network: label count mismatch"),
        (_broken, "Not imported. Broken manifest: broken manifest: 'labels'"),
    ],
    ids=["wrong-hash", "pickle", "label-count", "broken-manifest"],
)
def test_every_refusal_says_which_and_why(
    qtbot: QtBot,
    dialog: ModelsDialog,
    tmp_path: Path,
    dirs: tuple[Path, Path],
    build: object,
    expected: str,
) -> None:
    source = build(tmp_path / "incoming")  # type: ignore[operator]
    with qtbot.waitSignal(dialog.import_refused, timeout=10000) as blocker:
        dialog.import_folder(source)
    assert blocker.args[0] in dialog.message_text
    assert dialog.message_text.startswith(expected), dialog.message_text
    assert list(dirs[1].iterdir()) == []  # nothing half-copied
    assert dialog.import_button.isEnabled()
