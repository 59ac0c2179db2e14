"""What the webhooks part holds on a party: the stored deliveries that name one of its
page-scoped (or Instagram-scoped) ids, as Meta sent them. They go with its export and
erasure. (A Lead Ads ``leadgen`` change names no person: only ids.)"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Text, cast, delete, or_, select

from crmkit import Transaction, external_ids_of
from crmkit_social.webhooks.tables import change_table

SYSTEMS = ("facebook.", "instagram.")
"""The external id systems of the people who write to a page (``facebook.page.<page id>``)."""


def _naming(conn: Connection, party_id: int) -> Any:
    ids = {
        e.external_id
        for e in external_ids_of(conn, party_id)
        if e.system.startswith(SYSTEMS) and e.external_id
    }
    if not ids:
        return None
    text = cast(change_table.c.value, Text)
    return or_(*(text.contains(f'"{one}"', autoescape=True) for one in sorted(ids)))


def export_of(conn: Connection, party_id: int) -> dict[str, Any]:
    naming = _naming(conn, party_id)
    if naming is None:
        return {}
    rows = conn.execute(
        select(
            change_table.c.page_id,
            change_table.c.field,
            change_table.c.time,
            change_table.c.state,
            change_table.c.value,
        )
        .where(naming)
        .order_by(change_table.c.id)
    )
    found = [
        {
            "page_id": r.page_id,
            "field": r.field,
            "time": r.time.isoformat(),
            "state": r.state,
            "value": r.value,
        }
        for r in rows
    ]
    return {"webhook_changes": found} if found else {}


def erase(tx: Transaction, party_id: int) -> None:
    naming = _naming(tx.conn, party_id)
    if naming is not None:
        tx.conn.execute(delete(change_table).where(naming))
