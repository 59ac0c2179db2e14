"""Public plugin routes: served without a login to senders that sign, in a real uvicorn on loopback.

Every refusal (no signature, a wrong one, a body altered after signing, a stale
timestamp, a replayed id, too many requests) is a problem document and stores
nothing; an accepted request reaches the plugin's handler as the plugin's
system actor, with the body it signed.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import sys
import threading
import time
import types
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import attrs
import httpx
import pytest
from sqlalchemy import func, select
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from crmkit import Crm, Settings, build_party, create_party, hookimpl, list_parties
from crmkit.core.hmac_signatures import twilio_signature
from crmkit.core.signatures import new_secret, secret_key, signed_headers
from crmkit.core.tables import login_failure, signed_receipt
from crmkit.testing import register_plugin
from crmkit.web import (
    HubChallenge,
    HubSignature,
    StandardWebhooks,
    TwilioSignature,
    actor_of,
    crm_of,
    public_route,
    read_object,
)
from tests.live_server import served

MakeCrm = Callable[..., Crm]
TUTORIAL = Path(__file__).resolve().parent.parent / "docs" / "writing-a-plugin.md"
OUTBOUND_FACTS = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "data"
    / "outbound"
    / "OUTBOUND_CHANNEL_FACTS.md"
)
SECRET = new_secret()
OLD_SECRET = new_secret()
APP_SECRET = "meta-app-secret"
AUTH_TOKEN = "twilio-auth-token"
VERIFY_TOKEN = "meta-verify-token"
PROBLEM = "application/problem+json"


# --- The plugin under test: one route per scheme, each storing what it receives.


def remember(request: Request, payload: dict[str, Any]) -> Response:
    """Store the sender's payload as a party; answer with who acted and where it ran."""
    crm, actor = crm_of(request), actor_of(request)
    with crm.transaction(actor) as tx:
        party = create_party(
            tx, build_party("customer", {"last_name": payload["name"]}, region=None)
        )
    return JSONResponse({"party_id": party.id, "actor": actor.username, "system": actor.is_system})


async def standard(request: Request) -> Response:
    payload = await read_object(request)
    if payload.get("fail"):
        raise RuntimeError("the handler failed")
    return await asyncio.to_thread(remember, request, payload)


async def hub(request: Request) -> Response:
    return JSONResponse({"echo": (await request.body()).decode()})


def on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def plain(request: Request) -> Response:
    """A plain def handler of a public route: the kernel runs it in a worker thread."""
    return JSONResponse({"loop": on_event_loop(), "actor": actor_of(request).username})


async def awaited(request: Request) -> Response:
    """An async def handler of a public route: the kernel awaits it on the event loop."""
    return JSONResponse({"loop": on_event_loop(), "actor": actor_of(request).username})


async def twilio(request: Request) -> Response:
    form = dict(httpx.QueryParams((await request.body()).decode()))
    return await asyncio.to_thread(remember, request, {"name": form.get("From", "json")})


def confirm_subscription(request: Request) -> Response:
    return PlainTextResponse(request.query_params["hub.challenge"])


async def members_only(request: Request) -> Response:
    return JSONResponse({"ok": True})


def rotating(crm: Crm) -> list[str]:
    return [SECRET, OLD_SECRET]


def inbox_plugin(secret: Callable[[Crm], Any] = rotating, per_minute: int | None = 600) -> Any:
    routes: list[BaseRoute] = [
        public_route("/standard", standard, verifier=StandardWebhooks(secret)),
        public_route("/plain", plain, verifier=StandardWebhooks(secret)),
        public_route("/awaited", awaited, verifier=StandardWebhooks(secret)),
        public_route(
            "/limited", standard, verifier=StandardWebhooks(secret), per_minute=per_minute
        ),
        public_route("/hub", hub, verifier=HubSignature(lambda crm: APP_SECRET)),
        public_route(
            "/hub",
            confirm_subscription,
            verifier=HubChallenge(lambda crm: VERIFY_TOKEN),
            methods=["GET"],
        ),
        public_route("/twilio", twilio, verifier=TwilioSignature(lambda crm: AUTH_TOKEN)),
        Route("/members", members_only),
    ]

    class Inbox:
        @hookimpl
        def register_routes(self) -> list[BaseRoute]:
            return routes

    return register_plugin(Inbox(), name="inbox")


def signed(
    payload: Any, *, secret: str = SECRET, message_id: str | None = None, at: int | None = None
) -> tuple[bytes, dict[str, str]]:
    """``payload`` as JSON, with the headers of a Standard Webhooks sender signing it."""
    body = json.dumps(payload).encode()
    message_id = message_id or f"msg_{time.time_ns()}"
    headers = signed_headers(secret_key(secret), message_id, body, at or int(time.time()))
    return body, {**headers, "content-type": "application/json"}


def stored_parties(crm: Crm) -> int:
    with crm.read() as conn:
        return len(list_parties(conn, "customer").items)


def receipts(crm: Crm) -> int:
    with crm.read() as conn:
        return conn.execute(select(func.count()).select_from(signed_receipt)).scalar_one()


def assert_problem(answer: httpx.Response, status: int, title: str, field: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == PROBLEM
    problem = answer.json()
    assert (problem["status"], problem["title"], problem["field"]) == (status, title, field)
    assert problem["detail"]


@pytest.fixture
def inbox(make_crm: MakeCrm) -> Crm:
    # No actor_from_request at all: the public routes need none.
    return make_crm(plugins=[inbox_plugin()])


# --- Standard Webhooks


def test_a_signed_request_reaches_the_handler_as_the_plugins_system_actor(inbox: Crm) -> None:
    body, headers = signed({"name": "Weber"})
    with served(inbox) as client:
        answer = client.post("/p/inbox/standard", content=body, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["actor"] == "plugin:inbox"
    assert answer.json()["system"] is True
    assert stored_parties(inbox) == 1


def test_a_route_that_is_not_public_still_needs_a_login(inbox: Crm) -> None:
    body, headers = signed({"name": "Weber"})
    with served(inbox) as client:
        answer = client.post("/p/inbox/members", content=body, headers=headers)
    assert answer.status_code == 401


@pytest.mark.parametrize("header", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_a_missing_header_is_refused(inbox: Crm, header: str) -> None:
    body, headers = signed({"name": "Weber"})
    del headers[header]
    with served(inbox) as client:
        answer = client.post("/p/inbox/standard", content=body, headers=headers)
    assert_problem(answer, 403, "Signature missing", header)
    assert stored_parties(inbox) == 0


def test_a_signature_with_another_secret_is_refused(inbox: Crm) -> None:
    body, headers = signed({"name": "Weber"}, secret=new_secret())
    with served(inbox) as client:
        answer = client.post("/p/inbox/standard", content=body, headers=headers)
    assert_problem(answer, 403, "Signature mismatch", "webhook-signature")
    assert stored_parties(inbox) == 0


def test_a_body_altered_after_signing_is_refused(inbox: Crm) -> None:
    body, headers = signed({"name": "Weber"})
    with served(inbox) as client:
        altered = client.post(
            "/p/inbox/standard", content=body.replace(b"Weber", b"Webber"), headers=headers
        )
        # The same JSON written otherwise is other bytes: the signature is over the bytes.
        rewritten = client.post(
            "/p/inbox/standard", content=json.dumps(json.loads(body), indent=1), headers=headers
        )
    assert_problem(altered, 403, "Signature mismatch", "webhook-signature")
    assert_problem(rewritten, 403, "Signature mismatch", "webhook-signature")
    assert stored_parties(inbox) == 0
    assert receipts(inbox) == 0


@pytest.mark.parametrize("drift", [-305, 305, 3600])
def test_a_timestamp_outside_the_window_is_refused(inbox: Crm, drift: int) -> None:
    body, headers = signed({"name": "Weber"}, at=int(time.time()) - drift)
    with served(inbox) as client:
        answer = client.post("/p/inbox/standard", content=body, headers=headers)
    assert_problem(answer, 403, "Stale signature", "webhook-timestamp")
    assert stored_parties(inbox) == 0


def test_the_window_is_a_setting(make_crm: MakeCrm) -> None:
    crm = make_crm(plugins=[inbox_plugin()], settings=Settings(signature_tolerance=30))
    body, headers = signed({"name": "Weber"}, at=int(time.time()) - 60)
    with served(crm) as client:
        answer = client.post("/p/inbox/standard", content=body, headers=headers)
    assert_problem(answer, 403, "Stale signature", "webhook-timestamp")


def test_a_replayed_id_is_refused_in_this_process_and_after_a_restart(
    make_crm: MakeCrm, inbox: Crm
) -> None:
    body, headers = signed({"name": "Weber"})
    with served(inbox) as client:
        first = client.post("/p/inbox/standard", content=body, headers=headers)
        again = client.post("/p/inbox/standard", content=body, headers=headers)
    restarted = make_crm(plugins=[inbox_plugin()])
    with served(restarted) as client:
        after_restart = client.post("/p/inbox/standard", content=body, headers=headers)
        # A new signature over the same id (the sender retrying) is a replay all the same.
        body2, resigned = signed({"name": "Weber"}, message_id=headers["webhook-id"])
        retried = client.post("/p/inbox/standard", content=body2, headers=resigned)
    assert first.status_code == 200, first.text
    assert_problem(again, 409, "Replayed request", "webhook-id")
    assert_problem(after_restart, 409, "Replayed request", "webhook-id")
    assert_problem(retried, 409, "Replayed request", "webhook-id")
    assert stored_parties(inbox) == 1


def test_copies_sent_at_the_same_moment_are_taken_once(inbox: Crm) -> None:
    body, headers = signed({"name": "Weber"})
    with served(inbox) as client:
        answers: list[int] = []
        threads = [
            threading.Thread(
                target=lambda: answers.append(
                    client.post("/p/inbox/standard", content=body, headers=headers).status_code
                )
            )
            for _ in range(6)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert sorted(answers) == [200, 409, 409, 409, 409, 409]
    assert stored_parties(inbox) == 1


def test_a_failed_handler_gives_the_id_back_for_the_senders_retry(inbox: Crm) -> None:
    message_id = "msg_retried"
    body, headers = signed({"name": "Weber", "fail": True}, message_id=message_id)
    with served(inbox) as client:
        failed = client.post("/p/inbox/standard", content=body, headers=headers)
        body, headers = signed({"name": "Weber"}, message_id=message_id)
        retried = client.post("/p/inbox/standard", content=body, headers=headers)
    assert failed.status_code == 500
    assert retried.status_code == 200, retried.text
    assert stored_parties(inbox) == 1


def test_secrets_rotate_on_either_side(inbox: Crm) -> None:
    # The receiver holds the old secret beside the new one; the sender signs with both.
    old_body, old_headers = signed({"name": "Old"}, secret=OLD_SECRET)
    body, headers = signed({"name": "Both"})
    unknown = signed({"name": "Both"}, secret=new_secret(), message_id=headers["webhook-id"])
    both = unknown[1]["webhook-signature"] + " " + headers["webhook-signature"]
    with served(inbox) as client:
        by_old = client.post("/p/inbox/standard", content=old_body, headers=old_headers)
        by_both = client.post(
            "/p/inbox/standard", content=body, headers={**headers, "webhook-signature": both}
        )
    assert (by_old.status_code, by_both.status_code) == (200, 200)


def test_a_plain_def_handler_runs_in_a_worker_thread_an_async_one_on_the_loop(
    inbox: Crm,
) -> None:
    with served(inbox) as client:
        answers = {
            path: client.post(f"/p/inbox/{path}", content=body, headers=headers).json()
            for path in ("plain", "awaited")
            for body, headers in [signed({})]
        }
    assert answers == {
        "plain": {"loop": False, "actor": "plugin:inbox"},
        "awaited": {"loop": True, "actor": "plugin:inbox"},
    }


def test_a_route_without_a_budget_refuses_no_address_and_still_no_replay(
    make_crm: MakeCrm,
) -> None:
    crm = make_crm(plugins=[inbox_plugin(per_minute=None)])
    requests = [signed({"name": f"P{i}"}) for i in range(4)]
    with served(crm) as client:
        answers = [
            client.post("/p/inbox/limited", content=body, headers=headers)
            for body, headers in requests
        ]
        replayed = client.post("/p/inbox/limited", content=requests[0][0], headers=requests[0][1])
    assert [a.status_code for a in answers] == [200, 200, 200, 200]
    assert replayed.status_code == 409
    assert stored_parties(crm) == 4
    with crm.read() as conn:  # nothing counted against the addresses
        assert conn.execute(select(func.count()).select_from(login_failure)).scalar_one() == 0


def test_too_many_requests_from_one_address_are_refused_with_retry_after(
    make_crm: MakeCrm,
) -> None:
    crm = make_crm(plugins=[inbox_plugin(per_minute=2)])
    with served(crm) as client:
        answers = [
            client.post("/p/inbox/limited", content=body, headers=headers)
            for body, headers in [signed({"name": f"P{i}"}) for i in range(3)]
        ]
        # Bad signatures count as well: a flood of them is refused the same way.
        bad_body, bad_headers = signed({"name": "X"}, secret=new_secret())
        flood = client.post("/p/inbox/limited", content=bad_body, headers=bad_headers)
        other_body, other_headers = signed({"name": "Q"})
        other_route = client.post("/p/inbox/standard", content=other_body, headers=other_headers)
    assert [a.status_code for a in answers[:2]] == [200, 200]
    for refused in (answers[2], flood):
        assert refused.status_code == 429
        assert refused.headers["content-type"] == PROBLEM
        assert 1 <= int(refused.headers["retry-after"]) <= 61
    assert other_route.status_code == 200
    assert stored_parties(crm) == 3


@pytest.mark.parametrize("configured", [[], ["not-a-whsec-secret"]])
def test_a_receiver_without_a_usable_secret_answers_503_and_logs_it_once(
    make_crm: MakeCrm, configured: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    crm = make_crm(plugins=[inbox_plugin(secret=lambda crm: configured)])
    with served(crm) as client:
        answers = [
            client.post("/p/inbox/standard", content=body, headers=headers)
            for body, headers in (signed({"name": "Weber"}), signed({"name": "Weber"}))
        ]
    for answer in answers:
        assert answer.status_code == 503, answer.text
        assert answer.headers["content-type"] == PROBLEM
        assert answer.json()["title"] == "Webhook receiver not configured"
        assert "/p/inbox/standard" in answer.json()["detail"]
    reports = [r for r in caplog.records if "not configured" in r.getMessage()]
    assert len(reports) == 1
    assert all("not-a-whsec-secret" not in r.getMessage() for r in caplog.records)
    assert stored_parties(crm) == 0
    assert receipts(crm) == 0


def test_housekeeping_forgets_receipts_whose_replays_are_too_old_anyway(inbox: Crm) -> None:
    signed_at = int(time.time()) - 298  # near the end of the 300 s window
    body, headers = signed({"name": "Weber"}, at=signed_at)
    with served(inbox) as client:
        assert client.post("/p/inbox/standard", content=body, headers=headers).status_code == 200
    assert inbox.jobs.run("core.prune_signed_receipts").ok
    assert receipts(inbox) == 1  # still needed: a replay's timestamp would pass
    # The receipt lasts while its timestamp is within the window, and a second more.
    time.sleep(max(0.0, signed_at + 301 - time.time()) + 0.1)
    assert inbox.jobs.run("core.prune_signed_receipts").ok
    assert receipts(inbox) == 0
    with served(inbox) as client:
        replayed = client.post("/p/inbox/standard", content=body, headers=headers)
    assert_problem(replayed, 403, "Stale signature", "webhook-timestamp")


# --- X-Hub-Signature-256 (GitHub, Meta)


def hub_signed(body: bytes, secret: str = APP_SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"x-hub-signature-256": f"sha256={digest}", "content-type": "application/json"}


def test_a_hub_signature_over_the_raw_bytes_is_accepted(inbox: Crm) -> None:
    # Meta signs the bytes it sends, escaped or not: verify them, not re-serialised JSON.
    body = '{"object":"page","entry":[{"id":"1","changes":[{"value":{"name":"Jürgen"}}]}]}'
    raw = body.encode()
    with served(inbox) as client:
        answer = client.post("/p/inbox/hub", content=raw, headers=hub_signed(raw))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"echo": body}


def test_a_hub_signature_refuses_another_secret_an_altered_body_and_no_header(
    inbox: Crm,
) -> None:
    raw = b'{"object":"page","entry":[]}'
    with served(inbox) as client:
        other = client.post("/p/inbox/hub", content=raw, headers=hub_signed(raw, "guess"))
        altered = client.post("/p/inbox/hub", content=raw + b" ", headers=hub_signed(raw))
        sha1 = client.post(
            "/p/inbox/hub",
            content=raw,
            headers={"x-hub-signature": "sha1=" + hashlib.sha1(raw).hexdigest()},
        )
    assert_problem(other, 403, "Signature mismatch", "x-hub-signature-256")
    assert_problem(altered, 403, "Signature mismatch", "x-hub-signature-256")
    assert_problem(sha1, 403, "Signature missing", "x-hub-signature-256")


def test_metas_subscription_handshake_is_answered_for_the_right_token_only(inbox: Crm) -> None:
    handshake = {"hub.mode": "subscribe", "hub.challenge": "1158201444"}
    with served(inbox) as client:
        confirmed = client.get(
            "/p/inbox/hub", params={**handshake, "hub.verify_token": VERIFY_TOKEN}
        )
        wrong = client.get("/p/inbox/hub", params={**handshake, "hub.verify_token": "guess"})
        without = client.get("/p/inbox/hub", params=handshake)
        other_mode = client.get(
            "/p/inbox/hub",
            params={**handshake, "hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN},
        )
    assert (confirmed.status_code, confirmed.text) == (200, "1158201444")
    assert_problem(wrong, 403, "Signature mismatch", "hub.verify_token")
    assert_problem(without, 403, "Signature mismatch", "hub.verify_token")
    assert_problem(other_mode, 403, "Signature missing", "hub.mode")


# --- X-Twilio-Signature


# Twilio's documented test vector, as the shared facts on outbound channels record it.
VECTOR_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
VECTOR_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+12349013030",
    "Digits": "1234",
    "From": "+12349013030",
    "To": "+18005551212",
}
VECTOR_TOKEN = "12345"
VECTOR_SIGNATURE = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


def test_twilio_signatures_reproduce_twilios_test_vector() -> None:
    shuffled = list(reversed(VECTOR_PARAMS.items()))  # signed sorted by name, whatever the order
    assert twilio_signature(VECTOR_TOKEN, VECTOR_URL, shuffled) == VECTOR_SIGNATURE


@pytest.mark.skipif(not OUTBOUND_FACTS.is_file(), reason="shared/data is not here")
def test_the_twilio_vector_is_the_one_the_shared_facts_record() -> None:
    facts = " ".join(OUTBOUND_FACTS.read_text(encoding="utf-8").split())
    assert f"url = `{VECTOR_URL}`" in facts
    assert "params = " + ", ".join(f"{k}={v}" for k, v in VECTOR_PARAMS.items()) in facts
    assert f"auth token = `{VECTOR_TOKEN}`" in facts
    assert f"expected = `{VECTOR_SIGNATURE}`" in facts


def test_a_twilio_form_signed_over_the_url_called_is_accepted_and_an_altered_one_refused(
    inbox: Crm,
) -> None:
    params = {"MessageSid": "SM1", "From": "+4915123456789", "To": "+4930123456", "Body": "Hi"}
    with served(inbox) as client:
        url = f"{client.base_url}/p/inbox/twilio?source=sms"
        signature = twilio_signature(AUTH_TOKEN, url, sorted(params.items()))
        form = {"content-type": "application/x-www-form-urlencoded"}
        headers = {**form, "x-twilio-signature": signature}
        accepted = client.post(url, content=urlencode(params), headers=headers)
        altered = client.post(url, content=urlencode({**params, "Body": "Hi!"}), headers=headers)
        other_url = client.post(
            url.replace("sms", "call"), content=urlencode(params), headers=headers
        )
        unsigned = client.post(url, content=urlencode(params), headers=form)
    assert accepted.status_code == 200, accepted.text
    assert_problem(altered, 403, "Signature mismatch", "x-twilio-signature")
    assert_problem(other_url, 403, "Signature mismatch", "x-twilio-signature")
    assert_problem(unsigned, 403, "Signature missing", "x-twilio-signature")
    assert stored_parties(inbox) == 1


def test_a_twilio_json_body_is_held_to_the_hash_its_url_names(inbox: Crm) -> None:
    body = b'{"MessageSid": "SM2"}'
    with served(inbox) as client:
        url = f"{client.base_url}/p/inbox/twilio?bodySHA256={hashlib.sha256(body).hexdigest()}"
        headers = {
            "content-type": "application/json",
            "x-twilio-signature": twilio_signature(AUTH_TOKEN, url, []),
        }
        accepted = client.post(url, content=body, headers=headers)
        altered = client.post(url, content=body.replace(b"SM2", b"SM3"), headers=headers)
    assert accepted.status_code == 200, accepted.text
    assert_problem(altered, 403, "Signature mismatch", "bodySHA256")


# --- The tutorial's signed webhook


def documented_modules() -> list[types.ModuleType]:
    """The modules the tutorial's section on signed webhooks shows, importable as a plugin's."""
    text = TUTORIAL.read_text(encoding="utf-8")
    section = text.split("### A signed webhook\n", 1)[1].split("\n### ", 1)[0]
    modules = []
    for number, source in enumerate(re.findall(r"```python\n(.*?)```", section, flags=re.S)):
        module = types.ModuleType(f"crmkit_documented_webhook_{number}")
        sys.modules[module.__name__] = module
        exec(compile(source, str(TUTORIAL), "exec"), module.__dict__)
        modules.append(module)
    return modules


def test_the_documented_webhook_takes_a_signed_ticket_in_and_refuses_a_forged_one(
    make_crm: MakeCrm,
) -> None:
    shown, _ = documented_modules()

    class Helpdesk:
        @hookimpl
        def register_routes(self) -> list[BaseRoute]:
            return list(shown.ROUTES)

    plugin = register_plugin(
        Helpdesk(), name="helpdesk", settings=f"{shown.__name__}:HelpdeskSettings"
    )
    settings = Settings(plugin_settings={"helpdesk": {"webhook_secrets": [SECRET]}})
    crm = make_crm(plugins=[plugin], settings=settings)
    ticket = {"email": "jonas.weber@web.de", "name": "Weber", "subject": "Invoice"}
    body, headers = signed(ticket)
    forged_body, forged = signed({**ticket, "email": "x@example.org"}, secret=new_secret())
    with served(crm) as client:
        taken = client.post("/p/helpdesk/tickets", content=body, headers=headers)
        refused = client.post("/p/helpdesk/tickets", content=forged_body, headers=forged)
    assert taken.status_code == 200, taken.text
    assert taken.json()["outcome"] == "created"
    assert_problem(refused, 403, "Signature mismatch", "webhook-signature")
    with crm.read() as conn:
        [prospect] = list_parties(conn, "prospect").items
    assert prospect.id == taken.json()["party_id"]


def test_the_documented_webhook_loads_without_a_secret_and_answers_503(
    make_crm: MakeCrm,
) -> None:
    shown, _ = documented_modules()

    class Helpdesk:
        @hookimpl
        def register_routes(self) -> list[BaseRoute]:
            return list(shown.ROUTES)

    plugin = register_plugin(
        Helpdesk(), name="helpdesk", settings=f"{shown.__name__}:HelpdeskSettings"
    )
    crm = make_crm(plugins=[plugin])
    assert crm.host.statuses["helpdesk"].state == "loaded"
    body, headers = signed({"email": "jonas.weber@web.de", "name": "Weber"})
    with served(crm) as client:
        answer = client.post("/p/helpdesk/tickets", content=body, headers=headers)
    assert answer.status_code == 503, answer.text
    assert answer.json()["title"] == "Webhook receiver not configured"
    with crm.read() as conn:
        assert list_parties(conn, "prospect").items == []


def test_rate_limit_window_is_a_minute() -> None:
    route = public_route("/x", members_only, verifier=HubSignature(lambda crm: "s"), per_minute=5)
    assert (route.limit.attempts, route.limit.window) == (5, timedelta(minutes=1))
    with pytest.raises(ValueError, match="per_minute"):
        public_route("/x", members_only, verifier=HubSignature(lambda crm: "s"), per_minute=0)


def test_the_documented_handshake_answers_metas_challenge(make_crm: MakeCrm) -> None:
    _, shown = documented_modules()

    class MetaLeads:
        @hookimpl
        def register_routes(self) -> list[BaseRoute]:
            return [shown.confirming]

    @attrs.frozen
    class MetaLeadsSettings:
        verify_token: str

    module = types.ModuleType("crmkit_documented_metaleads_settings")
    module.MetaLeadsSettings = MetaLeadsSettings  # type: ignore[attr-defined]
    sys.modules[module.__name__] = module
    plugin = register_plugin(
        MetaLeads(), name="metaleads", settings=f"{module.__name__}:MetaLeadsSettings"
    )
    settings = Settings(plugin_settings={"metaleads": {"verify_token": VERIFY_TOKEN}})
    crm = make_crm(plugins=[plugin], settings=settings)
    handshake = {"hub.mode": "subscribe", "hub.challenge": "42"}
    with served(crm) as client:
        confirmed = client.get(
            "/p/metaleads/leads", params={**handshake, "hub.verify_token": VERIFY_TOKEN}
        )
        refused = client.get("/p/metaleads/leads", params={**handshake, "hub.verify_token": "x"})
    assert (confirmed.status_code, confirmed.text) == (200, "42")
    assert refused.status_code == 403
