"""Default identity matching: exact keys and fuzzy comparison, prospects and customers alike.

Candidates are the parties sharing a blocking key with the one being matched
(``core_match_key``) or one of its email addresses or phone numbers; a key
shared by too many parties says nothing and is skipped, so the cost of a match
does not grow with the data. Each candidate is scored by the matching engine.
"""

from __future__ import annotations

from sqlalchemy import Connection, func, or_, select

from crmkit.core.entities import Party
from crmkit.core.intake.match_keys import keys_of
from crmkit.core.matching.compare import score_pair
from crmkit.core.matching.config import DEFAULT_MATCH_CONFIG
from crmkit.core.matching.record import record_from_party
from crmkit.core.parties import load_parties
from crmkit.core.tables import contact_point, match_key
from crmkit.hooks.markers import hookimpl


def candidate_ids(conn: Connection, candidate: Party, keys: list[str]) -> set[int]:
    """Parties sharing a useful blocking key or an exact contact point with ``candidate``."""
    limit = DEFAULT_MATCH_CONFIG.max_block_size
    found: set[int] = set()
    if keys:
        useful = (
            select(match_key.c.key)
            .where(match_key.c.key.in_(keys))
            .group_by(match_key.c.key)
            .having(func.count() <= limit)
        )
        found.update(
            conn.execute(
                select(match_key.c.party_id).where(match_key.c.key.in_(useful)).distinct()
            ).scalars()
        )
    contacts = [("email", e.normalised) for e in candidate.emails]
    contacts += [("phone", p.e164) for p in candidate.phones]
    if contacts:
        found.update(
            conn.execute(
                select(contact_point.c.party_id)
                .where(
                    or_(
                        *[
                            (contact_point.c.kind == k) & (contact_point.c.key == v)
                            for k, v in contacts
                        ]
                    )
                )
                .distinct()
                .order_by(contact_point.c.party_id)
                .limit(limit)
            ).scalars()
        )
    found.discard(candidate.id or 0)
    return found


@hookimpl(trylast=True)
def match_party(conn: Connection, candidate: Party) -> list[tuple[int, float]]:
    record = record_from_party(candidate)
    ids = candidate_ids(conn, candidate, keys_of(record))
    if not ids:
        return []
    others = load_parties(conn, sorted(ids))
    scored = [
        (party_id, score_pair(record, record_from_party(other)))
        for party_id, other in others.items()
    ]
    return sorted(scored, key=lambda pair: (-pair[1], pair[0]))
