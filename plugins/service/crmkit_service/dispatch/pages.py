"""Web pages: the dispatch board, a visit with who is free for it, a new visit for a case, technicians.

Times on forms are wall-clock times in the configured time zone
(``[plugins.service.dispatch] time_zone``). A refused form shows the page again
with the reason and changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import (
    MenuItem,
    Transaction,
    ValidationError,
    get_party,
    is_allowed,
    require,
    seen_party_ids,
    territory_condition,
)
from crmkit.web import Refusal, actor_of, crm_of, page_response, submit
from crmkit_service.dispatch import service, technicians
from crmkit_service.dispatch.access import DISPATCH_READ, DISPATCH_WRITE, TECHNICIAN_WRITE
from crmkit_service.dispatch.availability import BOOKED, free_candidates
from crmkit_service.dispatch.routes import visible_case, visible_dispatch
from crmkit_service.dispatch.service import ADDRESS_FIELDS, URGENCIES
from crmkit_service.dispatch.tables import dispatch
from crmkit_service.web import filled, form_page, form_version, party_names

BOARD_LIMIT = 200
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

MENU = [
    MenuItem("Dispatch board", "/p/service/dispatches/board", DISPATCH_READ, order=73),
    MenuItem("Technicians", "/p/service/technicians/page", DISPATCH_READ, order=74),
]


def _zone(request: Request) -> ZoneInfo:
    return ZoneInfo(crm_of(request).settings_of["service"].dispatch.time_zone)


def _local_time(request: Request, name: str, text: str) -> str | None:
    """A ``datetime-local`` field (wall-clock time in the configured zone) as ISO 8601 with offset."""
    if not text.strip():
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(name, "expected a date and time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_zone(request))
    return moment.isoformat()


def board(request: Request) -> Response:
    """Visits still to do that the user may see, soonest first; ``?region=`` keeps one territory's."""
    crm, actor = crm_of(request), actor_of(request)
    require(crm.host, actor, DISPATCH_READ)
    region = request.query_params.get("region", "").strip()
    conditions: list[Any] = [
        dispatch.c.party_id.in_(seen_party_ids(crm.host, actor)),
        dispatch.c.status.in_(("requested", *BOOKED)),
    ]
    if region:
        in_region = territory_condition(dispatch.c.territory, [region])
        if in_region is None:
            raise ValidationError("region", "expected a territory such as DE or DE-10")
        conditions.append(in_region)
    with crm.read() as conn:
        rows = conn.execute(
            select(dispatch)
            .where(*conditions)
            .order_by(dispatch.c.scheduled_start, dispatch.c.id)
            .limit(BOARD_LIMIT)
        )
        visits = [service.dispatch_of(row) for row in rows]
        parties = party_names(conn, {v.party_id for v in visits})
        people = {t.id: t.name for t in technicians.list_technicians(conn)}
    return page_response(
        request,
        "service/dispatch_board.html",
        visits=visits,
        parties=parties,
        people=people,
        region=region,
        zone=_zone(request),
    )


def dispatch_page(
    request: Request,
    values: dict[str, str] | None = None,
    error: Refusal | None = None,
    status: int = 200,
) -> Response:
    """One visit: where, when, for which case; who is free for it; its status forms."""
    crm, actor = crm_of(request), actor_of(request)
    require(crm.host, actor, DISPATCH_READ)
    with crm.read() as conn:
        item = visible_dispatch(request, conn)
        party = get_party(conn, item.party_id)
        case = visible_case(request, conn, item.case_id)
        who = (
            None
            if item.technician_id is None
            else technicians.get_technician(conn, item.technician_id)
        )
        free = (
            free_candidates(
                conn,
                item.territory,
                item.scheduled_start,
                item.scheduled_end,
                exclude_dispatch=item.id,
            )
            if item.status in ("requested", "dispatched")
            else []
        )
    return form_page(
        request,
        "service/dispatch_page.html",
        status=status,
        item=item,
        party=party,
        case=case,
        who=who,
        free=free,
        next_statuses=[s for s in service.NEXT[item.status] if s in service.REPORTED],
        may_write=is_allowed(crm.host, actor, DISPATCH_WRITE),
        zone=_zone(request),
        values=values or {},
        error=error,
    )


async def post_assign_form(request: Request) -> Response:
    def assign(tx: Transaction, form: dict[str, str]) -> str:
        item = visible_dispatch(request, tx.conn)
        raw = form.get("technician_id", "")
        if not raw.isdigit():
            raise ValidationError("technician_id", "choose a technician")
        service.assign(tx, item.id, int(raw), version=form_version(form))
        return f"/p/service/dispatches/{item.id}/page"

    return await submit(request, DISPATCH_WRITE, assign, dispatch_page)


async def post_status_form(request: Request) -> Response:
    def report(tx: Transaction, form: dict[str, str]) -> str:
        item = visible_dispatch(request, tx.conn)
        service.change_status(
            tx,
            item.id,
            form.get("status"),
            report=form.get("report"),
            at=_local_time(request, "at", form.get("at", "")),
            version=form_version(form),
        )
        return f"/p/service/dispatches/{item.id}/page"

    return await submit(request, DISPATCH_WRITE, report, dispatch_page)


NEW_FORM = ("scheduled_start", "scheduled_end", "urgency", "instructions", *ADDRESS_FIELDS)


def new_dispatch(
    request: Request,
    values: dict[str, str] | None = None,
    error: Refusal | None = None,
    status: int = 200,
) -> Response:
    """The form of a new visit for the case; the site is the customer's first address unless changed."""
    crm, actor = crm_of(request), actor_of(request)
    require(crm.host, actor, DISPATCH_WRITE)
    with crm.read() as conn:
        case = visible_case(request, conn, request.path_params["case_id"])
        party = get_party(conn, case.party_id)
    address = party.addresses[0] if party.addresses else None
    shown = {name: getattr(address, name) or "" for name in ADDRESS_FIELDS if address is not None}
    return form_page(
        request,
        "service/dispatch_new.html",
        status=status,
        case=case,
        party=party,
        urgencies=URGENCIES,
        values=values or {**shown, "urgency": "normal"},
        error=error,
        zone=_zone(request),
    )


async def post_new_dispatch(request: Request) -> Response:
    def create(tx: Transaction, form: dict[str, str]) -> str:
        data: dict[str, Any] = filled(form, ("urgency", "instructions"))
        for name in ("scheduled_start", "scheduled_end"):
            moment = _local_time(request, name, form.get(name, ""))
            if moment is not None:
                data[name] = moment
        address = filled(form, ADDRESS_FIELDS)
        if address:
            data["address"] = address
        created = service.create_dispatch(
            tx, visible_case(request, tx.conn, request.path_params["case_id"]), data
        )
        return f"/p/service/dispatches/{created.id}/page"

    return await submit(request, DISPATCH_WRITE, create, new_dispatch)


def technicians_page(
    request: Request,
    values: dict[str, str] | None = None,
    error: Refusal | None = None,
    status: int = 200,
) -> Response:
    """Every technician and partner with region and hours; a form to add one."""
    crm, actor = crm_of(request), actor_of(request)
    require(crm.host, actor, DISPATCH_READ)
    with crm.read() as conn:
        found = technicians.list_technicians(conn)
    return form_page(
        request,
        "service/dispatch_technicians.html",
        status=status,
        technicians=found,
        weekdays=WEEKDAYS,
        may_write=is_allowed(crm.host, actor, TECHNICIAN_WRITE),
        values=values
        or {
            "kind": "technician",
            **{f"starts_{d}": "08:00" for d in range(1, 6)},
            **{f"ends_{d}": "17:00" for d in range(1, 6)},
        },
        error=error,
    )


async def post_technician_form(request: Request) -> Response:
    def create(tx: Transaction, form: dict[str, str]) -> str:
        data: dict[str, Any] = filled(form, ("name", "kind", "phone", "email", "time_zone"))
        data["territories"] = [
            t for t in form.get("territories", "").replace(",", " ").split() if t
        ]
        data["windows"] = [
            {
                "weekday": day,
                "starts": form.get(f"starts_{day}", "").strip(),
                "ends": form.get(f"ends_{day}", "").strip(),
            }
            for day in range(1, 8)
            if form.get(f"starts_{day}", "").strip() or form.get(f"ends_{day}", "").strip()
        ]
        crm = crm_of(request)
        technicians.create_technician(
            tx,
            data,
            default_zone=crm.settings_of["service"].dispatch.time_zone,
            region=crm.settings.default_region,
        )
        return "/p/service/technicians/page"

    return await submit(request, TECHNICIAN_WRITE, create, technicians_page)


ROUTES: list[BaseRoute] = [
    Route("/dispatches/board", board),
    Route("/dispatches/{dispatch_id:id}/page", dispatch_page),
    Route("/dispatches/{dispatch_id:id}/assign-form", post_assign_form, methods=["POST"]),
    Route("/dispatches/{dispatch_id:id}/status-form", post_status_form, methods=["POST"]),
    Route("/cases/{case_id:id}/dispatches/new", new_dispatch),
    Route("/cases/{case_id:id}/dispatches/new", post_new_dispatch, methods=["POST"]),
    Route("/technicians/page", technicians_page),
    Route("/technicians/page", post_technician_form, methods=["POST"]),
]
