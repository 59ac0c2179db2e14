"""ADF leads by e-mail, through the channels plugin's inbound mail (``route_inbound``).

A message to a lead mailbox (``mail_addresses``; any message when none is named) is read
for ADF: each attachment that is an ADF document (by its root element, whatever its
content type), else the text of the message when it is one. Each document is taken in as
from the public route, source ``mail_source``; the message is claimed (``"dms"``) when one
was. A message routed again after a crash finds its documents in the log (same source,
same bytes) and takes nothing twice. A document that cannot be read leaves the message
unclaimed, an ordinary e-mail on the sender's timeline; nothing of it is stored.
"""

from __future__ import annotations

import logging
from typing import Any

from crmkit import SYSTEM, Crm, ValidationError
from crmkit_dms.formats.receiving import receive_in_own_transaction, settings_of

log = logging.getLogger(__name__)
CLAIM = "dms"


def _is_adf(content: bytes) -> bool:
    head = content[:2000].lstrip().lower()
    return head.startswith(b"<") and b"<adf" in head


def _documents(crm: Crm, message: Any) -> list[bytes]:
    from crmkit_channels import attachment_content

    found = []
    with crm.read() as conn:
        for attachment in message.attachments:
            content = (
                None if attachment.dropped else attachment_content(conn, message, attachment.id)
            )
            if content and _is_adf(content):
                found.append(content)
    text = message.text.encode()
    if not found and _is_adf(text):
        found.append(text)
    return found


def route_inbound(app: Crm, message: Any) -> str | None:
    """``"dms"`` when the message carried an ADF document that was taken in, else None."""
    try:
        from crmkit_channels import InboundEmail
    except ImportError:
        return None
    if not isinstance(message, InboundEmail):
        return None
    settings = settings_of(app)
    if settings.mail_addresses and not set(message.recipients) & set(settings.mail_addresses):
        return None
    claimed = None
    for body in _documents(app, message):
        if len(body) > settings.max_document_bytes:
            log.warning(
                "inbound email %s: an ADF document larger than allowed was skipped", message.id
            )
            continue
        try:
            receive_in_own_transaction(app, SYSTEM, body, source=settings.mail_source, fmt="adf")
        except ValidationError as refused:
            log.warning("inbound email %s: ADF refused: %s", message.id, refused.reason)
            continue
        claimed = CLAIM
    return claimed
