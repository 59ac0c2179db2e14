"""A real SMTP server on loopback (aiosmtpd) that keeps every message it accepts, for tests of
what a CRM emails."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any


class SmtpInbox:
    """An aiosmtpd handler: ``messages`` holds each message accepted, parsed, in order."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 2.0.0 accepted"


@contextmanager
def smtp_relay() -> Iterator[Any]:
    """An SMTP server on 127.0.0.1 while the block runs (aiosmtpd's ``Controller``):
    ``relay.port`` to send to, ``relay.handler.messages`` what it received."""
    from aiosmtpd.controller import Controller

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(SmtpInbox(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()
