"""The invitations' upkeep jobs: links past their expiry expire, and an email the relay
refused makes its invitation failed."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from crmkit_surveys.invitations.sends import create_send
from crmkit_surveys.invitations.tables import invitation
from crmkit_surveys.invitations.upkeep import expire
from sqlalchemy import select, update

from crmkit import Crm, utcnow


def statuses(crm: Crm) -> list[str]:
    with crm.read() as conn:
        return list(conn.execute(select(invitation.c.status).order_by(invitation.c.id)).scalars())


def sent_to(
    crm: Crm, survey_id: int, party_ids: list[int], message: dict[str, Any], **more: Any
) -> None:
    body = {"audience": {"party_ids": party_ids}, "channel": "email", "message": message, **more}
    with crm.transaction() as tx:
        create_send(tx, survey_id, body)


def test_invitations_past_their_expiry_expire_and_completed_ones_stay(
    crm: Crm, new_party: Any, publish_survey: Any, invitation_message: dict[str, Any]
) -> None:
    survey_id = publish_survey(crm)
    parties = [new_party(consent=("feedback",), emails=[f"p{i}@example.org"]) for i in range(3)]
    sent_to(crm, survey_id, parties, invitation_message, expires_after_days=2)
    with crm.transaction() as tx:
        first, second, _ = tx.conn.execute(
            select(invitation.c.id).order_by(invitation.c.id)
        ).scalars()
        tx.conn.execute(
            update(invitation).where(invitation.c.id == first).values(status="completed")
        )
        tx.conn.execute(
            update(invitation).where(invitation.c.id == second).values(status="answering")
        )

    assert crm.jobs.run("surveys.expire_invitations").ok
    assert statuses(crm) == ["completed", "answering", "sent"], "not expired yet"
    with crm.transaction() as tx:
        assert expire(tx, utcnow() + timedelta(days=2, seconds=1)) == 2
    assert statuses(crm) == ["completed", "expired", "expired"]


class Refusing:
    """An SMTP relay refusing every recipient for good."""

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        return "550 5.1.1 no such mailbox"


@pytest.fixture
def refusing_relay() -> Iterator[Any]:
    from aiosmtpd.controller import Controller

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(Refusing(), hostname="127.0.0.1", port=port)
    controller.start()
    yield controller
    controller.stop()


def test_an_invitation_whose_email_the_relay_refused_is_failed(
    make_surveys: Any,
    refusing_relay: Any,
    new_party: Any,
    publish_survey: Any,
    invitation_message: dict[str, Any],
) -> None:
    smtp = {"host": "127.0.0.1", "port": refusing_relay.port, "security": "none", "timeout": 5.0}
    crm = make_surveys(channels={"smtp": smtp})
    survey_id = publish_survey(crm)
    sent_to(crm, survey_id, [new_party(consent=("feedback",))], invitation_message)
    assert crm.jobs.run("surveys.check_deliveries").ok
    assert statuses(crm) == ["sent"], "queued in the outbox: not failed"

    assert crm.jobs.run("channels.deliver_email").ok
    assert crm.jobs.run("surveys.check_deliveries").ok
    assert statuses(crm) == ["failed"]
