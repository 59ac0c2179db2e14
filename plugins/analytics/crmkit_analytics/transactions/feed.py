"""Purchases into ``analytics_purchase``: what the sources' ``purchases`` and
``rebuild_purchases`` callables give, written once whatever replays them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from sqlalchemy import Connection, delete
from sqlalchemy.dialects import postgresql, sqlite

from crmkit_analytics.sources import Purchase
from crmkit_analytics.transactions.tables import purchase

BATCH = 1000


def _rows(source_name: str, purchases: Iterable[Purchase]) -> Iterator[dict[str, Any]]:
    lines: dict[str, int] = {}
    for item in purchases:
        line = lines.get(item.order_ref, 0) + 1
        lines[item.order_ref] = line
        yield {
            "source": source_name,
            "order_ref": item.order_ref,
            "line": line,
            "party_id": item.party_id,
            "occurred_at": item.occurred_at,
            "amount": float(item.amount),
            "product": item.product,
            "product_group": item.product_group,
            "quantity": float(item.quantity),
            "channel": item.channel,
        }


def add_purchases(conn: Connection, source_name: str, purchases: Iterable[Purchase]) -> int:
    """Store ``purchases`` of the source ``source_name``; return how many lines were written.

    The lines of one order (one ``order_ref``) are numbered 1, 2 … in the order given; a line
    already stored under (source, order_ref, line) is overwritten with what is given now, so
    that an event delivered twice, or a rebuild after it, stores each line once and a
    corrected order replaces the old figures.
    """
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    rows = _rows(source_name, purchases)
    written = 0
    while batch := list(islice(rows, BATCH)):
        statement = insert(purchase).values(batch)
        statement = statement.on_conflict_do_update(
            index_elements=[purchase.c.source, purchase.c.order_ref, purchase.c.line],
            set_={
                name: statement.excluded[name]
                for name in (
                    "party_id",
                    "occurred_at",
                    "amount",
                    "product",
                    "product_group",
                    "quantity",
                    "channel",
                )
            },
        )
        conn.execute(statement)
        written += len(batch)
    return written


def remove_source(conn: Connection, source_name: str) -> int:
    """Forget every purchase of ``source_name`` (before a full rebuild of it); how many."""
    return conn.execute(delete(purchase).where(purchase.c.source == source_name)).rowcount or 0
