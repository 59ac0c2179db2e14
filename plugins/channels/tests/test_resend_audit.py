"""A message sent again is in the kernel's audit trail: who resent which message, and as which."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from crmkit_channels import EmailMessage, send
from crmkit_channels.tables import email
from sqlalchemy import update

from crmkit import SYSTEM, Actor, Crm, audit_history, record_consent

if TYPE_CHECKING:
    from conftest import PersonMaker

CLERK = Actor(user_id=None, username="clerk", role="service")


def failed_email(crm: Crm, party_id: int) -> int:
    with crm.transaction(SYSTEM) as tx:
        message = EmailMessage(
            party_id, "invoice", subject="Invoice", text="Attached.", transactional=True
        )
        sent = send(tx, message)
        tx.conn.execute(update(email).where(email.c.id == sent.id).values(status="failed"))
    return sent.id


def trail(crm: Crm, entity: str, entity_id: int) -> list[tuple[str, str, dict[str, Any]]]:
    with crm.read() as conn:
        return [(e.actor_name, e.action, e.changes) for e in audit_history(conn, entity, entity_id)]


def test_a_resent_email_is_audited_as_created_from_the_original_by_whoever_resent_it(
    crm: Crm,
    client_as: Callable[[Actor], Any],
    new_person: PersonMaker,
    failed_sms: Callable[..., int],
) -> None:
    failed = failed_email(crm, new_person("ada@example.org"))

    with client_as(CLERK) as client:
        again = client.post(f"/p/channels/emails/{failed}/resend")
        refused = client.post(f"/p/channels/emails/{failed}/resend")

    assert again.status_code == 201, again.text
    assert refused.status_code == 409, "resent once: the second ask writes no second entry"
    assert trail(crm, "channels.email", again.json()["id"]) == [
        ("clerk", "created", {"resent_from_id": [None, failed], "status": [None, "queued"]})
    ]
    assert trail(crm, "channels.email", failed) == []


def test_a_resent_text_message_is_audited_too(
    crm: Crm,
    client_as: Callable[[Actor], Any],
    new_person: PersonMaker,
    failed_sms: Callable[..., int],
) -> None:
    party_id = new_person("ada@example.org")
    with crm.transaction(SYSTEM) as tx:
        record_consent(tx, party_id, "invoice", "sms", "withdrawn", source="test")
    sms_id = failed_sms(party_id, purpose="invoice", body="Your invoice is ready")

    with client_as(CLERK) as client:
        again = client.post(f"/p/channels/sms/{sms_id}/resend")

    assert again.status_code == 201, again.text
    # Consent was withdrawn since: the new message is suppressed, and the entry says so.
    assert trail(crm, "channels.sms", again.json()["id"]) == [
        ("clerk", "created", {"resent_from_id": [None, sms_id], "status": [None, "suppressed"]})
    ]
