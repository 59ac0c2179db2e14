"""Subject tokens: an outbound subject carries ``[#ab12cd]``; a reply that kept only the subject is threaded by it."""

from __future__ import annotations

import re
import smtplib
import time
from collections.abc import Callable, Iterator
from email import policy
from email.message import EmailMessage as MimeMessage
from email.utils import make_msgid
from typing import TYPE_CHECKING, Any

import pytest
from crmkit_channels import EmailMessage, send
from crmkit_channels.inbound_tables import inbound_email
from crmkit_channels.mail_in import server
from crmkit_channels.tables import email
from sqlalchemy import select

from crmkit import SYSTEM, Crm

if TYPE_CHECKING:
    from conftest import PersonMaker

DOMAIN = "crm.acme.example"
MAIL_IN = {"domains": [DOMAIN], "vouched": True}
TOKEN = re.compile(r"^Order 7 \[#([0-9a-f]{6})\]$")


@pytest.fixture
def crm(make_channels: Callable[..., Crm]) -> Crm:
    return make_channels(mail_in=MAIL_IN, subject_token=True)


@pytest.fixture
def port(crm: Crm, unused_port: int) -> Iterator[int]:
    controller = server(crm, "127.0.0.1", unused_port)
    controller.start()
    yield unused_port
    controller.stop()


def order_mail(crm: Crm, party_id: int) -> Any:
    with crm.transaction(SYSTEM) as tx:
        return send(tx, EmailMessage(party_id, "orders", subject="Order 7", text="On its way."))


def reply(port: int, subject: str, **headers: str) -> None:
    message = MimeMessage()
    message["From"] = "Grace Hopper <grace@example.org>"
    message["To"] = f"support@{DOMAIN}"
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="example.org")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content("Thanks!")
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.sendmail(
            "grace@example.org", [f"support@{DOMAIN}"], message.as_bytes(policy=policy.SMTP)
        )


def routed(crm: Crm) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while True:
        with crm.read() as conn:
            row = conn.execute(select(inbound_email)).one_or_none()
        if row is not None and row.status in ("routed", "failed"):
            return dict(row._mapping)
        assert time.monotonic() < deadline, "the reply was not routed"
        time.sleep(0.02)


def stored_token(crm: Crm, email_id: int) -> str | None:
    with crm.read() as conn:
        token: str | None = conn.execute(
            select(email.c.subject_token).where(email.c.id == email_id)
        ).scalar_one()
    return token


def test_each_email_carries_its_own_token_in_subject_and_message(crm: Crm, person: int) -> None:
    first, second = order_mail(crm, person), order_mail(crm, person)

    tokens = [TOKEN.match(m.subject) for m in (first, second)]
    assert tokens[0] and tokens[1]
    assert tokens[0][1] != tokens[1][1]
    assert stored_token(crm, first.id) == tokens[0][1]
    with crm.read() as conn:
        raw = conn.execute(select(email.c.raw).where(email.c.id == first.id)).scalar_one()
    assert f"Subject: Order 7 [#{tokens[0][1]}]" in raw


def test_without_the_setting_the_subject_is_left_alone(
    make_channels: Callable[..., Crm], consenting_person: Callable[[Crm], int]
) -> None:
    plain = make_channels()
    sent = order_mail(plain, consenting_person(plain))

    assert sent.subject == "Order 7"
    assert stored_token(plain, sent.id) is None


def test_a_reply_without_thread_headers_is_threaded_by_its_token(
    crm: Crm, port: int, person: int, new_person: PersonMaker
) -> None:
    sent = order_mail(crm, person)
    # The reply comes from an address that belongs to someone else: the token decides.
    new_person("grace@example.org")
    token = stored_token(crm, sent.id)
    assert token is not None

    reply(port, f"AW: Order 7 [#{token.upper()}]")

    row = routed(crm)
    assert (row["party_id"], row["answers_email_id"]) == (person, sent.id)


def test_thread_headers_win_over_a_token_and_an_unknown_token_threads_nothing(
    crm: Crm, port: int, person: int, new_person: PersonMaker
) -> None:
    other = new_person("lin@example.org", first_name="Lin")
    answered, mentioned = order_mail(crm, person), order_mail(crm, other)

    reply(
        port,
        f"Re: Order 7 [#{stored_token(crm, mentioned.id)}]",
        In_Reply_To=answered.message_id,
    )

    row = routed(crm)
    assert (row["party_id"], row["answers_email_id"]) == (person, answered.id)


def test_a_token_no_email_carries_leaves_the_sender_to_decide(
    crm: Crm, port: int, person: int, new_person: PersonMaker
) -> None:
    order_mail(crm, person)
    grace = new_person("grace@example.org", first_name="Grace")

    reply(port, "Re: Order 7 [#000000]")

    row = routed(crm)
    assert (row["party_id"], row["answers_email_id"]) == (grace, None)
