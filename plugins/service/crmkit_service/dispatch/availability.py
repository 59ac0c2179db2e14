"""Who can take a visit: active technicians serving the site's region, working then, not booked then."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from attrs import frozen
from sqlalchemy import Connection, func, select

from crmkit import in_territory
from crmkit_service.dispatch.tables import dispatch
from crmkit_service.dispatch.technicians import Technician, list_technicians

BOOKED = ("dispatched", "on_site")
"""Statuses in which a dispatch holds its technician's time."""


@frozen
class Candidate:
    """A technician free for a slot, with how many visits they have booked that day already."""

    technician: Technician
    booked_that_day: int


def _busy(
    conn: Connection,
    technician_ids: Sequence[int],
    start: datetime,
    end: datetime,
    exclude_dispatch: int | None,
) -> set[int]:
    """The technicians among ``technician_ids`` booked for a visit overlapping ``start`` to ``end``."""
    if not technician_ids:
        return set()
    query = select(dispatch.c.technician_id).where(
        dispatch.c.technician_id.in_(technician_ids),
        dispatch.c.status.in_(BOOKED),
        dispatch.c.scheduled_start < end,
        dispatch.c.scheduled_end > start,
    )
    if exclude_dispatch is not None:
        query = query.where(dispatch.c.id != exclude_dispatch)
    return {row.technician_id for row in conn.execute(query)}


def _booked_that_day(conn: Connection, who: Technician, start: datetime) -> int:
    """Visits booked for ``who`` on the local day of ``start``, in their time zone."""
    local = start.astimezone(ZoneInfo(who.time_zone))
    day_start = datetime.combine(local.date(), time(0), local.tzinfo)
    day_end = datetime.combine(local.date() + timedelta(days=1), time(0), local.tzinfo)
    return conn.execute(
        select(func.count()).where(
            dispatch.c.technician_id == who.id,
            dispatch.c.status.in_(BOOKED),
            dispatch.c.scheduled_start < day_end.astimezone(UTC),
            dispatch.c.scheduled_end > day_start.astimezone(UTC),
        )
    ).scalar_one()


def why_not(
    conn: Connection,
    who: Technician,
    territory: str,
    start: datetime,
    end: datetime,
    *,
    exclude_dispatch: int | None = None,
) -> str | None:
    """Why ``who`` cannot take the visit (inactive, other region, not working, booked), or None."""
    if not who.active:
        return "is not active"
    if not in_territory(territory, who.territories):
        return f"does not serve the region of {territory}"
    if not who.works(start, end):
        return "does not work at that time"
    if _busy(conn, [who.id], start, end, exclude_dispatch):
        return "is booked for another visit at that time"
    return None


def free_candidates(
    conn: Connection,
    territory: str,
    start: datetime,
    end: datetime,
    *,
    exclude_dispatch: int | None = None,
) -> list[Candidate]:
    """Technicians who can take a visit at ``territory`` from ``start`` to ``end``: least booked first."""
    serving = [
        t
        for t in list_technicians(conn, active_only=True)
        if in_territory(territory, t.territories) and t.works(start, end)
    ]
    ids = [t.id for t in serving]
    busy = _busy(conn, ids, start, end, exclude_dispatch)
    free = [t for t in serving if t.id not in busy]
    ranked = [Candidate(t, _booked_that_day(conn, t, start)) for t in free]
    return sorted(ranked, key=lambda c: (c.booked_that_day, c.technician.name, c.technician.id))
