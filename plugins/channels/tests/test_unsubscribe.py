"""The unsubscribe link: no login, a signed token, a page with a button, RFC 8058's one-click POST."""

from __future__ import annotations

from collections.abc import Callable
from email import message_from_string, policy
from urllib.parse import parse_qs, urlsplit

import pytest
from crmkit_channels import EmailMessage, send
from crmkit_channels.delivery import deliver_due
from crmkit_channels.tables import email
from sqlalchemy import select

from crmkit import SYSTEM, Crm, consents_of
from crmkit.testing import http_client


def _link(crm: Crm, party: int) -> str:
    """The https unsubscribe link of a newsletter to ``party``, as the relay would see it."""
    with crm.transaction(SYSTEM) as tx:
        out = send(tx, EmailMessage(party, "newsletter", template="welcome", variables={"code": 1}))
    with crm.read() as conn:
        raw = conn.execute(select(email.c.raw).where(email.c.id == out.id)).scalar_one()
    header = str(message_from_string(raw, policy=policy.default)["List-Unsubscribe"])
    https = header.split(",")[0].strip().strip("<>")
    assert https.startswith("https://crm.acme.example/p/channels/unsubscribe?token=")
    return https.removeprefix("https://crm.acme.example")


def _newsletter_consent(crm: Crm, party: int) -> list[tuple[str, str]]:
    with crm.read() as conn:
        return [
            (c.status, c.source)
            for c in consents_of(conn, party)
            if (c.purpose, c.channel) == ("newsletter", "email")
        ]


def test_opening_the_link_withdraws_nothing_until_the_button_is_pressed(
    crm: Crm, person: int
) -> None:
    path = _link(crm, person)
    with http_client(crm) as client:
        page = client.get(path)
        assert page.status_code == 200 and "<button" in page.text
        assert page.headers["cache-control"] == "no-store"
        assert _newsletter_consent(crm, person) == [("granted", "test")]
        done = client.post(path, data={})
    assert done.status_code == 200 and "no more" in done.text
    assert _newsletter_consent(crm, person) == [("withdrawn", "unsubscribe-link")]


def test_one_click_post_withdraws_and_the_queued_newsletter_is_then_suppressed(
    crm: Crm, person: int, inbox: object
) -> None:
    path = _link(crm, person)  # this newsletter is queued, not yet delivered
    with http_client(crm) as client:
        answer = client.post(path, data={"List-Unsubscribe": "One-Click"})
        again = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200 and again.status_code == 200
    # A second click records nothing more.
    with crm.read() as conn:
        statements = [c for c in consents_of(conn, person) if c.purpose == "newsletter"]
    assert [(c.status, c.source) for c in statements] == [("withdrawn", "one-click-unsubscribe")]
    deliver_due(crm)
    with crm.read() as conn:
        assert conn.execute(select(email.c.status)).scalars().all() == ["suppressed"]


@pytest.mark.parametrize("mangle", ["forged", "other-party", "other-purpose", "missing", "garbage"])
def test_a_forged_or_broken_token_is_refused_and_changes_nothing(
    crm: Crm,
    person: int,
    new_person: Callable[..., int],
    give_consent: Callable[..., None],
    mangle: str,
) -> None:
    path = _link(crm, person)
    token = parse_qs(urlsplit(path).query)["token"][0]
    claim, signature = token.split(".")
    import base64

    def b64(text: str) -> str:
        return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()

    other = new_person("bob@example.org")
    give_consent(other, "granted")
    bad = {
        "forged": f"{claim}.{signature[:-2]}AA",
        "other-party": f"{b64(f'{other}:newsletter')}.{signature}",
        "other-purpose": f"{b64(f'{person}:orders')}.{signature}",
        "missing": "",
        "garbage": "not a token at all",
    }[mangle]
    with http_client(crm) as client:
        assert client.get("/p/channels/unsubscribe", params={"token": bad}).status_code == 404
        refused = client.post(
            "/p/channels/unsubscribe", params={"token": bad}, data={"List-Unsubscribe": "One-Click"}
        )
    assert refused.status_code == 404
    assert _newsletter_consent(crm, person) == [("granted", "test")]
    assert _newsletter_consent(crm, other) == [("granted", "test")]
