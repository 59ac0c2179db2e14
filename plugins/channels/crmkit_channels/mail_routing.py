"""Routing a stored message: its party, its place on the timeline, then the plugin that claims it.

Two steps, each committed before the next:

1. **placed**: a reply on a known thread keeps the party of the email it answers;
   any other message's sender is resolved to a party (``resolve_party``), and the
   message is logged on that party's timeline. A report on one of our emails (a
   bounce, a complaint) is recorded against that email instead and goes no further
   (:mod:`crmkit_channels.returns`);
2. **routed**: ``route_inbound`` is asked which plugin takes it, and the answer
   is recorded, with the auto-answer (:mod:`crmkit_channels.auto_answer`) in the
   same transaction.

A crash between the steps leaves the message ``received`` or ``placed``; the job
``channels.route_inbound_mail`` finishes it. ``route_inbound`` may therefore be
asked twice about one message; :attr:`InboundEmail.id` lets a plugin tell.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from attrs import frozen
from sqlalchemy import Connection, select, update

from crmkit import (
    SYSTEM,
    Crm,
    CrmError,
    EmailAddress,
    Transaction,
    build_interaction,
    log_interaction,
    resolve_party,
    utcnow,
)
from crmkit_channels import auto_answer
from crmkit_channels.inbound_tables import inbound_attachment, inbound_email
from crmkit_channels.returns import take_report
from crmkit_channels.settings import ChannelsSettings
from crmkit_channels.timeline import REF_KIND, SOURCE

log = logging.getLogger(__name__)

INBOUND_REF_KIND = "channels.inbound_email"
MAX_ATTEMPTS = 5
"""Failed routings of one message before it is left ``failed`` for someone to look at."""
GRACE = timedelta(seconds=60)
"""How long the job leaves a new message to the server that received it."""


@frozen
class AttachmentInfo:
    """An attachment of an inbound email; its bytes are in the table ``channels_inbound_attachment``."""

    id: int
    filename: str | None
    content_type: str
    size: int
    dropped: str | None
    """Why it was not kept (too large), else None."""


@frozen
class InboundEmail:
    """An email received by ``mail-in`` or ``imap-poll``: the ``message`` of ``route_inbound``."""

    id: int
    """Stable across calls: ``route_inbound`` may be asked again about the same message after a crash."""
    party_id: int | None
    """None when the sender could not be taken in (see ``notes``)."""
    sender: str | None
    sender_name: str | None
    subject: str
    text: str
    message_id: str | None
    answers_email_id: int | None
    """The outbound email (``channels_email``) this one replies to, if any."""
    auto_reply: bool
    """Sent by a machine (an out-of-office, a list, a bounce): never answer it automatically."""
    attachments: tuple[AttachmentInfo, ...]
    notes: tuple[str, ...]
    channel: str = "email"


def _split_name(display_name: str | None) -> dict[str, str]:
    words = (display_name or "").replace('"', "").split()
    if not words:
        return {}
    if len(words) == 1:
        return {"last_name": words[0][:100]}
    return {"first_name": " ".join(words[:-1])[:100], "last_name": words[-1][:100]}


def _resolve(
    tx: Transaction, row: Any, settings: ChannelsSettings
) -> tuple[int | None, str | None]:
    """The sender's party, or None and why not."""
    if row.sender is None:
        return None, "no sender address to find a party by"
    try:
        EmailAddress.parse(row.sender, field_name="sender")
        with tx.conn.begin_nested():
            found = resolve_party(
                tx,
                {"emails": [row.sender], **_split_name(row.sender_name)},
                source="email",
                vouched=settings.mail_in.vouched,
            )
    except CrmError as exc:
        return None, f"the sender was not taken in: {exc.message}"
    if found.party_id is None:
        hard = (
            [f.code for f in found.intake.findings if f.severity == "hard"] if found.intake else []
        )
        return (
            None,
            f"the sender was not taken in ({found.outcome}: {', '.join(hard) or 'no reason'})",
        )
    return found.party_id, None


def _log(tx: Transaction, row: Any, party_id: int) -> None:
    refs = [{"kind": INBOUND_REF_KIND, "id": str(row.id)}]
    if row.answers_email_id is not None:
        refs.append({"kind": REF_KIND, "id": str(row.answers_email_id)})
    sender = row.sender or row.envelope_from or "an unknown sender"
    log_interaction(
        tx,
        build_interaction(
            {
                "party_id": party_id,
                "channel": "email",
                "direction": "inbound",
                "occurred_at": row.received_at,
                "subject": row.subject[:500] or None,
                "summary": f"From {sender}\n\n{row.text}"[:100_000],
                "outcome": "auto-reply" if row.auto_reply else "received",
                "refs": refs,
            },
            source=SOURCE,
        ),
    )


def _place(app: Crm, inbound_id: int) -> InboundEmail | None:
    """Step 1, unless another router has done it; the message when it is placed (now or before)."""
    settings: ChannelsSettings = app.settings_of["channels"]
    this = inbound_email.c.id == inbound_id
    with app.transaction(SYSTEM) as tx:
        # Taken first, so that a second router waits here and then finds nothing to do.
        taken = tx.conn.execute(
            update(inbound_email)
            .where(this, inbound_email.c.status == "received")
            .values(status="received")
        )
        row = tx.conn.execute(select(inbound_email).where(this)).one()
        if taken.rowcount == 1:
            if take_report(tx, row):
                return None
            party_id, why_not = row.party_id, None
            if party_id is None:
                party_id, why_not = _resolve(tx, row, settings)
            if party_id is not None:
                _log(tx, row, party_id)
            row = tx.conn.execute(
                update(inbound_email)
                .where(this)
                .values(
                    status="placed",
                    party_id=party_id,
                    notes=[*row.notes, why_not] if why_not else row.notes,
                )
                .returning(*inbound_email.c)
            ).one()
        if row.status != "placed":
            return None
        return _message(tx.conn, row)


def _message(conn: Connection, row: Any) -> InboundEmail:
    attachments = conn.execute(
        select(
            inbound_attachment.c.id,
            inbound_attachment.c.filename,
            inbound_attachment.c.content_type,
            inbound_attachment.c.size,
            inbound_attachment.c.dropped,
        )
        .where(inbound_attachment.c.inbound_email_id == row.id)
        .order_by(inbound_attachment.c.id)
    ).all()
    return InboundEmail(
        id=row.id,
        party_id=row.party_id,
        sender=row.sender,
        sender_name=row.sender_name,
        subject=row.subject,
        text=row.text,
        message_id=row.message_id,
        answers_email_id=row.answers_email_id,
        auto_reply=row.auto_reply,
        attachments=tuple(AttachmentInfo(*a) for a in attachments),
        notes=tuple(row.notes),
    )


def _hand_over(app: Crm, message: InboundEmail) -> None:
    """Step 2: ask ``route_inbound``, record who claimed the message and its auto-answer."""
    claimed_by = app.route_inbound(message)
    with app.transaction(SYSTEM) as tx:
        done = tx.conn.execute(
            update(inbound_email)
            .where(inbound_email.c.id == message.id, inbound_email.c.status == "placed")
            .values(status="routed", claimed_by=claimed_by, routed_at=utcnow())
        )
        if done.rowcount == 1:
            auto_answer.answer(tx, message.id)


def _failed(app: Crm, inbound_id: int, error: Exception) -> None:
    with app.transaction(SYSTEM) as tx:
        row = tx.conn.execute(
            select(inbound_email.c.attempts).where(inbound_email.c.id == inbound_id)
        ).one()
        attempts = row.attempts + 1
        values: dict[str, Any] = {"attempts": attempts, "last_error": repr(error)[:2000]}
        if attempts >= MAX_ATTEMPTS:
            values["status"] = "failed"
        tx.conn.execute(
            update(inbound_email).where(inbound_email.c.id == inbound_id).values(values)
        )


def route(app: Crm, inbound_id: int) -> None:
    """Take one stored message through both steps, as far as it has not gone; never raises."""
    try:
        placed = _place(app, inbound_id)
        if placed is not None:
            _hand_over(app, placed)
    except Exception as exc:
        log.exception("routing inbound email %s failed", inbound_id)
        try:
            _failed(app, inbound_id, exc)
        except Exception:
            log.exception("recording the failure of inbound email %s failed", inbound_id)


def route_pending(app: Crm) -> int:
    """Route the messages a server stored but did not finish (it stopped): how many."""
    cutoff = utcnow() - GRACE
    with app.read() as conn:
        ids = (
            conn.execute(
                select(inbound_email.c.id)
                .where(
                    inbound_email.c.status.in_(("received", "placed")),
                    inbound_email.c.received_at < cutoff,
                )
                .order_by(inbound_email.c.id)
                .limit(500)
            )
            .scalars()
            .all()
        )
    for inbound_id in ids:
        route(app, inbound_id)
    return len(ids)
