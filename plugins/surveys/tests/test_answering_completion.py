"""What a completed answer sets off, in the transaction that completes it: the answer on the
party's timeline, the kernel's feedback_received hook, the event surveys.response_completed;
once only, and nothing of it for an anonymous answer."""

from __future__ import annotations

from typing import Any

import pytest
from crmkit_surveys.answering.behaviours import BEHAVIOURS
from crmkit_surveys.answering.completion import complete
from crmkit_surveys.answering.tables import response
from sqlalchemy import select

from crmkit import Crm, Event, RecordRef, ValidationError, hookimpl, timeline, utcnow
from crmkit.testing import register_plugin


class Heard:
    """A plugin standing in for others: what reached on_event and feedback_received."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.feedback: list[dict[str, Any]] = []

    @hookimpl
    def on_event(self, event: Event) -> None:
        if event.type.startswith("surveys.response"):
            self.events.append(event)

    @hookimpl
    def feedback_received(
        self,
        party_id: int,
        survey: str,
        score: int | None,
        scale: tuple[int, int],
        text: str | None,
        reference: str,
    ) -> RecordRef:
        self.feedback.append(
            {
                "party_id": party_id,
                "survey": survey,
                "score": score,
                "scale": scale,
                "text": text,
                "reference": reference,
            }
        )
        return RecordRef("helpdesk.ticket", "T-7")


@pytest.fixture
def heard() -> Heard:
    return Heard()


@pytest.fixture
def crm(make_surveys: Any, heard: Heard) -> Crm:
    return make_surveys(plugins=(register_plugin(heard, name="heard"),))


def answered(respondent: Any, token: str, nps: str, why: str | None) -> Any:
    """The sample survey answered to the end: NPS, then the reason when asked."""
    browser = respondent(token)
    page = browser.open()
    if why is None:
        # Nothing more is asked of a promoter: the default button sends the answers.
        return browser.send(page, {"q.nps": nps, "q.topics.price": True})
    reason = browser.send(page, {"q.nps": nps})
    return browser.send(reason, {"q.why": why}, "Send my answers")


def response_of(crm: Crm, invitation_id: int) -> Any:
    with crm.read() as conn:
        return conn.execute(select(response).where(response.c.invitation_id == invitation_id)).one()


def test_feedback_received_gets_the_score_and_what_was_written_and_its_record_is_kept(
    crm: Crm,
    heard: Heard,
    respondent: Any,
    publish_survey: Any,
    invite: Any,
    new_party: Any,
    sample_definition: Any,
) -> None:
    survey_id = publish_survey(crm, "Service follow-up", sample_definition)
    party = new_party()
    token, invitation_id = invite(crm, survey_id, party)
    answered(respondent, token, "4", "The parcel arrived broken.")
    found = response_of(crm, invitation_id)
    assert heard.feedback == [
        {
            "party_id": party,
            "survey": "Service follow-up",
            "score": 4,
            "scale": (0, 10),
            "text": "The parcel arrived broken.",
            "reference": f"surveys.response:{found.id}",
        }
    ]
    assert found.case_ref == "helpdesk.ticket:T-7"


def test_the_event_tells_who_answered_what_and_loyalty_may_reward_it(
    crm: Crm,
    heard: Heard,
    respondent: Any,
    publish_survey: Any,
    invite: Any,
    new_party: Any,
    sample_definition: Any,
) -> None:
    survey_id = publish_survey(crm, "Service follow-up", sample_definition)
    party = new_party()
    token, invitation_id = invite(crm, survey_id, party)
    answered(respondent, token, "10", None)
    found = response_of(crm, invitation_id)
    [event] = heard.events
    assert (event.type, event.entity, event.entity_id) == (
        "surveys.response_completed",
        "surveys.response",
        str(found.id),
    )
    assert event.payload == {
        "survey_id": survey_id,
        "response_id": found.id,
        "party_id": party,
        "version_id": found.version_id,
        "nps": 10,
        "csat": None,
    }
    [answering] = BEHAVIOURS
    assert (answering.name, answering.event_type) == (
        "surveys.answered",
        "surveys.response_completed",
    )
    assert answering.party_of(event.payload) == party


def test_an_anonymous_answer_sets_off_the_event_only(
    crm: Crm,
    heard: Heard,
    respondent: Any,
    publish_survey: Any,
    invite: Any,
    sample_definition: Any,
) -> None:
    survey_id = publish_survey(crm, "Service follow-up", sample_definition)
    token, invitation_id = invite(crm, survey_id)
    answered(respondent, token, "0", "Awful")
    assert response_of(crm, invitation_id).status == "completed"
    assert heard.feedback == []
    [event] = heard.events
    assert event.payload["party_id"] is None and event.payload["nps"] == 0
    assert BEHAVIOURS[0].party_of(event.payload) is None


def test_completing_twice_sets_off_nothing_more(
    crm: Crm,
    heard: Heard,
    respondent: Any,
    publish_survey: Any,
    invite: Any,
    new_party: Any,
    sample_definition: Any,
) -> None:
    survey_id = publish_survey(crm, "Service follow-up", sample_definition)
    party = new_party()
    token, _ = invite(crm, survey_id, party)
    browser = respondent(token)
    last = browser.send(browser.open(), {"q.nps": "1"})
    assert browser.send(last, {"q.why": "Slow"}, "Send my answers").status == 200
    assert last.send(browser.client, {"q.why": "Slow"}, "Send my answers").status_code == 409
    assert len(heard.feedback) == len(heard.events) == 1
    with crm.read() as conn:
        assert len(timeline(conn, party).items) == 1


def test_a_response_lacking_a_required_answer_is_not_completed(
    crm: Crm,
    heard: Heard,
    respondent: Any,
    publish_survey: Any,
    invite: Any,
    new_party: Any,
    sample_definition: Any,
) -> None:
    sample_definition["pages"][1]["questions"][0]["required"] = True
    survey_id = publish_survey(crm, "Service follow-up", sample_definition)
    token, invitation_id = invite(crm, survey_id, new_party())
    browser = respondent(token)
    reason = browser.send(browser.open(), {"q.nps": "3"})
    # Going back asks for nothing: the reason stays unanswered.
    browser.send(reason, {"q.why": ""}, "Back")
    partial = response_of(crm, invitation_id)
    with pytest.raises(ValidationError) as refused, crm.transaction() as tx:
        complete(tx, partial.id, utcnow())
    assert refused.value.field == "answers.why"
    assert response_of(crm, invitation_id) == partial
    assert heard.feedback == heard.events == []


def test_a_skipped_nps_question_leaves_the_answered_csat_to_stand_for_the_response(
    crm: Crm, heard: Heard, respondent: Any, publish_survey: Any, invite: Any, new_party: Any
) -> None:
    definition = {
        "languages": ["en"],
        "title": {"en": "After your visit"},
        "pages": [
            {
                "questions": [
                    {"key": "nps", "kind": "nps", "text": {"en": "Recommend us?"}},
                    {"key": "csat", "kind": "csat", "text": {"en": "How satisfied?"}},
                    {"key": "stars", "kind": "rating", "text": {"en": "Stars?"}},
                ]
            }
        ],
    }
    survey_id = publish_survey(crm, "Visit", definition)
    party = new_party()
    token, invitation_id = invite(crm, survey_id, party)
    browser = respondent(token)
    browser.send(browser.open(), {"q.csat": "1", "q.stars": "5"}, "Send my answers")
    found = response_of(crm, invitation_id)
    assert found.status == "completed"
    [feedback] = heard.feedback
    assert (feedback["score"], feedback["scale"]) == (1, (1, 5))
    [event] = heard.events
    assert (event.payload["nps"], event.payload["csat"]) == (None, 1)
    with crm.read() as conn:
        [entry] = timeline(conn, party).items
    assert entry.subject == "Answered Visit: CSAT 1"
