"""Authentication: passwords, login sessions, CSRF, API tokens and their scopes, the login limit."""

from __future__ import annotations

import re
import types
from datetime import timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select, update
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from crmkit import hookimpl
from crmkit.app import Crm
from crmkit.core import auth, passwords
from crmkit.core.audit import history
from crmkit.core.entities import User
from crmkit.core.errors import ValidationError
from crmkit.core.permissions import require, scope_needed, scopes_allow
from crmkit.core.settings import Settings
from crmkit.core.tables import api_token, login_failure, password, session, utcnow
from crmkit.core.users import create_user
from crmkit.demo.app import demo_asgi
from crmkit.demo.data import DEMO_PASSWORD
from crmkit.testing import http_client, register_plugin
from crmkit.web.context import actor_of, crm_of
from crmkit.web.login import LOGIN_CSRF_COOKIE

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def quick_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 at its cheapest: these tests check behaviour, not the cost of guessing."""
    monkeypatch.setattr(
        auth, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


def add_user(crm: Crm, username: str = "ann", role: str = "sales", **fields: Any) -> int:
    with crm.transaction() as tx:
        created = create_user(
            tx, User(username=username, display_name=username.title(), role=role, **fields)
        )
        assert created.id is not None
        auth.set_password(tx, created.id, PASSWORD)
    return created.id


async def whoami(request: Request) -> Response:
    actor = actor_of(request)
    return JSONResponse({"username": actor.username, "scopes": actor.scopes})


def write_something(request: Request) -> Response:
    # Stands for any state-changing endpoint: it asks the permission hooks first.
    require(crm_of(request).host, actor_of(request), "core:party.write")
    return JSONResponse({"written": True})


def probe() -> Any:
    """A plugin with a read route and a write route, both needing an actor."""
    routes = [
        Route("/whoami", whoami),
        Route("/write", write_something, methods=["POST"]),
    ]
    hooks = types.SimpleNamespace(register_routes=hookimpl(lambda: routes))
    return register_plugin(hooks, name="probe")


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None, page
    return found.group(1)


def log_in(client: Any, username: str = "ann", secret: str = PASSWORD, **extra: str) -> Any:
    """Post the login form as a browser does: with the token the form came with."""
    token = csrf_of(client.get("/login").text)
    data = {"username": username, "password": secret, "csrf_token": token, **extra}
    return client.post("/login", data=data, follow_redirects=False)


def count(crm: Crm, table: Any) -> int:
    with crm.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


# --- Passwords


def test_password_is_stored_as_an_argon2_hash_that_verifies(crm):
    user_id = add_user(crm)

    with crm.read() as conn:
        stored = conn.execute(select(password.c.hash).where(password.c.user_id == user_id)).scalar()

    assert stored is not None and stored.startswith("$argon2id$") and PASSWORD not in stored
    assert auth.HASHER.verify(stored, PASSWORD)


def test_short_password_is_refused_naming_the_field(crm):
    user_id = add_user(crm)

    with pytest.raises(ValidationError, match="at least 8") as raised, crm.transaction() as tx:
        auth.set_password(tx, user_id, "short")

    assert raised.value.field == "password"


@pytest.mark.parametrize(
    ("secret", "reason"),
    [
        ("password", "one of the most common passwords"),
        ("12345678", "one of the most common passwords"),
        ("  Password1 ", "one of the most common passwords"),
        ("ann.lee.sales", "must not be the username"),
        ("ANN.LEE.SALES", "must not be the username"),
        ("ann.lee.sales!2024", "must not be the username with a little added"),
        ("ann.lee.salesPassword", "must not be the username with a little added"),
        (" " * 8, "must not be only spaces"),
        ("\t \n \u3000  \t", "must not be only spaces"),
    ],
)
def test_a_guessable_password_is_refused_naming_the_field_and_the_old_one_stays(
    crm, secret, reason
):
    user_id = add_user(crm, "ann.lee.sales")

    with pytest.raises(ValidationError) as raised, crm.transaction() as tx:
        auth.set_password(tx, user_id, secret)

    assert raised.value.field == "password" and reason in raised.value.reason
    assert auth.attempt_login(crm, "ann.lee.sales", PASSWORD).session is not None


@pytest.mark.parametrize(
    "secret", ["ann's blue bicycle", "Tr0ub4dour&3 extra", "passwort vergessen", "ÄÖÜäöüß€"]
)
def test_a_password_of_any_characters_that_is_long_and_not_common_is_accepted(crm, secret):
    user_id = add_user(crm)

    with crm.transaction() as tx:
        auth.set_password(tx, user_id, secret)

    assert auth.attempt_login(crm, "ann", secret).session is not None


def test_the_common_password_list_is_shipped_with_thousands_of_entries():
    common = passwords.common_passwords()

    assert len(common) > 10_000
    assert {"password", "12345678", "qwertyuiop", "iloveyou"} <= common


def test_login_upgrades_a_hash_made_with_old_parameters(crm):
    user_id = add_user(crm)
    # Other parameters than the current ones (cheaper, as a hash from years ago would be).
    weak = PasswordHasher(time_cost=1, memory_cost=512, parallelism=1).hash(PASSWORD)
    with crm.transaction() as tx:
        auth.store_password_hash(tx, user_id, weak)

    assert auth.attempt_login(crm, "ann", PASSWORD).session is not None

    with crm.read() as conn:
        stored = conn.execute(select(password.c.hash)).scalar_one()
    assert stored != weak and not auth.HASHER.check_needs_rehash(stored)


# --- Login, sessions, logout


def test_login_opens_a_session_in_an_httponly_lax_cookie_and_goes_on(crm):
    add_user(crm)
    client = http_client(crm)

    answer = log_in(client, next="/customers")

    assert answer.status_code == 303 and answer.headers["location"] == "/customers"
    cookie = next(c for c in answer.headers.get_list("set-cookie") if "crmkit_session=" in c)
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    assert client.get("/", follow_redirects=False).status_code == 200
    # Only the hash of the cookie's value is kept.
    value = client.cookies["crmkit_session"]
    with crm.read() as conn:
        ids = conn.execute(select(session.c.id)).scalars().all()
    assert len(ids) == 1 and value not in ids[0]


def test_session_cookie_is_secure_over_https(crm):
    add_user(crm)
    client = http_client(crm, base_url="https://crm.example")

    answer = log_in(client)

    cookie = next(c for c in answer.headers.get_list("set-cookie") if "crmkit_session=" in c)
    assert "Secure" in cookie


def test_login_cookies_are_secure_even_over_http_when_forced(make_crm):
    crm = make_crm(settings=Settings(force_secure_cookies=True))
    add_user(crm)
    client = http_client(crm)

    form = client.get("/login")
    token = form.cookies[LOGIN_CSRF_COOKIE]
    # The client would not send a Secure cookie over http: the test sends it as a browser on https.
    answer = client.post(
        "/login",
        data={"username": "ann", "password": PASSWORD, "csrf_token": csrf_of(form.text)},
        headers={"Cookie": f"{LOGIN_CSRF_COOKIE}={token}"},
        follow_redirects=False,
    )

    assert answer.status_code == 303
    set_cookies = [*form.headers.get_list("set-cookie"), *answer.headers.get_list("set-cookie")]
    for name in (f"{LOGIN_CSRF_COOKIE}=", "crmkit_session="):
        cookie = next(c for c in set_cookies if c.startswith(name))
        assert "Secure" in cookie, cookie


def test_login_never_redirects_off_the_site(crm):
    add_user(crm)

    answer = log_in(http_client(crm), next="//evil.example/phish")

    assert answer.headers["location"] == "/"


def test_wrong_password_shows_the_form_again_and_opens_no_session(crm):
    add_user(crm)
    client = http_client(crm)

    wrong = log_in(client, secret="not the password")
    unknown = log_in(client, username="nobody")

    for answer in (wrong, unknown):
        assert answer.status_code == 401
        assert "Unknown username or wrong password" in answer.text
        assert "crmkit_session" not in answer.headers.get("set-cookie", "")
    assert count(crm, session) == 0
    assert client.get("/api/v1/customers").status_code == 401


def test_login_page_shows_the_demo_credentials_only_in_the_demo(crm):
    assert DEMO_PASSWORD not in http_client(crm).get("/login").text
    assert DEMO_PASSWORD in TestClient(demo_asgi(crm)).get("/login").text


def test_deactivated_user_cannot_log_in(crm):
    add_user(crm)
    with crm.transaction() as tx:
        auth.deactivate_user(tx, "ann")

    assert log_in(http_client(crm)).status_code == 401


def test_page_without_session_leads_to_login_and_back(crm):
    add_user(crm)
    client = http_client(crm)

    first = client.get("/customers")
    answer = log_in(client, next=first.url.params["next"])

    assert first.url.path == "/login" and first.url.params["next"] == "/customers"
    assert answer.headers["location"] == "/customers"


def test_expired_session_no_longer_authenticates(crm):
    add_user(crm)
    client = http_client(crm)
    log_in(client)
    with crm.transaction() as tx:
        tx.conn.execute(update(session).values(expires_at=utcnow() - timedelta(seconds=1)))

    assert client.get("/api/v1/customers").status_code == 401
    assert client.get("/", follow_redirects=False).headers["location"].startswith("/login")


def test_use_extends_a_session_but_never_past_its_lifetime(crm):
    user_id = add_user(crm)
    opened = utcnow()
    with crm.transaction() as tx:
        new = auth.open_session(tx, user_id, now=opened)
    later = opened + auth.SESSION_IDLE - timedelta(minutes=1)
    end = opened + auth.SESSION_LIFETIME

    with crm.read() as conn:
        found = auth.find_session(conn, new.token, now=later)
    assert found is not None
    with crm.transaction() as tx:
        auth.touch_session(tx, found, now=later)
    with crm.read() as conn:
        assert auth.find_session(conn, new.token, now=later + auth.SESSION_IDLE / 2) is not None
        with crm.transaction() as tx:
            auth.touch_session(tx, found, now=end - timedelta(minutes=1))
        assert auth.find_session(conn, new.token, now=end) is None


def test_logout_ends_the_session(crm):
    add_user(crm)
    client = http_client(crm)
    log_in(client)
    cookie = client.cookies["crmkit_session"]
    token = csrf_of(client.get("/").text)

    answer = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)

    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    assert count(crm, session) == 0
    client.cookies.set("crmkit_session", cookie)  # a copy kept by an attacker
    assert client.get("/api/v1/customers").status_code == 401


# --- CSRF


def test_form_post_without_or_with_a_wrong_csrf_token_is_refused(crm):
    add_user(crm)
    client = http_client(crm)
    log_in(client)

    missing = client.post("/logout", data={}, follow_redirects=False)
    wrong = client.post("/logout", data={"csrf_token": "guess"}, follow_redirects=False)

    for answer in (missing, wrong):
        assert answer.status_code == 403 and "CSRF" in answer.text
    assert count(crm, session) == 1  # still logged in: nothing changed
    assert client.get("/api/v1/customers").status_code == 200


def test_cookie_authenticated_json_write_needs_the_csrf_header(make_crm):
    crm = make_crm([probe()])
    add_user(crm)
    client = http_client(crm)
    log_in(client)
    token = csrf_of(client.get("/").text)

    without = client.post("/p/probe/write", json={})
    with_header = client.post("/p/probe/write", json={}, headers={"X-CSRF-Token": token})

    assert without.status_code == 403
    assert without.headers["content-type"] == "application/problem+json"
    assert with_header.status_code == 200


def test_login_form_needs_the_token_it_was_served_with(crm):
    add_user(crm)
    client = http_client(crm)
    client.get("/login")

    forged = client.post(
        "/login",
        data={"username": "ann", "password": PASSWORD, "csrf_token": "forged"},
        follow_redirects=False,
    )

    assert forged.status_code == 403
    assert count(crm, session) == 0


# --- API tokens


def new_token(crm: Crm, *scopes: str, username: str = "ann", **options: Any) -> auth.NewToken:
    with crm.transaction() as tx:
        return auth.create_token(tx, username, "tests", scopes, **options)


def test_token_authenticates_as_its_user_and_is_stored_only_hashed(make_crm):
    crm = make_crm([probe()])
    add_user(crm)
    new = new_token(crm, "read")

    answer = http_client(crm).get(
        "/p/probe/whoami", headers={"Authorization": f"Bearer {new.token}"}
    )

    assert answer.json() == {"username": "ann", "scopes": ["read"]}
    with crm.read() as conn:
        stored = conn.execute(select(api_token)).mappings().one()
    assert new.token not in {str(v) for v in stored.values()}
    assert new.token.startswith(f"crm_{stored['prefix']}_")


def test_bearer_writes_need_no_csrf_token(make_crm):
    crm = make_crm([probe()])
    add_user(crm)
    new = new_token(crm, "write")

    answer = http_client(crm).post(
        "/p/probe/write", json={}, headers={"Authorization": f"Bearer {new.token}"}
    )

    assert answer.status_code == 200


def test_revoked_expired_wrong_or_deactivated_tokens_get_401(make_crm):
    crm = make_crm([probe()])
    add_user(crm)
    add_user(crm, "bob")
    revoked = new_token(crm, "read")
    expired = new_token(crm, "read", expires_in=timedelta(days=1), now=utcnow() - timedelta(days=2))
    of_bob = new_token(crm, "read", username="bob")
    with crm.transaction() as tx:
        auth.revoke_token(tx, revoked.prefix)
        auth.deactivate_user(tx, "bob")
    client = http_client(crm)

    for token in (revoked.token, expired.token, of_bob.token, revoked.token[:-1] + "x", "crm_"):
        answer = client.get("/p/probe/whoami", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 401, token


def test_a_new_password_revokes_the_users_api_tokens_at_once(make_crm):
    crm = make_crm([probe()])
    user_id = add_user(crm)
    add_user(crm, "bob")
    token, of_bob = new_token(crm, "read"), new_token(crm, "read", username="bob")
    client = http_client(crm)
    bearer = {"Authorization": f"Bearer {token.token}"}
    assert client.get("/p/probe/whoami", headers=bearer).status_code == 200  # now trusted a while

    with crm.transaction() as tx:
        auth.set_password(tx, user_id, "a brand new secret")

    assert client.get("/p/probe/whoami", headers=bearer).status_code == 401
    with crm.read() as conn:
        assert [t.state(utcnow()) for t in auth.list_tokens(conn, "ann")] == ["revoked"]
        assert auth.find_token(conn, of_bob.token) is not None
        newest = history(conn, "user", user_id)[0]
    assert newest.changes.keys() == {f"api_token {token.prefix} revoked_at"}


def test_with_the_setting_off_a_new_password_keeps_the_api_tokens(make_crm):
    crm = make_crm([probe()], settings=Settings(revoke_tokens_on_password_change=False))
    user_id = add_user(crm)
    token = new_token(crm, "read")

    with crm.transaction() as tx:
        auth.set_password(tx, user_id, "a brand new secret")

    answer = http_client(crm).get(
        "/p/probe/whoami", headers={"Authorization": f"Bearer {token.token}"}
    )
    assert answer.status_code == 200


def test_scopes_restrict_writes_even_for_an_admin(make_crm):
    crm = make_crm([probe()])
    add_user(crm, "root", role="admin")
    client = http_client(crm)

    def write(*scopes: str) -> int:
        token = new_token(crm, *scopes, username="root").token
        headers = {"Authorization": f"Bearer {token}"}
        return int(client.post("/p/probe/write", json={}, headers=headers).status_code)

    assert write("read") == 403
    assert write("write") == 200
    assert write("admin") == 200


def test_scope_needed_by_an_action():
    assert scope_needed("core:party.read") == "read"
    assert scope_needed("core:user.admin") == "admin"
    assert scope_needed("core:party.merge") == "write"
    assert scope_needed("core:import") == "write"
    assert not scopes_allow(["write"], "core:user.admin")
    assert scopes_allow(["admin"], "sfa:quote.write")


# --- The failed-login limit


def test_sixth_failure_within_the_window_gets_429_even_with_the_right_password(crm):
    add_user(crm)
    client = http_client(crm)
    for _ in range(auth.LOGIN_LIMIT.per_address_username):
        assert log_in(client, secret="wrong password").status_code == 401

    refused = log_in(client)

    assert refused.status_code == 429
    assert 0 < int(refused.headers["retry-after"]) <= 15 * 60
    assert "Too many failed logins" in refused.text
    assert count(crm, session) == 0


def test_failing_an_accounts_logins_from_one_address_does_not_lock_its_owner_out(crm):
    add_user(crm, "admin", role="admin")
    attacker = http_client(crm, client=("203.0.113.9", 40000))
    owner = http_client(crm, client=("198.51.100.7", 40000))

    tried = [log_in(attacker, "admin", "guess").status_code for _ in range(30)]

    limit = auth.LOGIN_LIMIT.per_address_username
    assert tried == [401] * limit + [429] * (30 - limit)
    assert log_in(attacker, "admin").status_code == 429  # the right password: refused there
    assert log_in(owner, "admin").status_code == 303


def test_failures_spread_over_many_addresses_slow_the_account_down(crm):
    add_user(crm)
    limit = auth.LoginLimit(per_address_username=2, per_address=10, per_username=4)

    def attempt(address: str, secret: str = "wrong password") -> auth.Login:
        return auth.attempt_login(crm, "ann", secret, address, limit=limit)

    for address in ("10.0.0.1", "10.0.0.1", "10.0.0.2", "10.0.0.2"):
        assert attempt(address).retry_after is None
    refused = attempt("10.0.0.3", PASSWORD)

    assert refused.retry_after is not None and refused.session is None


@pytest.mark.parametrize(
    "addresses",
    [
        [f"2001:db8:0:1::{i:x}" for i in range(1, 5)],  # one client's /64
        ["10.1.1.1", "::ffff:10.1.1.1", "10.1.1.1", "::ffff:10.1.1.1"],
    ],
)
def test_the_addresses_of_one_client_share_one_budget(crm, addresses):
    add_user(crm)
    limit = auth.LoginLimit(per_address_username=3, per_address=10, per_username=50)

    tried = [
        auth.attempt_login(crm, "ann", "wrong password", address, limit=limit).retry_after
        for address in addresses
    ]

    assert [wait is None for wait in tried] == [True, True, True, False]
    other_client = auth.attempt_login(crm, "ann", PASSWORD, "2001:db8:0:2::1", limit=limit)
    assert other_client.session is not None


def test_login_limit_holds_per_address_and_ends_with_its_window(crm):
    add_user(crm)
    limit = auth.LoginLimit(per_username=5, per_address=3)
    start = utcnow()

    def attempt(username: str, at: timedelta, secret: str = "wrong password") -> auth.Login:
        return auth.attempt_login(crm, username, secret, "10.0.0.9", now=start + at, limit=limit)

    for i, name in enumerate(("x", "y", "z")):
        assert attempt(name, timedelta(seconds=i)).retry_after is None
    blocked = attempt("ann", timedelta(seconds=10), PASSWORD)
    later = attempt("ann", limit.window + timedelta(seconds=3), PASSWORD)

    assert blocked.retry_after is not None and blocked.session is None
    assert later.session is not None


def test_successful_login_resets_the_failure_count_of_its_username_at_its_address(crm):
    add_user(crm)
    client = http_client(crm)
    for _ in range(4):
        log_in(client, secret="wrong password")

    assert log_in(client).status_code == 303
    with crm.read() as conn:
        kinds = conn.execute(select(login_failure.c.kind)).scalars().all()
    # The success itself is not counted; the address and the account keep the failures.
    assert sorted(kinds) == ["address"] * 4 + ["username"] * 4
    for _ in range(4):
        assert log_in(client, secret="wrong password").status_code == 401


def test_a_valid_account_cannot_reset_the_budget_of_its_address(crm):
    add_user(crm)
    limit = auth.LoginLimit(per_username=5, per_address=3)
    now = utcnow()

    def attempt(username: str, secret: str = "wrong password") -> auth.Login:
        return auth.attempt_login(crm, username, secret, "10.0.0.9", now=now, limit=limit)

    assert attempt("x").retry_after is None
    assert attempt("y").retry_after is None
    assert attempt("ann", PASSWORD).session is not None
    assert attempt("z").retry_after is None  # the third failure from the address

    refused = attempt("ann", PASSWORD)
    assert refused.retry_after is not None and refused.session is None


def test_failures_outside_the_window_and_ended_sessions_are_dropped(crm):
    user_id = add_user(crm)
    long_ago = utcnow() - timedelta(days=30)
    with crm.transaction() as tx:
        auth.open_session(tx, user_id, now=long_ago)
    auth.attempt_login(crm, "ann", "wrong password", "10.0.0.1", now=long_ago)

    auth.attempt_login(crm, "ann", "wrong password", "10.0.0.2")
    with crm.transaction() as tx:
        auth.open_session(tx, user_id)

    with crm.read() as conn:
        keys = conn.execute(select(login_failure.c.key).order_by(login_failure.c.key)).scalars()
        assert list(keys) == ["10.0.0.2", "10.0.0.2 ann", "ann"]
    assert count(crm, session) == 1
