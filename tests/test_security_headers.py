"""Security headers: every response says what its page may load, who may frame it, what it refers."""

from __future__ import annotations

import re
from typing import Any

import pytest

from crmkit.app import Crm
from crmkit.testing import http_client

HEADERS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}
POLICY = (
    "default-src 'self'",
    "script-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)


def assert_protected(response: Any) -> str:
    """The response carries every security header; returns the nonce of its policy."""
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value, (response.url, name)
    policy = response.headers["content-security-policy"].split("; ")
    assert set(POLICY) <= set(policy), policy
    # Styles from the site, inline ones only with this response's nonce; no 'unsafe-inline'.
    (style,) = [p for p in policy if p.startswith("style-src ")]
    found = re.fullmatch(r"style-src 'self' 'nonce-([A-Za-z0-9_-]{16,})'", style)
    assert found is not None, style
    return found.group(1)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/login", 200),
        ("/forms/lead", 200),
        ("/api/docs", 200),
        ("/", 303),
        ("/static/no-such.css", 404),
        ("/static/crmkit.css", 200),
        ("/api/v1/customers", 401),
    ],
)
def test_every_response_carries_the_security_headers(crm: Crm, path: str, status: int) -> None:
    response = http_client(crm).get(path, follow_redirects=False)

    assert response.status_code == status
    assert_protected(response)


def test_a_refused_form_post_carries_them_too(crm: Crm) -> None:
    response = http_client(crm).post("/login", data={"username": "ann"})

    assert response.status_code == 403
    assert_protected(response)


def test_each_response_has_a_nonce_of_its_own(crm: Crm) -> None:
    client = http_client(crm)

    nonces = {assert_protected(client.get("/login")) for _ in range(3)}

    assert len(nonces) == 3
