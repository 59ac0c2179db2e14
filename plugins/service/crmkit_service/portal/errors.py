"""Errors on portal pages answered as portal pages (the kernel answers plugin paths with JSON problems).

Most refusals are answered by the handlers themselves; this covers what is
raised before or around them: a client over the route's budget (429), a body
over the kernel's limit (413), a form without its security token (403), a portal
whose settings are missing (503; the start-up warning names the setting).
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from crmkit import ConfigurationError, ConflictError, CrmError, NotFound, PermissionDenied
from crmkit_service.portal.web import BASE, error_page

# Invalid input escapes a handler only as a body no browser sends (not UTF-8, not a form):
# the kernel's 400 problem document answers it.
_STATUSES: tuple[tuple[type[CrmError], int], ...] = (
    (PermissionDenied, 403),
    (NotFound, 404),
    (ConflictError, 409),
    (ConfigurationError, 503),
)
_TOO_LARGE = "Content too large"
"""The title of the kernel's error for a body over ``max_body_bytes``."""
_NOT_AUTHENTICATED = "Not authenticated"
"""The title of the kernel's error for a request no one signed in to the CRM sent."""


def _status(exc: CrmError) -> int | None:
    for cls, status in _STATUSES:
        if isinstance(exc, cls):
            return status
    if exc.title == _NOT_AUTHENTICATED:
        # Every portal page is public: a portal path that asks for a CRM login matched none
        # of them (a case id that is no number, or too large), so there is no such page.
        return 404
    return 413 if exc.title == _TOO_LARGE else None


def portal_error(request: Request, exc: Exception) -> Response | None:
    """The portal's page for ``exc`` on a portal path; None elsewhere, or for what it does not know."""
    if not request.url.path.startswith(BASE):
        return None
    if isinstance(exc, HTTPException):
        response = error_page(request, exc.status_code, str(exc.detail), session=None)
        response.headers.update(exc.headers or {})
        return response
    if isinstance(exc, CrmError):
        status = _status(exc)
        if status is None:
            return None
        if status == 413:
            message = "The files are too large to send together: attach fewer or smaller files."
        elif exc.title == _NOT_AUTHENTICATED:
            message = "There is no such page."
        elif status == 503:
            message = "The portal is not available at the moment."
        else:
            message = exc.message
        return error_page(request, status, message, session=None)
    return None
