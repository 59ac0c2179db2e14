"""``crmkit channels mail-in``: an SMTP server taking the mail of the configured domains.

A message is stored and committed before the server answers 250 to its DATA: a
server that dies before that answer has promised nothing, and the sender tries
again. A message sent again (same Message-ID) is answered 250 and not stored
twice. Routing follows the answer (:mod:`crmkit_channels.mail_routing`).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading

import click
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from crmkit import ConfigurationError, Crm
from crmkit_channels.mail_routing import route
from crmkit_channels.mail_store import store
from crmkit_channels.settings import ChannelsSettings, MailInSettings

log = logging.getLogger(__name__)


class MailIn:
    """The aiosmtpd handler: refuses foreign domains, stores each message once, then routes it."""

    def __init__(self, app: Crm, settings: MailInSettings) -> None:
        self.app = app
        self.settings = settings
        self.routing: set[asyncio.Future[None]] = set()

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        domain = address.rpartition("@")[2].lower().rstrip(".")
        if domain not in self.settings.domains:
            return "550 5.7.1 this server takes no mail for that domain"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        # aiosmtpd gives the null sender of a bounce (MAIL FROM:<>) as "<>".
        sender = "" if envelope.mail_from in (None, "<>") else envelope.mail_from
        recipients = list(envelope.rcpt_tos)
        try:
            inbound_id = await self.app.write(
                lambda tx: store(tx, raw, sender, recipients, self.settings)
            )
        except Exception:
            # Nothing was stored: the sender keeps the message and tries again.
            log.exception("storing an inbound message failed")
            return "451 4.3.0 the message could not be stored, try again later"
        if inbound_id is not None:
            done = asyncio.get_running_loop().run_in_executor(None, route, self.app, inbound_id)
            self.routing.add(done)
            done.add_done_callback(self.routing.discard)
        return "250 2.0.0 stored"


def server(app: Crm, host: str, port: int) -> Controller:
    """An SMTP server for ``app`` on ``host``:``port``, not yet started."""
    settings: ChannelsSettings = app.settings_of["channels"]
    if not settings.mail_in.domains:
        raise ConfigurationError(
            "plugins.channels.mail_in.domains", "name the domains to take mail for"
        )
    return Controller(
        MailIn(app, settings.mail_in),
        hostname=host,
        port=port,
        data_size_limit=settings.mail_in.max_message_bytes,
        enable_SMTPUTF8=True,
        ident="crmkit mail-in",
    )


@click.command("mail-in")
@click.option("--port", type=int, required=True, help="The port to listen on (25 in production).")
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.pass_obj
def mail_in(app: Crm, port: int, host: str) -> None:
    """Take the mail of the configured domains over SMTP until stopped (Ctrl-C, SIGTERM)."""
    controller = server(app, host, port)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    controller.start()
    domains = ", ".join(app.settings_of["channels"].mail_in.domains)
    click.echo(f"taking mail for {domains} on {host}:{port}", err=True)
    try:
        while not stop.wait(1.0):
            pass
    finally:
        controller.stop()
