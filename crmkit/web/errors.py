"""Errors only HTTP has; :mod:`crmkit.web.problems` maps them with the domain errors."""

from __future__ import annotations

from crmkit.core.errors import CrmError, ValidationError


class NotAuthenticated(CrmError):
    """No ``actor_from_request`` implementation recognised the request."""

    title = "Not authenticated"


BEARER_CHALLENGE = 'Bearer realm="crmkit"'
"""The ``WWW-Authenticate`` of a 401 from the API: send an API token (RFC 6750)."""
LOGIN_CHALLENGE = 'Session realm="crmkit"'
"""The ``WWW-Authenticate`` of a 401 page: log in through the form for a session cookie."""


class ContentTooLarge(CrmError):
    """The request body is larger than ``max_body_bytes``."""

    title = "Content too large"


class RefusedForm(ValidationError):
    """A form field holding text no database stores; ``fields`` is the rest of what was posted.

    ``fields`` has that field (and any other such) blank, so that a page may show
    the form again with the field marked and what else was typed kept.
    """

    def __init__(self, field: str, message: str, fields: dict[str, str]) -> None:
        super().__init__(field, message)
        self.fields = fields


class MalformedBody(ValidationError):
    """The request body cannot be parsed at all (as opposed to parsed data that is wrong)."""

    def __init__(self, message: str) -> None:
        super().__init__("body", message)
