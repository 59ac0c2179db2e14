"""The gateway's signed webhooks: delivery reports on a sent SMS, and SMS received from parties."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from crmkit_channels import SmsMessage, send, sms_states
from crmkit_channels.delivery import deliver_due
from crmkit_channels.outboxes import SMS
from crmkit_channels.tables import sms, sms_received
from sqlalchemy import select, update

from crmkit import SYSTEM, Crm, consents_of, timeline
from crmkit.testing import add_user, http_client

if TYPE_CHECKING:
    from starlette.testclient import TestClient

PUBLIC_URL = "https://crm.acme.example"
STATUS = "/p/channels/sms/status"
RECEIVED = "/p/channels/sms/received"
Signer = Callable[..., str]


@pytest.fixture
def client(sms_crm: Crm) -> TestClient:
    # The gateway signs the URL it calls: the server must see the public one.
    return http_client(sms_crm, base_url=PUBLIC_URL)


def post(client: TestClient, sign: Signer, path: str, form: dict[str, str], **options: Any) -> Any:
    url = PUBLIC_URL + path
    signature = options.pop("signature", None) or sign(url, form)
    return client.post(path, data=form, headers={"X-Twilio-Signature": signature})


def sent_sms(crm: Crm, party: int) -> tuple[int, str]:
    """An SMS handed to the gateway: its id and SID."""
    with crm.transaction(SYSTEM) as tx:
        sms_id = send(tx, SmsMessage(party, "newsletter", body="Spring sale")).id
    deliver_due(crm, SMS)
    with crm.read() as conn:
        sid = conn.execute(select(sms.c.sid).where(sms.c.id == sms_id)).scalar_one()
    return sms_id, sid


def report(sms_id: int, sid: str, status: str, **extra: str) -> tuple[str, dict[str, str]]:
    form = {
        "MessageSid": sid,
        "MessageStatus": status,
        "AccountSid": "AC00000000000000000000000000000001",
        "To": "+4915123456789",
        **extra,
    }
    return f"{STATUS}?message={sms_id}", form


def entries(crm: Crm, party: int) -> list[tuple[str, str | None]]:
    with crm.read() as conn:
        return [(i.direction, i.outcome) for i in timeline(conn, party).items]


def test_the_documented_twilio_vector(twilio_signature: Signer) -> None:
    # The tests sign as Twilio does: its published example, recomputed.
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+12349013030",
        "Digits": "1234",
        "From": "+12349013030",
        "To": "+18005551212",
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert twilio_signature(url, params, "12345") == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


def test_reports_move_the_sms_forward_only_and_the_outcome_reaches_the_timeline(
    sms_crm: Crm, client: TestClient, twilio_signature: Signer, texter: int, sms_row: Any
) -> None:
    sms_id, sid = sent_sms(sms_crm, texter)

    for status in ("queued", "sent", "delivered", "sent", "delivered", "queued"):
        path, form = report(sms_id, sid, status)
        assert post(client, twilio_signature, path, form).status_code == 204

    row = sms_row(sms_crm, sms_id)
    assert (row["status"], row["gateway_status"], row["last_error"]) == (
        "delivered",
        "delivered",
        None,
    )
    # One entry for the hand-over, one for the delivery: repeated reports log nothing more.
    assert entries(sms_crm, texter) == [("outbound", "delivered"), ("outbound", "sent")]


def test_a_report_of_delivery_before_the_report_of_sending_is_kept(
    sms_crm: Crm, client: TestClient, twilio_signature: Signer, texter: int, sms_row: Any
) -> None:
    sms_id, sid = sent_sms(sms_crm, texter)
    for status in ("undelivered", "sending", "sent", "delivered"):
        path, form = report(sms_id, sid, status, ErrorCode="30003")
        assert post(client, twilio_signature, path, form).status_code == 204
    row = sms_row(sms_crm, sms_id)
    assert (row["status"], row["gateway_status"]) == ("undelivered", "undelivered")
    assert row["last_error"] == "the gateway reports undelivered, error 30003"
    assert entries(sms_crm, texter)[0] == ("outbound", "undelivered")


@pytest.mark.parametrize("left", ["sending", "unknown"])
def test_a_report_settles_an_sms_whose_answer_was_not_stored(
    sms_crm: Crm, client: TestClient, twilio_signature: Signer, texter: int, sms_row: Any, left: str
) -> None:
    sms_id, sid = sent_sms(sms_crm, texter)
    with sms_crm.transaction() as tx:  # the worker is still storing the answer, or died first
        tx.conn.execute(update(sms).where(sms.c.id == sms_id).values(status=left, sid=None))

    path, form = report(sms_id, sid, "delivered")
    assert post(client, twilio_signature, path, form).status_code == 204

    row = sms_row(sms_crm, sms_id)
    assert (row["status"], row["sid"]) == ("delivered", sid)


def test_a_bad_signature_is_refused_and_changes_nothing(
    sms_crm: Crm, client: TestClient, twilio_signature: Signer, texter: int, sms_row: Any
) -> None:
    sms_id, sid = sent_sms(sms_crm, texter)
    path, form = report(sms_id, sid, "failed")
    wrong_token = twilio_signature(PUBLIC_URL + path, form, "another-token")
    # Signed for another message: the id in the URL is covered too.
    other_url = twilio_signature(f"{PUBLIC_URL}{STATUS}?message={sms_id + 1}", form)
    for signature in (wrong_token, other_url):
        answer = post(client, twilio_signature, path, form, signature=signature)
        assert answer.status_code == 403
        assert answer.json()["title"] == "Signature mismatch"
    assert client.post(path, data=form).status_code == 403  # no signature at all
    assert sms_row(sms_crm, sms_id)["status"] == "sent"


def test_an_unknown_message_sid_is_refused_naming_the_field(
    sms_crm: Crm, client: TestClient, twilio_signature: Signer, texter: int, sms_row: Any
) -> None:
    sms_id, _ = sent_sms(sms_crm, texter)
    for path, form in (
        report(sms_id, "SM" + "0" * 32, "delivered"),
        report(sms_id + 100, "SM" + "0" * 32, "delivered"),
    ):
        answer = post(client, twilio_signature, path, form)
        assert answer.status_code == 422
        assert answer.json()["field"] == "MessageSid"
    path, form = report(sms_id, "SMx", "exploded")
    assert post(client, twilio_signature, path, form).json()["field"] == "MessageStatus"
    assert sms_row(sms_crm, sms_id)["status"] == "sent"
    assert entries(sms_crm, texter) == [("outbound", "sent")]


def received(sid: str, body: str, sender: str = "+4915123456789") -> dict[str, str]:
    return {
        "MessageSid": sid,
        "AccountSid": "AC00000000000000000000000000000001",
        "From": sender,
        "To": "+4915112345678",
        "Body": body,
        "NumMedia": "0",
    }


def sms_consents(crm: Crm, party: int) -> dict[str, tuple[str, str]]:
    with crm.read() as conn:
        return {
            c.purpose: (c.status, c.source) for c in consents_of(conn, party) if c.channel == "sms"
        }


def test_an_sms_received_lands_once_on_the_senders_timeline(
    sms_crm: Crm, client: TestClient, twilio_signature: Signer, texter: int
) -> None:
    form = received("SM" + "1" * 32, "Is the shop open on Sunday?", sender="+49 (151) 2345-6789")
    for _ in range(2):  # the gateway retries: stored once
        answer = post(client, twilio_signature, RECEIVED, form)
        assert answer.status_code == 200 and "<Response>" in answer.text

    with sms_crm.read() as conn:
        [item] = timeline(conn, texter).items
        stored = conn.execute(select(sms_received)).one()
    assert (item.channel, item.direction, item.subject) == (
        "sms",
        "inbound",
        "Is the shop open on Sunday?",
    )
    assert (stored.party_id, stored.sender, stored.keyword) == (texter, "+4915123456789", None)


def test_a_stranger_becomes_a_party_through_intake(
    sms_crm: Crm, client: TestClient, twilio_signature: Signer
) -> None:
    form = received("SM" + "2" * 32, "Hello, please call me", sender="+4917659302871")
    assert post(client, twilio_signature, RECEIVED, form).status_code == 200
    with sms_crm.read() as conn:
        party = conn.execute(select(sms_received.c.party_id)).scalar_one()
        assert party is not None
        assert [i.direction for i in timeline(conn, party).items] == ["inbound"]


def test_stop_withdraws_sms_consent_and_start_grants_it_again(
    sms_crm: Crm,
    client: TestClient,
    twilio_signature: Signer,
    texter: int,
    give_sms_consent: Callable[..., None],
    give_consent: Callable[..., None],
) -> None:
    give_sms_consent(texter, "granted", "offers")
    give_sms_consent(texter, "withdrawn", "surveys", source="web-form")
    give_consent(texter, "granted")  # by email: not touched

    post(client, twilio_signature, RECEIVED, received("SM" + "3" * 32, " stop "))

    assert sms_consents(sms_crm, texter) == {
        "newsletter": ("withdrawn", "sms-keyword"),
        "offers": ("withdrawn", "sms-keyword"),
        "surveys": ("withdrawn", "web-form"),
    }
    with sms_crm.read() as conn:
        assert [c.status for c in consents_of(conn, texter) if c.channel == "email"] == ["granted"]
    with sms_crm.transaction(SYSTEM) as tx:
        assert send(tx, SmsMessage(texter, "newsletter", body="News")).status == "suppressed"

    post(client, twilio_signature, RECEIVED, received("SM" + "4" * 32, "Start"))

    # What the keyword withdrew comes back; a withdrawal made elsewhere stays.
    assert sms_consents(sms_crm, texter) == {
        "newsletter": ("granted", "sms-keyword"),
        "offers": ("granted", "sms-keyword"),
        "surveys": ("withdrawn", "web-form"),
    }
    inbound = [outcome for direction, outcome in entries(sms_crm, texter) if direction == "inbound"]
    assert inbound == ["start", "stop"]


def test_a_word_in_a_sentence_is_no_keyword(
    sms_crm: Crm, client: TestClient, twilio_signature: Signer, texter: int
) -> None:
    post(client, twilio_signature, RECEIVED, received("SM" + "5" * 32, "Please stop by tomorrow"))
    assert sms_consents(sms_crm, texter) == {"newsletter": ("granted", "test")}


def test_bad_received_sms_are_refused_naming_the_field(
    sms_crm: Crm, client: TestClient, twilio_signature: Signer, texter: int
) -> None:
    cases = [
        (received("SM" + "6" * 32, "hi", sender="not a number"), "From"),
        (received("", "hi"), "MessageSid"),
    ]
    for form, field in cases:
        answer = post(client, twilio_signature, RECEIVED, form)
        assert answer.status_code == 422 and answer.json()["field"] == field
    form = received("SM" + "7" * 32, "STOP")
    bad = twilio_signature(PUBLIC_URL + RECEIVED, {**form, "Body": "hi"})
    assert post(client, twilio_signature, RECEIVED, form, signature=bad).status_code == 403
    with sms_crm.read() as conn:
        assert conn.execute(select(sms_received)).all() == []
    assert sms_consents(sms_crm, texter) == {"newsletter": ("granted", "test")}


def test_sms_states_tell_what_the_gateway_reported_to_those_who_see_the_party(
    sms_crm: Crm, client: TestClient, twilio_signature: Signer, texter: int
) -> None:
    delivered, sid = sent_sms(sms_crm, texter)
    undelivered, other_sid = sent_sms(sms_crm, texter)
    for sms_id, found, status in (
        (delivered, sid, "delivered"),
        (undelivered, other_sid, "undelivered"),
    ):
        path, form = report(sms_id, found, status, ErrorCode="30003")
        assert post(client, twilio_signature, path, form).status_code == 204
    stranger = add_user(sms_crm, "otto", "sales", team="west", territories=("FR-75",))

    with sms_crm.transaction(SYSTEM) as tx:
        states = sms_states(tx, [undelivered, delivered, 999_999])
    with sms_crm.transaction(stranger) as tx:
        hidden = sms_states(tx, [delivered, undelivered])
    assert [(s.sms_id, s.party_id, s.status) for s in states] == [
        (delivered, texter, "delivered"),
        (undelivered, texter, "undelivered"),
    ]
    assert hidden == ()  # the texter lives in Berlin, outside the stranger's territory
