"""The review queue page: possible duplicates side by side, with merge and dismiss buttons."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from crmkit.core.intake.review import list_reviews
from crmkit.core.parties import load_parties
from crmkit.core.permissions import require
from crmkit.web.api_intake import decide_review, visible_party_ids
from crmkit.web.context import actor_of, site_of
from crmkit.web.listing import check_parameters
from crmkit.web.pages import page_response
from crmkit.web.payloads import read_form

REVIEWS_SHOWN = 50


def review_queue(request: Request) -> HTMLResponse:
    """Open reviews of parties the actor may see, oldest first."""
    site, actor = site_of(request), actor_of(request)
    crm, params = site.crm, request.query_params
    check_parameters(params, ("cursor",))
    require(crm.host, actor, "core:party.merge")
    with crm.read() as conn:
        page = list_reviews(
            conn,
            cursor=params.get("cursor") or None,
            limit=REVIEWS_SHOWN,
            parties=visible_party_ids(crm, actor),
        )
        ids = {i for r in page.items for i in (r.candidate_id, r.existing_id)}
        parties = load_parties(conn, sorted(ids))
    next_url = None
    if page.next_cursor is not None:
        next_url = "?" + urlencode({"cursor": page.next_cursor})
    return page_response(
        request, "match_reviews.html", reviews=page.items, parties=parties, next_url=next_url
    )


async def decide_from_form(request: Request) -> Response:
    """Merge or dismiss (the form's ``decision``), then back to the queue."""
    site, actor = site_of(request), actor_of(request)
    crm, review_id = site.crm, request.path_params["review_id"]
    decision = (await read_form(request)).get("decision")

    def save() -> None:
        with crm.transaction(actor) as tx:
            decide_review(crm, actor, tx, review_id, decision)

    await run_in_threadpool(save)
    return RedirectResponse("/match-reviews", status_code=303)


ROUTES: list[BaseRoute] = [
    Route("/match-reviews", review_queue, name="match_reviews"),
    Route(
        "/match-reviews/{review_id:id}",
        decide_from_form,
        methods=["POST"],
        name="decide_match_review",
    ),
]
