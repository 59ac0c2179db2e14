"""Trends for continuous improvement: how many cases per category, product or root cause, per period.

One GROUP BY in the database, whatever the number of cases; only the cases of parties
the actor may see are counted. Cases are counted in the period they were opened in,
except by root cause, which a case has once resolved: those are counted in the
period they were resolved in.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from attrs import frozen
from sqlalchemy import ColumnElement, Connection, func, select, true

from crmkit import Actor, ValidationError, read_choice, require, seen_party_ids
from crmkit_service.cases.access import TRENDS_READ
from crmkit_service.cases.categories import list_categories
from crmkit_service.cases.tables import case

PERIODS = ("day", "week", "month")
DIMENSIONS = ("category", "product", "root_cause")
MAX_DAYS = 3 * 366
NONE_LABEL = "(none)"


@frozen
class TrendPoint:
    """``count`` cases of ``label`` (its ``key``: category id, product or root cause) in the
    period starting on ``period``."""

    period: date
    key: str | None
    label: str
    count: int


def _bucket(dialect: str, column: Any, period: str) -> ColumnElement[Any]:
    """The first day of the period ``column`` falls in, as ``YYYY-MM-DD`` text (weeks start on Monday)."""
    if dialect == "postgresql":
        return func.to_char(func.date_trunc(period, func.timezone("UTC", column)), "YYYY-MM-DD")
    if period == "day":
        return func.date(column)
    if period == "week":
        return func.date(column, "weekday 0", "-6 days")
    return func.strftime("%Y-%m-01", column)


def case_trends(
    conn: Connection,
    actor: Actor,
    *,
    host: Any,
    dimension: Any = "category",
    period: Any = "month",
    since: date,
    until: date,
) -> list[TrendPoint]:
    """Counts per period (oldest first) and per key (most cases first) from ``since`` to ``until``."""
    require(host, actor, TRENDS_READ)
    dimension = read_choice("dimension", dimension, DIMENSIONS)
    period = read_choice("period", period, PERIODS)
    if until < since:
        raise ValidationError("until", "is before since")
    if (until - since).days > MAX_DAYS:
        raise ValidationError("since", f"a trend covers at most {MAX_DAYS} days")
    moment = case.c.resolved_at if dimension == "root_cause" else case.c.created_at
    key = {
        "category": case.c.category_id,
        "product": case.c.product,
        "root_cause": case.c.root_cause,
    }[dimension]
    bucket = _bucket(conn.dialect.name, moment, period).label("period")
    start = datetime.combine(since, time(), UTC)
    end = datetime.combine(until + timedelta(days=1), time(), UTC)
    rows = conn.execute(
        select(bucket, key.label("key"), func.count().label("cases"))
        .where(
            moment >= start,
            moment < end,
            case.c.merged_into_id.is_(None),
            case.c.party_id.in_(seen_party_ids(host, actor)),
            key.is_not(None) if dimension == "root_cause" else true(),
        )
        .group_by(bucket, key)
    ).all()
    labels = {str(c.id): c.path for c in list_categories(conn)} if dimension == "category" else {}
    points = [
        TrendPoint(
            date.fromisoformat(str(row.period)[:10]),
            None if row.key is None else str(row.key),
            NONE_LABEL if row.key is None else labels.get(str(row.key), str(row.key)),
            row.cases,
        )
        for row in rows
    ]
    return sorted(points, key=lambda p: (p.period, -p.count, p.label))
