"""The leads part's API, mounted at ``/p/social/``: the leads taken, and each form's field
mapping."""

from __future__ import annotations

import re

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import ConflictError, Page, ValidationError, parse_whole_number, read_choice
from crmkit.web import (
    Param,
    check_query,
    crm_of,
    json_response,
    operation,
    optional_version,
    read_as,
    read_object,
    write_as,
)
from crmkit_social.leads import forms, records
from crmkit_social.leads.access import FORM_WRITE, LEAD_READ
from crmkit_social.leads.bodies import LeadFormChanges
from crmkit_social.leads.forms import LeadForm
from crmkit_social.leads.intake import settings_of
from crmkit_social.leads.records import OUTCOMES, Lead

PAGE_LIMIT = 500
ETAG = re.compile(r'^(?:W/)?"?(\d+)"?$')


def _paging(request: Request) -> tuple[str | None, int]:
    raw = request.query_params.get("limit")
    limit = 50 if raw is None else parse_whole_number("limit", raw, minimum=1, maximum=PAGE_LIMIT)
    return request.query_params.get("cursor"), limit


@operation(
    "The Lead Ads leads taken, newest first (only those of parties you see)",
    response=Page[Lead],
    query=(
        Param("form_id", str, "Only this form's leads"),
        Param("outcome", str, f"Only this intake outcome ({', '.join(OUTCOMES)})"),
        Param("party_id", int, "Only this party's leads"),
        Param("cursor", str, "The next_cursor of the page before"),
        Param("limit", int, f"At most this many (1 to {PAGE_LIMIT}, default 50)"),
    ),
)
def list_leads(request: Request) -> Response:
    check_query(request, ("form_id", "outcome", "party_id", "cursor", "limit"))
    params = request.query_params
    outcome = params.get("outcome")
    if outcome is not None:
        read_choice("outcome", outcome, OUTCOMES)
    raw_party = params.get("party_id")
    party_id = None if raw_party is None else parse_whole_number("party_id", raw_party, minimum=1)
    cursor, limit = _paging(request)
    found = read_as(
        request,
        LEAD_READ,
        lambda tx: records.list_leads(
            tx,
            form_id=params.get("form_id"),
            outcome=outcome,
            party_id=party_id,
            cursor=cursor,
            limit=limit,
        ),
    )
    return json_response(crm_of(request), found)


@operation(
    "A lead with what Meta sent of it (404 unless you see its party)", response=Lead, errors=(404,)
)
def get_lead(request: Request) -> Response:
    check_query(request)
    lead_id: int = request.path_params["lead_id"]
    found = read_as(request, LEAD_READ, lambda tx: records.get_lead(tx, lead_id))
    return json_response(crm_of(request), found)


@operation(
    "The forms seen or mapped, each with its own mapping and the targets in force",
    response=list[LeadForm],
)
def list_forms(request: Request) -> Response:
    check_query(request)
    settings = settings_of(crm_of(request))
    found = read_as(request, LEAD_READ, lambda tx: forms.list_forms(tx.conn, settings))
    return json_response(crm_of(request), found)


@operation("A form's field mapping (version 0: none of its own yet)", response=LeadForm)
def get_form(request: Request) -> Response:
    check_query(request)
    form_id = forms.check_form_id(request.path_params["form_id"])
    settings = settings_of(crm_of(request))
    found = read_as(request, LEAD_READ, lambda tx: forms.get_form(tx.conn, settings, form_id))
    return json_response(crm_of(request), found)


@operation(
    "Change a form's field mapping (fields merged in; null drops one); name the version read",
    request=LeadFormChanges,
    response=LeadForm,
    query=(
        Param("If-Match", str, 'The version last read, as "<version>"', location="header"),
        Param("version", int, "The version last read, when not in If-Match or the body"),
    ),
    errors=(409, 412),
)
async def patch_form(request: Request) -> Response:
    check_query(request, ("version",))
    form_id = forms.check_form_id(request.path_params["form_id"])
    body = await read_object(request)
    version = optional_version(body)
    body.pop("version", None)
    raw = request.query_params.get("version")
    if raw is not None:
        version = parse_whole_number("version", raw, minimum=0)
    header = request.headers.get("if-match")
    if header is not None:
        match = ETAG.match(header.strip())
        if match is None:
            raise ValidationError("If-Match", 'expected the version as "<version>"')
        version = int(match[1])
    settings = settings_of(crm_of(request))
    try:
        changed = await write_as(
            request, FORM_WRITE, lambda tx: forms.change_form(tx, settings, form_id, body, version)
        )
    except ConflictError as stale:
        if header is not None:  # a lost race named in If-Match is 412 (RFC 9110), as the kernel's
            raise HTTPException(412, stale.message) from None
        raise
    return json_response(crm_of(request), changed)


ROUTES: list[BaseRoute] = [
    Route("/leads", list_leads, methods=["GET"]),
    Route("/leads/{lead_id:id}", get_lead, methods=["GET"]),
    Route("/lead-forms", list_forms, methods=["GET"]),
    Route("/lead-forms/{form_id}", get_form, methods=["GET"]),
    Route("/lead-forms/{form_id}", patch_form, methods=["PATCH"]),
]
