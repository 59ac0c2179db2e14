"""The kernel's JSON API under ``/api/v1/``: parties, interactions, users, lookup, timelines.

Reads run through :meth:`crmkit.app.Crm.query` (on SQLite on the event loop, on
PostgreSQL in a worker thread); writes read their body on the event loop and do
their database work through :meth:`crmkit.app.Crm.write`, in one transaction with
the actor, through the core services and the permission hooks. An update or a delete names the version it read (``If-Match: "<version>"``, or a
``version`` field, which a delete sends as ``?version=``): a stale one gets 412
(``If-Match``) or 409, none gets 428.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any, Literal

from attrs import frozen
from sqlalchemy import Connection, select
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit.core.db import Transaction
from crmkit.core.entities import Customer, Interaction, Party, Prospect, User
from crmkit.core.errors import ConflictError, ValidationError
from crmkit.core.inputs import read_reference
from crmkit.core.interactions import build_interaction, log_interaction
from crmkit.core.lookup import contact_key, lookup
from crmkit.core.pagination import Page
from crmkit.core.parties import (
    build_party,
    convert_prospect,
    create_party,
    merge_parties,
    update_party,
)
from crmkit.core.permissions import is_allowed, require, visible
from crmkit.core.privacy import erase_party
from crmkit.core.tables import party, user
from crmkit.core.users import build_user, create_user, get_user, list_users, update_user
from crmkit.core.visible_records import (
    DEFAULT_LIMIT,
    list_visible_parties,
    visible_interaction,
    visible_party,
    visible_timeline,
)
from crmkit.web import api_bodies as bodies
from crmkit.web.context import actor_of, crm_of
from crmkit.web.idempotency import HEADER as IDEMPOTENCY_KEY
from crmkit.web.idempotency import run_post
from crmkit.web.listing import check_parameters, int_parameter, parse_party_query
from crmkit.web.openapi import Param, operation
from crmkit.web.payloads import json_response, only_fields, optional_version, read_object

log = logging.getLogger(__name__)

ETAG = re.compile(r'^(?:W/)?"(\d{1,15})"$')
KEY_PARAM = Param(
    IDEMPOTENCY_KEY, str, "Makes a retried POST answer without repeating it", location="header"
)
IF_MATCH = Param("If-Match", str, 'The version last read, as "<version>"', location="header")
VERSION_PARAM = Param("version", int, "The version last read, when it is not sent as If-Match")
LIST_PARAMS = (
    Param("limit", int, "Most items on the page (1-500)"),
    Param("sort", str, "name, created or updated; a leading - sorts descending"),
    Param("cursor", str, "next_cursor of the previous page"),
    Param("q", str, "Words that begin a name, an email address or a phone number"),
    Param("status", str, "Only this status; without it, expired prospects are left out"),
)


@frozen
class PluginHealth:
    """A plugin that is not disabled, and what became of it at start-up."""

    name: str
    version: str | None
    state: Literal["loaded", "failed"]


@frozen
class Health:
    """Whether the database answers, and the state of every plugin that is not disabled."""

    status: Literal["ok", "unavailable"]
    database: Literal["ok", "unreachable"]
    plugins: list[PluginHealth]


@operation("Whether the service is up", response=Health, answers={503: Health})
def health(request: Request) -> Response:
    """Whether the database answers, and the state of every plugin that is not disabled (no login)."""
    crm = crm_of(request)
    database: Literal["ok", "unreachable"] = "ok"
    try:
        with crm.read() as conn:
            conn.execute(select(1))
    except SQLAlchemyError:
        # The reason may name hosts and users; it goes to the log, not to anonymous callers.
        log.exception("health check: the database does not answer")
        database = "unreachable"
    plugins = [
        PluginHealth(s.name, s.version, s.state)
        for s in crm.host.statuses.values()
        if s.state != "disabled"
    ]
    ok = database == "ok"
    answer = Health("ok" if ok else "unavailable", database, plugins)
    return json_response(crm, answer, 200 if ok else 503)


# --- Helpers shared by the handlers.


def expected_version(request: Request, data: dict[str, Any]) -> tuple[int, bool]:
    """The version the client last read, and whether it came from ``If-Match``; 428 without one."""
    body_version = data.pop("version", None)
    header = request.headers.get("if-match")
    if header is not None:
        match = ETAG.match(header.strip())
        if match is None:
            raise ValidationError("If-Match", 'expected the version as "<version>"')
        return int(match[1]), True
    if body_version is None:
        raise HTTPException(
            428,
            'name the version you read: an If-Match: "<version>" header or "version"'
            " (in the body; in the query of a DELETE)",
        )
    if isinstance(body_version, bool) or not isinstance(body_version, int):
        raise ValidationError("version", "expected a whole number")
    return body_version, False


def stale_as_412(from_header: bool, work: Callable[[], Any]) -> Any:
    """Run ``work``; a lost race is 412 when the version came in ``If-Match`` (RFC 9110), else 409."""
    try:
        return work()
    except ConflictError as exc:
        if from_header:
            raise HTTPException(412, exc.message) from None
        raise


def check_owner(conn: Connection, data: dict[str, Any], name: str = "owner_id") -> None:
    """A referenced user must exist: the database would refuse it less politely."""
    if data.get(name) is not None:
        read_reference(conn, name, data[name], user, "user")


def with_etag(response: Response, version: int) -> Response:
    """``response`` carrying the record's version as its ``ETag``, for a later ``If-Match``."""
    response.headers["ETag"] = f'"{version}"'
    return response


async def run_write(request: Request, work: Callable[[Transaction], Any]) -> Response:
    """Answer with ``work``'s result, done in one transaction with the request's actor."""
    crm = crm_of(request)
    result = await crm.write(work, actor_of(request))
    if result is None:
        return Response(status_code=204)
    response = json_response(crm, result)
    version = getattr(result, "version", None)
    return with_etag(response, version) if isinstance(version, int) else response


async def run_change(
    request: Request, work: Callable[[Transaction, dict[str, Any], int], Any]
) -> Response:
    """Run ``work(tx, body, version)`` in one transaction with the body and the version read.

    The version is the one the client last read (:func:`expected_version`); a lost race
    answers 412 when it came in ``If-Match``, else 409 (:func:`stale_as_412`).
    """
    data = await read_object(request)
    version, from_header = expected_version(request, data)
    return await run_write(
        request, lambda tx: stale_as_412(from_header, lambda: work(tx, data, version))
    )


async def run_delete(request: Request, work: Callable[[Transaction, int], Any]) -> Response:
    """Run ``work(tx, version)`` in one transaction with the version the client last read.

    As for an update (:func:`run_change`), but the body of a DELETE has no defined meaning
    (RFC 9110), so the ``version`` field comes as a query parameter.
    """
    params = request.query_params
    check_parameters(params, ("version",))
    given = int_parameter(params, "version", None)
    version, from_header = expected_version(request, {} if given is None else {"version": given})
    return await run_write(request, lambda tx: stale_as_412(from_header, lambda: work(tx, version)))


# --- Parties.


def _role_routes(role: str) -> list[Route]:
    cls: type[Party] = Prospect if role == "prospect" else Customer
    create_body = bodies.ProspectInput if role == "prospect" else bodies.CustomerInput
    change_body = bodies.ProspectChanges if role == "prospect" else bodies.CustomerChanges

    page_type: Any = Page[cls]  # type: ignore[valid-type]

    # Only prospects have a status to filter on.
    list_params = LIST_PARAMS if role == "prospect" else LIST_PARAMS[:-1]

    @operation(f"List {role}s the actor may see", response=page_type, query=list_params)
    async def list_role(request: Request) -> Response:
        crm, actor = crm_of(request), actor_of(request)
        query = parse_party_query(request.query_params)
        page = await crm.query(
            lambda conn: list_visible_parties(crm, conn, actor, role, query), scans=True
        )
        return json_response(crm, page)

    @operation(
        f"Create a {role}", request=create_body, response=cls, status=201, query=(KEY_PARAM,)
    )
    async def create(request: Request) -> Response:
        crm, actor = crm_of(request), actor_of(request)
        data = await read_object(request)

        def work(tx: Transaction) -> Party:
            require(crm.host, actor, "core:party.write")
            check_owner(tx.conn, data)
            entity = build_party(role, data, region=crm.settings.default_region)
            require(crm.host, actor, "core:party.write", entity)
            return create_party(tx, entity)

        return await run_post(
            request, work, status=201, location=lambda body: f"/api/v1/{role}s/{body['id']}"
        )

    @operation(f"One {role}", response=cls, errors=(404,))
    async def read(request: Request) -> Response:
        crm, actor = crm_of(request), actor_of(request)
        check_parameters(request.query_params, ())
        party_id = request.path_params["party_id"]
        entity = await crm.query(lambda conn: visible_party(crm, conn, actor, party_id, role))
        return with_etag(json_response(crm, entity), entity.version)

    @operation(
        f"Change a {role}",
        request=change_body,
        response=cls,
        query=(IF_MATCH,),
        errors=(404, 409, 412, 428),
    )
    async def change(request: Request) -> Response:
        crm, actor = crm_of(request), actor_of(request)
        party_id = request.path_params["party_id"]

        def work(tx: Transaction, data: dict[str, Any], version: int) -> Party:
            current = visible_party(crm, tx.conn, actor, party_id, role)
            require(crm.host, actor, "core:party.write", current, conn=tx.conn)
            check_owner(tx.conn, data)
            return update_party(tx, party_id, data, version, region=crm.settings.default_region)

        return await run_change(request, work)

    @operation(
        f"Delete a {role} and everything held on it",
        status=204,
        query=(IF_MATCH, VERSION_PARAM),
        errors=(404, 409, 412, 428),
    )
    async def remove(request: Request) -> Response:
        crm, actor = crm_of(request), actor_of(request)
        party_id = request.path_params["party_id"]

        def work(tx: Transaction, version: int) -> None:
            current = visible_party(crm, tx.conn, actor, party_id, role)
            require(crm.host, actor, "core:party.write", current, conn=tx.conn)
            erase_party(tx, party_id, version)

        return await run_delete(request, work)

    list_role.__name__, create.__name__ = f"list_{role}s", f"create_{role}"
    read.__name__, change.__name__, remove.__name__ = (
        f"read_{role}",
        f"change_{role}",
        f"delete_{role}",
    )
    item = f"/{role}s/{{party_id:id}}"
    # Prospects are created through the intake pipeline (crmkit.web.api_intake).
    creating = (
        []
        if role == "prospect"
        else [Route(f"/{role}s", create, methods=["POST"], name=f"api_create_{role}")]
    )
    return [
        Route(f"/{role}s", list_role, methods=["GET"], name=f"api_{role}s"),
        *creating,
        Route(item, read, methods=["GET"], name=f"api_{role}"),
        Route(item, change, methods=["PATCH"], name=f"api_change_{role}"),
        Route(item, remove, methods=["DELETE"], name=f"api_delete_{role}"),
    ]


@operation("One prospect or customer", response=Prospect | Customer, errors=(404,))
async def party_detail(request: Request) -> Response:
    """One prospect or customer with its contact points and custom fields."""
    crm, actor = crm_of(request), actor_of(request)
    check_parameters(request.query_params, ())
    party_id = request.path_params["party_id"]
    entity = await crm.query(lambda conn: visible_party(crm, conn, actor, party_id))
    return with_etag(json_response(crm, entity), entity.version)


@operation(
    "The party's timeline, newest first",
    response=Page[Interaction],
    query=LIST_PARAMS[:1] + LIST_PARAMS[2:3],
    errors=(404,),
)
async def party_timeline(request: Request) -> Response:
    """A page of the party's timeline, newest first; ``cursor`` and ``limit`` as in lists."""
    crm, actor = crm_of(request), actor_of(request)
    params = request.query_params
    check_parameters(params, ("cursor", "limit"))
    party_id = request.path_params["party_id"]
    cursor = params.get("cursor") or None
    limit = int_parameter(params, "limit", DEFAULT_LIMIT)

    def page(conn: Connection) -> Page[Interaction]:
        entity = visible_party(crm, conn, actor, party_id)
        return visible_timeline(crm, conn, actor, entity, cursor=cursor, limit=limit)

    return json_response(crm, await crm.query(page))


@operation(
    "Turn a prospect into a customer (same id)",
    request=bodies.ConvertInput,
    response=Customer,
    query=(KEY_PARAM,),
    errors=(404, 409),
)
async def convert(request: Request) -> Response:
    """Convert the prospect; ``version``, when given, must be the one last read."""
    crm, actor = crm_of(request), actor_of(request)
    party_id = request.path_params["party_id"]
    data = await read_object(request)
    only_fields(data, ("customer_number", "version"))
    number, version = data.get("customer_number"), optional_version(data)
    if number is not None and not isinstance(number, str):
        raise ValidationError("customer_number", "expected text")

    def work(tx: Transaction) -> Customer:
        current = visible_party(crm, tx.conn, actor, party_id, "prospect")
        require(crm.host, actor, "core:party.convert", current, conn=tx.conn)
        return convert_prospect(tx, party_id, version, number)

    return await run_post(request, work)


@operation(
    "Merge another party into this one, which survives",
    request=bodies.MergeInput,
    response=Prospect | Customer,
    query=(KEY_PARAM,),
    errors=(404, 409),
)
async def merge(request: Request) -> Response:
    """Merge ``merged_id`` into the party of the path."""
    crm, actor = crm_of(request), actor_of(request)
    survivor_id = request.path_params["party_id"]
    data = await read_object(request)
    only_fields(data, ("merged_id", "version"))
    merged_id, version = data.get("merged_id"), optional_version(data)
    if isinstance(merged_id, bool) or not isinstance(merged_id, int):
        raise ValidationError("merged_id", "expected a party id")

    def work(tx: Transaction) -> Party:
        survivor = visible_party(crm, tx.conn, actor, survivor_id)
        merged = visible_party(crm, tx.conn, actor, merged_id)
        require(crm.host, actor, "core:party.merge", survivor, conn=tx.conn)
        require(crm.host, actor, "core:party.merge", merged, conn=tx.conn)
        if version is not None and survivor.version != version:
            raise ConflictError(
                f"party {survivor_id} is at version {survivor.version}, not {version}"
            )
        return merge_parties(tx, survivor_id, merged_id)

    return await run_post(request, work)


# --- Lookup.


@operation(
    "Parties having a phone number (any common format) or an email address",
    response=list[Prospect | Customer],
    query=(
        Param("phone", str, "A phone number; national numbers are read in the default region"),
        Param("email", str, "An email address"),
    ),
)
async def caller_lookup(request: Request) -> Response:
    """Who is calling: the visible parties with the phone number or email given."""
    crm, actor = crm_of(request), actor_of(request)
    params = request.query_params
    check_parameters(params, ("phone", "email"))
    kind, key = contact_key(
        phone=params.get("phone"), email=params.get("email"), region=crm.settings.default_region
    )

    def seen(conn: Connection) -> list[Party]:
        require(crm.host, actor, "core:party.read")
        conditions = [
            (party.c.role != role) | visible(crm.host, actor, role, party)
            for role in ("prospect", "customer")
        ]
        found = lookup(conn, kind, key, conditions=conditions)
        return [p for p in found if is_allowed(crm.host, actor, "core:party.read", p, conn=conn)]

    return json_response(crm, await crm.query(seen))


# --- Interactions.


@operation(
    "Log an interaction on a party's timeline",
    request=bodies.InteractionInput,
    response=Interaction,
    status=201,
    query=(KEY_PARAM,),
    errors=(404,),
)
async def create_interaction(request: Request) -> Response:
    """Log an interaction; its source is ``core``."""
    crm, actor = crm_of(request), actor_of(request)
    data = await read_object(request)

    def work(tx: Transaction) -> Interaction:
        item = build_interaction(data)
        subject = visible_party(crm, tx.conn, actor, item.party_id)
        require(crm.host, actor, "core:interaction.write", subject, conn=tx.conn)
        return log_interaction(tx, item)

    return await run_post(
        request, work, status=201, location=lambda body: f"/api/v1/interactions/{body['id']}"
    )


@operation("One interaction", response=Interaction, errors=(404,))
async def read_interaction(request: Request) -> Response:
    """One interaction, if the actor may see its party's timeline."""
    crm, actor = crm_of(request), actor_of(request)
    check_parameters(request.query_params, ())
    item_id = request.path_params["interaction_id"]
    item = await crm.query(
        lambda conn: visible_interaction(crm, conn, actor, item_id, "core:interaction.read")
    )
    return json_response(crm, item)


# --- Users.


@operation("Every user", response=list[User])
async def users_list(request: Request) -> Response:
    """Every user, by username."""
    crm, actor = crm_of(request), actor_of(request)
    check_parameters(request.query_params, ())

    def users(conn: Connection) -> list[User]:
        require(crm.host, actor, "core:user.admin")
        return list_users(conn)

    return json_response(crm, await crm.query(users))


@operation(
    "Create a user",
    request=bodies.UserInput,
    response=User,
    status=201,
    query=(KEY_PARAM,),
    errors=(404, 409),
)
async def user_create(request: Request) -> Response:
    """Create a user (no password: that is set by the user or an operator)."""
    crm, actor = crm_of(request), actor_of(request)
    data = await read_object(request)

    def work(tx: Transaction) -> User:
        require(crm.host, actor, "core:user.admin")
        check_owner(tx.conn, data, "manager_id")
        return create_user(tx, build_user(data))

    return await run_post(
        request, work, status=201, location=lambda body: f"/api/v1/users/{body['id']}"
    )


@operation("One user", response=User, errors=(404,))
async def user_read(request: Request) -> Response:
    """One user."""
    crm, actor = crm_of(request), actor_of(request)
    check_parameters(request.query_params, ())
    user_id = request.path_params["user_id"]

    def one(conn: Connection) -> User:
        require(crm.host, actor, "core:user.admin")
        return get_user(conn, user_id)

    found = await crm.query(one)
    return with_etag(json_response(crm, found), found.version)


@operation(
    "Change a user",
    request=bodies.UserChanges,
    response=User,
    query=(IF_MATCH,),
    errors=(404, 409, 412, 428),
)
async def user_change(request: Request) -> Response:
    """Change a user; ``active: false`` archives them."""
    crm, actor = crm_of(request), actor_of(request)
    user_id = request.path_params["user_id"]

    def work(tx: Transaction, data: dict[str, Any], version: int) -> User:
        require(crm.host, actor, "core:user.admin")
        check_owner(tx.conn, data, "manager_id")
        return update_user(tx, user_id, data, version)

    return await run_change(request, work)


@operation(
    "Archive a user: they can no longer sign in",
    response=User,
    query=(IF_MATCH, VERSION_PARAM),
    errors=(404, 409, 412, 428),
)
async def user_archive(request: Request) -> Response:
    """Archive (deactivate) a user; their records keep naming them."""
    crm, actor = crm_of(request), actor_of(request)
    user_id = request.path_params["user_id"]

    def work(tx: Transaction, version: int) -> User:
        require(crm.host, actor, "core:user.admin")
        return update_user(tx, user_id, {"active": False}, version)

    return await run_delete(request, work)


PARTY = "/parties/{party_id:id}"
USER = "/users/{user_id:id}"

ROUTES: list[BaseRoute] = [
    Route("/health", health, name="api_health"),
    *_role_routes("customer"),
    *_role_routes("prospect"),
    Route(PARTY, party_detail, methods=["GET"], name="api_party"),
    Route(f"{PARTY}/timeline", party_timeline, methods=["GET"], name="api_timeline"),
    Route(f"{PARTY}/merge", merge, methods=["POST"], name="api_merge"),
    Route("/prospects/{party_id:id}/convert", convert, methods=["POST"], name="api_convert"),
    Route("/lookup", caller_lookup, methods=["GET"], name="api_lookup"),
    Route("/interactions", create_interaction, methods=["POST"], name="api_log"),
    Route(
        "/interactions/{interaction_id:id}",
        read_interaction,
        methods=["GET"],
        name="api_interaction",
    ),
    Route("/users", users_list, methods=["GET"], name="api_users"),
    Route("/users", user_create, methods=["POST"], name="api_create_user"),
    Route(USER, user_read, methods=["GET"], name="api_user"),
    Route(USER, user_change, methods=["PATCH"], name="api_change_user"),
    Route(USER, user_archive, methods=["DELETE"], name="api_archive_user"),
]
"""Below ``/api/v1``, where :mod:`crmkit.web.app` mounts them with the other API routes."""
