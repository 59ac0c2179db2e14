"""Whether a message may go out now: checked when it is sent and again when it is handed over."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from attrs import frozen
from sqlalchemy import Connection

from crmkit import consenting
from crmkit_channels import timeline
from crmkit_channels.outboxes import EMAIL, Outbox
from crmkit_channels.suppression import why_suppressed_each


@frozen
class _Addressed:
    party_id: int
    purpose: str
    transactional: bool
    recipient: str


def why_not_sent(
    conn: Connection,
    outbox: Outbox,
    *,
    party_id: int,
    purpose: str,
    transactional: bool,
    recipient: str,
) -> str | None:
    """Why the message is ``suppressed`` (a suppressed address, no consent); None if it may go.

    The suppression list holds for transactional email too: the address bounced
    for good or its owner reported the CRM's mail as spam.
    """
    [reason] = why_not_sent_each(
        conn, outbox, [_Addressed(party_id, purpose, transactional, recipient)]
    )
    return reason


def why_not_sent_each(
    conn: Connection, outbox: Outbox, messages: Sequence[Any]
) -> list[str | None]:
    """:func:`why_not_sent` for each of ``messages`` (outbox rows), in a query or two for them all."""
    suppressed = (
        why_suppressed_each(conn, {m.recipient for m in messages}) if outbox is EMAIL else {}
    )
    # A transport's message carries its own consent channel.
    asked: dict[str, set[tuple[int, str]]] = {}
    for m in messages:
        if not m.transactional:
            asked.setdefault(_channel(outbox, m), set()).add((m.party_id, m.purpose))
    allowed = {
        (channel, *pair)
        for channel, pairs in asked.items()
        for pair in consenting(conn, pairs, channel)
    }
    reasons: list[str | None] = []
    for m in messages:
        if m.recipient in suppressed:
            reasons.append(suppressed[m.recipient])
        elif m.transactional or (_channel(outbox, m), m.party_id, m.purpose) in allowed:
            reasons.append(None)
        else:
            reasons.append(timeline.no_consent(outbox, m.purpose))
    return reasons


def _channel(outbox: Outbox, message: Any) -> str:
    return getattr(message, "channel", None) or outbox.channel
