"""iCalendar (RFC 5545): a user's meetings as a calendar, an .ics invitation as a meeting."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from attrs import evolve
from sqlalchemy import Connection, select, update

from crmkit import Transaction, ValidationError, check_storable_text, read_timestamp, utcnow
from crmkit_sfa.pipeline.activities import (
    Activity,
    activity_of,
    activity_values,
    cancel_activity,
    create_activity,
)
from crmkit_sfa.pipeline.tables import activity

PRODUCT = "-//crmkit//sfa//EN"
UID_DOMAIN = "sfa.crmkit"
STATUS = {"planned": "CONFIRMED", "done": "CONFIRMED", "cancelled": "CANCELLED"}
MAX_EVENTS = 100
"""The most events one invitation may bring (a series is one event)."""


def uid_of(item: Activity) -> str:
    """The invitation's own UID for an imported meeting, so calendars see one event, not two."""
    return item.ical_uid or f"activity-{item.id}@{UID_DOMAIN}"


def meetings_calendar(conn: Connection, owner_id: int) -> bytes:
    """Every meeting the user owns, as an iCalendar file."""
    import icalendar  # lazily: 80 ms, and only calendar requests need it

    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    rows = conn.execute(
        select(activity)
        .where(activity.c.owner_id == owner_id, activity.c.kind == "meeting")
        .order_by(activity.c.starts_at, activity.c.id)
    )
    stamp = utcnow()
    for item in map(activity_of, rows):
        event = icalendar.Event()
        event.add("uid", uid_of(item))
        event.add("dtstamp", stamp)
        event.add("dtstart", item.starts_at)
        if item.ends_at is not None:
            event.add("dtend", item.ends_at)
        event.add("summary", item.subject)
        event.add("status", STATUS[item.status])
        if item.location:
            event.add("location", item.location)
        if item.details:
            event.add("description", item.details)
        calendar.add_component(event)
    return bytes(calendar.to_ical())


def _moment(event: Any, name: str) -> datetime | None:
    prop = event.get(name)
    if prop is None:
        return None
    value = prop.dt
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValidationError(name.lower(), "has no time zone (floating times are ambiguous)")
        return read_timestamp(name.lower(), value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)  # an all-day event
    raise ValidationError(name.lower(), "expected a date or a date and time")


def _events(ics: bytes) -> tuple[str, list[Any]]:
    import icalendar  # lazily, as in meetings_calendar

    try:
        text = ics.decode()
    except UnicodeDecodeError:
        raise ValidationError("body", "an iCalendar file is UTF-8 text") from None
    check_storable_text("body", text)
    try:
        calendar = icalendar.Calendar.from_ical(text)
    except ValueError as exc:
        raise ValidationError("body", f"not an iCalendar file: {exc}") from None
    events = calendar.walk("VEVENT")
    if not events:
        raise ValidationError("body", "the calendar holds no event (VEVENT)")
    if len(events) > MAX_EVENTS:
        raise ValidationError("body", f"more than {MAX_EVENTS} events in one invitation")
    return str(calendar.get("method", "")).upper(), events


def import_invitation(
    tx: Transaction, ics: bytes, party_id: Any, opportunity_id: Any = None
) -> list[Activity]:
    """The invitation's events as meetings of the acting user with the party.

    An event imported before (same UID) is updated, or cancelled when the
    invitation cancels it, instead of being added twice. A recurring event
    becomes one meeting, at its first occurrence.
    """
    method, events = _events(ics)
    imported = []
    for event in events:
        uid = str(event.get("uid", "")).strip()
        if not uid:
            raise ValidationError("uid", "every event needs a UID")
        starts_at = _moment(event, "DTSTART")
        if starts_at is None:
            raise ValidationError("dtstart", "every event needs a start")
        ends_at = _moment(event, "DTEND")
        if ends_at is None and event.get("duration") is not None:
            try:
                ends_at = starts_at + event.decoded("duration")
            except OverflowError:
                raise ValidationError("duration", "ends outside the years 1 to 9999") from None
        cancelled = method == "CANCEL" or str(event.get("status", "")).upper() == "CANCELLED"
        data = {
            "party_id": party_id,
            "opportunity_id": opportunity_id,
            "kind": "meeting",
            "subject": str(event.get("summary", "")).strip() or "Meeting",
            "details": str(event.get("description", "")).strip() or None,
            "location": str(event.get("location", "")).strip() or None,
            "starts_at": starts_at,
            "ends_at": ends_at,
        }
        known = tx.conn.execute(
            select(activity).where(
                activity.c.owner_id == tx.actor.user_id, activity.c.ical_uid == uid
            )
        ).first()
        if known is None:
            item = create_activity(tx, data, ical_uid=uid)
        else:
            item = _reschedule(tx, activity_of(known), data)
        if cancelled and item.status == "planned":
            item = cancel_activity(tx, item.id)
        imported.append(item)
    return imported


def _reschedule(tx: Transaction, known: Activity, data: dict[str, Any]) -> Activity:
    """An updated invitation moves a planned meeting; a done or cancelled one stays as it was."""
    if known.status != "planned":
        return known
    values = activity_values(tx.conn, data)
    moved = ("subject", "details", "location", "starts_at", "ends_at", "due_at")
    changes = {
        **{name: values[name] for name in moved},
        "version": known.version + 1,
        "updated_at": utcnow(),
    }
    tx.conn.execute(update(activity).where(activity.c.id == known.id).values(changes))
    return evolve(known, **changes)
