"""The work list and compliance, through the service and over HTTP; calendars and policies over HTTP;
SLA rows on merge, export and erasure."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from crmkit_service.cases import service
from crmkit_service.sla import policies
from crmkit_service.sla.periods import read_period
from crmkit_service.sla.tables import calendar, clock
from crmkit_service.sla.worklist import compliance, work_list
from sqlalchemy import func, select

from crmkit import SYSTEM, Crm, erase_party, export_party, merge_parties

CALENDAR = {
    "name": "Support Berlin",
    "team": "support",
    "time_zone": "Europe/Berlin",
    "hours": {d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": [{"name": "Christmas", "start": "2026-12-24", "end": "2026-12-26"}],
}


@pytest.fixture
def policy(crm: Crm) -> policies.Policy:
    with crm.transaction() as tx:
        policies.create_policy(
            tx, {"name": "Standard", "first_response_minutes": 60, "resolution_minutes": 480}
        )
        return policies.create_policy(
            tx,
            {
                "name": "Urgent",
                "priority": "urgent",
                "first_response_minutes": 15,
                "resolution_minutes": 120,
            },
        )


def open_case(crm: Crm, actor: Any, party_id: int, **data: Any) -> Any:
    with crm.transaction(actor) as tx:
        return service.open_case(tx, {"party_id": party_id, "subject": "Help", **data})


def test_the_work_list_puts_the_soonest_due_first_and_waiting_cases_last(
    crm, staff, new_party, policy, sla_now
) -> None:
    agent = staff.agent.user_id
    normal = open_case(crm, staff.agent, new_party(), owner_id=agent)
    sla_now.advance(minutes=5)
    urgent = open_case(crm, staff.agent, new_party(), owner_id=agent, priority="urgent")
    waiting = open_case(crm, staff.agent, new_party(), owner_id=agent)
    with crm.transaction(staff.agent) as tx:
        service.reply(tx, waiting.id, "Which model?", status="waiting_on_customer")
    open_case(crm, staff.agent, new_party(), owner_id=staff.lead.user_id)
    with crm.read() as conn:
        items = work_list(conn, crm.host, staff.agent, agent)
    assert [(i.case_id, i.metric, i.state) for i in items] == [
        (urgent.id, "first_response", "running"),
        (normal.id, "first_response", "running"),
        (waiting.id, "resolution", "paused"),
    ]
    assert items[0].due_at == sla_now() + timedelta(minutes=15)
    with crm.read() as conn:
        assert [i.case_id for i in work_list(conn, crm.host, staff.agent, agent, limit=1)] == [
            urgent.id
        ]


def test_the_work_list_and_compliance_leave_out_parties_the_viewer_may_not_see(
    crm, staff, new_party, new_user, policy, sla_now
) -> None:
    agent = staff.agent.user_id
    seller = new_user("sara", "sales")
    open_case(crm, SYSTEM, new_party(owner_id=seller.user_id), team="sales")
    seen = open_case(crm, staff.agent, new_party(), owner_id=agent)
    # Service staff see customers only: a case about a prospect stays out of their lists.
    hidden = open_case(crm, SYSTEM, new_party(role="prospect"), owner_id=agent)
    quarter = read_period("period", "2026-Q4")
    with crm.read() as conn:
        assert [i.case_id for i in work_list(conn, crm.host, staff.agent, agent)] == [seen.id]
        assert [i.case_id for i in work_list(conn, crm.host, SYSTEM, agent)] == sorted(
            [seen.id, hidden.id]
        )

        def counted(actor: Any) -> int:
            rows = compliance(conn, crm.host, actor, quarter)
            return sum(r.total for r in rows if r.metric == "first_response")

        # Service staff see both customers; the system everything; a seller the one party
        # they own (counted from the side of the parties seen, the fewer).
        assert (counted(staff.agent), counted(SYSTEM), counted(seller)) == (2, 3, 1)


def test_compliance_counts_met_breached_and_pending_per_team_and_target(
    crm, staff, new_party, policy, sla_now
) -> None:
    agent = staff.agent.user_id
    on_time = open_case(crm, staff.agent, new_party(), owner_id=agent)
    late = open_case(crm, staff.agent, new_party(), owner_id=agent)
    open_case(crm, staff.agent, new_party(), owner_id=agent)
    open_case(crm, staff.agent, new_party(), team="field")
    sla_now.advance(minutes=30)
    with crm.transaction(staff.agent) as tx:
        service.reply(tx, on_time.id, "Done.")
        service.change_status(tx, on_time.id, "resolved", root_cause="user", resolution="Explained")
    sla_now.advance(hours=9)
    with crm.transaction(staff.agent) as tx:
        service.reply(tx, late.id, "Sorry for the wait.")
    with crm.read() as conn:
        rows = compliance(conn, crm.host, SYSTEM, read_period("period", "2026-12"))
        support = compliance(conn, crm.host, SYSTEM, read_period("period", "2026"), "support")
        before = compliance(conn, crm.host, SYSTEM, read_period("period", "2026-Q3"))
    figures = {(r.team, r.metric): (r.total, r.met, r.breached, r.pending) for r in rows}
    assert figures == {
        ("support", "first_response"): (3, 1, 1, 1),
        ("support", "resolution"): (3, 1, 0, 2),
        ("field", "first_response"): (1, 0, 0, 1),
        ("field", "resolution"): (1, 0, 0, 1),
    }
    first = next(r for r in support if r.metric == "first_response")
    assert (first.met_percent, first.breached_percent) == (50.0, 50.0)
    assert {r.team for r in support} == {"support"} and before == []


def test_the_work_list_and_compliance_over_http(
    crm, staff, new_party, policy, client_as, sla_now
) -> None:
    opened = open_case(crm, staff.agent, new_party(), owner_id=staff.agent.user_id)
    agent = client_as(staff.agent)
    listed = agent.get("/p/service/sla/work-list")
    assert listed.status_code == 200
    assert [(i["case_id"], i["metric"]) for i in listed.json()] == [(opened.id, "first_response")]
    assert agent.get(f"/p/service/sla/work-list?owner_id={staff.lead.user_id}").status_code == 403
    assert (
        client_as(staff.lead).get(f"/p/service/sla/work-list?owner_id={staff.agent.user_id}").json()
    )
    assert agent.get("/p/service/sla/work-list?limit=0").json()["field"] == "limit"
    report = agent.get("/p/service/sla/compliance?period=2026-Q4")
    assert {r["metric"] for r in report.json()} == {"first_response", "resolution"}
    assert agent.get("/p/service/sla/compliance?period=2026-Q5").json()["field"] == "period"
    page = agent.get("/p/service/my-work")
    assert page.status_code == 200 and opened.number in page.text
    assert "first response" in agent.get("/p/service/sla-compliance?period=2026-Q4").text
    clocks = agent.get(f"/p/service/cases/{opened.id}/sla").json()
    assert {c["metric"] for c in clocks} == {"first_response", "resolution"}


def test_a_case_the_viewer_may_not_see_has_no_clocks_to_show(
    crm, staff, new_party, policy, client_as, sla_now
) -> None:
    hidden = open_case(crm, SYSTEM, new_party(role="prospect"), owner_id=staff.agent.user_id)
    assert client_as(staff.agent).get(f"/p/service/cases/{hidden.id}/sla").status_code == 404
    assert client_as(staff.manager).get(f"/p/service/cases/{hidden.id}/sla").status_code == 200


def test_calendars_over_http_refuse_overlapping_holidays_and_store_nothing(
    crm, staff, client_as
) -> None:
    manager = client_as(staff.manager)
    overlapping = {
        **CALENDAR,
        "holidays": [
            {"name": "Christmas", "start": "2026-12-24", "end": "2026-12-26"},
            {"name": "Boxing Day", "start": "2026-12-26"},
        ],
    }
    refused = manager.post("/p/service/sla/calendars", json=overlapping)
    assert refused.status_code == 422 and refused.json()["field"] == "holidays[1]"
    bad_zone = manager.post(
        "/p/service/sla/calendars", json={**CALENDAR, "time_zone": "Mars/Olympus"}
    )
    assert bad_zone.status_code == 422 and bad_zone.json()["field"] == "time_zone"
    with crm.read() as conn:
        assert conn.execute(select(func.count()).select_from(calendar)).scalar() == 0
    created = manager.post("/p/service/sla/calendars", json=CALENDAR)
    assert created.status_code == 201
    body = created.json()
    assert body["hours"]["mon"] == ["09:00-17:00"] and "sat" not in body["hours"]
    assert (
        manager.post("/p/service/sla/calendars", json={**CALENDAR, "name": "Other"}).status_code
        == 409
    )
    changed = manager.put(
        f"/p/service/sla/calendars/{body['id']}",
        json={**CALENDAR, "time_zone": "Europe/Paris", "version": 1},
    )
    assert changed.status_code == 200 and changed.json()["version"] == 2
    stale = manager.put(f"/p/service/sla/calendars/{body['id']}", json={**CALENDAR, "version": 1})
    assert stale.status_code == 409
    assert client_as(staff.agent).post("/p/service/sla/calendars", json=CALENDAR).status_code == 403
    assert (
        client_as(staff.agent).get("/p/service/sla/calendars").json()[0]["time_zone"]
        == "Europe/Paris"
    )
    assert manager.delete(f"/p/service/sla/calendars/{body['id']}").status_code == 204
    assert manager.get(f"/p/service/sla/calendars/{body['id']}").status_code == 404


def test_policies_over_http(crm, staff, client_as) -> None:
    manager = client_as(staff.manager)
    body = {"name": "Gold", "tier": "gold", "first_response_minutes": 30, "resolution_minutes": 240}
    created = manager.post("/p/service/sla/policies", json=body)
    assert created.status_code == 201
    same_scope = manager.post("/p/service/sla/policies", json={**body, "name": "Gold again"})
    assert same_scope.status_code == 409
    unknown = manager.post("/p/service/sla/policies", json={**body, "name": "X", "colour": "red"})
    assert unknown.status_code == 422
    policy_id = created.json()["id"]
    changed = manager.put(
        f"/p/service/sla/policies/{policy_id}", json={**body, "penalty": "Credit"}
    )
    assert changed.json()["penalty"] == "Credit"
    assert (
        client_as(staff.agent).put(f"/p/service/sla/policies/{policy_id}", json=body).status_code
        == 403
    )
    assert manager.delete(f"/p/service/sla/policies/{policy_id}").status_code == 204


def test_sla_rows_follow_a_merge_are_exported_and_erased(
    crm, staff, new_party, policy, sla_now
) -> None:
    survivor, merged = new_party(), new_party(first_name="Adah")
    opened = open_case(crm, staff.agent, merged, owner_id=staff.agent.user_id)
    sla_now.advance(hours=2)
    with crm.transaction(staff.agent) as tx:
        service.reply(tx, opened.id, "Late, sorry.")
    with crm.transaction() as tx:
        merge_parties(tx, survivor, merged)
    with crm.read() as conn:
        exported = export_party(conn, crm.host, survivor)["service"]
    assert {c["metric"] for c in exported["sla_clocks"]} == {"first_response", "resolution"}
    assert [b["metric"] for b in exported["sla_breaches"]] == ["first_response"]
    with crm.transaction() as tx:
        erase_party(tx, survivor)
    with crm.read() as conn:
        assert conn.execute(select(func.count()).select_from(clock)).scalar() == 0


def test_breaches_are_listed_with_their_penalty_for_the_parties_seen(
    crm, staff, new_party, client_as, sla_now
) -> None:
    with crm.transaction() as tx:
        policies.create_policy(
            tx,
            {
                "name": "Contract A",
                "first_response_minutes": 60,
                "resolution_minutes": 480,
                "penalty": "EUR 50 per breach",
            },
        )
    seen = open_case(crm, staff.agent, new_party(), owner_id=staff.agent.user_id)
    open_case(crm, SYSTEM, new_party(role="prospect"), owner_id=staff.agent.user_id)
    sla_now.advance(hours=2)
    assert crm.jobs.run("service.sla_watch").ok
    listed = client_as(staff.agent).get("/p/service/sla/breaches?period=2026-12")
    assert [(b["case_id"], b["metric"], b["penalty"]) for b in listed.json()] == [
        (seen.id, "first_response", "EUR 50 per breach")
    ]
    assert len(client_as(staff.manager).get("/p/service/sla/breaches?period=2026-12").json()) == 2
    assert client_as(staff.agent).get("/p/service/sla/breaches?period=2026-11").json() == []
    refused = client_as(staff.agent).get("/p/service/sla/breaches?limit=501")
    assert refused.status_code == 422 and refused.json()["field"] == "limit"
