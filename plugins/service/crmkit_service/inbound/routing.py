"""Email to case, through the channels plugin's ``route_inbound``.

A reply on a case's thread (it answers an email a case reply was sent as, or its
subject carries the case's ``[CS-000123]``) from one of the party's addresses is added
to that case as what the customer wrote: quoting a case email's Message-ID proves
nothing about who writes, so a message from another address is an internal note; a new message to one of the support addresses opens a case for
the party the channels plugin resolved. A message is recognised by its
``InboundEmail.id``: routed again after a crash, it is found and never makes a
second case or event.
"""

from __future__ import annotations

import re
from typing import Any

from crmkit_channels import InboundEmail
from sqlalchemy import bindparam, select

from crmkit import SYSTEM, Crm, Transaction
from crmkit_service.cases import service
from crmkit_service.cases.model import NUMBER_PREFIX
from crmkit_service.cases.tables import case, case_event
from crmkit_service.inbound import answers
from crmkit_service.inbound.settings import EmailToCaseSettings

CLAIM = "service"
NO_SUBJECT = "(no subject)"
_TAKEN = select(case_event.c.id).where(
    case_event.c.inbound_email_id == bindparam("inbound_email_id")
)
_NUMBER_IN_SUBJECT = re.compile(rf"\[{NUMBER_PREFIX}(\d{{1,15}})\]", re.IGNORECASE)


def route_inbound(app: Crm, message: Any) -> str | None:
    """``"service"`` when the message was (or had been) taken by a case, else None."""
    if not isinstance(message, InboundEmail) or not _may_be_ours(app, message):
        return None
    with app.transaction(SYSTEM) as tx:
        # Two routers of one message (the server and the job) take turns here.
        tx.hold(f"service.inbound_email.{message.id}")
        return take(tx, message)


def take(tx: Transaction, message: InboundEmail) -> str | None:
    taken = tx.conn.execute(_TAKEN, {"inbound_email_id": message.id}).first()
    if taken is not None:
        return CLAIM
    case_id = thread_case(tx, message)
    if case_id is not None and not service.is_party_address(tx.conn, case_id, message.sender):
        service.foreign_message(
            tx,
            case_id,
            message.text,
            inbound_email_id=message.id,
            message_id=message.message_id,
            sender=message.sender,
        )
        return CLAIM
    if case_id is not None:
        service.customer_reply(
            tx,
            case_id,
            message.text,
            channel="email",
            inbound_email_id=message.id,
            message_id=message.message_id,
            sender=message.sender,
            auto_reply=message.auto_reply,
        )
        return CLAIM
    settings: EmailToCaseSettings = tx.app.settings_of["service"].email_to_case
    if message.party_id is None or message.auto_reply or not _to_support(message, settings):
        return None
    opened = service.open_case(
        tx,
        {
            "party_id": message.party_id,
            "subject": (message.subject.strip() or NO_SUBJECT)[: service.SUBJECT_LIMIT],
            "description": message.text[: service.BODY_LIMIT],
            "kind": settings.kind,
            "priority": settings.priority,
            "channel": "email",
            "team": settings.team,
        },
        origin={"message_id": message.message_id, "sender": message.sender},
        inbound_email_id=message.id,
    )
    answers.answer_new_case(tx, message, opened, settings)
    return CLAIM


def thread_case(tx: Transaction, message: InboundEmail) -> int | None:
    """The case whose thread the message answers: by the email it answers, else by the case
    number in its subject, when that case is the sender's party's."""
    if message.answers_email_id is not None:
        found = tx.conn.execute(
            select(case_event.c.case_id).where(case_event.c.email_id == message.answers_email_id)
        ).scalar()
        if found is not None:
            return int(found)
    if message.party_id is None:
        return None
    for number in _NUMBER_IN_SUBJECT.findall(message.subject):
        # Anyone can write a number in a subject: only the case's own customer adds to it.
        found = tx.conn.execute(
            select(case.c.id).where(case.c.id == int(number), case.c.party_id == message.party_id)
        ).scalar()
        if found is not None:
            return int(found)
    return None


def _may_be_ours(app: Crm, message: InboundEmail) -> bool:
    """Whether the message may answer a case or open one: most mail of other plugins is told
    apart without a transaction."""
    settings: EmailToCaseSettings = app.settings_of["service"].email_to_case
    return (
        message.answers_email_id is not None
        or _NUMBER_IN_SUBJECT.search(message.subject) is not None
        or _to_support(message, settings)
    )


def _to_support(message: InboundEmail, settings: EmailToCaseSettings) -> bool:
    return any(address in settings.addresses for address in message.recipients)
