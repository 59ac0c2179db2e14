"""The invitations' upkeep: links past their expiry expire, emails the relay refused or that
bounced make their invitation failed. Each is a job of ``crmkit worker``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from crmkit_channels import delivery_states
from sqlalchemy import select, update

from crmkit import SYSTEM, Transaction, utcnow
from crmkit_surveys.invitations.tables import invitation

OPEN = ("queued", "sent", "opened", "answering")
UNDELIVERED = ("failed", "bounced", "suppressed")
"""The channels plugin's email states of a message that did not reach its recipient."""
EMAIL_REF = "channels.email:"
CHUNK = 1000


def expire(tx: Transaction, now: datetime) -> int:
    """Every invitation not completed whose link has expired becomes ``expired``; how many."""
    done = tx.conn.execute(
        update(invitation)
        .where(invitation.c.status.in_(OPEN), invitation.c.expires_at <= now)
        .values(status="expired")
    )
    return int(done.rowcount)


def mark_failed(tx: Transaction, now: datetime) -> int:
    """Invitations sent by email lately whose email failed, bounced or was suppressed at delivery
    become ``failed``; how many. SMS invitations stay ``sent``: the channels plugin offers no
    public way to read an SMS's delivery state."""
    hours: int = tx.app.settings_of["surveys"].invitations.delivery_check_hours
    after, failed = 0, 0
    while True:
        rows = tx.conn.execute(
            select(invitation.c.id, invitation.c.message_ref)
            .where(
                invitation.c.id > after,
                invitation.c.status == "sent",
                invitation.c.channel == "email",
                invitation.c.sent_at >= now - timedelta(hours=hours),
                invitation.c.message_ref.is_not(None),
            )
            .order_by(invitation.c.id)
            .limit(CHUNK)
        ).all()
        if not rows:
            return failed
        after = rows[-1].id
        by_email = {
            int(r.message_ref.removeprefix(EMAIL_REF)): r.id
            for r in rows
            if r.message_ref.startswith(EMAIL_REF)
        }
        states = delivery_states(tx, email_ids=list(by_email)).messages
        ids = [by_email[s.email_id] for s in states if s.status in UNDELIVERED]
        if ids:
            failed += int(
                tx.conn.execute(
                    update(invitation)
                    .where(invitation.c.id.in_(ids), invitation.c.status == "sent")
                    .values(status="failed")
                ).rowcount
            )


def run_expire(app: Any) -> None:
    with app.transaction(SYSTEM) as tx:
        expire(tx, utcnow())


def run_mark_failed(app: Any) -> None:
    with app.transaction(SYSTEM) as tx:
        mark_failed(tx, utcnow())
