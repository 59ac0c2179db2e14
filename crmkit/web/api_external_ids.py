"""The API of the integration surface: a party's ids in other systems, and resolving a party.

A party's ids live below ``/parties/{party_id}/external-ids``: listed, linked
(``PUT``, idempotent: the id then points to this party) and unlinked
(``DELETE``); their history below it. ``GET /parties/by-external-id`` finds the
party of an id, ``POST /parties/resolve`` the party an event of a machine source
is about (:func:`crmkit.core.intake.resolve.resolve_party`). External ids are
any text, ``/`` included, so they travel in the body or the query, never in
the path. A party the actor may not see is not found, as everywhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal

from attrs import field, frozen
from sqlalchemy import Connection
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit.core.db import Transaction
from crmkit.core.entities import Customer, Party, Prospect
from crmkit.core.errors import NotFound, PermissionDenied, ValidationError
from crmkit.core.external_id_changes import ExternalIdChange, changes_of
from crmkit.core.external_ids import (
    MAX_EXTERNAL_ID,
    SYSTEM_NAME,
    ExternalId,
    check_external_key,
    external_ids_of,
    link_external_id,
    linked_party_id,
    lock_external_key,
    unlink_external_id,
)
from crmkit.core.intake.findings import Finding
from crmkit.core.intake.resolve import FoundBy, Resolution, resolve_party
from crmkit.core.intake.scoring import Band
from crmkit.core.permissions import is_allowed, require
from crmkit.core.visible_records import visible_party
from crmkit.web import api_bodies as bodies
from crmkit.web.api import KEY_PARAM, check_owner, with_etag
from crmkit.web.api_intake import SOURCE, ProspectRejected, rejected_problem
from crmkit.web.context import actor_of, crm_of
from crmkit.web.idempotency import run_post
from crmkit.web.listing import check_parameters
from crmkit.web.openapi import Param, operation
from crmkit.web.payloads import json_response, only_fields, read_object

if TYPE_CHECKING:
    from crmkit.app import Crm
    from crmkit.core.actors import Actor

WRITE = "core:party.write"
KEY_FIELDS = ("system", "external_id")
SYSTEM_SCHEMA = {"maxLength": 100, "pattern": SYSTEM_NAME.pattern}
# Some character that is not white space: an id of blanks is refused.
EXTERNAL_ID_SCHEMA = {"minLength": 1, "maxLength": MAX_EXTERNAL_ID, "pattern": r"\S"}
KEY_PARAMS = (
    Param(
        "system",
        str,
        "The other system's name: a lower-case letter, then lower-case letters, digits, _ . -",
        required=True,
    ),
    Param("external_id", str, "The record's id in that system, exact text", required=True),
)


@frozen
class ExternalIdInput:
    """The record of another system that is this party."""

    __json_input__: ClassVar[bool] = True

    system: str = field(metadata={"json": SYSTEM_SCHEMA})
    external_id: str = field(metadata={"json": EXTERNAL_ID_SCHEMA})


@frozen
class ResolveInput(bodies.ProspectInput):
    """What a machine source knows of a person: the prospect's fields (often only an email
    address or a phone number) and its own record's id."""

    system: str | None = field(default=None, metadata={"json": SYSTEM_SCHEMA})
    external_id: str | None = field(default=None, metadata={"json": EXTERNAL_ID_SCHEMA})
    vouched: bool | None = None
    """Whether the source vouches for the data; by default a user does."""


@frozen
class Resolved:
    """Which party an event of a machine source is about, and how it was found or taken in."""

    outcome: Literal["found", "hidden", "created", "merged", "review"]
    party_id: int | None
    """None when hidden, or handed to the owner of a matching party (see the intake's answer)."""
    found_by: FoundBy | None
    """The strong key that found it (outcome ``found`` or ``hidden``); None when intake did."""
    findings: list[Finding]
    quality: int | None
    """None (as ``score`` and ``band``) when a key found the party: intake did not run."""
    score: int | None
    band: Band | None
    reviews: list[int]


@operation("The party's ids in other systems, by system, then id", response=list[ExternalId])
async def list_external_ids(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    check_parameters(request.query_params, ())
    party_id = request.path_params["party_id"]

    def ids(conn: Connection) -> list[ExternalId]:
        visible_party(crm, conn, actor, party_id)
        return external_ids_of(conn, party_id)

    return json_response(crm, await crm.query(ids))


@operation(
    "Link a record of another system to the party (it then points here)",
    request=ExternalIdInput,
    response=ExternalId,
    answers={201: ExternalId},
    description=(
        "201: the id now points to this party (new, or taken from another party, which the"
        " history keeps); 200: it pointed here already and nothing changed. Taking an id from"
        " another party needs core:party.write on that party too (else 403)."
    ),
)
async def link_id(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    party_id = request.path_params["party_id"]
    data = await read_object(request)
    only_fields(data, KEY_FIELDS)

    def work(tx: Transaction) -> tuple[ExternalId, bool]:
        entity = visible_party(crm, tx.conn, actor, party_id)
        require(crm.host, actor, WRITE, entity, conn=tx.conn)
        system, value = check_external_key(data.get("system"), data.get("external_id"))
        lock_external_key(tx, system, value)
        holder = linked_party_id(tx.conn, system, value)
        if holder not in (None, party_id) and not _may_change(crm, actor, tx.conn, holder):
            raise PermissionDenied(
                f"{system} id {value!r} is linked to another party, which {actor.username}"
                f" may not change"
            )
        return link_external_id(tx, party_id, system, value), holder != party_id

    linked, moved = await crm.write(work, actor)
    return json_response(crm, linked, 201 if moved else 200)


@operation(
    "Unlink a record of another system from the party",
    response=ExternalIdChange,
    query=KEY_PARAMS,
    description=(
        "Answers the change the id's history keeps (reason unlinked, who and when); 404 when"
        " the id is not linked to this party."
    ),
)
async def unlink_id(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    params = request.query_params
    check_parameters(params, KEY_FIELDS)
    party_id = request.path_params["party_id"]

    def work(tx: Transaction) -> ExternalIdChange:
        entity = visible_party(crm, tx.conn, actor, party_id)
        require(crm.host, actor, WRITE, entity, conn=tx.conn)
        system, value = check_external_key(params.get("system"), params.get("external_id"))
        return unlink_external_id(tx, system, value, party_id=party_id)

    return json_response(crm, await crm.write(work, actor))


@operation(
    "The history of one of the party's ids (or of one it had), oldest first",
    response=list[ExternalIdChange],
    query=KEY_PARAMS,
    description=(
        "Every move of the id from one party to another (relinked, merged) or to none"
        " (unlinked), whichever parties; 404 when the id has never been linked to this party."
    ),
)
async def external_id_changes(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    params = request.query_params
    check_parameters(params, KEY_FIELDS)
    party_id = request.path_params["party_id"]

    def history(conn: Connection) -> list[ExternalIdChange]:
        visible_party(crm, conn, actor, party_id)
        system, value = check_external_key(params.get("system"), params.get("external_id"))
        changes = changes_of(conn, system, value)
        concerned = {c.from_party_id for c in changes} | {c.to_party_id for c in changes}
        if party_id not in concerned and linked_party_id(conn, system, value) != party_id:
            raise NotFound(f"{system} id {value!r} has never been linked to party {party_id}")
        return changes

    return json_response(crm, await crm.query(history))


@operation(
    "The party a record of another system is",
    response=Prospect | Customer,
    query=KEY_PARAMS,
    errors=(404,),
    description="404 when no party the actor may see is linked to the id.",
)
async def party_by_external_id(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    params = request.query_params
    check_parameters(params, KEY_FIELDS)
    system, value = check_external_key(params.get("system"), params.get("external_id"))

    def find(conn: Connection) -> Party:
        # Not linked and linked to a party the actor may not see answer alike.
        unknown = NotFound(f"no party is linked to {system} id {value!r}")
        party_id = linked_party_id(conn, system, value)
        if party_id is None:
            raise unknown
        try:
            return visible_party(crm, conn, actor, party_id)
        except NotFound:
            raise unknown from None

    entity = await crm.query(find)
    return with_etag(json_response(crm, entity), entity.version)


@operation(
    "Which party an event of a machine source is about: found by a strong key, else taken in",
    request=ResolveInput,
    response=Resolved,
    status=201,
    answers={200: Resolved},
    query=(KEY_PARAM,),
    description=(
        "Looked up by the external id of system, then the exact email address, then the phone"
        " number; one party the actor may see is found (200, outcome found: nothing changes),"
        " one it may not see is hidden (200, outcome hidden, no party id: nothing changes)."
        " Else intake decides: 201 for a new prospect (outcome created, or review), 200 when"
        " merged into a party (outcome merged) or matching one it adds nothing to (outcome"
        " found), 422 with the findings when rejected. The external id is then linked to the"
        " party."
    ),
)
async def resolve(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    data = await read_object(request)
    fields = {k: v for k, v in data.items() if k not in (*KEY_FIELDS, "vouched")}
    vouched = data.get("vouched")
    if vouched is not None and not isinstance(vouched, bool):
        raise ValidationError("vouched", "expected true, false or null")

    def work(tx: Transaction) -> Resolved:
        require(crm.host, actor, WRITE)
        check_owner(tx.conn, fields)
        resolution = resolve_party(
            tx,
            fields,
            source=SOURCE,
            system=data.get("system"),
            external_id=data.get("external_id"),
            vouched=vouched,
        )
        return _answer(resolution)

    try:
        return await run_post(
            request,
            work,
            status=lambda body: 201 if body["outcome"] in ("created", "review") else 200,
            location=_location,
        )
    except ProspectRejected as exc:
        return rejected_problem(exc)


def _answer(resolution: Resolution) -> Resolved:
    intake = resolution.intake
    if intake is None:
        assert resolution.outcome in ("found", "hidden")
        return Resolved(
            resolution.outcome, resolution.party_id, resolution.found_by, [], None, None, None, []
        )
    outcome = resolution.outcome
    if outcome == "rejected":
        raise ProspectRejected(intake)
    return Resolved(
        outcome=outcome,
        party_id=None if intake.handed_over else intake.party_id,
        found_by=None,
        findings=list(intake.findings),
        quality=intake.quality,
        score=intake.score,
        band=intake.band,
        reviews=list(intake.reviews),
    )


def _location(body: dict[str, Any]) -> str | None:
    party_id = body["party_id"]
    return None if party_id is None else f"/api/v1/parties/{party_id}"


def _may_change(crm: Crm, actor: Actor, conn: Connection, party_id: int) -> bool:
    """Whether ``actor`` may change the party (and so take an id from it): sees it, and may write."""
    try:
        holder = visible_party(crm, conn, actor, party_id)
    except NotFound:
        return False
    return is_allowed(crm.host, actor, WRITE, holder, conn=conn)


PARTY = "/parties/{party_id:id}"
IDS = f"{PARTY}/external-ids"

ROUTES: list[BaseRoute] = [
    Route(IDS, list_external_ids, methods=["GET"], name="api_external_ids"),
    Route(IDS, link_id, methods=["PUT"], name="api_link_external_id"),
    Route(IDS, unlink_id, methods=["DELETE"], name="api_unlink_external_id"),
    Route(f"{IDS}/history", external_id_changes, methods=["GET"], name="api_external_id_history"),
    Route("/parties/by-external-id", party_by_external_id, methods=["GET"], name="api_party_by_id"),
    Route("/parties/resolve", resolve, methods=["POST"], name="api_resolve_party"),
]
"""Below ``/api/v1``, where :mod:`crmkit.web.app` mounts them with the other API routes."""
