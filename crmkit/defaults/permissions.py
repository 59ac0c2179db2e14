"""Default permissions: which role may do what (a role matrix) and which records each role sees.

Actions are granted to roles through ``register_permissions``; plugins grant
theirs the same way. Records each role sees (``permission_filter`` for lists,
``permission_check`` on one record, both from the rules below):

* admin, and the system actor: every record.
* manager: records they own, unowned ones (to assign them), those in their
  territories, and those owned by their team: users whose ``team`` is the
  manager's or whose ``manager_id`` is the manager.
* sales: records they own and those in their territories.
* service: every customer, no prospects.
* marketing: every prospect and customer, but no interactions: timelines hold
  personal correspondence, which campaigns do not need.
* read-only: every record; the role holds no permission that writes.
* partner (an outside organisation's user): no permission, and no rule of the kernel's:
  the plugin that grants it actions decides, with its ``permission_filter``, which records
  it sees (the dms plugin: the leads routed to the user's dealer).
* any other role: nothing.

Territories: a territory ``DE`` matches a party whose first address is in
Germany, ``DE-10`` one whose first address is in Germany with a postcode starting
with 10 (see :mod:`crmkit.core.territories`). Interactions are seen
exactly when their party is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Connection, Table, false, or_, select

from crmkit.core.entities import Party
from crmkit.core.permissions import EXTERNAL_ROLE, Permission
from crmkit.core.tables import contact_point, party, user
from crmkit.core.territories import in_territory, party_territory, territory_condition
from crmkit.hooks.markers import hookimpl

if TYPE_CHECKING:
    from crmkit.core.actors import Actor

EVERYONE = ("admin", "manager", "sales", "service", "marketing", "read-only")
WRITERS = ("admin", "manager", "sales", "service", "marketing")

KERNEL_PERMISSIONS = [
    Permission("core:party.read", "See prospects and customers", EVERYONE),
    Permission("core:party.write", "Create and edit prospects and customers", WRITERS),
    Permission(
        "core:party.convert", "Convert a prospect into a customer", ("admin", "manager", "sales")
    ),
    Permission("core:party.merge", "Merge duplicate parties", ("admin", "manager")),
    Permission(
        "core:party.export",
        "Export everything held on a person, for their data request",
        ("admin", "manager"),
    ),
    Permission(
        "core:party.assessment.read",
        "See who owns a party and how intake assessed it (quality, score, band, findings)",
        EVERYONE,
    ),
    Permission(
        "core:interaction.read",
        "See timelines",
        ("admin", "manager", "sales", "service", "read-only"),
    ),
    Permission(
        "core:interaction.write", "Log interactions", ("admin", "manager", "sales", "service")
    ),
    Permission(
        "core:audit.read",
        "See who changed a record and how",
        ("admin", "manager", "sales", "service", "read-only"),
    ),
    Permission("core:consent.write", "Record consent and its withdrawal", WRITERS),
    Permission("core:user.admin", "Manage users and tokens", ("admin",)),
    Permission("core:import", "Import and export data", ("admin", "manager")),
    Permission(
        "core:webhook.admin",
        "Manage webhook subscriptions, see their deliveries and every event in the feed",
        ("admin",),
    ),
]

SEES_EVERY_PARTY = frozenset({"admin", "marketing", "read-only"})
PARTY_ENTITIES = frozenset({"prospect", "customer", "party"})


def _in_territory(table: Table, actor: Actor) -> list[ColumnElement[bool]]:
    covered = territory_condition(contact_point.c.key, actor.territories)
    if covered is None:
        return []
    first_address = select(contact_point.c.party_id).where(
        contact_point.c.kind == "address", contact_point.c.position == 0, covered
    )
    return [table.c.id.in_(first_address)]


def party_rule(actor: Actor, table: Table) -> ColumnElement[bool] | None:
    """The parties (rows of ``table``, ``core_party`` or an alias) ``actor`` sees; None: all."""
    if actor.is_system or actor.role in SEES_EVERY_PARTY or actor.role == EXTERNAL_ROLE:
        return None
    if actor.role == "service":
        return table.c.role == "customer"
    if actor.role not in ("sales", "manager") or actor.user_id is None:
        return false()
    seen = [table.c.owner_id == actor.user_id, *_in_territory(table, actor)]
    if actor.role == "manager":
        team = [user.c.manager_id == actor.user_id]
        if actor.team:
            team.append(user.c.team == actor.team)
        members = select(user.c.id).where(or_(*team))
        seen += [table.c.owner_id.is_(None), table.c.owner_id.in_(members)]
    return or_(*seen)


def _sees_without_database(actor: Actor, record: Party) -> bool:
    """:func:`party_rule` for one record, from the record alone (no team look-up)."""
    if actor.is_system or actor.role in SEES_EVERY_PARTY or actor.role == EXTERNAL_ROLE:
        return True
    if actor.role == "service":
        return record.role == "customer"
    if actor.role not in ("sales", "manager") or actor.user_id is None:
        return False
    if record.owner_id == actor.user_id:
        return True
    if actor.role == "manager" and record.owner_id is None:
        return True
    # A manager's team rule needs the owner's user row: without a connection, deny
    # rather than guess (callers checking one record pass ``conn``).
    return in_territory(party_territory(record), actor.territories)


def _sees(actor: Actor, record: Party, conn: Connection | None) -> bool:
    if record.id is None:
        return True  # a record being created: the role's grant alone decides
    if conn is None:
        return _sees_without_database(actor, record)
    rule = party_rule(actor, party)
    if rule is None:
        return True
    return conn.execute(select(party.c.id).where(party.c.id == record.id, rule)).first() is not None


@hookimpl
def register_permissions() -> list[Permission]:
    return KERNEL_PERMISSIONS


@hookimpl(trylast=True)
def permission_check(
    actor: Actor, action: str, resource: Any, granted_to: frozenset[str], conn: Connection | None
) -> bool | None:
    if actor.is_system or actor.role == "admin":
        return True
    if actor.role not in granted_to:
        return None
    if isinstance(resource, Party):
        # A veto: a plugin granting the action must not widen what the role may see.
        return _sees(actor, resource, conn)
    return True


@hookimpl(trylast=True)
def permission_filter(actor: Actor, entity_type: str, table: Table) -> ColumnElement[bool] | None:
    if entity_type in PARTY_ENTITIES:
        return party_rule(actor, table)
    if entity_type == "interaction":
        if actor.role == "marketing":
            return false()
        rule = party_rule(actor, party)
        return None if rule is None else table.c.party_id.in_(select(party.c.id).where(rule))
    return None
