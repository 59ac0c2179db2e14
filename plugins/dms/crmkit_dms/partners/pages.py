"""The partners part's pages: partners (list, one partner with its regions, brands, users
and performance) for staff, and the partner portal for partner users (their leads, one
lead with the routing part's accept, decline and outcome actions)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import (
    MenuItem,
    Transaction,
    ValidationError,
    is_allowed,
    parse_whole_number,
    seen_party,
    user_table,
    utcnow,
)
from crmkit.web import Refusal, actor_of, crm_of, page_response, read_as, submit
from crmkit_dms.partners import service
from crmkit_dms.partners.access import PARTNER_READ, PARTNER_WRITE
from crmkit_dms.partners.model import partner_of_user
from crmkit_dms.partners.performance import PERIODS, performance
from crmkit_dms.partners.records import PORTAL
from crmkit_dms.partners.tables import KINDS
from crmkit_dms.routing import records as assignments
from crmkit_dms.routing import service as routing
from crmkit_dms.routing.access import ASSIGNMENT_RESPOND
from crmkit_dms.routing.model import OUTCOMES

BASE = "/p/dms/page/partners"
PORTAL_BASE = "/p/dms/portal"
MENU = [
    MenuItem("Partners", BASE, PARTNER_READ, order=70),
    MenuItem("Partner portal", PORTAL_BASE, PORTAL, order=71),
]
PORTAL_LIST_LIMIT = 200
PERFORMANCE_WEEKS = 12


def partner_url(partner_id: int) -> str:
    return f"{BASE}/{partner_id}"


def lead_url(assignment_id: int) -> str:
    return f"{PORTAL_BASE}/leads/{assignment_id}"


def _may_write(request: Request) -> bool:
    return is_allowed(crm_of(request).host, actor_of(request), PARTNER_WRITE)


# --- Staff: partners


def partners_page(
    request: Request,
    values: dict[str, str] | None = None,
    error: Refusal | None = None,
    status: int = 200,
) -> Response:
    """Every partner by code; the form of a new one for those who may write."""
    found = read_as(request, PARTNER_READ, lambda tx: service.list_partners(tx.conn))
    return page_response(
        request,
        "dms/partners/list.html",
        status=status,
        partners=found,
        kinds=KINDS,
        may_write=_may_write(request),
        values=values or {"kind": "dealer", "time_zone": service.DEFAULT_TIME_ZONE},
        error=error,
        error_field=getattr(error, "field", None),
    )


def _regions_of_form(text: str) -> list[dict[str, str]]:
    """``DE 10, DE 11, AT`` (commas or lines): a country and an optional postcode prefix each."""
    found = []
    for item in text.replace("\n", ",").split(","):
        words = item.split()
        if not words:
            continue
        if len(words) > 2:
            raise ValidationError("regions", f"expected a country and a postcode prefix: {item!r}")
        found.append({"country": words[0], "postcode_prefix": words[1] if len(words) == 2 else ""})
    return found


def _partner_of_form(fields: dict[str, str]) -> dict[str, Any]:
    capacity = fields.get("capacity_per_day", "").strip()
    return {
        "code": fields.get("code", ""),
        "name": fields.get("name", ""),
        "kind": fields.get("kind", ""),
        "brands": [b for b in (w.strip() for w in fields.get("brands", "").split(",")) if b],
        "regions": _regions_of_form(fields.get("regions", "")),
        "capacity_per_day": (
            None if not capacity else parse_whole_number("capacity_per_day", capacity)
        ),
        "time_zone": fields.get("time_zone", "").strip() or service.DEFAULT_TIME_ZONE,
    }


async def post_new_partner(request: Request) -> Response:
    def create(tx: Transaction, fields: dict[str, str]) -> str:
        created = service.create_partner(tx, _partner_of_form(fields))
        return partner_url(created.partner.id)

    return await submit(request, PARTNER_WRITE, create, partners_page)


def partner_page(
    request: Request,
    values: dict[str, str] | None = None,
    error: Refusal | None = None,
    status: int = 200,
) -> Response:
    """A partner: details, regions, brands, users and weekly performance."""
    partner_id: int = request.path_params["partner_id"]
    raw_period = request.query_params.get("period", "week")
    period = raw_period if raw_period in PERIODS else "week"
    if period != raw_period and error is None:  # a stale link: the page says so
        error = ValidationError("period", f"expected one of {', '.join(PERIODS)}")
        status = 422
    end = utcnow()
    start = end - timedelta(weeks=PERFORMANCE_WEEKS)

    def work(tx: Transaction) -> tuple[service.PartnerDetail, list[Any]]:
        detail = service.partner_detail(tx.conn, partner_id)
        return detail, performance(tx.conn, partner_id, period, start, end)

    detail, figures = read_as(request, PARTNER_READ, work)
    return page_response(
        request,
        "dms/partners/partner.html",
        status=status,
        detail=detail,
        figures=list(reversed(figures)),
        period=period,
        periods=PERIODS,
        base=partner_url(partner_id),
        may_write=_may_write(request),
        values=values or {},
        error=error,
        error_field=getattr(error, "field", None),
    )


def _again(request: Request, values: dict[str, str], error: Refusal, status: int) -> Response:
    return partner_page(request, values, error, status)


async def post_partner_user(request: Request) -> Response:
    partner_id: int = request.path_params["partner_id"]

    def add(tx: Transaction, fields: dict[str, str]) -> str:
        username = fields.get("username", "").strip()
        user_id = tx.conn.execute(
            select(user_table.c.id).where(user_table.c.username == username)
        ).scalar()
        if user_id is None:
            raise ValidationError("username", f"no user is called {username!r}")
        try:
            service.add_partner_user(tx, partner_id, {"user_id": user_id})
        except ValidationError as exc:
            raise ValidationError("username", exc.reason) from None
        return partner_url(partner_id)

    return await submit(request, PARTNER_WRITE, add, _again)


async def post_remove_user(request: Request) -> Response:
    partner_id: int = request.path_params["partner_id"]
    user_id: int = request.path_params["user_id"]

    def remove(tx: Transaction, fields: dict[str, str]) -> str:
        service.remove_partner_user(tx, partner_id, user_id)
        return partner_url(partner_id)

    return await submit(request, PARTNER_WRITE, remove, _again)


async def post_active(request: Request) -> Response:
    partner_id: int = request.path_params["partner_id"]

    def switch(tx: Transaction, fields: dict[str, str]) -> str:
        version = parse_whole_number("version", fields.get("version", ""), minimum=1)
        active = fields.get("active") == "true"
        service.update_partner(tx, partner_id, {"active": active}, version)
        return partner_url(partner_id)

    return await submit(request, PARTNER_WRITE, switch, _again)


# --- Partner users: the portal


def portal_page(request: Request) -> Response:
    """The partner user's leads: offered ones first (with their deadline), then those being
    worked, then the closed ones; ``?declined=ID`` says that lead was declined (its page is
    no longer the partner's to see)."""
    declined = request.query_params.get("declined", "")

    def work(tx: Transaction) -> tuple[Any, list[Any]]:
        partner_id = (
            None if tx.actor.user_id is None else partner_of_user(tx.conn, tx.actor.user_id)
        )
        if partner_id is None:
            return None, []
        found = assignments.list_assignments(tx, partner_id=partner_id, limit=PORTAL_LIST_LIMIT)
        return service.require_partner(tx.conn, partner_id), list(found.items)

    partner, rows = read_as(request, PORTAL, work)
    return page_response(
        request,
        "dms/partners/portal.html",
        partner=partner,
        offered=[a for a in rows if a.state == "offered"],
        working=[a for a in rows if a.state in ("accepted", "contacted", "appointment")],
        closed=[a for a in rows if a.closed_at is not None],
        declined=int(declined) if declined.isdigit() else None,
    )


def lead_page(
    request: Request,
    values: dict[str, str] | None = None,
    error: Refusal | None = None,
    status: int = 200,
) -> Response:
    """One lead offered to the partner: who, what vehicle, its state, and what may be done."""
    assignment_id: int = request.path_params["assignment_id"]

    def work(tx: Transaction) -> tuple[Any, Any]:
        found = assignments.get_assignment(tx, assignment_id)
        # The party under the record rules: a lead declined or routed on is NotFound.
        return found, seen_party(tx.hooks, tx.conn, tx.actor, found.party_id)

    found, party = read_as(request, PORTAL, work)
    return page_response(
        request,
        "dms/partners/lead.html",
        status=status,
        assignment=found,
        party=party,
        outcomes=OUTCOMES,
        may_respond=is_allowed(crm_of(request).host, actor_of(request), ASSIGNMENT_RESPOND),
        base=lead_url(assignment_id),
        values=values or {},
        error=error,
        error_field=getattr(error, "field", None),
    )


def _respond(act: Callable[[Transaction, int, dict[str, str]], str]) -> Callable[[Request], Any]:
    """A form of the lead page: the routing part's action, then where it says."""

    async def endpoint(request: Request) -> Response:
        assignment_id: int = request.path_params["assignment_id"]

        def run(tx: Transaction, fields: dict[str, str]) -> str:
            return act(tx, assignment_id, fields)

        return await submit(request, ASSIGNMENT_RESPOND, run, lead_page)

    return endpoint


def _accept(tx: Transaction, assignment_id: int, fields: dict[str, str]) -> str:
    routing.accept(tx, assignment_id)
    return lead_url(assignment_id)


def _decline(tx: Transaction, assignment_id: int, fields: dict[str, str]) -> str:
    routing.decline(tx, assignment_id, fields.get("reason", ""))
    # A declined lead is no longer the partner's to see: back to its list, which says so.
    return f"{PORTAL_BASE}?declined={assignment_id}"


def _outcome(tx: Transaction, assignment_id: int, fields: dict[str, str]) -> str:
    routing.report_outcome(
        tx, assignment_id, fields.get("outcome", ""), fields.get("reason") or None
    )
    return lead_url(assignment_id)


post_accept = _respond(_accept)
post_decline = _respond(_decline)
post_outcome = _respond(_outcome)


ROUTES: list[BaseRoute] = [
    Route("/page/partners", partners_page, methods=["GET"]),
    Route("/page/partners", post_new_partner, methods=["POST"]),
    Route("/page/partners/{partner_id:id}", partner_page, methods=["GET"]),
    Route("/page/partners/{partner_id:id}/users", post_partner_user, methods=["POST"]),
    Route(
        "/page/partners/{partner_id:id}/users/{user_id:id}/remove",
        post_remove_user,
        methods=["POST"],
    ),
    Route("/page/partners/{partner_id:id}/active", post_active, methods=["POST"]),
    Route("/portal", portal_page, methods=["GET"]),
    Route("/portal/leads/{assignment_id:id}", lead_page, methods=["GET"]),
    Route("/portal/leads/{assignment_id:id}/accept", post_accept, methods=["POST"]),
    Route("/portal/leads/{assignment_id:id}/decline", post_decline, methods=["POST"]),
    Route("/portal/leads/{assignment_id:id}/outcome", post_outcome, methods=["POST"]),
]
