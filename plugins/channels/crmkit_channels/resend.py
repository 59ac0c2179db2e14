"""Sending a failed message, or one whose fate is unknown, again: a new message linked to the original.

The original stays as it was (its log is the history). The new one is the
same message (recipient, subject, text, HTML, body) with its own Message-ID and
Date, and passes consent and the suppression list again: what allowed the first
send may have been withdrawn since. A message whose fate is ``unknown`` may have
arrived, so it is sent again only when the caller confirms that it may arrive
twice. One original is resent at most once, so a double click sends once. The kernel's
audit trail records who resent which message: a ``created`` entry of the new one
(``channels.email``, ``channels.sms``) naming the original, no personal data.
"""

from __future__ import annotations

from email import message_from_string
from email.policy import SMTP
from email.utils import formatdate, parseaddr
from typing import Any

from sqlalchemy import insert, select

from crmkit import (
    ConflictError,
    NotFound,
    Transaction,
    ValidationError,
    record_audit,
    require,
    seen_party,
    utcnow,
)
from crmkit_channels import timeline
from crmkit_channels.access import MESSAGE_RESEND
from crmkit_channels.gate import why_not_sent
from crmkit_channels.messages import settings_of
from crmkit_channels.outbox import Outbound
from crmkit_channels.outboxes import EMAIL, SMS, Outbox
from crmkit_channels.rendering import new_message_id
from crmkit_channels.settings import ChannelsSettings
from crmkit_channels.signing import dkim_signed
from crmkit_channels.sms_outbox import SmsOutbound
from crmkit_channels.subject_tokens import new_token, with_token
from crmkit_channels.tables import email, sms

RESENDABLE = ("failed", "unknown")


def _original(tx: Transaction, outbox: Outbox, message_id: int, confirmed: bool) -> Any:
    """The message to send again, locked against a concurrent resend; checks every rule."""
    table = outbox.table
    row = tx.conn.execute(select(table).where(table.c.id == message_id).with_for_update()).first()
    # As the log answers: a message of a party the actor may not see does not exist,
    # and the party's id is not told.
    missing = NotFound(f"{outbox.channel} {message_id} does not exist")
    if row is None:
        raise missing
    try:
        seen_party(tx.hooks, tx.conn, tx.actor, row.party_id)
    except NotFound:
        raise missing from None
    require(tx.hooks, tx.actor, MESSAGE_RESEND.name, conn=tx.conn)
    if row.status not in RESENDABLE:
        raise ConflictError(
            f"{outbox.channel} {message_id} is {row.status}: only a failed or unknown one is sent again"
        )
    if row.status == "unknown" and not confirmed:
        raise ValidationError(
            "confirm_duplicate",
            f"{outbox.carrier} may have taken this message before the worker stopped, so it may "
            "arrive twice: check with it, then confirm with confirm_duplicate: true",
        )
    earlier = tx.conn.execute(
        select(table.c.id).where(table.c.resent_from_id == message_id)
    ).first()
    if earlier is not None:
        raise ConflictError(
            f"{outbox.channel} {message_id} was sent again already, as {earlier.id}"
        )
    return row


def _why_not(tx: Transaction, outbox: Outbox, row: Any) -> str | None:
    """Why the new message may not be sent (suppression list, consent); None if it may."""
    return why_not_sent(
        tx.conn,
        outbox,
        party_id=row.party_id,
        purpose=row.purpose,
        transactional=row.transactional,
        recipient=row.recipient,
    )


def _common(tx: Transaction, row: Any, reason: str | None) -> dict[str, Any]:
    now = utcnow()
    return {
        "party_id": row.party_id,
        "purpose": row.purpose,
        "transactional": row.transactional,
        "template": row.template,
        "recipient": row.recipient,
        "variables": row.variables,
        "status": "queued" if reason is None else "suppressed",
        "attempts": 0,
        "next_attempt_at": now if reason is None else None,
        "last_error": reason,
        "created_by": tx.actor.username,
        "created_at": now,
        "finished_at": None if reason is None else now,
        "resent_from_id": row.id,
    }


def _audit(tx: Transaction, outbox: Outbox, new_id: int, row: Any, status: str) -> None:
    changes = {"resent_from_id": [None, row.id], "status": [None, status]}
    record_audit(tx, f"channels.{outbox.channel}", new_id, "created", changes)


def _subject(tx: Transaction, settings: ChannelsSettings, row: Any) -> tuple[str, str | None]:
    """The new subject and its own token: a token is unique, so the original's is replaced."""
    subject = row.subject
    if row.subject_token is not None:
        subject = subject.removesuffix(with_token("", row.subject_token))
    if not settings.subject_token:
        return subject, None
    token = new_token(tx.conn)
    return with_token(subject, token), token


def _raw(settings: ChannelsSettings, row: Any, subject: str, message_id: str) -> str:
    mime = message_from_string(row.raw, policy=SMTP)
    for name in ("DKIM-Signature", "Message-ID", "Date", "Subject"):
        del mime[name]
    mime["Subject"] = subject
    mime["Message-ID"] = message_id
    mime["Date"] = formatdate(usegmt=True)
    raw = mime.as_string()
    return raw if settings.dkim is None else dkim_signed(settings.dkim, raw)


def resend_email(tx: Transaction, email_id: int, *, confirm_duplicate: bool = False) -> Outbound:
    """Queue email ``email_id`` again as a new email in ``tx``; needs ``channels:message.resend``.

    NotFound for an email of a party the actor may not see; ConflictError when it
    is not failed or unknown or was resent already; ValidationError naming
    ``confirm_duplicate`` for an unknown one without it.
    """
    row = _original(tx, EMAIL, email_id, confirm_duplicate)
    settings = settings_of(tx)
    message_id = new_message_id(parseaddr(settings.from_address)[1].rpartition("@")[2])
    reason = _why_not(tx, EMAIL, row)
    values = {**_common(tx, row, reason), "message_id": message_id}
    if row.raw is None:
        # It failed before it was ever rendered: the new one waits to be rendered too,
        # with the party's data as it is by then.
        token = new_token(tx.conn) if settings.subject_token else None
        values.update(subject=None, subject_token=token, raw=None, pending=row.pending)
    else:
        subject, token = _subject(tx, settings, row)
        raw = _raw(settings, row, subject, message_id)
        values.update(subject=subject, subject_token=token, raw=raw)
    subject = values["subject"]
    new_id = tx.conn.execute(insert(email).values(values).returning(email.c.id)).scalar_one()
    _audit(tx, EMAIL, new_id, row, values["status"])
    outbound = Outbound(new_id, row.party_id, values["status"], message_id, row.recipient, subject)
    if reason is not None:
        timeline.record(tx, EMAIL, outbound, "suppressed", reason)
    return outbound


def resend_sms(tx: Transaction, sms_id: int, *, confirm_duplicate: bool = False) -> SmsOutbound:
    """Queue text message ``sms_id`` again, as :func:`resend_email` does an email."""
    row = _original(tx, SMS, sms_id, confirm_duplicate)
    reason = _why_not(tx, SMS, row)
    values = {
        **_common(tx, row, reason),
        "body": row.body,
        "encoding": row.encoding,
        "segments": row.segments,
    }
    new = tx.conn.execute(insert(sms).values(values).returning(*sms.c)).one()
    _audit(tx, SMS, new.id, row, new.status)
    if reason is not None:
        timeline.record(tx, SMS, new, "suppressed", reason)
    return SmsOutbound(
        new.id, new.party_id, new.status, new.recipient, new.body, new.encoding, new.segments
    )
