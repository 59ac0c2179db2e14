"""STARTTLS and implicit TLS against a real server on loopback, its certificate verified."""

from __future__ import annotations

import ssl
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from crmkit_channels import EmailMessage, send
from crmkit_channels.delivery import deliver_due
from crmkit_channels.tables import email
from sqlalchemy import select

from crmkit import SYSTEM, Crm

if TYPE_CHECKING:
    from conftest import Inbox


def _deliver_one(crm: Crm, party: int) -> tuple[str, str | None]:
    with crm.transaction(SYSTEM) as tx:
        email_id = send(
            tx, EmailMessage(party, "orders", subject="Hi", text="x", transactional=True)
        ).id
    deliver_due(crm)
    with crm.read() as conn:
        row = conn.execute(
            select(email.c.status, email.c.last_error).where(email.c.id == email_id)
        ).one()
    return row.status, row.last_error


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_mail_goes_over_tls_to_a_relay_whose_certificate_is_trusted(
    make_channels: Callable[..., Crm],
    smtp_server: Callable[..., Inbox],
    consenting_person: Callable[[Crm], int],
    certificate: tuple[Path, ssl.SSLContext],
    security: str,
) -> None:
    cert, context = certificate
    if security == "starttls":
        relay = smtp_server(tls_context=context, require_starttls=True)
    else:
        relay = smtp_server(ssl_context=context)
    smtp = {"host": "127.0.0.1", "port": relay.port, "security": security}
    crm = make_channels(smtp={**smtp, "ca_file": str(cert)})
    party = consenting_person(crm)

    assert _deliver_one(crm, party) == ("sent", None)
    assert len(relay.messages) == 1

    untrusting = make_channels(smtp=smtp, create_tables=False)
    status, error = _deliver_one(untrusting, party)
    assert status == "queued" and "CERTIFICATE_VERIFY_FAILED" in str(error)
    assert len(relay.messages) == 1


def test_a_relay_that_requires_starttls_gets_nothing_in_plain_text(
    make_channels: Callable[..., Crm],
    smtp_server: Callable[..., Inbox],
    consenting_person: Callable[[Crm], int],
    certificate: tuple[Path, ssl.SSLContext],
) -> None:
    _, context = certificate
    relay = smtp_server(tls_context=context, require_starttls=True)
    crm = make_channels(smtp={"host": "127.0.0.1", "port": relay.port, "security": "none"})
    status, error = _deliver_one(crm, consenting_person(crm))
    assert status == "queued" and "530" in str(error)
    assert relay.messages == []
