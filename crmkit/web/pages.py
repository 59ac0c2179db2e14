"""The server-rendered pages: home (the dashboard), the lists, search, a party's 360-degree page.

Like the API handlers these are plain functions run in Starlette's thread pool.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from sqlalchemy import Connection, func, select
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Route

from crmkit.core.audit import history
from crmkit.core.consent import consents_of
from crmkit.core.entities import DIRECTIONS, Party
from crmkit.core.errors import PermissionDenied
from crmkit.core.intake.merge_log import merges_of
from crmkit.core.intake.summary import intake_of
from crmkit.core.notifications import unread_count
from crmkit.core.permissions import is_allowed, visible
from crmkit.core.tables import interaction, party, user
from crmkit.core.visible_records import (
    Hits,
    best_visible_matches,
    list_visible_parties,
    visible_party,
    visible_timeline,
)
from crmkit.web.context import actor_of, site_of
from crmkit.web.headers import CSP_NONCE
from crmkit.web.listing import check_parameters, parse_party_query
from crmkit.web.templating import render
from crmkit.web.ui import dashboard, entity_actions, navigation, party_panels, timeline_entries

if TYPE_CHECKING:
    from crmkit.app import Crm
    from crmkit.core.actors import Actor

TIMELINE_PAGE = 25
CHANNELS = ("phone", "email", "meeting", "note")
"""Offered by the UI's interaction form; plugins log their own channels."""
AUDIT_SHOWN = 50
"""The page shows the latest changes; the API has the whole trail."""
SEARCH_LIMIT = 20
"""Per role: a search box answers with the best few, the lists page on."""
ASSESSMENT_READ = "core:party.assessment.read"
"""Staff see a party's owner and intake assessment; an outside partner's user does not."""


def page_response(
    request: Request, template: str, *, status: int = 200, **context: Any
) -> HTMLResponse:
    """``template`` with the navigation, the actor, the request's CSRF token (if any) and CSP nonce."""
    site, actor = site_of(request), actor_of(request)
    return render(
        site,
        template,
        status=status,
        navigation=navigation(site.crm, actor),
        actor=actor,
        # Session authentication puts the token here; the csrf_field() macro renders it.
        csrf_token=getattr(request.state, "csrf_token", None),
        # For an inline <style nonce="{{ csp_nonce }}">: the only inline style a page may hold.
        csp_nonce=getattr(request.state, CSP_NONCE, ""),
        unread_notifications=_unread(site.crm, actor),
        **context,
    )


def _unread(crm: Crm, actor: Actor) -> int:
    """How many notifications the actor has not read, for the header."""
    if actor.user_id is None or not is_allowed(crm.host, actor, "core:notification.read"):
        return 0
    with crm.read() as conn:
        return unread_count(conn, actor.user_id)


def _owner_names(conn: Connection, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = conn.execute(select(user.c.id, user.c.display_name).where(user.c.id.in_(wanted)))
    return {row.id: row.display_name for row in rows}


def home(request: Request) -> HTMLResponse:
    """Counts of what the actor may see, the loaded plugins and the actor's dashboard."""
    check_parameters(request.query_params, ())
    site, actor = site_of(request), actor_of(request)
    crm = site.crm
    counts: dict[str, int] = {}
    with crm.read() as conn:
        if is_allowed(crm.host, actor, "core:party.read"):
            for role in ("customer", "prospect"):
                counts[f"{role}s"] = conn.execute(
                    select(func.count())
                    .select_from(party)
                    .where(party.c.role == role, visible(crm.host, actor, role, party))
                ).scalar_one()
        if is_allowed(crm.host, actor, "core:interaction.read"):
            counts["interactions"] = conn.execute(
                select(func.count())
                .select_from(interaction)
                .where(visible(crm.host, actor, "interaction", interaction))
            ).scalar_one()
    plugins = [s for s in crm.host.statuses.values() if s.state != "disabled"]
    return page_response(
        request, "home.html", counts=counts, plugins=plugins, tiles=dashboard(crm, actor)
    )


def age(created_at: datetime | None, now: datetime) -> str:
    """How long ago a record was created, as a person would say it: "today", "3 days", "5 months"."""
    if created_at is None:
        return ""
    days = (now - created_at).days
    if days < 1:
        return "today"
    if days < 60:
        return f"{days} day{'s' if days > 1 else ''}"
    if days < 730:
        return f"{days // 30} months"
    return f"{days // 365} years"


def _ages(items: Iterable[Party]) -> dict[int | None, str]:
    now = datetime.now(UTC)
    return {p.id: age(p.created_at, now) for p in items}


def _party_list(role: str) -> Route:
    def endpoint(request: Request) -> HTMLResponse:
        site, actor = site_of(request), actor_of(request)
        params = request.query_params
        query = parse_party_query(params)
        with site.crm.read() as conn:
            page = list_visible_parties(site.crm, conn, actor, role, query)
            owners: dict[int, str] = {}
            intake: dict[int, Any] = {}
            if is_allowed(site.crm.host, actor, ASSESSMENT_READ):
                owners = _owner_names(conn, (p.owner_id for p in page.items))
                intake = intake_of(conn, [p.id for p in page.items if p.id is not None])
        same = {name: value for name, value in params.items() if name != "cursor"}
        next_url = None
        if page.next_cursor is not None:
            next_url = "?" + urlencode({**same, "cursor": page.next_cursor})
        return page_response(
            request,
            "parties.html",
            role=role,
            page=page,
            owners=owners,
            intake=intake,
            ages=_ages(page.items),
            search=query.search or "",
            first_url="?" + urlencode(same),
            paged=query.cursor is not None,
            next_url=next_url,
        )

    return Route(f"/{role}s", endpoint, name=f"{role}s")


def search(request: Request) -> HTMLResponse:
    """The header's search box: customers and prospects by name, email or phone, best first."""
    site, actor = site_of(request), actor_of(request)
    check_parameters(request.query_params, ("q",))
    text = (request.query_params.get("q") or "").strip()
    found: dict[str, Hits] = {}
    if text:
        with site.crm.read() as conn:
            for role in ("customer", "prospect"):
                found[role] = best_visible_matches(site.crm, conn, actor, role, text, SEARCH_LIMIT)
    return page_response(request, "search.html", search=text, found=found)


def party_page(request: Request) -> HTMLResponse:
    """The 360-degree view: profile, contact points, consent, actions, timeline and audit trail."""
    site, actor = site_of(request), actor_of(request)
    crm, params = site.crm, request.query_params
    check_parameters(params, ("cursor",))
    with crm.read() as conn:
        entity = visible_party(crm, conn, actor, request.path_params["party_id"])
        try:
            page = visible_timeline(
                crm, conn, actor, entity, params.get("cursor") or None, TIMELINE_PAGE
            )
        except PermissionDenied:
            page = None
        assert entity.id is not None
        owner, intake = None, None
        if is_allowed(crm.host, actor, ASSESSMENT_READ, entity, conn=conn):
            owner = _owner_names(conn, [entity.owner_id]).get(entity.owner_id or 0)
            intake = intake_of(conn, [entity.id]).get(entity.id)
        consents = consents_of(conn, entity.id)
        changes = None
        if is_allowed(crm.host, actor, "core:audit.read", entity, conn=conn):
            changes = history(conn, "party", entity.id, limit=AUDIT_SHOWN)
        can_edit = is_allowed(crm.host, actor, "core:party.write", entity, conn=conn)
        can_log = is_allowed(crm.host, actor, "core:interaction.write", entity, conn=conn)
        merges = merges_of(conn, entity.id)
        panels = party_panels(crm, conn, actor, entity)
    declared = crm.custom_fields.of(entity.role)
    custom = [
        (declared[name].label or name if name in declared else name, value)
        for name, value in sorted(entity.custom.items())
    ]
    older_url = None
    if page is not None and page.next_cursor is not None:
        older_url = "?" + urlencode({"cursor": page.next_cursor})
    return page_response(
        request,
        "party.html",
        party=entity,
        owner=owner,
        custom=custom,
        actions=entity_actions(crm, actor, entity.role, entity),
        panels=panels,
        consents=consents,
        intake=intake,
        merges=merges,
        changes=changes,
        can_edit=can_edit,
        can_log=can_log,
        values={},
        error=None,
        error_field=None,
        channels=CHANNELS,
        directions=DIRECTIONS,
        entries=timeline_entries(site.timeline_renderers, page.items) if page else None,
        paged=bool(params.get("cursor")),
        older_url=older_url,
    )


ROUTES: list[BaseRoute] = [
    Route("/", home, name="home"),
    _party_list("customer"),
    _party_list("prospect"),
    Route("/search", search, name="search"),
    Route("/parties/{party_id:id}", party_page, name="party"),
]
