"""ADF leads arriving by e-mail through the channels plugin's inbound mail."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage as MimeMessage

import pytest
from crmkit_channels.inbound_tables import inbound_email
from crmkit_channels.mail_routing import route
from crmkit_channels.mail_store import store
from crmkit_dms.formats.tables import document
from sqlalchemy import select

from crmkit import Crm, party_table

from .conftest import CrmMaker
from .test_formats_routes import BERLIN, adf, count, prospect

LEADS = "leads@crm.acme.example"


@pytest.fixture
def crm(make_dms: CrmMaker) -> Crm:
    channels = {
        "from_address": "Acme <crm@acme.example>",
        "public_url": "https://crm.acme.example",
        "link_secret": "x" * 32,
        "smtp": {"host": "127.0.0.1", "port": 2525, "security": "none"},
        "mail_in": {"domains": ["crm.acme.example"]},
    }
    return make_dms(
        dms={"formats": {"mail_addresses": [LEADS]}},
        with_plugins=("channels",),
        settings={"channels": channels},
    )


def deliver(
    crm: Crm, *, to: str = LEADS, attachment: bytes | None = None, text: str = "A new lead."
) -> int:
    message = MimeMessage()
    message["From"] = "AutoPortal <noreply@autoportal-leads.de>"
    message["To"] = to
    message["Subject"] = "New lead"
    message.set_content(text)
    if attachment is not None:
        message.add_attachment(
            attachment, maintype="application", subtype="octet-stream", filename="lead.adf"
        )
    raw = message.as_bytes(policy=policy.SMTP)
    with crm.transaction() as tx:
        inbound_id = store(
            tx, raw, "noreply@autoportal-leads.de", [to], crm.settings_of["channels"].mail_in
        )
    assert inbound_id is not None
    route(crm, inbound_id)
    return inbound_id


def claimed_by(crm: Crm, inbound_id: int) -> str | None:
    with crm.read() as conn:
        found: str | None = conn.execute(
            select(inbound_email.c.claimed_by).where(inbound_email.c.id == inbound_id)
        ).scalar_one()
        return found


def leads(crm: Crm) -> int:
    """Leads taken in from ADF (the sender of the mail is a party of its own, by channels)."""
    with crm.read() as conn:
        return len(
            conn.execute(select(party_table.c.id).where(party_table.c.last_name == "Berg")).all()
        )


def test_an_adf_attachment_is_taken_in_once(crm: Crm) -> None:
    body = adf(prospect("Anna Berg", BERLIN))
    first = deliver(crm, attachment=body)
    assert claimed_by(crm, first) == "dms"
    assert leads(crm) == 1
    route(crm, first)  # routed again after a crash: nothing twice
    assert (leads(crm), count(crm, document)) == (1, 1)
    with crm.read() as conn:
        assert conn.execute(select(document.c.source)).scalar_one() == "email"


def test_adf_as_the_text_of_the_message_is_taken_in(crm: Crm) -> None:
    inbound_id = deliver(crm, text=adf(prospect("Anna Berg", BERLIN)).decode())
    assert claimed_by(crm, inbound_id) == "dms" and leads(crm) == 1


def test_mail_to_another_mailbox_or_without_adf_is_left_alone(crm: Crm) -> None:
    other = deliver(crm, to="info@crm.acme.example", attachment=adf(prospect("Anna Berg", BERLIN)))
    plain = deliver(crm, text="Hello, is the Golf still available?")
    broken = deliver(crm, attachment=b"<adf><prospect>")
    assert [claimed_by(crm, i) for i in (other, plain, broken)] == [None, None, None]
    assert (leads(crm), count(crm, document)) == (0, 0)
