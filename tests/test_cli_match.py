"""``crmkit match``: duplicate pairs of a CSV file, and clear errors for bad options."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from crmkit.app import Crm
from crmkit.testing import invoke
from crmkit.testing.people import DAMAGE_SETS, MAPPING, evaluate, write_test_set

MAP_OPTIONS = [
    option for column, field in MAPPING.items() for option in ("--map", f"{column}={field}")
]


def test_match_writes_the_duplicate_pairs_of_a_generated_set(crm: Crm, tmp_path: Path) -> None:
    test_set = write_test_set(tmp_path, 2000, seed=3)
    out = tmp_path / "pairs.csv"
    result = invoke(
        crm, "match", str(test_set.csv_path), "--id", "id", *MAP_OPTIONS, "--out", str(out)
    )
    assert result.exit_code == 0, result.output
    with out.open(newline="") as text:
        rows = list(csv.reader(text))
    assert rows[0] == ["id_a", "id_b", "score"]
    assert all(a < b and 0.9 <= float(score) <= 1.0 for a, b, score in rows[1:])
    assert evaluate(out, test_set).f1 >= 0.99


@pytest.mark.parametrize("weights", [[], ["--estimate-weights"]])
def test_match_finds_the_duplicates_of_typed_in_data_with_fixed_or_estimated_weights(
    crm: Crm, tmp_path: Path, weights: list[str]
) -> None:
    test_set = write_test_set(tmp_path, 2000, seed=3, damage=DAMAGE_SETS["typed"])
    out = tmp_path / "pairs.csv"
    result = invoke(
        crm,
        "match",
        str(test_set.csv_path),
        "--id",
        "id",
        *MAP_OPTIONS,
        "--out",
        str(out),
        *weights,
    )
    assert result.exit_code == 0, result.output
    quality = evaluate(out, test_set)
    assert quality.precision >= 0.995 and quality.f1 >= 0.99


def test_review_pairs_are_written_only_when_asked(crm: Crm, tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    source.write_text(
        "id,first_name,last_name,city,birth_date\n"
        "1,Hans,Müller,Berlin,\n"
        "2,Hans,Müller,Berlin,1980-01-31\n"
        "3,Anna,Schmidt,Köln,1990-02-02\n",
        encoding="utf-8",
    )
    merged, reviewed = tmp_path / "merge.csv", tmp_path / "review.csv"
    assert invoke(crm, "match", str(source), "--id", "id", "--out", str(merged)).exit_code == 0
    assert (
        invoke(
            crm, "match", str(source), "--id", "id", "--out", str(reviewed), "--review"
        ).exit_code
        == 0
    )
    assert merged.read_text().splitlines() == ["id_a,id_b,score"]
    assert [line.split(",")[:2] for line in reviewed.read_text().splitlines()[1:]] == [["1", "2"]]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--id", "id", "--map", "given=nickname"], "'nickname' is not one of"),
        (["--id", "id", "--map", "missing=first_name"], "no column 'missing'"),
        (["--id", "record"], "--id: the file has no column 'record'"),
        (["--id", "id", "--map", "given"], "'given' is not CSVCOLUMN=FIELD"),
        (["--id", "id", "--map", "given=last_name", "--map", "id=last_name"], "last_name is read"),
    ],
)
def test_bad_options_are_refused_naming_the_option(
    crm: Crm, tmp_path: Path, options: list[str], message: str
) -> None:
    source = tmp_path / "people.csv"
    source.write_text("id,given\n1,Hans\n", encoding="utf-8")
    out = tmp_path / "pairs.csv"
    result = invoke(crm, "match", str(source), *options, "--out", str(out))
    assert result.exit_code != 0
    assert message in result.output
    assert not out.exists()


def test_an_unreadable_file_is_refused(crm: Crm, tmp_path: Path) -> None:
    result = invoke(
        crm, "match", str(tmp_path / "nothing.csv"), "--id", "id", "--out", str(tmp_path / "o.csv")
    )
    assert result.exit_code != 0
    assert "no readable file" in result.output


def test_a_duplicate_id_is_refused_naming_its_line(crm: Crm, tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    source.write_text("id,first_name\n1,Hans\n1,Anna\n", encoding="utf-8")
    result = invoke(crm, "match", str(source), "--id", "id", "--out", str(tmp_path / "o.csv"))
    assert result.exit_code != 0
    assert "line 3: id '1' again" in result.output


def test_phones_of_several_columns_are_all_compared(crm: Crm, tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    source.write_text(
        "id,first_name,last_name,phone,mobile\n"
        "1,Hans,Müller,030 1234567,\n"
        "2,Hans,Müller,,+49 30 1234567\n",
        encoding="utf-8",
    )
    out = tmp_path / "pairs.csv"
    result = invoke(
        crm, "match", str(source), "--id", "id", "--map", "mobile=phone", "--out", str(out)
    )
    assert result.exit_code == 0, result.output
    assert [line.split(",")[:2] for line in out.read_text().splitlines()[1:]] == [["1", "2"]]
