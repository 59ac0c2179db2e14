"""Delivery to a real HTTP server on loopback shaped like Twilio: outcomes, retries, never twice."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs
import httpx
from crmkit_channels import SmsMessage, send
from crmkit_channels.delivery import deliver_due, give_up_on_abandoned
from crmkit_channels.outboxes import SMS
from crmkit_channels.tables import sms
from sqlalchemy import update

from crmkit import SYSTEM, Crm, timeline, utcnow

if TYPE_CHECKING:
    from conftest import Gateway

RETRY = 0.3
"""The tests' retry delay: a deferred SMS is due again after it."""
ACCOUNT_SID = "AC00000000000000000000000000000001"


def queue(crm: Crm, party: int, purpose: str = "newsletter", **values: Any) -> int:
    message = SmsMessage(party, purpose, template="code", variables={"code": 7}, **values)
    with crm.transaction(SYSTEM) as tx:
        return send(tx, message).id


def outcomes(crm: Crm, party: int) -> list[tuple[str | None, str | None]]:
    with crm.read() as conn:
        return [(i.outcome, i.summary) for i in timeline(conn, party).items]


def test_queued_sms_reach_the_gateway_over_one_connection_with_the_sid_kept(
    sms_crm: Crm,
    gateway: Gateway,
    new_texter: Callable[..., int],
    give_sms_consent: Callable[..., None],
    sms_row: Any,
) -> None:
    parties = [new_texter(phones=(f"+49 151 2345678{i}",)) for i in range(3)]
    for party in parties:
        give_sms_consent(party, "granted")
    ids = [queue(sms_crm, party) for party in parties]

    assert deliver_due(sms_crm, SMS) == 3

    assert gateway.connections == 1
    first = gateway.taken[0].form
    assert first == {
        "To": "+4915123456780",
        "From": "+4915112345678",
        "Body": "Hi Ada, your code is 7.",
        "StatusCallback": f"https://crm.acme.example/p/channels/sms/status?message={ids[0]}",
    }
    for sms_id, party, taken in zip(ids, parties, gateway.taken, strict=True):
        row = sms_row(sms_crm, sms_id)
        assert (row["status"], row["sid"], row["attempts"]) == ("sent", taken.sid, 1)
        [(outcome, summary)] = outcomes(sms_crm, party)
        assert outcome == "sent" and taken.sid in (summary or "")
    assert deliver_due(sms_crm, SMS) == 0 and len(gateway.taken) == 3


def test_a_messaging_service_replaces_the_from_number(
    make_sms_crm: Callable[..., Crm], gateway: Gateway, texter_in: Callable[[Crm], int]
) -> None:
    crm = make_sms_crm(from_number=None, messaging_service_sid="MG0000000000000000000000000000000a")
    queue(crm, texter_in(crm), "orders", transactional=True)
    deliver_due(crm, SMS)
    [taken] = gateway.taken
    assert "From" not in taken.form
    assert taken.form["MessagingServiceSid"] == "MG0000000000000000000000000000000a"


def test_an_invalid_number_fails_at_once_with_the_gateways_error(
    sms_crm: Crm, gateway: Gateway, texter: int, sms_row: Any
) -> None:
    gateway.invalid_numbers.add("+4915123456789")
    sms_id = queue(sms_crm, texter)

    deliver_due(sms_crm, SMS)

    row = sms_row(sms_crm, sms_id)
    assert (row["status"], row["attempts"], row["sid"]) == ("failed", 1, None)
    assert "21211" in row["last_error"] and "not a valid phone number" in row["last_error"]
    [(outcome, summary)] = outcomes(sms_crm, texter)
    assert outcome == "failed" and "21211" in (summary or "")
    time.sleep(RETRY)
    assert deliver_due(sms_crm, SMS) == 0 and gateway.requests == 1


def test_throttling_and_server_errors_are_retried_with_backoff(
    sms_crm: Crm, gateway: Gateway, texter: int, sms_row: Any
) -> None:
    gateway.plan = [429, 503]
    sms_id = queue(sms_crm, texter)

    deliver_due(sms_crm, SMS)
    row = sms_row(sms_crm, sms_id)
    assert (row["status"], row["attempts"]) == ("queued", 1)
    assert "HTTP 429" in row["last_error"] and row["next_attempt_at"] > utcnow()
    # Not due before its backoff has passed.
    assert deliver_due(sms_crm, SMS) == 0

    time.sleep(RETRY)
    deliver_due(sms_crm, SMS)
    assert "HTTP 503" in sms_row(sms_crm, sms_id)["last_error"]
    time.sleep(RETRY)
    deliver_due(sms_crm, SMS)

    row = sms_row(sms_crm, sms_id)
    assert (row["status"], row["attempts"]) == ("sent", 3)
    assert len(gateway.taken) == 1 and gateway.requests == 3


def test_a_gateway_that_cannot_be_reached_is_retried(
    make_sms_crm: Callable[..., Crm],
    texter_in: Callable[[Crm], int],
    unused_port: int,
    sms_row: Any,
) -> None:
    crm = make_sms_crm(base_url=f"http://127.0.0.1:{unused_port}")
    sms_id = queue(crm, texter_in(crm), "orders", transactional=True)
    deliver_due(crm, SMS)
    row = sms_row(crm, sms_id)
    assert (row["status"], row["attempts"]) == ("queued", 1)
    assert "cannot reach the gateway" in row["last_error"]


def test_wrong_credentials_are_retried_not_failed(
    make_sms_crm: Callable[..., Crm], texter_in: Callable[[Crm], int], sms_row: Any
) -> None:
    crm = make_sms_crm(auth_token="not-the-token")
    sms_id = queue(crm, texter_in(crm), "orders", transactional=True)
    deliver_due(crm, SMS)
    row = sms_row(crm, sms_id)
    assert row["status"] == "queued" and "HTTP 401" in row["last_error"]


def test_a_hang_up_after_the_request_is_unknown_and_never_sent_again(
    sms_crm: Crm, gateway: Gateway, texter: int, sms_row: Any
) -> None:
    gateway.plan = ["hang-up"]
    sms_id = queue(sms_crm, texter)

    deliver_due(sms_crm, SMS)

    row = sms_row(sms_crm, sms_id)
    assert row["status"] == "unknown"
    [(outcome, summary)] = outcomes(sms_crm, texter)
    assert outcome == "unknown" and "check with the gateway" in (summary or "")
    time.sleep(RETRY)
    assert deliver_due(sms_crm, SMS) == 0 and gateway.requests == 1


def test_consent_withdrawn_after_send_suppresses_the_sms_at_delivery(
    sms_crm: Crm, gateway: Gateway, texter: int, give_sms_consent: Callable[..., None], sms_row: Any
) -> None:
    sms_id = queue(sms_crm, texter)
    give_sms_consent(texter, "withdrawn")

    deliver_due(sms_crm, SMS)

    assert gateway.requests == 0
    row = sms_row(sms_crm, sms_id)
    assert (row["status"], row["last_error"]) == ("suppressed", "no consent to text for newsletter")


def test_an_sms_left_sending_by_a_dead_worker_becomes_unknown(
    sms_crm: Crm, gateway: Gateway, texter: int, sms_row: Any
) -> None:
    sms_id = queue(sms_crm, texter)
    with sms_crm.transaction() as tx:  # what a worker killed during the request leaves behind
        tx.conn.execute(
            update(sms)
            .where(sms.c.id == sms_id)
            .values(status="sending", sending_at=utcnow(), attempts=1, next_attempt_at=None)
        )
    settings = sms_crm.settings_of["channels"]
    assert give_up_on_abandoned(sms_crm, settings, SMS) == 0  # not yet: it may still be working
    time.sleep(0.05)
    impatient = attrs.evolve(settings, sending_timeout_seconds=0.01)
    assert give_up_on_abandoned(sms_crm, impatient, SMS) == 1

    assert sms_row(sms_crm, sms_id)["status"] == "unknown"
    assert deliver_due(sms_crm, SMS) == 0 and gateway.requests == 0


def test_the_gateway_is_asked_with_basic_auth(gateway: Gateway) -> None:
    # The fake gateway refuses any other credentials: a guard that the tests above mean something.
    answer = httpx.post(
        f"{gateway.url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json",
        data={"To": "+4915123456789", "Body": "x"},
        headers={"Authorization": "Basic " + base64.b64encode(b"AC:wrong").decode()},
    )
    assert answer.status_code == 401 and answer.json()["code"] == 20003
