"""The vehicles part's JSON API under ``/p/dms/``: vehicles, owners, repair orders.

Bad input is a 422 problem naming the field; a vehicle or repair order that does not exist,
or a party the user does not see, is 404. Owners and repair orders of parties the user does
not see are left out (``history``).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import (
    Page,
    Transaction,
    check_fields,
    parse_whole_number,
    read_id,
    read_timestamp,
)
from crmkit.web import (
    Param,
    check_query,
    crm_of,
    json_response,
    operation,
    read_as,
    read_object,
    write_as,
)
from crmkit_dms.vehicles import history, service
from crmkit_dms.vehicles.access import READ, WRITE
from crmkit_dms.vehicles.bodies import OwnerInput, RepairOrderInput, VehicleInput
from crmkit_dms.vehicles.history import VehicleDetail
from crmkit_dms.vehicles.model import Ownership, RepairOrder, Vehicle

PAGE_LIMIT = 500


def _paging(request: Request) -> tuple[str | None, int]:
    raw = request.query_params.get("limit")
    limit = 50 if raw is None else parse_whole_number("limit", raw, minimum=1, maximum=PAGE_LIMIT)
    return request.query_params.get("cursor"), limit


@operation(
    "Vehicles, newest first, a page at a time",
    response=Page[Vehicle],
    query=(
        Param("vin", str, "The VIN or its first characters"),
        Param("make", str, "Only this make (any case)"),
        Param("model", str, "Only this model (any case)"),
        Param("party_id", int, "Only vehicles this party owns, drives or leases now"),
        Param("cursor", str, "The next_cursor of the page before"),
        Param("limit", int, f"At most this many (1 to {PAGE_LIMIT}, default 50)"),
    ),
    errors=(404,),
)
def dms_list_vehicles(request: Request) -> Response:
    check_query(request, ("vin", "make", "model", "party_id", "cursor", "limit"))
    params = request.query_params
    party = params.get("party_id")
    party_id = None if party is None else parse_whole_number("party_id", party, minimum=1)
    cursor, limit = _paging(request)

    def work(tx: Transaction) -> Page[Vehicle]:
        return history.list_vehicles(
            tx,
            vin=params.get("vin"),
            make=params.get("make"),
            model=params.get("model"),
            party_id=party_id,
            cursor=cursor,
            limit=limit,
        )

    return json_response(crm_of(request), read_as(request, READ, work))


@operation(
    "Record a vehicle by VIN, or update the fields given of the one known",
    request=VehicleInput,
    response=Vehicle,
    description="An invalid VIN (length, letters I O Q, check digit in the markets that use "
    "it) is a 422 problem on vin. A lower mileage than the one known is ignored.",
)
async def dms_put_vehicle(request: Request) -> Response:
    body = await read_object(request)
    made = await write_as(request, WRITE, lambda tx: service.upsert_vehicle(tx, body))
    return json_response(crm_of(request), made)


@operation(
    "A vehicle with its owners over time and service history",
    response=VehicleDetail,
    errors=(404,),
)
def dms_get_vehicle(request: Request) -> Response:
    check_query(request)
    vehicle_id: int = request.path_params["vehicle_id"]
    found = read_as(request, READ, lambda tx: history.vehicle_detail(tx, vehicle_id))
    return json_response(crm_of(request), found)


@operation(
    "A party becomes the vehicle's owner, driver or lessee (the one before it no longer is)",
    request=OwnerInput,
    response=Ownership,
    errors=(404,),
    description="The same party again answers its current relationship and changes nothing.",
)
async def dms_post_owner(request: Request) -> Response:
    vehicle_id: int = request.path_params["vehicle_id"]
    body = await read_object(request)
    check_fields(body, ("party_id", "since", "relationship"))
    party_id = read_id("party_id", body.get("party_id"))
    since = read_timestamp("since", body.get("since"))

    def work(tx: Transaction) -> Ownership:
        return service.set_owner(
            tx,
            vehicle_id,
            party_id,
            since,
            body.get("relationship", "owner"),
        )

    made = await write_as(request, WRITE, work)
    return json_response(crm_of(request), made)


@operation(
    "What a party owns, drives or leases now, each with its service history",
    response=list[VehicleDetail],
    errors=(404,),
)
def dms_party_vehicles(request: Request) -> Response:
    check_query(request)
    party_id: int = request.path_params["party_id"]
    found = read_as(request, READ, lambda tx: history.vehicles_of(tx, party_id))
    return json_response(crm_of(request), found)


@operation(
    "Record a repair order (201; 200 with the stored one when it was sent before)",
    request=RepairOrderInput,
    response=RepairOrder,
    status=201,
    answers={200: RepairOrder},
    errors=(404,),
    description="Idempotent on partner_id and ro_number. The vehicle is made when its VIN is "
    "new; a party the user does not see is 404.",
)
async def dms_post_repair_order(request: Request) -> Response:
    body: dict[str, Any] = await read_object(request)
    made, new = await write_as(request, WRITE, lambda tx: service.repair_order_recording(tx, body))
    return json_response(crm_of(request), made, 201 if new else 200)


@operation("A repair order", response=RepairOrder, errors=(404,))
def dms_get_repair_order(request: Request) -> Response:
    check_query(request)
    repair_order_id: int = request.path_params["repair_order_id"]
    found = read_as(request, READ, lambda tx: history.visible_repair_order(tx, repair_order_id))
    return json_response(crm_of(request), found)


ROUTES: list[BaseRoute] = [
    Route("/vehicles", dms_list_vehicles, methods=["GET"]),
    Route("/vehicles", dms_put_vehicle, methods=["PUT"]),
    Route("/vehicles/{vehicle_id:id}", dms_get_vehicle, methods=["GET"]),
    Route("/vehicles/{vehicle_id:id}/owners", dms_post_owner, methods=["POST"]),
    Route("/parties/{party_id:id}/vehicles", dms_party_vehicles, methods=["GET"]),
    Route("/repair-orders", dms_post_repair_order, methods=["POST"]),
    Route("/repair-orders/{repair_order_id:id}", dms_get_repair_order, methods=["GET"]),
]
