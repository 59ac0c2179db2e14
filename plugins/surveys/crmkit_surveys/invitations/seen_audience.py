"""A send as its reader may see it: a send to parties named by id lists only the ids of the
parties the reader sees, and counts the others (``hidden_parties``); a reader who sees every
party gets the send as stored. A segment or list is named by its id, which tells nothing
about a party."""

from __future__ import annotations

from collections.abc import Sequence

from attrs import evolve
from sqlalchemy import select

from crmkit import Transaction, party_table, seen_party_ids, sees_every_party
from crmkit_surveys.invitations.model import Send


def as_seen(tx: Transaction, found: Sequence[Send]) -> list[Send]:
    named = {int(p) for s in found for p in s.audience.get("party_ids", ())}
    if not named or sees_every_party(tx.hooks, tx.actor):
        return list(found)
    seen = set(
        tx.conn.execute(
            select(party_table.c.id).where(
                party_table.c.id.in_(named),
                party_table.c.id.in_(seen_party_ids(tx.hooks, tx.actor)),
            )
        ).scalars()
    )
    shown = []
    for made in found:
        ids = made.audience.get("party_ids")
        if ids is None:
            shown.append(made)
            continue
        kept = [p for p in ids if int(p) in seen]
        audience = {"party_ids": kept, "hidden_parties": len(ids) - len(kept)}
        shown.append(evolve(made, audience=audience))
    return shown
