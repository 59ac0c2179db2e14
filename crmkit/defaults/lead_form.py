"""Kernel event types of the public lead form (web-to-lead)."""

from __future__ import annotations

from crmkit.core.events import EventType
from crmkit.hooks.markers import hookimpl


@hookimpl
def register_event_types() -> list[EventType]:
    return [
        EventType(
            "core.consent_requested",
            "A visitor asked for marketing by email; the payload's confirm_path is the "
            "double opt-in link to send them",
            "prospect",
        ),
    ]
