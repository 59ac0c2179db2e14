"""Who may read what without logging in, and how a 401 tells the client to authenticate."""

from __future__ import annotations

import re

import pytest

from crmkit.app import Crm
from crmkit.core.parties import build_party, create_party
from crmkit.testing import http_client


@pytest.fixture
def stranger(crm: Crm) -> object:
    """A client with no credentials, on a CRM holding one customer."""
    with crm.transaction() as tx:
        create_party(tx, build_party("customer", {"last_name": "Secretperson"}, region="DE"))
    return http_client(crm)


def test_api_description_and_reference_are_public_and_hold_no_data(stranger):
    description = stranger.get("/api/openapi.json")
    reference = stranger.get("/api/docs")

    assert description.status_code == 200 and description.json()["openapi"].startswith("3.1")
    assert reference.status_code == 200 and "GET /api/v1/customers" in reference.text
    for answer in (description, reference):
        assert "Secretperson" not in answer.text
        assert "www-authenticate" not in answer.headers


@pytest.mark.parametrize(
    "headers",
    [{}, {"authorization": "Bearer not-a-token"}, {"authorization": "Basic YW5uOnNlY3JldA=="}],
)
@pytest.mark.parametrize("path", ["/api/v1/customers", "/api/v1/parties/1", "/p/nobody/thing"])
def test_every_api_401_asks_for_a_bearer_token(stranger, path, headers):
    answer = stranger.get(path, headers=headers)

    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == 'Bearer realm="crmkit"'
    assert "Secretperson" not in answer.text


def test_a_failed_login_asks_for_the_login_form_and_pages_still_redirect(stranger):
    form = stranger.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    data = {"username": "nobody", "password": "wrong", "csrf_token": token.group(1)}

    failed = stranger.post("/login", data=data, follow_redirects=False)
    page = stranger.get("/customers", follow_redirects=False)

    assert failed.status_code == 401
    assert failed.headers["www-authenticate"] == 'Session realm="crmkit"'
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
