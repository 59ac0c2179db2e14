"""SLA clocks through the cases service: started, stopped, paused, resumed, restarted; policy choice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from crmkit_service.cases import service
from crmkit_service.sla import calendar_admin, policies
from crmkit_service.sla.clocks import clocks_of_case
from crmkit_service.sla.policies import choose

from crmkit import SYSTEM, Crm, ValidationError

OFFICE_HOURS = {d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")}


def add_policy(crm: Crm, **data: Any) -> policies.Policy:
    body = {"name": "Standard", "first_response_minutes": 60, "resolution_minutes": 480, **data}
    with crm.transaction() as tx:
        return policies.create_policy(tx, body)


def open_case(crm: Crm, actor: Any, party_id: int, **data: Any) -> Any:
    with crm.transaction(actor) as tx:
        return service.open_case(tx, {"party_id": party_id, "subject": "Printer jams", **data})


def clocks(crm: Crm, case_id: int) -> dict[str, Any]:
    with crm.read() as conn:
        return clocks_of_case(conn, case_id)


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_a_new_case_starts_both_clocks_with_due_times_by_its_teams_calendar(
    crm, staff, new_party, sla_now
) -> None:
    add_policy(crm, penalty="5 % credit")
    with crm.transaction() as tx:
        calendar_admin.create_calendar(
            tx,
            {
                "name": "Support Berlin",
                "team": "support",
                "time_zone": "Europe/Berlin",
                "hours": OFFICE_HOURS,
            },
        )
    sla_now.set(at(2026, 12, 11, 15, 0))  # Friday 16:00 in Berlin: one business hour left
    opened = open_case(crm, staff.agent, new_party(), owner_id=staff.agent.user_id)
    found = clocks(crm, opened.id)
    assert found["first_response"].due_at == at(2026, 12, 11, 16, 0)
    assert found["first_response"].warn_at == at(2026, 12, 11, 15, 48)  # 80 % of an hour
    # Eight business hours: the rest of Friday, then Monday 09:00 to 16:00 local.
    assert found["resolution"].due_at == at(2026, 12, 14, 15, 0)
    assert {c.state for c in found.values()} == {"running"}
    assert (
        found["resolution"].team == "support"
        and found["resolution"].owner_id == staff.agent.user_id
    )


def test_the_first_public_reply_stops_first_response_and_resolving_stops_resolution(
    crm, staff, new_party, sla_now
) -> None:
    add_policy(crm)
    opened = open_case(crm, staff.agent, new_party(), owner_id=staff.agent.user_id)
    sla_now.advance(minutes=30)
    with crm.transaction(staff.agent) as tx:
        service.reply(tx, opened.id, "We are on it.")
    first = clocks(crm, opened.id)["first_response"]
    assert (first.state, first.met, first.elapsed_seconds) == ("stopped", True, 30 * 60)
    sla_now.advance(hours=9)
    with crm.transaction(staff.agent) as tx:
        service.change_status(tx, opened.id, "resolved", root_cause="paper", resolution="New tray")
    resolution = clocks(crm, opened.id)["resolution"]
    assert (resolution.state, resolution.met) == ("stopped", False)


def test_waiting_on_the_customer_pauses_and_their_answer_resumes_with_a_later_due_time(
    crm, staff, new_party, sla_now
) -> None:
    add_policy(crm)
    opened = open_case(crm, staff.agent, new_party(), owner_id=staff.agent.user_id)
    due = clocks(crm, opened.id)["resolution"].due_at
    sla_now.advance(minutes=20)
    with crm.transaction(staff.agent) as tx:
        service.reply(tx, opened.id, "Which model is it?", status="waiting_on_customer")
    paused = clocks(crm, opened.id)["resolution"]
    assert (paused.state, paused.due_at, paused.elapsed_seconds) == ("paused", None, 20 * 60)
    sla_now.advance(hours=3)
    with crm.transaction(SYSTEM) as tx:
        service.customer_reply(tx, opened.id, "A P-200.")
    resumed = clocks(crm, opened.id)["resolution"]
    assert resumed.state == "running"
    assert resumed.due_at == due + timedelta(hours=3)


def test_waiting_on_a_third_party_pauses_only_when_configured(
    crm, make_service, new_party, sla_now
) -> None:
    add_policy(crm)
    party_id = new_party()
    for pause, expected in ((False, "running"), (True, "paused")):
        configured = make_service(
            service={"sla": {"pause_on_third_party": pause}}, create_tables=False
        )
        opened = open_case(configured, SYSTEM, party_id)
        with configured.transaction() as tx:
            service.change_status(tx, opened.id, "waiting_on_third_party")
        assert clocks(configured, opened.id)["resolution"].state == expected


def test_reopening_restarts_the_resolution_clock(crm, staff, new_party, sla_now) -> None:
    add_policy(crm)
    opened = open_case(crm, staff.agent, new_party(), owner_id=staff.agent.user_id)
    sla_now.advance(hours=2)
    with crm.transaction(staff.agent) as tx:
        service.change_status(tx, opened.id, "resolved", root_cause="paper", resolution="Fixed")
    assert clocks(crm, opened.id)["resolution"].met is True
    sla_now.advance(days=1)
    with crm.transaction(staff.agent) as tx:
        service.change_status(tx, opened.id, "reopened")
    restarted = clocks(crm, opened.id)["resolution"]
    assert (restarted.state, restarted.met, restarted.elapsed_seconds) == ("running", None, 0)
    assert restarted.started_at == sla_now() and restarted.due_at == sla_now() + timedelta(hours=8)


def test_a_priority_change_chooses_the_policy_again_keeping_the_time_used(
    crm, staff, new_party, sla_now
) -> None:
    add_policy(crm)
    urgent = add_policy(
        crm, name="Urgent", priority="urgent", first_response_minutes=15, resolution_minutes=120
    )
    opened = open_case(crm, staff.agent, new_party(), owner_id=staff.agent.user_id)
    sla_now.advance(minutes=10)
    with crm.transaction(staff.agent) as tx:
        service.update_case(tx, opened.id, {"priority": "urgent"})
    first = clocks(crm, opened.id)["first_response"]
    assert first.policy_id == urgent.id
    assert first.due_at == sla_now() + timedelta(minutes=5)


def test_without_a_policy_that_applies_no_clock_runs(crm, staff, new_party, sla_now) -> None:
    add_policy(crm, name="Gold only", tier="gold")
    opened = open_case(crm, staff.agent, new_party(), owner_id=staff.agent.user_id)
    assert clocks(crm, opened.id) == {}


def test_the_tier_comes_from_the_partys_custom_field(crm, staff, new_party, sla_now) -> None:
    add_policy(crm)
    gold = add_policy(
        crm, name="Gold", tier="gold", first_response_minutes=30, resolution_minutes=240
    )
    party_id = new_party(custom={"service_tier": "gold"})
    opened = open_case(crm, staff.agent, party_id)
    assert clocks(crm, opened.id)["first_response"].policy_id == gold.id


def _policy(id: int, **scope: Any) -> policies.Policy:
    now = datetime.now(UTC)
    return policies.Policy(
        id=id,
        name=f"p{id}",
        tier=scope.get("tier"),
        priority=scope.get("priority"),
        category_id=scope.get("category_id"),
        first_response_minutes=60,
        resolution_minutes=600,
        warning_percent=None,
        escalation=None,
        penalty=None,
        created_at=now,
        updated_at=now,
        version=1,
    )


def test_the_most_specific_policy_wins() -> None:
    default = _policy(1)
    gold = _policy(2, tier="gold")
    urgent = _policy(3, priority="urgent")
    billing = _policy(4, category_id=10)
    refunds = _policy(5, category_id=11)
    gold_urgent = _policy(6, tier="gold", priority="urgent")
    every = [default, gold, urgent, billing, refunds, gold_urgent]
    assert choose(every, None, "normal", []) == default
    assert choose(every, "gold", "normal", []) == gold
    assert choose(every, "gold", "urgent", []) == gold_urgent
    # One criterion each: category before priority before tier.
    assert choose([default, gold, urgent, billing], "gold", "urgent", [10]) == billing
    assert choose([default, gold, urgent], "gold", "urgent", []) == urgent
    # The case's own category (11, under 10) before its parent's.
    assert choose(every[:5], None, "normal", [11, 10]) == refunds
    assert choose([gold], "silver", "normal", []) is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"first_response_minutes": 0}, "first_response_minutes"),
        ({"first_response_minutes": 600, "resolution_minutes": 60}, "first_response_minutes"),
        ({"priority": "whenever"}, "priority"),
        ({"category_id": 999_999}, "category_id"),
        ({"warning_percent": 100}, "warning_percent"),
        ({"escalation": ["owner", "owner"]}, "escalation"),
        ({"escalation": ["ceo"]}, "escalation"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_policy_is_refused_naming_the_field(crm, body: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as refused, crm.transaction() as tx:
        policies.create_policy(
            tx, {"name": "Bad", "first_response_minutes": 60, "resolution_minutes": 480, **body}
        )
    assert refused.value.field == field
    with crm.read() as conn:
        assert policies.list_policies(conn) == []


def test_a_holiday_added_to_the_teams_calendar_moves_the_due_times_of_running_clocks(
    crm, staff, new_party, sla_now
) -> None:
    add_policy(crm)
    body = {
        "name": "Support Berlin",
        "team": "support",
        "time_zone": "Europe/Berlin",
        "hours": OFFICE_HOURS,
    }
    with crm.transaction() as tx:
        made = calendar_admin.create_calendar(tx, body)
    assert made.id is not None
    sla_now.set(at(2026, 12, 11, 15, 0))  # Friday 16:00 in Berlin
    opened = open_case(crm, staff.agent, new_party(), owner_id=staff.agent.user_id)
    assert clocks(crm, opened.id)["resolution"].due_at == at(2026, 12, 14, 15, 0)
    sla_now.advance(minutes=30)
    holiday = [{"name": "Company day", "start": "2026-12-14"}]
    with crm.transaction() as tx:
        calendar_admin.update_calendar(tx, made.id, {**body, "holidays": holiday})
    # Monday is off now: the seven hours left fall on Tuesday, 09:00 to 16:00 local.
    assert clocks(crm, opened.id)["resolution"].due_at == at(2026, 12, 15, 15, 0)
    with crm.transaction() as tx:
        calendar_admin.delete_calendar(tx, made.id)
    # Without a calendar the team counts around the clock: 8 hours from the start.
    assert clocks(crm, opened.id)["resolution"].due_at == at(2026, 12, 11, 23, 0)


@pytest.mark.parametrize(
    ("sla", "key"),
    [
        ({"escalation": ["owner", "ceo"]}, "escalation"),
        ({"warning_percent": 100}, "warning_percent"),
        ({"tier_field": "Tier!"}, "tier_field"),
    ],
)
def test_bad_sla_settings_stop_start_up_naming_the_key(make_service, sla, key) -> None:
    with pytest.raises(Exception, match=rf"plugins\.service\.sla\.{key}"):
        make_service(service={"sla": sla}, create_tables=False)
