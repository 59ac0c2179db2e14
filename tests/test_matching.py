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
from crmkit.core.matching.bounds import reachable
from crmkit.core.matching.candidates import KeyTable, candidate_pairs
from crmkit.core.matching.clustering import cluster_pairs
from crmkit.core.matching.compare import compare
from crmkit.core.matching.estimate import estimate_weights
from crmkit.core.matching.source import read_records
from crmkit.core.matching.weights import DEFAULT_WEIGHTS
from crmkit.testing.people import DAMAGE_SETS, MAPPING, write_test_set


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


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("Portugal", "PT"),
        ("poland", "PL"),
        ("Czechia", "CZ"),
        ("Czech Republic", "CZ"),
        ("JAPAN", "JP"),
        ("CAN", "CA"),
        ("Sweden", "SE"),
        ("United Kingdom of Great Britain and Northern Ireland", "GB"),
        ("Côte d'Ivoire", "CI"),
        ("Cote D'Ivoire", "CI"),
        ("South Korea", "KR"),
        ("The Netherlands", "NL"),
        ("Deutschland", "DE"),
        ("ÖSTERREICH", "AT"),
        ("España", "ES"),
        ("pt", "PT"),
        ("Narnia", ""),
        ("Korea", ""),
        ("", ""),
    ],
)
def test_countries_are_known_by_code_alpha_3_and_name(raw: str, code: str) -> None:
    assert record(country=raw).country == code


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


BARE = {k: v for k, v in HANS.items() if k not in ("email", "phone", "birth_date")}
"""Hans with his names and address only: little evidence, so each grade decides."""


def matches(a: dict[str, str], b: dict[str, str]) -> bool:
    return score_pair(record(**a), record(**b)) >= DEFAULT_MATCH_CONFIG.auto_merge


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        # A national id with two digits swapped.
        ({**HANS, "national_id": "4817263"}, {**BARE, "national_id": "4812763"}),
        # A postcode with two digits swapped, no city to go by.
        ({**BARE, "city": "", "postcode": "10115"}, {**BARE, "city": "", "postcode": "10151"}),
        # A house number with one digit mistyped.
        (
            {**BARE, "street_number": "12", "birth_date": "1980-01-31"},
            {**BARE, "street_number": "13", "birth_date": "1980-01-30"},
        ),
        # A phone with one digit mistyped.
        (
            {
                "first_name": "Hans",
                "last_name": "Müller",
                "phone": "030 1234567",
                "birth_date": "1980-01-31",
            },
            {
                "first_name": "Hans",
                "last_name": "Müller",
                "phone": "030 1234557",
                "birth_date": "1980-01-30",
            },
        ),
        # An external id with one digit mistyped.
        (
            {"first_name": "Hans", "last_name": "Müller", "external_id": "K-104233"},
            {"first_name": "Hans", "last_name": "Müller", "external_id": "K-104323"},
        ),
    ],
)
def test_an_identifier_or_number_mistyped_by_one_digit_still_matches(
    ours: dict[str, str], theirs: dict[str, str]
) -> None:
    assert matches(ours, theirs)


@pytest.mark.parametrize(
    "changes",
    [
        {"first_name": "Hnas", "last_name": "Mülelr"},  # a letter swapped in both
        {"first_name": "Has", "last_name": "Müler"},  # a letter dropped in both
        {"first_name": "Müler", "last_name": "Hnas"},  # swapped, and both misspelt
    ],
)
def test_names_mistyped_in_both_parts_still_match(changes: dict[str, str]) -> None:
    assert matches(
        BARE | {"birth_date": "1980-01-31"}, BARE | {"birth_date": "1980-01-31", **changes}
    )


def test_one_mistyped_first_name_at_the_same_address_is_still_one_person() -> None:
    assert matches(BARE, {**BARE, "first_name": "Hnas"})


def test_a_mistyped_nickname_is_compared_as_written() -> None:
    paco = {"first_name": "Paco", "last_name": "Gómez", "birth_date": "1970-05-12", "country": "ES"}
    assert matches(paco, {**paco, "first_name": "Pato"})


@pytest.mark.parametrize(
    ("full", "short"),
    # Full names that folding changes ("michael" is "michal" once "ae" reads as "ä").
    [("Michael", "Mike"), ("Manuel", "Manolo"), ("Samuel", "Sam"), ("Stefanie", "Steffi")],
)
def test_a_nickname_is_the_name_it_stands_for(full: str, short: str) -> None:
    ours = {"first_name": full, "last_name": "Ward", "birth_date": "1970-05-12", "country": "GB"}
    assert compare(record(**ours), record(**{**ours, "first_name": short}))[0] == 1
    assert matches(ours, {**ours, "first_name": short})


@pytest.mark.parametrize(
    ("full", "typed"), [("Jennifer", "Jeenny"), ("Stefanie", "Stffi"), ("Michael", "Mdike")]
)
def test_a_nickname_with_one_typing_error_is_close_to_the_full_name(full: str, typed: str) -> None:
    """Same email and address: the first name, as typed, must not outweigh them."""
    ours = {
        "first_name": full,
        "last_name": "Rogers",
        "email": "j.rogers@example.org",
        "street": "Sunset Boulevard",
        "street_number": "133",
        "postcode": "80286",
        "city": "Denver",
        "country": "US",
    }
    assert matches(ours, {**ours, "first_name": typed})


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        ({**BARE, "postcode": "10115"}, {**BARE, "postcode": "10151"}),  # the city is kept
        (
            {**BARE, "birth_date": "1980-01-31"},
            {**BARE, "birth_date": "1980-01-31", "first_name": "Jans", "last_name": "Nüller"},
        ),  # date of birth and postcode are kept
    ],
)
def test_blocking_lets_pairs_with_a_mistyped_postcode_or_initials_meet(
    ours: dict[str, str], theirs: dict[str, str]
) -> None:
    assert set(blocking_keys(record(**ours))) & set(blocking_keys(record(**theirs)))


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        # Twins: one birth date, one address, one phone, other first names.
        ({**HANS, "email": ""}, {**HANS, "email": "", "first_name": "Lukas"}),
        (
            {**HANS, "email": "", "first_name": "Daniel"},
            {**HANS, "email": "", "first_name": "Daniela"},
        ),
        (
            {**HANS, "email": "", "first_name": "Mario"},
            {**HANS, "email": "", "first_name": "Maria"},
        ),
        # Father and son: one name, one address, one phone, other birth dates.
        ({**HANS, "email": ""}, {**HANS, "email": "", "birth_date": "2008-04-17"}),
        # Namesakes in one city, ids that differ in more than one digit.
        ({**HANS, "national_id": "4817263", "email": ""}, {**BARE, "national_id": "4817999"}),
    ],
)
def test_people_who_share_much_but_are_two_stay_apart(
    ours: dict[str, str], theirs: dict[str, str]
) -> None:
    assert score_pair(record(**ours), record(**theirs)) < DEFAULT_MATCH_CONFIG.review


def test_estimated_weights_forgive_identifiers_mistyped_more_often_than_usual() -> None:
    # Comparisons: first, last, organisation, birth date, address, email, phone, ids, country.
    same_person = (1, 1, 0, 1, 6, 0, 0, 1, 0, 0)
    id_mistyped = (1, 1, 0, 1, 6, 0, 0, 2, 0, 0)
    household = (5, 1, 0, 4, 6, 0, 1, 3, 0, 0)
    counts = {same_person: 600, id_mistyped: 400, household: 3000}
    estimated = estimate_weights(counts)
    assert estimated.levels[7][2] > DEFAULT_WEIGHTS.levels[7][2] + 1
    assert all(
        new >= old
        for new_levels, old_levels in zip(estimated.levels, DEFAULT_WEIGHTS.levels, strict=True)
        for new, old in zip(new_levels, old_levels, strict=True)
    )
    assert estimated.score(household) < DEFAULT_MATCH_CONFIG.review


def test_without_pairs_to_learn_from_the_fixed_weights_stay() -> None:
    estimated = estimate_weights({})
    assert estimated.prior == DEFAULT_WEIGHTS.prior
    for new_levels, old_levels in zip(estimated.levels, DEFAULT_WEIGHTS.levels, strict=True):
        assert new_levels == pytest.approx(old_levels, abs=0.01)


def test_typed_damage_mistypes_digits_and_classic_damage_writes_the_set_it_always_did(
    tmp_path: Path,
) -> None:
    classic, typed = tmp_path / "classic", tmp_path / "typed"
    classic.mkdir(), typed.mkdir()
    write_test_set(classic, 2000, seed=5)
    write_test_set(typed, 2000, seed=5, damage=DAMAGE_SETS["typed"])
    with (classic / "people.csv").open(newline="") as text:
        rows = list(csv.DictReader(text))
    assert not any(row["customer_no"] for row in rows)
    # The first rows of seed 5 as the generator wrote them before typed damage existed.
    assert [(r["id"], r["given_name"], r["family_name"], r["zip"]) for r in rows[:2]] == [
        ("R0001", "Stefanie", "Otto", "70861"),
        ("R0002", "Sophie", "Moore", "EH0 1CC"),
    ]
    source = read_records(
        typed / "people.csv", id_column="id", mapping=MAPPING, default_region="DE", workers=0
    )
    by_id = dict(zip(source.ids, source.records, strict=True))
    mistyped = [
        (by_id[a], by_id[b])
        for a, b in _true_pairs(typed / "people.pairs.csv")
        if by_id[a].postcode != by_id[b].postcode
        and len(by_id[a].postcode) == len(by_id[b].postcode)
        and sum(x != y for x, y in zip(by_id[a].postcode, by_id[b].postcode, strict=True)) <= 2
        and by_id[a].city == by_id[b].city
    ]
    assert mistyped


def test_candidate_pairs_are_the_distinct_pairs_sharing_a_key_of_a_small_block() -> None:
    keys = [
        ["e:a", "n:x"],  # 0
        ["e:a", "n:x", "p:1"],  # 1: shares two keys with 0, counted once
        ["p:1", "big"],  # 2
        ["big"],  # 3
        ["big", "n:y"],  # 4
        ["n:y"],  # 5
        ["alone"],  # 6
    ]
    table = KeyTable()
    for record_keys in keys:
        table.add(record_keys)
    first, second = candidate_pairs(table, max_block_size=2)
    # "big" has three records, more than a block may hold: it brings no pairs.
    assert list(zip(first.tolist(), second.tolist(), strict=True)) == [(0, 1), (1, 2), (4, 5)]
    first, second = candidate_pairs(table, max_block_size=3)
    assert list(zip(first.tolist(), second.tolist(), strict=True)) == [
        (0, 1),
        (1, 2),
        (2, 3),
        (2, 4),
        (3, 4),
        (4, 5),
    ]


@pytest.mark.parametrize(
    "threshold", [DEFAULT_MATCH_CONFIG.auto_merge, DEFAULT_MATCH_CONFIG.review]
)
def test_only_candidate_pairs_that_cannot_reach_the_threshold_are_left_out(
    tmp_path: Path, threshold: float
) -> None:
    test_set = write_test_set(tmp_path, 3000, seed=11, damage=DAMAGE_SETS["typed"])
    source = read_records(
        test_set.csv_path, id_column="id", mapping=MAPPING, default_region="DE", workers=0
    )
    first, second = candidate_pairs(source.keys, DEFAULT_MATCH_CONFIG.max_block_size)
    possible = reachable(source.records, first, second, DEFAULT_WEIGHTS, threshold)
    scores = [
        score_pair(source.records[a], source.records[b])
        for a, b in zip(first.tolist(), second.tolist(), strict=True)
    ]
    assert all(
        ok for ok, score in zip(possible.tolist(), scores, strict=True) if score >= threshold
    )
    assert sum(possible.tolist()) < 0.8 * len(scores)  # many are told apart unseen
