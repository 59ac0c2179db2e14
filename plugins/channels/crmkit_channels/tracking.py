"""What happened to an email after it left: opens, clicks, bounces, complaints, each an event row.

The first open and the first click go on the party's timeline (later ones are
only counted); every bounce and complaint does. A hard bounce marks the email
``bounced``; a hard bounce or a complaint puts the address on the suppression list.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, exists, insert, select, update

from crmkit import Prepared, Transaction, build_interaction, log_interaction, utcnow
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


_EMAIL_BY_MESSAGE_ID = select(
    *(column for column in email.c if column.name not in ("raw", "variables"))
).where(email.c.message_id == bindparam("message_id"))
_INSERT_EVENT = insert(email_event)
# A hit's one read, run as a tracking hit is answered: what the event and the timeline
# entry need of the email, and whether a hit of this kind came before.
_HIT = Prepared(
    select(
        email.c.id,
        email.c.party_id,
        email.c.recipient,
        email.c.subject,
        email.c.message_id,
        exists()
        .where(email_event.c.email_id == email.c.id, email_event.c.kind == bindparam("kind"))
        .label("earlier"),
    ).where(email.c.message_id == bindparam("message_id"))
)


def _bracketed(message_id: str) -> str:
    wanted = message_id.strip()
    return wanted if wanted.startswith("<") else f"<{wanted}>"


def email_by_message_id(conn: Any, message_id: str) -> Any:
    """The outbox row of the email with this Message-ID (angle brackets optional), or None;
    every column but the message's text and variables."""
    return conn.execute(_EMAIL_BY_MESSAGE_ID, {"message_id": _bracketed(message_id)}).first()


def record_hit(tx: Transaction, message_id: str, kind: str, url: str | None = None) -> None:
    """Record an ``open`` or a ``click`` (on ``url``) of the email with this Message-ID;
    nothing when no such email is left."""
    row = _HIT.first(tx.conn, {"message_id": _bracketed(message_id), "kind": kind})
    if row is None:
        return
    now = _insert_event(tx, row, kind, url)
    if not row.earlier:
        _log(tx, row, kind, url, now)


def record(tx: Transaction, row: Any, kind: str, detail: str | None = None) -> None:
    """Record what a returned message says of the email ``row`` (a ``bounce``, ``soft_bounce``
    or ``complaint``); its consequences as the module says."""
    now = _insert_event(tx, row, kind, detail)
    if kind == "bounce":
        tx.conn.execute(
            update(email)
            .where(email.c.id == row.id, email.c.status.in_(BOUNCEABLE))
            .values(status="bounced", last_error=detail, finished_at=now)
        )
    if kind in ("bounce", "complaint"):
        suppress(tx, row.recipient, "bounce" if kind == "bounce" else "complaint", detail, row.id)
    _log(tx, row, kind, detail, now)


def _insert_event(tx: Transaction, row: Any, kind: str, detail: str | None) -> datetime:
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
    return now


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
