"""Public plugin routes: served without a login, to a sender that signs what it sends.

``public_route(path, endpoint, verifier=...)`` is a Starlette route a plugin
returns from ``register_routes``. For each request the kernel, before the
plugin's endpoint runs:

1. reads the raw body, once, and has the verifier check its signature;
2. counts the request, refused or not, against the route's budget for the
   client's address (a 429 with ``Retry-After`` when it is used up);
3. refuses a signature that does not hold (a 403 problem naming the header);
   answers 503 while the verifier has no usable secret (the operator's to
   configure: logged once per route, the secret's value never shown);
4. for a scheme that signs an id, takes that id (a 409 problem when it has been
   taken, by any process, since its timestamp became acceptable).

The endpoint then gets the same request, its body verified and already read,
with ``actor_of(request)`` the plugin's own system actor. When the endpoint fails
(it raises, or answers 400 or above) the id is given back, so that the sender's
retry is taken; when the server dies before the endpoint has answered, the id is
taken until its timestamp falls out of the window, after which the sender's
retry (signed anew) is taken. Nothing but the count is stored on a refusal.

The route appears in the OpenAPI document as public (no token), with the
headers its verifier reads and those refusals; the endpoint's own ``@operation``
declaration, if it has one, supplies the rest (its body, its answer).
"""

from __future__ import annotations

import functools
import inspect
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import attrs
from attrs import frozen
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import Scope

from crmkit.core.actors import Actor
from crmkit.core.attempts import Budget, Limit, client_key, take_attempt
from crmkit.core.db import Transaction
from crmkit.core.errors import ConfigurationError
from crmkit.core.receipts import claim_receipt, release_receipt
from crmkit.core.signatures import ReplayedRequest, SignatureRefused
from crmkit.web.context import crm_of
from crmkit.web.openapi import Operation
from crmkit.web.problems import PROBLEM_JSON, Problem
from crmkit.web.sizes import OPERATION
from crmkit.web.verifiers import Verifier

log = logging.getLogger(__name__)

Endpoint = Callable[[Request], Any]
LIMIT_KIND = "signed"
"""The kind of the attempts counted against public routes' budgets (see :mod:`crmkit.core.attempts`)."""


def plugin_actor(plugin: str) -> Actor:
    """The system actor a plugin's public route acts as: it may do anything, and audits name it."""
    return Actor(user_id=None, username=f"plugin:{plugin}", role="system")


def _mount_of(scope: Scope) -> str:
    """The path of the mount serving ``scope``, below the application's root (``/p/<plugin>``)."""
    root: str = scope.get("root_path", "")
    return root[len(scope.get("app_root_path", "")) :]


def _client(request: Request) -> str:
    # Behind a proxy named in trusted_proxies, uvicorn has put the client it forwarded here.
    return client_key(request.client.host) if request.client else "unknown"


def _is_async(handler: Any) -> bool:
    while isinstance(handler, functools.partial):
        handler = handler.func
    # A callable object counts by its __call__, as Starlette counts it.
    call = handler if inspect.isroutine(handler) else type(handler).__call__
    return inspect.iscoroutinefunction(call)


@frozen
class _Receipt:
    """The id a verified request takes, and until when: while a replay could still pass."""

    source: str
    message_id: str
    expires_at: datetime


@frozen
class _Admission:
    """What the one write before the handler found."""

    wait: int | None
    """Seconds until the client's budget allows another request, when it is used up."""
    taken: bool
    """Whether the request took its receipt (False also when it has none)."""


def _admit(
    tx: Transaction, budgets: list[Budget], receipt: _Receipt | None, at: datetime
) -> _Admission:
    """Count the request against ``budgets`` and, when it may go on, take its ``receipt``."""
    wait = take_attempt(tx, budgets, at) if budgets else None
    if wait is not None or receipt is None:
        return _Admission(wait, taken=False)
    taken = claim_receipt(tx, receipt.source, receipt.message_id, at, receipt.expires_at)
    return _Admission(None, taken)


class PublicRoute(Route):
    """A plugin route served without a login to requests its ``verifier`` accepts."""

    def __init__(
        self,
        path: str,
        endpoint: Endpoint,
        *,
        verifier: Verifier,
        methods: Sequence[str],
        per_minute: int | None,
        name: str | None = None,
    ) -> None:
        if per_minute is not None and per_minute < 1:
            raise ValueError(f"per_minute must be at least 1, not {per_minute}")
        self.handler = endpoint
        self.verifier = verifier
        self.limit = None if per_minute is None else Limit(per_minute, timedelta(minutes=1))
        self.reported_unconfigured = False

        async def receive_signed(request: Request) -> Response:
            return await self._receive(request)

        name = name or endpoint.__name__
        # The document names the operation by its endpoint, and reads its declaration there.
        receive_signed.__name__ = name
        setattr(receive_signed, OPERATION, _declared(endpoint, name, verifier, per_minute))
        super().__init__(path, receive_signed, methods=list(methods), name=name)

    async def _receive(self, request: Request) -> Response:
        crm = crm_of(request)
        mount = _mount_of(request.scope)
        plugin = mount.removeprefix("/p/")
        actor = plugin_actor(plugin)
        body = await request.body()
        now = time.time()
        refusal: SignatureRefused | None = None
        receipt: _Receipt | None = None
        try:
            signed = self.verifier.verify(crm, request, body, now)
        except SignatureRefused as exc:
            refusal = exc
        except ConfigurationError as exc:
            return self._unconfigured(f"{mount}{self.path}", exc)
        else:
            if signed is not None:
                # A whole second past the last moment its timestamp is accepted.
                window = crm.settings.signature_tolerance + 1
                expires = datetime.fromtimestamp(signed.timestamp + window, UTC)
                receipt = _Receipt(plugin, signed.message_id, expires)
        budgets = (
            []
            if self.limit is None
            else [Budget(LIMIT_KIND, f"{_client(request)} {mount}{self.path}", self.limit)]
        )
        at = datetime.fromtimestamp(now, UTC)
        admission = _Admission(None, taken=False)
        if budgets or receipt is not None:
            admission = await crm.write(lambda tx: _admit(tx, budgets, receipt, at), actor)
        if admission.wait is not None:
            raise HTTPException(
                429,
                f"too many requests to this route from your address: try again in {admission.wait} s",
                headers={"Retry-After": str(admission.wait)},
            )
        if refusal is not None:
            raise refusal
        if receipt is not None and not admission.taken:
            raise ReplayedRequest("webhook-id", f"{receipt.message_id} has been received already")
        request.state.actor = actor
        return await self._handle(request, receipt)

    def _unconfigured(self, path: str, exc: ConfigurationError) -> Response:
        """The answer while the verifier has no usable secret: the sender may retry once it has."""
        if not self.reported_unconfigured:
            # Once, not per request: a sender retrying every few seconds must not flood the log.
            self.reported_unconfigured = True
            log.error("webhook receiver %s is not configured: %s", path, exc)
        problem = Problem(
            503,
            "Webhook receiver not configured",
            f"{path} cannot check signatures until its secret is configured; retry later",
        )
        return JSONResponse(problem.document(), 503, media_type=PROBLEM_JSON)

    async def _handle(self, request: Request, receipt: _Receipt | None) -> Response:
        """The handler's response; when it fails, ``receipt`` is given back for the sender's retry."""
        failed = True
        try:
            if _is_async(self.handler):
                response: Response = await self.handler(request)
            else:
                response = await run_in_threadpool(self.handler, request)
            failed = response.status_code >= 400
            return response
        finally:
            if receipt is not None and failed:
                # Shielded: a request cancelled mid-way must still give its id back.
                with anyio.CancelScope(shield=True):
                    await crm_of(request).write(
                        lambda tx: release_receipt(tx, receipt.source, receipt.message_id),
                        request.state.actor,
                    )


def _declared(
    endpoint: Endpoint, name: str, verifier: Verifier, per_minute: int | None
) -> Operation:
    """The endpoint's own operation (or one it summarises), made public, with the verifier's
    headers and the refusals answered before the endpoint runs."""
    own: Operation | None = getattr(endpoint, OPERATION, None)
    if own is None:
        summary = (endpoint.__doc__ or "").strip().split("\n")[0]
        own = Operation(summary or f"Signed requests to {name}")
    scheme = type(verifier).__name__
    signs_ids, has_secret = (getattr(verifier, a, False) for a in ("signs_ids", "has_secret"))
    # A verifier checking nothing (the handler checks a token of its own) refuses no signature.
    checks = getattr(verifier, "checks_signature", True)
    refusals = {
        403: "403 when the signature does not hold" if checks else "",
        409: "409 when the id it signs was received already" if signs_ids else "",
        429: f"429 (Retry-After) past {per_minute} requests a minute from one address"
        if per_minute is not None
        else "",
        503: "503 while its secret is not configured" if has_secret else "",
    }
    said = {status: text for status, text in refusals.items() if text}
    told = (
        f"Served without a login to requests signed per {scheme}: {', '.join(said.values())}."
        if checks
        else f"Served without a login: {', '.join(said.values())}."
        if said
        else "Served without a login."
    )
    # What the verifier reads, it needs: a request without it is refused.
    read = (attrs.evolve(p, required=True) for p in getattr(verifier, "parameters", ()))
    return attrs.evolve(
        own,
        query=(*own.query, *read),
        errors=tuple(sorted({*own.errors, *said})),
        description=" ".join(filter(None, (own.description, told))),
        public=True,
    )


def public_route(
    path: str,
    endpoint: Endpoint,
    *,
    verifier: Verifier,
    methods: Sequence[str] = ("POST",),
    per_minute: int | None = 600,
    name: str | None = None,
) -> PublicRoute:
    """A route served without a login to requests ``verifier`` finds signed.

    ``endpoint`` is a plain ``def`` (run in a worker thread) or an ``async def``
    (awaited) handler taking the request; ``actor_of(request)`` is the plugin's
    system actor. ``per_minute``: how many requests one client address may send to
    this route in a minute; None: no budget and no write before the handler, for a link
    whose handler checks its own signed token and does bounded work on it (a tracking
    pixel, which mail providers fetch through a few proxy addresses). Return it from
    ``register_routes`` as any route.
    """
    return PublicRoute(
        path, endpoint, verifier=verifier, methods=methods, per_minute=per_minute, name=name
    )


@frozen
class PublicPluginPaths:
    """The paths of the plugins' public routes, for authentication to let through."""

    by_mount: Mapping[str, tuple[PublicRoute, ...]]
    """Each plugin's mount path (``/p/name``) with its public routes."""

    def __contains__(self, path: object) -> bool:
        if not isinstance(path, str) or not path.startswith("/p/"):
            return False
        # Asked on every request: only the routes of the one mount the path can be under.
        end = path.find("/", 3)
        routes = self.by_mount.get(path[:end]) if end > 0 else None
        return routes is not None and any(route.path_regex.match(path[end:]) for route in routes)


def public_plugin_paths(mounts: Iterable[BaseRoute]) -> PublicPluginPaths:
    """The public routes among the plugins' ``mounts`` (each route at the top of its plugin's list)."""
    by_mount = {
        mount.path: tuple(route for route in mount.routes if isinstance(route, PublicRoute))
        for mount in mounts
        if isinstance(mount, Mount)
    }
    return PublicPluginPaths({path: routes for path, routes in by_mount.items() if routes})
