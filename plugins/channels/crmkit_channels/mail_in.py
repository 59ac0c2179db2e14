"""``crmkit channels mail-in``: an SMTP server taking the mail of the configured domains.

A message is stored and committed before the server answers 250 to its DATA: a
server that dies before that answer has promised nothing, and the sender tries
again. A message sent again (same Message-ID) is answered 250 and not stored
twice. Routing follows the answer (:mod:`crmkit_channels.mail_routing`), on a
thread of its own: the messages stored while it routes are routed together next.
"""

from __future__ import annotations

import logging
import queue
import signal
import threading
import time

import click
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from crmkit import ConfigurationError, Crm
from crmkit_channels.mail_routing import route_each
from crmkit_channels.mail_store import store
from crmkit_channels.settings import ChannelsSettings, MailInSettings

log = logging.getLogger(__name__)

MOST_ROUTED_AT_ONCE = 20
"""Messages routed in one batch at most: bounds how long storing waits for routing to commit."""
GATHERING_SECONDS = 0.05
"""How long the router waits for more messages to route with the first: each batch costs two
transactions, which take their turn with storing (the 250s) for the database."""


class Router:
    """Routes stored messages on a thread of its own, those that queued up meanwhile together."""

    def __init__(self, app: Crm, most: int = MOST_ROUTED_AT_ONCE) -> None:
        self._app = app
        self._most = most
        self._queue: queue.SimpleQueue[int | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, inbound_id: int) -> None:
        self._queue.put(inbound_id)
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._serve, name="crmkit-mail-in-router", daemon=True
                )
                self._thread.start()

    def stop(self) -> None:
        """Route what was submitted so far, then end the thread."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join()

    def _serve(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            until = time.monotonic() + GATHERING_SECONDS
            while len(batch) < self._most:
                try:
                    more = self._queue.get(timeout=max(until - time.monotonic(), 0))
                except queue.Empty:
                    break
                if more is None:
                    stopping = True
                    break
                batch.append(more)
            route_each(self._app, batch)


class MailIn:
    """The aiosmtpd handler: refuses foreign domains, stores each message once, then routes it."""

    def __init__(self, app: Crm, settings: MailInSettings) -> None:
        self.app = app
        self.settings = settings
        self.router = Router(app)

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
            self.router.submit(inbound_id)
        return "250 2.0.0 stored"


class MailInServer(Controller):
    """The SMTP server of :class:`MailIn`: stopping it finishes routing what it stored."""

    handler: MailIn

    def stop(self, no_assert: bool = False) -> None:
        super().stop(no_assert)
        self.handler.router.stop()


def server(app: Crm, host: str, port: int) -> Controller:
    """An SMTP server for ``app`` on ``host``:``port``, not yet started."""
    settings: ChannelsSettings = app.settings_of["channels"]
    if not settings.mail_in.domains:
        raise ConfigurationError(
            "plugins.channels.mail_in.domains", "name the domains to take mail for"
        )
    return MailInServer(
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
