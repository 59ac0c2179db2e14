"""The records behind a figure, for the dashboard's drill page.

A source that publishes :class:`~crmkit_analytics.sources.Fact` objects has each record's
contribution kept in ``analytics_contribution`` (key, party, the rollup cells it adds). The
records behind a figure are those whose cells of the figure's metric fall in its period
(and dimension), in a (territory, team, owner) the actor's scope counts: the very cells the
figure sums, so the list adds up to the figure. Records of a party the actor may not see are
left out (the kernel's party rule), and the source's ``describe`` gives each a label and the
link to its own page.

This reads every contribution of the source that names the metric: a drill-down is one
click, not a page view.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from attrs import frozen
from sqlalchemy import Connection, Text, cast, or_, select

from crmkit import Actor, seen_party_ids, user_table
from crmkit_analytics.dashboard.scope import Scope
from crmkit_analytics.rollups.tables import NO_OWNER, contribution, rollup
from crmkit_analytics.sources import FactSource, Record, computing_for

LIMIT = 500


@frozen
class Row:
    """One record behind a figure: what it adds to the figure, where, and how to show it."""

    key: str
    label: str
    url: str
    detail: str
    day: date
    """The (latest) day of its cells within the period."""
    dimension: str
    territory: str
    owner: str
    count: int
    amount: float


@frozen
class Records:
    rows: tuple[Row, ...]
    total: int
    """How many records lie behind the figure (``rows`` holds at most :data:`LIMIT`)."""
    count: int
    amount: float


def _allowed(
    conn: Connection, metric: str, start: date, end: date, dimension: str | None, scope: Scope
) -> set[tuple[str, str, int]]:
    conditions = [
        rollup.c.metric == metric,
        rollup.c.day >= start,
        rollup.c.day <= end,
        scope.condition,
    ]
    if dimension is not None:
        conditions.append(rollup.c.dimension == dimension)
    query = select(rollup.c.territory, rollup.c.team, rollup.c.owner_id).where(*conditions)
    return {(r[0], r[1], int(r[2])) for r in conn.execute(query.distinct())}


def records_behind(
    app: Any,
    conn: Connection,
    actor: Actor,
    source: FactSource,
    metric: str,
    start: date,
    end: date,
    dimension: str | None,
    scope: Scope,
) -> Records | None:
    """The records of ``source`` behind the figure, newest first; None when the source keeps
    no record of ``metric`` (its figures come from flows: the cells are the list then)."""
    if source.facts is None:
        return None
    allowed = _allowed(conn, metric, start, end, dimension, scope)
    query = select(contribution.c.key, contribution.c.party_id, contribution.c.cells).where(
        contribution.c.source == source.name,
        # Only rows whose cells name the metric (a cheap test of the JSON text; the cells
        # are matched exactly below).
        cast(contribution.c.cells, Text).contains(f'"{metric}"', autoescape=True),
        or_(
            contribution.c.party_id.is_(None),
            contribution.c.party_id.in_(seen_party_ids(app.host, actor)),
        ),
    )
    keeps_metric = False
    found: dict[str, list[Any]] = {}
    first, last = start.isoformat(), end.isoformat()
    for key, _party, cells in conn.execute(query):
        for cell in cells or ():
            name, day, dim, territory, team, owner, count, amount = cell
            if name != metric:
                continue
            keeps_metric = True
            if not first <= str(day)[:10] <= last:
                continue
            if dimension is not None and dim != dimension:
                continue
            owner_key = NO_OWNER if owner is None else int(owner)
            if (territory, team, owner_key) not in allowed:
                continue
            row = found.setdefault(key, [str(day)[:10], dim, territory, owner, 0, 0.0])
            row[0] = max(row[0], str(day)[:10])
            row[4] += int(count or 0)
            row[5] += float(amount or 0.0)
    if not keeps_metric:
        return None
    behind = {k: v for k, v in found.items() if v[4] or v[5]}
    ordered = sorted(behind, key=lambda k: (behind[k][0], k), reverse=True)
    shown = ordered[:LIMIT]
    described = _described(app, conn, source, shown)
    owners = _usernames(conn, {behind[k][3] for k in shown if behind[k][3]})
    rows = []
    for key in shown:
        day, dim, territory, owner, count, amount = behind[key]
        record = described.get(key)
        rows.append(
            Row(
                key=key,
                label=record.label if record else key,
                url=record.url if record else "",
                detail=record.detail if record else "",
                day=date.fromisoformat(day),
                dimension=dim,
                territory=territory,
                owner=owners.get(owner, "") if owner else "",
                count=count,
                amount=amount,
            )
        )
    return Records(
        rows=tuple(rows),
        total=len(behind),
        count=sum(v[4] for v in behind.values()),
        amount=sum(v[5] for v in behind.values()),
    )


def _described(
    app: Any, conn: Connection, source: FactSource, keys: Sequence[str]
) -> dict[str, Record]:
    if source.describe is None or not keys:
        return {}
    with computing_for(app):
        return {r.key: r for r in source.describe(conn, list(keys))}


def _usernames(conn: Connection, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = conn.execute(
        select(user_table.c.id, user_table.c.username).where(user_table.c.id.in_(sorted(ids)))
    )
    return {int(r[0]): str(r[1]) for r in rows}
