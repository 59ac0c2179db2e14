"""What happened to an email after it left: opens, clicks, bounces, complaints, each an event row.

The first open and the first click go on the party's timeline (later ones are
only counted); every bounce and complaint does. A hard bounce marks the email
``bounced``; a hard bounce or a complaint puts the address on the suppression list.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update

from crmkit import Transaction, build_interaction, log_interaction, utcnow
from crmkit_channels.suppression import suppress
from crmkit_channels.tables import email
from crmkit_channels.timeline import REF_KIND, SOURCE
from crmkit_channels.tracking_tables import email_event

KINDS = ("open", "click", "bounce", "soft_bounce", "complaint")
BOUNCEABLE = ("sent", "delivered", "unknown")
"""The statuses a hard bounce turns into ``bounced``: the relay took the message, or may have."""

_SUMMARIES = {
    "open": "Opened by {recipient}",
    "click": "{recipient} clicked {detail}",
    "bounce": "Bounced from {recipient} ({detail}): the address is suppressed",
    "soft_bounce": "Delayed or refused for now by {recipient}'s server ({detail})",
    "complaint": "{recipient} reported it as spam: the address is suppressed",
}


# Built once: a tracking hit runs each of them, and building a statement costs more than
# running it.
_EMAIL_BY_MESSAGE_ID = select(
    *(column for column in email.c if column.name not in ("raw", "variables"))
).where(email.c.message_id == bindparam("message_id"))
_EARLIER = (
    select(email_event.c.id)
    .where(email_event.c.email_id == bindparam("email_id"), email_event.c.kind == bindparam("kind"))
    .limit(1)
)
_INSERT_EVENT = insert(email_event)


def email_by_message_id(conn: Any, message_id: str) -> Any:
    """The outbox row of the email with this Message-ID (angle brackets optional), or None;
    every column but the message's text and variables."""
    wanted = message_id.strip()
    if not wanted.startswith("<"):
        wanted = f"<{wanted}>"
    return conn.execute(_EMAIL_BY_MESSAGE_ID, {"message_id": wanted}).first()


def record(tx: Transaction, row: Any, kind: str, detail: str | None = None) -> None:
    """Record ``kind`` of the email ``row``; its consequences as the module says."""
    earlier = tx.conn.execute(_EARLIER, {"email_id": row.id, "kind": kind}).first() is not None
    now = utcnow()
    tx.conn.execute(
        _INSERT_EVENT,
        {
            "email_id": row.id,
            "party_id": row.party_id,
            "kind": kind,
            "detail": None if detail is None else detail[:2000],
            "occurred_at": now,
        },
    )
    if kind == "bounce":
        tx.conn.execute(
            update(email)
            .where(email.c.id == row.id, email.c.status.in_(BOUNCEABLE))
            .values(status="bounced", last_error=detail, finished_at=now)
        )
    if kind in ("bounce", "complaint"):
        suppress(tx, row.recipient, "bounce" if kind == "bounce" else "complaint", detail, row.id)
    if kind in ("open", "click") and earlier:
        return
    _log(tx, row, kind, detail, now)


def _log(tx: Transaction, row: Any, kind: str, detail: str | None, at: datetime) -> None:
    summary = _SUMMARIES[kind].format(recipient=row.recipient, detail=detail or "")
    log_interaction(
        tx,
        build_interaction(
            {
                "party_id": row.party_id,
                "channel": "email",
                "direction": "outbound",
                "occurred_at": at,
                "subject": str(row.subject)[:500],
                "summary": f"{summary} (Message-ID {row.message_id})"[:4000],
                "outcome": kind.replace("_", "-"),
                "refs": [{"kind": REF_KIND, "id": str(row.id)}],
            },
            source=SOURCE,
        ),
    )
