"""Staff read responses: a survey's list and one response with its answers, as JSON and as
pages. A response of a party the reader may not see is left out and not found; anonymous
responses are seen by every reader; a role without the permission is refused."""

from __future__ import annotations

from typing import Any

import pytest
from crmkit_surveys.answering.tables import response
from sqlalchemy import select

from crmkit import Crm

PARIS = {"street": "1 Rue de Rivoli", "postcode": "75001", "city": "Paris", "country": "FR"}


def answer_all(respondent: Any, token: str, nps: str, why: str = "Too slow") -> None:
    browser = respondent(token)
    page = browser.open()
    last = browser.send(page, {"q.nps": nps, "q.topics.price": True})
    if int(nps) <= 6:
        browser.send(last, {"q.why": why}, "Send my answers")


@pytest.fixture
def answered(
    crm: Crm,
    respondent: Any,
    publish_survey: Any,
    invite: Any,
    new_party: Any,
    sample_definition: Any,
    staff: Any,
) -> dict[str, int]:
    """A survey answered by a customer in Berlin (in German), one in Paris owned by the sales
    rep there, a prospect in
    Berlin, and anonymously; a partial answer of another Berlin customer. Response ids by who."""
    survey_id = publish_survey(crm, "Service follow-up", sample_definition)
    berlin = new_party(first_name="Bert")
    paris = new_party(first_name="Paule", addresses=[PARIS], owner_id=staff.outsider.user_id)
    prospect = new_party(role="prospect", first_name="Pia")
    partial = new_party(first_name="Paul")
    tokens = {
        "berlin": invite(crm, survey_id, berlin, language="de"),
        "paris": invite(crm, survey_id, paris),
        "prospect": invite(crm, survey_id, prospect),
        "anonymous": invite(crm, survey_id),
        "partial": invite(crm, survey_id, partial),
    }
    browser = respondent(tokens["berlin"][0])
    reason = browser.send(browser.open(), {"q.nps": "3", "q.topics.speed": True})
    browser.send(reason, {"q.why": "Zu langsam"}, "Antworten senden")
    answer_all(respondent, tokens["paris"][0], "9")
    answer_all(respondent, tokens["prospect"][0], "7")
    answer_all(respondent, tokens["anonymous"][0], "10")
    partly = respondent(tokens["partial"][0])
    partly.send(partly.open(), {"q.nps": "1"})
    with crm.read() as conn:
        rows = conn.execute(select(response.c.id, response.c.invitation_id)).all()
    by_invitation = {row.invitation_id: row.id for row in rows}
    return {
        "survey": survey_id,
        **{who: by_invitation[made[1]] for who, made in tokens.items()},
    }


def listed(client: Any, survey_id: int, **query: Any) -> list[int]:
    got = client.get(f"/p/surveys/surveys/{survey_id}/responses", params=query)
    assert got.status_code == 200, got.text
    return [item["id"] for item in got.json()["items"]]


def test_each_reader_lists_the_responses_of_the_parties_they_see(
    answered: dict[str, int], staff: Any, client_as: Any
) -> None:
    survey = answered["survey"]
    everyone = {answered[w] for w in ("berlin", "paris", "prospect", "anonymous", "partial")}
    assert set(listed(client_as(staff.marketer), survey)) == everyone
    # Territory DE-10: Berlin's parties, not Paris.
    manager = client_as(staff.manager)
    assert set(listed(manager, survey)) == everyone - {answered["paris"]}
    # Service sees customers, not prospects.
    assert set(listed(client_as(staff.agent), survey)) == everyone - {answered["prospect"]}
    assert (
        client_as(staff.outsider).get(f"/p/surveys/surveys/{survey}/responses").status_code == 403
    )


def test_a_response_of_a_party_the_reader_does_not_see_is_not_found(
    answered: dict[str, int], staff: Any, client_as: Any
) -> None:
    manager = client_as(staff.manager)
    assert manager.get(f"/p/surveys/responses/{answered['paris']}").status_code == 404
    assert manager.get(f"/p/surveys/page/responses/{answered['paris']}").status_code == 404
    assert manager.get(f"/p/surveys/responses/{answered['anonymous']}").status_code == 200
    assert manager.get("/p/surveys/responses/999999").status_code == 404
    assert (
        client_as(staff.outsider).get(f"/p/surveys/responses/{answered['berlin']}").status_code
        == 403
    )


def test_a_response_shows_its_answers_in_its_language(
    answered: dict[str, int], staff: Any, client_as: Any
) -> None:
    found = client_as(staff.manager).get(f"/p/surveys/responses/{answered['berlin']}").json()
    assert found["survey"] == {"id": answered["survey"], "name": "Service follow-up"}
    assert found["response"]["status"] == "completed"
    assert found["response"]["language"] == "de"
    assert [(a["question"], a["label"]) for a in found["answers"]] == [
        ("nps", "Wie wahrscheinlich ...?"),
        ("topics", "Was war wichtig?"),
        ("why", "Was besser?"),
    ]
    nps, topics, why = found["answers"]
    assert (nps["score"], nps["scale"]) == (3, [0, 10])
    assert topics["choices"] == [{"key": "speed", "label": "Tempo"}]
    assert why["text"] == "Zu langsam"
    page = client_as(staff.manager).get(f"/p/surveys/page/responses/{answered['berlin']}")
    assert page.status_code == 200
    assert "Was besser?" in page.text and "Zu langsam" in page.text and "Bert" in page.text


def test_the_list_filters_by_status_and_day_and_pages(
    answered: dict[str, int], staff: Any, client_as: Any
) -> None:
    survey, marketer = answered["survey"], client_as(staff.marketer)
    assert listed(marketer, survey, status="partial") == [answered["partial"]]
    assert answered["partial"] not in listed(marketer, survey, status="completed")
    assert listed(marketer, survey, since="2999-01-01") == []
    assert len(listed(marketer, survey, since="2000-01-01")) == 5
    first = marketer.get(f"/p/surveys/surveys/{survey}/responses", params={"limit": 2}).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    for bad, field in (
        ({"status": "done"}, "status"),
        ({"since": "yesterday"}, "since"),
        ({"limit": "0"}, "limit"),
        ({"party": "1"}, "party"),
    ):
        refused = marketer.get(f"/p/surveys/surveys/{survey}/responses", params=bad)
        assert refused.status_code == 422 and refused.json()["field"] == field
    assert marketer.get("/p/surveys/surveys/999999/responses").status_code == 404


def test_the_responses_page_lists_what_the_reader_sees(
    answered: dict[str, int], staff: Any, client_as: Any
) -> None:
    page = client_as(staff.manager).get(f"/p/surveys/page/surveys/{answered['survey']}/responses")
    assert page.status_code == 200
    assert "Bert" in page.text and "Paule" not in page.text and "anonymous" in page.text
    assert "NPS 3" in page.text
    assert f'href="/p/surveys/page/responses/{answered["berlin"]}"' in page.text
    partial = client_as(staff.manager).get(
        f"/p/surveys/page/surveys/{answered['survey']}/responses", params={"status": "partial"}
    )
    assert "Paul" in partial.text and "Bert" not in partial.text
