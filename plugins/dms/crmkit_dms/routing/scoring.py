"""Which candidate partner gets a lead: capacity left today, then a score of past performance.

A partner's score is a weighted sum of figures between 0 and 1 over the last
``performance_days``: acceptance (accepted / answered offers), conversion (sold /
accepted), speed (1 when it accepts at once, 0 at the deadline) and the share of its
daily capacity still free. Figures are smoothed (one success and one failure assumed), so
that a new partner starts in the middle rather than at either end. The past figures are an
aggregate of ``dms_assignment`` made for scoring (the partners part's ``performance`` is the
report per period, reading every row); capacity left is counted afresh for every lead.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from attrs import frozen
from sqlalchemy import Connection, bindparam, func, select

from crmkit_dms.partners.model import Partner
from crmkit_dms.routing.deadlines import local_day_start
from crmkit_dms.routing.settings import RoutingSettings
from crmkit_dms.routing.tables import assignment


@frozen
class Ranked:
    """A candidate with what it was judged on."""

    partner: Partner
    offered_today: int
    score: float


def _smoothed(hits: int, tries: int) -> float:
    return (hits + 1) / (tries + 2)


_OFFERED_SINCE = (
    select(assignment.c.partner_id, func.count())
    .where(
        assignment.c.partner_id.in_(bindparam("partner_ids", expanding=True)),
        assignment.c.offered_at >= bindparam("since"),
    )
    .group_by(assignment.c.partner_id)
)


def offered_today(conn: Connection, partners: Sequence[Partner], now: datetime) -> dict[int, int]:
    """Leads offered to each partner since midnight in its own time zone: one query per
    midnight (partners of one time zone share it)."""
    by_midnight: dict[datetime, list[int]] = {}
    for partner in partners:
        by_midnight.setdefault(local_day_start(now, partner.time_zone), []).append(partner.id)
    counts: dict[int, int] = {}
    for since, partner_ids in by_midnight.items():
        rows = conn.execute(_OFFERED_SINCE, {"partner_ids": partner_ids, "since": since})
        counts.update({partner_id: count for partner_id, count in rows})
    return counts


@frozen
class Figures:
    """A partner's offers over the scoring window: answered, accepted, sold, mean seconds to
    accept."""

    answered: int
    accepted: int
    sold: int
    accept_seconds: float | None


NO_FIGURES = Figures(0, 0, 0, None)
MEMO_KEY = "dms.routing.figures"


def _figures(conn: Connection, settings: RoutingSettings, now: datetime) -> dict[int, Figures]:
    rows = conn.execute(
        select(
            assignment.c.partner_id,
            func.count().filter(assignment.c.state != "offered").label("answered"),
            func.count(assignment.c.accepted_at).label("accepted"),
            func.count().filter(assignment.c.state == "sold").label("sold"),
            func.avg(assignment.c.accept_seconds).label("accept_seconds"),
        )
        .where(
            assignment.c.partner_id.is_not(None),
            assignment.c.offered_at >= now - timedelta(days=settings.performance_days),
        )
        .group_by(assignment.c.partner_id)
    )
    return {
        row.partner_id: Figures(
            row.answered,
            row.accepted,
            row.sold,
            None if row.accept_seconds is None else float(row.accept_seconds),
        )
        for row in rows
    }


def figures(
    conn: Connection, settings: RoutingSettings, now: datetime, memo: dict[str, Any]
) -> dict[int, Figures]:
    """Every partner's figures, computed at most once per ``score_refresh_seconds`` per
    process (kept in ``memo``, the plugin host's): a score need not move with each lead, and
    aggregating the window for every lead of a bulk intake would cost as much as the intake."""
    cached = memo.get(MEMO_KEY)
    if cached is not None and now - cached[0] < timedelta(seconds=settings.score_refresh_seconds):
        found: dict[int, Figures] = cached[1]
        return found
    fresh = _figures(conn, settings, now)
    memo[MEMO_KEY] = (now, fresh)
    return fresh


def rank(
    conn: Connection,
    partners: Sequence[Partner],
    settings: RoutingSettings,
    now: datetime,
    memo: dict[str, Any],
) -> list[Ranked]:
    """The partners with capacity left today, best first (ties: fewer offers today, code)."""
    if not partners:
        return []
    known = figures(conn, settings, now, memo)
    offered = offered_today(conn, partners, now)
    deadline_seconds = settings.accept_hours * 3600
    ranked = []
    for partner in partners:
        today = offered.get(partner.id, 0)
        capacity = partner.capacity_per_day
        if capacity is not None and today >= capacity:
            continue
        past = known.get(partner.id, NO_FIGURES)
        speed = (
            0.5
            if past.accept_seconds is None
            else max(0.0, 1 - past.accept_seconds / deadline_seconds)
        )
        free = 1.0 if capacity is None else (capacity - today) / capacity
        score = (
            settings.acceptance_weight * _smoothed(past.accepted, past.answered)
            + settings.conversion_weight * _smoothed(past.sold, past.accepted)
            + settings.speed_weight * speed
            + settings.load_weight * free
        )
        ranked.append(Ranked(partner, today, score))
    return sorted(ranked, key=lambda r: (-r.score, r.offered_today, r.partner.code))
