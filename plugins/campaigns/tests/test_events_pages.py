"""The events pages: the staff form shows refusals with what was typed; the public form
refuses bad input, bots and cross-site posts, and stores nothing then."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from crmkit_campaigns.events import registration as registrations
from crmkit_campaigns.events.tables import event, registration
from sqlalchemy import func, insert, select

from crmkit import SYSTEM, Crm, utcnow
from crmkit.testing import http_client

EVENTS = "/p/campaigns/events"
PUBLIC = "/p/campaigns/public/events"


def _count(crm: Crm, table: Any) -> int:
    with crm.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_an_event_is_made_and_edited_by_forms(crm: Crm, client_as: Any, staff: Any) -> None:
    start = (utcnow() + timedelta(days=7)).strftime("%Y-%m-%dT10:00")
    end = (utcnow() + timedelta(days=7)).strftime("%Y-%m-%dT12:00")
    form = {
        "name": "Open house",
        "kind": "launch",
        "status": "published",
        "time_zone": "Europe/Berlin",
        "starts_at": start,
        "ends_at": end,
        "capacity": "-1",
    }
    with client_as(staff.marketer) as client:
        assert client.get(f"{EVENTS}/new").status_code == 200
        refused = client.post(f"{EVENTS}/new", data=form)
        assert refused.status_code == 422
        assert 'value="Open house"' in refused.text and "must be 0 or more" in refused.text
        assert _count(crm, event) == 0
        made = client.post(f"{EVENTS}/new", data={**form, "capacity": "40"}, follow_redirects=False)
        assert made.status_code == 303
        page = client.get(made.headers["location"])
        assert page.status_code == 200 and "Open house" in page.text and "left: 40" in page.text
        event_id = int(made.headers["location"].split("/")[-2])
        edit = client.get(f"{EVENTS}/{event_id}/edit")
        assert f'value="{start}"' in edit.text
        changed = client.post(
            f"{EVENTS}/{event_id}/edit",
            data={**form, "capacity": "50", "version": "1"},
            follow_redirects=False,
        )
        assert changed.status_code == 303
        stale = client.post(
            f"{EVENTS}/{event_id}/edit", data={**form, "capacity": "60", "version": "1"}
        )
        assert stale.status_code == 409
        listing = client.get(f"{EVENTS}/page")
        assert listing.status_code == 200 and "Open house" in listing.text
    with crm.read() as conn:
        row = conn.execute(select(event)).one()
    berlin = datetime.fromisoformat(start).replace(tzinfo=ZoneInfo("Europe/Berlin"))
    assert row.capacity == 50 and row.starts_at == berlin


def test_the_public_form_shows_refusals_and_stores_nothing(
    crm: Crm, desk: Any, anonymous: Any
) -> None:
    made = desk.create()
    path = f"{PUBLIC}/{made['slug']}/register"
    bad = anonymous.post(
        path, data={"first_name": "Ada", "last_name": "Lovelace", "email": "not-an-address"}
    )
    assert (
        bad.status_code == 422
        and 'value="Lovelace"' in bad.text
        and "not a valid email" in bad.text
    )
    missing = anonymous.post(path, data={"first_name": "Ada", "email": "ada@lovelace.eu"})
    assert missing.status_code == 422 and 'id="last_name-error"' in missing.text
    bot = anonymous.post(
        path,
        data={"first_name": "Ada", "last_name": "L", "email": "ada@lovelace.eu", "website": "x"},
    )
    assert bot.status_code == 200 and "check your email" in bot.text
    foreign = anonymous.post(
        path,
        data={"first_name": "Ada", "last_name": "L", "email": "ada@lovelace.eu"},
        headers={"Origin": "https://evil.example"},
    )
    assert foreign.status_code == 403
    assert _count(crm, registration) == 0
    program = anonymous.post(
        path, json={"first_name": "Ada", "last_name": "Lovelace", "email": "ada@lovelace.eu"}
    )
    assert program.status_code == 202 and program.json() == {"status": "pending"}
    assert _count(crm, registration) == 1


def test_drafts_are_not_found_and_closed_registration_takes_nobody(
    crm: Crm, desk: Any, anonymous: Any
) -> None:
    draft = desk.create(status="draft")
    assert anonymous.get(f"{PUBLIC}/{draft['slug']}/register").status_code == 404
    start = utcnow() + timedelta(days=3)
    closed = desk.create(
        name="Closed",
        registration_opens_at=(utcnow() - timedelta(days=3)).isoformat(),
        registration_closes_at=(utcnow() - timedelta(days=1)).isoformat(),
        starts_at=start.isoformat(),
        ends_at=(start + timedelta(hours=1)).isoformat(),
    )
    page = anonymous.get(f"{PUBLIC}/{closed['slug']}/register")
    assert page.status_code == 200 and "Registration for this event is closed" in page.text
    refused = desk.register(anonymous, closed["slug"])
    assert refused.status_code == 422
    assert _count(crm, registration) == 0


def test_links_unsigned_for_want_of_a_secret_answer_503_and_store_nothing(
    make_campaigns: Any,
) -> None:
    crm = make_campaigns(channels={"link_secret": ""})
    client = http_client(crm)
    page = client.get(f"{PUBLIC}/confirm", params={"t": "1.abc"})
    assert page.status_code == 503 and "not available" in page.text
    assert _count(crm, registration) == 0


def test_the_check_in_desk_refuses_ids_that_are_not_plain_digits(
    crm: Crm, desk: Any, client_as: Any, staff: Any
) -> None:
    made = desk.create()
    with client_as(staff.marketer) as client:
        for typed in ("²", "٣", "-1", "1" * 40):
            refused = client.post(
                f"{EVENTS}/{made['id']}/check-in-form", data={"registration_id": typed}
            )
            assert refused.status_code == 422, (typed, refused.status_code)
            assert "expected a whole number" in refused.text
        edit = client.post(
            f"{EVENTS}/{made['id']}/edit",
            data={
                "kind": "webinar",
                "name": "X",
                "version": "²",
                "starts_at": "2030-01-01T10:00",
                "ends_at": "2030-01-01T12:00",
                "status": "draft",
            },
        )
        assert edit.status_code == 422 and "expected a whole number" in edit.text


def test_the_event_page_shows_the_whole_waiting_list_however_many_registered_before(
    crm: Crm, desk: Any, client_as: Any, staff: Any, new_party: Any
) -> None:
    made = desk.create(capacity=1)
    filler = new_party(first_name="Old", last_name="Filler", emails=["old@filler.eu"])
    now = utcnow()
    old = {
        "event_id": made["id"],
        "party_id": filler,
        "status": "cancelled",
        "first_name": "Old",
        "last_name": "Filler",
        "marketing_consent": 0,
        "created_at": now,
        "holds_seat": 0,
    }
    with crm.transaction(SYSTEM) as tx:
        tx.conn.execute(insert(registration), [old] * 1001)
    for first, last in (("Ada", "Lovelace"), ("Grace", "Hopper")):
        new_party(first_name=first, last_name=last, emails=[f"{first.lower()}@{last.lower()}.eu"])
        with crm.transaction(SYSTEM) as tx:
            form = {"first_name": first, "last_name": last, "email": f"{first}@{last}.eu".lower()}
            reg = registrations.register(tx, made["id"], form, now)
            registrations.confirm(tx, reg.registration_id, now)
    with client_as(staff.marketer) as client:
        page = client.get(f"{EVENTS}/{made['id']}/page")
        assert page.status_code == 200
        waiting = page.text.split('aria-label="Waiting list"')[1]
        assert "Grace Hopper" in waiting
        listed = page.text.split('aria-label="Registrations"')[1].split("Waiting list")[0]
        assert "Ada" in listed and "Older registrations" in listed
        older = re.search(r'href="([^"]*cursor=[^"]+)"', listed)
        assert older is not None
        rest = client.get(older.group(1).replace("&amp;", "&"))
        assert rest.status_code == 200 and "Filler" in rest.text
