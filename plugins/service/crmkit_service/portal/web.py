"""What every portal page shares: the session from its cookie, CSRF checks, forms with files, rendering.

The portal's routes are public routes (no staff login): each one finds its
customer through the portal's own cookie, and acts only for that party.
"""

from __future__ import annotations

import functools
import hmac
import ipaddress
import re
import secrets
from collections.abc import Callable
from typing import Any

from attrs import field, frozen
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from crmkit import (
    Actor,
    NotFound,
    PermissionDenied,
    ValidationError,
    check_storable_text,
    utcnow,
)
from crmkit.web import Param, RefusedForm, crm_of, page_response, read_form
from crmkit_service.portal.attachments import Upload
from crmkit_service.portal.sessions import COOKIE, COOKIE_PATH, PortalSession, session_of
from crmkit_service.portal.settings import PortalSettings
from crmkit_service.portal.tokens import portal_key

BASE = "/p/service/portal"
SIGN_IN = f"{BASE}/sign-in"
FORM_COOKIE = "crmkit_portal_form"
"""Before sign-in there is no session to bind a CSRF token to: the token is also set as this cookie."""
_FORM_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
"""What ``secrets.token_urlsafe(32)`` makes: a cookie holding anything else is replaced."""
CSRF_FIELD = "csrf_token"
MAX_FORM_FILES = 20
NO_STORE = {"Cache-Control": "no-store"}
HTML = "text/html"
VISITOR = Actor(user_id=None, username="portal", role="system")
"""Who a portal page is rendered for when the request got no actor (refused before routing)."""


@frozen
class PortalCookie:
    """The portal's routes check no signature of the request: the customer's session cookie
    (or, before sign-in, the link's token) is checked by each handler."""

    parameters: tuple[Param, ...] = ()

    def verify(self, crm: Any, request: Request, body: bytes, now: float) -> None:
        return None


def settings_of(request: Request) -> PortalSettings:
    settings: PortalSettings = crm_of(request).settings_of["service"].portal
    return settings


def client_of(request: Request) -> str:
    """The client's address as the link budgets count it: an IPv6 client by its /64 network."""
    host = request.client.host if request.client else "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False))
    return str(address)


async def current_session(request: Request) -> PortalSession | None:
    """The customer signed in by the request's cookie, if any."""
    crm = crm_of(request)
    key = portal_key(crm)
    cookie = request.cookies.get(COOKIE)
    now = utcnow()
    return await crm.query(lambda conn: session_of(conn, key, cookie, now))


def secure_cookies(request: Request) -> bool:
    return request.url.scheme == "https" or bool(crm_of(request).settings.force_secure_cookies)


def set_cookie(
    request: Request, response: Response, name: str, value: str, max_age: int | None
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
    )


def form_token(request: Request) -> str:
    """The CSRF token of a form shown before sign-in: the one the browser holds, else a new one."""
    held = request.cookies.get(FORM_COOKIE)
    return held if held and _FORM_TOKEN.fullmatch(held) else secrets.token_urlsafe(32)


def check_csrf(given: object, expected: str | None) -> None:
    """PermissionDenied unless the form carried the expected token."""
    if (
        expected is None
        or not isinstance(given, str)
        or not hmac.compare_digest(given.encode(), expected.encode())
    ):
        raise PermissionDenied(
            "this form carries no valid security token: reload the page and submit it again"
        )


@frozen
class PortalForm:
    """What a portal form posted: its text fields and its files."""

    fields: dict[str, str]
    files: list[Upload]
    refusals: dict[str, ValidationError] = field(factory=dict)
    """Fields holding text no database stores (blank in ``fields``): refused when read."""


async def read_portal_form(request: Request) -> PortalForm:
    """A url-encoded or multipart form; a file input left empty is no file."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        try:
            return PortalForm(await read_form(request), [])
        except RefusedForm as exc:
            # The page shows its form again with the field marked, as for any bad value.
            return PortalForm(exc.fields, [], {exc.field: exc})
    fields: dict[str, str] = {}
    files: list[Upload] = []
    refusals: dict[str, ValidationError] = {}
    async with request.form(max_files=MAX_FORM_FILES, max_fields=50) as form:
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                content = await value.read()
                if value.filename or content:
                    files.append(Upload(value.filename or "", content))
            elif name not in fields:
                try:
                    check_storable_text(name, value)
                except ValidationError as refusal:
                    refusals[name], value = refusal, ""
                fields[name] = value
    return PortalForm(fields, files, refusals)


def render(
    request: Request,
    template: str,
    *,
    session: PortalSession | None,
    status: int = 200,
    csrf_token: str | None = None,
    **context: Any,
) -> HTMLResponse:
    """A portal page in the portal's own layout; forms carry ``csrf_token`` (the session's by default)."""
    request.state.csrf_token = csrf_token or (session.csrf_token if session else None)
    if not isinstance(getattr(request.state, "actor", None), Actor):
        request.state.actor = VISITOR
    response = page_response(
        request,
        f"service/portal/{template}",
        status=status,
        signed_in=session is not None,
        **context,
    )
    response.headers.update(NO_STORE)
    return response


def error_page(
    request: Request, status: int, message: str, *, session: PortalSession | None
) -> HTMLResponse:
    return render(request, "error.html", session=session, status=status, message=message)


def to_sign_in() -> RedirectResponse:
    return RedirectResponse(SIGN_IN, 303)


Handler = Callable[[Request, PortalSession], Any]


def signed_in(handler: Handler) -> Callable[[Request], Any]:
    """``handler`` for a signed-in customer; anyone else is sent to sign in (a page) or refused (a form)."""

    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        session = await current_session(request)
        if session is None:
            if request.method == "GET":
                return to_sign_in()
            return error_page(request, 401, "Your session has ended: sign in again.", session=None)
        try:
            response: Response = await handler(request, session)
        except NotFound:
            return error_page(request, 404, "There is no such page.", session=session)
        except PermissionDenied as exc:
            return error_page(request, 403, exc.message, session=session)
        return response

    return endpoint


def text_field(form: PortalForm, name: str, limit: int, *, required: bool) -> str:
    """A text field of the form, trimmed; a ValidationError naming it when missing or too long."""
    if name in form.refusals:
        raise form.refusals[name]
    value = form.fields.get(name, "").strip()
    if required and not value:
        raise ValidationError(name, "please fill this in")
    if len(value) > limit:
        raise ValidationError(name, f"at most {limit:,} characters, please")
    return value
