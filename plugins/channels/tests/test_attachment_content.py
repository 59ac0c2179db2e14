"""attachment_content: a plugin claiming inbound mail reads its attachments' bytes."""

from __future__ import annotations

from collections.abc import Callable
from email import policy
from email.message import EmailMessage as MimeMessage

from crmkit_channels import InboundEmail, attachment_content
from crmkit_channels.mail_routing import route
from crmkit_channels.mail_store import store

from crmkit import Crm, hookimpl
from crmkit.testing import register_plugin


class Reader:
    """Claims nothing; keeps what each attachment of each message held."""

    def __init__(self) -> None:
        self.contents: list[bytes | None] = []

    @hookimpl
    def route_inbound(self, app: Crm, message: InboundEmail) -> None:
        with app.read() as conn:
            for attachment in message.attachments:
                self.contents.append(attachment_content(conn, message, attachment.id))
            # An attachment of another message is not this one's.
            self.contents.append(attachment_content(conn, message, 10_000))


def test_a_claiming_plugin_reads_the_bytes_of_each_attachment(
    make_crm: Callable[..., Crm], make_channels: Callable[..., Crm]
) -> None:
    reader = Reader()
    base = make_channels(mail_in={"domains": ["crm.acme.example"]})
    crm = make_crm(
        plugins=["channels", register_plugin(reader, name="reader")],
        settings=base.settings,
        create_tables=False,
    )
    message = MimeMessage()
    message["From"] = "leads@provider.example.org"
    message["To"] = "leads@crm.acme.example"
    message["Subject"] = "New lead"
    message.set_content("See the attachment.")
    message.add_attachment(b"<adf/>", maintype="application", subtype="xml", filename="lead.xml")
    raw = message.as_bytes(policy=policy.SMTP)
    with crm.transaction() as tx:
        inbound_id = store(
            tx,
            raw,
            "leads@provider.example.org",
            ["leads@crm.acme.example"],
            crm.settings_of["channels"].mail_in,
        )
    assert inbound_id is not None
    route(crm, inbound_id)
    assert reader.contents == [b"<adf/>", None]
