"""Reading the reports mail servers send back: delivery status notifications and spam complaints.

A DSN (RFC 3464) is a ``multipart/report`` with a ``message/delivery-status`` part:
per recipient an ``Action`` and a ``Status`` (5.x.x permanent, 4.x.x transient),
and the returned message or its headers, whose ``Message-ID`` names our email.
An ARF feedback report (RFC 5965) has a ``message/feedback-report`` part instead.
Many servers send bounces that follow neither; those are recognised by their
null sender or ``MAILER-DAEMON``/``postmaster`` From and the Message-IDs they quote.
"""

from __future__ import annotations

import re
from email import message_from_bytes, message_from_string, policy
from email.message import Message
from email.parser import BytesHeaderParser
from email.utils import parseaddr

from attrs import frozen

MESSAGE_ID = re.compile(r"<[^<>\s@]+@[^<>\s]+>")
BOUNCE_SENDERS = ("mailer-daemon", "postmaster")
REPORT_PARTS = (b"message/delivery-status", b"message/feedback-report")
"""The content types of a report's parts, as bytes: a message without either is no DSN or ARF."""
NOT_YET = re.compile(r"delay|warning|still trying|will retry", re.IGNORECASE)
"""Subjects of notices that a server is still trying: a transient state, not a bounce."""


@frozen
class Outcome:
    """What a report says of one recipient of one of our emails."""

    kind: str
    """``bounce`` (permanent), ``soft_bounce`` (transient) or ``complaint``."""
    detail: str
    """The DSN's Status and diagnostic, or the complaint's feedback type."""


@frozen
class Report:
    """A report: the Message-IDs it names (the original first) and what it says happened."""

    message_ids: tuple[str, ...]
    outcome: Outcome


def _parts(message: Message) -> list[Message]:
    return [p for p in message.walk() if isinstance(p, Message)]


def _fields(part: Message) -> list[Message]:
    """The field blocks of a ``message/delivery-status`` or ``message/feedback-report`` part."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, Message)]
    text = payload if isinstance(payload, str) else ""
    return [message_from_string(block) for block in re.split(r"\r?\n\r?\n", text) if block.strip()]


def _returned_ids(message: Message) -> list[str]:
    """Message-IDs of the returned message (``message/rfc822`` or ``text/rfc822-headers``)."""
    found: list[str] = []
    for part in _parts(message):
        kind = part.get_content_type()
        if kind == "message/rfc822":
            inner = part.get_payload()
            for original in inner if isinstance(inner, list) else []:
                if isinstance(original, Message):
                    found.extend(MESSAGE_ID.findall(str(original.get("Message-ID", ""))))
        elif kind == "text/rfc822-headers":
            payload = part.get_payload(decode=True)
            text = payload.decode("ascii", "replace") if isinstance(payload, bytes) else ""
            headers = message_from_string(text)
            found.extend(MESSAGE_ID.findall(str(headers.get("Message-ID", ""))))
    return found


def _dsn_outcome(blocks: list[Message]) -> Outcome | None:
    """The worst of the per-recipient blocks: a permanent failure before a transient one."""
    worst: Outcome | None = None
    for block in blocks:
        action = str(block.get("Action", "")).strip().lower()
        status = str(block.get("Status", "")).strip()
        if action not in ("failed", "delayed"):
            continue
        diagnostic = str(block.get("Diagnostic-Code", "")).partition(";")[2].strip()
        detail = f"{status} {diagnostic}".strip() or action
        if action == "failed" and status.startswith("5"):
            return Outcome("bounce", detail)
        worst = worst or Outcome("soft_bounce", detail)
    return worst


def _quoted_ids(raw: bytes) -> list[str]:
    return MESSAGE_ID.findall(raw.decode("ascii", "replace"))


def _is_bounce_sender(message: Message, envelope_from: str) -> bool:
    if envelope_from in ("", "<>"):
        return True
    local = parseaddr(str(message.get("From", "")))[1].partition("@")[0].lower()
    return local in BOUNCE_SENDERS


def read_report(raw: bytes, envelope_from: str) -> Report | None:
    """The report ``raw`` is, or None when it is an ordinary message."""
    lowered = raw.lower()
    if not any(kind in lowered for kind in REPORT_PARTS):
        # No part can be a report: its headers alone tell a bounce without one. Most inbound
        # mail ends here, spared a parse of its body.
        headers = BytesHeaderParser(policy=policy.compat32).parsebytes(raw)
        return _bounce_without_report(headers, raw, envelope_from)
    message = message_from_bytes(raw, policy=policy.compat32)
    own_id = MESSAGE_ID.findall(str(message.get("Message-ID", "")))
    for part in _parts(message):
        kind = part.get_content_type()
        if kind == "message/feedback-report":
            feedback = {k.lower(): str(v) for b in _fields(part) for k, v in b.items()}
            detail = f"feedback type {feedback.get('feedback-type', 'abuse').strip()}"
            ids = _returned_ids(message) or [i for i in _quoted_ids(raw) if i not in own_id]
            return Report(tuple(ids), Outcome("complaint", detail))
        if kind == "message/delivery-status":
            outcome = _dsn_outcome(_fields(part))
            if outcome is None:  # delivered, relayed, expanded: nothing went wrong
                return None
            ids = _returned_ids(message) or [i for i in _quoted_ids(raw) if i not in own_id]
            return Report(tuple(ids), outcome)
    return _bounce_without_report(message, raw, envelope_from)


def _bounce_without_report(message: Message, raw: bytes, envelope_from: str) -> Report | None:
    if not _is_bounce_sender(message, envelope_from):
        return None
    own_id = MESSAGE_ID.findall(str(message.get("Message-ID", "")))
    ids = [i for i in _quoted_ids(raw) if i not in own_id]
    if not ids:
        return None
    transient = NOT_YET.search(str(message.get("Subject", "")))
    kind = "soft_bounce" if transient else "bounce"
    return Report(tuple(ids), Outcome(kind, "returned without a delivery status"))
