"""A link that cannot answer is refused with a clear page, and nothing changes: a forged or
unknown token, an expired invitation, a second answer, a closed survey."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from typing import Any

import pytest
from crmkit_surveys.answering.respond import post_page
from crmkit_surveys.answering.tables import answer, response
from crmkit_surveys.definitions.service import close
from crmkit_surveys.invitations.links import new_token
from crmkit_surveys.invitations.tables import invitation
from sqlalchemy import func, select, update

from crmkit import Crm, interaction_table, timeline, utcnow


def snapshot(crm: Crm) -> tuple[Any, ...]:
    """Everything an answer could change: invitations, responses, answers, interactions."""
    with crm.read() as conn:
        return (
            conn.execute(select(invitation).order_by(invitation.c.id)).all(),
            conn.execute(select(response).order_by(response.c.id)).all(),
            conn.execute(select(answer).order_by(answer.c.id)).all(),
            conn.execute(select(func.count()).select_from(interaction_table)).scalar_one(),
        )


def without_nonce(page: str) -> str:
    """The page without its response's own CSP nonce."""
    return re.sub(r'nonce="[^"]*"', "", page)


def test_an_unknown_or_forged_token_gets_the_same_not_found_page(
    crm: Crm, respondent: Any, publish_survey: Any, invite: Any, sample_definition: Any
) -> None:
    survey_id = publish_survey(crm, "Feedback", sample_definition)
    token, _ = invite(crm, survey_id)
    real = respondent(token).open()
    made_up = respondent(new_token())
    forged = respondent(token[:-1] + ("A" if token[-1] != "A" else "B"))
    before = snapshot(crm)
    pages = [made_up.open(), forged.open(), respondent("x" * 500).open()]
    assert {p.status for p in pages} == {404}
    assert len({without_nonce(p.text) for p in pages}) == 1
    assert "This link is not valid" in pages[0].text
    posted = forged.client.post(forged.address, data=real.body({"q.nps": "0"}, None))
    assert posted.status_code == 404
    assert without_nonce(posted.text) == without_nonce(pages[0].text)
    assert snapshot(crm) == before


def test_an_expired_link_is_refused(
    crm: Crm, respondent: Any, publish_survey: Any, invite: Any, sample_definition: Any
) -> None:
    survey_id = publish_survey(crm, "Feedback", sample_definition)
    token, invitation_id = invite(crm, survey_id)
    browser = respondent(token)
    page = browser.open()
    with crm.transaction() as tx:
        tx.conn.execute(
            update(invitation)
            .where(invitation.c.id == invitation_id)
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
    before = snapshot(crm)
    refused = browser.open()
    assert refused.status == 410 and "This survey link has expired." in refused.text
    posted = page.send(browser.client, {"q.nps": "9"})
    assert posted.status_code == 410
    assert snapshot(crm) == before
    # As when the invitations part has marked it expired already.
    gone, _ = invite(crm, survey_id, status="expired")
    assert respondent(gone).open().status == 410


def test_a_second_answer_through_the_link_is_refused(
    crm: Crm,
    respondent: Any,
    publish_survey: Any,
    invite: Any,
    new_party: Any,
    sample_definition: Any,
) -> None:
    survey_id = publish_survey(crm, "Feedback", sample_definition)
    token, _ = invite(crm, survey_id, new_party())
    browser = respondent(token)
    last = browser.send(browser.open(), {"q.nps": "2"})
    done = browser.send(last, {"q.why": "Too slow"}, button="Send my answers")
    assert done.status == 200
    before = snapshot(crm)
    again = browser.open()
    assert again.status == 409
    assert "You have already answered: thank you." in again.text
    # The browser's back button and the last form sent once more.
    resent = last.send(browser.client, {"q.why": "Too slow, really"}, "Send my answers")
    assert resent.status_code == 409
    assert snapshot(crm) == before


def test_a_closed_survey_takes_no_more_answers(
    crm: Crm, respondent: Any, publish_survey: Any, invite: Any, sample_definition: Any
) -> None:
    survey_id = publish_survey(crm, "Feedback", sample_definition)
    token, _ = invite(crm, survey_id)
    browser = respondent(token)
    page = browser.open()
    with crm.transaction() as tx:
        close(tx, survey_id)
    before = snapshot(crm)
    refused = browser.open()
    assert refused.status == 410 and "This survey is closed" in refused.text
    assert page.send(browser.client, {"q.nps": "9"}).status_code == 410
    assert snapshot(crm) == before


def test_an_invitation_that_failed_cannot_answer(
    crm: Crm, respondent: Any, publish_survey: Any, invite: Any, sample_definition: Any
) -> None:
    survey_id = publish_survey(crm, "Feedback", sample_definition)
    token, _ = invite(crm, survey_id, status="failed")
    before = snapshot(crm)
    refused = respondent(token).open()
    assert refused.status == 410 and "can no longer be used" in refused.text
    assert snapshot(crm) == before


def test_the_last_page_sent_twice_at_once_completes_once(
    crm: Crm,
    respondent: Any,
    publish_survey: Any,
    invite: Any,
    new_party: Any,
    sample_definition: Any,
) -> None:
    with crm.read() as conn:
        if conn.dialect.name != "postgresql":
            pytest.skip("SQLite runs one writing transaction at a time")
    survey_id = publish_survey(crm, "Feedback", sample_definition)
    party = new_party()
    token, _ = invite(crm, survey_id, party)
    browser = respondent(token)
    last = browser.send(browser.open(), {"q.nps": "2"})
    form = last.body({"q.why": "Too slow"}, "Send my answers")
    settings = crm.settings_of["surveys"].answering
    barrier = threading.Barrier(2)
    outcomes: list[Any] = []

    def send() -> None:
        with crm.transaction() as tx:
            barrier.wait(timeout=10)
            outcomes.append(post_page(tx, token, dict(form), settings, utcnow()))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(type(o).__name__ for o in outcomes) == ["Done", "Refused"]
    with crm.read() as conn:
        assert len(timeline(conn, party).items) == 1


def test_a_refusal_speaks_the_respondents_language(
    crm: Crm, respondent: Any, publish_survey: Any, invite: Any, sample_definition: Any
) -> None:
    survey_id = publish_survey(crm, "Feedback", sample_definition)
    token, _ = invite(crm, survey_id, language="de")
    browser = respondent(token)
    # Answered in English though invited in German: the response's language counts.
    browser.send(browser.open(lang="en"), {"q.nps": "9"})
    assert "You have already answered" in browser.open().text
    assert "Sie haben bereits geantwortet" in browser.open(lang="de").text
    expired, _ = invite(crm, survey_id, language="de", status="expired")
    gone = respondent(expired).open()
    assert gone.status == 410 and "Link abgelaufen" in gone.text
    assert '<html lang="de">' in gone.text
    unknown = respondent(new_token()).open(lang="fr")
    assert unknown.status == 404 and "Ce lien n&#39;est pas valide" in unknown.text
    assert "Log out" not in unknown.text


def test_one_error_is_told_in_the_singular(
    crm: Crm, respondent: Any, publish_survey: Any, invite: Any, sample_definition: Any
) -> None:
    survey_id = publish_survey(crm, "Feedback", sample_definition)
    token, _ = invite(crm, survey_id, language="de")
    browser = respondent(token)
    refused = browser.send(browser.open(), {})
    assert refused.status == 422
    assert "1 braucht Ihre Aufmerksamkeit" in refused.text
    refused = browser.send(browser.open(lang="en"), {})
    assert "1 needs your attention" in refused.text
