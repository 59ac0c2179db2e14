"""The addresses a registrant's emails and pages link to, under the channels plugin's ``public_url``."""

from __future__ import annotations

from typing import Any

from crmkit import ConfigurationError
from crmkit_campaigns.events.tokens import make_token

PUBLIC = "/p/campaigns/public/events"


def public_base(app: Any) -> str:
    """The CRM's address as registrants reach it (``plugins.channels.public_url``)."""
    public_url: str = app.settings_of["channels"].public_url
    if not public_url:
        raise ConfigurationError(
            "plugins.channels.public_url",
            "event registration links need the CRM's address as people reach it",
        )
    return public_url.rstrip("/")


def register_path(slug: str) -> str:
    return f"{PUBLIC}/{slug}/register"


def ics_path(slug: str) -> str:
    return f"{PUBLIC}/{slug}/event.ics"


def checkin_path(event_id: int, token: str) -> str:
    """The staff page a ticket's QR code opens: the registrant, and a button to check them in."""
    return f"/p/campaigns/events/{event_id}/check-in?t={token}"


def registrant_links(app: Any, registration_id: int, event_id: int, slug: str) -> dict[str, str]:
    """Every link a registrant's email may carry, absolute."""
    base = public_base(app)
    checkin = make_token(app, "checkin", registration_id)
    return {
        "confirm_url": f"{base}{PUBLIC}/confirm?t={make_token(app, 'confirm', registration_id)}",
        "cancel_url": f"{base}{PUBLIC}/cancel?t={make_token(app, 'cancel', registration_id)}",
        "qr_url": f"{base}{PUBLIC}/qr?t={checkin}",
        "ics_url": f"{base}{ics_path(slug)}",
        "checkin_url": f"{base}{checkin_path(event_id, checkin)}",
    }
