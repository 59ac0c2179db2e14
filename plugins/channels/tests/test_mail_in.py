"""Inbound mail: a real ``mail-in`` SMTP server on loopback, mail sent to it with ``smtplib``."""

from __future__ import annotations

import json
import os
import re
import smtplib
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import timedelta
from email import policy
from email.message import EmailMessage as MimeMessage
from email.utils import make_msgid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pytest
from crmkit_channels import EmailMessage, InboundEmail, send
from crmkit_channels.inbound_tables import inbound_attachment, inbound_email
from crmkit_channels.mail_in import server
from crmkit_channels.mail_parsing import parse
from crmkit_channels.mail_routing import route_pending
from crmkit_channels.settings import MailInSettings
from sqlalchemy import select, text, update

from crmkit import SYSTEM, Crm, hookimpl, list_parties, timeline, utcnow
from crmkit.testing import TestDatabase, register_plugin

if TYPE_CHECKING:
    from conftest import PersonMaker

CORPUS = Path(__file__).resolve().parents[4] / "shared" / "data" / "email" / "cpython_test_email"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="shared/data is not here")
DOMAIN = "crm.acme.example"
ROLES = ("customer", "prospect")
TO = f"support@{DOMAIN}"
MAIL_IN = {
    "domains": [DOMAIN.upper()],
    "max_message_bytes": 400_000,
    "max_attachment_bytes": 50_000,
    "max_attachments_bytes": 80_000,
    "vouched": True,
}


class Claims:
    """A plugin claiming every message whose subject starts with ``[Case``; it keeps what it saw."""

    def __init__(self) -> None:
        self.seen: list[InboundEmail] = []
        self.failing = False

    @hookimpl
    def route_inbound(self, app: Crm, message: Any) -> str | None:
        self.seen.append(message)
        if self.failing:
            raise RuntimeError("the cases plugin is down")
        return "cases" if message.subject.startswith("[Case") else None


@pytest.fixture
def claims() -> Claims:
    return Claims()


@pytest.fixture
def app(make_channels: Callable[..., Crm], make_crm: Callable[..., Crm], claims: Claims) -> Crm:
    crm = make_channels(mail_in=MAIL_IN)
    # The same database, with a plugin that claims messages beside channels.
    return make_crm(
        plugins=["channels", register_plugin(claims, name="cases")],
        settings=crm.settings,
        create_tables=False,
    )


@pytest.fixture
def port(app: Crm, unused_port: int) -> Iterator[int]:
    controller = server(app, "127.0.0.1", unused_port)
    controller.start()
    yield unused_port
    controller.stop()


def mail(
    subject: str = "Question about my order",
    sender: str = "Grace Hopper <grace@example.org>",
    text: str | None = "Where is my parcel?",
    **headers: str,
) -> MimeMessage:
    message = MimeMessage()
    message["From"] = sender
    message["To"] = TO
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="example.org")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    if text is not None:
        message.set_content(text)
    return message


def deliver(port: int, message: MimeMessage | bytes, to: tuple[str, ...] = (TO,)) -> None:
    raw = message if isinstance(message, bytes) else message.as_bytes(policy=policy.SMTP)
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.sendmail("grace@example.org", list(to), raw)


def stored(app: Crm) -> list[dict[str, Any]]:
    with app.read() as conn:
        rows = conn.execute(select(inbound_email).order_by(inbound_email.c.id)).all()
    return [dict(r._mapping) for r in rows]


def routed(app: Crm, count: int = 1) -> list[dict[str, Any]]:
    """The stored messages, once ``count`` of them are routed (routing follows the 250)."""
    deadline = time.monotonic() + 10
    while True:
        rows = stored(app)
        if sum(r["status"] in ("routed", "failed") for r in rows) >= count:
            return rows
        assert time.monotonic() < deadline, f"not routed: {[r['status'] for r in rows]}"
        time.sleep(0.02)


def attachments(app: Crm, inbound_id: int) -> list[dict[str, Any]]:
    with app.read() as conn:
        rows = conn.execute(
            select(inbound_attachment)
            .where(inbound_attachment.c.inbound_email_id == inbound_id)
            .order_by(inbound_attachment.c.id)
        ).all()
    return [dict(r._mapping) for r in rows]


def parties(app: Crm) -> int:
    with app.read() as conn:
        return sum(len(list_parties(conn, role, limit=100).items) for role in ROLES)


def inbound_items(app: Crm, party_id: int) -> list[Any]:
    with app.read() as conn:
        return [i for i in timeline(conn, party_id).items if i.direction == "inbound"]


def test_a_message_from_a_known_sender_lands_on_their_timeline_and_is_offered_to_plugins(
    app: Crm, port: int, new_person: PersonMaker, claims: Claims
) -> None:
    grace = new_person("grace@example.org", first_name="Grace", last_name="Hopper")
    before = parties(app)

    deliver(port, mail("[Case] printer on fire"))

    [row] = routed(app)
    assert (row["party_id"], row["sender"], row["sender_name"]) == (
        grace,
        "grace@example.org",
        "Grace Hopper",
    )
    assert (row["status"], row["claimed_by"], row["auto_reply"]) == ("routed", "cases", False)
    assert row["recipients"] == [TO] and row["text"] == "Where is my parcel?\n"
    assert parties(app) == before  # found by address: nobody new
    [item] = inbound_items(app, grace)
    assert (item.channel, item.subject, item.outcome, item.source) == (
        "email",
        "[Case] printer on fire",
        "received",
        "channels",
    )
    assert "Where is my parcel?" in (item.summary or "")
    assert [(r.kind, r.id) for r in item.refs] == [("channels.inbound_email", str(row["id"]))]
    [offered] = claims.seen
    assert (offered.id, offered.party_id, offered.subject) == (
        row["id"],
        grace,
        "[Case] printer on fire",
    )


def test_an_unknown_sender_is_taken_in_as_a_prospect(app: Crm, port: int) -> None:
    before = parties(app)

    deliver(port, mail(sender="Kim Ott <kim.ott@firma.example>"))

    [row] = routed(app)
    assert row["party_id"] is not None and parties(app) == before + 1
    assert len(inbound_items(app, row["party_id"])) == 1


def test_a_reply_on_a_known_thread_goes_to_the_party_of_the_email_it_answers(
    app: Crm, port: int, person: int, new_person: PersonMaker
) -> None:
    with app.transaction(SYSTEM) as tx:
        sent = send(tx, EmailMessage(person, "orders", subject="Order 7", text="On its way."))
    # Answered from another address, which belongs to someone else: the thread decides.
    new_person("grace@example.org")
    reply = mail(
        "Re: Order 7",
        In_Reply_To=sent.message_id,
        References=f"<older@example.org> {sent.message_id}",
    )

    deliver(port, reply)

    [row] = routed(app)
    assert (row["party_id"], row["answers_email_id"]) == (person, sent.id)
    [item] = inbound_items(app, person)
    assert ("channels.email", str(sent.id)) in [(r.kind, r.id) for r in item.refs]


def test_auto_replies_are_stored_flagged_and_offered_as_such(
    app: Crm, port: int, new_person: PersonMaker, claims: Claims
) -> None:
    grace = new_person("grace@example.org")

    deliver(port, mail("Out of office", Auto_Submitted="auto-replied"))
    deliver(port, mail("Weekly digest", Precedence="bulk"))
    deliver(port, mail("A real question", Auto_Submitted="no"))

    rows = routed(app, 3)
    assert [r["auto_reply"] for r in rows] == [True, True, False]
    assert rows[0]["notes"] == ["Auto-Submitted: auto-replied"]
    assert sorted(i.outcome for i in inbound_items(app, grace)) == [
        "auto-reply",
        "auto-reply",
        "received",
    ]
    assert [m.auto_reply for m in sorted(claims.seen, key=lambda m: m.id)] == [True, True, False]


def test_mail_for_another_domain_is_refused_with_550_and_not_stored(app: Crm, port: int) -> None:
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        deliver(port, mail(), to=("someone@elsewhere.example",))
    assert refused.value.recipients["someone@elsewhere.example"][0] == 550
    # One foreign recipient among ours: ours get the message, the other is refused.
    deliver(port, mail(), to=("someone@elsewhere.example", f"sales@{DOMAIN}"))
    [row] = routed(app)
    assert row["recipients"] == [f"sales@{DOMAIN}"]


def test_a_message_sent_again_is_stored_once(app: Crm, port: int) -> None:
    message = mail()
    without_id = mail("no id")
    del without_id["Message-ID"]

    for _ in range(2):
        deliver(port, message)
        deliver(port, without_id)

    rows = routed(app, 2)
    assert len(rows) == 2
    assert rows[0]["message_id"] == message["Message-ID"]
    assert rows[1]["message_id"] is None and rows[1]["dedup_key"].startswith("sha256:")


def test_a_message_the_database_cannot_take_gets_451_and_is_taken_when_sent_again(
    app: Crm, port: int
) -> None:
    message = mail()
    with app.transaction(SYSTEM) as tx:
        tx.conn.execute(text("ALTER TABLE channels_inbound_email RENAME TO channels_away"))
    try:
        with pytest.raises(smtplib.SMTPDataError) as deferred:
            deliver(port, message)
        assert deferred.value.smtp_code == 451
    finally:
        with app.transaction(SYSTEM) as tx:
            tx.conn.execute(text("ALTER TABLE channels_away RENAME TO channels_inbound_email"))

    deliver(port, message)  # the sender's retry

    [row] = routed(app)
    assert row["message_id"] == message["Message-ID"]


def test_the_size_limit_is_announced_and_a_larger_message_refused(app: Crm, port: int) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.ehlo()
        assert client.esmtp_features["size"] == "400000"
    big = mail(text=("x" * 70 + "\n") * 7_000)
    # A client that says the size first is refused before sending it.
    with pytest.raises(smtplib.SMTPSenderRefused) as early:
        deliver(port, big)
    assert early.value.smtp_code == 552
    # One that does not is refused after DATA, and the server goes on.
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.ehlo()
        client.mail("grace@example.org")
        client.rcpt(TO)
        code, _ = client.data(big.as_bytes(policy=policy.SMTP))
    assert code == 552
    deliver(port, mail())
    assert len(routed(app)) == 1


def test_a_50_mb_attachment_is_refused_and_the_server_keeps_serving(
    make_channels: Callable[..., Crm], unused_port: int
) -> None:
    app = make_channels(mail_in={"domains": [DOMAIN]})  # the default limits: 25 MB a message
    controller = server(app, "127.0.0.1", unused_port)
    controller.start()
    try:
        message = mail()
        message.add_attachment(b"\0" * 50_000_000, "application", "octet-stream", filename="a.bin")
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            deliver(unused_port, message)
        assert refused.value.smtp_code == 552
        deliver(unused_port, mail())
        assert len(routed(app)) == 1
    finally:
        controller.stop()


def test_attachments_are_kept_with_type_name_and_size_and_oversized_ones_dropped_visibly(
    app: Crm, port: int
) -> None:
    message = mail()
    message.add_attachment(b"%PDF-1.7 small", "application", "pdf", filename="../../offer.pdf")
    message.add_attachment(b"\x89PNG" + b"\0" * 60_000, "image", "png", filename="big.png")
    message.add_attachment(b"a" * 45_000, "text", "csv", filename="one.csv")
    message.add_attachment(b"b" * 45_000, "text", "csv", filename="two.csv")

    deliver(port, message)

    [row] = routed(app)
    found = attachments(app, row["id"])
    assert [(a["filename"], a["content_type"], a["size"]) for a in found] == [
        ("offer.pdf", "application/pdf", 14),
        ("big.png", "image/png", 60_004),
        ("one.csv", "text/csv", 45_000),
        ("two.csv", "text/csv", 45_000),
    ]
    assert found[0]["content"] == b"%PDF-1.7 small" and found[2]["content"] == b"a" * 45_000
    assert found[1]["content"] is None and found[1]["dropped"] == "larger than 50000 bytes"
    assert found[3]["content"] is None and "pass 80000 bytes" in found[3]["dropped"]
    assert any(n.startswith("attachment big.png (60004 bytes) dropped") for n in row["notes"])


def test_html_only_mail_is_read_as_text(app: Crm, port: int) -> None:
    message = mail(text=None)
    message.set_content(
        "<html><head><style>p {color: red}</style></head><body><p>Hello,</p>"
        '<p>see <a href="https://example.org/x">the offer</a> &amp; call.</p>'
        "<script>alert(1)</script></body></html>",
        subtype="html",
    )

    deliver(port, message)

    [row] = routed(app)
    assert row["text"] == "Hello,\n\nsee the offer <https://example.org/x> & call."


def test_an_unknown_charset_and_an_injected_header_break_nothing(
    app: Crm, port: int, new_person: PersonMaker
) -> None:
    grace = new_person("grace@example.org")
    raw = (
        b"From: grace@example.org\r\nTo: support@crm.acme.example\r\n"
        b"Subject: =?utf-8?q?Hello=0D=0ABcc:_evil@attacker.example?=\r\n"
        b"Message-ID: <charset@example.org>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: text/plain; charset="x-no-such-charset"\r\n\r\n'
        b"Gr\xc3\xbc\xc3\x9fe\r\n"
    )

    deliver(port, raw)

    [row] = routed(app)
    assert row["subject"] == "Hello Bcc: evil@attacker.example"
    assert row["text"] == "Grüße\n"
    assert "unknown charset 'x-no-such-charset' in a text part, read as UTF-8" in row["notes"]
    [item] = inbound_items(app, grace)
    assert item.subject == "Hello Bcc: evil@attacker.example"


def test_a_text_in_a_legacy_charset_and_an_encoded_subject_are_decoded(app: Crm, port: int) -> None:
    raw = (
        b"From: =?iso-8859-2?q?Pawe=B3_Nowak?= <pawel@example.org>\r\nTo: support@crm.acme.example\r\n"
        b"Subject: =?koi8-r?b?8NLJ18XU?=\r\nMessage-ID: <legacy@example.org>\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=iso-8859-2\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\nDzi=EAkuj=EA\r\n"
    )

    deliver(port, raw)

    [row] = routed(app)
    assert (row["sender_name"], row["subject"], row["text"]) == (
        "Paweł Nowak",
        "Привет",
        "Dziękuję\n",
    )
    # Intake judges the sender: example.org is no address of a real person.
    assert row["party_id"] is None
    assert row["notes"] == ["the sender was not taken in (rejected: no_contact_route)"]


@needs_corpus
def test_every_real_message_of_the_corpus_is_stored_once_and_routed(app: Crm, port: int) -> None:
    files = sorted(CORPUS.glob("msg_*.txt"))
    keys = set()
    for path in files:
        raw = path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        keys.add(parse(raw, "grace@example.org", MailInSettings()).dedup_key)
        deliver(port, raw)

    rows = routed(app, len(keys))
    assert len(rows) == len(keys) and all(r["status"] == "routed" for r in rows)
    fish = next(r for r in rows if r["text"] == "Hi there,\n\nThis is the dingus fish.\n")
    assert [
        (a["filename"], a["content_type"], a["size"]) for a in attachments(app, fish["id"])
    ] == [("dingusfish.gif", "image/gif", 3512)]
    # A delivery report from a mailer daemon: a machine's message.
    [bounce] = [r for r in rows if r["subject"].startswith("Returned mail: Too many hops")]
    assert bounce["auto_reply"] is True
    # A multipart whose start boundary never comes: kept, read as text, the defect noted.
    broken = next(r for r in rows if "message 1" in r["text"] and r["subject"] == "")
    assert any("StartBoundaryNotFoundDefect" in n for n in broken["notes"])


def test_erasing_a_party_erases_its_inbound_mail(
    app: Crm, port: int, new_person: PersonMaker
) -> None:
    from crmkit import erase_party, export_party

    grace = new_person("grace@example.org")
    deliver(port, mail())
    [row] = routed(app)
    with app.read() as conn:
        exported = export_party(conn, app.host, grace)
    assert [m["id"] for m in exported["channels"]["emails_received"]] == [row["id"]]

    with app.transaction(SYSTEM) as tx:
        erase_party(tx, grace)

    assert stored(app) == []


def _toml(table: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Enough TOML for settings: scalars and lists (JSON's spelling is TOML's), nested tables."""
    lines = [f"{k} = {json.dumps(v)}" for k, v in table.items() if not isinstance(v, Mapping)]
    for key, value in table.items():
        if isinstance(value, Mapping):
            name = f"{prefix}.{key}" if prefix else key
            lines += ["", f"[{name}]", *_toml(value, name)]
    return lines


def backdate(app: Crm) -> None:
    """Make every stored message old enough for the routing job (which leaves new ones to the server)."""
    with app.transaction(SYSTEM) as tx:
        tx.conn.execute(update(inbound_email).values(received_at=utcnow() - timedelta(minutes=5)))


def test_the_command_serves_and_a_killed_server_has_lost_nothing_it_acknowledged(
    app: Crm,
    crm_db: TestDatabase,
    tmp_path: Path,
    unused_port: int,
    channel_settings: Callable[..., dict[str, Any]],
    new_person: PersonMaker,
) -> None:
    grace = new_person("grace@example.org")
    url = crm_db.session_url
    config = tmp_path / "crmkit.toml"
    document = {
        "crmkit": {"database_url": url},
        "plugins": {"channels": channel_settings(1, templates=(), mail_in=MAIL_IN)},
    }
    config.write_text("\n".join(_toml(document)) + "\n")
    env = {**os.environ, "CRMKIT_CONFIG": str(config), "CRMKIT_PLUGINS": "channels"}
    command = [sys.executable, "-c", "from crmkit.cli.main import main; main()"]
    process = subprocess.Popen(
        [*command, "channels", "mail-in", "--port", str(unused_port)],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        ready = process.stderr.readline()
        assert f"taking mail for {DOMAIN} on 127.0.0.1:{unused_port}" in ready, ready
        deliver(unused_port, mail("sent before the crash"))
        process.kill()  # right after the 250: whatever routing was doing is cut short
        process.wait()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()

    [row] = stored(app)
    assert row["subject"] == "sent before the crash"
    backdate(app)
    result = app.jobs.run("channels.route_inbound_mail")  # as crmkit worker runs it
    assert result.ok, result.error
    [row] = stored(app)
    assert (row["status"], row["party_id"]) == ("routed", grace)
    assert len(inbound_items(app, grace)) == 1


def test_a_failing_plugin_is_asked_again_later_and_the_timeline_has_the_message_once(
    app: Crm, port: int, new_person: PersonMaker, claims: Claims
) -> None:
    grace = new_person("grace@example.org")
    claims.failing = True

    deliver(port, mail("[Case] retry me"))

    deadline = time.monotonic() + 10
    while stored(app)[0]["attempts"] == 0:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    [row] = stored(app)
    assert (row["status"], row["attempts"]) == ("placed", 1)
    assert "the cases plugin is down" in row["last_error"]
    claims.failing = False
    backdate(app)

    assert route_pending(app) == 1

    [row] = stored(app)
    assert (row["status"], row["claimed_by"]) == ("routed", "cases")
    assert len(inbound_items(app, grace)) == 1
    assert [m.id for m in claims.seen] == [row["id"], row["id"]]


def test_the_readme_has_a_row_for_every_inbound_setting() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Inbound mail")[1].split("\n## ")[0]
    rows = set(re.findall(r"^\| `([a-z_]+)` \|", section, re.M))
    assert rows == {f.name for f in attrs.fields(MailInSettings)}
