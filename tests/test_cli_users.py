"""``crmkit users`` and ``crmkit tokens``: the operator's commands for people and API tokens."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from crmkit.app import Crm
from crmkit.core import auth
from crmkit.core.tables import api_token, session, user, utcnow
from crmkit.core.users import list_users
from crmkit.testing import invoke

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def quick_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 at its cheapest: these tests check behaviour, not the cost of guessing."""
    monkeypatch.setattr(
        auth, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


def ok(crm: Crm, *args: str, input: str | None = None) -> Any:
    result = invoke(crm, *args, input=input)
    assert result.exit_code == 0, result.output
    return result


def refused(crm: Crm, *args: str, input: str | None = None) -> str:
    result = invoke(crm, *args, input=input)
    assert result.exit_code != 0, result.output
    return str(result.output)


def can_log_in(crm: Crm, username: str, secret: str) -> bool:
    return auth.attempt_login(crm, username, secret).session is not None


def count(crm: Crm, table: Any) -> int:
    with crm.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_users_add_reads_the_password_from_a_pipe(crm):
    ok(crm, "users", "add", "boss", "--role", "manager", input=f"{PASSWORD}\n")

    result = ok(
        crm,
        *("users", "add", "ann", "--role", "sales", "--display-name", "Ann Lee"),
        *("--email", "ann@example.org", "--team", "North", "--manager", "boss"),
        *("--territory", "DE", "--territory", "AT"),
        input=f"{PASSWORD}\n",
    )

    assert "added user ann (sales)" in result.output
    with crm.read() as conn:
        ann = next(u for u in list_users(conn) if u.username == "ann")
        boss_id = conn.execute(select(user.c.id).where(user.c.username == "boss")).scalar()
    assert (ann.display_name, ann.email, ann.team) == ("Ann Lee", "ann@example.org", "North")
    assert ann.territories == ("DE", "AT") and ann.manager_id == boss_id
    assert can_log_in(crm, "ann", PASSWORD)


def test_users_add_refuses_bad_input_and_creates_nobody(crm):
    short = refused(crm, "users", "add", "ann", "--role", "sales", input="short\n")
    no_password = refused(crm, "users", "add", "ann", "--role", "sales", input="")
    manager = refused(
        crm, "users", "add", "ann", "--role", "sales", "--manager", "ghost", input=f"{PASSWORD}\n"
    )
    role = refused(crm, "users", "add", "ann", "--role", "boss", input=f"{PASSWORD}\n")

    assert "password: must be at least 8 characters" in short
    assert "no password on standard input" in no_password
    assert "'ghost'" in manager
    assert "'boss' is not one of" in role
    assert count(crm, user) == 0


def test_users_add_and_passwd_refuse_a_guessable_password_naming_it(crm):
    common = refused(crm, "users", "add", "ann.lee", "--role", "sales", input="password\n")
    spaces = refused(crm, "users", "add", "ann.lee", "--role", "sales", input=" " * 8 + "\n")
    assert "password: is one of the most common passwords" in common
    assert "password: must not be only spaces" in spaces
    assert count(crm, user) == 0
    ok(crm, "users", "add", "ann.lee", "--role", "sales", input=f"{PASSWORD}\n")

    own_name = refused(crm, "users", "passwd", "ann.lee", input="Ann.Lee2024\n")

    assert "password: must not be the username" in own_name
    assert can_log_in(crm, "ann.lee", PASSWORD)


def test_users_list_shows_role_team_and_state(crm):
    ok(crm, "users", "add", "ann", "--role", "sales", "--team", "North", input=f"{PASSWORD}\n")
    ok(crm, "users", "add", "bob", "--role", "service", input=f"{PASSWORD}\n")
    ok(crm, "users", "deactivate", "bob")

    lines = ok(crm, "users", "list").output.splitlines()

    assert lines == [
        "ann\tsales\tann\tNorth\t-\tactive",
        "bob\tservice\tbob\t-\t-\tdeactivated",
    ]


def test_users_passwd_changes_the_password_and_ends_sessions_and_tokens(crm):
    ok(crm, "users", "add", "ann", "--role", "sales", input=f"{PASSWORD}\n")
    assert can_log_in(crm, "ann", PASSWORD)
    token = ok(crm, "tokens", "create", "ann", "--name", "script").stdout.strip()

    changed = ok(crm, "users", "passwd", "ann", input="a new long secret\n")

    assert "their sessions have ended, their API tokens revoked" in changed.output
    with crm.read() as conn:
        assert auth.find_token(conn, token) is None
    assert count(crm, session) == 0
    assert not can_log_in(crm, "ann", PASSWORD)
    assert can_log_in(crm, "ann", "a new long secret")
    assert "'nobody'" in refused(crm, "users", "passwd", "nobody", input=f"{PASSWORD}\n")


def test_users_deactivate_ends_sessions_and_tokens(crm):
    ok(crm, "users", "add", "ann", "--role", "sales", input=f"{PASSWORD}\n")
    assert can_log_in(crm, "ann", PASSWORD)
    token = ok(crm, "tokens", "create", "ann", "--name", "script").stdout.strip()

    ok(crm, "users", "deactivate", "ann")

    with crm.read() as conn:
        assert auth.find_token(conn, token) is None
    assert count(crm, session) == 0
    assert not can_log_in(crm, "ann", PASSWORD)


def test_tokens_create_prints_the_token_once_and_stores_a_hash(crm):
    ok(crm, "users", "add", "ann", "--role", "sales", input=f"{PASSWORD}\n")

    result = ok(
        crm,
        *("tokens", "create", "ann", "--name", "erp sync"),
        *("--scope", "read", "--scope", "write", "--expires", "30"),
    )

    token = result.stdout.strip()
    assert token.startswith("crm_") and len(token) > 40
    assert "cannot be shown again" in result.stderr and token not in result.stderr
    with crm.read() as conn:
        stored = conn.execute(select(api_token)).mappings().one()
        use = auth.find_token(conn, token)
    assert token not in {str(value) for value in stored.values()}
    assert stored["scopes"] == ["read", "write"]
    assert timedelta(days=29) < stored["expires_at"] - utcnow() <= timedelta(days=30)
    assert use is not None and use.actor.username == "ann" and use.actor.scopes == ("read", "write")
    assert token not in ok(crm, "tokens", "list").output


def test_tokens_list_and_revoke_by_prefix_or_id(crm):
    ok(crm, "users", "add", "ann", "--role", "sales", input=f"{PASSWORD}\n")
    ok(crm, "users", "add", "bob", "--role", "sales", input=f"{PASSWORD}\n")
    first = ok(crm, "tokens", "create", "ann", "--name", "one").stdout.strip()
    ok(crm, "tokens", "create", "bob", "--name", "two")
    with crm.read() as conn:
        tokens = auth.list_tokens(conn)
    prefix = tokens[0].prefix

    revoked = ok(crm, "tokens", "revoke", prefix)
    ok(crm, "tokens", "revoke", str(tokens[1].id))

    assert f"revoked token {tokens[0].id} ({prefix}) of ann" in revoked.output
    listed = [line.split("\t") for line in ok(crm, "tokens", "list", "ann").output.splitlines()]
    assert [(row[1], row[2], row[3], row[4], row[5]) for row in listed] == [
        (prefix, "ann", "one", "read", "revoked")
    ]
    with crm.read() as conn:
        assert auth.find_token(conn, first) is None
    assert "no token with id or prefix 'nope'" in refused(crm, "tokens", "revoke", "nope")


def test_tokens_create_refuses_unknown_users_and_scopes(crm):
    ok(crm, "users", "add", "ann", "--role", "sales", input=f"{PASSWORD}\n")

    assert "'ghost'" in refused(crm, "tokens", "create", "ghost", "--name", "x")
    assert "'root' is not one of" in refused(
        crm, "tokens", "create", "ann", "--name", "x", "--scope", "root"
    )
    assert "name: is required" in refused(crm, "tokens", "create", "ann", "--name", " ")
    assert count(crm, api_token) == 0
