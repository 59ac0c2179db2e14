"""Reading assignments, and who may see or answer one.

Staff see the assignments of the parties they see; a partner user sees its partner's
assignments only while the partner is active, and of those the open ones and the ones it
sold or lost (the partners part's record rule). A record one may not see is NotFound,
never Forbidden, so that its existence does not leak.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, bindparam, select, true

from crmkit import (
    NotFound,
    Page,
    PermissionDenied,
    Transaction,
    is_allowed,
    newest_first,
    seen_party_ids,
    sees_every_party,
)
from crmkit_dms.partners.records import held_by_partner_of, is_partner_user
from crmkit_dms.routing.access import LEAD_ROUTE
from crmkit_dms.routing.model import Assignment
from crmkit_dms.routing.tables import assignment


def seen_assignments(tx: Transaction) -> ColumnElement[bool]:
    """The condition on ``dms_assignment`` keeping what ``tx.actor`` may see."""
    if is_partner_user(tx.actor):
        # What the partner works on or finished; not what it declined, let expire, or had
        # taken from it; nothing once the partner is deactivated (as for the lead's party).
        return held_by_partner_of(tx.actor)
    if sees_every_party(tx.hooks, tx.actor):
        return true()
    return assignment.c.party_id.in_(seen_party_ids(tx.hooks, tx.actor))


def load(conn: Connection, assignment_id: int, *, lock: bool = False) -> Assignment:
    """The assignment, whoever may see it; NotFound when there is none."""
    query = select(assignment).where(assignment.c.id == assignment_id)
    row = conn.execute(query.with_for_update() if lock else query).one_or_none()
    if row is None:
        raise NotFound(f"assignment {assignment_id} does not exist")
    return Assignment.of(row)


def get_assignment(tx: Transaction, assignment_id: int) -> Assignment:
    """The assignment, if ``tx.actor`` may see it; else NotFound."""
    row = tx.conn.execute(
        select(assignment).where(assignment.c.id == assignment_id, seen_assignments(tx))
    ).one_or_none()
    if row is None:
        raise NotFound(f"assignment {assignment_id} does not exist")
    return Assignment.of(row)


def answerable(tx: Transaction, assignment_id: int) -> Assignment:
    """The assignment, locked, once ``tx.actor`` may answer it: the system, a user of its
    partner, or staff holding ``dms:lead.route`` who see its party. A partner user asking
    about another partner's lead, or staff who do not see its party, get NotFound."""
    if not tx.actor.is_system:
        # A partner user answers what it sees: its active partner's open offers and leads.
        get_assignment(tx, assignment_id)
        if not is_partner_user(tx.actor) and not is_allowed(tx.hooks, tx.actor, LEAD_ROUTE):
            raise PermissionDenied(f"answering a partner's lead needs {LEAD_ROUTE}")
    return load(tx.conn, assignment_id, lock=True)


def list_assignments(
    tx: Transaction,
    *,
    state: str | None = None,
    partner_id: int | None = None,
    party_id: int | None = None,
    queued: bool = False,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Assignment]:
    """The assignments ``tx.actor`` sees, newest first; ``queued``: the fallback queue only
    (open, no partner)."""
    conditions: list[Any] = [seen_assignments(tx)]
    if state is not None:
        conditions.append(assignment.c.state == state)
    if partner_id is not None:
        conditions.append(assignment.c.partner_id == partner_id)
    if party_id is not None:
        conditions.append(assignment.c.party_id == party_id)
    if queued:
        conditions += [assignment.c.partner_id.is_(None), assignment.c.closed_at.is_(None)]
    return newest_first(
        tx.conn,
        select(assignment).where(and_(*conditions)),
        assignment.c.id,
        Assignment.of,
        cursor=cursor,
        limit=limit,
    )


_OPEN = select(assignment).where(
    assignment.c.party_id == bindparam("party_id"), assignment.c.closed_at.is_(None)
)


def open_assignment(conn: Connection, party_id: int) -> Assignment | None:
    """The lead's assignment still open (offered, accepted, being worked, or queued), if any."""
    row = conn.execute(_OPEN, {"party_id": party_id}).one_or_none()
    return None if row is None else Assignment.of(row)
