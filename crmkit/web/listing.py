"""Parties as the API and the pages ask for them: query parameters parsed, permissions applied.

List parameters: ``limit``, ``sort`` (``name``, ``created``, ``updated``; a leading
``-`` sorts descending), ``cursor`` (from the previous page), ``q`` (part of a
name, an email or a phone number) and ``custom.<field>[<op>]=<value>`` filters on
custom fields (``custom.<field>=<value>`` means ``eq``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from attrs import frozen
from sqlalchemy import Connection, select

from crmkit.core.entities import Interaction, Party
from crmkit.core.errors import NotFound, ValidationError
from crmkit.core.interactions import timeline
from crmkit.core.pagination import Page
from crmkit.core.parties import get_party, list_parties
from crmkit.core.permissions import require, visible
from crmkit.core.search import party_search
from crmkit.core.tables import party

if TYPE_CHECKING:
    from crmkit.app import Crm
    from crmkit.core.actors import Actor

CUSTOM_FILTER = re.compile(r"^custom\.([a-z][a-z0-9_]*)(?:\[([a-z]+)\])?$")
DEFAULT_LIMIT = 50


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


def check_parameters(
    params: Iterable[str], known: Iterable[str], prefix: str | None = None
) -> None:
    """Refuse a query parameter nobody reads, so that a typo is not silently ignored."""
    allowed = set(known)
    for name in params:
        if name not in allowed and not (prefix and name.startswith(prefix)):
            raise ValidationError(name, "unknown query parameter")


def int_parameter(params: Mapping[str, str], name: str, default: int) -> int:
    """An integer query parameter, or ``default`` when it is absent."""
    raw = params.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValidationError(name, f"expected a whole number, got {raw!r}") from None


def parse_party_query(params: Mapping[str, str]) -> PartyQuery:
    """A :class:`PartyQuery` from query parameters; raises naming the parameter that is wrong."""
    check_parameters(params, ("limit", "sort", "cursor", "q"), prefix="custom.")
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
        filters=tuple(filters),
    )


def list_visible_parties(
    crm: Crm, conn: Connection, actor: Actor, role: str, query: PartyQuery
) -> Page[Party]:
    """A page of ``role`` parties the actor may see (``permission_filter``) matching ``query``."""
    require(crm.host, actor, "core:party.read")
    conditions = [visible(crm.host, actor, role, party)]
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


def visible_party(crm: Crm, conn: Connection, actor: Actor, party_id: int) -> Party:
    """The party, if it exists and the actor may see it; else :class:`NotFound`, which hides which."""
    entity = get_party(conn, party_id)
    seen = conn.execute(
        select(party.c.id).where(
            party.c.id == party_id, visible(crm.host, actor, entity.role, party)
        )
    ).first()
    if seen is None:
        raise NotFound(f"party {party_id} does not exist")
    require(crm.host, actor, "core:party.read", entity, conn=conn)
    return entity


def visible_timeline(
    crm: Crm, conn: Connection, actor: Actor, entity: Party, cursor: str | None, limit: int
) -> Page[Interaction]:
    """A page of the party's timeline, newest first, if the actor may read interactions."""
    require(crm.host, actor, "core:interaction.read", entity, conn=conn)
    assert entity.id is not None
    return timeline(conn, entity.id, cursor=cursor, limit=limit)
