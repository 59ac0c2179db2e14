"""A survey sent by SMS: the gateway (a real HTTP server on 127.0.0.1, shaped like Twilio's
Messages API) receives one text per party with the party's own link."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest
from crmkit_surveys.invitations.links import invitation_for_token
from crmkit_surveys.invitations.sends import create_send
from crmkit_surveys.invitations.tables import invitation
from sqlalchemy import select

from crmkit import Crm, build_party, create_party, record_consent

ACCOUNT = "AC00000000000000000000000000000001"
LINK = re.compile(r"https://crm\.acme\.example/p/surveys/a/(\S+)")


class Gateway:
    """Takes every message and answers it with a SID; or, ``refusing``, refuses each as
    Twilio refuses a number that cannot receive texts (400, code 21211)."""

    def __init__(self, refusing: bool = False) -> None:
        self.bodies: list[dict[str, str]] = []
        taken = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                taken.append({k: v[0] for k, v in parse_qs(body.decode()).items()})
                if refusing:
                    answer = {"code": 21211, "message": "The 'To' number is not valid"}
                else:
                    answer = {"sid": f"SM{len(taken):032d}", "status": "queued"}
                payload = json.dumps(answer).encode()
                self.send_response(400 if refusing else 201)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


def serving(found: Gateway) -> Iterator[Gateway]:
    threading.Thread(target=found.server.serve_forever, daemon=True).start()
    yield found
    found.server.shutdown()
    found.server.server_close()


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    yield from serving(Gateway())


@pytest.fixture
def refusing_gateway() -> Iterator[Gateway]:
    yield from serving(Gateway(refusing=True))


def sms_settings(gateway: Gateway) -> dict[str, Any]:
    return {
        "base_url": gateway.url,
        "account_sid": ACCOUNT,
        "auth_token": "secret",
        "from_number": "+4915100000000",
    }


def texter(crm: Crm, phone: str, consent: bool) -> int:
    with crm.transaction() as tx:
        made = create_party(
            tx,
            build_party(
                "customer",
                {"kind": "person", "last_name": "Hopper", "phones": [phone]},
                region="DE",
            ),
        )
        assert made.id is not None
        if consent:
            record_consent(tx, made.id, "feedback", "sms", "granted", source="test")
    return made.id


def test_each_party_with_a_number_and_sms_consent_gets_a_text_with_its_link(
    make_surveys: Any, gateway: Gateway, publish_survey: Any
) -> None:
    crm = make_surveys(channels={"sms": sms_settings(gateway)})
    survey_id = publish_survey(crm)
    willing = texter(crm, "+49 151 23456789", consent=True)
    unwilling = texter(crm, "+49 151 98765432", consent=False)
    body = {
        "audience": {"party_ids": [willing, unwilling]},
        "channel": "sms",
        "message": {"en": {"text": "How did we do? {{ survey_url }}"}},
    }
    with crm.transaction() as tx:
        made = create_send(tx, survey_id, body)
    assert (made.invited, made.skipped) == (1, 1)

    assert crm.jobs.run("channels.deliver_sms").ok
    [taken] = gateway.bodies
    assert taken["To"] == "+4915123456789"
    [token] = LINK.findall(taken["Body"])
    with crm.read() as conn:
        found = invitation_for_token(conn, token)
    assert found is not None
    assert (found.party_id, found.channel, found.status) == (willing, "sms", "sent")
    assert found.message_ref is not None and found.message_ref.startswith("channels.sms:")


def test_an_invitation_whose_text_the_gateway_refused_is_failed(
    make_surveys: Any, refusing_gateway: Gateway, publish_survey: Any
) -> None:
    crm = make_surveys(channels={"sms": sms_settings(refusing_gateway)})
    survey_id = publish_survey(crm)
    party_id = texter(crm, "+49 151 23456789", consent=True)
    body = {
        "audience": {"party_ids": [party_id]},
        "channel": "sms",
        "message": {"en": {"text": "How did we do? {{ survey_url }}"}},
    }
    with crm.transaction() as tx:
        create_send(tx, survey_id, body)
    assert crm.jobs.run("surveys.check_deliveries").ok
    assert statuses(crm) == ["sent"], "queued for the gateway: not failed"

    assert crm.jobs.run("channels.deliver_sms").ok
    assert refusing_gateway.bodies, "the gateway was asked"
    assert crm.jobs.run("surveys.check_deliveries").ok
    assert statuses(crm) == ["failed"]


def statuses(crm: Crm) -> list[str]:
    with crm.read() as conn:
        return list(conn.execute(select(invitation.c.status).order_by(invitation.c.id)).scalars())
