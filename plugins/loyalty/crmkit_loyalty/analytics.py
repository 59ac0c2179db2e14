"""What loyalty publishes to the analytics plugin (when it is installed): ``loyalty``.

Flows, from the ledger's events (and rebuilt from its tables):

* ``loyalty.earned``: points earned (count: entries, amount: points) by what earned them
  (dimension: the entry's source, ``sfa.order``, ``referral`` …);
* ``loyalty.enrolled``: members enrolled, by programme (``#<id>``).

Each is put in its party's cell (territory, owner, owner's team) as the party is when the
event is applied; a rebuild puts past flows in the party's cell as it is then.

Purchases: an earning entry whose ``details`` carry an ``amount`` (a purchase a connector or
an import booked points for: ``{"amount": "42.50", "product": ..., "product_group": ...,
"channel": ...}``) is a :class:`~crmkit_analytics.sources.Purchase`. Points earned on sfa
orders are not: sfa publishes those orders' lines itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from crmkit import Event
from crmkit_loyalty.ledger.tables import entry, member

if TYPE_CHECKING:
    from crmkit_analytics.sources import FactSource, Measure, Purchase

NAME = "loyalty"
BATCH = 1000
EARNED = "loyalty.points_earned"
ENROLLED = "loyalty.member_enrolled"


def _drill(**_: Any) -> str:
    return "/p/loyalty/page/members"


def _day(moment: datetime | date) -> date:
    return moment.date() if isinstance(moment, datetime) else moment


def _measures(
    conn: Connection, items: Iterable[tuple[str, int | None, date, str, float]]
) -> Iterator[Measure]:
    """``(metric, party_id, day, dimension, amount)`` as measures in the parties' cells."""
    from crmkit_analytics.sources import Measure, party_cells

    rows = list(items)
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        cells = party_cells(conn, [p for _, p, _, _, _ in batch if p is not None])
        for metric, party_id, day, dimension, amount in batch:
            cell = cells.get(party_id) if party_id is not None else None
            yield Measure(
                metric,
                day,
                1,
                amount,
                dimension=dimension[:120],
                territory=cell.territory if cell else "",
                team=cell.team if cell else "",
                owner_id=cell.owner_id if cell else None,
            )


def measures(conn: Connection, event: Event) -> Iterator[Measure]:
    payload = event.payload or {}
    party_id = payload.get("party_id")
    day = _day(event.occurred_at)
    if event.type == EARNED:
        points = float(payload.get("points") or 0)
        yield from _measures(
            conn, [("loyalty.earned", party_id, day, str(payload.get("source") or ""), points)]
        )
    elif event.type == ENROLLED:
        programme = f"#{payload.get('programme_id')}" if payload.get("programme_id") else ""
        yield from _measures(conn, [("loyalty.enrolled", party_id, day, programme, 0.0)])


def rebuild_measures(conn: Connection) -> Iterator[Measure]:
    earned = conn.execute(
        select(member.c.party_id, entry.c.created_at, entry.c.source, entry.c.points)
        .join(member, member.c.id == entry.c.member_id)
        .where(entry.c.kind == "earn")
    )
    yield from _measures(
        conn,
        (
            ("loyalty.earned", r.party_id, _day(r.created_at), r.source, float(r.points))
            for r in earned
        ),
    )
    enrolled = conn.execute(
        select(member.c.party_id, member.c.enrolled_at, member.c.programme_id).where(
            member.c.merged_into_id.is_(None)
        )
    )
    yield from _measures(
        conn,
        (
            ("loyalty.enrolled", r.party_id, _day(r.enrolled_at), f"#{r.programme_id}", 0.0)
            for r in enrolled
        ),
    )


def _amount(details: Any) -> float | None:
    if not isinstance(details, dict) or "amount" not in details:
        return None
    try:
        value = Decimal(str(details["amount"]))
    except (InvalidOperation, ValueError):
        return None
    return float(value) if value.is_finite() and value >= 0 else None


def _purchases(conn: Connection, entry_id: int | None) -> Iterator[Purchase]:
    from crmkit_analytics.sources import Purchase

    query = (
        select(entry.c.id, entry.c.created_at, entry.c.details, entry.c.source, member.c.party_id)
        .join(member, member.c.id == entry.c.member_id)
        .where(
            entry.c.kind == "earn", entry.c.source != "sfa.order", member.c.party_id.is_not(None)
        )
        .order_by(entry.c.id)
    )
    if entry_id is not None:
        query = query.where(entry.c.id == entry_id)
    for row in conn.execute(query):
        amount = _amount(row.details)
        if amount is None:
            continue
        details = row.details
        yield Purchase(
            party_id=row.party_id,
            occurred_at=row.created_at,
            amount=amount,
            order_ref=f"loyalty:entry:{row.id}",
            product=details.get("product"),
            product_group=details.get("product_group"),
            quantity=float(details.get("quantity") or 1),
            channel=details.get("channel") or "loyalty",
        )


def purchases(conn: Connection, event: Event) -> Iterator[Purchase]:
    entry_id = (event.payload or {}).get("entry_id")
    if event.type == EARNED and isinstance(entry_id, int):
        yield from _purchases(conn, entry_id)


def rebuild_purchases(conn: Connection) -> Iterator[Purchase]:
    return _purchases(conn, None)


def source() -> FactSource:
    from crmkit_analytics.sources import FactSource, Metric

    return FactSource(
        name=NAME,
        metrics=(
            Metric("loyalty.earned", "Loyalty points earned", "count", _drill),
            Metric("loyalty.enrolled", "Loyalty members enrolled", "count", _drill),
        ),
        event_types=frozenset({EARNED, ENROLLED}),
        measures=measures,
        rebuild_measures=rebuild_measures,
        purchases=purchases,
        rebuild_purchases=rebuild_purchases,
    )
