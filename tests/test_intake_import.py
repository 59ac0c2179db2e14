"""``crmkit import prospects``: every row through the intake pipeline."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import func, select

from crmkit.app import Crm
from crmkit.core.importing import import_parties
from crmkit.core.parties import build_party, create_party
from crmkit.core.tables import party
from crmkit.testing import invoke

HEADER = ["first_name", "last_name", "email", "phone"]


def write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([HEADER, *rows])
    return path


def rejects(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def rows_in(crm: Crm) -> list[tuple[str, int | None, list[str]]]:
    with crm.read() as conn:
        found = conn.execute(
            select(party.c.display_name, party.c.quality, party.c.findings).order_by(party.c.id)
        )
        return [(r[0], r[1], [f["code"] for f in r[2] or []]) for r in found]


def test_hard_failures_go_to_the_rejects_file_with_their_findings_and_nothing_is_stored(
    crm: Crm, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "p.csv",
        [
            ["Test", "Test", "t@web.de", ""],
            ["Jonas", "Weber", "", ""],
            ["Anna", "Berg", "anna.berg@web.de", ""],
        ],
    )

    result = import_parties(crm, "prospect", path)

    assert (result.created, result.rejected) == (1, 2)
    fake, unreachable = rejects(result.rejects_path)
    assert (fake["row"], fake["column"], fake["field"]) == ("2", "last_name", "last_name")
    assert fake["reason"].startswith("fake_name: ")
    assert (unreachable["row"], unreachable["column"]) == ("3", "email")
    assert unreachable["reason"].startswith("no_contact_route: ")
    assert rows_in(crm) == [("Anna Berg", 100, [])]


def test_soft_failures_are_stored_with_their_findings(crm: Crm, tmp_path: Path) -> None:
    path = write(tmp_path / "p.csv", [["Anna", "Berg", "anna@", "0170 4417352"]])

    result = import_parties(crm, "prospect", path)

    assert (result.created, result.rejected) == (1, 0)
    assert rows_in(crm) == [("Anna Berg", 85, ["email_invalid"])]


def test_duplicates_in_the_file_and_in_the_database_are_merged(crm: Crm, tmp_path: Path) -> None:
    with crm.transaction() as tx:
        create_party(
            tx,
            build_party(
                "customer",
                {"first_name": "Jonas", "last_name": "Weber", "emails": ["jonas@weber.example"]},
                region="DE",
            ),
        )
    path = write(
        tmp_path / "p.csv",
        [
            ["Anna", "Berg", "anna.berg@web.de", ""],
            ["Jonas", "Weber", "jonas@weber.example", "0170 4417352"],
            ["ANNA", "BERG", "Anna.Berg@web.de", "0171 2894410"],
        ],
    )

    result = import_parties(crm, "prospect", path)

    assert (result.created, result.merged, result.rejected) == (1, 2, 0)
    with crm.read() as conn:
        assert conn.execute(select(func.count()).select_from(party)).scalar_one() == 2
    again = import_parties(crm, "prospect", path)
    assert (again.created, again.merged, again.skipped) == (0, 0, 3)


def test_the_command_reports_merges(crm: Crm, tmp_path: Path) -> None:
    path = write(
        tmp_path / "p.csv",
        [
            ["Anna", "Berg", "anna.berg@web.de", ""],
            ["Anna", "Berg", "anna.berg@web.de", "0171 2894410"],
        ],
    )

    outcome = invoke(crm, "import", "prospects", str(path))

    assert outcome.exit_code == 0, outcome.output
    assert "created 1" in outcome.output and "merged into existing 1" in outcome.output
