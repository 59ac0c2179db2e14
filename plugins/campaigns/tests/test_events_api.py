"""The events JSON API: validation naming fields, versions, sessions, and registrations
shown only for parties the user may see."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from crmkit_campaigns.events import registration as registrations
from crmkit_campaigns.events.tables import event, registration, session
from crmkit_campaigns.events.tokens import make_token
from sqlalchemy import func, insert, select

from crmkit import SYSTEM, Crm, utcnow

EVENTS = "/p/campaigns/events"


def _times(days: int = 3, hours: int = 2) -> dict[str, str]:
    start = utcnow() + timedelta(days=days)
    return {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=hours)).isoformat()}


def test_bad_events_are_refused_naming_the_field_and_nothing_is_stored(
    crm: Crm, client_as: Any, staff: Any
) -> None:
    good = {"kind": "webinar", "name": "Webinar", **_times()}
    cases = {
        "capacity": {**good, "capacity": -1},
        "ends_at": {**good, "ends_at": good["starts_at"]},
        "kind": {**good, "kind": "party"},
        "name": {**good, "name": "  "},
        "time_zone": {**good, "time_zone": "Mars/Olympus"},
        "online_url": {**good, "online_url": "javascript:alert(1)"},
        "owner_id": {**good, "owner_id": 987654},
        "registration_closes_at": {
            **good,
            "registration_closes_at": (utcnow() + timedelta(days=9)).isoformat(),
        },
        "colour": {**good, "colour": "red"},
    }
    with client_as(staff.marketer) as client:
        for field, body in cases.items():
            refused = client.post(EVENTS, json=body)
            assert refused.status_code == 422, (field, refused.text)
            assert refused.json()["field"] == field
    with crm.read() as conn:
        assert conn.execute(select(func.count()).select_from(event)).scalar_one() == 0


def test_sessions_must_lie_within_their_event_and_changes_need_the_current_version(
    crm: Crm, client_as: Any, staff: Any
) -> None:
    with client_as(staff.marketer) as client:
        made = client.post(EVENTS, json={"kind": "launch", "name": "Launch", **_times()}).json()
        assert made["status"] == "draft" and made["slug"] == f"launch-{made['id']}"
        early = client.post(
            f"{EVENTS}/{made['id']}/sessions", json={"title": "Too early", **_times(days=2)}
        )
        assert early.status_code == 422 and early.json()["field"] == "starts_at"
        late = client.post(
            f"{EVENTS}/{made['id']}/sessions",
            json={
                "title": "Too long",
                "starts_at": made["starts_at"],
                **{"ends_at": _times(4)["ends_at"]},
            },
        )
        assert late.status_code == 422 and late.json()["field"] == "ends_at"
        negative = client.post(
            f"{EVENTS}/{made['id']}/sessions",
            json={
                "title": "Talk",
                "starts_at": made["starts_at"],
                "ends_at": made["ends_at"],
                "capacity": -3,
            },
        )
        assert negative.status_code == 422 and negative.json()["field"] == "capacity"
        talk = client.post(
            f"{EVENTS}/{made['id']}/sessions",
            json={"title": "Talk", "starts_at": made["starts_at"], "ends_at": made["ends_at"]},
        )
        assert talk.status_code == 201
        # Moving the event away from its session is refused.
        moved = client.patch(
            f"{EVENTS}/{made['id']}", json={**_times(days=5), "version": made["version"]}
        )
        assert moved.status_code == 422 and moved.json()["field"] == "starts_at"
        unversioned = client.patch(f"{EVENTS}/{made['id']}", json={"status": "published"})
        assert unversioned.status_code == 422 and unversioned.json()["field"] == "version"
        published = client.patch(
            f"{EVENTS}/{made['id']}", json={"status": "published", "capacity": 20, "version": 1}
        )
        assert published.status_code == 200 and published.json()["version"] == 2
        assert published.json()["seats_left"] == 20
        stale = client.patch(f"{EVENTS}/{made['id']}", json={"capacity": 5, "version": 1})
        assert stale.status_code == 409
        shown = client.get(f"{EVENTS}/{made['id']}").json()
        assert shown["capacity"] == 20 and [s["title"] for s in shown["sessions"]] == ["Talk"]
        deleted = client.delete(f"{EVENTS}/{made['id']}/sessions/{talk.json()['id']}")
        assert deleted.status_code == 204
        assert client.get(f"{EVENTS}/99999").status_code == 404
    with crm.read() as conn:
        assert conn.execute(select(func.count()).select_from(session)).scalar_one() == 0


def test_capacity_cannot_drop_below_the_seats_taken(
    crm: Crm, desk: Any, client_as: Any, staff: Any
) -> None:
    made = desk.create(capacity=2)
    with crm.transaction(SYSTEM) as tx:
        form = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@lovelace.eu"}
        reg = registrations.register(tx, made["id"], form, utcnow())
        registrations.confirm(tx, reg.registration_id, utcnow())
    with client_as(staff.marketer) as client:
        lowered = client.patch(
            f"{EVENTS}/{made['id']}", json={"capacity": 0, "version": made["version"]}
        )
    assert lowered.status_code == 422 and lowered.json()["field"] == "capacity"


def test_staff_see_only_registrations_of_parties_they_may_see(
    crm: Crm, desk: Any, client_as: Any, staff: Any, new_party: Any
) -> None:
    made = desk.create()
    berliner = new_party(first_name="Ada", last_name="Lovelace", emails=["ada@lovelace.eu"])
    with crm.transaction(SYSTEM) as tx:
        form = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@lovelace.eu"}
        reg = registrations.register(tx, made["id"], form, utcnow())
        registrations.confirm(tx, reg.registration_id, utcnow())
    with client_as(staff.marketer) as client:
        (seen,) = client.get(f"{EVENTS}/{made['id']}/registrations").json()["items"]
        assert seen["party_id"] == berliner and seen["status"] == "confirmed"
    with client_as(staff.outsider) as client:
        assert client.get(f"{EVENTS}/{made['id']}/registrations").json()["items"] == []
        # Seat counts are public numbers: the outsider sees the seat taken.
        assert client.get(f"{EVENTS}/{made['id']}").json()["seats_taken"] == 1
        hidden = client.post(
            f"{EVENTS}/{made['id']}/check-in", json={"registration_id": reg.registration_id}
        )
        assert hidden.status_code == 404
        page = client.get(f"{EVENTS}/{made['id']}/page")
        assert page.status_code == 200 and "Lovelace" not in page.text
    with client_as(staff.manager) as client:
        assert len(client.get(f"{EVENTS}/{made['id']}/registrations").json()["items"]) == 1


def test_read_only_users_may_not_create_events(crm: Crm, client_as: Any, new_user: Any) -> None:
    reader = new_user("rita", "read-only")
    with client_as(reader) as client:
        assert client.get(EVENTS).status_code == 200
        assert (
            client.post(EVENTS, json={"kind": "webinar", "name": "X", **_times()}).status_code
            == 403
        )


def test_organisers_cancel_a_registration_and_the_first_waiting_moves_up(
    crm: Crm, desk: Any, client_as: Any, staff: Any
) -> None:
    made = desk.create(capacity=1)
    ids = []
    for first, email in (("Ada", "ada@lovelace.eu"), ("Grace", "grace@hopper.eu")):
        with crm.transaction(SYSTEM) as tx:
            form = {"first_name": first, "last_name": "Tester", "email": email}
            reg = registrations.register(tx, made["id"], form, utcnow())
            registrations.confirm(tx, reg.registration_id, utcnow())
            ids.append(reg.registration_id)
    cancel = f"{EVENTS}/{made['id']}/registrations/{ids[0]}/cancel"
    with client_as(staff.outsider) as client:
        assert client.post(cancel).status_code == 403
    with client_as(staff.marketer) as client:
        assert client.post(f"{EVENTS}/{made['id']}/registrations/999/cancel").status_code == 404
        done = client.post(cancel)
        assert done.status_code == 200 and done.json()["status"] == "cancelled"
        statuses = {
            r["id"]: r["status"]
            for r in client.get(f"{EVENTS}/{made['id']}/registrations").json()["items"]
        }
    assert statuses == {ids[0]: "cancelled", ids[1]: "confirmed"}


def test_the_check_in_desk_finds_registrants_by_name(
    crm: Crm, desk: Any, client_as: Any, staff: Any
) -> None:
    made = desk.create()
    with crm.transaction(SYSTEM) as tx:
        form = {"first_name": "Grace", "last_name": "Hopper", "email": "grace@hopper.eu"}
        reg = registrations.register(tx, made["id"], form, utcnow())
        registrations.confirm(tx, reg.registration_id, utcnow())
    with client_as(staff.marketer) as client:
        found = client.get(f"{EVENTS}/{made['id']}/check-in", params={"q": "hopp"})
        assert found.status_code == 200 and "Grace Hopper" in found.text
        assert (
            "No confirmed registration matches"
            in client.get(f"{EVENTS}/{made['id']}/check-in", params={"q": "turing"}).text
        )
        checked = client.post(
            f"{EVENTS}/{made['id']}/check-in-form",
            data={"registration_id": str(reg.registration_id)},
        )
        assert checked.status_code == 200 and "Grace Hopper is checked in" in checked.text


def test_registering_twice_while_pending_makes_one_registration(
    crm: Crm, desk: Any, anonymous: Any
) -> None:
    made = desk.create()
    for _ in range(2):
        assert desk.register(anonymous, made["slug"]).status_code == 200
    with crm.read() as conn:
        assert conn.execute(select(func.count()).select_from(registration)).scalar_one() == 1


def test_raising_the_capacity_seats_those_waiting_in_their_order(
    crm: Crm, desk: Any, client_as: Any, staff: Any
) -> None:
    made = desk.create(capacity=1)
    ids = []
    for first, email in (
        ("Ada", "ada@lovelace.eu"),
        ("Grace", "grace@hopper.eu"),
        ("Alan", "alan@turing.eu"),
    ):
        with crm.transaction(SYSTEM) as tx:
            form = {"first_name": first, "last_name": "Tester", "email": email}
            reg = registrations.register(tx, made["id"], form, utcnow())
            registrations.confirm(tx, reg.registration_id, utcnow())
            ids.append(reg.registration_id)
    with client_as(staff.marketer) as client:
        raised = client.patch(
            f"{EVENTS}/{made['id']}", json={"capacity": 2, "version": made["version"]}
        )
        assert raised.status_code == 200 and raised.json()["seats_left"] == 0
        statuses = [
            r["status"] for r in client.get(f"{EVENTS}/{made['id']}/registrations").json()["items"]
        ]
    assert statuses == ["waitlisted", "confirmed", "confirmed"]  # newest first


def test_a_manager_who_cannot_see_the_waiting_party_may_still_raise_the_capacity(
    crm: Crm, desk: Any, client_as: Any, staff: Any, new_user: Any, new_party: Any
) -> None:
    made = desk.create(capacity=1)
    paris = new_user("paula", "manager", team="south", territories=("FR-75",))
    for first, email in (("Ada", "ada@lovelace.eu"), ("Grace", "grace@hopper.eu")):
        new_party(
            first_name=first, last_name="Tester", emails=[email], owner_id=staff.marketer.user_id
        )
        with crm.transaction(SYSTEM) as tx:
            form = {"first_name": first, "last_name": "Tester", "email": email}
            reg = registrations.register(tx, made["id"], form, utcnow())
            registrations.confirm(tx, reg.registration_id, utcnow())
    with client_as(paris) as client:
        assert client.get(f"{EVENTS}/{made['id']}/registrations").json()["items"] == []
        raised = client.patch(
            f"{EVENTS}/{made['id']}", json={"capacity": 2, "version": made["version"]}
        )
        assert raised.status_code == 200, raised.text
    with crm.read() as conn:
        statuses = conn.execute(select(registration.c.status)).scalars().all()
    assert sorted(statuses) == ["confirmed", "confirmed"]


def test_session_ids_of_the_public_json_form_are_read_as_whole_numbers(
    crm: Crm, desk: Any, anonymous: Any
) -> None:
    made = desk.create()
    url = f"/p/campaigns/public/events/{made['slug']}/register"
    person = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@lovelace.eu"}
    for sessions in (["²"], ["٣"], ["-1"], [0], [True], ["1" * 40]):
        refused = anonymous.post(url, json={**person, "sessions": sessions})
        assert refused.status_code == 422, (sessions, refused.text)
        assert refused.json()["field"] == "sessions"
    with crm.read() as conn:
        assert conn.execute(select(func.count()).select_from(registration)).scalar_one() == 0


def test_a_stale_version_is_a_conflict_even_when_nothing_would_change(
    crm: Crm, desk: Any, client_as: Any, staff: Any
) -> None:
    made = desk.create(capacity=5)
    with client_as(staff.marketer) as client:
        changed = client.patch(
            f"{EVENTS}/{made['id']}", json={"capacity": 6, "version": made["version"]}
        )
        assert changed.status_code == 200
        stale = client.patch(
            f"{EVENTS}/{made['id']}", json={"capacity": 6, "version": made["version"]}
        )
        assert stale.status_code == 409, stale.text
        current = client.patch(
            f"{EVENTS}/{made['id']}", json={"capacity": 6, "version": changed.json()["version"]}
        )
        assert current.status_code == 200 and current.json()["version"] == 2


def test_a_ticket_whose_party_is_not_visible_is_not_found_whatever_the_event(
    crm: Crm, desk: Any, client_as: Any, staff: Any, new_party: Any
) -> None:
    fair, webinar = desk.create(name="Fair"), desk.create(name="Webinar")
    new_party(first_name="Ada", last_name="Lovelace", emails=["ada@lovelace.eu"])
    with crm.transaction(SYSTEM) as tx:
        form = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@lovelace.eu"}
        reg = registrations.register(tx, fair["id"], form, utcnow())
        registrations.confirm(tx, reg.registration_id, utcnow())
    ticket = make_token(crm, "checkin", reg.registration_id)
    with client_as(staff.outsider) as door:
        for event_id in (fair["id"], webinar["id"]):
            hidden = door.post(f"{EVENTS}/{event_id}/check-in", json={"token": ticket})
            assert hidden.status_code == 404, hidden.text
            assert "another event" not in hidden.text
            page = door.get(f"{EVENTS}/{event_id}/check-in", params={"t": ticket})
            assert page.status_code == 404 and "another event" not in page.text
    with crm.read() as conn:
        assert conn.execute(select(registration.c.status)).scalar_one() == "confirmed"


def _filler(crm: Crm, event_id: int, party_id: int, count: int) -> None:
    """``count`` cancelled registrations of the party, older than any made after."""
    now = utcnow()
    row = {
        "event_id": event_id,
        "party_id": party_id,
        "status": "cancelled",
        "first_name": "Old",
        "last_name": "Filler",
        "marketing_consent": 0,
        "created_at": now,
        "cancelled_at": now,
        "holds_seat": 0,
    }
    with crm.transaction(SYSTEM) as tx:
        tx.conn.execute(insert(registration), [row] * count)


def test_registrations_come_a_page_at_a_time_and_a_late_ticket_is_found_at_the_door(
    crm: Crm, desk: Any, client_as: Any, staff: Any, new_party: Any
) -> None:
    made = desk.create(capacity=1)
    filler = new_party(first_name="Old", last_name="Filler", emails=["old@filler.eu"])
    _filler(crm, made["id"], filler, 1001)
    new_party(first_name="Grace", last_name="Hopper", emails=["grace@hopper.eu"])
    with crm.transaction(SYSTEM) as tx:
        form = {"first_name": "Grace", "last_name": "Hopper", "email": "grace@hopper.eu"}
        late = registrations.register(tx, made["id"], form, utcnow()).registration_id
        registrations.confirm(tx, late, utcnow())
    with client_as(staff.marketer) as client:
        url = f"{EVENTS}/{made['id']}/registrations"
        first = client.get(url, params={"limit": 2}).json()
        assert [r["id"] for r in first["items"]] == [late, late - 1]
        seen = {r["id"] for r in first["items"]}
        cursor = first["next_cursor"]
        while cursor:
            page = client.get(url, params={"limit": 500, "cursor": cursor}).json()
            seen |= {r["id"] for r in page["items"]}
            cursor = page["next_cursor"]
        assert len(seen) == 1002
        assert client.get(url, params={"limit": 501}).status_code == 422
        ticket = make_token(crm, "checkin", late)
        desk_page = client.get(f"{EVENTS}/{made['id']}/check-in", params={"t": ticket})
        assert desk_page.status_code == 200 and "Grace Hopper" in desk_page.text
        found = client.get(f"{EVENTS}/{made['id']}/check-in", params={"q": "hopper"})
        assert "Grace Hopper" in found.text
        checked = client.post(f"{EVENTS}/{made['id']}/check-in", json={"token": ticket})
        assert checked.status_code == 200 and checked.json()["outcome"] == "checked_in"
