"""The invitations' upkeep: links past their expiry expire, emails the relay refused or that
bounced and texts the gateway or carrier gave up on make their invitation failed. Each is a
job of ``crmkit worker``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from crmkit_channels import delivery_states, sms_states
from sqlalchemy import select, update

from crmkit import SYSTEM, Transaction, utcnow
from crmkit_surveys.invitations.tables import invitation

OPEN = ("queued", "sent", "opened", "answering")
UNDELIVERED = ("failed", "bounced", "suppressed")
"""The channels plugin's email states of a message that did not reach its recipient."""
UNDELIVERED_SMS = ("failed", "undelivered", "suppressed")
"""The same of a text message."""
EMAIL_REF = "channels.email:"
SMS_REF = "channels.sms:"
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
    """Invitations sent lately whose email failed, bounced or was suppressed at delivery, or
    whose text failed or was not delivered, become ``failed``; how many."""
    hours: int = tx.app.settings_of["surveys"].invitations.delivery_check_hours
    after, failed = 0, 0
    while True:
        rows = tx.conn.execute(
            select(invitation.c.id, invitation.c.message_ref)
            .where(
                invitation.c.id > after,
                invitation.c.status == "sent",
                invitation.c.sent_at >= now - timedelta(hours=hours),
                invitation.c.message_ref.is_not(None),
            )
            .order_by(invitation.c.id)
            .limit(CHUNK)
        ).all()
        if not rows:
            return failed
        after = rows[-1].id
        by_email = _by_message(rows, EMAIL_REF)
        by_sms = _by_message(rows, SMS_REF)
        ids = [
            *(
                by_email[s.email_id]
                for s in delivery_states(tx, email_ids=list(by_email)).messages
                if s.status in UNDELIVERED
            ),
            *(by_sms[s.sms_id] for s in sms_states(tx, by_sms) if s.status in UNDELIVERED_SMS),
        ]
        if ids:
            failed += int(
                tx.conn.execute(
                    update(invitation)
                    .where(invitation.c.id.in_(ids), invitation.c.status == "sent")
                    .values(status="failed")
                ).rowcount
            )


def _by_message(rows: Sequence[Any], prefix: str) -> dict[int, int]:
    """The invitations among ``rows`` whose message is of ``prefix``, by the message's id."""
    return {
        int(r.message_ref.removeprefix(prefix)): r.id
        for r in rows
        if r.message_ref.startswith(prefix)
    }


def run_expire(app: Any) -> None:
    with app.transaction(SYSTEM) as tx:
        expire(tx, utcnow())


def run_mark_failed(app: Any) -> None:
    with app.transaction(SYSTEM) as tx:
        mark_failed(tx, utcnow())
