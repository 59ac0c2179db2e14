"""Whether a message may go out now: checked when it is sent and again when it is handed over."""

from __future__ import annotations

from sqlalchemy import Connection

from crmkit_channels import timeline
from crmkit_channels.consent import may_contact
from crmkit_channels.outboxes import EMAIL, Outbox
from crmkit_channels.suppression import why_suppressed


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
    if outbox is EMAIL:
        suppressed = why_suppressed(conn, recipient)
        if suppressed is not None:
            return suppressed
    if transactional or may_contact(conn, party_id, purpose, outbox.channel):
        return None
    return timeline.no_consent(outbox, purpose)
