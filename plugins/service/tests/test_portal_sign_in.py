"""Portal sign-in by emailed link: same answer for every address, single-use expiring links,
rate limits, CSRF, signed session cookies and sign-out."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from crmkit_service.portal.tables import link_request, portal_link, portal_session
from sqlalchemy import func, select, text, update

from crmkit import (
    Crm,
    PluginError,
    build_party,
    create_party,
    merge_parties,
    utcnow,
)
from crmkit.testing import http_client

PORTAL = "/p/service/portal"


def shown(page: str, address: str) -> str:
    """What a page says, less the address it repeats and what differs per response (nonce, token)."""
    page = re.sub(r'nonce="[^"]+"', "", page)
    page = re.sub(r'name="csrf_token" value="[^"]+"', "", page)
    return page.replace(address, "ADDRESS")


@pytest.fixture
def crm(relayed_service: Callable[..., Crm]) -> Crm:
    return relayed_service(
        service={"portal": {"link_requests_per_address": 3, "link_requests_per_client": 5}}
    )


def test_known_and_unknown_addresses_get_the_same_answer(
    crm: Crm, new_party: Any, smtp_relay: Any, portal: Any
) -> None:
    new_party(emails=["ada@example.org"])
    client = http_client(crm)
    known = portal.ask_for_link(client, "ada@example.org")
    unknown = portal.ask_for_link(client, "nobody@example.org")
    assert known.status_code == unknown.status_code == 200
    assert shown(known.text, "ada@example.org") == shown(unknown.text, "nobody@example.org")
    crm.jobs.run("channels.deliver_email")
    assert [m["To"] for m in smtp_relay.handler.messages] == ["ada@example.org"]


def test_a_link_signs_in_once_and_the_token_is_stored_hashed(
    crm: Crm, new_party: Any, smtp_relay: Any, portal: Any
) -> None:
    party_id = new_party(emails=["ada@example.org"])
    client = http_client(crm)
    portal.ask_for_link(client, "ada@example.org")
    link = portal.link_in_mail(crm, "ada@example.org")
    token = link.partition("token=")[2]
    with crm.read() as conn:
        stored = conn.execute(select(portal_link.c.token_hash, portal_link.c.party_id)).one()
    assert stored.party_id == party_id and token not in stored.token_hash
    # Opening the link (a mail scanner does) uses nothing up: only the button does.
    assert client.get(link).status_code == 200
    answer = portal.follow(client, link)
    assert answer.status_code == 303 and answer.headers["location"] == f"{PORTAL}/cases"
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/p/service/portal" in cookie
    assert client.get(f"{PORTAL}/cases").status_code == 200
    again = http_client(crm)
    reused = again.get(link)
    assert reused.status_code == 404 and "used already" in reused.text
    token_form = {
        "token": token,
        "csrf_token": portal.form_token(again.get(f"{PORTAL}/sign-in").text),
    }
    posted = again.post(f"{PORTAL}/sign-in/link", data=token_form)
    assert posted.status_code == 404 and "used already" in posted.text
    with crm.read() as conn:
        assert conn.execute(select(portal_session.c.party_id)).scalars().all() == [party_id]


def test_an_expired_link_signs_nobody_in(
    crm: Crm, new_party: Any, smtp_relay: Any, portal: Any
) -> None:
    new_party(emails=["ada@example.org"])
    client = http_client(crm)
    portal.ask_for_link(client, "ada@example.org")
    link = portal.link_in_mail(crm, "ada@example.org")
    with crm.transaction() as tx:
        tx.conn.execute(update(portal_link).values(expires_at=utcnow() - timedelta(seconds=1)))
    page = client.get(link)
    assert page.status_code == 404 and "expired" in page.text
    token = link.partition("token=")[2]
    form = {"token": token, "csrf_token": portal.form_token(client.get(f"{PORTAL}/sign-in").text)}
    answer = client.post(f"{PORTAL}/sign-in/link", data=form, follow_redirects=False)
    assert answer.status_code == 404 and "expired" in answer.text
    assert client.get(f"{PORTAL}/cases", follow_redirects=False).status_code == 303


def test_an_invented_token_is_not_valid(crm: Crm) -> None:
    page = http_client(crm).get(f"{PORTAL}/sign-in/link?token=not-a-token")
    assert page.status_code == 404 and "not valid" in page.text


def test_link_requests_are_limited_per_address_known_or_not(
    crm: Crm, new_party: Any, smtp_relay: Any, portal: Any
) -> None:
    new_party(emails=["ada@example.org"])
    for address in ("ada@example.org", "nobody@example.org"):
        client = http_client(crm, client=(f"10.0.0.{len(address)}", 1234))
        answers = [portal.ask_for_link(client, address).status_code for _ in range(4)]
        assert answers == [200, 200, 200, 429]
    refused = portal.ask_for_link(http_client(crm, client=("10.9.9.9", 1)), "ADA@example.org")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    crm.jobs.run("channels.deliver_email")
    assert len(smtp_relay.handler.messages) == 3


def test_link_requests_are_limited_per_client(crm: Crm, portal: Any) -> None:
    client = http_client(crm, client=("192.0.2.7", 1234))
    answers = [portal.ask_for_link(client, f"p{n}@example.org").status_code for n in range(6)]
    assert answers == [200] * 5 + [429]
    # The same /64 network counts as one client.
    v6 = [http_client(crm, client=(f"2001:db8::{n}", 1)) for n in range(1, 7)]
    assert [portal.ask_for_link(c, f"q{n}@example.org").status_code for n, c in enumerate(v6)][
        -1
    ] == 429


def test_link_requests_sent_at_once_are_held_to_the_budgets(
    crm: Crm, new_party: Any, smtp_relay: Any, portal: Any, at_once: Any
) -> None:
    new_party(emails=["ada@example.org"])
    by_address = [http_client(crm, client=(f"10.1.0.{n}", 1)) for n in range(6)]
    by_client = [http_client(crm, client=("10.2.0.1", 1)) for _ in range(8)]
    tokens = [portal.form_token(c.get(f"{PORTAL}/sign-in").text) for c in by_address + by_client]

    def ask(client: Any, token: str, email: str) -> int:
        form = {"email": email, "csrf_token": token}
        return int(client.post(f"{PORTAL}/sign-in", data=form).status_code)

    answers = at_once(
        *[
            lambda c=c, t=t: ask(c, t, "ada@example.org")
            for c, t in zip(by_address, tokens, strict=False)
        ],
        *[
            lambda c=c, t=t, n=n: ask(c, t, f"p{n}@example.org")
            for n, (c, t) in enumerate(zip(by_client, tokens[len(by_address) :], strict=True))
        ],
    )
    assert sorted(answers[: len(by_address)]) == [200] * 3 + [429] * 3
    assert sorted(answers[len(by_address) :]) == [200] * 5 + [429] * 3
    crm.jobs.run("channels.deliver_email")
    assert len(smtp_relay.handler.messages) == 3


@pytest.mark.parametrize(
    ("channels", "setting"),
    [
        ({"link_secret": "too short"}, "plugins.channels.link_secret"),
        ({"link_secret": ""}, "plugins.channels.link_secret"),
        ({"public_url": ""}, "plugins.channels.public_url"),
    ],
)
def test_a_portal_that_could_sign_nobody_in_is_off_and_the_start_names_the_setting(
    make_service: Callable[..., Crm],
    new_party: Any,
    portal: Any,
    channels: dict[str, str],
    setting: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    crm = make_service(channels=channels)
    new_party(emails=["ada@example.org"])
    with http_client(crm) as client:
        assert f"the self-service portal is off: {setting}" in caplog.text
        # Without the key even the form cannot be signed; without the address, the link cannot.
        answer = client.get(f"{PORTAL}/sign-in")
        if answer.status_code == 200:
            answer = portal.ask_for_link(client, "ada@example.org")
        assert answer.status_code == 503
        assert "The portal is not available" in answer.text
        assert setting not in answer.text
    with crm.read() as conn:
        assert conn.execute(select(func.count()).select_from(portal_link)).scalar_one() == 0


def test_a_sign_in_form_without_its_token_is_refused(
    crm: Crm, new_party: Any, smtp_relay: Any
) -> None:
    new_party(emails=["ada@example.org"])
    client = http_client(crm)
    client.get(f"{PORTAL}/sign-in")
    answer = client.post(f"{PORTAL}/sign-in", data={"email": "ada@example.org"})
    assert answer.status_code == 403 and "security token" in answer.text
    wrong = client.post(f"{PORTAL}/sign-in", data={"email": "ada@example.org", "csrf_token": "x"})
    assert wrong.status_code == 403
    crm.jobs.run("channels.deliver_email")
    assert smtp_relay.handler.messages == []


def test_a_malformed_address_is_named(crm: Crm, portal: Any) -> None:
    answer = portal.ask_for_link(http_client(crm), "not an address")
    assert answer.status_code == 422
    assert 'aria-invalid="true"' in answer.text and 'id="email-error"' in answer.text


def test_sign_out_ends_the_session_on_the_server(crm: Crm, new_party: Any, portal: Any) -> None:
    new_party(emails=["ada@example.org"])
    client = portal.sign_in(crm, "ada@example.org")
    cookie = client.cookies.get("crmkit_portal")
    page = client.get(f"{PORTAL}/cases")
    no_token = client.post(f"{PORTAL}/sign-out", data={})
    assert no_token.status_code == 403
    out = client.post(f"{PORTAL}/sign-out", data={"csrf_token": portal.form_token(page.text)})
    assert out.status_code == 200 and "signed out" in out.text
    replay = http_client(crm)
    replay.cookies.set("crmkit_portal", cookie, path="/p/service/portal")
    assert replay.get(f"{PORTAL}/cases", follow_redirects=False).status_code == 303


def test_a_forged_or_altered_cookie_signs_nobody_in(crm: Crm, new_party: Any, portal: Any) -> None:
    new_party(emails=["ada@example.org"])
    cookie = portal.sign_in(crm, "ada@example.org").cookies.get("crmkit_portal")
    token, _, signature = cookie.rpartition(".")
    for forged in (f"{token}.{'0' * len(signature)}", f"x{token}.{signature}", token, "x"):
        client = http_client(crm)
        client.cookies.set("crmkit_portal", forged, path="/p/service/portal")
        answer = client.get(f"{PORTAL}/cases", follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == f"{PORTAL}/sign-in"


def test_the_portal_layout_has_no_staff_navigation(crm: Crm) -> None:
    page = http_client(crm).get(f"{PORTAL}/sign-in")
    assert page.status_code == 200
    assert "Customer portal" in page.text and "/customers" not in page.text
    assert page.headers["cache-control"] == "no-store"
    with crm.read() as conn:
        assert conn.execute(text("SELECT count(*) FROM service_portal_link")).scalar_one() == 0


def test_an_address_two_parties_share_gets_a_link_for_each(
    crm: Crm, new_party: Any, smtp_relay: Any, portal: Any
) -> None:
    person = new_party(emails=["info@lovelace.example"])
    company = new_party(
        kind="organisation", organisation_name="Lovelace Ltd", emails=["info@lovelace.example"]
    )
    assert portal.ask_for_link(http_client(crm), "info@lovelace.example").status_code == 200
    crm.jobs.run("channels.deliver_email")
    texts = [m.get_body(("plain",)).get_content() for m in smtp_relay.handler.messages]
    assert len(texts) == 2 and any("as Lovelace Ltd" in t for t in texts)
    with crm.read() as conn:
        assert sorted(conn.execute(select(portal_link.c.party_id)).scalars()) == [person, company]


def test_a_link_template_of_the_channels_settings_replaces_the_text(
    make_service: Callable[..., Crm], smtp_relay: Any, new_user: Any, portal: Any
) -> None:
    smtp = {"host": "127.0.0.1", "port": smtp_relay.port, "security": "none", "timeout": 5.0}
    template = {
        "name": "portal-link",
        "subject": "Acme portal",
        "text": "Sign in at {{ link }} within {{ minutes }} minutes.",
    }
    crm = make_service(
        service={"portal": {"link_template": "portal-link", "link_minutes": 10}},
        channels={"smtp": smtp, "templates": [template]},
    )
    with crm.transaction() as tx:
        party = build_party(
            "customer",
            {"kind": "person", "last_name": "Lovelace", "emails": ["ada@example.org"]},
            region="DE",
        )
        create_party(tx, party)
    portal.ask_for_link(http_client(crm), "ada@example.org")
    link = portal.link_in_mail(crm, "ada@example.org")
    message = smtp_relay.handler.messages[-1]
    assert message["Subject"] == "Acme portal"
    assert "within 10 minutes" in message.get_body(("plain",)).get_content()
    assert link.startswith(f"{PORTAL}/sign-in/link?token=")


def test_a_type_that_cannot_be_told_by_content_is_refused_in_the_settings(
    make_service: Callable[..., Crm],
) -> None:
    with pytest.raises(PluginError, match="attachment_types") as refused:
        make_service(service={"portal": {"attachment_types": ["application/x-msdownload"]}})
    assert "cannot recognise application/x-msdownload" in str(refused.value)


def test_a_merged_partys_session_acts_for_the_survivor(
    crm: Crm, new_party: Any, portal: Any
) -> None:
    survivor = new_party(emails=["ada@lovelace.example"])
    merged = new_party(emails=["ada@example.org"])
    client = portal.sign_in(crm, "ada@example.org")
    with crm.transaction() as tx:
        merge_parties(tx, survivor, merged)
    assert client.get(f"{PORTAL}/cases").status_code == 200
    with crm.read() as conn:
        assert conn.execute(select(portal_session.c.party_id)).scalars().all() == [survivor]


def test_the_prune_job_drops_what_signs_nobody_in(crm: Crm, new_party: Any, portal: Any) -> None:
    new_party(emails=["ada@example.org"])
    portal.sign_in(crm, "ada@example.org")
    portal.ask_for_link(http_client(crm), "ada@example.org")
    long_ago = utcnow() - timedelta(days=2)
    with crm.transaction() as tx:
        tx.conn.execute(update(portal_session).values(expires_at=long_ago))
        tx.conn.execute(
            update(portal_link)
            .where(portal_link.c.used_at.is_not(None))
            .values(expires_at=long_ago)
        )
        tx.conn.execute(update(link_request).values(requested_at=long_ago))
    crm.jobs.run("service.portal_prune")
    with crm.read() as conn:
        assert conn.execute(select(func.count()).select_from(portal_session)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(link_request)).scalar_one() == 0
        # The link sent last is still valid: it stays.
        assert conn.execute(select(func.count()).select_from(portal_link)).scalar_one() == 1
