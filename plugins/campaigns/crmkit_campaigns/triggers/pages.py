"""The triggers part's pages: the after-sales (triggered) campaigns with their latest run, and
one campaign's preview of today's due occurrences, its runs and a button to run it now."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from crmkit import MenuItem, Transaction, is_allowed, utcnow
from crmkit.web import actor_of, crm_of, page_response, read_as
from crmkit_campaigns.campaigns.access import CAMPAIGN_READ, CAMPAIGN_SEND
from crmkit_campaigns.triggers import service

MENU = [MenuItem("After-sales campaigns", "/p/campaigns/triggers/page", CAMPAIGN_READ, order=64)]


def triggered_page(request: Request) -> Response:
    """Every triggered campaign with its trigger and latest run."""
    found = read_as(request, CAMPAIGN_READ, lambda tx: service.list_triggered(tx.conn))
    return page_response(request, "campaigns/triggers/list.html", campaigns=found)


def campaign_page(request: Request) -> Response:
    """A triggered campaign's preview (for the reader's parties) and its runs."""
    crm, actor = crm_of(request), actor_of(request)
    campaign_id = request.path_params["campaign_id"]

    def work(tx: Transaction) -> tuple[service.TriggerPreview, list[service.TriggerRun]]:
        return (
            service.preview(crm, tx.conn, actor, campaign_id, utcnow()),
            service.runs_of(tx.conn, campaign_id),
        )

    preview, runs = read_as(request, CAMPAIGN_READ, work)
    return page_response(
        request,
        "campaigns/triggers/page.html",
        preview=preview,
        runs=runs,
        may_run=is_allowed(crm.host, actor, CAMPAIGN_SEND),
    )


async def post_run(request: Request) -> Response:
    """Run the campaign now (as its owner), then show its page with the new run."""
    crm = crm_of(request)
    campaign_id = request.path_params["campaign_id"]
    read_as(request, CAMPAIGN_SEND, lambda tx: service.runs_of(tx.conn, campaign_id, limit=1))
    await run_in_threadpool(service.run_campaign, crm, campaign_id, utcnow())
    return RedirectResponse(f"/p/campaigns/triggers/campaigns/{campaign_id}/page", status_code=303)


ROUTES: list[BaseRoute] = [
    Route("/triggers/page", triggered_page),
    Route("/triggers/campaigns/{campaign_id:id}/page", campaign_page),
    Route("/triggers/campaigns/{campaign_id:id}/run/page", post_run, methods=["POST"]),
]
