"""desktop.settings: typed values that survive a round trip through an ini file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QByteArray

from desktop.settings import MAX_RECENT, Settings


def test_defaults_when_nothing_is_stored(tmp_path: Path) -> None:
    settings = Settings(tmp_path / "s.ini")
    assert settings.last_folder == ""
    assert settings.recent_studies == []
    assert settings.layout == (1, 1)
    assert settings.overlays_visible is True
    assert settings.sync_scrolling is True
    assert settings.cine_fps == 10.0
    assert settings.window_geometry.isEmpty()
    assert settings.window_presets == []


def test_values_come_back_typed_from_a_new_instance(tmp_path: Path) -> None:
    path = tmp_path / "s.ini"
    first = Settings(path)
    first.last_folder = tmp_path
    first.layout = (2, 2)
    first.overlays_visible = False
    first.sync_scrolling = False
    first.cine_fps = 24.5
    first.window_geometry = QByteArray(b"\x01\x02geometry")
    first.window_presets = [("Liver", 60.0, 160.0), ("Stroke", 35, 30)]
    first.sync()

    second = Settings(path)
    assert second.last_folder == str(tmp_path)
    assert second.layout == (2, 2)
    assert second.overlays_visible is False
    assert second.sync_scrolling is False
    assert second.cine_fps == 24.5
    assert bytes(second.window_geometry.data()) == b"\x01\x02geometry"
    assert second.window_presets == [("Liver", 60.0, 160.0), ("Stroke", 35.0, 30.0)]
    assert "[files]" in path.read_text()  # an ordinary ini file


def test_recent_studies_newest_first_unique_and_bounded(tmp_path: Path) -> None:
    settings = Settings(tmp_path / "s.ini")
    folders = []
    for i in range(MAX_RECENT + 3):
        folder = tmp_path / f"study{i}"
        folder.mkdir()
        folders.append(str(folder))
        settings.add_recent_study(folder)
    settings.add_recent_study(folders[-4])  # opened again: moves to the front
    recent = Settings(tmp_path / "s.ini").recent_studies
    assert len(recent) == MAX_RECENT
    assert recent[0] == folders[-4]
    assert recent[1] == folders[-1]
    assert len(set(recent)) == MAX_RECENT
    assert folders[0] not in recent
    settings.remove_recent_study(folders[-1])
    assert folders[-1] not in settings.recent_studies


def test_a_single_recent_entry_survives_the_ini_format(tmp_path: Path) -> None:
    Settings(tmp_path / "s.ini").add_recent_study(tmp_path)
    assert Settings(tmp_path / "s.ini").recent_studies == [str(tmp_path.resolve())]


def test_damaged_values_give_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "s.ini"
    path.write_text(
        "[viewer]\nlayout_rows=banana\nlayout_cols=7\noverlays=perhaps\ncine_fps=-3\n"
        "[window]\ngeometry=not bytes\n"
    )
    settings = Settings(path)
    assert settings.layout == (1, 1)
    assert settings.overlays_visible is True
    assert settings.cine_fps == 10.0
    assert settings.window_geometry.isEmpty()


def test_default_location_follows_qsettings_set_path(private_settings_and_data: Path) -> None:
    settings = Settings()
    settings.layout = (1, 2)
    settings.sync()
    assert Path(settings.file_name).is_relative_to(private_settings_and_data / "settings")
    assert Path(settings.file_name).name == "RadAssist.ini"
    assert Settings().layout == (1, 2)


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda s: setattr(s, "layout", (3, 3)), ValueError),
        (lambda s: Settings(42), TypeError),  # type: ignore[arg-type]
    ],
)
def test_invalid_input_is_refused(tmp_path: Path, call: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        call(Settings(tmp_path / "s.ini"))
