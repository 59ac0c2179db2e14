"""Free-text search and the CSV export show single responses: only of parties the reader sees,
and anonymous ones; the export's cells never run as spreadsheet formulas."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import pytest
from attrs import frozen

from crmkit import Crm
from crmkit.testing import add_user


@frozen
class Seeded:
    survey: tuple[int, int]
    ada: int
    bob: int
    responses: dict[str, int]


@pytest.fixture
def seeded(crm: Crm, staff: Any, results_kit: Any, new_party: Any) -> Seeded:
    """Ada: a customer in Berlin owned by the north team's manager; Bob: an unowned prospect
    in Paris; and somebody anonymous. Each wrote about the delivery."""
    survey = results_kit.survey()
    ada = new_party(owner_id=staff.manager.user_id)
    bob = new_party(
        first_name="Bob",
        last_name="Martin",
        role="prospect",
        emails=["bob@example.org"],
        addresses=[{"street": "1 Rue", "postcode": "75001", "city": "Paris", "country": "FR"}],
    )
    day = datetime(2026, 5, 4, 10, tzinfo=UTC)
    responses = {
        "ada": results_kit.respond(
            survey,
            {"nps": 3, "why": "The DELIVERY was late", "topics": (["price"], "=HYPERLINK(1)")},
            party_id=ada,
            at=day,
        ),
        "bob": results_kit.respond(
            survey, {"nps": 10, "why": "Fast delivery, thanks"}, party_id=bob, at=day
        ),
        "nobody": results_kit.respond(
            survey, {"nps": 7, "csat": 4, "why": "delivery ok, price 100%"}, at=day
        ),
        "other": results_kit.respond(survey, {"nps": 9, "why": "Friendly staff"}, at=day),
    }
    return Seeded(survey, ada, bob, responses)


def search(client: Any, survey_id: int, **params: Any) -> Any:
    answer = client.get(f"/p/surveys/surveys/{survey_id}/answers/search", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_search_finds_every_word_without_case_newest_first_with_a_link(
    staff: Any, client_as: Any, seeded: Seeded
) -> None:
    client = client_as(staff.marketer)
    found = search(client, seeded.survey[0], q="delivery")
    assert [h["response_id"] for h in found["items"]] == [
        seeded.responses[who] for who in ("nobody", "bob", "ada")
    ]
    ada = found["items"][2]
    assert ada["text"] == "The DELIVERY was late" and ada["party_name"] == "Ada Lovelace"
    assert ada["scores"] == {"nps": 3}
    assert ada["url"] == f"/p/surveys/page/responses/{seeded.responses['ada']}"
    assert [h["text"] for h in search(client, seeded.survey[0], q="late delivery")["items"]] == [
        "The DELIVERY was late"
    ]
    # % and _ are the words themselves, not wildcards.
    assert [h["text"] for h in search(client, seeded.survey[0], q="100%")["items"]] == [
        "delivery ok, price 100%"
    ]
    assert search(client, seeded.survey[0], q="1_0")["items"] == []
    # The "other" of a choice is searched too.
    assert [h["question"] for h in search(client, seeded.survey[0], q="hyperlink")["items"]] == [
        "topics"
    ]


def test_search_filters_by_question_score_and_date_and_pages(
    staff: Any, client_as: Any, seeded: Seeded
) -> None:
    client = client_as(staff.marketer)
    survey_id = seeded.survey[0]
    detractors = search(client, survey_id, q="delivery", score_question="nps", max_score=6)
    assert [h["response_id"] for h in detractors["items"]] == [seeded.responses["ada"]]
    assert search(client, survey_id, q="delivery", question="topics")["items"] == []
    assert search(client, survey_id, q="delivery", **{"from": "2026-05-05"})["items"] == []
    first = search(client, survey_id, q="delivery", limit=2)
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = search(client, survey_id, q="delivery", limit=2, cursor=first["next_cursor"])
    assert [h["response_id"] for h in rest["items"]] == [seeded.responses["ada"]]
    assert rest["next_cursor"] is None


def test_search_shows_only_parties_the_reader_sees_and_anonymous_answers(
    crm: Crm, staff: Any, client_as: Any, seeded: Seeded
) -> None:
    # A manager of Paris does not see Ada, owned by the north team in Berlin.
    paris = add_user(crm, "fred", "manager", team="west", territories=("FR-75",))
    found = search(client_as(paris), seeded.survey[0], q="delivery")
    assert {h["party_id"] for h in found["items"]} == {seeded.bob, None}
    assert all("late" not in h["text"] for h in found["items"])
    # A service agent sees customers, not prospects.
    agent = search(client_as(staff.agent), seeded.survey[0], q="delivery")
    assert {h["party_id"] for h in agent["items"]} == {seeded.ada, None}
    # Aggregates still count every response.
    answer = client_as(paris).get(f"/p/surveys/surveys/{seeded.survey[0]}/results")
    assert answer.json()["responses"] == 4


def rows_of(answer: Any) -> list[dict[str, str]]:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(answer.text)))


def test_the_csv_has_a_row_per_response_and_a_column_per_question(
    staff: Any, client_as: Any, seeded: Seeded
) -> None:
    answer = client_as(staff.marketer).get(f"/p/surveys/surveys/{seeded.survey[0]}/export.csv")
    assert "attachment" in answer.headers["content-disposition"]
    header = answer.text.splitlines()[0]
    assert header == (
        '"response_id","status","completed_at","language","party_id","party_name",'
        '"nps","csat","ease","topics","topics.other","why"'
    )
    rows = rows_of(answer)
    assert [int(r["response_id"]) for r in rows] == sorted(seeded.responses.values())
    ada = rows[0]
    assert ada["party_id"] == str(seeded.ada) and ada["party_name"] == "Ada Lovelace"
    assert (ada["nps"], ada["csat"], ada["topics"], ada["why"]) == (
        "3",
        "",
        "price",
        "The DELIVERY was late",
    )
    assert ada["completed_at"] == "2026-05-04T10:00:00+00:00"
    # A planted formula is written as text.
    assert ada["topics.other"] == "'=HYPERLINK(1)"
    assert rows[2]["party_id"] == "" and rows[2]["csat"] == "4"


def test_the_csv_leaves_out_parties_the_reader_does_not_see(
    crm: Crm, client_as: Any, seeded: Seeded
) -> None:
    paris = add_user(crm, "fred", "manager", team="west", territories=("FR-75",))
    rows = rows_of(client_as(paris).get(f"/p/surveys/surveys/{seeded.survey[0]}/export.csv"))
    assert [r["party_id"] for r in rows] == [str(seeded.bob), "", ""]
    dated = client_as(paris).get(
        f"/p/surveys/surveys/{seeded.survey[0]}/export.csv", params={"to": "2026-05-03"}
    )
    assert rows_of(dated) == []
