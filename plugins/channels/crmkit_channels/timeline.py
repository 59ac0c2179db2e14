"""Each outcome of a message on its party's timeline, as an interaction of the message's channel."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from crmkit import Interaction, Transaction, build_interaction, log_interactions
from crmkit_channels.outboxes import EMAIL, Outbox

SOURCE = "channels"
REF_KIND = EMAIL.ref_kind
"""How an interaction refers to an email, e.g. the reply that answers it."""
SUMMARIES = {
    "sent": "Sent to {recipient}",
    "delivered": "Delivered to {recipient}",
    "undelivered": "Not delivered to {recipient}: {reason}",
    "failed": "Not sent to {recipient}: {reason}",
    "suppressed": "Not sent to {recipient}: {reason}",
    "unknown": (
        "Perhaps sent to {recipient}: {reason}; check with {carrier} before sending it again"
    ),
}


def no_consent(outbox: Outbox, purpose: str) -> str:
    return f"no consent to {outbox.verb} for {purpose}"


def record(
    tx: Transaction, outbox: Outbox, message: Any, outcome: str, reason: str | None = None
) -> None:
    """Log ``outcome`` (see ``SUMMARIES``) of ``message`` of ``outbox`` on its party's timeline."""
    record_each(tx, outbox, [message], outcome, reason)


def record_each(
    tx: Transaction,
    outbox: Outbox,
    messages: Sequence[Any],
    outcome: str,
    reason: str | None = None,
) -> None:
    """:func:`record` for each of ``messages``, logged together (a batch's outcomes)."""
    # A transport's message to nobody in particular (a page post) has no timeline.
    log_interactions(
        tx,
        [_interaction(outbox, m, outcome, reason) for m in messages if m.party_id is not None],
    )


def _interaction(outbox: Outbox, message: Any, outcome: str, reason: str | None) -> Interaction:
    summary = SUMMARIES[outcome].format(
        recipient=message.recipient, reason=reason or "", carrier=outbox.carrier
    )
    return build_interaction(
        {
            "party_id": message.party_id,
            # A transport's message carries its own channel.
            "channel": getattr(message, "channel", None) or outbox.channel,
            "direction": "outbound",
            "subject": outbox.subject_of(message)[:500],
            "summary": f"{summary} ({outbox.reference_of(message)})"[:4000],
            "outcome": outcome,
            "refs": [{"kind": outbox.ref_kind, "id": str(message.id)}],
        },
        source=SOURCE,
    )
