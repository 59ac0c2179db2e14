"""answer_inbound: a claiming plugin's own answer to inbound mail, under the auto-answer loop guard."""

from __future__ import annotations

from collections.abc import Callable
from email import policy
from email.message import EmailMessage as MimeMessage
from email.utils import make_msgid
from typing import Any

import pytest
from crmkit_channels import InboundEmail, answer_inbound
from crmkit_channels.auto_answer_tables import auto_answer
from crmkit_channels.inbound_tables import inbound_email
from crmkit_channels.mail_routing import route
from crmkit_channels.mail_store import store
from crmkit_channels.tables import email
from sqlalchemy import select

from crmkit import Crm, build_party, create_party, hookimpl
from crmkit.testing import register_plugin

DOMAIN = "crm.acme.example"
RULES = [{"name": "everyone", "template": "ack"}]
ACK = {"name": "ack", "subject": "Re: {{ subject }}", "text": "We have it."}


def received(app: Crm, **headers: str) -> int:
    """A message from grace@example.org, stored and routed as mail-in does it."""
    message = MimeMessage()
    message["From"] = "Grace Hopper <grace@example.org>"
    message["To"] = f"support@{DOMAIN}"
    message["Subject"] = "Kettle leaks"
    message["Message-ID"] = make_msgid(domain="example.org")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content("Since Monday.")
    raw = message.as_bytes(policy=policy.SMTP)
    limits = app.settings_of["channels"].mail_in
    with app.transaction() as tx:
        inbound_id = store(tx, raw, "grace@example.org", [f"support@{DOMAIN}"], limits)
    assert inbound_id is not None
    return inbound_id


class Desk:
    """A plugin that claims every message and answers it with a number of its own."""

    def __init__(self) -> None:
        self.sent: list[int | None] = []

    @hookimpl
    def route_inbound(self, app: Crm, message: InboundEmail) -> str:
        with app.transaction() as tx:
            self.sent.append(
                answer_inbound(
                    tx,
                    message.id,
                    "desk.acknowledgement",
                    subject="[{{ number }}] {{ subject }}",
                    text="Hello {{ sender_name }}, your number is {{ number }}.",
                    variables={"number": "T-7"},
                )
            )
        return "desk"


@pytest.fixture
def desk() -> Desk:
    return Desk()


@pytest.fixture
def app(make_crm: Callable[..., Crm], make_channels: Callable[..., Crm], desk: Desk) -> Crm:
    base = make_channels(
        mail_in={"domains": [DOMAIN]}, templates=[ACK], auto_answer={"rules": RULES}
    )
    crm = make_crm(
        plugins=["channels", register_plugin(desk, name="desk")],
        settings=base.settings,
        create_tables=False,
    )
    with crm.transaction() as tx:
        data = {"kind": "person", "first_name": "Grace", "last_name": "Hopper"}
        create_party(
            tx, build_party("customer", {**data, "emails": ["grace@example.org"]}, region="DE")
        )
    return crm


def rows(app: Crm, table: Any) -> list[Any]:
    with app.read() as conn:
        return list(conn.execute(select(table).order_by(table.c.id)).all())


def test_a_plugins_answer_is_sent_once_and_the_rules_stay_quiet(app: Crm, desk: Desk) -> None:
    inbound_id = received(app)
    route(app, inbound_id)
    [sent] = desk.sent
    assert sent is not None
    assert app.route_inbound(desk_message(app, inbound_id)) == "desk"  # asked again: no answer
    assert desk.sent == [sent, None]
    [decision] = rows(app, auto_answer)
    assert (decision.rule, decision.outcome, decision.email_id) == (
        "desk.acknowledgement",
        "answered",
        sent,
    )
    [queued] = rows(app, email)
    assert queued.subject == "[T-7] Kettle leaks"
    assert "Auto-Submitted: auto-replied" in queued.raw
    assert "Hello Grace Hopper, your number is T-7." in queued.raw


def desk_message(app: Crm, inbound_id: int) -> InboundEmail:
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
    )


def test_the_loop_guard_holds_a_plugins_answer_back(app: Crm, desk: Desk) -> None:
    inbound_id = received(app, Auto_Submitted="auto-replied")
    route(app, inbound_id)
    assert desk.sent == [None]
    [decision] = rows(app, auto_answer)
    assert decision.outcome == "Auto-Submitted: auto-replied" and decision.email_id is None
    assert rows(app, email) == []
