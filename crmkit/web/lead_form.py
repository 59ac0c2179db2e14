"""The public lead form (web-to-lead) and the page a visitor confirms marketing consent on.

No login and no CSRF token: anyone may send an enquiry. What stands in for them:
a browser's cross-site post is refused by its ``Origin``, a bot filling the
hidden honeypot field is answered as if it succeeded and nothing is stored, and
each client address may send only so many enquiries in a while (429 with
``Retry-After``). Programs post JSON to the same path (``Content-Type:
application/json``) and get JSON back, problems as RFC 9457 documents.

Confirming consent is a form on its own page rather than the link itself:
mail scanners open links, and an opt-in must be the visitor's act.
"""

from __future__ import annotations

import functools
from typing import Any, Literal

import anyio.to_thread
import attrs
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from crmkit.core.consent import confirm_consent
from crmkit.core.errors import NotFound, PermissionDenied, ValidationError
from crmkit.core.web_leads import (
    CONFIRM_PATH,
    FORM_LIMIT,
    HONEYPOT,
    TEXT_FIELDS,
    TICKED,
    UNTICKED,
    WEB_FORM,
    is_bot,
    read_enquiry,
    submit_enquiry,
    take_submission,
)
from crmkit.web.context import site_of
from crmkit.web.openapi import operation
from crmkit.web.payloads import json_response, read_form, read_object
from crmkit.web.problems import PROBLEM_JSON, problem_for
from crmkit.web.public import LEAD_FORM_PATH
from crmkit.web.templating import render


@attrs.frozen
class EnquiryReceived:
    """The answer to every accepted enquiry, the honeypot's included: it tells a bot nothing."""

    status: Literal["received"] = "received"


def _field(tp: Any, **schema: Any) -> Any:
    """An optional field of type ``tp``, ``schema`` adding to its JSON schema."""
    return attrs.field(type=tp, default=None, metadata={"json": schema})


def _text_fields(text: Any) -> dict[str, Any]:
    fields = {name: _field(text, maxLength=limit) for name, limit in TEXT_FIELDS.items()}
    fields["email"] = _field(text, maxLength=TEXT_FIELDS["email"], format="email")
    return fields


def _body_class(name: str, doc: str, fields: dict[str, Any]) -> type:
    """An attrs class describing a request body in the OpenAPI document (every field optional)."""
    cls = attrs.make_class(name, fields, frozen=True)
    cls.__doc__ = doc
    cls.__json_input__ = True  # type: ignore[attr-defined]
    return cls


EnquiryInput = _body_class(
    "EnquiryInput",
    "An enquiry as a program posts it; an email address or a phone number is required.",
    {**_text_fields(str | None), "marketing_consent": _field(bool | None)},
)
EnquiryForm = _body_class(
    "EnquiryForm",
    "An enquiry as the form posts it; an email address or a phone number is required.",
    {
        **_text_fields(str),
        "marketing_consent": _field(str, enum=sorted(TICKED | UNTICKED)),
        HONEYPOT: _field(str, maxLength=0, description="Hidden from people: leave it empty"),
    },
)


def _wants_json(request: Request) -> bool:
    return request.headers.get("content-type", "").startswith("application/json")


def _same_origin(request: Request) -> bool:
    # Browsers send Origin on every cross-site POST; programs posting JSON send none.
    origin = request.headers.get("origin")
    return origin is None or origin == f"{request.url.scheme}://{request.url.netloc}"


def _address(request: Request) -> str:
    # Behind a proxy named in trusted_proxies, uvicorn has put the client it forwarded here.
    return request.client.host if request.client else "unknown"


def _page(
    request: Request,
    *,
    values: dict[str, Any] | None = None,
    error: ValidationError | None = None,
    refusal: str | None = None,
    sent: bool = False,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    return render(
        site_of(request),
        "lead_form.html",
        status=status,
        headers=headers,
        values=values or {},
        error=error,
        error_field=error.field if error else None,
        refusal=refusal,
        sent=sent,
    )


def _problem(exc: Exception, headers: dict[str, str] | None = None) -> Response:
    problem = problem_for(exc)
    return JSONResponse(
        problem.document(), problem.status, headers=headers, media_type=PROBLEM_JSON
    )


async def lead_form(request: Request) -> Response:
    """The enquiry form."""
    return _page(request)


async def _fields(request: Request, wants_json: bool) -> dict[str, Any]:
    if wants_json:
        return await read_object(request)
    return await read_form(request)


@operation(
    "Send an enquiry from the public lead form (web-to-lead)",
    request=EnquiryInput,
    form=EnquiryForm,
    response=EnquiryReceived,
    status=202,
    errors=(403, 429),
    description=(
        "The enquiry becomes a prospect through the intake pipeline. 403: a browser "
        "posted it from another site (its Origin is not this site's). 429 (with Retry-After): "
        f"the client address sent {FORM_LIMIT.attempts} enquiries in the last "
        f"{int(FORM_LIMIT.window.total_seconds()) // 60} minutes."
    ),
)
async def send_enquiry(request: Request) -> Response:
    """Take an enquiry in: 202 (JSON) or a thank-you page; 422 naming the field; 429 when too many."""
    wants_json = _wants_json(request)
    crm = site_of(request).crm
    address = _address(request)
    if not _same_origin(request):
        refused = PermissionDenied("enquiries are accepted from this site's own form only")
        if wants_json:
            return _problem(refused)
        raise refused
    wait = await anyio.to_thread.run_sync(take_submission, crm, address)
    if wait is not None:
        headers = {"Retry-After": str(wait)}
        detail = f"too many enquiries from your address: try again in {-(-wait // 60)} minute(s)"
        if wants_json:
            return _problem(HTTPException(429, detail), headers)
        return _page(request, refusal=detail, status=429, headers=headers)
    data: dict[str, Any] = {}
    try:
        data = await _fields(request, wants_json)
        if not is_bot(data):
            enquiry = read_enquiry(data)
            await anyio.to_thread.run_sync(
                functools.partial(submit_enquiry, crm, enquiry, address=address)
            )
    except ValidationError as exc:
        if wants_json:
            return _problem(exc)
        # 422, or 400 for a body that is no form at all (MalformedBody), as the JSON answer says.
        return _page(request, values=_shown(data), error=exc, status=problem_for(exc).status)
    if wants_json:
        return json_response(crm, EnquiryReceived(), 202)
    return _page(request, sent=True)


def _shown(data: dict[str, Any]) -> dict[str, Any]:
    """What to put back into the form after an error."""
    return {k: v for k, v in data.items() if isinstance(v, str)}


def _confirmation_page(request: Request, *, token: str, state: str, status: int = 200) -> Response:
    return render(site_of(request), "consent_confirm.html", status=status, token=token, state=state)


async def consent_page(request: Request) -> Response:
    """The page of a confirmation link: a button, since opening a link must not consent."""
    return _confirmation_page(request, token=request.query_params.get("token", ""), state="ask")


def _confirm(request: Request, token: str) -> None:
    crm = site_of(request).crm
    with crm.transaction(WEB_FORM) as tx:
        confirm_consent(tx, token)


async def confirm_consent_page(request: Request) -> Response:
    """Grant the pending consent of the token; an unknown or used token says so (404)."""
    if not _same_origin(request):
        raise PermissionDenied("consent is confirmed from this site's own page only")
    token = (await read_form(request)).get("token", "")
    try:
        if not 0 < len(token) <= 100:
            raise NotFound("this confirmation link is unknown or was used already")
        await anyio.to_thread.run_sync(_confirm, request, token)
    except NotFound:
        return _confirmation_page(request, token="", state="unknown", status=404)
    return _confirmation_page(request, token="", state="confirmed")


ROUTES: list[BaseRoute] = [
    # Public (crmkit.web.public): the visitors these pages are for have no login.
    Route(LEAD_FORM_PATH, lead_form, methods=["GET"], name="lead_form"),
    Route(LEAD_FORM_PATH, send_enquiry, methods=["POST"], name="send_enquiry"),
    Route(CONFIRM_PATH, consent_page, methods=["GET"], name="consent_confirmation"),
    Route(CONFIRM_PATH, confirm_consent_page, methods=["POST"], name="confirm_consent_page"),
]
