"""The API of outbound webhooks (for holders of ``core:webhook.admin``) and of the event feed.

The feed is for every user: each sees the events about the records they may see
(:mod:`crmkit.core.event_feed`).
"""

from __future__ import annotations

from typing import ClassVar

import anyio.to_thread
from attrs import field, frozen
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit.core.db import Transaction
from crmkit.core.errors import ValidationError
from crmkit.core.event_feed import FeedPage, read_feed
from crmkit.core.pagination import Page
from crmkit.core.permissions import require
from crmkit.core.visible_records import DEFAULT_LIMIT
from crmkit.core.webhook_delivery import TestResult, send_test
from crmkit.core.webhooks import (
    DELIVERY_STATUSES,
    MAX_URL,
    CreatedSubscription,
    Delivery,
    Subscription,
    add_subscription,
    get_delivery,
    get_subscription,
    list_deliveries,
    list_subscriptions,
    redeliver,
    set_active,
)
from crmkit.web.api import run_write
from crmkit.web.context import actor_of, crm_of
from crmkit.web.idempotency import run_post
from crmkit.web.listing import check_parameters, int_parameter
from crmkit.web.openapi import Param, operation
from crmkit.web.payloads import json_response, only_fields, read_object

ADMIN = "core:webhook.admin"
PAGE_PARAMS = (
    Param("limit", int, "Most items on the page (1-500)"),
    Param("cursor", str, "next_cursor of the previous page"),
)


@frozen
class WebhookInput:
    """A new subscription: where to send which events; a ``whsec_`` secret is made if none is given."""

    __json_input__: ClassVar[bool] = True

    url: str = field(metadata={"json": {"maxLength": MAX_URL, "pattern": "^https?://[^\\s/?#]+"}})
    event_types: list[str] = field(
        metadata={
            "json": {
                "minItems": 1,
                "maxItems": 200,
                "uniqueItems": True,
                "items": {"type": "string", "maxLength": 100},
                "description": "Event types to send (prospect.created …), or * for all",
            }
        }
    )
    entity: str | None = field(default=None, metadata={"json": {"maxLength": 100}})
    description: str = field(default="", metadata={"json": {"maxLength": 200}})
    secret: str | None = field(default=None, metadata={"json": {"maxLength": 200}})


@frozen
class WebhookChanges:
    """Enable or disable a subscription."""

    __json_input__: ClassVar[bool] = True

    active: bool


def _admin(request: Request) -> None:
    require(crm_of(request).host, actor_of(request), ADMIN)


@operation("Every webhook subscription (without secrets)", response=list[Subscription])
def webhooks(request: Request) -> Response:
    crm = crm_of(request)
    check_parameters(request.query_params, ())
    _admin(request)
    with crm.read() as conn:
        return json_response(crm, list_subscriptions(conn))


@operation(
    "Subscribe a URL to events; the answer holds the signing secret",
    request=WebhookInput,
    response=CreatedSubscription,
    status=201,
)
async def add_webhook(request: Request) -> Response:
    _admin(request)
    data = await read_object(request)
    only_fields(data, ("url", "event_types", "entity", "description", "secret"))
    for name in ("url", "event_types"):
        if name not in data:
            raise ValidationError(name, "is required")

    def work(tx: Transaction) -> CreatedSubscription:
        return add_subscription(
            tx,
            data["url"],
            data["event_types"],
            entity=data.get("entity"),
            description=data.get("description") or "",
            secret=data.get("secret"),
        )

    return await run_post(request, work, status=201)


@operation("One webhook subscription", response=Subscription)
def webhook(request: Request) -> Response:
    crm = crm_of(request)
    check_parameters(request.query_params, ())
    _admin(request)
    with crm.read() as conn:
        return json_response(crm, get_subscription(conn, request.path_params["webhook_id"]))


@operation(
    "Enable or disable a webhook subscription (enabling clears its failures)",
    request=WebhookChanges,
    response=Subscription,
)
async def change_webhook(request: Request) -> Response:
    _admin(request)
    data = await read_object(request)
    only_fields(data, ("active",))
    if "active" not in data:
        raise ValidationError("active", "is required")
    webhook_id = request.path_params["webhook_id"]
    return await run_write(request, lambda tx: set_active(tx, webhook_id, data["active"]))


@operation(
    "The delivery log of a webhook subscription, newest first",
    response=Page[Delivery],
    query=(Param("status", str, ", ".join(DELIVERY_STATUSES)), *PAGE_PARAMS),
)
def webhook_deliveries(request: Request) -> Response:
    crm = crm_of(request)
    params = request.query_params
    check_parameters(params, ("status", "limit", "cursor"))
    _admin(request)
    with crm.read() as conn:
        page = list_deliveries(
            conn,
            request.path_params["webhook_id"],
            status=params.get("status"),
            cursor=params.get("cursor"),
            limit=int_parameter(params, "limit", DEFAULT_LIMIT),
        )
    return json_response(crm, page)


@operation("One delivery of a webhook subscription", response=Delivery)
def webhook_delivery(request: Request) -> Response:
    crm = crm_of(request)
    check_parameters(request.query_params, ())
    _admin(request)
    with crm.read() as conn:
        return json_response(crm, get_delivery(conn, request.path_params["delivery_id"]))


@operation(
    "Send a delivery again (same webhook-id, fresh retries)", response=Delivery, errors=(404,)
)
async def redeliver_webhook(request: Request) -> Response:
    _admin(request)
    delivery_id = request.path_params["delivery_id"]
    return await run_write(request, lambda tx: redeliver(tx, delivery_id))


@operation("Send a signed webhook.test message now and report the answer", response=TestResult)
async def test_webhook(request: Request) -> Response:
    crm = crm_of(request)
    check_parameters(request.query_params, ())
    _admin(request)
    webhook_id = request.path_params["webhook_id"]
    result = await anyio.to_thread.run_sync(send_test, crm, webhook_id)
    return json_response(crm, result)


def _types(request: Request) -> list[str]:
    return [name for given in request.query_params.getlist("type") for name in given.split(",")]


@operation(
    "Events after a cursor, oldest first, about what the caller may see",
    response=FeedPage,
    query=(
        Param("after", str, "next_cursor of the previous page; none: from the first event"),
        Param("type", str, "Only events of these types (comma-separated, or repeated)"),
        Param("limit", int, "Most events on the page (1-500)"),
    ),
    description=(
        "next_cursor is always given: poll with it again for the events that follow. "
        "Holders of core:webhook.admin see every event; others see the events about "
        "the prospects and customers they may see, and about those parties' "
        "interactions if they may read timelines."
    ),
)
def events(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    params = request.query_params
    check_parameters(params, ("after", "type", "limit"))
    with crm.read() as conn:
        page = read_feed(
            conn,
            crm.host,
            actor,
            after=params.get("after"),
            types=_types(request),
            limit=int_parameter(params, "limit", 100),
        )
    return json_response(crm, page)


ROUTES: list[BaseRoute] = [
    Route("/events", events, methods=["GET"], name="api_events"),
    Route("/webhooks", webhooks, methods=["GET"], name="api_webhooks"),
    Route("/webhooks", add_webhook, methods=["POST"], name="api_add_webhook"),
    Route("/webhooks/{webhook_id:id}", webhook, methods=["GET"], name="api_webhook"),
    Route(
        "/webhooks/{webhook_id:id}", change_webhook, methods=["PATCH"], name="api_change_webhook"
    ),
    Route(
        "/webhooks/{webhook_id:id}/deliveries",
        webhook_deliveries,
        methods=["GET"],
        name="api_webhook_deliveries",
    ),
    Route(
        "/webhooks/{webhook_id:id}/test", test_webhook, methods=["POST"], name="api_test_webhook"
    ),
    Route(
        "/webhooks/deliveries/{delivery_id:id}",
        webhook_delivery,
        methods=["GET"],
        name="api_webhook_delivery",
    ),
    Route(
        "/webhooks/deliveries/{delivery_id:id}/redeliver",
        redeliver_webhook,
        methods=["POST"],
        name="api_redeliver_webhook",
    ),
]
"""Below ``/api/v1``, where :mod:`crmkit.web.app` mounts them with the kernel API."""
