"""The events part's pages: the list of events, an event with its registrations and waiting
list, the create and edit form, sessions, the check-in desk and the follow-up button.

Times on forms are wall-clock times in the event's time zone. A refused form shows
the page again with what was typed and why, having stored nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection, func, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import (
    MenuItem,
    NotFound,
    Transaction,
    ValidationError,
    is_allowed,
    parse_whole_number,
    require,
    utcnow,
)
from crmkit.web import Refusal, RefusedForm, actor_of, crm_of, page_response, read_form, submit
from crmkit_campaigns.events import public, service
from crmkit_campaigns.events.access import EVENT_CHECKIN, EVENT_READ, EVENT_WRITE
from crmkit_campaigns.events.checkin import check_in, ticket, token_of
from crmkit_campaigns.events.display import HELPERS
from crmkit_campaigns.events.followups import create_follow_ups
from crmkit_campaigns.events.links import register_path
from crmkit_campaigns.events.model import Event
from crmkit_campaigns.events.routes import (
    MATCHES_SHOWN,
    PAGE_LIMIT,
    matching_registrations,
    registrations_page,
    visible_registration,
    waiting_list,
)
from crmkit_campaigns.events.tables import KINDS, STATUSES, registration
from crmkit_campaigns.events.web import path_id

MENU = [MenuItem("Events", "/p/campaigns/events/page", EVENT_READ, order=66)]
FORM_TIMES = ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at")
FORM_TEXTS = ("kind", "name", "description", "venue", "online_url", "time_zone", "status")
SESSION_TIMES = ("starts_at", "ends_at")
_NO_SUCH = ValidationError("token", "there is no such registration")
"""What the desk says of a ticket or registration the user may not see, or that is gone."""


def _page(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    return page_response(
        request, f"campaigns/events/{template}", status=status, **HELPERS, **context
    )


def _zone(form: dict[str, str], fallback: str) -> ZoneInfo:
    try:
        return ZoneInfo(form.get("time_zone", "").strip() or fallback)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError("time_zone", "no such time zone") from None


def _instant(name: str, text: str, zone: ZoneInfo) -> str | None:
    """A ``datetime-local`` field (wall-clock time in ``zone``) as ISO 8601 with its offset."""
    if not text.strip():
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(name, "expected a date and time") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=zone)).isoformat()


def _wall(moment: datetime | None, zone: str) -> str:
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


def _capacity(text: str) -> Any:
    text = text.strip()
    if not text:
        return None
    try:
        return parse_whole_number("capacity", text, maximum=service.MAX_CAPACITY)
    except ValidationError:
        raise ValidationError(
            "capacity",
            f"must be 0 or more, a whole number up to {service.MAX_CAPACITY:,} "
            "(or nothing for no limit)",
        ) from None


def _event_data(form: dict[str, str], default_zone: str) -> dict[str, Any]:
    zone = _zone(form, default_zone)
    data: dict[str, Any] = {name: form.get(name, "").strip() or None for name in FORM_TEXTS}
    data["description"] = data["description"] or ""
    data["time_zone"] = zone.key
    for name in FORM_TIMES:
        data[name] = _instant(name, form.get(name, ""), zone)
    data["capacity"] = _capacity(form.get("capacity", ""))
    return data


def events_page(request: Request) -> Response:
    """Every event, latest first, with its seats."""
    crm = crm_of(request)
    require(crm.host, actor_of(request), EVENT_READ)
    with crm.read() as conn:
        events = service.list_events(conn)
    return _page(
        request,
        "list.html",
        events=events,
        may_write=is_allowed(crm.host, actor_of(request), EVENT_WRITE),
    )


def _default_zone(request: Request) -> str:
    zone: str = crm_of(request).settings_of["campaigns"].events.default_time_zone
    return zone


def new_event_page(
    request: Request,
    values: dict[str, str] | None = None,
    error: Refusal | None = None,
    status: int = 200,
) -> Response:
    """The form of a new event."""
    require(crm_of(request).host, actor_of(request), EVENT_WRITE)
    shown = values or {"kind": "webinar", "status": "draft", "time_zone": _default_zone(request)}
    return _form(request, None, shown, error, status)


def _form(
    request: Request,
    found: Event | None,
    values: dict[str, str],
    error: Refusal | None,
    status: int,
) -> Response:
    return _page(
        request,
        "form.html",
        status,
        event=found,
        kinds=KINDS,
        statuses=STATUSES,
        values=values,
        error=error,
        error_field=getattr(error, "field", None),
    )


async def post_new_event(request: Request) -> Response:
    zone = _default_zone(request)

    def create(tx: Transaction, form: dict[str, str]) -> str:
        created = service.create_event(tx, _event_data(form, zone))
        return f"/p/campaigns/events/{created.id}/page"

    return await submit(request, EVENT_WRITE, create, new_event_page)


def edit_event_page(
    request: Request,
    values: dict[str, str] | None = None,
    error: Refusal | None = None,
    status: int = 200,
) -> Response:
    """The form changing an event, filled with what it holds."""
    crm = crm_of(request)
    require(crm.host, actor_of(request), EVENT_WRITE)
    with crm.read() as conn:
        found = service.get_event(conn, path_id(request))
    if values is None:
        values = {name: str(getattr(found, name) or "") for name in FORM_TEXTS}
        values |= {name: _wall(getattr(found, name), found.time_zone) for name in FORM_TIMES}
        values["capacity"] = "" if found.capacity is None else str(found.capacity)
        values["version"] = str(found.version)
    return _form(request, found, values, error, status)


def _version(form: dict[str, str]) -> int:
    text = form.get("version", "").strip()
    if not text:
        raise ValidationError("version", "is required: reload the page")
    return parse_whole_number("version", text, minimum=1)


async def post_edit_event(request: Request) -> Response:
    zone = _default_zone(request)
    event_id = path_id(request)

    def change(tx: Transaction, form: dict[str, str]) -> str:
        service.update_event(tx, event_id, _event_data(form, zone), _version(form))
        return f"/p/campaigns/events/{event_id}/page"

    return await submit(request, EVENT_WRITE, change, edit_event_page)


def _counts(conn: Connection, event_id: int) -> dict[str, int]:
    """Registrations per status, of everyone: seat numbers are no party's data."""
    rows = conn.execute(
        select(registration.c.status, func.count())
        .where(registration.c.event_id == event_id)
        .group_by(registration.c.status)
    )
    return {status: count for status, count in rows}


def event_page(
    request: Request,
    values: dict[str, str] | None = None,
    error: Refusal | None = None,
    status: int = 200,
) -> Response:
    """An event: its sessions, seat counts, the registrations (and waiting list) the user may see."""
    crm, actor = crm_of(request), actor_of(request)
    require(crm.host, actor, EVENT_READ)
    with crm.read() as conn:
        found = service.get_event(conn, path_id(request))
        shown = registrations_page(
            request,
            conn,
            found.id,
            exclude="waitlisted",
            cursor=request.query_params.get("cursor"),
            limit=PAGE_LIMIT,
        )
        waiting, more_waiting = waiting_list(request, conn, found.id)
        counts = _counts(conn, found.id)
    return _page(
        request,
        "event.html",
        status,
        event=found,
        registrations=shown.items,
        next_cursor=shown.next_cursor,
        page_limit=PAGE_LIMIT,
        waiting=waiting,
        more_waiting=more_waiting,
        counts=counts,
        public_url=register_path(found.slug),
        may_write=is_allowed(crm.host, actor, EVENT_WRITE),
        may_check_in=is_allowed(crm.host, actor, EVENT_CHECKIN),
        values=values or {},
        error=error,
        error_field=getattr(error, "field", None),
        done_message=request.query_params.get("done"),
    )


async def post_session_form(request: Request) -> Response:
    event_id = path_id(request)

    def add(tx: Transaction, form: dict[str, str]) -> str:
        zone = ZoneInfo(service.get_event(tx.conn, event_id).time_zone)
        service.add_session(
            tx,
            event_id,
            {
                "title": form.get("title", ""),
                "room": form.get("room", "").strip() or None,
                "capacity": _capacity(form.get("capacity", "")),
                **{name: _instant(name, form.get(name, ""), zone) for name in SESSION_TIMES},
            },
        )
        return f"/p/campaigns/events/{event_id}/page"

    return await submit(request, EVENT_WRITE, add, event_page)


async def post_follow_up_form(request: Request) -> Response:
    event_id = path_id(request)

    def follow_up(tx: Transaction, form: dict[str, str]) -> str:
        made = create_follow_ups(tx, event_id, utcnow())
        said = f"{made.leads} leads and {made.tasks} tasks created".replace(" ", "+")
        return f"/p/campaigns/events/{event_id}/page?done={said}"

    return await submit(request, EVENT_WRITE, follow_up, event_page)


def check_in_page(
    request: Request,
    values: dict[str, str] | None = None,
    error: Refusal | None = None,
    status: int = 200,
    done: Any = None,
) -> Response:
    """The check-in desk: the ticket's QR address opens it (``?t=``), or a search by name."""
    crm, actor = crm_of(request), actor_of(request)
    require(crm.host, actor, EVENT_CHECKIN)
    event_id = path_id(request)
    token = (values or {}).get("token") or request.query_params.get("t", "")
    query = request.query_params.get("q", "").strip()
    scanned = None
    with crm.read() as conn:
        found = service.get_event(conn, event_id)
        matches = matching_registrations(request, conn, event_id, query)
    if token and error is None and done is None:
        with crm.transaction(actor) as tx:
            try:
                scanned = visible_registration(tx, event_id, ticket(tx, event_id, token))
            except ValidationError as exc:
                error, status = exc, 422
            except NotFound:
                error, status = _NO_SUCH, 404
    return _page(
        request,
        "check_in.html",
        status,
        event=found,
        token=token_of(token) if token else "",
        scanned=scanned,
        matches=matches,
        matches_shown=MATCHES_SHOWN,
        query=query,
        done=done,
        values=values or {"token": token},
        error=error,
        error_field=getattr(error, "field", None),
    )


async def post_check_in_form(request: Request) -> Response:
    """Check in by the ticket's token, or the registration picked by name."""
    crm, actor = crm_of(request), actor_of(request)
    require(crm.host, actor, EVENT_CHECKIN)
    event_id = path_id(request)
    try:
        form = await read_form(request)
    except RefusedForm as exc:
        return check_in_page(request, exc.fields, exc, 422)

    def work(tx: Transaction) -> Any:
        service.get_event(tx.conn, event_id)
        picked = form.get("registration_id", "").strip()
        if picked:
            registration_id = parse_whole_number("registration_id", picked, minimum=1)
        else:
            registration_id = ticket(tx, event_id, form.get("token", ""))
        return check_in(tx, event_id, registration_id, utcnow())

    try:
        done = await crm.write(work, actor)
    except ValidationError as exc:
        return check_in_page(request, form, exc, 422)
    except NotFound:
        return check_in_page(request, form, _NO_SUCH, 404)
    return check_in_page(request, {}, None, 200, done)


ROUTES: list[BaseRoute] = [
    *public.ROUTES,
    Route("/events/page", events_page),
    Route("/events/new", new_event_page),
    Route("/events/new", post_new_event, methods=["POST"]),
    Route("/events/{event_id:id}/page", event_page),
    Route("/events/{event_id:id}/edit", edit_event_page),
    Route("/events/{event_id:id}/edit", post_edit_event, methods=["POST"]),
    Route("/events/{event_id:id}/sessions-form", post_session_form, methods=["POST"]),
    Route("/events/{event_id:id}/follow-ups-form", post_follow_up_form, methods=["POST"]),
    Route("/events/{event_id:id}/check-in", check_in_page),
    Route("/events/{event_id:id}/check-in-form", post_check_in_form, methods=["POST"]),
]
