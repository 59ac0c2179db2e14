"""Registrations are the party's data: exported with it, anonymised on erasure, moved on a merge;
and the demo fills events with attendees and a waiting list."""

from __future__ import annotations

from typing import Any

import pytest
from crmkit_campaigns.events import registration as registrations
from crmkit_campaigns.events.tables import event, registration
from crmkit_campaigns.events.tokens import make_token
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from crmkit import (
    SYSTEM,
    Crm,
    erase_party,
    export_party,
    interaction_table,
    merge_parties,
    utcnow,
)
from crmkit.testing import seed_demo_data


def _register(
    crm: Crm, event_id: int, email: str, first: str = "Ada", last: str = "Lovelace"
) -> int:
    with crm.transaction(SYSTEM) as tx:
        form = {"first_name": first, "last_name": last, "email": email}
        reg_id = registrations.register(tx, event_id, form, utcnow()).registration_id
        registrations.confirm(tx, reg_id, utcnow())
    return reg_id


def test_export_erase_and_merge_carry_the_registrations(
    crm: Crm, desk: Any, new_party: Any
) -> None:
    made = desk.create(capacity=5)
    survivor = new_party(first_name="Ada", last_name="Lovelace", emails=["ada@lovelace.eu"])
    _register(crm, made["id"], "ada@lovelace.eu")
    other = new_party(first_name="Augusta", last_name="King", emails=["augusta@king.eu"])
    _register(crm, made["id"], "augusta@king.eu", "Augusta", "King")
    with crm.read() as conn:
        exported = export_party(conn, crm.host, survivor)["campaigns"]["event_registrations"]
    assert [(r["email"], r["status"], r["event"]) for r in exported] == [
        ("ada@lovelace.eu", "confirmed", "Heat pumps explained")
    ]
    with crm.transaction(SYSTEM) as tx:
        merge_parties(tx, survivor, other)
    with crm.read() as conn:
        merged = conn.execute(
            select(registration.c.party_id, registration.c.status).order_by(registration.c.id)
        ).all()
        seats = conn.execute(select(event.c.seats_taken)).scalar_one()
    # One person, one seat: the older registration is kept, the other cancelled and freed.
    assert [tuple(r) for r in merged] == [(survivor, "confirmed"), (survivor, "cancelled")]
    assert seats == 1
    with crm.transaction(SYSTEM) as tx:
        erase_party(tx, survivor)
    with crm.read() as conn:
        rows = conn.execute(select(registration)).all()
        seats = conn.execute(select(event.c.seats_taken)).scalar_one()
    assert all(
        r.party_id is None and r.email is None and r.first_name is None and r.last_name is None
        for r in rows
    )
    # The seat held stays counted: the event still had its registrant.
    assert len(rows) == 2 and seats == 1


def test_the_demo_has_a_past_fair_with_attendees_and_a_full_webinar(make_campaigns: Any) -> None:
    crm = make_campaigns()
    seed_demo_data(crm, customers=400, prospects=100, now=utcnow())
    with crm.read() as conn:
        events = {e.kind: e for e in conn.execute(select(event))}
        counts = dict(
            conn.execute(
                select(registration.c.status, func.count()).group_by(registration.c.status)
            ).all()
        )
        attendance = conn.execute(
            select(func.count())
            .select_from(interaction_table)
            .where(interaction_table.c.channel == "event")
        ).scalar_one()
    assert set(events) == {"trade_fair", "webinar", "launch"}
    assert events["trade_fair"].status == "done" and events["webinar"].status == "published"
    assert events["webinar"].seats_taken == events["webinar"].capacity
    assert counts["attended"] == attendance > 0 and counts["waitlisted"] > 0


def _pending(crm: Crm, event_id: int, email: str, first: str = "Ada", last: str = "Tester") -> int:
    with crm.transaction(SYSTEM) as tx:
        form = {"first_name": first, "last_name": last, "email": email}
        return registrations.register(tx, event_id, form, utcnow()).registration_id


def _statuses(crm: Crm) -> dict[int, str]:
    with crm.read() as conn:
        return dict(conn.execute(select(registration.c.id, registration.c.status)).all())


def test_erasing_those_waiting_or_pending_withdraws_them_and_others_still_cancel(
    crm: Crm, desk: Any, new_party: Any, anonymous: Any, client_as: Any, staff: Any
) -> None:
    made = desk.create(capacity=1)
    new_party(first_name="Ada", last_name="Tester", emails=["ada@lovelace.eu"])
    seated = _register(crm, made["id"], "ada@lovelace.eu", "Ada", "Tester")
    waiting = _register(crm, made["id"], "bea@waits.eu", "Bea", "Waits")
    pending = _pending(crm, made["id"], "cy@pends.eu", "Cy")
    with crm.read() as conn:
        parties = dict(conn.execute(select(registration.c.id, registration.c.party_id)).all())
    with crm.transaction(SYSTEM) as tx:
        erase_party(tx, parties[waiting])
        erase_party(tx, parties[pending])
    assert _statuses(crm) == {seated: "confirmed", waiting: "cancelled", pending: "cancelled"}
    # The erased person's confirmation link confirms nothing and shows no button.
    confirm_page = anonymous.get(
        "/p/campaigns/public/events/confirm", params={"t": make_token(crm, "confirm", pending)}
    )
    assert confirm_page.status_code == 404 and "Confirm my registration" not in confirm_page.text
    with client_as(staff.marketer) as client:
        raised = client.patch(
            f"/p/campaigns/events/{made['id']}", json={"capacity": 3, "version": made["version"]}
        )
        assert raised.status_code == 200, raised.text
    freed = anonymous.post(
        "/p/campaigns/public/events/cancel", data={"t": make_token(crm, "cancel", seated)}
    )
    assert freed.status_code == 200, freed.text
    assert _statuses(crm)[seated] == "cancelled"
    with crm.read() as conn:
        assert conn.execute(select(event.c.seats_taken)).scalar_one() == 0


def test_a_freed_seat_passes_over_an_anonymised_registration_on_the_waiting_list(
    crm: Crm, desk: Any, client_as: Any, staff: Any, new_party: Any
) -> None:
    made = desk.create(capacity=1)
    new_party(first_name="Ada", last_name="Tester", emails=["ada@lovelace.eu"])
    seated = _register(crm, made["id"], "ada@lovelace.eu", "Ada", "Tester")
    anonymised = _register(crm, made["id"], "bea@waits.eu", "Bea", "Waits")
    next_in_line = _register(crm, made["id"], "cy@waits.eu", "Cy", "Waits")
    # A row anonymised before erasure withdrew waiting registrations: no party, still waiting.
    with crm.transaction(SYSTEM) as tx:
        tx.conn.execute(
            update(registration).where(registration.c.id == anonymised).values(party_id=None)
        )
    with client_as(staff.marketer) as client:
        done = client.post(f"/p/campaigns/events/{made['id']}/registrations/{seated}/cancel")
        assert done.status_code == 200, done.text
    assert _statuses(crm) == {
        seated: "cancelled",
        anonymised: "waitlisted",
        next_in_line: "confirmed",
    }


def test_a_merge_leaves_one_registration_per_event_and_gives_the_freed_seat_on(
    crm: Crm, desk: Any, new_party: Any
) -> None:
    fair = desk.create(name="Fair", capacity=2)
    survivor = new_party(first_name="Ada", last_name="Lovelace", emails=["ada@lovelace.eu"])
    merged = new_party(first_name="Ada", last_name="Byron", emails=["ada@byron.eu"])
    kept = _register(crm, fair["id"], "ada@lovelace.eu", "Ada", "Lovelace")
    twin = _register(crm, fair["id"], "ada@byron.eu", "Ada", "Byron")
    waiting = _register(crm, fair["id"], "grace@hopper.eu", "Grace", "Hopper")
    # At a second event the merged party attended and the survivor is only pending: the
    # attendance is what is kept.
    talk = desk.create(name="Talk", capacity=5)
    survivor_pending = _pending(crm, talk["id"], "ada@lovelace.eu", "Ada", "Lovelace")
    attended = _register(crm, talk["id"], "ada@byron.eu", "Ada", "Byron")
    with crm.transaction(SYSTEM) as tx:
        tx.conn.execute(
            update(registration).where(registration.c.id == attended).values(status="attended")
        )
        merge_parties(tx, survivor, merged)
    assert _statuses(crm) == {
        kept: "confirmed",
        twin: "cancelled",
        waiting: "confirmed",
        survivor_pending: "cancelled",
        attended: "attended",
    }
    with crm.read() as conn:
        seats = dict(conn.execute(select(event.c.id, event.c.seats_taken)).all())
        held = conn.execute(
            select(func.count()).where(
                registration.c.party_id == survivor, registration.c.holds_seat == 1
            )
        ).scalar_one()
    assert seats == {fair["id"]: 2, talk["id"]: 1} and held == 2


def test_one_person_holds_at_most_one_active_registration_per_event(
    crm: Crm, desk: Any, new_party: Any
) -> None:
    made = desk.create()
    party = new_party(first_name="Ada", last_name="Lovelace", emails=["ada@lovelace.eu"])
    first = _register(crm, made["id"], "ada@lovelace.eu")
    row = {
        "event_id": made["id"],
        "party_id": party,
        "status": "pending",
        "marketing_consent": 0,
        "created_at": utcnow(),
        "holds_seat": 0,
    }
    with pytest.raises(IntegrityError), crm.transaction(SYSTEM) as tx:
        tx.conn.execute(insert(registration).values(row))
    # Once the first is cancelled, registering again is allowed.
    with crm.transaction(SYSTEM) as tx:
        tx.conn.execute(
            update(registration).where(registration.c.id == first).values(status="cancelled")
        )
        tx.conn.execute(insert(registration).values(row))
