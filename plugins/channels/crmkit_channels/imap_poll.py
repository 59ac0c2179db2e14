"""Taking the mail of a mailbox elsewhere over IMAP, each message stored once however the poller ends.

One transaction per message stores it (:func:`crmkit_channels.mail_store.store`,
exactly as ``mail-in`` does) and advances the mailbox's highest stored UID in
``channels_imap_mailbox``. Only after that commit is the message marked read
(or moved): a poller that dies in between has lost nothing, and the next
session marks what was stored and left behind. Routing follows, as after
mail-in's 250 (:func:`crmkit_channels.mail_routing.route`).
"""

from __future__ import annotations

import logging
import random
import ssl
import threading
import time
from contextlib import suppress
from email import policy
from email.parser import BytesHeaderParser
from email.utils import getaddresses, parseaddr

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError
from sqlalchemy import insert, select, update

from crmkit import SYSTEM, Crm, Transaction, utcnow
from crmkit_channels.imap_tables import imap_mailbox
from crmkit_channels.mail_routing import route
from crmkit_channels.mail_store import store
from crmkit_channels.settings import ChannelsSettings, ImapMailbox

log = logging.getLogger(__name__)

SEEN = b"\\Seen"
FLAGGED = b"\\Flagged"


class LoginRefused(Exception):
    """The server refused the mailbox's user name or password."""


def connect(mailbox: ImapMailbox) -> IMAPClient:
    """A logged-in connection to ``mailbox``'s server, its certificate verified."""
    context = ssl.create_default_context(cafile=mailbox.ca_file)
    client = IMAPClient(
        mailbox.host,
        mailbox.port,
        ssl=mailbox.security == "tls",
        ssl_context=context,
        timeout=mailbox.timeout,
    )
    try:
        if mailbox.security == "starttls":
            client.starttls(context)
        client.login(mailbox.username, mailbox.password)
    except LoginError as exc:
        _drop(client)
        raise LoginRefused(
            f"mailbox {mailbox.name}: {mailbox.host}:{mailbox.port} refused the login of "
            f"{mailbox.username!r}: {exc}"
        ) from None
    except BaseException:
        _drop(client)
        raise
    return client


def _drop(client: IMAPClient) -> None:
    """Close the connection without a word to the server, which may be gone already."""
    with suppress(OSError):
        client.shutdown()


def envelope(raw: bytes) -> tuple[str, list[str]]:
    """The sender and recipients as the delivering server saw them (``Return-Path``,
    ``Delivered-To``): what SMTP's envelope tells ``mail-in``."""
    headers = BytesHeaderParser(policy=policy.compat32).parsebytes(raw)
    return_path = headers.get("Return-Path")
    # Without Return-Path the From stands in: an empty sender would mark the message a bounce.
    sender = parseaddr(str(return_path if return_path is not None else headers.get("From", "")))
    delivered = [str(v) for v in headers.get_all("Delivered-To", [])]
    return sender[1], [address for _, address in getaddresses(delivered) if address]


def _begin(tx: Transaction, name: str, uidvalidity: int) -> int:
    """The highest UID stored of the folder with ``uidvalidity``: 0 for a folder new to the CRM."""
    row = tx.conn.execute(select(imap_mailbox).where(imap_mailbox.c.name == name)).first()
    if row is not None and row.uidvalidity == uidvalidity:
        last_uid: int = row.last_uid
        return last_uid
    values = {"uidvalidity": uidvalidity, "last_uid": 0, "updated_at": utcnow()}
    if row is None:
        tx.conn.execute(insert(imap_mailbox).values(name=name, **values))
    else:
        log.warning(
            "mailbox %s: UIDVALIDITY changed from %s to %s; reading the folder again from its "
            "first message (what was stored before is not stored again)",
            name,
            row.uidvalidity,
            uidvalidity,
        )
        tx.conn.execute(update(imap_mailbox).where(imap_mailbox.c.name == name).values(values))
    return 0


def _advance(tx: Transaction, name: str, uidvalidity: int, uid: int) -> bool:
    """Move the mailbox past ``uid``; False when another poller has (it stores the message)."""
    # The update locks the row: a second poller of the mailbox waits here, then finds it done.
    done = tx.conn.execute(
        update(imap_mailbox)
        .where(
            imap_mailbox.c.name == name,
            imap_mailbox.c.uidvalidity == uidvalidity,
            imap_mailbox.c.last_uid < uid,
        )
        .values(last_uid=uid, updated_at=utcnow())
    )
    return done.rowcount == 1


class Poller:
    """Takes the mail of one mailbox: once, or until stopped, reconnecting after failures."""

    def __init__(self, app: Crm, mailbox: ImapMailbox) -> None:
        self.app = app
        self.mailbox = mailbox
        settings: ChannelsSettings = app.settings_of["channels"]
        self.limits = settings.mail_in
        self.imap = settings.imap
        self.failures = 0

    def once(self) -> bool:
        """Take what the folder holds now; False when that failed (it is logged)."""
        return self._connected(None)

    def run(self, stop: threading.Event) -> None:
        """Take the folder's mail as it comes until ``stop`` is set; a failure is logged, then
        the poller connects again after a wait that doubles up to ``max_backoff_seconds``."""
        while not stop.is_set():
            if self._connected(stop):
                return
            self.failures += 1
            wait = min(2.0 ** (self.failures - 1), self.imap.max_backoff_seconds)
            stop.wait(wait * random.uniform(0.5, 1.0))

    def _connected(self, stop: threading.Event | None) -> bool:
        server = f"{self.mailbox.host}:{self.mailbox.port}"
        try:
            client = connect(self.mailbox)
        except LoginRefused as exc:
            log.error("%s", exc)
            return False
        except Exception as exc:
            self._failed(f"cannot connect to {server}", exc)
            return False
        try:
            self._session(client, stop)
            client.logout()
        except Exception as exc:
            self._failed(f"the session with {server} failed", exc)
            _drop(client)
            return False
        return True

    def _failed(self, what: str, exc: Exception) -> None:
        # The network's and the server's failures are expected: a line. Anything else: its traceback.
        expected = isinstance(exc, IMAPClientError | OSError)
        log.error("mailbox %s: %s: %r", self.mailbox.name, what, exc, exc_info=not expected)

    def _session(self, client: IMAPClient, stop: threading.Event | None) -> None:
        uidvalidity = int(client.select_folder(self.mailbox.folder)[b"UIDVALIDITY"])
        if self.mailbox.move_to is not None and not client.has_capability("MOVE"):
            raise IMAPClientError("the server offers no MOVE, which move_to needs")
        with self.app.transaction(SYSTEM) as tx:
            last_uid = _begin(tx, self.mailbox.name, uidvalidity)
        self._finish_left_behind(client, last_uid)
        while True:
            last_uid = self._poll(client, uidvalidity, last_uid, stop)
            self.failures = 0
            if stop is None or not self._wait(client, stop):
                return

    def _poll(
        self, client: IMAPClient, uidvalidity: int, last_uid: int, stop: threading.Event | None
    ) -> int:
        """Store the messages after ``last_uid``, one by one, until done or stopped: the highest
        UID now done."""
        # "n:*" always matches the highest UID, even one below n.
        uids = sorted(u for u in client.search(["UID", f"{last_uid + 1}:*"]) if u > last_uid)
        if not uids:
            return last_uid
        sizes = client.fetch(uids, ["RFC822.SIZE"])
        for uid in uids:
            if stop is not None and stop.is_set():
                return last_uid
            last_uid = uid
            if uid not in sizes:
                continue  # expunged meanwhile
            size = int(sizes[uid][b"RFC822.SIZE"])
            if size > self.limits.max_message_bytes:
                self._refuse(client, uidvalidity, uid, size)
                continue
            # PEEK: the server must not mark it read before it is stored.
            fetched = client.fetch([uid], ["BODY.PEEK[]"]).get(uid, {}).get(b"BODY[]")
            if fetched is None:
                continue
            raw = bytes(fetched)
            sender, recipients = envelope(raw)
            with self.app.transaction(SYSTEM) as tx:
                mine = _advance(tx, self.mailbox.name, uidvalidity, uid)
                inbound_id = store(tx, raw, sender, recipients, self.limits) if mine else None
            if mine:
                self._finish(client, [uid])
            if inbound_id is not None:
                route(self.app, inbound_id)
        return last_uid

    def _refuse(self, client: IMAPClient, uidvalidity: int, uid: int, size: int) -> None:
        """Leave a message over ``max_message_bytes`` in the folder, unread and flagged."""
        log.warning(
            "mailbox %s: message UID %s has %s bytes, more than max_message_bytes (%s): "
            "not taken, left in %s unread and flagged",
            self.mailbox.name,
            uid,
            size,
            self.limits.max_message_bytes,
            self.mailbox.folder,
        )
        client.add_flags([uid], [FLAGGED], silent=True)
        with self.app.transaction(SYSTEM) as tx:
            _advance(tx, self.mailbox.name, uidvalidity, uid)

    def _finish(self, client: IMAPClient, uids: list[int]) -> None:
        """Mark stored messages read, or move them away."""
        if self.mailbox.move_to is None:
            client.add_flags(uids, [SEEN], silent=True)
        else:
            client.move(uids, self.mailbox.move_to)

    def _finish_left_behind(self, client: IMAPClient, last_uid: int) -> None:
        """Mark or move what was stored while the poller died before it could (flagged ones
        are those left for their size)."""
        if last_uid == 0:
            return
        criteria = ["UID", f"1:{last_uid}", "UNFLAGGED"]
        if self.mailbox.move_to is None:
            criteria.append("UNSEEN")
        left = client.search(criteria)
        if left:
            log.info(
                "mailbox %s: finishing %s messages stored before", self.mailbox.name, len(left)
            )
            self._finish(client, list(left))

    def _wait(self, client: IMAPClient, stop: threading.Event) -> bool:
        """Wait for new mail, with IDLE where the server offers it; False when stopping."""
        if not client.has_capability("IDLE"):
            return not stop.wait(self.imap.poll_seconds)
        client.idle()
        try:
            renew = time.monotonic() + self.imap.idle_seconds
            while not stop.is_set() and time.monotonic() < renew:
                asked = time.monotonic()
                if client.idle_check(timeout=1.0):
                    break
                if time.monotonic() - asked < 0.5:
                    break  # woken with nothing to read: the server hung up (idle_done tells)
        finally:
            client.idle_done()
        return not stop.is_set()


def poll_once(app: Crm) -> list[str]:
    """Take what each configured mailbox holds now: the names of those that failed (logged)."""
    settings: ChannelsSettings = app.settings_of["channels"]
    return [m.name for m in settings.imap.mailboxes if not Poller(app, m).once()]
