"""What sfa publishes to the analytics plugin (when it is installed): the ``sfa`` source.

Records and their facts (see :class:`crmkit_analytics.sources.Fact`):

* an opportunity ``opp:<id>``: while open, ``sfa.pipeline`` (count 1, its amount) and
  ``sfa.weighted`` (its amount times its probability) by stage on its expected close day
  (its creation day when it has none); once won, ``sfa.won`` on its close day by its
  source; once lost, ``sfa.lost`` on its close day by its lost reason; always
  ``sfa.created`` on its creation day by its source;
* an order ``order:<id>``: ``sfa.orders`` (count 1, its net total) on the day it was placed.

Stage changes, wins, losses and placed orders touch their records through their events;
opportunities created or edited without an event are found by ``changed`` (their
``updated_at``), which analytics' catch-up job asks every few minutes. Order lines are
:class:`~crmkit_analytics.sources.Purchase` rows (net amount, product code and group);
sales targets are :class:`~crmkit_analytics.sources.Target` rows against ``sfa.orders``,
as planning measures them. Amounts are summed as stored, in the CRM's one currency.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from sqlalchemy import Connection, select

from crmkit import Event
from crmkit_sfa.pipeline.tables import opportunity
from crmkit_sfa.planning.periods import Period
from crmkit_sfa.planning.tables import target
from crmkit_sfa.quotes.tables import order, order_line

if TYPE_CHECKING:
    from crmkit_analytics.sources import Fact, FactSource, Purchase, Record, Target

NAME = "sfa"
BATCH = 1000
EVENTS = frozenset(
    {"sfa.stage_changed", "sfa.opportunity_won", "sfa.opportunity_lost", "sfa.order_placed"}
)


def _list(path: str, **filters: Any) -> str:
    given = {k: v for k, v in filters.items() if v not in (None, "")}
    return f"/p/sfa/{path}" + (f"?{urlencode(given)}" if given else "")


def _drill_open(*, dimension: str = "", owner_id: int | None = None, **_: Any) -> str:
    pipeline, _slash, stage = dimension.partition("/")
    return _list("opportunities", status="open", pipeline=pipeline, stage=stage, owner_id=owner_id)


def _drill_won(*, owner_id: int | None = None, **_: Any) -> str:
    return _list("opportunities", status="won", owner_id=owner_id)


def _drill_lost(*, owner_id: int | None = None, **_: Any) -> str:
    return _list("opportunities", status="lost", owner_id=owner_id)


def _drill_all(*, owner_id: int | None = None, **_: Any) -> str:
    return _list("opportunities", owner_id=owner_id)


def _drill_orders(**_: Any) -> str:
    return "/p/sfa/orders"


def touched(conn: Connection, event: Event) -> Iterator[str]:
    if event.entity_id is None:
        return
    if event.type == "sfa.order_placed":
        yield f"order:{event.entity_id}"
    else:
        yield f"opp:{event.entity_id}"


def changed(conn: Connection, since: datetime) -> Iterator[str]:
    for (opp_id,) in conn.execute(
        select(opportunity.c.id).where(opportunity.c.updated_at >= since)
    ):
        yield f"opp:{opp_id}"


def _ids(keys: Sequence[str] | None, prefix: str) -> list[int] | None:
    if keys is None:
        return None
    return sorted({int(k[len(prefix) :]) for k in keys if k.startswith(prefix)})


def _chunks(ids: list[int] | None) -> Iterator[list[int] | None]:
    if ids is None:
        yield None
        return
    for start in range(0, len(ids), BATCH):
        yield ids[start : start + BATCH]


def _day(moment: datetime | date) -> date:
    return moment.date() if isinstance(moment, datetime) else moment


def _opportunity_fact(row: Any) -> Fact:
    from crmkit_analytics.sources import Fact, Measure

    where = {
        "territory": (row.territory or "")[:40],
        "team": (row.team or "")[:80],
        "owner_id": row.owner_id,
    }
    amount = float(row.amount or 0)
    created = _day(row.created_at)
    measures = [Measure("sfa.created", created, 1, amount, dimension=row.source or "", **where)]
    if row.status == "open":
        day = row.expected_close or created
        stage = f"{row.pipeline}/{row.stage}"
        weighted = amount * row.probability / 100
        measures.append(Measure("sfa.pipeline", day, 1, amount, dimension=stage, **where))
        measures.append(Measure("sfa.weighted", day, 1, weighted, dimension=stage, **where))
    elif row.status == "won" and row.closed_at is not None:
        measures.append(
            Measure("sfa.won", _day(row.closed_at), 1, amount, dimension=row.source or "", **where)
        )
    elif row.status == "lost" and row.closed_at is not None:
        reason = (row.lost_reason or "")[:120]
        measures.append(
            Measure("sfa.lost", _day(row.closed_at), 1, amount, dimension=reason, **where)
        )
    return Fact(f"opp:{row.id}", tuple(measures), party_id=row.party_id)


def _order_facts(conn: Connection, ids: list[int] | None) -> Iterator[Fact]:
    from crmkit_analytics.sources import Fact, Measure, party_cells

    for chunk in _chunks(ids):
        query = select(
            order.c.id,
            order.c.party_id,
            order.c.owner_id,
            order.c.total_net,
            order.c.placed_at,
            opportunity.c.territory,
            opportunity.c.team,
        ).select_from(order.outerjoin(opportunity, opportunity.c.id == order.c.opportunity_id))
        if chunk is not None:
            query = query.where(order.c.id.in_(chunk))
        rows = list(conn.execute(query.order_by(order.c.id)))
        for start in range(0, len(rows), BATCH):
            batch = rows[start : start + BATCH]
            cells = party_cells(conn, [r.party_id for r in batch])
            for row in batch:
                cell = cells.get(row.party_id)
                measure = Measure(
                    "sfa.orders",
                    _day(row.placed_at),
                    1,
                    float(row.total_net or 0),
                    territory=(row.territory or (cell.territory if cell else ""))[:40],
                    team=(row.team or (cell.team if cell else ""))[:80],
                    owner_id=row.owner_id,
                )
                yield Fact(f"order:{row.id}", (measure,), party_id=row.party_id)


def facts(conn: Connection, keys: Sequence[str] | None) -> Iterator[Fact]:
    for chunk in _chunks(_ids(keys, "opp:")):
        query = select(opportunity)
        if chunk is not None:
            query = query.where(opportunity.c.id.in_(chunk))
        for row in conn.execute(query.order_by(opportunity.c.id)):
            yield _opportunity_fact(row)
    yield from _order_facts(conn, _ids(keys, "order:"))


def _purchases(conn: Connection, order_ids: list[int] | None) -> Iterator[Purchase]:
    from crmkit_analytics.sources import Purchase

    for chunk in _chunks(order_ids):
        query = (
            select(
                order.c.id,
                order.c.party_id,
                order.c.placed_at,
                order_line.c.position,
                order_line.c.product_code,
                order_line.c.product_group,
                order_line.c.quantity,
                order_line.c.net,
            )
            .select_from(order.join(order_line, order_line.c.order_id == order.c.id))
            .order_by(order.c.id, order_line.c.position)
        )
        if chunk is not None:
            query = query.where(order.c.id.in_(chunk))
        for row in conn.execute(query):
            yield Purchase(
                party_id=row.party_id,
                occurred_at=row.placed_at,
                amount=float(row.net),
                order_ref=f"sfa:order:{row.id}",
                product=row.product_code,
                product_group=row.product_group,
                quantity=float(row.quantity),
                channel="sales",
            )


def purchases(conn: Connection, event: Event) -> Iterator[Purchase]:
    if event.type == "sfa.order_placed" and event.entity_id is not None:
        yield from _purchases(conn, [int(event.entity_id)])


def rebuild_purchases(conn: Connection) -> Iterator[Purchase]:
    return _purchases(conn, None)


def targets(conn: Connection, start: date, end: date) -> Iterator[Target]:
    """The sales targets whose period overlaps ``start`` to ``end`` (both included)."""
    from crmkit_analytics.sources import Target

    rows = conn.execute(
        select(target).where(
            target.c.period_start <= end, target.c.period_start > start - timedelta(days=366)
        )
    )
    for row in rows:
        period = Period(row.period_kind, row.period_start)
        last = period.end - timedelta(days=1)
        if last < start:
            continue
        where: dict[str, Any] = {}
        if row.scope == "user" and row.scope_key.isdigit():
            where["owner_id"] = int(row.scope_key)
        elif row.scope == "team":
            where["team"] = row.scope_key
        elif row.scope == "territory":
            where["territory"] = row.scope_key
        label = f"Sales target {period.key} ({row.scope} {row.scope_key})".replace(" (all all)", "")
        yield Target(
            metric="sfa.orders",
            starts_on=period.start,
            ends_on=last,
            amount=float(row.value),
            label=label,
            measure="count" if row.measure == "count" else "amount",
            **where,
        )


def describe(conn: Connection, keys: Sequence[str]) -> Iterator[Record]:
    """How the dashboard's drill page shows opportunities (title, status and stage, their
    page) and orders (number, their party's page)."""
    from crmkit_analytics.sources import Record, ids_of_keys

    opportunities = ids_of_keys(keys, "opp:")
    if opportunities:
        rows = conn.execute(
            select(
                opportunity.c.id,
                opportunity.c.title,
                opportunity.c.status,
                opportunity.c.pipeline,
                opportunity.c.stage,
            ).where(opportunity.c.id.in_(opportunities))
        )
        for row in rows:
            yield Record(
                f"opp:{row.id}",
                row.title,
                f"/p/sfa/opportunities/{row.id}/page",
                f"{row.status}, {row.pipeline}/{row.stage}",
            )
    orders = ids_of_keys(keys, "order:")
    if orders:
        rows = conn.execute(
            select(order.c.id, order.c.number, order.c.party_id).where(order.c.id.in_(orders))
        )
        for row in rows:
            url = f"/parties/{row.party_id}" if row.party_id is not None else ""
            yield Record(f"order:{row.id}", f"Order {row.number}", url)


def source() -> FactSource:
    from crmkit_analytics.sources import FactSource, Metric

    return FactSource(
        name=NAME,
        metrics=(
            Metric("sfa.pipeline", "Open pipeline by stage", "amount", _drill_open),
            Metric("sfa.weighted", "Weighted pipeline by expected close", "amount", _drill_open),
            Metric("sfa.created", "Opportunities created", "amount", _drill_all),
            Metric("sfa.won", "Won revenue", "amount", _drill_won),
            Metric("sfa.lost", "Lost opportunities by reason", "amount", _drill_lost),
            Metric("sfa.orders", "Orders placed", "amount", _drill_orders),
        ),
        event_types=EVENTS,
        touched=touched,
        facts=facts,
        changed=changed,
        describe=describe,
        purchases=purchases,
        rebuild_purchases=rebuild_purchases,
        targets=targets,
    )
