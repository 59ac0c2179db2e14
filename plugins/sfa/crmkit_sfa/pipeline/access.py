"""Who sees and edits which opportunities and activities, decided through the kernel's permission hooks.

* admin, read-only and the system actor: all of them.
* sales: opportunities they own and those in their territories.
* manager: those too, and the unowned ones and those owned by their team (users
  whose ``team`` is the manager's or whose ``manager_id`` is the manager).
* any other role: none.

An activity is seen by whoever sees its opportunity, and by its owner (and, for
a manager, the owner's team).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, Table, false, or_, select

from crmkit import Actor, Permission, territory_condition, user_table
from crmkit_sfa.pipeline.activities import Activity
from crmkit_sfa.pipeline.service import Opportunity
from crmkit_sfa.pipeline.tables import activity, opportunity

SEES_ALL = frozenset({"admin", "read-only"})
SELLERS = ("admin", "manager", "sales")

PERMISSIONS = [
    Permission("sfa:opportunity.read", "See opportunities and pipelines", (*SELLERS, "read-only")),
    Permission("sfa:opportunity.write", "Create, edit, win and lose opportunities", SELLERS),
    Permission("sfa:activity.read", "See sales activities", (*SELLERS, "read-only")),
    Permission("sfa:activity.write", "Plan and complete sales activities", SELLERS),
    Permission("sfa:pipeline.define", "Define pipelines through the API", ("admin",)),
]


def _owned(actor: Actor, owner: ColumnElement[Any]) -> list[ColumnElement[bool]]:
    seen = [owner == actor.user_id]
    if actor.role == "manager":
        team = [user_table.c.manager_id == actor.user_id]
        if actor.team:
            team.append(user_table.c.team == actor.team)
        seen.append(owner.in_(select(user_table.c.id).where(or_(*team))))
    return seen


def opportunity_rule(actor: Actor, table: Table) -> ColumnElement[bool] | None:
    """The opportunities (rows of ``table``) ``actor`` sees; None: all of them."""
    if actor.is_system or actor.role in SEES_ALL:
        return None
    if actor.role not in ("sales", "manager") or actor.user_id is None:
        return false()
    seen = _owned(actor, table.c.owner_id)
    in_territories = territory_condition(table.c.territory, actor.territories)
    if in_territories is not None:
        seen.append(in_territories)
    if actor.role == "manager":
        seen.append(table.c.owner_id.is_(None))
    return or_(*seen)


def activity_rule(actor: Actor, table: Table) -> ColumnElement[bool] | None:
    """The activities (rows of ``table``) ``actor`` sees; None: all of them."""
    deals = opportunity_rule(actor, opportunity)
    if deals is None:
        return None
    if actor.role not in ("sales", "manager") or actor.user_id is None:
        return false()
    visible_deals = select(opportunity.c.id).where(deals)
    return or_(*_owned(actor, table.c.owner_id), table.c.opportunity_id.in_(visible_deals))


def permission_filter(actor: Actor, entity_type: str, table: Table) -> ColumnElement[bool] | None:
    if entity_type == "sfa.opportunity":
        return opportunity_rule(actor, table)
    if entity_type == "sfa.activity":
        return activity_rule(actor, table)
    return None


def sees(actor: Actor, resource: Any, conn: Connection | None) -> bool | None:
    """For ``permission_check``: False vetoes a record ``actor`` does not see; None abstains."""
    if isinstance(resource, Opportunity):
        table, rule = opportunity, opportunity_rule(actor, opportunity)
    elif isinstance(resource, Activity):
        table, rule = activity, activity_rule(actor, activity)
    else:
        return None
    if rule is None:
        return None
    if conn is None:
        # Team and territory rules need the database; without it only ownership can be told.
        return None if resource.owner_id == actor.user_id else False
    found = conn.execute(select(table.c.id).where(table.c.id == resource.id, rule)).first()
    return None if found is not None else False
