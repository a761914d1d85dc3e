"""Hanging protocols: the bundled defaults, rule matching, site files (good and bad)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from core.dicom.records import SeriesRecord, StudyRecord
from core.viewing.hanging import (
    HangingProtocol,
    HangingProtocolError,
    fitted_layout,
    hang,
    load_protocols,
    matching_protocols,
    parse_protocol,
)
from tests.desktop.viewer_helpers import make_volume


def _series(
    key: str,
    modality: str,
    images: int,
    description: str = "",
    body_part: str = "",
    view: str = "",
    number: int = 1,
) -> SeriesRecord:
    series = make_volume(np.zeros((images, 4, 4), np.int16), modality=modality, key=key).series
    instances = tuple(
        replace(i, modality=modality, body_part=body_part, view_position=view)
        for i in series.instances
    )
    return replace(
        series,
        modality=modality,
        description=description,
        instances=instances,
        series_number=number,
    )


def _study(*series: SeriesRecord, description: str = "") -> StudyRecord:
    return StudyRecord("1.2.3", "20250101", description, series=series)


@pytest.fixture
def protocols(tmp_path: Path) -> tuple[HangingProtocol, ...]:
    found, problems = load_protocols(tmp_path / "no-site-files")
    assert problems == ()
    return found


def test_the_bundled_defaults_load(protocols: tuple[HangingProtocol, ...]) -> None:
    names = {p.name for p in protocols}
    assert {"Chest CT", "Chest radiograph", "Head CT", "MR T1 / T2 / FLAIR"} <= names
    chest = next(p for p in protocols if p.name == "Chest CT")
    assert chest.layout == (1, 3)
    assert [(v.plane, v.window) for v in chest.viewports] == [
        ("axial", (-600.0, 1500.0)),
        ("axial", (40.0, 400.0)),
        ("coronal", (-600.0, 1500.0)),
    ]


def test_a_chest_ct_gets_the_chest_protocol_and_its_largest_ct(
    protocols: tuple[HangingProtocol, ...],
) -> None:
    scout = _series("scout", "CT", 1, "Topogram", "CHEST", number=1)
    thin = _series("thin", "CT", 300, "Lung 1mm", "CHEST", number=2)
    thick = _series("thick", "CT", 60, "Body 5mm", "CHEST", number=3)
    study = _study(scout, thin, thick, description="CT THORAX")
    best = matching_protocols(protocols, study)
    assert best[0].name == "Chest CT"
    placements = hang(best[0], study)
    assert [p.series.key if p.series else None for p in placements] == ["thin"] * 3


def test_head_ct_mr_and_radiographs_match_their_own(protocols: tuple[HangingProtocol, ...]) -> None:
    head = _study(_series("h", "CT", 40, "Brain", "HEAD"))
    assert matching_protocols(protocols, head)[0].name == "Head CT"
    t1 = _series("t1", "MR", 20, "AX T1 SE", number=3)
    t2 = _series("t2", "MR", 24, "AX T2 TSE", number=4)
    flair = _series("flair", "MR", 22, "AX T2 FLAIR", number=5)
    mr = _study(t1, t2, flair)
    (protocol,) = matching_protocols(protocols, mr)
    assert [p.series.key for p in hang(protocol, mr) if p.series] == ["t1", "t2", "flair"]
    pa = _series("pa", "DX", 1, "Chest PA", "CHEST", view="PA")
    lateral = _series("ll", "DX", 1, "Chest LAT", "CHEST", view="LL", number=2)
    cxr = _study(lateral, pa)
    protocol = matching_protocols(protocols, cxr)[0]
    assert protocol.name == "Chest radiograph"
    current, prior = hang(protocol, cxr)
    assert current.series is pa and prior.series is None  # no prior open
    assert fitted_layout(protocol, (current, prior)) == (1, 1)  # not an empty pane beside it
    old_pa = _series("old", "DX", 1, "Chest PA", "CHEST", view="PA")
    both = hang(protocol, cxr, prior_series=[old_pa])
    assert both[1].series is old_pa and fitted_layout(protocol, both) == (1, 2)
    # A knee radiograph matches none of them.
    knee = _study(_series("k", "DX", 1, "Knee", "KNEE", view="AP"))
    assert matching_protocols(protocols, knee) == []


def test_a_site_file_replaces_a_bundled_protocol_and_adds_its_own(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    chest = json.loads(
        (Path(__file__).parents[2] / "resources/hanging_protocols/chest_ct.json").read_text()
    )
    chest["viewports"][0]["window"] = {"center": -500, "width": 1600}
    (site / "my_chest.json").write_text(json.dumps(chest))
    spine = {
        "format": 1,
        "name": "Spine CT",
        "match": {"modality": "CT", "body_part": "spine"},
        "layout": [1, 1],
        "viewports": [{"series": {"modality": "CT"}, "plane": "sagittal"}],
    }
    (site / "spine.json").write_text(json.dumps(spine))
    found, problems = load_protocols(site)
    assert problems == ()
    by_name = {p.name: p for p in found}
    assert by_name["Chest CT"].site and by_name["Chest CT"].viewports[0].window == (-500.0, 1600.0)
    assert by_name["Spine CT"].viewports[0].plane == "sagittal"


@pytest.mark.parametrize(
    ("change", "field", "problem"),
    [
        (
            lambda d: d["viewports"][1]["window"].pop("width"),
            "viewports[1].window.width",
            "missing",
        ),
        (
            lambda d: d["viewports"][0].update(plane="oblique"),
            "viewports[0].plane",
            "must be one of",
        ),
        (lambda d: d.update(layout=[1, 9]), "layout[1]", "must be 1 to 4"),
        (lambda d: d["match"].update(body_part="(chest"), "match.body_part", "regular expression"),
        (lambda d: d["viewports"][0]["series"].update(colour=1), "viewports[0].series", "unknown"),
        (lambda d: d.update(format=7), "format", "must be 1 to 1"),
        (lambda d: d.update(layout=[1, 2]), "viewports", "do not fit a 1 × 2 layout"),
    ],
)
def test_a_bad_site_file_is_named_with_its_field_and_the_defaults_stay(
    tmp_path: Path, change: object, field: str, problem: str
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    chest = json.loads(
        (Path(__file__).parents[2] / "resources/hanging_protocols/chest_ct.json").read_text()
    )
    change(chest)  # type: ignore[operator]
    bad = site / "chest.json"
    bad.write_text(json.dumps(chest))
    found, problems = load_protocols(site)
    (error,) = problems
    assert isinstance(error, HangingProtocolError)
    assert error.source == str(bad) and error.reason.startswith(field) and problem in error.reason
    chest_ct = next(p for p in found if p.name == "Chest CT")
    assert not chest_ct.site  # the bundled one is used instead


def test_a_file_that_is_not_json_is_reported_not_raised(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "broken.json").write_text("{ not json")
    found, problems = load_protocols(site)
    assert len(found) >= 4
    (error,) = problems
    assert "broken.json" in str(error) and "not valid JSON: line 1" in str(error)
    with pytest.raises(HangingProtocolError, match="name: is missing"):
        parse_protocol({"format": 1, "match": {}, "layout": [1, 1], "viewports": []}, "x.json")


def test_a_protocol_is_shown_by_its_title_in_the_reading_language() -> None:
    """The name stays the key (site files replace by it); the title is what a reader sees."""
    from core.viewing.hanging import load_protocols

    protocols, problems = load_protocols()
    assert not problems
    chest = next(p for p in protocols if p.name == "Chest CT")
    assert chest.title("zh-CN") == "胸部 CT"
    assert chest.title("en") == "Chest CT"  # no English title: the name
    assert all(p.title("zh-CN") != p.name for p in protocols)  # every bundled one has zh-CN
