"""Reminders go once to confirmed registrants only; follow-up leads are made once per attendee."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from crmkit_campaigns.events import registration as registrations
from crmkit_campaigns.events.checkin import check_in
from crmkit_campaigns.events.tables import registration
from sqlalchemy import func, select

from crmkit import SYSTEM, Crm, party_table, utcnow

EVENTS = "/p/campaigns/events"


@pytest.fixture
def crm(relayed: Any) -> Crm:
    return relayed()


def _register(
    crm: Crm, event_id: int, first: str, email: str, *, last: str = "Tester", confirm: bool = True
) -> int:
    with crm.transaction(SYSTEM) as tx:
        form = {"first_name": first, "last_name": last, "email": email}
        reg_id = registrations.register(tx, event_id, form, utcnow()).registration_id
        if confirm:
            registrations.confirm(tx, reg_id, utcnow())
    return reg_id


def test_each_confirmed_registrant_gets_one_reminder_and_the_pending_none(
    crm: Crm, desk: Any, smtp_relay: Any
) -> None:
    soon = utcnow() + timedelta(hours=5)
    made = desk.create(starts_at=soon.isoformat(), ends_at=(soon + timedelta(hours=1)).isoformat())
    later = utcnow() + timedelta(days=5)
    far = desk.create(
        name="Later", starts_at=later.isoformat(), ends_at=(later + timedelta(hours=1)).isoformat()
    )
    _register(crm, made["id"], "Ada", "ada@lovelace.eu")
    _register(crm, made["id"], "Pat", "pat@pending.eu", confirm=False)
    _register(crm, far["id"], "Fay", "fay@far.eu")
    crm.jobs.run("channels.deliver_email")
    smtp_relay.handler.messages.clear()
    assert crm.jobs.run("campaigns.event_reminders").ok
    assert crm.jobs.run("campaigns.event_reminders").ok
    crm.jobs.run("channels.deliver_email")
    reminders = [m for m in smtp_relay.handler.messages if m["Subject"].startswith("Reminder:")]
    assert [m["To"] for m in reminders] == ["ada@lovelace.eu"]
    text = reminders[0].get_body(preferencelist=("plain",)).get_content()
    assert "/p/campaigns/public/events/qr?t=" in text
    with crm.read() as conn:
        reminded = conn.execute(
            select(registration.c.email).where(registration.c.reminded_at.is_not(None))
        ).scalars()
        assert list(reminded) == ["ada@lovelace.eu"]


def test_follow_ups_are_created_once_for_a_done_event(
    crm: Crm, desk: Any, client_as: Any, staff: Any, new_party: Any, new_user: Any
) -> None:
    rep = new_user("rhea", "sales", territories=("DE-10",))
    customer = new_party(
        first_name="Carl", last_name="Customer", emails=["carl@customer.eu"], owner_id=rep.user_id
    )
    made = desk.create()
    carl = _register(crm, made["id"], "Carl", "carl@customer.eu", last="Customer")
    newcomer = _register(crm, made["id"], "Nina", "nina@newcomer.eu")
    _register(crm, made["id"], "Ned", "ned@noshow.eu")
    with crm.transaction(staff.marketer) as tx:
        check_in(tx, made["id"], carl, utcnow())
        check_in(tx, made["id"], newcomer, utcnow())
    with client_as(staff.marketer) as client:
        early = client.post(f"{EVENTS}/{made['id']}/follow-ups")
        assert early.status_code == 422 and early.json()["field"] == "status"
        client.patch(f"{EVENTS}/{made['id']}", json={"status": "done", "version": made["version"]})
        first = client.post(f"{EVENTS}/{made['id']}/follow-ups")
        assert first.status_code == 200 and first.json() == {"leads": 1, "tasks": 1}
        second = client.post(f"{EVENTS}/{made['id']}/follow-ups")
        assert second.json() == {"leads": 0, "tasks": 0}
        page = client.post(f"{EVENTS}/{made['id']}/follow-ups-form", follow_redirects=True)
        assert page.status_code == 200 and "0 leads and 0 tasks created" in page.text
    with client_as(rep) as client:
        tasks = client.get("/api/v1/tasks").json()
    items = tasks["items"] if isinstance(tasks, dict) else tasks
    assert [(t["party_id"], t["title"]) for t in items] == [
        (customer, "Follow up: attended Heat pumps explained")
    ]
    with crm.read() as conn:
        followed = conn.execute(
            select(func.count()).where(registration.c.followed_up_at.is_not(None))
        ).scalar_one()
        nina = conn.execute(
            select(party_table.c.role).where(party_table.c.first_name == "Nina")
        ).scalar_one()
    assert followed == 2 and nina == "prospect"
