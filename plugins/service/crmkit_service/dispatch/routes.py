"""JSON routes under ``/p/service/``: visits for cases, who is free for them, technicians and partners.

A dispatch (or a case) whose party the actor may not see is "not found" (404).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import (
    Transaction,
    ValidationError,
    check_fields,
    clean_territory,
    parse_whole_number,
    read_timestamp,
    seen_party_ids,
    territory_condition,
)
from crmkit.web import (
    Param,
    actor_of,
    check_query,
    crm_of,
    json_response,
    operation,
    optional_version,
    read_as,
    read_object,
    write_as,
)
from crmkit_service.cases.access import hidden_unless_seen
from crmkit_service.cases.model import Case
from crmkit_service.cases.service import get_case
from crmkit_service.dispatch import service, technicians
from crmkit_service.dispatch.access import DISPATCH_READ, DISPATCH_WRITE, TECHNICIAN_WRITE
from crmkit_service.dispatch.availability import Candidate, free_candidates
from crmkit_service.dispatch.bodies import (
    Assignment,
    DispatchInput,
    StatusReport,
    TechnicianChanges,
    TechnicianInput,
)
from crmkit_service.dispatch.service import STATUSES, Dispatch
from crmkit_service.dispatch.tables import dispatch
from crmkit_service.dispatch.technicians import Technician
from crmkit_service.web import query_flag, query_limit, without_version

LIST_LIMIT = 500


def visible_case(request: Request, conn: Connection, case_id: int) -> Case:
    """The case, if the actor may see its party (else NotFound)."""
    return get_case(conn, actor_of(request), case_id, host=crm_of(request).host)


def visible_dispatch(request: Request, conn: Connection) -> Dispatch:
    """The dispatch of the path, if the actor may see its party (else NotFound)."""
    dispatch_id = request.path_params["dispatch_id"]
    found = service.get_dispatch(conn, dispatch_id)
    hidden_unless_seen(
        crm_of(request).host, conn, actor_of(request), found.party_id, f"dispatch {dispatch_id}"
    )
    return found


# --- Dispatches


@operation("The case's visits, soonest first", response=list[Dispatch], errors=(404,))
def list_case_dispatches(request: Request) -> Response:
    def work(tx: Transaction) -> list[Dispatch]:
        return service.dispatches_of_case(
            tx.conn, visible_case(request, tx.conn, request.path_params["case_id"]).id
        )

    return json_response(crm_of(request), read_as(request, DISPATCH_READ, work))


@operation(
    "Request a visit for the case (and assign a technician at once)",
    request=DispatchInput,
    response=Dispatch,
    status=201,
    errors=(404,),
)
async def post_case_dispatch(request: Request) -> Response:
    body = await read_object(request)

    def work(tx: Any) -> Dispatch:
        return service.create_dispatch(
            tx, visible_case(request, tx.conn, request.path_params["case_id"]), body
        )

    created = await write_as(request, DISPATCH_WRITE, work)
    return json_response(crm_of(request), created, 201)


@operation(
    "Visits the actor may see, soonest first",
    response=list[Dispatch],
    query=(
        Param("status", str, f"One of {', '.join(STATUSES)}"),
        Param("technician_id", int, "Only this technician's"),
        Param("region", str, "Only sites in this territory (DE, DE-10)"),
        Param("from", str, "Only visits ending after this time (ISO 8601 with offset)"),
        Param("limit", int, f"At most this many (1 to {LIST_LIMIT}, default 100)"),
    ),
)
def list_dispatches(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    check_query(request, ("status", "technician_id", "region", "from", "limit"))
    params = request.query_params
    conditions: list[Any] = [dispatch.c.party_id.in_(seen_party_ids(crm.host, actor))]
    if (status := params.get("status")) is not None:
        if status not in STATUSES:
            raise ValidationError("status", f"expected one of {', '.join(STATUSES)}")
        conditions.append(dispatch.c.status == status)
    if (technician := params.get("technician_id")) is not None:
        conditions.append(
            dispatch.c.technician_id == parse_whole_number("technician_id", technician, minimum=1)
        )
    if (region := params.get("region")) is not None:
        in_region = territory_condition(dispatch.c.territory, [region])
        if in_region is None or len(clean_territory(region)) > 40:
            raise ValidationError("region", "expected a territory such as DE or DE-10")
        conditions.append(in_region)
    if (since := params.get("from")) is not None:
        conditions.append(dispatch.c.scheduled_end > read_timestamp("from", since))
    limit = query_limit(request, 100, LIST_LIMIT)
    query = (
        select(dispatch)
        .where(*conditions)
        .order_by(dispatch.c.scheduled_start, dispatch.c.id)
        .limit(limit)
    )

    def work(tx: Transaction) -> list[Dispatch]:
        return [service.dispatch_of(row) for row in tx.conn.execute(query)]

    return json_response(crm, read_as(request, DISPATCH_READ, work))


@operation("One visit", response=Dispatch, errors=(404,))
def get_dispatch(request: Request) -> Response:
    found = read_as(request, DISPATCH_READ, lambda tx: visible_dispatch(request, tx.conn))
    return json_response(crm_of(request), found)


@operation(
    "Technicians free for the visit: serving its region, working then, not booked; least booked first",
    response=list[Candidate],
    errors=(404,),
)
def get_candidates(request: Request) -> Response:
    def work(tx: Transaction) -> list[Candidate]:
        item = visible_dispatch(request, tx.conn)
        return free_candidates(
            tx.conn,
            item.territory,
            item.scheduled_start,
            item.scheduled_end,
            exclude_dispatch=item.id,
        )

    return json_response(crm_of(request), read_as(request, DISPATCH_READ, work))


@operation(
    "Send a technician on the visit (optionally at another time); the customer is told",
    request=Assignment,
    response=Dispatch,
    errors=(404, 409),
)
async def post_assign(request: Request) -> Response:
    body = await read_object(request)
    check_fields(body, ("technician_id", "scheduled_start", "scheduled_end", "version"))
    version = optional_version(body)

    def work(tx: Any) -> Dispatch:
        item = visible_dispatch(request, tx.conn)
        if body.get("technician_id") is None:
            raise ValidationError("technician_id", "required")
        return service.assign(
            tx,
            item.id,
            body["technician_id"],
            version=version,
            scheduled_start=body.get("scheduled_start"),
            scheduled_end=body.get("scheduled_end"),
        )

    changed = await write_as(request, DISPATCH_WRITE, work)
    return json_response(crm_of(request), changed)


@operation(
    "Report the visit on site, done or cancelled; the customer is told",
    request=StatusReport,
    response=Dispatch,
    errors=(404, 409),
)
async def post_status(request: Request) -> Response:
    body = await read_object(request)
    check_fields(body, ("status", "report", "at", "version"))
    version = optional_version(body)

    def work(tx: Any) -> Dispatch:
        item = visible_dispatch(request, tx.conn)
        return service.change_status(
            tx,
            item.id,
            body.get("status"),
            report=body.get("report"),
            at=body.get("at"),
            version=version,
        )

    changed = await write_as(request, DISPATCH_WRITE, work)
    return json_response(crm_of(request), changed)


# --- Technicians


@operation(
    "Technicians and partners, by name",
    response=list[Technician],
    query=(Param("active", bool, "Only active ones (true) or inactive ones (false)"),),
)
def list_technicians(request: Request) -> Response:
    check_query(request, ("active",))
    active = query_flag(request, "active")

    def work(tx: Transaction) -> list[Technician]:
        found = technicians.list_technicians(tx.conn)
        return found if active is None else [t for t in found if t.active == active]

    return json_response(crm_of(request), read_as(request, DISPATCH_READ, work))


@operation(
    "Technicians free at a site for a slot, least booked first",
    response=list[Candidate],
    query=(
        Param(
            "territory", str, "The site's territory key, country-postcode (DE-10117)", required=True
        ),
        Param("start", str, "Start of the visit (ISO 8601 with offset)", required=True),
        Param("end", str, "End of the visit (default: start plus the visit length)"),
    ),
)
def get_free_technicians(request: Request) -> Response:
    check_query(request, ("territory", "start", "end"))
    params = request.query_params
    key = clean_territory(params.get("territory", ""))
    if "-" not in key or len(key) > 40 or key.startswith("-"):
        raise ValidationError("territory", "expected a territory key such as DE-10117")
    minutes = crm_of(request).settings_of["service"].dispatch.visit_minutes
    start, end = service.read_slot(
        params.get("start"), params.get("end"), minutes, ("start", "end")
    )
    found = read_as(request, DISPATCH_READ, lambda tx: free_candidates(tx.conn, key, start, end))
    return json_response(crm_of(request), found)


@operation("Add a technician or partner", request=TechnicianInput, response=Technician, status=201)
async def post_technician(request: Request) -> Response:
    body = await read_object(request)
    crm = crm_of(request)
    zone = crm.settings_of["service"].dispatch.time_zone

    def work(tx: Any) -> Technician:
        return technicians.create_technician(
            tx, body, default_zone=zone, region=crm.settings.default_region
        )

    created = await write_as(request, TECHNICIAN_WRITE, work)
    return json_response(crm, created, 201)


@operation("One technician or partner", response=Technician, errors=(404,))
def get_technician(request: Request) -> Response:
    technician_id = request.path_params["technician_id"]
    found = read_as(
        request, DISPATCH_READ, lambda tx: technicians.get_technician(tx.conn, technician_id)
    )
    return json_response(crm_of(request), found)


@operation(
    "Change a technician or partner",
    request=TechnicianChanges,
    response=Technician,
    errors=(404, 409),
)
async def patch_technician(request: Request) -> Response:
    data, version = without_version(await read_object(request))
    crm = crm_of(request)

    def work(tx: Any) -> Technician:
        return technicians.update_technician(
            tx,
            request.path_params["technician_id"],
            data,
            version,
            region=crm.settings.default_region,
        )

    changed = await write_as(request, TECHNICIAN_WRITE, work)
    return json_response(crm, changed)


ROUTES: list[BaseRoute] = [
    Route("/cases/{case_id:id}/dispatches", list_case_dispatches),
    Route("/cases/{case_id:id}/dispatches", post_case_dispatch, methods=["POST"]),
    Route("/dispatches", list_dispatches),
    Route("/dispatches/{dispatch_id:id}", get_dispatch),
    Route("/dispatches/{dispatch_id:id}/candidates", get_candidates),
    Route("/dispatches/{dispatch_id:id}/assign", post_assign, methods=["POST"]),
    Route("/dispatches/{dispatch_id:id}/status", post_status, methods=["POST"]),
    Route("/technicians", list_technicians),
    Route("/technicians", post_technician, methods=["POST"]),
    Route("/technicians/free", get_free_technicians),
    Route("/technicians/{technician_id:id}", get_technician),
    Route("/technicians/{technician_id:id}", patch_technician, methods=["PATCH"]),
]
