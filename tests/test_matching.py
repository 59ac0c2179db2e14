"""Identity matching: normalisation, blocking, scoring and finding duplicates in a set of records."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from crmkit import ValidationError, build_party
from crmkit.core.matching import (
    DEFAULT_MATCH_CONFIG,
    MatchConfig,
    blocking_keys,
    find_duplicates,
    record_from_fields,
    record_from_party,
    score_pair,
)
from crmkit.core.matching.clustering import cluster_pairs
from crmkit.core.matching.source import read_records
from crmkit.testing.people import MAPPING, write_test_set


def record(**fields: str) -> object:
    return record_from_fields(fields, default_region="DE")


HANS = {
    "first_name": "Hans",
    "last_name": "Müller",
    "birth_date": "1980-01-31",
    "email": "hans.mueller@mail.example",
    "phone": "030 1234567",
    "street": "Hauptstraße",
    "street_number": "12",
    "postcode": "10115",
    "city": "Berlin",
}


@pytest.mark.parametrize(
    "raw", ["19800131", "1980-01-31", "31/01/1980", "31.01.1980", "31-01-1980"]
)
def test_birth_dates_in_every_common_format_are_read(raw: str) -> None:
    assert record(birth_date=raw).birth_date == date(1980, 1, 31)


def test_month_first_dates_are_read_in_us_records_and_where_day_first_is_impossible() -> None:
    assert record(birth_date="01/02/1980", country="US").birth_date == date(1980, 1, 2)
    assert record(birth_date="01/02/1980").birth_date == date(1980, 2, 1)
    assert record(birth_date="12/31/1980").birth_date == date(1980, 12, 31)
    assert record(birth_date="not a date").birth_date is None


def test_values_are_normalised_for_matching() -> None:
    hans = record(
        full_name="Dr. Hans Mueller",
        email=" Hans.Mueller+news@Mail.Example ; broken",
        phone="+49 (30) 1234567;0049 30 1234567",
        street="Hauptstr. 12",
        country="Deutschland",
    )
    assert (hans.first_name, hans.last_name) == ("hans", "muller")
    assert hans.emails == ("hans.mueller@mail.example",)
    assert hans.phones == ("+49301234567",)
    assert (hans.street, hans.street_number, hans.country) == ("hauptstr", "12", "DE")
    assert record(full_name="Müller, Hans").first_name == "hans"
    assert (
        record(organisation="Brandt Maschinenbau GmbH & Co. KG").organisation
        == "brandt maschinenbau"
    )


def test_an_unknown_default_region_is_refused_naming_it() -> None:
    with pytest.raises(ValidationError) as error:
        record_from_fields({}, default_region="XX")
    assert error.value.field == "default_region"


def test_a_stored_party_gives_the_same_record_as_its_fields() -> None:
    party = build_party(
        "prospect",
        {
            "first_name": "Hans",
            "last_name": "Müller",
            "birth_date": "1980-01-31",
            "emails": ["Hans.Mueller@mail.example"],
            "phones": ["030 1234567"],
            "addresses": [
                {
                    "street": "Hauptstraße",
                    "street_number": "12",
                    "postcode": "10115",
                    "city": "Berlin",
                }
            ],
        },
        region="DE",
    )
    assert record_from_party(party) == record(**HANS)


def test_blocking_keys_are_short_and_shared_by_a_duplicate_with_swapped_names() -> None:
    hans = record(**HANS)
    swapped = record(first_name="Müller", last_name="Hans", birth_date="31.01.1980")
    assert all(len(key) <= 64 for key in blocking_keys(hans))
    assert set(blocking_keys(hans)) & set(blocking_keys(swapped))


@pytest.mark.parametrize(
    "changes",
    [
        {"first_name": "Müller", "last_name": "Hans"},  # swapped
        {"first_name": "Johannes", "email": "", "phone": ""},  # a nickname
        {"last_name": "Mülelr", "email": ""},  # a typing error
        {"birth_date": "19800131", "street": "Hauptstr. 12", "street_number": ""},
        {"first_name": "", "last_name": "", "full_name": "Müller, Hans", "phone": "+49301234567"},
    ],
)
def test_a_damaged_copy_scores_above_the_merge_threshold(changes: dict[str, str]) -> None:
    assert (
        score_pair(record(**HANS), record(**{**HANS, **changes})) >= DEFAULT_MATCH_CONFIG.auto_merge
    )


def test_household_members_and_colleagues_are_different_parties() -> None:
    hans = record(**HANS)
    wife = record(**{**HANS, "first_name": "Anna", "birth_date": "1982-05-03", "email": ""})
    son = record(**{**HANS, "first_name": "Lukas", "birth_date": "", "email": ""})
    father = record(**{**HANS, "birth_date": "1950-07-01", "email": ""})
    colleague = record(
        first_name="Jürgen",
        last_name="Schmidt",
        organisation="Brandt GmbH",
        phone="030 1234567",
        street="Hauptstraße",
        street_number="12",
        postcode="10115",
        city="Berlin",
    )
    for other in (wife, son, father, colleague):
        assert score_pair(hans, other) < DEFAULT_MATCH_CONFIG.review


def test_scores_are_symmetric_and_within_bounds() -> None:
    hans, other = record(**HANS), record(first_name="Anna", last_name="Schmidt")
    assert score_pair(hans, other) == score_pair(other, hans)
    assert 0.0 <= score_pair(hans, other) < score_pair(hans, hans) <= 1.0


def test_a_review_threshold_above_the_merge_threshold_is_refused() -> None:
    with pytest.raises(ValidationError) as error:
        MatchConfig(auto_merge=0.8, review=0.9)
    assert error.value.field == "review"


def test_find_duplicates_gives_every_pair_of_a_party_once_ordered() -> None:
    records = {
        "c": record(**HANS),
        "a": record(**{**HANS, "last_name": "Mueller", "email": ""}),
        "b": record(**{**HANS, "first_name": "Johannes", "phone": ""}),
        "d": record(first_name="Anna", last_name="Schmidt", birth_date="1990-02-02"),
    }
    pairs = sorted(find_duplicates(records))
    assert [(a, b) for a, b, _ in pairs] == [("a", "b"), ("a", "c"), ("b", "c")]
    assert all(score >= DEFAULT_MATCH_CONFIG.auto_merge for *_, score in pairs)


def _true_pairs(path: Path) -> set[tuple[str, str]]:
    with path.open(newline="") as text:
        return {(row[0], row[1]) for row in list(csv.reader(text))[1:]}


@pytest.mark.parametrize("workers", [0, 2])
def test_duplicates_in_a_generated_set_are_found_with_f1_of_at_least_099(
    tmp_path: Path, workers: int
) -> None:
    test_set = write_test_set(tmp_path, 3000, seed=7)
    source = read_records(
        test_set.csv_path, id_column="id", mapping=MAPPING, default_region="DE", workers=workers
    )
    found = {
        (a, b)
        for a, b, _ in find_duplicates(
            dict(zip(source.ids, source.records, strict=True)), workers=workers
        )
    }
    true = _true_pairs(test_set.pairs_path)
    correct = len(found & true)
    precision, recall = correct / len(found), correct / len(true)
    assert 2 * precision * recall / (precision + recall) >= 0.99


def test_the_example_in_the_matching_guide_holds() -> None:
    page = (Path(__file__).parents[1] / "docs" / "matching.md").read_text(encoding="utf-8")
    example = page.split("```python\n", 1)[1].split("```", 1)[0]
    exec(compile(example, "docs/matching.md", "exec"), {})


def test_a_chain_of_matches_makes_one_party_scored_by_its_weakest_link() -> None:
    matches = [(0, 1, 0.99), (1, 2, 0.92), (3, 4, 0.95)]
    pairs = {(min(a, b), max(a, b)): s for a, b, s in cluster_pairs(matches, max_cluster_size=50)}
    assert pairs == {(0, 1): 0.99, (0, 2): 0.92, (1, 2): 0.92, (3, 4): 0.95}


def test_no_chain_joins_more_records_than_the_cluster_limit() -> None:
    chain = [(i, i + 1, 0.99 - i / 100) for i in range(5)]
    pairs = list(cluster_pairs(chain, max_cluster_size=3))
    members = {x for a, b, _ in pairs for x in (a, b)}
    assert members == {0, 1, 2, 3, 4, 5}
    assert max(len({x for p in pairs if n in p[:2] for x in p[:2]}) for n in members) <= 3


def _write_people(
    path: Path, rows: list[list[str]], encoding: str = "utf-8", line_end: str = "\r\n"
) -> None:
    with path.open("w", newline="", encoding=encoding) as text:
        csv.writer(text, lineterminator=line_end).writerows(
            [["id", "first_name", "last_name", "street"], *rows]
        )


@pytest.mark.parametrize("workers", [0, 2])
def test_quoted_line_breaks_survive_cutting_the_file_into_parts(
    tmp_path: Path, workers: int
) -> None:
    # Every row's street holds a line break and quotes, so any cut could land inside one.
    rows = [[f"r{n}", "Hans", f"Mü{n}", f'Haupt\n"{n}" straße'] for n in range(500)]
    path = tmp_path / "people.csv"
    _write_people(path, rows)
    source = read_records(path, id_column="id", mapping={}, default_region="DE", workers=workers)
    assert source.ids == [row[0] for row in rows]
    assert [r.street for r in source.records] == [f"haupt {n} str" for n in range(500)]


def test_a_bad_row_deep_in_a_file_is_reported_at_its_line(tmp_path: Path) -> None:
    rows = [[f"r{n}", "Hans", "Müller", "Haupt\nstraße"] for n in range(300)]
    rows[250][0] = "r3"
    path = tmp_path / "people.csv"
    _write_people(path, rows)
    with pytest.raises(ValidationError) as error:
        read_records(path, id_column="id", mapping={}, default_region="DE", workers=0)
    # Each row takes two lines: the header is line 1, row 250 (from 0) ends on line 503.
    assert error.value.field == "--id"
    assert "line 503: id 'r3' again" in error.value.reason


@pytest.mark.parametrize(("encoding", "line_end"), [("utf-16", "\n"), ("utf-8", "\r")])
def test_a_file_that_cannot_be_cut_at_line_ends_is_read_whole(
    tmp_path: Path, encoding: str, line_end: str
) -> None:
    path = tmp_path / "people.csv"
    rows = [["1", "Jürgen", "Weiß", ""], ["2", "Anna", "Groß", ""]]
    _write_people(path, rows, encoding, line_end)
    source = read_records(
        path, id_column="id", mapping={}, default_region="DE", encoding=encoding, workers=0
    )
    assert source.ids == ["1", "2"]
    assert [r.last_name for r in source.records] == ["weiss", "gross"]
