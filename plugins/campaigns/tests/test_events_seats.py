"""Seats hold under concurrency, and tampered or foreign links change nothing."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from crmkit_campaigns.events import registration as registrations
from crmkit_campaigns.events.tables import event, registration, session
from crmkit_campaigns.events.tokens import make_token
from sqlalchemy import func, select

from crmkit import SYSTEM, Crm, NotFound, utcnow

PUBLIC = "/p/campaigns/public/events"


@pytest.fixture
def crm(relayed: Any) -> Crm:
    return relayed()


def _pending(crm: Crm, event_id: int, *emails: str) -> list[int]:
    ids = []
    for n, email in enumerate(emails):
        with crm.transaction(SYSTEM) as tx:
            form = {"first_name": f"Person{n}", "last_name": "Racer", "email": email}
            ids.append(registrations.register(tx, event_id, form, utcnow()).registration_id)
    return ids


def test_two_confirmations_for_the_last_seat_seat_exactly_one(crm: Crm, desk: Any) -> None:
    made = desk.create(capacity=1)
    first, second = _pending(crm, made["id"], "one@racers.eu", "two@racers.eu")
    start = threading.Barrier(2)
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def confirm(registration_id: int) -> None:
        try:
            start.wait()
            with crm.transaction(SYSTEM) as tx:
                outcomes.append(registrations.confirm(tx, registration_id, utcnow()).status)
        except BaseException as exc:  # reported below, on the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=confirm, args=(r,)) for r in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    assert sorted(outcomes) == ["confirmed", "waitlisted"]
    with crm.read() as conn:
        assert conn.execute(select(event.c.seats_taken)).scalar_one() == 1
        held = conn.execute(select(func.sum(registration.c.holds_seat))).scalar_one()
    assert held == 1


def test_a_full_session_waitlists_and_gives_back_the_event_seat(
    crm: Crm, desk: Any, client_as: Any, staff: Any
) -> None:
    made = desk.create(capacity=5)
    start = utcnow() + timedelta(days=3)
    with client_as(staff.marketer) as client:
        added = client.post(
            f"/p/campaigns/events/{made['id']}/sessions",
            json={
                "title": "Workshop",
                "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(hours=1)).isoformat(),
                "capacity": 1,
            },
        )
    assert added.status_code == 201, added.text
    session_id = added.json()["id"]
    ids = []
    for n, email in enumerate(("one@racers.eu", "two@racers.eu")):
        with crm.transaction(SYSTEM) as tx:
            form = {
                "first_name": f"P{n}",
                "last_name": "Racer",
                "email": email,
                "sessions": [str(session_id)],
            }
            ids.append(registrations.register(tx, made["id"], form, utcnow()).registration_id)
    with crm.transaction(SYSTEM) as tx:
        assert registrations.confirm(tx, ids[0], utcnow()).status == "confirmed"
        assert registrations.confirm(tx, ids[1], utcnow()).status == "waitlisted"
    with crm.read() as conn:
        assert conn.execute(select(event.c.seats_taken)).scalar_one() == 1
        assert conn.execute(select(session.c.seats_taken)).scalar_one() == 1


def test_tampered_links_answer_404_and_change_nothing(crm: Crm, desk: Any, anonymous: Any) -> None:
    made = desk.create(capacity=3)
    (reg_id,) = _pending(crm, made["id"], "ada@lovelace.eu")
    good = make_token(crm, "confirm", reg_id)
    other_id, signature = good.split(".")
    tampered = (
        f"{reg_id}.{'0' * len(signature)}",
        f"{int(other_id) + 1}.{signature}",
        make_token(crm, "cancel", reg_id),  # a token of another purpose
        "nonsense",
        "",
    )
    for token in tampered:
        page = anonymous.get(f"{PUBLIC}/confirm", params={"t": token})
        assert page.status_code == 404 and "not valid" in page.text
        posted = anonymous.post(f"{PUBLIC}/confirm", data={"t": token})
        assert posted.status_code == 404
        assert anonymous.get(f"{PUBLIC}/qr", params={"t": token}).status_code == 404
        if token != make_token(crm, "cancel", reg_id):
            assert anonymous.post(f"{PUBLIC}/cancel", data={"t": token}).status_code == 404
    with crm.read() as conn:
        assert conn.execute(select(registration.c.status)).scalar_one() == "pending"
        assert conn.execute(select(event.c.seats_taken)).scalar_one() == 0


def test_an_expired_confirmation_link_confirms_nothing(crm: Crm, desk: Any, anonymous: Any) -> None:
    made = desk.create()
    (reg_id,) = _pending(crm, made["id"], "ada@lovelace.eu")
    with crm.transaction(SYSTEM) as tx:
        tx.conn.execute(registration.update().values(created_at=utcnow() - timedelta(hours=49)))
    token = make_token(crm, "confirm", reg_id)
    answer = anonymous.post(f"{PUBLIC}/confirm", data={"t": token})
    assert answer.status_code == 404 and "expired" in answer.text
    with crm.read() as conn:
        assert conn.execute(select(registration.c.status)).scalar_one() == "pending"


def test_a_ticket_of_another_event_or_a_forged_one_is_refused_at_the_door(
    crm: Crm, desk: Any, client_as: Any, staff: Any
) -> None:
    fair = desk.create(name="Fair")
    webinar = desk.create(name="Webinar")
    (reg_id,) = _pending(crm, fair["id"], "ada@lovelace.eu")
    with crm.transaction(SYSTEM) as tx:
        registrations.confirm(tx, reg_id, utcnow())
    ticket = make_token(crm, "checkin", reg_id)
    with client_as(staff.marketer) as door:
        foreign = door.post(f"/p/campaigns/events/{webinar['id']}/check-in", json={"token": ticket})
        assert foreign.status_code == 422 and foreign.json()["field"] == "token"
        assert "another event" in foreign.json()["detail"]
        forged = door.post(
            f"/p/campaigns/events/{fair['id']}/check-in", json={"token": f"{reg_id}.{'f' * 32}"}
        )
        assert forged.status_code == 422 and "not a valid ticket" in forged.json()["detail"]
        page = door.post(
            f"/p/campaigns/events/{webinar['id']}/check-in-form", data={"token": ticket}
        )
        assert page.status_code == 422 and "another event" in page.text
        url = f"https://crm.acme.example/p/campaigns/events/{fair['id']}/check-in?t={ticket}"
        ok = door.post(f"/p/campaigns/events/{fair['id']}/check-in", json={"token": url})
        assert ok.status_code == 200 and ok.json()["outcome"] == "checked_in"
    with crm.read() as conn:
        assert conn.execute(select(registration.c.status)).scalar_one() == "attended"


def test_unknown_registration_is_not_found(crm: Crm) -> None:
    with crm.transaction(SYSTEM) as tx, pytest.raises(NotFound):
        registrations.confirm(tx, 999, utcnow())


def test_raising_a_sessions_capacity_seats_the_first_waiting_for_it(
    crm: Crm, desk: Any, client_as: Any, staff: Any
) -> None:
    made = desk.create(capacity=5)
    start = utcnow() + timedelta(days=3)
    workshop = {
        "title": "Workshop",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=1)).isoformat(),
        "capacity": 1,
    }
    with client_as(staff.marketer) as client:
        added = client.post(f"/p/campaigns/events/{made['id']}/sessions", json=workshop).json()
    ids = []
    for n, email in enumerate(("one@racers.eu", "two@racers.eu", "three@racers.eu")):
        with crm.transaction(SYSTEM) as tx:
            form = {
                "first_name": f"P{n}",
                "last_name": "Racer",
                "email": email,
                "sessions": [added["id"]],
            }
            ids.append(registrations.register(tx, made["id"], form, utcnow()).registration_id)
            registrations.confirm(tx, ids[-1], utcnow())
    with client_as(staff.marketer) as client:
        raised = client.patch(
            f"/p/campaigns/events/{made['id']}/sessions/{added['id']}",
            json={"capacity": 2, "version": added["version"]},
        )
        assert raised.status_code == 200, raised.text
        assert raised.json()["seats_taken"] == 2
    with crm.read() as conn:
        statuses = dict(conn.execute(select(registration.c.id, registration.c.status)).all())
        assert conn.execute(select(event.c.seats_taken)).scalar_one() == 2
    assert statuses == {ids[0]: "confirmed", ids[1]: "confirmed", ids[2]: "waitlisted"}
