"""The outboxes, one per channel: what the delivery job and the timeline need to know of each."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from attrs import frozen
from sqlalchemy import Table

from crmkit_channels.tables import email, sms


@frozen
class Outbox:
    """A channel's outbox table and how its messages read on the timeline."""

    channel: str
    """The consent channel and the interaction channel: ``email``, ``sms``."""
    table: Table
    verb: str
    """What the timeline says a missing consent did not allow: ``email``, ``text``."""
    carrier: str
    """Who takes the messages over: ``the relay``, ``the gateway``."""
    subject_of: Callable[[Any], str]
    """A message's subject line on the timeline."""
    reference_of: Callable[[Any], str]
    """How a reader finds the message at the carrier (Message-ID, message SID)."""
    receipt_column: str | None = None
    """The column storing the carrier's id of an accepted message, if it gives one."""

    @property
    def ref_kind(self) -> str:
        """How an interaction refers to a message of this outbox: ``channels.email``."""
        return f"channels.{self.channel}"


def _sms_subject(row: Any) -> str:
    first_line = row.body.strip().splitlines()[0] if row.body.strip() else ""
    return first_line if len(first_line) <= 80 else first_line[:79] + "…"


def _sms_reference(row: Any) -> str:
    parts = [f"{row.segments} {row.encoding} segment{'s' if row.segments != 1 else ''}"]
    if row.sid:
        parts.append(f"SID {row.sid}")
    return ", ".join(parts)


EMAIL = Outbox(
    channel="email",
    table=email,
    verb="email",
    carrier="the relay",
    # An email that failed before it was rendered has no subject yet.
    subject_of=lambda row: row.subject or "(not rendered)",
    reference_of=lambda row: f"Message-ID {row.message_id}",
)
SMS = Outbox(
    channel="sms",
    table=sms,
    verb="text",
    carrier="the gateway",
    subject_of=_sms_subject,
    reference_of=_sms_reference,
    receipt_column="sid",
)
