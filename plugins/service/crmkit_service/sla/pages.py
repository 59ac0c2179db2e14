"""Web pages of SLAs: my work list by due time, and compliance per team for a period."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import MenuItem, require, utcnow
from crmkit.web import actor_of, crm_of, page_response
from crmkit_service.sla.access import READ
from crmkit_service.sla.routes import owner_from, period_from, team_from
from crmkit_service.sla.worklist import MAX_ITEMS, compliance, work_list
from crmkit_service.web import query_limit

MENU = [
    MenuItem("My work list", "/p/service/my-work", READ, order=70),
    MenuItem("SLA compliance", "/p/service/sla-compliance", READ, order=71),
]


def work_list_page(request: Request) -> Response:
    """The actor's open cases, the soonest SLA due first; overdue and warned ones marked."""
    crm, actor, params = crm_of(request), actor_of(request), request.query_params
    require(crm.host, actor, READ)
    owner_id = owner_from(crm, actor, params.get("owner_id"))
    with crm.read() as conn:
        items = work_list(conn, crm.host, actor, owner_id, query_limit(request, 50, MAX_ITEMS))
    return page_response(request, "service/sla_work_list.html", items=items, now=utcnow())


def compliance_page(request: Request) -> Response:
    """Share of first responses and resolutions on time, per team, for a period."""
    crm, actor, params = crm_of(request), actor_of(request), request.query_params
    require(crm.host, actor, READ)
    period, team = period_from(params.get("period")), team_from(params.get("team"))
    with crm.read() as conn:
        rows = compliance(conn, crm.host, actor, period, team)
    return page_response(
        request, "service/sla_compliance.html", rows=rows, period=period, team=team or ""
    )


ROUTES: list[BaseRoute] = [
    Route("/my-work", work_list_page),
    Route("/sla-compliance", compliance_page),
]
