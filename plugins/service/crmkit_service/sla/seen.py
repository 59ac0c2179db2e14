"""The record rules on SLA rows: only those about parties the actor sees, by the rule of cases."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select

from crmkit import Actor, party_table, seen_parties, sees_every_party


def only_seen(
    query: Select[Any], party_id: ColumnElement[int], host: Any, actor: Actor
) -> Select[Any]:
    """``query``, kept to rows whose ``party_id`` is a party ``actor`` sees.

    The party is joined by its key rather than matched against a list of every party
    seen: a work list or a quarter reads far fewer rows than there are parties.
    """
    if sees_every_party(host, actor):
        return query
    return query.join(party_table, party_table.c.id == party_id).where(seen_parties(host, actor))
