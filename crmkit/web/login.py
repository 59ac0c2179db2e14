"""Login and logout of the web UI: a form, a server-side session in a cookie, a limit on failures.

The login form is posted before any session exists, so it carries its own CSRF
token, matched against a short-lived cookie (double submit): another site cannot
log a visitor in under an account of its choosing.
"""

from __future__ import annotations

import functools
import hmac
import secrets
from typing import TYPE_CHECKING
from urllib.parse import quote

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from crmkit.core import auth
from crmkit.core.errors import PermissionDenied
from crmkit.defaults.auth import SESSION_COOKIE
from crmkit.web.context import site_of
from crmkit.web.csrf import CSRF_FIELD
from crmkit.web.errors import LOGIN_CHALLENGE
from crmkit.web.payloads import read_form
from crmkit.web.templating import render

if TYPE_CHECKING:
    from crmkit.app import Crm

LOGIN_CSRF_COOKIE = "crmkit_login_csrf"
LOGIN_PATH = "/login"


def login_url(next_path: str) -> str:
    """Where a visitor without a session is sent, coming back to ``next_path`` afterwards."""
    return f"{LOGIN_PATH}?next={quote(next_path, safe='/')}"


def _local(next_path: str | None) -> str:
    # Only paths on this site: an absolute or protocol-relative URL would be an open redirect.
    if not next_path or not next_path.startswith("/") or next_path.startswith(("//", "/\\")):
        return "/"
    return next_path


def _secure(request: Request) -> bool:
    """Whether cookies are marked Secure: over HTTPS, and always with ``force_secure_cookies``."""
    return request.url.scheme == "https" or site_of(request).crm.settings.force_secure_cookies


def _login_page(
    request: Request,
    *,
    next_path: str,
    username: str = "",
    error: str | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    site = site_of(request)
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = render(
        site,
        "login.html",
        status=status,
        headers=headers,
        login_csrf=token,
        next=next_path,
        username=username,
        error=error,
        hint=site.login_hint,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        path=LOGIN_PATH,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )
    return response


async def login_form(request: Request) -> Response:
    """The login form."""
    return _login_page(request, next_path=_local(request.query_params.get("next")))


async def log_in(request: Request) -> Response:
    """Check the credentials; open a session and go on, or show the form again saying why not."""
    form = await read_form(request)
    username, password, given = (
        form.get("username", ""),
        form.get("password", ""),
        form.get(CSRF_FIELD, ""),
    )
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise PermissionDenied("the login form carries no valid CSRF token: reload it and log in")
    next_path = _local(form.get("next"))
    address = request.client.host if request.client else None
    crm = site_of(request).crm
    outcome = await anyio.to_thread.run_sync(
        functools.partial(auth.attempt_login, crm, username, password, address)
    )
    if outcome.retry_after is not None:
        minutes = -(-outcome.retry_after // 60)
        return _login_page(
            request,
            next_path=next_path,
            username=username,
            error=f"Too many failed logins: try again in {minutes} minute(s).",
            status=429,
            headers={"Retry-After": str(outcome.retry_after)},
        )
    if outcome.session is None:
        return _login_page(
            request,
            next_path=next_path,
            username=username,
            error="Unknown username or wrong password.",
            status=401,
            headers={"WWW-Authenticate": LOGIN_CHALLENGE},
        )
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        outcome.session.token,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path=LOGIN_PATH, secure=_secure(request))
    return response


def _close(crm: Crm, token: str) -> None:
    with crm.transaction() as tx:
        auth.close_session(tx, token)


async def log_out(request: Request) -> Response:
    """End the session (the CSRF middleware has checked the form) and return to the login form."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await anyio.to_thread.run_sync(functools.partial(_close, site_of(request).crm, token))
    response = RedirectResponse(LOGIN_PATH, status_code=303)
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="lax", secure=_secure(request))
    return response


ROUTES: list[BaseRoute] = [
    Route(LOGIN_PATH, login_form, methods=["GET"], name="login"),
    Route(LOGIN_PATH, log_in, methods=["POST"], name="log_in"),
    Route("/logout", log_out, methods=["POST"], name="logout"),
]
