"""Page tokens: exchanged before they expire, marked dead when refused or expired, the key
that encrypts them checked at start; tokens and secrets never in logs."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from crmkit import Crm, utcnow

from .conftest import TEST_APP_SECRET, GraphServer

OLD = "page-token-1001"
NEW = "page-token-1001-renewed"


def state(crm: Crm) -> Any:
    from crmkit_social.accounts.tables import account_table

    with crm.read() as conn:
        return conn.execute(select(account_table)).one()


def refresh(crm: Crm) -> Any:
    from crmkit_social.accounts.graph import DEAD_MARKS

    result = crm.jobs.run("social.refresh_tokens")
    assert result.ok, result.error
    DEAD_MARKS.wait()  # a refused token is marked dead by a thread of its own
    return result


def test_a_token_nearing_expiry_is_exchanged_and_the_new_one_is_sent(
    social_crm: Crm, page: Any, graph: GraphServer, caplog: pytest.LogCaptureFixture
) -> None:
    from crmkit_social.accounts.graph import graph_client
    from crmkit_social.accounts.model import decrypt_token

    caplog.set_level(logging.DEBUG)
    account = page(social_crm, expires_at=utcnow() + timedelta(days=3))
    graph.respond(
        "GET",
        "/oauth/access_token",
        200,
        {"access_token": NEW, "token_type": "bearer", "expires_in": 5184000},
    )
    refresh(social_crm)
    refresh(social_crm)  # the new token is far from expiry: nothing more to do
    (call,) = graph.requests_to("GET", "/oauth/access_token")
    assert call.query == {
        "grant_type": "fb_exchange_token",
        "client_id": "4242",
        "client_secret": TEST_APP_SECRET,
        "fb_exchange_token": OLD,
    }
    assert "authorization" not in call.headers
    row = state(social_crm)
    assert decrypt_token(social_crm, row.token_cipher) == NEW
    assert NEW not in row.token_cipher
    assert timedelta(days=59) < row.token_expires_at - utcnow() < timedelta(days=61)
    assert (row.token_state, row.version) == ("ok", 2)
    graph.respond("GET", "/me", 200, {"id": "1001"})
    graph_client(social_crm, account).get("/me")
    assert graph.requests_to("GET", "/me")[0].headers["authorization"] == f"Bearer {NEW}"
    for secret in (OLD, NEW, TEST_APP_SECRET):
        assert secret not in caplog.text
    assert "/oauth/access_token" in caplog.text  # httpx's request log, its query cut off


def test_a_token_far_from_expiry_or_without_one_is_left_alone(
    social_crm: Crm, page: Any, graph: GraphServer
) -> None:
    page(social_crm, expires_at=utcnow() + timedelta(days=40))
    page(social_crm, page_id="2002", token="t2")  # a page token that never expires
    refresh(social_crm)
    assert graph.requests == []


def test_an_expired_token_is_marked_dead_without_a_call(
    social_crm: Crm, page: Any, graph: GraphServer
) -> None:
    page(social_crm, expires_at=utcnow() - timedelta(minutes=1))
    refresh(social_crm)
    row = state(social_crm)
    assert row.token_state == "dead"
    assert "expired" in row.token_problem
    assert graph.requests == []


def test_a_refused_exchange_marks_the_token_dead(
    social_crm: Crm, page: Any, graph: GraphServer
) -> None:
    page(social_crm, expires_at=utcnow() + timedelta(days=1))
    graph.respond(
        "GET",
        "/oauth/access_token",
        400,
        {"error": {"message": "Error validating access token: Session has expired", "code": 190}},
    )
    refresh(social_crm)
    row = state(social_crm)
    assert row.token_state == "dead"
    assert "Session has expired" in row.token_problem


def test_a_transient_failure_leaves_the_token_for_the_next_run(
    social_crm: Crm, page: Any, graph: GraphServer
) -> None:
    from crmkit_social.accounts.graph import USAGE

    page(social_crm, expires_at=utcnow() + timedelta(days=1))
    graph.respond("GET", "/oauth/access_token", 200, {"access_token": NEW, "expires_in": 5184000})
    graph.fail("GET", "/oauth/access_token", 503, times=1)
    refresh(social_crm)
    assert (state(social_crm).token_state, state(social_crm).version) == ("ok", 1)
    USAGE.clear()
    refresh(social_crm)
    assert state(social_crm).version == 2


# --- settings


@pytest.mark.parametrize(
    ("accounts", "message"),
    [
        ({"token_key": "not-a-fernet-key"}, "token_key: 'token_key' must be a Fernet key"),
        (
            {"token_key": "env:SOCIAL_TEST_UNSET_KEY"},
            "token_key: the environment variable SOCIAL_TEST_UNSET_KEY is not set",
        ),
        (
            {"app_secret": "env:SOCIAL_TEST_UNSET_SECRET"},
            "app_secret: the environment variable SOCIAL_TEST_UNSET_SECRET is not set",
        ),
        ({"graph_url": "graph.facebook.com"}, "graph_url: 'graph_url' must be an http(s) URL"),
    ],
)
def test_bad_settings_stop_the_crm_naming_the_key(
    make_social: Any, accounts: dict[str, Any], message: str
) -> None:
    with pytest.raises(Exception) as caught:
        make_social(social={"accounts": accounts})
    assert f"plugins.social.accounts.{message}" in str(caught.value)


def test_secrets_are_read_from_the_environment(
    make_social: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cryptography.fernet import Fernet

    key = Fernet.generate_key().decode()
    monkeypatch.setenv("SOCIAL_TEST_KEY", key)
    monkeypatch.setenv("SOCIAL_TEST_SECRET", "s3cr3t")
    crm = make_social(
        social={
            "accounts": {"token_key": "env:SOCIAL_TEST_KEY", "app_secret": "env:SOCIAL_TEST_SECRET"}
        }
    )
    settings = crm.settings_of["social"].accounts
    assert (settings.token_key, settings.app_secret) == (key, "s3cr3t")
    assert "s3cr3t" not in repr(settings) and key not in repr(settings)


def test_without_a_token_key_no_page_can_be_connected(make_social: Any, client_as: Any) -> None:
    from crmkit.testing import add_user

    crm = make_social()
    admin = add_user(crm, "root", "admin")
    from crmkit_social.accounts.service import connect

    with pytest.raises(Exception) as caught:
        connect(crm, admin, {"page_id": "1001", "access_token": "abc"})
    assert "plugins.social.accounts.token_key" in str(caught.value)
