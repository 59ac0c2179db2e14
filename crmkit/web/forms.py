"""The UI's forms: create and edit a party (with a version check), log an interaction.

A form that cannot be saved is shown again with what was typed and the error next
to its field, so nothing the user entered is lost. Handlers are async only to read
the body; the database work runs in Starlette's thread pool.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from crmkit.core.entities import DIRECTIONS, PARTY_KINDS, PROSPECT_STATUSES, Party
from crmkit.core.errors import ConflictError, ValidationError
from crmkit.core.inputs import parse_whole_number
from crmkit.core.intake.pipeline import take_in
from crmkit.core.interactions import build_interaction, log_interaction
from crmkit.core.parties import build_party, create_party, update_party
from crmkit.core.permissions import require
from crmkit.core.visible_records import visible_party
from crmkit.web.api_intake import ProspectRejected
from crmkit.web.context import actor_of, site_of
from crmkit.web.pages import CHANNELS, page_response
from crmkit.web.payloads import read_form

FORM_SOURCE = "web"
"""The source of a prospect typed into the UI without one."""
TEXT_FIELDS = ("first_name", "last_name", "organisation_name", "source", "birth_date")
LIST_FIELDS = ("emails", "phones")
"""Typed one per line in a text area."""


def _field_of(error: ValidationError) -> str:
    """The form field an error is about: ``phones[1]`` is the phones text area."""
    return error.field.split("[", 1)[0].split(".", 1)[0]


def _party_data(role: str, form: Mapping[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {name: form.get(name, "").strip() or None for name in TEXT_FIELDS}
    data["kind"] = form.get("kind", "person")
    for name in LIST_FIELDS:
        data[name] = [line.strip() for line in form.get(name, "").splitlines() if line.strip()]
    if role == "prospect":
        data["status"] = form.get("status", "new")
    else:
        data["customer_number"] = form.get("customer_number", "").strip() or None
    return data


def _values_of(entity: Party) -> dict[str, str]:
    """What the form shows for a saved party."""
    values = {
        name: "" if getattr(entity, name) is None else str(getattr(entity, name))
        for name in TEXT_FIELDS
    }
    values["kind"] = entity.kind
    values["emails"] = "\n".join(str(e) for e in entity.emails)
    values["phones"] = "\n".join(p.international() for p in entity.phones)
    values["status"] = getattr(entity, "status", None) or "new"
    values["customer_number"] = getattr(entity, "customer_number", None) or ""
    return values


def _party_form(
    request: Request,
    *,
    role: str,
    values: Mapping[str, str],
    entity: Party | None = None,
    version: int | None = None,
    error: ValidationError | None = None,
    conflict: Party | None = None,
    status: int = 200,
) -> Response:
    return page_response(
        request,
        "party_form.html",
        status=status,
        role=role,
        party=entity,
        values=values,
        version=version,
        error=error,
        error_field=_field_of(error) if error else None,
        conflict=_values_of(conflict) if conflict else None,
        kinds=PARTY_KINDS,
        statuses=PROSPECT_STATUSES,
    )


def _role(request: Request, form: Mapping[str, str]) -> str:
    role = form.get("role") or request.query_params.get("role") or "customer"
    if role not in ("customer", "prospect"):
        raise ValidationError("role", f"expected customer or prospect, got {role!r}")
    return role


def new_party(request: Request) -> Response:
    """The empty form for a new customer or prospect (``?role=prospect``)."""
    site, actor = site_of(request), actor_of(request)
    require(site.crm.host, actor, "core:party.write")
    return _party_form(request, role=_role(request, {}), values={})


async def create_party_from_form(request: Request) -> Response:
    """Create the party and show its page; invalid input shows the form again (422)."""
    form = await read_form(request)
    site, actor = site_of(request), actor_of(request)
    role = _role(request, form)
    crm = site.crm

    def save() -> int | None:
        require(crm.host, actor, "core:party.write")
        data = _party_data(role, form)
        with crm.transaction(actor) as tx:
            if role == "prospect":
                # A prospect typed in goes through intake like any other: it may be merged.
                taken = take_in(
                    tx,
                    data,
                    source=FORM_SOURCE,
                    region=crm.settings.default_region,
                    settings=crm.settings.intake,
                    vouched=True,
                )
                if taken.outcome == "rejected":
                    raise ProspectRejected(taken)
                return None if taken.handed_over else taken.party_id
            entity = build_party(role, data, region=crm.settings.default_region)
            return create_party(tx, entity).id

    try:
        party_id = await run_in_threadpool(save)
    except ValidationError as exc:
        return _party_form(request, role=role, values=form, error=exc, status=422)
    if party_id is None:
        return page_response(request, "handed_over.html", status=201)
    return RedirectResponse(f"/parties/{party_id}", status_code=303)


def edit_party(request: Request) -> Response:
    """The form of a saved party, carrying the version it shows."""
    site, actor = site_of(request), actor_of(request)
    with site.crm.read() as conn:
        entity = visible_party(site.crm, conn, actor, request.path_params["party_id"])
        require(site.crm.host, actor, "core:party.write", entity, conn=conn)
    return _party_form(
        request, role=entity.role, values=_values_of(entity), entity=entity, version=entity.version
    )


def _version(form: Mapping[str, str]) -> int:
    return parse_whole_number("version", form.get("version", ""), minimum=1)


async def update_party_from_form(request: Request) -> Response:
    """Save an edit if nobody changed the party meanwhile; a stale edit is shown again (409).

    The conflict page keeps what the user typed, shows the values saved meanwhile
    and carries the new version, so saving again is a deliberate overwrite.
    """
    form = await read_form(request)
    site, actor = site_of(request), actor_of(request)
    crm, party_id = site.crm, request.path_params["party_id"]
    expected = _version(form)

    def current() -> Party:
        with crm.read() as conn:
            entity = visible_party(crm, conn, actor, party_id)
            require(crm.host, actor, "core:party.write", entity, conn=conn)
        return entity

    def save(entity: Party) -> Party:
        data = _party_data(entity.role, form)
        with crm.transaction(actor) as tx:
            return update_party(tx, party_id, data, expected, region=crm.settings.default_region)

    entity = await run_in_threadpool(current)
    try:
        await run_in_threadpool(save, entity)
    except ConflictError:
        latest = await run_in_threadpool(current)
        return _party_form(
            request,
            role=entity.role,
            values=form,
            entity=latest,
            version=latest.version,
            conflict=latest,
            status=409,
        )
    except ValidationError as exc:
        return _party_form(
            request,
            role=entity.role,
            values=form,
            entity=entity,
            version=expected,
            error=exc,
            status=422,
        )
    return RedirectResponse(f"/parties/{party_id}", status_code=303)


def _interaction_data(party_id: int, form: Mapping[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "party_id": party_id,
        "channel": form.get("channel", ""),
        "direction": form.get("direction", ""),
    }
    for name in ("subject", "summary", "outcome"):
        data[name] = form.get(name, "").strip() or None
    when = form.get("occurred_at", "").strip()
    if when:
        try:
            # A datetime-local input has no offset; the UI shows and takes UTC.
            data["occurred_at"] = datetime.fromisoformat(when).replace(tzinfo=UTC)
        except ValueError:
            raise ValidationError(
                "occurred_at", f"expected a date and time, got {when!r}"
            ) from None
    return data


def interaction_form(
    request: Request,
    *,
    values: Mapping[str, str] | None = None,
    error: ValidationError | None = None,
    status: int = 200,
) -> Response:
    """The form to log an interaction with a party."""
    site, actor = site_of(request), actor_of(request)
    with site.crm.read() as conn:
        entity = visible_party(site.crm, conn, actor, request.path_params["party_id"])
        require(site.crm.host, actor, "core:interaction.write", entity, conn=conn)
    return page_response(
        request,
        "interaction_form.html",
        status=status,
        party=entity,
        values=values or {},
        error=error,
        error_field=_field_of(error) if error else None,
        channels=CHANNELS,
        directions=DIRECTIONS,
    )


async def log_interaction_from_form(request: Request) -> Response:
    """Log the interaction and show it on the party's timeline; invalid input keeps the form (422)."""
    form = await read_form(request)
    site, actor = site_of(request), actor_of(request)
    crm, party_id = site.crm, request.path_params["party_id"]

    def save() -> None:
        with crm.read() as conn:
            entity = visible_party(crm, conn, actor, party_id)
            require(crm.host, actor, "core:interaction.write", entity, conn=conn)
        item = build_interaction(_interaction_data(party_id, form))
        with crm.transaction(actor) as tx:
            log_interaction(tx, item)

    try:
        await run_in_threadpool(save)
    except ValidationError as exc:
        again = functools.partial(interaction_form, request, values=form, error=exc, status=422)
        return await run_in_threadpool(again)
    return RedirectResponse(f"/parties/{party_id}", status_code=303)


ROUTES: list[BaseRoute] = [
    Route("/parties/new", new_party, name="new_party"),
    Route("/parties/new", create_party_from_form, methods=["POST"]),
    Route("/parties/{party_id:id}/edit", edit_party, name="edit_party"),
    Route("/parties/{party_id:id}/edit", update_party_from_form, methods=["POST"]),
    Route("/parties/{party_id:id}/interactions/new", interaction_form, name="new_interaction"),
    Route("/parties/{party_id:id}/interactions/new", log_interaction_from_form, methods=["POST"]),
]
