"""The IMAP poller against a real IMAP server on loopback (pymap, in memory), filled with real mail."""

from __future__ import annotations

import asyncio
import logging
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from email.message import EmailMessage as MimeMessage
from email.utils import make_msgid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pytest
from crmkit_channels.imap_poll import Poller, poll_once
from crmkit_channels.imap_tables import imap_mailbox
from crmkit_channels.inbound_tables import inbound_attachment, inbound_email
from crmkit_channels.mail_parsing import parse
from crmkit_channels.mail_routing import route_pending
from crmkit_channels.settings import ImapMailbox, ImapSettings, MailInSettings
from imapclient import IMAPClient
from sqlalchemy import func, select, text, update

from crmkit import SYSTEM, Crm, PluginError, timeline, utcnow
from crmkit.testing import make_app as build_app
from crmkit.testing import settings_from_file

if TYPE_CHECKING:
    from conftest import PersonMaker, Workers

CORPUS = Path(__file__).resolve().parents[4] / "shared" / "data" / "email" / "cpython_test_email"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="shared/data is not here")
USER, PASSWORD = "support", "imap-password"
MAIL_IN = {"max_message_bytes": 20_000, "vouched": True}
SEEN, FLAGGED = b"\\Seen", b"\\Flagged"
CRMKIT = [sys.executable, "-c", "from crmkit.cli.main import main; main()"]
# pymap's in-memory backend always offers IDLE; this takes it away, for a server without.
WITHOUT_IDLE = (
    "import pymap.backend.dict as d\n"
    "from pymap.config import BackendCapability\n"
    "d.Config.backend_capability = property(\n"
    "    lambda self: BackendCapability(idle=False, object_id=True, multi_append=True))\n"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class ImapServer:
    """A pymap server in a subprocess on 127.0.0.1, with one user whose INBOX starts empty."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, idle: bool = True, cert: Path | None = None) -> None:
        """Start it; with ``cert`` (its key beside it) it offers STARTTLS."""
        code = ("" if idle else WITHOUT_IDLE) + "from pymap.main import main\nmain()\n"
        key = cert.with_suffix(".key") if cert else None
        options = ["--cert", str(cert), "--key", str(key)] if cert else ["--no-tls"]
        self.process = subprocess.Popen(
            [
                sys.executable, "-c", code, "--host", "127.0.0.1", "--port", str(self.port),
                *options, "dict", "--demo-user", USER, "--demo-password", PASSWORD,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                assert self.process.poll() is None, "pymap did not start"
                assert time.monotonic() < deadline, "pymap does not listen"
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
        if self.process is not None:
            self.process.wait()

    def client(self, context: ssl.SSLContext | None = None) -> IMAPClient:
        client = IMAPClient("127.0.0.1", self.port, ssl=False, timeout=10)
        if context is not None:
            client.starttls(context)
        client.login(USER, PASSWORD)
        return client

    def append(self, raws: list[bytes], folder: str = "INBOX") -> None:
        client = self.client()
        try:
            for raw in raws:
                client.append(folder, raw)
        finally:
            client.logout()

    def uidvalidity(self, folder: str = "INBOX") -> int:
        client = self.client()
        try:
            return int(client.folder_status(folder, [b"UIDVALIDITY"])[b"UIDVALIDITY"])
        finally:
            client.logout()

    def folder(self, folder: str = "INBOX") -> dict[int, tuple[bytes, tuple[bytes, ...]]]:
        """Each message of ``folder`` by UID: its bytes and flags (read without marking it read)."""
        client = self.client()
        try:
            client.select_folder(folder, readonly=True)
            uids = client.search()
            fetched = client.fetch(uids, ["BODY.PEEK[]", "FLAGS"]) if uids else {}
        finally:
            client.logout()
        return {uid: (bytes(m[b"BODY[]"]), tuple(m[b"FLAGS"])) for uid, m in fetched.items()}


@pytest.fixture
def imap() -> Iterator[ImapServer]:
    server = ImapServer()
    server.start()
    yield server
    server.stop()


def mailbox(port: int, **overrides: Any) -> dict[str, Any]:
    return {
        "name": "support",
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "username": USER,
        "password": PASSWORD,
        "timeout": 10.0,
        **overrides,
    }


@pytest.fixture
def make_app(make_channels: Callable[..., Crm]) -> Callable[..., Crm]:
    """``make_app(port, **mailbox_overrides)``: a CRM polling the mailbox on ``port``."""
    made: list[Crm] = []

    def factory(port: int, imap: dict[str, Any] | None = None, **overrides: Any) -> Crm:
        settings = {"poll_seconds": 0.2, **(imap or {}), "mailboxes": [mailbox(port, **overrides)]}
        made.append(make_channels(create_tables=not made, mail_in=MAIL_IN, imap=settings))
        return made[-1]

    return factory


@pytest.fixture
def app(make_app: Callable[..., Crm], imap: ImapServer) -> Crm:
    return make_app(imap.port)


def corpus() -> list[bytes]:
    return [
        p.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        for p in sorted(CORPUS.glob("msg_*.txt"))
    ]


def mail(subject: str = "Question about my order", text: str = "Where is my parcel?") -> bytes:
    message = MimeMessage()
    message["Return-Path"] = "<grace@example.org>"
    message["Delivered-To"] = "support@acme.example"
    message["From"] = "Grace Hopper <grace@example.org>"
    message["To"] = "support@acme.example"
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="example.org")
    message.set_content(text)
    return message.as_bytes().replace(b"\n", b"\r\n")


def key(raw: bytes) -> str:
    return parse(raw, "", MailInSettings()).dedup_key


def stored(app: Crm) -> list[dict[str, Any]]:
    with app.read() as conn:
        rows = conn.execute(select(inbound_email).order_by(inbound_email.c.id)).all()
    return [dict(r._mapping) for r in rows]


def progress(app: Crm) -> tuple[int, int] | None:
    with app.read() as conn:
        row = conn.execute(select(imap_mailbox.c.uidvalidity, imap_mailbox.c.last_uid)).first()
    return None if row is None else (row.uidvalidity, row.last_uid)


def wait_until(condition: Callable[[], bool], what: str, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.02)


@needs_corpus
def test_the_corpus_is_stored_once_routed_and_marked_read(app: Crm, imap: ImapServer) -> None:
    raws = corpus()
    imap.append(raws)

    assert poll_once(app) == []

    rows = stored(app)
    folder = imap.folder()
    keys = {key(raw) for raw, _ in folder.values()}
    assert {r["dedup_key"] for r in rows} == keys
    assert len(rows) == len(keys) < len(raws)  # the corpus repeats some Message-IDs
    assert all(r["status"] == "routed" for r in rows)
    assert all(SEEN in flags for _, flags in folder.values())
    assert progress(app) is not None and progress(app)[1] == max(folder)  # type: ignore[index]
    fish = next(r for r in rows if r["text"] == "Hi there,\n\nThis is the dingus fish.\n")
    with app.read() as conn:
        found = conn.execute(
            select(inbound_attachment.c.filename, inbound_attachment.c.content_type)
            .add_columns(inbound_attachment.c.size)
            .where(inbound_attachment.c.inbound_email_id == fish["id"])
        ).all()
    assert [tuple(a) for a in found] == [("dingusfish.gif", "image/gif", 3512)]
    # A multipart whose start boundary never comes: stored, its defect noted, as mail-in does.
    broken = next(r for r in rows if "message 1" in r["text"] and r["subject"] == "")
    assert any("StartBoundaryNotFoundDefect" in n for n in broken["notes"])

    imap.append([mail("one more")])
    assert poll_once(app) == []
    assert [r["subject"] for r in stored(app)[len(rows) :]] == ["one more"]


def test_the_envelope_comes_from_return_path_and_delivered_to(
    app: Crm, imap: ImapServer, new_person: PersonMaker
) -> None:
    grace = new_person("grace@example.org")
    bounce = mail("Undelivered Mail Returned to Sender").replace(
        b"Return-Path: <grace@example.org>", b"Return-Path: <>"
    )
    without = mail("no return path").replace(b"Return-Path: <grace@example.org>\r\n", b"")
    imap.append([mail(), bounce, without])

    assert poll_once(app) == []

    rows = stored(app)
    assert [(r["envelope_from"], r["recipients"], r["auto_reply"]) for r in rows] == [
        ("grace@example.org", ["support@acme.example"], False),
        ("", ["support@acme.example"], True),
        ("grace@example.org", ["support@acme.example"], False),
    ]
    assert {r["party_id"] for r in rows} == {grace}
    with app.read() as conn:
        assert len([i for i in timeline(conn, grace).items if i.direction == "inbound"]) == 3


def test_a_message_the_database_cannot_take_stays_unread_and_is_taken_next_time(
    app: Crm, imap: ImapServer, caplog: pytest.LogCaptureFixture
) -> None:
    imap.append([mail()])
    with app.transaction(SYSTEM) as tx:
        tx.conn.execute(text("ALTER TABLE channels_inbound_email RENAME TO channels_away"))
    try:
        with caplog.at_level(logging.ERROR):
            assert poll_once(app) == ["support"]
    finally:
        with app.transaction(SYSTEM) as tx:
            tx.conn.execute(text("ALTER TABLE channels_away RENAME TO channels_inbound_email"))
    assert f"mailbox support: the session with 127.0.0.1:{imap.port} failed" in caplog.text
    [(_, flags)] = imap.folder().values()
    assert SEEN not in flags
    assert progress(app) is not None and progress(app)[1] == 0  # type: ignore[index]

    assert poll_once(app) == []

    assert [r["subject"] for r in stored(app)] == ["Question about my order"]
    [(_, flags)] = imap.folder().values()
    assert SEEN in flags


def test_what_was_stored_and_left_unread_by_a_dead_poller_is_marked_next_time(
    make_app: Callable[..., Crm], imap: ImapServer
) -> None:
    app = make_app(imap.port)
    imap.append([mail("first"), mail("second")])
    assert poll_once(app) == []
    # As if the poller had died between storing the messages and marking them read.
    client = imap.client()
    client.select_folder("INBOX")
    client.remove_flags(client.search(), [SEEN])
    client.logout()
    assert all(SEEN not in flags for _, flags in imap.folder().values())

    assert poll_once(app) == []

    assert all(SEEN in flags for _, flags in imap.folder().values())
    assert len(stored(app)) == 2


def test_stored_messages_are_moved_to_move_to(
    make_app: Callable[..., Crm], imap: ImapServer
) -> None:
    client = imap.client()
    client.create_folder("CRM")
    client.logout()
    app = make_app(imap.port, move_to="CRM")
    imap.append([mail("first"), mail("second")])

    assert poll_once(app) == []

    assert [r["subject"] for r in stored(app)] == ["first", "second"]
    assert imap.folder() == {}
    assert len(imap.folder("CRM")) == 2


def test_a_message_over_the_size_limit_is_left_unread_and_flagged(
    app: Crm, imap: ImapServer, caplog: pytest.LogCaptureFixture
) -> None:
    imap.append([mail("big", "x" * 30_000), mail("small")])

    with caplog.at_level(logging.WARNING):
        assert poll_once(app) == []
        assert poll_once(app) == []  # and it stays where it is

    assert [r["subject"] for r in stored(app)] == ["small"]
    big, small = sorted(imap.folder().items())
    assert FLAGGED in big[1][1] and SEEN not in big[1][1]
    assert SEEN in small[1][1]
    warning = next(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert warning.startswith(f"mailbox support: message UID {big[0]} has ")
    assert "more than max_message_bytes (20000)" in warning


def test_a_refused_login_is_an_error_naming_the_mailbox(
    make_app: Callable[..., Crm], imap: ImapServer, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(imap.port, password="wrong")
    imap.append([mail()])

    with caplog.at_level(logging.ERROR):
        assert poll_once(app) == ["support"]

    [error] = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert error.startswith(
        f"mailbox support: 127.0.0.1:{imap.port} refused the login of 'support': "
    )
    assert stored(app) == [] and progress(app) is None


def test_a_new_uidvalidity_reads_the_folder_again_and_stores_nothing_twice(
    make_app: Callable[..., Crm], imap: ImapServer
) -> None:
    app = make_app(imap.port, folder="CRM")
    first, second = mail("first"), mail("second")
    client = imap.client()
    client.create_folder("CRM")
    imap.append([first, second], "CRM")
    assert poll_once(app) == []
    before = progress(app)
    # A folder deleted and made again is a new folder to IMAP: a new UIDVALIDITY, UIDs anew.
    client.delete_folder("CRM")
    client.create_folder("CRM")
    client.logout()
    imap.append([first, second, mail("third")], "CRM")

    assert poll_once(app) == []

    assert [r["subject"] for r in stored(app)] == ["first", "second", "third"]
    after = progress(app)
    assert after is not None and before is not None and after[0] != before[0]
    folder = imap.folder("CRM")
    assert after[1] == max(folder)
    assert all(SEEN in flags for _, flags in folder.values())


def test_two_pollers_of_one_mailbox_store_each_message_once(
    app: Crm, imap: ImapServer, caplog: pytest.LogCaptureFixture
) -> None:
    imap.append([mail(f"order {n}") for n in range(30)])
    [support] = app.settings_of["channels"].imap.mailboxes
    with app.transaction(SYSTEM) as tx:  # both start from the same progress
        tx.conn.execute(
            imap_mailbox.insert().values(
                name="support", uidvalidity=imap.uidvalidity(), last_uid=0, updated_at=utcnow()
            )
        )
    results: list[bool] = []
    pollers = [
        threading.Thread(target=lambda: results.append(Poller(app, support).once()))
        for _ in range(2)
    ]

    with caplog.at_level(logging.WARNING):
        for thread in pollers:
            thread.start()
        for thread in pollers:
            thread.join(timeout=60)

    assert results == [True, True] and caplog.records == []
    assert sorted(r["subject"] for r in stored(app)) == sorted(f"order {n}" for n in range(30))
    assert all(SEEN in flags for _, flags in imap.folder().values())


def _run(poller: Poller) -> tuple[threading.Event, threading.Thread]:
    stop = threading.Event()
    thread = threading.Thread(target=poller.run, args=(stop,))
    thread.start()
    return stop, thread


def test_idle_brings_new_mail_at_once(make_app: Callable[..., Crm], imap: ImapServer) -> None:
    # Polling every 5 minutes: only IDLE can bring the second message in time.
    app = make_app(imap.port, imap={"poll_seconds": 300.0})
    imap.append([mail("before")])
    stop, thread = _run(Poller(app, app.settings_of["channels"].imap.mailboxes[0]))
    try:
        wait_until(lambda: len(stored(app)) == 1, "the first message is stored")
        imap.append([mail("while idling")])
        wait_until(lambda: len(stored(app)) == 2, "the new message is stored", seconds=5)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
    assert [r["subject"] for r in stored(app)] == ["before", "while idling"]


def test_without_idle_the_poller_asks_every_poll_seconds(
    make_app: Callable[..., Crm], caplog: pytest.LogCaptureFixture
) -> None:
    server = ImapServer()
    server.start(idle=False)
    try:
        app = make_app(server.port)
        client = server.client()
        assert not client.has_capability("IDLE")
        client.logout()
        stop, thread = _run(Poller(app, app.settings_of["channels"].imap.mailboxes[0]))
        try:
            with caplog.at_level(logging.WARNING):
                for n in range(1, 4):
                    server.append([mail(f"message {n}")])
                    wait_until(lambda n=n: len(stored(app)) == n, f"message {n} is stored")
        finally:
            stop.set()
            thread.join(timeout=10)
    finally:
        server.stop()
    assert not thread.is_alive()
    assert [r.getMessage() for r in caplog.records] == []  # no failed session, no reconnection


def test_a_dropped_connection_is_logged_and_the_poller_connects_again(
    app: Crm, imap: ImapServer, caplog: pytest.LogCaptureFixture
) -> None:
    imap.append([mail("before")])
    stop, thread = _run(Poller(app, app.settings_of["channels"].imap.mailboxes[0]))
    try:
        with caplog.at_level(logging.ERROR):
            wait_until(lambda: len(stored(app)) == 1, "the first message is stored")
            imap.stop()  # killed: the poller's connection drops mid-IDLE
            wait_until(lambda: bool(caplog.records), "the failure is logged")
            imap.start()  # a new, empty server on the same port
            imap.append([mail("after")])
            wait_until(lambda: len(stored(app)) == 2, "the poller is back", seconds=15)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert caplog.records[0].getMessage().startswith("mailbox support: ")
    assert [r["subject"] for r in stored(app)] == ["before", "after"]


class TlsFront:
    """Implicit TLS in front of a plain IMAP server, as port 993 is to 143 (pymap has only STARTTLS)."""

    def __init__(self, backend_port: int, context: ssl.SSLContext) -> None:
        self.backend_port = backend_port
        self.loop = asyncio.new_event_loop()
        self.server = self.loop.run_until_complete(
            asyncio.start_server(self._relay, "127.0.0.1", 0, ssl=context)
        )
        self.port: int = self.server.sockets[0].getsockname()[1]
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    async def _relay(self, client: asyncio.StreamReader, to_client: asyncio.StreamWriter) -> None:
        backend, to_backend = await asyncio.open_connection("127.0.0.1", self.backend_port)
        await asyncio.gather(
            self._pipe(client, to_backend), self._pipe(backend, to_client), return_exceptions=True
        )

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            writer.close()

    def stop(self) -> None:
        async def shut_down() -> None:
            self.server.close()
            relays = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for relay in relays:
                relay.cancel()
            await asyncio.gather(*relays, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shut_down(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_tls_verifies_the_servers_certificate(
    make_app: Callable[..., Crm],
    certificate: tuple[Path, ssl.SSLContext],
    caplog: pytest.LogCaptureFixture,
    security: str,
) -> None:
    server = ImapServer()
    cert, context = certificate
    server.start(cert=cert)
    front = TlsFront(server.port, context) if security == "tls" else None
    try:
        server.append([mail()])
        port = front.port if front else server.port
        trusting = make_app(port, security=security, ca_file=str(cert))
        untrusting = make_app(port, security=security)

        with caplog.at_level(logging.ERROR):
            assert poll_once(untrusting) == ["support"]
        assert "CERTIFICATE_VERIFY_FAILED" in caplog.text
        assert stored(untrusting) == []

        assert poll_once(trusting) == []
        assert [r["subject"] for r in stored(trusting)] == ["Question about my order"]
    finally:
        if front:
            front.stop()
        server.stop()


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"port": 99999}, "port: expected a port number from 1 to 65535, got 99999"),
        ({"port": 0}, "port: expected a port number from 1 to 65535, got 0"),
        ({"security": "ssl"}, "security: expected one of tls, starttls, none, got 'ssl'"),
        ({"folder": ""}, "folder: expected a folder's name (INBOX, Archive/CRM), got ''"),
        ({"move_to": " "}, "move_to: expected a folder's name (INBOX, Archive/CRM), got ' '"),
    ],
)
def test_a_bad_mailbox_setting_stops_the_start_naming_the_key_and_what_it_takes(
    make_app: Callable[..., Crm], overrides: dict[str, Any], problem: str
) -> None:
    with pytest.raises(PluginError) as refused:
        make_app(overrides.pop("port", 143), **overrides)
    assert f"plugins.channels.imap.mailboxes[0].{problem}" in str(refused.value)


def test_a_ca_file_that_cannot_be_read_stops_the_start_naming_the_path(
    make_app: Callable[..., Crm], tmp_path: Path
) -> None:
    missing, not_pem = tmp_path / "missing.pem", tmp_path / "notes.txt"
    not_pem.write_text("not a certificate")

    with pytest.raises(PluginError) as absent:
        make_app(993, security="tls", ca_file=str(missing))
    with pytest.raises(PluginError) as unreadable:
        make_app(993, security="tls", ca_file=str(not_pem))

    assert (
        f"plugins.channels.imap.mailboxes[0].ca_file: cannot read {str(missing)!r}:"
        " No such file or directory"
    ) in str(absent.value)
    assert f"ca_file: {str(not_pem)!r} holds no PEM certificate" in str(unreadable.value)


def test_the_command_refuses_to_start_without_mailboxes(
    workers: Callable[[dict[str, Any]], Workers], channel_settings: Callable[..., dict[str, Any]]
) -> None:
    env = workers(channel_settings(1, templates=())).env
    done = _command(env, "--once")
    assert done.returncode != 0
    assert "plugins.channels.imap.mailboxes: name at least one mailbox to poll" in done.stderr


def test_the_command_stops_on_sigterm_between_two_messages(
    app: Crm,
    imap: ImapServer,
    workers: Callable[[dict[str, Any]], Workers],
    channel_settings: Callable[..., dict[str, Any]],
) -> None:
    imap.append([mail(f"order {n}") for n in range(100)])
    imap_settings = {"mailboxes": [mailbox(imap.port)]}
    env = workers(channel_settings(1, templates=(), mail_in=MAIL_IN, imap=imap_settings)).env
    poller = subprocess.Popen(
        [*CRMKIT, "channels", "imap-poll"], env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        assert poller.stderr is not None
        assert poller.stderr.readline() == "polling mailboxes support\n"
        wait_until(lambda: len(stored(app)) >= 5, "5 messages are stored")
        poller.send_signal(signal.SIGTERM)
        assert poller.wait(timeout=10) == 0
    finally:
        if poller.poll() is None:
            poller.kill()
            poller.wait()
        if poller.stderr is not None:
            poller.stderr.close()
    # Stopped where it was, with what it stored marked read and the rest left for later.
    count = len(stored(app))
    assert count < 100
    state = progress(app)
    assert state is not None
    folder = imap.folder()
    assert [uid for uid, (_, flags) in folder.items() if SEEN in flags] == [
        uid for uid in sorted(folder) if uid <= state[1]
    ]
    assert len([uid for uid in folder if uid <= state[1]]) == count


def _command(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CRMKIT, "channels", "imap-poll", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _backdate_and_route(app: Crm) -> None:
    """Route what a killed poller stored and did not route, as the worker's job does."""
    from datetime import timedelta

    with app.transaction(SYSTEM) as tx:
        tx.conn.execute(update(inbound_email).values(received_at=utcnow() - timedelta(minutes=5)))
    route_pending(app)


@needs_corpus
def test_a_poller_killed_mid_batch_stores_each_message_once_and_marks_only_stored_ones(
    app: Crm,
    imap: ImapServer,
    workers: Callable[[dict[str, Any]], Workers],
    channel_settings: Callable[..., dict[str, Any]],
) -> None:
    raws = corpus() + [mail(f"order {n}") for n in range(40)]
    imap.append(raws)
    keys = {uid: key(raw) for uid, (raw, _) in imap.folder().items()}
    imap_settings = {"poll_seconds": 300.0, "mailboxes": [mailbox(imap.port)]}
    env = workers(channel_settings(1, templates=(), mail_in=MAIL_IN, imap=imap_settings)).env

    for kill_at in (10, 40):
        poller = subprocess.Popen(
            [*CRMKIT, "channels", "imap-poll"], env=env, stderr=subprocess.DEVNULL
        )
        try:
            wait_until(lambda n=kill_at: len(stored(app)) >= n, f"{kill_at} messages are stored")
        finally:
            poller.send_signal(signal.SIGKILL)
            poller.wait()
        # Stored is exactly what the mailbox's progress says; read is only what was stored.
        state = progress(app)
        assert state is not None
        done = {k for uid, k in keys.items() if uid <= state[1]}
        assert {r["dedup_key"] for r in stored(app)} == done
        seen = {keys[uid] for uid, (_, flags) in imap.folder().items() if SEEN in flags}
        assert seen <= done

    finished = _command(env, "--once")
    assert finished.returncode == 0, finished.stderr

    rows = stored(app)
    assert sorted(r["dedup_key"] for r in rows) == sorted(set(keys.values()))
    assert all(SEEN in flags for _, flags in imap.folder().values())
    _backdate_and_route(app)
    with app.read() as conn:
        assert {r["status"] for r in stored(app)} == {"routed"}
        # Each message is on a timeline at most once (a sender not taken in has none).
        per_party = conn.execute(
            select(inbound_email.c.party_id, func.count())
            .where(inbound_email.c.party_id.is_not(None))
            .group_by(inbound_email.c.party_id)
        ).all()
        for party_id, count in per_party:
            items = [
                i for i in timeline(conn, party_id, limit=200).items if i.direction == "inbound"
            ]
            assert len(items) == count


README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
IMAP_SECTION = README.split("## Mailboxes elsewhere: IMAP")[1].split("\n## ")[0]


def test_the_readme_has_a_row_for_every_imap_setting() -> None:
    rows: set[str] = set()
    for first_cell in re.findall(r"^\| (`[^|]+`) \|", IMAP_SECTION, re.M):
        rows |= set(re.findall(r"`([a-z_]+)`", first_cell))
    fields = attrs.fields(ImapSettings) + attrs.fields(ImapMailbox)
    assert rows == {f.name for f in fields}


def test_the_readmes_imap_example_loads(tmp_path: Path) -> None:
    [example] = re.findall(
        r"^```\n(\[plugins\.channels\.imap\].*?)^```$", IMAP_SECTION, re.M | re.S
    )
    config = tmp_path / "crmkit.toml"
    config.write_text(example)
    app = build_app(["channels"], settings=settings_from_file(config), create_tables=False)
    try:
        [support] = app.settings_of["channels"].imap.mailboxes
    finally:
        app.close()
    assert (support.name, support.security, support.move_to) == ("support", "tls", "Archive/CRM")
