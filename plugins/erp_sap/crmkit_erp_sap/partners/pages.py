"""The partners part's pages: the sync runs (with a form to start one) and one run with
its failed rows. A refused start (no such system) shows the list again with the reason."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from crmkit import ConfigurationError, MenuItem, Transaction, ValidationError, is_allowed, require
from crmkit.web import actor_of, check_query, crm_of, page_response, read_as, read_form
from crmkit_erp_sap.partners.access import SYNC_READ, SYNC_RUN
from crmkit_erp_sap.partners.runs import get_run, list_failures, list_runs
from crmkit_erp_sap.partners.sync import start_sync

MENU = [MenuItem("SAP sync", "/p/erp_sap/page/sync-runs", SYNC_READ, order=82)]
PAGE_SIZE = 50
RUNS = "/p/erp_sap/page/sync-runs"


def _runs_page(
    request: Request,
    values: dict[str, str] | None = None,
    error: ValidationError | None = None,
    status: int = 200,
) -> Response:
    check_query(request, ("cursor",))
    cursor = request.query_params.get("cursor")

    def work(tx: Transaction) -> Any:
        return list_runs(tx.conn, cursor=cursor, limit=PAGE_SIZE)

    page = read_as(request, SYNC_READ, work)
    crm, actor = crm_of(request), actor_of(request)
    return page_response(
        request,
        "erp_sap/partners/runs.html",
        status=status,
        page=page,
        systems=sorted(crm.settings_of["erp_sap"].connection.systems),
        may_run=is_allowed(crm.host, actor, SYNC_RUN),
        values=values or {},
        error=error,
        error_field=getattr(error, "field", None),
    )


def runs_page(request: Request) -> Response:
    return _runs_page(request)


async def post_run(request: Request) -> Response:
    crm = crm_of(request)
    require(crm.host, actor_of(request), SYNC_RUN)
    form = await read_form(request)
    system = form.get("system") or None
    try:
        run = await run_in_threadpool(
            start_sync, crm, system, full=form.get("full") == "on", trigger="api"
        )
    except ConfigurationError as exc:
        refusal = ValidationError("system", str(exc))
        return await run_in_threadpool(_runs_page, request, form, refusal, 422)
    return RedirectResponse(f"{RUNS}/{run.id}", status_code=303)


def run_page(request: Request) -> Response:
    check_query(request, ("cursor",))
    run_id: int = request.path_params["run_id"]
    cursor = request.query_params.get("cursor")

    def work(tx: Transaction) -> dict[str, Any]:
        return {
            "run": get_run(tx.conn, run_id),
            "failures": list_failures(tx, run_id, cursor=cursor, limit=PAGE_SIZE),
        }

    found = read_as(request, SYNC_READ, work)
    return page_response(request, "erp_sap/partners/run.html", **found)


ROUTES: list[BaseRoute] = [
    Route("/page/sync-runs", runs_page, methods=["GET"]),
    Route("/page/sync-runs", post_run, methods=["POST"]),
    Route("/page/sync-runs/{run_id:id}", run_page, methods=["GET"]),
]
