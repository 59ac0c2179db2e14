"""``send(tx, SmsMessage(...))``: the number chosen, the body rendered and counted, consent, refusals."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from crmkit_channels import SmsMessage, send
from crmkit_channels.tables import sms
from sqlalchemy import func, select

from crmkit import SYSTEM, ConfigurationError, Crm, ValidationError, timeline


def _send(crm: Crm, message: SmsMessage) -> Any:
    with crm.transaction(SYSTEM) as tx:
        return send(tx, message)


def _count(crm: Crm) -> int:
    with crm.read() as conn:
        return int(conn.execute(select(func.count()).select_from(sms)).scalar_one())


def test_a_templated_sms_goes_to_the_first_mobile_number_counted_and_queued(
    sms_crm: Crm,
    new_texter: Callable[..., int],
    give_sms_consent: Callable[..., None],
    sms_row: Any,
) -> None:
    # A landline first: an SMS goes to the mobile number after it.
    party = new_texter(phones=("030 1234567", "0151 23456789"))
    give_sms_consent(party, "granted")

    out = _send(
        sms_crm, SmsMessage(party, "newsletter", template="code", variables={"code": "4711"})
    )

    assert (out.status, out.recipient) == ("queued", "+4915123456789")
    assert out.body == "Hi Ada, your code is 4711."
    assert (out.encoding, out.segments) == ("GSM-7", 1)
    row = sms_row(sms_crm, out.id)
    assert (row["recipient"], row["body"], row["segments"], row["attempts"]) == (
        "+4915123456789",
        "Hi Ada, your code is 4711.",
        1,
        0,
    )
    assert row["variables"] == {"code": "4711"}


def test_a_body_of_its_own_in_ucs2_and_the_to_override(sms_crm: Crm, texter: int) -> None:
    out = _send(
        sms_crm,
        SmsMessage(
            texter, "newsletter", body="Grüße, {{ party.first_name }} 😀", to="+44 7911 123456"
        ),
    )
    assert out.recipient == "+447911123456"
    assert (out.body, out.encoding, out.segments) == ("Grüße, Ada 😀", "UCS-2", 1)


def test_without_sms_consent_it_is_suppressed_and_on_the_timeline(
    sms_crm: Crm, new_texter: Callable[..., int], give_consent: Callable[..., None]
) -> None:
    party = new_texter()
    # Consent by email is not consent by SMS.
    give_consent(party, "granted")
    out = _send(sms_crm, SmsMessage(party, "newsletter", body="News"))
    assert out.status == "suppressed"
    with sms_crm.read() as conn:
        [entry] = timeline(conn, party).items
    assert (entry.channel, entry.direction, entry.outcome) == ("sms", "outbound", "suppressed")
    assert "no consent to text for newsletter" in (entry.summary or "")


def test_a_transactional_sms_needs_no_consent(sms_crm: Crm, new_texter: Callable[..., int]) -> None:
    out = _send(
        sms_crm, SmsMessage(new_texter(), "orders", body="Parcel on its way", transactional=True)
    )
    assert out.status == "queued"


@pytest.mark.parametrize(
    ("message", "field"),
    [
        (dict(body="x" * 460), "body"),  # 3 GSM-7 segments hold 459 septets
        (dict(body="ç" * 202), "body"),  # 3 UCS-2 segments hold 201 units
        (dict(body="{{ missing }}"), "body"),
        (dict(body="   "), "body"),
        (dict(template="nope"), "template"),
        (dict(template="code", body="x"), "template"),
        (dict(body="x", to="not a number"), "to"),
        (dict(body="x", variables={"party": 1}), "variables"),
        (dict(body="x", purpose="News Letter!"), "purpose"),
    ],
)
def test_bad_messages_are_refused_naming_the_field_and_nothing_is_stored(
    sms_crm: Crm, texter: int, message: dict[str, Any], field: str
) -> None:
    purpose = message.pop("purpose", "newsletter")
    with pytest.raises(ValidationError) as caught:
        _send(sms_crm, SmsMessage(texter, purpose, **message))
    assert caught.value.field == field
    assert _count(sms_crm) == 0


def test_the_segment_limit_is_a_setting(
    make_sms_crm: Callable[..., Crm], texter_in: Callable[[Crm], int]
) -> None:
    crm = make_sms_crm(max_segments=4)
    out = _send(crm, SmsMessage(texter_in(crm), "orders", body="x" * 460, transactional=True))
    assert out.segments == 4


def test_a_party_without_a_number_is_refused(sms_crm: Crm, new_person: Callable[..., int]) -> None:
    with pytest.raises(ValidationError) as caught:
        _send(sms_crm, SmsMessage(new_person(), "orders", body="x", transactional=True))
    assert caught.value.field == "party_id"


def test_missing_gateway_settings_are_named(
    make_sms_crm: Callable[..., Crm], new_texter: Callable[..., int]
) -> None:
    crm = make_sms_crm(from_number=None)
    with pytest.raises(ConfigurationError) as caught:
        _send(crm, SmsMessage(1, "orders", body="x", transactional=True))
    assert "from_number" in str(caught.value)
