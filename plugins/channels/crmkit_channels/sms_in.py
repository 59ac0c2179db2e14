"""SMS received: the gateway's webhook, signed with ``X-Twilio-Signature``, at ``/p/channels/sms/received``.

The sender is resolved to a party by phone number through the kernel's
``resolve_party`` and the message lands on its timeline as an inbound ``sms``
interaction. A message that is only an opt-out keyword (STOP, UNSUBSCRIBE …)
withdraws every SMS consent of the party, as carriers require; an opt-in keyword
(START …) grants again what such a keyword withdrew, and nothing else. The
gateway retries a webhook it saw fail: a ``MessageSid`` already stored is
answered and not stored again.
"""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from crmkit import (
    Crm,
    PhoneNumber,
    Transaction,
    ValidationError,
    build_interaction,
    consents_of,
    log_interaction,
    record_consent,
    resolve_party,
    utcnow,
)
from crmkit.web import TwilioSignature, actor_of, crm_of, public_route, read_form
from crmkit_channels.outboxes import SMS
from crmkit_channels.sms_status import auth_tokens
from crmkit_channels.tables import sms_received

OPT_OUT = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
OPT_IN = frozenset({"START", "UNSTOP", "YES"})
KEYWORD_SOURCE = "sms-keyword"
NO_REPLY = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
"""TwiML that sends no answer: carriers (or the gateway) confirm an opt-out themselves."""


def keyword_of(body: str) -> str | None:
    """The opt-out or opt-in keyword the whole message is, if it is one."""
    word = body.strip().strip(".!").upper()
    return word if word in OPT_OUT | OPT_IN else None


def _follow_keyword(tx: Transaction, party_id: int, keyword: str, evidence: str) -> None:
    for consent in consents_of(tx.conn, party_id):
        if consent.channel != SMS.channel:
            continue
        if keyword in OPT_OUT and consent.status != "withdrawn":
            status = "withdrawn"
        elif keyword in OPT_IN and (consent.status, consent.source) == (
            "withdrawn",
            KEYWORD_SOURCE,
        ):
            status = "granted"
        else:
            continue
        record_consent(
            tx,
            party_id,
            consent.purpose,
            SMS.channel,
            status,
            source=KEYWORD_SOURCE,
            evidence=evidence,
        )


def _stored(crm: Crm, sid: str) -> bool:
    with crm.read() as conn:
        found = conn.execute(select(sms_received.c.id).where(sms_received.c.sid == sid)).first()
        return found is not None


def take_in(tx: Transaction, sid: str, sender: str, recipient: str, body: str) -> None:
    """Store the SMS ``sid`` once, on the timeline of the party the sender's number resolves to."""
    if tx.conn.execute(select(sms_received.c.id).where(sms_received.c.sid == sid)).first():
        return  # the gateway's retry of a webhook already taken
    party_id = resolve_party(tx, {"phones": [sender]}, source="channels", vouched=True).party_id
    keyword = keyword_of(body)
    received_id = tx.conn.execute(
        insert(sms_received)
        .values(
            sid=sid,
            party_id=party_id,
            sender=sender,
            recipient=recipient,
            body=body,
            keyword=keyword,
            received_at=utcnow(),
        )
        .returning(sms_received.c.id)
    ).scalar_one()
    if party_id is None:  # intake rejected the sender: kept in the log, on no timeline
        return
    first_line = body.strip().splitlines()[0] if body.strip() else "(empty message)"
    log_interaction(
        tx,
        build_interaction(
            {
                "party_id": party_id,
                "channel": SMS.channel,
                "direction": "inbound",
                "subject": first_line[:500],
                "summary": f"From {sender} to {recipient} (SID {sid}): {body}"[:100_000],
                "outcome": keyword.lower() if keyword else None,
                "refs": [{"kind": "channels.sms_received", "id": str(received_id)}],
            },
            source="channels",
        ),
    )
    if keyword is not None:
        _follow_keyword(tx, party_id, keyword, f"{keyword} from {sender}, SID {sid}")


async def receive(request: Request) -> Response:
    """Take in a text message the SMS gateway received.

    The gateway's form: ``MessageSid``, ``From``, ``To``, ``Body`` (and more, unused).
    """
    form = await read_form(request)
    sid = form.get("MessageSid", "")
    if not sid or len(sid) > 64:
        raise ValidationError("MessageSid", "expected the gateway's message SID")
    sender = PhoneNumber.parse(form.get("From", ""), field_name="From").e164
    recipient = form.get("To", "")[:20]
    body = form.get("Body", "")
    crm = crm_of(request)
    try:
        await crm.write(lambda tx: take_in(tx, sid, sender, recipient, body), actor_of(request))
    except IntegrityError:
        # The same webhook delivered twice at once is fine: the other request stored it.
        if not await run_in_threadpool(_stored, crm, sid):
            raise
    return Response(NO_REPLY, media_type="text/xml")


ROUTES = [
    public_route(
        "/sms/received",
        receive,
        verifier=TwilioSignature(auth_tokens),
        methods=("POST",),
        name="sms_received",
    )
]
