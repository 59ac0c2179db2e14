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

Messages waiting together are routed together (:func:`route_each`): each step is
one transaction for them all, ``route_inbound`` is asked about each in turn. A
step that fails for the batch is done again for each message alone, so that only
the message to blame has its failure recorded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from attrs import frozen
from sqlalchemy import Connection, bindparam, select, update

from crmkit import (
    SYSTEM,
    Crm,
    CrmError,
    EmailAddress,
    Interaction,
    Transaction,
    build_interaction,
    log_interactions,
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
PENDING_BATCH = 50
"""Messages the job routes together."""
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
    recipients: tuple[str, ...] = ()
    """The addresses it was delivered to (``RCPT TO`` or ``Delivered-To``), lower case."""


def attachment_content(conn: Connection, message: InboundEmail, attachment_id: int) -> bytes | None:
    """The bytes of one attachment of ``message`` (for a plugin claiming it in ``route_inbound``),
    or None when it was dropped for its size or is not one of the message's attachments."""
    found: bytes | None = conn.execute(
        select(inbound_attachment.c.content).where(
            inbound_attachment.c.id == attachment_id,
            inbound_attachment.c.inbound_email_id == message.id,
        )
    ).scalar()
    return found


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


def _interaction(row: Any, party_id: int) -> Interaction:
    """The message on its party's timeline."""
    refs = [{"kind": INBOUND_REF_KIND, "id": str(row.id)}]
    if row.answers_email_id is not None:
        refs.append({"kind": REF_KIND, "id": str(row.answers_email_id)})
    sender = row.sender or row.envelope_from or "an unknown sender"
    return build_interaction(
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
    )


# Built once: the statements of each routing, values bound at execution.
_IDS = inbound_email.c.id.in_(bindparam("ids", expanding=True))
_TAKE = (
    update(inbound_email)
    .where(_IDS, inbound_email.c.status == "received")
    .values(status="received")
    .returning(inbound_email.c.id)
)
_ROWS = select(inbound_email).where(_IDS).order_by(inbound_email.c.id)
_PLACE = (
    update(inbound_email)
    .where(inbound_email.c.id == bindparam("placed_id"))
    .values(status="placed", party_id=bindparam("placed_party"), notes=bindparam("placed_notes"))
)
_PLACED = (
    select(*(c for c in inbound_email.c if c.name != "raw"))
    .where(_IDS, inbound_email.c.status == "placed")
    .order_by(inbound_email.c.id)
)
_ATTACHMENTS = (
    select(
        inbound_attachment.c.inbound_email_id,
        inbound_attachment.c.id,
        inbound_attachment.c.filename,
        inbound_attachment.c.content_type,
        inbound_attachment.c.size,
        inbound_attachment.c.dropped,
    )
    .where(inbound_attachment.c.inbound_email_id.in_(bindparam("ids", expanding=True)))
    .order_by(inbound_attachment.c.id)
)
_ROUTED = (
    update(inbound_email)
    .where(inbound_email.c.id == bindparam("routed_id"), inbound_email.c.status == "placed")
    .values(status="routed", claimed_by=bindparam("claimed"), routed_at=bindparam("at"))
)


def _place(app: Crm, inbound_ids: Sequence[int]) -> list[InboundEmail]:
    """Step 1 for those of ``inbound_ids`` no other router has done, in one transaction; the
    messages that are placed (now or before)."""
    settings: ChannelsSettings = app.settings_of["channels"]
    ids = {"ids": list(inbound_ids)}
    with app.transaction(SYSTEM) as tx:
        # Taken first, so that a second router waits here and then finds nothing to do.
        taken = set(tx.conn.execute(_TAKE, ids).scalars())
        interactions: list[Interaction] = []
        placings: list[dict[str, Any]] = []
        for row in tx.conn.execute(_ROWS, ids).all() if taken else []:
            if row.id not in taken or take_report(tx, row):
                continue
            party_id, why_not = row.party_id, None
            if party_id is None:
                party_id, why_not = _resolve(tx, row, settings)
            if party_id is not None:
                interactions.append(_interaction(row, party_id))
            notes = [*row.notes, why_not] if why_not else row.notes
            placings.append({"placed_id": row.id, "placed_party": party_id, "placed_notes": notes})
        log_interactions(tx, interactions)
        if placings:
            tx.conn.execute(_PLACE, placings)
        rows = tx.conn.execute(_PLACED, ids).all()
        attachments: dict[int, list[AttachmentInfo]] = {}
        for a in tx.conn.execute(_ATTACHMENTS, {"ids": [r.id for r in rows]}) if rows else []:
            attachments.setdefault(a.inbound_email_id, []).append(AttachmentInfo(*a[1:]))
        return [_message(row, attachments.get(row.id, [])) for row in rows]


def _message(row: Any, attachments: Sequence[AttachmentInfo]) -> InboundEmail:
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
        attachments=tuple(attachments),
        notes=tuple(row.notes),
        recipients=tuple(r.lower() for r in row.recipients),
    )


def _routed(app: Crm, claims: Sequence[tuple[int, str | None]]) -> None:
    """The end of step 2, in one transaction: who claimed each message, and its auto-answer."""
    with app.transaction(SYSTEM) as tx:
        for inbound_id, claimed_by in claims:
            done = tx.conn.execute(
                _ROUTED, {"routed_id": inbound_id, "claimed": claimed_by, "at": utcnow()}
            )
            if done.rowcount == 1:
                auto_answer.answer(tx, inbound_id)


def _failed(app: Crm, inbound_id: int, error: Exception) -> None:
    """Count a failed routing of the message against it (logged); never raises."""
    log.error("routing inbound email %s failed", inbound_id, exc_info=error)
    try:
        _count_failure(app, inbound_id, error)
    except Exception:
        log.exception("recording the failure of inbound email %s failed", inbound_id)


def _count_failure(app: Crm, inbound_id: int, error: Exception) -> None:
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
    route_each(app, [inbound_id])


def route_each(app: Crm, inbound_ids: Sequence[int]) -> None:
    """:func:`route` for each of ``inbound_ids``, the steps done for them together; never raises."""
    try:
        placed = _place(app, inbound_ids)
    except Exception as exc:
        _one_by_one(app, inbound_ids, exc, lambda one: route_each(app, one))
        return
    claims: list[tuple[int, str | None]] = []
    for message in placed:
        try:
            claims.append((message.id, app.route_inbound(message)))
        except Exception as exc:
            _failed(app, message.id, exc)
    if not claims:
        return
    try:
        _routed(app, claims)
    except Exception as exc:
        claimed = dict(claims)
        _one_by_one(app, list(claimed), exc, lambda one: _routed(app, [(one[0], claimed[one[0]])]))


def _one_by_one(
    app: Crm, inbound_ids: Sequence[int], error: Exception, step: Callable[[list[int]], None]
) -> None:
    """After ``step`` failed with ``error`` for ``inbound_ids`` together: for each alone, the
    failure counted against the message it fails for."""
    if len(inbound_ids) == 1:
        _failed(app, inbound_ids[0], error)
        return
    for inbound_id in inbound_ids:
        try:
            step([inbound_id])
        except Exception as exc:
            _failed(app, inbound_id, exc)


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
    for first in range(0, len(ids), PENDING_BATCH):
        route_each(app, ids[first : first + PENDING_BATCH])
    return len(ids)
