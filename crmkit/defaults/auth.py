"""Default authentication: an API token (``Authorization: Bearer …``), else the session cookie.

Token scopes restrict what the token's user may do; granting stays with the roles.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import anyio.to_thread

from crmkit.core import auth, recent_tokens
from crmkit.core.permissions import scopes_allow
from crmkit.core.tables import utcnow
from crmkit.hooks.markers import hookimpl

if TYPE_CHECKING:
    from starlette.requests import Request

    from crmkit.app import Crm
    from crmkit.core.actors import Actor

SESSION_COOKIE = "crmkit_session"


def _from_session(app: Crm, request: Request, token: str) -> Actor | None:
    now = utcnow()
    with app.read() as conn:
        active = auth.find_session(conn, token, now=now)
    if active is None:
        return None
    if auth.needs_touch(active.last_seen_at, now):
        with app.transaction() as tx:
            auth.touch_session(tx, active, now=now)
    # For the CSRF check and the forms; requests without a session cookie have none.
    request.state.csrf_token = active.csrf_token
    return active.actor


_looking_up: dict[tuple[Crm, str, int], asyncio.Future[Actor | None]] = {}
"""Look-ups of tokens under way, by CRM, token and :func:`recent_tokens.generation`: a client's
concurrent requests share one."""


async def _looked_up(app: Crm, token: str) -> Actor | None:
    """:func:`auth.use_token` in a worker thread, once for every request that asks meanwhile.

    When a token's remembered actor expires (every few seconds), all of a busy client's
    requests in flight miss it at once: each would otherwise send a query through the
    thread pool, and the requests behind them would wait for all of those.
    """
    # A request after a change of users or tokens (a revocation) committed in this process
    # does not share a look-up begun before it: it looks the token up again.
    key = (app, token, recent_tokens.generation())
    found = _looking_up.get(key)
    if found is None or found.get_loop() is not asyncio.get_running_loop():
        found = asyncio.ensure_future(anyio.to_thread.run_sync(auth.use_token, app, token))
        _looking_up[key] = found

        def forget(done: asyncio.Future[Actor | None]) -> None:
            if _looking_up.get(key) is done:
                del _looking_up[key]

        found.add_done_callback(forget)
    # A request that gives up (its client went) leaves the look-up to the others.
    return await asyncio.shield(found)


@hookimpl
async def actor_from_request(app: Crm, request: Request) -> Actor | None:
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, credentials = header.partition(" ")
        # A request that names its credentials is judged by them alone, never by a cookie too.
        if scheme.lower() != "bearer":
            return None
        token = credentials.strip()
        # A client's next requests find its token in memory: no worker thread, no query.
        recent = auth.recent_token_actor(app, token)
        return recent or await _looked_up(app, token)
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    return await anyio.to_thread.run_sync(_from_session, app, request, cookie)


@hookimpl
def permission_check(actor: Actor, action: str, resource: Any) -> bool | None:
    if actor.scopes is not None and not scopes_allow(actor.scopes, action):
        return False
    return None
