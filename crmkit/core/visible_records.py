"""Parties and interactions as an actor may read them: pages, searches, one record, a timeline.

The record rules, applied once for the API and the pages alike: ``core:party.read`` and
each plugin's ``permission_filter`` folded into the query that loads the rows, and
``permission_check`` asked of the one record read. What an actor may not see does not
exist for them (:class:`NotFound`, never a refusal that tells it exists).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from attrs import frozen
from sqlalchemy import Connection, and_, or_, select

from crmkit.core.actors import Actor
from crmkit.core.entities import PARTY_CLASSES, PROSPECT_STATUSES, Interaction, Party
from crmkit.core.errors import NotFound, ValidationError
from crmkit.core.interactions import get_interaction, timeline
from crmkit.core.pagination import Page
from crmkit.core.parties import list_parties, load_parties, load_party, party_by_id
from crmkit.core.perishability import not_expired
from crmkit.core.permissions import is_allowed, per_actor, require, visible
from crmkit.core.search import party_search, relevance
from crmkit.core.tables import party

if TYPE_CHECKING:
    from crmkit.app import Crm

DEFAULT_LIMIT = 50
"""Parties on a page unless asked otherwise."""


@frozen
class PartyQuery:
    """One request for a page of parties."""

    limit: int = DEFAULT_LIMIT
    sort: str = "name"
    descending: bool = False
    cursor: str | None = None
    search: str | None = None
    filters: tuple[tuple[str, str, str], ...] = ()
    """``(custom field, operator, value)`` triples."""
    status: str | None = None
    """Only parties of this status; without it, expired prospects are left out."""


def list_visible_parties(
    crm: Crm, conn: Connection, actor: Actor, role: str, query: PartyQuery
) -> Page[Party]:
    """A page of ``role`` parties the actor may see (``permission_filter``) matching ``query``."""
    require(crm.host, actor, "core:party.read")
    conditions = [visible(crm.host, actor, role, party)]
    if query.status is not None:
        if role != "prospect":
            # Only prospects have a status: any value would silently give an empty page.
            raise ValidationError("status", f"{role}s have no status; only prospects do")
        if query.status not in PROSPECT_STATUSES:
            raise ValidationError("status", f"expected one of {', '.join(PROSPECT_STATUSES)}")
        conditions.append(party.c.status == query.status)
    elif role == "prospect":
        # Expired prospects are kept, but out of the work lists unless asked for.
        conditions.append(not_expired())
    if query.search:
        conditions.append(party_search(query.search))
    for name, op, value in query.filters:
        conditions.append(crm.custom_fields.condition(role, party, name, op, value))
    return list_parties(
        conn,
        role,
        conditions=conditions,
        sort=query.sort,
        descending=query.descending,
        cursor=query.cursor,
        limit=query.limit,
    )


@frozen
class Hits:
    """The best matches of a search and whether more match."""

    items: Sequence[Party]
    more: bool


def best_visible_matches(
    crm: Crm, conn: Connection, actor: Actor, role: str, text: str, limit: int
) -> Hits:
    """The ``role`` parties the actor may see that match ``text``, best first, then by name."""
    require(crm.host, actor, "core:party.read")
    query = (
        select(party.c.id)
        .where(party.c.role == role, visible(crm.host, actor, role, party), party_search(text))
        .order_by(relevance(text).desc(), party.c.display_name, party.c.id)
        .limit(limit + 1)
    )
    ids = list(conn.execute(query).scalars())
    loaded = load_parties(conn, ids[:limit])
    return Hits([loaded[i] for i in ids[:limit]], more=len(ids) > limit)


def visible_party(
    crm: Crm, conn: Connection, actor: Actor, party_id: int, role: str | None = None
) -> Party:
    """The party (of ``role``, if given), if it exists and the actor may see it.

    Else :class:`NotFound`, which hides which. One look-up: the visibility of each
    role goes into the query that loads the party, a statement built once per actor.
    """
    roles = PARTY_CLASSES if role is None else (role,)
    statement = per_actor(
        crm.host,
        actor,
        ("visible_party", role),
        lambda: party_by_id(
            or_(*(and_(party.c.role == r, visible(crm.host, actor, r, party)) for r in roles))
        ),
    )
    entity = load_party(conn, party_id, statement)
    # A plugin may veto reading one record (permission_check) that its filter lets through.
    if entity is None or not is_allowed(crm.host, actor, "core:party.read", entity, conn=conn):
        raise NotFound(f"{role or 'party'} {party_id} does not exist")
    return entity


def visible_interaction(
    crm: Crm, conn: Connection, actor: Actor, interaction_id: int, action: str
) -> Interaction:
    """The interaction, if the actor may see its party and may ``action`` there.

    An interaction of a party the actor may not see does not exist for them (:class:`NotFound`).
    """
    item = get_interaction(conn, interaction_id)
    try:
        subject = visible_party(crm, conn, actor, item.party_id)
    except NotFound:
        raise NotFound(f"interaction {interaction_id} does not exist") from None
    require(crm.host, actor, action, subject, conn=conn)
    return item


def visible_timeline(
    crm: Crm, conn: Connection, actor: Actor, entity: Party, cursor: str | None, limit: int
) -> Page[Interaction]:
    """A page of the party's timeline, newest first, if the actor may read interactions."""
    require(crm.host, actor, "core:interaction.read", entity, conn=conn)
    assert entity.id is not None
    return timeline(conn, entity.id, cursor=cursor, limit=limit)
