"""What service publishes to the analytics plugin (when it is installed): ``service``.

Each case is a record ``case:<id>`` whose facts, by its category's name (dimension), the
case's team and owner and its party's territory, are:

* ``service.opened``: 1 on the day it was opened;
* ``service.open``: 1 on the day it was opened while it is open (grouped by day: the
  backlog's age, the service load);
* ``service.closed``: 1 on the day it was resolved (or closed);
* ``service.sla_met`` and ``service.sla_breached``: per SLA clock of the case (dimension
  ``first_response`` or ``resolution``), on the day the clock stopped in time or was
  missed. Compliance is met / (met + breached).

Every case and SLA event touches its case; changes without an event (a clock stopped by a
job) are found by ``changed``. Open complaints, and complaints of the period, are
:class:`~crmkit_analytics.sources.Signal` rows for churn risk. Merged cases count no more.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from sqlalchemy import Connection, or_, select, union

from crmkit import Event
from crmkit_service.cases.model import OPEN_STATUSES
from crmkit_service.cases.tables import case, category
from crmkit_service.sla.tables import clock

if TYPE_CHECKING:
    from crmkit_analytics.sources import Fact, FactSource, Measure, Record, Signal

NAME = "service"
BATCH = 1000
NO_CATEGORY = "(none)"
EVENTS = frozenset(
    {
        "service.case_opened",
        "service.case_status_changed",
        "service.case_assigned",
        "service.case_replied",
        "service.case_updated",
        "service.case_merged",
        "service.sla_breached",
    }
)


def _cases(**filters: Any) -> str:
    given = {k: v for k, v in filters.items() if v not in (None, "")}
    return "/p/service/cases/page" + (f"?{urlencode(given)}" if given else "")


def _drill(*, team: str = "", owner_id: int | None = None, **_: Any) -> str:
    return _cases(team=team, owner_id=owner_id)


def _drill_open(*, team: str = "", owner_id: int | None = None, **_: Any) -> str:
    return _cases(open="true", team=team, owner_id=owner_id)


def touched(conn: Connection, event: Event) -> Iterator[str]:
    if event.entity_id is not None:
        yield f"case:{event.entity_id}"


def changed(conn: Connection, since: datetime) -> Iterator[str]:
    moved = union(
        select(case.c.id).where(case.c.updated_at >= since),
        select(clock.c.case_id).where(clock.c.updated_at >= since),
    )
    for (case_id,) in conn.execute(moved):
        yield f"case:{case_id}"


def _day(moment: datetime | date) -> date:
    return moment.date() if isinstance(moment, datetime) else moment


def _case_facts(conn: Connection, rows: list[Any]) -> Iterator[Fact]:
    from crmkit_analytics.sources import Fact, Measure, party_cells

    cells = party_cells(conn, [r.party_id for r in rows])
    clocks: dict[int, list[Any]] = {}
    ids = [r.id for r in rows]
    for found in conn.execute(select(clock).where(clock.c.case_id.in_(ids))):
        clocks.setdefault(found.case_id, []).append(found)
    for row in rows:
        party = cells.get(row.party_id)
        where = {
            "territory": party.territory if party else "",
            "team": (row.team or "")[:80],
            "owner_id": row.owner_id,
        }
        measures: list[Measure] = []
        if row.merged_into_id is None:
            label = (row.category_name or NO_CATEGORY)[:120]
            opened = _day(row.created_at)
            measures.append(Measure("service.opened", opened, 1, dimension=label, **where))
            if row.status in OPEN_STATUSES:
                measures.append(Measure("service.open", opened, 1, dimension=label, **where))
            done = row.resolved_at or row.closed_at
            if done is not None and row.status not in OPEN_STATUSES:
                measures.append(Measure("service.closed", _day(done), 1, dimension=label, **where))
            for item in clocks.get(row.id, ()):
                missed = item.breached_at or (item.stopped_at if item.met is False else None)
                if missed is not None:
                    day = _day(missed)
                    measures.append(
                        Measure("service.sla_breached", day, 1, dimension=item.metric, **where)
                    )
                elif item.met and item.stopped_at is not None:
                    day = _day(item.stopped_at)
                    measures.append(
                        Measure("service.sla_met", day, 1, dimension=item.metric, **where)
                    )
        yield Fact(f"case:{row.id}", tuple(measures), party_id=row.party_id)


def facts(conn: Connection, keys: Sequence[str] | None) -> Iterator[Fact]:
    query = (
        select(case, category.c.name.label("category_name"))
        .select_from(case.outerjoin(category, category.c.id == case.c.category_id))
        .order_by(case.c.id)
    )
    if keys is None:
        batches: Iterator[list[int] | None] = iter([None])
    else:
        ids = sorted({int(k[5:]) for k in keys if k.startswith("case:") and k[5:].isdigit()})
        batches = iter([ids[i : i + BATCH] for i in range(0, len(ids), BATCH)])
    for chunk in batches:
        chosen = query if chunk is None else query.where(case.c.id.in_(chunk))
        rows = list(conn.execute(chosen))
        for start in range(0, len(rows), BATCH):
            yield from _case_facts(conn, rows[start : start + BATCH])


def signals(conn: Connection, since: datetime) -> Iterator[Signal]:
    """Complaints still open (whenever opened), and those opened since ``since``."""
    from crmkit_analytics.sources import Signal

    rows = conn.execute(
        select(case.c.party_id, case.c.created_at, case.c.status, case.c.subject).where(
            case.c.kind == "complaint",
            case.c.merged_into_id.is_(None),
            or_(case.c.status.in_(OPEN_STATUSES), case.c.created_at >= since),
        )
    )
    for row in rows:
        still_open = row.status in OPEN_STATUSES
        yield Signal(
            party_id=row.party_id,
            kind="open_complaint" if still_open else "complaint",
            occurred_at=row.created_at,
            weight=1.0 if still_open else 0.5,
            detail=row.subject[:200],
        )


def describe(conn: Connection, keys: Sequence[str]) -> Iterator[Record]:
    """How the dashboard's drill page shows a case: its subject, status and page."""
    from crmkit_analytics.sources import Record, ids_of_keys

    ids = ids_of_keys(keys, "case:")
    if ids:
        rows = conn.execute(
            select(case.c.id, case.c.subject, case.c.status).where(case.c.id.in_(ids))
        )
        for row in rows:
            yield Record(
                f"case:{row.id}", row.subject, f"/p/service/cases/{row.id}/page", row.status
            )


def source() -> FactSource:
    from crmkit_analytics.sources import FactSource, Metric

    return FactSource(
        name=NAME,
        metrics=(
            Metric("service.opened", "Cases opened by category", "count", _drill),
            Metric("service.open", "Open cases by age (service load)", "count", _drill_open),
            Metric("service.closed", "Cases resolved by category", "count", _drill),
            Metric("service.sla_met", "SLA targets met", "count", _drill),
            Metric("service.sla_breached", "SLA targets missed", "count", _drill),
        ),
        event_types=EVENTS,
        touched=touched,
        facts=facts,
        changed=changed,
        describe=describe,
        signals=signals,
    )
