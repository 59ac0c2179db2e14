"""The SLA job: a warning before breach, a breach record with the penalty, escalation up the chain."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from crmkit_service.cases import service
from crmkit_service.sla import policies
from crmkit_service.sla.tables import breach
from sqlalchemy import select

from crmkit import Crm, Event, hookimpl
from crmkit.testing import register_plugin


class Inbox:
    """The notifications the SLA job sends, as they are announced."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []

    @hookimpl
    def on_event(self, event: Event) -> None:
        if event.type == "core.notification_created":
            self.received.append(event.payload)

    def to(self, user_id: int | None) -> list[str]:
        return [n["kind"] for n in self.received if n["user_id"] == user_id]


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


@pytest.fixture
def watched(crm: Crm, make_service: Callable[..., Crm], inbox: Inbox) -> Crm:
    """The test's CRM (same database) with a plugin listening for notifications."""
    return make_service(
        service={"sla": {"escalation_step_minutes": 30}},
        plugins=(register_plugin(inbox, name="inbox"),),
        create_tables=False,
    )


def watch(crm: Crm) -> None:
    assert crm.jobs.run("service.sla_watch").ok


def breaches(crm: Crm) -> list[Any]:
    with crm.read() as conn:
        return list(conn.execute(select(breach).order_by(breach.c.id)).all())


@pytest.fixture
def late_case(crm: Crm, staff: Any, new_party: Any, sla_now: Any) -> Any:
    with crm.transaction() as tx:
        policies.create_policy(
            tx,
            {
                "name": "Gold",
                "first_response_minutes": 60,
                "resolution_minutes": 600,
                "penalty": "5 % credit on the monthly fee",
            },
        )
    party_id = new_party()
    with crm.transaction(staff.agent) as tx:
        return service.open_case(
            tx, {"party_id": party_id, "subject": "Router down", "owner_id": staff.agent.user_id}
        )


def test_the_owner_is_warned_once_when_80_percent_is_used(
    watched, inbox, staff, late_case, sla_now
) -> None:
    sla_now.advance(minutes=47)
    watch(watched)
    assert inbox.to(staff.agent.user_id) == []
    sla_now.advance(minutes=1)
    watch(watched)
    watch(watched)
    assert inbox.to(staff.agent.user_id) == ["warning"]
    assert breaches(watched) == []


def test_a_breach_is_recorded_with_the_penalty_and_escalated_up_the_chain_once_per_level(
    watched, inbox, staff, late_case, sla_now
) -> None:
    agent, lead, manager = staff.agent.user_id, staff.lead.user_id, staff.manager.user_id
    sla_now.advance(minutes=61)
    watch(watched)
    watch(watched)
    [recorded] = breaches(watched)
    assert (recorded.case_id, recorded.metric, recorded.penalty) == (
        late_case.id,
        "first_response",
        "5 % credit on the monthly fee",
    )
    assert inbox.to(agent) == ["warning", "escalation"] and inbox.to(lead) == []
    sla_now.advance(minutes=29)
    watch(watched)
    assert inbox.to(lead) == []
    sla_now.advance(minutes=1)
    watch(watched)
    watch(watched)
    assert inbox.to(lead) == ["escalation"] and inbox.to(manager) == []
    sla_now.advance(minutes=30)
    watch(watched)
    sla_now.advance(hours=5)
    watch(watched)
    assert inbox.to(manager) == ["escalation"]
    assert inbox.to(agent) == ["warning", "escalation"]
    [recorded] = breaches(watched)
    assert [(e["step"], e["user_ids"]) for e in recorded.escalations] == [
        ("owner", [agent]),
        ("team_lead", [lead]),
        ("manager", [manager]),
    ]


def test_a_reply_before_the_due_time_stops_the_escalation(
    watched, inbox, staff, late_case, sla_now
) -> None:
    sla_now.advance(minutes=50)
    with watched.transaction(staff.agent) as tx:
        service.reply(tx, late_case.id, "Looking into it now.")
    sla_now.advance(hours=2)
    watch(watched)
    assert breaches(watched) == []
    assert inbox.to(staff.lead.user_id) == []


def test_a_case_resolved_late_before_the_job_ran_still_records_its_breach(
    watched, staff, late_case, sla_now
) -> None:
    sla_now.advance(hours=11)
    with watched.transaction(staff.agent) as tx:
        service.change_status(
            tx, late_case.id, "resolved", root_cause="firmware", resolution="Updated"
        )
    assert {b.metric for b in breaches(watched)} == {"first_response", "resolution"}
    watch(watched)
    assert len(breaches(watched)) == 2


def test_a_policy_names_its_own_chain(watched, inbox, crm, staff, new_party, sla_now) -> None:
    with crm.transaction() as tx:
        policies.create_policy(
            tx,
            {
                "name": "Straight to the manager",
                "priority": "urgent",
                "first_response_minutes": 10,
                "resolution_minutes": 60,
                "escalation": ["manager"],
            },
        )
    party_id = new_party()
    with crm.transaction(staff.agent) as tx:
        service.open_case(
            tx,
            {
                "party_id": party_id,
                "subject": "Fire",
                "priority": "urgent",
                "owner_id": staff.agent.user_id,
            },
        )
    sla_now.advance(minutes=11)
    watch(watched)
    assert inbox.to(staff.manager.user_id) == ["warning", "escalation"]
    assert inbox.to(staff.agent.user_id) == []


def test_an_unowned_case_goes_to_its_teams_lead_and_links_to_the_case(
    watched, inbox, crm, staff, new_party, sla_now
) -> None:
    with crm.transaction() as tx:
        policies.create_policy(
            tx, {"name": "Any", "first_response_minutes": 60, "resolution_minutes": 600}
        )
    party_id = new_party()
    with crm.transaction(staff.agent) as tx:
        opened = service.open_case(
            tx, {"party_id": party_id, "subject": "Noise", "team": "support"}
        )
    sla_now.advance(minutes=61)
    watch(watched)
    told = [n for n in inbox.received if n["user_id"] == staff.lead.user_id]
    assert [n["kind"] for n in told] == ["warning", "escalation"]
    assert told[-1]["link"] == f"/p/service/cases/{opened.id}/page"
    sla_now.advance(minutes=30)
    watch(watched)
    sla_now.advance(minutes=30)
    watch(watched)
    assert inbox.to(staff.manager.user_id) == ["escalation"]
    # The end of the chain: nobody is told again about the first response, however late.
    sla_now.advance(hours=6)
    watch(watched)
    assert sum("first response" in n["title"] for n in inbox.received) == 3


def test_escalation_skips_a_lead_who_may_not_see_the_party(
    watched, inbox, crm, staff, new_user, new_party, sla_now
) -> None:
    with crm.transaction() as tx:
        policies.create_policy(
            tx, {"name": "Any", "first_response_minutes": 60, "resolution_minutes": 600}
        )
    # A lead of role service sees no prospects: the case would be a dead link to them.
    blind_lead = new_user("pia", "service", team="support", manager_id=staff.manager.user_id)
    owner = new_user("olga", "manager", team="support", manager_id=blind_lead.user_id)
    party_id = new_party(role="prospect")
    with crm.transaction(staff.manager) as tx:
        opened = service.open_case(
            tx, {"party_id": party_id, "subject": "Noise", "owner_id": owner.user_id}
        )
    sla_now.advance(minutes=61)
    watch(watched)
    sla_now.advance(minutes=31)
    watch(watched)
    assert inbox.to(owner.user_id) == ["warning", "escalation"]
    assert inbox.to(blind_lead.user_id) == []
    assert inbox.to(staff.manager.user_id) == ["escalation"]
    [recorded] = breaches(watched)
    assert recorded.case_id == opened.id
    assert [e["step"] for e in recorded.escalations] == ["owner", "manager"]
