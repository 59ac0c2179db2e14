"""A completed answer on the party's timeline: who answered which survey with what score,
what they wrote (escaped), a link to the answers."""

from __future__ import annotations

from typing import Any

from crmkit_surveys.answering.tables import response
from sqlalchemy import select

from crmkit import Crm, timeline
from crmkit.testing import add_user


def test_the_answer_is_on_the_partys_timeline(
    crm: Crm,
    respondent: Any,
    publish_survey: Any,
    invite: Any,
    new_party: Any,
    sample_definition: Any,
    client_as: Any,
) -> None:
    survey_id = publish_survey(crm, "Service follow-up", sample_definition)
    party = new_party()
    token, invitation_id = invite(crm, survey_id, party)
    browser = respondent(token)
    reason = browser.send(browser.open(), {"q.nps": "3"})
    browser.send(reason, {"q.why": "<b>Late</b> & rude"}, "Send my answers")
    with crm.read() as conn:
        found = conn.execute(
            select(response).where(response.c.invitation_id == invitation_id)
        ).one()
    with crm.read() as conn:
        [entry] = timeline(conn, party).items
    assert (entry.source, entry.channel, entry.direction) == ("surveys", "web", "inbound")
    assert entry.subject == "Answered Service follow-up: NPS 3"
    assert entry.summary == "<b>Late</b> & rude"
    assert [(r.kind, r.id) for r in entry.refs] == [("surveys.response", str(found.id))]

    page = client_as(add_user(crm, "ada", "admin")).get(f"/parties/{party}")
    assert page.status_code == 200
    assert "Answered Service follow-up: NPS 3" in page.text
    assert f'href="/p/surveys/page/responses/{found.id}"' in page.text
    assert "&lt;b&gt;Late&lt;/b&gt; &amp; rude" in page.text and "<b>Late</b>" not in page.text


def test_an_unanswered_score_leaves_it_out_of_the_subject(
    crm: Crm,
    respondent: Any,
    publish_survey: Any,
    invite: Any,
    new_party: Any,
    sample_definition: Any,
) -> None:
    sample_definition["pages"][0]["questions"][0]["required"] = False
    survey_id = publish_survey(crm, "Service follow-up", sample_definition)
    party = new_party()
    token, _ = invite(crm, survey_id, party)
    browser = respondent(token)
    browser.send(browser.open(), {"q.topics.speed": True})
    with crm.read() as conn:
        [entry] = timeline(conn, party).items
    assert entry.subject == "Answered Service follow-up" and entry.summary is None
