"""The webhooks part's routes under ``/p/social/``: Meta's callback (handshake and signed
deliveries) and the inbox API for admins."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from crmkit import ConfigurationError, Crm, Page, Transaction, parse_whole_number, read_choice
from crmkit.web import (
    HubSignature,
    Param,
    SignatureMismatch,
    SignatureMissing,
    Signed,
    actor_of,
    check_query,
    crm_of,
    json_response,
    operation,
    public_route,
    read_as,
    read_object,
    write_as,
)
from crmkit_social.webhooks import inbox, process, service
from crmkit_social.webhooks.access import INBOX
from crmkit_social.webhooks.service import STATES, ChangeDetail, ChangeSummary

CALLBACK = "/webhooks/meta"


def app_secrets(crm: Crm) -> Sequence[str]:
    secret: str = crm.settings_of["social"].accounts.app_secret
    return (secret,) if secret else ()


class MetaHandshake:
    """Meta's subscription handshake, ``hub.mode``/``hub.verify_token``/``hub.challenge``,
    also under the names some proxies rewrite them to (``hub_mode`` …)."""

    signs_ids: ClassVar[bool] = False
    has_secret: ClassVar[bool] = True
    parameters: ClassVar[tuple[Param, ...]] = (
        Param("hub.mode", str, "subscribe", required=True),
        Param("hub.challenge", str, "What the answer echoes", required=True),
        Param("hub.verify_token", str, "The verify token entered at Meta", required=True),
    )

    def verify(self, crm: Crm, request: Request, body: bytes, now: float) -> Signed | None:
        import hmac

        token: str = crm.settings_of["social"].webhooks.verify_token
        if not token:
            raise ConfigurationError(
                "plugins.social.webhooks.verify_token", "no verify token is configured"
            )
        mode = hub_param(request, "mode")
        if mode is None:
            raise SignatureMissing("hub.mode", "the parameter is missing")
        if mode != "subscribe":
            raise SignatureMismatch("hub.mode", "expected subscribe")
        if not hub_param(request, "challenge"):
            raise SignatureMissing("hub.challenge", "the parameter is missing")
        given = hub_param(request, "verify_token")
        if given is None:
            raise SignatureMissing("hub.verify_token", "the parameter is missing")
        if not hmac.compare_digest(token.encode(), given.encode()):
            raise SignatureMismatch("hub.verify_token", "not the verify token this CRM was given")
        return None


def hub_param(request: Request, name: str) -> str | None:
    params = request.query_params
    found = params.get(f"hub.{name}")
    return found if found is not None else params.get(f"hub_{name}")


def confirm_subscription(request: Request) -> Response:
    """Meta's handshake: the verify token was checked; answer the challenge as plain text."""
    return PlainTextResponse(hub_param(request, "challenge") or "")


@operation(
    "A delivery of Meta's webhooks: each change stored once, processed in the background",
    response=dict[str, int],
    errors=(400, 413, 422),
)
async def take_delivery(request: Request) -> Response:
    """A delivery of Meta's webhooks: each change stored once, processed in the background."""
    crm = crm_of(request)
    limit: int = crm.settings_of["social"].webhooks.max_body_bytes
    body = await request.body()
    if len(body) > limit:
        raise HTTPException(413, f"the delivery has {len(body)} bytes; at most {limit} are taken")
    payload = await read_object(request)
    changes = inbox.read_delivery(payload)

    def store(tx: Transaction) -> int:
        return inbox.store_changes(tx.conn, changes)

    stored = await crm.write(store, actor_of(request)) if changes else 0
    return json_response(crm, {"received": len(changes), "stored": stored})


# --- the inbox API


def _limit(request: Request) -> int:
    raw = request.query_params.get("limit")
    return 50 if raw is None else parse_whole_number("limit", raw, minimum=1, maximum=500)


@operation(
    "Stored changes, newest first",
    response=Page[ChangeSummary],
    query=(
        Param("state", str, "pending, processed, ignored, refused or failed"),
        Param("page_id", str, "Only this page's changes"),
        Param("field", str, "Only this field's changes (leadgen, feed, messages …)"),
        Param("cursor", str, "next_cursor of the page before"),
        Param("limit", int, "At most this many (1-500, default 50)"),
    ),
)
def list_changes(request: Request) -> Response:
    check_query(request, ("state", "page_id", "field", "cursor", "limit"))
    params = request.query_params
    state = params.get("state")
    if state is not None:
        state = read_choice("state", state, STATES)
    limit = _limit(request)

    def work(tx: Transaction) -> Page[ChangeSummary]:
        return service.list_changes(
            tx.conn,
            state=state,
            page_id=params.get("page_id"),
            field=params.get("field"),
            cursor=params.get("cursor"),
            limit=limit,
        )

    return json_response(crm_of(request), read_as(request, INBOX, work))


@operation("Stored changes by state", response=dict[str, int])
def change_counts(request: Request) -> Response:
    check_query(request, ())
    return json_response(
        crm_of(request), read_as(request, INBOX, lambda tx: service.counts(tx.conn))
    )


@operation("A stored change with its payload", response=ChangeDetail, errors=(404,))
def get_change(request: Request) -> Response:
    check_query(request, ())
    change_id: int = request.path_params["change_id"]
    found = read_as(request, INBOX, lambda tx: service.change_detail(tx.conn, change_id))
    return json_response(crm_of(request), found)


@operation(
    "Put a failed, refused or ignored change back in the queue",
    response=ChangeDetail,
    errors=(404, 409),
)
async def retry_change(request: Request) -> Response:
    check_query(request, ())
    change_id: int = request.path_params["change_id"]

    def work(tx: Transaction) -> ChangeDetail:
        process.retry_by_hand(tx, change_id)
        return service.change_detail(tx.conn, change_id)

    return json_response(crm_of(request), await write_as(request, INBOX, work))


ROUTES: list[BaseRoute] = [
    public_route(
        CALLBACK, confirm_subscription, verifier=MetaHandshake(), methods=["GET"], per_minute=60
    ),
    # No per-address budget: Meta delivers from few addresses at high rates, and nothing is
    # written before the signature (a cheap HMAC) is checked.
    public_route(CALLBACK, take_delivery, verifier=HubSignature(app_secrets), per_minute=None),
    Route("/webhooks/changes", list_changes),
    Route("/webhooks/changes/counts", change_counts),
    Route("/webhooks/changes/{change_id:id}", get_change),
    Route("/webhooks/changes/{change_id:id}/retry", retry_change, methods=["POST"]),
]
