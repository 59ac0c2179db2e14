"""Parties as the API and the pages ask for them: query parameters parsed, permissions applied.

List parameters: ``limit``, ``sort`` (``name``, ``created``, ``updated``; a leading
``-`` sorts descending), ``cursor`` (from the previous page), ``q`` (words that
begin a name, an email or a phone number) and ``custom.<field>[<op>]=<value>`` filters on
custom fields (``custom.<field>=<value>`` means ``eq``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, TypeVar

from attrs import frozen
from sqlalchemy import Connection, and_, or_, select

from crmkit.core.entities import PARTY_CLASSES, PROSPECT_STATUSES, Interaction, Party
from crmkit.core.errors import NotFound, ValidationError
from crmkit.core.inputs import parse_whole_number
from crmkit.core.interactions import get_interaction, timeline
from crmkit.core.pagination import Page
from crmkit.core.parties import list_parties, load_parties, load_party, party_by_id
from crmkit.core.perishability import not_expired
from crmkit.core.permissions import is_allowed, per_actor, require, visible
from crmkit.core.search import party_search, relevance
from crmkit.core.tables import party

if TYPE_CHECKING:
    from crmkit.app import Crm
    from crmkit.core.actors import Actor

CUSTOM_FILTER = re.compile(r"^custom\.([a-z][a-z0-9_]*)(?:\[([a-z]+)\])?$")
DEFAULT_LIMIT = 50
D = TypeVar("D")


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


def check_parameters(
    params: Iterable[str], known: Iterable[str], prefix: str | None = None
) -> None:
    """Refuse a query parameter nobody reads, so that a typo is not silently ignored."""
    allowed = set(known)
    for name in params:
        if name not in allowed and not (prefix and name.startswith(prefix)):
            raise ValidationError(name, "unknown query parameter")


def int_parameter(params: Mapping[str, str], name: str, default: D) -> int | D:
    """A whole-number query parameter, or ``default`` when it is absent."""
    raw = params.get(name)
    return default if raw is None else parse_whole_number(name, raw)


def parse_party_query(params: Mapping[str, str]) -> PartyQuery:
    """A :class:`PartyQuery` from query parameters; raises naming the parameter that is wrong."""
    check_parameters(params, ("limit", "sort", "cursor", "q", "status"), prefix="custom.")
    filters = []
    for name, value in params.items():
        if name.startswith("custom."):
            match = CUSTOM_FILTER.match(name)
            if match is None:
                raise ValidationError(name, "expected custom.<field> or custom.<field>[<operator>]")
            filters.append((match[1], match[2] or "eq", value))
    sort = params.get("sort", "name")
    return PartyQuery(
        limit=int_parameter(params, "limit", DEFAULT_LIMIT),
        sort=sort.removeprefix("-"),
        descending=sort.startswith("-"),
        cursor=params.get("cursor") or None,
        search=(params.get("q") or "").strip() or None,
        status=params.get("status") or None,
        filters=tuple(filters),
    )


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
