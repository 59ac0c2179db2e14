"""The API of the audit trails (a party's, an interaction's, a user's) and of a party's consent.

Every route sees a party only if the actor may (``visible_party``); one it may
not see is simply not found, and so are its interactions. Users' trails, which
record their passwords' and API tokens' changes, are for user administrators.
"""

from __future__ import annotations

from typing import Any

import attrs
from attrs import field, frozen
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit.core.audit import AuditEntry, history
from crmkit.core.consent import (
    CHANNELS,
    PURPOSE,
    STATUSES,
    Consent,
    confirm_consent,
    consents_of,
    record_consent,
)
from crmkit.core.db import Transaction
from crmkit.core.errors import NotFound, PermissionDenied, ValidationError
from crmkit.core.parties import get_party
from crmkit.core.permissions import require
from crmkit.core.users import get_user
from crmkit.core.visible_records import visible_interaction, visible_party
from crmkit.web.context import actor_of, crm_of
from crmkit.web.idempotency import run_post
from crmkit.web.listing import check_parameters
from crmkit.web.openapi import operation
from crmkit.web.payloads import json_response, only_fields, read_object


@frozen
class ConsentInput:
    """A statement of consent: ``pending`` starts a double opt-in and answers its token once."""

    purpose: str = field(metadata={"json": {"pattern": PURPOSE.pattern, "maxLength": 50}})
    channel: str = field(metadata={"json": {"enum": list(CHANNELS)}})
    status: str = field(metadata={"json": {"enum": list(STATUSES)}})
    source: str = field(metadata={"json": {"maxLength": 100}})
    evidence: str | None = field(default=None, metadata={"json": {"maxLength": 10_000}})


@frozen
class RecordedConsent:
    """The consent recorded, and for a pending one the token the party confirms it with."""

    consent: Consent
    confirmation_token: str | None = None


@frozen
class Confirmation:
    """The token of a pending consent, as the party sends it back."""

    token: str = field(metadata={"json": {"maxLength": 100}})


def _fields(data: dict[str, Any], cls: type) -> dict[str, Any]:
    only_fields(data, (a.name for a in attrs.fields(cls)))
    return data


@operation("The audit trail of a prospect or customer, newest first", response=list[AuditEntry])
def party_audit(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    check_parameters(request.query_params, ())
    with crm.read() as conn:
        entity = visible_party(crm, conn, actor, request.path_params["party_id"])
        require(crm.host, actor, "core:audit.read", entity, conn=conn)
        entries = history(conn, "party", entity.id)
    return json_response(crm, entries)


@operation(
    "The audit trail of an interaction, newest first", response=list[AuditEntry], errors=(404,)
)
def interaction_audit(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    check_parameters(request.query_params, ())
    with crm.read() as conn:
        item = visible_interaction(
            crm, conn, actor, request.path_params["interaction_id"], "core:audit.read"
        )
        entries = history(conn, "interaction", item.id)
    return json_response(crm, entries)


@operation(
    "The audit trail of a user, newest first: also when their password and API tokens changed",
    response=list[AuditEntry],
    errors=(404,),
)
def user_audit(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    check_parameters(request.query_params, ())
    require(crm.host, actor, "core:user.admin")
    with crm.read() as conn:
        found = get_user(conn, request.path_params["user_id"])
        entries = history(conn, "user", found.id)
    return json_response(crm, entries)


@operation("The consent in force per purpose and channel", response=list[Consent])
def party_consents(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    check_parameters(request.query_params, ())
    with crm.read() as conn:
        entity = visible_party(crm, conn, actor, request.path_params["party_id"])
        assert entity.id is not None
        found = consents_of(conn, entity.id)
    return json_response(crm, found)


@operation(
    "Record consent, its withdrawal, or a pending request (double opt-in)",
    request=ConsentInput,
    response=RecordedConsent,
    status=201,
    errors=(404,),
)
async def add_consent(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    data = _fields(await read_object(request), ConsentInput)

    def work(tx: Transaction) -> RecordedConsent:
        entity = visible_party(crm, tx.conn, actor, request.path_params["party_id"])
        require(crm.host, actor, "core:consent.write", entity, conn=tx.conn)
        assert entity.id is not None
        # record_consent checks each value and names the field that is wrong.
        recorded, token = record_consent(
            tx,
            entity.id,
            data.get("purpose", ""),
            data.get("channel", ""),
            data.get("status", ""),
            source=data.get("source", ""),
            evidence=data.get("evidence"),
        )
        return RecordedConsent(recorded, token)

    return await run_post(request, work, status=201)


@operation(
    "Confirm a pending consent with its token (double opt-in)",
    request=Confirmation,
    response=Consent,
    errors=(404,),
)
async def confirm(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    data = _fields(await read_object(request), Confirmation)
    token = data.get("token")
    if not isinstance(token, str) or not 0 < len(token) <= 100:
        raise ValidationError("token", "expected the token of a pending consent")

    def work(tx: Transaction) -> Consent:
        confirmed = confirm_consent(tx, token)
        # The party must be one the actor may write to; else the token is as good as unknown.
        entity = get_party(tx.conn, confirmed.party_id)
        try:
            require(crm.host, actor, "core:consent.write", entity, conn=tx.conn)
        except PermissionDenied:
            raise NotFound("this confirmation link is unknown or was used already") from None
        return confirmed

    return await run_post(request, work)


PARTY = "/parties/{party_id:id}"

ROUTES: list[BaseRoute] = [
    Route(f"{PARTY}/audit", party_audit, methods=["GET"], name="api_party_audit"),
    Route(
        "/interactions/{interaction_id:id}/audit",
        interaction_audit,
        methods=["GET"],
        name="api_interaction_audit",
    ),
    Route("/users/{user_id:id}/audit", user_audit, methods=["GET"], name="api_user_audit"),
    Route(f"{PARTY}/consents", party_consents, methods=["GET"], name="api_party_consents"),
    Route(f"{PARTY}/consents", add_consent, methods=["POST"], name="api_add_consent"),
    Route("/consents/confirm", confirm, methods=["POST"], name="api_confirm_consent"),
]
"""Below ``/api/v1``, where :mod:`crmkit.web.app` mounts them with the kernel API."""
