"""What the partners part holds on a party: the partner whose organisation it is.

A partner's organisation is an organisation party, not a person: merging it into a
duplicate moves the partner to the survivor, its export names the partner, and erasing it
is refused while the partner exists (the partner and the leads routed to it would lose
their account; delete or re-point the partner first).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select, update

from crmkit import ConflictError, Transaction, utcnow
from crmkit_dms.partners.tables import partner


def _partner_of_party(conn: Connection, party_id: int) -> Any:
    return conn.execute(select(partner).where(partner.c.party_id == party_id)).first()


def move_to_survivor(tx: Transaction, survivor_id: int, merged_id: int) -> None:
    merged = _partner_of_party(tx.conn, merged_id)
    if merged is None:
        return
    survivor = _partner_of_party(tx.conn, survivor_id)
    if survivor is not None:
        raise ConflictError(
            f"parties {survivor_id} and {merged_id} are the organisations of two partners "
            f"({survivor.code}, {merged.code}): merge the partners first"
        )
    tx.conn.execute(
        update(partner)
        .where(partner.c.id == merged.id)
        .values(party_id=survivor_id, updated_at=utcnow(), version=partner.c.version + 1)
    )


def export_of(conn: Connection, party_id: int) -> dict[str, Any]:
    found = _partner_of_party(conn, party_id)
    if found is None:
        return {}
    return {"partner": {"id": found.id, "code": found.code, "name": found.name}}


def erase(tx: Transaction, party_id: int) -> None:
    found = _partner_of_party(tx.conn, party_id)
    if found is not None:
        raise ConflictError(
            f"party {party_id} is the organisation of partner {found.code}: "
            "delete the partner first"
        )
