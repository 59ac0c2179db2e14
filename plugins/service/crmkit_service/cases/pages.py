"""Web pages: the case list with its filters, a case's page with its events and forms, a new
case (one click from a party's page), and the trends.

Every form is a plain post; a refused one shows the page again with the reason, and
changes nothing. A case of a party the actor may not see is not found.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import (
    MenuItem,
    Transaction,
    is_allowed,
    parse_whole_number,
    read_date,
    require,
    seen_party,
    user_table,
    utcnow,
)
from crmkit.web import Refusal, actor_of, crm_of, page_response, submit
from crmkit_service.cases import categories, queries, relations, service, trends
from crmkit_service.cases.access import CASE_READ, CASE_WRITE, TRENDS_READ
from crmkit_service.cases.model import (
    CHANNELS,
    KINDS,
    LINK_KINDS,
    PRIORITIES,
    SEVERITIES,
    STATUSES,
    TRANSITIONS,
    case_number,
)
from crmkit_service.dispatch import technicians
from crmkit_service.dispatch.access import DISPATCH_READ, DISPATCH_WRITE
from crmkit_service.dispatch.service import dispatches_of_case
from crmkit_service.knowledge.search import suggest
from crmkit_service.sla.clocks import METRICS, clocks_of_case
from crmkit_service.web import form_version, optional_number, party_names

MENU = [
    MenuItem("Cases", "/p/service/cases/page", CASE_READ, order=50),
    MenuItem("Case trends", "/p/service/trends/page", TRENDS_READ, order=53),
]
PAGE_SIZE = 50
SUGGESTIONS = 3


def party_actions(entity_type: str, entity: Any) -> list[MenuItem]:
    """On a prospect's or customer's page: open a case for them in one click."""
    if entity_type not in ("prospect", "customer") or entity.id is None:
        return []
    return [MenuItem("New case", f"/p/service/cases/new?party_id={entity.id}", CASE_WRITE)]


def case_url(case_id: int) -> str:
    return f"/p/service/cases/{case_id}/page"


def _users(conn: Connection) -> list[Any]:
    return list(
        conn.execute(
            select(user_table.c.id, user_table.c.display_name, user_table.c.team)
            .where(user_table.c.active.is_(True))
            .order_by(user_table.c.display_name)
        ).all()
    )


def _filters(request: Request) -> dict[str, Any]:
    params = request.query_params
    found: dict[str, Any] = {}
    for name in ("status", "team", "product", "kind"):
        if params.get(name):
            found[name] = params[name]
    for name in ("owner_id", "category_id", "party_id"):
        if params.get(name):
            found[name] = parse_whole_number(name, params[name], minimum=1)
    if params.get("open", "true" if not params.get("status") else "") == "true":
        found["open"] = True
    return found


def case_list(request: Request, error: str | None = None, status: int = 200) -> Response:
    """The cases the actor sees, newest first, filtered by status, owner, team, category, party."""
    crm, actor = crm_of(request), actor_of(request)
    filters = _filters(request)
    with crm.read() as conn:
        page = queries.list_cases(
            conn,
            actor,
            host=crm.host,
            filters=filters,
            cursor=request.query_params.get("cursor") or None,
            limit=PAGE_SIZE,
        )
        cases = page.items
        parties = party_names(conn, {c.party_id for c in cases})
        users = _users(conn)
        tree = categories.list_categories(conn)
    return page_response(
        request,
        "service/cases_list.html",
        status=status,
        cases=cases,
        next_cursor=page.next_cursor,
        parties=parties,
        users=users,
        owners={u.id: u.display_name for u in users},
        categories=tree,
        paths={c.id: c.path for c in tree},
        filters=filters,
        statuses=STATUSES,
        kinds=KINDS,
        query=str(request.query_params),
        error=error,
    )


def new_case(
    request: Request,
    values: dict[str, str] | None = None,
    error: Refusal | None = None,
    status: int = 200,
) -> Response:
    """The form of a new case, for the party named by ``?party_id=``."""
    crm, actor = crm_of(request), actor_of(request)
    require(crm.host, actor, CASE_WRITE)
    party_id = parse_whole_number("party_id", request.query_params.get("party_id", ""), minimum=1)
    with crm.read() as conn:
        party = seen_party(crm.host, conn, actor, party_id)
        tree = categories.list_categories(conn)
        users = _users(conn)
    return page_response(
        request,
        "service/cases_new.html",
        status=status,
        party=party,
        categories=tree,
        users=users,
        kinds=KINDS,
        priorities=PRIORITIES,
        severities=SEVERITIES,
        channels=CHANNELS,
        error=error,
    )


def case_page(
    request: Request,
    values: dict[str, str] | None = None,
    error: Refusal | None = None,
    status: int = 200,
) -> Response:
    """One case: its fields and entitlement, its events, suggested articles and every form."""
    crm, actor = crm_of(request), actor_of(request)
    with crm.read() as conn:
        found = service.get_case(conn, actor, request.path_params["case_id"], host=crm.host)
        events = service.case_events(conn, found.id)
        links = relations.links_of(conn, actor, found.id, host=crm.host)
        party = party_names(conn, {found.party_id})
        users = _users(conn)
        tree = categories.list_categories(conn)
        clocks = clocks_of_case(conn, found.id)
        articles = suggest(
            crm,
            conn,
            found.subject,
            found.description,
            public_only=not is_allowed(crm.host, actor, "service:article.read"),
            limit=SUGGESTIONS,
        )
        may_see_visits = is_allowed(crm.host, actor, DISPATCH_READ)
        visits = dispatches_of_case(conn, found.id) if may_see_visits else []
        people = {t.id: t.name for t in technicians.list_technicians(conn)} if visits else {}
    may_write = is_allowed(crm.host, actor, CASE_WRITE)
    return page_response(
        request,
        "service/cases_page.html",
        status=status,
        case=found,
        events=events,
        links=links,
        party_name=party.get(found.party_id, ""),
        users=users,
        names={u.id: u.display_name for u in users},
        paths={c.id: c.path for c in tree},
        categories=tree,
        articles=articles,
        clocks=[clocks[metric] for metric in METRICS if metric in clocks],
        visits=visits,
        people=people,
        may_dispatch=found.is_open and is_allowed(crm.host, actor, DISPATCH_WRITE),
        case_number=case_number,
        next_statuses=TRANSITIONS[found.status],
        priorities=PRIORITIES,
        link_kinds=LINK_KINDS,
        may_write=may_write and found.merged_into_id is None,
        error=error,
    )


async def post_new_case(request: Request) -> Response:
    def create(tx: Transaction, form: dict[str, str]) -> str:
        data: dict[str, Any] = {
            key: value for key, value in form.items() if value.strip() and key != "csrf_token"
        }
        for name in ("party_id", "category_id", "owner_id"):
            if name in data:
                data[name] = optional_number(form, name)
        return case_url(service.open_case(tx, data).id)

    return await submit(request, CASE_WRITE, create, new_case)


def _case_form(work: Callable[[Any, int, dict[str, str]], Any]) -> Callable[[Request], Any]:
    """A form of the case page: ``work(tx, case_id, form)``, then back to the page."""

    async def endpoint(request: Request) -> Response:
        case_id = request.path_params["case_id"]

        def act(tx: Transaction, form: dict[str, str]) -> str:
            work(tx, case_id, form)
            return case_url(case_id)

        return await submit(request, CASE_WRITE, act, case_page)

    return endpoint


def _note(tx: Any, case_id: int, form: dict[str, str]) -> Any:
    return service.add_note(tx, case_id, form.get("body", ""))


def _reply(tx: Any, case_id: int, form: dict[str, str]) -> Any:
    return service.reply(
        tx,
        case_id,
        form.get("body", ""),
        status=form.get("status") or None,
        version=form_version(form),
    )


def _status(tx: Any, case_id: int, form: dict[str, str]) -> Any:
    return service.change_status(
        tx,
        case_id,
        form.get("status", ""),
        root_cause=form.get("root_cause") or None,
        resolution=form.get("resolution") or None,
        version=form_version(form),
    )


def _assign(tx: Any, case_id: int, form: dict[str, str]) -> Any:
    return service.assign(
        tx,
        case_id,
        optional_number(form, "owner_id"),
        form.get("team") or None,
        version=form_version(form),
    )


def _update(tx: Any, case_id: int, form: dict[str, str]) -> Any:
    data: dict[str, Any] = {"priority": form.get("priority")}
    data["category_id"] = optional_number(form, "category_id")
    data["product"] = form.get("product") or None
    return service.update_case(tx, case_id, data, version=form_version(form))


def _link(tx: Any, case_id: int, form: dict[str, str]) -> Any:
    return relations.link_cases(tx, case_id, optional_number(form, "other_id"), form.get("kind"))


def _merge(tx: Any, case_id: int, form: dict[str, str]) -> Any:
    return relations.merge_cases(
        tx, case_id, optional_number(form, "other_id"), version=form_version(form)
    )


def trends_page(request: Request) -> Response:
    """Cases per category, product or root cause, per period, as a table of periods by key."""
    crm, actor, params = crm_of(request), actor_of(request), request.query_params
    require(crm.host, actor, TRENDS_READ)
    until = read_date("until", params["until"]) if params.get("until") else utcnow().date()
    since = (
        read_date("since", params["since"]) if params.get("since") else until - timedelta(days=180)
    )
    dimension, period = params.get("dimension", "category"), params.get("period", "month")
    with crm.read() as conn:
        points = trends.case_trends(
            conn, actor, host=crm.host, dimension=dimension, period=period, since=since, until=until
        )
    periods = sorted({p.period for p in points})
    totals: dict[str, int] = {}
    for point in points:
        totals[point.label] = totals.get(point.label, 0) + point.count
    labels = sorted(totals, key=lambda label: (-totals[label], label))
    counts = {(p.period, p.label): p.count for p in points}
    return page_response(
        request,
        "service/cases_trends.html",
        periods=periods,
        labels=labels,
        counts=counts,
        totals=totals,
        dimension=dimension,
        period=period,
        since=since,
        until=until,
        dimensions=trends.DIMENSIONS,
        period_choices=trends.PERIODS,
    )


ROUTES: list[BaseRoute] = [
    Route("/cases/page", case_list),
    Route("/cases/new", new_case),
    Route("/cases/new", post_new_case, methods=["POST"]),
    Route("/cases/{case_id:id}/page", case_page),
    Route("/cases/{case_id:id}/note-form", _case_form(_note), methods=["POST"]),
    Route("/cases/{case_id:id}/reply-form", _case_form(_reply), methods=["POST"]),
    Route("/cases/{case_id:id}/status-form", _case_form(_status), methods=["POST"]),
    Route("/cases/{case_id:id}/assign-form", _case_form(_assign), methods=["POST"]),
    Route("/cases/{case_id:id}/edit-form", _case_form(_update), methods=["POST"]),
    Route("/cases/{case_id:id}/link-form", _case_form(_link), methods=["POST"]),
    Route("/cases/{case_id:id}/merge-form", _case_form(_merge), methods=["POST"]),
    Route("/trends/page", trends_page),
]
