"""The forecasts page, ``/p/analytics/forecasts``: tables and charts of sales and leads
against targets and plans."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import MenuItem
from crmkit.web import check_query, page_response
from crmkit_analytics.forecasts import service
from crmkit_analytics.forecasts.access import READ
from crmkit_analytics.forecasts.chart import forecast_chart
from crmkit_analytics.forecasts.routes import QUERY, filters_of, forecast_of

MENU = [MenuItem("Forecasts", "/p/analytics/forecasts", READ, order=6)]


def charts(found: service.Forecast) -> tuple[str, str]:
    sales = forecast_chart(
        "Sales forecast against target",
        [r.period for r in found.sales],
        [r.won for r in found.sales],
        [r.forecast for r in found.sales],
        [r.baseline for r in found.sales],
        [r.target if r.target is not None else r.plan for r in found.sales],
    )
    leads = forecast_chart(
        "Lead forecast against plan",
        [r.period for r in found.leads],
        [r.actual for r in found.leads],
        [r.forecast for r in found.leads],
        [r.baseline for r in found.leads],
        [r.target if r.target is not None else r.plan for r in found.leads],
    )
    return str(sales), str(leads)


def forecasts_page(request: Request) -> Response:
    check_query(request, QUERY)
    filters = filters_of(request.query_params)
    found = forecast_of(request)
    sales_chart, leads_chart = charts(found)
    sources = sorted({s for row in found.leads for s in row.by_source})
    return page_response(
        request,
        "analytics/forecasts.html",
        forecast=found,
        filters=filters,
        sales_chart=sales_chart,
        leads_chart=leads_chart,
        lead_sources=sources,
        grains=service.GRAINS,
    )


ROUTES: list[BaseRoute] = [
    Route("/forecasts", forecasts_page, methods=["GET"]),
]
