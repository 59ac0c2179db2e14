"""Events, sessions and registrations as the API answers them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from attrs import frozen


@frozen
class Session:
    """A session of an event: a talk, a workshop, a slot, with a capacity of its own."""

    id: int
    event_id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    room: str | None
    capacity: int | None
    seats_taken: int
    version: int


@frozen
class Event:
    """A trade fair, webinar or launch; ``seats_left`` is None when it has no capacity."""

    id: int
    slug: str
    kind: str
    name: str
    description: str
    venue: str | None
    online_url: str | None
    time_zone: str
    starts_at: datetime
    ends_at: datetime
    status: str
    capacity: int | None
    seats_taken: int
    seats_left: int | None
    registration_opens_at: datetime | None
    registration_closes_at: datetime | None
    owner_id: int | None
    campaign_id: int | None
    created_at: datetime
    updated_at: datetime
    version: int
    sessions: tuple[Session, ...] = ()


@frozen
class Registration:
    """A person's registration, as staff who may see its party see it."""

    id: int
    event_id: int
    party_id: int | None
    status: str
    first_name: str | None
    last_name: str | None
    email: str | None
    company: str | None
    phone: str | None
    marketing_consent: bool
    created_at: datetime
    confirmed_at: datetime | None
    waitlisted_at: datetime | None
    cancelled_at: datetime | None
    checked_in_at: datetime | None
    session_ids: tuple[int, ...] = ()


def seats_left(capacity: int | None, taken: int) -> int | None:
    return None if capacity is None else max(0, capacity - taken)


def session_of(row: Any) -> Session:
    return Session(
        id=row.id,
        event_id=row.event_id,
        title=row.title,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        room=row.room,
        capacity=row.capacity,
        seats_taken=row.seats_taken,
        version=row.version,
    )


def event_of(row: Any, sessions: tuple[Session, ...] = ()) -> Event:
    return Event(
        id=row.id,
        slug=row.slug,
        kind=row.kind,
        name=row.name,
        description=row.description,
        venue=row.venue,
        online_url=row.online_url,
        time_zone=row.time_zone,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        status=row.status,
        capacity=row.capacity,
        seats_taken=row.seats_taken,
        seats_left=seats_left(row.capacity, row.seats_taken),
        registration_opens_at=row.registration_opens_at,
        registration_closes_at=row.registration_closes_at,
        owner_id=row.owner_id,
        campaign_id=row.campaign_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
        version=row.version,
        sessions=sessions,
    )


def registration_of(row: Any, session_ids: tuple[int, ...] = ()) -> Registration:
    return Registration(
        id=row.id,
        event_id=row.event_id,
        party_id=row.party_id,
        status=row.status,
        first_name=row.first_name,
        last_name=row.last_name,
        email=row.email,
        company=row.company,
        phone=row.phone,
        marketing_consent=bool(row.marketing_consent),
        created_at=row.created_at,
        confirmed_at=row.confirmed_at,
        waitlisted_at=row.waitlisted_at,
        cancelled_at=row.cancelled_at,
        checked_in_at=row.checked_in_at,
        session_ids=session_ids,
    )
