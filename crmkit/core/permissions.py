"""Permissions: declared by plugins, decided only through the permission hooks."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import frozen
from sqlalchemy import ColumnElement, Connection, Table, and_, true

from crmkit.core.errors import PermissionDenied

if TYPE_CHECKING:
    from crmkit.core.actors import Actor
    from crmkit.hooks.host import PluginHost

STAFF_ROLES: tuple[str, ...] = ("admin", "manager", "sales", "service", "marketing", "read-only")
EXTERNAL_ROLE = "partner"
"""The role of an outside organisation's users (a dealer's staff): it holds no kernel
permission and the kernel's record rules leave it to plugins. A plugin that grants it an
action (``permission_check``) narrows what it sees (``permission_filter``); without such
a plugin every action is refused to it."""
ROLES: tuple[str, ...] = (*STAFF_ROLES, EXTERNAL_ROLE)
SCOPES: tuple[str, ...] = ("read", "write", "admin")
"""API token scopes, each including the ones before it."""

PER_ACTOR_LIMIT = 4096
"""Values :func:`per_actor` keeps per host; past it they are built afresh."""

T = TypeVar("T")


@frozen
class Permission:
    """An action (``<namespace>:<verb>``) and the roles that hold it by default."""

    name: str
    description: str
    roles: tuple[str, ...] = ("admin",)


def grants(host: PluginHost) -> Mapping[str, frozenset[str]]:
    """The roles each declared permission is granted to, from every ``register_permissions``."""
    found: Mapping[str, frozenset[str]] | None = host.memo.get("grants")
    if found is None:
        found = host.memo["grants"] = {
            p.name: frozenset(p.roles)
            for declared in host.call("register_permissions")
            for p in declared
        }
    return found


def is_allowed(
    host: PluginHost,
    actor: Actor,
    action: str,
    resource: Any = None,
    *,
    conn: Connection | None = None,
) -> bool:
    """The veto of every ``permission_check`` implementation; silence denies.

    Pass ``conn`` when ``resource`` is a record, so that record-level rules can be
    decided in the database exactly as ``permission_filter`` decides them for lists.
    """
    granted_to = grants(host).get(action, frozenset())
    decision = host.call(
        "permission_check",
        actor=actor,
        action=action,
        resource=resource,
        granted_to=granted_to,
        conn=conn,
    )
    return decision is True


def require(
    host: PluginHost,
    actor: Actor,
    action: str,
    resource: Any = None,
    *,
    conn: Connection | None = None,
) -> None:
    """Raise :class:`PermissionDenied` unless ``actor`` may perform ``action``."""
    if not is_allowed(host, actor, action, resource, conn=conn):
        raise PermissionDenied(_refusal(actor, action))


def _refusal(actor: Actor, action: str) -> str:
    # A token's scope is checked before the role: blaming the role would send its owner
    # to an administrator for a grant they already have.
    if actor.scopes is not None and not scopes_allow(actor.scopes, action):
        held = ", ".join(actor.scopes) or "none"
        needed = scope_needed(action)
        return f"this API token's scope ({held}) does not allow {action}: it needs {needed}"
    return f"{actor.username} may not {action}"


def scope_needed(action: str) -> str:
    """The token scope an action needs: ``*.read`` needs read, ``*.admin`` admin, the rest write."""
    verb = action.split(":", 1)[-1].rsplit(".", 1)[-1]
    return verb if verb in ("read", "admin") else "write"


def scopes_allow(scopes: Iterable[str], action: str) -> bool:
    """Whether a token with ``scopes`` may attempt ``action`` (its role must still allow it)."""
    rank = max((SCOPES.index(s) for s in scopes if s in SCOPES), default=-1)
    return rank >= SCOPES.index(scope_needed(action))


def visible(host: PluginHost, actor: Actor, entity_type: str, table: Table) -> ColumnElement[bool]:
    """The AND of every ``permission_filter`` condition, to put in a list query's WHERE."""
    conditions = host.call("permission_filter", actor=actor, entity_type=entity_type, table=table)
    return and_(true(), *conditions)


def per_actor(host: PluginHost, actor: Actor, purpose: Hashable, build: Callable[[], T]) -> T:
    """``build()`` for ``actor`` and ``purpose``, built on first use and then reused.

    Meant for statements holding :func:`visible` conditions: those depend only on the
    actor (``permission_filter`` promises so), and a statement executed again skips
    SQLAlchemy's building and cache-key walk. Actors compare by value, so a user whose
    role or territories change gets statements of their own.
    """
    kept: dict[tuple[Actor, Hashable], Any] = host.memo.setdefault("per_actor", {})
    key = (actor, purpose)
    found = kept.get(key)
    if found is None:
        if len(kept) >= PER_ACTOR_LIMIT:
            kept.clear()
        found = kept[key] = build()
    value: T = found
    return value
