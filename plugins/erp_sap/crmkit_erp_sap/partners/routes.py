"""The partners part's JSON API under ``/p/erp_sap/``: sync runs, their failures, starting one.

A run that does not exist is 404; bad paging is a 422 naming ``cursor`` or ``limit``;
starting a run with no SAP system configured (or an unknown ``system``) is a 422 naming
``system``.
"""

from __future__ import annotations

from typing import Any

from attrs import frozen
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import (
    ConfigurationError,
    Page,
    Transaction,
    ValidationError,
    check_fields,
    parse_whole_number,
    require,
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
)
from crmkit_erp_sap.partners.access import SYNC_READ, SYNC_RUN
from crmkit_erp_sap.partners.linked import BusinessPartner, business_partners_of
from crmkit_erp_sap.partners.runs import SyncFailure, SyncRun, get_run, list_failures, list_runs
from crmkit_erp_sap.partners.sync import start_sync

PAGE_LIMIT = 500
PAGING = (
    Param("cursor", str, "The next_cursor of the page before"),
    Param("limit", int, f"At most this many (1 to {PAGE_LIMIT}, default 50)"),
)


@frozen
class SyncRunDetail:
    """A run with a page of its failures (latest first)."""

    run: SyncRun
    failures: Page[SyncFailure]


@frozen
class StartInput:
    """Which system to pull (the only one configured when left out), and whether all of it."""

    system: str | None = None
    full: bool = False


def paging(request: Request) -> tuple[str | None, int]:
    raw = request.query_params.get("limit")
    limit = 50 if raw is None else parse_whole_number("limit", raw, minimum=1, maximum=PAGE_LIMIT)
    return request.query_params.get("cursor"), limit


@operation("SAP partner sync runs, newest first", response=Page[SyncRun], query=PAGING)
def erp_sap_list_sync_runs(request: Request) -> Response:
    check_query(request, ("cursor", "limit"))
    cursor, limit = paging(request)

    def work(tx: Transaction) -> Page[SyncRun]:
        return list_runs(tx.conn, cursor=cursor, limit=limit)

    return json_response(crm_of(request), read_as(request, SYNC_READ, work))


@operation(
    "A sync run with its counts and a page of its failed rows (latest first)",
    response=SyncRunDetail,
    query=PAGING,
    errors=(404,),
)
def erp_sap_get_sync_run(request: Request) -> Response:
    check_query(request, ("cursor", "limit"))
    run_id: int = request.path_params["run_id"]
    cursor, limit = paging(request)

    def work(tx: Transaction) -> SyncRunDetail:
        run = get_run(tx.conn, run_id)
        return SyncRunDetail(run, list_failures(tx, run_id, cursor=cursor, limit=limit))

    return json_response(crm_of(request), read_as(request, SYNC_READ, work))


@operation(
    "Start a pull of business partners from SAP (202 with the run, running)",
    request=StartInput,
    response=SyncRun,
    status=202,
    description="The run goes on in the background: follow it with GET "
    "/p/erp_sap/sync-runs/{id}. No SAP system configured, or an unknown system: 422 naming "
    "'system'.",
)
async def erp_sap_start_sync_run(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    require(crm.host, actor, SYNC_RUN)
    body = await read_object(request)
    check_fields(body, ("system", "full"))
    system, full = _start_input(body)
    try:
        run = start_sync(crm, system, full=full, trigger="api")
    except ConfigurationError as error:
        raise ValidationError("system", str(error)) from None
    return json_response(crm, run, 202)


def _start_input(body: dict[str, Any]) -> tuple[str | None, bool]:
    system = body.get("system")
    if system is not None and (not isinstance(system, str) or not 1 <= len(system) <= 40):
        raise ValidationError("system", "expected a SAP system id (1 to 40 characters)")
    full = body.get("full", False)
    if not isinstance(full, bool):
        raise ValidationError("full", "expected true or false")
    return system, full


@operation(
    "The SAP business partners a party is, with their customers' sales areas",
    response=list[BusinessPartner],
    errors=(404,),
)
def erp_sap_party_business_partners(request: Request) -> Response:
    check_query(request)
    party_id: int = request.path_params["party_id"]

    def work(tx: Transaction) -> list[BusinessPartner]:
        seen_party(tx.hooks, tx.conn, tx.actor, party_id)
        return business_partners_of(tx.conn, party_id)

    return json_response(crm_of(request), read_as(request, SYNC_READ, work))


ROUTES: list[BaseRoute] = [
    Route("/sync-runs", erp_sap_list_sync_runs, methods=["GET"]),
    Route("/sync-runs", erp_sap_start_sync_run, methods=["POST"]),
    Route("/sync-runs/{run_id:id}", erp_sap_get_sync_run, methods=["GET"]),
    Route(
        "/parties/{party_id:id}/business-partners",
        erp_sap_party_business_partners,
        methods=["GET"],
    ),
]
