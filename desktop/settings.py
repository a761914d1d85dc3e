"""Typed access to the user's settings (QSettings, organisation and application "RadAssist").

Values come back with the type they were stored with whatever the platform's format
(an ini file returns every scalar as a string), and a missing or damaged value gives the
default, never an exception: a broken settings file must not stop the app from opening.
Settings hold paths and view choices only; never patient data (house rule 8).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from core.paths import make_private_dir, make_private_file
from desktop.i18n import installed_language

logger = logging.getLogger(__name__)

__all__ = [
    "INTERFACE_LANGUAGES",
    "LAYOUTS",
    "LLM_KINDS",
    "MAX_RECENT",
    "REPORT_ENGINES",
    "REPORT_LANGUAGES",
    "Settings",
]

ORGANIZATION = "RadAssist"
APPLICATION = "RadAssist"
#: How many recent studies the File menu keeps.
MAX_RECENT = 10
#: The viewer layouts offered (rows, columns).
LAYOUTS = ((1, 1), (1, 2), (2, 1), (2, 2))
#: Report languages (core.report.document.LANGUAGES) and drafting engines.
REPORT_LANGUAGES = ("en", "zh-CN")
#: Settings → Language: the system's, English or Simplified Chinese (core.i18n reads the
#: same key for the command line: core.i18n.SETTINGS_KEY).
INTERFACE_LANGUAGES = ("system", "en", "zh-CN")
REPORT_ENGINES = ("template", "llm")
#: Which language model "llm" drafts with: a local folder, or an OpenAI-compatible server.
LLM_KINDS = ("transformers", "endpoint")
#: An endpoint's structured-output choices (core.report.llm.engines.STRUCTURED_CHOICES:
#: not imported here, the window starts without the engines).
ENDPOINT_STRUCTURED = ("auto", "grammar", "json_schema", "none")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _make_owner_only(file_name: str, *, own_folder: bool) -> None:
    """The settings list recent study paths: the file 0600, the app's folder 0700.

    QSettings rewrites the file through QSaveFile, which keeps an existing file's
    permissions, so creating it owner-only first is enough.
    """

    try:
        make_private_dir(Path(file_name).parent, tighten=own_folder)
        make_private_file(file_name)
    except OSError as exc:  # settings that cannot be protected still work
        logger.warning("settings file not made owner-only: %s", exc.strerror or exc)


class Settings:
    """The app's settings, one typed property per value.

    Parameters
    ----------
    path : str or Path, optional
        An ini file to use instead of the user's settings (tests, portable installs).
        By default the user-scope ini file for "RadAssist/RadAssist" is used, whose
        folder :meth:`QSettings.setPath` can move.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        if path is None:
            self._qsettings = QSettings(
                QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION
            )
        elif isinstance(path, str | os.PathLike):
            self._qsettings = QSettings(os.fspath(path), QSettings.Format.IniFormat)
        else:
            raise TypeError(f"path must be a str or os.PathLike, not {type(path).__name__}")
        _make_owner_only(self._qsettings.fileName(), own_folder=path is None)

    @property
    def qsettings(self) -> QSettings:
        return self._qsettings

    @property
    def file_name(self) -> str:
        """Where the settings are stored."""
        return self._qsettings.fileName()

    def sync(self) -> None:
        """Write pending changes to disk now."""
        self._qsettings.sync()

    def clear(self) -> None:
        self._qsettings.clear()

    # -- typed primitives ---------------------------------------------------------------

    def get_str(self, key: str, default: str = "") -> str:
        value = self._qsettings.value(key)
        return value if isinstance(value, str) else default

    def get_bool(self, key: str, default: bool = False) -> bool:
        value = self._qsettings.value(key)
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        return default

    def get_int(self, key: str, default: int = 0) -> int:
        value = self._qsettings.value(key)
        try:
            return int(value) if value is not None and not isinstance(value, bool) else default
        except (TypeError, ValueError):
            return default

    def get_float(self, key: str, default: float = 0.0) -> float:
        value = self._qsettings.value(key)
        try:
            return float(value) if value is not None and not isinstance(value, bool) else default
        except (TypeError, ValueError):
            return default

    def get_str_list(self, key: str) -> list[str]:
        value = self._qsettings.value(key)
        if isinstance(value, str):  # an ini file stores a one-item list as a plain string
            return [value] if value else []
        if isinstance(value, list | tuple):
            return [item for item in value if isinstance(item, str) and item]
        return []

    def get_bytes(self, key: str) -> QByteArray:
        value = self._qsettings.value(key)
        return value if isinstance(value, QByteArray) else QByteArray()

    def set_value(self, key: str, value: object) -> None:
        self._qsettings.setValue(key, value)

    # -- what the window keeps ----------------------------------------------------------

    @property
    def last_folder(self) -> str:
        """The folder the last Open dialog ended in ("" when none)."""
        return self.get_str("files/last_folder")

    @last_folder.setter
    def last_folder(self, folder: str | os.PathLike[str]) -> None:
        self.set_value("files/last_folder", os.fspath(folder))

    @property
    def recent_studies(self) -> list[str]:
        """Paths opened recently, newest first (at most :data:`MAX_RECENT`)."""
        return self.get_str_list("files/recent")[:MAX_RECENT]

    @recent_studies.setter
    def recent_studies(self, paths: list[str]) -> None:
        unique = list(dict.fromkeys(os.fspath(p) for p in paths if p))[:MAX_RECENT]
        self.set_value("files/recent", unique)

    def add_recent_study(self, path: str | os.PathLike[str]) -> list[str]:
        """Put ``path`` first in the recent list (once) and return the new list."""
        entry = str(Path(path).resolve())
        paths = [entry] + [p for p in self.recent_studies if p != entry]
        self.recent_studies = paths
        return self.recent_studies

    def remove_recent_study(self, path: str) -> None:
        self.recent_studies = [p for p in self.recent_studies if p != path]

    @property
    def window_geometry(self) -> QByteArray:
        return self.get_bytes("window/geometry")

    @window_geometry.setter
    def window_geometry(self, data: QByteArray) -> None:
        self.set_value("window/geometry", data)

    @property
    def window_state(self) -> QByteArray:
        """Docks and toolbars (QMainWindow.saveState)."""
        return self.get_bytes("window/state")

    @window_state.setter
    def window_state(self, data: QByteArray) -> None:
        self.set_value("window/state", data)

    @property
    def layout(self) -> tuple[int, int]:
        """Viewer grid (rows, columns); one of :data:`LAYOUTS`."""
        layout = (self.get_int("viewer/layout_rows", 1), self.get_int("viewer/layout_cols", 1))
        return layout if layout in LAYOUTS else (1, 1)

    @layout.setter
    def layout(self, layout: tuple[int, int]) -> None:
        if tuple(layout) not in LAYOUTS:
            raise ValueError(f"layout must be one of {LAYOUTS}, not {layout!r}")
        self.set_value("viewer/layout_rows", int(layout[0]))
        self.set_value("viewer/layout_cols", int(layout[1]))

    @property
    def overlays_visible(self) -> bool:
        return self.get_bool("viewer/overlays", True)

    @overlays_visible.setter
    def overlays_visible(self, visible: bool) -> None:
        self.set_value("viewer/overlays", bool(visible))

    @property
    def sync_scrolling(self) -> bool:
        return self.get_bool("viewer/sync_scrolling", True)

    @sync_scrolling.setter
    def sync_scrolling(self, enabled: bool) -> None:
        self.set_value("viewer/sync_scrolling", bool(enabled))

    @property
    def cine_fps(self) -> float:
        """Cine rate used when the series has no Frame Time."""
        fps = self.get_float("viewer/cine_fps", 10.0)
        return fps if 0.5 <= fps <= 120.0 else 10.0

    @cine_fps.setter
    def cine_fps(self, fps: float) -> None:
        self.set_value("viewer/cine_fps", float(fps))

    @property
    def window_presets(self) -> list[tuple[str, float, float]]:
        """The user's own W/L presets: (name, centre, width)."""
        presets: list[tuple[str, float, float]] = []
        size = self._qsettings.beginReadArray("viewer/presets")
        try:
            for i in range(size):
                self._qsettings.setArrayIndex(i)
                name = self.get_str("name")
                center = self.get_float("center", float("nan"))
                width = self.get_float("width", 0.0)
                if name and center == center and width >= 1:
                    presets.append((name, center, width))
        finally:
            self._qsettings.endArray()
        return presets

    @window_presets.setter
    def window_presets(self, presets: list[tuple[str, float, float]]) -> None:
        self._qsettings.beginWriteArray("viewer/presets", len(presets))
        try:
            for i, (name, center, width) in enumerate(presets):
                self._qsettings.setArrayIndex(i)
                self.set_value("name", str(name))
                self.set_value("center", float(center))
                self.set_value("width", float(width))
        finally:
            self._qsettings.endArray()

    # -- Settings → Reporting -----------------------------------------------------------

    @property
    def report_signer(self) -> str:
        """The user who signs reports ("" until set: signing asks for it)."""
        return self.get_str("reporting/signer").strip()

    @report_signer.setter
    def report_signer(self, name: str) -> None:
        self.set_value("reporting/signer", str(name).strip())

    @property
    def report_model_folder(self) -> str:
        """The local language-model folder ("" when none is chosen)."""
        return self.get_str("reporting/model_folder").strip()

    @report_model_folder.setter
    def report_model_folder(self, folder: str | os.PathLike[str]) -> None:
        self.set_value("reporting/model_folder", os.fspath(folder).strip())

    @property
    def report_max_new_tokens(self) -> int:
        """How many tokens the language model may write per draft."""
        value = self.get_int("reporting/max_new_tokens", 512)
        return value if 16 <= value <= 8192 else 512

    @report_max_new_tokens.setter
    def report_max_new_tokens(self, value: int) -> None:
        if not 16 <= int(value) <= 8192:
            raise ValueError(f"max_new_tokens must be within 16..8192, not {value!r}")
        self.set_value("reporting/max_new_tokens", int(value))

    @property
    def report_temperature(self) -> float:
        """Sampling temperature; 0 = greedy (the default)."""
        value = self.get_float("reporting/temperature", 0.0)
        return value if 0.0 <= value <= 2.0 else 0.0

    @report_temperature.setter
    def report_temperature(self, value: float) -> None:
        if not 0.0 <= float(value) <= 2.0:
            raise ValueError(f"temperature must be within [0, 2], not {value!r}")
        self.set_value("reporting/temperature", float(value))

    @property
    def interface_language(self) -> str:
        """Settings → Language: "system" (the default), "en" or "zh-CN" (from the next start)."""
        value = self.get_str("interface/language", "system")
        return value if value in INTERFACE_LANGUAGES else "system"

    @interface_language.setter
    def interface_language(self, language: str) -> None:
        if language not in INTERFACE_LANGUAGES:
            raise ValueError(f"language must be one of {INTERFACE_LANGUAGES}, not {language!r}")
        self.set_value("interface/language", language)

    @property
    def report_language(self) -> str:
        """Default language of new reports: "en" or "zh-CN"; until chosen, the language the
        interface runs in."""
        default = installed_language()
        value = self.get_str("reporting/language", default)
        return value if value in REPORT_LANGUAGES else default

    @report_language.setter
    def report_language(self, language: str) -> None:
        if language not in REPORT_LANGUAGES:
            raise ValueError(f"language must be one of {REPORT_LANGUAGES}, not {language!r}")
        self.set_value("reporting/language", language)

    @property
    def report_engine(self) -> str:
        """The drafting engine chosen last: "template" or "llm"."""
        value = self.get_str("reporting/engine", "template")
        return value if value in REPORT_ENGINES else "template"

    @report_engine.setter
    def report_engine(self, engine: str) -> None:
        if engine not in REPORT_ENGINES:
            raise ValueError(f"engine must be one of {REPORT_ENGINES}, not {engine!r}")
        self.set_value("reporting/engine", engine)

    # The language model: a local folder or a server. The server's API key is never here:
    # it is in the OS keyring (core.report.llm.endpoint_credentials).

    @property
    def report_llm_kind(self) -> str:
        """Which language model drafts: "transformers" (a local folder) or "endpoint"."""
        value = self.get_str("reporting/llm_kind", "transformers")
        return value if value in LLM_KINDS else "transformers"

    @report_llm_kind.setter
    def report_llm_kind(self, kind: str) -> None:
        if kind not in LLM_KINDS:
            raise ValueError(f"kind must be one of {LLM_KINDS}, not {kind!r}")
        self.set_value("reporting/llm_kind", kind)

    @property
    def report_endpoint_url(self) -> str:
        """The OpenAI-compatible server's base URL ("" when none)."""
        return self.get_str("reporting/endpoint_url").strip()

    @report_endpoint_url.setter
    def report_endpoint_url(self, url: str) -> None:
        self.set_value("reporting/endpoint_url", str(url).strip())

    @property
    def report_endpoint_model(self) -> str:
        """The model name the server serves."""
        return self.get_str("reporting/endpoint_model").strip()

    @report_endpoint_model.setter
    def report_endpoint_model(self, name: str) -> None:
        self.set_value("reporting/endpoint_model", str(name).strip())

    @property
    def report_endpoint_ca_bundle(self) -> str:
        """A PEM file of CAs to verify the server with ("": the system's store)."""
        return self.get_str("reporting/endpoint_ca_bundle").strip()

    @report_endpoint_ca_bundle.setter
    def report_endpoint_ca_bundle(self, path: str | os.PathLike[str]) -> None:
        self.set_value("reporting/endpoint_ca_bundle", os.fspath(path).strip())

    @property
    def report_endpoint_timeout_s(self) -> int:
        """Seconds the server may stay silent before the draft stops with a timeout."""
        value = self.get_int("reporting/endpoint_timeout_s", 60)
        return value if 1 <= value <= 3600 else 60

    @report_endpoint_timeout_s.setter
    def report_endpoint_timeout_s(self, value: int) -> None:
        if not 1 <= int(value) <= 3600:
            raise ValueError(f"the timeout must be 1 to 3600 s, not {value!r}")
        self.set_value("reporting/endpoint_timeout_s", int(value))

    @property
    def report_endpoint_structured(self) -> str:
        """What the server's draft is held to: "auto", "grammar", "json_schema" or "none"
        (:data:`core.report.llm.engines.STRUCTURED_CHOICES`)."""
        value = self.get_str("reporting/endpoint_structured", "auto").strip()
        return value if value in ENDPOINT_STRUCTURED else "auto"

    @report_endpoint_structured.setter
    def report_endpoint_structured(self, value: str) -> None:
        if value not in ENDPOINT_STRUCTURED:
            raise ValueError(
                f"structured must be one of {list(ENDPOINT_STRUCTURED)}, not {value!r}"
            )
        self.set_value("reporting/endpoint_structured", value)

    @property
    def report_idle_release_min(self) -> int:
        """Minutes without a draft after which the local model's memory is released."""
        value = self.get_int("reporting/idle_release_min", 10)
        return value if 1 <= value <= 1440 else 10

    @report_idle_release_min.setter
    def report_idle_release_min(self, value: int) -> None:
        if not 1 <= int(value) <= 1440:
            raise ValueError(f"the idle time must be 1 to 1440 minutes, not {value!r}")
        self.set_value("reporting/idle_release_min", int(value))

    def report_language_model(self) -> dict[str, object] | None:
        """The chosen language model as :class:`core.report.llm.EngineSpec` fields; None
        when it is not configured (no folder, or no server URL and model)."""
        if self.report_llm_kind == "endpoint":
            if not (self.report_endpoint_url and self.report_endpoint_model):
                return None
            return {
                "kind": "endpoint",
                "base_url": self.report_endpoint_url,
                "model": self.report_endpoint_model,
                "ca_bundle": self.report_endpoint_ca_bundle,
                "read_timeout_s": float(self.report_endpoint_timeout_s),
                "structured": self.report_endpoint_structured,
            }
        folder = self.report_model_folder
        return {"kind": "transformers", "path": folder} if folder else None

    # -- the study archive and the receiving node ------------------------------------------

    @property
    def archive_limit_gb(self) -> float:
        """The study archive's size limit in GB (0: no limit); retention keeps it under."""
        value = self.get_float("archive/limit_gb", 0.0)
        return value if value >= 0 else 0.0

    @archive_limit_gb.setter
    def archive_limit_gb(self, value: float) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"the limit must be a number of GB, not {type(value).__name__}")
        if value < 0:
            raise ValueError(f"the limit must be 0 (none) or more GB, not {value}")
        self.set_value("archive/limit_gb", float(value))

    @property
    def receiver_enabled(self) -> bool:
        """Whether the app receives studies pushed to our node (its AE title and port are
        in the DICOM nodes file, Settings → DICOM Nodes)."""
        return self.get_bool("archive/receiver_enabled", False)

    @receiver_enabled.setter
    def receiver_enabled(self, enabled: bool) -> None:
        self.set_value("archive/receiver_enabled", bool(enabled))
