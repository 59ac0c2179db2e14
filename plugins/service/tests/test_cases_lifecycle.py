"""Cases through the service: opening, the status lifecycle, versions, notes, replies, assignment."""

from __future__ import annotations

from typing import Any

import pytest
from crmkit_service.cases import service
from crmkit_service.cases.model import case_number
from crmkit_service.cases.tables import case as case_table
from sqlalchemy import select

from crmkit import (
    SYSTEM,
    ConflictError,
    Crm,
    NotFound,
    PermissionDenied,
    ValidationError,
    timeline,
)


def open_one(crm: Crm, actor: Any, party_id: int, **data: Any) -> Any:
    with crm.transaction(actor) as tx:
        return service.open_case(
            tx, {"party_id": party_id, "subject": "Printer jams on every page", **data}
        )


def test_a_new_case_gets_a_number_an_event_and_a_timeline_entry(crm, staff, new_party) -> None:
    party_id = new_party()
    opened = open_one(crm, staff.agent, party_id, kind="complaint", description="Since Monday.")
    assert opened.number == case_number(opened.id) == f"CS-{opened.id:06d}"
    assert (opened.status, opened.kind, opened.priority, opened.version) == (
        "new",
        "complaint",
        "normal",
        1,
    )
    assert opened.entitlement_state == "none" and opened.billable
    with crm.read() as conn:
        events = service.case_events(conn, opened.id)
        entries = timeline(conn, party_id).items
    assert [(e.kind, e.public, e.body) for e in events] == [("created", True, "Since Monday.")]
    assert any(e.source == "service" and opened.number in (e.subject or "") for e in entries)


def test_bad_input_names_the_field_and_stores_nothing(crm, staff, new_party) -> None:
    party_id = new_party()
    cases: list[tuple[dict[str, Any], str]] = [
        ({"subject": ""}, "subject"),
        ({"kind": "rant"}, "kind"),
        ({"priority": "whenever"}, "priority"),
        ({"channel": "pigeon"}, "channel"),
        ({"owner_id": 999_999}, "owner_id"),
        ({"category_id": 999_999}, "category_id"),
        ({"colour": "red"}, "colour"),
        ({"subject": "x" * 301}, "subject"),
    ]
    for data, field in cases:
        with pytest.raises(ValidationError) as refused, crm.transaction(staff.agent) as tx:
            service.open_case(tx, {"party_id": party_id, "subject": "Jam", **data})
        assert refused.value.field == field
    with crm.read() as conn:
        assert conn.execute(select(case_table.c.id)).first() is None


def test_a_party_the_agent_may_not_see_does_not_exist_for_them(crm, staff, new_party) -> None:
    prospect = new_party(role="prospect")  # service agents see customers only
    with pytest.raises(NotFound), crm.transaction(staff.agent) as tx:
        service.open_case(tx, {"party_id": prospect, "subject": "Hello"})
    hidden = open_one(crm, SYSTEM, prospect)
    with crm.read() as conn, pytest.raises(NotFound):
        service.get_case(conn, staff.agent, hidden.id, host=crm.host)
    with crm.read() as conn:
        assert service.get_case(conn, staff.manager, hidden.id, host=crm.host).id == hidden.id


def test_the_lifecycle_allows_only_its_transitions(crm, staff, new_party) -> None:
    opened = open_one(crm, staff.agent, new_party())
    with pytest.raises(ValidationError) as refused, crm.transaction(staff.agent) as tx:
        service.change_status(tx, opened.id, "reopened")
    assert refused.value.field == "status"
    with pytest.raises(ValidationError) as refused, crm.transaction(staff.agent) as tx:
        service.change_status(tx, opened.id, "resolved")
    assert refused.value.field == "root_cause"
    with crm.transaction(staff.agent) as tx:
        waiting = service.change_status(tx, opened.id, "waiting_on_third_party", version=1)
    assert (waiting.status, waiting.version) == ("waiting_on_third_party", 2)
    with pytest.raises(ConflictError), crm.transaction(staff.agent) as tx:
        service.change_status(tx, opened.id, "open", version=1)
    with crm.transaction(staff.agent) as tx:
        resolved = service.change_status(
            tx, opened.id, "resolved", root_cause="worn roller", resolution="Roller replaced."
        )
    assert resolved.resolved_at is not None and resolved.root_cause == "worn roller"
    with crm.transaction(staff.agent) as tx:
        closed = service.change_status(tx, opened.id, "closed")
    assert closed.closed_at is not None
    with crm.transaction(staff.agent) as tx:
        reopened = service.change_status(tx, opened.id, "reopened")
    assert (reopened.resolved_at, reopened.closed_at, reopened.root_cause) == (None, None, None)
    with crm.read() as conn:
        kinds = [(e.kind, e.data.get("to")) for e in service.case_events(conn, opened.id)]
    assert kinds == [
        ("created", None),
        ("status", "waiting_on_third_party"),
        ("status", "resolved"),
        ("status", "closed"),
        ("status", "reopened"),
    ]


def test_notes_are_internal_and_replies_are_emailed_in_the_thread(crm, staff, new_party) -> None:
    opened = open_one(crm, staff.agent, new_party())
    with crm.transaction(staff.agent) as tx:
        service.add_note(tx, opened.id, "Customer is a reseller; be nice.")
        sent = service.reply(
            tx, opened.id, "Please send a photo of the jam.", status="waiting_on_customer"
        )
    with crm.read() as conn:
        public = service.case_events(conn, opened.id, public_only=True)
        every = service.case_events(conn, opened.id)
        now = service.load_case(conn, opened.id)
    assert [e.kind for e in public] == ["created", "reply", "status"]
    assert "note" in [e.kind for e in every]
    assert sent.data["to"] == "ada@example.org" and sent.data["message_id"]
    assert now.status == "waiting_on_customer" and now.first_response_at is not None
    with crm.transaction(staff.agent) as tx:
        second = service.reply(tx, opened.id, "Any news?")
    assert second.data["message_id"] != sent.data["message_id"]


def test_a_customer_reply_reopens_a_resolved_case(crm, staff, new_party) -> None:
    opened = open_one(crm, staff.agent, new_party())
    with crm.transaction(staff.agent) as tx:
        service.change_status(tx, opened.id, "resolved", root_cause="user error")
    with crm.transaction(SYSTEM) as tx:
        service.customer_reply(tx, opened.id, "It jams again.", channel="email")
    with crm.read() as conn:
        assert service.load_case(conn, opened.id).status == "reopened"


def test_assignment_takes_the_owners_team(crm, staff, new_party) -> None:
    opened = open_one(crm, staff.agent, new_party())
    with crm.transaction(staff.lead) as tx:
        assigned = service.assign(tx, opened.id, owner_id=staff.agent.user_id)
    assert (assigned.owner_id, assigned.team) == (staff.agent.user_id, "support")
    with pytest.raises(ValidationError) as refused, crm.transaction(staff.lead) as tx:
        service.assign(tx, opened.id)
    assert refused.value.field == "owner_id"


def test_a_role_without_the_permission_is_refused(crm, staff, new_user, new_party) -> None:
    opened = open_one(crm, staff.agent, new_party())
    marketer = new_user("mia", "marketing")
    with crm.read() as conn, pytest.raises(PermissionDenied):
        service.get_case(conn, marketer, opened.id, host=crm.host)
