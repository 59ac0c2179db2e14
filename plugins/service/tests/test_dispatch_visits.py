"""Dispatch: a visit for a case, who is free for it, assignment, status with times, the customer told,
a contract's visit used; refusals over HTTP."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pytest
from crmkit_channels.tables import email
from crmkit_service.assets.service import create_contract, get_contract
from crmkit_service.cases.service import case_events, open_case
from crmkit_service.dispatch import service
from crmkit_service.dispatch.tables import dispatch
from crmkit_service.dispatch.technicians import create_technician
from sqlalchemy import func, select

from crmkit import Crm, Event, hookimpl, timeline, utcnow
from crmkit.testing import register_plugin

EVERY_DAY = [{"weekday": d, "starts": "07:00", "ends": "19:00"} for d in range(1, 8)]


def tomorrow_at(hour: int) -> datetime:
    day = (utcnow() + timedelta(days=1)).date()
    return datetime.combine(day, time(hour)).replace(tzinfo=utcnow().tzinfo)


@pytest.fixture
def technicians(crm: Crm) -> dict[str, int]:
    """Berlin (DE-10), Munich (DE-8), and a Berlin partner who works nights only."""
    found = {}
    with crm.transaction() as tx:
        for name, territories, windows in (
            ("Bert Berlin", ["DE-10"], EVERY_DAY),
            ("Mia Munich", ["DE-8"], EVERY_DAY),
            (
                "Night Partner GmbH",
                ["DE"],
                [{"weekday": d, "starts": "20:00", "ends": "23:59"} for d in range(1, 8)],
            ),
        ):
            found[name] = create_technician(
                tx,
                {"name": name, "territories": territories, "windows": windows},
                default_zone="UTC",
                region="DE",
            ).id
    return found


def open_one(crm: Crm, actor: Any, party_id: int, **data: Any) -> Any:
    with crm.transaction(actor) as tx:
        return open_case(tx, {"party_id": party_id, "subject": "Heating is down", **data})


def emails_to(crm: Crm, address: str) -> list[str]:
    with crm.read() as conn:
        return list(
            conn.execute(select(email.c.subject).where(email.c.recipient == address)).scalars()
        )


def test_a_visit_is_requested_assigned_reported_and_counted_on_the_contract(
    crm: Crm, staff: Any, new_party: Any, client_as: Any, technicians: dict[str, int]
) -> None:
    party = new_party()
    with crm.transaction() as tx:
        contract = create_contract(
            tx,
            {
                "party_id": party,
                "reference": "SC-9",
                "starts_on": "2020-01-01",
                "ends_on": "2099-12-31",
                "visits_included": 2,
            },
        )
    case = open_one(crm, staff.agent, party)
    start = tomorrow_at(9)
    with client_as(staff.agent) as client:
        created = client.post(
            f"/p/service/cases/{case.id}/dispatches",
            json={"scheduled_start": start.isoformat(), "urgency": "high"},
        )
        assert created.status_code == 201, created.text
        visit = created.json()
        assert visit["status"] == "requested" and visit["territory"] == "DE-10117"
        assert visit["entitlement"] == "contract" and visit["billable"] is False
        assert visit["scheduled_end"] == (start + timedelta(minutes=120)).isoformat()

        candidates = client.get(f"/p/service/dispatches/{visit['id']}/candidates").json()
        assert [c["technician"]["name"] for c in candidates] == ["Bert Berlin"]

        assigned = client.post(
            f"/p/service/dispatches/{visit['id']}/assign",
            json={"technician_id": technicians["Bert Berlin"], "version": visit["version"]},
        )
        assert assigned.status_code == 200, assigned.text
        assert assigned.json()["status"] == "dispatched" and assigned.json()["dispatched_at"]

        on_site = client.post(
            f"/p/service/dispatches/{visit['id']}/status", json={"status": "on_site"}
        )
        assert on_site.json()["on_site_at"]
        done = client.post(
            f"/p/service/dispatches/{visit['id']}/status",
            json={"status": "done", "report": "Replaced the pump."},
        ).json()
    assert done["status"] == "done" and done["report"] == "Replaced the pump."
    assert done["billable"] is False and done["contract_id"] == contract.id
    with crm.read() as conn:
        assert get_contract(conn, contract.id).visits_used == 1
        events = case_events(conn, case.id, public_only=True)
        entries = timeline(conn, party, limit=50).items
    told = [e.body or "" for e in events if e.kind == "dispatch"]
    assert len(told) == 4 and "Bert Berlin will come" in told[1] and "Visit done" in told[3]
    on_timeline = [f"{i.subject} {i.summary}" for i in entries]
    assert any("Visit done" in text for text in on_timeline), on_timeline
    subjects = emails_to(crm, "ada@example.org")
    assert any("Visit booked" in s for s in subjects)
    assert any("Visit done" in s for s in subjects)


def one_visit_contract(crm: Crm, party: int) -> Any:
    """A running service contract of ``party`` that includes one visit."""
    with crm.transaction() as tx:
        return create_contract(
            tx,
            {
                "party_id": party,
                "reference": "SC-1",
                "starts_on": "2020-01-01",
                "ends_on": "2099-12-31",
                "visits_included": 1,
            },
        )


def test_a_visit_beyond_the_contracts_visits_is_flagged_billable(
    crm: Crm, staff: Any, new_party: Any, technicians: dict[str, int]
) -> None:
    party = new_party()
    contract = one_visit_contract(crm, party)
    case = open_one(crm, staff.agent, party)
    outcomes = []
    for hour in (9, 12):
        with crm.transaction(staff.agent) as tx:
            visit = service.create_dispatch(
                tx,
                case,
                {
                    "scheduled_start": tomorrow_at(hour).isoformat(),
                    "technician_id": technicians["Bert Berlin"],
                },
            )
            service.change_status(tx, visit.id, "on_site")
            outcomes.append(service.change_status(tx, visit.id, "done").billable)
    assert outcomes == [False, True]
    with crm.read() as conn:
        assert get_contract(conn, contract.id).visits_used == 1


def test_two_visits_done_at_once_take_the_contracts_last_visit_once(
    crm: Crm,
    staff: Any,
    new_party: Any,
    client_as: Any,
    technicians: dict[str, int],
    at_once: Any,
) -> None:
    party = new_party()
    contract = one_visit_contract(crm, party)
    case = open_one(crm, staff.agent, party)
    visits = []
    for hour in (9, 13):
        with crm.transaction(staff.agent) as tx:
            visit = service.create_dispatch(
                tx,
                case,
                {
                    "scheduled_start": tomorrow_at(hour).isoformat(),
                    "technician_id": technicians["Bert Berlin"],
                },
            )
            visits.append(service.change_status(tx, visit.id, "on_site"))
    clients = [client_as(staff.agent) for _ in visits]

    def done(client: Any, visit: Any) -> Any:
        with client:
            path = f"/p/service/dispatches/{visit.id}/status"
            return client.post(path, json={"status": "done", "version": visit.version}).json()

    answers = at_once(*[lambda c=c, v=v: done(c, v) for c, v in zip(clients, visits, strict=True)])
    assert sorted(answer["billable"] for answer in answers) == [False, True]
    with crm.read() as conn:
        assert get_contract(conn, contract.id).visits_used == 1


def test_a_technician_assigned_to_one_slot_from_four_sessions_at_once_takes_one_visit(
    crm: Crm,
    staff: Any,
    new_party: Any,
    client_as: Any,
    technicians: dict[str, int],
    at_once: Any,
) -> None:
    case = open_one(crm, staff.agent, new_party())
    with crm.transaction(staff.agent) as tx:
        start = tomorrow_at(10).isoformat()
        visits = [service.create_dispatch(tx, case, {"scheduled_start": start}) for _ in range(4)]
    clients = [client_as(staff.agent) for _ in visits]

    def assign(client: Any, visit: Any) -> int:
        with client:
            body = {"technician_id": technicians["Bert Berlin"], "version": visit.version}
            return int(
                client.post(f"/p/service/dispatches/{visit.id}/assign", json=body).status_code
            )

    answers = at_once(
        *[lambda c=c, v=v: assign(c, v) for c, v in zip(clients, visits, strict=True)]
    )
    assert sorted(answers) == [200, 422, 422, 422]
    with crm.read() as conn:
        booked = conn.execute(
            select(func.count()).where(dispatch.c.technician_id == technicians["Bert Berlin"])
        ).scalar_one()
    assert booked == 1


def test_a_step_reported_before_the_previous_one_or_in_the_future_is_refused(
    crm: Crm, staff: Any, new_party: Any, client_as: Any, technicians: dict[str, int]
) -> None:
    case = open_one(crm, staff.agent, new_party())
    with client_as(staff.agent) as client:
        visit = client.post(
            f"/p/service/cases/{case.id}/dispatches",
            json={
                "scheduled_start": tomorrow_at(9).isoformat(),
                "technician_id": technicians["Bert Berlin"],
            },
        ).json()
        path = f"/p/service/dispatches/{visit['id']}/status"
        dispatched_at = datetime.fromisoformat(visit["dispatched_at"])
        for status, at in (
            ("on_site", "2024-06-01T09:00:00+00:00"),  # before the visit was even requested
            ("on_site", (dispatched_at - timedelta(minutes=1)).isoformat()),
            ("on_site", (utcnow() + timedelta(hours=1)).isoformat()),
        ):
            refused = client.post(path, json={"status": status, "at": at})
            assert refused.status_code == 422 and refused.json()["field"] == "at", refused.text
        on_site = client.post(path, json={"status": "on_site"}).json()
        before_arrival = datetime.fromisoformat(on_site["on_site_at"]) - timedelta(seconds=1)
        refused = client.post(path, json={"status": "done", "at": before_arrival.isoformat()})
        assert refused.status_code == 422 and refused.json()["field"] == "at"
        assert client.get(f"/p/service/dispatches/{visit['id']}").json()["status"] == "on_site"


def test_unknown_or_repeated_query_parameters_are_refused_naming_them(
    crm: Crm, staff: Any, client_as: Any
) -> None:
    with client_as(staff.manager) as client:
        for path, name in (
            ("/p/service/dispatches?bogus=1", "bogus"),
            ("/p/service/dispatches?status=done&status=cancelled", "status"),
            ("/p/service/technicians?activ=true", "activ"),
            ("/p/service/technicians/free?territory=DE-10117&start=x&colour=red", "colour"),
        ):
            refused = client.get(path)
            assert refused.status_code == 422 and refused.json()["field"] == name, path


def test_a_busy_or_distant_technician_is_refused_and_nothing_changes(
    crm: Crm, staff: Any, new_party: Any, client_as: Any, technicians: dict[str, int]
) -> None:
    party = new_party()
    case = open_one(crm, staff.agent, party)
    start = tomorrow_at(10).isoformat()
    with client_as(staff.agent) as client:
        first = client.post(
            f"/p/service/cases/{case.id}/dispatches",
            json={"scheduled_start": start, "technician_id": technicians["Bert Berlin"]},
        )
        assert first.status_code == 201 and first.json()["status"] == "dispatched"
        second = client.post(
            f"/p/service/cases/{case.id}/dispatches", json={"scheduled_start": start}
        ).json()
        for name, reason in (
            ("Bert Berlin", "is booked for another visit"),
            ("Mia Munich", "does not serve the region"),
            ("Night Partner GmbH", "does not work at that time"),
        ):
            refused = client.post(
                f"/p/service/dispatches/{second['id']}/assign",
                json={"technician_id": technicians[name]},
            )
            assert refused.status_code == 422, name
            assert refused.json()["field"] == "technician_id"
            assert reason in refused.json()["detail"]
        unchanged = client.get(f"/p/service/dispatches/{second['id']}").json()
    assert unchanged["status"] == "requested" and unchanged["version"] == second["version"]


def test_refusals_name_the_field(
    crm: Crm, staff: Any, new_party: Any, client_as: Any, technicians: dict[str, int]
) -> None:
    homeless = new_party(addresses=[])
    case = open_one(crm, staff.agent, homeless)
    path = f"/p/service/cases/{case.id}/dispatches"
    start = tomorrow_at(9).isoformat()
    with client_as(staff.agent) as client:
        for body, field in (
            ({"scheduled_start": start}, "address"),
            ({"scheduled_start": start, "address": {"country": "DE"}}, "address.postcode"),
            (
                {"scheduled_start": start, "address": {"country": "XX", "postcode": "1"}},
                "address.country",
            ),
            (
                {
                    "scheduled_start": start,
                    "urgency": "asap",
                    "address": {"country": "DE", "postcode": "10117"},
                },
                "urgency",
            ),
            ({"address": {"country": "DE", "postcode": "10117"}}, "scheduled_start"),
            (
                {
                    "scheduled_start": start,
                    "scheduled_end": start,
                    "address": {"country": "DE", "postcode": "10117"},
                },
                "scheduled_end",
            ),
            (
                {
                    "scheduled_start": start,
                    "asset_id": 4242,
                    "address": {"country": "DE", "postcode": "10117"},
                },
                "asset_id",
            ),
            (
                {
                    "scheduled_start": "9999-12-01T10:00:00Z",
                    "address": {"country": "DE", "postcode": "1"},
                },
                "scheduled_start",
            ),
        ):
            refused = client.post(path, json=body)
            assert refused.status_code == 422, (body, refused.text)
            assert refused.json()["field"] == field
        visit = client.post(
            path, json={"scheduled_start": start, "address": {"country": "de", "postcode": "10117"}}
        ).json()
        done_too_early = client.post(
            f"/p/service/dispatches/{visit['id']}/status", json={"status": "done"}
        )
        assert done_too_early.status_code == 422 and done_too_early.json()["field"] == "status"
    with crm.read() as conn:
        assert conn.execute(select(func.count()).select_from(dispatch)).scalar_one() == 1


def test_the_visits_of_a_party_the_user_may_not_see_are_not_found(
    crm: Crm, staff: Any, new_party: Any, client_as: Any, technicians: dict[str, int]
) -> None:
    hidden = new_party("prospect")  # the service role sees customers only
    case = open_one(crm, staff.manager, hidden)
    with crm.transaction(staff.manager) as tx:
        visit = service.create_dispatch(tx, case, {"scheduled_start": tomorrow_at(9).isoformat()})
    with client_as(staff.agent) as client:
        assert client.get(f"/p/service/dispatches/{visit.id}").status_code == 404
        assert client.get(f"/p/service/dispatches/{visit.id}/candidates").status_code == 404
        assert client.get(f"/p/service/cases/{case.id}/dispatches").status_code == 404
        assigned = client.post(
            f"/p/service/dispatches/{visit.id}/assign",
            json={"technician_id": technicians["Bert Berlin"]},
        )
        assert assigned.status_code == 404
        assert client.get("/p/service/dispatches").json() == []
    with client_as(staff.manager) as client:
        assert [d["id"] for d in client.get("/p/service/dispatches").json()] == [visit.id]


def test_a_customer_without_an_address_to_write_to_is_noted_on_the_case(
    crm: Crm, staff: Any, new_party: Any, technicians: dict[str, int]
) -> None:
    party = new_party(emails=[])
    case = open_one(crm, staff.agent, party)
    with crm.transaction(staff.agent) as tx:
        service.create_dispatch(
            tx,
            case,
            {
                "scheduled_start": tomorrow_at(9).isoformat(),
                "technician_id": technicians["Bert Berlin"],
            },
        )
    with crm.read() as conn:
        bodies = [e.body or "" for e in case_events(conn, case.id) if e.kind == "dispatch"]
    assert "not sent: the customer has no email address or phone number" in bodies[-1]


def test_each_step_of_a_visit_is_an_event_without_the_site_or_report(
    crm: Crm, make_crm: Any, staff: Any, new_party: Any, technicians: dict[str, int]
) -> None:
    seen: list[Event] = []

    class Listener:
        @hookimpl
        def on_event(self, event: Event) -> None:
            if event.type.startswith("service.dispatch"):
                seen.append(event)

    listening = make_crm(
        plugins=["channels", "service", register_plugin(Listener(), name="listener")],
        settings=crm.settings,
        create_tables=False,
    )
    case = open_one(crm, staff.agent, new_party())
    with listening.transaction(staff.agent) as tx:
        visit = service.create_dispatch(
            tx,
            case,
            {
                "scheduled_start": tomorrow_at(9).isoformat(),
                "technician_id": technicians["Bert Berlin"],
                "instructions": "Key under the mat",
            },
        )
        service.change_status(tx, visit.id, "cancelled", report="Customer not at home")
    assert [(e.type, e.payload["status"]) for e in seen] == [
        ("service.dispatch_requested", "requested"),
        ("service.dispatch_assigned", "dispatched"),
        ("service.dispatch_status_changed", "cancelled"),
    ]
    text = str([e.payload for e in seen])
    assert "Key under the mat" not in text and "10117" not in text and "not at home" not in text
