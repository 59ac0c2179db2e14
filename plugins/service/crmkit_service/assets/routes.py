"""JSON routes under ``/p/service/``: a party's assets, contracts and entitlement.

A record whose party the actor may not see is "not found" (404); one they see
but may not change is "forbidden" (403).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import (
    NotFound,
    Party,
    Transaction,
    ValidationError,
    parse_whole_number,
    read_date,
    read_id,
    seen_party,
)
from crmkit.web import (
    Param,
    actor_of,
    check_query,
    crm_of,
    json_response,
    operation,
    read_as,
    read_object,
    write_as,
)
from crmkit_service.assets import service
from crmkit_service.assets.access import ASSET_READ, ASSET_WRITE, CONTRACT_WRITE
from crmkit_service.assets.bodies import AssetChanges, AssetInput, ContractChanges, ContractInput
from crmkit_service.assets.entitlement import Entitlement, entitlement_of
from crmkit_service.assets.service import Asset, Contract
from crmkit_service.cases.access import hidden_unless_seen
from crmkit_service.web import without_version


def warranty_months(request: Request) -> int | None:
    return crm_of(request).settings_of["service"].assets.default_warranty_months


def visible_asset(request: Request, conn: Connection, asset_id: int) -> Asset:
    """The asset, if the actor may see its party (else NotFound)."""
    found = service.get_asset(conn, asset_id)
    hidden_unless_seen(
        crm_of(request).host, conn, actor_of(request), found.party_id, f"asset {asset_id}"
    )
    return found


def visible_contract(request: Request, conn: Connection, contract_id: int) -> Contract:
    """The contract, if the actor may see its party (else NotFound)."""
    found = service.get_contract(conn, contract_id)
    hidden_unless_seen(
        crm_of(request).host, conn, actor_of(request), found.party_id, f"contract {contract_id}"
    )
    return found


def party_of_new_record(tx: Transaction, data: dict[str, Any]) -> Party:
    """The party a new record names, which the actor must see: one they do not is refused as unknown."""
    party_id = read_id("party_id", data.get("party_id"))
    try:
        return seen_party(tx.hooks, tx.conn, tx.actor, party_id)
    except NotFound:
        raise ValidationError("party_id", f"party {party_id} does not exist") from None


# --- Assets


@operation("The party's assets", response=list[Asset], errors=(404,))
def list_party_assets(request: Request) -> Response:
    check_query(request, ())
    party_id = request.path_params["party_id"]

    def work(tx: Transaction) -> list[Asset]:
        seen_party(tx.hooks, tx.conn, tx.actor, party_id)
        return service.assets_of_party(tx.conn, party_id)

    return json_response(crm_of(request), read_as(request, ASSET_READ, work))


@operation("Record an asset of a customer", request=AssetInput, response=Asset, status=201)
async def post_asset(request: Request) -> Response:
    body = await read_object(request)

    def work(tx: Any) -> Asset:
        party_of_new_record(tx, body)
        return service.create_asset(tx, body, warranty_months=warranty_months(request))

    created = await write_as(request, ASSET_WRITE, work)
    return json_response(crm_of(request), created, 201)


@operation("One asset", response=Asset, errors=(404,))
def get_asset(request: Request) -> Response:
    found = read_as(
        request,
        ASSET_READ,
        lambda tx: visible_asset(request, tx.conn, request.path_params["asset_id"]),
    )
    return json_response(crm_of(request), found)


@operation("Change an asset", request=AssetChanges, response=Asset, errors=(404, 409))
async def patch_asset(request: Request) -> Response:
    data, version = without_version(await read_object(request))

    def work(tx: Any) -> Asset:
        current = visible_asset(request, tx.conn, request.path_params["asset_id"])
        return service.update_asset(
            tx, current.id, data, version, warranty_months=warranty_months(request)
        )

    changed = await write_as(request, ASSET_WRITE, work)
    return json_response(crm_of(request), changed)


# --- Contracts


@operation(
    "The party's service contracts, latest ending first", response=list[Contract], errors=(404,)
)
def list_party_contracts(request: Request) -> Response:
    check_query(request, ())
    party_id = request.path_params["party_id"]

    def work(tx: Transaction) -> list[Contract]:
        seen_party(tx.hooks, tx.conn, tx.actor, party_id)
        return service.contracts_of_party(tx.conn, party_id)

    return json_response(crm_of(request), read_as(request, ASSET_READ, work))


@operation("Record a service contract", request=ContractInput, response=Contract, status=201)
async def post_contract(request: Request) -> Response:
    body = await read_object(request)

    def work(tx: Any) -> Contract:
        party_of_new_record(tx, body)
        return service.create_contract(tx, body)

    created = await write_as(request, CONTRACT_WRITE, work)
    return json_response(crm_of(request), created, 201)


@operation("One service contract with the visits used", response=Contract, errors=(404,))
def get_contract(request: Request) -> Response:
    found = read_as(
        request,
        ASSET_READ,
        lambda tx: visible_contract(request, tx.conn, request.path_params["contract_id"]),
    )
    return json_response(crm_of(request), found)


@operation(
    "Change a service contract", request=ContractChanges, response=Contract, errors=(404, 409)
)
async def patch_contract(request: Request) -> Response:
    data, version = without_version(await read_object(request))

    def work(tx: Any) -> Contract:
        current = visible_contract(request, tx.conn, request.path_params["contract_id"])
        return service.update_contract(tx, current.id, data, version)

    changed = await write_as(request, CONTRACT_WRITE, work)
    return json_response(crm_of(request), changed)


# --- Entitlement


@operation(
    "What the party is entitled to, for one of its assets or none in particular",
    response=Entitlement,
    query=(
        Param("asset_id", int, "The asset the work is on"),
        Param("on", str, "The day, YYYY-MM-DD (default today)"),
    ),
    errors=(404,),
)
def get_entitlement(request: Request) -> Response:
    check_query(request, ("asset_id", "on"))
    party_id = request.path_params["party_id"]
    params = request.query_params
    raw_asset = params.get("asset_id")
    asset_id = None if raw_asset is None else parse_whole_number("asset_id", raw_asset, minimum=1)
    on = None if params.get("on") is None else read_date("on", params["on"])

    def work(tx: Transaction) -> Entitlement:
        seen_party(tx.hooks, tx.conn, tx.actor, party_id)
        return entitlement_of(tx.conn, party_id, asset_id, on=on, hooks=tx.hooks)

    return json_response(crm_of(request), read_as(request, ASSET_READ, work))


ROUTES: list[BaseRoute] = [
    Route("/parties/{party_id:id}/assets", list_party_assets),
    Route("/parties/{party_id:id}/contracts", list_party_contracts),
    Route("/parties/{party_id:id}/entitlement", get_entitlement),
    Route("/assets", post_asset, methods=["POST"]),
    Route("/assets/{asset_id:id}", get_asset),
    Route("/assets/{asset_id:id}", patch_asset, methods=["PATCH"]),
    Route("/contracts", post_contract, methods=["POST"]),
    Route("/contracts/{contract_id:id}", get_contract),
    Route("/contracts/{contract_id:id}", patch_contract, methods=["PATCH"]),
]
