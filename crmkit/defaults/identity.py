"""Default identity matching: the same email address or phone number is the same party."""

from __future__ import annotations

from sqlalchemy import Connection, or_, select

from crmkit.core.entities import Party
from crmkit.core.tables import contact_point
from crmkit.hooks.markers import hookimpl


@hookimpl(trylast=True)
def match_party(conn: Connection, candidate: Party) -> list[tuple[int, float]]:
    keys = [("email", e.normalised) for e in candidate.emails]
    keys += [("phone", p.e164) for p in candidate.phones]
    if not keys:
        return []
    rows = conn.execute(
        select(contact_point.c.party_id)
        .where(or_(*[(contact_point.c.kind == k) & (contact_point.c.key == v) for k, v in keys]))
        .distinct()
        .order_by(contact_point.c.party_id)
    )
    return [(r.party_id, 1.0) for r in rows if r.party_id != candidate.id]
