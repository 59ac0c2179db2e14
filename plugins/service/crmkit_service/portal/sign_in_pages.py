"""Signing in and out of the portal: asking for a link, following it, ending the session.

Asking answers the same whatever the address; following a link takes a button
press, so that a mail scanner opening it uses nothing up."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from crmkit import (
    NotFound,
    Transaction,
    ValidationError,
    utcnow,
)
from crmkit.web import Param, crm_of, operation
from crmkit_service.portal import forms, links
from crmkit_service.portal.sessions import COOKIE, PortalSession, end_session, start_session
from crmkit_service.portal.tokens import portal_key
from crmkit_service.portal.web import (
    BASE,
    CSRF_FIELD,
    FORM_COOKIE,
    HTML,
    check_csrf,
    client_of,
    current_session,
    error_page,
    form_token,
    read_portal_form,
    render,
    set_cookie,
    settings_of,
)

FORM_COOKIE_SECONDS = 3600


@operation("The portal's address: the customer's cases, or the sign-in page", status=303)
async def home(request: Request) -> Response:
    """The portal's address: the customer's cases, or the sign-in page."""
    session = await current_session(request)
    return RedirectResponse(f"{BASE}/cases" if session else f"{BASE}/sign-in", 303)


def _sign_in_form(
    request: Request,
    *,
    status: int = 200,
    values: dict[str, str] | None = None,
    error: ValidationError | None = None,
    sent: bool = False,
) -> Response:
    token = form_token(request)
    response = render(
        request,
        "sign_in.html",
        session=None,
        status=status,
        csrf_token=token,
        sent=sent,
        values=values or {},
        error=error,
        error_field=error.field if error else None,
    )
    set_cookie(request, response, FORM_COOKIE, token, FORM_COOKIE_SECONDS)
    return response


@operation("The sign-in page", response=str, media_type=HTML, answers={303: None})
async def sign_in_page(request: Request) -> Response:
    """The sign-in page: an email address to send a link to."""
    if await current_session(request) is not None:
        return RedirectResponse(f"{BASE}/cases", 303)
    return _sign_in_form(request)


@operation(
    "Email a sign-in link",
    form=forms.SignInForm,
    response=str,
    media_type=HTML,
    errors=(403, 429),
    description="The same page whether the address belongs to a party or not. 403: the form's "
    "token is missing. 429 (Retry-After): the address or the client asked for too many links.",
)
async def ask_for_link(request: Request) -> Response:
    """Email a sign-in link; the answer is the same whether the address is known or not."""
    form = await read_portal_form(request)
    check_csrf(form.fields.get(CSRF_FIELD), request.cookies.get(FORM_COOKIE))
    email = form.fields.get("email", "")
    crm, client, now = crm_of(request), client_of(request), utcnow()
    try:
        await crm.write(lambda tx: links.request_link(tx, email, client, now))
    except ValidationError as exc:
        if exc.field != "email":
            raise  # the operator's link template, not the customer's input
        return _sign_in_form(request, status=422, values={"email": email}, error=exc)
    except links.TooManyLinkRequests as exc:
        minutes = -(-exc.retry_after // 60)
        response = error_page(
            request,
            429,
            f"Too many sign-in links were asked for: try again in {minutes} minutes.",
            session=None,
        )
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    return _sign_in_form(request, sent=True, values={"email": email})


def _link_refused(request: Request, exc: NotFound) -> Response:
    return render(request, "link_refused.html", session=None, status=404, reason=exc.message)


@operation(
    "The page a sign-in link opens",
    query=(Param("token", str, "The token of the emailed link", True),),
    response=str,
    media_type=HTML,
    errors=(404,),
    description="404: the link is not valid, used already or expired.",
)
async def link_page(request: Request) -> Response:
    """The page a sign-in link opens: a button signs in, so that a mail scanner opening it uses nothing up."""
    token = request.query_params.get("token", "")
    crm, now = crm_of(request), utcnow()
    try:
        await crm.query(lambda conn: links.check_link(conn, token, now))
    except NotFound as exc:
        return _link_refused(request, exc)
    form = form_token(request)
    response = render(request, "follow_link.html", session=None, csrf_token=form, token=token)
    # The link's token is in this page's address: no other site may be told it.
    response.headers["Referrer-Policy"] = "no-referrer"
    set_cookie(request, response, FORM_COOKIE, form, FORM_COOKIE_SECONDS)
    return response


@operation(
    "Sign in with a link's token",
    form=forms.FollowLinkForm,
    status=303,
    errors=(403, 404),
    description="Sets the portal's session cookie and sends the customer to their cases.",
)
async def follow_link(request: Request) -> Response:
    """Sign in with a link's token: it is used up, and a portal session starts."""
    form = await read_portal_form(request)
    check_csrf(form.fields.get(CSRF_FIELD), request.cookies.get(FORM_COOKIE))
    crm, now = crm_of(request), utcnow()
    key, hours = portal_key(crm), settings_of(request).session_hours
    token = form.fields.get("token", "")

    def sign_in(tx: Transaction) -> str:
        outcome = links.follow_link(tx, token, now)
        return start_session(tx, key, outcome.party_id, hours, now)

    try:
        cookie = await crm.write(sign_in)
    except NotFound as exc:
        return _link_refused(request, exc)
    response = RedirectResponse(f"{BASE}/cases", 303)
    set_cookie(request, response, COOKIE, cookie, hours * 3600)
    response.delete_cookie(FORM_COOKIE, path=f"{BASE}")
    return response


@operation(
    "Sign out of the portal", form=forms.SignOutForm, response=str, media_type=HTML, errors=(401,)
)
async def sign_out(request: Request, session: PortalSession) -> Response:
    """Sign out: the session ends on the server, and the cookie is removed."""
    form = await read_portal_form(request)
    check_csrf(form.fields.get(CSRF_FIELD), session.csrf_token)
    now = utcnow()
    await crm_of(request).write(lambda tx: end_session(tx, session.id, now), session.actor)
    response = render(request, "signed_out.html", session=None)
    response.delete_cookie(COOKIE, path=BASE)
    return response
