"""Hanging protocols: which series a study opens in, in which viewport, plane and window.

A protocol is a JSON file. The bundled ones are in ``resources/hanging_protocols``
(chest CT, chest radiographs, head CT, MR); a site edits them, or adds its own, in
``user_data_dir()/hanging_protocols`` (:func:`site_protocols_dir`): a site file whose
``name`` is a bundled protocol's replaces it, any other adds one (the pattern of the
report templates, :mod:`core.report.templates`). A site file that is not valid JSON or
breaks the schema is never used: :func:`load_protocols` returns it as a
:class:`HangingProtocolError` naming the file and the field (e.g.
``viewports[1].window.width``) beside the bundled protocols, and a viewer says so.

The schema (``format`` 1)::

    {
      "format": 1,
      "name": "Chest CT",               the key (a site file of this name replaces it)
      "titles": {"zh-CN": "胸部 CT"},   optional: shown instead of the name in that language
      "priority": 20,                   the highest matching protocol is applied
      "match": {                        every given rule must hold for the study
        "modality": ["CT"],             a series of one of these modalities
        "body_part": "CHEST|THORAX",    regex (case-insensitive) on Body Part Examined,
                                        the study or a series description
        "study_description": "...",     regex on the study description
        "series_description": "...",    regex: some series' description matches
        "min_images": 20                the largest such series has at least this many
      },
      "layout": [1, 3],                 rows, columns (1 to 4 each)
      "viewports": [                    in reading order, at most rows × columns
        {"series": {"modality": ["CT"], "description": "lung", "view_position": "PA",
                    "min_images": 20, "pick": "largest", "prior": false},
         "plane": "axial",              "acquired" (default), "axial", "coronal", "sagittal"
         "window": {"center": -600, "width": 1500},
         "label": "Lung"}
      ]
    }

A viewport's ``series`` rule picks among the study's series (``"prior": true``: among
the prior's, when one is open) those that match every given field; ``pick`` chooses the
largest (default) or the first in series-number order. A viewport whose rule finds no
series stays empty; a protocol matches when its ``match`` holds and it fills at least
one viewport (:func:`matching_protocols`, best first; :func:`hang` places the series).

Matching reads the study's coded and descriptive fields in memory only: nothing about a
study is logged.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from core.dicom.records import SeriesRecord, StudyRecord
from core.errors import SourcedError
from core.i18n import current_language
from core.paths import user_data_dir
from core.resources import resource_path

logger = logging.getLogger(__name__)

__all__ = [
    "PLANES",
    "HangingProtocol",
    "HangingProtocolError",
    "Placement",
    "SeriesRule",
    "ViewportRule",
    "bundled_protocols_dir",
    "fitted_layout",
    "hang",
    "load_protocols",
    "matching_protocols",
    "parse_protocol",
    "site_protocols_dir",
]

_DIR_NAME: Final = "hanging_protocols"
_FORMAT: Final = 1
#: What a viewport may show: the series as acquired, or a reformatted plane of it.
PLANES: Final = ("acquired", "axial", "coronal", "sagittal")
_PICKS: Final = ("largest", "first")
_MAX_SIDE: Final = 4
_TOP_KEYS: Final = frozenset(
    {"format", "name", "titles", "priority", "match", "layout", "viewports"}
)
_MATCH_KEYS: Final = frozenset(
    {"modality", "body_part", "study_description", "series_description", "min_images"}
)
_SERIES_KEYS: Final = frozenset(
    {"modality", "description", "view_position", "min_images", "pick", "prior"}
)
_VIEWPORT_KEYS: Final = frozenset({"series", "plane", "window", "label"})


class HangingProtocolError(SourcedError):
    """A protocol file that cannot be used: ``source`` is the file, ``reason`` the field."""


@dataclass(frozen=True)
class SeriesRule:
    """Which series a viewport shows (see the module notes); empty fields match any."""

    modalities: tuple[str, ...] = ()
    description: str = ""
    view_position: str = ""
    min_images: int = 0
    pick: str = "largest"
    prior: bool = False

    def accepts(self, series: SeriesRecord) -> bool:
        if self.modalities and series.modality.upper() not in self.modalities:
            return False
        if self.description and not re.search(self.description, series.description, re.I):
            return False
        if self.view_position:
            views = {i.view_position.upper() for i in series.instances}
            if self.view_position.upper() not in views:
                return False
        return series.frame_count >= self.min_images


@dataclass(frozen=True)
class ViewportRule:
    """One viewport of a protocol: its series, plane, window (centre, width) and label."""

    series: SeriesRule
    plane: str = "acquired"
    window: tuple[float, float] | None = None
    label: str = ""


@dataclass(frozen=True)
class HangingProtocol:
    """A parsed protocol file (see the module notes for the fields).

    Attributes
    ----------
    source : str
        The file it was read from.
    site : bool
        Whether it is the site's (from :func:`site_protocols_dir`).
    """

    name: str
    priority: int
    modalities: tuple[str, ...]
    body_part: str
    study_description: str
    series_description: str
    min_images: int
    layout: tuple[int, int]
    viewports: tuple[ViewportRule, ...]
    source: str = ""
    site: bool = False
    titles: tuple[tuple[str, str], ...] = ()

    def title(self, language: str | None = None) -> str:
        """What a reader sees: the title for ``language`` (default: core's), else the name."""
        wanted = language if language is not None else current_language()
        return dict(self.titles).get(wanted, self.name)

    def matches(self, study: StudyRecord) -> bool:
        """Whether the study meets the protocol's ``match`` rules."""
        series = [s for s in study.series if s.modality.upper() in self.modalities]
        if not series:
            return False
        if self.study_description and not re.search(
            self.study_description, study.study_description, re.I
        ):
            return False
        if self.series_description and not any(
            re.search(self.series_description, s.description, re.I) for s in study.series
        ):
            return False
        if self.body_part and not _body_part_matches(self.body_part, study, series):
            return False
        return max(s.frame_count for s in series) >= self.min_images


@dataclass(frozen=True)
class Placement:
    """A viewport of a hung protocol: its index (reading order), rule and series (or None)."""

    index: int
    rule: ViewportRule
    series: SeriesRecord | None


def _body_part_matches(pattern: str, study: StudyRecord, series: Sequence[SeriesRecord]) -> bool:
    texts = [study.study_description]
    for s in series:
        texts.append(s.description)
        texts.extend({i.body_part for i in s.instances})
    return any(re.search(pattern, text, re.I) for text in texts if text)


# --------------------------------------------------------------------------- files


def bundled_protocols_dir() -> Path:
    """The bundled protocols (``hanging_protocols`` under the resources folder)."""
    return resource_path(_DIR_NAME)


def site_protocols_dir() -> Path:
    """Where a site keeps its protocols (``user_data_dir()/hanging_protocols``); not created."""
    return user_data_dir() / _DIR_NAME


class _Checker:
    """Reads one file's fields, failing with the file and the field's place in it."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, problem: str) -> HangingProtocolError:
        return HangingProtocolError(self.source, f"{where}: {problem}" if where else problem)

    def obj(self, value: Any, where: str, allowed: frozenset[str]) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, f"must be a JSON object, found {_json_type(value)}")
        unknown = sorted(set(value) - allowed)
        if unknown:
            raise self.fail(
                where, f"unknown field {unknown[0]!r} (known: {', '.join(sorted(allowed))})"
            )
        return value

    def text(self, value: Any, where: str, *, regex: bool = False) -> str:
        if not isinstance(value, str):
            raise self.fail(where, f"must be a string, found {_json_type(value)}")
        if regex:
            try:
                re.compile(value)
            except re.error as error:
                raise self.fail(where, f"is not a valid regular expression ({error})") from None
        return value

    def integer(self, value: Any, where: str, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(where, f"must be a whole number, found {_json_type(value)}")
        if not low <= value <= high:
            raise self.fail(where, f"must be {low} to {high}, found {value}")
        return value

    def number(self, value: Any, where: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(where, f"must be a number, found {_json_type(value)}")
        return float(value)

    def modalities(self, value: Any, where: str) -> tuple[str, ...]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value:
            raise self.fail(where, "must be a modality or a non-empty list of them")
        return tuple(self.text(v, f"{where}[{i}]").strip().upper() for i, v in enumerate(value))


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "true/false"}
    if value is None:
        return "null"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "a number"
    return names.get(type(value), type(value).__name__)


def parse_protocol(data: Any, source: str, *, site: bool = False) -> HangingProtocol:
    """Check one protocol's JSON (already parsed) and build it.

    Raises
    ------
    HangingProtocolError
        A field is missing or wrong; the message names ``source`` and the field.
    """
    check = _Checker(source)
    top = check.obj(data, "", _TOP_KEYS)
    for key in ("format", "name", "match", "layout", "viewports"):
        if key not in top:
            raise check.fail(key, "is missing")
    check.integer(top["format"], "format", _FORMAT, _FORMAT)
    name = check.text(top["name"], "name").strip()
    if not name:
        raise check.fail("name", "must not be empty")
    titles = top.get("titles", {})
    if not isinstance(titles, dict):
        raise check.fail(
            "titles", f"must be an object of language: title, found {json.dumps(titles)}"
        )
    for language, title in titles.items():
        check.text(title, f"titles.{language}")
    priority = check.integer(top.get("priority", 0), "priority", -1000, 1000)
    match = check.obj(top["match"], "match", _MATCH_KEYS)
    if "modality" not in match:
        raise check.fail("match.modality", "is missing")
    layout = top["layout"]
    if not isinstance(layout, list) or len(layout) != 2:
        raise check.fail("layout", f"must be [rows, columns], found {json.dumps(layout)}")
    rows = check.integer(layout[0], "layout[0]", 1, _MAX_SIDE)
    cols = check.integer(layout[1], "layout[1]", 1, _MAX_SIDE)
    entries = top["viewports"]
    if not isinstance(entries, list) or not entries:
        raise check.fail("viewports", "must be a non-empty list")
    if len(entries) > rows * cols:
        raise check.fail(
            "viewports", f"{len(entries)} viewports do not fit a {rows} × {cols} layout"
        )
    viewports = tuple(_viewport(check, v, f"viewports[{i}]") for i, v in enumerate(entries))
    return HangingProtocol(
        name=name,
        titles=tuple(sorted((str(k), str(v).strip()) for k, v in titles.items())),
        priority=priority,
        modalities=check.modalities(match["modality"], "match.modality"),
        body_part=check.text(match.get("body_part", ""), "match.body_part", regex=True),
        study_description=check.text(
            match.get("study_description", ""), "match.study_description", regex=True
        ),
        series_description=check.text(
            match.get("series_description", ""), "match.series_description", regex=True
        ),
        min_images=check.integer(match.get("min_images", 0), "match.min_images", 0, 100_000),
        layout=(rows, cols),
        viewports=viewports,
        source=source,
        site=site,
    )


def _viewport(check: _Checker, value: Any, where: str) -> ViewportRule:
    entry = check.obj(value, where, _VIEWPORT_KEYS)
    at = f"{where}.series"
    raw = check.obj(entry.get("series", {}), at, _SERIES_KEYS)
    pick = check.text(raw.get("pick", "largest"), f"{where}.series.pick")
    if pick not in _PICKS:
        raise check.fail(f"{where}.series.pick", f"must be one of {_PICKS}, found {pick!r}")
    prior = raw.get("prior", False)
    if not isinstance(prior, bool):
        raise check.fail(f"{where}.series.prior", f"must be true/false, found {_json_type(prior)}")
    series = SeriesRule(
        modalities=check.modalities(raw["modality"], f"{where}.series.modality")
        if "modality" in raw
        else (),
        description=check.text(
            raw.get("description", ""), f"{where}.series.description", regex=True
        ),
        view_position=check.text(raw.get("view_position", ""), f"{where}.series.view_position"),
        min_images=check.integer(
            raw.get("min_images", 0), f"{where}.series.min_images", 0, 100_000
        ),
        pick=pick,
        prior=prior,
    )
    plane = check.text(entry.get("plane", "acquired"), f"{where}.plane")
    if plane not in PLANES:
        raise check.fail(f"{where}.plane", f"must be one of {', '.join(PLANES)}, found {plane!r}")
    window = None
    if "window" in entry:
        raw_window = check.obj(entry["window"], f"{where}.window", frozenset({"center", "width"}))
        for key in ("center", "width"):
            if key not in raw_window:
                raise check.fail(f"{where}.window.{key}", "is missing")
        center = check.number(raw_window["center"], f"{where}.window.center")
        width = check.number(raw_window["width"], f"{where}.window.width")
        if width <= 0:
            raise check.fail(f"{where}.window.width", f"must be above 0, found {width:g}")
        window = (center, width)
    label = check.text(entry.get("label", ""), f"{where}.label")
    return ViewportRule(series=series, plane=plane, window=window, label=label)


def _read(path: Path, *, site: bool) -> HangingProtocol:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise HangingProtocolError(
            str(path), f"cannot be read ({error.strerror or error})"
        ) from None
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise HangingProtocolError(str(path), f"is not UTF-8 text (byte {error.start})") from None
    except json.JSONDecodeError as error:
        raise HangingProtocolError(
            str(path), f"is not valid JSON: line {error.lineno} column {error.colno}: {error.msg}"
        ) from None
    return parse_protocol(data, str(path), site=site)


def load_protocols(
    site_dir: str | Path | None = None,
) -> tuple[tuple[HangingProtocol, ...], tuple[HangingProtocolError, ...]]:
    """The protocols in force, and the site files that could not be used.

    Parameters
    ----------
    site_dir : str or Path, optional
        The site's folder; default :func:`site_protocols_dir`.

    Returns
    -------
    (protocols, problems)
        The bundled protocols, each replaced by a site file of the same name, plus the
        site's others (sorted by name); and one error per bad file (a bad bundled file is
        a broken install: listed too, never raised).
    """
    problems: list[HangingProtocolError] = []
    found: dict[str, HangingProtocol] = {}
    folders = [(bundled_protocols_dir(), False)]
    folders.append((Path(site_dir) if site_dir is not None else site_protocols_dir(), True))
    for folder, site in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.json")):
            try:
                protocol = _read(path, site=site)
            except HangingProtocolError as error:
                logger.warning("hanging protocol not used: %s", error)
                problems.append(error)
                continue
            if site and protocol.name in found:
                logger.info("hanging protocol %r replaced by the site file %s", protocol.name, path)
            found[protocol.name] = protocol
    return tuple(sorted(found.values(), key=lambda p: p.name)), tuple(problems)


# --------------------------------------------------------------------------- matching


def _number(series: SeriesRecord) -> tuple[int, str]:
    return (series.series_number if series.series_number is not None else 1 << 30, series.key)


def hang(
    protocol: HangingProtocol,
    study: StudyRecord,
    prior_series: Sequence[SeriesRecord] = (),
) -> tuple[Placement, ...]:
    """Which series each viewport of ``protocol`` shows for ``study`` (None: no match).

    ``prior_series`` are the series of the prior study open beside it (for rules with
    ``"prior": true``).
    """
    if not isinstance(protocol, HangingProtocol):
        raise TypeError(f"protocol must be a HangingProtocol, not {type(protocol).__name__}")
    if not isinstance(study, StudyRecord):
        raise TypeError(f"study must be a StudyRecord, not {type(study).__name__}")
    placements = []
    for index, rule in enumerate(protocol.viewports):
        pool = list(prior_series) if rule.series.prior else list(study.series)
        candidates = [s for s in pool if rule.series.accepts(s)]
        chosen: SeriesRecord | None = None
        if candidates:
            if rule.series.pick == "first":
                chosen = min(candidates, key=_number)
            else:  # the most images; the first in series order among equals
                chosen = min(candidates, key=lambda s: (-s.frame_count, _number(s)))
        placements.append(Placement(index, rule, chosen))
    return tuple(placements)


def fitted_layout(protocol: HangingProtocol, placements: Sequence[Placement]) -> tuple[int, int]:
    """The protocol's layout, smaller when its last viewports found no series.

    A chest radiograph protocol of "current PA beside the prior PA" shows one viewport
    when no prior is open, not an empty one beside it.
    """
    filled = [p.index for p in placements if p.series is not None]
    rows, cols = protocol.layout
    needed = max(filled) + 1 if filled else 1
    if needed >= rows * cols:
        return rows, cols
    options = [(r, c) for r in range(1, rows + 1) for c in range(1, cols + 1) if r * c >= needed]
    return min(options, key=lambda rc: (rc[0] * rc[1], -rc[1]))


def matching_protocols(
    protocols: Sequence[HangingProtocol],
    study: StudyRecord,
    prior_series: Sequence[SeriesRecord] = (),
) -> list[HangingProtocol]:
    """The protocols that match ``study`` and fill a viewport, best first.

    Best: the highest ``priority``, then the most viewports filled, then the name.
    """
    found = []
    for protocol in protocols:
        if not protocol.matches(study):
            continue
        filled = sum(p.series is not None for p in hang(protocol, study, prior_series))
        if filled:
            found.append((-protocol.priority, -filled, protocol.name, protocol))
    return [entry[-1] for entry in sorted(found, key=lambda e: e[:3])]
