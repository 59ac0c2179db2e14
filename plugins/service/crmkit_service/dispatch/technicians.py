"""Technicians and partner firms who go on site: the region they serve and when they work.

A region is a list of territories as the kernel's users have them (``DE``,
``DE-10``), matched against a site's territory key by the kernel's rule. Working
windows are wall-clock times per ISO weekday in the technician's time zone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from attrs import frozen
from sqlalchemy import Connection, delete, insert, select

from crmkit import (
    EmailAddress,
    NotFound,
    PhoneNumber,
    PostalAddress,
    Transaction,
    ValidationError,
    check_fields,
    clean_territory,
    read_choice,
    read_id,
    read_reference,
    read_text,
    read_time_zone,
    read_whole_number,
    user_table,
    utcnow,
)
from crmkit_service import fields, versions
from crmkit_service.dispatch.tables import technician, working_window

KINDS = ("technician", "partner")
NAME_LENGTH = 200
MAX_TERRITORIES = 50
MAX_WINDOWS = 28
FIELDS = (
    "name",
    "kind",
    "user_id",
    "phone",
    "email",
    "territories",
    "time_zone",
    "active",
    "windows",
)


@frozen
class WorkingWindow:
    """A technician works on ``weekday`` (1 Monday to 7 Sunday) from ``starts`` to ``ends`` (``HH:MM``)."""

    weekday: int
    starts: str
    ends: str

    def covers(self, start: datetime, end: datetime) -> bool:
        """Whether the local times ``start`` to ``end`` (one day) fall within the window."""
        return (
            start.isoweekday() == self.weekday
            and start.date() == end.date()
            and _clock(self.starts) <= start.time()
            and end.time() <= _clock(self.ends)
        )


@frozen
class Technician:
    """Someone the CRM sends to a customer's site: own staff (``technician``) or a ``partner`` firm."""

    id: int
    name: str
    kind: str
    user_id: int | None
    phone: str | None
    email: str | None
    territories: tuple[str, ...]
    time_zone: str
    active: bool
    windows: tuple[WorkingWindow, ...]
    created_at: datetime
    updated_at: datetime
    version: int

    def works(self, start: datetime, end: datetime) -> bool:
        """Whether the slot from ``start`` to ``end`` (UTC) is within one of the working windows."""
        zone = ZoneInfo(self.time_zone)
        local_start, local_end = start.astimezone(zone), end.astimezone(zone)
        return any(w.covers(local_start, local_end) for w in self.windows)


def _clock(text: str) -> time:
    return time.fromisoformat(text)


def _read_clock(field: str, value: Any) -> time:
    if not isinstance(value, str) or len(value) != 5 or value[2] != ":":
        raise ValidationError(field, "expected a time of day, HH:MM")
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise ValidationError(field, "expected a time of day, HH:MM") from None


def _windows(value: Any) -> list[tuple[int, time, time]]:
    if not isinstance(value, list):
        raise ValidationError("windows", "expected a list of {weekday, starts, ends}")
    if len(value) > MAX_WINDOWS:
        raise ValidationError("windows", f"at most {MAX_WINDOWS} windows")
    read: list[tuple[int, time, time]] = []
    for i, item in enumerate(value):
        where = f"windows[{i}]"
        if not isinstance(item, Mapping):
            raise ValidationError(where, "expected an object with weekday, starts and ends")
        unknown = sorted(set(item) - {"weekday", "starts", "ends"})
        if unknown:
            raise ValidationError(f"{where}.{unknown[0]}", "unknown field")
        day = read_whole_number(f"{where}.weekday", item.get("weekday"), minimum=1, maximum=7)
        starts = _read_clock(f"{where}.starts", item.get("starts"))
        ends = _read_clock(f"{where}.ends", item.get("ends"))
        if ends <= starts:
            raise ValidationError(f"{where}.ends", "must be after starts")
        for other_day, other_starts, other_ends in read:
            if other_day == day and starts < other_ends and other_starts < ends:
                raise ValidationError(where, "overlaps another window of the same day")
        read.append((day, starts, ends))
    return read


def _territories(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise ValidationError("territories", "expected a list of territories such as DE-10")
    if len(value) > MAX_TERRITORIES:
        raise ValidationError("territories", f"at most {MAX_TERRITORIES} territories")
    cleaned = []
    for i, text in enumerate(value):
        territory = clean_territory(text)
        if not territory or len(territory) > 40:
            raise ValidationError(f"territories[{i}]", "expected a territory such as DE or DE-10")
        try:
            # A site's country is read as a postal address's: a territory's is read alike.
            PostalAddress(country=territory.split("-", 1)[0])
        except ValidationError as exc:
            raise ValidationError(f"territories[{i}]", exc.reason) from None
        cleaned.append(territory)
    return sorted(set(cleaned))


def _values(
    conn: Connection, data: Mapping[str, Any], default_zone: str, region: str | None
) -> dict[str, Any]:
    user_id = data.get("user_id")
    phone = read_text("phone", data.get("phone"), limit=50)
    email = read_text("email", data.get("email"), limit=320)
    return {
        "name": fields.required_text("name", data.get("name"), limit=NAME_LENGTH),
        "kind": read_choice("kind", data.get("kind", "technician"), KINDS),
        "user_id": None
        if user_id is None
        else read_reference(conn, "user_id", user_id, user_table, "user"),
        "phone": PhoneNumber.parse(phone, region=region).e164 if phone else None,
        "email": EmailAddress.parse(email).original if email else None,
        "territories": _territories(data.get("territories", [])),
        "time_zone": read_time_zone("time_zone", data.get("time_zone") or default_zone),
        "active": fields.flag("active", data.get("active", True)),
    }


def _store_windows(
    tx: Transaction, technician_id: int, windows: Sequence[tuple[int, time, time]]
) -> None:
    tx.conn.execute(delete(working_window).where(working_window.c.technician_id == technician_id))
    if windows:
        tx.conn.execute(
            insert(working_window),
            [
                {"technician_id": technician_id, "weekday": d, "starts": s, "ends": e}
                for d, s, e in windows
            ],
        )


def create_technician(
    tx: Transaction, data: Mapping[str, Any], *, default_zone: str, region: str | None
) -> Technician:
    """Record a technician or partner with their region and working windows."""
    check_fields(data, FIELDS)
    values = _values(tx.conn, data, default_zone, region)
    windows = _windows(data.get("windows", []))
    now = utcnow()
    technician_id = tx.conn.execute(
        insert(technician)
        .values(created_at=now, updated_at=now, version=1, **values)
        .returning(technician.c.id)
    ).scalar_one()
    _store_windows(tx, technician_id, windows)
    return get_technician(tx.conn, technician_id)


def update_technician(
    tx: Transaction,
    technician_id: int,
    data: Mapping[str, Any],
    version: int | None,
    *,
    region: str | None,
) -> Technician:
    """Change the fields ``data`` names; ``windows``, when given, replaces every window."""
    check_fields(data, FIELDS)
    current = get_technician(tx.conn, technician_id)
    what = f"technician {technician_id}"
    versions.check_version(what, current.version, version)
    merged = {
        "name": current.name,
        "kind": current.kind,
        "user_id": current.user_id,
        "phone": current.phone,
        "email": current.email,
        "territories": list(current.territories),
        "time_zone": current.time_zone,
        "active": current.active,
        **{k: v for k, v in data.items() if k != "windows"},
    }
    values = _values(tx.conn, merged, current.time_zone, region)
    versions.update_versioned(tx, technician, what, technician_id, current.version, values)
    if "windows" in data:
        _store_windows(tx, technician_id, _windows(data["windows"]))
    return get_technician(tx.conn, technician_id)


def _window_map(conn: Connection, ids: Sequence[int]) -> dict[int, list[WorkingWindow]]:
    found: dict[int, list[WorkingWindow]] = {i: [] for i in ids}
    if not ids:
        return found
    rows = conn.execute(
        select(working_window)
        .where(working_window.c.technician_id.in_(ids))
        .order_by(working_window.c.weekday, working_window.c.starts)
    )
    for row in rows:
        found[row.technician_id].append(
            WorkingWindow(row.weekday, row.starts.strftime("%H:%M"), row.ends.strftime("%H:%M"))
        )
    return found


def _technician_of(row: Any, windows: Sequence[WorkingWindow]) -> Technician:
    return Technician(
        id=row.id,
        name=row.name,
        kind=row.kind,
        user_id=row.user_id,
        phone=row.phone,
        email=row.email,
        territories=tuple(row.territories),
        time_zone=row.time_zone,
        active=row.active,
        windows=tuple(windows),
        created_at=row.created_at,
        updated_at=row.updated_at,
        version=row.version,
    )


def list_technicians(conn: Connection, *, active_only: bool = False) -> list[Technician]:
    """Every technician and partner, by name."""
    query = select(technician).order_by(technician.c.name, technician.c.id)
    if active_only:
        query = query.where(technician.c.active.is_(True))
    rows = conn.execute(query).all()
    windows = _window_map(conn, [row.id for row in rows])
    return [_technician_of(row, windows[row.id]) for row in rows]


def get_technician(conn: Connection, technician_id: int) -> Technician:
    row = conn.execute(select(technician).where(technician.c.id == technician_id)).one_or_none()
    if row is None:
        raise NotFound(f"technician {technician_id} does not exist")
    return _technician_of(row, _window_map(conn, [row.id])[row.id])


def read_technician(conn: Connection, value: Any) -> Technician:
    """The technician a body's ``technician_id`` names; an unknown one is refused naming the field."""
    technician_id = read_id("technician_id", value)
    try:
        return get_technician(conn, technician_id)
    except NotFound:
        raise ValidationError(
            "technician_id", f"technician {technician_id} does not exist"
        ) from None
