"""API tokens found recently are trusted a few seconds; changes made in this process count at once."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import timedelta

from sqlalchemy import update
from starlette.requests import Request

from crmkit.app import Crm
from crmkit.core import auth, recent_tokens
from crmkit.core.actors import Actor
from crmkit.core.entities import User
from crmkit.core.tables import api_token, utcnow
from crmkit.core.users import create_user, update_user
from crmkit.defaults import auth as default_auth

use_token = auth.use_token

SOON = recent_tokens.TRUSTED_FOR / 2
LATER = recent_tokens.TRUSTED_FOR + timedelta(seconds=1)


def new_token(crm: Crm, **options: object) -> str:
    with crm.transaction() as tx:
        create_user(tx, User(username="ann", display_name="Ann", role="sales"))
        return auth.create_token(tx, "ann", "client", ("write",), **options).token  # type: ignore[arg-type]


def revoke_elsewhere(crm: Crm) -> None:
    """What ``crmkit tokens revoke`` in another process does: this process is not told."""
    with crm.engine.begin() as conn:
        conn.execute(update(api_token).values(revoked_at=utcnow()))


def test_a_token_revoked_by_another_process_stops_working_within_the_trusted_time(crm):
    token, now = new_token(crm), utcnow()
    assert auth.use_token(crm, token, now=now) is not None

    revoke_elsewhere(crm)

    assert auth.use_token(crm, token, now=now + SOON) is not None
    assert auth.use_token(crm, token, now=now + LATER) is None


def test_a_token_revoked_in_this_process_stops_working_at_once(crm):
    token, now = new_token(crm), utcnow()
    assert auth.use_token(crm, token, now=now) is not None

    with crm.transaction() as tx:
        auth.revoke_token(tx, token.split("_")[1])

    assert auth.use_token(crm, token, now=now + SOON) is None


def test_a_changed_user_acts_with_the_new_role_at_once(crm):
    token, now = new_token(crm), utcnow()
    actor = auth.use_token(crm, token, now=now)
    assert actor is not None and actor.role == "sales"

    with crm.transaction() as tx:
        user = auth.user_named(tx.conn, "ann")
        update_user(tx, user.id, {"role": "read-only"}, user.version)

    changed = auth.use_token(crm, token, now=now + SOON)
    assert changed is not None and changed.role == "read-only"


def test_a_token_is_never_trusted_past_its_expiry(crm):
    token, now = new_token(crm, expires_in=timedelta(days=1)), utcnow()
    expiry = now + timedelta(days=1)
    assert auth.use_token(crm, token, now=expiry - SOON / 2) is not None

    assert auth.use_token(crm, token, now=expiry + timedelta(seconds=1)) is None


def test_a_recalled_token_is_not_written_again_for_each_request(crm):
    token, now = new_token(crm), utcnow()
    auth.use_token(crm, token, now=now)

    auth.use_token(crm, token, now=now + SOON)

    with crm.read() as conn:
        (info,) = auth.list_tokens(conn)
    assert info.last_used_at == now


def test_remembered_tokens_are_forgotten_when_the_change_commits_not_before(crm):
    forgotten: list[str] = []
    with crm.transaction() as tx:
        tx.after_commit.append(lambda: forgotten.append("committed"))
        assert forgotten == []
    assert forgotten == ["committed"]

    try:
        with crm.transaction() as tx:
            tx.after_commit.append(lambda: forgotten.append("rolled back"))
            raise RuntimeError("abort")
    except RuntimeError:
        pass
    assert forgotten == ["committed"]


def test_concurrent_requests_with_a_token_not_remembered_share_one_look_up(crm, monkeypatch):
    token = new_token(crm)
    looked_up: list[str] = []

    def slow_use_token(app: Crm, given: str) -> Actor | None:
        looked_up.append(given)
        time.sleep(0.05)  # the others ask while it is under way
        return use_token(app, given)

    monkeypatch.setattr(auth, "use_token", slow_use_token)
    header = [(b"authorization", f"Bearer {token}".encode())]

    async def requests() -> list[Actor | None]:
        asked = [Request({"type": "http", "headers": header}) for _ in range(10)]
        return await asyncio.gather(
            *(default_auth.actor_from_request(app=crm, request=r) for r in asked)
        )

    actors = asyncio.run(requests())

    assert looked_up == [token]
    assert {a.username for a in actors if a is not None} == {"ann"}
    assert None not in actors


def test_a_request_after_a_revocation_does_not_share_a_look_up_begun_before_it(crm, monkeypatch):
    token = new_token(crm)
    read, go_on = threading.Event(), threading.Event()

    def held_use_token(app: Crm, given: str) -> Actor | None:
        actor = use_token(app, given)  # found valid...
        read.set()
        go_on.wait(5)  # ...and held up (touching the token waits for the writer, say)
        return actor

    monkeypatch.setattr(auth, "use_token", held_use_token)
    header = [(b"authorization", f"Bearer {token}".encode())]

    def ask() -> asyncio.Future[Actor | None]:
        request = Request({"type": "http", "headers": header})
        return asyncio.ensure_future(default_auth.actor_from_request(app=crm, request=request))

    def revoke() -> None:
        with crm.transaction() as tx:
            auth.revoke_token(tx, token.split("_")[1])

    async def requests() -> tuple[Actor | None, Actor | None]:
        before = ask()
        await asyncio.to_thread(read.wait, 5)
        await asyncio.to_thread(revoke)
        after = ask()
        await asyncio.sleep(0.05)
        go_on.set()
        return await before, await after

    before, after = asyncio.run(requests())

    assert before is not None  # it began before the revocation
    assert after is None
