"""Transports other plugins register: messages to a platform the channels plugin knows only by name.

A plugin implements the hook ``channels_transports`` returning :class:`Transport` objects.
``send(tx, ChannelMessage(transport="facebook.messenger", ...))`` records the message in
the outbox ``channels_transport_message`` of the caller's transaction; the job
``channels.deliver_transports`` hands each one, after commit, to its transport's
``deliver`` through the same delivery loop as email and SMS (lease, ``sending``, outcome
committed before the next batch, ``unknown`` after a worker died mid hand-over, never twice).

``deliver(app, row)`` answers :class:`Sent` (with the platform's id), :class:`Later` ("not
now": tried again at ``retry_at`` or after the usual backoff, the reason kept visible),
:class:`Never` (refused for good: ``failed`` with the reason on the party's timeline) or
:class:`Unknown` (the platform may have it: never sent again by itself).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import Any

from attrs import field, frozen
from sqlalchemy import Connection, insert, select

from crmkit import PermissionDenied, Transaction, ValidationError, get_party, require, utcnow
from crmkit_channels import timeline
from crmkit_channels.consent import may_contact
from crmkit_channels.handover import Handover
from crmkit_channels.outboxes import Outbox
from crmkit_channels.transport_tables import transport_message


@frozen
class Sent:
    """The platform took the message; ``receipt`` is its id of it."""

    receipt: str | None = None


@frozen
class Later:
    """Not now (a rate limit, the platform down, a token to renew): tried again later."""

    reason: str
    retry_at: datetime | None = None
    """When to try again; None: the channels plugin's exponential backoff."""


@frozen
class Never:
    """Refused for good: the message fails with ``reason``."""

    reason: str


@frozen
class Unknown:
    """The platform may have taken it (the connection broke after the request went out)."""

    reason: str


Delivery = Sent | Later | Never | Unknown


@frozen
class Transport:
    """A way out to a platform, registered by a plugin through ``channels_transports``."""

    name: str
    """``facebook.messenger``, ``facebook.comment``, ``instagram.messenger`` …"""
    deliver: Callable[[Any, Any], Delivery]
    """``deliver(app, row)``: hand one outbox row over (``row.recipient``, ``row.body``,
    ``row.payload``, ``row.rate_key``, ``row.party_id``); must not raise for what the
    platform or the network does (an exception leaves the message ``unknown``)."""
    channel: str = "message"
    """The interaction channel of its messages on the timeline, and the consent channel a
    non-transactional message needs."""
    per_second: float = field(default=1.0)
    """At most this many hand-overs a second for one ``rate_key`` (a page, an account)."""


@frozen
class ChannelMessage:
    """A message for a registered transport.

    ``party_id`` is the party it goes to (None for one to nobody in particular, a page
    post); ``recipient`` whom or what it goes to on the platform; ``rate_key`` what the
    transport's rate counts against. A ``transactional`` message (a reply to the party's own
    message) needs no consent; another needs consent for ``purpose`` on the transport's
    channel at send time and again when it is handed over.
    """

    transport: str
    recipient: str
    body: str
    party_id: int | None = None
    rate_key: str = ""
    purpose: str = "service"
    transactional: bool = False
    payload: Mapping[str, Any] = field(factory=dict)


@frozen
class ChannelOutbound:
    """A transport's message as the outbox holds it."""

    id: int
    party_id: int | None
    transport: str
    status: str
    recipient: str


def _subject(row: Any) -> str:
    first_line = row.body.strip().splitlines()[0] if row.body.strip() else ""
    return first_line if len(first_line) <= 80 else first_line[:79] + "…"


def _reference(row: Any) -> str:
    text = f"{row.transport} to {row.recipient}"
    return f"{text}, id {row.receipt}" if row.receipt else text


TRANSPORT = Outbox(
    channel="message",
    table=transport_message,
    verb="message",
    carrier="the platform",
    subject_of=_subject,
    reference_of=_reference,
    receipt_column="receipt",
)
"""The transports' outbox; each row's own ``channel`` is used on the timeline and for consent."""


def registered(app: Any) -> dict[str, Transport]:
    """The transports the enabled plugins register, by name."""
    found: dict[str, Transport] = {}
    for contributed in app.host.call("channels_transports", app=app):
        for transport in contributed or ():
            found[transport.name] = transport
    return found


def queue_message(tx: Transaction, message: ChannelMessage) -> ChannelOutbound:
    """``send`` of a transport's message: check it and store it in ``tx``."""
    transports = registered(tx.app)
    transport = transports.get(message.transport)
    if transport is None:
        known = ", ".join(sorted(transports)) or "none"
        raise ValidationError(
            "transport", f"no transport named {message.transport!r} (known: {known})"
        )
    if not message.recipient:
        raise ValidationError("recipient", "expected whom the message goes to")
    if not message.body.strip():
        raise ValidationError("body", "the message is empty")
    transactional = message.transactional
    if message.party_id is None:
        # Nobody in particular (a page post): no consent asked, no timeline.
        transactional = True
    else:
        party = get_party(tx.conn, message.party_id)
        require(tx.hooks, tx.actor, "core:party.read", party, conn=tx.conn)
    allowed = (
        transactional
        or message.party_id is None
        or may_contact(tx.conn, message.party_id, message.purpose, transport.channel)
    )
    status = "queued" if allowed else "suppressed"
    reason = (
        None if allowed else f"no consent to message on {transport.channel} for {message.purpose}"
    )
    now = utcnow()
    row = tx.conn.execute(
        insert(transport_message)
        .values(
            party_id=message.party_id,
            transport=transport.name,
            channel=transport.channel,
            rate_key=message.rate_key or transport.name,
            purpose=message.purpose,
            transactional=transactional,
            recipient=message.recipient,
            body=message.body,
            payload=dict(message.payload),
            status=status,
            attempts=0,
            next_attempt_at=now if allowed else None,
            last_error=reason,
            created_by=tx.actor.username,
            created_at=now,
            finished_at=None if allowed else now,
        )
        .returning(*transport_message.c)
    ).one()
    if not allowed:
        timeline.record(tx, TRANSPORT, row, status, reason)
    return ChannelOutbound(row.id, row.party_id, row.transport, status, row.recipient)


class TransportCarrier:
    """The delivery loop's carrier for the transports: each row to its transport's ``deliver``,
    at most ``per_second`` a second for each rate key."""

    def __init__(self, app: Any, sleep: Callable[[float], Any] = time.sleep) -> None:
        self.app = app
        self.transports = registered(app)
        self.sleep = sleep
        self.next_at: dict[tuple[str, str], float] = {}

    def _pace(self, transport: Transport, key: str) -> None:
        now = time.monotonic()
        at = self.next_at.get((transport.name, key), 0.0)
        if now < at:
            self.sleep(at - now)
        self.next_at[(transport.name, key)] = max(now, at) + 1.0 / transport.per_second

    def hand_over(self, row: Any) -> Handover:
        transport = self.transports.get(row.transport)
        if transport is None:
            return Handover("retry", f"no transport named {row.transport!r} is enabled")
        self._pace(transport, row.rate_key)
        try:
            outcome = transport.deliver(self.app, row)
        except PermissionDenied as exc:
            return Handover("failed", str(exc)[:1000])
        except Exception as exc:
            return Handover("unknown", f"{type(exc).__name__}: {exc}"[:1000])
        if isinstance(outcome, Sent):
            return Handover("sent", receipt=outcome.receipt)
        if isinstance(outcome, Later):
            return Handover("retry", outcome.reason[:1000], retry_at=outcome.retry_at)
        if isinstance(outcome, Never):
            return Handover("failed", outcome.reason[:1000])
        return Handover("unknown", outcome.reason[:1000])

    def close(self) -> None:
        return None


@frozen
class ChannelState:
    """Where a transport's message stands: ``queued`` (``last_error`` says why it waits),
    ``sending``, ``sent`` (``receipt``: the platform's id), ``failed``, ``suppressed``, ``unknown``."""

    id: int
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    receipt: str | None
    finished_at: datetime | None


def channel_states(conn: Connection, message_ids: Collection[int]) -> dict[int, ChannelState]:
    """The state of each of ``message_ids`` (transport messages ``send`` queued), by id."""
    if not message_ids:
        return {}
    t = transport_message
    rows = conn.execute(
        select(
            t.c.id,
            t.c.status,
            t.c.attempts,
            t.c.next_attempt_at,
            t.c.last_error,
            t.c.receipt,
            t.c.finished_at,
        ).where(t.c.id.in_(list(message_ids)))
    )
    return {r.id: ChannelState(*r) for r in rows}
