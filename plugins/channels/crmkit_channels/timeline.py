"""Each outcome of a message on its party's timeline, as an interaction of the message's channel."""

from __future__ import annotations

from typing import Any

from crmkit import Transaction, build_interaction, log_interaction
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
    summary = SUMMARIES[outcome].format(
        recipient=message.recipient, reason=reason or "", carrier=outbox.carrier
    )
    log_interaction(
        tx,
        build_interaction(
            {
                "party_id": message.party_id,
                "channel": outbox.channel,
                "direction": "outbound",
                "subject": outbox.subject_of(message)[:500],
                "summary": f"{summary} ({outbox.reference_of(message)})"[:4000],
                "outcome": outcome,
                "refs": [{"kind": outbox.ref_kind, "id": str(message.id)}],
            },
            source=SOURCE,
        ),
    )
