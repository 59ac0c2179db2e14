"""The results part's pages: a campaign's results (funnel, costs, revenue, ROI) with a form to
enter a cost, and the public response page (:mod:`.public_pages`).

A refused cost shows the page again with what was typed and why; nothing is stored.
"""

from __future__ import annotations

from functools import partial

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from crmkit import ValidationError, is_allowed
from crmkit.web import RefusedForm, actor_of, crm_of, page_response, read_form
from crmkit_campaigns.results import public_pages
from crmkit_campaigns.results.access import COST_WRITE
from crmkit_campaigns.results.attribution import MODELS
from crmkit_campaigns.results.costs import FIELDS, add_cost
from crmkit_campaigns.results.report import read_results

TEMPLATE = "campaigns/results/page.html"


def results_url(campaign_id: int) -> str:
    return f"/p/campaigns/campaigns/{campaign_id}/results/page"


def _campaign_id(request: Request) -> int:
    campaign_id: int = request.path_params["campaign_id"]
    return campaign_id


def _page(
    request: Request,
    *,
    values: dict[str, str] | None = None,
    error: ValidationError | None = None,
    status: int = 200,
) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    results = read_results(crm, actor, _campaign_id(request))
    return page_response(
        request,
        TEMPLATE,
        status=status,
        results=results,
        models=MODELS,
        may_add_cost=is_allowed(crm.host, actor, COST_WRITE),
        values=values or {},
        error=error,
        error_field=getattr(error, "field", None),
    )


def results_page(request: Request) -> Response:
    """A campaign's results."""
    return _page(request)


async def post_cost(request: Request) -> Response:
    """Enter a cost from the results page."""
    crm, actor = crm_of(request), actor_of(request)
    campaign_id = _campaign_id(request)
    try:
        form = await read_form(request)
    except RefusedForm as refused:
        return await run_in_threadpool(
            partial(_page, request, values=refused.fields, error=refused, status=422)
        )
    data = {k: v.strip() for k, v in form.items() if k in FIELDS and v.strip()}
    try:
        await crm.write(lambda tx: add_cost(tx, campaign_id, data), actor)
    except ValidationError as exc:
        return await run_in_threadpool(partial(_page, request, values=form, error=exc, status=422))
    return RedirectResponse(results_url(campaign_id), status_code=303)


ROUTES: list[BaseRoute] = [
    Route("/campaigns/{campaign_id:id}/results/page", results_page, methods=["GET"]),
    Route("/campaigns/{campaign_id:id}/results/page/costs", post_cost, methods=["POST"]),
    *public_pages.ROUTES,
]
