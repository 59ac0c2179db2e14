"""Partner performance per period: what became of the leads offered to each partner.

A lead counts in the period (a UTC day, an ISO week from Monday, or a calendar month) in
which it was offered to the partner; what became of it since is counted there too, so a
period's figures settle as its leads are answered. Times are medians in seconds, from
the offer to the acceptance and from the offer to the first contact.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from statistics import median
from typing import Any

from attrs import frozen
from sqlalchemy import Connection, select

from crmkit import ValidationError
from crmkit_dms.routing.tables import assignment

PERIODS = ("day", "week", "month")


@frozen
class Performance:
    """One partner's figures for one period."""

    partner_id: int
    period: str
    start: date
    received: int
    accepted: int
    declined: int
    expired: int
    contacted: int
    sold: int
    lost: int
    median_seconds_to_accept: float | None
    median_seconds_to_first_contact: float | None
    conversion: float | None
    """sold / accepted; None while nothing was accepted."""


def period_start(period: str, moment: datetime) -> date:
    """The first day of the ``period`` holding ``moment`` (in UTC)."""
    day = moment.astimezone(UTC).date()
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    raise ValidationError("period", f"expected one of {', '.join(PERIODS)}")


CONTACTED = frozenset({"contacted", "appointment", "sold", "lost"})


def _figures(partner_id: int, period: str, start: date, rows: Iterable[Any]) -> Performance:
    rows = list(rows)
    accepted = [r for r in rows if r.accepted_at is not None]
    sold = sum(1 for r in rows if r.state == "sold")
    to_accept = [(r.accepted_at - r.offered_at).total_seconds() for r in accepted]
    to_contact = [
        (r.first_contact_at - r.offered_at).total_seconds()
        for r in rows
        if r.first_contact_at is not None
    ]
    return Performance(
        partner_id=partner_id,
        period=period,
        start=start,
        received=len(rows),
        accepted=len(accepted),
        declined=sum(1 for r in rows if r.state == "declined"),
        expired=sum(1 for r in rows if r.state == "expired"),
        contacted=sum(1 for r in rows if r.state in CONTACTED or r.first_contact_at is not None),
        sold=sold,
        lost=sum(1 for r in rows if r.state == "lost"),
        median_seconds_to_accept=median(to_accept) if to_accept else None,
        median_seconds_to_first_contact=median(to_contact) if to_contact else None,
        conversion=sold / len(accepted) if accepted else None,
    )


def performance(
    conn: Connection, partner_id: int | None, period: str, start: datetime, end: datetime
) -> list[Performance]:
    """The figures of one partner (or of every partner offered a lead, for ``None``) for
    each ``period`` with leads offered from ``start`` (inclusive) to ``end`` (exclusive),
    by partner and period. Periods without leads are left out."""
    if period not in PERIODS:
        raise ValidationError("period", f"expected one of {', '.join(PERIODS)}")
    if end <= start:
        raise ValidationError("end", "must be after start")
    query = select(
        assignment.c.partner_id,
        assignment.c.state,
        assignment.c.offered_at,
        assignment.c.accepted_at,
        assignment.c.first_contact_at,
    ).where(
        assignment.c.partner_id.is_not(None),
        assignment.c.offered_at >= start,
        assignment.c.offered_at < end,
    )
    if partner_id is not None:
        query = query.where(assignment.c.partner_id == partner_id)
    grouped: dict[tuple[int, date], list[Any]] = {}
    for row in conn.execute(query):
        grouped.setdefault((row.partner_id, period_start(period, row.offered_at)), []).append(row)
    return [_figures(key[0], period, key[1], grouped[key]) for key in sorted(grouped)]
