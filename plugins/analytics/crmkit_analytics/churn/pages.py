"""The churn part's page: the work list of customers at risk, linking to each party."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import MenuItem
from crmkit.web import check_query, crm_of, page_response, read_as
from crmkit_analytics.churn import service
from crmkit_analytics.churn.access import READ

MENU = [MenuItem("At risk", "/p/analytics/page/churn", READ, order=76)]
PAGE_SIZE = 100


def churn_page(request: Request) -> Response:
    check_query(request)
    items, quality = read_as(
        request,
        READ,
        lambda tx: (service.work_list(tx, limit=PAGE_SIZE), service.latest_quality(tx.conn)),
    )
    window = crm_of(request).settings_of["analytics"].churn.window_days
    return page_response(
        request,
        "analytics/churn/work_list.html",
        items=items,
        window_days=window,
        quality=quality,
    )


ROUTES: list[BaseRoute] = [Route("/page/churn", churn_page, methods=["GET"])]
