"""Fixtures of the channels plugin's tests: a real SMTP server (aiosmtpd) on loopback, a CRM sending to it.

Each test runs on SQLite by default, on PostgreSQL with ``CRMKIT_TEST_DATABASE_URL``.
"""

from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from crmkit_channels.tables import email, sms
from sqlalchemy import insert, select

from crmkit import (
    SYSTEM,
    Crm,
    Settings,
    build_party,
    create_party,
    record_consent,
    utcnow,
)
from crmkit.testing import TestDatabase

LINK_SECRET = "a-test-secret-of-at-least-32-characters"
RETRY = 0.3
"""Seconds before a deferred email is due again (half to all of it): longer than one delivery run."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Inbox:
    """The server's handler: answers RCPT as told per address, keeps every accepted message."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.raw: list[bytes] = []
        self.answers: dict[str, str] = {}
        """A recipient's RCPT answer instead of 250, e.g. ``550 5.1.1 no such user``."""
        self.connections = 0
        self.port = 0
        self.on_data: Callable[[EmailMessage], None] | None = None
        """Called with each message before it is accepted (while the client waits for the answer)."""
        self.hang_up_after_data = False
        """Drop the connection once, after taking a message and before answering."""
        self.lock = threading.Lock()

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        with self.lock:
            self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        answer = self.answers.get(address)
        if answer is not None:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.messages.append(message)
            self.raw.append(envelope.content)
        if self.on_data is not None:
            self.on_data(message)
        if self.hang_up_after_data:
            self.hang_up_after_data = False
            server.transport.abort()  # the message is kept; the client never hears so
        return "250 2.0.0 accepted"

    def message_ids(self) -> list[str]:
        with self.lock:
            return [str(m["Message-ID"]) for m in self.messages]


def accept_only(username: str, password: str) -> Callable[..., AuthResult]:
    def authenticate(
        server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login == username.encode()
            and data.password == password.encode()
        )
        return AuthResult(success=ok, handled=False)

    return authenticate


def start(inbox: Inbox, **options: Any) -> Controller:
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), **options)
    controller.start()
    inbox.port = controller.port
    return controller


@pytest.fixture
def smtp_server() -> Iterator[Callable[..., Inbox]]:
    """``smtp_server(**options)``: a started aiosmtpd server on 127.0.0.1, stopped afterwards."""
    controllers: list[Controller] = []

    def factory(**options: Any) -> Inbox:
        box = Inbox()
        controllers.append(start(box, **options))
        return box

    yield factory
    for controller in controllers:
        controller.stop()


@pytest.fixture
def inbox(smtp_server: Callable[..., Inbox]) -> Inbox:
    """The relay of ``crm``: an SMTP server on 127.0.0.1; ``inbox.port`` is where it listens."""
    return smtp_server()


def channel_settings(port: int, **overrides: Any) -> dict[str, Any]:
    """``[plugins.channels]`` sending to the server on ``port``, retrying after at most ``RETRY`` s."""
    return {
        "from_address": "Acme News <news@acme.example>",
        "public_url": "https://crm.acme.example",
        "unsubscribe_mailto": "unsubscribe@acme.example",
        "link_secret": LINK_SECRET,
        "rate_per_second": 1000.0,
        "first_retry_seconds": RETRY,
        "max_retry_seconds": RETRY,
        "smtp": {"host": "127.0.0.1", "port": port, "security": "none", "timeout": 5.0},
        "templates": [
            {
                "name": "welcome",
                "subject": "Welcome, {{ party.first_name }}",
                "text": "Hello {{ party.name }}, your code is {{ code }}.",
                "html": (
                    "<p>Hello {{ party.name }}, your code is <b>{{ code }}</b>.</p>"
                    '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>'
                ),
            },
        ],
        **overrides,
    }


@pytest.fixture(name="channel_settings")
def channel_settings_fixture() -> Callable[..., dict[str, Any]]:
    """``channel_settings(port, **overrides)``: the tests' ``[plugins.channels]`` table."""
    return channel_settings


@pytest.fixture
def make_channels(make_crm: Callable[..., Crm], inbox: Inbox) -> Callable[..., Crm]:
    """``make_channels(**settings)``: a CRM with the plugin sending to ``inbox``."""

    def factory(create_tables: bool = True, **overrides: Any) -> Crm:
        settings = Settings(
            database_url="sqlite://",
            strict_plugins=True,
            plugin_settings={"channels": channel_settings(inbox.port, **overrides)},
        )
        return make_crm(plugins=["channels"], settings=settings, create_tables=create_tables)

    return factory


@pytest.fixture
def crm(make_channels: Callable[..., Crm]) -> Crm:
    return make_channels()


def add_person(crm: Crm, email_address: str | None = "ada@example.org", **data: Any) -> int:
    values = {"kind": "person", "first_name": "Ada", "last_name": "Lovelace", **data}
    if email_address is not None:
        values["emails"] = [email_address]
    with crm.transaction() as tx:
        party = create_party(tx, build_party("customer", values, region="DE"))
    assert party.id is not None
    return party.id


def consent(crm: Crm, party_id: int, status: str, purpose: str = "newsletter") -> None:
    with crm.transaction(SYSTEM) as tx:
        record_consent(tx, party_id, purpose, "email", status, source="test")


def statuses(crm: Crm) -> dict[int, str]:
    with crm.read() as conn:
        return dict(conn.execute(select(email.c.id, email.c.status)).tuples().all())


@pytest.fixture
def person(crm: Crm) -> int:
    """A customer with an email address who agreed to the newsletter."""
    party_id = add_person(crm)
    consent(crm, party_id, "granted")
    return party_id


PersonMaker = Callable[..., int]


@pytest.fixture
def new_person(crm: Crm) -> PersonMaker:
    """``new_person(email_address="ada@example.org", **data)``: a customer, its id."""
    return lambda email_address="ada@example.org", **data: add_person(crm, email_address, **data)


@pytest.fixture
def give_consent(crm: Crm) -> Callable[..., None]:
    """``give_consent(party_id, status, purpose="newsletter")``: a statement of email consent."""
    return lambda party_id, status, purpose="newsletter": consent(crm, party_id, status, purpose)


@pytest.fixture
def failed_sms(crm: Crm) -> Callable[..., int]:
    """``failed_sms(party_id, purpose="newsletter", body="Hi")``: a text message delivery gave up on."""

    def make(party_id: int, purpose: str = "newsletter", body: str = "Hi") -> int:
        with crm.transaction(SYSTEM) as tx:
            sms_id: int = tx.conn.execute(
                insert(sms)
                .values(
                    party_id=party_id,
                    purpose=purpose,
                    transactional=False,
                    recipient="+4915112345678",
                    body=body,
                    encoding="GSM-7",
                    segments=1,
                    variables={},
                    status="failed",
                    attempts=3,
                    created_by="system",
                    created_at=utcnow(),
                )
                .returning(sms.c.id)
            ).scalar_one()
        return sms_id

    return make


@pytest.fixture
def consenting_person() -> Callable[[Crm], int]:
    """``consenting_person(app)``: as ``person``, in another app's database (one not made by ``crm``)."""

    def make(app: Crm) -> int:
        party_id = add_person(app)
        consent(app, party_id, "granted")
        return party_id

    return make


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, ssl.SSLContext]:
    """A self-signed certificate for 127.0.0.1 (the file clients trust, its key beside it as
    ``.key``) and the server's context."""
    key, cert = tmp_path / "relay.key", tmp_path / "relay.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert),
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return cert, context


@pytest.fixture
def unused_port() -> int:
    """A port of 127.0.0.1 where nothing listens."""
    return free_port()


@pytest.fixture
def login_required() -> Callable[[str, str], Any]:
    """``login_required(username, password)``: an aiosmtpd authenticator accepting only that login."""
    return accept_only


def _tables(value: Any) -> bool:
    return isinstance(value, list | tuple) and bool(value) and isinstance(value[0], Mapping)


def _toml(table: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Enough TOML for settings: scalars (JSON's spelling is TOML's), nested tables, arrays of them."""
    lines = [
        f"{k} = {json.dumps(v)}"
        for k, v in table.items()
        if not isinstance(v, Mapping) and not _tables(v)
    ]
    for key, value in table.items():
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, Mapping):
            lines += ["", f"[{name}]", *_toml(value, name)]
        elif _tables(value):
            for item in value:
                lines += ["", f"[[{name}]]", *_toml(item, name)]
    return lines


class Workers:
    """Starts ``crmkit worker`` processes on the test's database and configuration (to kill them)."""

    def __init__(self, config: Path) -> None:
        self.env = {**os.environ, "CRMKIT_CONFIG": str(config), "CRMKIT_PLUGINS": "channels"}
        self.running: list[subprocess.Popen[str]] = []

    def start(self) -> subprocess.Popen[str]:
        command = [sys.executable, "-c", "from crmkit.cli.main import main; main()"]
        worker = subprocess.Popen(
            [*command, "worker", "--tick", "0.1"],
            env=self.env,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.running.append(worker)
        assert worker.stderr is not None
        ready = worker.stderr.readline()
        assert "channels.deliver_email" in ready, ready
        return worker

    def stop_all(self) -> None:
        for worker in self.running:
            if worker.poll() is None:
                worker.kill()
            worker.wait()
            if worker.stderr is not None:
                worker.stderr.close()


@pytest.fixture
def workers(
    crm_db: TestDatabase, tmp_path: Path
) -> Iterator[Callable[[Mapping[str, Any]], Workers]]:
    """``workers(channels)``: ``crmkit worker`` processes on this test's database with
    ``[plugins.channels]`` = ``channels`` (no lists of tables); all killed afterwards."""
    made: list[Workers] = []

    def factory(channels: Mapping[str, Any]) -> Workers:
        config = tmp_path / "crmkit.toml"
        document = {
            "crmkit": {"database_url": crm_db.session_url},
            "plugins": {"channels": channels},
        }
        config.write_text("\n".join(_toml(document)) + "\n")
        made.append(Workers(config))
        return made[-1]

    yield factory
    for started in made:
        started.stop_all()
