"""JSON routes under ``/p/sfa/``: pipelines, opportunities, activities, iCalendar.

Database work runs in a worker thread, off the event loop. A record the actor
may not see is "not found"; one they see but may not change is "forbidden".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Connection, Table, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import (
    NotFound,
    ValidationError,
    get_party,
    is_allowed,
    parse_whole_number,
    require,
    visible,
)
from crmkit.web import (
    Param,
    actor_of,
    crm_of,
    json_response,
    operation,
    optional_version,
    read_json,
    read_object,
)
from crmkit_sfa.pipeline import activities, fields, ical, pipelines, service
from crmkit_sfa.pipeline.activities import Activity
from crmkit_sfa.pipeline.bodies import (
    ActivityInput,
    Closing,
    Completion,
    OpportunityChanges,
    OpportunityInput,
    PipelineInput,
    StageMove,
)
from crmkit_sfa.pipeline.service import Opportunity
from crmkit_sfa.pipeline.settings import ACTIVITY_KINDS, Pipeline
from crmkit_sfa.pipeline.tables import activity, opportunity

T = TypeVar("T")
LIST_LIMIT = 500
CALENDAR = "text/calendar"


def _version(body: dict[str, Any]) -> int | None:
    version = optional_version(body)
    body.pop("version", None)
    return version


def _visible(request: Request, conn: Connection, record: T, read: str, action: str) -> T:
    """``record`` if the actor may ``action`` it: one they may not see is not found (404),
    one they see but may not change is forbidden (403)."""
    crm, actor = crm_of(request), actor_of(request)
    if not is_allowed(crm.host, actor, read, record, conn=conn):
        raise NotFound(
            f"{type(record).__name__.lower()} {getattr(record, 'id', '')} does not exist"
        )
    if action != read:
        require(crm.host, actor, action, record, conn=conn)
    return record


def visible_opportunity(request: Request, conn: Connection, action: str) -> Opportunity:
    found = service.get_opportunity(conn, request.path_params["opportunity_id"])
    return _visible(request, conn, found, "sfa:opportunity.read", action)


def visible_activity(request: Request, conn: Connection, action: str) -> Activity:
    found = activities.get_activity(conn, request.path_params["activity_id"])
    return _visible(request, conn, found, "sfa:activity.read", action)


def _write(request: Request, permission: str, act: Callable[..., T], *args: Any) -> T:
    """Run ``act(tx, *args)`` as the actor, after checking the role may ``permission`` at all."""
    crm, actor = crm_of(request), actor_of(request)
    require(crm.host, actor, permission)
    with crm.transaction(actor) as tx:
        return act(tx, *args)


def _limit(request: Request) -> int:
    raw = request.query_params.get("limit", "100")
    return parse_whole_number("limit", raw, minimum=1, maximum=LIST_LIMIT)


def _filters(
    request: Request, table: Table, names: tuple[str, ...], choices: dict[str, tuple[str, ...]]
) -> list[Any]:
    """Equality conditions from the query parameters ``names``; ``choices`` limits some values."""
    conditions = []
    for name in names:
        value = request.query_params.get(name)
        if value is None:
            continue
        if name.endswith("_id"):
            conditions.append(table.c[name] == fields.query_id(name, value))
            continue
        if name in choices and value not in choices[name]:
            raise ValidationError(name, f"expected one of {', '.join(choices[name])}")
        conditions.append(table.c[name] == value)
    return conditions


# --- Pipelines


@operation("The pipelines, configured and defined through the API", response=list[Pipeline])
def list_pipelines(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    require(crm.host, actor, "sfa:opportunity.read")
    with crm.read() as conn:
        return json_response(crm, pipelines.all_pipelines(crm, conn))


@operation(
    "Define a pipeline (or replace one defined before)",
    request=PipelineInput,
    response=Pipeline,
    status=201,
    errors=(409,),
)
async def post_pipeline(request: Request) -> Response:
    body = await read_json(request)
    stored = await run_in_threadpool(
        _write, request, "sfa:pipeline.define", pipelines.define_pipeline, body
    )
    return json_response(crm_of(request), stored.pipeline, 201 if stored.created else 200)


# --- Opportunities


@operation(
    "Opportunities the actor may see, newest first",
    response=list[Opportunity],
    query=(
        Param("pipeline", str, "Only this pipeline"),
        Param("stage", str, "Only this stage"),
        Param("status", str, "open, won or lost"),
        Param("owner_id", int, "Only this owner's"),
        Param("party_id", int, "Only this party's"),
        Param("limit", int, f"At most this many (1 to {LIST_LIMIT}, default 100)"),
    ),
)
def list_opportunities(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    require(crm.host, actor, "sfa:opportunity.read")
    names = ("pipeline", "stage", "status", "owner_id", "party_id")
    query = (
        select(opportunity)
        .where(visible(crm.host, actor, "sfa.opportunity", opportunity))
        .where(*_filters(request, opportunity, names, {"status": service.STATUSES}))
        .order_by(opportunity.c.id.desc())
        .limit(_limit(request))
    )
    with crm.read() as conn:
        found = [service.opportunity_of(row) for row in conn.execute(query)]
    return json_response(crm, found)


def _check_references(request: Request, conn: Connection, data: dict[str, Any]) -> None:
    """A party or opportunity the actor may not see is, to them, one that does not exist."""
    crm, actor = crm_of(request), actor_of(request)
    party_id, opportunity_id = data.get("party_id"), data.get("opportunity_id")
    if isinstance(party_id, int) and not isinstance(party_id, bool):
        try:
            party = get_party(conn, party_id)
        except NotFound:
            return  # the service says so, naming the field
        if not is_allowed(crm.host, actor, "core:party.read", party, conn=conn):
            raise ValidationError("party_id", f"party {party_id} does not exist")
    if isinstance(opportunity_id, int) and not isinstance(opportunity_id, bool):
        try:
            deal = service.get_opportunity(conn, opportunity_id)
        except NotFound:
            return
        if not is_allowed(crm.host, actor, "sfa:opportunity.read", deal, conn=conn):
            raise ValidationError("opportunity_id", f"opportunity {opportunity_id} does not exist")


def create_opportunity_as_actor(request: Request, data: dict[str, Any]) -> Opportunity:
    """A new opportunity with a party the actor sees, which the actor may then see and edit."""
    crm, actor = crm_of(request), actor_of(request)
    require(crm.host, actor, "sfa:opportunity.write")
    with crm.transaction(actor) as tx:
        _check_references(request, tx.conn, data)
        created = service.create_opportunity(tx, data)
        # Owned by someone else outside the actor's territory and team, it would be out of reach.
        require(crm.host, actor, "sfa:opportunity.write", created, conn=tx.conn)
        return created


@operation("Create an opportunity", request=OpportunityInput, response=Opportunity, status=201)
async def post_opportunity(request: Request) -> Response:
    body = await read_object(request)
    created = await run_in_threadpool(create_opportunity_as_actor, request, body)
    return json_response(crm_of(request), created, 201)


@operation("One opportunity", response=Opportunity)
def get_opportunity(request: Request) -> Response:
    crm = crm_of(request)
    with crm.read() as conn:
        return json_response(crm, visible_opportunity(request, conn, "sfa:opportunity.read"))


def _change(request: Request, body: dict[str, Any], act: Callable[..., Opportunity]) -> Opportunity:
    crm, actor = crm_of(request), actor_of(request)
    data = dict(body)
    version = _version(data)
    with crm.transaction(actor) as tx:
        current = visible_opportunity(request, tx.conn, "sfa:opportunity.write")
        return act(tx, current.id, data, version)


@operation(
    "Change an opportunity's fields (and stage)",
    request=OpportunityChanges,
    response=Opportunity,
    errors=(409,),
)
async def patch_opportunity(request: Request) -> Response:
    body = await read_object(request)
    changed = await run_in_threadpool(_change, request, body, service.update_opportunity)
    return json_response(crm_of(request), changed)


def _move(tx: Any, opportunity_id: int, data: dict[str, Any], version: int | None) -> Opportunity:
    fields.only(data, {"stage"})
    return service.change_stage(tx, opportunity_id, data.get("stage"), version)


@operation(
    "Move an opportunity to another stage; exit criteria are enforced",
    request=StageMove,
    response=Opportunity,
    errors=(409,),
)
async def post_stage(request: Request) -> Response:
    body = await read_object(request)
    moved = await run_in_threadpool(_change, request, body, _move)
    return json_response(crm_of(request), moved)


def _win(tx: Any, opportunity_id: int, data: dict[str, Any], version: int | None) -> Opportunity:
    fields.only(data, ())
    return service.mark_won(tx, opportunity_id, version)


def _lose(tx: Any, opportunity_id: int, data: dict[str, Any], version: int | None) -> Opportunity:
    fields.only(data, {"lost_reason"})
    return service.mark_lost(tx, opportunity_id, data.get("lost_reason"), version)


@operation(
    "Win an opportunity; a prospect becomes a customer",
    request=Closing,
    response=Opportunity,
    errors=(409,),
)
async def post_won(request: Request) -> Response:
    body = await read_object(request)
    won = await run_in_threadpool(_change, request, body, _win)
    return json_response(crm_of(request), won)


@operation("Lose an opportunity, saying why", request=Closing, response=Opportunity, errors=(409,))
async def post_lost(request: Request) -> Response:
    body = await read_object(request)
    lost = await run_in_threadpool(_change, request, body, _lose)
    return json_response(crm_of(request), lost)


@operation("The opportunity's activities, soonest due first", response=list[Activity])
def get_opportunity_activities(request: Request) -> Response:
    crm = crm_of(request)
    with crm.read() as conn:
        deal = visible_opportunity(request, conn, "sfa:opportunity.read")
        return json_response(crm, activities.activities_of_opportunity(conn, deal.id))


# --- Activities


@operation(
    "Activities the actor may see, soonest due first",
    response=list[Activity],
    query=(
        Param("owner_id", int, "Only this owner's (default: the actor's own)"),
        Param("status", str, "planned, done or cancelled"),
        Param("kind", str, "call, meeting, task, visit or note"),
        Param("party_id", int, "Only this party's"),
        Param("limit", int, f"At most this many (1 to {LIST_LIMIT}, default 100)"),
    ),
)
def list_activities(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    require(crm.host, actor, "sfa:activity.read")
    conditions = _filters(
        request,
        activity,
        ("owner_id", "status", "kind", "party_id"),
        {"status": activities.STATUSES, "kind": ACTIVITY_KINDS},
    )
    if "owner_id" not in request.query_params and "party_id" not in request.query_params:
        conditions.append(activity.c.owner_id == actor.user_id)
    query = (
        select(activity)
        .where(visible(crm.host, actor, "sfa.activity", activity), *conditions)
        .order_by(activity.c.due_at.is_(None), activity.c.due_at, activity.c.id)
        .limit(_limit(request))
    )
    with crm.read() as conn:
        found = [activities.activity_of(row) for row in conn.execute(query)]
    return json_response(crm, found)


def _create_activity(request: Request, data: dict[str, Any]) -> Activity:
    crm, actor = crm_of(request), actor_of(request)
    require(crm.host, actor, "sfa:activity.write")
    with crm.transaction(actor) as tx:
        _check_references(request, tx.conn, data)
        created = activities.create_activity(tx, data)
        require(crm.host, actor, "sfa:activity.write", created, conn=tx.conn)
        return created


@operation("Plan an activity", request=ActivityInput, response=Activity, status=201)
async def post_activity(request: Request) -> Response:
    body = await read_object(request)
    created = await run_in_threadpool(_create_activity, request, body)
    return json_response(crm_of(request), created, 201)


def _finish(request: Request, body: dict[str, Any], done: bool) -> Activity:
    crm, actor = crm_of(request), actor_of(request)
    data = dict(body)
    version = _version(data)
    fields.only(data, {"outcome"} if done else ())
    with crm.transaction(actor) as tx:
        current = visible_activity(request, tx.conn, "sfa:activity.write")
        if done:
            return activities.complete_activity(tx, current.id, data.get("outcome"), version)
        return activities.cancel_activity(tx, current.id, version)


@operation(
    "Mark an activity done; it appears on the party's timeline",
    request=Completion,
    response=Activity,
    errors=(409,),
)
async def post_complete(request: Request) -> Response:
    body = await read_object(request)
    done = await run_in_threadpool(_finish, request, body, True)
    return json_response(crm_of(request), done)


@operation("Cancel a planned activity", request=Completion, response=Activity, errors=(409,))
async def post_cancel(request: Request) -> Response:
    body = await read_object(request)
    cancelled = await run_in_threadpool(_finish, request, body, False)
    return json_response(crm_of(request), cancelled)


# --- iCalendar


@operation("The actor's meetings as an iCalendar file (text/calendar)")
def get_meetings_calendar(request: Request) -> Response:
    """The actor's meetings as an iCalendar file (``text/calendar``), for calendar subscriptions."""
    crm, actor = crm_of(request), actor_of(request)
    require(crm.host, actor, "sfa:activity.read")
    if actor.user_id is None:
        raise ValidationError("actor", "only a user has meetings")
    with crm.read() as conn:
        calendar = ical.meetings_calendar(conn, actor.user_id)
    return Response(calendar, media_type=CALENDAR)


def _import(request: Request, ics: bytes) -> list[Activity]:
    crm, actor = crm_of(request), actor_of(request)
    require(crm.host, actor, "sfa:activity.write")
    if actor.user_id is None:
        raise ValidationError("actor", "only a user has meetings")
    params = request.query_params
    party_id = fields.query_id("party_id", params.get("party_id"), required=True)
    opportunity_id = fields.query_id("opportunity_id", params.get("opportunity_id"))
    with crm.transaction(actor) as tx:
        _check_references(
            request, tx.conn, {"party_id": party_id, "opportunity_id": opportunity_id}
        )
        return ical.import_invitation(tx, ics, party_id, opportunity_id)


@operation(
    "Import an .ics invitation (body text/calendar) as meetings with the party",
    response=list[Activity],
    status=201,
    query=(
        Param("party_id", int, "The party the meeting is with", required=True),
        Param("opportunity_id", int, "The opportunity it is for"),
    ),
)
async def post_invitation(request: Request) -> Response:
    """Import an .ics invitation (body ``text/calendar``) as meetings with ``?party_id=``; 201."""
    if request.headers.get("content-type", "").split(";")[0].strip() != CALENDAR:
        raise ValidationError("content-type", f"expected {CALENDAR}")
    ics = await request.body()
    imported = await run_in_threadpool(_import, request, ics)
    return json_response(crm_of(request), imported, 201)


ROUTES: list[BaseRoute] = [
    Route("/pipelines", list_pipelines),
    Route("/pipelines", post_pipeline, methods=["POST"]),
    Route("/opportunities", list_opportunities),
    Route("/opportunities", post_opportunity, methods=["POST"]),
    Route("/opportunities/{opportunity_id:id}", get_opportunity),
    Route("/opportunities/{opportunity_id:id}", patch_opportunity, methods=["PATCH"]),
    Route("/opportunities/{opportunity_id:id}/stage", post_stage, methods=["POST"]),
    Route("/opportunities/{opportunity_id:id}/won", post_won, methods=["POST"]),
    Route("/opportunities/{opportunity_id:id}/lost", post_lost, methods=["POST"]),
    Route("/opportunities/{opportunity_id:id}/activities", get_opportunity_activities),
    Route("/activities", list_activities),
    Route("/activities", post_activity, methods=["POST"]),
    Route("/activities/meetings.ics", get_meetings_calendar),
    Route("/activities/invitations", post_invitation, methods=["POST"]),
    Route("/activities/{activity_id:id}/complete", post_complete, methods=["POST"]),
    Route("/activities/{activity_id:id}/cancel", post_cancel, methods=["POST"]),
]
