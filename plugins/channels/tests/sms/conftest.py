"""Fixtures of the SMS tests: a real HTTP server on loopback shaped like Twilio's Messages API.

The server checks basic auth, takes the form Twilio takes, answers 201 with a
message SID, or what a test plans: an HTTP status with Twilio's error document,
or a hang-up after it read the whole request (the gateway may have the message).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
from collections.abc import Callable, Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest
from attrs import frozen
from crmkit_channels.tables import sms
from sqlalchemy import select

from crmkit import SYSTEM, Crm, build_party, create_party, record_consent

ACCOUNT_SID = "AC00000000000000000000000000000001"
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
FROM_NUMBER = "+4915112345678"
PUBLIC_URL = "https://crm.acme.example"
ERRORS = {
    400: {"code": 21211, "message": "The 'To' number is not a valid phone number.", "status": 400},
    429: {"code": 20429, "message": "Too Many Requests", "status": 429},
    500: {"code": 20500, "message": "Internal Server Error", "status": 500},
    503: {"code": 20503, "message": "Service Unavailable", "status": 503},
}


@frozen
class Taken:
    """One message the gateway accepted: its form fields and the SID it answered with."""

    form: dict[str, str]
    sid: str


class Gateway:
    """The Messages API of one account: ``plan`` holds answers (status or ``"hang-up"``) to give first."""

    def __init__(self) -> None:
        self.taken: list[Taken] = []
        self.requests = 0
        self.connections = 0
        self.plan: list[int | str] = []
        self.invalid_numbers: set[str] = set()
        self.on_take: Callable[[int], None] | None = None
        """Called with how many messages it has taken, after taking one and before answering."""
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def _answer(self, form: dict[str, str]) -> tuple[int | str, dict[str, Any]]:
        with self.lock:
            self.requests += 1
            planned = self.plan.pop(0) if self.plan else None
            if planned is None and form.get("To") in self.invalid_numbers:
                planned = 400
            if planned is not None:
                return planned, ERRORS.get(planned, {}) if isinstance(planned, int) else {}
            sid = "SM" + secrets.token_hex(16)
            self.taken.append(Taken(form, sid))
            return 201, {"sid": sid, "status": "queued", "to": form.get("To")}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                with gateway.lock:
                    gateway.connections += 1

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                expected = (
                    "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
                )
                if self.path != f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json":
                    status, document = 404, {"code": 20404, "message": "Not Found"}
                elif self.headers.get("authorization") != expected:
                    status, document = 401, {"code": 20003, "message": "Authenticate"}
                else:
                    form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
                    answer, document = gateway._answer(form)
                    if answer == 201 and gateway.on_take is not None:
                        gateway.on_take(len(gateway.taken))
                    if answer == "hang-up":
                        self.close_connection = True
                        return
                    assert isinstance(answer, int)
                    status = answer
                payload = json.dumps(document).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        return Handler

    def start(self) -> None:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    """The SMS gateway: an HTTP server on 127.0.0.1; ``gateway.url`` is its base URL."""
    server = Gateway()
    server.start()
    yield server
    server.stop()


def sms_settings(base_url: str) -> dict[str, Any]:
    """``[plugins.channels.sms]`` for the gateway at ``base_url``."""
    return {
        "base_url": base_url,
        "account_sid": ACCOUNT_SID,
        "auth_token": AUTH_TOKEN,
        "from_number": FROM_NUMBER,
        "timeout": 2.0,
        "max_segments": 3,
        "templates": [
            {"name": "code", "body": "Hi {{ party.first_name }}, your code is {{ code }}."}
        ],
    }


@pytest.fixture
def make_sms_crm(make_channels: Callable[..., Crm], gateway: Gateway) -> Callable[..., Crm]:
    """``make_sms_crm(**sms_overrides)``: a CRM whose SMS go to ``gateway``."""
    return lambda **overrides: make_channels(sms={**sms_settings(gateway.url), **overrides})


@pytest.fixture
def sms_crm(make_sms_crm: Callable[..., Crm]) -> Crm:
    return make_sms_crm()


def add_texter(crm: Crm, phones: tuple[str, ...] = ("+49 151 23456789",), **data: Any) -> int:
    values = {"kind": "person", "first_name": "Ada", "last_name": "Lovelace", **data}
    values["phones"] = list(phones)
    with crm.transaction() as tx:
        party = create_party(tx, build_party("customer", values, region="DE"))
    assert party.id is not None
    return party.id


def sms_consent(
    crm: Crm, party_id: int, status: str, purpose: str = "newsletter", source: str = "test"
) -> None:
    with crm.transaction(SYSTEM) as tx:
        record_consent(tx, party_id, purpose, "sms", status, source=source)


@pytest.fixture
def texter(sms_crm: Crm) -> int:
    """A customer with a mobile number who agreed to the newsletter by SMS."""
    party_id = add_texter(sms_crm)
    sms_consent(sms_crm, party_id, "granted")
    return party_id


@pytest.fixture
def texter_in() -> Callable[[Crm], int]:
    """``texter_in(app)``: a customer with a mobile number in another app's database."""
    return add_texter


@pytest.fixture
def new_texter(sms_crm: Crm) -> Callable[..., int]:
    """``new_texter(phones=(...), **data)``: a customer with these numbers, its id."""
    return lambda phones=("+49 151 23456789",), **data: add_texter(sms_crm, phones, **data)


@pytest.fixture
def give_sms_consent(sms_crm: Crm) -> Callable[..., None]:
    """``give_sms_consent(party_id, status, purpose="newsletter", source="test")``."""
    return lambda party_id, status, purpose="newsletter", source="test": sms_consent(
        sms_crm, party_id, status, purpose, source
    )


def twilio_signature(url: str, form: Mapping[str, str], token: str = AUTH_TOKEN) -> str:
    """``X-Twilio-Signature`` as Twilio computes it: the URL, then each parameter sorted by name."""
    signed = url + "".join(name + form[name] for name in sorted(form))
    return base64.b64encode(
        hmac.new(token.encode(), signed.encode(), hashlib.sha1).digest()
    ).decode()


@pytest.fixture(name="twilio_signature")
def twilio_signature_fixture() -> Callable[..., str]:
    """``twilio_signature(url, form, token=AUTH_TOKEN)``."""
    return twilio_signature


def sms_row(crm: Crm, sms_id: int) -> dict[str, Any]:
    with crm.read() as conn:
        return dict(conn.execute(select(sms).where(sms.c.id == sms_id)).one()._mapping)


@pytest.fixture(name="sms_row")
def sms_row_fixture() -> Callable[[Crm, int], dict[str, Any]]:
    """``sms_row(crm, id)``: the outbox row of an SMS."""
    return sms_row
