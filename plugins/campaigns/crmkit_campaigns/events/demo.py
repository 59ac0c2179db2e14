"""The events part of ``crmkit demo``: a past trade fair with attendees, an upcoming webinar
that is full with a waiting list, and a product launch still in draft.

Registrants are demo people (persons with an email address), chosen by ``rng``; rows
are inserted set-based, and the attendance of the trade fair is on the timeline as
check-in writes it.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select, update

from crmkit import contact_point_table, interaction_table, party_table, user_table
from crmkit_campaigns.events.service import slugify
from crmkit_campaigns.events.tables import choice, event, registration, session

FAIR_ATTENDEES = 120
FAIR_NO_SHOWS = 30
WEBINAR_CAPACITY = 80
WEBINAR_WAITING = 12


def _people(conn: Connection, rng: random.Random, count: int) -> list[Any]:
    """Up to ``count`` persons with an email address, chosen by ``rng``."""
    cp = contact_point_table
    rows = conn.execute(
        select(
            party_table.c.id,
            party_table.c.first_name,
            party_table.c.last_name,
            party_table.c.organisation_name,
            cp.c.value.label("email"),
        )
        .join(cp, (cp.c.party_id == party_table.c.id) & (cp.c.kind == "email"))
        .where(party_table.c.kind == "person")
        .order_by(party_table.c.id)
        .limit(5000)
    ).all()
    unique = list({r.id: r for r in rows}.values())
    return rng.sample(unique, min(count, len(unique)))


def _event(conn: Connection, values: dict[str, Any], now: datetime) -> int:
    event_id: int = conn.execute(
        insert(event)
        .values(
            **values,
            slug=f"{slugify(values['name'])}-demo",
            created_at=now - timedelta(days=90),
            updated_at=now - timedelta(days=1),
            version=1,
        )
        .returning(event.c.id)
    ).scalar_one()
    return event_id


def _registrations(
    conn: Connection,
    event_id: int,
    people: list[Any],
    statuses: list[str],
    at: datetime,
    checked_in: list[datetime | None] | None = None,
) -> list[int]:
    rows = [
        {
            "event_id": event_id,
            "party_id": p.id,
            "status": status,
            "first_name": p.first_name,
            "last_name": p.last_name,
            "email": p.email,
            "company": p.organisation_name,
            "phone": None,
            "marketing_consent": 0,
            "created_at": at + timedelta(minutes=i),
            "confirmed_at": at + timedelta(minutes=i, hours=1),
            "waitlisted_at": at + timedelta(minutes=i, hours=1) if status == "waitlisted" else None,
            "holds_seat": int(status in ("confirmed", "attended")),
            "checked_in_at": checked_in[i] if checked_in else None,
        }
        for i, (p, status) in enumerate(zip(people, statuses, strict=True))
    ]
    if not rows:
        return []
    conn.execute(insert(registration), rows)
    return list(
        conn.execute(
            select(registration.c.id)
            .where(registration.c.event_id == event_id)
            .order_by(registration.c.id)
        ).scalars()
    )


def seed(app: Any, conn: Connection, rng: random.Random, now: datetime) -> None:
    """Three events, their sessions and registrations."""
    owner = conn.execute(
        select(user_table.c.id).where(user_table.c.role == "marketing").order_by(user_table.c.id)
    ).scalar()
    people = _people(conn, rng, FAIR_ATTENDEES + FAIR_NO_SHOWS + WEBINAR_CAPACITY + WEBINAR_WAITING)
    fair_people = people[: FAIR_ATTENDEES + FAIR_NO_SHOWS]
    webinar_people = people[len(fair_people) :]
    fair_start = (now - timedelta(days=30)).replace(hour=8, minute=0, second=0, microsecond=0)
    fair_id = _event(
        conn,
        {
            "kind": "trade_fair",
            "name": "Hannover Messe booth",
            "description": "Meet us at hall 12, booth C34: live demos of the new heat pumps.",
            "venue": "Messegelände, 30521 Hannover",
            "online_url": None,
            "time_zone": "Europe/Berlin",
            "starts_at": fair_start,
            "ends_at": fair_start + timedelta(days=4, hours=9),
            "status": "done",
            "capacity": 400,
            "seats_taken": len(fair_people),
            "registration_opens_at": None,
            "registration_closes_at": None,
            "owner_id": owner,
            "campaign_id": None,
        },
        now,
    )
    statuses = ["attended"] * min(FAIR_ATTENDEES, len(fair_people))
    statuses += ["confirmed"] * (len(fair_people) - len(statuses))
    checked_in: list[datetime | None] = [
        fair_start + timedelta(hours=rng.randint(1, 90)) if s == "attended" else None
        for s in statuses
    ]
    _registrations(
        conn, fair_id, fair_people, statuses, fair_start - timedelta(days=40), checked_in
    )
    attended = [(p, at) for p, at in zip(fair_people, checked_in, strict=True) if at is not None]
    if attended:
        conn.execute(
            insert(interaction_table),
            [
                {
                    "party_id": p.id,
                    "channel": "event",
                    "direction": "inbound",
                    "occurred_at": at,
                    "subject": "Attended Hannover Messe booth",
                    "outcome": "attended",
                    "source": "campaigns",
                    "refs": [{"kind": "campaigns.event", "id": str(fair_id)}],
                    "custom": {},
                    "created_at": at,
                }
                for p, at in attended
            ],
        )
    webinar_start = (now + timedelta(days=10)).replace(hour=15, minute=0, second=0, microsecond=0)
    webinar_id = _event(
        conn,
        {
            "kind": "webinar",
            "name": "Heat pumps in old buildings",
            "description": "One hour with our engineers: sizing, noise, subsidies. Questions welcome.",
            "venue": None,
            "online_url": "https://meet.acme.example/heat-pumps",
            "time_zone": "Europe/Berlin",
            "starts_at": webinar_start,
            "ends_at": webinar_start + timedelta(hours=1, minutes=30),
            "status": "published",
            "capacity": WEBINAR_CAPACITY,
            "seats_taken": min(WEBINAR_CAPACITY, len(webinar_people)),
            "registration_opens_at": None,
            "registration_closes_at": None,
            "owner_id": owner,
            "campaign_id": None,
        },
        now,
    )
    sessions = conn.execute(
        insert(session)
        .values(
            [
                {
                    "event_id": webinar_id,
                    "title": title,
                    "starts_at": webinar_start + timedelta(minutes=offset),
                    "ends_at": webinar_start + timedelta(minutes=offset + 45),
                    "room": None,
                    "capacity": None,
                    "seats_taken": 0,
                    "version": 1,
                }
                for title, offset in (("Sizing and noise", 0), ("Subsidies and Q&A", 45))
            ]
        )
        .returning(session.c.id)
    ).scalars()
    session_ids = sorted(sessions)
    statuses = ["confirmed"] * min(WEBINAR_CAPACITY, len(webinar_people))
    statuses += ["waitlisted"] * (len(webinar_people) - len(statuses))
    webinar_regs = _registrations(
        conn, webinar_id, webinar_people, statuses, now - timedelta(days=14)
    )
    if webinar_regs and session_ids:
        conn.execute(
            insert(choice),
            [{"registration_id": r, "session_id": session_ids[0]} for r in webinar_regs],
        )
        seated = sum(1 for s in statuses if s == "confirmed")
        conn.execute(
            update(session).where(session.c.id == session_ids[0]).values(seats_taken=seated)
        )
    launch_start = (now + timedelta(days=60)).replace(hour=18, minute=0, second=0, microsecond=0)
    _event(
        conn,
        {
            "kind": "launch",
            "name": "Launch evening: the X9 series",
            "description": "Drinks, a first look at the X9 series and the people who built it.",
            "venue": "Showroom, Friedrichstraße 10, 10117 Berlin",
            "online_url": None,
            "time_zone": "Europe/Berlin",
            "starts_at": launch_start,
            "ends_at": launch_start + timedelta(hours=3),
            "status": "draft",
            "capacity": 60,
            "seats_taken": 0,
            "registration_opens_at": None,
            "registration_closes_at": None,
            "owner_id": owner,
            "campaign_id": None,
        },
        now,
    )
