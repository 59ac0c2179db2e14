"""The record rules of partner users: they see the leads routed to their partner and nothing else.

A partner user is a CRM user with the kernel's outside role (``crmkit.EXTERNAL_ROLE``,
``partner``) linked to one partner in ``dms_partner_user``. That role holds no permission
of its own; this module grants it the few actions of the partner portal and, for each of
them, narrows the records to its partner's:

* parties (prospects and customers) and their interactions: those the partner holds an
  open assignment for (an offer only until its deadline), or closed one of itself as sold
  or lost; a lead the partner declined, let expire, or that was taken from it (rerouted by staff, merged into a lead
  another partner has) is no longer seen;
* ``dms.assignment`` rows: those same assignments of the partner's;
* every other entity type: none.

Every other action is vetoed, whatever another plugin grants: a partner user may never do
more than the portal needs. A partner user of an inactive partner, or one not linked to
any partner, sees nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, Table, and_, false, or_, select

from crmkit import EXTERNAL_ROLE, Actor, Party
from crmkit_dms.partners.tables import partner, partner_user
from crmkit_dms.routing.access import ASSIGNMENT_READ, ASSIGNMENT_RESPOND
from crmkit_dms.routing.deadlines import not_overdue
from crmkit_dms.routing.tables import assignment

PORTAL = "dms:portal.use"
PARTY_READ = "core:party.read"
PARTNER_ACTIONS = frozenset({PARTY_READ, PORTAL, ASSIGNMENT_READ, ASSIGNMENT_RESPOND})
"""What a partner user may do at all; record-level rules below narrow each."""

FINISHED = ("sold", "lost")
"""The outcomes that close an assignment and leave the lead the partner's to see."""

PARTY_ENTITIES = frozenset({"prospect", "customer", "party"})
ASSIGNMENT_ENTITY = "dms.assignment"


def is_partner_user(actor: Actor) -> bool:
    """Whether ``actor`` acts for an outside partner (whatever partner, if any, it is linked to)."""
    return actor.role == EXTERNAL_ROLE and not actor.is_system


def _partner_of(actor: Actor) -> Select[Any]:
    # Only an active partner's users see anything: deactivating a dealer cuts its access.
    return (
        select(partner_user.c.partner_id)
        .join(partner, partner.c.id == partner_user.c.partner_id)
        .where(partner_user.c.user_id == actor.user_id, partner.c.active.is_(True))
    )


def held_by_partner_of(actor: Actor, table: Table = assignment) -> ColumnElement[bool]:
    """The ``dms_assignment`` rows through which the partner of ``actor`` (a partner user)
    sees a lead: those it holds open, and those it closed as sold or lost.

    Not the state alone: an assignment closed by rerouting or a merge keeps the state it
    had (accepted, contacted ...), and its lead is then another partner's.
    """
    return and_(
        table.c.partner_id.in_(_partner_of(actor)),
        or_(table.c.closed_at.is_(None), table.c.state.in_(FINISHED)),
        not_overdue(table),
    )


def routed_party_ids(actor: Actor) -> Select[Any]:
    """The ids of the parties routed to the partner of ``actor`` (a partner user)."""
    return select(assignment.c.party_id).where(held_by_partner_of(actor))


def permission_filter(actor: Actor, entity_type: str, table: Table) -> ColumnElement[bool] | None:
    """The rows of ``entity_type`` a partner user sees; None (no say) for staff."""
    if not is_partner_user(actor):
        return None
    if actor.user_id is None:
        return false()
    if entity_type in PARTY_ENTITIES:
        return table.c.id.in_(routed_party_ids(actor))
    if entity_type == "interaction":
        return table.c.party_id.in_(routed_party_ids(actor))
    if entity_type == ASSIGNMENT_ENTITY:
        return held_by_partner_of(actor, table)
    return false()


def permission_check(
    actor: Actor, action: str, resource: Any, conn: Connection | None
) -> bool | None:
    """Grant a partner user the portal's actions on its own records; veto everything else.

    Staff: None (the kernel's and other plugins' rules decide).
    """
    if not is_partner_user(actor):
        return None
    if action not in PARTNER_ACTIONS or actor.user_id is None:
        return False
    if isinstance(resource, Party):
        if resource.id is None:
            return False  # a partner user creates no party
        if conn is None:
            return False  # the rule needs the database: refuse rather than guess
        seen = routed_party_ids(actor).where(assignment.c.party_id == resource.id)
        return conn.execute(seen.limit(1)).first() is not None
    return True
