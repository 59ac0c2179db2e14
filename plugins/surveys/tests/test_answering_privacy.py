"""A party's responses in a merge, a data export and an erasure."""

from __future__ import annotations

from typing import Any

import pytest
from crmkit_surveys.answering.tables import answer, response
from sqlalchemy import select

from crmkit import Crm, erase_party, export_party, merge_parties
from crmkit.testing import add_user


@pytest.fixture
def detractor(
    crm: Crm,
    respondent: Any,
    publish_survey: Any,
    invite: Any,
    new_party: Any,
    sample_definition: Any,
) -> tuple[int, int]:
    """A party who answered the sample survey as a detractor, with a reason: (party, response)."""
    survey_id = publish_survey(crm, "Service follow-up", sample_definition)
    party = new_party()
    token, invitation_id = invite(crm, survey_id, party)
    browser = respondent(token)
    reason = browser.send(
        browser.open(), {"q.nps": "2", "q.topics._other": True, "q.topics._text": "Rude driver"}
    )
    browser.send(reason, {"q.why": "Call me: 0171 555"}, "Send my answers")
    with crm.read() as conn:
        response_id = conn.execute(
            select(response.c.id).where(response.c.invitation_id == invitation_id)
        ).scalar_one()
    return party, int(response_id)


def rows(crm: Crm, response_id: int) -> tuple[Any, dict[str, Any]]:
    with crm.read() as conn:
        found = conn.execute(select(response).where(response.c.id == response_id)).one()
        answers = conn.execute(select(answer).where(answer.c.response_id == response_id))
        return found, {row.question: row for row in answers}


def test_a_merge_moves_the_responses_to_the_survivor(
    crm: Crm, detractor: tuple[int, int], new_party: Any
) -> None:
    merged, response_id = detractor
    survivor = new_party(first_name="Ada", emails=["ada.lovelace@example.org"])
    with crm.transaction() as tx:
        merge_parties(tx, survivor, merged)
    assert rows(crm, response_id)[0].party_id == survivor


def test_an_export_holds_the_responses_with_their_answers(
    crm: Crm, detractor: tuple[int, int]
) -> None:
    party, response_id = detractor
    with crm.read() as conn:
        exported = export_party(conn, crm.host, party)["surveys"]["responses"]
    [only] = exported
    assert (only["id"], only["survey"], only["status"]) == (
        response_id,
        "Service follow-up",
        "completed",
    )
    assert {a["question"]: (a["score"], a["choices"], a["text"]) for a in only["answers"]} == {
        "nps": (2, None, None),
        "topics": (None, [], "Rude driver"),
        "why": (None, None, "Call me: 0171 555"),
    }


def test_an_erasure_keeps_the_scores_anonymous_and_blanks_what_was_written(
    crm: Crm, detractor: tuple[int, int], client_as: Any
) -> None:
    party, response_id = detractor
    survey_id = rows(crm, response_id)[0].survey_id
    reader = client_as(add_user(crm, "ada", "admin"))
    before = reader.get(f"/p/surveys/surveys/{survey_id}/results").json()
    with crm.transaction() as tx:
        erase_party(tx, party)
    found, answers = rows(crm, response_id)
    assert found.party_id is None and found.status == "completed"
    assert answers["nps"].score == 2
    # "Other" was chosen, and stays chosen; only what was written beside it is gone.
    assert answers["topics"].choices == [] and answers["topics"].text == ""
    assert answers["why"].text == ""
    assert reader.get(f"/p/surveys/surveys/{survey_id}/results").json() == before
    for words in ("Rude", "Call"):
        found_texts = reader.get(
            f"/p/surveys/surveys/{survey_id}/answers/search", params={"q": words}
        )
        assert found_texts.json()["items"] == [], found_texts.text
