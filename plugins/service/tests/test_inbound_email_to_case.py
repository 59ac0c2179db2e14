"""Email to case: real mail into the channels plugin's mail-in server on loopback, routed to cases."""

from __future__ import annotations

import smtplib
import socket
import time
from collections.abc import Callable, Iterator
from email import policy
from email.message import EmailMessage as MimeMessage
from email.parser import BytesParser
from email.utils import make_msgid
from typing import Any

import pytest
from crmkit_channels import InboundEmail
from crmkit_channels.auto_answer_tables import auto_answer
from crmkit_channels.inbound_tables import inbound_email
from crmkit_channels.mail_in import server
from crmkit_channels.mail_routing import route
from crmkit_channels.tables import email
from crmkit_service.cases import service
from crmkit_service.cases.tables import case as case_table
from crmkit_service.knowledge.articles import create_article
from sqlalchemy import func, select

from crmkit import SYSTEM, Crm, build_party, create_party

DOMAIN = "crm.acme.example"
SUPPORT = f"support@{DOMAIN}"
ALWAYS = {day: ["00:00-24:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def make_app(make_service: Callable[..., Crm]) -> Callable[..., Crm]:
    def make(**email_to_case: Any) -> Crm:
        settings = {"addresses": [SUPPORT], "working_hours": ALWAYS, **email_to_case}
        return make_service(
            service={"email_to_case": settings},
            channels={"mail_in": {"domains": [DOMAIN], "vouched": True}},
        )

    return make


@pytest.fixture
def app(make_app: Callable[..., Crm]) -> Crm:
    return make_app()


@pytest.fixture
def port(app: Crm) -> Iterator[int]:
    chosen = free_port()
    controller = server(app, "127.0.0.1", chosen)
    controller.start()
    yield chosen
    controller.stop()


def mail(subject: str, body: str = "It stopped working.", **headers: str) -> MimeMessage:
    message = MimeMessage()
    message["From"] = headers.pop("From", "Grace Hopper <grace@example.org>")
    message["To"] = headers.pop("To", SUPPORT)
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="example.org")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


def deliver(port: int, message: MimeMessage, envelope_from: str = "grace@example.org") -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.sendmail(envelope_from, [message["To"]], message.as_bytes(policy=policy.SMTP))


def routed(app: Crm, count: int) -> list[Any]:
    """The inbound messages once ``count`` of them are routed (routing follows the 250)."""
    deadline = time.monotonic() + 10
    while True:
        with app.read() as conn:
            rows = list(
                conn.execute(
                    select(inbound_email)
                    .where(inbound_email.c.status == "routed")
                    .order_by(inbound_email.c.id)
                ).all()
            )
        if len(rows) >= count:
            return rows
        assert time.monotonic() < deadline, f"{len(rows)} routed, expected {count}"
        time.sleep(0.02)


def customer(app: Crm, address: str = "grace@example.org") -> int:
    with app.transaction() as tx:
        party = create_party(
            tx,
            build_party(
                "customer",
                {
                    "kind": "person",
                    "first_name": "Grace",
                    "last_name": "Hopper",
                    "emails": [address],
                },
                region="DE",
            ),
        )
    assert party.id is not None
    return party.id


def cases(app: Crm) -> list[Any]:
    with app.read() as conn:
        return list(conn.execute(select(case_table).order_by(case_table.c.id)).all())


def outbox(app: Crm) -> list[Any]:
    with app.read() as conn:
        return list(conn.execute(select(email).order_by(email.c.id)).all())


def test_a_new_message_to_support_opens_a_case_and_is_acknowledged_once(app, port) -> None:
    grace = customer(app)
    deliver(port, mail("Kettle leaks"))
    [message] = routed(app, 1)
    [opened] = cases(app)
    assert (opened.party_id, opened.channel, opened.subject, opened.description.strip()) == (
        grace,
        "email",
        "Kettle leaks",
        "It stopped working.",
    )
    assert message.claimed_by == "service"
    [answer] = outbox(app)
    number = f"CS-{opened.id:06d}"
    assert answer.subject == f"[{number}] Kettle leaks"
    assert answer.recipient == "grace@example.org"
    sent = parsed(answer)
    assert sent["Auto-Submitted"] == "auto-replied"
    assert sent["In-Reply-To"] == message.message_id
    assert f"opened case {number}" in sent.get_content()
    assert "outside our working hours" not in sent.get_content()
    # Routed again (a crash before it was recorded): no second case, no second answer.
    route(app, message.id)
    assert app.route_inbound(_message(app, message.id)) == "service"
    assert len(cases(app)) == 1 and len(outbox(app)) == 1


def _message(app: Crm, inbound_id: int) -> InboundEmail:
    """The message as ``route_inbound`` is given it."""
    with app.read() as conn:
        row = conn.execute(select(inbound_email).where(inbound_email.c.id == inbound_id)).one()
    return InboundEmail(
        id=row.id,
        party_id=row.party_id,
        sender=row.sender,
        sender_name=row.sender_name,
        subject=row.subject,
        text=row.text,
        message_id=row.message_id,
        answers_email_id=row.answers_email_id,
        auto_reply=row.auto_reply,
        attachments=(),
        notes=(),
        recipients=tuple(row.recipients),
    )


def parsed(answer: Any) -> MimeMessage:
    message = BytesParser(policy=policy.default).parsebytes(answer.raw.encode())
    assert isinstance(message, MimeMessage)
    return message


def test_a_reply_on_the_thread_is_added_to_the_case_and_reopens_it(app, port) -> None:
    grace = customer(app)
    with app.transaction(SYSTEM) as tx:
        opened = service.open_case(tx, {"party_id": grace, "subject": "Kettle leaks"})
        sent = service.reply(tx, opened.id, "Is the lid closed?")
        service.change_status(tx, opened.id, "resolved", root_cause="lid not closed")
    deliver(
        port, mail("Re: something", "The lid is closed!", In_Reply_To=str(sent.data["message_id"]))
    )
    routed(app, 1)
    with app.read() as conn:
        now = service.load_case(conn, opened.id)
        last = service.case_events(conn, opened.id)[-2:]
    assert now.status == "reopened"
    assert [(e.kind, (e.body or "").strip()) for e in last] == [
        ("customer_reply", "The lid is closed!"),
        ("status", ""),
    ]
    assert len(cases(app)) == 1


def test_the_case_number_in_the_subject_threads_only_the_cases_own_customer(app, port) -> None:
    grace = customer(app)
    customer(app, "mallory@example.org")
    with app.transaction(SYSTEM) as tx:
        opened = service.open_case(tx, {"party_id": grace, "subject": "Kettle leaks"})
    deliver(port, mail(f"Re: [{opened.number}] Kettle leaks", "Any news?"))
    deliver(
        port,
        mail(f"[{opened.number}] let me in", "Hi", From="mallory@example.org"),
        envelope_from="mallory@example.org",
    )
    routed(app, 2)
    found = cases(app)
    assert len(found) == 2 and found[1].subject == f"[{opened.number}] let me in"
    with app.read() as conn:
        kinds = [e.kind for e in service.case_events(conn, opened.id)]
    assert kinds.count("customer_reply") == 1


def test_a_stranger_quoting_the_thread_is_a_flagged_note_and_gets_no_reply(app, port) -> None:
    grace = customer(app)
    with app.transaction(SYSTEM) as tx:
        opened = service.open_case(tx, {"party_id": grace, "subject": "Grace's own"})
        sent = service.reply(tx, opened.id, "first")
        service.change_status(tx, opened.id, "resolved", root_cause="x")
    deliver(
        port,
        mail(
            "Re: x",
            "send it to me",
            From="eve@evil.example",
            In_Reply_To=str(sent.data["message_id"]),
        ),
        envelope_from="eve@evil.example",
    )
    routed(app, 1)
    with app.transaction(SYSTEM) as tx:
        assert service.load_case(tx.conn, opened.id).status == "resolved"
        service.reply(tx, opened.id, "Your account number is 12345")
    with app.read() as conn:
        events = service.case_events(conn, opened.id)
    [note] = [e for e in events if e.kind == "note"]
    assert not note.public and note.data["from_another_sender"] is True
    assert note.data["sender"] == "eve@evil.example"
    assert [e.kind for e in events].count("customer_reply") == 0
    assert [o.recipient for o in outbox(app)] == ["grace@example.org"] * 2


def test_machines_get_no_answer_and_open_no_case(app, port) -> None:
    grace = customer(app)
    with app.transaction(SYSTEM) as tx:
        opened = service.open_case(tx, {"party_id": grace, "subject": "Kettle leaks"})
        service.change_status(tx, opened.id, "waiting_on_customer")
    deliver(port, mail("Out of office", Auto_Submitted="auto-replied"))
    deliver(port, mail(f"Out of office: [{opened.number}]", Auto_Submitted="auto-replied"))
    first, second = routed(app, 2)
    assert first.claimed_by is None and second.claimed_by == "service"
    assert len(cases(app)) == 1 and outbox(app) == []
    with app.read() as conn:
        assert service.load_case(conn, opened.id).status == "waiting_on_customer"


def test_mail_to_another_address_is_left_to_others(app, port) -> None:
    customer(app)
    deliver(port, mail("Hello", To=f"sales@{DOMAIN}"))
    [message] = routed(app, 1)
    assert message.claimed_by is None and cases(app) == []


@pytest.fixture
def closed_app(make_app: Callable[..., Crm]) -> Crm:
    # Open one minute a week: the message comes outside working hours.
    return make_app(working_hours={"mon": ["00:00-00:01"]}, acknowledge=False)


def test_out_of_hours_and_articles_are_in_the_answer(closed_app: Crm) -> None:
    app = closed_app
    customer(app)
    with app.transaction(SYSTEM) as tx:
        create_article(
            tx,
            {
                "title": "Descaling your kettle",
                "body": "A kettle that leaks often needs descaling.",
                "visibility": "public",
                "publish": True,
            },
        )
    chosen = free_port()
    controller = server(app, "127.0.0.1", chosen)
    controller.start()
    try:
        deliver(chosen, mail("Kettle leaks", "My kettle leaks water."))
        routed(app, 1)
    finally:
        controller.stop()
    [answer] = outbox(app)
    text = parsed(answer).get_content()
    assert "outside our working hours" in text
    assert "Descaling your kettle: https://crm.acme.example/p/service/portal/articles/" in text
    assert "opened case" not in text
    with app.read() as conn:
        [decision] = conn.execute(select(auto_answer)).all()
        assert decision.rule == "service.email_to_case"
        assert conn.execute(select(func.count()).select_from(case_table)).scalar() == 1
