"""SMS into the outbox: the body rendered, its segments counted, the party's mobile number chosen."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import phonenumbers
from attrs import field, frozen
from sqlalchemy import Connection, insert

from crmkit import (
    ConfigurationError,
    PhoneNumber,
    Transaction,
    ValidationError,
    get_party,
    require,
    utcnow,
)
from crmkit_channels import timeline
from crmkit_channels.consent import may_contact
from crmkit_channels.links import is_public_address
from crmkit_channels.messages import check_purpose_and_variables, party_variables, settings_of
from crmkit_channels.outboxes import SMS
from crmkit_channels.rendering import render
from crmkit_channels.segments import count_segments
from crmkit_channels.settings import SmsSettings
from crmkit_channels.stored_templates import stored_sms
from crmkit_channels.tables import sms

RESERVED = frozenset({"party"})
"""The variables every SMS template is given, which a message's own may not replace."""
MOBILE_TYPES = frozenset(
    {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
)


@frozen
class SmsMessage:
    """A text message to one party: a named template, or a body of its own (a template too).

    ``purpose`` names the consent it needs on the channel ``sms``; a
    ``transactional`` one (a delivery notice, a one-time code) needs none.
    ``variables`` are the recipient's own, beside ``party``. ``to`` (E.164)
    overrides the party's first mobile number.
    """

    party_id: int
    purpose: str
    template: str | None = None
    body: str | None = None
    variables: Mapping[str, Any] = field(factory=dict)
    transactional: bool = False
    to: str | None = None


@frozen
class SmsOutbound:
    """An SMS as the outbox holds it."""

    id: int
    party_id: int
    status: str
    recipient: str
    body: str
    encoding: str
    """``GSM-7`` or ``UCS-2``."""
    segments: int


def _check_settings(settings: SmsSettings) -> None:
    if not settings.account_sid or not settings.auth_token:
        raise ConfigurationError(
            "plugins.channels.sms.account_sid", "set the gateway's account_sid and auth_token"
        )
    if not settings.from_number and not settings.messaging_service_sid:
        raise ConfigurationError(
            "plugins.channels.sms.from_number",
            "set the sender: from_number or messaging_service_sid",
        )


def _source(conn: Connection, settings: SmsSettings, message: SmsMessage) -> str:
    if message.template is not None:
        if message.body is not None:
            raise ValidationError("template", "give a template or a body, not both")
        found = settings.template(message.template)
        if found is None:
            stored = stored_sms(conn, message.template)
            if stored is not None:
                return stored
            known = ", ".join(sorted(t.name for t in settings.templates)) or "none"
            raise ValidationError(
                "template", f"no SMS template named {message.template!r} (known: {known})"
            )
        return found.body
    if not message.body:
        raise ValidationError("body", "expected a template or a body")
    return message.body


def _recipient(party: Any, given: str | None) -> str:
    """``given``, else the party's first mobile number, else its first number at all."""
    if given is not None:
        return PhoneNumber.parse(given, field_name="to").e164
    numbers = [str(p.e164) for p in party.phones]
    if not numbers:
        raise ValidationError("party_id", f"party {party.id} has no phone number")
    mobile = (n for n in numbers if phonenumbers.number_type(phonenumbers.parse(n)) in MOBILE_TYPES)
    return next(mobile, numbers[0])


def queue_sms(tx: Transaction, message: SmsMessage) -> SmsOutbound:
    """``send`` of an SMS: render, count, check consent and store it in ``tx``."""
    check_purpose_and_variables(message.purpose, message.variables, RESERVED)
    channels = settings_of(tx)
    settings = channels.sms
    _check_settings(settings)
    if not is_public_address(channels.public_url):
        raise ConfigurationError(
            "plugins.channels.public_url",
            "set the CRM's https:// address: the gateway sends delivery reports there",
        )
    party = get_party(tx.conn, message.party_id)
    require(tx.hooks, tx.actor, "core:party.read", party, conn=tx.conn)
    recipient = _recipient(party, message.to)
    variables = {**message.variables, "party": party_variables(party, phone=recipient)}
    body = render("body", _source(tx.conn, settings, message), variables)
    if not body.strip():
        raise ValidationError("body", "the message is empty")
    segments = count_segments(body)
    if segments.count > settings.max_segments:
        raise ValidationError(
            "body",
            f"the message takes {segments.count} {segments.encoding} segments, "
            f"more than max_segments ({settings.max_segments})",
        )
    allowed = message.transactional or may_contact(
        tx.conn, message.party_id, message.purpose, SMS.channel
    )
    status = "queued" if allowed else "suppressed"
    reason = None if allowed else timeline.no_consent(SMS, message.purpose)
    now = utcnow()
    row = tx.conn.execute(
        insert(sms)
        .values(
            party_id=message.party_id,
            purpose=message.purpose,
            transactional=message.transactional,
            template=message.template,
            recipient=recipient,
            body=body,
            encoding=segments.encoding,
            segments=segments.count,
            variables=dict(message.variables),
            status=status,
            attempts=0,
            next_attempt_at=now if allowed else None,
            last_error=reason,
            created_by=tx.actor.username,
            created_at=now,
            finished_at=None if allowed else now,
        )
        .returning(*sms.c)
    ).one()
    if not allowed:
        timeline.record(tx, SMS, row, status, reason)
    return SmsOutbound(
        row.id, row.party_id, status, recipient, body, segments.encoding, segments.count
    )
