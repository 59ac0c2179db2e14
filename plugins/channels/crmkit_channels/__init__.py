"""crmkit-channels: outbound email and SMS with consent at send time and deliveries that never go twice.

Other plugins call :func:`send` inside their own transaction, and a plugin claiming
inbound mail in ``route_inbound`` is given an :class:`InboundEmail` (its attachments'
bytes through :func:`attachment_content`); a campaign reads
its emails' opens, clicks and bounces with :func:`delivery_states`, an administrator
the suppression list with :func:`list_suppressions`; the rest is internal.
"""

from __future__ import annotations

from crmkit_channels.auto_answer import answer_inbound
from crmkit_channels.mail_routing import AttachmentInfo, InboundEmail, attachment_content
from crmkit_channels.outbox import EmailMessage, Outbound, send, send_many
from crmkit_channels.sms_outbox import SmsMessage, SmsOutbound
from crmkit_channels.states import (
    DeliveryStates,
    MessageState,
    SmsState,
    delivery_states,
    sms_states,
)
from crmkit_channels.suppression import Suppression, list_suppressions, remove_suppression
from crmkit_channels.transports import (
    ChannelMessage,
    ChannelOutbound,
    ChannelState,
    Delivery,
    Later,
    Never,
    Sent,
    Transport,
    Unknown,
    channel_states,
)

__all__ = [
    "AttachmentInfo",
    "ChannelMessage",
    "ChannelOutbound",
    "ChannelState",
    "Delivery",
    "DeliveryStates",
    "EmailMessage",
    "InboundEmail",
    "Later",
    "MessageState",
    "Never",
    "Outbound",
    "Sent",
    "SmsMessage",
    "SmsOutbound",
    "SmsState",
    "Suppression",
    "Transport",
    "Unknown",
    "answer_inbound",
    "attachment_content",
    "channel_states",
    "delivery_states",
    "list_suppressions",
    "remove_suppression",
    "send",
    "send_many",
    "sms_states",
]
