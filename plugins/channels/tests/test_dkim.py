"""DKIM: what reaches the relay verifies against the published key, unsubscribe headers included."""

from __future__ import annotations

import base64
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import dkim
import pytest
from crmkit_channels import EmailMessage, send
from crmkit_channels.delivery import deliver_due
from crmkit_channels.tables import email
from sqlalchemy import select

from crmkit import SYSTEM, ConfigurationError, Crm

if TYPE_CHECKING:
    from conftest import Inbox


@pytest.fixture
def key_pair(tmp_path: Path) -> tuple[Path, bytes]:
    """A fresh RSA key's PEM file, and the TXT record that publishes it."""
    private = tmp_path / "dkim.pem"
    subprocess.run(
        ["openssl", "genrsa", "-out", str(private), "2048"], check=True, capture_output=True
    )
    public = subprocess.run(
        ["openssl", "rsa", "-in", str(private), "-pubout", "-outform", "DER"],
        check=True,
        capture_output=True,
    ).stdout
    return private, b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)


def test_sent_mail_carries_a_signature_that_verifies_and_covers_list_unsubscribe(
    make_channels: Callable[..., Crm],
    inbox: Inbox,
    consenting_person: Callable[[Crm], int],
    key_pair: tuple[Path, bytes],
) -> None:
    private, record = key_pair
    dkim_settings = {"domain": "acme.example", "selector": "crm", "private_key_file": str(private)}
    crm = make_channels(dkim=dkim_settings)
    party = consenting_person(crm)
    with crm.transaction(SYSTEM) as tx:
        send(tx, EmailMessage(party, "newsletter", template="welcome", variables={"code": 1}))
    deliver_due(crm)

    [raw] = inbox.raw
    published = {b"crm._domainkey.acme.example.": record}

    def dns(name: bytes, timeout: int = 5) -> bytes | None:
        return published.get(name)

    assert dkim.verify(raw, dnsfunc=dns)
    signature = str(inbox.messages[0]["DKIM-Signature"]).replace("\r\n", "").replace(" ", "")
    assert "d=acme.example;" in signature and "s=crm;" in signature
    signed = signature.split("h=")[1].split(";")[0].lower().split(":")
    assert {"list-unsubscribe", "list-unsubscribe-post", "from", "subject"} <= set(signed)
    # Changing what was signed breaks it.
    tampered = raw.replace(b"Welcome, Ada", b"Welcome, Eve")
    assert not dkim.verify(tampered, dnsfunc=dns)


def test_a_missing_key_file_is_a_configuration_error_and_stores_nothing(
    make_channels: Callable[..., Crm], consenting_person: Callable[[Crm], int], tmp_path: Path
) -> None:
    missing = {
        "domain": "acme.example",
        "selector": "crm",
        "private_key_file": str(tmp_path / "no.pem"),
    }
    crm = make_channels(dkim=missing)
    party = consenting_person(crm)
    with pytest.raises(ConfigurationError) as refused, crm.transaction(SYSTEM) as tx:
        send(tx, EmailMessage(party, "orders", subject="Hi", text="x", transactional=True))
    assert refused.value.key == "plugins.channels.dkim.private_key_file"
    with crm.read() as conn:
        assert conn.execute(select(email.c.id)).all() == []
