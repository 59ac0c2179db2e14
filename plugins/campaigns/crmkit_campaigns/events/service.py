"""Events and their sessions: create, read, change, each change checked whole before it is stored.

Times are UTC instants (ISO 8601 with an offset); ``time_zone`` says how pages and
emails show them. A session lies within its event; a capacity is 0 or more, or
null for no limit, and never below the seats already taken.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection, delete, insert, select, update

from crmkit import (
    ConflictError,
    NotFound,
    Transaction,
    ValidationError,
    read_reference,
    read_timestamp,
    read_whole_number,
    record_audit,
    user_table,
    utcnow,
)
from crmkit_campaigns.campaigns.tables import campaign
from crmkit_campaigns.events.model import Event, Session, event_of, session_of
from crmkit_campaigns.events.registration import promote
from crmkit_campaigns.events.settings import EventSettings
from crmkit_campaigns.events.tables import KINDS, STATUSES, event, session

EVENT_FIELDS = (
    "kind",
    "name",
    "description",
    "venue",
    "online_url",
    "time_zone",
    "starts_at",
    "ends_at",
    "status",
    "capacity",
    "registration_opens_at",
    "registration_closes_at",
    "owner_id",
    "campaign_id",
)
SESSION_FIELDS = ("title", "starts_at", "ends_at", "room", "capacity")
MAX_CAPACITY = 1_000_000
TEXT_LIMITS = {
    "name": 200,
    "description": 20_000,
    "venue": 300,
    "online_url": 500,
    "title": 200,
    "room": 100,
}
REQUIRED_ON_CREATE = ("kind", "name", "starts_at", "ends_at")


def _settings(tx: Transaction) -> EventSettings:
    settings: EventSettings = tx.app.settings_of["campaigns"].events
    return settings


def _only(data: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationError(unknown[0], "unknown field")


def _text(name: str, value: Any, *, required: bool) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationError(name, "is required")
        return None
    if not isinstance(value, str):
        raise ValidationError(name, "expected text")
    if len(value) > TEXT_LIMITS[name]:
        raise ValidationError(name, f"at most {TEXT_LIMITS[name]:,} characters")
    return value.strip()


def _capacity(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value < 0:
        raise ValidationError("capacity", "must be 0 or more (or null for no limit)")
    return read_whole_number("capacity", value, maximum=MAX_CAPACITY)


def _zone(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValidationError("time_zone", "expected a time zone such as Europe/Berlin")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError("time_zone", f"no time zone named {value!r}") from None
    return value


def _url(value: Any) -> str | None:
    url = _text("online_url", value, required=False)
    if url is not None and not re.fullmatch(r"https?://[^\s<>\"]+", url):
        raise ValidationError("online_url", "expected an http:// or https:// address")
    return url


def _optional_time(name: str, value: Any) -> datetime | None:
    return None if value is None else read_timestamp(name, value)


def _event_values(conn: Connection, data: Mapping[str, Any]) -> dict[str, Any]:
    """The columns ``data`` sets, each read and checked on its own."""
    readers: dict[str, Any] = {
        "kind": lambda v: _choice("kind", v, KINDS),
        "name": lambda v: _text("name", v, required=True),
        "description": lambda v: _text("description", v, required=False) or "",
        "venue": lambda v: _text("venue", v, required=False),
        "online_url": _url,
        "time_zone": _zone,
        "starts_at": lambda v: read_timestamp("starts_at", v),
        "ends_at": lambda v: read_timestamp("ends_at", v),
        "status": lambda v: _choice("status", v, STATUSES),
        "capacity": _capacity,
        "registration_opens_at": lambda v: _optional_time("registration_opens_at", v),
        "registration_closes_at": lambda v: _optional_time("registration_closes_at", v),
        "owner_id": lambda v: (
            None if v is None else read_reference(conn, "owner_id", v, user_table, "user")
        ),
        "campaign_id": lambda v: (
            None if v is None else read_reference(conn, "campaign_id", v, campaign, "campaign")
        ),
    }
    return {name: readers[name](value) for name, value in data.items()}


def _choice(name: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValidationError(name, f"expected one of {', '.join(allowed)}")
    return str(value)


def _check_event(conn: Connection, values: Mapping[str, Any], event_id: int | None) -> None:
    """What must hold of the event as a whole: its times, its windows, its sessions, its seats."""
    if values["ends_at"] <= values["starts_at"]:
        raise ValidationError("ends_at", "must be after starts_at")
    opens, closes = values.get("registration_opens_at"), values.get("registration_closes_at")
    if opens is not None and closes is not None and closes <= opens:
        raise ValidationError("registration_closes_at", "must be after registration_opens_at")
    if closes is not None and closes > values["ends_at"]:
        raise ValidationError("registration_closes_at", "must not be after the event ends")
    if event_id is None:
        return
    outside = conn.execute(
        select(session.c.title).where(
            session.c.event_id == event_id,
            (session.c.starts_at < values["starts_at"]) | (session.c.ends_at > values["ends_at"]),
        )
    ).first()
    if outside is not None:
        raise ValidationError(
            "starts_at", f"the session {outside.title!r} would lie outside the event's time"
        )
    capacity = values.get("capacity")
    if capacity is not None and capacity < values["seats_taken"]:
        raise ValidationError(
            "capacity", f"{values['seats_taken']} seats are taken already: not below that"
        )


def slugify(name: str) -> str:
    """``Hannover Messe 2027`` → ``hannover-messe-2027``: the readable part of a public address."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:80] or "event"


def create_event(tx: Transaction, data: Mapping[str, Any]) -> Event:
    """A new event (status ``draft`` unless given) from the JSON of ``POST /events``."""
    _only(data, EVENT_FIELDS)
    for name in REQUIRED_ON_CREATE:
        if data.get(name) in (None, ""):
            raise ValidationError(name, "is required")
    values = _event_values(tx.conn, data)
    values.setdefault("status", "draft")
    values.setdefault("description", "")
    values.setdefault("time_zone", _settings(tx).default_time_zone)
    values.setdefault("owner_id", tx.actor.user_id)
    values["seats_taken"] = 0
    _check_event(tx.conn, values, None)
    now = utcnow()
    event_id = tx.conn.execute(
        insert(event)
        .values(**values, slug=f"new-{now.timestamp()}", created_at=now, updated_at=now, version=1)
        .returning(event.c.id)
    ).scalar_one()
    # The id makes the slug unique; the name makes it readable.
    slug = f"{slugify(values['name'])}-{event_id}"
    tx.conn.execute(update(event).where(event.c.id == event_id).values(slug=slug))
    record_audit(tx, "campaigns.event", event_id, "created", {})
    tx.emit("campaigns.event_created", "campaigns.event", event_id, {"event_id": event_id})
    return get_event(tx.conn, event_id)


def update_event(
    tx: Transaction, event_id: int, data: Mapping[str, Any], version: int | None
) -> Event:
    """Apply the fields ``data`` names, if the event is still at ``version``."""
    _only(data, EVENT_FIELDS)
    if version is None:
        raise ValidationError("version", "is required: the version you last read")
    row = _event_row(tx.conn, event_id)
    if row.version != version:
        # Stale even when it changes nothing: the caller decided on what it last read.
        raise ConflictError(f"event {event_id} was changed meanwhile: reload it")
    values = _event_values(tx.conn, data)
    merged = {**row._mapping, **values}
    _check_event(tx.conn, merged, event_id)
    changes = {k: [row._mapping[k], v] for k, v in values.items() if row._mapping[k] != v}
    if not changes:
        return get_event(tx.conn, event_id)
    done = tx.conn.execute(
        update(event)
        .where(event.c.id == event_id, event.c.version == version)
        .values(**values, updated_at=utcnow(), version=event.c.version + 1)
    )
    if done.rowcount != 1:
        raise ConflictError(f"event {event_id} was changed meanwhile: reload it")
    if "capacity" in changes or "status" in changes:
        # Seats added (or the event published again) go to those waiting, in their order.
        promote(tx, event_id, utcnow())
    record_audit(tx, "campaigns.event", event_id, "updated", _jsonable(changes))
    tx.emit(
        "campaigns.event_updated",
        "campaigns.event",
        event_id,
        {"event_id": event_id, "status": merged["status"]},
    )
    return get_event(tx.conn, event_id)


def _jsonable(changes: dict[str, list[Any]]) -> dict[str, list[Any]]:
    return {
        k: [v.isoformat() if isinstance(v, datetime) else v for v in pair]
        for k, pair in changes.items()
    }


def _event_row(conn: Connection, event_id: int) -> Any:
    row = conn.execute(select(event).where(event.c.id == event_id)).one_or_none()
    if row is None:
        raise NotFound(f"event {event_id} does not exist")
    return row


def get_event(conn: Connection, event_id: int) -> Event:
    """The event with its sessions, soonest first; NotFound when there is none."""
    row = _event_row(conn, event_id)
    sessions = conn.execute(
        select(session)
        .where(session.c.event_id == event_id)
        .order_by(session.c.starts_at, session.c.id)
    )
    return event_of(row, tuple(session_of(s) for s in sessions))


def event_by_slug(conn: Connection, slug: str) -> Event:
    """The event of a public address; NotFound when there is none."""
    event_id = conn.execute(select(event.c.id).where(event.c.slug == slug)).scalar_one_or_none()
    if event_id is None:
        raise NotFound("there is no such event")
    return get_event(conn, event_id)


def list_events(conn: Connection, *, status: str | None = None, limit: int = 200) -> list[Event]:
    """Events, latest start first (without their sessions)."""
    query = select(event).order_by(event.c.starts_at.desc(), event.c.id.desc()).limit(limit)
    if status is not None:
        query = query.where(event.c.status == _choice("status", status, STATUSES))
    return [event_of(row) for row in conn.execute(query)]


def _session_values(data: Mapping[str, Any]) -> dict[str, Any]:
    readers: dict[str, Any] = {
        "title": lambda v: _text("title", v, required=True),
        "starts_at": lambda v: read_timestamp("starts_at", v),
        "ends_at": lambda v: read_timestamp("ends_at", v),
        "room": lambda v: _text("room", v, required=False),
        "capacity": _capacity,
    }
    return {name: readers[name](value) for name, value in data.items()}


def _check_session(conn: Connection, event_id: int, values: Mapping[str, Any]) -> None:
    owner = _event_row(conn, event_id)
    if values["ends_at"] <= values["starts_at"]:
        raise ValidationError("ends_at", "must be after starts_at")
    if values["starts_at"] < owner.starts_at:
        raise ValidationError("starts_at", "must not be before the event starts")
    if values["ends_at"] > owner.ends_at:
        raise ValidationError("ends_at", "must not be after the event ends")
    capacity = values.get("capacity")
    if capacity is not None and capacity < values.get("seats_taken", 0):
        raise ValidationError(
            "capacity", f"{values['seats_taken']} seats are taken already: not below that"
        )


def add_session(tx: Transaction, event_id: int, data: Mapping[str, Any]) -> Session:
    """A new session of the event."""
    _only(data, SESSION_FIELDS)
    for name in ("title", "starts_at", "ends_at"):
        if data.get(name) in (None, ""):
            raise ValidationError(name, "is required")
    values = {"room": None, "capacity": None, **_session_values(data)}
    _check_session(tx.conn, event_id, values)
    session_id = tx.conn.execute(
        insert(session)
        .values(**values, event_id=event_id, seats_taken=0, version=1)
        .returning(session.c.id)
    ).scalar_one()
    record_audit(tx, "campaigns.event_session", session_id, "created", {})
    return get_session(tx.conn, event_id, session_id)


def _session_row(conn: Connection, event_id: int, session_id: int) -> Any:
    row = conn.execute(
        select(session).where(session.c.id == session_id, session.c.event_id == event_id)
    ).one_or_none()
    if row is None:
        raise NotFound(f"event {event_id} has no session {session_id}")
    return row


def get_session(conn: Connection, event_id: int, session_id: int) -> Session:
    return session_of(_session_row(conn, event_id, session_id))


def update_session(
    tx: Transaction, event_id: int, session_id: int, data: Mapping[str, Any], version: int | None
) -> Session:
    """Apply the fields ``data`` names, if the session is still at ``version``."""
    _only(data, SESSION_FIELDS)
    if version is None:
        raise ValidationError("version", "is required: the version you last read")
    row = _session_row(tx.conn, event_id, session_id)
    values = _session_values(data)
    _check_session(tx.conn, event_id, {**row._mapping, **values})
    done = tx.conn.execute(
        update(session)
        .where(session.c.id == session_id, session.c.version == version)
        .values(**values, version=session.c.version + 1)
    )
    if done.rowcount != 1:
        raise ConflictError(f"session {session_id} was changed meanwhile: reload it")
    if "capacity" in values and values["capacity"] != row.capacity:
        # Seats added in a session go to those waiting for it, in their order.
        promote(tx, event_id, utcnow())
    record_audit(tx, "campaigns.event_session", session_id, "updated", {})
    return get_session(tx.conn, event_id, session_id)


def delete_session(tx: Transaction, event_id: int, session_id: int) -> None:
    """Remove a session nobody holds a seat in."""
    row = _session_row(tx.conn, event_id, session_id)
    if row.seats_taken:
        raise ConflictError(f"{row.seats_taken} registrants hold a seat in this session")
    tx.conn.execute(delete(session).where(session.c.id == session_id))
    record_audit(tx, "campaigns.event_session", session_id, "deleted", {})
