"""After-event rules with the service plugin: a case resolved or closed invites its party
once per event, when the payload meets the rule's conditions, after its delay, not again
within its quiet days, and not for a survey that is closed; bad rules are refused naming
the field."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from crmkit_service.cases.service import change_status, open_case
from crmkit_surveys.invitations.due import send_due
from crmkit_surveys.invitations.tables import invitation, rule
from sqlalchemy import func, select, update

from crmkit import Crm, metadata, utcnow

CASE_RESOLVED = {"status": ["resolved", "closed"]}


OUTBOX = metadata.tables["core_outbox"]


@pytest.fixture
def crm(make_surveys: Any) -> Crm:
    return make_surveys(with_plugins=("service",))


def deliver_again(crm: Crm, event_id: int) -> None:
    """Deliver the event once more, as the kernel does when its deliverer died before
    recording the delivery."""
    with crm.transaction() as tx:
        tx.conn.execute(
            update(OUTBOX)
            .where(OUTBOX.c.id == event_id)
            .values(delivered_at=None, pending_subscribers=None, next_attempt_at=None)
        )
    assert crm.deliver_events([event_id]) == 1


def resolved_event(crm: Crm) -> int:
    with crm.read() as conn:
        rows = conn.execute(
            select(OUTBOX.c.id, OUTBOX.c.payload)
            .where(OUTBOX.c.event_type == "service.case_status_changed")
            .order_by(OUTBOX.c.id)
        ).all()
    return next(r.id for r in rows if r.payload["status"] == "resolved")


def invitations(crm: Crm) -> list[Any]:
    with crm.read() as conn:
        return conn.execute(select(invitation).order_by(invitation.c.id)).all()


def new_rule(client: Any, survey_id: int, message: dict[str, Any], **fields: Any) -> dict[str, Any]:
    answer = client.post(
        "/p/surveys/rules",
        json={
            "survey_id": survey_id,
            "event_type": "service.case_status_changed",
            "conditions": CASE_RESOLVED,
            "channel": "email",
            "message": message,
            **fields,
        },
    )
    assert answer.status_code == 201, answer.text
    made: dict[str, Any] = answer.json()
    return made


def case_of(crm: Crm, party_id: int) -> int:
    with crm.transaction() as tx:
        return open_case(tx, {"party_id": party_id, "subject": "The printer jams"}).id


def move(crm: Crm, case_id: int, status: str) -> None:
    with crm.transaction() as tx:
        change_status(tx, case_id, status, root_cause="paper" if status == "resolved" else None)


def test_a_resolved_case_invites_its_party_once_per_event(
    crm: Crm,
    staff: Any,
    client_as: Any,
    new_party: Any,
    publish_survey: Any,
    invitation_message: dict[str, Any],
) -> None:
    survey_id = publish_survey(crm)
    made = new_rule(client_as(staff.marketer), survey_id, invitation_message)
    assert (made["delay_minutes"], made["quiet_days"], made["active"]) == (0, 30, True)
    party = new_party(consent=("feedback",))
    case_id = case_of(crm, party)

    move(crm, case_id, "open")
    assert invitations(crm) == [], "an open case does not meet the rule"
    move(crm, case_id, "resolved")

    [sent] = invitations(crm)
    assert (sent.party_id, sent.rule_id, sent.status, sent.survey_id) == (
        party,
        made["id"],
        "sent",
        survey_id,
    )
    resolved = resolved_event(crm)
    assert sent.dedupe_key == f"rule:{made['id']}:event:{resolved}"
    assert sent.source["event_type"] == "service.case_status_changed"
    assert sent.message_ref.startswith("channels.email:")

    deliver_again(crm, resolved)
    assert len(invitations(crm)) == 1

    move(crm, case_id, "closed")
    assert len(invitations(crm)) == 1, "invited within the rule's quiet days"


def test_without_quiet_days_each_event_invites(
    crm: Crm,
    staff: Any,
    client_as: Any,
    new_party: Any,
    publish_survey: Any,
    invitation_message: dict[str, Any],
) -> None:
    survey_id = publish_survey(crm)
    new_rule(client_as(staff.marketer), survey_id, invitation_message, quiet_days=0)
    party = new_party(consent=("feedback",))
    case_id = case_of(crm, party)
    move(crm, case_id, "resolved")
    move(crm, case_id, "closed")
    assert [i.status for i in invitations(crm)] == ["sent", "sent"]


def test_a_delayed_invitation_waits_for_the_job_and_is_sent_once(
    crm: Crm,
    staff: Any,
    client_as: Any,
    new_party: Any,
    publish_survey: Any,
    invitation_message: dict[str, Any],
) -> None:
    survey_id = publish_survey(crm)
    new_rule(client_as(staff.marketer), survey_id, invitation_message, delay_minutes=60)
    party = new_party(consent=("feedback",))
    move(crm, case_of(crm, party), "resolved")
    [queued] = invitations(crm)
    assert (queued.status, queued.message_ref, queued.sent_at) == ("queued", None, None)
    assert queued.not_before - queued.created_at == timedelta(minutes=60)

    assert crm.jobs.run("surveys.send_due").ok
    assert invitations(crm)[0].status == "queued", "not due yet"

    later = utcnow() + timedelta(minutes=61)
    assert send_due(crm, now=later) == 1
    assert send_due(crm, now=later) == 0
    [sent] = invitations(crm)
    assert sent.status == "sent" and sent.message_ref.startswith("channels.email:")
    assert sent.token_hash != queued.token_hash, "the sent link's token replaces the placeholder"


def test_rules_honour_consent_conditions_missing_parties_and_closed_surveys(
    crm: Crm,
    staff: Any,
    client_as: Any,
    new_party: Any,
    publish_survey: Any,
    invitation_message: dict[str, Any],
) -> None:
    from crmkit_surveys.definitions.service import close

    survey_id = publish_survey(crm)
    client = client_as(staff.marketer)
    new_rule(client, survey_id, invitation_message)
    new_rule(client, survey_id, invitation_message, event_type="surveys.send_made", conditions={})
    unwilling = new_party(consent=("marketing",))
    move(crm, case_of(crm, unwilling), "resolved")
    assert invitations(crm) == [], "no consent for feedback"

    willing = new_party(consent=("feedback",), emails=["bo@example.org"])
    case_id = case_of(crm, willing)
    with crm.transaction() as tx:
        close(tx, survey_id)
    move(crm, case_id, "resolved")
    assert invitations(crm) == [], "a closed survey invites nobody"


def test_a_delayed_invitation_of_a_survey_closed_meanwhile_expires_unsent(
    crm: Crm,
    staff: Any,
    client_as: Any,
    new_party: Any,
    publish_survey: Any,
    invitation_message: dict[str, Any],
) -> None:
    from crmkit_surveys.definitions.service import close

    survey_id = publish_survey(crm)
    new_rule(client_as(staff.marketer), survey_id, invitation_message, delay_minutes=5)
    move(crm, case_of(crm, new_party(consent=("feedback",))), "resolved")
    with crm.transaction() as tx:
        close(tx, survey_id)
    send_due(crm, now=utcnow() + timedelta(minutes=6))
    [expired] = invitations(crm)
    assert (expired.status, expired.message_ref) == ("expired", None)


def test_a_rule_is_changed_with_its_version_and_deleted_with_its_waiting_invitations(
    crm: Crm,
    staff: Any,
    client_as: Any,
    new_party: Any,
    publish_survey: Any,
    invitation_message: dict[str, Any],
) -> None:
    survey_id = publish_survey(crm)
    client = client_as(staff.marketer)
    made = new_rule(client, survey_id, invitation_message, delay_minutes=30)
    unversioned = client.patch(f"/p/surveys/rules/{made['id']}", json={"active": False})
    assert unversioned.status_code == 422
    assert unversioned.json()["field"] == "version" and "is required" in unversioned.text
    assert client.get(f"/p/surveys/rules/{made['id']}").json()["version"] == 1
    changed = client.patch(f"/p/surveys/rules/{made['id']}", json={"active": False, "version": 1})
    assert changed.status_code == 200 and changed.json()["version"] == 2
    stale = client.patch(f"/p/surveys/rules/{made['id']}", json={"active": True, "version": 1})
    assert stale.status_code == 409
    move(crm, case_of(crm, new_party(consent=("feedback",))), "resolved")
    assert invitations(crm) == [], "an inactive rule fires nothing"
    client.patch(f"/p/surveys/rules/{made['id']}", json={"active": True, "version": 2})
    move(crm, case_of(crm, new_party(consent=("feedback",), emails=["x@example.org"])), "resolved")
    assert [i.status for i in invitations(crm)] == ["queued"]
    assert [r["id"] for r in client.get(f"/p/surveys/rules?survey_id={survey_id}").json()] == [
        made["id"]
    ]

    assert client.delete(f"/p/surveys/rules/{made['id']}").status_code == 204
    assert invitations(crm) == []
    assert client.get(f"/p/surveys/rules/{made['id']}").status_code == 404


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"event_type": "service.case_teleported"}, "event_type"),
        ({"conditions": {"status": "resolved"}}, "conditions.status"),
        ({"conditions": {"status": [{"x": 1}]}}, "conditions.status[0]"),
        ({"conditions": ["status"]}, "conditions"),
        ({"message": {"en": {"subject": "Hi", "text": "no link"}}}, "message.en.text"),
        ({"survey_id": 999}, "survey_id"),
        ({"delay_minutes": -1}, "delay_minutes"),
        ({"channel": "pigeon"}, "channel"),
    ],
)
def test_bad_rules_are_refused_naming_the_field(
    crm: Crm,
    staff: Any,
    client_as: Any,
    publish_survey: Any,
    invitation_message: dict[str, Any],
    fields: dict[str, Any],
    field: str,
) -> None:
    survey_id = publish_survey(crm)
    answer = client_as(staff.marketer).post(
        "/p/surveys/rules",
        json={
            "survey_id": survey_id,
            "event_type": "service.case_status_changed",
            "conditions": CASE_RESOLVED,
            "channel": "email",
            "message": invitation_message,
            **fields,
        },
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == field
    with crm.read() as conn:
        assert conn.execute(select(func.count()).select_from(rule)).scalar_one() == 0


def test_only_writers_define_rules(
    crm: Crm, staff: Any, client_as: Any, publish_survey: Any, invitation_message: dict[str, Any]
) -> None:
    survey_id = publish_survey(crm)
    body = {
        "survey_id": survey_id,
        "event_type": "service.case_status_changed",
        "channel": "email",
        "message": invitation_message,
    }
    assert client_as(staff.agent).post("/p/surveys/rules", json=body).status_code == 403
    assert client_as(staff.agent).get("/p/surveys/rules").json() == []
