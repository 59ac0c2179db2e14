"""Perishability: prospects lose value by the hour, so missed first contacts escalate and idle ones expire.

* The first outbound interaction (or one a person logs) marks a prospect first
  contacted.
* A prospect past its ``first_contact_due_at`` (set by the intake pipeline from
  its score band) without first contact is escalated once: an event, and a task
  and a notification for the owner's manager, or for every admin when the owner
  has no active manager. The mark and the work items are written in one
  transaction, so a crash leaves either all of them or none, and the next run
  does what is left.
* A prospect neither updated nor given an interaction for ``expire_after_days``
  expires: status ``expired`` and ``expired_at``, kept but left out of work lists.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, and_, bindparam, exists, or_, select, update

from crmkit.core import audit
from crmkit.core.entities import Interaction, Prospect
from crmkit.core.notifications import notify
from crmkit.core.tables import interaction, party, user, utcnow
from crmkit.core.tasks import TITLE_LIMIT, create_task

if TYPE_CHECKING:
    from crmkit.app import Crm
    from crmkit.core.db import Transaction

SOURCE = "core.perishability"
BATCH = 500
"""Prospects expired per transaction: bounded locks, bounded memory."""
CLOSED_STATUSES: tuple[str, ...] = ("expired", "disqualified")
"""Prospects nobody works on any more: they neither escalate nor expire."""


def not_expired() -> Any:
    """The condition of a party not expired: what work lists show unless asked otherwise."""
    return or_(party.c.status.is_(None), party.c.status != "expired")


def in_work() -> Any:
    """The condition of a prospect still being worked on (not expired, not disqualified)."""
    return or_(party.c.status.is_(None), party.c.status.not_in(CLOSED_STATUSES))


def counts_as_contact(tx: Transaction, item: Interaction) -> bool:
    """Whether ``item`` contacts the party: reaching out, or a person recording a conversation."""
    if item.direction == "outbound":
        return True
    # An inbound message a plugin files (the system actor) is not a contact by the company.
    return item.direction == "inbound" and not tx.actor.is_system


# Built once: it runs with every interaction logged.
_FIRST_CONTACT = (
    update(party)
    .where(
        party.c.id == bindparam("contacted_party"),
        party.c.role == "prospect",
        party.c.first_contacted_at.is_(None),
    )
    .values(first_contacted_at=bindparam("contacted_at"))
)


def record_first_contact(tx: Transaction, item: Interaction) -> None:
    """Mark the prospect of ``item`` first contacted, if this is its first contact."""
    if counts_as_contact(tx, item):
        tx.conn.execute(
            _FIRST_CONTACT, {"contacted_party": item.party_id, "contacted_at": item.occurred_at}
        )


def clear_expiry(tx: Transaction, prospect: Prospect) -> None:
    """A prospect set back to work (any status but "expired") is no longer expired."""
    if prospect.status == "expired" or prospect.id is None:
        return
    tx.conn.execute(
        update(party)
        .where(party.c.id == prospect.id, party.c.expired_at.is_not(None))
        .values(expired_at=None)
    )


def _overdue(conn: Connection, now: datetime) -> Sequence[Any]:
    return conn.execute(
        select(
            party.c.id,
            party.c.display_name,
            party.c.owner_id,
            party.c.score_band,
            party.c.first_contact_due_at,
        )
        .where(
            party.c.role == "prospect",
            party.c.first_contact_due_at <= now,
            party.c.first_contacted_at.is_(None),
            party.c.escalated_at.is_(None),
            in_work(),
        )
        .order_by(party.c.first_contact_due_at, party.c.id)
    ).all()


def escalation_recipients(conn: Connection, owner_id: int | None) -> list[int]:
    """Who hears of a missed deadline: the owner's active manager, else every active admin."""
    if owner_id is not None:
        managers = select(user.c.manager_id).where(user.c.id == owner_id).scalar_subquery()
        manager = conn.execute(
            select(user.c.id).where(user.c.id == managers, user.c.active.is_(True))
        ).scalar()
        if manager is not None:
            return [manager]
    admins = conn.execute(
        select(user.c.id).where(user.c.role == "admin", user.c.active.is_(True)).order_by(user.c.id)
    )
    return list(admins.scalars())


def _escalate(tx: Transaction, prospect: Any, now: datetime) -> bool:
    # The mark is taken first, its conditions checked again: a run in parallel that lost
    # the race, or a prospect contacted meanwhile, updates nothing and stops here.
    claimed = tx.conn.execute(
        update(party)
        .where(
            party.c.id == prospect.id,
            party.c.escalated_at.is_(None),
            party.c.first_contacted_at.is_(None),
            in_work(),
        )
        .values(escalated_at=now)
    )
    if claimed.rowcount != 1:
        return False
    band = prospect.score_band or "unscored"
    link = f"/parties/{prospect.id}"
    recipients = escalation_recipients(tx.conn, prospect.owner_id)
    tx.emit(
        "core.prospect_escalated",
        "prospect",
        prospect.id,
        {
            "id": prospect.id,
            "owner_id": prospect.owner_id,
            "score_band": prospect.score_band,
            "first_contact_due_at": prospect.first_contact_due_at.isoformat(),
            "notified": recipients,
        },
    )
    for recipient in recipients:
        create_task(
            tx,
            recipient,
            f"First contact overdue: {prospect.display_name}"[:TITLE_LIMIT],
            party_id=prospect.id,
            due_at=now,
            details=(
                f"This {band} prospect was due to be contacted by "
                f"{prospect.first_contact_due_at.isoformat()} and has not been. "
                "Contact them or hand them to someone who can."
            ),
            source=SOURCE,
        )
        # The notification names no one: it outlives the prospect, the task does not.
        notify(
            tx,
            recipient,
            f"A {band} prospect missed its first-contact deadline",
            link=link,
            kind="escalation",
            source=SOURCE,
        )
    return True


def escalate_missed_deadlines(crm: Crm, now: datetime | None = None) -> int:
    """Escalate every prospect past its first-contact deadline, once; returns how many."""
    now = now or utcnow()
    with crm.read() as conn:
        overdue = _overdue(conn, now)
    escalated = 0
    for prospect in overdue:
        with crm.transaction() as tx:
            escalated += _escalate(tx, prospect, now)
    return escalated


def _untouched(cutoff: datetime) -> Any:
    recent_interaction = exists().where(
        interaction.c.party_id == party.c.id,
        or_(interaction.c.occurred_at > cutoff, interaction.c.created_at > cutoff),
    )
    return and_(
        party.c.role == "prospect",
        in_work(),
        party.c.updated_at <= cutoff,
        ~recent_interaction,
    )


def _expire_batch(tx: Transaction, cutoff: datetime, now: datetime) -> tuple[int, int]:
    """Expire up to :data:`BATCH` untouched prospects; returns (candidates found, expired)."""
    before = dict(
        tx.conn.execute(
            select(party.c.id, party.c.status)
            .where(_untouched(cutoff))
            .order_by(party.c.id)
            .limit(BATCH)
        ).all()
    )
    if not before:
        return 0, 0
    # The condition again: on PostgreSQL someone may touch a prospect between the two statements.
    expired = (
        tx.conn.execute(
            update(party)
            .where(party.c.id.in_(list(before)), _untouched(cutoff))
            .values(status="expired", expired_at=now, updated_at=now, version=party.c.version + 1)
            .returning(party.c.id)
        )
        .scalars()
        .all()
    )
    for prospect_id in sorted(expired):
        audit.record(
            tx, "party", prospect_id, "updated", {"status": [before[prospect_id], "expired"]}
        )
        tx.emit("core.prospect_expired", "prospect", prospect_id, {"id": prospect_id})
    return len(before), len(expired)


def expire_untouched(crm: Crm, now: datetime | None = None) -> int:
    """Expire prospects untouched for ``expire_after_days``; returns how many."""
    now = now or utcnow()
    cutoff = now - crm.settings.intake.expire_after
    total = 0
    while True:
        with crm.transaction() as tx:
            found, expired = _expire_batch(tx, cutoff, now)
        total += expired
        if not found:
            return total
