"""The agent's work list (open cases by SLA due time) and SLA compliance per team and period.

Both read the clock table, whose due times are stored: the work list is a range scan of one
owner's counting clocks in due order, compliance grouped passes over a period's clocks.
Parties the actor may not see are left out of both.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from attrs import frozen
from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    Select,
    and_,
    cast,
    false,
    func,
    not_,
    select,
)
from sqlalchemy import case as when

from crmkit import Actor, party_table, seen_parties, sees_every_party
from crmkit_service.cases.model import case_number
from crmkit_service.cases.tables import case
from crmkit_service.sla.periods import Period
from crmkit_service.sla.seen import only_seen
from crmkit_service.sla.tables import clock

MAX_ITEMS = 200


@frozen
class WorkItem:
    """An open case of the work list with the SLA target it must meet next."""

    case_id: int
    number: str
    subject: str
    status: str
    priority: str
    party_id: int
    party_name: str
    metric: str
    """The clock that falls due first: first_response or resolution."""
    state: str
    """running or paused (waiting on the customer)."""
    due_at: datetime | None
    warn_at: datetime | None
    breached: bool


@frozen
class Compliance:
    """How one team met one target in a period; the shares count decided clocks only."""

    team: str | None
    metric: str
    total: int
    met: int
    breached: int
    pending: int
    met_percent: float | None
    breached_percent: float | None


def work_list(
    conn: Connection, host: Any, actor: Actor, owner_id: int, limit: int = 50
) -> list[WorkItem]:
    """``owner_id``'s open cases with a counting or paused clock, the soonest due first.

    Paused cases (waiting on the customer) have no due time: they follow the others.
    """
    limit = min(max(limit, 1), MAX_ITEMS)
    base = only_seen(
        select(clock.c.case_id, clock.c.metric, clock.c.due_at).where(
            clock.c.owner_id == owner_id, clock.c.stopped_at.is_(None)
        ),
        clock.c.party_id,
        host,
        actor,
    )
    # Each case has at most two clocks: twice the rows hold ``limit`` cases.
    counting = conn.execute(
        base.where(clock.c.due_at.is_not(None))
        .order_by(clock.c.due_at, clock.c.id)
        .limit(2 * limit)
    ).all()
    first: dict[int, str] = {}
    for row in counting:
        first.setdefault(row.case_id, row.metric)
    if len(first) < limit:
        paused = conn.execute(
            base.where(clock.c.due_at.is_(None))
            .order_by(clock.c.case_id, clock.c.id)
            .limit(2 * limit)
        ).all()
        for row in paused:
            first.setdefault(row.case_id, row.metric)
    chosen = list(first.items())[:limit]
    if not chosen:
        return []
    details = {
        row.case_id: row
        for row in conn.execute(_details().where(clock.c.case_id.in_([c for c, _ in chosen])))
        if row.metric == first[row.case_id]
    }
    return [_item(details[case_id]) for case_id, _ in chosen if case_id in details]


def _details() -> Select[Any]:
    return (
        select(
            clock.c.case_id,
            clock.c.metric,
            clock.c.due_at,
            clock.c.warn_at,
            clock.c.running_since,
            clock.c.breached_at,
            case.c.subject,
            case.c.status,
            case.c.priority,
            case.c.party_id,
            party_table.c.display_name,
        )
        .join(case, case.c.id == clock.c.case_id)
        .join(party_table, party_table.c.id == case.c.party_id)
    )


def _item(row: Any) -> WorkItem:
    return WorkItem(
        case_id=row.case_id,
        number=case_number(row.case_id),
        subject=row.subject,
        status=row.status,
        priority=row.priority,
        party_id=row.party_id,
        party_name=row.display_name,
        metric=row.metric,
        state="running" if row.running_since is not None else "paused",
        due_at=row.due_at,
        warn_at=row.warn_at,
        breached=row.breached_at is not None,
    )


def compliance(
    conn: Connection, host: Any, actor: Actor, period: Period, team: str | None = None
) -> list[Compliance]:
    """Per team and target, the clocks started in ``period``: met, breached and still pending.

    Teams in alphabetical order, clocks of cases without a team last.
    """
    query = _figures(period, team)
    if sees_every_party(host, actor):
        found = [_Sums.of(row) for row in conn.execute(query)]
    else:
        rule = seen_parties(host, actor)
        parties = select(func.count()).select_from(party_table)
        seen = conn.execute(parties.where(rule)).scalar_one()
        if 2 * seen <= conn.execute(parties).scalar_one():
            found = [_Sums.of(row) for row in conn.execute(query.where(_of_parties(rule)))]
        else:
            # Most parties are seen: count every clock, then take away the clocks of the few
            # parties not seen. Both read an index alone, where looking up the party of each
            # clock would read a quarter's worth of party rows.
            hidden = not_(func.coalesce(rule, false()))
            found = _less(
                [_Sums.of(row) for row in conn.execute(query)],
                [_Sums.of(row) for row in conn.execute(query.where(_of_parties(hidden)))],
            )
    found.sort(key=lambda s: (s.team is None, s.team or "", s.metric))
    return [s.compliance() for s in found]


def _figures(period: Period, team: str | None) -> Select[Any]:
    met = cast(clock.c.met.is_(True), Integer)
    breached = when(
        (clock.c.met.is_(False), 1),
        (and_(clock.c.met.is_(None), clock.c.breached_at.is_not(None)), 1),
        else_=0,
    )
    query = (
        select(
            clock.c.team,
            clock.c.metric,
            func.count().label("total"),
            func.coalesce(func.sum(met), 0).label("met"),
            func.coalesce(func.sum(breached), 0).label("breached"),
        )
        .where(clock.c.started_at >= period.start, clock.c.started_at < period.end)
        .group_by(clock.c.team, clock.c.metric)
    )
    return query if team is None else query.where(clock.c.team == team)


def _of_parties(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    return clock.c.party_id.in_(select(party_table.c.id).where(condition))


@frozen
class _Sums:
    team: str | None
    metric: str
    total: int
    met: int
    breached: int

    @classmethod
    def of(cls, row: Any) -> _Sums:
        return cls(row.team, row.metric, int(row.total), int(row.met), int(row.breached))

    def compliance(self) -> Compliance:
        decided = self.met + self.breached
        return Compliance(
            team=self.team,
            metric=self.metric,
            total=self.total,
            met=self.met,
            breached=self.breached,
            pending=self.total - decided,
            met_percent=round(100 * self.met / decided, 1) if decided else None,
            breached_percent=round(100 * self.breached / decided, 1) if decided else None,
        )


def _less(every: list[_Sums], hidden: list[_Sums]) -> list[_Sums]:
    taken = {(h.team, h.metric): h for h in hidden}
    left = []
    for sums in every:
        off = taken.get((sums.team, sums.metric))
        if off is not None:
            sums = _Sums(
                sums.team,
                sums.metric,
                sums.total - off.total,
                sums.met - off.met,
                sums.breached - off.breached,
            )
        if sums.total:
            left.append(sums)
    return left
