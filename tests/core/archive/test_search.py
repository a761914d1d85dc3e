"""The study list: search as you type over name, ID, accession, description, modality."""

from __future__ import annotations

import pytest

from core.archive import Archive
from tests.core.archive.helpers import tiny_image


def _fill(archive: Archive) -> None:
    studies = [
        ("1.1", "DOE^JANE", "ID100", "20230105", "ACC-7", "CT CHEST", "CT"),
        ("1.2", "SMITH^JOHN", "ID200", "20240310", "ACC-8", "MR BRAIN", "MR"),
        ("1.3", "DOE^JOHN", "ID300", "20220101", "ACC-9", "CHEST PA", "DX"),
        ("1.4", "MÜLLER^ÄNNE", "ID_4%", "20240310", "A%1", "CT ABDOMEN", "CT"),
    ]
    with archive.batch():
        for uid, name, pid, date, accession, description, modality in studies:
            archive.accept(
                tiny_image(
                    uid,
                    uid + ".1",
                    uid + ".1.1",
                    patient_name=name,
                    patient_id=pid,
                    study_date=date,
                    study_time="090000" if uid == "1.2" else "080000",
                    accession=accession,
                    description=description,
                    modality=modality,
                ),
                source="test",
            )


def _uids(rows: list) -> list[str]:  # type: ignore[type-arg]
    return [row.study_uid for row in rows]


def test_every_study_is_listed_newest_study_date_first(archive: Archive) -> None:
    _fill(archive)
    assert _uids(archive.search()) == ["1.2", "1.4", "1.1", "1.3"]
    assert _uids(archive.search(limit=2)) == ["1.2", "1.4"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("doe", ["1.1", "1.3"]),  # patient name, any case
        ("john", ["1.2", "1.3"]),  # given name
        ("doe john", ["1.3"]),  # every word must match
        ("ID200", ["1.2"]),  # patient ID
        ("acc-9", ["1.3"]),  # accession
        ("chest", ["1.1", "1.3"]),  # description
        ("mr", ["1.2"]),  # modality
        ("müller", ["1.4"]),  # beyond ASCII
        ("%", ["1.4"]),  # a literal percent sign, not a wildcard
        ("_", ["1.4"]),
        ("nobody", []),
    ],
)
def test_search_as_you_type_matches_each_field(
    archive: Archive, text: str, expected: list[str]
) -> None:
    _fill(archive)
    assert sorted(_uids(archive.search(text))) == expected


def test_a_row_shows_what_the_list_needs(archive: Archive) -> None:
    _fill(archive)
    archive.accept(tiny_image("1.1", "1.1.2", "1.1.2.1", modality="SR"), source="other")
    row = archive.study("1.1")
    assert (row.patient_name, row.patient_id, row.accession) == ("DOE^JANE", "ID100", "ACC-7")
    assert (row.modalities, row.series_count, row.instance_count) == (("CT", "SR"), 2, 2)
    assert row.source == "test" and row.last_opened is None
    assert "DOE" not in repr(row)  # no patient data in logs that print a row
    assert archive.search("sr")[0].study_uid == "1.1"


def test_other_orders_and_bad_arguments(archive: Archive) -> None:
    _fill(archive)
    archive.mark_opened("1.3")
    assert _uids(archive.search(order="opened"))[0] == "1.3"
    assert _uids(archive.search(order="name")) == ["1.1", "1.3", "1.4", "1.2"]
    assert _uids(archive.search(order="received")) == ["1.4", "1.3", "1.2", "1.1"]
    with pytest.raises(ValueError, match="order must be one of"):
        archive.search(order="size")
    with pytest.raises(ValueError, match="limit"):
        archive.search(limit=0)
