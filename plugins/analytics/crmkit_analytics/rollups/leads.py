"""Analytics' own source, ``leads``: the kernel's prospects, by source and by age.

Each prospect (and each customer that was one) is a record ``party:<id>`` whose facts are:

* ``leads.created``: 1 on the day it was created, by source;
* ``leads.open``: 1 on the day it was created while it is still worked on (a prospect
  neither expired nor disqualified), by source: grouped by day, the age of the open leads
  (their perishability);
* ``leads.uncontacted``: the same for open leads nobody has contacted yet;
* ``leads.converted``: 1 on the day it became a customer, by source;
* ``leads.expired``: 1 on the day it expired, by source;
* ``leads.escalated``: 1 on the day its missed first contact was escalated, by source.

Territory, team and owner are the party's (first address, owner, owner's team).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, or_, select

from crmkit import Event, party_table
from crmkit_analytics.sources import (
    Fact,
    FactSource,
    Measure,
    Metric,
    Record,
    day_of,
    party_cells,
)

NAME = "leads"
CLOSED = ("expired", "disqualified")
NO_SOURCE = "(none)"
BATCH = 1000

EVENTS = frozenset(
    {
        "prospect.created",
        "prospect.received",
        "prospect.updated",
        "prospect.converted",
        "customer.created",
        "party.imported",
        "interaction.logged",
        "core.prospect_expired",
        "core.prospect_escalated",
    }
)


def _drill(**_: Any) -> str:
    # The kernel's prospect list filters by status, not by source or day: the whole list.
    return "/prospects"


METRICS = (
    Metric("leads.created", "New leads", drill=_drill),
    Metric("leads.open", "Open leads by age", drill=_drill),
    Metric("leads.uncontacted", "Open leads not yet contacted", drill=_drill),
    Metric("leads.converted", "Leads converted", drill=_drill),
    Metric("leads.expired", "Leads expired", drill=_drill),
    Metric("leads.escalated", "Leads escalated (first contact missed)", drill=_drill),
)


def touched(conn: Connection, event: Event) -> Iterator[str]:
    payload = event.payload or {}
    if event.type == "party.imported":
        if payload.get("role") != "prospect":
            return
        for first, last in payload.get("id_ranges") or ():
            for number in range(int(first), int(last) + 1):
                yield f"party:{number}"
        return
    if event.type == "prospect.received" and payload.get("outcome") == "created":
        return  # its prospect.created, in the same transaction, counted the new lead
    if event.type == "interaction.logged":
        # A call changes a lead's figures only while its party is a prospect (the first
        # contact); calls to customers, most calls, are passed over.
        party_id = payload.get("party_id")
        if isinstance(party_id, int) and conn.execute(_PROSPECT, {"id": party_id}).first():
            yield f"party:{party_id}"
        return
    party_id = payload.get("id")
    if isinstance(party_id, int):
        yield f"party:{party_id}"


_PROSPECT = select(party_table.c.id).where(
    party_table.c.id == bindparam("id"), party_table.c.role == "prospect"
)


def _was_lead() -> Any:
    return or_(party_table.c.role == "prospect", party_table.c.converted_at.is_not(None))


def facts(conn: Connection, keys: Sequence[str] | None) -> Iterator[Fact]:
    columns = (
        party_table.c.id,
        party_table.c.role,
        party_table.c.source,
        party_table.c.status,
        party_table.c.created_at,
        party_table.c.converted_at,
        party_table.c.first_contacted_at,
        party_table.c.escalated_at,
        party_table.c.expired_at,
    )
    if keys is None:
        ids: list[int] | None = None
    else:
        ids = sorted(
            {int(k.split(":", 1)[1]) for k in keys if k.startswith("party:") and k[6:].isdigit()}
        )
    chunks: list[list[int] | None] = (
        [None] if ids is None else [ids[i : i + BATCH] for i in range(0, len(ids), BATCH)]
    )
    for chunk in chunks:
        query = select(*columns).where(_was_lead()).order_by(party_table.c.id)
        if chunk is not None:
            query = query.where(party_table.c.id.in_(chunk))
        rows = list(conn.execute(query))
        for start in range(0, len(rows), BATCH):
            batch = rows[start : start + BATCH]
            cells = party_cells(conn, [r.id for r in batch])
            for row in batch:
                yield _fact(row, cells.get(row.id))


def _fact(row: Any, cell: Any) -> Fact:
    where: dict[str, Any] = {
        "dimension": (row.source or NO_SOURCE)[:120],
        "territory": cell.territory if cell else "",
        "team": cell.team if cell else "",
        "owner_id": cell.owner_id if cell else None,
    }
    created = day_of(row.created_at)
    measures = [Measure("leads.created", created, 1, **where)]
    is_open = row.role == "prospect" and (row.status or "") not in CLOSED
    if is_open:
        measures.append(Measure("leads.open", created, 1, **where))
        if row.first_contacted_at is None:
            measures.append(Measure("leads.uncontacted", created, 1, **where))
    if row.converted_at is not None:
        measures.append(Measure("leads.converted", day_of(row.converted_at), 1, **where))
    if row.expired_at is not None and row.role == "prospect":
        measures.append(Measure("leads.expired", day_of(row.expired_at), 1, **where))
    if row.escalated_at is not None:
        measures.append(Measure("leads.escalated", day_of(row.escalated_at), 1, **where))
    return Fact(f"party:{row.id}", tuple(measures), party_id=row.id)


def describe(conn: Connection, keys: Sequence[str]) -> Iterator[Record]:
    """How the dashboard's drill page shows a lead: its name, status and party page."""
    ids = sorted({int(k[6:]) for k in keys if k.startswith("party:") and k[6:].isdigit()})
    if ids:
        rows = conn.execute(
            select(
                party_table.c.id,
                party_table.c.display_name,
                party_table.c.source,
                party_table.c.status,
            ).where(party_table.c.id.in_(ids))
        )
        for row in rows:
            detail = ", ".join(str(v) for v in (row.source, row.status) if v)
            yield Record(f"party:{row.id}", row.display_name, f"/parties/{row.id}", detail)


def source() -> FactSource:
    return FactSource(
        name=NAME,
        metrics=METRICS,
        event_types=EVENTS,
        touched=touched,
        facts=facts,
        describe=describe,
    )
