"""Storing a received message, once: before the SMTP server says 250 (or the IMAP poller marks
it read), so a crash loses nothing."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence

from sqlalchemy import bindparam, insert, select

from crmkit import Transaction, utcnow
from crmkit_channels.inbound_tables import inbound_attachment, inbound_email
from crmkit_channels.mail_parsing import ParsedMail, parse
from crmkit_channels.settings import MailInSettings
from crmkit_channels.subject_tokens import tokens_in
from crmkit_channels.tables import email

log = logging.getLogger(__name__)


def _unreadable(raw: bytes, error: Exception) -> ParsedMail:
    """A message the parser gave up on: kept as bytes, so that nothing is lost."""
    return ParsedMail(
        dedup_key=f"sha256:{hashlib.sha256(raw).hexdigest()}",
        message_id=None,
        sender=None,
        sender_name=None,
        subject="",
        text="",
        thread_ids=(),
        auto_reply=None,
        attachments=(),
        notes=(f"the message could not be parsed: {error.__class__.__name__}",),
    )


def _answered(
    tx: Transaction, thread_ids: Sequence[str], subject: str
) -> tuple[int | None, int | None]:
    """The outbound email (its id and party) the message answers: the nearest one of its thread,
    else the one whose token its subject carries."""
    by_thread = _answered_by_thread(tx, thread_ids)
    if by_thread[0] is not None:
        return by_thread
    tokens = tokens_in(subject)
    if not tokens:
        return None, None
    rows = tx.conn.execute(
        select(email.c.subject_token, email.c.id, email.c.party_id).where(
            email.c.subject_token.in_(tokens)
        )
    ).all()
    by_token = {r.subject_token: (r.id, r.party_id) for r in rows}
    return next((by_token[t] for t in tokens if t in by_token), (None, None))


# Built once: the statements of every message stored, values bound at execution.
_KNOWN = select(inbound_email.c.id).where(inbound_email.c.dedup_key == bindparam("key"))
_BY_MESSAGE_IDS = select(email.c.message_id, email.c.id, email.c.party_id).where(
    email.c.message_id.in_(bindparam("message_ids", expanding=True))
)
_INSERT = insert(inbound_email).returning(inbound_email.c.id)
_INSERT_ATTACHMENT = insert(inbound_attachment)


def _answered_by_thread(
    tx: Transaction, thread_ids: Sequence[str]
) -> tuple[int | None, int | None]:
    if not thread_ids:
        return None, None
    rows = tx.conn.execute(_BY_MESSAGE_IDS, {"message_ids": list(thread_ids)}).all()
    by_message_id = {r.message_id: (r.id, r.party_id) for r in rows}
    for message_id in thread_ids:
        if message_id in by_message_id:
            return by_message_id[message_id]
    return None, None


def store(
    tx: Transaction,
    raw: bytes,
    envelope_from: str,
    recipients: Sequence[str],
    limits: MailInSettings,
) -> int | None:
    """Store ``raw`` in ``tx``: the new message's id, or None when it was stored before."""
    try:
        parsed = parse(raw, envelope_from, limits)
    except Exception as exc:  # the bytes are kept whatever the parser thinks of them
        log.exception("an inbound message could not be parsed; it is stored unread")
        parsed = _unreadable(raw, exc)
    if tx.conn.execute(_KNOWN, {"key": parsed.dedup_key}).first() is not None:
        return None
    answers_email_id, party_id = _answered(tx, parsed.thread_ids, parsed.subject)
    inbound_id: int = tx.conn.execute(
        _INSERT,
        {
            "dedup_key": parsed.dedup_key,
            "message_id": parsed.message_id,
            "envelope_from": envelope_from[:320],
            "recipients": list(recipients),
            "sender": parsed.sender,
            "sender_name": parsed.sender_name,
            "subject": parsed.subject,
            "text": parsed.text,
            "raw": raw,
            "auto_reply": parsed.auto_reply is not None,
            "notes": ([parsed.auto_reply] if parsed.auto_reply else []) + list(parsed.notes),
            "answers_email_id": answers_email_id,
            "party_id": party_id,
            "status": "received",
            "attempts": 0,
            "received_at": utcnow(),
        },
    ).scalar_one()
    if parsed.attachments:
        tx.conn.execute(
            _INSERT_ATTACHMENT,
            [
                {
                    "inbound_email_id": inbound_id,
                    "filename": a.filename,
                    "content_type": a.content_type,
                    "size": a.size,
                    "content": a.content,
                    "dropped": a.dropped,
                }
                for a in parsed.attachments
            ],
        )
    return inbound_id
