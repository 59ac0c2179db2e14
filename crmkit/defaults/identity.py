"""Default identity matching: exact keys and fuzzy comparison, prospects and customers alike.

Candidates are the parties sharing a blocking key with the one being matched
(``core_match_key``) or one of its email addresses or phone numbers; a key or
contact point shared by too many parties says nothing and is skipped, so the
cost of a match does not grow with the data. Each candidate is scored by the
matching engine.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from sqlalchemy import CompoundSelect, Connection, Select, bindparam, literal, select, union_all

from crmkit.core.db import Transaction
from crmkit.core.entities import Party
from crmkit.core.intake.batch_match import BatchMatcher, plugins_implement
from crmkit.core.intake.match_keys import keys_of
from crmkit.core.matching.compare import score_pair
from crmkit.core.matching.config import DEFAULT_MATCH_CONFIG
from crmkit.core.matching.record import record_from_party
from crmkit.core.parties import load_parties
from crmkit.core.tables import contact_point, match_key
from crmkit.hooks.markers import hookimpl

_LIMIT = DEFAULT_MATCH_CONFIG.max_block_size


@functools.lru_cache(maxsize=256)
def _lookup(keys: int, contacts: int) -> Select[tuple[int, int]] | CompoundSelect:
    """One statement for every key and contact point: ``(which, party_id)`` rows.

    Each part reads at most one row more than the limit, so a key shared by a
    million parties costs as little as one shared by two. Built once per shape.
    """
    parts: list[Select[tuple[int, int]]] = []
    for n in range(keys):
        part = (
            select(literal(n).label("which"), match_key.c.party_id)
            .where(match_key.c.key == bindparam(f"k{n}"))
            .limit(_LIMIT + 1)
            .subquery()
        )
        parts.append(select(part))
    for n in range(contacts):
        part = (
            select(literal(keys + n).label("which"), contact_point.c.party_id)
            .where(
                contact_point.c.kind == bindparam(f"c{n}_kind"),
                contact_point.c.key == bindparam(f"c{n}_key"),
            )
            .limit(_LIMIT + 1)
            .subquery()
        )
        parts.append(select(part))
    return parts[0] if len(parts) == 1 else union_all(*parts)


def candidate_ids(conn: Connection, candidate: Party, keys: Sequence[str]) -> set[int]:
    """Parties sharing a useful blocking key or an exact contact point with ``candidate``."""
    contacts = [("email", e.normalised) for e in candidate.emails]
    contacts += [("phone", p.e164) for p in candidate.phones]
    if not keys and not contacts:
        return set()
    values: dict[str, str] = {f"k{n}": key for n, key in enumerate(keys)}
    for n, (kind, key) in enumerate(contacts):
        values[f"c{n}_kind"], values[f"c{n}_key"] = kind, key
    shared: dict[int, list[int]] = {}
    for which, party_id in conn.execute(_lookup(len(keys), len(contacts)), values):
        shared.setdefault(which, []).append(party_id)
    found = {i for ids in shared.values() if len(ids) <= _LIMIT for i in ids}
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


@hookimpl(trylast=True)
def match_parties(tx: Transaction, candidates: Sequence[Party]) -> list[list[tuple[int, float]]]:
    if plugins_implement(tx.hooks, "match_party"):
        # A plugin matches one record at a time: ask match_party for each, so that its answer
        # wins (and this module's match_party still answers where the plugin returns None).
        return [tx.hooks.call("match_party", conn=tx.conn, candidate=c) or [] for c in candidates]
    matcher = BatchMatcher.prepare(tx.conn, candidates, flush=lambda: None)
    return [matcher.matches(n) for n in range(len(candidates))]
