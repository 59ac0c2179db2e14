"""The paths served to anyone, without an actor: what authentication lets through and the API description marks open."""

from __future__ import annotations

from crmkit.core.web_leads import CONFIRM_PATH

LEAD_FORM_PATH = "/forms/lead"
"""The web form of enquiries: visitors send it without an account."""
PUBLIC_PATHS = frozenset(
    {"/api/v1/health", "/login", "/api/openapi.json", "/api/docs", LEAD_FORM_PATH, CONFIRM_PATH}
)
"""Served to anyone: load balancers probe health, visitors log in, send an enquiry and confirm
their consent, and programmers read how the API is called (the description of the routes,
which holds no data)."""
PUBLIC_PREFIXES = ("/static/",)
"""Served to anyone: the error pages need their style sheet."""


def is_public(path: str) -> bool:
    """Whether ``path`` is served without an actor."""
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)
