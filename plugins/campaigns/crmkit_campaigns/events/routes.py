"""The events part's JSON API under /p/campaigns/: events, sessions, registrations, check-in, follow-ups.

Bad input is a 422 problem naming the field, a stale ``version`` a 409; a
registration whose party the actor may not see is left out of lists and is
"not found" (404) otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Select, func, or_, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import (
    NotFound,
    Page,
    Transaction,
    ValidationError,
    newest_first,
    parse_whole_number,
    read_id,
    seen_party,
    seen_party_ids,
    utcnow,
)
from crmkit.web import (
    Param,
    actor_of,
    crm_of,
    json_response,
    operation,
    optional_version,
    read_as,
    read_object,
    write_as,
)
from crmkit_campaigns.events import service
from crmkit_campaigns.events.access import EVENT_CHECKIN, EVENT_READ, EVENT_WRITE
from crmkit_campaigns.events.checkin import CheckIn, check_in, ticket
from crmkit_campaigns.events.followups import FollowUps, create_follow_ups
from crmkit_campaigns.events.model import Event, Registration, Session, registration_of
from crmkit_campaigns.events.registration import Answer, cancel, registration_row
from crmkit_campaigns.events.tables import REGISTRATION_STATUSES, STATUSES, choice, registration
from crmkit_campaigns.events.web import path_id

PAGE_LIMIT = 500
"""The most registrations one page of the API or the event page holds."""
WAITING_SHOWN = 1000
"""The longest waiting list the event page shows in full; beyond it, it says how many more."""
MATCHES_SHOWN = 50
"""The most registrants a name search at the check-in desk lists."""


def _split_version(data: dict[str, Any]) -> tuple[dict[str, Any], int | None]:
    version = optional_version(data)
    return {k: v for k, v in data.items() if k != "version"}, version


def _visible(request: Request, event_id: int, status: str | None = None) -> Select[Any]:
    """The event's registrations whose party the actor may see (of ``status``, if given)."""
    crm, actor = crm_of(request), actor_of(request)
    query = select(registration).where(
        registration.c.event_id == event_id,
        registration.c.party_id.in_(seen_party_ids(crm.host, actor)),
    )
    if status is not None:
        if status not in REGISTRATION_STATUSES:
            raise ValidationError("status", f"expected one of {', '.join(REGISTRATION_STATUSES)}")
        query = query.where(registration.c.status == status)
    return query


def _with_sessions(conn: Connection, rows: Sequence[Any]) -> list[Registration]:
    chosen: dict[int, list[int]] = {}
    if rows:
        for reg_id, session_id in conn.execute(
            select(choice.c.registration_id, choice.c.session_id)
            .where(choice.c.registration_id.in_([r.id for r in rows]))
            .order_by(choice.c.session_id)
        ):
            chosen.setdefault(reg_id, []).append(session_id)
    return [registration_of(r, tuple(chosen.get(r.id, ()))) for r in rows]


def registrations_page(
    request: Request,
    conn: Connection,
    event_id: int,
    *,
    status: str | None = None,
    exclude: str | None = None,
    cursor: str | None = None,
    limit: int = PAGE_LIMIT,
) -> Page[Registration]:
    """A page of the event's registrations the actor may see, newest first."""
    query = _visible(request, event_id, status)
    if exclude is not None:
        query = query.where(registration.c.status != exclude)
    page = newest_first(conn, query, registration.c.id, lambda r: r, cursor=cursor, limit=limit)
    return Page(_with_sessions(conn, page.items), page.next_cursor)


def waiting_list(
    request: Request, conn: Connection, event_id: int
) -> tuple[list[Registration], int]:
    """The first :data:`WAITING_SHOWN` of the waiting list the actor may see, in its order,
    and how many more there are."""
    query = _visible(request, event_id, "waitlisted")
    rows = conn.execute(
        query.order_by(registration.c.waitlisted_at, registration.c.id).limit(WAITING_SHOWN)
    ).all()
    more = 0
    if len(rows) == WAITING_SHOWN:
        total = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        more = total - WAITING_SHOWN
    return _with_sessions(conn, rows), more


def matching_registrations(
    request: Request, conn: Connection, event_id: int, text: str
) -> list[Registration]:
    """Seat holders the actor may see whose name, email or company contains ``text``."""
    needle = text.strip().lower()
    if not needle:
        return []
    rows = conn.execute(
        _visible(request, event_id)
        .where(
            registration.c.status.in_(("confirmed", "attended")),
            or_(
                *(
                    func.lower(func.coalesce(column, "")).contains(needle, autoescape=True)
                    for column in (
                        registration.c.first_name,
                        registration.c.last_name,
                        registration.c.email,
                        registration.c.company,
                    )
                )
            ),
        )
        .order_by(registration.c.last_name, registration.c.first_name, registration.c.id)
        .limit(MATCHES_SHOWN)
    ).all()
    return _with_sessions(conn, rows)


def visible_registration(tx: Transaction, event_id: int, registration_id: int) -> Registration:
    """One registration of the event, looked up by its id; NotFound when its party is not
    visible to ``tx.actor`` (or it has none any more)."""
    found = registration_row(tx.conn, registration_id)
    if found.event_id != event_id or found.party_id is None:
        raise NotFound(f"event {event_id} has no registration {registration_id}")
    seen_party(tx.hooks, tx.conn, tx.actor, found.party_id)
    (made,) = _with_sessions(tx.conn, [found])
    return made


@operation(
    "Events, latest first",
    response=list[Event],
    query=(Param("status", str, f"Only events of this status: {', '.join(STATUSES)}"),),
)
def list_events(request: Request) -> Response:
    status = request.query_params.get("status")
    events = read_as(request, EVENT_READ, lambda tx: service.list_events(tx.conn, status=status))
    return json_response(crm_of(request), events)


@operation(
    "Create an event (kind, name, starts_at, ends_at required; status draft unless given)",
    response=Event,
    status=201,
)
async def post_event(request: Request) -> Response:
    body = await read_object(request)
    created = await write_as(request, EVENT_WRITE, lambda tx: service.create_event(tx, body))
    return json_response(crm_of(request), created, 201)


@operation("An event with its sessions and seat counts", response=Event, errors=(404,))
def get_event(request: Request) -> Response:
    found = read_as(request, EVENT_READ, lambda tx: service.get_event(tx.conn, path_id(request)))
    return json_response(crm_of(request), found)


@operation("Change an event's fields (version required)", response=Event, errors=(404, 409))
async def patch_event(request: Request) -> Response:
    data, version = _split_version(await read_object(request))

    def work(tx: Transaction) -> Event:
        return service.update_event(tx, path_id(request), data, version)

    return json_response(crm_of(request), await write_as(request, EVENT_WRITE, work))


@operation(
    "Add a session (title, starts_at, ends_at within the event; room, capacity)",
    response=Session,
    status=201,
    errors=(404,),
)
async def post_session(request: Request) -> Response:
    body = await read_object(request)

    def work(tx: Transaction) -> Session:
        return service.add_session(tx, path_id(request), body)

    return json_response(crm_of(request), await write_as(request, EVENT_WRITE, work), 201)


@operation("Change a session (version required)", response=Session, errors=(404, 409))
async def patch_session(request: Request) -> Response:
    data, version = _split_version(await read_object(request))

    def work(tx: Transaction) -> Session:
        return service.update_session(
            tx, path_id(request), path_id(request, "session_id"), data, version
        )

    return json_response(crm_of(request), await write_as(request, EVENT_WRITE, work))


@operation("Remove a session nobody holds a seat in", status=204, errors=(404, 409))
async def delete_session(request: Request) -> Response:
    def work(tx: Transaction) -> None:
        service.delete_session(tx, path_id(request), path_id(request, "session_id"))

    await write_as(request, EVENT_WRITE, work)
    return Response(status_code=204)


@operation(
    "The event's registrations of parties the user may see, newest first, a page at a time",
    response=Page[Registration],
    query=(
        Param("status", str, f"Only of this status: {', '.join(REGISTRATION_STATUSES)}"),
        Param("cursor", str, "The next_cursor of the page before"),
        Param("limit", int, f"At most this many (1 to {PAGE_LIMIT}, default 100)"),
    ),
    errors=(404,),
)
def list_registrations(request: Request) -> Response:
    params = request.query_params
    limit = params.get("limit")

    def work(tx: Transaction) -> Page[Registration]:
        service.get_event(tx.conn, path_id(request))
        return registrations_page(
            request,
            tx.conn,
            path_id(request),
            status=params.get("status"),
            cursor=params.get("cursor"),
            limit=100
            if limit is None
            else parse_whole_number("limit", limit, minimum=1, maximum=PAGE_LIMIT),
        )

    return json_response(crm_of(request), read_as(request, EVENT_READ, work))


@operation(
    'Check a registrant in: {"token": <the ticket\'s token or QR URL>} or {"registration_id": n}',
    response=CheckIn,
    errors=(404,),
    description="outcome checked_in, or already (nothing logged a second time); a ticket of "
    "another event or one holding no seat is a 422 naming token.",
)
async def post_check_in(request: Request) -> Response:
    body = await read_object(request)

    def work(tx: Transaction) -> CheckIn:
        event_id = path_id(request)
        service.get_event(tx.conn, event_id)
        return check_in(tx, event_id, registration_to_check_in(tx, event_id, body), utcnow())

    return json_response(crm_of(request), await write_as(request, EVENT_CHECKIN, work))


def registration_to_check_in(tx: Transaction, event_id: int, body: dict[str, Any]) -> int:
    """The registration a check-in names: by the ticket's token, or by its id."""
    unknown = sorted(set(body) - {"token", "registration_id"})
    if unknown:
        raise ValidationError(unknown[0], "unknown field")
    if ("token" in body) == ("registration_id" in body):
        raise ValidationError("token", "give the ticket's token, or a registration_id")
    if "token" in body:
        if not isinstance(body["token"], str):
            raise ValidationError("token", "expected text")
        return ticket(tx, event_id, body["token"])
    return read_id("registration_id", body["registration_id"])


@operation(
    "Cancel a registration (its seat goes to the first on the waiting list who fits)",
    response=Answer,
    errors=(404,),
)
async def post_cancel_registration(request: Request) -> Response:
    def work(tx: Transaction) -> Answer:
        event_id, registration_id = path_id(request), path_id(request, "registration_id")
        visible_registration(tx, event_id, registration_id)
        return cancel(tx, registration_id, utcnow())

    return json_response(crm_of(request), await write_as(request, EVENT_WRITE, work))


@operation(
    "Create follow-up leads of the done event's attendees (idempotent)",
    response=FollowUps,
    errors=(404,),
)
async def post_follow_ups(request: Request) -> Response:
    def work(tx: Transaction) -> FollowUps:
        service.get_event(tx.conn, path_id(request))
        return create_follow_ups(tx, path_id(request), utcnow())

    return json_response(crm_of(request), await write_as(request, EVENT_WRITE, work))


ROUTES: list[BaseRoute] = [
    Route("/events", list_events, methods=["GET"]),
    Route("/events", post_event, methods=["POST"]),
    Route("/events/{event_id:id}", get_event, methods=["GET"]),
    Route("/events/{event_id:id}", patch_event, methods=["PATCH"]),
    Route("/events/{event_id:id}/sessions", post_session, methods=["POST"]),
    Route("/events/{event_id:id}/sessions/{session_id:id}", patch_session, methods=["PATCH"]),
    Route("/events/{event_id:id}/sessions/{session_id:id}", delete_session, methods=["DELETE"]),
    Route("/events/{event_id:id}/registrations", list_registrations, methods=["GET"]),
    Route(
        "/events/{event_id:id}/registrations/{registration_id:id}/cancel",
        post_cancel_registration,
        methods=["POST"],
    ),
    Route("/events/{event_id:id}/check-in", post_check_in, methods=["POST"]),
    Route("/events/{event_id:id}/follow-ups", post_follow_ups, methods=["POST"]),
]
