"""Whose figures: one salesperson, a team, a territory, a product group, or everybody."""

from __future__ import annotations

from typing import Any, Literal

from attrs import frozen
from sqlalchemy import ColumnElement, Select, String, cast, or_, select

from crmkit import (
    Actor,
    Crm,
    PermissionDenied,
    ValidationError,
    clean_territory,
    is_allowed,
    parse_whole_number,
    territory_condition,
    user_table,
)
from crmkit_sfa.pipeline.tables import opportunity
from crmkit_sfa.planning.access import EVERY_SCOPE

ScopeKind = Literal["user", "team", "territory", "product_group", "all"]
SCOPE_KINDS: tuple[ScopeKind, ...] = ("user", "team", "territory", "product_group", "all")


@frozen
class Scope:
    """A slice of the sales organisation; ``key`` is a user id, team, territory or product group."""

    kind: ScopeKind
    key: str = ""


EVERYBODY = Scope("all")


def parse_scope(kind: object, key: object) -> Scope:
    """A scope from untrusted input; errors name ``scope`` or ``scope_key``."""
    if kind not in SCOPE_KINDS:
        raise ValidationError("scope", f"expected one of {', '.join(SCOPE_KINDS)}, got {kind!r}")
    if kind == "all":
        return EVERYBODY
    if not isinstance(key, str) or not key.strip() or len(key) > 100:
        raise ValidationError("scope_key", f"expected the {kind} the figures are for")
    key = key.strip()
    if kind == "user":
        # One spelling per user: "007" is user 7.
        key = str(parse_whole_number("scope_key", key, minimum=1))
    if kind == "territory":
        key = clean_territory(key)
    return Scope(kind, key)


def check_scope(crm: Crm, actor: Actor, scope: Scope) -> None:
    """Salespeople see their own figures; seeing anybody's needs ``sfa:planning.all``."""
    own = scope.kind == "user" and actor.user_id is not None and scope.key == str(actor.user_id)
    if not own and not is_allowed(crm.host, actor, EVERY_SCOPE):
        raise PermissionDenied(f"{actor.username} may see only their own figures")


def territory_matches(column: ColumnElement[str], territory: str) -> ColumnElement[bool]:
    """Keys inside ``territory`` as the kernel matches them (``DE`` covers ``DE-10115``), and itself."""
    inside = territory_condition(column, (territory,))
    return column == territory if inside is None else or_(column == territory, inside)


def team_members(team: str) -> Select[tuple[int]]:
    """The ids of the team's users, for ``owner_id.in_(...)``."""
    return select(user_table.c.id).where(user_table.c.team == team)


def scope_terms(
    scope: Scope, *, owner: Any, territory: Any, products: Any = None
) -> list[ColumnElement[bool]]:
    """The WHERE terms that keep the scope's rows, given the table's owner, territory and products columns."""
    if scope.kind == "user":
        return [owner == int(scope.key)]
    if scope.kind == "team":
        return [owner.in_(team_members(scope.key))]
    if scope.kind == "territory":
        return [territory_matches(territory, scope.key)]
    if scope.kind == "product_group":
        if products is None:
            raise ValueError("this table cannot be sliced by product group")
        # Products of interest are a JSON list; its text holds the group as a quoted string.
        return [cast(products, String).contains(f'"{scope.key}"', autoescape=True)]
    return []


def opportunity_terms(scope: Scope) -> list[ColumnElement[bool]]:
    """The WHERE terms that keep the scope's opportunities."""
    return scope_terms(
        scope,
        owner=opportunity.c.owner_id,
        territory=opportunity.c.territory,
        products=opportunity.c.products,
    )
