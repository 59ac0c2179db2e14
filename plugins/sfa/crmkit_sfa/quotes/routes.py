"""JSON routes under ``/p/sfa/``: products, price lists, quotations and their versions, orders.

Handlers are plain functions (Starlette runs them in its thread pool) except
the ones reading a body, which hand the database work to a worker thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import Page, require
from crmkit.web import Param, actor_of, crm_of, json_response, operation, read_object
from crmkit_sfa.pipeline import fields as common
from crmkit_sfa.quotes import catalogue, orders, quotations
from crmkit_sfa.quotes.bodies import (
    ErpStatusInput,
    PriceListInput,
    ProductChange,
    ProductInput,
    QuotationChange,
    QuotationInput,
)
from crmkit_sfa.quotes.catalogue import PriceList, Product
from crmkit_sfa.quotes.orders import Order, OrderSummary
from crmkit_sfa.quotes.paging import MAX_LIMIT, limit_of
from crmkit_sfa.quotes.quotations import Quotation, QuotationSummary

T = TypeVar("T")
PAGING = (
    Param("cursor", str, "The next_cursor of the previous page"),
    Param("limit", int, f"At most this many (1 to {MAX_LIMIT}, default 50)"),
)


def _query_id(request: Request, name: str) -> int | None:
    return common.query_id(name, request.query_params.get(name))


async def _write(request: Request, work: Callable[..., T], *args: Any) -> T:
    """Run ``work(tx, *args)`` in one transaction of the acting user, off the event loop."""
    crm, actor = crm_of(request), actor_of(request)

    def run() -> T:
        with crm.transaction(actor) as tx:
            return work(tx, *args)

    return await run_in_threadpool(run)


# --- Products and price lists.


@operation(
    "The active products, by code",
    response=list[Product],
    query=(
        Param("group", str, "Only this product group"),
        Param("include_inactive", bool, "Also products no longer sold"),
    ),
)
def get_products(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    require(crm.host, actor, "sfa:product.read")
    params = request.query_params
    with crm.read() as conn:
        found = catalogue.list_products(
            conn,
            group=params.get("group"),
            include_inactive=params.get("include_inactive") == "true",
        )
    return json_response(crm, found)


@operation("Add a product", request=ProductInput, response=Product, status=201, errors=(409,))
async def post_product(request: Request) -> Response:
    require(crm_of(request).host, actor_of(request), "sfa:product.write")
    body = await read_object(request)
    return json_response(
        crm_of(request), await _write(request, catalogue.create_product, body), 201
    )


@operation("One product", response=Product)
def get_product(request: Request) -> Response:
    crm = crm_of(request)
    require(crm.host, actor_of(request), "sfa:product.read")
    with crm.read() as conn:
        return json_response(crm, catalogue.get_product(conn, request.path_params["product_id"]))


@operation(
    "Change a product's name, group, unit, tax rate or active flag",
    request=ProductChange,
    response=Product,
)
async def patch_product(request: Request) -> Response:
    require(crm_of(request).host, actor_of(request), "sfa:product.write")
    body = await read_object(request)
    changed = await _write(
        request, catalogue.update_product, request.path_params["product_id"], body
    )
    return json_response(crm_of(request), changed)


@operation(
    "The price lists with their volume tiers",
    response=list[PriceList],
    query=(Param("valid_on", str, "Only those valid on this day (YYYY-MM-DD)"),),
)
def get_price_lists(request: Request) -> Response:
    crm = crm_of(request)
    require(crm.host, actor_of(request), "sfa:product.read")
    valid_on = common.day("valid_on", request.query_params.get("valid_on"))
    with crm.read() as conn:
        return json_response(crm, catalogue.list_price_lists(conn, valid_on=valid_on))


@operation("Add a price list", request=PriceListInput, response=PriceList, status=201)
async def post_price_list(request: Request) -> Response:
    require(crm_of(request).host, actor_of(request), "sfa:product.write")
    body = await read_object(request)
    created = await _write(request, catalogue.create_price_list, body)
    return json_response(crm_of(request), created, 201)


@operation("One price list with its tiers", response=PriceList)
def get_price_list(request: Request) -> Response:
    crm = crm_of(request)
    require(crm.host, actor_of(request), "sfa:product.read")
    with crm.read() as conn:
        return json_response(
            crm, catalogue.get_price_list(conn, request.path_params["price_list_id"])
        )


@operation("Replace a price list and all its tiers", request=PriceListInput, response=PriceList)
async def put_price_list(request: Request) -> Response:
    require(crm_of(request).host, actor_of(request), "sfa:product.write")
    body = await read_object(request)
    replaced = await _write(
        request, catalogue.replace_price_list, request.path_params["price_list_id"], body
    )
    return json_response(crm_of(request), replaced)


# --- Quotations.


@operation(
    "The quotations the user may see (those of the opportunities they see), newest first",
    response=Page[QuotationSummary],
    query=(
        Param("opportunity_id", int, "Only this opportunity's"),
        Param("status", str, "draft, sent, accepted, rejected, superseded or expired"),
        *PAGING,
    ),
)
def get_quotations(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    with crm.read() as conn:
        found = quotations.list_quotations(
            crm,
            conn,
            actor,
            opportunity_id=_query_id(request, "opportunity_id"),
            status=request.query_params.get("status"),
            cursor=request.query_params.get("cursor"),
            limit=limit_of(request.query_params.get("limit")),
        )
    return json_response(crm, found)


@operation(
    "Draft a quotation for an opportunity (version 1)",
    request=QuotationInput,
    response=Quotation,
    status=201,
    errors=(409,),
)
async def post_quotation(request: Request) -> Response:
    body = await read_object(request)
    created = await _write(request, quotations.create_quotation, body)
    return json_response(crm_of(request), created, 201)


@operation("One quotation version with its lines and totals", response=Quotation)
def get_quotation(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    with crm.read() as conn:
        found = quotations.visible_quotation(crm, conn, actor, request.path_params["quotation_id"])
    return json_response(crm, found)


@operation("Every version of a quotation, the first one first", response=list[QuotationSummary])
def get_versions(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    with crm.read() as conn:
        found = quotations.visible_quotation(crm, conn, actor, request.path_params["quotation_id"])
        return json_response(crm, quotations.versions_of(conn, found.number))


@operation("Change a draft", request=QuotationChange, response=Quotation, errors=(409,))
async def patch_quotation(request: Request) -> Response:
    body = await read_object(request)
    changed = await _write(
        request, quotations.update_quotation, request.path_params["quotation_id"], body
    )
    return json_response(crm_of(request), changed)


@operation(
    "Revise a sent, rejected or expired quotation: a new draft version; the revised one is superseded",
    request=QuotationChange,
    response=Quotation,
    status=201,
    errors=(409,),
)
async def post_revision(request: Request) -> Response:
    body = await read_object(request)
    revised = await _write(
        request, quotations.revise_quotation, request.path_params["quotation_id"], body
    )
    return json_response(crm_of(request), revised, 201)


@operation("Mark a draft as sent to the customer", response=Quotation, errors=(409,))
async def post_send(request: Request) -> Response:
    sent = await _write(request, quotations.send_quotation, request.path_params["quotation_id"])
    return json_response(crm_of(request), sent)


@operation("Record that the customer rejected the quotation", response=Quotation, errors=(409,))
async def post_reject(request: Request) -> Response:
    rejected = await _write(
        request, quotations.reject_quotation, request.path_params["quotation_id"]
    )
    return json_response(crm_of(request), rejected)


@operation(
    "Accept a sent quotation: the order is placed and the opportunity won; repeating it answers "
    "with the same order",
    response=Order,
    errors=(409,),
)
async def post_accept(request: Request) -> Response:
    placed = await _write(request, orders.accept_quotation, request.path_params["quotation_id"])
    return json_response(crm_of(request), placed)


# --- Orders.


@operation(
    "The orders the user may see, newest first",
    response=Page[OrderSummary],
    query=(
        Param("party_id", int, "Only this party's"),
        Param("erp_status", str, "none (not yet reported), sent, confirmed, delivered or invoiced"),
        *PAGING,
    ),
)
def get_orders(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    with crm.read() as conn:
        found = orders.list_orders(
            crm,
            conn,
            actor,
            party_id=_query_id(request, "party_id"),
            erp_status=request.query_params.get("erp_status"),
            cursor=request.query_params.get("cursor"),
            limit=limit_of(request.query_params.get("limit")),
        )
    return json_response(crm, found)


@operation("One order with its lines", response=Order)
def get_order(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    with crm.read() as conn:
        return json_response(
            crm, orders.visible_order(crm, conn, actor, request.path_params["order_id"])
        )


@operation(
    "Report the order's status in the ERP (for connectors); it only moves forward",
    request=ErpStatusInput,
    response=Order,
    errors=(409,),
)
async def post_erp_status(request: Request) -> Response:
    body = await read_object(request)
    updated = await _write(request, orders.update_erp_status, request.path_params["order_id"], body)
    return json_response(crm_of(request), updated)


ROUTES: list[BaseRoute] = [
    Route("/products", get_products, methods=["GET"]),
    Route("/products", post_product, methods=["POST"]),
    Route("/products/{product_id:id}", get_product, methods=["GET"]),
    Route("/products/{product_id:id}", patch_product, methods=["PATCH"]),
    Route("/price-lists", get_price_lists, methods=["GET"]),
    Route("/price-lists", post_price_list, methods=["POST"]),
    Route("/price-lists/{price_list_id:id}", get_price_list, methods=["GET"]),
    Route("/price-lists/{price_list_id:id}", put_price_list, methods=["PUT"]),
    Route("/quotations", get_quotations, methods=["GET"]),
    Route("/quotations", post_quotation, methods=["POST"]),
    Route("/quotations/{quotation_id:id}", get_quotation, methods=["GET"]),
    Route("/quotations/{quotation_id:id}", patch_quotation, methods=["PATCH"]),
    Route("/quotations/{quotation_id:id}/versions", get_versions, methods=["GET"]),
    Route("/quotations/{quotation_id:id}/revisions", post_revision, methods=["POST"]),
    Route("/quotations/{quotation_id:id}/send", post_send, methods=["POST"]),
    Route("/quotations/{quotation_id:id}/reject", post_reject, methods=["POST"]),
    Route("/quotations/{quotation_id:id}/accept", post_accept, methods=["POST"]),
    Route("/orders", get_orders, methods=["GET"]),
    Route("/orders/{order_id:id}", get_order, methods=["GET"]),
    Route("/orders/{order_id:id}/erp-status", post_erp_status, methods=["POST"]),
]
