"""crmkit-channels: outbound email and SMS with consent at send time and deliveries that never go twice.

Other plugins call :func:`send` inside their own transaction, and a plugin claiming
inbound mail in ``route_inbound`` is given an :class:`InboundEmail`; the rest is internal.
"""

from __future__ import annotations

from crmkit_channels.mail_routing import AttachmentInfo, InboundEmail
from crmkit_channels.outbox import EmailMessage, Outbound, send
from crmkit_channels.sms_outbox import SmsMessage, SmsOutbound

__all__ = [
    "AttachmentInfo",
    "EmailMessage",
    "InboundEmail",
    "Outbound",
    "SmsMessage",
    "SmsOutbound",
    "send",
]
